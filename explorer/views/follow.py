"""The header's lecturer and follow controls (issue 25, item 2).

A session becomes the lecturer's when its user types the server's secret into the **Lecturer**
password field (`explorer.models.follow.Lecturer`; the secret is never in the page or URL). The
lecturer then sees **Broadcast my view**: while it is on, the session publishes every tab's settings
and the visible tab (`scenario.to_json`) and its open lesson step (`LessonsView.location`) on the
server-wide `shared_channel` as soon as one changes (and checks every `PERIOD_MS` for changes no
watcher saw); a new lesson step is announced as it starts to open (`LessonsView.on_step`), before the
lecturer's own page has computed it, and the full view published once it is open. Every session has **Follow the lecturer**: while it is on, a thread of the page waits on
the channel, woken by each publication, and applies the newer snapshot: the lecturer's lesson step
first when it differs from the page's (the step's card opens with no prediction chosen: each student
makes their own), then the settings (`scenario.parse`, `scenario.apply`: checked, every tab at once),
then the tab. Switching it off keeps the view and the step as they are; the student's own changes stay in the session (a session publishes only through
`Lecturer.publish`, which checks the server-side flag, whatever the broadcast toggle's value).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping

import panel as pn
import param
from panel.io.state import set_curdoc

from ..models import scenario
from ..models.follow import Channel, FileChannel, Lecturer, channel_path, lecturer_secret
from ..sessions import report_error
from ._status import status_line

log = logging.getLogger(__name__)

CACHE_KEY = "explorer.follow.channel"
"""The channel's key in `pn.state.cache` (one per server process)."""

PERIOD_MS = 300
"""Milliseconds between two looks at the view (lecturer) or at the channel (follower): a newer view
reaches a follower within two periods plus the time to apply it."""


def shared_channel() -> Channel:
    """The server's broadcast channel, created once per process in `pn.state.cache` (``dict.setdefault``
    is atomic in CPython, so two sessions starting together get the same one): a `FileChannel` on the
    file the server's environment names (`channel_path`: several server processes), else a `Channel`."""
    channel = pn.state.cache.get(CACHE_KEY)
    if channel is None:
        path = channel_path()
        channel = pn.state.cache.setdefault(CACHE_KEY, FileChannel(path) if path else Channel())
    return channel


class FollowSession:
    """One page's side of following: the lecturer state, the last version applied or published, and
    the work the periodic callbacks do (plain methods a test calls without a server).

    `explorers` maps tab prefix -> explorer; `tabs` is the page's tabs (or None); `lessons` the page's
    `explorer.views.lessons.LessonsView` (or None: no lesson steps are sent or followed)."""

    def __init__(
        self,
        explorers: Mapping[str, param.Parameterized],
        tabs: pn.Tabs | None,
        channel: Channel,
        lecturer: Lecturer,
        lessons=None,
    ) -> None:
        self.explorers = explorers
        self.tabs = tabs
        self.channel = channel
        self.lecturer = lecturer
        self.lessons = lessons
        self.seen = 0  # version of the last snapshot applied
        self._sent: tuple[str, int, str, int] | None = None  # what this session last published
        self.on_unlock: list[Callable[[], None]] = []  # called once this page types the right secret

    def view(self) -> tuple[str, int, str, int]:
        """Every tab's settings (scenario JSON), the visible tab index, and the open lesson step
        (lesson id and step from 1; "" and 0 when none)."""
        step = ("", 0) if self.lessons is None else self.lessons.location
        return scenario.to_json(self.explorers), (0 if self.tabs is None else int(self.tabs.active)), *step

    def broadcast(self, force: bool = False) -> bool:
        """Publish this session's view if it changed since the last (or `force`); False when this
        session is not the lecturer's (nothing published), nothing changed, or a lesson step is being
        opened (its settings half applied; the step's own watcher publishes once it is open)."""
        if not self.lecturer.unlocked:
            return False
        if self.lessons is not None and self.lessons.opening:
            return False
        now = self.view()
        if not force and now == self._sent:
            return False
        if self.lecturer.publish(self.channel, *now) is None:
            return False
        self._sent = now
        return True

    def announce(self, lesson: str, step: int) -> bool:
        """Publish that this session's lesson step is opening (lesson id and step from 1, or "" and 0),
        before its settings are applied: followers open the same step at once (`Snapshot.opening`).
        False when this session is not the lecturer's."""
        if not self.lecturer.unlocked:
            return False
        scenario_json, tab, *_ = self.view()
        if self.lecturer.publish(self.channel, scenario_json, tab, lesson, step, opening=True) is None:
            return False
        self._sent = None  # the full view, once the step is open, is published whatever it is
        return True

    def newer(self) -> bool:
        """Whether the channel holds a snapshot newer than the last applied (a cheap read)."""
        return self.channel.version > self.seen

    def follow(self) -> str | None:
        """Apply the channel's latest snapshot if newer than the last applied: None when nothing new,
        "" when applied, else the reason it was refused (the view then stays as it is).

        The lecturer's lesson step is opened first, and only when it differs from this page's (so a
        student's prediction on the step stays while the lecturer moves its controls); the step's
        settings are then overwritten by the lecturer's own, which may have moved since. A snapshot of
        a step only opening (`Snapshot.opening`) opens the step and applies nothing else."""
        snap = self.channel.latest
        if snap is None or snap.version <= self.seen:
            return None
        self.seen = snap.version
        if snap.opening:
            return self._open(snap) or ""
        try:
            settings = scenario.parse(snap.scenario)
        except scenario.ScenarioError as exc:
            return f"The lecturer's view could not be applied: {exc}"
        refused = self._open(snap)
        if refused:
            return refused
        try:
            scenario.apply(settings, self.explorers)
        except scenario.ScenarioError as exc:
            return f"The lecturer's view could not be applied: {exc}"
        if self.tabs is not None and 0 <= snap.tab < len(self.tabs):
            self.tabs.active = snap.tab
        return ""

    def _open(self, snap) -> str:
        """Open the snapshot's lesson step if it differs from this page's: "" when done or nothing to
        do, else why not (a step this server does not have)."""
        if self.lessons is None or (snap.lesson, snap.step) == self.lessons.location:
            return ""
        if snap.lesson and not self._has_step(snap.lesson, snap.step):
            return f"The lecturer's lesson step {snap.lesson!r} {snap.step} is not on this server."
        self.lessons.go(snap.lesson, snap.step)
        return ""

    def _has_step(self, lesson_id: str, step: int) -> bool:
        try:
            lesson = self.lessons.lessons.get(lesson_id)
        except KeyError:
            return False
        return 1 <= step <= len(lesson.steps)


def follow_controls(
    explorers: Mapping[str, param.Parameterized],
    background: str,
    *,
    tabs: pn.Tabs | None = None,
    lessons=None,
    channel: Channel | None = None,
    secret: str | None = None,
) -> tuple[pn.Row, pn.Row]:
    """The header's controls for one page: the Lecturer button and the Follow the lecturer toggle
    (both only when the server has a secret), the Broadcast my view toggle (shown once unlocked), and a bar for under the header: the secret field (opened by the Lecturer button) and a
    status line (each hidden until needed). The row's ``session`` attribute is the page's
    `FollowSession`; `lessons` is the page's `LessonsView` (its open step is sent and followed)."""
    channel = shared_channel() if channel is None else channel
    lecturer = Lecturer(lecturer_secret() if secret is None else secret)
    session = FollowSession(explorers, tabs, channel, lecturer, lessons)

    status, say = status_line(background, "follow-status")

    password = pn.widgets.PasswordInput(
        placeholder="Lecturer secret", width=140, margin=(12, 5), css_classes=["lecturer-secret"]
    )
    unlock = pn.widgets.Button(label="Lecturer", color="light", width=80, margin=(10, 5), css_classes=["lecturer"])
    broadcast = pn.widgets.Toggle(
        label="Broadcast my view",
        value=False,
        width=150,
        margin=(10, 5),
        visible=False,
        css_classes=["broadcast-toggle"],
    )
    following = pn.widgets.Toggle(
        label="Follow the lecturer", value=False, width=150, margin=(10, 5), css_classes=["follow-toggle"]
    )
    # Without a secret on the server nobody can broadcast: the header stays as it was. With one, the
    # header gets the two buttons only; the secret field opens in the bar under the header.
    unlock.visible = following.visible = lecturer.enabled
    password.visible = False

    def tried(typed: str) -> None:
        if lecturer.unlocked or not typed:
            return
        ok, message = lecturer.unlock(typed)
        password.param.update(value="", value_input="")  # the secret does not stay in the page
        say(message, ok)
        if ok:
            password.visible = unlock.visible = False
            broadcast.visible = True
            for hook in list(session.on_unlock):  # the lecturer's other views (the class's predictions)
                hook()

    def pressed(event):
        if not password.visible:
            password.visible = True  # first press: show the field
        else:
            tried(password.value)

    # The field commits its text on Enter or when it loses the focus (clicking the button does that
    # first), and the try happens then: one try per commit, whichever the user does.
    password.param.watch(lambda event: tried(event.new), "value")
    unlock.on_click(pressed)

    # The lecturer publishes as soon as a setting or the tab changes (in the thread that changed it:
    # a periodic callback waited behind the page's own rendering on the event loop, measured 1.4 s),
    # and every `PERIOD_MS` as well, for changes no watcher sees.
    def changed(*events):
        if broadcast.value:
            session.broadcast()

    for explorer in explorers.values():
        for owner, names in scenario.settings_by_owner(explorer):
            owner.param.watch(changed, names)
    if tabs is not None:
        tabs.param.watch(changed, "active")
    if lessons is not None:
        # A new step is announced as it starts to open, then published whole once open (this watcher
        # is registered after the lessons view's own, so it runs once the step is open).
        lessons.on_step.append(lambda lesson, step: broadcast.value and session.announce(lesson, step))
        lessons.param.watch(changed, ["lesson", "step"])

    async def publish_view():
        session.broadcast()

    publisher = pn.state.add_periodic_callback(publish_view, period=PERIOD_MS, start=False)

    def toggled_broadcast(event):
        if not event.new:
            publisher.stop()
            return
        if not lecturer.unlocked:
            # A page cannot broadcast by setting the toggle (a crafted websocket message): the flag
            # is the server's. Nothing is published.
            log.warning("broadcast refused: this session has not typed the lecturer's secret")
            broadcast.value = False
            return
        session.broadcast(force=True)
        publisher.start()

    broadcast.param.watch(toggled_broadcast, "value")

    doc = pn.state.curdoc
    stop = [threading.Event()]  # the running follower thread's stop signal

    def apply_newer():
        with set_curdoc(doc):
            try:
                outcome = session.follow()
            except Exception as exc:  # shown in this session only, as any callback's error
                report_error(exc)
                return
            if outcome:
                say(outcome, ok=False)

    def follow_loop(stopped: threading.Event) -> None:
        # This page's own thread, woken by each publication: applying a view sets the dashboards'
        # parameters, and a visible dashboard computes in the thread that sets them, so not on the
        # event loop and not queued in Panel's thread pool behind other sessions' work.
        while not stopped.is_set():
            if session.channel.wait_newer(session.seen, timeout=PERIOD_MS / 1000) and not stopped.is_set():
                apply_newer()

    def toggled_follow(event):
        stop[0].set()
        if event.new:
            session.seen = 0  # apply the lecturer's current view at once
            apply_newer()
            stop[0] = threading.Event()
            threading.Thread(target=follow_loop, args=(stop[0],), name="explorer-follow", daemon=True).start()
            say("Following the lecturer: switch off to explore on your own.")
        else:
            say("")

    if doc is not None and getattr(doc, "session_context", None) is not None:
        doc.on_session_destroyed(lambda context: stop[0].set())
    following.param.watch(toggled_follow, "value")
    row = pn.Row(unlock, broadcast, following, styles={"background": background}, margin=0)
    row.session = session
    bar = pn.Row(password, status, styles={"background": background}, sizing_mode="stretch_width", margin=0)
    return row, bar


__all__ = ["CACHE_KEY", "PERIOD_MS", "FollowSession", "follow_controls", "shared_channel"]
