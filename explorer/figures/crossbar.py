"""The Crossbar tab's figures, from `CrossbarExplorer`'s methods (the data its dashboard draws)."""

from __future__ import annotations

import numpy as np

from ..palette import BLACK, BLUE, VERMILLION
from ._build import bars, curve, dim, finish, image, percent, vline

G = dim("g", "conductance", "µS")
IDEAL = dim("ideal", "ideal output (X W)")
ANALOG = dim("analog", "analog output")
ERROR = dim("error", "(y - y_ideal) / rms(y_ideal)")
OUTPUTS = dim("outputs", "outputs")
MVM = dim("mvm_error", "MVM error", "%")
BITS = dim("adc_bits", "ADC bits")
WIRE = dim("wire_resistance", "wire resistance per cell", "Ω")


def maps(ex):
    """G+ (or G of the offset mappings) and G- of the shown slice as images, row 0 at the top; for
    an offset mapping the second is blank."""
    data = ex.conductance_maps()
    s, bits, size = data["slice"], data["slice_bits"], ex.size
    block = f", {data['block']}x{data['block']} block means" if data["block"] > 1 else ""
    clim = (0.0, float(data["g_max"]))
    offset = data["minus"] is None
    plus = finish(
        [image(data["plus"], size, G, clim=clim)],
        f"{'G' if offset else 'G+'} of slice {s} ({bits} bits), {size} x {size}{block}",
    )
    if offset:  # an empty map (zeros drawn transparent: all-NaN data warns at render time)
        blank = image(np.zeros_like(data["plus"]), size, G, clim=clim).opts(alpha=0.0)
        minus = finish([blank], "no G- (offset mapping)")
    else:
        minus = finish(
            [image(data["minus"], size, G, clim=clim)], f"G- of slice {s} ({bits} bits), {size} x {size}{block}"
        )
    return plus, minus


def outputs(ex):
    """Analog against ideal outputs (at most 4000 of the batch), the line y = x dashed."""
    import holoviews as hv

    data = ex.outputs()
    points = hv.Scatter((data["ideal"], data["analog"]), kdims=[IDEAL], vdims=[ANALOG]).opts(
        color=BLUE, size=3, alpha=0.4
    )
    title = (
        f"MVM error {data['mvm_error']:.2%}, ADC clipping {data['adc_clip_fraction']:.2%}, "
        f"gain factor {data['stats']['gain_factor']:.3f}"
    )
    return finish([points, hv.Slope(1.0, 0.0).opts(color=BLACK, line_dash="dashed", line_width=1)], title)


def error_histogram(ex):
    """Histogram of the output errors in units of the RMS ideal output (80 bins)."""
    err = ex.outputs()["error"]
    counts, edges = np.histogram(err, bins=80)
    title = f"Output error: standard deviation {float(np.std(err)):.2%} of the RMS output ({err.size} outputs)"
    return finish([bars(edges, counts, ERROR, OUTPUTS, color=BLUE)], title)


def _sweep(x, y, xdim, title, marker, logx=False, shade=None):
    import holoviews as hv

    line = curve(x, percent(y), xdim, MVM, color=BLUE)
    points = hv.Scatter((np.asarray(x, dtype=float), percent(y)), kdims=[xdim], vdims=[MVM]).opts(color=BLUE, size=6)
    return finish([line, points, shade, vline(marker)], title, logx=logx, logy=True)  # line first: its axes


def adc(ex):
    """MVM error against ADC bits (log y), the chosen bits dashed."""
    sweep = ex.adc_sweep()
    bits = ex.xb.adc_bits
    hit = np.flatnonzero(sweep["bits"] == bits)
    current = float(sweep["mvm_error"][hit[0]]) if hit.size else ex.outputs()["mvm_error"]
    title = f"ADC {bits} bits: {current:.2%} MVM error ({ex.xb.adc_range} range)"
    return _sweep(sweep["bits"], sweep["mvm_error"], BITS, title, bits)


def wire(ex):
    """MVM error against wire resistance (IR drop on, log-log), the chosen resistance dashed and the
    resistances beyond first order (largest r (A + B) > 1) shaded."""
    import holoviews as hv

    sweep = ex.wire_sweep()
    r, worst = sweep["wire_resistance_ohm"], sweep["ir_drop_max"]
    limit = float(r[-1] / worst[-1]) if worst[-1] > 0 else np.inf
    shade = hv.VSpan(limit, float(r[-1])).opts(color=VERMILLION, alpha=0.12) if limit < r[-1] else None
    now = ex.wire_resistance_ohm
    point = float(ex.wire_sweep((now,))["mvm_error"][0])
    lead = "IR drop" if ex.xb.ir_drop else "If IR drop were on,"
    title = f"{lead} at {now:.3g} Ω: {point:.2%}"
    if np.isfinite(limit):
        title += f" (first order valid below {limit:.2g} Ω)"
    return _sweep(r, sweep["mvm_error"], WIRE, title, now, logx=True, shade=shade)


def figures(ex, **options) -> dict:
    """The Crossbar tab's figures for `ex`'s settings, by chart heading."""
    if options:
        raise TypeError(f"figures: unknown options {sorted(options)}; this tab has none")
    plus, minus = maps(ex)
    return {
        "Conductance maps [0]": plus,
        "Conductance maps [1]": minus,
        "Ideal versus analog outputs": outputs(ex),
        "Output-error histogram": error_histogram(ex),
        "MVM error versus ADC bits": adc(ex),
        "MVM error versus wire resistance": wire(ex),
    }
