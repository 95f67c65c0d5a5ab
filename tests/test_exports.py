"""The review bar's exports without a server: each plot's CSV re-reads to the values the plot draws
(its Bokeh data sources), with unit-bearing column names; the report tool's HTML."""

import io

import numpy as np
import pandas as pd
import pytest

from explorer.models.dashboards import (
    CrossbarExplorer,
    DevicesExplorer,
    EncodingExplorer,
    ProgrammingExplorer,
    ReliabilityExplorer,
    TrainingExplorer,
)
from explorer.views import CrossbarView, DevicesView, EncodingView, ProgrammingView, ReliabilityView, TrainingView
from explorer.views.exports import exports, plot_csv, shown_plots, slug, view_csv
from explorer.views.review import TOOLS

SMALL = {
    DevicesView: DevicesExplorer(n_devices=1024),
    EncodingView: EncodingExplorer(size=32, batch=8),
    CrossbarView: CrossbarExplorer(size=32, batch=16),
    ProgrammingView: ProgrammingExplorer(size=16),
    ReliabilityView: ReliabilityExplorer(chips=2),
    TrainingView: TrainingExplorer(),
}


def rendered(view_class):
    view = view_class(model=SMALL[view_class])
    view._render()  # builds the plots and draws them, as a page would (no server: in this thread)
    return view


@pytest.fixture(scope="module")
def views():
    return {cls: rendered(cls) for cls in SMALL}


def read(text):
    return pd.read_csv(io.StringIO(text))


def finite(values):
    a = np.asarray(values, dtype=float)
    return a[~np.isnan(a)]


def test_the_export_tool_is_in_the_review_bar(views):
    assert exports in TOOLS
    view = views[DevicesView]
    tool = view.export_tool
    assert list(tool.plot.options.values()) == list(shown_plots(view))
    assert list(tool.plot.options)[2] == "Plot 3: conductance (µS) against pulse number"
    headings = [chart.heading for chart in view.charts()]
    assert not any(h.lower() in label.lower() for h in headings for label in tool.plot.options)
    tool.plot.value = "Pulse response"
    assert tool.csv.filename == "dev-pulse-response.csv"
    assert tool._csv().getvalue() == plot_csv(shown_plots(view)["Pulse response"])


def test_histogram_csv_rereads_to_the_plotted_bars_and_lines(views):
    plot = shown_plots(views[DevicesView])["Programmed levels at the chosen time"]
    table = read(plot_csv(plot))
    g = "conductance (µS)"
    assert list(table.columns[:4]) == ["series", f"{g}, bin start", f"{g}, bin end", "devices"]
    total = table[table.series == "total"]
    drawn = plot.sources["total"].data
    np.testing.assert_array_equal(total[f"{g}, bin start"], drawn["left"])
    np.testing.assert_array_equal(total[f"{g}, bin end"], drawn["right"])
    np.testing.assert_array_equal(total["devices"], drawn["top"])
    levels = table[table.series.str.startswith("levels ")]
    lines = plot.sources["levels"].data
    np.testing.assert_array_equal(levels["devices"], np.concatenate([finite(ys) for ys in lines["ys"]]))
    np.testing.assert_array_equal(levels[g], np.concatenate([finite(xs) for xs in lines["xs"]]))
    assert levels.series.nunique() == views[DevicesView].model.n_levels  # one series per level's outline


def test_sweep_csv_holds_the_models_errors_as_fractions_and_the_marker(views):
    view = views[CrossbarView]
    table = read(plot_csv(shown_plots(view)["MVM error versus ADC bits"]))
    sweep = view.model.adc_sweep()
    curve = table[table.series == "curve"]
    np.testing.assert_array_equal(curve["ADC bits"], sweep["bits"].astype(float))
    np.testing.assert_allclose(curve["MVM error (fraction)"], sweep["mvm_error"], rtol=0, atol=0)
    assert table[table.series == "now"]["ADC bits"].tolist() == [float(view.model.xb.adc_bits)]


def test_time_axis_csv_is_in_seconds(views):
    view = views[DevicesView]
    table = read(plot_csv(shown_plots(view)["Drift on a log-time axis"]))
    assert table[table.series == "now"]["time after programming (s)"].tolist() == [view.model.t]


def test_map_csv_has_one_row_per_pixel(views):
    view = views[CrossbarView]
    table = read(plot_csv(shown_plots(view)["Conductance maps [0]"]))
    plus = view.model.conductance_maps()["plus"]
    assert list(table.columns) == ["series", "row", "column", "conductance (µS)"]
    grid = np.full(plus.shape, np.nan)
    grid[table.row, table.column] = table["conductance (µS)"]
    np.testing.assert_allclose(grid, plus, rtol=1e-6)  # drawn as float32


@pytest.mark.parametrize("view_class", list(SMALL), ids=lambda c: c.__name__)
def test_every_plots_csv_holds_every_drawn_value(views, view_class):
    """Each data-source layer's values are in its rows: as many numbers as the plot draws."""
    view = views[view_class]
    files = view_csv(view)
    assert files and list(files) == list(shown_plots(view))
    for name, plot in shown_plots(view).items():
        table = read(files[name])
        assert table.columns[0] == "series"
        for layer, source in plot.sources.items():
            if layer in ("frame", "hint"):  # a run's frame before it starts: no data
                assert not (table.series == layer).any()
                continue
            data = source.data
            if "image" in data:
                expected = sum(np.asarray(a).size for a in data["image"])
                got = table[table.series == layer].iloc[:, 3].size
            elif "xs" in data:
                expected = sum(finite(ys).size for ys in data["ys"])
                got = table[table.series.str.startswith(f"{layer} ")].shape[0]
            else:
                n = max((len(v) for k, v in data.items() if k != "color"), default=0)
                expected, got = n, int((table.series == layer).sum())
            assert got == expected, (name, layer)


def test_report_tool_writes_the_report_of_the_tab(views):
    text = views[EncodingView].export_tool.report_html()
    assert text.startswith("<!DOCTYPE html>")
    assert "Encoding: review report" in text and "Error budget" in text
    assert "<h2>Key figures</h2>" in text


def test_the_report_follows_the_views_error_sources(views):
    view = views[EncodingView]
    view.enabled_sources = ["read noise"]
    try:
        assert "with 1 of 5 sources" in view.export_tool.report_html()
    finally:
        view.enabled_sources = list(view.param.enabled_sources.objects)


def test_slug_names_files():
    assert slug("Common mode [1]") == "common-mode-1"
    assert slug("Flash wear: accuracy versus program/erase cycles") == "flash-wear-accuracy-versus-program-erase-cycles"
