"""Browser tests of the exports: the HTML review report of every tab opens in headless Chromium with
no request to another host and no console error, and on the real served app the review bar's
**Data (CSV)** download re-reads to the values the page's plot draws and **Report (HTML)** gives a
report that opens offline."""

import io
import re
import time
from urllib.parse import urlparse

import numpy as np
import pandas as pd
import pytest
from test_browser import open_page, settle

from explorer.figures.report import report_html
from explorer.models.dashboards import (
    CrossbarExplorer,
    DevicesExplorer,
    EncodingExplorer,
    ProgrammingExplorer,
    ReliabilityExplorer,
    TrainingExplorer,
)

pytestmark = pytest.mark.browser

TIMEOUT = 90000


def open_offline(browser, path):
    """`path` opened in a new page: (page, requests to anything but the file itself, console errors)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1200})
    elsewhere, errors = [], []

    def request(req):
        if urlparse(req.url).scheme not in ("file", "data", "blob"):
            elsewhere.append(req.url)

    page.on("request", request)
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(path.as_uri())
    page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0", timeout=TIMEOUT)
    page.wait_for_function("() => document.querySelectorAll('.bk-Figure, .bk-GridPlot').length > 0", timeout=TIMEOUT)
    page.wait_for_timeout(500)  # any late request or error
    return page, elsewhere, errors


def drawn_figures(page):
    """How many Bokeh figures the page's documents hold."""
    return page.evaluate(
        "() => Bokeh.documents.reduce((n, d) => n + [...d._all_models.values()]"
        ".filter(m => m.type === 'Figure' || m.constructor.name === 'Figure').length, 0)"
    )


EXPLORERS = {
    "dev": lambda: DevicesExplorer(n_devices=1024),
    "enc": lambda: EncodingExplorer(size=32, batch=8),
    "xb": lambda: CrossbarExplorer(size=32, batch=16),
    "prog": lambda: ProgrammingExplorer(size=16),
    "rel": lambda: ReliabilityExplorer(chips=2),
    "train": lambda: TrainingExplorer(),
}


@pytest.mark.parametrize("tab", list(EXPLORERS))
@pytest.mark.parametrize("pinned", [False, True], ids=["alone", "pinned"])
def test_the_report_of_each_tab_opens_offline(browser, tmp_path, tab, pinned):
    ex = EXPLORERS[tab]()
    a = None
    if pinned:
        a = EXPLORERS[tab]()
        a.seed = 7
    path = tmp_path / f"{tab}.html"
    path.write_text(report_html(ex, pinned=a), encoding="utf-8")
    page, elsewhere, errors = open_offline(browser, path)
    assert elsewhere == []
    assert errors == []
    assert drawn_figures(page) >= len(ex.figures())
    if pinned:
        assert page.get_by_text("B − A").count() == 1
    page.close()


def test_app_downloads_a_plots_csv_and_the_report(served_app, browser, tmp_path):
    page, errors = open_page(browser, served_app + "?tab=1")
    settle(page)
    plot = "Programmed levels at the chosen time"
    assert page.locator(".export-plot select").input_value() == "Plot 1: devices against conductance (µS)"
    with page.expect_download(timeout=TIMEOUT) as download:
        page.locator(".export-csv").get_by_text("Data (CSV)").click()
    assert download.value.suggested_filename == "dev-programmed-levels-at-the-chosen-time.csv"
    path = tmp_path / "levels.csv"
    download.value.save_as(path)
    table = pd.read_csv(io.StringIO(path.read_text(encoding="utf-8")))
    drawn = page.evaluate(
        """(name) => { for (const d of Bokeh.documents) { const m = d.get_model_by_name(name);
             if (m) return {left: Array.from(m.data.left), top: Array.from(m.data.top)}; } return null; }""",
        f"{plot}/total",
    )
    total = table[table.series == "total"]
    np.testing.assert_allclose(total["conductance (µS), bin start"], drawn["left"], rtol=1e-12)
    np.testing.assert_array_equal(total["devices"], drawn["top"])

    clicked = time.perf_counter()
    with page.expect_download(timeout=TIMEOUT) as download:
        page.locator(".export-report").get_by_text("Report (HTML)").click()
    # Reported, not asserted (issue 24 asks for 2 s; python -m explorer.tools.benchmark_report).
    print(f"\nReport (HTML), Devices tab: click to download {time.perf_counter() - clicked:.2f} s")
    assert re.fullmatch(r"dev-report\.html", download.value.suggested_filename)
    report = tmp_path / "report.html"
    download.value.save_as(report)
    assert errors == []
    page.close()
    offline, elsewhere, report_errors = open_offline(browser, report)
    assert elsewhere == [] and report_errors == []
    assert offline.get_by_text("Devices: review report").count() == 1
    offline.close()
