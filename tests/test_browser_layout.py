"""Browser test of the plots' layout (issue 23, item 1): at a 1280 x 800 projector and at 1500 x 1000,
on every dashboard tab, at the defaults and after a run, no plot title is cut (each line of it fits
its plot, measured with the title's own font in the page) and no legend leaves its plot or covers
the plotted data; in lecture mode too, which scales the figures' fonts 1.5x without resending data.

One page per viewport visits every tab; the served app is shared with the other browser tests."""

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect
from test_browser import FINGERPRINT_JS, tab

from explorer.app import DASHBOARDS
from explorer.tools.browser_benchmark import plot_count

pytestmark = pytest.mark.browser

TIMEOUT = 120000

LAYOUT_JS = """
() => {
  // Every plot on the page that is shown: its size (CSS px), its title lines' widths measured with
  // the title's own font, its legends' boxes and the box of its plotted data, in canvas coordinates.
  const ctx = document.createElement('canvas').getContext('2d');
  const shown = (v) => v.el && v.el.isConnected && v.el.checkVisibility() && v.bbox.width > 0;
  const out = [];
  for (const pv of Bokeh.index.query(v => v.model.type === 'Figure' || v.model.type === 'Plot')) {
    if (!shown(pv)) continue;
    const f = pv.frame.bbox;
    const fig = {name: pv.model.name, width: pv.bbox.width, height: pv.bbox.height, titles: [], legends: [],
                 data: null, frame: [f.left, f.top, f.right, f.bottom]};
    const children = [...pv.children()];
    for (const tv of children.filter(v => v.model.type === 'Title')) {
      ctx.font = tv.visuals.text.font_value();
      const lines = (tv.model.text || '').split('\\n');
      fig.titles.push({text: tv.model.text, font: ctx.font, left: tv.layout.bbox.left,
                       widths: lines.map(l => ctx.measureText(l).width)});
    }
    for (const lv of children.filter(v => v.model.type === 'Legend')) {
      const b = lv.bbox;
      fig.legends.push({box: [b.left, b.top, b.right, b.bottom], items: lv.model.items.filter(i => i.visible).length,
                        font: lv.model.label_text_font_size});
    }
    let box = null;
    for (const rv of children.filter(v => v.model.type === 'GlyphRenderer' && v.model.visible)) {
      const g = rv.glyph;
      if (!g || g.data_size === 0) continue;
      const r = g.bounds();
      const xs = [r.x0, r.x1].map(x => rv.coordinates.x_scale.compute(x)).filter(Number.isFinite);
      const ys = [r.y0, r.y1].map(y => rv.coordinates.y_scale.compute(y)).filter(Number.isFinite);
      if (!xs.length || !ys.length) continue;
      // Data outside the frame are not drawn: clip to it.
      const b = [Math.max(Math.min(...xs), f.left), Math.max(Math.min(...ys), f.top),
                 Math.min(Math.max(...xs), f.right), Math.min(Math.max(...ys), f.bottom)];
      if (b[0] > b[2] || b[1] > b[3]) continue;
      box = box ? [Math.min(box[0], b[0]), Math.min(box[1], b[1]), Math.max(box[2], b[2]), Math.max(box[3], b[3])] : b;
    }
    fig.data = box;
    out.push(fig);
  }
  return out;
}
"""

READY_JS = """
(count) => {
  // Whether `count` plots are shown, every one with a title, and BokehJS has finished drawing them.
  if (!window.Bokeh || !window.Bokeh.index) return false;
  const views = [...Bokeh.index.query(v => v.model.type === 'Figure')].filter(
      v => v.el && v.el.isConnected && v.el.checkVisibility() && v.bbox.width > 0);
  return views.length >= count && views.every(v => v.has_finished() && v.model.title.text.trim());
}
"""

TITLE_FONTS_JS = """
(font) => [...Bokeh.index.query(v => v.model.type === 'Title')].every(v => v.visuals.text.font_value() === font)
"""
"""Whether every plot title of the page is drawn in `font`."""

SLACK = 1.0
"""Pixels of rounding allowed in the comparisons."""


def _overlap(a, b):
    """Whether boxes a and b ([left, top, right, bottom]) share an area."""
    return min(a[2], b[2]) - max(a[0], b[0]) > SLACK and min(a[3], b[3]) - max(a[1], b[1]) > SLACK


def problems(figures):
    """What is wrong in the layout `LAYOUT_JS` read: titles wider than their plot, legends outside
    their plot or over its data."""
    found = []
    for fig in figures:
        for title in fig["titles"]:
            for line, width in zip(title["text"].split("\n"), title["widths"]):
                if title["left"] + width > fig["width"] + SLACK:
                    found.append(
                        f"{fig['name']}: title line {line!r} ends at {title['left'] + width:.0f} px "
                        f"of a {fig['width']:.0f} px plot ({title['font']})"
                    )
        for legend in fig["legends"]:
            box = legend["box"]
            if legend["items"] == 0 or box[2] - box[0] <= 0:
                continue
            if box[0] < -SLACK or box[1] < -SLACK or box[2] > fig["width"] + SLACK or box[3] > fig["height"] + SLACK:
                found.append(f"{fig['name']}: legend {box} leaves the {fig['width']:.0f} x {fig['height']:.0f} plot")
            if fig["data"] is not None and _overlap(box, fig["data"]):
                data = [round(v) for v in fig["data"]]
                found.append(f"{fig['name']}: legend {[round(v) for v in box]} over the data {data}")
    return found


def shown_plots(page, title, count, label):
    """Wait for the tab's `count` plots and return what is wrong with them (each labelled)."""
    page.wait_for_function(READY_JS, arg=count, timeout=TIMEOUT)
    page.wait_for_timeout(800)  # late layout passes (legends, wrapped titles) settle
    figures = page.evaluate(LAYOUT_JS)
    assert len(figures) >= count, (title, [f["name"] for f in figures])
    return [f"{label}, {title}: {p}" for p in problems(figures)], figures


RUNS = {
    "Programming": ("Programmed devices", r"iteration [1-9]\d*: MVM error"),
    "Training": ("Learning curves", r"^Epoch (0\.[0-9][1-9]|0\.[1-9]\d|[1-9]\d*\.\d\d) of"),
}
"""Tabs with a Start button: a plot heading, and a title pattern once the run has some points."""


def run_a_little(page, title):
    """Press Start on tab `title`, wait until its plots show some points, then Pause (if the run is
    still going)."""
    from test_browser import wait_for_title

    page.get_by_role("button", name="Start").click()
    wait_for_title(page, RUNS[title][1], timeout=TIMEOUT)
    try:
        page.get_by_role("button", name="Pause").click(timeout=5000)
    except PlaywrightTimeout:
        pass  # the run ended by itself meanwhile (Pause is disabled)
    expect(page.get_by_role("button", name="Start")).to_be_enabled(timeout=TIMEOUT)
    page.wait_for_timeout(1000)  # the last points arrive


def visit_every_tab(page, label, runs=True):
    """Every dashboard tab at its current settings (and after a short run where a tab has one);
    returns the problems found and, per tab, the figures read."""
    found, seen = [], {}
    for title, _, _ in DASHBOARDS:
        tab(page, title).click()
        count = plot_count(title)
        more, seen[title] = shown_plots(page, title, count, label)
        found += more
        if runs and title in RUNS:
            run_a_little(page, title)
            more, seen[f"{title} after a run"] = shown_plots(page, title, count, f"{label} after a run")
            found += more
    return found, seen


@pytest.mark.parametrize("viewport", [(1280, 800), (1500, 1000)], ids=["1280x800", "1500x1000"])
def test_no_title_is_cut_and_no_legend_covers_the_data(browser, served_app, viewport):
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(served_app + "?tab=1")
    found, seen = visit_every_tab(page, f"{viewport[0]}x{viewport[1]}")
    assert found == [], "\n".join(found)
    if viewport == (1280, 800):
        # Lecture mode switched on at run time: the tabs already rendered follow it.
        page.get_by_role("button", name="Lecture mode").click()
        page.wait_for_function(TITLE_FONTS_JS, arg="bold 19.5px helvetica", timeout=TIMEOUT)
        found, lecture = visit_every_tab(page, "1280x800 lecture mode", runs=False)
        assert found == [], "\n".join(found)
        fonts = {t["font"] for figures in lecture.values() for f in figures for t in f["titles"]}
        assert fonts == {"bold 19.5px helvetica"}, fonts
    assert errors == [], errors
    page.close()


def test_lecture_mode_scales_every_tab_from_the_url_and_resends_no_data(browser, served_app):
    """Lecture mode from the link: tabs rendered later come up scaled; switching it off and on
    changes style only (the plot data stay the same) in a few messages from the server (the page
    answers with the plots' new sizes, which is not counted)."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    patches = []  # the server's document changes: one message per websocket text frame naming PATCH-DOC
    page.on(
        "websocket",
        lambda ws: ws.on(
            "framereceived", lambda p: patches.append(p) if isinstance(p, str) and '"PATCH-DOC"' in p else None
        ),
    )
    page.goto(served_app + "?tab=1&lecture=1")
    found, seen = visit_every_tab(page, "1280x800 lecture mode from the URL", runs=False)
    assert found == [], "\n".join(found)
    for title, figures in seen.items():
        for fig in figures:
            assert {t["font"] for t in fig["titles"]} == {"bold 19.5px helvetica"}, (title, fig["name"])
            assert all(legend["font"] == "19.5px" for legend in fig["legends"]), (title, fig["legends"])
    # The page's own text: the tab headers read the inherited base font size (18 px, 1.5 x 12 px).
    size = tab(page, "Devices").evaluate("el => getComputedStyle(el).fontSize")
    assert size == "18px", size
    toggle = page.get_by_role("button", name="Lecture mode")
    data = page.evaluate(FINGERPRINT_JS)
    for lecture, font, page_font in ((False, "bold 13px helvetica", "12px"), (True, "bold 19.5px helvetica", "18px")):
        before = len(patches)
        toggle.click()
        page.wait_for_function(TITLE_FONTS_JS, arg=font, timeout=TIMEOUT)
        page.wait_for_timeout(1000)
        assert page.evaluate(FINGERPRINT_JS) == data  # no data recomputed or resent
        # At most one message per dashboard, the page's style and the URL.
        assert len(patches) - before <= len(DASHBOARDS) + 2, len(patches) - before
        assert re.search(rf"lecture={int(lecture)}", page.url), page.url
        assert tab(page, "Devices").evaluate("el => getComputedStyle(el).fontSize") == page_font
        # A select's value too (form controls do not inherit the font: 10/9 of the base size).
        select = float(page.locator("select").first.evaluate("el => getComputedStyle(el).fontSize")[:-2])
        assert select == pytest.approx(float(page_font[:-2]) * 10 / 9, abs=0.01), select
        # The explanations beside the plots, or under them in lecture mode: single plots 640 px wide
        # at 1280 px, or 960 px.
        page.wait_for_function(READY_JS, arg=plot_count("Training"), timeout=TIMEOUT)
        page.wait_for_timeout(800)
        figures = page.evaluate(LAYOUT_JS)
        assert problems(figures) == []
        widest = max(f["width"] for f in figures)
        assert (widest > 900) if lecture else (600 < widest < 700), widest
    page.close()
