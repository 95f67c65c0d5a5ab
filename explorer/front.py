"""The front of several server processes: ``analog-explorer --processes N``.

One server process runs every session's page, document and websocket messages on one event-loop
thread, so a class on one process uses about one core however many the machine has. Bokeh's own
``--num-procs`` shares one port between forked processes, but a page's request and its websocket are
two connections that the kernel may hand to two processes, and each then builds the page's session
(docs/how-to/serve-a-class.md, "More than one core's worth of sessions").

The front makes the choice once per page instead: it starts N ordinary server processes, each on a
port of its own, and answers every request on the class's address with a redirect (HTTP 307) to the
same path on one of them, taking them in turn. The page, its scripts and its websocket then all come
from that process, so a session is built once and a student stays on one process (reloads and links
too). What the processes share (the lecturer's broadcasts, the class's predictions) goes through
files (`explorer.models.follow.FileChannel`, `explorer.models.predictions`), as with a proxy.

The front itself imports neither Panel nor Bokeh: a request costs it one redirect. It routes only to
processes that accept connections (a process starts listening once its warm-up has run), answers
"starting" (503, reloading itself) until one does, restarts a process that exits after it was ready,
and stops, with every process, when one exits before it ever was (a port in use, say) or when it is
told to stop.
"""

from __future__ import annotations

import html
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass

RETRY_S = 2
"""Seconds after which the "starting" page reloads itself (and ``Retry-After``)."""
CHECK_S = 0.5
"""Seconds between two looks at the processes (alive, accepting connections)."""
RESTART_AFTER_S = 1.0
"""Seconds the front waits before starting again a process that exited after it was ready."""
STOP_WAIT_S = 15.0
"""Seconds the processes get to stop after SIGTERM before they are killed."""


@dataclass
class Backend:
    """One server process behind the front: its port, command line and state."""

    port: int
    command: list[str]
    process: subprocess.Popen | None = None
    ready: bool = False
    ever_ready: bool = False
    exited_at: float | None = None
    restarts: int = 0
    pages: int = 0

    def start(self, env):
        # Its own output goes where the front's goes (one log for the class).
        self.process = subprocess.Popen(self.command, env=env)
        self.ready, self.exited_at = False, None

    def accepts(self, host: str) -> bool:
        """Whether the process accepts a TCP connection on its port now."""
        try:
            with socket.create_connection((host, self.port), timeout=0.2):
                return True
        except OSError:
            return False


class Front:
    """The redirecting front (module docstring) on `address`:`port` for `backends`, whose processes
    get the environment `env`. `log` prints a line (the server's log)."""

    def __init__(self, address: str, port: int, backends: list[Backend], env: dict, log=print):
        if not backends:
            raise ValueError("backends: at least one server process, got none")
        self.address, self.port = address, port
        self.backends = backends
        self.env = env
        self.log = log
        self._turn = 0
        self._stopping = False
        self.error: str | None = None

    # ------------------------------------------------------------------ routing

    def choose(self) -> Backend | None:
        """The next ready process in turn, or None while none is ready."""
        ready = [b for b in self.backends if b.ready]
        if not ready:
            return None
        backend = ready[self._turn % len(ready)]
        self._turn += 1
        backend.pages += 1
        return backend

    def _probe_host(self) -> str:
        """Where the front looks for a process's port: the bound address, or loopback for a wildcard."""
        wildcard = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "localhost": "127.0.0.1", "::": "::1"}
        return wildcard.get(self.address, self.address)

    def check(self):
        """Look at every process: note which accept connections, restart one that exited after it
        was ready, and stop the front when one exited before it ever was."""
        now = time.monotonic()
        for b in self.backends:
            code = b.process.poll() if b.process is not None else None
            if code is not None:
                if not b.ever_ready:
                    self.error = (
                        f"the server process for port {b.port} exited with code {code} before it accepted "
                        "connections (its output is above; is the port in use?)"
                    )
                    self.stop()
                    return
                if b.exited_at is None:
                    b.ready, b.exited_at = False, now
                    self.log(f"[explorer] front: the process on port {b.port} exited with code {code}; restarting it")
                elif now - b.exited_at >= RESTART_AFTER_S and not self._stopping:
                    b.restarts += 1
                    b.start(self.env)
                continue
            if not b.ready and b.accepts(self._probe_host()):
                b.ready = b.ever_ready = True
                self.log(f"[explorer] front: the process on port {b.port} is ready (pid {b.process.pid})")

    # ------------------------------------------------------------------ running

    def application(self):
        """The Tornado application: every path redirects to a ready process, or says it is starting."""
        import tornado.web

        front = self

        class Redirect(tornado.web.RequestHandler):
            def _route(self):
                backend = front.choose()
                self.set_header("Cache-Control", "no-store")
                if backend is None:
                    ready = sum(b.ready for b in front.backends)
                    self.set_status(503)
                    self.set_header("Retry-After", str(RETRY_S))
                    self.set_header("Content-Type", "text/html; charset=utf-8")
                    self.finish(starting_page(ready, len(front.backends)))
                    return
                self.redirect(backend_url(self.request, backend.port), status=307)

            get = head = post = _route

        return tornado.web.Application([(r".*", Redirect)])

    def run(self):
        """Start the processes, serve the front until stopped; returns the exit code (1 when a process
        could not start)."""
        import tornado.ioloop

        for b in self.backends:
            b.start(self.env)
        loop = tornado.ioloop.IOLoop.current()
        server = self.application().listen(self.port, address=self.address, xheaders=False)
        self.log(
            f"[explorer] front running at http://{self.address}:{self.port}/ for {len(self.backends)} server "
            f"processes on ports {', '.join(str(b.port) for b in self.backends)}"
        )

        def on_signal(signum, _frame):
            loop.add_callback_from_signal(self.stop)

        if threading.current_thread() is threading.main_thread():  # signals reach the main thread only
            signal.signal(signal.SIGTERM, on_signal)
            signal.signal(signal.SIGINT, on_signal)
        checker = tornado.ioloop.PeriodicCallback(self.check, CHECK_S * 1000)
        checker.start()
        self._loop = loop
        loop.start()
        checker.stop()
        server.stop()
        self._stop_processes()
        if self.error:
            self.log(f"[explorer] front: {self.error}")
            return 1
        return 0

    def stop(self):
        """Stop serving (from the event loop); the processes are stopped once the loop has ended."""
        self._stopping = True
        self._loop.stop()

    def _stop_processes(self):
        running = [b.process for b in self.backends if b.process is not None and b.process.poll() is None]
        for p in running:
            p.terminate()
        deadline = time.monotonic() + STOP_WAIT_S
        for p in running:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def backend_url(request, port: int) -> str:
    """The address of `request`'s path and query on the server process at `port`, under the host name
    the browser used (so that the websocket's origin is one the process allows)."""
    host = request.host_name
    if ":" in host and not host.startswith("["):  # an IPv6 address
        host = f"[{host}]"
    return f"{request.protocol}://{host}:{port}{request.uri}"


def starting_page(ready: int, total: int) -> str:
    """The page shown while no server process accepts connections yet; it reloads itself."""
    text = html.escape(f"The explorer is starting ({ready} of {total} server processes ready).")
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="{RETRY_S}">'
        f"<title>Starting</title></head><body><p>{text} This page reloads in {RETRY_S} s.</p></body></html>"
    )


def run_front(address: str, port: int, commands: list[tuple[int, list[str]]], env: dict) -> int:
    """Serve the front for the server processes `commands` (port, command line), with environment
    `env` (`explorer.cli.serve`); returns the exit code."""
    backends = [Backend(p, cmd) for p, cmd in commands]
    return Front(address, port, backends, env, log=lambda line: print(line, flush=True)).run()
