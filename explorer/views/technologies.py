"""The Technologies tab: seed section 6.1's comparison of PCM, RRAM and NOR Flash, beside the
figures the models compute for each preset (`explorer.models.technologies.TechnologyTable`).

The table is an HTML table whose cells fill as they are computed: a background run of the
session (`_runs.RunDriver`) computes one cell at a time, and the session's periodic callback
redraws the table with the cells done so far. Each computed cell shows its value and, in a small
line under it (and on hover), how it was computed. The computed cells are shared with every
session of the server (`SharedResults`), so a class at the same seed and chips computes each once.
Its text reads the page's base font size, which lecture mode scales.
"""

from __future__ import annotations

import html
import io

import panel as pn
import param

from ..compat import session_gone
from ..models.technologies import (
    ENERGY_ASSUMPTIONS,
    QUALITATIVE,
    QUALITATIVE_SOURCE,
    ROWS,
    TECHNOLOGIES_COMPARED,
    TechnologyTable,
)
from ._present import Presentation, follow_page_font
from ._runs import Pace, RunDriver
from ._widgets import control_widget, shared_results

TABLE_CSS = """
table.tech-table { border-collapse: collapse; width: 100%; font-size: var(--bokeh-font-size, 12px); }
table.tech-table th, table.tech-table td { border: 1px solid #d0d4e4; padding: 4px 8px; vertical-align: top; text-align: left; }
table.tech-table th { background: #eef2fb; }
table.tech-table tr.section td { background: #3f51b5; color: white; font-weight: bold; }
table.tech-table td.metric { font-weight: bold; width: 22%; }
table.tech-table .value { font-size: 1.1em; }
table.tech-table .how { display: block; font-size: 0.8em; color: #555; margin-top: 2px; }
table.tech-table td.pending { color: #888; font-style: italic; }
"""

PACE = Pace(step_seconds=0.5, chunk=(1, 1, 1), wait=0.05, poll_ms=300, priority="nice")
"""One cell per step; the page looks at the table three times a second while cells are missing."""

CSV_NAME = "technologies.csv"


def table_html(table: TechnologyTable) -> str:
    """The table as HTML: the computed rows (pending cells say so), then the seed's rows."""
    done = table.computed()
    head = "".join(f"<th>{html.escape(t)}</th>" for t in TECHNOLOGIES_COMPARED)
    lines = [f"<table class='tech-table'><thead><tr><th>Metric</th>{head}</tr></thead><tbody>"]
    lines.append(
        f"<tr class='section'><td colspan='{1 + len(TECHNOLOGIES_COMPARED)}'>Computed by the models "
        f"(seed {table.seed}, {table.chips} chips)</td></tr>"
    )
    for row in ROWS:
        cells = []
        for tech in TECHNOLOGIES_COMPARED:
            cell = done.get((row.key, tech))
            if cell is None:
                cells.append("<td class='pending'>computing…</td>")
                continue
            how = html.escape(cell.how, quote=True)
            cells.append(
                f"<td class='cell' data-row='{row.key}' data-technology='{tech}' title='{how}'>"
                f"<span class='value'>{html.escape(cell.text())}</span><span class='how'>{how}</span></td>"
            )
        lines.append(f"<tr><td class='metric'>{html.escape(row.label)}</td>{''.join(cells)}</tr>")
    lines.append(
        f"<tr class='section'><td colspan='{1 + len(TECHNOLOGIES_COMPARED)}'>"
        f"From the seed ({html.escape(QUALITATIVE_SOURCE)})</td></tr>"
    )
    for metric, texts in QUALITATIVE:
        cells = "".join(f"<td>{html.escape(texts[t])}</td>" for t in TECHNOLOGIES_COMPARED)
        lines.append(f"<tr><td class='metric'>{html.escape(metric)}</td>{cells}</tr>")
    lines.append("</tbody></table>")
    return "".join(lines)


def assumptions_markdown() -> str:
    """The energy estimate's constants with their sources, as Markdown."""
    items = []
    for name, a in ENERGY_ASSUMPTIONS.items():
        if isinstance(a, dict):
            for tech, each in a.items():
                items.append(f"- {name} ({tech}): {each.value:g} {each.unit}, {each.source}")
        else:
            items.append(f"- {name}: {a.value:g} {a.unit}, {a.source}")
    return "**Energy per MAC, its constants:**\n\n" + "\n".join(items)


class TechnologiesView(pn.viewable.Viewer):
    """The Technologies tab of one browser session: the table, its seed and chips, a CSV download."""

    INTRO = (
        "The comparison of PCM, RRAM and NOR Flash of seed section 6.1, beside what this project's "
        "models compute for each preset at its default knobs. Each computed cell says how it was "
        "computed (the small line under it; hover for the same). Cells fill as they finish."
    )

    def __init__(self, model: TechnologyTable | None = None, presentation: Presentation | None = None) -> None:
        super().__init__()
        self.model = model if model is not None else TechnologyTable(shared=shared_results())
        self.presentation = presentation or Presentation()
        self._widgets = {
            "seed": pn.widgets.IntInput.from_param(self.model.param.seed, sizing_mode="stretch_width"),
            "chips": control_widget(self.model, "chips"),
        }
        self._table = pn.pane.HTML(
            "", sizing_mode="stretch_width", stylesheets=[TABLE_CSS], css_classes=["technology-table"]
        )
        self._status = pn.pane.Markdown("", css_classes=["technology-status"], sizing_mode="stretch_width")
        self._download = pn.widgets.FileDownload(
            callback=lambda: io.StringIO(self.model.table_csv()),
            filename=CSV_NAME,
            label="Download CSV",
            color="primary",
            sizing_mode="stretch_width",
            css_classes=["technology-csv"],
        )
        self._driver = RunDriver(self, PACE, show=self._show, name="technology table")
        self._doc = None
        self._closed = False
        self._shown = None  # (seed, chips, cells done) last drawn
        self._rendered = False  # nothing is computed for a tab nobody has opened
        self.model.param.watch(self._changed, ["seed", "chips"])

    # ------------------------------------------------------------------ the run (`RunDriver`'s view)

    def _served(self):
        return self._doc is not None and self._doc.session_context is not None

    def _session_gone(self):
        return self._closed or session_gone(getattr(self._doc, "session_context", None))

    def _on_session_destroyed(self, session_context):
        self._closed = True
        self._driver.pause()

    def _fill(self):
        """Compute the missing cells in the background (nothing if all are there, a run is on, or
        the tab has not been opened)."""
        if not self._rendered or not self.model.pending() or self._driver.running:
            return
        if not self._driver.claim(timeout=0.0):
            return
        self._driver.begin(step=lambda _: self.model.step(), done=lambda: not self.model.pending())

    def _show(self):
        """Redraw the table if cells were added since the last drawing; whether cells are missing."""
        left = len(self.model.pending())
        state = (self.model.seed, self.model.chips, left)
        if state != self._shown:
            self._shown = state
            self._table.object = table_html(self.model)
            total = len(ROWS) * len(TECHNOLOGIES_COMPARED)
            self._status.object = f"Computing: {total - left} of {total} cells done." if left else "All cells computed."
        if left and not self._driver.is_alive():
            self._fill()  # the settings moved after the last run ended
        return bool(left)

    def _changed(self, *events):
        self._show()
        self._fill()

    # ------------------------------------------------------------------ layout

    def controls(self) -> pn.Column:
        column = pn.Column(
            pn.pane.Markdown(self.INTRO, sizing_mode="stretch_width"),
            *self._widgets.values(),
            self._download,
            self._status,
            width=320,
        )
        follow_page_font(column)
        return column

    def _render(self):
        doc = pn.state.curdoc
        if doc is not None and doc.session_context is not None and self._doc is None:
            self._doc = doc
            pn.state.on_session_destroyed(self._on_session_destroyed)
        self._rendered = True
        self._show()
        self._fill()
        right = pn.Column(
            self._table,
            pn.pane.Markdown(assumptions_markdown(), sizing_mode="stretch_width"),
            sizing_mode="stretch_width",
        )
        return pn.Row(self.controls(), right, sizing_mode="stretch_width")

    def __panel__(self):
        # Lazy, as the dashboards: nothing is computed until the tab is opened.
        render = param.depends()(lambda: self._render())  # no dependencies: rendered once, when shown
        return pn.param.ParamFunction(render, lazy=True, sizing_mode="stretch_width")

    def widgets(self):
        return dict(self._widgets)


__all__ = ["TechnologiesView", "assumptions_markdown", "table_html"]
