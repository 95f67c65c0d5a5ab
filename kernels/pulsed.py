"""Pulse-update devices: conductance response to trains of identical pulses.

One family covers the devices of the physics reference (section 5) and the
pulse response of PCM and RRAM. A potentiating pulse moves the conductance up by

    dg+ = dg_up   ((g_max - g) / (g_max - g_min))^gamma_up   (1 + c2c xi)

and a depressing pulse down by

    dg- = dg_down ((g - g_min) / (g_max - g_min))^gamma_down (1 + c2c xi),

clipped to [g_min, g_max]. ``gamma = 1`` is the soft-bounds model of IBM's
aihwkit (``SoftBoundsDevice``); ``gamma = 0`` is a linear device with hard
bounds (ECRAM / Li-ion synaptic transistors, close to linear and symmetric).
Partial RESET of PCM is a depressing pulse with ``dg_down`` a large fraction of
the range: abrupt, while SET is gradual (Nandakumar et al., J. Appl. Phys. 124,
152135 (2018)). Device-to-device spread draws ``dg_up`` and ``dg_down`` once per
device; cycle-to-cycle spread draws a new ``xi`` at every pulse. Units: uS.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from numpy.typing import ArrayLike

from . import rng
from ._jit import INLINE_JIT, JIT, PARALLEL_JIT, pick, register_twins
from .programming import Response
from .validate import check_seed, finite_array, in_range, positive_int, scalar_in_range


@njit(**INLINE_JIT)
def _step(g, direction, resp, dg_up, dg_down, z):
    """`g` after one pulse of `direction` on the `kernels.programming.Response` `resp` (steps
    `dg_up`, `dg_down`, normal draw `z`)."""
    g_min, g_max, c2c = resp.g_min, resp.g_max, resp.c2c
    span = g_max - g_min
    if direction > 0:
        x = (g_max - g) / span
        dg = dg_up * (x**resp.gamma_up if resp.gamma_up != 0.0 else 1.0) * (1.0 + c2c * z)
        g = g + dg
    else:
        x = (g - g_min) / span
        dg = dg_down * (x**resp.gamma_down if resp.gamma_down != 0.0 else 1.0) * (1.0 + c2c * z)
        g = g - dg
    return min(max(g, g_min), g_max)


@njit(**INLINE_JIT)
def _train_one(d, g0, directions, out, resp, dg_up, dg_down, key):
    n_pulses = directions.size
    g = g0[d]
    out[d, 0] = g
    base = d * n_pulses
    for k in range(n_pulses):
        g = _step(g, directions[k], resp, dg_up[d], dg_down[d], rng.normal(key, base + k))
        out[d, k + 1] = g


@njit(**JIT)
def _train_serial(g0, directions, out, resp, dg_up, dg_down, seed):
    key = rng.stream_key(seed, rng.STREAM_PULSE)
    for d in range(g0.size):
        _train_one(d, g0, directions, out, resp, dg_up, dg_down, key)


@njit(**PARALLEL_JIT)
def _train_parallel(g0, directions, out, resp, dg_up, dg_down, seed):
    key = rng.stream_key(seed, rng.STREAM_PULSE)
    for d in prange(g0.size):
        _train_one(d, g0, directions, out, resp, dg_up, dg_down, key)


FAST_FORWARD_MARGIN = 16
"""Expected steps before the tolerance band at which a fast-forwarded approach hands over to
pulse-by-pulse simulation (plus six standard deviations of the skipped pulses' noise)."""


@njit(**INLINE_JIT)
def _fast_forward(g, target, resp, dg, up, z, max_pulses):
    """Skip the bulk of a one-way approach to `target` in one draw on the `Response` `resp` (its
    exponent in direction `up`); returns ``(g, pulses)``.

    For steps ``dg u^gamma (1 + c2c xi)`` with ``u`` the normalised distance to the bound the
    steps shrink toward and ``a = dg / (g_max - g_min)``, n pulses move ``u`` to
    ``u0 - a (n + c2c sqrt(n) z)`` for gamma = 0 and to ``u0 (1 - a)^n exp(-a c2c sqrt(n) z /
    (1 - a))`` for gamma = 1 (the sum of n independent step errors, by the central limit
    theorem; to first order in a for gamma = 1). n stops FAST_FORWARD_MARGIN expected steps plus
    six standard deviations of that sum before the stopping band ``|g - target| <= dg/2``, so a
    pulse-by-pulse loop would not have stopped earlier (probability below 1e-9) and the rest of
    the approach is simulated pulse by pulse. Other gammas are not fast-forwarded (pulses 0).
    """
    g_min, g_max, c2c = resp.g_min, resp.g_max, resp.c2c
    gamma = resp.gamma_up if up else resp.gamma_down
    span = g_max - g_min
    a = dg / span
    if a <= 0.0 or not (gamma == 0.0 or gamma == 1.0):
        return g, 0
    if up:
        u0 = (g_max - g) / span
        stop = (g_max - target) / span + 0.5 * a
    else:
        u0 = (g - g_min) / span
        stop = (target - g_min) / span + 0.5 * a
    if stop >= u0:
        return g, 0
    if gamma == 0.0:
        n_est = (u0 - stop) / a
        margin = FAST_FORWARD_MARGIN + 6.0 * c2c * np.sqrt(max(n_est, 0.0))
        n = min(int(n_est - margin), max_pulses)
        if n <= 0:
            return g, 0
        u = u0 - a * (n + c2c * np.sqrt(n) * z)
    else:
        if a >= 1.0:
            return g, 0
        n_est = np.log(stop / u0) / np.log1p(-a)
        margin = FAST_FORWARD_MARGIN + 6.0 * c2c * np.sqrt(max(n_est, 0.0))
        n = min(int(n_est - margin), max_pulses)
        if n <= 0:
            return g, 0
        u = u0 * np.exp(n * np.log1p(-a) - a * c2c * np.sqrt(n) * z / (1.0 - a))
    u = min(max(u, 0.0), 1.0)
    g = g_max - u * span if up else g_min + u * span
    return g, n


@njit(**INLINE_JIT)
def _to_target_one(d, g0, target, g_out, n_out, resp, dg_up, dg_down, max_pulses, key, skip_key, fast):
    g = g0[d]
    tol_up = 0.5 * dg_up[d]
    tol_down = 0.5 * dg_down[d]
    n = 0
    if fast:
        err = target[d] - g
        if err > tol_up:
            g, n = _fast_forward(g, target[d], resp, dg_up[d], True, rng.normal(skip_key, d), max_pulses)
        elif -err > tol_down:
            g, n = _fast_forward(g, target[d], resp, dg_down[d], False, rng.normal(skip_key, d), max_pulses)
    base = d * max_pulses
    while n < max_pulses:
        err = target[d] - g
        if err > tol_up:
            direction = 1
        elif -err > tol_down:
            direction = -1
        else:
            break
        g = _step(g, direction, resp, dg_up[d], dg_down[d], rng.normal(key, base + n))
        n += 1
    g_out[d] = g
    n_out[d] = n


@njit(**JIT)
def _to_target_serial(g0, target, g_out, n_out, resp, dg_up, dg_down, max_pulses, seed, fast):
    key = rng.stream_key(seed, rng.STREAM_PULSE)
    skip_key = rng.stream_key(seed, rng.STREAM_PULSE_SKIP)
    for d in range(g0.size):
        _to_target_one(d, g0, target, g_out, n_out, resp, dg_up, dg_down, max_pulses, key, skip_key, fast)


@njit(**PARALLEL_JIT)
def _to_target_parallel(g0, target, g_out, n_out, resp, dg_up, dg_down, max_pulses, seed, fast):
    key = rng.stream_key(seed, rng.STREAM_PULSE)
    skip_key = rng.stream_key(seed, rng.STREAM_PULSE_SKIP)
    for d in prange(g0.size):
        _to_target_one(d, g0, target, g_out, n_out, resp, dg_up, dg_down, max_pulses, key, skip_key, fast)


def _check_range(g_min, g_max):
    g_min = scalar_in_range(g_min, 0.0, 1e4, "g_min", " uS")
    g_max = scalar_in_range(g_max, 0.0, 1e4, "g_max", " uS")
    if g_max <= g_min:
        raise ValueError(f"g_max must exceed g_min, got g_min={g_min:g} uS, g_max={g_max:g} uS")
    return g_min, g_max


def _per_device(value, n, name, span):
    arr = finite_array(value, name)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    arr = np.ascontiguousarray(arr, dtype=np.float64).ravel()
    if arr.size != n:
        raise ValueError(f"{name} must be a scalar or have one entry per device ({n}), got {arr.size}")
    if arr.min() < 0.0 or arr.max() > span:
        raise ValueError(f"{name} must lie in [0, {span:g}] uS (the conductance range)")
    return arr


def device_steps(
    n_devices: int, *, dg_min: float, asymmetry: float = 0.0, d2d: float = 0.0, seed: int, g_span: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per-device step sizes ``(dg_up, dg_down)`` in uS.

    ``dg_up = dg_min (1 + asymmetry)``, ``dg_down = dg_min (1 - asymmetry)``, each
    multiplied by ``max(1 + d2d xi, 0)`` with an independent draw per device
    (device-to-device spread, about 30 % in aihwkit's presets).
    """
    n_devices = positive_int(n_devices, "n_devices", 1, 10**8)
    dg_min = scalar_in_range(dg_min, 0.0, 1e4, "dg_min", " uS")
    asymmetry = scalar_in_range(asymmetry, -1.0, 1.0, "asymmetry")
    d2d = scalar_in_range(d2d, 0.0, 10.0, "d2d")
    seed = check_seed(seed)
    z = rng.numpy_normal(seed, rng.STREAM_DEVICE, 2 * n_devices)
    dg_up = dg_min * (1.0 + asymmetry) * np.maximum(1.0 + d2d * z[:n_devices], 0.0)
    dg_down = dg_min * (1.0 - asymmetry) * np.maximum(1.0 + d2d * z[n_devices:], 0.0)
    if g_span is not None:
        np.minimum(dg_up, g_span, out=dg_up)
        np.minimum(dg_down, g_span, out=dg_down)
    return dg_up, dg_down


def pulse_train(
    g0: ArrayLike,
    directions: ArrayLike,
    *,
    g_min: float,
    g_max: float,
    dg_up: ArrayLike,
    dg_down: ArrayLike,
    gamma_up: float = 1.0,
    gamma_down: float = 1.0,
    c2c: float = 0.0,
    seed: int,
) -> np.ndarray:
    """Conductance after each pulse of a train, shape ``(n_devices, n_pulses + 1)`` in uS.

    `g0` holds the start conductances (one per device), `directions` the pulse
    signs (+1 potentiate, -1 depress), `dg_up`/`dg_down` scalars or one per device.
    """
    g_min, g_max = _check_range(g_min, g_max)
    g0 = np.ascontiguousarray(in_range(g0, g_min, g_max, "g0", " uS")).ravel()
    directions = np.ascontiguousarray(finite_array(directions, "directions")).ravel()
    if directions.size and not np.all(np.isin(directions, (-1.0, 1.0))):
        raise ValueError("directions must contain only +1 (potentiate) and -1 (depress)")
    directions = directions.astype(np.int8)
    span = g_max - g_min
    dg_up = _per_device(dg_up, g0.size, "dg_up", span)
    dg_down = _per_device(dg_down, g0.size, "dg_down", span)
    gamma_up = scalar_in_range(gamma_up, 0.0, 10.0, "gamma_up")
    gamma_down = scalar_in_range(gamma_down, 0.0, 10.0, "gamma_down")
    c2c = scalar_in_range(c2c, 0.0, 10.0, "c2c")
    seed = check_seed(seed)
    out = np.empty((g0.size, directions.size + 1))
    kernel = pick("pulsed.train", out.size)
    kernel(g0, directions, out, Response(g_min, g_max, gamma_up, gamma_down, c2c), dg_up, dg_down, seed)
    return out


def pulse_to_target(
    g0: ArrayLike,
    g_target: ArrayLike,
    *,
    g_min: float,
    g_max: float,
    dg_up: ArrayLike,
    dg_down: ArrayLike,
    gamma_up: float = 1.0,
    gamma_down: float = 1.0,
    c2c: float = 0.0,
    max_pulses: int = 10000,
    seed: int,
    fast_forward: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Closed-loop pulsing: pulse each device toward its target, reading after every pulse.

    Stops when the device is within half a step of its target or after
    `max_pulses`. Returns ``(g_final, n_pulses)``; arrays keep the shape of `g_target`.

    ``fast_forward=True`` (gamma 0 or 1) replaces the bulk of each approach by one draw of
    its summed step noise (`_fast_forward`) and simulates only the last tens of pulses: the
    same distribution of final conductances and pulse counts (checked against the
    pulse-by-pulse loop in the tests) at a cost independent of the number of states; a
    soft-bounds device of 1,200 states takes about 30 pulses of work instead of thousands.
    """
    g_min, g_max = _check_range(g_min, g_max)
    g_target = in_range(g_target, g_min, g_max, "g_target", " uS")
    shape = g_target.shape
    target = np.ascontiguousarray(g_target).ravel()
    g0 = finite_array(g0, "g0")
    g0 = np.ascontiguousarray(np.broadcast_to(g0, shape) if g0.ndim == 0 else g0).ravel()
    if g0.size != target.size:
        raise ValueError(f"g0 must be a scalar or match g_target's shape {shape}")
    in_range(g0, g_min, g_max, "g0", " uS")
    span = g_max - g_min
    dg_up = _per_device(dg_up, target.size, "dg_up", span)
    dg_down = _per_device(dg_down, target.size, "dg_down", span)
    gamma_up = scalar_in_range(gamma_up, 0.0, 10.0, "gamma_up")
    gamma_down = scalar_in_range(gamma_down, 0.0, 10.0, "gamma_down")
    c2c = scalar_in_range(c2c, 0.0, 10.0, "c2c")
    max_pulses = positive_int(max_pulses, "max_pulses", 0, 10**7)
    seed = check_seed(seed)
    g_out = np.empty_like(target)
    n_out = np.empty(target.size, dtype=np.int64)
    kernel = pick("pulsed.to_target", target.size)
    kernel(
        g0,
        target,
        g_out,
        n_out,
        Response(g_min, g_max, gamma_up, gamma_down, c2c),
        dg_up,
        dg_down,
        max_pulses,
        seed,
        bool(fast_forward),
    )
    return g_out.reshape(shape), n_out.reshape(shape)


register_twins("pulsed.train", _train_serial, _train_parallel)
register_twins("pulsed.to_target", _to_target_serial, _to_target_parallel)
