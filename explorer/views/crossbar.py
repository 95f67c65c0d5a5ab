"""Crossbar dashboard: conductance maps, ideal versus analog outputs, the error histogram, and the
MVM error against ADC bits and wire resistance, with a control for every read-out setting."""

import numpy as np
import panel as pn
import param
from bokeh.models import ColorBar, Slope

from ..models import CrossbarExplorer, CrossbarModel
from ..models.dashboards.crossbar import MAX_INTERACTIVE_SIZE, block_mean
from ..models.devices import TECHNOLOGIES, DeviceKnobs
from ._axes import located, percent_axis, reference
from ._live import Chart, CrossbarReadout, LiveDashboard, LivePlot, Part, Provisional, positive
from ._palette import BLACK, BLUE, VERMILLION
from ._states import IdleControls, idle_while
from ._widgets import control_widget, duration_formatter, ohm_formatter, protect_math, throttled_slider

IDLE_KNOB_LABELS = {"drift_scale": "drift", "read_noise_scale": "read noise", "temperature_K": "temperature"}
"""Read knobs a technology may lack, with their names in the note under the sliders."""

LARGE_SIZE = 512
"""From this matrix size on, every change shows the loading indicator (a size change always does)."""

PROVISIONAL_SIZE = 64
"""Side of the protocol matrix a slow change's first result is computed on (issue 26 item 3): a
sixteenth of the default 256 x 256 array's devices, so that a pulse-level method programs it in a
small fraction of the time."""

SLOW_METHODS = ("verify", "gdp")
"""Programming methods whose run over the default array takes long enough to show a first result
on a smaller matrix (program-and-verify's rounds of reads, GDP's iterations of full MVMs); the
statistical and one-shot methods program it in a few tens of milliseconds."""

# ------------------------------------------------------------------ the data, shared by the plots


# Parameters each computation depends on (shown_slice only moves the maps). Every read-time
# setting of the crossbar model is a dependency of what reads the array ("xb.<name>"), so a control
# added to CrossbarExplorer.READ_CONTROLS needs no change here; the wire resistance is the model's
# but set from the dashboard's log-scale slider.
XB_READ = tuple(f"xb.{n}" for n in CrossbarModel.READ_TIME if n != "wire_resistance_ohm")
READ_PARAMS = (
    (
        "technology",
        "mapping",
        "n_slices",
        "size",
        "batch",
        "log10_wire_resistance",
        "stuck_fraction",
        "programming_method",
        "log10_time",
        "seed",
    )
    + DeviceKnobs.KNOBS
    + XB_READ
)
MAP_PARAMS = tuple(n for n in READ_PARAMS if n != "batch") + ("shown_slice",)
"""The maps read the programmed array's means: every setting but the batch (a pulse-level
programming method programs through the read-out, so read-time settings move its array too)."""
ADC_SWEEP_PARAMS = tuple(n for n in READ_PARAMS if n != "xb.adc_bits")
WIRE_SWEEP_PARAMS = tuple(n for n in READ_PARAMS if n not in ("xb.ir_drop", "log10_wire_resistance"))
WIRE_POINT_PARAMS = tuple(n for n in READ_PARAMS if n != "xb.ir_drop")


def conductance_data(view):
    return view.result("maps", MAP_PARAMS, view.model.conductance_maps)


def output_data(view):
    return view.result("outputs", READ_PARAMS, view.model.outputs)


def adc_data(view):
    """The ADC sweep (independent of the chosen bits) and the MVM error at the chosen bits."""
    m = view.model
    sweep = view.result("adc_sweep", ADC_SWEEP_PARAMS, m.adc_sweep)
    hit = np.flatnonzero(sweep["bits"] == m.xb.adc_bits)
    # The sweep reads with the outputs' seed, so outside its range the outputs give the same number.
    current = float(sweep["mvm_error"][hit[0]]) if hit.size else output_data(view)["mvm_error"]
    return dict(sweep, current=m.xb.adc_bits, current_error=current)


def wire_data(view):
    """The wire sweep (IR drop on, independent of the chosen resistance) and the chosen resistance's point."""
    m = view.model
    sweep = view.result("wire_sweep", WIRE_SWEEP_PARAMS, m.wire_sweep)
    r = m.wire_resistance_ohm
    point = view.result("wire_point", WIRE_POINT_PARAMS, lambda: m.wire_sweep((r,)))
    return dict(
        sweep, current=r, current_error=float(point["mvm_error"][0]), current_ir_drop=float(point["ir_drop_max"][0])
    )


# ------------------------------------------------------------------ plots

G_LABEL = "conductance (µS)"
WIRE_CHART = "MVM error versus wire resistance"
ERR_LABEL = "MVM error"


SHOWN_SIDE = 128
"""Largest side (pixels) of a conductance map as the page gets it: the model's maps (at most
`MAX_DISPLAY_PIXELS`, 256) are averaged over square blocks down to this (`block_mean`). On a
laptop-sized page a map's frame is less than 256 CSS pixels on a side (two maps side by side, the
explanation beside them), so a 256 x 256 map drew more than one matrix cell per pixel, while 128
blocks give each block one to two pixels; the size measured is in docs/results/benchmarks.md
(issue 26). Full-resolution 256 x 256 float32 maps were 262 kB each, resent on every change of
time, drift or common mode."""

NO_MAP = {"image": [], "x": [], "y": [], "dw": [], "dh": []}
"""An image layer's columns with no image: the G- plot of an offset mapping."""


def maps_plots():
    """G+ and G- of the shown slice as images, row 0 at the top; the values travel as 8-bit colour
    indices (`LivePlot.image`) and the hover names each block's conductance to within half a
    colour step (g_max / 512)."""
    out = []
    for _ in range(2):
        plot = LivePlot("column (output)", "row (input)", hover=False)
        plot.image("map", hover=G_LABEL)
        for bar in plot.figure.select(type=ColorBar):
            bar.title = G_LABEL  # the colour scale's unit
        plot.figure.y_range.flipped = True
        out.append(plot)
    return tuple(out)


def _map(a, size):
    """Image data of a conductance map: axes in matrix rows and columns whatever the block size."""
    k = size / max(a.shape[0], 1)
    return {
        "image": [np.asarray(a, dtype=np.float32)],
        "x": [0.0],
        "y": [0.0],
        "dw": [a.shape[1] * k],
        "dh": [a.shape[0] * k],
    }


def maps_data(view):
    """G+ (or G of the offset mappings) and G- of the shown slice, as block means of at most
    `SHOWN_SIDE` a side (the title gives the block); no G- image for an offset mapping."""
    m = view.model
    data = conductance_data(view)
    s, bits, g_max, size = data["slice"], data["slice_bits"], data["g_max"], m.size
    plus_map = block_mean(data["plus"], SHOWN_SIDE)
    block = data["block"] * (data["plus"].shape[0] // max(plus_map.shape[0], 1))  # matrix cells a side
    shown = f", {block}x{block} block means" if block > 1 else ""
    offset = data["minus"] is None
    plus = {
        "title": f"{'G' if offset else 'G+'} of slice {s} ({bits} bits), {size} x {size}{shown}",
        "map": _map(plus_map, size),
        "color_range": (0.0, g_max),
    }
    if offset:
        minus = {"title": "no G- (offset mapping)", "map": NO_MAP, "color_range": (0.0, g_max)}
    else:
        minus = {
            "title": f"G- of slice {s} ({bits} bits), {size} x {size}{shown}",
            "map": _map(block_mean(data["minus"], SHOWN_SIDE), size),
            "color_range": (0.0, g_max),
        }
    return plus, minus


def outputs_plot():
    """Analog against ideal outputs (at most 4000), with the line y = x."""
    plot = LivePlot("ideal output (X W)", "analog output")
    plot.scatter("points", size=3, alpha=0.4, color=BLUE)
    plot.figure.add_layout(Slope(gradient=1.0, y_intercept=0.0, line_color=BLACK, line_dash="dashed", line_width=1))
    return plot


def outputs_data(view):
    data = output_data(view)
    return {
        "title": (
            f"MVM error {data['mvm_error']:.2%}, ADC clipping {data['adc_clip_fraction']:.2%}, "
            f"gain factor {data['stats']['gain_factor']:.3f}"
        ),
        "points": {"x": data["ideal"].astype(np.float32), "y": data["analog"].astype(np.float32)},
    }


def error_histogram_plot():
    plot = LivePlot("(y - y_ideal) / rms(y_ideal)", "outputs", y_start=0)
    percent_axis(plot.figure, "x")  # the title's standard deviation is in percent
    plot.quad("bars", fill_color=BLUE, line_color=None)
    return plot


def error_histogram_data(view):
    """Histogram of the output errors in units of the RMS ideal output."""
    err = output_data(view)["error"]
    sd = float(np.std(err))
    counts, edges = np.histogram(err, bins=80)
    return {
        "title": f"Output error: standard deviation {sd:.2%} of the RMS output ({err.size} outputs)",
        "bars": {"left": edges[:-1], "right": edges[1:], "top": counts.astype(np.float32)},
    }


def _sweep_plot(x_label, x_log=False, band=False):
    plot = LivePlot(x_label, ERR_LABEL, x_log=x_log, y_log=True)
    percent_axis(plot.figure)  # fractions, shown in percent as the titles give them
    plot.line("curve", line_color=BLUE, hover=False)
    plot.scatter("points", color=BLUE, size=6)
    if band:
        plot.box("beyond", fill_color=VERMILLION, fill_alpha=0.12, line_color=None)
    # The chosen setting, inside the x range even where it lies beyond the sweep (ADC bits 1, 13-16).
    reference(plot, "now", dimension="height", line_color=BLACK, line_dash="dashed")
    return plot


def adc_plot():
    """MVM error versus ADC bits (log y), the chosen bits marked."""
    return _sweep_plot("ADC bits")


def adc_curve(view):
    sweep = view.result("adc_sweep", ADC_SWEEP_PARAMS, view.model.adc_sweep)
    xy = {"x": sweep["bits"].astype(float), "y": positive(sweep["mvm_error"])}
    return {"curve": xy, "points": xy}


def adc_marker(view):
    data = adc_data(view)
    return {
        "title": f"ADC {data['current']} bits: {data['current_error']:.2%} MVM error ({view.model.xb.adc_range} range)",
        "now": located(data["current"]),
    }


def wire_plot():
    """MVM error versus wire resistance (IR drop on, log-log), the chosen resistance marked and the
    resistances beyond first order (largest r (A + B) > 1) shaded."""
    return _sweep_plot("wire resistance per cell (Ω)", x_log=True, band=True)


def _validity_limit(sweep):
    """Resistance where the largest r (A + B) reaches 1 (it is proportional to r)."""
    r, worst = sweep["wire_resistance_ohm"], sweep["ir_drop_max"]
    return float(r[-1] / worst[-1]) if worst[-1] > 0 else np.inf


def wire_curve(view):
    sweep = view.result("wire_sweep", WIRE_SWEEP_PARAMS, view.model.wire_sweep)
    r = sweep["wire_resistance_ohm"]
    xy = {"x": r.astype(float), "y": positive(sweep["mvm_error"])}
    limit = _validity_limit(sweep)
    beyond = (limit, float(r[-1])) if limit < r[-1] else (None, None)
    return {"curve": xy, "points": xy, "beyond": beyond}


def wire_marker(view):
    data = wire_data(view)
    limit = _validity_limit(data)
    title = f"IR drop at {data['current']:.3g} Ω: {data['current_error']:.2%}"
    if not view.model.xb.ir_drop:  # the curve is computed with IR drop on; the controls have it off
        title = f"If IR drop were on, at {data['current']:.3g} Ω: {data['current_error']:.2%}"
    if np.isfinite(limit):
        title += f" (first order valid below {limit:.2g} Ω)"
    return {"title": title, "now": located(data["current"])}


# ------------------------------------------------------------------ explanations


MAPS_TEXT = r"""A weight is a difference of conductances,
$$W \propto \sum_s F^{n-1-s}(G^+_s - G^-_s)$$; one-sided pairs leave the unused device at $$g_{min}$$,
offset mappings store $$W \propto G - G_{ref}$$.
Physics reference sections 1 (differential pairs) and 9 (slices, $$F$$ = 16).
Arrays above 128 x 128 are shown as block means (the title gives the block), and the hover gives
a block's conductance to within half a colour step, $$g_{max}/512$$."""

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

CHARTS = (
    Chart("Conductance maps", maps_plots, (Part(maps_data, MAP_PARAMS),), MAPS_TEXT),
    Chart("Ideal versus analog outputs", outputs_plot, (Part(outputs_data, READ_PARAMS),), OUTPUTS_TEXT),
    Chart("Output-error histogram", error_histogram_plot, (Part(error_histogram_data, READ_PARAMS),), HISTOGRAM_TEXT),
    Chart(
        "MVM error versus ADC bits",
        adc_plot,
        (Part(adc_curve, ADC_SWEEP_PARAMS), Part(adc_marker, READ_PARAMS)),
        ADC_TEXT,
    ),
    Chart(
        "MVM error versus wire resistance",
        wire_plot,
        (Part(wire_curve, WIRE_SWEEP_PARAMS), Part(wire_marker, READ_PARAMS)),
        WIRE_TEXT,
    ),
)
"""Every plot of the dashboard (the conductance maps are two plots, G+ and G-), with the parameters
each part of it depends on."""


IDLE = (
    idle_while(
        "log10_wire_resistance",
        "xb.ir_drop",
        (False,),
        True,
        "Acts only with IR drop on; the last plot shows it as if on.",
        what_if=(WIRE_CHART,),
    ),
    idle_while("shown_slice", "n_slices", (1,), 2, "One slice: there is no other to show."),
)
"""Controls that do nothing for the chosen settings (`Idle`): disabled, with the reason under them.
The wire sweep's marker keeps the chosen resistance while IR drop is off: its title says "if IR drop
were on"."""


class CrossbarView(CrossbarReadout, LiveDashboard):
    """The Crossbar dashboard for one `CrossbarExplorer` model."""

    model = param.ClassSelector(class_=CrossbarExplorer, doc="The model the controls drive.")

    TRY_THIS = """Lower {adc_bits} and watch the analog outputs spread around the ideal line and the marker
climb the ADC sweep; then tick {ir_drop} and move {log10_wire_resistance}."""

    WIDGET_ATTRS = CrossbarReadout.WIDGET_ATTRS + ("_selects", "_sliders", "_inputs", "_knob_note", "_idle")

    def make_widgets(self):
        super().make_widgets()
        m = self.model
        size = m.param.size
        self._selects = {
            "technology": pn.widgets.Select.from_param(
                m.param.technology, label="Technology", sizing_mode="stretch_width"
            ),
            "mapping": pn.widgets.Select.from_param(m.param.mapping, label="Mapping", sizing_mode="stretch_width"),
            "programming_method": control_widget(m, "programming_method"),
        }
        self._sliders = {
            "n_slices": throttled_slider(m, "n_slices", label="Slices"),
            # One control for the whole range (issue 23): the slider spans the hard bounds, and the
            # model sets a size on release only.
            "size": throttled_slider(
                m,
                "size",
                label=f"Matrix size (slow above {MAX_INTERACTIVE_SIZE})",
                start=size.bounds[0],
                end=size.bounds[1],
            ),
            "batch": throttled_slider(m, "batch", label="Batch"),
            "log10_wire_resistance": throttled_slider(
                m, "log10_wire_resistance", label="Wire resistance", format=ohm_formatter()
            ),
            "stuck_fraction": throttled_slider(m, "stuck_fraction", label="Stuck devices", format="0.0%"),
            **{knob: throttled_slider(m, knob) for knob in DeviceKnobs.KNOBS},
            "log10_time": throttled_slider(
                m, "log10_time", label="Time after programming", format=duration_formatter()
            ),
            "shown_slice": throttled_slider(m, "shown_slice", label="Slice shown"),
        }
        self._inputs = {
            "seed": pn.widgets.IntInput.from_param(m.param.seed, label="Seed", sizing_mode="stretch_width"),
        }
        self._knob_note = pn.pane.Markdown(sizing_mode="stretch_width", styles={"font-size": "0.85em"})
        m.param.watch(self._sync_knobs, "technology")
        m.param.watch(self._sync_slices, "n_slices")
        self._sync_knobs()
        self._sync_slices()
        self._idle = IdleControls(m, self.widgets(), IDLE)

    def widgets(self):
        return {**self._selects, **self.read_widgets, **self._sliders, **self._inputs}

    def charts(self):
        return CHARTS

    def result(self, kind, names, compute):
        """As `LiveDashboard.result`, and kept per programmed array (`CrossbarExplorer.array_key`):
        with a pulse-level programming method, a read-time setting also reprograms the array."""
        return self.results.get(kind, tuple(names) + ("array_key",), compute)

    def _changed(self, *events, names=None):
        """With a pulse-level programming method every setting reprograms the array, so every
        plot is redrawn; otherwise only those that depend on what changed."""
        names = {e.name for e in events} if names is None else names
        if self.model.programming_method != "statistical" or "programming_method" in names:
            names = set(names) | {n for chart in self.charts() for n in chart.depends}
        super()._changed(*events, names=names)

    def busy(self, names):
        """Large arrays, any size or programming-method change, and every change while a
        pulse-level method programs the array show the loading indicator while they compute."""
        m = self.model
        # A pulse-level programming method reprograms on every change (seconds, not milliseconds).
        return (
            m.size >= LARGE_SIZE
            or m.programming_method != "statistical"
            or bool({"size", "programming_method"} & set(names))
        )

    def provisional(self, names):
        """A first result on a `PROVISIONAL_SIZE` matrix of the same protocol and settings when the
        change reprograms a large array with a slow method (`SLOW_METHODS`) or any array from
        `LARGE_SIZE` on; none when the array or the charts' results are kept already."""
        m = self.model
        if m.size <= PROVISIONAL_SIZE or not (m.programming_method in SLOW_METHODS or m.size >= LARGE_SIZE):
            return None
        if m.memo.peek("programmed", m.array_key) is not None or self.results.shared("outputs"):
            return None  # only reads (or nothing) to do: the exact result comes quickly
        stand_in = CrossbarExplorer(**{**m.settings(), "size": PROVISIONAL_SIZE})
        side = PROVISIONAL_SIZE
        return Provisional(stand_in, f"a {side} x {side} protocol matrix instead of {m.size} x {m.size}")

    # -------------------------------------------------------------- control state

    def _sync_knobs(self, *events):
        """Idle the read knobs the technology has no model for (only Flash has a temperature model)."""
        knobs = TECHNOLOGIES[self.model.technology].read_knobs
        idle = [n for n in IDLE_KNOB_LABELS if n not in knobs]
        for name in IDLE_KNOB_LABELS:
            self._sliders[name].disabled = name in idle
        self._knob_note.object = (
            protect_math(
                f"*{self.model.technology} has no model for: {', '.join(IDLE_KNOB_LABELS[n] for n in idle)} "
                f"(only Flash has one for temperature, through $$U_T = kT/q$$).*"
            )
            if idle
            else ""
        )

    def _sync_slices(self, *events):
        """The slice slider ends at the last slice (`IDLE` disables it with one slice)."""
        m, slider = self.model, self._sliders["shown_slice"]
        last = m.n_slices - 1
        if m.shown_slice > last:
            m.shown_slice = last
        slider.end = max(last, 1)  # a slider needs end > start

    # -------------------------------------------------------------- layout

    def controls(self):
        """The column of widgets."""
        s, i = self._sliders, self._inputs
        return pn.Column(
            "### Array",
            self._selects["technology"],
            self._selects["mapping"],
            self._selects["programming_method"],
            s["n_slices"],
            s["size"],
            s["batch"],
            i["seed"],
            "### Read-out",
            *self.read_widgets.values(),
            *self._idle.follow([s["log10_wire_resistance"]]),
            "### Devices",
            s["stuck_fraction"],
            s["prog_noise_scale"],
            s["read_noise_scale"],
            s["drift_scale"],
            s["temperature_K"],
            self._knob_note,
            s["log10_time"],
            "### Display",
            *self._idle.follow([s["shown_slice"]]),
            width=320,
        )
