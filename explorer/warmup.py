"""Run once by ``panel serve --setup`` (see `explorer.cli`) before the server accepts visitors.

Loads the compiled Numba kernels from their cache (or compiles them) by rendering every dashboard
and switching it through every technology (the Training dashboard trains a few samples instead), and
builds one review report (HoloViews' plotting), so that no student pays for a first use: without it,
the slowest technology switches of the Crossbar tab in a fresh server took more than ten times
as long as in a warm process (measured by the browser benchmark; docs/results/benchmarks.md,
"Server and kernel settings").
"""

import time

import panel as pn
from bokeh.document import Document

from explorer.app import DASHBOARDS


def warm_up():
    """Render each dashboard into a throw-away document and show it every technology; returns the
    seconds it took."""
    start = time.perf_counter()
    for _, _, cls in DASHBOARDS:
        view = cls()
        pn.panel(view).get_root(Document())
        if "technology" in view.model.param:
            default = view.model.technology
            for technology in view.model.param.technology.objects:
                view.model.technology = technology
            view.model.technology = default
        if hasattr(view, "warm_up"):
            view.warm_up()
    # The review report (the review bar's Report (HTML)) draws with HoloViews, whose plotting
    # import and first render take about a second: paid here rather than by the first click.
    from explorer.figures.report import report_html
    from explorer.models.dashboards import DevicesExplorer

    report_html(DevicesExplorer(n_devices=256), explanations={})
    return time.perf_counter() - start


if __name__ != "explorer.warmup":  # run as a script (panel serve --setup), not when imported
    print(f"[explorer] warm-up: every dashboard rendered once in {warm_up():.1f} s", flush=True)
    from explorer.sessions import start_stats_writer, tune_collector, write_stats

    tune_collector(freeze=True)  # the warm process's objects leave the full collections' scan

    write_stats("warm-up done")  # the load command's baseline of the shared results' counts
    start_stats_writer()
