"""Browser test of the Reliability tab: the real `panel serve` app in headless Chromium. The
accuracy-versus-time curve renders, the drift-coefficient slider redraws it, and switching on
global compensation raises the 1-year accuracy in the title; the read-disturb study renders."""

import re

import pytest
from playwright.sync_api import expect
from test_browser import nudge, open_page, title_number, wait_for_title

pytestmark = pytest.mark.browser

YEAR_TITLE = r"^PCM, (no|global) drift compensation, 10 chips: ([0-9.]+)% at 1 year"


def year_accuracy(page):
    return title_number(page, YEAR_TITLE, 2)


def test_drift_slider_and_compensation_redraw_the_curve(browser, served_app):
    page, errors = open_page(browser, served_app + "?tab=5", ready="Accuracy versus time")
    wait_for_title(page, r"^PCM, no drift compensation, 10 chips: [0-9.]+% at 1 year")
    # the read-disturb study renders beside it (its read counts once broke the page as int64 columns)
    wait_for_title(page, r"^RRAM at 0\.40 V: 2% loss after [0-9.e+]+ reads unipolar")
    wait_for_title(page, r"^After 1\.0e\+06 reads at 0\.40 V: mean shift")
    before = year_accuracy(page)
    nudge(page, "Drift-coefficient scale", 5)  # 1.0 -> 1.25: more drift
    wait_for_title(page, rf"^PCM, no drift compensation, 10 chips: (?!{re.escape(f'{before:.1f}')}%)[0-9.]+% at 1 year")
    more_drift = year_accuracy(page)
    page.goto(served_app + "?tab=5&rel.drift_scale=1.0&rel.compensation=global")
    wait_for_title(page, r"^PCM, global drift compensation, 10 chips: [0-9.]+% at 1 year")
    assert year_accuracy(page) > before
    assert more_drift != before
    assert errors == [], errors
    page.close()


def test_a_study_shows_its_controls_and_hides_the_others_by_their_style(browser, served_app):
    """The study controls (read voltage and count of the RRAM study, bit-line length of the Flash
    one) are shown and hidden by their style (`explorer.views._widgets.show`), not by
    ``visible``: a hidden control takes no room, and one shown again has its size and answers keys."""
    page, errors = open_page(browser, served_app + "?tab=5", ready="Accuracy versus time")
    wait_for_title(page, r"^RRAM at 0\.40 V: 2% loss after [0-9.e+]+ reads unipolar")
    voltage = page.locator(".bk-slider-title", has_text=re.compile("^Read voltage")).locator("xpath=..")
    cells = page.locator(".bk-input-group", has_text="Cells per bit line").locator("select")
    box = voltage.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 20
    assert cells.bounding_box() is None
    study = page.locator(".bk-input-group", has_text="Second study").locator("select")
    study.select_option("Flash read disturb")
    wait_for_title(page, r"^Flash, 128 cells per bit line: ")
    expect(cells).to_be_visible()
    expect(voltage).to_be_hidden()
    assert voltage.bounding_box() is None  # display: none, no room
    study.select_option("read disturb")
    expect(voltage).to_be_visible()
    # The two style changes are applied by the page one after the other: wait for the second.
    expect(cells).to_be_hidden()
    assert voltage.bounding_box() == box and cells.bounding_box() is None
    nudge(page, "^Read voltage", 1)  # 0.40 -> 0.45 V (its step): the study's curve at the new voltage
    wait_for_title(page, r"^RRAM at 0\.45 V: 2% loss after")
    assert errors == [], errors
    page.close()
