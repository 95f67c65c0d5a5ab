"""Browser latency benchmark: for every control of every tab, the time from a key press on the
widget in headless Chromium to the plots' new data arriving in the page, with the websocket
frames and bytes each update costs; and the first-render time of each tab.

    analog-explorer-benchmark --browser-only        # or: python -m explorer.tools.browser_benchmark
    python -m explorer.tools.browser_benchmark --programming   # the Programming tab's run: Start to first point
    python -m explorer.tools.browser_benchmark --while-streaming   # the controls while another session runs GDP
    python -m explorer.tools.browser_benchmark --pin --tabs Devices   # the controls with a baseline pinned
    python -m explorer.tools.browser_benchmark --tab-switches 3 --tabs Crossbar,Devices,Encoding   # tab clicks

How it measures (see `explorer.tools.served.PROBE_JS`): a script installed in the page records, in the
page's own clock, each key press and every change the Bokeh documents apply. A control's latency
is the time from its key press to the last change of a plot model (data source, title, marker,
colour range) that the press caused; the update is over when no websocket frame has arrived for
`QUIET_S`. Frames and bytes are those the page received in that window. First render is the
time from navigation start until every plot of the tab has its title and BokehJS reports every
view finished. Each control is pressed `repeats` times, moving one way until its end, then back.

The server is `analog-explorer` (the lab settings) on a free loopback port; one page at a time.
Disabled controls (a knob the technology has no model for) are measured on the first technology
that enables them, set through the URL. A run's setting (`RunButtons.RUN_SETTINGS`: Programming's
and Training's knobs that shape the run only) redraws nothing before Start, so it is not timed: its
presses are watched for `RUN_SETTING_WAIT_S` each and its row says whether any plot changed.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .served import (
    PLOT_MODELS,
    PROBE_JS,
    READY_JS,
    RENDERED_JS,
    SINCE_JS,
    TABS,
    TITLES_JS,
    FrameCounter,
    Server,
    launch_chromium,
    slider_handle,
)

QUIET_S = 0.6
"""An update is over when the page has received no websocket frame for this long."""

STEP_TIMEOUT_S = 30.0

RUN_SETTING_WAIT_S = 2.0
"""How long the benchmark watches a run setting's press for plot changes (it expects none)."""


@dataclass
class Control:
    """One widget of a tab, as the benchmark presses it."""

    tab: str
    name: str  # the widget's key in the view's `widgets()`
    label: str  # its title on the page
    kind: str  # slider, select, checkbox, number
    query: str = ""  # URL parameters that set the tab up (a technology that enables the widget)
    run_setting: bool = False  # it shapes the run only: before Start its move redraws nothing


def _kind(widget):
    import panel as pn

    if isinstance(widget, (pn.widgets.IntSlider, pn.widgets.FloatSlider)):
        return "slider"
    if isinstance(widget, pn.widgets.Select):
        return "select"
    if isinstance(widget, pn.widgets.CheckBoxGroup):
        return "group"  # pressed through its first option's box
    if isinstance(widget, pn.widgets.Checkbox):
        return "checkbox"
    if isinstance(widget, (pn.widgets.IntInput, pn.widgets.FloatInput)):
        return "number"
    raise TypeError(f"no key press defined for {type(widget).__name__}")


def enabling_query(view, prefix, settings):
    """URL parameters that set `settings` (names as in `Idle.enable`, dotted for an object the model
    holds) on the page, serialized as the page's URL sync does."""
    import json

    from ..views._widgets import resolve

    parts = []
    for name, value in settings.items():
        owner, attr = resolve(view.model, name)
        text = owner.param[attr].serialize(value)
        text = text if isinstance(text, str) else json.dumps(text)
        parts.append(f"{prefix}.{attr}={urllib.parse.quote(text)}")
    return "&".join(parts)


def tab_controls(tab):
    """Every control of dashboard `tab` (a title of `explorer.app.DASHBOARDS`), from its view."""
    import panel as pn

    from ..app import DASHBOARDS

    ((prefix, cls),) = [(p, c) for t, p, c in DASHBOARDS if t == tab]
    view = cls()
    out = []
    for name, widget in view.widgets().items():
        kind = _kind(widget)
        label = list(widget.options)[0] if isinstance(widget, pn.widgets.CheckBoxGroup) else widget.label
        query = ""
        rule = {r.control: r for r in getattr(getattr(view, "_idle", None), "rules", ())}.get(name)
        if widget.disabled and rule is not None:  # idle at the defaults: its rule says what enables it
            query = enabling_query(view, prefix, rule.enable)
        # A control disabled (hidden) at the defaults: find the value of the view's ENABLED_BY
        # (SHOWN_BY) setting that enables (shows) it.
        for setting, idle in (
            (getattr(view, "ENABLED_BY", None), lambda w=widget: w.disabled),
            (getattr(view, "SHOWN_BY", None), lambda n=name: not view.control_shown(n)),
        ):
            if setting is None or not idle() or query:
                continue
            default = getattr(view.model, setting)
            for value in view.model.param[setting].objects:
                setattr(view.model, setting, value)
                if not idle():
                    query = f"{prefix}.{setting}={urllib.parse.quote(str(value))}"
                    break
            setattr(view.model, setting, default)
        run_setting = any(
            setting.control == name and setting.holds(view.model) for setting in getattr(view, "RUN_SETTINGS", ())
        )
        out.append(Control(tab, name, str(label), kind, query, run_setting))
    return out


def plot_count(tab):
    """Number of plots (figures) the tab shows at its default settings."""
    from ..app import DASHBOARDS

    (cls,) = [c for t, _, c in DASHBOARDS if t == tab]
    view = cls()
    built = [c.build() for c in view.charts() if c.is_shown(view.model)]
    return sum(len(b) if isinstance(b, tuple) else 1 for b in built)


def locate(page, control):
    """The element of `control` that takes its key presses."""
    if control.kind == "slider":
        return slider_handle(page, rf"^{re.escape(control.label)}:")
    if control.kind == "checkbox":
        # A Bokeh Checkbox labels its input with a <div>, not a <label>.
        box = page.locator(".bk-Checkbox", has_text=re.compile(rf"^{re.escape(control.label)}$"))
        return box.locator("input").first
    return page.get_by_label(control.label, exact=True).first


class Presser:
    """Presses a control's key: sliders and selects move one way until their end, then back;
    numbers go up; checkboxes toggle."""

    def __init__(self, element, kind):
        self.element, self.kind = element, kind
        self.forward = True

    def key(self):
        e = self.element
        if self.kind in ("checkbox", "group"):
            return "Space"
        if self.kind == "number":
            return "ArrowUp"  # a new value every time (a seed that was never drawn)
        if self.kind == "slider":
            now, lo, hi = (float(e.get_attribute(a)) for a in ("aria-valuenow", "aria-valuemin", "aria-valuemax"))
            at_end = now >= hi if self.forward else now <= lo
            if at_end:
                self.forward = not self.forward
            return "ArrowRight" if self.forward else "ArrowLeft"
        # select
        index, count = e.evaluate("s => [s.selectedIndex, s.options.length]")
        at_end = index >= count - 1 if self.forward else index <= 0
        if at_end:
            self.forward = not self.forward
        return "ArrowDown" if self.forward else "ArrowUp"


def wait_quiet(page, frames, since_key, timeout_s=STEP_TIMEOUT_S):
    """Wait for the update caused by key press number `since_key`; returns the plot changes
    ([ms after the key, type, attribute]) or None if none arrived within `timeout_s`."""
    start = time.perf_counter()
    while True:
        page.wait_for_timeout(50)
        changes = page.evaluate(SINCE_JS, [since_key, list(PLOT_MODELS)])
        quiet = time.perf_counter() - frames.last >= QUIET_S
        if changes and quiet:
            return changes
        if time.perf_counter() - start > timeout_s:
            return changes or None


def _press(page, frames, presser):
    """Once the page is quiet, one key press; returns the press's index in the probe's record and
    the frames and bytes received before it."""
    wait_until_quiet(page, frames)
    key_index = page.evaluate("() => window.__probe.keys.length")
    f0, b0 = frames.snapshot()
    presser.element.press(presser.key())
    return key_index, f0, b0


def press_and_measure(page, frames, presser):
    """One key press; returns (latency ms or None, frames, bytes, first ms or None) of the update it
    caused: the latency to its last plot change, and to its first (a provisional result's, when the
    dashboard shows one before the exact result)."""
    key_index, f0, b0 = _press(page, frames, presser)
    changes = wait_quiet(page, frames, key_index)
    f1, b1 = frames.snapshot()
    latency = max(c[0] for c in changes) if changes else None
    first = min(c[0] for c in changes) if changes else None
    return latency, f1 - f0, b1 - b0, first


def press_run_setting(page, frames, presser):
    """One key press on a run setting (`Control.run_setting`), which redraws nothing before Start:
    wait until the page is quiet (`RUN_SETTING_WAIT_S` at least, so a late plot change would be
    seen); returns (plot changes it caused, frames, bytes)."""
    key_index, f0, b0 = _press(page, frames, presser)
    page.wait_for_timeout(1000 * RUN_SETTING_WAIT_S)
    wait_until_quiet(page, frames)
    changes = page.evaluate(SINCE_JS, [key_index, list(PLOT_MODELS)])
    f1, b1 = frames.snapshot()
    return len(changes), f1 - f0, b1 - b0


def wait_until_quiet(page, frames, quiet_s=QUIET_S, timeout_s=60.0):
    start = time.perf_counter()
    while time.perf_counter() - frames.last < quiet_s and time.perf_counter() - start < timeout_s:
        page.wait_for_timeout(50)


def open_tab(browser, url, tab, query="", viewport=(1400, 1600)):
    """A new page (own context: a new visitor) on `tab`; returns (context, page, frames, errors)."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    page.add_init_script(PROBE_JS)
    frames = FrameCounter(page)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sep = "&" if query else ""
    page.goto(f"{url}?tab={TABS[tab]}{sep}{query}")
    return context, page, frames, errors


def first_render(page, n_plots, timeout_s=120.0):
    """Milliseconds from navigation start until the tab's `n_plots` plots are rendered."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout_s:
        ms = page.evaluate(READY_JS, n_plots)
        if ms is not None:
            return ms
        page.wait_for_timeout(50)
    return None


PINNED_JS = """() => {
  for (const doc of window.Bokeh.documents)
    for (const m of doc.all_models)
      if (m.renderers && m.x_range)
        for (const r of m.renderers) if (r.name && r.name.endsWith(' (A)')) return true;
  return false;
}"""
"""Whether some figure of the page draws a pinned baseline's ghost (`explorer.views.pins`)."""


def pin_baseline(page, frames, timeout_s=STEP_TIMEOUT_S):
    """Press the tab's "Pin as A" button and wait until the ghosts are drawn and the page is quiet."""
    page.locator(".pin-button button").first.click()
    page.wait_for_function(PINNED_JS, timeout=timeout_s * 1000)
    wait_until_quiet(page, frames)


def _percentile(values, q):
    values = [v for v in values if v is not None]
    return float(np.percentile(values, q)) if values else float("nan")


def run(url, tabs, repeats, renders, log=None, page_query="", pin=False, controls=None):
    """Measure every control of `tabs` (only those labelled as in `controls`, if given) against the
    app at `url`; returns (rows, first renders).

    `page_query` is added to every page's URL (``lecture=1``: the same measurement in lecture mode).
    With `pin`, each control's page pins its first render as baseline A ("Pin as A") before the
    presses: the updates then carry the key-figures table too, and the ghosts stay as they are."""
    from playwright.sync_api import sync_playwright

    log = log or (lambda text: print(text, flush=True))

    rows, renders_ms = [], {}
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        for tab in tabs:
            n_plots = plot_count(tab)
            times = []
            for _ in range(renders):
                context, page, frames, errors = open_tab(browser, url, tab, page_query)
                times.append(first_render(page, n_plots))
                context.close()
            renders_ms[tab] = times
            log(f"{tab}: first render {', '.join(f'{t:.0f}' if t else 'timeout' for t in times)} ms")
            for control in tab_controls(tab):
                if controls and control.label not in controls:
                    continue
                # A fresh page per control: every control is measured from the tab's defaults.
                query = "&".join(q for q in (control.query, page_query) if q)
                context, page, frames, errors = open_tab(browser, url, tab, query)
                first_render(page, n_plots)
                if pin:
                    pin_baseline(page, frames)
                presser = Presser(locate(page, control), control.kind)
                presser.element.focus()
                if control.run_setting:  # nothing to time: check that its moves redraw nothing
                    runs = [press_run_setting(page, frames, presser) for _ in range(repeats)]
                    context.close()
                    rows.append(run_setting_row(control, runs, errors))
                    log(format_row(rows[-1]))
                    continue
                press_and_measure(page, frames, presser)  # warm-up: first use of this code path
                results = [press_and_measure(page, frames, presser) for _ in range(repeats)]
                context.close()
                lat = [r[0] for r in results]
                row = dict(
                    tab=tab,
                    control=control.label,
                    setup=urllib.parse.unquote(control.query.split("=")[-1]),
                    p50=_percentile(lat, 50),
                    p95=_percentile(lat, 95),
                    first=_percentile([r[3] for r in results], 50),
                    max=max((x for x in lat if x is not None), default=float("nan")),
                    frames=statistics.median(r[1] for r in results),
                    max_frames=max(r[1] for r in results),
                    kbytes=statistics.median(r[2] for r in results) / 1e3,
                    timeouts=sum(x is None for x in lat),
                    errors=len(errors),
                )
                rows.append(row)
                log(format_row(row))
        browser.close()
    return rows, renders_ms


def run_setting_row(control, runs, errors):
    """The table row of a run setting from its presses' `press_run_setting` results: no latency,
    the frames and bytes, and how many plot changes its presses caused (``redraws``)."""
    nan = float("nan")
    return dict(
        tab=control.tab,
        control=control.label,
        setup="run setting",
        p50=nan,
        p95=nan,
        first=nan,
        max=nan,
        frames=statistics.median(r[1] for r in runs),
        max_frames=max(r[1] for r in runs),
        kbytes=statistics.median(r[2] for r in runs) / 1e3,
        timeouts=0,
        errors=len(errors),
        redraws=sum(r[0] for r in runs),
    )


HEADER = (
    f"  {'tab':<9} {'control':<34} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'first':>6} {'frames':>6} "
    f"{'max fr':>6} {'kB':>6} {'t/o':>3}"
)


def format_row(r):
    name = r["control"] + (f" ({r['setup']})" if r["setup"] else "")
    if "redraws" in r:  # a run setting: no latency to time, only whether its moves redrew a plot
        said = "no redraw" if r["redraws"] == 0 else f"{r['redraws']} plot changes (expected none)"
        return (
            f"  {r['tab']:<9} {name:<34} {said:>30} {r['frames']:6.0f} {r['max_frames']:6d} "
            f"{r['kbytes']:6.1f} {r['timeouts']:3d}"
        )
    return (
        f"  {r['tab']:<9} {name:<34} {r['p50']:7.0f} {r['p95']:7.0f} {r['max']:7.0f} {r['first']:6.0f} "
        f"{r['frames']:6.0f} {r['max_frames']:6d} {r['kbytes']:6.1f} {r['timeouts']:3d}"
    )


def report(rows, renders_ms, log=print):
    log("Browser latency, one session (key press -> new plot data in the page):")
    log(HEADER)
    for r in rows:
        log(format_row(r))
    log("First render (navigation start -> every plot of the tab rendered), ms:")
    for tab, times in renders_ms.items():
        ok = [t for t in times if t is not None]
        log(
            f"  {tab:<9} median {statistics.median(ok):.0f}  (runs: {', '.join(f'{t:.0f}' for t in ok)})"
            if ok
            else f"  {tab:<9} timeout"
        )
    runs = [r for r in rows if "redraws" in r]
    rows = [r for r in rows if "redraws" not in r]
    if runs:
        log(
            f"Run settings (before Start their moves redraw nothing; not timed): {len(runs)}, "
            f"of which redrew a plot: {sum(r['redraws'] > 0 for r in runs)}"
        )
    if not rows:
        return
    lat = [r["p50"] for r in rows]
    log(
        f"Controls: {len(rows)}; p50 over controls: median {np.nanmedian(lat):.0f} ms, worst {np.nanmax(lat):.0f} ms; "
        f"worst p95 {np.nanmax([r['p95'] for r in rows]):.0f} ms; most frames in one update "
        f"{max(r['max_frames'] for r in rows)}; timeouts {sum(r['timeouts'] for r in rows)}; "
        f"console errors {sum(r['errors'] for r in rows)}"
    )


PROGRAMMING_URL = (
    "?tab=4&prog.size={size}&prog.method={method}&prog.max_iterations=5000&prog.learning_rate=0.001&prog.seed={seed}"
)
"""The Programming tab with a run that goes on until paused (GDP at a learning rate too small to converge)."""

TRAINING_URL = "?tab=6&train.epochs=1000&train.seed={seed}"
"""The Training tab with runs that go on until paused (1,000 epochs)."""

RUNS = {
    # tab: (URL with {size}, {method}, {seed}; title of the run's plot before Start; title pattern
    # of a new point, group 1 > 0 after Start)
    "Programming": (PROGRAMMING_URL, r"iteration 0: MVM", r"iteration (\d+): MVM"),
    "Training": (TRAINING_URL, r"^Epoch 0\.00 of", r"^Epoch (\d+\.\d\d) of"),
}

_TITLES = f"({TITLES_JS.strip()})()"

_WATCH_RUN_JS = """() => {
    window.__updates = [];
    let t0 = null;
    window.addEventListener('pointerdown', () => { t0 = performance.now(); }, {capture: true, once: true});
    const seen = new Set();
    window.__watch = setInterval(() => {
        if (t0 === null) return;
        for (const t of TITLES_NOW) {
            const m = new RegExp(PATTERN).exec(t);
            if (m && +m[1] > 0 && !seen.has(t)) { seen.add(t); window.__updates.push(performance.now() - t0); }
        }
    }, 5);
}""".replace("TITLES_NOW", _TITLES)


def tab_switches(url, tabs, rounds=2, log=print):
    """Switch one page between `tabs` by clicking their headers, `rounds` times through the list
    after opening it on the first: per click, milliseconds from the click until the tab's plots
    are all shown (every figure of the tab visible and every view rendered), and the frames and
    bytes the page received (until quiet). The first round opens each tab for the first time (its
    content built); later rounds show tabs again. Returns rows (tab, first showing?, ms or None
    when the plots were not shown within `STEP_TIMEOUT_S`, frames, bytes)."""
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        context, page, frames, errors = open_tab(browser, url, tabs[0])
        first_render(page, plot_count(tabs[0]))
        wait_until_quiet(page, frames)
        seen = {tabs[0]}
        order = [t for _ in range(rounds) for t in tabs[1:] + tabs[:1]]
        for tab in order:
            start_frames, start_bytes = frames.frames, frames.bytes
            figures = page.locator(".bk-Figure >> visible=true")
            start = time.perf_counter()
            page.locator(".bk-tab").filter(has_text=re.compile(f"^{re.escape(tab)}$")).first.click()
            ms = None  # None: the tab's plots were not all shown within STEP_TIMEOUT_S
            while time.perf_counter() - start < STEP_TIMEOUT_S:
                if figures.count() >= plot_count(tab) and page.evaluate(RENDERED_JS, 0) is not None:
                    ms = 1e3 * (time.perf_counter() - start)
                    break
                page.wait_for_timeout(10)
            wait_until_quiet(page, frames)
            rows.append((tab, tab not in seen, ms, frames.frames - start_frames, frames.bytes - start_bytes))
            seen.add(tab)
            shown = "timeout" if ms is None else f"{ms:.0f} ms"
            log(
                f"{tab} ({'first showing' if rows[-1][1] else 'shown again'}): {shown}, "
                f"{rows[-1][3]} frames, {rows[-1][4]} bytes"
            )
        if errors:
            log(f"page errors: {errors[:3]}")
        context.close()
    for first in (True, False):
        label = "First showing" if first else "Shown again"
        kind = [r for r in rows if r[1] == first]
        picked = [r for r in kind if r[2] is not None]
        if len(picked) < len(kind):
            log(f"{label}: {len(kind) - len(picked)} timeouts")
        if picked:
            times = [r[2] for r in picked]
            log(
                f"{label}: median {statistics.median(times):.0f} ms "
                f"(range {min(times):.0f} to {max(times):.0f}), "
                f"median {statistics.median(r[4] for r in picked) / 1e3:.1f} kB over {len(picked)} switches"
            )
    return rows


def programming_run_latency(url, pages=6, size=64, method="gdp", watch_s=4.0, tab="Programming"):
    """On the Programming (or Training) tab, one page at a time: the time from the Start button's
    pointerdown to the first new point in the page (ms), and the curve updates per second after it
    over `watch_s`. Returns ``(first_ms, updates_per_s)``, one entry per page."""
    from playwright.sync_api import sync_playwright

    template, ready, point = RUNS[tab]
    first, rates = [], []
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        for k in range(pages):
            page = browser.new_page()
            page.goto(url + template.format(size=size, method=method, seed=k))
            page.wait_for_function(
                f"() => window.Bokeh && {_TITLES}.some(t => new RegExp({ready!r}).test(t))", timeout=120000
            )
            page.wait_for_timeout(1500)
            page.evaluate(_WATCH_RUN_JS.replace("PATTERN", repr(point)))
            page.locator(".bk-btn", has_text="Start").first.click()
            page.wait_for_timeout(1000 * watch_s)
            ups = page.evaluate("() => window.__updates")
            page.locator(".bk-btn", has_text="Pause").first.click()
            page.close()
            if ups:
                first.append(ups[0])
                rates.append(sum(1 for u in ups[1:]) / (watch_s - ups[0] / 1000))
        browser.close()
    return first, rates


def stream_run(url, seconds, size=256, tab="Programming"):
    """Open the Programming tab at `url`, start a GDP run on `size` x `size` that does not converge
    (or the Training tab's runs of 1,000 epochs), print ``RUNNING`` and keep the page open for
    `seconds` (another session's load for ``--while-streaming``)."""
    from playwright.sync_api import sync_playwright

    template, ready, _ = RUNS[tab]
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page()
        page.goto(url + template.format(size=size, method="gdp", seed=0))
        page.wait_for_function(
            f"() => window.Bokeh && {_TITLES}.some(t => new RegExp({ready!r}).test(t))", timeout=120000
        )
        page.locator(".bk-btn", has_text="Start").first.click()
        print("RUNNING", flush=True)
        page.wait_for_timeout(1000 * seconds)
        browser.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=8, help="key presses per control (default 8)")
    parser.add_argument("--renders", type=int, default=3, help="first renders per tab (default 3)")
    parser.add_argument("--tabs", default="Devices,Encoding,Crossbar", help="comma-separated tabs")
    parser.add_argument(
        "--controls", help="comma-separated control labels: measure only these (e.g. --tabs Training --controls Task)"
    )
    parser.add_argument(
        "--lecture", action="store_true", help="measure with lecture mode on (?lecture=1 on every page)"
    )
    parser.add_argument(
        "--pin", action="store_true", help="pin each page's first render as baseline A, then press the controls"
    )
    parser.add_argument("--url", help="measure an app already running at this URL instead of starting one")
    parser.add_argument(
        "--programming",
        action="store_true",
        help=(
            "measure the Programming tab instead: Start to first convergence point, and curve updates "
            "per second (GDP on 64 x 64, six pages in turn)"
        ),
    )
    parser.add_argument(
        "--training",
        action="store_true",
        help=(
            "measure the Training tab instead: Start to first curve point, and curve updates per second "
            "(the default runs, six pages in turn)"
        ),
    )
    parser.add_argument(
        "--while-streaming",
        nargs="?",
        const="Programming",
        choices=list(RUNS),
        help=(
            "measure the controls while another session (a second Chromium) streams a run: GDP on "
            "256 x 256 (Programming, the default) or the Training tab's runs"
        ),
    )
    parser.add_argument(
        "--tab-switches",
        type=int,
        metavar="ROUNDS",
        help=(
            "measure switching one page between --tabs instead: ROUNDS times through them, click -> "
            "the tab's plots shown (the first round shows each tab for the first time)"
        ),
    )
    parser.add_argument("--stream-run", nargs=3, metavar=("URL", "SECONDS", "TAB"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stream_run:
        stream_run(args.stream_run[0], float(args.stream_run[1]), tab=args.stream_run[2])
        return
    if args.programming or args.training:
        tab = "Training" if args.training else "Programming"

        def measure(url):
            first, rates = programming_run_latency(url, tab=tab)
            what = "Training tab, default runs" if args.training else "Programming tab, GDP 64 x 64"
            print(
                f"{what}: first point after Start {', '.join(f'{t:.0f}' for t in first)} ms "
                f"(median {statistics.median(first):.0f}); curve updates per second "
                f"{', '.join(f'{r:.1f}' for r in rates)} (median {statistics.median(rates):.1f})",
                flush=True,
            )

        if args.url:
            measure(args.url)
        else:
            with Server() as server:
                measure(server.url)
        return
    tabs = [t.strip() for t in args.tabs.split(",") if t.strip()]
    controls = [c.strip() for c in args.controls.split(",") if c.strip()] if args.controls else None
    unknown = [t for t in tabs if t not in TABS or t in ("Overview", "Technologies", "Physics reference", "Sweeps")]
    if unknown:
        parser.error(f"--tabs: unknown tab(s) {unknown}; allowed: Devices, Encoding, Crossbar")
    if controls:
        labels = {c.label for t in tabs for c in tab_controls(t)}
        missing = [c for c in controls if c not in labels]
        if missing:
            parser.error(f"--controls: no control labelled {missing} on {', '.join(tabs)}; allowed: {sorted(labels)}")

    page_query = "lecture=1" if args.lecture else ""
    if args.tab_switches:
        if len(tabs) < 2:
            parser.error("--tab-switches: give at least two --tabs")
        if args.url:
            tab_switches(args.url, tabs, args.tab_switches)
        else:
            with Server() as server:
                tab_switches(server.url, tabs, args.tab_switches)
        return

    def measure(url):
        if not args.while_streaming:
            return run(url, tabs, args.repeats, args.renders, page_query=page_query, pin=args.pin, controls=controls)
        import subprocess
        import sys

        other = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "explorer.tools.browser_benchmark",
                "--stream-run",
                url,
                "3600",
                args.while_streaming,
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            if other.stdout.readline().strip() != "RUNNING":
                raise RuntimeError("the streaming session did not start its run")
            what = "a GDP run on 256 x 256" if args.while_streaming == "Programming" else "the Training tab's runs"
            print(f"Another session streams {what} meanwhile.", flush=True)
            return run(url, tabs, args.repeats, args.renders, page_query=page_query, pin=args.pin, controls=controls)
        finally:
            other.terminate()
            other.wait()

    if args.url:
        rows, renders = measure(args.url)
    else:
        with Server() as server:
            rows, renders = measure(server.url)
    report(rows, renders)


if __name__ == "__main__":
    main()
