"""Parallel outer-product update with stochastic pulse trains, as crossbar arrays do it (for
on-chip training; gradient-descent programming applies a digitally computed gradient row by row,
`explorer.models.programming`).

A rank-one update ``dW = eta x d^T`` is applied to every device of an array at once (Gokmen and
Vlasov, Front. Neurosci. 10, 333, 2016; aihwkit's pulsed update with ``desired_bl`` 31): row i
sends a train of ``bl`` slots, each carrying a pulse with probability ``p_i``; column c sends its
own train with probability ``q_c``; a device changes by one pulse (one device step) in each slot
where its row and column pulses coincide, so it receives ``Binomial(bl, p_i q_c)`` pulses with
mean ``bl p_i q_c``. The sign of the change is the product of the row's and the column's signs.
Choosing ``p_i`` proportional to ``|x_i|`` and ``q_c`` to ``|d_c|`` makes the expected change
proportional to the outer product; how they are scaled (update management) is the caller's
(`explorer.models.programming`).

`coincidences` counts, for a batch of such updates (B samples, one after the other), the pulses
each device receives in each direction: ``(n_up, n_down)``, each ``(rows, cols)``. Each sample
has two phases, one per direction (up, then down), with fresh trains. A device only takes the
coincidences of a direction it can be pulsed in (`up_ok`, `down_ok`: a SET-only PCM device has
no gradual down, a Flash cell no up). `apply_counts` then moves each device by its ``n_up`` up
pulses and then its ``n_down`` down pulses along the soft-bounds family of
`kernels.programming` (state dependence, device-to-device steps, cycle-to-cycle spread).

Random draws are counter-based (`kernels.rng`): slot t of row i in phase f of sample b draws
counter ``((b * 2 + f) * rows + i) * 64 + t`` of stream STREAM_PULSE_ROW; columns likewise in
STREAM_PULSE_COL. A train is at most 64 slots (one 64-bit word per train; the coincidences of
a device are the population count of the AND of its row's and column's words). The NumPy twins
compute the same numbers: the tests' reference and the benchmark's baseline.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from numpy.typing import ArrayLike

from . import rng
from ._jit import INLINE_JIT, JIT, PARALLEL_JIT, pick, register_twins
from .programming import Response, check_response, check_steps, numpy_pulse_train, pulse_train
from .validate import check_seed, finite_array

MAX_SLOTS = 64
"""Longest pulse train (slots per phase): one 64-bit word per row or column train."""

_M1 = np.uint64(0x5555555555555555)
_M2 = np.uint64(0x3333333333333333)
_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
_H01 = np.uint64(0x0101010101010101)


@njit(**INLINE_JIT)
def _popcount(v):
    v = v - ((v >> np.uint64(1)) & _M1)
    v = (v & _M2) + ((v >> np.uint64(2)) & _M2)
    v = (v + (v >> np.uint64(4))) & _M4
    return (v * _H01) >> np.uint64(56)


@njit(**INLINE_JIT)
def _train_word(key, counter0, p, slots):
    word = np.uint64(0)
    if p <= 0.0:
        return word
    for t in range(slots):
        if rng.uniform(key, counter0 + np.uint64(t)) < p:
            word |= np.uint64(1) << np.uint64(t)
    return word


@njit(**INLINE_JIT)
def _words(probs, b, f, n, slots, key, out):
    for i in range(n):
        out[i] = _train_word(key, np.uint64(((b * 2 + f) * n + i) * MAX_SLOTS), probs[b, i], slots)


@njit(**INLINE_JIT)
def _tally_row(i, row_f, row_sign, col_w, col_sign, up_ok, down_ok, n_up, n_down, b):
    for c in range(col_w.shape[1]):
        s = row_sign[b, i] * col_sign[b, c]
        if s > 0 and up_ok:
            n_up[i, c] += _popcount(row_f[0, i] & col_w[0, c])
        elif s < 0 and down_ok:
            n_down[i, c] += _popcount(row_f[1, i] & col_w[1, c])


@njit(**JIT)
def _coincidences_serial(p, row_sign, q_up, q_down, col_sign, slots, up_ok, down_ok, seed, n_up, n_down):
    key_r = rng.stream_key(seed, rng.STREAM_PULSE_ROW)
    key_c = rng.stream_key(seed, rng.STREAM_PULSE_COL)
    B, rows = p.shape
    cols = q_up.shape[1]
    row_w = np.empty((2, rows), dtype=np.uint64)
    col_w = np.empty((2, cols), dtype=np.uint64)
    for b in range(B):
        if slots[b] == 0:
            continue
        _words(p, b, 0, rows, slots[b], key_r, row_w[0])
        _words(p, b, 1, rows, slots[b], key_r, row_w[1])
        _words(q_up, b, 0, cols, slots[b], key_c, col_w[0])
        _words(q_down, b, 1, cols, slots[b], key_c, col_w[1])
        for i in range(rows):
            _tally_row(i, row_w, row_sign, col_w, col_sign, up_ok, down_ok, n_up, n_down, b)


@njit(**PARALLEL_JIT)
def _coincidences_parallel(p, row_sign, q_up, q_down, col_sign, slots, up_ok, down_ok, seed, n_up, n_down):
    key_r = rng.stream_key(seed, rng.STREAM_PULSE_ROW)
    key_c = rng.stream_key(seed, rng.STREAM_PULSE_COL)
    B, rows = p.shape
    cols = q_up.shape[1]
    row_w = np.zeros((B, 2, rows), dtype=np.uint64)
    col_w = np.zeros((B, 2, cols), dtype=np.uint64)
    for b in prange(B):
        if slots[b] > 0:
            _words(p, b, 0, rows, slots[b], key_r, row_w[b, 0])
            _words(p, b, 1, rows, slots[b], key_r, row_w[b, 1])
            _words(q_up, b, 0, cols, slots[b], key_c, col_w[b, 0])
            _words(q_down, b, 1, cols, slots[b], key_c, col_w[b, 1])
    for i in prange(rows):
        for b in range(B):
            if slots[b] > 0:
                _tally_row(i, row_w[b], row_sign, col_w[b], col_sign, up_ok, down_ok, n_up, n_down, b)


def _probabilities(values, name, shape=None):
    arr = np.ascontiguousarray(finite_array(values, name), dtype=np.float64)
    if arr.ndim != 2 or (shape is not None and arr.shape != shape):
        raise ValueError(
            f"{name} must be a 2-D array{'' if shape is None else f' of shape {shape}'}, got shape {arr.shape}"
        )
    if arr.size and (arr.min() < 0.0 or arr.max() > 1.0):
        raise ValueError(f"{name} must hold probabilities in [0, 1]")
    return arr


def _signs(values, name, shape):
    arr = np.asarray(values)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    if arr.size and not np.isin(arr, (-1, 0, 1)).all():
        raise ValueError(f"{name} must hold -1, 0 or 1")
    return np.ascontiguousarray(arr, dtype=np.int8)


def _coincidence_args(p, row_sign, q_up, q_down, col_sign, slots, seed):
    p = _probabilities(p, "p")
    B, rows = p.shape
    q_up = _probabilities(q_up, "q_up")
    if q_up.shape[0] != B:
        raise ValueError(f"q_up must have one row per sample ({B}), got shape {q_up.shape}")
    q_down = _probabilities(q_down, "q_down", q_up.shape)
    row_sign = _signs(row_sign, "row_sign", p.shape)
    col_sign = _signs(col_sign, "col_sign", q_up.shape)
    slots = np.asarray(slots)
    if (
        slots.shape != (B,)
        or not np.issubdtype(slots.dtype, np.integer)
        or (B and (slots.min() < 0 or slots.max() > MAX_SLOTS))
    ):
        raise ValueError(f"slots must be {B} integers in [0, {MAX_SLOTS}] (one train length per sample)")
    return p, row_sign, q_up, q_down, col_sign, np.ascontiguousarray(slots, dtype=np.int64), check_seed(seed)


def coincidences(
    p: ArrayLike,
    row_sign: ArrayLike,
    q_up: ArrayLike,
    q_down: ArrayLike,
    col_sign: ArrayLike,
    slots: ArrayLike,
    *,
    up_ok: bool = True,
    down_ok: bool = True,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Pulses each device receives from a batch of stochastic outer-product updates.

    `p` ``(B, rows)``: each row's pulse probability per slot, sample by sample; `row_sign`
    ``(B, rows)``: its sign (-1, 0, 1); `q_up`, `q_down` ``(B, cols)``: each column's pulse
    probability in the up and in the down phase; `col_sign` ``(B, cols)``; `slots` ``(B,)``: the
    train length of each sample (0: no update). A device (i, c) moves up in sample b when
    ``row_sign * col_sign > 0`` (and `up_ok`), down when it is negative (and `down_ok`), by the
    coincidences of that phase's trains. Returns ``(n_up, n_down)``, int64 ``(rows, cols)``.
    """
    p, row_sign, q_up, q_down, col_sign, slots, seed = _coincidence_args(
        p, row_sign, q_up, q_down, col_sign, slots, seed
    )
    n_up = np.zeros((p.shape[1], q_up.shape[1]), dtype=np.int64)
    n_down = np.zeros_like(n_up)
    kernel = pick("outer_update.coincidences", p.shape[0] * n_up.size)
    kernel(p, row_sign, q_up, q_down, col_sign, slots, bool(up_ok), bool(down_ok), seed, n_up, n_down)
    return n_up, n_down


def _numpy_words(key, probs, f, slots):
    """Train words ``(B, n)`` of phase f: bit t set when uniform < probability (slots of each sample)."""
    B, n = probs.shape
    counters = ((np.arange(B)[:, None] * 2 + f) * n + np.arange(n)[None, :]).astype(np.uint64) * np.uint64(MAX_SLOTS)
    words = np.zeros((B, n), dtype=np.uint64)
    for t in range(int(slots.max()) if B else 0):
        on = (rng.numpy_uniform(key, counters + np.uint64(t)) < probs) & (t < slots)[:, None]
        words |= on.astype(np.uint64) << np.uint64(t)
    return words


def numpy_coincidences(
    p: ArrayLike,
    row_sign: ArrayLike,
    q_up: ArrayLike,
    q_down: ArrayLike,
    col_sign: ArrayLike,
    slots: ArrayLike,
    *,
    up_ok: bool = True,
    down_ok: bool = True,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """NumPy twin of `coincidences` (the same counters, vectorized over rows and columns)."""
    p, row_sign, q_up, q_down, col_sign, slots, seed = _coincidence_args(
        p, row_sign, q_up, q_down, col_sign, slots, seed
    )
    key_r = rng.numpy_stream_key(seed, rng.STREAM_PULSE_ROW)
    key_c = rng.numpy_stream_key(seed, rng.STREAM_PULSE_COL)
    n_up = np.zeros((p.shape[1], q_up.shape[1]), dtype=np.int64)
    n_down = np.zeros_like(n_up)
    rows = [_numpy_words(key_r, p, f, slots) for f in (0, 1)]
    cols = [_numpy_words(key_c, q, f, slots) for f, q in ((0, q_up), (1, q_down))]
    for b in range(p.shape[0]):
        s = row_sign[b][:, None].astype(np.int64) * col_sign[b][None, :]
        if up_ok:
            n_up += np.where(s > 0, np.bitwise_count(rows[0][b][:, None] & cols[0][b][None, :]), 0)
        if down_ok:
            n_down += np.where(s < 0, np.bitwise_count(rows[1][b][:, None] & cols[1][b][None, :]), 0)
    return n_up, n_down


# ----------------------------------------------------------------------------- applying counts


@njit(**INLINE_JIT)
def _apply_one(d, g, n_up, n_down, g_out, resp, dg_up, dg_down, key, key_skip):
    """Device d after its `n_up` then its `n_down` full pulses on the `Response` `resp`."""
    x = g[d]
    base = np.uint64(d) * np.uint64(2 * MAX_COUNT)
    if n_up[d] > 0:
        x = pulse_train(x, n_up[d], True, 1.0, dg_up[d], resp, key, base, key_skip, np.uint64(2 * d))
    if n_down[d] > 0:
        x = pulse_train(
            x, n_down[d], False, 1.0, dg_down[d], resp, key, base + np.uint64(MAX_COUNT), key_skip, np.uint64(2 * d + 1)
        )
    g_out[d] = x


@njit(**JIT)
def _apply_serial(g, n_up, n_down, g_out, resp, dg_up, dg_down, seed):
    key = rng.stream_key(seed, rng.STREAM_PULSE)
    key_skip = rng.stream_key(seed, rng.STREAM_PULSE_SKIP)
    for d in range(g.size):
        _apply_one(d, g, n_up, n_down, g_out, resp, dg_up, dg_down, key, key_skip)


@njit(**PARALLEL_JIT)
def _apply_parallel(g, n_up, n_down, g_out, resp, dg_up, dg_down, seed):
    key = rng.stream_key(seed, rng.STREAM_PULSE)
    key_skip = rng.stream_key(seed, rng.STREAM_PULSE_SKIP)
    for d in prange(g.size):
        _apply_one(d, g, n_up, n_down, g_out, resp, dg_up, dg_down, key, key_skip)


MAX_COUNT = 2**20
"""Most pulses one device takes in one direction from one `apply_counts` call (pulse counters)."""


def _count_args(g, n_up, n_down, response, dg_up, dg_down, seed):
    resp = check_response(response)
    g_min, g_max = resp.g_min, resp.g_max
    shape = np.shape(g)
    g = np.ascontiguousarray(finite_array(g, "g"), dtype=np.float64).ravel()
    if g.size and (g.min() < g_min or g.max() > g_max):
        raise ValueError(f"g must lie in [{g_min:g}, {g_max:g}] uS; got values from {g.min():g} to {g.max():g} uS")
    counts = []
    for value, name in ((n_up, "n_up"), (n_down, "n_down")):
        arr = np.asarray(value)
        if arr.size != g.size or not np.issubdtype(arr.dtype, np.integer):
            raise ValueError(f"{name} must hold one integer count per device ({g.size})")
        if arr.size and (arr.min() < 0 or arr.max() >= MAX_COUNT):
            raise ValueError(f"{name} must lie in [0, {MAX_COUNT})")
        counts.append(np.ascontiguousarray(arr, dtype=np.int64).ravel())
    steps = check_steps(((dg_up, "dg_up"), (dg_down, "dg_down")), g.size, g_max - g_min)
    return shape, g, counts, steps, resp, check_seed(seed)


def apply_counts(
    g: ArrayLike,
    n_up: ArrayLike,
    n_down: ArrayLike,
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
    """Conductances (uS, the shape of `g`) after each device's `n_up` full up pulses and then its
    `n_down` full down pulses, each ``dg (distance to the bound / span)^gamma (1 + c2c xi)``
    (`kernels.programming.pulse_train`; `dg_up`, `dg_down` the devices' own steps, uS; the rest
    the `kernels.programming.Response` fields)."""
    shape, g, (n_up, n_down), (dg_up, dg_down), resp, seed = _count_args(
        g, n_up, n_down, Response(g_min, g_max, gamma_up, gamma_down, c2c), dg_up, dg_down, seed
    )
    g_out = np.empty_like(g)
    kernel = pick("outer_update.apply_counts", g.size)
    kernel(g, n_up, n_down, g_out, resp, dg_up, dg_down, seed)
    return g_out.reshape(shape)


def numpy_apply_counts(
    g: ArrayLike,
    n_up: ArrayLike,
    n_down: ArrayLike,
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
    """NumPy twin of `apply_counts`."""
    shape, g, (n_up, n_down), (dg_up, dg_down), resp, seed = _count_args(
        g, n_up, n_down, Response(g_min, g_max, gamma_up, gamma_down, c2c), dg_up, dg_down, seed
    )
    key = rng.numpy_stream_key(seed, rng.STREAM_PULSE)
    key_skip = rng.numpy_stream_key(seed, rng.STREAM_PULSE_SKIP)
    idx = np.arange(g.size, dtype=np.uint64)
    base = idx * np.uint64(2 * MAX_COUNT)
    x = numpy_pulse_train(g, n_up, True, np.ones(g.size), dg_up, resp, key, base, key_skip, 2 * idx)
    return numpy_pulse_train(
        x,
        n_down,
        False,
        np.ones(g.size),
        dg_down,
        resp,
        key,
        base + np.uint64(MAX_COUNT),
        key_skip,
        2 * idx + np.uint64(1),
    ).reshape(shape)


register_twins("outer_update.coincidences", _coincidences_serial, _coincidences_parallel)
register_twins("outer_update.apply_counts", _apply_serial, _apply_parallel)
