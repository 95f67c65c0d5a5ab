"""The Encoding tab's figures, from `EncodingExplorer`'s methods (the data its dashboard draws)."""

from __future__ import annotations

import numpy as np

from ..models.dashboards.devices import format_duration
from ..models.dashboards.encoding import SOURCES
from ..palette import BLUE, DARK_GREY, GREY, LIGHT_GREY
from ._build import COUNT_FLOOR, curve, dim, finish, outline, percent, series, vline

N = dim("n_slices", "slices per weight")
MVM = dim("mvm_error", "MVM error", "%")
WEIGHT = dim("weight_error", "weight error", "%")
G = dim("g", "conductance", "µS")
DEVICES = dim("devices", "devices")
OFFSET = dim("offset", "additive common mode", "µS")
GAIN = dim("gain", "multiplicative common mode")
ADDITIVE = ("differential", "offset-reference", "offset-digital")
MULTIPLICATIVE = ("uncalibrated", "calibrated")


def slicing(ex):
    """MVM error and weight error against slices, one line per significance base F (the section 9
    law dashed on the MVM plot), the chosen number of slices dotted."""
    data = ex.slicing_curves()
    n, F = ex.n_slices, float(ex.base)
    mvm, weight = [], []
    for k, base in enumerate(data["bases"]):
        mvm.append(curve(data["n"], percent(data["mvm_error"][base]), N, MVM, f"F = {base:g}", **series(k)))
        mvm.append(
            curve(
                data["n"],
                percent(data["law"][base]),
                N,
                MVM,
                f"law, F = {base:g}",
                width=1,
                color=series(k)["color"],
                line_dash="dashed",
            )
        )
        weight.append(curve(data["n"], percent(data["weight_error"][base]), N, WEIGHT, f"F = {base:g}", **series(k)))
    at = n - 1
    return (
        finish(
            [*mvm, vline(n, GREY, "dotted")],
            f"MVM error at n = {n}: {data['mvm_error'][F][at]:.2%} (F = {F:g}), law {data['law'][F][at]:.2%}",
        ),
        finish(
            [*weight, vline(n, GREY, "dotted")],
            f"Weight error at n = {n}: {data['weight_error'][F][at]:.2%} (F = {F:g})",
        ),
    )


def slice_histograms(ex):
    """Every slice's G+ (solid) and G- (dashed) histogram outlines, log counts (empty bins at 0.7)."""
    data = ex.slice_histograms()
    edges = data["edges"]
    parts = [
        outline(edges, c, G, DEVICES, f"G+ slice {k}", COUNT_FLOOR, **series(k)) for k, c in enumerate(data["plus"])
    ]
    if data["minus"] is not None:
        parts += [
            outline(edges, c, G, DEVICES, f"G- slice {k}", COUNT_FLOOR, color=series(k)["color"], line_dash="dashed")
            for k, c in enumerate(data["minus"])
        ]
    bits = ", ".join(str(int(b)) for b in data["slice_bits"])
    title = f"Slices ({bits}) bits, F = {data['base']:g}: {ex.mapping} at t = {format_duration(ex.t)}"
    return finish(parts, title, logy=True, ylim=(COUNT_FLOOR, None))


BUDGET_ROWS = (*SOURCES, "quadrature sum", "total")


def budget(ex, enabled=SOURCES):
    """Horizontal bars: the MVM error of each source alone (blue: enabled, grey: disabled), their
    quadrature sum over the enabled sources and the total with the enabled sources (dark grey)."""
    import holoviews as hv

    data = ex.error_budget(enabled=tuple(enabled))
    on = data["enabled"]
    quadrature = float(np.sqrt(sum(data["alone"][s] ** 2 for s in on)))
    values = percent([data["alone"][s] for s in SOURCES] + [quadrature, data["total"]])
    colours = [BLUE if s in on else LIGHT_GREY for s in SOURCES] + [DARK_GREY, DARK_GREY]
    table = {"source": list(BUDGET_ROWS), "mvm_error": values, "colour": colours}
    fig = hv.Bars(table, kdims=[dim("source", "error source")], vdims=[MVM, "colour"])
    title = f"Total MVM error {data['total']:.2%} with {len(on)} of {len(SOURCES)} sources"
    return finish([fig.opts(color="colour", invert_axes=True, line_color=None)], title)


def common_mode(ex):
    """MVM error against an additive common mode (three mappings) and a multiplicative one (with
    and without gain calibration), the chosen values dotted."""
    data = ex.common_mode()
    additive = [
        curve(data["offsets"], percent(data["additive"][m]), OFFSET, MVM, m, **series(k))
        for k, m in enumerate(ADDITIVE)
    ]
    mult = [
        curve(data["gains"], percent(data["multiplicative"][m]), GAIN, MVM, m, **series(k))
        for k, m in enumerate(MULTIPLICATIVE)
    ]
    offset, gain = ex.xb.common_mode_offset_uS, ex.xb.common_mode_gain
    at = {m: 100 * float(np.interp(offset, data["offsets"], data["additive"][m])) for m in ADDITIVE}
    return (
        finish(
            [*additive, vline(offset, GREY, "dotted")],
            f"Offset {offset:+.2f} µS: differential {at['differential']:.1f} %, "
            f"reference {at['offset-reference']:.1f} %, digital {at['offset-digital']:.1f} %",
        ),
        finish([*mult, vline(gain, GREY, "dotted")], f"Gain x{gain:.3f}: MVM error with and without calibration"),
    )


def figures(ex, enabled=SOURCES) -> dict:
    """The Encoding tab's figures for `ex`'s settings, by chart heading; `enabled`: the error
    sources the error budget has on (the dashboard's Error sources; default every one)."""
    mvm, weight = slicing(ex)
    additive, multiplicative = common_mode(ex)
    return {
        "Error versus number of slices [0]": mvm,
        "Error versus number of slices [1]": weight,
        "Conductances of each slice": slice_histograms(ex),
        "Error budget": budget(ex, enabled),
        "Common mode [0]": additive,
        "Common mode [1]": multiplicative,
    }
