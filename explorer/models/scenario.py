"""Scenarios as files: the dashboards' settings written to JSON and read back, validated before
anything changes (issue 24, item 2). Plain Python and Param, no Panel: the app's download and upload
buttons call this module, and a notebook can too:

    explorers = {"dev": DevicesExplorer(technology="RRAM"), "xb": CrossbarExplorer()}
    text = to_json(explorers)                  # every setting of every tab
    scenario = parse(text)                     # ScenarioError, naming the field, if anything is wrong
    apply(scenario, {"dev": DevicesExplorer(), "xb": CrossbarExplorer()})  # the same settings

The file (version 1)::

    {"format": "analog-explorer-scenario", "version": 1,
     "name": "...", "description": "...", "source": "...", "tab": "dev",
     "tabs": {"dev": {"technology": "PCM", "log10_time": 3.556, ...},
              "xb": {"size": 64, "xb.adc_bits": 6, "xb.ir_drop": true, ...}}}

A file may also hold ``"pins"``, tab name -> settings like ``"tabs"`` and checked alike: the
baselines A pinned for comparison when it was written (`explorer.views.pins`). `apply` leaves them
alone; the app computes each pin's results from its settings and pins them (`capture` writes them
when given ``pins=``).

A tab is named by the URL prefix of its dashboard (`TABS`); its settings by the names of the
explorer's `scenario_settings()`, dotted for a setting of an object the explorer holds
(``"xb.adc_bits"``: the crossbar model's ADC, ``"programming.tolerance"``: the method's knob) --
the same names the page's URL keeps after the prefix. The optional ``"tab"`` names the tab to show
when the scenario is opened (the header's scenario menu and an upload switch to it). A scenario may
name only some tabs and only some settings: `apply` sets those and leaves every other setting at its
current value (apply it to fresh explorers to start from the defaults). A download (`capture`)
writes every setting of the tabs it covers, so applying it restores them exactly, and the same seed
gives the same numbers.

Only JSON is read: never pickle, never code. `parse` refuses, with a `ScenarioError` naming the
first bad field (a dotted path such as ``"tabs.xb.adc_bits"``) and what is allowed: a file larger
than `MAX_BYTES`, bytes that are not UTF-8, malformed JSON (with line and column), a wrong format
name or version (a newer one says so), unknown tabs, settings and top-level keys, duplicate keys,
wrong types (a bool is not an integer, a float not an integer), values outside a parameter's
bounds or choices (a technology or method this version lacks is named), NaN and infinities
(JSON has neither; Python's ``NaN``/``Infinity`` tokens are refused), nesting deeper than
`MAX_DEPTH` and containers longer than `MAX_ITEMS`. The limits are this module's choices, sized
well above what a valid scenario needs.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import param

from .dashboards import (
    CrossbarExplorer,
    DevicesExplorer,
    EncodingExplorer,
    ProgrammingExplorer,
    ReliabilityExplorer,
    TrainingExplorer,
)
from .dashboards.encoding import MAX_SWEEP_SLICES, MAX_WEIGHT_BITS

FORMAT = "analog-explorer-scenario"
"""The value of a scenario file's ``"format"`` key."""
VERSION = 1
"""The schema version this module writes and the newest it reads."""
TABS = MappingProxyType(
    {
        "dev": DevicesExplorer,
        "enc": EncodingExplorer,
        "xb": CrossbarExplorer,
        "prog": ProgrammingExplorer,
        "rel": ReliabilityExplorer,
        "train": TrainingExplorer,
    }
)
"""Tab name (the URL prefix of its dashboard in explorer/app.py) -> its explorer class."""
TOP_KEYS = ("format", "version", "name", "description", "source", "tab", "tabs", "pins")
"""The keys a scenario file may have; format, version and tabs are required."""
SECTIONS = ("tabs", "pins")
"""The keys holding tab name -> settings: the settings to apply, and the pinned baselines (A) to
compare with (optional; `explorer.views.pins`), checked alike."""
TEXT_KEYS = ("name", "description", "source")
"""The optional text of a scenario: its title, a paragraph on what it shows, its source."""

MAX_BYTES = 256 * 1024
"""Largest scenario file read (a download of every tab is a few kB)."""
MAX_DEPTH = 4
"""Deepest nesting read: the file, ``tabs``, a tab, a list setting (the Training tab's algorithms)."""
MAX_ITEMS = 256
"""Most entries of any JSON object or array in a scenario file."""
MAX_TEXT = 20_000
"""Longest string in a scenario file (characters)."""


class ScenarioError(ValueError):
    """A scenario that cannot be read or applied: `field` is the dotted path of the first bad field
    (``"tabs.xb.xb.adc_bits"``; ``""`` for the file as a whole), the message names it and what is allowed."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


@dataclass(frozen=True)
class Scenario:
    """A parsed, validated scenario: tab name -> {setting name -> value}, the values of the
    parameters' own types (`parse`), read-only (mappings as `MappingProxyType`, lists as tuples)."""

    tabs: Mapping[str, Mapping[str, Any]]
    name: str = ""
    description: str = ""
    source: str = ""
    pins: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))
    version: int = VERSION
    format: str = field(default=FORMAT, repr=False)
    tab: str = ""
    """The tab to show when the scenario is opened (a `TABS` name), or "" to stay where the page is."""

    def to_dict(self) -> dict[str, Any]:
        """The scenario as the JSON object of its file."""
        return {
            "format": FORMAT,
            "version": self.version,
            "name": self.name,
            "description": self.description,
            "source": self.source,
            **({"tab": self.tab} if self.tab else {}),
            "tabs": {tab: {k: _plain(v) for k, v in values.items()} for tab, values in self.tabs.items()},
            **(
                {"pins": {tab: {k: _plain(v) for k, v in values.items()} for tab, values in self.pins.items()}}
                if self.pins
                else {}
            ),
        }


# ------------------------------------------------------------------ settings of an explorer


def tab_of(explorer: param.Parameterized) -> str:
    """The tab name (`TABS` prefix) of `explorer`'s class: its own class's, else the first class it
    derives from. TypeError, naming the classes allowed, for any other object."""
    for prefix, cls in TABS.items():
        if type(explorer) is cls:
            return prefix
    for prefix, cls in TABS.items():
        if isinstance(explorer, cls):
            return prefix
    raise TypeError(
        f"explorer: a {type(explorer).__name__} is no tab's explorer; allowed: "
        + ", ".join(cls.__name__ for cls in TABS.values())
    )


def owner_class(cls: type, name: str) -> tuple[type, str]:
    """``(Parameterized class, parameter name)`` of setting `name` of explorer class `cls`: a plain
    name is the explorer's own, ``"xb.adc_bits"`` the class of the object its `xb` parameter holds."""
    prefix, _, attr = name.rpartition(".")
    owner = cls
    for part in prefix.split(".") if prefix else ():
        owner = owner.param[part].class_
    return owner, attr


def _owner(explorer: param.Parameterized, name: str) -> tuple[param.Parameterized, str]:
    prefix, _, attr = name.rpartition(".")
    owner = explorer
    for part in prefix.split(".") if prefix else ():
        owner = getattr(owner, part)
    return owner, attr


def settings_by_owner(explorer: param.Parameterized) -> list[tuple[param.Parameterized, list[str]]]:
    """The explorer's `scenario_settings()` grouped by the object that holds them, in order of
    first appearance: ``[(explorer, own names), (explorer.xb, read-out names), ...]`` (what the page's
    URL keeps: `LiveDashboard.synced`)."""
    groups: dict[int, tuple[param.Parameterized, list[str]]] = {}
    for name in type(explorer).scenario_settings():
        owner, attr = _owner(explorer, name)
        groups.setdefault(id(owner), (owner, []))[1].append(attr)
    return list(groups.values())


def _plain(value: Any) -> Any:
    """A setting's value as JSON writes it (NumPy scalars as Python numbers, tuples as lists)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# ------------------------------------------------------------------ writing


def capture(
    explorers: Mapping[str, param.Parameterized],
    tabs: Iterable[str] | None = None,
    *,
    pins: Mapping[str, Mapping[str, Any]] | None = None,
    tab: str = "",
    **text: str,
) -> dict:
    """The scenario object of the explorers' current settings: every setting of each tab in `tabs`
    (default: every explorer given), so that `apply` restores them exactly. `tab` (one of `tabs`)
    is written as the tab to show on opening. `pins` (tab name -> settings, as this function writes
    a tab's) become the file's ``"pins"``: the baselines pinned for comparison, checked as `parse`
    checks them. `text` may give ``name``, ``description`` and ``source``."""
    unknown = sorted(set(text) - set(TEXT_KEYS))
    if unknown:
        raise ValueError(f"capture: unknown text field(s) {unknown}; allowed: {list(TEXT_KEYS)}")
    chosen = list(explorers) if tabs is None else list(tabs)
    shown = tab
    if shown and shown not in chosen:
        raise ValueError(f"tab: {shown!r} is not among the tabs written; allowed: {chosen}")
    out_tabs = {}
    for tab in chosen:
        if tab not in TABS:
            raise ValueError(f"tabs: unknown tab {tab!r}; allowed: {list(TABS)}")
        if tab not in explorers:
            raise ValueError(f"tabs: no explorer given for tab {tab!r}; given: {sorted(explorers)}")
        ex = explorers[tab]
        out_tabs[tab] = {}
        for name in type(ex).scenario_settings():
            owner, attr = _owner(ex, name)
            out_tabs[tab][name] = _plain(getattr(owner, attr))
    out = {
        "format": FORMAT,
        "version": VERSION,
        **{k: str(text.get(k, "")) for k in TEXT_KEYS},
        **({"tab": shown} if shown else {}),
        "tabs": out_tabs,
    }
    if pins:
        out["pins"] = {}
        for tab, values in pins.items():
            if tab not in TABS:
                raise ValueError(f"pins: unknown tab {tab!r}; allowed: {list(TABS)}")
            out["pins"][tab] = {
                k: _plain(v) for k, v in _check_tab(tab, {k: _plain(v) for k, v in values.items()}, "pins").items()
            }
    return out


def to_json(
    explorers: Mapping[str, param.Parameterized],
    tabs: Iterable[str] | None = None,
    *,
    pins: Mapping[str, Mapping[str, Any]] | None = None,
    tab: str = "",
    **text: str,
) -> str:
    """`capture` as JSON text (indented, UTF-8 safe; floats written so they read back bit for bit)."""
    out = capture(explorers, tabs, pins=pins, tab=tab, **text)
    return json.dumps(out, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# ------------------------------------------------------------------ reading


class _Constant:
    """A JSON ``NaN``/``Infinity``/``-Infinity`` token, kept so the walk can name its field."""

    def __init__(self, token: str) -> None:
        self.token = token


def _refuse_duplicates(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            out.setdefault(_DUPLICATE, []).append(k)
        out[k] = v
    return out


_DUPLICATE = object()
"""Key under which `_refuse_duplicates` notes repeated keys (never a JSON key: not a string)."""

_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]')


def _deep_path(text: str) -> str:
    """The dotted path of the first container nested deeper than `MAX_DEPTH` (for a file too deep
    for the JSON parser itself)."""
    stack: list[list[Any]] = []  # [kind, key or index]
    last_string = None
    for m in _TOKENS.finditer(text):
        tok = m.group()
        if tok in "{[":
            stack.append([tok, None if tok == "{" else 0])
            if len(stack) > MAX_DEPTH:
                return _path(stack[:-1])
        elif tok in "}]":
            if stack:
                stack.pop()
        elif tok == ",":
            if stack and stack[-1][0] == "[":
                stack[-1][1] += 1
        elif tok == ":":
            if stack and last_string is not None:
                stack[-1][1] = last_string
        else:
            try:
                last_string = json.loads(tok)
            except ValueError:
                last_string = tok
            continue
        last_string = None
    return ""


def _path(stack) -> str:
    parts = []
    for kind, key in stack:
        if key is None:
            break
        parts.append(f"[{key}]" if kind == "[" else f".{key}")
    return "".join(parts).lstrip(".")


def _join(path: str, key: Any) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else str(key))


def _check_structure(value: Any, path: str = "", depth: int = 1) -> None:
    """Refuse NaN/infinity, nesting deeper than MAX_DEPTH, containers longer than MAX_ITEMS,
    strings longer than MAX_TEXT and duplicate keys, naming the first field that has one."""
    if isinstance(value, _Constant):
        raise ScenarioError(path, f"{value.token} is not a number JSON allows; give a finite number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ScenarioError(path, f"{value} is out of the range of a number; give a finite number")
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise ScenarioError(path, f"a string of {len(value):,} characters; at most {MAX_TEXT:,} allowed")
    if isinstance(value, (dict, list)):
        if depth > MAX_DEPTH:
            raise ScenarioError(path, f"nested {depth} levels deep; at most {MAX_DEPTH} allowed")
        if len(value) > MAX_ITEMS:
            raise ScenarioError(path, f"has {len(value):,} entries; at most {MAX_ITEMS} allowed")
        if isinstance(value, dict):
            if _DUPLICATE in value:
                raise ScenarioError(_join(path, value[_DUPLICATE][0]), "appears twice; give each key once")
            items = value.items()
        else:
            items = enumerate(value)
        for k, v in items:
            _check_structure(v, _join(path, k), depth + 1)


def _type_name(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _choice(value: Any, objects: list) -> Any:
    """The entry of `objects` equal to `value` and of its kind (True is not 1, 8 is not "8"), or a
    sentinel."""
    for o in objects:
        if isinstance(o, bool) != isinstance(value, bool) or isinstance(o, str) != isinstance(value, str):
            continue
        if o == value:
            return o
    return _NO_CHOICE


_NO_CHOICE = object()


def _allowed(objects) -> str:
    return ", ".join(json.dumps(_plain(o)) for o in objects)


def check_value(p: param.Parameter, value: Any, path: str) -> Any:
    """`value` (as JSON gave it) checked against parameter `p`: its type, its hard bounds or its
    choices; returns the value to set (a Number as a float, a choice as the parameter's own object).
    Raises ScenarioError naming `path` and what is allowed."""
    if isinstance(p, param.Boolean):
        if not isinstance(value, bool):
            raise ScenarioError(path, f"must be true or false, got {_type_name(value)} {json.dumps(value)}")
        return value
    if isinstance(p, param.ListSelector):
        if not isinstance(value, list):
            raise ScenarioError(
                path, f"must be a list of choices from [{_allowed(p.objects)}], got {_type_name(value)}"
            )
        out = []
        for i, v in enumerate(value):
            o = _choice(v, list(p.objects))
            if o is _NO_CHOICE:
                raise ScenarioError(
                    f"{path}[{i}]", f"this version has no {json.dumps(v)}; allowed: {_allowed(p.objects)}"
                )
            if o in out:
                raise ScenarioError(f"{path}[{i}]", f"{json.dumps(v)} appears twice; give each choice once")
            out.append(o)
        return out
    if isinstance(p, param.Selector):
        o = _choice(value, list(p.objects))
        if o is _NO_CHOICE:
            raise ScenarioError(path, f"this version has no {json.dumps(value)}; allowed: {_allowed(p.objects)}")
        return o
    if isinstance(p, (param.Integer, param.Number)):
        integer = isinstance(p, param.Integer)
        ok = isinstance(value, int) and not isinstance(value, bool)
        if not integer:
            ok = ok or isinstance(value, float)
        if not ok:
            kind = "an integer" if integer else "a number"
            raise ScenarioError(path, f"must be {kind}, got {_type_name(value)} {json.dumps(value)[:40]}")
        value = int(value) if integer else float(value)
        lo, hi = p.bounds if p.bounds is not None else (None, None)
        inc_lo, inc_hi = getattr(p, "inclusive_bounds", (True, True))
        below = lo is not None and (value < lo if inc_lo else value <= lo)
        above = hi is not None and (value > hi if inc_hi else value >= hi)
        if below or above:
            low = "-inf" if lo is None else f"{lo:g}"
            high = "inf" if hi is None else f"{hi:g}"
            brackets = ("[" if inc_lo else "(", "]" if inc_hi else ")")
            raise ScenarioError(path, f"{value:g} is out of range; allowed: {brackets[0]}{low}, {high}{brackets[1]}")
        return value
    raise ScenarioError(path, f"a {type(p).__name__} setting cannot be read from a scenario file")


EXTRA_CHOICES = MappingProxyType({("prog", "programming.method"): ("one-shot", "verify", "gdp")})
"""Settings whose tab allows fewer choices than the parameter: the Programming tab runs the methods
that program pulse by pulse (`ProgrammingExplorer` refuses the statistical one)."""


def _check_encoding_slices(values: Mapping[str, Any], section: str = "tabs") -> None:
    """The Encoding tab's slices x bits per slice stay within its weight bits (`EncodingExplorer.max_slices`),
    when a scenario gives both (given one, the explorer fits the slices as its control does)."""
    if "n_slices" in values and "bits_per_slice" in values:
        bits = values["bits_per_slice"]
        most = max(1, min(MAX_SWEEP_SLICES, MAX_WEIGHT_BITS // bits))
        if values["n_slices"] > most:
            raise ScenarioError(
                f"{section}.enc.n_slices",
                f"{values['n_slices']} slices of {bits} bits exceed {MAX_WEIGHT_BITS} weight bits; "
                f"allowed: 1 to {most} at {bits} bits per slice",
            )


CROSS_CHECKS = MappingProxyType({"enc": _check_encoding_slices})
"""Checks of a tab's settings together, where one setting's range depends on another."""


def _check_tab(tab: str, values: Any, section: str = "tabs") -> dict[str, Any]:
    cls = TABS[tab]
    path = f"{section}.{tab}"
    if not isinstance(values, dict):
        raise ScenarioError(path, f"must be an object of settings, got {_type_name(values)}")
    allowed = cls.scenario_settings()
    out = {}
    for name, value in values.items():
        if name not in allowed:
            raise ScenarioError(f"{path}.{name}", f"no such setting on this tab; allowed: {', '.join(allowed)}")
        owner, attr = owner_class(cls, name)
        v = check_value(owner.param[attr], value, f"{path}.{name}")
        choices = EXTRA_CHOICES.get((tab, name))
        if choices is not None and v not in choices:
            raise ScenarioError(f"{path}.{name}", f"this tab has no {json.dumps(v)}; allowed: {_allowed(choices)}")
        out[name] = v
    if tab in CROSS_CHECKS:
        CROSS_CHECKS[tab](out, section)
    # keep the tab's own order (scenario_settings): what an object depends on comes first
    return {n: out[n] for n in allowed if n in out}


def _check_section(obj: Mapping[str, Any], section: str) -> Mapping[str, Mapping[str, Any]]:
    """The checked, read-only tab name -> settings of `obj[section]` ("tabs" or "pins"; absent
    "pins": none)."""
    tabs = obj.get(section, {})
    if not isinstance(tabs, dict):
        raise ScenarioError(section, f"must be an object of tab name -> settings, got {_type_name(tabs)}")
    checked = {}
    for tab, values in tabs.items():
        if tab not in TABS:
            raise ScenarioError(f"{section}.{tab}", f"no such tab; allowed: {', '.join(TABS)}")
        values = _check_tab(tab, values, section)
        # read-only all the way down: a list setting is kept as a tuple (`apply` sets a list)
        checked[tab] = MappingProxyType({k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})
    return MappingProxyType(checked)


def parse(data: str | bytes, *, max_bytes: int = MAX_BYTES) -> Scenario:
    """A `Scenario` from the text or bytes of a scenario file, checked completely before anything
    uses it; raises `ScenarioError` (its `field` the first bad field) otherwise (module docstring)."""
    if isinstance(data, str):
        size = len(data.encode("utf-8", errors="surrogatepass"))
        text = data
    elif isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
        size = len(data)
        text = None
    else:
        raise ScenarioError("", f"a scenario is text or bytes, got {type(data).__name__}")
    if size > max_bytes:
        raise ScenarioError("", f"the file has {size:,} bytes; at most {max_bytes:,} allowed")
    if text is None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ScenarioError(
                "", f"not UTF-8 JSON (byte {exc.start} is not UTF-8); a scenario file is JSON text"
            ) from None
    text = text.removeprefix("\ufeff")
    try:
        obj = json.loads(text, parse_constant=_Constant, object_pairs_hook=_refuse_duplicates)
    except RecursionError:
        raise ScenarioError(_deep_path(text), f"nested too deeply; at most {MAX_DEPTH} levels allowed") from None
    except json.JSONDecodeError as exc:
        raise ScenarioError("", f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise ScenarioError("", f"not valid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise ScenarioError("", f"a scenario file is a JSON object, got {_type_name(obj)}")
    _check_structure(obj)
    if obj.get("format") != FORMAT:
        got = json.dumps(obj["format"])[:60] if "format" in obj else "nothing"
        raise ScenarioError("format", f"must be {json.dumps(FORMAT)}, got {got}")
    version = obj.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ScenarioError(
            "version", f"must be an integer (this version reads up to {VERSION}), got {_type_name(version)}"
        )
    if version > VERSION:
        raise ScenarioError("version", f"written by a newer version ({version}); this version reads up to {VERSION}")
    if version < 1:
        raise ScenarioError("version", f"must be 1 to {VERSION}, got {version}")
    for key in obj:
        if key not in TOP_KEYS:
            raise ScenarioError(key, f"unknown key; allowed: {', '.join(TOP_KEYS)}")
    for key in TEXT_KEYS:
        if key in obj and not isinstance(obj[key], str):
            raise ScenarioError(key, f"must be a string, got {_type_name(obj[key])}")
    if "tabs" not in obj:
        raise ScenarioError("tabs", "missing; give an object of tab name -> settings")
    shown = obj.get("tab", "")
    if not isinstance(shown, str):
        raise ScenarioError("tab", f"must be a string naming a tab ({', '.join(TABS)}), got {_type_name(shown)}")
    if shown and shown not in TABS:
        raise ScenarioError("tab", f"no such tab {json.dumps(shown)[:40]}; allowed: {', '.join(TABS)}")
    checked = {section: _check_section(obj, section) for section in SECTIONS}
    return Scenario(
        tabs=checked["tabs"],
        pins=checked["pins"],
        name=obj.get("name", ""),
        description=obj.get("description", ""),
        source=obj.get("source", ""),
        version=version,
        tab=shown,
    )


def load(path: str | os.PathLike[str]) -> Scenario:
    """`parse` of a scenario file on disk (read as bytes, at most `MAX_BYTES`)."""
    with open(path, "rb") as f:
        return parse(f.read(MAX_BYTES + 1))


# ------------------------------------------------------------------ applying


def apply(scenario: Scenario, explorers: Mapping[str, param.Parameterized]) -> None:
    """Set the scenario's settings on `explorers` (tab name -> explorer), all tabs at once.

    Checked first: every tab the scenario names needs an explorer of its class. Then, per tab, the
    explorer's own settings in one ``param.update`` (one batch: its watchers see the technology and
    the technology's knobs together), then those of the objects it holds (the crossbar model's
    read-out, the method's knobs), after the explorer's own settings that they may follow. Settings
    the scenario does not name keep their current values. If setting a value still fails, every
    setting already changed is put back and ScenarioError names the tab (nothing half-applied; a
    Programming or Training run that a change ended stays ended)."""
    if not isinstance(scenario, Scenario):
        raise TypeError(f"scenario must be a Scenario (from parse), got {type(scenario).__name__}")
    for tab in scenario.tabs:
        if tab not in explorers:
            raise ScenarioError(f"tabs.{tab}", f"no explorer given for this tab; given: {', '.join(explorers)}")
        if not isinstance(explorers[tab], TABS[tab]):
            raise ScenarioError(f"tabs.{tab}", f"needs a {TABS[tab].__name__}, got {type(explorers[tab]).__name__}")
    plan = []  # (tab, owner, {attr: value}) in order
    for tab, values in scenario.tabs.items():
        groups: dict[int, tuple[param.Parameterized, dict[str, Any]]] = {}
        for name, value in values.items():
            owner, attr = _owner(explorers[tab], name)
            groups.setdefault(id(owner), (owner, {}))[1][attr] = (
                list(value) if isinstance(value, (list, tuple)) else value
            )
        plan.extend((tab, owner, changes) for owner, changes in groups.values())
    before = [(owner, {a: getattr(owner, a) for a in changes}) for _, owner, changes in plan]
    done = 0
    try:
        for _, owner, changes in plan:
            owner.param.update(**changes)
            done += 1
    except Exception as exc:
        for owner, values in reversed(before[: done + 1]):
            owner.param.update(**values)
        tab = plan[done][0]
        raise ScenarioError(f"tabs.{tab}", f"could not be applied ({exc}); nothing changed") from exc


__all__ = [
    "FORMAT",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_ITEMS",
    "SECTIONS",
    "TABS",
    "VERSION",
    "Scenario",
    "ScenarioError",
    "apply",
    "capture",
    "check_value",
    "tab_of",
    "load",
    "owner_class",
    "parse",
    "settings_by_owner",
    "to_json",
]
