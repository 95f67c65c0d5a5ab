"""Issue 11: the digits MLP trained on analog tiles (kernels.tile_training, explorer.models.onchip).

Fixed seeds; tolerances from the sample sizes or from the seed-to-seed spread measured at the
time of writing (stated at each test)."""

import numpy as np
import pytest

from explorer.models.digits import load_digits
from explorer.models.onchip import CORRELATION_EPOCH, DEVICE_PRESETS, TASK_PRESETS, OnChipTraining, device_steps
from explorer.models.training_explorer import TrainingExplorer
from kernels import tile_training as tk
from argnames import naming


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def _small_state(rng, n_in, nh, n_out, sp, offset):
    shapes = [(n_in + 1, nh), (nh + 1, n_out)]

    def arrays(f):
        return [f(sh) for sh in shapes]

    return tk.TileState(
        C=arrays(lambda sh: rng.uniform(-0.5, 0.5, sh)), Cn=arrays(np.zeros),
        D=arrays(lambda sh: 0.01 * rng.uniform(0.7, 1.3, sh)),
        A=arrays(lambda sh: np.full(sh, sp)), An=arrays(np.zeros),
        E=arrays(lambda sh: 0.01 * rng.uniform(0.7, 1.3, sh)), H=arrays(np.zeros),
        R=arrays(lambda sh: sp + offset * rng.standard_normal(sh)), P=arrays(lambda sh: np.full(sh, sp)),
        S=[np.zeros((sh[0], sh[1] + 1)) for sh in shapes], chop=[np.ones(sh[0]) for sh in shapes])


@pytest.mark.parametrize("algorithm", tk.ALGORITHMS)
def test_kernel_equals_its_numpy_twin(algorithm):
    """Same draws, same arithmetic: every array of the state and the returned tallies agree after 40
    samples with read noise, DAC/ADC, write noise, c2c spread and frequent chopper flips."""
    rng = np.random.default_rng(3)
    X, labels = rng.integers(0, 17, (30, 7)) / 16.0, rng.integers(0, 4, 30)   # pixels as digits: exact halves for the DAC
    order = rng.integers(0, 30, 40)
    state = _small_state(rng, 7, 5, 4, sp=0.2, offset=0.05)
    twin = state.copy()
    dev = np.array([0.01, 0.2, 1.0, 0.3, 2.0])
    io = np.array([0.02, 127.0, 255.0, 12.0])
    alg = np.array([0.1, 0.2, 2.0, 0.3, 31.0])
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
        assert out[2] > 0                           # pulses were applied
    if algorithm in ("TTv2", "c-TTv2", "AGAD"):
        assert out[3] == 20 and np.any(np.abs(state.H[0]) > 0)   # transfers every 2 samples filled H
    if algorithm in ("c-TTv2", "AGAD"):
        assert np.any(state.chop[0] < 0)                        # some choppers flipped



@pytest.mark.parametrize("algorithm", tk.ALGORITHMS)
def test_linear_kernel_equals_its_numpy_twin(algorithm):
    """The one-tile linear task (5 x 5 correlation) the same way: every array and tally agree after
    60 samples with read noise, DAC/ADC, write noise, c2c spread and chopper flips."""
    rng = np.random.default_rng(4)
    X = rng.integers(-16, 17, (40, 5)) / 16.0                  # exact halves for the DAC
    Y = X @ rng.uniform(-0.5, 0.5, (5, 5)) + 0.1 * rng.standard_normal((40, 5))
    order = rng.integers(0, 40, 60)
    sh = (5, 5)
    state = tk.TileState(C=[rng.uniform(-0.3, 0.3, sh)], Cn=[np.zeros(sh)], D=[0.01 * rng.uniform(0.7, 1.3, sh)],
                         A=[np.full(sh, 0.2)], An=[np.zeros(sh)], E=[0.01 * rng.uniform(0.7, 1.3, sh)],
                         H=[np.zeros(sh)], R=[0.2 + 0.05 * rng.standard_normal(sh)], P=[np.full(sh, 0.2)],
                         S=[np.zeros((5, 6))], chop=[np.ones(5)])
    twin = state.copy()
    dev = np.array([0.01, 0.2, 1.0, 0.3, 2.0])
    io = np.array([0.02, 127.0, 255.0, 4.0])
    alg = np.array([0.5, 0.2, 2.0, 0.3, 31.0])
    keys = tk.make_keys(12)
    out = tk.train_linear(state, X, Y, order, 7, algorithm, dev, io, alg, keys)
    ref = tk.numpy_train_linear(twin, X, Y, order, 7, algorithm, dev, io, alg, keys)
    np.testing.assert_allclose(out, ref, rtol=1e-9)
    for name in tk.TileState.NAMES:
        np.testing.assert_allclose(getattr(state, name)[0], getattr(twin, name)[0], rtol=1e-9, atol=1e-12, err_msg=name)
    np.testing.assert_array_equal(state.counters, twin.counters)
    assert tk.evaluate_linear(state, X, Y, io, keys, 3) == pytest.approx(
        0.5 * sum(np.sum((tk._np_read(state.C[0], state.Cn[0], x, False, io, keys[tk.K_EVAL], 3 + s, 0, 0) - y) ** 2)
                  for s, (x, y) in enumerate(zip(X, Y))), rel=1e-9)
    if algorithm != "float SGD":
        assert out[2] > 0
    if algorithm in ("TTv2", "c-TTv2", "AGAD"):
        assert out[3] == 30 and np.any(np.abs(state.H[0]) > 0)
    if algorithm in ("c-TTv2", "AGAD"):
        assert np.any(state.chop[0] < 0)


def test_linear_kernel_names_bad_shapes():
    sh = (5, 5)
    state = tk.TileState(**{n: [np.zeros(sh)] for n in tk.TileState.NAMES if n not in ("S", "chop")},
                         S=[np.zeros((5, 6))], chop=[np.ones(5)])
    args = (np.zeros(0, dtype=np.int64), 0, "TTv2", np.ones(5), np.zeros(4), np.ones(5), tk.make_keys(0))
    with pytest.raises(ValueError, match="X must be"):
        tk.train_linear(state, np.zeros((3, 4)), np.zeros((3, 5)), *args)
    with pytest.raises(ValueError, match=naming("algorithm")):
        tk.train_linear(state, np.zeros((3, 5)), np.zeros((3, 5)), args[0], 0, "SGD", *args[3:])

def test_pulse_update_is_minus_lr_x_d_on_average():
    """Far from the bounds (slope 0, no spread) a device's expected change is -lr x_i d_j; the pulse
    count is binomial, so the mean over N updates has standard error dw sqrt(bl p q (1 - p q) / N)."""
    x, d, lr, bl, dw, n = np.array([0.9, -0.3, 0.5]), np.array([0.4, -0.2]), 0.01, 31, 0.002, 3000
    dev = np.array([dw, 0.0, 0.0, 0.0, 0.0])
    total = np.zeros((3, 2))
    for t in range(n):
        W = np.zeros((3, 2))
        tk._np_pulse_update(W, np.zeros((3, 2)), np.full((3, 2), dw), x, d, lr, dev, bl, tk.make_keys(1), t, 0, 0)
        total += W
    scale = lr / (bl * dw)
    cx, cd = np.sqrt(scale * 0.4 / 0.9), np.sqrt(scale * 0.9 / 0.4)
    pq = np.outer(np.abs(x) * cx, np.abs(d) * cd)
    se = dw * np.sqrt(bl * pq * (1 - pq) / n)
    assert np.all(np.abs(total / n + lr * np.outer(x, d)) < 4 * se)


@pytest.mark.parametrize("a, s", [(0.4, 1.0), (-0.1, 0.3)])
def test_random_pulses_drive_a_device_to_its_symmetry_point(a, s):
    """Up and down pulses in random order: the weight settles where the steps are equal, w = a / s;
    after many pulses the mean over 2000 devices is within 0.02 of it (the spread of w at rest is
    about sqrt(dw / s), 0.03 to 0.06 here, so the standard error is below 2e-3)."""
    n_dev, dw = 2000, 0.002
    r = np.random.default_rng(0)
    w = r.uniform(-0.9, 0.9, n_dev)
    dev = np.array([dw, a, s, 0.3, 0.0])
    key = tk.make_keys(2)[tk.K_PULSE]
    for k in range(6000):
        up = r.random(n_dev) < 0.5
        w = tk._np_pulses(w, np.ones(n_dev, dtype=np.int64), up, np.full(n_dev, dw), dev, key,
                          np.arange(n_dev, dtype=np.uint64) * np.uint64(1 << 20) + np.uint64(k))
    assert abs(w.mean() - a / s) < 0.02


def _final_accuracy(digits, epochs, seed, **settings):
    m = OnChipTraining(seed=seed, **settings)
    return float(m.train(epochs, digits=digits)[-1].test_accuracy)


def test_sgd_falls_far_below_float_and_tiki_taka_comes_close(digits):
    """The issue's first must-show, on the strongly asymmetric preset (300 states, symmetry point at
    0.4), seeds 0 to 2, 15 epochs, the defaults (lr 0.03, lr_h 0.01). Measured: float SGD 96.4 %
    (97.2, 96.1, 95.8), in-memory SGD 22.6 % (17.8, 30.9, 18.9), TTv2 92.1 % (91.6, 92.5, 92.2).
    The seed spread is about a point for TTv2 and float, 7 for SGD: the margins hold for every seed."""
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
    offset 0 / 0.2 / 0.5 / 0.8: TTv2 92.1 / 89.6 / 78.8 / 61.6 %, c-TTv2 90.4 / 88.9 / 80.5 / 62.5 %,
    AGAD 91.0 % at every offset (its reference is the mean of A's reads over the previous chopper
    period, so no reference array, and no offset, enters). Tested at 0 and 0.5: TTv2 loses 10.9 to
    15.6 points per seed, so more than 6; AGAD at 0.5 is above TTv2 at 0.5 by 9.5 to 14.3 points."""
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
    assert pa.train_loss == pytest.approx(pb.train_loss, rel=1e-12)   # summed in another order
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
    m.param.update(device="ReRAM-like, 1000 states", n_states=500)   # as a shared link's query sets them
    assert (m.n_states, m.write_noise) == (500, 56.0)
    m.param.update(task="5 x 5 correlation", epochs=2)
    assert (m.epochs, m.lr) == (2, TASK_PRESETS["5 x 5 correlation"]["lr"])
    assert all(p["source"] for p in DEVICE_PRESETS.values())


@pytest.mark.parametrize("field, value", [("lr", 0.0), ("lr", -0.1), ("lr_h", 0.0), ("n_states", 1),
                                          ("n_states", 0), ("transfer_every", 0), ("algorithm", "Adam"),
                                          ("task", "MNIST"), ("label_noise", -0.1)])
def test_bad_settings_raise_naming_the_argument(field, value):
    with pytest.raises(ValueError, match=naming(field)):
        OnChipTraining(**{field: value})



FIVE = "5 x 5 correlation"


def _toward_symmetry_point(run, sp):
    """Mean of W - W* signed toward the symmetry point, and its t over the 25 weights."""
    toward = (run.weights - run.target) * np.sign(sp - run.target)
    return toward.mean(), toward.mean() / (toward.std(ddof=1) / np.sqrt(toward.size))


@pytest.mark.parametrize("asymmetry, seed", [(0.5, 0), (-0.5, 1)])
def test_5x5_task_in_memory_sgd_settles_toward_the_symmetry_point_and_ttv2_does_not(asymmetry, seed):
    """The 5 x 5 task on the kernels (read-out included), 200 states, no label noise, 3 epochs of
    1,000 samples: in-memory SGD (lr 0.1) ends shifted toward w* = a by more than three standard
    errors over the 25 weights (measured t 5.1 and 5.1; seeds 0 to 3 at both signs: 2.6 to 6.8);
    TTv2 (lr 0.2, lr_h 0.02) by less than three (measured 0.6 and 0.6; seeds 0 to 3: -0.1 to 1.7),
    and by a shift less than a quarter of SGD's, with a smaller weight error."""
    kw = dict(task=FIVE, n_states=200, asymmetry=asymmetry, label_noise=0.0, seed=seed)
    sgd = OnChipTraining(algorithm="analog SGD", lr=0.1, **kw).run()
    sgd.run_epochs(3)
    tt = OnChipTraining(algorithm="TTv2", lr=0.2, lr_h=0.02, **kw).run()
    tt.run_epochs(3)
    shift_sgd, t_sgd = _toward_symmetry_point(sgd, asymmetry)
    shift_tt, t_tt = _toward_symmetry_point(tt, asymmetry)
    assert t_sgd > 3.0
    assert abs(t_tt) < 3.0 and abs(shift_tt) < shift_sgd / 4
    assert tt.history[-1].weight_error < sgd.history[-1].weight_error


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
    assert a.points[0].weight_error == pytest.approx(1.0)           # W starts at 0
    assert a.points[-1].weight_error < 0.3 and a.points[-1].test_loss < a.points[0].test_loss
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
    ex.task = "digits MLP"                                  # a setting: the runs start again
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
    assert ex.progress == 300 and set(ex.curves()) == {"float SGD", "TTv2", "AGAD"}   # the focus trains too
    c = ex.curves()["TTv2"]
    assert list(c["epoch"]) == [0.0, 300 / 1438] and np.isnan(c["train_loss"][0])
    h = ex.weight_histograms()
    n = sum(a.size for a in ex.runs()["AGAD"].state.C)
    assert h["C"]["counts"].sum() == h["A"]["counts"].sum() == h["H"]["counts"].sum() == n
    ex.algorithm = "TTv2"                      # only the histograms' focus: the runs stay
    assert ex.progress == 300
    ex.step(5000)
    assert ex.done and ex.progress == 1438
    ex.asymmetry = 0.2                         # a setting: the runs end
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
    ex = TrainingExplorer(n_states=50, asymmetry=0.3, slope=0.8, d2d=0.0, c2c=0.0, write_noise=0.0)
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
    steps = ex.runs()["TTv2"].state.D[0].ravel()[: ex.SAMPLE_DEVICES]
    assert np.array_equal(device_steps(ex.seed, 50, 0.3, 0, ex.SAMPLE_DEVICES), steps)
    spread = ex.update_curve()["devices"]
    assert not np.allclose(spread, u["w"])
    for name, value in (("c2c", 0.3), ("write_noise", 2.0)):
        before = ex.update_curve()["devices"]
        setattr(ex, name, value)
        assert not np.array_equal(ex.update_curve()["devices"], before), name
    ex.n_states = 10000                       # 30,000 pulses each way: every k-th point is sent
    big = ex.update_curve()
    assert big["pulse"].size <= ex.CURVE_POINTS and big["stride"] > 1


@pytest.mark.parametrize("kwargs, name", [
    (dict(dw=[-0.1]), "dw"), (dict(dw=[]), "dw"), (dict(dev=[0.01, 0, 1, 0]), "dev"), (dict(up_pulses=0), "up_pulses"),
])
def test_device_response_names_bad_arguments(kwargs, name):
    args = {"dw": [0.01], "dev": [0.01, 0.0, 1.0, 0.0, 0.0], "up_pulses": 10, **kwargs}
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
    title = v._plots["Learning curves"][0].figure.title.text
    assert title.startswith("Epoch 1.00 of 1: TTv2 ")
    v.model.param.update(slope=0.2, asymmetry=0.5)       # symmetry point 2.5: outside the range
    v.start()
    assert "Cannot start" in v._status.object and "asymmetry" in v._status.object
    assert not v._running.is_set() and not v._driver.is_alive() and v.model.progress == 0



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
    assert curves.figure.title.text.startswith("Epoch 1.00 of 1: weight error analog SGD ")
    assert curves.sources["acc TTv2"].data["y"][-1] < 0.5
    target = v._plots["Weights against the target"][0]
    assert target.figure.title.text.startswith("analog SGD at epoch 1.00: mean shift toward w* = 0.40 ")
    np.testing.assert_allclose(target.sources["weights"].data["y"], v.model.runs()["analog SGD"].weights.ravel(),
                               rtol=1e-6)

def test_the_reference_histogram_shows_the_offset_error_and_agad_has_none():
    """TTv2's R sits at the symmetry point: one bin without offset error, spread with it; AGAD
    reads no R, so none is shown."""
    ex = TrainingExplorer(algorithm="TTv2", compared=["TTv2"], reference_offset=0.0)
    exact = ex.weight_histograms()["R"]["counts"]
    assert np.count_nonzero(exact) == 1
    ex.reference_offset = 0.2
    spread = ex.weight_histograms()["R"]["counts"]
    assert spread.sum() == exact.sum() and np.count_nonzero(spread) > 10
    ex.algorithm = "AGAD"
    assert "R" not in ex.weight_histograms()
