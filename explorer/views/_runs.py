"""Runs that step in a background thread of the session's own, and the session callback that
shows their progress: one driver for every dashboard that runs something long (the Programming
tab's programming run, the Training tab's runs, the Reliability tab's training of a hardware-aware
network).

A run steps in a thread, so it goes on while the person looks at another tab and never holds the
server's event loop. Its thread waits a moment after every step (a stepping thread holds the
interpreter lock most of the time, and the event loop, which sends the page its changes, needs it
too), adapts the size of its steps to a target wall time, and may run at a lower scheduling
priority than the server's other threads. The page learns of the run's progress from a periodic
callback of the session (Panel runs it in the session's context, where every change of the page
belongs), which stops once nothing is left to watch; without a served page (a notebook, a test)
the thread tells the page itself when it ends. Pause stops a run after its current step: its state
reads "pausing" while that step ends, then "paused".
"""

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import panel as pn

PRIORITIES = ("nice", "normal")
RUN_NICENESS = 10
"""Scheduling niceness of a run's thread at priority "nice" (Linux schedules threads as tasks): the
run then yields most of a busy core to other sessions' controls rather than competing with them as
an equal. There is no lower class on purpose: a thread under Linux's SCHED_IDLE that holds the
interpreter lock while other processes keep the cores busy is scheduled so rarely that every other
thread of the server waits for the lock behind it (a priority inversion: the browser tests' runs
stalled and the whole served page with them while a second test process ran beside them)."""


@dataclass(frozen=True)
class Pace:
    """How a run's thread steps and how often its page looks at it.

    step_seconds: target wall time of one step (s); the number of units per step (iterations,
    samples) is adapted to it after every step, within `chunk`. chunk: (first, fewest, most) units
    per step. first_wait, wait: seconds the thread waits before its first step and after every
    step, on a served page (the event loop needs the interpreter lock to send the page its
    changes). poll_ms: period of the session's callback that shows the run's progress (ms).
    priority: "nice" (`RUN_NICENESS`) or "normal".
    """

    step_seconds: float = 0.1
    chunk: tuple = (1, 1, 64)
    first_wait: float = 0.0
    wait: float = 0.02
    poll_ms: int = 100
    priority: str = "nice"

    def __post_init__(self):
        if self.priority not in PRIORITIES:
            raise ValueError(f"priority must be one of {PRIORITIES}, got {self.priority!r}")
        if len(self.chunk) != 3 or not 1 <= self.chunk[1] <= self.chunk[0] <= self.chunk[2]:
            raise ValueError(
                f"chunk must be (first, fewest, most) with 1 <= fewest <= first <= most, got {self.chunk!r}"
            )
        for name in ("step_seconds", "first_wait", "wait"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be >= 0 s, got {getattr(self, name)!r}")
        if not self.poll_ms > 0:
            raise ValueError(f"poll_ms must be > 0 ms, got {self.poll_ms!r}")

    def next_chunk(self, chunk, took):
        """Units for the next step, given that `chunk` units took `took` seconds."""
        return int(np.clip(chunk * self.step_seconds / max(took, 1e-3), self.chunk[1], self.chunk[2]))


def lower_priority(priority):
    """Lower the calling thread's scheduling priority to `priority` (see `Pace`); where a niceness
    is not allowed the thread runs at normal priority. Returns the priority applied."""
    if priority == "nice":
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), RUN_NICENESS)
            return "nice"
        except (AttributeError, OSError):
            pass
    return "normal"


class BackgroundRun:
    """One run stepped in a thread of its own: `step(n)` (n units, see `Pace`) until `done()`, until
    paused, or until `gone()` (its page has closed); then `on_end()`, in the thread."""

    def __init__(self, step, done, pace, *, name, served=False, gone=None, on_end=None):
        self.pace = pace
        self._step, self._done, self._served = step, done, served
        self._gone = gone or (lambda: False)
        self._on_end = on_end
        self._running = threading.Event()
        self._running.set()  # running from its creation: a first step in the caller counts as one
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self.priority = None
        """The scheduling priority the thread runs at, once it has started (`lower_priority`)."""

    def start(self):
        self._thread.start()
        return self

    def _loop(self):
        pace = self.pace
        chunk = pace.chunk[0]
        self.priority = lower_priority(pace.priority)
        if self._served and pace.first_wait:
            time.sleep(pace.first_wait)
        try:
            while self._running.is_set() and not self._gone() and not self._done():
                started = time.perf_counter()
                self._step(chunk)
                if self._done():
                    break
                chunk = pace.next_chunk(chunk, time.perf_counter() - started)
                if self._served and pace.wait:
                    time.sleep(pace.wait)
        finally:
            self._running.clear()
            if self._on_end is not None:
                self._on_end()

    @property
    def running(self):
        """Whether the run is to go on (set until it is paused or ends)."""
        return self._running.is_set()

    def pause(self):
        """Stop after the current step."""
        self._running.clear()

    def is_alive(self):
        """Whether the thread is still stepping; the thread itself, on its way out, counts as ended."""
        return self._thread.is_alive() and self._thread is not threading.current_thread()

    def join(self, timeout=None):
        if self._thread.ident is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)


class RunDriver:
    """Runs of one dashboard, one at a time, and the session callback that shows them.

    `view` is the dashboard (a `LiveDashboard`: whether its page is served, whether it has gone);
    `show()` shows the progress on the page and returns whether anything is left to watch (the
    callback stops when it returns False); `pace` sets how runs step (`Pace`).
    """

    def __init__(self, view, pace, show, name):
        self.view, self.pace, self.name = view, pace, name
        self._show = show
        self.run = None
        """The latest run started (a `BackgroundRun`), or None."""
        self._callback = None

    def begin(self, step, done, first=None):
        """Start a run: `first()` in the calling thread on a served page (the click's own handler,
        so that its point shows at once instead of after the thread's first step and the next
        poll), then `step(n)` in a thread of its own until `done()`, paused, or the page gone.
        Returns the run."""
        served = self.view._served()
        self.run = run = BackgroundRun(
            step, done, self.pace, name=self.name, served=served, gone=self.view._session_gone, on_end=self._ended
        )
        if served and first is not None:
            first()
        run.start()
        self.watch()
        return run

    def once(self, work, name):
        """Run `work()` once in a thread of its own at normal priority, shown like a run when it
        ends. Returns its `BackgroundRun`."""
        finished = threading.Event()

        def step(_):
            try:
                work()
            finally:
                finished.set()

        pace = Pace(chunk=(1, 1, 1), wait=0.0, poll_ms=self.pace.poll_ms, priority="normal")
        job = BackgroundRun(step, finished.is_set, pace, name=name, served=self.view._served(), on_end=self._ended)
        job.start()
        self.watch()
        return job

    def watch(self):
        """Show the runs' progress from a periodic callback of the session (on a served page)."""
        if self.view._served() and (self._callback is None or not self._callback.running):
            self._callback = pn.state.add_periodic_callback(self._tick, period=self.pace.poll_ms)

    def _tick(self):
        if not self._show() and self._callback is not None:
            self._callback.stop()

    def _ended(self):
        if not self.view._served():  # no session callback: the thread tells the page itself
            self._tick()

    # -------------------------------------------------------------- the latest run

    @property
    def running(self):
        """Whether the latest run is to go on (neither paused nor ended)."""
        return self.run is not None and self.run.running

    def is_alive(self):
        """Whether the latest run's thread is still stepping (the thread itself counts as ended)."""
        return self.run is not None and self.run.is_alive()

    def join(self, timeout=None):
        if self.run is not None:
            self.run.join(timeout)

    def pause(self):
        """Stop the latest run after its current step."""
        if self.run is not None:
            self.run.pause()

    def stop(self, timeout=5.0):
        """Stop the latest run and wait up to `timeout` s for its thread to end."""
        self.pause()
        self.join(timeout)

    def claim(self, timeout=5.0):
        """Whether a new run may start: not while one runs; a paused one is given up to `timeout`
        s to end its last step."""
        if not self.is_alive():
            return True
        if self.running:
            return False
        self.join(timeout)
        return not self.is_alive()

    def state(self, done):
        """The latest run's state for a status line: running, pausing (its last step is ending),
        paused, or ready (`done`: whether it has made any progress)."""
        if self.running:
            return "running"
        if self.is_alive():
            return "pausing"
        return "paused" if done else "ready: press Start"


RUN_SETTING_TAG = "run-setting"
"""The tag (Bokeh's ``tags``) of a control that only sets up the run (`RunButtons.RUN_SETTINGS`):
before Start its move redraws nothing, since the plots show the run and the run has not begun. Read
from the page's document by the load command (`explorer.tools.classload`), which presses Start after
moving such a control and times the run's first point, rather than waiting for a redraw that does
not come. A tag, not a CSS class: it only marks, and BokehJS renders a widget again whose
``css_classes`` change (the Training tab's task switch, which moves the mark on four sliders, spent
most of its browser time there); a change of ``tags`` renders nothing."""
RUN_START_CLASS, RUN_PAUSE_CLASS, RUN_RESET_CLASS = "run-start", "run-pause", "run-reset"
"""The CSS classes of the Start, Pause and Reset buttons (found by the load command)."""


@dataclass(frozen=True)
class RunSetting:
    """A run's setting (`RunButtons.RUN_SETTINGS`): the control named `control` (a key of the
    dashboard's `widgets()`), always one, or only while `when(model)` holds (re-read when a parameter
    of the model named in `depends` changes): a read-out control, say, that redraws the first point
    of one task's curve but only the run of the other's."""

    control: str
    when: Callable | None = None
    depends: tuple = ()

    def holds(self, model) -> bool:
        """Whether the control is a run setting for `model`'s current settings."""
        return self.when is None or bool(self.when(model))


class RunButtons:
    """Start / Pause / Reset of a run stepped by a `RunDriver` (a mixin of the dashboards with runs:
    Programming, Training). The dashboard sets `self._driver`; its model is a steppable run:
    `step(n, notify)`, `done`, `reset()` (`notify()` is the driver's `show` to call)."""

    FIRST_STEP = 1
    """Units stepped in the Start click's own handler (served page): their point shows at once."""

    RUN_SETTINGS = ()
    """The dashboard's run settings (`RunSetting`s): controls whose move, while no run has started,
    changes none of the plots (a new run would differ, the empty one does not). Each has the tag
    `RUN_SETTING_TAG` while it is one (`_mark_run_settings`); tests/test_run_settings.py checks the
    list against what the plots show."""

    def _mark_run_settings(self):
        """Give the controls of `RUN_SETTINGS` the tag `RUN_SETTING_TAG` while they are run settings,
        and keep it so when the parameters their condition depends on change."""
        widgets = self.widgets()

        def sync(*events):
            for setting in self.RUN_SETTINGS:
                widget = widgets[setting.control]
                marked = RUN_SETTING_TAG in widget.tags
                if setting.holds(self.model) and not marked:
                    widget.tags = [*widget.tags, RUN_SETTING_TAG]
                elif marked and not setting.holds(self.model):
                    widget.tags = [t for t in widget.tags if t != RUN_SETTING_TAG]

        depends = sorted({name for setting in self.RUN_SETTINGS for name in setting.depends})
        if depends:
            self.model.param.watch(sync, depends)
        sync()

    RUN_BUTTON_ATTRS = ("_start", "_pause", "_reset")
    """The attributes `_make_run_buttons` sets (among the view's `WIDGET_ATTRS`: built on first use)."""

    def _make_run_buttons(self):
        self._start = pn.widgets.Button(label="Start", color="primary", width=90, css_classes=[RUN_START_CLASS])
        self._pause = pn.widgets.Button(label="Pause", width=90, disabled=True, css_classes=[RUN_PAUSE_CLASS])
        self._reset = pn.widgets.Button(label="Reset", width=90, css_classes=[RUN_RESET_CLASS])
        self._start.on_click(lambda _: self.start())
        self._pause.on_click(lambda _: self.pause())
        self._reset.on_click(lambda _: self.reset())

    def run_buttons(self):
        return pn.Row(self._start, self._pause, self._reset)

    def _ready_to_start(self):
        """Whether the run can start with the current settings (a dashboard may say why not)."""
        return True

    def start(self):
        """Step the run in a thread of this session's own until it is done or paused."""
        if not self._driver.claim() or not self._ready_to_start():
            return
        m = self.model
        if m.done:
            m.reset()
        self._set_buttons(running=True)
        self._driver.begin(
            step=lambda n: m.step(n, notify=not self._served()),
            done=lambda: m.done,
            first=lambda: m.step(self.FIRST_STEP),
        )

    def pause(self):
        """Stop the run after its current step. The buttons change here, in the click's own
        handler, as Start's do, rather than when the session's poll finds the thread gone: under load,
        CI runs twice kept Start disabled long after Pause that way (cause not found; commit
        e0ad7e4)."""
        self._driver.pause()
        self._set_buttons(running=False)

    def _run_state(self, done):
        """The run's state for the status line: running, pausing (its last step is ending),
        paused, or ready."""
        return self._driver.state(done)

    def reset(self):
        """Stop the run's thread and start the run again from its beginning."""
        self._driver.stop(timeout=5.0)
        self.model.reset()
        self._set_buttons(running=False)

    def _set_buttons(self, running):
        self._start.disabled = running
        self._pause.disabled = not running

    def _on_session_destroyed(self, session_context):
        self._driver.pause()
        super()._on_session_destroyed(session_context)


__all__ = [
    "RUN_PAUSE_CLASS",
    "RUN_RESET_CLASS",
    "RUN_SETTING_TAG",
    "RUN_START_CLASS",
    "Pace",
    "BackgroundRun",
    "RunButtons",
    "RunDriver",
    "RunSetting",
    "lower_priority",
]
