"""Scenarios as files (issue 24, item 2): every tab's settings written to JSON and read back give the
same settings and the same numbers; a bad file is refused with its first bad field named and no
explorer changes; the page's URL keeps the same settings a scenario file does."""

import json
import pickle

import numpy as np
import pytest

from explorer.models import (
    CrossbarExplorer,
    DevicesExplorer,
    EncodingExplorer,
    ProgrammingExplorer,
    TrainingExplorer,
)
from explorer.models import scenario as sc

NON_DEFAULT = {
    # Small sizes (fast), and on every tab settings away from the defaults, own and held (xb., programming.).
    "dev": dict(technology="RRAM", n_devices=512, n_levels=4, log10_time=5.0, seed=3, read_noise_scale=1.5),
    "enc": dict(size=16, batch=4, n_slices=3, seed=2, mapping="two-sided", adc_bits=6, common_mode_gain=1.2),
    "xb": dict(size=16, batch=4, seed=5, technology="Flash", temperature_K=350.0, adc_bits=5, ir_drop=True),
    "prog": dict(size=16, seed=4, technology="PCM", adc_bits=6, tolerance=0.05, method="gdp", batch_size=8),
    "rel": dict(chips=2, seed=1, compensation="global", adc_bits=6, log10_time=6.0, technology="RRAM"),
    "train": dict(task="5 x 5 correlation", epochs=1, seed=6, n_states=100, compared=["analog SGD", "TTv2"], lr=0.05),
}


def key_numbers(tab, ex):
    """One cheap result per tab, as its plots compute it (arrays and scalars)."""
    if tab == "dev":
        h = ex.histogram()
        return [h["counts"], h["level_error_rate"]]
    if tab == "enc":
        return [ex.error_budget()["total"], ex.slice_histograms()["plus"]]
    if tab == "xb":
        out = ex.outputs()
        return [out["analog"], out["mvm_error"]]
    if tab == "prog":
        ex.step(3)
        c = ex.convergence()
        return [c["mvm_error"], c["pulses"], c["chip_time_s"]]
    if tab == "rel":
        return [ex.curve()["mean"]]
    if tab == "train":
        ex.step(100)
        return [run["weight_error"] for run in ex.curves().values()]
    raise AssertionError(tab)


def settings_of(explorers):
    """Every scenario setting of every explorer, read directly (not through the module under test)."""
    out = {}
    for tab, ex in explorers.items():
        for name in type(ex).scenario_settings():
            owner = ex
            *path, attr = name.split(".")
            for part in path:
                owner = getattr(owner, part)
            value = getattr(owner, attr)
            out[f"{tab}.{name}"] = list(value) if isinstance(value, list) else value
    return out


def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))


@pytest.mark.parametrize("tab", list(sc.TABS))
def test_round_trip_restores_settings_and_numbers(tab):
    cls = sc.TABS[tab]
    ex = cls(**NON_DEFAULT[tab])
    fresh = cls()
    differing = [k for k, v in settings_of({tab: ex}).items() if settings_of({tab: fresh})[k] != v]
    assert len(differing) >= 3, "the test must start away from the defaults"
    text = sc.to_json({tab: ex}, name="round trip")
    assert json.loads(text)["tabs"][tab].keys() == set(cls.scenario_settings())  # a download writes every setting
    scenario = sc.parse(text)
    assert scenario.name == "round trip"
    sc.apply(scenario, {tab: fresh})
    assert settings_of({tab: fresh}) == settings_of({tab: ex})
    for a, b in zip(key_numbers(tab, ex), key_numbers(tab, fresh), strict=True):
        assert _same(a, b)


def test_round_trip_of_every_tab_at_once():
    explorers = {tab: cls() for tab, cls in sc.TABS.items()}
    explorers["dev"].technology = "Flash"
    explorers["prog"].programming.tolerance = 0.03
    explorers["train"].device = "ReRAM-like, 1000 states"
    scenario = sc.parse(sc.to_json(explorers).encode("utf-8"))
    assert set(scenario.tabs) == set(sc.TABS)
    with pytest.raises(TypeError):  # a parsed scenario is read-only
        scenario.tabs["dev"]["seed"] = 1
    assert scenario.tabs["train"]["compared"] == tuple(explorers["train"].compared)
    restored = {tab: cls() for tab, cls in sc.TABS.items()}
    sc.apply(scenario, restored)
    assert settings_of(restored) == settings_of(explorers)
    only_dev = sc.parse(sc.to_json(explorers, tabs=["dev"]))
    assert set(only_dev.tabs) == {"dev"}


def test_partial_scenario_sets_only_what_it_names():
    ex = DevicesExplorer(n_levels=4, seed=9)
    text = json.dumps({"format": sc.FORMAT, "version": 1, "tabs": {"dev": {"technology": "Flash"}}})
    sc.apply(sc.parse(text), {"dev": ex})
    assert (ex.technology, ex.n_levels, ex.seed) == ("Flash", 4, 9)


def test_training_preset_does_not_override_a_scenario_value():
    # The device preset sets n_states; a scenario naming both keeps its own n_states.
    ex = TrainingExplorer()
    text = json.dumps(
        {"format": sc.FORMAT, "version": 1, "tabs": {"train": {"device": "ReRAM-like, 1000 states", "n_states": 77}}}
    )
    sc.apply(sc.parse(text), {"train": ex})
    assert (ex.device, ex.n_states) == ("ReRAM-like, 1000 states", 77)


# ------------------------------------------------------------------ bad input


def _valid():
    return json.loads(sc.to_json({"dev": DevicesExplorer(), "xb": CrossbarExplorer(), "train": TrainingExplorer()}))


def _with(path, value):
    obj = _valid()
    *parents, last = path
    target = obj
    for p in parents:
        target = target[p]
    target[last] = value
    return json.dumps(obj)


def _huge_array():
    return _with(["tabs", "train", "compared"], ["AGAD"] * 1000)


def _deep_list():
    return _with(["tabs", "dev", "technology"], [[["PCM"]]])


def _very_deep():
    head = json.dumps({"format": sc.FORMAT, "version": 1, "tabs": {"dev": {"technology": 0}}})
    return head.replace("0}}}", "[" * 50_000 + "]" * 50_000 + "}}}")


BAD = {
    # kind: (file, field named, words the message must hold)
    "oversized": (lambda: json.dumps(_valid()) + " " * sc.MAX_BYTES, "", "at most 262,144"),
    "malformed JSON": (lambda: json.dumps(_valid())[:-3], "", "line 1, column"),
    "top level not an object": (lambda: "[1, 2]", "", "JSON object"),
    "wrong format name": (lambda: _with(["format"], "something-else"), "format", "analog-explorer-scenario"),
    "newer version": (lambda: _with(["version"], 2), "version", "written by a newer version (2)"),
    "version not an integer": (lambda: _with(["version"], "1"), "version", "integer"),
    "unknown top-level key": (lambda: _with(["pin"], {}), "pin", "allowed: format"),
    "missing tabs": (lambda: json.dumps({"format": sc.FORMAT, "version": 1}), "tabs", "missing"),
    "unknown tab": (lambda: _with(["tabs", "nope"], {}), "tabs.nope", "allowed: dev, enc, xb"),
    "unknown setting": (lambda: _with(["tabs", "dev", "colour"], 1), "tabs.dev.colour", "allowed: "),
    "held setting not shown on the tab": (
        lambda: _with(["tabs", "xb", "xb.x_max"], 1.0),
        "tabs.xb.xb.x_max",
        "no such",
    ),
    "out of range": (lambda: _with(["tabs", "xb", "xb.adc_bits"], 999), "tabs.xb.xb.adc_bits", "allowed: [1, 16]"),
    "below range": (lambda: _with(["tabs", "dev", "temperature_K"], 10.0), "tabs.dev.temperature_K", "[200, 420]"),
    "string for a number": (
        lambda: _with(["tabs", "dev", "temperature_K"], "abc"),
        "tabs.dev.temperature_K",
        "a number",
    ),
    "bool for an integer": (lambda: _with(["tabs", "dev", "n_levels"], True), "tabs.dev.n_levels", "an integer"),
    "float for an integer": (lambda: _with(["tabs", "dev", "seed"], 1.5), "tabs.dev.seed", "an integer"),
    "number for a boolean": (lambda: _with(["tabs", "xb", "xb.ir_drop"], 1), "tabs.xb.xb.ir_drop", "true or false"),
    "NaN": (lambda: _with(["tabs", "dev", "log10_time"], 0.5).replace("0.5", "NaN"), "tabs.dev.log10_time", "NaN"),
    "Infinity": (
        lambda: _with(["tabs", "dev", "log10_time"], 0.5).replace("0.5", "-Infinity"),
        "tabs.dev.log10_time",
        "-Infinity",
    ),
    "overflowing number": (
        lambda: _with(["tabs", "dev", "log10_time"], 0.5).replace("0.5", "1e999"),
        "tabs.dev.log10_time",
        "finite",
    ),
    "deep nesting": (_deep_list, "tabs.dev.technology[0]", "at most 4"),
    "nesting past the parser": (_very_deep, "tabs.dev.technology[0]", "nested too deeply"),
    "huge array": (_huge_array, "tabs.train.compared", "1,000 entries"),
    "pickle": (lambda: pickle.dumps(_valid()), "", "not UTF-8 JSON"),
    "unknown technology": (lambda: _with(["tabs", "dev", "technology"], "Nope"), "tabs.dev.technology", '"Nope"'),
    "unknown algorithm": (
        lambda: _with(["tabs", "train", "compared"], ["TTv2", "TTv9"]),
        "tabs.train.compared[1]",
        'this version has no "TTv9"',
    ),
    "method the tab cannot run": (
        lambda: json.dumps(
            {"format": sc.FORMAT, "version": 1, "tabs": {"prog": {"programming.method": "statistical"}}}
        ),
        "tabs.prog.programming.method",
        'allowed: "one-shot", "verify", "gdp"',
    ),
    "duplicate key": (
        lambda: '{"format": "analog-explorer-scenario", "version": 1, "tabs": {"dev": {"seed": 1, "seed": 2}}}',
        "tabs.dev.seed",
        "twice",
    ),
    "more slices than the weight bits allow": (
        lambda: json.dumps({"format": sc.FORMAT, "version": 1, "tabs": {"enc": {"bits_per_slice": 8, "n_slices": 6}}}),
        "tabs.enc.n_slices",
        "allowed: 1 to 4 at 8 bits per slice",
    ),
    "tab not an object": (lambda: _with(["tabs", "dev"], [1]), "tabs.dev", "object of settings"),
}


@pytest.fixture(scope="module")
def targets():
    return {
        "dev": DevicesExplorer(),
        "enc": EncodingExplorer(),
        "xb": CrossbarExplorer(),
        "train": TrainingExplorer(),
        "prog": ProgrammingExplorer(),
    }


@pytest.mark.parametrize("kind", list(BAD))
def test_bad_file_is_refused_naming_the_field_and_nothing_changes(kind, targets):
    make, field, words = BAD[kind]
    before = settings_of(targets)
    with pytest.raises(sc.ScenarioError) as info:
        sc.apply(sc.parse(make()), targets)
    assert info.value.field == field
    assert words in str(info.value)
    if field:
        assert str(info.value).startswith(f"{field}: ")
    assert settings_of(targets) == before


def test_a_value_that_fails_while_applying_puts_everything_back():
    # A Scenario built by hand skips parse: the xb read-out update fails after the explorer's own
    # settings were set; they are put back.
    ex = CrossbarExplorer()
    before = settings_of({"xb": ex})
    bad = sc.Scenario(tabs={"xb": {"technology": "Flash", "size": 32, "xb.adc_bits": 999}})
    with pytest.raises(sc.ScenarioError) as info:
        sc.apply(bad, {"xb": ex})
    assert info.value.field == "tabs.xb"
    assert settings_of({"xb": ex}) == before
    assert ex.xb.technology == before["xb.technology"]  # the explorer's watcher followed the restore


def test_apply_refuses_a_missing_or_wrong_explorer():
    scenario = sc.parse(sc.to_json({"dev": DevicesExplorer(technology="Flash")}))
    with pytest.raises(sc.ScenarioError, match="no explorer given") as info:
        sc.apply(scenario, {"xb": CrossbarExplorer()})
    assert info.value.field == "tabs.dev"
    with pytest.raises(sc.ScenarioError, match="needs a DevicesExplorer"):
        sc.apply(scenario, {"dev": CrossbarExplorer()})


# ------------------------------------------------------------------ the URL keeps the same settings


def test_page_url_keeps_the_scenario_settings():
    from explorer.app import DASHBOARDS
    from explorer.views.training import TrainingView

    assert [prefix for _, prefix, _ in DASHBOARDS] == list(sc.TABS)
    for _, prefix, view_cls in DASHBOARDS:
        view = view_cls()
        assert type(view.model) is sc.TABS[prefix]
        synced = []
        for obj, names in view.synced():
            holder = next(n for n in ("", "xb", "programming") if (getattr(view.model, n) if n else view.model) is obj)
            synced += [f"{holder}.{n}" if holder else n for n in names]
        assert synced == list(sc.TABS[prefix].scenario_settings())
    controls = [n for names in TrainingView.CONTROLS.values() for n in names]
    assert controls == list(TrainingExplorer.SCENARIO_SETTINGS)
