"""The class load command (issue 25, item 4): its light protocol students (`explorer.tools.wire`) read
real Bokeh documents and patches, choose only values a widget allows, and a small class against a real
served app (4 students and one Chromium page for 20 s) ends without any error and reports real numbers.
The shared results count their lookups and hits, and the server writes them where the tool asks."""

import json
import math
import random
import threading

import pytest
from bokeh.core.json_encoder import serialize_json
from bokeh.document import Document
from bokeh.models import Checkbox, Column, ColumnDataSource, Select, Slider, Spinner, TabPanel, Tabs
from bokeh.plotting import figure

from explorer.models._internal.memo import Memo
from explorer.tools.wire import WireDoc, allowed_change, widget_title


def _bokeh_doc():
    """A real Bokeh document shaped like the app's: Tabs whose second tab holds widgets and a plot."""
    source = ColumnDataSource({"x": [0.0, 1.0], "y": [1.0, 2.0]}, name="curve")
    plot = figure(title="levels")
    plot.line("x", "y", source=source)
    slider = Slider(title="Time after programming", start=0.0, end=8.0, step=0.5, value=3.0)
    select = Select(title="Technology", options=["PCM", "RRAM", "Flash"], value="PCM")
    check = Checkbox(label="IR drop")
    spinner = Spinner(title="Seed", value=0, low=0, high=3, step=1)
    tabs = Tabs(
        tabs=[
            TabPanel(title="Overview", child=Column()),
            TabPanel(title="Devices", child=Column(slider, select, check, spinner, plot)),
        ],
        active=1,
    )
    doc = Document()
    doc.add_root(tabs)
    return doc, dict(tabs=tabs, slider=slider, select=select, check=check, spinner=spinner, source=source, plot=plot)


def _patch(doc, change):
    """The PATCH-DOC content the Bokeh server sends for the changes `change()` makes to `doc`."""
    from bokeh.protocol import Protocol

    events = []
    doc.on_change(events.append)
    change()
    message = Protocol().create("PATCH-DOC", events, use_buffers=False)
    return json.loads(serialize_json(message.content))["events"]


def test_wire_doc_reads_a_bokeh_document_and_its_patches():
    doc, m = _bokeh_doc()
    wire = WireDoc()
    wire.load(json.loads(serialize_json(doc.to_json())))
    assert wire.tabs().id == m["tabs"].id
    found = {widget_title(w): w for w in wire.widgets(1)}
    assert set(found) == {"Time after programming", "Technology", "IR drop", "Seed"}
    assert wire.widgets(0) == []
    assert found["Time after programming"].attrs["value"] == 3.0
    # New data in a source, a new title: plot data. A widget's echo: not.
    assert wire.apply(_patch(doc, lambda: setattr(m["source"], "data", {"x": [0.0], "y": [5.0]})))
    assert wire.apply(_patch(doc, lambda: setattr(m["plot"].title, "text", "drifted")))
    assert not wire.apply(_patch(doc, lambda: setattr(m["slider"], "value", 4.5)))
    assert found["Time after programming"].attrs["value"] == 4.5
    # A tab's content replaced (the app's dynamic tabs): its new plots are new data, its new widgets are found.
    fresh = Slider(title="ADC bits", start=1, end=16, value=8)
    source2 = ColumnDataSource({"x": [1.0]})
    p2 = figure()
    p2.scatter("x", "x", source=source2)
    assert wire.apply(_patch(doc, lambda: setattr(m["tabs"].tabs[1], "child", Column(fresh, p2))))
    assert [widget_title(w) for w in wire.widgets(1)] == ["ADC bits"]
    # The first content shown again (Panel keeps a hidden tab's models): its plots come back whole.
    old = m["tabs"].tabs[1].child
    assert not wire.apply(_patch(doc, lambda: setattr(m["tabs"].tabs[1], "child", Column())))
    assert wire.apply(_patch(doc, lambda: setattr(m["tabs"].tabs[1], "child", old)))
    # A tag the server adds (a lesson's outlined control) is found under the tab, as a CSS class is.
    assert not wire.apply(_patch(doc, lambda: setattr(fresh, "tags", ["lesson-control"])))
    assert [w.id for w in wire.highlighted("lesson-control", 1)] == [fresh.id]
    assert wire.highlighted("lesson-control", 0) == []
    assert not wire.apply(_patch(doc, lambda: setattr(fresh, "tags", [])))
    assert wire.highlighted("lesson-control", 1) == []
    assert not wire.apply(_patch(doc, lambda: setattr(fresh, "css_classes", ["lesson-control"])))
    assert [w.id for w in wire.highlighted("lesson-control", 1)] == [fresh.id]


def test_allowed_changes_stay_on_the_widgets_grid_and_bounds():
    doc, m = _bokeh_doc()
    wire = WireDoc()
    wire.load(json.loads(serialize_json(doc.to_json())))
    w = {widget_title(x): x for x in wire.widgets(1)}
    rng = random.Random(1)
    seen = set()
    for _ in range(300):
        change = allowed_change(w["Time after programming"], rng)
        v = change["value"]
        assert change["value_throttled"] == v and v != 3.0 and 0.0 <= v <= 8.0 and (v / 0.5) == round(v / 0.5)
        seen.add(v)
    assert len(seen) == 16  # every other point of the 17-point grid
    for _ in range(300):  # a quarter of the range (2.0) around 3.0
        v = allowed_change(w["Time after programming"], rng, span=0.25)["value"]
        assert 1.0 <= v <= 5.0 and v != 3.0
    assert {allowed_change(w["Technology"], rng)["value"] for _ in range(100)} == {"RRAM", "Flash"}
    assert allowed_change(w["IR drop"], rng) == {"active": True}  # left out of the document at its default, False
    assert {allowed_change(w["Seed"], rng)["value"] for _ in range(50)} == {1}  # one step, within low=0
    with pytest.raises(ValueError, match="span"):
        allowed_change(w["Seed"], rng, span=0)


def test_memo_counts_lookups_and_hits():
    memo = Memo()
    assert memo.keyed("a", 1, lambda: 1) == 1
    assert memo.keyed("a", 1, lambda: 2) == 1
    assert memo.keyed("a", 2, lambda: 3) == 3
    assert memo.counts()["lookups"] == 3 and memo.counts()["hits"] == 1


def test_shared_results_count_computations_that_overlap():
    from explorer.views._widgets import SharedResults

    shared = SharedResults()
    started, release = threading.Event(), threading.Event()

    def slow():
        started.set()
        release.wait(10)
        return 1

    first = threading.Thread(target=shared.get, args=("k", slow))
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=shared.get, args=("k", lambda: 1))
    second.start()
    second.join(10)  # computed again while the first still runs
    release.set()
    first.join(10)
    shared.get("k", lambda: 2)  # kept: a hit
    stats = shared.stats()
    assert (stats["lookups"], stats["hits"], stats["duplicates"]) == (3, 1, 1)


def test_server_writes_its_counts_only_when_asked(tmp_path, monkeypatch):
    import os

    from explorer.sessions import STATS_ENV, write_stats

    base = tmp_path / "stats.json"
    path = tmp_path / f"stats.json.{os.getpid()}"  # one file per server process (--num-procs)
    monkeypatch.delenv(STATS_ENV, raising=False)
    write_stats("nothing asked")
    assert list(tmp_path.iterdir()) == []
    from explorer.sessions import start_stats_writer as writer

    assert writer() is None
    monkeypatch.setenv(STATS_ENV, str(base))
    write_stats("warm-up done")
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    data = json.loads(path.read_text())
    assert data["event"] == "warm-up done" and data["pid"] == os.getpid()
    assert {"lookups", "hits", "duplicates", "entries", "bytes"} <= set(data)
    # and every period, whether or not sessions start or end
    import gc
    import time

    import panel as pn

    from explorer.sessions import PAUSES_KEY, start_stats_writer

    assert start_stats_writer(0.05) is not None
    pauses = pn.state.cache.pop(PAUSES_KEY)  # the collections' timer it installed (its own test below)
    assert pauses in gc.callbacks
    gc.callbacks.remove(pauses)
    deadline = time.time() + 10
    while json.loads(path.read_text())["event"] != "periodic" and time.time() < deadline:
        time.sleep(0.05)
    assert json.loads(path.read_text())["event"] == "periodic"


def test_the_command_sums_the_server_processes_counts(tmp_path):
    """Two server processes' files (`explorer.sessions.stats_file`) are summed; a temporary file
    being written and other names are not read."""
    from explorer.tools.classload import _read_stats, _wait_for_warm_up

    base = tmp_path / "stats.json"
    assert _read_stats(str(base)) is None
    one = dict(lookups=10, hits=7, duplicates=1, entries=3, bytes=1000, event="periodic", pid=101)
    one.update(gc_full=4, gc_full_s=0.5, gc_full_longest_s=0.25)
    two = dict(lookups=5, hits=2, duplicates=0, entries=2, bytes=500, event="periodic", pid=102)
    two.update(gc_full=1, gc_full_s=0.125, gc_full_longest_s=0.125)
    (tmp_path / "stats.json.101").write_text(json.dumps(one))
    with pytest.raises(RuntimeError, match="1 of 2 server processes"):
        _wait_for_warm_up(str(base), 2, timeout=0.3, poll=0.05)
    (tmp_path / "stats.json.102").write_text(json.dumps(two))
    (tmp_path / "stats.json.102.140.tmp").write_text(json.dumps(two))
    (tmp_path / "other.json.103").write_text(json.dumps(two))
    got = _wait_for_warm_up(str(base), 2, timeout=1.0)
    assert got == dict(
        lookups=15, hits=9, duplicates=1, entries=5, bytes=1500, processes=2, gc_full=5, gc_full_s=0.625
    ) | dict(gc_full_longest_s=0.25)  # the longest collection: the largest of the processes'


def test_full_collections_are_counted_and_timed_and_written_with_the_counts(tmp_path, monkeypatch):
    import gc
    import os

    import panel as pn

    from explorer.sessions import PAUSES_KEY, STATS_ENV, CollectorPauses, write_stats

    pauses = CollectorPauses()
    gc.callbacks.append(pauses)
    try:
        gc.collect(0)  # a young collection is not counted
        assert pauses.count == 0
        gc.collect()
        gc.collect()
    finally:
        gc.callbacks.remove(pauses)
    assert pauses.count == 2 and 0 < pauses.longest_s <= pauses.total_s
    monkeypatch.setenv(STATS_ENV, str(tmp_path / "stats.json"))
    monkeypatch.setitem(pn.state.cache, PAUSES_KEY, pauses)
    write_stats("periodic")
    data = json.loads((tmp_path / f"stats.json.{os.getpid()}").read_text())
    assert data["gc_full"] == 2 and data["gc_full_s"] == pauses.total_s


def test_the_command_reads_which_process_served_each_session():
    from explorer.tools.classload import num_procs_of, sessions_by_process

    output = [
        "[explorer] session created: aaa (pid 11)\n",
        "[explorer] session ready: aaa (pid 11)\n",
        "[explorer] session created: bbb (pid 11)\n",  # its page reached 11, its websocket 12
        "[explorer] session created: bbb (pid 12)\n",
        "[explorer] session ready: bbb (pid 12)\n",
        "[explorer] session created: ccc (pid 12)\n",
        "[explorer] session ready: ccc (pid 12)\n",
        "[explorer] session destroyed: bbb (pid 11)\n",
    ]
    assert sessions_by_process(output) == dict(ready={"11": 1, "12": 2}, built_twice=1)
    assert num_procs_of(["--budget-jobs", "2"]) == 1
    assert num_procs_of(["--num-procs", "3"]) == 3 and num_procs_of(["--num-procs=2"]) == 2
    with pytest.raises(ValueError, match="num-procs"):
        num_procs_of(["--num-procs", "0"])
    with pytest.raises(ValueError, match="num-procs"):
        num_procs_of(["--num-procs", "two"])
    assert num_procs_of(["--processes", "2"]) == 2 and num_procs_of(["--processes=3"]) == 3
    with pytest.raises(ValueError, match="processes: at least 1"):
        num_procs_of(["--processes=0"])


def test_the_command_finds_the_server_processes_by_their_command_line():
    from explorer.tools.classload import _runs_panel_serve

    assert _runs_panel_serve(b"/usr/bin/python3\0-m\0panel\0serve\0/x/app.py\0--port\x005101\0")
    assert not _runs_panel_serve(b"/usr/bin/python3\0-m\0explorer.cli\0--processes\x002\0")  # the front
    assert not _runs_panel_serve(b"/usr/bin/python3\0-c\0from multiprocessing.spawn import spawn_main\0")
    assert not _runs_panel_serve(None)  # the process has gone


def _number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


@pytest.mark.browser
@pytest.mark.parametrize("mode", ["lesson", "explore"])
def test_a_small_class_runs_without_errors(mode, tmp_path):
    from explorer.tools.classload import report, run_students, write_json

    result = run_students(4, mode=mode, duration=20.0, after=5.0, seed=0)
    report(result)
    assert result["n_errors"] == 0, result["errors"]
    write_json(result, tmp_path / "class.json")
    data = json.loads((tmp_path / "class.json").read_text())
    # Every figure the report gives is a real number.
    for key in (
        "all_open_s",
        "sessions_per_s",
        "server_cpu_s",
        "server_cpu_per_session_s",
        "start_mb",
        "peak_mb",
        "mb_per_session",
        "after_mb",
        "client_cpu_s",
        "server_loop_cpu_s",
        "chromium_p50_ms",
        "chromium_p95_ms",
    ):
        assert _number(data[key]), (key, data[key])
    for key in ("p50", "p95", "max"):
        assert _number(data["student_updates"][key]), data["student_updates"]
    assert data["student_updates"]["n"] >= 4  # each student moved at least one control in 20 s
    assert data["chromium"]["all"]["n"] >= 1
    shared = data["shared_results"]
    assert shared["lookups"] > 0 and 0 <= shared["hits"] <= shared["lookups"] and _number(shared["hit_rate"])
    assert data["sessions_created"] >= 5  # four students and the page
    assert [t["what"] for t in data["targets"]][0] == "errors" and data["targets"][0]["met"]


def test_a_slider_moved_by_code_answers_a_move_back_to_its_old_value():
    """Found by the class run: a lesson step (code) set the Devices time to one year; the student's
    move back to one hour, the slider's value when it was built, changed nothing, because the page and
    the server kept the old throttled value and BokehJS sends only changed properties."""
    import param
    from bokeh.document import Document

    from explorer.views._widgets import throttled_slider

    class Model(param.Parameterized):
        x = param.Number(1.0, bounds=(0, 10), step=0.5)

    model = Model()
    widget = throttled_slider(model, "x")
    doc = Document()
    slider = widget.get_root(doc)
    doc.add_root(slider)
    model.x = 2.0  # code moves it: the page's throttled value follows
    assert (slider.value, slider.value_throttled) == (2.0, 2.0)
    slider.value = 1.0  # the page's move back, as a patch applies it
    slider.set_from_json("value_throttled", 1.0)
    assert model.x == 1.0


class _FakeSession:
    """A `WireStudent` stand-in for `ClassStudent._move`: it records what the student sent and answers
    each button with the plot data given in `answers` (label -> latency in ms, None: no plot data)."""

    def __init__(self, doc, answers):
        self.doc, self.answers, self.sent = doc, answers, []
        self.session_id = "S0"

    def _update(self, what, kind, latency):
        from explorer.tools.wire import Update

        u = Update(what=what, kind=kind, sent=0.0, latency=latency)
        if latency is None:
            u.reason = "no new plot data within 30 s"
        return u

    async def change(self, model, attrs, timeout=30.0, what=""):
        self.sent.append(("change", widget_title(model)))
        return self._update(what, "widget", self.answers.get("move"))

    async def change_only(self, model, attrs):
        self.sent.append(("change_only", widget_title(model)))

    async def click(self, model, timeout=60.0, what="", first_only=False):
        label = model.attrs["label"]
        self.sent.append(("click", label, first_only))
        return self._update(what, "button", self.answers.get(label))


def _run_tab_doc():
    """A Bokeh document with a run's tab: a run setting, an ordinary control, Start and Reset."""
    from bokeh.models import Button

    from explorer.views._runs import RUN_RESET_CLASS, RUN_SETTING_TAG, RUN_START_CLASS

    gain = Slider(title="Correction gain", start=0.1, end=1.0, step=0.1, value=0.5, tags=[RUN_SETTING_TAG])
    size = Slider(title="Matrix size", start=16, end=128, step=16, value=64)
    start = Button(label="Start", css_classes=[RUN_START_CLASS])
    reset = Button(label="Reset", css_classes=[RUN_RESET_CLASS])
    tabs = Tabs(
        tabs=[
            TabPanel(title="Overview", child=Column()),
            TabPanel(title="Programming", child=Column(start, reset, gain, size)),
        ]
    )
    doc = Document()
    doc.add_root(tabs)
    wire = WireDoc()
    wire.load(json.loads(serialize_json(doc.to_json())))
    return wire, {widget_title(w): w for w in wire.widgets(1)}


def test_a_student_moves_only_the_controls_the_page_shows():
    """A control hidden by its style (`explorer.views._widgets.show`: the Reliability tab's study
    controls), inside a hidden column, or not visible is not on the page: no student moves it; one
    shown again by a patch is moved again."""
    shown = Slider(title="Read voltage", start=0.2, end=0.6, step=0.05, value=0.4)
    styled = Slider(title="Cells per bit line", start=8, end=256, step=8, value=128, styles={"display": "none"})
    inside = Slider(title="Inside", start=0, end=1, step=0.5, value=0)
    gone = Slider(title="Gone", start=0, end=1, step=0.5, value=0, visible=False)
    tabs = Tabs(
        tabs=[
            TabPanel(title="Overview", child=Column()),
            TabPanel(
                title="Reliability", child=Column(shown, styled, Column(inside, styles={"display": "none"}), gone)
            ),
        ]
    )
    doc = Document()
    doc.add_root(tabs)
    wire = WireDoc()
    wire.load(json.loads(serialize_json(doc.to_json())))
    assert [widget_title(w) for w in wire.widgets(1)] == ["Read voltage"]
    # The server shows the study's control again and hides the other: as Panel's patch sends it.
    events = [
        {"kind": "ModelChanged", "model": {"id": m.id}, "attr": "styles", "new": new}
        for m, new in (
            (styled, {"type": "map", "entries": [["display", "block"]]}),
            (shown, {"type": "map", "entries": [["display", "none"]]}),
        )
    ]
    wire.apply(events)
    assert [widget_title(w) for w in wire.widgets(1)] == ["Cells per bit line"]


@pytest.mark.parametrize(
    "answers, errors",
    [
        ({"Start": 120.0, "Reset": 80.0}, []),  # the run's first point, then Reset's redraw
        ({"Start": None, "Reset": None}, ["then Start: no new plot data"]),  # the run never answered
        ({"Start": 120.0, "Reset": None}, ["Reset after"]),  # the run had a point, Reset never redrew
    ],
)
def test_a_run_setting_is_answered_by_its_run_and_a_late_answer_is_an_error(answers, errors):
    """A run's setting redraws nothing until Start: its move is not counted as an error, but its run's
    first point (Start -> first plot data) is timed and its absence is one, as is a late Reset."""
    import asyncio

    from explorer.tools.classload import ClassStudent

    wire, w = _run_tab_doc()
    student = ClassStudent(0, "http://127.0.0.1:1/app", "explore", seed=0)
    student.session = _FakeSession(wire, answers)
    asyncio.run(student._move(1, w["Correction gain"], {"value": 0.7, "value_throttled": 0.7}, "Correction gain = 0.7"))
    assert student.session.sent == [
        ("change_only", "Correction gain"),
        ("click", "Start", True),  # timed to the first point
        ("click", "Reset", False),
    ]
    (tab, run), *rest = student.updates
    assert tab == 1 and run.kind == "run" and run.latency == answers["Start"]
    assert len(student.errors) == len(errors)
    for got, want in zip(student.errors, errors):
        assert want in got, student.errors


def test_an_ordinary_control_without_an_answer_is_still_an_error():
    import asyncio

    from explorer.tools.classload import ClassStudent

    wire, w = _run_tab_doc()
    student = ClassStudent(0, "http://127.0.0.1:1/app", "explore", seed=0)
    student.session = _FakeSession(wire, {"move": None})
    asyncio.run(student._move(1, w["Matrix size"], {"value": 32, "value_throttled": 32}, "Matrix size = 32"))
    assert student.session.sent == [("change", "Matrix size")]  # no Start for an ordinary control
    assert len(student.errors) == 1 and "Matrix size = 32: no new plot data" in student.errors[0]


@pytest.mark.parametrize(
    "logged, unchanged",
    [
        (["[explorer] update 12.5 ms (2 parts, 0 changed) session S1\n"], True),  # computed, drew the same
        (["[explorer] update 12.5 ms (2 parts, 0 changed) session OTHER\n"], False),  # another session's
        (
            [
                "[explorer] update 9.1 ms (1 parts, 0 changed) session S1\n",
                "[explorer] update 3.0 ms (1 parts, 4 changed) session S1\n",
            ],
            False,
        ),
        ([], False),  # never answered
    ],
)
def test_a_move_the_server_answered_with_every_plot_as_it_was_is_not_an_error(logged, unchanged):
    """A move that changed no plot is an error unless the server's log says its session's update
    was computed and changed no plot property (`changed_no_plot`); then it is counted apart."""
    import asyncio

    from explorer.tools.classload import ClassStudent

    wire, w = _run_tab_doc()
    output = ["[explorer] update 5.0 ms (1 parts, 0 changed) session S1\n"]  # before the move: not its
    student = ClassStudent(0, "http://127.0.0.1:1/app", "explore", seed=0, server_output=output)
    session = _FakeSession(wire, {"move": None})
    session.session_id = "S1"  # the session the server's log names
    answer = session.change

    async def change(*args, **kwargs):
        output.extend(logged)  # what the server logs while the move waits
        return await answer(*args, **kwargs)

    session.change = change
    student.session = session
    asyncio.run(student._move(1, w["Matrix size"], {"value": 32, "value_throttled": 32}, "Matrix size = 32"))
    assert student.unchanged == (["Matrix size = 32"] if unchanged else [])
    assert len(student.errors) == (0 if unchanged else 1)


def test_the_server_process_makes_full_collections_rarer_and_freezes_the_warm_objects():
    import gc

    from explorer.sessions import COLLECTOR_THRESHOLDS, tune_collector

    before = gc.get_threshold()
    try:
        tune_collector()
        assert gc.get_threshold() == COLLECTOR_THRESHOLDS and COLLECTOR_THRESHOLDS[2] > before[2]
        assert gc.get_freeze_count() == 0
        tune_collector(freeze=True)
        assert gc.get_freeze_count() > 0  # every object alive now left out of later full collections
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
