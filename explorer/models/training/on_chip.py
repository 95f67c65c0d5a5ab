"""On-chip training on analog tiles, its scripting API: the digits MLP (64-32-10), or
the 5 x 5 correlation task of physics reference section 6 (`task`).

`OnChipTraining` holds the settings (device, algorithm, read-out, learning rates) as Param
parameters; `run()` snapshots them into an `OnChipRun`, a steppable training whose `step(samples)`
trains that many samples and returns one point of the curves (test accuracy and loss through the
read-out, the running training loss, pulses, chip time). `train(epochs)` runs to the end and returns
the per-epoch history. The numbers come from `kernels.tile_training` (equations and sources in its
docstring); every random draw derives from `seed` (`kernels.rng.derive_seed`): the initial weights
and devices from the weights purpose, the sample order and pulses from the training purpose, the
evaluation reads from the read purpose.

The correlation task (`CorrelationRun`) is one 5 x 5 tile learning ``y = x W*`` (W* uniform in
[-0.5, 0.5], `explorer.models.training.python_tile.CorrelationTask`) from inputs uniform in [-1, 1] with
Gaussian label noise `label_noise`, starting from W = 0; an epoch is `CORRELATION_EPOCH` fresh
samples, and its curve is the weight error ``||W - W*|| / ||W*||`` (no accuracy).
`explorer.models.training.python_tile.train_correlation` is the same task on a Python model of the tile
(soft bounds only, ideal read-out): the 5 x 5 studies of docs/results/training.md and its tests use
it.

Task presets (`TASK_PRESETS`) set the learning rates and transfer settings that suit each task.
Device presets (`DEVICE_PRESETS`) restate aihwkit's preset devices (aihwkit
``simulator/presets/devices.py``) in this model's terms; ``n_states = 2 / dw_min`` on the range
[-1, 1]. The "asymmetric soft bounds" preset is this project's strong-asymmetry case (few
states, a symmetry point far from 0: where in-memory SGD stalls), not a fit.

Devices (`device_steps`, `device_bounds`): each device has its own up and down steps and its own
bounds, drawn as aihwkit draws them (``dw_min_dtod``: `d2d`, the spread of the step;
``up_down_dtod``: `up_down_d2d`, the spread of the up/down bias; ``w_max_dtod``, ``w_min_dtod``:
`w_max_d2d`, `w_min_d2d`, the relative spreads of the upper and lower bounds around +-1), so each
has its own symmetry point (`device_symmetry_points`): on soft bounds it moves with the bounds as
well as with the steps. Tiki-Taka's fast tile A starts at its devices' own symmetry points, and
TTv2's reference R is placed at each A device's own symmetry point, as a reference-programming step
would find it, plus the `reference_offset` error.

Transfers follow aihwkit's buffered rules (`kernels.tile_training`): `max_steps` pulses at most per
device and transfer, the buffer kept at ``momentum H`` (`forget_buffer`) or reduced by the pulses
sent; the pulses a transfer held back are tallied (`Point.capped_pulses`).
"""

from __future__ import annotations

import dataclasses
import math
import threading
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import param

from kernels import rng
from kernels import tile_training as tk

from ..digits import load_digits
from .python_tile import CorrelationTask

if TYPE_CHECKING:
    from ..digits import Digits

ALGORITHMS = tk.ALGORITHMS


@dataclasses.dataclass(frozen=True)
class DevicePreset:
    """A training device preset: the device settings `OnChipTraining.device` sets (`DEVICE_PARAMS`),
    the ``source`` they come from and, for a preset that restates one of aihwkit's preset devices,
    ``aihwkit``: the (aihwkit parameter, value) pairs taken over unchanged (``dw_min`` as
    ``n_states = 2 / dw_min``, ``dw_min_dtod`` as `d2d`, ``dw_min_std`` as `c2c`, ``up_down`` as
    `asymmetry`, ``up_down_dtod`` as `up_down_d2d`, ``w_max_dtod``, ``w_min_dtod`` as `w_max_d2d`,
    `w_min_d2d`, ``write_noise_std`` as `write_noise`; `AIHWKIT_FIELDS`). A field reads as
    ``preset.name`` or ``preset["name"]``."""

    n_states: int
    asymmetry: float
    slope: float
    d2d: float
    up_down_d2d: float
    w_max_d2d: float
    w_min_d2d: float
    c2c: float
    write_noise: float
    source: str
    aihwkit: tuple = ()

    def settings(self) -> dict[str, Any]:
        """The `OnChipTraining` settings this preset sets."""
        return {k: getattr(self, k) for k in DEVICE_PARAMS}

    def __getitem__(self, name):
        return getattr(self, name)


AIHWKIT_FIELDS = {
    "dw_min": "n_states",
    "dw_min_dtod": "d2d",
    "dw_min_std": "c2c",
    "up_down": "asymmetry",
    "up_down_dtod": "up_down_d2d",
    "w_max_dtod": "w_max_d2d",
    "w_min_dtod": "w_min_d2d",
    "write_noise_std": "write_noise",
}
"""The `DevicePreset` field each aihwkit pulsed-device parameter of `DevicePreset.aihwkit` sets."""


@dataclasses.dataclass(frozen=True)
class TaskPreset:
    """A task preset: the learning and read-out settings `OnChipTraining.task` sets and the
    ``source`` of their values. A field reads as ``preset.name`` or ``preset["name"]``."""

    lr: float
    lr_h: float
    transfer_every: int
    chopper_p: float
    out_bound: float
    epochs: int
    source: str

    def settings(self) -> dict[str, Any]:
        """The `OnChipTraining` settings this preset sets."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "source"}

    def __getitem__(self, name):
        return getattr(self, name)


DEVICE_PRESETS = MappingProxyType(
    {
        "constant step, 1200 states": DevicePreset(
            n_states=1200,
            asymmetry=0.0,
            slope=0.0,
            d2d=0.3,
            up_down_d2d=0.01,
            w_max_d2d=0.3,
            w_min_d2d=0.3,
            c2c=0.3,
            write_noise=0.0,
            aihwkit=(
                ("dw_min_dtod", 0.3),
                ("dw_min_std", 0.3),
                ("up_down", 0.0),
                ("up_down_dtod", 0.01),
                ("w_max_dtod", 0.3),
                ("w_min_dtod", 0.3),
                ("write_noise_std", 0.0),
            ),
            source="aihwkit GokmenVlasovPresetDevice, a ConstantStepDevice: dw_min 0.0016 on [-1, 1] (its "
            "comment says 'to keep 1200 states'; 2 / 0.0016 is 1250: here 1200 states, dw_min 0.00167), "
            "30 % device-to-device (dw_min_dtod) and cycle-to-cycle spread, up_down_dtod 0.01 "
            "(Gokmen and Vlasov, Front. Neurosci. 2016), w_max_dtod and w_min_dtod 0.3",
        ),
        "asymmetric soft bounds, 300 states": DevicePreset(
            n_states=300,
            asymmetry=0.4,
            slope=1.0,
            d2d=0.3,
            up_down_d2d=0.05,
            w_max_d2d=0.0,
            w_min_d2d=0.0,
            c2c=0.3,
            write_noise=0.0,
            source="few states and an up/down bias that puts the symmetry point "
            "at w = 0.4 on average, spread 0.05 from device to device, bounds +-1 on every device "
            "(illustrative, not a fit)",
        ),
        "ReRAM-like, 1000 states": DevicePreset(
            n_states=1000,
            asymmetry=0.0,
            slope=1.0,
            d2d=0.3,
            up_down_d2d=0.01,
            w_max_d2d=0.3,
            w_min_d2d=0.3,
            c2c=3.75,
            write_noise=56.0,
            aihwkit=(
                ("dw_min", 0.002),
                ("dw_min_dtod", 0.3),
                ("dw_min_std", 3.75),
                ("up_down", 0.0),
                ("up_down_dtod", 0.01),
                ("write_noise_std", 56.0),
            ),
            source="aihwkit ReRamSBPresetDevice, a loose soft-bounds fit to Gong et al., Nat. Commun. 9, "
            "2102 (2018): dw_min 0.002, cycle-to-cycle 3.75 dw_min, write noise 56 dw_min, "
            "up_down_dtod 0.01; the symmetry point assumed calibrated to 0; its bounds 1.25 and -0.75 "
            "spread by 0.3 (w_max_dtod 0.3 / 1.25, w_min_dtod 0.3 / 0.75) here +-1 spread by 0.3",
        ),
        "ECRAM-like, near linear": DevicePreset(
            n_states=1000,
            asymmetry=0.0,
            slope=0.3,
            d2d=0.1,
            up_down_d2d=0.01,
            w_max_d2d=0.05,
            w_min_d2d=0.05,
            c2c=0.3,
            write_noise=0.0,
            aihwkit=(
                ("dw_min", 0.002),
                ("dw_min_dtod", 0.1),
                ("dw_min_std", 0.3),
                ("up_down", 0.0),
                ("up_down_dtod", 0.01),
                ("w_max_dtod", 0.05),
                ("w_min_dtod", 0.05),
                ("write_noise_std", 0.0),
            ),
            source="aihwkit EcRamPresetDevice, a linear-step fit to Tang et al., IEDM 2018: dw_min 0.002, "
            "slopes 0.12 (up) and 0.51 (down) here one slope 0.3, 10 % device-to-device spread, "
            "up_down_dtod 0.01, w_max_dtod and w_min_dtod 0.05 (its slopes refer to the mean bounds, "
            "here to each device's own)",
        ),
        "idealized, 10000 states": DevicePreset(
            n_states=10000,
            asymmetry=0.0,
            slope=0.0,
            d2d=0.3,
            up_down_d2d=0.0,
            w_max_d2d=0.3,
            w_min_d2d=0.3,
            c2c=0.3,
            write_noise=0.0,
            aihwkit=(
                ("dw_min", 0.0002),
                ("dw_min_dtod", 0.3),
                ("dw_min_std", 0.3),
                ("up_down", 0.0),
                ("up_down_dtod", 0.0),
                ("w_max_dtod", 0.3),
                ("w_min_dtod", 0.3),
                ("write_noise_std", 0.0),
            ),
            source="aihwkit IdealizedPresetDevice, a ConstantStepDevice: dw_min 0.0002 on [-1, 1], "
            "up_down_dtod 0 (symmetric), w_max_dtod and w_min_dtod 0.3",
        ),
    }
)
"""Training devices: the values `OnChipTraining.device` sets, with their sources (read-only)."""

DEVICE_PARAMS = ("n_states", "asymmetry", "slope", "d2d", "up_down_d2d", "w_max_d2d", "w_min_d2d", "c2c", "write_noise")

TASKS = ("digits MLP", "5 x 5 correlation")
TASK_PRESETS = MappingProxyType(
    {
        "digits MLP": TaskPreset(
            lr=0.03,
            lr_h=0.01,
            transfer_every=1,
            chopper_p=0.05,
            out_bound=12.0,
            epochs=10,
            source="this project's choice for the 64-32-10 digits network (illustrative, "
            "not a fit): the defaults of docs/results/training.md's figures",
        ),
        "5 x 5 correlation": TaskPreset(
            lr=0.5,
            lr_h=0.005,
            transfer_every=1,
            chopper_p=0.02,
            out_bound=4.0,
            epochs=4,
            source="this project's choice for the correlation task of physics "
            "reference section 6 (illustrative, not a fit)",
        ),
    }
)
"""The values `OnChipTraining.task` sets. Digits: the defaults the figures of docs/results/training.md use.
5 x 5: a fast A, a transfer every sample and a chopper period of 50 reads of a row (250 samples), an ADC
range of 4 for outputs of at most 2.5 (5 inputs of at most 1 times weights of at most 0.5), 4 epochs of
`CORRELATION_EPOCH` samples. The transfer rate is small enough that H rarely asks for more than the one
pulse per transfer aihwkit's transfers send (`max_steps`): a transfer every 5 samples at a five times
larger rate (the chopped study's earlier setting) loses pulses to the cap. The learning rate is 0.5, not
the study's 1: with one rate for every algorithm, floating-point SGD at 1 is near the stability limit of
a per-sample update (|x|^2 reaches 5; its steady-state noise grows with the rate, and Tiki-Taka's
transfers average it). The measured errors: docs/results/training.md."""
TASK_ONLY = {"hidden": "digits MLP", "label_noise": "5 x 5 correlation"}
"""Settings that only one task uses (the dashboard greys them out for the other)."""
CORRELATION_EPOCH = 1000
"""Samples of one epoch of the 5 x 5 task, fresh inputs every epoch."""
CORRELATION_TEST = 200
"""Test inputs of the 5 x 5 task (their own stream): the test loss compares the read outputs with
the noise-free targets ``x W*``."""

READ_TIME_S = 80e-9
"""Assumed duration of one array read (a forward, backward or one-hot transfer read of every tile
row or column at once, DAC to ADC): the order of Gokmen and Vlasov's (2016) estimate."""
SLOT_TIME_S = 1e-9
"""Assumed duration of one slot of a pulse train (Gokmen and Vlasov 2016 assume ns pulses)."""
AGAD_TAIL_WEIGHTENING = 5.0
"""Weight of the tail of a chopper period in AGAD's running mean (aihwkit's
``DynamicTransferCompound.tail_weightening`` default)."""


def symmetry_point(asymmetry: float, slope: float) -> float:
    """Weight at which the nominal device's up and down steps are equal: a / s (a linear device,
    s = 0, has none unless a = 0: +-inf)."""
    if slope == 0.0:
        return 0.0 if asymmetry == 0.0 else math.copysign(math.inf, asymmetry)
    return asymmetry / slope


def device_symmetry_points(steps: np.ndarray, slope: float) -> np.ndarray:
    """Each device's own symmetry point, shape ``steps.shape[1:]``: where its up step ``dw_up (1 -
    s w / b_hi)`` equals its down step ``dw_down (1 + s w / b_lo)`` (`kernels.tile_training`),
    ``w* = (dw_up - dw_down) / (s (dw_up / b_hi + dw_down / b_lo))``, the weight random up and
    down pulses drive it to and a reference-programming step by alternating pulses finds (to within
    a step), clipped to the device's range [-b_lo, b_hi] (where such pulses pin it). `steps` holds
    ``dw_up``, ``dw_down`` and, in rows 2 and 3, ``b_hi`` and ``b_lo`` (a device array of
    `device_steps` and `device_bounds`; without them the bounds are +-1). A constant-step device
    (s = 0) has none: its expected drift is the same everywhere; the reference then stays at 0,
    where its A starts."""
    up, down = steps[0], steps[1]
    hi, lo = (steps[2], steps[3]) if len(steps) == 4 else (np.ones_like(up), np.ones_like(up))
    if slope == 0.0:
        return np.zeros_like(up)
    return np.clip((up - down) / (slope * (up / hi + down / lo)), -lo, hi)


def _positive(name, default, doc, high=None, soft=None, step=None):
    """A rate above 0: `soft` is the slider's range (which must not reach the excluded 0), `step` its step."""
    return param.Number(
        default, bounds=(0.0, high), inclusive_bounds=(False, True), softbounds=soft, step=step, doc=doc, label=name
    )


class OnChipTraining(param.Parameterized):
    """Settings of one on-chip training, of the digits MLP or the 5 x 5 task (module docstring)."""

    task = param.Selector(
        objects=list(TASKS),
        default="digits MLP",
        doc=(
            "digits MLP: the 64-32-10 network on the digits set (test accuracy); 5 x 5 correlation: one tile "
            "learning y = x W* (weight error ||W - W*|| / ||W*||). Sets the learning rates (TASK_PRESETS)."
        ),
    )
    algorithm = param.Selector(
        objects=list(ALGORITHMS),
        default="TTv2",
        doc=(
            "float SGD: the reference in float64; analog SGD: the gradient applied to the weight tiles by pulse "
            "trains; TTv1, TTv2, c-TTv2, AGAD: Tiki-Taka variants with a fast tile A (kernels.tile_training)."
        ),
    )
    device = param.Selector(
        objects=list(DEVICE_PRESETS),
        default="asymmetric soft bounds, 300 states",
        doc=("A device preset: sets the device parameters below (DEVICE_PRESETS, with sources)."),
    )
    n_states = param.Integer(
        300,
        bounds=(2, 100000),
        label="Device states",
        doc="Steps across the weight range [-1, 1]: dw_min = 2 / n_states.",
    )
    asymmetry = param.Number(
        0.4,
        bounds=(-0.99, 0.99),
        doc=(
            "Up/down bias a: up steps dw (1 + a)(1 - s w), down steps dw (1 - a)(1 + s w); the symmetry point is a / s."
        ),
    )
    slope = param.Number(
        1.0,
        bounds=(0.0, 1.0),
        label="Bound slope s",
        doc="Slope s of the bounds: 1 soft bounds, near 0 a linear device.",
    )
    d2d = param.Number(
        0.3,
        bounds=(0.0, 2.0),
        label="Step spread, device to device",
        doc=("Device-to-device spread of the step (relative standard deviation; aihwkit dw_min_dtod)."),
    )
    up_down_d2d = param.Number(
        0.05,
        bounds=(0.0, 0.5),
        label="Up/down spread, device to device",
        doc=(
            "Device-to-device spread of the up/down bias a (standard deviation; aihwkit up_down_dtod): each device "
            "gets its own symmetry point."
        ),
    )
    w_max_d2d = param.Number(
        0.0,
        bounds=(0.0, 1.0),
        label="Upper-bound spread, device to device",
        doc=(
            "Device-to-device spread of the upper bound around 1 (relative standard deviation; aihwkit w_max_dtod): on "
            "soft bounds it moves each device's symmetry point."
        ),
    )
    w_min_d2d = param.Number(
        0.0,
        bounds=(0.0, 1.0),
        label="Lower-bound spread, device to device",
        doc=("Device-to-device spread of the lower bound around -1 (relative standard deviation; aihwkit w_min_dtod)."),
    )
    c2c = param.Number(
        0.3,
        bounds=(0.0, 5.0),
        label="Step spread, pulse to pulse",
        doc="Cycle-to-cycle spread of each pulse's step (relative).",
    )
    write_noise = param.Number(
        0.0,
        bounds=(0.0, 200.0),
        label="Write noise (steps)",
        doc=("Write noise in units of dw_min: redrawn at each pulse, seen by every read (aihwkit write_noise_std)."),
    )
    lr = _positive(
        "Learning rate", 0.03, "SGD learning rate of the network (per sample).", 10.0, soft=(0.001, 1.0), step=0.001
    )
    lr_h = _positive(
        "Transfer rate",
        0.01,
        "Tiki-Taka transfer learning rate (C += lr_h A; H += lr_h (A - R)/dw_min).",
        10.0,
        soft=(0.001, 0.1),
        step=0.001,
    )
    transfer_every = param.Integer(
        1,
        bounds=(1, 10000),
        label="Transfer every (samples)",
        doc="Samples between two transfers (one row of A per layer each).",
    )
    reference_offset = param.Number(
        0.0,
        bounds=(0.0, 1.0),
        doc=(
            "Standard deviation of the reference R around each device's own symmetry point (TTv2, c-TTv2): the "
            "error of the reference programming, on top of it."
        ),
    )
    chopper_p = param.Number(
        0.05,
        bounds=(0.0, 1.0),
        label="Chopper flip probability",
        doc="Probability that a row's chopper flips after its read (c-TTv2, AGAD).",
    )
    bl = param.Integer(31, bounds=(1, 64), label="Pulse-train length (slots)", doc="Slots of each pulse train.")
    max_steps = param.Integer(
        1,
        bounds=(1, tk.MAX_TRANSFER_PULSES),
        label="Max pulses per transfer",
        doc=(
            "Most pulses a device of C takes in one transfer (TTv2, c-TTv2, AGAD; aihwkit's transfer desired_bl, "
            "1 by default); pulses beyond it are counted."
        ),
    )
    forget_buffer = param.Boolean(
        True,
        label="Forget buffer",
        doc=(
            "After a transfer pulses a device, its buffer H becomes momentum H (aihwkit's default) instead of "
            "H minus (1 - momentum) times the pulses sent."
        ),
    )
    momentum = param.Number(
        0.0,
        bounds=(0.0, 1.0),
        label="Buffer momentum",
        doc=(
            "Share of the buffer kept after a transfer (aihwkit: 0 for the chopped compounds, 0.1 for "
            "BufferedTransferCompound)."
        ),
    )
    read_noise = param.Number(
        0.06,
        bounds=(0.0, 1.0),
        doc=(
            "Additive output noise of each read, in units of a full-scale input times a unit weight "
            "(aihwkit IOParameters.out_noise 0.06)."
        ),
    )
    dac_bits = param.Integer(7, bounds=(0, 16), label="DAC bits", doc="Input DAC resolution in bits (0: ideal).")
    adc_bits = param.Integer(
        9, bounds=(0, 16), label="ADC bits", doc="Output ADC resolution in bits over +-out_bound (0: ideal)."
    )
    out_bound = param.Number(
        12.0,
        bounds=(0.0, 1000.0),
        label="ADC output range",
        doc="ADC range in the same units as read_noise (0: no clipping).",
    )
    hidden = param.Integer(32, bounds=(1, 512), doc="Hidden units (digits MLP).")
    label_noise = param.Number(
        0.1,
        bounds=(0.0, 10.0),
        doc=(
            "Standard deviation of the Gaussian noise on each target output (5 x 5 task): the gradient stays "
            "noisy at the optimum, as with real data."
        ),
    )
    epochs = param.Integer(10, bounds=(1, 1000), doc="Epochs of `train` and of a run.")
    seed = param.Integer(
        0, bounds=(0, 2**31 - 1), doc="Seed of the initial weights, devices, sample order, pulses and reads."
    )

    def __init__(self, **params: Any) -> None:
        preset = DEVICE_PRESETS[params.get("device", self.param.device.default)]
        task = TASK_PRESETS.get(params.get("task", self.param.task.default))  # unknown: Param names it
        task = task.settings() if task else {}
        super().__init__(**{**preset.settings(), **task, **params})  # given values win
        preset_keys = {k for p in TASK_PRESETS.values() for k in p.settings()}
        self.param.watch(self._apply_presets, ["device", "task", *DEVICE_PARAMS, *sorted(preset_keys)])

    def _apply_presets(self, *events):
        """A new `device` or `task` sets its preset's values, except those set in the same batch
        (``param.update(device=..., n_states=...)``, as a shared link's query does): given values win."""
        given = {e.name for e in events}
        values = {}
        if "device" in given:
            values.update(DEVICE_PRESETS[self.device].settings())
        if "task" in given:
            values.update(TASK_PRESETS[self.task].settings())
        values = {k: v for k, v in values.items() if k not in given}
        if values:
            self.param.update(**values)

    def symmetry_point(self) -> float:
        """Weight at which up and down steps are equal (`symmetry_point`)."""
        return symmetry_point(self.asymmetry, self.slope)

    def check(self) -> None:
        """Raise ValueError naming `asymmetry` when the symmetry point lies outside the weight range."""
        sp = self.symmetry_point()
        if not -1.0 < sp < 1.0:
            raise ValueError(
                f"asymmetry must put the symmetry point a / s inside the weight range (-1, 1); "
                f"got a = {self.asymmetry:g}, s = {self.slope:g}: a / s = {sp:g}"
            )

    def snapshot(self) -> dict[str, Any]:
        """The settings as a plain dict (what a run is a pure function of)."""
        return {k: getattr(self, k) for k in OnChipTraining.param if k != "name"}

    def kernel_records(self) -> tuple[tk.Device, tk.ReadOut, tk.Algorithm]:
        """These settings as the kernels' records (`kernel_records`)."""
        return kernel_records(self.snapshot())

    def run(self, digits: Digits | None = None) -> OnChipRun:
        """A fresh run of these settings: an `OnChipRun` (digits MLP) or a `CorrelationRun` (5 x 5)."""
        self.check()
        if self.task == "5 x 5 correlation":
            return CorrelationRun(self.snapshot())
        return OnChipRun(self.snapshot(), digits=digits)

    def train(self, epochs: int | None = None, digits: Digits | None = None) -> list[Point]:
        """Train for `epochs` (default `self.epochs`) and return the run's per-epoch `history`."""
        run = self.run(digits)
        run.run_epochs(self.epochs if epochs is None else epochs)
        return run.history


def kernel_records(settings: Mapping[str, Any]) -> tuple[tk.Device, tk.ReadOut, tk.Algorithm]:
    """The `kernels.tile_training` records of a settings snapshot (`OnChipTraining.snapshot`): the
    `Device` (``dw_min = 2 / n_states``), the `ReadOut` (DAC and ADC levels per sign ``2^(bits - 1)
    - 1``, 0 for 0 bits; an ideal read-out, all zeros, for floating-point SGD) and the `Algorithm`
    (AGAD's tail weightening `AGAD_TAIL_WEIGHTENING`). The one conversion from settings to kernel
    arguments: every run and view builds its records here."""
    s = settings
    dev = tk.Device(2.0 / s["n_states"], float(s["slope"]), float(s["c2c"]), float(s["write_noise"]))
    if s["algorithm"] == "float SGD":
        io = tk.ReadOut(0.0, 0.0, 0.0, 0.0)
    else:
        io = tk.ReadOut(
            float(s["read_noise"]),
            float(2 ** (s["dac_bits"] - 1) - 1 if s["dac_bits"] else 0),
            float(2 ** (s["adc_bits"] - 1) - 1 if s["adc_bits"] else 0),
            float(s["out_bound"]),
        )
    alg = tk.Algorithm(
        float(s["lr"]),
        float(s["lr_h"]),
        float(s["transfer_every"]),
        float(s["chopper_p"]),
        float(s["bl"]),
        float(s["momentum"]),
        float(s["forget_buffer"]),
        float(s["max_steps"]),
        AGAD_TAIL_WEIGHTENING,
    )
    return dev, io, alg


def _scales(n_in, n_hidden):
    """Digital scale of each layer: He-uniform initial weights (bound sqrt(6 / fan_in), fan_in
    counting the bias row) map to +-0.5 on the tiles, leaving room to grow."""
    return np.array([2.0 * math.sqrt(6.0 / (n_in + 1)), 2.0 * math.sqrt(6.0 / (n_hidden + 1))])


@dataclasses.dataclass
class Point:
    """One point of a run's curves."""

    samples: int
    epoch: float
    train_loss: float
    test_loss: float
    test_accuracy: float
    pulses: int
    chip_time_s: float
    weight_error: float = math.nan
    """``||W - W*|| / ||W*||`` of the 5 x 5 task (NaN for the digits, whose accuracy is the measure)."""
    capped_pulses: int = 0
    """Pulses the transfers so far held back because of ``max_steps`` (lost with a forgotten buffer,
    kept in H otherwise, then counted at every transfer that holds them back)."""


def device_steps(
    seed: int, n_states: int, d2d: float, tile: int, count: int, asymmetry: float = 0.0, up_down_d2d: float = 0.0
) -> np.ndarray:
    """The up and down steps, shape (2, count), of the first `count` devices of a run's `tile` (0, 1:
    the layers' C; 2, 3: their A), as aihwkit draws a pulsed device's: a step ``dw = dw_min max(1 +
    d2d z, 0.05)`` (``dw_min = 2 / n_states``; ``dw_min_dtod``) and a bias ``b = asymmetry +
    up_down_d2d z'`` (``up_down_dtod``), clipped to [-0.99, 0.99]; up step ``dw (1 + b)``, down
    step ``dw (1 - b)``. z and z' are standard normal, independent per device, from two device
    streams of `seed`'s weights purpose."""
    dev_seed = rng.derive_seed(seed, "weights", 8)
    z = rng.numpy_normal(dev_seed, rng.STREAM_DEVICE + 100 * tile, count)
    dw = 2.0 / n_states * np.maximum(1.0 + d2d * z, 0.05)
    bias = np.full(count, float(asymmetry))
    if up_down_d2d > 0.0:
        bias += up_down_d2d * rng.numpy_normal(dev_seed, rng.STREAM_DEVICE + 100 * tile + 1, count)
    bias = np.clip(bias, -0.99, 0.99)
    return np.stack([dw * (1.0 + bias), dw * (1.0 - bias)])


BOUND_FLOOR = 0.05
"""Smallest bound magnitude `device_bounds` gives a device (this model's guard, as the step's floor
in `device_steps`: aihwkit lets a bound reach 0, where a soft-bounds step has no scale)."""


def device_bounds(seed: int, tile: int, count: int, w_max_d2d: float = 0.0, w_min_d2d: float = 0.0) -> np.ndarray:
    """The upper bounds and the magnitudes of the lower bounds, shape (2, count), of the first
    `count` devices of a run's `tile` (as `device_steps`), as aihwkit's ``PulsedRPUDevice::populate``
    draws them (``rpu_pulsed_device.cpp``) on the nominal range [-1, 1]: ``b_hi = 1 + w_max_d2d z``,
    ``b_lo' = -(1 + w_min_d2d z')`` (``w_max_dtod``, ``w_min_dtod``), swapped when ``b_lo' > b_hi``,
    then ``b_hi = |b_hi|``, ``b_lo = |b_lo'|`` (its ``enforce_consistency``), each at least
    `BOUND_FLOOR`. z and z' are standard normal, independent per device, from two more device
    streams of `seed`'s weights purpose. Spreads of 0 give bounds of exactly +-1."""
    hi, lo = np.ones(count), -np.ones(count)
    dev_seed = rng.derive_seed(seed, "weights", 8)
    if w_max_d2d > 0.0:
        hi = hi + w_max_d2d * rng.numpy_normal(dev_seed, rng.STREAM_DEVICE + 100 * tile + 2, count)
    if w_min_d2d > 0.0:
        lo = lo * (1.0 + w_min_d2d * rng.numpy_normal(dev_seed, rng.STREAM_DEVICE + 100 * tile + 3, count))
    swap = lo > hi
    hi, lo = np.where(swap, lo, hi), np.where(swap, hi, lo)
    return np.maximum(np.stack([np.abs(hi), np.abs(lo)]), BOUND_FLOOR)


class OnChipRun:
    """A steppable on-chip training of the digits MLP (see `OnChipTraining`): `step(samples)` trains
    that many samples (across epoch ends) and returns a `Point`; `run_epochs(n)` trains whole
    epochs. `points` and `history` (one `Point` per completed epoch) grow as it trains. One thread
    steps at a time (a lock); another may read `points`."""

    RECORD_EVERY = None
    """Samples between two points of the curves (None: one point per `step`)."""
    LAYERS = 2
    READS_PER_SAMPLE = 3
    """Array reads per training sample: forward through both layers, backward through the second
    (the input layer needs no backward read)."""

    def __init__(self, settings: Mapping[str, Any], digits: Digits | None = None) -> None:
        self.settings = dict(settings)
        s = self.settings
        self.algorithm = s["algorithm"]
        self.dev, self.io, self.alg = kernel_records(s)
        seed = s["seed"]
        self.keys = tk.make_keys(rng.derive_seed(seed, "training", 1))
        self.eval_keys = tk.make_keys(rng.derive_seed(seed, "read", 1))
        self._order_seed = rng.derive_seed(seed, "training", 2)
        self._setup(digits)
        self.samples = 0
        self.pulses = 0
        self.transfers = 0
        self.capped_pulses = 0
        self._loss_sum = 0.0  # since the last point
        self._loss_n = 0
        self._epoch_loss_sum = 0.0  # since the epoch began
        self.points = []
        self.history = []
        self._lock = threading.Lock()
        self.points.append(self._point(float("nan")))

    def _setup(self, digits):
        """The data, the digital scales and the initial tiles."""
        s = self.settings
        data = load_digits() if digits is None else digits
        self.X, self.y = data.X_train, data.y_train
        self.X_test, self.y_test = data.X_test, data.y_test
        n_in, nh, n_out = self.X.shape[1], s["hidden"], int(self.y.max()) + 1
        self.scales = _scales(n_in, nh)
        self.state = self._initial_state([(n_in + 1, nh), (nh + 1, n_out)], s["seed"])

    def _initial_state(self, shapes, seed):
        """Tiles of the given shapes: C from the weights stream (uniform in [-0.5, 0.5], the last row,
        the biases, at 0; each clipped to its device's bounds), the devices' own up and down steps
        and bounds, A at rest at its devices' own symmetry points, the reference R at those points
        plus its offset error, AGAD's running mean and reference at A's initial state."""
        s = self.settings
        r = np.random.default_rng(rng.derive_seed(seed, "weights", 7))
        C = [r.uniform(-0.5, 0.5, shape) for shape in shapes]
        for c in C:
            c[-1] = 0.0  # biases start at 0
        dev_seed = rng.derive_seed(seed, "weights", 8)

        def steps(index, shape):
            n = shape[0] * shape[1]
            return np.vstack(
                [
                    device_steps(seed, s["n_states"], s["d2d"], index, n, s["asymmetry"], s["up_down_d2d"]),
                    device_bounds(seed, index, n, s["w_max_d2d"], s["w_min_d2d"]),
                ]
            ).reshape((4, *shape))

        D = [steps(layer, sh) for layer, sh in enumerate(shapes)]
        E = [steps(2 + layer, sh) for layer, sh in enumerate(shapes)]
        C = [np.clip(c, -d[3], d[2]) for c, d in zip(C, D)]
        rest = [device_symmetry_points(e, s["slope"]) for e in E]  # A's devices' own symmetry points
        R = [
            w + s["reference_offset"] * rng.numpy_normal(dev_seed, 50 + layer, sh[0] * sh[1]).reshape(sh)
            for layer, (w, sh) in enumerate(zip(rest, shapes))
        ]

        def zeros():
            return [np.zeros(sh) for sh in shapes]

        return tk.TileState(
            C=C,
            Cn=zeros(),
            D=D,
            A=[w.copy() for w in rest],
            An=zeros(),
            E=E,
            H=zeros(),
            R=R,
            P=[w.copy() for w in rest],
            S=[np.hstack([w, np.zeros((w.shape[0], 1))]) for w in rest],
            chop=[np.ones(sh[0]) for sh in shapes],
        )

    @property
    def epoch_size(self) -> int:
        """Samples of one epoch."""
        return self.X.shape[0]

    @property
    def epoch(self) -> float:
        """Epochs trained so far (fractional)."""
        return self.samples / self.epoch_size

    def chip_time_s(self) -> float:
        """Array time of the run so far: per sample `READS_PER_SAMPLE` reads and one update cycle
        (`bl` slots) per layer; per transfer one read and one pulse cycle per layer (`READ_TIME_S`,
        `SLOT_TIME_S`: assumptions). Digital work is not counted."""
        if self.algorithm == "float SGD":
            return 0.0
        cycle = self.settings["bl"] * SLOT_TIME_S
        per_sample = self.READS_PER_SAMPLE * READ_TIME_S + self.LAYERS * cycle
        per_transfer = self.LAYERS * (READ_TIME_S + cycle)
        return self.samples * per_sample + self.transfers * per_transfer

    def _order(self, epoch):
        return np.random.default_rng([self._order_seed, epoch]).permutation(self.X.shape[0])

    def _train(self, epoch, start, stop):
        """Train the samples `start` to `stop` of `epoch` (the kernel's tallies)."""
        order = self._order(epoch)[start:stop]
        return tk.train_samples(
            self.state,
            self.X,
            self.y,
            order,
            self.samples,
            self.algorithm,
            self.scales,
            self.dev,
            self.io,
            self.alg,
            self.keys,
        )

    def evaluate(self) -> tuple[float, float]:
        """(test loss, test accuracy) of the network now, read through the read-out."""
        loss, correct = tk.evaluate(
            self.state, self.X_test, self.y_test, self.scales, self.io, self.eval_keys, self.samples * 4096
        )
        n = self.X_test.shape[0]
        return loss / n, correct / n

    def _point(self, train_loss):
        test_loss, acc = self.evaluate()
        return Point(
            self.samples,
            self.epoch,
            train_loss,
            test_loss,
            acc,
            self.pulses,
            self.chip_time_s(),
            capped_pulses=self.capped_pulses,
        )

    def step(self, samples: int) -> Point:
        """Train `samples` more samples (crossing epoch ends) and return the newest `Point`. A point
        is added at the end of the step, or, with `RECORD_EVERY`, at every multiple of it (the same
        points however the run is stepped); its training loss is the mean since the previous point,
        a history point's the mean over its epoch."""
        samples = int(samples)
        if samples < 1:
            raise ValueError(f"samples must be >= 1, got {samples}")
        with self._lock:
            n, every = self.epoch_size, self.RECORD_EVERY
            left = samples
            while left:
                epoch, pos = divmod(self.samples, n)
                take = min(left, n - pos)
                if every:
                    take = min(take, every - self.samples % every)
                out = self._train(epoch, pos, pos + take)
                self._loss_sum += out[0]
                self._loss_n += take
                self._epoch_loss_sum += out[0]
                self.pulses += int(out[2])
                self.transfers += int(out[3])
                self.capped_pulses += int(out[4])
                self.samples += take
                left -= take
                if self.samples % n == 0:
                    self.history.append(self._point(self._epoch_loss_sum / n))
                    self._epoch_loss_sum = 0.0
                if (every and self.samples % every == 0) or (not every and not left):
                    loss = self._loss_sum / self._loss_n
                    last = self.history[-1] if self.history else None
                    same = last is not None and last.samples == self.samples  # evaluated just now
                    self.points.append(dataclasses.replace(last, train_loss=loss) if same else self._point(loss))
                    self._loss_sum, self._loss_n = 0.0, 0
            return self.points[-1]

    def run_epochs(self, epochs: int) -> list[Point]:
        """Train `epochs` whole epochs (from the current position to the end of the last)."""
        n = self.epoch_size
        target = (
            (int(self.epoch) + int(epochs)) * n
            if self.samples % n == 0
            else (math.ceil(self.epoch) + int(epochs) - 1) * n
        )
        while self.samples < target:
            self.step(min(n, target - self.samples))
        return self.history


class CorrelationRun(OnChipRun):
    """A steppable training of the 5 x 5 correlation task (module docstring) on one tile
    (`kernels.tile_training.train_linear`): W starts at 0; each epoch draws `CORRELATION_EPOCH`
    fresh inputs (inputs purpose, index 2, and the epoch) and their noisy targets; a `Point`'s
    ``weight_error`` is ``||W - W*|| / ||W*||`` of the stored weights, its ``test_loss`` the mean
    ``|y - x W*|^2 / 2`` of `CORRELATION_TEST` inputs (index 3) read through the read-out, its
    ``test_accuracy`` NaN."""

    RECORD_EVERY = 50
    """A point every 50 samples: a whole run of the task is only a few of the dashboard's steps (its
    time: docs/results/training.md, "Speed and latency"), and its curves still have 20 points per
    epoch."""
    LAYERS = 1
    READS_PER_SAMPLE = 1
    """The output is read once; the error is formed digitally (no backward read)."""

    def _setup(self, digits):
        s = self.settings
        self.target = CorrelationTask(size=5, target_range=0.5, seed=s["seed"]).target()
        self._inputs_seed = rng.derive_seed(s["seed"], "inputs", 2)
        r = np.random.default_rng(rng.derive_seed(s["seed"], "inputs", 3))
        self.X_test = r.uniform(-1.0, 1.0, (CORRELATION_TEST, self.target.shape[0]))
        self.Y_test = self.X_test @ self.target
        self._epoch_data = (-1, None, None)
        self.state = self._initial_state([self.target.shape], s["seed"])
        self.state.C[0][:] = 0.0  # W starts at 0, as in train_correlation

    @property
    def epoch_size(self) -> int:
        return CORRELATION_EPOCH

    def epoch_samples(self, epoch: int) -> tuple[np.ndarray, np.ndarray]:
        """(inputs, noisy targets) of `epoch`: `CORRELATION_EPOCH` rows each."""
        if self._epoch_data[0] != epoch:
            r = np.random.default_rng([self._inputs_seed, epoch])
            X = r.uniform(-1.0, 1.0, (CORRELATION_EPOCH, self.target.shape[0]))
            noise = r.standard_normal((CORRELATION_EPOCH, self.target.shape[1]))
            Y = X @ self.target + self.settings["label_noise"] * noise
            self._epoch_data = (epoch, X, Y)
        return self._epoch_data[1:]

    def _train(self, epoch, start, stop):
        X, Y = self.epoch_samples(epoch)
        return tk.train_linear(
            self.state,
            X,
            Y,
            np.arange(start, stop),
            self.samples,
            self.algorithm,
            self.dev,
            self.io,
            self.alg,
            self.keys,
        )

    @property
    def weights(self) -> np.ndarray:
        """The tile's stored weights W (5 x 5)."""
        return self.state.C[0]

    def evaluate(self) -> tuple[float, float]:
        """(test loss, weight error) now: the mean ``|y - x W*|^2 / 2`` over the test inputs read
        through the read-out, and ``||W - W*|| / ||W*||``."""
        loss = tk.evaluate_linear(self.state, self.X_test, self.Y_test, self.io, self.eval_keys, self.samples * 4096)
        error = float(np.linalg.norm(self.weights - self.target) / np.linalg.norm(self.target))
        return loss / CORRELATION_TEST, error

    def _point(self, train_loss):
        test_loss, error = self.evaluate()
        return Point(
            self.samples,
            self.epoch,
            train_loss,
            test_loss,
            math.nan,
            self.pulses,
            self.chip_time_s(),
            weight_error=error,
            capped_pulses=self.capped_pulses,
        )
