"""Browser test of issue 23's "no broken-looking states": every dashboard tab of the served app,
rendered at its defaults before anything is pressed, has no plot with a degenerate axis range.

The ranges are the ones BokehJS computed (a `DataRange1d` follows the plotted data in the browser,
so the server never knows them): the test reads ``x_range``/``y_range`` ``start``/``end`` of every
figure from ``window.Bokeh.documents[0].all_models`` once the tab has rendered and its updates have
settled. A range is *degenerate* when it makes a plot look broken rather than show something:

- its start or end is not a finite number, or its end is not above its start;
- its span is tiny against its magnitude, ``(end - start) / max(|start|, |end|) < 1e-3``: the axis
  then reads "1.00013 ... 1.0002", the picture of a single point (a run at iteration 0) that BokehJS
  pads by a hair;
- it is BokehJS's default for data without extent, exactly -1 ... 1, on an axis whose data are
  none or a single value (a learning curve before Start, a run at iteration 0): the axis says
  nothing about what will come;
- on a log axis, it spans less than a factor `MIN_LOG_FACTOR` (1.5): a log axis that narrow has no
  decade tick in it, so it shows no number where the data are; a plot that means to zoom that far
  in a log axis would be listed in `NARROW_LOG_OK` with its reason (none is).

Categorical axes (`FactorRange`) are skipped; a flipped axis (the conductance maps' rows, row 0 at
the top) is read the right way round. Reliability's second study decides which plots show under
the accuracy curve, so every study is rendered too, and the Training tab's 5 x 5 task has its own
learning curves.
"""

import math

import pytest

from explorer.app import DASHBOARDS
from explorer.models.dashboards.reliability import STUDIES
from explorer.tools.browser_benchmark import first_render, open_tab

pytestmark = pytest.mark.browser

MIN_RELATIVE_SPAN = 1e-3
MIN_LOG_FACTOR = 1.5
NARROW_LOG_OK = {}
"""Plot name -> reason a log axis narrower than `MIN_LOG_FACTOR` is what it should show."""
QUIET_MS = 1500
"""A tab has settled when no Bokeh model changed for this long (its first updates arrive in turns)."""
TIMEOUT_S = 180.0

RANGES_JS = """
() => {
  // Every figure's computed ranges and scales, and the extent of its renderers' finite data on
  // each axis (null: no finite data on that axis).
  const X = ['x', 'xs', 'left', 'right', 'x0', 'x1'], Y = ['y', 'ys', 'top', 'bottom', 'y0', 'y1'];
  const extent = (v, acc) => {
    if (v == null) return;
    if (typeof v === 'number') {
      if (Number.isFinite(v)) { acc[0] = Math.min(acc[0], v); acc[1] = Math.max(acc[1], v); }
      return;
    }
    if (typeof v.length === 'number' && typeof v !== 'string') for (let i = 0; i < v.length; i++) extent(v[i], acc);
  };
  const out = [];
  for (const doc of window.Bokeh.documents)
    for (const m of doc.all_models) {
      if (!(m.x_range && m.y_range && m.renderers)) continue;  // a Plot (Bokeh's figure)
      const ex = [Infinity, -Infinity], ey = [Infinity, -Infinity];
      let data = false;
      for (const r of m.renderers) {
        if (!r.data_source || r.visible === false) continue;
        const d = r.data_source.data instanceof Map ? Object.fromEntries(r.data_source.data) : r.data_source.data;
        for (const k in d) {
          const acc = X.includes(k) ? ex : (Y.includes(k) ? ey : null);
          const probe = [Infinity, -Infinity];
          extent(d[k], probe);
          if (probe[0] <= probe[1] && k !== 'color') data = true;
          if (acc) extent(d[k], acc);
        }
      }
      const range = (rg) => {
        const flip = rg.flipped === true;  // a flipped axis (row 0 at the top) keeps start > end
        return {type: rg.type, start: flip ? rg.end : rg.start, end: flip ? rg.start : rg.end};
      };
      const span = (e) => (e[0] <= e[1] ? e : null);
      out.push({
        name: m.name || '(unnamed)', title: m.title ? m.title.text : '', data,
        x: range(m.x_range), y: range(m.y_range), x_data: span(ex), y_data: span(ey),
        x_log: m.x_scale.type === 'LogScale', y_log: m.y_scale.type === 'LogScale',
      });
    }
  return out;
}
"""

QUIET_JS = """
(ms) => {
  const c = window.__probe.changes;
  const last = c.length ? c[c.length - 1][0] : 0;
  return performance.now() - last > ms;
}
"""


def degenerate(rng, log, extent):
    """Why the computed range `rng` ({start, end}) is degenerate, or None (see the module's
    docstring); `extent` is the (low, high) of the plot's finite data on this axis, or None."""
    start, end = rng["start"], rng["end"]
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in (start, end)):
        return f"not finite: {start!r} .. {end!r}"
    if end <= start:
        return f"end {end:g} not above start {start:g}"
    if (start, end) == (-1, 1) and (extent is None or extent[0] == extent[1]):
        return "BokehJS's default -1 .. 1 for data without extent on this axis" + (
            f" (one value, {extent[0]:g})" if extent else " (no data)"
        )
    if (end - start) / max(abs(start), abs(end)) < MIN_RELATIVE_SPAN:
        return f"span {end - start:.3g} tiny against {max(abs(start), abs(end)):.3g}: {start:.6g} .. {end:.6g}"
    if log and start > 0 and end / start < MIN_LOG_FACTOR:
        return f"log axis spans only a factor {end / start:.3f}: {start:.4g} .. {end:.4g}"
    return None


def test_degenerate_flags_what_the_docstring_says():
    """The rule itself, on the ranges the old Programming tab showed before Start."""
    assert degenerate({"start": 1.00013, "end": 1.0002}, True, (1.00017, 1.00017))
    assert degenerate({"start": -1, "end": 1}, False, None)
    assert degenerate({"start": -1, "end": 1}, False, (0.0, 0.0))
    assert degenerate({"start": 0.7, "end": 0.7}, True, (0.7, 0.7))
    assert degenerate({"start": float("nan"), "end": 1.0}, False, None)
    assert degenerate({"start": 1.0, "end": 1.2}, True, (1.0, 1.2))
    assert degenerate({"start": -1, "end": 1}, False, (-0.9, 0.9)) is None
    assert degenerate({"start": 1e-3, "end": 2.0}, True, None) is None
    assert degenerate({"start": 0.0, "end": 100.0}, False, (0.0, 100.0)) is None


def _cases():
    cases = [(title, "") for title, _, _ in DASHBOARDS]
    default = "read disturb"
    cases += [("Reliability", f"rel.study={s.replace(' ', '+')}") for s in STUDIES if s != default]
    cases.append(("Training", "train.task=5+x+5+correlation"))  # its own learning curves before Start
    return cases


def _plots_shown(title, query):
    """Plots the tab shows with the URL's settings (the benchmark's `plot_count`, with a study)."""
    ((cls,),) = [(c,) for t, _, c in DASHBOARDS if t == title]
    view = cls()
    if query:
        key, value = query.split("=")
        setattr(view.model, key.split(".", 1)[1], value.replace("+", " "))  # selectors only (strings)
    built = [c.build() for c in view.charts() if c.is_shown(view.model)]
    return sum(len(b) if isinstance(b, tuple) else 1 for b in built)


@pytest.mark.parametrize(("title", "query"), _cases(), ids=lambda v: v or "defaults")
def test_no_plot_has_a_degenerate_axis_range_before_any_run(browser, served_app, title, query):
    context, page, _, errors = open_tab(browser, served_app, title, query=query)
    try:
        n_plots = _plots_shown(title, query)
        assert first_render(page, n_plots, timeout_s=TIMEOUT_S) is not None, f"{title} did not render"
        page.wait_for_function(QUIET_JS, arg=QUIET_MS, timeout=TIMEOUT_S * 1000)
        plots = page.evaluate(RANGES_JS)
        assert len(plots) >= n_plots, plots
        bad = []
        for p in plots:
            for axis in ("x", "y"):
                rng = p[axis]
                if rng["type"] == "FactorRange":
                    continue
                why = degenerate(rng, p[f"{axis}_log"], p[f"{axis}_data"])
                if why and not (why.startswith("log axis") and p["name"] in NARROW_LOG_OK):
                    bad.append(f"{p['name']} ({p['title'][:60]!r}) {axis}: {why}")
        assert not bad, "\n".join(bad)
        assert errors == [], errors
    finally:
        context.close()
