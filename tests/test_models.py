"""Scripting API and dashboard model without a browser."""

import numpy as np
import pytest
from argnames import naming

from explorer.models import TECHNOLOGIES, DeviceModel, DevicesExplorer


@pytest.mark.parametrize("technology", sorted(TECHNOLOGIES))
def test_program_and_read_every_technology(technology):
    dev = DeviceModel(technology=technology)
    targets = dev.level_targets(4).repeat(50).reshape(4, 50)
    arr = dev.program(targets, seed=0)
    g = arr.read(t=3600.0, seed=1)
    assert g.shape == targets.shape
    assert np.all(np.isfinite(g))
    assert np.all(g >= dev.g_min) and np.all(g <= 1.5 * dev.g_max)
    # levels stay ordered on average: the model reproduces what it was asked to store
    assert np.all(np.diff(g.mean(axis=1)) > 0)
    # same seeds, same numbers; another read seed, other read noise
    np.testing.assert_array_equal(g, dev.program(targets, seed=0).read(t=3600.0, seed=1))
    assert not np.array_equal(g, arr.read(t=3600.0, seed=2))


def test_programming_state_is_kept_between_reads():
    dev = DeviceModel("PCM")
    arr = dev.program(np.full(2000, 20.0), seed=3)
    nu = arr.state["nu"].copy()
    early, late = arr.read(t=1.0, seed=1), arr.read(t=3.15e8, seed=1)
    np.testing.assert_array_equal(arr.state["nu"], nu)
    assert late.mean() < early.mean()


def test_read_time_knobs_apply_without_reprogramming():
    dev = DeviceModel("PCM")
    arr = dev.program(np.full(5000, 20.0), seed=0)
    base = arr.read(t=86400.0, seed=1).mean()
    dev.drift_scale = 0.0
    no_drift = arr.read(t=86400.0, seed=1).mean()
    assert no_drift > base
    assert abs(no_drift / 20.0 - 1) < 0.01


def test_flash_temperature_changes_levels_unequally():
    dev = DeviceModel("Flash")
    targets = np.repeat([0.5, 9.0], 100)
    arr = dev.program(targets, seed=0)
    cold = arr.read(t=1.0, seed=1).reshape(2, -1).mean(axis=1)
    dev.temperature_K = 350.0
    hot = arr.read(t=1.0, seed=1).reshape(2, -1).mean(axis=1)
    ratio = hot / cold
    assert abs(ratio[0] - ratio[1]) > 0.1


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: DeviceModel("SRAM"), "technology"),
        (lambda: DeviceModel("PCM", colour=1), "unknown parameter"),
        (lambda: DeviceModel("PCM").program([np.nan], seed=0), "targets_uS"),
        (lambda: DeviceModel("PCM").program([np.inf], seed=0), "targets_uS"),
        (lambda: DeviceModel("PCM").program([30.0], seed=0), "targets_uS"),
        (lambda: DeviceModel("RRAM").program([1.0], seed=0), "targets_uS"),
        (lambda: DeviceModel("RRAM", g_min=50.0, g_max=40.0).program([45.0], seed=0), "g_max"),
        (lambda: DeviceModel("PCM", t_read=float("inf")).program([10.0], seed=0).read(t=1.0, seed=0), "t_read"),
        (lambda: DeviceModel("PCM").program([10.0], seed=1.0), "seed"),
        (lambda: DeviceModel("PCM").program([10.0], seed="a"), "seed"),
        (lambda: DeviceModel("PCM").program([10.0], seed=0).read(t=-1.0, seed=0), "t"),
        (lambda: DeviceModel("PCM").program([10.0], seed=0).read(t=1.0, seed=None), "seed"),
        (lambda: DeviceModel("PCM").level_targets(1), "n_levels"),
    ],
)
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=naming(match)):
        call()


def test_parameters_carry_bounds():
    with pytest.raises(ValueError):
        DevicesExplorer(drift_scale=-1.0)
    with pytest.raises(ValueError):
        DevicesExplorer(n_levels=1000)
    ex = DevicesExplorer()
    for name in (
        "drift_scale",
        "prog_noise_scale",
        "read_noise_scale",
        "temperature_K",
        "n_levels",
        "log10_time",
        "n_devices",
        "seed",
    ):
        lo, hi = ex.param[name].bounds
        assert lo is not None and hi is not None, name


@pytest.mark.parametrize("technology", sorted(TECHNOLOGIES))
def test_every_slider_extreme_gives_finite_plot_data(technology):
    """No slider position can raise: every bound of every slider, on every technology."""
    ex = DevicesExplorer(technology=technology, n_devices=512)
    for name in ("drift_scale", "prog_noise_scale", "read_noise_scale", "temperature_K", "n_levels", "log10_time"):
        for value in ex.param[name].bounds:
            ex.param.update(**{name: value})
            h = ex.histogram()
            assert np.isfinite(h["counts"]).all() and h["counts"].sum() > 0
            assert np.isfinite(ex.drift_trajectories()["g"]).all()
        ex.param.update(**{name: ex.param[name].default})


def test_time_slider_changes_the_histogram_and_drift_lowers_pcm():
    ex = DevicesExplorer(technology="PCM")
    ex.log10_time = 0.0
    early = ex.histogram()
    ex.log10_time = ex.param.log10_time.bounds[1]
    late = ex.histogram()
    assert not np.array_equal(early["counts"], late["counts"])
    assert np.all(late["mean_ratio"] < early["mean_ratio"])
    assert late["level_error_rate"] > early["level_error_rate"]


def test_reprogramming_only_on_programming_parameters():
    ex = DevicesExplorer()
    arr = ex.programmed()
    ex.log10_time = 5.0
    ex.read_noise_scale = 2.0
    assert ex.programmed() is arr
    ex.prog_noise_scale = 2.0
    assert ex.programmed() is not arr


def test_rtn_amplitude_larger_at_low_conductance():
    ex = DevicesExplorer(technology="RRAM")
    data = ex.rtn_trace()
    spread = np.abs(data["relative"]).max(axis=1)
    assert data["g_prog"][0] < data["g_prog"][2]
    assert spread[0] > spread[2]
    assert ex.flash_iv() is None


def test_views_render_to_bokeh_without_a_browser():
    import panel as pn
    from bokeh.document import Document

    from explorer.views import DevicesView

    view = DevicesView()
    root = pn.panel(view).get_root(Document())
    assert root is not None
    for technology in ("PCM", "RRAM", "Flash"):
        view.model.technology = technology
        titles = [plots[0].figure.title.text for plots in view._plots.values()]
        assert titles[0].startswith(f"{technology}: 8 levels"), titles


def test_no_slider_of_any_dashboard_can_reach_a_value_its_parameter_refuses():
    """`throttled_slider` promises that no slider position is invalid: each end of every numeric
    control of every dashboard (the scenario settings, the URL's) is accepted by its parameter, an
    exclusive bound included (a learning-rate slider that reached 0 raised in a class run)."""
    import param as _param

    from explorer.app import DASHBOARDS
    from explorer.views._widgets import throttled_slider

    refused = []
    for _, _, cls in DASHBOARDS:
        view = cls()
        for owner, names in view.synced():
            for name in names:
                p = owner.param[name]
                if not isinstance(p, _param.Number) or p.bounds is None:
                    continue
                widget = throttled_slider(owner, name)
                kept = getattr(owner, name)
                for end in (widget.start, widget.end):
                    try:
                        setattr(owner, name, end)
                    except ValueError as exc:
                        refused.append(f"{cls.__name__} {name} = {end}: {exc}")
                setattr(owner, name, kept)
    assert refused == []
