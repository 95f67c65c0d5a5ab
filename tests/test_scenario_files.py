"""The header's scenario controls (issue 24, item 2), without a browser: the app's Download scenario
button writes every tab's settings (or, with This tab, the visible tab's only), its Upload scenario
control restores them on a fresh page (the rendered plots follow), a bad file is refused with its
field named in the status line and no setting changed, and the Scenarios menu opens each library
scenario on its tab with its name, description and source in the status line. The controls' own
widgets are driven, so the wiring is what is tested."""

import html
import json
import pickle

import panel as pn
import pytest
from bokeh.document import Document
from test_scenarios import settings_of

from explorer.app import DASHBOARDS, build_app
from explorer.models import scenario as sc
from explorer.models.scenario_library import NOT_INSTALLED, load_library
from explorer.views._status import ERROR_STYLE
from explorer.views.scenario_files import (
    FILE_NAME,
    THIS_TAB,
    download_text,
    scenario_controls,
    tab_file_name,
    upload,
)

HISTOGRAM = "Programmed levels at the chosen time"
ADC_SWEEP = "MVM error versus ADC bits"


def page():
    """A fresh app page: its tabs, tab prefix -> model, and the header's download, upload and status."""
    app = build_app()
    tabs = app.select(pn.Tabs)[0]
    (download,) = [w for w in app.select(pn.widgets.FileDownload) if "scenario-download" in w.css_classes]
    (chooser,) = app.select(pn.widgets.FileInput)
    (status,) = [p for p in app.select(pn.pane.HTML) if "scenario-status" in p.css_classes]
    (controls,) = [row for row in app.select(pn.Row) if hasattr(row, "explorers")]
    models = dict(controls.explorers)
    assert list(models) == [prefix for _, prefix, _ in DASHBOARDS]
    return tabs, models, download, chooser, status


def render(tabs, prefix):
    """Render the page's tab `prefix` (its lazy view builds its figures now) and return the Bokeh root."""
    k = 1 + [p for _, p, _ in DASHBOARDS].index(prefix)
    return tabs.objects[k].get_root(Document())


def title(root, heading):
    """The shown title of the plot under `heading` (a LivePlot names its title model)."""
    return root.select_one({"name": f"{heading}/title"}).text


def press_download(download):
    """What the Download scenario button hands the browser: the file's name and its text."""
    fileobj = download.callback()
    return download.filename, fileobj.read()


def choose(chooser, data, filename="scenario.json"):
    """Upload `data` through the FileInput as the browser does (file name, then content)."""
    chooser.param.update(filename=filename, value=data)


def test_download_then_upload_restores_every_tab_on_a_fresh_page():
    first_tabs, first, download, _, _ = page()
    first["dev"].param.update(technology="RRAM", n_levels=4, log10_time=5.0, seed=3)
    first["xb"].param.update(size=32, batch=8)
    first["xb"].xb.adc_bits = 6
    first["prog"].programming.tolerance = 0.03
    first["train"].device = "ReRAM-like, 1000 states"
    filename, text = press_download(download)
    assert filename == FILE_NAME
    assert text == download_text(first)
    assert set(json.loads(text)["tabs"]) == set(sc.TABS)  # every tab

    second_tabs, second, _, chooser, status = page()
    assert settings_of(second) != settings_of(first)
    dev = render(second_tabs, "dev")  # a rendered tab; the others render later
    before = title(dev, HISTOGRAM)
    choose(chooser, text.encode("utf-8"), filename)
    assert status.object == f"Loaded {FILE_NAME}"
    assert settings_of(second) == settings_of(first)
    # The rendered plot follows, and equals the first page's at the same settings and seed.
    assert title(dev, HISTOGRAM) == title(render(first_tabs, "dev"), HISTOGRAM) != before
    # A tab not yet rendered builds from the applied settings: its ADC control and plot show 6 bits.
    xb = render(second_tabs, "xb")
    assert title(xb, ADC_SWEEP).startswith("ADC 6 bits: ")
    assert title(xb, ADC_SWEEP) == title(render(first_tabs, "xb"), ADC_SWEEP)


def test_a_named_scenario_is_reported_by_its_name():
    _, models, _, chooser, status = page()
    text = json.dumps({"format": sc.FORMAT, "version": 1, "name": "8 levels", "tabs": {"dev": {"n_levels": 8}}})
    choose(chooser, text.encode("utf-8"))
    assert status.object == "Loaded 8 levels"
    assert models["dev"].n_levels == 8


BAD = {
    # file content -> the field the message must name
    "out of range": ({"xb": {"xb.adc_bits": 999}}, "tabs.xb.xb.adc_bits"),
    "unknown technology": ({"dev": {"technology": "Nope"}}, "tabs.dev.technology"),
    "wrong type": ({"dev": {"n_levels": "four"}}, "tabs.dev.n_levels"),
    "unknown setting": ({"dev": {"colour": "red"}}, "tabs.dev.colour"),
    "unknown method": ({"prog": {"programming.method": "annealing"}}, "tabs.prog.programming.method"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_file_is_refused_naming_its_field_and_nothing_changes(case):
    _, models, _, chooser, status = page()
    models["dev"].n_levels = 4  # away from the defaults: a refused file must not reset it
    tabs, field = BAD[case]
    # the bad value after a valid one, so a half-applied file would show
    text = json.dumps({"format": sc.FORMAT, "version": 1, "tabs": {"enc": {"seed": 7}, **tabs}})
    before = settings_of(models)
    choose(chooser, text.encode("utf-8"), "bad.json")
    assert status.object.startswith(f"Not loaded bad.json: {field}: ")
    (settings,) = tabs.values()
    (value,) = (json.dumps(v) for v in settings.values())
    if case.startswith("unknown ") and case != "unknown setting":  # a technology or method it lacks
        assert f"this version has no {html.escape(value)}" in status.object
    assert status.object.endswith("Nothing changed.")
    assert status.styles == ERROR_STYLE
    assert settings_of(models) == before


def test_pickle_oversized_and_missing_files_are_refused():
    explorers = {prefix: cls() for prefix, cls in sc.TABS.items()}
    before = {p: ex.param.values() for p, ex in explorers.items()}
    pickled = pickle.dumps({"format": sc.FORMAT, "version": 1, "tabs": {"dev": {"n_levels": 8}}})
    outcome = upload(explorers, pickled, "p.json")
    assert not outcome.ok and "not UTF-8 JSON" in outcome.message
    big = b" " * (sc.MAX_BYTES + 1)
    outcome = upload(explorers, big)
    assert not outcome.ok and f"at most {sc.MAX_BYTES:,} allowed" in outcome.message
    assert upload(explorers, None) == (False, "No file chosen; nothing changed.", "")
    assert {p: ex.param.values() for p, ex in explorers.items()} == before


def test_a_newer_schema_version_says_so_and_changes_nothing():
    tabs, models, _, chooser, status = page()
    models["xb"].size = 32
    before = settings_of(models)
    text = json.dumps({"format": sc.FORMAT, "version": 2, "tabs": {"xb": {"size": 64}}, "tab": "xb"})
    choose(chooser, text.encode("utf-8"), "newer.json")
    assert status.object == (
        "Not loaded newer.json: version: written by a newer version (2); this version reads up to 1. Nothing changed."
    )
    assert settings_of(models) == before
    assert tabs.active == 0  # the refused file's tab is not shown


def menu_of(app):
    """The page's Scenarios menu."""
    (menu,) = app.select(pn.widgets.MenuButton)
    return menu


def test_the_menu_opens_each_library_scenario_on_its_tab():
    library = load_library()
    app = build_app()
    tabs = app.select(pn.Tabs)[0]
    (status,) = [p for p in app.select(pn.pane.HTML) if "scenario-status" in p.css_classes]
    (controls,) = [row for row in app.select(pn.Row) if hasattr(row, "explorers")]
    models = controls.explorers
    menu = menu_of(app)
    assert menu.label == "Scenarios"
    assert [item[0] for item in menu.items] == library.names()
    prefixes = [p for _, p, _ in DASHBOARDS]
    for entry in library.entries:
        tabs.active = 0
        menu.clicked = entry.name  # what a click on the item does (MenuButton._process_event)
        s = entry.scenario
        assert tabs.active == 1 + prefixes.index(s.tab)  # its tab is shown
        assert html.unescape(status.object) == f"Loaded {s.name}. {s.description} Source: {s.source}"
        assert status.visible and status.styles != ERROR_STYLE
        expected = {}
        for tab, values in s.tabs.items():
            expected |= {f"{tab}.{k}": list(v) if isinstance(v, tuple) else v for k, v in values.items()}
        shown = settings_of(models)
        assert {k: shown[k] for k in expected} == expected
    # The same scenario again, after a control moved, goes back to it (as an upload does).
    models["rel"].chips = 3
    menu.clicked = library.entries[-1].name
    assert models["rel"].chips == library.entries[-1].scenario.tabs["rel"]["chips"]


def test_the_menu_names_refused_library_files_and_a_missing_library(tmp_path):
    from explorer.models.scenario_library import LIBRARY_DIR

    good = sorted(LIBRARY_DIR.glob("*.json"))[0]
    (tmp_path / good.name).write_bytes(good.read_bytes())
    (tmp_path / "zz-bad.json").write_text('{"format": "analog-explorer-scenario", "version": 1, "tabs": {"x": {}}}')
    explorers = {prefix: cls() for prefix, cls in sc.TABS.items()}
    row, status = scenario_controls(explorers, "#000", library=load_library(tmp_path))
    (menu,) = row.select(pn.widgets.MenuButton)
    assert menu.items[0][0] == load_library(tmp_path).names()[0] and menu.items[1] is None
    assert menu.items[2][0] == "1 library file not offered: why?"
    menu.clicked = menu.items[2][1]
    assert status.object == html.escape(
        "Library files not offered: zz-bad.json: tabs.x: no such tab; allowed: dev, enc, xb, prog, rel, train"
    )
    assert status.styles == ERROR_STYLE
    before = settings_of(explorers)
    row, status = scenario_controls(explorers, "#000", library=load_library(LIBRARY_DIR / "missing"))
    (menu,) = row.select(pn.widgets.MenuButton)
    assert [item[0] for item in menu.items] == ["No scenarios (library not found)"]
    menu.clicked = menu.items[0][1]
    assert "No scenario library at" in status.object and status.styles == ERROR_STYLE
    assert settings_of(explorers) == before
    assert "assets/scenarios/" in NOT_INSTALLED


def test_this_tab_downloads_the_visible_tab_and_changes_only_it():
    app = build_app()
    tabs = app.select(pn.Tabs)[0]
    (download,) = [w for w in app.select(pn.widgets.FileDownload) if "scenario-download" in w.css_classes]
    (choice,) = app.select(pn.widgets.RadioButtonGroup)
    (controls,) = [row for row in app.select(pn.Row) if hasattr(row, "explorers")]
    first = controls.explorers
    first["xb"].param.update(size=32, technology="Flash")
    first["xb"].xb.adc_bits = 5
    first["dev"].technology = "RRAM"  # another tab changed: not in a This-tab download
    tabs.active = 1 + [p for _, p, _ in DASHBOARDS].index("xb")
    choice.value = THIS_TAB
    filename, text = press_download(download)
    assert filename == tab_file_name("xb") == "analog-explorer-scenario-xb.json"
    saved = json.loads(text)
    assert set(saved["tabs"]) == {"xb"} and saved["tab"] == "xb"
    tabs.active = 0  # the overview has no settings: This tab writes every tab
    filename, text = press_download(download)
    assert filename == FILE_NAME and set(json.loads(text)["tabs"]) == set(sc.TABS)

    second_tabs, second, _, chooser, status = page()
    before = settings_of(second)
    choose(chooser, json.dumps(saved).encode("utf-8"), tab_file_name("xb"))
    assert status.object == f"Loaded {tab_file_name('xb')}"
    after = settings_of(second)
    changed = {k for k in after if after[k] != before[k]}
    assert changed == {"xb.size", "xb.technology", "xb.xb.adc_bits"}
    assert {k: after[k] for k in changed} == {k: settings_of(first)[k] for k in changed}
    assert second_tabs.active == 1 + [p for _, p, _ in DASHBOARDS].index("xb")  # the file's tab is shown


def test_the_header_controls_widen_with_lecture_mode_text():
    from explorer.views._present import Presentation
    from explorer.views.scenario_files import LECTURE_WIDTHS

    presentation = Presentation()
    explorers = {prefix: cls() for prefix, cls in sc.TABS.items()}
    row, _ = scenario_controls(explorers, "#000", library=load_library(), presentation=presentation)
    menu, download, choice, label, chooser = row.objects
    plain = [w.width for w in row.objects]
    presentation.lecture = True
    assert [menu.width, download.width, choice.width, label.width] == [
        LECTURE_WIDTHS[k] for k in ("menu", "download", "choice", "label")
    ]
    assert chooser.width == plain[-1]
    # the row is as wide as its parts and their margins (left to itself it came out narrower)
    assert row.width == sum(w.width for w in row.objects) + 4 * 10 + 5  # margins: 5 + 5 each, the label 5
    presentation.lecture = False
    assert [w.width for w in row.objects] == plain
