"""Tests of kernels/rram.py: NumPy references, statistics, read disturb, bad input."""

import math

import numpy as np
import pytest
from argnames import naming
from numpy.testing import assert_allclose, assert_array_equal

from kernels import rng, rram
from kernels._jit import PARALLEL_THRESHOLD

SERIAL_N = 1000
PARALLEL_N = PARALLEL_THRESHOLD + 4321
SIZES = [SERIAL_N, PARALLEL_N]

# The kernels' normal draws agree with `rng.numpy_normal` to ~1e-14 for |xi| < 3, 1e-12 to |xi| = 4,
# and only to ~5e-11 absolute near |xi| = 5 (2e6 draws): the shared fastmath set
# (arcp + reassoc + contract) reorders the AS241 rational functions. Hence a small
# absolute tolerance (uS, or standard-normal units) beside rtol=1e-12.
ATOL = 1e-9


def assert_close(actual, desired, **kw):
    assert_allclose(actual, desired, rtol=1e-12, atol=ATOL, **kw)


# ----------------------------------------------------------------------------- references


def _uniforms(seed, stream, counters):
    return rng.numpy_uniform(rng.numpy_stream_key(seed, stream), counters)


def naive_program(g_target, seed, g_min=9.0, g_max=88.2, tolerance_percent=0.2, scale=1.0):
    c0, c1 = {0.2: (0.00081107, 0.00106879), 2.0: (0.011219, 0.011290)}[tolerance_percent]
    n = g_target.size
    xi = rng.numpy_normal(seed, rng.STREAM_PROGRAM, n)
    g_prog = np.clip(g_target + scale * (c0 + c1 * g_target) * xi, g_min, g_max)
    return g_prog, rng.numpy_normal(seed, rng.STREAM_RELAX, n)


def naive_read(
    g_prog,
    relax,
    t,
    seed,
    g_min=9.0,
    g_max=88.2,
    drift_scale=1.0,
    read_noise_scale=1.0,
    amplitude=None,
    occupancy=None,
    disturb=None,
):
    n = g_prog.size
    ts = max(t, 1.0)
    lt = np.log(ts)
    g = g_prog - drift_scale * 0.0890 * lt + drift_scale * (0.0420 * lt + 0.4118) * relax
    if disturb is not None:  # the share d of the headroom toward g_max (d > 0) or g_min (d < 0)
        g = g + disturb * np.where(disturb >= 0.0, np.maximum(g_max - g, 0.0), np.maximum(g - g_min, 0.0))
    if amplitude is not None:  # zero-mean about g: high state g / (1 - q A), low state (1 - A) times that
        u = _uniforms(seed, rng.STREAM_RTN, np.arange(n))
        g = g / (1.0 - occupancy * amplitude)
        g = np.where(u < occupancy, g * (1.0 - amplitude), g)
    sigma = read_noise_scale * 0.02773 * np.log10(np.maximum(g, 1.0)) * np.sqrt(np.log((ts + 1e-6) / 2e-6))
    g = g + sigma * rng.numpy_normal(seed, rng.STREAM_READ, n)
    return np.clip(g, g_min, g_max)


def naive_rtn_parameters(g, seed, a_ref=0.02, g_ref=30.0, exponent=1.0, tc=1e-2, te=1e-2, spread=1.0):
    n = g.size
    key = rng.numpy_stream_key(seed, rng.STREAM_DEVICE)
    xi_c = rng.numpy_normal_quantile(rng.numpy_uniform(key, 2 * np.arange(n)))
    xi_e = rng.numpy_normal_quantile(rng.numpy_uniform(key, 2 * np.arange(n) + 1))
    tau_c = tc * 10.0 ** (spread * xi_c)
    tau_e = te * 10.0 ** (spread * xi_e)
    return {
        "amplitude": np.clip(a_ref * (g_ref / g) ** exponent, 0.0, 0.5),
        "tau_capture": tau_c,
        "tau_emission": tau_e,
        "occupancy": tau_e / (tau_c + tau_e),
    }


def naive_rtn_trace(g, amp, tau_c, tau_e, dt, n_steps, seed):
    n = g.size
    key = rng.numpy_stream_key(seed, rng.STREAM_RTN)
    out = np.empty((n, n_steps))
    for i in range(n):
        occ = tau_e[i] / (tau_c[i] + tau_e[i])
        settle = 1.0 - np.exp(-dt * (1.0 / tau_c[i] + 1.0 / tau_e[i]))
        p_hl, p_lh = occ * settle, (1.0 - occ) * settle
        low = rng.numpy_uniform(key, [i])[0] < occ
        for j in range(n_steps):
            if j > 0:
                u = rng.numpy_uniform(key, [j * n + i])[0]
                low = (u >= p_lh) if low else (u < p_hl)
            high = g[i] / (1.0 - occ * amp[i])
            out[i, j] = high * (1.0 - amp[i]) if low else high
    return out


def loop_disturb(d0, n_reads, polarity, k, s, eta=1.0, m=1.0):
    """Read by read: a +V read moves d += k m (s m - d), a -V read d -= eta k m (s m + d)."""
    d = np.array(d0, dtype=float)
    k, s = np.minimum(k * m, 1.0), np.minimum(s * m, 1.0)
    for r in range(n_reads):
        p = {"unipolar": 1.0, "negative": -1.0, "bipolar": 1.0 if r % 2 == 0 else -1.0}[polarity]
        rate = k if p > 0 else eta * k
        d = d + p * rate * (s - p * d)
    return d


def _targets(n, low=9.0, high=88.2):
    return np.linspace(low, high, n)


# ----------------------------------------------------------------------------- references


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("tol", [0.2, 2.0])
def test_program_matches_numpy(n, tol):
    g_t = _targets(n)
    g_prog, relax = rram.program(g_t, seed=11, tolerance_percent=tol, prog_noise_scale=1.5)
    ref_g, ref_r = naive_program(g_t, 11, tolerance_percent=tol, scale=1.5)
    assert_close(g_prog, ref_g)
    assert_close(relax, ref_r)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("t", [0.0, 0.3, 1.0, 3600.0, 1e7])
def test_read_matches_numpy(n, t):
    g_prog, relax = naive_program(_targets(n), 5)
    out = rram.read(g_prog, relax, t, seed=6, drift_scale=1.3, read_noise_scale=2.0)
    assert_close(out, naive_read(g_prog, relax, t, 6, drift_scale=1.3, read_noise_scale=2.0))


@pytest.mark.parametrize("n", SIZES)
def test_read_with_rtn_and_disturb_matches_numpy(n):
    g_prog, relax = naive_program(_targets(n), 5)
    par = naive_rtn_parameters(g_prog, 8)
    disturb = np.linspace(-0.04, 0.05, n)
    kw = dict(amplitude=par["amplitude"], occupancy=par["occupancy"], disturb=disturb)
    out = rram.read(
        g_prog, relax, 100.0, seed=9, rtn_amplitude=kw["amplitude"], rtn_occupancy=kw["occupancy"], disturb=disturb
    )
    assert_close(out, naive_read(g_prog, relax, 100.0, 9, **kw))
    only_rtn = rram.read(g_prog, relax, 100.0, seed=9, rtn_amplitude=kw["amplitude"], rtn_occupancy=kw["occupancy"])
    assert_close(only_rtn, naive_read(g_prog, relax, 100.0, 9, amplitude=kw["amplitude"], occupancy=kw["occupancy"]))
    only_disturb = rram.read(g_prog, relax, 100.0, seed=9, disturb=disturb)
    assert_close(only_disturb, naive_read(g_prog, relax, 100.0, 9, disturb=disturb))


@pytest.mark.parametrize("n", SIZES)
def test_rtn_parameters_match_numpy(n):
    g = _targets(n)
    par = rram.rtn_parameters(
        g,
        seed=3,
        amplitude_at_ref=0.03,
        g_ref=20.0,
        exponent=1.5,
        tau_capture=2e-3,
        tau_emission=5e-2,
        tau_spread_decades=0.7,
    )
    ref = naive_rtn_parameters(g, 3, 0.03, 20.0, 1.5, 2e-3, 5e-2, 0.7)
    for name in ("amplitude", "tau_capture", "tau_emission", "occupancy"):
        # log of the taus: 10**(spread xi) carries the draw difference as a relative one.
        assert_close(np.log(par[name]), np.log(ref[name]), err_msg=name)


def test_rtn_trace_matches_numpy():
    g = np.array([10.0, 30.0, 60.0, 85.0])
    amp = np.array([0.1, 0.02, 0.3, 0.5])
    tau_c = np.array([1e-3, 5e-3, 2e-2, 1.0])
    tau_e = np.array([2e-3, 5e-3, 1e-3, 1e-4])
    out = rram.rtn_trace(g, amp, tau_c, tau_e, dt=1e-3, n_steps=300, seed=21)
    assert out.shape == (4, 300)
    assert_allclose(out, naive_rtn_trace(g, amp, tau_c, tau_e, 1e-3, 300, 21), rtol=1e-12)


def test_shapes_are_kept():
    g_t = _targets(24).reshape(2, 3, 4)
    g_prog, relax = rram.program(g_t, seed=1)
    assert g_prog.shape == relax.shape == (2, 3, 4)
    assert rram.read(g_prog, relax, 10.0, seed=2).shape == (2, 3, 4)
    par = rram.rtn_parameters(g_prog, seed=3)
    assert all(v.shape == (2, 3, 4) for v in par.values())
    assert rram.read_disturb(np.zeros((2, 3)), 10).shape == (2, 3)


# ----------------------------------------------------------------------------- statistics


@pytest.mark.parametrize("tol,c0,c1", [(0.2, 0.00081107, 0.00106879), (2.0, 0.011219, 0.011290)])
@pytest.mark.parametrize("level", [12.0, 40.0, 80.0])
def test_programming_noise_std(tol, c0, c1, level):
    n = 40000
    g_prog, _ = rram.program(np.full(n, level), seed=100 + int(level), tolerance_percent=tol)
    sigma = c0 + c1 * level
    assert abs(g_prog.mean() - level) < 5 * sigma / np.sqrt(n)
    assert abs(g_prog.std(ddof=1) - sigma) < 5 * sigma / np.sqrt(2 * n)


def test_relax_deviate_is_standard_normal():
    n = 40000
    _, relax = rram.program(np.full(n, 30.0), seed=3)
    assert abs(relax.mean()) < 5 / np.sqrt(n)
    assert abs(relax.std(ddof=1) - 1.0) < 5 / np.sqrt(2 * n)


@pytest.mark.parametrize("t", [3600.0, 10.0, 1e6])
def test_relaxation_mean_and_spread(t):
    n = 50000
    g_t = np.full(n, 50.0)
    g_prog, relax = rram.program(g_t, seed=12, prog_noise_scale=0.0)
    assert_array_equal(g_prog, g_t)
    g = rram.read(g_prog, relax, t, seed=13, read_noise_scale=0.0)
    spread = 0.0420 * np.log(t) + 0.4118
    assert abs((g - g_t).mean() - (-0.0890 * np.log(t))) < 5 * spread / np.sqrt(n)
    assert abs(g.std(ddof=1) - spread) < 5 * spread / np.sqrt(2 * n)


def test_relaxation_before_one_second_is_frozen_and_trajectory_smooth():
    g_prog, relax = rram.program(_targets(500, 20, 70), seed=1)
    at_0 = rram.read(g_prog, relax, 0.0, seed=2, read_noise_scale=0.0)
    at_half = rram.read(g_prog, relax, 0.5, seed=2, read_noise_scale=0.0)
    at_1 = rram.read(g_prog, relax, 1.0, seed=2, read_noise_scale=0.0)
    assert_array_equal(at_0, at_1)
    assert_array_equal(at_half, at_1)
    assert_allclose(at_1, g_prog + 0.4118 * relax, rtol=1e-12)
    # Same device, later time: the deviate is kept, so the shift is deterministic.
    later = rram.read(g_prog, relax, 1e4, seed=99, read_noise_scale=0.0)
    lt = np.log(1e4)
    assert_allclose(later - at_1, -0.0890 * lt + 0.0420 * lt * relax, atol=1e-12)


def test_read_noise_spread():
    n = 50000
    g = np.full(n, 60.0)
    relax = np.zeros(n)
    t = 100.0
    out = rram.read(g, relax, t, seed=4, drift_scale=0.0)
    sigma = 0.02773 * np.log10(60.0) * np.sqrt(np.log((t + 1e-6) / 2e-6))
    assert abs(out.std(ddof=1) - sigma) < 5 * sigma / np.sqrt(2 * n)
    assert rram.read(g, relax, 0.0, seed=4, drift_scale=0.0).std() > 0.0  # t = 0 is not noise-free


def test_read_clips_to_range():
    g = np.array([9.0, 88.2])
    out = rram.read(g, np.array([-30.0, 30.0]), 1e6, seed=1)
    assert_array_equal(out, [9.0, 88.2])


def test_read_rtn_fraction_in_low_state():
    n = 40000
    g = np.full(n, 50.0)
    occ = np.full(n, 0.3)
    amp = np.full(n, 0.1)
    out = rram.read(
        g, np.zeros(n), 1.0, seed=5, drift_scale=0.0, read_noise_scale=0.0, rtn_amplitude=amp, rtn_occupancy=occ
    )
    high = 50.0 / (1.0 - 0.3 * 0.1)  # zero-mean: the time average is the programmed 50 uS
    low = np.isclose(out, high * 0.9)
    assert np.all(low | np.isclose(out, high))
    assert abs(low.mean() - 0.3) < 5 * np.sqrt(0.3 * 0.7 / n)
    # The mean of the reads is the programmed conductance, within 5 standard errors.
    assert abs(out.mean() - 50.0) < 5 * out.std() / np.sqrt(n)


@pytest.mark.parametrize("g0", [9.0, 9.2, 48.0, 88.0, 88.2])
def test_read_moments_match_the_clipped_reads_near_and_away_from_the_bounds(g0):
    """Reads clip at g_min and g_max, so near a bound their mean is not the unclipped g:
    the moments are those of the censored normal (compared with 200,000 reads, within 5
    standard errors of the mean and of the standard deviation)."""
    n = 200_000
    g = np.full(n, g0)
    relax = np.zeros(n)
    reads = rram.read(g, relax, 3600.0, seed=3, drift_scale=0.0)
    mean, sd = rram.read_moments(g, relax, 3600.0, drift_scale=0.0)
    assert abs(reads.mean() - mean[0]) < 5 * reads.std() / np.sqrt(n) + 1e-12
    assert abs(reads.std() - sd[0]) < 5 * reads.std() / np.sqrt(2 * n) + 1e-12


def test_rtn_amplitude_larger_at_low_g():
    g = np.array([9.0, 15.0, 30.0, 60.0, 88.2])
    amp = rram.rtn_parameters(g, seed=1)["amplitude"]
    assert np.all(np.diff(amp) < 0)
    assert_allclose(amp[2], 0.02, rtol=1e-12)
    assert_allclose(rram.rtn_parameters(g, seed=1, amplitude_at_ref=0.4)["amplitude"][0], 0.5)


def test_rtn_taus_are_log_normal():
    n = 40000
    par = rram.rtn_parameters(np.full(n, 30.0), seed=2, tau_capture=1e-3, tau_emission=1e-1, tau_spread_decades=0.5)
    for name, median in (("tau_capture", 1e-3), ("tau_emission", 1e-1)):
        x = np.log10(par[name])
        assert abs(x.mean() - np.log10(median)) < 5 * 0.5 / np.sqrt(n)
        assert abs(x.std(ddof=1) - 0.5) < 5 * 0.5 / np.sqrt(2 * n)
    lc, le = np.log10(par["tau_capture"]), np.log10(par["tau_emission"])
    assert abs(np.corrcoef(lc, le)[0, 1]) < 5 / np.sqrt(n)
    assert_allclose(par["occupancy"], par["tau_emission"] / (par["tau_capture"] + par["tau_emission"]))


def _runs(row):
    """Lengths (in samples) and states of the complete runs of a 0/1 row (edges dropped)."""
    edges = np.flatnonzero(np.diff(row)) + 1
    lengths = np.diff(edges)
    states = row[edges[:-1]]
    return lengths, states


def test_rtn_trace_occupancy_and_dwell_times():
    n_dev, n_steps, dt = 200, 20000, 1e-4
    tau_c, tau_e = 1e-2, 3e-2
    g = np.full(n_dev, 40.0)
    trace = rram.rtn_trace(
        g, np.full(n_dev, 0.2), np.full(n_dev, tau_c), np.full(n_dev, tau_e), dt=dt, n_steps=n_steps, seed=17
    )
    occ = tau_e / (tau_c + tau_e)
    high = 40.0 / (1.0 - occ * 0.2)  # zero-mean: the time average of the two states is 40 uS
    low = trace < high - 1.0
    assert np.all(low | np.isclose(trace, high))
    assert np.all(~low | np.isclose(trace, 0.8 * high))
    # Fraction of time in the low state: the variance of a time average of a two-state
    # chain over total time T is about 2 p (1 - p) tau_corr / T, tau_corr = 1/(1/tc + 1/te).
    tau_corr = 1.0 / (1.0 / tau_c + 1.0 / tau_e)
    se = np.sqrt(2 * occ * (1 - occ) * tau_corr / (n_dev * n_steps * dt))
    assert abs(low.mean() - occ) < 5 * se
    # Dwell times: sampled run lengths are geometric with mean dt / p_switch (exact
    # two-state probabilities), which is tau up to O(dt / tau).
    lengths, states = [], []
    for row in low.astype(np.int8):
        ln, st = _runs(row)
        lengths.append(ln)
        states.append(st)
    lengths, states = np.concatenate(lengths), np.concatenate(states)
    settle = 1.0 - np.exp(-dt * (1 / tau_c + 1 / tau_e))
    for state, tau, p in ((1, tau_e, (1 - occ) * settle), (0, tau_c, occ * settle)):
        dwell = lengths[states == state] * dt
        expected = dt / p
        assert abs(dwell.mean() - expected) < 5 * expected / np.sqrt(dwell.size)
        assert abs(dwell.mean() - tau) < 0.05 * tau


def test_rtn_trace_start_matches_read_state():
    n = 2000
    g = np.full(n, 50.0)
    par = rram.rtn_parameters(g, seed=3)
    trace = rram.rtn_trace(g, par["amplitude"], par["tau_capture"], par["tau_emission"], dt=1e-3, n_steps=2, seed=8)
    out = rram.read(
        g,
        np.zeros(n),
        1.0,
        seed=8,
        drift_scale=0.0,
        read_noise_scale=0.0,
        rtn_amplitude=par["amplitude"],
        rtn_occupancy=par["occupancy"],
    )
    assert_allclose(trace[:, 0], out, rtol=1e-12)


# ----------------------------------------------------------------------------- read disturb

# Reads at 0.35 V saturate at 0.05 of the headroom with the default field law (1 per V above 0.3 V).
V_005 = 0.35
# A threshold and slope that give exactly s = 0.64 (0.25 - 0.125) = 0.08 at 0.25 V (binary fractions).
S_008 = dict(v_read=0.25, v_threshold=0.125, shift_per_volt=0.64)


def test_unipolar_saturates_and_is_monotone():
    d0 = np.array([0.0, -0.02, 0.01])
    counts = [0, 1, 10, 10**3, 10**5, 10**6, 10**7, 10**9, 10**12, 10**15]
    path = np.array([rram.read_disturb(d0, c, v_read=V_005) for c in counts])
    assert_array_equal(path[0], d0)
    assert np.all(np.diff(path, axis=0) >= 0)
    assert np.all(np.abs(path[-1] - 0.05) < 1e-9)
    neg = rram.read_disturb(d0, 10**15, polarity="negative", v_read=V_005)
    assert np.all(np.abs(neg + 0.05) < 1e-9)


def test_the_saturated_shift_grows_with_the_field_above_the_threshold():
    """Field-driven: no saturated shift at or below the threshold however many reads, then
    ``shift_per_volt (V - v_threshold)``, at most 1 (the old law saturated at one shift at every V)."""
    volts = np.array([0.1, 0.2, 0.3, 0.35, 0.4, 0.5, 0.6, 2.0])
    expected = np.minimum(np.maximum(volts - 0.3, 0.0), 1.0)
    got = [rram.read_disturb(np.zeros(1), 10**15, v_read=v)[0] for v in volts]
    assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    assert_allclose([rram.saturated_shift(v) for v in volts], expected, rtol=1e-12, atol=1e-15)
    assert rram.saturated_shift(0.5, shift_per_volt=0.5, v_threshold=0.1) == pytest.approx(0.2)
    # Below the threshold reads relax an earlier shift back toward 0 (their saturated shift).
    assert rram.read_disturb(np.array([0.1]), 10**15, v_read=0.2)[0] == pytest.approx(0.0, abs=1e-12)
    # and bipolar reads below the threshold leave an undisturbed device undisturbed
    assert rram.read_disturb(np.zeros(1), 10**12, v_read=0.3, polarity="bipolar", negative_efficiency=0.9)[0] == 0.0


def test_bipolar_cancels():
    uni = rram.read_disturb(np.zeros(1), 10**6, v_read=V_005)[0]
    bi = rram.read_disturb(np.zeros(1), 10**6, v_read=V_005, polarity="bipolar")[0]
    assert uni > 0.04
    assert abs(bi) < 0.1 * abs(uni)
    k = np.exp((V_005 - 0.2) / 0.05) / 1e6
    assert abs(bi) < 2 * k * 0.05  # O(k s)


@pytest.mark.parametrize("polarity", ["bipolar", "unipolar", "negative"])
def test_disturb_matches_loop(polarity):
    d0 = np.array([-0.03, 0.0, 0.02, 0.07])
    kw = dict(reads_to_saturate=10.0, **S_008)
    k = np.exp(0.05 / 0.05) / 10.0
    for n in range(1, 51):
        got = rram.read_disturb(d0, n, polarity=polarity, **kw)
        assert_allclose(got, loop_disturb(d0, n, polarity, k, 0.08), rtol=1e-12, err_msg=str(n))


@pytest.mark.parametrize("polarity", ["bipolar", "unipolar", "negative"])
def test_disturb_with_susceptibility_and_weaker_negative_reads_matches_loop(polarity):
    d0 = np.array([-0.03, 0.0, 0.02, 0.07])
    m = np.array([0.5, 1.0, 2.0, 30.0])  # the last device's rate clips at 1
    kw = dict(reads_to_saturate=10.0, negative_efficiency=0.7, susceptibility=m, **S_008)
    k = np.exp(0.05 / 0.05) / 10.0
    for n in range(0, 41):
        got = rram.read_disturb(d0, n, polarity=polarity, **kw)
        assert_allclose(
            got, loop_disturb(d0, n, polarity, k, 0.08, eta=0.7, m=m), rtol=1e-12, atol=1e-15, err_msg=str(n)
        )


def test_bipolar_settles_where_the_negative_reads_fall_short():
    """With -V reads a share eta as effective, alternating reads settle near s (1 - eta) / (1 + eta)
    instead of 0, at about the unipolar rate: the lifetime gain of bipolar reading is bounded."""
    for eta in (0.5, 0.9):
        bi = rram.read_disturb(np.zeros(1), 10**12, polarity="bipolar", v_read=V_005, negative_efficiency=eta)[0]
        assert abs(bi - 0.05 * (1 - eta) / (1 + eta)) < 1e-6
    uni = rram.read_disturb(np.zeros(1), 10**4, v_read=0.4)[0]
    bi = rram.read_disturb(np.zeros(1), 10**4, v_read=0.4, polarity="bipolar", negative_efficiency=0.9)[0]
    assert 0.0 < bi < uni * 0.1 * 2  # early on the bipolar shift grows (1 - eta)/2 as fast


def test_higher_read_voltage_shifts_faster():
    volts = (0.35, 0.4, 0.45, 0.5)
    shifts = [rram.read_disturb(np.zeros(1), 10**4, v_read=v)[0] for v in volts]
    assert np.all(np.diff(shifts) > 0)
    # the rate itself grows with V: the share of the saturated shift reached after 1e4 reads
    share = [d / rram.saturated_shift(v) for d, v in zip(shifts, volts)]
    assert np.all(np.diff(share) > 0)
    # k clips at 1: one read saturates.
    assert rram.read_disturb(np.zeros(1), 1, v_read=0.6, reads_to_saturate=1.0)[0] == pytest.approx(0.3)


# ----------------------------------------------------------------------------- seeds


def test_same_seed_same_numbers_different_seed_different_numbers():
    g_t = _targets(200)
    a = rram.program(g_t, seed=42)
    b = rram.program(g_t, seed=42)
    c = rram.program(g_t, seed=43)
    assert_array_equal(a[0], b[0])
    assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    assert not np.array_equal(a[1], c[1])
    r1 = rram.read(a[0], a[1], 60.0, seed=1)
    assert_array_equal(r1, rram.read(a[0], a[1], 60.0, seed=1))
    assert not np.array_equal(r1, rram.read(a[0], a[1], 60.0, seed=2))
    p1, p2 = rram.rtn_parameters(g_t, seed=5), rram.rtn_parameters(g_t, seed=6)
    assert_array_equal(p1["tau_capture"], rram.rtn_parameters(g_t, seed=5)["tau_capture"])
    assert not np.array_equal(p1["tau_capture"], p2["tau_capture"])
    args = (g_t, p1["amplitude"], p1["tau_capture"], p1["tau_emission"])
    t1 = rram.rtn_trace(*args, dt=1e-3, n_steps=50, seed=1)
    assert_array_equal(t1, rram.rtn_trace(*args, dt=1e-3, n_steps=50, seed=1))
    assert not np.array_equal(t1, rram.rtn_trace(*args, dt=1e-3, n_steps=50, seed=2))


# ----------------------------------------------------------------------------- bad input

G2 = np.array([20.0, 30.0])


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: rram.program(np.array([20.0, np.nan]), seed=1), "g_target"),
        (lambda: rram.program(np.array([20.0, np.inf]), seed=1), "g_target"),
        (lambda: rram.program(np.array([5.0]), seed=1), "g_target"),
        (lambda: rram.program(np.array([90.0]), seed=1), "g_target"),
        (lambda: rram.program(G2, seed=1.0), "seed"),
        (lambda: rram.program(G2, seed=True), "seed"),
        (lambda: rram.program(G2, seed=-1), "seed"),
        (lambda: rram.program(G2, seed=1, tolerance_percent=1.0), "tolerance_percent"),
        (lambda: rram.program(G2, seed=1, tolerance_percent="0.2"), "tolerance_percent"),
        (lambda: rram.program(G2, seed=1, tolerance_percent=True), "tolerance_percent"),
        (lambda: rram.program(G2, seed=1, prog_noise_scale=-1.0), "prog_noise_scale"),
        (lambda: rram.program(G2, seed=1, g_min=50.0, g_max=40.0), "g_max"),
        (lambda: rram.read(G2, np.zeros(2), -1.0, seed=1), "t"),
        (lambda: rram.read(G2, np.zeros(2), np.nan, seed=1), "t"),
        (lambda: rram.read(G2, np.zeros(2), 1.0, seed=0.5), "seed"),
        (lambda: rram.read(G2, np.zeros(2), 1.0, seed=False), "seed"),
        (lambda: rram.read(G2, np.zeros(2), 1.0, seed=-3), "seed"),
        (lambda: rram.read(G2, np.zeros(3), 1.0, seed=1), "relax_deviate"),
        (lambda: rram.read(G2, np.array([0.0, np.nan]), 1.0, seed=1), "relax_deviate"),
        (lambda: rram.read(np.array([1.0, 30.0]), np.zeros(2), 1.0, seed=1), "g_prog"),
        (lambda: rram.read(G2, np.zeros(2), 1.0, seed=1, drift_scale=-1.0), "drift_scale"),
        (lambda: rram.read(G2, np.zeros(2), 1.0, seed=1, rtn_amplitude=np.zeros(2)), "rtn_amplitude"),
        (
            lambda: rram.read(
                G2, np.zeros(2), 1.0, seed=1, rtn_amplitude=np.zeros(2), rtn_occupancy=np.array([0.5, 1.5])
            ),
            "rtn_occupancy",
        ),
        (lambda: rram.read(G2, np.zeros(2), 1.0, seed=1, disturb=np.zeros(3)), "disturb"),
        (lambda: rram.rtn_parameters(np.array([0.0]), seed=1), "g_prog"),
        (lambda: rram.rtn_parameters(G2, seed=1, tau_capture=0.0), "tau_capture"),
        (lambda: rram.rtn_parameters(G2, seed=1, amplitude_at_ref=0.9), "amplitude_at_ref"),
        (lambda: rram.rtn_trace(G2, np.zeros(2), np.ones(2), np.ones(2), dt=0.0, n_steps=5, seed=1), "dt"),
        (lambda: rram.rtn_trace(G2, np.zeros(2), np.ones(2), np.ones(2), dt=1.0, n_steps=0, seed=1), "n_steps"),
        (lambda: rram.rtn_trace(G2, np.zeros(2), np.ones(2), np.ones(2), dt=1.0, n_steps=10**8, seed=1), "n_steps"),
        (
            lambda: rram.rtn_trace(G2, np.zeros(2), np.array([1.0, -1.0]), np.ones(2), dt=1.0, n_steps=5, seed=1),
            "tau_capture",
        ),
        (lambda: rram.rtn_trace(G2, np.zeros(3), np.ones(2), np.ones(2), dt=1.0, n_steps=5, seed=1), "amplitude"),
        (lambda: rram.rtn_trace(G2, np.zeros(2), np.ones(2), np.ones(2), dt=1.0, n_steps=5, seed=1.5), "seed"),
        (lambda: rram.read_disturb(np.zeros(2), 10, polarity="both"), "polarity"),
        (lambda: rram.read_disturb(np.zeros(2), 10, polarity=1), "polarity"),
        (lambda: rram.read_disturb(np.zeros(2), -1), "n_reads"),
        (lambda: rram.read_disturb(np.zeros(2), 1.5), "n_reads"),
        (lambda: rram.read_disturb(np.zeros(2), 10**16), "n_reads"),
        (lambda: rram.read_disturb(np.array([np.nan]), 10), "disturb"),
        (lambda: rram.read_disturb(np.zeros(2), 10, v_read=-0.1), "v_read"),
        (lambda: rram.read_disturb(np.zeros(2), 10, reads_to_saturate=0.0), "reads_to_saturate"),
        (lambda: rram.read_disturb(np.zeros(2), 10, shift_per_volt=-1.0), "shift_per_volt"),
        (lambda: rram.read_disturb(np.zeros(2), 10, v_threshold=float("nan")), "v_threshold"),
        (lambda: rram.saturated_shift("0.4"), "v_read"),
    ],
)
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=naming(match)):
        call()


# ----------------------------------------------------------------------------- read moments, one pass


def _previous_read_moments(g_prog, relax, t, *, read_noise_scale=1.0, amp=None, occ=None, disturb=None):
    """The read moments as computed before issue 26 (its item 5): a noise-free `read`, the read
    noise and telegraph variance in NumPy, then the censored normal's moments of every device
    with both bounds evaluated (erfc from the math module, element by element)."""
    lo, hi = rram.G_MIN, rram.G_MAX
    g = rram.read(g_prog, relax, t, seed=0, read_noise_scale=0.0, disturb=disturb)
    ts = max(t, rram.T_FIT_MIN)
    noise_time = read_noise_scale * np.sqrt(np.log((ts + rram.T_READ) / (2.0 * rram.T_READ)))
    var_rtn = 0.0 if amp is None else (g * amp / (1.0 - occ * amp)) ** 2 * occ * (1.0 - occ)
    s = np.sqrt((noise_time * rram.READ_NOISE_COEFF * np.log10(np.maximum(g, 1.0))) ** 2 + var_rtn)
    erfc = np.vectorize(math.erfc)
    with np.errstate(divide="ignore", invalid="ignore"):
        a, b = (lo - g) / s, (hi - g) / s
        pa, pb = 0.5 * erfc(-a / np.sqrt(2.0)), 0.5 * erfc(-b / np.sqrt(2.0))
        fa, fb = np.exp(-0.5 * a * a) / np.sqrt(2 * np.pi), np.exp(-0.5 * b * b) / np.sqrt(2 * np.pi)
        inside = pb - pa
        e1 = g * inside + s * (fa - fb)
        e2 = (g * g + s * s) * inside + 2.0 * g * s * (fa - fb) + s * s * (a * fa - b * fb)
        mean = e1 + lo * pa + hi * (1.0 - pb)
        sd = np.sqrt(np.maximum(e2 + lo * lo * pa + hi * hi * (1.0 - pb) - mean * mean, 0.0))
    zero = s <= 0.0
    return np.where(zero, np.clip(g, lo, hi), mean), np.where(zero, 0.0, sd)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("faults", ["none", "disturb", "rtn"])
@pytest.mark.parametrize("t", [0.0, 3600.0, 1e8])
def test_read_moments_equal_the_previous_computation(n, faults, t):
    """The one-pass kernel gives the numbers of the previous path (a noise-free read, NumPy, then
    both bounds of every device): devices at, near and far from both bounds. The mean agrees to
    rounding (rtol 1e-12); the standard deviation ``sqrt(E[X^2] - mean^2)`` of the previous path
    cancels: its second moment sums about eight terms up to ``g_max^2`` in size, each rounded, in
    another order in each path, so the two may differ by 16 ulp of ``g_max^2``, which the
    cancellation turns into ``16 ulp(g_max^2) / (2 sd)`` of the standard deviation (about 7e-11 uS
    at sd 0.05 uS)."""
    r = np.random.default_rng(n)
    edges = [9.0, 9.0 + 1e-9, 88.2, 88.2 - 1e-9]
    g = np.concatenate([edges, r.uniform(9.0, 9.6, n // 4), r.uniform(87.6, 88.2, n // 4)])
    g = np.concatenate([g, r.uniform(9.0, 88.2, n - g.size)])
    relax = r.standard_normal(n)
    kw = {}
    if faults == "disturb":
        kw["disturb"] = r.uniform(-0.3, 0.3, n)
    if faults == "rtn":
        kw["amp"], kw["occ"] = r.uniform(0.0, 0.4, n), r.uniform(0.0, 1.0, n)
    ref_mean, ref_sd = _previous_read_moments(g, relax, t, **kw)
    args = dict(disturb=kw.get("disturb"), rtn_amplitude=kw.get("amp"), rtn_occupancy=kw.get("occ"))
    mean, sd = rram.read_moments(g, relax, t, **args)
    assert_allclose(mean, ref_mean, rtol=1e-12, atol=0.0)
    bound = 16 * np.spacing(rram.G_MAX**2) / (2 * np.maximum(ref_sd, 1e-300)) + 4 * np.finfo(float).eps * ref_sd
    assert np.all(np.abs(sd - ref_sd) <= bound)
    # Without read noise the moments are the noise-free read itself, exactly.
    mean0, sd0 = rram.read_moments(g, relax, t, read_noise_scale=0.0, disturb=args["disturb"])
    assert_array_equal(mean0, rram.read(g, relax, t, seed=0, read_noise_scale=0.0, disturb=args["disturb"]))
    assert_array_equal(sd0, 0.0)


def test_far_bounds_add_exactly_nothing():
    """The kernel skips a bound more than `_FAR` standard deviations away: there the normal's tail
    mass and density are exactly 0 (and the mass below the upper bound exactly 1) in float64."""
    assert rram._cdf(-rram._FAR) == 0.0 and rram._phi(-rram._FAR) == 0.0
    assert rram._cdf(rram._FAR) == 1.0 and rram._phi(rram._FAR) == 0.0


@pytest.mark.parametrize("polarity", ["unipolar", "bipolar", "negative"])
def test_read_disturb_after_several_counts_equals_one_count_at_a_time(polarity):
    """A sequence of counts gives each count's shifts stacked along a first axis, the same numbers
    as one call per count (the disturb curve of `DeviceArray.moments_after_reads`)."""
    d0 = np.linspace(-0.3, 0.4, 12).reshape(3, 4)
    m = np.linspace(0.2, 3.0, 12).reshape(3, 4)
    counts = [0, 7, 10**4, 10**9]
    stacked = rram.read_disturb(d0, counts, polarity=polarity, v_read=0.5, susceptibility=m)
    assert stacked.shape == (4, 3, 4)
    for row, n in zip(stacked, counts):
        np.testing.assert_array_equal(row, rram.read_disturb(d0, n, polarity=polarity, v_read=0.5, susceptibility=m))
    with pytest.raises(ValueError, match=r"n_reads must be an integer or a 1-D sequence of integers"):
        rram.read_disturb(d0, [], v_read=0.5)
    with pytest.raises(ValueError, match=r"n_reads must be an integer in \[0, "):
        rram.read_disturb(d0, [3, -1], v_read=0.5)
