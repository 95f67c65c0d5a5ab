"""PCM kernels against a naive NumPy reference and against the section-1/2 statistics."""

import math

import numpy as np
import pytest

from kernels import pcm, rng
from kernels._jit import PARALLEL_THRESHOLD

G_MAX = 25.0
T0 = 20.0
T_READ = 250e-9


def naive_program(g_t, seed, g_max=G_MAX, scale=1.0):
    """Section 1 of the physics reference, written out in NumPy with the kernel's draws."""
    n = g_t.size
    r = g_t / g_max
    sigma = np.maximum(0.26348 + 1.9650 * r - 1.1731 * r**2, 0.0) * g_max / 25.0
    g_prog = np.maximum(g_t + scale * sigma * rng.numpy_normal(seed, rng.STREAM_PROGRAM, n), 0.0)
    rr = np.maximum(np.abs(r), 1e-7)
    mu = np.clip(-0.0155 * np.log(rr) + 0.0244, 0.049, 0.1)
    sd = np.clip(-0.0125 * np.log(rr) - 0.0059, 0.008, 0.045)
    nu = np.abs(mu + sd * rng.numpy_normal(seed, rng.STREAM_DRIFT, n))
    return g_prog, nu


def naive_read(g_prog, nu, t, seed, g_max=G_MAX, drift_scale=1.0, read_scale=1.0):
    tt = t + T0
    g_drift = g_prog * (tt / T0) ** (-nu * drift_scale)
    q = np.minimum(0.0088 / np.maximum((np.maximum(g_prog / g_max, 1e-7)) ** 0.65, 1e-3), 0.2)
    sig = read_scale * np.abs(g_drift) * q * np.sqrt(np.log((tt + T_READ) / (2 * T_READ)))
    return np.maximum(g_drift + sig * rng.numpy_normal(seed, rng.STREAM_READ, g_prog.size), 0.0)


@pytest.mark.parametrize("n", [1000, PARALLEL_THRESHOLD + 17])
def test_kernels_match_naive_reference(n):
    g_t = np.linspace(0.0, G_MAX, n)
    g_prog, nu = pcm.program(g_t, g_max=G_MAX, seed=5, prog_noise_scale=1.3)
    ref_prog, ref_nu = naive_program(g_t, 5, scale=1.3)
    np.testing.assert_allclose(g_prog, ref_prog, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(nu, ref_nu, rtol=1e-12, atol=1e-12)
    g = pcm.read(g_prog, nu, 86400.0, g_max=G_MAX, t0=T0, t_read=T_READ, seed=9, drift_scale=0.7,
                 read_noise_scale=2.0)
    np.testing.assert_allclose(g, naive_read(g_prog, nu, 86400.0, 9, drift_scale=0.7, read_scale=2.0),
                               rtol=1e-11, atol=1e-12)



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
    fm = sd * math.sqrt(2 / math.pi) * math.exp(-mu**2 / (2 * sd**2)) + mu * math.erf(mu / (sd * math.sqrt(2)))
    fv = mu**2 + sd**2 - fm**2
    assert abs(nu.mean() - fm) < 5 * math.sqrt(fv / n)
    assert abs(nu.std() - math.sqrt(fv)) < 5 * math.sqrt(fv / (2 * n)) * 1.5
    assert nu.min() >= 0.0


def test_drift_lowers_every_level_over_time():
    g_t = np.repeat([5.0, 15.0, 25.0], 20000)
    g_prog, nu = pcm.program(g_t, g_max=G_MAX, seed=0)
    means = [pcm.read(g_prog, nu, t, g_max=G_MAX, t0=T0, t_read=T_READ, seed=1, read_noise_scale=0.0)
             .reshape(3, -1).mean(axis=1) for t in (1.0, 3600.0, 3.15e8)]
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


@pytest.mark.parametrize("kwargs, match", [
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
])
def test_program_rejects_bad_input(kwargs, match):
    args = dict(g_max=G_MAX, seed=0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        pcm.program(args.pop("g_target"), **args)


@pytest.mark.parametrize("t, match", [(-1.0, "t"), (float("nan"), "t"), (float("inf"), "t")])
def test_read_rejects_bad_time(t, match):
    g_prog, nu = pcm.program([10.0], g_max=G_MAX, seed=0)
    with pytest.raises(ValueError, match=match):
        pcm.read(g_prog, nu, t, g_max=G_MAX, t0=T0, t_read=T_READ, seed=0)
