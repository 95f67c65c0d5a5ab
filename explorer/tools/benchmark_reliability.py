"""Benchmark of one accuracy-versus-time curve (the Reliability dashboard's): 20 times from 1 s to 10 years, 10
chips, the digits test set (359 images), section-1 PCM on one-sided differential pairs (one
slice, ideal DAC and ADC), without and with global drift compensation; beside a plain NumPy
implementation of the same evaluation in the same process.

    python -m explorer.tools.benchmark_reliability [--repeats 3]

The NumPy implementation (`numpy_curve`) does the same work in float64 NumPy with
`numpy.random.Generator` draws: map each layer to conductance pairs (the positive part of a
weight on G+, the negative on G-, the other device at 0 uS), program with the section-1 PCM
model (`explorer.tools.benchmark.numpy_pcm_program` and `numpy_pcm_moments`), and at each time compute
each layer's output mean ``x @ (G+(t) - G-(t))`` and variance ``x^2 @ (s+(t)^2 + s-(t)^2)``
(physics reference section 10's variance identity) and draw the output noise; global compensation reads
``eye(n_in)`` right after programming and at each time.
Its draws differ from the project's (another generator), so its accuracies agree only within
the Monte-Carlo spread. Timing is reported, never asserted.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import numpy as np

from ..models import load_mlp
from ..models.deployment import accuracy_vs_time, input_scales
from ..models.digits import load_digits
from .benchmark import G_MAX, numpy_pcm_moments, numpy_pcm_program

TIMES = np.logspace(0.0, np.log10(10 * 3.156e7), 20)
SETTINGS = dict(technology="PCM", mapping="differential", n_slices=1, dac_bits=None, adc_bits=None)


def numpy_curve(times, chips, compensation, seed=0):
    """Mean test accuracy at each time over `chips` chips, plain NumPy (module docstring)."""
    net, data = load_mlp(), load_digits()
    scales = input_scales(net, data.X_train)
    rand = np.random.default_rng(seed)
    acc = np.zeros((chips, len(times)))
    for c in range(chips):
        layers = []
        for W in net.W:
            w_max = np.abs(W).max()
            gp = numpy_pcm_program(np.maximum(W, 0.0) / w_max * G_MAX, rand)
            gm = numpy_pcm_program(np.maximum(-W, 0.0) / w_max * G_MAX, rand)
            layers.append((gp, gm, w_max / G_MAX))

        def read(k, x, t, layers=layers):
            (gp, nup), (gm, num), per_uS = layers[k]
            mp, sp = numpy_pcm_moments(gp, nup, t)
            mm, sm = numpy_pcm_moments(gm, num, t)
            u = np.clip(x / scales[k], -1.0, 1.0)
            mean = u @ (mp - mm)
            sd = np.sqrt((u * u) @ (sp * sp + sm * sm))
            return (mean + sd * rand.standard_normal(mean.shape)) * per_uS * scales[k]

        refs = [np.abs(read(k, np.eye(W.shape[0]) * scales[k], 0.0)).mean() for k, W in enumerate(net.W)]
        for i, t in enumerate(times):
            h = data.X_test
            for k in range(len(net.W)):
                y = read(k, h, t)
                if compensation == "global":
                    y = y * refs[k] / np.abs(read(k, np.eye(net.W[k].shape[0]) * scales[k], t)).mean()
                y = y + net.b[k]
                h = np.maximum(y, 0.0) if k < len(net.W) - 1 else y
            acc[c, i] = np.mean(np.argmax(h, axis=1) == data.y_test)
    return acc.mean(axis=0)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    accuracy_vs_time(TIMES[:2], chips=1, **SETTINGS)  # compile or load kernels, load the assets
    print(
        "One accuracy-versus-time curve: 20 times (1 s to 10 years), 10 chips, 359 test images, PCM "
        f"differential pairs, ideal DAC/ADC ({args.repeats} runs each, alternating; target 0.5 s)"
    )
    for comp in ("none", "global"):
        ours, plain = [], []
        for k in range(args.repeats):
            t0 = time.perf_counter()
            r = accuracy_vs_time(TIMES, chips=10, seed=k, compensation=comp, **SETTINGS)
            ours.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            ref = numpy_curve(TIMES, 10, comp, seed=k)
            plain.append(time.perf_counter() - t0)
        print(
            f"  compensation {comp:6s}: {min(ours):.2f}-{max(ours):.2f} s; plain NumPy {min(plain):.2f}-"
            f"{max(plain):.2f} s (NumPy / ours {min(plain) / max(ours):.2f}-{max(plain) / min(ours):.2f}x); "
            f"accuracy at 1 s / 10 y: {r['mean'][0]:.3f} / {r['mean'][-1]:.3f}, NumPy {ref[0]:.3f} / {ref[-1]:.3f}"
        )


if __name__ == "__main__":
    main()
