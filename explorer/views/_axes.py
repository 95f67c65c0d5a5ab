"""Axes people read (issue 23, item 5): log-axis ticks where the data are, percent on axes whose
titles speak percent, time axes in seconds, minutes, hours, days, months and years, and reference
lines the plot's range includes.

Ticks are computed in the browser (the plot's range follows the data there, and zooming changes it),
so each ticker and formatter is a short JavaScript function; the Python functions of the same names
(`log_ticks`, `format_number`, `format_percent`) compute the same thing for the tests, and a browser
test (tests/test_browser_axes.py) checks that both give the same ticks and labels.

The log ticker picks, for the visible range, the sparsest of these tick sets that puts at least
`MIN_VISIBLE` ticks in the range and `MIN_INNER` in its inner part (the range without the 10 %
padding Bokeh's DataRange1d adds around the data, `RANGE_PADDING`): every n-th decade, then decades
with mantissas 1-3, 1-2-5, 1-2-3-5 and 1..9, then evenly spaced ticks (steps of 1, 2 or 5 x 10^k).
Bokeh's own LogTicker puts ticks at decades only from two decades up and evenly spaced ones below,
so a curve from 0.02 to 1 had no tick below 0.2.
"""

import math

import numpy as np
from bokeh.models import (
    ColumnDataSource,
    CustomJSTicker,
    CustomJSTickFormatter,
    FixedTicker,
    GlyphRenderer,
    HoverTool,
    HSpan,
    VSpan,
)

RANGE_PADDING = 0.1
"""Bokeh DataRange1d's default range_padding (a share of the data's span, in log10 units on a log axis)."""
MIN_VISIBLE = 5
"""Least number of labelled ticks in the visible range of a log axis (when a tick set gives that many)."""
MIN_INNER = 4
"""Least number of labelled ticks between the data's ends (the visible range less its padding)."""
MANTISSAS = ((1,), (1, 3), (1, 2, 5), (1, 2, 3, 5), (1, 2, 3, 4, 5, 6, 7, 8, 9))
"""Tick sets of a log axis within each decade, sparsest first (after every n-th decade)."""
PLAIN_BELOW = 1e4
"""Tick labels of magnitude in [0.001, PLAIN_BELOW) print as plain numbers ("0.02", "5000"); others
as mantissa x power of ten ("6×10⁵", "10⁻⁴")."""

LOG_TICKS_JS = (
    """
const PAD = $PAD, MIN_VISIBLE = $MIN_VISIBLE, MIN_INNER = $MIN_INNER, MANTISSAS = $MANTISSAS;
const pow10 = (k) => (k >= 0 ? Math.pow(10, k) : 1 / Math.pow(10, -k));
let lo = Math.min(cb_data.start, cb_data.end), hi = Math.max(cb_data.start, cb_data.end);
if (!(lo > 0) || !isFinite(hi) || !(hi > lo)) return [];
const a = Math.log10(lo), b = Math.log10(hi), span = b - a;
const cut = (span * PAD) / (2 * (1 + PAD));
const ilo = Math.pow(10, a + cut), ihi = Math.pow(10, b - cut);
const good = (ticks) =>
  ticks.length >= MIN_VISIBLE && ticks.filter((t) => t >= ilo && t <= ihi).length >= MIN_INNER;
const k0 = Math.floor(a), k1 = Math.ceil(b);
const decades = (stride, mantissas) => {
  const out = [];
  for (let k = k0; k <= k1; k++) {
    if (((k % stride) + stride) % stride != 0) continue;
    for (const m of mantissas) {
      const t = k >= 0 ? m * pow10(k) : m / pow10(-k);
      if (t >= lo && t <= hi) out.push(t);
    }
  }
  return out;
};
let last = [];
for (let stride = Math.max(1, Math.ceil(span / 8)); stride >= 2; stride--) {
  last = decades(stride, [1]);
  if (good(last)) return last;
}
for (const mantissas of MANTISSAS) {
  last = decades(1, mantissas);
  if (good(last)) return last;
}
let e = Math.floor(Math.log10(hi - lo));
for (let n = 0; n < 40; n++, e--) {
  for (const m of [5, 2, 1]) {
    const step = e >= 0 ? m * pow10(e) : m / pow10(-e);
    const out = [];
    for (let i = Math.ceil(lo / step); i <= Math.floor(hi / step); i++) if (i != 0) out.push(i * step);
    if (good(out)) return out;
    last = out;
  }
}
return last;
""".replace("$PAD", repr(RANGE_PADDING))
    .replace("$MIN_VISIBLE", str(MIN_VISIBLE))
    .replace("$MIN_INNER", str(MIN_INNER))
    .replace("$MANTISSAS", str([list(m) for m in MANTISSAS]))
)
"""The log ticker's major ticks (`log_ticks` in JavaScript): `cb_data.start`, `cb_data.end` -> ticks."""

LOG_MINOR_TICKS_JS = """
const lo = Math.min(cb_data.start, cb_data.end), hi = Math.max(cb_data.start, cb_data.end);
if (!(lo > 0) || !isFinite(hi) || !(hi > lo) || Math.log10(hi / lo) > 6) return [];
const out = [];
for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); k++) {
  for (let m = 1; m <= 9; m++) {
    const t = k >= 0 ? m * Math.pow(10, k) : m / Math.pow(10, -k);
    if (t >= lo && t <= hi) out.push(t);
  }
}
return out;
"""
"""Minor ticks of a log axis spanning up to six decades: every mantissa 1..9 of every decade."""

NUMBER_FORMAT_JS = """
const SUP = {'-': '\\u207b', 0: '\\u2070', 1: '\\u00b9', 2: '\\u00b2', 3: '\\u00b3', 4: '\\u2074',
             5: '\\u2075', 6: '\\u2076', 7: '\\u2077', 8: '\\u2078', 9: '\\u2079'};
const v = tick * scale;
const x = Math.abs(v);
if (x == 0 || !isFinite(v)) return String(v);
if (x >= 1e-3 && x < $PLAIN_BELOW) return String(Number(v.toPrecision(6)));
const e = Math.floor(Math.log10(x) + 1e-9);
const m = Number((v / Math.pow(10, e)).toPrecision(6));
const power = '10' + String(e).split('').map((c) => SUP[c]).join('');
return m == 1 ? power : m == -1 ? '-' + power : m + '\\u00d7' + power;
""".replace("$PLAIN_BELOW", repr(PLAIN_BELOW))
"""Tick label of a log axis (`format_number` in JavaScript): `tick * scale` as a plain number or
mantissa x power of ten; `scale` 100 shows fractions in percent."""

PERCENT_FORMAT_JS = """
const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) * 100 : 1;
const digits = Math.min(6, Math.max(0, -Math.floor(Math.log10(step) + 1e-9)));
return (tick * 100).toFixed(digits);
"""
"""Tick label of a linear axis holding fractions (`format_percent` in JavaScript): the value in
percent, with as many decimals as the ticks' spacing needs."""

TIME_TICKS = {
    1.0: "1 s",
    60.0: "1 min",
    3600.0: "1 h",
    86400.0: "1 d",
    2629800.0: "1 mo",
    31557600.0: "1 y",
    315576000.0: "10 y",
    3155760000.0: "100 y",
}
"""Ticks of a time axis (seconds after programming) and their labels: a month is a twelfth of a
Julian year (365.25 days), as the sliders' duration formatter counts."""

TIME_LABEL = "time after programming"
"""Axis label of every time axis (its ticks carry the units)."""

TIME_FORMAT_JS = """
let best = 0;
for (let i = 1; i < ticks_s.length; i++)
  if (Math.abs(Math.log(ticks_s[i] / tick)) < Math.abs(Math.log(ticks_s[best] / tick))) best = i;
return labels[best];
"""
"""Label of a time axis tick: the label of the nearest of `TIME_TICKS` (the ticker gives no other)."""

PERCENT_UNIT = " (%)"


# ------------------------------------------------------------------ the Python twins (for the tests)


def _pow10(k):
    return 10.0**k if k >= 0 else 1.0 / 10.0**-k


def log_ticks(start, end):
    """The major ticks `log_ticker()` gives a log axis showing [start, end]: the same steps as
    `LOG_TICKS_JS`, in Python."""
    lo, hi = min(start, end), max(start, end)
    if not (lo > 0) or not math.isfinite(hi) or not (hi > lo):
        return []
    a, b = math.log10(lo), math.log10(hi)
    span = b - a
    cut = span * RANGE_PADDING / (2 * (1 + RANGE_PADDING))
    ilo, ihi = 10.0 ** (a + cut), 10.0 ** (b - cut)

    def good(ticks):
        return len(ticks) >= MIN_VISIBLE and sum(ilo <= t <= ihi for t in ticks) >= MIN_INNER

    k0, k1 = math.floor(a), math.ceil(b)

    def decades(stride, mantissas):
        out = []
        for k in range(k0, k1 + 1):
            if k % stride:
                continue
            for m in mantissas:
                t = m * _pow10(k) if k >= 0 else m / _pow10(-k)
                if lo <= t <= hi:
                    out.append(t)
        return out

    last = []
    for stride in range(max(1, math.ceil(span / 8)), 1, -1):
        last = decades(stride, (1,))
        if good(last):
            return last
    for mantissas in MANTISSAS:
        last = decades(1, mantissas)
        if good(last):
            return last
    e = math.floor(math.log10(hi - lo))
    for _ in range(40):
        for m in (5, 2, 1):
            step = m * _pow10(e) if e >= 0 else m / _pow10(-e)
            out = [i * step for i in range(math.ceil(lo / step), math.floor(hi / step) + 1) if i != 0]
            if good(out):
                return out
            last = out
        e -= 1
    return last


_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def format_number(tick, scale=1.0):
    """The label `number_formatter(scale)` gives `tick` (as `NUMBER_FORMAT_JS`, in Python)."""
    v = tick * scale
    x = abs(v)
    if x == 0 or not math.isfinite(v):
        return str(v)
    if 1e-3 <= x < PLAIN_BELOW:
        return f"{v:.6g}"
    e = math.floor(math.log10(x) + 1e-9)
    m = float(f"{v / 10.0**e:.6g}")
    power = "10" + str(e).translate(_SUPERSCRIPTS)
    return power if m == 1 else "-" + power if m == -1 else f"{m:g}×{power}"


def format_percent(tick, ticks):
    """The label `percent_formatter()` gives `tick` among `ticks` (as `PERCENT_FORMAT_JS`, in Python)."""
    step = abs(ticks[1] - ticks[0]) * 100 if len(ticks) > 1 else 1.0
    digits = min(6, max(0, -math.floor(math.log10(step) + 1e-9)))
    return f"{tick * 100:.{digits}f}"


# ------------------------------------------------------------------ Bokeh models


def log_ticker():
    """Ticker of a log axis: ticks where the data are, however narrow the range (`LOG_TICKS_JS`)."""
    return CustomJSTicker(major_code=LOG_TICKS_JS, minor_code=LOG_MINOR_TICKS_JS)


def number_formatter(scale=1.0):
    """Tick labels of a log axis as plain numbers ("0.02", "5000") or "6×10⁵"; `scale` 100 for percent."""
    return CustomJSTickFormatter(code=NUMBER_FORMAT_JS, args={"scale": float(scale)})


def percent_formatter():
    """Tick labels of a linear axis holding fractions, in percent ("97", "97.5")."""
    return CustomJSTickFormatter(code=PERCENT_FORMAT_JS)


def _axes(fig, dimension):
    return fig.xaxis if dimension == "x" else fig.yaxis


def log_axis(axes, percent=False):
    """Put the log ticker and number labels on `axes` (a figure's xaxis or yaxis); `percent`: the
    data are fractions shown in percent."""
    axes.ticker = log_ticker()
    axes.formatter = number_formatter(100.0 if percent else 1.0)


def _hover_shows(fig, dimension, label, spec):
    """Make the figure's hover tooltips show the cursor's `dimension` as `spec` under `label`
    (LivePlot's tooltips show ``$x``/``$y`` as plain numbers under the axis labels)."""
    cursor = "$" + dimension
    for tool in fig.select(type=HoverTool):
        if isinstance(tool.tooltips, list):
            tool.tooltips = [
                (label, spec) if value.startswith(cursor) else (name, value) for name, value in tool.tooltips
            ]


def percent_axis(fig, dimension="y"):
    """Show the fractions on axis `dimension` ("x" or "y") of `fig` in percent, and say so in its
    label (the data stay fractions). A log axis keeps its log ticker."""
    axes = _axes(fig, dimension)
    log = isinstance(axes[0].ticker, CustomJSTicker)
    axes.formatter = number_formatter(100.0) if log else percent_formatter()
    label = axes[0].axis_label or ""
    if not label.endswith(PERCENT_UNIT):
        axes.axis_label = label + PERCENT_UNIT
    _hover_shows(fig, dimension, label, f"${dimension}{{0.[00]%}}")


def time_axis(fig, dimension="x"):
    """A log axis of seconds after programming labelled 1 s, 1 min, 1 h, 1 d, 1 mo, 1 y, 10 y."""
    axes = _axes(fig, dimension)
    axes.ticker = FixedTicker(ticks=list(TIME_TICKS), minor_ticks=[])
    axes.formatter = CustomJSTickFormatter(
        code=TIME_FORMAT_JS, args={"ticks_s": list(TIME_TICKS), "labels": list(TIME_TICKS.values())}
    )
    axes.axis_label = TIME_LABEL
    _hover_shows(fig, dimension, TIME_LABEL + " (s)", f"${dimension}{{0,0}}")


def reference(plot, name, dimension="width", **style):
    """A reference line of `plot` (a LivePlot) the plot's range always includes: horizontal
    (`dimension` "width") at a y, or vertical ("height") at an x, set by updates as
    ``{name: located(value)}``. Drawn as a Bokeh HSpan/VSpan glyph, whose position the DataRange1d
    counts, unlike a Span annotation's (the floating-point accuracy sat above the plot)."""
    source = ColumnDataSource({"at": []}, name=name)
    glyph = HSpan(y="at", **style) if dimension == "width" else VSpan(x="at", **style)
    renderer = GlyphRenderer(glyph=glyph, data_source=source)
    plot.figure.renderers.append(renderer)
    plot.sources[name] = source
    return renderer


def located(value):
    """The update of a `reference` line: at `value` (None: hidden)."""
    return {"at": np.array([] if value is None else [float(value)])}


__all__ = [
    "TIME_LABEL",
    "TIME_TICKS",
    "located",
    "format_number",
    "format_percent",
    "log_axis",
    "log_ticker",
    "log_ticks",
    "number_formatter",
    "percent_axis",
    "percent_formatter",
    "reference",
    "time_axis",
]
