"""Server-side care of browser sessions: a log line per session, style sheets served locally, and
memory returned when a session ends. Used by `explorer/app.py` under `panel serve`.

These live in an importable module rather than in app.py: Bokeh runs app.py as a fresh module for
each session and clears that module when the session ends, before the end-of-session callbacks
run, so a callback defined in app.py finds its globals gone.
"""

import ctypes
import gc

import panel as pn

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
    """Make Panel's fallback address for component style sheets this server's own.

    Panel builds a component's style sheets with ``doc._template_variables["dist_url"]`` and, for
    a document without one, with its CDN address, rewriting even local addresses to it. Some
    models are built or rebuilt in such a document while a session runs: a Markdown pane whose
    text changes from a periodic callback while a programming run streams (traced: Panel's
    ``markup._update`` with ``model.document``, a document without template variables), then a
    tab rendered later; their loading.css and markdown.css came from cdn.holoviz.org, which an
    offline lab machine cannot reach. The served app wants local resources only, so the
    fallback is the server's own path. Process-wide library setting, set once; no session state.
    """
    import panel.reactive
    from panel.io.resources import LOCAL_DIST

    panel.reactive.CDN_DIST = LOCAL_DIST


def serve_resources_locally(doc):
    """Point every style sheet of `doc` at this server.

    Panel rewrites its components' CDN style-sheet addresses to the server's own only when it
    renders the HTML page of a session. A page that connects its websocket after that session
    has expired (a slow machine, a loaded lab server) gets a new session that never had its page
    rendered, and its style sheets then pointed at cdn.holoviz.org: measured with ten pages at
    once, 269 requests to other hosts, unstyled pages offline. This applies the same rewrite to
    every session when it is created.
    """
    from panel.io.resources import LOCAL_DIST, patch_model_css

    dist_url = f"{pn.state.rel_path}/{LOCAL_DIST}" if pn.state.rel_path else LOCAL_DIST
    for root in doc.roots:
        patch_model_css(root, dist_url=dist_url)
