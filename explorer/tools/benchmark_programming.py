"""Benchmark of the programming methods: wall time of gradient-descent programming on
256 x 256 (500 iterations, batch 64) and of program-and-verify of 65,536 devices to a 2 %
tolerance, each against the same loop with the programming kernels replaced by their plain NumPy
twins (`kernels.programming.numpy_apply_pulses`, `numpy_verify_read`) in the same process; and the
figures GDP and verify reach on a 256 x 256 array (MVM and weight error, pulses, reads, chip time,
energy).

    python -m explorer.tools.benchmark_programming [--repeats 2] [--quick] [--chip-time-only] [--verify-only]

Chip time is printed both ways (a comparison with verify one device at a time favours GDP;
docs/results/programming.md): verify pulsing and reading a row of the array at once
(the default `parallel_verify`; arrays verify up to 512 weights at once, row by row, Narayanan et
al., IEEE TED 2021) and one device at a time; GDP pulses a row at once and reads no device.

What the NumPy baseline replaces: only the pulse and verify-read kernels. Both variants read the
array through the same read-out (`ProgrammedCrossbar.mvm`: Numba kernels and BLAS), so the
ratio measures what the programming kernels save in the whole loop, not a NumPy read-out.
Timing is reported, never asserted; the machine is shared, so each figure is a range over
`repeats` runs. `--verify-only` times only verify, both ways, and prints the ratio of wall times
and of CPU times (every thread of the process: a loaded machine stretches wall times, not these).
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Sequence

import numpy as np

from kernels import programming as kprog

from ..models import CrossbarModel, protocol_weights


@contextlib.contextmanager
def numpy_kernels():
    """Within the block, the programming runs use the NumPy twins of the programming kernels."""
    saved = kprog.apply_pulses, kprog.verify_read
    kprog.apply_pulses, kprog.verify_read = kprog.numpy_apply_pulses, kprog.numpy_verify_read
    try:
        yield
    finally:
        kprog.apply_pulses, kprog.verify_read = saved


def _gdp(size, iterations, batch, seed=0, technology="RRAM", **read):
    W = protocol_weights(size, size, seed)
    xb = CrossbarModel(technology=technology, n_slices=1, **read)
    run = xb.programming_run(W, seed, method="gdp", max_iterations=iterations, batch_size=batch, stop_threshold=0.0)
    t0 = time.perf_counter()
    run.run()
    return time.perf_counter() - t0, run


def _verify(rows, cols, seed=0, technology="RRAM", tolerance=0.02, max_iterations=20, **read):
    W = protocol_weights(rows, cols, seed)
    xb = CrossbarModel(technology=technology, n_slices=1, **read)
    run = xb.programming_run(W, seed, method="verify", tolerance=tolerance, max_iterations=max_iterations)
    t0 = time.perf_counter()
    run.run()
    return time.perf_counter() - t0, run


def speed(repeats=2, size=256, iterations=500, batch=64):
    """Wall times (s) of GDP (size x size, `iterations`, `batch`) and of verify of 65,536 devices
    (128 x 256, one slice, differential pairs) to 2 %, with the Numba kernels and with their NumPy
    twins, `repeats` times each, alternating. Returns a dict of lists."""
    _gdp(16, 2, 8)
    _verify(8, 8)  # compile outside the timing
    out = {"gdp": [], "gdp_numpy": [], "verify": [], "verify_numpy": []}
    for _ in range(repeats):
        out["gdp"].append(_gdp(size, iterations, batch)[0])
        with numpy_kernels():
            out["gdp_numpy"].append(_gdp(size, iterations, batch)[0])
        out["verify"].append(_verify(128, 256)[0])
        with numpy_kernels():
            out["verify_numpy"].append(_verify(128, 256)[0])
    return out


def verify_speed(repeats=5):
    """Wall and CPU times (s) of verify of 65,536 devices (as in `speed`) with the Numba kernels and
    with their NumPy twins, `repeats` times each, alternating. Returns a dict of lists."""
    _verify(128, 256)  # compile (the parallel kernels too) or load from cache outside the timing
    out = {"verify": [], "verify_numpy": [], "verify_cpu": [], "verify_numpy_cpu": []}
    for _ in range(repeats):
        for name, kernels in (("verify", contextlib.nullcontext), ("verify_numpy", numpy_kernels)):
            cpu = time.process_time()
            with kernels():
                out[name].append(_verify(128, 256)[0])
            out[name + "_cpu"].append(time.process_time() - cpu)
    return out


def comparison(size=256, gdp_iterations=500, seed=0):
    """GDP against verify on one size x size RRAM array and seed, without and with IR drop: the
    final row of each history."""
    rows = {}
    for label, read in (("no systematic error", {}), ("IR drop 0.35 ohm", dict(ir_drop=True))):
        _, v = _verify(size, size, seed, **read)
        _, g = _gdp(size, gdp_iterations, 64, seed, **read)
        for name, run in (("verify", v), ("gdp", g)):
            h = run.history
            rows[label, name] = {
                k: float(h[k][-1])
                for k in (
                    "iteration",
                    "mvm_error",
                    "weight_error",
                    "pulses",
                    "reads",
                    "mvms",
                    "chip_time_s",
                    "chip_time_serial_s",
                    "energy_J",
                    "converged",
                )
            }
            rows[label, name]["devices_at_once"] = run.devices_at_once
            if name == "gdp":  # chip time GDP needed to first match verify's final MVM error
                target = rows[label, "verify"]["mvm_error"]
                hit = np.nonzero(h["mvm_error"] <= target)[0]
                rows[label, name]["chip_time_to_verify_error_s"] = (
                    float(h["chip_time_s"][hit[0]]) if hit.size else float("nan")
                )
    return rows


def _chip(name, r):
    """Chip time of a comparison row: verify's both ways, GDP's (rows pulsed in turn, no device read)."""
    if name == "verify":
        return (
            f"{r['chip_time_s']:.3g} s ({r['devices_at_once']} devices of a row at once), "
            f"{r['chip_time_serial_s']:.3g} s (one at a time)"
        )
    return f"{r['chip_time_s']:.3g} s"


def _range(values):
    return f"{min(values):.2f}-{max(values):.2f} s" if len(values) > 1 else f"{values[0]:.2f} s"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="100 GDP iterations instead of 500")
    parser.add_argument(
        "--chip-time-only", action="store_true", help="only the GDP against verify figures (no wall-time measurement)"
    )
    parser.add_argument(
        "--verify-only",
        action="store_true",
        help="only verify against its NumPy twin, wall and CPU time (--repeats times, default 2)",
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    if args.verify_only:
        t = verify_speed(args.repeats)
        wall = [b / a for a, b in zip(t["verify"], t["verify_numpy"])]
        cpu = [b / a for a, b in zip(t["verify_cpu"], t["verify_numpy_cpu"])]
        print(f"Program-and-verify of 65,536 devices to 2 % (RRAM, 128 x 256 pairs; {args.repeats} repeats each):")
        print(f"  Numba kernels {_range(t['verify'])}; NumPy kernels {_range(t['verify_numpy'])}")
        print(f"  ratio, wall time: {' '.join(f'{r:.2f}' for r in wall)} (median {np.median(wall):.2f}x)")
        print(f"  ratio, CPU time:  {' '.join(f'{r:.2f}' for r in cpu)} (median {np.median(cpu):.2f}x)")
        return
    iterations = 100 if args.quick else 500
    if not args.chip_time_only:
        t = speed(args.repeats, iterations=iterations)
        print(f"Programming benchmark ({args.repeats} repeats each, alternating; range over repeats)")
        for name, label in (
            ("gdp", f"GDP 256 x 256, {iterations} iterations, batch 64 (RRAM, 1 slice)"),
            ("verify", "program-and-verify of 65,536 devices to 2 % (RRAM, 128 x 256 pairs)"),
        ):
            ratios = [b / a for a, b in zip(t[name], t[name + "_numpy"])]
            print(
                f"  {label}: {_range(t[name])}; NumPy kernels {_range(t[name + '_numpy'])}; "
                f"ratio {min(ratios):.2f}-{max(ratios):.2f}x"
            )
    print(
        "GDP against verify, 256 x 256 RRAM, seed 0 (final history row; chip time with verify's "
        "devices of a row at once, and one at a time):"
    )
    for (label, name), r in comparison(gdp_iterations=iterations).items():
        extra = (
            f", chip time to reach verify's MVM error {r['chip_time_to_verify_error_s']:.3g} s"
            if "chip_time_to_verify_error_s" in r
            else ""
        )
        print(
            f"  {label:20s} {name:6s} it {r['iteration']:4.0f}  MVM error {r['mvm_error']:.4f}  weight error "
            f"{r['weight_error']:.4f}  pulses {r['pulses']:.3g}  reads {r['reads']:.3g}  MVMs {r['mvms']:.3g}  "
            f"chip {_chip(name, r)}  energy {r['energy_J']:.3g} J  converged {bool(r['converged'])}{extra}"
        )


if __name__ == "__main__":
    main()
