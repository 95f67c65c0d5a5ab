"""Browser test of the review bar's Copy-as-code tool: the real `panel serve` app in headless
Chromium. On the Devices tab opened with a changed setting, the button shows a script naming that
setting and puts it on the clipboard; moving a slider re-writes the shown script."""

import re

import pytest
from playwright.sync_api import expect
from test_browser import nudge, open_page, settle

pytestmark = pytest.mark.browser

TIMEOUT = 90000


def test_copy_as_code_shows_and_copies_the_tabs_settings(served_app, browser):
    page, errors = open_page(browser, served_app + "?tab=1&dev.n_levels=4&dev.seed=9")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    settle(page)
    block = page.locator(".copy-as-code-block").first
    expect(block).to_be_hidden()
    page.get_by_role("button", name="Copy as code").first.click()
    expect(block).to_contain_text("n_levels=4,", timeout=TIMEOUT)
    expect(block).to_contain_text("seed=9,")
    expect(block).to_contain_text("DevicesExplorer(")
    # The click came before the script: the browser copies it when it arrives.
    page.wait_for_function(
        "async () => (await navigator.clipboard.readText()).includes('n_levels=4,')", timeout=TIMEOUT
    )
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("# The Devices tab's key figures") and "print(" in copied

    nudge(page, "Number of levels", 1)  # the shown script follows the settings
    expect(block).to_contain_text("n_levels=5,", timeout=TIMEOUT)
    page.get_by_role("button", name="Copy as code").first.click()  # shown: copied at once
    page.wait_for_function(
        "async () => (await navigator.clipboard.readText()).includes('n_levels=5,')", timeout=TIMEOUT
    )
    page.get_by_role("button", name="Hide code").first.click()
    expect(block).to_be_hidden(timeout=TIMEOUT)
    assert not [e for e in errors if not re.search(r"favicon", e)], errors
