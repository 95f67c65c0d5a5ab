"""Pin and compare (issue 24, item 1): keep the results a tab shows now as a baseline A, and compare
the live results B against it.

**Pin as A** copies what the tab's plots show now (`LiveDashboard.shown_data`) and the tab's key
figures and settings into a `Pin` on the view (`view.pin`): nothing is computed again. Every plot
built so far then draws A as a grey ghost behind B (`LivePlot.pin`); the ghosts' data are sent once,
and the updates of B never resend them. A table over the plots lists the tab's key figures for A
and B and the difference B − A, updated with B, and beside it the settings in which B differs from
A. **Unpin** removes the ghosts and the table. The pin lives on the view (one per tab per browser
session), so it survives tab switches and lecture mode.

A pin can also come from a scenario file (its ``"pins"``: tab -> settings, `explorer.models.scenario`):
`pin_settings` then computes A with a second explorer of the tab's class set to those settings,
through the tab's own plot data functions, and pins that.

What has no ghost: images (the crossbar's conductance maps: a second image behind the first would be
hidden by it) and text labels; charts built after the pin (a chart that a later setting shows) and
charts hidden when the pin was taken. Their A values are in the key-figures table.
"""

from __future__ import annotations

import dataclasses
import html
import json
import logging
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import panel as pn

from ..admission import LIGHT
from ..models import scenario
from ..models.scenario import tab_of
from ..workers import Job, seed
from ._present import follow_page_font

log = logging.getLogger(__name__)

TABLE_STYLE = (
    "border-collapse: collapse; font-size: var(--bokeh-font-size, 12px); font-family: sans-serif; margin: 0 12px 4px 0;"
)
"""The tables' style: the page's base font size, which lecture mode scales (`_present.page_styles`)."""
CELL_STYLE = "padding: 1px 8px; border-bottom: 1px solid #ddd; text-align: right;"
NAME_STYLE = "padding: 1px 8px; border-bottom: 1px solid #ddd; text-align: left;"


@dataclasses.dataclass(frozen=True)
class Pin:
    """A pinned baseline A of one tab.

    settings: the tab's scenario settings when pinned (setting name -> value, as
    ``scenario.capture({prefix: model}, [prefix])["tabs"][prefix]`` gives them).
    key_figures: the tab's key figures for those settings (`Explorer.key_figures`).
    data: chart heading -> one dict per plot of layer -> columns (copies): what the ghosts draw;
    None for a pin from a scenario file whose tab has not been shown yet (computed when it is).
    origin: "pinned" (the button) or "scenario" (a scenario file's ``"pins"``).
    """

    settings: Mapping[str, Any]
    key_figures: tuple = ()
    data: Mapping[str, tuple] | None = None
    origin: str = "pinned"


# ------------------------------------------------------------------ the pin's data


def settings_of(model) -> dict[str, Any]:
    """The tab's scenario settings of explorer `model` now (name -> JSON-ready value)."""
    prefix = tab_of(model)
    return scenario.capture({prefix: model}, [prefix])["tabs"][prefix]


def key_figures_of(model) -> tuple:
    """The explorer's key figures (`Explorer.key_figures`; from its memoised results)."""
    figures = getattr(model, "key_figures", None)
    return tuple(figures()) if figures is not None else ()


def _copied(value):
    if isinstance(value, np.ndarray):
        return np.array(value)
    if isinstance(value, Mapping):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copied(v) for v in value)
    return value


def _settings_text(view, settings: Mapping[str, Any]) -> str:
    """Scenario JSON of `settings` for the tab of `view`."""
    tabs = {tab_of(view.model): dict(settings)}
    return json.dumps({"format": scenario.FORMAT, "version": scenario.VERSION, "tabs": tabs})


def _shadow_model(view, settings: Mapping[str, Any]):
    """A second explorer of `view`'s model's class set to `settings` (`scenario.apply`, validated)."""
    model = type(view.model)()
    scenario.apply(scenario.parse(_settings_text(view, settings)), {tab_of(view.model): model})
    return model


def computed_data(view, settings: Mapping[str, Any], harvest=None):
    """``(data, key figures)`` of the tab of `view` at `settings`: a second explorer of the view's
    model's class set to `settings` (`scenario.apply`, validated), drawn by a second view of the
    view's class through the same chart data functions (heading -> one dict of layer -> columns
    per plot, for the charts the view has built and shows, where the second shows them too).
    A tab with a run (Programming, Training) gives A before its run: the run is not replayed.
    `harvest`: a worker process's results at those settings (`explorer.workers`), from which the
    second view draws instead of computing them (a heavy pin, `compute_pin`)."""
    model = _shadow_model(view, settings)
    shadow = type(view)(model=model)
    if harvest is not None:
        seed(shadow, harvest)
    built = view._plots or {}
    data = {}
    for chart in shadow.charts():
        plots = built.get(chart.heading)
        if plots is None or chart.heading not in view._showing or not chart.is_shown(model):
            continue
        per_plot = [{} for _ in plots]
        for part in chart.parts:
            try:
                out = part.data(shadow)
            except Exception:  # the other charts still get their ghosts
                log.exception("computing the pin's %r failed", chart.heading)
                continue
            for layers, update in zip(per_plot, out if isinstance(out, tuple) else (out,)):
                layers.update(update)
        data[chart.heading] = tuple(
            {name: columns for name, columns in layers.items() if name in plot.layers}
            for plot, layers in zip(plots, per_plot)
        )
    return data, key_figures_of(model)


# ------------------------------------------------------------------ pinning


def pin(view) -> None:
    """Pin what `view` shows now as A (the "Pin as A" button): copies of the shown plot data, the
    key figures and settings, kept as `view.pin`; the plots draw A's ghosts and the table appears.
    Computes no plot data. Replaces an earlier pin. On a served page this happens on the session's
    event loop, where the shown data are the page's."""

    def change():
        made = Pin(
            settings=settings_of(view.model),
            key_figures=key_figures_of(view.model),
            data=_copied(view.shown_data()),
        )
        _show(view, made)

    view.on_page(change)


def pin_settings(view, settings: Mapping[str, Any], origin: str = "scenario") -> Pin:
    """Pin A computed at `settings` (a scenario file's pin for the view's tab: `computed_data`).
    A view not rendered yet keeps the pin and computes its data when it is first shown."""
    made = Pin(settings=dict(settings), origin=origin)
    if view._plots is None:  # `pin_tool` computes its data when the tab is first shown
        view.pin = made
        return made
    compute_pin(view, made, on_page=True)
    return made


PIN_MESSAGE = "Pin A from the scenario: "
"""How the page's admission message (`LiveDashboard.admission`) starts for a scenario's pin."""


def compute_pin(view, made: Pin, on_page: bool) -> None:
    """Compute the data of `made` (a scenario's pin, at its settings: `computed_data`) and show it.
    A pin whose settings are heavy (their explorer's `cost()`, as for the tab's own updates) is
    admitted against the server's budget like any heavy request: it waits its turn, computes in a
    worker process, or is refused with the reason shown on the tab (and is then not pinned); a light
    one computes at once, here. `on_page`: show it through the page's event loop (else at once)."""
    budget = view.budget_now() if hasattr(view, "budget_now") else None
    cost = LIGHT
    if budget is not None:
        model = _shadow_model(view, made.settings)
        cost = model.cost() if hasattr(model, "cost") else LIGHT

    def show(data, figures):
        done = dataclasses.replace(made, data=data, key_figures=figures)
        if on_page or budget is not None and budget.is_heavy(cost):
            view.on_page(lambda: _show(view, done))
        else:
            _show(view, done)

    if budget is None or not budget.is_heavy(cost):
        show(*computed_data(view, made.settings))
        return
    cls = type(view)

    def job():
        return Job(f"{cls.__module__}:{cls.__qualname__}", tab_of(view.model), _settings_text(view, made.settings))

    def then(harvest, _job):
        data, figures = computed_data(view, made.settings, harvest)
        with view._on_doc():
            show(data, figures)

    view.admit("pin", budget, cost, job, then, what=PIN_MESSAGE)


def unpin(view) -> None:
    """Remove the pin of `view`: its ghosts and its table (the "Unpin" button)."""

    def change():
        view.pin = None
        view.hide_ghosts()
        _refresh_tool(view)

    view.on_page(change)


def _show(view, made: Pin) -> None:
    view.pin = made
    view.show_ghosts(made.data or {})
    _refresh_tool(view)


def _refresh_tool(view) -> None:
    tool = getattr(view, "_pin_tool", None)
    if tool is not None:
        tool.show(key_figures_of(view.model) if view.pin is not None else (), settings_of(view.model))


# ------------------------------------------------------------------ the table


def _number(value: float) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:,.4g}"


def _difference(a: float, b: float) -> str:
    if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
        return "–"
    d = b - a
    return "0" if d == 0 else f"{d:+,.3g}".replace("-", "−")


def figures_table(a: tuple, b: tuple) -> str:
    """HTML table of key figures: one row per figure of B (matched to A's by name), columns A, B,
    B − A and the unit; a figure's `how` is its row's tooltip."""
    by_name = {f.name: f for f in a}
    rows = []
    for fb in b:
        fa = by_name.get(fb.name)
        va = None if fa is None else fa.value
        cells = [
            f"<td style='{NAME_STYLE}'>{html.escape(fb.name)}</td>",
            f"<td style='{CELL_STYLE}'>{_number(va)}</td>",
            f"<td style='{CELL_STYLE}'>{_number(fb.value)}</td>",
            f"<td style='{CELL_STYLE}' class='pin-diff'>{_difference(va, fb.value)}</td>",
            f"<td style='{NAME_STYLE}'>{html.escape(fb.unit)}</td>",
        ]
        rows.append(
            f"<tr title='{html.escape(fb.how, quote=True)}' data-name='{html.escape(fb.name, quote=True)}'>{''.join(cells)}</tr>"
        )
    head = "".join(
        f"<th style='{NAME_STYLE}'>{h}</th>" for h in ("Key figure", "A (pinned)", "B (now)", "B − A", "unit")
    )
    return f"<table class='pin-figures' style='{TABLE_STYLE}'><tr>{head}</tr>{''.join(rows)}</table>"


def _value(v: Any) -> str:
    """A setting's value as the table shows it (a float to 6 significant digits, a list joined)."""
    if isinstance(v, (list, tuple)):
        return ", ".join(map(_value, v))
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def settings_table(a: Mapping[str, Any], b: Mapping[str, Any]) -> str:
    """HTML table of the settings in which B differs from A (name, A, B); a line saying so when none."""
    rows = [
        f"<tr><td style='{NAME_STYLE}'>{html.escape(name)}</td><td style='{CELL_STYLE}'>{html.escape(_value(a.get(name)))}"
        f"</td><td style='{CELL_STYLE}'>{html.escape(_value(b.get(name)))}</td></tr>"
        for name in dict.fromkeys([*a, *b])
        if a.get(name) != b.get(name)
    ]
    if not rows:
        return f"<div style='{TABLE_STYLE}'>Settings: B has A's settings.</div>"
    head = "".join(f"<th style='{NAME_STYLE}'>{h}</th>" for h in ("Setting that differs", "A", "B"))
    return f"<table class='pin-settings' style='{TABLE_STYLE}'><tr>{head}</tr>{''.join(rows)}</table>"


class PinTool:
    """The review bar's pin tool of one view: the buttons, the key-figures table and the differing
    settings (hidden while nothing is pinned)."""

    def __init__(self, view):
        self.view = view
        self.pin_button = pn.widgets.Button(label="Pin as A", width=110, css_classes=["pin-button"])
        self.unpin_button = pn.widgets.Button(
            label="Unpin", width=90, disabled=view.pin is None, css_classes=["unpin-button"]
        )
        self.pin_button.on_click(lambda event: pin(self.view))
        self.unpin_button.on_click(lambda event: unpin(self.view))
        self.figures = pn.pane.HTML("", css_classes=["pin-table"], margin=(0, 5))
        self.settings = pn.pane.HTML("", css_classes=["pin-settings-pane"], margin=(0, 5))
        self.tables = pn.Row(self.figures, self.settings, visible=False, margin=0)
        note = pn.pane.HTML(
            "<span style='font-family: sans-serif; color: #555'>pinned A: grey</span>",
            margin=(12, 5),
        )
        self.controls = pn.Row(self.pin_button, self.unpin_button, note, margin=0, css_classes=["pin-tool"])
        self.parts = (self.controls, self.tables)
        """The review bar's parts (`review.review_bar`): the buttons, and the tables under the bar."""
        follow_page_font(self.tables)
        view.update_hooks.append(self.after_update)

    def after_update(self, view):
        """In the computing thread after B's update: B's key figures and settings, to show with it."""
        if view.pin is None:
            return None
        figures, settings = key_figures_of(view.model), settings_of(view.model)
        return lambda: self.show(figures, settings)

    def show(self, figures, settings) -> None:
        """Show the table of `figures` (B's) against the pin's, and `settings` (B's) where they differ."""
        made = self.view.pin
        self.unpin_button.disabled = made is None
        if made is None:
            self.tables.visible = False
            return
        self.figures.object = figures_table(made.key_figures, figures)
        self.settings.object = settings_table(made.settings, settings)
        self.tables.visible = True


def pin_tool(view):
    """The review bar's component of the pin tool for `view` (`review.TOOLS`); the tool is kept on the
    view. A pin from a scenario file taken before the tab was shown gets its ghosts here."""
    tool = getattr(view, "_pin_tool", None)
    if tool is None:
        tool = view._pin_tool = PinTool(view)
    made = view.pin
    if made is not None and made.data is None:
        view.pin = None  # until its data are computed (at once, or when a heavy pin's turn comes)
        compute_pin(view, made, on_page=False)
    elif made is not None:
        _refresh_tool(view)
    return tool.parts


__all__ = [
    "Pin",
    "PinTool",
    "compute_pin",
    "computed_data",
    "figures_table",
    "key_figures_of",
    "pin",
    "pin_settings",
    "pin_tool",
    "settings_of",
    "settings_table",
    "unpin",
]
