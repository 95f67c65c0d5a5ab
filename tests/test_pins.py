"""Pin and compare (issue 24, item 1), without a browser: pinning copies what the plots show and
computes nothing, the ghosts keep A's data while B changes and are never resent, unpinning removes
ghosts, legend entries and the table, lecture mode scales the ghosts and leaves no trace, and scenario
files carry pins, checked like their tabs."""

import json
import re

import numpy as np
import panel as pn
import pytest
from bokeh.document import Document
from bokeh.document.events import ModelChangedEvent
from bokeh.models import Legend

from explorer.app import build_app
from explorer.models import scenario as sc
from explorer.models.dashboards import CrossbarExplorer, DevicesExplorer
from explorer.views import CrossbarView, DevicesView, EncodingView, ReliabilityView, pins
from explorer.views._live import PIN_LABEL, _same, bar_outline
from explorer.views._present import Presentation, legend_label
from explorer.views.scenario_files import download_text, upload

HISTOGRAM = "Programmed levels at the chosen time"
DRIFT = "Drift on a log-time axis"
BUDGET = "Error budget"


def rendered(cls, **params):
    view = cls(**params)
    doc = Document()
    doc.add_root(pn.panel(view).get_root(doc))
    return view, doc


def all_plots(view):
    return [plot for plots in view._plots.values() for plot in plots]


def legend_labels(plot):
    return [legend_label(item) for legend in plot.figure.legend for item in legend.items]


def test_pin_copies_the_shown_data_computes_nothing_and_ghosts_hold_a_while_b_changes():
    view, root = rendered(DevicesView)
    histogram = view._plots[HISTOGRAM][0]
    shown = {name: dict(cols) for name, cols in histogram.shown_layers().items()}
    view.computed.clear()
    kept = len(view.model.memo)
    pins.pin(view)
    assert list(view.computed) == []  # no plot data computed for the pin
    assert len(view.model.memo) == kept  # and no result computed for its key figures
    assert view.pin is not None and view.pin.origin == "pinned"
    assert view.pin.settings == pins.settings_of(view.model)
    assert set(histogram.ghosts) == {"total", "levels", "targets"}
    # Behind B, no hover, one legend entry per plot.
    renderers = list(histogram.figure.renderers)
    # B's bars first, then the ghosts (bars as outlines), then B's curves and segments over them
    assert renderers[1 : 1 + len(histogram.ghosts)] == list(histogram.ghosts.values())
    assert renderers[0] is histogram.layers["total"]
    # A histogram's ghost is its outline, one line along A's bar tops
    np.testing.assert_array_equal(
        bar_outline({"left": [0.0, 1.0, 3.0], "right": [1.0, 2.0, 4.0], "top": [5.0, 6.0, 7.0]})["y"],
        [0, 5, 5, 6, 6, 0, np.nan, 0, 7, 7, 0],
    )
    assert not set(histogram.ghosts.values()) & set(histogram._hover.renderers)
    for plot in all_plots(view):
        assert legend_labels(plot).count(PIN_LABEL) == 1
    ghost_before = histogram.ghost_data("total")
    # B changes: the histogram moves, the ghost keeps A's data, and the ghost's source is not touched.
    events = []
    root.on_change(lambda event: events.append(event))
    view.model.log10_time += 2.0
    assert not _same(histogram.shown_layers()["total"], shown["total"])
    a_layers = dict(shown)
    shown["total"] = bar_outline(shown["total"])
    for name, columns in shown.items():
        ghost = histogram.ghost_data(name)
        for column, value in columns.items():
            assert _same(np.asarray(ghost[column]) if isinstance(value, np.ndarray) else ghost[column], value), name
    for name, columns in a_layers.items():  # the pin keeps A's data as they were shown
        assert _same(view.pin.data[HISTOGRAM][0][name], columns), name
    assert histogram.ghost_data("total") is ghost_before
    ghost_models = {id(r.data_source) for plot in all_plots(view) for r in plot.ghosts.values()}
    changed = {id(e.model) for e in events if isinstance(e, ModelChangedEvent)}
    assert changed and not changed & ghost_models  # B was sent, A was not resent


def test_unpin_removes_ghosts_legend_entries_and_table_and_restores_heights():
    view, root = rendered(DevicesView)
    tool = view._pin_tool
    before = {
        id(plot): (list(plot.figure.renderers), list(plot.figure.below), plot.figure.height) for plot in all_plots(view)
    }
    assert tool.unpin_button.disabled and not tool.tables.visible
    tool.pin_button.clicks += 1  # the button, as the page presses it
    assert view.pin is not None and not tool.unpin_button.disabled and tool.tables.visible
    assert all(plot.ghosts for plot in all_plots(view))
    assert all(plot.figure.height > before[id(plot)][2] for plot in all_plots(view))  # room for the legend
    tool.unpin_button.clicks += 1
    assert view.pin is None and tool.unpin_button.disabled and not tool.tables.visible
    for plot in all_plots(view):
        renderers, below, height = before[id(plot)]
        assert plot.ghosts == {} and PIN_LABEL not in legend_labels(plot)
        assert list(plot.figure.renderers) == renderers and list(plot.figure.below) == below
        assert plot.figure.height == height


def test_pin_survives_lecture_mode_and_the_ghosts_scale_with_it():
    presentation = Presentation()
    view, _ = rendered(DevicesView, presentation=presentation)
    drift = view._plots[DRIFT][0]
    base = {id(p): p.figure.height for p in all_plots(view)}
    pins.pin(view)
    ghost = drift.ghosts["paths"].glyph
    b_glyph = drift.layers["paths"].glyph
    assert ghost.line_width == b_glyph.line_width
    presentation.lecture = True
    assert view.pin is not None and drift.ghosts
    assert ghost.line_width == b_glyph.line_width == pytest.approx(1.5)  # both scaled by lecture mode
    (legend,) = [m for m in drift.figure.below if isinstance(m, Legend)]
    assert legend.label_text_font_size == "19.5px"  # 13 px x 1.5, as every legend in lecture mode
    pins.unpin(view)  # in lecture mode
    presentation.lecture = False
    assert b_glyph.line_width == 1.0
    assert {id(p): p.figure.height for p in all_plots(view)} == base
    pins.pin(view)  # pinned while in lecture mode: the new ghosts and legend come up scaled
    presentation.lecture = True
    pins.unpin(view)
    pins.pin(view)
    (legend,) = [m for m in drift.figure.below if isinstance(m, Legend)]
    assert legend.label_text_font_size == "19.5px" and drift.ghosts["paths"].glyph.line_width == pytest.approx(1.5)
    presentation.lecture = False
    assert legend.label_text_font_size == "13px" and drift.ghosts["paths"].glyph.line_width == 1.0


def test_bars_markers_and_images_a_pin_ghosts_or_not():
    view, _ = rendered(EncodingView)
    pins.pin(view)
    budget = view._plots[BUDGET][0]
    (bars,) = budget.ghosts.values()
    assert bars.glyph.line_color is not None and bars.glyph.fill_color is None  # an outline over B's bars
    assert list(budget.figure.renderers).index(bars) > list(budget.figure.renderers).index(budget.layers["bars"])
    xb, _ = rendered(CrossbarView, model=CrossbarExplorer(size=16, batch=4))
    pins.pin(xb)
    maps = xb._plots["Conductance maps"]
    assert all(plot.ghosts == {} for plot in maps)  # images: no ghost
    outputs = xb._plots["Ideal versus analog outputs"][0]
    assert set(outputs.ghosts) == {"points"}
    assert _same(dict(outputs.ghost_data("points")), dict(outputs.sources["points"].data))


def table_rows(html):
    """Key figure name -> (A, B, B − A) cells of the pin's table."""
    rows = re.findall(r"data-name='([^']*)'>(.*?)</tr>", html)
    return {name: tuple(re.findall(r"<td[^>]*>([^<]*)</td>", cells)[1:4]) for name, cells in rows}


def test_a_plot_with_a_legend_gets_the_entry_in_it_and_loses_it_on_unpin():
    view, _ = rendered(ReliabilityView)
    plot = view._plots["Read disturb: accuracy versus reads"][0]
    labels = legend_labels(plot)
    legends = [m for m in plot.figure.below if isinstance(m, Legend)]
    assert len(legends) == 1 and labels
    pins.pin(view)
    assert [m for m in plot.figure.below if isinstance(m, Legend)] == legends  # no second legend
    assert legend_labels(plot) == [*labels, PIN_LABEL]
    pins.unpin(view)
    assert legend_labels(plot) == labels


def test_the_table_lists_a_b_and_their_difference_and_the_settings_that_differ():
    view, _ = rendered(DevicesView)
    pins.pin(view)
    tool = view._pin_tool
    names = [f.name for f in view.model.key_figures()]
    rows = table_rows(tool.figures.object)
    assert list(rows) == names and all(diff == "0" for _, _, diff in rows.values())
    assert "B has A's settings" in tool.settings.object
    a = {f.name: f.value for f in view.model.key_figures()}
    view.model.log10_time = 7.0  # PCM drifts: the levels' mean conductance falls
    b = {f.name: f.value for f in view.model.key_figures()}
    rows = table_rows(tool.figures.object)
    change = "Mean conductance change"
    assert b[change] < a[change] - 1.0  # percentage points
    assert rows[change] == (
        f"{a[change]:,.4g}",
        f"{b[change]:,.4g}",
        f"{b[change] - a[change]:+,.3g}".replace("-", "−"),
    )
    assert "log10_time" in tool.settings.object
    before = pins.settings_of(DevicesExplorer())["log10_time"]
    assert f">{before:.6g}<" in tool.settings.object and ">7<" in tool.settings.object


def test_scenario_pins_round_trip_and_a_bad_pin_is_refused_naming_its_field():
    dev, xb = DevicesExplorer(), CrossbarExplorer()
    pinned = pins.settings_of(CrossbarExplorer(size=32))
    text = sc.to_json({"dev": dev, "xb": xb}, pins={"xb": pinned})
    parsed = sc.parse(text)
    assert dict(parsed.pins["xb"]) == {k: tuple(v) if isinstance(v, list) else v for k, v in pinned.items()}
    assert json.loads(json.dumps(parsed.to_dict()))["pins"]["xb"] == pinned
    assert sc.parse(sc.to_json({"dev": dev})).pins == {}
    obj = json.loads(text)
    obj["pins"]["xb"]["xb.adc_bits"] = 999
    with pytest.raises(sc.ScenarioError) as err:
        sc.parse(json.dumps(obj))
    assert err.value.field == "pins.xb.xb.adc_bits" and "out of range" in str(err.value)
    obj["pins"] = {"nope": {}}
    with pytest.raises(sc.ScenarioError, match="pins.nope: no such tab"):
        sc.parse(json.dumps(obj))
    obj["pins"] = []
    with pytest.raises(sc.ScenarioError, match="pins: must be an object"):
        sc.parse(json.dumps(obj))
    with pytest.raises(sc.ScenarioError, match="pins.dev.n_levels"):
        sc.capture({"dev": dev}, pins={"dev": {"n_levels": "many"}})


def test_uploading_a_scenario_with_a_pin_computes_a_from_its_settings_and_download_keeps_it():
    view, _ = rendered(DevicesView)
    other = DevicesExplorer(log10_time=7.0, n_levels=4)
    text = sc.to_json({"dev": DevicesExplorer()}, pins={"dev": pins.settings_of(other)})
    outcome = upload({"dev": view.model}, text, "s.json", views={"dev": view})
    assert outcome.ok and "A pinned on dev" in outcome.message
    assert view.pin.origin == "scenario" and view.pin.settings["n_levels"] == 4
    # A is the pin's settings' histogram, drawn by the tab's own data function on a second explorer.
    reference, _ = rendered(DevicesView, model=other)
    expected = reference._plots[HISTOGRAM][0].shown_layers()["total"]
    histogram = view._plots[HISTOGRAM][0]
    assert _same({k: np.asarray(v) for k, v in histogram.ghost_data("total").items()}, bar_outline(expected))
    assert not _same(histogram.shown_layers()["total"], expected)  # B is the scenario's tab settings
    saved = json.loads(download_text({"dev": view.model}, views={"dev": view}))
    assert saved["pins"]["dev"] == pins.settings_of(other)
    xb_view = CrossbarView()  # not rendered, not pinned
    page = {"dev": view.model, "xb": xb_view.model}
    views = {"dev": view, "xb": xb_view}
    assert "pins" not in json.loads(download_text(page, "xb", views))  # This tab: the tab's pin only
    assert json.loads(download_text(page, "dev", views))["pins"] == {"dev": pins.settings_of(other)}
    # A file pinning a tab the page cannot pin changes nothing.
    bad = sc.to_json({"dev": DevicesExplorer(seed=9)}, pins={"xb": pins.settings_of(CrossbarExplorer())})
    refused = upload({"dev": view.model}, bad, "b.json", views={"dev": view})
    assert not refused.ok and "pins.xb" in refused.message and view.model.seed != 9


def test_a_pin_loaded_before_its_tab_is_shown_gets_ghosts_when_the_tab_renders():
    app = build_app()
    (controls,) = [row for row in app.select(pn.Row) if hasattr(row, "explorers")]
    tabs = app.select(pn.Tabs)[0]
    text = sc.to_json(dict(controls.explorers), pins={"dev": pins.settings_of(DevicesExplorer(n_levels=2))})
    (chooser,) = app.select(pn.widgets.FileInput)
    chooser.param.update(filename="s.json", value=text.encode())
    view = controls.views["dev"]
    assert view.pin is not None and view.pin.data is None and view._plots is None
    tabs.objects[1].get_root(Document())
    histogram = view._plots[HISTOGRAM][0]
    assert view.pin.data is not None and histogram.ghosts
    assert len(histogram.ghost_data("targets")["x0"]) == 2  # A's two levels


def test_the_review_report_takes_the_pin_as_a():
    view, _ = rendered(DevicesView)
    unpinned = view.export_tool.report_html()
    pins.pin(view)
    a = {f.name: f.value for f in view.pin.key_figures}
    view.model.log10_time = 7.0
    b = {f.name: f.value for f in view.model.key_figures()}
    report = view.export_tool.report_html()
    assert report != unpinned
    change = "Mean conductance change"
    row = f'<td>{change}</td><td class="num">{a[change]:.2f}</td><td class="num">{b[change]:.2f}</td>'
    assert row in report  # the pin's own figure as A beside B
