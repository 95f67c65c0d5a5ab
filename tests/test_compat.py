"""Every private Panel or Bokeh interface the app uses (`explorer.compat`), exercised against the
installed versions: an upgrade that breaks one fails here, naming the function and the interface,
rather than as a slow slider, a missing plot or an unstyled page in a classroom."""

import asyncio
import contextvars
import gc
import inspect
import re
import threading
import tomllib
import weakref
from importlib.metadata import version
from pathlib import Path

import numpy as np
import panel as pn
import param
import pytest
from bokeh.core.serialization import Deserializer, Serializer
from bokeh.document import Document
from bokeh.models import ImportedStyleSheet

from explorer import compat
from explorer.views._widgets import FloatSlider, IntSlider

ROOT = Path(__file__).resolve().parents[1]


def broke(name, detail):
    """The failure message: which compat function, which private interface, what happened."""
    return (
        f"explorer.compat.{name} relies on {compat.PRIVATE_APIS[name]}, which the installed panel "
        f"{version('panel')} / bokeh {version('bokeh')} no longer provide as used: {detail}"
    )


def test_every_private_interface_is_listed_and_tested_here():
    tested = {
        "PromptEvents",
        "InlineArray",
        "server_session",
        "local_style_sheet_fallback",
        "serve_style_sheets_locally",
        "changes_go_at_once",
        "forget_views",
        "drop_cancelled_timers",
        "serialize_url_updates",
    }
    assert set(compat.PRIVATE_APIS) == tested
    assert all(hasattr(compat, name) for name in compat.PRIVATE_APIS)


@pytest.mark.parametrize("package", ["panel", "bokeh"])
def test_the_installed_versions_are_the_checked_ones_and_pinned(package):
    checked = compat.CHECKED_AGAINST[package]
    installed = ".".join(version(package).split(".")[:2])
    assert installed == checked, (
        f"{package} {version(package)} is installed; explorer/compat.py was checked "
        f"against {checked}: run tests/test_compat.py and update CHECKED_AGAINST"
    )
    major, minor = map(int, checked.split("."))
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (spec,) = [d for d in deps if re.match(rf"{package}\b", d)]
    assert spec.replace(" ", "") == f"{package}>={major}.{minor},<{major}.{minor + 1}", spec


# ------------------------------------------------------------------ PromptEvents


class RecordingLock:
    def __init__(self):
        self.entered = 0

    def __enter__(self):
        self.entered += 1

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("cls", [IntSlider, FloatSlider])
def test_prompt_events_take_effect_at_once_and_under_the_lock(cls):
    from panel.reactive import Syncable

    name = "PromptEvents"
    assert isinstance(Syncable.__dict__.get("_debounce"), int), broke(name, "Syncable._debounce is gone")
    assert cls._debounce == 0
    source = inspect.getsource(Syncable._server_change)
    assert "self._debounce" in source, broke(name, "Syncable._server_change no longer waits self._debounce")
    assert "self._change_event(doc)" in source, broke(
        name, "Syncable._server_change no longer calls _change_event(doc)"
    )
    params = list(inspect.signature(Syncable._change_event).parameters)
    assert params == ["self", "doc"], broke(name, f"Syncable._change_event takes {params}")
    # A browser change of the value, as Panel's server handler receives it (a document without a
    # session handles it at once), reaches the widget through the override, inside its lock.
    widget = cls(start=0, end=10, value=1)
    doc = Document()
    root = widget.get_root(doc)
    widget._in_order = lock = RecordingLock()
    widget._server_change(doc, root.ref["id"], None, "value", 1, 7)
    assert widget.value == 7, broke(name, "a browser change no longer reaches the widget")
    assert lock.entered == 1, broke(name, "Panel no longer handles a change through _change_event")


# ------------------------------------------------------------------ InlineArray


@pytest.mark.parametrize(
    "array",
    [
        np.arange(7, dtype=np.float32),
        np.linspace(0, 1, 12).reshape(3, 4),
        np.array([1, 0, 1], dtype=bool),
        np.arange(5, dtype=np.int32),
    ],
)
def test_inline_arrays_travel_inside_the_message_and_read_back(array):
    name = "InlineArray"
    serialized = Serializer(deferred=True).serialize({"a": array.view(compat.InlineArray)})
    assert not serialized.buffers, broke(name, "the array was sent as a binary buffer")
    ((_, rep),) = serialized.content["entries"]
    assert rep["type"] == "ndarray" and isinstance(rep["array"]["data"], str), broke(name, f"sent as {rep!r}")
    back = Deserializer().deserialize(serialized)["a"]
    assert back.dtype == array.dtype and back.shape == array.shape, broke(
        name, f"read back as {back.dtype} {back.shape}"
    )
    np.testing.assert_array_equal(back, array, err_msg=broke(name, "read back other values"))
    # Without the subclass the same array costs a binary buffer (what InlineArray saves).
    assert Serializer(deferred=True).serialize({"a": array}).buffers


# ------------------------------------------------------------------ server_session, session_gone


class Connection:
    """Stands for a websocket connection (a ServerSession only counts them)."""


def test_the_server_session_behind_a_context_tells_when_its_page_has_gone():
    from bokeh.server.contexts import BokehSessionContext
    from bokeh.server.session import ServerSession

    name = "server_session"
    doc = Document()
    context = BokehSessionContext("s1", None, doc)
    assert compat.server_session(context) is None, broke(name, "a new context already has a session")
    assert not compat.session_gone(context) and not compat.session_gone(None)
    session = ServerSession("s1", doc)
    context._set_session(session)  # what Bokeh's server does once the session exists
    assert compat.server_session(context) is session, broke(name, "the context no longer holds its ServerSession")
    assert compat.session_gone(context), broke(name, "a session without a connection is not seen as gone")
    connection = Connection()
    session.subscribe(connection)
    assert not compat.session_gone(context), broke(name, "ServerSession.connection_count no longer counts connections")
    session.unsubscribe(connection)
    session.subscribe(connection)
    session.destroy()
    assert compat.session_gone(context), broke(name, "ServerSession.destroyed no longer says so")


# ------------------------------------------------------------------ style sheets


def style_sheet_urls(root):
    return [str(s.url) for s in root.select({"type": ImportedStyleSheet})]


def test_the_style_sheet_fallback_is_this_servers_own():
    import panel.reactive
    from panel.io.resources import LOCAL_DIST

    name = "local_style_sheet_fallback"
    assert isinstance(getattr(panel.reactive, "CDN_DIST", None), str), broke(name, "panel.reactive.CDN_DIST is gone")
    before = panel.reactive.CDN_DIST
    try:
        assert all(u.startswith(before) for u in style_sheet_urls(pn.pane.Markdown("x").get_root(Document())))
        assert compat.local_style_sheet_fallback() == LOCAL_DIST
        urls = style_sheet_urls(pn.pane.Markdown("x").get_root(Document()))
        assert urls and all(u.startswith(LOCAL_DIST) for u in urls), broke(name, f"style sheets at {urls}")
    finally:
        panel.reactive.CDN_DIST = before  # process-wide: left as found for the other tests


@pytest.mark.parametrize("rel_path", [None, "/lab"])
def test_a_documents_style_sheets_are_pointed_at_this_server(rel_path):
    from panel.io.resources import LOCAL_DIST

    name = "serve_style_sheets_locally"
    doc = Document()
    root = pn.Column(pn.pane.Markdown("x"), pn.widgets.FloatSlider()).get_root(doc)
    doc.add_root(root)
    assert any("cdn" in u for u in style_sheet_urls(root))  # what a session's document starts with
    expected = f"{rel_path}/{LOCAL_DIST}" if rel_path else LOCAL_DIST
    assert compat.serve_style_sheets_locally(doc, rel_path) == expected
    urls = style_sheet_urls(root)
    assert urls and all(u.startswith(expected) for u in urls), broke(name, f"style sheets at {urls}")


# ------------------------------------------------------------------ documents and sessions


class _Held:
    """A stand-in for a session's document (weak-referenceable)."""


def test_drop_cancelled_timers_frees_what_their_context_held():
    holder = contextvars.ContextVar("held")
    held = _Held()
    ref = weakref.ref(held)
    fired = []

    async def main(value):
        loop = asyncio.get_running_loop()
        token = holder.set(value)
        idle = loop.call_later(3600.0, fired.append, "idle")  # a connection's idle timeout
        holder.reset(token)
        soon = loop.call_later(60.0, fired.append, "live")
        idle.cancel()
        return soon

    loop = asyncio.new_event_loop()
    try:
        soon = loop.run_until_complete(main(held))
        del held
        gc.collect()
        assert ref() is not None  # the cancelled timer's context still holds it
        assert loop.run_until_complete(_drop(loop)) == 1
        gc.collect()
        assert ref() is None
        assert loop._scheduled == [soon] and not soon.cancelled()  # a live timer stays
        assert loop._timer_cancelled_count == 0 and fired == []
        assert loop.run_until_complete(_drop(loop)) == 0
    finally:
        loop.close()


async def _drop(loop):
    return compat.drop_cancelled_timers(loop)


def test_forget_views_removes_the_entries_of_one_document_only():
    doc_a, doc_b = _Held(), _Held()
    views = pn.state._views
    entries = {"test-a1": (object(), object(), doc_a, None), "test-a2": (object(), object(), doc_a, None)}
    entries["test-b"] = (object(), object(), doc_b, None)
    views.update(entries)
    try:
        assert compat.forget_views(doc_a) == 2
        assert "test-a1" not in views and "test-a2" not in views
        assert views["test-b"][2] is doc_b
        assert compat.forget_views(None) == 0
    finally:
        for key in entries:
            views.pop(key, None)


def test_changes_go_at_once_only_in_the_thread_serving_the_document():
    from panel.io.state import set_curdoc

    doc, other = Document(), Document()
    with set_curdoc(doc):
        assert compat.changes_go_at_once(doc) is True
        assert compat.changes_go_at_once(other) is False
        box = {}
        thread = threading.Thread(target=lambda: box.update(at_once=compat.changes_go_at_once(doc)))
        thread.start()
        thread.join()
    assert box["at_once"] is False, broke("changes_go_at_once", "a change from another thread went at once")


# ------------------------------------------------------------------ serialize_url_updates


class _TwoSettings(param.Parameterized):
    step = param.Integer(default=1)
    tab = param.Integer(default=0)


@pytest.mark.parametrize("serialized", [True, False])
def test_url_updates_from_two_threads_both_reach_the_url(serialized):
    """A lesson step set in one thread while another thread's URL update is under way: with the page's
    updates serialized (as the app does) both reach the URL; with Panel's own flag alone the second
    returns at once and is lost, which is what the lock is for (the test shows it can fail)."""
    from panel.io.location import Location

    assert callable(getattr(Location, "_update_query", None)), broke("serialize_url_updates", "no such method")
    location = Location()
    if serialized:
        compat.serialize_url_updates(location)
    settings = _TwoSettings()
    location.sync(settings, {"step": "step", "tab": "tab"})
    writing, release = threading.Event(), threading.Event()

    def hold_the_first_write(event):
        if "tab=3" in event.new and not writing.is_set():
            writing.set()
            release.wait(10)

    location.param.watch(hold_the_first_write, "search")
    first = threading.Thread(target=lambda: setattr(settings, "tab", 3))
    first.start()
    assert writing.wait(10)  # the first update is writing the URL
    second = threading.Thread(target=lambda: setattr(settings, "step", 2))
    second.start()
    if serialized:
        second.join(0.3)  # waits on the lock for the first: still under way
        assert second.is_alive()
    else:
        second.join(10)  # Panel's flag alone: it returns at once, its change dropped
        assert not second.is_alive()
    release.set()
    first.join(10)
    second.join(10)
    query = location.query_params
    assert query["tab"] == 3
    if serialized:
        assert query["step"] == 2, broke("serialize_url_updates", f"the URL lost the second update: {query}")
    else:
        # Panel alone: the step never reached the URL (if it does, Panel's flag changed: look again
        # at whether the lock is still needed).
        assert query["step"] == 1, f"Panel {version('panel')} kept both updates without the lock: {query}"
