"""Argument checks shared by the public kernel wrappers.

Every check raises `ValueError` naming the argument and what is allowed, so
that a notebook user or a dashboard sees a clear message instead of a NaN.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from numpy.typing import ArrayLike

from .rng import MAX_SEED


def check_seed(seed: object, name: str = "seed") -> int:
    """Return `seed` as a Python int in [0, 2**63 - 1]; reject bools, floats and others."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise ValueError(f"{name} must be an integer in [0, {MAX_SEED}], got {seed!r} of type {type(seed).__name__}")
    seed = int(seed)
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"{name} must be an integer in [0, {MAX_SEED}], got {seed}")
    return seed


def finite_array(values: ArrayLike, name: str) -> np.ndarray:
    """Return `values` as a float64 array, rejecting NaN and infinities."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be an array of real numbers: {exc}") from None
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} must be finite: {bad} value(s) are NaN or infinite")
    return arr


def in_range(values: ArrayLike, low: float, high: float, name: str, unit: str = "") -> np.ndarray:
    """Return `values` as a finite float64 array whose entries lie in [low, high]."""
    arr = finite_array(values, name)
    if arr.size and (arr.min() < low or arr.max() > high):
        raise ValueError(
            f"{name} must lie in [{low:g}, {high:g}]{unit}; got values from {arr.min():g} to {arr.max():g}{unit}"
        )
    return arr


def scalar_in_range(value: object, low: float, high: float, name: str, unit: str = "") -> float:
    """Return `value` as a float in [low, high]; reject NaN, infinities and non-numbers."""
    # A Python float first: the common case skips the abstract-class checks (every kernel wrapper
    # checks its scalars, many times per read of a small array).
    if type(value) is not float and (isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real)):
        raise ValueError(f"{name} must be a real number in [{low:g}, {high:g}]{unit}, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"{name} must be a real number in [{low:g}, {high:g}]{unit}, got {value!r}")
    return value


def check_time(t: object, name: str = "t") -> float:
    """Return a time after programming in seconds: finite and not negative."""
    return scalar_in_range(t, 0.0, 1e12, name, " s")


def positive_int(value: object, name: str, low: int = 1, high: int = 2**31 - 1) -> int:
    """Return `value` as an int in [low, high]."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer in [{low}, {high}], got {value!r}")
    value = int(value)
    if not low <= value <= high:
        raise ValueError(f"{name} must be an integer in [{low}, {high}], got {value}")
    return value


def counts_of(value: object, name: str, high: int) -> tuple[list[int], bool]:
    """`value`, an integer or a sequence of integers in [0, high], as ``(list of ints, whether it
    was one integer)``: for the functions that compute one result per count, stacked."""
    if isinstance(value, (list, tuple, np.ndarray)):
        if np.ndim(value) != 1 or len(value) == 0:
            raise ValueError(f"{name} must be an integer or a 1-D sequence of integers in [0, {high}], got {value!r}")
        return [positive_int(v, name, 0, high) for v in np.asarray(value).tolist()], False
    return [positive_int(value, name, 0, high)], True


def ordered_range(
    low: object, high: object, low_name: str, high_name: str, limit: float = 1e4, unit: str = " uS"
) -> tuple[float, float]:
    """Return ``(low, high)`` as floats in [0, limit] with ``high > low`` (e.g. g_min, g_max)."""
    low = scalar_in_range(low, 0.0, limit, low_name, unit)
    high = scalar_in_range(high, 0.0, limit, high_name, unit)
    if not high > low:
        raise ValueError(f"{high_name} must be larger than {low_name} ({low:g}{unit}), got {high:g}{unit}")
    return low, high
