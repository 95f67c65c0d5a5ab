"""Devices dashboard: multi-level conductance histograms, drift, pulse response,
telegraph noise and Flash I-V curves, with a slider for every read and programming knob."""

import numpy as np
import panel as pn
import param

from ..models.dashboards.devices import KNOBS, DevicesExplorer, format_duration
from ._axes import TIME_LABEL, time_axis
from ._live import Chart, LiveDashboard, LivePlot, Part, lines, step_outline
from ._palette import BLACK, GREY, LIGHT_GREY
from ._widgets import control_widget, duration_formatter, sync_knob_widgets, throttled_slider

READ_EQUATIONS = {
    "PCM": r"""Programming draws $$g_{prog} = g_T + \sigma_{prog}(g_T)\,\xi$$ and a drift exponent
$$\nu$$ per device; a read at time $$t$$ gives
$$g = g_{prog}\left(\tfrac{t+t_0}{t_0}\right)^{-\nu} + |g_{drift}|\,Q_s\sqrt{\ln\tfrac{t+t_0+t_r}{2t_r}}\,\xi$$
Joshi et al., Nat. Commun. 11, 2473 (2020); Nandakumar et al., ICECS 2019.""",
    "PCM-HERMES": r"""Same structure as PCM with the 14 nm HERMES fits ($$g_{max}$$ = 20.7 µS, $$t_0$$ = 300 s):
$$g = g_{prog}\left(\tfrac{t+t_0}{t_0}\right)^{-\nu} + |g_{drift}|\,Q_s(g_{prog})\sqrt{\ln\tfrac{t+t_0+t_r}{2t_r}}\,\xi$$
Le Gallo et al., Nat. Electron. 6, 680 (2023).""",
    "RRAM": r"""CMO/HfOx after program-and-verify: $$\sigma_{prog} = 0.00081 + 0.00107\,g$$; relaxation
$$g = g_{prog} - 0.089\ln t + (0.042\ln t + 0.41)\,\xi$$, plus 1/f read noise and telegraph noise.
IBM Zurich statistics (aihwkit ReRamCMONoiseModel).""",
    "Flash": r"""Subthreshold read current $$I = I_0\,e^{\kappa (V_{gs}-V_{th})/U_T}$$, $$U_T = kT/q$$;
$$V_{th}$$ set by incremental-step pulses with verify to about 1 %, read with 1.7 % noise; oxide wear
widens the levels. Physics reference sections 4 and 7b; Mythic: 256 levels per cell; Merrikh-Bayat
et al. 2014 and Guo et al. 2016: about 1 % tuning, about 2 % vector-matrix precision.""",
    "ECRAM": r"""Closed-loop pulsing stops within half a step: $$|g - g_T| \lesssim \Delta g/2$$,
plus read noise $$\sigma_r\,\xi$$; no drift model.
Physics reference section 5 (ECRAM / Li-ion synaptic transistors).""",
    "Soft-bounds": r"""Closed-loop pulsing with steps $$\Delta g \propto (1 - g/g_{max})$$ and 30 % cycle-to-cycle
spread; read noise $$\sigma_r\,\xi$$. aihwkit's SoftBoundsDevice (physics reference section 5).""",
}

PULSE_TEXT = {
    "PCM": r"""SET is gradual, partial RESET abrupt:
$$\Delta g^+ = \Delta g_{set}(1 - g/g_{max})(1+\sigma_{c2c}\xi)$$, $$\Delta g^- = f_{reset}\,g$$.
Nandakumar et al., J. Appl. Phys. 124, 152135 (2018).""",
    "default": r"""Soft bounds: $$\Delta g^\pm = \Delta g_{min}^\pm\,x^{\gamma}(1+\sigma_{c2c}\xi)$$, $$x$$ the distance
to the bound ($$\gamma$$ = 1 soft bounds, 0 linear); up/down asymmetry and device-to-device spread.
aihwkit device models (physics reference section 5).""",
}

RTN_TEXT = r"""A two-state trap switches with exponential dwell times; the relative jump
$$\Delta g/g = A\,(g_{ref}/g)$$ grows as the filament thins; zero-mean about the programmed g.
Ielmini, Nardi and Cagli, Appl. Phys. Lett. 96, 053503 (2010). Not added to reads by default:
the CMO read-noise fit already holds the measured fluctuations."""

IV_TEXT = r"""Gate sweep of cells at several levels: $$I_{ds} = I_0\,e^{\kappa (V_{gs}-V_{th})/U_T}$$,
dashed at 300 K: temperature changes $$U_T$$, so levels move unequally.
Subthreshold MOSFET law; physics reference section 4."""

DRIFT_TEXT = {
    "PCM": r"""Each device keeps the exponent drawn at programming: $$g(t) = g_{prog}\left(\tfrac{t+t_0}{t_0}\right)^{-\nu}$$,
$$\nu \approx 0.05$$-$$0.1$$: levels sink and spread on a log-time axis. Joshi et al. (2020).""",
    "RRAM": r"""Filament relaxation: $$\langle g\rangle = g_{prog} - 0.089\ln t$$ with a spread growing as
$$0.042\ln t + 0.41$$ µS. IBM Zurich CMO/HfOx statistics.""",
    "Flash": r"""Charge loss lowers $$V_{th}$$ by a tiny amount per decade: negligible drift.
Physics reference section 4 (Mythic: little drift).""",
    "default": r"""No drift model for this technology: only read noise changes from read to read.
Physics reference section 5.""",
}

LEVEL_ERROR_TEXT = r"""*Level read-back error* (in the title): the share of devices whose read conductance lies nearer
another level's target than their own, so that reading back the level gives the wrong one."""

HISTOGRAM_TEXT = {tech: f"{text}\n\n{LEVEL_ERROR_TEXT}" for tech, text in READ_EQUATIONS.items()}
"""The read equations of each technology with the definition of the title's level read-back error."""


G_LABEL = "conductance (µS)"


def histogram_plot():
    """Histogram of read conductances: the total in gray, one outline per level (up to 16
    levels), the level targets dotted."""
    plot = LivePlot(G_LABEL, "devices", y_start=0)
    plot.quad("total", fill_color=LIGHT_GREY, line_color=None)
    plot.multi_line("levels", line_width=1.5)
    plot.segment("targets", line_color=BLACK, line_dash="dotted")
    return plot


def histogram_data(view):
    m = view.model
    data = m.histogram()
    edges, counts = data["edges"], data["counts"]
    outlines = [step_outline(edges, c) for c in (data["per_level"] if data["per_level"] is not None else [])]
    targets = data["targets"]
    top = max(float(counts.max()), 1.0) * 1.05
    return {
        "title": (
            f"{m.technology}{'' if m.programming_method == 'statistical' else ', ' + m.programming_method}: "
            f"{len(targets)} levels at t = {format_duration(data['t'])}, "
            f"level read-back error {100 * data['level_error_rate']:.1f} %"
        ),
        "total": {"left": edges[:-1], "right": edges[1:], "top": counts.astype(np.float32)},
        "levels": lines([o[0] for o in outlines], [o[1] for o in outlines]),
        "targets": {"x0": targets, "y0": np.zeros_like(targets), "x1": targets, "y1": np.full_like(targets, top)},
    }


def drift_plot():
    """Conductance of a few devices per level versus time after programming (log axis), the chosen
    time dashed."""
    plot = LivePlot(TIME_LABEL, G_LABEL, x_log=True)
    time_axis(plot.figure)  # ticks 1 s, 1 min, 1 h, 1 d, 1 mo, 1 y, 10 y
    plot.multi_line("paths", line_width=1)
    plot.span("now", line_color=BLACK, line_dash="dashed")
    return plot


def drift_data(view):
    data = view.model.drift_trajectories()
    return {
        "title": "Drift trajectories (dashed: chosen time)",
        "paths": lines(data["times"], data["g"], data["level"]),
    }


def drift_marker(view):
    return {"now": view.model.t}


def pulse_plot():
    """Conductance versus pulse number: potentiation then depression, one line per device."""
    plot = LivePlot("pulse number", G_LABEL)
    plot.multi_line("paths", line_width=1)
    plot.span("switch", line_color=GREY, line_dash="dotted")
    return plot


def pulse_data(view):
    m = view.model
    data = m.pulse_response()
    n = (len(data["pulse"]) - 1) // 2
    return {
        "title": f"{m.technology}: {n} potentiating then {n} depressing pulses",
        "paths": lines(data["pulse"], data["g"]),
        "switch": float(n),
    }


def rtn_plot():
    """Relative conductance deviation of three RRAM devices over time (telegraph noise)."""
    plot = LivePlot("time (s)", "g / g_prog - 1 (%)")
    plot.multi_line("paths", line_width=1)
    return plot


def rtn_data(view):
    data = view.model.rtn_trace()  # shown for RRAM only
    labels = ", ".join(f"{g:.0f}" for g in data["g_prog"])
    return {
        "title": f"RRAM telegraph noise at g = {labels} µS (larger at low g)",
        "paths": lines(data["time"], 100 * data["relative"]),
    }


def iv_plot():
    """Flash drain current versus gate voltage for cells at several levels (log current), dashed at 300 K."""
    plot = LivePlot("gate voltage (V)", "drain current (A)", y_log=True)
    plot.multi_line("reference", line_width=1, line_dash="dashed", line_alpha=0.6, hover=False)
    plot.multi_line("now", line_width=2)
    return plot


def iv_data(view):
    m = view.model
    data = m.flash_iv()  # shown for Flash only
    return {
        "title": f"Flash subthreshold I-V at {m.temperature_K:.0f} K",
        "now": lines(data["v_gs"], data["current"]),
        "reference": lines(data["v_gs"], data["current_300K"]),
    }


READ_PARAMS = (
    "technology",
    "drift_scale",
    "prog_noise_scale",
    "read_noise_scale",
    "temperature_K",
    "n_levels",
    "log10_time",
    "n_devices",
    "seed",
    "programming_method",
)
TRAJECTORY_PARAMS = tuple(n for n in READ_PARAMS if n != "log10_time")

CHARTS = (
    Chart("Programmed levels at the chosen time", histogram_plot, (Part(histogram_data, READ_PARAMS),), HISTOGRAM_TEXT),
    Chart(
        "Drift on a log-time axis",
        drift_plot,
        (Part(drift_data, TRAJECTORY_PARAMS), Part(drift_marker, ("log10_time",))),
        DRIFT_TEXT,
    ),
    Chart("Pulse response", pulse_plot, (Part(pulse_data, ("technology", "seed")),), PULSE_TEXT),
    Chart(
        "Random telegraph noise",
        rtn_plot,
        (Part(rtn_data, ("technology", "seed")),),
        RTN_TEXT,
        shown=lambda model: model.technology == "RRAM",
    ),
    Chart(
        "Flash I-V curves",
        iv_plot,
        (
            Part(
                iv_data,
                (
                    "technology",
                    "temperature_K",
                    "n_levels",
                    "prog_noise_scale",
                    "n_devices",
                    "seed",
                    "programming_method",
                ),
            ),
        ),
        IV_TEXT,
        shown=lambda model: model.technology == "Flash",
    ),
)
"""Every plot of the dashboard, with the parameters each part of it depends on."""


class DevicesView(LiveDashboard):
    """The Devices dashboard for one `DevicesExplorer` model."""

    model = param.ClassSelector(class_=DevicesExplorer, doc="The model the sliders drive.")

    TRY_THIS = """Drag {log10_time} from 1 s to 10 y and watch the levels of the first histogram sink,
widen and merge; then set {technology} to Flash and move {temperature_K}."""

    WIDGET_ATTRS = ("_technology", "_sliders", "_knob_note")

    def make_widgets(self):
        super().make_widgets()
        m = self.model
        self._technology = pn.widgets.Select.from_param(
            m.param.technology, label="Technology", sizing_mode="stretch_width"
        )
        self._sliders = {
            "log10_time": throttled_slider(
                m, "log10_time", label="Time after programming", format=duration_formatter()
            ),
            **{knob: throttled_slider(m, knob) for knob in KNOBS},
            "n_levels": throttled_slider(m, "n_levels", label="Number of levels"),
            "n_devices": throttled_slider(m, "n_devices", label="Devices (total)", step=256),
            "seed": pn.widgets.IntInput.from_param(m.param.seed, label="Seed", sizing_mode="stretch_width"),
            "programming_method": control_widget(m, "programming_method"),
        }
        self._knob_note = pn.pane.Markdown(sizing_mode="stretch_width", styles={"font-size": "0.85em"})
        m.param.watch(self._sync_knobs, "technology")
        self._sync_knobs()

    def _sync_knobs(self, *events):
        sync_knob_widgets(self.model, self._sliders, self._knob_note)

    def controls(self):
        """The column of widgets."""
        return pn.Column(
            "### Technology",
            self._technology,
            "### Read",
            self._sliders["log10_time"],
            self._sliders["drift_scale"],
            self._sliders["read_noise_scale"],
            self._sliders["temperature_K"],
            self._knob_note,
            "### Programming",
            self._sliders["programming_method"],
            self._sliders["prog_noise_scale"],
            self._sliders["n_levels"],
            self._sliders["n_devices"],
            self._sliders["seed"],
            width=320,
        )

    def widgets(self):
        return {"technology": self._technology, **self._sliders}

    def charts(self):
        return CHARTS
