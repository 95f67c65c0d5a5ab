"""The Training tab's figures, from `TrainingExplorer`'s methods: the runs as far as they have gone
(step them with ``ex.step(samples)``)."""

from __future__ import annotations

import numpy as np

from ..models.training.on_chip import ALGORITHMS
from ..palette import BLUE, GREY, LIGHT_GREY
from ._build import curve, dim, finish, hline, outline, percent, series, vline

EPOCH = dim("epoch", "epoch")
ACCURACY = dim("test_accuracy", "test accuracy", "%")
WEIGHT_ERROR = dim("weight_error", "weight error", "%")
LOSS = dim("train_loss", "training loss")
TILE_WEIGHT = dim("tile_weight", "weight (tile units)")
BUFFER = dim("buffer", "H (pulses)")
DEVICES = dim("devices", "devices")
PULSE = dim("pulse", "pulse number")
WEIGHT = dim("weight", "weight")
TARGET = dim("target", "target weight W*")
LEARNED = dim("learned", "learned weight W")


def learning_curves(ex, measure="test_accuracy"):
    """Per algorithm trained: `measure` (test accuracy, or the 5 x 5 task's weight error) and the
    training loss against epochs."""
    curves = ex.curves()
    vdim = ACCURACY if measure == "test_accuracy" else WEIGHT_ERROR
    first, loss, summary = [], [], []
    for k, name in enumerate(ALGORITHMS):
        c = curves.get(name)
        if c is None:
            continue
        first.append(curve(c["epoch"], percent(c[measure]), EPOCH, vdim, name, **series(k)))
        ok = np.isfinite(c["train_loss"])
        loss.append(curve(c["epoch"][ok], c["train_loss"][ok], EPOCH, LOSS, name, **series(k)))
        summary.append(f"{name} {c[measure][-1]:.1%}")
    epoch = next(iter(curves.values()))["epoch"][-1] if curves else 0.0
    what = "" if measure == "test_accuracy" else "weight error "
    title = f"Epoch {epoch:.2f} of {ex.epochs}: {what}" + ", ".join(summary)
    focused = curves.get(ex.algorithm) or next(iter(curves.values()))
    cost = (
        f"Training loss; {ex.algorithm}: {int(focused['pulses'][-1]):,} pulses, chip time "
        f"{1e3 * focused['chip_time_s'][-1]:.2f} ms"
    )
    return finish(first, title), finish(loss, cost)


def target(ex):
    """The focused algorithm's weights W against the target W* (5 x 5 task), the diagonal grey and
    the symmetry point dashed."""
    import holoviews as hv

    w = ex.weights_against_target()
    points = hv.Scatter((w["target"], w["weights"]), kdims=[TARGET], vdims=[LEARNED]).opts(color=BLUE, size=7)
    diagonal = curve([-0.5, 0.5], [-0.5, 0.5], TARGET, LEARNED, width=1, color=GREY)
    title = (
        f"{w['algorithm']} at epoch {w['epoch']:.2f}: mean shift toward w* = {w['symmetry_point']:.2f} "
        f"{w['shift']:+.3f} (t = {w['t']:.1f})"
    )
    return finish([diagonal, points, hline(w["symmetry_point"], GREY, "dashed")], title)


def tiles(ex):
    """Histograms over the focused algorithm's tiles: C, A and R on [-1, 1] with the nominal
    symmetry point dashed; the digital buffer H in pulses."""
    h = ex.weight_histograms()
    names = {"C": "C (weights)", "A": "A (fast tile)", "R": "R (reference)"}
    parts = [
        outline(h[key]["edges"], h[key]["counts"], TILE_WEIGHT, DEVICES, label, **series(k))
        for k, (key, label) in enumerate(names.items())
        if key in h
    ]
    parts.append(vline(h["symmetry_point"], GREY, "dashed"))
    tiles_shown = "C and A" if "A" in h else "C (no fast tile)"
    weights = finish(
        parts, f"{h['algorithm']} at epoch {h['epoch']:.2f}: {tiles_shown}; symmetry point {h['symmetry_point']:.2f}"
    )
    if "H" in h:
        buffer = finish(
            [outline(h["H"]["edges"], h["H"]["counts"], BUFFER, DEVICES, "H", **series(3))], "Digital buffer H"
        )
    else:
        buffer = finish(
            [outline([0.0, 1.0], [0.0], BUFFER, DEVICES, "H", **series(3))], f"{h['algorithm']} has no buffer H"
        )
    return weights, buffer


def update_curve(ex):
    """The device's response to up pulses from the lower bound, then down pulses: the mean device
    (thick) and the first devices of the run's first tile (grey), the symmetry point dashed."""
    u = ex.update_curve()
    parts = [
        curve(u["pulse"], row, PULSE, WEIGHT, f"device {k}", width=1, color=LIGHT_GREY)
        for k, row in enumerate(u["devices"])
    ]
    parts.append(curve(u["pulse"], u["w"], PULSE, WEIGHT, "mean device", color=series(0)["color"]))
    sp = u["symmetry_point"]
    if sp is not None:
        parts.append(hline(sp, GREY, "dashed"))
    where = f"symmetry point w* = {sp:.2f}" if sp is not None else "no symmetry point inside the range"
    title = f"{ex.n_states} states, a = {ex.asymmetry:.2f}, s = {ex.slope:.2f}: {where}"
    return finish(parts, title, show_legend=False)


def figures(ex, **options) -> dict:
    """The Training tab's figures for the runs' current point, by chart heading (the learning
    curves of the chosen task; the weights against the target on the 5 x 5 task)."""
    if options:
        raise TypeError(f"figures: unknown options {sorted(options)}; this tab has none")
    out = {}
    if ex.task == "digits MLP":
        out["Learning curves [0]"], out["Learning curves [1]"] = learning_curves(ex)
    else:
        heading = "Learning curves, 5 x 5 task"
        out[f"{heading} [0]"], out[f"{heading} [1]"] = learning_curves(ex, "weight_error")
        out["Weights against the target"] = target(ex)
    out["Tiles of the focused algorithm [0]"], out["Tiles of the focused algorithm [1]"] = tiles(ex)
    out["Device update curve"] = update_curve(ex)
    return out
