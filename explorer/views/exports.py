"""The review bar's exports (issue 24, item 3): each plot's data as CSV, and the tab's offline HTML
review report (`explorer.figures.report`).

**Data (CSV)** writes what a plot draws: the columns of its Bokeh data sources (`LivePlot.sources`,
read only) and the positions of its markers, in long form, one row per point: a ``series`` column
(the layer's name, numbered per line where a layer draws several), then one column per quantity,
named from the plot's axis labels with their units (``conductance (µS)``; a histogram's bins as
``..., bin start`` and ``..., bin end``; a percent axis's fractions as ``(fraction)``, the time
axis's seconds as ``(s)``). The first line holds the column names (plain CSV). Colours, the image's
placement and a run's empty frame are left out; an image (a conductance map) is written one pixel
a row with its row and column, with the values it shows (`LivePlot.image_values`; the page gets
their colour indices). The file is named after the tab and the plot.

**Report (HTML)** writes the tab's review report for the current settings, with the pinned
baseline A when the tab has a pin (`view.pin`): A's figures are computed by a second explorer at
the pin's settings, kept on the tool while the pin stays the same, and A's key figures are the
pin's own (taken when pinned). A run (Programming, Training) is not replayed for A's figures: they
show A's settings before a run, while its key figures are those of the run when pinned.

The tool's state lives on the view (`view.export_tool`), one per tab per session.
"""

from __future__ import annotations

import csv
import io
import math
import re

import numpy as np
import panel as pn
from bokeh.models import BoxAnnotation, ColorBar, GlyphRenderer, LabelSet, Span

from ._axes import NUMBER_FORMAT_JS, PERCENT_FORMAT_JS, PERCENT_UNIT, TIME_LABEL
from ._widgets import on_page
from .code_snippet import tab_prefix

X_FIELDS = {"x": "", "xs": "", "left": ", bin start", "right": ", bin end", "x0": ", start", "x1": ", end"}
Y_FIELDS = {"y": "", "ys": "", "top": "", "bottom": ", bottom", "y0": ", start", "y1": ", end"}
"""Glyph properties that read a column on the x (y) axis -> the suffix of its CSV column name."""

LEFT_OUT = {"color"}
"""Source columns that are styling, not data."""

LEFT_OUT_LAYERS = {"frame", "hint"}
"""Layers that are not data: the invisible frame that spans a run's plot before it starts and its
"Press Start" hint (`_states.add_frame`)."""


def _axis_label(axes) -> str:
    """An axis's label as a CSV column name with the unit of the values the data sources hold: a
    percent axis (`_axes.percent_axis`) shows fractions in percent, so its columns are
    "(fraction)"; the time axis (`_axes.time_axis`) holds seconds."""
    label = next((a.axis_label for a in axes if a.axis_label), "")
    formatter = axes[0].formatter if axes else None
    code = getattr(formatter, "code", None)
    scale = getattr(formatter, "args", {}).get("scale") if code is not None else None
    if label.endswith(PERCENT_UNIT) and (code == PERCENT_FORMAT_JS or (code == NUMBER_FORMAT_JS and scale == 100.0)):
        label = label.removesuffix(PERCENT_UNIT) + " (fraction)"
    if label == TIME_LABEL:
        label += " (s)"
    return label


def _glyph_fields(plot, source) -> dict[str, str]:
    """Source column -> its CSV column name, from the glyphs (and label sets) that read `source`."""
    fig = plot.figure
    x, y = _axis_label(fig.xaxis) or "x", _axis_label(fig.yaxis) or "y"
    names = {}
    readers = [r.glyph for r in fig.renderers if isinstance(r, GlyphRenderer) and r.data_source is source]
    readers += [m for m in fig.center if isinstance(m, LabelSet) and m.source is source]
    for glyph in readers:
        categorical = glyph.__class__.__name__ == "HBar"  # y: the category, right: the value on x
        for prop, suffix in X_FIELDS.items():
            field = getattr(glyph, prop, None) if prop in glyph.properties() else None
            if isinstance(field, str):
                names.setdefault(field, x + ("" if categorical and prop == "right" else suffix))
        for prop, suffix in Y_FIELDS.items():
            field = getattr(glyph, prop, None) if prop in glyph.properties() else None
            if isinstance(field, str):
                names.setdefault(field, y + suffix)
        if glyph.__class__.__name__ in ("HSpan",):
            names.setdefault(glyph.y, y)
        if glyph.__class__.__name__ in ("VSpan",):
            names.setdefault(glyph.x, x)
    return names


def _colour_title(plot) -> str:
    bars = [b for b in plot.figure.select(type=ColorBar) if b.title]
    return bars[0].title if bars else "value"


def _values(column):
    """A source column as a list of Python values (arrays of any dtype, lists, scalars)."""
    if isinstance(column, np.ndarray):
        return column.tolist()
    return list(column)


def _segments(xs, ys):
    """The lines of a multi_line entry: NaN-separated runs of (x, y) points."""
    x, y = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    gap = np.isnan(x) | np.isnan(y)
    runs, start = [], 0
    for k in np.flatnonzero(gap).tolist() + [len(x)]:
        if k > start:
            runs.append((x[start:k], y[start:k]))
        start = k + 1
    return runs


def plot_rows(plot) -> tuple[list[str], list[dict]]:
    """``(column names, rows)`` of what `plot` (a `LivePlot`) draws now (see the module's docstring)."""
    columns = ["series"]
    rows = []

    def add(row):
        for key in row:
            if key not in columns:
                columns.append(key)
        rows.append(row)

    fig = plot.figure
    x, y = _axis_label(fig.xaxis) or "x", _axis_label(fig.yaxis) or "y"
    for layer, source in plot.sources.items():
        if layer in LEFT_OUT_LAYERS:
            continue
        data = source.data
        names = _glyph_fields(plot, source)
        if "image" in data:  # a matrix: one row per pixel, its row and column
            title = _colour_title(plot)
            for image in plot.image_values(layer):  # the values, not the colour indices sent
                a = np.asarray(image, dtype=float)
                for r, c in np.ndindex(a.shape):
                    add({"series": layer, "row": r, "column": c, title: a[r, c]})
            continue
        if "xs" in data and "ys" in data:  # a multi_line: every NaN-separated run is a line
            k = 0
            for xs, ys in zip(data["xs"], data["ys"]):
                for sx, sy in _segments(xs, ys):
                    for u, v in zip(sx.tolist(), sy.tolist()):
                        add({"series": f"{layer} {k}", names.get("xs", x): u, names.get("ys", y): v})
                    k += 1
            continue
        kept = [c for c in data if c not in LEFT_OUT]
        values = {c: _values(data[c]) for c in kept}
        n = max((len(v) for v in values.values()), default=0)
        for i in range(n):
            add({"series": layer, **{names.get(c, c): values[c][i] for c in kept if i < len(values[c])}})
    for name, model in plot.annotations.items():
        if isinstance(model, Span) and isinstance(model.location, (int, float)):
            add({"series": name, (x if model.dimension == "height" else y): model.location})
        elif isinstance(model, BoxAnnotation) and isinstance(model.left, (int, float)):  # else unset
            add({"series": name, f"{x}, start": model.left, f"{x}, end": model.right})
    return columns, rows


def _cell(value) -> str:
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return "nan" if math.isnan(value) else repr(value)  # repr: read back bit for bit
    return str(value)


def plot_csv(plot) -> str:
    """What `plot` draws as CSV text: the column names, then one row per point."""
    columns, rows = plot_rows(plot)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row[c]) if c in row else "" for c in columns])
    return out.getvalue()


def slug(text: str) -> str:
    """A file-name-safe form of `text` ("Common mode [1]" -> "common-mode-1")."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def shown_plots(view) -> dict:
    """Plot name -> `LivePlot` of every plot `view` shows now (``"heading [k]"`` for the k-th plot
    of a chart of several), in page order."""
    built = view._plots or {}
    out = {}
    for chart in view.charts():
        if chart.heading not in built or chart.heading not in view._showing:
            continue
        plots = built[chart.heading]
        for k, plot in enumerate(plots):
            out[chart.heading if len(plots) == 1 else f"{chart.heading} [{k}]"] = plot
    return out


def plot_choices(view) -> dict[str, str]:
    """The plot chooser's labels -> plot names: "Plot n: y against x" with the plots numbered in page
    order and their axis labels. Not the chart headings: the page shows each heading once, and the
    browser tests (and people searching the page) find a chart by its heading."""
    out = {}
    for n, (name, plot) in enumerate(shown_plots(view).items(), 1):
        fig = plot.figure
        x = next((a.axis_label for a in fig.xaxis if a.axis_label), "x")
        y = next((a.axis_label for a in fig.yaxis if a.axis_label), "y")
        out[f"Plot {n}: {y} against {x}"] = name
    return out


def view_csv(view) -> dict[str, str]:
    """Plot name -> its CSV text, for every plot `view` shows now."""
    return {name: plot_csv(plot) for name, plot in shown_plots(view).items()}


class ExportTool:
    """One view's export tool: a plot chooser with its CSV download, and the report download."""

    def __init__(self, view, prefix: str) -> None:
        self.view = view
        self.prefix = prefix
        self._pinned = None  # (pin settings as a tuple, the explorer at them)
        self.plot = pn.widgets.Select(
            options={},
            width=300,
            margin=(5, 5),
            css_classes=["export-plot"],
            description="The plot whose data Data (CSV) writes; plots numbered in page order.",
        )
        self.csv = pn.widgets.FileDownload(
            label="Data (CSV)",
            callback=self._csv,
            filename=f"{prefix}.csv",
            width=120,
            margin=(5, 5),
            css_classes=["export-csv"],
        )
        self.report = pn.widgets.FileDownload(
            label="Report (HTML)",
            callback=self._report,
            filename=f"{prefix}-report.html",
            width=130,
            margin=(5, 5),
            css_classes=["export-report"],
        )
        self.plot.param.watch(lambda event: self._name_file(), "value")
        shown_by = {n for chart in view.charts() if chart.shown is not None for n in chart.shown_depends}
        if shown_by:
            view.model.param.watch(lambda *events: on_page(self.view, self.refresh), sorted(shown_by))
        self.panel = pn.Row(self.plot, self.csv, self.report, margin=0, css_classes=["export-tool"])
        self.refresh()

    def refresh(self) -> None:
        """Offer the plots shown now (a chart shown for one technology or study comes and goes)."""
        choices = plot_choices(self.view) if self.view._plots is not None else {}
        if choices != self.plot.options:
            names = list(choices.values())
            value = self.plot.value if self.plot.value in names else (names[0] if names else None)
            self.plot.options = choices
            self.plot.value = value
        self._name_file()

    def _name_file(self) -> None:
        name = self.plot.value
        self.csv.filename = f"{self.prefix}-{slug(name)}.csv" if name else f"{self.prefix}.csv"

    def _csv(self):
        self.refresh()
        plots = shown_plots(self.view)
        name = self.plot.value
        if name not in plots:
            return io.StringIO("")
        return io.StringIO(plot_csv(plots[name]))

    def pinned(self):
        """An explorer at the pin's settings (`view.pin`), kept while the pin is the same; None
        without a pin."""
        pin = getattr(self.view, "pin", None)
        if pin is None:
            self._pinned = None
            return None
        from ..figures.report import explorer_at

        key = tuple(sorted((k, repr(v)) for k, v in pin.settings.items()))
        if self._pinned is None or self._pinned[0] != key:
            self._pinned = (key, explorer_at(self.view.model, pin.settings))
        return self._pinned[1]

    def report_html(self) -> str:
        """The tab's review report now (`explorer.figures.report.report_html`), with the pin as A."""
        from ..figures.report import chart_text, report_html

        model = self.view.model
        texts = {chart.heading: chart_text(chart.text, model) for chart in self.view.charts()}
        pin = getattr(self.view, "pin", None)
        figures = tuple(getattr(pin, "key_figures", ())) if pin is not None else ()
        return report_html(
            model, pinned=self.pinned(), explanations=texts, pinned_figures=figures or None, options=self.options()
        )

    def options(self) -> dict:
        """The view's own choices its figures follow: the Encoding tab's error sources on."""
        if "enabled_sources" in self.view.param:
            return {"enabled": tuple(self.view.enabled_sources)}
        return {}

    def _report(self):
        return io.StringIO(self.report_html())


def exports(view):
    """The review-bar tool (`review.TOOLS`): `view`'s export tool, made once and kept on the view as
    `view.export_tool`; None for a view whose explorer is not a scenario tab's."""
    tool = getattr(view, "export_tool", None)
    if tool is None:
        prefix = tab_prefix(view)
        if prefix is None:
            return None
        tool = view.export_tool = ExportTool(view, prefix)
    return tool.panel


__all__ = ["ExportTool", "exports", "plot_choices", "plot_csv", "plot_rows", "shown_plots", "slug", "view_csv"]
