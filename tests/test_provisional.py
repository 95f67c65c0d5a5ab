"""Issue 26 item 3: a change whose exact result is slow shows a provisional first result, labelled,
then the exact one, which equals what the full computation gives; a newer change drops the
refinement; kept results and batched changes (lesson steps, scenarios) get none."""

import numpy as np
import panel as pn
import pytest

from explorer.models import CrossbarExplorer
from explorer.views._live import page_batch
from explorer.views._widgets import SHARED_KEY, SharedResults
from explorer.views.crossbar import PROVISIONAL_SIZE, CrossbarView

OUTPUTS = "Ideal versus analog outputs"


@pytest.fixture(autouse=True)
def fresh_shared_results(monkeypatch):
    """Each test starts with no results shared by other sessions (a kept result gets no first result)."""
    monkeypatch.setitem(pn.state.cache, SHARED_KEY, SharedResults())


def rendered_view(**settings):
    view = CrossbarView(model=CrossbarExplorer(**settings))
    view._render()
    return view


def record_titles(view, heading):
    """The titles each update gives the chart's first plot, in order."""
    plot = view._plots[heading][0]
    titles, apply = [], plot.apply

    def recording(update, generation=None):
        if "title" in update:
            titles.append(update["title"])
        return apply(update, generation)

    plot.apply = recording
    return titles


def record_alert(view):
    shown = []
    view.admission.param.watch(lambda e: shown.append(e.new.get("display") != "none"), "styles")
    return shown


def test_slow_method_shows_a_labelled_first_result_then_the_exact_one():
    view = rendered_view()
    titles, alert = record_titles(view, OUTPUTS), record_alert(view)
    computed_before = len(view.computed)

    view.model.programming_method = "verify"

    side = PROVISIONAL_SIZE
    assert len(titles) == 2, titles
    assert titles[0].startswith(f"Provisional (a {side} x {side} protocol matrix instead of 256 x 256): MVM error")
    assert not titles[1].startswith("Provisional")
    assert alert == [True, False]  # the page's note came with the first result and left with the exact one
    # Every chart on the page had a first result, and every one was then computed exactly.
    assert {h for h, _ in view.provisionals} == {h for h, _ in view.computed}
    assert len(view.computed) - computed_before == len(view.provisionals)

    # The exact result is the full computation's: a model of its own at the same settings.
    exact = CrossbarExplorer(**view.model.settings()).outputs()
    shown = view._plots[OUTPUTS][0].sources["points"].data
    np.testing.assert_array_equal(np.asarray(shown["y"]), exact["analog"].astype(np.float32))
    assert titles[1].startswith(f"MVM error {exact['mvm_error']:.2%}")
    # The first result is the stand-in's: the same settings on a smaller matrix.
    stand_in = CrossbarExplorer(**{**view.model.settings(), "size": side}).outputs()
    assert f"MVM error {stand_in['mvm_error']:.2%}," in titles[0]


def test_a_newer_change_drops_the_refinement_before_it_is_computed():
    view = rendered_view()
    computed_before = len(view.computed)
    first = view.provisional

    def newer_change_meanwhile(names):
        found = first(names)
        view._next_generation()  # another key press, counted while the first result computes
        return found

    view.provisional = newer_change_meanwhile
    view.model.programming_method = "gdp"

    assert view.refinements_dropped == 1
    assert len(view.provisionals) > 0
    assert len(view.computed) == computed_before  # no exact part computed
    assert view.model.memo.peek("programmed", view.model.array_key) is None  # the array was never programmed


def test_no_first_result_when_quick_kept_or_batched():
    view = rendered_view()
    view.model.programming_method = "one-shot"  # programs the default array in tens of milliseconds
    assert len(view.provisionals) == 0

    view.model.programming_method = "verify"
    n = len(view.provisionals)
    assert n > 0
    view.model.programming_method = "statistical"
    view.model.programming_method = "verify"  # reprogrammed, but the server's results hold its charts
    assert len(view.provisionals) == n

    with page_batch([view]):  # a lesson step or a scenario: one message, no first result
        view.model.programming_method = "gdp"
    assert len(view.provisionals) == n
    assert any(h == OUTPUTS for h, _ in list(view.computed)[-7:])

    small = rendered_view(size=PROVISIONAL_SIZE)
    small.model.programming_method = "verify"
    assert len(small.provisionals) == 0


def test_reliability_shows_the_first_chips_first():
    """A change that reprograms the chips shows the curve of the first two chips, then all of them;
    the two are the same chips as the first two of the exact run (chip c is programmed from the seed
    and c), so the first curve equals a two-chip explorer's at the same settings."""
    from explorer.models import ReliabilityExplorer
    from explorer.views.reliability import PROVISIONAL_CHIPS, ReliabilityView

    view = ReliabilityView()
    view._render()
    heading = view._charts[0].heading
    titles = record_titles(view, heading)

    view.model.n_slices = 2

    assert len(titles) == 2, titles
    settings = {n: getattr(view.model, n) for n in view.model.scenario_settings()}
    few = ReliabilityExplorer(**{**settings, "chips": PROVISIONAL_CHIPS}).curve()
    every = ReliabilityExplorer(**settings).curve()
    year = int(np.argmin(np.abs(np.log(few["times_s"] / 3.156e7))))
    assert titles[0].startswith(f"Provisional (the first {PROVISIONAL_CHIPS} of 10 chips): PCM")
    assert f"{PROVISIONAL_CHIPS} chips: {few['mean'][year]:.1%} at 1 year" in titles[0]
    assert titles[1].startswith("PCM") and f"10 chips: {every['mean'][year]:.1%} at 1 year" in titles[1]
    shown = view._plots[heading][0].sources["mean"].data
    np.testing.assert_allclose(np.asarray(shown["y"]), every["mean"], rtol=1e-6)

    n = len(view.provisionals)
    view.model.drift_scale = 1.5  # a read-time change: the chips are kept, no first result
    assert len(view.provisionals) == n
    view.model.compensation = "global"  # a new curve of the kept chips: re-read, no first result
    assert len(view.provisionals) == n
    assert len(titles) == 4 and titles[2].startswith("PCM") and titles[3].startswith("PCM, global"), titles


def test_a_second_study_shows_the_first_chips_first_until_it_is_kept(monkeypatch):
    """Choosing a second study not yet computed (each programs chips of its own) shows it on the
    first two chips, labelled, then on all of them, equal to a full explorer's; choosing it again
    once kept, or moving a read-time setting, shows no first result."""
    from explorer.models import ReliabilityExplorer
    from explorer.views._live import LivePlot
    from explorer.views.reliability import PROVISIONAL_CHIPS, ReliabilityView

    titles, apply = [], LivePlot.apply

    def recording(plot, update, generation=None):
        if "cycles" in update.get("title", ""):
            titles.append(update["title"])
        return apply(plot, update, generation)

    monkeypatch.setattr(LivePlot, "apply", recording)
    view = ReliabilityView()
    view._render()
    heading = "Flash wear: accuracy versus program/erase cycles"

    view.model.study = "Flash wear"

    assert [h for h, _ in view.provisionals] == [heading]
    assert len(titles) == 2 and titles[0].startswith(f"Provisional (the first {PROVISIONAL_CHIPS} of 10 chips)")
    assert titles[1].startswith("Flash, 10 chips") and view.model.study_kept()
    settings = {n: getattr(view.model, n) for n in view.model.scenario_settings()}
    every = ReliabilityExplorer(**settings).wear()
    few = ReliabilityExplorer(**{**settings, "chips": PROVISIONAL_CHIPS}).wear()
    assert f"Flash, {PROVISIONAL_CHIPS} chips: {few['mean'][0, -1]:.1%}" in titles[0]
    assert f"Flash, 10 chips: {every['mean'][0, -1]:.1%}" in titles[1]
    shown = view._plots[heading][0].sources["t2"].data
    np.testing.assert_allclose(np.asarray(shown["y"]), every["mean"][:, 2], rtol=1e-6)

    n = len(view.provisionals)
    view.model.study = "read disturb"
    view.model.study = "Flash wear"  # kept: no first result
    view.model.drift_scale = 1.5  # read-time
    assert len(view.provisionals) == n
