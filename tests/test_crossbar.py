"""Crossbar read-out: DAC, variance identity against per-device reads, ADC, IR drop, the model API."""

import threading

import numpy as np
import pytest

from explorer.models import CrossbarModel, protocol_inputs, protocol_weights
from kernels import crossbar, encoding, rng


def quiet(xb):
    """Switch off every device noise and drift of `xb`'s device (for exactness checks)."""
    xb.device.param.update(prog_noise_scale=0.0, read_noise_scale=0.0, drift_scale=0.0)
    return xb


# ----------------------------------------------------------------------------- kernels


def test_dac_codes_step_and_clipping():
    codes, step, clipped = crossbar.dac([-2.0, -1.0, 0.004, 0.5, 1.0, 3.0], bits=8, x_max=1.0)
    assert step == pytest.approx(1 / 127)
    np.testing.assert_array_equal(codes, [-127, -127, 1, 64, 127, 127])
    assert clipped == 2


def test_fast_normal_matches_its_numpy_twin_and_the_quantile():
    key = rng.numpy_stream_key(5, rng.STREAM_CROSSBAR)
    n = 1 << 20
    mean = np.zeros((1, n), dtype=np.float32)
    var = np.ones((1, n), dtype=np.float32)
    out, _ = crossbar.noise_adc(mean, var, seed=5, adc_bits=None, y_max=1.0)
    z = out[0]
    np.testing.assert_allclose(z, rng.numpy_fast_normal(key, np.arange(n)), atol=1e-12)
    # Moments of n standard normals: standard errors 1/sqrt(n) and sqrt(2/n).
    assert abs(z.mean()) < 5 / np.sqrt(n)
    assert abs(z.var() - 1) < 5 * np.sqrt(2 / n)
    # Tail share beyond 3 sigma: binomial with p = 0.0026998.
    p = 0.0026998
    assert abs(np.mean(np.abs(z) > 3) - p) < 5 * np.sqrt(p * (1 - p) / n)
    # The table itself: within 1.5e-4 sigma of AS241 everywhere on a fine grid of 24-bit uniforms.
    u = np.arange(0, 1 << 24, 97, dtype=np.uint64)
    p_grid = (u.astype(float) + 0.5) / (1 << 24)
    from numba import njit

    @njit
    def table(u, out):
        for i in range(u.size):
            out[i] = rng.fast_normal_from_bits(u[i])

    got = np.empty(u.size)
    table(u, got)
    assert np.max(np.abs(got - rng.numpy_normal_quantile(p_grid))) < 1.5e-4


def test_noise_adc_digitizes_and_counts_clipping():
    mean = np.array([[0.0, 0.49, 0.51, 2.0, -3.0]], dtype=np.float32)
    out, clipped = crossbar.noise_adc(mean, np.zeros_like(mean), seed=0, adc_bits=3, y_max=1.0)
    # 3 bits: codes -3..3, step 1/3.
    np.testing.assert_allclose(out[0], [0.0, 1 / 3, 2 / 3, 1.0, -1.0])
    assert clipped == 2


@pytest.mark.parametrize("parallel", [False, True])
def test_noise_adc_of_several_reads_equals_one_call_per_read(parallel, monkeypatch):
    """Reads stacked with one seed each (the times of a curve): each read's rows get the noise, the
    reference shift, the ADC codes and the clipping counts of a call of its own."""
    monkeypatch.setattr("kernels._jit.PARALLEL_THRESHOLD", 1 if parallel else 2**62)
    r = np.random.default_rng(8)
    reads, batch, n_out, groups = 3, 5, 4, 2
    mean = r.uniform(-1.5, 1.5, (reads * batch, n_out * groups)).astype(np.float32)
    var = r.uniform(0.0, 0.05, mean.shape).astype(np.float32)
    ref = r.uniform(-0.2, 0.2, (reads * batch, groups))
    seeds = [11, 2**40 + 3, 7]
    kw = dict(adc_bits=4, y_max=1.2, ref=ref, scale=np.arange(1.0, 9.0), n_out=n_out, offset=17)
    out, clipped = crossbar.noise_adc(mean, var, seed=seeds, **kw)
    total = 0
    for k, seed in enumerate(seeds):
        rows = slice(k * batch, (k + 1) * batch)
        one, c = crossbar.noise_adc(mean[rows], var[rows], seed=seed, **{**kw, "ref": ref[rows]})
        np.testing.assert_array_equal(out[rows], one)
        total += c
    assert clipped == total > 0
    assert not np.array_equal(out[:batch], out[batch : 2 * batch])  # each read its own noise
    with pytest.raises(ValueError, match="seed must hold one seed per read"):
        crossbar.noise_adc(mean, var, seed=[1, 2], **kw)
    with pytest.raises(ValueError, match="seed must be an integer"):
        crossbar.noise_adc(mean, var, seed=[1, -2, 3], **kw)


@pytest.mark.parametrize("side_by_side", [True, False])
def test_moments_of_stacked_reads_equal_one_product_per_read(side_by_side, monkeypatch):
    monkeypatch.setattr(crossbar, "SIDE_BY_SIDE_MACS", 1 if side_by_side else 2**62)
    r = np.random.default_rng(9)
    x = r.uniform(-1.0, 1.0, (4, 30, 17)).astype(np.float32)
    g, v = r.uniform(-25.0, 25.0, (4, 17, 6)), r.uniform(0.0, 1.0, (4, 17, 6))
    mean, var = crossbar.moments(x, g, v)
    for k in range(4):
        one_mean, one_var = crossbar.moments(x[k], g[k], v[k])
        np.testing.assert_array_equal(mean[k], one_mean)
        np.testing.assert_array_equal(var[k], one_var)
    with pytest.raises(ValueError, match=r"g_mean must be \(reads, inputs, outputs\)"):
        crossbar.moments(x, g[:3], v[:3])


MVM_TIMES_CASES = {
    "PCM, ideal DAC, 6-bit ADC": dict(technology="PCM", dac_bits=None, adc_bits=6),
    "RRAM, offset reference, input slices, ADC offset": dict(
        technology="RRAM", mapping="offset-reference", dac_bits=6, input_slice_bits=2, adc_offset_lsb=0.5
    ),
    "PCM, gain calibration, IR drop, common mode": dict(
        technology="PCM", calibrate_gain=True, ir_drop=True, common_mode_gain=0.9, adc_range="full-scale"
    ),
    "Flash, three slices": dict(technology="Flash", n_slices=3, adc_bits=5),
    "Flash, worn cells at 340 K, IR drop, stuck devices, gain calibration": dict(
        technology="Flash",
        device=dict(pe_cycles=3 * 10**4, temperature_K=340.0),
        ir_drop=True,
        stuck_on_fraction=0.05,
        stuck_off_fraction=0.05,
        calibrate_gain=True,
    ),
    "RRAM, IR drop, offset reference": dict(technology="RRAM", ir_drop=True, mapping="offset-reference"),
}


@pytest.mark.parametrize("config", MVM_TIMES_CASES.values(), ids=MVM_TIMES_CASES.keys())
def test_several_reads_at_once_equal_one_read_per_time(config):
    """`mvm_times` (every time of a curve in one call) gives each read's outputs exactly as `mvm`
    at that time with that seed, whatever the read-out does (ADC ranges, input chunks, reference
    columns, gain calibration, IR drop, stuck devices); the read matrices of all the times are
    one kept result (`ReadOut.matrices_times`)."""
    config = dict(config)
    device = config.pop("device", {})
    xb = CrossbarModel(**config)
    xb.device.param.update(**device)
    W = protocol_weights(24, 24, seed=3)
    prog = xb.program(W, seed=5)
    r = np.random.default_rng(4)
    times = [0.0, 3600.0, 3.15e7]
    seeds = [101, 202, 303]
    X = r.uniform(-1.0, 1.0, (3, 7, 24))
    together = prog.mvm_times(X, times, seeds)
    assert together.shape == (3, 7, 24)
    kept = [key for (key, _) in prog.memo._entries if key[0] == "matrices over times"]
    assert [key[1][1:] for key in kept] == [(tuple(times), True)]
    for k, (t, seed) in enumerate(zip(times, seeds)):
        np.testing.assert_array_equal(together[k], prog.mvm(X[k], t, seed))
    assert not np.array_equal(together[1], together[2])


def test_several_reads_in_chunks_of_times_equal_one_read_per_time(monkeypatch):
    """`ReadOut.matrices_times` takes the device moments of a few times at once when all of them
    would exceed `MOMENTS_BYTES`: the reads are the same as one `mvm` per time."""
    from explorer.models.crossbar import readout

    prog = CrossbarModel(technology="Flash", ir_drop=True).program(protocol_weights(24, 24, seed=3), seed=5)
    monkeypatch.setattr(readout, "MOMENTS_BYTES", 2 * 16 * prog.state.array.targets.size)  # two times a chunk
    calls = []
    moments_times = prog.state.moments_times
    prog.state.moments_times = lambda times, s: calls.append(len(times)) or moments_times(times, s)
    times, seeds = [0.0, 1.0, 3600.0, 3e7, 3e8], [1, 2, 3, 4, 5]
    X = np.random.default_rng(4).uniform(-1.0, 1.0, (5, 7, 24))
    together = prog.mvm_times(X, times, seeds)
    assert calls == [2, 2, 1]
    for k, (t, seed) in enumerate(zip(times, seeds)):
        np.testing.assert_array_equal(together[k], prog.mvm(X[k], t, seed))


def test_several_reads_name_the_bad_argument():
    prog = CrossbarModel(technology="PCM").program(protocol_weights(8, 8, seed=1), seed=2)
    X = np.zeros((2, 3, 8))
    with pytest.raises(ValueError, match=r"X must have shape \(reads, batch, 8\) with one read per time \(2\)"):
        prog.mvm_times(np.zeros((3, 3, 8)), [0.0, 1.0], [1, 2])
    with pytest.raises(ValueError, match="seeds must hold one seed per time"):
        prog.mvm_times(X, [0.0, 1.0], [1])
    with pytest.raises(ValueError, match="times must hold at least one time"):
        prog.mvm_times(np.zeros((0, 3, 8)), [], [])
    with pytest.raises(ValueError, match="seeds must be an integer"):
        prog.mvm_times(X, [0.0, 1.0], [1, 2.5])
    with pytest.raises(ValueError, match="times must be"):
        prog.mvm_times(X, [0.0, -1.0], [1, 2])
    with pytest.raises(ValueError, match="X must be finite"):
        prog.mvm_times(np.full((2, 3, 8), np.nan), [0.0, 1.0], [1, 2])


def exact_crossbar_output(G, x, r):
    """Column currents (A) of a crossbar with wire resistance `r` per segment, by nodal analysis.

    Word line l is driven at x_l from the left; bit line c ends in a virtual ground
    below the last row; G in siemens. Dense solve: for small arrays only.
    """
    n, p = G.shape
    N = n * p
    gw = 1.0 / r
    A = np.zeros((2 * N, 2 * N))
    b = np.zeros(2 * N)
    for l in range(n):
        for c in range(p):
            u, v, g = l * p + c, N + l * p + c, G[l, c]
            A[u, u] += g + gw
            A[u, v] -= g
            if c == 0:
                b[u] += gw * x[l]
            else:
                A[u, u - 1] -= gw
            if c < p - 1:
                A[u, u] += gw
                A[u, u + 1] -= gw
            A[v, v] += g + gw  # the segment below (to the next row or to ground)
            A[v, u] -= g
            if l > 0:
                A[v, v] += gw
                A[v, v - p] -= gw
            if l < n - 1:
                A[v, v + p] -= gw
    sol = np.linalg.solve(A, b)
    return sol[N + (n - 1) * p :] * gw


@pytest.mark.parametrize("r, tolerance", [(30.0, 0.003), (100.0, 0.02)])
def test_ir_drop_against_nodal_solve(r, tolerance):
    gen = np.random.default_rng(0)
    G_uS = gen.uniform(0.0, 25.0, (16, 16))
    x = gen.uniform(-1.0, 1.0, 16)
    exact = exact_crossbar_output(G_uS * 1e-6, x, r)
    ideal = x @ (G_uS * 1e-6)
    factors, worst = crossbar.ir_drop_factors(G_uS, wire_resistance_ohm=r)
    model = x @ (G_uS * 1e-6 * factors)

    def rel(y):
        return np.linalg.norm(y - exact) / np.linalg.norm(exact)

    assert rel(ideal) > 0.07  # IR drop matters at these resistances ...
    assert rel(model) < tolerance  # ... and the resummed first-order model captures it
    assert 0.1 < worst < 0.5


def test_ir_drop_error_is_second_order_in_r():
    gen = np.random.default_rng(1)
    G_uS = gen.uniform(0.0, 25.0, (12, 12))
    x = gen.uniform(-1.0, 1.0, 12)
    errs = []
    for r in (2.0, 4.0):
        exact = exact_crossbar_output(G_uS * 1e-6, x, r)
        f, _ = crossbar.ir_drop_factors(G_uS, wire_resistance_ohm=r)
        errs.append(np.linalg.norm(x @ (G_uS * 1e-6 * f) - exact) / np.linalg.norm(exact))
    assert 3.0 < errs[1] / errs[0] < 5.0  # doubling r quadruples the error


@pytest.mark.parametrize("r", [0.0, -1.0, float("nan"), True])
def test_wire_resistance_must_be_positive(r):
    with pytest.raises(ValueError, match="wire_resistance_ohm must be a positive number"):
        crossbar.ir_drop_factors(np.ones((2, 2)), wire_resistance_ohm=r)


def test_mvm_error_metric():
    ideal = np.array([[3.0, 4.0], [1.0, 0.0]])
    y = np.array([[3.0, 4.5], [1.1, 0.0]])
    assert crossbar.mvm_error(y, ideal) == pytest.approx((0.5 / 5 + 0.1 / 1) / 2)
    # an all-zero ideal output has no relative error: NaN, not a perfect 0
    assert np.isnan(crossbar.mvm_error(np.ones((2, 2)), np.zeros((2, 2))))
    assert np.isnan(CrossbarModel().program(np.zeros((4, 3)), seed=0).weight_error())


# ----------------------------------------------------------------------------- variance identity


@pytest.mark.parametrize(
    "technology, mapping", [("PCM", "differential"), ("RRAM", "two-sided"), ("Flash", "differential")]
)
def test_variance_identity_matches_per_device_reads(technology, mapping):
    """Outputs from the variance identity have the distribution of outputs computed from
    per-device noisy reads (the device's own `read`), column by column.

    RRAM uses the two-sided pair and a weight scale 25 % above the largest weight:
    its `read` clips every read at g_min and g_max, where the one-sided pair parks
    half its devices and the largest weight sits, and a clipped noise is no longer
    the Gaussian the identity describes (a documented approximation of the crossbar)."""
    rows, cols, reads = 48, 6, 600
    W = protocol_weights(rows, cols, seed=3)
    x = protocol_inputs(1, rows, seed=4)[0]
    xb = CrossbarModel(technology=technology, mapping=mapping, n_slices=1, weight_bits=4, dac_bits=None, adc_bits=None)
    prog = xb.program(W, seed=2, w_max=1.25 * np.abs(W).max())
    t = 3600.0
    fast = np.stack([prog.mvm(x, t=t, seed=s) for s in range(reads)])
    # Naive reference: draw every device's conductance, then the differential product in NumPy.
    per_level = prog.significance / prog.encoding.level_units() / prog.full_scale * prog.w_max
    ref = []
    for s in range(reads):
        g = prog.array.read(t, seed=10_000 + s).reshape(rows, cols, 1, 2)
        ref.append((x @ (g[..., 0, 0] - g[..., 0, 1])) * per_level[0])
    ref = np.stack(ref)
    sd = ref.std(axis=0)
    assert np.all(sd > 0)
    # Means: difference of two sample means, standard error sd * sqrt(2 / reads).
    assert np.all(np.abs(fast.mean(0) - ref.mean(0)) < 5 * sd * np.sqrt(2 / reads))
    # Standard deviations: ratio of two sample sds, relative standard error about sqrt(1 / reads).
    assert np.all(np.abs(fast.std(0) / sd - 1) < 5 * np.sqrt(1 / reads))


# ----------------------------------------------------------------------------- model API


@pytest.fixture(scope="module")
def problem():
    return protocol_weights(64, 32, seed=0), protocol_inputs(40, 64, seed=1)


def test_same_seed_same_numbers_and_programming_persists(problem):
    W, X = problem
    a = CrossbarModel(technology="RRAM").program(W, seed=5)
    b = CrossbarModel(technology="RRAM").program(W, seed=5)
    np.testing.assert_array_equal(a.mvm(X, t=60.0, seed=1), b.mvm(X, t=60.0, seed=1))
    y1, y2 = a.mvm(X, t=60.0, seed=1), a.mvm(X, t=60.0, seed=2)
    assert not np.array_equal(y1, y2)  # fresh read noise at each read
    np.testing.assert_array_equal(a.weights(60.0), b.weights(60.0))  # programming state persists
    assert a.mvm(X[0], t=60.0, seed=1).shape == (32,)


def test_noise_free_digital_slicing_is_exact(problem):
    W, X = problem
    xb = quiet(CrossbarModel(technology="ECRAM", n_slices=2, weight_bits=8, base=16, dac_bits=None, adc_bits=None))
    xb.device.param.update(n_states=100000)  # pulse steps far below a level
    prog = xb.program(W, seed=0)
    w = W / np.abs(W).max()
    quantized = encoding.combine_slices(encoding.slice_levels(w, (4, 4), 16), (4, 4), 16) * np.abs(W).max()
    np.testing.assert_allclose(prog.weights(0.0), quantized, atol=2e-3 * np.abs(W).max() / 255)
    np.testing.assert_allclose(prog.mvm(X, 0.0, 0), X @ prog.weights(0.0), rtol=1e-4, atol=1e-4)


def test_input_bit_slicing_adds_up(problem):
    W, X = problem
    xb = quiet(CrossbarModel(technology="PCM", n_slices=1, weight_bits=4, dac_bits=8, adc_bits=None))
    prog = xb.program(W, seed=0)
    whole = prog.mvm(X, 0.0, 0)
    xb.input_slice_bits = 2
    chunked = prog.mvm(X, 0.0, 0)
    np.testing.assert_allclose(chunked, whole, rtol=1e-5, atol=1e-5)


def test_additive_common_mode_cancels_in_pairs_not_against_a_digital_offset(problem):
    W, X = problem
    results = {}
    for mapping in ("differential", "two-sided", "offset-reference", "offset-digital"):
        xb = CrossbarModel(technology="RRAM", mapping=mapping, adc_bits=None)
        prog = xb.program(W, seed=0)
        base = prog.mvm(X, 0.0, seed=3)
        xb.common_mode_offset_uS = 1.5
        shifted = prog.mvm(X, 0.0, seed=3)
        results[mapping] = np.max(np.abs(shifted - base)) / np.max(np.abs(base))
    assert results["differential"] < 1e-5
    assert results["two-sided"] < 1e-5
    assert results["offset-reference"] < 1e-5
    # Against a digital offset the shift stays: every weight moves by the same dw (what the
    # array holds, `weights`), so the outputs move by X @ dw, up to the 8-bit DAC's rounding.
    xb = CrossbarModel(technology="RRAM", mapping="offset-digital", adc_bits=None)
    prog = xb.program(W, seed=0)
    base = prog.mvm(X, 0.0, seed=3)
    dw = prog.weights(0.0, settings=xb.read_settings().replace(common_mode_offset_uS=1.5)) - prog.weights(0.0)
    assert np.ptp(dw) < 1e-9 * np.abs(dw).max() and np.abs(dw).max() > 0
    shifted = prog.mvm(X, 0.0, seed=3, settings=xb.read_settings().replace(common_mode_offset_uS=1.5))
    dac_rounding = X.shape[1] * 0.5 / (2**8 - 1) * np.abs(dw).max()
    np.testing.assert_allclose(shifted - base, X @ dw, atol=dac_rounding + 1e-4 * np.abs(base).max())
    assert results["offset-digital"] > 10 * dac_rounding / np.max(np.abs(base))


def test_multiplicative_common_mode_is_a_gain_error_that_calibration_removes(problem):
    W, X = problem
    xb = CrossbarModel(technology="RRAM", adc_bits=None)
    prog = xb.program(W, seed=0)
    base = prog.mvm(X, 0.0, seed=3)
    xb.common_mode_gain = 1.05
    hot = prog.mvm(X, 0.0, seed=3)
    # Both devices and their noise scale by 1.05: the output is exactly 5 % larger.
    # (float32 products: compare to the output scale)
    np.testing.assert_allclose(hot, 1.05 * base, rtol=0, atol=1e-5 * np.abs(base).max())
    xb.calibrate_gain = True
    calibrated = prog.mvm(X, 0.0, seed=3)
    gain = np.sum(calibrated * base) / np.sum(base * base)
    assert abs(gain - 1.0) < 0.005  # back within the calibration read's own noise


def test_offset_mapping_is_noisier_than_differential():
    W, X = protocol_weights(128, 128, seed=0), protocol_inputs(64, 128, seed=1)
    errors = {
        m: CrossbarModel(technology="PCM", mapping=m).program(W, seed=0).error(X, 0.0, seed=2)
        for m in ("differential", "offset-reference")
    }
    assert errors["offset-reference"] > 1.5 * errors["differential"]


def test_full_scale_adc_wastes_resolution_and_calibrated_range_clips_out_of_range_inputs(problem):
    W, X = problem
    xb = CrossbarModel(technology="RRAM", adc_bits=6)
    prog = xb.program(W, seed=0)
    calibrated = prog.error(X, 0.0, seed=1)
    xb.adc_range = "full-scale"
    full = prog.error(X, 0.0, seed=1)
    assert full > 2 * calibrated
    xb.adc_range = "calibrated"
    ones = np.ones_like(X) * 0.99  # every input at full scale: far above the calibration batch
    _, stats = prog.mvm(ones, 0.0, seed=1, return_stats=True)
    assert stats["adc_clipped"] > 0
    _, stats = prog.mvm(2 * X, 0.0, seed=1, return_stats=True)
    assert stats["dac_clipped"] > 0


def test_stuck_devices_fraction(problem):
    W, _ = problem
    p_on, p_off = 0.05, 0.02
    prog = CrossbarModel(technology="RRAM", stuck_on_fraction=p_on, stuck_off_fraction=p_off).program(W, seed=0)
    n = prog.stuck.size
    for value, p in ((1, p_on), (-1, p_off)):
        share = np.mean(prog.stuck == value)
        assert abs(share - p) < 5 * np.sqrt(p * (1 - p) / n)
    mean, _ = prog.device_moments(0.0)
    assert np.all(mean[prog.stuck == 1] == prog.g_hi)


def test_ir_drop_lowers_outputs_and_global_calibration_cannot_recover_it(problem):
    """IR drop is a gain loss present from programming on. Global calibration (section 8)
    compares with a reference read right after programming, through the same wires, so it
    corrects changes since programming (drift) and not a static IR drop: the calibrated gain
    stays where the uncalibrated one is; only removing the wire resistance restores it."""
    W, X = problem
    xb = CrossbarModel(technology="PCM", adc_bits=None, ir_drop=True, wire_resistance_ohm=1.0)
    prog = xb.program(W, seed=0)
    ideal = X @ W

    def gain(y):
        return np.sum(y * ideal) / np.sum(ideal * ideal)

    y, stats = prog.mvm(X, 0.0, seed=1, return_stats=True)
    assert 0.05 < stats["ir_drop_max"] < 2
    assert gain(y) < 0.97
    calibrated, stats = prog.mvm(
        X, 0.0, seed=1, return_stats=True, settings=xb.read_settings().replace(calibrate_gain=True)
    )
    assert stats["gain_factor"] == pytest.approx(1.0, abs=0.01)  # the reference saw the same wires
    assert gain(calibrated) == pytest.approx(gain(y), abs=0.01)
    no_wires = prog.mvm(X, 0.0, seed=1, settings=xb.read_settings().replace(ir_drop=False))
    assert gain(no_wires) > gain(y) + 0.02
    assert crossbar.mvm_error(no_wires, ideal) < crossbar.mvm_error(y, ideal)


def test_set_only_update_raises_conductances(problem):
    W, _ = problem
    xb = quiet(CrossbarModel(technology="ECRAM", mapping="set-only", n_slices=1, weight_bits=4))
    w_max = np.abs(W).max()
    first = xb.program(0.45 * W, seed=0, w_max=w_max)
    second = first.update_set_only(-0.45 * W, seed=1)  # every weight flips sign: the other device climbs
    g1 = first.slice_conductances(0.0)
    g2 = second.slice_conductances(0.0)
    assert np.all(g2["plus"] >= g1["plus"] - 0.02)
    assert np.all(g2["minus"] >= g1["minus"] - 0.02)
    assert second.weight_error(0.0) < 0.1 and not second.saturated.any()
    # Flipping back to full-size weights needs more than the remaining headroom: pairs saturate.
    third = second.update_set_only(W, seed=2)
    assert third.saturated.any() and third.weight_error(0.0) > second.weight_error(0.0)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda W, X: CrossbarModel().program(W, seed=0).mvm(X[:, :10], 0.0, 0), r"X must have shape \(64,\)"),
        (lambda W, X: CrossbarModel().program(np.where(W > 0.9, np.nan, W), seed=0), "W must be finite"),
        (lambda W, X: CrossbarModel().program(W, seed=0).mvm(np.full_like(X, np.inf), 0.0, 0), "X must be finite"),
        (lambda W, X: CrossbarModel().program(W[0], seed=0), "W must be a 2-D array"),
        (lambda W, X: CrossbarModel(adc_bits=17), "adc_bits"),
        (lambda W, X: CrossbarModel(dac_bits=0), "dac_bits"),
        (lambda W, X: CrossbarModel(n_slices=4, weight_bits=3), "cannot fill n_slices"),
        (lambda W, X: CrossbarModel(wire_resistance_ohm=0.0), "wire_resistance_ohm"),
        (lambda W, X: CrossbarModel(wire_resistance_ohm=-1.0), "wire_resistance_ohm"),
        (lambda W, X: CrossbarModel(technology="SRAM"), "technology must be one of"),
        (lambda W, X: CrossbarModel(adc_bit=8), r"unknown parameter\(s\) \['adc_bit'\]"),
        (lambda W, X: CrossbarModel().program(W, seed=-1), "seed must be an integer"),
        (lambda W, X: CrossbarModel().program(W, seed=0).mvm(X, t=-1.0, seed=0), "t must be a real number"),
        # w_max below max|W| would clip the largest weights silently
        (lambda W, X: CrossbarModel().program(W, seed=0, w_max=0.5 * np.abs(W).max()), r"\bw_max\b must be at least"),
        (lambda W, X: CrossbarModel().program(W, seed=0, w_max="1"), r"\bw_max\b"),
        (lambda W, X: CrossbarModel().program(W, seed=0, w_max=True), r"\bw_max\b"),
        (lambda W, X: CrossbarModel().program(W, seed=0, w_max=0.5 * np.abs(W).max(), method="verify"), r"\bw_max\b"),
    ],
)
def test_bad_input_names_the_argument(problem, call, match):
    W, X = problem
    with pytest.raises(ValueError, match=match):
        call(W, X)


@pytest.mark.parametrize("side_by_side", [True, False])
def test_moments_side_by_side_equal_one_after_the_other(side_by_side, monkeypatch):
    """Large products run the variance product in a second thread: the same numbers as the two
    products one after the other (the same single-threaded BLAS call on the same operands)."""
    r = np.random.default_rng(5)
    x = r.uniform(-1.0, 1.0, (300, 257)).astype(np.float32)
    g, v = r.uniform(-25.0, 25.0, (257, 130)), r.uniform(0.0, 1.0, (257, 130))
    threads, thread = [], threading.Thread
    monkeypatch.setattr(crossbar, "SIDE_BY_SIDE_MACS", 1 if side_by_side else 2**62)
    monkeypatch.setattr(crossbar.threading, "Thread", lambda *a, **k: threads.append(1) or thread(*a, **k))
    mean, var = crossbar.moments(x, g, v)
    assert len(threads) == int(side_by_side)
    np.testing.assert_array_equal(mean, x @ g.astype(np.float32))
    np.testing.assert_array_equal(var, np.square(x) @ v.astype(np.float32))


def test_moments_raise_an_error_of_the_side_thread(monkeypatch):
    """An error in the variance product's thread reaches the caller instead of leaving the
    variances unwritten."""
    monkeypatch.setattr(crossbar, "SIDE_BY_SIDE_MACS", 1)

    def no_memory(*args, **kwargs):
        raise MemoryError("no room for the variance product")

    monkeypatch.setattr(crossbar.np, "square", no_memory)
    with pytest.raises(MemoryError, match="variance product"):
        crossbar.moments(np.ones((4, 3), dtype=np.float32), np.ones((3, 5)), np.ones((3, 5)))


def test_moments_name_the_mismatched_argument():
    x = np.ones((4, 3), dtype=np.float32)
    with pytest.raises(ValueError, match="g_mean must be"):
        crossbar.moments(x, np.ones((2, 5)), np.ones((2, 5)))
    with pytest.raises(ValueError, match="g_var must have the shape"):
        crossbar.moments(x, np.ones((3, 5)), np.ones((3, 4)))
    with pytest.raises(ValueError, match="x must be a 2-D batch"):
        crossbar.moments(np.ones(3), np.ones((3, 5)), np.ones((3, 5)))


def test_the_programming_snapshot_is_kept_until_a_programming_time_setting_moves():
    """`programming_settings` is kept from its second call, and taken again after any
    programming-time parameter of the model or of its device is set (a new device too), not after
    a read-time one; the device it replaced no longer counts; a pickled or copied model keeps the
    rule."""
    import copy
    import pickle

    xb = CrossbarModel(technology="PCM")
    once = xb.programming_settings()  # not kept: a model asked once pays for no watchers
    first = xb.programming_settings()
    assert first == once and first is not once and xb.programming_settings() is first
    xb.adc_bits, xb.device.read_noise_scale = 6, 2.0
    assert xb.programming_settings() is first  # read-time settings only
    xb.n_slices = 3
    assert xb.programming_settings()["n_slices"] == 3
    assert xb.programming_settings()["slice_bits"] == xb.slice_bits
    xb.device.prog_noise_scale = 2.0
    assert xb.programming_settings()["device.prog_noise_scale"] == 2.0
    old = xb.device
    xb.technology = "RRAM"
    now = xb.programming_settings()
    assert now["technology"] == "RRAM" and now["device.prog_noise_scale"] == 1.0
    old.prog_noise_scale = 3.0
    assert xb.programming_settings() is now
    for twin in (pickle.loads(pickle.dumps(xb)), copy.deepcopy(xb)):
        assert twin.programming_settings() == now
        twin.device.prog_noise_scale = 0.5
        assert twin.programming_settings()["device.prog_noise_scale"] == 0.5
        assert xb.programming_settings() is now
