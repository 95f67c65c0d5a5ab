"""Browser test of a shared link with invalid values: the real `panel serve` app in headless
Chromium opens with the link's valid part applied and a banner naming each ignored field."""

import re

import pytest
from playwright.sync_api import expect
from test_browser import open_page, wait_for_title

pytestmark = pytest.mark.browser

TIMEOUT = 90000


def test_a_link_with_invalid_values_opens_with_its_valid_part_and_names_the_rest(browser, served_app):
    page, errors = open_page(
        browser,
        served_app + "?tab=3&xb.adc_bits=999&xb.dac_bits=6&dev.technology=Nope",
        ready="MVM error versus wire resistance",
    )
    banner = page.locator(".link-problems")
    expect(banner).to_contain_text("Ignored xb.adc_bits=999: 999 is out of range; allowed: [1, 16]", timeout=TIMEOUT)
    expect(banner).to_contain_text('Ignored dev.technology=Nope: this version has no "Nope"')
    # the valid part applied: DAC bits 6 (Panel alone dropped it with the bad ADC value beside it)
    dac = page.locator(".bk-slider-title", has_text=re.compile("^DAC bits"))
    expect(dac).to_have_text(re.compile(r"^DAC bits\D*6$"), timeout=TIMEOUT)
    # the invalid one not: the ADC keeps its default 8 bits, in its slider and its sweep's title
    adc = page.locator(".bk-slider-title", has_text=re.compile("^ADC bits"))
    expect(adc).to_have_text(re.compile(r"^ADC bits\D*8$"))
    wait_for_title(page, r"^ADC 8 bits: [0-9.]+% MVM error", timeout=TIMEOUT)
    # the ignored fields leave the URL, at once and after the first change of a setting
    page.wait_for_function("() => !window.location.search.includes('Nope')", timeout=TIMEOUT)
    assert "999" not in page.evaluate("() => window.location.search")
    dac.locator("xpath=..").locator(".noUi-handle").first.press("ArrowLeft")
    expect(dac).to_have_text(re.compile(r"^DAC bits\D*5$"), timeout=TIMEOUT)
    page.wait_for_function("() => window.location.search.includes('xb.dac_bits=5')", timeout=TIMEOUT)
    search = page.evaluate("() => window.location.search")
    assert "Nope" not in search and "999" not in search and "tab=3" in search, search
    page.locator(".link-problems-dismiss button").click()
    expect(banner).to_be_hidden(timeout=TIMEOUT)
    assert errors == [], errors
    page.close()
