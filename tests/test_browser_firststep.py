"""Browser test of the first step (issue 23, item 6): the bare URL opens on the Overview with its six
pointers, every dashboard shows its Try-this box, and the physics reference is a tab with its
section headings, which the plots' citations link to."""

import re

import pytest
from playwright.sync_api import expect
from test_browser import tab

from explorer.app import DASHBOARDS

pytestmark = pytest.mark.browser

TIMEOUT = 120000


def plain(markdown):
    """The start of a Markdown text as the page shows it (emphasis marks dropped)."""
    return markdown.replace("*", "").splitlines()[0][:40]


def test_the_app_opens_on_the_overview_and_every_tab_shows_a_first_step(browser, served_app):
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(served_app)
    expect(page.get_by_text("Start here", exact=False)).to_be_visible(timeout=TIMEOUT)
    for title, _, _ in DASHBOARDS:
        expect(page.locator("li", has_text=re.compile(f"^{title}: "))).to_be_visible()
    # No dashboard was rendered: the Overview is the page the app opens on.
    expect(page.locator(".try-this")).to_have_count(0)

    for title, _, cls in DASHBOARDS:
        tab(page, title).click()
        box = page.locator(".try-this", has_text=plain(cls().try_this_text()))
        expect(box).to_be_visible(timeout=TIMEOUT)
        expect(box).to_contain_text("Try this:")

    tab(page, "Physics reference").click()
    expect(page.get_by_role("heading", name=re.compile(r"^1\. PCM, statistical model"))).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("heading", name=re.compile(r"^12\. Error metrics"))).to_be_visible()
    assert errors == [], errors
    page.close()


def test_a_plots_citation_opens_the_physics_reference(browser, served_app):
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    page.goto(served_app + "?tab=3")
    link = page.get_by_role("link", name=re.compile(r"physics\s+reference section 10")).first
    expect(link).to_be_visible(timeout=TIMEOUT)
    with page.context.expect_page() as opened:
        link.click()
    reference = opened.value
    expect(reference.get_by_role("heading", name=re.compile(r"^10\. Crossbar read-out"))).to_be_visible(timeout=TIMEOUT)
    reference.close()
    page.close()
