"""Small builders the figure modules share: dimensions with units, curves and histograms styled
like the dashboards (Okabe-Ito colours paired with dashes, `explorer.palette`), markers, and the
plot options of a finished figure (title, log axes, size).

HoloViews is imported by the caller (`explorer.figures`), which loads its Bokeh backend first: the
style options below are Bokeh's.
"""

from __future__ import annotations

import holoviews as hv
import numpy as np

from ..palette import BLACK, DASHES, GREY, IMAGE_PALETTE, LIGHT_GREY, PALETTE

WIDTH, HEIGHT = 640, 320
"""Size of a figure in pixels (a notebook cell's width; the report shows them one under another)."""

TIME_TICKS = (
    (1.0, "1 s"),
    (60.0, "1 min"),
    (3600.0, "1 h"),
    (86400.0, "1 d"),
    (2.63e6, "1 mo"),
    (3.156e7, "1 y"),
    (3.156e8, "10 y"),
)
"""Ticks of a time axis in seconds, labelled as the dashboards label them (`views._axes.time_axis`)."""

COUNT_FLOOR = 0.7
"""Empty bins of a histogram on a log count axis are drawn at this count, as on the dashboards."""


def dim(name: str, label: str, unit: str | None = None) -> hv.Dimension:
    """A HoloViews dimension `name` shown as "label (unit)" on axes and in CSV headers."""
    return hv.Dimension(name, label=label, unit=unit)


def series(k: int) -> dict:
    """Colour and dash of series k: `PALETTE[k % 7]` with `DASHES[k % 7]`, as on the dashboards."""
    return {"color": PALETTE[k % len(PALETTE)], "line_dash": DASHES[k % len(DASHES)]}


def curve(x, y, kdim, vdim, label: str = "", width: float = 2.0, **style) -> hv.Curve:
    """A line through (x, y), Bokeh style options `style` (color, line_dash, alpha)."""
    data = (np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return hv.Curve(data, kdims=[kdim], vdims=[vdim], label=label).opts(line_width=width, **style)


def joined(lines):
    """x, y of many lines as one pair of arrays, the lines separated by NaN (a line breaks there):
    one element, one Bokeh glyph, however many lines (HoloViews renders each element as a plot of
    its own, at about 25 ms each). `lines` is a list of (x, y)."""
    xs, ys = [], []
    for x, y in lines:
        xs += [np.asarray(x, dtype=float), [np.nan]]
        ys += [np.asarray(y, dtype=float), [np.nan]]
    if not xs:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(xs[:-1]), np.concatenate(ys[:-1])


def segments(el) -> list:
    """The lines of an element drawn by `joined`: its (x, y) runs between the NaN x values."""
    x, y = el.dimension_values(0), el.dimension_values(1)
    cut = np.flatnonzero(np.isnan(x))
    out = []
    for a, b in zip(np.split(x, cut), np.split(y, cut)):
        keep = ~np.isnan(a)
        if keep.any():
            out.append((a[keep], b[keep]))
    return out


def step_outline(edges, counts):
    """x, y of a histogram's outline drawn as one line (bins `edges`, heights `counts`), as the
    dashboards draw it (`views._live.step_outline`): each count twice, at its bin's two edges."""
    x = np.repeat(np.asarray(edges, dtype=float), 2)[1:-1]
    y = np.repeat(np.asarray(counts, dtype=float), 2)
    return x, y


def outline(edges, counts, kdim, vdim, label: str = "", floor: float | None = None, width: float = 1.5, **style):
    """A histogram drawn as its outline, a line (`step_outline`; bins `edges`, heights `counts`, at
    least `floor` when given: a log count axis shows no zero)."""
    counts = np.asarray(counts, dtype=float)
    if floor is not None:
        counts = np.maximum(counts, floor)
    return curve(*step_outline(edges, counts), kdim, vdim, label, width=width, **style)


def bars(edges, counts, kdim, vdim, label: str = "", color: str = LIGHT_GREY) -> hv.Histogram:
    """A filled histogram (bins `edges`, heights `counts`)."""
    data = (np.asarray(edges, dtype=float), np.asarray(counts, dtype=float))
    return hv.Histogram(data, kdims=[kdim], vdims=[vdim], label=label).opts(fill_color=color, line_color=None)


def vline(x, color: str = BLACK, dash: str = "dashed") -> hv.VLine:
    """A vertical marker at x (the chosen setting)."""
    return hv.VLine(float(x)).opts(color=color, line_dash=dash, line_width=1)


def hline(y, color: str = GREY, dash: str = "dotted") -> hv.HLine:
    """A horizontal reference at y (floating point accuracy, a symmetry point)."""
    return hv.HLine(float(y)).opts(color=color, line_dash=dash, line_width=1)


def image(a, extent: float, gdim, cmap: str = IMAGE_PALETTE, clim=None) -> hv.Image:
    """A matrix as an image, row 0 at the top, axes in matrix rows and columns (`extent` of them)."""
    a = np.asarray(a, dtype=float)
    img = hv.Image(
        np.flipud(a),  # hv.Image puts an array's first row at the top; the y axis is then inverted
        kdims=[dim("column", "column (output)"), dim("row", "row (input)")],
        vdims=[gdim],
        bounds=(0.0, 0.0, float(extent), float(extent)),
    )
    return img.opts(cmap=cmap.removesuffix("256").lower(), colorbar=True, invert_yaxis=True, clim=clim or (None, None))


def finish(elements, title: str, *, logx: bool = False, logy: bool = False, **opts):
    """The figure: one element, or the overlay of `elements` (None entries left out), with its title,
    log axes and size; a legend where some element has a label."""
    parts = [e for e in elements if e is not None]
    plot = {"title": title, "logx": logx, "logy": logy, "width": WIDTH, "height": HEIGHT, **opts}
    if len(parts) == 1:
        return parts[0].opts(**plot)
    if any(p.label for p in parts):
        plot.setdefault("legend_position", "right")
    return hv.Overlay(parts).opts(**plot)


def time_ticks(lo: float, hi: float) -> list:
    """The `TIME_TICKS` within [lo, hi] seconds."""
    return [(v, text) for v, text in TIME_TICKS if lo <= v <= hi]


def percent(a):
    """Fractions as percent (the dashboards show fractions on percent axes)."""
    return 100.0 * np.asarray(a, dtype=float)


__all__ = [
    "GREY",
    "LIGHT_GREY",
    "bars",
    "curve",
    "dim",
    "finish",
    "hline",
    "image",
    "joined",
    "outline",
    "segments",
    "series",
    "vline",
]
