"""Browser tests of the Encoding tab: the real `panel serve` app in headless Chromium."""

import re

import pytest
from playwright.sync_api import expect
from test_browser import FINGERPRINT_JS, TITLES_JS, nudge, open_page, settle, wait_for_new_data, wait_for_title

pytestmark = pytest.mark.browser

TIMEOUT = 90000

PLOT_TITLES = {
    "slicing": r"^MVM error at n = 2: [0-9.]+% \(F = 16\), law [0-9.]+%$",
    "weight error": r"^Weight error at n = 2: [0-9.]+% \(F = 16\)$",
    "conductances": r"^Slices \(4, 4\) bits, F = 16: differential at t = 1 h$",
    "budget": r"^Total MVM error [0-9.]+% with 5 of 5 sources$",
    "additive": r"^Offset \+0\.50 µS: differential [0-9.]+ %, reference [0-9.]+ %, digital [0-9.]+ %$",
    "multiplicative": r"^Gain x1\.050: gain error \+[0-9.]+ % uncalibrated, [-+][0-9.]+ % calibrated$",
}

SECTIONS = ("Error versus number of slices", "Conductances of each slice", "Error budget", "Common mode")


def open_encoding(browser, url):
    """A page on the Encoding tab (the tabs are dynamic: only the active one renders)."""
    page, errors = open_page(browser, url + "?tab=2", ready="Conductances of each slice", exact=True)
    for pattern in PLOT_TITLES.values():
        wait_for_title(page, pattern, timeout=TIMEOUT)
    settle(page)
    return page, errors


def title(page, pattern):
    """The one plot title matching `pattern`."""
    found = [t for t in page.evaluate(TITLES_JS) if re.search(pattern, t)]
    assert len(found) == 1, (pattern, page.evaluate(TITLES_JS))
    return found[0]


def test_encoding_tab_renders_every_plot(browser, served_app):
    page, errors = open_encoding(browser, served_app)
    titles = page.evaluate(TITLES_JS)
    for name, pattern in PLOT_TITLES.items():
        assert any(re.search(pattern, t) for t in titles), (name, titles)
    for text in SECTIONS:
        expect(page.get_by_text(text, exact=True).first).to_be_visible()
    # The Devices tab is not rendered: its first plot's title is absent.
    assert not any(t.startswith("PCM: 8 levels") for t in titles), titles
    assert page.evaluate(FINGERPRINT_JS)[0] >= 6
    assert errors == [], errors
    page.close()


def test_slices_slider_changes_plots_and_title(browser, served_app):
    page, errors = open_encoding(browser, served_app)
    before = title(page, r"^MVM error at n = ")
    nudge(page, "^Slices", 1)
    wait_for_title(page, r"^MVM error at n = 3: [0-9.]+% \(F = 16\)", timeout=TIMEOUT)
    wait_for_title(page, r"^Slices \(4, 4, 4\) bits, F = 16", timeout=TIMEOUT)
    wait_for_title(page, r"^Weight error at n = 3: ", timeout=TIMEOUT)
    assert title(page, r"^MVM error at n = ") != before
    assert errors == [], errors
    page.close()


def test_offset_digital_mapping_changes_the_slices(browser, served_app):
    page, errors = open_encoding(browser, served_app)
    before = settle(page)
    budget = title(page, r"^Total MVM error ")
    page.locator(".bk-input-group", has_text="Mapping").locator("select").select_option("offset-digital")
    wait_for_title(page, r"^Slices \(4, 4\) bits, F = 16: offset-digital at t = 1 h$", timeout=TIMEOUT)
    wait_for_new_data(page, before, timeout=TIMEOUT)
    # One device per weight and a digital offset: the error budget changes too.
    wait_for_title(page, rf"^(?!{re.escape(budget)}$)Total MVM error [0-9.]+% with 5 of 5 sources$", timeout=TIMEOUT)
    assert settle(page)[1] != before[1]
    assert errors == [], errors
    page.close()


def test_unchecking_a_budget_source(browser, served_app):
    page, errors = open_encoding(browser, served_app)
    total = re.search(r"([0-9.]+)%", title(page, r"^Total MVM error ")).group(1)
    before = settle(page)
    drift = page.get_by_label("drift", exact=True)
    expect(drift).to_be_checked()
    drift.uncheck()
    wait_for_title(page, r"^Total MVM error [0-9.]+% with 4 of 5 sources$", timeout=TIMEOUT)
    wait_for_new_data(page, before, timeout=TIMEOUT)
    # An hour of PCM drift is a large part of the error: without it the total falls.
    after = re.search(r"([0-9.]+)%", title(page, r"^Total MVM error ")).group(1)
    assert float(after) < float(total), (total, after)
    page.get_by_label("ADC", exact=True).uncheck()
    wait_for_title(page, r"^Total MVM error [0-9.]+% with 3 of 5 sources$", timeout=TIMEOUT)
    assert errors == [], errors
    page.close()
