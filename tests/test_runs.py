"""The background-run driver every dashboard with a long run uses (explorer/views/_runs.py), and
the crossbar read-out mixin of the live dashboards."""

import os
import threading

import pytest
from argnames import naming

from explorer.app import DASHBOARDS
from explorer.views import ProgrammingView, ReliabilityView, TrainingView
from explorer.views._live import CrossbarReadout, LiveDashboard
from explorer.views._runs import BackgroundRun, Pace, RunDriver


def scheduling():
    """The calling thread's scheduling policy and niceness."""
    return os.sched_getscheduler(0), os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(priority="low"), "priority"),
        (dict(priority="idle"), "priority"),  # SCHED_IDLE: a priority inversion on the interpreter lock
        (dict(chunk=(1, 2, 64)), "chunk"),
        (dict(chunk=(8, 1)), "chunk"),
        (dict(wait=-0.1), "wait"),
        (dict(poll_ms=0), "poll_ms"),
    ],
)
def test_a_bad_pace_names_its_field(kwargs, name):
    with pytest.raises(ValueError, match=naming(name)):
        Pace(**kwargs)


def test_steps_grow_toward_the_target_time_within_their_range():
    pace = Pace(step_seconds=0.1, chunk=(4, 2, 50))
    assert pace.next_chunk(4, 0.01) == 40  # 10 x faster than the target: 10 x as many
    assert pace.next_chunk(40, 0.001) == 50  # capped at the most
    assert pace.next_chunk(40, 10.0) == 2  # and at the fewest


class Gate:
    """A steppable run whose steps end only when the test lets them."""

    def __init__(self, total):
        self.total, self.done_units, self.chunks, self.where = total, 0, [], []
        self.entered, self.release = threading.Semaphore(0), threading.Semaphore(0)

    def step(self, n):
        self.where.append(scheduling())
        self.entered.release()
        assert self.release.acquire(timeout=10)
        self.chunks.append(n)
        self.done_units += n

    def done(self):
        return self.done_units >= self.total


@pytest.mark.parametrize("priority", ["nice", "normal"])
def test_a_run_steps_at_its_priority_until_done_and_tells_once(priority):
    gate, ended = Gate(total=3), []
    run = BackgroundRun(
        gate.step,
        gate.done,
        Pace(chunk=(1, 1, 1), priority=priority),
        name="t",
        on_end=lambda: ended.append(threading.current_thread().name),
    )
    assert run.running and not run.is_alive()
    run.start()
    for _ in range(3):
        assert gate.entered.acquire(timeout=10)
        gate.release.release()
    run.join(timeout=10)
    assert not run.is_alive() and not run.running and gate.chunks == [1, 1, 1] and ended == ["t"]
    policy, nice = gate.where[0]
    if priority == "nice":
        assert run.priority == "nice" and policy == os.SCHED_OTHER and nice >= 10
    else:
        assert run.priority == "normal" and (policy, nice) == scheduling()  # the test thread's own


class Page:
    """The dashboard side of a driver outside a server (no periodic callback)."""

    def __init__(self):
        self.gone = False

    def _served(self):
        return False

    def _session_gone(self):
        return self.gone


def test_pause_reads_pausing_until_the_step_ends_then_paused():
    page, shown = Page(), []
    gate = Gate(total=100)
    driver = RunDriver(
        page, Pace(chunk=(1, 1, 1), priority="normal"), lambda: shown.append(driver.state(1)) or False, "t"
    )
    assert driver.state(0) == "ready: press Start" and driver.claim()
    driver.begin(gate.step, gate.done, first=lambda: pytest.fail("no first step outside a server"))
    assert gate.entered.acquire(timeout=10)  # the thread is inside its first step
    assert driver.state(1) == "running" and not driver.claim()  # no second run while one runs
    driver.pause()
    assert driver.state(1) == "pausing" and driver.is_alive()
    gate.release.release()
    driver.join(timeout=10)
    assert driver.state(1) == "paused" and gate.done_units == 1  # no step after the pause
    assert shown == ["paused"]  # the page is told once, when the thread ends
    assert driver.claim()


def test_a_run_stops_when_its_page_has_gone():
    page = Page()
    gate = Gate(total=100)
    driver = RunDriver(page, Pace(chunk=(1, 1, 1), priority="normal"), lambda: False, "t")
    driver.begin(gate.step, gate.done)
    assert gate.entered.acquire(timeout=10)
    page.gone = True
    gate.release.release()
    driver.join(timeout=10)
    assert not driver.is_alive() and gate.done_units == 1


def test_a_one_off_job_is_shown_when_it_ends():
    page, shown, result = Page(), [], []
    driver = RunDriver(page, Pace(), lambda: shown.append(list(result)) or False, "t")
    job = driver.once(lambda: result.append(42), name="job")
    job.join(timeout=10)
    assert not job.is_alive() and shown == [[42]]


def test_the_dashboards_runs_keep_their_pace():
    """Training yields its priority; Programming and the Reliability tab's network training run at
    normal priority, as before the driver was shared."""
    assert TrainingView()._driver.pace == Pace(
        step_seconds=0.1, chunk=(32, 8, 1438), wait=0.02, poll_ms=300, priority="nice"
    )
    assert ProgrammingView()._driver.pace == Pace(
        step_seconds=0.1, chunk=(1, 1, 64), first_wait=0.1, wait=0.02, poll_ms=100, priority="normal"
    )
    assert ReliabilityView()._driver.pace.priority == "normal" and ReliabilityView()._driver.pace.poll_ms == 150


def test_the_training_runs_step_at_nice_priority_never_idle_and_programming_at_normal():
    seen = {}
    for view in (TrainingView(), ProgrammingView()):
        if isinstance(view, TrainingView):
            view.model.param.update(epochs=1, compared=["TTv2"])
        else:
            view.model.size = 16
            view.model.programming.max_iterations = 3
        view.plots()
        step = view.model.step

        def recording(*args, _step=step, _name=type(view).__name__, **kwargs):  # noqa: B008 (binds this view's name)
            seen.setdefault(_name, scheduling())
            return _step(*args, **kwargs)

        view.model.step = recording
        view.start()
        view._driver.join(timeout=60)
        assert view.model.done
    policy, nice = seen["TrainingView"]
    assert policy == os.SCHED_OTHER and nice >= 10  # never SCHED_IDLE (see _runs.RUN_NICENESS)
    assert seen["ProgrammingView"] == scheduling()


def test_only_the_dashboards_that_drive_a_crossbar_have_its_read_out_controls():
    """The live base knows nothing of a crossbar model: the read-out controls and their URL keys come
    with the CrossbarReadout mixin, which exactly the dashboards whose explorer names READ_CONTROLS use."""
    for _, _, cls in DASHBOARDS:
        controls = getattr(cls.param["model"].class_, "READ_CONTROLS", ())
        assert issubclass(cls, CrossbarReadout) == bool(controls), cls.__name__
        view = cls()
        synced = {id(obj): names for obj, names in view.synced()}
        if controls:
            assert list(view.read_widgets) == list(controls)
            assert synced[id(view.model.xb)] == list(controls)
        else:
            assert not hasattr(view, "read_widgets")
            xb = getattr(view.model, "xb", None)
            assert xb is None or id(xb) not in synced
    assert not hasattr(LiveDashboard, "read_widgets")
