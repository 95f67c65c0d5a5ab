"""Weight encodings: how several non-negative conductances hold one signed weight.

* Significance encoding / bit slicing (physics reference section 9):
  ``W = sum_i F^(n-1-i) (G+_i - G-_i)``, slice 0 the most significant. `slice_levels`
  splits normalized weights ``w`` in [-1, 1] into signed slice levels ``s_i`` in
  ``[-(L_i - 1), L_i - 1]`` (``L_i = 2^bits_i`` levels per device) with
  ``w ~= sum_i F^(n-1-i) s_i / S``, ``S = sum_i F^(n-1-i) (L_i - 1)``.
  From the most significant slice down, each slice takes the level nearest its
  proportional share ``w (L_i - 1)`` plus the rounding carried down from above,
  among the levels that leave a remainder the slices below can still hold; the
  last slice takes what is left. Unquantized, every
  slice holds the same ``w`` and independent slice errors average as in Le Gallo
  et al., Neuromorph. Comput. Eng. 2, 014009 (2022): ``eta_s / sqrt(n)`` for
  F = 1, `sliced_error_factor` for F > 1. Quantized with F = 2^bits, it is
  ordinary digital bit slicing (CrossSim's ``sum 2^(i b) y_i``).
* Differential pairs (physics reference section 1): ``differential_targets`` (one-sided: the unused
  device sits at ``g_lo``; two-sided: both devices move around the middle),
  ``set_only_targets`` (asymmetric devices: a weight goes down by raising G-),
  and the offset mapping ``offset_targets`` (one device around the middle of
  the range, a reference at the middle).
* Input bit slicing: `input_chunks` splits DAC codes into b-bit chunks.

All conductances in uS. Vectorized NumPy: these run once per programming.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from .validate import finite_array, in_range, ordered_range, positive_int, scalar_in_range

MAX_BITS = 16
MAPPINGS = ("differential", "two-sided", "set-only", "offset-reference", "offset-digital")
"""``differential`` is the one-sided differential pair; ``two-sided`` moves both devices;
``set-only`` only ever raises conductances; the two offset mappings use one
device per weight with a reference column (analog) or a digital offset."""


def check_bits(bits: int, name: str) -> int:
    """Return `bits` as an int in [1, 16]."""
    return positive_int(bits, name, 1, MAX_BITS)


def slice_allocation(
    weight_bits: int, n_slices: int, allocation: Literal["balanced", "unbalanced"] = "balanced"
) -> tuple[int, ...]:
    """Bits per slice, most significant first, for `weight_bits` split over `n_slices`.

    ``balanced`` splits as evenly as possible (extra bits to the less
    significant slices); ``unbalanced`` (Diware et al., AICAS 2021) moves one
    more bit from each of the more significant half to the less significant
    half, so the slices that matter most get fewer, wider-spaced levels.
    """
    weight_bits = positive_int(weight_bits, "weight_bits", 1, MAX_BITS * 8)
    n_slices = positive_int(n_slices, "n_slices", 1, 8)
    if allocation not in ("balanced", "unbalanced"):
        raise ValueError(f"allocation must be 'balanced' or 'unbalanced', got {allocation!r}")
    if weight_bits < n_slices:
        raise ValueError(
            f"weight_bits = {weight_bits} cannot fill n_slices = {n_slices}: "
            f"each slice needs at least one bit (allowed: weight_bits >= n_slices)"
        )
    if weight_bits > MAX_BITS * n_slices:
        raise ValueError(
            f"weight_bits = {weight_bits} needs more than {MAX_BITS} bits per slice "
            f"with n_slices = {n_slices} (allowed: weight_bits <= {MAX_BITS * n_slices})"
        )
    base, extra = divmod(weight_bits, n_slices)
    bits = [base + (1 if i >= n_slices - extra else 0) for i in range(n_slices)]
    if allocation == "unbalanced":
        for i in range(n_slices // 2):
            j = n_slices - 1 - i
            if bits[i] > 1 and bits[j] < MAX_BITS:
                bits[i] -= 1
                bits[j] += 1
    return tuple(bits)


def check_slice_bits(slice_bits: int | Sequence[int]) -> tuple[int, ...]:
    """Return `slice_bits` as a tuple of ints in [1, 16] (most significant first)."""
    if isinstance(slice_bits, numbers.Integral):
        slice_bits = (slice_bits,)
    try:
        bits = tuple(slice_bits)
    except TypeError:
        raise ValueError(f"slice_bits must be a sequence of integers in [1, {MAX_BITS}], got {slice_bits!r}") from None
    if not 1 <= len(bits) <= 8:
        raise ValueError(f"slice_bits must hold 1 to 8 slices, got {len(bits)}")
    return tuple(check_bits(b, f"slice_bits[{i}]") for i, b in enumerate(bits))


def significances(slice_bits: int | Sequence[int], base: float) -> tuple[np.ndarray, float]:
    """Significance ``F^(n-1-i)`` of each slice and the full scale ``S`` (in least-significant units)."""
    slice_bits = check_slice_bits(slice_bits)
    base = scalar_in_range(base, 1.0, 2.0**MAX_BITS, "base")
    n = len(slice_bits)
    sig = np.array([base ** (n - 1 - i) for i in range(n)])
    full = float(np.sum(sig * (2.0 ** np.array(slice_bits) - 1.0)))
    return sig, full


def slice_levels(w: ArrayLike, slice_bits: int | Sequence[int], base: float, quantize: bool = True) -> np.ndarray:
    """Signed slice levels ``(n_slices, *w.shape)`` for normalized weights `w` in [-1, 1].

    Slice i holds ``s_i`` in ``[-(L_i - 1), L_i - 1]`` (integers if `quantize`)
    and ``sum_i F^(n-1-i) s_i / S`` reproduces `w` to within half a level of the
    least significant slice when F <= L of that slice (module docstring).
    """
    w = in_range(w, -1.0, 1.0, "w")
    slice_bits = check_slice_bits(slice_bits)
    sig, full = significances(slice_bits, base)
    top = 2.0 ** np.array(slice_bits) - 1.0
    out = np.empty((len(slice_bits),) + w.shape)
    remaining = w * full
    for i in range(len(slice_bits)):
        capacity_below = float(np.sum(sig[i + 1 :] * top[i + 1 :]))
        s = (remaining - w * capacity_below) / sig[i]  # its share, plus the rounding carried down
        if quantize:
            # Keep the remainder within what the less significant slices can hold.
            lo = np.ceil((remaining - capacity_below) / sig[i] - 1e-9)
            hi = np.floor((remaining + capacity_below) / sig[i] + 1e-9)
            s = np.where(lo <= hi, np.clip(np.rint(s), lo, hi), np.rint(remaining / sig[i]))
        s = np.clip(s, -top[i], top[i])
        out[i] = s
        remaining = remaining - sig[i] * s
    return out


def combine_slices(levels: ArrayLike, slice_bits: int | Sequence[int], base: float) -> np.ndarray:
    """Normalized weights ``sum_i F^(n-1-i) s_i / S`` from slice levels (inverse of `slice_levels`)."""
    sig, full = significances(slice_bits, base)
    levels = np.asarray(levels, dtype=np.float64)
    return np.tensordot(sig, levels, axes=(0, 0)) / full


def sliced_error_factor(n_slices: int, base: float) -> float:
    """Relative error of n slices over one slice for independent slice errors (section 9).

    ``1 / sqrt(n)`` for base 1, ``sqrt((b - 1)(b^n + 1) / ((b + 1)(b^n - 1)))``
    for base b > 1 (Le Gallo et al., Neuromorph. Comput. Eng. 2022).
    """
    n_slices = positive_int(n_slices, "n_slices", 1, 64)
    base = scalar_in_range(base, 1.0, 2.0**MAX_BITS, "base")
    if base == 1.0:
        return 1.0 / np.sqrt(n_slices)
    b, n = base, n_slices
    return float(np.sqrt((b - 1.0) * (b**n + 1.0) / ((b + 1.0) * (b**n - 1.0))))


def _check_range(g_lo, g_hi):
    return ordered_range(g_lo, g_hi, "g_lo", "g_hi", limit=1e6)


def differential_targets(
    v: ArrayLike, g_lo: float, g_hi: float, two_sided: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Targets ``(G+, G-)`` in uS for signed values `v` in [-1, 1] with ``G+ - G- = v (g_hi - g_lo)``.

    One-sided: the device of the other sign stays at `g_lo`. Two-sided: both
    devices move by half around the middle ``(g_lo + g_hi) / 2``.
    """
    v = in_range(v, -1.0, 1.0, "v")
    g_lo, g_hi = _check_range(g_lo, g_hi)
    span = g_hi - g_lo
    if two_sided:
        mid = 0.5 * (g_lo + g_hi)
        return mid + 0.5 * span * v, mid - 0.5 * span * v
    return g_lo + span * np.maximum(v, 0.0), g_lo + span * np.maximum(-v, 0.0)


def set_only_targets(
    v: ArrayLike, g_plus: ArrayLike, g_minus: ArrayLike, g_lo: float, g_hi: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """New targets ``(G+, G-, saturated)`` reaching `v` from the current pair by raising only.

    A weight goes up by raising G+ and down by raising G-, so both conductances
    only climb: a device whose increase is gradual and decrease abrupt (PCM's SET
    and RESET, docs/models.md) is only ever increased; where the needed device would pass `g_hi` it
    stops there and ``saturated`` is True (the pair needs a refresh).
    """
    v = in_range(v, -1.0, 1.0, "v")
    g_lo, g_hi = _check_range(g_lo, g_hi)
    g_plus = in_range(g_plus, g_lo, g_hi, "g_plus", " uS")
    g_minus = in_range(g_minus, g_lo, g_hi, "g_minus", " uS")
    if not (g_plus.shape == g_minus.shape == v.shape):
        raise ValueError(
            f"g_plus, g_minus and v must have one shape, got {g_plus.shape}, {g_minus.shape} and {v.shape}"
        )
    need = v * (g_hi - g_lo) - (g_plus - g_minus)
    new_plus = g_plus + np.maximum(need, 0.0)
    new_minus = g_minus + np.maximum(-need, 0.0)
    saturated = (new_plus > g_hi) | (new_minus > g_hi)
    return np.minimum(new_plus, g_hi), np.minimum(new_minus, g_hi), saturated


def offset_targets(v: ArrayLike, g_lo: float, g_hi: float) -> tuple[np.ndarray, float]:
    """Target ``G = g_mid + v (g_hi - g_lo) / 2`` (uS) of the offset mapping and the reference ``g_mid``."""
    v = in_range(v, -1.0, 1.0, "v")
    g_lo, g_hi = _check_range(g_lo, g_hi)
    mid = 0.5 * (g_lo + g_hi)
    return mid + 0.5 * (g_hi - g_lo) * v, mid


def input_chunks(codes: ArrayLike, input_bits: int, chunk_bits: int) -> tuple[np.ndarray, int]:
    """Split signed DAC codes into chunks ``(n_chunks, *codes.shape)``, least significant first.

    ``codes`` are integers in ``[-(2^(input_bits-1) - 1), 2^(input_bits-1) - 1]``;
    chunk k holds ``sign(code) ((|code| >> k b) & (2^b - 1))`` and
    ``codes = sum_k 2^(k b) chunk_k`` (sign-magnitude input bit slicing, section 9).
    """
    input_bits = check_bits(input_bits, "input_bits")
    chunk_bits = check_bits(chunk_bits, "input_slice_bits")
    magnitude_bits = max(input_bits - 1, 1)
    if chunk_bits > magnitude_bits:
        chunk_bits = magnitude_bits
    codes = finite_array(codes, "codes")
    mag = np.abs(codes).astype(np.int64)
    sign = np.sign(codes)
    n_chunks = -(-magnitude_bits // chunk_bits)
    mask = (1 << chunk_bits) - 1
    out = np.empty((n_chunks,) + codes.shape)
    for k in range(n_chunks):
        out[k] = sign * ((mag >> (k * chunk_bits)) & mask)
    return out, chunk_bits
