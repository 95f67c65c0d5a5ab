"""Calibrating a programmed crossbar: the calibrated ADC ranges and the global gain factor.

One job of a programmed crossbar (`ProgrammedCrossbar`). Both calibrations read a calibration
batch of `N_CALIBRATION` inputs drawn from the calibration stream of the programming seed, never
the evaluation inputs. The ADC range of each (input chunk, slice) is the largest noise-free
output of that batch right after programming; the gain factor is ``ref / mean|y_cal(t)|``
(physics reference section 8), the reference read right after programming with the common mode
off. Both are kept in the crossbar's `Memo` under the version of the state as programmed (reads
that disturb the devices do not re-take them; one asked for only after such reads is refused) and
the settings they read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import ArrayLike

from kernels import rng
from kernels.validate import check_seed

from .protocol_data import calibration_inputs

if TYPE_CHECKING:
    from .._internal.memo import Memo, Settings
    from .readout import ReadOut

N_CALIBRATION = 64
"""Inputs in the calibration batch."""
READOUT_FLOOR = 1e-4
"""Smallest drift-compensation readout (units of the outputs): aihwkit's compensations clamp the
reference and the current readout at 1e-4 (``clamp(..., min=0.0001)`` in
aihwkit.inference.compensation.drift), so an output that reads (near) zero is left as it is
instead of being multiplied by a huge factor."""


def drift_factor(ref: ArrayLike, now: ArrayLike, compensation: Literal["global", "per-column"]) -> float | np.ndarray:
    """Drift-compensation factor from one-hot calibration readouts (physics reference section 8).

    `ref` and `now`: per-output mean |y| of the one-hot reads right after programming and at the
    time of the read (1-D, one entry per output). ``"global"``: the scalar
    ``max(mean(ref), 1e-4) / max(mean(now), 1e-4)``; ``"per-column"``: per output
    ``max(ref_j, 1e-4) / max(now_j, 1e-4)`` (`READOUT_FLOOR`, aihwkit's clamp on both readouts)."""
    ref, now = np.asarray(ref, dtype=np.float64), np.asarray(now, dtype=np.float64)
    if compensation == "global":
        return float(max(ref.mean(), READOUT_FLOOR) / max(now.mean(), READOUT_FLOOR))
    if compensation == "per-column":
        return np.maximum(ref, READOUT_FLOOR) / np.maximum(now, READOUT_FLOOR)
    raise ValueError(f"compensation must be 'global' or 'per-column', got {compensation!r}")


class Calibration:
    """The calibrations of the crossbar read out by `readout` and programmed with `seed`."""

    def __init__(self, readout: ReadOut, seed: int, memo: Memo) -> None:
        self.readout = readout
        self.seed = seed
        self.memo = memo

    def inputs(self, s: Settings) -> np.ndarray:
        """The calibration batch (`N_CALIBRATION` inputs, calibration stream of the programming seed)."""
        return self.memo.get(
            "calibration inputs",
            (),
            s,
            lambda s: calibration_inputs(N_CALIBRATION, self.readout.enc.rows, self.seed, s.x_max),
        )

    def adc_ranges(self, n_chunks: int, s: Settings) -> np.ndarray:
        """ADC range per (input chunk, slice): full scale, or the largest noise-free output of the
        calibration batch read right after programming (common mode off)."""
        readout, enc = self.readout, self.readout.enc
        if s.adc_range == "full-scale" or s.adc_bits is None:  # an ideal ADC has no range to calibrate
            return np.tile(readout.full_scale_range(s.x_max), (n_chunks, 1))

        def compute(s):
            self._check_not_read("ADC ranges (adc_range='calibrated')")
            volts, _, _ = readout.dac(self.inputs(s), s)
            d, ref, _ = readout.difference(0.0, s, common_mode=False)
            ranges = np.empty((len(volts), enc.n_slices))
            for k, v in enumerate(volts):
                y = v @ d
                if ref is not None:
                    y = y - np.repeat(v @ ref, enc.cols, axis=1)
                y = np.abs(y).reshape(len(v), enc.n_slices, enc.cols)
                ranges[k] = np.maximum(y.max(axis=(0, 2)), 1e-12)
            return ranges

        return self.memo.get("ADC ranges", (readout.state.programmed_version,), s, compute)

    def _check_not_read(self, what):
        """`ValueError` if the devices have been read (read disturb) since programming: a
        calibration is read right after programming and kept, never re-taken on disturbed devices."""
        reads = self.readout.state.array.reads
        if reads:
            raise ValueError(
                f"calibrate_gain / adc_range: the {what} must be read right after programming, before "
                f"any reads; the devices have had {reads} reads (read the array once before apply_reads)"
            )

    def read(
        self, X: np.ndarray, t: float, seed: int, s: Settings, common_mode: bool = True
    ) -> tuple[np.ndarray, dict[str, float]]:
        """One read of `X` with the ADC ranges of these settings (`ReadOut.read`)."""
        return self.readout.read(X, t, seed, s, self.adc_ranges, common_mode=common_mode)

    def gain_factor(self, t: float, seed: int, s: Settings) -> float:
        """Global calibration factor ``ref / mean|y_cal(t)|`` (physics reference section 8): the
        calibration batch read right after programming (the reference, common mode off) and at
        `t`, each with read noise from the calibration seeds derived from the programming seed
        and from the read seed `seed`."""
        return self.gain_factors((t,), (seed,), s)[0]

    def gain_factors(self, times: Sequence[float], seeds: Sequence[int], s: Settings) -> list[float]:
        """`gain_factor` at each of `times` with read seeds `seeds`: the calibration batch read at
        all the times in one call (`ReadOut.read_times`, whose reads equal one `read` each), so
        it shares the read matrices of the curve it calibrates (`ReadOut.matrices_times`)."""
        ref = self.gain_reference(s)
        inputs = self.inputs(s)
        cal_seeds = [rng.derive_seed(check_seed(seed), "calibration") for seed in seeds]
        y, _ = self.readout.read_times(
            np.broadcast_to(inputs, (len(times), *inputs.shape)), times, cal_seeds, s, self.adc_ranges
        )
        return [ref / max(float(np.mean(np.abs(yt))), 1e-300) for yt in y]

    def gain_reference(self, s: Settings) -> float:
        """The gain calibration's reference ``mean|y_cal(0)|``: the calibration batch read right after
        programming, common mode off, with read noise from the programming seed's calibration seed."""

        def reference(s):
            self._check_not_read("gain reference (calibrate_gain)")
            y0, _ = self.read(self.inputs(s), 0.0, rng.derive_seed(self.seed, "calibration"), s, common_mode=False)
            return float(np.mean(np.abs(y0)))

        return self.memo.get("gain reference", (self.readout.state.programmed_version,), s, reference)

    def take(self, s: Settings) -> None:
        """Read now, unless kept, what a read takes from right after programming with these settings
        (the calibrated ADC ranges; with `calibrate_gain`, the gain reference): before reads disturb
        the devices, after which they may not be taken."""
        self.adc_ranges(1, s)  # calibrated: every chunk's ranges at once, whatever the count asked
        if s.calibrate_gain:
            self.gain_reference(s)
