"""Copy as code (issue 24, item 4): a dashboard tab's settings as a short Python script on the
scripting API that computes and prints the tab's key figures (`Explorer.key_figures`).

Plain Python, no Panel: the dashboard's "Copy as code" button shows this text, and a notebook can
ask for it too:

    ex = EncodingExplorer(n_slices=3, seed=7)
    print(code_snippet("enc", ex))      # a script that prints "MVM error: ... %", ...

The script names only the settings that differ from a fresh explorer's (plus the seed, always), as
keyword arguments of the explorer's class (a read-out setting ``xb.adc_bits`` as ``adc_bits=``, a
programming knob ``programming.tolerance`` as ``tolerance=``: the constructors take them so). A tab
whose plots follow a run (Programming, Training) steps a fresh run to where the explorer's run is
(iterations, samples): the same settings and seed give the same run however it is stepped, so the
script prints the same figures. Each figure is one line, ``name: value unit`` (`FIGURE_FORMAT`).
"""

from __future__ import annotations

import json
import math
from typing import Any

import param

from .dashboards.base import KeyFigure
from .scenario import TABS, capture

FIGURE_FORMAT = "{name}: {value:.6g} {unit}"
"""How the script prints a key figure (then strips the trailing space of a figure without a unit):
six significant digits."""

PRESET_SETTINGS = {"train": ("task", "device")}
"""Settings whose value sets other settings' defaults (a task's or a device's preset): the script
compares the other settings with a fresh explorer of the same presets, and writes these when
they differ from the class's defaults."""

NEXT_STEPS = {
    "dev": ("ex.histogram()", "ex.drift_trajectories()", "ex.pulse_response()"),
    "enc": ("ex.slicing_curves()", "ex.error_budget()", "ex.common_mode()"),
    "xb": ("ex.outputs()", "ex.adc_sweep()", "ex.wire_sweep()"),
    "prog": ("ex.convergence()", "ex.devices()", "ex.comparison()"),
    "rel": ("ex.curve()", "ex.reads_curves()", "ex.comparison()"),
    "train": ("ex.curves()", "ex.weight_histograms()", "ex.update_curve()"),
}
"""The data methods behind each tab's plots, named in the script's closing comment."""


def format_figure(figure: KeyFigure) -> str:
    """One key figure as the script prints it (`FIGURE_FORMAT`)."""
    return FIGURE_FORMAT.format(name=figure.name, value=figure.value, unit=figure.unit).rstrip()


def _literal(value: Any) -> str:
    """`value` (a setting: bool, None, number, string or list of them) as Python source."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"a setting's value must be finite, got {value!r}")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # double quotes; its escapes are Python's too
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    raise TypeError(f"cannot write a setting of type {type(value).__name__}: {value!r}")


def changed_settings(prefix: str, explorer: param.Parameterized) -> dict[str, Any]:
    """The settings of `explorer` (as `scenario.capture` names them) that differ from those of a
    fresh explorer of its class with the same presets (`PRESET_SETTINGS`), and the seed."""
    cls = _tab_class(prefix, explorer)
    now = capture({prefix: explorer}, [prefix])["tabs"][prefix]
    presets = {name: now[name] for name in PRESET_SETTINGS.get(prefix, ())}
    fresh = capture({prefix: cls(**presets)}, [prefix])["tabs"][prefix]
    plain = capture({prefix: cls()}, [prefix])["tabs"][prefix]
    return {
        name: value
        for name, value in now.items()
        if name == "seed" or (plain[name] != value if name in presets else fresh[name] != value)
    }


def _tab_class(prefix, explorer):
    if prefix not in TABS:
        raise ValueError(f"prefix: unknown tab {prefix!r}; allowed: {list(TABS)}")
    cls = TABS[prefix]
    if type(explorer) is not cls:
        raise ValueError(f"explorer: the {prefix!r} tab's explorer is a {cls.__name__}, got {type(explorer).__name__}")
    return cls


def run_position(prefix: str, explorer: param.Parameterized) -> int:
    """Where the explorer's run is: iterations of the Programming run, samples of the Training runs
    (0 before a run starts, and for the tabs without a run)."""
    if prefix == "prog":
        run = explorer._run
        return 0 if run is None else int(run.iteration)
    if prefix == "train":
        runs = explorer._runs
        return 0 if not runs else int(next(iter(runs.values())).samples)
    return 0


def code_snippet(prefix: str, explorer: param.Parameterized) -> str:
    """A runnable Python script that rebuilds the tab `prefix`'s explorer at `explorer`'s settings
    (only those that differ from the defaults, and the seed), steps a run to where `explorer`'s is,
    and prints the tab's key figures, one line each (``name: value unit``)."""
    cls = _tab_class(prefix, explorer)
    title = cls.__name__.removesuffix("Explorer")
    lines = [
        f"# The {title} tab's key figures, from the explorer's scripting API.",
        f"from explorer.models import {cls.__name__}",
        "",
    ]
    settings = changed_settings(prefix, explorer)
    args = []
    for name, value in settings.items():
        arg = name.rsplit(".", 1)[-1]
        note = f"  # ex.{name}" if "." in name else ""
        args.append(f"    {arg}={_literal(value)},{note}")
    lines += [f"ex = {cls.__name__}(", *args, ")"]
    position = run_position(prefix, explorer)
    if prefix == "prog" and position:
        lines.append(f"ex.step({position})  # iterations of the run, where the dashboard's run was")
    elif prefix == "train" and position:
        lines.append(f"ex.step({position})  # samples of every run, where the dashboard's runs were")
    elif prefix in ("prog", "train"):
        lines.append("# ex.step(...) runs it: the figures are nan until the run starts")
    lines += [
        "for figure in ex.key_figures():  # one line each: name: value unit",
        '    print(f"' + FIGURE_FORMAT.replace("{", "{figure.") + '".rstrip())',
        "",
        f"# Next: the plots' data, {', '.join(NEXT_STEPS[prefix])};",
        "# figure.how says how each figure is computed.",
    ]
    if hasattr(cls, "figures"):
        lines.append("# ex.figures() gives the tab's plots as HoloViews objects (hv.save(...) keeps one).")
    return "\n".join(lines) + "\n"


__all__ = ["FIGURE_FORMAT", "changed_settings", "code_snippet", "format_figure", "run_position"]
