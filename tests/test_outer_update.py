"""Stochastic pulse-train updates (`kernels.outer_update`): Numba kernels against their NumPy twins,
the mean pulse counts against ``slots p q`` within tolerances from the binomial variance, the
sign and direction rules, and bad input."""

import numpy as np
import pytest
from argnames import naming

from kernels import outer_update as ou
from kernels import pulsed

rand = np.random.default_rng(0)
B, R, C = 40, 30, 50
P = rand.uniform(0.0, 1.0, (B, R))
Q_UP = rand.uniform(0.0, 1.0, (B, C))
Q_DOWN = rand.uniform(0.0, 1.0, (B, C))
ROW_SIGN = rand.choice(np.array([-1, 0, 1], dtype=np.int8), (B, R))
COL_SIGN = rand.choice(np.array([-1, 1], dtype=np.int8), (B, C))
SLOTS = rand.integers(0, 65, B)


@pytest.mark.parametrize("up_ok,down_ok", [(True, True), (True, False), (False, True)])
def test_coincidences_match_numpy_twin(up_ok, down_ok):
    a = ou.coincidences(P, ROW_SIGN, Q_UP, Q_DOWN, COL_SIGN, SLOTS, up_ok=up_ok, down_ok=down_ok, seed=3)
    b = ou.numpy_coincidences(P, ROW_SIGN, Q_UP, Q_DOWN, COL_SIGN, SLOTS, up_ok=up_ok, down_ok=down_ok, seed=3)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert (a[0].sum() > 0) == up_ok and (a[1].sum() > 0) == down_ok


def test_coincidence_counts_have_the_binomial_mean_and_the_product_sign():
    """Summed over all devices, the up count is sum over samples of slots p q where the signs agree:
    within 5 standard deviations of a sum of independent binomials (the trains of one row share
    bits across columns, so the sum's variance is bounded by the per-device variances plus the
    row and column covariances; the bound used, (rows + cols) times the independent variance, is
    generous)."""
    up, down = ou.coincidences(P, ROW_SIGN, Q_UP, Q_DOWN, COL_SIGN, SLOTS, seed=11)
    s = ROW_SIGN[:, :, None].astype(int) * COL_SIGN[:, None, :]
    for count, q, sel in ((up, Q_UP, s > 0), (down, Q_DOWN, s < 0)):
        pq = P[:, :, None] * q[:, None, :]
        mean = np.sum(np.where(sel, SLOTS[:, None, None] * pq, 0.0))
        var = np.sum(np.where(sel, SLOTS[:, None, None] * pq * (1 - pq), 0.0)) * (R + C)
        assert abs(count.sum() - mean) < 5 * np.sqrt(var), (count.sum(), mean, np.sqrt(var))
    # a row whose sign is 0 in every sample gets no pulse
    zero = np.zeros_like(ROW_SIGN)
    zero[:, 1:] = ROW_SIGN[:, 1:]
    up0, down0 = ou.coincidences(P, zero, Q_UP, Q_DOWN, COL_SIGN, SLOTS, seed=11)
    assert up0[0].sum() == 0 and down0[0].sum() == 0 and up0[1:].sum() > 0


@pytest.mark.parametrize("gamma", [0.0, 1.0, 0.5])
def test_apply_counts_matches_numpy_twin(gamma):
    n = 4000
    g = rand.uniform(0.0, 10.0, n)
    n_up = rand.integers(0, 60, n)  # beyond 32 pulses gamma 0 and 1 are fast-forwarded
    n_down = rand.integers(0, 60, n)
    up, down = pulsed.device_steps(n, dg_min=0.05, asymmetry=0.1, d2d=0.3, seed=3, g_span=10.0)
    kw = dict(g_min=0.0, g_max=10.0, dg_up=up, dg_down=down, gamma_up=gamma, gamma_down=gamma, c2c=0.3, seed=7)
    np.testing.assert_allclose(
        ou.apply_counts(g, n_up, n_down, **kw), ou.numpy_apply_counts(g, n_up, n_down, **kw), rtol=0, atol=1e-9
    )


def test_apply_counts_moves_a_linear_device_by_n_steps():
    """Gamma 0, away from the bounds: the change is (n_up - n_down) dg on average, each device within
    its c2c spread; the mean over 20,000 devices within 5 standard errors."""
    n = 20000
    n_up = rand.integers(0, 20, n)
    n_down = rand.integers(0, 20, n)
    out = ou.apply_counts(
        np.full(n, 5.0),
        n_up,
        n_down,
        g_min=0.0,
        g_max=10.0,
        dg_up=0.01,
        dg_down=0.01,
        gamma_up=0.0,
        gamma_down=0.0,
        c2c=0.3,
        seed=9,
    )
    resid = (out - 5.0) / 0.01 - (n_up - n_down)
    sd = 0.3 * np.sqrt(n_up + n_down)
    assert abs(resid.mean()) < 5 * np.sqrt(np.mean(sd**2) / n)
    assert np.all(np.abs(resid) <= 6 * sd + 1e-9)


@pytest.mark.parametrize(
    "call,name",
    [
        (lambda: ou.coincidences(P * 2, ROW_SIGN, Q_UP, Q_DOWN, COL_SIGN, SLOTS, seed=0), "p"),
        (lambda: ou.coincidences(P, ROW_SIGN * 2, Q_UP, Q_DOWN, COL_SIGN, SLOTS, seed=0), "row_sign"),
        (lambda: ou.coincidences(P, ROW_SIGN, Q_UP, Q_DOWN[:, :3], COL_SIGN, SLOTS, seed=0), "q_down"),
        (lambda: ou.coincidences(P, ROW_SIGN, Q_UP, Q_DOWN, COL_SIGN, SLOTS + 65, seed=0), "slots"),
        (
            lambda: ou.apply_counts(
                np.ones(3), [1, 2, -1], [0, 0, 0], g_min=0.0, g_max=2.0, dg_up=0.1, dg_down=0.1, seed=0
            ),
            "n_up",
        ),
        (
            lambda: ou.apply_counts(
                np.ones(3), [1, 2, 1], [0, 0, 0], g_min=0.0, g_max=2.0, dg_up=0.1, dg_down=5.0, seed=0
            ),
            "dg_down",
        ),
    ],
)
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=naming(name)):
        call()
