"""The Programming dashboard's model and view, without a browser: a run that steps and streams,
settings that restart it, the comparison table, and the controls built from the models."""

import re
import time

import numpy as np
import panel as pn
import pytest
from argnames import naming
from bokeh.document import Document

from explorer.models.dashboards.programming import RUN_METHODS, ProgrammingExplorer
from explorer.views.programming import ProgrammingView, comparison_markdown


def small(**kw):
    return ProgrammingExplorer(size=16, **kw)


def test_a_run_steps_and_its_history_grows_one_row_per_iteration():
    ex = small(max_iterations=6)
    assert ex.iteration == 0 and len(ex.convergence()["mvm_error"]) == 1
    ex.step(2)
    ex.step(2)
    h = ex.convergence()
    assert ex.iteration == 4 and list(h["iteration"]) == [0, 1, 2, 3, 4]
    assert np.all(np.diff(h["pulses"]) >= 0) and np.all(np.diff(h["reads"]) > 0)  # verify reads devices
    assert h["mvm_error"][-1] < h["mvm_error"][0]


def test_the_same_settings_give_the_same_curve_however_the_run_is_stepped():
    one, other = small(max_iterations=5), small(max_iterations=5)
    one.step(5)
    for _ in range(5):
        other.step(1)
    for key in ("mvm_error", "weight_error", "pulses", "chip_time_s"):
        np.testing.assert_array_equal(one.convergence()[key], other.convergence()[key])


@pytest.mark.parametrize(
    "change",
    [
        lambda ex: setattr(ex, "seed", 1),
        lambda ex: setattr(ex.programming, "tolerance", 0.05),
        lambda ex: setattr(ex.programming, "method", "gdp"),
        lambda ex: setattr(ex.xb, "ir_drop", True),
        lambda ex: setattr(ex, "log10_wire_resistance", 0.0),
    ],
)
def test_any_setting_change_starts_a_new_run_at_iteration_zero(change):
    ex = small()
    ex.step(3)
    seen = []
    ex.param.watch(lambda e: seen.append(e.new), "iteration")
    change(ex)
    assert ex.iteration == 0 and seen  # the plots are told
    fresh = ProgrammingExplorer(**ex.settings())
    assert ex.settings() == fresh.settings()
    np.testing.assert_array_equal(ex.convergence()["mvm_error"], fresh.convergence()["mvm_error"])


def test_comparison_runs_every_method_on_the_same_matrix_and_says_how_each_ended():
    ex = small(max_iterations=30)
    rows = ex.comparison()
    assert [r["method"] for r in rows] == list(RUN_METHODS)
    by = {r["method"]: r for r in rows}
    assert by["gdp"]["reads"] == 0 and by["gdp"]["mvms"] > 0  # blind: no single-device read
    assert by["verify"]["reads"] > 0 and by["one-shot"]["iterations"] == 1
    assert by["verify"]["weight_error"] < by["one-shot"]["weight_error"]
    table = comparison_markdown(rows)
    assert table.count("\n") == 3 + len(rows) and "| gdp |" in table


def test_comparison_reports_chip_time_both_ways_and_states_the_assumption():
    """Issue 21: verify's chip time with a row at once (the default) and one device at a time, both in
    the rows and the table, with the number of devices verified at once said under it."""
    ex = small(max_iterations=10)
    by = {r["method"]: r for r in ex.comparison()}
    row_devices = 32  # 16 weight columns, a differential pair each, one slice
    assert by["verify"]["devices_at_once"] == row_devices
    assert by["verify"]["chip_time_s"] < by["verify"]["chip_time_serial_s"]
    assert by["gdp"]["chip_time_s"] == by["gdp"]["chip_time_serial_s"]
    table = comparison_markdown(list(by.values()))
    assert "chip time, one at a time (µs)" in table.splitlines()[0]
    assert f"verify pulses and reads {row_devices} devices of a row at once" in table and "Narayanan" in table
    ex.programming.parallel_verify = 1
    by = {r["method"]: r for r in ex.comparison()}
    assert by["verify"]["chip_time_s"] == by["verify"]["chip_time_serial_s"]
    assert "reads 1 device of a row at once" in comparison_markdown(list(by.values()))


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match=naming("method")):
        ProgrammingExplorer(method="statistical")
    with pytest.raises(ValueError, match="unknown parameter"):
        ProgrammingExplorer(learning_rat=1.0)


def rendered(**kw):
    view = ProgrammingView(model=small(**kw))
    pn.panel(view).get_root(Document())
    return view


def test_the_view_streams_the_run_from_its_own_thread_and_pauses():
    view = rendered(max_iterations=200, method="gdp")
    plot = view._plots["Convergence"][0]
    view.start()
    deadline = time.time() + 60
    while view.model.iteration < 3 and time.time() < deadline:
        time.sleep(0.05)
    view.pause()
    assert not view._start.disabled and view._pause.disabled  # at once, while the last step ends
    assert view._run_state(1) in ("pausing", "paused")
    view._driver.join(timeout=30)
    assert view._run_state(1) == "paused"
    assert re.search(r", (paused|converged|finished)\.\*$", view._status.object)  # not running or pausing
    reached = view.model.iteration
    assert reached >= 3
    assert len(plot.sources["mvm"].data["x"]) == reached + 1  # every point drawn
    assert f"iteration {reached}" in plot.figure.title.text
    assert not view._start.disabled and view._pause.disabled
    time.sleep(0.3)
    assert view.model.iteration == reached  # paused: no more steps
    view.reset()
    assert view.model.iteration == 0 and len(plot.sources["mvm"].data["x"]) == 1


def test_the_controls_are_the_models_own_parameters():
    view = rendered()
    widgets = view.widgets()
    assert widgets["method.method"].options == list(RUN_METHODS)
    assert widgets["method.tolerance"].name == view.model.programming.param.tolerance.label
    assert widgets["method.parallel_verify"].name == "Devices verified at once (0: a row)"
    assert widgets["method.parallel_verify"].value == 0
    assert widgets["adc_offset_lsb"].name == view.model.xb.param.adc_offset_lsb.label
    synced = dict((id(obj), names) for obj, names in view.synced())
    assert synced[id(view.model.programming)] == list(view.model.METHOD_CONTROLS)
    assert synced[id(view.model.xb)] == list(view.model.READ_CONTROLS)


def test_the_cost_plot_says_how_many_devices_verify_reads_at_once():
    view = rendered(max_iterations=3)
    view.model.step(2)
    view._show_changes()
    title = view._plots["Convergence"][1].figure.title.text
    serial = 1e6 * view.model.convergence()["chip_time_serial_s"][-1]
    assert "32 devices verified at once" in title and f"one at a time {serial:,.1f} µs" in title
    from explorer.views.programming import CHARTS

    text = next(c.text for c in CHARTS if c.heading == "Convergence")  # beside the cost plot
    assert "Devices verified at once" in text and "Narayanan" in text
