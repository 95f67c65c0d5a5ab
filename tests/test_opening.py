"""Opening a session cheaply (issue 25 item 4, issue 26 item 1; docs/results/opening.md): the files
every page reads are parsed once per server process and a changed file is still seen by the next
page; the parsed objects are immutable; the tabs a page does not show build no idle notes; the
server skips Bokeh's per-session document validation unless asked; and the benchmark command runs
and prints every phase."""

import dataclasses
import os
import re
import shutil

import panel as pn
import pytest

from explorer.models.lessons import LESSONS_DIR
from explorer.models.scenario_library import LIBRARY_DIR
from explorer.views import _files
from explorer.views._files import page_lessons, page_library, page_text, parsed_files


@pytest.fixture
def folders(tmp_path):
    """Copies of the lessons and the scenario library, to change."""
    lessons, library = tmp_path / "lessons", tmp_path / "scenarios"
    shutil.copytree(LESSONS_DIR, lessons)
    shutil.copytree(LIBRARY_DIR, library)
    return lessons, library


def _touch_later(path, text):
    """Write `text` to `path` with a modification time surely after the previous one."""
    before = os.stat(path).st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, max(st.st_mtime_ns, before + 1_000_000)))


def test_every_page_gets_the_same_parsed_lessons_and_library():
    from explorer.app import build_app

    first, second = build_app(), build_app()
    assert first.lessons.lessons is second.lessons.lessons  # parsed once, shared
    assert first.lessons.lessons.ids() and first.lessons.lessons.entries


def test_a_changed_lesson_file_is_seen_by_the_next_page(folders):
    lessons, library = folders
    files = parsed_files()
    one = page_lessons(lessons, library)
    parses = files.parses
    assert page_lessons(lessons, library) is one and files.parses == parses  # unchanged: kept
    path = sorted(lessons.glob("*.md"))[0]
    text = path.read_text(encoding="utf-8")
    lesson = next(e for e in one.entries if e.file == path.name)
    _touch_later(path, text.replace(f"title: {lesson.title}", "title: A changed title", 1))
    two = page_lessons(lessons, library)
    assert two is not one
    assert next(e for e in two.entries if e.file == path.name).title == "A changed title"
    assert lesson.title != "A changed title" and next(e for e in one.entries if e.file == path.name) is lesson
    # a removed file disappears; a bad new one is refused by name and the others still load
    path.unlink()
    _touch_later(lessons / "99-bad.md", "not a lesson")
    three = page_lessons(lessons, library)
    assert lesson.id not in three.ids() and [name for name, _ in three.skipped] == ["99-bad.md"]
    assert len(three.entries) == len(one.entries) - 1


def test_a_changed_library_file_is_seen_by_the_lessons_and_the_menu(folders):
    lessons, library = folders
    menu = page_library(library)
    lessons_before = page_lessons(lessons, library)
    for path in library.glob("*.json"):
        path.unlink()
    assert page_library(library).entries == () and page_library(library) is not menu
    # every lesson names library scenarios: without the library each is refused, by file
    after = page_lessons(lessons, library)
    assert lessons_before.entries and not after.entries and len(after.skipped) == len(lessons_before.entries)


def test_a_changed_physics_reference_is_seen(tmp_path):
    path = tmp_path / "physics.md"
    _touch_later(path, "# one")

    def read():
        return path.read_text(encoding="utf-8")

    assert page_text(path, read) == "# one"
    _touch_later(path, "# two, longer")
    assert page_text(path, read) == "# two, longer"


def test_the_shared_parsed_objects_cannot_be_changed():
    lessons = page_lessons()
    lesson = lessons.entries[0]
    step = lesson.steps[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        lessons.entries = ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        lesson.title = "changed"
    with pytest.raises(TypeError):
        step.scenario.tabs[step.tab] = {}
    with pytest.raises(TypeError):
        next(iter(step.scenario.tabs.values()))["x"] = 1
    with pytest.raises(AttributeError):
        lessons.entries.append(lesson)
    entry = page_library().entries[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.scenario.name = "changed"


def test_the_store_lives_in_panels_cache_not_in_the_module():
    assert pn.state.cache[_files.CACHE_KEY] is parsed_files()
    mutable = (dict, list, set, _files.ParsedFiles)
    assert not [k for k, v in vars(_files).items() if not k.startswith("__") and isinstance(v, mutable)]


def test_a_view_builds_its_idle_notes_only_when_its_controls_are_laid_out(monkeypatch):
    from explorer.views import _states
    from explorer.views.programming import ProgrammingView

    made = []
    markdown = pn.pane.Markdown

    def counted(*args, **kwargs):
        made.append(kwargs.get("css_classes"))
        return markdown(*args, **kwargs)

    monkeypatch.setattr(_states.pn.pane, "Markdown", counted)
    view = ProgrammingView()
    assert ["idle-reason"] not in made  # a page that never shows the tab pays for no note
    view.model.programming.method = "verify"  # learning rate idle before any note exists
    view.controls()
    assert made.count(["idle-reason"]) == len(view._idle.rules)
    note = view._idle.notes["method.learning_rate"]
    assert view._idle.shows("method.learning_rate") and "gdp" in note.object  # made with the current reason
    view.model.programming.method = "gdp"
    assert not view._idle.shows("method.learning_rate")


@pytest.mark.parametrize(
    "name,default,chosen",
    [
        ("BOKEH_VALIDATE_DOC", "false", "true"),  # document checks skipped unless asked
        ("PYTHONMALLOC", "malloc", "pymalloc"),  # glibc's allocator, read by the server's interpreter at start
    ],
)
def test_the_servers_environment_defaults_unless_set(monkeypatch, tmp_path, name, default, chosen):
    from explorer import cli

    def started(path, cmd):
        raise SystemExit(0)

    monkeypatch.setattr(os, "environ", {k: v for k, v in os.environ.items() if k != name})
    monkeypatch.setattr(os, "execv", started)
    with pytest.raises(SystemExit):
        cli.serve(["--predictions-db", str(tmp_path / "p.sqlite")])
    assert os.environ[name] == default
    os.environ[name] = chosen
    with pytest.raises(SystemExit):
        cli.serve(["--predictions-db", str(tmp_path / "p.sqlite")])
    assert os.environ[name] == chosen


def test_the_benchmark_prints_every_phase_for_both_links(capsys):
    """`python -m explorer.tools.benchmark_opening` at one session per link."""
    from explorer.app import DASHBOARDS
    from explorer.tools.benchmark_opening import PHASES, main

    # one tab here, to keep the suite short (the command renders all six by default)
    assert main(["--sessions", "1", "--no-warmup", "--tabs", "Devices"]) == 0
    out = capsys.readouterr().out
    rows = {line.split("|")[1].strip(): line for line in out.splitlines() if line.startswith("| ")}
    assert [f"tab {title}" for title, _, _ in DASHBOARDS if f"tab {title}" in rows] == ["tab Devices"]
    for phase in (*PHASES, "tab Devices"):
        cells = [c.strip() for c in rows[phase].split("|")[2:6]]
        assert all(c.replace(".", "").isdigit() for c in cells[0::2]), (phase, cells)  # ms for both links
    # the document is sent, and a tab's first render sends its figures and widgets
    for phase in ("document JSON", "tab Devices"):
        assert float(rows[phase].split("|")[3]) > 1.0, phase
    # a lesson link's page carries its step's tab: a larger document than the plain one
    assert float(rows["document JSON"].split("|")[5]) > float(rows["document JSON"].split("|")[3])


def test_a_page_builds_a_dashboards_widgets_only_when_something_asks_for_them():
    """Issue 25 item 4 / issue 26 item 1: a page opens without any dashboard's widgets; a tab's
    first showing (or a lesson step's outlines, or a script) builds them, reflecting the settings
    and the idle rules as they are then."""
    from explorer.app import build_app
    from explorer.views.crossbar import CrossbarView

    page = build_app()
    views = page.lessons.views
    assert set(views) == {"dev", "enc", "xb", "prog", "rel", "train"}
    assert all(view.__dict__.get("_widgets_state") is None for view in views.values())
    assert all("_sliders" not in view.__dict__ and "_widgets" not in view.__dict__ for view in views.values())
    assert page.sweeps.__dict__.get("_widgets_state") is None and "text" not in page.sweeps.__dict__
    assert page.sweeps.text.value == page.sweeps.model.text  # the Sweeps tab's, built when asked for

    view = CrossbarView()
    view.model.technology = "Flash"  # before any widget exists: nothing to keep in step yet
    view.model.xb.adc_bits = 5
    assert view.__dict__.get("_widgets_state") is None
    widgets = view.widgets()
    assert view.__dict__.get("_widgets_state") == "built"
    assert widgets["technology"].value == "Flash" and widgets["adc_bits"].value == 5
    assert not widgets["temperature_K"].disabled  # Flash has a temperature model
    view.model.technology = "PCM"  # built: the watchers keep them in step from now on
    assert widgets["technology"].value == "PCM" and widgets["temperature_K"].disabled
    assert view.widgets()["technology"] is widgets["technology"]  # built once
    with pytest.raises(AttributeError, match="no attribute 'no_such_thing'"):
        getattr(view, "no_such_thing")  # noqa: B009 (the lookup itself is what is tested)


def test_the_benchmark_times_build_app_alone(capsys):
    from explorer.tools.benchmark_opening import main

    assert main(["--build-only", "3"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.fullmatch(r"build_app, 3 pages: median \d+ ms of CPU; fastest five \d+ to \d+ ms", line), line
    with pytest.raises(SystemExit):
        main(["--build-only", "-1"])
