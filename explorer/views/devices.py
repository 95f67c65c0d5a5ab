"""Devices dashboard: multi-level conductance histograms, drift, pulse response,
telegraph noise and Flash I-V curves, with a slider for every read and programming knob."""

import holoviews as hv
import numpy as np
import panel as pn
import param

from ..models.devices_explorer import DevicesExplorer, format_duration
from ._widgets import duration_formatter, explained, throttled_slider

hv.extension("bokeh", logo=False)

PLOT_OPTS = dict(responsive=True, height=300, tools=["hover"], active_tools=[], toolbar="right")

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
$$V_{th}$$ set by incremental-step pulses with verify; oxide wear widens the levels.
Physics reference section 4; Mythic: 256 levels per cell.""",
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
$$\Delta g/g = A\,(g_{ref}/g)$$ grows as the filament thins.
Ielmini, Nardi and Cagli, Appl. Phys. Lett. 96, 053503 (2010)."""

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


def histogram_plot(data, technology):
    """Histogram of read conductances (total, and one outline per level up to 16 levels)."""
    edges, counts = data["edges"], data["counts"]
    title = (f"{technology}: {len(data['targets'])} levels at t = {format_duration(data['t'])}, "
             f"level read-back error {100 * data['level_error_rate']:.1f} %")
    total = hv.Histogram((edges, counts), kdims=[hv.Dimension("g", label="conductance (µS)")],
                         vdims=[hv.Dimension("count")], label="all devices").opts(
        color="lightgray", line_color=None, **PLOT_OPTS, title=title)
    layers = [total]
    if data["per_level"] is not None:
        for k, c in enumerate(data["per_level"]):
            layers.append(hv.Histogram((edges, c), kdims=["g"], vdims=["count"]).opts(
                fill_alpha=0.0, line_width=1.5, line_color=hv.Cycle("Category10").values[k % 10]))
    targets = hv.Spikes(data["targets"], kdims=["g"]).opts(color="black", line_dash="dotted", spike_length=max(counts.max(), 1) * 1.05)
    layers.append(targets)
    return hv.Overlay(layers).opts(show_legend=False)


def drift_plot(data):
    """Conductance of a few devices per level versus time after programming (log axis)."""
    curves = []
    palette = hv.Cycle("Category10").values
    levels = list(np.unique(data["level"]))
    for i, g in enumerate(data["g"]):
        color = palette[levels.index(data["level"][i]) % 10]
        curves.append(hv.Curve((data["times"], g), kdims=[hv.Dimension("time", label="time after programming (s)")],
                               vdims=[hv.Dimension("g", label="conductance (µS)")]).opts(color=color, line_width=1))
    now = hv.VLine(data["t"]).opts(color="black", line_dash="dashed")
    return hv.Overlay(curves + [now]).opts(logx=True, show_legend=False, **PLOT_OPTS,
                                           title="Drift trajectories (dashed: chosen time)")


def pulse_plot(data, technology):
    """Conductance versus pulse number: potentiation then depression, one curve per device."""
    n = (len(data["pulse"]) - 1) // 2
    curves = [hv.Curve((data["pulse"], g), kdims=[hv.Dimension("pulse", label="pulse number")],
                       vdims=[hv.Dimension("g", label="conductance (µS)")]).opts(line_width=1)
              for g in data["g"]]
    switch = hv.VLine(n).opts(color="gray", line_dash="dotted")
    return hv.Overlay(curves + [switch]).opts(
        **PLOT_OPTS, title=f"{technology}: {n} potentiating then {n} depressing pulses")


def rtn_plot(data):
    """Relative conductance deviation of three RRAM devices over time (telegraph noise)."""
    if data is None:
        return hv.Curve([], kdims=["time"], vdims=["relative"]).opts(
            **PLOT_OPTS, title="Random telegraph noise: choose RRAM")
    curves = [hv.Curve((data["time"], 100 * r), kdims=[hv.Dimension("time", label="time (s)")],
                       vdims=[hv.Dimension("dev", label="g / g_prog - 1 (%)")],
                       label=f"g = {g:.0f} µS").opts(line_width=1)
              for r, g in zip(data["relative"], data["g_prog"])]
    return hv.Overlay(curves).opts(**PLOT_OPTS, legend_position="bottom_right",
                                   title="RRAM random telegraph noise (larger at low g)")


def iv_plot(data, temperature_K):
    """Flash drain current versus gate voltage for cells at several levels (log current)."""
    if data is None:
        return hv.Curve([], kdims=["V_gs"], vdims=["I"]).opts(**PLOT_OPTS, title="Flash I-V curves: choose Flash")
    layers = []
    palette = hv.Cycle("Category10").values
    for k in range(len(data["vth"])):
        color = palette[k % 10]
        layers.append(hv.Curve((data["v_gs"], data["current"][k]),
                               kdims=[hv.Dimension("V_gs", label="gate voltage (V)")],
                               vdims=[hv.Dimension("I", label="drain current (A)")]).opts(color=color))
        if temperature_K != 300.0:
            layers.append(hv.Curve((data["v_gs"], data["current_300K"][k]), kdims=["V_gs"], vdims=["I"]).opts(
                color=color, line_dash="dashed", alpha=0.6))
    return hv.Overlay(layers).opts(logy=True, show_legend=False, **PLOT_OPTS,
                                   title=f"Flash subthreshold I-V at {temperature_K:.0f} K")


class DevicesView(pn.viewable.Viewer):
    """The Devices dashboard for one `DevicesExplorer` model."""

    model = param.ClassSelector(class_=DevicesExplorer, doc="The model the sliders drive.")

    def __init__(self, **params):
        if params.get("model") is None:
            params["model"] = DevicesExplorer()
        super().__init__(**params)
        m = self.model
        self._technology = pn.widgets.Select.from_param(m.param.technology, name="Technology",
                                                        sizing_mode="stretch_width")
        self._sliders = {
            "log10_time": throttled_slider(m, "log10_time", name="Time after programming",
                                           format=duration_formatter()),
            "drift_scale": throttled_slider(m, "drift_scale", name="Drift-coefficient scale"),
            "prog_noise_scale": throttled_slider(m, "prog_noise_scale", name="Programming-noise scale"),
            "read_noise_scale": throttled_slider(m, "read_noise_scale", name="Read-noise scale"),
            "temperature_K": throttled_slider(m, "temperature_K", name="Temperature (K)"),
            "n_levels": throttled_slider(m, "n_levels", name="Number of levels"),
            "n_devices": throttled_slider(m, "n_devices", name="Devices (total)", step=256),
            "seed": pn.widgets.IntInput.from_param(m.param.seed, name="Seed", sizing_mode="stretch_width"),
        }
        self._knob_note = pn.pane.Markdown(sizing_mode="stretch_width", styles={"font-size": "0.85em"})
        m.param.watch(self._sync_knobs, "technology")
        self._sync_knobs()

    def _sync_knobs(self, *events):
        active = self.model.active_knobs()
        idle = []
        for name in ("drift_scale", "read_noise_scale", "temperature_K"):
            self._sliders[name].disabled = name not in active
            if name not in active:
                idle.append(self._sliders[name].name.lower())
        self._knob_note.object = (f"*{self.model.technology} has no model for: {', '.join(idle)}.*"
                                  if idle else "")

    def controls(self):
        """The column of widgets."""
        return pn.Column(
            "### Technology", self._technology,
            "### Read", self._sliders["log10_time"], self._sliders["drift_scale"],
            self._sliders["read_noise_scale"], self._sliders["temperature_K"], self._knob_note,
            "### Programming", self._sliders["prog_noise_scale"], self._sliders["n_levels"],
            self._sliders["n_devices"], self._sliders["seed"],
            width=320,
        )

    def _bound(self, fn, *names):
        m = self.model
        return pn.bind(fn, *[m.param[n] for n in names])

    def plots(self):
        """The plots with their explanations."""
        m = self.model
        read_params = ("technology", "drift_scale", "prog_noise_scale", "read_noise_scale",
                       "temperature_K", "n_levels", "log10_time", "n_devices", "seed")

        def hist(*_):
            return histogram_plot(m.histogram(), m.technology)

        def drift(*_):
            return drift_plot(m.drift_trajectories())

        def pulses(*_):
            return pulse_plot(m.pulse_response(), m.technology)

        def rtn(*_):
            return rtn_plot(m.rtn_trace())

        def iv(*_):
            return iv_plot(m.flash_iv(), m.temperature_K)

        def text(table):
            return pn.bind(lambda tech: table.get(tech, table.get("default", "")), m.param.technology)

        def pane(fn, names):
            return pn.panel(self._bound(fn, *names), loading_indicator=True, sizing_mode="stretch_width")

        return pn.Column(
            explained("Programmed levels at the chosen time", pane(hist, read_params),
                      text(READ_EQUATIONS)),
            explained("Drift on a log-time axis", pane(drift, read_params), text(DRIFT_TEXT)),
            explained("Pulse response", pane(pulses, ("technology", "seed")), text(PULSE_TEXT)),
            explained("Random telegraph noise", pane(rtn, ("technology", "seed")), RTN_TEXT),
            explained("Flash I-V curves", pane(iv, ("technology", "temperature_K", "n_levels",
                                                     "prog_noise_scale", "n_devices", "seed")), IV_TEXT),
            sizing_mode="stretch_width",
        )

    def __panel__(self):
        return pn.Row(self.controls(), self.plots(), sizing_mode="stretch_width")
