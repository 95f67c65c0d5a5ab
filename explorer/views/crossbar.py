"""Crossbar dashboard: conductance maps, ideal versus analog outputs, the error histogram, and the
MVM error against ADC bits and wire resistance, with a control for every read-out setting."""

import warnings

import holoviews as hv
import numpy as np
import panel as pn
import param
from bokeh.models import CustomJSTickFormatter

from ..models.crossbar_explorer import CrossbarExplorer
from ..models.devices import TECHNOLOGIES
from ._widgets import ResultMemo, duration_formatter, explained, protect_math, throttled_slider
from .devices import PLOT_OPTS

OHM_FORMATTER_JS = "return Math.pow(10, tick).toPrecision(3) + ' Ω';"

# The blank G- map of the offset mappings is all NaN, on purpose (no hover values, no colour).
warnings.filterwarnings("ignore", message="All-NaN slice encountered", category=RuntimeWarning,
                        module=r"holoviews\.core\.data\.image")

IDLE_KNOB_LABELS = {"read_noise_scale": "read noise", "temperature_K": "temperature"}
"""Read knobs a technology may lack, with their names in the note under the sliders."""

LARGE_SIZE = 512
"""From this matrix size on, every change shows the loading indicator (a size change always does)."""

# ------------------------------------------------------------------ the data, shared by the plots


def _memo(m):
    """The `ResultMemo` of model `m`, kept on the model itself (one per session, nothing module-wide)."""
    memo = m.__dict__.get("_view_memo")
    if memo is None:
        memo = m.__dict__.setdefault("_view_memo", ResultMemo(m))
    return memo


# Parameters each computation depends on (shown_slice only moves the maps).
READ_PARAMS = ("technology", "mapping", "n_slices", "size", "batch", "dac_bits", "adc_bits", "adc_range",
               "ir_drop", "log10_wire_resistance", "stuck_fraction", "prog_noise_scale", "read_noise_scale",
               "temperature_K", "log10_time", "calibrate_gain", "seed")
MAP_PARAMS = ("technology", "mapping", "n_slices", "size", "stuck_fraction", "prog_noise_scale",
              "temperature_K", "log10_time", "shown_slice", "seed")
ADC_SWEEP_PARAMS = tuple(n for n in READ_PARAMS if n != "adc_bits")
WIRE_SWEEP_PARAMS = tuple(n for n in READ_PARAMS if n not in ("ir_drop", "log10_wire_resistance"))
WIRE_POINT_PARAMS = tuple(n for n in READ_PARAMS if n != "ir_drop")


def conductance_data(m):
    return _memo(m).get("maps", MAP_PARAMS, m.conductance_maps)


def output_data(m):
    return _memo(m).get("outputs", READ_PARAMS, m.outputs)


def adc_data(m):
    """The ADC sweep (independent of the chosen bits) and the MVM error at the chosen bits."""
    sweep = _memo(m).get("adc_sweep", ADC_SWEEP_PARAMS, m.adc_sweep)
    hit = np.flatnonzero(sweep["bits"] == m.adc_bits)
    # The sweep reads with the outputs' seed, so outside its range the outputs give the same number.
    current = float(sweep["mvm_error"][hit[0]]) if hit.size else output_data(m)["mvm_error"]
    return dict(sweep, current=m.adc_bits, current_error=current)


def wire_data(m):
    """The wire sweep (IR drop on, independent of the chosen resistance) and the chosen resistance's point."""
    sweep = _memo(m).get("wire_sweep", WIRE_SWEEP_PARAMS, m.wire_sweep)
    r = m.wire_resistance_ohm
    point = _memo(m).get("wire_point", WIRE_POINT_PARAMS, lambda: m.wire_sweep((r,)))
    return dict(sweep, current=r, current_error=float(point["mvm_error"][0]),
                current_ir_drop=float(point["ir_drop_max"][0]))


# ------------------------------------------------------------------ plots

G_DIM = hv.Dimension("G", label="conductance (µS)")
ROW_DIM = hv.Dimension("row", label="row (input)")
COL_DIM = hv.Dimension("column", label="column (output)")


def _map_image(a, size, g_max, title):
    """A conductance map, row 0 at the top; axes in matrix rows and columns whatever the block size."""
    k = size / max(a.shape[0], 1)
    img = hv.Image(np.flipud(a), bounds=(0, 0, a.shape[1] * k, a.shape[0] * k), kdims=[COL_DIM, ROW_DIM],
                   vdims=[G_DIM])
    return img.opts(cmap="viridis", clim=(0.0, g_max), colorbar=True, invert_yaxis=True, **PLOT_OPTS,
                    title=title)


def conductance_plot(data, size, polarity):
    """G+ (polarity "plus") or G- of the shown slice; a blank (NaN) map when the mapping has no G-."""
    s, bits, g_max = data["slice"], data["slice_bits"], data["g_max"]
    block = f", {data['block']}x{data['block']} block means" if data["block"] > 1 else ""
    offset = data["minus"] is None
    if polarity == "plus":
        name = "G" if offset else "G+"
        return _map_image(data["plus"], size, g_max, f"{name} of slice {s} ({bits} bits), {size} x {size}{block}")
    if offset:
        return _map_image(np.full_like(data["plus"], np.nan), size, g_max, "no G- (offset mapping)")
    return _map_image(data["minus"], size, g_max, f"G- of slice {s} ({bits} bits), {size} x {size}{block}")


def outputs_plot(data):
    """Analog against ideal outputs (at most 4000), with the line y = x."""
    ideal_dim = hv.Dimension("ideal", label="ideal output (X W)")
    analog_dim = hv.Dimension("analog", label="analog output")
    title = (f"MVM error {data['mvm_error']:.2%}, ADC clipping {data['adc_clip_fraction']:.2%}, "
             f"gain factor {data['stats']['gain_factor']:.3f}")
    points = hv.Scatter((data["ideal"], data["analog"]), kdims=[ideal_dim], vdims=[analog_dim]).opts(
        size=3, alpha=0.4, color="#3f51b5")
    diagonal = hv.Slope(1.0, 0.0).opts(color="black", line_dash="dashed", line_width=1)
    return (points * diagonal).opts(**PLOT_OPTS, title=title)


def error_histogram_plot(data):
    """Histogram of the output errors in units of the RMS ideal output."""
    err = data["error"]
    sd = float(np.std(err))
    counts, edges = np.histogram(err, bins=80)
    err_dim = hv.Dimension("error", label="(y - y_ideal) / rms(y_ideal)")
    return hv.Histogram((edges, counts), kdims=[err_dim], vdims=["count"]).opts(
        color="#3f51b5", line_color=None, **PLOT_OPTS,
        title=f"Output error: standard deviation {sd:.2%} of the RMS output ({err.size} outputs)")


def _positive(a):
    """Values for a log axis: zeros become NaN (gaps) rather than errors."""
    a = np.asarray(a, dtype=float)
    return np.where(a > 0, a, np.nan)


ERR_DIM = hv.Dimension("mvm_error", label="MVM error")
# Panel links the axes of plots whose axis labels match; the two sweeps' error ranges differ.
SWEEP_OPTS = dict(PLOT_OPTS, shared_axes=False)


def adc_plot(data, adc_range):
    """MVM error versus ADC bits (log y), the chosen bits marked."""
    bits_dim = hv.Dimension("bits", label="ADC bits")
    err = _positive(data["mvm_error"])
    line = hv.Curve((data["bits"], err), kdims=[bits_dim], vdims=[ERR_DIM]).opts(color="#3f51b5")
    points = hv.Scatter((data["bits"], err), kdims=[bits_dim], vdims=[ERR_DIM]).opts(color="#3f51b5", size=6)
    now = hv.VLine(float(data["current"])).opts(color="black", line_dash="dashed")
    title = f"ADC {data['current']} bits: {data['current_error']:.2%} MVM error ({adc_range} range)"
    return (line * points * now).opts(logy=True, **SWEEP_OPTS, title=title)


def wire_plot(data):
    """MVM error versus wire resistance (IR drop on, log-log), the chosen resistance marked and the
    resistances beyond first order (largest r (A + B) > 1) shaded."""
    r_dim = hv.Dimension("r", label="wire resistance per cell (Ω)")
    r, err, worst = data["wire_resistance_ohm"], _positive(data["mvm_error"]), data["ir_drop_max"]
    line = hv.Curve((r, err), kdims=[r_dim], vdims=[ERR_DIM]).opts(color="#3f51b5")
    points = hv.Scatter((r, err), kdims=[r_dim], vdims=[ERR_DIM]).opts(color="#3f51b5", size=6)
    now = hv.VLine(data["current"]).opts(color="black", line_dash="dashed")
    # r (A + B) is proportional to r: the validity limit is where it reaches 1.
    limit = float(r[-1] / worst[-1]) if worst[-1] > 0 else np.inf
    lo, hi = (limit, float(r[-1])) if limit < r[-1] else (np.nan, np.nan)
    beyond = hv.VSpan(lo, hi).opts(color="#e53935", alpha=0.12)
    title = f"IR drop at {data['current']:.3g} Ω: {data['current_error']:.2%}"
    if np.isfinite(limit):
        title += f" (first order valid below {limit:.2g} Ω)"
    return (line * points * beyond * now).opts(logx=True, logy=True, xlabel=r_dim.label, ylabel=ERR_DIM.label,
                                               **SWEEP_OPTS, title=title)


# ------------------------------------------------------------------ explanations


MAPS_TEXT = r"""A weight is a difference of conductances,
$$W \propto \sum_s F^{n-1-s}(G^+_s - G^-_s)$$; one-sided pairs leave the unused device at $$g_{min}$$,
offset mappings store $$W \propto G - G_{ref}$$.
Seed section 3.1 (differential pairs), physics reference section 9 (slices, $$F$$ = 16)."""

OUTPUTS_TEXT = r"""Read noise gives each output one Gaussian,
$$\mathrm{Var}\,y_i = \sum_j x_j^2\,\sigma_{ij}^2$$ (variance identity, physics reference section 10);
the error is $$\left\langle \lVert y - y_{ideal}\rVert / \lVert y_{ideal}\rVert \right\rangle$$ over the
batch (section 12)."""

HISTOGRAM_TEXT = r"""$$e = (y - y_{ideal}) / \mathrm{rms}(y_{ideal})$$ for every output of the
batch: read noise alone gives a Gaussian, ADC steps add a uniform part, IR drop and drift a bias.
Physics reference sections 10 and 12."""

ADC_TEXT = r"""ADC step $$\Delta = y_{max} / (2^{b-1} - 1)$$; $$y_{max}$$ calibrated from data,
or full scale $$\text{rows}\cdot x_{max}\,(g_{max} - g_{min})$$. CrossSim's ADC range options (MAX,
CALIBRATED, GRANULAR); IBM aihwkit defaults to a 9-bit ADC (and a 7-bit DAC)."""

WIRE_TEXT = r"""First-order IR drop scales each device by $$1/(1 + r(A_{lc} + B_{lc}))$$,
$$A_{lc} = \sum_k G_{kc}(n - \max(k,l))$$ (bit line), $$B_{lc} = \sum_m G_{lm}(\min(m,c) + 1)$$
(word line): the resummed first order of the nodal equations, cf. IBM aihwkit's ir_drop (physics
reference section 10); valid while $$r(A+B) \lesssim 1$$ (shaded beyond)."""

PLOTS = [
    # (title, model -> HoloViews element(s), parameters it depends on, explanation)
    ("Conductance maps", lambda m: (conductance_plot(conductance_data(m), m.size, "plus"),
                                    conductance_plot(conductance_data(m), m.size, "minus")),
     MAP_PARAMS, MAPS_TEXT),
    ("Ideal versus analog outputs", lambda m: outputs_plot(output_data(m)), READ_PARAMS, OUTPUTS_TEXT),
    ("Output-error histogram", lambda m: error_histogram_plot(output_data(m)), READ_PARAMS, HISTOGRAM_TEXT),
    ("MVM error versus ADC bits", lambda m: adc_plot(adc_data(m), m.adc_range), READ_PARAMS, ADC_TEXT),
    ("MVM error versus wire resistance", lambda m: wire_plot(wire_data(m)), READ_PARAMS, WIRE_TEXT),
]
"""Every plot of the dashboard (the conductance maps are two elements, G+ and G-)."""


class CrossbarView(pn.viewable.Viewer):
    """The Crossbar dashboard for one `CrossbarExplorer` model."""

    model = param.ClassSelector(class_=CrossbarExplorer, doc="The model the controls drive.")

    def __init__(self, **params):
        if params.get("model") is None:
            params["model"] = CrossbarExplorer()
        super().__init__(**params)
        m = self.model
        size = m.param.size
        self._selects = {
            "technology": pn.widgets.Select.from_param(m.param.technology, name="Technology",
                                                       sizing_mode="stretch_width"),
            "mapping": pn.widgets.Select.from_param(m.param.mapping, name="Mapping", sizing_mode="stretch_width"),
            "adc_range": pn.widgets.Select.from_param(m.param.adc_range, name="ADC range",
                                                      sizing_mode="stretch_width"),
        }
        self._sliders = {
            "n_slices": throttled_slider(m, "n_slices", name="Slices"),
            "size": throttled_slider(m, "size", name="Matrix size", start=size.softbounds[0],
                                     end=size.softbounds[1]),
            "batch": throttled_slider(m, "batch", name="Batch"),
            "dac_bits": throttled_slider(m, "dac_bits", name="DAC bits"),
            "adc_bits": throttled_slider(m, "adc_bits", name="ADC bits"),
            "log10_wire_resistance": throttled_slider(
                m, "log10_wire_resistance", name="Wire resistance",
                format=CustomJSTickFormatter(code=OHM_FORMATTER_JS)),
            "stuck_fraction": throttled_slider(m, "stuck_fraction", name="Stuck devices", format="0.0%"),
            "prog_noise_scale": throttled_slider(m, "prog_noise_scale", name="Programming-noise scale"),
            "read_noise_scale": throttled_slider(m, "read_noise_scale", name="Read-noise scale"),
            "temperature_K": throttled_slider(m, "temperature_K", name="Temperature (K)"),
            "log10_time": throttled_slider(m, "log10_time", name="Time after programming",
                                           format=duration_formatter()),
            "shown_slice": throttled_slider(m, "shown_slice", name="Slice shown"),
        }
        self._inputs = {
            # Hard bounds: from_param would take the soft ones (the slider's).
            "size": pn.widgets.IntInput.from_param(size, name="Matrix size up to 4096 (slow above 1024)",
                                                   start=size.bounds[0], end=size.bounds[1], step=size.step,
                                                   sizing_mode="stretch_width"),
            "seed": pn.widgets.IntInput.from_param(m.param.seed, name="Seed", sizing_mode="stretch_width"),
            "ir_drop": pn.widgets.Checkbox.from_param(m.param.ir_drop, name="IR drop"),
            "calibrate_gain": pn.widgets.Checkbox.from_param(m.param.calibrate_gain, name="Gain calibration"),
        }
        self._knob_note = pn.pane.Markdown(sizing_mode="stretch_width", styles={"font-size": "0.85em"})
        self._plots = None
        m.param.watch(self._sync_knobs, "technology")
        m.param.watch(self._sync_slices, "n_slices")
        self._sync_knobs()
        self._sync_slices()
        # The loading indicator: switched on before the plots' own watchers run (registered later,
        # same precedence) and off after them (higher precedence).
        names = list(READ_PARAMS) + ["shown_slice"]
        m.param.watch(self._start_loading, names)
        m.param.watch(self._stop_loading, names, precedence=10)

    # -------------------------------------------------------------- control state

    def _sync_knobs(self, *events):
        """Idle the read knobs the technology has no model for (only Flash has a temperature model)."""
        knobs = TECHNOLOGIES[self.model.technology].read_knobs
        idle = [n for n in IDLE_KNOB_LABELS if n not in knobs]
        for name in IDLE_KNOB_LABELS:
            self._sliders[name].disabled = name in idle
        self._knob_note.object = protect_math(
            f"*{self.model.technology} has no model for: {', '.join(IDLE_KNOB_LABELS[n] for n in idle)} "
            f"(only Flash has one for temperature, through $$U_T = kT/q$$).*") if idle else ""

    def _sync_slices(self, *events):
        """The slice slider ends at the last slice (and is idle with one slice)."""
        m, slider = self.model, self._sliders["shown_slice"]
        last = m.n_slices - 1
        if m.shown_slice > last:
            m.shown_slice = last
        slider.end = max(last, 1)  # a slider needs end > start
        slider.disabled = last == 0

    def _start_loading(self, *events):
        if self._plots is not None and (self.model.size >= LARGE_SIZE
                                        or any(e.name == "size" for e in events)):
            self._plots.loading = True

    def _stop_loading(self, *events):
        if self._plots is not None and self._plots.loading:
            self._plots.loading = False

    # -------------------------------------------------------------- layout

    def controls(self):
        """The column of widgets."""
        s, i = self._sliders, self._inputs
        return pn.Column(
            "### Array", self._selects["technology"], self._selects["mapping"], s["n_slices"], s["size"],
            i["size"], s["batch"], i["seed"],
            "### Read-out", s["dac_bits"], s["adc_bits"], self._selects["adc_range"], i["ir_drop"],
            s["log10_wire_resistance"], i["calibrate_gain"],
            "### Devices", s["stuck_fraction"], s["prog_noise_scale"], s["read_noise_scale"],
            s["temperature_K"], self._knob_note, s["log10_time"],
            "### Display", s["shown_slice"],
            width=320,
        )

    def _pane(self, draw, names):
        m = self.model
        bound = pn.bind(lambda *_: draw(m), *[m.param[n] for n in names])
        # A DynamicMap updates the plot's data in place instead of replacing the figure.
        return pn.pane.HoloViews(hv.DynamicMap(bound), sizing_mode="stretch_width")

    def plots(self):
        """The plots with their explanations, each re-drawn when one of its parameters changes."""
        column = []
        for title, draw, names, text in PLOTS:
            if title == "Conductance maps":
                pane = pn.Row(*[self._pane(lambda m, draw=draw, k=k: draw(m)[k], names) for k in (0, 1)],
                              sizing_mode="stretch_width")
            else:
                pane = self._pane(draw, names)
            column.append(explained(title, pane, text))
        self._plots = pn.Column(*column, sizing_mode="stretch_width")
        return self._plots

    def __panel__(self):
        return pn.Row(self.controls(), self.plots(), sizing_mode="stretch_width")
