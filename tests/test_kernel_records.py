"""Issue 22, item 5: settings reach the kernels as named records, not long positional argument lists
or arrays indexed by position, and the training presets are frozen records naming their source."""

import ast
import dataclasses
import math
import pathlib

import numpy as np
import pytest

from explorer.models.digits import load_digits
from explorer.models.training.on_chip import AIHWKIT_FIELDS, DEVICE_PRESETS, TASK_PRESETS, OnChipTraining
from kernels import programming
from kernels import tile_training as tk

KERNELS = pathlib.Path(tk.__file__).parent
MAX_ARGS = 12
SETTINGS_RECORDS = {"dev", "io", "alg"}
"""Argument names that hold a settings record in the kernels (`tile_training.Device`, `ReadOut`,
`Algorithm`): read by field name, never by position."""


def _functions():
    for path in sorted(KERNELS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield path.stem, node


def _arg_count(fn):
    a = fn.args
    return len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs) + (a.vararg is not None) + (a.kwarg is not None)


def test_the_walk_sees_the_kernels():
    names = {f"{module}.{fn.name}" for module, fn in _functions()}
    assert {"tile_training._train_samples", "programming._apply_one", "flash._program_one"} <= names


def test_no_kernel_takes_more_than_twelve_arguments():
    """Every function in kernels/ (@njit kernels, their helpers and the public wrappers)."""
    over = {f"{module}.{fn.name}": _arg_count(fn) for module, fn in _functions() if _arg_count(fn) > MAX_ARGS}
    assert over == {}


def test_settings_records_are_not_indexed_by_position():
    hits = []
    for module, fn in _functions():
        for node in ast.walk(fn):
            if (
                isinstance(node, ast.Subscript)
                and isinstance(node.value, ast.Name)
                and node.value.id in SETTINGS_RECORDS
                and isinstance(node.slice, ast.Constant)
            ):
                hits.append(f"{module}.{fn.name}: {ast.unparse(node)}")
    assert hits == []


def test_record_fields_are_the_documented_field_lists():
    assert tk.Device._fields == tk.DEVICE_FIELDS
    assert tk.ReadOut._fields == tk.IO_FIELDS
    assert tk.Algorithm._fields == tk.ALGO_FIELDS


@pytest.mark.parametrize(
    "kind, values",
    [("dev", [0.01, 1.0, 0.0]), ("io", [0.0, 0.0, 0.0, math.nan]), ("alg", {"lr": 0.1}), ("dev", ["a", 1.0, 0.0, 0.0])],
)
def test_as_record_names_the_argument(kind, values):
    with pytest.raises(ValueError, match=rf"^{kind} must hold"):
        tk.as_record(kind, values)


def test_as_record_takes_a_record_a_mapping_or_the_fields_in_order():
    dev = tk.Device(0.01, 1.0, 0.3, 2.0)
    assert tk.as_record("dev", dev) == dev
    assert tk.as_record("dev", dict(zip(tk.DEVICE_FIELDS, dev))) == dev
    assert tk.as_record("dev", np.array(dev)) == dev


def test_response_record_names_the_bad_field():
    with pytest.raises(ValueError, match="^gamma_down must"):
        programming.check_response(programming.Response(0.0, 10.0, 1.0, -1.0, 0.0))
    with pytest.raises(ValueError, match="^g_max must exceed g_min"):
        programming.check_response(programming.Response(5.0, 1.0))


def test_kernel_records_are_the_settings_in_kernel_units():
    m = OnChipTraining(n_states=400, dac_bits=7, adc_bits=0, write_noise=2.0)
    dev, io, alg = m.kernel_records()
    assert dev == tk.Device(2.0 / 400, m.slope, m.c2c, 2.0)
    assert io == tk.ReadOut(m.read_noise, 63.0, 0.0, m.out_bound)
    assert (alg.lr, alg.bl, alg.max_steps, alg.forget_buffer) == (m.lr, m.bl, m.max_steps, 1.0)
    m.algorithm = "float SGD"
    assert m.kernel_records()[1] == tk.ReadOut(0.0, 0.0, 0.0, 0.0)


# ----------------------------------------------------------------------------- presets


@pytest.fixture(scope="module")
def digits():
    return load_digits()


@pytest.mark.parametrize("name", list(DEVICE_PRESETS))
def test_device_preset_is_a_frozen_record_that_sets_a_valid_run(name, digits):
    preset = DEVICE_PRESETS[name]
    with pytest.raises(dataclasses.FrozenInstanceError):
        preset.n_states = 2
    assert len(preset.source) > 40  # names where its values come from
    m = OnChipTraining(device=name, epochs=1)
    assert {k: getattr(m, k) for k in preset.settings()} == preset.settings()
    m.check()
    run = m.run(digits)
    point = run.step(100)  # TTv2: pulses on the devices it sets
    assert run.samples == point.samples == 100 and math.isfinite(point.train_loss) and point.pulses > 0


@pytest.mark.parametrize("name", [n for n, p in DEVICE_PRESETS.items() if p.aihwkit])
def test_device_preset_carries_the_aihwkit_values_it_restates(name):
    """Each restated aihwkit parameter sets its field (``n_states = 2 / dw_min``), and the preset's
    source names the aihwkit preset class it restates."""
    preset = DEVICE_PRESETS[name]
    assert "PresetDevice" in preset.source
    for param_name, value in preset.aihwkit:
        field = AIHWKIT_FIELDS[param_name]
        expected = round(2.0 / value) if param_name == "dw_min" else value
        assert getattr(preset, field) == expected, (param_name, field)


def test_every_preset_that_cites_aihwkit_restates_its_values():
    for name, preset in DEVICE_PRESETS.items():
        assert bool(preset.aihwkit) == preset.source.startswith("aihwkit"), name


@pytest.mark.parametrize("name", list(TASK_PRESETS))
def test_task_preset_is_a_frozen_record_that_sets_a_valid_run(name, digits):
    preset = TASK_PRESETS[name]
    with pytest.raises(dataclasses.FrozenInstanceError):
        preset.lr = 1.0
    assert len(preset.source) > 40
    m = OnChipTraining(task=name)
    assert {k: getattr(m, k) for k in preset.settings()} == preset.settings()
    run = m.run(digits)
    point = run.step(100)  # TTv2: pulses on the devices it sets
    assert run.samples == point.samples == 100 and math.isfinite(point.train_loss) and point.pulses > 0


def test_preset_tables_are_read_only():
    with pytest.raises(TypeError):
        DEVICE_PRESETS["mine"] = DEVICE_PRESETS["idealized, 10000 states"]
    with pytest.raises(TypeError):
        TASK_PRESETS["mine"] = TASK_PRESETS["digits MLP"]
