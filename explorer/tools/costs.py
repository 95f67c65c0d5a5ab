"""Measure what one heavy request costs, to calibrate the explorers' `cost()` estimates.

    python -m explorer.tools.costs                      # Crossbar sizes 256, 512, 1024, slices 1 and 2
    python -m explorer.tools.costs --sizes 512 1024 --slices 2

Each case runs in a fresh Python process: it builds the Crossbar tab's dashboard (`CrossbarView`,
not served) at the given size and slices, which computes every chart once, the work a session
does when it opens the tab or types a size. The process reports its peak resident memory above
the baseline measured just before (after imports and a warm-up at the smallest size, so Numba's
compilation is not counted) and the seconds the computation took. The table printed compares
them with `CrossbarExplorer.cost()`; the figures quoted in docs/results/admission.md come from it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence

CHILD = r"""
import json, resource, sys, time
from explorer.views.crossbar import CrossbarView
from explorer.models.dashboards.crossbar import CrossbarExplorer

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20

size, slices = int(sys.argv[1]), int(sys.argv[2])
CrossbarView(model=CrossbarExplorer(size=16, n_slices=slices))._build()  # compile and warm up
base = rss_mb()
model = CrossbarExplorer(size=size, n_slices=slices)
cost = model.cost()
t0 = time.perf_counter()
CrossbarView(model=model)._build()
seconds = time.perf_counter() - t0
print(json.dumps(dict(size=size, slices=slices, peak_mb=peak_mb() - base, seconds=seconds,
                      est_mb=cost.bytes / 2**20, est_s=cost.work)))
"""


def measure(size: int, slices: int) -> dict:
    """Peak memory (MB above the warmed-up baseline) and seconds of one Crossbar dashboard build."""
    out = subprocess.run([sys.executable, "-c", CHILD, str(size), str(slices)], capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024])
    parser.add_argument("--slices", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(argv)
    print("| size | slices | peak memory (MB) | estimate (MB) | seconds | estimate (s) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        for slices in args.slices:
            r = measure(size, slices)
            figures = f"{r['peak_mb']:.0f} | {r['est_mb']:.0f} | {r['seconds']:.1f} | {r['est_s']:.1f}"
            print(f"| {size} | {slices} | {figures} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
