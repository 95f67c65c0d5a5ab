"""The header's scenario controls (issue 24, item 2): the **Scenarios** menu opens a scenario of the
library (`explorer.models.scenario_library`), **Download scenario** writes the settings of every tab
or of the visible one (the **All tabs** / **This tab** choice beside it) as a scenario file,
**Upload scenario** reads one back, with a status line saying what happened.

The work is done by plain functions, `download_text`, `upload` and `open_library`, which the controls
call and a test can call without a server; the reading, checking and applying are
`explorer.models.scenario`'s (`to_json`, `parse`, `apply`): JSON only, never pickle or code, a bad
file refused with its first bad field named and nothing changed. The views and the page's URL follow
the applied settings as they follow the controls: they watch the same parameters. A scenario that
names a tab (its ``"tab"``) switches the page to it. Given the page's views, a download also writes
each tab's pinned baseline (``"pins"``) and an upload pins the file's (`explorer.views.pins`).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping
from typing import NamedTuple

import panel as pn
import param

from ..models import scenario
from ..models.scenario_library import Library, LibraryEntry
from . import pins
from ._live import page_batch
from ._status import STATUS_STYLE, status_line

log = logging.getLogger(__name__)

FILE_NAME = "analog-explorer-scenario.json"
"""The name a download of every tab is saved under."""

ALL_TABS, THIS_TAB = "All tabs", "This tab"
"""The download choice: every tab's settings, or the visible tab's only."""

LECTURE_WIDTHS = {"menu": 115, "download": 175, "choice": 170, "label": 145}
"""Widths (px) of the controls whose text grows in lecture mode (`Presentation`: 1.5 x the text), so
the text stays inside them; the file chooser keeps its width. Measured at 1280 px in Chromium."""

SKIPPED = "__skipped__"
"""The menu value of the entry listing the library files that were refused."""


def tab_file_name(tab: str) -> str:
    """The name a download of tab `tab` alone is saved under (``analog-explorer-scenario-xb.json``)."""
    return FILE_NAME.replace(".json", f"-{tab}.json")


class Outcome(NamedTuple):
    """What an upload or a library scenario did: `ok` (applied or not), the message for the page
    (naming the first bad field when refused) and `tab`, the tab the scenario asks to show ("" for
    none, or when refused)."""

    ok: bool
    message: str
    tab: str = ""


def download_text(
    explorers: Mapping[str, param.Parameterized], tab: str | None = None, views: Mapping[str, object] | None = None
) -> str:
    """The scenario file (JSON text) of every setting of every tab's explorer (tab prefix -> explorer),
    or, given `tab`, of that tab's explorer only, naming it as the tab to show: applied to a fresh
    page it changes that tab alone. Given `views` (tab prefix -> view), it also writes the settings
    of the pinned baseline A of each tab it covers (``"pins"``)."""
    covered = list(explorers) if tab is None else [tab]
    pinned = {
        t: view.pin.settings
        for t, view in (views or {}).items()
        if t in covered and getattr(view, "pin", None) is not None
    }
    if tab is None:
        return scenario.to_json(explorers, pins=pinned)
    return scenario.to_json(explorers, [tab], pins=pinned, tab=tab)


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
            raise scenario.ScenarioError(f"pins.{missing[0]}", "this page cannot pin this tab")
        scenario.apply(parsed, explorers)
    except scenario.ScenarioError as exc:
        shown = f" {filename}" if filename else ""
        return Outcome(False, f"Not loaded{shown}: {exc}. Nothing changed.")
    label = parsed.name or filename or "the scenario"
    if views is None or not parsed.pins:
        return Outcome(True, f"Loaded {label}", parsed.tab)
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
    return Outcome(not failed, f"Loaded {label}{note}", parsed.tab)


def open_library(explorers: Mapping[str, param.Parameterized], entry: LibraryEntry) -> Outcome:
    """Apply library scenario `entry` to `explorers` (tab prefix -> explorer), as an upload is
    applied (every tab at once; on a refusal nothing changes). The message is its name, description
    and source, for the status line."""
    try:
        scenario.apply(entry.scenario, explorers)
    except scenario.ScenarioError as exc:
        return Outcome(False, f"Not loaded {entry.name}: {exc}. Nothing changed.")
    s = entry.scenario
    return Outcome(True, f"Loaded {entry.name}. {s.description} Source: {s.source}", s.tab)


def skipped_message(library: Library) -> str:
    """The status line's text for the library's refused files: each file's name and its error."""
    return "Library files not offered: " + "; ".join(f"{file}: {error}" for file, error in library.skipped)


def scenario_controls(
    explorers: Mapping[str, param.Parameterized],
    background: str,
    *,
    tabs: pn.Tabs | None = None,
    first_tab: int = 1,
    library: Library | None = None,
    presentation: param.Parameterized | None = None,
    views: Mapping[str, object] | None = None,
) -> tuple[pn.Row, pn.pane.HTML]:
    """The header's scenario controls for one page, wired to `download_text`, `upload` and
    `open_library` on `explorers`: a row of the Scenarios menu (when `library` is given), the download
    button and its All tabs / This tab choice, and the upload control (the row's `explorers`
    attribute is the mapping given), and the status line, a bar the width of the page shown under the
    header once there is something to say. `background` is the header bar's colour.

    `tabs` is the page's tabs, whose tab ``first_tab + k`` shows the k-th explorer of `explorers`:
    "This tab" downloads the visible one, and a scenario naming a tab switches to it. Without
    `tabs`, or on a tab without settings (the overview), a download writes every tab. With
    `presentation` (the page's `Presentation`), the controls widen in lecture mode
    (`LECTURE_WIDTHS`), as their text does. With `views` (tab prefix -> view), downloads write the
    tabs' pins and uploads pin the file's."""
    prefixes = list(explorers)

    def visible() -> str | None:
        k = -1 if tabs is None else tabs.active - first_tab
        return prefixes[k] if 0 <= k < len(prefixes) else None

    def show(tab: str) -> None:
        if tabs is not None and tab in prefixes:
            tabs.active = first_tab + prefixes.index(tab)

    choice = pn.widgets.RadioButtonGroup(
        options=[ALL_TABS, THIS_TAB],
        value=ALL_TABS,
        color="light",
        width=130,
        margin=(10, 5),
        css_classes=["scenario-download-choice"],
    )

    def download_file():
        tab = visible() if choice.value == THIS_TAB else None
        download.filename = FILE_NAME if tab is None else tab_file_name(tab)
        return io.StringIO(download_text(explorers, tab, views))

    download = pn.widgets.FileDownload(
        callback=download_file,
        filename=FILE_NAME,
        label="Download scenario",
        color="light",
        width=150,
        margin=(10, 5),
        css_classes=["scenario-download"],
    )
    chooser = pn.widgets.FileInput(
        accept=".json", multiple=False, width=200, margin=(12, 5), css_classes=["scenario-upload"]
    )
    label = pn.pane.HTML(
        "Upload scenario:",
        styles={**STATUS_STYLE, "white-space": "nowrap"},
        width=105,
        margin=(16, 0, 0, 5),
        css_classes=["scenario-upload-label"],
    )
    status, say = status_line(background, "scenario-status")

    def report(outcome: Outcome) -> None:
        say(outcome.message, outcome.ok)
        if outcome.ok and outcome.tab:
            show(outcome.tab)

    def applied(apply, clear=False) -> None:
        # One batch (`_live.page_batch`): each chart the scenario changes is computed once, and the
        # charts, the status line and the tab switch reach the page in one message.
        with page_batch(views.values() if views else ()) as batch:
            outcome = apply()
            if clear:
                # Empty the control, so choosing the same file again (to go back to it) uploads it
                # again. In the batch, ahead of the status line: emptied later (its own callback
                # on the event loop), it could empty the page's control after the next file was
                # chosen, and the two changes reached the server as one, the next file's lost.
                batch.add(chooser.clear)
            batch.add(lambda: report(outcome))

    def uploaded(event):
        if event.new is None:
            return
        applied(lambda: upload(explorers, event.new, chooser.filename or "", views), clear=True)

    chooser.param.watch(uploaded, "value")
    parts = [download, choice, label, chooser]
    if library is not None:
        menu = scenario_menu(library)

        def chosen(event):
            if event.new == SKIPPED:
                report(Outcome(False, skipped_message(library)))
            elif event.new in library.names():
                applied(lambda: open_library(explorers, library.get(event.new)))
            else:
                report(Outcome(False, library.message or "The scenario library is empty."))

        menu.on_click(chosen)
        parts.insert(0, menu)
    # The row's width given: left to itself, the header gave it less than its parts and the last
    # overlapped what follows it at 1280 px.
    row = pn.Row(*parts, styles={"background": background}, margin=0, width=sum(map(_outer_width, parts)))
    row.explorers = explorers  # what the controls act on (the page's tests reach the models here)
    row.views = views  # and the views whose pins they save and load (`explorer.views.pins`)
    if presentation is not None:
        named = {"download": download, "choice": choice, "label": label}
        if library is not None:
            named["menu"] = parts[0]
        plain = {name: w.width for name, w in named.items()}

        def resize():
            widths = LECTURE_WIDTHS if presentation.lecture else plain
            with pn.io.hold():  # every width in one message, as the dashboards restyle (`_live._restyle`)
                for name, w in named.items():
                    w.width = widths[name]
                row.width = sum(map(_outer_width, parts))

        presentation.param.watch(lambda event: pn.state.execute(resize), "lecture")
        resize()
    return row, status


def _outer_width(widget) -> int:
    """`widget`'s width with its left and right margins (px)."""
    m = widget.margin
    m = (m, m, m, m) if isinstance(m, int) else (m * 2 if len(m) == 2 else m)
    return widget.width + m[1] + m[3]


def scenario_menu(library: Library) -> pn.widgets.MenuButton:
    """The Scenarios menu of `library`: one item per scenario, by name (its value, too); after a
    separator, one item naming how many files were refused, when some were (choosing it lists them in
    the status line; they are also logged); one item saying why there is none, when the library is
    missing or empty."""
    items: list = [(name, name) for name in library.names()]
    if library.skipped:
        logging.getLogger(__name__).warning(skipped_message(library))
        n = len(library.skipped)
        items += [None, (f"{n} library file{'s' if n > 1 else ''} not offered: why?", SKIPPED)]
    if not library.entries:
        items.insert(0, ("No scenarios (library not found)" if library.message else "No scenarios", "__none__"))
    return pn.widgets.MenuButton(
        label="Scenarios",
        items=items,
        color="light",
        width=100,
        margin=(10, 5),
        css_classes=["scenario-menu"],
    )


__all__ = [
    "ALL_TABS",
    "FILE_NAME",
    "THIS_TAB",
    "Outcome",
    "download_text",
    "open_library",
    "scenario_controls",
    "scenario_menu",
    "skipped_message",
    "tab_file_name",
    "upload",
]
