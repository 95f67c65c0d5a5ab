"""Closed-loop pulse programming: the fast-forwarded approach gives the same distributions of final
conductance and pulse count as the pulse-by-pulse loop (statistical, fixed seeds)."""

import numpy as np
import pytest

from kernels import pulsed

N = 4000


def ks_statistic(a, b):
    """Two-sample Kolmogorov-Smirnov distance."""
    grid = np.sort(np.concatenate([a, b]))
    fa = np.searchsorted(np.sort(a), grid, side="right") / a.size
    fb = np.searchsorted(np.sort(b), grid, side="right") / b.size
    return float(np.max(np.abs(fa - fb)))


PRESETS = {
    # ECRAM-like: linear steps, 1000 states, small cycle-to-cycle spread.
    "ECRAM": dict(g_max=10.0, n_states=1000, gamma=0.0, asymmetry=0.05, d2d=0.1, c2c=0.05),
    # aihwkit SoftBoundsDevice: steps shrink toward the bounds, 30 % spreads.
    "Soft-bounds": dict(g_max=10.0, n_states=1200, gamma=1.0, asymmetry=0.0, d2d=0.3, c2c=0.3),
}


def program(preset, fast, seed, start_at_top=False):
    p = PRESETS[preset]
    rng = np.random.default_rng(100)
    targets = rng.uniform(0.0, p["g_max"], N)
    dg_up, dg_down = pulsed.device_steps(
        N, dg_min=p["g_max"] / p["n_states"], asymmetry=p["asymmetry"], d2d=p["d2d"], seed=7, g_span=p["g_max"]
    )
    g0 = p["g_max"] if start_at_top else 0.0
    g, n = pulsed.pulse_to_target(
        g0,
        targets,
        g_min=0.0,
        g_max=p["g_max"],
        dg_up=dg_up,
        dg_down=dg_down,
        gamma_up=p["gamma"],
        gamma_down=p["gamma"],
        c2c=p["c2c"],
        max_pulses=20 * p["n_states"],
        seed=seed,
        fast_forward=fast,
    )
    return g - targets, n.astype(float), dg_up, dg_down


@pytest.mark.parametrize("start_at_top", [False, True])
@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_fast_forward_matches_pulse_by_pulse(preset, start_at_top):
    err_exact, n_exact, dg_up, dg_down = program(preset, False, seed=1, start_at_top=start_at_top)
    err_fast, n_fast, _, _ = program(preset, True, seed=2, start_at_top=start_at_top)
    # Most devices stop inside the band |g - target| <= dg / 2 (devices whose drawn step is
    # tiny, or whose target sits at a soft bound, may run out of pulses first), as many either way.
    band = 0.5 * np.maximum(dg_up, dg_down) + 1e-12
    inside_exact, inside_fast = np.mean(np.abs(err_exact) <= band), np.mean(np.abs(err_fast) <= band)
    assert inside_exact > 0.95
    assert abs(inside_exact - inside_fast) < 5 * np.sqrt(2 * inside_exact * (1 - inside_exact) / N) + 1 / N
    for exact, fast in ((err_exact, err_fast), (n_exact, n_fast)):
        se_mean = np.sqrt(exact.var() / N + fast.var() / N)
        assert abs(exact.mean() - fast.mean()) < 5 * se_mean
        # Sample variances: standard error about var * sqrt(2 / N) each (Gaussian bound, which
        # is wider than the bound for these lighter-tailed distributions).
        se_var = np.sqrt(2.0 / N) * np.hypot(exact.var(), fast.var())
        assert abs(exact.var() - fast.var()) < 5 * se_var
        # Two-sample KS at the 0.1 % level: D < 1.95 sqrt(2 / N).
        assert ks_statistic(exact, fast) < 1.95 * np.sqrt(2.0 / N)
    # The counts include the skipped pulses: hundreds per device on average, as pulse by pulse.
    assert n_fast.mean() > 100


def test_fast_forward_is_deterministic_and_leaves_other_gammas_alone():
    a = program("Soft-bounds", True, seed=3)
    b = program("Soft-bounds", True, seed=3)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    # gamma = 0.5: no closed form, so the pulse-by-pulse loop runs whatever the flag.
    kwargs = dict(
        g_min=0.0, g_max=10.0, dg_up=0.01, dg_down=0.01, gamma_up=0.5, gamma_down=0.5, c2c=0.2, max_pulses=20000, seed=4
    )
    targets = np.linspace(1.0, 9.0, 50)
    exact = pulsed.pulse_to_target(0.0, targets, fast_forward=False, **kwargs)
    fast = pulsed.pulse_to_target(0.0, targets, fast_forward=True, **kwargs)
    np.testing.assert_array_equal(exact[0], fast[0])
    np.testing.assert_array_equal(exact[1], fast[1])
