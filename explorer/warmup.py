"""Run once by ``panel serve --setup`` (see `explorer.cli`) before the server accepts visitors.

Loads the compiled Numba kernels from their cache (or compiles them) and renders every dashboard
once at its defaults, so that the first students of a class do not pay for it.
"""

import time

import panel as pn
from bokeh.document import Document

from explorer.app import DASHBOARDS


def warm_up():
    """Render each dashboard once into a throw-away document; returns the seconds it took."""
    start = time.perf_counter()
    for _, _, cls in DASHBOARDS:
        pn.panel(cls()).get_root(Document())
    return time.perf_counter() - start


if __name__ != "explorer.warmup":  # run as a script (panel serve --setup), not when imported
    print(f"[explorer] warm-up: every dashboard rendered once in {warm_up():.1f} s", flush=True)
