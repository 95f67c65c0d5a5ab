"""Heavy requests computed in a worker process (explorer.workers): the charts a dashboard draws from a
worker's results equal those it computes itself at the same settings and seed, the dashboard's own
process computes nothing heavy, and a job names only a dashboard of the app."""

import time

import pytest

from explorer.admission import GB, Budget
from explorer.models.dashboards.crossbar import CrossbarExplorer
from explorer.views._live import _same
from explorer.views._widgets import shared_results
from explorer.views.crossbar import CrossbarView
from explorer.workers import Job, Workers, compute, job_for, seed

SETTINGS = dict(size=48, n_slices=2, batch=8, seed=7, adc_bits=5, ir_drop=True)
WAIT_S = 180.0
"""Seconds for a worker process to start (it imports the app: slow the first time) and compute."""


def shown(view):
    """Every plot's shown values, by chart heading and plot."""
    return {heading: [plot._shown for plot in plots] for heading, plots in view._plots.items()}


def in_process():
    view = CrossbarView(model=CrossbarExplorer(**SETTINGS))
    view.plots()
    return view


def assert_same_charts(a, b):
    sa, sb = shown(a), shown(b)
    assert sa.keys() == sb.keys()
    for heading in sa:
        for pa, pb in zip(sa[heading], sb[heading]):
            assert pa.keys() == pb.keys(), heading
            for key in pa:
                assert _same(pa[key], pb[key]), (heading, key)


def test_charts_drawn_from_a_workers_results_equal_the_in_process_ones_and_nothing_heavy_runs_here():
    shared_results().memo.clear()  # as in a fresh worker process: nothing computed yet
    harvest = compute(job_for(CrossbarView(model=CrossbarExplorer(**SETTINGS))))
    shared_results().memo.clear()
    reference = in_process()
    model = CrossbarExplorer(**SETTINGS)
    view = CrossbarView(model=model)
    seed(view, harvest)
    view.plots()
    assert_same_charts(view, reference)
    kinds = {name for name, _, _ in model.memo.kept()}
    assert "programmed" not in kinds  # no array programmed in this process
    assert "outputs" in kinds  # the key figures read the worker's outputs
    assert model.key_figures() == reference.model.key_figures()


def test_a_dashboard_on_an_isolated_budget_draws_what_its_worker_computed():
    budget = Budget(GB, jobs=1, heavy_bytes=1, isolate=True)  # every update heavy: all go to the worker
    try:
        view = CrossbarView(model=CrossbarExplorer(**SETTINGS))
        view.budget = budget
        view.plots()  # the first build is heavy too: queued, computed by the worker
        computed = 0
        end = time.monotonic() + WAIT_S
        while (budget.running() or view.admission_shown() or len(view.computed) == computed) and time.monotonic() < end:
            time.sleep(0.1)
        assert len(view.computed) > computed and not view.admission_shown()
        assert budget.workers.started == 1 and len(budget.workers.pids()) == 1
        assert_same_charts(view, in_process())
        assert "programmed" not in {name for name, _, _ in view.model.memo.kept()}
    finally:
        if budget.workers is not None:
            budget.workers.close()


@pytest.mark.parametrize(
    "tab, settings",
    [("enc", dict(size=32, batch=8, seed=5)), ("rel", dict(chips=2, n_slices=2, seed=5))],
)
def test_the_other_heavy_tabs_draw_from_a_workers_results_what_they_compute_themselves(tab, settings):
    from explorer import views
    from explorer.models import scenario

    cls = {"enc": views.EncodingView, "rel": views.ReliabilityView}[tab]
    shared_results().memo.clear()  # as in a fresh worker process
    harvest = compute(job_for(cls(model=scenario.TABS[tab](**settings))))
    shared_results().memo.clear()
    reference = cls(model=scenario.TABS[tab](**settings))
    reference.plots()
    shared_results().memo.clear()
    model = scenario.TABS[tab](**settings)
    view = cls(model=model)
    seed(view, harvest)
    view.plots()
    assert_same_charts(view, reference)
    # Every result the explorer keeps here came from the worker: nothing was programmed or read here.
    assert {name for name, _, _ in model.memo.kept()} <= {name for name, _, _ in harvest.model}


@pytest.mark.parametrize(
    "job, field",
    [
        (Job("os:system", "xb", "{}"), "view"),
        (Job("explorer.views.crossbar:CHARTS", "xb", "{}"), "view"),
        (Job("explorer.views.crossbar:CrossbarView", "nope", "{}"), "tab"),
    ],
)
def test_a_job_names_a_dashboard_and_a_tab_of_the_app(job, field):
    with pytest.raises(ValueError, match=field):
        compute(job)


def test_bad_pool_and_budget_settings_name_the_field():
    with pytest.raises(ValueError, match="size"):
        Workers(0)
    with pytest.raises(ValueError, match="isolate"):
        Budget(GB, isolate="yes")
    with pytest.raises(ValueError, match="EXPLORER_BUDGET_WORKERS"):
        Budget.from_environment({"EXPLORER_BUDGET_WORKERS": "fork"})
    assert Budget.from_environment({}).isolate and not Budget(GB).isolate


# ------------------------------------------------------------------ a scenario file's pin


def pinned_view(budget):
    view = CrossbarView(model=CrossbarExplorer(size=32, n_slices=1, batch=8))
    view.plots()  # light: built and drawn before the budget applies
    view.budget = budget
    return view


def test_a_heavy_pin_from_a_scenario_file_is_refused_with_the_reason_and_nothing_is_computed():
    from explorer.views import pins

    view = pinned_view(Budget(GB // 4, jobs=1, heavy_bytes=100 * 2**20))
    hostile = {**pins.settings_of(view.model), "size": 4096}  # about 3.5 GB: above the whole budget
    started = time.perf_counter()
    pins.pin_settings(view, hostile)
    assert time.perf_counter() - started < 5.0  # a 4096 matrix would take minutes
    assert view.pin is None  # not pinned
    assert view.admission_shown() and view.admission.alert_type == "danger"
    text = view.admission.object
    assert text.startswith(pins.PIN_MESSAGE) and "4096" in text and "--budget-memory-gb" in text


def test_a_heavy_pin_within_the_budget_is_computed_in_a_worker_and_equals_the_in_process_pin():
    from explorer.views import pins

    budget = Budget(GB, jobs=1, heavy_bytes=1, isolate=True)  # the pin is heavy: it goes to the worker
    try:
        view = pinned_view(budget)
        settings = {**pins.settings_of(view.model), "size": 48, "seed": 3}
        pins.pin_settings(view, settings)
        end = time.monotonic() + WAIT_S
        while (view.pin is None or budget.running() or view.admission_shown()) and time.monotonic() < end:
            time.sleep(0.1)
        assert view.pin is not None and view.pin.data and not view.admission_shown()
        assert budget.workers.started == 1
        expected, figures = pins.computed_data(view, settings)  # in this process
        assert view.pin.key_figures == figures
        assert view.pin.data.keys() == expected.keys()
        for heading, per_plot in expected.items():
            for got, want in zip(view.pin.data[heading], per_plot):
                assert got.keys() == want.keys() and all(_same(got[k], want[k]) for k in want), heading
    finally:
        if budget.workers is not None:
            budget.workers.close()
