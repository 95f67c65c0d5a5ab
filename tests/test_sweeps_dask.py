"""Sweeps on Dask (issue 27, items 2 and 4): a LocalCluster of two worker processes gives the serial
numbers; a scheduler and two workers started as separate processes (`dask scheduler`, `dask
worker`) lose no point when one worker is killed mid-sweep; cancel stops within a second and a
resume computes only what is missing; a point's exception stays on that point; an unreachable
scheduler is reported within 5 s; the command line end to end."""

import json
import math
import os
import pathlib
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from explorer.models.sweeps import compute_point, parse, run_serial, tidy_rows
from explorer.sweeps_dask import (
    SCHEDULER_ENV,
    Engine,
    PointCache,
    SchedulerError,
    SweepRun,
    connect,
    scheduler_address,
    write_table,
)

ROOT = pathlib.Path(__file__).resolve().parents[1]
DASK = pathlib.Path(sys.executable).parent / "dask"
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")]))}

SWEEP = {
    "format": "analog-explorer-sweep",
    "version": 1,
    "seed": 2,
    "chips": 2,
    "metrics": ["rel.accuracy", "xb.mvm_error"],
    "times": ["1 h", "1 y"],
    "base": {"xb": {"size": 16, "batch": 4}},
    "grid": {
        "rel.technology": ["PCM", "RRAM", "Flash"],
        "rel.n_slices": [1, 2],
        "rel.compensation": ["none", "global"],
        "xb.xb.adc_bits": [6, 8],
    },
}
"""24 points of about 0.1 s each (the Reliability tab's accuracy on 2 chips, a 16 x 16 crossbar)."""


@pytest.fixture(scope="module")
def sweep():
    return parse(SWEEP)


@pytest.fixture(scope="module")
def serial(sweep):
    return run_serial(sweep)


@pytest.fixture(scope="module")
def engine():
    with Engine(n_workers=2, dashboard=None) as e:
        e.client().wait_for_workers(2, timeout=60)
        yield e


def same(results, reference):
    assert sorted(results) == list(range(len(reference)))
    bad = [i for i, r in enumerate(reference) if not results[i].same_numbers(r)]
    assert not bad, f"points differing from the serial run: {bad}"


def test_localcluster_of_two_workers_gives_the_serial_numbers(sweep, serial, engine):
    assert sweep.size() >= 24
    arrived = []
    run = SweepRun(sweep, engine, on_result=lambda r: arrived.append(r.index))
    results = run.run()
    assert run.computed == 24 and not run.failed() and not run.cancelled
    same(results, serial)
    assert sorted(arrived) == list(range(24))
    workers = {w for w in engine.client().scheduler_info()["workers"]}
    assert len(workers) == 2
    # one Numba thread per worker process (WORKER_ENV): two processes already fill two cores
    threads = engine.client().run(lambda: __import__("os").environ.get("NUMBA_NUM_THREADS"))
    assert set(threads.values()) == {"1"}


def test_an_enlarged_grid_computes_only_the_new_points(sweep, serial, engine, tmp_path):
    smaller = parse({**SWEEP, "grid": {**SWEEP["grid"], "rel.technology": ["PCM", "RRAM"]}})
    cache = PointCache(tmp_path / "cache.jsonl")
    first = SweepRun(smaller, engine, cache)
    first.run()
    assert first.computed == 16
    # a new process reads the cache file: the enlarged grid computes only Flash's 8 points
    second = SweepRun(sweep, engine, PointCache(tmp_path / "cache.jsonl"))
    results = second.run()
    assert second.computed == 8 and len(second.cached) == 16
    assert {sweep.points()[i]["rel.technology"] for i in second.cached} == {"PCM", "RRAM"}
    same(results, serial)


def slow(log_path, delay):
    """A task function that logs when each point starts, then computes it after `delay` seconds."""

    def compute(sweep, point, index):
        with open(log_path, "a") as f:
            f.write(f"{index} {time.time()!r}\n")
        time.sleep(delay)
        return compute_point(sweep, point, index)

    return compute


def test_cancel_stops_within_a_second_and_resume_computes_only_the_rest(sweep, serial, engine, tmp_path):
    log = tmp_path / "starts.txt"
    cache = PointCache()
    run = SweepRun(sweep, engine, cache, compute=slow(str(log), 0.4))
    run.start()
    deadline = time.monotonic() + 60
    while run.done < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert run.done >= 4
    cancelled_at = time.time()
    run.cancel()
    assert run.join(1.0), "the run did not stop within 1 s of cancel"
    assert run.cancelled and run.error is None
    kept = dict(run.results)
    assert 4 <= len(kept) < 24
    time.sleep(2.0)  # the points running at the cancel finish; no new one may start
    starts = [tuple(line.split()) for line in log.read_text().splitlines()]
    late = [int(i) for i, t in starts if float(t) > cancelled_at + 1.0]
    assert not late, f"points started more than 1 s after the cancel: {late}"
    assert len(cache) == len(kept)

    resume = SweepRun(sweep, engine, cache)
    results = resume.run()
    assert resume.computed == 24 - len(kept) and resume.cached == set(kept)
    same(results, serial)


def failing(bad_index):
    def compute(sweep, point, index):
        if index == bad_index:
            raise ValueError(f"no model for point {index}")
        return compute_point(sweep, point, index)

    return compute


def test_a_points_exception_is_recorded_on_it_and_the_others_go_on(sweep, serial, engine):
    run = SweepRun(sweep, engine, compute=failing(5))
    results = run.run()
    assert [r.index for r in run.failed()] == [5]
    bad = results[5]
    assert bad.error == "ValueError: no model for point 5" and not bad.rows
    assert dict(bad.point) == sweep.points()[5] and bad.seed == serial[5].seed
    assert all(results[i].same_numbers(serial[i]) for i in range(24) if i != 5)
    assert len(run.cache) == 23  # a failed point is not kept: a resume tries it again


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_scheduler_is_reported_within_5_s():
    import distributed  # noqa: F401 -- imported before the clock starts

    address = f"tcp://127.0.0.1:{free_port()}"
    start = time.monotonic()
    with pytest.raises(SchedulerError, match=f"scheduler {address}: not reachable") as err:
        Engine(address).client()
    assert time.monotonic() - start < 5.0
    assert "dask scheduler" in str(err.value)

    # a port that accepts connections and never answers: the handshake is abandoned in time
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        start = time.monotonic()
        with pytest.raises(SchedulerError, match="no Dask scheduler answered"):
            connect(address)
        assert time.monotonic() - start < 5.0

    with pytest.raises(SchedulerError, match="not an address"):
        Engine("tcp://::1::").client()


def test_scheduler_address_option_then_environment():
    assert scheduler_address("tcp://a:1", {SCHEDULER_ENV: "tcp://b:2"}) == "tcp://a:1"
    assert scheduler_address(None, {SCHEDULER_ENV: " tcp://b:2 "}) == "tcp://b:2"
    assert scheduler_address(None, {}) is None
    assert scheduler_address("", {SCHEDULER_ENV: ""}) is None


def start(args, log, env=None):
    return subprocess.Popen(
        args, env={**ENV, **(env or {})}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


@pytest.fixture
def lab(tmp_path):
    """A scheduler and two single-threaded workers, each a separate process started with the
    `dask` command as docs/how-to/sweeps.md shows; the workers without a nanny, so that killing
    one ends it for good. Yields (address, {worker address: process})."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = [open(tmp_path / f"{name}.log", "w") for name in ("scheduler", "worker0", "worker1")]
    procs = [start([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], logs[0])]
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        for log in logs[1:]:
            procs.append(
                start(
                    [str(DASK), "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard"]
                    + ["--host", "127.0.0.1"],
                    log,
                    {"NUMBA_NUM_THREADS": "1"},
                )
            )
        yield address, procs
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        for log in logs:
            log.close()


def test_separate_scheduler_and_workers_lose_no_point_when_a_worker_dies(sweep, serial, lab, tmp_path):
    address, procs = lab
    with Engine(address) as engine:
        client = engine.client()
        client.wait_for_workers(2, timeout=60)
        pids = client.run(os.getpid)  # worker address -> its process id
        assert sorted(pids.values()) == sorted(p.pid for p in procs[1:])
        run = SweepRun(sweep, engine, compute=slow(str(tmp_path / "starts.txt"), 0.3))
        run.start()
        deadline = time.monotonic() + 60
        busy = {}
        while time.monotonic() < deadline and not busy:
            if run.done >= 2:
                busy = {w: keys for w, keys in client.processing().items() if keys}
            time.sleep(0.05)
        assert busy, "no worker was processing a point"
        victim = next(iter(busy))
        os.kill(pids[victim], signal.SIGKILL)
        killed_at = run.done
        assert run.join(120)
        assert run.error is None and not run.failed()
        assert killed_at < 24
        same(run.results, serial)
        assert len(client.scheduler_info()["workers"]) == 1


def test_command_line_end_to_end(tmp_path, engine):
    """The command against the LocalCluster's scheduler (as a lab's, by its address: no second
    cluster started here), then a bad file and an unreachable scheduler."""
    small = {**SWEEP, "grid": {"rel.technology": ["PCM", "RRAM"], "rel.compensation": ["none", "global"]}}
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps(small))
    out = tmp_path / "results.parquet"
    cmd = [sys.executable, "-m", "explorer.tools.sweep", str(path), "--out", str(out)]
    env = {**ENV, SCHEDULER_ENV: engine.client().scheduler.address}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert lines[0].split()[:3] == ["point", "rel.technology", "rel.compensation"]
    assert len(lines) == 1 + 4
    assert "[4/4]" in done.stderr

    import pyarrow.parquet as pq

    table = pq.read_table(out).to_pylist()
    assert len(table) == 4 * 3  # four points: accuracy at two times, the MVM error
    reference = {p: compute_point(parse(small), pt, p) for p, pt in enumerate(parse(small).points())}
    for row in table:
        want = next(
            r
            for r in reference[row["point"]].rows
            if r.metric == row["metric"] and (r.time_s == row["time_s"] or math.isnan(r.time_s))
        )
        assert row["value"] == want.value and row["ci95"] == want.ci95

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**small, "grid": {"rel.technology": ["PCM", "MRAM"]}}))
    done = subprocess.run(
        [sys.executable, "-m", "explorer.tools.sweep", str(bad)], env=ENV, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2 and 'grid.rel.technology[1]: this version has no "MRAM"' in done.stderr

    begin = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "explorer.tools.sweep", str(path), "--scheduler", f"tcp://127.0.0.1:{free_port()}"],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "not reachable" in done.stderr
    assert time.monotonic() - begin < 15  # the interpreter's start and imports, then the 5 s bound


def test_a_run_in_a_thread_reports_a_lost_scheduler_instead_of_hanging(sweep):
    run = SweepRun(sweep, Engine(f"tcp://127.0.0.1:{free_port()}"))
    run.start()
    assert run.join(10)
    assert isinstance(run.error, SchedulerError)


def test_threads_do_not_leak_between_runs():
    assert not [t for t in threading.enumerate() if t.name == "sweep-run" and t.is_alive()]


def test_tables_in_parquet_and_csv_keep_every_row_and_mixed_settings_as_text(tmp_path):
    s = parse(
        {
            "format": "analog-explorer-sweep",
            "version": 1,
            "chips": 2,
            "metrics": ["rel.accuracy"],
            "times": ["1 h"],
            "grid": {"rel.adc_bits": ["ideal", 6]},
        }
    )
    rows = tidy_rows(s, run_serial(s))
    assert [r["rel.adc_bits"] for r in rows] == ["ideal", 6]
    write_table(rows, tmp_path / "t.parquet")
    write_table(rows, tmp_path / "t.csv")
    import csv

    import pyarrow.parquet as pq

    table = pq.read_table(tmp_path / "t.parquet").to_pylist()
    assert [r["rel.adc_bits"] for r in table] == ["ideal", "6"]  # one column of text
    assert [r["value"] for r in table] == [r["value"] for r in rows]
    with open(tmp_path / "t.csv", newline="") as f:
        read = list(csv.DictReader(f))
    assert [float(r["value"]) for r in read] == [r["value"] for r in rows]
    assert list(read[0]) == list(rows[0])
    with pytest.raises(ValueError, match="must end in .parquet or .csv"):
        write_table(rows, tmp_path / "t.xlsx")


def _priority_of_task_thread():
    return os.getpriority(os.PRIO_PROCESS, 0)


def test_a_niced_local_cluster_runs_its_points_at_lower_priority():
    base = os.getpriority(os.PRIO_PROCESS, 0)
    with Engine(n_workers=1, dashboard=None, nice=5) as niced:
        assert niced.client().submit(_priority_of_task_thread, pure=False).result(timeout=60) == min(19, base + 5)


def test_engine_refuses_a_niceness_outside_0_to_19():
    for bad in (-1, 20, 2.5, True):
        with pytest.raises(ValueError, match="nice must be an integer from 0 to 19"):
            Engine(nice=bad)


def test_a_served_apps_local_cluster_is_sized_by_the_heavy_budget(monkeypatch):
    import panel as pn

    from explorer.admission import CACHE_KEY, JOBS_ENV
    from explorer.sweeps_dask import local_workers
    from explorer.views.sweeps import local_cluster_options
    from explorer.workers import NICE

    assert local_cluster_options(served=False) == {}
    monkeypatch.setenv(JOBS_ENV, "1")
    monkeypatch.delitem(pn.state.cache, CACHE_KEY, raising=False)
    assert local_cluster_options(served=True) == {"n_workers": 1, "nice": NICE}
    monkeypatch.setenv(JOBS_ENV, "64")
    monkeypatch.delitem(pn.state.cache, CACHE_KEY)
    assert local_cluster_options(served=True) == {"n_workers": local_workers(), "nice": NICE}
    pn.state.cache.pop(CACHE_KEY, None)
