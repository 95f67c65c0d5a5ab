"""What one update costs the server, split by who spends it (issue 25 item 4, issue 26 item 2).

Every session's Python work (Panel's and Param's watchers, our views building plot data, Bokeh
serializing the changes, Tornado writing them) runs under one interpreter lock, so every
millisecond of it is paid by the whole class. This command serves the app in this process (the lab
settings: four callback threads), drives one session with a light student over the websocket
(`explorer.tools.wire`, what a browser's BokehJS sends) and, while each update runs, samples the
server's threads (`sys._current_frames`, every `INTERVAL_S`) and files each sample under the
package of the innermost frame that decides it (`bucket`):

- ``compute``: our models and kernels (`explorer.models`, `kernels`, NumPy called from them);
- ``views``: our views' Python (`explorer.views`: plot data dicts, titles, spans; NumPy called
  from them, such as comparing a new column with the shown one);
- ``panel/param``: Panel's and Param's watchers and model updates;
- ``bokeh models``: Bokeh's property setting, validation and change events;
- ``serialization``: Bokeh's serializer and protocol messages (and `json`);
- ``loop/websocket``: Tornado and asyncio (callbacks scheduled, messages written);
- ``other``.

A thread waiting (for work, for the selector, for a lock) is not counted. Samples are taken when
the sampling thread gets the interpreter lock, so each stands for the time since the previous one
(rounds are rarer while the server holds the lock); a thread sampled while it waits for the lock
counts as busy where it stands. The figures are estimates to compare, not exact timings. With
each update it also records the server's messages (PATCH-DOC count and bytes, as received, until
the server has sent nothing for `SETTLE_S`), the session's computations (the dashboards'
`computed` records), the latency from sending to the last plot data (`explorer.tools.wire`) and
to the last message of any kind.

    python -m explorer.tools.update_cost --repeat 6 --json cost.json

The actions: a Devices time slider move, an Encoding slices move, a Crossbar read-time move (each
back and forth between two values, so after the first two every update is a memo hit) and a lesson
Next and Back (pcm-drift, steps 1 -> 2 -> 1), each after the student made the open step's move (as
the class load's students do: the step then puts the moved setting back).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from ..sessions import RELEASE_DELAY_S
from .wire import WireStudent, widget_title

SETTLE_S = 1.5
"""An update's figures cover the time until the server has sent nothing for this long."""

INTERVAL_S = 0.0005
"""Seconds between two samples of the server's threads."""

BUCKETS = ("compute", "views", "panel/param", "bokeh models", "serialization", "loop/websocket", "other")

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "explorer" / "app.py"

_IDLE = {
    ("selectors.py", "select"),
    ("threading.py", "wait"),
    ("threading.py", "_wait_for_tstate_lock"),
    ("queue.py", "get"),
    ("thread.py", "_worker"),  # concurrent.futures waiting for work
    ("base_events.py", "_run_once"),
}
"""(file name, function) of the innermost frame of a thread that waits."""


def _package(path):
    p = path.replace(os.sep, "/")
    if "/kernels/" in p or "/explorer/models/" in p or "/explorer/workers" in p or "/explorer/admission" in p:
        return "compute"
    if "/explorer/" in p and "/explorer/tools/" not in p:
        return "views"
    if "/bokeh/core/serialization" in p or "/bokeh/protocol/" in p or p.endswith("/json/encoder.py"):
        return "serialization"
    if "/bokeh/" in p:
        return "bokeh models"
    if "/panel/" in p or "/param/" in p:
        return "panel/param"
    if "/tornado/" in p or "/asyncio/" in p:
        return "loop/websocket"
    return None


def _where(frames, i):
    return f"{os.path.basename(frames[i][0])}:{frames[i][1]}"


def bucket(frames):
    """The bucket (`BUCKETS`) of one sampled stack, `frames` innermost first as (path, function);
    None for a waiting thread. The innermost frame of a known package decides; NumPy, the standard
    library and Numba's dispatch are transparent (charged to their caller)."""
    found = decider(frames)
    return None if found is None else found[0]


def decider(frames):
    """(bucket, "file:function" of the frame that decided it, "file:function" of the outermost
    frame of that bucket's package in the innermost run) of a sampled stack, or None (waiting)."""
    if not frames:
        return None
    path, func = frames[0]
    if (os.path.basename(path), func) in _IDLE:
        return None
    for k, (path, _) in enumerate(frames):
        b = _package(path)
        if b is None:
            continue
        entry = k  # the outermost frame of the run of this package's (and transparent) frames
        for i in range(k + 1, len(frames)):
            other = _package(frames[i][0])
            if other not in (b, None):
                break
            if other == b:
                entry = i
        # the caller: the nearest frame of another package outside that run
        caller = next((i for i in range(entry + 1, len(frames)) if _package(frames[i][0]) not in (b, None)), None)
        return b, _where(frames, k), _where(frames, entry) + (f" <- {_where(frames, caller)}" if caller else "")
    return "other", "", ""


class Sampler:
    """Samples the stacks of the server's threads (every thread but its own and `skip`) into bucket
    counts (seconds) while `on` is set; `reset` starts them again."""

    def __init__(self, skip=(), interval=INTERVAL_S):
        self.skip = set(skip)
        self.interval = interval
        self.on = threading.Event()
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.reset()
        self.thread = threading.Thread(target=self._run, name="update-cost sampler", daemon=True)

    def reset(self):
        with self.lock:
            self.counts = Counter()
            self.where = Counter()
            self.started = self.last = time.perf_counter()

    def _run(self):
        me = threading.get_ident()
        while not self.stop.is_set():
            if not self.on.wait(0.05):
                continue
            frames = sys._current_frames()
            now = time.perf_counter()
            found = Counter()
            for tid, frame in frames.items():
                if tid == me or tid in self.skip:
                    continue
                stack = []
                while frame is not None and len(stack) < 200:
                    stack.append((frame.f_code.co_filename, frame.f_code.co_name))
                    frame = frame.f_back
                d = decider(stack)
                if d is not None:
                    found[d] += 1
            with self.lock:
                # Each round stands for the time since the one before: rounds are rarer while the
                # server's threads hold the interpreter lock, and weighting by time undoes that.
                dt, self.last = now - self.last, now
                for d, n in found.items():
                    self.counts[d[0]] += n * dt
                    self.where[d] += n * dt
            time.sleep(self.interval)

    def snapshot(self):
        """(bucket -> ms of thread time, wall ms sampled)."""
        with self.lock:
            return {b: 1e3 * self.counts.get(b, 0.0) for b in BUCKETS}, 1e3 * (time.perf_counter() - self.started)


class CountingStudent(WireStudent):
    """A light student that also counts the server's PATCH-DOC messages and their bytes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.messages = 0
        self.bytes = 0
        self.log = []  # (bytes, what changed) of each PATCH-DOC

    async def _read_message(self):
        header_text = await self.ws.read_message()
        if header_text is None:
            return None
        header = json.loads(header_text)
        meta = await self.ws.read_message()
        content = await self.ws.read_message()
        size = len(header_text) + len(meta) + len(content)
        for _ in range(2 * header.get("num_buffers", 0)):
            size += len(await self.ws.read_message())
        if header.get("msgtype") == "PATCH-DOC":
            self.messages += 1
            self.bytes += size
            self.log.append((size, _described(json.loads(content).get("events", []), self.doc)))
        return header, content


def _described(events, doc):
    """A short text of a patch's events: ``Type.attr`` of each change (a new model as ``+Type``)."""
    parts = []
    for ev in events:
        target = ev.get("model", {})
        model = doc.models.get(target.get("id")) if isinstance(target, dict) else None
        kind = model.type.rpartition(".")[2] if model is not None else "?"
        if ev.get("kind") == "ModelChanged":
            parts.append(f"{kind}.{ev.get('attr')}")
        else:
            parts.append(ev.get("kind", "?"))
    return ", ".join(sorted(set(parts)))


def _computed(page):
    """Computations of the page's dashboards so far (their `computed` records, bounded at 256 each:
    differences over one update are exact)."""
    return sum(len(view.computed) for view in page.lessons.views.values())


def _page():
    """The one page (template) this process serves."""
    import panel as pn

    found = [v for v, *_ in pn.state._views.values() if hasattr(v, "lessons")]
    return found[-1] if found else None


ACTIONS = {
    # name: (query, tab index, widget title prefix, two values) or a lesson's buttons
    "Devices time": ({"tab": 1}, 1, "Time after programming", None),
    "Encoding slices": ({"tab": 2}, 2, "Slices", None),
    "Crossbar read time": ({"tab": 3}, 3, "Time after programming", None),
}


def _two_values(model):
    """Two allowed values of slider `model` a step or two apart from its value."""
    end, value = model.attrs.get("end"), model.attrs.get("value")
    step = model.attrs.get("step") or 1
    other = value + 2 * step if value + 2 * step <= end else value - 2 * step
    if isinstance(value, int) and isinstance(step, int):
        other = int(other)
    return value, other


async def _measure(student, sampler, send, repeat, warm=2, prepare=None):
    """Run `send(k)` (a coroutine returning an `Update`) warm + repeat times, each after
    `prepare(k)` (not measured); the measured rounds' figures."""
    rows = []
    for k in range(warm + repeat):
        if prepare is not None:
            await prepare(k)
            await asyncio.sleep(0.5)
        page = _page()
        student.log.clear()
        before = (student.messages, student.bytes, _computed(page) if page is not None else 0)
        sampler.reset()
        sampler.on.set()
        update = await send(k)
        # The update ends at its last plot data (`wire`); the server may still send more (a tab's
        # content after a slow render): wait until it has sent nothing for `SETTLE_S`.
        while time.perf_counter() - student._last_message < SETTLE_S:
            await asyncio.sleep(0.05)
        sampler.on.clear()
        split, wall = sampler.snapshot()
        if k < warm:
            continue
        with sampler.lock:
            top = [
                (f"{b} {inner} <- {entry}", round(1e3 * t, 1)) for (b, inner, entry), t in sampler.where.most_common(8)
            ]
        rows.append(
            dict(
                top=top,
                patches=list(student.log),
                latency_ms=update.latency,
                last_message_ms=1e3 * (student._last_message - update.sent),
                messages=student.messages - before[0],
                kB=(student.bytes - before[1]) / 1e3,
                computed=(_computed(page) - before[2]) if page is not None else None,
                sampled_ms=wall,
                **{f"{b} ms": v for b, v in split.items()},
            )
        )
    return rows


async def _slider(url, sampler, name, repeat, warm=2):
    query, tab, title, _ = ACTIONS[name]
    student = CountingStudent(url, query)
    await student.open()
    try:
        if student.active_tab() != tab:
            await student.switch_tab(tab)
        await asyncio.sleep(1.0)
        found = [w for w in student.doc.widgets(tab) if widget_title(w).lower().startswith(title.lower())]
        if not found:
            raise RuntimeError(f"{name}: no control titled {title!r} on tab {tab}")
        widget = found[0]
        a, b = _two_values(widget)

        async def send(k):
            v = b if k % 2 == 0 else a
            return await student.change(widget, {"value": v, "value_throttled": v}, what=f"{name} = {v}")

        return await _measure(student, sampler, send, repeat, warm=warm)
    finally:
        await student.close()


async def _lesson(url, sampler, repeat, warm=2):
    student = CountingStudent(url, {"lesson": "pcm-drift", "step": 1})
    await student.open()
    try:
        from .classload import _wire_value, lesson_plan

        plan = lesson_plan("pcm-drift")
        await asyncio.sleep(2.0)  # the first step opens (its tab computed) after document_ready

        async def prepare(k):
            tab, moves = plan.steps[k % 2]  # Next from step 1, Back from step 2
            if student.active_tab() != tab:
                await student.switch_tab(tab)
            outlined = student.doc.highlighted("lesson-control", tab)
            for (_, value), widget in zip(moves, outlined):
                await student.change(widget, _wire_value(widget, value))

        async def send(k):
            css = "lesson-next" if k % 2 == 0 else "lesson-back"
            return await student.click(student.doc.by_css(css)[0], what=css)

        return await _measure(student, sampler, send, repeat, warm=warm, prepare=prepare)
    finally:
        await student.close()


def _client(url, sampler, repeat, out, done, only="", warm=2):
    async def main():
        # A closed session's memory is collected on the event loop a little later
        # (`explorer.sessions.release_memory`): each action waits that out before it starts.
        settle = RELEASE_DELAY_S + 2.0
        for name in ACTIONS:
            if only and only not in name:
                continue
            out[name] = await _slider(url, sampler, name, repeat, warm=warm)
            await asyncio.sleep(settle)
        if not only or only in "lesson Next/Back":
            out["lesson Next/Back"] = await _lesson(url, sampler, repeat, warm=warm)

    try:
        asyncio.run(main())
    except Exception as exc:  # noqa: BLE001 - reported by the caller
        out["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        done.set()


def run(repeat=6, warm_up=True, only="", warm=2):
    """Serve the app here, measure every action (module docstring) `warm` times unmeasured, then
    `repeat` times; action -> list of rows (and "error" -> its text if the client failed)."""
    import panel as pn
    from panel.io.server import get_server
    from tornado.ioloop import IOLoop

    from .served import free_port

    if warm_up:
        from explorer.warmup import warm_up as warm_up_server  # not `warm`: the rounds' count

        warm_up_server()
    threads, pn.config.nthreads = pn.config.nthreads, 4  # the lab settings (`explorer.cli`: --num-threads 4)
    port = free_port()
    loop = IOLoop.current()
    server = get_server(
        {"app": str(APP)},
        port=port,
        address="127.0.0.1",
        websocket_origin=[f"127.0.0.1:{port}"],
        loop=loop,
        start=False,
        show=False,
    )
    server.start()
    out, done = {}, threading.Event()
    url = f"http://127.0.0.1:{port}/app"
    sampler = Sampler()
    client = threading.Thread(target=_client, args=(url, sampler, repeat, out, done, only, warm), daemon=True)
    client.start()
    sampler.skip.add(client.ident)
    sampler.thread.start()

    def check():
        if done.is_set():
            loop.stop()
        else:
            loop.call_later(0.2, check)

    loop.call_later(0.2, check)
    try:
        loop.start()
    finally:
        sampler.stop.set()
        server.stop()
        pn.config.nthreads = threads
    return out


def summary(out):
    """Per action: medians of the measured rounds."""
    import statistics

    table = {}
    for name, rows in out.items():
        if name == "error" or not rows:
            continue
        keys = [k for k in rows[0] if rows[0][k] is not None and k not in ("top", "patches")]
        table[name] = {k: statistics.median(r[k] for r in rows if r[k] is not None) for k in keys}
    return table


def report(out, log=print, verbose=0):
    if "error" in out:
        log(f"error: {out['error']}")
    for name, med in summary(out).items():
        log(f"{name} (median of {len(out[name])}):")
        log(
            f"  latency {med['latency_ms']:.0f} ms (last message {med['last_message_ms']:.0f} ms), "
            f"{med['messages']:.0f} messages, {med['kB']:.1f} kB, "
            f"{med['computed']:.0f} computations"
        )
        split = ", ".join(f"{b} {med[f'{b} ms']:.0f}" for b in BUCKETS)
        log(f"  server thread time (ms): {split}")
        if verbose:
            tops = Counter()
            for row in out[name]:
                for where, ms in row["top"]:
                    tops[where] += ms / len(out[name])
            for where, ms in tops.most_common(verbose):
                log(f"    {ms:6.1f} ms  {where}")
            log("  the last update's messages:")
            for size, what in out[name][-1]["patches"]:
                log(f"    {size / 1e3:7.1f} kB  {what[:150]}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explorer.tools.update_cost", description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=6, help="measured updates per action (default 6)")
    parser.add_argument("--json", default=None, help="write every measured row to this file")
    parser.add_argument("--top", type=int, default=0, help="also list the N places that took most time per action")
    parser.add_argument("--only", default="", help="measure only the actions whose name contains this text")
    parser.add_argument("--no-warmup", action="store_true", help="skip the server's warm-up")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1, got {args.repeat}")
    out = run(args.repeat, warm_up=not args.no_warmup, only=args.only)
    report(out, verbose=args.top)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return 1 if "error" in out else 0


if __name__ == "__main__":
    sys.exit(main())
