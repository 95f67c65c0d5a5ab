"""Command-line entry: start the app under `panel serve` with the settings for a lab machine.

    analog-explorer                                   # this machine only: http://localhost:5006/app
    analog-explorer --address 0.0.0.0 --host labpc.example.edu   # a class on the network

The settings (each chosen by measuring with `analog-explorer-classroom` and the browser benchmark;
docs/how-to/serve-a-class.md explains them, docs/results/benchmarks.md holds the figures):

- ``--num-threads``: session callbacks run in a thread pool, so one student's computation
  does not hold up another's (the Numba kernels release the GIL).
- ``--allow-websocket-origin``: the names students type in their browser (``--host``), plus
  this machine's own; Bokeh refuses websockets from any other origin.
- ``--unused-session-lifetime`` / ``--check-unused-sessions``: a session without a connection
  is destroyed after 30 to 35 s (its models, figures and memory released). The same limit
  applies between a page's first request and its websocket, so it must leave a slow machine
  time to load the page; a session whose page has closed computes nothing meanwhile (the
  dashboards check for a connection before any work).
- ``--setup explorer/warmup.py``: before the first visitor, load the compiled kernels and
  render every dashboard once, so that nobody waits for Numba.
- ``BOKEH_RESOURCES=server``: every script and style sheet comes from this server (a lab
  without internet access keeps its styling).
- ``--budget-memory-gb`` / ``--budget-jobs`` / ``--budget-heavy-gb``: the server-wide budget of
  heavy requests (a Crossbar matrix above 1024, say): estimated memory of those running at once
  and how many run at once; one that does not fit waits in a queue, one above the whole budget is refused
  (`explorer.admission`; passed to the server as ``EXPLORER_BUDGET_MEMORY_GB``, ``_JOBS``,
  ``_HEAVY_GB``; the last is the estimate from which a computation counts as heavy, as is one
  estimated at ``--budget-heavy-seconds`` of work, ``EXPLORER_BUDGET_HEAVY_S``).
  ``--budget-workers``: where heavy requests compute: ``process`` (default), worker processes of
  lower priority, one per job that may run at once, so that they hold up no other session; or
  ``thread``, the server's own process (``EXPLORER_BUDGET_WORKERS``; `explorer.workers`).
- ``--lecturer-secret-file``: the secret that makes a session the lecturer's (it can broadcast its
  view to the students who follow); passed to the server in its environment
  (``ANALOG_EXPLORER_LECTURER_SECRET``, which can also be set directly), never on a command line.
- ``OPENBLAS_NUM_THREADS=1``: one BLAS thread per matrix product. Sessions already run side by
  side in the thread pool; on two cores, OpenBLAS's own threads made the dashboards' small
  products several times slower (measured in docs/results/benchmarks.md, "Server and kernel
  settings").

Arguments this command does not know are passed to ``panel serve`` unchanged.
"""

import argparse
import os
import sys

from explorer.admission import (
    DEFAULT_JOBS,
    DEFAULT_MEMORY_GB,
    GB,
    HEAVY_BYTES,
    HEAVY_ENV,
    HEAVY_WORK_ENV,
    HEAVY_WORK_S,
    JOBS_ENV,
    MEMORY_ENV,
    WORKER_MODES,
    WORKERS_ENV,
)

LECTURER_SECRET_ENV = "ANALOG_EXPLORER_LECTURER_SECRET"
"""The server's environment variable for the lecturer's secret (`explorer.models.follow.SECRET_ENV`;
spelled here so the command line does not import the models before ``panel serve`` starts)."""

UNUSED_SESSION_LIFETIME_MS = 30000
CHECK_UNUSED_SESSIONS_MS = 5000


def panel_serve_command(argv=None):
    """The `panel serve` command line (a list) for `argv`, the URL to print, and the environment
    that sets the server's budget of heavy requests (`explorer.admission`) and the lecturer's secret."""
    parser = argparse.ArgumentParser(description="Start the analog AI weight-encoding explorer.")
    parser.add_argument("--port", type=int, default=5006, help="TCP port (default 5006)")
    parser.add_argument(
        "--address", default="localhost", help="address to bind (default localhost; 0.0.0.0 serves the network)"
    )
    parser.add_argument(
        "--host",
        action="append",
        default=[],
        help="host name (and :port) students use to reach this machine; repeatable",
    )
    parser.add_argument(
        "--num-threads",
        type=int,
        default=4,
        help="threads for session callbacks, so sessions do not wait on each other (default 4)",
    )
    parser.add_argument("--no-warmup", action="store_true", help="skip the warm-up at start")
    parser.add_argument(
        "--budget-memory-gb",
        type=float,
        default=float(os.environ.get(MEMORY_ENV, DEFAULT_MEMORY_GB)),
        help=f"memory (GB) heavy computations may use at once; larger ones are refused (default {DEFAULT_MEMORY_GB})",
    )
    parser.add_argument(
        "--budget-jobs",
        type=int,
        default=int(os.environ.get(JOBS_ENV, DEFAULT_JOBS)),
        help=f"heavy computations that run at once; others wait in a queue (default {DEFAULT_JOBS})",
    )
    parser.add_argument(
        "--budget-heavy-gb",
        type=float,
        default=float(os.environ.get(HEAVY_ENV, HEAVY_BYTES / GB)),
        help=f"estimated memory (GB) from which a computation counts as heavy (default {HEAVY_BYTES / GB})",
    )
    parser.add_argument(
        "--budget-heavy-seconds",
        type=float,
        default=float(os.environ.get(HEAVY_WORK_ENV, HEAVY_WORK_S)),
        help=f"estimated seconds of work from which a computation counts as heavy (default {HEAVY_WORK_S})",
    )
    parser.add_argument(
        "--budget-workers",
        choices=WORKER_MODES,
        default=os.environ.get(WORKERS_ENV, WORKER_MODES[0]),
        help="where heavy computations run: worker processes (default) or threads of the server's process",
    )
    parser.add_argument(
        "--lecturer-secret-file",
        default=None,
        help=f"file holding the lecturer's secret (or set {LECTURER_SECRET_ENV}); never shown or logged",
    )
    args, rest = parser.parse_known_args(argv)
    if args.num_threads < 1:
        parser.error(f"--num-threads must be at least 1, got {args.num_threads}")
    if not args.budget_memory_gb > 0:
        parser.error(f"--budget-memory-gb must be a positive number of GB, got {args.budget_memory_gb}")
    if args.budget_jobs < 1:
        parser.error(f"--budget-jobs must be at least 1, got {args.budget_jobs}")
    if not args.budget_heavy_gb >= 0:
        parser.error(f"--budget-heavy-gb must be a number of GB >= 0, got {args.budget_heavy_gb}")
    if not args.budget_heavy_seconds > 0:
        parser.error(f"--budget-heavy-seconds must be a positive number of seconds, got {args.budget_heavy_seconds}")
    budget = {
        MEMORY_ENV: repr(args.budget_memory_gb),
        JOBS_ENV: str(args.budget_jobs),
        HEAVY_ENV: repr(args.budget_heavy_gb),
        HEAVY_WORK_ENV: repr(args.budget_heavy_seconds),
        WORKERS_ENV: args.budget_workers,
    }
    if args.lecturer_secret_file is not None:
        from explorer.models.follow import read_secret_file

        try:
            secret = read_secret_file(args.lecturer_secret_file)
        except ValueError as exc:
            parser.error(str(exc))
        # Handed to the server through its environment only: never on its command line or in a page.
        budget[LECTURER_SECRET_ENV] = secret
    here = os.path.dirname(os.path.abspath(__file__))
    origins = {f"{args.address}:{args.port}", f"localhost:{args.port}", f"127.0.0.1:{args.port}"}
    origins.update(h if ":" in h else f"{h}:{args.port}" for h in args.host)
    cmd = [
        sys.executable,
        "-m",
        "panel",
        "serve",
        os.path.join(here, "app.py"),
        "--port",
        str(args.port),
        "--address",
        args.address,
        "--num-threads",
        str(args.num_threads),
        "--unused-session-lifetime",
        str(UNUSED_SESSION_LIFETIME_MS),
        "--check-unused-sessions",
        str(CHECK_UNUSED_SESSIONS_MS),
    ]
    for origin in sorted(origins):
        cmd += ["--allow-websocket-origin", origin]
    if not args.no_warmup:
        cmd += ["--setup", os.path.join(here, "warmup.py")]
    cmd += rest
    shown = args.host[0] if args.host else ("localhost" if args.address in ("0.0.0.0", "::") else args.address)
    if ":" not in shown:
        shown = f"{shown}:{args.port}"
    return cmd, f"http://{shown}/app", budget


def serve(argv=None):
    """Run ``panel serve`` on the app (this process becomes the server); extra arguments go to it."""
    cmd, url, budget = panel_serve_command(argv)
    os.environ.update(budget)  # `explorer.admission.server_budget` and the lecturer's secret
    print(f"Analog AI weight-encoding explorer: open {url}", flush=True)
    os.environ.setdefault("BOKEH_RESOURCES", "server")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.execv(cmd[0], cmd)  # the server keeps this process id (the load command measures its memory)


if __name__ == "__main__":
    sys.exit(serve())
