"""Browser test of the Training tab: the real `panel serve` app in headless Chromium. Start streams
the learning curves of every compared algorithm, the runs go on while the person visits another
tab, Pause holds them, and a shared link restores the device and the algorithm's settings."""

import re

import pytest
from playwright.sync_api import expect
from test_browser import open_page, tab, title_number, wait_for_title

pytestmark = pytest.mark.browser

TIMEOUT = 90000
EPOCH = r"^Epoch (\d+\.\d\d) of (\d+): "


def epoch(page):
    return title_number(page, EPOCH)


def test_start_streams_every_algorithm_and_runs_on_in_another_tab(browser, served_app):
    # 1,000 epochs: the runs cannot finish before Pause, however slow the machine (40 did, under load).
    page, errors = open_page(browser, served_app + "?tab=6&train.epochs=1000", ready="Learning curves")
    wait_for_title(page, r"^Test accuracy over 1000 epochs$", timeout=TIMEOUT)  # before Start
    page.get_by_role("button", name="Start").click()
    wait_for_title(
        page,
        r"^Epoch (0\.[1-9]\d|[1-9]\d*\.\d\d) of 1000: float SGD \d+\.\d%, analog SGD \d+\.\d%, "
        r"TTv2 \d+\.\d%, c-TTv2 \d+\.\d%, AGAD \d+\.\d%$",
        timeout=TIMEOUT,
    )
    before = epoch(page)
    tab(page, "Crossbar").click()  # the runs go on meanwhile
    # The Crossbar tab renders first (the runs' thread has a lower priority, so under the test
    # suite's load they may barely step while it does), then the runs have 3 s to themselves.
    expect(page.get_by_text("MVM error versus wire resistance").first).to_be_visible(timeout=TIMEOUT)
    page.wait_for_timeout(3000)
    tab(page, "Training").click()
    wait_for_title(page, EPOCH, timeout=TIMEOUT)
    # Back on the tab, the curves stand further than when the person left (how much further depends
    # on the machine's load: the runs' niced thread got barely a step in 3 s under the whole test
    # suite, so the test waits for the later epoch rather than assuming it came within the 3 s).
    wait_for_title(page, rf"^Epoch (?!{before:.2f} )\d+\.\d\d of 1000: ", timeout=TIMEOUT)
    assert epoch(page) > before
    # The tab was rendered anew on the way back: wait until its Pause button is live, then press it.
    expect(page.get_by_role("button", name="Pause")).to_be_enabled(timeout=TIMEOUT)
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Start")).to_be_enabled(timeout=TIMEOUT)
    # "paused" once the runs' thread has ended its last step; the curves' last point is computed
    # after the status line is set, so the title may reach that epoch a moment later.
    status = page.get_by_text(re.compile(r"samples per algorithm \(\d+\.\d\d epochs\), paused")).first
    expect(status).to_be_visible(timeout=TIMEOUT)
    final = re.search(r"\((\d+\.\d\d) epochs\)", status.inner_text()).group(1)
    wait_for_title(page, rf"^Epoch {re.escape(final)} of 1000: ", timeout=TIMEOUT)
    held = epoch(page)
    page.wait_for_timeout(1500)
    assert epoch(page) == held > 0
    wait_for_title(page, r"^TTv2 at epoch \d+\.\d\d: C and A; symmetry point 0\.40$", timeout=TIMEOUT)
    assert errors == []
    page.close()


def test_a_shared_link_restores_the_device_and_the_reference_offset(browser, served_app):
    page, errors = open_page(
        browser,
        served_app + "?tab=6&train.n_states=123&train.asymmetry=0.25&train.reference_offset=0.2",
        ready="Learning curves",
    )
    wait_for_title(
        page,
        r"^123 states, a = 0\.25, s = 1\.00: symmetry point w\* = 0\.25; gray: 4 devices of the run$",
        timeout=TIMEOUT,
    )
    expect(page.get_by_text("Reference offset: 0.2", exact=False)).to_be_visible(timeout=TIMEOUT)
    assert errors == []
    page.close()


def test_the_5x5_task_streams_weight_error_and_shows_the_weights_against_the_target(browser, served_app):
    """Choosing the 5 x 5 task in the Task control swaps the curves for weight-error curves, puts its
    rates in the controls and the task in the link; Start streams them; the weights against the target
    show the focused algorithm's shift toward the symmetry point."""
    page, errors = open_page(browser, served_app + "?tab=6", ready="Learning curves")
    page.locator(".bk-input-group", has_text="Task").locator("select").select_option("5 x 5 correlation")
    wait_for_title(page, r"^Weight error over 4 epochs$", timeout=TIMEOUT)  # before Start
    expect(page.get_by_text("Learning rate: 0.5", exact=False)).to_be_visible(timeout=TIMEOUT)
    page.wait_for_function("() => decodeURIComponent(window.location.search).includes('train.task')", timeout=TIMEOUT)
    page.get_by_role("button", name="Start").click()
    wait_for_title(
        page,
        r"^Epoch ([1-3]\.\d\d|4\.00) of 4: weight error float SGD \d+\.\d%, analog SGD \d+\.\d%, "
        r"TTv2 \d+\.\d%, c-TTv2 \d+\.\d%, AGAD \d+\.\d%$",
        timeout=TIMEOUT,
    )
    wait_for_title(
        page,
        r"^TTv2 at epoch [1-4]\.\d\d: mean shift toward w\* = 0\.40 [+-]0\.\d{3} \(t = -?\d+\.\d\)$",
        timeout=TIMEOUT,
    )
    assert errors == []
    page.close()


FIGURES_JS = """
() => Object.fromEntries([...Bokeh.index.query(v => v.model.type === 'Figure')].map(v => {
  const r = v.el.getBoundingClientRect();
  return [v.model.name, {shown: v.el.checkVisibility(), width: r.width, height: r.height,
                         canvas: [v.bbox.width, v.bbox.height], drawn: v.has_finished()}];
}))
"""
"""Each figure of the page by name: whether it is shown, its element's size on the page (CSS px),
the size BokehJS laid its canvas out at, and whether BokehJS has finished drawing it."""


def _figures(page, prefix):
    return {name: f for name, f in page.evaluate(FIGURES_JS).items() if name.startswith(prefix)}


def _wait_drawn(page, prefix):
    """Wait until every figure whose name starts with `prefix` is shown, laid out and drawn."""
    page.wait_for_function(
        "(p) => [...Bokeh.index.query(v => v.model.type === 'Figure' && v.model.name.startsWith(p))]"
        ".every(v => v.el.checkVisibility() && v.has_finished() && v.bbox.width > 100)",
        arg=prefix,
        timeout=TIMEOUT,
    )


def test_a_task_switch_hides_the_other_tasks_charts_by_style_and_shows_them_again_at_full_size(browser, served_app):
    """The charts of one task only (`Chart.shown`) sit in slots hidden by their style
    (`explorer.views._widgets.show`), not by ``visible``: a hidden chart takes no room, and a
    chart shown again is laid out at the size it had, not at the zero size it had while hidden."""
    page, errors = open_page(browser, served_app + "?tab=6", ready="Learning curves")
    wait_for_title(page, r"^Test accuracy over \d+ epochs$", timeout=TIMEOUT)
    digits = "Learning curves ["
    five = "Learning curves, 5 x 5 task ["
    first = _figures(page, digits)
    assert len(first) == 2 and all(f["shown"] and f["width"] > 100 and f["height"] > 100 for f in first.values())
    select = page.locator(".bk-input-group", has_text="Task").locator("select")
    select.select_option("5 x 5 correlation")
    wait_for_title(page, r"^Weight error over 4 epochs$", timeout=TIMEOUT)
    _wait_drawn(page, five)
    hidden = _figures(page, digits)
    assert all(not f["shown"] and f["width"] == f["height"] == 0 for f in hidden.values()), hidden
    shown = _figures(page, five)
    assert len(shown) == 2 and all(f["shown"] and f["width"] > 100 and f["height"] > 100 for f in shown.values())
    select.select_option("digits MLP")
    wait_for_title(page, r"^Test accuracy over \d+ epochs$", timeout=TIMEOUT)
    _wait_drawn(page, digits)
    again = _figures(page, digits)
    for name, before in first.items():
        after = again[name]
        assert after["shown"] and after["drawn"], (name, after)
        assert (after["width"], after["height"], after["canvas"]) == (
            before["width"],
            before["height"],
            before["canvas"],
        )
    assert all(not f["shown"] and f["width"] == f["height"] == 0 for f in _figures(page, five).values())
    assert errors == []
    page.close()
