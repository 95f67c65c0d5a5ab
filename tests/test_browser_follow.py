"""Browser test of following the lecturer and of errors staying in their session (issue 25 items 2
and 6), on a real `analog-explorer` started with a lecturer's secret and, for the error test only, the
test-only error hook (`explorer.sessions.INJECT_ERROR_ENV`) in its environment.

Three pages: the lecturer (types the secret, broadcasts), a follower and a bystander. A scenario the
lecturer loads reaches the follower's controls and URL, and not the bystander's (how long after the
lecturer's own is printed, not asserted: speed is measured, not timed in tests; the figures with the
command are in docs/results/teaching.md); the
bystander forging its hidden broadcast toggle (the websocket message a browser would send for it)
publishes nothing; a follower who stops keeps its view. An error raised in one page's callback
shows a notification on that page only, the page keeps working, and the server's log names the
session."""

import json
import re
import time

import pytest
from playwright.sync_api import expect
from test_browser import open_page

from explorer.models.follow import SECRET_ENV
from explorer.sessions import INJECT_ERROR_ENV
from explorer.tools.served import Server

pytestmark = pytest.mark.browser

SECRET = "lab-secret-for-the-test"
TIMEOUT = 90000
READY = "Follow the lecturer"

FORGE_BROADCAST_JS = """() => {
  // What a crafted websocket message does: set the hidden broadcast toggle's value from the page.
  const doc = window.Bokeh.documents[0];
  const found = [...doc.all_models].filter(m => (m.css_classes || []).includes("broadcast-toggle"));
  found.forEach(m => { m.active = true; });
  return found.length;
}"""

BROADCAST_ACTIVE_JS = """() => [...window.Bokeh.documents[0].all_models]
  .filter(m => (m.css_classes || []).includes("broadcast-toggle")).map(m => m.active)"""


@pytest.fixture(scope="module")
def server():
    with Server(env={SECRET_ENV: SECRET, INJECT_ERROR_ENV: "1"}) as s:
        yield s


def scenario_file(tmp_path, adc_bits, name):
    """A scenario file setting the Crossbar tab's ADC bits and showing that tab."""
    path = tmp_path / f"{name}.json"
    path.write_text(
        json.dumps(
            {"format": "analog-explorer-scenario", "version": 1, "tab": "xb", "tabs": {"xb": {"xb.adc_bits": adc_bits}}}
        ),
        encoding="utf-8",
    )
    return path


def upload(page, path):
    page.locator(".scenario-upload input[type=file]").set_input_files(str(path))
    expect(page.locator(".scenario-status").first).to_contain_text("Loaded", timeout=TIMEOUT)


def test_followers_get_the_lecturers_view_and_nobody_else_can_broadcast(server, browser, tmp_path):
    lecturer, _ = open_page(browser, server.url, ready=READY, exact=True)
    follower, _ = open_page(browser, server.url, ready=READY, exact=True)
    bystander, _ = open_page(browser, server.url, ready=READY, exact=True)
    assert SECRET not in lecturer.content()

    follower.get_by_role("button", name="Follow the lecturer").click()
    expect(follower.locator(".follow-status").first).to_contain_text("Following the lecturer", timeout=TIMEOUT)

    # A wrong secret, then (after the one-second limit) the right one.
    lecturer.get_by_role("button", name="Lecturer", exact=True).click()  # opens the field
    lecturer.locator(".lecturer-secret input").fill("not it")
    lecturer.locator(".lecturer-secret input").press("Enter")
    expect(lecturer.locator(".follow-status").first).to_have_text("Wrong secret.", timeout=TIMEOUT)
    lecturer.wait_for_timeout(1100)
    lecturer.locator(".lecturer-secret input").fill(SECRET)
    lecturer.get_by_role("button", name="Lecturer", exact=True).click()  # the field commits as it loses focus
    expect(lecturer.locator(".follow-status").first).to_contain_text("you can broadcast", timeout=TIMEOUT)
    lecturer.get_by_role("button", name="Broadcast my view").click()

    # The bystander forges its hidden broadcast toggle: nothing is published, the toggle goes back.
    assert bystander.evaluate(FORGE_BROADCAST_JS) == 1
    bystander.wait_for_function(f"() => !({BROADCAST_ACTIVE_JS})()[0]", timeout=TIMEOUT)
    upload(bystander, scenario_file(tmp_path, 3, "bystander"))
    follower.wait_for_timeout(1500)
    assert "adc_bits=3" not in follower.url, follower.url  # the bystander's setting stayed on its page

    # The lecturer loads a scenario. The follower's controls (through its URL) follow, then its tab.
    # The tab shows on each page once that page has built and computed its figures (seconds, the first
    # time, on this shared two-core machine; the same as a click on the tab). The delays are printed
    # (issue 25's target: the settings within 1 s of the lecturer's).
    loaded = time.monotonic()
    lecturer.locator(".scenario-upload input[type=file]").set_input_files(str(scenario_file(tmp_path, 6, "lecturer")))
    lecturer.wait_for_function("() => /xb\\.adc_bits=6/.test(location.search)", polling=20, timeout=TIMEOUT)
    start = time.monotonic()
    follower.wait_for_function("() => /xb\\.adc_bits=6/.test(location.search)", polling=20, timeout=TIMEOUT)
    settings = time.monotonic() - start
    lecturer.wait_for_function("() => /tab=3/.test(location.search)", polling=20, timeout=TIMEOUT)
    start = time.monotonic()
    own = start - loaded
    follower.wait_for_function("() => /tab=3/.test(location.search)", polling=20, timeout=TIMEOUT)
    shown = time.monotonic() - start
    print(
        f"lecturer's page: {own * 1000:.0f} ms from upload to its tab; the follower: settings "
        f"{settings * 1000:.0f} ms after the lecturer's, tab {shown * 1000:.0f} ms after the lecturer's"
    )
    # The bystander kept its own setting; the forged broadcast did not reach the follower (it shows 6, not 3).
    assert re.search(r"xb\.adc_bits=3", bystander.url), bystander.url
    assert any("broadcast refused" in line for line in server.output)

    # The follower stops following and keeps its view; the lecturer's next change does not reach it.
    follower.get_by_role("button", name="Follow the lecturer").click()
    expect(follower.locator(".follow-status").first).to_be_hidden(timeout=TIMEOUT)
    upload(lecturer, scenario_file(tmp_path, 5, "lecturer5"))
    expect(lecturer).to_have_url(re.compile(r"xb\.adc_bits=5"), timeout=TIMEOUT)
    follower.wait_for_timeout(1500)
    assert re.search(r"xb\.adc_bits=6", follower.url), follower.url
    assert SECRET not in "".join(server.output)  # never logged
    for page in (lecturer, follower, bystander):
        page.close()


def test_an_error_in_a_callback_shows_in_its_session_only_and_is_logged_with_its_id(server, browser):
    failing, _ = open_page(browser, server.url, ready=READY, exact=True)
    other, _ = open_page(browser, server.url, ready=READY, exact=True)
    failing.locator(".lecture-toggle button").click()  # the test-only hook raises in this watcher
    toast = failing.locator(".notyf__toast")
    expect(toast.first).to_contain_text("injected test error", timeout=TIMEOUT)
    # The session keeps working: another control of the same page still answers.
    failing.get_by_role("button", name="Follow the lecturer").click()
    expect(failing.locator(".follow-status").first).to_contain_text("Following the lecturer", timeout=TIMEOUT)
    other.wait_for_timeout(1000)
    assert other.locator(".notyf__toast").count() == 0
    created = {m.group(1) for line in server.output if (m := re.search(r"session created: (\S+)", line))}
    errors = [m.group(1) for line in server.output if (m := re.search(r"error in session (\S+): RuntimeError", line))]
    assert len(errors) == 1 and errors[0] in created, (errors, created)
    for page in (failing, other):
        page.close()
