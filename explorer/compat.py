"""Every use the app makes of a private Panel or Bokeh interface, in one place.

The served app depends on a few things Panel, Bokeh and asyncio do not promise to keep: the wait
Panel puts before handling a widget's browser events and the method that handles them, Bokeh's wire
format for an array sent inside a message, the server session behind a session context, where
Panel looks for its style sheets, whether Panel may change a document at once, Panel's registry of
rendered views, asyncio's schedule of timers, and the method that writes a synced setting into the
page's URL. Each is used here and only here, behind a named
function or class; `tests/test_compat.py` exercises each one against the installed versions and
names the function and the private interface that broke. `pyproject.toml` pins Panel and Bokeh
to the releases listed in `CHECKED_AGAINST`; before widening the pins, run that test.
"""

import heapq
import sys
import threading

import numpy as np
from bokeh.core.serialization import Buffer, Serializable
from bokeh.util.serialization import make_id, transform_array

CHECKED_AGAINST = {"panel": "1.9", "bokeh": "3.9"}
"""Major.minor releases every function here was checked against (tests/test_compat.py): the
range `pyproject.toml` allows."""

PRIVATE_APIS = {
    "PromptEvents": "panel.reactive.Syncable._debounce and Syncable._change_event(doc)",
    "InlineArray": "Bokeh's wire format of an inline ndarray ({'type': 'ndarray', 'array': {'type': 'bytes'}})",
    "server_session": "bokeh.server.contexts.BokehSessionContext._session (a ServerSession)",
    "local_style_sheet_fallback": "panel.reactive.CDN_DIST (module global) and panel.io.resources.LOCAL_DIST",
    "serve_style_sheets_locally": "panel.io.resources.patch_model_css(root, dist_url) and LOCAL_DIST",
    "changes_go_at_once": "panel.io.state.state._unblocked(doc)",
    "forget_views": "panel.io.state.state._views (root ref -> (viewable, root, document, comm))",
    "drop_cancelled_timers": "asyncio BaseEventLoop._scheduled, _timer_cancelled_count and TimerHandle._scheduled",
    "serialize_url_updates": "panel.io.location.Location._update_query (what sync's watchers call)",
}
"""Each name defined here -> the private Panel or Bokeh interface it relies on."""


# ------------------------------------------------------------------ widget events (Panel)


class PromptEvents:
    """Mixin of Panel widgets whose browser events reach the callbacks at once and in order.

    Panel waits `Syncable._debounce` (50 ms) before processing a widget's events, to gather a
    drag's many `value` events into one; sliders that act on `value_throttled` only (one event on
    release or key press) gain nothing from the wait but latency, so it is 0 here.

    With a thread pool (the served app's `--num-threads`) Panel hands each batch of a widget's
    events to a pool thread (`Syncable._change_event(doc)`); two batches could then run at once and
    the older value land last: under load a slider's twenty quick key presses ended at 317 of 320 K
    (the server received 304 then 303, and the slider was set back). Taking the batch inside a
    lock means a later batch is always newer than the one applied before it.
    """

    _debounce = 0

    def __init__(self, **params):
        super().__init__(**params)
        self._in_order = threading.RLock()

    def _change_event(self, doc):
        """Apply the browser's pending events one batch at a time, in the order they came."""
        with self._in_order:
            super()._change_event(doc)


# ------------------------------------------------------------------ arrays on the wire (Bokeh)


class InlineArray(np.ndarray, Serializable):
    """An array that Bokeh serializes inside the message's JSON (base64) instead of as a separate
    binary buffer: Bokeh sends every buffer as two websocket frames of its own, so a plot of many
    small arrays would otherwise cost many frames per update. The representation is the one Bokeh
    itself writes for inline bytes (gzip, then base64), which BokehJS and Bokeh's `Deserializer`
    read."""

    def to_serializable(self, serializer):
        array = transform_array(np.ascontiguousarray(self.view(np.ndarray)))
        data = Buffer(make_id(), array.data).to_base64()
        return {
            "type": "ndarray",
            "array": {"type": "bytes", "data": data},
            "shape": list(array.shape),
            "dtype": array.dtype.name,
            "order": sys.byteorder,
        }


# ------------------------------------------------------------------ server sessions (Bokeh)


def server_session(session_context):
    """The Bokeh `ServerSession` behind `session_context` (a `BokehSessionContext`), or None while
    the session is being created, and outside a server (a notebook, a test)."""
    return getattr(session_context, "_session", None)


def session_gone(session_context):
    """Whether the browser page of `session_context` has gone: its server session destroyed, or
    left with no open connection (a closed page leaves its session with 0 connections until Bokeh
    destroys it, a while later: a run stepping for it can stop at once). False without a server
    session."""
    session = server_session(session_context)
    return session is not None and (session.destroyed or session.connection_count == 0)


# ------------------------------------------------------------------ style sheets (Panel)


def local_style_sheet_fallback():
    """Make Panel's fallback address for component style sheets this server's own.

    Panel builds a component's style sheets with the document's ``dist_url`` template variable and,
    for a document without one, with its CDN address (`panel.reactive.CDN_DIST`), rewriting even
    local addresses to it. Some models are built or rebuilt in such a document while a session
    runs: a Markdown pane whose text changes from a periodic callback while a programming run
    streams (traced: Panel's ``markup._update`` with ``model.document``, a document without
    template variables), then a tab rendered later; their loading.css and markdown.css came from
    cdn.holoviz.org, which an offline lab machine cannot reach. The served app wants local
    resources only, so the fallback is the server's own path. Process-wide library setting, set once; returns the
    address it set."""
    import panel.reactive
    from panel.io.resources import LOCAL_DIST

    panel.reactive.CDN_DIST = LOCAL_DIST
    return LOCAL_DIST


def serve_style_sheets_locally(doc, rel_path=None):
    """Point every style sheet of every root of `doc` at this server (`rel_path`: the server's
    relative path prefix, Panel's `pn.state.rel_path`).

    Panel rewrites its components' CDN style-sheet addresses to the server's own only when it
    renders the HTML page of a session; a page that connects its websocket after that session has
    expired gets a new session that never had its page rendered, whose style sheets pointed at the
    CDN. This applies the same rewrite to a session when it is created. Returns the address used."""
    from panel.io.resources import LOCAL_DIST, patch_model_css

    dist_url = f"{rel_path}/{LOCAL_DIST}" if rel_path else LOCAL_DIST
    for root in doc.roots:
        patch_model_css(root, dist_url=dist_url)
    return dist_url


__all__ = [
    "CHECKED_AGAINST",
    "PRIVATE_APIS",
    "InlineArray",
    "PromptEvents",
    "server_session",
    "local_style_sheet_fallback",
    "serve_style_sheets_locally",
    "serialize_url_updates",
    "session_gone",
]


# ------------------------------------------------------------------ documents and sessions (Panel, asyncio)


def changes_go_at_once(doc):
    """Whether a change to `doc` made in this thread is dispatched at once (this thread is the one
    serving `doc` on the event loop) rather than scheduled as a callback of its own
    (`panel.io.state.state._unblocked`)."""
    import panel as pn

    return bool(pn.state._unblocked(doc))


def forget_views(doc) -> int:
    """Remove every entry of document `doc` from Panel's registry of rendered views
    (``pn.state._views``: root model id -> (viewable, root model, document, comm)); returns how many.

    Why: Panel registers each root it renders there and removes it when the session ends only for
    roots it served as the page (``servable``); the notification area, which Panel adds to every page
    when notifications are on (`explorer.sessions.report_error` shows errors with it), is rendered
    with ``get_root`` and its entry stayed for the life of the server, holding the notification
    area, its Bokeh model and the destroyed document of every session that ever ended.
    """
    import panel as pn

    views = getattr(pn.state, "_views", None)
    if not isinstance(views, dict) or doc is None:
        return 0
    refs = [ref for ref, entry in list(views.items()) if isinstance(entry, tuple) and entry[2:3] == (doc,)]
    for ref in refs:
        views.pop(ref, None)
    return len(refs)


def drop_cancelled_timers(loop) -> int:
    """Remove the cancelled timers from asyncio event loop `loop`'s schedule (as asyncio does itself
    once they are more than half of over a hundred timers); returns how many were removed. Call it on
    the loop's own thread.

    Why: Tornado's HTTP server waits for a connection's next request with a timer of its idle
    connection timeout (3600 s by default), and asyncio keeps a timer's copy of the context variables
    of the moment it was set. Panel keeps the current document in a context variable, so the timers
    set while a page or websocket request was served hold that session's Bokeh document; when the
    connection closes the timer is cancelled but stays in the schedule until its hour is up, and the
    destroyed document keeps its notification area and browser details (Panel's per-document
    registries) alive with it. With fewer than a hundred timers asyncio never sweeps them.
    """
    scheduled = getattr(loop, "_scheduled", None)
    if not isinstance(scheduled, list):
        return 0
    kept = [handle for handle in scheduled if not handle.cancelled()]
    dropped = len(scheduled) - len(kept)
    if dropped:
        for handle in scheduled:
            if handle.cancelled():
                handle._scheduled = False  # as asyncio marks a cancelled timer it pops
        heapq.heapify(kept)
        scheduled[:] = kept
        loop._timer_cancelled_count = max(0, getattr(loop, "_timer_cancelled_count", dropped) - dropped)
    return dropped


# ------------------------------------------------------------------ the page's URL (Panel)


def serialize_url_updates(location) -> None:
    """Make the page's URL updates one at a time: Panel's `Location` (`pn.state.location`, one per
    page) writes a synced setting into the URL (`Location._update_query`) by reading the query,
    changing one key and writing the query back, behind a flag (``_syncing``) that makes any other
    update return at once while one is under way. Updates from two threads of one page (a lesson
    step opened from the follower's thread while the event loop switches the tab, a dashboard's
    background run) could then drop a change: the later one skipped or written over, and the URL
    kept the old step for good. Here every update of the URL from a setting takes one re-entrant
    lock per page, so it waits for the one under way. Call it before the page's first `sync`: the
    watchers `sync` makes call the locked method."""
    lock = threading.RLock()
    update = location._update_query

    def locked(*args, **kwargs):
        with lock:
            return update(*args, **kwargs)

    location._update_query = locked
