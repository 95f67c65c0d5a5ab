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
- ``--predictions-db``: the SQLite file of the class's predictions (`explorer.models.predictions`;
  default ``$XDG_DATA_HOME/analog-explorer/predictions.sqlite``, else under ``~/.local/share``),
  created and written once at start so that an unwritable path stops the command with the option
  named; passed to the server as ``ANALOG_EXPLORER_PREDICTIONS_DB`` (which can also be set directly).
- ``--num-procs N``: N server processes (Bokeh forks after binding the port; each new connection
  goes to one of them). The lecturer's broadcasts then go through a file all of them read
  (`explorer.models.follow.FileChannel`; a new one in a private temporary directory, which the
  front of ``--processes`` removes when it stops and ``--num-procs`` leaves behind, unless
  ``--follow-channel PATH`` names one, for several ``analog-explorer`` commands behind a proxy);
  passed to the server as ``ANALOG_EXPLORER_FOLLOW_CHANNEL``. Each process keeps its own results
  memo and warm-up (docs/how-to/serve-a-class.md, "More than one core's worth of sessions").
- ``--processes N``: N server processes, each an ordinary server on a port of its own (the N ports
  after ``--port``, or ``--process-ports``), behind a front on ``--port`` that redirects each new page
  to one of them in turn (`explorer.front`); the page and its websocket then reach the same process,
  so each session is built once. They share the lecturer's broadcasts as with ``--num-procs`` and the
  memory budget (``--budget-memory-gb`` divided among them). The students' machines must reach
  those ports too.
- ``PYTHONMALLOC=malloc``: every Python object from glibc's allocator, which the server trims after
  each closed session, so that a class's memory is given back when its pages close (Python's own
  small-object allocator kept most of it).
- ``OPENBLAS_NUM_THREADS=1``: one BLAS thread per matrix product. Sessions already run side by
  side in the thread pool; on two cores, OpenBLAS's own threads made the dashboards' small
  products several times slower (measured in docs/results/benchmarks.md, "Server and kernel
  settings").

Arguments this command does not know are passed to ``panel serve`` unchanged.
"""

import argparse
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass

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

PREDICTIONS_DB_ENV = "ANALOG_EXPLORER_PREDICTIONS_DB"
"""The server's environment variable for the predictions file (`explorer.models.predictions.DB_ENV`)."""

FOLLOW_CHANNEL_ENV = "ANALOG_EXPLORER_FOLLOW_CHANNEL"
"""The server's environment variable naming the follow channel's file (`explorer.models.follow.CHANNEL_ENV`)."""

SERVER_ENV_DEFAULTS = {
    "BOKEH_RESOURCES": "server",
    "OPENBLAS_NUM_THREADS": "1",
    # Bokeh checks every new session's document for layout mistakes (warnings in the log, such as an
    # empty Column) on the event-loop thread: a development aid that cost each opening of a lesson
    # link about 85 ms (docs/results/opening.md). Set BOKEH_VALIDATE_DOC=true to check again.
    "BOKEH_VALIDATE_DOC": "false",
    # Python's own small-object allocator keeps an arena while any object in it lives, so a class's
    # closed sessions left most of their memory in its arenas; with glibc's malloc for every object, the
    # trim after each closed session (`explorer.sessions.release_memory`) hands that memory back
    # (docs/results/classroom.md, "Memory after closing: Python's allocator"). Read at start-up only.
    "PYTHONMALLOC": "malloc",
}
"""The server's environment where the user's does not set these (`serve`)."""

UNUSED_SESSION_LIFETIME_MS = 30000
CHECK_UNUSED_SESSIONS_MS = 5000


@dataclass(frozen=True)
class ServePlan:
    """What `serve` starts for a command line: the `panel serve` commands, as (port, command line);
    the front's (address, port) when there are several (``--processes``), else None; the URL to print;
    the servers' environment (`panel_serve_command`); and whether the processes need a private
    follow channel file (several processes and no ``--follow-channel``), which `serve` makes
    (`private_channel`) so that planning a command creates nothing."""

    commands: tuple
    front: tuple | None
    url: str
    env: dict
    private_channel: bool = False


def panel_serve_command(argv=None):
    """The `panel serve` command line (a list) for `argv`, the URL to print, and the environment
    that sets the server's budget of heavy requests (`explorer.admission`), the lecturer's secret and
    the follow channel's file (several processes). One server: `serve_plan` for ``--processes``."""
    plan = serve_plan(argv)
    if plan.front is not None:
        raise ValueError("processes: several server processes have several commands; use serve_plan")
    return plan.commands[0][1], plan.url, plan.env


def serve_plan(argv=None) -> ServePlan:
    """The servers (and front) to start for the command line `argv` (`ServePlan`)."""
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
    parser.add_argument(
        "--predictions-db",
        default=os.environ.get(PREDICTIONS_DB_ENV) or None,
        metavar="PATH",
        help=f"SQLite file of the class's predictions (or set {PREDICTIONS_DB_ENV}; default "
        "$XDG_DATA_HOME/analog-explorer/predictions.sqlite, else ~/.local/share/...)",
    )
    parser.add_argument(
        "--num-procs",
        type=int,
        default=1,
        help="server processes sharing the port (default 1); followers reach a lecturer on any of them",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="server processes, each on a port of its own, behind a front on --port that sends each new page "
        "to one of them in turn (default 1: no front); one per core",
    )
    parser.add_argument(
        "--process-ports",
        default=None,
        metavar="P1,P2,...",
        help="with --processes N: the N ports of the server processes (default: the N ports after --port)",
    )
    parser.add_argument(
        "--follow-channel",
        default=None,
        help="file through which several server processes share the lecturer's broadcasts (default: one "
        "process needs none; --num-procs makes a private one); give the same path to every process behind a proxy",
    )
    args, rest = parser.parse_known_args(argv)
    if args.num_procs < 1:
        parser.error(f"--num-procs must be at least 1, got {args.num_procs}")
    ports = process_ports(parser, args)
    if args.follow_channel is not None:
        directory = os.path.dirname(os.path.abspath(args.follow_channel))
        if not args.follow_channel or not os.path.isdir(directory):
            parser.error(f"--follow-channel: the directory {directory!r} of {args.follow_channel!r} does not exist")
        if os.path.isdir(args.follow_channel):
            parser.error(f"--follow-channel: {args.follow_channel!r} is a directory; name a file in it")
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
    budget[PREDICTIONS_DB_ENV] = predictions_db(parser, args.predictions_db)
    if args.follow_channel is not None:
        budget[FOLLOW_CHANNEL_ENV] = os.path.abspath(args.follow_channel)
    private = args.follow_channel is None and (args.num_procs > 1 or len(ports) > 1)
    shown = args.host[0] if args.host else ("localhost" if args.address in ("0.0.0.0", "::") else args.address)
    if ":" not in shown:
        shown = f"{shown}:{args.port}"
    url = f"http://{shown}/app"
    if len(ports) == 1:
        command = server_command(args, rest, args.port, args.host)
        return ServePlan(((args.port, command),), None, url, budget, private)
    # Behind the front the browser reaches each process by the name it typed and the process's own port.
    names = [h.rsplit(":", 1)[0] if h.count(":") == 1 else h for h in args.host]
    budget[MEMORY_ENV] = repr(args.budget_memory_gb / len(ports))  # the machine's budget, shared out
    commands = tuple((p, server_command(args, rest, p, names)) for p in ports)
    return ServePlan(commands, (args.address, args.port), url, budget, private)


def process_ports(parser, args) -> list[int]:
    """The server processes' ports: ``[--port]`` for one process, else ``--process-ports`` or the
    ``--processes`` ports after ``--port``; a bad value is a command-line error naming the option."""
    if args.processes < 1:
        parser.error(f"--processes must be at least 1, got {args.processes}")
    if args.processes == 1:
        if args.process_ports is not None:
            parser.error("--process-ports: only with --processes 2 or more")
        return [args.port]
    if args.process_ports is None:
        ports = [args.port + k for k in range(1, args.processes + 1)]
    else:
        try:
            ports = [int(p) for p in args.process_ports.split(",")]
        except ValueError:
            parser.error(f"--process-ports: whole port numbers separated by commas, got {args.process_ports!r}")
        if len(ports) != args.processes:
            parser.error(f"--process-ports: {len(ports)} ports for --processes {args.processes}; give one per process")
    if len(ports) > 1 and args.num_procs > 1:
        parser.error("--processes and --num-procs: choose one way to run several server processes")
    bad = [p for p in ports if not 0 < p < 65536 or p == args.port]
    if bad or len(set(ports)) != len(ports):
        parser.error(f"--process-ports: distinct ports from 1 to 65535 other than --port {args.port}, got {ports}")
    return ports


def server_command(args, rest, port, hosts) -> list[str]:
    """The `panel serve` command line of one server process on `port`, allowing websockets from the
    names in `hosts` (with this port unless they name one) and this machine's own."""
    here = os.path.dirname(os.path.abspath(__file__))
    origins = {f"{args.address}:{port}", f"localhost:{port}", f"127.0.0.1:{port}"}
    origins.update(h if ":" in h else f"{h}:{port}" for h in hosts)
    cmd = [
        sys.executable,
        "-m",
        "panel",
        "serve",
        os.path.join(here, "app.py"),
        "--port",
        str(port),
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
    if args.num_procs > 1:
        cmd += ["--num-procs", str(args.num_procs)]
    if not args.no_warmup:
        cmd += ["--setup", os.path.join(here, "warmup.py")]
    cmd += rest
    return cmd


def predictions_db(parser, path):
    """The predictions file's absolute path (`path`, or the default when None), created and written
    once now: a path that cannot be is a command-line error naming ``--predictions-db``."""
    from explorer.models.lessons import Lessons
    from explorer.models.predictions import PredictionError, PredictionStore, default_path

    where = default_path() if path is None else path
    try:
        return str(PredictionStore(where, Lessons(())).check().resolve())
    except PredictionError as exc:
        parser.error(f"--predictions-db: {str(exc).removeprefix('path: ')}")


def private_channel() -> str:
    """A new follow channel file for the processes of one server (`FOLLOW_CHANNEL_ENV`): a file name
    in a new directory readable by this user only (0700); the file is made by its first broadcast."""
    return os.path.join(tempfile.mkdtemp(prefix="analog-explorer-follow-"), "channel.json")


def serve(argv=None):
    """Run ``panel serve`` on the app (this process becomes the server; with ``--processes``, the
    front of several); extra arguments go to it."""
    plan = serve_plan(argv)
    os.environ.update(plan.env)  # `explorer.admission.server_budget`, the lecturer's secret, the channel
    channel = private_channel() if plan.private_channel else None
    if channel is not None:
        # With --num-procs this process becomes the server: its directory outlives it (no process
        # is left to remove it). The front removes its own when it stops.
        os.environ[FOLLOW_CHANNEL_ENV] = channel
    print(f"Analog AI weight-encoding explorer: open {plan.url}", flush=True)
    for name, value in SERVER_ENV_DEFAULTS.items():
        os.environ.setdefault(name, value)
    if plan.front is None:
        cmd = plan.commands[0][1]
        os.execv(cmd[0], cmd)  # the server keeps this process id (the load command measures its memory)
    from explorer.front import run_front

    try:
        return run_front(*plan.front, list(plan.commands), dict(os.environ))
    finally:
        if channel is not None:
            shutil.rmtree(os.path.dirname(channel), ignore_errors=True)


if __name__ == "__main__":
    sys.exit(serve())
