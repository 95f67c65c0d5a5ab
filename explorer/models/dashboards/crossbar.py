"""Model behind the Crossbar dashboard: conductance maps, outputs, and error sweeps.

Plain Param, no Panel:

    ex = CrossbarExplorer(size=256, adc_bits=6, ir_drop=True)   # read-out settings go to ex.xb
    ex.outputs()["mvm_error"]
    ex.adc_sweep()

The weights and inputs follow the MVM protocol of physics reference section 12
(uniform weights with 30 % zeros, inputs with 50 % zeros), ``size x size``.
Programming happens only when a programming-time setting changes (technology,
mapping, slices, size, stuck-at fractions, programming noise, seed); the other
controls re-read the programmed array.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import param

from kernels import encoding
from kernels.crossbar import mvm_error
from kernels.rng import derive_seed

from ...admission import Cost
from .._internal.locks import serialized
from ..crossbar.protocol_data import protocol_inputs, protocol_weights
from ..devices import DeviceKnobs
from ..programming import METHODS
from .base import KeyFigure
from .devices import format_duration
from .drives_crossbar import DrivesCrossbar

if TYPE_CHECKING:
    from ..crossbar.model import ProgrammedCrossbar

MAX_INTERACTIVE_SIZE = 1024
COST_BYTES_PER_DEVICE = 220.0
"""Peak bytes per device (weight x slice) of building the Crossbar dashboard: the programmed slices,
their read-time moments and the sweeps' reads. Fitted to `python -m explorer.tools.costs`
(docs/results/admission.md) and to issue 25's measurements at 2048 and 4096 (1.8 and 6.3 GB at two
slices), rounded up so that the estimate is not below what was measured at large sizes."""
COST_BYTES_BASE = 48 * 2**20
"""Bytes of a build that do not grow with the matrix (inputs, plot data): from the same measurement."""
COST_SECONDS_PER_DEVICE = 3e-6
"""Seconds of one core per device (weight x slice) of that build: issue 25's 28 s at 2048 and 100 s at
4096, two slices (the timings of `explorer.tools.costs` on a shared machine are noisier)."""
MAX_DISPLAY_PIXELS = 256
MAX_SCATTER_POINTS = 4000
ADC_SWEEP_BITS = tuple(range(2, 13))
WIRE_SWEEP_OHM = tuple(float(r) for r in np.logspace(-2, 1, 10))


def block_mean(a: np.ndarray, max_side: int = MAX_DISPLAY_PIXELS) -> np.ndarray:
    """`a` (2-D) averaged over square blocks so that no side exceeds `max_side` (for display)."""
    k = max(1, -(-max(a.shape) // max_side))
    if k == 1:
        return a
    rows, cols = (a.shape[0] // k) * k, (a.shape[1] // k) * k
    return a[:rows, :cols].reshape(rows // k, k, cols // k, k).mean(axis=(1, 3))


class CrossbarExplorer(DrivesCrossbar, DeviceKnobs):
    """A protocol weight matrix on a crossbar: DAC, devices, IR drop, ADC.

    Technology, time and seed come from `Explorer`; the device knobs (noise and drift scales,
    temperature) from `DeviceKnobs`, set on the crossbar model's device.
    """

    mapping = param.Selector(default="differential", objects=list(encoding.MAPPINGS), doc="Signed-weight mapping.")
    n_slices = param.Integer(2, bounds=(1, 4), doc="Slices per weight (4 bits each, base 16).")
    size = param.Integer(
        256,
        bounds=(16, 4096),
        softbounds=(16, MAX_INTERACTIVE_SIZE),
        step=16,
        doc="Rows and columns of the weight matrix (above 1024: slow).",
    )
    batch = param.Integer(64, bounds=(1, 1024), doc="Input vectors per read.")
    log10_wire_resistance = param.Number(
        np.log10(0.35), bounds=(-2.0, 1.0), step=0.05, doc="Wire resistance per cell segment, log10 of ohm."
    )
    stuck_fraction = param.Number(
        0.0, bounds=(0.0, 0.1), step=0.001, doc="Devices stuck, half at g_max and half at g_min (programming time)."
    )
    programming_method = param.Selector(
        default="statistical",
        objects=list(METHODS),
        label="Programming method",
        doc=(
            "How the array is programmed: the post-verify statistics of the cited "
            "papers, or a pulse-level method with its default knobs (the "
            "Programming tab shows its run)."
        ),
    )
    shown_slice = param.Integer(0, bounds=(0, 3), doc="Slice shown in the conductance maps (0: most significant).")

    READ_CONTROLS = ("dac_bits", "adc_bits", "adc_range", "ir_drop", "calibrate_gain", "common_mode_gain")
    XB_DEFAULTS = {"calibrate_gain": True}
    MEMO_LIMITS = {"problem": 1, "programmed": 1, "outputs": 2}
    """Also two reads' outputs: at the largest size and batch their errors take 32 MB each."""

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._apply()

    def cost(self) -> Cost:
        """Estimated peak memory and work of the dashboard's charts: they grow with the devices,
        size x size x slices (`COST_BYTES_PER_DEVICE`, `COST_SECONDS_PER_DEVICE`, measured)."""
        devices = self.size * self.size * self.n_slices
        return Cost(
            int(COST_BYTES_BASE + COST_BYTES_PER_DEVICE * devices),
            COST_SECONDS_PER_DEVICE * devices,
            f"a Crossbar matrix of {self.size} x {self.size} with {self.n_slices} slice(s)",
        )

    @property
    def wire_resistance_ohm(self) -> float:
        return float(10.0**self.log10_wire_resistance)

    @param.depends(
        "technology", "mapping", "n_slices", "log10_wire_resistance", "stuck_fraction", *DeviceKnobs.KNOBS, watch=True
    )
    @serialized
    def _apply(self):
        """Set the crossbar model's settings that this dashboard shows in its own terms (slices of
        4 bits in base 16, a log-scale wire resistance, one stuck fraction split evenly, device
        knobs kept across technologies)."""
        xb = self.xb
        xb.param.update(
            technology=self.technology,
            mapping=self.mapping,
            n_slices=self.n_slices,
            weight_bits=4 * self.n_slices,
            base=16.0,
            wire_resistance_ohm=self.wire_resistance_ohm,
            stuck_on_fraction=self.stuck_fraction / 2,
            stuck_off_fraction=self.stuck_fraction / 2,
        )
        xb.device.param.update(**{knob: getattr(self, knob) for knob in DeviceKnobs.KNOBS})

    @serialized
    def problem(self) -> tuple[np.ndarray, np.ndarray]:
        """Protocol weights ``(size, size)`` and inputs ``(batch, size)``, from the weights and
        inputs seeds derived from `seed`."""
        return self.remember(
            "problem",
            (self.size, self.batch, self.seed),
            lambda: (
                protocol_weights(self.size, self.size, derive_seed(self.seed, "weights")),
                protocol_inputs(self.batch, self.size, derive_seed(self.seed, "inputs")),
            ),
        )

    @property
    def array_key(self) -> tuple:
        """Every input of the programmed array, hashable. A pulse-level method reads while it
        programs (verify reads, GDP's MVMs through the whole read-out), so its array depends on
        the read-time settings too."""
        xb = self.xb
        reads = xb.read_settings().key() if self.programming_method != "statistical" else ()
        return xb.programming_settings().key(), self.size, self.seed, self.programming_method, reads

    @serialized
    def programmed(self) -> ProgrammedCrossbar:
        """The programmed crossbar, reprogrammed only when a programming-time setting changes
        (the crossbar model's programming-time snapshot, the size, the seed, the programming
        method, and for a pulse-level method the read-time settings it programmed with)."""
        xb = self.xb
        return self.remember(
            "programmed",
            self.array_key,
            lambda: xb.program(
                self.problem()[0], seed=derive_seed(self.seed, "programming"), method=self.programming_method
            ),
        )

    # ------------------------------------------------------------------ plot data

    @serialized
    def conductance_maps(self) -> dict[str, Any]:
        """G+ and G- (uS) of the shown slice, block-averaged to at most 256 x 256 for display."""
        prog = self.programmed()
        g = prog.slice_conductances(self.t)
        s = min(self.shown_slice, prog.n_slices - 1)
        plus = block_mean(g["plus"][s])
        minus = block_mean(g["minus"][s]) if g["minus"] is not None else None
        return {
            "plus": plus,
            "minus": minus,
            "slice": s,
            "slice_bits": prog.slice_bits[s],
            "block": max(1, -(-self.size // MAX_DISPLAY_PIXELS)),
            "g_max": prog.device.g_max,
            "mapping": prog.mapping,
        }

    @serialized
    def outputs(self) -> dict[str, Any]:
        """Ideal and analog outputs of the batch, the normalized error, and the read statistics.
        Kept (`remember`) per setting but the slice shown: the plots and `key_figures` read one result."""
        own, read, prog = self.snapshot_key()
        key = tuple(item for item in own if item[0] != "shown_slice"), read, prog
        return self.remember("outputs", key, self._outputs)

    def key_figures(self) -> tuple[KeyFigure, ...]:
        """The MVM error, the output errors' standard deviation, the ADC clipping and the gain factor
        of one read of the batch (the outputs plots' titles), from the kept `outputs`."""
        d = self.outputs()
        at = (
            f"{self.size} x {self.size} protocol matrix, {self.batch} inputs, {self.technology}, "
            f"read at t = {format_duration(self.t)}"
        )
        return (
            KeyFigure("MVM error", 100 * d["mvm_error"], "%", f"mean |y - y_ideal| / |y_ideal| over {at} (outputs())"),
            KeyFigure(
                "Output error SD",
                100 * float(np.std(d["error"])),
                "%",
                f"standard deviation of (y - y_ideal) / rms(y_ideal) over every output of {at} (outputs())",
            ),
            KeyFigure("ADC clipping", 100 * d["adc_clip_fraction"], "%", f"conversions clipped, {at} (outputs())"),
            KeyFigure(
                "Gain factor",
                d["stats"]["gain_factor"],
                "",
                f"global gain calibration factor applied to the outputs, {at} (outputs())",
            ),
        )

    def _outputs(self):
        W, X = self.problem()
        prog = self.programmed()
        y, stats = prog.mvm(X, t=self.t, seed=self.read_seed, return_stats=True, settings=self.xb.read_settings())
        ideal = X @ W
        scale = float(np.sqrt(np.mean(ideal**2))) or 1.0
        err = ((y - ideal) / scale).ravel()
        pick = np.arange(err.size)
        if err.size > MAX_SCATTER_POINTS:
            pick = np.linspace(0, err.size - 1, MAX_SCATTER_POINTS).astype(int)
        return {
            "ideal": ideal.ravel()[pick],
            "analog": y.ravel()[pick],
            "error": err,
            "mvm_error": mvm_error(y, ideal),
            "stats": stats,
            "adc_clip_fraction": stats["adc_clipped"] / max(stats["adc_conversions"], 1),
        }

    def _sweep(self, changes):
        """MVM error and largest IR loss of one read per entry of `changes` (dicts of read-time
        settings applied to the current ones), same array and read seed."""
        W, X = self.problem()
        prog = self.programmed()
        ideal = X @ W
        current = self.xb.read_settings()
        errs, worst = [], []
        for values in changes:
            y, stats = prog.mvm(X, t=self.t, seed=self.read_seed, return_stats=True, settings=current.replace(**values))
            errs.append(mvm_error(y, ideal))
            worst.append(stats["ir_drop_max"])
        return np.array(errs), np.array(worst)

    @serialized
    def adc_sweep(self, bits: Sequence[int] = ADC_SWEEP_BITS) -> dict[str, Any]:
        """MVM error versus ADC bits (same array, same read seed), and the current setting's bits."""
        errs, _ = self._sweep([{"adc_bits": int(b)} for b in bits])
        return {"bits": np.array(bits), "mvm_error": errs, "current": self.xb.adc_bits}

    @serialized
    def wire_sweep(self, resistances: Sequence[float] = WIRE_SWEEP_OHM) -> dict[str, Any]:
        """MVM error versus wire resistance (IR drop on), with the largest first-order loss r(A+B)."""
        errs, worst = self._sweep([{"ir_drop": True, "wire_resistance_ohm": float(r)} for r in resistances])
        return {
            "wire_resistance_ohm": np.array(resistances),
            "mvm_error": errs,
            "ir_drop_max": worst,
            "current": self.wire_resistance_ohm,
        }
