"""The programmed state of a crossbar: its devices, their stuck-at faults and the state's version.

One job of a programmed crossbar (`ProgrammedCrossbar`): the devices as programmed (a
`DeviceArray`, read through the frozen device it was programmed with), the stuck-at faults
drawn at programming, and the mean and read-noise sigma of every device at a read time. Every
change of the state (read disturb, a programming step) bumps `version`; results derived from
the state are kept in the crossbar's `Memo` under that version.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np

from kernels import rng

if TYPE_CHECKING:
    from .._internal.memo import Memo, Settings
    from ..devices import DeviceArray


class CrossbarState:
    """Programmed devices ``(rows, physical columns)`` with their stuck-at faults.

    Stuck devices (a fraction `on` at `g_hi`, `off` at `g_lo`) are drawn from the fault stream
    of the programming `seed`; they read as their stuck conductance without read noise
    variance change (the device's own sigma is kept).
    """

    def __init__(
        self, array: DeviceArray, seed: int, on: float, off: float, g_lo: float, g_hi: float, memo: Memo
    ) -> None:
        self.array = array
        self.device = array.programmed_with
        self.g_lo, self.g_hi = float(g_lo), float(g_hi)
        self.memo = memo
        shape = array.shape
        u = rng.numpy_uniform(rng.numpy_stream_key(seed, rng.STREAM_FAULT), np.arange(int(np.prod(shape))))
        u = u.reshape(shape)
        self.stuck = np.zeros(shape, dtype=np.int8)
        self.stuck[u < on] = 1
        self.stuck[(u >= on) & (u < on + off)] = -1
        self.n_stuck = int(np.count_nonzero(self.stuck))

    @property
    def version(self) -> int:
        """Version of the programmed state (the device array's): every change of it bumps it."""
        return self.array.version

    @property
    def programmed_version(self) -> int | None:
        """Version of the state as programmed, before any read disturbed it (the current version
        while no reads are applied; None if reads were applied to the array directly). The
        calibrations read right after programming are kept under it, so reads do not re-take them."""
        return self.array.version if self.array.reads == 0 else self._programmed_version

    _programmed_version = None

    def _before_reads(self):
        if self.array.reads == 0:
            self._programmed_version = self.array.version

    def apply_reads(
        self, n_reads: int, *, polarity: Literal["unipolar", "bipolar", "negative"] = "unipolar", v_read: float = 0.2
    ) -> None:
        """Read disturb of `n_reads` more reads of every device (RRAM; see `DeviceArray.apply_reads`)."""
        self._before_reads()
        self.array.apply_reads(n_reads, polarity=polarity, v_read=v_read)

    def set_reads(
        self, n_reads: int, *, polarity: Literal["unipolar", "bipolar", "negative"] = "unipolar", v_read: float = 0.2
    ) -> None:
        """The devices as after exactly `n_reads` reads since programming (RRAM; see `DeviceArray.set_reads`)."""
        self._before_reads()
        self.array.set_reads(n_reads, polarity=polarity, v_read=v_read)

    def moments_after_reads(
        self,
        counts: list[int],
        t: float,
        s: Settings,
        *,
        polarity: Literal["unipolar", "bipolar", "negative"] = "unipolar",
        v_read: float = 0.2,
    ) -> tuple[np.ndarray, np.ndarray]:
        """`moments` at `t` of the devices as after exactly each of `counts` reads since
        programming (`DeviceArray.moments_after_reads`), stacked along a first axis, stuck-at
        faults applied; the devices are left as they are. Not kept in the memo: each count's
        devices are read once."""
        mean, sigma = self.array.moments_after_reads(counts, t, knobs=s, polarity=polarity, v_read=v_read)
        return self._stuck(mean), sigma

    def moments_times(self, times: list[float], s: Settings) -> tuple[np.ndarray, np.ndarray]:
        """`moments` at each of `times`, stacked along a first axis (`DeviceArray.read_moments_times`),
        stuck-at faults applied. Not kept in the memo: the read matrices built from them are
        (`ReadOut.matrices_times`)."""
        mean, sigma = self.array.read_moments_times(times, knobs=s)
        return self._stuck(mean), sigma

    def _stuck(self, mean, index=None):
        """`mean` with the stuck-at faults applied; `index`: the devices `mean` holds (default all)."""
        if self.n_stuck:
            stuck = self.stuck if index is None else self.stuck[index]
            mean = np.where(stuck == 1, self.g_hi, np.where(stuck == -1, self.g_lo, mean))
        return mean

    def mean(self, t: float, s: Settings) -> np.ndarray:
        """Mean conductance (uS) of every physical device at `t` (s), stuck-at faults applied,
        reading only the settings the mean depends on (`DeviceArray.read_mean`). A technology whose
        mean depends on every knob (RRAM: its clipped mean moves with the noise) takes it from
        `moments`, which computes the same mean: one computation instead of two."""
        if self.array.mean_needs_moments:
            return self.moments(t, s)[0]
        return self.memo.get("mean", (self.version, t), s, lambda s: self._stuck(self.array.read_mean(t, knobs=s)))

    def moments(self, t: float, s: Settings) -> tuple[np.ndarray, np.ndarray]:
        """Mean and read-noise sigma (uS) of every physical device at `t` (s) with the read-time
        settings `s`, stuck-at faults applied.

        After a change of some devices only (`DeviceArray.last_change`: a programming round pulses
        the devices not yet verified), the moments of the state before, when kept for the same `t`
        and settings, are updated for the changed devices alone: a device's moments depend on its
        own state and the settings only, so the numbers are those of reading every device."""

        def compute(s):
            updated = self._moments_updated(t, s)
            if updated is not None:
                return updated
            mean, sigma = self.array.read_moments(t, knobs=s)
            return self._stuck(mean), sigma

        return self.memo.get("moments", (self.version, t), s, compute)

    def _moments_updated(self, t, s):
        """`moments` from the kept moments of the state before the last change, reading only the
        changed devices; None when there is no such change, the moments before are not kept, or
        more than half the devices changed (reading them all is then as quick)."""
        change = self.array.last_change
        if change is None or change[1] != self.version:
            return None
        before, _, changed = change
        count = int(np.count_nonzero(changed))
        if 2 * count > changed.size:
            return None
        kept = self.memo.find("moments", (before, t), s)
        if kept is None:
            return None
        mean, sigma = kept[0].copy(), kept[1].copy()
        if count:
            index = np.nonzero(changed)
            sub_mean, sub_sigma = self.array.subset(index).read_moments(t, knobs=s)
            mean[index], sigma[index] = self._stuck(sub_mean, index), sub_sigma
        return mean, sigma
