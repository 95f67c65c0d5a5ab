"""On-chip training of a two-layer perceptron on analog tiles, one sample at a time: forward and
backward passes through the crossbar read-out, the parallel outer-product update by stochastic
pulse trains, and the Tiki-Taka transfers.

**Network.** Inputs ``x`` (n_in) and a constant 1 (the bias row) feed tile 0 ``(n_in + 1,
n_hidden)``; ReLU; the hidden outputs and a 1 feed tile 1 ``(n_hidden + 1, n_out)``; softmax and
cross-entropy against the label. Each tile holds weights ``w`` nominally in [-1, 1] (each device
within its own bounds); the network uses ``scale_l w`` (a digital scale per layer), so ``dL/dw =
scale_l a delta^T`` and plain SGD with rate ``lr`` on the network's weights is ``w -= (lr /
scale_l) a delta^T``.

**Read-out** (aihwkit's forward and backward IO model, Rasch et al., AICAS 2021, arXiv 2104.02184):
an input vector is divided by its largest magnitude (noise management), quantized by a DAC of
``dac_levels`` steps per sign (0: ideal), multiplied by the weights, given additive Gaussian noise
``read_noise`` (in units of a full-scale input times a unit weight), clipped at ``+-out_bound`` and
quantized by an ADC of ``adc_levels`` steps per sign over that bound (0: ideal), then scaled back.
The backward pass reads the transposed tile the same way with the output errors as inputs.

**Devices** (physics reference section 5; aihwkit's pulsed devices): an up pulse moves a weight by
``dw_up (1 - s w / b_hi)``, a down pulse by ``dw_down (1 + s w / b_lo)``, each times ``1 + c2c xi``,
clipped to the device's own bounds [-b_lo, b_hi]; ``dw_up``, ``dw_down``, ``b_hi`` and ``b_lo`` are
the device's own (``D[0]`` to ``D[3]`` of its tile's device array: the caller draws them, with the
up/down asymmetry and the device-to-device spreads folded in; `explorer.models.training.on_chip.device_steps`
and `device_bounds`), ``s`` the slope of the bounds (1: soft bounds, whose steps vanish at the
device's bounds as aihwkit's ``SoftBoundsDevice``'s do, ``rpu_linearstep_device.cpp``; 0: a
constant-step device, clipped at its bounds). Up and down steps are equal at the device's own
symmetry point ``w* = (dw_up - dw_down) / (s (dw_up / b_hi + dw_down / b_lo))``. Write noise
(aihwkit's ``write_noise_std``): the weight a read sees is the stored one plus ``write_noise dw_min
xi``, redrawn each time the device is pulsed (``dw_min`` the nominal step).

**Update** (Gokmen and Vlasov, Front. Neurosci. 10, 333, 2016): row i fires each of ``bl`` slots
with probability ``c_x |x_i|``, column j with ``c_d |d_j|``, ``c_x c_d = lr / (bl dw_min)`` and the
two balanced so that ``c_x max|x| = c_d max|d|`` (update management); a device takes one pulse per
coincidence, up where ``x_i d_j < 0`` (the update is ``-lr x d^T``).

**Algorithms** (`ALGORITHMS`; physics reference section 6):

* floating-point SGD: the same network in float64, ideal read-out (the reference);
* in-memory SGD: the update applied to the weight tile C by pulse trains;
* TTv1 (Gokmen and Haensch, Front. Neurosci. 14, 103, 2020): gradients go to a fast tile A; after
  every ``transfer_every`` samples, row k of each layer's A (k cycling) is read with a one-hot input
  and ``C[k] += lr_h A[k]`` is applied to C by pulse trains;
* TTv2 (Gokmen, Front. Artif. Intell. 4, 699148, 2021): the read of ``A[k]`` minus a reference
  ``R[k]`` (each device's symmetry point plus an offset error) is accumulated in a digital buffer
  ``H[k] += lr_h (A[k] - R[k]) / dw_min``; where ``|H| >= 1``, C gets ``n = trunc(H)`` pulses,
  clipped to ``+-max_steps``, and H becomes ``momentum H`` (``forget_buffer``) or
  ``H - (1 - momentum) n`` (aihwkit's ``BufferedTransferCompound`` rule,
  ``rpu_buffered_transfer_device.cpp``; its defaults: ``forget_buffer`` True, ``desired_bl`` 1 for
  the transfer, so ``max_steps`` 1). Pulses that ``trunc(H)`` asks for beyond ``max_steps`` are
  tallied (``capped``): with ``forget_buffer`` they are lost with H, without it they stay in H
  (and are tallied again at each transfer that holds them back);
* c-TTv2 (Rasch et al., Nat. Commun. 15, 2024, arXiv 2303.04721): as TTv2 with a chopper
  ``c_k = +-1`` per row multiplying the row's gradient input into A and the read of ``A[k]``;
  after each read of row k, ``c_k`` flips with probability ``chopper_p`` (aihwkit's
  ``ChoppedTransferCompound`` with ``in_chop_random``; unlike aihwkit's, R is subtracted here);
* AGAD (same paper; aihwkit's ``DynamicTransferCompound``, ``rpu_dynamic_transfer_device.cpp``):
  chopped, with regular flips: every row's chopper flips after every ``period = max(ceil(1 /
  chopper_p), 2)``-th read of it. Each device keeps a running mean M of its reads of A,
  ``M = (1 - m) M + m A`` with ``m = min(tail_weightening / period, 1)`` (weighting the tail of a
  chopper period); at the first read after a flip the reference P takes M's value, and
  ``H += lr_h c_k (A - P) / dw_min`` with the same threshold, cap and buffer rule as TTv2. No
  reference array (and no offset error) is involved. As in aihwkit, C is not written during the
  first ``period`` passes over the rows (H is still updated and reset); M and P start at A's
  initial state (aihwkit's at 0, where its A starts).

**One linear tile** (`train_linear`): the correlation task of physics reference section 6, a tile
learning ``y = W^T x`` from (input, target) pairs, the output read through the same read-out, the
error formed digitally, and the same updates and transfers as layer 0 of the network (no bias row,
no digital scale).

Random draws are counter-based (`kernels.rng`), one key per purpose (`KEYS`): each draw's counter
holds the global sample number, the layer, the tile, the row, the column and the slot or pulse,
so the NumPy twin (`numpy_train_samples`, the tests' reference and the benchmark's baseline)
computes the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal, NamedTuple

import numpy as np
from numba import njit
from numpy.typing import ArrayLike

from . import rng
from .outer_update import _popcount, _train_word

_EXACT_JIT = dict(cache=True, nogil=True)
"""No fastmath here: the read-out rounds DAC- and ADC-quantized values that often sit exactly on a
rounding boundary, where a fused multiply-add would round differently from the NumPy twin."""
_EXACT_INLINE_JIT = dict(_EXACT_JIT, inline="always")

ALGORITHMS = ("float SGD", "analog SGD", "TTv1", "TTv2", "c-TTv2", "AGAD")
FLOAT, SGD, TTV1, TTV2, CTTV2, AGAD = range(6)

KEYS = (
    "forward",
    "backward",
    "transfer read",
    "row trains",
    "column trains",
    "pulses",
    "write noise",
    "chopper",
    "evaluation",
)
"""The purposes of the random keys (`keys` arrays hold one key per purpose, in this order)."""
K_FWD, K_BWD, K_XFER, K_ROW, K_COL, K_PULSE, K_WRITE, K_CHOP, K_EVAL = range(9)

MAX_SLOTS = 64
MAX_DIM = 4096
"""Largest tile side (rows or columns): the counters reserve 12 bits for each."""
MAX_TRANSFER_PULSES = 1024
"""Most pulses one device takes in one transfer (counters reserve 10 bits)."""

DEVICE_FIELDS = ("dw_min", "slope", "c2c", "write_noise")
IO_FIELDS = ("read_noise", "dac_levels", "adc_levels", "out_bound")
ALGO_FIELDS = (
    "lr",
    "lr_h",
    "transfer_every",
    "chopper_p",
    "bl",
    "momentum",
    "forget_buffer",
    "max_steps",
    "tail_weightening",
)
RESULT_FIELDS = ("loss", "correct", "pulses", "transfers", "capped")
"""What the training kernels return: sum of losses, correct predictions (digits), pulses applied,
transfers, and pulses a transfer did not send because of ``max_steps``."""
N_COUNTERS = 5
"""``TileState.counters``: next transfer row of layer 0 and 1, samples since the last transfer,
completed passes over the rows of layer 0 and 1 (AGAD's chopper period counts them)."""


# ----------------------------------------------------------------------------- records


class Device(NamedTuple):
    """The pulsed device model shared by every device (module docstring): nominal step ``dw_min``,
    bound slope ``slope`` (1 soft bounds, 0 constant step), relative cycle-to-cycle spread ``c2c``
    and write noise ``write_noise`` in units of ``dw_min``. Fields in the order of `DEVICE_FIELDS`."""

    dw_min: float
    slope: float
    c2c: float
    write_noise: float


class ReadOut(NamedTuple):
    """The read-out (module docstring): additive output noise ``read_noise``, DAC and ADC levels per
    sign ``dac_levels`` and ``adc_levels`` (0: ideal), ADC range ``out_bound`` (0: no clipping).
    Fields in the order of `IO_FIELDS`."""

    read_noise: float
    dac_levels: float
    adc_levels: float
    out_bound: float


class Algorithm(NamedTuple):
    """The update and transfer settings (module docstring): learning rates ``lr`` and ``lr_h``,
    samples per transfer ``transfer_every``, chopper flip probability ``chopper_p``, pulse-train
    slots ``bl``, buffer ``momentum``, ``forget_buffer`` (1 or 0), ``max_steps`` per transfer and
    AGAD's ``tail_weightening``. Fields in the order of `ALGO_FIELDS`; counts are held as floats
    (the kernels convert them), as the arrays they replace were."""

    lr: float
    lr_h: float
    transfer_every: float
    chopper_p: float
    bl: float
    momentum: float
    forget_buffer: float
    max_steps: float
    tail_weightening: float


class Tile(NamedTuple):
    """One analog tile: stored weights ``w``, their write-noise offsets ``noise`` and the devices'
    own steps and bounds ``steps`` (4, rows, cols: up step, down step, upper bound, magnitude of the
    lower bound)."""

    w: np.ndarray
    noise: np.ndarray
    steps: np.ndarray


class Layer(NamedTuple):
    """The arrays of one layer (`TileState`): weight tile ``C``, fast tile ``A``, TTv2 buffer ``H``,
    reference ``R``, AGAD reference ``P`` with its running means ``S``, chopper signs ``chop``."""

    C: Tile
    A: Tile
    H: np.ndarray
    R: np.ndarray
    P: np.ndarray
    S: np.ndarray
    chop: np.ndarray


class Network(NamedTuple):
    """The two layers of the perceptron, their digital ``scales`` and the ``counters``
    (`N_COUNTERS`, int64, updated in place)."""

    layer0: Layer
    layer1: Layer
    scales: np.ndarray
    counters: np.ndarray


class Work(NamedTuple):
    """Work buffers of the update and the transfers, each at least as long as a tile's rows or
    columns: ``onehot`` and ``read`` (float64), ``counts`` (int64), ``row_words`` and ``col_words``
    (uint64 pulse-train bit words)."""

    onehot: np.ndarray
    read: np.ndarray
    counts: np.ndarray
    row_words: np.ndarray
    col_words: np.ndarray


RECORDS = {"dev": Device, "io": ReadOut, "alg": Algorithm}
"""The settings records of the wrappers' arguments."""


def as_record(
    kind: Literal["dev", "io", "alg"],
    values: Device | ReadOut | Algorithm | Mapping[str, float] | Sequence[float],
) -> Device | ReadOut | Algorithm:
    """`values` (a record of that kind, a mapping of its fields or a sequence in their order) as the
    record named by `kind` ("dev", "io" or "alg") with float fields; raises ValueError naming `kind`
    when the number of values is wrong or one is not finite."""
    cls = RECORDS[kind]
    if isinstance(values, dict):
        missing = set(cls._fields) - set(values)
        if missing or len(values) != len(cls._fields):
            raise ValueError(f"{kind} must hold the fields {cls._fields}; got {sorted(values)}")
        values = [values[f] for f in cls._fields]
    try:
        floats = [float(v) for v in values]
    except (TypeError, ValueError):
        raise ValueError(f"{kind} must hold {len(cls._fields)} finite numbers {cls._fields}") from None
    if len(floats) != len(cls._fields) or not all(np.isfinite(floats)):
        raise ValueError(f"{kind} must hold {len(cls._fields)} finite values {cls._fields}")
    return cls(*floats)


# ----------------------------------------------------------------------------- counters


@njit(**_EXACT_INLINE_JIT)
def _cell(t, layer, tile, i, j):
    """Counter base of device (i, j) of a tile at sample t (10 free low bits for its pulses)."""
    return (
        (
            ((np.uint64(t) * np.uint64(2) + np.uint64(layer)) * np.uint64(2) + np.uint64(tile)) * np.uint64(MAX_DIM)
            + np.uint64(i)
        )
        * np.uint64(MAX_DIM)
        + np.uint64(j)
    ) * np.uint64(1024)


@njit(**_EXACT_INLINE_JIT)
def _line(t, layer, tile, i):
    """Counter base of row or column i of a tile at sample t (64 slots, or one read-out draw)."""
    return (
        ((np.uint64(t) * np.uint64(2) + np.uint64(layer)) * np.uint64(2) + np.uint64(tile)) * np.uint64(MAX_DIM)
        + np.uint64(i)
    ) * np.uint64(MAX_SLOTS)


# ----------------------------------------------------------------------------- read-out


@njit(**_EXACT_INLINE_JIT)
def _quantize(v, levels):
    """`v` rounded to a multiple of ``1 / levels`` (halves up: the same in Numba and NumPy)."""
    return np.floor(v * levels + 0.5) / levels if levels > 0 else v


@njit(**_EXACT_JIT)
def _read(W, Wn, x, out, transposed, io, key, t, layer, tile):
    """``out = W^T x`` (or ``W x`` when `transposed`) through the read-out (module docstring); `Wn`
    the write-noise offsets added to the stored weights; `io` a `ReadOut`."""
    read_noise, dac, adc, bound = io.read_noise, io.dac_levels, io.adc_levels, io.out_bound
    xm = 0.0
    for i in range(x.size):
        xm = max(xm, abs(x[i]))
    for j in range(out.size):
        out[j] = 0.0
    if xm == 0.0:
        return
    for i in range(x.size):
        xi = _quantize(x[i] / xm, dac)
        if xi == 0.0:
            continue
        if transposed:
            for j in range(out.size):
                out[j] += (W[j, i] + Wn[j, i]) * xi
        else:
            for j in range(out.size):
                out[j] += (W[i, j] + Wn[i, j]) * xi
    for j in range(out.size):
        y = out[j]
        if read_noise > 0.0:
            y += read_noise * rng.normal(key, _line(t, layer, tile, j))
        if bound > 0.0:
            y = min(max(y, -bound), bound)
            if adc > 0.0:
                y = _quantize(y / bound, adc) * bound
        out[j] = y * xm


# ----------------------------------------------------------------------------- devices


@njit(**_EXACT_JIT)
def _pulses(w, n, up, step, hi, lo, dev, key_pulse, base):
    """`w` after `n` pulses up or down of a device whose step in that direction is `step` and whose
    bounds are ``hi`` and ``-lo`` (module docstring); `dev` a `Device`."""
    slope, c2c = dev.slope, dev.c2c
    for k in range(n):
        z = rng.normal(key_pulse, base + np.uint64(k)) if c2c != 0.0 else 0.0
        if up:
            w += step * (1.0 - slope * w / hi) * (1.0 + c2c * z)
        else:
            w -= step * (1.0 + slope * w / lo) * (1.0 + c2c * z)
        w = min(max(w, -lo), hi)
    return w


@njit(**_EXACT_JIT)
def _device_response(steps, dev, up_pulses, key_pulse, key_write):
    """Weights as read after each of `up_pulses` up pulses from the lower bound, then as many down
    pulses, for devices with steps and bounds `steps` (4, devices): pulse k of device m has counter
    ``m (2 up_pulses) + k``."""
    n = 2 * up_pulses
    out = np.empty((steps.shape[1], n + 1))
    wn_std = dev.write_noise * dev.dw_min
    for m in range(steps.shape[1]):
        w = -steps[3, m]
        out[m, 0] = w
        for k in range(n):
            base = np.uint64(m) * np.uint64(n) + np.uint64(k)
            up = k < up_pulses
            w = _pulses(w, 1, up, steps[0, m] if up else steps[1, m], steps[2, m], steps[3, m], dev, key_pulse, base)
            noise = wn_std * rng.normal(key_write, base) if wn_std > 0.0 else 0.0
            out[m, k + 1] = w + noise
    return out


def device_response(
    steps: np.ndarray,
    dev: Device | Mapping[str, float] | Sequence[float],
    up_pulses: int,
    key_pulse: int = 0,
    key_write: int = 0,
) -> np.ndarray:
    """The update curve of devices as training pulses them (`_pulses`, the kernel's own device
    model): row m holds the weight a read sees (stored weight plus write noise, redrawn at each
    pulse) after k pulses, up from the device's lower bound for `up_pulses` pulses, then down as
    many, for a device whose up and down steps are ``steps[0, m]`` and ``steps[1, m]`` and whose
    bounds are ``steps[2, m]`` and ``-steps[3, m]`` (rows 2 and 3 left out: bounds +-1; a column
    of 2 or 4 scalars: one device). `dev` a `Device` (or its `DEVICE_FIELDS` in order); the keys are
    `kernels.rng` stream
    keys (uint64) for the cycle-to-cycle draws and the write noise."""
    steps = np.asarray(steps, dtype=np.float64)
    steps = steps.reshape(-1, 1) if steps.shape in ((2,), (4,)) else steps
    if steps.ndim == 2 and steps.shape[0] == 2:
        steps = np.vstack([steps, np.ones_like(steps)])
    steps = np.ascontiguousarray(steps)
    dev = as_record("dev", dev)
    if (
        steps.ndim != 2
        or steps.shape[0] != 4
        or steps.shape[1] == 0
        or not np.all(np.isfinite(steps))
        or np.any(steps <= 0.0)
    ):
        raise ValueError(
            f"steps must hold positive (up, down[, upper bound, lower bound magnitude]) values, shape "
            f"(2 or 4, devices); got shape {steps.shape}"
        )
    if isinstance(up_pulses, bool) or not isinstance(up_pulses, (int, np.integer)) or not 1 <= up_pulses <= 10**6:
        raise ValueError(f"up_pulses must be an integer in [1, 1e6], got {up_pulses!r}")
    return _device_response(steps, dev, np.int64(up_pulses), np.uint64(key_pulse), np.uint64(key_write))


@njit(**_EXACT_JIT)
def _pulse_update(T, x, d, lr, dev, bl, keys, t, layer, tile, work):
    """``W -= lr x d^T`` on the `Tile` `T` by stochastic pulse trains (module docstring), the trains'
    bit words in `work`; returns the pulse count."""
    W, Wn, Dw = T.w, T.noise, T.steps
    row_words, col_words = work.row_words, work.col_words
    xm, dm = 0.0, 0.0
    for i in range(x.size):
        xm = max(xm, abs(x[i]))
    for j in range(d.size):
        dm = max(dm, abs(d[j]))
    if xm == 0.0 or dm == 0.0:
        return 0
    scale = lr / (bl * dev.dw_min)
    cx = np.sqrt(scale * dm / xm)
    cd = np.sqrt(scale * xm / dm)
    for i in range(x.size):
        row_words[i] = _train_word(keys[K_ROW], _line(t, layer, tile, i), cx * abs(x[i]), bl)
    for j in range(d.size):
        col_words[j] = _train_word(keys[K_COL], _line(t, layer, tile, j), cd * abs(d[j]), bl)
    total = 0
    wn_std = dev.write_noise * dev.dw_min
    for i in range(x.size):
        if row_words[i] == 0:
            continue
        for j in range(d.size):
            n = np.int64(_popcount(row_words[i] & col_words[j]))
            if n == 0:
                continue
            up = (x[i] > 0.0) != (d[j] > 0.0)
            base = _cell(t, layer, tile, i, j)
            W[i, j] = _pulses(
                W[i, j], n, up, Dw[0, i, j] if up else Dw[1, i, j], Dw[2, i, j], Dw[3, i, j], dev, keys[K_PULSE], base
            )
            if wn_std > 0.0:
                Wn[i, j] = wn_std * rng.normal(keys[K_WRITE], base)
            total += n
    return total


@njit(**_EXACT_JIT)
def _pulse_row(T, k, counts, dev, keys, t, layer):
    """Send row k of the `Tile` `T` (a layer's C) its `counts` (signed, at most
    `MAX_TRANSFER_PULSES` in size: the wrappers bound ``max_steps``) pulses; returns the pulse count."""
    W, Wn, Dw = T.w, T.noise, T.steps
    total = 0
    wn_std = dev.write_noise * dev.dw_min
    for j in range(counts.size):
        n = counts[j]
        if n == 0:
            continue
        m = abs(n)
        base = _cell(t, layer, 1, k, j)
        W[k, j] = _pulses(
            W[k, j], m, n > 0, Dw[0, k, j] if n > 0 else Dw[1, k, j], Dw[2, k, j], Dw[3, k, j], dev, keys[K_PULSE], base
        )
        if wn_std > 0.0:
            Wn[k, j] = wn_std * rng.normal(keys[K_WRITE], base)
        total += m
    return total


@njit(**_EXACT_INLINE_JIT)
def _transfer_due(state, every):
    """Count one more sample toward the next transfer (``state[2]``); True, with the count reset,
    when `every` samples have passed since the last."""
    state[2] += 1
    if state[2] < every:
        return False
    state[2] = 0
    return True


@njit(**_EXACT_INLINE_JIT)
def _agad_period(chop_p):
    """Reads of a row per AGAD chopper period: ``max(ceil(1 / chopper_p), 2)``, 2 when `chop_p` is 0
    (aihwkit's ``getNumInChopSamples``)."""
    if chop_p <= 0.0:
        return np.int64(2)
    return max(np.int64(np.ceil(1.0 / chop_p)), np.int64(2))


@njit(**_EXACT_JIT)
def _transfer(L, state, layer, algo, dev, io, alg, keys, t, work):
    """One transfer of the next row k of the fast tile A of `Layer` `L` (``state[layer]``, advanced
    here; ``state[3 + layer]`` counts completed passes over the rows) into its weight tile C (module
    docstring): TTv1's pulse-train update ``C[k] += lr_h A[k]``, or the TTv2 variants' buffer H and
    its pulses, with the choppers' flips. `work` holds the `Work` buffers. Returns (pulses, pulses
    held back by ``max_steps``)."""
    H, R, P, S, chop = L.H, L.R, L.P, L.S, L.chop
    onehot, read, counts = work.onehot, work.read, work.counts
    rows, m = L.A.w.shape
    k = state[layer]
    state[layer] = (k + 1) % rows
    passes = state[3 + layer]
    if k == rows - 1:
        state[3 + layer] += 1
    lr_h, chop_p, bl = alg.lr_h, alg.chopper_p, np.int64(alg.bl)
    momentum, forget, max_steps, tail = alg.momentum, alg.forget_buffer != 0.0, alg.max_steps, alg.tail_weightening
    onehot[:] = 0.0
    onehot[k] = 1.0
    _read(L.A.w, L.A.noise, onehot[:rows], read[:m], False, io, keys[K_XFER], t, layer, 0)
    if algo == TTV1:
        for j in range(m):
            read[j] = -read[j]
        return _pulse_update(L.C, onehot[:rows], read[:m], lr_h, dev, bl, keys, t, layer, 1, work), 0.0
    period = _agad_period(chop_p)
    switched = algo == AGAD and passes > 0 and passes % period == 0  # flipped after its last read
    tail_m = min(tail / period, 1.0)
    capped = 0.0
    for j in range(m):
        if algo == AGAD:
            if switched:
                P[k, j] = S[k, j]
            ref = P[k, j]
        else:
            ref = R[k, j]
        h = H[k, j] + lr_h * chop[k] * (read[j] - ref) / dev.dw_min
        n = 0.0
        if abs(h) >= 1.0:
            whole = np.trunc(h)
            n = min(max(whole, -max_steps), max_steps)
            capped += abs(whole) - abs(n)
            h = h * momentum if forget else h - (1.0 - momentum) * n
        H[k, j] = h
        counts[j] = np.int64(n)
        if algo == AGAD:
            S[k, j] = S[k, j] * (1.0 - tail_m) + read[j] * tail_m
    if algo == AGAD and passes <= period:  # aihwkit writes C only after the first period
        capped = 0.0
        for j in range(m):
            counts[j] = 0
    pulses = _pulse_row(L.C, k, counts[:m], dev, keys, t, layer)
    if algo >= CTTV2:
        S[k, m] += 1.0  # reads of row k since its last flip (last column of S)
        if algo == CTTV2:
            flip = rng.uniform(keys[K_CHOP], _line(t, layer, 0, k)) < chop_p
        else:
            flip = passes % period + 1 == period
        if flip:
            chop[k] = -chop[k]
            S[k, m] = 0.0
    return pulses, capped


# ----------------------------------------------------------------------------- network


@njit(**_EXACT_JIT)
def _forward(x, C0, C1, scales, io, key, t, a0, z1, a1, z2, p):
    """Logits into z2 and softmax into p through the weight `Tile`s C0 and C1; returns nothing
    (buffers hold the activations)."""
    n_in = x.size
    for i in range(n_in):
        a0[i] = x[i]
    a0[n_in] = 1.0
    _read(C0.w, C0.noise, a0, z1, False, io, key, t, 0, 0)
    nh = z1.size
    for j in range(nh):
        z1[j] *= scales[0]
        a1[j] = max(z1[j], 0.0)
    a1[nh] = 1.0
    _read(C1.w, C1.noise, a1, z2, False, io, key, t, 1, 0)
    zmax = -np.inf
    for j in range(z2.size):
        z2[j] *= scales[1]
        zmax = max(zmax, z2[j])
    total = 0.0
    for j in range(z2.size):
        p[j] = np.exp(z2[j] - zmax)
        total += p[j]
    for j in range(z2.size):
        p[j] /= total


@njit(**_EXACT_JIT)
def _train_samples(X, labels, order, t0, algo, net, dev, io, alg, keys):
    """Train the `Network` `net` on samples ``X[order]`` (global sample numbers from t0): per layer,
    C/A tiles with write-noise offsets and device steps, H buffers, R references, P AGAD references
    with S their running means (last column: reads since the last flip), chopper signs; the
    counters (int64 `N_COUNTERS`) updated in place. `dev`, `io`, `alg`: the `Device`, `ReadOut`
    and `Algorithm` records.

    Returns float64 `RESULT_FIELDS`."""
    L0, L1, scales, state = net.layer0, net.layer1, net.scales, net.counters
    C0, C1, A0, A1 = L0.C, L1.C, L0.A, L1.A
    chop0, chop1 = L0.chop, L1.chop
    n_in, nh, n_out = X.shape[1], C0.w.shape[1], C1.w.shape[1]
    a0, z1, a1 = np.empty(n_in + 1), np.empty(nh), np.empty(nh + 1)
    z2, p, d2 = np.empty(n_out), np.empty(n_out), np.empty(n_out)
    dh_full, dh = np.empty(nh + 1), np.empty(nh)
    work = Work(
        np.zeros(max(n_in + 1, nh + 1)),
        np.empty(max(nh, n_out)),
        np.empty(max(nh, n_out), dtype=np.int64),
        np.empty(max(n_in + 1, nh + 1), dtype=np.uint64),
        np.empty(max(nh, n_out, n_in + 1), dtype=np.uint64),
    )
    lr, every, bl = alg.lr, np.int64(alg.transfer_every), np.int64(alg.bl)
    loss, correct, pulses, transfers, capped = 0.0, 0.0, 0.0, 0.0, 0.0
    analog = algo != FLOAT
    tt = algo >= TTV1
    for s in range(order.size):
        t = t0 + s
        x = X[order[s]]
        y = labels[order[s]]
        _forward(x, C0, C1, scales, io, keys[K_FWD], t, a0, z1, a1, z2, p)
        loss -= np.log(max(p[y], 1e-300))
        best = 0
        for j in range(n_out):
            if p[j] > p[best]:
                best = j
        correct += best == y
        for j in range(n_out):
            d2[j] = p[j] - (1.0 if j == y else 0.0)
        # backward through the transposed weight tile of layer 1 (C holds the weights in every algorithm)
        _read(C1.w, C1.noise, d2, dh_full, True, io, keys[K_BWD], t, 1, 0)
        for j in range(nh):
            dh[j] = dh_full[j] * scales[1] if z1[j] > 0.0 else 0.0
        if not analog:
            W0, W1 = C0.w, C1.w
            for i in range(n_in + 1):
                for j in range(nh):
                    W0[i, j] -= lr / scales[0] * a0[i] * dh[j]
            for i in range(nh + 1):
                for j in range(n_out):
                    W1[i, j] -= lr / scales[1] * a1[i] * d2[j]
            continue
        if not tt:
            pulses += _pulse_update(C0, a0, dh, lr / scales[0], dev, bl, keys, t, 0, 1, work)
            pulses += _pulse_update(C1, a1, d2, lr / scales[1], dev, bl, keys, t, 1, 1, work)
            continue
        if algo >= CTTV2:  # chopped input rows into A
            for i in range(n_in + 1):
                a0[i] *= chop0[i]
            for i in range(nh + 1):
                a1[i] *= chop1[i]
        pulses += _pulse_update(A0, a0, dh, lr / scales[0], dev, bl, keys, t, 0, 0, work)
        pulses += _pulse_update(A1, a1, d2, lr / scales[1], dev, bl, keys, t, 1, 0, work)
        if not _transfer_due(state, every):
            continue
        transfers += 1
        p0, c0 = _transfer(L0, state, 0, algo, dev, io, alg, keys, t, work)
        p1, c1 = _transfer(L1, state, 1, algo, dev, io, alg, keys, t, work)
        pulses += p0 + p1
        capped += c0 + c1
    return np.array([loss, correct, pulses, transfers, capped])


@njit(**_EXACT_JIT)
def _evaluate(X, labels, C0, C1, scales, io, key, t):
    """[sum of losses, correct predictions] over the rows of X through the weight `Tile`s C0 and C1
    (read-out noise of counter `t`)."""
    n_in, nh, n_out = X.shape[1], C0.w.shape[1], C1.w.shape[1]
    a0, z1, a1 = np.empty(n_in + 1), np.empty(nh), np.empty(nh + 1)
    z2, p = np.empty(n_out), np.empty(n_out)
    loss, correct = 0.0, 0.0
    for s in range(X.shape[0]):
        _forward(X[s], C0, C1, scales, io, key, t + s, a0, z1, a1, z2, p)
        loss -= np.log(max(p[labels[s]], 1e-300))
        best = 0
        for j in range(n_out):
            if p[j] > p[best]:
                best = j
        correct += best == labels[s]
    return np.array([loss, correct])


# ----------------------------------------------------------------------------- one linear tile


@njit(**_EXACT_JIT)
def _train_linear(X, Y, order, t0, algo, L, state, dev, io, alg, keys):
    """Train one tile as the linear map ``y = W^T x`` (the correlation task of physics reference
    section 6) on the samples ``X[order]`` with targets ``Y[order]``: the output is read through the
    read-out, the error ``d = y - target`` is formed digitally (loss ``|d|^2 / 2``), and the update
    ``-lr x d^T`` goes to the tile as `_train_samples` sends it to a layer (layer 0; no bias row, no
    digital scale), with the same transfers. `L` the tile's `Layer`; `state` int64 `N_COUNTERS` (layer
    0's entries) updated in place; `dev`, `io`, `alg` as for `_train_samples`. Returns float64
    `RESULT_FIELDS` (correct predictions 0)."""
    C, chop = L.C, L.chop
    n_in, n_out = C.w.shape
    y, d, xc = np.empty(n_out), np.empty(n_out), np.empty(n_in)
    work = Work(
        np.zeros(n_in),
        np.empty(n_out),
        np.empty(n_out, dtype=np.int64),
        np.empty(n_in, dtype=np.uint64),
        np.empty(n_out, dtype=np.uint64),
    )
    lr, every, bl = alg.lr, np.int64(alg.transfer_every), np.int64(alg.bl)
    loss, pulses, transfers, capped = 0.0, 0.0, 0.0, 0.0
    for s in range(order.size):
        t = t0 + s
        x = X[order[s]]
        _read(C.w, C.noise, x, y, False, io, keys[K_FWD], t, 0, 0)
        for j in range(n_out):
            d[j] = y[j] - Y[order[s], j]
            loss += 0.5 * d[j] * d[j]
        if algo == FLOAT:
            W = C.w
            for i in range(n_in):
                for j in range(n_out):
                    W[i, j] -= lr * x[i] * d[j]
            continue
        if algo == SGD:
            pulses += _pulse_update(C, x, d, lr, dev, bl, keys, t, 0, 1, work)
            continue
        for i in range(n_in):
            xc[i] = x[i] * chop[i] if algo >= CTTV2 else x[i]
        pulses += _pulse_update(L.A, xc, d, lr, dev, bl, keys, t, 0, 0, work)
        if not _transfer_due(state, every):
            continue
        transfers += 1
        p, c = _transfer(L, state, 0, algo, dev, io, alg, keys, t, work)
        pulses += p
        capped += c
    return np.array([loss, 0.0, pulses, transfers, capped])


@njit(**_EXACT_JIT)
def _evaluate_linear(X, Y, C, io, key, t):
    """Sum over the rows of X of ``|y - Y|^2 / 2``, y read from the `Tile` C through the read-out."""
    y = np.empty(C.w.shape[1])
    loss = 0.0
    for s in range(X.shape[0]):
        _read(C.w, C.noise, X[s], y, False, io, key, t + s, 0, 0)
        for j in range(y.size):
            loss += 0.5 * (y[j] - Y[s, j]) ** 2
    return loss


# ----------------------------------------------------------------------------- state and wrappers


class TileState:
    """The arrays one training run mutates: for layer l, the weight tile ``C[l]`` and the fast tile
    ``A[l]`` (weights within their devices' bounds), their write-noise offsets ``Cn[l]``, ``An[l]``, the
    devices' own up and down steps and bounds ``D[l]`` (C) and ``E[l]`` (A), each (4, rows, cols):
    up step, down step, upper bound, magnitude of the lower bound, all positive, the TTv2 buffer ``H[l]``,
    the reference ``R[l]``, the AGAD reference ``P[l]`` with its running means ``S[l]`` (one more
    column: the reads since the last flip), the chopper signs ``chop[l]``, and ``counters``
    (`N_COUNTERS`)."""

    NAMES = ("C", "Cn", "D", "A", "An", "E", "H", "R", "P", "S", "chop")

    def __init__(self, **arrays: Sequence[ArrayLike]) -> None:
        for name in self.NAMES:
            setattr(self, name, [np.array(a, dtype=np.float64) for a in arrays[name]])  # own copies
        self.counters = np.zeros(N_COUNTERS, dtype=np.int64)

    def copy(self) -> TileState:
        out = TileState(**{n: [a.copy() for a in getattr(self, n)] for n in self.NAMES})
        out.counters = self.counters.copy()
        return out

    def tile(self, name: Literal["C", "A"], layer: int) -> Tile:
        """Tile "C" or "A" of `layer` as a `Tile` record (views of the state's arrays)."""
        noise, steps = {"C": ("Cn", "D"), "A": ("An", "E")}[name]
        return Tile(getattr(self, name)[layer], getattr(self, noise)[layer], getattr(self, steps)[layer])

    def layer(self, layer: int) -> Layer:
        """The arrays of `layer` as a `Layer` record (views of the state's arrays)."""
        return Layer(
            self.tile("C", layer),
            self.tile("A", layer),
            *(getattr(self, n)[layer] for n in ("H", "R", "P", "S", "chop")),
        )

    def network(self, scales: np.ndarray) -> Network:
        """The two layers, `scales` and the counters as the `Network` record `_train_samples` takes."""
        return Network(self.layer(0), self.layer(1), scales, self.counters)


def make_keys(seed: int) -> np.ndarray:
    """One `kernels.rng` key per purpose of `KEYS` from a training seed (uint64 array)."""
    return np.array([rng.numpy_stream_key(seed, 100 + k) for k in range(len(KEYS))], dtype=np.uint64)


def _check_alg(alg):
    """Raise ValueError naming the field of `ALGO_FIELDS` that is out of range."""
    fields = dict(zip(ALGO_FIELDS, alg))
    if not 1 <= fields["bl"] <= MAX_SLOTS or fields["bl"] != int(fields["bl"]):
        raise ValueError(f"bl must be an integer in [1, {MAX_SLOTS}], got {fields['bl']:g}")
    if not 0.0 <= fields["momentum"] <= 1.0:
        raise ValueError(f"momentum must lie in [0, 1], got {fields['momentum']:g}")
    if fields["forget_buffer"] not in (0.0, 1.0):
        raise ValueError(f"forget_buffer must be 0 or 1, got {fields['forget_buffer']:g}")
    if not 1 <= fields["max_steps"] <= MAX_TRANSFER_PULSES or fields["max_steps"] != int(fields["max_steps"]):
        raise ValueError(f"max_steps must be an integer in [1, {MAX_TRANSFER_PULSES}], got {fields['max_steps']:g}")
    if not fields["tail_weightening"] > 0.0:
        raise ValueError(f"tail_weightening must be positive, got {fields['tail_weightening']:g}")


def _check_state(state):
    """Raise ValueError when the device arrays or the counters of `state` do not fit its tiles."""
    for name, tiles in (("D", state.C), ("E", state.A)):
        for layer, (steps, tile) in enumerate(zip(getattr(state, name), tiles)):
            if steps.shape != (4, *tile.shape) or not np.all(steps > 0.0):
                raise ValueError(
                    f"state.{name}[{layer}] must hold positive up and down steps, upper bounds and "
                    f"lower-bound magnitudes, shape {(4, *tile.shape)}; got shape {steps.shape}"
                )
    if state.counters.shape != (N_COUNTERS,):
        raise ValueError(f"state.counters must hold {N_COUNTERS} integers, got shape {state.counters.shape}")


def _check_run(X, labels, order, algorithm, scales, dev, io, alg):
    X = np.ascontiguousarray(X, dtype=np.float64)
    labels = np.ascontiguousarray(labels, dtype=np.int64)
    order = np.ascontiguousarray(order, dtype=np.int64)
    if X.ndim != 2 or labels.shape != (X.shape[0],):
        raise ValueError(f"X must be (n, n_in) with one label each; got X {X.shape}, labels {labels.shape}")
    if order.size and (order.min() < 0 or order.max() >= X.shape[0]):
        raise ValueError(f"order must index the rows of X (0 to {X.shape[0] - 1})")
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {list(ALGORITHMS)}, got {algorithm!r}")
    scales = np.ascontiguousarray(scales, dtype=np.float64)
    if scales.shape != (2,) or not np.all(np.isfinite(scales)):
        raise ValueError("scales must hold 2 finite values")
    return (
        X,
        labels,
        order,
        ALGORITHMS.index(algorithm),
        scales,
        as_record("dev", dev),
        as_record("io", io),
        as_record("alg", alg),
    )


def _check_training(state, alg):
    _check_alg(alg)
    _check_state(state)


def train_samples(
    state: TileState,
    X: np.ndarray,
    labels: np.ndarray,
    order: np.ndarray,
    t0: int,
    algorithm: Literal["float SGD", "analog SGD", "TTv1", "TTv2", "c-TTv2", "AGAD"],
    scales: ArrayLike,
    dev: Device | Mapping[str, float] | Sequence[float],
    io: ReadOut | Mapping[str, float] | Sequence[float],
    alg: Algorithm | Mapping[str, float] | Sequence[float],
    keys: np.ndarray,
) -> np.ndarray:
    """Train `state` (a `TileState`, changed in place) on the samples ``X[order]`` numbered from
    `t0`; `scales` the two layers' digital scales, `dev` a `Device`, `io` a `ReadOut`, `alg` an
    `Algorithm` (each record, or its fields in order: `as_record`), `keys` from `make_keys`. Returns
    `RESULT_FIELDS`."""
    X, labels, order, algo, scales, dev, io, alg = _check_run(X, labels, order, algorithm, scales, dev, io, alg)
    _check_training(state, alg)
    return _train_samples(X, labels, order, np.int64(t0), algo, state.network(scales), dev, io, alg, keys)


def evaluate(
    state: TileState,
    X: np.ndarray,
    labels: np.ndarray,
    scales: ArrayLike,
    io: ReadOut | Mapping[str, float] | Sequence[float],
    keys: np.ndarray,
    t: int,
) -> np.ndarray:
    """[sum of losses, correct predictions] of the network of `state` on ``X`` through the read-out
    (evaluation key, counters from `t`)."""
    X, labels, _, _, scales, _, io, _ = _check_run(
        X, labels, np.zeros(0), ALGORITHMS[0], scales, np.zeros(len(DEVICE_FIELDS)), io, np.zeros(len(ALGO_FIELDS))
    )
    return _evaluate(X, labels, state.tile("C", 0), state.tile("C", 1), scales, io, keys[K_EVAL], np.int64(t))


def _check_linear(state, X, Y, order, algorithm, dev, io, alg):
    if len(state.C) != 1:
        raise ValueError(f"state must hold one tile (one layer) for the linear task, got {len(state.C)}")
    rows, cols = state.C[0].shape
    X = np.ascontiguousarray(X, dtype=np.float64)
    Y = np.ascontiguousarray(Y, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != rows or Y.shape != (X.shape[0], cols):
        raise ValueError(
            f"X must be (n, {rows}) and Y (n, {cols}) for a {rows} x {cols} tile; got X {X.shape}, Y {Y.shape}"
        )
    X, _, order, algo, _, dev, io, alg = _check_run(X, np.zeros(X.shape[0]), order, algorithm, np.ones(2), dev, io, alg)
    return X, Y, order, algo, dev, io, alg


def train_linear(
    state: TileState,
    X: np.ndarray,
    Y: np.ndarray,
    order: np.ndarray,
    t0: int,
    algorithm: Literal["float SGD", "analog SGD", "TTv1", "TTv2", "c-TTv2", "AGAD"],
    dev: Device | Mapping[str, float] | Sequence[float],
    io: ReadOut | Mapping[str, float] | Sequence[float],
    alg: Algorithm | Mapping[str, float] | Sequence[float],
    keys: np.ndarray,
) -> np.ndarray:
    """Train the one tile of `state` (a one-layer `TileState`, changed in place) as the linear map
    ``y = W^T x`` on the samples ``X[order]`` with targets ``Y[order]`` numbered from `t0`
    (`_train_linear`); `dev`, `io`, `alg`, `keys` as for `train_samples`. Returns `RESULT_FIELDS`
    (losses ``|y - target|^2 / 2``, correct 0)."""
    X, Y, order, algo, dev, io, alg = _check_linear(state, X, Y, order, algorithm, dev, io, alg)
    _check_training(state, alg)
    return _train_linear(X, Y, order, np.int64(t0), algo, state.layer(0), state.counters, dev, io, alg, keys)


def evaluate_linear(
    state: TileState,
    X: np.ndarray,
    Y: np.ndarray,
    io: ReadOut | Mapping[str, float] | Sequence[float],
    keys: np.ndarray,
    t: int,
) -> float:
    """Sum over the rows of X of ``|y - Y|^2 / 2``, y read from the one tile of `state` through the
    read-out (evaluation key, counters from `t`)."""
    X, Y, _, _, _, io, _ = _check_linear(
        state, X, Y, np.zeros(0), ALGORITHMS[0], np.zeros(len(DEVICE_FIELDS)), io, np.zeros(len(ALGO_FIELDS))
    )
    return _evaluate_linear(X, Y, state.tile("C", 0), io, keys[K_EVAL], np.int64(t))


# ----------------------------------------------------------------------------- NumPy twin

_U64 = np.uint64


def _np_line(t, layer, tile, i):
    i = np.asarray(i, dtype=np.uint64)
    return (((_U64(t) * _U64(2) + _U64(layer)) * _U64(2) + _U64(tile)) * _U64(MAX_DIM) + i) * _U64(MAX_SLOTS)


def _np_cell(t, layer, tile, i, j):
    i, j = np.asarray(i, dtype=np.uint64), np.asarray(j, dtype=np.uint64)
    return (
        (((_U64(t) * _U64(2) + _U64(layer)) * _U64(2) + _U64(tile)) * _U64(MAX_DIM) + i) * _U64(MAX_DIM) + j
    ) * _U64(1024)


def _np_normal(key, counters):
    return rng.numpy_normal_quantile(rng.numpy_uniform(key, counters))


def _np_quantize(v, levels):
    return np.floor(v * levels + 0.5) / levels if levels > 0 else v


def _np_read(W, Wn, x, transposed, io, key, t, layer, tile):
    read_noise, dac, adc, bound = io.read_noise, io.dac_levels, io.adc_levels, io.out_bound
    xm = np.abs(x).max(initial=0.0)
    m = W.shape[0] if transposed else W.shape[1]
    if xm == 0.0:
        return np.zeros(m)
    xq = _np_quantize(x / xm, dac)
    y = (W + Wn) @ xq if transposed else xq @ (W + Wn)
    if read_noise > 0.0:
        y = y + read_noise * _np_normal(key, _np_line(t, layer, tile, np.arange(m)))
    if bound > 0.0:
        y = np.clip(y, -bound, bound)
        if adc > 0.0:
            y = _np_quantize(y / bound, adc) * bound
    return y * xm


def _np_pulses(w, n, up, step, hi, lo, dev, key, base):
    """Vectorized `_pulses` over devices (n, up, step, hi, lo, base arrays; `step` each device's
    step in its direction, ``hi`` and ``-lo`` its bounds; `dev` a `Device`)."""
    slope, c2c = dev.slope, dev.c2c
    w = w.copy()
    for k in range(int(n.max(initial=0))):
        act = n > k
        z = _np_normal(key, base[act] + _U64(k)) if c2c != 0.0 else 0.0
        wa, h, lw = w[act], hi[act], lo[act]
        step_up = step[act] * (1.0 - slope * wa / h) * (1.0 + c2c * z)
        step_down = step[act] * (1.0 + slope * wa / lw) * (1.0 + c2c * z)
        w[act] = np.minimum(np.maximum(np.where(up[act], wa + step_up, wa - step_down), -lw), h)
    return w


def _np_words(key, base, p, bl):
    """Bit matrix (lines, bl) of the pulse trains (`outer_update._train_word`; the uniforms lie in
    (0, 1), so p <= 0 never fires and p >= 1 always does)."""
    u = rng.numpy_uniform(key, base[:, None] + np.arange(bl, dtype=np.uint64)[None, :])
    return u < p[:, None]


def _np_pulse_update(W, Wn, Dw, x, d, lr, dev, bl, keys, t, layer, tile):
    xm, dm = np.abs(x).max(initial=0.0), np.abs(d).max(initial=0.0)
    if xm == 0.0 or dm == 0.0:
        return 0
    scale = lr / (bl * dev.dw_min)
    cx, cd = np.sqrt(scale * dm / xm), np.sqrt(scale * xm / dm)
    rows = _np_words(keys[K_ROW], _np_line(t, layer, tile, np.arange(x.size)), cx * np.abs(x), bl)
    cols = _np_words(keys[K_COL], _np_line(t, layer, tile, np.arange(d.size)), cd * np.abs(d), bl)
    n = rows.astype(np.int64) @ cols.T.astype(np.int64)
    i, j = np.nonzero(n)
    if i.size == 0:
        return 0
    base = _np_cell(t, layer, tile, i, j)
    up = (x[i] > 0.0) != (d[j] > 0.0)
    W[i, j] = _np_pulses(
        W[i, j], n[i, j], up, np.where(up, Dw[0, i, j], Dw[1, i, j]), Dw[2, i, j], Dw[3, i, j], dev, keys[K_PULSE], base
    )
    if dev.write_noise > 0.0:
        Wn[i, j] = dev.write_noise * dev.dw_min * _np_normal(keys[K_WRITE], base)
    return int(n.sum())


def numpy_train_samples(
    state: TileState,
    X: np.ndarray,
    labels: np.ndarray,
    order: np.ndarray,
    t0: int,
    algorithm: Literal["float SGD", "analog SGD", "TTv1", "TTv2", "c-TTv2", "AGAD"],
    scales: ArrayLike,
    dev: Device | Mapping[str, float] | Sequence[float],
    io: ReadOut | Mapping[str, float] | Sequence[float],
    alg: Algorithm | Mapping[str, float] | Sequence[float],
    keys: np.ndarray,
) -> np.ndarray:
    """NumPy twin of `train_samples` (same numbers; the tests' reference and the benchmark's baseline)."""
    X, labels, order, algo, scales, dev, io, alg = _check_run(X, labels, order, algorithm, scales, dev, io, alg)
    _check_training(state, alg)
    C, Cn, D, A, An, E, chop = (getattr(state, n) for n in ("C", "Cn", "D", "A", "An", "E", "chop"))
    lr, every, bl = alg.lr, int(alg.transfer_every), int(alg.bl)
    loss = correct = pulses = transfers = capped = 0.0
    for s, idx in enumerate(order):
        t = int(t0) + s
        a0 = np.append(X[idx], 1.0)
        z1 = scales[0] * _np_read(C[0], Cn[0], a0, False, io, keys[K_FWD], t, 0, 0)
        a1 = np.append(np.maximum(z1, 0.0), 1.0)
        z2 = scales[1] * _np_read(C[1], Cn[1], a1, False, io, keys[K_FWD], t, 1, 0)
        p = np.exp(z2 - z2.max())
        p /= p.sum()
        y = labels[idx]
        loss -= np.log(max(p[y], 1e-300))
        correct += float(np.argmax(p) == y)
        d2 = p.copy()
        d2[y] -= 1.0
        dh = _np_read(C[1], Cn[1], d2, True, io, keys[K_BWD], t, 1, 0)[:-1] * scales[1]
        dh = np.where(z1 > 0.0, dh, 0.0)
        if algo == FLOAT:
            C[0] -= lr / scales[0] * np.outer(a0, dh)
            C[1] -= lr / scales[1] * np.outer(a1, d2)
            continue
        if algo == SGD:
            pulses += _np_pulse_update(C[0], Cn[0], D[0], a0, dh, lr / scales[0], dev, bl, keys, t, 0, 1)
            pulses += _np_pulse_update(C[1], Cn[1], D[1], a1, d2, lr / scales[1], dev, bl, keys, t, 1, 1)
            continue
        if algo >= CTTV2:
            a0, a1 = a0 * chop[0], a1 * chop[1]
        pulses += _np_pulse_update(A[0], An[0], E[0], a0, dh, lr / scales[0], dev, bl, keys, t, 0, 0)
        pulses += _np_pulse_update(A[1], An[1], E[1], a1, d2, lr / scales[1], dev, bl, keys, t, 1, 0)
        if not _np_transfer_due(state, every):
            continue
        transfers += 1
        for layer in range(2):
            p, c = _np_transfer(state, layer, algo, dev, io, alg, keys, t)
            pulses += p
            capped += c
    return np.array([loss, correct, pulses, transfers, capped])


def _np_transfer_due(state, every):
    """NumPy twin of `_transfer_due`."""
    state.counters[2] += 1
    if state.counters[2] < every:
        return False
    state.counters[2] = 0
    return True


def _np_transfer(state, layer, algo, dev, io, alg, keys, t):
    """NumPy twin of `_transfer` for the next row of `layer` (advances the row counter)."""
    C, Cn, D, A, An, _, H, R, P, S, chop = (getattr(state, n)[layer] for n in TileState.NAMES)
    lr_h, chop_p, bl = alg.lr_h, alg.chopper_p, int(alg.bl)
    momentum, forget, max_steps, tail = alg.momentum, alg.forget_buffer != 0.0, alg.max_steps, alg.tail_weightening
    k = int(state.counters[layer])
    rows, m = A.shape
    state.counters[layer] = (k + 1) % rows
    passes = int(state.counters[3 + layer])
    if k == rows - 1:
        state.counters[3 + layer] += 1
    onehot = np.zeros(rows)
    onehot[k] = 1.0
    read = _np_read(A, An, onehot, False, io, keys[K_XFER], t, layer, 0)
    if algo == TTV1:
        return _np_pulse_update(C, Cn, D, onehot, -read, lr_h, dev, bl, keys, t, layer, 1), 0.0
    period = 2 if chop_p <= 0.0 else max(int(np.ceil(1.0 / chop_p)), 2)
    if algo == AGAD:
        if passes > 0 and passes % period == 0:
            P[k] = S[k, :m]
        ref = P[k]
    else:
        ref = R[k]
    h = H[k] + lr_h * chop[k] * (read - ref) / dev.dw_min
    over = np.abs(h) >= 1.0
    whole = np.where(over, np.trunc(h), 0.0)
    n = np.clip(whole, -max_steps, max_steps)
    capped = float(np.sum(np.abs(whole) - np.abs(n)))
    H[k] = np.where(over, h * momentum if forget else h - (1.0 - momentum) * n, h)
    counts = n.astype(np.int64)
    if algo == AGAD:
        tail_m = min(tail / period, 1.0)
        S[k, :m] = S[k, :m] * (1.0 - tail_m) + read * tail_m
        if passes <= period:
            counts[:] = 0
            capped = 0.0
    pulses = 0
    j = np.nonzero(counts)[0]
    if j.size:
        up = counts[j] > 0
        base = _np_cell(t, layer, 1, np.full(j.size, k), j)
        C[k, j] = _np_pulses(
            C[k, j],
            np.abs(counts[j]),
            up,
            np.where(up, D[0, k, j], D[1, k, j]),
            D[2, k, j],
            D[3, k, j],
            dev,
            keys[K_PULSE],
            base,
        )
        if dev.write_noise > 0.0:
            Cn[k, j] = dev.write_noise * dev.dw_min * _np_normal(keys[K_WRITE], base)
        pulses += int(np.abs(counts[j]).sum())
    if algo >= CTTV2:
        S[k, m] += 1.0
        if algo == CTTV2:
            flip = rng.numpy_uniform(keys[K_CHOP], _np_line(t, layer, 0, np.array([k])))[0] < chop_p
        else:
            flip = passes % period + 1 == period
        if flip:
            chop[k] = -chop[k]
            S[k, m] = 0.0
    return pulses, capped


def numpy_train_linear(
    state: TileState,
    X: np.ndarray,
    Y: np.ndarray,
    order: np.ndarray,
    t0: int,
    algorithm: Literal["float SGD", "analog SGD", "TTv1", "TTv2", "c-TTv2", "AGAD"],
    dev: Device | Mapping[str, float] | Sequence[float],
    io: ReadOut | Mapping[str, float] | Sequence[float],
    alg: Algorithm | Mapping[str, float] | Sequence[float],
    keys: np.ndarray,
) -> np.ndarray:
    """NumPy twin of `train_linear` (same numbers; the tests' reference)."""
    X, Y, order, algo, dev, io, alg = _check_linear(state, X, Y, order, algorithm, dev, io, alg)
    _check_training(state, alg)
    C, Cn, D, A, An, E, chop = (getattr(state, n)[0] for n in ("C", "Cn", "D", "A", "An", "E", "chop"))
    lr, every, bl = alg.lr, int(alg.transfer_every), int(alg.bl)
    loss = pulses = transfers = capped = 0.0
    for s, idx in enumerate(order):
        t = int(t0) + s
        x = X[idx]
        d = _np_read(C, Cn, x, False, io, keys[K_FWD], t, 0, 0) - Y[idx]
        loss += 0.5 * float(np.sum(d * d))
        if algo == FLOAT:
            C -= lr * np.outer(x, d)
            continue
        if algo == SGD:
            pulses += _np_pulse_update(C, Cn, D, x, d, lr, dev, bl, keys, t, 0, 1)
            continue
        xc = x * chop if algo >= CTTV2 else x
        pulses += _np_pulse_update(A, An, E, xc, d, lr, dev, bl, keys, t, 0, 0)
        if not _np_transfer_due(state, every):
            continue
        transfers += 1
        p, c = _np_transfer(state, 0, algo, dev, io, alg, keys, t)
        pulses += p
        capped += c
    return np.array([loss, 0.0, pulses, transfers, capped])
