"""Browser test of the guided lessons: the real `panel serve` app in headless Chromium. A student
starts the first lesson from the Overview, the step opens its tab with its control outlined, the
answer stays hidden after the prediction until the control is moved, then shows the measured
figure; Next opens the second step on its tab with the answer hidden again; and the page's URL,
opened on a fresh page, restores that step."""

import re

import pytest
from playwright.sync_api import expect
from test_browser import open_page, tab

pytestmark = pytest.mark.browser

TIMEOUT = 90000

OUTLINED_JS = """[...Bokeh.index.query(v => (v.model.tags || []).includes('lesson-control'))]
    .map(v => [v.model.title || v.model.label || '', getComputedStyle(v.el).outlineWidth])"""
"""The controls the page outlines: each one's title and the width of its outline as drawn."""


def test_a_lesson_end_to_end_and_a_link_restores_a_step(served_app, browser):
    page, errors = open_page(browser, served_app, ready="Start lesson")
    page.get_by_role("button", name="Start lesson").click()
    card = page.locator(".lesson-card").first
    expect(card).to_contain_text("PCM drift and its compensation: step 1 of 2", timeout=TIMEOUT)
    expect(page).to_have_url(re.compile(r"lesson=pcm-drift.*step=1|step=1.*lesson=pcm-drift"), timeout=TIMEOUT)
    expect(tab(page, "Reliability")).to_have_class(re.compile("bk-active"), timeout=TIMEOUT)
    # The control to move is outlined (a style) and tagged (`explorer.views.lessons.HIGHLIGHT_TAG`).
    page.wait_for_function(OUTLINED_JS + ".length === 1", timeout=TIMEOUT)
    assert page.evaluate(OUTLINED_JS) == [["Drift compensation", "3px"]]
    outlined = page.locator(".bk-input-group", has_text="Drift compensation")
    expect(outlined.locator("select")).to_have_value("global", timeout=TIMEOUT)  # the step's start
    answer = page.locator(".lesson-answer").first
    expect(answer).to_be_hidden()

    page.get_by_text("It falls by about 4 points, to about 91 %", exact=True).click()
    page.wait_for_timeout(1000)
    expect(answer).to_be_hidden()  # predicted, not moved yet
    outlined.locator("select").select_option("none")
    expect(answer).to_be_visible(timeout=TIMEOUT)
    expect(answer).to_contain_text("Measured: about 91 % at one year")

    page.get_by_role("button", name="Next").click()
    expect(card).to_contain_text("step 2 of 2", timeout=TIMEOUT)
    expect(tab(page, "Devices")).to_have_class(re.compile("bk-active"), timeout=TIMEOUT)
    expect(answer).to_be_hidden()
    page.wait_for_function(OUTLINED_JS + ".map(o => o[0]).join() === 'Time after programming'", timeout=TIMEOUT)
    assert [width for _, width in page.evaluate(OUTLINED_JS)] == ["3px"]  # the time slider only
    expect(page).to_have_url(re.compile(r"step=2"), timeout=TIMEOUT)
    page.get_by_text("Fewer than at one year, but still about two thirds", exact=True).click()
    page.get_by_role("button", name="Reveal").click()
    expect(answer).to_contain_text("Measured: 68 % of the devices", timeout=TIMEOUT)
    url = page.url
    page.close()

    fresh, fresh_errors = open_page(browser, url)  # ready: the Devices tab's plot
    expect(fresh.locator(".lesson-card").first).to_contain_text("step 2 of 2", timeout=TIMEOUT)
    expect(tab(fresh, "Devices")).to_have_class(re.compile("bk-active"), timeout=TIMEOUT)
    expect(fresh.locator(".lesson-answer").first).to_be_hidden()
    fresh.close()
    assert not [e for e in errors + fresh_errors if "favicon" not in e], errors + fresh_errors
