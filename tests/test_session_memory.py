"""Closed sessions leave nothing of theirs behind (issue 25, item 4: memory back within 50 MB of the
warm baseline after a class closes).

The served check runs the app under a Bokeh server in a subprocess of its own (so that the served
app's Panel state stays out of this test process), opens sessions with the light protocol student
(`explorer.tools.wire.WireStudent`: page, websocket, document, a dashboard tab), closes them, and
counts what survives once the server destroyed them: the sessions' Bokeh documents and the
dashboards' view objects. Before `explorer.compat.forget_views` and `drop_cancelled_timers` every
closed session's document stayed (Panel's registry of rendered views kept its notification area;
Tornado's idle-connection timers kept it in their context for an hour).
"""

import asyncio
import gc
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import panel as pn
import pytest

from explorer.views.reliability import TRAINED_KEEP, shared_training

ROOT = Path(__file__).resolve().parents[1]
SESSIONS = 3
HELD_AT_MOST = 1
"""Closed sessions' documents that may stay: Panel's busy-counter clean-up, one periodic task for
the whole server, waits in a context that can hold the document of one session (the last whose
callbacks it ran after); one, whatever the number of sessions."""


class _Training:
    """A stand-in for `NetworkTraining`: its key and whether it is done."""

    def __init__(self, key, done=True):
        self._key, self.done = key, done

    def key(self):
        return self._key


def test_the_servers_kept_trainings_are_bounded_and_running_ones_stay():
    trained = {}
    running = shared_training(trained, _Training("running", done=False))
    first = shared_training(trained, _Training(0))
    for k in range(1, TRAINED_KEEP + 10):
        shared_training(trained, _Training(k))
        if k == 10:  # then fewer than TRAINED_KEEP newer ones come
            assert shared_training(trained, _Training(0)) is first  # asked for again: the kept one
    done = [t for t in trained.values() if t.done]
    assert len(done) == TRAINED_KEEP and trained["running"] is running
    assert first in done  # asked for recently, so kept while older ones went
    assert [t.key() for t in done][-1] == TRAINED_KEEP + 9
    assert 1 not in trained and 2 not in trained


def _served_check(n):
    """In the subprocess: serve the app, open and close `n` sessions, report what survives."""
    from bokeh.document import Document

    from explorer.tools.served import free_port
    from explorer.tools.wire import WireStudent
    from explorer.views._live import LiveDashboard
    from explorer.views.lessons import LessonsView

    port = free_port()
    server = pn.serve(
        {"app": str(ROOT / "explorer" / "app.py")},
        port=port,
        address="127.0.0.1",
        show=False,
        threaded=True,
        websocket_origin=[f"127.0.0.1:{port}"],
        unused_session_lifetime_milliseconds=500,
        check_unused_sessions_milliseconds=200,
    )

    def every_object():
        # The server freezes each ready page (`explorer.sessions.freeze_ready_session`), and
        # gc.get_objects() leaves frozen objects out: count them too.
        gc.unfreeze()
        return gc.get_objects()

    def documents():
        return {id(o) for o in every_object() if isinstance(o, Document)}

    def views():
        return sum(isinstance(o, (LiveDashboard, LessonsView)) for o in every_object())

    time.sleep(1.0)
    gc.collect()
    before = documents()

    async def open_and_close():
        students = [WireStudent(f"http://127.0.0.1:{port}/app") for _ in range(n)]
        for s in students:
            await s.open()
            await s.switch_tab(1)  # the Devices dashboard: its figures and data built
        alive = views()
        for s in students:
            await s.close()
        return alive, sum(bool(s.errors) for s in students)

    alive, failed = asyncio.run(open_and_close())
    deadline = time.time() + 30.0
    while True:
        time.sleep(0.5)
        gc.collect()
        held = len(documents() - before)
        if held <= HELD_AT_MOST or time.time() > deadline:
            break
    time.sleep(3.0)  # past explorer.sessions.RELEASE_DELAY_S of the last session
    gc.collect()
    result = dict(views_open=alive, failed=failed, held_documents=len(documents() - before), views_left=views())
    server.stop()
    return result


def test_closed_sessions_leave_no_document_or_view_behind():
    out = subprocess.run(
        [sys.executable, __file__, str(SESSIONS)],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=240,
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT ")]
    assert out.returncode == 0 and lines, out.stdout[-2000:] + out.stderr[-3000:]
    result = json.loads(lines[-1].removeprefix("RESULT "))
    assert result["failed"] == 0
    assert result["views_open"] >= SESSIONS  # the sessions did build their dashboards
    assert result["views_left"] == 0
    assert result["held_documents"] <= HELD_AT_MOST, result


if __name__ == "__main__":
    print("RESULT " + json.dumps(_served_check(int(sys.argv[1]))), flush=True)


def test_sessions_ending_together_share_one_collection():
    """A class leaving: the first ending schedules a collection RELEASE_DELAY_S later; the others
    before it runs schedule nothing; after it ran, the next waits until RELEASE_INTERVAL_S after it."""
    from explorer import sessions

    scheduled = []
    state = {"due": None, "last": None}
    call_later = lambda delay, callback: scheduled.append((delay, callback))  # noqa: E731
    assert sessions.schedule_release(call_later, state, now=100.0) == sessions.RELEASE_DELAY_S
    for k in range(29):
        assert sessions.schedule_release(call_later, state, now=100.1 + k * 0.01) is None
    assert len(scheduled) == 1
    collected = []
    original = sessions.release_memory
    sessions.release_memory = lambda: collected.append(True)
    try:
        scheduled[0][1]()
    finally:
        sessions.release_memory = original
    assert collected == [True] and state["due"] is None
    delay = sessions.schedule_release(call_later, state, now=state["last"] + 1.0)
    assert delay == pytest.approx(sessions.RELEASE_INTERVAL_S - 1.0)
    assert len(scheduled) == 2


def test_a_session_ending_while_others_are_open_waits_for_more_or_for_memory():
    """A collection holds every open session's updates: while others are open, sessions that end
    schedule one only when `RELEASE_AFTER_CLOSED` have ended since the last, or when the process's
    resident memory has grown by `RELEASE_ABOVE_BYTES`; the last session of the process schedules
    one at once."""
    from explorer import sessions

    scheduled = []
    call_later = lambda delay, callback: scheduled.append((delay, callback))  # noqa: E731
    state = {"due": None, "last": None}
    base = 2 * sessions.RELEASE_ABOVE_BYTES
    for k in range(sessions.RELEASE_AFTER_CLOSED - 1):  # a student now and then closes a tab
        assert sessions.schedule_release(call_later, state, now=10.0 + k, others_open=29, resident=base) is None
    assert scheduled == [] and state["ended"] == sessions.RELEASE_AFTER_CLOSED - 1
    delay = sessions.schedule_release(call_later, state, now=20.0, others_open=22, resident=base)
    assert delay == sessions.RELEASE_DELAY_S and len(scheduled) == 1  # the eighth: their memory is worth it
    original = sessions.release_memory
    sessions.release_memory = lambda: None
    try:
        scheduled[0][1]()
    finally:
        sessions.release_memory = original
    assert state["ended"] == 0 and state["due"] is None
    now = state["last"] + 100.0
    state["resident"] = base
    assert sessions.schedule_release(call_later, state, now=now, others_open=21, resident=base + 1) is None
    grown = base + sessions.RELEASE_ABOVE_BYTES
    assert sessions.schedule_release(call_later, state, now=now + 1, others_open=20, resident=grown) is not None
    state["due"], state["ended"] = None, 0
    # The process's last session: at once, whatever the count and the memory.
    assert sessions.schedule_release(call_later, state, now=now + 200, others_open=0, resident=base) is not None
    assert len(scheduled) == 3


def test_sessions_asking_at_once_share_one_training():
    """Eight sessions opening the Reliability tab at the same settings at once: with the server's lock
    every one gets the same training (the look-up and the recency re-insertion are two steps)."""
    import threading

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch often: without the lock most rounds give two trainings
    try:
        for _ in range(5):
            trained, lock = {}, threading.Lock()
            start = threading.Barrier(8)
            got, errors = [], []

            def session(trained=trained, lock=lock, start=start, got=got, errors=errors):
                start.wait()
                try:
                    for _ in range(200):
                        got.append(shared_training(trained, _Training("same", done=False), lock=lock))
                except RuntimeError as exc:  # a dict changed while another session iterated it
                    errors.append(exc)

            threads = [threading.Thread(target=session) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert errors == [] and len({id(job) for job in got}) == 1 and list(trained) == ["same"]
    finally:
        sys.setswitchinterval(interval)


def test_a_ready_page_leaves_the_full_collections_until_a_session_ends():
    """`freeze_ready_session` (each page, once ready) moves what is alive out of the full
    collections' scan; `release_memory` (after a session ends) scans it again, collects the cycles
    that are garbage by then and freezes the rest."""
    import weakref

    from explorer import sessions

    class Node:
        pass

    try:
        page = Node()
        page.itself = page  # a cycle: only the collector frees it
        alive = weakref.ref(page)
        sessions.freeze_ready_session()
        assert gc.get_freeze_count() > 0
        del page  # the session ends: its page is garbage
        gc.collect()
        assert alive() is not None  # frozen: a full collection does not scan it
        sessions.release_memory()
        assert alive() is None and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
