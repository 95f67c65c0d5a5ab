"""Encoding dashboard: error versus number of slices, the conductances of each slice, the error
budget by source and the common mode, with a control for every encoding and read setting."""


import holoviews as hv
import numpy as np
import panel as pn
import param

from ..models.devices_explorer import format_duration
from ..models.encoding_explorer import SOURCES, EncodingExplorer
from ._widgets import ResultMemo, duration_formatter, explained, throttled_slider
from .devices import PLOT_OPTS, _lines, _step_outline, overlay  # also sets up the bokeh renderer

# Colour of line `group` k is Category10[k]: a fixed colour range, so colours do not move when
# the number of lines changes.
GROUP_COLORS = dict(color="group", cmap="Category10", clim=(-0.5, 9.5))

COMMON_MODE_PARAMS = ("common_mode_gain", "common_mode_offset_uS")

# Model parameters each data method does NOT read (it overrides them, or they only move a marker):
# every other parameter, including any added to the model later, re-draws the plot when it changes.
NOT_READ = {
    "slicing_curves": ("n_slices", "allocation") + COMMON_MODE_PARAMS,
    "slice_histograms": ("adc_bits", "dac_bits", "calibrate_gain", "batch") + COMMON_MODE_PARAMS,
    "error_budget": COMMON_MODE_PARAMS,
    # Read right after programming (no time), swept over mappings and calibration.
    "common_mode": ("mapping", "log10_time", "calibrate_gain") + COMMON_MODE_PARAMS,
}


def data_params(method):
    """Names of the `EncodingExplorer` parameters that `method`'s result depends on."""
    return tuple(n for n in EncodingExplorer.param if n != "name" and n not in NOT_READ[method])


N_DIM = hv.Dimension("n", label="slices per weight")
MVM_DIM = hv.Dimension("mvm_error", label="MVM error (%)")
WEIGHT_DIM = hv.Dimension("weight_error", label="weight error (%)")
G_DIM = hv.Dimension("g", label="conductance (µS)")
COUNT_DIM = hv.Dimension("count", label="devices")
COUNT_FLOOR = 0.7
OFFSET_DIM = hv.Dimension("offset", label="additive common mode (µS)")
GAIN_DIM = hv.Dimension("gain", label="multiplicative common mode")

SLICING_TEXT = r"""Independent slice errors $$\eta_s$$ weighted by $$F^{n-1-i}$$: equal significance
($$F$$ = 1) gives $$\eta_s/\sqrt{n}$$, base $$b$$ gives
$$\eta_s\sqrt{\tfrac{(b-1)(b^n+1)}{(b+1)(b^n-1)}}$$ (dashed, from the one-slice error).
Le Gallo et al., Neuromorph. Comput. Eng. 2, 014009 (2022)."""

HISTOGRAM_TEXT = r"""A weight is the significance-weighted sum of its slices
$$W = \sum_i F^{n-1-i} (G^+_i - G^-_i)$$; colour: slice $$i$$ (blue: most significant),
solid $$G^+$$, dashed $$G^-$$ (none for the offset mappings). Seed section 3.2; CrossSim bit
slicing; Diware et al., AICAS 2021 (unbalanced slices)."""

BUDGET_TEXT = r"""Each bar: the MVM error with that source alone; independent sources add roughly in
quadrature, $$\eta \approx \sqrt{\textstyle\sum_i \eta_i^2}$$, with the section 12 metric
$$\eta = \mathrm{mean}\ \lVert y - y_{ideal}\rVert / \lVert y_{ideal}\rVert$$.
Blue: enabled sources; gray: disabled."""

COMMON_MODE_TEXT = r"""An additive shift $$G \to G + c$$ cancels in $$G^+ - G^-$$ and against a reference
column, not against a digital offset; a multiplicative one $$G \to aG$$ is a uniform gain error that
global calibration $$\alpha = \mathrm{ref}/\overline{|y(t)|}$$ (section 8) removes.
Seed section 3.1; read at $$t$$ = 0."""


def _end_labels(xs, ys, texts):
    """Text at the right end of each line (one `hv.Labels`, same structure for any number)."""
    return hv.Labels({"x": [x[-1] for x in xs], "y": [y[-1] for y in ys], "text": list(texts)},
                     kdims=["x", "y"], vdims=["text"]).opts(
        text_align="right", text_baseline="bottom", text_font_size="9pt", text_color="black")


def _percent_at(x, xs, ys):
    return 100 * float(np.interp(x, xs, ys))


def _base_lines(data, key):
    bases = data["bases"]
    return [data["n"]] * len(bases), [100 * data[key][F] for F in bases], [f"F = {F:g}" for F in bases]


def slicing_mvm_plot(data, n_slices, base):
    """MVM error versus slices, one line per base, with the section 9 law dashed."""
    xs, mvm, names = _base_lines(data, "mvm_error")
    _, law, _ = _base_lines(data, "law")
    F = float(base)
    title = (f"MVM error at n = {n_slices}: {data['mvm_error'][F][n_slices - 1]:.2%} (F = {F:g}), "
             f"law {data['law'][F][n_slices - 1]:.2%}")
    return overlay([
        _lines(xs, mvm, range(len(xs)), [N_DIM], [MVM_DIM]).opts(**GROUP_COLORS, line_width=2),
        _lines(xs, law, range(len(xs)), [N_DIM], [MVM_DIM]).opts(**GROUP_COLORS, line_dash="dashed"),
        _end_labels(xs, mvm, names),
        hv.VLine(n_slices).opts(color="gray", line_dash="dotted"),
    ], title=title)


def slicing_weight_plot(data, n_slices, base):
    """Weight error versus slices, one line per base."""
    xs, weight, names = _base_lines(data, "weight_error")
    F = float(base)
    title = f"Weight error at n = {n_slices}: {data['weight_error'][F][n_slices - 1]:.2%} (F = {F:g})"
    return overlay([
        _lines(xs, weight, range(len(xs)), [N_DIM], [WEIGHT_DIM]).opts(**GROUP_COLORS, line_width=2),
        _end_labels(xs, weight, names),
        hv.VLine(n_slices).opts(color="gray", line_dash="dotted"),
    ], title=title)


def histogram_plot(data, mapping, t):
    """Step outlines of every slice's G+ (solid) and G- (dashed) histograms."""
    edges = data["edges"]
    # Log counts (the level at g_min holds most devices); empty bins sit on the axis floor.
    plus = [_step_outline(edges, np.maximum(c, COUNT_FLOOR)) for c in data["plus"]]
    minus = ([_step_outline(edges, np.maximum(c, COUNT_FLOOR)) for c in data["minus"]]
             if data["minus"] is not None else [])
    bits = ", ".join(str(int(b)) for b in data["slice_bits"])
    title = f"Slices ({bits}) bits, F = {data['base']:g}: {mapping} at t = {format_duration(t)}"
    return overlay([
        _lines([p[0] for p in plus], [p[1] for p in plus], range(len(plus)), [G_DIM], [COUNT_DIM]).opts(
            **GROUP_COLORS, line_width=1.5),
        # Always a G- layer (an invisible line for the offset mappings), so the plot updates in place.
        _lines([p[0] for p in minus], [p[1] for p in minus], range(len(minus)), [G_DIM], [COUNT_DIM]).opts(
            **GROUP_COLORS, line_width=1.5, line_dash="dashed"),
    ], logy=True, ylim=(COUNT_FLOOR, None), title=title)


BUDGET_ROWS = list(SOURCES) + ["quadrature sum", "total"]


def budget_plot(data):
    """Bars: MVM error of each source alone, their quadrature sum over enabled sources, the total."""
    enabled = data["enabled"]
    alone = [data["alone"][s] for s in SOURCES]
    quadrature = float(np.sqrt(sum(data["alone"][s] ** 2 for s in enabled)))
    values = [100 * v for v in alone + [quadrature, data["total"]]]
    state = [1 if s in enabled else 0 for s in SOURCES] + [2, 2]
    without = [100 * data["without"][s] if s in data["without"] else np.nan for s in SOURCES] + [np.nan] * 2
    title = f"Total MVM error {data['total']:.2%} with {len(enabled)} of {len(SOURCES)} sources"
    return hv.Bars(
        {"source": BUDGET_ROWS, "error": values, "state": state, "without": without},
        kdims=[hv.Dimension("source", label="error source")],
        vdims=[hv.Dimension("error", label="MVM error (%)"), "state",
               hv.Dimension("without", label="enabled sources but this one (%)")],
    ).opts(color="state", cmap=["#c8c8c8", "#3f51b5", "#222222"], clim=(-0.5, 2.5), invert_axes=True,
           **PLOT_OPTS, title=title)


ADDITIVE_MAPPINGS = ("differential", "offset-reference", "offset-digital")
MULTIPLICATIVE_KEYS = ("uncalibrated", "calibrated")


def additive_plot(data, offset):
    """MVM error versus an additive common mode for three mappings; dotted: the chosen offset."""
    offsets = data["offsets"]
    additive = [100 * data["additive"][k] for k in ADDITIVE_MAPPINGS]
    at = {k: _percent_at(offset, offsets, data["additive"][k]) for k in ADDITIVE_MAPPINGS}
    title = (f"Offset {offset:+.2f} µS: differential {at['differential']:.1f} %, "
             f"reference {at['offset-reference']:.1f} %, digital {at['offset-digital']:.1f} %")
    return overlay([
        _lines([offsets] * 3, additive, range(3), [OFFSET_DIM], [MVM_DIM]).opts(**GROUP_COLORS, line_width=2),
        _end_labels([offsets] * 3, additive, ADDITIVE_MAPPINGS),
        hv.VLine(offset).opts(color="gray", line_dash="dotted"),
    ], title=title)


def multiplicative_plot(data, gain):
    """MVM error versus a multiplicative common mode, with and without calibration; dotted: the chosen gain."""
    gains = data["gains"]
    mult = [100 * data["multiplicative"][k] for k in MULTIPLICATIVE_KEYS]
    g_in = float(np.clip(gain, gains[0], gains[-1]))
    err = {k: _percent_at(g_in, gains, data["multiplicative"][k + " gain error"]) for k in MULTIPLICATIVE_KEYS}
    where = f"Gain x{gain:.3f}" if g_in == gain else f"Gain x{gain:.3f} (sweep ends at x{g_in:.2f})"
    title = (f"{where}: gain error {err['uncalibrated']:+.1f} % uncalibrated, "
             f"{err['calibrated']:+.1f} % calibrated")
    return overlay([
        _lines([gains] * 2, mult, range(2), [GAIN_DIM], [MVM_DIM]).opts(**GROUP_COLORS, line_width=2),
        _end_labels([gains] * 2, mult, MULTIPLICATIVE_KEYS),
        hv.VLine(gain).opts(color="gray", line_dash="dotted"),
    ], title=title)


class EncodingView(pn.viewable.Viewer):
    """The Encoding dashboard for one `EncodingExplorer` model."""

    model = param.ClassSelector(class_=EncodingExplorer, doc="The model the controls drive.")

    enabled_sources = param.ListSelector(default=list(SOURCES), objects=list(SOURCES),
                                         doc="Error sources switched on in the error budget.")

    def __init__(self, **params):
        if params.get("model") is None:
            params["model"] = EncodingExplorer()
        super().__init__(**params)
        m = self.model
        self._memo = ResultMemo(m)  # plots sharing one computation, or redrawn for a marker
        stretch = dict(sizing_mode="stretch_width")
        self._widgets = {
            "technology": pn.widgets.Select.from_param(m.param.technology, name="Technology", **stretch),
            "mapping": pn.widgets.Select.from_param(m.param.mapping, name="Mapping", **stretch),
            "n_slices": throttled_slider(m, "n_slices", name="Slices"),
            "bits_per_slice": throttled_slider(m, "bits_per_slice", name="Bits per slice"),
            "base": throttled_slider(m, "base", name="Significance base F"),
            "allocation": pn.widgets.Select.from_param(m.param.allocation, name="Allocation", **stretch),
            "quantize_weights": pn.widgets.Checkbox.from_param(m.param.quantize_weights,
                                                               name="Quantize weights", **stretch),
            "adc_bits": throttled_slider(m, "adc_bits", name="ADC bits"),
            "dac_bits": throttled_slider(m, "dac_bits", name="DAC bits"),
            "log10_time": throttled_slider(m, "log10_time", name="Time after programming",
                                           format=duration_formatter()),
            "calibrate_gain": pn.widgets.Checkbox.from_param(m.param.calibrate_gain, name="Gain calibration",
                                                             **stretch),
            "common_mode_gain": throttled_slider(m, "common_mode_gain", name="Multiplicative common mode"),
            "common_mode_offset_uS": throttled_slider(m, "common_mode_offset_uS",
                                                      name="Additive common mode (µS)"),
            "seed": pn.widgets.IntInput.from_param(m.param.seed, name="Seed", **stretch),
            "sources": pn.widgets.CheckBoxGroup.from_param(self.param.enabled_sources, name="Error sources",
                                                           inline=False, **stretch),
        }
        self._bits_note = pn.pane.Markdown(
            pn.bind(lambda n, b: f"*{n * b}-bit weights: {n} x {b} bits.*", m.param.n_slices,
                    m.param.bits_per_slice),
            sizing_mode="stretch_width", styles={"font-size": "0.85em"})

    def _data(self, method, **kwargs):
        """`model.method(**kwargs)`, reused while the parameters it reads and `kwargs` are unchanged."""
        kind = (method,) + tuple(sorted(kwargs.items()))
        return self._memo.get(kind, data_params(method), lambda: getattr(self.model, method)(**kwargs))

    def slicing_mvm(self):
        return slicing_mvm_plot(self._data("slicing_curves"), self.model.n_slices, self.model.base)

    def slicing_weight(self):
        return slicing_weight_plot(self._data("slicing_curves"), self.model.n_slices, self.model.base)

    def histogram(self):
        m = self.model
        return histogram_plot(self._data("slice_histograms"), m.mapping, m.t)

    def budget(self):
        return budget_plot(self._data("error_budget", enabled=tuple(self.enabled_sources)))

    def additive(self):
        return additive_plot(self._data("common_mode"), self.model.common_mode_offset_uS)

    def multiplicative(self):
        return multiplicative_plot(self._data("common_mode"), self.model.common_mode_gain)

    def panels(self):
        """Every plot: (title, [(view -> element, parameters it depends on)], explanation)."""
        slicing = data_params("slicing_curves") + ("n_slices",)
        common_mode = data_params("common_mode")
        return [
            ("Error versus number of slices",
             [(EncodingView.slicing_mvm, slicing), (EncodingView.slicing_weight, slicing)], SLICING_TEXT),
            ("Conductances of each slice", [(EncodingView.histogram, data_params("slice_histograms"))],
             HISTOGRAM_TEXT),
            ("Error budget", [(EncodingView.budget, data_params("error_budget") + ("enabled_sources",))],
             BUDGET_TEXT),
            ("Common mode",
             [(EncodingView.additive, common_mode + ("common_mode_offset_uS",)),
              (EncodingView.multiplicative, common_mode + ("common_mode_gain",))], COMMON_MODE_TEXT),
        ]

    def _param(self, name):
        return self.param[name] if name in self.param and name != "name" else self.model.param[name]

    def controls(self):
        """The column of widgets."""
        w = self._widgets
        return pn.Column(
            "### Encoding", w["technology"], w["mapping"], w["n_slices"], w["bits_per_slice"], self._bits_note,
            w["base"], w["allocation"], w["quantize_weights"],
            "### Read", w["dac_bits"], w["adc_bits"], w["log10_time"], w["calibrate_gain"],
            "### Common mode", w["common_mode_gain"], w["common_mode_offset_uS"],
            "### Error budget", w["sources"],
            "### Problem", w["seed"],
            width=320,
        )

    def plots(self):
        """The plots with their explanations, each re-drawn when one of its parameters changes."""
        column = []
        for title, parts, text in self.panels():
            panes = []
            for draw, names in parts:
                bound = pn.bind(lambda *_, draw=draw: draw(self), *[self._param(n) for n in names])
                # A DynamicMap updates the plot's data in place instead of replacing the figure.
                # Unlinked axes: other plots of the page with the same dimension keep their own ranges.
                panes.append(pn.pane.HoloViews(hv.DynamicMap(bound), linked_axes=False,
                                               sizing_mode="stretch_width"))
            pane = panes[0] if len(panes) == 1 else pn.Column(*panes, sizing_mode="stretch_width")
            column.append(explained(title, pane, text))
        return pn.Column(*column, sizing_mode="stretch_width")

    def __panel__(self):
        return pn.Row(self.controls(), self.plots(), sizing_mode="stretch_width")
