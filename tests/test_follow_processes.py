"""The follow channel across server processes (issue 25 item 2, for item 4's several processes), without
a server: `FileChannel` instances on one file see each other's snapshots; a snapshot published by
another process wakes a waiting follower here within 1 s; versions keep growing whichever process
publishes; a file of another user or a malformed one is not applied; bad arguments are refused with the
field named; and ``analog-explorer --num-procs`` / ``--follow-channel`` hand the file to the server."""

import json
import logging
import os
import stat
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import panel as pn
import pytest

from explorer import cli
from explorer.models.follow import CHANNEL_ENV, FileChannel, Lecturer, Snapshot, channel_path
from explorer.views.follow import CACHE_KEY, shared_channel

SECRET = "another secret for the tests"
ROOT = Path(__file__).resolve().parents[1]


def lecturer():
    teacher = Lecturer(SECRET)
    assert teacher.unlock(SECRET)[0]
    return teacher


def test_two_channels_on_one_file_share_the_latest_snapshot_and_wake_followers(tmp_path):
    path = str(tmp_path / "channel.json")
    here, there = FileChannel(path), FileChannel(path)  # as two processes' channels, each its own cache
    assert here.latest is None and there.version == 0
    teacher = lecturer()
    snap = teacher.publish(here, '{"a": 1}', 3, "pcm-drift", 2)
    assert snap == Snapshot(1, '{"a": 1}', 3, "pcm-drift", 2)
    assert there.latest == snap
    # A follower waiting on the other channel is woken by the next publication, within a poll or two.
    woke = []
    waiter = threading.Thread(target=lambda: woke.append((there.wait_newer(1, timeout=5.0), time.monotonic())))
    waiter.start()
    time.sleep(0.2)
    sent = time.monotonic()
    teacher.publish(here, '{"a": 2}', 1)
    waiter.join()
    assert woke[0][0] and woke[0][1] - sent < 1.0, woke
    assert there.latest == Snapshot(2, '{"a": 2}', 1, "", 0)
    # Versions grow whichever channel publishes (the other's own count is behind the file's).
    assert teacher.publish(there, '{"a": 3}', 0).version == 3
    assert here.latest.version == 3
    assert teacher.publish(here, "{}", 5, "pcm-drift", 1, opening=True) == there.latest  # every field
    # The file holds no secret and is this user's only.
    assert SECRET not in Path(path).read_text(encoding="utf-8")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


PUBLISHER = textwrap.dedent(
    """
    import json, sys, time
    from explorer.models.follow import FileChannel, Lecturer
    channel = FileChannel(sys.argv[1])
    teacher = Lecturer("s")
    teacher.unlock("s")
    time.sleep(float(sys.argv[2]))
    for k in range(3):
        teacher.publish(channel, json.dumps({"sent": time.time()}), k, "pcm-drift", 1 + k % 2)
        time.sleep(0.3)
    """
)


def test_a_snapshot_from_another_process_reaches_a_waiting_follower_within_a_second(tmp_path):
    path = str(tmp_path / "channel.json")
    here = FileChannel(path)
    child = subprocess.Popen(
        [sys.executable, "-c", PUBLISHER, path, "1.0"], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT))
    )
    try:
        lags, seen = [], 0
        deadline = time.monotonic() + 120  # the child's imports, on a busy machine
        while seen < 3 and time.monotonic() < deadline:
            if here.wait_newer(seen, timeout=1.0):
                snap = here.latest
                lags.append(time.time() - json.loads(snap.scenario)["sent"])
                seen = snap.version
        assert child.wait(timeout=60) == 0
    finally:
        child.kill()
    assert seen == 3 and here.latest.lesson == "pcm-drift" and here.latest.tab == 2
    assert lags and max(lags) < 1.0, lags
    print(f"snapshot from another process to a waiting follower: {', '.join(f'{1000 * t:.0f}' for t in lags)} ms")


def test_a_file_not_this_users_or_malformed_is_not_applied(tmp_path, monkeypatch, caplog):
    path = tmp_path / "channel.json"
    good = {"version": 4, "scenario": "{}", "tab": 1, "lesson": "", "step": 0, "opening": False}
    path.write_text(json.dumps(good), encoding="utf-8")
    assert FileChannel(str(path)).latest == Snapshot(4, "{}", 1)
    uid = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: uid + 1)  # the file now belongs to someone else
    with caplog.at_level(logging.WARNING, logger="explorer.models.follow"):
        assert FileChannel(str(path)).latest is None
    assert "not this server's user's" in caplog.text
    monkeypatch.setattr(os, "getuid", lambda: uid)
    for bad, field in (
        ({**good, "step": 2}, "step must be"),  # a step without a lesson
        ({**good, "tab": -1}, "tab must be"),
        ({**good, "version": 0}, "version must be"),
        ({**good, "scenario": 5}, "scenario must be"),
        ({**good, "opening": "yes"}, "opening must be"),
    ):
        path.write_text(json.dumps(bad), encoding="utf-8")
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="explorer.models.follow"):
            assert FileChannel(str(path)).latest is None
        assert field in caplog.text
    path.write_text("{not json", encoding="utf-8")
    assert FileChannel(str(path)).latest is None


def test_bad_arguments_are_refused_with_the_field_named(tmp_path):
    with pytest.raises(ValueError, match="path must name"):
        FileChannel("")
    with pytest.raises(ValueError, match="path: the channel file's directory"):
        FileChannel(str(tmp_path / "missing" / "channel.json"))
    with pytest.raises(ValueError, match="poll must be"):
        FileChannel(str(tmp_path / "c.json"), poll=0)
    teacher, channel = lecturer(), FileChannel(str(tmp_path / "c.json"))
    with pytest.raises(ValueError, match="step must be"):
        teacher.publish(channel, "{}", 0, "pcm-drift", 0)
    with pytest.raises(TypeError, match="lesson must be"):
        teacher.publish(channel, "{}", 0, None, 0)
    assert channel.version == 0 and not (tmp_path / "c.json").exists()
    assert Lecturer(SECRET).publish(channel, "{}", 0) is None and not (tmp_path / "c.json").exists()


def test_the_server_uses_a_file_channel_when_its_environment_names_one(tmp_path, monkeypatch):
    monkeypatch.setenv(CHANNEL_ENV, str(tmp_path / "channel.json"))
    pn.state.cache.pop(CACHE_KEY, None)
    try:
        channel = shared_channel()
        assert isinstance(channel, FileChannel) and channel.path == str(tmp_path / "channel.json")
        assert shared_channel() is channel
    finally:
        pn.state.cache.pop(CACHE_KEY, None)
    monkeypatch.delenv(CHANNEL_ENV)
    assert channel_path() == "" and not isinstance(shared_channel(), FileChannel)
    pn.state.cache.pop(CACHE_KEY, None)


def test_num_procs_and_follow_channel_options(tmp_path):
    assert cli.FOLLOW_CHANNEL_ENV == CHANNEL_ENV
    cmd, _, env = cli.panel_serve_command([])
    assert "--num-procs" not in cmd and CHANNEL_ENV not in env  # one process: the in-process channel
    cmd, _, env = cli.panel_serve_command(["--num-procs", "2"])
    assert cmd[cmd.index("--num-procs") + 1] == "2"
    # Planning makes nothing: `serve` makes the private channel file's directory when it starts.
    assert CHANNEL_ENV not in env and cli.serve_plan(["--num-procs", "2"]).private_channel
    made = Path(cli.private_channel())
    try:
        assert made.parent.is_dir() and stat.S_IMODE(made.parent.stat().st_mode) == 0o700
    finally:
        made.parent.rmdir()
    given = tmp_path / "shared.json"
    cmd, _, env = cli.panel_serve_command(["--num-procs", "2", "--follow-channel", str(given)])
    assert env[CHANNEL_ENV] == str(given)
    assert not cli.serve_plan(["--num-procs", "2", "--follow-channel", str(given)]).private_channel
    cmd, _, env = cli.panel_serve_command(["--port", "5007", "--follow-channel", str(given)])
    assert env[CHANNEL_ENV] == str(given) and "--num-procs" not in cmd
    for bad in (["--num-procs", "0"], ["--follow-channel", str(tmp_path / "no" / "c.json")]):
        with pytest.raises(SystemExit):
            cli.panel_serve_command(bad)
    with pytest.raises(SystemExit):
        cli.panel_serve_command(["--follow-channel", str(tmp_path)])
