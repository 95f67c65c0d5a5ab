"""The counter-based generator: reproducible, thread-independent, and standard normal."""

import math
import threading

import numpy as np
import pytest
from numba import njit

from kernels import rng
from kernels._jit import JIT


@njit(cache=True)
def _draw(seed, stream, n):
    key = rng.stream_key(seed, stream)
    out = np.empty(n)
    for i in range(n):
        out[i] = rng.normal(key, i)
    return out


def test_numba_draws_equal_numpy_twin():
    np.testing.assert_allclose(
        _draw(123, rng.STREAM_READ, 5000), rng.numpy_normal(123, rng.STREAM_READ, 5000), rtol=1e-13, atol=1e-13
    )


def test_quantile_inverts_the_normal_cdf():
    p = np.concatenate([np.logspace(-300, -1, 200), np.linspace(0.01, 0.99, 2001), 1 - np.logspace(-15, -2, 100)])
    x = rng.numpy_normal_quantile(p)
    cdf = np.array([0.5 * math.erfc(-v / math.sqrt(2.0)) for v in x])
    # AS241 is accurate to about 1e-16 relative; erfc itself limits this check.
    assert np.max(np.abs(cdf - p) / np.minimum(p, 1 - p)) < 1e-9


def test_moments_and_independence_of_streams():
    n = 400_000
    z = rng.numpy_normal(7, rng.STREAM_PROGRAM, n)
    w = rng.numpy_normal(7, rng.STREAM_DRIFT, n)
    se = 1 / math.sqrt(n)
    assert abs(z.mean()) < 5 * se
    assert abs(z.std() - 1) < 5 * math.sqrt(0.5) * se
    assert abs(np.corrcoef(z, w)[0, 1]) < 5 * se
    # fourth moment of a normal is 3; its standard error is sqrt(96/n)
    assert abs(np.mean(z**4) - 3) < 5 * math.sqrt(96 / n)


def assert_same_in_threads(draw):
    """`draw()` run in four threads at once gives four identical arrays."""
    results = {}

    def work(k):
        results[k] = draw()

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(1, 4):
        np.testing.assert_array_equal(results[0], results[k])


def test_same_numbers_in_any_thread():
    assert_same_in_threads(lambda: _draw(99, rng.STREAM_RTN, 20000))


@pytest.mark.parametrize("seed", [0, 1, 2**40])
def test_different_seeds_differ(seed):
    assert not np.allclose(rng.numpy_normal(seed, 1, 100), rng.numpy_normal(seed + 1, 1, 100))


# `normal_f32`: the branch-free float32 normal of the device kernels, compiled with their flags.


@njit(**JIT)
def _draw_f32(seed, stream, n):
    key = rng.stream_key(seed, stream)
    out = np.empty(n, np.float32)
    for i in range(n):
        out[i] = rng.normal_f32(key, i)
    return out


@njit(**JIT)
def _f32_from_top_bits(top):
    out = np.empty(top.size, np.float32)
    for i in range(top.size):
        out[i] = rng.normal_f32_from_bits(top[i] << np.uint64(32))
    return out


def test_normal_f32_is_the_quantile_of_its_uniform():
    # Against the exact (AS241, float64) quantile of the same 32-bit uniform: every counter of a
    # stream, then the extreme uniforms (|z| up to 6.2) and a grid over the whole range.
    z = _draw_f32(123, rng.STREAM_READ, 200_000)
    assert z.dtype == np.float32
    assert np.max(np.abs(z - rng.numpy_normal_f32(123, rng.STREAM_READ, 200_000))) < 3e-6
    top = np.concatenate(
        [np.arange(0, 1 << 16), np.arange((1 << 32) - (1 << 16), 1 << 32), np.linspace(0, (1 << 32) - 1, 400_001)]
    ).astype(np.uint64)
    top.sort()
    got = _f32_from_top_bits(top)
    exact = rng.numpy_normal_quantile((top.astype(np.float64) + 0.5) * 2.0**-32)
    assert np.max(np.abs(got - exact)) < 3e-6
    assert np.max(np.abs(got - exact) / np.maximum(np.abs(exact), 0.01)) < 1e-6
    assert np.all(np.diff(got) >= 0.0)  # monotone in the uniform
    assert got[0] < -6.2 and got[-1] > 6.2
    mirrored = _f32_from_top_bits(np.uint64((1 << 32) - 1) - top)
    np.testing.assert_array_equal(mirrored, -got)  # exactly symmetric: z(1 - U) = -z(U)


def _normal_cdf(x):
    erfc = np.frompyfunc(math.erfc, 1, 1)
    return (0.5 * erfc(-np.asarray(x, dtype=np.float64) / math.sqrt(2.0))).astype(np.float64)


def test_normal_f32_moments_tails_and_ks():
    n = 1_000_000
    z = _draw_f32(7, rng.STREAM_PROGRAM, n).astype(np.float64)
    se = 1 / math.sqrt(n)
    assert abs(z.mean()) < 5 * se
    assert abs(z.std() - 1) < 5 * math.sqrt(0.5) * se
    assert abs(np.mean(z**4) - 3) < 5 * math.sqrt(96 / n)
    # Tail frequencies beyond +-2, 3 and 4 sigma on each side: binomial, 5 standard errors.
    for k in (2.0, 3.0, 4.0):
        p = 0.5 * math.erfc(k / math.sqrt(2.0))
        tol = 5 * math.sqrt(n * p * (1 - p))
        assert abs(np.sum(z > k) - n * p) < tol
        assert abs(np.sum(z < -k) - n * p) < tol
    # Kolmogorov-Smirnov distance on a subsample; the bound is the 1e-4 quantile of the statistic.
    m = 100_000
    s = np.sort(z[:m])
    cdf = _normal_cdf(s)
    d = max(np.max(np.arange(1, m + 1) / m - cdf), np.max(cdf - np.arange(m) / m))
    assert d < math.sqrt(math.log(2 / 1e-4) / (2 * m))


def test_normal_f32_streams_independent_and_thread_free():
    n = 400_000
    z = _draw_f32(7, rng.STREAM_PROGRAM, n).astype(np.float64)
    w = _draw_f32(7, rng.STREAM_DRIFT, n).astype(np.float64)
    assert abs(np.corrcoef(z, w)[0, 1]) < 5 / math.sqrt(n)
    assert abs(np.corrcoef(z[1:], z[:-1])[0, 1]) < 5 / math.sqrt(n)
    assert_same_in_threads(lambda: _draw_f32(99, rng.STREAM_RTN, 20000))


def test_digest_tells_arrays_apart():
    """`digest` keys the crossbar's analog reads by their inputs: equal bytes give equal digests
    (whatever the strides), and one flipped bit anywhere, the tail bytes of a length that is not a
    multiple of 8 included, gives another digest each time; so do zero bytes appended."""
    a = np.random.default_rng(3).uniform(-1.0, 1.0, (1000, 513)).astype(np.float32)
    assert rng.digest(a) == rng.digest(a.copy()) == rng.digest(np.asfortranarray(a))
    raw = a.reshape(-1).view(np.uint8)
    positions = np.random.default_rng(4).choice(raw.size * 8, 200, replace=False)
    seen = {rng.digest(a)}
    for bit in np.r_[positions, 8 * raw.size - 1]:
        b = raw.copy()
        b[bit // 8] ^= np.uint8(1 << (bit % 8))
        seen.add(rng.digest(b))
    assert len(seen) == 202
    odd = np.arange(13, dtype=np.uint8)
    flipped = odd.copy()
    flipped[-1] ^= 1
    zeros = [rng.digest(np.zeros(n, dtype=np.uint8)) for n in range(17)]
    assert rng.digest(odd) != rng.digest(flipped)
    assert len(set(zeros)) == 17


def test_digest_refuses_what_is_not_an_array():
    with pytest.raises(ValueError, match="a must be a NumPy array"):
        rng.digest(b"bytes")
