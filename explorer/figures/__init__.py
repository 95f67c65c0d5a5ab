"""HoloViews figures of the dashboards, for notebooks, reports and comparisons (issue 24).

Each dashboard model gives its figures with ``ex.figures()``: a dict chart heading -> HoloViews
element or overlay, built from the same model methods the dashboard draws (``heading [k]`` for
the k-th plot of a chart that shows several side by side, as the dashboard names them). They
compose with ``+`` (side by side) and ``*`` (overlaid), and ``hv.save(fig, "fig.html")`` writes
them. `compare(a, b)` overlays figure A muted behind figure B (the review report's A/B view).

The live dashboards draw Bokeh figures updated in place instead, for speed:
docs/decisions/bokeh-in-place-updates.md says why and where HoloViews is used.

Importing this package imports HoloViews and loads its Bokeh backend (the style options are
Bokeh's); the models import it only inside `figures()`, so they import without it.
"""

from __future__ import annotations

import re

import holoviews as hv
import holoviews.plotting.bokeh  # noqa: F401  (registers the Bokeh backend's options)

from ..palette import GREY

GHOST_ALPHA = 0.5
"""Opacity of the pinned figure A drawn behind B (`ghost`)."""

GHOST_COLOUR = GREY
"""Colour of the pinned figure A drawn behind B (`ghost`): grey, as the dashboards draw a pin."""


def _module(explorer):
    """The figure module of `explorer`'s tab."""
    from ..models.dashboards import (
        CrossbarExplorer,
        DevicesExplorer,
        EncodingExplorer,
        ProgrammingExplorer,
        ReliabilityExplorer,
        TrainingExplorer,
    )
    from . import crossbar, devices, encoding, programming, reliability, training

    modules = {
        DevicesExplorer: devices,
        EncodingExplorer: encoding,
        CrossbarExplorer: crossbar,
        ProgrammingExplorer: programming,
        ReliabilityExplorer: reliability,
        TrainingExplorer: training,
    }
    for cls, module in modules.items():
        if isinstance(explorer, cls):
            return module
    names = ", ".join(cls.__name__ for cls in modules)
    raise TypeError(f"explorer must be one of {names}, got {type(explorer).__name__}")


def figures(explorer, **options) -> dict[str, hv.Element | hv.Overlay]:
    """The figures of `explorer`'s dashboard for its current settings, by chart heading; `options`
    are the tab's view-only choices (Encoding: ``enabled``, the error sources the budget has on)."""
    hv.Store.set_current_backend("bokeh")
    return _module(explorer).figures(explorer, **options)


def heading(name: str) -> str:
    """The chart heading of figure `name` (``"Common mode [1]"`` -> ``"Common mode"``)."""
    return re.sub(r" \[\d+\]$", "", name)


def _elements(fig):
    return list(fig) if isinstance(fig, hv.Overlay) else [fig]


def _plot_options(fig) -> dict:
    return dict(hv.Store.lookup_options("bokeh", fig, "plot").kwargs)


def ghost(fig, label: str = "A"):
    """`fig` as a grey ghost (`GHOST_COLOUR` at opacity `GHOST_ALPHA`), labelled `label`: the pinned
    baseline drawn behind the live figure, as the dashboards draw a pin. Its lines (curves and
    paths) become one element, NaN-separated (`_build.joined`): HoloViews renders each element
    as a plot of its own, and the report's time grows with their number. Images (one image hides
    another) and shaded bands (a tolerance band, a range of validity) are left out."""
    from ._build import joined

    lines, dims, parts = [], None, []
    for el in _elements(fig):
        if isinstance(el, (hv.Raster, hv.VSpan, hv.HSpan)):
            continue
        if isinstance(el, hv.Path):
            lines += [(p.dimension_values(0), p.dimension_values(1)) for p in el.split()]
            dims = dims or el.kdims[:2]
        elif isinstance(el, hv.Curve):
            lines.append((el.dimension_values(0), el.dimension_values(1)))
            dims = dims or [el.kdims[0], el.vdims[0]]
        else:
            style = {"alpha": GHOST_ALPHA, "color": GHOST_COLOUR}
            if isinstance(el, hv.Histogram):
                style = {"alpha": GHOST_ALPHA, "fill_color": GHOST_COLOUR, "line_color": None}
            parts.append(el.relabel(label).opts(clone=True, **style))
    if lines:
        line = hv.Curve(joined(lines), kdims=dims[:1], vdims=dims[1:], label=label)
        parts.insert(0, line.opts(color=GHOST_COLOUR, alpha=GHOST_ALPHA, line_width=1.5))
    return hv.Overlay(parts)


def compare(a, b, label_a: str = "A", label_b: str = "B"):
    """Figure `b` with figure `a` muted behind it (`ghost`), with `b`'s title, axes and size; for
    images (conductance maps), `a` and `b` side by side."""
    if any(isinstance(el, hv.Raster) for el in _elements(b)):
        opts_a, opts_b = _plot_options(a), _plot_options(b)
        return (
            a.opts(title=f"{label_a}: {opts_a.get('title', '')}", clone=True)
            + b.opts(title=f"{label_b}: {opts_b.get('title', '')}", clone=True)
        ).cols(2)
    opts = _plot_options(b)
    opts["title"] = f"{label_b} ({label_a} muted behind): {opts.get('title', '')}"
    opts.setdefault("legend_position", "right")
    return hv.Overlay([*_elements(ghost(a, label_a)), *_elements(b)]).opts(**opts)


__all__ = ["GHOST_ALPHA", "GHOST_COLOUR", "compare", "figures", "ghost", "heading"]
