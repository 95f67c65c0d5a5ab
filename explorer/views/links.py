"""Shared links with invalid values: check a page's query before the URL is synced to the
dashboards, keep the valid part, and say which fields were ignored (issue 24, "Bad input").

Panel's `pn.state.location.sync` applies a link's values silently: it sets all the values it
finds for one object in a single ``param.update`` and, if any one of them is refused (a value
out of bounds, an unknown choice, a text where a number belongs), drops every value of that
object, the valid ones too, then writes the current values back into the URL; a key the page
does not sync (``dev.nope=1``) stays in the URL and does nothing. Here each ``<prefix>.<name>``
key is checked on its own against the dashboard's settings with the scenario file's checks
(`explorer.models.scenario.parse`: type, bounds, choices, and the choices a tab allows), as
Panel would convert it (`panel.util.parse_query`: ``"6"`` -> 6, ``"true"`` -> True, ``"1.5"``
-> 1.5, JSON lists), so a link and a scenario file accept the same values. `tab` and `lecture`
are checked too. Keys with a prefix that is not a dashboard's are not the page's and are left alone.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from panel.util import parse_query

from ..models.scenario import FORMAT, TABS, VERSION, ScenarioError, parse


@dataclass(frozen=True)
class LinkProblem:
    """One ignored field of a link: its URL key, the value given (as text) and what is allowed."""

    key: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"Ignored {self.key}={self.value}: {self.reason}"


def url_keys(prefix: str, cls: type) -> dict[str, str]:
    """URL key -> setting name of explorer class `cls` under `prefix`: the page's URL keeps setting
    ``"xb.adc_bits"`` of the Crossbar tab (prefix ``xb``) as ``xb.adc_bits`` and the Programming
    tab's ``"programming.tolerance"`` as ``prog.tolerance`` (the held object's name is dropped, as
    `LiveDashboard.synced` groups the settings by the object holding them)."""
    return {f"{prefix}.{name.rpartition('.')[2]}": name for name in cls.scenario_settings()}


def _reason(exc: ScenarioError) -> str:
    text = str(exc)
    return text.removeprefix(f"{exc.field}: ") if exc.field else text


def _shown(raw: str) -> str:
    return raw if len(raw) <= 40 else raw[:37] + "..."


def check_query(
    search: str,
    tabs: Mapping[str, type] = TABS,
    n_tabs: int | None = None,
) -> tuple[dict[str, Any], list[LinkProblem]]:
    """The valid part of a page's query string `search` (``"?tab=3&xb.adc_bits=999"``) and the
    problems of the rest.

    `tabs` maps each URL prefix to its explorer class (the app's prefixes are the scenario's tab
    names); `n_tabs` is the number of tabs of the page (``tab`` must be 0 to n_tabs - 1; None: any
    integer >= 0). Returns ``(valid, problems)``: ``valid`` maps each accepted key (``"tab"``,
    ``"lecture"``, ``"<prefix>.<name>"``) to its value as Panel converts it, ``problems`` lists a
    `LinkProblem` per ignored key, in the query's order. Keys of other prefixes are in neither."""
    raw = dict(urllib.parse.parse_qsl(search.removeprefix("?"), keep_blank_values=True))
    parsed = parse_query("?" + urllib.parse.urlencode(raw))
    names = {prefix: url_keys(prefix, cls) for prefix, cls in tabs.items()}
    valid: dict[str, Any] = {}
    problems: list[LinkProblem] = []
    by_tab: dict[str, dict[str, str]] = {}  # prefix -> {setting name: key} of the keys accepted
    for key, text in raw.items():
        shown = _shown(text)
        if key not in parsed:  # Panel could not read it (a malformed list)
            problems.append(LinkProblem(key, shown, "not a value this page can read"))
            continue
        value = parsed[key]
        if key == "tab":
            most = "" if n_tabs is None else f" to {n_tabs - 1}"
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < (n_tabs or 2**31):
                problems.append(LinkProblem(key, shown, f"allowed: a tab number, 0{most}"))
            else:
                valid[key] = value
            continue
        if key == "lecture":
            if isinstance(value, bool) or value in (0, 1):
                valid[key] = bool(value) if not isinstance(value, bool) else value
            else:
                problems.append(LinkProblem(key, shown, "allowed: true or false"))
            continue
        prefix, dot, _ = key.partition(".")
        if not dot or prefix not in tabs:
            continue
        if key not in names[prefix]:
            allowed = ", ".join(names[prefix])
            problems.append(LinkProblem(key, shown, f"no such setting on this tab; allowed: {allowed}"))
            continue
        name = names[prefix][key]
        try:
            scenario = _one_tab(prefix, {name: value})
        except ScenarioError as exc:
            problems.append(LinkProblem(key, shown, _reason(exc)))
            continue
        valid[key] = scenario.tabs[prefix][name]
        by_tab.setdefault(prefix, {})[name] = key
    # settings checked together (the Encoding tab's slices within its weight bits)
    for prefix, accepted in by_tab.items():
        values = {name: valid[key] for name, key in accepted.items()}
        try:
            _one_tab(prefix, values)
        except ScenarioError as exc:
            name = exc.field.removeprefix(f"tabs.{prefix}.")
            key = accepted.get(name)
            if key is None:  # not one setting: refuse the tab's link values rather than guess
                for key in accepted.values():
                    problems.append(LinkProblem(key, _shown(raw[key]), _reason(exc)))
                    del valid[key]
            else:
                problems.append(LinkProblem(key, _shown(raw[key]), _reason(exc)))
                del valid[key]
    order = list(raw)
    problems.sort(key=lambda p: order.index(p.key))
    return valid, problems


def _one_tab(prefix: str, values: dict[str, Any]):
    """A scenario of one tab's `values`, checked by `scenario.parse` (raises ScenarioError).
    NaN and infinities become JSON tokens that `parse` refuses by name."""
    text = json.dumps({"format": FORMAT, "version": VERSION, "tabs": {prefix: values}}, allow_nan=True)
    return parse(text)


def valid_search(search: str, problems: list[LinkProblem]) -> str:
    """`search` without the keys of `problems`, every other key and value kept as given."""
    bad = {p.key for p in problems}
    kept = [(k, v) for k, v in urllib.parse.parse_qsl(search.removeprefix("?"), keep_blank_values=True) if k not in bad]
    return "?" + urllib.parse.urlencode(kept) if kept else ""


def clean_location(location, tabs: Mapping[str, type] = TABS, n_tabs: int | None = None) -> list[LinkProblem]:
    """Check `location`'s query (a `pn.state.location`) and drop its invalid keys, before the page
    syncs its settings with it (so the page opens with the valid part); the problems, for the
    page to show."""
    _, problems = check_query(location.search or "", tabs, n_tabs)
    if problems:
        given = dict(urllib.parse.parse_qsl(location.search.removeprefix("?"), keep_blank_values=True))
        ignored = {p.key: given[p.key] for p in problems}
        location.search = valid_search(location.search, problems)
        import panel as pn

        doc = pn.state.curdoc
        if doc is not None and doc.session_context is not None:  # a browser session
            # The browser's Location sends the page's own address when it starts, which puts the
            # ignored keys back (Panel refuses their values again, silently): drop them then, once,
            # on the next tick (a value set while Panel applies the browser's is not sent back).

            def drop_again(event):
                now = dict(urllib.parse.parse_qsl((event.new or "").removeprefix("?"), keep_blank_values=True))
                if any(now.get(key) == value for key, value in ignored.items()):
                    location.param.unwatch(watcher)

                    def clean():
                        location.search = valid_search(location.search, problems)

                    doc.add_next_tick_callback(clean)

            watcher = location.param.watch(drop_again, "search")
    return problems


def problems_banner(problems: list[LinkProblem]):
    """A dismissible banner listing each ignored field of the link, or None when there is none."""
    if not problems:
        return None
    import panel as pn

    lines = "\n".join(f"- {_markdown_text(str(p))}" for p in problems)
    text = pn.pane.Alert(
        f"**This link had values the page cannot use; it opened without them.**\n\n{lines}",
        alert_type="warning",
        sizing_mode="stretch_width",
        margin=(5, 10),
        css_classes=["link-problems"],
    )
    close = pn.widgets.Button(label="Dismiss", width=90, margin=(15, 10), css_classes=["link-problems-dismiss"])
    banner = pn.Row(text, close, sizing_mode="stretch_width", margin=0)

    def dismiss(event):
        banner.visible = False

    close.on_click(dismiss)
    return banner


def _markdown_text(text: str) -> str:
    """`text` shown literally in Markdown (a value from a link is not markup)."""
    for ch in "\\`*_{}[]<>()#+!|$":
        text = text.replace(ch, "\\" + ch)
    return text


__all__ = ["LinkProblem", "check_query", "clean_location", "problems_banner", "url_keys", "valid_search"]
