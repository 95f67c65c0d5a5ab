"""Browser tests of the Crossbar tab: the real `panel serve` app in headless Chromium."""

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect
from test_browser import FINGERPRINT_JS, TITLES_JS, open_page, settle, wait_for_new_data, wait_for_title

pytestmark = pytest.mark.browser

TIMEOUT = 90000

PLOT_TITLES = {
    "conductance map": r"^G\+ of slice 0 \(4 bits\), 256 x 256, 2x2 block means$",
    "G- map": r"^G- of slice 0 \(4 bits\), 256 x 256, 2x2 block means$",
    "outputs": r"^MVM error [0-9.]+%, ADC clipping [0-9.]+%, gain factor [0-9.]+$",
    "histogram": r"^Output error: standard deviation [0-9.]+% of the RMS output \(16384 outputs\)$",
    "ADC sweep": r"^ADC 8 bits: [0-9.]+% MVM error \(calibrated range\)$",
    "wire sweep": r"^If IR drop were on, at 0\.35 Ω: [0-9.]+%",  # IR drop is off at the defaults
}


def open_crossbar(browser, url):
    """A page on the Crossbar tab (the tabs are dynamic: only the active one renders)."""
    page, errors = open_page(browser, url + "?tab=3", ready="MVM error versus wire resistance")
    for pattern in PLOT_TITLES.values():
        expect_title(page, pattern)
    settle(page)
    return page, errors


def expect_title(page, pattern):
    """Wait (90 s) for a plot title matching `pattern`; on time-out, fail showing the titles and sliders."""
    try:
        wait_for_title(page, pattern, timeout=TIMEOUT)
    except PlaywrightTimeout:
        sliders = page.locator(".bk-slider-title").all_inner_texts()
        pytest.fail(f"no title matches {pattern!r}; titles: {page.evaluate(TITLES_JS)}; sliders: {sliders}")


def title(page, pattern):
    """The one plot title matching `pattern`."""
    found = [t for t in page.evaluate(TITLES_JS) if re.search(pattern, t)]
    assert len(found) == 1, (pattern, page.evaluate(TITLES_JS))
    return found[0]


def step(page, label, key, pattern):
    """Press `key` once on the slider titled `label`, then wait for new plot data and a title matching `pattern`.

    One press at a time: the server handles events in a thread pool, so a burst of
    presses on a slow control may reach the model out of order.
    """
    before = settle(page)
    row = page.locator(".bk-slider-title", has_text=re.compile(label)).locator("xpath=..")
    handle = row.locator(".noUi-handle").first
    handle.focus()
    handle.press(key)
    wait_for_new_data(page, before, timeout=TIMEOUT)
    expect_title(page, pattern)


def mvm_error(page):
    return re.search(r"^MVM error ([0-9.]+%)", title(page, r"^MVM error ")).group(1)


MAP_HOVER_JS = """
async () => {
  // Each conductance map's hover text for colour indices 0, 100 and 255, and its colour bar's range.
  const out = [];
  for (const doc of window.Bokeh.documents)
    for (const m of doc.all_models)
      if (m.type === 'CustomJSHover') {
        const texts = [];
        for (const code of [0, 100, 255]) texts.push(await m.format(code, "", {}));
        const bar = m.args instanceof Map ? m.args.get('bar') : m.args.bar;
        out.push([texts, bar.low, bar.high]);
      }
  return out;
}
"""


def test_crossbar_tab_renders_every_plot(browser, served_app):
    page, errors = open_crossbar(browser, served_app)
    titles = page.evaluate(TITLES_JS)
    for name, pattern in PLOT_TITLES.items():
        assert any(re.search(pattern, t) for t in titles), (name, titles)
    # The maps arrive as 8-bit colour indices: the hover gives a pixel's conductance in µS, the
    # middle of its colour step over the colour bar's range (PCM: 0 to 25 µS, steps of 25/256).
    hovers = page.evaluate(MAP_HOVER_JS)
    assert len(hovers) == 2, hovers  # G+ and G-
    for texts, low, high in hovers:
        step = (high - low) / 256
        assert [float(t) for t in texts] == pytest.approx([low + (k + 0.5) * step for k in (0, 100, 255)], abs=0.005)
    for text in (
        "Conductance maps",
        "Ideal versus analog outputs",
        "Output-error histogram",
        "MVM error versus ADC bits",
        "MVM error versus wire resistance",
    ):
        expect(page.get_by_text(text, exact=True)).to_be_visible()
    assert page.evaluate(FINGERPRINT_JS)[0] >= 6
    assert errors == [], errors
    page.close()


def test_adc_bits_slider_changes_error_and_sweep_marker(browser, served_app):
    page, errors = open_crossbar(browser, served_app)
    before = mvm_error(page)
    for bits in (7, 6, 5, 4):
        step(page, "ADC bits", "ArrowLeft", rf"^ADC {bits} bits: [0-9.]+% MVM error")
    expect_title(page, rf"^MVM error (?!{re.escape(before)})[0-9.]+%")
    after = mvm_error(page)
    # Four ADC bits instead of eight: a coarser read-out, a larger error.
    assert float(after[:-1]) > float(before[:-1]), (before, after)
    step(page, "ADC bits", "ArrowRight", r"^ADC 5 bits: [0-9.]+% MVM error")
    assert errors == [], errors
    page.close()


def test_ir_drop_changes_the_outputs(browser, served_app):
    page, errors = open_crossbar(browser, served_app)
    before_title = mvm_error(page)
    before = settle(page)
    checkbox = page.locator(".bk-Checkbox").filter(has_text=re.compile("^IR drop$")).locator("input")
    # The wire resistance is idle with IR drop off: its reason shows under it, in the one note shown
    # (of two: the other is the slice slider's, which acts with two slices); once IR drop is on
    # the note stays on the page hidden by its style (`explorer.views._widgets.show`),
    # taking no room.
    notes = page.locator(".idle-reason")
    expect(notes).to_have_count(2)
    expect(page.locator(".idle-reason:visible")).to_have_count(1)
    expect(page.get_by_text(re.compile("^Acts only with IR drop on"))).to_be_visible()
    expect(checkbox).not_to_be_checked()
    checkbox.check()
    wait_for_new_data(page, before, timeout=TIMEOUT)
    expect_title(page, rf"^MVM error (?!{re.escape(before_title)})[0-9.]+%")
    expect_title(page, r"^IR drop at 0\.35 Ω: [0-9.]+%")  # no longer "if IR drop were on"
    expect(page.locator(".idle-reason:visible")).to_have_count(0)
    expect(notes).to_have_count(2)
    assert [notes.nth(i).bounding_box() for i in range(2)] == [None, None]  # display: none, no room
    assert settle(page)[1] != before[1]
    checkbox.uncheck()
    expect(page.get_by_text(re.compile("^Acts only with IR drop on"))).to_be_visible(timeout=TIMEOUT)
    assert errors == [], errors
    page.close()


DIMMED_JS = """() => {
    // Whether an element (in any shadow root) has the busy style (`explorer.views._live.BUSY_STYLES`).
    const present = (root) => {
        for (const el of root.querySelectorAll('*')) {
            if (el.style && el.style.cursor === 'progress' && el.style.opacity === '0.5') return true;
            if (el.shadowRoot && present(el.shadowRoot)) return true;
        }
        return false;
    };
    return present(document);
}"""

WATCH_LOADING_JS = (
    """() => {
    // Record whether the plots are ever dimmed as busy, checking every animation frame from now on:
    // the style may come and go between two polls of a locator.
    window.__sawLoading = false;
    const dimmed = """
    + DIMMED_JS
    + """;
    const tick = () => { if (dimmed()) { window.__sawLoading = true; } else { requestAnimationFrame(tick); } };
    requestAnimationFrame(tick);
}"""
)


def test_matrix_size_slider_changes_the_maps(browser, served_app):
    page, errors = open_crossbar(browser, served_app)
    before = settle(page)
    row = page.locator(".bk-slider-title", has_text=re.compile("Matrix size")).locator("xpath=..")
    handle = row.locator(".noUi-handle").first
    handle.focus()
    page.evaluate(WATCH_LOADING_JS)
    handle.press("ArrowRight")
    # A size change dims the plots while it computes (a style, not Panel's loading overlay), then
    # shows them as before.
    wait_for_new_data(page, before, timeout=TIMEOUT)
    page.wait_for_function("() => window.__sawLoading === true", timeout=TIMEOUT)
    expect_title(page, r"^G\+ of slice 0 \(4 bits\), 272 x 272, 4x4 block means$")
    expect_title(page, r"\(17408 outputs\)$")
    page.wait_for_function(f"() => !({DIMMED_JS})()", timeout=TIMEOUT)
    assert page.locator(".pn-loading").count() == 0
    step(page, "Matrix size", "ArrowLeft", r"^G\+ of slice 0 \(4 bits\), 256 x 256, 2x2 block means$")
    expect_title(page, r"\(16384 outputs\)$")
    assert errors == [], errors
    page.close()


def test_offset_mapping_and_flash_temperature(browser, served_app):
    page, errors = open_crossbar(browser, served_app)
    mapping = page.locator(".bk-input-group", has_text="Mapping").locator("select")
    mapping.select_option("offset-digital")
    expect_title(page, r"^no G- \(offset mapping\)$")
    expect_title(page, r"^G of slice 0 \(4 bits\), 256 x 256, 2x2 block means$")
    mapping.select_option("differential")
    expect_title(page, r"^G- of slice 0 \(4 bits\), 256 x 256, 2x2 block means$")
    # Only Flash has a temperature model: the slider is idle (with a note) for PCM.
    note = page.get_by_text("PCM has no model for: temperature")
    expect(note).to_be_visible()
    temperature = page.locator(".bk-slider-title", has_text="Temperature").locator("xpath=..")
    expect(temperature.locator("[disabled]")).to_have_count(1)
    page.locator(".bk-input-group", has_text="Technology").locator("select").select_option("Flash")
    expect(note).to_have_count(0, timeout=TIMEOUT)
    expect(temperature.locator("[disabled]")).to_have_count(0)
    step(page, "Temperature", "ArrowRight", r"^G\+ of slice 0 \(4 bits\), 256 x 256, 2x2 block means$")
    expect(temperature.locator(".bk-slider-title")).to_have_text(re.compile("Temperature \\(K\\): 301"))
    assert errors == [], errors
    page.close()


def test_a_shared_link_restores_the_read_out_settings_of_the_crossbar_model(browser, served_app):
    """A design review sends a link: the crossbar model's read-out settings travel in the URL
    (the controls the model declares, synced from the model itself) and the page opens on them."""
    url = served_app + "?tab=3&xb.adc_bits=5&xb.adc_range=full-scale&xb.log10_time=5.0"
    page, errors = open_page(browser, url, ready="MVM error versus wire resistance")
    expect_title(page, r"^ADC 5 bits: [0-9.]+% MVM error \(full-scale range\)$")
    row = page.locator(".bk-slider-title", has_text=re.compile("^ADC bits")).locator("xpath=..")
    expect(row).to_contain_text("5")
    assert errors == [], errors
    page.close()


TITLE_TEXTS_JS = """() => {
    // Every plot title the server sets from now on, in order.
    window.__titleTexts = [];
    for (const doc of window.Bokeh.documents)
        doc.on_change((e) => {
            if (e.model && e.model.type === 'Title' && e.attr === 'text') window.__titleTexts.push(e.model.text);
        });
}"""


def test_a_slow_programming_method_shows_a_provisional_result_then_the_exact_one(browser, served_app):
    """Issue 26 item 3, served: GDP on 256 x 256 first shows the charts of a 64 x 64 matrix, titled
    provisional, then the exact charts replace them. (A seed no other test uses: a result another
    session computed is answered at once, without a first result.)"""
    page, errors = open_page(browser, served_app + "?tab=3&xb.seed=4242", ready="MVM error versus wire resistance")
    expect_title(page, PLOT_TITLES["outputs"])
    settle(page)
    page.evaluate(TITLE_TEXTS_JS)
    page.locator(".bk-input-group", has_text="Programming method").locator("select").select_option("gdp")
    provisional = "Provisional (a 64 x 64 protocol matrix instead of 256 x 256): MVM error"

    def outputs_titles():
        return [t for t in page.evaluate("() => window.__titleTexts") if "MVM error" in t and "clipping" in t]

    page.wait_for_function(
        """(marker) => { const t = window.__titleTexts.filter(t => t.includes('clipping'));
            const k = t.findIndex(x => x.startsWith(marker));
            return k >= 0 && t.slice(k + 1).some(x => x.startsWith('MVM error')); }""",
        arg=provisional,
        timeout=TIMEOUT,
    )
    seen = outputs_titles()
    assert seen[0].startswith(provisional), seen
    assert re.match(PLOT_TITLES["outputs"], seen[-1]), seen
    assert not any(t.startswith("Provisional") for t in page.evaluate(TITLES_JS)), page.evaluate(TITLES_JS)
    # The alert that said so is hidden by its style (`explorer.views._widgets.show`): still on
    # the page, taking no room.
    alert = page.get_by_text(re.compile(r"^Provisional: a 64 x 64 protocol matrix"))
    expect(alert).to_be_hidden(timeout=TIMEOUT)
    assert alert.count() == 1 and alert.bounding_box() is None
    assert errors == [], errors
    page.close()
