"""The front of several server processes (`explorer.front`, ``analog-explorer --processes N``): the
command lines it starts, how it sends pages (each to one process in turn, under the name the browser
used), what it answers while none is ready, and what it does when a process exits. The served class
behind it is tests/test_procs_served.py."""

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time

import pytest
from tornado.httpclient import AsyncHTTPClient

from explorer import cli
from explorer.admission import MEMORY_ENV
from explorer.front import Backend, Front, starting_page
from explorer.tools.served import free_port

PREDICTIONS = "--predictions-db"


def _plan(tmp_path, *args):
    return cli.serve_plan([PREDICTIONS, str(tmp_path / "p.sqlite"), *args])


def _origins(cmd):
    return {cmd[k + 1] for k, a in enumerate(cmd) if a == "--allow-websocket-origin"}


def test_the_command_starts_one_server_per_port_behind_the_front(tmp_path):
    plan = _plan(tmp_path, "--port", "6000", "--processes", "2", "--host", "labpc.example.edu:80", "--no-warmup")
    assert plan.front == ("localhost", 6000)
    assert [port for port, _ in plan.commands] == [6001, 6002]
    for port, cmd in plan.commands:
        assert cmd[cmd.index("--port") + 1] == str(port) and "--num-procs" not in cmd
        # The browser reaches each process under the name it typed and the process's own port.
        assert f"labpc.example.edu:{port}" in _origins(cmd) and f"127.0.0.1:{port}" in _origins(cmd)
        assert not any(o.endswith(":80") or o.endswith(":6000") for o in _origins(cmd))
    assert float(plan.env[MEMORY_ENV]) == pytest.approx(cli.DEFAULT_MEMORY_GB / 2)  # the budget shared out
    assert plan.private_channel  # the broadcasts cross processes: `serve` makes the channel's file
    chosen = _plan(tmp_path, "--port", "6000", "--processes", "3", "--process-ports", "7001,7005,7003")
    assert [port for port, _ in chosen.commands] == [7001, 7005, 7003]
    one = _plan(tmp_path, "--port", "6000")
    assert one.front is None and [port for port, _ in one.commands] == [6000]
    assert cli.FOLLOW_CHANNEL_ENV not in one.env and not one.private_channel
    with pytest.raises(ValueError, match="serve_plan"):
        cli.panel_serve_command([PREDICTIONS, str(tmp_path / "p.sqlite"), "--processes", "2"])


@pytest.mark.parametrize(
    "args, named",
    [
        (["--processes", "0"], "--processes must be at least 1, got 0"),
        (["--processes", "2", "--process-ports", "7001"], "--process-ports: 1 ports for --processes 2"),
        (["--processes", "2", "--process-ports", "7001,x"], "--process-ports: whole port numbers"),
        (["--processes", "2", "--process-ports", "7001,7001"], "--process-ports: distinct ports"),
        (["--port", "7001", "--processes", "2", "--process-ports", "7001,7002"], "other than --port 7001"),
        (["--processes", "2", "--process-ports", "7001,70000"], "from 1 to 65535"),
        (["--process-ports", "7001"], "--process-ports: only with --processes 2 or more"),
        (["--processes", "2", "--num-procs", "2"], "--processes and --num-procs: choose one"),
    ],
)
def test_a_bad_processes_option_is_refused_naming_it(tmp_path, capsys, args, named):
    with pytest.raises(SystemExit):
        _plan(tmp_path, *args)
    assert named in capsys.readouterr().err


class _Process:
    """Stands in for a running process (`Backend.process`)."""

    pid = 0

    def __init__(self, code=None):
        self.code = code

    def poll(self):
        return self.code


def _front(n, ready=()):
    backends = [Backend(7100 + k, ["unused"], process=_Process(), ready=k in ready) for k in range(n)]
    return Front("127.0.0.1", free_port(), backends, env={}, log=lambda line: None)


def test_the_front_takes_the_ready_processes_in_turn():
    front = _front(3, ready=(0, 2))
    assert [front.choose().port for _ in range(4)] == [7100, 7102, 7100, 7102]
    front.backends[1].ready = True
    chosen = [front.choose().port for _ in range(6)]
    assert sorted(chosen) == [7100, 7100, 7101, 7101, 7102, 7102]
    assert [b.pages for b in front.backends] == [4, 2, 4]
    assert _front(2).choose() is None


async def _get(url):
    client = AsyncHTTPClient(force_instance=True)
    try:
        return await client.fetch(url, follow_redirects=False, raise_error=False)
    finally:
        client.close()


def test_a_page_is_redirected_to_one_process_under_the_name_the_browser_used():
    front = _front(2, ready=(1,))

    async def run():
        server = front.application().listen(front.port, address="127.0.0.1")
        try:
            first = await _get(f"http://127.0.0.1:{front.port}/app?lesson=pcm-drift&step=2")
            named = await _get(f"http://localhost:{front.port}/")
            front.backends[1].ready = False
            starting = await _get(f"http://127.0.0.1:{front.port}/app")
        finally:
            server.stop()
        return first, named, starting

    first, named, starting = asyncio.run(run())
    assert first.code == 307 and first.headers["Location"] == "http://127.0.0.1:7101/app?lesson=pcm-drift&step=2"
    assert first.headers["Cache-Control"] == "no-store"  # a later visit is sent afresh
    assert named.code == 307 and named.headers["Location"] == "http://localhost:7101/"
    assert starting.code == 503 and starting.headers["Retry-After"] == "2"
    assert starting.body.decode() == starting_page(0, 2)
    assert "0 of 2 server processes ready" in starting_page(0, 2)


def _listener():
    """A process that accepts connections on a free port, as a started server does."""
    port = free_port()
    code = f"import socket, time\ns = socket.socket(); s.bind(('127.0.0.1', {port})); s.listen(); time.sleep(60)\n"
    return port, [sys.executable, "-c", code]


def _wait(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_the_front_routes_to_a_process_once_it_listens_and_restarts_it_when_it_exits():
    port, cmd = _listener()
    lines = []
    front = Front("127.0.0.1", free_port(), [Backend(port, cmd)], env=None, log=lines.append)
    front.backends[0].start(None)
    try:
        assert _wait(lambda: (front.check(), front.backends[0].ready)[1])
        first = front.backends[0].process
        first.kill()
        first.wait()
        front.check()
        assert not front.backends[0].ready and front.choose() is None
        assert any("exited with code" in line and "restarting" in line for line in lines)
        assert _wait(lambda: (front.check(), front.backends[0].ready)[1])  # started again, ready again
        assert front.backends[0].process is not first and front.backends[0].restarts == 1
        assert front.error is None
    finally:
        front._stop_processes()


def test_the_front_stops_naming_the_port_when_a_process_cannot_start():
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    port = taken.getsockname()[1]
    front_port = free_port()
    command = [
        sys.executable,
        "-c",
        f"import socket; socket.socket().bind(('127.0.0.1', {port}))",  # the port is in use: it exits
    ]
    front = Front("127.0.0.1", front_port, [Backend(port, command)], env=None, log=lambda line: None)
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("code", _run_in_thread(front)))
    thread.start()
    thread.join(30)
    taken.close()
    assert result.get("code") == 1
    assert f"port {port} exited with code 1 before it accepted connections" in front.error


def _run_in_thread(front):
    asyncio.set_event_loop(asyncio.new_event_loop())
    return front.run()


def test_the_front_stops_its_processes_when_told_to(tmp_path):
    """``analog-explorer --processes 2`` as started: SIGTERM to the front ends it and its processes,
    and it removes the private follow channel's directory it made."""
    port = free_port()
    a, b = free_port(), free_port()
    scratch = tmp_path / "scratch"  # the command's temporary directory (TMPDIR)
    scratch.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "explorer.cli", "--port", str(port), "--processes", "2", "--process-ports", f"{a},{b}"]
        + ["--no-warmup", PREDICTIONS, str(tmp_path / "p.sqlite")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1", TMPDIR=str(scratch)),
    )
    output = []
    try:
        for line in proc.stdout:
            output.append(line)
            if sum("front: the process on port" in x and "is ready" in x for x in output) == 2:
                break
        kids = _children(proc.pid)
        assert len(kids) == 2, "".join(output)
        assert [p.name[:22] for p in scratch.iterdir()] == ["analog-explorer-follow"]
        proc.terminate()
        assert proc.wait(timeout=30) == 0
        assert _wait(lambda: not any(_alive(k) for k in kids), 20)
        assert list(scratch.iterdir()) == []
    finally:
        proc.kill()


def _children(pid):
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(x) for x in f.read().split()]


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
