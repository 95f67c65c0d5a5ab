"""Browser test of the Technologies tab (issue 24, item 6): the real `panel serve` app in headless
Chromium. Opened from its link, the tab fills every computed cell (each with how it was computed)
without a console error, **Download CSV** gives the cells the page shows, and lecture mode scales
the table's text."""

import pytest
from playwright.sync_api import expect
from test_browser import open_page

from explorer.app import TECHNOLOGIES_TAB
from explorer.models.technologies import ROWS, TECHNOLOGIES_COMPARED, read_csv
from explorer.views.technologies import CSV_NAME

pytestmark = pytest.mark.browser

TIMEOUT = 120000
CELLS = len(ROWS) * len(TECHNOLOGIES_COMPARED)


def test_the_tab_fills_its_cells_and_downloads_them_as_csv(served_app, browser, tmp_path):
    page, errors = open_page(browser, served_app + f"?tab={TECHNOLOGIES_TAB}", ready="Computed by the models")
    cells = page.locator(".technology-table td.cell")
    expect(cells).to_have_count(CELLS, timeout=TIMEOUT)  # filled in the background, cell by cell
    expect(page.locator(".technology-table td.pending")).to_have_count(0)
    expect(page.get_by_text("All cells computed.")).to_be_visible(timeout=TIMEOUT)
    shown = {}
    for i in range(CELLS):
        cell = cells.nth(i)
        key = (cell.get_attribute("data-row"), cell.get_attribute("data-technology"))
        shown[key] = (cell.locator(".value").inner_text(), cell.locator(".how").inner_text())
        assert shown[key][1].strip() and cell.get_attribute("title") == shown[key][1], key

    with page.expect_download(timeout=TIMEOUT) as download:
        page.get_by_role("button", name="Download CSV").click()
    assert download.value.suggested_filename == CSV_NAME
    path = tmp_path / CSV_NAME
    download.value.save_as(path)
    back = read_csv(path.read_text(encoding="utf-8"))
    assert set(back) == set(shown)
    for key, c in back.items():
        assert (c.text(), c.how) == shown[key], key

    # Lecture mode: the table's text follows the page's base font size (12 px, 18 px in lecture mode).
    table = page.locator("table.tech-table")
    expect(table).to_have_css("font-size", "12px")
    page.get_by_role("button", name="Lecture mode").click()
    expect(table).to_have_css("font-size", "18px", timeout=TIMEOUT)
    assert errors == [], errors
    page.close()
