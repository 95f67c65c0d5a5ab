"""The Devices tab's figures, from `DevicesExplorer`'s methods (the data its dashboard draws)."""

from __future__ import annotations

import numpy as np

from ..models.dashboards.devices import format_duration
from ..palette import BLACK, GREY, LIGHT_GREY
from ._build import bars, curve, dim, finish, joined, outline, series, time_ticks, vline

G = dim("g", "conductance", "µS")
DEVICES = dim("devices", "devices")
TIME = dim("time", "time after programming", "s")


def histogram(ex):
    """Read conductances at the chosen time: the total filled grey, each level's outline (up to 16
    levels), the level targets dotted."""
    import holoviews as hv

    data = ex.histogram()
    edges, counts, targets = data["edges"], data["counts"], data["targets"]
    parts = [bars(edges, counts, G, DEVICES, "all devices", color=LIGHT_GREY)]
    for k, c in enumerate(data["per_level"] if data["per_level"] is not None else ()):
        parts.append(outline(edges, c, G, DEVICES, f"level {k}", color=series(k)["color"]))
    marks = hv.VLines(np.asarray(targets, dtype=float), kdims=[G], label="targets")
    parts.append(marks.opts(color=BLACK, line_dash="dotted", line_width=1))
    method = "" if ex.programming_method == "statistical" else f", {ex.programming_method}"
    title = (
        f"{ex.technology}{method}: {len(targets)} levels at t = {format_duration(data['t'])}, "
        f"level read-back error {100 * data['level_error_rate']:.1f} %"
    )
    return finish(parts, title, show_legend=False)


def drift(ex):
    """Conductance of a few devices per level against time after programming (log axis), the devices
    of one level one element (`joined`), the chosen time dashed."""
    data = ex.drift_trajectories()
    times, g, level = data["times"], data["g"], data["level"]
    parts = []
    for lv in np.unique(level):
        x, y = joined([(times, row) for row in g[level == lv]])  # the level's devices, one element
        parts.append(curve(x, y, TIME, G, f"level {lv}", width=1, color=series(int(lv))["color"]))
    parts.append(vline(ex.t))
    return finish(parts, "Drift trajectories (dashed: chosen time)", logx=True, xticks=time_ticks(times[0], times[-1]))


def pulses(ex):
    """Conductance against pulse number: potentiation then depression, one line per device."""
    data = ex.pulse_response()
    pulse = dim("pulse", "pulse number")
    n = (len(data["pulse"]) - 1) // 2
    parts = [
        curve(data["pulse"], row, pulse, G, f"device {k}", width=1, color=series(k)["color"])
        for k, row in enumerate(data["g"])
    ]
    parts.append(vline(n, color=GREY, dash="dotted"))
    return finish(parts, f"{ex.technology}: {n} potentiating then {n} depressing pulses", show_legend=False)


def telegraph(ex):
    """Relative deviation of three RRAM devices over time (random telegraph noise)."""
    data = ex.rtn_trace()
    t, rel = dim("rtn_time", "time", "s"), dim("deviation", "g / g_prog - 1", "%")
    parts = [
        curve(data["time"], 100 * r, t, rel, f"g = {g:.0f} µS", width=1, **series(k))
        for k, (r, g) in enumerate(zip(data["relative"], data["g_prog"]))
    ]
    labels = ", ".join(f"{g:.0f}" for g in data["g_prog"])
    return finish(parts, f"RRAM telegraph noise at g = {labels} µS (larger at low g)")


def iv(ex):
    """Flash drain current against gate voltage of cells at several levels (log current), the
    same cells at 300 K dashed."""
    data = ex.flash_iv()
    v, i = dim("v_gs", "gate voltage", "V"), dim("i_ds", "drain current", "A")
    parts = []
    for k, (now, ref, target) in enumerate(zip(data["current"], data["current_300K"], data["targets"])):
        colour = series(k)["color"]
        parts.append(
            curve(
                data["v_gs"],
                ref,
                v,
                i,
                f"{target:.3g} µS at 300 K",
                width=1,
                color=colour,
                alpha=0.6,
                line_dash="dashed",
            )
        )
        parts.append(curve(data["v_gs"], now, v, i, f"{target:.3g} µS", color=colour))
    return finish(parts, f"Flash subthreshold I-V at {ex.temperature_K:.0f} K", logy=True, show_legend=False)


def figures(ex, **options) -> dict:
    """The Devices tab's figures for `ex`'s settings, by chart heading; the telegraph-noise and I-V
    figures only for the technology that has them (as on the dashboard)."""
    if options:
        raise TypeError(f"figures: unknown options {sorted(options)}; this tab has none")
    out = {
        "Programmed levels at the chosen time": histogram(ex),
        "Drift on a log-time axis": drift(ex),
        "Pulse response": pulses(ex),
    }
    if ex.technology == "RRAM":
        out["Random telegraph noise"] = telegraph(ex)
    if ex.technology == "Flash":
        out["Flash I-V curves"] = iv(ex)
    return out
