"""The Encoding and Crossbar dashboards' models: the numbers the plots show."""

import numpy as np
import pytest

from explorer.models import CrossbarExplorer, EncodingExplorer
from explorer.models.dashboards.encoding import SOURCES
from kernels import encoding


@pytest.fixture(scope="module")
def analog_slicing():
    """Slicing curves with analog (unquantized) slices on ECRAM (constant read noise), a 14-bit
    full-scale ADC and a 16-bit DAC, so that little besides the slices' own errors remains.

    Full-scale ADC ranges: a calibrated range (the largest output of a calibration batch,
    independent of the evaluation inputs) clips the evaluation outputs that exceed it, and with F
    = 1 every slice clips the same output the same way, so that error does not average down with
    slices: measured, 29 of 49,152 conversions clipped at 6 slices and the error 0.0074 against
    0.0061 without an ADC."""
    ex = EncodingExplorer(
        adc_range="full-scale",
        technology="ECRAM",
        quantize_weights=False,
        adc_bits=14,
        dac_bits=16,
        size=64,
        batch=128,
        calibrate_gain=False,
        base=16.0,
    )
    return ex.slicing_curves()


@pytest.mark.parametrize("base", [1.0, 2.0, 16.0])
def test_mvm_error_versus_slices_follows_the_slicing_law(analog_slicing, base):
    """Section 9: with independent, equal slice errors, n slices of base F shrink the error
    by sqrt((F-1)(F^n+1)/((F+1)(F^n-1))) (1/sqrt(n) for F = 1)."""
    measured = analog_slicing["mvm_error"][base]
    law = analog_slicing["law"][base]
    # Each point is a mean over 128 x 64 outputs of one read: a few % of Monte-Carlo spread.
    np.testing.assert_allclose(measured, law, rtol=0.08)


@pytest.mark.parametrize("base", [1.0, 2.0, 16.0])
def test_slicing_law_matches_independent_slice_errors_combined_by_significance(base):
    """The law itself, against its premise: n slices with independent unit errors, slice i weighted
    by base**i over the sum of the weights (a weight is read as that significance-weighted sum).
    The Monte-Carlo standard deviation over N draws has a relative standard error of 1/sqrt(2N)
    (0.22 % at N = 10**5): a tolerance of 5 of those."""
    rng = np.random.default_rng(7)
    n_draws = 10**5
    for n in range(1, 7):
        weights = base ** np.arange(n)
        combined = rng.standard_normal((n_draws, n)) @ (weights / weights.sum())
        rel_se = 1.0 / np.sqrt(2 * n_draws)
        assert combined.std() == pytest.approx(encoding.sliced_error_factor(n, base), rel=5 * rel_se)


def test_equal_significance_beats_digital_significance_in_analog(analog_slicing):
    e = analog_slicing["mvm_error"]
    assert e[1.0][3] < e[2.0][3] < e[16.0][3]


def test_error_budget_parts_and_total():
    """The Encoding dashboard's budget at the README's setting (PCM, 128 x 128, 64 inputs, one hour):
    independent sources add in quadrature, and programming and read noise dominate while
    quantization and the 8-bit ADC are small parts (README, "Measured: encodings")."""
    size, batch = 128, 64
    ex = EncodingExplorer(technology="PCM", size=size, batch=batch)
    budget = ex.error_budget()
    assert set(budget["alone"]) == set(SOURCES)
    alone = np.array(list(budget["alone"].values()))
    assert np.all(alone > 0)
    # An input's relative error ||e|| / ||y|| over `size` outputs has a relative spread of about
    # 1 / sqrt(2 size); the mean over `batch` inputs 1 / sqrt(2 size batch). Total and root-sum-square
    # are two such estimates: they agree within three standard errors of their difference.
    rel_se = 1.0 / np.sqrt(2 * size * batch)
    rss = np.sqrt(np.sum(alone**2))
    assert budget["total"] == pytest.approx(rss, rel=3 * np.sqrt(2) * rel_se)
    share = {name: (e / rss) ** 2 for name, e in budget["alone"].items()}  # shares of the variance
    assert share["programming noise"] > 0.25 and share["read noise"] > 0.25 and share["drift"] > 0.1
    assert share["quantization"] < 0.01 and share["ADC"] < 0.03
    for source, without in budget["without"].items():
        assert without < budget["total"], source  # switching a source off never adds error
    only_read = ex.error_budget(enabled=("read noise",))
    assert only_read["total"] == pytest.approx(budget["alone"]["read noise"], rel=1e-9)
    with pytest.raises(ValueError, match="enabled sources must be among"):
        ex.error_budget(enabled=("cosmic rays",))


def test_common_mode_demonstration():
    ex = EncodingExplorer(technology="RRAM", size=64, batch=32)
    cm = ex.common_mode()
    additive = cm["additive"]
    assert np.ptp(additive["differential"]) < 1e-4 * additive["differential"].mean()
    assert np.ptp(additive["offset-reference"]) < 1e-4 * additive["offset-reference"].mean()
    assert additive["offset-digital"][0] > 2 * additive["offset-digital"].min()
    gains = cm["gains"]
    g0 = np.interp(1.0, gains, cm["multiplicative"]["uncalibrated gain error"])
    g5 = np.interp(1.05, gains, cm["multiplicative"]["uncalibrated gain error"])
    assert (1 + g5) / (1 + g0) == pytest.approx(1.05, abs=2e-3)  # a 5 % common mode is a 5 % gain error
    calibrated = cm["multiplicative"]["calibrated gain error"]
    assert np.ptp(calibrated) < 0.01  # calibration removes it (to the calibration read's noise)


def test_slice_histograms_count_every_device():
    ex = EncodingExplorer(technology="RRAM", n_slices=3, bits_per_slice=3, size=32)
    h = ex.slice_histograms()
    assert h["plus"].shape[0] == 3 and h["slice_bits"] == (3, 3, 3)
    assert np.all(h["plus"].sum(axis=1) == 32 * 32)
    ex.mapping = "offset-digital"
    assert ex.slice_histograms()["minus"] is None


@pytest.fixture(scope="module")
def crossbar_ex():
    return CrossbarExplorer(technology="RRAM", size=128, batch=32)


def test_crossbar_outputs_and_maps(crossbar_ex):
    out = crossbar_ex.outputs()
    assert 0 < out["mvm_error"] < 0.2
    assert out["ideal"].shape == out["analog"].shape
    assert out["error"].size == 32 * 128
    maps = crossbar_ex.conductance_maps()
    assert maps["plus"].shape == (128, 128) and maps["block"] == 1
    big = CrossbarExplorer(technology="RRAM", size=512, batch=4)
    assert big.conductance_maps()["plus"].shape == (256, 256)


def test_adc_sweep_error_falls_with_bits(crossbar_ex):
    before = dict(crossbar_ex.xb.read_settings())
    sweep = crossbar_ex.adc_sweep()
    err = sweep["mvm_error"]
    assert err[0] > 3 * err[-1]  # 2 bits versus 12 bits
    assert np.all(np.diff(err[:6]) < 0)  # every added bit helps while the ADC dominates
    assert dict(crossbar_ex.xb.read_settings()) == before  # the sweep reads other settings, sets none


def test_wire_sweep_error_grows_with_resistance(crossbar_ex):
    before = dict(crossbar_ex.xb.read_settings())
    sweep = crossbar_ex.wire_sweep()
    assert np.all(np.diff(sweep["ir_drop_max"]) > 0)
    assert sweep["mvm_error"][-1] > 2 * sweep["mvm_error"][0]
    assert dict(crossbar_ex.xb.read_settings()) == before


def test_read_time_controls_do_not_reprogram(crossbar_ex):
    prog = crossbar_ex.programmed()
    crossbar_ex.xb.adc_bits = 6
    crossbar_ex.log10_time = 5.0
    crossbar_ex.xb.ir_drop = True
    assert crossbar_ex.programmed() is prog
    crossbar_ex.stuck_fraction = 0.01
    assert crossbar_ex.programmed() is not prog


def test_the_crossbar_tab_programs_with_the_chosen_method():
    """ "Programming method" is a control wherever conductances are programmed: the Crossbar tab's
    array comes from the chosen method's run (with its history), the default from the statistics."""
    ex = CrossbarExplorer(size=32, batch=8)
    assert getattr(ex.programmed(), "history", None) is None
    first = ex.outputs()["mvm_error"]
    ex.programming_method = "verify"
    prog = ex.programmed()
    assert prog.history["reads"][-1] > 0 and prog.programming.kind == "verify"
    assert ex.outputs()["mvm_error"] != first
    ex.programming_method = "statistical"
    assert ex.outputs()["mvm_error"] == first


def test_the_browser_benchmark_lists_every_control_and_how_to_enable_a_disabled_one():
    """Every dashboard's controls are listed for the benchmark; a control disabled at the defaults
    comes with the settings that enable it: its idle rule's `enable` settings (`explorer.views._states`:
    Programming's learning rate under gdp, the wire resistance with IR drop on, the training-noise
    controls with the hwa network, the 5 x 5 task's label noise), or the value of the view's
    ENABLED_BY setting (Flash's temperature); one hidden at the defaults with the value of its
    SHOWN_BY setting that shows it (the Flash read-disturb study's bit-line length)."""
    import urllib.parse

    from panel.util import parse_query

    from explorer.app import DASHBOARDS
    from explorer.tools.browser_benchmark import tab_controls
    from explorer.views._widgets import resolve

    reached = {}
    for title, _, cls in DASHBOARDS:
        view = cls()
        controls = tab_controls(title)
        assert [c.name for c in controls] == list(view.widgets())
        rules = {r.control: r for r in getattr(getattr(view, "_idle", None), "rules", ())}
        for c in controls:
            if c.query:
                view = cls()  # at the defaults for each control
                widget = view.widgets()[c.name]
                assert widget.disabled or not view.control_shown(c.name)
                for key, value in parse_query(c.query).items():  # as the page's URL sync reads them
                    setting = key.split(".", 1)[1]
                    if c.name in rules:  # the rule's enable settings, by the name the URL gives them
                        (name,) = [n for n in rules[c.name].enable if n.rpartition(".")[2] == setting]
                        owner, attr = resolve(view.model, name)
                    else:
                        assert setting in (view.ENABLED_BY, getattr(view, "SHOWN_BY", None))
                        owner, attr = view.model, setting
                    setattr(owner, attr, value)
                assert not widget.disabled and view.control_shown(c.name)
                reached[title, c.name] = c.query
    assert urllib.parse.unquote(reached[("Training", "label_noise")]) == "train.task=5 x 5 correlation"
    assert reached[("Devices", "temperature_K")] == "dev.technology=Flash"
    assert reached[("Programming", "method.learning_rate")] == "prog.method=gdp"
    assert reached[("Programming", "log10_wire_resistance")] == "prog.ir_drop=true"
    assert reached[("Reliability", "hwa_noise_scale")] == "rel.training=hwa"
    assert urllib.parse.unquote(reached[("Reliability", "cells_per_bitline")]) == "rel.study=Flash read disturb"


def test_kept_crossbar_models_read_with_the_current_read_settings():
    """The Encoding explorer keeps one crossbar model per programming-time setting and sets the
    read-time ones on it: a sequence of read-time and seed changes on one explorer gives the numbers
    of a fresh explorer at each step, and a seed change makes no new model."""
    ex = EncodingExplorer(technology="RRAM", size=32, batch=8)
    ex.slicing_curves()
    one_slice = dict(n_slices=1, weight_bits=4, base=1.0, allocation="balanced")
    models = (ex._crossbar(), ex._crossbar(**one_slice))
    assert ex._crossbar() is models[0] and models[1] is not models[0]
    steps = [dict(seed=3), dict(dac_bits=4), dict(adc_bits=5, calibrate_gain=False), dict(log10_time=6.0)]
    settings = {}
    for step in steps:
        settings.update(step)
        for name, value in step.items():
            setattr(ex if name in ex.param else ex.xb, name, value)
        fresh = EncodingExplorer(technology="RRAM", size=32, batch=8, **settings)
        for method in ("slicing_curves", "error_budget", "slice_histograms"):
            got, want = getattr(ex, method)(), getattr(fresh, method)()
            for key in ("mvm_error", "weight_error") if method == "slicing_curves" else ():
                for F in want["bases"]:
                    np.testing.assert_array_equal(got[key][F], want[key][F])
            if method == "error_budget":
                assert got == want
            if method == "slice_histograms":
                np.testing.assert_array_equal(got["plus"], want["plus"])
        assert ex._crossbar().dac_bits == settings.get("dac_bits", fresh.xb.dac_bits)
    assert (ex._crossbar(), ex._crossbar(**one_slice)) == models  # read-time and seed changes: no new models
    assert models[1].dac_bits == 4 and models[1].adc_bits == 5 and not models[1].calibrate_gain
