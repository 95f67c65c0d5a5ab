"""Encoding a signed weight matrix on devices, and decoding the conductances back into weights.

One job of a programmed crossbar (`ProgrammedCrossbar`): a `WeightEncoding` is fixed by the
programming-time configuration (mapping, slices, significance base, weight quantization) and
the device's conductance range; it turns weights into conductance targets and conductances into
the weights they hold. It knows nothing of reading, noise or calibration.

Physical layout of the targets: column ``(j, slice, polarity)`` holds output j's device of that
slice and sign, pairs side by side; an offset-reference array ends with one reference column per
slice. Conductances in uS; weights in the units of W (normalized by `w_max`).
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from kernels import encoding
from kernels.validate import finite_array

if TYPE_CHECKING:
    from .._internal.memo import Settings


def check_weights(W: ArrayLike, w_max: float | None = None) -> tuple[np.ndarray, float]:
    """`W` as a finite 2-D float array (rows = inputs, columns = outputs) and the weight that maps
    to the full device range, `w_max` (default ``max|W|``, 1 for an all-zero W); `ValueError`
    naming the argument otherwise. An explicit `w_max` must be a real number at least ``max|W|``:
    a smaller one would clip the largest weights at encoding, a silent error in every output."""
    W = finite_array(W, "W")
    if W.ndim != 2 or min(W.shape) < 1:
        raise ValueError(f"W must be a 2-D array (inputs, outputs) with at least one entry, got shape {W.shape}")
    largest = float(np.max(np.abs(W)))
    if w_max is None:
        return W, largest or 1.0
    if isinstance(w_max, (bool, np.bool_)) or not isinstance(w_max, numbers.Real):
        raise ValueError(f"w_max must be a positive finite number (at least max|W| = {largest:g}), got {w_max!r}")
    if not (np.isfinite(w_max) and w_max > 0):
        raise ValueError(f"w_max must be a positive finite number (at least max|W| = {largest:g}), got {w_max!r}")
    if w_max < largest:
        raise ValueError(
            f"w_max must be at least max|W| = {largest:g} (a smaller one clips the largest weights), got {w_max!r}"
        )
    return W, float(w_max)


class WeightEncoding:
    """How weights of magnitude up to `w_max` map onto devices in ``[g_lo, g_hi]`` (uS).

    Differential pairs (one- or two-sided, set-only; physics reference section 1), offset
    mappings (a reference column, or a digital offset), bit slicing (physics reference section 9) with
    significance base F
    (``W = sum_i F^(n-1-i) (G+_i - G-_i)``, CrossSim's slicing; Le Gallo et al., Neuromorph.
    Comput. Eng. 2, 014009 (2022)).
    """

    def __init__(self, config: Settings, g_lo: float, g_hi: float, rows: int, cols: int, w_max: float) -> None:
        self.mapping = config.peek("mapping")
        self.slice_bits = config.peek("slice_bits")
        self.base = float(config.peek("base"))
        self.quantize = config.peek("quantize_weights")
        self.rows, self.cols = rows, cols
        self.w_max = float(w_max)
        self.n_slices = len(self.slice_bits)
        self.n_pol = 1 if self.mapping.startswith("offset") else 2
        self.g_lo, self.g_hi = float(g_lo), float(g_hi)
        span = self.g_hi - self.g_lo
        self.span = span / 2.0 if self.n_pol == 1 else span
        self.g_mid = 0.5 * (self.g_lo + self.g_hi)
        self.significance, self.full_scale = encoding.significances(self.slice_bits, self.base)

    @property
    def n_pair_columns(self) -> int:
        """Physical columns holding weights (the reference columns of offset-reference excluded)."""
        return self.cols * self.n_slices * self.n_pol

    def level_units(self) -> np.ndarray:
        """Conductance difference (uS) of one level of each slice."""
        return self.span / (2.0 ** np.array(self.slice_bits) - 1.0)

    def per_level(self) -> np.ndarray:
        """Weight (units of W) per uS of conductance difference, per slice: significance / level unit,
        rescaled (a level of slice s is worth ``per_level()[s] * level_units()[s]``)."""
        return self.significance / self.level_units() / self.full_scale * self.w_max

    def encode(
        self, W: np.ndarray, previous: tuple[np.ndarray, np.ndarray] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Slice levels ``(n_slices, rows, cols)``, conductance targets ``(rows, physical columns)``
        in uS, and the saturated mask (set-only pairs that could not move down) for weights `W`.
        `previous`: the set-only pairs' current conductances ``(G+, G-)``, each
        ``(rows, cols, n_slices)``."""
        w = np.clip(W / self.w_max, -1.0, 1.0)
        levels = encoding.slice_levels(w, self.slice_bits, self.base, quantize=self.quantize)
        top = 2.0 ** np.array(self.slice_bits) - 1.0
        v = np.moveaxis(levels / top[:, None, None], 0, -1)  # (rows, cols, ns) in [-1, 1]
        saturated = np.zeros(v.shape, dtype=bool)
        if self.mapping in ("differential", "two-sided"):
            gp, gm = encoding.differential_targets(v, self.g_lo, self.g_hi, two_sided=self.mapping == "two-sided")
            targets = np.stack([gp, gm], axis=-1)
        elif self.mapping == "set-only":
            if previous is None:
                prev_p = prev_m = np.full(v.shape, self.g_lo)
            else:
                prev_p, prev_m = previous
            gp, gm, saturated = encoding.set_only_targets(v, prev_p, prev_m, self.g_lo, self.g_hi)
            targets = np.stack([gp, gm], axis=-1)
        else:
            g, _ = encoding.offset_targets(v, self.g_lo, self.g_hi)
            targets = g[..., None]
        targets = targets.reshape(self.rows, -1)
        if self.mapping == "offset-reference":
            targets = np.concatenate([targets, np.full((self.rows, self.n_slices), self.g_mid)], axis=1)
        return levels, targets, saturated

    def pairs(self, g: np.ndarray) -> np.ndarray:
        """Conductances ``(rows, physical columns)`` of the weight columns as
        ``(rows, cols, n_slices, n_pol)``."""
        return g[:, : self.n_pair_columns].reshape(self.rows, self.cols, self.n_slices, self.n_pol)

    def decode(self, g: np.ndarray) -> np.ndarray:
        """The weights (units of W) that conductances `g` ``(rows, physical columns)``, uS, hold."""
        pairs = self.pairs(g)
        if self.n_pol == 2:
            diff = pairs[..., 0] - pairs[..., 1]
        elif self.mapping == "offset-reference":
            diff = pairs[..., 0] - g[:, None, self.n_pair_columns :]
        else:
            diff = pairs[..., 0] - self.g_mid
        levels = diff / self.level_units()
        if self.n_slices == 1:
            # A product with one significance is one multiply: the same numbers as the product
            # below, without a length-one dot per weight (most of a programming round's decode).
            return levels[..., 0] * self.significance[0] / self.full_scale * self.w_max
        return (levels @ self.significance) / self.full_scale * self.w_max
