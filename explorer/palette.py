"""The colours and line dashes of the dashboards and the HoloViews figures: one place, colour-blind safe,
readable in greyscale (no Panel or Bokeh import: `explorer.figures` reads it without the views).

Series colours are Okabe & Ito's eight (M. Okabe and K. Ito, "Color Universal Design (CUD): how to
make figures and presentations that are friendly to colorblind people", 2002,
https://jfly.uni-koeln.de/color/), chosen to stay apart for the common forms of colour blindness
(protanopia, deuteranopia) and on a washed-out projector. Black is kept for markers and reference
lines rather than series; yellow comes last (little contrast on white). Colour alone never carries
a comparison: series a plot compares also differ in `DASHES` (or markers), so the message survives
greyscale; tests/test_colours.py checks both, and the palette's distances under simulated
deuteranopia and protanopia.

Images and heat maps use cividis (Nuñez, Anderton and Renslow, PLoS ONE 2018): perceptually uniform
and designed to read the same with red-green colour blindness.
"""

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}
"""Okabe & Ito's colour-universal-design palette (2002), name -> sRGB hex."""

BLUE, ORANGE, SKY_BLUE = OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["sky blue"]
GREEN, VERMILLION, PURPLE = OKABE_ITO["bluish green"], OKABE_ITO["vermillion"], OKABE_ITO["reddish purple"]
YELLOW, BLACK = OKABE_ITO["yellow"], OKABE_ITO["black"]

PALETTE = (BLUE, VERMILLION, GREEN, ORANGE, PURPLE, SKY_BLUE, YELLOW)
"""Colour of series k: PALETTE[k % 7] (Okabe-Ito without black), so a colour does not move when
series are added. Blue and vermillion first: the pair that stays furthest apart for every form of
colour blindness."""

DASHES = ("solid", "dotdash", "dotted", "dashdot", (10, 4, 2, 4, 2, 4), (12, 3), (1, 3))
"""Dash of series k, paired with PALETTE[k]: the second channel. "dashed" is not among them: the
plots keep it for confidence bands and reference curves."""

GREY = "#888888"
"""Reference lines and curves (ideal diagonal, targets, default settings, floating point)."""

LIGHT_GREY = "#CCCCCC"
"""Backgrounds: the total histogram behind per-level outlines, disabled bars, device spreads."""

DARK_GREY = "#333333"
"""Sums and totals drawn as bars."""

NEUTRALS = (BLACK, GREY, LIGHT_GREY, DARK_GREY)
"""Colours that carry no series: markers of the chosen setting, references, backgrounds."""

IMAGE_PALETTE = "Cividis256"
"""Colour map of images (conductance maps): perceptually uniform, colour-blind safe."""


def series(k):
    """Colour and dash of series k, as `line_color` and `line_dash` keyword arguments."""
    return {"line_color": PALETTE[k % len(PALETTE)], "line_dash": DASHES[k % len(DASHES)]}


__all__ = [
    "BLACK",
    "BLUE",
    "DARK_GREY",
    "DASHES",
    "GREEN",
    "GREY",
    "IMAGE_PALETTE",
    "LIGHT_GREY",
    "NEUTRALS",
    "OKABE_ITO",
    "ORANGE",
    "PALETTE",
    "PURPLE",
    "SKY_BLUE",
    "VERMILLION",
    "YELLOW",
    "series",
]
