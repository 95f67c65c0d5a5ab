"""Following the lecturer's lesson step (issue 25 item 2, with the lessons of item 1), without a
server: the snapshot carries the lecturer's open step; it is published once the step is open (never
halfway through applying its settings); a follower opens that step with no prediction chosen, keeps its
own prediction while the lecturer moves the step's controls, moves with Next/Back (also from its own
thread, within 1 s), closes the card when the lecturer closes the lesson, and keeps its step when it
stops following; a step this server does not have is refused with the reason."""

import time

import panel as pn
import pytest

from explorer.app import build_app
from explorer.models.follow import SECRET_ENV, Channel
from explorer.views.follow import CACHE_KEY
from explorer.views.lessons import NO_CHOICE

SECRET = "a lecturer's secret for the tests"


class Recording(Channel):
    """A one-process channel that keeps every snapshot published (to check none is half a step)."""

    def __init__(self):
        super().__init__()
        self.published = []

    def _publish(self, *args, **kwargs):
        snap = super()._publish(*args, **kwargs)
        self.published.append(snap)
        return snap


@pytest.fixture
def pages(monkeypatch):
    """A lecturer's page (unlocked, broadcasting) and two students' pages sharing a recording channel."""
    monkeypatch.setenv(SECRET_ENV, SECRET)
    channel = Recording()
    pn.state.cache[CACHE_KEY] = channel
    lecturer, follower, bystander = (build_app() for _ in range(3))
    assert lecturer.follow.channel is channel
    assert lecturer.follow.lecturer.unlock(SECRET)[0]
    (broadcast,) = [t for t in lecturer.select(pn.widgets.Toggle) if "broadcast-toggle" in t.css_classes]
    broadcast.value = True
    yield lecturer, follower, bystander, channel
    pn.state.cache.pop(CACHE_KEY, None)


def follow_toggle(app):
    (toggle,) = [t for t in app.select(pn.widgets.Toggle) if "follow-toggle" in t.css_classes]
    return toggle


def wait_for(condition, seconds):
    """Seconds until `condition()` became true, or None if it did not within `seconds`."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if condition():
            return time.monotonic() - start
        time.sleep(0.01)
    return time.monotonic() - start if condition() else None


def test_the_lecturers_step_is_announced_as_it_opens_then_published_once_open(pages):
    lecturer, _, _, channel = pages
    first = channel.version
    assert channel.latest.lesson == "" and channel.latest.step == 0  # no lesson open yet
    lecturer.lessons.go("pcm-drift", 1)
    # Two publications: the step as it starts to open (the view still the previous one), then the
    # lecturer's whole view once the step's settings and tab are applied; none caught halfway.
    assert channel.version == first + 2
    announced, snap = channel.published[-2:]
    assert (announced.lesson, announced.step, announced.opening, announced.tab) == ("pcm-drift", 1, True, 0)
    assert (snap.lesson, snap.step, snap.opening, snap.tab) == ("pcm-drift", 1, False, 5)  # Reliability
    assert (snap.scenario, snap.tab, snap.lesson, snap.step) == lecturer.follow.view()
    lecturer.lessons.next.clicks += 1
    assert channel.version == first + 4
    assert [(s.step, s.opening, s.tab) for s in channel.published[-2:]] == [(2, True, 5), (2, False, 1)]  # Devices
    # Every whole view of a step shows that step's tab: none was taken before the step had opened it.
    assert [(s.step, s.tab) for s in channel.published if s.step and not s.opening] == [(1, 5), (2, 1)]
    lecturer.lessons.close.clicks += 1
    assert (channel.latest.lesson, channel.latest.step) == ("", 0)


def test_an_announced_step_opens_on_the_follower_before_the_lecturers_view_comes(pages):
    lecturer, follower, _, channel = pages
    lecturer.follow.announce("pcm-drift", 1)  # what the lecturer's page sends as the step starts
    rel = follower.lessons.explorers["rel"]
    rel.compensation = "none"
    assert follower.follow.follow() == ""
    assert follower.lessons.location == ("pcm-drift", 1) and follower.lessons.tabs.active == 5
    assert rel.compensation == "global"  # the step's own settings, as on the lecturer's page
    assert not follower.lessons.moved


def test_a_follower_opens_the_step_and_keeps_its_own_prediction(pages):
    lecturer, follower, bystander, channel = pages
    lv, fv = lecturer.lessons, follower.lessons
    rel = follower.lessons.explorers["rel"]
    rel.compensation = "none"
    lv.go("pcm-drift", 1)
    lv.choices.value = lv.current[1].choices[2]  # the lecturer's own prediction is not sent
    assert follower.follow.follow() == ""
    assert fv.location == ("pcm-drift", 1) and fv.card.visible
    assert rel.compensation == "global"  # the step's settings
    assert follower.lessons.tabs.active == 5
    assert fv.choice == NO_CHOICE and fv.choices.value is None and not fv.answer.visible

    # The follower predicts; the lecturer moves the step's control: the follower's prediction stays,
    # and the move reveals its answer as its own move would.
    step = fv.current[1]
    fv.choices.value = step.choices[1]
    lecturer.lessons.explorers["rel"].compensation = "none"
    assert follower.follow.follow() == ""
    assert rel.compensation == "none" and fv.location == ("pcm-drift", 1)
    assert fv.choice == 1 and fv.answer.visible

    # Next on the lecturer's page: the follower's card moves to step 2, its prediction to make.
    lv.next.clicks += 1
    assert follower.follow.follow() == ""
    assert fv.location == ("pcm-drift", 2) and fv.choice == NO_CHOICE and not fv.answer.visible
    assert follower.lessons.tabs.active == 1
    assert bystander.lessons.location == ("", 0) and not bystander.lessons.card.visible

    # The lecturer closes the lesson: so does the follower's card.
    lv.close.clicks += 1
    assert follower.follow.follow() == "" and fv.location == ("", 0) and not fv.card.visible


def test_a_step_this_server_lacks_is_refused_and_nothing_changes(pages):
    lecturer, follower, _, channel = pages
    follower.lessons.go("differential-pair", 2)
    before = follower.follow.view()
    view = lecturer.follow.view()
    lecturer.follow.lecturer.publish(channel, view[0], view[1], "no-such-lesson", 1)
    message = follower.follow.follow()
    assert message == "The lecturer's lesson step 'no-such-lesson' 1 is not on this server."
    assert follower.follow.view() == before
    lecturer.follow.lecturer.publish(channel, view[0], view[1], "pcm-drift", 9)
    assert "'pcm-drift' 9 is not on this server" in follower.follow.follow()
    assert follower.lessons.location == ("differential-pair", 2)


def test_the_follow_thread_moves_the_card_within_a_second_and_stopping_keeps_the_step(pages):
    lecturer, follower, _, _ = pages
    lv, fv = lecturer.lessons, follower.lessons
    lv.go("reliability", 1)
    follow_toggle(follower).value = True  # applies the lecturer's current view at once
    assert fv.location == ("reliability", 1)
    lv.next.clicks += 1
    took = wait_for(lambda: fv.location == ("reliability", 2), 1.0)
    assert took is not None, fv.location
    lv.next.clicks += 1
    assert wait_for(lambda: fv.location == ("reliability", 3), 1.0) is not None, fv.location
    follow_toggle(follower).value = False
    lv.back.clicks += 1
    assert lv.location == ("reliability", 2)
    assert wait_for(lambda: fv.location != ("reliability", 3), 1.0) is None  # kept its step
    assert fv.card.visible
