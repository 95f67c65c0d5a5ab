"""Devices dashboard: multi-level conductance histograms, drift, pulse response,
telegraph noise and Flash I-V curves, with a slider for every read and programming knob."""

import holoviews as hv
import numpy as np
import panel as pn
import param

from ..models.devices_explorer import DevicesExplorer, format_duration
from ._widgets import duration_formatter, explained, protect_math, throttled_slider

hv.extension("bokeh", logo=False)
# Software WebGL (headless, remote desktops, projectors) renders slower than canvas here.
hv.renderer("bokeh").webgl = False

PLOT_OPTS = dict(responsive=True, height=300, tools=["hover"], active_tools=[], toolbar="right",
                 framewise=True)

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


def _step_outline(edges, counts):
    """x, y of a histogram's outline as one line."""
    x = np.repeat(edges, 2)[1:-1]
    y = np.repeat(counts, 2)
    return x, y


def _lines(xs, ys, groups, kdims, vdims):
    """Many lines as one `hv.Path` coloured by group: one element is far cheaper than an overlay.

    No lines gives one invisible (NaN) line, so that the element keeps its columns.
    """
    if len(xs) == 0:
        xs, ys, groups = [np.array([np.nan])], [np.array([np.nan])], [0]
    return hv.Path([{kdims[0].name: x, vdims[0].name: y, "group": g} for x, y, g in zip(xs, ys, groups)],
                   kdims=kdims + vdims, vdims=["group"])


G_DIM = hv.Dimension("g", label="conductance (µS)")


def overlay(layers, **opts):
    """An overlay whose every layer takes its ranges from the current frame.

    `framewise` on the overlay alone keeps the first frame's ranges: the layers need it too
    (switching PCM to RRAM otherwise leaves the pulse plot's axis at PCM's pulse count).
    """
    return hv.Overlay([layer.opts(framewise=True) for layer in layers]).opts(**PLOT_OPTS, **opts)


def histogram_plot(data, technology):
    """Histogram of read conductances (total, and one outline per level up to 16 levels)."""
    edges, counts = data["edges"], data["counts"]
    title = (f"{technology}: {len(data['targets'])} levels at t = {format_duration(data['t'])}, "
             f"level read-back error {100 * data['level_error_rate']:.1f} %")
    count = hv.Dimension("count")
    total = hv.Histogram((edges, counts), kdims=[G_DIM], vdims=[count]).opts(
        color="lightgray", line_color=None)
    layers = [total]
    # Always the same layers (an empty outline above 16 levels), so the plot updates in place.
    outlines = [_step_outline(edges, c) for c in (data["per_level"] if data["per_level"] is not None else [])]
    layers.append(_lines([o[0] for o in outlines], [o[1] for o in outlines],
                         range(len(outlines)), [G_DIM], [count]).opts(
        color="group", cmap="Category10", line_width=1.5))
    layers.append(hv.Spikes(data["targets"], kdims=[G_DIM]).opts(
        color="black", line_dash="dotted", spike_length=max(counts.max(), 1) * 1.05))
    return overlay(layers, title=title)


def drift_plot(data):
    """Conductance of a few devices per level versus time after programming (log axis)."""
    time_dim = hv.Dimension("time", label="time after programming (s)")
    paths = _lines([data["times"]] * len(data["g"]), data["g"], data["level"], [time_dim], [G_DIM]).opts(
        color="group", cmap="Category10", line_width=1)
    now = hv.VLine(data["t"]).opts(color="black", line_dash="dashed")
    return overlay([paths, now], logx=True, title="Drift trajectories (dashed: chosen time)")


def pulse_plot(data, technology):
    """Conductance versus pulse number: potentiation then depression, one line per device."""
    n = (len(data["pulse"]) - 1) // 2
    pulse_dim = hv.Dimension("pulse", label="pulse number")
    paths = _lines([data["pulse"]] * len(data["g"]), data["g"], range(len(data["g"])), [pulse_dim],
                   [G_DIM]).opts(color="group", cmap="Category10", line_width=1)
    switch = hv.VLine(n).opts(color="gray", line_dash="dotted")
    return overlay([paths, switch], title=f"{technology}: {n} potentiating then {n} depressing pulses")


def rtn_plot(data):
    """Relative conductance deviation of three RRAM devices over time (telegraph noise)."""
    time_dim = hv.Dimension("time", label="time (s)")
    rel_dim = hv.Dimension("relative", label="g / g_prog - 1 (%)")
    if data is None:
        return _lines([], [], [], [time_dim], [rel_dim]).opts(
            color="group", cmap="Category10", **PLOT_OPTS, title="Random telegraph noise: choose RRAM")
    labels = ", ".join(f"{g:.0f}" for g in data["g_prog"])
    return _lines([data["time"]] * len(data["relative"]), 100 * data["relative"], range(len(data["relative"])),
                  [time_dim], [rel_dim]).opts(
        color="group", cmap="Category10", line_width=1, **PLOT_OPTS,
        title=f"RRAM telegraph noise at g = {labels} µS (larger at low g)")


def iv_plot(data, temperature_K):
    """Flash drain current versus gate voltage for cells at several levels (log current)."""
    v_dim = hv.Dimension("V_gs", label="gate voltage (V)")
    i_dim = hv.Dimension("I", label="drain current (A)")
    if data is None:
        empty = _lines([], [], [], [v_dim], [i_dim]).opts(color="group", cmap="Category10")
        return overlay([empty, empty], logy=True, title="Flash I-V curves: choose Flash")
    n = len(data["vth"])
    now = _lines([data["v_gs"]] * n, data["current"], range(n), [v_dim], [i_dim]).opts(
        color="group", cmap="Category10", line_width=2)
    ref = _lines([data["v_gs"]] * n, data["current_300K"], range(n), [v_dim], [i_dim]).opts(
        color="group", cmap="Category10", line_dash="dashed", alpha=0.6)
    return overlay([ref, now], logy=True, title=f"Flash subthreshold I-V at {temperature_K:.0f} K")


READ_PARAMS = ("technology", "drift_scale", "prog_noise_scale", "read_noise_scale", "temperature_K",
               "n_levels", "log10_time", "n_devices", "seed")

PLOTS = [
    # (title, model -> HoloViews element, parameters it depends on, explanation)
    ("Programmed levels at the chosen time", lambda m: histogram_plot(m.histogram(), m.technology),
     READ_PARAMS, READ_EQUATIONS),
    ("Drift on a log-time axis", lambda m: drift_plot(m.drift_trajectories()), READ_PARAMS, DRIFT_TEXT),
    ("Pulse response", lambda m: pulse_plot(m.pulse_response(), m.technology), ("technology", "seed"),
     PULSE_TEXT),
    ("Random telegraph noise", lambda m: rtn_plot(m.rtn_trace()), ("technology", "seed"), RTN_TEXT),
    ("Flash I-V curves", lambda m: iv_plot(m.flash_iv(), m.temperature_K),
     ("technology", "temperature_K", "n_levels", "prog_noise_scale", "n_devices", "seed"), IV_TEXT),
]
"""Every plot of the dashboard; the benchmark re-draws exactly the plots a control touches."""


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

    def plots(self):
        """The plots with their explanations, each re-drawn when one of its parameters changes."""
        m = self.model
        column = []
        for title, draw, names, text in PLOTS:
            bound = pn.bind(lambda *_, draw=draw: draw(m), *[m.param[n] for n in names])
            # A DynamicMap updates the plot's data in place instead of replacing the figure.
            # Unlinked axes: plots sharing a dimension label ("conductance (µS)") keep their own ranges.
            pane = pn.pane.HoloViews(hv.DynamicMap(bound), linked_axes=False, sizing_mode="stretch_width")
            if isinstance(text, dict):
                text = pn.bind(lambda tech, table=text: protect_math(table.get(tech, table.get("default", ""))),
                               m.param.technology)
            column.append(explained(title, pane, text))
        return pn.Column(*column, sizing_mode="stretch_width")

    def __panel__(self):
        return pn.Row(self.controls(), self.plots(), sizing_mode="stretch_width")
