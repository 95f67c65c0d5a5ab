"""HoloViews figures of every dashboard model (`Explorer.figures`, `explorer.figures`): named like the
dashboard's charts, holding the arrays the model methods return, composable and saved as HTML."""

import numpy as np
import pytest

hv = pytest.importorskip("holoviews")

from explorer.figures import GHOST_ALPHA, GHOST_COLOUR, compare, ghost, heading  # noqa: E402
from explorer.figures._build import segments  # noqa: E402
from explorer.models.dashboards import (  # noqa: E402
    CrossbarExplorer,
    DevicesExplorer,
    EncodingExplorer,
    ProgrammingExplorer,
    ReliabilityExplorer,
    TrainingExplorer,
)


def small(cls, **params):
    """An explorer of `cls` at small sizes (the figures' data do not depend on the size's scale)."""
    sizes = {
        DevicesExplorer: {"n_devices": 1024},
        EncodingExplorer: {"size": 32, "batch": 8},
        CrossbarExplorer: {"size": 32, "batch": 16},
        ProgrammingExplorer: {"size": 16},
        ReliabilityExplorer: {"chips": 2},
        TrainingExplorer: {"task": "5 x 5 correlation", "compared": ["analog SGD", "TTv2"], "algorithm": "TTv2"},
    }
    return cls(**{**sizes[cls], **params})


@pytest.fixture(scope="module")
def built():
    """(explorer, its figures) per class, built once."""
    out = {}
    for cls in (DevicesExplorer, EncodingExplorer, CrossbarExplorer, ReliabilityExplorer):
        ex = small(cls)
        out[cls] = ex, ex.figures()
    ex = small(ProgrammingExplorer)
    ex.step(3)
    out[ProgrammingExplorer] = ex, ex.figures()
    ex = small(TrainingExplorer)
    ex.step(400)
    out[TrainingExplorer] = ex, ex.figures()
    return out


def elements(fig):
    return list(fig) if isinstance(fig, hv.Overlay) else [fig]


def labelled(fig, label):
    (found,) = [e for e in elements(fig) if e.label == label]
    return found


def y(el):
    return el.dimension_values(1)


def charts(ex):
    """The dashboard's charts shown for `ex`'s settings: heading -> number of plots."""
    from explorer.views import crossbar, devices, encoding, programming, reliability, training

    views = {
        DevicesExplorer: devices,
        EncodingExplorer: encoding,
        CrossbarExplorer: crossbar,
        ProgrammingExplorer: programming,
        ReliabilityExplorer: reliability,
        TrainingExplorer: training,
    }
    out = {}
    for chart in views[type(ex)].CHARTS:
        if chart.is_shown(ex):
            built = chart.build()
            out[chart.heading] = len(built) if isinstance(built, tuple) else 1
    return out


@pytest.mark.parametrize(
    "cls",
    [DevicesExplorer, EncodingExplorer, CrossbarExplorer, ProgrammingExplorer, ReliabilityExplorer, TrainingExplorer],
)
def test_figures_are_holoviews_objects_named_like_the_dashboards_charts(built, cls):
    ex, figs = built[cls]
    assert all(isinstance(f, (hv.Element, hv.Overlay)) for f in figs.values())
    shown = charts(ex)
    names = {}
    for name in figs:
        names.setdefault(heading(name), []).append(name)
    assert {h: len(n) for h, n in names.items()} == shown
    for h, count in shown.items():
        if count > 1:
            assert names[h] == [f"{h} [{k}]" for k in range(count)]
    for name, fig in figs.items():
        # The axes are labelled from the first element: data, never a marker or band ("x", "y").
        first = elements(fig)[0]
        assert not isinstance(first, hv.Annotation), name
        assert {d.name for d in first.dimensions()[:2]}.isdisjoint({"x", "y"}), name


def test_devices_figures_hold_the_models_arrays(built):
    ex, figs = built[DevicesExplorer]
    h = ex.histogram()
    hist = figs["Programmed levels at the chosen time"]
    np.testing.assert_array_equal(labelled(hist, "all devices").dimension_values(1), h["counts"])
    for k, counts in enumerate(h["per_level"]):
        np.testing.assert_array_equal(y(labelled(hist, f"level {k}"))[::2], counts)
    np.testing.assert_allclose(labelled(hist, "targets").dimension_values(0), h["targets"])
    d = ex.drift_trajectories()
    drift = figs["Drift on a log-time axis"]
    lines = [line for lv in np.unique(d["level"]) for line in segments(labelled(drift, f"level {lv}"))]
    np.testing.assert_allclose(np.stack([y for _, y in lines]), d["g"])
    np.testing.assert_allclose(np.stack([x for x, _ in lines]), np.broadcast_to(d["times"], d["g"].shape))
    pulses = ex.pulse_response()
    np.testing.assert_allclose(y(labelled(figs["Pulse response"], "device 0")), pulses["g"][0])
    assert "level read-back error" in hv.Store.lookup_options("bokeh", hist, "plot").kwargs["title"]


def test_devices_figures_follow_the_technology():
    rram = small(DevicesExplorer, technology="RRAM").figures()
    trace = small(DevicesExplorer, technology="RRAM").rtn_trace()
    np.testing.assert_allclose(y(elements(rram["Random telegraph noise"])[0]), 100 * trace["relative"][0])
    flash = small(DevicesExplorer, technology="Flash", n_levels=4)
    iv = flash.flash_iv()
    fig = flash.figures()["Flash I-V curves"]
    np.testing.assert_allclose(y(labelled(fig, f"{iv['targets'][0]:.3g} µS")), iv["current"][0])


def test_encoding_figures_hold_the_models_arrays(built):
    ex, figs = built[EncodingExplorer]
    s = ex.slicing_curves()
    for base in s["bases"]:
        np.testing.assert_allclose(
            y(labelled(figs["Error versus number of slices [0]"], f"F = {base:g}")), 100 * s["mvm_error"][base]
        )
        np.testing.assert_allclose(
            y(labelled(figs["Error versus number of slices [1]"], f"F = {base:g}")), 100 * s["weight_error"][base]
        )
    b = ex.error_budget()
    bars = figs["Error budget"]
    assert list(bars.dimension_values(0)) == [*b["alone"], "quadrature sum", "total"]
    np.testing.assert_allclose(bars.dimension_values(1)[-1], 100 * b["total"])
    np.testing.assert_allclose(bars.dimension_values(1)[:5], [100 * b["alone"][k] for k in b["alone"]])
    c = ex.common_mode()
    np.testing.assert_allclose(
        y(labelled(figs["Common mode [1]"], "calibrated")), 100 * c["multiplicative"]["calibrated"]
    )
    h = ex.slice_histograms()
    np.testing.assert_allclose(
        y(labelled(figs["Conductances of each slice"], "G- slice 1"))[::2], np.maximum(h["minus"][1], 0.7)
    )


def test_encoding_budget_follows_the_sources_enabled():
    ex = small(EncodingExplorer)
    bars = ex.figures(enabled=("read noise", "drift"))["Error budget"]
    b = ex.error_budget(enabled=("read noise", "drift"))
    np.testing.assert_allclose(bars.dimension_values(1)[-1], 100 * b["total"])
    title = hv.Store.lookup_options("bokeh", bars, "plot").kwargs["title"]
    assert title.endswith("with 2 of 5 sources")
    with pytest.raises(TypeError, match="unknown options"):
        small(DevicesExplorer).figures(enabled=("drift",))


def test_crossbar_figures_hold_the_models_arrays(built):
    ex, figs = built[CrossbarExplorer]
    out = ex.outputs()
    scatter = elements(figs["Ideal versus analog outputs"])[0]
    np.testing.assert_allclose(scatter.dimension_values(0), out["ideal"])
    np.testing.assert_allclose(scatter.dimension_values(1), out["analog"])
    counts, _ = np.histogram(out["error"], bins=80)
    np.testing.assert_array_equal(figs["Output-error histogram"].dimension_values(1), counts)
    adc = ex.adc_sweep()
    np.testing.assert_allclose(y(elements(figs["MVM error versus ADC bits"])[0]), 100 * adc["mvm_error"])
    maps = ex.conductance_maps()
    image = figs["Conductance maps [0]"]
    a = maps["plus"]
    for r, c in ((0, 0), (0, a.shape[1] - 1), (a.shape[0] - 1, 3), (5, 7)):  # row r, column c of the matrix
        assert image[c + 0.5, r + 0.5] == pytest.approx(a[r, c])
    assert hv.Store.lookup_options("bokeh", image, "plot").kwargs["invert_yaxis"]  # row 0 at the top


def test_programming_figures_follow_the_run(built):
    ex, figs = built[ProgrammingExplorer]
    h = ex.convergence()
    assert int(h["iteration"][-1]) == 3
    np.testing.assert_allclose(y(labelled(figs["Convergence [0]"], "MVM error")), 100 * h["mvm_error"])
    np.testing.assert_allclose(y(labelled(figs["Convergence [1]"], "device reads"))[1:], h["reads"][1:])
    d = ex.devices()
    np.testing.assert_array_equal(y(labelled(figs["Programmed devices [0]"], "devices"))[::2], d["error_counts"])


def test_reliability_figures_hold_the_models_arrays(built):
    ex, figs = built[ReliabilityExplorer]
    c = ex.curve()
    np.testing.assert_allclose(y(labelled(figs["Accuracy versus time"], "mean over the chips")), 100 * c["mean"])
    r = ex.reads_curves()
    np.testing.assert_allclose(
        y(labelled(figs["Read disturb: accuracy versus reads"], "bipolar")), 100 * r["bipolar"]["mean"]
    )


def test_training_figures_follow_the_runs(built):
    ex, figs = built[TrainingExplorer]
    curves = ex.curves()
    assert curves["TTv2"]["epoch"][-1] > 0
    np.testing.assert_allclose(
        y(labelled(figs["Learning curves, 5 x 5 task [0]"], "TTv2")), 100 * curves["TTv2"]["weight_error"]
    )
    w = ex.weights_against_target()
    np.testing.assert_allclose(elements(figs["Weights against the target"])[1].dimension_values(1), w["weights"])
    u = ex.update_curve()
    np.testing.assert_allclose(y(labelled(figs["Device update curve"], "mean device")), u["w"])


def test_figures_compose_and_save_as_html(built, tmp_path):
    _, figs = built[EncodingExplorer]
    a, b = figs["Common mode [0]"], figs["Common mode [1]"]
    layout = a + b
    assert isinstance(layout, hv.Layout) and len(layout) == 2
    overlay = figs["Error versus number of slices [0]"] * figs["Error versus number of slices [0]"]
    assert isinstance(overlay, hv.Overlay)
    assert len(overlay) == 2 * len(figs["Error versus number of slices [0]"])
    path = tmp_path / "figures.html"
    hv.save(layout, path)
    text = path.read_text()
    assert "Bokeh" in text and "additive common mode" in text


def test_figures_save_as_png_where_a_browser_driver_is_present(built, tmp_path):
    pytest.importorskip("selenium")  # Bokeh's PNG export drives a browser through Selenium
    _, figs = built[DevicesExplorer]
    path = tmp_path / "levels.png"
    hv.save(figs["Pulse response"], path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_compare_draws_the_pinned_figure_as_a_grey_ghost_behind_the_live_one():
    a = small(DevicesExplorer).figures()["Pulse response"]
    b = small(DevicesExplorer, technology="RRAM").figures()["Pulse response"]
    both = list(compare(a, b))
    line = both[0]  # A's lines, one element
    assert isinstance(line, hv.Curve) and line.label == "A"
    curves = [e for e in a if isinstance(e, hv.Curve)]
    assert len(segments(line)) == len(curves)
    for (_, ys), c in zip(segments(line), curves):
        np.testing.assert_array_equal(ys, y(c))
    style = hv.Store.lookup_options("bokeh", line, "style").kwargs
    assert (style["color"], style["alpha"]) == (GHOST_COLOUR, GHOST_ALPHA)
    assert both[-len(b) :] == list(b)  # B drawn last, over A, unchanged
    title = hv.Store.lookup_options("bokeh", compare(a, b), "plot").kwargs["title"]
    assert title.startswith("B (A muted behind): RRAM")
    marks = [e for e in ghost(a) if isinstance(e, hv.VLine)]
    assert len(marks) == 1 and marks[0].label == "A"


def test_compare_sets_maps_side_by_side():
    a = small(CrossbarExplorer).figures()["Conductance maps [0]"]
    b = small(CrossbarExplorer, seed=1).figures()["Conductance maps [0]"]
    both = compare(a, b)
    assert isinstance(both, hv.Layout) and len(both) == 2


def test_explorer_models_import_without_holoviews():
    import subprocess
    import sys

    code = "import sys, explorer.models.dashboards; print('holoviews' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
