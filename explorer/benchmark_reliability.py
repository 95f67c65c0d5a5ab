"""Benchmark of one accuracy-versus-time curve (issue 10): 20 times from 1 s to 10 years, 10
chips, the digits test set (359 images), section-1 PCM on one-sided differential pairs (one
slice, ideal DAC and ADC), without and with global drift compensation; beside a plain NumPy
implementation of the same evaluation in the same process.

    python -m explorer.benchmark_reliability [--repeats 3]

The NumPy implementation (`numpy_curve`) does the same work in float64 NumPy with
`numpy.random.Generator` draws: map each layer to conductance pairs (the positive part of a
weight on G+, the negative on G-, the other device at 0 uS), program with the section-1 PCM
model (programming noise and drift exponents, `explorer.benchmark.numpy_pcm_program_read`'s
law), and at each time compute each layer's output mean ``x @ (G+(t) - G-(t))`` and variance
``x^2 @ (s+(t)^2 + s-(t)^2)`` (physics reference section 10's variance identity) and draw the
output noise; global compensation reads ``eye(n_in)`` right after programming and at each time.
Its draws differ from the project's (another generator), so its accuracies agree only within
the Monte-Carlo spread. Timing is reported, never asserted.
"""

import argparse
import time

import numpy as np

from .benchmark import G_MAX, T0, T_READ
from .models.deployment import accuracy_vs_time, input_scales
from .models.digits import load_digits
from .models.network import load_mlp

TIMES = np.logspace(0.0, np.log10(10 * 3.156e7), 20)
SETTINGS = dict(technology="PCM", mapping="differential", n_slices=1, dac_bits=None, adc_bits=None)


def _pcm_program(g, rand):
    r = g / G_MAX
    sigma = np.maximum(0.26348 + 1.9650 * r - 1.1731 * r * r, 0.0) * G_MAX / 25.0
    g_prog = np.maximum(g + sigma * rand.standard_normal(g.shape), 0.0)
    lr = np.log(np.maximum(np.abs(r), 1e-7))
    mu = np.clip(-0.0155 * lr + 0.0244, 0.049, 0.1)
    sd = np.clip(-0.0125 * lr - 0.0059, 0.008, 0.045)
    return g_prog, np.abs(mu + sd * rand.standard_normal(g.shape))


def _pcm_moments(g_prog, nu, t):
    tt = t + T0
    g = g_prog * (tt / T0) ** (-nu)
    q = np.minimum(0.0088 / np.maximum(np.maximum(g_prog / G_MAX, 1e-7) ** 0.65, 1e-3), 0.2)
    return g, np.abs(g) * q * np.sqrt(np.log((tt + T_READ) / (2 * T_READ)))


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
            gp = _pcm_program(np.maximum(W, 0.0) / w_max * G_MAX, rand)
            gm = _pcm_program(np.maximum(-W, 0.0) / w_max * G_MAX, rand)
            layers.append((gp, gm, w_max / G_MAX))

        def read(k, x, t):
            (gp, nup), (gm, num), per_uS = layers[k]
            mp, sp = _pcm_moments(gp, nup, t)
            mm, sm = _pcm_moments(gm, num, t)
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    accuracy_vs_time(TIMES[:2], chips=1, **SETTINGS)  # compile or load kernels, load the assets
    print("One accuracy-versus-time curve: 20 times (1 s to 10 years), 10 chips, 359 test images, PCM "
          f"differential pairs, ideal DAC/ADC ({args.repeats} runs each, alternating; target 0.5 s)")
    for comp in ("none", "global"):
        ours, plain = [], []
        for k in range(args.repeats):
            t0 = time.perf_counter()
            r = accuracy_vs_time(TIMES, chips=10, seed=k, compensation=comp, **SETTINGS)
            ours.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            ref = numpy_curve(TIMES, 10, comp, seed=k)
            plain.append(time.perf_counter() - t0)
        print(f"  compensation {comp:6s}: {min(ours):.2f}-{max(ours):.2f} s; plain NumPy {min(plain):.2f}-"
              f"{max(plain):.2f} s (NumPy / ours {min(plain) / max(ours):.2f}-{max(plain) / min(ours):.2f}x); "
              f"accuracy at 1 s / 10 y: {r['mean'][0]:.3f} / {r['mean'][-1]:.3f}, NumPy {ref[0]:.3f} / {ref[-1]:.3f}")


if __name__ == "__main__":
    main()
