"""Issue 10, second part: RRAM read disturb (unipolar against bipolar reading), Flash wear and
the technology comparison, on the digits MLP (fixed seeds; differences judged against the
Monte-Carlo intervals of the mean over chips)."""

import math

import numpy as np
import pytest
from argnames import naming

from explorer.models import deployment
from explorer.models.dashboards import reliability
from explorer.models.devices import TECHNOLOGIES, DeviceModel
from kernels import flash

ENCODING = dict(mapping="differential", n_slices=1, dac_bits=None, adc_bits=None)
READS = reliability.READS  # the dashboard's and the README's counts, 0 to 1e10
YEAR = 3.156e7


@pytest.fixture(scope="module")
def reads_curves():
    """Accuracy against reads at 0.2 to 0.5 V (10 chips, seed 0, the README's setting): unipolar at
    every voltage, bipolar at the two that cost accuracy."""
    runs = [(v, "unipolar") for v in (0.2, 0.3, 0.4, 0.5)] + [(v, "bipolar") for v in (0.4, 0.5)]
    return {
        (v, p): deployment.accuracy_vs_reads(READS, polarity=p, v_read=v, chips=10, seed=0, **ENCODING) for v, p in runs
    }


def _at(curve, n):
    i = int(np.nonzero(READS == n)[0][0])
    return curve["mean"][i], curve["ci95"][i]


def test_read_disturb_is_field_driven(reads_curves):
    """Reads at or below 0.3 V keep the fresh accuracy (Shim et al.; Yao et al.: 1e6 reads at 0.2 V),
    reads at 0.4 V cost more than 2 points within 1e8 reads and 0.5 V more still: the saturated shift
    grows with the voltage. (The old law saturated at the same shift at every voltage, so 0.2 V and
    0.3 V lost about 7 points by 1e8 reads, as much as 0.4 and 0.5 V.)"""
    for v in (0.2, 0.3):
        uni = reads_curves[(v, "unipolar")]
        fresh, ci0 = uni["mean"][0], uni["ci95"][0]
        # every count up to 1e10 (the README's claim; the 1e8 included) within the fresh interval
        assert np.all(np.abs(uni["mean"] - fresh) <= ci0), (v, uni["mean"])
    losses = {}
    for v in (0.4, 0.5):
        uni = reads_curves[(v, "unipolar")]
        m8, ci8 = _at(uni, 10**8)
        losses[v] = (uni["mean"][0] - m8, ci8)
        # more than 2 points lost within 1e8 reads, beyond both intervals
        assert uni["mean"][0] - m8 - (uni["ci95"][0] + ci8) > 0.02, (v, uni["mean"])
    # the higher voltage loses more, beyond both intervals at 1e8 reads
    assert losses[0.5][0] - losses[0.4][0] > losses[0.5][1] + losses[0.4][1]


# The README's lower bounds of the factor by which bipolar reading extends the reads before a 2-point loss.
BIPOLAR_FACTOR = {0.4: 2e4, 0.5: 3e5}


@pytest.mark.parametrize("v", sorted(BIPOLAR_FACTOR))
def test_bipolar_reading_extends_the_reads_before_a_2_point_loss(reads_curves, v):
    uni, bi = reads_curves[(v, "unipolar")], reads_curves[(v, "bipolar")]
    n_uni = deployment.reads_before_loss(READS, uni["mean"], 0.02)
    n_bi = deployment.reads_before_loss(READS, bi["mean"], 0.02)
    assert n_uni is not None and n_uni < 10**8
    # Bipolar at 1e8 reads stays within the intervals of its fresh accuracy.
    m8, ci8 = _at(bi, 10**8)
    assert abs(m8 - bi["mean"][0]) < ci8 + bi["ci95"][0]
    # The factor: a lower bound (1e10 over the unipolar count) if bipolar never loses 2 points in the grid.
    assert (READS[-1] if n_bi is None else n_bi) / n_uni >= BIPOLAR_FACTOR[v]


def test_reads_before_loss_interpolates_on_the_log_count():
    reads = np.array([0, 100, 10000])
    assert deployment.reads_before_loss(reads, [0.9, 0.9, 0.8], 0.05) == pytest.approx(1000.0)
    assert deployment.reads_before_loss(reads, [0.9, 0.89, 0.88], 0.05) is None


def test_the_read_disturb_study_leaves_the_chips_as_programmed():
    from explorer.models import ReliabilityExplorer

    m = ReliabilityExplorer(technology="RRAM", chips=2)
    before = m.curve()["per_chip"].copy()
    m.reads_curves()
    m.reads_histogram()
    from explorer.models.dashboards.reliability import TIMES_S

    _, data, _ = m._task()
    again = deployment.evaluate(
        m.deployed(), data.X_test, data.y_test, TIMES_S, m.compensation, m.crossbar().read_settings()
    )
    assert np.array_equal(again, before)
    assert all(layer.array.reads == 0 for chip in m.deployed() for layer in chip.layers)


def test_the_histogram_shifts_up_and_the_low_states_move_most():
    from explorer.models import ReliabilityExplorer

    h = ReliabilityExplorer(read_voltage=0.4, log10_reads=8.0).reads_histogram()
    shift = h["unipolar"] - h["fresh"]
    assert shift.mean() > 0.5  # uS toward g_max
    low = h["fresh"] < np.median(h["fresh"])
    assert shift[low].mean() > shift[~low].mean()  # more headroom, more shift
    assert abs((h["bipolar"] - h["fresh"]).mean()) < 0.1 * shift.mean()


def test_wear_retention_rates_have_the_stated_mean_and_vanish_on_fresh_cells():
    n = 200_000
    rates = flash.wear_retention_rates((n,), 4e4, seed=3)
    expected = flash.WEAR_RETENTION_MV_PER_DECADE * 2.0
    # lognormal sigma 1: sd of one draw is mean * sqrt(e - 1); 5 standard errors
    assert abs(rates.mean() - expected) < 5 * expected * math.sqrt(math.e - 1) / math.sqrt(n)
    assert not np.any(flash.wear_retention_rates((10,), 0, seed=3))
    assert np.array_equal(rates, flash.wear_retention_rates((n,), 4e4, seed=3))
    with pytest.raises(ValueError, match=naming("pe_cycles")):
        flash.wear_retention_rates((3,), -1, seed=0)


def test_cycled_flash_cells_gain_current_as_they_lose_charge():
    vth = flash.vth_for_conductance(np.full(4, 2.0))
    rates = np.array([0.0, 0.5, 1.0, 2.0])
    g1 = flash.read_moments(vth, 1.0, cell_retention_mV_per_decade=rates)[0]
    g10y = flash.read_moments(vth, 10 * YEAR, cell_retention_mV_per_decade=rates)[0]
    growth = g10y / g1
    assert np.all(np.diff(growth) > 0)  # the faster a cell loses charge, the more current it gains
    # the subthreshold law: a V_th drop dV multiplies I by exp(kappa dV / U_T)
    dv = 2.0e-3 * (math.log10(1 + 10 * YEAR) - math.log10(2.0))
    assert growth[3] / growth[0] == pytest.approx(math.exp(flash.KAPPA * dv / flash.thermal_voltage(300.0)), rel=1e-9)
    with pytest.raises(ValueError, match=naming("cell_retention_mV_per_decade")):
        flash.read_moments(vth, 1.0, cell_retention_mV_per_decade=np.ones(3))


def test_flash_wear_costs_accuracy_at_long_retention():
    w = deployment.accuracy_vs_cycles([10, 10**5], [3600.0, 10 * YEAR], chips=8, seed=0, **ENCODING)
    fresh, worn = (w["mean"][i, 1] for i in (0, 1))
    ci = w["ci95"][:, 1]
    assert worn + ci[1] < fresh - ci[0]
    # the wear shows with time: at 1 h the worn chips are closer to the fresh ones than at 10 years
    assert w["mean"][0, 0] - w["mean"][1, 0] < fresh - worn
    assert DeviceModel("Flash").program(np.full(3, 1.0), seed=0).state.get("wear_rate") is None


FLASH_READS = np.array([0, 10**4, 10**5, 10**6, 3 * 10**6, 10**7, 3 * 10**7, 10**8, 3 * 10**8, 10**9])


def test_flash_read_disturb_costs_accuracy_and_shorter_bitlines_extend_the_reads():
    long_, short = (
        deployment.accuracy_vs_flash_reads(FLASH_READS, cells_per_bitline=n, chips=4, seed=0, **ENCODING)
        for n in (128, 16)
    )
    # Same chips before any read: the bit-line length only enters through the reads.
    assert np.array_equal(long_["per_chip"][:, 0], short["per_chip"][:, 0])
    # 128 cells per bit line: after 1e8 reads the mean is below the fresh one beyond both intervals.
    i8 = int(np.nonzero(FLASH_READS == 10**8)[0][0])
    assert long_["mean"][i8] + long_["ci95"][i8] < long_["mean"][0] - long_["ci95"][0]
    # 16 cells per bit line see 15 instead of 127 stress events per read: 2 points are lost later,
    # by about 127 / 15 = 8.5 (more than 4x, the log-interpolation between counts allowing).
    n_long = deployment.reads_before_loss(FLASH_READS, long_["mean"], 0.02)
    n_short = deployment.reads_before_loss(FLASH_READS, short["mean"], 0.02)
    assert n_long is not None and n_short is not None
    assert 1e5 < n_long < 1e8
    assert n_short > 4 * n_long
    # At 1e7 reads the short bit lines keep the accuracy the long ones have lost, beyond both intervals.
    i7 = int(np.nonzero(FLASH_READS == 10**7)[0][0])
    assert long_["mean"][i7] + long_["ci95"][i7] < short["mean"][i7] - short["ci95"][i7]


def test_the_technology_comparison_holds_every_preset_and_pcm_drifts_below_flash():
    c = deployment.technology_comparison([3600.0, YEAR], chips=6, seed=0, **ENCODING)
    assert list(c) == list(TECHNOLOGIES)
    pcm, fl = c["PCM"], c["Flash"]
    assert pcm["mean"][1] + pcm["ci95"][1] < fl["mean"][1] - fl["ci95"][1]


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: deployment.accuracy_vs_reads([10, 5]), "reads"),
        (lambda: deployment.accuracy_vs_reads([1.5]), "reads"),
        (lambda: deployment.accuracy_vs_reads([-1]), "reads"),
        (lambda: deployment.accuracy_vs_reads([0, 10], polarity="both"), "polarity"),
        (lambda: deployment.accuracy_vs_reads([0, 10], chips=0), "chips"),
        (lambda: deployment.accuracy_vs_cycles([10, 5], [1.0]), "cycles"),
        (lambda: deployment.accuracy_vs_flash_reads([10, 5]), "reads"),
        (lambda: deployment.accuracy_vs_flash_reads([0, 10], cells_per_bitline=0), "cells_per_bitline"),
        (lambda: deployment.accuracy_vs_flash_reads([0, 10], cells_per_bitline=8.5), "cells_per_bitline"),
        (lambda: deployment.accuracy_vs_cycles([10], [0.0]), "times_s"),
        (lambda: deployment.technology_comparison([1.0], technologies=["DRAM"]), "technologies"),
    ],
)
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=naming(name)):
        call()


def test_the_reliability_view_shows_one_study_at_a_time_and_the_marker_alone_is_cheap():
    import panel as pn
    from bokeh.document import Document

    from explorer.views import ReliabilityView

    view = ReliabilityView()
    view.model.chips = 3
    pn.panel(view).get_root(Document())
    assert "Read disturb: accuracy versus reads" in view._showing
    assert "Technology comparison" not in view._showing
    title = view._plots["Read disturb: accuracy versus reads"][0].figure.title.text
    assert title.startswith("RRAM at 0.40 V: 2% loss after")
    count = len(view.computed)
    view.model.log10_reads = 8.0
    assert sorted(list(view.computed)[count:]) == [
        ("Read disturb: accuracy versus reads", 1),
        ("Read disturb: conductances", 0),
    ]
    assert view.control_shown("read_voltage")
    view.model.study = "technologies"
    assert "Technology comparison" in view._showing and "Read disturb: conductances" not in view._showing
    assert not view.control_shown("read_voltage")  # its controls go with the study
    assert view._plots["Technology comparison"][0].figure.title.text.startswith("At 1 year:")


def _hwa_view():
    """A Reliability view on two chips (the technology comparison as its study), rendered, with the
    hardware-aware network chosen; and its accuracy plot."""
    import panel as pn
    from bokeh.document import Document

    from explorer.views import ReliabilityView

    view = ReliabilityView()
    view.model.chips = 2
    view.model.study = "technologies"
    pn.panel(view).get_root(Document())
    view.model.training = "hwa"
    return view, view._plots["Accuracy versus time"][0]


def test_a_training_noise_between_the_slider_positions_trains_in_the_background_and_is_kept():
    import panel as pn

    from explorer.models import train_mlp
    from explorer.models.digits import load_digits

    view, plot = _hwa_view()  # the shipped hwa network: no training
    assert view._driver.run is None and "additive noise x1" in plot.figure.title.text
    before = plot.sources["mean"].data["y"].copy()
    view.model.param.update(hwa_noise="multiplicative", hwa_noise_scale=0.6)  # between 0.5 and 0.75
    view._driver.join(timeout=60)
    assert not view._driver.is_alive() and view._training is None
    assert "multiplicative noise x0.6" in plot.figure.title.text
    assert not np.array_equal(plot.sources["mean"].data["y"], before)
    # the network adopted is the one train_mlp gives for that configuration
    d = load_digits()
    expected = train_mlp(d.X_train, d.y_train, seed=0, multiplicative_noise=0.1, noise_scale=0.6)
    assert all(np.array_equal(a, b) for a, b in zip(view.model.network().W, expected.W))
    assert view.model.pending_training() is None
    assert pn.state.cache["explorer-reliability-trained-networks"]  # shared with the server's other sessions


def test_every_position_of_the_training_noise_slider_loads_a_shipped_network():
    from explorer.models import ReliabilityExplorer
    from explorer.models.training.mlp import HWA_NOISES, HWA_SCALE_STEP

    view, plot = _hwa_view()
    slider = view.widgets()["hwa_noise_scale"]
    assert slider.step == HWA_SCALE_STEP and slider.end == view.model.param.hwa_noise_scale.bounds[1]
    model = ReliabilityExplorer(training="hwa")
    for noise in HWA_NOISES:
        for scale in np.arange(slider.start, slider.end + HWA_SCALE_STEP / 2, HWA_SCALE_STEP):
            model.param.update(hwa_noise=noise, hwa_noise_scale=float(scale))
            assert model.pending_training() is None and isinstance(model.network_key(), str), (noise, scale)
    view.model.param.update(hwa_noise="PCM-like", hwa_noise_scale=2.75)  # the page: drawn at once
    assert view._driver.run is None and view._training is None  # nothing trained
    assert "PCM-like noise x2.75" in plot.figure.title.text


def test_the_flash_read_disturb_study_shows_its_bitline_control_and_curves():
    import panel as pn
    from bokeh.document import Document

    from explorer.views import ReliabilityView

    view = ReliabilityView()
    view.model.chips = 3
    pn.panel(view).get_root(Document())
    assert not view.control_shown("cells_per_bitline")  # hidden with the other studies
    view.model.study = "Flash read disturb"
    name = "Flash read disturb: accuracy versus reads"
    assert name in view._showing and "Read disturb: conductances" not in view._showing
    assert view.control_shown("cells_per_bitline") and not view.control_shown("read_voltage")
    assert view._plots[name][0].figure.title.text.startswith("Flash, 128 cells per bit line: 2% loss after")
    view.model.cells_per_bitline = 16
    plot = view._plots[name][0]
    assert plot.figure.title.text.startswith("Flash, 16 cells per bit line: 2% loss after")
    assert "(128 cells: " in plot.figure.title.text
    r = view.model.flash_reads()
    assert sorted(r) == [16, 128]
    assert r[128]["survives"] is not None
    assert r[16]["survives"] is None or r[16]["survives"] > 4 * r[128]["survives"]
    chosen, default = plot.sources["chosen"].data["y"], plot.sources["default"].data["y"]
    assert np.array_equal(chosen, r[16]["mean"]) and np.array_equal(default, r[128]["mean"])
