"""The figures behind settings the code keeps, each timed against its alternative in this process or
in a child process with the other setting (docs/results/benchmarks.md, "Server and kernel
settings"): one BLAS thread per matrix product, passive OpenMP waiting, the analog read's memo key
by `kernels.rng.digest` rather than BLAKE2b, and the PCM mean kernel alone rather than the full
moments kernel.

    python -m explorer.tools.benchmark_settings [--repeats 21]

Each figure is a median over `--repeats` runs, in milliseconds: wall time where the setting is
about threads (BLAS, OpenMP), CPU time of the process (`time.process_time`) for single-threaded
kernels, whose wall time a busy machine inflates. A child process is started with one environment
variable changed and runs `child(case)`; its result comes back as JSON on its standard output.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

import numpy as np

BLAS_SHAPES = ((64, 256, 1024), (32, 64, 256))
"""The dashboards' small float32 products timed under one and two BLAS threads: (m, k, n) of an
m x k by k x n product."""


def median_ms(run: Callable[[], object], repeats: int, clock: Callable[[], float] = time.perf_counter) -> float:
    """Median over `repeats` calls of `run` (after one call not timed), in ms of `clock`."""
    run()
    times = []
    for _ in range(repeats):
        start = clock()
        run()
        times.append(clock() - start)
    return 1e3 * float(np.median(times))


def blas_products(repeats: int) -> dict[str, float]:
    """Wall time (ms) of each `BLAS_SHAPES` product in this process (its BLAS threads as set)."""
    rng = np.random.default_rng(0)
    out = {}
    for m, k, n in BLAS_SHAPES:
        a = rng.standard_normal((m, k)).astype(np.float32)
        b = rng.standard_normal((k, n)).astype(np.float32)
        out[f"{m} x {k} by {k} x {n}"] = median_ms(lambda a=a, b=b: a @ b, repeats)
    return out


def crossbar_read(repeats: int) -> dict[str, float]:
    """Wall time (ms) of one read of a 512 x 512 differential PCM crossbar at a new time (a parallel
    device kernel, then the matrix products), as the engine benchmark reads it."""
    from explorer.tools.benchmark import crossbar_pipeline

    _, _, new_t = crossbar_pipeline(size=512, batch=1000, repeats=repeats)
    return {"512 x 512 read at a new t": 1e3 * new_t}


CHILD_CASES = {"blas": blas_products, "crossbar": crossbar_read}
"""What a child process can time (`child`)."""


def child(case: str, repeats: int) -> None:
    """Run `CHILD_CASES[case]` and print its result as JSON (the parent reads it)."""
    print(json.dumps(CHILD_CASES[case](repeats)))


def in_child(case: str, repeats: int, busy: bool = False, **environment: str) -> dict[str, float]:
    """`CHILD_CASES[case]` timed in a fresh Python process whose environment has `environment` set
    (the settings are read when the libraries load, so they cannot change in this process). With
    `busy`, another process spins on one core meanwhile, as a server's other sessions keep a core
    busy: a second BLAS thread then waits for a core."""
    env = dict(os.environ, **environment)
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if busy else None
    try:
        done = subprocess.run(
            [sys.executable, "-m", "explorer.tools.benchmark_settings", "--child", case, "--repeats", str(repeats)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()
    if done.returncode != 0:
        raise RuntimeError(f"the child process timing {case!r} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def digest_against_blake2b(repeats: int) -> tuple[float, float]:
    """CPU time (ms) to key the crossbar benchmark's DAC output (1000 x 512 float32, 2 MB):
    `kernels.rng.digest` and BLAKE2b (16-byte digest)."""
    from kernels.rng import digest

    x = np.random.default_rng(0).standard_normal((1000, 512)).astype(np.float32)
    ours = median_ms(lambda: digest(x), repeats, time.process_time)
    blake = median_ms(lambda: hashlib.blake2b(x.tobytes(), digest_size=16).digest(), repeats, time.process_time)
    return ours, blake


def pcm_mean_against_moments(repeats: int, n: int = 1_048_576) -> tuple[float, float]:
    """CPU time (ms) of the PCM mean of `n` devices: `kernels.pcm.read_mean` and `read_moments` with
    the read noise at zero (what the crossbar's noise-free results called before)."""
    from kernels import pcm

    rng = np.random.default_rng(0)
    g = rng.uniform(0.0, 25.0, n)
    nu = rng.uniform(0.03, 0.07, n)
    args = dict(g_max=25.0, t0=20.0, t_read=250e-9)
    mean = median_ms(lambda: pcm.read_mean(g, nu, 3600.0, **args), repeats, time.process_time)
    moments = median_ms(
        lambda: pcm.read_moments(g, nu, 3600.0, read_noise_scale=0.0, **args), repeats, time.process_time
    )
    return mean, moments


def rows(repeats: int) -> list[tuple[str, str, float, str, float]]:
    """(setting, what is timed, ms with the kept setting, the alternative, ms with it)."""
    out = []
    for busy, when in ((False, "wall"), (True, "wall, another process spinning on a core")):
        one = in_child("blas", repeats, busy, OPENBLAS_NUM_THREADS="1")
        two = in_child("blas", repeats, busy, OPENBLAS_NUM_THREADS="2")
        for shape in one:
            what = f"float32 product {shape} ({when})"
            out.append(("OPENBLAS_NUM_THREADS=1", what, one[shape], "2 threads", two[shape]))
    passive = in_child("crossbar", max(3, repeats // 3), OMP_WAIT_POLICY="PASSIVE")
    active = in_child("crossbar", max(3, repeats // 3), OMP_WAIT_POLICY="ACTIVE")
    for what in passive:
        out.append(("OMP_WAIT_POLICY=PASSIVE", f"{what} (wall)", passive[what], "ACTIVE", active[what]))
    ours, blake = digest_against_blake2b(repeats)
    out.append(("kernels.rng.digest", "key of a 1000 x 512 float32 batch (CPU)", ours, "BLAKE2b", blake))
    mean, moments = pcm_mean_against_moments(repeats)
    out.append(("pcm.read_mean", "PCM mean of 1,048,576 devices (CPU)", mean, "read_moments", moments))
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=21, help="timed runs per figure (median; default 21)")
    parser.add_argument("--child", choices=sorted(CHILD_CASES), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    if args.child:
        child(args.child, args.repeats)
        return
    print(f"Median of {args.repeats} runs, ms (the OpenMP rows: {max(3, args.repeats // 3)} reads)")
    print("| setting kept | timed | kept (ms) | alternative | alternative (ms) | ratio |")
    print("|---|---|---:|---|---:|---:|")
    for setting, what, kept, other, alt in rows(args.repeats):
        print(f"| `{setting}` | {what} | {kept:.3g} | {other} | {alt:.3g} | {alt / kept:.2f}x |")


if __name__ == "__main__":
    main()
