"""Five sessions ask for the largest Crossbar matrix the budget admits, at once, from a real `panel serve`
(`analog-explorer` with a reduced budget, so that "largest" is cheap here): the heavy requests run one at
a time, a request above the budget is refused, the server lives and another session's page is served
meanwhile. The clients speak the browser's protocol: the page's HTTP request (which creates the session
with the URL's settings), then the Bokeh websocket with the page's token."""

import asyncio
import json
import re
import time

from explorer.tools.classroom import MemoryWatch, rss_mb
from explorer.tools.served import Server

BUDGET_GB = 0.2
HEAVY_GB = 0.1
LARGEST = "tab=3&xb.size=768&xb.n_slices=1"
"""0.17 GB estimated (`CrossbarExplorer.cost`): within the budget, above the heavy threshold, and two at
once would not fit."""
TOO_LARGE = "tab=3&xb.size=4096&xb.n_slices=1"
OTHER = "tab=1"
OTHER_READY_S = 15.0
"""Most seconds for another session's Devices page (HTTP page and whole document) while the heavy
requests queue; without admission the build of a large matrix at page creation holds the event loop
(issue 25: no page for two minutes with two sessions at 4096)."""


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

    async def message():
        header = json.loads(await ws.read_message())
        await ws.read_message()
        await ws.read_message()
        for _ in range(2 * header.get("num_buffers", 0)):
            await ws.read_message()
        return header

    assert (await message())["msgtype"] == "ACK"
    await ws.write_message(json.dumps({"msgid": "1", "msgtype": "PULL-DOC-REQ"}))
    await ws.write_message("{}")
    await ws.write_message("{}")
    while (await message())["msgtype"] != "PULL-DOC-REPLY":
        pass
    return ws, time.perf_counter() - start


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
        heavy = await asyncio.gather(*[open_page(base, LARGEST) for _ in range(5)], open_page(base, TOO_LARGE))
        readers += [asyncio.ensure_future(drain(ws)) for ws, _ in heavy]
        other, other_s = await open_page(base, OTHER)
        end = time.monotonic() + 300
        while len(heavy_lines(server, "done")) < 5 and time.monotonic() < end and server.proc.poll() is None:
            await asyncio.sleep(0.5)
    for ws in [warm, other, *(ws for ws, _ in heavy)]:
        ws.close()
    for r in readers:
        r.cancel()
    return baseline, watch.peak(), other_s


def test_five_sessions_at_the_largest_size_run_in_turn_and_the_class_goes_on():
    extra = ["--no-warmup", "--budget-memory-gb", str(BUDGET_GB), "--budget-heavy-gb", str(HEAVY_GB)]
    with Server(extra=extra) as server:
        baseline, peak, other_s = asyncio.run(the_class(server))
        alive = server.proc.poll() is None
        steps = [line.split("heavy update ")[1].split(":")[0] for line in server.output if "heavy update" in line]
    print(f"baseline {baseline:.0f} MB, peak {peak:.0f} MB, other session's page {other_s:.1f} s, steps {steps}")
    assert alive
    assert steps.count("refused") == 1  # the 4096 matrix, above the whole budget
    ran = [s for s in steps if s != "refused"]
    assert ran == ["running", "done"] * 5  # one at a time: the budget holds one such matrix
    assert other_s < OTHER_READY_S
    # The server's memory grew by at most the budget plus what the seven sessions hold themselves
    # (issue 25 measured 139 MB per session on the Devices tab; a 768 matrix's kept results are smaller).
    assert peak - baseline < BUDGET_GB * 1024 + 7 * 150
