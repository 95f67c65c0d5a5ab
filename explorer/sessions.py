"""Server-side care of browser sessions: a log line per session, style sheets served locally, and
memory returned when a session ends. Used by `explorer/app.py` under `panel serve`.

These live in an importable module rather than in app.py: Bokeh runs app.py as a fresh module for
each session and clears that module when the session ends, before the end-of-session callbacks
run, so a callback defined in app.py finds its globals gone.
"""

import ctypes
import gc

import panel as pn

from explorer.compat import local_style_sheet_fallback, serve_style_sheets_locally

RELEASE_DELAY_S = 2.0
"""Seconds after a session ends before its memory is collected (Panel and Bokeh finish their own
clean-up of the session first)."""


def release_memory():
    """Collect garbage and hand freed heap pages back to the system (glibc's malloc_trim), so that
    a closed session's memory shows up as free again instead of staying in the allocator's arenas
    (Param objects hold reference cycles that only the collector frees)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def session_created(session_context):
    print(f"[explorer] session created: {session_context.id}", flush=True)


def session_destroyed(session_context):
    """Log the end of a session and, a moment later, return its memory to the system."""
    print(f"[explorer] session destroyed: {session_context.id}", flush=True)
    from tornado.ioloop import IOLoop

    IOLoop.current().call_later(RELEASE_DELAY_S, release_memory)


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
