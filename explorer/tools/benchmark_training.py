"""Benchmark of one on-chip training epoch: the digits training split (1,438 images)
through a 64-32-10 network on analog tiles with TTv2 (the default `OnChipTraining`: the
asymmetric 300-state soft-bounds preset, read noise, 7-bit DAC, 9-bit ADC, 31-slot pulse trains,
one transfer per sample), beside the plain NumPy implementation of the same update in the same
process (`kernels.tile_training.numpy_train_samples`: the same draws and arithmetic, vectorized
per sample; the script checks that both end in the same state).

    python -m explorer.tools.benchmark_training [--repeats 3] [--algorithm TTv2]

Timing is reported, never asserted. The target is one epoch in at most 1 s.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import numpy as np

from kernels import tile_training as tk

from ..models.digits import load_digits
from ..models.training.on_chip import ALGORITHMS, OnChipTraining


def _epoch(run, train):
    state = run.state.copy()
    order = run._order(0)
    t = time.perf_counter()
    out = train(state, run.X, run.y, order, 0, run.algorithm, run.scales, run.dev, run.io, run.alg, run.keys)
    return time.perf_counter() - t, out, state


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--algorithm", default="TTv2", choices=ALGORITHMS)
    args = parser.parse_args(argv)
    run = OnChipTraining(algorithm=args.algorithm).run(load_digits())
    _epoch(run, tk.train_samples)  # compile or load from cache
    ours, theirs = [], []
    for _ in range(args.repeats):
        t_ours, out, state = _epoch(run, tk.train_samples)
        t_np, ref, twin = _epoch(run, tk.numpy_train_samples)
        ours.append(t_ours)
        theirs.append(t_np)
    same = np.allclose(out, ref, rtol=1e-9) and all(
        np.allclose(a, b, rtol=1e-9, atol=1e-12)
        for n in tk.TileState.NAMES
        for a, b in zip(getattr(state, n), getattr(twin, n))
    )
    n = run.X.shape[0]
    print(
        f"one {args.algorithm} epoch: {n} digits, 64-{run.state.C[0].shape[1]}-10 on analog tiles, "
        f"{int(out[2])} pulses, {int(out[3])} transfers"
    )
    print(
        f"  this project (Numba kernel): {min(ours):.3f} s (best of {args.repeats}; all: "
        f"{', '.join(f'{t:.3f}' for t in ours)})   target <= 1 s"
    )
    print(f"  plain NumPy, same process:   {min(theirs):.3f} s (all: {', '.join(f'{t:.3f}' for t in theirs)})")
    print(f"  ratio NumPy / this project:  {min(theirs) / min(ours):.0f}x; same final state: {same}")


if __name__ == "__main__":
    main()
