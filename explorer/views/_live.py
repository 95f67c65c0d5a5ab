"""Plots that update in place, cheaply, and the dashboard base class that drives them.

Why Bokeh figures and not HoloViews elements: a session of the Devices tab built with
HoloViews DynamicMaps spent seconds of server CPU to open, most of it in HoloViews' plotting and
data interfaces, and each time step sent thousands of binary buffers (HoloViews splits a
multi-coloured `Path` into 2-point segments, one buffer pair each); the figures are in
docs/decisions/bokeh-in-place-updates.md. Here
every plot is a Bokeh figure whose layers read `ColumnDataSource`s holding a few large arrays;
an update replaces only the sources, titles and annotations whose values changed, all in one
websocket message.

How an update runs: a model parameter changes (a slider, in Panel's thread pool or on the
event loop); the dashboard computes the data of the charts that depend on that parameter in
the calling thread (the Numba kernels release the GIL, so sessions compute side by side), then
schedules one short callback on the session's event loop that assigns the changed values inside
`pn.io.hold()`, which sends them as a single PATCH-DOC message. Results computed for older
settings never overwrite newer ones (a generation counter), and nothing is computed or sent
for a session whose page has closed.
"""

import collections
import contextlib
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import panel as pn
import param
from bokeh.models import (
    BoxAnnotation,
    ColumnDataSource,
    CustomJSHover,
    GlyphRenderer,
    HBar,
    HoverTool,
    LabelSet,
    Legend,
    LegendItem,
    Line,
    LinearColorMapper,
    MultiLine,
    Quad,
    Segment,
    Span,
)
from bokeh.plotting import figure

from ..admission import LIGHT, Refused, server_budget
from ..compat import InlineArray, session_gone
from ..models.scenario import settings_by_owner
from ..workers import job_for, seed
from ._axes import log_axis
from ._palette import DARK_GREY, GREY, IMAGE_PALETTE, PALETTE
from ._present import (
    LECTURE_HEIGHT,
    Presentation,
    fit_legends,
    follow_page_font,
    font_px,
    legend_label,
    set_scale,
    styled_properties,
    title_width,
    wrap_title,
)
from ._widgets import (
    ResultMemo,
    WidgetsOnFirstUse,
    cite_links,
    control_widget,
    explained,
    protect_math,
    resolve,
    show,
    shown_on_page,
    styles_shown,
)
from .review import review_bar  # the tab's review tools (pin, exports, code) over its plots

log = logging.getLogger(__name__)

LOG_UPDATES = os.environ.get("EXPLORER_LOG_UPDATES") == "1"
"""Print the server's share of every update (the load command sets EXPLORER_LOG_UPDATES=1)."""

PLOT_HEIGHT = 300

BUSY_STYLES = {
    True: {"opacity": "0.5", "cursor": "progress", "transition": "opacity 0.2s 0.15s"},
    False: {"opacity": "1", "cursor": "auto", "transition": "none"},
}
"""The style of a dashboard's plots while a slow update computes (`busy`), and after: dimmed, after
a short delay so that an update that ends sooner does not flicker, and back at once. A style, not
Panel's ``loading`` overlay: the overlay is a change of the layout's CSS classes, and BokehJS
renders a component again, every plot in it, when its classes change (on and off: two renders
per update); a change of style renders nothing. Both styles name every property, since BokehJS
leaves a style property the new styles do not name as it was."""

# ------------------------------------------------------------------ data helpers (pure NumPy)


def step_outline(edges, counts):
    """x, y of a histogram's outline drawn as one line (bins of `edges`, heights `counts`)."""
    x = np.repeat(np.asarray(edges, dtype=float), 2)[1:-1]
    y = np.repeat(np.asarray(counts, dtype=float), 2)
    return x, y


def lines(xs, ys, groups=None, dtype=np.float32):
    """Many lines as `multi_line` data with one entry per colour: the lines of one colour are
    joined into one NaN-separated array, so any number of lines costs at most 2 x 7 arrays.

    `xs` is one x array per line, or a single 1-D array that every line shares.
    `groups[i]` picks line i's colour, ``PALETTE[groups[i] % 7]`` (default: i), Okabe-Ito (`_palette`).
    The lines of one renderer share its dash: groups here are levels, devices or named curves that
    their position or their end labels tell apart; renderers a plot compares differ in dash.
    """
    if isinstance(xs, np.ndarray) and xs.ndim == 1:
        xs = [xs] * len(ys)
    if groups is None:
        groups = range(len(xs))
    by_colour = {}
    for x, y, g in zip(xs, ys, groups):
        by_colour.setdefault(int(g) % len(PALETTE), []).append((np.asarray(x), np.asarray(y)))
    out_x, out_y, colours = [], [], []
    for k in sorted(by_colour):
        parts = by_colour[k]
        n = sum(len(x) + 1 for x, _ in parts) - 1
        cx, cy = np.full(n, np.nan, dtype=dtype), np.full(n, np.nan, dtype=dtype)
        at = 0
        for x, y in parts:
            cx[at : at + len(x)], cy[at : at + len(y)] = x, y
            at += len(x) + 1
        out_x.append(cx)
        out_y.append(cy)
        colours.append(PALETTE[k])
    return {"xs": out_x, "ys": out_y, "color": colours}


def positive(a):
    """Values for a log axis: zeros and negative values become NaN (gaps) rather than errors."""
    a = np.asarray(a, dtype=float)
    return np.where(a > 0, a, np.nan)


INLINE_MAX_BYTES = 64 * 1024
"""Arrays up to this size travel inside the update message (base64); larger ones as binary frames."""


def _wire(value):
    """A data-source column as it is sent: small arrays inline (also inside lists of arrays)."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "iu" and value.dtype.itemsize == 8:
            value = value.astype(np.float64)  # BokehJS has no 64-bit integer arrays: such a column broke the page
        return value.view(InlineArray) if value.dtype.kind in "biuf" and value.nbytes <= INLINE_MAX_BYTES else value
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value


def _same(a, b):
    """Whether two values of a data source (arrays, lists of arrays, strings, numbers) are equal."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or a.dtype.kind != b.dtype.kind:
            return False
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    return type(a) is type(b) and a == b


IMAGE_LEVELS = 256
"""Colours of an image's palette (Cividis256): an image is sent as the index of each pixel's colour,
one byte a pixel (`colour_codes`)."""


def colour_codes(a, low, high, levels=IMAGE_LEVELS):
    """The index (uint8) of each value's colour among `levels` colours spread evenly over [low, high],
    the colour Bokeh's `LinearColorMapper` gives it: ``floor((a - low) / (high - low) * levels)``,
    values beyond the range clipped to the end colours as the mapper draws them. An image sent as
    these indices shows the same colours as its float32 values at a quarter of the bytes; a code k
    stands for the values in ``[low + k d, low + (k + 1) d)``, ``d = (high - low) / levels``."""
    a = np.asarray(a, dtype=np.float64)
    if np.isnan(a).any():
        raise ValueError("image: NaN values have no colour; send no image (empty columns) instead")
    span = float(high) - float(low)
    k = np.floor((a - low) * (levels / span)) if span > 0 else np.zeros(a.shape)
    return np.clip(k, 0, levels - 1).astype(np.uint8)


CODE_VALUE_JS = """
const d = (bar.high - bar.low) / levels;
return (bar.low + (value + 0.5) * d).toFixed(digits);
"""
"""Hover text of an image pixel sent as a colour index (`colour_codes`): the middle of its colour's
range of values, within half a colour step of the value."""


# ------------------------------------------------------------------ one figure

PIN_LABEL = "A (pinned)"
"""The legend entry of a pinned baseline's ghosts (`LivePlot.pin`)."""
GHOST_COLOUR = GREY
"""Colour of a ghost: one neutral grey for every layer, so A never reads as one of B's series."""
GHOST_LINE_ALPHA = 0.6
"""A ghost's line opacity as a fraction of its layer's (an invisible frame stays invisible)."""
GHOST_FILL_ALPHA = 0.35
"""A ghost's fill opacity as a fraction of its layer's (markers)."""
GHOST_BAR_COLOUR = DARK_GREY
"""Outline of a ghost of bars: a histogram's as one line along its tops (`bar_outline`), horizontal
bars (the error budget) as outlines."""
GHOST_BAR_ALPHA = 0.7
"""Opacity of a ghost bar's outline."""
BARS = (Quad, HBar)
"""Glyphs drawn as filled bars: their ghosts are outlines drawn over B's bars (`LivePlot.pin`)."""


def _copied(value):
    """A copy of a data-source column (arrays, lists of arrays or strings): a pin keeps what was shown."""
    if isinstance(value, np.ndarray):
        return np.array(value)
    if isinstance(value, (list, tuple)):
        return [_copied(v) for v in value]
    return value


LEGEND_STYLES = ("label_text_font_size", "glyph_width", "glyph_height", "label_height", "label_standoff")
"""The properties of a legend that lecture mode scales (as `_present.styled_properties` lists them)."""


def _legend_styles(legend):
    """``(legend, property, base value)`` of `legend`'s scaled properties (`LEGEND_STYLES`) that hold a
    number or a size."""
    found = [(legend, p, getattr(legend, p)) for p in LEGEND_STYLES]
    return [
        (m, p, v)
        for m, p, v in found
        if isinstance(v, (int, float)) or (isinstance(v, str) and v[-2:] in ("px", "pt", "em"))
    ]


def no_echo(*models):
    """Keep the browser's own changes of `models` in the browser: Bokeh's ``syncable = False``, so
    BokehJS sends no PATCH-DOC for what it computes there (a `DataRange1d`'s start and end, a
    figure's inner width and height, a pan or zoom), while the server's changes still reach the
    page. For models whose browser-side values the server never reads."""
    for model in models:
        model.syncable = False


def _invisible(glyph):
    """Whether `glyph` draws nothing (every opacity 0): a frame that only sets the axes' ranges."""
    props = glyph.properties()
    alphas = [getattr(glyph, f"{kind}_alpha") for kind in ("line", "fill") if f"{kind}_alpha" in props]
    return all(isinstance(a, (int, float)) and a == 0 for a in alphas)


def bar_outline(columns, bottom=0.0):
    """The outline of histogram bars (columns left, right, top; `bottom` a number, else 0) as one
    line, columns x and y: up from `bottom` at the first bar, along the tops, down at the last; a
    gap between bars breaks the line (NaN). What a pinned histogram's ghost draws (`LivePlot.pin`)."""
    left = np.asarray(columns["left"], dtype=float)
    right = np.asarray(columns["right"], dtype=float)
    top = np.asarray(columns["top"], dtype=float)
    base = float(bottom) if isinstance(bottom, (int, float)) else 0.0
    xs, ys = [], []
    for i in range(len(left)):
        if i == 0 or left[i] != right[i - 1]:  # a run of adjacent bars starts
            if i:
                xs += [right[i - 1], np.nan]
                ys += [base, np.nan]
            xs.append(left[i])
            ys.append(base)
        xs += [left[i], right[i]]
        ys += [top[i], top[i]]
    if len(left):
        xs.append(right[-1])
        ys.append(base)
    return {"x": np.array(xs), "y": np.array(ys)}


def _outline_glyph(glyph):
    """The line a histogram's ghost is drawn with (`bar_outline`): `GHOST_BAR_COLOUR`."""
    return Line(x="x", y="y", line_color=GHOST_BAR_COLOUR, line_alpha=GHOST_BAR_ALPHA, line_width=1.5)


def _ghost_glyph(glyph):
    """A muted copy of `glyph` for a ghost (`LivePlot.pin`): colours `GHOST_COLOUR`, opacities
    scaled by `GHOST_LINE_ALPHA` and `GHOST_FILL_ALPHA`, the rest (dash, width, columns) kept; bars
    (`BARS`) as outlines in `GHOST_BAR_COLOUR`."""
    ghost = glyph.clone()
    props = ghost.properties()
    for kind, fraction in (("line", GHOST_LINE_ALPHA), ("fill", GHOST_FILL_ALPHA), ("hatch", GHOST_FILL_ALPHA)):
        if f"{kind}_color" not in props:
            continue
        colour = getattr(ghost, f"{kind}_color")
        if colour is not None:
            setattr(ghost, f"{kind}_color", GHOST_COLOUR)
        alpha = getattr(ghost, f"{kind}_alpha")
        setattr(ghost, f"{kind}_alpha", (alpha if isinstance(alpha, (int, float)) else 1.0) * fraction)
    if isinstance(ghost, HBar):
        # an outline only: drawn over B's filled bars (a fill there would hide them, under them be hidden)
        ghost.update(fill_color=None, line_color=GHOST_BAR_COLOUR, line_alpha=GHOST_BAR_ALPHA)
    return ghost


class LivePlot:
    """A Bokeh figure with named layers; `apply(update)` changes only what differs from what is shown.

    An update is a dict: ``"title"`` -> the title text; a source layer's name -> its data
    (a dict of columns); a `span` layer's name -> its location (None hides it); a `box`
    layer's name -> ``(left, right)``; ``"color_range"`` -> ``(low, high)`` of the image mapper;
    ``"legend_hidden"`` -> the labels of legend items not to show (series that are not drawn).
    The title is shown wrapped to the plot's width (`present`).
    """

    def __init__(
        self,
        x_label,
        y_label,
        *,
        x_log=False,
        y_log=False,
        height=PLOT_HEIGHT,
        y_factors=None,
        x_start=None,
        y_start=None,
        hover=True,
        match_aspect=False,
    ):
        opts = dict(
            height=height,
            sizing_mode="stretch_width",
            x_axis_type="log" if x_log else "linear",
            y_axis_type="log" if y_log else "linear",
            toolbar_location="right",
            tools="pan,wheel_zoom,box_zoom,reset",
            output_backend="canvas",
            match_aspect=match_aspect,
        )
        if y_factors is not None:
            opts["y_range"] = list(y_factors)
            opts["y_axis_type"] = "auto"  # categorical
        self.figure = fig = figure(**opts)
        # BokehJS computes the data ranges and the frame's inner size in the browser and, for a
        # syncable model, sends each change back: one PATCH-DOC, and the server's OK reply, per
        # range and per figure after every update that moves them (and per frame of a pan or zoom).
        # Nothing on the server reads them, so they stay in the browser (`no_echo`).
        no_echo(fig, fig.x_range, fig.y_range)
        fig.title.text = " "
        fig.title.vertical_align = "top"
        fig.xaxis.axis_label = x_label
        fig.yaxis.axis_label = y_label
        if x_log:
            log_axis(fig.xaxis)  # ticks where the data are, however narrow the range (`_axes`)
        if y_log and y_factors is None:
            log_axis(fig.yaxis)
        if x_start is not None:
            fig.x_range.start = x_start
        if y_start is not None:
            fig.y_range.start = y_start
        self._hover = None
        if hover:
            self._hover = HoverTool(tooltips=[(x_label, "$x{0.[000]}"), (y_label, "$y{0.[000]}")], renderers=[])
            fig.add_tools(self._hover)
        self.sources = {}
        self.annotations = {}
        self.layers = {}
        """Layer name -> renderer of the source layers a pin ghosts (not images, not text labels)."""
        self.ghosts = {}
        """Layer name -> renderer of its ghost while the plot shows a pin (`pin`); empty otherwise."""
        self._ghost_legend = None  # (legend, its "A (pinned)" item, whether the pin made the legend)
        self.mapper = None
        """The colour bar's mapper of an image layer: its range is the values' (`color_range`)."""
        self.images = set()
        """Names of the image layers (sent as colour indices, `image`)."""
        self._shown = {}
        self._generation = -1
        self.updates = 0
        """Updates that changed something (the tests count which plots a control re-draws)."""
        self.scale = 1.0
        """Scale of fonts, lines and markers (`present`; lecture mode)."""
        self.row = 1
        """Number of plots in the figure's row of the page (their titles share its width)."""
        self._styled = None
        self._base_height = height

    # -------------------------------------------------------------- layers

    def _source(self, name, columns):
        source = ColumnDataSource({c: [] for c in columns}, name=name)
        self.sources[name] = source
        return source

    def _glyph(self, glyph_class, source, **props):
        """A renderer of `glyph_class` on `source`, added to the figure. Built directly rather than
        through `figure.<glyph>()`, which adds a non-selection and a muted copy of every glyph:
        two more models each to build and to send when a session opens."""
        renderer = GlyphRenderer(glyph=glyph_class(**props), data_source=source)
        self.figure.renderers.append(renderer)
        return renderer

    def _hoverable(self, renderer, hover):
        # A layer drawn by a glyph a pin can ghost (`pin`): lines, bars, markers and segments.
        (name,) = [n for n, src in self.sources.items() if src is renderer.data_source]
        self.layers[name] = renderer
        if hover and self._hover is not None:
            self._hover.renderers = [*self._hover.renderers, renderer]
        return renderer

    def multi_line(self, name, hover=True, **opts):
        """Lines given by `lines(...)`: columns xs, ys, color."""
        src = self._source(name, ("xs", "ys", "color"))
        return self._hoverable(self._glyph(MultiLine, src, xs="xs", ys="ys", line_color="color", **opts), hover)

    def line(self, name, hover=True, **opts):
        src = self._source(name, ("x", "y"))
        return self._hoverable(self._glyph(Line, src, x="x", y="y", **opts), hover)

    def scatter(self, name, hover=True, **opts):
        src = self._source(name, ("x", "y"))
        return self._hoverable(self.figure.scatter("x", "y", source=src, **opts), hover)

    def quad(self, name, bottom=0.0, hover=True, **opts):
        """Histogram bars: columns left, right, top."""
        src = self._source(name, ("left", "right", "top"))
        return self._hoverable(
            self._glyph(Quad, src, left="left", right="right", top="top", bottom=bottom, **opts), hover
        )

    def segment(self, name, hover=False, **opts):
        """Vertical or free segments: columns x0, y0, x1, y1."""
        src = self._source(name, ("x0", "y0", "x1", "y1"))
        return self._hoverable(self._glyph(Segment, src, x0="x0", y0="y0", x1="x1", y1="y1", **opts), hover)

    def hbar(self, name, hover=True, **opts):
        """Horizontal bars on a categorical y axis: columns y, right, color (and any extra columns)."""
        src = self._source(name, ("y", "right", "color"))
        return self._hoverable(
            self.figure.hbar(y="y", right="right", height=0.7, fill_color="color", line_color=None, source=src, **opts),
            hover,
        )

    def image(self, name, palette=IMAGE_PALETTE, colorbar=True, hover=None, digits=2):
        """A matrix as an image: columns image (a list with one 2-D array of values, or empty: no
        image), x, y, dw, dh. The values are sent as the index of their colour (`colour_codes`, one
        byte a pixel) over the range `color_range` sets (the colour bar's, `mapper`), so the page
        draws the colours the values have. `hover` (a label) adds a hover tool that names the
        pixel's column, row and value (the middle of its colour's range, `CODE_VALUE_JS`, to
        `digits` decimals); what the exports write are the values themselves (`image_values`)."""
        src = self._source(name, ("image", "x", "y", "dw", "dh"))
        self.images.add(name)
        self.mapper = LinearColorMapper(palette=palette, low=0.0, high=1.0)  # the values' scale: the colour bar's
        codes = LinearColorMapper(palette=palette, low=0, high=IMAGE_LEVELS)  # code k -> colour k
        if len(codes.palette) != IMAGE_LEVELS:
            raise ValueError(f"palette: an image needs {IMAGE_LEVELS} colours, got {len(codes.palette)}")
        renderer = self.figure.image("image", x="x", y="y", dw="dw", dh="dh", color_mapper=codes, source=src)
        if colorbar:
            bar = renderer.construct_color_bar(width=10)
            bar.color_mapper = self.mapper
            self.figure.add_layout(bar, "right")
        if hover is not None:
            value = CustomJSHover(
                args={"bar": self.mapper, "levels": IMAGE_LEVELS, "digits": digits}, code=CODE_VALUE_JS
            )
            tool = HoverTool(
                tooltips=[("column", "$x{0}"), ("row", "$y{0}"), (hover, "@image{custom}")],
                formatters={"@image": value},
                renderers=[renderer],
            )
            self.figure.add_tools(tool)
        return renderer

    def image_values(self, name):
        """The 2-D arrays of values image layer `name` shows (as the last update gave them, before
        they were sent as colour indices); [] before the first update."""
        shown = self._shown.get(name)
        return [] if shown is None else [np.asarray(a) for a in shown["image"]]

    def labels(self, name, **opts):
        """Text labels: columns x, y, text."""
        src = self._source(name, ("x", "y", "text"))
        label_set = LabelSet(x="x", y="y", text="text", source=src, **opts)
        self.figure.add_layout(label_set)
        return label_set

    def span(self, name, dimension="height", **opts):
        """A vertical (or horizontal) line across the plot at a location set by updates."""
        span = Span(location=None, dimension=dimension, **opts)
        self.figure.add_layout(span)
        self.annotations[name] = span
        return span

    def box(self, name, **opts):
        """A shaded vertical band from left to right, set by updates as (left, right)."""
        box = BoxAnnotation(left=None, right=None, **opts)
        self.figure.add_layout(box)
        self.annotations[name] = box
        return box

    def name(self, name):
        """Name the figure and its layers `name/layer` (the browser tests tell plots apart by them)."""
        self.figure.name = name
        self.figure.title.name = f"{name}/title"
        for layer, model in [*self.sources.items(), *self.annotations.items()]:
            model.name = f"{name}/{layer}"

    # -------------------------------------------------------------- pinned baseline (A)

    def shown_layers(self):
        """Layer name -> the columns it shows now (as the last update gave them), for the layers a
        pin ghosts (`layers`): what `pin` copies."""
        return {name: self._shown[name] for name in self.layers if name in self._shown}

    def pin(self, data=None):
        """Draw a pinned baseline A as ghosts: for each layer in `data` (layer name -> columns; default:
        what the layers show now, `shown_layers`) an extra renderer over a copy of those columns,
        behind B's curves, markers and segments, in `GHOST_COLOUR` at a fraction of the layer's opacity
        (`GHOST_LINE_ALPHA`, `GHOST_FILL_ALPHA`; its dash and width kept), without hover; ghosts of
        bars are outlines (`GHOST_BAR_COLOUR`; a histogram's one line, `bar_outline`) over the bars B
        draws first. Its legend
        entry "A (pinned)" comes with `show_ghost_legend`. Later updates change the layers' own
        sources only: the ghosts' data are sent once. Images, text labels and invisible layers (a
        frame for the axes' ranges) have no ghost. A plot already pinned drops its old ghosts first.
        Returns the number of ghosts drawn."""
        data = self.shown_layers() if data is None else data
        self.unpin()
        ghosts = {}
        for name, columns in data.items():
            layer = self.layers.get(name)
            if layer is None or columns is None or _invisible(layer.glyph):
                continue  # not a layer, or one drawn only for the axes' ranges (`_states.add_frame`)
            if isinstance(layer.glyph, Quad):  # a histogram: its outline, one line
                glyph, columns = _outline_glyph(layer.glyph), bar_outline(columns, layer.glyph.bottom)
            else:
                glyph, columns = _ghost_glyph(layer.glyph), {c: _copied(v) for c, v in columns.items()}
            source = ColumnDataSource({c: _wire(v) for c, v in columns.items()}, name=f"{self.figure.name}/{name} (A)")
            ghosts[name] = GlyphRenderer(glyph=glyph, data_source=source, name=f"{self.figure.name}/{name} (A)")
        if not ghosts:
            return 0
        if self._styled is not None:  # lecture mode scales the ghosts' lines and markers as their layers'
            base = {(id(m), p): v for m, p, v in self._styled}
            added = []
            for name, ghost in ghosts.items():
                layer = self.layers[name].glyph
                if isinstance(layer, Quad):  # a histogram's outline, made at its base width
                    added.append((ghost.glyph, "line_width", ghost.glyph.line_width))
                    continue
                added += [
                    (ghost.glyph, p, base[(id(layer), p)]) for p in ("line_width", "size") if (id(layer), p) in base
                ]
            set_scale(added, self.scale)
            self._styled.extend(added)
        # Behind B's curves, markers and segments; over the bars B draws first (ghosts of bars are outlines).
        shown = list(self.figure.renderers)
        k = next((i for i, r in enumerate(shown) if not isinstance(getattr(r, "glyph", None), BARS)), len(shown))
        self.figure.renderers = [*shown[:k], *ghosts.values(), *shown[k:]]
        self.ghosts = ghosts
        first = next((r for r in ghosts.values() if not isinstance(r.glyph, (Quad, HBar))), next(iter(ghosts.values())))
        item = LegendItem(label=PIN_LABEL, renderers=[first])
        legends = [m for m in self.figure.below if isinstance(m, Legend)]
        if legends:
            self._ghost_legend = (legends[0], item, False)
        else:
            legend = Legend(
                items=[item], orientation="horizontal", spacing=4, padding=4, margin=4, border_line_color=None
            )  # as `_present.legend_outside` makes them
            legend.name = f"{self.figure.name}/{PIN_LABEL}"
            self._ghost_legend = (legend, item, True)
        return len(ghosts)

    def show_ghost_legend(self):
        """Show the entry "A (pinned)" of the ghosts `pin` drew: in the plot's legend below it, or in a
        legend of its own there (at the page's scale). Changes no height: `present` fits it after.

        Sent after the ghosts and before the heights, each in a message of its own: BokehJS builds
        the views of new renderers and legends asynchronously, and a legend sent with the renderers
        it names, or with a new plot height, is laid out before it has a view ("cannot find a view
        for Legend" on every later layout of the page)."""
        if self._ghost_legend is None:
            return
        legend, item, own = self._ghost_legend
        if not own:
            if item not in legend.items:
                legend.items = [*legend.items, item]
            return
        if legend in self.figure.below:
            return
        if self._styled is not None:
            added = _legend_styles(legend)
            set_scale(added, self.scale)
            self._styled.extend(added)
        self.figure.below = [*self.figure.below, legend]

    def unpin(self):
        """Remove the ghosts of a pin and its legend entry, and fit the plot's height again."""
        if not self.ghosts:
            return
        fig = self.figure
        removed = set(self.ghosts.values())
        fig.renderers = [r for r in fig.renderers if r not in removed]
        legend, item, own = self._ghost_legend
        if own:
            if legend in fig.below:
                fig.below = [m for m in fig.below if m is not legend]
        elif item in legend.items:
            legend.items = [i for i in legend.items if i is not item]
        gone = {id(r.glyph) for r in removed} | ({id(legend)} if own else set())
        if self._styled is not None:
            self._styled = [e for e in self._styled if id(e[0]) not in gone]
        self.ghosts = {}
        self._ghost_legend = None
        self.present(self.scale, self.row)

    def ghost_data(self, name):
        """The columns layer `name`'s ghost draws (None when it has none)."""
        ghost = self.ghosts.get(name)
        return None if ghost is None else ghost.data_source.data

    # -------------------------------------------------------------- presentation

    @property
    def title(self):
        """The title's text as the last update gave it (the figure shows it wrapped, `wrap_title`)."""
        return self._shown.get("title", self.figure.title.text)

    def _wrapped(self, text):
        font = self.figure.title.text_font_size
        return wrap_title(text, title_width(self.figure, self.row, self.scale), font_px(font))

    def present(self, scale=1.0, row=1):
        """Show the figure at `scale` (fonts, line widths, marker sizes x `scale`; lecture mode) as
        one of `row` plots side by side: its title re-wrapped to the width it then has, its legends'
        columns and its height fitted. Changes style properties only (the data stay as they are)."""
        if self._styled is None:
            self._styled = styled_properties(self.figure)  # the base values, read once
        self.scale, self.row = scale, row
        set_scale(self._styled, scale)
        extra = fit_legends(self.figure, row, scale)
        height = round(self._base_height * (LECTURE_HEIGHT if scale > 1 else 1.0)) + extra
        if self.figure.height != height:
            self.figure.height = height
        if "title" in self._shown:
            text = self._wrapped(self._shown["title"])
            if self.figure.title.text != text:
                self.figure.title.text = text

    # -------------------------------------------------------------- updates

    def _send(self, name, columns):
        """Set source `name` to `columns`: an image layer's values as colour indices (`image`),
        binary (a quarter of float32's bytes, and no base64 on top); other columns as `_wire` sends them."""
        if name not in self.images:
            self.sources[name].data = {c: _wire(v) for c, v in columns.items()}
            return
        low, high = self.mapper.low, self.mapper.high
        images = [colour_codes(a, low, high) for a in columns["image"]]
        self.sources[name].data = {**{c: _wire(v) for c, v in columns.items() if c != "image"}, "image": images}

    def apply(self, update, generation=None):
        """Change the figure to show `update`; only values that differ from the shown ones are set.

        With a `generation`, an update older than the last one applied is dropped (results of
        threads that finished out of order). Returns the number of Bokeh properties set.
        """
        if generation is not None:
            if generation < self._generation:
                return 0
            self._generation = generation
        changed = 0
        recode, sent = False, set()
        # The colour range first: an image's colour indices are computed over it.
        for key in sorted(update, key=lambda k: k != "color_range"):
            value = update[key]
            if key in self._shown and _same(self._shown[key], value):
                continue
            self._shown[key] = value
            changed += 1
            if key == "title":
                self.figure.title.text = self._wrapped(value)
            elif key == "legend_hidden":
                for legend in self.figure.legend:
                    for item in legend.items:
                        visible = legend_label(item) not in value
                        if item.visible != visible:
                            item.visible = visible
            elif key == "color_range":
                self.mapper.update(low=value[0], high=value[1])
                recode = True
            elif key in self.sources:
                self._send(key, value)
                sent.add(key)
            elif isinstance(self.annotations.get(key), Span):
                self.annotations[key].location = value
            elif isinstance(self.annotations.get(key), BoxAnnotation):
                self.annotations[key].update(left=value[0], right=value[1])
            else:
                raise KeyError(f"no layer named {key!r} in this plot")
        if recode:  # images whose values stayed: their colours moved with the range
            for name in self.images - sent:
                if name in self._shown:
                    self._send(name, self._shown[name])
        if changed:
            self.updates += 1
        return changed


def present_row(plots, scale):
    """Show a row of plots (side by side on the page) at `scale`, all as tall as the tallest (a
    legend below one of them makes it taller)."""
    for plot in plots:
        plot.present(scale, len(plots))
    height = max(plot.figure.height for plot in plots)
    for plot in plots:
        if plot.figure.height != height:
            plot.figure.height = height
    align_titles(plots)


def align_titles(plots):
    """Give the titles of a row of plots the same number of lines, blank lines on top of the
    shorter ones. BokehJS aligns the frames of a row by growing the top border of the plots with
    shorter titles, and when that happens in an update it leaves the old title's pixels in the
    grown border (seen as a clipped line of text above a title); titles of equal height need no
    such border."""
    if len(plots) < 2:
        return
    texts = [plot.figure.title.text.lstrip("\n") for plot in plots]
    lines = max(text.count("\n") for text in texts)
    for plot, text in zip(plots, texts):
        padded = "\n" * (lines - text.count("\n")) + text
        if plot.figure.title.text != padded:
            plot.figure.title.text = padded


def arrange(holder, row, beside, scale):
    """Lay out a chart in `holder` (a Column): `row` as `explained` made it (the heading and plots,
    the explanation beside them, sized as `beside` says), or at `scale` > 1 (lecture mode) the
    explanation under the plots, which then take the page's width beside the controls
    (`_present.plot_width`)."""
    column, text = row.objects
    shown = holder.objects[0] if holder.objects else None
    if scale > 1 and (shown is None or shown is row):
        text.param.update(width=None, sizing_mode="stretch_width", margin=(0, 10, 10, 10))
        holder.objects = [pn.Column(*column.objects, text, sizing_mode="stretch_width", margin=0)]
    elif scale == 1 and shown is not row:
        text.param.update(**beside)
        holder.objects = [row]


# ------------------------------------------------------------------ dashboards


@dataclass(frozen=True)
class Part:
    """Part of a chart's data: `data(view)` gives the update (or a tuple of updates, one per plot
    of the chart) and is recomputed when a parameter named in `depends` changes."""

    data: Callable
    depends: tuple


@dataclass(frozen=True)
class Chart:
    """One plot (or a row of plots) of a dashboard with its heading and explanation.

    build: makes its `LivePlot` (or a tuple of them, shown side by side). parts: the `Part`s
    whose updates it shows: a marker that moves with one parameter is a part of its own, so that
    moving it does not recompute (or resend) the rest. text: the explanation beside it, or a
    dict technology -> explanation ("default" for the others). shown: None (always shown) or
    `shown(model) -> bool`, re-evaluated when a parameter of `shown_depends` changes: a chart
    that only one technology has is built, computed and sent only while it is shown (a session
    opened on PCM builds no telegraph-noise or Flash figure).
    """

    heading: str
    build: Callable
    parts: tuple
    text: object = ""
    shown: Callable = None
    shown_depends: tuple = ("technology",)

    @property
    def depends(self):
        """Every parameter whose change re-draws some part of the chart."""
        return tuple(dict.fromkeys(n for part in self.parts for n in part.depends))

    def is_shown(self, model):
        """Whether the chart is on the page for `model`'s current settings."""
        return self.shown is None or bool(self.shown(model))


@dataclass(frozen=True)
class Provisional:
    """A quick first result of a slow change (`LiveDashboard.provisional`): `model`, a model of the
    dashboard's class at settings that compute in a fraction of the time, and `what`, how it
    differs from the exact computation ("a 64 x 64 matrix instead of 256 x 256"), said on every
    plot title and in the page's alert until the exact result replaces it."""

    model: object
    what: str

    def marked(self, update):
        """`update` (one plot's columns) with its title, if it has one, marked provisional."""
        if "title" not in update:
            return update
        return {**update, "title": f"Provisional ({self.what}): {update['title']}"}

    def alert(self):
        """The page's note while the plots are provisional."""
        return f"Provisional: {self.what}. The exact result is being computed and will replace it."


class StandIn:
    """A dashboard seen through a provisional stand-in model: what a chart's data function reads
    as ``view.model`` and ``view.result`` is the stand-in's (with its own memo of results); anything
    else is the dashboard's."""

    def __init__(self, view, model):
        self._view = view
        self.model = model
        self.results = ResultMemo(model)

    def result(self, kind, names, compute):
        # The dashboard's own `result` (a subclass may add names), with this object as the view.
        return type(self._view).result(self, kind, names, compute)

    def __getattr__(self, name):
        return getattr(self._view, name)


class LiveDashboard(WidgetsOnFirstUse, pn.viewable.Viewer):
    """Base of the dashboards: charts that re-draw in place when the parameters they depend on change.

    A subclass sets `model` and returns its charts from `charts()`; `controls()` builds its widgets.
    `presentation` (shared by the dashboards of one page) says whether the page is in lecture mode;
    the figures follow it, those built later included.
    """

    presentation = param.ClassSelector(
        class_=Presentation, doc="How the page presents its plots (lecture mode); a fresh one if not given."
    )

    def __init__(self, **params):
        if params.get("model") is None:  # a fresh model of the class the subclass declares
            params["model"] = type(self).param["model"].class_()
        if params.get("presentation") is None:
            params["presentation"] = Presentation()
        super().__init__(**params)
        self.presentation.param.watch(self._restyle, "lecture")
        self._lock = threading.Lock()
        self._generation = 0
        self._plots = None  # heading -> tuple of LivePlot, built on first render
        self._closed = False
        self._doc = None
        self._layout = None
        self._slots = {}
        self._placed = []  # (holder, row, explanation's size) of each chart on the page (`arrange`)
        self._showing = set()
        self._batch_depth = 0  # `batched` contexts open on this dashboard
        self._batch_names = set()  # the settings changed meanwhile
        self._batch_page = None  # the `PageBatch` their page changes join, or None
        self.computed = collections.deque(maxlen=256)
        """(chart heading, part index) of every part computed, in order (for tests)."""
        self.provisionals = collections.deque(maxlen=256)
        """(chart heading, part index) of every part computed on a provisional stand-in (`provisional`)."""
        self.refinements_dropped = 0
        """Exact results not computed because a newer change came while the provisional one was."""
        self._said_generation = 0  # the newest update that set the provisional alert (`_say_provisional`)
        self._provisional_on = False
        self.results = ResultMemo(self.model)
        """The session's plot data: parts that draw one result compute it once (`result`)."""
        self.pin = None
        """The pinned baseline A the plots show as ghosts (`explorer.views.pins.Pin`), or None."""
        self.budget = None
        """The `explorer.admission.Budget` heavy updates are admitted against: None, the server's
        (`server_budget`) on a served page and none in a notebook or a test that sets none."""
        self.admission = pn.pane.Alert(
            "", alert_type="warning", styles={"display": "none"}, sizing_mode="stretch_width"
        )
        """Where the page says that its heavy update waits ("waiting: 2 ahead"), runs, or was refused."""
        self.update_hooks = []
        """Functions ``hook(view)`` called after each update's data are computed, in the computing
        thread; one may return a function that is then called where the update is shown (on the
        session's event loop, in the same message): the pin's key-figures table follows B so."""

    def result(self, kind, names, compute):
        """`compute()`, reused while the parameters `names` (dotted for an object the model holds) keep
        their values: plots sharing one computation, or redrawn only for a marker, compute it once."""
        return self.results.get(kind, names, compute)

    # -------------------------------------------------------------- to override

    def charts(self):
        raise NotImplementedError

    def controls(self):
        """The column of widgets, laid out."""
        raise NotImplementedError

    TRY_THIS = ""
    """A first step for the tab, shown in a box at the top of its controls: two or three lines of
    Markdown saying what to move and what to look at. ``{name}`` names the control `widgets()[name]`
    and is shown as that control's current label, so the text follows a renamed control."""

    ENABLED_BY = "technology"
    """The model's setting whose value decides which controls are enabled (the benchmark sets it to
    reach a control disabled at the defaults)."""

    def widgets(self):
        """Every control of the dashboard: a dict of name -> widget (the benchmark presses each)."""
        raise NotImplementedError

    def synced(self):
        """``(Parameterized, parameter names)`` pairs whose values the page's URL keeps: the model's
        `scenario_settings`, the same list a scenario file keeps (`explorer.models.scenario`)."""
        return settings_by_owner(self.model)

    def busy(self, names):
        """Whether a change of the parameters `names` should dim the plots while it computes (`BUSY_STYLES`)."""
        return False

    def provisional(self, names):
        """A quick first result for a change of the parameters `names` whose exact result is slow: a
        `Provisional` (a stand-in model of the same class at settings that compute in a fraction of
        the time, and what it leaves out), or None when the exact result comes quickly (the default).

        Issue 26 item 3: the stand-in's plots are shown first, their titles and the page's alert
        saying they are provisional; the exact result, computed next in the same thread, replaces
        them; a newer change meanwhile drops it before it is computed. The exact result is the
        one computed without a first result (the stand-in has its own model, memo and random
        streams: nothing of the exact computation is shared with it)."""
        return None

    # -------------------------------------------------------------- machinery

    def _param_owner(self, name):
        """The Parameterized that holds parameter `name` and the name there: the view's own, the
        model's, or, for a dotted name such as ``"part.setting"``, an object the model holds."""
        if "." not in name and name in self.param and name != "name":
            return self, name
        return resolve(self.model, name)

    def _build(self):
        self._charts = list(self.charts())
        self._plots = {}
        self._showing = {chart.heading for chart in self._charts if chart.is_shown(self.model)}
        for chart in self._charts:
            if chart.heading in self._showing:
                self._build_chart(chart)
        self._update(self._all_parts(), self._next_generation(), schedule=False)
        names = {n for chart in self._charts for n in chart.depends}
        names.update(n for chart in self._charts if chart.shown is not None for n in chart.shown_depends)
        by_owner = {}
        for name in sorted(names):
            owner, attr = self._param_owner(name)
            by_owner.setdefault(id(owner), (owner, {}))[1][attr] = name
        for owner, qualified in by_owner.values():
            # Events carry the owner's own names: map them back to the names the parts depend on.
            owner.param.watch(
                lambda *events, q=qualified: self._changed(*events, names={q[e.name] for e in events}),
                sorted(qualified),
            )

    def _build_chart(self, chart):
        """Make the chart's figures (once): its `LivePlot`s, named after the chart."""
        if chart.heading in self._plots:
            return
        built = chart.build()
        plots = built if isinstance(built, tuple) else (built,)
        for k, plot in enumerate(plots):
            plot.name(chart.heading if len(plots) == 1 else f"{chart.heading} [{k}]")
        present_row(plots, self.presentation.scale)
        self._plots[chart.heading] = plots

    def _restyle(self, *events):
        """Show every figure built so far at the page's current scale (lecture mode on or off), and
        each chart's explanation beside or under its plots: style and layout only, no data, in one
        message; figures built later take the scale when built."""
        built = self._plots
        if built is None or self._session_gone():
            return

        def apply():
            with pn.io.hold():
                for plots in list(built.values()):
                    present_row(plots, self.presentation.scale)
                for holder, row, beside in list(self._placed):
                    arrange(holder, row, beside, self.presentation.scale)

        if self._served():
            pn.state.execute(apply)
        else:
            apply()
            if self._layout is not None:
                pn.io.push_notebook(self._layout)

    @contextlib.contextmanager
    def batched(self, page=None):
        """Inside, changes of the settings this dashboard draws are gathered; on leaving, each chart
        that depends on any of them is computed once, at the settings then (`_changed`), instead of
        once per object a batch of changes touches (a scenario or a lesson step sets the explorer's
        own settings in one ``param.update``, then its read-out's, its method's...). Its page
        changes then join `page` (a `PageBatch`: one message with the page's other changes) when
        one is given and the page is served. Nested batches update once, when the outermost ends."""
        with self._lock:
            self._batch_depth += 1
            if self._batch_depth == 1:
                self._batch_page = page
        try:
            yield
        finally:
            with self._lock:
                self._batch_depth -= 1
                names = set()
                if not self._batch_depth:
                    names, self._batch_names = self._batch_names, set()
            try:
                if names:
                    self._changed(names=names)
            finally:
                with self._lock:
                    if not self._batch_depth:
                        self._batch_page = None

    def _next_generation(self):
        with self._lock:
            self._generation += 1
            return self._generation

    def _served(self):
        """Whether the dashboard is on a served page (else a notebook or a test: no periodic callbacks)."""
        return self._doc is not None and self._doc.session_context is not None

    def _session_gone(self):
        if self._closed:
            return True
        return session_gone(getattr(self._doc, "session_context", None))

    def _all_parts(self):
        """(chart, part) of every chart on the page."""
        return [(chart, part) for chart in self._charts if chart.heading in self._showing for part in chart.parts]

    def _changed(self, *events, names=None):
        names = {e.name for e in events} if names is None else names
        with self._lock:
            if self._batch_depth:  # `batched`: one update when the batch ends
                self._batch_names |= names
                return
        if self._plots is None or self._session_gone():
            return
        appeared = vanished = set()
        if any(c.shown is not None and names & set(c.shown_depends) for c in self._charts):
            with self._lock:
                showing = {c.heading for c in self._charts if c.is_shown(self.model)}
                appeared, vanished = showing - self._showing, self._showing - showing
                self._showing = showing
            for chart in self._charts:
                if chart.heading in appeared:
                    self._build_chart(chart)
        parts = [(c, p) for c, p in self._all_parts() if c.heading in appeared or names & set(p.depends)]
        if parts or appeared or vanished:
            self.refresh(parts, busy=self.busy(names), names=names)

    def refresh(self, parts=None, busy=False, names=()):
        """Recompute `parts` ((chart, part) pairs; default: all) and show them; for a change of
        `names` whose exact result is slow, a provisional result first (`provisional`)."""
        if self._plots is None:
            return
        parts = self._all_parts() if parts is None else parts
        generation = self._next_generation()
        # Inside a batch (a lesson step, a scenario) the page changes leave in one message: no first result.
        first = self.provisional(set(names)) if names and self._batch_page is None else None
        busy = busy and first is None  # the provisional plots say it; an overlay would hide them
        if busy and self._layout is not None:
            self._layout.styles = BUSY_STYLES[True]
        try:
            self._update(parts, generation, schedule=True, first=first)
        finally:
            if busy and self._layout is not None:
                self._layout.styles = BUSY_STYLES[False]

    def _update(self, parts, generation, schedule, first=None):
        """Compute `parts` and show them; a heavy update (the model's `cost()`) is first admitted
        against the budget (`_admit`), and this returns at once. With `first` (a `Provisional`), its
        quick result is shown before the exact one is computed, and a newer change meanwhile (a
        later generation) drops the exact one before it is computed."""
        budget = self.budget_now()
        cost = self.model.cost() if budget is not None and hasattr(self.model, "cost") else LIGHT
        if budget is not None and budget.is_heavy(cost):
            self._admit(budget, cost)
            return
        if self.admission_shown() and first is None:  # a refusal or a wait shown before, for settings since changed
            self.on_page(lambda: show(self.admission, False))
        if first is not None:
            self._compute(parts, generation, schedule, first=first)
            if generation != self._generation:
                self.refinements_dropped += 1
                return  # a newer change: its own update computes and shows the exact result
        self._compute(parts, generation, schedule)

    def _admit(self, budget, cost):
        """Queue the update of every chart on the page at the settings it runs with (a newer
        request of this tab in this session replaces a queued one; kept results make the charts
        that did not change cheap), telling the page how it stands in `admission`."""

        def draw(harvest, job):
            if self._session_gone() or self._plots is None:
                return
            if harvest is not None:
                if job_for(self) != job:
                    return  # settings changed meanwhile: their own (newer or light) update draws them
                seed(self, harvest)
            with self._on_doc():
                self._compute(self._all_parts(), self._next_generation(), schedule=True)

        self.admit("update", budget, cost, lambda: job_for(self), draw)

    def admit(self, kind, budget, cost, job, then, what=""):
        """Submit a heavy request of this page to `budget` (`explorer.admission.Budget.submit`; a newer
        request of the same `kind` on this tab and page replaces a queued one) and tell the page how it
        stands in `admission`. When admitted: with the budget's worker processes, ``job()`` (an
        `explorer.workers.Job`, made then: the settings of that moment) is computed in one and
        ``then(harvest, job)`` called with its results; without, ``then(None, None)`` computes here.
        `what` prefixes the page's messages ("Pin A: "). A failure is shown on the page and logged."""
        key = (id(self._doc) if self._doc is not None else id(self), type(self).__name__, kind)
        failed = []

        def run():
            if self._session_gone():
                return
            workers = budget.workers
            if workers is None:
                then(None, None)
                return
            made = job()
            try:
                harvest = workers.run(made)
            except Exception as exc:
                failed.append(f"{what}The heavy computation failed: {exc}")
                raise
            print(
                f"[explorer] heavy worker computed {cost.what}, {harvest.seconds:.1f} s, "
                f"peak {harvest.peak_bytes / 2**30:.2f} GB (estimated {cost.bytes / 2**30:.2f} GB)",
                flush=True,
            )
            then(harvest, made)

        def status(state, text):
            if state == "replaced":
                return  # the newer request tells its own state
            if state == "done" and failed:
                state, text = "failed", failed[0]
            if state in ("running", "done", "refused", "failed"):  # the server's log: one line per step
                print(f"[explorer] heavy {kind} {state}: {cost.what} ({cost.bytes / 2**30:.2f} GB)", flush=True)
            if state in ("refused", "failed"):
                shown = dict(object=what + text, alert_type="danger", styles=styles_shown(self.admission, True))
            elif state == "waiting":
                shown = dict(
                    object=f"{what}Heavy computation ({cost.what}, about {cost.bytes / 2**30:.1f} GB): {text}. "
                    f"The server runs {budget.jobs} at a time; the other tabs keep working.",
                    alert_type="warning",
                    styles=styles_shown(self.admission, True),
                )
            elif state == "running":
                shown = dict(
                    object=f"{what}Computing {cost.what} (about {cost.work:.0f} s)...",
                    alert_type="info",
                    styles=styles_shown(self.admission, True),
                )
            else:
                shown = dict(styles=styles_shown(self.admission, False))
            with self._on_doc():
                self.on_page(lambda: self.admission.param.update(**shown))

        try:
            budget.submit(key, cost, run, status)
        except Refused:
            pass  # the refusal is shown by `status`; the charts keep the last settings' data

    def budget_now(self):
        """The budget this page's heavy requests are admitted against (`budget`, else the server's on
        a served page), or None."""
        return self.budget if self.budget is not None else (server_budget() if self._served() else None)

    def control_shown(self, name):
        """Whether control `name` (a key of `widgets()`) is shown on the page now (`_widgets.shown_on_page`)."""
        return shown_on_page(self.widgets()[name])

    def admission_shown(self):
        """Whether the dashboard's alert (`admission`: a provisional result, a heavy request waiting
        or refused) is shown on the page now, by its style (`_widgets.show`)."""
        return shown_on_page(self.admission)

    def _on_doc(self):
        """A context in which Panel knows this dashboard's page (a thread of the budget's has none)."""
        from contextlib import nullcontext

        from panel.io.state import set_curdoc

        return set_curdoc(self._doc) if self._served() else nullcontext()

    def _compute(self, parts, generation, schedule, first=None):
        """Compute `parts` at the model's settings, or, with `first` (a `Provisional`), at its
        stand-in model's, the titles marked provisional; then show them on the page."""
        started = time.perf_counter()
        built = self._plots  # None once the session has ended (another thread may end it meanwhile)
        if built is None:
            return
        source = self if first is None else StandIn(self, first.model)
        updates = []
        for chart, part in parts:
            plots = built[chart.heading]
            try:
                data = part.data(source)
            except Exception as exc:  # shown on the plot and logged; the other plots still update
                log.exception("computing %r failed", chart.heading)
                data = tuple({"title": f"Could not compute this plot: {exc}"} for _ in plots)
            data = data if isinstance(data, tuple) else (data,)
            if first is None:
                self.computed.append((chart.heading, chart.parts.index(part)))
            else:
                self.provisionals.append((chart.heading, chart.parts.index(part)))
                data = tuple(first.marked(update) for update in data)
            updates.extend(zip(plots, data))
        # The hooks (the pin's key figures) read the model's exact results: not for a provisional one.
        hooks = list(self.update_hooks) if first is None else []
        after = [f for f in (hook(self) for hook in hooks) if f is not None]
        if self._session_gone():
            return
        note = None if first is None else first.alert()

        def apply():
            if self._session_gone():
                return
            changed = 0
            with pn.io.hold():
                for plot, update in updates:
                    changed += plot.apply(update, generation)
                for chart in {chart.heading for chart, _ in parts}:
                    if chart in built:
                        align_titles(built[chart])
                self._sync_slots()
                for show in after:
                    show()
                self._say_provisional(note, generation)
            if LOG_UPDATES and schedule:
                # Server's share of an update: parameter change -> changes handed to the websocket; and
                # how many plot properties it changed (0: every plot was as shown), for its session.
                context = getattr(self._doc, "session_context", None)
                print(
                    f"[explorer] update {1e3 * (time.perf_counter() - started):.1f} ms ({len(parts)} parts, "
                    f"{changed} changed) session {getattr(context, 'id', None)}",
                    flush=True,
                )

        page = self._batch_page  # read once: the batch's thread clears it when the batch ends
        if not schedule or not self._served():
            apply()
            if schedule and self._layout is not None:
                # In a notebook, Panel sends the changed Bokeh models over its comm on request.
                pn.io.push_notebook(self._layout)
        elif page is None or not page.add(apply):  # else shown with the batch's other page changes
            pn.state.execute(apply)

    def _say_provisional(self, note, generation):
        """On the page (its event loop): the alert says the plots are provisional (`note`), or, after
        an exact update at least as new, no longer says it; an older update finishing late changes
        nothing."""
        if generation < self._said_generation:
            return
        self._said_generation = generation
        if note is not None:
            self._provisional_on = True
            self.admission.param.update(object=note, alert_type="info", styles=styles_shown(self.admission, True))
        elif self._provisional_on:
            self._provisional_on = False
            show(self.admission, False)

    # -------------------------------------------------------------- pinned baseline (A)

    def shown_data(self):
        """Chart heading -> one dict per plot of layer -> the columns it shows now, for the charts
        on the page (`LivePlot.shown_layers`): the data a pin keeps. Copies nothing, computes nothing."""
        built = self._plots or {}
        return {
            heading: tuple(plot.shown_layers() for plot in plots)
            for heading, plots in built.items()
            if heading in self._showing
        }

    def on_page(self, change):
        """Run `change()` (a change of the figures) where the page's changes belong: on the session's
        event loop when served (at once if already there), else at once and pushed to a notebook."""
        if self._served():
            pn.state.execute(change)
            return
        change()
        if self._layout is not None:
            pn.io.push_notebook(self._layout)

    def show_ghosts(self, data):
        """Draw `data` (heading -> one dict of layer -> columns per plot, as `shown_data` gives) as
        ghosts behind the charts built now (`LivePlot.pin`); charts the data do not name, or built
        later, get none. Three messages on a served page: the ghosts, their legends, the plots'
        heights (`LivePlot.show_ghost_legend` says why). Returns the number of ghost layers drawn."""
        built = self._plots or {}
        rows = []
        drawn = 0
        with pn.io.hold():
            for heading, per_plot in data.items():
                plots = built.get(heading)
                if plots is None:
                    continue
                drawn += sum(plot.pin(layers) for plot, layers in zip(plots, per_plot))
                rows.append(plots)

        def legends():
            with pn.io.hold():
                for plots in rows:
                    for plot in plots:
                        plot.show_ghost_legend()

        def heights():
            with pn.io.hold():
                for plots in rows:
                    present_row(plots, self.presentation.scale)

        def legends_then_heights():
            legends()
            self._doc.add_next_tick_callback(heights)

        if self._served():
            self._doc.add_next_tick_callback(legends_then_heights)
        else:
            legends()
            heights()
        return drawn

    def hide_ghosts(self):
        """Remove every ghost (`LivePlot.unpin`), in one message."""
        with pn.io.hold():
            for plots in list((self._plots or {}).values()):
                if any(plot.ghosts for plot in plots):
                    for plot in plots:
                        plot.unpin()
                    present_row(plots, self.presentation.scale)

    def _on_session_destroyed(self, session_context):
        self._closed = True
        self._plots = None

    def _explained(self, chart):
        """The chart's figures under its heading, with its explanation beside them."""
        panes = [pn.pane.Bokeh(plot.figure, sizing_mode="stretch_width") for plot in self._plots[chart.heading]]
        body = panes[0] if len(panes) == 1 else pn.Row(*panes, sizing_mode="stretch_width")
        text = chart.text
        if isinstance(text, dict):
            table = text
            text = pn.bind(
                lambda tech: cite_links(protect_math(table.get(tech, table.get("default", "")))),
                self.model.param.technology,
            )
        holder = pn.Column(sizing_mode="stretch_width", margin=0)
        row = explained(chart.heading, body, text)
        beside = {n: getattr(row[1], n) for n in ("width", "sizing_mode", "margin")}  # the explanation's
        self._placed.append((holder, row, beside))
        arrange(holder, row, beside, self.presentation.scale)
        return holder

    def _sync_slots(self):
        """Show the charts that are shown (filling a slot the first time) and hide the others, by the
        slot's style (`_widgets.show`; a slot is a column, whose display is flex)."""
        for heading, slot in self._slots.items():
            on = heading in self._showing and heading in self._plots
            if on and not slot.objects:
                (chart,) = [c for c in self._charts if c.heading == heading]
                slot.objects = [self._explained(chart)]
            show(slot, on, "flex")

    def slot_shown(self, heading):
        """Whether the chart `heading`, one with a `shown` rule, is shown on the page now."""
        return shown_on_page(self._slots[heading])

    def plots(self):
        """The charts with their explanations; a chart with a `shown` rule sits in a slot that
        is filled when it is first shown and hidden while it is not."""
        if self._plots is None:
            self._build()
        column = []
        self._slots = {}
        self._placed = []
        for chart in self._charts:
            if chart.shown is None:
                column.append(self._explained(chart))
            else:
                self._slots[chart.heading] = pn.Column(
                    sizing_mode="stretch_width", styles={"display": "none"}, margin=0
                )
                column.append(self._slots[chart.heading])
        self._sync_slots()
        self._layout = pn.Column(self.admission, *column, sizing_mode="stretch_width")
        return self._layout

    def try_this_text(self):
        """`TRY_THIS` with each ``{name}`` replaced by the bold label of control `name`."""
        widgets = self.widgets()
        return re.sub(r"\{([\w.]+)\}", lambda m: f"**{widgets[m.group(1)].name}**", self.TRY_THIS)

    def try_this_box(self):
        """The "Try this" box (None when the dashboard declares no `TRY_THIS`)."""
        if not self.TRY_THIS:
            return None
        return pn.pane.Markdown(
            "**Try this:** " + self.try_this_text(),
            css_classes=["try-this"],
            sizing_mode="stretch_width",
            styles={"background": "#eef2fb", "border-left": "4px solid #3f51b5", "padding": "0 8px"},
        )

    def _render(self):
        self._build_widgets()
        doc = pn.state.curdoc
        if doc is not None and doc.session_context is not None and self._doc is None:
            self._doc = doc
            pn.state.on_session_destroyed(self._on_session_destroyed)
        controls = self.controls()
        follow_page_font(controls)
        box = self.try_this_box()
        if box is not None:
            controls.insert(0, box)
        plots = self.plots()
        bar = review_bar(self)
        if bar is not None:
            plots = pn.Column(bar, plots, sizing_mode="stretch_width", margin=0)
        return pn.Row(controls, plots, sizing_mode="stretch_width")

    def __panel__(self):
        # Lazy: a dashboard in a tab that nobody opens computes nothing and builds no figure.
        render = param.depends()(lambda: self._render())  # no dependencies: rendered once, when shown
        return pn.param.ParamFunction(render, lazy=True, sizing_mode="stretch_width")


class PageBatch:
    """Page changes (functions of no argument that change Bokeh-facing widgets or figures) gathered
    to be made together, in one message (`page_batch`)."""

    def __init__(self):
        self.changes = []
        self._lock = threading.Lock()
        self._ran = False

    def add(self, change) -> bool:
        """Gather `change`; False when the batch has run already (the caller makes it on its own: a
        dashboard's update computed in another thread can end after the batch it joined has gone)."""
        with self._lock:
            if self._ran:
                return False
            self.changes.append(change)
            return True

    def run(self):
        """Make every change gathered so far (each once), in order, inside one `pn.io.hold`; one that
        fails is logged and the others still made. Changes added later are refused (`add`)."""
        with self._lock:
            changes, self.changes = self.changes, []
            self._ran = True
        with pn.io.hold():
            for change in changes:
                try:
                    change()
                except Exception:
                    log.exception("a page change failed")


@contextlib.contextmanager
def page_batch(views=()):
    """A batch of changes to a page made by code (a lesson step, a scenario): inside, the dashboards
    `views` gather their settings' changes (`LiveDashboard.batched`) and the caller adds its own
    page changes to the `PageBatch` this yields; on leaving, the dashboards compute each affected
    chart once (in the calling thread, as any update), then every page change is made in one
    callback on the session's event loop inside `pn.io.hold()`: one message to the page.

    Why: a button's callback runs in one of the server's threads (``--num-threads``), where every
    widget property Panel changes, and every dashboard's update, becomes a callback of its own on
    the event loop and a message of its own (a lesson step sent one per property of its card), and a
    scenario's settings, set one object at a time, computed a chart once per object. Off a served
    page (a notebook, a test) the dashboards draw when the batch ends and the other changes follow,
    in the order they were added."""
    views = [v for v in views if isinstance(v, LiveDashboard)]
    batch = PageBatch()
    try:
        with contextlib.ExitStack() as stack:
            for view in views:
                stack.enter_context(view.batched(batch))
            yield batch
    finally:
        if batch.changes:
            served = [v._doc for v in views if v._served()]
            doc = served[0] if served else pn.state.curdoc
            if doc is not None and getattr(doc, "session_context", None) is not None:
                from panel.io.state import set_curdoc

                with set_curdoc(doc):
                    pn.state.execute(batch.run)  # at once when already on the event loop
            else:
                batch.run()


class CrossbarReadout:
    """Mixin of the dashboards whose explorer drives a crossbar model (`model.xb`): a control for
    each read-out setting of that model the explorer names in `READ_CONTROLS`, built from the
    crossbar model's own parameter, and kept in the page's URL under the same names. Its parts
    depend on those settings by dotted names (``"xb.adc_bits"``)."""

    WIDGET_ATTRS = ("read_widgets",)

    def make_widgets(self):
        super().make_widgets()
        self.read_widgets = {name: control_widget(self.model.xb, name) for name in self.model.READ_CONTROLS}
        """The read-out controls: setting name -> widget."""


__all__ = [
    "PALETTE",
    "Chart",
    "CrossbarReadout",
    "Part",
    "LiveDashboard",
    "LivePlot",
    "lines",
    "positive",
    "step_outline",
]
