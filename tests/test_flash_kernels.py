"""Tests of kernels/flash.py: NumPy references, physics, tuning precision, input checks."""

import math

import numpy as np
import pytest
from argnames import naming
from numpy.testing import assert_allclose, assert_array_equal

from kernels import flash, rng

K_B = 1.380649e-23
Q_E = 1.602176634e-19
TEN_YEARS = 10 * 365.25 * 24 * 3600.0

# An ISPP configuration off the defaults: 1 mV fine pulses, at most 300 pulses.
FAST = dict(fine_step=1e-3, fine_margin=0.1, max_pulses=300)


def u_t(temperature_K):
    return K_B * temperature_K / Q_E


def records(kw):
    """`kw` in the flat names of the NumPy references below, as the kernels' arguments: the cell's
    and the ISPP schedule's fields gathered into `flash.FlashCell` and `flash.IsppSchedule`."""
    kw = dict(kw)
    cell = {k: kw.pop(k) for k in flash.FlashCell._fields if k in kw}
    ispp = {k: kw.pop(k) for k in flash.IsppSchedule._fields if k in kw}
    return {
        **kw,
        **({"cell": flash.FlashCell(**cell)} if cell else {}),
        **({"ispp": flash.IsppSchedule(**ispp)} if ispp else {}),
    }


# --------------------------------------------------------------------------- references


def numpy_program(
    g_target,
    *,
    seed,
    g_min=0.05,
    g_max=10.0,
    kappa=0.7,
    i0=1e-6,
    v_read_gate=1.0,
    v_ds=0.1,
    program_temperature_K=300.0,
    vth_erased=None,
    coarse_step=0.05,
    fine_step=1.2e-3,
    fine_margin=0.1,
    injection_noise=0.15,
    prog_noise_scale=1.0,
    pe_cycles=0,
    max_pulses=3000,
    medium_step=0.0,
    medium_margin=1e-2,
):
    """Plain Python ISPP with verify, one device at a time, same counter-based draws."""
    ut = u_t(program_temperature_K)
    flat = np.asarray(g_target, dtype=np.float64).ravel()

    def vth_of(g):
        return v_read_gate - (ut / kappa) * np.log(g * 1e-6 * v_ds / i0)

    def current(v):
        return i0 * np.exp(kappa * (v_read_gate - v) / ut)

    if vth_erased is None:
        vth_erased = vth_of(g_max) - 0.3
    noise = prog_noise_scale * injection_noise * (1.0 + math.sqrt(pe_cycles / 1e4))
    key = rng.numpy_stream_key(seed, rng.STREAM_PULSE)
    aims = vth_of(flat) - 0.5 * fine_step
    vth = np.empty_like(flat)
    pulses = np.empty(flat.shape, dtype=np.int64)
    for i, aim in enumerate(aims):
        counters = np.uint64(i) * np.uint64(max_pulses) + np.arange(max_pulses, dtype=np.uint64)
        xi = rng.numpy_normal_quantile(rng.numpy_uniform(key, counters))
        i_verify = current(aim)
        i_coarse = current(aim - fine_margin)
        i_medium = current(aim - medium_margin)
        v, n = vth_erased, 0
        while n < max_pulses:
            c = current(v)
            if c <= i_verify:
                break
            if c > i_coarse:
                step = coarse_step
            elif medium_step > 0 and c > i_medium:
                step = medium_step
            else:
                step = fine_step
            v += step * max(1.0 + noise * xi[n], 0.0)
            n += 1
        vth[i], pulses[i] = v, n
    return vth.reshape(np.shape(g_target)), pulses.reshape(np.shape(g_target))


def numpy_read(
    vth,
    t,
    *,
    seed,
    temperature_K=300.0,
    kappa=0.7,
    i0=1e-6,
    v_read_gate=1.0,
    v_ds=0.1,
    read_noise=0.017,
    retention_mV_per_decade=0.01,
    read_noise_scale=1.0,
    drift_scale=1.0,
):
    vth = np.asarray(vth, dtype=np.float64)
    dvth = -drift_scale * retention_mV_per_decade * 1e-3 * np.log10(1.0 + t)
    current = i0 * np.exp(kappa * (v_read_gate - (vth + dvth)) / u_t(temperature_K))
    xi = rng.numpy_normal(seed, rng.STREAM_READ, vth.size).reshape(vth.shape)
    current = current * (1.0 + read_noise * read_noise_scale * xi)
    return np.maximum(current, 0.0) / v_ds * 1e6


def random_targets(n, seed, g_min=0.05, g_max=10.0):
    return np.random.default_rng(seed).uniform(g_min, g_max, n)


# --------------------------------------------------------------------------- kernels vs NumPy


@pytest.mark.parametrize(
    "kw",
    [
        dict(FAST),
        dict(FAST, pe_cycles=3e4, prog_noise_scale=3.0),  # noise > 1: negative increments clamped
        dict(FAST, program_temperature_K=350.0, kappa=0.6, vth_erased=0.5, coarse_step=0.03, injection_noise=0.05),
    ],
)
def test_program_matches_numpy_reference(kw):
    g = random_targets(200, 1)
    out = flash.program(g, seed=11, **records(kw))
    vth_ref, pulses_ref = numpy_program(g, seed=11, **kw)
    assert_array_equal(out["pulses"], pulses_ref)
    assert_allclose(out["vth"], vth_ref, rtol=1e-13, atol=0)
    assert out["pulses"].max() < kw["max_pulses"]


def test_program_defaults_match_numpy_reference():
    g = random_targets(20, 2).reshape(4, 5)
    out = flash.program(g, seed=5)
    vth_ref, pulses_ref = numpy_program(g, seed=5)
    assert out["vth"].shape == (4, 5) and out["pulses"].shape == (4, 5)
    assert_array_equal(out["pulses"], pulses_ref)
    assert_allclose(out["vth"], vth_ref, rtol=1e-13, atol=0)


@pytest.mark.parametrize(
    "kw",
    [
        dict(),
        dict(
            temperature_K=380.0,
            kappa=0.8,
            i0=2e-7,
            v_read_gate=1.2,
            v_ds=0.05,
            read_noise=0.01,
            retention_mV_per_decade=1.0,
            read_noise_scale=2.0,
            drift_scale=3.0,
        ),
    ],
)
def test_read_matches_numpy_reference(kw):
    vth = np.random.default_rng(3).uniform(0.95, 1.25, (30, 7))
    g = flash.read(vth, 1e4, seed=9, **records(kw))
    assert g.shape == vth.shape
    assert_allclose(g, numpy_read(vth, 1e4, seed=9, **kw), rtol=1e-12, atol=0)


def test_same_seed_same_numbers():
    g = random_targets(50, 7)
    a = flash.program(g, seed=3, **records(FAST))
    b = flash.program(g, seed=3, **records(FAST))
    c = flash.program(g, seed=4, **records(FAST))
    assert_array_equal(a["vth"], b["vth"])
    assert_array_equal(a["pulses"], b["pulses"])
    assert not np.array_equal(a["vth"], c["vth"])
    assert_array_equal(flash.read(a["vth"], 5.0, seed=8), flash.read(a["vth"], 5.0, seed=8))
    assert not np.array_equal(flash.read(a["vth"], 5.0, seed=8), flash.read(a["vth"], 5.0, seed=9))


# --------------------------------------------------------------------------- physics


def test_thermal_voltage():
    assert flash.thermal_voltage(300.0) == pytest.approx(25.852e-3, rel=1e-4)


@pytest.mark.parametrize("temperature_K", [200.0, 300.0, 420.0])
def test_conductance_and_vth_are_inverse(temperature_K):
    g = np.geomspace(0.01, 50.0, 40)
    kw = dict(temperature_K=temperature_K, kappa=0.65, i0=3e-7, v_read_gate=1.1, v_ds=0.2)
    kw = records(kw)
    vth = flash.vth_for_conductance(g, **kw)
    assert_allclose(flash.conductance(vth, **kw), g, rtol=1e-12)
    vth_back = flash.vth_for_conductance(flash.conductance(vth, **kw), **kw)
    assert_allclose(vth_back, vth, rtol=1e-12)


def test_defaults_put_g_max_at_vth_equal_read_gate():
    # I0 = 1 uA at V_gs = V_th and v_ds = 0.1 V: 10 uS at V_th = 1 V.
    assert flash.vth_for_conductance(10.0) == pytest.approx(1.0, abs=1e-12)
    assert flash.vth_for_conductance(0.05) == pytest.approx(1.0 + u_t(300) / 0.7 * np.log(200), rel=1e-12)


def test_subthreshold_slope():
    vth = np.array([0.9, 1.1])
    v_gs = np.linspace(0.2, 0.9, 71)
    kappa = 0.7
    current = flash.iv_curves(vth, v_gs, temperature_K=300.0, cell=flash.FlashCell(kappa=kappa))
    assert current.shape == (2, 71)
    # I grows by exp(kappa dV / U_T): a swing of U_T ln(10) / kappa per decade.
    swing = np.diff(v_gs) / np.diff(np.log10(current), axis=1)
    assert_allclose(swing, u_t(300.0) * np.log(10.0) / kappa, rtol=1e-9)
    assert_allclose(swing, 0.0595 / kappa, rtol=0.01)  # "60 mV per decade over kappa"
    ratio = current[:, 1:] / current[:, :-1]
    assert_allclose(ratio, np.exp(kappa * np.diff(v_gs) / u_t(300.0))[None, :].repeat(2, 0), rtol=1e-9)
    # A 0.2 V higher threshold shifts the curve by 0.2 V.
    assert_allclose(current[1, 20:], current[0, :-20], rtol=1e-9)


def test_temperature_changes_current_non_uniformly():
    levels = flash.level_targets(256)
    vth = flash.vth_for_conductance(levels)  # programmed at 300 K
    for temperature_K in (250.0, 350.0, 400.0):
        g = flash.read(vth, 0.0, seed=1, temperature_K=temperature_K, read_noise_scale=0.0, drift_scale=0.0)
        # ln(I / I0) scales as 300 K / T.
        i_300 = levels * 1e-6 * 0.1
        expected = 1e-6 * (i_300 / 1e-6) ** (300.0 / temperature_K) / 0.1 * 1e6
        assert_allclose(g, expected, rtol=1e-10)
        change = np.abs(g / levels - 1.0)
        assert change[0] > 0.3  # the lowest level moves by tens of per cent
        assert change[-1] < 1e-9  # g_max sits at V_th = v_read_gate: unchanged
        assert change[0] > 10 * change[200] > 0.0
    g_hot = flash.read(vth, 0.0, seed=1, temperature_K=350.0, read_noise_scale=0.0)
    assert np.all(g_hot[:-1] > levels[:-1])  # hotter: more subthreshold current


# --------------------------------------------------------------------------- tuning precision

TUNING_TARGET = 0.01  # single-cell tuning, Merrikh-Bayat et al. 2014 and Guo et al. 2016 (about 1 %)
MVM_TARGET = 0.02  # 128 x 128 VMM precision, Guo et al. 2016 (about 2 %)
FACTOR = 1.5  # "about": within a factor 1.5 either way


def _tuned_cells(pe_cycles=0, per_level=80):
    """Relative errors ``g / target - 1`` of `per_level` cells at each of the 256 levels, programmed
    as `FlashDevice` programs them (three-step ISPP), as ``(256, per_level)``."""
    levels = flash.level_targets(256)
    g = np.repeat(levels, per_level)
    out = flash.program(g, seed=2024, pe_cycles=pe_cycles, ispp=flash.IsppSchedule(medium_step=flash.MEDIUM_STEP))
    assert out["pulses"].max() < 3000  # every device verified
    return (flash.conductance(out["vth"]) / g - 1.0).reshape(256, per_level)


def _within_band(value, se, target):
    """`value` lies in [target / FACTOR, target * FACTOR] by more than 5 standard errors `se`."""
    return target / FACTOR + 5.0 * se < value < target * FACTOR - 5.0 * se


def test_single_cell_tuning_is_about_one_percent_and_widens_with_wear():
    rel = _tuned_cells()
    n = rel.size
    sd = rel.std()
    # Standard error of a standard deviation: sd sqrt((kurtosis - 1) / (4 n)).
    kurt = np.mean((rel - rel.mean()) ** 4) / sd**4
    se = sd * math.sqrt((kurt - 1.0) / (4.0 * n))
    assert _within_band(sd, se, TUNING_TARGET), (sd, se)
    # The same relative precision at every level (subthreshold: a V_th error is a relative current error).
    per_level = rel.std(axis=1)
    assert per_level.min() > 0.7 * sd and per_level.max() < 1.3 * sd
    assert abs(rel.mean()) < 0.1 * sd  # centred on the targets
    # The verify band: a cell stops within about one fine step of V_th above its aim.
    slope = flash.KAPPA / flash.thermal_voltage(300.0)
    assert np.abs(rel).max() < slope * 1.6 * flash.FINE_STEP
    worn = _tuned_cells(pe_cycles=1e5)
    assert worn.std() > 1.5 * sd


def test_128x128_mvm_error_is_about_two_percent():
    from explorer.models import CrossbarModel, protocol_inputs, protocol_weights
    from kernels.rng import derive_seed

    W = protocol_weights(128, 128, derive_seed(0, "weights"))
    X = protocol_inputs(200, 128, derive_seed(0, "inputs"))
    xb = CrossbarModel(technology="Flash", mapping="differential", n_slices=1, dac_bits=None, adc_bits=None)
    prog = xb.program(W, seed=derive_seed(0, "programming"))
    y, y_ideal = prog.mvm(X, 0.0, seed=derive_seed(0, "read", 0)), prog.ideal(X)
    per_input = np.linalg.norm(y - y_ideal, axis=1) / np.linalg.norm(y_ideal, axis=1)
    err = prog.error(X, 0.0, seed=derive_seed(0, "read", 0))
    assert err == pytest.approx(per_input.mean(), rel=1e-12)  # the project's metric (section 12)
    se = per_input.std(ddof=1) / math.sqrt(per_input.size)
    assert _within_band(err, se, MVM_TARGET), (err, se)
    # Read noise and tuning add in quadrature: without read noise the tuning spread alone remains.
    xb.device.read_noise_scale = 0.0
    quiet = prog.error(X, 0.0, seed=derive_seed(0, "read", 0))
    assert _within_band(quiet, se, TUNING_TARGET), (quiet, se)


def test_max_pulses_reaches_the_top_level():
    # The g_min level (highest V_th) needs the most pulses: about 8 coarse ones from the
    # erased 0.70 V up to the fine window, then 0.05 to 0.1 V / 1.2 mV = 42 to 83 fine ones.
    for pe_cycles in (0, 1e5):
        out = flash.program(np.full(500, 0.05), seed=0, pe_cycles=pe_cycles)
        assert np.all(out["pulses"] < 3000)
    fresh = flash.program(np.full(500, 0.05), seed=0)["pulses"]
    # Fresh cells never jump past the fine window: one that did would stop after about 10 pulses.
    assert np.all(fresh > 25)


def test_three_step_ispp_matches_reference_and_saves_pulses():
    levels = flash.level_targets(256)
    g = np.repeat(levels[::15], 40)
    three = flash.program(g, seed=7, ispp=flash.IsppSchedule(medium_step=4e-3))
    vth_ref, pulses_ref = numpy_program(g, seed=7, medium_step=4e-3)
    assert_array_equal(three["pulses"], pulses_ref)
    assert_allclose(three["vth"], vth_ref, rtol=0, atol=1e-12)
    two = flash.program(g, seed=7)
    # Same precision (the last steps are the same fine ones), far fewer pulses.
    target_vth = flash.vth_for_conductance(g)
    err3, err2 = three["vth"] - target_vth, two["vth"] - target_vth
    assert np.abs(err3).max() < 2.4e-3 and np.abs(err2).max() < 2.4e-3  # within two fine steps
    assert err3.std() == pytest.approx(err2.std(), rel=0.2)
    assert three["pulses"].mean() < two["pulses"].mean() / 2
    with pytest.raises(ValueError, match="medium_step must lie in"):
        flash.program(g, seed=7, ispp=flash.IsppSchedule(medium_step=0.012))


def test_negligible_drift():
    levels = flash.level_targets(256)
    vth = flash.program(np.repeat(levels, 20), seed=3)["vth"]
    g_1s = flash.read(vth, 1.0, seed=4, read_noise_scale=0.0).reshape(256, 20).mean(axis=1)
    g_10y = flash.read(vth, TEN_YEARS, seed=5, read_noise_scale=0.0).reshape(256, 20).mean(axis=1)
    assert np.all(np.abs(g_10y / g_1s - 1.0) < 0.01)
    assert abs(g_10y.mean() / g_1s.mean() - 1.0) < 0.01
    assert g_10y.mean() > g_1s.mean()  # charge loss lowers V_th: more current


def test_level_targets():
    assert_allclose(flash.level_targets(2), [0.05, 10.0])
    t = flash.level_targets(256, g_min=0.1, g_max=5.0)
    assert t.shape == (256,)
    assert_allclose(np.diff(t), (5.0 - 0.1) / 255)


# --------------------------------------------------------------------------- read disturb


def numpy_disturb(vth, shift, n_reads, cells_per_bitline, ceiling, stress_to_saturate, m=None):
    """Row read by row read: at each inference read a cell is unselected on every row read but its
    own, and each such read moves V_th a share k m of its distance to the ceiling."""
    vth, d = np.asarray(vth, dtype=float), np.array(shift, dtype=float)
    k = np.minimum((1.0 if m is None else np.asarray(m)) / stress_to_saturate, 1.0)
    for _ in range(n_reads):
        for row in range(cells_per_bitline):
            unselected = row != 0  # one of the bit line's rows is the cell's own
            if unselected:
                d = d + k * np.maximum(ceiling - vth - d, 0.0)
    return d


def test_read_disturb_matches_a_row_read_loop():
    vth = flash.vth_for_conductance(np.linspace(0.05, 10.0, 12))
    m = np.linspace(0.2, 3.0, 12)
    start = np.linspace(0.0, 0.05, 12)
    for n_reads, cells in ((7, 16), (40, 3), (1, 1)):
        out = flash.read_disturb(
            vth, start, n_reads, cells_per_bitline=cells, stress_to_saturate=50.0, susceptibility=m
        )
        assert_allclose(
            out, numpy_disturb(vth, start, n_reads, cells, flash.DISTURB_CEILING_VTH, 50.0, m), rtol=1e-10, atol=1e-15
        )
    # a cell at or above the ceiling does not move; a rate above 1 lands on the ceiling at once
    high = np.array([flash.DISTURB_CEILING_VTH + 0.01])
    assert flash.read_disturb(high, np.zeros(1), 10**6)[0] == 0.0
    assert_allclose(
        flash.read_disturb(vth, np.zeros(12), 1, cells_per_bitline=2, stress_to_saturate=1.0),
        flash.DISTURB_CEILING_VTH - vth,
        rtol=1e-12,
    )


def test_read_disturb_grows_with_reads_and_cells_per_bitline_and_saturates():
    vth = flash.vth_for_conductance(flash.level_targets(16))
    zero = np.zeros_like(vth)
    reads = [0, 10**3, 10**5, 10**6, 10**7, 10**9, 10**12]
    shifts = np.array([flash.read_disturb(vth, zero, n) for n in reads])
    assert np.all(shifts[0] == 0.0)
    assert np.all(np.diff(shifts, axis=0) > 0.0)  # more reads, more shift
    head = flash.DISTURB_CEILING_VTH - vth
    assert_allclose(shifts[-1], head, rtol=1e-6)  # saturates at the ceiling
    # The lowest-V_th (highest-current) cells, with the most headroom, move most.
    assert np.all(np.diff(shifts[3]) > 0.0)  # levels run from g_min (highest V_th) up
    # Per inference read a cell is stressed cells_per_bitline - 1 times: well before saturation the
    # shift is proportional to it, and a lone cell on its bit line is never disturbed.
    by_cells = {n: flash.read_disturb(vth, zero, 10**5, cells_per_bitline=n) for n in (1, 2, 16, 128, 1024)}
    assert np.all(by_cells[1] == 0.0)
    for n in (16, 128, 1024):
        assert_allclose(by_cells[n] / by_cells[2], n - 1, rtol=0.01)
    # The same stress in two steps as in one (the state carries the history).
    half = flash.read_disturb(vth, zero, 5 * 10**5, cells_per_bitline=64)
    assert_allclose(
        flash.read_disturb(vth, half, 5 * 10**5, cells_per_bitline=64),
        flash.read_disturb(vth, zero, 10**6, cells_per_bitline=64),
        rtol=1e-9,
    )


def test_read_disturb_lowers_the_read_current_by_the_subthreshold_law():
    vth = flash.vth_for_conductance(np.array([0.5, 2.0, 8.0]))
    shift = flash.read_disturb(vth, np.zeros(3), 10**6)
    g0 = flash.read_moments(vth, 1.0)[0]
    g1 = flash.read_moments(vth, 1.0, disturb_vth=shift)[0]
    assert_allclose(g1 / g0, np.exp(-flash.KAPPA * shift / flash.thermal_voltage(300.0)), rtol=1e-9)
    noisy = flash.read(vth, 1.0, seed=3, disturb_vth=shift)
    assert_allclose(noisy, flash.read(vth + shift, 1.0, seed=3), rtol=1e-12)


def test_a_flash_array_is_disturbed_by_reads_and_restored_by_set_reads():
    from explorer.models.devices import DeviceModel

    dev = DeviceModel("Flash", cells_per_bitline=64)
    arr = dev.program(np.linspace(0.5, 9.5, 200), seed=1)
    fresh = arr.read_moments(3600.0)[0]
    arr.apply_reads(10**6)
    once = arr.read_moments(3600.0)[0]
    assert np.all(once < fresh)
    arr.apply_reads(10**6)
    twice = arr.read_moments(3600.0)[0]
    assert np.all(twice < once) and arr.reads == 2 * 10**6
    arr.set_reads(2 * 10**6)
    assert_allclose(arr.read_moments(3600.0)[0], twice, rtol=1e-12)
    arr.set_reads(0)
    assert_array_equal(arr.read_moments(3600.0)[0], fresh)
    # cells differ in susceptibility (lognormal, mean 1)
    m = arr.state["susceptibility"]
    assert abs(np.log(m).std() - flash.DISTURB_SPREAD) < 5 * flash.DISTURB_SPREAD / np.sqrt(2 * m.size)
    with pytest.raises(ValueError, match="polarity"):
        arr.apply_reads(10, polarity="bipolar")


# --------------------------------------------------------------------------- bad input


G = np.array([1.0, 2.0])


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: flash.program(np.array([1.0, np.nan]), seed=0), "g_target"),
        (lambda: flash.program(np.array([1.0, np.inf]), seed=0), "g_target"),
        (lambda: flash.program(np.array([0.01]), seed=0), "g_target"),
        (lambda: flash.program(np.array([10.5]), seed=0), "g_target"),
        (lambda: flash.program(G, seed=1.0), "seed"),
        (lambda: flash.program(G, seed=True), "seed"),
        (lambda: flash.program(G, seed=-1), "seed"),
        (lambda: flash.program(G, seed=0, program_temperature_K=150.0), "program_temperature_K"),
        (lambda: flash.program(G, seed=0, program_temperature_K=450.0), "program_temperature_K"),
        (lambda: flash.program(G, seed=0, g_min=5.0, g_max=1.0), "g_max"),
        (lambda: flash.program(G, seed=0, g_min=0.0), "g_min"),
        (lambda: flash.program(G, seed=0, **records(dict(kappa=1.5))), "kappa"),
        (lambda: flash.program(G, seed=0, **records(dict(i0=-1e-6))), "i0"),
        (lambda: flash.program(G, seed=0, **records(dict(v_ds=0.0))), "v_ds"),
        (lambda: flash.program(G, seed=0, **records(dict(fine_step=0.1))), "fine_step"),
        (lambda: flash.program(G, seed=0, **records(dict(coarse_step=0.0))), "coarse_step"),
        (lambda: flash.program(G, seed=0, **records(dict(fine_margin=-0.1))), "fine_margin"),
        (lambda: flash.program(G, seed=0, injection_noise=np.nan), "injection_noise"),
        (lambda: flash.program(G, seed=0, prog_noise_scale=-1.0), "prog_noise_scale"),
        (lambda: flash.program(G, seed=0, pe_cycles=-1), "pe_cycles"),
        (lambda: flash.program(G, seed=0, **records(dict(max_pulses=100))), "max_pulses"),
        (lambda: flash.program(G, seed=0, **records(dict(max_pulses=10.0))), "max_pulses"),
        (lambda: flash.program(G, seed=0, vth_erased=1.0), "vth_erased"),
        (lambda: flash.read(np.array([1.0]), -1.0, seed=0), "t"),
        (lambda: flash.read(np.array([1.0]), np.nan, seed=0), "t"),
        (lambda: flash.read(np.array([1.0]), 1.0, seed=0, temperature_K=199.0), "temperature_K"),
        (lambda: flash.read(np.array([1.0]), 1.0, seed=0, temperature_K=421.0), "temperature_K"),
        (lambda: flash.read(np.array([np.nan]), 1.0, seed=0), "vth"),
        (lambda: flash.read(np.array([1.0]), 1.0, seed=2.5), "seed"),
        (lambda: flash.read(np.array([1.0]), 1.0, seed=False), "seed"),
        (lambda: flash.read(np.array([1.0]), 1.0, seed=-3), "seed"),
        (lambda: flash.read(np.array([1.0]), 1.0, seed=0, read_noise=-0.1), "read_noise"),
        (lambda: flash.read(np.array([1.0]), 1.0, seed=0, retention_mV_per_decade=-1.0), "retention_mV_per_decade"),
        (lambda: flash.read(np.array([1.0]), 1.0, seed=0, drift_scale=np.inf), "drift_scale"),
        (lambda: flash.read(np.array([1.0]), 1.0, seed=0, read_noise_scale=-1.0), "read_noise_scale"),
        (lambda: flash.iv_curves(np.array([1.0]), np.array([0.5]), temperature_K=500.0), "temperature_K"),
        (lambda: flash.iv_curves(np.array([1.0]), np.array([np.inf])), "v_gs"),
        (lambda: flash.iv_curves(np.array([np.nan]), np.array([0.5])), "vth"),
        (lambda: flash.conductance(np.array([1.0]), temperature_K=100.0), "temperature_K"),
        (lambda: flash.vth_for_conductance(np.array([0.0])), "g"),
        (lambda: flash.vth_for_conductance(np.array([np.nan])), "g"),
        (lambda: flash.level_targets(1), "n_levels"),
        (lambda: flash.level_targets(257), "n_levels"),
        (lambda: flash.level_targets(16.0), "n_levels"),
        (lambda: flash.level_targets(True), "n_levels"),
        (lambda: flash.thermal_voltage(500.0), "temperature_K"),
        (lambda: flash.read_disturb(np.array([1.0]), np.zeros(1), -1), "n_reads"),
        (lambda: flash.read_disturb(np.array([1.0]), np.zeros(1), 2.5), "n_reads"),
        (lambda: flash.read_disturb(np.array([1.0]), np.zeros(2), 10), "shift"),
        (lambda: flash.read_disturb(np.array([1.0]), np.array([-0.1]), 10), "shift"),
        (lambda: flash.read_disturb(np.array([np.nan]), np.zeros(1), 10), "vth"),
        (lambda: flash.read_disturb(np.array([1.0]), np.zeros(1), 10, cells_per_bitline=0), "cells_per_bitline"),
        (lambda: flash.read_disturb(np.array([1.0]), np.zeros(1), 10, cells_per_bitline=5000), "cells_per_bitline"),
        (lambda: flash.read_disturb(np.array([1.0]), np.zeros(1), 10, stress_to_saturate=0.5), "stress_to_saturate"),
        (lambda: flash.read_disturb(np.array([1.0]), np.zeros(1), 10, ceiling_vth=np.nan), "ceiling_vth"),
        (lambda: flash.read_disturb(np.array([1.0]), np.zeros(1), 10, susceptibility=np.ones(3)), "susceptibility"),
        (
            lambda: flash.read_disturb(np.array([1.0]), np.zeros(1), 10, susceptibility=np.array([-1.0])),
            "susceptibility",
        ),
        (lambda: flash.read(np.array([1.0]), 1.0, seed=0, disturb_vth=np.zeros(2)), "disturb_vth"),
        (lambda: flash.read_moments(np.array([1.0]), 1.0, disturb_vth=np.array([-1.0])), "disturb_vth"),
        (lambda: flash.read_moments_times(np.array([1.0]), [1.0, -1.0]), "times"),
        (lambda: flash.read_moments_times(np.array([1.0]), []), "times"),
        (lambda: flash.read_moments_times(np.array([1.0]), [1.0], temperature_K=1.0), "temperature_K"),
        (
            lambda: flash.read_moments_times(np.array([1.0]), [1.0], cell_retention_mV_per_decade=np.ones(2)),
            "cell_retention_mV_per_decade",
        ),
    ],
)
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=naming(match)):
        call()


def test_read_disturb_after_several_counts_equals_one_count_at_a_time():
    """A sequence of counts gives each count's shifts stacked along a first axis, the same numbers
    as one call per count."""
    vth = flash.vth_for_conductance(np.linspace(0.05, 10.0, 12)).reshape(3, 4)
    m = np.linspace(0.2, 3.0, 12).reshape(3, 4)
    start = np.linspace(0.0, 0.05, 12).reshape(3, 4)
    counts = (0, 5, 10**5, 10**9)
    stacked = flash.read_disturb(vth, start, counts, cells_per_bitline=64, susceptibility=m)
    assert stacked.shape == (4, 3, 4)
    for row, n in zip(stacked, counts):
        np.testing.assert_array_equal(row, flash.read_disturb(vth, start, n, cells_per_bitline=64, susceptibility=m))
    with pytest.raises(ValueError, match=r"n_reads must be an integer or a 1-D sequence of integers"):
        flash.read_disturb(vth, start, [[1, 2]])
    with pytest.raises(ValueError, match=r"n_reads must be an integer in \[0, "):
        flash.read_disturb(vth, start, [1.5])


def test_moments_at_several_times_equal_one_call_per_time():
    """`read_moments_times` stacks `read_moments` at each time, bit for bit, with worn cells'
    own charge loss, read disturb, a drift scale and another temperature (t = 0 included, where
    drift acts on nothing)."""
    r = np.random.default_rng(1)
    vth = flash.vth_for_conductance(r.uniform(0.1, 10.0, (6, 5)))
    rates = flash.wear_retention_rates(vth.shape, 3 * 10**4, seed=2)
    shift = flash.read_disturb(vth, np.zeros(vth.shape), 10**6)
    times = [0.0, 1.0, 3600.0, 3.15e8]
    for kw in (
        {},
        dict(cell_retention_mV_per_decade=rates, drift_scale=2.5),
        dict(disturb_vth=shift, cell_retention_mV_per_decade=rates, temperature_K=350.0, read_noise_scale=0.3),
    ):
        mean, sigma = flash.read_moments_times(vth, times, **kw)
        assert mean.shape == sigma.shape == (len(times), *vth.shape)
        for k, t in enumerate(times):
            one_mean, one_sigma = flash.read_moments(vth, t, **kw)
            assert_array_equal(mean[k], one_mean)
            assert_array_equal(sigma[k], one_sigma)
        assert np.all(mean[-1] > mean[1])  # charge loss raises the read current
