"""Browser test of following the lecturer's lesson steps, within one server process and across two
(issue 25 item 2, and item 4's several processes): two `analog-explorer` processes on their own ports
share one follow channel file (``--follow-channel``, what ``--num-procs N`` sets up by itself, and the
proxy recipe of docs/how-to/serve-a-class.md). The lecturer's page is on the first; one follower on
the same process, one on the other. The lecturer starts a lesson and steps Next and Back: each
follower's lesson card and URL (``lesson=``/``step=``) follow the lecturer's own, with no prediction
chosen (the lecturer's is not sent); a follower who stops keeps its step. Between two steps the
lecturer talks for `TALK_MS`. How long each follower took after the lecturer is printed, not asserted
(speed is measured, not timed in tests: docs/results/teaching.md has the figures and the command)."""

import re
import time

import pytest
from playwright.sync_api import expect
from test_browser import open_page

from explorer.models.follow import SECRET_ENV
from explorer.tools.served import Server

pytestmark = pytest.mark.browser

SECRET = "lab-secret-for-the-lesson-test"
TIMEOUT = 300000
READY = "Follow the lecturer"
TALK_MS = 3000
"""Milliseconds the lecturer waits between two steps (talking): each page has drawn the step's tab
before the next. A follower's page applies the lecturer's steps one after the other, in its own
thread, so a step sent while it still draws the previous one waits for it (the first drawing of a
tab takes seconds on this shared two-core machine)."""


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    channel = str(tmp_path_factory.mktemp("follow") / "channel.json")
    extra = ("--no-warmup", "--follow-channel", channel)  # no warm-up: two servers start faster here
    with Server(extra=extra, env={SECRET_ENV: SECRET}) as one, Server(extra=extra, env={SECRET_ENV: SECRET}) as two:
        yield one, two


def step_url(step):
    return f"() => /lesson=pcm-drift/.test(location.search) && /step={step}(&|$)/.test(location.search)"


def timed_step(lecturer, followers, step):
    """Seconds from the lecturer's URL showing `step` to each follower's."""
    lecturer.wait_for_function(step_url(step), polling=20, timeout=TIMEOUT)
    start = time.monotonic()
    lags = []
    for page in followers:
        page.wait_for_function(step_url(step), polling=20, timeout=TIMEOUT)
        lags.append(time.monotonic() - start)
    return lags


def test_followers_on_either_process_follow_the_lecturers_steps(servers, browser):
    one, two = servers
    lecturer, _ = open_page(browser, one.url, ready=READY, exact=True)
    near, _ = open_page(browser, one.url, ready=READY, exact=True)  # the lecturer's process
    far, _ = open_page(browser, two.url, ready=READY, exact=True)  # the other process
    for page in (near, far):
        page.get_by_role("button", name="Follow the lecturer").click()
        expect(page.locator(".follow-status").first).to_contain_text("Following the lecturer", timeout=TIMEOUT)

    lecturer.get_by_role("button", name="Lecturer", exact=True).click()  # opens the field
    lecturer.locator(".lecturer-secret input").fill(SECRET)
    lecturer.locator(".lecturer-secret input").press("Enter")
    expect(lecturer.locator(".follow-status").first).to_contain_text("you can broadcast", timeout=TIMEOUT)
    lecturer.get_by_role("button", name="Broadcast my view").click()

    lecturer.get_by_role("button", name="Start lesson").click()
    first = timed_step(lecturer, (near, far), 1)
    for page in (near, far):
        card = page.locator(".lesson-card").first
        expect(card).to_contain_text("PCM drift and its compensation: step 1 of 2", timeout=TIMEOUT)
        # The student's own prediction is still to make.
        expect(page.locator(".lesson-answer").first).to_be_hidden()
        assert page.locator(".lesson-choices input:checked").count() == 0
    # The lecturer predicts: nothing of it reaches the followers.
    # (in the card's choices: an unlocked page also shows the class's answers, choice by choice)
    lecturer.locator(".lesson-choices").get_by_text("It falls by about 4 points, to about 91 %", exact=True).click()
    lecturer.wait_for_timeout(TALK_MS)
    assert far.locator(".lesson-choices input:checked").count() == 0

    lecturer.get_by_role("button", name="Next").click()
    second = timed_step(lecturer, (near, far), 2)
    expect(far.locator(".lesson-card").first).to_contain_text("step 2 of 2", timeout=TIMEOUT)
    lecturer.wait_for_timeout(TALK_MS)
    lecturer.get_by_role("button", name="Back").click()
    back = timed_step(lecturer, (near, far), 1)
    print(
        "follower (same process, other process) after the lecturer, ms: "
        + "; ".join(
            f"{name} {lags[0] * 1000:.0f}, {lags[1] * 1000:.0f}"
            for name, lags in (("start", first), ("next", second), ("back", back))
        )
    )

    # The far follower stops following: the lecturer's Next moves the near one only.
    lecturer.wait_for_timeout(TALK_MS)
    far.get_by_role("button", name="Follow the lecturer").click()
    expect(far.locator(".follow-status").first).to_be_hidden(timeout=TIMEOUT)
    lecturer.get_by_role("button", name="Next").click()
    timed_step(lecturer, (near,), 2)
    far.wait_for_timeout(1500)
    assert re.search(r"step=1(&|$)", far.url), far.url
    expect(far.locator(".lesson-card").first).to_contain_text("step 1 of 2")
    for page in (lecturer, near, far):
        page.close()
