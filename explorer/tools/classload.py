"""A class on one machine (issue 25, item 4): N light students speaking Bokeh's websocket protocol
(`explorer.tools.wire`) and one real Chromium page, against one `analog-explorer` server, measured
while it happens. Run through the classroom command:

    analog-explorer-classroom --students 30 --mode lesson --duration 60
    analog-explorer-classroom --students 30 --mode explore --duration 60 --json class.json

What happens: the server starts (lab settings, warm-up) on a free loopback port. Then, at the same
moment, the N students open their sessions and the Chromium page opens the Devices tab. Once every
student's document has arrived, the students act for `--duration` seconds, each with its own seeded
random think time (uniform in 1 to 5 s) between actions, and the Chromium page keeps moving sliders
of the Devices, Encoding and Crossbar tabs (`explorer.tools.classroom.Student`), recording key
press -> new plot data per tab. Then everyone closes, and the server is watched for `--after`
seconds.

The two modes:

- ``lesson``: every student opens the link to a lesson's first step (``?lesson=ID&step=1``: the
  server applies the step's settings and opens its tab), clicks the step's tab if it is not open,
  moves the control(s) the step outlines to the values the lesson asks for (`explorer.models.lessons`),
  presses Next, and so on; after the last step it presses Back to the first step and starts again.
- ``explore``: every student opens the app and, repeatedly, clicks a random dashboard tab and moves
  one to three random controls of it to a random other value: a slider to a random point of its
  grid within `--span` of its range around its current value (1: anywhere), a select to another
  option, a checkbox to its other state, a number box one step up or down (as its arrow keys do).

A run's settings (the Programming and Training tabs' controls that the app marks with the tag
`explorer.views._runs.RUN_SETTING_TAG`, such as Correction gain or Transfer every) redraw nothing
until the run starts: after moving one, in either mode, the student presses Start and the update is
Start -> the run's first point (kind ``run``; it ends at that first point, since a run keeps sending
points), then presses Reset and waits for its redraw, so that no run goes on and the next move finds
the tab as before. No first point within the control's timeout is an error, as is a Reset without a
redraw after a run that had a point.

Each student update's latency is `explorer.tools.wire.Update.latency`: its PATCH-DOC sent -> the
last server patch with new plot data before the update went quiet for 0.5 s. An update with no new
plot data within its timeout (30 s for a control, 60 s for a tab or a lesson step) is an error,
as are websocket errors, the server's tracebacks and "error in session" lines, the Chromium page's
console errors and its key presses without new data. A control's move whose update the server logs
as computed with every plot as it was (``0 changed`` for the student's session, `changed_no_plot`)
sent nothing to draw: it is listed apart, not as an error.

The shared-results hit rate is the server's own count: `SharedResults` counts its lookups and hits,
and each server process writes them to its own file (the name given in ``EXPLORER_STATS_FILE``, set
here only, with the process id appended) after the warm-up, every second and at each session's start
and end (`explorer.sessions.write_stats`); the rate is hits / lookups, summed over the processes,
between the warm-up and the end of the run.

Several server processes (``--num-procs N``, or ``--processes N`` behind the front of
`explorer.front`, passed on to `analog-explorer`, or any server option with ``--server-arg``): the
run starts once every process has written its counts after its warm-up (with ``--num-procs`` each
process warms up after the fork, after the server reports it is running). CPU time and resident
memory are summed over the server's process tree (the forked server processes, or the front and its
processes, and any heavy-computation workers, `explorer.tools.classroom.rss_mb`), the event-loop
figure over the main threads of the server processes (`server_processes`), and memory per session
and after closing are measured against the sum of the warm baselines. Each session's server process
is read from the server's ``session ready`` lines (`explorer.sessions.session_ready`: the process
that holds its websocket); a session whose page and websocket reached two processes is built in both
(Bokeh's ``create_session_if_needed``), and the report counts those too.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from ..views._runs import RUN_RESET_CLASS, RUN_SETTING_TAG, RUN_START_CLASS
from .served import in_own_thread
from .wire import CHECKBOXES, DRIVEN, GROUPS, NUMBER_INPUTS, SELECTS, SLIDERS, WireStudent, allowed_change, widget_title

THINK_S = (1.0, 5.0)
"""A student's pause between two actions, uniform in this range (seconds; the issue's 1 to 5 s)."""
WIDGET_TIMEOUT_S = 30.0
"""Longest wait for a control's new plot data before the update counts as an error."""
TAB_TIMEOUT_S = 60.0
"""Longest wait for a tab's plots (its first opening builds them) or a lesson step's."""
OUTLINE_WAIT_S = 10.0
"""Longest wait for a lesson step's outlined controls after the step opened."""
SPAN = 0.25
"""Default reach of an explore-mode slider move: within a quarter of the slider's range around its
value. A uniform pick over the whole range (``--span 1``) sends most Crossbar size moves above 1024,
the heavy requests the server's admission queues one at a time (docs/results/admission.md)."""
STATS_ENV = "EXPLORER_STATS_FILE"
"""The server's environment variable naming its statistics file (`explorer.sessions.STATS_ENV`)."""
DASHBOARD_TABS = (1, 2, 3, 4, 5, 6)
"""The tabs with controls and plots: Devices ... Training (`explorer.tools.served.TABS`)."""

TARGETS = (
    # (key, what, limit, unit, mode the target applies to or None for both)
    ("errors", "errors", 0, "", None),
    ("chromium_p50_ms", "Chromium page p50, key press -> new plot", 300.0, "ms", "lesson"),
    ("chromium_p95_ms", "Chromium page p95, key press -> new plot", 1000.0, "ms", "lesson"),
    ("chromium_p95_ms", "Chromium page p95, key press -> new plot", 2000.0, "ms", "explore"),
    ("all_open_s", "time for all sessions to open", 20.0, "s", None),
    ("mb_per_session", "server memory per session", 60.0, "MB", None),
    ("after_above_baseline_mb", "memory above the warm baseline after all closed", 50.0, "MB", None),
)
"""Issue 25's targets for 30 students on two cores (`limit` is an upper bound)."""


# ------------------------------------------------------------------ behaviours


def _wire_value(model, value):
    """The attributes that set widget `model` to the lesson's `value`, as BokehJS sends them."""
    if model.type in SLIDERS:
        return {"value": value, "value_throttled": value}
    if model.type in CHECKBOXES:
        return {"active": bool(value)}
    if model.type in SELECTS:
        return {"value": str(value)}
    if model.type in NUMBER_INPUTS:
        return {"value": value}
    labels = model.attrs.get("labels")
    if isinstance(labels, list):  # a button group: the indices of the labels chosen
        chosen = value if isinstance(value, (list, tuple)) else [value]
        if model.type in GROUPS:
            return {"active": labels.index(str(chosen[0]))}
        return {"active": [labels.index(str(v)) for v in chosen if str(v) in labels]}
    return {"value": list(value) if isinstance(value, (list, tuple)) else value}


@dataclass
class LessonPlan:
    """What a lesson asks a student to do, read from the lesson file: its id and, per step, the tab
    index and the values of its moves (setting name -> value, in the file's order)."""

    id: str
    steps: list = field(default_factory=list)  # [(tab index, [(name, value), ...]), ...]


def lesson_plan(lesson_id=None):
    """The `LessonPlan` of lesson `lesson_id` (default: the first lesson) of assets/lessons."""
    from ..models.lessons import load_lessons
    from ..models.scenario import TABS

    lessons = load_lessons()
    if not lessons.entries:
        raise ValueError(f"lesson: no lessons could be read ({lessons.message or lessons.skipped})")
    try:
        lesson = lessons.get(lesson_id) if lesson_id else lessons.entries[0]
    except KeyError:
        raise ValueError(f"lesson: no lesson {lesson_id!r}; allowed: {', '.join(lessons.ids())}") from None
    tabs = list(TABS)
    return LessonPlan(lesson.id, [(tabs.index(s.tab) + 1, list(s.move.items())) for s in lesson.steps])


UPDATE_LINE = re.compile(r"\[explorer\] update [0-9.]+ ms \(\d+ parts, (\d+) changed\) session (\S+)")
"""A dashboard update as the server logs it (`explorer.views._live`, ``EXPLORER_LOG_UPDATES=1``):
how many plot properties it changed, and its session's id."""


def changed_no_plot(lines, session_id) -> bool:
    """Whether the server's log `lines` (those printed while an update waited) say that the update of
    session `session_id` was computed and left every plot as it was: at least one logged update of
    that session, none of which changed a plot property. A control moved to a value that draws the
    same (Training's ADC bits before Start: the untrained network's one accuracy point, often the
    same at the next resolution) is answered so; nothing reaches the page, which is not an error."""
    counts = [int(m.group(1)) for m in map(UPDATE_LINE.search, lines) if m is not None and m.group(2) == session_id]
    return bool(counts) and not any(counts)


class ClassStudent:
    """One light student: its session (`WireStudent`), seeded choices, and what it measured.
    `server_output` is the server's output as it grows (`served.Server.output`): a move answered
    without plot data is looked up there (`changed_no_plot`)."""

    def __init__(self, index, url, mode, seed, plan=None, span=SPAN, think=THINK_S, server_output=()):
        self.index, self.mode, self.plan, self.span, self.think = index, mode, plan, span, think
        self.server_output = server_output
        self.unchanged = []  # moves the server answered with every plot as it was (what)
        self.rng = random.Random(seed * 1000 + index)
        query = {"lesson": plan.id, "step": 1} if mode == "lesson" else {}
        self.session = WireStudent(url, query)
        self.updates = []  # (tab index, Update)
        self.errors = []

    async def _pause(self, end):
        await asyncio.sleep(max(0.0, min(self.rng.uniform(*self.think), end - time.perf_counter())))

    def _record(self, tab, update):
        self.updates.append((tab, update))
        if update.latency is None:
            self.errors.append(f"student {self.index}: {update.what}: {update.reason}")

    async def _move(self, tab, widget, change, what):
        """Set `widget` (on tab `tab`) to `change` and record the update (module docstring): a run's
        setting (`RUN_SETTING_TAG`) is followed by Start, timed to the run's first point, and Reset."""
        if RUN_SETTING_TAG not in (widget.attrs.get("tags") or []):
            mark = len(self.server_output)
            update = await self.session.change(widget, change, timeout=WIDGET_TIMEOUT_S, what=what)
            if update.latency is None and changed_no_plot(self.server_output[mark:], self.session.session_id):
                self.unchanged.append(what)
                return
            self._record(tab, update)
            return
        start, reset = self._button(tab, RUN_START_CLASS), self._button(tab, RUN_RESET_CLASS)
        await self.session.change_only(widget, change)
        update = await self.session.click(start, timeout=WIDGET_TIMEOUT_S, what=f"{what}, then Start", first_only=True)
        update.kind = "run"
        self._record(tab, update)
        back = await self.session.click(reset, timeout=WIDGET_TIMEOUT_S, what=f"Reset after {what}")
        if update.latency is not None and back.latency is None:
            self._record(tab, back)  # the run had a point, so Reset redraws: a late one is an error

    def _button(self, tab, css_class):
        found = self.session.doc.in_tab(css_class, tab)
        if not found:
            raise RuntimeError(f"no {css_class} button on tab {tab}")
        return found[0]

    async def _tab(self, tab):
        if self.session.active_tab() != tab:
            self._record(tab, await self.session.switch_tab(tab, timeout=TAB_TIMEOUT_S, what=f"tab {tab}"))

    async def run(self, end):
        """Act until `end` (perf_counter seconds); a failure is recorded as an error, not raised."""
        try:
            if self.mode == "lesson":
                await self._lesson(end)
            else:
                await self._explore(end)
        except Exception as exc:  # noqa: BLE001 - reported with the figures
            self.errors.append(f"student {self.index}: {type(exc).__name__}: {exc}")

    async def _explore(self, end):
        while time.perf_counter() < end:
            tab = self.rng.choice(DASHBOARD_TABS)
            await self._tab(tab)
            await self._pause(end)
            for _ in range(self.rng.randint(1, 3)):
                if time.perf_counter() >= end:
                    return
                widgets = [w for w in self.session.doc.widgets(tab) if widget_title(w) and w.type in DRIVEN]
                widgets = [
                    (w, allowed_change(w, self.rng, span=self.span)) for w in sorted(widgets, key=lambda w: w.id)
                ]
                widgets = [(w, change) for w, change in widgets if change is not None]
                if not widgets:
                    break
                widget, change = self.rng.choice(widgets)
                what = f"{widget_title(widget)} = {next(iter(change.values()))}"
                await self._move(tab, widget, change, what)
                await self._pause(end)

    async def _lesson(self, end):
        steps = self.plan.steps
        while time.perf_counter() < end:
            for k, (tab, moves) in enumerate(steps):
                if time.perf_counter() >= end:
                    return
                await self._tab(tab)
                await self._pause(end)
                # The controls the open step outlines, in the order the server outlined them.
                outlined = await self._outlined(tab, len(moves))
                for (name, value), widget in zip(moves, outlined):
                    if time.perf_counter() >= end:
                        return
                    change = _wire_value(widget, value)
                    what = f"step {k + 1}: {name} = {value}"
                    await self._move(tab, widget, change, what)
                    await self._pause(end)
                if len(outlined) < len(moves):
                    self.errors.append(
                        f"student {self.index}: step {k + 1}: {len(outlined)} outlined controls for {len(moves)} moves"
                    )
                if time.perf_counter() >= end:
                    return
                if k + 1 < len(steps):
                    await self._press("lesson-next", steps[k + 1][0], f"Next after step {k + 1}")
                    await self._pause(end)
            # The lesson again: Back to its first step (the Start button is on the Overview tab).
            for k in range(len(steps) - 1, 0, -1):
                if time.perf_counter() >= end:
                    return
                await self._press("lesson-back", steps[k - 1][0], f"Back from step {k + 1}")
                await self._pause(end)

    async def _outlined(self, tab, n, wait=OUTLINE_WAIT_S):
        """The controls the open step outlines on tab `tab` (`n` expected), waiting up to `wait` s for
        the server's patch that outlines them."""
        give_up = time.perf_counter() + wait
        while True:
            found = self.session.doc.highlighted("lesson-control", tab)
            if len(found) >= n or time.perf_counter() > give_up:
                return found
            await asyncio.sleep(0.1)

    async def _press(self, css_class, tab, what):
        """Press the lesson card's button with `css_class`; the step it opens is on tab `tab`."""
        found = self.session.doc.by_css(css_class)
        if not found:
            raise RuntimeError(f"no {css_class} button in the document")
        update = await self.session.click(found[0], timeout=TAB_TIMEOUT_S, what=what)
        update.kind = "step"
        self._record(tab, update)


# ------------------------------------------------------------------ the run


def _pct(values, q):
    ok = [v for v in values if v is not None]
    return float(np.percentile(ok, q)) if ok else float("nan")


def _summary(values):
    """p50, p95, max (ms) and count of the latencies in `values` (None: no data; left out)."""
    ok = [v for v in values if v is not None]
    return dict(p50=_pct(ok, 50), p95=_pct(ok, 95), max=max(ok, default=float("nan")), n=len(ok))


STATS_KEYS = ("lookups", "hits", "duplicates", "entries", "bytes", "gc_full", "gc_full_s")
"""The counts of `SharedResults.stats` and of the full garbage collections
(`explorer.sessions.CollectorPauses`) that the server processes' files hold (summed here; the
longest collection, ``gc_full_longest_s``, is the largest over the processes)."""


def _read_stats(path):
    """The shared results' counts summed over the server processes' statistics files for the name
    `path` (`explorer.sessions.stats_file`: ``<path>.<pid>``), with ``processes``, the number of
    files read; None when there is none yet."""
    folder, base = os.path.split(path)
    pattern = re.compile(re.escape(base) + r"\.(\d+)$")
    total, found = dict.fromkeys(STATS_KEYS, 0), 0
    try:
        names = os.listdir(folder)
    except OSError:
        return None
    for name in names:
        if not pattern.match(name):
            continue
        try:
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, ValueError):
            continue
        found += 1
        for key in STATS_KEYS:
            total[key] += data.get(key, 0)
        total["gc_full_longest_s"] = max(total.get("gc_full_longest_s", 0.0), data.get("gc_full_longest_s", 0.0))
    return dict(total, processes=found) if found else None


def _wait_for_warm_up(path, processes, timeout=300.0, poll=0.25):
    """Wait until `processes` server processes have written their statistics files (each writes its
    first after its warm-up); returns the summed counts. With ``--num-procs`` the server reports that
    it runs before its processes have warmed up."""
    deadline = time.perf_counter() + timeout
    while True:
        stats = _read_stats(path)
        if stats is not None and stats["processes"] >= processes:
            return stats
        if time.perf_counter() > deadline:
            found = 0 if stats is None else stats["processes"]
            raise RuntimeError(f"{found} of {processes} server processes had warmed up after {timeout:.0f} s")
        time.sleep(poll)


def num_procs_of(server_extra):
    """The number of server processes the options `server_extra` ask for (``--num-procs N``, or
    ``--processes N`` behind the front, `explorer.front`; either also as ``--option=N``; 1 without)."""
    extra = [str(a) for a in server_extra]
    for k, arg in enumerate(extra):
        for option in ("--num-procs", "--processes"):
            value = None
            if arg == option and k + 1 < len(extra):
                value = extra[k + 1]
            elif arg.startswith(option + "="):
                value = arg.split("=", 1)[1]
            if value is None:
                continue
            name = option.removeprefix("--")
            try:
                n = int(value)
            except ValueError:
                raise ValueError(f"{name}: a whole number of server processes, got {value!r}") from None
            if n < 1:
                raise ValueError(f"{name}: at least 1 server process, got {n}")
            return n
    return 1


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return None


def server_processes(pid):
    """The server processes of the server started as `pid`: those of `pid` and its descendants that
    run ``panel serve`` (Bokeh's ``--num-procs`` forks; the front of ``--processes`` is `pid` and runs
    none, its processes are its children; the heavy-computation workers are spawned with a command
    line of their own and are left out)."""
    from .classroom import _children

    return [p for p in [pid] + _children(pid) if _runs_panel_serve(_cmdline(p))]


def _runs_panel_serve(cmdline):
    args = (cmdline or b"").split(b"\0")
    return any(a == b"panel" and k + 1 < len(args) and args[k + 1] == b"serve" for k, a in enumerate(args))


def loop_cpu_seconds(pid):
    """Server process id -> CPU time (s) of its main thread, for the processes of the server started
    as `pid` (`server_processes`): each runs its process's event loop (with ``--num-procs``, the first
    process only waits for the others)."""
    return {p: thread_cpu_seconds(p) for p in server_processes(pid)}


SESSION_LINE = re.compile(r"\[explorer\] session (created|ready|destroyed): (\S+) \(pid (\d+)\)")
"""The server's log line of a session's start, page connected, and end, with its process id."""


def sessions_by_process(output):
    """From the server's output: ``ready``, process id -> number of sessions whose page connected
    there (`explorer.sessions.session_ready`), and ``built_twice``, the sessions created in two
    processes (page and websocket on two; Bokeh builds the session again in the second)."""
    ready, created = {}, {}
    for line in output:
        m = SESSION_LINE.search(line)
        if m is None:
            continue
        event, sid, pid = m.group(1), m.group(2), int(m.group(3))
        if event == "ready":
            ready[pid] = ready.get(pid, 0) + 1
        elif event == "created":
            created.setdefault(sid, set()).add(pid)
    return dict(
        ready={str(p): n for p, n in sorted(ready.items())},
        built_twice=sum(len(pids) > 1 for pids in created.values()),
    )


def _students_thread(students, duration, stop, out):
    """Run in a thread of its own (its own event loop, its own CPU clock): open every student's
    session at once, let them act for `duration` s after the last one opened, close them, set
    `stop`. `out` receives the timings and the thread's CPU seconds."""

    async def main():
        cpu0 = time.thread_time()
        t0 = time.perf_counter()

        async def open_one(s):
            try:
                await s.session.open()
                return time.perf_counter() - t0
            except Exception as exc:  # noqa: BLE001 - reported with the figures
                s.errors.append(f"student {s.index}: opening: {type(exc).__name__}: {exc}")
                return None

        opened = await asyncio.gather(*[open_one(s) for s in students])
        all_open = time.perf_counter() - t0
        end = time.perf_counter() + duration
        await asyncio.gather(*[s.run(end) for s in students if s.session.ws is not None])
        out["acting_s"] = time.perf_counter() - t0 - all_open
        for s in students:
            await s.session.close()
        out.update(opened=opened, all_open_s=all_open, cpu_s=time.thread_time() - cpu0)

    try:
        asyncio.run(main())
    except Exception as exc:  # noqa: BLE001
        out["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        stop.set()


async def _chromium(url, seed, stop):
    """One Chromium page acting as `classroom.Student` until `stop` is set."""
    from playwright.async_api import async_playwright

    from .browser_benchmark import plot_count
    from .classroom import Student

    plots = {tab: plot_count(tab) for tab in ("Devices", "Encoding", "Crossbar")}
    async with async_playwright() as pw:
        from .served import launch_chromium

        browser = await launch_chromium(pw)
        page = Student(0, browser, url, duration=24 * 3600.0, seed=seed, stop=stop)
        await page.run(plots)
        await browser.close()
    return page


def run_students(
    n,
    mode="lesson",
    duration=60.0,
    after=60.0,
    seed=0,
    lesson=None,
    span=SPAN,
    chromium=True,
    server_extra=(),
    num_procs=1,
    log=print,
):
    """The class run (module docstring); returns the report as a dict (`report` prints it).
    `server_extra`: more `analog-explorer` options; `num_procs`: its ``--num-procs`` (server
    processes; given in `server_extra` instead, that one counts)."""
    from .classroom import MemoryWatch, count_sessions, cpu_seconds, rss_mb
    from .served import Server

    if mode not in ("lesson", "explore"):
        raise ValueError(f"mode: 'lesson' or 'explore', got {mode!r}")
    if n < 1:
        raise ValueError(f"students: at least 1, got {n}")
    if num_procs < 1:
        raise ValueError(f"num-procs: at least 1 server process, got {num_procs}")
    server_extra = [str(a) for a in server_extra]
    if num_procs > 1 and num_procs_of(server_extra) == 1:
        server_extra += ["--num-procs", str(num_procs)]
    processes = num_procs_of(server_extra)
    plan = lesson_plan(lesson) if mode == "lesson" else None
    with tempfile.TemporaryDirectory(prefix="analog-explorer-class-") as stats_dir:
        stats_path = os.path.join(stats_dir, "stats.json")
        env = {"EXPLORER_LOG_UPDATES": "1", STATS_ENV: stats_path}
        with Server(env=env, extra=server_extra) as server:
            pid = server.pid
            _wait_for_warm_up(stats_path, processes)
            time.sleep(1.0)
            stats0 = _read_stats(stats_path)
            start_mb, cpu0, loop0 = rss_mb(pid), cpu_seconds(pid), loop_cpu_seconds(pid)
            log(
                f"Server pid {pid} ({processes} process{'es' if processes > 1 else ''}): {start_mb:.0f} MB after "
                f"warm-up; {n} students ({mode}"
                + (f", lesson {plan.id}" if plan else "")
                + f") and {'one Chromium page' if chromium else 'no browser'} for {duration:.0f} s ..."
            )
            students = [
                ClassStudent(k, server.url, mode, seed, plan=plan, span=span, server_output=server.output)
                for k in range(n)
            ]
            stop = threading.Event()
            out = {}
            with MemoryWatch(pid) as watch:
                t0 = time.perf_counter()
                thread = threading.Thread(target=_students_thread, args=(students, duration, stop, out), daemon=True)
                thread.start()
                page = in_own_thread(asyncio.run, _chromium(server.url, seed, stop)) if chromium else None
                thread.join()
                closed_at = time.perf_counter()
                cpu_used = cpu_seconds(pid) - cpu0
                loop1 = loop_cpu_seconds(pid)
                loop_by = {str(p): loop1[p] - loop0.get(p, 0.0) for p in loop1}
                loop_cpu = sum(loop_by.values())
                peak = watch.peak()
                stats1 = _read_stats(stats_path)
                log(f"Everyone closed after {closed_at - t0:.0f} s; watching the server for {after:.0f} s ...")
                time.sleep(after)
                after_mb = rss_mb(pid)
            stats2 = _read_stats(stats_path)
            created, destroyed = count_sessions(server, "created"), count_sessions(server, "destroyed")
            output = list(server.output)
    return _report(
        n=n,
        mode=mode,
        plan=plan,
        duration=duration,
        after=after,
        span=span,
        students=students,
        page=page,
        out=out,
        output=output,
        start_mb=start_mb,
        peak_mb=peak,
        after_mb=after_mb,
        cpu_s=cpu_used,
        loop_cpu_s=loop_cpu,
        loop_by=loop_by,
        wall_s=closed_at - t0,
        stats=(stats0, stats1, stats2),
        created=created,
        destroyed=destroyed,
        processes=processes,
    )


def thread_cpu_seconds(pid, tid=None):
    """User + system CPU time (s) of thread `tid` of process `pid` (default: its main thread, which
    runs the server's event loop: every session's page, document and websocket messages)."""
    tick = os.sysconf("SC_CLK_TCK")
    try:
        with open(f"/proc/{pid}/task/{tid or pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / tick


def server_errors(output):
    """The lines of the server's output that report an error: tracebacks, errors in a session
    (`explorer.sessions.report_error`) and error-level log lines."""
    keep = []
    for line in output:
        if "Traceback" in line or "[explorer] error in session" in line or re.search(r"\bERROR\b", line):
            keep.append(line.strip())
    return keep


def _report(
    n,
    mode,
    plan,
    duration,
    after,
    span,
    students,
    page,
    out,
    output,
    start_mb,
    peak_mb,
    after_mb,
    cpu_s,
    loop_cpu_s,
    wall_s,
    stats,
    created,
    destroyed,
    processes=1,
    loop_by=None,
):
    updates = [(tab, u) for s in students for tab, u in s.updates]
    moves = [u.latency for _, u in updates if u.kind == "widget"]
    tabs = [u.latency for _, u in updates if u.kind == "tab"]
    steps = [u.latency for _, u in updates if u.kind == "step"]
    runs = [u.latency for _, u in updates if u.kind == "run"]
    by_tab = {}
    for tab, u in updates:
        if u.kind == "widget":
            by_tab.setdefault(str(tab), []).append(u.latency)
    errors = [e for s in students for e in s.errors]
    if "error" in out:
        errors.append(f"students' thread: {out['error']}")
    errors += [f"server: {line}" for line in server_errors(output)]
    chromium = {}
    if page is not None:
        errors += [f"Chromium page: {e}" for e in page.errors]
        errors += [
            f"Chromium page: key press on {tab} without new plot data within 30 s"
            for tab, v in page.by_tab
            if v is None
        ]
        errors += [f"Chromium page: request to another host: {u}" for u in page.foreign]
        for tab in ("Devices", "Encoding", "Crossbar"):
            chromium[tab] = _summary([v for t, v in page.by_tab if t == tab])
        chromium["all"] = _summary([v for _, v in page.by_tab])
        chromium["first_render_ms"] = page.first_render
    opened = [t for t in out.get("opened", []) if t is not None]
    sessions = n + (page is not None)
    s0, s1, s2 = stats
    shared = {}
    if s0 and s2:
        lookups, hits = s2["lookups"] - s0["lookups"], s2["hits"] - s0["hits"]
        shared = dict(
            lookups=lookups,
            hits=hits,
            hit_rate=hits / lookups if lookups else float("nan"),
            duplicates=s2.get("duplicates", 0) - s0.get("duplicates", 0),
            entries=s2["entries"],
            mb=s2["bytes"] / 2**20,
        )
    collections = {}
    if s0 and s1:
        # From the warm-up to the moment everyone closed (the collections after, which return the
        # closed sessions' memory, are not in the class's way).
        collections = dict(
            count=s1["gc_full"] - s0["gc_full"],
            total_s=s1["gc_full_s"] - s0["gc_full_s"],
            longest_ms=1000 * s1["gc_full_longest_s"],
        )
    acting = out.get("acting_s", float("nan"))
    result = dict(
        students=n,
        mode=mode,
        lesson=plan.id if plan else None,
        duration_s=duration,
        after_s=after,
        span=span,
        errors=errors,
        n_errors=len(errors),
        unchanged=[w for st in students for w in st.unchanged],
        student_updates=_summary(moves),
        student_updates_by_tab=by_tab and {t: _summary(v) for t, v in sorted(by_tab.items())},
        student_tab_switches=_summary(tabs),
        student_lesson_steps=_summary(steps),
        student_run_starts=_summary(runs),
        slowest_updates=sorted(([u.latency, u.what, tab] for tab, u in updates if u.latency is not None), reverse=True)[
            :5
        ],
        chromium=chromium,
        chromium_page=page is not None,
        all_open_s=out.get("all_open_s", float("nan")),
        open_p50_s=_pct(opened, 50),
        sessions_per_s=(len(opened) / out["all_open_s"]) if out.get("all_open_s") else float("nan"),
        server_cpu_s=cpu_s,
        server_cpu_per_session_s=cpu_s / sessions,
        server_cpu_share=cpu_s / (2 * wall_s) if wall_s else float("nan"),
        server_loop_cpu_s=loop_cpu_s,
        server_loop_share=loop_cpu_s / (processes * wall_s) if wall_s else float("nan"),
        server_loop_cpu_by_process=loop_by or {},
        wall_s=wall_s,
        acting_s=acting,
        start_mb=start_mb,
        peak_mb=peak_mb,
        mb_per_session=(peak_mb - start_mb) / sessions,
        after_mb=after_mb,
        after_above_baseline_mb=after_mb - start_mb,
        sessions_created=created,
        sessions_destroyed=destroyed,
        server_processes=processes,
        sessions_by_process=sessions_by_process(output),
        shared_results=shared,
        full_collections=collections,
        client_cpu_s=out.get("cpu_s", float("nan")),
        client_cpu_share=out.get("cpu_s", float("nan")) / wall_s if wall_s else float("nan"),
    )
    result["chromium_p50_ms"] = chromium.get("all", {}).get("p50", float("nan"))
    result["chromium_p95_ms"] = chromium.get("all", {}).get("p95", float("nan"))
    targets = []
    for key, what, limit, unit, applies in TARGETS:
        if applies not in (None, mode):
            continue
        figure = result["n_errors"] if key == "errors" else result[key]
        targets.append(dict(what=what, limit=limit, unit=unit, figure=figure, met=bool(figure <= limit)))
    result["targets"] = targets
    return result


def _ms(s):
    if not s or not s.get("n"):
        return "none"
    return f"p50 {s['p50']:.0f} ms, p95 {s['p95']:.0f} ms, max {s['max']:.0f} ms (n = {s['n']})"


def report(result, log=print):
    """Print the run's figures (`run_students`) and each target, met or not."""
    r = result
    log(
        f"{r['students']} students ({r['mode']}{', lesson ' + r['lesson'] if r['lesson'] else ''}) and "
        f"{'one Chromium page' if r['chromium_page'] else 'no browser'}: "
        f"{r['acting_s']:.0f} s of acting after all opened"
    )
    log(f"Errors: {r['n_errors']}" + "".join(f"\n  {e[:300]}" for e in r["errors"][:10]))
    if r.get("unchanged"):
        log(
            f"Moves the server answered with every plot as it was (not errors): {len(r['unchanged'])}: "
            + "; ".join(r["unchanged"][:10])
        )
    log(f"Students' update latency (control moved -> last new plot data): {_ms(r['student_updates'])}")
    for tab, s in (r["student_updates_by_tab"] or {}).items():
        log(f"  tab {tab}: {_ms(s)}")
    log(f"Students' tab switches: {_ms(r['student_tab_switches'])}")
    if r["student_run_starts"]["n"]:
        log(f"Students' run settings moved, then Start -> the run's first point: {_ms(r['student_run_starts'])}")
    if r["mode"] == "lesson":
        log(f"Students' lesson steps (Next/Back -> the step's plots): {_ms(r['student_lesson_steps'])}")
    if r["slowest_updates"]:
        log("Slowest student updates: " + "; ".join(f"{v:.0f} ms {w} (tab {t})" for v, w, t in r["slowest_updates"]))
    for tab, s in r["chromium"].items():
        if isinstance(s, dict):
            log(f"Chromium page, key press -> new plot data, {tab}: {_ms(s)}")
    if r["chromium"]:
        log(f"Chromium page's first render: {r['chromium']['first_render_ms']} ms")
    log(
        f"Sessions: all {r['students']} open after {r['all_open_s']:.1f} s (p50 {r['open_p50_s']:.1f} s; "
        f"{r['sessions_per_s']:.2f} sessions/s); created {r['sessions_created']}, destroyed {r['sessions_destroyed']}"
    )
    log(
        f"Server CPU: {r['server_cpu_s']:.0f} s over {r['wall_s']:.0f} s ({r['server_cpu_per_session_s']:.1f} s per "
        f"session, {100 * r['server_cpu_share']:.0f} % of two cores); its event-loop thread"
        + (
            f" {r['server_loop_cpu_s']:.0f} s ({100 * r['server_loop_share']:.0f} % of one core)"
            if r["server_processes"] == 1
            else f"s {r['server_loop_cpu_s']:.0f} s ({100 * r['server_loop_share']:.0f} % of one core each on average"
            f" over {r['server_processes']} processes; by process: "
            + ", ".join(f"{p} {v:.0f} s" for p, v in r["server_loop_cpu_by_process"].items())
            + ")"
        )
    )
    by = r["sessions_by_process"]
    log(
        "Sessions by server process (page connected): "
        + (", ".join(f"pid {p}: {k}" for p, k in by["ready"].items()) or "none logged")
        + f"; built in two processes (page and websocket on two): {by['built_twice']}"
    )
    log(
        f"Server memory: {r['start_mb']:.0f} MB warm, peak {r['peak_mb']:.0f} MB ({r['mb_per_session']:.1f} MB per "
        f"session), {r['after_mb']:.0f} MB {r['after_s']:.0f} s after all closed "
        f"({r['after_above_baseline_mb']:+.0f} MB against the warm baseline)"
    )
    sh = r["shared_results"]
    if sh:
        log(
            f"Shared results: {sh['hits']} hits of {sh['lookups']} lookups ({100 * sh['hit_rate']:.0f} %); "
            f"{sh['duplicates']} computed while another session computed the same; "
            f"{sh['entries']} kept ({sh['mb']:.0f} MB)"
        )
    fc = r.get("full_collections")
    if fc:
        log(
            f"Full garbage collections while the class was open: {fc['count']}, {fc['total_s']:.1f} s in all "
            f"(longest {fc['longest_ms']:.0f} ms, each holding every session's updates)"
        )
    log(
        f"Measuring side: the light students used {r['client_cpu_s']:.1f} s of CPU "
        f"({100 * r['client_cpu_share']:.1f} % of one core)"
    )
    for t in r["targets"]:
        unit = f" {t['unit']}" if t["unit"] else ""
        log(f"Target {t['what']} <= {t['limit']:g}{unit}: {'met' if t['met'] else 'not met'} ({t['figure']:.1f}{unit})")


def write_json(result, path):
    """The report as JSON (NaN written as null)."""

    def clean(v):
        if isinstance(v, float) and v != v:
            return None
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [clean(x) for x in v]
        return v

    with open(path, "w", encoding="utf-8") as f:
        json.dump(clean(result), f, indent=1)
