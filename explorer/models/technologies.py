"""The technology table (seed section 6.1): the seed's qualitative comparison of PCM, RRAM and NOR
Flash, beside figures this project's models compute for each technology preset (default knobs).

    table = TechnologyTable(seed=0, chips=5)
    table.cell("error_1y", "PCM")      # a `Cell`: value, unit, how it was computed
    table.step()                       # the next cell not computed yet (None when all are)
    table.table_csv()                  # every computed cell as CSV (value, unit, how per cell)

Each computed row (`ROWS`) is a pure function of the technology, `seed` and `chips`; its cells are
immutable (`Cell` is a frozen dataclass) and memoised: in the table's own `Memo`, and in `shared`
(the views' `SharedResults`: every session of a server) when there is one. The cells of one
technology that come from one computation (the four weight errors, say) are computed together.

What each row computes (each cell's `how` says it in one line):

* effective bits after programming: 4,096 devices at 256 evenly spaced targets over the device's
  range (the `Device.level_targets` levels, 16 devices each) programmed with the post-verify
  statistics of the cited papers (`Device.program`), their mean conductance read right after
  programming (t = 0, no read noise); ``log2(span / (sqrt(12) rms error))``, the bits of an ideal
  quantizer of the same range with the same rms error (the ADC convention of an "effective number
  of bits");
* weight error at 1 day and 1 year, without and with global drift compensation: a 64 x 64 matrix
  of the MVM protocol (section 12) on one differential pair per weight, ideal DAC and ADC; the
  relative Frobenius error of the held weights (`ProgrammedCrossbar.weight_error`), and of the held
  weights times the global compensation factor ``ref / mean|y_cal(t)|`` (physics reference
  section 8, `ProgrammedCrossbar.gain_factor`: calibration reads with their read noise);
* program-and-verify pulses and chip time per weight: the same matrix programmed by
  `ProgrammingMethod` "verify" at the Programming tab's defaults (2 % tolerance, 100 iterations,
  a row verified at once), its total pulses and chip time over the 4,096 weights;
* reads before a 2-point accuracy loss: the digits MLP deployed on the chips (one differential
  pair per weight, ideal DAC and ADC) and read after each count of the Reliability tab's grids
  (RRAM: unipolar reads at `RRAM_DISTURB_V`; Flash: inference reads with 128 cells per bit line);
  PCM has no read-disturb model: "not modelled";
* program/erase cycles before a 2-point loss: Flash only (oxide wear, `FlashDevice.pe_cycles`),
  accuracy after `CYCLES` cycles at `WEAR_TIME_S` of retention against the 10-cycle chips; PCM and
  RRAM wear is not modelled;
* energy per MAC: the array's read energy of one weight's devices, ``n V^2 G t``, plus one ADC
  conversion shared by the rows of a column, with the constants of `ENERGY_ASSUMPTIONS` (each says
  its source or that it is illustrative), G the mean device conductance of the programmed matrix.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import param

from kernels import flash
from kernels.rng import derive_seed

from ._internal.memo import Memo
from .crossbar.model import CrossbarModel
from .crossbar.protocol_data import protocol_weights
from .deployment import (
    READ_DISTURB_TIME_S,
    accuracy_vs_cycles,
    accuracy_vs_flash_reads,
    accuracy_vs_reads,
    reads_before_loss,
)
from .devices import SECONDS_PER_YEAR, DeviceModel
from .programming import PULSE_COSTS

TECHNOLOGIES_COMPARED = ("PCM", "RRAM", "Flash")
"""The technologies of the table of seed section 6.1, each its preset with default knobs."""
DAY_S = 86400.0
YEAR_S = SECONDS_PER_YEAR
MATRIX_SIZE = 64
"""Rows and columns of the protocol matrix of the weight-error, verify and energy rows."""
LEVELS, DEVICES_PER_LEVEL = 256, 16
"""The effective-bits row's targets: 256 levels over the device range, 16 devices each."""
ACCURACY_LOSS = 0.02
"""The accuracy loss (2 points) at which the reads and cycles rows count."""
RRAM_DISTURB_V = 0.4
"""RRAM read voltage of the reads row (V): the Reliability tab's read-disturb default, and NVSim's
read voltage (physics reference section 7b). At or below the model's 0.3 V threshold the reads
leave the states where they are (`RRAMDevice.disturb_v_threshold`)."""
RRAM_READS = (0, 10**3, 10**4, 3 * 10**4, 10**5, 3 * 10**5, 10**6, 3 * 10**6, 10**7, 10**8, 10**10)
"""RRAM read counts (the Reliability tab's `READS`)."""
FLASH_READS = (0, 10**4, 10**5, 10**6, 3 * 10**6, 10**7, 3 * 10**7, 10**8, 3 * 10**8, 10**9)
"""Flash inference-read counts (the Reliability tab's `FLASH_READS`)."""
CYCLES = (10, 100, 1000, 3000, 10**4, 3 * 10**4, 10**5, 3 * 10**5, 10**6)
"""Flash program/erase cycles: the Reliability tab's grid (10 to 1e5) extended to the model's
largest count, 1e6 (past the 1e4 to 1e5 endurance of physics reference section 4)."""
WEAR_TIME_S = YEAR_S
"""Retention time at which the cycles row compares worn chips with fresh ones (wear speeds up the
charge loss, so it shows more after a year than after an hour)."""
VERIFY = dict(tolerance=0.02, max_iterations=100)
"""Program-and-verify knobs of the pulses and chip-time rows: the Programming tab's defaults."""


@dataclass(frozen=True)
class Assumption:
    """One constant of the energy estimate: its value, unit and where it comes from."""

    value: float
    unit: str
    source: str


ENERGY_ASSUMPTIONS = {
    "read_voltage_V": {
        "PCM": Assumption(0.2, "V", "illustrative (no PCM read voltage in the physics reference)"),
        "RRAM": Assumption(0.4, "V", "NVSim's RRAM read, physics reference section 7b (a simulator default)"),
        "Flash": Assumption(flash.V_DS, "V", "the Flash model's drain voltage (kernels.flash.V_DS)"),
    },
    "integration_time_s": Assumption(100e-9, "s", "illustrative: one MVM's read pulse, the same for all"),
    "adc_energy_J": Assumption(1e-12, "J", "illustrative: one 8-bit conversion"),
    "rows_per_conversion": Assumption(256, "rows", "illustrative: one conversion per column of a 256-row array"),
    "devices_per_weight": Assumption(2, "devices", "one differential pair per weight (this table's encoding)"),
}
"""The energy-per-MAC estimate's constants (`energy_per_mac`)."""


@dataclass(frozen=True)
class Row:
    """A computed row: its key, label, unit and how its cells are formatted (`digits` after the
    point, or a count in 1.2e6 style)."""

    key: str
    label: str
    unit: str
    style: str = "fixed"
    digits: int = 2


ROWS = (
    Row("effective_bits", "Effective bits after programming", "bits", digits=1),
    Row("error_1d", "Weight error at 1 day", "%", digits=2),
    Row("error_1d_comp", "Weight error at 1 day, global compensation", "%", digits=2),
    Row("error_1y", "Weight error at 1 year", "%", digits=2),
    Row("error_1y_comp", "Weight error at 1 year, global compensation", "%", digits=2),
    Row("verify_pulses", "Program-and-verify pulses per weight", "pulses", digits=0),
    Row("verify_time", "Program-and-verify chip time per weight", "µs", digits=2),
    Row("reads", "Reads before a 2-point accuracy loss", "reads", style="count"),
    Row("cycles", "P/E cycles before a 2-point accuracy loss", "cycles", style="count"),
    Row("energy", "Energy per MAC (estimate)", "fJ", digits=1),
)
ROW_KEYS = tuple(r.key for r in ROWS)
_ROW = {r.key: r for r in ROWS}

STATUSES = ("value", "lower bound", "not modelled")
"""A cell's status: a value; a lower bound (the loss was not reached within the modelled counts:
"> N"); or no model of the effect for this technology."""


@dataclass(frozen=True)
class Cell:
    """One computed cell: `value` in `unit` (NaN when not modelled), its chip-to-chip standard
    deviation `spread` (NaN when there is none), `status` (`STATUSES`) and `how` (one line: what was
    computed)."""

    row: str
    technology: str
    value: float
    unit: str
    how: str
    status: str = "value"
    spread: float = float("nan")

    def text(self) -> str:
        """The cell as the table shows it: "12.3 %", "> 1e10 reads", "not modelled"."""
        if self.status == "not modelled":
            return "not modelled"
        row = _ROW[self.row]
        number = _count(self.value) if row.style == "count" else f"{self.value:.{row.digits}f}"
        if row.style != "count" and math.isfinite(self.spread):
            number += f" ± {self.spread:.{row.digits}f}"
        return f"{'> ' if self.status == 'lower bound' else ''}{number} {self.unit}"


def _count(x):
    mantissa, exponent = f"{x:.1e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


QUALITATIVE_SOURCE = "seed section 6.1 (Table 1), its citations left out"
QUALITATIVE = (
    (
        "Physical mechanism",
        {
            "PCM": "Amorphous/crystalline phase transition (volume fraction)",
            "RRAM": "Filament formation/rupture (geometry modulation)",
            "Flash": "Floating-gate charge storage (threshold-voltage shift)",
        },
    ),
    (
        "Weight encoding",
        {
            "PCM": "Analog conductance (partial RESET)",
            "RRAM": "Analog conductance (filament width)",
            "Flash": "Subthreshold V_th modulation",
        },
    ),
    (
        "Primary non-ideality",
        {
            "PCM": "Conductance drift (structural relaxation)",
            "RRAM": "Stochasticity/RTN (ion hopping)",
            "Flash": "Endurance (oxide degradation)",
        },
    ),
    (
        "Drift coefficient (ν)",
        {
            "PCM": "High (~0.01 - 0.1)",
            "RRAM": "Low (filament is thermodynamically stable)",
            "Flash": "Low (excellent charge retention)",
        },
    ),
    (
        "Write latency",
        {
            "PCM": "Medium (iterative required for precision)",
            "RRAM": "Fast (~10 - 100 ns)",
            "Flash": "Slow (high-voltage tunnelling, µs-ms)",
        },
    ),
    (
        "Endurance",
        {"PCM": "High (1e8 - 1e9 cycles)", "RRAM": "High (1e6 - 1e12 cycles)", "Flash": "Low (1e4 - 1e5 cycles)"},
    ),
    (
        "Linearity",
        {
            "PCM": "Poor (asymmetric SET/RESET)",
            "RRAM": "Medium (material dependent, can be abrupt)",
            "Flash": "High (incremental step pulse programming)",
        },
    ),
    (
        "Energy per MAC",
        {
            "PCM": "Low (in-memory accumulation)",
            "RRAM": "Ultralow (lower write voltages)",
            "Flash": "Low (subthreshold currents)",
        },
    ),
    (
        "Typical architecture",
        {
            "PCM": "Differential pair / 4-PCM per weight",
            "RRAM": "Differential pair / voltage-mode sensing",
            "Flash": "Single cell (8-bit equivalent) / digital-analog hybrid",
        },
    ),
    (
        "Best use case",
        {
            "PCM": "Inference & training (high endurance allows updates)",
            "RRAM": "Low-power edge inference (IoT, mobile)",
            "Flash": "High-density inference (data center / edge)",
        },
    ),
)
"""The seed's qualitative rows: (metric, technology -> text), as the seed's table has them."""

CSV_COLUMNS = ("row", "label", "technology", "value", "spread", "unit", "status", "how")


def _chip_seed(seed, chip):
    return derive_seed(seed, "programming", chip)


class TechnologyTable(param.Parameterized):
    """The technology table of seed section 6.1 for one seed and chip count (see the module)."""

    seed = param.Integer(0, bounds=(0, 2**31 - 1), doc="Seed of every random draw of the computed rows.")
    chips = param.Integer(
        5,
        bounds=(2, 50),
        softbounds=(2, 20),
        label="Chips (Monte Carlo)",
        doc="Simulated chips (each its own programming seed); a cell is their mean, ± their standard deviation.",
    )

    def __init__(self, shared: Any = None, **params: Any) -> None:
        super().__init__(**params)
        self.shared = shared
        """Results shared with other tables (a server's sessions): an object with ``get(key,
        compute)`` such as the views' `SharedResults`, or None (a notebook)."""
        self.memo = Memo(max_bytes=2**30, max_entries=4096)

    # ------------------------------------------------------------------ computing

    def _result(self, name: str, technology: str, seed: int, chips: int, compute: Callable[[], Any]) -> Any:
        key: Hashable = (name, technology, seed, chips)
        if self.shared is None:
            return self.memo.keyed(name, key, compute)
        return self.shared.get(("TechnologyTable", *key), lambda: self.memo.keyed(name, key, compute))

    def cell(self, row: str, technology: str) -> Cell:
        """The `Cell` of `row` (a key of `ROWS`) for `technology` (one of `TECHNOLOGIES_COMPARED`),
        computed now or served from the memo; `ValueError` naming a bad argument."""
        if row not in ROW_KEYS:
            raise ValueError(f"row must be one of {list(ROW_KEYS)}, got {row!r}")
        if technology not in TECHNOLOGIES_COMPARED:
            raise ValueError(f"technology must be one of {list(TECHNOLOGIES_COMPARED)}, got {technology!r}")
        group, seed, chips = _GROUP[row], self.seed, self.chips  # one snapshot: a control may move meanwhile
        cells = self._result(group, technology, seed, chips, lambda: _COMPUTE[group](technology, seed, chips))
        self.memo.keyed("done", (row, technology, seed, chips), lambda: True)
        return cells[row]

    def ready(self, row: str, technology: str) -> bool:
        """Whether the cell was computed for the current seed and chips (nothing is computed)."""
        return self.memo.peek("done", (row, technology, self.seed, self.chips)) is not None

    def pending(self) -> list[tuple[str, str]]:
        """The (row, technology) pairs not computed yet, in the order `step` computes them."""
        return [(r, t) for r in ROW_KEYS for t in TECHNOLOGIES_COMPARED if not self.ready(r, t)]

    def step(self) -> Cell | None:
        """Compute the next pending cell (and those computed with it); None when none is left."""
        left = self.pending()
        return self.cell(*left[0]) if left else None

    def cells(self) -> dict[tuple[str, str], Cell]:
        """Every cell, (row, technology) -> `Cell`, computing those not computed yet."""
        return {(r, t): self.cell(r, t) for r in ROW_KEYS for t in TECHNOLOGIES_COMPARED}

    def computed(self) -> dict[tuple[str, str], Cell]:
        """The cells computed so far for the current seed and chips (nothing is computed)."""
        return {(r, t): self.cell(r, t) for r in ROW_KEYS for t in TECHNOLOGIES_COMPARED if self.ready(r, t)}

    def table_csv(self) -> str:
        """Every cell as CSV, one line per (row, technology): `CSV_COLUMNS` (value and spread in
        `unit`, empty when not modelled or no spread), then the seed's qualitative rows (status
        "seed", text in ``how``), computing the cells not computed yet."""
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(CSV_COLUMNS)
        for (row, tech), c in self.cells().items():
            w.writerow([row, _ROW[row].label, tech, _number(c.value), _number(c.spread), c.unit, c.status, c.how])
        for metric, texts in QUALITATIVE:
            for tech in TECHNOLOGIES_COMPARED:
                w.writerow(["", metric, tech, "", "", "", "seed", texts[tech]])
        return out.getvalue()


# ---------------------------------------------------------------------- the rows' computations


def _effective_bits(technology, seed, chips):
    dev = DeviceModel(technology)
    targets = np.repeat(dev.level_targets(LEVELS), DEVICES_PER_LEVEL)
    span = float(targets[-1] - targets[0])
    bits = []
    for c in range(chips):
        g = dev.program(targets, seed=_chip_seed(seed, c)).read_mean(0.0)
        rms = float(np.sqrt(np.mean((g - targets) ** 2)))
        bits.append(math.log2(span / (math.sqrt(12.0) * rms)))
    how = (
        f"log2(span / (sqrt(12) rms error)): {LEVELS} levels x {DEVICES_PER_LEVEL} devices over "
        f"{targets[0]:.3g}-{targets[-1]:.3g} µS, post-verify statistics, mean read at t = 0; "
        f"{chips} chips"
    )
    return {"effective_bits": _cell("effective_bits", technology, bits, how)}


def _crossbar(technology):
    return CrossbarModel(technology=technology, mapping="differential", n_slices=1, dac_bits=None, adc_bits=None)


def _weights(seed):
    return protocol_weights(MATRIX_SIZE, MATRIX_SIZE, derive_seed(seed, "weights"))


def _retention(technology, seed, chips):
    W, xb = _weights(seed), _crossbar(technology)
    norm = np.linalg.norm(W)
    errors = {k: [] for k in ("error_1d", "error_1d_comp", "error_1y", "error_1y_comp")}
    for c in range(chips):
        prog = xb.program(W, seed=_chip_seed(seed, c))
        for label, t in (("1d", DAY_S), ("1y", YEAR_S)):
            held = prog.weights(t)
            alpha = prog.gain_factor(t, derive_seed(seed, "read", c))
            errors[f"error_{label}"].append(100.0 * np.linalg.norm(held - W) / norm)
            errors[f"error_{label}_comp"].append(100.0 * np.linalg.norm(alpha * held - W) / norm)
    where = f"{MATRIX_SIZE} x {MATRIX_SIZE} protocol matrix, one differential pair per weight, {chips} chips"
    compensated = "ref / mean abs y_cal(t) (global compensation, physics reference section 8)"
    how = {
        "error_1d": f"‖W(1 d) − W‖ / ‖W‖ of the mean held weights; {where}",
        "error_1y": f"‖W(1 y) − W‖ / ‖W‖ of the mean held weights; {where}",
        "error_1d_comp": f"as at 1 day, times {compensated}; {where}",
        "error_1y_comp": f"as at 1 year, times {compensated}; {where}",
    }
    return {k: _cell(k, technology, v, how[k]) for k, v in errors.items()}


def _verify(technology, seed, chips):
    W, xb = _weights(seed), _crossbar(technology)
    pulses, times, converged, left = [], [], 0, []
    for c in range(chips):
        run = xb.programming_run(W, _chip_seed(seed, c), method="verify", **VERIFY).run().history
        pulses.append(run["pulses"][-1] / W.size)
        times.append(1e6 * run["chip_time_s"][-1] / W.size)
        converged += bool(run["converged"][-1])
        left.append(run["devices_left"][-1])
    where = (
        f"verify, tolerance {VERIFY['tolerance']:.0%} of the range, at most {VERIFY['max_iterations']} rounds, "
        f"{MATRIX_SIZE} x {MATRIX_SIZE} protocol matrix on pairs; {converged} of {chips} chips converged"
        f" (mean {np.mean(left):.3g} of {2 * W.size} devices left outside the band)"
    )
    costs = PULSE_COSTS[technology]
    return {
        "verify_pulses": _cell("verify_pulses", technology, pulses, f"total pulses / weights; {where}"),
        "verify_time": _cell(
            "verify_time",
            technology,
            times,
            f"chip time / weights, a row pulsed and read at once (pulse {_duration(costs['up_time_s'])}, "
            f"read {_duration(costs['read_time_s'])}); {where}",
        ),
    }


def _reads(technology, seed, chips):
    if technology == "PCM":
        return {"reads": _not_modelled("reads", technology, "no read-disturb model for PCM")}
    if technology == "RRAM":
        reads = np.array(RRAM_READS)
        s = accuracy_vs_reads(reads, polarity="unipolar", v_read=RRAM_DISTURB_V, chips=chips, seed=seed, **_DIGITS)
        what = f"unipolar reads at {RRAM_DISTURB_V} V (none below the model's 0.3 V threshold)"
    else:
        reads = np.array(FLASH_READS)
        s = accuracy_vs_flash_reads(reads, chips=chips, seed=seed, **_DIGITS)
        what = f"inference reads, {flash.CELLS_PER_BITLINE} cells per bit line (pass-voltage stress)"
    how = (
        f"digits MLP on {chips} chips read {READ_DISTURB_TIME_S / 3600:g} h after programming: "
        f"first count where the mean accuracy is {100 * ACCURACY_LOSS:g} points below its value at 0 reads "
        f"(log-interpolated); {what}"
    )
    return {"reads": _survival("reads", technology, reads, s["mean"], how)}


def _cycles(technology, seed, chips):
    if technology != "Flash":
        return {"cycles": _not_modelled("cycles", technology, f"no wear model for {technology}")}
    cycles = np.array(CYCLES)
    s = accuracy_vs_cycles(cycles, [WEAR_TIME_S], chips=chips, seed=seed, **_DIGITS)
    how = (
        f"digits MLP on {chips} chips after n P/E cycles, read 1 y after programming: first count "
        f"where the mean accuracy is {100 * ACCURACY_LOSS:g} points below the {CYCLES[0]}-cycle chips' "
        "(log-interpolated)"
    )
    return {"cycles": _survival("cycles", technology, cycles, s["mean"][:, 0], how)}


def _energy(technology, seed, chips):
    W, xb = _weights(seed), _crossbar(technology)
    a = ENERGY_ASSUMPTIONS
    v = a["read_voltage_V"][technology].value
    t_int = a["integration_time_s"].value
    n = a["devices_per_weight"].value
    adc = a["adc_energy_J"].value / a["rows_per_conversion"].value
    energies = []
    for c in range(chips):
        g = float(xb.program(W, seed=_chip_seed(seed, c)).device_moments(0.0)[0].mean())
        energies.append(1e15 * (n * v * v * g * 1e-6 * t_int + adc))
    how = (
        f"{n} x V^2 G t + E_ADC / rows: V {v:g} V, G the mean device conductance of the programmed "
        f"matrix, t {t_int * 1e9:g} ns, E_ADC {a['adc_energy_J'].value * 1e12:g} pJ / "
        f"{a['rows_per_conversion'].value} rows (array read and ADC only; see ENERGY_ASSUMPTIONS)"
    )
    return {"energy": _cell("energy", technology, energies, how)}


_DIGITS = dict(mapping="differential", n_slices=1, dac_bits=None, adc_bits=None)
"""The encoding of the accuracy rows: one differential pair per weight, ideal DAC and ADC."""

_COMPUTE = {
    "effective_bits": _effective_bits,
    "retention": _retention,
    "verify": _verify,
    "reads": _reads,
    "cycles": _cycles,
    "energy": _energy,
}
_GROUP = {
    "effective_bits": "effective_bits",
    "error_1d": "retention",
    "error_1d_comp": "retention",
    "error_1y": "retention",
    "error_1y_comp": "retention",
    "verify_pulses": "verify",
    "verify_time": "verify",
    "reads": "reads",
    "cycles": "cycles",
    "energy": "energy",
}
"""Which computation gives each row (the rows of one computation are computed together)."""


def _cell(row, technology, values, how):
    values = np.asarray(values, dtype=float)
    spread = float(values.std(ddof=1)) if values.size > 1 else float("nan")
    return Cell(row, technology, float(values.mean()), _ROW[row].unit, how, "value", spread)


def _not_modelled(row, technology, why):
    return Cell(row, technology, float("nan"), _ROW[row].unit, why, "not modelled")


def _survival(row, technology, counts, mean, how):
    survives = reads_before_loss(counts, mean, ACCURACY_LOSS)
    if survives is None:
        return Cell(row, technology, float(counts[-1]), _ROW[row].unit, how + "; not reached", "lower bound")
    return Cell(row, technology, float(survives), _ROW[row].unit, how)


def _duration(seconds):
    return f"{seconds * 1e9:.3g} ns" if seconds < 1e-6 else f"{seconds * 1e6:.3g} µs"


def _number(x):
    return "" if not math.isfinite(x) else repr(float(x))


def read_csv(text: str) -> dict[tuple[str, str], Cell]:
    """The computed cells of a `TechnologyTable.table_csv` text, (row, technology) -> `Cell` (the
    seed's qualitative lines are skipped); `ValueError` on a header that is not `CSV_COLUMNS`."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or tuple(rows[0]) != CSV_COLUMNS:
        raise ValueError(f"text must start with the header {','.join(CSV_COLUMNS)}")
    out = {}
    for row, _, tech, value, spread, unit, status, how in rows[1:]:
        if status == "seed":
            continue
        out[(row, tech)] = Cell(
            row,
            tech,
            float(value) if value else float("nan"),
            unit,
            how,
            status,
            float(spread) if spread else float("nan"),
        )
    return out
