"""Lecture mode, wrapped titles and legends outside the data (issue 23, item 1), without a browser:
what the server sets. tests/test_browser_layout.py measures the rendered page."""

import pytest
from bokeh.models import Legend

from explorer.app import DASHBOARDS
from explorer.views._present import (
    LECTURE_SCALE,
    Flag,
    Presentation,
    legend_label,
    plot_width,
    text_width,
    title_width,
    wrap_title,
)
from explorer.views.training import TrainingView

TITLES = (
    "Offset +0.50 µS: differential 7.8 %, reference 24.3 %, digital 20.7 %",
    "Epoch 1.00 of 3: float SGD 93.1%, analog SGD 90.2%, TTv2 91.0%, c-TTv2 91.5%, AGAD 92.0%",
    "RRAM at 0.40 V: 2% loss after 1.2e+05 reads unipolar, 3.4e+06 reads bipolar; bipolar reading lasts 28x longer",
    "PCM: 8 levels at t = 1 h, level read-back error 67.7 %",
)


@pytest.mark.parametrize("width, font", [(250, 13), (229, 19.5), (574, 13)])
def test_a_wrapped_title_keeps_its_text_and_each_line_fits(width, font):
    for title in TITLES:
        wrapped = wrap_title(title, width, font)
        assert wrapped.replace("\n", " ") == title  # only spaces became line breaks
        for line in wrapped.split("\n"):
            assert text_width(line, font) <= width, (line, width, font)
        if text_width(title, font) <= width:
            assert wrapped == title  # a title that fits stays on one line
    # Numbers keep their units and the word before them; both sides of "=" stay together.
    wrapped = wrap_title(TITLES[3], 229, 19.5).split("\n")
    assert "t = 1 h," in wrapped[0] and wrapped[-1].endswith("error 67.7 %"), wrapped


def test_the_width_estimate_is_helvetica_bold():
    # Helvetica Bold advance widths (1/1000 em): "0" 556, "i" 278, "m" 889, "W" 944.
    assert text_width("0imW", 10) == pytest.approx((556 + 278 + 889 + 944) / 100)
    assert text_width("\u2603", 13) == 13  # unknown characters count a whole em


def test_the_lecture_flag_reads_one_and_zero_from_the_url():
    assert Flag.deserialize(1) is True and Flag.deserialize("0") is False and Flag.deserialize("true") is True
    assert Flag.serialize(True) == 1 and Flag.serialize(False) == 0
    with pytest.raises(ValueError, match="lecture must be 1 or 0"):
        Flag.deserialize("yes")
    p = Presentation()
    assert p.scale == 1.0 and p.page_styles() == {"--bokeh-font-size": "12px"}
    p.lecture = True
    assert p.scale == LECTURE_SCALE and p.page_styles() == {"--bokeh-font-size": "18px"}


def _styles(fig):
    """Fonts, line widths and marker sizes of a figure, as Bokeh holds them."""
    out = [fig.title.text_font_size, fig.height]
    out += [a.major_label_text_font_size for a in fig.axis] + [a.axis_label_text_font_size for a in fig.axis]
    out += [legend.label_text_font_size for legend in fig.legend]
    for r in fig.renderers:
        out += [getattr(r.glyph, p) for p in ("line_width", "size") if p in r.glyph.properties()]
    return out


@pytest.mark.parametrize("title, _prefix, cls", DASHBOARDS, ids=[t for t, _, _ in DASHBOARDS])
def test_lecture_mode_restyles_every_figure_and_recomputes_nothing(title, _prefix, cls):
    presentation = Presentation()
    view = cls(presentation=presentation)
    view.plots()
    plots = [p for row in view._plots.values() for p in row]
    normal = {p.figure.name: _styles(p.figure) for p in plots}
    data = {p.figure.name: {k: s.data for k, s in p.sources.items()} for p in plots}
    computed = len(view.computed)
    presentation.lecture = True
    assert len(view.computed) == computed  # no part recomputed
    for p in plots:
        fig = p.figure
        assert fig.title.text_font_size == "19.5px", fig.name
        assert {a.major_label_text_font_size for a in fig.axis} == {"16.5px"}, fig.name
        assert fig.height >= round(1.3 * 300), fig.name
        assert all(s.data is data[fig.name][k] for k, s in p.sources.items())  # no data set again
        for line in fig.title.text.split("\n"):
            assert text_width(line, 19.5) <= title_width(fig, len(view._plots[fig.name.split(" [")[0]]), 1.5), line
    presentation.lecture = False
    assert {p.figure.name: _styles(p.figure) for p in plots} == normal  # back to the very same values


def test_a_chart_built_later_comes_up_in_lecture_mode():
    """A chart with a `shown` rule is built when first shown: it takes the page's current mode."""
    presentation = Presentation(lecture=True)
    view = TrainingView(presentation=presentation)
    view.plots()
    assert "Weights against the target" not in view._plots
    view.model.task = "5 x 5 correlation"
    (target,) = view._plots["Weights against the target"]
    assert target.figure.title.text_font_size == "19.5px"


def test_legends_sit_below_the_plots_and_list_only_the_series_drawn():
    for _, _, cls in DASHBOARDS:
        view = cls()
        view.plots()
        for plots in view._plots.values():
            for p in plots:
                inside = [m for m in p.figure.center if isinstance(m, Legend)]
                assert inside == [], p.figure.name
                for legend in [m for m in p.figure.below if isinstance(m, Legend)]:
                    # Every legend fits its plot's width at 1280 px, in its columns.
                    assert legend.ncols >= 1 and legend.ncols * 20 <= plot_width(len(plots))
    view = TrainingView()
    view.model.compared = ["float SGD", "TTv2"]
    view.plots()
    for p in view._plots["Learning curves"]:
        (legend,) = [m for m in p.figure.below if isinstance(m, Legend)]
        shown = [legend_label(item) for item in legend.items if item.visible]
        assert shown == ["float SGD", "TTv2"]  # TTv1 and the others are not trained: not listed
    view.model.compared = ["float SGD", "TTv1", "TTv2"]  # ticked before any run: listed at once
    (legend,) = [m for m in view._plots["Learning curves"][0].figure.below if isinstance(m, Legend)]
    assert [legend_label(item) for item in legend.items if item.visible] == ["float SGD", "TTv1", "TTv2"]
