"""Five sessions ask for the largest Crossbar matrix the budget admits, at once, from a real `panel serve`
(`analog-explorer` with a reduced budget, so that "largest" is cheap here): the heavy requests run one at
a time (in a worker process), a request above the budget is refused, the server lives, another session's
Devices slider answers within issue 25's 2 s (p95 over its moves while they run) and a new page is served
meanwhile. ``EXPLORER_BUDGET_WORKERS=thread pytest tests/test_admission_served.py -s`` runs the old
behaviour (heavy requests in the server's process) and prints its figures (docs/results/admission.md).
The clients speak the browser's protocol: the page's HTTP request (which creates the session with the
URL's settings), then the Bokeh websocket with the page's token."""

import asyncio
import json
import re
import time

import numpy as np

from explorer.tools.classroom import MemoryWatch, rss_mb
from explorer.tools.served import Server

BUDGET_GB = 0.3
HEAVY_GB = 0.1
LARGEST = "tab=3&xb.size=1024&xb.n_slices=1"
"""0.26 GB estimated (`CrossbarExplorer.cost`): within the budget, above the heavy threshold, and two at
once would not fit; a few seconds each, so the five take long enough for the other session to move
its slider while they queue."""
TOO_LARGE = "tab=3&xb.size=4096&xb.n_slices=1"
OTHER = "tab=1"
SLIDER_P95_S = 2.0
"""Issue 25's latency target for a class exploring at random (p95), applied to another session's Devices
slider moved again and again while the heavy requests run: they compute in a worker process
(`explorer.workers`). The old behaviour (computed in the server's process) fails it: on main before this
change a move got no answer within 60 s here, and with ``EXPLORER_BUDGET_WORKERS=thread`` the moves
after the first had p95 2.5 s (docs/results/admission.md). The first move waits for the five new
sessions' pages, which the server builds one after another on its event loop (issue 25 item 4's
session opening, not the heavy requests: 5 to 7 s here): it is reported and bounded by
`PRESS_TIMEOUT_S`, and the target bounds the p95 of the moves after it."""
MIN_PRESSES = 6
"""Slider moves, at least (one every `PAUSE_S` while the heavy requests run): the first and the five or
more that the p95 is taken over."""
PAUSE_S = 0.5
PRESS_TIMEOUT_S = 120.0
"""Most seconds one move may wait (the first one waits for the new sessions' pages to be built)."""
OTHER_READY_S = 15.0
"""Most seconds for a new session's Devices page (HTTP page and whole document) opened after the slider
move (issue 25: no page for two minutes with two sessions at 4096)."""


async def open_page(base, query, timeout=300.0):
    """Open the app at `query` as a browser does; returns (websocket, seconds until the document came)."""
    from tornado.httpclient import AsyncHTTPClient, HTTPRequest
    from tornado.websocket import websocket_connect

    start = time.perf_counter()
    page = await AsyncHTTPClient().fetch(f"{base}/app?{query}", request_timeout=timeout)
    html = page.body.decode()
    token = re.search(r"token[\\\"':= ]+(eyJ[\w.\-]+)", html).group(1)
    ws = await websocket_connect(
        HTTPRequest(base.replace("http://", "ws://") + "/app/ws", request_timeout=timeout, connect_timeout=timeout),
        subprotocols=["bokeh", token],
        max_message_size=1 << 30,
    )

    assert (await message(ws))[0]["msgtype"] == "ACK"
    await ws.write_message(json.dumps({"msgid": "1", "msgtype": "PULL-DOC-REQ"}))
    await ws.write_message("{}")
    await ws.write_message("{}")
    while True:
        header, content = await message(ws)
        if header["msgtype"] == "PULL-DOC-REPLY":
            ws.document = json.loads(content)
            break
    # The page has rendered: Panel then runs its on-load callbacks (the tabs' lazy contents are built).
    await send_events(ws, "ready", [DOCUMENT_READY])
    return ws, time.perf_counter() - start


DOCUMENT_READY = {
    "kind": "MessageSent",
    "msg_type": "bokeh_event",
    "msg_data": {"type": "event", "name": "document_ready", "values": {"type": "map", "entries": []}},
}
"""The event BokehJS sends once a page has rendered."""


async def send_events(ws, msgid, events):
    """Send a PATCH-DOC of `events`, as BokehJS does."""
    await ws.write_message(json.dumps({"msgid": msgid, "msgtype": "PATCH-DOC"}))
    await ws.write_message("{}")
    await ws.write_message(json.dumps({"events": events}))


async def message(ws):
    """The next Bokeh message: (header, content text); its binary buffers are read and dropped."""
    header = json.loads(await ws.read_message())
    await ws.read_message()  # metadata
    content = await ws.read_message()
    for _ in range(2 * header.get("num_buffers", 0)):
        await ws.read_message()
    return header, content


def find_slider(node, title):
    """The id of the Bokeh slider titled `title` in a document's JSON, or None."""
    if isinstance(node, dict):
        attributes = node.get("attributes")
        if node.get("type") == "object" and "Slider" in node.get("name", "") and isinstance(attributes, dict):
            if attributes.get("title") == title:
                return node["id"]
        children = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        found = find_slider(child, title)
        if found is not None:
            return found
    return None


async def move_slider(ws, title, value):
    """Move the slider as a browser does (value, then value_throttled on release); returns the seconds
    until the server sends new plot data for it."""
    slider = find_slider(ws.document, title)
    assert slider is not None, f"no slider titled {title!r}"
    start = time.perf_counter()
    for k, attr in enumerate(("value", "value_throttled")):
        event = {"kind": "ModelChanged", "model": {"id": slider}, "attr": attr, "new": value}
        await send_events(ws, f"move{k}", [event])
    while True:
        header, content = await message(ws)
        if header["msgtype"] == "PATCH-DOC" and "ColumnDataChanged" in content:
            return time.perf_counter() - start


async def drain(ws):
    """Read (and drop) what the server sends, so the session stays connected and its updates flow."""
    while await ws.read_message() is not None:
        pass


def heavy_lines(server, state):
    return [line for line in list(server.output) if f"heavy update {state}" in line]


async def the_class(server):
    base = server.url.rsplit("/app", 1)[0]
    warm, _ = await open_page(base, OTHER)  # imports and first render, before the baseline
    readers = [asyncio.ensure_future(drain(warm))]
    await asyncio.sleep(2.0)
    baseline = rss_mb(server.pid)
    with MemoryWatch(server.pid) as watch:
        opening = asyncio.ensure_future(
            asyncio.gather(*[open_page(base, LARGEST) for _ in range(5)], open_page(base, TOO_LARGE))
        )
        while not heavy_lines(server, "running") and not opening.done():
            await asyncio.sleep(0.1)
        readers[0].cancel()  # the open session's slider, moved again and again while the heavy requests run
        running_then = len(heavy_lines(server, "done")) < 5
        presses = []
        levels = iter(range(3, 256))
        while len(heavy_lines(server, "done")) < 5 or len(presses) < MIN_PRESSES:
            presses.append(await asyncio.wait_for(move_slider(warm, "Number of levels", next(levels)), PRESS_TIMEOUT_S))
            if len(presses) == 1:  # a new page while the heavy requests run
                opening_other = asyncio.ensure_future(open_page(base, OTHER))
            await asyncio.sleep(PAUSE_S)
        readers[0] = asyncio.ensure_future(drain(warm))
        other, other_s = await opening_other
        readers.append(asyncio.ensure_future(drain(other)))
        heavy = await opening
        readers += [asyncio.ensure_future(drain(ws)) for ws, _ in heavy]
        end = time.monotonic() + 300
        while len(heavy_lines(server, "done")) < 5 and time.monotonic() < end and server.proc.poll() is None:
            await asyncio.sleep(0.5)
    for ws in [warm, other, *(ws for ws, _ in heavy)]:
        ws.close()
    for r in readers:
        r.cancel()
    return baseline, watch.peak(), other_s, presses, running_then


def test_five_sessions_at_the_largest_size_run_in_turn_and_the_class_goes_on():
    extra = ["--no-warmup", "--budget-memory-gb", str(BUDGET_GB), "--budget-heavy-gb", str(HEAVY_GB)]
    with Server(extra=extra) as server:
        baseline, peak, other_s, presses, running_then = asyncio.run(the_class(server))
        alive = server.proc.poll() is None
        steps = [line.split("heavy update ")[1].split(":")[0] for line in server.output if "heavy update" in line]
    print(
        f"baseline {baseline:.0f} MB, peak {peak:.0f} MB, other session's page {other_s:.1f} s, "
        f"its slider p50 {np.median(presses):.2f} s p95 {np.percentile(presses, 95):.2f} s max {max(presses):.2f} s "
        f"over {len(presses)} moves, the first {presses[0]:.2f} s, after it p95 {np.percentile(presses[1:], 95):.2f} s "
        f"(heavy requests still queued at the first: {running_then}), steps {steps}"
    )
    assert alive
    assert steps.count("refused") == 1  # the 4096 matrix, above the whole budget
    ran = [s for s in steps if s != "refused"]
    assert ran == ["running", "done"] * 5  # one at a time: the budget holds one such matrix
    assert other_s < OTHER_READY_S
    assert running_then  # the slider moved while heavy requests were queued or running
    assert len(presses) >= MIN_PRESSES
    assert np.percentile(presses[1:], 95) <= SLIDER_P95_S
    # The server's memory grew by at most the budget plus what the seven sessions hold themselves
    # (issue 25 measured 139 MB per session on the Devices tab; a 768 matrix's kept results are smaller).
    assert peak - baseline < BUDGET_GB * 1024 + 7 * 150
