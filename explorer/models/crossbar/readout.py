"""Reading a programmed crossbar: DAC, the array's analog product with IR drop and common mode,
read noise and ADC, and the digital shift-and-add of slices and input chunks.

One job of a programmed crossbar (`ProgrammedCrossbar`). The analog part of a read (each
column's output mean and variance, physics reference section 10's variance identity) is kept in
the crossbar's `Memo`, keyed by the state version, the read time and exactly the settings it
read, so that a sweep of ADC settings reuses it. The ADC ranges come from the caller
(`Calibration.adc_ranges`).

Units: conductances in uS, inputs in units of `x_max`, outputs in the units of ``x @ W``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from kernels import crossbar, encoding, rng

if TYPE_CHECKING:
    from .._internal.memo import Memo, Settings
    from .state import CrossbarState
    from .weight_encoding import WeightEncoding

MOMENTS_BYTES = 64 * 2**20
"""Most bytes of device moments `ReadOut.matrices_times` computes at once (the times of a read
over several times are taken in chunks within it); illustrative: a few times of a 1024 x 1024
array of two slices, every time of a network layer."""
ANALOG_MEMO_BYTES = 2 * 2**20
"""Input batches up to this size (after the DAC) keep their analog read in the memo (the
dashboards' batches are at most 0.5 MB; larger batches are read afresh without hashing them)."""


class ReadOut:
    """The read-out of the crossbar whose weights `enc` encodes and whose devices `state` holds."""

    def __init__(self, enc: WeightEncoding, state: CrossbarState, memo: Memo) -> None:
        self.enc = enc
        self.state = state
        self.memo = memo
        self.analog_memo_bytes = ANALOG_MEMO_BYTES
        """Batches up to this size keep their analog read; 0 for a caller whose batches are read
        once each (an accuracy-versus-time evaluation), which then skips hashing them."""

    def full_scale_range(self, chunk_max: float) -> np.ndarray:
        """ADC range per slice of a full-scale ADC: the largest output the array could produce."""
        return np.full(self.enc.n_slices, self.enc.rows * chunk_max * self.enc.span)

    def dac(self, X: np.ndarray, s: Settings) -> tuple[np.ndarray, np.ndarray, int]:
        """DAC: the analog input chunks ``(n_chunks, B, rows)``, each chunk's digital weight and
        the number of clipped inputs."""
        if s.dac_bits is None:
            return X[None], np.ones(1), 0
        if s.input_slice_bits is None:
            volts, clipped = crossbar.dac_volts(X, bits=s.dac_bits, x_max=s.x_max)
            return volts[None], np.ones(1), clipped
        codes, step, clipped = crossbar.dac(X, bits=s.dac_bits, x_max=s.x_max)
        chunks, b = encoding.input_chunks(codes, s.dac_bits, s.input_slice_bits)
        volt = s.x_max / (2.0**b - 1.0)
        weights = np.array([2.0 ** (k * b) * step / volt for k in range(len(chunks))])
        return chunks * volt, weights, clipped

    def unit_loss(self, t: float, s: Settings, gain: float, offset: float) -> np.ndarray:
        """IR loss per ohm (`crossbar.ir_unit_loss`) of the array read at `t` with this common mode."""
        state = self.state
        return self.memo.get(
            "IR loss",
            (state.version, t, gain, offset),
            s,
            lambda s: crossbar.ir_unit_loss(gain * state.mean(t, s) + offset),
        )

    def _pairs(self, t, s, common_mode, moments, own=True):
        """`crossbar.pair_matrices` of the device `moments` at `t` (mean and sigma), or of the mean
        conductances alone (None: the mean as a stand-in sigma, when only the difference matrix is
        wanted), the IR factor of the reference columns and the largest IR loss. With `own` False
        the moments are of devices in another state than the array's, and the IR loss is
        computed from their mean rather than taken from the memo."""
        enc, state = self.enc, self.state
        gain, offset = (s.common_mode_gain, s.common_mode_offset_uS) if common_mode else (1.0, 0.0)
        wire_r = s.wire_resistance_ohm if s.ir_drop else 0.0
        # The moments' mean is the mean (`CrossbarState.mean`), so a read needs one of them only.
        mean, sigma = (state.mean(t, s), None) if moments is None else moments
        loss = None
        if s.ir_drop:
            loss = self.unit_loss(t, s, gain, offset) if own else crossbar.ir_unit_loss(gain * mean + offset)
        n = enc.n_pair_columns
        subtract = enc.g_mid if enc.mapping == "offset-digital" else 0.0
        sig = mean if sigma is None else sigma
        d, var = crossbar.pair_matrices(
            mean[:, :n],
            sig[:, :n],
            cols=enc.cols,
            n_slices=enc.n_slices,
            n_pol=enc.n_pol,
            gain=gain,
            offset=offset,
            loss=None if loss is None else loss[:, :n],
            wire_resistance_ohm=wire_r,
            subtract=subtract,
        )
        f = 1.0 if loss is None else 1.0 / (1.0 + wire_r * loss[:, n:])
        ir_worst = float(wire_r * loss.max()) if loss is not None and loss.size else 0.0
        return d, var, (mean[:, n:], sig[:, n:], gain, offset, f), ir_worst

    def difference(self, t: float, s: Settings, common_mode: bool) -> tuple[np.ndarray, np.ndarray | None, float]:
        """The noise-free part of the read: the per-output difference matrix ``D`` (float32, for
        BLAS), the reference columns' mean (offset-reference, else None) and the largest IR loss.
        Built from the mean conductances only, so it is kept while read-noise settings move."""

        def compute(s):
            d, _, (ref_mean, _, gain, offset, f), ir_worst = self._pairs(t, s, common_mode, None)
            ref = (gain * ref_mean + offset) * f if self.enc.mapping == "offset-reference" else None
            return d, ref, ir_worst

        return self.memo.get("difference", (self.state.version, t, common_mode), s, compute)

    def matrices(
        self, t: float, s: Settings, common_mode: bool
    ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None, float]:
        """``(D, V, reference moments, largest IR loss)`` of a read at `t`: the difference matrix
        of `difference`, the per-output read-noise variance matrix ``V`` (float32; ``sum x^2
        sigma^2`` of section 10 uses it) and, for offset-reference, the reference columns' mean
        and variance. Built in one pass from the device moments and kept as one result: a read
        asks for both, and one memo entry per read time costs less than two (the kernel pass
        is cheap next to the memo's bookkeeping)."""

        def compute(s):
            return self._matrices(self.state.moments(t, s), t, s, common_mode, True)

        return self.memo.get("matrices", (self.state.version, t, common_mode), s, compute)

    def matrices_times(
        self, times: Sequence[float], s: Settings, common_mode: bool
    ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None, float]:
        """`matrices` at each of `times`, stacked along a first axis (the reference moments too),
        and the largest IR loss of all: the same numbers, from the device moments of all the
        times in one call (`CrossbarState.moments_times`), kept as one result. An
        accuracy-versus-time curve reads every layer at the same times at every update: one
        result per layer instead of one per time (each with its memo lookups, its moments call
        and its argument checks). Stacks larger than the memo are computed and not kept."""
        times = tuple(times)

        # The device moments (mean and sigma, float64) of at most MOMENTS_BYTES at once: a large
        # array read at many times would otherwise hold every time's moments together.
        per_chunk = max(1, MOMENTS_BYTES // (16 * self.state.array.targets.size))

        def compute(s):
            parts = []
            for at in range(0, len(times), per_chunk):
                chunk = times[at : at + per_chunk]
                mean, sigma = self.state.moments_times(list(chunk), s)
                parts += [self._matrices((m, sg), t, s, common_mode, False) for m, sg, t in zip(mean, sigma, chunk)]
            return _stacked(parts)

        # D and V (float32) hold at most one entry per physical device each.
        stacked_bytes = 2 * 4 * len(times) * self.state.array.targets.size
        if stacked_bytes > self.memo.max_bytes // 2:
            return compute(s)
        return self.memo.get("matrices over times", (self.state.version, times, common_mode), s, compute)

    def matrices_of(
        self, moments: tuple[np.ndarray, np.ndarray], t: float, s: Settings, common_mode: bool
    ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None, float]:
        """`matrices` built from the device moments `moments` (mean and sigma, uS, of every
        physical device, as `CrossbarState.moments` gives them) instead of the devices' own: the
        read matrices of devices in another state (`CrossbarState.moments_after_reads`), their IR
        loss from their own conductances. Not kept."""
        return self._matrices(moments, t, s, common_mode, False)

    def _matrices(self, moments, t, s, common_mode, own):
        d, var, (ref_mean, ref_sigma, gain, offset, f), ir_worst = self._pairs(t, s, common_mode, moments, own)
        ref = None
        if self.enc.mapping == "offset-reference":
            ref = ((gain * ref_mean + offset) * f, (gain * ref_sigma * f) ** 2)
        return d, var, ref, ir_worst

    def analog(
        self,
        volts: np.ndarray,
        t: float,
        s: Settings,
        common_mode: bool,
    ) -> tuple[list[tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None]], float]:
        """The analog part of a read, before noise and ADC: per input chunk, each column's output
        mean and variance (and the reference columns'), and the largest IR loss. Kept in the memo
        for batches up to ANALOG_MEMO_BYTES (keyed by a digest of the DAC's output), so a sweep of
        ADC settings, or a calibration read repeated at other ADC settings, reuses it."""

        def compute(s):
            d, var_matrix, ref, ir_worst = self.matrices(t, s, common_mode)
            chunks = []
            for v in volts:
                mean, var = crossbar.moments(v, d, var_matrix)
                ref_moments = crossbar.moments(v, ref[0], ref[1]) if ref is not None else None
                chunks.append((mean, var, ref_moments))
            return chunks, ir_worst

        if volts.nbytes > self.analog_memo_bytes:
            return compute(s)
        digest = rng.digest(volts)  # a Numba fold of the words: cheap next to the products
        key = (self.state.version, t, common_mode, volts.shape, volts.dtype.str, digest)
        return self.memo.get("analog", key, s, compute)

    def read(
        self,
        X: np.ndarray,
        t: float,
        seed: int,
        s: Settings,
        adc_ranges: Callable[[int, Settings], np.ndarray],
        common_mode: bool = True,
    ) -> tuple[np.ndarray, dict[str, float]]:
        """Outputs ``(B, cols)`` of one read of inputs `X` ``(B, rows)`` at `t` with read-noise
        `seed` and settings `s`, and its statistics (DAC and ADC clipping, largest IR loss).
        `adc_ranges(n_chunks, s)` gives the ADC range per (input chunk, slice)."""
        y, stats = self.read_times(X[None], (t,), (seed,), s, adc_ranges, common_mode)
        return y[0], stats

    def _analog_times(self, volts, times, s, common_mode, matrices=None):
        """`analog` of several reads: `volts` ``(n_chunks, reads, B, rows)``, read ``k`` at
        ``times[k]`` (with ``matrices[k]``, the `matrices` of the devices as they were for that
        read, when given); per input chunk the stacked ``(reads, B, C)`` output moments (and the
        reference columns'), and the largest IR loss of all. One read of the present devices is
        kept in the memo (`analog`); several are one stacked product per chunk, never kept (their
        inputs differ from read to read)."""
        if len(times) == 1 and matrices is None:
            chunks, ir_worst = self.analog(volts[:, 0], times[0], s, common_mode)
            return [
                (mean[None], var[None], None if ref is None else (ref[0][None], ref[1][None]))
                for mean, var, ref in chunks
            ], ir_worst
        if matrices is None:
            d, var_matrix, refs, ir_worst = self.matrices_times(times, s, common_mode)
        else:
            d, var_matrix, refs, ir_worst = _stacked(matrices)
        chunks = []
        for v in volts:
            mean, var = crossbar.moments(v, d, var_matrix)
            ref_moments = crossbar.moments(v, refs[0], refs[1]) if refs is not None else None
            chunks.append((mean, var, ref_moments))
        return chunks, ir_worst

    def read_times(
        self,
        X: np.ndarray,
        times: Sequence[float],
        seeds: Sequence[int],
        s: Settings,
        adc_ranges: Callable[[int, Settings], np.ndarray],
        common_mode: bool = True,
        matrices: Sequence[tuple] | None = None,
    ) -> tuple[np.ndarray, dict[str, float]]:
        """Outputs ``(reads, B, cols)`` of several reads, read ``k`` of inputs ``X[k]`` (`X`
        ``(reads, B, rows)``) at ``times[k]`` with read-noise seed ``seeds[k]``, and their
        statistics summed over the reads (the largest IR loss: the largest of all). Each read's
        outputs equal those of `read` alone: the noise of read ``k`` is drawn from its own seed and
        counters, the products are one BLAS product per read. One call for all the times of an
        accuracy-versus-time curve instead of one per time. `matrices`: read ``k``'s `matrices`,
        taken while the devices were as that read saw them (the read counts of a read-disturb
        curve, each a state of its own); default: the present devices' at each time."""
        enc = self.enc
        n_reads, B = X.shape[0], X.shape[1]
        volts, chunk_weights, dac_clipped = self.dac(X.reshape(n_reads * B, X.shape[2]), s)
        volts = volts.reshape(len(volts), n_reads, B, volts.shape[-1])
        chunks, ir_worst = self._analog_times(volts, times, s, common_mode, matrices)
        ranges = adc_ranges(len(volts), s)
        C = chunks[0][0].shape[-1]
        scale = np.repeat(enc.per_level(), enc.cols)
        y = np.zeros((n_reads * B, enc.cols))
        adc_clipped = 0
        for k, (mean, var, ref_moments) in enumerate(chunks):
            mean, var = mean.reshape(n_reads * B, C), var.reshape(n_reads * B, C)
            ref_out = None
            if ref_moments is not None:
                rm, rv = (m.reshape(n_reads * B, -1) for m in ref_moments)
                ref_out, _ = crossbar.noise_adc(
                    rm, rv, seed=seeds, adc_bits=None, y_max=1.0, offset=(len(volts) + k) * B * C
                )
            y_max = np.repeat(ranges[k], enc.cols)
            if s.adc_offset_lsb and s.adc_bits is not None:  # every ADC reads this many LSBs high
                mean = mean + s.adc_offset_lsb * y_max / crossbar.adc_top(s.adc_bits)
            _, clipped = crossbar.noise_adc(
                mean,
                var,
                seed=seeds,
                adc_bits=s.adc_bits,
                y_max=y_max,
                offset=k * B * C,
                ref=ref_out,
                scale=chunk_weights[k] * scale,
                n_out=enc.cols,
                out=y,
            )
            adc_clipped += clipped
        stats = {
            "dac_clipped": dac_clipped,
            "adc_clipped": adc_clipped,
            "adc_conversions": n_reads * B * C * len(volts),
            "ir_drop_max": ir_worst,
        }
        return y.reshape(n_reads, B, enc.cols), stats


def _stacked(matrices):
    """`ReadOut.matrices` results of several reads stacked along a first axis (D, V, the reference
    moments if any), with the largest IR loss of all."""
    refs = None
    if matrices[0][2] is not None:
        refs = (np.stack([m[2][0] for m in matrices]), np.stack([m[2][1] for m in matrices]))
    return np.stack([m[0] for m in matrices]), np.stack([m[1] for m in matrices]), refs, max(m[3] for m in matrices)
