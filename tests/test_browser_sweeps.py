"""Browser test of the Sweeps tab (issue 27, item 3): the real `panel serve` app in headless Chromium.
Opened from its link, the tab starts the default sweep (4 points, 2 chips each) on the server's local
Dask cluster, the heatmap fills in, and a point opens as a scenario: the page switches to the
Reliability tab, which shows the point's settings."""

import re
import urllib.parse

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect
from test_browser import open_page, tab, wait_for_title

from explorer.app import SWEEPS_TAB

pytestmark = pytest.mark.browser

TIMEOUT = 180000  # the first sweep of the server starts its cluster: worker processes import the models

HEATMAP_VALUES_JS = """
() => {
  const out = [];
  for (const doc of (window.Bokeh ? window.Bokeh.documents : []))
    for (const model of doc.all_models) {
      if (model.type !== 'ColumnDataSource') continue;
      const data = model.data instanceof Map ? Object.fromEntries(model.data) : model.data;
      if (!('points' in data) || !('x' in data) || !('y' in data) || 'settings' in data) continue;
      const cells = [];
      for (let i = 0; i < data.points.length; i++) cells.push([data.x[i], data.y[i], Number(data.points[i])]);
      out.push(cells);
    }
  return out;
}
"""
"""The cells of each heatmap source in the page, each as [x, y, points averaged] (a heatmap's source has
x, y and the points' count; a redrawn heatmap's earlier source may still be in the document)."""

TAP_JS = """
(point) => {
  let found = false;
  for (const doc of (window.Bokeh ? window.Bokeh.documents : []))
    for (const model of doc.all_models) {
      if (model.type !== 'ColumnDataSource') continue;
      const data = model.data instanceof Map ? Object.fromEntries(model.data) : model.data;
      if (!('settings' in data) || !('point' in data)) continue;
      const k = Array.from(data.point).map(Number).indexOf(point);
      if (k >= 0) { model.selected.indices = [k]; found = true; }
    }
  return found;
}
"""
"""Select point `point` on the Pareto figure's scatter source, as a tap on it does (the tap tool sets
the source's selected indices; every such source, as an earlier drawing's may still be in the
document); whether a source held it."""


URL_STATE_JS = """
() => {
  const doc = window.Bokeh.documents[0];
  const locations = [...doc.all_models].filter(m => m.type.endsWith('.Location')).map(m => m.search);
  const roots = doc.roots().map(r => r.type + (doc._idle_roots.has(r) ? '' : ' (not idle)'));
  return {address: window.location.search, location_models: locations, idle: doc.is_idle, roots};
}
"""
"""The page's address, the query the server last sent (each Location model's search), and whether the
document is idle, with each root and whether it has finished rendering."""


def test_start_a_sweep_see_the_heatmap_fill_in_and_open_a_point(served_app, browser):
    page, errors = open_page(
        browser, served_app + f"?tab={SWEEPS_TAB}", ready="Scheduler address (empty: a local cluster)"
    )
    expect(tab(page, "Sweeps")).to_have_class(re.compile("bk-active"))
    expect(page.get_by_text("No sweep run yet.")).to_be_visible()
    assert page.evaluate(HEATMAP_VALUES_JS) == []  # nothing drawn before a sweep
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_text("Running", exact=False).first).to_be_visible(timeout=TIMEOUT)
    # The heatmap fills in: its title counts the points arrived, up to all 4.
    wait_for_title(page, r"^rel\.accuracy at 1 y \(%\): 4 of 4 points$", timeout=TIMEOUT)
    filled = [sorted(map(tuple, cells)) for cells in page.evaluate(HEATMAP_VALUES_JS)]
    # The last drawing: each cell of technology x slices holds its one point.
    assert sorted(filled)[-1] == [("PCM", "1", 1), ("PCM", "2", 1), ("RRAM", "1", 1), ("RRAM", "2", 1)], filled
    expect(page.get_by_text("Finished: 4 of 4 points done", exact=False)).to_be_visible(timeout=TIMEOUT)
    wait_for_title(page, r"^Pareto front: 1 of 4 points$")  # RRAM with 1 slice beats the others
    expect(page.locator(".sweep-dashboard a")).to_have_attribute("href", re.compile(r"^http://.+/status$"))

    # A tap on the Pareto figure selects a point of its source; the page's point list follows it.
    tapped = page.evaluate(TAP_JS, 1)
    assert tapped, "no Pareto source holds point 1"
    expect(page.locator(".sweep-point select")).to_have_value('1: rel.technology="PCM", rel.n_slices=2', timeout=30000)

    # Open point 3 (RRAM, 2 slices) as a scenario: the Reliability tab opens with its settings.
    page.locator(".sweep-point select").select_option(label='3: rel.technology="RRAM", rel.n_slices=2')
    # The server has the choice (its echo) before the click: the two are separate events, which
    # the server may handle in different threads.
    expect(page.locator(".sweep-opened")).to_contain_text('Chosen: 3: rel.technology="RRAM"', timeout=TIMEOUT)
    page.get_by_role("button", name="Open point").click()
    expect(tab(page, "Reliability")).to_have_class(re.compile("bk-active"), timeout=TIMEOUT)
    try:
        page.wait_for_function(
            "() => ['rel.technology=RRAM', 'tab=5'].every(s => window.location.search.includes(s))", timeout=TIMEOUT
        )
    except PlaywrightTimeout:
        # Where the address stopped: the server's query as the page's Location model holds it, and
        # whether the document is idle (Panel's Location writes the address only once it is).
        raise AssertionError(f"the address did not follow the opened point: {page.evaluate(URL_STATE_JS)}") from None
    query = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
    assert query["tab"] == ["5"] and query["rel.technology"] == ["RRAM"] and query["rel.n_slices"] == ["2"]
    shown = page.locator("select:visible").evaluate_all("els => els.map(e => e.value)")
    assert "RRAM" in shown, shown  # the Reliability tab's technology control shows the point's value
    assert errors == []
