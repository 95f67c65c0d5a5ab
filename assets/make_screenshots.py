"""Regenerate the README screenshots: one per dashboard, from the real served app.

    python assets/make_screenshots.py            # writes assets/<tab>-dashboard.png

Starts `analog-explorer` on a free port (`explorer.tools.served.Server`), opens each tab in headless
Debian Chromium (Playwright, /usr/bin/chromium), waits until every plot of the tab is rendered,
and saves a screenshot. The default settings and seed 0 are used, so the numbers in the plot
titles are the ones the README quotes.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABS = ("Devices", "Encoding", "Crossbar")


def main():
    from playwright.sync_api import sync_playwright

    from explorer.tools.browser_benchmark import first_render, open_tab, plot_count
    from explorer.tools.served import Server, launch_chromium

    with Server() as server, sync_playwright() as pw:
        browser = launch_chromium(pw)
        for tab in TABS:
            context, page, _, errors = open_tab(browser, server.url, tab, viewport=(1500, 1000))
            if first_render(page, plot_count(tab)) is None:
                raise RuntimeError(f"the {tab} tab did not render")
            page.wait_for_timeout(1500)  # MathJax typesets the explanations after the plots
            out = ROOT / "assets" / f"{tab.lower()}-dashboard.png"
            page.screenshot(path=str(out), full_page=False)
            print(f"wrote {out.relative_to(ROOT)}" + (f" ({len(errors)} console errors)" if errors else ""))
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
