"""RRAM: programming noise, relaxation, read noise, random telegraph noise, read disturb.

Inference statistics of CMO/HfOx filamentary devices measured at IBM Research
Zurich, as IBM's aihwkit ships them in ``ReRamCMONoiseModel`` (physics
reference, section 3): one device per weight, g in [9.0, 88.2] uS.

* `program`: program-and-verify noise, ``sigma = 0.00081107 + 0.00106879 g``
  (acceptance range 0.2 %) or ``0.011219 + 0.011290 g`` (2 %), and one
  standard normal ``relax_deviate`` per device, drawn once and kept.
* `read`: relaxation ``g_prog - 0.0890 ln t + (0.0420 ln t + 0.4118) xi`` with
  ``xi = relax_deviate`` (a smooth trajectory per device), an optional
  read-disturb shift and random telegraph noise (RTN) state, then read noise
  ``0.02773 log10(g) sqrt(ln((t + t_r)/(2 t_r)))``, ``t_r = 1 us``.
* `rtn_parameters`, `rtn_trace`: a two-state trap per device whose relative
  amplitude grows as the filament thins (Ielmini, Nardi, Cagli, Appl. Phys.
  Lett. 96, 053503 (2010)).
* `read_disturb`: soft-bounded conductance shift after repeated reads,
  unipolar or bipolar, saturating at a shift that grows with the read voltage
  above a threshold (`saturated_shift`; Shim, Luo, Seo, Yu, IEEE TED 67(6), 2020
  and IRPS 2020).

Conductances in uS, times in seconds, voltages in volts.
"""

from __future__ import annotations

import math
import numbers
from typing import Literal, NamedTuple

import numpy as np
from numba import njit, prange
from numpy.typing import ArrayLike

from . import rng
from ._jit import INLINE_JIT, JIT, PARALLEL_JIT, pick, register_twins
from .validate import (
    check_seed,
    check_time,
    counts_of,
    finite_array,
    in_range,
    ordered_range,
    positive_int,
    scalar_in_range,
)

G_MIN = 9.0
"""Lowest conductance of the CMO/HfOx fit (uS)."""
G_MAX = 88.2
"""Highest conductance of the CMO/HfOx fit (uS)."""

# Programming noise sigma = c0 + c1 g (uS) after program-and-verify.
_PROG_SIGMA = {0.2: (0.00081107, 0.00106879), 2.0: (0.011219, 0.011290)}

# Relaxation (uS): mean shift per ln t, spread slope per ln t, spread at 1 s.
RELAX_MEAN_SLOPE = 0.0890
RELAX_SD_SLOPE = 0.0420
RELAX_SD_AT_1S = 0.4118
T_FIT_MIN = 1.0
"""Earliest time (s) of the relaxation fit; earlier reads are treated as reads at 1 s."""

READ_NOISE_COEFF = 0.02773
T_READ = 1e-6
"""Read time t_r of the read-noise fit (s)."""

_MAX_TRACE_ELEMENTS = 200_000_000
_MAX_READS = 10**15


@njit(**INLINE_JIT)
def _clip(x, lo, hi):
    return min(max(x, lo), hi)


# ----------------------------------------------------------------------------- program


@njit(**INLINE_JIT)
def _program_one(i, g_target, g_prog, relax, c0, c1, prog_scale, g_min, g_max, key_p, key_r):
    gt = g_target[i]
    g_prog[i] = _clip(gt + prog_scale * (c0 + c1 * gt) * rng.normal(key_p, i), g_min, g_max)
    relax[i] = rng.normal(key_r, i)


@njit(**JIT)
def _program_serial(g_target, g_prog, relax, c0, c1, prog_scale, g_min, g_max, seed):
    key_p = rng.stream_key(seed, rng.STREAM_PROGRAM)
    key_r = rng.stream_key(seed, rng.STREAM_RELAX)
    for i in range(g_target.size):
        _program_one(i, g_target, g_prog, relax, c0, c1, prog_scale, g_min, g_max, key_p, key_r)


@njit(**PARALLEL_JIT)
def _program_parallel(g_target, g_prog, relax, c0, c1, prog_scale, g_min, g_max, seed):
    key_p = rng.stream_key(seed, rng.STREAM_PROGRAM)
    key_r = rng.stream_key(seed, rng.STREAM_RELAX)
    for i in prange(g_target.size):
        _program_one(i, g_target, g_prog, relax, c0, c1, prog_scale, g_min, g_max, key_p, key_r)


# ----------------------------------------------------------------------------- read


class ReadLaw(NamedTuple):
    """One read's scalars (`read`): the relaxation's mean shift and spread (uS) at the read time,
    the read-noise time factor, and the conductance range ``g_min`` to ``g_max`` (uS)."""

    mean_shift: float
    spread: float
    noise_time: float
    g_min: float
    g_max: float


class ReadFaults(NamedTuple):
    """Per-device read disturb and RTN of a read (`read`): ``disturb`` shares of the headroom,
    RTN ``amplitude`` and ``occupancy``, each an empty array when its flag is off."""

    disturb: np.ndarray
    has_disturb: bool
    amplitude: np.ndarray
    occupancy: np.ndarray
    has_rtn: bool


class RtnLaw(NamedTuple):
    """The trap statistics of `rtn_parameters`: amplitude ``a_ref`` at conductance ``g_ref`` (uS)
    with its ``exponent``, median dwell times ``tc_med`` and ``te_med`` (s), their log-normal
    ``spread`` (decades)."""

    a_ref: float
    g_ref: float
    exponent: float
    tc_med: float
    te_med: float
    spread: float


@njit(**INLINE_JIT)
def _relaxed(i, g_prog, relax, law, faults):
    """Device i's conductance after relaxation and read disturb (steps 1 and 2 of `read`), uS."""
    g = g_prog[i] - law.mean_shift + law.spread * relax[i]
    if faults.has_disturb:  # a share of the headroom toward g_max (d > 0) or g_min (d < 0)
        d = faults.disturb[i]
        g += d * (max(law.g_max - g, 0.0) if d >= 0.0 else max(g - law.g_min, 0.0))
    return g


@njit(**INLINE_JIT)
def _read_one(i, g_prog, relax, out, law, faults, key_rtn, key_read):
    g_min, g_max = law.g_min, law.g_max
    amplitude, occupancy = faults.amplitude, faults.occupancy
    g = _relaxed(i, g_prog, relax, law, faults)
    if faults.has_rtn:
        # Zero-mean about the verified conductance: program-and-verify settles on the trap's time
        # average, so the empty state sits above it and the occupied state below.
        g /= 1.0 - occupancy[i] * amplitude[i]
        if rng.uniform(key_rtn, i) < occupancy[i]:
            g *= 1.0 - amplitude[i]
    sigma = law.noise_time * READ_NOISE_COEFF * np.log10(max(g, 1.0))
    out[i] = _clip(g + sigma * rng.normal(key_read, i), g_min, g_max)


@njit(**JIT)
def _read_serial(g_prog, relax, out, law, faults, seed):
    key_rtn = rng.stream_key(seed, rng.STREAM_RTN)
    key_read = rng.stream_key(seed, rng.STREAM_READ)
    for i in range(g_prog.size):
        _read_one(i, g_prog, relax, out, law, faults, key_rtn, key_read)


@njit(**PARALLEL_JIT)
def _read_parallel(g_prog, relax, out, law, faults, seed):
    key_rtn = rng.stream_key(seed, rng.STREAM_RTN)
    key_read = rng.stream_key(seed, rng.STREAM_READ)
    for i in prange(g_prog.size):
        _read_one(i, g_prog, relax, out, law, faults, key_rtn, key_read)


# ----------------------------------------------------------------------------- RTN


@njit(**INLINE_JIT)
def _rtn_param_one(i, g, amp, tau_c, tau_e, occ, law, key):
    """Device i's trap (`rtn_parameters`) under the `RtnLaw` `law`."""
    amp[i] = _clip(law.a_ref * (law.g_ref / g[i]) ** law.exponent, 0.0, 0.5)
    # Counters 2i (capture) and 2i + 1 (emission); one call site keeps compilation short.
    for j in range(2):
        z = 10.0 ** (law.spread * rng.normal(key, 2 * i + j))
        if j == 0:
            tau_c[i] = law.tc_med * z
        else:
            tau_e[i] = law.te_med * z
    occ[i] = tau_e[i] / (tau_c[i] + tau_e[i])


@njit(**JIT)
def _rtn_params_serial(g, amp, tau_c, tau_e, occ, law, seed):
    key = rng.stream_key(seed, rng.STREAM_DEVICE)
    for i in range(g.size):
        _rtn_param_one(i, g, amp, tau_c, tau_e, occ, law, key)


@njit(**PARALLEL_JIT)
def _rtn_params_parallel(g, amp, tau_c, tau_e, occ, law, seed):
    key = rng.stream_key(seed, rng.STREAM_DEVICE)
    for i in prange(g.size):
        _rtn_param_one(i, g, amp, tau_c, tau_e, occ, law, key)


@njit(**INLINE_JIT)
def _rtn_switch_probabilities(tau_c, tau_e, dt):
    """Exact two-state switching probabilities over dt: (high -> low, low -> high)."""
    occ = tau_e / (tau_c + tau_e)
    rate = 1.0 / tau_c + 1.0 / tau_e
    settle = -np.expm1(-rate * dt)
    return occ * settle, (1.0 - occ) * settle, occ


@njit(**INLINE_JIT)
def _rtn_trace_one(i, g, amp, tau_c, tau_e, out, dt, key):
    n = g.size
    p_hl, p_lh, occ = _rtn_switch_probabilities(tau_c[i], tau_e[i], dt)
    g_high = g[i] / (1.0 - occ * amp[i])  # time average g[i] (zero-mean, as in `read`)
    g_low = g_high * (1.0 - amp[i])
    low = rng.uniform(key, i) < occ
    out[i, 0] = g_low if low else g_high
    for j in range(1, out.shape[1]):
        u = rng.uniform(key, j * n + i)
        if low:
            if u < p_lh:
                low = False
        elif u < p_hl:
            low = True
        out[i, j] = g_low if low else g_high


@njit(**JIT)
def _rtn_trace_serial(g, amp, tau_c, tau_e, out, dt, seed):
    key = rng.stream_key(seed, rng.STREAM_RTN)
    for i in range(g.size):
        _rtn_trace_one(i, g, amp, tau_c, tau_e, out, dt, key)


@njit(**PARALLEL_JIT)
def _rtn_trace_parallel(g, amp, tau_c, tau_e, out, dt, seed):
    key = rng.stream_key(seed, rng.STREAM_RTN)
    for i in prange(g.size):
        _rtn_trace_one(i, g, amp, tau_c, tau_e, out, dt, key)


# ----------------------------------------------------------------------------- read disturb


@njit(**INLINE_JIT)
def _settled_fraction(k, n):
    """1 - (1 - k)**n for a float count n >= 0, accurate for small k."""
    if n == 0.0:
        return 0.0
    return -np.expm1(n * np.log1p(-k))


@njit(**INLINE_JIT)
def _disturb_one(i, d_in, d_out, n_reads, mode, k, s, eta, m, has_m):
    d = d_in[i]
    ki, si = k, s
    if has_m:  # the device's susceptibility scales its rate and its saturated shift
        ki = min(k * m[i], 1.0)
        si = min(s * m[i], 1.0)
    kn = eta * ki  # a read of negative polarity moves the filament back less efficiently
    if mode == 0:  # bipolar: n // 2 pairs (+V then -V), then one +V read if n is odd
        # One pair maps d -> a d + c, a = (1 - ki)(1 - kn), c = (1 - kn) ki si - kn si; its fixed point
        # c / (1 - a) is -ki si / (2 - ki) for eta = 1 and about si (1 - eta) / (1 + eta) for small ki.
        pairs = float(n_reads // 2)
        one_minus_a = ki + kn - ki * kn
        if pairs > 0.0 and one_minus_a > 0.0:
            fixed = ((1.0 - kn) * ki * si - kn * si) / one_minus_a
            if ki >= 1.0 or kn >= 1.0:
                f = 1.0
            else:
                f = -np.expm1(pairs * (np.log1p(-ki) + np.log1p(-kn)))
            d = d - f * (d - fixed)
        if n_reads % 2 == 1:
            d = d + ki * (si - d)
    elif mode == 1:  # unipolar (+V): d_n = si - (si - d_0)(1 - ki)^n
        d = d + (si - d) * _settled_fraction(ki, float(n_reads))
    else:  # negative (-V) reads only: toward -si at rate kn
        d = d + (-si - d) * _settled_fraction(kn, float(n_reads))
    d_out[i] = d


@njit(**JIT)
def _disturb_serial(d_in, d_out, n_reads, mode, k, s, eta, m, has_m):
    for i in range(d_in.size):
        _disturb_one(i, d_in, d_out, n_reads, mode, k, s, eta, m, has_m)


@njit(**PARALLEL_JIT)
def _disturb_parallel(d_in, d_out, n_reads, mode, k, s, eta, m, has_m):
    for i in prange(d_in.size):
        _disturb_one(i, d_in, d_out, n_reads, mode, k, s, eta, m, has_m)


# ----------------------------------------------------------------------------- wrappers


def _check_bounds(g_min, g_max):
    return ordered_range(g_min, g_max, "g_min", "g_max")


def _same_shape(arr, shape, name, ref_name):
    if arr.shape != shape:
        raise ValueError(f"{name} must have the shape of {ref_name} {shape}, got {arr.shape}")
    return np.ascontiguousarray(arr).ravel()


def _positive_array(values, name, unit=""):
    arr = finite_array(values, name)
    if arr.size and not arr.min() > 0.0:
        raise ValueError(f"{name} must be finite and > 0{unit}; smallest value is {arr.min():g}{unit}")
    return arr


def _check_tolerance(tolerance_percent):
    ok = (
        not isinstance(tolerance_percent, (bool, np.bool_))
        and isinstance(tolerance_percent, numbers.Real)
        and float(tolerance_percent) in _PROG_SIGMA
    )
    if not ok:
        raise ValueError(f"tolerance_percent must be 0.2 or 2.0 (%), got {tolerance_percent!r}")
    return float(tolerance_percent)


def program(
    g_target: ArrayLike,
    *,
    seed: int,
    g_min: float = G_MIN,
    g_max: float = G_MAX,
    tolerance_percent: float = 0.2,
    prog_noise_scale: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Program RRAM devices to `g_target` (uS, in [g_min, g_max]) with program-and-verify.

    ``g_prog = clip(g_T + prog_noise_scale sigma(g_T) xi, g_min, g_max)`` with
    ``sigma = 0.00081107 + 0.00106879 g_T`` (acceptance range
    ``tolerance_percent = 0.2``) or ``0.011219 + 0.011290 g_T`` (2.0), in uS
    (IBM Zurich CMO/HfOx, aihwkit ``ReRamCMONoiseModel``).

    Returns ``(g_prog, relax_deviate)``: programmed conductances (uS) and one
    standard normal per device, drawn now and kept, which sets where the
    device sits in the relaxation spread at every later `read`. Arrays keep
    the shape of `g_target`.
    """
    g_min, g_max = _check_bounds(g_min, g_max)
    g_target = in_range(g_target, g_min, g_max, "g_target", " uS")
    tolerance_percent = _check_tolerance(tolerance_percent)
    prog_noise_scale = scalar_in_range(prog_noise_scale, 0.0, 100.0, "prog_noise_scale")
    seed = check_seed(seed)
    c0, c1 = _PROG_SIGMA[tolerance_percent]
    flat = np.ascontiguousarray(g_target).ravel()
    g_prog = np.empty_like(flat)
    relax = np.empty_like(flat)
    kernel = pick("rram.program", flat.size)
    kernel(flat, g_prog, relax, c0, c1, prog_noise_scale, g_min, g_max, seed)
    return g_prog.reshape(g_target.shape), relax.reshape(g_target.shape)


def read(
    g_prog: ArrayLike,
    relax_deviate: ArrayLike,
    t: float,
    *,
    seed: int,
    g_min: float = G_MIN,
    g_max: float = G_MAX,
    drift_scale: float = 1.0,
    read_noise_scale: float = 1.0,
    rtn_amplitude: ArrayLike | None = None,
    rtn_occupancy: ArrayLike | None = None,
    disturb: ArrayLike | None = None,
) -> np.ndarray:
    """Read RRAM devices `t` seconds after programming; returns conductances in uS.

    In order, with ``ts = max(t, 1 s)`` and ``xi = relax_deviate``:

    1. relaxation (IBM Zurich CMO/HfOx fit, valid from 1 s on; earlier reads
       are treated as reads at 1 s, so the spread there is ``0.4118 drift_scale``):
       ``g = g_prog - drift_scale 0.0890 ln ts + drift_scale (0.0420 ln ts + 0.4118) xi``;
    2. read disturb, if `disturb` d is given (per device, see `read_disturb`): the
       conductance moves the share d of its headroom, ``g += d (g_max - g)`` for d >= 0
       (filament growth toward the SET state) and ``g += d (g - g_min)`` for d < 0, so the
       high-resistance states, with the most headroom, shift the most (Shim et al., IRPS 2020);
    3. RTN, if `rtn_amplitude` A and `rtn_occupancy` q are given (per device, see
       `rtn_parameters`), zero-mean about the conductance so far (program-and-verify settles
       on the trap's time average): ``g /= 1 - q A``, then with probability q the trap is
       occupied and ``g *= 1 - A``;
    4. read noise of standard deviation
       ``read_noise_scale 0.02773 log10(g) sqrt(ln((ts + t_r)/(2 t_r)))``,
       ``t_r = 1 us`` (``log10`` of ``max(g, 1 uS)`` so the spread never turns
       negative); ``ts`` rather than ``t`` so a read right after programming is
       not noise-free (the formula would vanish at ``t = t_r``);
    5. clip to ``[g_min, g_max]``.

    The read-noise and RTN draws depend on `seed` only: use a new seed for each read.
    """
    seed = check_seed(seed)
    shape, flat_g, relax, law, faults = _read_args(
        g_prog, relax_deviate, t, g_min, g_max, drift_scale, read_noise_scale, rtn_amplitude, rtn_occupancy, disturb
    )
    out = np.empty_like(flat_g)
    kernel = pick("rram.read", flat_g.size)
    kernel(flat_g, relax, out, law, faults, seed)
    return out.reshape(shape)


def _read_args(g_prog, relax_deviate, t, g_min, g_max, drift_scale, read_noise_scale, amplitude, occupancy, disturb):
    """Validate the arguments of `read` and `read_moments` (every bad one named) and build the
    kernels' inputs: ``(shape, g_prog, relax_deviate, ReadLaw, ReadFaults)``, arrays flat."""
    t = check_time(t)
    g_min, g_max = _check_bounds(g_min, g_max)
    drift_scale = scalar_in_range(drift_scale, 0.0, 100.0, "drift_scale")
    read_noise_scale = scalar_in_range(read_noise_scale, 0.0, 100.0, "read_noise_scale")
    g_prog = in_range(g_prog, g_min, g_max, "g_prog", " uS")
    shape = g_prog.shape
    flat_g = np.ascontiguousarray(g_prog).ravel()
    relax = _same_shape(finite_array(relax_deviate, "relax_deviate"), shape, "relax_deviate", "g_prog")
    empty = np.empty(0, dtype=np.float64)
    has_disturb = disturb is not None
    flat_d = _same_shape(in_range(disturb, -1.0, 1.0, "disturb"), shape, "disturb", "g_prog") if has_disturb else empty
    if (amplitude is None) != (occupancy is None):
        raise ValueError("rtn_amplitude and rtn_occupancy must be given together (or both None)")
    has_rtn = amplitude is not None
    if has_rtn:
        amp = _same_shape(in_range(amplitude, 0.0, 1.0, "rtn_amplitude"), shape, "rtn_amplitude", "g_prog")
        occ = _same_shape(in_range(occupancy, 0.0, 1.0, "rtn_occupancy"), shape, "rtn_occupancy", "g_prog")
    else:
        amp = occ = empty
    log_t = np.log(max(t, T_FIT_MIN))
    mean_shift = drift_scale * RELAX_MEAN_SLOPE * log_t
    spread = drift_scale * (RELAX_SD_SLOPE * log_t + RELAX_SD_AT_1S)
    ts = max(t, T_FIT_MIN)
    noise_time = read_noise_scale * np.sqrt(np.log((ts + T_READ) / (2.0 * T_READ)))
    law = ReadLaw(mean_shift, spread, noise_time, g_min, g_max)
    return shape, flat_g, relax, law, ReadFaults(flat_d, has_disturb, amp, occ, has_rtn)


def rtn_parameters(
    g_prog: ArrayLike,
    *,
    seed: int,
    amplitude_at_ref: float = 0.02,
    g_ref: float = 30.0,
    exponent: float = 1.0,
    tau_capture: float = 1e-2,
    tau_emission: float = 1e-2,
    tau_spread_decades: float = 1.0,
) -> dict[str, np.ndarray]:
    """Random-telegraph-noise parameters of one two-state trap per device.

    The relative RTN amplitude grows as the filament thins, i.e. at low
    conductance (Ielmini, Nardi, Cagli, Appl. Phys. Lett. 96, 053503 (2010)):
    ``amplitude = clip(amplitude_at_ref (g_ref / g_prog)^exponent, 0, 0.5)``.
    Convention: the trap is empty (the high state) for a mean dwell time ``tau_capture`` and
    occupied (the high state times ``1 - amplitude``) for a mean dwell time ``tau_emission``;
    `read` and `rtn_trace` place the two states so that the programmed conductance is their
    time average. Both are log-normal, ``median * 10^(tau_spread_decades xi)``
    with independent draws. The stationary probability of the occupied (low)
    state is ``occupancy = tau_emission / (tau_capture + tau_emission)``.

    `g_prog` and `g_ref` in uS, taus in seconds. Returns a dict of arrays with
    the shape of `g_prog`: ``amplitude``, ``tau_capture``, ``tau_emission``, ``occupancy``.
    """
    g_prog = in_range(g_prog, 1e-3, 1e4, "g_prog", " uS")
    amplitude_at_ref = scalar_in_range(amplitude_at_ref, 0.0, 0.5, "amplitude_at_ref")
    g_ref = scalar_in_range(g_ref, 1e-3, 1e4, "g_ref", " uS")
    exponent = scalar_in_range(exponent, 0.0, 10.0, "exponent")
    tau_capture = scalar_in_range(tau_capture, 1e-12, 1e6, "tau_capture", " s")
    tau_emission = scalar_in_range(tau_emission, 1e-12, 1e6, "tau_emission", " s")
    tau_spread_decades = scalar_in_range(tau_spread_decades, 0.0, 3.0, "tau_spread_decades")
    seed = check_seed(seed)
    flat = np.ascontiguousarray(g_prog).ravel()
    amp, tau_c, tau_e, occ = (np.empty_like(flat) for _ in range(4))
    kernel = pick("rram.rtn_params", flat.size)
    kernel(
        flat,
        amp,
        tau_c,
        tau_e,
        occ,
        RtnLaw(amplitude_at_ref, g_ref, exponent, tau_capture, tau_emission, tau_spread_decades),
        seed,
    )
    shape = g_prog.shape
    return {
        "amplitude": amp.reshape(shape),
        "tau_capture": tau_c.reshape(shape),
        "tau_emission": tau_e.reshape(shape),
        "occupancy": occ.reshape(shape),
    }


def rtn_trace(
    g: ArrayLike,
    amplitude: ArrayLike,
    tau_capture: ArrayLike,
    tau_emission: ArrayLike,
    *,
    dt: float,
    n_steps: int,
    seed: int,
) -> np.ndarray:
    """Conductance (uS) of each device sampled every `dt` seconds under RTN.

    A continuous-time two-state Markov chain per device (conventions of
    `rtn_parameters`: mean dwell `tau_capture` in the high state ``g_h = g / (1 - occupancy
    amplitude)``, `tau_emission` in the low state ``g_h (1 - amplitude)``, so that `g` is the
    time average, as in `read`), sampled with the
    exact switching probabilities over `dt`,
    ``p(high->low) = occupancy (1 - exp(-dt (1/tau_c + 1/tau_e)))`` and
    ``p(low->high) = (1 - occupancy) (1 - exp(-dt (1/tau_c + 1/tau_e)))``,
    starting from the stationary distribution. The state at step 0 is drawn
    as in `read` (same stream and counter), so with the same seed it matches
    the RTN state of a `read`. Returns an array of shape ``(g.size, n_steps)``.
    """
    g = _positive_array(g, "g", " uS")
    shape = g.shape
    flat_g = np.ascontiguousarray(g).ravel()
    amp = _same_shape(in_range(amplitude, 0.0, 1.0, "amplitude"), shape, "amplitude", "g")
    tau_c = _same_shape(_positive_array(tau_capture, "tau_capture", " s"), shape, "tau_capture", "g")
    tau_e = _same_shape(_positive_array(tau_emission, "tau_emission", " s"), shape, "tau_emission", "g")
    dt = scalar_in_range(dt, 0.0, 1e12, "dt", " s")
    if not dt > 0.0:
        raise ValueError(f"dt must be > 0 s, got {dt!r}")
    n_steps = positive_int(n_steps, "n_steps", 1, 10_000_000)
    seed = check_seed(seed)
    n = flat_g.size
    if n * n_steps > _MAX_TRACE_ELEMENTS:
        raise ValueError(
            f"n_steps times the number of devices must be at most {_MAX_TRACE_ELEMENTS}, got {n} x {n_steps}"
        )
    out = np.empty((n, n_steps), dtype=np.float64)
    kernel = pick("rram.rtn_trace", n * n_steps if n > 1 else 0)
    kernel(flat_g, amp, tau_c, tau_e, out, dt, seed)
    return out


_POLARITY_MODES = {"bipolar": 0, "unipolar": 1, "negative": -1}


def saturated_shift(v_read: float, *, shift_per_volt: float = 1.0, v_threshold: float = 0.3) -> float:
    """Saturated read-disturb shift (share of the headroom) of reads at `v_read` volts, before the
    device's susceptibility: ``shift_per_volt max(v_read - v_threshold, 0)``, at most 1.

    Field-driven: below the threshold the read's field is too weak to grow the filament, so the
    shift saturates at 0; above it the filament grows further the stronger the field (Shim, Luo,
    Seo, Yu, IRPS 2020 and IEEE TED 67(6), 2020). `v_read` and `v_threshold` in volts,
    `shift_per_volt` per volt. See `read_disturb` for which constants come from a source.
    """
    v_read = scalar_in_range(v_read, 0.0, 10.0, "v_read", " V")
    shift_per_volt = scalar_in_range(shift_per_volt, 0.0, 100.0, "shift_per_volt", " per V")
    v_threshold = scalar_in_range(v_threshold, 0.0, 10.0, "v_threshold", " V")
    return min(shift_per_volt * max(v_read - v_threshold, 0.0), 1.0)


def read_disturb(
    disturb: ArrayLike,
    n_reads: float,
    *,
    polarity: Literal["unipolar", "bipolar", "negative"] = "unipolar",
    v_read: float = 0.2,
    shift_per_volt: float = 1.0,
    v_threshold: float = 0.3,
    reads_to_saturate: float = 1e6,
    v_ref: float = 0.2,
    v_slope: float = 0.05,
    negative_efficiency: float = 1.0,
    susceptibility: ArrayLike | None = None,
) -> np.ndarray:
    """Share of its headroom each device has shifted after `n_reads` more reads (`read` applies it).

    Repeated reads grow the filament and shift the conductance toward a saturation value (Shim,
    Luo, Seo, Yu, IEEE TED 67(6), 2020 and IRPS 2020: vertical and lateral filament growth that
    saturates, accelerated by the read voltage). A positive shift is toward g_max (the SET
    direction). Each read of polarity p moves ``d += p k_p (s - p d)``, a soft-bounded walk toward
    ``p s``, with

    * the per-read rate of a positive read ``k = min(m exp((v_read - v_ref)/v_slope) / reads_to_saturate, 1)``
      (field-accelerated ion hopping), of a negative read ``k_- = negative_efficiency k``;
    * the saturated shift, field-driven: ``s = min(m shift_per_volt max(v_read - v_threshold, 0), 1)``
      (`saturated_shift`): reads at or below the threshold leave an undisturbed device where it is
      however many there are, and above it the states move further the higher the voltage;

    ``m`` is the device's `susceptibility` (default 1: every device alike). Each read moves d toward
    the saturated shift of its own voltage, so reads below the threshold (s = 0) walk an earlier
    shift back toward 0 at their (slow) rate.

    * ``"unipolar"``: p = +1, ``d_n = s - (s - d_0)(1 - k)^n``, saturates at ``s``;
    * ``"negative"``: p = -1 (reading with -V), saturates at ``-s`` at rate ``k_-``;
    * ``"bipolar"``: p alternates +1, -1, ... starting with +1 (closed form for the ``n // 2``
      pairs plus one +V read if n is odd). Each -V read pushes the ions back: with
      ``negative_efficiency`` 1 the net shift cancels to first order in k and stays
      ``O(k s)``; with ``negative_efficiency`` eta < 1 it settles at about
      ``s (1 - eta) / (1 + eta)``, at about the unipolar rate.

    Sources and assumptions: the saturating, voltage-accelerated growth and the bipolar
    cancellation are Shim et al.'s; the threshold's place, about 0.3 V, is their finding that reads
    at or below about 0.3 V keep inference accuracy, consistent with Yao et al. (Nature 577, 641,
    2020, Ext. Data Fig. 7: 1e6 reads at 0.2 V leave 8-level cells stable). The linear growth above
    the threshold, the exact zero below it, `shift_per_volt`, `v_slope`, `reads_to_saturate` and
    `negative_efficiency` are illustrative: no source here measures them for these devices.

    `disturb` in [-1, 1], `n_reads` an integer in [0, 1e15] (or a sequence of them: the shifts
    after each, stacked along a first axis, the arguments checked once), voltages in volts,
    `shift_per_volt` in [0, 100] per volt, `negative_efficiency` in [0, 1], `susceptibility`
    positive, the shape of `disturb`. Returns the new shifts with the shape of `disturb`.
    """
    d = in_range(disturb, -1.0, 1.0, "disturb")
    counts, single = counts_of(n_reads, "n_reads", _MAX_READS)
    if not isinstance(polarity, str) or polarity not in _POLARITY_MODES:
        raise ValueError(f"polarity must be 'unipolar', 'bipolar' or 'negative', got {polarity!r}")
    mode = _POLARITY_MODES[polarity]
    v_read = scalar_in_range(v_read, 0.0, 10.0, "v_read", " V")
    s = saturated_shift(v_read, shift_per_volt=shift_per_volt, v_threshold=v_threshold)
    reads_to_saturate = scalar_in_range(reads_to_saturate, 1.0, 1e18, "reads_to_saturate")
    v_ref = scalar_in_range(v_ref, 0.0, 10.0, "v_ref", " V")
    v_slope = scalar_in_range(v_slope, 1e-4, 10.0, "v_slope", " V")
    eta = scalar_in_range(negative_efficiency, 0.0, 1.0, "negative_efficiency")
    exponent = min((v_read - v_ref) / v_slope, 700.0)
    k = min(float(np.exp(exponent)) / reads_to_saturate, 1.0)
    flat = np.ascontiguousarray(d).ravel()
    has_m = susceptibility is not None
    m = (
        _same_shape(in_range(susceptibility, 0.0, 1e6, "susceptibility"), d.shape, "susceptibility", "disturb")
        if has_m
        else np.empty(0, dtype=np.float64)
    )
    out = np.empty((len(counts), flat.size))
    kernel = pick("rram.disturb", flat.size)
    for row, n in zip(out, counts):
        kernel(flat, row, n, mode, k, s, eta, m, has_m)
    return out[0].reshape(d.shape) if single else out.reshape((len(counts), *d.shape))


_FAR = 40.0
"""Standard deviations from the mean beyond which a bound of `_censored` is skipped: there the
normal's density and tail mass underflow to exactly 0 in float64 (both below 1e-340), so the
bound adds nothing to the moments, and its erfc and exp need not be evaluated."""


_PHI_0 = 0.3989422804014327
"""The standard normal density at 0, 1 / sqrt(2 pi)."""


@njit(**INLINE_JIT)
def _phi(x):
    return np.exp(-0.5 * x * x) * _PHI_0


@njit(**INLINE_JIT)
def _cdf(x):
    return 0.5 * math.erfc(-x * 0.7071067811865476)


@njit(**INLINE_JIT)
def _censored(m, s, lo, hi):
    """Mean and standard deviation of ``clip(m + s xi, lo, hi)``: a normal censored at both bounds
    (for m in [lo, hi]). A bound more than `_FAR` standard deviations away is skipped (its terms
    are exactly 0), and a mean on a bound (a device programmed to g_min and clipped there, common
    in a differential array) takes the normal's values at 0 without calling erfc and exp (the
    same numbers)."""
    if s <= 0.0:
        return min(max(m, lo), hi), 0.0
    a, b = (lo - m) / s, (hi - m) / s
    pa = fa = 0.0
    if a == 0.0:  # the mean on the bound (every device clipped there): Phi(0) and phi(0) exactly
        pa, fa = 0.5, _PHI_0
    elif a > -_FAR:
        pa, fa = _cdf(a), _phi(a)
    pb, fb = 1.0, 0.0
    if b == 0.0:
        pb, fb = 0.5, _PHI_0
    elif b < _FAR:
        pb, fb = _cdf(b), _phi(b)
    inside = pb - pa
    # E[X; a < Z < b] and E[X^2; a < Z < b] of the unclipped normal, plus the clipped masses.
    e1 = m * inside + s * (fa - fb)
    e2 = (m * m + s * s) * inside + 2.0 * m * s * (fa - fb) + s * s * (a * fa - b * fb)
    mean = e1 + lo * pa + hi * (1.0 - pb)
    second = e2 + lo * lo * pa + hi * hi * (1.0 - pb)
    return mean, math.sqrt(max(second - mean * mean, 0.0))


@njit(**INLINE_JIT)
def _noise_free(i, g_prog, relax, law, faults):
    """Device i's noise-free read (relaxed, disturbed, clipped; uS) and its read noise's standard
    deviation (uS)."""
    g = _clip(_relaxed(i, g_prog, relax, law, faults), law.g_min, law.g_max)
    return g, law.noise_time * READ_NOISE_COEFF * np.log10(max(g, 1.0))


@njit(**INLINE_JIT)
def _with_rtn(i, g_prog, relax, law, faults):
    """`_noise_free` with the variance of device i's two-state trap added (its time average is g,
    its high state ``g / (1 - occupancy amplitude)``): the mean and standard deviation (uS)."""
    g, s = _noise_free(i, g_prog, relax, law, faults)
    var = s * s
    if faults.has_rtn:
        amp, occ = faults.amplitude[i], faults.occupancy[i]
        high = g * amp / (1.0 - occ * amp)
        var += high * high * occ * (1.0 - occ)
    return g, math.sqrt(var)


@njit(**JIT)
def _unclipped_with_rtn(g_prog, relax, mean, sd, law, faults):
    """`_with_rtn` of every device, in one serial loop that both kernels call: a loop of its own in
    the parallel kernel rounded the trap's variance differently in a few devices."""
    for i in range(g_prog.size):
        mean[i], sd[i] = _with_rtn(i, g_prog, relax, law, faults)


@njit(**JIT)
def _censor_near(mean, sd, lo, hi):
    """Replace the moments of the devices with a bound within `_FAR` standard deviations (where the
    clip changes them) by the censored normal's. One loop over the devices near a bound, by index:
    a branch inside the loop over every device had LLVM evaluate both bounds' erfc for each."""
    near = np.empty(mean.size, dtype=np.int64)
    k = 0
    for i in range(mean.size):
        if mean[i] - lo < _FAR * sd[i] or hi - mean[i] < _FAR * sd[i]:
            near[k] = i
            k += 1
    for j in range(k):
        i = near[j]
        mean[i], sd[i] = _censored(mean[i], sd[i], lo, hi)


# Both kernels: every device's unclipped moments first (a loop without special functions), then
# the censored moments of the devices near a bound, in one serial function (the serial and parallel
# kernels must compile the censored moments alike to give identical numbers); with telegraph noise,
# the first pass is one serial function too, for the same reason.


@njit(**JIT)
def _moments_serial(g_prog, relax, mean, sd, law, faults):
    # Without telegraph noise (reads' default) a loop of its own, which LLVM vectorizes (a branch on
    # the case inside the loop kept it from that); with it, one serial function both kernels call.
    if faults.has_rtn:
        _unclipped_with_rtn(g_prog, relax, mean, sd, law, faults)
    else:
        for i in range(g_prog.size):
            g, s = _noise_free(i, g_prog, relax, law, faults)
            mean[i], sd[i] = g, math.sqrt(s * s)
    _censor_near(mean, sd, law.g_min, law.g_max)


@njit(**PARALLEL_JIT)
def _moments_parallel(g_prog, relax, mean, sd, law, faults):
    if faults.has_rtn:
        _unclipped_with_rtn(g_prog, relax, mean, sd, law, faults)
    else:
        for i in prange(g_prog.size):
            g, s = _noise_free(i, g_prog, relax, law, faults)
            mean[i], sd[i] = g, math.sqrt(s * s)
    _censor_near(mean, sd, law.g_min, law.g_max)


def read_moments(
    g_prog: ArrayLike,
    relax_deviate: ArrayLike,
    t: float,
    *,
    g_min: float = G_MIN,
    g_max: float = G_MAX,
    drift_scale: float = 1.0,
    read_noise_scale: float = 1.0,
    rtn_amplitude: ArrayLike | None = None,
    rtn_occupancy: ArrayLike | None = None,
    disturb: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation (uS) of RRAM devices read at time `t` (s).

    Same model as `read`: the relaxed (and disturbed) conductance g, around which the
    telegraph noise is zero-mean, with the variance of the read noise
    ``(0.02773 log10 g sqrt(ln((ts + t_r)/(2 t_r))))^2`` plus the two-state trap's
    ``(g_h amplitude)^2 occupancy (1 - occupancy)`` (``g_h = g / (1 - occupancy amplitude)``,
    the high state); then, as `read` clips every read to ``[g_min, g_max]``, the mean and
    standard deviation of that normal censored at the bounds (near a bound the reads pile up
    on it, so their mean is not g). Used by the crossbar's variance identity (physics reference
    section 10), which treats the telegraph noise as Gaussian of the same variance. Computed
    without drawing any noise or building temporary arrays; the censored moments only for the
    devices within 40 standard deviations of a bound (farther, the bound's terms are exactly 0 in
    float64 and the moments are g and the standard deviation itself, `_FAR`).
    """
    shape, flat_g, relax, law, faults = _read_args(
        g_prog, relax_deviate, t, g_min, g_max, drift_scale, read_noise_scale, rtn_amplitude, rtn_occupancy, disturb
    )
    mean, sd = np.empty_like(flat_g), np.empty_like(flat_g)
    kernel = pick("rram.moments", flat_g.size)
    kernel(flat_g, relax, mean, sd, law, faults)
    return mean.reshape(shape), sd.reshape(shape)


register_twins("rram.program", _program_serial, _program_parallel)
register_twins("rram.read", _read_serial, _read_parallel)
register_twins("rram.moments", _moments_serial, _moments_parallel)
register_twins("rram.rtn_params", _rtn_params_serial, _rtn_params_parallel)
register_twins("rram.rtn_trace", _rtn_trace_serial, _rtn_trace_parallel)
register_twins("rram.disturb", _disturb_serial, _disturb_parallel)
