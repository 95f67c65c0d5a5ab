"""Browser tests of the update path: one slider step costs few websocket frames on every tab, and a
time step on the Devices tab changes only the plots that depend on time. (Timing is measured by
the benchmark, not here: this machine is shared.)"""

import pytest

from explorer.tools.browser_benchmark import (
    Presser,
    first_render,
    locate,
    open_tab,
    plot_count,
    press_and_measure,
    tab_controls,
)

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
