"""How the dashboards are presented: lecture mode, plot titles that fit, legends outside the data.

Lecture mode (a `Presentation` per browser session, ``?lecture=1`` in the URL, a toggle in the
header bar) scales what a class reads from the back of a room by `LECTURE_SCALE`: every figure's
text (title, axis labels, tick labels, legend, colour bar, text labels), the line widths and marker
sizes of its glyphs, and the page's own text (one inherited CSS property, `page_styles`); each
explanation moves under its plots, which get wider (`_live.arrange`). Only styles and layout
change: no data is recomputed or resent. Legends go below their plot (`legend_outside`), in as
many columns as fit.

Plot titles are drawn on the canvas, which clips them at the plot's edge. Here a title is wrapped
onto several lines (Bokeh draws a "\\n" in a title as a line break) so that each line fits the
narrowest plot the page lays out: the plot width at `NARROWEST_VIEWPORT`, estimated from the
page's fixed columns, with the title's font metrics (`HELVETICA_BOLD`). tests/test_browser_layout.py
measures the rendered titles in Chromium against their plots at 1280 x 800 and 1500 x 1000.
"""

import re

import panel as pn
import param
from bokeh.models import ColorBar, GlyphRenderer, LabelSet, Legend, LegendItem, Slope, Span

LECTURE_SCALE = 1.5
"""Lecture mode's scale of fonts, line widths and marker sizes (the issue asked for about 1.5x)."""

LECTURE_HEIGHT = 1.3
"""Lecture mode's scale of plot heights: larger text leaves the data less room otherwise."""

PAGE_FONT_PX = 12
"""Bokeh's and Panel's base font size of the page's widgets and text (CSS ``--bokeh-font-size``,
12 px by default in BokehJS 3): lecture mode sets it to LECTURE_SCALE times this."""

NARROWEST_VIEWPORT = 1280
"""Width (CSS px) of the narrowest window titles must fit: a 1280 x 800 projector."""

SIDE_COLUMNS = 640
"""Page width beside a row of plots: the controls column (320 px), the explanation (300 px) and
its margins (2 x 10 px); the plots of a row share the rest."""

LECTURE_SIDE_COLUMNS = 340
"""The same in lecture mode, where the explanation goes under its plots (`_live.arrange`): the
controls column and margins."""

TITLE_SLACK = 8
"""Pixels kept free at a title's right end (rounding of the width estimate, the canvas border)."""

HELVETICA_BOLD = {
    **dict.fromkeys("0123456789$#_", 556),
    **dict.fromkeys(" ,./\\|'’·iIjl", 278),
    **dict.fromkeys("!()-:;[]`ft²³", 333),
    **dict.fromkeys("*r{}", 389),
    **dict.fromkeys("+<=>^~×−µ", 584),
    **dict.fromkeys("±≈≤≥√", 549),
    **dict.fromkeys("%m", 889),
    **dict.fromkeys("–acksvxy", 556),
    **dict.fromkeys("bdghnopqu", 611),
    **dict.fromkeys("ABCDHKNRUΔ&", 722),
    **dict.fromkeys("EPSVXY", 667),
    **dict.fromkeys("FLTZ?", 611),
    **dict.fromkeys("GOQw", 778),
    **dict.fromkeys("—→…", 1000),
    '"': 474,
    "@": 975,
    "J": 556,
    "M": 833,
    "W": 944,
    "e": 556,
    "z": 500,
    "°": 400,
    "Ω": 800,
}
"""Advance widths (1/1000 em) of Helvetica Bold, the font of Bokeh's titles: Adobe's core-font
metrics, which Arial and Liberation Sans (what Chromium draws "helvetica" with on Linux) share.
A character not listed counts as 1 em (wider than any listed), so an estimate errs long."""

UNWRAPPED = r"=|%|±|x|×|[A-Za-zµΩ°]{1,3}\)?[,.;:]?"
"""Tokens a line never starts with when they follow a number or "=": "t = 1 h", "7.8 %", "0.35 Ω"."""


def text_width(text, font_px):
    """Estimated width in CSS px of `text` in bold Helvetica of `font_px` px (`HELVETICA_BOLD`)."""
    return sum(HELVETICA_BOLD.get(c, 1000) for c in text) * font_px / 1000


NUMBER = r"[-+−]?[\d.,]*\d[\d.]*(e[-+]?\d+)?%?[,;:)]?"
"""A token that is a number (which stays with the word it follows: "TTv2 91.0%", "error 67.7 %")."""


def _glued(before, token):
    """Whether `token` stays on the line of `before`: a number with its unit and with the word
    before it, both sides of "="."""
    if before.endswith(("=", "±")) or token in ("=", "±"):
        return True
    if re.fullmatch(NUMBER, token) and not before.endswith((",", ";", ":")):
        return True
    return bool(re.search(r"[\d.]%?$", before)) and re.fullmatch(UNWRAPPED, token) is not None


def wrap_title(text, width_px, font_px):
    """`text` with line breaks ("\\n") such that each line is at most `width_px` wide in bold
    Helvetica of `font_px` px (`text_width`). Lines break at spaces, preferring the last break
    after ",", ";" or ":" in the second half of the line; a number keeps its unit and both sides
    of "=" stay together. A word wider than the line stays whole (on a line of its own)."""
    if "\n" not in text and text_width(text, font_px) <= width_px:
        return text  # the usual case: it fits
    space = text_width(" ", font_px)
    out = []
    for paragraph in text.split("\n"):
        # Chunks: runs of tokens that are never split (a number with its unit).
        chunks = []
        for token in paragraph.split(" "):
            if chunks and _glued(chunks[-1], token):
                chunks[-1] += " " + token
            else:
                chunks.append(token)
        line, wide = "", 0.0
        for chunk in chunks:
            chunk_wide = text_width(chunk, font_px)
            if not line or wide + space + chunk_wide <= width_px:
                line, wide = (f"{line} {chunk}", wide + space + chunk_wide) if line else (chunk, chunk_wide)
                continue
            # Too long: break at the last punctuation in the line's second half, if any.
            cut = max(line.rfind(", "), line.rfind("; "), line.rfind(": "))
            if cut > 0 and text_width(line[: cut + 1], font_px) >= width_px / 2:
                out.append(line[: cut + 1])
                rest = line[cut + 2 :]
                line, wide = f"{rest} {chunk}", text_width(rest, font_px) + space + chunk_wide
                if wide > width_px:
                    out.append(rest)
                    line, wide = chunk, chunk_wide
            else:
                out.append(line)
                line, wide = chunk, chunk_wide
        out.append(line)
    return "\n".join(out)


class Flag(param.Boolean):
    """A Boolean that the page's URL keeps as 1 or 0 (``?lecture=1``)."""

    @classmethod
    def serialize(cls, value):
        return None if value is None else int(bool(value))

    @classmethod
    def deserialize(cls, value):
        if value in (0, 1, "0", "1", True, False, "true", "false"):
            return value in (1, "1", True, "true")
        raise ValueError(f"lecture must be 1 or 0 (true or false), got {value!r}")


class Presentation(param.Parameterized):
    """How one browser session presents its dashboards (one object per page, shared by its tabs)."""

    lecture = Flag(default=False, label="Lecture mode", doc="Scale text, lines and markers for a projector.")

    @property
    def scale(self):
        """Scale of fonts, line widths and marker sizes: LECTURE_SCALE in lecture mode, else 1."""
        return LECTURE_SCALE if self.lecture else 1.0

    def page_styles(self):
        """CSS of the page's root: the base font size that Bokeh's and Panel's widgets, Markdown and
        tab headers read (a custom property inherits into their shadow DOM)."""
        return {"--bokeh-font-size": f"{PAGE_FONT_PX * self.scale:g}px"}


FORM_FONT_CSS = "select, input, textarea { font-size: calc(var(--bokeh-font-size, 12px) * 10 / 9); }"
"""The value of a select, a number box or a text box follows the page's base font size, which lecture mode
scales (a browser's form controls do not inherit the font): 13.3 px, the browser's own size, at
the base 12 px."""


def follow_page_font(controls):
    """Make the selects, number boxes and text boxes in the layout `controls` show their values in
    the page's font size (`FORM_FONT_CSS`)."""
    kinds = (pn.widgets.Select, pn.widgets.IntInput, pn.widgets.TextAreaInput, pn.widgets.TextInput)
    for widget in controls.select(lambda o: isinstance(o, kinds)):
        if FORM_FONT_CSS not in widget.stylesheets:
            widget.stylesheets = [*widget.stylesheets, FORM_FONT_CSS]


# ------------------------------------------------------------------ figures

_SIZE = re.compile(r"^\s*([\d.]+)\s*(px|pt|em)\s*$")


def _scaled(value, scale):
    """A base style value times `scale`: a number, or a font size such as "13px" or "8pt"."""
    if isinstance(value, str):
        number, unit = _SIZE.match(value).groups()
        return f"{float(number) * scale:.4g}{unit}"
    return value * scale


def font_px(value):
    """A font size ("13px", "8pt") in CSS px."""
    number, unit = _SIZE.match(value).groups()
    return float(number) * {"px": 1.0, "pt": 4 / 3, "em": 16.0}[unit]


def styled_properties(fig):
    """``(model, property, base value)`` of everything lecture mode scales in figure `fig`: fonts of
    the title, axes, legends, colour bars and text labels; line widths and marker sizes of the
    glyphs and annotations; legend glyph sizes and colour-bar widths."""
    found = [(fig.title, "text_font_size", fig.title.text_font_size)]
    for axis in fig.axis:
        found += [(axis, p, getattr(axis, p)) for p in ("axis_label_text_font_size", "major_label_text_font_size")]
    annotations = [*fig.center, *fig.above, *fig.below, *fig.left, *fig.right]
    for model in annotations:
        if isinstance(model, Legend):
            found += [
                (model, p, getattr(model, p))
                for p in ("label_text_font_size", "glyph_width", "glyph_height", "label_height", "label_standoff")
            ]
        elif isinstance(model, ColorBar):
            found += [
                (model, p, getattr(model, p))
                for p in ("major_label_text_font_size", "title_text_font_size", "width")
                if getattr(model, p) is not None
            ]
        elif isinstance(model, LabelSet):
            if isinstance(model.text_font_size, str):
                found.append((model, "text_font_size", model.text_font_size))
        elif isinstance(model, (Span, Slope)):
            found.append((model, "line_width", model.line_width))
    for renderer in fig.renderers:
        if not isinstance(renderer, GlyphRenderer):
            continue
        glyph = renderer.glyph
        for p in ("line_width", "size"):
            if p in glyph.properties():
                value = getattr(glyph, p)
                value = value.get("value") if isinstance(value, dict) else value
                found.append((glyph, p, value))
    # Only numbers and sizes such as "13px" scale ("auto" and unset values stay as they are).
    return [(m, p, v) for m, p, v in found if isinstance(v, (int, float)) or (isinstance(v, str) and _SIZE.match(v))]


WHOLE_PIXELS = ("width", "glyph_width", "glyph_height", "label_height", "label_standoff")
"""Properties Bokeh holds as integers (a colour bar's and a legend's sizes)."""


def set_scale(properties, scale):
    """Set each ``(model, property, base)`` of `properties` to base x `scale` where it differs."""
    for model, name, base in properties:
        value = _scaled(base, scale)
        if name in WHOLE_PIXELS:
            value = round(value)
        if getattr(model, name) != value:
            setattr(model, name, value)


def legend_label(item):
    """The text of a legend item's label."""
    return getattr(item.label, "value", item.label) or ""


def _axis_width(axis, factors):
    """Estimated width (px) of a vertical axis: its label, tick labels (the longest of `factors` on
    a categorical axis, else up to seven characters, "1.00015") and ticks. Its fonts are already
    scaled."""
    label_px = font_px(axis.axis_label_text_font_size) if axis.axis_label else 0.0
    tick_px = font_px(axis.major_label_text_font_size)
    ticks = max(factors, key=lambda f: text_width(f, tick_px)) if factors else "0.00000"
    return 1.2 * label_px + 5 + text_width(ticks, tick_px) + 10


def plot_width(row, scale=1.0):
    """Width (CSS px) of one of `row` plots side by side at the narrowest viewport (at `scale` > 1,
    lecture mode, with the explanations under the plots)."""
    return (NARROWEST_VIEWPORT - (LECTURE_SIDE_COLUMNS if scale > 1 else SIDE_COLUMNS)) / row


def title_width(fig, row, scale=1.0):
    """Width (px) a title line of figure `fig` may take: the plot's width at the narrowest
    viewport less the vertical axis beside the frame (titles start at the frame's left edge), with
    the figure's fonts as they are (lecture mode has scaled them, `set_scale`)."""
    factors = getattr(fig.y_range, "factors", None)
    left = sum(_axis_width(axis, factors) for axis in fig.left)
    return plot_width(row, scale) - left - TITLE_SLACK


def _legend_size(legend):
    """(item width, row height) of `legend` in px, with its fonts as they are."""
    label_px = font_px(legend.label_text_font_size)  # already scaled by `set_scale`
    labels = [legend_label(item) for item in legend.items]
    text = max((text_width(label, label_px) for label in labels), default=0.0)
    item = legend.glyph_width + legend.label_standoff + text + legend.spacing
    label_height = legend.label_height if isinstance(legend.label_height, (int, float)) else 0
    return item, max(legend.glyph_height, label_height, 1.2 * label_px) + legend.spacing


def fit_legends(fig, row, scale=1.0):
    """Set the columns of `fig`'s legends below the plot to as many as fit the plot's width, and
    return the height (px) they take, which the figure adds to its own."""
    extra = 0.0
    for legend in fig.below:
        if not isinstance(legend, Legend):
            continue
        item, line = _legend_size(legend)
        room = plot_width(row, scale) - 2 * (legend.padding + legend.margin)
        columns = max(1, min(len(legend.items), int(room // item)))
        if legend.ncols != columns:
            legend.ncols = columns
        rows = -(-len(legend.items) // columns)
        extra += rows * line + 2 * (legend.padding + legend.margin)
    return round(extra)


def legend_outside(plot, items, click_policy=None):
    """A legend of ``(label, renderer)`` `items` below the figure of `plot` (a `LivePlot`), outside
    the plotted data; its columns are set to fit the plot's width by `LivePlot.present`."""
    legend = Legend(
        items=[LegendItem(label=label, renderers=[r]) for label, r in items],
        orientation="horizontal",
        spacing=4,
        padding=4,
        margin=4,
        border_line_color=None,
    )
    if click_policy is not None:
        legend.click_policy = click_policy
    plot.figure.add_layout(legend, "below")
    return legend


__all__ = [
    "LECTURE_SCALE",
    "fit_legends",
    "font_px",
    "plot_width",
    "title_width",
    "Presentation",
    "legend_outside",
    "styled_properties",
    "set_scale",
    "text_width",
    "wrap_title",
]
