"""NOR Flash in the subthreshold regime: ISPP programming, read, read disturb, I-V curves.

Physics reference section 4 (Mythic's analog compute-in-memory: 8 bits, i.e.
256 levels, per cell; little drift; endurance 1e4 to 1e5 program/erase cycles,
oxide wear widens the programmed distributions; strong temperature dependence
of the subthreshold current; read disturb from pass voltages on unselected word
lines). The cell current is

    I_ds = I0 exp(kappa (V_gs - V_th) / U_T),    U_T = k T / q  (25.85 mV at 300 K)

and the weight is the read current at ``V_gs = v_read_gate`` shown as a
conductance ``g = I_ds / v_ds`` in uS, comparable with PCM and RRAM. The stored
quantity is the threshold voltage ``V_th`` (V), i.e. the floating-gate charge;
a cell programmed at 300 K and read at another temperature gives a different,
level-dependent current because ``ln(I / I0)`` scales as ``1 / T``. I0 is held
constant and the temperature coefficient of ``V_th`` itself is left out.

All defaults (kappa 0.7, I0 = 1 uA at V_gs = V_th, v_read_gate 1 V, v_ds 0.1 V,
g in [0.05, 10] uS, step sizes, noise, wear, retention and read-disturb constants) are
illustrative choices, not Mythic's unpublished device values. Two magnitudes
come from measured NOR-Flash arrays (physics reference section 7b) and set the
fine ISPP step and the read noise: about 1 % single-cell tuning precision
(Merrikh-Bayat et al., arXiv 1410.4781, 180 nm; sub-1 % in Guo et al., arXiv
1611.03379, 55 nm) and about 2 % precision of a vector-matrix multiplication
(Guo et al.). See `FINE_STEP` and `READ_NOISE`.
"""

from __future__ import annotations

import math
from collections import namedtuple
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from numba import njit, prange
from numpy.typing import ArrayLike

from . import rng
from ._jit import INLINE_JIT, JIT, PARALLEL_JIT, pick, register_twins
from .validate import check_seed, check_time, counts_of, in_range, positive_int, scalar_in_range

K_BOLTZMANN = 1.380649e-23  # J/K (exact, SI 2019)
Q_ELECTRON = 1.602176634e-19  # C (exact, SI 2019)

T_MIN_K = 200.0
T_MAX_K = 420.0
ENDURANCE_SCALE = 1e4  # P/E cycles at which the injection noise has doubled
ERASED_BELOW_V = 0.3  # default erased V_th: this far below the g_max level's V_th
MAX_LEVELS = 256

# Illustrative defaults (see module docstring).
KAPPA = 0.7
I0 = 1e-6  # A, current at V_gs = V_th
V_READ_GATE = 1.0  # V
V_DS = 0.1  # V
G_MIN = 0.05  # uS
G_MAX = 10.0  # uS
COARSE_STEP = 0.05  # V per coarse pulse
FINE_STEP = 1.2e-3  # V per fine pulse (1.2 mV)
"""Fine ISPP step (V). Programming stops at the first verify that finds V_th at or above an aim
half a step below the target, so V_th ends within about one step around the target: the verify
tolerance is +-FINE_STEP / 2 in V_th, +-(kappa / U_T) FINE_STEP / 2 = +-1.6 % of the read current
at 300 K. The overshoot is near-uniform over that band, a relative spread of about
(kappa / U_T) FINE_STEP / sqrt(12), i.e. 1 %: the step is chosen for the about 1 % tuning precision
measured on NOR-Flash arrays (Merrikh-Bayat et al. 2014; Guo et al. 2016, physics reference
section 7b); the step itself is not from a source. The verify read is modelled noiseless (a slow,
averaged sense; its residual noise is part of that band)."""
FINE_MARGIN = 0.1  # V: fine pulses once V_th is within this of the target
MEDIUM_STEP = 4e-3  # V per medium pulse, when the three-step scheme is used
MEDIUM_MARGIN = 1e-2  # V: with a medium stage, fine pulses only within this of the target
INJECTION_NOISE = 0.15  # relative spread of one pulse's V_th increment, fresh cell
MAX_PULSES = 3000
READ_NOISE = 0.017  # relative standard deviation of the read current
"""Relative standard deviation of one inference read of the cell current. Illustrative, chosen so
that with the 1 % tuning spread of `FINE_STEP` a 128 x 128 vector-matrix product on ideal
converters is off by about 2 % (Guo et al. 2016, physics reference section 7b): the two add in
quadrature, sqrt(2^2 - 1^2) = 1.7 %. It stands for what the array adds beyond tuning (subthreshold
current noise of small cells, sensing), not for a measured read-noise figure."""
RETENTION_MV_PER_DECADE = 0.01  # charge loss, mV of V_th per decade of time
WEAR_RETENTION_MV_PER_DECADE = 0.2  # extra charge loss of a cell cycled ENDURANCE_SCALE times (mean)
WEAR_RETENTION_SPREAD = 1.0  # cell-to-cell lognormal sigma of that extra loss

# Read disturb (pass-voltage stress; see `read_disturb`). Illustrative, not fitted.
DISTURB_HEADROOM = 0.3
"""V (illustrative): the V_th that pass-voltage stress drives cells toward lies this far above the
V_th of the g_max level."""
DISTURB_CEILING_VTH = 1.0 + DISTURB_HEADROOM
"""That ceiling (V) at the module's defaults (the g_max level sits at V_th = 1.0 V)."""
DISTURB_STRESS_TO_SATURATE = 2e10
"""Unselected row reads per unit of the saturating exponent (1 / rate). Illustrative, chosen so that
arrays with 128 cells per bit line lose accuracy within about 1e6 to 1e7 inference reads."""
DISTURB_SPREAD = 0.5
"""Cell-to-cell spread of the disturb rate: lognormal sigma of a susceptibility of mean 1.
Illustrative."""
CELLS_PER_BITLINE = 128
"""Cells sharing a bit line (rows of one column segment) by default. Illustrative."""
MAX_CELLS_PER_BITLINE = 4096
_MAX_READS = 10**15


class FlashCell(NamedTuple):
    """A cell's subthreshold read (module docstring): gate coupling ``kappa``, current ``i0`` (A)
    at V_gs = V_th, read gate voltage ``v_read_gate`` (V) and drain voltage ``v_ds`` (V); the
    defaults are the module's illustrative `KAPPA`, `I0`, `V_READ_GATE`, `V_DS`."""

    kappa: float = KAPPA
    i0: float = I0
    v_read_gate: float = V_READ_GATE
    v_ds: float = V_DS


class IsppSchedule(NamedTuple):
    """The ISPP schedule of `program`: ``coarse_step``, ``fine_step`` and ``medium_step`` (0: two
    stages) increments (V), the margins ``fine_margin`` and ``medium_margin`` (V) below the aim at
    which the smaller steps take over, and ``max_pulses`` per cell; defaults as in the module."""

    coarse_step: float = COARSE_STEP
    fine_step: float = FINE_STEP
    fine_margin: float = FINE_MARGIN
    medium_step: float = 0.0
    medium_margin: float = MEDIUM_MARGIN
    max_pulses: int = MAX_PULSES


DisturbRecord = namedtuple("DisturbRecord", ("events", "rate", "ceiling"))
"""The read-disturb kernel's scalars: unselected row reads per cell (float), rate per such read at
susceptibility 1, ceiling V_th (V)."""

_V_LIMIT = 5.0  # |V_th|, |V_gs| bound: keeps exp() finite at 200 K
_PULSE_HEADROOM = 1.2  # max_pulses must exceed the noiseless count by this factor


def thermal_voltage(temperature_K: float) -> float:
    """U_T = k T / q in volts (25.85 mV at 300 K); temperature_K in [200, 420] K."""
    temperature_K = scalar_in_range(temperature_K, T_MIN_K, T_MAX_K, "temperature_K", " K")
    return K_BOLTZMANN * temperature_K / Q_ELECTRON


# --------------------------------------------------------------------------- kernels


@njit(**INLINE_JIT)
def _current(vth, v_gs, slope, i0):
    """Subthreshold drain current (A); ``slope = kappa / U_T`` (1/V)."""
    return i0 * np.exp(slope * (v_gs - vth))


class Ispp(NamedTuple):
    """One ISPP run's settings (`program`): erased V_th ``vth_erased``, the ``coarse_step``,
    ``medium_step`` (0: none) and ``fine_step`` increments with their margins ``fine_margin`` and
    ``medium_margin`` (V), the relative injection ``noise`` and ``max_pulses``."""

    vth_erased: float
    coarse_step: float
    medium_step: float
    fine_step: float
    fine_margin: float
    medium_margin: float
    noise: float
    max_pulses: int


class Verify(NamedTuple):
    """The verify read of `program`: subthreshold ``slope`` kappa / U_T (1/V), current scale ``i0``
    (A) and read gate voltage ``v_gate`` (V)."""

    slope: float
    i0: float
    v_gate: float


@njit(**INLINE_JIT)
def _program_one(i, vth_aim, vth_out, pulses_out, ispp, verify, key):
    """ISPP with verify of cell i (`program`) under the `Ispp` and `Verify` records."""
    slope, i0, v_gate = verify.slope, verify.i0, verify.v_gate
    coarse_step, medium_step, fine_step = ispp.coarse_step, ispp.medium_step, ispp.fine_step
    noise, max_pulses = ispp.noise, ispp.max_pulses
    aim = vth_aim[i]
    i_verify = _current(aim, v_gate, slope, i0)
    i_coarse = _current(aim - ispp.fine_margin, v_gate, slope, i0)
    i_medium = _current(aim - ispp.medium_margin, v_gate, slope, i0)
    base = np.uint64(i) * np.uint64(max_pulses)
    v = ispp.vth_erased
    n = 0
    while n < max_pulses:
        current = _current(v, v_gate, slope, i0)
        if current <= i_verify:  # verify: V_th has reached the aim
            break
        if current > i_coarse:
            step = coarse_step
        elif medium_step > 0.0 and current > i_medium:
            step = medium_step
        else:
            step = fine_step
        mult = 1.0 + noise * rng.normal(key, base + np.uint64(n))
        v += step * max(mult, 0.0)
        n += 1
    vth_out[i] = v
    pulses_out[i] = n


@njit(**JIT)
def _program_serial(vth_aim, vth_out, pulses_out, ispp, verify, seed):
    key = rng.stream_key(seed, rng.STREAM_PULSE)
    for i in range(vth_aim.size):
        _program_one(i, vth_aim, vth_out, pulses_out, ispp, verify, key)


@njit(**PARALLEL_JIT)
def _program_parallel(vth_aim, vth_out, pulses_out, ispp, verify, seed):
    key = rng.stream_key(seed, rng.STREAM_PULSE)
    for i in prange(vth_aim.size):
        _program_one(i, vth_aim, vth_out, pulses_out, ispp, verify, key)


@njit(**INLINE_JIT)
def _read_one(i, vth, out, noise, slope, g0, v_gate, key):
    # g0 = I0 / v_ds in uS; v_gate includes the retention shift of V_th.
    g = g0 * np.exp(slope * (v_gate - vth[i]))
    out[i] = max(g * (1.0 + noise * rng.normal(key, i)), 0.0)


@njit(**JIT)
def _read_serial(vth, out, noise, slope, g0, v_gate, seed):
    key = rng.stream_key(seed, rng.STREAM_READ)
    for i in range(vth.size):
        _read_one(i, vth, out, noise, slope, g0, v_gate, key)


@njit(**PARALLEL_JIT)
def _read_parallel(vth, out, noise, slope, g0, v_gate, seed):
    key = rng.stream_key(seed, rng.STREAM_READ)
    for i in prange(vth.size):
        _read_one(i, vth, out, noise, slope, g0, v_gate, key)


@njit(**INLINE_JIT)
def _disturbed_shift(vth, shift, m, rec):
    """One cell's shift (V) after `rec.events` unselected row reads (see `read_disturb`)."""
    head = rec.ceiling - vth - shift
    k = rec.rate * m
    if rec.events <= 0.0 or head <= 0.0:  # not stressed, or already at the ceiling
        return shift
    if k >= 1.0:
        return shift + head
    return shift - head * np.expm1(rec.events * np.log1p(-k))


@njit(**JIT)
def _disturb_serial(vth, shift, m, out, rec):
    for i in range(vth.size):
        out[i] = _disturbed_shift(vth[i], shift[i], m[i], rec)


@njit(**PARALLEL_JIT)
def _disturb_parallel(vth, shift, m, out, rec):
    for i in prange(vth.size):
        out[i] = _disturbed_shift(vth[i], shift[i], m[i], rec)


@njit(**JIT)
def _iv_serial(vth, v_gs, out, slope, i0):
    for i in range(vth.size):
        for j in range(v_gs.size):
            out[i, j] = _current(vth[i], v_gs[j], slope, i0)


@njit(**PARALLEL_JIT)
def _iv_parallel(vth, v_gs, out, slope, i0):
    for i in prange(vth.size):
        for j in range(v_gs.size):
            out[i, j] = _current(vth[i], v_gs[j], slope, i0)


# --------------------------------------------------------------------------- checks


def _cell_args(temperature_K, cell, temperature_name="temperature_K"):
    """U_T (V) at `temperature_K` and the validated fields of the `FlashCell` `cell`."""
    if not isinstance(cell, FlashCell):
        raise ValueError(f"cell must be a kernels.flash.FlashCell, got {type(cell).__name__}")
    u_t = K_BOLTZMANN * scalar_in_range(temperature_K, T_MIN_K, T_MAX_K, temperature_name, " K") / Q_ELECTRON
    kappa = scalar_in_range(cell.kappa, 0.1, 1.0, "kappa")
    i0 = scalar_in_range(cell.i0, 1e-12, 1e-3, "i0", " A")
    v_read_gate = scalar_in_range(cell.v_read_gate, -_V_LIMIT, _V_LIMIT, "v_read_gate", " V")
    v_ds = scalar_in_range(cell.v_ds, 1e-3, 5.0, "v_ds", " V")
    return u_t, kappa, i0, v_read_gate, v_ds


def _g_range(g_min, g_max):
    g_min = scalar_in_range(g_min, 1e-6, 1e4, "g_min", " uS")
    g_max = scalar_in_range(g_max, 1e-6, 1e4, "g_max", " uS")
    if not g_min < g_max:
        raise ValueError(f"g_max must be larger than g_min = {g_min:g} uS, got {g_max:g} uS")
    return g_min, g_max


def _vth_of(g, u_t, kappa, i0, v_gate, v_ds):
    """V_th (V) at which the read current is g (uS) * v_ds."""
    return v_gate - (u_t / kappa) * np.log(g * 1e-6 * v_ds / i0)


def _retention_shift(t, retention_mV_per_decade, drift_scale):
    """V_th change (V, negative: charge loss) `t` seconds after programming."""
    t = check_time(t)
    retention = scalar_in_range(retention_mV_per_decade, 0.0, 100.0, "retention_mV_per_decade", " mV/decade")
    drift_scale = scalar_in_range(drift_scale, 0.0, 100.0, "drift_scale")
    return -drift_scale * retention * 1e-3 * math.log10(1.0 + t)


def _check_vth(vth, name="vth"):
    return in_range(vth, -_V_LIMIT, _V_LIMIT, name, " V")


# --------------------------------------------------------------------------- public API


def conductance(vth: ArrayLike, *, temperature_K: float = 300.0, cell: FlashCell = FlashCell()) -> np.ndarray:
    """Read conductance I_ds(v_read_gate) / v_ds in uS of cells with threshold `vth` (V).

    Noiseless inverse of `vth_for_conductance` at the same temperature (K) and `FlashCell`.
    """
    u_t, kappa, i0, v_read_gate, v_ds = _cell_args(temperature_K, cell)
    vth = _check_vth(vth)
    return i0 * np.exp(kappa * (v_read_gate - vth) / u_t) / v_ds * 1e6


def vth_for_conductance(g: ArrayLike, *, temperature_K: float = 300.0, cell: FlashCell = FlashCell()) -> np.ndarray:
    """Threshold voltage (V) that gives read conductance `g` (uS, > 0) at `temperature_K` (K).

    ``V_th = v_read_gate - (U_T / kappa) ln(g v_ds / I0)`` (the `FlashCell` `cell`); inverse of
    `conductance`.
    """
    u_t, kappa, i0, v_read_gate, v_ds = _cell_args(temperature_K, cell)
    g = in_range(g, 1e-9, 1e9, "g", " uS")
    return _vth_of(g, u_t, kappa, i0, v_read_gate, v_ds)


def level_targets(n_levels: int, *, g_min: float = G_MIN, g_max: float = G_MAX) -> np.ndarray:
    """`n_levels` (2 to 256; Mythic stores 8 bits per cell) target conductances in uS,
    spaced linearly over [g_min, g_max]."""
    n_levels = positive_int(n_levels, "n_levels", 2, MAX_LEVELS)
    g_min, g_max = _g_range(g_min, g_max)
    return np.linspace(g_min, g_max, n_levels)


def program(
    g_target: ArrayLike,
    *,
    seed: int,
    g_min: float = G_MIN,
    g_max: float = G_MAX,
    cell: FlashCell = FlashCell(),
    program_temperature_K: float = 300.0,
    vth_erased: float | None = None,
    ispp: IsppSchedule = IsppSchedule(),
    injection_noise: float = INJECTION_NOISE,
    prog_noise_scale: float = 1.0,
    pe_cycles: float = 0,
) -> dict[str, np.ndarray]:
    """Program Flash cells to conductances `g_target` (uS, in [g_min, g_max]) by
    incremental-step-pulse programming (ISPP) with verify: `cell` a `FlashCell`, `ispp` an
    `IsppSchedule` (its fields are named below).

    Each cell starts erased at `vth_erased` (V; default: 0.3 V below the V_th of
    the g_max level, 0.70 V at the defaults, i.e. below every target). Each pulse
    raises V_th by `coarse_step` (V) while the verify current says V_th is more
    than `fine_margin` (V) below the target, then by `fine_step` (V); the increment
    is multiplied by ``max(1 + s xi, 0)`` with ``s = prog_noise_scale *
    injection_noise * (1 + sqrt(pe_cycles / 1e4))``, a fresh normal ``xi`` per
    pulse (stream STREAM_PULSE, counter ``device * max_pulses + pulse``). After
    each pulse the current at v_read_gate (at `program_temperature_K`) is
    verified; programming stops once it is at or below the current of V_th aim
    ``= target V_th - fine_step / 2``: V_th overshoots the aim by up to about one
    fine step, so aiming half a step low centers the levels on their targets.

    With ``medium_step > 0`` (V) a third stage sits between the two: steps of
    `medium_step` while V_th is more than `medium_margin` (V) below the aim, so
    the fine steps only cover the last `medium_margin` (with the defaults of
    `FlashDevice` less than half the pulses of the two-step scheme, same final
    precision).

    Wear is an illustrative model of "oxide wear widens the programmed
    distributions" (physics reference section 4; Mythic: endurance 1e4 to 1e5
    P/E cycles): the step size is unchanged, its noise grows. With the default
    fine step fresh cells land with a relative spread of about 1 % (see
    `FINE_STEP`), so of 256 linearly spaced levels of [0.05, 10] uS only the
    lowest ones stay apart (the top spacing is 0.4 %); with strong wear, some
    coarse pulses also overshoot the fine window and over-program cells far past
    their target.

    Returns ``{"vth": V_th in V, "pulses": pulse counts (int64)}`` with the shape
    of `g_target`; a cell that did not verify within `max_pulses` keeps
    ``pulses == max_pulses``.
    """
    seed = check_seed(seed)
    g_min, g_max = _g_range(g_min, g_max)
    g_target = in_range(g_target, g_min, g_max, "g_target", " uS")
    u_t, kappa, i0, v_read_gate, v_ds = _cell_args(program_temperature_K, cell, "program_temperature_K")
    if not isinstance(ispp, IsppSchedule):
        raise ValueError(f"ispp must be a kernels.flash.IsppSchedule, got {type(ispp).__name__}")
    coarse_step, fine_step, fine_margin, medium_step, medium_margin, max_pulses = ispp
    coarse_step = scalar_in_range(coarse_step, 1e-6, 1.0, "coarse_step", " V")
    fine_step = scalar_in_range(fine_step, 1e-7, coarse_step, "fine_step", " V")
    fine_margin = scalar_in_range(fine_margin, 0.0, 2.0 * _V_LIMIT, "fine_margin", " V")
    injection_noise = scalar_in_range(injection_noise, 0.0, 1.0, "injection_noise")
    prog_noise_scale = scalar_in_range(prog_noise_scale, 0.0, 10.0, "prog_noise_scale")
    pe_cycles = scalar_in_range(pe_cycles, 0.0, 1e7, "pe_cycles")
    max_pulses = positive_int(max_pulses, "max_pulses", 1, 10**6)
    medium_step = scalar_in_range(medium_step, 0.0, coarse_step, "medium_step", " V")
    medium_margin = scalar_in_range(medium_margin, 0.0, fine_margin, "medium_margin", " V")
    if medium_step > 0.0 and not fine_step <= medium_step < medium_margin:
        raise ValueError(
            f"medium_step must lie in [fine_step, medium_margin) = [{fine_step:g}, "
            f"{medium_margin:g}) V so that it cannot jump past the aim, got {medium_step:g} V"
        )

    vth_top = _vth_of(g_max, u_t, kappa, i0, v_read_gate, v_ds)  # lowest target V_th
    if vth_erased is None:
        vth_erased = vth_top - ERASED_BELOW_V
    vth_erased = scalar_in_range(vth_erased, -_V_LIMIT, _V_LIMIT, "vth_erased", " V")
    if vth_erased > vth_top - fine_step:
        raise ValueError(
            f"vth_erased must lie below the V_th of the g_max level, {vth_top - fine_step:.6g} V, got {vth_erased:g} V"
        )

    flat = np.ascontiguousarray(g_target).ravel()
    vth_aim = _vth_of(flat, u_t, kappa, i0, v_read_gate, v_ds) - 0.5 * fine_step
    if np.any(np.abs(vth_aim) > _V_LIMIT):
        raise ValueError(
            f"g_target maps to thresholds outside [-{_V_LIMIT:g}, {_V_LIMIT:g}] V "
            "for these kappa, i0, v_read_gate and v_ds"
        )
    needed = 0
    if flat.size:
        rise = float(vth_aim.max()) - vth_erased
        fine_window = medium_margin if medium_step > 0.0 else fine_margin
        needed = (
            math.ceil(max(rise - fine_margin, 0.0) / coarse_step)
            + (math.ceil(max(min(fine_margin, rise) - fine_window, 0.0) / medium_step) if medium_step > 0.0 else 0)
            + math.ceil(min(fine_window, rise) / fine_step)
            + 1
        )
        needed = math.ceil(_PULSE_HEADROOM * needed)
        if max_pulses < needed:
            raise ValueError(
                f"max_pulses must be at least {needed} to reach the highest target "
                f"V_th with these steps (noiseless count + 20 %), got {max_pulses}"
            )
    if flat.size * max_pulses >= 2**64:
        raise ValueError(
            f"max_pulses * number of devices must stay below 2**64 (pulse counters "
            f"are uint64), got {max_pulses} * {flat.size}"
        )

    noise = prog_noise_scale * injection_noise * (1.0 + math.sqrt(pe_cycles / ENDURANCE_SCALE))
    vth = np.empty_like(flat)
    pulses = np.empty(flat.shape, dtype=np.int64)
    # The work per device is up to `needed` pulses: go parallel on the pulse count.
    kernel = pick("flash.program", flat.size * max(needed, 1))
    kernel(
        vth_aim,
        vth,
        pulses,
        Ispp(vth_erased, coarse_step, medium_step, fine_step, fine_margin, medium_margin, noise, max_pulses),
        Verify(kappa / u_t, i0, v_read_gate),
        seed,
    )
    return {"vth": vth.reshape(g_target.shape), "pulses": pulses.reshape(g_target.shape)}


def wear_retention_rates(
    shape: int | tuple[int, ...],
    pe_cycles: float,
    *,
    seed: int,
    mv_per_decade: float = WEAR_RETENTION_MV_PER_DECADE,
    spread: float = WEAR_RETENTION_SPREAD,
) -> np.ndarray:
    """Extra charge-loss rate (mV of V_th per decade of time) of each cell after `pe_cycles`
    program/erase cycles: ``mv_per_decade sqrt(pe_cycles / 1e4) exp(spread xi - spread^2 / 2)``,
    a fresh normal ``xi`` per cell (stream STREAM_DRIFT of `seed`; mean ``mv_per_decade
    sqrt(pe_cycles / 1e4)``).

    Charge trapped in the tunnel oxide during cycling detraps after programming and lowers V_th
    as log t, more in more-cycled cells and unevenly from cell to cell (Mielke et al., IEEE Trans.
    Device Mater. Reliab. 4(3), 335, 2004); the square-root growth with cycles and both constants
    are illustrative, as are the module's other defaults. `read` and `read_moments` take the
    result as ``cell_retention_mV_per_decade``."""
    seed = check_seed(seed)
    pe_cycles = scalar_in_range(pe_cycles, 0.0, 1e7, "pe_cycles")
    mv_per_decade = scalar_in_range(mv_per_decade, 0.0, 100.0, "mv_per_decade", " mV/decade")
    spread = scalar_in_range(spread, 0.0, 5.0, "spread")
    n = int(np.prod(shape))
    xi = rng.numpy_normal(seed, rng.STREAM_DRIFT, n).reshape(shape)
    return mv_per_decade * math.sqrt(pe_cycles / ENDURANCE_SCALE) * np.exp(spread * xi - 0.5 * spread * spread)


def _cell_shifted(vth, t, cell_rates, drift_scale):
    """`vth` lowered by each cell's extra charge loss at `t` (V), or `vth` itself without rates."""
    if cell_rates is None:
        return vth
    rates = in_range(cell_rates, 0.0, 1e3, "cell_retention_mV_per_decade", " mV/decade")
    if rates.shape != np.shape(vth):
        raise ValueError(f"cell_retention_mV_per_decade must have the shape of vth {np.shape(vth)}, got {rates.shape}")
    return _check_vth(vth - rates * (drift_scale * 1e-3 * math.log10(1.0 + t)))  # still within the V_th bound


def _disturbed(vth, disturb_vth):
    """`vth` raised by each cell's read-disturb shift (V), or `vth` itself without shifts."""
    if disturb_vth is None:
        return vth
    shift = in_range(disturb_vth, 0.0, 2.0 * _V_LIMIT, "disturb_vth", " V")
    if shift.shape != np.shape(vth):
        raise ValueError(f"disturb_vth must have the shape of vth {np.shape(vth)}, got {shift.shape}")
    return _check_vth(vth + shift)


def read(
    vth: ArrayLike,
    t: float,
    *,
    seed: int,
    temperature_K: float = 300.0,
    cell: FlashCell = FlashCell(),
    read_noise: float = READ_NOISE,
    retention_mV_per_decade: float = RETENTION_MV_PER_DECADE,
    read_noise_scale: float = 1.0,
    drift_scale: float = 1.0,
    cell_retention_mV_per_decade: ArrayLike | None = None,
    disturb_vth: ArrayLike | None = None,
) -> np.ndarray:
    """Read conductances (uS) of cells with thresholds `vth` (V), `t` seconds after programming.

    Charge loss lowers V_th by ``drift_scale * retention_mV_per_decade * 1e-3 *
    log10(1 + t / 1 s)`` V (illustrative 0.01 mV per decade: Mythic reports
    little drift). The current ``I0 exp(kappa (v_read_gate - V_th) / U_T)`` with
    ``U_T = k temperature_K / q`` gets a relative Gaussian read noise of standard
    deviation ``read_noise * read_noise_scale`` (stream STREAM_READ) and is
    returned as ``I / v_ds`` in uS (physics reference section 4). Cycled cells lose charge
    faster: ``cell_retention_mV_per_decade`` (per cell, `wear_retention_rates`) lowers each
    V_th by a further ``drift_scale * rate * 1e-3 * log10(1 + t)`` V. ``disturb_vth`` (V, per
    cell, `read_disturb`) raises each V_th by the read disturb accumulated so far.
    """
    seed = check_seed(seed)
    u_t, kappa, i0, v_read_gate, v_ds = _cell_args(temperature_K, cell)
    read_noise = scalar_in_range(read_noise, 0.0, 0.5, "read_noise")
    read_noise_scale = scalar_in_range(read_noise_scale, 0.0, 100.0, "read_noise_scale")
    dvth = _retention_shift(t, retention_mV_per_decade, drift_scale)
    vth = _disturbed(_check_vth(vth), disturb_vth)
    vth = _cell_shifted(vth, check_time(t), cell_retention_mV_per_decade, drift_scale)
    flat = np.ascontiguousarray(vth).ravel()
    out = np.empty_like(flat)
    kernel = pick("flash.read", flat.size)
    kernel(flat, out, read_noise * read_noise_scale, kappa / u_t, i0 / v_ds * 1e6, v_read_gate - dvth, seed)
    return out.reshape(vth.shape)


def iv_curves(
    vth: ArrayLike, v_gs: ArrayLike, *, temperature_K: float = 300.0, cell: FlashCell = FlashCell()
) -> np.ndarray:
    """Noiseless drain currents (A) of cells with thresholds `vth` (V) at gate voltages `v_gs` (V).

    Returns an array of shape ``vth.shape + v_gs.shape`` (``(len(vth), len(v_gs))``
    for 1-D inputs). Subthreshold law only: valid for V_gs up to about V_th, the
    slope is ``U_T ln(10) / kappa`` per decade (85 mV at 300 K, kappa 0.7).
    """
    u_t, kappa, i0, _, _ = _cell_args(temperature_K, cell)
    vth = _check_vth(vth)
    v_gs = in_range(v_gs, -_V_LIMIT, _V_LIMIT, "v_gs", " V")
    flat_vth = np.ascontiguousarray(vth).ravel()
    flat_vgs = np.ascontiguousarray(v_gs).ravel()
    out = np.empty((flat_vth.size, flat_vgs.size))
    kernel = pick("flash.iv", out.size)
    kernel(flat_vth, flat_vgs, out, kappa / u_t, i0)
    return out.reshape(vth.shape + v_gs.shape)


def read_moments(vth: ArrayLike, t: float, **options: Any) -> tuple[np.ndarray, np.ndarray]:
    """Mean and read-noise standard deviation (uS) of cells read at time `t` (s).

    The mean is the noiseless conductance of `read` (retention shift, U_T at
    `temperature_K`), the standard deviation ``read_noise read_noise_scale`` times
    it; used by the crossbar's variance identity (physics reference section 10). `options`: the
    keyword arguments of `read_moments_times` (``temperature_K``, ``cell``, ``read_noise``,
    ``retention_mV_per_decade``, ``read_noise_scale``, ``drift_scale``,
    ``cell_retention_mV_per_decade``, ``disturb_vth`` as for `read`).
    """
    mean, sigma = read_moments_times(vth, (check_time(t),), **options)
    return mean[0], sigma[0]


def read_moments_times(
    vth: ArrayLike,
    times: Sequence[float],
    *,
    temperature_K: float = 300.0,
    cell: FlashCell = FlashCell(),
    read_noise: float = READ_NOISE,
    retention_mV_per_decade: float = RETENTION_MV_PER_DECADE,
    read_noise_scale: float = 1.0,
    drift_scale: float = 1.0,
    cell_retention_mV_per_decade: ArrayLike | None = None,
    disturb_vth: ArrayLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """`read_moments` at each of `times` (s), stacked ``(len(times), *vth.shape)`` (uS): the
    arguments checked once and one array expression for all the times (an accuracy-versus-time
    curve reads every device at 20 times), with the same numbers as one call per time."""
    read_noise = scalar_in_range(read_noise, 0.0, 0.5, "read_noise")
    read_noise_scale = scalar_in_range(read_noise_scale, 0.0, 100.0, "read_noise_scale")
    if not isinstance(cell, FlashCell):
        raise ValueError(f"cell must be a kernels.flash.FlashCell, got {type(cell).__name__}")
    times = [check_time(t, "times") for t in np.atleast_1d(np.asarray(times, dtype=object)).ravel()]
    if not times:
        raise ValueError("times must hold at least one time")
    # The retention shift lowers V_th, i.e. raises the effective gate overdrive: one read gate
    # voltage per time, checked as `conductance` checks a cell's.
    gates = [cell.v_read_gate - _retention_shift(t, retention_mV_per_decade, drift_scale) for t in times]
    u_t, kappa, i0, _, v_ds = _cell_args(temperature_K, cell)
    gates = np.array([scalar_in_range(g, -_V_LIMIT, _V_LIMIT, "v_read_gate", " V") for g in gates])
    vth = _disturbed(_check_vth(vth), disturb_vth)
    shape = (len(times),) + (1,) * vth.ndim
    if cell_retention_mV_per_decade is not None:
        cell_rates = in_range(cell_retention_mV_per_decade, 0.0, 1e3, "cell_retention_mV_per_decade", " mV/decade")
        if cell_rates.shape != vth.shape:
            raise ValueError(
                f"cell_retention_mV_per_decade must have the shape of vth {vth.shape}, got {cell_rates.shape}"
            )
        # Each cycled cell's further charge loss, per time (`_cell_shifted`'s factor, per time).
        factors = np.array([drift_scale * 1e-3 * math.log10(1.0 + t) for t in times]).reshape(shape)
        vth = _check_vth(vth - cell_rates * factors)
    mean = i0 * np.exp(kappa * (gates.reshape(shape) - vth) / u_t) / v_ds * 1e6
    return mean, mean * (read_noise * read_noise_scale)


def read_disturb(
    vth: ArrayLike,
    shift: ArrayLike,
    n_reads: float,
    *,
    cells_per_bitline: int = CELLS_PER_BITLINE,
    ceiling_vth: float = DISTURB_CEILING_VTH,
    stress_to_saturate: float = DISTURB_STRESS_TO_SATURATE,
    susceptibility: ArrayLike | None = None,
) -> np.ndarray:
    """V_th shift (V, >= 0) of each cell after `n_reads` more inference reads of its array, from
    shifts `shift` (V) of cells programmed to `vth` (V).

    Read disturb from pass voltages (physics reference section 4; docs/models.md, Flash read disturb): while one
    row is read, the word lines of the other rows sharing its bit lines carry a pass voltage that
    injects a little charge into their floating gates by weak tunnelling and raises their V_th.
    An inference read reads each of the `cells_per_bitline` rows of a column once, so a cell is
    unselected on (cells_per_bitline - 1) / cells_per_bitline of the row reads: ``S = n_reads
    (cells_per_bitline - 1)`` stress events. Fewer cells per bit line (a partitioned array) is
    the mitigation. Each event moves V_th a share ``k = m / stress_to_saturate`` of its remaining
    distance to a ceiling: the injection weakens as the floating gate charges, so the shift
    saturates, and the cells of lowest V_th (highest current), under the largest field, move most
    (read disturb in Flash shifts the erased, lowest-V_th cells most: Cai et al., "Read Disturb
    Errors in MLC NAND Flash Memory: Characterization, Mitigation, and Recovery", DSN 2015).
    Closed form:

        shift_n = shift_0 + (ceiling_vth - vth - shift_0) (1 - (1 - k)^S).

    ``m`` is each cell's `susceptibility` (default 1; `FlashDevice` draws it lognormal,
    `DISTURB_SPREAD`). The law's form follows the sources qualitatively; `ceiling_vth`,
    `stress_to_saturate`, the spread and the default `cells_per_bitline` are illustrative, not
    fitted (see the module's constants). Cells at or above the ceiling do not move. `n_reads` an
    integer in [0, 1e15] (or a sequence of them: the shifts after each, stacked along a first
    axis, the arguments checked once), `cells_per_bitline` in [1, 4096]. Returns the new shifts
    with the shape of `vth`.
    """
    vth = _check_vth(vth)
    shift = in_range(shift, 0.0, 2.0 * _V_LIMIT, "shift", " V")
    if shift.shape != vth.shape:
        raise ValueError(f"shift must have the shape of vth {vth.shape}, got {shift.shape}")
    counts, single = counts_of(n_reads, "n_reads", _MAX_READS)
    cells_per_bitline = positive_int(cells_per_bitline, "cells_per_bitline", 1, MAX_CELLS_PER_BITLINE)
    ceiling_vth = scalar_in_range(ceiling_vth, -_V_LIMIT, _V_LIMIT, "ceiling_vth", " V")
    stress_to_saturate = scalar_in_range(stress_to_saturate, 1.0, 1e30, "stress_to_saturate")
    if susceptibility is None:
        m = np.ones(vth.size)
    else:
        m = in_range(susceptibility, 0.0, 1e6, "susceptibility")
        if m.shape != vth.shape:
            raise ValueError(f"susceptibility must have the shape of vth {vth.shape}, got {m.shape}")
        m = np.ascontiguousarray(m).ravel()
    flat_vth = np.ascontiguousarray(vth).ravel()
    flat_shift = np.ascontiguousarray(shift).ravel()
    out = np.empty((len(counts), flat_vth.size))
    kernel = pick("flash.disturb", flat_vth.size)
    for row, n in zip(out, counts):
        rec = DisturbRecord(float(n) * float(cells_per_bitline - 1), 1.0 / stress_to_saturate, ceiling_vth)
        kernel(flat_vth, flat_shift, m, row, rec)
    return out[0].reshape(vth.shape) if single else out.reshape((len(counts), *vth.shape))


register_twins("flash.program", _program_serial, _program_parallel)
register_twins("flash.read", _read_serial, _read_parallel)
register_twins("flash.iv", _iv_serial, _iv_parallel)
register_twins("flash.disturb", _disturb_serial, _disturb_parallel)
