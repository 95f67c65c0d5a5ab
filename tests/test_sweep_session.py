"""The Sweeps tab's model (`explorer.models.sweep_session`) and its view without a browser: a small
sweep on a LocalCluster of 2 workers streams its results in, equal to the serial run; cancel keeps
the finished points and resume computes only the rest; bad text and an unreachable scheduler are
refused with the reason; a point opens as a scenario on its tab; no Dask at page load."""

import subprocess
import sys
import time

import pytest

from explorer.models.sweep_session import DEFAULT_TEXT, SweepSession
from explorer.models.sweeps import compute_point, parse
from explorer.sweeps_dask import Engine

SMALL = """\
format: analog-explorer-sweep
version: 1
seed: 3
chips: 2
metrics: [xb.mvm_error, xb.adc_clipping]
base:
  xb: {technology: RRAM}
grid:
  xb.n_slices: [1, 2]
  xb.xb.adc_bits: [4, 6, 8]
"""
"""Six points of the Crossbar tab's read-out errors (fast: no network, no training)."""


@pytest.fixture(scope="module")
def engine():
    with Engine(n_workers=2, dashboard=None) as e:
        yield e


def wait(session, until, timeout=120.0):
    """Refresh `session` (as the page's callback does) until `until()` or `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not until() and time.monotonic() < deadline:
        session.refresh()
        time.sleep(0.05)
    session.refresh()
    assert until(), f"state {session.state}, {session.done} of {session.total}: {session.message}"


def same(result, reference):
    return result.same_numbers(reference)


def test_the_default_sweep_streams_in_the_serial_numbers_and_fills_the_views(engine):
    asked = []
    session = SweepSession(engine_for=lambda address: asked.append(address) or engine)
    assert asked == [] and session.state == "idle"  # no engine before a run starts
    assert session.start()
    assert asked == [None]  # an empty address: the local cluster
    seen = []
    session.param.watch(lambda e: seen.append(e.new), "done")
    wait(session, lambda: session.state == "finished")
    assert session.done == session.total == 4 and session.computed == 4
    assert seen[-1] == 4 and seen == sorted(seen)  # progress only goes up
    sweep = parse(DEFAULT_TEXT)
    for i, point in enumerate(sweep.points()):
        assert same(session.results[i], compute_point(sweep, point, i)), i
    # The views' data: every heatmap cell filled (x: technology, y: slices), the mean of its point.
    assert (session.x_axis, session.y_axis, session.metric) == ("rel.technology", "rel.n_slices", "rel.accuracy")
    assert session.time_s == sweep.times_s[-1]  # the last read time (1 y) is shown first
    h = session.heatmap()
    assert h["count"].tolist() == [[1, 1], [1, 1]]
    year = {i: next(r.value for r in session.results[i].rows if r.time_s == sweep.times_s[-1]) for i in range(4)}
    assert h["value"].tolist() == [[year[0], year[2]], [year[1], year[3]]]
    assert session.curves() == {1: [("PCM", year[0]), ("RRAM", year[2])], 2: [("PCM", year[1]), ("RRAM", year[3])]}
    # The Pareto front of accuracy against the slices (the cost axis): no point beats a front point.
    pareto = session.pareto()
    assert session.cost == "rel.n_slices" and set(pareto["points"]) == {0, 1, 2, 3}
    for i in pareto["front"]:
        c, v = pareto["points"][i]
        assert not any(c2 <= c and v2 >= v and (c2, v2) != (c, v) for c2, v2 in pareto["points"].values())
    assert pareto["settings"][2] == 'rel.technology="RRAM", rel.n_slices=1'


def slow(delay):
    """A task function computing a point after `delay` seconds (pickled by value for the workers)."""

    def compute(sweep, point, index):
        time.sleep(delay)
        return compute_point(sweep, point, index)

    return compute


def test_cancel_keeps_the_finished_points_and_resume_computes_only_the_rest(engine):
    session = SweepSession(engine_for=lambda address: engine, compute=slow(0.5), text=SMALL)
    assert session.start() and session.total == 6
    wait(session, lambda: session.done >= 2)
    session.cancel()
    assert session.state == "cancelling"
    wait(session, lambda: not session.running, timeout=10)
    assert session.state == "cancelled"
    kept = dict(session.results)
    assert 2 <= len(kept) < 6, len(kept)  # 2 workers, 0.5 s a point: the cancel came before the end
    assert session.resume()
    wait(session, lambda: session.state == "finished")
    assert session.computed == 6 - len(kept)  # only the missing points computed again
    assert all(session.results[i] is not None and same(session.results[i], kept[i]) for i in kept)
    sweep = parse(SMALL)
    for i, point in enumerate(sweep.points()):
        assert same(session.results[i], compute_point(sweep, point, i)), i
    # A second Start of the same text: every point from the session's cache, none computed.
    assert session.start()
    wait(session, lambda: session.state == "finished")
    assert session.computed == 0 and session.done == 6
    # Text edited after a run: the views keep the shown sweep's choices and data until Start.
    drawn = session.heatmap()["value"].copy()
    session.text = SMALL.replace("xb.n_slices: [1, 2]", "xb.n_slices: [1, 2, 3]").replace(
        "xb.xb.adc_bits", "xb.xb.dac_bits"
    )
    assert session.check() is not None and session.y_axis == "xb.xb.adc_bits"
    assert (session.heatmap()["value"] == drawn).all()
    # Start on the enlarged grid: the choices follow it, and only its new points compute.
    session.text = SMALL.replace("xb.n_slices: [1, 2]", "xb.n_slices: [1, 2, 3]")
    assert session.start()
    wait(session, lambda: session.state == "finished")
    assert session.computed == 3 and session.done == 9
    assert session.heatmap()["count"].tolist() == [[1, 1, 1]] * 3


def test_bad_text_is_refused_naming_the_field_and_nothing_starts():
    asked = []
    session = SweepSession(engine_for=lambda address: asked.append(address), text=SMALL)
    session.text = SMALL.replace("xb.xb.adc_bits: [4, 6, 8]", "xb.xb.adc_bits: [4, 6, 99]")
    assert not session.start()
    assert session.error_field == "grid.xb.xb.adc_bits[2]" and "grid.xb.xb.adc_bits[2]" in session.message
    session.text = SMALL.replace("xb.n_slices", "xb.no_such_setting")
    assert not session.start()
    assert "no_such_setting" in session.message and "allowed" in session.message
    assert asked == [] and session.state == "idle"
    session.text = SMALL
    assert session.check() is not None and session.message == "" and session.error_field == ""
    # The choices follow the sweep: its metrics, its axes, no read time (no timed metric).
    assert session.param.metric.objects == ["xb.mvm_error", "xb.adc_clipping"]
    assert session.x_axis == "xb.n_slices" and session.y_axis == "xb.xb.adc_bits" and session.time_s is None


def test_an_unreachable_scheduler_fails_the_run_within_5_s_and_the_session_stays_usable():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    session = SweepSession(engine_for=Engine, text=SMALL, address=f"tcp://127.0.0.1:{port}")
    start = time.monotonic()
    assert session.start()
    wait(session, lambda: not session.running, timeout=10)
    assert time.monotonic() - start < 5.0
    assert session.state == "failed" and "SchedulerError" in session.message and str(port) in session.message
    assert session.error_field == "address"
    assert session.done == 0 and session.total == 6
    assert session.start()  # Start is allowed again (and fails again, the scheduler being still away)
    wait(session, lambda: not session.running, timeout=10)
    assert session.state == "failed"


def test_a_point_opens_as_a_scenario_on_its_tab(engine):
    import panel as pn

    from explorer.app import build_app

    app = build_app()
    tabs = next(o for o in app.objects if isinstance(o, pn.Tabs))
    view = app.sweeps
    view.model._engine_for = lambda address: engine
    view.start()
    wait(view.model, lambda: view.model.state == "finished")
    assert list(view.point.options.values()) == [0, 1, 2, 3] and not view.open_button.disabled
    assert view.heatmap_pane.object is not None and "4 of 4 points" in view.heatmap_pane.object.opts["title"]
    # The figures render with Bokeh; the Pareto hover names each point's settings.
    import holoviews as hv
    from bokeh.models import HoverTool

    for pane in (view.heatmap_pane, view.curves_pane, view.pareto_pane):
        hv.render(pane.object, backend="bokeh")
    pareto = hv.render(view.pareto_pane.object, backend="bokeh")
    assert pareto.yaxis[0].axis_label == "rel.accuracy at 1 y (%)" and pareto.xaxis[0].axis_label == "rel.n_slices"
    hovers = pareto.select(HoverTool)
    assert any("@{settings}" in str(h.tooltips) or "@settings" in str(h.tooltips) for h in hovers), hovers
    # A tap on the Pareto figure's k-th point chooses that point (the figure lists them by index).
    scatter = next(el for el in view.pareto_pane.object if "settings" in [d.name for d in el.vdims])
    shown = [int(i) for i in scatter.dimension_values("point")]
    view._tap.event(index=[shown.index(1)])
    assert view.point.value == 1
    # A tap on a heatmap cell (its categories as drawn) chooses the cell's point: RRAM, one slice.
    x_axis, y_axis = view.model.x_axis, view.model.y_axis
    cell = {x_axis: "RRAM", y_axis: 1}
    expected = next(i for i, r in view.model.results.items() if all(r.point[k] == v for k, v in cell.items()))
    view._cell_tap.event(x="RRAM", y="1")
    assert view.point.value == expected != 1
    view._cell_tap.event(x="FeFET", y="1")  # not a category of the grid: nothing changes
    assert view.point.value == expected
    # Lecture mode redraws the figures with the page's larger fonts and taller plots.
    heights = [pane.object.opts["height"] for pane in (view.heatmap_pane, view.curves_pane, view.pareto_pane)]
    view.presentation.lecture = True
    for pane, height in zip((view.heatmap_pane, view.curves_pane, view.pareto_pane), heights):
        assert pane.object.opts["fontscale"] == 1.5 and pane.object.opts["height"] > height
    view.presentation.lecture = False
    assert view.heatmap_pane.object.opts["fontscale"] == 1.0
    view.point.value = 3
    assert view.opened.object.startswith("Chosen: 3: ")  # the choice is echoed before it is opened
    view.open_point()
    assert tabs.active == 5  # the Reliability tab, the metrics' tab
    explorer = app.objects[0].objects[1].explorers["rel"]
    assert (explorer.technology, explorer.n_slices, explorer.compensation) == ("RRAM", 2, "none")
    assert "Opened Sweep point 3" in view.opened.object


def test_the_page_starts_no_dask_until_a_sweep_starts():
    code = (
        "import sys\n"
        "from explorer.app import build_app\n"
        "app = build_app()\n"
        "import panel as pn\n"
        "tabs = next(o for o in app.objects if isinstance(o, pn.Tabs))\n"
        "pn.panel(tabs[9]).get_root()\n"
        "print('distributed' in sys.modules, [k for k in pn.state.cache if 'sweeps-engine' in str(k)])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[-2] == "False []"
