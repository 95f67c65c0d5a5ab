"""Colour-blind-safe plots (issue 23, item 4): every glyph's colour comes from the Okabe-Ito palette or
a named neutral, series a plot compares differ in dash as well as colour (so they survive
greyscale), images use cividis, and the palette stays distinguishable under simulated red-green
colour blindness."""

import itertools

import numpy as np
import pytest
from bokeh.models import BoxAnnotation, GlyphRenderer, Image, Line, MultiLine, Slope, Span
from bokeh.palettes import Category10_10, Cividis256

from explorer.views import CrossbarView, DevicesView, EncodingView, ProgrammingView, ReliabilityView, TrainingView
from explorer.views._live import lines
from explorer.views._palette import DASHES, NEUTRALS, OKABE_ITO, PALETTE
from explorer.views.encoding import BUDGET_COLORS

VIEWS = (CrossbarView, DevicesView, EncodingView, ProgrammingView, ReliabilityView, TrainingView)
ALLOWED = {c.upper() for c in (*PALETTE, *NEUTRALS)}
NEUTRAL = {c.upper() for c in NEUTRALS}
NAMED_DASHES = {"solid": (), "dashed": (6,), "dotted": (2, 4), "dotdash": (2, 4, 6, 4), "dashdot": (6, 4, 2, 4)}
"""Bokeh's named dash patterns (bokeh.core.enums.DashPattern), so that a name and its list compare equal."""


def _figures():
    """(view name, chart heading, figure) of every chart of every dashboard, hidden ones included:
    the charts' figures are built as the page builds them, without computing their data."""
    out = []
    for cls in VIEWS:
        view = cls()
        for chart in view.charts():
            built = chart.build()
            for plot in built if isinstance(built, tuple) else (built,):
                out.append((cls.__name__, chart.heading, plot.figure))
    return out


FIGURES = _figures()


def _fixed(value):
    """A property's constant value, or None where it is a data column (`field`) or unset."""
    if value is None or isinstance(value, str | tuple | list):
        return value
    if isinstance(value, dict):
        return value.get("value")
    return getattr(value, "value", None)


def _dash(glyph):
    d = _fixed(glyph.line_dash)
    return NAMED_DASHES[d] if isinstance(d, str) else tuple(d)


def _colours(model, columns=()):
    """The constant colours a glyph or an annotation draws with (None and data columns left out)."""
    out = []
    for prop in ("line_color", "fill_color"):
        if prop in model.properties():
            c = _fixed(getattr(model, prop))
            if isinstance(c, str) and c not in columns:
                out.append((prop, c))
    return out


def _series_lines(fig):
    """A figure's line renderers that are series: not a 95 % band (layers named low, high, ..._low, ..._high,
    drawn thin dashed in their series' colour) and not a neutral background or reference line.
    Each as (name, colour or "by data", dash)."""
    out = []
    for r in fig.renderers:
        if not isinstance(r, GlyphRenderer) or not isinstance(r.glyph, Line | MultiLine):
            continue
        name = r.data_source.name or ""
        if name.split("_")[-1] in ("low", "high"):
            continue
        colour = _fixed(r.glyph.line_color)
        colour = "by data" if colour in r.data_source.column_names else colour.upper()
        if colour in NEUTRAL:
            continue
        out.append((name, colour, _dash(r.glyph)))
    return out


@pytest.mark.parametrize("view, heading, fig", FIGURES, ids=[f"{v}-{h}" for v, h, _ in FIGURES])
def test_every_glyph_colour_is_from_the_palette(view, heading, fig):
    models = [(r.glyph, r.data_source.column_names) for r in fig.renderers if isinstance(r, GlyphRenderer)]
    models += [(a, ()) for a in fig.center if isinstance(a, Span | BoxAnnotation | Slope)]
    assert models, heading
    for model, columns in models:
        if isinstance(model, Image):
            assert tuple(model.color_mapper.palette) == tuple(Cividis256), f"{heading}: image colour map"
            continue
        for prop, colour in _colours(model, columns):
            assert colour.upper() in ALLOWED, f"{heading}: {type(model).__name__}.{prop} = {colour!r}"


@pytest.mark.parametrize("view, heading, fig", FIGURES, ids=[f"{v}-{h}" for v, h, _ in FIGURES])
def test_compared_series_differ_in_dash_as_well_as_colour(view, heading, fig):
    series = _series_lines(fig)
    for (na, ca, da), (nb, cb, db) in itertools.combinations(series, 2):
        assert da != db, f"{heading}: {na!r} and {nb!r} ({ca}, {cb}) have the same dash {da}: lost in greyscale"
    # Series a legend names, neutral ones included (a grey default against a coloured choice).
    for legend in fig.legend:
        dashes = [_dash(item.renderers[0].glyph) for item in legend.items]
        labels = [item.label.get("value") if isinstance(item.label, dict) else item.label for item in legend.items]
        assert len(set(dashes)) == len(dashes), f"{heading}: legend entries {labels} share a dash"


def test_the_charts_compare_series_somewhere():
    """The dash rule is not vacuous: plots with several series exist, and they were checked."""
    compared = [h for _, h, fig in FIGURES if len(_series_lines(fig)) >= 2]
    assert len(compared) >= 8, compared


def test_data_driven_colours_are_from_the_palette():
    x = np.arange(3.0)
    assert {c.upper() for c in lines([x] * 20, [x] * 20)["color"]} == {c.upper() for c in PALETTE}
    assert {c.upper() for c in BUDGET_COLORS} <= ALLOWED
    assert len(DASHES) >= len(PALETTE) and len({NAMED_DASHES.get(d, d) for d in DASHES}) == len(DASHES)
    assert "dashed" not in DASHES  # kept for bands and reference curves


# ------------------------------------------------------------------ simulated colour blindness

MACHADO = {
    "protanopia": np.array(
        [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]
    ),
    "deuteranopia": np.array(
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
    ),
}
"""Machado, Oliveira and Fernandes (IEEE TVCG 2009), severity 1.0: the dichromat's view of a linear-RGB
colour."""

SRGB_TO_XYZ = np.array(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
)
"""sRGB (linear, D65) to CIE XYZ (IEC 61966-2-1)."""

MIN_DELTA_E = 15.0
"""Smallest CIE76 distance (Euclidean in L*a*b*) allowed between two palette colours as a dichromat
sees them. About 2.3 is a just-noticeable difference side by side; thin lines on a washed-out
projector need several times that, so 15 is asked (Okabe-Ito's closest pair, orange and yellow
under deuteranopia, is at about 17; Category10's red and green at about 7)."""


def _lab(hex_colour, matrix=None):
    srgb = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255.0
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    if matrix is not None:
        linear = np.clip(matrix @ linear, 0.0, 1.0)
    t = (SRGB_TO_XYZ @ linear) / SRGB_TO_XYZ.sum(axis=1)  # relative to the D65 white
    d = 6 / 29
    f = np.where(t > d**3, np.cbrt(t), t / (3 * d * d) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _closest(palette, matrix):
    return min(
        (float(np.linalg.norm(_lab(a, matrix) - _lab(b, matrix))), a, b) for a, b in itertools.combinations(palette, 2)
    )


def test_lab_conversion_matches_known_values():
    np.testing.assert_allclose(_lab("#FFFFFF"), [100.0, 0.0, 0.0], atol=0.01)
    np.testing.assert_allclose(_lab("#FF0000"), [53.24, 80.09, 67.20], atol=0.05)  # sRGB red, CIE L*a*b*
    # A dichromat sees a grey as that grey: each Machado row sums to 1.
    for matrix in MACHADO.values():
        np.testing.assert_allclose(_lab("#777777", matrix), _lab("#777777"), atol=0.05)


@pytest.mark.parametrize("kind", sorted(MACHADO))
def test_palette_stays_distinguishable_for_red_green_colour_blindness(kind):
    distance, a, b = _closest(PALETTE, MACHADO[kind])
    assert distance >= MIN_DELTA_E, f"{kind}: {a} and {b} are {distance:.1f} apart"
    # The check can fail: the palette the plots had before (Category10) does.
    old = _closest(Category10_10[:7], MACHADO[kind])
    assert old[0] < MIN_DELTA_E, old


def test_palette_is_okabe_ito():
    assert set(PALETTE) <= set(OKABE_ITO.values()) and len(set(PALETTE)) == len(PALETTE) == 7
