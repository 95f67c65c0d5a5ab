"""Issue 11: the digits MLP trained on analog tiles (kernels.tile_training, explorer.models.training.on_chip).

Fixed seeds; tolerances from the sample sizes or from the seed-to-seed spread measured at the
time of writing (stated at each test)."""

import numpy as np
import pytest
from argnames import naming

from explorer.models import TrainingExplorer
from explorer.models.digits import load_digits
from explorer.models.training.on_chip import (
    CORRELATION_EPOCH,
    DEVICE_PRESETS,
    TASK_PRESETS,
    OnChipTraining,
    device_bounds,
    device_steps,
    device_symmetry_points,
)
from kernels import tile_training as tk


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def _small_state(rng, n_in, nh, n_out, sp, offset):
    shapes = [(n_in + 1, nh), (nh + 1, n_out)]

    def arrays(f):
        return [f(sh) for sh in shapes]

    return tk.TileState(
        C=arrays(lambda sh: rng.uniform(-0.5, 0.5, sh)),
        Cn=arrays(np.zeros),
        D=arrays(lambda sh: _steps(rng, sh)),
        A=arrays(lambda sh: np.full(sh, sp)),
        An=arrays(np.zeros),
        E=arrays(lambda sh: _steps(rng, sh)),
        H=arrays(np.zeros),
        R=arrays(lambda sh: sp + offset * rng.standard_normal(sh)),
        P=arrays(lambda sh: np.full(sh, sp)),
        S=[np.zeros((sh[0], sh[1] + 1)) for sh in shapes],
        chop=[np.ones(sh[0]) for sh in shapes],
    )


def _steps(rng, sh, a=0.2):
    """Up and down steps and bounds (4, rows, cols) of devices with bias a, each spread independently
    (bounds 0.7 to 1.3, outside the initial weights)."""
    return np.stack(
        [
            0.01 * (1 + a) * rng.uniform(0.7, 1.3, sh),
            0.01 * (1 - a) * rng.uniform(0.7, 1.3, sh),
            rng.uniform(0.7, 1.3, sh),
            rng.uniform(0.7, 1.3, sh),
        ]
    )


def _constant(step, sh):
    """Device array (4, *sh): every device steps by `step` both ways, bounds +-1."""
    return np.concatenate([np.full((2, *sh), step), np.ones((2, *sh))])


# momentum, forget_buffer, max_steps, tail_weightening: aihwkit's defaults, then the other buffer rule
# with a cap of 3 pulses (the rates below make H cross 1 by several pulses at a time).
BUFFER_RULES = [(0.0, 1.0, 1.0, 5.0), (0.3, 0.0, 3.0, 2.0)]


@pytest.mark.parametrize("rule", BUFFER_RULES)
@pytest.mark.parametrize("algorithm", tk.ALGORITHMS)
def test_kernel_equals_its_numpy_twin(algorithm, rule):
    """Same draws, same arithmetic: every array of the state and the returned tallies agree after 40
    samples with read noise, DAC/ADC, write noise, c2c spread, frequent chopper flips, and both
    buffer rules."""
    rng = np.random.default_rng(3)
    X, labels = (
        rng.integers(0, 17, (30, 7)) / 16.0,
        rng.integers(0, 4, 30),
    )  # pixels as digits: exact halves for the DAC
    order = rng.integers(0, 30, 40)
    state = _small_state(rng, 7, 5, 4, sp=0.2, offset=0.05)
    twin = state.copy()
    dev = np.array([0.01, 1.0, 0.3, 2.0])
    io = np.array([0.02, 127.0, 255.0, 12.0])
    alg = np.array([0.1, 0.2, 2.0, 0.5, 31.0, *rule])  # chopper_p 0.5: AGAD's period 2, C written from pass 3
    scales = np.array([1.2, 1.5])
    keys = tk.make_keys(11)
    out = tk.train_samples(state, X, labels, order, 5, algorithm, scales, dev, io, alg, keys)
    ref = tk.numpy_train_samples(twin, X, labels, order, 5, algorithm, scales, dev, io, alg, keys)
    np.testing.assert_allclose(out, ref, rtol=1e-9)
    for name in tk.TileState.NAMES:
        for a, b in zip(getattr(state, name), getattr(twin, name)):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12, err_msg=name)
    np.testing.assert_array_equal(state.counters, twin.counters)
    if algorithm != "float SGD":
        assert out[2] > 0  # pulses were applied
    if algorithm in ("TTv2", "c-TTv2", "AGAD"):
        assert out[3] == 20 and np.any(np.abs(state.H[0]) > 0)  # transfers every 2 samples filled H
        assert out[4] > 0  # the cap held pulses back (counted)
    if algorithm in ("c-TTv2", "AGAD"):
        assert np.any(state.chop[0] < 0)  # some choppers flipped


@pytest.mark.parametrize("rule", BUFFER_RULES)
@pytest.mark.parametrize("algorithm", tk.ALGORITHMS)
def test_linear_kernel_equals_its_numpy_twin(algorithm, rule):
    """The one-tile linear task (5 x 5 correlation) the same way: every array and tally agree after
    60 samples with read noise, DAC/ADC, write noise, c2c spread and chopper flips."""
    rng = np.random.default_rng(4)
    X = rng.integers(-16, 17, (40, 5)) / 16.0  # exact halves for the DAC
    Y = X @ rng.uniform(-0.5, 0.5, (5, 5)) + 0.1 * rng.standard_normal((40, 5))
    order = rng.integers(0, 40, 60)
    sh = (5, 5)
    state = tk.TileState(
        C=[rng.uniform(-0.3, 0.3, sh)],
        Cn=[np.zeros(sh)],
        D=[_steps(rng, sh)],
        A=[np.full(sh, 0.2)],
        An=[np.zeros(sh)],
        E=[_steps(rng, sh)],
        H=[np.zeros(sh)],
        R=[0.2 + 0.05 * rng.standard_normal(sh)],
        P=[np.full(sh, 0.2)],
        S=[np.zeros((5, 6))],
        chop=[np.ones(5)],
    )
    twin = state.copy()
    dev = np.array([0.01, 1.0, 0.3, 2.0])
    io = np.array([0.02, 127.0, 255.0, 4.0])
    alg = np.array([0.5, 0.2, 2.0, 0.5, 31.0, *rule])
    keys = tk.make_keys(12)
    out = tk.train_linear(state, X, Y, order, 7, algorithm, dev, io, alg, keys)
    ref = tk.numpy_train_linear(twin, X, Y, order, 7, algorithm, dev, io, alg, keys)
    np.testing.assert_allclose(out, ref, rtol=1e-9)
    for name in tk.TileState.NAMES:
        np.testing.assert_allclose(getattr(state, name)[0], getattr(twin, name)[0], rtol=1e-9, atol=1e-12, err_msg=name)
    np.testing.assert_array_equal(state.counters, twin.counters)
    assert tk.evaluate_linear(state, X, Y, io, keys, 3) == pytest.approx(
        0.5
        * sum(
            np.sum(
                (tk._np_read(state.C[0], state.Cn[0], x, False, tk.ReadOut(*io), keys[tk.K_EVAL], 3 + s, 0, 0) - y) ** 2
            )
            for s, (x, y) in enumerate(zip(X, Y))
        ),
        rel=1e-9,
    )
    if algorithm != "float SGD":
        assert out[2] > 0
    if algorithm in ("TTv2", "c-TTv2", "AGAD"):
        assert out[3] == 30 and np.any(np.abs(state.H[0]) > 0) and out[4] > 0
    if algorithm in ("c-TTv2", "AGAD"):
        assert np.any(state.chop[0] < 0)


def test_linear_kernel_names_bad_shapes():
    sh = (5, 5)
    state = tk.TileState(
        **{n: [np.zeros(sh)] for n in tk.TileState.NAMES if n not in ("S", "chop")},
        S=[np.zeros((5, 6))],
        chop=[np.ones(5)],
    )
    args = (np.zeros(0, dtype=np.int64), 0, "TTv2", np.ones(4), np.zeros(4), np.ones(9), tk.make_keys(0))
    with pytest.raises(ValueError, match="X must be"):
        tk.train_linear(state, np.zeros((3, 4)), np.zeros((3, 5)), *args)
    with pytest.raises(ValueError, match=naming("algorithm")):
        tk.train_linear(state, np.zeros((3, 5)), np.zeros((3, 5)), args[0], 0, "SGD", *args[3:])


def test_pulse_update_is_minus_lr_x_d_on_average():
    """Far from the bounds (slope 0, no spread) a device's expected change is -lr x_i d_j; the pulse
    count is binomial, so the mean over N updates has standard error dw sqrt(bl p q (1 - p q) / N)."""
    x, d, lr, bl, dw, n = np.array([0.9, -0.3, 0.5]), np.array([0.4, -0.2]), 0.01, 31, 0.002, 3000
    dev = np.array([dw, 0.0, 0.0, 0.0])
    total = np.zeros((3, 2))
    for t in range(n):
        W = np.zeros((3, 2))
        tk._np_pulse_update(
            W, np.zeros((3, 2)), _constant(dw, (3, 2)), x, d, lr, tk.Device(*dev), bl, tk.make_keys(1), t, 0, 0
        )
        total += W
    scale = lr / (bl * dw)
    cx, cd = np.sqrt(scale * 0.4 / 0.9), np.sqrt(scale * 0.9 / 0.4)
    pq = np.outer(np.abs(x) * cx, np.abs(d) * cd)
    se = dw * np.sqrt(bl * pq * (1 - pq) / n)
    assert np.all(np.abs(total / n + lr * np.outer(x, d)) < 4 * se)


@pytest.mark.parametrize("a, s", [(0.4, 1.0), (-0.1, 0.3)])
def test_random_pulses_drive_each_device_to_its_own_symmetry_point(a, s):
    """Up and down pulses in random order: each device settles where its own steps are equal,
    ``w* = (up - down) / (s (up + down))`` (`device_symmetry_points`). Steps from `device_steps`
    with the up/down bias spread by 0.1 from device to device, so the points differ (their spread,
    0.1 / s, is asserted). Each device relaxes with a time constant of 1 / (s dw) pulses and rests
    with a spread sqrt(dw / 2s), so its time average over T pulses after 5 time constants has a
    standard error of 1 / (s sqrt(T)) (0.011 and 0.037 here, T = 8000): the RMS distance to the
    devices' own points (those inside +-0.8: at the bounds the weight cannot sit on its side) is
    below twice that, and the nominal a / s, the same for all, is off by more than four times that."""
    n_dev, n_states, T = 200, 500, 8000
    steps = device_steps(5, n_states, 0.3, 0, n_dev, asymmetry=a, up_down_d2d=0.1)
    sp = device_symmetry_points(steps, s)
    assert sp.std() == pytest.approx(0.1 / s, rel=0.15)
    r = np.random.default_rng(0)
    w = np.clip(a / s + r.uniform(-0.3, 0.3, n_dev), -0.95, 0.95)
    dev = tk.Device(2.0 / n_states, s, 0.3, 0.0)
    key = tk.make_keys(2)[tk.K_PULSE]
    burn = int(5 * n_states / 2 / s)
    mean = np.zeros(n_dev)
    for k in range(burn + T):
        up = r.random(n_dev) < 0.5
        w = tk._np_pulses(
            w,
            np.ones(n_dev, dtype=np.int64),
            up,
            np.where(up, steps[0], steps[1]),
            np.ones(n_dev),
            np.ones(n_dev),
            dev,
            key,
            np.arange(n_dev, dtype=np.uint64) * np.uint64(1 << 20) + np.uint64(k),
        )
        if k >= burn:
            mean += w / T
    inside = np.abs(sp) < 0.8
    se = 1.0 / (s * np.sqrt(T))
    assert np.sqrt(np.mean((mean - sp)[inside] ** 2)) < 2 * se
    assert np.sqrt(np.mean((mean - a / s)[inside] ** 2)) > 4 * se
    assert np.corrcoef(mean, sp)[0, 1] > 0.9


def test_each_device_gets_its_own_symmetry_point_and_r_follows_it_with_the_offset_on_top():
    """With the up/down bias spread (aihwkit up_down_dtod) the devices of a run have distinct
    symmetry points: on soft bounds w* = a + up_down_d2d z, spread 0.05 here over 2,410 devices of
    A (the standard error of that spread is about 0.05 / sqrt(2 x 2410) = 7e-4). A starts at its
    devices' own points; R equals them without offset error, and the offset adds an independent
    error of its standard deviation on top (0.2 +- 0.003)."""
    kw = dict(algorithm="TTv2", device="asymmetric soft bounds, 300 states", seed=1)
    exact = OnChipTraining(**kw, reference_offset=0.0).run()
    off = OnChipTraining(**kw, reference_offset=0.2).run()
    for layer in range(2):
        sp = device_symmetry_points(exact.state.E[layer], exact.settings["slope"])
        np.testing.assert_array_equal(exact.state.R[layer], sp)
        np.testing.assert_array_equal(exact.state.A[layer], sp)
        np.testing.assert_array_equal(off.state.A[layer], sp)
    sp = np.concatenate([device_symmetry_points(e, 1.0).ravel() for e in exact.state.E])
    assert sp.mean() == pytest.approx(0.4, abs=0.005) and sp.std() == pytest.approx(0.05, abs=0.003)
    err = np.concatenate([(o - e).ravel() for o, e in zip(off.state.R, exact.state.R)])
    assert err.mean() == pytest.approx(0.0, abs=0.015) and err.std() == pytest.approx(0.2, abs=0.01)
    assert abs(np.corrcoef(err, sp)[0, 1]) < 0.1
    same = OnChipTraining(**kw, up_down_d2d=0.0).run()
    assert np.ptp(np.concatenate([r.ravel() for r in same.state.R])) < 1e-12  # no spread: one point


def test_device_bounds_are_drawn_as_aihwkits_and_leave_the_steps_alone():
    """aihwkit's w_max_dtod and w_min_dtod: bounds 1 + 0.3 z and -(1 + 0.2 z'), independent per device
    and of each other (20,000 devices: the standard errors of mean and standard deviation are
    0.3 / sqrt(20000) = 0.002 and 0.0015); spreads of 0 give +-1 exactly; the step draws are the
    same with or without bound spreads (their own streams)."""
    n = 20000
    hi, lo = device_bounds(3, 2, n, w_max_d2d=0.3, w_min_d2d=0.2)
    assert hi.mean() == pytest.approx(1.0, abs=0.01) and hi.std() == pytest.approx(0.3, abs=0.008)
    assert lo.mean() == pytest.approx(1.0, abs=0.01) and lo.std() == pytest.approx(0.2, abs=0.006)
    assert abs(np.corrcoef(hi, lo)[0, 1]) < 0.03
    assert np.array_equal(device_bounds(3, 2, n), np.ones((2, n)))
    a = OnChipTraining(task=FIVE, seed=2, w_max_d2d=0.3, w_min_d2d=0.3).run()
    b = OnChipTraining(task=FIVE, seed=2).run()
    assert np.array_equal(a.state.E[0][:2], b.state.E[0][:2]) and np.array_equal(a.state.D[0][:2], b.state.D[0][:2])
    assert np.array_equal(b.state.E[0][2:], np.ones((2, 5, 5))) and np.ptp(a.state.E[0][2]) > 0.3


@pytest.mark.parametrize("slope", [0.0, 1.0])
def test_kernel_pulses_stop_at_each_devices_own_bounds(slope):
    """The Numba kernel's device model (`device_response`): up pulses from the device's own lower
    bound -b_lo end at its own upper bound b_hi (a constant-step device clips there exactly; a
    soft-bounds device's step ``dw (1 - w / b_hi)`` vanishes there, so after 40 / dw pulses it is
    within 3 e^(-40 / b_hi), below 1e-12, of it) and never beyond; the old model clipped every device
    at +-1."""
    bounds = device_bounds(4, 0, 6, w_max_d2d=0.3, w_min_d2d=0.3)
    steps = np.vstack([np.full((2, 6), 0.01), bounds])
    w = tk.device_response(steps, np.array([0.01, slope, 0.0, 0.0]), 4000)
    np.testing.assert_array_equal(w[:, 0], -bounds[1])
    np.testing.assert_allclose(w[:, 4000], bounds[0], rtol=0, atol=1e-8)
    np.testing.assert_allclose(w[:, -1], -bounds[1], rtol=0, atol=1e-8)
    assert np.all(w <= bounds[0][:, None]) and np.all(w >= -bounds[1][:, None])
    assert np.ptp(w[:, 4000]) > 0.1


def test_symmetry_points_follow_the_bound_spreads_and_r_follows_them():
    """Soft bounds with bound spreads (aihwkit w_max_dtod, w_min_dtod 0.3) and no up/down spread:
    each device's steps dw (1 + a)(1 - w / b_hi) and dw (1 - a)(1 + w / b_lo) are equal at
    ``w* = 2a / ((1 + a) / b_hi + (1 - a) / b_lo)``, so the points spread with the bounds, about
    0.8 x 0.3 sqrt(1.4^2 + 0.6^2) / 4 = 0.091 to first order at a = 0.4 (2,410 devices: the
    standard error of that spread is 0.0013; the first-order figure is good to a few percent at
    this spread). R (without offset error) and A's rest sit at each device's own point; the
    device's step factor (d2d) cancels out of w*. Without bound spreads every point is a = 0.4."""
    kw = dict(
        algorithm="TTv2", device="asymmetric soft bounds, 300 states", up_down_d2d=0.0, seed=1, reference_offset=0.0
    )
    run = OnChipTraining(**kw, w_max_d2d=0.3, w_min_d2d=0.3).run()
    pts = []
    for layer in range(2):
        up, down, hi, lo = run.state.E[layer]
        formula = 2 * 0.4 / (1.4 / hi + 0.6 / lo)
        np.testing.assert_allclose(device_symmetry_points(run.state.E[layer], 1.0), formula, rtol=1e-12)
        np.testing.assert_allclose(run.state.R[layer], formula, rtol=1e-12)
        np.testing.assert_allclose(run.state.A[layer], formula, rtol=1e-12)
        np.testing.assert_allclose(up / down, 1.4 / 0.6, rtol=1e-12)  # no up/down spread
        pts.append(formula.ravel())
    pts = np.concatenate(pts)
    assert pts.std() == pytest.approx(0.8 * 0.3 * np.hypot(1.4, 0.6) / 4, rel=0.1)
    assert np.corrcoef(pts, np.concatenate([e[2].ravel() for e in run.state.E]))[0, 1] > 0.8
    flat = OnChipTraining(**kw).run()
    np.testing.assert_allclose(np.concatenate([r.ravel() for r in flat.state.R]), 0.4, rtol=1e-12)


def test_random_pulses_drive_each_device_to_the_symmetry_point_its_bounds_set():
    """The NumPy twin's device model (the kernels' twin) with bounds spread by 0.3 and no up/down
    spread: random up and down pulses settle each soft-bounds device at its own ``w*`` from the
    bounds (as `test_random_pulses_drive_each_device_to_its_own_symmetry_point`: time average over
    T = 8000 pulses, standard error 1 / sqrt(T) = 0.011; RMS distance below twice that, distance
    to the common a = 0.4 above four times that)."""
    n_dev, n_states, T, a = 200, 500, 8000, 0.4
    steps = np.vstack(
        [
            device_steps(5, n_states, 0.3, 0, n_dev, asymmetry=a),
            device_bounds(5, 0, n_dev, w_max_d2d=0.3, w_min_d2d=0.3),
        ]
    )
    sp = device_symmetry_points(steps, 1.0)
    r = np.random.default_rng(0)
    w = np.clip(a + r.uniform(-0.3, 0.3, n_dev), -0.95, 0.95)
    dev = tk.Device(2.0 / n_states, 1.0, 0.3, 0.0)
    key = tk.make_keys(2)[tk.K_PULSE]
    burn = int(5 * n_states / 2)
    mean = np.zeros(n_dev)
    for k in range(burn + T):
        up = r.random(n_dev) < 0.5
        w = tk._np_pulses(
            w,
            np.ones(n_dev, dtype=np.int64),
            up,
            np.where(up, steps[0], steps[1]),
            steps[2],
            steps[3],
            dev,
            key,
            np.arange(n_dev, dtype=np.uint64) * np.uint64(1 << 20) + np.uint64(k),
        )
        if k >= burn:
            mean += w / T
    se = 1.0 / np.sqrt(T)
    assert np.sqrt(np.mean((mean - sp) ** 2)) < 2 * se
    assert np.sqrt(np.mean((mean - a) ** 2)) > 4 * se


def _transfers_only(algorithm, A, R, H, alg, n, P=None, S=None):
    """`n` transfers of a one-row tile with nothing else happening: zero inputs leave A alone (no
    update pulses), the read-out is ideal, and C's devices step by exactly 0.1 (constant step, no
    spread, no noise). Returns the state and the tallies."""
    m = A.size
    sh = (1, m)
    state = tk.TileState(
        C=[np.zeros(sh)],
        Cn=[np.zeros(sh)],
        D=[_constant(0.1, sh)],
        A=[A.reshape(sh)],
        An=[np.zeros(sh)],
        E=[_constant(0.1, sh)],
        H=[H.reshape(sh)],
        R=[R.reshape(sh)],
        P=[np.zeros(sh) if P is None else P.reshape(sh)],
        S=[np.zeros((1, m + 1)) if S is None else np.append(S, 0.0).reshape(1, m + 1)],
        chop=[np.ones(1)],
    )
    twin = state.copy()
    X, Y = np.zeros((n, 1)), np.zeros((n, m))
    dev, io = np.array([0.1, 0.0, 0.0, 0.0]), np.zeros(4)
    out = tk.train_linear(state, X, Y, np.arange(n), 0, algorithm, dev, io, alg, tk.make_keys(0))
    ref = tk.numpy_train_linear(twin, X, Y, np.arange(n), 0, algorithm, dev, io, alg, tk.make_keys(0))
    np.testing.assert_array_equal(out, ref)
    return state, out


def _aihwkit_buffer(h, inc, momentum, forget, max_steps):
    """aihwkit's buffered transfer for one device (rpu_buffered_transfer_device.cpp, readAndUpdate,
    granularity 1): returns (new buffer, pulses sent, pulses held back by the cap)."""
    omega = h + inc
    n = max(min(np.trunc(omega), max_steps), -max_steps)
    if n != 0:
        omega = omega * momentum if forget else omega - (1.0 - momentum) * n
    return omega, n, abs(np.trunc(h + inc)) - abs(n)


@pytest.mark.parametrize(
    "momentum, forget, max_steps", [(0.0, True, 1), (0.1, True, 1), (0.0, False, 1), (0.3, False, 2), (0.0, True, 1024)]
)
def test_ttv2_buffer_follows_aihwkit_and_counts_the_pulses_the_cap_holds_back(momentum, forget, max_steps):
    """Three TTv2 transfers of a row whose reads minus R give buffer increments 2.7, -0.4, 0.6 and
    1.3 (lr_h 1, dw_min 0.1): H, the pulses sent to C (C moves 0.1 per pulse) and the pulses held
    back are aihwkit's rule step by step. (The old rule, ``H -= trunc(H)`` with no cap and nothing
    forgotten, leaves H at 0.7 after the first transfer of 2.7, not aihwkit's 0 or 0.27.)"""
    inc = np.array([2.7, -0.4, 0.6, 1.3])
    A = np.array([0.3, 0.1, 0.2, 0.0])
    R = A - 0.1 * inc
    alg = np.array([0.1, 1.0, 1.0, 0.0, 31.0, momentum, float(forget), max_steps, 5.0])
    state, out = _transfers_only("TTv2", A, R, np.zeros(4), alg, 3)
    h, pulses, held = np.zeros(4), np.zeros(4), 0.0
    for _ in range(3):
        for j in range(4):
            h[j], n, c = _aihwkit_buffer(h[j], inc[j], momentum, forget, max_steps)
            pulses[j] += n
            held += c
    np.testing.assert_allclose(state.H[0].ravel(), h, atol=1e-12)
    np.testing.assert_allclose(state.C[0].ravel(), 0.1 * pulses, atol=1e-12)
    assert out[2] == np.abs(pulses).sum() and out[4] == held
    if max_steps == 1:
        assert held > 0


@pytest.mark.parametrize("tail, forget, momentum, h0", [(5.0, True, 0.0, (0.0, 0.0)), (2.0, False, 0.2, (5.5, -4.5))])
def test_agad_is_aihwkits_dynamic_transfer_rule(tail, forget, momentum, h0):
    """AGAD on a one-row tile whose reads stay at 0.3 and -0.2 while its running mean M and reference
    P start at 0 (aihwkit's DynamicTransferCompound, rpu_dynamic_transfer_device.cpp, transcribed
    here): regular chopper flips after every ``max(ceil(1 / chopper_p), 2)``-th read (3 here), M the
    tail-weighted running mean (``m = min(tail_weightening / 3, 1)``: 1, and 2 / 3), P taking M's
    value at the first read after a flip, H += lr_h c (read - P) / dw_min with aihwkit's buffer rule
    (both kinds), and no pulses to C during the first period (aihwkit writes once its pass counter
    exceeds the period): a buffer that starts full (second case) is written only from the fifth
    read on. The old rule flips at random and uses the plain mean of the last period."""
    alg = np.array([0.1, 0.5, 1.0, 0.34, 31.0, momentum, float(forget), 1.0, tail])  # period ceil(1 / 0.34) = 3
    n = 12
    state, out = _transfers_only("AGAD", np.array([0.3, -0.2]), np.zeros(2), np.array(h0), alg, n)
    period, m = 3, min(tail / 3, 1.0)
    read = np.array([0.3, -0.2])
    M, P, H, C, chop, switched, held = np.zeros(2), np.zeros(2), np.array(h0), np.zeros(2), 1.0, False, 0.0
    chops, written = [], []
    for c in range(n):
        if switched:
            P = M.copy()
        switched = False
        omega = H + 0.5 * chop * (read - P) / 0.1
        whole = np.where(np.abs(omega) >= 1, np.trunc(omega), 0.0)
        steps = np.clip(whole, -1, 1)
        H = np.where(steps != 0, omega * momentum if forget else omega - (1 - momentum) * steps, omega)
        M = M * (1 - m) + read * m
        if c > period:
            C += 0.1 * steps
            held += float(np.sum(np.abs(whole) - np.abs(steps)))
            written.append(c) if np.any(steps) else None
        if c % period + 1 == period:
            chop, switched = -chop, True
        chops.append(chop)
    np.testing.assert_allclose(state.H[0].ravel(), H, atol=1e-12)
    np.testing.assert_allclose(state.S[0][0, :2], M, atol=1e-12)
    np.testing.assert_allclose(state.P[0].ravel(), P, atol=1e-12)
    np.testing.assert_allclose(state.C[0].ravel(), C, atol=1e-12)
    assert state.chop[0][0] == chops[-1] and chops[:6] == [1, 1, -1, -1, -1, 1]
    assert out[4] == held and out[2] == round(np.abs(C).sum() / 0.1)
    if h0[0]:
        assert written and written[0] == 4


def test_capped_pulses_reach_the_points_and_the_view():
    """The pulses the cap holds back are counted in the run's Points (none for algorithms without a
    buffer, none when the cap is never reached) and shown under the learning curves."""
    from explorer.views.training import TrainingView

    kw = dict(task=FIVE, seed=0, lr_h=0.05, transfer_every=5)  # H steps of several pulses a read
    capped = OnChipTraining(algorithm="TTv2", **kw).run()
    capped.step(500)
    assert capped.points[-1].capped_pulses > 0 and capped.points[-1].capped_pulses == capped.capped_pulses
    assert [p.capped_pulses for p in capped.points] == sorted(p.capped_pulses for p in capped.points)
    free = OnChipTraining(algorithm="TTv2", max_steps=1024, **kw).run()
    free.step(500)
    assert free.points[-1].capped_pulses == 0
    sgd = OnChipTraining(algorithm="analog SGD", **kw).run()
    sgd.step(500)
    assert sgd.points[-1].capped_pulses == 0
    v = TrainingView()
    v.model.param.update(compared=["TTv2"], algorithm="TTv2", **kw)
    v.plots()
    v.model.step(500)
    title = v._plots["Learning curves, 5 x 5 task"][1].title  # the text given; the figure shows it wrapped
    assert f"{capped.capped_pulses:,} held back by the cap of 1 per transfer" in title


def test_constant_step_presets_have_slope_zero_and_the_read_noise_is_aihwkits():
    """aihwkit's GokmenVlasovPresetDevice and IdealizedPresetDevice are ConstantStepDevices (no
    state dependence: slope 0) with up_down_dtod 0.01 and 0; its IOParameters.out_noise is 0.06."""
    gv, ideal = DEVICE_PRESETS["constant step, 1200 states"], DEVICE_PRESETS["idealized, 10000 states"]
    assert (gv["slope"], gv["n_states"], gv["up_down_d2d"]) == (0.0, 1200, 0.01)
    assert (ideal["slope"], ideal["n_states"], ideal["up_down_d2d"]) == (0.0, 10000, 0.0)
    bounds = {name: (p["w_max_d2d"], p["w_min_d2d"]) for name, p in DEVICE_PRESETS.items()}
    assert bounds == {
        "constant step, 1200 states": (0.3, 0.3),
        "idealized, 10000 states": (0.3, 0.3),
        "ReRAM-like, 1000 states": (0.3, 0.3),
        "ECRAM-like, near linear": (0.05, 0.05),
        "asymmetric soft bounds, 300 states": (0.0, 0.0),
    }  # aihwkit's; the last is ours
    assert OnChipTraining().read_noise == 0.06
    m = OnChipTraining(device="constant step, 1200 states")
    assert (m.slope, m.symmetry_point()) == (0.0, 0.0)
    u = TrainingExplorer(device="idealized, 10000 states", c2c=0.0, d2d=0.0).update_curve(pulses=100)
    np.testing.assert_allclose(np.diff(u["w"][:101]), 2.0 / 10000, rtol=1e-9)  # constant steps


@pytest.mark.parametrize(
    "field, value",
    [
        ("momentum", 1.5),
        ("forget_buffer", 0.5),
        ("max_steps", 0),
        ("max_steps", 2.5),
        ("tail_weightening", 0.0),
        ("bl", 65),
    ],
)
def test_bad_transfer_settings_raise_naming_the_field(field, value):
    sh = (1, 2)
    state = tk.TileState(
        C=[np.zeros(sh)],
        Cn=[np.zeros(sh)],
        D=[_constant(0.1, sh)],
        A=[np.zeros(sh)],
        An=[np.zeros(sh)],
        E=[_constant(0.1, sh)],
        H=[np.zeros(sh)],
        R=[np.zeros(sh)],
        P=[np.zeros(sh)],
        S=[np.zeros((1, 3))],
        chop=[np.ones(1)],
    )
    alg = dict(zip(tk.ALGO_FIELDS, [0.1, 1.0, 1.0, 0.0, 31.0, 0.0, 1.0, 1.0, 5.0]))
    alg[field] = value
    with pytest.raises(ValueError, match=naming(field)):
        tk.train_linear(
            state,
            np.zeros((1, 1)),
            np.zeros((1, 2)),
            np.arange(1),
            0,
            "TTv2",
            np.array([0.1, 0, 0, 0]),
            np.zeros(4),
            np.array(list(alg.values())),
            tk.make_keys(0),
        )
    for old in (np.full((1, 2), 0.1), np.full((2, 1, 2), 0.1)):  # one step per device; steps without bounds
        state.D[0] = old
        with pytest.raises(ValueError, match="state.D"):
            tk.train_linear(
                state,
                np.zeros((1, 1)),
                np.zeros((1, 2)),
                np.arange(1),
                0,
                "TTv2",
                np.array([0.1, 0, 0, 0]),
                np.zeros(4),
                np.array([0.1, 1.0, 1.0, 0.0, 31.0, 0.0, 1.0, 1.0, 5.0]),
                tk.make_keys(0),
            )


def _final_accuracy(digits, epochs, seed, **settings):
    m = OnChipTraining(seed=seed, **settings)
    return float(m.train(epochs, digits=digits)[-1].test_accuracy)


def test_sgd_falls_far_below_float_and_tiki_taka_comes_close(digits):
    """The issue's first must-show, on the strongly asymmetric preset (300 states, symmetry point at
    0.4), seeds 0 to 2, 15 epochs, the defaults (lr 0.03, lr_h 0.01, aihwkit's transfer rules).
    Measured (`python -m explorer.tools.study_onchip digits`, README): float SGD 96.4 % (97.2, 96.1, 95.8),
    in-memory SGD 19.8 % (12.8, 24.2, 22.3), TTv2 92.2 % (91.9, 92.2, 92.5). The seed spread is
    about a point for TTv2 and float, 10 for SGD: the margins hold for every seed."""
    kw = dict(device="asymmetric soft bounds, 300 states")
    for seed in range(3):
        fp = _final_accuracy(digits, 15, seed, algorithm="float SGD", **kw)
        sgd = _final_accuracy(digits, 15, seed, algorithm="analog SGD", **kw)
        tt = _final_accuracy(digits, 15, seed, algorithm="TTv2", **kw)
        assert fp > 0.94
        assert sgd < fp - 0.3, (seed, fp, sgd)
        assert tt > fp - 0.07, (seed, fp, tt)
        assert tt > sgd + 0.3


def test_ttv2_degrades_with_the_reference_offset_and_agad_does_not(digits):
    """The issue's second must-show (defaults, 15 epochs, seeds 0 to 2). Measured at reference
    offset 0 / 0.2 / 0.5 / 0.8: TTv2 92.2 / 88.8 / 77.9 / 59.6 %, c-TTv2 89.8 / 88.0 / 77.3 / 58.3 %,
    AGAD 91.2 % at every offset (its reference is A's own running mean, so no reference array, and
    no offset, enters). Tested at 0 and 0.5: TTv2 loses 10.9 to 18.9 points per seed, so more than
    6; AGAD at 0.5 is above TTv2 at 0.5 by 10.3 to 17.0 points."""
    for seed in range(3):
        tt0 = _final_accuracy(digits, 15, seed, algorithm="TTv2", reference_offset=0.0)
        tt5 = _final_accuracy(digits, 15, seed, algorithm="TTv2", reference_offset=0.5)
        agad5 = _final_accuracy(digits, 15, seed, algorithm="AGAD", reference_offset=0.5)
        assert tt5 < tt0 - 0.06, (seed, tt0, tt5)
        assert agad5 > tt5 + 0.05, (seed, tt5, agad5)


def test_same_seed_same_history_and_steps_compose(digits):
    """A run is a pure function of its settings and seed: two runs agree exactly, and training one
    epoch in uneven steps gives the one-step numbers."""
    m = OnChipTraining(algorithm="c-TTv2", seed=4, read_noise=0.05, write_noise=3.0)
    a, b = m.run(digits), m.run(digits)
    a.step(digits.X_train.shape[0])
    for n in (100, 37, digits.X_train.shape[0] - 137):
        b.step(n)
    pa, pb = a.history[-1], b.history[-1]
    assert (pa.test_accuracy, pa.test_loss, pa.pulses) == (pb.test_accuracy, pb.test_loss, pb.pulses)
    assert pa.train_loss == pytest.approx(pb.train_loss, rel=1e-12)  # summed in another order
    for name in tk.TileState.NAMES:
        for x, y in zip(getattr(a.state, name), getattr(b.state, name)):
            np.testing.assert_array_equal(x, y)
    c = OnChipTraining(algorithm="c-TTv2", seed=5, read_noise=0.05, write_noise=3.0).run(digits)
    c.step(200)
    assert not np.array_equal(c.state.C[0], b.state.C[0])


def test_history_has_loss_accuracy_pulses_and_chip_time(digits):
    h = OnChipTraining(algorithm="TTv2").train(2, digits=digits)
    assert [p.epoch for p in h] == [1.0, 2.0]
    assert h[1].pulses > h[0].pulses > 0
    assert h[1].chip_time_s == pytest.approx(2 * h[0].chip_time_s)
    assert h[1].train_loss < h[0].train_loss and 0.5 < h[1].test_accuracy <= 1.0


def test_presets_set_the_device_and_given_values_win():
    m = OnChipTraining(device="ReRAM-like, 1000 states")
    assert (m.n_states, m.write_noise) == (1000, 56.0)
    m.device = "ECRAM-like, near linear"
    assert m.slope == DEVICE_PRESETS["ECRAM-like, near linear"]["slope"]
    assert OnChipTraining(device="ReRAM-like, 1000 states", n_states=77).n_states == 77
    m.param.update(device="ReRAM-like, 1000 states", n_states=500)  # as a shared link's query sets them
    assert (m.n_states, m.write_noise) == (500, 56.0)
    m.param.update(task="5 x 5 correlation", epochs=2)
    assert (m.epochs, m.lr) == (2, TASK_PRESETS["5 x 5 correlation"]["lr"])
    assert all(p["source"] for p in DEVICE_PRESETS.values())


@pytest.mark.parametrize(
    "field, value",
    [
        ("lr", 0.0),
        ("lr", -0.1),
        ("lr_h", 0.0),
        ("n_states", 1),
        ("n_states", 0),
        ("transfer_every", 0),
        ("algorithm", "Adam"),
        ("task", "MNIST"),
        ("label_noise", -0.1),
    ],
)
def test_bad_settings_raise_naming_the_argument(field, value):
    with pytest.raises(ValueError, match=naming(field)):
        OnChipTraining(**{field: value})


FIVE = "5 x 5 correlation"


@pytest.fixture(scope="module")
def settled_5x5():
    """The 5 x 5 task on the kernels (read-out included), 200 states, no label noise, 3 epochs of
    1,000 samples, seeds 0 to 3 (100 weights): per (algorithm, asymmetry) each weight's shift off
    the target toward w* = a, pooled, and the final weight error per seed."""
    out = {}
    for asymmetry in (0.5, -0.5):
        for algorithm, rates in (("analog SGD", dict(lr=0.1)), ("TTv2", dict(lr=0.2, lr_h=0.02))):
            runs = []
            for seed in range(4):
                run = OnChipTraining(
                    algorithm=algorithm,
                    task=FIVE,
                    n_states=200,
                    asymmetry=asymmetry,
                    label_noise=0.0,
                    seed=seed,
                    **rates,
                ).run()
                run.run_epochs(3)
                runs.append(run)
            toward = np.concatenate([((r.weights - r.target) * np.sign(asymmetry - r.target)).ravel() for r in runs])
            out[algorithm, asymmetry] = dict(toward=toward, error=np.array([r.history[-1].weight_error for r in runs]))
    return out


@pytest.mark.parametrize("asymmetry", [0.5, -0.5])
def test_5x5_task_in_memory_sgd_settles_toward_the_symmetry_point_and_ttv2_does_not(settled_5x5, asymmetry):
    """In-memory SGD (lr 0.1) ends shifted toward w* = a by more than three standard errors of the
    mean shift over the pooled weights; TTv2 (lr 0.2, lr_h 0.02, a transfer every sample) by less
    than three, by less than SGD's by more than three standard errors of the difference, and with
    a smaller weight error on every seed."""
    sgd, tt = settled_5x5["analog SGD", asymmetry], settled_5x5["TTv2", asymmetry]
    se = {k: v["toward"].std(ddof=1) / np.sqrt(v["toward"].size) for k, v in (("sgd", sgd), ("tt", tt))}
    assert sgd["toward"].mean() > 3 * se["sgd"]
    assert abs(tt["toward"].mean()) < 3 * se["tt"]
    assert sgd["toward"].mean() - tt["toward"].mean() > 3 * np.hypot(se["sgd"], se["tt"])
    assert np.all(tt["error"] < sgd["error"])


def test_5x5_task_preset_history_and_steps_compose():
    """The task sets its learning rates (given values win); the history has the weight error and
    no accuracy; uneven steps give the one-step numbers; chip time counts one read and one update
    cycle per sample."""
    m = OnChipTraining(task=FIVE, algorithm="c-TTv2", seed=2, write_noise=2.0)
    assert (m.lr, m.transfer_every, m.epochs) == (TASK_PRESETS[FIVE]["lr"], TASK_PRESETS[FIVE]["transfer_every"], 4)
    assert OnChipTraining(task=FIVE, lr=0.3).lr == 0.3
    m.task = "digits MLP"
    assert (m.lr, m.epochs) == (TASK_PRESETS["digits MLP"]["lr"], 10)
    m.task = FIVE
    a, b = m.run(), m.run()
    a.step(1500)
    for n in (1, 999, 500):
        b.step(n)
    assert [p.weight_error for p in a.history] == [p.weight_error for p in b.history]
    assert [p.samples for p in a.points] == [p.samples for p in b.points] == list(range(0, 1501, 50))
    assert [p.weight_error for p in a.points] == [p.weight_error for p in b.points]
    np.testing.assert_array_equal(a.weights, b.weights)
    assert a.history[0].epoch == 1.0 and np.isnan(a.history[0].test_accuracy)
    assert a.points[0].weight_error == pytest.approx(1.0)  # W starts at 0
    assert a.points[-1].weight_error < 0.5 and a.points[-1].test_loss < a.points[0].test_loss  # 1.0 at W = 0
    bl = m.bl
    per_sample = 80e-9 + bl * 1e-9
    per_transfer = 80e-9 + bl * 1e-9
    assert a.chip_time_s() == pytest.approx(1500 * per_sample + a.transfers * per_transfer)
    assert a.transfers == 1500 // m.transfer_every
    other = OnChipTraining(task=FIVE, algorithm="c-TTv2", seed=3).run()
    assert not np.array_equal(other.target, a.target)


def test_explorer_on_the_5x5_task_shows_weight_error_and_weights_against_the_target():
    ex = TrainingExplorer(task=FIVE, compared=["float SGD", "analog SGD", "TTv2"], algorithm="analog SGD")
    assert ex.total_samples == 4 * CORRELATION_EPOCH and ex.weights_against_target()["weights"].size == 25
    ex.step(2000)
    c = ex.curves()
    assert set(c) == {"float SGD", "analog SGD", "TTv2"}
    assert all(np.isnan(v["test_accuracy"]).all() and v["weight_error"][-1] < v["weight_error"][0] for v in c.values())
    w = ex.weights_against_target()
    toward = (w["weights"] - w["target"]) * np.sign(w["symmetry_point"] - w["target"])
    assert w["algorithm"] == "analog SGD" and w["shift"] == pytest.approx(toward.mean())
    assert set(ex.weight_histograms()) >= {"C"}
    ex.task = "digits MLP"  # a setting: the runs start again
    assert ex.progress == 0 and ex.weights_against_target() is None


def test_symmetry_point_outside_the_weight_range_raises_naming_asymmetry(digits):
    m = OnChipTraining(slope=0.3, asymmetry=0.5)
    with pytest.raises(ValueError, match=naming("asymmetry")):
        m.run(digits)
    with pytest.raises(ValueError, match=naming("samples")):
        OnChipTraining().run(digits).step(0)


def test_explorer_trains_the_compared_algorithms_side_by_side_and_a_setting_ends_the_runs():
    ex = TrainingExplorer(epochs=1, compared=["float SGD", "TTv2"], algorithm="AGAD")
    ex.step(300)
    assert ex.progress == 300 and set(ex.curves()) == {"float SGD", "TTv2", "AGAD"}  # the focus trains too
    c = ex.curves()["TTv2"]
    assert list(c["epoch"]) == [0.0, 300 / 1438] and np.isnan(c["train_loss"][0])
    h = ex.weight_histograms()
    n = sum(a.size for a in ex.runs()["AGAD"].state.C)
    assert h["C"]["counts"].sum() == h["A"]["counts"].sum() == h["H"]["counts"].sum() == n
    ex.algorithm = "TTv2"  # only the histograms' focus: the runs stay
    assert ex.progress == 300
    ex.step(5000)
    assert ex.done and ex.progress == 1438
    ex.asymmetry = 0.2  # a setting: the runs end
    assert ex.progress == 0 and ex.curves()["TTv2"]["epoch"].tolist() == [0.0]
    u = ex.update_curve()
    assert u["symmetry_point"] == pytest.approx(0.2)
    # the mean response crosses its symmetry point where up and down steps are equal
    w = u["w"][u["pulse"] <= u["up_pulses"]]
    assert w[0] == -1.0 and w[-1] > 0.95 and np.all(np.diff(w) > 0)


def test_update_curve_is_the_soft_bounds_formula_and_its_devices_show_spread_and_noise():
    """The mean curve equals the update rule stepped in plain Python; the sample devices are the
    run's own first devices (their steps), equal to the mean curve without spread and noise, and
    each of d2d, c2c and write noise changes them."""
    ex = TrainingExplorer(n_states=50, asymmetry=0.3, slope=0.8, d2d=0.0, up_down_d2d=0.0, c2c=0.0, write_noise=0.0)
    u = ex.update_curve()
    n, dw = u["up_pulses"], 2.0 / 50
    w = [-1.0]
    for k in range(2 * n):
        up = k < n
        step = dw * (1.3 * (1 - 0.8 * w[-1]) if up else 0.7 * (1 + 0.8 * w[-1]))
        w.append(min(max(w[-1] + (step if up else -step), -1.0), 1.0))
    assert u["stride"] == 1 and np.allclose(u["w"], w, rtol=0, atol=1e-12)
    assert u["devices"].shape == (ex.SAMPLE_DEVICES, 2 * n + 1) and np.allclose(u["devices"], u["w"], atol=1e-12)
    ex.d2d = 0.3
    steps = ex.runs()["TTv2"].state.D[0].reshape(4, -1)[:2, : ex.SAMPLE_DEVICES]
    assert np.array_equal(device_steps(ex.seed, 50, 0.3, 0, ex.SAMPLE_DEVICES, 0.3), steps)
    spread = ex.update_curve()["devices"]
    assert not np.allclose(spread, u["w"])
    for name, value in (("up_down_d2d", 0.05), ("c2c", 0.3), ("write_noise", 2.0)):
        before = ex.update_curve()["devices"]
        setattr(ex, name, value)
        assert not np.array_equal(ex.update_curve()["devices"], before), name
    ex.n_states = 10000  # 30,000 pulses each way: every k-th point is sent
    big = ex.update_curve()
    assert big["pulse"].size <= ex.CURVE_POINTS and big["stride"] > 1


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(steps=[[-0.1], [0.1]]), "steps"),
        (dict(steps=[[], []]), "steps"),
        (dict(steps=[0.1]), "steps"),
        (dict(dev=[0.01, 1, 0]), "dev"),
        (dict(up_pulses=0), "up_pulses"),
    ],
)
def test_device_response_names_bad_arguments(kwargs, name):
    args = {"steps": [[0.01], [0.01]], "dev": [0.01, 1.0, 0.0, 0.0], "up_pulses": 10, **kwargs}
    with pytest.raises(ValueError, match=naming(name)):
        tk.device_response(**args)


def test_view_runs_to_the_end_in_a_notebook_and_says_why_it_cannot_start():
    from explorer.views.training import TrainingView

    v = TrainingView()
    v.model.param.update(epochs=1, compared=["TTv2"])
    v.plots()
    v.start()
    v._driver.join(timeout=60)
    assert v.model.done and "finished" in v._status.object
    title = v._plots["Learning curves"][0].title  # the text given; the figure shows it wrapped
    assert title.startswith("Epoch 1.00 of 1: TTv2 ")
    v.model.param.update(slope=0.2, asymmetry=0.5)  # symmetry point 2.5: outside the range
    v.start()
    assert "Cannot start" in v._status.object and "asymmetry" in v._status.object
    assert not v._driver.running and not v._driver.is_alive() and v.model.progress == 0


def test_view_switches_to_the_5x5_task_and_runs_it_to_the_end():
    """The task control swaps the learning curves for the weight-error curves, shows the weights
    against the target, greys out what the task does not use; a run streams to its end."""
    from explorer.views.training import TrainingView

    v = TrainingView()
    v.plots()
    assert v._widgets["label_noise"].disabled and "Learning curves" in v._showing
    v.model.param.update(task=FIVE, compared=["analog SGD", "TTv2"], algorithm="analog SGD", epochs=1)
    assert not v._widgets["label_noise"].disabled
    assert v._showing >= {"Learning curves, 5 x 5 task", "Weights against the target"}
    assert "Learning curves" not in v._showing
    v.start()
    v._driver.join(timeout=60)
    assert v.model.done and "1.00 epochs of 1,000 samples), finished" in v._status.object
    curves = v._plots["Learning curves, 5 x 5 task"][0]
    assert curves.title.startswith("Epoch 1.00 of 1: weight error analog SGD ")
    assert curves.sources["acc TTv2"].data["y"][-1] < 0.5
    target = v._plots["Weights against the target"][0]
    assert target.title.startswith("analog SGD at epoch 1.00: mean shift toward w* = 0.40 ")
    np.testing.assert_allclose(
        target.sources["weights"].data["y"], v.model.runs()["analog SGD"].weights.ravel(), rtol=1e-6
    )


def test_the_reference_histogram_shows_the_offset_error_and_agad_has_none():
    """TTv2's R sits at its devices' symmetry points: one bin without offset error and without
    spread of the up/down bias, a few bins with the bias spread (the default), more with the
    offset error on top; AGAD reads no R, so none is shown."""
    ex = TrainingExplorer(algorithm="TTv2", compared=["TTv2"], reference_offset=0.0, up_down_d2d=0.0)
    exact = ex.weight_histograms()["R"]["counts"]
    assert np.count_nonzero(exact) == 1
    ex.up_down_d2d = 0.05  # symmetry points 0.4 +- 0.05: bins of 1/30 wide
    own = ex.weight_histograms()["R"]["counts"]
    assert 3 <= np.count_nonzero(own) <= 16  # about +-4 standard deviations: 12 bins
    ex.reference_offset = 0.2
    spread = ex.weight_histograms()["R"]["counts"]
    assert spread.sum() == exact.sum() == own.sum() and np.count_nonzero(spread) > 25
    ex.algorithm = "AGAD"
    assert "R" not in ex.weight_histograms()
