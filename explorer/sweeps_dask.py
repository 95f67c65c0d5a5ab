"""Sweeps on Dask (issue 27, item 2): the points of a sweep (`explorer.models.sweeps`) computed as
independent tasks on a `dask.distributed` cluster, their results streamed back as they finish.

    with Engine() as engine:                       # a LocalCluster sized to the machine, on first use
        run = SweepRun(sweep, engine, cache=PointCache("cache.jsonl"))
        run.start()                                # in a thread; run.run() blocks instead
        ...                                        # run.results grows; run.cancel() stops it
        run.join()

`Engine(address)` (or the environment variable `SCHEDULER_ENV`) uses the cluster whose scheduler
is at that address instead; an address that does not answer raises `SchedulerError` within
`CONNECT_TIMEOUT_S` (plus the time to report it).

Each point is one task, `explorer.models.sweeps.compute_point` of the sweep and the point: its seed
comes from the sweep's seed and its settings only (`point_seed`), so the numbers are the same on one
worker or twenty, in any order, and equal to `run_serial`'s. A worker that dies mid-task is
Dask's to handle (the scheduler gives its tasks to another worker). An exception raised by a point's
computation is recorded on that point (`PointResult.error`, with its settings) and the others go
on. Finished points are kept by their settings (`PointCache`, in memory and optionally in a file):
a run computes only the points its cache lacks, so an enlarged grid, or a run after a cancel
(resume), computes only what is missing. Failed points are not kept: a later run tries them again.
"""

from __future__ import annotations

import json
import math
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from .models.sweeps import MetricValue, PointResult, Sweep, compute_point, point_key, point_seed

SCHEDULER_ENV = "ANALOG_EXPLORER_SCHEDULER"
"""The environment variable naming a scheduler's address (``tcp://host:8786``) to run sweeps on."""
CONNECT_TIMEOUT_S = 4.0
"""How long to wait for a scheduler to answer before `SchedulerError` (the issue's bound is 5 s:
this leaves a second for `distributed`'s import and the report)."""
WORKER_ENV = MappingProxyType({"NUMBA_NUM_THREADS": "1"})
"""The environment of the local cluster's workers: one Numba thread each, as one worker per core
already fills the cores (a parallel kernel's team on top would oversubscribe them; the numbers do
not change: `docs/decisions/serial-parallel-kernel-twins.md`). A lab's workers set it too
(docs/how-to/sweeps.md)."""
POLL_S = 0.1
"""How often a run looks at its cancel flag while it waits for results (cancel acts within this)."""


class SchedulerError(RuntimeError):
    """A scheduler that cannot be reached, or an address that is not one."""


def scheduler_address(option: str | None = None, environ: Mapping[str, str] | None = None) -> str | None:
    """The scheduler to use: `option` if given, else `SCHEDULER_ENV` from `environ` (default: this
    process's environment), else None (a local cluster)."""
    env = os.environ if environ is None else environ
    address = option if option else env.get(SCHEDULER_ENV, "")
    return address.strip() or None


def local_workers() -> int:
    """Workers of the default local cluster: one per core this process may run on (one thread each:
    the points are CPU-bound Python and Numba; processes sidestep the interpreter lock)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def connect(address: str, timeout: float = CONNECT_TIMEOUT_S):
    """A `distributed.Client` of the scheduler at `address`, or `SchedulerError` within `timeout`
    seconds (after `distributed` is imported): an address that is not one, a port where nothing
    listens or a host that does not answer (a TCP connection tried first, at most half the time),
    and a server that does not answer as a scheduler does (the client's handshake, in a thread
    that is given the rest of the time)."""
    from distributed import Client
    from distributed.comm import parse_address, parse_host_port

    start = time.monotonic()
    hint = f"start one with `dask scheduler`, or leave the address (and {SCHEDULER_ENV}) empty for a local cluster"
    try:
        protocol, location = parse_address(address)
        host, port = parse_host_port(location)
    except (ValueError, TypeError) as exc:
        raise SchedulerError(f"scheduler {address!r}: not an address such as tcp://host:8786 ({exc})") from None
    if protocol not in ("tcp", "tls"):
        raise SchedulerError(f"scheduler {address!r}: protocol {protocol!r}; allowed: tcp, tls")
    try:
        with socket.create_connection((host, port), timeout=timeout / 2):
            pass
    except OSError as exc:
        waited = time.monotonic() - start
        raise SchedulerError(f"scheduler {address}: not reachable after {waited:.1f} s ({exc}); {hint}") from None
    box: dict[str, Any] = {}

    def handshake():
        try:
            box["client"] = Client(
                address, timeout=max(0.5, timeout - (time.monotonic() - start)), set_as_default=False
            )
        except BaseException as exc:  # reported below, in the caller's thread
            box["error"] = exc
        if box.pop("abandoned", False) and "client" in box:
            box["client"].close()

    thread = threading.Thread(target=handshake, name="dask-connect", daemon=True)
    thread.start()
    thread.join(max(0.0, timeout - (time.monotonic() - start)))
    if "client" in box:
        return box["client"]
    box["abandoned"] = True
    waited = time.monotonic() - start
    why = box.get("error")
    why = f"{type(why).__name__}: {why}" if why is not None else "no answer from a Dask scheduler"
    raise SchedulerError(f"scheduler {address}: no Dask scheduler answered within {waited:.1f} s ({why}); {hint}")


def lower_priority(pids, nice: int) -> None:
    """Raise by `nice` the niceness of every thread of the processes `pids` (Linux: each thread has
    its own; threads started later inherit their creator's). A process may lower its own priority
    (a worker does, `explorer.sweeps_worker.LowerPriority`) or its children's; a thread that ended
    meanwhile is skipped."""
    for pid in pids:
        try:
            tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
        except OSError:  # not Linux: the whole process
            tids = [pid]
        for tid in tids:
            try:
                os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + nice))
            except OSError:
                pass


class Engine:
    """A Dask client for sweeps: connected to the scheduler at `address`, or to a `LocalCluster` of
    `n_workers` single-threaded worker processes (default `local_workers`) that it starts on first
    use and stops on `close`. `dashboard` is the local cluster's dashboard address (":0": any free
    port; None: none). `nice` (0 to 19) is added to the local workers' niceness once they start,
    every thread of them included: a served app's sweeps then take only the cores its sessions leave
    idle (`explorer.views.sweeps.engine_for`); a remote cluster's workers are the lab's to set."""

    def __init__(
        self,
        address: str | None = None,
        n_workers: int | None = None,
        dashboard: str | None = ":0",
        nice: int = 0,
    ) -> None:
        if address is not None and (not isinstance(address, str) or not address.strip()):
            raise SchedulerError(f"address: give a scheduler address such as tcp://host:8786, got {address!r}")
        if n_workers is not None and (isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1):
            raise ValueError(f"n_workers must be a positive integer, got {n_workers!r}")
        if isinstance(nice, bool) or not isinstance(nice, int) or not 0 <= nice <= 19:
            raise ValueError(f"nice must be an integer from 0 to 19, got {nice!r}")
        self.nice = nice
        self.address = address.strip() if address else None
        self.n_workers = n_workers
        self.dashboard = dashboard
        self._client = None
        self._cluster = None
        self._lock = threading.Lock()

    def client(self):
        """The `distributed.Client` (connecting, or starting the local cluster, on first call)."""
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def _connect(self):
        from distributed import Client, LocalCluster

        if self.address is None:
            self._cluster = LocalCluster(
                n_workers=self.n_workers or local_workers(),
                threads_per_worker=1,
                processes=True,
                env=dict(WORKER_ENV),
                **(
                    {"dashboard_address": self.dashboard}
                    if self.dashboard
                    else {"scheduler_kwargs": {"dashboard": False}}
                ),
            )
            client = Client(self._cluster, set_as_default=False)
            if self.nice:
                from .sweeps_worker import LowerPriority

                client.register_plugin(LowerPriority(self.nice))  # in each worker, restarted ones too
            return client
        return connect(self.address)

    @property
    def dashboard_link(self) -> str:
        """The Dask dashboard of the cluster ("" if it has none or is not started)."""
        if self._client is None:
            return ""
        return getattr(self._client, "dashboard_link", "") or ""

    def close(self) -> None:
        """Close the client, and the local cluster if this engine started it."""
        with self._lock:
            client, cluster, self._client, self._cluster = self._client, self._cluster, None, None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


# ------------------------------------------------------------------ the cache


def result_to_json(result: PointResult) -> dict[str, Any]:
    """A point's result as a JSON object (nan as null), without its index (a point's place differs
    from sweep to sweep)."""

    def num(x):
        return None if math.isnan(x) else x

    return {
        "point": dict(result.point),
        "seed": result.seed,
        "seconds": result.seconds,
        "rows": [[r.metric, num(r.time_s), num(r.value), num(r.ci95), r.unit] for r in result.rows],
    }


def result_from_json(obj: Mapping[str, Any], index: int) -> PointResult:
    """The `PointResult` of `result_to_json`'s object, at `index`."""

    def num(x):
        return math.nan if x is None else float(x)

    rows = tuple(MetricValue(m, num(t), num(v), num(c), u) for m, t, v, c, u in obj["rows"])
    return PointResult(index, MappingProxyType(dict(obj["point"])), int(obj["seed"]), rows, "", float(obj["seconds"]))


class PointCache:
    """Finished points by their key (`explorer.models.sweeps.point_key`: the point's settings, chips,
    seed, metrics and times), in memory, and appended to the JSON-lines file `path` if given (read
    back when the cache is made: a later process resumes from it). Thread-safe."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = os.fspath(path) if path is not None else None
        self._entries: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        if self.path is not None and os.path.exists(self.path):
            with open(self.path, encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    if not line.strip():
                        continue
                    try:
                        entry = json.loads(line)
                        self._entries[entry["key"]] = entry["result"]
                    except (ValueError, KeyError, TypeError) as exc:
                        raise ValueError(f"cache file {self.path}, line {n}: not a cache entry ({exc})") from None

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str, index: int) -> PointResult | None:
        """The kept result of `key` as the point at `index`, or None."""
        with self._lock:
            entry = self._entries.get(key)
        return None if entry is None else result_from_json(entry, index)

    def put(self, key: str, result: PointResult) -> None:
        """Keep a finished point's result (a failed one is not kept)."""
        if result.error:
            return
        entry = result_to_json(result)
        with self._lock:
            self._entries[key] = entry
            if self.path is not None:
                with open(self.path, "a", encoding="utf-8") as f:
                    f.write(json.dumps({"key": key, "result": entry}, allow_nan=False) + "\n")


# ------------------------------------------------------------------ a run


class SweepRun:
    """One run of `sweep` on `engine`: the points `cache` lacks, submitted as Dask tasks, their
    results collected as they complete (`results`, index -> `PointResult`; `on_result(result)`
    called for each, cached ones first, on the run's thread).

    `compute` is the task's function, ``compute(sweep, point, index) -> PointResult``
    (`compute_point`; a wrapper of it must keep its signature and be picklable). `cancel()` stops
    the run: the tasks not finished are cancelled (the scheduler starts none of them after that),
    the finished points stay in `results` and the cache, and a new run with the same cache computes
    only the rest."""

    def __init__(
        self,
        sweep: Sweep,
        engine: Engine,
        cache: PointCache | None = None,
        on_result: Callable[[PointResult], None] | None = None,
        compute: Callable[[Sweep, Mapping[str, Any], int], PointResult] = compute_point,
    ) -> None:
        if not isinstance(sweep, Sweep):
            raise TypeError(f"sweep must be a Sweep (explorer.models.sweeps.parse), got {type(sweep).__name__}")
        self.sweep = sweep
        self.engine = engine
        self.cache = cache if cache is not None else PointCache()
        self.on_result = on_result
        self.compute = compute
        self.points = sweep.points()
        self.keys = [point_key(sweep, p) for p in self.points]
        self.results: dict[int, PointResult] = {}
        self.computed = 0
        """Points computed by this run (the rest of `results` came from the cache or failed)."""
        self.cached: set[int] = set()
        """The indices of the points whose result came from the cache."""
        self.cancelled = False
        self.error: BaseException | None = None
        """What stopped the run itself (the scheduler lost, say), if anything did."""
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = time.monotonic()

    @property
    def total(self) -> int:
        return len(self.points)

    @property
    def done(self) -> int:
        """Points with a result (computed, cached or failed)."""
        return len(self.results)

    def failed(self) -> list[PointResult]:
        """The points whose computation raised, in point order."""
        return [r for _, r in sorted(self.results.items()) if r.error]

    def seconds_left(self) -> float:
        """Estimated seconds to the end: the time per point computed so far times the points left
        (nan before the first computed point)."""
        if self.computed == 0:
            return math.nan
        return (time.monotonic() - self._started) / self.computed * (self.total - self.done)

    def start(self) -> None:
        """Run in a background thread (`join` waits for it)."""
        if self._thread is not None:
            raise RuntimeError("this run has started already; make a new SweepRun to run again")
        self._thread = threading.Thread(target=self._run_guarded, name="sweep-run", daemon=True)
        self._thread.start()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the run's thread; whether it has ended."""
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    def cancel(self) -> None:
        """Stop the run: no further point starts; the run's loop notices within `POLL_S`."""
        self._cancel.set()

    def run(self) -> dict[int, PointResult]:
        """Run in this thread to the end (or the cancel); the results by point index."""
        if self._thread is None:
            self._thread = threading.current_thread()
        self._run()
        return self.results

    def _run_guarded(self) -> None:
        try:
            self._run()
        except BaseException as exc:  # kept for the caller: a thread's exception is otherwise lost
            self.error = exc

    def _record(self, result: PointResult) -> None:
        self.results[result.index] = result
        if self.on_result is not None:
            self.on_result(result)

    def _run(self) -> None:
        from distributed import as_completed

        self._started = time.monotonic()
        missing = []
        for i, key in enumerate(self.keys):
            kept = self.cache.get(key, i)
            if kept is not None:
                self.cached.add(i)
                self._record(kept)
            else:
                missing.append(i)
        if not missing or self._cancel.is_set():
            self.cancelled = self._cancel.is_set() and bool(missing)
            return
        client = self.engine.client()
        run_id = uuid.uuid4().hex[:8]
        futures = {}
        for i in missing:
            if self._cancel.is_set():  # a large sweep takes a while to submit
                break
            f = client.submit(self.compute, self.sweep, self.points[i], i, key=f"sweep-point-{i}-{run_id}", pure=False)
            futures[f] = i
        pending = set(futures)
        arriving = as_completed(list(futures), loop=client.loop)
        try:
            while pending:
                if self._cancel.is_set():
                    break
                ready = arriving.next_batch(block=False)
                if not ready:
                    self._cancel.wait(POLL_S)
                    continue
                for f in ready:
                    pending.discard(f)
                    self._collect(f, futures[f])
        finally:
            if pending:
                arriving.clear()
                client.cancel(list(pending))
            self.cancelled = self._cancel.is_set() and len(self.results) < self.total

    def _collect(self, future, index: int) -> None:
        try:
            result = future.result()
        except Exception as exc:  # the point's own failure: recorded on it, the others go on
            point = self.points[index]
            seed = point_seed(self.sweep.seed, point)
            result = PointResult(index, _readonly(point), seed, (), error=f"{type(exc).__name__}: {exc}")
        else:
            self.computed += 1
            self.cache.put(self.keys[index], result)
        self._record(result)


def _readonly(point):
    return MappingProxyType(dict(point))


def run_sweep(
    sweep: Sweep,
    engine: Engine,
    cache: PointCache | None = None,
    on_result: Callable[[PointResult], None] | None = None,
) -> list[PointResult]:
    """Every point of `sweep` on `engine` (`SweepRun.run`), in point order."""
    run = SweepRun(sweep, engine, cache, on_result)
    return [r for _, r in sorted(run.run().items())]


# ------------------------------------------------------------------ the table


def write_table(rows: Sequence[Mapping[str, Any]], path: str | os.PathLike[str]) -> None:
    """Write the tidy rows (`explorer.models.sweeps.tidy_rows`) to `path`: Parquet (``.parquet``,
    with pyarrow) or CSV (``.csv``). A column holding values of several types (an ADC setting
    "ideal" or 8) is written as text."""
    path = os.fspath(path)
    if not rows:
        raise ValueError("rows: nothing to write (no point has a result)")
    columns = list(rows[0])
    if path.endswith(".parquet"):
        import pyarrow as pa
        import pyarrow.parquet as pq

        data = {c: _column([r[c] for r in rows]) for c in columns}
        pq.write_table(pa.table(data), path)
    elif path.endswith(".csv"):
        import csv

        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    else:
        raise ValueError(f"out: {path!r} must end in .parquet or .csv")


def _column(values: list[Any]) -> list[Any]:
    kinds = {type(v) for v in values if v is not None}
    if len(kinds) <= 1 or kinds <= {int, float}:
        return values
    return [None if v is None else json.dumps(v) if not isinstance(v, str) else v for v in values]


__all__ = [
    "CONNECT_TIMEOUT_S",
    "SCHEDULER_ENV",
    "Engine",
    "PointCache",
    "SchedulerError",
    "SweepRun",
    "local_workers",
    "result_from_json",
    "result_to_json",
    "run_sweep",
    "scheduler_address",
    "write_table",
]
