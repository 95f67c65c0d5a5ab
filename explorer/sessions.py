"""Server-side care of browser sessions: a log line per session, style sheets served locally, and
memory returned when a session ends. Used by `explorer/app.py` under `panel serve`.

These live in an importable module rather than in app.py: Bokeh runs app.py as a fresh module for
each session and clears that module when the session ends, before the end-of-session callbacks
run, so a callback defined in app.py finds its globals gone.
"""

import asyncio
import base64
import ctypes
import gc
import json
import logging
import os
import threading
import time
from urllib.parse import urlencode

import panel as pn

from explorer.compat import drop_cancelled_timers, forget_views, local_style_sheet_fallback, serve_style_sheets_locally

RELEASE_DELAY_S = 2.0
"""Seconds after a session ends before its memory is collected (Panel and Bokeh finish their own
clean-up of the session first)."""

RELEASE_INTERVAL_S = 15.0
"""Least time between two collections (`schedule_release`): a full collection holds the interpreter,
and so every session's updates, for a fraction of a second to over a second with a class's objects
alive; sessions ending together (a class leaving) share one. Illustrative: a few per minute."""
RELEASE_AFTER_CLOSED = 8
"""Sessions ended since the last collection that make one due while other sessions of the process
are still open. A collection holds every open session's updates for as long as it scans the
objects alive (docs/results/classroom.md), so while others are open it waits until this many
sessions' memory is to be had (a student closing a tab mid-lecture stalls nobody); when the last session
ends, it runs at once, as nobody waits. The memory of fewer ended sessions stays meanwhile.
Illustrative."""
RELEASE_ABOVE_BYTES = 512 * 2**20
"""Growth of the process's resident memory since the last collection (or since the first session
ended) that makes a collection due at once, whatever `RELEASE_AFTER_CLOSED` says: an ended session
that held a large array is not kept waiting for seven more. Illustrative."""
RELEASE_KEY = "explorer.sessions.release"
"""The `pn.state.cache` entry with the time of the next collection scheduled and of the last one."""


def release_memory():
    """Drop the event loop's cancelled timers (`drop_cancelled_timers`: they hold closed sessions'
    documents), collect garbage and hand freed heap pages back to the system (glibc's malloc_trim),
    so that a closed session's memory shows up as free again instead of staying in the allocator's
    arenas (Param objects hold reference cycles that only the collector frees)."""
    try:
        drop_cancelled_timers(asyncio.get_running_loop())
    except RuntimeError:  # no running loop: called outside the server
        pass
    frozen = gc.get_freeze_count() > 0
    if frozen:  # the sessions' pages were frozen when ready (`freeze_ready_session`): scan them too
        gc.unfreeze()
    gc.collect()
    if frozen:
        gc.freeze()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


COLLECTOR_THRESHOLDS = (700, 10, 100)
"""`gc.set_threshold` for a server process (`tune_collector`). Python's defaults (700, 10, 10) run a
full collection whenever the objects that survived younger collections reach a quarter of the heap:
with a class's pages alive that is every few seconds, each holding the interpreter, and so every
session's updates and followers, for longer as the heap grows (the load command times them:
`CollectorPauses`). A tenfold threshold for the full ones (the number of younger collections
between two) makes them rarer and keeps the cheap young ones; closed sessions' memory is collected
by `release_memory` in any case."""


def tune_collector(freeze: bool = False) -> None:
    """Set the garbage collector's thresholds of this server process to `COLLECTOR_THRESHOLDS`; with
    `freeze`, also collect once and move every object alive to the collector's permanent generation
    (`gc.freeze`), so that later full collections do not scan the warm process's modules, compiled
    kernels and shared results again. Process-wide interpreter setting, idempotent; freeze only once
    no session is alive (after the warm-up), or a live session's objects would never be freed."""
    gc.set_threshold(*COLLECTOR_THRESHOLDS)
    if freeze:
        gc.collect()
        gc.freeze()


STATS_ENV = "EXPLORER_STATS_FILE"
"""The load command (`explorer.tools.classload`) sets this environment variable of the server to a
file name; each server process then writes its counts to that name with its process id appended
(`stats_file`, `write_stats`). Unset in production."""


def stats_file(path: str, pid: int | None = None) -> str:
    """The statistics file of server process `pid` (default: this one) for the name `path` given in
    `STATS_ENV`: ``<path>.<pid>``. One file per process, because ``--num-procs N`` forks N server
    processes that each count their own shared results; the load command sums them."""
    return f"{path}.{os.getpid() if pid is None else pid}"


def write_stats(event: str = "") -> None:
    """When `STATS_ENV` names a file: write the shared results' counts (`SharedResults.stats`:
    lookups, hits, duplicates, entries, bytes), the full collections' (`CollectorPauses`, once
    `start_stats_writer` runs), `event` and this process's id to this process's file
    (`stats_file`) as JSON, replacing it whole (a reader never sees half a file). Called after the
    warm-up and at each session's start and end."""
    path = os.environ.get(STATS_ENV)
    if not path:
        return
    from explorer.views._widgets import shared_results

    pauses = pn.state.cache.get(PAUSES_KEY)
    data = dict(shared_results().stats(), event=event, time=time.time(), pid=os.getpid())
    if pauses is not None:
        data.update(pauses.stats())
    target = stats_file(path)
    tmp = f"{target}.{threading.get_ident()}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f)
    os.replace(tmp, target)


PAUSES_KEY = "explorer.sessions.collector_pauses"
"""The `pn.state.cache` entry of this process's `CollectorPauses` (installed by `start_stats_writer`,
so only under the load command)."""


class CollectorPauses:
    """The garbage collector's full collections in this process, counted and timed (a `gc.callbacks`
    hook): how many, their total and their longest duration in seconds. Each holds the interpreter,
    so every session's updates wait for it; the load command reports them (`write_stats`)."""

    def __init__(self):
        self.count = 0
        self.total_s = 0.0
        self.longest_s = 0.0
        self._started = None

    def __call__(self, phase, info):
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        elif self._started is not None:
            took = time.perf_counter() - self._started
            self._started = None
            self.count += 1
            self.total_s += took
            self.longest_s = max(self.longest_s, took)

    def stats(self) -> dict:
        return {"gc_full": self.count, "gc_full_s": self.total_s, "gc_full_longest_s": self.longest_s}


def start_stats_writer(period_s: float = 1.0):
    """When `STATS_ENV` is set: start timing the full garbage collections (`CollectorPauses`) and a
    daemon thread that calls `write_stats` every `period_s` seconds, so that the file holds the counts
    of the last second whether or not sessions start or end (the load command reads it after the
    class has closed). Returns the thread, or None."""
    if not os.environ.get(STATS_ENV):
        return None
    pauses = pn.state.cache.setdefault(PAUSES_KEY, CollectorPauses())
    if pauses not in gc.callbacks:
        gc.callbacks.append(pauses)

    def run():
        while True:
            time.sleep(period_s)
            write_stats("periodic")

    thread = threading.Thread(target=run, name="explorer-stats", daemon=True)
    thread.start()
    return thread


def session_created(session_context):
    """Log a new session with this server process's id (with ``--num-procs`` a page's request and its
    websocket may reach two processes: each builds the session and logs it)."""
    print(f"[explorer] session created: {session_context.id} (pid {os.getpid()})", flush=True)
    write_stats("session created")


def session_ready(session_context):
    """Log that a session's page has connected and rendered (Panel's on-load callbacks run after the
    browser's ``document_ready``, only in the process that holds the websocket): the line says which
    server process serves the session (the load command counts sessions per process from it). Then
    `freeze_ready_session`."""
    print(f"[explorer] session ready: {session_context.id} (pid {os.getpid()})", flush=True)
    freeze_ready_session()


def freeze_ready_session() -> None:
    """Collect the objects made since the last freeze and move the rest, the new page's models
    among them, to the collector's permanent generation (`gc.freeze`). A full collection holds the
    interpreter, and so every session's updates, for as long as it scans every object alive: with
    a class's pages alive that was a second or two, several times a minute. Frozen, the pages are
    no longer scanned; the collections scan what was made since (the updates' objects). A closed
    session's cycles are collected by `release_memory`, which unfreezes, collects and freezes again.
    Process-wide; call on the event loop's thread."""
    gc.collect()
    gc.freeze()


def session_destroyed(session_context):
    """Log the end of a session, drop what the libraries keep of it (`forget_views`) and have its
    memory returned to the system (`release_memory`) when `schedule_release` says: a moment later
    if it was this process's last session, else with the memory of other ended sessions."""
    print(f"[explorer] session destroyed: {session_context.id} (pid {os.getpid()})", flush=True)
    forget_views(getattr(session_context, "_document", None))
    write_stats("session destroyed")
    from tornado.ioloop import IOLoop

    server = getattr(session_context, "server_context", None)
    others_open = len(list(server.sessions)) if server is not None else 0  # this one is gone already
    schedule_release(IOLoop.current().call_later, others_open=others_open)


def resident_bytes() -> int:
    """This process's resident memory in bytes (Linux ``/proc/self/statm``), 0 where unavailable."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def schedule_release(call_later, state=None, now=None, others_open=0, resident=None) -> float | None:
    """Schedule `release_memory` with `call_later(delay, callback)` (the event loop's) `RELEASE_DELAY_S`
    from now, or `RELEASE_INTERVAL_S` after the last collection if that is later, for a session that
    has just ended while `others_open` sessions of this process remain: at once when none remains or
    the process's `resident` memory (bytes; default `resident_bytes()`) has grown by
    `RELEASE_ABOVE_BYTES` since the last collection, else only once `RELEASE_AFTER_CLOSED` sessions
    have ended since the last collection. Nothing when one is already scheduled (it will collect
    this session's memory too). Returns the delay scheduled, or None. `state` is the server's
    record of it (default: a `pn.state.cache` entry; call on the event loop's thread, as Bokeh runs
    the end-of-session callbacks)."""
    if state is None:
        state = pn.state.cache.setdefault(RELEASE_KEY, {"due": None, "last": None, "ended": 0})
    now = time.monotonic() if now is None else now
    resident = resident_bytes() if resident is None else resident
    state["ended"] = state.get("ended", 0) + 1
    grown = resident - state.setdefault("resident", resident) >= RELEASE_ABOVE_BYTES
    if state["due"] is not None or (others_open and not grown and state["ended"] < RELEASE_AFTER_CLOSED):
        return None
    due = now + RELEASE_DELAY_S
    if state["last"] is not None:
        due = max(due, state["last"] + RELEASE_INTERVAL_S)
    state["due"] = due

    def release():
        state["due"], state["last"], state["ended"] = None, time.monotonic(), 0
        release_memory()
        state["resident"] = resident_bytes()

    call_later(due - now, release)
    return due - now


def never_cdn_style_sheets():
    """Make Panel's fallback address for component style sheets this server's own
    (`explorer.compat.local_style_sheet_fallback`: the served app wants local resources only; an
    offline lab machine cannot reach the CDN). Process-wide library setting, set once; no session
    state."""
    local_style_sheet_fallback()


def serve_resources_locally(doc):
    """Point every style sheet of `doc` at this server (`explorer.compat.serve_style_sheets_locally`).

    Panel rewrites its components' CDN style-sheet addresses to the server's own only when it
    renders the HTML page of a session. A page that connects its websocket after that session
    has expired (a slow machine, a loaded lab server) gets a new session that never had its page
    rendered, and its style sheets then pointed at cdn.holoviz.org: with ten pages at once the
    load command counted hundreds of requests to other hosts, and such pages are unstyled
    offline (docs/results/benchmarks.md, "Server and kernel settings"). This applies the same
    rewrite to every session when it is created.
    """
    serve_style_sheets_locally(doc, pn.state.rel_path)


INJECT_ERROR_ENV = "ANALOG_EXPLORER_TEST_INJECT_ERROR"
"""Tests only: when this environment variable is "1" on the server, switching lecture mode on raises
an error in that session's watcher (`inject_test_error`), so a test can check where errors go. Unset
in production: no control of the page can raise it."""

ERROR_NOTICE = "Something went wrong here: {}. This page keeps working; the error was logged."
"""The notification an error shows in its own session."""


def session_id() -> str:
    """The id of the session whose callback runs now ("" outside a served session)."""
    doc = pn.state.curdoc
    context = getattr(doc, "session_context", None) if doc is not None else None
    return getattr(context, "id", "") or ""


def report_error(exception: BaseException) -> None:
    """Panel's exception handler (`pn.config.exception_handler`) for every session callback (widget
    watchers, periodic and next-tick callbacks; Panel runs it with the failing session's document
    current): log the error with the session's id and its traceback in the server's output, and show
    a notification in that session only. The session goes on serving its other callbacks."""
    sid = session_id()
    print(f"[explorer] error in session {sid}: {type(exception).__name__}: {exception}", flush=True)
    logging.getLogger("explorer.sessions").error("error in session %s", sid, exc_info=exception)
    notifications = pn.state.notifications if pn.state.curdoc is not None else None
    if notifications is not None:
        notifications.error(ERROR_NOTICE.format(f"{type(exception).__name__}: {exception}"), duration=0)


def inject_test_error(presentation) -> None:
    """Tests only (`INJECT_ERROR_ENV`): make switching lecture mode on raise in this session."""
    if os.environ.get(INJECT_ERROR_ENV) != "1":
        return

    def fail(event):
        if event.new:
            raise RuntimeError("injected test error")

    presentation.param.watch(fail, "lecture")


def _argument_text(value) -> str | None:
    """One value of a request's arguments as text: bytes (the request's own), or ``{"bytes": ...}``
    (URL-safe base64 without padding, as Bokeh's session token carries them), or text; None for a
    ``bytes`` entry that is not base64 (the token comes from the browser: a forged one is dropped,
    not allowed to fail the page)."""
    if isinstance(value, dict) and isinstance(value.get("bytes"), str):
        text = value["bytes"]
        try:
            value = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
        except ValueError:  # binascii.Error
            return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def restore_link_query(location, session_context) -> bool:
    """Give `location` (the page's `pn.state.location`) the query of the link the page was opened with
    when this process built the session from its websocket alone, and return whether it did.

    With ``--num-procs N`` a page's request and its websocket are two connections and may reach two
    server processes; the second then builds the session again from the session's token (Bokeh's
    ``create_session_if_needed``), whose request is the websocket's (``/app/ws``, no query): Panel's
    location then starts without the link's settings and lesson step, and gets them only when the
    browser reports its address, if at all in time (the load command found lesson links opening on
    the Overview tab this way). The token carries the page request's arguments; this puts them back.
    """
    request = getattr(session_context, "request", None)
    if location is None or request is None or location.search:
        return False
    arguments = {k: v for k, v in (getattr(request, "arguments", None) or {}).items() if k != "bokeh-session-id"}
    if not arguments:
        return False
    pairs = [
        (str(k), text)
        for k, values in arguments.items()
        for v in (values if isinstance(values, list) else [values])
        if (text := _argument_text(v)) is not None
    ]
    if not pairs:
        return False
    # The values are then checked as any link's are (`explorer.views.links.clean_location`).
    location.search = "?" + urlencode(pairs)
    return True
