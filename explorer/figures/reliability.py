"""The Reliability tab's figures, from `ReliabilityExplorer`'s methods (the data its dashboard
draws): accuracy against time, and the chosen study's plots."""

from __future__ import annotations

import numpy as np

from ..models.dashboards.reliability import READ_LOSS
from ..palette import BLUE, GREY, PURPLE
from ._build import COUNT_FLOOR, curve, dim, finish, hline, outline, percent, series, time_ticks, vline

TIME = dim("time", "time after programming", "s")
ACCURACY = dim("accuracy", "test accuracy", "%")
READS = dim("reads", "reads since programming")
INFERENCE_READS = dim("inference_reads", "inference reads since programming")
CYCLES = dim("cycles", "program/erase cycles")
G = dim("g", "mean conductance", "µS")
DEVICES = dim("devices", "devices")
YEAR_S = 3.156e7
WEAR_LABELS = ("1 hour", "1 year", "10 years")


def _band(x, summary, xdim, label, colour, dash="solid"):
    """Mean (thick) and its 95 % interval (thin dashed) of a `summary` over the chips."""
    mean, ci = summary["mean"], summary["ci95"]
    return [
        curve(x, percent(mean - ci), xdim, ACCURACY, f"{label}, 95 % low", width=1, color=colour, line_dash="dashed"),
        curve(x, percent(mean + ci), xdim, ACCURACY, f"{label}, 95 % high", width=1, color=colour, line_dash="dashed"),
        curve(x, percent(mean), xdim, ACCURACY, label, width=2.5, color=colour, line_dash=dash),
    ]


def accuracy(ex):
    """Mean test accuracy over the chips against time (log), its 95 % interval dashed, the
    floating-point accuracy dotted, the marked time dashed."""
    c = ex.curve()
    t = c["times_s"]
    year = int(np.argmin(np.abs(np.log(t / YEAR_S))))
    comp = "no" if ex.compensation == "none" else ex.compensation
    title = (
        f"{ex.technology}, {comp} drift compensation, {ex.chips} chips: "
        f"{c['mean'][year]:.1%} at 1 year (float {c['float_accuracy']:.1%})"
    )
    parts = [*_band(t, c, TIME, "mean over the chips", BLUE), hline(100 * c["float_accuracy"]), vline(ex.t)]
    return finish(parts, title, logx=True, xticks=time_ticks(t[0], t[-1]), show_legend=False)


def _survives(s, reads):
    n = s["survives"]
    return f"{n:.1e} reads" if n is not None else f"beyond {reads[-1]:.0e} reads"


def read_disturb(ex):
    """RRAM read disturb: accuracy against reads, unipolar and bipolar, 95 % intervals dashed."""
    r = ex.reads_curves()
    x = np.maximum(r["unipolar"]["reads"], 1).astype(float)  # 0 reads drawn at 1 on the log axis
    parts = []
    for k, polarity in enumerate(("unipolar", "bipolar")):
        parts += _band(x, r[polarity], READS, polarity, series(k)["color"], series(k)["line_dash"])
    parts.append(vline(max(10.0**ex.log10_reads, 1.0)))
    title = (
        f"RRAM at {ex.read_voltage:.2f} V: {READ_LOSS:.0%} loss after {_survives(r['unipolar'], x)} "
        f"unipolar, {_survives(r['bipolar'], x)} bipolar"
    )
    return finish(parts, title, logx=True)


def read_disturb_histogram(ex):
    """Mean conductances of one chip's first-layer RRAM devices as programmed and after the marked
    reads, unipolar and bipolar (log counts; the axis ends at the 99.5th percentile)."""
    h = ex.reads_histogram()
    names = ("fresh", "unipolar", "bipolar")
    top = max(float(np.percentile(h[n], 99.5)) for n in names)
    edges = np.linspace(h["g_range"][0], max(top, h["g_range"][0] + 1.0), 61)
    parts = [
        outline(
            edges,
            np.histogram(h["fresh"], edges)[0],
            G,
            DEVICES,
            "as programmed",
            COUNT_FLOOR,
            color=GREY,
            line_dash="dashed",
        )
    ]
    for k, p in enumerate(names[1:]):
        parts.append(outline(edges, np.histogram(h[p], edges)[0], G, DEVICES, p, COUNT_FLOOR, **series(k)))
    shift = {p: float(np.mean(h[p] - h["fresh"])) for p in names[1:]}
    title = (
        f"After {h['reads']:.1e} reads at {ex.read_voltage:.2f} V: mean shift "
        f"{shift['unipolar']:+.2f} µS unipolar, {shift['bipolar']:+.2f} µS bipolar"
    )
    return finish(parts, title, logy=True, ylim=(COUNT_FLOOR, None))


def flash_read_disturb(ex):
    """NOR Flash read disturb: accuracy against inference reads for the chosen cells per bit line
    (purple) and the default (grey, dot-dash)."""
    n = ex.cells_per_bitline
    r = ex.flash_reads()
    default = next(k for k in r if k != n) if len(r) > 1 else n
    x = np.maximum(r[n]["reads"], 1).astype(float)
    parts = _band(x, r[n], INFERENCE_READS, f"{n} cells (chosen)", PURPLE)
    if default != n:
        parts += _band(x, r[default], INFERENCE_READS, f"{default} cells (default)", GREY, "dotdash")
    parts.append(hline(100 * r[n]["float_accuracy"]))
    title = f"Flash, {n} cells per bit line: {READ_LOSS:.0%} loss after {_survives(r[n], x)}"
    return finish(parts, title, logx=True)


def wear(ex):
    """NOR Flash wear: accuracy against program/erase cycles, read after 1 hour, 1 year, 10 years."""
    w = ex.wear()
    x = w["cycles"].astype(float)
    parts = []
    for k, label in enumerate(WEAR_LABELS):
        s = {"mean": w["mean"][:, k], "ci95": w["ci95"][:, k]}
        parts += _band(x, s, CYCLES, f"read after {label}", series(k)["color"], series(k)["line_dash"])
    parts.append(hline(100 * w["float_accuracy"]))
    title = (
        f"Flash, {ex.chips} chips: {w['mean'][0, -1]:.1%} after 10 years at {x[0]:.0f} cycles, "
        f"{w['mean'][-1, -1]:.1%} at {x[-1]:.0e} cycles"
    )
    return finish(parts, title, logx=True)


def technologies(ex):
    """Mean accuracy against time of every technology preset with this explorer's network,
    encoding, compensation and chips."""
    c = ex.comparison()
    parts = [
        curve(s["times_s"], percent(s["mean"]), TIME, ACCURACY, name, **series(k))
        for k, (name, s) in enumerate(c.items())
    ]
    first = next(iter(c.values()))
    parts.append(hline(100 * first["float_accuracy"]))
    year = int(np.argmin(np.abs(np.log(first["times_s"] / YEAR_S))))
    best = max(c, key=lambda name: c[name]["mean"][year])
    worst = min(c, key=lambda name: c[name]["mean"][year])
    title = f"At 1 year: {best} {c[best]['mean'][year]:.1%} best, {worst} {c[worst]['mean'][year]:.1%} worst"
    t = first["times_s"]
    return finish(parts, title, logx=True, xticks=time_ticks(t[0], t[-1]))


STUDIES = {
    "read disturb": (
        ("Read disturb: accuracy versus reads", read_disturb),
        ("Read disturb: conductances", read_disturb_histogram),
    ),
    "Flash read disturb": (("Flash read disturb: accuracy versus reads", flash_read_disturb),),
    "Flash wear": (("Flash wear: accuracy versus program/erase cycles", wear),),
    "technologies": (("Technology comparison", technologies),),
}
"""Study -> its charts (heading, builder), as the dashboard shows them under the accuracy curve."""


def figures(ex, **options) -> dict:
    """The Reliability tab's figures for `ex`'s settings, by chart heading: accuracy against time
    and the chosen study's figures."""
    if options:
        raise TypeError(f"figures: unknown options {sorted(options)}; this tab has none")
    out = {"Accuracy versus time": accuracy(ex)}
    for heading, build in STUDIES[ex.study]:
        out[heading] = build(ex)
    return out
