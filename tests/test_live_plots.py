"""The update path of the dashboards, without a browser: what a parameter change recomputes, what
it sends, and how many pieces it sends it in."""

import numpy as np
import panel as pn
import pytest
from bokeh.core.serialization import Serializer
from bokeh.document import Document

from explorer.views import CrossbarView, DevicesView, EncodingView
from explorer.views._live import PALETTE, LivePlot, lines

HISTOGRAM = "Programmed levels at the chosen time"
DRIFT = "Drift on a log-time axis"


def rendered(cls, **params):
    view = cls(**params)
    pn.panel(view).get_root(Document())
    return view


def test_lines_join_each_colour_into_one_array():
    x = np.arange(5.0)
    data = lines([x] * 13, [x + k for k in range(13)])
    # 13 lines, 7 colours: lines k and k + 7 share a colour and an array.
    assert len(data["xs"]) == len(data["ys"]) == len(data["color"]) == len(PALETTE) == 7
    assert data["color"] == list(PALETTE)
    joined = data["ys"][0]
    assert joined.size == 2 * 5 + 1 and np.isnan(joined[5])
    np.testing.assert_array_equal(joined[6:], x + 7)
    empty = lines([], [])
    assert empty == {"xs": [], "ys": [], "color": []}


def test_apply_sets_only_what_changed_and_drops_stale_results():
    plot = LivePlot("x", "y")
    plot.line("curve")
    plot.span("marker")
    first = {"title": "a", "curve": {"x": np.arange(3.0), "y": np.ones(3)}, "marker": 1.0}
    assert plot.apply(first, generation=1) == 3
    assert plot.apply(first, generation=2) == 0  # same values: nothing is set, nothing is sent
    assert plot.apply(dict(first, marker=2.0), generation=3) == 1
    assert plot.annotations["marker"].location == 2.0
    # A result computed for older settings, finishing late, does not overwrite a newer one.
    assert plot.apply(dict(first, marker=5.0), generation=2) == 0
    assert plot.annotations["marker"].location == 2.0
    with pytest.raises(KeyError, match="no layer named 'nothing'"):
        plot.apply({"nothing": 1.0})


def test_small_arrays_travel_inside_the_message_and_large_ones_as_buffers():
    plot = LivePlot("x", "y")
    plot.multi_line("paths")
    plot.scatter("points")
    small = lines([np.arange(500.0)] * 8, [np.random.default_rng(0).random(500) for _ in range(8)])
    large = {"x": np.arange(100_000.0), "y": np.zeros(100_000)}
    plot.apply({"paths": small, "points": large})
    encoded = Serializer(deferred=True)
    encoded.encode(plot.sources["paths"].data)
    assert encoded.buffers == []  # 16 arrays, no binary frame
    encoded = Serializer(deferred=True)
    encoded.encode(plot.sources["points"].data)
    assert len(encoded.buffers) == 2


def test_devices_time_step_recomputes_and_redraws_only_what_depends_on_time():
    view = rendered(DevicesView)
    plots = {heading: plots[0] for heading, plots in view._plots.items()}
    before = {heading: plot.updates for heading, plot in plots.items()}
    drift_paths = plots[DRIFT].sources["paths"].data
    view.computed.clear()
    view.model.log10_time += 0.5
    assert list(view.computed) == [(HISTOGRAM, 0), (DRIFT, 1)]  # histogram, and the drift plot's marker
    changed = {h for h, plot in plots.items() if plot.updates != before[h]}
    assert changed == {HISTOGRAM, DRIFT}
    assert plots[DRIFT].sources["paths"].data is drift_paths  # trajectories not resent
    assert plots[DRIFT].annotations["now"].location == pytest.approx(view.model.t)
    assert f"t = {view.model.t / 3600:.3g} h" in plots[HISTOGRAM].figure.title.text


@pytest.mark.parametrize("cls", [DevicesView, EncodingView, CrossbarView])
def test_every_part_of_every_chart_draws_for_every_technology(cls):
    params = {}
    if cls is EncodingView:
        from explorer.models import EncodingExplorer

        params["model"] = EncodingExplorer(size=32, batch=8)
    if cls is CrossbarView:
        from explorer.models import CrossbarExplorer

        params["model"] = CrossbarExplorer(size=64, batch=8)
    view = rendered(cls, **params)
    technologies = list(view.model.param.technology.objects)
    for technology in technologies[1:] + technologies[:1]:  # the first is the default: start elsewhere
        view.computed.clear()
        view.model.technology = technology
        parts = {
            (c.heading, k)
            for c in view.charts()
            if c.is_shown(view.model)
            for k, p in enumerate(c.parts)
            if "technology" in p.depends
        }
        assert set(view.computed) == parts, technology
        for chart in view.charts():
            if chart.is_shown(view.model):
                for plot in view._plots[chart.heading]:
                    assert plot.figure.title.text.strip(), (technology, plot.figure.name)


def test_a_technology_specific_chart_is_built_and_computed_only_while_shown():
    view = rendered(DevicesView)
    rtn, iv = "Random telegraph noise", "Flash I-V curves"
    assert rtn not in view._plots and iv not in view._plots  # PCM: neither figure exists
    assert not view._slots[rtn].visible and not view._slots[iv].visible
    view.model.technology = "RRAM"
    assert view._slots[rtn].visible and not view._slots[iv].visible
    assert view._plots[rtn][0].figure.title.text.startswith("RRAM telegraph noise")
    view.computed.clear()
    view.model.technology = "Flash"
    assert (rtn, 0) not in view.computed and (iv, 0) in view.computed
    assert not view._slots[rtn].visible and view._slots[iv].visible
    view.computed.clear()
    view.model.seed += 1  # the hidden telegraph-noise chart is not recomputed
    assert (rtn, 0) not in view.computed
    view.computed.clear()
    view.model.technology = "RRAM"  # shown again: recomputed for the new seed
    assert (rtn, 0) in view.computed and view._slots[rtn].visible


def test_a_closed_session_computes_nothing():
    view = rendered(DevicesView)
    view._on_session_destroyed(None)
    view.computed.clear()
    view.model.log10_time += 0.5
    assert list(view.computed) == []


def test_a_failing_computation_shows_its_error_and_spares_the_other_plots(monkeypatch):
    view = rendered(DevicesView)

    def broken():
        raise ValueError("drift exponent must be finite, got nan")

    monkeypatch.setattr(view.model, "drift_trajectories", broken)
    view.model.log10_time += 0.5  # the drift plot's marker still moves
    view.model.seed = 5  # the trajectories fail, the histogram updates
    titles = {h: plots[0].figure.title.text for h, plots in view._plots.items()}
    assert titles[DRIFT] == "Could not compute this plot: drift exponent must be finite, got nan"
    assert titles[HISTOGRAM].startswith("PCM: 8 levels")


def test_encoding_slices_stay_within_the_weight_bits():
    from explorer.models import EncodingExplorer

    view = rendered(EncodingView, model=EncodingExplorer(size=16, batch=4, n_slices=6))
    view.model.bits_per_slice = 8  # 6 x 8 = 48 bits > 32: the slices drop to 4
    assert view.model.n_slices == 4 and view.widgets()["n_slices"].end == 4
    curves = view.data("slicing_curves")
    assert list(curves["n"]) == [1, 2, 3, 4]
    assert "Could not" not in view._plots["Error versus number of slices"][0].figure.title.text


def test_sessions_at_the_same_settings_share_results_and_cannot_change_them(monkeypatch):
    """Two sessions' Encoding dashboards at equal settings: the second computes no model result
    (each is a pure function of the explorer's snapshot key), gets the same arrays, read-only;
    a session at other settings computes its own."""
    from explorer.models import EncodingExplorer

    first = rendered(EncodingView, model=EncodingExplorer(size=16, batch=4, seed=11))
    calls = []
    second_model = EncodingExplorer(size=16, batch=4, seed=11)
    original = second_model.slicing_curves
    monkeypatch.setattr(second_model, "slicing_curves", lambda: calls.append(1) or original())
    second = rendered(EncodingView, model=second_model)
    assert calls == []
    a, b = first.data("slicing_curves"), second.data("slicing_curves")
    assert a is b
    with pytest.raises(ValueError, match="read-only"):
        b["n"][0] = 7
    second_model.seed = 12
    assert calls == [1]


@pytest.mark.parametrize("cls", [EncodingView, CrossbarView])
def test_a_read_out_control_is_one_declaration(cls):
    """Adding a crossbar read-time setting to the explorer's READ_CONTROLS is the whole change: the
    view builds its widget from the model's parameter, the URL keeps it, and the plots that read
    the arrays recompute when it moves."""
    from explorer.models import CrossbarExplorer, EncodingExplorer

    base = {EncodingView: EncodingExplorer, CrossbarView: CrossbarExplorer}[cls]
    added = "input_slice_bits"
    assert added not in base.READ_CONTROLS

    class WithInputSlices(base):
        READ_CONTROLS = base.READ_CONTROLS + (added,)

    view = rendered(cls, model=WithInputSlices(size=32, batch=8))
    widget = view.widgets()[added]
    assert widget.name == view.model.xb.param[added].label
    assert (view.model.xb, list(WithInputSlices.READ_CONTROLS)) in view.synced()
    assert WithInputSlices(input_slice_bits=2).xb.input_slice_bits == 2
    view.computed.clear()
    # As the browser sends it (a slider acts on release, value_throttled): bit-serial inputs.
    widget._process_events({"value": 1, "value_throttled": 1})
    assert view.model.xb.input_slice_bits == 1
    reading = {c.heading for c in view.charts() for p in c.parts if f"xb.{added}" in p.depends}
    assert reading and reading <= {heading for heading, _ in view.computed}


def test_with_a_pulse_level_method_a_read_out_change_redraws_every_crossbar_plot():
    """GDP programs through the read-out, so an ADC change reprograms the array: the ADC sweep's
    curve, which does not depend on the ADC bits for a statistically programmed array, is redrawn
    from the new array (and is what a fresh view at those settings shows)."""
    from explorer.models import CrossbarExplorer

    view = rendered(CrossbarView, model=CrossbarExplorer(size=32, batch=8, programming_method="gdp"))
    view.computed.clear()
    view.model.xb.adc_bits = 5
    curve_parts = {(c.heading, k) for c in view.charts() for k, _ in enumerate(c.parts)}
    assert curve_parts <= set(view.computed)
    fresh = rendered(CrossbarView, model=CrossbarExplorer(**view.model.settings()))
    heading = "MVM error versus ADC bits"
    np.testing.assert_array_equal(
        view._plots[heading][0].sources["curve"].data["y"], fresh._plots[heading][0].sources["curve"].data["y"]
    )
