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
times in seconds. The public wrappers take and return float64 arrays; the kernels
compute in float32 with vectorizable functions (see below).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numba import njit, prange
from numpy.typing import ArrayLike

from . import rng
from ._jit import INLINE_JIT, JIT, PARALLEL_JIT, pick, register_twins
from .fmath import exp32, log32
from .validate import check_seed, check_time, in_range, scalar_in_range

VARIANT_JOSHI = "joshi"
VARIANT_HERMES_2 = "hermes-2"
VARIANT_HERMES_1 = "hermes-1"
VARIANTS = (VARIANT_JOSHI, VARIANT_HERMES_2, VARIANT_HERMES_1)
"""The calibrations a public wrapper's ``variant`` accepts; the kernels get the position in this
tuple (0, 1, 2) as an integer code."""

_JOSHI, _HERMES_2, _HERMES_1 = range(3)

# The kernels compute in float32 (conductances in uS to about 1e-7 relative, far below every noise
# of the model) with `kernels.fmath`'s logarithm and exponential and `rng.normal_f32`: no branch and
# no library call per element, so LLVM vectorizes every loop (eight devices per AVX2 instruction).
# Each piecewise fit is evaluated as both pieces and a selection. Inputs and outputs stay float64.
_F = np.float32
_R_CLIP = _F(1e-7)  # smallest relative conductance in the logarithms, as aihwkit's _ZERO_CLIP
_NEVER = _F(3e38)  # a threshold above every relative conductance: the first piece applies everywhere
_ZERO = _F(0.0)

# Programming-noise standard deviation (uS), a cubic in r = g_target/g_max: (c0, c1, c2, c3)
# (sections 1 and 2). Each fit is in uS for the g_max it was measured at (`PROG_G_MAX_REFERENCE`);
# `program` scales the kernel's sigma by g_max / that reference, as aihwkit's noise models do (one
# factor with the noise scale, applied after the clip at 0: scaled coefficients let fastmath's
# reassociation round the serial and parallel loops differently).
_PROG = (
    tuple(_F(c) for c in (0.26348, 1.9650, -1.1731, 0.0)),  # Joshi (quadratic)
    tuple(_F(c) for c in (0.16603, 4.71806, -8.48101, 4.68961)),  # HERMES, 2 devices
    tuple(_F(c) for c in (0.15782, 2.32444, -2.16311, 0.68842)),  # HERMES, 1 device
)
PROG_G_MAX_REFERENCE = (25.0, 20.7, 10.35)
"""g_max (uS) each variant's programming-noise fit was made at (Joshi: 25 uS, section 1; HERMES:
20.7 uS with two devices per weight, 10.35 uS with one, section 2). The fit's sigma (uS) is scaled
by ``g_max / reference`` for another g_max: for HERMES this is aihwkit's ``HermesNoiseModel`` rule
(``sig_prog *= g_max / prog_coeff_g_max_reference``), for Joshi its ``PCMLikeNoiseModel``'s
(``g_max / 25``). At the fit's own g_max the scale is 1."""

# Mean and spread of the drift exponent nu, each in two pieces: below r_split
# ``clip(a ln r + b, lo, hi)``, from r_split on ``q2 r^2 + q1 r + q0``, as
# (r_split, a, b, lo, hi, q2, q1, q0) for the mean, then the same eight for the spread.
_DRIFT = (
    tuple(
        _F(c)
        for c in (
            _NEVER,
            -0.0155,
            0.0244,
            0.049,
            0.1,
            0.0,
            0.0,
            0.0,  # Joshi: one piece
            _NEVER,
            -0.0125,
            -0.0059,
            0.008,
            0.045,
            0.0,
            0.0,
            0.0,
        )
    ),
    tuple(
        _F(c)
        for c in (
            0.0945,
            -0.0387,
            -0.0182,
            0.072,
            0.13,
            -0.0436,
            -0.0126,
            0.0736,
            0.3055,
            -0.0117,
            -0.0057,
            0.0091,
            0.04,
            -0.0118,
            0.0093,
            0.0073,
        )
    ),
    tuple(
        _F(c)
        for c in (
            0.0945,
            -0.0387,
            -0.0182,
            0.072,
            0.13,
            -0.0436,
            -0.0126,
            0.0736,
            0.3039,
            -0.0120,
            -0.0023,
            0.0124,
            0.04,
            -0.0165,
            0.0116,
            0.0104,
        )
    ),
)

# Relative 1/f read-noise amplitude Q_s. Joshi: ``min(0.0088 r^-0.65, 0.2)`` (the fit's
# ``max(r^0.65, 1e-3)`` never binds below the 0.2 cap). HERMES: below r_split
# ``clip(a ln r + b, lo, hi)``, from r_split on ``c3 r^3 + c2 r^2 + c1 r + c0``, as
# (r_split, a, b, lo, hi, c3, c2, c1, c0); the Joshi row is unused (its law is a power).
_Q_JOSHI_A, _Q_JOSHI_EXP, _Q_JOSHI_MAX = _F(0.0088), _F(-0.65), _F(0.2)
_READ_Q = (
    tuple(_F(c) for c in (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)),
    tuple(_F(c) for c in (0.16, -0.0117, -0.0069, 0.015, 0.04, 0.0069, -0.0280, 0.0211, 0.0123)),
    tuple(_F(c) for c in (0.1591, -0.0078, 0.0038, 0.0179, 0.04, 0.0664, -0.1352, 0.0768, 0.0088)),
)


@njit(**INLINE_JIT)
def _clip(x, lo, hi):
    return min(max(x, lo), hi)


@njit(**INLINE_JIT)
def _two_pieces(r, lr, c, k):
    """``clip(a ln r + b, lo, hi)`` below r_split, the quadratic from there on (coefficients c[k:k+8])."""
    low = _clip(c[k + 1] * lr + c[k + 2], c[k + 3], c[k + 4])
    high = (c[k + 5] * r + c[k + 6]) * r + c[k + 7]
    return low if r < c[k] else high


@njit(**INLINE_JIT)
def sigma_program(g_target, inv_g_max, prog):
    """Programming-noise standard deviation (uS, float32) at target `g_target` (uS, float32), for
    the cubic `prog` of one variant (`_PROG`; sections 1 and 2) at its fit's g_max: `program`
    scales it by g_max / `PROG_G_MAX_REFERENCE`."""
    r = g_target * inv_g_max
    return max(prog[0] + r * (prog[1] + r * (prog[2] + r * prog[3])), _ZERO)


@njit(**INLINE_JIT)
def drift_mean_sd(g_target, inv_g_max, drift):
    """Mean and spread of the drift exponent nu (float32) at target `g_target` (uS), for the
    coefficients `drift` of one variant (`_DRIFT`; sections 1 and 2)."""
    r = max(abs(g_target) * inv_g_max, _R_CLIP)
    lr = log32(r)
    return _two_pieces(r, lr, drift, 0), _two_pieces(r, lr, drift, 8)


@njit(**INLINE_JIT)
def read_noise_q(g_prog, inv_g_max, joshi, q):
    """Relative 1/f noise amplitude Q_s (float32) of a device programmed to `g_prog` (uS):
    Joshi's power law if `joshi`, else the HERMES fit with coefficients `q` (`_READ_Q`)."""
    r = max(abs(g_prog) * inv_g_max, _R_CLIP)
    lr = log32(r)
    if joshi:
        return min(_Q_JOSHI_A * exp32(_Q_JOSHI_EXP * lr), _Q_JOSHI_MAX)
    low = _clip(q[1] * lr + q[2], q[3], q[4])
    high = ((q[5] * r + q[6]) * r + q[7]) * r + q[8]
    return low if r < q[0] else high


@njit(**INLINE_JIT)
def _program_coefficients(g_max, seed, variant):
    """Per-call constants of the programming loop: the variant's noise cubic (uS at its fit's
    g_max), its drift coefficients, 1/g_max and the two stream keys."""
    return (
        _PROG[variant],
        _DRIFT[variant],
        _F(1.0 / g_max),
        rng.stream_key(seed, rng.STREAM_PROGRAM),
        rng.stream_key(seed, rng.STREAM_DRIFT),
    )


# The per-device helpers take and return scalars and the loops load and store the arrays
# themselves: a helper storing into an array argument keeps LLVM from vectorizing the loop
# (`kernels._jit.INLINE_JIT`).
@njit(**INLINE_JIT)
def _program_one(g_target, i, inv_g_max, prog_scale, key_p, key_d, prog, drift):
    """Programmed conductance (uS) and drift exponent (float32) of device `i` with target `g_target`."""
    noise = prog_scale * sigma_program(g_target, inv_g_max, prog)
    g_prog = max(g_target + noise * rng.normal_f32(key_p, i), _ZERO)
    mu, sd = drift_mean_sd(g_target, inv_g_max, drift)
    return g_prog, abs(mu + sd * rng.normal_f32(key_d, i))


@njit(**JIT)
def _program_serial(g_target, g_prog, nu, g_max, prog_scale, seed, variant):
    prog, drift, inv_g_max, key_p, key_d = _program_coefficients(g_max, seed, variant)
    scale = _F(prog_scale)
    for i in range(g_target.size):
        g_prog[i], nu[i] = _program_one(_F(g_target[i]), i, inv_g_max, scale, key_p, key_d, prog, drift)


@njit(**PARALLEL_JIT)
def _program_parallel(g_target, g_prog, nu, g_max, prog_scale, seed, variant):
    prog, drift, inv_g_max, key_p, key_d = _program_coefficients(g_max, seed, variant)
    scale = _F(prog_scale)
    for i in prange(g_target.size):
        g_prog[i], nu[i] = _program_one(_F(g_target[i]), i, inv_g_max, scale, key_p, key_d, prog, drift)


@njit(**INLINE_JIT)
def _drifted(gp, nu, drift_log):
    """Drifted conductance ``g_prog exp(-nu drift_log)`` (float32); drift_log is
    ``drift_scale ln((t + t0)/t0)``."""
    return gp * exp32(-nu * drift_log)


@njit(**INLINE_JIT)
def _read_one(g_prog, nu, i, inv_g_max, drift_log, noise_time, key, joshi, q):
    """One read (uS, float32) of device `i`: drift, then 1/f noise, clipped at 0."""
    g_drift = _drifted(g_prog, nu, drift_log)
    sigma = abs(g_drift) * read_noise_q(g_prog, inv_g_max, joshi, q) * noise_time
    return max(g_drift + sigma * rng.normal_f32(key, i), _ZERO)


@njit(**JIT)
def _read_serial(g_prog, nu, out, g_max, drift_log, noise_time, seed, variant):
    key = rng.stream_key(seed, rng.STREAM_READ)
    q = _READ_Q[variant]
    inv_g_max, dl, nt = _F(1.0 / g_max), _F(drift_log), _F(noise_time)
    if variant == _JOSHI:  # one loop per law, so that the loops have no branch
        for i in range(g_prog.size):
            out[i] = _read_one(_F(g_prog[i]), _F(nu[i]), i, inv_g_max, dl, nt, key, True, q)
    else:
        for i in range(g_prog.size):
            out[i] = _read_one(_F(g_prog[i]), _F(nu[i]), i, inv_g_max, dl, nt, key, False, q)


@njit(**PARALLEL_JIT)
def _read_parallel(g_prog, nu, out, g_max, drift_log, noise_time, seed, variant):
    key = rng.stream_key(seed, rng.STREAM_READ)
    q = _READ_Q[variant]
    inv_g_max, dl, nt = _F(1.0 / g_max), _F(drift_log), _F(noise_time)
    if variant == _JOSHI:
        for i in prange(g_prog.size):
            out[i] = _read_one(_F(g_prog[i]), _F(nu[i]), i, inv_g_max, dl, nt, key, True, q)
    else:
        for i in prange(g_prog.size):
            out[i] = _read_one(_F(g_prog[i]), _F(nu[i]), i, inv_g_max, dl, nt, key, False, q)


def _check_variant(variant):
    """The kernels' integer code of `variant` (one of `VARIANTS`)."""
    if not isinstance(variant, str) or variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(repr(v) for v in VARIANTS)}, got {variant!r}")
    return VARIANTS.index(variant)


def program(
    g_target: ArrayLike,
    *,
    g_max: float,
    seed: int,
    prog_noise_scale: float = 1.0,
    variant: Literal["joshi", "hermes-2", "hermes-1"] = VARIANT_JOSHI,
) -> tuple[np.ndarray, np.ndarray]:
    """Program PCM devices to `g_target` (uS, in [0, g_max]).

    Returns ``(g_prog, nu)``: the programmed conductances (uS) and the drift
    exponents, drawn once per device and kept (section 1 or 2 of the physics
    reference; `variant` one of `VARIANTS`). The programming noise's sigma is the
    variant's fit at ``r = g_target / g_max`` times ``g_max / PROG_G_MAX_REFERENCE``
    (the g_max of the fit; aihwkit's rule). Arrays keep the shape of `g_target`
    (float64; computed in float32).
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
    # the kernels' noise scale: the caller's times g_max over the g_max of the variant's fit
    scale = prog_noise_scale * (g_max / PROG_G_MAX_REFERENCE[variant])
    kernel(flat, g_prog, nu, g_max, scale, seed, variant)
    return g_prog.reshape(g_target.shape), nu.reshape(g_target.shape)


def _read_args(g_prog, nu, t, g_max, t0, t_read, drift_scale, read_noise_scale, variant):
    """Checked arguments of a read: shape, flat g_prog and nu, g_max, variant code,
    ``drift_scale ln((t + t0)/t0)`` and the 1/f noise factor
    ``read_noise_scale sqrt(ln((t + t0 + t_r)/(2 t_r)))``."""
    variant = _check_variant(variant)
    t = check_time(t)
    g_max = scalar_in_range(g_max, 1e-3, 1e4, "g_max", " uS")
    t0 = scalar_in_range(t0, 1e-9, 1e9, "t0", " s")
    t_read = scalar_in_range(t_read, 1e-15, 1e3, "t_read", " s")
    if not t_read < t0:  # the 1/f noise factor's logarithm is negative for t + t0 < t_read
        raise ValueError(f"t_read must be shorter than t0 ({t0:g} s), got {t_read:g} s")
    drift_scale = scalar_in_range(drift_scale, 0.0, 100.0, "drift_scale")
    read_noise_scale = scalar_in_range(read_noise_scale, 0.0, 100.0, "read_noise_scale")
    g_prog = np.asarray(g_prog, dtype=np.float64)
    nu = np.asarray(nu, dtype=np.float64)
    if g_prog.shape != nu.shape:
        raise ValueError(f"nu must have the shape of g_prog {g_prog.shape}, got {nu.shape}")
    t_total = t + t0
    noise_time = read_noise_scale * np.sqrt(np.log((t_total + t_read) / (2.0 * t_read)))
    return (
        g_prog.shape,
        np.ascontiguousarray(g_prog).ravel(),
        np.ascontiguousarray(nu).ravel(),
        g_max,
        variant,
        drift_scale * np.log(t_total / t0),
        noise_time,
    )


def read(
    g_prog: ArrayLike,
    nu: ArrayLike,
    t: float,
    *,
    g_max: float,
    t0: float,
    t_read: float,
    seed: int,
    drift_scale: float = 1.0,
    read_noise_scale: float = 1.0,
    variant: Literal["joshi", "hermes-2", "hermes-1"] = VARIANT_JOSHI,
) -> np.ndarray:
    """Read PCM devices `t` seconds after programming; returns conductances in uS (float64).

    Drift ``g_prog ((t + t0)/t0)^(-drift_scale nu)`` and 1/f read noise of
    standard deviation ``|g_drift| Q_s sqrt(ln((t + t0 + t_read)/(2 t_read)))``
    drawn anew at each read (physics reference, sections 1 and 2; `variant` one of
    `VARIANTS`), clipped at 0 uS; computed in float32.
    """
    seed = check_seed(seed)
    shape, flat_g, flat_nu, g_max, variant, drift_log, noise_time = _read_args(
        g_prog, nu, t, g_max, t0, t_read, drift_scale, read_noise_scale, variant
    )
    out = np.empty_like(flat_g)
    kernel = pick("pcm.read", flat_g.size)
    kernel(flat_g, flat_nu, out, g_max, drift_log, noise_time, seed, variant)
    return out.reshape(shape)


@njit(**INLINE_JIT)
def _moments_one(g_prog, nu, inv_g_max, drift_log, noise_time, joshi, q):
    """Mean (the drifted conductance clipped at 0) and 1/f noise standard deviation (uS, float32)."""
    g_drift = _drifted(g_prog, nu, drift_log)
    return max(g_drift, _ZERO), abs(g_drift) * read_noise_q(g_prog, inv_g_max, joshi, q) * noise_time


@njit(**JIT)
def _moments_serial(g_prog, nu, mean, sigma, g_max, drift_log, noise_time, variant):
    q = _READ_Q[variant]
    inv_g_max, dl, nt = _F(1.0 / g_max), _F(drift_log), _F(noise_time)
    if variant == _JOSHI:
        for i in range(g_prog.size):
            mean[i], sigma[i] = _moments_one(_F(g_prog[i]), _F(nu[i]), inv_g_max, dl, nt, True, q)
    else:
        for i in range(g_prog.size):
            mean[i], sigma[i] = _moments_one(_F(g_prog[i]), _F(nu[i]), inv_g_max, dl, nt, False, q)


@njit(**PARALLEL_JIT)
def _moments_parallel(g_prog, nu, mean, sigma, g_max, drift_log, noise_time, variant):
    q = _READ_Q[variant]
    inv_g_max, dl, nt = _F(1.0 / g_max), _F(drift_log), _F(noise_time)
    if variant == _JOSHI:
        for i in prange(g_prog.size):
            mean[i], sigma[i] = _moments_one(_F(g_prog[i]), _F(nu[i]), inv_g_max, dl, nt, True, q)
    else:
        for i in prange(g_prog.size):
            mean[i], sigma[i] = _moments_one(_F(g_prog[i]), _F(nu[i]), inv_g_max, dl, nt, False, q)


def read_moments(
    g_prog: ArrayLike,
    nu: ArrayLike,
    t: float,
    *,
    g_max: float,
    t0: float,
    t_read: float,
    drift_scale: float = 1.0,
    read_noise_scale: float = 1.0,
    variant: Literal["joshi", "hermes-2", "hermes-1"] = VARIANT_JOSHI,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and read-noise standard deviation (uS, float64) of PCM devices read at time `t` (s).

    The mean is the drifted conductance of `read` (the same float32 arithmetic) and the
    standard deviation that of its 1/f read noise, without drawing it: the crossbar uses
    them in the variance identity of physics reference section 10 (the clip at 0 uS of a
    single read is not applied to the noise).
    """
    shape, flat_g, flat_nu, g_max, variant, drift_log, noise_time = _read_args(
        g_prog, nu, t, g_max, t0, t_read, drift_scale, read_noise_scale, variant
    )
    mean = np.empty_like(flat_g)
    sigma = np.empty_like(flat_g)
    kernel = pick("pcm.moments", flat_g.size)
    kernel(flat_g, flat_nu, mean, sigma, g_max, drift_log, noise_time, variant)
    return mean.reshape(shape), sigma.reshape(shape)


@njit(**JIT)
def _mean_serial(g_prog, nu, mean, drift_log):
    dl = _F(drift_log)
    for i in range(g_prog.size):
        mean[i] = max(_drifted(_F(g_prog[i]), _F(nu[i]), dl), _ZERO)


@njit(**PARALLEL_JIT)
def _mean_parallel(g_prog, nu, mean, drift_log):
    dl = _F(drift_log)
    for i in prange(g_prog.size):
        mean[i] = max(_drifted(_F(g_prog[i]), _F(nu[i]), dl), _ZERO)


def read_mean(
    g_prog: ArrayLike,
    nu: ArrayLike,
    t: float,
    *,
    g_max: float,
    t0: float,
    t_read: float,
    drift_scale: float = 1.0,
    variant: Literal["joshi", "hermes-2", "hermes-1"] = VARIANT_JOSHI,
) -> np.ndarray:
    """The mean of `read_moments` alone (uS, float64): the drifted conductance, the same float32
    arithmetic, without the read noise's amplitude (a logarithm and an exponential per device
    fewer). The crossbar's noise-free results (difference matrices, IR loss) read only this.
    `g_max`, `t_read` and `variant` are checked as for `read_moments`; the mean does not use them."""
    shape, flat_g, flat_nu, _, _, drift_log, _ = _read_args(g_prog, nu, t, g_max, t0, t_read, drift_scale, 0.0, variant)
    mean = np.empty_like(flat_g)
    kernel = pick("pcm.mean", flat_g.size)
    kernel(flat_g, flat_nu, mean, drift_log)
    return mean.reshape(shape)


register_twins("pcm.program", _program_serial, _program_parallel)
register_twins("pcm.read", _read_serial, _read_parallel)
register_twins("pcm.moments", _moments_serial, _moments_parallel)
register_twins("pcm.mean", _mean_serial, _mean_parallel)
