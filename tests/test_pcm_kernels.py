"""PCM kernels against a naive NumPy reference and against the section-1/2 statistics."""

import math

import numpy as np
import pytest
from argnames import naming

from kernels import pcm, rng
from kernels._jit import PARALLEL_THRESHOLD

G_MAX = 25.0
T0 = 20.0
T_READ = 250e-9

# The kernels compute in float32 (a few roundings of 6e-8 relative each) and draw with
# `rng.normal_f32`, which is within 2.5e-6 of the exact quantile of the same uniform
# (`rng.numpy_normal_f32`): conductances agree with the float64 reference to a few 1e-6 uS.
RTOL, ATOL_G, ATOL_NU = 1e-5, 1e-5, 1e-6


def naive_program(g_t, seed, g_max=G_MAX, scale=1.0):
    """Section 1 of the physics reference, written out in NumPy with the kernel's draws."""
    n = g_t.size
    r = g_t / g_max
    sigma = np.maximum(0.26348 + 1.9650 * r - 1.1731 * r**2, 0.0) * g_max / 25.0
    g_prog = np.maximum(g_t + scale * sigma * rng.numpy_normal_f32(seed, rng.STREAM_PROGRAM, n), 0.0)
    rr = np.maximum(np.abs(r), 1e-7)
    mu = np.clip(-0.0155 * np.log(rr) + 0.0244, 0.049, 0.1)
    sd = np.clip(-0.0125 * np.log(rr) - 0.0059, 0.008, 0.045)
    nu = np.abs(mu + sd * rng.numpy_normal_f32(seed, rng.STREAM_DRIFT, n))
    return g_prog, nu


def naive_read(g_prog, nu, t, seed, g_max=G_MAX, drift_scale=1.0, read_scale=1.0):
    tt = t + T0
    g_drift = g_prog * (tt / T0) ** (-nu * drift_scale)
    q = np.minimum(0.0088 / np.maximum((np.maximum(g_prog / g_max, 1e-7)) ** 0.65, 1e-3), 0.2)
    sig = read_scale * np.abs(g_drift) * q * np.sqrt(np.log((tt + T_READ) / (2 * T_READ)))
    return np.maximum(g_drift + sig * rng.numpy_normal_f32(seed, rng.STREAM_READ, g_prog.size), 0.0)


# Section 2 (HERMES), as aihwkit's HermesNoiseModel writes it, one device per weight or two; the
# programming-noise fit is in uS at its own g_max and scales with g_max / that (aihwkit's rule).
HERMES = {
    pcm.VARIANT_HERMES_2: dict(
        prog=(0.16603, 4.71806, -8.48101, 4.68961),
        g_max=20.7,
        sd=(0.3055, -0.0117, -0.0057, 0.0091, 0.04, -0.0118, 0.0093, 0.0073),
        q=(0.16, -0.0117, -0.0069, 0.015, 0.04, 0.0069, -0.0280, 0.0211, 0.0123),
    ),
    pcm.VARIANT_HERMES_1: dict(
        prog=(0.15782, 2.32444, -2.16311, 0.68842),
        g_max=10.35,
        sd=(0.3039, -0.0120, -0.0023, 0.0124, 0.04, -0.0165, 0.0116, 0.0104),
        q=(0.1591, -0.0078, 0.0038, 0.0179, 0.04, 0.0664, -0.1352, 0.0768, 0.0088),
    ),
}


def naive_hermes(g_t, t, seed, variant, g_max, t0, t_read):
    """Program, then read at `t` with the section-2 fits of `variant`, in NumPy with the kernel's draws;
    returns (g_prog, nu, read, mean, sigma)."""
    c = HERMES[variant]
    n = g_t.size
    r = g_t / g_max
    p = c["prog"]
    sigma = np.maximum(p[0] + r * (p[1] + r * (p[2] + r * p[3])), 0.0) * g_max / c["g_max"]
    g_prog = np.maximum(g_t + sigma * rng.numpy_normal_f32(seed, rng.STREAM_PROGRAM, n), 0.0)
    rr = np.maximum(r, 1e-7)
    mu = np.where(
        rr < 0.0945, np.clip(-0.0387 * np.log(rr) - 0.0182, 0.072, 0.13), -0.0436 * rr**2 - 0.0126 * rr + 0.0736
    )
    s = c["sd"]
    sd = np.where(rr < s[0], np.clip(s[1] * np.log(rr) + s[2], s[3], s[4]), s[5] * rr**2 + s[6] * rr + s[7])
    nu = np.abs(mu + sd * rng.numpy_normal_f32(seed, rng.STREAM_DRIFT, n))
    rp = np.maximum(g_prog / g_max, 1e-7)
    k = c["q"]
    q = np.where(
        rp < k[0], np.clip(k[1] * np.log(rp) + k[2], k[3], k[4]), k[5] * rp**3 + k[6] * rp**2 + k[7] * rp + k[8]
    )
    g_drift = g_prog * ((t + t0) / t0) ** (-nu)
    noise = np.abs(g_drift) * q * np.sqrt(np.log((t + t0 + t_read) / (2 * t_read)))
    read = np.maximum(g_drift + noise * rng.numpy_normal_f32(seed + 1, rng.STREAM_READ, n), 0.0)
    return g_prog, nu, read, np.maximum(g_drift, 0.0), noise


@pytest.mark.parametrize("n", [1000, PARALLEL_THRESHOLD + 17])
def test_kernels_match_naive_reference(n):
    g_t = np.linspace(0.0, G_MAX, n)
    g_prog, nu = pcm.program(g_t, g_max=G_MAX, seed=5, prog_noise_scale=1.3)
    ref_prog, ref_nu = naive_program(g_t, 5, scale=1.3)
    np.testing.assert_allclose(g_prog, ref_prog, rtol=RTOL, atol=ATOL_G)
    np.testing.assert_allclose(nu, ref_nu, rtol=RTOL, atol=ATOL_NU)
    g = pcm.read(g_prog, nu, 86400.0, g_max=G_MAX, t0=T0, t_read=T_READ, seed=9, drift_scale=0.7, read_noise_scale=2.0)
    np.testing.assert_allclose(
        g, naive_read(g_prog, nu, 86400.0, 9, drift_scale=0.7, read_scale=2.0), rtol=RTOL, atol=ATOL_G
    )
    mean, sigma = pcm.read_moments(
        g_prog, nu, 86400.0, g_max=G_MAX, t0=T0, t_read=T_READ, drift_scale=0.7, read_noise_scale=2.0
    )
    zero_noise = naive_read(g_prog, nu, 86400.0, 9, drift_scale=0.7, read_scale=0.0)
    np.testing.assert_allclose(mean, zero_noise, rtol=RTOL, atol=ATOL_G)
    assert np.all(sigma >= 0.0)


@pytest.mark.parametrize(
    "variant, g_max, t0, t_read",
    [(pcm.VARIANT_HERMES_2, 20.7, 300.0, 512e-9), (pcm.VARIANT_HERMES_1, 10.35, 200.0, 512e-9)],
)
@pytest.mark.parametrize("n", [2000, PARALLEL_THRESHOLD + 5])
def test_hermes_kernels_match_naive_reference(variant, g_max, t0, t_read, n):
    # Every piece of the section-2 fits: targets from 0 to g_max cross each split of nu's mean
    # and spread and of Q_s.
    g_t = np.linspace(0.0, g_max, n)
    g_prog, nu = pcm.program(g_t, g_max=g_max, seed=3, variant=variant)
    read = pcm.read(g_prog, nu, 3600.0, g_max=g_max, t0=t0, t_read=t_read, seed=4, variant=variant)
    mean, sigma = pcm.read_moments(g_prog, nu, 3600.0, g_max=g_max, t0=t0, t_read=t_read, variant=variant)
    ref = naive_hermes(g_t, 3600.0, 3, variant, g_max, t0, t_read)
    np.testing.assert_allclose(g_prog, ref[0], rtol=RTOL, atol=ATOL_G)
    np.testing.assert_allclose(nu, ref[1], rtol=RTOL, atol=ATOL_NU)
    np.testing.assert_allclose(read, ref[2], rtol=RTOL, atol=ATOL_G)
    np.testing.assert_allclose(mean, ref[3], rtol=RTOL, atol=ATOL_G)
    np.testing.assert_allclose(sigma, ref[4], rtol=RTOL, atol=1e-7)


def test_extreme_drift_underflows_to_zero_without_nan():
    # drift_scale 100 at ten years: the drift factor's exponent goes far below float32's range
    # (the kernels clamp it at e^-87, 1.6e-38)
    g_prog, nu = pcm.program(np.linspace(0.0, G_MAX, 500), g_max=G_MAX, seed=1)
    g = pcm.read(g_prog, nu, 3.15e8, g_max=G_MAX, t0=T0, t_read=T_READ, seed=2, drift_scale=100.0)
    assert np.all(np.isfinite(g)) and np.all(g >= 0.0)
    np.testing.assert_allclose(g, naive_read(g_prog, nu, 3.15e8, 2, drift_scale=100.0), rtol=RTOL, atol=1e-30)
    mean, sigma = pcm.read_moments(g_prog, nu, 3.15e8, g_max=G_MAX, t0=T0, t_read=T_READ, drift_scale=100.0)
    assert np.all(np.isfinite(mean)) and np.all(np.isfinite(sigma))


def test_variants_are_named_by_strings():
    assert pcm.VARIANTS == ("joshi", "hermes-2", "hermes-1")
    assert (pcm.VARIANT_JOSHI, pcm.VARIANT_HERMES_2, pcm.VARIANT_HERMES_1) == pcm.VARIANTS
    g_t = np.full(1000, 10.0)
    results = [pcm.program(g_t, g_max=20.7, seed=0, variant=v)[0] for v in pcm.VARIANTS]
    assert not np.array_equal(results[0], results[1]) and not np.array_equal(results[1], results[2])
    default = pcm.program(g_t, g_max=20.7, seed=0)[0]
    np.testing.assert_array_equal(default, results[0])


def test_shape_is_kept_and_seed_reproduces():
    g_t = np.full((3, 4, 5), 12.0)
    a = pcm.program(g_t, g_max=G_MAX, seed=1)
    b = pcm.program(g_t, g_max=G_MAX, seed=1)
    assert a[0].shape == (3, 4, 5)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], pcm.program(g_t, g_max=G_MAX, seed=2)[0])


def _gauss_hermite(n=80):
    x, w = np.polynomial.hermite_e.hermegauss(n)
    return x, w / w.sum()


def expected_moments(g_t, t):
    """E[g] and Var[g] of the section-1 model by quadrature over the two programming draws.

    Conditional on (g_prog, nu) the read is normal with mean g_drift and
    variance (g_drift Q_s sigma_t)^2; clipping at 0 is negligible at these levels.
    """
    x, w = _gauss_hermite()
    r = g_t / G_MAX
    sigma = max(0.26348 + 1.9650 * r - 1.1731 * r * r, 0.0)
    mu = np.clip(-0.0155 * math.log(r) + 0.0244, 0.049, 0.1)
    sd = np.clip(-0.0125 * math.log(r) - 0.0059, 0.008, 0.045)
    gp = np.maximum(g_t + sigma * x[:, None], 0.0)
    nu = np.abs(mu + sd * x[None, :])
    tt = t + T0
    gd = gp * (tt / T0) ** (-nu)
    q = np.minimum(0.0088 / np.maximum(np.maximum(gp / G_MAX, 1e-7) ** 0.65, 1e-3), 0.2)
    st = math.sqrt(math.log((tt + T_READ) / (2 * T_READ)))
    ww = w[:, None] * w[None, :]
    m1 = np.sum(ww * gd)
    m2 = np.sum(ww * gd**2 * (1 + (q * st) ** 2))
    return m1, m2 - m1**2


@pytest.mark.parametrize("g_t", [5.0, 12.5, 25.0])
@pytest.mark.parametrize("t", [1.0, 3600.0, 30 * 86400.0])
def test_mean_and_spread_follow_section_1(g_t, t):
    n = 200_000
    g_prog, nu = pcm.program(np.full(n, g_t), g_max=G_MAX, seed=11)
    g = pcm.read(g_prog, nu, t, g_max=G_MAX, t0=T0, t_read=T_READ, seed=12)
    mean, var = expected_moments(g_t, t)
    std = math.sqrt(var)
    # Monte-Carlo tolerance: 5 standard errors of the mean and of the std estimate
    kurt = np.mean((g - g.mean()) ** 4) / g.var() ** 2
    assert abs(g.mean() - mean) < 5 * std / math.sqrt(n)
    assert abs(g.std() - std) < 5 * std * math.sqrt((kurt - 1) / (4 * n))


@pytest.mark.parametrize("g_t", [0.5, 5.0, 25.0])
def test_drift_exponent_distribution(g_t):
    n = 200_000
    _, nu = pcm.program(np.full(n, g_t), g_max=G_MAX, seed=4)
    r = g_t / G_MAX
    mu = np.clip(-0.0155 * math.log(r) + 0.0244, 0.049, 0.1)
    sd = np.clip(-0.0125 * math.log(r) - 0.0059, 0.008, 0.045)
    # folded normal |N(mu, sd)|: its mean and variance
    fm = sd * math.sqrt(2 / math.pi) * math.exp(-(mu**2) / (2 * sd**2)) + mu * math.erf(mu / (sd * math.sqrt(2)))
    fv = mu**2 + sd**2 - fm**2
    assert abs(nu.mean() - fm) < 5 * math.sqrt(fv / n)
    assert abs(nu.std() - math.sqrt(fv)) < 5 * math.sqrt(fv / (2 * n)) * 1.5
    assert nu.min() >= 0.0


def test_drift_lowers_every_level_over_time():
    g_t = np.repeat([5.0, 15.0, 25.0], 20000)
    g_prog, nu = pcm.program(g_t, g_max=G_MAX, seed=0)
    means = [
        pcm.read(g_prog, nu, t, g_max=G_MAX, t0=T0, t_read=T_READ, seed=1, read_noise_scale=0.0)
        .reshape(3, -1)
        .mean(axis=1)
        for t in (1.0, 3600.0, 3.15e8)
    ]
    assert np.all(means[0] > means[1]) and np.all(means[1] > means[2])


def test_hermes_variants_differ_and_follow_their_fit():
    n = 100_000
    g_t = np.full(n, 10.0)
    g2, nu2 = pcm.program(g_t, g_max=20.7, seed=0, variant=pcm.VARIANT_HERMES_2)
    r = 10.0 / 20.7
    sigma = 0.16603 + 4.71806 * r - 8.48101 * r**2 + 4.68961 * r**3
    assert abs(g2.std() - sigma) < 5 * sigma / math.sqrt(2 * n)
    mu = -0.0436 * r**2 - 0.0126 * r + 0.0736
    assert abs(nu2.mean() - mu) < 0.002
    _, nu1 = pcm.program(np.full(n, 5.0), g_max=10.35, seed=0, variant=pcm.VARIANT_HERMES_1)
    sd1 = -0.0165 * (5 / 10.35) ** 2 + 0.0116 * (5 / 10.35) + 0.0104
    assert abs(nu1.std() - sd1) < 5 * sd1 / math.sqrt(2 * n) * 1.5


@pytest.mark.parametrize("variant, fit_g_max", [(pcm.VARIANT_HERMES_2, 20.7), (pcm.VARIANT_HERMES_1, 10.35)])
def test_hermes_programming_noise_scales_with_g_max_as_aihwkit(variant, fit_g_max):
    """aihwkit's HermesNoiseModel: sigma = poly(g_T / g_max) * g_max / g_max_fit. At the fit's g_max
    the fit applies as it is; at twice that g_max the same relative target (r = 0.4) has twice the
    spread. Tolerances: 5 standard errors of a standard deviation from n samples, sigma / sqrt(2 n)."""
    n = 100_000
    r = 0.4
    p = HERMES[variant]["prog"]
    sigma_fit = p[0] + r * (p[1] + r * (p[2] + r * p[3]))
    for g_max, expected in ((fit_g_max, sigma_fit), (2 * fit_g_max, 2 * sigma_fit), (fit_g_max / 2, sigma_fit / 2)):
        g_prog, _ = pcm.program(np.full(n, r * g_max), g_max=g_max, seed=7, variant=variant)
        spread = g_prog.std()
        print(f"\n{variant} g_max {g_max:g} uS: programming sigma {spread:.4f} uS, expected {expected:.4f} uS")
        assert abs(spread - expected) < 5 * expected / math.sqrt(2 * n), (g_max, spread, expected)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(g_target=[1.0, np.nan]), "g_target"),
        (dict(g_target=[1.0, np.inf]), "g_target"),
        (dict(g_target=[-1.0]), "g_target"),
        (dict(g_target=[30.0]), "g_target"),
        (dict(g_target=[1.0], seed=1.5), "seed"),
        (dict(g_target=[1.0], seed=True), "seed"),
        (dict(g_target=[1.0], seed=-1), "seed"),
        (dict(g_target=[1.0], seed="0"), "seed"),
        (dict(g_target=[1.0], prog_noise_scale=-1), "prog_noise_scale"),
        (dict(g_target=[1.0], variant=7), "variant"),
        (dict(g_target=[1.0], variant=0), "variant"),
        (dict(g_target=[1.0], variant="Joshi"), "variant must be one of 'joshi', 'hermes-2', 'hermes-1'"),
        (dict(g_target=[1.0], variant=None), "variant"),
    ],
)
def test_program_rejects_bad_input(kwargs, match):
    args = dict(g_max=G_MAX, seed=0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=naming(match)):
        pcm.program(args.pop("g_target"), **args)


@pytest.mark.parametrize("t, match", [(-1.0, "t"), (float("nan"), "t"), (float("inf"), "t")])
def test_read_rejects_bad_time(t, match):
    g_prog, nu = pcm.program([10.0], g_max=G_MAX, seed=0)
    with pytest.raises(ValueError, match=naming(match)):
        pcm.read(g_prog, nu, t, g_max=G_MAX, t0=T0, t_read=T_READ, seed=0)


@pytest.mark.parametrize(
    "times, match",
    [
        (dict(t_read=float("inf")), r"\bt_read\b"),
        (dict(t_read=0.0), r"\bt_read\b"),
        (dict(t_read="1e-7"), r"\bt_read\b"),
        (dict(t_read=30.0), r"\bt_read\b must be shorter than \bt0\b"),  # a negative 1/f noise variance
        (dict(t0=float("nan")), r"\bt0\b"),
        (dict(t0=0.0), r"\bt0\b"),
    ],
)
def test_read_and_moments_reject_bad_noise_times(times, match):
    g_prog, nu = pcm.program([10.0], g_max=G_MAX, seed=0)
    args = {"g_max": G_MAX, "t0": T0, "t_read": T_READ, **times}
    with pytest.raises(ValueError, match=match):
        pcm.read(g_prog, nu, 3600.0, seed=0, **args)
    with pytest.raises(ValueError, match=match):
        pcm.read_moments(g_prog, nu, 3600.0, **args)
    with pytest.raises(ValueError, match=match):
        pcm.read_mean(g_prog, nu, 3600.0, **args)


@pytest.mark.parametrize("variant", [2, "hermes", b"joshi"])
def test_read_and_moments_reject_bad_variant(variant):
    g_prog, nu = pcm.program([10.0], g_max=G_MAX, seed=0)
    with pytest.raises(ValueError, match="variant must be one of 'joshi', 'hermes-2', 'hermes-1'"):
        pcm.read(g_prog, nu, 1.0, g_max=G_MAX, t0=T0, t_read=T_READ, seed=0, variant=variant)
    with pytest.raises(ValueError, match=naming("variant")):
        pcm.read_moments(g_prog, nu, 1.0, g_max=G_MAX, t0=T0, t_read=T_READ, variant=variant)
    with pytest.raises(ValueError, match=naming("variant")):
        pcm.read_mean(g_prog, nu, 1.0, g_max=G_MAX, t0=T0, t_read=T_READ, variant=variant)


@pytest.mark.parametrize("n", [1000, PARALLEL_THRESHOLD + 777])
@pytest.mark.parametrize("variant", pcm.VARIANTS)
def test_read_mean_is_the_mean_of_read_moments(n, variant):
    """`read_mean` (the crossbar's noise-free results) computes the drifted conductance alone: the
    very numbers of `read_moments`' mean (the same float32 arithmetic), at any drift scale and
    time, devices at 0 uS included."""
    g_prog, nu = pcm.program(np.linspace(0.0, G_MAX, n), g_max=G_MAX, seed=n, variant=variant)
    for t, drift_scale in ((0.0, 1.0), (3600.0, 1.0), (1e8, 2.5), (86400.0, 0.0)):
        args = dict(g_max=G_MAX, t0=T0, t_read=T_READ, drift_scale=drift_scale, variant=variant)
        mean = pcm.read_mean(g_prog, nu, t, **args)
        np.testing.assert_array_equal(mean, pcm.read_moments(g_prog, nu, t, **args)[0])
        np.testing.assert_array_equal(mean, pcm.read_moments(g_prog, nu, t, read_noise_scale=0.0, **args)[0])


@pytest.mark.parametrize("name", ["pcm.program", "pcm.read", "pcm.moments", "pcm.mean"])
def test_serial_kernels_are_vectorized(name):
    # The serial kernel compiled afresh (Numba does not show the machine code of a kernel loaded
    # from its cache): LLVM vectorized its loop if it has packed single-precision multiplies
    # (SSE's mulps or AVX's vmulps/vfmadd...ps; an unvectorized loop has only the scalar ...ss).
    import re

    from numba import njit

    from kernels import _jit

    serial = _jit.TWINS[name][0]
    fresh = njit(**{k: v for k, v in _jit.JIT.items() if k != "cache"})(serial.py_func)
    args = {
        "pcm.program": (np.linspace(0.0, 25.0, 64), np.empty(64), np.empty(64), 25.0, 1.0, 1, 0),
        "pcm.read": (np.full(64, 10.0), np.full(64, 0.05), np.empty(64), 25.0, 5.0, 4.0, 1, 0),
        "pcm.moments": (np.full(64, 10.0), np.full(64, 0.05), np.empty(64), np.empty(64), 25.0, 5.0, 4.0, 0),
        "pcm.mean": (np.full(64, 10.0), np.full(64, 0.05), np.empty(64), 5.0),
    }
    fresh(*args[name])
    asm = fresh.inspect_asm(fresh.signatures[0])
    assert len(re.findall(r"\b(?:v?mulps|vfn?m(?:add|sub)\d{3}ps)\b", asm)) >= 4
