"""The Programming tab's figures, from `ProgrammingExplorer`'s methods: the run as far as it has
gone (step it with ``ex.step(n)``, or run it to its end with ``ex.run().run()``)."""

from __future__ import annotations

import numpy as np

from ..palette import BLUE, GREEN, GREY, VERMILLION
from ._build import COUNT_FLOOR, curve, dim, finish, outline, percent

ITERATION = dim("iteration", "iteration")
ERROR = dim("relative_error", "relative error", "%")
COUNT = dim("count", "cumulative count / chip time", "µs")
DEVICE_ERROR = dim("device_error", "device error", "µS")
G = dim("g", "conductance", "µS")
DEVICES = dim("devices", "devices")


def _positive(a):
    a = np.asarray(a, dtype=float)
    return np.where(a > 0, a, np.nan)


def convergence(ex):
    """MVM error (solid) and weight error (dashed) per iteration (log y); cumulative pulses,
    single-device reads and chip time in µs."""
    h = ex.convergence()
    it = h["iteration"].astype(float)
    errors = [
        curve(it, _positive(percent(h["mvm_error"])), ITERATION, ERROR, "MVM error", color=BLUE),
        curve(
            it,
            _positive(percent(h["weight_error"])),
            ITERATION,
            ERROR,
            "weight error",
            color=VERMILLION,
            line_dash="dashed",
        ),
    ]
    costs = [
        curve(it, _positive(h["pulses"]), ITERATION, COUNT, "pulses", color=BLUE),
        curve(it, _positive(h["reads"]), ITERATION, COUNT, "device reads", color=VERMILLION, line_dash="dashed"),
        curve(
            it, _positive(1e6 * h["chip_time_s"]), ITERATION, COUNT, "chip time (µs)", color=GREEN, line_dash="dotted"
        ),
    ]
    state = "converged" if h["converged"][-1] else ("stopped" if h["done"] else "running")
    if int(it[-1]) == 0 and not h["done"]:
        state = "not started"
    title = (
        f"{h['method']}, iteration {int(it[-1])}: MVM error {h['mvm_error'][-1]:.2%}, "
        f"weight error {h['weight_error'][-1]:.2%}, {state}"
    )
    cost = (
        f"{int(h['pulses'][-1]):,} pulses, {int(h['reads'][-1]):,} device reads, "
        f"chip time {1e6 * h['chip_time_s'][-1]:,.1f} µs"
    )
    return finish(errors, title, logy=True), finish(costs, cost, logy=True)


def devices(ex):
    """Each device's mean conductance minus its target (t = 0) with the tolerance band shaded; the
    programmed conductances (solid) against the targets (dashed), log counts."""
    import holoviews as hv

    d = ex.devices()
    tol = d["tolerance_uS"]
    band = hv.VSpan(-tol, tol, label="tolerance").opts(color=GREEN, alpha=0.15)
    errors = finish(
        [outline(d["error_edges"], d["error_counts"], DEVICE_ERROR, DEVICES, "devices", color=BLUE), band],
        f"Iteration {d['iteration']}: {d['within']:.1%} of devices within ±{tol:.2f} µS",
    )
    levels = finish(
        [
            outline(d["g_edges"], d["g_counts"], G, DEVICES, "programmed", COUNT_FLOOR, color=BLUE),
            outline(
                d["g_edges"],
                d["target_counts"],
                G,
                DEVICES,
                "targets",
                COUNT_FLOOR,
                color=GREY,
                line_dash="dashed",
                width=1,
            ),
        ],
        "Programmed conductances (solid) and targets (dashed)",
        logy=True,
        ylim=(COUNT_FLOOR, None),
    )
    return errors, levels


def figures(ex, **options) -> dict:
    """The Programming tab's figures for the run's current iteration, by chart heading."""
    if options:
        raise TypeError(f"figures: unknown options {sorted(options)}; this tab has none")
    errors, costs = convergence(ex)
    device_errors, levels = devices(ex)
    return {
        "Convergence [0]": errors,
        "Convergence [1]": costs,
        "Programmed devices [0]": device_errors,
        "Programmed devices [1]": levels,
    }
