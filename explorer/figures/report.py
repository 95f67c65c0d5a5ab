"""The offline HTML review report of one dashboard tab (issue 24, item 3).

`report_html(explorer)` writes one self-contained HTML page: the tab's figures (interactive Bokeh,
rendered from `Explorer.figures` with BokehJS inlined), its settings (name, value, unit), its key
figures (`Explorer.key_figures`), each chart's explanation with its equations and sources, the date
and the package version. With ``pinned`` (an explorer of the same class at the pinned baseline's
settings), every figure shows A muted behind B (`explorer.figures.compare`), the settings table
lists A and B, and the key-figures table A, B and B - A.

The page requests nothing from another host: BokehJS is inlined (``bokeh.resources.INLINE``), and
the equations are shown as their TeX source in code spans rather than typeset (a TeX renderer would
be a CDN request or a megabyte of inlined script). Panel is not needed, except that the charts'
explanations are read from the dashboards' view modules (`explorer.views`) when not given.
"""

from __future__ import annotations

import datetime as _dt
import html
import math
import re
from collections.abc import Mapping
from typing import Any

import holoviews as hv
from bokeh.embed import components
from bokeh.embed.bundle import bundle_for_objs_and_resources
from bokeh.resources import INLINE

from .. import __version__
from ..models import scenario
from ..models.scenario import tab_of
from . import compare, heading

STYLE = """
body { font-family: sans-serif; margin: 1.5em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { padding: 2px 10px; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.differs td { background: #fff4d6; }
.chart { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; }
.explanation { max-width: 380px; font-size: 0.9em; line-height: 1.4; }
.explanation code { font-size: 0.95em; background: #f3f3f3; padding: 0 2px; }
.meta { color: #666; font-size: 0.85em; }
"""


TAB_TITLES = {
    "dev": "Devices",
    "enc": "Encoding",
    "xb": "Crossbar",
    "prog": "Programming",
    "rel": "Reliability",
    "train": "Training",
}
"""Tab name -> the dashboard tab's title (`explorer.app.DASHBOARDS`; not imported: it needs Panel)."""


def unit_of(parameter) -> str:
    """A setting's unit: its label's parenthesised end when that is a unit, one word, a symbol of
    at most three characters or lowercase ("Temperature (K)" -> "K", "Write noise (steps)" ->
    "steps"; not "(Monte Carlo)" or "(Flash)"), or for a setting kept as a logarithm, "log10 of
    ..." as its documentation says (the time: "log10 of seconds")."""
    unit = re.search(r"\(([^()\s]+)\)\s*$", parameter.label or "")
    if unit and (len(unit.group(1)) <= 3 or unit.group(1).islower()):  # "K", "µS", "LSB", "steps"; not "Flash"
        return unit.group(1)
    log = re.search(r"log10 of (?:the )?(\w+)", parameter.doc or "")
    return f"log10 of {log.group(1)}" if log else ""


def settings_rows(explorer, pinned=None) -> list[dict[str, Any]]:
    """The tab's settings: one row per setting (`scenario_settings`) with its label, dotted name,
    value (``"A"`` too when pinned) and unit (`unit_of`)."""
    prefix = tab_of(explorer)
    values = scenario.capture({prefix: explorer}, [prefix])["tabs"][prefix]
    before = scenario.capture({prefix: pinned}, [prefix])["tabs"][prefix] if pinned is not None else None
    rows = []
    for name, value in values.items():
        owner, attr = scenario.owner_class(type(explorer), name)
        row = {
            "label": owner.param[attr].label or attr,
            "name": name,
            "value": value,
            "unit": unit_of(owner.param[attr]),
        }
        if before is not None:
            row["A"] = before.get(name)
        rows.append(row)
    return rows


def key_figure_rows(explorer, pinned=None, pinned_figures=None) -> list[dict[str, Any]]:
    """The tab's key figures (`key_figures()`): name, unit, how, value B and, when pinned, A and
    B - A (an explorer without key figures gives none). A's values are `pinned_figures` when
    given (the pin's own, taken when it was pinned: a run's figures at its pinned point), else
    `pinned.key_figures()`."""
    own = getattr(explorer, "key_figures", None)
    if own is None:
        return []
    rows = [{"name": k.name, "unit": k.unit, "how": k.how, "B": float(k.value)} for k in own()]
    if pinned is not None or pinned_figures:
        a = {k.name: float(k.value) for k in (pinned_figures or pinned.key_figures())}
        for row in rows:
            row["A"] = a.get(row["name"], math.nan)
            row["B - A"] = row["B"] - row["A"]
    return rows


def chart_texts(explorer) -> dict[str, str]:
    """Chart heading -> explanation (equation and source) as the dashboard shows it for `explorer`'s
    technology, read from the tab's view module (`Chart.text`; imports Panel)."""
    import importlib

    modules = {
        "dev": "devices",
        "enc": "encoding",
        "xb": "crossbar",
        "prog": "programming",
        "rel": "reliability",
        "train": "training",
    }
    module = importlib.import_module(f"explorer.views.{modules[tab_of(explorer)]}")
    return {chart.heading: chart_text(chart.text, explorer) for chart in module.CHARTS}


def chart_text(text, explorer) -> str:
    """A chart's explanation for `explorer`: the text, or from a dict technology -> text the
    technology's (else its "default")."""
    if isinstance(text, Mapping):
        tech = getattr(explorer, "technology", None)
        return text.get(tech, text.get("default", ""))
    return str(text or "")


def text_html(text: str) -> str:
    """An explanation as HTML: escaped, TeX between ``$$`` as code spans (shown as TeX, offline),
    ``*emphasis*`` as italics, blank lines as paragraph breaks."""
    out = []
    for k, piece in enumerate(re.split(r"\$\$(.+?)\$\$", text, flags=re.S)):
        if k % 2:
            out.append(f"<code>{html.escape(piece)}</code>")
        else:
            escaped = html.escape(piece)
            out.append(re.sub(r"\*(\S[^*]*?)\*", r"<em>\1</em>", escaped))
    return "<p>" + "".join(out).replace("\n\n", "</p><p>") + "</p>"


def _number(value) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        return f"{value:.4g}"
    return html.escape(str(value))


def _table(head, rows, numeric=(), differs=None) -> str:
    lines = ["<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"]
    for k, row in enumerate(rows):
        cls = ' class="differs"' if differs is not None and differs[k] else ""
        cells = "".join(
            f'<td class="num">{_number(v)}</td>' if i in numeric else f"<td>{html.escape(str(v))}</td>"
            for i, v in enumerate(row)
        )
        lines.append(f"<tr{cls}>{cells}</tr>")
    return "\n".join(lines) + "</table>"


def report_html(
    explorer,
    pinned=None,
    explanations: Mapping[str, str] | None = None,
    now: _dt.datetime | None = None,
    pinned_figures=None,
    options: Mapping[str, Any] | None = None,
) -> str:
    """The tab's review report as one self-contained HTML page (see the module's docstring).

    pinned: None, or an explorer of the same class at the pinned baseline A's settings.
    explanations: chart heading -> explanation text (default: `chart_texts(explorer)`).
    now: the report's date (default: the current UTC time).
    pinned_figures: A's key figures when the pin holds them (`key_figure_rows`).
    options: the tab's view-only choices for its figures, A's and B's (`Explorer.figures`).
    """
    if pinned is not None and type(pinned) is not type(explorer):
        raise TypeError(f"pinned must be a {type(explorer).__name__} like explorer, got {type(pinned).__name__}")
    texts = chart_texts(explorer) if explanations is None else dict(explanations)
    now = now or _dt.datetime.now(_dt.UTC)
    tab = TAB_TITLES[tab_of(explorer)]

    figures_b = explorer.figures(**(options or {}))
    figures_a = pinned.figures(**(options or {})) if pinned is not None else {}
    charts: dict[str, list] = {}
    for name, fig in figures_b.items():
        shown = compare(figures_a[name], fig) if name in figures_a else fig
        charts.setdefault(heading(name), []).append(hv.render(shown, backend="bokeh"))
    models = [m for ms in charts.values() for m in ms]
    script, divs = components(models)
    bundle = bundle_for_objs_and_resources(models, INLINE)
    js = "\n".join(f"<script>\n{code}\n</script>" for code in bundle.js_raw)
    css = "\n".join(f"<style>\n{code}\n</style>" for code in bundle.css_raw)

    body = [f"<h1>{html.escape(tab)}: review report</h1>"]
    stamp = now.strftime("%Y-%m-%d %H:%M UTC")
    body.append(
        f'<p class="meta">{stamp} &middot; analog-weight-explorer {html.escape(__version__)} &middot; '
        + ("A: the pinned baseline (muted in the figures); B: the current settings" if pinned is not None else "")
        + "</p>"
    )
    keys = key_figure_rows(explorer, pinned, pinned_figures)
    if keys:
        body.append("<h2>Key figures</h2>")
        if pinned is not None:
            rows = [(r["name"], r["A"], r["B"], r["B - A"], r["unit"], r["how"]) for r in keys]
            body.append(_table(("key figure", "A", "B", "B − A", "unit", "how"), rows, numeric=(1, 2, 3)))
        else:
            rows = [(r["name"], r["B"], r["unit"], r["how"]) for r in keys]
            body.append(_table(("key figure", "value", "unit", "how"), rows, numeric=(1,)))
    settings = settings_rows(explorer, pinned)
    body.append("<h2>Settings</h2>")
    if pinned is not None:
        rows = [(r["label"], r["name"], r["A"], r["value"], r["unit"]) for r in settings]
        differs = [r["A"] != r["value"] for r in settings]
        body.append(_table(("setting", "name", "A", "B", "unit"), rows, differs=differs))
    else:
        rows = [(r["label"], r["name"], r["value"], r["unit"]) for r in settings]
        body.append(_table(("setting", "name", "value", "unit"), rows))

    at = 0
    for title, plots in charts.items():
        body.append(f"<h2>{html.escape(title)}</h2>")
        cells = "".join(f"<div>{divs[at + k]}</div>" for k in range(len(plots)))
        at += len(plots)
        text = texts.get(title, "")
        explanation = f'<div class="explanation">{text_html(text)}</div>' if text else ""
        body.append(f'<div class="chart">{cells}{explanation}</div>')

    title = html.escape(f"{tab} review report, {stamp}")
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        f"<title>{title}</title>\n<style>{STYLE}</style>\n{css}\n{js}\n{script}\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def explorer_at(explorer, settings: Mapping[str, Any]):
    """A new explorer of `explorer`'s class set to the tab's `settings` (setting name -> value, as a
    scenario file or a pin keeps them), validated as a scenario file is (`scenario.parse`); it uses
    the results `explorer` shares with other sessions, if any (their keys hold every setting)."""
    import json

    prefix = tab_of(explorer)
    other = type(explorer)()
    if getattr(explorer, "shared", None) is not None:  # results a server's sessions share (Reliability)
        other.shared = explorer.shared
    text = json.dumps({"format": scenario.FORMAT, "version": scenario.VERSION, "tabs": {prefix: dict(settings)}})
    scenario.apply(scenario.parse(text), {prefix: other})
    return other


__all__ = ["chart_texts", "explorer_at", "key_figure_rows", "report_html", "settings_rows", "text_html", "unit_of"]
