"""Browser test of the Programming tab: the real `panel serve` app in headless Chromium. A run
started with the button streams its convergence points to the page, pauses, and goes on while
the person visits another tab; a shared link restores the method's knobs."""

import re

import pytest
from playwright.sync_api import expect
from test_browser import open_page, tab, title_number, wait_for_title

pytestmark = pytest.mark.browser

TIMEOUT = 90000
CONVERGENCE = r"^(one-shot|verify|gdp), iteration (\d+): MVM error"


BEFORE_START = r"^{method}: MVM error \(solid\), weight error \(dashed\)$"
"""The error plot's title before a run (its frame shows "Press Start")."""


def iteration(page):
    return int(title_number(page, CONVERGENCE, 2))


def test_start_streams_the_run_pause_holds_it_and_it_goes_on_in_another_tab(browser, served_app):
    page, errors = open_page(
        browser,
        served_app + "?tab=4&prog.size=128&prog.method=gdp&prog.max_iterations=5000"
        "&prog.learning_rate=0.001",  # too slow to converge: runs until paused
        ready="Programmed devices",
    )
    wait_for_title(page, BEFORE_START.format(method="gdp"), timeout=TIMEOUT)
    page.get_by_role("button", name="Start").click()
    wait_for_title(page, r"^gdp, iteration ([2-9]|\d\d+): MVM error", timeout=TIMEOUT)
    before = iteration(page)
    tab(page, "Crossbar").click()  # the run goes on meanwhile
    page.wait_for_timeout(1500)
    tab(page, "Programming").click()
    wait_for_title(page, r"^gdp, iteration \d+: MVM error", timeout=TIMEOUT)
    page.wait_for_timeout(500)
    assert iteration(page) > before
    # The tab was rendered anew on the way back: wait until its Pause button is live, then press it.
    expect(page.get_by_role("button", name="Pause")).to_be_enabled(timeout=TIMEOUT)
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Start")).to_be_enabled(timeout=TIMEOUT)
    # "paused" once the run's thread has ended its last step and the page has its last point
    expect(page.get_by_text(re.compile(r"gdp: iteration \d+ of at most 5000, paused"))).to_be_visible(timeout=TIMEOUT)
    held = iteration(page)
    page.wait_for_timeout(1500)
    assert iteration(page) == held > 2
    expect(page.get_by_text(re.compile(rf"gdp: iteration {held} of at most 5000, paused"))).to_be_visible()
    assert errors == []
    page.close()


def test_no_request_to_another_host_when_a_tab_renders_while_a_run_streams(browser, served_app):
    """A tab rendered while a run streams gets every style sheet from this server (it got
    loading.css and markdown.css from cdn.holoviz.org in two of three runs before
    `explorer.sessions.never_cdn_style_sheets`)."""
    page, errors = open_page(
        browser,
        served_app + "?tab=4&prog.size=128&prog.method=gdp&prog.max_iterations=5000&prog.learning_rate=0.001",
        ready="Programmed devices",
    )
    wait_for_title(page, BEFORE_START.format(method="gdp"), timeout=TIMEOUT)
    page.get_by_role("button", name="Start").click()
    wait_for_title(page, r"^gdp, iteration ([2-9]|\d\d+): MVM error", timeout=TIMEOUT)
    tab(page, "Crossbar").click()
    page.wait_for_timeout(3000)
    page.close()  # the session ends, and its run with it
    assert errors == []


def test_a_shared_link_restores_the_methods_knobs(browser, served_app):
    page, errors = open_page(
        browser, served_app + "?tab=4&prog.size=32&prog.method=one-shot&prog.tolerance=0.05", ready="Programmed devices"
    )
    wait_for_title(page, BEFORE_START.format(method="one-shot"), timeout=TIMEOUT)
    expect(page.get_by_text("Tolerance ε: 0.05", exact=False)).to_be_visible(timeout=TIMEOUT)
    assert errors == []
    page.close()
