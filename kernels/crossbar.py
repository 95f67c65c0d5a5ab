"""Crossbar read-out: DAC, matrix-vector product with read noise, IR drop, ADC.

* `dac`: inputs to signed codes of `bits` bits over ``[-x_max, x_max]``
  (IBM's simulator default: 7 bits, input bound 1; physics reference section 10).
* `moments`: the mean output ``X G`` and its variance ``X^2 sigma^2`` for
  per-device Gaussian read noise: two matrix products instead of a draw per
  device and read (section 10). In float32 through NumPy's BLAS.
* `noise_adc`: adds one Gaussian per output with that variance (counter-based
  draws, so any thread gives the same numbers) and digitizes with a signed ADC
  of `bits` bits and a per-column range; clipped outputs are counted.
* `ir_drop_factors`: first-order IR drop on the word and bit lines (below).
* `mvm_error`: the MVM error of section 12.

IR drop, first order. Inputs drive the word lines from column 0; each bit line
ends at row n-1 in a virtual ground. With wire resistance ``r`` per cell
segment and ideal currents ``I_lc = x_l G_lc``, the bit line of column c sits at
``v_kc = r sum_{m >= k} sum_{l <= m} I_lc`` and the word line of row l loses
``u_lj = r sum_{m <= j} sum_{c >= m} I_lc``. Device (l, c) then sees
``x_l - u_lc - v_lc``; to first order in ``r G`` (one Jacobi step of the nodal
equations, the linearization behind IBM aihwkit's ``ir_drop`` model, section 10)
the output is ``sum_l x_l G_lc (1 - r (A_lc + B_lc))`` with
``A_lc = sum_k G_kc (n - max(k, l))`` and ``B_lc = sum_m G_lm (min(m, c) + 1)``.
We use the resummed factor ``1 / (1 + r (A + B))``: the same to first order,
exact for one device in series with its wires, and never negative. So IR drop
is a factor per device, computed once per read (the network is linear in x).
Against an exact nodal solve (`tests/test_crossbar.py`) the resummed factor is
several times closer than the plain first order, and its error grows with the
largest ``r (A + B)``, which `ir_drop_factors` reports (the errors of a 16 x 16
array: docs/models.md, "How a crossbar read is computed").
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numba import njit, prange
from numpy.typing import ArrayLike

from . import rng
from ._jit import INLINE_JIT, JIT, PARALLEL_JIT, pick, register_twins
from .encoding import check_bits
from .validate import check_seed, finite_array, scalar_in_range

MAX_IR_DROP = 1e6  # ohm, sanity bound of the wire resistance per segment


@njit(**INLINE_JIT)
def _dac_row(b, x, inv_step, out_step, top, out, clipped):
    count = 0
    for c in range(x.shape[1]):
        code = np.rint(x[b, c] * inv_step)
        count += abs(code) > top
        out[b, c] = min(max(code, -top), top) * out_step
    clipped[b] = count


@njit(**JIT)
def _dac_serial(x, inv_step, step, top, out, clipped):
    for b in range(x.shape[0]):
        _dac_row(b, x, inv_step, step, top, out, clipped)


@njit(**PARALLEL_JIT)
def _dac_parallel(x, inv_step, step, top, out, clipped):
    for b in prange(x.shape[0]):
        _dac_row(b, x, inv_step, step, top, out, clipped)


def _dac_run(x, bits, x_max, out_dtype, codes):
    """Run the DAC kernel on a finite 2-D batch: ``(out, step, n_clipped)`` where `out` holds
    the codes (`codes` True) or the analog inputs ``codes * step``, as `out_dtype`."""
    bits = check_bits(bits, "dac_bits")
    x_max = scalar_in_range(x_max, 1e-12, 1e12, "x_max")
    top = 2.0 ** (bits - 1) - 1.0 if bits > 1 else 1.0
    step = x_max / top
    out = np.empty(x.shape, dtype=out_dtype)
    clipped = np.zeros(x.shape[0], dtype=np.int64)
    # Small batches run serially: waking the OpenMP team costs more than they do.
    kernel = pick("crossbar.dac", x.size)
    kernel(x, 1.0 / step, 1.0 if codes else step, top, out, clipped)
    return out, step, int(clipped.sum())


def dac(x: ArrayLike, *, bits: int, x_max: float) -> tuple[np.ndarray, float, int]:
    """Signed DAC codes of `x` (any shape): ``round(x / step)`` clipped to ``+-(2^(bits-1) - 1)``.

    ``step = x_max / (2^(bits-1) - 1)``. Returns ``(codes, step, n_clipped)``;
    the analog input is ``codes * step``.
    """
    x = finite_array(x, "X")
    codes, step, clipped = _dac_run(np.ascontiguousarray(x.reshape(1, -1)), bits, x_max, np.float64, True)
    return codes.reshape(x.shape), step, clipped


def dac_volts(x: ArrayLike, *, bits: int, x_max: float) -> tuple[np.ndarray, int]:
    """`dac` for a finite 2-D batch, straight to the analog inputs ``codes * step`` in float32.

    Returns ``(inputs, n_clipped)``; what the crossbar feeds its matrix products.
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"x must be a 2-D batch (batch, rows), got shape {x.shape}")
    volts, _, clipped = _dac_run(x, bits, x_max, np.float32, False)
    return volts, clipped


def adc_top(bits: int) -> float:
    """Largest ADC code ``2^(bits-1) - 1`` (1 for a 1-bit ADC, a sign comparator)."""
    bits = check_bits(bits, "adc_bits")
    return 2.0 ** (bits - 1) - 1.0 if bits > 1 else 1.0


SIDE_BY_SIDE_MACS = 2**24
"""Products of `moments` from this many multiply-adds (rows x inner x columns) up run side by side:
the variance product in a second thread while this one computes the mean product. Each is a
single-threaded BLAS call (one BLAS thread, `explorer/__init__.py`), and NumPy releases the
interpreter lock in both, so on two idle cores the pair takes the time of one. Below it, starting a
thread costs more than it saves (illustrative: about a 256 x 256 matrix read with 256 inputs)."""


def moments(x: ArrayLike, g_mean: np.ndarray, g_var: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``x @ g_mean`` and variance ``x^2 @ g_var`` of the outputs (float32 BLAS), for
    per-device conductance means and read-noise variances (uS, uS^2). The two products are
    independent; large ones run side by side (`SIDE_BY_SIDE_MACS`), with the same numbers.

    Several reads at once: `x` ``(reads, batch, inputs)`` with `g_mean` and `g_var` ``(reads,
    inputs, outputs)``, read ``k``'s batch times read ``k``'s matrices (NumPy's stacked product,
    one BLAS product per read: the same numbers as one call per read)."""
    x32 = np.ascontiguousarray(x, dtype=np.float32)
    g_mean = np.ascontiguousarray(g_mean, dtype=np.float32)
    g_var = np.ascontiguousarray(g_var, dtype=np.float32)
    if x32.ndim not in (2, 3):
        raise ValueError(f"x must be a 2-D batch (batch, inputs) or 3-D (reads, batch, inputs), got shape {x32.shape}")
    stacked = x32.shape[:1] if x32.ndim == 3 else ()
    if g_mean.shape[:-1] != (*stacked, x32.shape[-1]):
        raise ValueError(
            f"g_mean must be ({'reads, ' if stacked else ''}inputs, outputs) with the "
            f"{'reads and ' if stacked else ''}{x32.shape[-1]} inputs of x, got {g_mean.shape}"
        )
    if g_var.shape != g_mean.shape:
        raise ValueError(f"g_var must have the shape of g_mean {g_mean.shape}, got {g_var.shape}")
    if x32.size * g_mean.shape[-1] < SIDE_BY_SIDE_MACS:
        return np.matmul(x32, g_mean), np.matmul(np.square(x32), g_var)
    var = np.empty((*x32.shape[:-1], g_var.shape[-1]), dtype=np.float32)
    failed = []  # an error of the second thread (out of memory, say), raised here

    def variance():
        try:
            np.matmul(np.square(x32), g_var, out=var)
        except BaseException as error:  # noqa: BLE001 - handed to the calling thread
            failed.append(error)

    side = threading.Thread(target=variance, name="crossbar variance product")
    side.start()
    try:
        mean = x32 @ g_mean
    finally:
        side.join()
    if failed:
        raise failed[0]
    return mean, var


class Adc(NamedTuple):
    """The ADC of `noise_adc`: reference outputs ``ref`` (batch, groups; empty: none), each
    column's code ``step`` and its inverse ``inv_step``, the digital ``scale`` of each column, the
    largest code ``top`` (0: ideal) and the outputs per group ``n_out``."""

    ref: np.ndarray
    step: np.ndarray
    inv_step: np.ndarray
    scale: np.ndarray
    top: float
    n_out: int


class PairCircuit(NamedTuple):
    """How `pair_matrices` combines device moments: the layout ``cols``, ``n_slices``, ``n_pol``, the
    common-mode ``gain`` and ``offset``, the wire resistance ``wire_r`` (ohm) applied to the IR
    ``loss`` (empty: none) and the reference ``subtract`` of one polarity."""

    cols: int
    n_slices: int
    n_pol: int
    gain: float
    offset: float
    wire_r: float
    loss: np.ndarray
    subtract: float


@njit(**INLINE_JIT)
def _noise_adc_row(r, b, mean, var, adc, key, offset, out, clipped):
    # Row r of the stacked arrays is row b of its read's batch (b counts the noise); column
    # c = i * n_out + j belongs to group i (slice) and output j.
    ref, step, inv_step, top, scale, n_out = adc.ref, adc.step, adc.inv_step, adc.top, adc.scale, adc.n_out
    n_cols = mean.shape[1]
    count = 0
    for i in range(n_cols // n_out):
        shift = ref[r, i] if ref.shape[0] > 0 else 0.0
        for j in range(n_out):
            c = i * n_out + j
            xi = rng.fast_normal(key, np.uint64(offset + b * n_cols + c))
            y = mean[r, c] + np.sqrt(max(np.float64(var[r, c]), 0.0)) * xi - shift
            if top > 0.0:
                code = np.rint(y * inv_step[c])
                count += abs(code) > top
                y = min(max(code, -top), top) * step[c]
            out[r, j] += scale[c] * y
    clipped[r] += count


@njit(**JIT)
def _noise_adc_rows(first, last, mean, var, adc, seeds, offset, out, clipped):
    # Rows first..last - 1; read k (seeds[k]) holds rows k * batch .. (k + 1) * batch - 1.
    batch = mean.shape[0] // seeds.size
    for r in range(first, last):
        key = rng.stream_key(seeds[r // batch], rng.STREAM_CROSSBAR)
        _noise_adc_row(r, r % batch, mean, var, adc, key, offset, out, clipped)


@njit(**JIT)
def _noise_adc_serial(mean, var, adc, seeds, offset, out, clipped):
    _noise_adc_rows(0, mean.shape[0], mean, var, adc, seeds, offset, out, clipped)


_NOISE_BLOCK = 16  # rows per parallel task of the noise and ADC pass


@njit(**PARALLEL_JIT)
def _noise_adc_parallel(mean, var, adc, seeds, offset, out, clipped):
    # Each task runs the serial row loop, compiled on its own: the same loop written inside the
    # prange body ran several times slower per row, slower on two threads than the serial kernel
    # on one (commit 0d4d794).
    n_rows = mean.shape[0]
    for block in prange((n_rows + _NOISE_BLOCK - 1) // _NOISE_BLOCK):
        first = block * _NOISE_BLOCK
        _noise_adc_rows(first, min(first + _NOISE_BLOCK, n_rows), mean, var, adc, seeds, offset, out, clipped)


def noise_adc(
    mean: np.ndarray,
    var: np.ndarray,
    *,
    seed: int | Sequence[int],
    adc_bits: int | None,
    y_max: ArrayLike | None,
    offset: int = 0,
    ref: np.ndarray | None = None,
    scale: np.ndarray | None = None,
    n_out: int | None = None,
    out: np.ndarray | None = None,
) -> tuple[np.ndarray, int]:
    """Add read noise to `moments` outputs, digitize, and accumulate: ``(out, n_clipped)``.

    ``y = mean + sqrt(var) xi`` with a fresh standard normal per output
    (`rng.fast_normal`, stream STREAM_CROSSBAR, counter ``offset + b n_cols + c``); for column
    ``c = i n_out + j`` the reference output ``ref[b, i]`` is subtracted before
    the ADC. `adc_bits` None means an ideal ADC; otherwise `y_max` (per column,
    > 0) is its range. The digitized ``y`` times ``scale[c]`` is added to
    ``out[b, j]`` (digital shift-and-add). Defaults: scale 1, ``n_out`` all columns.

    Several reads at once (the times of an accuracy-versus-time curve): `seed` a sequence of
    seeds, one per read, the rows of `mean` the reads' batches one after another (read ``k`` in
    rows ``k B`` to ``(k + 1) B - 1``); each row draws as row ``b`` of its own read with that
    read's seed would, so the outputs equal those of one call per read.
    """
    if mean.ndim != 2 or var.shape != mean.shape:
        raise ValueError(f"var must have the 2-D shape of mean {mean.shape}, got {var.shape}")
    n_rows, n_cols = mean.shape
    if isinstance(seed, (list, tuple, np.ndarray)):
        seeds = np.array([check_seed(one) for one in seed], dtype=np.int64)
        if seeds.size == 0 or n_rows % seeds.size:
            raise ValueError(f"seed must hold one seed per read, dividing the {n_rows} rows of mean; got {seeds.size}")
    else:
        seeds = np.array([check_seed(seed)], dtype=np.int64)
    n_out = n_cols if n_out is None else int(n_out)
    if n_out < 1 or n_cols % n_out:
        raise ValueError(f"n_out must divide the {n_cols} columns, got {n_out}")
    if adc_bits is None:
        top = 0.0
        y_max = np.ones(n_cols)
    else:
        top = adc_top(adc_bits)
        y_max = np.broadcast_to(np.asarray(y_max, dtype=np.float64), (n_cols,)).copy()
        if not np.all(y_max > 0) or not np.all(np.isfinite(y_max)):
            raise ValueError("y_max (the ADC range) must be positive and finite in every column")
    ref = np.zeros((0, 1)) if ref is None else np.ascontiguousarray(ref, dtype=np.float64)
    scale = np.ones(n_cols) if scale is None else np.ascontiguousarray(scale, dtype=np.float64)
    if out is None:
        out = np.zeros((n_rows, n_out))
    clipped = np.zeros(n_rows, dtype=np.int64)
    step = y_max / max(top, 1.0)
    kernel = pick("crossbar.noise_adc", mean.size)
    kernel(
        np.ascontiguousarray(mean),
        np.ascontiguousarray(var),
        Adc(ref, step, 1.0 / step, scale, float(top), n_out),
        seeds,
        int(offset),
        out,
        clipped,
    )
    return out, int(clipped.sum())


_IR_BLOCK = 128  # columns per parallel task of the bit-line pass


@njit(**PARALLEL_JIT)
def _ir_kernel(g, r, out):
    """out = r (A + B) per device (module docstring), by row-major running sums."""
    n, p = g.shape
    n_blocks = (p + _IR_BLOCK - 1) // _IR_BLOCK
    for blk in prange(n_blocks):
        c0 = blk * _IR_BLOCK
        c1 = min(c0 + _IR_BLOCK, p)
        w = c1 - c0
        total = np.zeros(w)
        for l in range(n):
            for c in range(w):
                total[c] += g[l, c0 + c] * (n - l)
        prefix = np.zeros(w)
        partial = np.zeros(w)
        for l in range(n):
            for c in range(w):
                x = g[l, c0 + c]
                prefix[c] += x
                partial[c] += x * (n - l)
                # A = sum_{k > l} G_k (n - k) + (n - l) sum_{k <= l} G_k
                out[l, c0 + c] = r * ((total[c] - partial[c]) + (n - l) * prefix[c])
    for l in prange(n):
        # B_c = sum_{m <= c} G_m (m + 1) + (c + 1) sum_{m > c} G_m
        row_total = 0.0
        for c in range(p):
            row_total += g[l, c]
        prefix = 0.0
        weighted = 0.0
        for c in range(p):
            prefix += g[l, c]
            weighted += g[l, c] * (c + 1)
            out[l, c] += r * (weighted + (c + 1) * (row_total - prefix))


def ir_drop_factors(g: ArrayLike, *, wire_resistance_ohm: float) -> tuple[np.ndarray, float]:
    """IR-drop factors ``1 / (1 + r (A + B))`` per device and the largest ``r (A + B)``.

    `g` (uS) is the physical array, rows = word lines, columns = bit lines in
    their layout order; `wire_resistance_ohm` (> 0) is the resistance of one
    segment between neighbouring cells. See the module docstring for A and B.
    """
    r = wire_resistance_ohm
    if (
        isinstance(r, (bool, np.bool_))
        or not isinstance(r, (int, float, np.floating, np.integer))
        or not np.isfinite(r)
        or not 0.0 < r <= MAX_IR_DROP
    ):
        raise ValueError(f"wire_resistance_ohm must be a positive number up to {MAX_IR_DROP:g} ohm, got {r!r}")
    loss = float(r) * ir_unit_loss(finite_array(g, "g"))
    worst = float(loss.max()) if loss.size else 0.0
    return 1.0 / (1.0 + loss), worst


def ir_unit_loss(g: ArrayLike) -> np.ndarray:
    """``A + B`` of every device in 1/ohm (the IR loss at 1 ohm per segment), for `g` in uS.

    The loss is linear in the wire resistance, so a sweep over resistances computes
    this once: the factors at ``r`` are ``1 / (1 + r * ir_unit_loss(g))``.
    """
    g = np.ascontiguousarray(g, dtype=np.float64)
    if g.ndim != 2:
        raise ValueError(f"g must be a 2-D array (rows, columns), got shape {g.shape}")
    loss = np.empty_like(g)
    _ir_kernel(g, 1e-6, loss)
    return loss


@njit(**INLINE_JIT)
def _pair_row(r, mean, sigma, circ, d, v):
    # Each device's moments: gain * mean + offset and gain * sigma, both times the IR factor
    # 1 / (1 + r loss) when there is a loss. Written out in the loop: the same pass through a
    # helper returning each device's pair of moments ran many times slower, with the circuit's
    # fields passed to it as plain arguments as well (commit ae5e2ef).
    cols, n_slices, n_pol, gain, offset, wire_r, loss, subtract = circ
    with_loss = loss.shape[0] > 0
    for j in range(cols):
        for i in range(n_slices):
            p = (j * n_slices + i) * n_pol
            m0 = gain * mean[r, p] + offset
            s0 = gain * sigma[r, p]
            if with_loss:
                f = 1.0 / (1.0 + wire_r * loss[r, p])
                m0 *= f
                s0 *= f
            var = s0 * s0
            if n_pol == 2:
                m1 = gain * mean[r, p + 1] + offset
                s1 = gain * sigma[r, p + 1]
                if with_loss:
                    f = 1.0 / (1.0 + wire_r * loss[r, p + 1])
                    m1 *= f
                    s1 *= f
                m0 -= m1
                var += s1 * s1
            d[r, i * cols + j] = m0 - subtract
            v[r, i * cols + j] = var


@njit(**JIT)
def _pair_serial(mean, sigma, circ, d, v):
    for r in range(mean.shape[0]):
        _pair_row(r, mean, sigma, circ, d, v)


@njit(**PARALLEL_JIT)
def _pair_parallel(mean, sigma, circ, d, v):
    for r in prange(mean.shape[0]):
        _pair_row(r, mean, sigma, circ, d, v)


def pair_matrices(
    mean: np.ndarray,
    sigma: np.ndarray,
    *,
    cols: int,
    n_slices: int,
    n_pol: int,
    gain: float = 1.0,
    offset: float = 0.0,
    loss: np.ndarray | None = None,
    wire_resistance_ohm: float = 0.0,
    subtract: ArrayLike = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-output matrices ``(D, V)`` (rows, n_slices * cols), float32, from device moments.

    Device ``(j, slice i, polarity)`` sits in column ``(j n_slices + i) n_pol + polarity``
    of `mean` and `sigma` (uS). Each device's mean is ``gain * mean + offset`` (common
    mode), both scaled by the IR factor ``1 / (1 + r loss)`` when `loss` (from
    `ir_unit_loss`) is given; ``D = G+ - G-`` (or ``G - subtract`` with one polarity) and
    ``V = sigma+^2 + sigma-^2``, output column ``i cols + j``. One fused pass.
    """
    mean = np.ascontiguousarray(mean, dtype=np.float64)
    sigma = np.ascontiguousarray(sigma, dtype=np.float64)
    rows = mean.shape[0]
    d = np.empty((rows, n_slices * cols), dtype=np.float32)
    v = np.empty_like(d)
    loss = np.zeros((0, 0)) if loss is None else np.ascontiguousarray(loss, dtype=np.float64)
    kernel = pick("crossbar.pairs", mean.size)  # threads only pay off on large arrays
    kernel(
        mean,
        sigma,
        PairCircuit(
            int(cols),
            int(n_slices),
            int(n_pol),
            float(gain),
            float(offset),
            float(wire_resistance_ohm),
            loss,
            float(subtract),
        ),
        d,
        v,
    )
    return d, v


def mvm_error(y: ArrayLike, y_ideal: ArrayLike) -> float:
    """MVM error of section 12: mean over the batch of ``||y - y_ideal|| / ||y_ideal||``.

    Rows whose ideal output is all zero are left out; if every row's is, the relative error is
    undefined and the result is NaN (not 0: an all-zero reference is no evidence of accuracy).
    """
    y = np.atleast_2d(np.asarray(y, dtype=np.float64))
    y_ideal = np.atleast_2d(np.asarray(y_ideal, dtype=np.float64))
    if y.shape != y_ideal.shape:
        raise ValueError(f"y must have the shape of y_ideal {y_ideal.shape}, got {y.shape}")
    norm = np.linalg.norm(y_ideal, axis=1)
    keep = norm > 0
    if not np.any(keep):
        return float("nan")
    return float(np.mean(np.linalg.norm(y - y_ideal, axis=1)[keep] / norm[keep]))


register_twins("crossbar.dac", _dac_serial, _dac_parallel)
register_twins("crossbar.noise_adc", _noise_adc_serial, _noise_adc_parallel)
register_twins("crossbar.pairs", _pair_serial, _pair_parallel)
