"""Benchmark: dashboard latency per control and PCM kernel throughput against plain NumPy.

Run ``analog-explorer-benchmark`` (or ``python -m explorer.tools.benchmark``). Figures
are ratios or latencies measured in this process, on this machine, now; the
machine is shared, so the spread between runs is part of the answer.
``--browser`` adds the browser latency benchmark (`explorer.tools.browser_benchmark`: key press to
new data in headless Chromium, frames per update, first render of each tab).
"""

from __future__ import annotations

import argparse
import time
import urllib.request
from collections.abc import Sequence

import numpy as np

from kernels import pcm

G_MAX, T0, T_READ = 25.0, 20.0, 250e-9


READ_TIMES = (3600.0, 86400.0)
"""Times of the benchmark's reads after programming (s): one hour and one day, as in the timing of
aihwkit's PCMLikeNoiseModel that docs/results/benchmarks.md compares with."""


def numpy_pcm_program(g_target, rng):
    """Plain float64 NumPy section-1 PCM programming: programmed conductances (uS) and drift
    exponents, one each per target."""
    r = g_target / G_MAX
    sigma = np.maximum(0.26348 + 1.9650 * r - 1.1731 * r * r, 0.0) * G_MAX / 25.0
    g_prog = np.maximum(g_target + sigma * rng.standard_normal(g_target.shape), 0.0)
    lr = np.log(np.maximum(np.abs(r), 1e-7))
    mu = np.clip(-0.0155 * lr + 0.0244, 0.049, 0.1)
    sd = np.clip(-0.0125 * lr - 0.0059, 0.008, 0.045)
    return g_prog, np.abs(mu + sd * rng.standard_normal(g_target.shape))


def numpy_pcm_moments(g_prog, nu, t):
    """Plain NumPy section-1 PCM read at `t` s: the drifted conductance and the read noise's sigma (uS)."""
    tt = t + T0
    g_drift = g_prog * (tt / T0) ** (-nu)
    q = np.minimum(0.0088 / np.maximum(np.maximum(g_prog / G_MAX, 1e-7) ** 0.65, 1e-3), 0.2)
    return g_drift, np.abs(g_drift) * q * np.sqrt(np.log((tt + T_READ) / (2 * T_READ)))


def numpy_pcm_program_read(g_target, times, rng):
    """Plain float64 NumPy implementation of the section-1 PCM model: program once, then one read
    at each time in `times` (s). Returns the list of read conductances (uS)."""
    g_prog, nu = numpy_pcm_program(g_target, rng)
    out = []
    for t in times:
        g_drift, sig = numpy_pcm_moments(g_prog, nu, t)
        out.append(np.maximum(g_drift + sig * rng.standard_normal(g_target.size), 0.0))
    return out


def kernel_pcm_program_read(g_target, times, seed):
    """The same work with the project's kernels (`kernels.pcm.program`, then `kernels.pcm.read`
    at each time in `times`, s). Returns the list of read conductances (uS)."""
    g_prog, nu = pcm.program(g_target, g_max=G_MAX, seed=seed)
    return [pcm.read(g_prog, nu, t, g_max=G_MAX, t0=T0, t_read=T_READ, seed=seed + 1 + k) for k, t in enumerate(times)]


def pcm_throughput(n=1_000_000, repeats=7, times=READ_TIMES):
    """Medians (s) of the NumPy reference and of the kernels on the same PCM work: program `n`
    devices spread over [0, g_max], then read them at each of `times` (s). Returns (NumPy, kernels)."""
    g = np.linspace(0.0, G_MAX, n)
    rng = np.random.default_rng(0)
    kernel_pcm_program_read(g, times, 0)  # compile or load from cache
    numpy_pcm_program_read(g, times, rng)
    tk, tn = [], []
    for k in range(repeats):
        start = time.perf_counter()
        numpy_pcm_program_read(g, times, rng)
        tn.append(time.perf_counter() - start)
        start = time.perf_counter()
        kernel_pcm_program_read(g, times, k)
        tk.append(time.perf_counter() - start)
    return float(np.median(tn)), float(np.median(tk))


def crossbar_pipeline(size=512, batch=1000, repeats=9, clock=time.perf_counter):
    """The crossbar read (differential pairs, two 4-bit slices, 8-bit DAC, read noise by the
    variance identity, 8-bit ADC per column and slice) against one float32 NumPy matmul.

    Returns medians in seconds of `clock` (wall time by default; `time.process_time` gives the
    CPU time of every thread of the process): (matmul, pipeline with the conductances at t
    cached, pipeline including the device read moments at a new t).
    """
    from explorer.models import CrossbarModel, protocol_inputs, protocol_weights

    W = protocol_weights(size, size, seed=0)
    X = protocol_inputs(batch, size, seed=1)
    prog = CrossbarModel(
        technology="PCM", mapping="differential", n_slices=2, weight_bits=8, dac_bits=8, adc_bits=8
    ).program(W, seed=0)
    W32, X32 = W.astype(np.float32), X.astype(np.float32)
    prog.mvm(X, t=3600.0, seed=0)  # compile or load from cache; calibrate the ADC ranges
    tm, tp, tc = [], [], []
    for k in range(repeats):
        # New inputs at every read (the batch rolled by k + 1 rows): a read of inputs the array
        # has seen would reuse its kept analog part and skip the matrix products.
        Xk = np.roll(X, k + 1, axis=0)
        start = clock()
        X32 @ W32
        tm.append(clock() - start)
        start = clock()
        prog.mvm(Xk, t=3600.0, seed=k + 1)
        tp.append(clock() - start)
        start = clock()
        prog.mvm(np.roll(Xk, 1, axis=1), t=3600.0 + k + 1.0, seed=k + 1)
        tc.append(clock() - start)
    return float(np.median(tm)), float(np.median(tp)), float(np.median(tc))


def print_pipeline(runs=1):
    """Run `crossbar_pipeline` `runs` times (wall time), and once more in CPU time, and print the
    ratios to the matmul (each run's, and their range)."""
    print(
        "Crossbar read, 512 x 512 weights, batch of 1000 (differential, 2 slices, DAC, read noise, "
        "ADC per slice; median of 9):"
    )
    kept, new = [], []
    for _ in range(runs):
        tm, tp, tc = crossbar_pipeline()
        kept.append(tp / tm)
        new.append(tc / tm)
        print(
            f"  float32 NumPy matmul {1e3 * tm:.1f} ms; pipeline {1e3 * tp:.1f} ms = {tp / tm:.1f}x "
            f"(conductances at t cached), {1e3 * tc:.1f} ms = {tc / tm:.1f}x (new t: device read moments "
            f"of 1,048,576 devices included)"
        )
    if runs > 1:
        print(f"  over {runs} runs: {min(kept):.1f}-{max(kept):.1f}x kept t, {min(new):.1f}-{max(new):.1f}x new t")
    tm, tp, tc = crossbar_pipeline(clock=time.process_time)
    print(f"  CPU time (every thread): matmul {1e3 * tm:.1f} ms; pipeline {tp / tm:.1f}x kept t, {tc / tm:.1f}x new t")


DEVICES_CONTROLS = [
    # (control, two values to alternate, setup)
    ("log10_time", (3.0, 6.0), {}),
    ("drift_scale", (0.5, 1.5), {}),
    ("read_noise_scale", (0.5, 1.5), {}),
    ("prog_noise_scale", (0.5, 1.5), {}),
    ("n_levels", (8, 16), {}),
    ("n_devices", (8192, 4096), {}),
    ("seed", (1, 2), {}),
    ("technology", ("RRAM", "PCM"), {}),
    ("temperature_K", (320.0, 280.0), {"technology": "Flash"}),
    ("prog_noise_scale", (0.5, 1.5), {"technology": "Flash"}),
]

ENCODING_CONTROLS = [
    ("log10_time", (3.0, 6.0), {}),
    ("n_slices", (3, 2), {}),
    ("base", (8.0, 16.0), {}),
    ("bits_per_slice", (3, 4), {}),
    ("xb.adc_bits", (6, 8), {}),
    ("xb.common_mode_gain", (1.1, 1.05), {}),
    ("xb.common_mode_offset_uS", (1.0, 0.5), {}),
    ("xb.calibrate_gain", (False, True), {}),
    ("seed", (1, 2), {}),
    ("technology", ("RRAM", "PCM"), {}),
]

CROSSBAR_CONTROLS = [
    ("log10_time", (3.0, 6.0), {}),
    ("xb.adc_bits", (6, 8), {}),
    ("xb.dac_bits", (6, 8), {}),
    ("xb.ir_drop", (True, False), {}),
    ("log10_wire_resistance", (0.0, -0.5), {}),
    ("read_noise_scale", (0.5, 1.0), {}),
    ("xb.calibrate_gain", (False, True), {}),
    ("xb.common_mode_gain", (1.05, 1.0), {}),
    ("shown_slice", (1, 0), {}),
    ("prog_noise_scale", (0.5, 1.0), {}),
    ("seed", (1, 2), {}),
]


def view_latency(make_view, controls, repeats, forget=None):
    """p50 and p95 (s) from a parameter change to the updated Bokeh figures of a rendered view.

    The view is rendered into a document without a server, so its watchers compute the parts
    the change touches and apply them at once: this is the server's share of an update, without
    the browser. Each control cycles through its values (a seed gets a new value every time);
    `forget(view)`, if given, drops the view's memo of recent results before each change (and
    the results shared between sessions are dropped too), so that every change recomputes what
    it touches (programmed arrays stay cached, as in the app).
    """
    import panel as pn
    from bokeh.document import Document

    from explorer.views._widgets import resolve, shared_results

    results = []
    for name, values, setup in controls:
        view = make_view()
        view.model.param.update(**setup)
        pn.panel(view).get_root(Document())
        if name == "seed":
            values = [int(values[0]) + k for k in range(repeats + 2)]
        owner, attr = resolve(view.model, name)  # "xb.adc_bits": a setting of the model's crossbar
        for value in values[:2]:  # warm-up: compile or load kernels
            setattr(owner, attr, value)
        times = []
        for k in range(repeats):
            if forget is not None:
                forget(view)
                shared_results().memo.clear()  # nor may another session's result serve it
            start = time.perf_counter()
            setattr(owner, attr, values[(k + 2) % len(values)])
            times.append(time.perf_counter() - start)
        label = attr + (f" ({', '.join(str(v) for v in setup.values())})" if setup else "")
        results.append((label, np.percentile(times, 50), np.percentile(times, 95)))
    return results


def devices_latency(repeats=15):
    """`view_latency` of the Devices dashboard (PCM unless the control says otherwise)."""
    from explorer.views import DevicesView

    return view_latency(DevicesView, DEVICES_CONTROLS, repeats)


def encoding_latency(repeats=15):
    """`view_latency` of the Encoding dashboard (64 x 64 test matrix, PCM)."""
    from explorer.views import EncodingView

    return view_latency(EncodingView, ENCODING_CONTROLS, repeats, forget=lambda v: v.results.clear())


def crossbar_latency(repeats=15, size=256):
    """`view_latency` of the Crossbar dashboard at `size` x `size` (PCM, 64 inputs)."""
    from explorer.models import CrossbarExplorer
    from explorer.views import CrossbarView

    def forget(view):
        view.results.clear()
        prog = view.model.programmed()
        prog.memo.forget({"mean", "moments", "difference", "matrices", "IR loss"})  # calibration results kept

    return view_latency(lambda: CrossbarView(model=CrossbarExplorer(size=size)), CROSSBAR_CONTROLS, repeats, forget)


def serve_start_time():
    """Seconds from starting `analog-explorer` (warm-up included) until the app page answers, twice."""
    from explorer.tools.served import Server

    out = []
    for _ in range(2):
        server = Server()
        start = time.perf_counter()
        server.start()
        try:
            while time.perf_counter() - start < 180:
                try:
                    with urllib.request.urlopen(server.url, timeout=30) as r:
                        if r.status == 200:
                            break
                except OSError:
                    time.sleep(0.1)
            out.append(time.perf_counter() - start)
        finally:
            server.stop()
    return out


def print_pcm_throughput():
    """Run `pcm_throughput` and print its medians and their ratio."""
    tn, tk = pcm_throughput()
    print("PCM program, then read at 1 h and at 1 day, 1,000,000 devices (median of 7):")
    print(
        f"  float64 NumPy {1e3 * tn:.1f} ms, Numba kernels {1e3 * tk:.1f} ms, speed-up {tn / tk:.2f}x "
        f"({1 / tk:.1f} M devices/s programmed and read twice)"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="changes per control (default 15)")
    parser.add_argument("--no-serve", action="store_true", help="skip the panel serve start-up timing")
    parser.add_argument(
        "--browser",
        action="store_true",
        help="also run the browser latency benchmark (explorer.tools.browser_benchmark; ~15 min)",
    )
    parser.add_argument("--browser-only", action="store_true", help="run only the browser latency benchmark")
    parser.add_argument(
        "--kernels-only",
        action="store_true",
        help="run only the PCM kernels against NumPy (program, then read at 1 h and 1 day)",
    )
    parser.add_argument(
        "--engine-only",
        type=int,
        nargs="?",
        const=3,
        default=None,
        metavar="RUNS",
        help="run only the crossbar read against a float32 matmul, RUNS times (default 3), then once in CPU time",
    )
    parser.add_argument(
        "--programming",
        action="store_true",
        help="also run the programming benchmark (explorer.tools.benchmark_programming; ~5 min)",
    )
    args = parser.parse_args(argv)
    if args.browser_only:
        from explorer.tools import browser_benchmark

        browser_benchmark.main([])
        return
    if args.kernels_only:
        print_pcm_throughput()
        return
    if args.engine_only is not None:
        if args.engine_only < 1:
            parser.error(f"--engine-only RUNS must be at least 1, got {args.engine_only}")
        print_pipeline(args.engine_only)
        return

    print(
        "Server side of an update (no browser): parameter change -> new data in the Bokeh figures, "
        "every plot it touches"
    )
    for title, rows in (
        ("Devices dashboard (PCM unless stated)", devices_latency(args.repeats)),
        (
            "Encoding dashboard (PCM, 64 x 64 protocol matrix; results recomputed, programmed arrays cached)",
            encoding_latency(args.repeats),
        ),
        (
            "Crossbar dashboard (PCM, 256 x 256, 64 inputs; results recomputed, the programmed array cached)",
            crossbar_latency(args.repeats),
        ),
    ):
        print(f"{title}:")
        print(f"  {'control':<28} {'p50 ms':>8} {'p95 ms':>8}")
        for name, p50, p95 in rows:
            print(f"  {name:<28} {1e3 * p50:8.1f} {1e3 * p95:8.1f}")

    print_pcm_throughput()

    print_pipeline()

    if args.programming:
        from explorer.tools import benchmark_programming

        benchmark_programming.main([])

    if not args.no_serve:
        first, second = serve_start_time()
        print(f"analog-explorer start (warm-up included) to first page: first {first:.1f} s, second {second:.1f} s")

    if args.browser:
        from explorer.tools import browser_benchmark

        browser_benchmark.main([])


if __name__ == "__main__":
    main()
