"""Axes people read (issue 23, item 5), checked on every dashboard after it computes at its defaults
(Programming and Training after a short run; then the charts other settings show, `ALSO`): every
log axis has at least three labelled ticks between the ends of its data, every axis of an accuracy
or an error is in percent as the titles are, every time axis is labelled in seconds to years by the
one shared ticker, every reference line lies inside its plot's range, and the read-disturb
histogram shows the shift its explanation describes.

The plots' ranges are computed in the browser by Bokeh's DataRange1d; `visible_range` computes them
here the same way (the data's bounds, padded by 10 %, in log10 units on a log axis). The ticks are
those of `_axes.log_ticks`, the Python twin of the JavaScript ticker the page runs
(tests/test_browser_axes.py checks that both agree)."""

import math
import re

import numpy as np
import panel as pn
import pytest
from bokeh.document import Document
from bokeh.models import (
    BoxAnnotation,
    CustomJSTicker,
    CustomJSTickFormatter,
    FactorRange,
    FixedTicker,
    GlyphRenderer,
    HoverTool,
    HSpan,
    Image,
    LogScale,
    Span,
    VSpan,
)

from explorer import views
from explorer.views import _axes

DIMENSION_FIELDS = {
    "x": ("x", "xs", "left", "right", "x0", "x1"),
    "y": ("y", "ys", "top", "bottom", "y0", "y1"),
}
"""The glyph properties whose values a DataRange1d of that dimension counts."""


def rendered(cls):
    """A dashboard at its defaults, rendered and computed (Programming and Training: after a short
    run, since their plots show a run's progress)."""
    view = cls()
    pn.panel(view).get_root(Document())
    if cls is views.ProgrammingView:
        view.model.step(60)
    if cls is views.TrainingView:
        view.model.step(400)
    return view


ALSO = {
    "DevicesView": ({"technology": "RRAM"}, {"technology": "Flash"}),
    "ReliabilityView": ({"study": "Flash read disturb"}, {"study": "Flash wear"}, {"study": "technologies"}),
    "TrainingView": ({"task": "5 x 5 correlation"},),
}
"""Settings that show the charts the defaults hide (the other technologies' and studies' plots)."""


@pytest.fixture(scope="module")
def figures():
    """``(tab, figure)`` of every figure of every dashboard at its defaults, then of the charts
    shown only at the settings of `ALSO`."""
    out, seen = [], set()
    for name in views.__all__:
        view = rendered(getattr(views, name))
        for settings in ({}, *ALSO.get(name, ())):
            view.model.param.update(**settings)
            if name == "TrainingView" and settings:
                view.model.step(400)
            for chart in view.charts():
                if chart.is_shown(view.model) and chart.heading not in seen:
                    seen.add(chart.heading)
                    out += [(name, plot.figure) for plot in view._plots[chart.heading]]
    failed = [f"{tab}: {fig.title.text}" for tab, fig in out if fig.title.text.lstrip().startswith("Could not compute")]
    assert failed == []
    return out


def _values(source, spec):
    if isinstance(spec, (int, float)):
        return np.array([float(spec)])
    if not isinstance(spec, str) or spec not in source.data:
        return np.zeros(0)
    column = source.data[spec]
    if isinstance(column, list) and column and isinstance(column[0], (np.ndarray, list)):
        column = np.concatenate([np.asarray(c, dtype=float).ravel() for c in column])
    try:
        return np.asarray(column, dtype=float).ravel()
    except (TypeError, ValueError):  # categorical factors
        return np.zeros(0)


def data_values(fig, dimension):
    """Every value the figure's glyphs put on axis `dimension` ("x" or "y"), as a DataRange1d counts them."""
    out = []
    for r in fig.renderers:
        if not isinstance(r, GlyphRenderer) or not r.visible:
            continue
        glyph, source = r.glyph, r.data_source
        if isinstance(glyph, HSpan | VSpan):
            if (dimension == "y") == isinstance(glyph, HSpan):
                out.append(_values(source, glyph.y if isinstance(glyph, HSpan) else glyph.x))
            continue
        if isinstance(glyph, Image):
            start = _values(source, glyph.x if dimension == "x" else glyph.y)
            size = _values(source, glyph.dw if dimension == "x" else glyph.dh)
            out += [start, start + size]
            continue
        for field in DIMENSION_FIELDS[dimension]:
            if hasattr(glyph, field):
                out.append(_values(source, getattr(glyph, field)))
    values = np.concatenate(out) if out else np.zeros(0)
    return values[np.isfinite(values)]


def is_log(fig, dimension):
    return isinstance(fig.x_scale if dimension == "x" else fig.y_scale, LogScale)


def data_span(fig, dimension):
    """(low, high) of the data on the axis (positive values only on a log axis), None if none."""
    values = data_values(fig, dimension)
    if is_log(fig, dimension):
        values = values[values > 0]
    return (float(values.min()), float(values.max())) if values.size else None


def visible_range(fig, dimension):
    """(start, end) the figure's DataRange1d shows on axis `dimension`, as BokehJS computes it:
    the data's bounds, an explicit start or end in their place, padded by `range_padding` (in log10
    units on a log axis), then the explicit start or end."""
    rng = fig.x_range if dimension == "x" else fig.y_range
    span = data_span(fig, dimension)
    low, high = span if span else (math.nan, math.nan)
    start = rng.start if rng.start is not None and not math.isnan(rng.start) else None
    end = rng.end if rng.end is not None and not math.isnan(rng.end) else None
    low, high = start if start is not None else low, end if end is not None else high
    pad = rng.range_padding
    if is_log(fig, dimension):
        a, b = math.log10(low), math.log10(high)
        half = (b - a) * (1 + pad) / 2
        lo, hi = 10 ** ((a + b) / 2 - half), 10 ** ((a + b) / 2 + half)
    else:
        half = (high - low) * (1 + pad) / 2
        lo, hi = (low + high) / 2 - half, (low + high) / 2 + half
    return (start if start is not None else lo, end if end is not None else hi)


def axes_of(figures):
    """``(label, tab, figure, dimension, axis)`` of every axis that is not categorical."""
    out = []
    for tab, fig in figures:
        for dimension, axis, rng in (("x", fig.xaxis[0], fig.x_range), ("y", fig.yaxis[0], fig.y_range)):
            if not isinstance(rng, FactorRange):
                out.append((f"{tab}: {fig.name} ({dimension})", tab, fig, dimension, axis))
    return out


def shown_ticks(axis, start, end):
    """The major ticks `axis` shows for the visible range [start, end]."""
    ticker = axis.ticker
    if isinstance(ticker, FixedTicker):
        return [t for t in ticker.ticks if min(start, end) <= t <= max(start, end)]
    assert isinstance(ticker, CustomJSTicker) and ticker.major_code == _axes.LOG_TICKS_JS, type(ticker).__name__
    return _axes.log_ticks(start, end)


def test_every_log_axis_has_three_labelled_ticks_between_the_ends_of_its_data(figures):
    checked, bad = 0, {}
    for label, _, fig, dimension, axis in axes_of(figures):
        span = data_span(fig, dimension)
        if not is_log(fig, dimension) or span is None or span[1] <= span[0]:
            continue
        checked += 1
        try:
            ticks = shown_ticks(axis, *visible_range(fig, dimension))
        except AssertionError as exc:
            bad[label] = f"ticker {exc}"
            continue
        inside = [t for t in ticks if span[0] <= t <= span[1]]
        if len(inside) < 3:
            bad[label] = f"data {span[0]:.3g}..{span[1]:.3g}: ticks inside {inside}"
    assert checked >= 10  # the log axes of the six tabs at their defaults
    assert bad == {}


def test_the_log_ticker_labels_narrow_ranges_where_the_issue_found_none():
    """The ranges issue 23 reported: a converged error near 0.02, the ADC plateau near 0.09, pulses
    near 6 x 10^5; each gets ticks near its low end, labelled as plain numbers or 6×10⁵."""
    for low, high, near in ((0.02, 1.0, 0.03), (0.09, 1.7, 0.1), (2e4, 6e5, 5e4), (0.0903, 0.0999, 0.092)):
        cut = (math.log10(high) - math.log10(low)) * _axes.RANGE_PADDING / 2
        ticks = _axes.log_ticks(low / 10**cut, high * 10**cut)
        inside = [t for t in ticks if low <= t <= high]
        assert len(inside) >= 3 and min(inside) <= near, (low, high, ticks)
    assert [_axes.format_number(t) for t in (0.02, 0.5, 3000.0)] == ["0.02", "0.5", "3000"]
    assert [_axes.format_number(t) for t in (6e5, 1e6, 1e-4)] == ["6×10⁵", "10⁶", "10⁻⁴"]
    assert _axes.format_number(0.05, 100) == "5"


PERCENT_FIGURE = re.compile(r"(?<![-+\d.])(\d+(?:\.\d+)?)\s?%(?! loss)")
"""A percent figure in a title that gives a value of the plotted quantity: not a loss threshold ("10 %
loss after") nor a signed change ("gain error +4.3 %", a different quantity)."""


def percent_scale(axis):
    """What the axis's labels multiply the data by: 100 for the percent formatters, 1 otherwise."""
    fmt = axis.formatter
    if isinstance(fmt, CustomJSTickFormatter):
        if fmt.code == _axes.PERCENT_FORMAT_JS:
            return 100.0
        if fmt.code == _axes.NUMBER_FORMAT_JS:
            return float(fmt.args["scale"])
    return 1.0


def test_every_accuracy_and_error_axis_is_in_percent_as_the_titles_are(figures):
    percent_axes, bad = 0, {}
    for label, _, fig, dimension, axis in axes_of(figures):
        name = axis.axis_label or ""
        other_unit = re.search(r"\((?!%\))[^)]*\)\s*$", name)
        if re.search(r"accuracy|error", name) and not other_unit and not name.endswith("(%)"):
            bad[label] = f"{name!r} does not say (%)"
        if not name.endswith("(%)"):
            continue
        percent_axes += 1
        if percent_scale(axis) == 100:  # the hover shows the cursor in percent too
            for spec in hover_specs(fig, dimension):
                assert spec.endswith("%}"), (label, spec)
        values = data_values(fig, dimension) * percent_scale(axis)
        figures_in_title = [float(f) for f in PERCENT_FIGURE.findall(fig.title.text or "")]
        if values.size and figures_in_title:
            low, high = values.min(), values.max()
            slack = 0.1 * max(high - low, abs(high))
            if not any(low - slack <= f <= high + slack for f in figures_in_title):
                bad[label] = f"title's {figures_in_title} % outside the axis's {low:.3g}..{high:.3g} %"
    assert percent_axes >= 12
    assert bad == {}


def hover_specs(fig, dimension):
    """The hover tooltips' formats of the cursor's position on axis `dimension`."""
    tools = [t for t in fig.tools if isinstance(t, HoverTool) and isinstance(t.tooltips, list)]
    return [value for t in tools for _, value in t.tooltips if value.startswith("$" + dimension)]


def test_a_percent_formatter_labels_fractions_in_percent():
    assert [_axes.format_percent(t, [0.88, 0.9]) for t in (0.88, 0.9)] == ["88", "90"]
    assert _axes.format_percent(0.885, [0.88, 0.885]) == "88.5"


def test_every_time_axis_uses_the_shared_time_ticker(figures):
    times = 0
    for label, _, fig, dimension, axis in axes_of(figures):
        if "time after programming" not in (axis.axis_label or ""):
            continue
        times += 1
        assert axis.axis_label == _axes.TIME_LABEL, label
        assert isinstance(axis.ticker, FixedTicker) and list(axis.ticker.ticks) == list(_axes.TIME_TICKS), label
        assert isinstance(axis.formatter, CustomJSTickFormatter) and axis.formatter.code == _axes.TIME_FORMAT_JS
        assert list(axis.formatter.args["labels"]) == list(_axes.TIME_TICKS.values())
        assert all(spec == f"${dimension}{{0,0}}" for spec in hover_specs(fig, dimension)), label  # seconds
        span = data_span(fig, dimension)
        shown = shown_ticks(axis, *visible_range(fig, dimension))
        assert len([t for t in shown if span[0] <= t <= span[1]]) >= 3, label
    assert times >= 2  # Devices' drift, Reliability's accuracy versus time
    assert list(_axes.TIME_TICKS.values())[:7] == ["1 s", "1 min", "1 h", "1 d", "1 mo", "1 y", "10 y"]


def references(fig):
    """``(name, dimension, position)`` of every reference line or band the figure shows."""
    out = []
    for a in fig.center:
        if isinstance(a, Span) and a.location is not None:
            out.append((a.name, "y" if a.dimension == "width" else "x", a.location))
        if isinstance(a, BoxAnnotation):
            out += [(a.name, "x", v) for v in (a.left, a.right) if isinstance(v, (int, float))]
    for r in fig.renderers:
        if isinstance(r, GlyphRenderer) and isinstance(r.glyph, HSpan | VSpan):
            dimension = "y" if isinstance(r.glyph, HSpan) else "x"
            out += [(r.data_source.name, dimension, float(v)) for v in data_values_of(r)]
    return out


def data_values_of(renderer):
    glyph = renderer.glyph
    return _values(renderer.data_source, glyph.y if isinstance(glyph, HSpan) else glyph.x)


def test_every_reference_line_lies_inside_its_plots_range(figures):
    checked, bad = 0, {}
    for tab, fig in figures:
        for r in fig.renderers:  # a reference glyph is placed by every computed update
            if isinstance(r, GlyphRenderer) and isinstance(r.glyph, HSpan | VSpan):
                assert len(r.data_source.data["at"]) == 1, f"{tab}: {r.data_source.name} not placed"
        for name, dimension, at in references(fig):
            checked += 1
            start, end = visible_range(fig, dimension)
            if not min(start, end) <= at <= max(start, end):
                bad[f"{tab}: {name}"] = f"at {at:.4g}, range {start:.4g}..{end:.4g}"
    assert checked >= 8
    assert bad == {}


READ_CURVES = ("fresh", "unipolar", "bipolar")


def test_the_read_disturb_histogram_shows_the_shift_of_the_reads(figures):
    """The explanation: reads move the devices up from the crowded lowest level (bipolar reads much
    less). The devices fill the x axis rather than being squeezed at its left by the device model's
    g_max (the axis spans at most 1.5 times the span up to their 99th percentile), and the unipolar
    outline stands visibly apart from the fresh one (by more than 5 % of the plot's height) over at
    least 30 % of the plot's width (before: 6 %, the first few bins of a linear count axis)."""
    (fig,) = [f for tab, f in figures if f.name == "Read disturb: conductances"]
    source = {r.data_source.name: r.data_source.data for r in fig.renderers if isinstance(r, GlyphRenderer)}
    fresh, unipolar = source[f"{fig.name}/fresh"], source[f"{fig.name}/unipolar"]
    assert np.array_equal(fresh["x"], unipolar["x"])
    x0, x1 = visible_range(fig, "x")
    left = np.asarray(fresh["x"][::2], float)  # the step outlines' bins: left edges and counts
    devices = np.concatenate(
        [np.repeat(left, np.asarray(source[f"{fig.name}/{n}"]["y"][::2]).astype(int)) for n in READ_CURVES]
    )
    top = np.percentile(devices, 99)
    assert x1 - x0 <= 1.5 * (top - x0), f"devices up to {top:.1f} µS on an axis to {x1:.1f} µS"
    y0, y1 = visible_range(fig, "y")

    def height(y):
        y = np.asarray(y, float)
        if is_log(fig, "y"):
            return (np.log10(y) - math.log10(y0)) / (math.log10(y1) - math.log10(y0))
        return (y - y0) / (y1 - y0)

    apart = np.abs(height(unipolar["y"][::2]) - height(fresh["y"][::2])) > 0.05
    share = apart.sum() * (left[1] - left[0]) / (x1 - x0)
    assert share >= 0.3, f"apart over {share:.0%} of the width"


def test_a_marker_beyond_its_sweep_stays_inside_the_range():
    """The chosen ADC bits (the slider goes to 16, the sweep to 12) and a common-mode gain typed
    beyond the sweep (0.8 to 1.2) are still marked inside the plot's range."""
    from explorer.models import CrossbarExplorer, EncodingExplorer

    crossbar = views.CrossbarView(model=CrossbarExplorer(size=32, batch=8))
    encoding = views.EncodingView(model=EncodingExplorer(size=16, batch=4))
    for view in (crossbar, encoding):
        pn.panel(view).get_root(Document())
    crossbar.model.xb.adc_bits = 15
    encoding.model.xb.common_mode_gain = 1.6
    checked = 0
    for name, fig in (
        ("ADC", crossbar._plots["MVM error versus ADC bits"][0].figure),
        ("gain", encoding._plots["Common mode"][1].figure),
    ):
        (marker,) = [r for r in references(fig) if r[1] == "x"]
        start, end = visible_range(fig, "x")
        assert start <= marker[2] <= end, (name, marker, start, end)
        checked += 1
    assert checked == 2
