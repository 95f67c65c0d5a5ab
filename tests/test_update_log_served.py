"""The server's log of each dashboard update (``EXPLORER_LOG_UPDATES=1``, which the load command
sets) says how many plot properties the update changed, for its session: the load command tells a
control moved to a value that draws the same (`explorer.tools.classload.changed_no_plot`) from one
the server never answered. Served on loopback to a light protocol student
(`explorer.tools.wire.WireStudent`, what a browser's BokehJS sends)."""

import asyncio

from explorer.tools.classload import UPDATE_LINE, changed_no_plot
from explorer.tools.served import Server, in_own_thread
from explorer.tools.wire import WireStudent, widget_title

TRAINING_TAB = 6


def _logged(lines, session_id):
    return [int(m.group(1)) for m in map(UPDATE_LINE.search, lines) if m is not None and m.group(2) == session_id]


async def _moves(server):
    # The digits task before Start: one point, the untrained network's accuracy, at DAC bits 6.
    student = WireStudent(server.url, {"tab": TRAINING_TAB, "train.dac_bits": 6})
    await student.open()
    try:
        (dac,) = [w for w in student.doc.widgets(TRAINING_TAB) if widget_title(w).startswith("DAC bits")]
        out = []
        for value, timeout in ((5, 10.0), (4, 60.0)):
            mark = len(server.output)
            update = await student.change(dac, {"value": value, "value_throttled": value}, timeout=timeout)
            await asyncio.sleep(1.0)  # the log line follows the update's last message
            out.append((update, list(server.output)[mark:]))
        return student.session_id, out
    finally:
        await student.close()


def test_the_server_logs_whether_an_update_changed_a_plot():
    with Server(env={"EXPLORER_LOG_UPDATES": "1"}, extra=["--no-warmup"]) as server:
        session_id, ((same, same_log), (moved, moved_log)) = in_own_thread(asyncio.run, _moves(server))
    # DAC bits 6 -> 5 leaves the untrained network's accuracy where it was: computed, nothing drawn.
    assert same.latency is None and _logged(same_log, session_id) and changed_no_plot(same_log, session_id)
    # 5 -> 4 moves it: new plot data, and the log counts what changed.
    assert moved.latency is not None and any(_logged(moved_log, session_id))
    assert not changed_no_plot(moved_log, session_id)
    assert not changed_no_plot(same_log, "another-session")
