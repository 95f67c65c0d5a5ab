"""Param models: the scripting API used in notebooks, and the dashboards' models. No Panel import here.

Grouped by concern, each layer importing only the ones above it:

* `_internal`: the memo of computed results and the explorers' locks (not scripting API);
* `devices`: one Param class per memory technology, and the programmed-array state;
* `programming`: programming methods, pulse by pulse (`ProgrammingMethod`, `program_devices`);
* `crossbar`: a weight matrix encoded, programmed and read out on a crossbar (`CrossbarModel`);
* `digits`: the digits data and the shipped MLP files (`assets/`);
* `training`: on-chip training (`OnChipTraining`), and the MLP's training off the chip;
* `deployment`: a trained MLP deployed on simulated arrays, its accuracy against time and reads;
* `dashboards`: one model per dashboard tab (the ``*Explorer`` classes).
* `scenario`: the dashboards' settings as JSON files, validated when read (`explorer.models.scenario`).
* `scenario_library`: the named scenarios of `assets/scenarios/`, read with `scenario`'s checks;
* `lessons`: the guided lessons of `assets/lessons/`, each step a scenario, checked when read;
* `technologies`: the live technology table, what the models compute for each preset (seed 6.1);
* `snippet`: a dashboard tab's settings as a Python script that prints its key figures (Copy as code);
* `follow`: the lecturer's secret and the broadcast channel that students' pages follow.
* `predictions`: the class's answers to the lessons' predictions, in an SQLite file.
* `sweeps`: design-space sweeps, a grid of scenarios checked as scenario files, each point's seed
  and metrics (`explorer.sweeps_dask` runs them on Dask).
* `sweep_session`: the Sweeps tab's model, one page's sweep run in the background, its progress
  and the result views' data.

Every name below is importable from ``explorer.models`` itself; `scenario`'s, `scenario_library`'s,
`snippet`'s and `sweeps`' names from those modules.

Docstrings here and in `kernels` cite "physics reference section N": that is section N of
docs/physics.md, where the equations, constants and their sources are collected.
"""

from .crossbar import CrossbarModel, ProgrammedCrossbar, protocol_inputs, protocol_weights
from .dashboards import (
    CrossbarExplorer,
    DevicesExplorer,
    EncodingExplorer,
    ProgrammingExplorer,
    ReliabilityExplorer,
    TrainingExplorer,
)
from .devices import (
    TECHNOLOGIES,
    Device,
    DeviceArray,
    DeviceModel,
    ECRAMDevice,
    FlashDevice,
    HermesPCMDevice,
    PCMDevice,
    RRAMDevice,
    SoftBoundsDevice,
)
from .digits import load_digits
from .programming import ProgrammingMethod, program_devices
from .training import HWAConfig, OnChipTraining, load_mlp, train_correlation, train_mlp

__all__ = [
    "TECHNOLOGIES",
    "CrossbarExplorer",
    "CrossbarModel",
    "Device",
    "DeviceArray",
    "DeviceModel",
    "DevicesExplorer",
    "ECRAMDevice",
    "EncodingExplorer",
    "FlashDevice",
    "HWAConfig",
    "HermesPCMDevice",
    "OnChipTraining",
    "PCMDevice",
    "ProgrammedCrossbar",
    "ProgrammingExplorer",
    "ProgrammingMethod",
    "RRAMDevice",
    "ReliabilityExplorer",
    "SoftBoundsDevice",
    "TrainingExplorer",
    "load_digits",
    "load_mlp",
    "program_devices",
    "protocol_inputs",
    "protocol_weights",
    "train_correlation",
    "train_mlp",
]
