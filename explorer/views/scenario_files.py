"""The header's scenario buttons (issue 24, item 2): **Download scenario** writes every tab's settings
as a scenario file, **Upload scenario** reads one back, with a status line saying what happened.

The work is done by two plain functions, `download_text` and `upload`, which the buttons call and a
test can call without a server; the reading, checking and applying are `explorer.models.scenario`'s
(`to_json`, `parse`, `apply`): JSON only, never pickle or code, a bad file refused with its first
bad field named and nothing changed. The views and the page's URL follow the applied settings as
they follow the controls: they watch the same parameters. Given the page's views, a download also
writes each tab's pinned baseline (``"pins"``) and an upload pins the file's (`explorer.views.pins`).
"""

from __future__ import annotations

import html
import io
import logging
from collections.abc import Mapping
from typing import NamedTuple

import panel as pn
import param

from ..models import scenario
from . import pins

log = logging.getLogger(__name__)

FILE_NAME = "analog-explorer-scenario.json"
"""The name a download is saved under."""

STATUS_STYLE = {"color": "white", "font-family": "sans-serif", "font-size": "0.95em"}
"""The status line's text, on the header bar's colour."""
ERROR_STYLE = {"color": "white", "font-family": "sans-serif", "font-size": "0.95em", "background": "#b00020"}
"""The status line when an upload was refused: a red bar, so the message is seen."""


class Outcome(NamedTuple):
    """What an upload did: `ok` (applied or not) and the message for the page (naming the first bad
    field when refused)."""

    ok: bool
    message: str


def download_text(explorers: Mapping[str, param.Parameterized], views: Mapping[str, object] | None = None) -> str:
    """The scenario file (JSON text) of every setting of every tab's explorer (tab prefix -> explorer),
    with the settings of each tab's pinned baseline A when `views` (tab prefix -> view) are given."""
    pinned = {tab: view.pin.settings for tab, view in (views or {}).items() if getattr(view, "pin", None) is not None}
    return scenario.to_json(explorers, pins=pinned)


def upload(
    explorers: Mapping[str, param.Parameterized],
    data: bytes | str | None,
    filename: str = "",
    views: Mapping[str, object] | None = None,
) -> Outcome:
    """Read scenario file `data` (bytes as uploaded) and apply it to `explorers` (tab prefix -> explorer).

    The file is checked completely first (`scenario.parse`: size at most `scenario.MAX_BYTES`,
    UTF-8 JSON, format, version, names, types, bounds); `scenario.apply` then sets every tab at once
    or, if a value still fails, puts back what it changed. On success the message is "Loaded <the
    scenario's name, else the file name>"; on refusal it is the error naming the field, and no
    explorer has changed. The file's ``"pins"`` are then pinned on `views` (tab prefix -> view; A
    computed from the pin's settings, `pins.pin_settings`); tabs it names no pin for keep theirs.
    Without `views` (a notebook) the pins are not applied; a file pinning a tab `views` lacks is
    refused."""
    if data is None:
        return Outcome(False, "No file chosen; nothing changed.")
    try:
        parsed = scenario.parse(data)
        missing = [tab for tab in parsed.pins if tab not in views] if views is not None else []
        if missing:
            raise scenario.ScenarioError(f"pins.{missing[0]}", "this page cannot pin this tab; nothing changed")
        scenario.apply(parsed, explorers)
    except scenario.ScenarioError as exc:
        shown = f" {filename}" if filename else ""
        return Outcome(False, f"Not loaded{shown}: {exc}. Nothing changed.")
    label = parsed.name or filename or "the scenario"
    if views is None or not parsed.pins:
        return Outcome(True, f"Loaded {label}")
    failed = []
    for tab, settings in parsed.pins.items():
        try:
            pins.pin_settings(views[tab], settings)
        except Exception:  # the settings are loaded; say which pin is missing
            log.exception("pinning %s failed", tab)
            failed.append(tab)
    pinned = [tab for tab in parsed.pins if tab not in failed]
    note = f", with A pinned on {', '.join(pinned)}" if pinned else ""
    if failed:
        note += f"; the pin of {', '.join(failed)} could not be computed"
    return Outcome(not failed, f"Loaded {label}{note}")


def scenario_controls(
    explorers: Mapping[str, param.Parameterized], background: str, views: Mapping[str, object] | None = None
) -> tuple[pn.Row, pn.pane.HTML]:
    """The header's scenario controls for one page, wired to `download_text` and `upload` on
    `explorers` and, for pins, `views` (tab prefix -> view): a row of the download button and the upload control (its `explorers` attribute is
    the mapping given), and the status line, a bar the width of the page shown under the header once
    there is something to say. `background` is the header bar's colour."""
    download = pn.widgets.FileDownload(
        callback=lambda: io.StringIO(download_text(explorers, views)),
        filename=FILE_NAME,
        label="Download scenario",
        color="light",
        width=170,
        margin=(10, 5),
        css_classes=["scenario-download"],
    )
    chooser = pn.widgets.FileInput(
        accept=".json", multiple=False, width=210, margin=(12, 5), css_classes=["scenario-upload"]
    )
    label = pn.pane.HTML(
        "Upload scenario:",
        styles={**STATUS_STYLE, "white-space": "nowrap"},
        margin=(16, 0, 0, 15),
        css_classes=["scenario-upload-label"],
    )
    status = pn.pane.HTML(
        "",
        styles={**STATUS_STYLE, "background": background},
        visible=False,
        sizing_mode="stretch_width",
        margin=0,
        stylesheets=[":host { padding: 4px 20px; }"],
        css_classes=["scenario-status"],
    )

    def uploaded(event):
        if event.new is None:
            return
        outcome = upload(explorers, event.new, chooser.filename or "", views)
        status.param.update(
            object=html.escape(outcome.message),
            styles={**STATUS_STYLE, "background": background} if outcome.ok else ERROR_STYLE,
            visible=True,
        )
        # Empty the control, so choosing the same file again (to go back to it) uploads it again.
        chooser.clear()

    chooser.param.watch(uploaded, "value")
    row = pn.Row(download, label, chooser, styles={"background": background}, margin=0)
    row.explorers = explorers  # what the controls act on (the page's tests reach the models here)
    row.views = views  # and the views whose pins they save and load
    return row, status


__all__ = ["FILE_NAME", "Outcome", "download_text", "scenario_controls", "upload"]
