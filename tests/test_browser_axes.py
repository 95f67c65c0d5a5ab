"""Axes in the browser (issue 23, item 5): on the served Reliability tab (time axes, percent axes,
log axes and the floating-point reference line), the ticks and labels BokehJS computes from the ranges
it computes are those tests/test_axes.py reasons about: the JavaScript log ticker and formatters give
what their Python twins in `explorer.views._axes` give, the ranges are those `test_axes.visible_range`
computes, and the floating-point accuracy line lies inside the client's y range."""

import numpy as np
import pytest
from test_axes import rendered, visible_range
from test_browser import open_page, settle

from explorer import views
from explorer.views import _axes

pytestmark = pytest.mark.browser

AXES_JS = """
() => {
  // For every named plot of the page: each axis's ticker kind, range, major ticks and their labels,
  // all as BokehJS computes them, and the reference lines' positions.
  const out = {};
  for (const doc of window.Bokeh.documents)
    for (const m of doc.all_models) {
      if (!m.name || !m.x_range || !m.below) continue;
      const axes = {};
      for (const [dim, axis, range] of [['x', m.below[0], m.x_range], ['y', m.left[0], m.y_range]]) {
        if (!axis || range.start === undefined) continue;
        const ticks = axis.ticker.get_ticks(range.start, range.end, range, NaN).major;
        axes[dim] = {
          ticker: axis.ticker.type, formatter: axis.formatter.type, start: range.start, end: range.end,
          ticks: Array.from(ticks), labels: axis.formatter.doFormat(Array.from(ticks), {loc: 0}),
          scale: axis.formatter.args ? axis.formatter.args.scale : null,
        };
      }
      const refs = [];
      for (const r of m.renderers)
        if (r.glyph && (r.glyph.type === 'HSpan' || r.glyph.type === 'VSpan'))
          refs.push([r.glyph.type, Array.from(r.data_source.data.at)]);
      out[m.name] = {axes, refs};
    }
  return out;
}
"""

TWIN_JS = """
(ranges) => {
  // The log ticker's ticks and the number formatter's labels for each [start, end] of `ranges`.
  let ticker = null, fmt = null;
  for (const doc of window.Bokeh.documents)
    for (const m of doc.all_models) {
      if (m.type === 'CustomJSTicker') ticker = m;
      if (m.type === 'CustomJSTickFormatter' && m.args && m.args.scale === 1) fmt = m;
    }
  return ranges.map(([s, e]) => {
    const ticks = Array.from(ticker.get_ticks(s, e, null, NaN).major);
    return [ticks, fmt ? fmt.doFormat(ticks, {loc: 0}) : null];
  });
}
"""


@pytest.fixture(scope="module")
def page_axes(browser, served_app):
    page, errors = open_page(browser, served_app + "?tab=5", ready="Accuracy versus time")
    page.wait_for_function("() => window.Bokeh.documents.length > 0")
    settle(page)
    yield page, page.evaluate(AXES_JS)
    assert [e for e in errors if "Bokeh" in e or "Error" in e] == []
    page.close()


def test_the_client_ticks_and_labels_are_the_python_twins(page_axes):
    _, plots = page_axes
    logs = times = percents = 0
    for name, plot in plots.items():
        for dim, a in plot["axes"].items():
            where = f"{name} ({dim})"
            if a["ticker"] == "CustomJSTicker":
                logs += 1
                assert a["ticks"] == pytest.approx(_axes.log_ticks(a["start"], a["end"]), rel=1e-12), where
                assert a["labels"] == [_axes.format_number(t, a["scale"]) for t in a["ticks"]], where
                assert len(a["ticks"]) >= _axes.MIN_VISIBLE, where
            elif a["ticker"] == "FixedTicker":
                times += 1
                assert a["ticks"] == list(_axes.TIME_TICKS), where  # the axis draws those in its range
                assert a["labels"] == list(_axes.TIME_TICKS.values()), where
                drawn = [t for t in a["ticks"] if min(a["start"], a["end"]) <= t <= max(a["start"], a["end"])]
                assert {_axes.TIME_TICKS[t] for t in drawn} >= {"1 s", "1 h", "1 d", "1 y", "10 y"}, where
            elif a["formatter"] == "CustomJSTickFormatter":
                percents += 1
                assert a["labels"] == [_axes.format_percent(t, a["ticks"]) for t in a["ticks"]], where
    assert logs >= 2 and times >= 1 and percents >= 1, plots.keys()


def test_the_log_ticker_agrees_with_its_twin_on_any_range(page_axes):
    page, _ = page_axes
    rng = np.random.default_rng(23)
    low = 10.0 ** rng.uniform(-8, 8, 60)
    ranges = [[float(lo), float(lo * 10.0**w)] for lo, w in zip(low, rng.uniform(0.005, 14, 60))]
    for (start, end), (ticks, labels) in zip(ranges, page.evaluate(TWIN_JS, ranges)):
        assert ticks == pytest.approx(_axes.log_ticks(start, end), rel=1e-12), (start, end)
        assert labels == [_axes.format_number(t) for t in ticks], (start, end)


def test_the_client_ranges_are_those_the_tests_compute(page_axes):
    """`test_axes.visible_range` on the same dashboard at the same defaults (same seed, same numbers)
    gives the ranges BokehJS shows; the floating-point line is inside the client's range."""
    _, plots = page_axes
    view = rendered(views.ReliabilityView)
    compared = 0
    for heading, built in view._plots.items():
        if heading in view._slots and not view.slot_shown(heading):
            continue
        for plot in built:
            fig = plot.figure
            client = plots.get(fig.name)
            if client is None:
                continue
            for dim, a in client["axes"].items():
                start, end = visible_range(fig, dim)
                assert (a["start"], a["end"]) == pytest.approx((start, end), rel=1e-6), (fig.name, dim)
                compared += 1
    assert compared >= 4
    curve = plots["Accuracy versus time"]
    ((kind, (at,)),) = curve["refs"]
    y = curve["axes"]["y"]
    assert kind == "HSpan" and y["start"] < at < y["end"]
