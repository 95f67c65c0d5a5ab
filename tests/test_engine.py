"""The engine's layer above the kernels: results independent of the order in which settings were
visited, random streams independent by purpose, the memo's dependency recording, and a
programmed array that does not follow later changes of its device's programming-time settings."""

import numpy as np
import param
import pytest
from argnames import naming

from explorer.models import (
    CrossbarExplorer,
    CrossbarModel,
    DeviceModel,
    DevicesExplorer,
    EncodingExplorer,
    HermesPCMDevice,
    protocol_inputs,
    protocol_weights,
)
from explorer.models._internal.memo import Memo, Settings
from explorer.models.crossbar.protocol_data import calibration_inputs
from explorer.models.devices import TECHNOLOGIES
from kernels import rng

# ------------------------------------------------------------------ helpers


def assert_same(a, b, where=""):
    """Exact equality of plot data: nested dicts, lists and tuples of arrays, numbers and strings."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for k in a:
            assert_same(a[k], b[k], f"{where}/{k}")
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), where
        for k, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{k}]")
    elif isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=where)
    elif isinstance(a, float) and np.isnan(a):
        assert isinstance(b, float) and np.isnan(b), where
    else:
        assert a == b, (where, a, b)


def random_value(rand, p, small):
    """A random allowed value of parameter `p` (`small` overrides the choices of size-like ones)."""
    if p.name in small:
        return small[p.name][rand.integers(len(small[p.name]))]
    if isinstance(p, param.Boolean):
        return bool(rand.integers(2))
    if isinstance(p, param.Selector):
        return p.objects[rand.integers(len(p.objects))]
    lo, hi = p.bounds
    if isinstance(p, param.Integer):
        return int(rand.integers(lo, hi + 1))
    return float(np.round(rand.uniform(lo, hi), 3))


# ------------------------------------------------------------------ history independence, model level


def test_issue_example_a_read_does_not_depend_on_the_settings_visited_before():
    """PCM with gain calibration, programmed once, read at ADC 4 after the history IR drop on,
    ADC 4, IR drop off: the same numbers as the same read with no history."""
    W, X = protocol_weights(48, 32, seed=1), protocol_inputs(16, 48, seed=2)

    def fresh():
        xb = CrossbarModel(technology="PCM", calibrate_gain=True)
        return xb, xb.program(W, seed=3)

    xb, prog = fresh()
    for change in ({"ir_drop": True}, {"adc_bits": 4}, {"ir_drop": False}):
        xb.param.update(**change)
        prog.mvm(X, t=3600.0, seed=4)
    xb2, prog2 = fresh()
    xb2.adc_bits = 4
    np.testing.assert_array_equal(prog.mvm(X, t=3600.0, seed=4), prog2.mvm(X, t=3600.0, seed=4))


READ_CHOICES = {
    "dac_bits": [None, 4, 8],
    "adc_bits": [None, 4, 6, 8],
    "adc_range": ["calibrated", "full-scale"],
    "ir_drop": [False, True],
    "wire_resistance_ohm": [0.35, 2.0],
    "common_mode_gain": [1.0, 1.05],
    "common_mode_offset_uS": [0.0, 0.5],
    "calibrate_gain": [False, True],
    "input_slice_bits": [None, 2],
    "drift_scale": [0.5, 1.0],
    "read_noise_scale": [0.0, 1.0],
    "temperature_K": [300.0, 350.0],
}


@pytest.mark.parametrize("technology", ["PCM", "RRAM", "Flash"])
def test_fifty_random_histories_of_read_settings_give_a_fresh_arrays_numbers(technology):
    W, X = protocol_weights(32, 24, seed=5), protocol_inputs(8, 32, seed=6)
    xb = CrossbarModel(technology=technology, mapping="offset-reference" if technology == "RRAM" else "differential")
    prog = xb.program(W, seed=7)
    rand = np.random.default_rng(0)
    names = sorted(READ_CHOICES)
    for sequence in range(50):
        for _ in range(3):
            name = names[rand.integers(len(names))]
            value = READ_CHOICES[name][rand.integers(len(READ_CHOICES[name]))]
            target = xb.device if name in xb.device.READ_TIME else xb
            setattr(target, name, value)
            t = float(10.0 ** rand.integers(0, 7))
            prog.mvm(X, t=t, seed=int(rand.integers(3)))  # fills the memo with this history
        t = float(10.0 ** rand.integers(0, 7))
        reference = CrossbarModel(technology=technology, mapping=xb.mapping)
        reference.param.update(**{n: getattr(xb, n) for n in xb.READ_TIME})
        reference.device.param.update(**{n: getattr(xb.device, n) for n in xb.device.READ_TIME})
        fresh = reference.program(W, seed=7)
        np.testing.assert_array_equal(
            prog.mvm(X, t=t, seed=1), fresh.mvm(X, t=t, seed=1), err_msg=f"sequence {sequence}: {xb.read_settings()}"
        )


def test_a_programmed_array_ignores_later_programming_time_changes_of_its_device():
    dev = DeviceModel("PCM")
    arr = dev.program(np.full(64, 10.0), seed=0)
    before = arr.read(3600.0, seed=1)
    dev.g_max = 50.0  # programming time: the programmed state is not re-read through it
    dev.t0 = 1.0
    np.testing.assert_array_equal(arr.read(3600.0, seed=1), before)
    dev.read_noise_scale = 0.0  # read time: applies
    assert not np.array_equal(arr.read(3600.0, seed=1), before)


def test_hermes_one_device_fit_set_applies_at_construction():
    one = HermesPCMDevice(devices_per_weight=1)
    assert (one.g_max, one.t0) == (10.35, 200.0)
    two = HermesPCMDevice()
    two.devices_per_weight = 1
    assert (two.g_max, two.t0) == (10.35, 200.0)
    assert HermesPCMDevice(devices_per_weight=1, g_max=12.0).g_max == 12.0


# ------------------------------------------------------------------ history independence, explorers

EXPLORERS = {
    DevicesExplorer: dict(
        small={"n_devices": [256, 512], "n_levels": [2, 5, 16], "seed": [0, 1]},
        data=("histogram", "drift_trajectories", "pulse_response", "rtn_trace", "flash_iv"),
    ),
    EncodingExplorer: dict(
        small={"size": [16, 32], "batch": [4, 8], "seed": [0, 1], "n_slices": [1, 2, 3], "bits_per_slice": [2, 4, 8]},
        data=("slicing_curves", "slice_histograms", "error_budget", "common_mode"),
    ),
    CrossbarExplorer: dict(
        small={"size": [16, 32], "batch": [4, 8], "seed": [0, 1], "shown_slice": [0, 1]},
        data=("conductance_maps", "outputs", "adc_sweep", "wire_sweep"),
    ),
}


def explorer_settings(ex):
    """Every setting of an explorer, as keyword arguments that rebuild it."""
    if hasattr(ex, "settings"):
        return ex.settings()
    return {n: getattr(ex, n) for n in ex.param if n not in ("name", "devices")}


def set_setting(ex, name, value):
    """Set `name` where it lives: on the explorer, or on the crossbar model it drives."""
    setattr(ex if name in ex.param else ex.xb, name, value)


def setting_parameter(ex, name):
    return ex.param[name] if name in ex.param else ex.xb.param[name]


@pytest.mark.parametrize("cls", list(EXPLORERS), ids=lambda c: c.__name__)
def test_fifty_random_histories_on_an_explorer_give_a_fresh_explorers_plots(cls):
    """For 50 random sequences of setting changes on one explorer (its caches holding whatever the
    history left), every plot's data equals a fresh explorer's at the final settings."""
    spec = EXPLORERS[cls]
    ex = cls(**{n: v[0] for n, v in spec["small"].items()})
    rand = np.random.default_rng(1)
    names = [n for n in explorer_settings(ex) if setting_parameter(ex, n).precedence != -1]
    for _sequence in range(50):
        for _ in range(3):
            name = names[rand.integers(len(names))]
            set_setting(ex, name, random_value(rand, setting_parameter(ex, name), spec["small"]))
            shown = spec["data"][rand.integers(len(spec["data"]))]
            getattr(ex, shown)()
        final = explorer_settings(ex)
        fresh = cls(**final)
        assert explorer_settings(fresh) == final
        for method in spec["data"]:
            assert_same(getattr(ex, method)(), getattr(fresh, method)(), f"{cls.__name__}.{method}, {final}")


# ------------------------------------------------------------------ random streams


def test_derived_seeds_differ_by_purpose_and_read_and_are_reproducible():
    seeds = {(p, k): rng.derive_seed(0, p, k) for p in rng.PURPOSES for k in range(3)}
    assert len(set(seeds.values())) == len(seeds)
    assert rng.derive_seed(0, "read", 2) == seeds[("read", 2)]
    assert all(0 <= s <= rng.MAX_SEED for s in seeds.values())
    with pytest.raises(ValueError, match=naming("purpose")):
        rng.derive_seed(0, "weight")
    with pytest.raises(ValueError, match=naming("index")):
        rng.derive_seed(0, "read", -1)


def test_weight_errors_do_not_follow_the_weights_under_one_seed():
    """Weights and programming noise from one user seed: the programmed weight error is
    uncorrelated with the weights (it was 0.93 when both drew from one stream)."""
    W = protocol_weights(128, 128, seed=0)
    xb = CrossbarModel(technology="PCM", mapping="offset-digital", n_slices=1, quantize_weights=False)
    prog = xb.program(W, seed=0)
    error = (prog.weights(0.0) - W).ravel()
    r = np.corrcoef(error, W.ravel())[0, 1]
    assert abs(r) < 4.0 / np.sqrt(W.size), r  # 4 standard errors of a null correlation


def test_calibration_inputs_are_never_the_evaluation_inputs():
    x_eval = protocol_inputs(64, 128, seed=3)
    x_cal = calibration_inputs(64, 128, seed=3)
    assert not np.any(np.all(x_eval[:, None, :] == x_cal[None, :, :], axis=2))  # no shared vector
    nonzero = (x_eval != 0) & (x_cal != 0)
    r = np.corrcoef(x_eval[nonzero], x_cal[nonzero])[0, 1]
    assert abs(r) < 4.0 / np.sqrt(nonzero.sum()), r
    # An explorer's array calibrates on its own batch, whatever the seeds.
    ex = CrossbarExplorer(size=32, batch=64, calibrate_gain=True)
    _, X = ex.problem()
    prog = ex.programmed()
    cal = prog.calibration_inputs(ex.xb.read_settings())
    assert not np.any(np.all(X[:, None, :] == cal[None, :, :], axis=2))


# ------------------------------------------------------------------ the memo


def test_memo_keys_a_result_by_exactly_the_settings_it_read():
    memo = Memo()
    calls = []

    def inner(s):
        calls.append("inner")
        return s.a * 10

    def outer(s):
        calls.append("outer")
        return memo.get("inner", (), s, inner) + (s.b if s.a > 1 else 0)

    s = Settings(a=1, b=5, c=0)
    assert memo.get("outer", (), s, outer) == 10
    assert memo.get("outer", (), s.replace(b=6, c=1), outer) == 10  # b unread when a = 1, c never read
    assert calls == ["outer", "inner"]
    assert memo.get("outer", (), s.replace(a=2), outer) == 25
    assert calls == ["outer", "inner", "outer", "inner"]
    assert memo.get("outer", (), s.replace(a=2, b=7), outer) == 27  # now b is read: a new entry
    assert calls[-1] == "outer"  # the inner result for a = 2 was reused
    with pytest.raises(ValueError, match="unknown setting"):
        s.replace(d=1)
    with pytest.raises(AttributeError, match="immutable"):
        s.a = 3


def test_memo_finds_a_variant_by_the_values_it_read_as_the_comparison_does():
    """A kept variant is served for settings of equal values of the same type (1.0 is not 1 nor
    True), NaN matches NaN; a setting it did not read does not matter; dropped variants are no
    longer served."""
    memo = Memo(max_entries=1000)
    calls = []

    def compute(s):
        calls.append(s.peek("x"))
        return repr(s.x) + (repr(s.y) if s.x == "y" else "")

    values = [1.0, float("nan"), (1, 2), "a", None]
    for value in values:
        memo.get("f", (), Settings(x=value, y=0, z=0), compute)
    again = [1.0, float("nan"), (1.0, 2.0), "a", None]  # equal values, new objects
    kept = [memo.get("f", (), Settings(x=value, y=1, z=1), compute) for value in again]
    assert kept == ["1.0", "nan", "(1, 2)", "'a'", "None"] and len(calls) == 5  # the first results
    assert memo.get("f", (), Settings(x=1, y=0, z=0), compute) == "1" and calls[-1] == 1
    assert memo.get("f", (), Settings(x=True, y=0, z=0), compute) == "True" and len(calls) == 7
    assert memo.get("f", (), Settings(x="y", y=0, z=0), compute) == "'y'0"
    assert memo.get("f", (), Settings(x="y", y=1, z=0), compute) == "'y'1"  # y read: another variant
    assert memo.get("f", (), Settings(x="y", y=1, z=5), compute) == "'y'1" and len(calls) == 9
    with pytest.raises(TypeError):  # an unhashable value read is not kept (as before), but found no match
        memo.get("f", (), Settings(x=[1, 2], y=0, z=0), compute)
    assert calls[-1] == [1, 2]
    memo.forget(["f"])
    memo.get("f", (), Settings(x=1.0, y=0, z=0), compute)
    assert len(calls) == 11 and len(memo) == 1


def test_memo_stays_within_its_byte_bound():
    memo = Memo(max_bytes=10 * 8000, max_entries=1000)
    s = Settings(k=0)
    for k in range(50):
        memo.get("array", (k,), s, lambda s: np.zeros(1000))
    assert len(memo) == 10


def test_keyed_results_record_nothing_and_keep_per_name_limits_and_read_only_arrays():
    memo = Memo(per_name=2, read_only=True)
    calls = []

    def program(k):
        calls.append(k)
        # Reads of settings while computing are covered by the key: an enclosing recorded
        # computation must not see them, nor must they make the keyed result unreachable.
        _ = Settings(x=k).x
        return np.full(3, float(k))

    first = memo.keyed("programmed", (0,), lambda: program(0))
    assert memo.keyed("programmed", (0,), lambda: program(0)) is first and calls == [0]
    assert not first.flags.writeable
    for k in (1, 2):
        memo.keyed("programmed", (k,), lambda k=k: program(k))
    memo.keyed("programmed", (0,), lambda: program(0))  # the oldest of three was dropped
    assert calls == [0, 1, 2, 0]
    outer = memo.get("outer", (), Settings(y=1), lambda s: s.y + memo.keyed("programmed", (5,), lambda: program(5))[0])
    assert outer == 6.0
    assert memo.get("outer", (), Settings(y=1), lambda s: -1.0) == 6.0  # keyed by y alone


# ------------------------------------------------------------------ soft bounds as aihwkit


def test_soft_bounds_steps_follow_aihwkit_with_dw_min_at_the_middle():
    """aihwkit's SoftBoundsDevice in weight units w in [-1, 1]: dw = dw_min (1 - w) up and
    dw_min (1 + w) down, dw_min = 2 / n_states; the first step from the lower bound is 2 dw_min."""
    n_states, n = 50, 40
    dev = DeviceModel("Soft-bounds", n_states=n_states, c2c=0.0, d2d=0.0, asymmetry=0.0)
    g = dev.pulse_response(n_pulses=n, n_devices=1, seed=0)["g"][0]
    w, ref, dw_min = -1.0, [-1.0], 2.0 / n_states
    for k in range(2 * n):
        w = w + dw_min * (1.0 - w) if k < n else w - dw_min * (1.0 + w)
        ref.append(w)
    span = dev.g_max - dev.g_min
    np.testing.assert_allclose(g, dev.g_min + (np.array(ref) + 1.0) / 2.0 * span, rtol=1e-12, atol=1e-12)
    assert g[1] - g[0] == pytest.approx(2.0 * span / n_states)


@pytest.mark.parametrize("asymmetry", [-0.3, 0.0, 0.4])
def test_soft_bounds_alternating_pulses_settle_at_the_symmetry_point(asymmetry):
    """Up steps dw_min (1 + a)(1 - w), down steps dw_min (1 - a)(1 + w): alternating pulses settle
    where they balance, w* = a (physics reference section 6: the symmetry point)."""
    dev = DeviceModel("Soft-bounds", n_states=200, c2c=0.0, d2d=0.0, asymmetry=asymmetry)
    from kernels import pulsed

    cfg = dev._pulse_config()
    up, down = pulsed.device_steps(1, dg_min=cfg["dg"], asymmetry=asymmetry, d2d=0.0, seed=0)
    g = pulsed.pulse_train(
        np.array([dev.g_min]),
        np.tile([1.0, -1.0], 3000),
        g_min=dev.g_min,
        g_max=dev.g_max,
        dg_up=up,
        dg_down=down,
        gamma_up=1.0,
        gamma_down=1.0,
        c2c=0.0,
        seed=0,
    )[0]
    span = dev.g_max - dev.g_min
    w_settled = (g[-2:].mean() - dev.g_min) / span * 2.0 - 1.0
    assert w_settled == pytest.approx(asymmetry, abs=2.0 / 200)


# ------------------------------------------------------------------ read disturb in the array


def test_read_disturb_lives_in_the_array_and_bipolar_reads_cancel():
    W = protocol_weights(32, 16, seed=0)
    shifts = {}
    for polarity in ("unipolar", "bipolar"):
        xb = CrossbarModel(technology="RRAM", adc_bits=None)
        prog = xb.program(W, seed=2)
        before = prog.device_moments(60.0)[0].copy()
        version = prog.version
        prog.apply_reads(10**6, polarity=polarity, v_read=0.4)
        assert prog.version == version + 1 and prog.array.reads == 10**6
        after = prog.device_moments(60.0)[0]  # not the memo's pre-disturb moments
        inside = (before > xb.device.g_min + 1) & (before < xb.device.g_max - 1)
        shifts[polarity] = np.median(after[inside] / before[inside] - 1.0)
    assert shifts["unipolar"] > 0.01  # toward the saturated shift
    assert abs(shifts["bipolar"]) < 0.1 * shifts["unipolar"]
    with pytest.raises(ValueError, match="read-disturb"):
        CrossbarModel(technology="PCM").program(W, seed=0).apply_reads(10)


def test_calibrations_are_read_before_any_reads_and_kept_through_read_disturb():
    """The ADC ranges and the gain reference are read right after programming: reads that disturb
    the devices do not re-take them (a calibrated ADC's range stays where programming set it), and
    one asked for only after such reads is refused."""
    W, X = protocol_weights(32, 16, seed=0), protocol_inputs(8, 32, seed=1)
    xb = CrossbarModel(technology="RRAM", adc_bits=6, calibrate_gain=True)
    late = xb.program(W, seed=2)
    late.apply_reads(10**6, polarity="unipolar", v_read=0.4)
    with pytest.raises(ValueError, match=r"must be read right after programming, before any reads"):
        late.mvm(X, 60.0, seed=3)
    prog = xb.program(W, seed=2)
    s = xb.read_settings()
    prog.mvm(X, 60.0, seed=3)  # calibrates
    ranges = prog.calibration.adc_ranges(1, s).copy()
    prog.apply_reads(10**6, polarity="unipolar", v_read=0.4)
    prog.mvm(X, 60.0, seed=3)  # reads the disturbed devices with the kept calibration
    np.testing.assert_array_equal(prog.calibration.adc_ranges(1, s), ranges)
    prog.set_reads(0)
    np.testing.assert_array_equal(prog.calibration.adc_ranges(1, s), ranges)  # re-read: the same devices


def test_memo_forgets_the_named_computations_only():
    memo = Memo()
    s = Settings(k=0)
    memo.get("a", (), s, lambda s: 1)
    memo.get("b", (), s, lambda s: 2)
    memo.forget({"a"})
    assert len(memo) == 1 and memo.get("b", (), s, lambda s: 3) == 2


# ------------------------------------------------------------------ bad input names the argument


def _programmed(mapping="differential"):
    W = protocol_weights(16, 8, seed=0)
    return CrossbarModel(technology="PCM", mapping=mapping).program(W, seed=0)


BAD_CALLS = {
    "read_moments t": (lambda: DeviceModel("PCM").program(np.full(4, 5.0), seed=0).read_moments(-1.0), "t"),
    "read knobs": (
        lambda: (
            DeviceModel("PCM")
            .program(np.full(4, 5.0), seed=0)
            .read(1.0, seed=0, knobs=Settings(drift_scale=-1.0, read_noise_scale=1.0, temperature_K=300.0))
        ),
        "drift_scale",
    ),
    "pulse_response n_pulses": (lambda: DeviceModel("RRAM").pulse_response(n_pulses=0, seed=0), "n_pulses"),
    "pulse_response n_devices": (lambda: DeviceModel("RRAM").pulse_response(n_devices=-2, seed=0), "n_devices"),
    "pulse_response seed": (lambda: DeviceModel("RRAM").pulse_response(seed=-1), "seed"),
    "weights t": (lambda: _programmed().weights(t=float("nan")), "t"),
    "error X": (lambda: _programmed().error(np.ones((3, 5)), 0.0, seed=0), "X"),
    "error seed": (lambda: _programmed().error(np.ones((3, 16)), 0.0, seed=1.5), "seed"),
    "update_set_only mapping": (lambda: _programmed().update_set_only(np.zeros((16, 8)), seed=0), "update_set_only"),
    "update_set_only W_new": (lambda: _programmed("set-only").update_set_only(np.zeros((4, 8)), seed=0), "W_new"),
    "input_slice_bits": (lambda: CrossbarModel(input_slice_bits=0), "input_slice_bits"),
    "base": (lambda: CrossbarModel(base=0.5), "base"),
    "x_max": (lambda: CrossbarModel(x_max=0.0), "x_max"),
    "stuck_on_fraction": (lambda: CrossbarModel(stuck_on_fraction=0.7), "stuck_on_fraction"),
    "stuck_off_fraction": (lambda: CrossbarModel(stuck_off_fraction=-0.1), "stuck_off_fraction"),
    "settings name": (lambda: CrossbarModel().read_settings().replace(adc_bit=4), "adc_bit"),
    "mvm settings value": (
        lambda: _programmed().mvm(np.ones(16), 0.0, 0, settings=CrossbarModel().read_settings().replace(adc_bits=40)),
        "adc_bits",
    ),
    "derive_seed seed": (lambda: rng.derive_seed(-3, "read"), "seed"),
    "apply_reads n_reads": (
        lambda: CrossbarModel(technology="RRAM").program(protocol_weights(4, 4, 0), seed=0).apply_reads(-5),
        "n_reads",
    ),
    "apply_reads polarity": (
        lambda: (
            CrossbarModel(technology="RRAM").program(protocol_weights(4, 4, 0), seed=0).apply_reads(5, polarity="both")
        ),
        "polarity",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CALLS))
def test_bad_input_raises_a_value_error_naming_the_argument(case):
    call, name = BAD_CALLS[case]
    with pytest.raises(ValueError, match=naming(name)):
        call()


def test_memo_limits_the_results_kept_of_a_named_computation():
    memo = Memo(limits={"small": 3})
    s = Settings(k=0)
    for k in range(6):
        memo.get("small", (k,), s, lambda s, k=k: k)
        memo.get("other", (k,), s, lambda s, k=k: k)
    assert sum(1 for (key, _) in memo._entries if key[0] == "small") == 3
    assert sum(1 for (key, _) in memo._entries if key[0] == "other") == 6


# ------------------------------------------------------------------ mean-only results


@pytest.mark.parametrize("technology", sorted(TECHNOLOGIES))
def test_the_mean_read_alone_equals_the_moments_mean_for_every_knob_setting(technology):
    """`read_mean` reads only the knobs the mean depends on; whatever the others are, it equals
    the mean of `read_moments` (so nothing built on it can be served for the wrong settings)."""
    dev = TECHNOLOGIES[technology]()
    g = np.linspace(dev.g_min, dev.g_max, 64)
    arr = dev.program(g, seed=3)
    rand = np.random.default_rng(0)
    for _ in range(6):
        knobs = Settings(
            drift_scale=float(rand.uniform(0, 3)),
            read_noise_scale=float(rand.uniform(0, 3)),
            temperature_K=float(rand.uniform(250, 400)),
            **({"rtn_in_reads": bool(rand.integers(2))} if "rtn_in_reads" in dev.READ_TIME else {}),
        )
        for t in (0.0, 3600.0, 3e7):
            np.testing.assert_array_equal(arr.read_mean(t, knobs), arr.read_moments(t, knobs)[0])


@pytest.mark.parametrize("technology", sorted(TECHNOLOGIES))
def test_moments_at_several_times_equal_one_call_per_time(technology):
    """`read_moments_times` (Flash's one expression for all the times, the others' one call per
    time) stacks `read_moments` at each time, bit for bit, and names a bad time."""
    dev = TECHNOLOGIES[technology]()
    arr = dev.program(np.linspace(dev.g_min, dev.g_max, 48).reshape(6, 8), seed=3)
    knobs = Settings(
        drift_scale=1.7,
        read_noise_scale=0.6,
        temperature_K=340.0,
        **({"rtn_in_reads": True} if "rtn_in_reads" in dev.READ_TIME else {}),
    )
    times = [0.0, 1.0, 3600.0, 3e7]
    mean, sigma = arr.read_moments_times(times, knobs)
    assert mean.shape == sigma.shape == (4, 6, 8)
    for k, t in enumerate(times):
        one_mean, one_sigma = arr.read_moments(t, knobs)
        np.testing.assert_array_equal(mean[k], one_mean)
        np.testing.assert_array_equal(sigma[k], one_sigma)
    with pytest.raises(ValueError, match="times"):
        arr.read_moments_times([1.0, np.nan], knobs)
    with pytest.raises(ValueError, match="times"):
        arr.read_moments_times([], knobs)


def test_calibrated_adc_ranges_are_kept_when_only_the_read_noise_moves():
    """PCM's mean does not depend on the read noise, so neither do the calibrated ADC ranges (the
    largest noise-free calibration outputs): a read-noise change reuses them. Nor, at t = 0 where
    they are read, on the drift (`devices._drift_scale_at`): a drift change reuses them too, with
    the outputs a fresh array at that drift gives; a DAC change reads them again."""
    W, X = protocol_weights(64, 64, seed=0), protocol_inputs(8, 64, seed=1)
    xb = CrossbarModel(technology="PCM", calibrate_gain=True)
    prog = xb.program(W, seed=0)

    def ranges_kept():
        return sum(1 for (key, _deps) in prog.memo._entries if key[0] == "ADC ranges")

    prog.mvm(X, t=3600.0, seed=0)
    assert ranges_kept() == 1
    xb.device.read_noise_scale = 0.5
    prog.mvm(X, t=3600.0, seed=0)
    assert ranges_kept() == 1
    xb.device.drift_scale = 2.0  # ranges are read at t = 0, where drift is nil
    y = prog.mvm(X, t=3600.0, seed=0)
    assert ranges_kept() == 1
    fresh = CrossbarModel(technology="PCM", calibrate_gain=True)
    fresh.device.param.update(read_noise_scale=0.5, drift_scale=2.0)
    np.testing.assert_array_equal(y, fresh.program(W, seed=0).mvm(X, t=3600.0, seed=0))
    xb.dac_bits = 6
    prog.mvm(X, t=3600.0, seed=0)
    assert ranges_kept() == 2
