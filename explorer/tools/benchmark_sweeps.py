"""Benchmark of a sweep on Dask (issue 27's speed question): a 48-point sweep of the digits MLP's
accuracy at 1 hour and 1 year, 10 chips per point (`SWEEP`), computed

* in a loop in this process (`explorer.models.sweeps.run_serial`: the reference, no Dask; one
  Numba thread, as each worker has),
* on a LocalCluster of 1 worker, and of 2 workers (single-threaded processes, `Engine`),

each after a warm-up (every process loads the Numba kernels and the digits data before the clock
starts: one point computed on each worker), `--repeats` times. It prints the times, the scaling
ratio (1 worker / 2 workers; the issue's goal is 1.7x or more on 2 cores) and Dask's per-point
overhead ((1 worker - loop) / loop; goal at most 5 %), and checks that every run gave the loop's
numbers. Timing is reported, never asserted; on a machine shared with other jobs the spread is
large (run it on a quiet machine for figures to quote).

    python -m explorer.tools.benchmark_sweeps [--repeats 2] [--chips 10]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from typing import Any

import numba

from ..models.sweeps import Sweep, compute_point, parse, run_serial
from ..sweeps_dask import Engine, SweepRun

SWEEP: dict[str, Any] = {
    "format": "analog-explorer-sweep",
    "version": 1,
    "name": "benchmark: 48 points of digits accuracy at 1 h and 1 y",
    "seed": 0,
    "chips": 10,
    "metrics": ["rel.accuracy"],
    "times": ["1 h", "1 y"],
    "grid": {
        "rel.technology": ["PCM", "RRAM", "Flash", "ECRAM"],
        "rel.n_slices": [1, 2],
        "rel.compensation": ["none", "global", "per-column"],
        "rel.adc_bits": ["ideal", 8],
    },
}
"""The benchmark's sweep: 4 technologies x 2 slicings x 3 compensations x 2 ADCs = 48 points."""


def benchmark_sweep(chips: int = 10) -> Sweep:
    """`SWEEP` with `chips` chips per point."""
    return parse({**SWEEP, "chips": chips})


def _warm(engine: Engine, sweep: Sweep) -> None:
    """Compute one point on every worker of `engine` (kernels loaded, digits read) before timing."""
    client = engine.client()
    point = sweep.points()[0]
    futures = [
        client.submit(compute_point, sweep, point, 0, workers=[w], pure=False)
        for w in client.scheduler_info()["workers"]
    ]
    client.gather(futures)


def _dask_times(sweep: Sweep, workers: int, repeats: int, reference) -> list[float]:
    times = []
    with Engine(n_workers=workers, dashboard=None) as engine:
        engine.client().wait_for_workers(workers, timeout=120)
        _warm(engine, sweep)
        for _ in range(repeats):
            run = SweepRun(sweep, engine)  # a fresh cache: every point computed
            start = time.perf_counter()
            results = run.run()
            times.append(time.perf_counter() - start)
            if run.failed() or not all(results[i].same_numbers(r) for i, r in enumerate(reference)):
                raise SystemExit(f"the {workers}-worker run did not give the loop's numbers")
    return times


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=2, help="timed runs of each (default 2)")
    parser.add_argument("--chips", type=int, default=10, help="chips per point (default 10)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats: must be 1 or more, got {args.repeats}")
    sweep = benchmark_sweep(args.chips)
    numba.set_num_threads(1)  # like for like: each worker runs one Numba thread (sweeps_dask.WORKER_ENV)
    compute_point(sweep, sweep.points()[0], 0)  # warm-up of this process
    loop = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        reference = run_serial(sweep)
        loop.append(time.perf_counter() - start)
    one = _dask_times(sweep, 1, args.repeats, reference)
    two = _dask_times(sweep, 2, args.repeats, reference)
    n = sweep.size()
    best = {name: min(t) for name, t in (("loop", loop), ("one", one), ("two", two))}
    print(
        f"A {n}-point sweep, digits accuracy at 1 h and 1 y, {sweep.chips} chips per point ({args.repeats} runs each):"
    )
    for name, t in (("loop in this process", loop), ("Dask, 1 worker", one), ("Dask, 2 workers", two)):
        print(
            f"  {name:22s}: best {min(t):.2f} s, median {statistics.median(t):.2f} s "
            f"({1e3 * min(t) / n:.0f} ms per point)"
        )
    print(f"  scaling, 1 worker / 2 workers (best): {best['one'] / best['two']:.2f}x (goal >= 1.7x)")
    overhead = 100 * (best["one"] / best["loop"] - 1)
    print(f"  Dask's per-point overhead, (1 worker - loop) / loop (best): {overhead:.1f} % (goal <= 5 %)")
    print("  every run gave the loop's numbers")


if __name__ == "__main__":
    main()
