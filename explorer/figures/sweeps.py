"""HoloViews figures of a sweep's results (the Sweeps tab, issue 27 item 3), built from a
`explorer.models.sweep_session.SweepSession`: the chosen metric's heatmap over two grid axes, its
curves against one axis by another, and the Pareto front of the metric against a cost with the
points' settings in the hover. HoloViews is where a sweep's views are best served
(docs/decisions/holoviews-where.md): the figures are redrawn when points arrive, a few times a
second at most, not on every frame of a live run.
"""

from __future__ import annotations

import holoviews as hv
import numpy as np

from ..models.dashboards.devices import format_duration
from ..models.sweeps import METRICS
from ..palette import IMAGE_PALETTE, LIGHT_GREY
from ._build import series

WIDTH, HEIGHT = 560, 340
"""Size of each figure in pixels (the heatmap's colour bar adds to its width): the tab wraps them,
one under another beside its controls at 1500 px."""

LECTURE_HEIGHT = 1.3
"""Height scale of a figure whose fonts are scaled above 1 (lecture mode: larger text leaves the data
less room otherwise; the dashboards' `explorer.views._present.LECTURE_HEIGHT`)."""
LECTURE_WIDTH = 780
"""Width (px) of a figure whose fonts are scaled above 1: the tab stacks its figures in one column
beside its 420-px controls, which leaves about this much at a 1280-px projector, and a title at 1.5x
needs it."""


def _size(scale: float) -> dict:
    """Size, font scale and toolbar place of a figure at `scale` (1: as drawn; lecture mode 1.5):
    scaled, the toolbar moves to the right so that the larger title has the figure's width."""
    if scale > 1:
        return {"width": LECTURE_WIDTH, "height": int(HEIGHT * LECTURE_HEIGHT), "fontscale": scale, "toolbar": "right"}
    return {"width": WIDTH, "height": HEIGHT, "fontscale": scale, "toolbar": "above"}


def category_label(value) -> str:
    """A setting's value as an axis category (a string bare, anything else as Python writes it)."""
    return value if isinstance(value, str) else str(list(value) if isinstance(value, tuple) else value)


def metric_label(session) -> str:
    """The chosen metric with its unit and read time: ``rel.accuracy at 1 y (%)``."""
    m = METRICS[session.metric]
    when = f" at {format_duration(session.time_s)}" if m.timed and session.time_s is not None else ""
    unit = f" ({m.unit})" if m.unit else ""
    return f"{m.name}{when}{unit}"


def heatmap_figure(session, scale: float = 1.0) -> hv.HeatMap:
    """The chosen metric over `x_axis` and `y_axis` (the mean over the other axes' points), empty
    cells where no point has arrived; the title counts the points arrived. Cells are listed row by
    row (`y_values`), each row's cells in `x_values` order, so a tapped cell's index names its
    values. `scale` multiplies fonts (lecture mode)."""
    h = session.heatmap()
    label = metric_label(session) if session.metric else ""
    rows = []
    if h is not None:
        for r, y in enumerate(h["y_values"]):
            for c, x in enumerate(h["x_values"]):
                rows.append((category_label(x), category_label(y), float(h["value"][r, c]), int(h["count"][r, c])))
    done = len(session.finished_points())
    total = session.sweep.size() if session.sweep is not None else 0
    title = f"{label}: {done} of {total} points" if h is not None else "Heatmap: give the grid two axes"
    fig = hv.HeatMap(
        rows,
        kdims=[hv.Dimension("x", label=session.x_axis or "x"), hv.Dimension("y", label=session.y_axis or "y")],
        vdims=[hv.Dimension("value", label=label or "value"), hv.Dimension("points")],
    )
    return fig.opts(
        title=title,
        cmap=IMAGE_PALETTE.removesuffix("256").lower(),  # the project's colour-blind-safe map
        colorbar=True,
        tools=["hover", "tap"],
        **_size(scale),
        clipping_colors={"NaN": LIGHT_GREY},
    )


def curves_figure(session, scale: float = 1.0) -> hv.Overlay:
    """The chosen metric against `x_axis`, one curve (with markers) per value of `y_axis`; `scale`
    multiplies fonts, line widths and markers (lecture mode)."""
    label = metric_label(session) if session.metric else "value"
    x_name = session.x_axis or "x"
    elements = []
    for k, (y, line) in enumerate(session.curves().items()):
        name = "" if y is None else f"{session.y_axis} = {category_label(y)}"
        xs = [category_label(x) for x, _ in line]
        ys = [v for _, v in line]
        style = series(k)
        kdim, vdim = hv.Dimension("x", label=x_name), hv.Dimension("value", label=label)
        elements.append(hv.Curve((xs, ys), kdim, vdim, label=name).opts(line_width=2 * scale, **style))
        elements.append(hv.Scatter((xs, ys), kdim, vdim, label=name).opts(size=7 * scale, color=style["color"]))
    if not elements:
        elements = [hv.Curve([], hv.Dimension("x", label=x_name), hv.Dimension("value", label=label))]
    return hv.Overlay(elements).opts(title=f"{label} against {x_name}", legend_position="right", **_size(scale))


def pareto_figure(session, scale: float = 1.0) -> hv.Overlay:
    """Every point with both the metric and the cost (hover: the point's index and settings), the
    Pareto front drawn through its points; `scale` multiplies fonts, line widths and markers."""
    data = session.pareto()
    label = metric_label(session) if session.metric else "value"
    cost = session.cost or "cost"
    unit = METRICS[cost].unit if cost in METRICS else ""
    kdim = hv.Dimension("cost", label=f"{cost} ({unit})" if unit else cost)
    vdims = [hv.Dimension("value", label=label), hv.Dimension("point"), hv.Dimension("settings")]
    pts = [(c, v, i, data["settings"][i]) for i, (c, v) in data["points"].items()]
    front = [data["points"][i] for i in data["front"]]
    scatter = hv.Scatter(pts, kdim, vdims, label="points").opts(
        size=9 * scale, color=series(0)["color"], tools=["hover", "tap"], nonselection_alpha=0.6
    )
    fx = np.array([c for c, _ in front], dtype=float)
    fy = np.array([v for _, v in front], dtype=float)
    line = hv.Curve((fx, fy), kdim, vdims[0], label="Pareto front").opts(
        line_width=2 * scale, color=series(1)["color"], line_dash="dashed"
    )
    # The front's points ringed, so a front of one point shows too.
    ring = hv.Scatter((fx, fy), kdim, vdims[0], label="Pareto front").opts(
        size=16 * scale, color=series(1)["color"], fill_alpha=0.0, line_width=2 * scale
    )
    # The axes name the metric and the cost; the title says how many points are on the front.
    title = f"Pareto front: {len(front)} of {len(pts)} points"
    return (line * ring * scatter).opts(title=title, legend_position="right", padding=0.1, **_size(scale))


__all__ = ["category_label", "curves_figure", "heatmap_figure", "metric_label", "pareto_figure"]
