"""Admission of heavy requests against a server-wide budget, so that no session can take the class down.

A request whose estimated cost (`Cost`, from an explorer's ``cost()``) is at least `Budget.heavy_bytes`
or `Budget.heavy_work` seconds is heavy: it runs only while the memory of the heavy requests running,
its own included, stays within `Budget.memory_bytes` and fewer than `Budget.jobs` heavy requests run.
Otherwise it waits in one first-come, first-served queue and its session is told its position
("waiting: 2 ahead"); a request larger than the whole budget is refused with the reason (the setting
that bounds it and the largest size allowed); a newer request with the same key (the same session's
same tab) replaces its queued one. Light requests never wait: they run at once in the calling thread.

Admitted requests run in a thread of their own, never in Panel's thread pool: a queue of heavy
requests waiting in the pool's threads would leave none for the light updates of the other sessions
(issue 25 measured a Devices slider without an answer for 60 s while two sessions computed a large
crossbar). On a server (`from_environment`) that thread hands the computation itself to a worker
process of lower priority (`workers`, `explorer.workers`), started on the first heavy request: in the
server's process it shared the interpreter lock and the cores with every other session
(docs/results/admission.md measures both). The server's one budget lives in ``pn.state.cache``
(`server_budget`), created once from the settings `analog-explorer` passes in the environment
(`from_environment`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

GB = 2**30

DEFAULT_MEMORY_GB = 8.0
"""Default memory budget of the heavy requests running at once: a third of a 24 GB lab machine,
leaving the rest to the sessions themselves (issue 25 measured 139 MB per session; thirty sessions
are about 4 GB) and to the system. Illustrative, chosen for that machine: set `--budget-memory-gb`."""

DEFAULT_JOBS = 1
"""Default number of heavy requests running at once: one, so that of two cores one is always left to
the light updates of the other sessions. Set `--budget-jobs` on a machine with more cores."""

HEAVY_BYTES = 768 * 2**20
"""A request estimated below this is light: it is never queued. Every control within its usual range
is light (a Crossbar matrix up to the number box's soft limit, 1024, at one or two slices: 0.5 GB
estimated); above it (typed sizes up to 4096, four slices) a request is heavy."""

HEAVY_WORK_S = 15.0
"""A request estimated at this many seconds of one core or more is heavy too, whatever its memory: in
the server's process it would hold a core and share the interpreter lock with every session for that
long (Reliability at 30 chips of 4 slices: 23 s estimated, 0.7 GB). Illustrative: above every default
and below the tabs' slowest settings (docs/results/admission.md); set `--budget-heavy-seconds`."""

MEMORY_ENV = "EXPLORER_BUDGET_MEMORY_GB"
HEAVY_ENV = "EXPLORER_BUDGET_HEAVY_GB"
HEAVY_WORK_ENV = "EXPLORER_BUDGET_HEAVY_S"
JOBS_ENV = "EXPLORER_BUDGET_JOBS"
WORKERS_ENV = "EXPLORER_BUDGET_WORKERS"
"""``process`` (the default of a server): heavy requests compute in worker processes; ``thread``: in
the budget's threads of the server's process (as before; for comparison)."""
WORKER_MODES = ("process", "thread")
CACHE_KEY = "explorer.admission.budget"


@dataclass(frozen=True)
class Cost:
    """Estimated cost of one request: peak memory in bytes above the session's own, and work in
    seconds of one core of the lab machine (what `explorer.tools.costs` measures)."""

    bytes: int
    work: float
    what: str = ""
    """The setting that makes the request large, as the refusal names it (``"Crossbar size 4096"``)."""


LIGHT = Cost(0, 0.0)
"""The cost of a request too small to count."""


class Refused(Exception):
    """A request larger than the whole budget: the message says why and what is allowed."""


@dataclass
class Request:
    """One heavy request: `run()` computes and shows it; `status(state, text)` tells its session how
    it stands: ``"waiting"`` (text "waiting: N ahead"), ``"running"``, ``"done"``, ``"replaced"`` (a
    newer request of the same key took its place) or ``"refused"`` (text: the reason)."""

    key: object
    cost: Cost
    run: Callable[[], None]
    status: Callable[[str, str], None]
    state: str = "new"


def _quiet(state, text):
    pass


class Budget:
    """The server-wide budget of heavy requests (memory bytes and concurrent jobs) and their queue.

    Thread-safe: `submit` is called from Panel's thread pool and the event loop, the jobs finish in
    their own threads. A status callback is called without the budget's lock held."""

    def __init__(
        self,
        memory_bytes: int,
        jobs: int = DEFAULT_JOBS,
        heavy_bytes: int = HEAVY_BYTES,
        isolate: bool = False,
        heavy_work: float = HEAVY_WORK_S,
    ) -> None:
        if not isinstance(memory_bytes, (int, float)) or memory_bytes <= 0:
            raise ValueError(f"memory_bytes: the budget must be a positive number of bytes, got {memory_bytes!r}")
        if not isinstance(jobs, int) or jobs < 1:
            raise ValueError(f"jobs: at least one heavy request must be allowed to run, got {jobs!r}")
        if not isinstance(heavy_bytes, (int, float)) or heavy_bytes < 0:
            raise ValueError(f"heavy_bytes: must be a number of bytes >= 0, got {heavy_bytes!r}")
        if not isinstance(heavy_work, (int, float)) or not heavy_work > 0:
            raise ValueError(f"heavy_work: must be a positive number of seconds, got {heavy_work!r}")
        self.heavy_work = float(heavy_work)
        if not isinstance(isolate, bool):
            raise ValueError(f"isolate: True (worker processes) or False (threads), got {isolate!r}")
        self.isolate = isolate
        """Whether heavy requests compute in worker processes (`workers`)."""
        self._workers = None
        self.memory_bytes = int(memory_bytes)
        self.jobs = jobs
        self.heavy_bytes = int(heavy_bytes)
        self._lock = threading.Lock()
        self._queue: list[Request] = []  # waiting, in order of arrival
        self._running: list[Request] = []
        self._used = 0
        self.peak_bytes = 0
        """Most bytes of heavy requests running at once so far (estimates)."""
        self.peak_jobs = 0
        """Most heavy requests running at once so far."""

    @classmethod
    def from_environment(cls, environ=None) -> Budget:
        """The budget `analog-explorer` sets (`MEMORY_ENV` and `HEAVY_ENV` in GB, `JOBS_ENV`), else
        the defaults; heavy requests compute in worker processes unless `WORKERS_ENV` says ``thread``."""
        env = os.environ if environ is None else environ
        mode = env.get(WORKERS_ENV, "process")
        if mode not in WORKER_MODES:
            raise ValueError(f"{WORKERS_ENV} must be one of {list(WORKER_MODES)}, got {mode!r}")
        try:
            memory_gb = float(env.get(MEMORY_ENV, DEFAULT_MEMORY_GB))
            heavy_gb = float(env.get(HEAVY_ENV, HEAVY_BYTES / GB))
            heavy_s = float(env.get(HEAVY_WORK_ENV, HEAVY_WORK_S))
            jobs = int(env.get(JOBS_ENV, DEFAULT_JOBS))
        except ValueError as exc:
            raise ValueError(
                f"{MEMORY_ENV} and {HEAVY_ENV} must be numbers of GB, {HEAVY_WORK_ENV} of seconds and "
                f"{JOBS_ENV} an integer: {exc}"
            ) from None
        return cls(int(memory_gb * GB), jobs, int(heavy_gb * GB), isolate=mode == "process", heavy_work=heavy_s)

    @property
    def workers(self):
        """The pool of worker processes heavy requests compute in (`explorer.workers.Workers`, one
        process per job that may run at once), or None when they compute in threads (`isolate`
        False). Created on first use; its processes start with the first heavy request."""
        if not self.isolate:
            return None
        with self._lock:
            if self._workers is None:
                from .workers import Workers

                self._workers = Workers(self.jobs)
            return self._workers

    # -------------------------------------------------------------- questions

    def is_heavy(self, cost: Cost) -> bool:
        """Whether a request of `cost` is admitted against the budget (else it runs at once): its memory
        or its work reaches the heavy threshold (`heavy_bytes`, `heavy_work` seconds)."""
        return cost.bytes >= self.heavy_bytes or cost.work >= self.heavy_work

    def refusal(self, cost: Cost) -> str | None:
        """Why a request of `cost` can never run (larger than the whole budget), or None."""
        if cost.bytes <= self.memory_bytes:
            return None
        what = f"{cost.what} needs" if cost.what else "This request needs"
        return (
            f"Refused: {what} about {cost.bytes / GB:.1f} GB, more than the server's whole budget for "
            f"heavy computations, {self.memory_bytes / GB:.1f} GB (setting --budget-memory-gb of "
            f"analog-explorer). Choose a smaller setting."
        )

    def waiting(self) -> list:
        """Keys of the waiting requests, first in line first."""
        with self._lock:
            return [r.key for r in self._queue]

    def running(self) -> int:
        """Number of heavy requests running now."""
        with self._lock:
            return len(self._running)

    # -------------------------------------------------------------- requests

    def submit(self, key, cost: Cost, run: Callable[[], None], status: Callable[[str, str], None] = _quiet):
        """Run `run()`: at once in this thread if light; else when the budget allows, in a thread of
        its own, after the heavy requests that came before it. A queued request with the same `key`
        is replaced by this one. A request above the whole budget is refused (``status("refused",
        reason)``) and `Refused` raised. Returns the `Request` (None for a light one)."""
        if not self.is_heavy(cost):
            run()
            return None
        reason = self.refusal(cost)
        if reason is not None:
            status("refused", reason)
            raise Refused(reason)
        request = Request(key, cost, run, status)
        with self._lock:
            replaced = [r for r in self._queue if r.key == key]
            self._queue = [r for r in self._queue if r.key != key] + [request]
            for r in replaced:
                r.state = "replaced"
            started, told = self._dispatch()
        for r in replaced:
            r.status("replaced", "replaced by a newer request")
        self._tell(started, told)
        return request

    def _dispatch(self):
        """Start the requests at the head of the queue that fit (lock held); returns those started and
        the waiting ones with their positions (told after the lock is released)."""
        started = []
        while self._queue and len(self._running) < self.jobs:
            head = self._queue[0]
            if self._used + head.cost.bytes > self.memory_bytes:
                break  # first come, first served: nobody overtakes the head of the line
            self._queue.pop(0)
            self._running.append(head)
            self._used += head.cost.bytes
            head.state = "running"
            started.append(head)
        self.peak_bytes = max(self.peak_bytes, self._used)
        self.peak_jobs = max(self.peak_jobs, len(self._running))
        told = []
        for ahead, r in enumerate(self._queue):
            text = f"waiting: {ahead} ahead"
            if r.state != text:
                r.state = text
                told.append((r, text))
        return started, told

    def _tell(self, started, told):
        for r, text in told:
            r.status("waiting", text)
        for r in started:
            threading.Thread(target=self._job, args=(r,), name="explorer-heavy", daemon=True).start()

    def _job(self, request):
        try:
            request.status("running", "running")
            request.run()
        except Exception:  # logged; the budget's share is returned below and the queue goes on
            log.exception("heavy request %r failed", request.key)
        finally:
            with self._lock:
                self._running.remove(request)
                self._used -= request.cost.bytes
                request.state = "done"
                started, told = self._dispatch()
            request.status("done", "")
            self._tell(started, told)


def server_budget() -> Budget:
    """The server's one budget, kept in ``pn.state.cache`` (created there once, from the environment:
    `Budget.from_environment`). ``dict.setdefault`` is atomic, so two sessions starting at once
    share the same budget."""
    import panel as pn

    budget = pn.state.cache.get(CACHE_KEY)
    if budget is None:
        budget = pn.state.cache.setdefault(CACHE_KEY, Budget.from_environment())
    return budget
