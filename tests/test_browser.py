"""Browser tests: the real `panel serve` app in headless Chromium reacts to its controls."""

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from explorer.tools.served import TITLES_JS

pytestmark = pytest.mark.browser

# A fingerprint of every plot's data: the sum of all numeric columns of every
# ColumnDataSource in the Bokeh document, with the number of sources.
FINGERPRINT_JS = """
() => {
  const docs = window.Bokeh ? window.Bokeh.documents : [];
  let total = 0, sources = 0;
  for (const doc of docs) {
    for (const model of doc.all_models) {
      if (model.type !== 'ColumnDataSource' && !(model.data && model.selected)) continue;
      sources += 1;
      const data = model.data instanceof Map ? Object.fromEntries(model.data) : model.data;
      for (const key in data) {
        const col = data[key];
        if (!col || typeof col.length !== 'number') continue;
        for (let i = 0; i < col.length; i++) {
          const v = Number(col[i]);
          if (Number.isFinite(v)) total += v * ((i % 7) + 1);
        }
      }
    }
  }
  return [sources, total];
}
"""


def title_number(page, pattern, group=1):
    """The number in group `group` of the one plot title matching `pattern` (fails unless exactly
    one title matches)."""
    found = [re.match(pattern, t) for t in page.evaluate(TITLES_JS)]
    found = [float(m.group(group)) for m in found if m]
    assert len(found) == 1, page.evaluate(TITLES_JS)
    return found[0]


def tab(page, name):
    """The app's tab header `name`."""
    return page.locator(".bk-tab", has_text=re.compile(f"^{name}$")).first


def wait_for_title(page, pattern, timeout=90000):
    """Wait until some plot title (drawn on canvas, so read from Bokeh) matches `pattern`; on time-out
    the failure lists the titles shown."""
    try:
        page.wait_for_function(f"() => ({TITLES_JS})().some(t => new RegExp({pattern!r}).test(t))", timeout=timeout)
    except PlaywrightTimeout:
        raise AssertionError(
            f"no plot title matched {pattern!r} within {timeout} ms; titles: {page.evaluate(TITLES_JS)}"
        ) from None


def open_page(browser, url, ready="Programmed levels at the chosen time", exact=False):
    """A new page at `url` once the text `ready` shows and Bokeh is up; also the list of
    console errors, which grows while the page lives."""
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    expect(page.get_by_text(ready, exact=exact)).to_be_visible(timeout=90000)
    page.wait_for_function("() => window.Bokeh && window.Bokeh.documents.length > 0", timeout=90000)
    return page, errors


def wait_for_new_data(page, before, timeout=90000):
    page.wait_for_function(
        f"() => {{ const f = ({FINGERPRINT_JS})(); return f[0] > 0 && f[1] !== {before[1]!r}; }}", timeout=timeout
    )


def settle(page):
    """Wait until the plot data stops changing (the first render is finished)."""
    last = None
    for _ in range(40):
        page.wait_for_timeout(500)
        now = page.evaluate(FINGERPRINT_JS)
        if now == last and now[0] > 0:
            return now
        last = now
    return last


def nudge(page, label, presses):
    """Press the right arrow `presses` times on the slider titled `label`; wait for new plot data."""
    before = settle(page)
    row = page.locator(".bk-slider-title", has_text=re.compile(label)).locator("xpath=..")
    handle = row.locator(".noUi-handle").first
    handle.focus()
    for _ in range(presses):
        handle.press("ArrowRight")
    wait_for_new_data(page, before)


def test_time_slider_changes_the_histogram(browser, served_app):
    page, errors = open_page(browser, served_app + "?tab=1")
    nudge(page, "Time after programming", 10)
    wait_for_title(page, r"PCM: 8 levels at t = (?!1 h)[0-9.]+ h, level read-back error")
    assert errors == [], errors
    page.close()


def test_every_slider_changes_plot_data(browser, served_app):
    page, errors = open_page(browser, served_app + "?tab=1")
    for label in (
        "Drift-coefficient scale",
        "Read-noise scale",
        "Programming-noise scale",
        "Number of levels",
        "Devices",
    ):
        nudge(page, label, 3)
    assert errors == [], errors
    page.close()


def test_flash_temperature_slider(browser, served_app):
    page, errors = open_page(browser, served_app + "?tab=1")
    settle(page)
    page.locator("select").first.select_option("Flash")
    wait_for_title(page, r"Flash: 8 levels")
    nudge(page, "Temperature", 20)
    # Twenty quick presses, faster than the server applies them: every one lands (the server does
    # not echo the slider's own older values back to it), and the plot follows.
    wait_for_title(page, r"Flash subthreshold I-V at 320 K")
    settle(page)
    shown = page.locator(".bk-slider-title", has_text=re.compile("Temperature")).inner_text()
    assert re.search(r"320(\.0)?\s*$", shown), shown
    assert errors == [], errors
    page.close()
