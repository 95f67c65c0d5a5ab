"""Run a design-space sweep from a file on Dask (issue 27, item 4):

    analog-explorer-sweep sweep.json                              # a local cluster, one worker per core
    analog-explorer-sweep sweep.yaml --scheduler tcp://lab:8786   # the lab's cluster (or ANALOG_EXPLORER_SCHEDULER)
    analog-explorer-sweep sweep.json --out results.parquet --cache sweep-cache.jsonl

The file is a sweep (`explorer.models.sweeps`, docs/how-to/sweeps.md). Points report on stderr as
they finish; at the end a summary table (one line per point: its swept settings and each metric's
mean over the chips with its 95 % half-width) goes to stdout, and ``--out`` writes the tidy table
(one row per point and metric, `explorer.models.sweeps.tidy_rows`) as Parquet or CSV. ``--cache``
keeps finished points in a file, so a second run (an enlarged grid, or after Ctrl-C) computes only
the missing ones. Exit status: 0 when every point has its metrics, 1 when some point failed (each
is listed with its settings and error), 2 for a bad file, option or scheduler, 130 after Ctrl-C
(the finished points are written).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence

from ..models.sweeps import METRICS, PointResult, Sweep, SweepError, load, tidy_rows
from ..sweeps_dask import SCHEDULER_ENV, Engine, PointCache, SchedulerError, SweepRun, scheduler_address, write_table


def _number(x: float) -> str:
    return "nan" if math.isnan(x) else f"{x:.4g}"


def _setting_text(point, key) -> str:
    """A swept setting's value in the summary: as JSON (a string bare), "-" where the point does not
    set it (a listed point: the base or the tab's default)."""
    if key not in point:
        return "-"
    value = point[key]
    return value if isinstance(value, str) else json.dumps(list(value) if isinstance(value, tuple) else value)


def summary_table(sweep: Sweep, results: Sequence[PointResult]) -> str:
    """The summary: one line per point (in point order) with its swept settings and each metric
    (at each read time) as ``mean ± 95 % half-width`` in the metric's unit, or its error."""
    from ..models.dashboards.devices import format_duration

    swept = list(dict.fromkeys(k for p in sweep.points() for k in p))
    columns: list[tuple[str, float]] = []
    for m in sweep.metrics:
        columns += [(m, t) for t in sweep.times_s] if METRICS[m].timed else [(m, math.nan)]
    heads = ["point", *swept]
    heads += [
        f"{m} @ {format_duration(t)} ({METRICS[m].unit})" if METRICS[m].timed else f"{m} ({METRICS[m].unit})"
        for m, t in columns
    ]
    lines = []
    for r in sorted(results, key=lambda r: r.index):
        cells = [str(r.index), *(_setting_text(r.point, k) for k in swept)]
        if r.error:
            cells.append(f"error: {r.error}")
        else:
            found = {(row.metric, None if math.isnan(row.time_s) else row.time_s): row for row in r.rows}
            for m, t in columns:
                row = found.get((m, None if math.isnan(t) else t))
                cells.append("-" if row is None else f"{_number(row.value)} ± {_number(row.ci95)}")
        lines.append(cells)
    widths = [max(len(h), *(len(c[i]) for c in lines if i < len(c))) for i, h in enumerate(heads)]
    out = ["  ".join(h.ljust(w) for h, w in zip(heads, widths)).rstrip()]
    out += ["  ".join(c.ljust(w) for c, w in zip(cells, widths + [0] * len(cells))).rstrip() for cells in lines]
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="analog-explorer-sweep", description="Run a design-space sweep (JSON or YAML file) on Dask."
    )
    parser.add_argument("file", help="the sweep file (docs/how-to/sweeps.md)")
    parser.add_argument(
        "--scheduler",
        default=None,
        help=f"address of a Dask scheduler (tcp://host:8786); default: ${SCHEDULER_ENV}, else a local cluster",
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="workers of the local cluster (default: one per core)"
    )
    parser.add_argument("--out", default=None, help="write the tidy table here (.parquet or .csv)")
    parser.add_argument("--cache", default=None, help="keep finished points in this JSON-lines file (resume, enlarge)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)

    try:
        sweep = load(args.file)
    except SweepError as exc:
        print(f"analog-explorer-sweep: {args.file}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"analog-explorer-sweep: {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    if args.out is not None and not args.out.endswith((".parquet", ".csv")):
        print(f"analog-explorer-sweep: --out: {args.out!r} must end in .parquet or .csv", file=sys.stderr)
        return 2
    if args.workers is not None and args.workers < 1:
        print(f"analog-explorer-sweep: --workers: must be 1 or more, got {args.workers}", file=sys.stderr)
        return 2
    try:
        cache = PointCache(args.cache)
    except ValueError as exc:
        print(f"analog-explorer-sweep: --cache: {exc}", file=sys.stderr)
        return 2

    def progress(result: PointResult) -> None:
        if not args.quiet:
            what = f"error: {result.error}" if result.error else f"{result.seconds:.2f} s"
            what += " (cached)" if result.index in run.cached else ""
            print(f"[{run.done}/{run.total}] point {result.index}: {what}", file=sys.stderr, flush=True)

    address = scheduler_address(args.scheduler)
    status = 0
    try:
        with Engine(address, n_workers=args.workers) as engine:
            run = SweepRun(sweep, engine, cache, on_result=progress)
            run.start()
            try:
                while not run.join(0.2):
                    pass
            except KeyboardInterrupt:
                run.cancel()
                run.join()
                status = 130
            if run.error is not None:
                raise run.error
    except SchedulerError as exc:
        print(f"analog-explorer-sweep: --scheduler: {exc}", file=sys.stderr)
        return 2
    results = [r for _, r in sorted(run.results.items())]
    if results:
        print(summary_table(sweep, results))
    if args.out is not None and results:
        write_table(tidy_rows(sweep, results), args.out)
        print(f"wrote {args.out}: {len(tidy_rows(sweep, results))} rows", file=sys.stderr)
    failed = run.failed()
    for r in failed:
        settings = ", ".join(f"{k}={json.dumps(v)}" for k, v in r.point.items())
        print(f"point {r.index} ({settings}) failed: {r.error}", file=sys.stderr)
    if status == 130:
        print(f"cancelled: {run.done} of {run.total} points done", file=sys.stderr)
        return status
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
