"""Issue 10, first part: the digits asset and its checks, the MLP trained in NumPy, and its
accuracy against time on simulated PCM arrays with and without drift compensation (fixed seeds;
differences judged against the Monte-Carlo intervals)."""

import importlib.util
import pathlib

import numpy as np
import pytest
from argnames import naming

from explorer.models import deployment, digits
from explorer.models.training import mlp

ROOT = pathlib.Path(__file__).resolve().parents[1]
HOUR, DAY, MONTH, YEAR = 3600.0, 86400.0, 30 * 86400.0, 3.156e7
PCM = dict(technology="PCM", mapping="differential", n_slices=1, dac_bits=None, adc_bits=None)


def test_digits_asset_has_the_fixed_stratified_split():
    d = digits.load_digits()
    assert d.X_train.shape == (1438, 64) and d.X_test.shape == (359, 64)
    assert 0.0 <= d.X_train.min() and d.X_train.max() <= 1.0
    for c in range(10):  # 20 % of each class, rounded, in the test set
        n = np.sum(d.y_train == c) + np.sum(d.y_test == c)
        assert np.sum(d.y_test == c) == round(0.2 * n)


def test_a_missing_or_corrupted_asset_names_the_file_and_the_command(tmp_path):
    with pytest.raises(digits.AssetError, match=r"missing\.npz is missing; regenerate it with: .*make_digits\.py"):
        digits.load_digits(tmp_path / "missing.npz")
    bad = tmp_path / "digits.npz"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(digits.AssetError, match=r"cannot be read.*make_digits\.py"):
        digits.load_digits(bad)
    with np.load(digits.DIGITS_FILE) as f:
        arrays = dict(f)
    arrays["labels"] = arrays["labels"].copy()
    arrays["labels"][0] = (arrays["labels"][0] + 1) % 10
    np.savez(bad, **arrays)
    with pytest.raises(digits.AssetError, match=r"expected digits.*make_digits\.py"):
        digits.load_digits(bad)
    with pytest.raises(digits.AssetError, match=r"make_mlp\.py"):
        mlp.load_mlp(path=tmp_path / "none.npz")


def test_the_digits_script_regenerates_the_same_arrays(tmp_path):
    pytest.importorskip("sklearn")
    spec = importlib.util.spec_from_file_location("make_digits", ROOT / "assets" / "make_digits.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.OUT = tmp_path / "digits.npz"
    module.main()
    digits.load_digits(module.OUT)  # raises unless the SHA-256 matches the shipped file's


@pytest.mark.parametrize("variant,noise", [("plain", 0.0), ("hwa", 0.05)])
def test_the_shipped_mlp_is_the_one_its_script_trains(variant, noise):
    d = digits.load_digits()
    shipped = mlp.load_mlp(variant)
    with np.load(digits.MLP_FILE) as f:
        quoted = float(f[f"{variant}_test_accuracy"])
    assert shipped.accuracy(d.X_test, d.y_test) == quoted > 0.95
    again = mlp.train_mlp(d.X_train, d.y_train, seed=0, weight_noise=noise)
    for a, b in zip(again.W + again.b, shipped.W + shipped.b):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


@pytest.fixture(scope="module")
def pcm_curves():
    times = [HOUR, DAY, MONTH, YEAR]
    return {
        comp: deployment.accuracy_vs_time(times, chips=10, seed=0, compensation=comp, **PCM)
        for comp in ("none", "global", "per-column")
    }


def test_pcm_drift_costs_accuracy_and_global_compensation_recovers_most_of_it(pcm_curves):
    none, glob = pcm_curves["none"], pcm_curves["global"]
    print("\nPCM, differential pair, ideal DAC/ADC, 10 chips: mean accuracy at 1 h, 1 d, 30 d, 1 y")
    for name, r in pcm_curves.items():
        print(f"  {name:7s} " + ", ".join(f"{m:.4f} ± {c:.4f}" for m, c in zip(r["mean"], r["ci95"])))
    # no compensation: a year loses accuracy against an hour, beyond both intervals
    assert none["mean"][0] - none["mean"][-1] > none["ci95"][0] + none["ci95"][-1]
    # global compensation: at a year, more accurate than none by more than the intervals
    assert glob["mean"][-1] - none["mean"][-1] > glob["ci95"][-1] + none["ci95"][-1]
    # and it recovers at least half of the loss from an hour to a year
    assert glob["mean"][-1] - none["mean"][-1] > 0.5 * (none["mean"][0] - none["mean"][-1])


def test_per_column_compensation_at_a_year_is_within_the_global_interval_or_better(pcm_curves):
    """Per-column compensation (one factor per output) corrects at least what the global factor
    does: at a year its mean is no lower than the global mean minus the global 95 % interval."""
    glob, col = pcm_curves["global"], pcm_curves["per-column"]
    print(f"\n1 year: global {glob['mean'][-1]:.4f} ± {glob['ci95'][-1]:.4f}, per-column {col['mean'][-1]:.4f}")
    assert col["mean"][-1] >= glob["mean"][-1] - glob["ci95"][-1]
    assert col["mean"][-1] - pcm_curves["none"]["mean"][-1] > col["ci95"][-1] + pcm_curves["none"]["ci95"][-1]


def _noiseless_chip():
    """One PCM chip of the digits MLP whose reads are exact (no drift, no read noise, ideal DAC/ADC)."""
    net, data = mlp.load_mlp("plain"), digits.load_digits()
    xb = deployment.CrossbarModel(**PCM)
    xb.device.param.update(drift_scale=0.0, read_noise_scale=0.0)
    chip = deployment.DeployedMLP(net, xb, seed=0, input_scales=deployment.input_scales(net, data.X_train))
    return chip, data.X_test[:40]


def test_per_column_compensation_removes_a_per_column_gain_error_exactly():
    """A gain g_j on every device of output j, after the reference was read, scales output j by g_j;
    per-column compensation divides it out (to the float32 rounding of the PCM kernels), global
    compensation cannot (one factor for unequal gains)."""
    chip, X = _noiseless_chip()
    before = chip.logits(X, 3600.0)
    chip.calibrate()
    gains = []
    for k, layer in enumerate(chip.layers):
        g = np.linspace(0.6, 1.4, layer.cols)[np.random.default_rng(k).permutation(layer.cols)]
        gains.append(g)
        per_device = np.repeat(g, layer.n_slices * layer.n_pol)  # physical columns (j, slice, polarity)
        arr = layer.array
        arr.replace_state({**arr.state, "g_prog": arr.state["g_prog"] * per_device})
    assert np.abs(chip.logits(X, 3600.0) - before).max() > 0.1 * np.abs(before).max()  # the error is there
    scale = np.abs(before).max()
    np.testing.assert_allclose(chip.logits(X, 3600.0, "per-column"), before, rtol=0, atol=1e-5 * scale)
    assert np.abs(chip.logits(X, 3600.0, "global") - before).max() > 0.05 * scale


def test_compensation_floors_both_readouts_at_1e_4_as_aihwkit():
    from explorer.models.crossbar.calibration import READOUT_FLOOR, drift_factor

    assert READOUT_FLOOR == 1e-4
    ref, now = np.array([0.0, 5e-5, 1e-6, 1.0]), np.array([1e-9, 1e-6, 5e-5, 0.5])
    np.testing.assert_array_equal(drift_factor(ref, now, "per-column"), [1.0, 1.0, 1.0, 2.0])
    assert drift_factor([1e-6, 1e-6], [1e-8, 1e-8], "global") == 1.0
    assert drift_factor([0.2, 0.4], [0.1, 0.2], "global") == pytest.approx(2.0)


def test_a_point_does_not_depend_on_the_other_times_asked_for():
    """Reads are keyed by their time: the accuracy at a year is the same asked alone or with other
    times, compensated or not (they used to be keyed by their position in the request)."""
    for comp in ("none", "global"):
        alone = deployment.accuracy_vs_time([YEAR], chips=4, seed=0, compensation=comp, **PCM)
        some = deployment.accuracy_vs_time([DAY, YEAR], chips=4, seed=0, compensation=comp, **PCM)
        many = deployment.accuracy_vs_time([HOUR, DAY, MONTH, YEAR], chips=4, seed=0, compensation=comp, **PCM)
        np.testing.assert_array_equal(alone["per_chip"][:, 0], some["per_chip"][:, -1])
        np.testing.assert_array_equal(alone["per_chip"][:, 0], many["per_chip"][:, -1])


@pytest.mark.parametrize("compensation", ["none", "global", "per-column"])
def test_a_chip_read_at_all_times_at_once_equals_one_read_per_time(compensation):
    """`logits_times` reads each layer at every time in one call (the curve's batched read path);
    each time's logits equal `logits` at that time alone, with the compensation factors of
    its own calibration reads."""
    net, data = mlp.load_mlp("plain"), digits.load_digits()
    xb = deployment.CrossbarModel(**{**PCM, "adc_bits": 6})
    chip = deployment.deploy(net, xb, seed=3, chips=2)[1]
    times = [HOUR, MONTH, YEAR]
    together = chip.logits_times(data.X_test[:40], times, compensation)
    assert together.shape == (3, 40, 10)
    for k, t in enumerate(times):
        np.testing.assert_array_equal(together[k], chip.logits(data.X_test[:40], t, compensation))
    assert not np.array_equal(together[0], together[2])


@pytest.mark.parametrize("compensation", ["none", "per-column"])
def test_a_chip_read_after_every_count_at_once_equals_one_count_at_a_time(compensation):
    """`logits_reads` keeps each count's devices as a snapshot and reads them all in one call per
    layer; each count's logits equal `logits` with every layer set to that count, and the chip is
    left as programmed."""
    net, data = mlp.load_mlp("plain"), digits.load_digits()
    xb = deployment.CrossbarModel(**{**PCM, "technology": "RRAM", "adc_bits": 6})
    chip = deployment.deploy(net, xb, seed=3, chips=1)[0]
    chip.calibrate()
    reads, X = [0, 10**5, 10**8], data.X_test[:40]
    together = chip.logits_reads(X, reads, "unipolar", 0.45, HOUR, compensation)
    assert together.shape == (3, 40, 10)
    assert all(layer.array.reads == 0 for layer in chip.layers)
    for k, n in enumerate(reads):
        for layer in chip.layers:
            layer.set_reads(n, polarity="unipolar", v_read=0.45)
        np.testing.assert_array_equal(together[k], chip.logits(X, HOUR, compensation))
    assert not np.array_equal(together[0], together[2])


AFTER_READS = {
    "RRAM, IR drop, stuck devices, offset reference, 6-bit ADC, bipolar": (
        dict(technology="RRAM", mapping="offset-reference", ir_drop=True, stuck_on_fraction=0.02, adc_bits=6),
        "bipolar",
        0.5,
    ),
    "RRAM, two slices, common mode, unipolar": (
        dict(technology="RRAM", n_slices=2, common_mode_gain=1.1, common_mode_offset_uS=0.5),
        "unipolar",
        0.45,
    ),
    "Flash, three slices": (dict(technology="Flash", n_slices=3), "unipolar", None),
    "RRAM, gain calibration (counts set in turn)": (
        dict(technology="RRAM", calibrate_gain=True, ir_drop=True),
        "unipolar",
        0.5,
    ),
}


@pytest.mark.parametrize("case", list(AFTER_READS))
def test_snapshots_after_every_count_equal_setting_each_count_in_turn(case):
    """`snapshots_after_reads` computes the devices of every count in one call, leaving the
    devices as programmed; each snapshot and each read of it equal `set_reads` then `snapshot`
    (read matrices, IR loss of the disturbed conductances, gain factor) count by count."""
    settings, polarity, v_read = AFTER_READS[case]
    xb = deployment.CrossbarModel(**{**PCM, **settings})
    W = np.linspace(-1.0, 1.0, 96).reshape(12, 8)
    X = np.linspace(-1.0, 1.0, 36).reshape(3, 12)
    kw = dict(polarity=polarity) if v_read is None else dict(polarity=polarity, v_read=v_read)
    counts, seeds = [0, 10**4, 10**7, 10**4, 10**9], [11, 12, 13, 14, 15]
    prog = xb.program(W, seed=4)
    version = prog.version
    together = prog.snapshots_after_reads(counts, HOUR, seeds, **kw)
    if not settings.get("calibrate_gain"):
        assert prog.version == version  # the devices were not changed
    assert prog.state.array.reads == 0
    y = prog.mvm_snapshots(np.stack([X] * len(counts)), together)
    twin = xb.program(W, seed=4)
    twin.calibrate()
    for k, (n, seed) in enumerate(zip(counts, seeds)):
        twin.set_reads(n, **kw)
        one = twin.snapshot(HOUR, seed)
        assert (together[k].t, together[k].seed, together[k].gain) == (one.t, one.seed, one.gain)
        for a, b in zip(together[k].matrices, one.matrices):
            if isinstance(a, tuple):
                for a_part, b_part in zip(a, b):
                    np.testing.assert_array_equal(a_part, b_part)
            else:
                np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(y[k], twin.mvm(X, HOUR, seed))
    assert not np.array_equal(y[0], y[2])  # the reads did disturb the devices


def test_snapshots_after_reads_names_bad_input():
    prog = deployment.CrossbarModel(**{**PCM, "technology": "RRAM"}).program(np.eye(4), seed=1)
    with pytest.raises(ValueError, match=r"seeds must hold one seed per count \(2\), got 1"):
        prog.snapshots_after_reads([0, 10], HOUR, [1])
    with pytest.raises(ValueError, match="counts"):
        prog.snapshots_after_reads([-1], HOUR, [1])
    prog.set_reads(5)
    with pytest.raises(ValueError, match=r"the devices must be as programmed \(no reads\), they have had 5"):
        prog.snapshots_after_reads([10], HOUR, [1])
    pcm = deployment.CrossbarModel(**PCM).program(np.eye(4), seed=1)
    with pytest.raises(ValueError, match="read-disturb model"):
        pcm.snapshots_after_reads([10], HOUR, [1])


def test_a_snapshot_reads_the_devices_as_they_were_and_names_bad_input():
    prog = deployment.CrossbarModel(**{**PCM, "technology": "RRAM", "calibrate_gain": True}).program(
        np.linspace(-1.0, 1.0, 64).reshape(8, 8), seed=1
    )
    X = np.linspace(-1.0, 1.0, 24).reshape(3, 8)
    fresh, fresh_y = prog.snapshot(HOUR, 5), prog.mvm(X, HOUR, 5)
    prog.set_reads(10**8, polarity="unipolar", v_read=0.5)
    worn, worn_y = prog.snapshot(HOUR, 6), prog.mvm(X, HOUR, 6)
    prog.set_reads(0)
    y = prog.mvm_snapshots(np.stack([X, X]), [fresh, worn])
    np.testing.assert_array_equal(y[0], fresh_y)
    np.testing.assert_array_equal(y[1], worn_y)
    assert not np.array_equal(fresh_y, worn_y)
    other = prog.snapshot(HOUR, 7, settings=prog.read_settings().replace(adc_bits=4))
    with pytest.raises(ValueError, match="snapshots must all be taken with the same read settings"):
        prog.mvm_snapshots(np.stack([X, X]), [fresh, other])
    with pytest.raises(ValueError, match="snapshots must hold at least one ReadSnapshot"):
        prog.mvm_snapshots(X[None], [])
    with pytest.raises(ValueError, match=r"X must have shape \(reads, batch, 8\)"):
        prog.mvm_snapshots(X, [fresh])


def test_a_read_count_does_not_depend_on_the_other_counts_asked_for():
    """Likewise after read disturb: 1e8 reads give the same accuracy asked alone or after other
    counts, with the compensation reference read before any reads; and 0 reads at one hour is
    the same read as `accuracy_vs_time` at one hour."""
    enc = {k: v for k, v in PCM.items() if k != "technology"}
    for comp in ("none", "global"):
        alone = deployment.accuracy_vs_reads([10**8], chips=3, seed=0, compensation=comp, **enc)
        many = deployment.accuracy_vs_reads([0, 10**6, 10**8], chips=3, seed=0, compensation=comp, **enc)
        np.testing.assert_array_equal(alone["per_chip"][:, 0], many["per_chip"][:, -1])
    hour = deployment.accuracy_vs_time([HOUR], chips=3, seed=0, compensation="global", **{**enc, "technology": "RRAM"})
    np.testing.assert_array_equal(hour["per_chip"][:, 0], many["per_chip"][:, 0])


def test_the_compensation_reference_must_be_read_before_any_reads():
    net, data = mlp.load_mlp("plain"), digits.load_digits()
    xb = deployment.CrossbarModel(**{**PCM, "technology": "RRAM"})
    chip = deployment.DeployedMLP(net, xb, seed=0, input_scales=deployment.input_scales(net, data.X_train))
    for layer in chip.layers:
        layer.set_reads(10**6, polarity="unipolar", v_read=0.3)
    with pytest.raises(ValueError, match=r"calibration reference must be read .* before any reads"):
        chip.logits(data.X_test[:5], HOUR, "global")
    chip.logits(data.X_test[:5], HOUR, "none")  # no reference needed
    for layer in chip.layers:
        layer.set_reads(0)
    chip.calibrate()
    for layer in chip.layers:
        layer.set_reads(10**6, polarity="unipolar", v_read=0.3)
    chip.logits(data.X_test[:5], HOUR, "global")  # the reference was read first


def test_a_single_chip_has_no_interval():
    r = deployment.accuracy_vs_time([DAY], chips=1, seed=0, **PCM)
    assert np.isfinite(r["mean"]).all() and np.isnan(r["sd"]).all() and np.isnan(r["ci95"]).all()


def test_an_adc_whose_range_is_set_at_programming_loses_more_to_drift(pcm_curves):
    """Drift shrinks the outputs while the ADC's range stays where programming set it, so fewer of
    its levels are used: with a 5-bit ADC the uncompensated loss from an hour to a year is larger
    than with an ideal ADC, beyond the intervals (at 8 bits the two do not differ measurably)."""
    ideal = pcm_curves["none"]
    adc = deployment.accuracy_vs_time(
        [HOUR, DAY, MONTH, YEAR], chips=10, seed=0, compensation="none", **{**PCM, "adc_bits": 5}
    )
    loss_ideal, loss_adc = ideal["mean"][0] - ideal["mean"][-1], adc["mean"][0] - adc["mean"][-1]
    print(f"\nloss from 1 h to 1 y: ideal ADC {loss_ideal:.4f}, 5-bit ADC {loss_adc:.4f}")
    assert loss_adc - loss_ideal > sum(r["ci95"][i] for r in (ideal, adc) for i in (0, -1))


def test_hardware_aware_training_holds_accuracy_better_on_the_same_chips(pcm_curves):
    """The network trained with 5 % weight noise, programmed with the same seeds and read at the same
    times, keeps more accuracy than the plain one at a day and at a year, beyond both intervals."""
    plain = pcm_curves["none"]
    hwa = deployment.accuracy_vs_time(
        [HOUR, DAY, MONTH, YEAR], chips=10, seed=0, compensation="none", variant="hwa", **PCM
    )
    print(
        "\nplain against hardware-aware, no compensation, at 1 d and 1 y: "
        f"{plain['mean'][1]:.4f} / {hwa['mean'][1]:.4f}, {plain['mean'][3]:.4f} / {hwa['mean'][3]:.4f}"
    )
    for i in (1, 3):
        assert hwa["mean"][i] - plain["mean"][i] > hwa["ci95"][i] + plain["ci95"][i]


def test_the_band_narrows_as_chips_grow_and_the_same_seed_gives_the_same_curve():
    a = deployment.accuracy_vs_time([DAY], chips=8, seed=3, **PCM)
    b = deployment.accuracy_vs_time([DAY], chips=8, seed=3, **PCM)
    np.testing.assert_array_equal(a["per_chip"], b["per_chip"])
    big = deployment.accuracy_vs_time([DAY], chips=32, seed=3, **PCM)
    # the 95 % interval of the mean scales as sd / sqrt(chips): a quarter of the chips, twice the width,
    # within the sampling spread of two standard deviations (chi-square with 7 degrees of freedom)
    ratio = big["ci95"][0] / a["ci95"][0]
    assert 0.25 < ratio < 0.85, ratio
    np.testing.assert_array_equal(big["per_chip"][:8], a["per_chip"])  # chip c is chip c


@pytest.mark.parametrize(
    "kwargs,name",
    [
        (dict(times_s=[0.0, 1.0]), "times_s"),
        (dict(times_s=[2.0, 1.0]), "times_s"),
        (dict(times_s=[]), "times_s"),
        (dict(times_s=[1.0], chips=0), "chips"),
        (dict(times_s=[1.0], compensation="local"), "compensation"),
        (dict(times_s=[1.0], variant="noisy"), "variant"),
        (dict(times_s="3600"), "times_s"),
        (dict(times_s=["3600", "86400"]), "times_s"),
        (dict(times_s=[True]), "times_s"),
    ],
)
def test_bad_input_names_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=naming(name)):
        deployment.accuracy_vs_time(**kwargs)


@pytest.mark.parametrize("reads", ["100", ["0", "100"]])
def test_read_counts_must_be_numbers(reads):
    with pytest.raises(ValueError, match="reads"):
        deployment.accuracy_vs_reads(reads, chips=2)


# ----------------------------------------------------------------------------- the dashboard's model and view


def test_reliability_explorer_rereads_without_reprogramming_and_matches_a_fresh_one():
    from explorer.models import ReliabilityExplorer

    ex = ReliabilityExplorer(chips=4)
    before = ex.curve()
    chips = ex.deployed()
    ex.drift_scale = 0.5  # read-time: the same programmed chips, read again
    assert ex.deployed() is chips
    half = ex.curve()
    year = np.argmin(np.abs(np.log(half["times_s"] / YEAR)))
    assert half["mean"][year] > before["mean"][year]  # half the drift, less accuracy lost
    ex.compensation = "global"
    ex.n_slices = 2  # programming-time: new chips
    assert ex.deployed() is not chips
    fresh = ReliabilityExplorer(chips=4, drift_scale=0.5, compensation="global", n_slices=2)
    np.testing.assert_array_equal(ex.curve()["per_chip"], fresh.curve()["per_chip"])


def test_reliability_view_redraws_the_curve_when_the_drift_scale_moves():
    import panel as pn
    from bokeh.document import Document

    from explorer.views import ReliabilityView

    view = ReliabilityView()
    pn.panel(view).get_root(Document())
    plot = view._plots["Accuracy versus time"][0]
    before = plot.sources["mean"].data["y"].copy()
    assert plot.figure.title.text.startswith("PCM, no drift compensation, 10 chips:")
    view.model.drift_scale = 0.5
    assert not np.array_equal(plot.sources["mean"].data["y"], before)
    count = len(view.computed)
    view.model.log10_time = 6.0  # the marker alone moves: the curve is not recomputed
    assert plot.annotations["now"].location == pytest.approx(1e6)
    assert [c for c in list(view.computed)[count:]] == [("Accuracy versus time", 1)]
