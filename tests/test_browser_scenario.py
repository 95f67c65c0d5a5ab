"""Browser test of the header's scenario buttons: the real `panel serve` app in headless Chromium.
A setting changed on one page is downloaded as a scenario file and uploaded on a fresh page, which
then shows the same setting, plot and URL, and again after a control moved and the same file is
chosen again; a bad file is refused with its field named and nothing on the page changes. The
Scenarios menu opens a library scenario on its tab (controls, plot, URL, status line); This tab
downloads that tab alone, which on a fresh page changes that tab only; a newer schema version and
a technology this version lacks are refused by name."""

import json
import re

import pytest
from playwright.sync_api import expect
from test_browser import TITLES_JS, nudge, open_page, settle, tab, wait_for_title

from explorer.views.scenario_files import FILE_NAME

pytestmark = pytest.mark.browser

TIMEOUT = 90000
READY = "MVM error versus wire resistance"
ADC_TITLE = r"^ADC (\d+) bits: [0-9.]+% MVM error"


def adc_title(page):
    """The one title of the Crossbar tab's ADC sweep."""
    found = [t for t in page.evaluate(TITLES_JS) if re.match(ADC_TITLE, t)]
    assert len(found) == 1, page.evaluate(TITLES_JS)
    return found[0]


def status(page):
    """The header's status line of the scenario buttons."""
    return page.locator(".scenario-status").first


def test_download_upload_restores_a_setting_and_refuses_a_bad_file(served_app, browser, tmp_path):
    first, errors = open_page(browser, served_app + "?tab=3&xb.adc_bits=6", ready=READY)
    wait_for_title(first, r"^ADC 6 bits: ", timeout=TIMEOUT)
    settle(first)
    shown = adc_title(first)
    with first.expect_download(timeout=TIMEOUT) as download:
        first.get_by_role("button", name="Download scenario").click()
    assert download.value.suggested_filename == FILE_NAME
    path = tmp_path / FILE_NAME
    download.value.save_as(path)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["tabs"]["xb"]["xb.adc_bits"] == 6
    first.close()

    second, errors = open_page(browser, served_app + "?tab=3", ready=READY)
    wait_for_title(second, r"^ADC 8 bits: ", timeout=TIMEOUT)  # the default
    settle(second)
    assert "adc_bits" not in second.url
    second.locator("input[type=file]").set_input_files(str(path))
    expect(status(second)).to_have_text(f"Loaded {FILE_NAME}", timeout=TIMEOUT)
    wait_for_title(second, r"^ADC 6 bits: ", timeout=TIMEOUT)
    settle(second)
    assert adc_title(second) == shown  # same setting, same seed: the same number
    expect(second).to_have_url(re.compile(r"xb\.adc_bits=6"), timeout=TIMEOUT)  # the URL follows

    # Move away, then choose the same file again: it is uploaded again and brings the page back.
    nudge(second, "ADC bits", 1)
    wait_for_title(second, r"^ADC 7 bits: ", timeout=TIMEOUT)
    expect(second).to_have_url(re.compile(r"xb\.adc_bits=7"), timeout=TIMEOUT)
    second.locator("input[type=file]").set_input_files(str(path))
    wait_for_title(second, r"^ADC 6 bits: ", timeout=TIMEOUT)
    settle(second)
    assert adc_title(second) == shown

    bad = tmp_path / "bad.json"
    saved["tabs"]["xb"]["xb.adc_bits"] = 999
    saved["tabs"]["dev"]["seed"] = 12345  # a valid change before the bad one must not be applied
    bad.write_text(json.dumps(saved), encoding="utf-8")
    url = second.url
    second.locator("input[type=file]").set_input_files(str(bad))
    expect(status(second)).to_contain_text(
        "Not loaded bad.json: tabs.xb.xb.adc_bits: 999 is out of range", timeout=TIMEOUT
    )
    expect(status(second)).to_contain_text("Nothing changed.")
    second.wait_for_timeout(1000)  # time for any (wrong) update to arrive
    assert adc_title(second) == shown
    assert second.url == url
    assert errors == []
    second.close()


def test_scenario_menu_opens_a_library_scenario_and_this_tab_downloads_it(served_app, browser, tmp_path):
    from explorer.models.scenario_library import load_library
    from explorer.views.scenario_files import tab_file_name

    entry = load_library().get("Program-and-verify against GDP under IR drop")
    page, errors = open_page(browser, served_app + "?tab=0", ready="Start here")
    page.get_by_role("button", name="Scenarios").click()
    page.get_by_text(entry.name, exact=True).click()
    expect(status(page)).to_contain_text(f"Loaded {entry.name}. {entry.scenario.description[:60]}", timeout=TIMEOUT)
    expect(status(page)).to_contain_text(f"Source: {entry.scenario.source}")
    # Its tab is shown, its controls and plots hold its settings, and the URL keeps them.
    expect(tab(page, "Programming")).to_have_class(re.compile("bk-active"), timeout=TIMEOUT)
    wait_for_title(page, r"^gdp: MVM error", timeout=TIMEOUT)
    expect(page.locator(".bk-Checkbox").filter(has_text=re.compile("^IR drop$")).locator("input")).to_be_checked()
    expect(page).to_have_url(re.compile(r"tab=4"), timeout=TIMEOUT)
    expect(page).to_have_url(re.compile(r"prog\.ir_drop=[Tt]rue"), timeout=TIMEOUT)
    expect(page).to_have_url(re.compile(r"prog\.method=gdp"), timeout=TIMEOUT)

    # "This tab": the visible tab's settings only, which are the scenario's.
    page.get_by_role("button", name="This tab").click()
    page.wait_for_timeout(500)  # the choice reaches the server before the download is asked for
    with page.expect_download(timeout=TIMEOUT) as download:
        page.get_by_role("button", name="Download scenario").click()
    assert download.value.suggested_filename == tab_file_name("prog")
    path = tmp_path / tab_file_name("prog")
    download.value.save_as(path)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert set(saved["tabs"]) == {"prog"} and saved["tab"] == "prog"
    assert saved["tabs"]["prog"] == entry.scenario.to_dict()["tabs"]["prog"]

    # A newer schema version, and a technology this version lacks: refused, named, nothing changes.
    url = page.url
    for name, change, words in (
        ("newer.json", {"version": 2}, "version: written by a newer version (2); this version reads up to 1"),
        ("nope.json", {"tabs": {"prog": {"technology": "Nope"}}}, 'tabs.prog.technology: this version has no "Nope"'),
    ):
        bad = tmp_path / name
        bad.write_text(json.dumps({**saved, "tab": "dev", **change}), encoding="utf-8")
        page.locator("input[type=file]").set_input_files(str(bad))
        expect(status(page)).to_contain_text(f"Not loaded {name}: {words}", timeout=TIMEOUT)
        expect(status(page)).to_contain_text("Nothing changed.")
        # The control is emptied (so the same file can be chosen again), as it was shown the status.
        expect(page.locator("input[type=file]")).to_have_value("")
        page.wait_for_timeout(1000)  # time for any (wrong) update to arrive
        assert page.url == url
        expect(tab(page, "Programming")).to_have_class(re.compile("bk-active"))
    assert errors == []
    page.close()

    # The one-tab file on a fresh page, with another tab's setting in its link: only Programming
    # changes (the URL gains prog. keys and the tab, and keeps dev.n_levels), and it is shown.
    fresh, errors = open_page(browser, served_app + "?tab=0&dev.n_levels=4", ready="Start here")
    fresh.locator("input[type=file]").set_input_files(str(path))
    expect(status(fresh)).to_have_text(f"Loaded {tab_file_name('prog')}", timeout=TIMEOUT)
    expect(tab(fresh, "Programming")).to_have_class(re.compile("bk-active"), timeout=TIMEOUT)
    expect(fresh).to_have_url(re.compile(r"prog\.method=gdp"), timeout=TIMEOUT)
    wait_for_title(fresh, r"^gdp: MVM error", timeout=TIMEOUT)
    keys = {k.split("=")[0] for k in fresh.url.split("?", 1)[1].split("&")}
    assert {k.split(".")[0] for k in keys} == {"tab", "dev", "prog"} and "dev.n_levels" in keys
    assert {k for k in keys if k.startswith("dev.")} == {"dev.n_levels"}
    assert errors == []
    fresh.close()
