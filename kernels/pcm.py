"""Phase-change memory: programming noise, drift and 1/f read noise.

Two calibrations share one structure (physics-reference sections 1 and 2):

* ``VARIANT_JOSHI``: the statistical model of Nandakumar et al., ICECS 2019 and
  Joshi et al., Nat. Commun. 11, 2473 (2020), fitted on about one million
  devices (g_max = 25 uS, t0 = 20 s, t_read = 250 ns). IBM's aihwkit ships it
  as ``PCMLikeNoiseModel``.
* ``VARIANT_HERMES_2`` / ``VARIANT_HERMES_1``: the fits for IBM's 14 nm HERMES
  chip (Le Gallo et al., Nat. Electron. 6, 680 (2023)) with two devices or one
  device per weight, as in aihwkit's ``HermesNoiseModel``.

Programming draws ``g_prog`` and the drift exponent ``nu`` once per device;
every read at time ``t`` after programming applies power-law drift
``g_prog ((t + t0)/t0)^-nu`` and draws new 1/f read noise. Conductances in uS,
times in seconds.
"""

import numpy as np
from numba import njit, prange

from . import rng
from ._jit import INLINE_JIT, JIT, PARALLEL_JIT, pick, register_twins
from .validate import check_seed, check_time, in_range, scalar_in_range

VARIANT_JOSHI = 0
VARIANT_HERMES_2 = 1
VARIANT_HERMES_1 = 2

_R_CLIP = 1e-7  # smallest relative conductance in the logarithms, as aihwkit's _ZERO_CLIP

# Section 2 fits: programming-noise cubic coefficients (uS).
_HERMES2_PROG = (0.16603, 4.71806, -8.48101, 4.68961)
_HERMES1_PROG = (0.15782, 2.32444, -2.16311, 0.68842)


@njit(**INLINE_JIT)
def _clip(x, lo, hi):
    return min(max(x, lo), hi)


@njit(**INLINE_JIT)
def sigma_program(g_target, g_max, variant):
    """Programming-noise standard deviation (uS) at target `g_target`."""
    r = g_target / g_max
    if variant == VARIANT_JOSHI:
        s = 0.26348 + 1.9650 * r - 1.1731 * r * r
        return max(s, 0.0) * g_max / 25.0
    if variant == VARIANT_HERMES_2:
        c = _HERMES2_PROG
    else:
        c = _HERMES1_PROG
    return max(c[0] + r * (c[1] + r * (c[2] + r * c[3])), 0.0)


@njit(**INLINE_JIT)
def drift_mean_sd(g_target, g_max, variant):
    """Mean and spread of the drift exponent nu at target `g_target`."""
    r = max(abs(g_target) / g_max, _R_CLIP)
    lr = np.log(r)
    if variant == VARIANT_JOSHI:
        return (_clip(-0.0155 * lr + 0.0244, 0.049, 0.1),
                _clip(-0.0125 * lr - 0.0059, 0.008, 0.045))
    if r < 0.0945:
        mu = _clip(-0.0387 * lr - 0.0182, 0.072, 0.13)
    else:
        mu = -0.0436 * r * r - 0.0126 * r + 0.0736
    if variant == VARIANT_HERMES_2:
        if r < 0.3055:
            sd = _clip(-0.0117 * lr - 0.0057, 0.0091, 0.04)
        else:
            sd = -0.0118 * r * r + 0.0093 * r + 0.0073
    else:
        if r < 0.3039:
            sd = _clip(-0.0120 * lr - 0.0023, 0.0124, 0.04)
        else:
            sd = -0.0165 * r * r + 0.0116 * r + 0.0104
    return mu, sd


@njit(**INLINE_JIT)
def read_noise_q(g_prog, g_max, variant):
    """Relative 1/f noise amplitude Q_s of a device programmed to `g_prog`."""
    r = max(abs(g_prog) / g_max, _R_CLIP)
    if variant == VARIANT_JOSHI:
        return min(0.0088 / max(r ** 0.65, 1e-3), 0.2)
    if variant == VARIANT_HERMES_2:
        if r < 0.16:
            return _clip(-0.0117 * np.log(r) - 0.0069, 0.015, 0.04)
        return 0.0069 * r ** 3 - 0.0280 * r * r + 0.0211 * r + 0.0123
    if r < 0.1591:
        return _clip(-0.0078 * np.log(r) + 0.0038, 0.0179, 0.04)
    return 0.0664 * r ** 3 - 0.1352 * r * r + 0.0768 * r + 0.0088


@njit(**INLINE_JIT)
def _program_one(i, g_target, g_prog, nu, g_max, prog_scale, key_p, key_d, variant):
    gt = g_target[i]
    g_prog[i] = max(gt + prog_scale * sigma_program(gt, g_max, variant) * rng.normal(key_p, i), 0.0)
    mu, sd = drift_mean_sd(gt, g_max, variant)
    nu[i] = abs(mu + sd * rng.normal(key_d, i))


@njit(**JIT)
def _program_serial(g_target, g_prog, nu, g_max, prog_scale, seed, variant):
    key_p = rng.stream_key(seed, rng.STREAM_PROGRAM)
    key_d = rng.stream_key(seed, rng.STREAM_DRIFT)
    for i in range(g_target.size):
        _program_one(i, g_target, g_prog, nu, g_max, prog_scale, key_p, key_d, variant)


@njit(**PARALLEL_JIT)
def _program_parallel(g_target, g_prog, nu, g_max, prog_scale, seed, variant):
    key_p = rng.stream_key(seed, rng.STREAM_PROGRAM)
    key_d = rng.stream_key(seed, rng.STREAM_DRIFT)
    for i in prange(g_target.size):
        _program_one(i, g_target, g_prog, nu, g_max, prog_scale, key_p, key_d, variant)


@njit(**INLINE_JIT)
def _read_one(i, g_prog, nu, out, g_max, log_ratio, noise_time, key, variant):
    gp = g_prog[i]
    g_drift = gp * np.exp(-nu[i] * log_ratio)
    q = read_noise_q(gp, g_max, variant)
    out[i] = max(g_drift + abs(g_drift) * q * noise_time * rng.normal(key, i), 0.0)


@njit(**JIT)
def _read_serial(g_prog, nu, out, g_max, log_ratio, noise_time, seed, variant):
    key = rng.stream_key(seed, rng.STREAM_READ)
    for i in range(g_prog.size):
        _read_one(i, g_prog, nu, out, g_max, log_ratio, noise_time, key, variant)


@njit(**PARALLEL_JIT)
def _read_parallel(g_prog, nu, out, g_max, log_ratio, noise_time, seed, variant):
    key = rng.stream_key(seed, rng.STREAM_READ)
    for i in prange(g_prog.size):
        _read_one(i, g_prog, nu, out, g_max, log_ratio, noise_time, key, variant)


def _check_variant(variant):
    if variant not in (VARIANT_JOSHI, VARIANT_HERMES_2, VARIANT_HERMES_1):
        raise ValueError(f"variant must be one of 0 (Joshi), 1 (HERMES, 2 devices), 2 (HERMES, 1 device), got {variant!r}")
    return int(variant)


def program(g_target, *, g_max, seed, prog_noise_scale=1.0, variant=VARIANT_JOSHI):
    """Program PCM devices to `g_target` (uS, in [0, g_max]).

    Returns ``(g_prog, nu)``: the programmed conductances (uS) and the drift
    exponents, drawn once per device and kept (section 1 or 2 of the physics
    reference). Arrays keep the shape of `g_target`.
    """
    variant = _check_variant(variant)
    g_max = scalar_in_range(g_max, 1e-3, 1e4, "g_max", " uS")
    g_target = in_range(g_target, 0.0, g_max, "g_target", " uS")
    prog_noise_scale = scalar_in_range(prog_noise_scale, 0.0, 100.0, "prog_noise_scale")
    seed = check_seed(seed)
    flat = np.ascontiguousarray(g_target).ravel()
    g_prog = np.empty_like(flat)
    nu = np.empty_like(flat)
    kernel = pick("pcm.program", flat.size)
    kernel(flat, g_prog, nu, g_max, prog_noise_scale, seed, variant)
    return g_prog.reshape(g_target.shape), nu.reshape(g_target.shape)


def _read_args(g_prog, nu, t, g_max, t0, t_read, drift_scale, read_noise_scale, variant):
    """Checked arguments of a read: shape, flat g_prog and drift-scaled nu, g_max, variant,
    ``ln((t + t0)/t0)`` and the 1/f noise factor ``read_noise_scale sqrt(ln((t + t0 + t_r)/(2 t_r)))``."""
    variant = _check_variant(variant)
    t = check_time(t)
    g_max = scalar_in_range(g_max, 1e-3, 1e4, "g_max", " uS")
    drift_scale = scalar_in_range(drift_scale, 0.0, 100.0, "drift_scale")
    read_noise_scale = scalar_in_range(read_noise_scale, 0.0, 100.0, "read_noise_scale")
    g_prog = np.asarray(g_prog, dtype=np.float64)
    nu = np.asarray(nu, dtype=np.float64)
    if g_prog.shape != nu.shape:
        raise ValueError(f"nu must have the shape of g_prog {g_prog.shape}, got {nu.shape}")
    t_total = t + t0
    noise_time = read_noise_scale * np.sqrt(np.log((t_total + t_read) / (2.0 * t_read)))
    return (g_prog.shape, np.ascontiguousarray(g_prog).ravel(),
            np.ascontiguousarray(nu).ravel() * drift_scale, g_max, variant, np.log(t_total / t0), noise_time)


def read(g_prog, nu, t, *, g_max, t0, t_read, seed, drift_scale=1.0, read_noise_scale=1.0,
         variant=VARIANT_JOSHI):
    """Read PCM devices `t` seconds after programming; returns conductances in uS.

    Drift ``g_prog ((t + t0)/t0)^(-drift_scale nu)`` and 1/f read noise of
    standard deviation ``|g_drift| Q_s sqrt(ln((t + t0 + t_read)/(2 t_read)))``
    drawn anew at each read (physics reference, sections 1 and 2).
    """
    seed = check_seed(seed)
    shape, flat_g, flat_nu, g_max, variant, log_ratio, noise_time = _read_args(
        g_prog, nu, t, g_max, t0, t_read, drift_scale, read_noise_scale, variant)
    out = np.empty_like(flat_g)
    kernel = pick("pcm.read", flat_g.size)
    kernel(flat_g, flat_nu, out, g_max, log_ratio, noise_time, seed, variant)
    return out.reshape(shape)


@njit(**INLINE_JIT)
def _moments_one(i, g_prog, nu, mean, sigma, g_max, log_ratio, noise_time, variant):
    gp = g_prog[i]
    g_drift = gp * np.exp(-nu[i] * log_ratio)
    mean[i] = max(g_drift, 0.0)
    sigma[i] = abs(g_drift) * read_noise_q(gp, g_max, variant) * noise_time


@njit(**JIT)
def _moments_serial(g_prog, nu, mean, sigma, g_max, log_ratio, noise_time, variant):
    for i in range(g_prog.size):
        _moments_one(i, g_prog, nu, mean, sigma, g_max, log_ratio, noise_time, variant)


@njit(**PARALLEL_JIT)
def _moments_parallel(g_prog, nu, mean, sigma, g_max, log_ratio, noise_time, variant):
    for i in prange(g_prog.size):
        _moments_one(i, g_prog, nu, mean, sigma, g_max, log_ratio, noise_time, variant)


def read_moments(g_prog, nu, t, *, g_max, t0, t_read, drift_scale=1.0, read_noise_scale=1.0,
                 variant=VARIANT_JOSHI):
    """Mean and read-noise standard deviation (uS) of PCM devices read at time `t` (s).

    The mean is the drifted conductance of `read` and the standard deviation that
    of its 1/f read noise, without drawing it: the crossbar uses them in the
    variance identity of physics reference section 10 (the clip at 0 uS of a
    single read is not applied to the noise).
    """
    shape, flat_g, flat_nu, g_max, variant, log_ratio, noise_time = _read_args(
        g_prog, nu, t, g_max, t0, t_read, drift_scale, read_noise_scale, variant)
    mean = np.empty_like(flat_g)
    sigma = np.empty_like(flat_g)
    kernel = pick("pcm.moments", flat_g.size)
    kernel(flat_g, flat_nu, mean, sigma, g_max, log_ratio, noise_time, variant)
    return mean.reshape(shape), sigma.reshape(shape)


register_twins("pcm.program", _program_serial, _program_parallel)
register_twins("pcm.read", _read_serial, _read_parallel)
register_twins("pcm.moments", _moments_serial, _moments_parallel)
