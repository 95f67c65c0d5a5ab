"""Encoding dashboard: error versus number of slices, the conductances of each slice, the error
budget by source and the common mode, with a control for every encoding and read setting."""

import numpy as np
import panel as pn
import param
from bokeh.models import HoverTool

from ..models import CrossbarModel
from ..models.dashboards.devices import format_duration
from ..models.dashboards.encoding import SOURCES, EncodingExplorer
from ._axes import located, reference
from ._live import Chart, CrossbarReadout, LiveDashboard, LivePlot, Part, lines, step_outline
from ._palette import BLUE, DARK_GREY, GREY, LIGHT_GREY
from ._states import IdleControls, idle_while
from ._widgets import duration_formatter, throttled_slider

COMMON_MODE_PARAMS = ("xb.common_mode_gain", "xb.common_mode_offset_uS")

# Settings each data method does NOT read (it overrides them, or they only move a marker): every
# other parameter of the explorer and every read-time setting of its crossbar model ("xb.<name>"),
# including any added later, re-draws the plot when it changes.
NOT_READ = {
    "slicing_curves": ("n_slices", "allocation") + COMMON_MODE_PARAMS,
    "slice_histograms": ("xb.adc_bits", "xb.dac_bits", "xb.calibrate_gain", "batch") + COMMON_MODE_PARAMS,
    "error_budget": COMMON_MODE_PARAMS,
    # Read right after programming (no time), swept over mappings and calibration.
    "common_mode": ("mapping", "log10_time", "xb.calibrate_gain") + COMMON_MODE_PARAMS,
}

SETTINGS = tuple(n for n in EncodingExplorer.param if n not in ("name", "xb")) + tuple(
    f"xb.{n}" for n in CrossbarModel.READ_TIME
)
"""Every setting an Encoding result may read: the explorer's own and the crossbar model's read-time ones."""


def data_params(method):
    """Names of the settings that `method`'s result depends on (dotted: the crossbar model's)."""
    return tuple(n for n in SETTINGS if n not in NOT_READ[method])


N_LABEL = "slices per weight"
MVM_LABEL = "MVM error (%)"
WEIGHT_LABEL = "weight error (%)"
G_LABEL = "conductance (µS)"
COUNT_LABEL = "devices"
COUNT_FLOOR = 0.7
OFFSET_LABEL = "additive common mode (µS)"
GAIN_LABEL = "multiplicative common mode"

SLICING_TEXT = r"""Independent slice errors $$\eta_s$$ weighted by $$F^{n-1-i}$$: equal significance
($$F$$ = 1) gives $$\eta_s/\sqrt{n}$$, base $$b$$ gives
$$\eta_s\sqrt{\tfrac{(b-1)(b^n+1)}{(b+1)(b^n-1)}}$$ (dashed, from the one-slice error).
The title's *law* is this dashed prediction at the chosen $$n$$ and $$F$$.
Le Gallo et al., Neuromorph. Comput. Eng. 2, 014009 (2022)."""

HISTOGRAM_TEXT = r"""A weight is the significance-weighted sum of its slices
$$W = \sum_i F^{n-1-i} (G^+_i - G^-_i)$$; colour: slice $$i$$ (blue: most significant),
solid $$G^+$$, dashed $$G^-$$ (none for the offset mappings). Physics reference section 9; CrossSim bit
slicing; Diware et al., AICAS 2021 (unbalanced slices)."""

BUDGET_TEXT = r"""Each bar: the MVM error with that source alone; independent sources add roughly in
quadrature, $$\eta \approx \sqrt{\textstyle\sum_i \eta_i^2}$$, with the section 12 metric
$$\eta = \mathrm{mean}\ \lVert y - y_{ideal}\rVert / \lVert y_{ideal}\rVert$$.
Blue: enabled sources; gray: disabled."""

COMMON_MODE_TEXT = r"""An additive shift $$G \to G + c$$ cancels in $$G^+ - G^-$$ and against a reference
column, not against a digital offset; a multiplicative one $$G \to aG$$ is a uniform gain error that
global calibration $$\alpha = \mathrm{ref}/\overline{|y(t)|}$$ (section 8) removes.
Differential pairs: physics reference section 1; read at $$t$$ = 0."""


def _percent_at(x, xs, ys):
    return 100 * float(np.interp(x, xs, ys))


def _end_labels(xs, ys, texts):
    """Text at the right end of each line."""
    return {
        "x": np.array([x[-1] for x in xs], dtype=float),
        "y": np.array([y[-1] for y in ys], dtype=float),
        "text": list(texts),
    }


def _curve_plot(x_label, y_label, law=False):
    """Lines of a sweep (one colour each), their names at the right ends, a dotted marker."""
    plot = LivePlot(x_label, y_label)
    plot.multi_line("curves", line_width=2)
    if law:
        plot.multi_line("law", line_width=1, line_dash="dashed", hover=False)
    plot.labels("names", text_align="right", text_baseline="bottom", text_font_size="9pt")
    reference(plot, "marker", dimension="height", line_color=GREY, line_dash="dotted")  # in the x range
    return plot


def slicing_plots():
    return (_curve_plot(N_LABEL, MVM_LABEL, law=True), _curve_plot(N_LABEL, WEIGHT_LABEL))


def _base_lines(data, key):
    bases = data["bases"]
    return [data["n"]] * len(bases), [100 * data[key][F] for F in bases], [f"F = {F:g}" for F in bases]


def slicing_curves(view):
    """MVM error versus slices, one line per base, with the section 9 law dashed; weight error likewise."""
    data = view.data("slicing_curves")
    xs, mvm, names = _base_lines(data, "mvm_error")
    _, law, _ = _base_lines(data, "law")
    _, weight, _ = _base_lines(data, "weight_error")
    return (
        {"curves": lines(xs, mvm), "law": lines(xs, law), "names": _end_labels(xs, mvm, names)},
        {"curves": lines(xs, weight), "names": _end_labels(xs, weight, names)},
    )


def slicing_marker(view):
    data = view.data("slicing_curves")
    n, F = view.model.n_slices, float(view.model.base)
    return (
        {
            "title": (
                f"MVM error at n = {n}: {data['mvm_error'][F][n - 1]:.2%} (F = {F:g}), law {data['law'][F][n - 1]:.2%}"
            ),
            "marker": located(n),
        },
        {"title": f"Weight error at n = {n}: {data['weight_error'][F][n - 1]:.2%} (F = {F:g})", "marker": located(n)},
    )


def histogram_plot():
    """Step outlines of every slice's G+ (solid) and G- (dashed) histograms, log counts."""
    plot = LivePlot(G_LABEL, COUNT_LABEL, y_log=True, y_start=COUNT_FLOOR)
    plot.multi_line("plus", line_width=1.5)
    # Always a G- layer (empty for the offset mappings), so the plot updates in place.
    plot.multi_line("minus", line_width=1.5, line_dash="dashed")
    return plot


def histogram_data(view):
    m = view.model
    data = view.data("slice_histograms")
    edges = data["edges"]
    # Log counts (the level at g_min holds most devices); empty bins sit on the axis floor.
    plus = [step_outline(edges, np.maximum(c, COUNT_FLOOR)) for c in data["plus"]]
    minus = (
        [step_outline(edges, np.maximum(c, COUNT_FLOOR)) for c in data["minus"]] if data["minus"] is not None else []
    )
    bits = ", ".join(str(int(b)) for b in data["slice_bits"])
    return {
        "title": f"Slices ({bits}) bits, F = {data['base']:g}: {m.mapping} at t = {format_duration(m.t)}",
        "plus": lines([p[0] for p in plus], [p[1] for p in plus]),
        "minus": lines([p[0] for p in minus], [p[1] for p in minus]),
    }


BUDGET_ROWS = list(SOURCES) + ["quadrature sum", "total"]
BUDGET_COLORS = (LIGHT_GREY, BLUE, DARK_GREY)
"""Bar colours: disabled source, enabled source, sums."""


def budget_plot():
    plot = LivePlot("MVM error (%)", "error source", y_factors=BUDGET_ROWS[::-1], hover=False, x_start=0)
    renderer = plot.hbar("bars")
    plot.figure.add_tools(
        HoverTool(
            renderers=[renderer],
            tooltips=[
                ("source", "@y"),
                ("MVM error (%)", "@right{0.00}"),
                ("enabled sources but this one (%)", "@without{0.00}"),
            ],
        )
    )
    return plot


def budget_data(view):
    """Bars: MVM error of each source alone, their quadrature sum over enabled sources, the total."""
    data = view.data("error_budget", enabled=tuple(view.enabled_sources))
    enabled = data["enabled"]
    alone = [data["alone"][s] for s in SOURCES]
    quadrature = float(np.sqrt(sum(data["alone"][s] ** 2 for s in enabled)))
    values = np.array([100 * v for v in alone + [quadrature, data["total"]]])
    state = [1 if s in enabled else 0 for s in SOURCES] + [2, 2]
    without = np.array([100 * data["without"][s] if s in data["without"] else np.nan for s in SOURCES] + [np.nan] * 2)
    return {
        "title": f"Total MVM error {data['total']:.2%} with {len(enabled)} of {len(SOURCES)} sources",
        "bars": {"y": BUDGET_ROWS, "right": values, "color": [BUDGET_COLORS[k] for k in state], "without": without},
    }


ADDITIVE_MAPPINGS = ("differential", "offset-reference", "offset-digital")
MULTIPLICATIVE_KEYS = ("uncalibrated", "calibrated")


def common_mode_plots():
    return _curve_plot(OFFSET_LABEL, MVM_LABEL), _curve_plot(GAIN_LABEL, MVM_LABEL)


def common_mode_curves(view):
    data = view.data("common_mode")
    offsets, gains = data["offsets"], data["gains"]
    additive = [100 * data["additive"][k] for k in ADDITIVE_MAPPINGS]
    mult = [100 * data["multiplicative"][k] for k in MULTIPLICATIVE_KEYS]
    return (
        {"curves": lines(offsets, additive), "names": _end_labels([offsets] * 3, additive, ADDITIVE_MAPPINGS)},
        {"curves": lines(gains, mult), "names": _end_labels([gains] * 2, mult, MULTIPLICATIVE_KEYS)},
    )


def additive_marker(view):
    """Title and marker of the additive sweep at the chosen offset."""
    data = view.data("common_mode")
    offset = view.model.xb.common_mode_offset_uS
    at = {k: _percent_at(offset, data["offsets"], data["additive"][k]) for k in ADDITIVE_MAPPINGS}
    return (
        {
            "title": (
                f"Offset {offset:+.2f} µS: differential {at['differential']:.1f} %, "
                f"reference {at['offset-reference']:.1f} %, digital {at['offset-digital']:.1f} %"
            ),
            "marker": located(offset),
        },
        {},
    )


def multiplicative_marker(view):
    """Title and marker of the multiplicative sweep at the chosen gain."""
    data = view.data("common_mode")
    gain = view.model.xb.common_mode_gain
    gains = data["gains"]
    g_in = float(np.clip(gain, gains[0], gains[-1]))
    err = {k: _percent_at(g_in, gains, data["multiplicative"][k + " gain error"]) for k in MULTIPLICATIVE_KEYS}
    where = f"Gain x{gain:.3f}" if g_in == gain else f"Gain x{gain:.3f} (sweep ends at x{g_in:.2f})"
    return (
        {},
        {
            "title": (
                f"{where}: gain error {err['uncalibrated']:+.1f} % uncalibrated, {err['calibrated']:+.1f} % calibrated"
            ),
            "marker": located(gain),
        },
    )


REPROGRAMS = {
    "technology",
    "mapping",
    "bits_per_slice",
    "base",
    "allocation",
    "quantize_weights",
    "size",
    "batch",
    "seed",
}
"""Parameters that program new arrays (the others re-read the programmed ones)."""

SLICING = data_params("slicing_curves")
COMMON_MODE = data_params("common_mode")

CHARTS = (
    Chart(
        "Error versus number of slices",
        slicing_plots,
        (Part(slicing_curves, SLICING), Part(slicing_marker, SLICING + ("n_slices",))),
        SLICING_TEXT,
    ),
    Chart(
        "Conductances of each slice",
        histogram_plot,
        (Part(histogram_data, data_params("slice_histograms")),),
        HISTOGRAM_TEXT,
    ),
    Chart(
        "Error budget",
        budget_plot,
        (Part(budget_data, data_params("error_budget") + ("enabled_sources",)),),
        BUDGET_TEXT,
    ),
    Chart(
        "Common mode",
        common_mode_plots,
        (
            Part(common_mode_curves, COMMON_MODE),
            Part(additive_marker, COMMON_MODE + ("xb.common_mode_offset_uS",)),
            Part(multiplicative_marker, COMMON_MODE + ("xb.common_mode_gain",)),
        ),
        COMMON_MODE_TEXT,
    ),
)
"""Every plot of the dashboard, with the parameters each part of it depends on."""


IDLE = (idle_while("allocation", "n_slices", (1,), 2, "One slice holds every bit."),)
"""Controls that do nothing for the chosen settings (`Idle`): disabled, with the reason under them.
(The significance base stays enabled with one slice: its curve over 1 to 4 slices is still drawn.)"""


class EncodingView(CrossbarReadout, LiveDashboard):
    """The Encoding dashboard for one `EncodingExplorer` model."""

    model = param.ClassSelector(class_=EncodingExplorer, doc="The model the controls drive.")

    TRY_THIS = """Move {n_slices} from 1 to 4 and watch the MVM error fall in the first plot; set {base} to 1
and see how much less each slice gains. Untick an entry of {sources} to see its share of the error."""

    enabled_sources = param.ListSelector(
        default=list(SOURCES), objects=list(SOURCES), doc="Error sources switched on in the error budget."
    )

    WIDGET_ATTRS = CrossbarReadout.WIDGET_ATTRS + ("_widgets", "_bits_note", "_idle")

    def make_widgets(self):
        super().make_widgets()
        m = self.model
        stretch = dict(sizing_mode="stretch_width")
        self._widgets = {
            "technology": pn.widgets.Select.from_param(m.param.technology, label="Technology", **stretch),
            "mapping": pn.widgets.Select.from_param(m.param.mapping, label="Mapping", **stretch),
            "n_slices": throttled_slider(m, "n_slices", label="Slices"),
            "bits_per_slice": throttled_slider(m, "bits_per_slice", label="Bits per slice"),
            "base": throttled_slider(m, "base", label="Significance base F"),
            "allocation": pn.widgets.Select.from_param(m.param.allocation, label="Allocation", **stretch),
            "quantize_weights": pn.widgets.Checkbox.from_param(
                m.param.quantize_weights, label="Quantize weights", **stretch
            ),
            "log10_time": throttled_slider(
                m, "log10_time", label="Time after programming", format=duration_formatter()
            ),
            "seed": pn.widgets.IntInput.from_param(m.param.seed, label="Seed", **stretch),
            "sources": pn.widgets.CheckBoxGroup.from_param(
                self.param.enabled_sources, label="Error sources", inline=False, **stretch
            ),
        }
        self._bits_note = pn.pane.Markdown(
            pn.bind(lambda n, b: f"*{n * b}-bit weights: {n} x {b} bits.*", m.param.n_slices, m.param.bits_per_slice),
            sizing_mode="stretch_width",
            styles={"font-size": "0.85em"},
        )
        m.param.watch(self._sync_slices, "bits_per_slice")
        self._sync_slices()
        self._idle = IdleControls(m, self.widgets(), IDLE)

    def _sync_slices(self, *events):
        """The slices slider ends where slices x bits reach the most weight bits."""
        slider, most = self._widgets["n_slices"], self.model.max_slices
        slider.end = max(most, 2)  # a slider needs end > start
        slider.disabled = most == 1

    def data(self, method, **kwargs):
        """`model.method(**kwargs)`, reused while the parameters it reads and `kwargs` are unchanged."""
        kind = (method,) + tuple(sorted(kwargs.items()))
        return self.result(kind, data_params(method), lambda: getattr(self.model, method)(**kwargs))

    def widgets(self):
        return {**self._widgets, **self.read_widgets}

    def charts(self):
        return CHARTS

    def busy(self, names):
        """Changes that reprogram the 20-odd arrays of the sweeps show the loading indicator."""
        return bool(set(names) & REPROGRAMS)

    def controls(self):
        """The column of widgets."""
        w, r = self._widgets, self.read_widgets
        common = [r[n[3:]] for n in COMMON_MODE_PARAMS if n[3:] in r]
        read = [r[n] for n in r if f"xb.{n}" not in COMMON_MODE_PARAMS]
        return pn.Column(
            "### Encoding",
            w["technology"],
            w["mapping"],
            w["n_slices"],
            w["bits_per_slice"],
            self._bits_note,
            w["base"],
            *self._idle.follow([w["allocation"]]),
            w["quantize_weights"],
            "### Read",
            *read,
            w["log10_time"],
            "### Common mode",
            *common,
            "### Error budget",
            w["sources"],
            "### Problem",
            w["seed"],
            width=320,
        )
