"""Classroom load command: N students at once on one lab server, in real headless Chromium pages.

    analog-explorer-classroom                 # 10 pages for 60 s, then 60 s of watching memory
    analog-explorer-classroom --pages 5 --duration 30
    analog-explorer-classroom --light 30      # 30 sessions opened together by websocket clients
    analog-explorer-classroom --students 30 --mode lesson   # a class: explorer/tools/classload.py

What it does: starts `analog-explorer` (the lab settings of `explorer.cli`) on a free loopback
port, opens `--pages` pages at once (one browser context each: separate sessions, separate
caches, as separate students), and lets each page act like a student for `--duration` seconds:
it opens the Devices tab, then keeps moving, in turn, the sliders of the Devices, Encoding and
Crossbar tabs (switching tabs by clicking them), one key press at a time, waiting for the new
plot data and then a random pause of `--pause` (1 to 3 s; fixed seed per page). It then closes every page
and watches the server for `--after` seconds.

It reports: key press -> new plot data latency (p50, p95, max, steps over 5 s, steps with no new
data within 30 s), first-render times (page open and tab switches), console errors, requests to
any host other than this machine (the command fails if there is one), and the server's memory
(resident set of the server process): at start (after the warm-up), peak, per session, and
`--after` seconds after the pages closed, with the sessions the server reports destroyed.

`--light N` instead opens N sessions together over websockets, as a browser does to get its
document (Bokeh's protocol: ACK, PULL-DOC-REQ, the whole document back) but without decoding or
drawing it, so that the measuring side costs almost nothing; it reports when each was ready and
the server CPU time per session.

`--students N` runs a class instead (issue 25, item 4; `explorer.tools.classload`): N light students
speaking Bokeh's websocket protocol, in a lesson or exploring, and one Chromium page (`Student`)
throughout; the report gives each of issue 25's targets as met or not, and the command fails on any
error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import sys
import threading
import time
from collections.abc import Sequence
from urllib.parse import urlparse

import numpy as np

from .served import (
    PLOT_MODELS,
    PROBE_JS,
    READY_JS,
    READY_TEXT,
    RENDERED_JS,
    SINCE_JS,
    TABS,
    Server,
    launch_chromium,
    slider_handle,
)

SLOW_STEP_S = 5.0
STEP_TIMEOUT_S = 30.0
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}

STUDENT_SLIDERS = {
    # Sliders a student moves on each tab (their titles on the page).
    "Devices": ["Time after programming", "Read-noise scale", "Drift-coefficient scale", "Number of levels"],
    "Encoding": ["Time after programming", "Slices", "ADC bits", "Additive common mode \\(µS\\)"],
    "Crossbar": ["ADC bits", "Time after programming", "DAC bits", "Read-noise scale"],
}
STEPS_PER_TAB = 3


# ------------------------------------------------------------------ server measurements


def rss_mb(pid):
    """Resident memory (MB) of process `pid` and its children."""
    total = 0
    for p in [pid] + _children(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024.0


def cpu_seconds(pid):
    """User + system CPU time (s) of process `pid` and its children so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in [pid] + _children(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / tick


def browser_cpu_seconds():
    """User + system CPU time (s) of every Chromium process on this machine so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                text = f.read()
        except OSError:
            continue
        name = text[text.find("(") + 1 : text.rfind(")")]
        if name.startswith("chrom"):
            fields = text.rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / tick


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = [int(x) for x in f.read().split()]
    except OSError:
        return []
    return kids + [g for k in kids for g in _children(k)]


class MemoryWatch:
    """Samples the server's resident memory every `period` seconds in a thread."""

    def __init__(self, pid, period=0.25):
        self.pid, self.period = pid, period
        self.samples = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.samples.append((time.perf_counter(), rss_mb(self.pid)))
            self._stop.wait(self.period)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def peak(self):
        return max((m for _, m in self.samples), default=float("nan"))


def count_sessions(server, event):
    return sum(f"[explorer] session {event}:" in line for line in list(server.output))


# ------------------------------------------------------------------ one student


class Student:
    """One page that behaves like a student (see the module docstring)."""

    def __init__(self, index, browser, url, duration, seed, pause=(1.0, 3.0), stop=None):
        self.index, self.browser, self.url, self.duration = index, browser, url, duration
        self.pause = pause
        self.stop = stop  # a threading.Event that ends the run early (the class run's students are done)
        self.by_tab = []  # (tab, ms or None) per key press
        self.rng = random.Random(seed * 1000 + index)
        self.latencies = []  # ms per key press (None: no new data within the timeout)
        self.frames = []  # websocket frames per key press
        self.first_render = None  # ms, page open to the Devices plots rendered
        self.tab_renders = []  # ms, tab click to the tab's plots rendered
        self.errors = []
        self.foreign = []  # requests to other hosts
        self._frames = 0
        self._last_frame = time.perf_counter()

    def _request(self, request):
        parsed = urlparse(request.url)
        if parsed.scheme in ("http", "https", "ws", "wss") and parsed.hostname not in LOCAL_HOSTS:
            self.foreign.append(request.url)

    def _frame(self, payload):
        self._frames += 1
        self._last_frame = time.perf_counter()

    @staticmethod
    async def _poll(page, script, arg, timeout=120.0):
        """The first non-null value of `script(arg)` in the page, polled every 50 ms (or None)."""
        start = time.perf_counter()
        while time.perf_counter() - start < timeout:
            value = await page.evaluate(script, arg)
            if value is not None:
                return value
            await asyncio.sleep(0.05)
        return None

    async def _wait_rendered(self, page, n_titles):
        """Milliseconds from navigation start until `n_titles` plots were rendered (or None)."""
        return await self._poll(page, READY_JS, n_titles)

    async def _wait_tab(self, page, tab, n_titles, timeout=120.0):
        """performance.now() when `tab`'s heading shows and its plots are rendered (or None)."""
        await page.get_by_text(READY_TEXT[tab]).first.wait_for(timeout=1000 * timeout)
        return await self._poll(page, RENDERED_JS, n_titles, timeout)

    async def _press(self, page, label, tab=""):
        handle = slider_handle(page, f"^{label}:")
        await handle.focus()
        now = float(await handle.get_attribute("aria-valuenow"))
        lo = float(await handle.get_attribute("aria-valuemin"))
        hi = float(await handle.get_attribute("aria-valuemax"))
        # A key that would push the slider past an end changes nothing (and no new data comes).
        left = self.rng.random() < 0.3
        key = "ArrowLeft" if now >= hi or (left and now > lo) else "ArrowRight"
        index = await page.evaluate("() => window.__probe.keys.length")
        frames0 = self._frames
        await handle.press(key)
        start = time.perf_counter()
        while True:
            await asyncio.sleep(0.05)
            changes = await page.evaluate(SINCE_JS, [index, list(PLOT_MODELS)])
            if changes and time.perf_counter() - self._last_frame > 0.5:
                self.latencies.append(max(c[0] for c in changes))
                break
            if time.perf_counter() - start > STEP_TIMEOUT_S:
                self.latencies.append(max(c[0] for c in changes) if changes else None)
                break
        self.by_tab.append((tab, self.latencies[-1]))
        self.frames.append(self._frames - frames0)

    async def run(self, plots_per_tab):
        """Act like a student; a failure of the page is recorded as an error, not raised."""
        try:
            await self._run(plots_per_tab)
        except Exception as exc:  # noqa: BLE001 - reported with the figures
            self.errors.append(f"student {self.index}: {type(exc).__name__}: {str(exc).splitlines()[0]}")

    def _done(self, end):
        return time.perf_counter() >= end or (self.stop is not None and self.stop.is_set())

    async def _run(self, plots_per_tab):
        context = await self.browser.new_context(viewport={"width": 1400, "height": 1600})
        context.on("request", self._request)
        page = await context.new_page()
        await page.add_init_script(PROBE_JS)
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))
        await page.goto(f"{self.url}?tab={TABS['Devices']}", timeout=180000)
        self.first_render = await self._wait_rendered(page, plots_per_tab["Devices"])
        end = time.perf_counter() + self.duration
        tab = "Devices"
        order = ["Devices", "Encoding", "Crossbar"]
        while not self._done(end):
            for _ in range(STEPS_PER_TAB):
                if self._done(end):
                    break
                await self._press(page, self.rng.choice(STUDENT_SLIDERS[tab]), tab)
                await asyncio.sleep(self.rng.uniform(*self.pause))
            tab = order[(order.index(tab) + 1) % len(order)]
            if self._done(end):
                break
            start = await page.evaluate("() => performance.now()")
            await page.locator(".bk-tab", has_text=re.compile(f"^{tab}$")).first.click()
            done = await self._wait_tab(page, tab, plots_per_tab[tab])
            self.tab_renders.append(done - start if done is not None else None)
        await context.close()


# ------------------------------------------------------------------ runs


def _stats(values):
    ok = [v for v in values if v is not None]
    if not ok:
        return "none"
    return (
        f"p50 {np.percentile(ok, 50):.0f} ms, p95 {np.percentile(ok, 95):.0f} ms, max {max(ok):.0f} ms (n = {len(ok)})"
    )


async def _class(url, pages, duration, seed, pause):
    from playwright.async_api import async_playwright

    from .browser_benchmark import plot_count

    plots = {tab: plot_count(tab) for tab in ("Devices", "Encoding", "Crossbar")}
    async with async_playwright() as pw:
        browser = await launch_chromium(pw)
        students = [Student(k, browser, url, duration, seed, pause) for k in range(pages)]
        browser0 = browser_cpu_seconds()
        await asyncio.gather(*[s.run(plots) for s in students])
        browser_cpu = browser_cpu_seconds() - browser0  # before the browser's processes exit
        await browser.close()
    return students, browser_cpu


def server_updates(server):
    """The server's share of each update (ms), from its log (EXPLORER_LOG_UPDATES=1)."""
    out = []
    for line in list(server.output):
        match = re.search(r"\[explorer\] update ([0-9.]+) ms", line)
        if match:
            out.append(float(match.group(1)))
    return out


def run_class(pages, duration, after, seed, pause=(1.0, 3.0), log=print):
    """The browser load run; returns a dict of the figures and whether it passed."""
    with Server(env={"EXPLORER_LOG_UPDATES": "1"}) as server:
        pid = server.pid
        time.sleep(1.0)
        start_mb = rss_mb(pid)
        cpu0 = cpu_seconds(pid)
        log(f"Server pid {pid}: {start_mb:.0f} MB after warm-up; {pages} pages for {duration:.0f} s ...")
        with MemoryWatch(pid) as watch:
            t0 = time.perf_counter()
            students, browser_cpu = asyncio.run(_class(server.url, pages, duration, seed, pause))
            closed_at = time.perf_counter()
            cpu_used = cpu_seconds(pid) - cpu0
            peak = watch.peak()
            log(f"Pages closed after {closed_at - t0:.0f} s; watching the server for {after:.0f} s ...")
            time.sleep(after)
            after_mb = rss_mb(pid)
        created, destroyed = count_sessions(server, "created"), count_sessions(server, "destroyed")
        updates = server_updates(server)
        tracebacks = sum("Traceback" in line for line in server.output)
    lat = [v for s in students for v in s.latencies]
    ok = [v for v in lat if v is not None]
    foreign = [u for s in students for u in s.foreign]
    errors = [e for s in students for e in s.errors]
    result = dict(
        pages=pages,
        steps=len(lat),
        p50=float(np.percentile(ok, 50)) if ok else float("nan"),
        p95=float(np.percentile(ok, 95)) if ok else float("nan"),
        max=max(ok, default=float("nan")),
        slow=sum(v is None or v > 1e3 * SLOW_STEP_S for v in lat),
        timeouts=sum(v is None for v in lat),
        frames_max=max((f for s in students for f in s.frames), default=0),
        first_render=[s.first_render for s in students],
        tab_renders=[v for s in students for v in s.tab_renders],
        errors=errors,
        foreign=foreign,
        start_mb=start_mb,
        peak_mb=peak,
        after_mb=after_mb,
        per_session_mb=(peak - start_mb) / pages,
        created=created,
        destroyed=destroyed,
        cpu_s=cpu_used,
        browser_cpu_s=browser_cpu,
        wall_s=closed_at - t0,
        tracebacks=tracebacks,
        server_updates=updates,
    )
    log(
        f"Key press -> new plot data, {len(lat)} steps over {pages} pages: {_stats(lat)}; "
        f"steps over {SLOW_STEP_S:.0f} s: {result['slow']}; no new data within {STEP_TIMEOUT_S:.0f} s: "
        f"{result['timeouts']}; most websocket frames in one step: {result['frames_max']}"
    )
    log(f"Server's share of those updates (parameter change -> changes handed to the websocket): {_stats(updates)}")
    log(f"First render, page open -> Devices plots: {_stats(result['first_render'])}")
    log(f"First render, tab click -> the tab's plots: {_stats(result['tab_renders'])}")
    log(f"Console errors: {len(errors)}" + (f" (first: {errors[0][:200]})" if errors else ""))
    log(f"Requests to other hosts: {len(foreign)}" + (f" (first: {foreign[0]})" if foreign else ""))
    log(
        f"Server memory: {start_mb:.0f} MB at start, peak {peak:.0f} MB "
        f"({result['per_session_mb']:.1f} MB per session), {after_mb:.0f} MB {after:.0f} s after the pages "
        f"closed; sessions created {created}, destroyed {destroyed}; server CPU {cpu_used:.0f} s "
        f"({cpu_used / max(len(lat), 1):.2f} s per step, page opens included); tracebacks in its log: {tracebacks}"
    )
    log(
        f"CPU over the {closed_at - t0:.0f} s with pages open (2 cores = {2 * (closed_at - t0):.0f} core-s): server "
        f"{cpu_used:.0f} s, the {pages} Chromium pages {browser_cpu:.0f} s"
    )
    result["passed"] = not foreign
    return result


async def _light_open(ws_url, timeout=300.0):
    """Open one session as a browser's websocket does (Bokeh protocol: wait for ACK, send
    PULL-DOC-REQ, receive the whole document), without decoding it; returns seconds to ready."""
    from bokeh.util.token import generate_jwt_token, generate_session_id
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    start = time.perf_counter()
    token = generate_jwt_token(generate_session_id())
    ws = await websocket_connect(
        HTTPRequest(ws_url, request_timeout=timeout, connect_timeout=timeout),
        subprotocols=["bokeh", token],
        max_message_size=1 << 30,
    )
    try:

        async def message():
            header = json.loads(await ws.read_message())
            await ws.read_message()  # metadata
            await ws.read_message()  # content
            for _ in range(2 * header.get("num_buffers", 0)):
                await ws.read_message()
            return header

        ack = await message()
        if ack.get("msgtype") != "ACK":
            raise RuntimeError(f"expected ACK, got {ack}")
        await ws.write_message(json.dumps({"msgid": "1", "msgtype": "PULL-DOC-REQ"}))
        await ws.write_message("{}")
        await ws.write_message("{}")
        reply = await message()
        if reply.get("msgtype") != "PULL-DOC-REPLY":
            raise RuntimeError(f"expected PULL-DOC-REPLY, got {reply}")
        return time.perf_counter() - start
    finally:
        ws.close()


async def _light_all(ws_url, n):
    async def one():
        try:
            return await _light_open(ws_url)
        except Exception as exc:  # a failed open is reported, not raised
            return repr(exc)

    return await asyncio.gather(*[one() for _ in range(n)])


def run_light(n, log=print):
    """Open `n` sessions at once over websockets; returns the figures."""
    with Server() as server:
        pid = server.pid
        time.sleep(1.0)
        cpu0 = cpu_seconds(pid)
        t0 = time.perf_counter()
        results = asyncio.run(_light_all(server.url.replace("http://", "ws://") + "/ws", n))
        wall = time.perf_counter() - t0
        cpu = cpu_seconds(pid) - cpu0
        created = count_sessions(server, "created")
    times = [r for r in results if isinstance(r, float)]
    failed = [r for r in results if not isinstance(r, float)]
    median = statistics.median(times) if times else float("nan")
    log(
        f"{n} sessions opened together: all ready after {wall:.1f} s; per session ready after "
        f"p50 {median:.1f} s, max {max(times, default=float('nan')):.1f} s; failed {len(failed)}"
        + (f" ({failed[0]})" if failed else "")
        + f"; server CPU {cpu:.1f} s ({cpu / n:.2f} s per session); "
        f"sessions the server created: {created}"
    )
    return dict(n=n, wall=wall, times=times, failed=failed, cpu_s=cpu)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--students",
        type=int,
        default=0,
        metavar="N",
        help="a class: N light protocol students and one Chromium page (explorer/tools/classload.py)",
    )
    parser.add_argument(
        "--mode",
        choices=("lesson", "explore"),
        default="lesson",
        help="with --students: follow a lesson's steps, or explore at random (default lesson)",
    )
    parser.add_argument(
        "--lesson", default=None, help="with --students --mode lesson: the lesson's id (default the first)"
    )
    parser.add_argument(
        "--span",
        type=float,
        default=None,
        help="with --mode explore: a slider moves within this fraction of its range (default 0.25; 1: anywhere)",
    )
    parser.add_argument("--no-browser", action="store_true", help="with --students: no Chromium page")
    parser.add_argument(
        "--num-procs",
        type=int,
        default=1,
        metavar="N",
        help="with --students: N server processes (analog-explorer --num-procs N; default 1)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        metavar="N",
        help="with --students: N server processes behind the front (analog-explorer --processes N; default 1)",
    )
    parser.add_argument(
        "--server-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="with --students: one more option for the server (analog-explorer), repeatable: "
        "--server-arg=--budget-jobs --server-arg=2",
    )
    parser.add_argument("--json", default=None, metavar="FILE", help="with --students: also write the report to FILE")
    parser.add_argument("--pages", type=int, default=10, help="concurrent pages (default 10)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds each page or student works (default 60)")
    parser.add_argument(
        "--after",
        type=float,
        default=60.0,
        help="seconds to watch the server's memory after the pages close (default 60)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the pages' choices (default 0)")
    parser.add_argument(
        "--pause",
        type=float,
        nargs=2,
        default=(1.0, 3.0),
        metavar=("MIN", "MAX"),
        help="seconds a page waits between key presses, uniform in [MIN, MAX] (default 1 3)",
    )
    parser.add_argument(
        "--light",
        type=int,
        default=0,
        metavar="N",
        help="instead: open N sessions together with websocket clients and time them",
    )
    args = parser.parse_args(argv)
    for name in ("pages", "light", "students"):
        if getattr(args, name) < 0 or (name == "pages" and args.pages < 1):
            parser.error(f"--{name} must be a positive number, got {getattr(args, name)}")
    if args.duration <= 0 or args.after < 0:
        parser.error("--duration must be positive and --after non-negative")
    if args.students:
        return _class_run(args, parser)
    if args.light:
        run_light(args.light)
        return 0
    if not 0 <= args.pause[0] <= args.pause[1]:
        parser.error(f"--pause needs 0 <= MIN <= MAX, got {args.pause}")
    result = run_class(args.pages, args.duration, args.after, args.seed, tuple(args.pause))
    if not result["passed"]:
        print("FAILED: the pages requested resources from other hosts", file=sys.stderr)
        return 1
    return 0


def _class_run(args, parser):
    """`--students N`: the class run of `explorer.tools.classload`; exit status 1 on any error."""
    from .classload import SPAN, report, run_students, write_json

    span = SPAN if args.span is None else args.span
    if not 0 < span <= 1:
        parser.error(f"--span must be a fraction in (0, 1], got {span}")
    if args.num_procs < 1:
        parser.error(f"--num-procs must be at least 1, got {args.num_procs}")
    if args.processes < 1:
        parser.error(f"--processes must be at least 1, got {args.processes}")
    if args.processes > 1 and args.num_procs > 1:
        parser.error("--processes and --num-procs: choose one way to run several server processes")
    server_extra = list(args.server_arg) + (["--processes", str(args.processes)] if args.processes > 1 else [])
    try:
        result = run_students(
            args.students,
            mode=args.mode,
            duration=args.duration,
            after=args.after,
            seed=args.seed,
            lesson=args.lesson,
            span=span,
            chromium=not args.no_browser,
            server_extra=server_extra,
            num_procs=args.num_procs,
        )
    except ValueError as exc:
        parser.error(str(exc))
    report(result)
    if args.json:
        write_json(result, args.json)
    if result["n_errors"]:
        print(f"FAILED: {result['n_errors']} error(s) during the class run", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
