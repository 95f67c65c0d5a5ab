"""Heavy computations in worker processes, so that they do not slow the other sessions of the server.

Why a process and not a thread: a heavy request admitted by the budget (`explorer.admission`) used
to compute in a thread of the server's own process. Its NumPy and Python parts then share the
interpreter lock with the event loop that serves every other session (their pages, their messages,
their light updates), and on a two-core machine its Numba and NumPy parts take one core while the
sessions' thread pool and the event loop share the other (docs/results/admission.md measures it).
In a worker process of lower priority (`NICE`) the heavy job shares no lock with the server, and the
operating system gives the server's threads the cores first.

How: the dashboard sends a `Job` (its view class's import path, its tab and its settings as scenario
JSON, `explorer.models.scenario`) to a worker; the worker builds the same explorer and view (not
served) at those settings, computes every chart once, and returns a `Harvest`: the results the
charts were drawn from (the view's `ResultMemo`, the results shared between sessions, the explorer's
kept plain-data results such as its outputs). The dashboard stores them (`seed`) and then computes
its charts in its own process as for a light update: every heavy result is found there, so what
remains is the cheap part (histograms, titles) and the numbers are those the worker computed, equal
to an in-process computation at the same settings and seed (tests/test_workers.py checks it).

Trust: the worker's results come back pickled, from our own child process only (never from a
page or an upload); the job sent to it is an import path that must lie under ``explorer.views``,
a tab name of `scenario.TABS` and scenario JSON, checked by `scenario.parse` as an uploaded file is.
"""

from __future__ import annotations

import concurrent.futures
import gc
import importlib
import multiprocessing
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

NICE = 10
"""Niceness added to a worker process (`os.nice`): the server's own threads get the cores first.
Illustrative: any positive value lowers the worker's share when the cores are busy."""

TRANSFER_BYTES = 64 * 2**20
"""Largest kept result of an explorer (its own memo) sent back from a worker: plot data and read
outputs are far smaller; a protocol matrix at 4096 (128 MB) is not needed by the charts and stays."""

VIEWS_PACKAGE = "explorer.views."


@dataclass(frozen=True)
class Job:
    """What a worker computes: the dashboard `view` (``"module:Class"`` under ``explorer.views``) of
    tab `tab` (a `scenario.TABS` name) at `settings` (scenario JSON of that tab, `scenario.to_json`)."""

    view: str
    tab: str
    settings: str


@dataclass
class Harvest:
    """A worker's results for one `Job`, as the dashboard stores them (`seed`)."""

    results: list = field(default_factory=list)
    """``(kind, values, result)`` of the view's `ResultMemo` (plot data by the settings they read)."""
    shared: list = field(default_factory=list)
    """``(key, result)`` of the results shared between sessions (`SharedResults`)."""
    model: list = field(default_factory=list)
    """``(name, args, result)`` of the explorer's kept plain-data results up to `TRANSFER_BYTES`."""
    peak_bytes: int = 0
    """The worker's peak resident memory during the job above its resident memory before (bytes;
    Linux's VmHWM after resetting it; 0 where not available)."""
    seconds: float = 0.0
    """Seconds the worker computed."""


def job_for(view) -> Job:
    """The `Job` that computes `view`'s charts at its model's current settings."""
    from .models import scenario

    cls = type(view)
    tab = scenario.tab_of(view.model)
    return Job(f"{cls.__module__}:{cls.__qualname__}", tab, scenario.to_json({tab: view.model}, [tab]))


def _view_class(path: str):
    module, _, name = path.partition(":")
    if not module.startswith(VIEWS_PACKAGE) or not name.isidentifier():
        raise ValueError(f"view: must be 'explorer.views.<module>:<Class>', got {path!r}")
    cls = getattr(importlib.import_module(module), name)
    from .views._live import LiveDashboard

    if not (isinstance(cls, type) and issubclass(cls, LiveDashboard)):
        raise ValueError(f"view: {path!r} is not a dashboard (LiveDashboard)")
    return cls


def _plain(value: Any) -> bool:
    """Whether `value` is data only (arrays, numbers, strings, and tuples, lists and dicts of them):
    what may travel back from a worker (a programmed crossbar object holds locks and stays)."""
    if value is None or isinstance(value, (bool, int, float, str, np.ndarray, np.generic)):
        return True
    if isinstance(value, (tuple, list)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(_plain(k) and _plain(v) for k, v in value.items())
    return False


def _reset_peak() -> int:
    """Reset Linux's peak resident memory of this process (VmHWM) and return the resident memory now
    (bytes; 0 where /proc is not available)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return 0
    return _status_bytes("VmRSS")


def _status_bytes(field_name: str) -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def compute(job: Job) -> Harvest:
    """Build `job`'s explorer and view at its settings (not served, no budget), compute every chart
    once and return what they were drawn from. Runs in a worker process; in-process in the tests."""
    from .models import scenario
    from .views._widgets import shared_results

    before = _reset_peak()
    started = time.perf_counter()
    cls = _view_class(job.view)
    if job.tab not in scenario.TABS:
        raise ValueError(f"tab: unknown tab {job.tab!r}; allowed: {list(scenario.TABS)}")
    model = scenario.TABS[job.tab]()
    scenario.apply(scenario.parse(job.settings), {job.tab: model})
    view = cls(model=model)
    view._build()  # computes every chart shown at these settings (no budget: at once, here)
    from .models._internal.memo import nbytes

    out = Harvest(
        results=view.results.memo.kept(),
        shared=[(args, value) for _, args, value in shared_results().memo.kept()],
        model=[
            (name, args, value)
            for name, args, value in model.memo.kept()
            if _plain(value) and nbytes(value) <= TRANSFER_BYTES
        ],
        seconds=time.perf_counter() - started,
    )
    if before:
        out.peak_bytes = max(0, _status_bytes("VmHWM") - before)
    return out


def seed(view, harvest: Harvest) -> None:
    """Store a worker's results where `view` looks for them (its `ResultMemo`, the shared results,
    its explorer's memo), so that computing its charts at the job's settings finds every one."""
    from .views._widgets import shared_results

    for kind, values, value in harvest.results:
        view.results.memo.put(kind, values, value)
    shared = shared_results().memo
    for key, value in harvest.shared:
        shared.put("shared", key, value)
    for name, args, value in harvest.model:
        view.model.memo.put(name, args, value)


def _release() -> None:
    """Give the memory of the finished job back to the system (the worker waits for the next one)."""
    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _run_in_worker(job: Job) -> Harvest:
    from .views._widgets import shared_results

    try:
        return compute(job)
    finally:
        shared_results().memo.clear()  # a worker keeps nothing between jobs: the server keeps the results
        _release()


def _start_worker() -> None:
    """Initializer of a worker process: lower its priority and load the dashboards once."""
    try:
        os.nice(NICE)
    except OSError:
        pass
    importlib.import_module("explorer.views")


class Workers:
    """A pool of `size` worker processes (spawned, so that no lock held by a server thread is copied
    into them), started on the first heavy job and kept for the next; `run(job)` blocks the calling
    thread (one of the budget's) until the job's `Harvest` comes back. A worker that dies (killed for
    its memory, say) fails its job with RuntimeError and the pool is started again for the next."""

    def __init__(self, size: int = 1) -> None:
        if not isinstance(size, int) or size < 1:
            raise ValueError(f"size: at least one worker process, got {size!r}")
        self.size = size
        self._lock = threading.Lock()
        self._pool = None
        self.started = 0
        """Pools started so far (a new one after a worker died)."""

    def _executor(self):
        with self._lock:
            if self._pool is None:
                self._pool = concurrent.futures.ProcessPoolExecutor(
                    max_workers=self.size,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker,
                )
                self.started += 1
            return self._pool

    def run(self, job: Job) -> Harvest:
        """`compute(job)` in a worker process; its `Harvest`."""
        pool = self._executor()
        try:
            return pool.submit(_run_in_worker, job).result()
        except concurrent.futures.process.BrokenProcessPool as exc:
            with self._lock:
                if self._pool is pool:
                    self._pool = None
            pool.shutdown(wait=False, cancel_futures=True)
            raise RuntimeError(f"the worker process computing the heavy request ended: {exc}") from None

    def pids(self) -> list[int]:
        """Process ids of the running workers (none before the first job)."""
        pool = self._pool
        return [] if pool is None else list(getattr(pool, "_processes", {}) or {})

    def close(self) -> None:
        """Stop the workers."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
