"""Design-space sweeps (issue 27): a grid of scenarios, each point a Monte-Carlo over chips, and the
metrics a design review compares. Plain Python, no Dask and no Panel: this module defines a sweep,
checks it, lists its points, seeds them and computes one point; `explorer.sweeps_dask` runs the
points on a Dask cluster, and `compute_point` in a loop is the same sweep run serially.

    sweep = parse(open("sweep.json").read())        # SweepError, naming the field, if anything is wrong
    points = sweep.points()                         # every combination of the grid, in grid order
    result = compute_point(sweep, points[0])        # its metrics: value and 95 % half-width over chips

The file (JSON, or YAML read with the safe loader; version 1)::

    {"format": "analog-explorer-sweep", "version": 1, "name": "...", "description": "...",
     "seed": 0, "chips": 10,
     "metrics": ["rel.accuracy", "rel.float_accuracy"], "times": ["1 h", "1 y"],
     "base": {"rel": {"compensation": "global"}},
     "grid": {"rel.technology": ["PCM", "RRAM"], "rel.n_slices": [1, 2]},
     "points": [{"rel.technology": "Flash", "rel.n_slices": 1}]}

* ``base``: settings every point shares, tab name -> settings, exactly as a scenario file's
  ``"tabs"`` (`explorer.models.scenario`).
* ``grid``: ``"tab.setting"`` -> the list of its values; the points are every combination (the
  first axis varies slowest). ``points``: further points, each ``"tab.setting"`` -> value, added
  after the grid's. A sweep needs at least one point and at most `MAX_POINTS`.
* ``metrics``: names from `METRICS` (each computed by one model function, named there). A setting
  may only be swept or given in ``base`` for a tab some metric is computed on.
* ``chips``: the Monte Carlo of a point: the Reliability metrics program that many chips (the tab's
  own ``chips`` setting, 2 to 50); the other tabs' metrics repeat the tab's computation with that
  many seeds (`chip_seed`) and report the mean. ``seed``: the sweep's seed; each point's own seed is
  `point_seed` of it and the point's settings, so a point's numbers do not depend on the other
  points, their order or the machine that computes them. The tabs' ``seed`` and the Reliability
  tab's ``chips`` are therefore not settings of a sweep.
* ``times``: when the time-dependent metrics (``rel.accuracy``) are read, in seconds or as
  ``"<number> <unit>"`` with unit s, min, h, d or y, from 1 s to 10 years.

Every value is checked as a scenario file's is (the same `scenario.check_value`, choices a tab
narrows, and each point's combination by `scenario.parse` itself: the Encoding tab's slices
within its weight bits); `parse` refuses, with a `SweepError` naming the field (``grid.rel.n_slices[2]``)
and what is allowed: unknown keys, tabs, settings and metrics, values out of range, an empty grid,
a grid over more than `MAX_POINTS` points (counted before any point is built), duplicate points,
a setting given twice, and the structural limits of scenario files (size, depth, NaN).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from kernels.rng import derive_seed

from .dashboards.base import MAX_LOG_TIME
from .devices import SECONDS_PER_YEAR
from .scenario import (
    EXTRA_CHOICES,
    TABS,
    ScenarioError,
    _check_structure,
    _Constant,
    _refuse_duplicates,
    _type_name,
    check_value,
    owner_class,
)
from .scenario import FORMAT as SCENARIO_FORMAT
from .scenario import parse as parse_scenario

FORMAT = "analog-explorer-sweep"
"""The value of a sweep file's ``"format"`` key."""
VERSION = 1
"""The schema version this module writes and the newest it reads."""
TOP_KEYS = ("format", "version", "name", "description", "seed", "chips", "metrics", "times", "base", "grid", "points")
"""The keys a sweep file may have; format, version, metrics and a grid or points are required."""
MAX_BYTES = 256 * 1024
"""Largest sweep file read."""
MAX_POINTS = 4096
"""Most points of one sweep (grid and list together). A design review's grid is tens to a few
hundred points; the limit keeps a sweep's table, cache and task graph small, and refuses a grid of
a billion points before building any."""
MAX_CHIPS = 50
"""Most chips per point: the Reliability tab's own bound on its chips."""
MAX_TIMES = 16
"""Most read times of the time-dependent metrics."""
MAX_SEED = 2**31 - 1
"""Largest sweep seed, and the range of the points' seeds: the explorers' ``seed`` bound."""
DEFAULT_TIMES_S = (3600.0, SECONDS_PER_YEAR)
"""The read times when a sweep names none: one hour and one year."""
UNITS_S = MappingProxyType({"s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0, "y": SECONDS_PER_YEAR})
"""The units a time may be written in (a year is 365.25 days, as the models' `SECONDS_PER_YEAR`)."""
EXCLUDED = MappingProxyType(
    {
        "seed": "each point's seed is derived from the sweep's 'seed' (point_seed)",
        "rel.chips": "give 'chips'",
        "train.compared": "the train.* metrics are those of the run of 'train.algorithm' (sweep that)",
    }
)
"""Tab settings a sweep sets itself (a setting name, or ``tab.setting``) -> why they are refused."""


class SweepError(ValueError):
    """A sweep that cannot be read: `field` is the dotted path of the first bad field (``""`` for the
    file as a whole), the message names it and what is allowed."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


# ------------------------------------------------------------------ metrics


@dataclass(frozen=True)
class Metric:
    """One number a sweep collects per point: `name` (``"tab.metric"``), in `unit`, computed on
    the tab `tab` by the model function `how` names."""

    name: str
    tab: str
    unit: str
    how: str
    timed: bool = False
    """Read at each of the sweep's `times` (one row per time)."""


METRICS = MappingProxyType(
    {
        m.name: m
        for m in (
            Metric(
                "xb.mvm_error", "xb", "%", "CrossbarExplorer.outputs()['mvm_error']: mean |y - y_ideal| / |y_ideal|"
            ),
            Metric(
                "xb.adc_clipping", "xb", "%", "CrossbarExplorer.outputs()['adc_clip_fraction']: conversions clipped"
            ),
            Metric("enc.mvm_error", "enc", "%", "EncodingExplorer.key_figures() 'MVM error' (slicing_curves())"),
            Metric("enc.weight_error", "enc", "%", "EncodingExplorer.key_figures() 'Weight error' (slicing_curves())"),
            Metric("prog.mvm_error", "prog", "%", "ProgrammingExplorer run to its end: convergence() mvm_error"),
            Metric("prog.weight_error", "prog", "%", "ProgrammingExplorer run to its end: convergence() weight_error"),
            Metric("prog.pulses", "prog", "pulses", "ProgrammingExplorer run to its end: cumulative pulses"),
            Metric("prog.reads", "prog", "reads", "ProgrammingExplorer run to its end: single-device reads"),
            Metric("prog.chip_time", "prog", "µs", "ProgrammingExplorer run to its end: chip time"),
            Metric("prog.energy", "prog", "nJ", "ProgrammingExplorer run to its end: energy"),
            Metric("prog.iterations", "prog", "", "ProgrammingExplorer run to its end: iterations"),
            Metric(
                "rel.accuracy",
                "rel",
                "%",
                "ReliabilityExplorer.deployed() chips read at each time (deployment.evaluate), digits test set",
                timed=True,
            ),
            Metric("rel.float_accuracy", "rel", "%", "ReliabilityExplorer.network() in floating point, digits test"),
            Metric(
                "rel.reads_unipolar",
                "rel",
                "reads",
                "ReliabilityExplorer.reads_curves()['unipolar']['survives']: RRAM reads at read_voltage before a "
                "2-point accuracy loss (inf: none within 1e10)",
            ),
            Metric(
                "rel.reads_bipolar",
                "rel",
                "reads",
                "ReliabilityExplorer.reads_curves()['bipolar']['survives']: the same with bipolar reads",
            ),
            Metric(
                "rel.flash_reads",
                "rel",
                "reads",
                "ReliabilityExplorer.flash_reads()[cells_per_bitline]['survives']: NOR Flash inference reads "
                "before a 2-point accuracy loss (inf: none within 1e9)",
            ),
            Metric(
                "train.accuracy", "train", "%", "TrainingExplorer run of `algorithm` to its end: test accuracy (digits)"
            ),
            Metric("train.weight_error", "train", "%", "TrainingExplorer run of `algorithm` to its end: 5 x 5 task"),
            Metric("train.pulses", "train", "pulses", "TrainingExplorer run of `algorithm` to its end: update pulses"),
            Metric("train.chip_time", "train", "ms", "TrainingExplorer run of `algorithm` to its end: chip time"),
        )
    }
)
"""Every metric a sweep can collect, by name: the Crossbar tab's read-out errors, the Encoding tab's
slicing errors, a Programming run's cost to its end, the Reliability tab's accuracy at chosen
times and the reads before a read-disturb loss (the tab's read-disturb and Flash read-disturb
studies; +inf when the loss is not reached within the studies' largest counts, a lower bound the
table states), and the Training tab's run of its focused `algorithm` to the end of its epochs (the
test accuracy on the digits task, nan on the 5 x 5 task; the weight error the other way round)."""


# ------------------------------------------------------------------ the sweep


@dataclass(frozen=True)
class Sweep:
    """A parsed, validated sweep (`parse`): the settings as `scenario.check_value` returns them."""

    metrics: tuple[str, ...]
    base: Mapping[str, Mapping[str, Any]]
    """Tab name -> settings every point shares."""
    axes: tuple[tuple[str, tuple[Any, ...]], ...]
    """The grid: ``("tab.setting", values)`` in file order."""
    extra: tuple[Mapping[str, Any], ...] = ()
    """The listed points, ``"tab.setting"`` -> value each."""
    seed: int = 0
    chips: int = 10
    times_s: tuple[float, ...] = DEFAULT_TIMES_S
    name: str = ""
    description: str = ""
    version: int = VERSION
    format: str = field(default=FORMAT, repr=False)

    @property
    def tabs(self) -> tuple[str, ...]:
        """The tabs the metrics are computed on, in `TABS` order."""
        used = {METRICS[m].tab for m in self.metrics}
        return tuple(t for t in TABS if t in used)

    def size(self) -> int:
        """The number of points: the grid's combinations (none without axes) and the listed points."""
        grid = math.prod(len(v) for _, v in self.axes) if self.axes else 0
        return grid + len(self.extra)

    def points(self) -> list[dict[str, Any]]:
        """Every point, ``"tab.setting"`` -> value (the grid's axes, then a listed point's own
        settings), the grid's combinations first (the first axis varying slowest)."""
        out = []
        if self.axes:
            names = [n for n, _ in self.axes]
            out += [dict(zip(names, combo)) for combo in itertools.product(*(v for _, v in self.axes))]
        out += [dict(p) for p in self.extra]
        return out

    def tab_settings(self, point: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        """The settings of every metric tab at `point`: `base`'s, then the point's (tab name ->
        settings, in the tab's `scenario_settings` order)."""
        out = {tab: dict(self.base.get(tab, {})) for tab in self.tabs}
        for key, value in point.items():
            tab, _, name = key.partition(".")
            out[tab][name] = value
        return {tab: {n: v[n] for n in TABS[tab].scenario_settings() if n in v} for tab, v in out.items()}

    def __reduce__(self):
        """Pickled as plain dicts (a Dask task's argument; `MappingProxyType` does not pickle),
        rebuilt read-only without checking again (it was checked when parsed)."""
        plain = {f: getattr(self, f) for f in self.__dataclass_fields__}
        plain["base"] = {t: dict(v) for t, v in self.base.items()}
        plain["extra"] = tuple(dict(p) for p in self.extra)
        return (_rebuild_sweep, (plain,))

    def to_dict(self) -> dict[str, Any]:
        """The sweep as the JSON object of its file."""
        return {
            "format": FORMAT,
            "version": self.version,
            "name": self.name,
            "description": self.description,
            "seed": self.seed,
            "chips": self.chips,
            "metrics": list(self.metrics),
            "times": list(self.times_s),
            "base": {t: {k: _plain(v) for k, v in s.items()} for t, s in self.base.items()},
            "grid": {n: [_plain(v) for v in values] for n, values in self.axes},
            "points": [{k: _plain(v) for k, v in p.items()} for p in self.extra],
        }


def _rebuild_sweep(plain: dict[str, Any]) -> Sweep:
    plain = dict(plain)
    plain["base"] = MappingProxyType({t: MappingProxyType(v) for t, v in plain["base"].items()})
    plain["extra"] = tuple(MappingProxyType(p) for p in plain["extra"])
    return Sweep(**plain)


def _plain(value: Any) -> Any:
    """A setting's value as JSON writes it (tuples as lists, NumPy scalars as Python numbers)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def canonical(value: Any) -> str:
    """`value` as canonical JSON text: sorted keys, no spaces, floats written so they read back bit
    for bit. The text a point's seed and its cache key are computed from."""
    return json.dumps(_plain_deep(value), sort_keys=True, separators=(",", ":"), allow_nan=False, ensure_ascii=True)


def _plain_deep(value):
    if isinstance(value, Mapping):
        return {str(k): _plain_deep(v) for k, v in value.items()}
    return _plain(value)


def point_seed(sweep_seed: int, point: Mapping[str, Any]) -> int:
    """The seed of one point, in [0, `MAX_SEED`]: the first 8 bytes of the SHA-256 of the
    canonical JSON (`canonical`) of the sweep's seed and the point's settings (``"tab.setting"`` ->
    value, the swept ones), folded to 31 bits. A function of those alone: the same point gets the same
    seed in any sweep of that seed, whatever the other points, their order or the process (Python's
    own ``hash`` of a string changes from process to process; SHA-256 does not)."""
    if isinstance(sweep_seed, bool) or not isinstance(sweep_seed, int) or not 0 <= sweep_seed <= MAX_SEED:
        raise ValueError(f"sweep_seed must be an integer in [0, {MAX_SEED}], got {sweep_seed!r}")
    digest = hashlib.sha256(canonical({"seed": sweep_seed, "point": dict(point)}).encode("ascii")).digest()
    return int.from_bytes(digest[:8], "big") & MAX_SEED


def chip_seed(seed: int, chip: int) -> int:
    """The explorer seed of chip `chip` of a point of seed `seed`, for the tabs whose explorer
    computes one chip (`kernels.rng.derive_seed` of the "programming" purpose, index `chip`, folded
    to the explorers' 31-bit seed range)."""
    return derive_seed(seed, "programming", chip) & MAX_SEED


def point_key(sweep: Sweep, point: Mapping[str, Any]) -> str:
    """The cache key of a point's result: canonical JSON of everything it depends on, the tabs'
    settings (base and point), chips, sweep seed, metrics and times. An enlarged grid shares the
    keys of the points it had."""
    return canonical(
        {
            "point": dict(point),
            "tabs": sweep.tab_settings(point),
            "seed": sweep.seed,
            "chips": sweep.chips,
            "metrics": list(sweep.metrics),
            "times_s": list(sweep.times_s) if any(METRICS[m].timed for m in sweep.metrics) else [],
        }
    )


# ------------------------------------------------------------------ reading


def _setting(name: Any, path: str, tabs: Sequence[str]) -> tuple[str, str]:
    """``(tab, setting)`` of a ``"tab.setting"`` name, checked: a known tab that a metric uses, a
    setting of its scenario files, not one the sweep sets itself."""
    tab, dot, setting = name.partition(".")
    if not dot or tab not in TABS:
        raise SweepError(path, f"name a setting as 'tab.setting' with tab one of {', '.join(TABS)}; got {name!r}")
    if tab not in tabs:
        raise SweepError(path, f"no metric is computed on the {tab!r} tab; the metrics' tabs: {', '.join(tabs)}")
    _check_known(tab, setting, path)
    return tab, setting


def _check_known(tab: str, setting: str, path: str) -> None:
    allowed = [n for n in TABS[tab].scenario_settings() if n not in EXCLUDED and f"{tab}.{n}" not in EXCLUDED]
    for refused in (setting, f"{tab}.{setting}"):
        if refused in EXCLUDED:
            raise SweepError(path, f"not a setting of a sweep: {EXCLUDED[refused]}")
    if setting not in allowed:
        raise SweepError(path, f"no such setting on the {tab!r} tab; allowed: {', '.join(allowed)}")


def _value(tab: str, setting: str, value: Any, path: str) -> Any:
    """`value` checked as a scenario file's (`scenario.check_value`, a tab's narrower choices)."""
    owner, attr = owner_class(TABS[tab], setting)
    try:
        v = check_value(owner.param[attr], value, path)
    except ScenarioError as exc:
        raise SweepError(exc.field, str(exc)[len(exc.field) + 2 :]) from None
    choices = EXTRA_CHOICES.get((tab, setting))
    if choices is not None and v not in choices:
        raise SweepError(path, f"this tab has no {json.dumps(v)}; allowed: {', '.join(map(json.dumps, choices))}")
    return tuple(v) if isinstance(v, list) else v


def parse_time(value: Any, path: str) -> float:
    """A read time in seconds from a number of seconds or ``"<number> <unit>"`` (`UNITS_S`), within
    the dashboards' range, 1 s to 10 years; SweepError naming `path` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise SweepError(path, f"must be seconds or a string such as '1 h', got {_type_name(value)}")
    if isinstance(value, str):
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-z]+)\s*", value)
        if m is None or m.group(2) not in UNITS_S:
            raise SweepError(path, f"{value!r} is not '<number> <unit>' with unit one of {', '.join(UNITS_S)}")
        seconds = float(m.group(1)) * UNITS_S[m.group(2)]
    else:
        seconds = float(value)
    hi = 10.0**MAX_LOG_TIME
    if not 1.0 <= seconds <= hi * (1 + 1e-12):
        raise SweepError(path, f"{seconds:g} s is out of range; allowed: 1 s to 10 y ({hi:g} s)")
    return min(seconds, hi)


def _integer(obj, key, default, lo, hi):
    value = obj.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise SweepError(key, f"must be an integer from {lo} to {hi}, got {_type_name(value)}")
    if not lo <= value <= hi:
        raise SweepError(key, f"{value} is out of range; allowed: {lo} to {hi}")
    return value


class _UniqueKeyLoader:
    """A PyYAML safe loader refusing a key given twice in one mapping (built on first use)."""

    @staticmethod
    def load(text: str) -> Any:
        import yaml

        class Loader(yaml.SafeLoader):
            pass

        def mapping(loader, node, deep=False):
            seen = set()
            for key_node, _ in node.value:
                key = loader.construct_object(key_node, deep=deep)
                if key in seen:
                    raise SweepError(str(key), "appears twice; give each key once")
                seen.add(key)
            return yaml.SafeLoader.construct_mapping(loader, node, deep)

        Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
        try:
            return yaml.load(text, Loader=Loader)  # noqa: S506 -- a SafeLoader subclass
        except yaml.YAMLError as exc:
            raise SweepError("", f"not valid YAML: {exc}") from None


def _read(data: str | bytes) -> Any:
    """The JSON (or, if the text is not JSON, YAML) object of a sweep file's text."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
        if len(data) > MAX_BYTES:
            raise SweepError("", f"the file has {len(data):,} bytes; at most {MAX_BYTES:,} allowed")
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SweepError("", f"not UTF-8 text (byte {exc.start}); a sweep file is JSON or YAML") from None
    elif not isinstance(data, str):
        raise SweepError("", f"a sweep is text, bytes or a dict, got {type(data).__name__}")
    if len(data.encode("utf-8", errors="surrogatepass")) > MAX_BYTES:
        raise SweepError("", f"the file is larger than {MAX_BYTES:,} bytes")
    text = data.removeprefix("\ufeff")
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text, parse_constant=_Constant, object_pairs_hook=_refuse_duplicates)
        except RecursionError:
            raise SweepError("", "nested too deeply") from None
        except json.JSONDecodeError as exc:
            raise SweepError("", f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    return _UniqueKeyLoader.load(text)


def parse(data: str | bytes | Mapping[str, Any]) -> Sweep:
    """A `Sweep` from a sweep file's text or bytes (JSON, or YAML) or from its object (a dict),
    checked completely (module docstring); SweepError naming the first bad field otherwise."""
    obj = dict(data) if isinstance(data, Mapping) else _read(data)
    if not isinstance(obj, dict):
        raise SweepError("", f"a sweep file is an object (mapping), got {_type_name(obj)}")
    try:
        _check_structure(obj)
    except ScenarioError as exc:
        raise SweepError(exc.field, str(exc)[len(exc.field) + 2 :] if exc.field else str(exc)) from None
    if obj.get("format") != FORMAT:
        raise SweepError("format", f"must be {json.dumps(FORMAT)}, got {json.dumps(obj.get('format'))[:60]}")
    version = obj.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= VERSION:
        raise SweepError("version", f"this version reads 1 to {VERSION}, got {json.dumps(version)[:40]}")
    for key in obj:
        if key not in TOP_KEYS:
            raise SweepError(str(key), f"unknown key; allowed: {', '.join(TOP_KEYS)}")
    for key in ("name", "description"):
        if not isinstance(obj.get(key, ""), str):
            raise SweepError(key, f"must be a string, got {_type_name(obj[key])}")
    seed = _integer(obj, "seed", 0, 0, MAX_SEED)
    chips = _integer(obj, "chips", 10, 1, MAX_CHIPS)

    metrics = obj.get("metrics")
    if not isinstance(metrics, list) or not metrics:
        raise SweepError("metrics", f"give a list of one or more of: {', '.join(METRICS)}")
    for i, m in enumerate(metrics):
        if m not in METRICS:
            raise SweepError(f"metrics[{i}]", f"no such metric {json.dumps(m)[:60]}; allowed: {', '.join(METRICS)}")
        if m in metrics[:i]:
            raise SweepError(f"metrics[{i}]", f"{m} appears twice; give each metric once")
    tabs = tuple(t for t in TABS if any(METRICS[m].tab == t for m in metrics))
    if "rel" in tabs and chips < 2:
        raise SweepError("chips", f"the Reliability metrics need 2 to {MAX_CHIPS} chips (a spread), got {chips}")

    times = obj.get("times", list(DEFAULT_TIMES_S))
    if not isinstance(times, list) or not 1 <= len(times) <= MAX_TIMES:
        raise SweepError("times", f"give a list of 1 to {MAX_TIMES} read times")
    times_s = tuple(parse_time(t, f"times[{i}]") for i, t in enumerate(times))
    if len(set(times_s)) != len(times_s):
        raise SweepError("times", "a time appears twice; give each once")

    base_obj = obj.get("base", {})
    if not isinstance(base_obj, dict):
        raise SweepError("base", f"must be an object of tab name -> settings, got {_type_name(base_obj)}")
    base = {}
    for tab, values in base_obj.items():
        if tab not in TABS:
            raise SweepError(f"base.{tab}", f"no such tab; allowed: {', '.join(TABS)}")
        if tab not in tabs:
            raise SweepError(f"base.{tab}", f"no metric is computed on this tab; the metrics' tabs: {', '.join(tabs)}")
        if not isinstance(values, dict):
            raise SweepError(f"base.{tab}", f"must be an object of settings, got {_type_name(values)}")
        base[tab] = {}
        for name, value in values.items():
            _check_known(tab, name, f"base.{tab}.{name}")
            base[tab][name] = _value(tab, name, value, f"base.{tab}.{name}")

    grid = obj.get("grid", {})
    if not isinstance(grid, dict):
        raise SweepError("grid", f"must be an object of 'tab.setting' -> list of values, got {_type_name(grid)}")
    listed = obj.get("points", [])
    if not isinstance(listed, list):
        raise SweepError("points", f"must be a list of points ('tab.setting' -> value), got {_type_name(listed)}")
    if not grid and not listed:
        raise SweepError("grid", "the sweep has no point: give a grid of at least one setting or a list of points")
    axes = []
    for name, values in grid.items():
        path = f"grid.{name}"
        tab, setting = _setting(name, path, tabs)
        if setting in base.get(tab, {}):
            raise SweepError(path, f"also given in base.{tab}; give a setting once")
        if not isinstance(values, list) or not values:
            raise SweepError(path, "give a non-empty list of values")
        checked = tuple(_value(tab, setting, v, f"{path}[{i}]") for i, v in enumerate(values))
        for i, v in enumerate(checked):
            if any(_same(v, w) for w in checked[:i]):
                raise SweepError(f"{path}[{i}]", f"{json.dumps(_plain(v))} appears twice; give each value once")
        axes.append((name, checked))
    grid_points = math.prod(len(v) for _, v in axes) if axes else 0
    total = grid_points + len(listed)
    if total > MAX_POINTS:
        raise SweepError(
            "grid", f"{total:,} points; at most {MAX_POINTS:,} allowed (a smaller grid, or several sweeps)"
        )
    extra = []
    for i, point in enumerate(listed):
        path = f"points[{i}]"
        if not isinstance(point, dict) or not point:
            raise SweepError(path, "must be a non-empty object of 'tab.setting' -> value")
        checked = {}
        for name, value in point.items():
            tab, setting = _setting(name, f"{path}.{name}", tabs)
            if setting in base.get(tab, {}):
                raise SweepError(f"{path}.{name}", f"also given in base.{tab}; give a setting once")
            checked[name] = _value(tab, setting, value, f"{path}.{name}")
        extra.append(MappingProxyType(checked))

    sweep = Sweep(
        metrics=tuple(metrics),
        base=MappingProxyType({t: MappingProxyType(v) for t, v in base.items()}),
        axes=tuple(axes),
        extra=tuple(extra),
        seed=seed,
        chips=chips,
        times_s=times_s,
        name=obj.get("name", ""),
        description=obj.get("description", ""),
        version=version,
    )
    seen: dict[str, int] = {}
    for i, point in enumerate(sweep.points()):
        where = _where(sweep, i)
        key = canonical(sweep.tab_settings(point))
        if key in seen:
            raise SweepError(
                where, f"the same settings as point {seen[key]} ({_describe(point)}); give each point once"
            )
        seen[key] = i
        _check_combination(sweep, point, where)
    return sweep


def _same(a, b):
    return type(a) is type(b) and a == b


def _where(sweep: Sweep, i: int) -> str:
    grid = sweep.size() - len(sweep.extra)
    return f"grid point {i}" if i < grid else f"points[{i - grid}]"


def _describe(point: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={json.dumps(_plain(v))}" for k, v in point.items())


def _check_combination(sweep: Sweep, point: Mapping[str, Any], where: str) -> None:
    """The point's settings together, checked by `scenario.parse` as a scenario file of them (the
    checks across settings: the Encoding tab's slices within its weight bits)."""
    text = json.dumps({"format": SCENARIO_FORMAT, "version": 1, "tabs": _plain_deep(sweep.tab_settings(point))})
    try:
        parse_scenario(text)
    except ScenarioError as exc:
        raise SweepError(where, f"{_describe(point)}: {exc}") from None


def load(path: str) -> Sweep:
    """`parse` of a sweep file on disk (JSON or YAML, at most `MAX_BYTES`)."""
    with open(path, "rb") as f:
        return parse(f.read(MAX_BYTES + 1))


# ------------------------------------------------------------------ computing a point


@dataclass(frozen=True)
class MetricValue:
    """One row of a point's result: `metric` (a `METRICS` name) read at `time_s` (nan for a metric
    that is not read at a time), `value` the mean over the chips in the metric's unit, `ci95` the
    95 % half-width of that mean, 1.96 sd / sqrt(chips) (nan with one chip)."""

    metric: str
    time_s: float
    value: float
    ci95: float
    unit: str


@dataclass(frozen=True)
class PointResult:
    """A point's result: its index in the sweep, its settings (``"tab.setting"`` -> value), its seed,
    the metrics' rows, and `error` (the exception's type and message; no rows) if it failed."""

    index: int
    point: Mapping[str, Any]
    seed: int
    rows: tuple[MetricValue, ...] = ()
    error: str = ""
    seconds: float = 0.0
    """Wall-clock time of the computation (not part of the numbers: it differs run to run)."""

    def __reduce__(self):
        """Pickled with its point as a dict (a Dask task's result; `MappingProxyType` does not pickle)."""
        return (_rebuild_result, (self.index, dict(self.point), self.seed, self.rows, self.error, self.seconds))

    def same_numbers(self, other: PointResult) -> bool:
        """Whether `other` holds the same point, seed and rows bit for bit (nan equal to nan)."""
        return (
            canonical(self.point) == canonical(other.point)
            and self.seed == other.seed
            and len(self.rows) == len(other.rows)
            and all(_rows_equal(a, b) for a, b in zip(self.rows, other.rows))
            and self.error == other.error
        )


def _rebuild_result(index, point, seed, rows, error, seconds) -> PointResult:
    return PointResult(index, MappingProxyType(point), seed, tuple(rows), error, seconds)


def _rows_equal(a: MetricValue, b: MetricValue) -> bool:
    return (a.metric, a.unit) == (b.metric, b.unit) and all(
        x == y or (math.isnan(x) and math.isnan(y))
        for x, y in ((a.time_s, b.time_s), (a.value, b.value), (a.ci95, b.ci95))
    )


def _mean_ci(values: Sequence[float]) -> tuple[float, float]:
    a = np.asarray(values, dtype=float)
    if a.size < 2:
        return float(a.mean()), float("nan")
    return float(a.mean()), float(1.96 * a.std(ddof=1) / np.sqrt(a.size))


def _explorer(tab: str, settings: Mapping[str, Any], seed: int, **own: Any):
    """A fresh explorer of `tab` with `settings` applied as a scenario's (`scenario.apply`), and its seed."""
    from .scenario import Scenario, apply

    ex = TABS[tab]()
    values = {**settings, "seed": seed, **own}
    apply(Scenario(tabs=MappingProxyType({tab: MappingProxyType(values)})), {tab: ex})
    return ex


def _per_chip(sweep: Sweep, tab: str, settings, seed: int, compute: Callable[[Any], dict[str, float]]):
    """`compute(explorer)` (metric name -> value) for each chip's seed; metric -> list over the chips."""
    out: dict[str, list[float]] = {}
    for c in range(sweep.chips):
        for name, value in compute(_explorer(tab, settings, chip_seed(seed, c))).items():
            out.setdefault(name, []).append(value)
    return out


def _crossbar(ex) -> dict[str, float]:
    d = ex.outputs()
    return {"xb.mvm_error": 100 * float(d["mvm_error"]), "xb.adc_clipping": 100 * float(d["adc_clip_fraction"])}


def _encoding(ex) -> dict[str, float]:
    figures = {f.name: f.value for f in ex.key_figures()}
    return {"enc.mvm_error": figures["MVM error"], "enc.weight_error": figures["Weight error"]}


PROGRAMMING_COLUMNS = MappingProxyType(
    {
        "prog.mvm_error": ("mvm_error", 100.0),
        "prog.weight_error": ("weight_error", 100.0),
        "prog.pulses": ("pulses", 1.0),
        "prog.reads": ("reads", 1.0),
        "prog.chip_time": ("chip_time_s", 1e6),
        "prog.energy": ("energy_J", 1e9),
        "prog.iterations": ("iteration", 1.0),
    }
)
"""Programming metric -> (column of the run's history, factor to the metric's unit)."""


def _programming(ex) -> dict[str, float]:
    while not ex.done:
        ex.step(ex.programming.max_iterations, notify=False)
    h = ex.convergence()
    return {m: factor * float(h[column][-1]) for m, (column, factor) in PROGRAMMING_COLUMNS.items()}


def _reliability(sweep: Sweep, settings, seed: int) -> list[MetricValue]:
    from .deployment import evaluate, summary
    from .digits import load_digits

    ex = _explorer("rel", settings, seed, chips=sweep.chips)
    xb = ex.crossbar()
    data = load_digits()
    rows = []
    if "rel.accuracy" in sweep.metrics:
        times = np.asarray(sweep.times_s)
        acc = evaluate(ex.deployed(xb), data.X_test, data.y_test, times, ex.compensation, xb.read_settings())
        s = summary(times, acc, float("nan"))
        rows += [
            MetricValue("rel.accuracy", float(t), 100 * float(m), 100 * float(c), "%")
            for t, m, c in zip(times, s["mean"], s["ci95"])
        ]
    if "rel.float_accuracy" in sweep.metrics:
        value = 100 * float(ex.network().accuracy(data.X_test, data.y_test))
        rows.append(MetricValue("rel.float_accuracy", float("nan"), value, 0.0, "%"))
    for polarity in ("unipolar", "bipolar"):
        if f"rel.reads_{polarity}" in sweep.metrics:
            survives = ex.reads_curves()[polarity]["survives"]
            rows.append(MetricValue(f"rel.reads_{polarity}", float("nan"), _reads(survives), 0.0, "reads"))
    if "rel.flash_reads" in sweep.metrics:
        survives = ex.flash_reads()[int(ex.cells_per_bitline)]["survives"]
        rows.append(MetricValue("rel.flash_reads", float("nan"), _reads(survives), 0.0, "reads"))
    return rows


def _reads(survives) -> float:
    """A read-disturb study's reads before the loss (`deployment.reads_before_loss`) as a metric's
    value: +inf when the loss is not reached within the study's counts."""
    return math.inf if survives is None else float(survives)


TRAINING_COLUMNS = MappingProxyType(
    {
        "train.accuracy": ("test_accuracy", 100.0),
        "train.weight_error": ("weight_error", 100.0),
        "train.pulses": ("pulses", 1.0),
        "train.chip_time": ("chip_time_s", 1e3),
    }
)
"""Training metric -> (column of `TrainingExplorer.curves()`, factor to the metric's unit)."""


def _training(ex) -> dict[str, float]:
    """The focused algorithm's run alone, to the end of its epochs: the tab's runs are independent
    (each its own `OnChipRun` of the same settings and seed), so it is the run the tab shows."""
    ex.compared = [ex.algorithm]
    while not ex.done:
        ex.step(ex.total_samples, notify=False)
    c = ex.curves()[ex.algorithm]
    return {m: factor * float(c[column][-1]) for m, (column, factor) in TRAINING_COLUMNS.items()}


PER_CHIP = MappingProxyType({"xb": _crossbar, "enc": _encoding, "prog": _programming, "train": _training})
"""Tab -> the function computing its metrics from one chip's explorer."""


def compute_point(sweep: Sweep, point: Mapping[str, Any], index: int = 0) -> PointResult:
    """The metrics of one point of `sweep` (a `Sweep.points()` entry): for each metric tab a fresh
    explorer of the point's settings (`Sweep.tab_settings`), seeded by `point_seed` (per chip,
    `chip_seed`), the tab's model function computed (`METRICS`). Pure: same sweep seed, chips, times
    and point, same numbers, in any process. Raises what the models raise (the runner records it
    on the point)."""
    import time

    start = time.perf_counter()
    seed = point_seed(sweep.seed, point)
    tabs = sweep.tab_settings(point)
    rows: list[MetricValue] = []
    for tab in sweep.tabs:
        if tab == "rel":
            rows += _reliability(sweep, tabs[tab], seed)
            continue
        per_chip = _per_chip(sweep, tab, tabs[tab], seed, PER_CHIP[tab])
        for metric in sweep.metrics:
            if METRICS[metric].tab == tab:
                value, ci = _mean_ci(per_chip[metric])
                rows.append(MetricValue(metric, float("nan"), value, ci, METRICS[metric].unit))
    order = {m: i for i, m in enumerate(sweep.metrics)}
    rows.sort(key=lambda r: (order[r.metric], 0.0 if math.isnan(r.time_s) else r.time_s))
    return PointResult(index, MappingProxyType(dict(point)), seed, tuple(rows), seconds=time.perf_counter() - start)


def run_serial(sweep: Sweep) -> list[PointResult]:
    """Every point computed in this process, one after the other (the reference a Dask run equals)."""
    return [compute_point(sweep, p, i) for i, p in enumerate(sweep.points())]


# ------------------------------------------------------------------ the tidy table


TABLE_COLUMNS = ("point", "metric", "time_s", "value", "ci95", "unit", "chips", "seed", "error", "settings")
"""The tidy table's fixed columns (`tidy_rows`); the swept settings' columns come after ``point``."""


def tidy_rows(sweep: Sweep, results: Sequence[PointResult]) -> list[dict[str, Any]]:
    """The results as a tidy table, one row per point and metric (and read time): ``point`` (index),
    one column per swept setting (``"tab.setting"``, a list setting as its JSON), ``metric``,
    ``time_s`` (nan if not timed), ``value``, ``ci95``, ``unit``, ``chips``, ``seed`` (the point's),
    ``error`` ("" or the exception, one row with the metric "" for a failed point) and ``settings``
    (the point's ``"tab.setting"`` -> value as JSON). Sorted by point."""
    columns = list(dict.fromkeys(k for p in sweep.points() for k in p))
    out = []
    for r in sorted(results, key=lambda r: r.index):
        swept = {c: _cell(r.point.get(c)) for c in columns}
        common = {"chips": sweep.chips, "seed": r.seed, "settings": canonical(r.point)}
        if r.error:
            out.append(
                {"point": r.index, **swept, "metric": "", "time_s": math.nan, "value": math.nan, "ci95": math.nan}
                | {"unit": "", **common, "error": r.error}
            )
        for row in r.rows:
            out.append(
                {"point": r.index, **swept, "metric": row.metric, "time_s": row.time_s, "value": row.value}
                | {"ci95": row.ci95, "unit": row.unit, **common, "error": ""}
            )
    return [{k: row[k] for k in ("point", *columns, *TABLE_COLUMNS[1:])} for row in out]


def _cell(value):
    if isinstance(value, (list, tuple)):
        return json.dumps(_plain(value))
    return _plain(value)


# ------------------------------------------------------------------ the result views' data


def metric_values(
    results: Sequence[PointResult], metric: str, time_s: float | None = None
) -> dict[int, tuple[float, float]]:
    """Point index -> ``(value, ci95)`` of `metric` (read at `time_s` for a timed metric) over the
    results that have it (failed points and points not arrived yet are absent). ValueError naming
    `metric` or `time_s` if they are not a metric or a timed metric's time."""
    if metric not in METRICS:
        raise ValueError(f"metric: no such metric {metric!r}; allowed: {', '.join(METRICS)}")
    if METRICS[metric].timed and time_s is None:
        raise ValueError(f"time_s: {metric} is read at times; give one of the sweep's times (s)")
    out = {}
    for r in results:
        for row in r.rows:
            if row.metric == metric and (time_s is None or row.time_s == time_s):
                out[r.index] = (row.value, row.ci95)
    return out


def heatmap(
    sweep: Sweep, results: Sequence[PointResult], x: str, y: str, metric: str, time_s: float | None = None
) -> dict[str, Any]:
    """A heatmap of `metric` over two grid axes `x` and `y` (``"tab.setting"`` names of
    `sweep.axes`): ``x_values``, ``y_values`` (the axes' values), ``value`` (``len(y_values) x
    len(x_values)``: the mean of the metric over the grid points of those two values, the other
    axes' values averaged over; nan where none has arrived) and ``count`` (the points averaged).
    The listed points are not on the grid and are left out."""
    names = [n for n, _ in sweep.axes]
    for arg, name in (("x", x), ("y", y)):
        if name not in names:
            raise ValueError(f"{arg}: {name!r} is not an axis of the sweep's grid; its axes: {', '.join(names)}")
    if x == y:
        raise ValueError(f"y: the same axis as x ({x!r}); give two axes")
    xs, ys = dict(sweep.axes)[x], dict(sweep.axes)[y]
    values = metric_values(results, metric, time_s)
    total, count = np.zeros((len(ys), len(xs))), np.zeros((len(ys), len(xs)), dtype=int)
    grid_points = sweep.size() - len(sweep.extra)
    for i, point in enumerate(sweep.points()[:grid_points]):
        if i in values and not math.isnan(values[i][0]):
            row = next(k for k, v in enumerate(ys) if _same(v, point[y]))
            col = next(k for k, v in enumerate(xs) if _same(v, point[x]))
            total[row, col] += values[i][0]
            count[row, col] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return {"x_values": xs, "y_values": ys, "value": mean, "count": count}


def pareto_front(costs: Mapping[int, float], scores: Mapping[int, float]) -> list[int]:
    """The points no other point beats on both: the keys present in `costs` and `scores` (point
    index -> number; nan left out) for which no other point has a cost as low and a score as high,
    one of them strictly (of points equal in both, the lowest index); ordered by cost. The front of
    accuracy against pulses, chip time or energy."""
    pts = sorted(
        ((costs[i], -scores[i], i) for i in costs if i in scores and not math.isnan(costs[i] + scores[i])),
    )
    front, best = [], -math.inf
    for _, neg_score, i in pts:
        if -neg_score > best:
            front.append(i)
            best = -neg_score
    return front


__all__ = [
    "DEFAULT_TIMES_S",
    "FORMAT",
    "MAX_CHIPS",
    "MAX_POINTS",
    "MAX_TIMES",
    "METRICS",
    "TABLE_COLUMNS",
    "VERSION",
    "Metric",
    "MetricValue",
    "PointResult",
    "Sweep",
    "SweepError",
    "canonical",
    "chip_seed",
    "compute_point",
    "heatmap",
    "load",
    "metric_values",
    "pareto_front",
    "parse",
    "parse_time",
    "point_key",
    "point_seed",
    "run_serial",
    "tidy_rows",
]
