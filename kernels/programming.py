"""Pulse-level programming: correction pulses toward requested conductance changes, and verify reads.

The programming methods of `explorer.models.programming` (one-shot, program-and-verify,
gradient-descent programming) turn a wanted conductance change of each device (a *request*,
uS) into pulses with `apply_pulses`, and program-and-verify reads single devices with
`verify_read`. Units: uS for conductances, counts for pulses.

One pulse moves a device along the pulse response of `kernels.pulsed` (physics reference
section 5; aihwkit's soft-bounds family):

    up:    dg = f dg_up   ((g_max - g) / (g_max - g_min))^gamma_up   (1 + c2c xi)
    down:  dg = f dg_down ((g - g_min) / (g_max - g_min))^gamma_down (1 + c2c xi)

clipped to [g_min, g_max], with a fresh normal ``xi`` per pulse (cycle-to-cycle spread) and
per-device ``dg_up``, ``dg_down`` (device-to-device spread, SET/RESET asymmetry; drawn by
`kernels.pulsed.device_steps`). ``f`` is the pulse's amplitude as a share of a full pulse:

* identical pulses (``modulated`` false in that direction: ECRAM, soft bounds, RRAM, Flash ISPP
  steps, PCM's abrupt partial RESET): ``n = floor(|request| / s + u)`` pulses of ``f = 1``,
  with ``s`` the expected step at the device's present conductance and ``u`` uniform
  (stochastic rounding: the expected change is the request, also for requests below one step,
  as in aihwkit's stochastic pulse trains; for gamma 1 the count inverts the soft-bounds response,
  and a request to or past the bound is planned as `RATIO_FLOOR` short of it); ``at_least_one`` makes it
  ``max(n, 1)`` (a verify
  correction always pulses);
* amplitude-modulated pulses (``modulated`` true: PCM's gradual SET, whose amplitude or width a
  program-and-verify loop scales with the error): ``n = ceil(|request| / s)`` pulses of
  ``f = |request| / (n s)``, so one pulse for a request up to a full step.

A request that cannot be served (a zero step in that direction, e.g. Flash cannot raise its
conductance without a block erase; a device at the bound it is pushed toward) gives no pulse.
More than `FAST_FORWARD_PULSES` pulses of a linear (gamma 0) or soft-bounds (gamma 1) response
are summed in one draw: n steps of ``f dg (1 + c2c xi)`` sum to ``f dg (n + c2c sqrt(n) z)``
for gamma 0 (exact away from the bounds), and for gamma 1 the normalised distance to the bound
becomes ``u0 (1 - a)^n exp(-a c2c sqrt(n) z / (1 - a))`` with ``a = f dg / span`` (first order in
a; the same law as `kernels.pulsed._fast_forward`). Other exponents are pulsed one by one.

Random draws are counter-based (`kernels.rng`): pulse k of device d draws counter
``d * max_pulses + k`` of stream STREAM_PULSE; the rounding uniform and the fast-forward normal
of device d draw counters ``2 d`` and ``2 d + 1`` of STREAM_PULSE_SKIP; a verify read of device d
draws counter d of STREAM_READ. The NumPy twins (`numpy_apply_pulses`, `numpy_verify_read`)
compute the same numbers with NumPy: the tests' reference and the benchmark's baseline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

import numpy as np
from numba import njit, prange
from numpy.typing import ArrayLike

from . import rng
from ._jit import INLINE_JIT, JIT, PARALLEL_JIT, pick, register_twins
from .validate import check_seed, finite_array, positive_int, scalar_in_range

RATIO_FLOOR = 0.05
"""A soft bound is only approached: a request to (or past) it is planned as 95 % of the way
(``3 / a`` pulses for steps of a share ``a`` of the range)."""

FAST_FORWARD_PULSES = 32
"""Pulse counts above which a gamma-0 or gamma-1 train is summed in one draw (see module doc)."""


class Response(NamedTuple):
    """The pulse response shared by a technology's devices (module docstring): conductance range
    ``g_min`` to ``g_max`` (uS), the exponents ``gamma_up`` and ``gamma_down`` of the state
    dependence and the relative cycle-to-cycle spread ``c2c``. The devices' own steps are arrays
    passed beside it. `check_response` validates one."""

    g_min: float
    g_max: float
    gamma_up: float = 1.0
    gamma_down: float = 1.0
    c2c: float = 0.0


class Pulsing(NamedTuple):
    """How the programming circuit pulses (module docstring): amplitude-``modulated_up`` and
    ``modulated_down`` pulses or identical ones, ``at_least_one`` pulse per request (a verify
    correction), at most ``max_pulses`` per device."""

    modulated_up: bool = False
    modulated_down: bool = False
    at_least_one: bool = False
    max_pulses: int = 10000


class Plan(NamedTuple):
    """What the circuit plans pulse counts from: the conductances ``g`` it believes the devices hold
    and the nominal steps ``up`` and ``down`` (uS, one per device)."""

    g: np.ndarray
    up: np.ndarray
    down: np.ndarray


@njit(**INLINE_JIT)
def _expected_step(g, up, dg, gamma, g_min, g_max):
    """Expected change (uS, >= 0) of one full pulse at conductance g."""
    span = g_max - g_min
    x = (g_max - g) / span if up else (g - g_min) / span
    if x <= 0.0:
        return 0.0
    return dg * (x**gamma if gamma != 0.0 else 1.0)


@njit(**INLINE_JIT)
def _planned_pulses(x, r, dg, gamma, g_min, g_max, max_pulses):
    """Full pulses ``q`` (real) that the nominal response (step `dg`, exponent `gamma`) needs to change
    `x` by `r`, and for gamma 1 the ratio of the final to the present distance to the bound."""
    span = g_max - g_min
    up = r > 0.0
    u0 = (g_max - x) / span if up else (x - g_min) / span
    if u0 <= 0.0 or dg <= 0.0:
        return 0.0, 1.0
    if gamma == 1.0:
        a = dg / span
        if a >= 1.0:
            return float(max_pulses), 0.0
        ratio = max(1.0 - abs(r) / (span * u0), RATIO_FLOOR)
        return np.log(ratio) / np.log1p(-a), ratio
    return abs(r) / (dg * (u0**gamma if gamma != 0.0 else 1.0)), 1.0


@njit(**INLINE_JIT)
def pulse_train(x, n, up, f, dg, resp, key, base, key_skip, skip_counter):
    """Conductance (uS) after `n` pulses of amplitude share `f` and full step `dg` from `x`, up or
    down, on the `Response` `resp`: pulse k draws counter ``base + k`` of `key`; a train of more
    than `FAST_FORWARD_PULSES` of a gamma-0 or gamma-1 response is summed in one normal draw,
    counter `skip_counter` of `key_skip` (module docstring)."""
    g_min, g_max, c2c = resp.g_min, resp.g_max, resp.c2c
    gamma = resp.gamma_up if up else resp.gamma_down
    span = g_max - g_min
    sign = 1.0 if up else -1.0
    if n > FAST_FORWARD_PULSES and (gamma == 0.0 or gamma == 1.0):
        z = rng.normal(key_skip, skip_counter)
        a = f * dg / span
        if gamma == 0.0:
            x = x + sign * f * dg * (n + c2c * np.sqrt(n) * z)
        elif a < 1.0:
            u0 = (g_max - x) / span if up else (x - g_min) / span
            u = u0 * np.exp(n * np.log1p(-a) - a * c2c * np.sqrt(n) * z / (1.0 - a))
            u = min(max(u, 0.0), 1.0)
            x = g_max - u * span if up else g_min + u * span
        else:
            x = g_max if up else g_min
    else:
        for k in range(n):
            u = (g_max - x) / span if up else (x - g_min) / span
            # no draw for a noise-free response (what a blind circuit expects)
            z = rng.normal(key, base + np.uint64(k)) if c2c != 0.0 else 0.0
            step = f * dg * (u**gamma if gamma != 0.0 else 1.0) * (1.0 + c2c * z)
            x = min(max(x + sign * step, g_min), g_max)
    return min(max(x, g_min), g_max)


def numpy_pulse_train(
    x: np.ndarray,
    n: np.ndarray,
    up: bool | np.ndarray,
    f: np.ndarray,
    dg: np.ndarray,
    resp: Response,
    key: np.uint64,
    base: np.ndarray,
    key_skip: np.uint64,
    skip_counter: np.ndarray,
) -> np.ndarray:
    """NumPy twin of `pulse_train` for arrays of devices (`up` a scalar or one per device)."""
    g_min, g_max, c2c = resp.g_min, resp.g_max, resp.c2c
    span = g_max - g_min
    x = np.array(x, dtype=np.float64)
    up = np.broadcast_to(up, x.shape)
    gamma = np.broadcast_to(np.where(up, resp.gamma_up, resp.gamma_down).astype(np.float64), x.shape)
    sign = np.where(up, 1.0, -1.0)
    ff = (n > FAST_FORWARD_PULSES) & ((gamma == 0.0) | (gamma == 1.0))
    if ff.any():
        z = rng.numpy_normal_quantile(rng.numpy_uniform(key_skip, skip_counter[ff]))
        nf = n[ff].astype(np.float64)
        a = f[ff] * dg[ff] / span
        lin = x[ff] + sign[ff] * f[ff] * dg[ff] * (nf + c2c * np.sqrt(nf) * z)
        a_ok = np.where(a < 1.0, a, 0.0)
        u0 = np.where(up[ff], (g_max - x[ff]) / span, (x[ff] - g_min) / span)
        u = np.clip(u0 * np.exp(nf * np.log1p(-a_ok) - a_ok * c2c * np.sqrt(nf) * z / (1.0 - a_ok)), 0.0, 1.0)
        soft = np.where(up[ff], g_max - u * span, g_min + u * span)
        soft = np.where(a < 1.0, soft, np.where(up[ff], g_max, g_min))
        x[ff] = np.where(gamma[ff] == 0.0, lin, soft)
    loop = ~ff & (n > 0)
    for k in range(int(n[loop].max()) if loop.any() else 0):
        m = loop & (n > k)
        u = np.where(up[m], (g_max - x[m]) / span, (x[m] - g_min) / span)
        zk = rng.numpy_normal_quantile(rng.numpy_uniform(key, base[m] + np.uint64(k)))
        gm = gamma[m]
        step = f[m] * dg[m] * np.where(gm != 0.0, np.maximum(u, 0.0) ** gm, 1.0) * (1.0 + c2c * zk)
        x[m] = np.clip(x[m] + sign[m] * step, g_min, g_max)
    return np.clip(x, g_min, g_max)


@njit(**INLINE_JIT)
def _apply_one(d, request, g, g_out, n_out, resp, dg_up, dg_down, plan, pulsing, key, key_skip):
    """Pulse device d toward `request` (module docstring) from `g`, on the `Response` `resp` with
    its own steps `dg_up`, `dg_down`, planned by `plan` (a `Plan`) and pulsed as `pulsing` (a
    `Pulsing`); its conductance into `g_out`, its pulse count into `n_out`."""
    x = g[d]
    r = request[d]
    g_out[d] = x
    n_out[d] = 0
    if r == 0.0:
        return
    g_min, g_max, max_pulses = resp.g_min, resp.g_max, pulsing.max_pulses
    up = r > 0.0
    dg = dg_up[d] if up else dg_down[d]
    gamma = resp.gamma_up if up else resp.gamma_down
    modulated = pulsing.modulated_up if up else pulsing.modulated_down
    step = plan.up[d] if up else plan.down[d]
    q, ratio = _planned_pulses(plan.g[d], r, step, gamma, g_min, g_max, max_pulses)
    if q <= 0.0 or dg <= 0.0:
        return
    span = g_max - g_min
    if modulated:
        n = np.int64(np.ceil(min(q, float(max_pulses))))
        if gamma == 1.0 and ratio > 0.0:
            f = (1.0 - ratio ** (1.0 / n)) / (step / span)
        else:
            f = min(q / n, 1.0)
    else:
        n = np.int64(np.floor(min(q, float(max_pulses)) + rng.uniform(key_skip, np.uint64(2 * d))))
        if pulsing.at_least_one and n == 0:
            n = 1
        f = 1.0
    n = min(n, max_pulses)
    x = pulse_train(x, n, up, f, dg, resp, key, np.uint64(d) * np.uint64(max_pulses), key_skip, np.uint64(2 * d + 1))
    g_out[d] = min(max(x, g_min), g_max)
    n_out[d] = n


@njit(**JIT)
def _apply_serial(request, g, g_out, n_out, resp, dg_up, dg_down, plan, pulsing, seed):
    key = rng.stream_key(seed, rng.STREAM_PULSE)
    key_skip = rng.stream_key(seed, rng.STREAM_PULSE_SKIP)
    for d in range(g.size):
        _apply_one(d, request, g, g_out, n_out, resp, dg_up, dg_down, plan, pulsing, key, key_skip)


@njit(**PARALLEL_JIT)
def _apply_parallel(request, g, g_out, n_out, resp, dg_up, dg_down, plan, pulsing, seed):
    key = rng.stream_key(seed, rng.STREAM_PULSE)
    key_skip = rng.stream_key(seed, rng.STREAM_PULSE_SKIP)
    for d in prange(g.size):
        _apply_one(d, request, g, g_out, n_out, resp, dg_up, dg_down, plan, pulsing, key, key_skip)


def _flat(values, name, n=None):
    arr = np.ascontiguousarray(finite_array(values, name), dtype=np.float64).ravel()
    if n is not None:
        if arr.size == 1:
            arr = np.full(n, arr[0])
        elif arr.size != n:
            raise ValueError(f"{name} must be a scalar or have one entry per device ({n}), got {arr.size}")
    return arr


def check_steps(named: Iterable[tuple[ArrayLike, str]], n: int, span: float) -> list[np.ndarray]:
    """Pulse steps (uS), each ``(value, name)`` a scalar or one per device (`n`), in [0, `span`]:
    flat float arrays of `n`; `ValueError` naming the argument otherwise."""
    steps = []
    for value, name in named:
        arr = _flat(value, name, n)
        if arr.size and (arr.min() < 0.0 or arr.max() > span):
            raise ValueError(f"{name} must lie in [0, {span:g}] uS (the conductance range)")
        steps.append(arr)
    return steps


def check_response(response: Response | Mapping[str, float]) -> Response:
    """`response` (a `Response`, or a mapping of its fields) validated: `g_min` and `g_max` in [0,
    1e4] uS with ``g_max > g_min``, the exponents and the cycle-to-cycle spread each in [0, 10].
    Returns a `Response` of floats; `ValueError` naming the field otherwise."""
    if isinstance(response, dict):
        unknown = set(response) - set(Response._fields)
        if unknown:
            raise ValueError(f"response has no field {sorted(unknown)[0]!r}; its fields are {Response._fields}")
        response = Response(**response)
    if not isinstance(response, Response):
        raise ValueError(f"response must be a kernels.programming.Response, got {type(response).__name__}")
    g_min = scalar_in_range(response.g_min, 0.0, 1e4, "g_min", " uS")
    g_max = scalar_in_range(response.g_max, 0.0, 1e4, "g_max", " uS")
    if not g_max > g_min:
        raise ValueError(f"g_max must exceed g_min, got g_min={g_min:g} uS, g_max={g_max:g} uS")
    return Response(
        g_min,
        g_max,
        scalar_in_range(response.gamma_up, 0.0, 10.0, "gamma_up"),
        scalar_in_range(response.gamma_down, 0.0, 10.0, "gamma_down"),
        scalar_in_range(response.c2c, 0.0, 10.0, "c2c"),
    )


def check_pulsing(pulsing: Pulsing) -> Pulsing:
    """`pulsing` (a `Pulsing`) with bool flags and `max_pulses` an integer in [1, 1e7]."""
    if not isinstance(pulsing, Pulsing):
        raise ValueError(f"pulsing must be a kernels.programming.Pulsing, got {type(pulsing).__name__}")
    return Pulsing(
        bool(pulsing.modulated_up),
        bool(pulsing.modulated_down),
        bool(pulsing.at_least_one),
        positive_int(pulsing.max_pulses, "max_pulses", 1, 10**7),
    )


def _pulse_args(g, request, response, dg_up, dg_down, plan_up, plan_down, pulsing, seed, plan_g=None):
    resp = check_response(response)
    g_min, g_max = resp.g_min, resp.g_max
    shape = np.shape(g)
    g = _flat(g, "g")
    if g.size and (g.min() < g_min or g.max() > g_max):
        raise ValueError(f"g must lie in [{g_min:g}, {g_max:g}] uS; got values from {g.min():g} to {g.max():g} uS")
    request = _flat(request, "request", g.size)
    if plan_g is None:
        plan_g = g
    else:
        plan_g = _flat(plan_g, "plan_g", g.size)
        if plan_g.size and (plan_g.min() < g_min or plan_g.max() > g_max):
            raise ValueError(f"plan_g must lie in [{g_min:g}, {g_max:g}] uS")
    span = g_max - g_min
    plan_up = dg_up if plan_up is None else plan_up
    plan_down = dg_down if plan_down is None else plan_down
    dg_up, dg_down, plan_up, plan_down = check_steps(
        ((dg_up, "dg_up"), (dg_down, "dg_down"), (plan_up, "plan_up"), (plan_down, "plan_down")), g.size, span
    )
    pulsing = check_pulsing(pulsing)
    seed = check_seed(seed)
    if g.size * pulsing.max_pulses >= 2**63:
        raise ValueError("max_pulses * number of devices must stay below 2**63 (pulse counters)")
    return shape, g, request, resp, dg_up, dg_down, Plan(plan_g, plan_up, plan_down), pulsing, seed


def apply_pulses(
    g: ArrayLike,
    request: ArrayLike,
    response: Response | Mapping[str, float],
    *,
    dg_up: ArrayLike,
    dg_down: ArrayLike,
    plan_up: ArrayLike | None = None,
    plan_down: ArrayLike | None = None,
    pulsing: Pulsing = Pulsing(),
    seed: int,
    plan_g: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Pulse every device toward its requested conductance change; returns ``(g_new, pulses)``.

    `g` (uS, in [g_min, g_max]) and `request` (uS, signed; 0 for no pulse) have one entry per
    device; `response` is the technology's `Response` (range, exponents of the state dependence,
    cycle-to-cycle spread); `dg_up`, `dg_down` (uS) are the devices' own full-pulse steps (scalars
    or one per device), `plan_up`, `plan_down` (default: the same) the nominal steps the
    programming circuit plans its pulse counts and amplitudes with (it does not know each device's
    spread): the count is the number of nominal pulses that would make the change (for gamma 1 by
    inverting the soft-bounds response, else the request over the expected step). `pulsing` (a
    `Pulsing`) says whether pulses are amplitude-modulated, whether a request always gets one and
    the most pulses per device (module docstring: pulse counts, modulated pulses, draws). The
    circuit plans from the conductances `plan_g` (uS; default `g` itself): a blind method passes
    what it believes the devices hold. Arrays keep the shape of `g`; pulse counts are int64.
    """
    shape, g, request, resp, dg_up, dg_down, plan, pulsing, seed = _pulse_args(
        g, request, response, dg_up, dg_down, plan_up, plan_down, pulsing, seed, plan_g
    )
    g_out = np.empty_like(g)
    n_out = np.empty(g.size, dtype=np.int64)
    kernel = pick("programming.apply_pulses", g.size)
    kernel(request, g, g_out, n_out, resp, dg_up, dg_down, plan, pulsing, seed)
    return g_out.reshape(shape), n_out.reshape(shape)


def numpy_apply_pulses(
    g: ArrayLike,
    request: ArrayLike,
    response: Response | Mapping[str, float],
    *,
    dg_up: ArrayLike,
    dg_down: ArrayLike,
    plan_up: ArrayLike | None = None,
    plan_down: ArrayLike | None = None,
    pulsing: Pulsing = Pulsing(),
    seed: int,
    plan_g: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """NumPy twin of `apply_pulses`: the same numbers (same counters), vectorized across devices with
    a loop over the pulse index."""
    shape, g, request, resp, dg_up, dg_down, plan, pulsing, seed = _pulse_args(
        g, request, response, dg_up, dg_down, plan_up, plan_down, pulsing, seed, plan_g
    )
    g_min, g_max, max_pulses = resp.g_min, resp.g_max, pulsing.max_pulses
    plan_g, plan_up, plan_down = plan
    key = rng.numpy_stream_key(seed, rng.STREAM_PULSE)
    key_skip = rng.numpy_stream_key(seed, rng.STREAM_PULSE_SKIP)
    span = g_max - g_min
    idx = np.arange(g.size, dtype=np.uint64)
    up = request > 0.0
    dg = np.where(up, dg_up, dg_down)
    plan = np.where(up, plan_up, plan_down)
    gamma = np.where(up, resp.gamma_up, resp.gamma_down)
    modulated = np.where(up, pulsing.modulated_up, pulsing.modulated_down)
    u0 = np.where(up, (g_max - plan_g) / span, (plan_g - g_min) / span)
    # planned full pulses q and, for gamma 1, the final-to-present distance ratio
    with np.errstate(divide="ignore", invalid="ignore"):
        a_plan = plan / span
        ratio_raw = np.maximum(1.0 - np.abs(request) / (span * u0), RATIO_FLOOR)
        to_bound = a_plan >= 1.0
        q_soft = np.where(
            to_bound, float(max_pulses), np.log(ratio_raw) / np.log1p(-np.where(a_plan < 1.0, a_plan, 0.0))
        )
        ratio = np.where(to_bound, 0.0, ratio_raw)
        local = plan * np.where(gamma != 0.0, np.maximum(u0, 0.0) ** gamma, 1.0)
        q_other = np.abs(request) / local
    q = np.where(gamma == 1.0, q_soft, q_other)
    ratio = np.where(gamma == 1.0, ratio, 1.0)
    possible = (request != 0.0) & (u0 > 0.0) & (plan > 0.0) & (dg > 0.0)
    q = np.where(possible, q, 0.0)
    possible &= q > 0.0
    qc = np.minimum(q, float(max_pulses))
    n_mod = np.ceil(qc)
    with np.errstate(divide="ignore", invalid="ignore"):
        f_soft = (1.0 - ratio ** (1.0 / np.maximum(n_mod, 1.0))) / np.where(a_plan > 0, a_plan, 1.0)
        f_mod = np.where((gamma == 1.0) & (ratio > 0.0), f_soft, np.minimum(q / np.maximum(n_mod, 1.0), 1.0))
    n_id = np.floor(qc + rng.numpy_uniform(key_skip, 2 * idx))
    if pulsing.at_least_one:
        n_id = np.maximum(n_id, 1.0)
    n = np.where(possible, np.where(modulated, n_mod, n_id), 0.0)
    n = np.minimum(n, max_pulses).astype(np.int64)
    f = np.where(modulated, f_mod, 1.0)
    x = numpy_pulse_train(g, n, up, f, dg, resp, key, idx * np.uint64(max_pulses), key_skip, 2 * idx + np.uint64(1))
    return np.clip(x, g_min, g_max).reshape(shape), n.reshape(shape)


@njit(**INLINE_JIT)
def _verify_one(d, mean, sigma, target, tolerance, read, ok, key):
    value = max(mean[d] + sigma[d] * rng.normal(key, np.uint64(d)), 0.0)
    read[d] = value
    ok[d] = abs(target[d] - value) <= tolerance


@njit(**JIT)
def _verify_serial(mean, sigma, target, tolerance, read, ok, seed):
    key = rng.stream_key(seed, rng.STREAM_READ)
    for d in range(mean.size):
        _verify_one(d, mean, sigma, target, tolerance, read, ok, key)


@njit(**PARALLEL_JIT)
def _verify_parallel(mean, sigma, target, tolerance, read, ok, seed):
    key = rng.stream_key(seed, rng.STREAM_READ)
    for d in prange(mean.size):
        _verify_one(d, mean, sigma, target, tolerance, read, ok, key)


def _verify_args(mean, sigma, target, tolerance, seed):
    mean = _flat(mean, "mean")
    sigma = _flat(sigma, "sigma", mean.size)
    if sigma.size and sigma.min() < 0.0:
        raise ValueError("sigma must be non-negative (uS)")
    target = _flat(target, "target", mean.size)
    tolerance = scalar_in_range(tolerance, 0.0, 1e4, "tolerance", " uS")
    return mean, sigma, target, tolerance, check_seed(seed)


def verify_read(
    mean: ArrayLike, sigma: ArrayLike, target: ArrayLike, *, tolerance: ArrayLike, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """One verify read of each device: ``read = max(mean + sigma xi, 0)`` (uS; `mean` the conductance
    the read sees, relaxation and stuck faults included, `sigma` its read-noise standard deviation)
    and whether it lies within `tolerance` (uS) of `target`. Returns ``(read, ok)``, flat."""
    mean, sigma, target, tolerance, seed = _verify_args(mean, sigma, target, tolerance, seed)
    read = np.empty_like(mean)
    ok = np.empty(mean.size, dtype=np.bool_)
    kernel = pick("programming.verify_read", mean.size)
    kernel(mean, sigma, target, tolerance, read, ok, seed)
    return read, ok


def numpy_verify_read(
    mean: ArrayLike, sigma: ArrayLike, target: ArrayLike, *, tolerance: ArrayLike, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """NumPy twin of `verify_read`."""
    mean, sigma, target, tolerance, seed = _verify_args(mean, sigma, target, tolerance, seed)
    key = rng.numpy_stream_key(seed, rng.STREAM_READ)
    z = rng.numpy_normal_quantile(rng.numpy_uniform(key, np.arange(mean.size, dtype=np.uint64)))
    read = np.maximum(mean + sigma * z, 0.0)
    return read, np.abs(target - read) <= tolerance


register_twins("programming.apply_pulses", _apply_serial, _apply_parallel)
register_twins("programming.verify_read", _verify_serial, _verify_parallel)
