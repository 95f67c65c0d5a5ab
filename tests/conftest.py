"""Shared fixtures: a real `panel serve` process and headless Debian Chromium."""

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port):
    """Start `panel serve explorer/app.py`; return the process once it accepts connections."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "panel", "serve", str(ROOT / "explorer" / "app.py"), "--port", str(port),
         "--address", "127.0.0.1", "--allow-websocket-origin", f"127.0.0.1:{port}", "--num-threads", "2"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1"))
    deadline = time.time() + 120
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            raise RuntimeError(f"panel serve exited with code {proc.returncode}")
        if re.search(r"Bokeh app running at", line):
            return proc
    proc.kill()
    raise RuntimeError("panel serve did not start within 120 s")


@pytest.fixture(scope="session")
def served_app():
    """URL of the app under a real `panel serve`, for the whole test session."""
    port = _free_port()
    proc = start_server(port)
    yield f"http://127.0.0.1:{port}/app"
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/run_tests.sh, which installs Debian's chromium")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
