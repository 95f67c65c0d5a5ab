"""Regenerate the screenshots of every tab, in normal and in lecture mode, from the real served app.

    python assets/make_screenshots.py                  # every tab, both modes
    python assets/make_screenshots.py Devices Training # some tabs, both modes

Writes docs/screenshots/<tab>.png (1500 x 1000, normal mode) and docs/screenshots/<tab>-lecture.png
(1280 x 800, a projector's size, lecture mode: ``?lecture=1``). Starts `analog-explorer` on a free
port (`explorer.tools.served.Server`), opens each tab in headless Debian Chromium (Playwright,
/usr/bin/chromium) and waits until every plot of the tab is rendered. The default settings and
seed 0 are used. On the Programming and Training tabs the screenshot is taken after a run: Start,
a few seconds of streaming, Pause unless the run has ended (how far a run gets depends on the machine, so the captions
quote no number from those two tabs). On the Sweeps tab, after its default sweep (4 points) has finished
on the server's local Dask cluster.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
TABS = (
    "Overview",
    "Devices",
    "Encoding",
    "Crossbar",
    "Programming",
    "Reliability",
    "Training",
    "Technologies",
    "Physics reference",
    "Sweeps",
)
MODES = {
    # mode: (file suffix, query, viewport)
    "normal": ("", "", (1500, 1000)),
    "lecture": ("-lecture", "lecture=1", (1280, 800)),
}
RUN_TABS = {"Programming": 4000, "Training": 8000}
"""Tabs shown after a run: milliseconds of streaming between Start and Pause."""


def file_name(tab, suffix):
    """docs/screenshots/<tab><suffix>.png, the tab's name in lower case with dashes."""
    return OUT / f"{tab.lower().replace(' ', '-')}{suffix}.png"


def shoot(browser, url, tab, mode):
    """Open `tab` in `mode` on a fresh page, wait until it is drawn, save the screenshot."""
    from playwright.sync_api import expect

    from explorer.tools.browser_benchmark import TABS as TAB_INDEX
    from explorer.tools.browser_benchmark import first_render, open_tab, plot_count

    suffix, query, viewport = MODES[mode]
    if tab in TAB_INDEX and tab not in ("Overview", "Technologies", "Physics reference", "Sweeps"):
        context, page, _, errors = open_tab(browser, url, tab, query=query, viewport=viewport)
        if first_render(page, plot_count(tab)) is None:
            raise RuntimeError(f"the {tab} tab did not render in {mode} mode")
        if tab in RUN_TABS:
            page.get_by_role("button", name="Start").click()
            page.wait_for_timeout(RUN_TABS[tab])
            pause = page.get_by_role("button", name="Pause")
            if pause.is_enabled():  # else the run has already finished
                pause.click()
            expect(page.get_by_role("button", name="Start")).to_be_enabled(timeout=60000)
    else:
        context, page, _, errors = open_tab(browser, url, tab, query=query, viewport=viewport)
        page.wait_for_timeout(1000)
        if tab == "Technologies":  # its cells fill in the background once the tab is open
            expect(page.get_by_text("All cells computed.")).to_be_visible(timeout=120000)
        if tab == "Sweeps":  # the default sweep, run to its end (the cluster starts with the first one)
            page.get_by_role("button", name="Start").click()
            expect(page.get_by_text("Finished:", exact=False)).to_be_visible(timeout=180000)
    page.wait_for_timeout(2000)  # MathJax typesets the explanations after the plots
    out = file_name(tab, suffix)
    page.screenshot(path=str(out), full_page=False)
    context.close()
    return out, errors


def main(argv=None):
    from playwright.sync_api import sync_playwright

    from explorer.tools.served import Server, launch_chromium

    tabs = list(sys.argv[1:] if argv is None else argv) or list(TABS)
    unknown = [t for t in tabs if t not in TABS]
    if unknown:
        raise SystemExit(f"unknown tab(s) {unknown}; allowed: {', '.join(TABS)}")
    OUT.mkdir(parents=True, exist_ok=True)
    with Server() as server, sync_playwright() as pw:
        browser = launch_chromium(pw)
        for tab in tabs:
            for mode in MODES:
                out, errors = shoot(browser, server.url, tab, mode)
                print(f"wrote {out.relative_to(ROOT)}" + (f" ({len(errors)} console errors)" if errors else ""))
        browser.close()


if __name__ == "__main__":
    main()
