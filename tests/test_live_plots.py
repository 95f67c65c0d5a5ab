"""The update path of the dashboards, without a browser: what a parameter change recomputes, what
it sends, and how many pieces it sends it in."""

import numpy as np
import panel as pn
import pytest
from bokeh.core.serialization import Serializer
from bokeh.document import Document

from explorer.views import CrossbarView, DevicesView, EncodingView, ProgrammingView, ReliabilityView, TrainingView
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
    assert not view.slot_shown(rtn) and not view.slot_shown(iv)
    view.model.technology = "RRAM"
    assert view.slot_shown(rtn) and not view.slot_shown(iv)
    assert view._plots[rtn][0].figure.title.text.startswith("RRAM telegraph noise")
    view.computed.clear()
    view.model.technology = "Flash"
    assert (rtn, 0) not in view.computed and (iv, 0) in view.computed
    assert not view.slot_shown(rtn) and view.slot_shown(iv)
    view.computed.clear()
    view.model.seed += 1  # the hidden telegraph-noise chart is not recomputed
    assert (rtn, 0) not in view.computed
    view.computed.clear()
    view.model.technology = "RRAM"  # shown again: recomputed for the new seed
    assert (rtn, 0) in view.computed and view.slot_shown(rtn)


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


# ------------------------------------------------------------------ what an update costs on the wire

MAX_UPDATE_BYTES = 100_000
MAX_UPDATE_FRAMES = 100
"""Issue 26's budget for one update of a read-time control."""

CROSSBAR_READ_TIME = (
    ("dac_bits", "adc_bits", "adc_range", "ir_drop", "calibrate_gain", "common_mode_gain")  # READ_CONTROLS
    + ("batch", "log10_wire_resistance", "read_noise_scale", "drift_scale", "log10_time", "shown_slice")
)
"""The Crossbar tab's read-time controls (the programmed array stays; read-out, batch, device read
knobs, time, slice shown). Temperature is idle for the default technology (PCM)."""

MAPS = "Conductance maps"


class Wire:
    """The messages a rendered view's document sends: each change of the document's models is
    recorded, and `cost` serializes them as the one PATCH-DOC message the server sends for an
    update (`pn.io.hold`): websocket frames (header, metadata, content, then two per binary buffer)
    and bytes, as the browser benchmark counts them on the page."""

    def __init__(self, view):
        from bokeh.document import Document

        self.doc = Document()
        self.doc.add_root(pn.panel(view).get_root(self.doc))
        self.events = []
        self.doc.callbacks.on_change(self.events.append)

    def cost(self):
        from bokeh.protocol import Protocol

        if not self.events:
            return 0, 0
        message = Protocol().create("PATCH-DOC", self.events)
        size = len(message.header_json) + len(message.metadata_json) + len(message.content_json)
        return 3 + 2 * len(message.buffers), size + sum(len(b.to_bytes()) for b in message.buffers)

    def changed_models(self):
        return {getattr(e, "model", None) for e in self.events}


def press(widget):
    """Move `widget` one step as the browser does (a slider on release, `value_throttled`)."""
    if isinstance(widget, pn.widgets.Select):
        values = list(widget.values)
        value = values[(values.index(widget.value) + 1) % len(values)]
    elif isinstance(widget, pn.widgets.Checkbox):
        value = not widget.value
    else:  # a slider: one step, back from its end
        value = widget.value + widget.step if widget.value + widget.step <= widget.end else widget.value - widget.step
    events = {"value": value}
    if isinstance(widget, (pn.widgets.IntSlider, pn.widgets.FloatSlider)):
        events["value_throttled"] = value
    widget._process_events(events)


@pytest.fixture(scope="module")
def crossbar_wire():
    view = CrossbarView()  # the tab's defaults: 256 x 256, two slices
    return view, Wire(view)


@pytest.mark.parametrize("name", CROSSBAR_READ_TIME)
def test_a_crossbar_read_time_update_fits_the_wire_budget(crossbar_wire, name):
    """One step of any read-time control sends at most 100 kB in at most 100 frames (issue 26):
    before, the two 256 x 256 float32 maps (262 kB each) travelled with every change of time,
    drift or common mode, 568 kB an update."""
    view, wire = crossbar_wire
    wire.events.clear()
    press(view.widgets()[name])
    frames, size = wire.cost()
    assert 0 < frames <= MAX_UPDATE_FRAMES and 0 < size <= MAX_UPDATE_BYTES, (name, frames, size)


def test_a_read_time_move_that_keeps_g_does_not_resend_the_maps(crossbar_wire):
    """The maps show the programmed conductances: ADC bits, batch, read noise and wire resistance
    leave them as they are, so their sources get no new data; the time moves G (drift), so both
    maps are resent, as one byte a pixel and at most 128 x 128."""
    from explorer.views.crossbar import SHOWN_SIDE

    view, wire = crossbar_wire
    maps = [plot.sources["map"] for plot in view._plots[MAPS]]
    for name in ("adc_bits", "batch", "read_noise_scale", "log10_wire_resistance"):
        wire.events.clear()
        press(view.widgets()[name])
        assert wire.events and not wire.changed_models() & set(maps), name
    wire.events.clear()
    press(view.widgets()["log10_time"])
    assert set(maps) <= wire.changed_models()
    for source in maps:
        (image,) = source.data["image"]
        assert image.dtype == np.uint8 and max(image.shape) <= SHOWN_SIDE


def test_a_map_shows_the_colours_and_hover_values_of_its_block_means():
    """What the page draws of a 256 x 256 map: 2 x 2 block means of the model's map, each sent as
    the index of the colour Bokeh's mapper gives its value over [0, g_max] (k = floor(256 G /
    g_max)); the hover's value (middle of the colour step) is within g_max / 512 of the block mean,
    and the plot's exported values are the block means themselves."""
    from explorer.models import CrossbarExplorer
    from explorer.views._live import colour_codes

    view = rendered(CrossbarView, model=CrossbarExplorer(size=256, batch=8))
    plus = view._plots[MAPS][0]
    model = view.model.conductance_maps()
    g_max = model["g_max"]
    means = model["plus"].reshape(128, 2, 128, 2).mean(axis=(1, 3))
    np.testing.assert_allclose(plus.image_values("map")[0], means, rtol=1e-6)
    (codes,) = plus.sources["map"].data["image"]
    expected = np.clip(np.floor(means / g_max * 256), 0, 255)
    np.testing.assert_array_equal(codes, expected)
    hover = (codes + 0.5) * g_max / 256  # CODE_VALUE_JS
    assert np.max(np.abs(hover - np.clip(means, 0, g_max))) <= g_max / 512 * (1 + 1e-6)
    assert (plus.mapper.low, plus.mapper.high) == (0.0, g_max)
    assert "2x2 block means" in plus.title
    assert plus.sources["map"].data["dw"] == [256.0]  # axes in matrix rows and columns
    with pytest.raises(ValueError, match="NaN"):
        colour_codes(np.array([[np.nan]]), 0.0, 1.0)


def test_a_new_colour_range_recolours_an_unchanged_image():
    plot = LivePlot("x", "y")
    plot.image("map")
    image = {"image": [np.array([[0.0, 1.0], [2.0, 3.0]])], "x": [0], "y": [0], "dw": [2], "dh": [2]}
    plot.apply({"map": image, "color_range": (0.0, 4.0)})
    np.testing.assert_array_equal(plot.sources["map"].data["image"][0], [[0, 64], [128, 192]])
    plot.apply({"map": image, "color_range": (0.0, 2.0)})  # same values, half the range
    np.testing.assert_array_equal(plot.sources["map"].data["image"][0], [[0, 128], [255, 255]])


@pytest.mark.parametrize(
    ("cls", "name"),
    [(DevicesView, "technology"), (DevicesView, "log10_time"), (EncodingView, "technology"), (TrainingView, "device")],
)
def test_the_other_tabs_heaviest_updates_fit_the_wire_budget(cls, name):
    """The heaviest updates measured on the Devices, Encoding and Training tabs (in process, 12-41 kB)."""
    view = cls()
    wire = Wire(view)
    press(view.widgets()[name])
    frames, size = wire.cost()
    assert 0 < frames <= MAX_UPDATE_FRAMES and 0 < size <= MAX_UPDATE_BYTES, (name, frames, size)


DASHBOARD_VIEWS = [DevicesView, EncodingView, CrossbarView, ProgrammingView, ReliabilityView, TrainingView]


@pytest.mark.parametrize("cls", DASHBOARD_VIEWS)
def test_the_browser_keeps_its_plots_ranges_and_sizes(cls):
    """Every figure of a rendered dashboard, and its two ranges, are not syncable (`_live.no_echo`):
    BokehJS computes a data range's ends and a figure's frame sizes in the page, and would send each
    change back to the server, one message and an OK reply each, after every update. The server's
    own changes of these models still reach the page (syncable governs the page's changes only)."""
    from bokeh.models import Plot

    doc = Document()
    doc.add_root(pn.panel(cls()).get_root(doc))
    figures = [m for m in doc.models if isinstance(m, Plot)]
    assert figures
    for fig in figures:
        assert (fig.syncable, fig.x_range.syncable, fig.y_range.syncable) == (False, False, False), fig
