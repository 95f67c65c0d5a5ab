"""Model behind the Encoding dashboard: slicing curves, per-slice conductances, error budget, common mode.

Plain Param, no Panel; a notebook gets the same numbers as the dashboard:

    ex = EncodingExplorer(technology="RRAM", n_slices=2, base=16, adc_bits=6)   # read-out settings go to ex.xb
    ex.slicing_curves()["mvm_error"]
    ex.error_budget()

All errors are measured on a ``size x size`` matrix of the section 12 protocol
(uniform weights with 30 % zeros, inputs with 50 % zeros), read `batch` times.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import param

from kernels import encoding
from kernels.crossbar import mvm_error
from kernels.rng import derive_seed

from ...admission import Cost
from .._internal.locks import serialized
from ..crossbar.model import CrossbarModel
from ..crossbar.protocol_data import protocol_inputs, protocol_weights
from .base import KeyFigure
from .devices import format_duration
from .drives_crossbar import DrivesCrossbar

SOURCES = ("quantization", "programming noise", "read noise", "ADC", "drift")
"""Error sources of the budget, each switched off by one setting (see `EncodingExplorer.error_budget`)."""

COMMON_MODE = ("common_mode_gain", "common_mode_offset_uS")
"""Read-time settings of the common-mode demonstration (`EncodingExplorer.common_mode`) only: the
other plots read without a common mode."""

DEVICE_KNOBS = ("prog_noise_scale", "read_noise_scale", "drift_scale")
"""The device's knobs that the error budget switches off (`EncodingExplorer._budget_model`)."""

MAX_SWEEP_SLICES = 6
MAX_WEIGHT_BITS = 32
"""Most weight bits over all slices (`CrossbarModel.weight_bits`): 8-bit slices allow 4 slices."""
MAX_CACHED = 40
"""Programmed arrays, and crossbar models (`EncodingExplorer._crossbar`), kept per explorer (least
recently used dropped): a slicing sweep needs 18, the four charts 29 of each."""


COST_BYTES_PER_WEIGHT = 16 * 2**10
"""Peak bytes per weight (size x size) of building the Encoding dashboard: its sweeps program the test
matrix once per slicing, allocation and mapping they compare, and keep up to `MAX_CACHED` programmed
arrays. Fitted to `python -m explorer.tools.costs --tab enc` (docs/results/admission.md: 60 MB at 64
and 0.75 to 0.91 GB at 256), rounded up; the batch and the slices change it little."""
COST_SECONDS_BASE = 1.5
COST_SECONDS_PER_WEIGHT = 8e-5
"""Seconds of one core of that build: a fixed part and a part per weight, from the same measurements
(2.0 s at 64, 6.7 s at 256; noisy, the machine was shared)."""


def _same(a, b):
    """Whether two setting values are equal and of one type (1 and 1.0 are not the same setting)."""
    return type(a) is type(b) and a == b


class EncodingExplorer(DrivesCrossbar):
    """How several devices hold one signed weight, and what that does to the MVM error."""

    mapping = param.Selector(default="differential", objects=list(encoding.MAPPINGS), doc="Signed-weight mapping.")
    n_slices = param.Integer(2, bounds=(1, MAX_SWEEP_SLICES), doc="Slices (device pairs) per weight.")
    bits_per_slice = param.Integer(4, bounds=(1, 8), doc="Bits of each slice (balanced); weight bits = slices x this.")
    base = param.Number(
        16.0,
        bounds=(1.0, 64.0),
        step=1.0,
        doc="Significance base F (1: equal significance; 16: digital for 4-bit slices).",
    )
    allocation = param.Selector(
        default="balanced",
        objects=["balanced", "unbalanced"],
        doc="Bits per slice: even, or fewer for the more significant slices.",
    )
    quantize_weights = param.Boolean(True, doc="Round each slice to its levels (off: analog targets).")
    size = param.Integer(64, bounds=(16, 256), doc="Rows and columns of the test matrix.")
    batch = param.Integer(32, bounds=(4, 256), doc="Input vectors per read.")

    READ_CONTROLS = ("dac_bits", "adc_bits", "calibrate_gain", "common_mode_gain", "common_mode_offset_uS")
    XB_DEFAULTS = {"calibrate_gain": True, "common_mode_gain": 1.05, "common_mode_offset_uS": 0.5}

    MEMO_LIMITS = {"problem": 1, "programmed": MAX_CACHED, "crossbar model": MAX_CACHED}

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._fit_slices()

    def cost(self) -> Cost:
        """Estimated peak memory and work of the dashboard's charts: they grow with the test matrix,
        size x size (`COST_BYTES_PER_WEIGHT`, `COST_SECONDS_PER_WEIGHT`, measured)."""
        weights = self.size * self.size
        return Cost(
            int(COST_BYTES_PER_WEIGHT * weights),
            COST_SECONDS_BASE + COST_SECONDS_PER_WEIGHT * weights,
            f"an Encoding test matrix of {self.size} x {self.size}",
        )

    @param.depends("bits_per_slice", watch=True)
    def _fit_slices(self):
        """Keep slices x bits within MAX_WEIGHT_BITS: more bits per slice leave room for fewer slices."""
        most = self.max_slices
        if self.n_slices > most:
            self.n_slices = most

    @property
    def max_slices(self) -> int:
        """Most slices the current bits per slice allow (and the slicing sweep's last point)."""
        return max(1, min(MAX_SWEEP_SLICES, MAX_WEIGHT_BITS // self.bits_per_slice))

    @property
    def weight_bits(self) -> int:
        return self.n_slices * self.bits_per_slice

    def _problem(self):
        """Protocol weights ``(size, size)`` and inputs ``(batch, size)`` from the weights and inputs
        streams of `seed`."""
        return self.remember(
            "problem",
            (self.size, self.batch, self.seed),
            lambda: (
                protocol_weights(self.size, self.size, derive_seed(self.seed, "weights")),
                protocol_inputs(self.batch, self.size, derive_seed(self.seed, "inputs")),
            ),
        )

    def crossbar(self, **overrides: Any) -> CrossbarModel:
        """A `CrossbarModel` with this explorer's encoding, the read-out settings of the model it
        drives (`xb`: every read-time setting, the controls and the others, but the common mode,
        which only the common-mode demonstration applies), and `overrides`."""
        reads, others = self._crossbar_settings(overrides)
        return self._new_crossbar({**reads, **others})

    def _crossbar_settings(self, overrides):
        """`crossbar`'s settings: ``(read-time settings of the model, every other one)``; the
        device knobs among `overrides` are in the second."""
        kw = {name: getattr(self.xb, name) for name in CrossbarModel.READ_TIME if name not in COMMON_MODE}
        kw.update(
            technology=self.technology,
            mapping=self.mapping,
            n_slices=self.n_slices,
            weight_bits=self.weight_bits,
            base=self.base,
            allocation=self.allocation,
            quantize_weights=self.quantize_weights,
        )
        kw.update(overrides)
        reads = {name: kw.pop(name) for name in CrossbarModel.READ_TIME if name in kw}
        return reads, kw

    @staticmethod
    def _new_crossbar(kw):
        device_knobs = {k: kw.pop(k) for k in DEVICE_KNOBS if k in kw}
        xb = CrossbarModel(**kw)
        xb.device.param.update(**device_knobs)
        return xb

    def _crossbar(self, **overrides: Any) -> CrossbarModel:
        """`crossbar(**overrides)` for this explorer's own use: one model kept per setting but the
        model's read-time ones, which are set on it here (a sweep asks for about 30 models per
        update, and making a Param model costs more than reading an array; a kept model also
        keeps its programming-time snapshot). Only the explorer's serialized methods call it."""
        reads, others = self._crossbar_settings(overrides)
        xb = self.remember(
            "crossbar model", tuple(sorted(others.items())), lambda: self._new_crossbar({**reads, **others})
        )
        changed = {name: value for name, value in reads.items() if not _same(getattr(xb, name), value)}
        if changed:
            xb.param.update(**changed)
        return xb

    def _programmed(self, xb):
        """Program `xb` on the test matrix, kept per programming-time snapshot of `xb`."""
        return self.remember(
            "programmed",
            (xb.programming_settings().key(), self.size, self.seed),
            lambda: xb.program(self._problem()[0], seed=derive_seed(self.seed, "programming")),
        )

    def _errors(self, xb, t):
        """Weight error and MVM error of `xb`'s array read at `t` with `xb`'s read settings."""
        W, X = self._problem()
        prog = self._programmed(xb)
        settings = xb.read_settings()
        y = prog.mvm(X, t=t, seed=self.read_seed, settings=settings)
        return prog.weight_error(t, calibrated=xb.calibrate_gain, settings=settings), mvm_error(y, X @ W)

    # ------------------------------------------------------------------ plot data

    def _results_key(self) -> tuple:
        """Every input of the slicing curves and the error budget: the explorer's settings and the
        crossbar model's read-time ones but the common mode (which only `common_mode` applies)."""
        own, read, _ = self.snapshot_key()
        return own, tuple(item for item in read if item[0] not in COMMON_MODE)

    @serialized
    def slicing_curves(self) -> dict[str, Any]:
        """Weight and MVM error versus slices (1..6) for F = 1, F = 2 and the chosen F.

        Each slice has `bits_per_slice` bits. Also the section 9 law
        ``eta_1 * factor(n, F)`` from the one-slice error, as a reference:
        it assumes independent slice errors of one size, which analog slices
        with unquantized targets come close to. Kept (`remember`) per setting: the plot and
        `key_figures` read one result.
        """
        return self.remember("slicing_curves", self._results_key(), self._slicing_curves)

    def _slicing_curves(self):
        bases = sorted({1.0, 2.0, float(self.base)})
        n = np.arange(1, self.max_slices + 1)
        out = {"n": n, "bases": bases, "weight_error": {}, "mvm_error": {}, "law": {}}
        for F in bases:
            we, me = [], []
            for k in n:
                xb = self._crossbar(
                    n_slices=int(k), weight_bits=int(k) * self.bits_per_slice, base=F, allocation="balanced"
                )
                w_err, m_err = self._errors(xb, self.t)
                we.append(w_err)
                me.append(m_err)
            out["weight_error"][F] = np.array(we)
            out["mvm_error"][F] = np.array(me)
            out["law"][F] = me[0] * np.array([encoding.sliced_error_factor(int(k), F) for k in n])
        return out

    @serialized
    def slice_histograms(self, bins: int = 60) -> dict[str, Any]:
        """Histograms of each slice's G+ and G- (uS) at time t: edges, counts per slice and polarity."""
        xb = self._crossbar()
        prog = self._programmed(xb)
        g = prog.slice_conductances(self.t, settings=xb.read_settings())
        dev = prog.device
        lo = min(dev.g_min, float(g["plus"].min()))
        hi = max(dev.g_max, float(g["plus"].max()))
        edges = np.linspace(lo, hi + 1e-9, bins + 1)
        plus = np.stack([np.histogram(s, edges)[0] for s in g["plus"]])
        minus = np.stack([np.histogram(s, edges)[0] for s in g["minus"]]) if g["minus"] is not None else None
        return {"edges": edges, "plus": plus, "minus": minus, "slice_bits": prog.slice_bits, "base": prog.base}

    def _budget_model(self, off):
        """Settings with the sources in `off` switched off; returns (crossbar model, read time)."""
        over = {}
        if "quantization" in off:
            over.update(quantize_weights=False, dac_bits=None)
        if "programming noise" in off:
            over["prog_noise_scale"] = 0.0
        if "read noise" in off:
            over["read_noise_scale"] = 0.0
        if "ADC" in off:
            over["adc_bits"] = None
        t = self.t
        if "drift" in off:
            over["drift_scale"] = 0.0
        return self._crossbar(**over), t

    @serialized
    def error_budget(self, enabled: Iterable[str] = SOURCES) -> dict[str, Any]:
        """MVM error with every source in `enabled`, with each source alone, and without each.

        Sources: quantization (weight levels and DAC), programming noise, read
        noise, ADC, drift (drift scale 0). Returns ``{"total", "alone": {source:
        error}, "without": {source: error}, "enabled"}``; errors add roughly in
        quadrature, so ``sqrt(sum alone^2)`` is near the total. Kept (`remember`) per setting and
        `enabled`: the plot and `key_figures` read one result.
        """
        unknown = [s for s in enabled if s not in SOURCES]
        if unknown:
            raise ValueError(f"enabled sources must be among {SOURCES}, got {unknown}")
        enabled = tuple(s for s in SOURCES if s in enabled)
        return self.remember("error_budget", (self._results_key(), enabled), lambda: self._error_budget(enabled))

    def _error_budget(self, enabled):
        all_off = set(SOURCES)
        total = self._errors(*self._budget_model(all_off - set(enabled)))[1]
        alone = {s: self._errors(*self._budget_model(all_off - {s}))[1] for s in SOURCES}
        without = {s: self._errors(*self._budget_model((all_off - set(enabled)) | {s}))[1] for s in enabled}
        return {"total": total, "alone": alone, "without": without, "enabled": enabled}

    def key_figures(self) -> tuple[KeyFigure, ...]:
        """The MVM and weight error at the chosen slices and base (the slicing plots' titles) and
        the error budget's total with every source on (its title at the default sources), from
        the kept `slicing_curves` and `error_budget`."""
        n, F = self.n_slices, float(self.base)
        curves = self.slicing_curves()
        total = self.error_budget()["total"]
        problem = f"{self.size} x {self.size} protocol matrix, {self.batch} inputs"
        problem += f", read at t = {format_duration(self.t)}"
        at = f"{n} balanced slice(s) of {self.bits_per_slice} bits, F = {F:g}, {problem}"
        return (
            KeyFigure("MVM error", 100 * curves["mvm_error"][F][n - 1], "%", f"{at} (slicing_curves())"),
            KeyFigure("Weight error", 100 * curves["weight_error"][F][n - 1], "%", f"{at} (slicing_curves())"),
            KeyFigure(
                "Error budget total",
                100 * total,
                "%",
                f"MVM error with every error source on, {self.allocation} slices, {problem} (error_budget())",
            ),
        )

    @serialized
    def common_mode(self, n_points: int = 11) -> dict[str, Any]:
        """MVM error versus an additive and a multiplicative common mode, per mapping.

        Additive sweep: offset over the slider's range (-2 to 2 uS) for the differential
        pair, the offset mapping with a reference column, and the offset mapping with a
        digital offset. Multiplicative sweep: gain 0.8 to 1.2 for the
        differential pair, with and without gain calibration. Read right after
        programming (t = 0), so that drift does not hide the common mode.
        """
        offsets = np.linspace(*self.xb.param.common_mode_offset_uS.softbounds, n_points)
        gains = np.linspace(*self.xb.param.common_mode_gain.softbounds, n_points)
        W, X = self._problem()
        ideal = X @ W
        out = {
            "offsets": offsets,
            "gains": gains,
            "additive": {},
            "multiplicative": {},
            "offset": self.xb.common_mode_offset_uS,
            "gain": self.xb.common_mode_gain,
        }
        for mapping in ("differential", "offset-reference", "offset-digital"):
            xb = self._crossbar(mapping=mapping, calibrate_gain=False)
            prog = self._programmed(xb)
            settings = xb.read_settings()
            errs = [
                mvm_error(
                    prog.mvm(X, t=0.0, seed=self.read_seed, settings=settings.replace(common_mode_offset_uS=float(c))),
                    ideal,
                )
                for c in offsets
            ]
            out["additive"][mapping] = np.array(errs)
        for calibrate in (False, True):
            xb = self._crossbar(mapping="differential", calibrate_gain=calibrate)
            prog = self._programmed(xb)
            settings = xb.read_settings()
            errs, gain_err = [], []
            for g in gains:
                y = prog.mvm(X, t=0.0, seed=self.read_seed, settings=settings.replace(common_mode_gain=float(g)))
                errs.append(mvm_error(y, ideal))
                gain_err.append(float(np.sum(y * ideal) / np.sum(ideal * ideal)) - 1.0)
            key = "calibrated" if calibrate else "uncalibrated"
            out["multiplicative"][key] = np.array(errs)
            out["multiplicative"][key + " gain error"] = np.array(gain_err)
        return out
