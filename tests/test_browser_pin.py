"""Pin and compare in the browser (issue 24, item 1): on the served app, "Pin as A" draws A's ghosts,
a slider moves B while the ghost keeps A's data and the key-figures table shows B − A; "Unpin"
removes the ghosts and the table."""

import numpy as np
import pytest
from playwright.sync_api import expect
from test_browser import nudge, open_page, settle, tab

from explorer.views._live import bar_outline

pytestmark = pytest.mark.browser

HISTOGRAM = "Programmed levels at the chosen time"
CHANGE = "Mean conductance change"

SOURCE_JS = """
(name) => {
  for (const doc of window.Bokeh.documents) {
    for (const m of doc.all_models) {
      if (m.name !== name || !(m.data && m.selected)) continue;
      const data = m.data instanceof Map ? Object.fromEntries(m.data) : m.data;
      const out = {};
      for (const key in data) out[key] = Array.from(data[key], (v) => (v === null ? NaN : Number(v)));
      return out;
    }
  }
  return null;
}
"""
"""The columns of the data source named `name` in the page's Bokeh document (null when absent)."""

GHOST_JS = """
(name) => {
  for (const doc of window.Bokeh.documents)
    for (const m of doc.all_models)
      if (m.renderers && m.x_range)
        for (const r of m.renderers) {
          if (r.name !== name) continue;
          const data = r.data_source.data instanceof Map ? Object.fromEntries(r.data_source.data) : r.data_source.data;
          const out = {};
          for (const key in data) out[key] = Array.from(data[key], (v) => (v === null ? NaN : Number(v)));
          return out;
        }
  return null;
}
"""
"""The columns of the ghost renderer named `name` that a figure draws now (the document keeps the
models of an earlier pin after they are removed, so the source is found through the figure)."""

GHOSTS_JS = """
() => {
  const found = [];
  for (const doc of window.Bokeh.documents)
    for (const m of doc.all_models)
      if (m.type === 'Plot' || (m.renderers && m.x_range))
        for (const r of m.renderers) if (r.name && r.name.endsWith(' (A)')) found.push(r.name);
  return found;
}
"""
"""Names of the ghost renderers the page's figures draw."""


def test_pin_move_a_slider_compare_and_unpin(browser, served_app):
    page, errors = open_page(browser, served_app + "?tab=1")
    settle(page)
    shown = page.evaluate(SOURCE_JS, f"{HISTOGRAM}/total")
    page.locator(".pin-button button").click()
    page.wait_for_function(f"() => ({GHOSTS_JS})().length > 0", timeout=30000)
    outline = bar_outline(shown)  # a histogram's ghost: the outline of A's bars

    def ghost_holds_a():
        ghost = page.evaluate(GHOST_JS, f"{HISTOGRAM}/total (A)")
        for column in ("x", "y"):
            np.testing.assert_allclose(ghost[column], outline[column], rtol=1e-6)

    ghost_holds_a()  # A is what B showed when pinned
    diff = page.locator(f"tr[data-name='{CHANGE}'] td.pin-diff")
    expect(diff).to_have_text("0", timeout=30000)

    nudge(page, "Time after programming", 15)  # PCM drifts: B's levels sink
    expect(diff).not_to_have_text("0", timeout=60000)
    assert diff.inner_text().startswith("−")  # B − A < 0: B's conductance fell further
    settle(page)
    now = page.evaluate(SOURCE_JS, f"{HISTOGRAM}/total")
    assert now != shown  # B moved
    ghost_holds_a()  # the ghost still holds A
    assert "log10_time" in page.locator("table.pin-settings").inner_text()
    # The pin is the tab's: it stays while another tab is looked at.
    tab(page, "Encoding").click()
    expect(page.get_by_text("Error versus number of slices").first).to_be_visible(timeout=90000)
    tab(page, "Devices").click()
    expect(diff).to_be_visible(timeout=30000)
    ghost_holds_a()

    # Pinning again takes B as the new A: the differences go back to zero.
    page.locator(".pin-button button").click()
    expect(diff).to_have_text("0", timeout=30000)
    outline = bar_outline(page.evaluate(SOURCE_JS, f"{HISTOGRAM}/total"))
    page.wait_for_timeout(1000)  # the legend and heights follow in messages of their own
    ghost_holds_a()

    page.locator(".unpin-button button").click()
    page.wait_for_function(f"() => ({GHOSTS_JS})().length === 0", timeout=30000)
    expect(page.locator(".pin-table")).to_be_hidden(timeout=30000)
    expect(page.locator(".unpin-button button")).to_be_disabled()
    assert errors == [], errors
    page.close()
