"""Browser tests of the update path: one slider step costs few websocket frames on every tab, an
update with a first result and then the exact one too, the page sends the server nothing of its own
plots' ranges and sizes, and a time step on the Devices tab changes only the plots that depend on
time. (Timing is measured by the benchmark, not here: this machine is shared.)"""

import json

import pytest

from explorer.tools.browser_benchmark import (
    Presser,
    first_render,
    locate,
    open_tab,
    plot_count,
    press_and_measure,
    tab_controls,
    wait_until_quiet,
)
from explorer.tools.served import PROBE_JS, TABS, FrameCounter

pytestmark = pytest.mark.browser

MAX_FRAMES = 100

STEPPED = {"Devices": "Time after programming", "Encoding": "Time after programming", "Crossbar": "ADC bits"}
"""The slider stepped on each tab."""


def step(browser, url, tab, label, presses=3):
    """Open `tab`, press the slider titled `label` `presses` times; returns [(latency, frames, bytes, first)]
    and the page's plot-data changes of the last press."""
    context, page, frames, errors = open_tab(browser, url, tab)
    assert first_render(page, plot_count(tab)) is not None
    (control,) = [c for c in tab_controls(tab) if c.label == label]
    presser = Presser(locate(page, control), control.kind)
    presser.element.focus()
    results = [press_and_measure(page, frames, presser) for _ in range(presses)]
    last = page.evaluate("""() => { const k = window.__probe.keys.at(-1);
        return window.__probe.changes.filter(c => c[0] >= k).map(c => [c[1], c[2], c[3]]); }""")
    context.close()
    assert errors == [], errors
    return results, last


@pytest.mark.parametrize("tab", ["Devices", "Encoding", "Crossbar"])
def test_one_slider_step_sends_at_most_100_frames(browser, served_app, tab):
    results, _ = step(browser, served_app, tab, STEPPED[tab])
    for latency, n_frames, n_bytes, _ in results:
        assert latency is not None, "no new plot data arrived"
        assert 0 < n_frames <= MAX_FRAMES, (tab, n_frames, n_bytes)


BROWSER_COMPUTED = {"start", "end", "inner_width", "inner_height", "outer_width", "outer_height"}
"""What BokehJS computes for a figure in the browser: its data ranges' ends and its frame's sizes."""


def test_programming_method_first_and_exact_results_fit_100_frames_and_echo_nothing(browser, served_app):
    """The Crossbar tab's Programming method moved on to program-and-verify, then to GDP: each
    reprograms the 256 x 256 array and shows a first result (a 64 x 64 array, titles "Provisional")
    before the exact one, two sets of plot data in one update. The page's figures keep the ranges
    and sizes BokehJS computes for them (`_live.no_echo`): before, each figure sent its changed data
    ranges and inner and outer sizes back, one PATCH-DOC and the server's OK each, and such an
    update took 140 frames."""
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    page = context.new_page()
    page.add_init_script(PROBE_JS)
    frames = FrameCounter(page)
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda f: sent.append(f) if isinstance(f, str) else None))
    page.goto(f"{served_app}?tab={TABS['Crossbar']}")
    assert first_render(page, plot_count("Crossbar")) is not None
    (control,) = [c for c in tab_controls("Crossbar") if c.label == "Programming method"]
    select = locate(page, control)
    page.evaluate(
        """() => { window.__titles = [];
        for (const doc of window.Bokeh.documents) doc.on_change((e) => {
          if (e.model && e.model.type === 'Title' && e.attr === 'text') window.__titles.push(e.model.text); }); }"""
    )
    results, provisional = {}, {}
    for method in ("one-shot", "verify", "gdp"):
        wait_until_quiet(page, frames)
        page.evaluate("() => { window.__titles = []; }")
        f0, _ = frames.snapshot()
        select.select_option(method)
        page.wait_for_function(
            "() => window.__titles.length && !window.__titles.at(-1).startsWith('Provisional')", timeout=120_000
        )
        wait_until_quiet(page, frames)  # the update's last frames
        results[method] = frames.snapshot()[0] - f0
        provisional[method] = page.evaluate("() => window.__titles.some(t => t.startsWith('Provisional'))")
    context.close()
    echoed = [
        (e.get("attr"), e.get("new"))
        for f in sent
        if f.startswith('{"events"')
        for e in json.loads(f)["events"]
        if e.get("attr") in BROWSER_COMPUTED
    ]
    assert echoed == [], echoed[:10]
    for method, n_frames in results.items():
        assert 0 < n_frames <= MAX_FRAMES, (method, n_frames)
    assert provisional["verify"] and provisional["gdp"], provisional  # both sets of plots came


def test_devices_time_step_changes_only_the_plots_that_depend_on_time(browser, served_app):
    _, changes = step(browser, served_app, "Devices", "Time after programming", presses=1)
    plot_changes = {name for kind, attr, name in changes if "/" in name}
    changed_plots = {name.split("/")[0] for name in plot_changes}
    # The histogram (data and title) and the drift plot's time marker; not the trajectories,
    # nor the pulse response, the telegraph noise or the I-V curves.
    assert changed_plots == {"Programmed levels at the chosen time", "Drift on a log-time axis"}, changes
    drift = {name for name in plot_changes if name.startswith("Drift on a log-time axis/")}
    assert drift == {"Drift on a log-time axis/now"}, changes
    assert "Programmed levels at the chosen time/title" in plot_changes
