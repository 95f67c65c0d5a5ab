"""Reliability dashboard: accuracy of the digits MLP against time on simulated chips, with its
Monte-Carlo band, drift compensation and the floating-point accuracy marked."""

import numpy as np
import panel as pn
import param

from ..models.devices_explorer import KNOBS
from ..models.reliability_explorer import ReliabilityExplorer
from ._live import Chart, LiveDashboard, LivePlot, Part
from ._widgets import control_widget, duration_formatter, sync_knob_widgets, throttled_slider

CURVE_TEXT = r"""Test accuracy of the 64-32-10 MLP (97.2 % in floating point, dotted) deployed on one-sided
differential pairs, read at each time; solid: mean over the chips, dashed: its 95 % interval
($$\pm 1.96\,s/\sqrt{N}$$). PCM drift $$g(t) = g_0\,(t/t_0)^{-\nu}$$ (Joshi et al., Nat. Commun. 2020);
compensation $$\alpha(t) = \mathrm{mean}|y(0)| / \mathrm{mean}|y(t)|$$ from one-hot reads (global, or per
column; physics reference section 8, aihwkit)."""


def curve_plot():
    plot = LivePlot("time after programming (s)", "test accuracy", x_log=True)
    plot.line("low", line_width=1, line_dash="dashed", line_color="#1f77b4", hover=False)
    plot.line("high", line_width=1, line_dash="dashed", line_color="#1f77b4", hover=False)
    plot.line("mean", line_width=2.5, line_color="#1f77b4")
    plot.span("float", dimension="width", line_color="gray", line_dash="dotted")
    plot.span("now", line_color="black", line_dash="dashed")
    return plot


def curve_data(view):
    m = view.model
    c = m.curve()
    t = c["times_s"]
    year = int(np.argmin(np.abs(np.log(t / 3.156e7))))
    comp = "no" if m.compensation == "none" else m.compensation
    net = "" if m.training == "plain" else ", hardware-aware network"
    return {"title": (f"{m.technology}, {comp} drift compensation{net}, {m.chips} chips: "
                      f"{c['mean'][year]:.1%} at 1 year (float {c['float_accuracy']:.1%})"),
            "mean": {"x": t, "y": c["mean"]}, "low": {"x": t, "y": c["mean"] - c["ci95"]},
            "high": {"x": t, "y": c["mean"] + c["ci95"]}, "float": c["float_accuracy"]}


def curve_marker(view):
    return {"now": view.model.t}


CURVE_PARAMS = ("technology", *KNOBS, "compensation", "chips", "n_slices", "adc_bits", "programming_method", "training",
                "seed")

CHARTS = (
    Chart("Accuracy versus time", curve_plot, (Part(curve_data, CURVE_PARAMS), Part(curve_marker, ("log10_time",))),
          CURVE_TEXT),
)


class ReliabilityView(LiveDashboard):
    """The Reliability dashboard for one `ReliabilityExplorer` model."""

    model = param.ClassSelector(class_=ReliabilityExplorer, doc="The model the controls drive.")

    def __init__(self, **params):
        super().__init__(**params)
        m = self.model
        self._widgets = {
            "technology": control_widget(m, "technology", label="Technology"),
            "compensation": control_widget(m, "compensation"),
            "log10_time": throttled_slider(m, "log10_time", label="Marked time", format=duration_formatter()),
            **{knob: throttled_slider(m, knob) for knob in KNOBS},
            "chips": control_widget(m, "chips"),
            "n_slices": control_widget(m, "n_slices"),
            "adc_bits": control_widget(m, "adc_bits"),
            "programming_method": control_widget(m, "programming_method"),
            "training": control_widget(m, "training"),
            "seed": pn.widgets.IntInput.from_param(m.param.seed, label="Seed", sizing_mode="stretch_width"),
        }
        self._knob_note = pn.pane.Markdown(sizing_mode="stretch_width", styles={"font-size": "0.85em"})
        m.param.watch(self._sync_knobs, "technology")
        self._sync_knobs()

    def _sync_knobs(self, *events):
        sync_knob_widgets(self.model, self._widgets, self._knob_note)

    def busy(self, names):
        return bool(set(names) - {"log10_time"})  # a new curve takes a fraction of a second or more

    def widgets(self):
        return dict(self._widgets)

    def charts(self):
        return CHARTS

    def controls(self):
        w = self._widgets
        return pn.Column(
            "### Technology", w["technology"], w["compensation"], w["training"],
            "### Read", w["log10_time"], w["drift_scale"], w["read_noise_scale"], w["temperature_K"], self._knob_note,
            "### Programming", w["prog_noise_scale"], w["programming_method"], w["n_slices"], w["adc_bits"],
            "### Monte Carlo", w["chips"], w["seed"],
            width=320,
        )
