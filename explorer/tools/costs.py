"""Measure what one heavy request costs, to calibrate the explorers' `cost()` estimates.

    python -m explorer.tools.costs                      # Crossbar sizes 256, 512, 1024, slices 1 and 2
    python -m explorer.tools.costs --sizes 512 1024 --slices 2
    python -m explorer.tools.costs --tab enc prog rel train  # each tab at its defaults and largest settings
    python -m explorer.tools.costs --tab rel --set chips=50 n_slices=4
    python -m explorer.tools.costs --contention 1024   # a light update beside a heavy one (see `contention`)

Each case runs in a fresh Python process: it builds the tab's dashboard (not served) at the given
settings (scenario settings of that tab, `explorer.models.scenario`), which computes every chart
once, the work a session does when it opens the tab or changes a setting. The process reports its
peak resident memory above the baseline measured just before (after imports and a warm-up at small
settings, so Numba's compilation is not counted) and the seconds the computation took. The table printed compares
them with the explorer's `cost()`; the figures quoted in docs/results/admission.md come from it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence

CHILD = r"""
import json, resource, sys, time
from explorer.models import scenario
from explorer import views

VIEWS = {"dev": views.DevicesView, "enc": views.EncodingView, "xb": views.CrossbarView,
         "prog": views.ProgrammingView, "rel": views.ReliabilityView, "train": views.TrainingView}

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20

def model_at(tab, settings):
    model = scenario.TABS[tab]()
    text = json.dumps({"format": scenario.FORMAT, "version": scenario.VERSION, "tabs": {tab: settings}})
    scenario.apply(scenario.parse(text), {tab: model})
    return model

tab, settings, warm = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
VIEWS[tab](model=model_at(tab, warm))._build()  # compile and warm up
base = rss_mb()
model = model_at(tab, settings)
cost = model.cost() if hasattr(model, "cost") else type("Light", (), {"bytes": 0, "work": 0.0})()
t0 = time.perf_counter()
VIEWS[tab](model=model)._build()
seconds = time.perf_counter() - t0
print(json.dumps(dict(peak_mb=peak_mb() - base, seconds=seconds, est_mb=cost.bytes / 2**20, est_s=cost.work)))
"""

WARM = {"xb": {"size": 16}, "enc": {"size": 16, "batch": 4}, "prog": {"size": 16}, "rel": {"chips": 2}}
"""Settings of each tab's warm-up build (small, so that compiling is not counted); other tabs: defaults."""

CASES = {
    "xb": [{"size": s, "n_slices": n} for s in (256, 512, 1024) for n in (1, 2)],
    "enc": [{}, {"size": 256, "batch": 256, "n_slices": 4, "bits_per_slice": 8}],
    "prog": [{}, {"size": 256}],
    "rel": [{}, {"chips": 30}, {"chips": 50, "n_slices": 4}],
    "train": [{}],
}
"""The cases of each tab measured by default: its defaults and the settings that scale its work to
their largest values (Crossbar: size and slices; Encoding: size, batch, slices; Programming: size;
Reliability: chips and slices)."""


def measure(tab: str, settings: dict) -> dict:
    """Peak memory (MB above the warmed-up baseline), seconds of one build of `tab`'s dashboard at
    `settings` (scenario settings of that tab), and the tab's `cost()` estimate."""
    args = [sys.executable, "-c", CHILD, tab, json.dumps(settings), json.dumps(WARM.get(tab, {}))]
    out = subprocess.run(args, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def _setting(text: str) -> tuple[str, object]:
    name, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"--set: expected name=value, got {text!r}")
    return name, json.loads(value)


def contention(size: int, slices: int = 2, presses: int = 12, pause: float = 0.2) -> list[tuple[str, list[float]]]:
    """Seconds of a light update (the Devices tab's number of levels moved; each move a new value) in
    this process: alone, while a Crossbar dashboard of `size` x `size` and `slices` computes in a
    thread of this process, and while it computes in a worker process (`explorer.workers`), as a
    server computed heavy requests before and after issue 25's fix. `presses` moves at most per case,
    `pause` seconds apart; a case ends when its heavy computation does."""
    import threading
    import time

    from explorer.models.dashboards.crossbar import CrossbarExplorer
    from explorer.views import CrossbarView, DevicesView
    from explorer.workers import Workers, compute, job_for

    devices = DevicesView()
    devices.plots()
    CrossbarView(model=CrossbarExplorer(size=16, n_slices=slices))._build()  # compile and warm up
    levels = iter(range(3, 257))

    def moves(busy):
        out = []
        while busy() and len(out) < presses:
            t0 = time.perf_counter()
            devices.model.n_levels = next(levels)
            out.append(time.perf_counter() - t0)
            time.sleep(pause)
        return out

    job = job_for(CrossbarView(model=CrossbarExplorer(size=size, n_slices=slices)))
    cases = [("alone", moves(lambda: True))]
    thread = threading.Thread(target=compute, args=(job,))
    thread.start()
    cases.append(("heavy job in a thread", moves(thread.is_alive)))
    thread.join()
    workers = Workers(1)
    try:
        workers.run(job_for(CrossbarView(model=CrossbarExplorer(size=16, n_slices=slices))))  # start it
        done = threading.Event()
        thread = threading.Thread(target=lambda: (workers.run(job), done.set()))
        thread.start()
        cases.append(("heavy job in a worker process", moves(lambda: not done.is_set())))
        thread.join()
    finally:
        workers.close()
    return cases


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tab", choices=sorted(CASES), nargs="+", default=["xb"], help="tabs (default xb)")
    parser.add_argument("--sizes", type=int, nargs="+", help="Crossbar sizes (instead of the default cases)")
    parser.add_argument("--slices", type=int, nargs="+", default=[1, 2], help="Crossbar slices with --sizes")
    parser.add_argument(
        "--set", type=_setting, nargs="+", metavar="NAME=VALUE", help="one case of settings (JSON values)"
    )
    parser.add_argument(
        "--contention",
        type=int,
        metavar="SIZE",
        help="instead: a light update's seconds alone and beside a Crossbar build of SIZE in a thread and in a worker",
    )
    args = parser.parse_args(argv)
    if args.contention:
        import numpy as np

        print(f"| a Devices update (ms) | moves | p50 | p95 | max |  (Crossbar {args.contention}, 2 slices)")
        print("|---|---:|---:|---:|---:|")
        for name, seconds in contention(args.contention):
            ms = 1e3 * np.array(seconds)
            print(f"| {name} | {ms.size} | {np.median(ms):.0f} | {np.percentile(ms, 95):.0f} | {ms.max():.0f} |")
        return 0
    print("| tab | settings | peak memory (MB) | estimate (MB) | seconds | estimate (s) |")
    print("|---|---|---:|---:|---:|---:|")
    for tab in args.tab:
        cases = CASES[tab]
        if args.set:
            cases = [dict(args.set)]
        elif args.sizes and tab == "xb":
            cases = [{"size": s, "n_slices": n} for s in args.sizes for n in args.slices]
        for case in cases:
            r = measure(tab, case)
            shown = ", ".join(f"{k} {v}" for k, v in case.items()) or "defaults"
            figures = f"{r['peak_mb']:.0f} | {r['est_mb']:.0f} | {r['seconds']:.1f} | {r['est_s']:.1f}"
            print(f"| {tab} | {shown} | {figures} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
