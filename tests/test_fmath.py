"""The float32 logarithm, exponential and square root of `kernels.fmath` against NumPy, compiled
with the kernels' flags (fastmath included)."""

import numpy as np
from numba import njit

from kernels import fmath
from kernels._jit import JIT


@njit(**JIT)
def _apply(kind, x):
    out = np.empty_like(x)
    for i in range(x.size):
        if kind == 0:
            out[i] = fmath.log32(x[i])
        elif kind == 1:
            out[i] = fmath.exp32(x[i])
        else:
            out[i] = fmath.sqrt32(x[i])
    return out


@njit(**JIT)
def _roundtrip(x):
    bits = np.empty(x.size, np.int32)
    back = np.empty_like(x)
    for i in range(x.size):
        bits[i] = fmath.float32_bits(x[i])
        back[i] = fmath.bits_float32(bits[i])
    return bits, back


def test_log32_relative_error():
    rand = np.random.default_rng(0)
    x = np.concatenate(
        [
            np.exp(rand.uniform(-87.0, 88.0, 500_000)),
            np.linspace(0.5, 2.0, 100_001),
            [np.finfo(np.float32).tiny, 1.0, 2.0, 3e38],
        ]
    ).astype(np.float32)
    exact = np.log(x.astype(np.float64))
    got = _apply(0, x)
    assert got.dtype == np.float32
    assert np.max(np.abs(got - exact) / np.maximum(np.abs(exact), 1.0)) < 2e-7
    assert got[np.flatnonzero(x == 1.0)[0]] == 0.0


def test_exp32_relative_error_and_clamp():
    x = np.concatenate(
        [np.random.default_rng(1).uniform(-87.0, 88.0, 500_000), [0.0, -1e-8, 1e-8, -87.0, 88.0]]
    ).astype(np.float32)
    exact = np.exp(x.astype(np.float64))
    got = _apply(1, x)
    assert np.max(np.abs(got - exact) / exact) < 5e-7
    # arguments beyond [-87, 88] are clamped: finite, no NaN
    ends = _apply(1, np.float32([-1e4, -100.0, 100.0, 1e4]))
    np.testing.assert_allclose(ends, np.exp(np.float64([-87.0, -87.0, 88.0, 88.0])), rtol=5e-7)


def test_sqrt32_and_bit_casts_are_exact():
    x = np.random.default_rng(2).uniform(0.0, 30.0, 10_000).astype(np.float32)
    np.testing.assert_array_equal(_apply(2, x), np.sqrt(x))
    bits, back = _roundtrip(x)
    np.testing.assert_array_equal(bits, x.view(np.int32))
    np.testing.assert_array_equal(back, x)
