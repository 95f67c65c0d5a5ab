"""Benchmark of opening a session (issue 25 item 4, issue 26 item 1): the server's Python time per
page, phase by phase, measured in this process the way a Bokeh server spends it.

A Bokeh server builds each session on its one event-loop thread: the page request creates a
`Document` and runs the app's script for it (`build_app`), writes the HTML page, then answers the
browser's PULL-DOC request with the whole document as JSON; after rendering, the browser sends
`document_ready` (Panel runs its ``onload`` callbacks then); each click on a tab that has not been
shown yet renders that tab (its widgets, figures and first data) and sends it as a PATCH-DOC. Thirty
students opening the app at once queue behind one another on that thread, so its time per opening
is what limits how fast a class gets in.

This command does the same steps, one session after the other, in one process (the app is run by
Panel's own application handler, with a request carrying the link's query, as a served page):

* ``build_app``: the app's script run for a new document (`Application.initialize_document`);
* ``HTML page``: the page Panel writes for the session (`panel.io.server.server_html_page_for_session`);
* ``document JSON``: the PULL-DOC reply (`bokeh.protocol`'s message), its size in kB;
* ``document_ready``: the browser's event, and the PATCH-DOC it causes;
* one row per dashboard tab: ``tabs.active`` set to it (as a click does), the patch's size in kB,

for a plain link (``/app``) and for a lesson link (``/app?lesson=pcm-drift&step=1``, whose step opens
the Reliability tab with the page). Changes a phase schedules on the session's event loop (Panel's
next-tick callbacks) run at the end of that phase, inside its time. Times are the CPU time of this
process's thread (`time.thread_time`: what the server's event-loop thread would spend, and, unlike
wall-clock time, little changed by other jobs on a shared machine), the median over ``--sessions``
sessions. Like the server (`explorer.cli.serve`), the process runs with `explorer.cli.SERVER_ENV_DEFAULTS`
and first runs the warm-up (`explorer.warmup.warm_up`), so kernels are compiled and the trained
networks and the shared results of the default settings are cached.
With ``--profile N`` it prints the N functions with the most cumulative time over all sessions
(cProfile). Timing is reported, never asserted.

    python -m explorer.tools.benchmark_opening [--sessions 5] [--links plain,lesson] [--tabs Devices,...]
        [--profile 25]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from urllib.parse import parse_qs

LINKS = {"plain": "", "lesson": "lesson=pcm-drift&step=1"}
"""Link name -> the query of the page's address (the classroom command's two ways in)."""


@dataclass
class Opening:
    """One session's phases: phase name -> milliseconds, and phase name -> kB sent (where a
    message is sent)."""

    ms: dict[str, float] = field(default_factory=dict)
    kB: dict[str, float] = field(default_factory=dict)


def _message_bytes(msg) -> int:
    """Bytes of a Bokeh protocol message on the websocket: its header, metadata and content JSON
    and its binary buffers."""
    return (
        len(msg.header_json)
        + len(msg.metadata_json)
        + len(msg.content_json)
        + sum(len(buf.to_bytes()) for buf in msg.buffers)
    )


def _patch_bytes(protocol, events) -> int:
    """Bytes of the PATCH-DOC message(s) the server would send for the document `events` (none: 0)."""
    events = [e for e in events if hasattr(e, "to_serializable")]
    if not events:
        return 0
    return _message_bytes(protocol.create("PATCH-DOC", events))


def _run_next_ticks(doc) -> None:
    """Run the one-shot callbacks scheduled on `doc` (next-tick, and timeouts such as Panel's debounce
    of a browser's change, at once), as the event loop runs them next, until none is left."""
    import asyncio
    import inspect

    from bokeh.server.callbacks import NextTickCallback, TimeoutCallback
    from panel.io.state import set_curdoc

    for _ in range(100):
        pending = [cb for cb in doc.callbacks.session_callbacks if isinstance(cb, (NextTickCallback, TimeoutCallback))]
        if not pending:
            return
        for cb in pending:
            doc.callbacks.remove_session_callback(cb)
            with set_curdoc(doc):
                result = cb.callback()
                if inspect.isawaitable(result):  # Panel's handling of a browser's change is a coroutine
                    loop = asyncio.new_event_loop()
                    try:
                        loop.run_until_complete(result)
                    finally:
                        loop.close()


class Bench:
    """Sessions of the app opened one after another in this process, as a Bokeh server opens them."""

    def __init__(self):
        from bokeh.protocol import Protocol
        from panel.io.application import build_single_handler_application

        from .served import APP

        self.app = build_single_handler_application(str(APP))
        self.protocol = Protocol()
        self.sessions = []
        """The sessions opened, kept open (as a class's pages stay open while others arrive)."""

    def _new_session(self, query: str):
        """A document with a session context for a GET of ``/app?query``, the app run for it. As
        Panel's `panel.io.session.generate_session`, except that Bokeh's `_RequestProxy` is looked
        up now: the class that helper imported was not the one `Location.from_request` checks in
        this process, which then gave every page an empty query (no link restored)."""
        from bokeh.document import Document
        from bokeh.server import contexts
        from bokeh.util.token import generate_jwt_token, generate_session_id
        from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine

        uri = "/app" + (f"?{query}" if query else "")
        request = HTTPServerRequest(
            start_line=RequestStartLine("GET", uri, "HTTP/1.1"), headers=HTTPHeaders({"Host": "localhost:5006"})
        )
        arguments = {k: [v.encode() for v in vs] for k, vs in parse_qs(query).items()}
        session_id = generate_session_id()
        token = generate_jwt_token(session_id, extra_payload={"arguments": arguments})
        doc = Document()
        context = contexts.BokehSessionContext(session_id, None, doc)
        context._request = contexts._RequestProxy(request, arguments=arguments, cookies={}, headers={})
        context._token = token
        doc._session_context = lambda: context
        self.app.initialize_document(doc)
        # No ServerSession (it needs an event loop): the scheduled callbacks stay on the document,
        # where `_run_next_ticks` runs them.
        return SimpleNamespace(id=session_id, document=doc, token=token)

    def open(self, query: str, tabs: Sequence[str] | None = None) -> Opening:
        """Open one session for the link's `query` and render each dashboard tab of `tabs` (titles;
        None: all six) once, in the app's order; the phases' times."""
        from bokeh.events import DocumentReady
        from bokeh.models import Tabs as BkTabs
        from bokeh.resources import Resources
        from panel.io.server import server_html_page_for_session
        from panel.io.state import set_curdoc

        from ..app import DASHBOARDS

        out = Opening()
        t = time.thread_time()
        session = self._new_session(query)
        doc = session.document
        _run_next_ticks(doc)
        out.ms["build_app"] = 1e3 * (time.thread_time() - t)

        t = time.thread_time()
        with set_curdoc(doc):
            server_html_page_for_session(session, Resources(mode="server"), title=doc.title, token=session.token)
        out.ms["HTML page"] = 1e3 * (time.thread_time() - t)

        t = time.thread_time()
        reply = self.protocol.create("PULL-DOC-REPLY", "request", doc)
        out.kB["document JSON"] = _message_bytes(reply) / 1e3
        out.ms["document JSON"] = 1e3 * (time.thread_time() - t)

        events = []
        doc.callbacks.on_change(events.append)
        t = time.thread_time()
        with set_curdoc(doc):
            doc.callbacks.trigger_event(DocumentReady())
        _run_next_ticks(doc)
        out.kB["document_ready"] = _patch_bytes(self.protocol, events) / 1e3
        out.ms["document_ready"] = 1e3 * (time.thread_time() - t)

        # The page's tabs as the browser sees them: a click sets the Bokeh model's `active`.
        (tab_model,) = doc.roots[0].select({"type": BkTabs})
        for k, (title, _, _) in enumerate(DASHBOARDS, start=1):
            if tabs is not None and title not in tabs:
                continue
            events.clear()
            name = f"tab {title}"
            t = time.thread_time()
            with set_curdoc(doc):
                tab_model.active = k
            _run_next_ticks(doc)
            out.ms[name] = 1e3 * (time.thread_time() - t)
            out.kB[name] = _patch_bytes(self.protocol, events) / 1e3
        self.sessions.append(session)
        return out


PHASES = ("build_app", "HTML page", "document JSON", "document_ready")


def table(results: dict[str, list[Opening]]) -> str:
    """A Markdown table: one row per phase, per link the median ms and the median kB sent."""
    links = list(results)
    names = list(PHASES) + [n for n in results[links[0]][0].ms if n not in PHASES]
    head = "| phase | " + " | ".join(f"{link}: ms | {link}: kB" for link in links) + " |"
    rows = [head, "|---|" + "---:|---:|" * len(links)]
    for name in names:
        cells = []
        for link in links:
            ms = statistics.median(o.ms[name] for o in results[link])
            kB = [o.kB[name] for o in results[link] if name in o.kB]
            cells += [f"{ms:.0f}", f"{statistics.median(kB):.1f}" if kB else ""]
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    opening = {link: statistics.median(sum(o.ms[n] for n in PHASES) for o in results[link]) for link in links}
    cells = [c for link in links for c in (f"**{opening[link]:.0f}**", "")]
    rows.append("| **opening (the four phases above)** | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def build_only(pages: int) -> int:
    """Print the CPU time of this thread (`time.thread_time`) of `pages` calls of the app's
    `build_app` (median and the fastest five), after two calls not counted (imports, first use):
    the page's own objects, without a link's URL handling or a served document."""
    from ..app import build_app

    build_app()
    build_app()
    times = []
    for _ in range(pages):
        start = time.thread_time()
        build_app()
        times.append(1e3 * (time.thread_time() - start))
    fastest = sorted(times)[:5]
    print(
        f"build_app, {pages} pages: median {statistics.median(times):.0f} ms of CPU; "
        f"fastest five {fastest[0]:.0f} to {fastest[-1]:.0f} ms"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from ..app import DASHBOARDS

    parser = argparse.ArgumentParser(
        prog="python -m explorer.tools.benchmark_opening",
        description="The server's time to open a session of the app, phase by phase.",
    )
    parser.add_argument("--sessions", type=int, default=5, help="sessions per link (the median is printed; default 5)")
    parser.add_argument(
        "--links", default="plain,lesson", help=f"comma-separated links among {', '.join(LINKS)} (default both)"
    )
    titles = [title for title, _, _ in DASHBOARDS]
    parser.add_argument(
        "--tabs",
        default=",".join(titles),
        help=f"dashboard tabs to render, comma-separated (default all: {', '.join(titles)})",
    )
    parser.add_argument("--no-warmup", action="store_true", help="skip the server's warm-up (kernels compile inside)")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print cProfile's top N functions")
    parser.add_argument(
        "--build-only",
        type=int,
        default=0,
        metavar="N",
        help="instead: time the app's build_app alone N times in this process (no link, no document), after two",
    )
    args = parser.parse_args(argv)
    if args.build_only < 0:
        parser.error(f"--build-only must be a number of pages (0: off), got {args.build_only}")
    if args.build_only:
        return build_only(args.build_only)
    if args.sessions < 1:
        parser.error(f"--sessions must be at least 1, got {args.sessions}")
    tabs = [s.strip() for s in args.tabs.split(",") if s.strip()]
    if [t for t in tabs if t not in titles]:
        parser.error(f"--tabs: unknown {[t for t in tabs if t not in titles]}; allowed: {', '.join(titles)}")
    links = [s.strip() for s in args.links.split(",") if s.strip()]
    unknown = [s for s in links if s not in LINKS]
    if unknown or not links:
        parser.error(f"--links: unknown {unknown or args.links!r}; allowed: {', '.join(LINKS)}")
    from ..cli import SERVER_ENV_DEFAULTS

    for name, value in SERVER_ENV_DEFAULTS.items():  # as `analog-explorer` starts the server
        os.environ.setdefault(name, value)
    # The class's predictions go to a throw-away database, not the user's.
    os.environ.setdefault("ANALOG_EXPLORER_PREDICTIONS_DB", os.path.join(tempfile.mkdtemp(), "predictions.sqlite"))
    if not args.no_warmup:
        from ..warmup import warm_up

        print(f"warm-up: {warm_up():.1f} s", flush=True)
    bench = Bench()
    bench.open("", tabs)  # the first session imports the app's script's modules: not counted
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    results = {link: [bench.open(LINKS[link], tabs) for _ in range(args.sessions)] for link in links}
    if profiler is not None:
        profiler.disable()
    print(f"Opening a session, server time per phase (median of {args.sessions} sessions per link):")
    print(table(results))
    if profiler is not None:
        import pstats

        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
