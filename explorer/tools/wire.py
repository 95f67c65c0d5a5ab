"""A light student: one session of the served app driven over Bokeh's websocket protocol, as a
browser's BokehJS drives it, without a browser and without decoding the document into Bokeh models.

What a browser does, and what this does the same way (Bokeh 3's server protocol):

1. GET the app's page (with the link's query, ``?lesson=pcm-drift&step=1`` say). The server creates
   the session there, running the app for it, and writes the session's token into the page.
2. Open the websocket ``/app/ws`` with the subprotocols ``["bokeh", token]``; the server sends ACK.
3. Send PULL-DOC-REQ; the server replies PULL-DOC-REPLY with the whole document as JSON.
4. From then on, each change a student makes is a PATCH-DOC message holding the changed
   properties as ``ModelChanged`` events (a slider moved by a key press changes ``value`` and
   ``value_throttled`` in one patch, as BokehJS's slider does; a tab click changes the Tabs'
   ``active``), or a ``MessageSent`` event for a button click; the server replies OK and sends its
   own PATCH-DOC messages with the new plot data.

What it keeps of the document (`WireDoc`): each model's id, type and attributes (a data source's
columns left out), from the reply's JSON and from every patch, so that it can find the Tabs, the
widgets under each tab (a tab's content arrives in a patch when the tab is first opened: the app's
tabs are dynamic) and the values a widget allows. It never builds Bokeh `Model` objects (which
`bokeh.client` would, at several times the CPU), and it draws nothing.

Update latency (`Update`): the time from sending a PATCH-DOC to the arrival of the last server
PATCH-DOC of that update carrying new plot data (a change of a `PLOT_MODELS` model, or a new
data source: a tab's first plots), where the update ends when no server message has arrived for
`QUIET_S` after plot data came. An update for which no plot data came within its timeout is
recorded without a latency (`Update.latency` None; its `reason` says why): with the widgets the
load command moves (`wire_catalogue`) that is an error.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

PLOT_MODELS = ("ColumnDataSource", "Title", "Span", "BoxAnnotation", "LinearColorMapper")
"""Bokeh models whose changes are a plot's new data (the same set the browser page measures with:
`explorer.tools.served.PLOT_MODELS`)."""

QUIET_S = 0.5
"""An update has ended when plot data came and then no server message for this long (the Chromium
page's measure, `explorer.tools.classroom.Student`, waits the same)."""

TOKEN = re.compile(r'"token"\s*:\s*"([A-Za-z0-9_\-\.]+)"')
"""The session token in the page Bokeh's server renders (its render items' JSON)."""

SLIDERS = ("Slider", "IntSlider")
SELECTS = ("Select", "panel.models.widgets.CustomSelect")
CHECKBOXES = ("Checkbox", "panel.models.widgets.Checkbox", "Switch")
GROUPS = ("RadioButtonGroup", "panel.models.widgets.RadioButtonGroup", "RadioGroup")
NUMBER_INPUTS = ("Spinner", "NumericInput")
DRIVEN = SLIDERS + SELECTS + CHECKBOXES + GROUPS + NUMBER_INPUTS
"""The widget types a light student changes (by their Bokeh type names). Buttons it presses by
name (`WireStudent.click`); text and file inputs it leaves alone."""


BROWSER = {
    "dark_mode": False,
    "device_pixel_ratio": 1,
    "language": "en-US",
    "timezone": "UTC",
    "timezone_offset": 0,
    "webgl": True,
}
"""What a browser's BokehJS reports of itself (Panel's BrowserInfo), as headless Chromium does."""


def _changed(model, **attrs):
    """A PATCH-DOC content setting `attrs` of `model`, one ModelChanged event each."""
    return {
        "events": [{"kind": "ModelChanged", "model": {"id": model.id}, "attr": k, "new": v} for k, v in attrs.items()]
    }


def _button_click(model):
    """The PATCH-DOC event BokehJS sends when button `model` is pressed."""
    return {
        "kind": "MessageSent",
        "msg_type": "bokeh_event",
        "msg_data": {
            "type": "event",
            "name": "button_click",
            "values": {"type": "map", "entries": [["model", {"id": model.id}]]},
        },
    }


class ProtocolError(RuntimeError):
    """The server sent what a browser would not accept (an ERROR reply, an unexpected message)."""


def _walk_objects(value, found):
    """Every serialized Bokeh object (``{"type": "object", "id": ...}``) in `value`, into `found`
    (id -> that dict), depth first."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            if v.get("type") == "object" and "id" in v:
                found[v["id"]] = v
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)


def _refs(value, nested=True):
    """The ids referenced anywhere in `value` (``{"id": ...}`` dicts and inline objects); with
    `nested` false, not those inside an inline object (the object's own attributes refer to them)."""
    out = []
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            if "id" in v and isinstance(v["id"], str) and (len(v) == 1 or v.get("type") == "object"):
                out.append(v["id"])
                if v.get("type") != "object" or not nested:
                    continue
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return out


@dataclass
class Model:
    """One Bokeh model as the light student knows it: `type` (Bokeh's name), `attrs` (its serialized
    attributes as last sent, references as ``{"id": ...}``; a data source's ``data`` left out)."""

    id: str
    type: str
    attrs: dict = field(default_factory=dict)


class WireDoc:
    """The models of one session's document, by id (see the module docstring)."""

    def __init__(self):
        self.models: dict[str, Model] = {}
        self.roots: list[str] = []
        self._classed: dict[tuple[str, str], int] = {}  # (model id, CSS class) -> order first seen

    def _add(self, objects):
        """Record serialized `objects` (id -> object); whether one is a data source. A patch holds a
        model's whole object only when the model (re)enters the document: a tab's plots when the tab
        is shown, new or kept by Panel from an earlier showing (then with the id known here)."""
        new_data = False
        for mid, obj in objects.items():
            attrs = dict(obj.get("attributes") or {})
            attrs.pop("data", None)
            new_data |= obj.get("name") == "ColumnDataSource"
            known = self.models.get(mid)
            if known is None:
                known = self.models[mid] = Model(mid, obj.get("name", ""), attrs)
            else:
                known.attrs.update(attrs)
            if "css_classes" in attrs or "tags" in attrs:
                self._seen_classes(known)
        return new_data

    def load(self, doc_json):
        """Read a PULL-DOC-REPLY's ``doc``."""
        found = {}
        _walk_objects(doc_json.get("roots", []), found)
        self._add(found)
        self.roots = [r["id"] for r in doc_json.get("roots", [])]

    def apply(self, events):
        """Apply a PATCH-DOC's events; whether they carry new plot data (`PLOT_MODELS`)."""
        plot = False
        for ev in events:
            kind = ev.get("kind")
            target = ev.get("model", {})
            mid = target.get("id") if isinstance(target, dict) else None
            model = self.models.get(mid)
            if kind == "ModelChanged":
                found = {}
                _walk_objects(ev.get("new"), found)
                plot |= self._add(found)
                if model is not None:
                    plot |= model.type in PLOT_MODELS
                    if ev.get("attr") != "data":
                        model.attrs[ev.get("attr")] = ev.get("new")
                    if ev.get("attr") in ("css_classes", "tags"):
                        self._seen_classes(model)
            elif kind in ("ColumnDataChanged", "ColumnsStreamed", "ColumnsPatched"):
                plot = True
            elif kind == "RootAdded":
                found = {}
                _walk_objects(ev.get("model"), found)
                plot |= self._add(found)
        return plot

    def of_type(self, *types):
        return [m for m in self.models.values() if m.type in types]

    def tabs(self):
        """The app's Tabs model (the one with the most panels), or None."""
        found = [m for m in self.models.values() if m.type.endswith("Tabs") and "tabs" in m.attrs]
        return max(found, key=lambda m: len(m.attrs["tabs"]), default=None)

    def under(self, root_id, shown=False):
        """Every model reachable from `root_id` through attributes (itself included); with `shown`,
        none under a model the page does not show (`hidden`)."""
        seen, stack = set(), [root_id]
        while stack:
            mid = stack.pop()
            if mid in seen or mid not in self.models:
                continue
            seen.add(mid)
            if shown and hidden(self.models[mid].attrs):
                continue
            # Shown: each model's own references, so that a hidden one prunes what it holds.
            stack.extend(_refs(self.models[mid].attrs, nested=not shown))
        return [self.models[m] for m in seen if not (shown and hidden(self.models[m].attrs))]

    def tab_child(self, index):
        """The id of the content of tab `index` (None if the tab or its content is not known)."""
        tabs = self.tabs()
        if tabs is None or index >= len(tabs.attrs["tabs"]):
            return None
        panel = self.models.get(tabs.attrs["tabs"][index]["id"])
        child = panel.attrs.get("child") if panel is not None else None
        return child.get("id") if isinstance(child, dict) else None

    def widgets(self, index):
        """The widgets (`DRIVEN` types) of tab `index` a person could move: shown on the page
        (`hidden`) and enabled."""
        child = self.tab_child(index)
        if child is None:
            return []
        return [m for m in self.under(child, shown=True) if m.type in DRIVEN and not m.attrs.get("disabled", False)]

    def by_css(self, css_class):
        """The models with `css_class` among their CSS classes."""
        return [m for m in self.models.values() if css_class in (m.attrs.get("css_classes") or [])]

    def in_tab(self, css_class, tab):
        """The models under tab `tab`'s content with `css_class` among their CSS classes."""
        child = self.tab_child(tab)
        if child is None:
            return []
        return [m for m in self.under(child) if css_class in (m.attrs.get("css_classes") or [])]

    def _seen_classes(self, model):
        marks = _marks(model)
        for mark in marks:
            self._classed.setdefault((model.id, mark), len(self._classed))
        for key in [k for k in self._classed if k[0] == model.id and k[1] not in marks]:
            del self._classed[key]

    def highlighted(self, mark, tab):
        """The models of tab `tab` that have `mark` now among their CSS classes or their tags (a
        lesson's outlined control: `explorer.views.lessons.HIGHLIGHT_TAG`), in the order they got it
        (the order of the server's patches; models that had it when the document arrived first, in
        document order). Models of a tab's earlier content stay known here, so the tab is needed."""
        child = self.tab_child(tab)
        if child is None:
            return []
        found = [m for m in self.under(child) if mark in _marks(m)]
        for m in found:
            self._classed.setdefault((m.id, mark), -1)
        return sorted(found, key=lambda m: self._classed.get((m.id, mark), -1))


def _marks(model):
    """A model's CSS classes and its string tags."""
    tags = [t for t in (model.attrs.get("tags") or []) if isinstance(t, str)]
    return {*(model.attrs.get("css_classes") or []), *tags}


def hidden(attrs) -> bool:
    """Whether a model with attributes `attrs` (as the document holds them) is not shown on the
    page, with what it holds: ``visible`` false, or hidden by its style (``display: none``, how the
    app hides a control: `explorer.views._widgets.show`)."""
    if attrs.get("visible") is False:
        return True
    styles = attrs.get("styles")
    if isinstance(styles, dict) and styles.get("type") == "map":
        styles = {k: v for k, v in styles.get("entries") or []}
    return isinstance(styles, dict) and styles.get("display") == "none"


def widget_title(model):
    """A widget's visible name: its title (sliders, selects), or its label (a checkbox)."""
    title = model.attrs.get("title")
    if isinstance(title, str) and title:
        return title
    labels = model.attrs.get("labels")
    if isinstance(labels, list) and labels and isinstance(labels[0], str):
        return labels[0]
    label = model.attrs.get("label")
    return label if isinstance(label, str) else ""


def _options(model):
    """A select's option values as BokehJS sends them (a value, or the first of a [value, label] pair)."""
    out = []
    for opt in model.attrs.get("options") or []:
        out.append(opt[0] if isinstance(opt, list) else opt)
    return out


def allowed_change(model, rng, span=1.0):
    """Attributes a student could set on `model` to a value other than its current one, chosen by
    `rng` (a `random.Random`): ``{attr: value, ...}`` as BokehJS's view of that widget sends them,
    or None if there is no other value. A slider: a point of its grid in [start, end] within `span`
    times its range of its current value (1: anywhere); a select: an option; a checkbox: the other
    state; a button group: another button; a number input: one step up or down (as an arrow key
    does: a student does not type a 4096 into the box at random)."""
    if not 0 < span <= 1:
        raise ValueError(f"span: a fraction of the slider's range in (0, 1], got {span!r}")
    a = model.attrs
    if model.type in SLIDERS:
        start, end, step = a.get("start"), a.get("end"), a.get("step") or 1
        if not isinstance(start, (int, float)) or not isinstance(end, (int, float)) or end <= start:
            return None
        n = int(round((end - start) / step))
        now = a.get("value")
        reach = span * (end - start) + 1e-9 * abs(end - start)
        values = [start + k * step for k in range(n + 1)]
        if isinstance(now, (int, float)):
            values = [v for v in values if abs(v - now) > 1e-9 * max(1, abs(v)) and abs(v - now) <= reach]
        if not values:
            return None
        v = rng.choice(values)
        v = int(round(v)) if isinstance(step, int) and isinstance(start, int) else round(v, 12)
        return {"value": v, "value_throttled": v}
    if model.type in SELECTS:
        opts = [o for o in _options(model) if o != a.get("value")]
        return {"value": rng.choice(opts)} if opts else None
    if model.type in CHECKBOXES:  # an attribute at its default is not in the document: False
        return {"active": not a.get("active", False)}
    if model.type in GROUPS:
        n = len(a.get("labels") or [])
        others = [k for k in range(n) if k != a.get("active")]
        return {"active": rng.choice(others)} if others else None
    if model.type in NUMBER_INPUTS:
        now, step = a.get("value"), a.get("step") or 1
        lo, hi = a.get("low"), a.get("high")
        if not isinstance(now, (int, float)):
            return None
        moves = [v for v in (now - step, now + step) if (lo is None or v >= lo) and (hi is None or v <= hi)]
        return {"value": rng.choice(moves)} if moves else None
    return None


@dataclass
class Update:
    """One change a light student sent: `what` (tab, widget, value), when it was sent (`sent`,
    perf_counter seconds), the server's plot-data patches after it (`arrivals`, seconds after
    `sent`), `latency` (ms to the last of them before the update ended; None if none came) and
    `reason` when it has none."""

    what: str
    kind: str
    sent: float
    arrivals: list = field(default_factory=list)
    latency: float | None = None
    reason: str = ""


class WireStudent:
    """One session of the app over the websocket protocol (module docstring). `open` gets the page
    and the document; `change`, `switch_tab` and `click` send what BokehJS sends and return the
    `Update` once it has ended. Not thread-safe: one asyncio loop drives it."""

    def __init__(self, base_url, query=None, timeout=120.0):
        self.base_url = base_url
        self.query = dict(query or {})
        self.timeout = timeout
        self.doc = WireDoc()
        self.ws = None
        self.errors: list[str] = []
        self.session_id: str | None = None  # from the page's token (the server's log names it)
        self.opened_s: float | None = None  # GET to PULL-DOC-REPLY
        self.page_s: float | None = None  # GET to page received
        self.page_url: str | None = None  # the page's address after any redirect (`explorer.front`)
        self._msgid = 0
        self._last_message = time.perf_counter()
        self._plot_times: list[float] = []
        self._reader = None
        self._wake = asyncio.Event()
        self.closed = False

    # -------------------------------------------------------------- protocol

    def _next_id(self):
        self._msgid += 1
        return str(self._msgid)

    async def _read_message(self):
        """One Bokeh message: (header, content text, buffers count) or None when the socket closed."""
        header_text = await self.ws.read_message()
        if header_text is None:
            return None
        header = json.loads(header_text)
        await self.ws.read_message()  # metadata
        content = await self.ws.read_message()
        for _ in range(2 * header.get("num_buffers", 0)):  # buffer header and payload
            await self.ws.read_message()
        return header, content

    async def _send(self, msgtype, content):
        msgid = self._next_id()
        await self.ws.write_message(json.dumps({"msgid": msgid, "msgtype": msgtype}))
        await self.ws.write_message("{}")
        await self.ws.write_message(json.dumps(content, separators=(",", ":")))
        return msgid

    async def open(self):
        """Get the page, open the websocket and pull the document; records `opened_s`."""
        from tornado.httpclient import AsyncHTTPClient, HTTPRequest
        from tornado.websocket import websocket_connect

        start = time.perf_counter()
        url = self.base_url + (("?" + urlencode(self.query)) if self.query else "")
        # A client of its own: the shared one sends at most ten requests at once, which would queue a
        # class's pages on this side rather than the server's.
        client = AsyncHTTPClient(force_instance=True)
        try:
            response = await client.fetch(url, request_timeout=self.timeout, connect_timeout=self.timeout)
        finally:
            client.close()
        self.page_s = time.perf_counter() - start
        # Behind the front (`explorer.front`) the page comes from one server process, whose address
        # the redirect gave: the websocket goes there too, as a browser's does.
        url = response.effective_url
        self.page_url = url.split("?", 1)[0]
        match = TOKEN.search(response.body.decode("utf-8", "replace"))
        if match is None:
            raise ProtocolError("the page has no session token")
        from bokeh.util.token import get_session_id

        self.session_id = get_session_id(match.group(1))
        ws_url = self.page_url.replace("http://", "ws://", 1) + "/ws"
        self.ws = await websocket_connect(
            HTTPRequest(ws_url, request_timeout=self.timeout, connect_timeout=self.timeout),
            subprotocols=["bokeh", match.group(1)],
            max_message_size=1 << 30,
        )
        ack = await asyncio.wait_for(self._read_message(), self.timeout)
        if ack is None or ack[0].get("msgtype") != "ACK":
            raise ProtocolError(f"expected ACK, got {ack and ack[0]}")
        await self._send("PULL-DOC-REQ", {})
        while True:
            reply = await asyncio.wait_for(self._read_message(), self.timeout)
            if reply is None:
                raise ProtocolError("the server closed the websocket before sending the document")
            header, content = reply
            if header.get("msgtype") == "PULL-DOC-REPLY":
                break
            if header.get("msgtype") == "ERROR":
                raise ProtocolError(f"server error: {content[:300]}")
        self.doc.load(json.loads(content)["doc"])
        self.opened_s = time.perf_counter() - start
        self._reader = asyncio.ensure_future(self._read_loop())
        await self._rendered(url)

    async def _rendered(self, url):
        """What BokehJS sends once it has rendered the document: the page's address (Panel's
        Location), the browser's details (BrowserInfo) and the ``document_ready`` event, each
        in its own PATCH-DOC. Panel runs a session's on-load callbacks (and renders a dynamic
        tab opened later) only after ``document_ready``."""
        search = ("?" + urlencode(self.query)) if self.query else ""
        for model in self.doc.of_type("panel.models.location.Location"):
            await self._send("PATCH-DOC", _changed(model, search=search))
            await self._send("PATCH-DOC", _changed(model, href=url))
        for model in self.doc.of_type("panel.models.browser.BrowserInfo"):
            for attr, value in BROWSER.items():
                await self._send("PATCH-DOC", _changed(model, **{attr: value}))
        ready = {"type": "event", "name": "document_ready", "values": {"type": "map"}}
        await self._send(
            "PATCH-DOC", {"events": [{"kind": "MessageSent", "msg_type": "bokeh_event", "msg_data": ready}]}
        )

    async def _read_loop(self):
        try:
            while True:
                message = await self._read_message()
                if message is None:
                    break
                header, content = message
                now = time.perf_counter()
                self._last_message = now
                kind = header.get("msgtype")
                if kind == "PATCH-DOC":
                    if self.doc.apply(json.loads(content).get("events", [])):
                        self._plot_times.append(now)
                elif kind == "ERROR":
                    self.errors.append(f"server ERROR reply: {content[:300]}")
                self._wake.set()
        except Exception as exc:  # noqa: BLE001 - a broken socket is an error of this student
            if not self.closed:
                self.errors.append(f"websocket: {type(exc).__name__}: {exc}")
        finally:
            if not self.closed:
                self.errors.append("websocket closed by the server")
            self._wake.set()

    async def close(self):
        self.closed = True
        if self.ws is not None:
            self.ws.close()
        if self._reader is not None:
            try:
                await asyncio.wait_for(self._reader, 5.0)
            except (TimeoutError, Exception):  # noqa: BLE001
                self._reader.cancel()

    # -------------------------------------------------------------- actions

    async def _patch(self, events, what, kind, timeout, first_only=False):
        """Send `events` in one PATCH-DOC and wait for the update (module docstring); with
        `first_only`, the update ends at its first plot data (a run's first point: a run goes on
        sending points, so it never goes quiet) and its latency is that arrival's."""
        sent = time.perf_counter()
        first = len(self._plot_times)
        update = Update(what=what, kind=kind, sent=sent)
        await self._send("PATCH-DOC", {"events": events})
        while True:
            self._wake.clear()
            now = time.perf_counter()
            arrivals = self._plot_times[first:]
            if arrivals and (first_only or now - self._last_message >= QUIET_S):
                break
            if now - sent > timeout or (self.errors and self._reader is not None and self._reader.done()):
                break
            wait = QUIET_S - (now - self._last_message) if arrivals else timeout - (now - sent)
            try:
                await asyncio.wait_for(self._wake.wait(), max(0.01, min(wait, QUIET_S)))
            except TimeoutError:
                pass
        update.arrivals = [t - sent for t in self._plot_times[first:]]
        if update.arrivals:
            update.latency = 1e3 * update.arrivals[-1]
        else:
            update.reason = f"no new plot data within {timeout:.0f} s"
        return update

    def _change_events(self, model, attrs):
        """The PATCH-DOC events that set `attrs` of widget `model` as BokehJS does: the attributes whose
        values change (BokehJS's ``setv`` sends only those; a number box sets ``value_throttled`` with
        its ``value``, as its key-up does); `model`'s attributes here follow."""
        if model.type in NUMBER_INPUTS:
            attrs = {"value": attrs["value"], "value_throttled": attrs["value"]}
        changed = {k: v for k, v in attrs.items() if v is not None and model.attrs.get(k) != v}
        model.attrs.update(changed)
        return _changed(model, **changed)["events"]

    async def change(self, model, attrs, timeout=30.0, what=""):
        """Set `attrs` of widget `model` as BokehJS does (one PATCH-DOC), and wait for the update."""
        events = self._change_events(model, attrs)
        return await self._patch(events, what or f"{widget_title(model)} = {attrs}", "widget", timeout)

    async def change_only(self, model, attrs):
        """Set `attrs` of widget `model` as `change` does, without waiting for anything back (a run's
        setting, whose move redraws nothing until the run starts)."""
        await self._send("PATCH-DOC", {"events": self._change_events(model, attrs)})

    async def switch_tab(self, index, timeout=60.0, what=""):
        """Click tab `index` (the Tabs' ``active``), and wait for its plots (its first opening
        builds them on the server)."""
        tabs = self.doc.tabs()
        if tabs is None:
            raise ProtocolError("the document has no Tabs")
        tabs.attrs["active"] = index
        event = {"kind": "ModelChanged", "model": {"id": tabs.id}, "attr": "active", "new": index}
        return await self._patch([event], what or f"tab {index}", "tab", timeout)

    async def click(self, model, timeout=60.0, what="", first_only=False):
        """Press button `model` (BokehJS's ButtonClick event), and wait for the update (with
        `first_only`, for its first plot data only: `_patch`)."""
        event = _button_click(model)
        what = what or f"button {model.attrs.get('label', model.id)}"
        return await self._patch([event], what, "button", timeout, first_only=first_only)

    async def press(self, model):
        """Press button `model` (BokehJS's ButtonClick event) without waiting for anything back (a
        button that changes no plot, such as the header's Lecturer button)."""
        await self._send("PATCH-DOC", {"events": [_button_click(model)]})

    async def set(self, model, attrs):
        """Set `attrs` of `model` (one PATCH-DOC) without waiting for anything back (a control
        that changes no plot, such as the lesson picker)."""
        model.attrs.update(attrs)
        await self._send("PATCH-DOC", _changed(model, **attrs))

    def active_tab(self):
        """The open tab's index (Bokeh leaves an attribute at its default, 0, out of the document)."""
        tabs = self.doc.tabs()
        return None if tabs is None else tabs.attrs.get("active", 0)
