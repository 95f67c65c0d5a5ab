"""Benchmark of the review bar's **Report (HTML)** (issue 24: "a report is ready within 2 s of the
click"): the server's share of a click, per tab at its default settings, in one process.

    python -m explorer.tools.benchmark_report [--tabs dev,enc] [--repeats 2]
    python -m explorer.tools.benchmark_report --engines

After one report built as the server's warm-up builds it (`explorer.warmup`: HoloViews' plotting
imported and rendered once), for each tab: the dashboard is rendered as a page renders it (its
plots computed and drawn, no server), then the report tool's callback (`ExportTool.report_html`:
the HoloViews figures from the model's methods, rendered to Bokeh, the settings and key-figures
tables, the page assembled) is timed for a first and a second click; then with a pin (A: the same
settings with another seed) for the first click, which computes A's figures with a second
explorer, and a second click, which reuses that explorer. The download's transfer to the browser
is not included (about 1.6 MB, mostly the inlined BokehJS). Timing is reported, never asserted;
wall and CPU time both, since on a shared machine the wall time grows with the others' load.

``--engines`` times the Devices tab's figures built with HoloViews against the dashboard's Bokeh
figures updated in place (`engines`): the figures for docs/decisions/holoviews-where.md.
"""

from __future__ import annotations

import argparse
import time
from types import SimpleNamespace

TABS = ("dev", "enc", "xb", "prog", "rel", "train")


def _views():
    from ..views import CrossbarView, DevicesView, EncodingView, ProgrammingView, ReliabilityView, TrainingView

    return {
        "dev": DevicesView,
        "enc": EncodingView,
        "xb": CrossbarView,
        "prog": ProgrammingView,
        "rel": ReliabilityView,
        "train": TrainingView,
    }


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _cpu_timed(fn):
    """(wall seconds, CPU seconds of this process, result) of `fn()`: on a shared machine the wall
    time grows with the other processes' load, the CPU time much less."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def measure(tab: str, repeats: int = 2) -> dict:
    """Seconds of the report callback for `tab`: render, clicks without a pin, clicks with one."""
    from ..models import scenario

    view = _views()[tab]()
    render, _ = _timed(view._render)
    tool = view.export_tool
    plain = [_cpu_timed(tool.report_html) for _ in range(repeats)]
    settings = dict(scenario.capture({tab: view.model}, [tab])["tabs"][tab])
    settings["seed"] = settings["seed"] + 1
    view.pin = SimpleNamespace(settings=settings, key_figures=())  # the tool reads a pin's settings only
    pinned = [_cpu_timed(tool.report_html) for _ in range(repeats)]
    return {
        "render": render,
        "plain": [(t, c) for t, c, _ in plain],
        "pinned": [(t, c) for t, c, _ in pinned],
        "bytes": len(plain[-1][2].encode()),
    }


def engines(steps: int = 5) -> dict:
    """Seconds per time step of the Devices tab's figures (default settings), in one process: the
    HoloViews figures built and rendered to Bokeh models afresh (`Explorer.figures`, `hv.render`),
    their data alone, and the dashboard's Bokeh figures updated in place (`LivePlot.apply` through
    the view's update engine, no server: applied in this thread). Median of `steps` steps of the
    time slider; the first render of each apart (a fresh explorer each, after a warm-up of both:
    the first session of a served app pays imports and compiled-kernel loading once)."""
    import holoviews as hv
    import numpy as np

    from ..models.dashboards import DevicesExplorer
    from ..views import DevicesView

    times = np.linspace(2.0, 8.0, steps + 1)
    [hv.render(f) for f in DevicesExplorer(seed=1).figures().values()]  # warm-up: imports, compiled kernels
    DevicesView(model=DevicesExplorer(seed=1))._render()
    ex = DevicesExplorer()
    first_hv, _ = _timed(lambda: [hv.render(f) for f in ex.figures().values()])
    hv_steps, data_steps = [], []
    for t in times[1:]:
        ex.log10_time = float(t)
        data, figs = _timed(ex.figures)
        render, _ = _timed(lambda figs=figs: [hv.render(f) for f in figs.values()])
        hv_steps.append(data + render)
        data_steps.append(data)
    view = DevicesView(model=DevicesExplorer())
    first_live, _ = _timed(view._render)
    live_steps = []
    for t in times[1:]:
        took, _ = _timed(lambda t=t: setattr(view.model, "log10_time", float(t)))
        live_steps.append(took)
    return {
        "first_hv": first_hv,
        "first_live": first_live,
        "hv": float(np.median(hv_steps)),
        "data": float(np.median(data_steps)),
        "live": float(np.median(live_steps)),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tabs", default=",".join(TABS), help="comma-separated tabs (default: all)")
    parser.add_argument("--repeats", type=int, default=2, help="clicks timed, without and with a pin")
    parser.add_argument(
        "--engines", action="store_true", help="instead: the Devices figures, HoloViews against Bokeh in place"
    )
    args = parser.parse_args(argv)
    if args.engines:
        e = engines()
        print("Devices tab, default settings, one process (no browser):")
        print(f"  first render: HoloViews figures {e['first_hv']:.2f} s, dashboard (Bokeh) {e['first_live']:.2f} s")
        print(
            f"  time step (median): HoloViews rebuilt and rendered {1e3 * e['hv']:.0f} ms "
            f"(its data {1e3 * e['data']:.0f} ms), Bokeh updated in place {1e3 * e['live']:.0f} ms"
        )
        return
    from ..figures.report import report_html
    from ..models.dashboards import DevicesExplorer

    report_html(DevicesExplorer(n_devices=256), explanations={})  # as the server's warm-up does
    print("Seconds of the Report (HTML) callback, wall (CPU of this process), per click")
    print("tab    page render   report: 1st click, next          with a pin: 1st click, next       size")
    for tab in args.tabs.split(","):
        m = measure(tab, args.repeats)
        plain = ", ".join(f"{t:.2f} ({c:.2f})" for t, c in m["plain"])
        pinned = ", ".join(f"{t:.2f} ({c:.2f})" for t, c in m["pinned"])
        print(f"{tab:6} {m['render']:8.2f} s   {plain:>26}   {pinned:>30}   {m['bytes'] / 1e6:.2f} MB", flush=True)


if __name__ == "__main__":
    main()
