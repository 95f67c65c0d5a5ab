"""The app under a real `panel serve`, seen from headless Chromium: shared by the browser latency
benchmark, the classroom load command, the screenshot script and the browser tests.

Nothing here runs at import; Playwright is imported only by the functions that drive a browser
(it comes with the ``test`` extra: ``pip install -e .[test]``), and Chromium is Debian's
``/usr/bin/chromium`` (``apt-get install chromium``), never a downloaded one.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "app.py"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

TABS = {
    "Overview": 0,
    "Devices": 1,
    "Encoding": 2,
    "Crossbar": 3,
    "Programming": 4,
    "Reliability": 5,
    "Training": 6,
    "Technologies": 7,
    "Physics reference": 8,
    "Sweeps": 9,
}
"""Tab name -> index in the app's tabs (the ``tab`` URL parameter)."""

READY_TEXT = {
    "Devices": "Programmed levels at the chosen time",
    "Encoding": "Conductances of each slice",
    "Crossbar": "Ideal versus analog outputs",
    "Programming": "Programmed devices",
    "Reliability": "Accuracy versus time",
}
"""A plot heading of each tab, shown once the tab has rendered."""


FRONT_LINE = re.compile(r"\[explorer\] front running at \S+ for (\d+) server processes")
FRONT_READY = re.compile(r"\[explorer\] front: the process on port \d+ is ready")
"""The front's log lines (`explorer.front`): started for N processes; one of them ready."""


def free_port():
    """A TCP port free on the loopback interface right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_command(port, address="127.0.0.1", extra=()):
    """The `analog-explorer` command line (lab settings included) for `port` on `address`."""
    return [sys.executable, "-m", "explorer.cli", "--port", str(port), "--address", address, *extra]


class Server:
    """`analog-explorer` (panel serve with the lab settings) in a child process, for a `with` block.

    ``url`` is the app's address once it accepts connections; ``pid`` the server's process id.
    """

    def __init__(self, port=None, extra=(), timeout=300.0, env=None):
        self.port = port or free_port()
        self.extra = tuple(extra)
        self.env = dict(env or {})
        self.timeout = timeout
        self.proc = None
        self.output = []

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/app"

    @property
    def pid(self):
        return self.proc.pid

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        # Its own process group, so that stopping it also stops any worker processes (--num-procs).
        self.proc = subprocess.Popen(
            serve_command(self.port, extra=self.extra),
            cwd=APP.parent.parent,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=dict(os.environ, PYTHONUNBUFFERED="1", **self.env),
            start_new_session=True,
        )
        deadline = time.time() + self.timeout
        waiting_for = None  # server processes not yet ready
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line and self.proc.poll() is not None:
                raise RuntimeError(
                    f"panel serve exited with code {self.proc.returncode}:\n" + "".join(self.output[-30:])
                )
            self.output.append(line)
            front = FRONT_LINE.search(line)
            if front:
                waiting_for = int(front.group(1))  # the front's processes: wait until each is ready
            elif waiting_for is None and re.search(r"Bokeh app running at", line):
                waiting_for = 0
            elif waiting_for and FRONT_READY.search(line):
                waiting_for -= 1
            if waiting_for == 0:
                # Keep reading the output (tracebacks, warnings) so the pipe never fills up.
                import threading

                threading.Thread(target=self._drain, daemon=True).start()
                return self
        self.stop()
        raise RuntimeError(f"panel serve did not start within {self.timeout:.0f} s")

    def _drain(self):
        for line in self.proc.stdout:
            self.output.append(line)

    def stop(self):
        """Stop the server and every process of its group (worker processes do not all exit on SIGTERM)."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()


def launch_chromium(playwright):
    """Debian's headless Chromium through Playwright, with the flags this machine needs."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(
            f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), "
            "or run scripts/run_tests.sh, which does"
        )
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


PROBE_JS = """
(() => {
  // What the latency figures are computed from, in the page's own clock (performance.now(), ms):
  // key presses, every change the Bokeh documents apply, and when the page has finished rendering.
  const probe = window.__probe = {keys: [], changes: [], ready: [], docs: new Set()};
  window.addEventListener('keydown', () => probe.keys.push(performance.now()), true);
  let titles = -1;
  const holdsPlot = (m, depth) => {
    if (!m || depth > 8) return false;
    if (m.type === 'Figure' || m.type === 'Plot') return true;
    const kids = Array.isArray(m.children) ? m.children : [];
    return kids.some(k => holdsPlot(Array.isArray(k) ? k[0] : k, depth + 1));
  };
  setInterval(() => {
    const docs = (window.Bokeh && window.Bokeh.documents) || [];
    for (const doc of docs) {
      if (probe.docs.has(doc)) continue;
      probe.docs.add(doc);
      doc.on_change((event) => {
        const model = event.model;
        if (!model) return;
        probe.changes.push([performance.now(), model.type, event.attr || '', model.name || '']);
        // A layout that now holds a plot, or is shown again holding one (by `visible`, or by its
        // style: the app's chart slots): a chart appeared (its data came with its new models, or
        // are those it showed before).
        const styles = model.styles instanceof Map ? Object.fromEntries(model.styles) : (model.styles || {});
        const shown = event.attr === 'children' || (event.attr === 'visible' && model.visible) ||
                      (event.attr === 'styles' && styles.display !== undefined && styles.display !== 'none');
        if (shown && holdsPlot(model, 0))
          probe.changes.push([performance.now(), 'NewPlot', event.attr, model.name || '']);
      });
    }
    if (!docs.length || !window.Bokeh.index) return;
    const views = Object.values(window.Bokeh.index);
    if (!views.length || !views.every(v => v.has_finished())) return;
    let n = 0;
    for (const doc of docs)
      for (const m of doc.all_models)
        if (m.type === 'Title' && m.text && m.text.trim()) n++;
    if (n !== titles) { titles = n; probe.ready.push([performance.now(), n]); }
  }, 10);
})();
"""
"""Installed in every page before the app loads (Playwright's add_init_script)."""

PLOT_MODELS = ("ColumnDataSource", "Title", "Span", "BoxAnnotation", "LinearColorMapper", "NewPlot")
"""Bokeh models whose changes are a plot's new data (not a widget's echo, nor the client's ranges);
``NewPlot`` is the probe's own record of a layout that now holds a plot or is shown again holding
one, by ``visible`` or by its style (a chart that appeared, such as the Reliability tab's second
study: its data came with its new models, or are those it showed before)."""

SINCE_JS = """
([key, types]) => {
  // Plot-data changes since key press number `key`: [ms after the key, model type, attribute, name].
  const t = window.__probe.keys[key];
  if (t === undefined) return null;
  return window.__probe.changes.filter(c => c[0] >= t && types.includes(c[1])).map(c => [c[0] - t, c[1], c[2], c[3]]);
}
"""

RENDERED_JS = """
(count) => {
  // performance.now() if BokehJS has finished rendering every view and `count` plots have titles.
  if (!window.Bokeh || !window.Bokeh.index) return null;
  const views = Object.values(window.Bokeh.index);
  if (!views.length || !views.every(v => v.has_finished())) return null;
  let n = 0;
  for (const doc of window.Bokeh.documents)
    for (const m of doc.all_models)
      if (m.type === 'Title' && m.text && m.text.trim()) n++;
  return n >= count ? performance.now() : null;
}
"""

READY_JS = """
(count) => {
  // Milliseconds from navigation start until the page had rendered `count` plot titles (or null).
  const hit = window.__probe.ready.find(r => r[1] >= count);
  return hit ? hit[0] : null;
}
"""

TITLES_JS = """
() => {
  const out = [];
  for (const doc of (window.Bokeh ? window.Bokeh.documents : []))
    for (const model of doc.all_models)
      if (model.type === 'Title' && model.text) out.push(model.text.replace(/\\n/g, ' ').trim());
  return out;
}
"""
"""Every plot title in the page (titles are drawn on canvas, so they are read from Bokeh), its lines
joined by spaces: a title wrapped to its plot's width reads as the text it was given."""


class FrameCounter:
    """Websocket frames (and their bytes) the page receives from the server."""

    def __init__(self, page):
        self.frames = 0
        self.bytes = 0
        self.last = time.perf_counter()
        page.on("websocket", self._attach)

    def _attach(self, ws):
        ws.on("framereceived", self._frame)

    def _frame(self, payload):
        self.frames += 1
        self.bytes += len(payload)
        self.last = time.perf_counter()

    def snapshot(self):
        return self.frames, self.bytes


def slider_handle(page, label):
    """The keyboard handle of the slider whose title matches the regular expression `label`."""
    row = page.locator(".bk-slider-title", has_text=re.compile(label)).locator("xpath=..")
    return row.locator(".noUi-handle").first


def in_own_thread(function, *args, **kwargs):
    """`function(*args, **kwargs)` run in a thread of its own, its result returned and its exception
    raised in the caller. For code that runs an event loop of its own (``asyncio.run``, a Tornado
    loop) from a thread whose loop is already running: Playwright's sync API keeps one in the thread
    that uses it (the load command's Chromium page, the browser tests), where ``asyncio.run``
    refuses to start and a Tornado loop started there would run Playwright's."""
    import threading

    box = {}

    def run():
        try:
            box["result"] = function(*args, **kwargs)
        except BaseException as exc:  # raised again in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=run, name="own-event-loop")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["result"]
