"""On-chip training modelled in Python: a soft-bounds tile updated by stochastic pulse trains,
and the small correlation task of physics reference section 6 trained by floating-point SGD, by
in-memory SGD on such a tile and by Tiki-Taka (v1, v2, chopped v2, AGAD) on two of them.

`SoftBoundsTile` holds weights in [-1, 1] (aihwkit's ``SoftBoundsDevice`` convention, physics
reference section 5): an up pulse moves a weight by ``dw_min (1 + a)(1 - w)``, a down pulse by
``dw_min (1 - a)(1 + w)`` (times ``1 + c2c xi``), with ``dw_min = 2 / n_states`` spread from device
to device by `d2d`. The two steps are equal at the symmetry point ``w = a``: pulses in random
directions drift a weight there, which is why plain in-memory SGD on asymmetric devices settles
with a bias toward it (Gokmen and Haensch, Front. Neurosci. 14, 103, 2020). The weights are kept as
conductance-like values ``g = w + 1`` in [0, 2] so that the pulse kernels of `kernels.outer_update`
(coincidences of row and column trains, then the soft-bounds pulse response) apply unchanged.

An update ``W -= lr x d^T`` is applied as arrays do it (Gokmen and Vlasov, Front. Neurosci. 10,
333, 2016): row i fires each of `bl` slots with probability ``c_x |x_i|``, column j with ``c_d
|d_j|``, ``c_x c_d = lr / (bl dw_min)`` balanced so the largest probabilities are equal (aihwkit's
update management); the expected change of a weight far from its bounds is ``-lr x_i d_j``.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import param
from numpy.typing import ArrayLike

from kernels import outer_update, rng
from kernels.validate import check_seed, positive_int, scalar_in_range

ALGORITHMS = ("float SGD", "analog SGD", "TTv1", "TTv2", "c-TTv2", "AGAD")
"""The training algorithms: floating-point SGD (the reference), in-memory SGD, Tiki-Taka v1, v2,
chopped v2 and AGAD (`TikiTaka`)."""


class SoftBoundsTile:
    """A ``(rows, cols)`` tile of soft-bounds devices holding weights in [-1, 1] (module docstring).

    `n_states` (>= 2), `asymmetry` a in (-1, 1) (the symmetry point), `d2d` and `c2c` spreads (>= 0),
    `bl` slots per pulse train (1 to 64), `seed` for the device-to-device draws and every update.
    """

    def __init__(
        self,
        rows: int,
        cols: int,
        *,
        n_states: int = 1200,
        asymmetry: float = 0.0,
        d2d: float = 0.3,
        c2c: float = 0.3,
        bl: int = 31,
        seed: int = 0,
    ) -> None:
        self.rows = positive_int(rows, "rows", 1, 4096)
        self.cols = positive_int(cols, "cols", 1, 4096)
        self.n_states = positive_int(n_states, "n_states", 2, 10**6)
        a = scalar_in_range(asymmetry, -1.0, 1.0, "asymmetry")
        if abs(a) >= 1.0:
            raise ValueError(
                f"asymmetry must lie strictly inside (-1, 1): it is the symmetry point, which must "
                f"lie inside the weight range [-1, 1]; got {a:g}"
            )
        self.asymmetry = a
        self.d2d = scalar_in_range(d2d, 0.0, 5.0, "d2d")
        self.c2c = scalar_in_range(c2c, 0.0, 5.0, "c2c")
        self.bl = positive_int(bl, "bl", 1, outer_update.MAX_SLOTS)
        self.seed = check_seed(seed)
        self.dw_min = 2.0 / self.n_states
        z = rng.numpy_normal(rng.derive_seed(self.seed, "training", 1), rng.STREAM_DEVICE, self.rows * self.cols)
        self.device_dw = self.dw_min * np.maximum(1.0 + self.d2d * z, 0.05).reshape(self.rows, self.cols)
        """Each device's dw_min (weight units): the nominal one spread by `d2d` (kept above 5 % of it)."""
        self.g = np.ones((self.rows, self.cols))  # w = 0
        self.updates = 0
        self.pulses = 0

    @property
    def symmetry_point(self) -> float:
        """The weight at which up and down steps are equal: ``a`` (module docstring)."""
        return self.asymmetry

    @property
    def weights(self) -> np.ndarray:
        """The weights ``(rows, cols)`` in [-1, 1]."""
        return self.g - 1.0

    def set_weights(self, w: ArrayLike) -> None:
        """Set the weights (clipped to [-1, 1]), as a perfect programming would."""
        w = np.asarray(w, dtype=np.float64)
        if w.shape != (self.rows, self.cols):
            raise ValueError(f"w must have shape {(self.rows, self.cols)}, got {w.shape}")
        self.g = np.clip(w, -1.0, 1.0) + 1.0

    def pulse(self, n_up: np.ndarray, n_down: np.ndarray) -> int:
        """Send each device its `n_up` up pulses, then its `n_down` down pulses (int arrays of the
        tile's shape; the soft-bounds response with its spreads)."""
        seed = rng.derive_seed(self.seed, "training", (2 + self.updates) % 2**32)
        self.g = outer_update.apply_counts(
            self.g,
            np.asarray(n_up, dtype=np.int64),
            np.asarray(n_down, dtype=np.int64),
            g_min=0.0,
            g_max=2.0,
            dg_up=2.0 * self.device_dw * (1.0 + self.asymmetry),
            dg_down=2.0 * self.device_dw * (1.0 - self.asymmetry),
            c2c=self.c2c,
            seed=seed,
        )
        self.updates += 1
        n = int(np.sum(n_up) + np.sum(n_down))
        self.pulses += n
        return n

    def update(self, x: np.ndarray, d: np.ndarray, lr: float) -> int:
        """Apply ``W -= lr x d^T`` for one sample (`x` ``(rows,)``, `d` ``(cols,)``) by stochastic pulse
        trains; returns the number of pulses applied."""
        lr = scalar_in_range(lr, 0.0, 1e3, "lr")
        if lr <= 0.0:
            raise ValueError(f"lr must be > 0, got {lr:g}")
        x = np.asarray(x, dtype=np.float64).ravel()
        d = np.asarray(d, dtype=np.float64).ravel()
        if x.size != self.rows or d.size != self.cols or not (np.all(np.isfinite(x)) and np.all(np.isfinite(d))):
            raise ValueError(
                f"x must hold {self.rows} and d {self.cols} finite values (the tile's rows and "
                f"columns), got {x.size} and {d.size}"
            )
        x_max, d_max = float(np.abs(x).max(initial=0.0)), float(np.abs(d).max(initial=0.0))
        if x_max == 0.0 or d_max == 0.0:
            return 0
        scale = lr / (self.bl * self.dw_min)
        c_x = np.sqrt(scale * d_max / x_max)
        c_d = np.sqrt(scale * x_max / d_max)
        p = np.minimum(np.abs(x) * c_x, 1.0)[None]
        q = np.minimum(np.abs(d) * c_d, 1.0)[None]
        seed = rng.derive_seed(self.seed, "training", (2 + self.updates) % 2**32)  # `pulse` draws this one too
        n_up, n_down = outer_update.coincidences(
            p,
            np.sign(x)[None].astype(np.int8),
            q,
            q,
            (-np.sign(d))[None].astype(np.int8),
            np.array([self.bl]),
            seed=seed,
        )
        return self.pulse(n_up, n_down)


class CorrelationTask(param.Parameterized):
    """The small correlation task of physics reference section 6: learn ``y = x W*`` for a ``size x
    size`` target `W*` (uniform in ``[-target_range, target_range]``) from inputs uniform in [-1, 1]
    (weights stream of `seed`; inputs from the inputs stream)."""

    size = param.Integer(5, bounds=(1, 64), doc="Inputs and outputs of the tile.")
    target_range = param.Number(0.5, bounds=(0.0, 1.0), doc="Largest |W*|.")
    label_noise = param.Number(
        0.0,
        bounds=(0.0, 10.0),
        doc=(
            "Standard deviation of Gaussian noise added to each target output: the gradient stays noisy at the "
            "optimum, as with real data."
        ),
    )
    seed = param.Integer(0, bounds=(0, 2**31 - 1), doc="Seed of the target, the inputs and the tile.")

    def target(self) -> np.ndarray:
        r = np.random.default_rng(rng.derive_seed(self.seed, "weights"))
        return r.uniform(-self.target_range, self.target_range, (self.size, self.size))

    def inputs(self, n: int) -> np.ndarray:
        r = np.random.default_rng(rng.derive_seed(self.seed, "inputs"))
        return r.uniform(-1.0, 1.0, (n, self.size))

    def output_noise(self, n: int) -> np.ndarray:
        """The noise of each sample's target outputs ``(n, size)`` (zero without `label_noise`)."""
        r = np.random.default_rng(rng.derive_seed(self.seed, "inputs", 1))
        return self.label_noise * r.standard_normal((n, self.size))


class TikiTaka:
    """Tiki-Taka on two soft-bounds tiles of the same devices (physics reference section 6): gradient
    pulses go to the fast tile A; after every `transfer_every` samples one row k of A is read with a
    one-hot input (k cycling) and moved toward the slow tile C, which holds the weights. The
    transfer rules are aihwkit's, as `kernels.tile_training` has them (same settings, same
    defaults as `explorer.models.training.on_chip.OnChipTraining`), so this readable model and the kernels
    differ only in the tile (ideal read-out, one common asymmetry, conductance-like pulse kernels),
    not in the algorithm:

    * ``"TTv1"`` (Gokmen and Haensch, Front. Neurosci. 14, 103, 2020): ``C[k] += lr_h A[k]`` by a
      pulse-train update of C. A is never reset: it rests at its symmetry point, so TTv1 needs that
      point at 0; elsewhere C drifts by ``lr_h a`` per transfer.
    * ``"TTv2"`` (Gokmen, Front. Artif. Intell. 4, 699148, 2021): a digital buffer
      ``H[k] += lr_h (A[k] - R[k]) / dw_min`` against a reference R at the symmetry point (plus
      `reference_offset` times a standard normal per device: its calibration error); where
      ``|H| >= 1``, C gets ``n = trunc(H)`` pulses, at most `max_steps` (aihwkit's transfer
      ``desired_bl``, 1 by default), and H becomes ``momentum H`` (`forget_buffer`, aihwkit's
      default) or ``H - (1 - momentum) n`` (aihwkit's ``BufferedTransferCompound``,
      ``rpu_buffered_transfer_device.cpp``). The pulses ``trunc(H)`` asks for beyond the cap are
      counted (`capped`): with a forgotten buffer they are lost, otherwise they stay in H and are
      counted again at each transfer that holds them back. ``max_steps`` None, ``forget_buffer``
      False and ``momentum`` 0 give the rule without a cap where H keeps the rest.
    * ``"c-TTv2"`` (chopped, Rasch et al., Nat. Commun. 15, 2024, arXiv 2303.04721): as TTv2, with a
      chopper ``c_k = +-1`` per row that multiplies the row's gradient pulses into A and its read of
      A; after each read of row k, ``c_k`` flips with probability `chopper_p` (aihwkit's
      ``in_chop_random``), so a reference offset enters H with alternating sign and averages out.
    * ``"AGAD"`` (same paper; aihwkit's ``DynamicTransferCompound``,
      ``rpu_dynamic_transfer_device.cpp``): chopped, with regular flips: every row's chopper flips
      after every ``period = max(ceil(1 / chopper_p), 2)``-th read of it. Each device keeps a running
      mean M of its reads of A, ``M = (1 - m) M + m A`` with ``m = min(tail_weightening / period, 1)``
      (weighting the tail of a chopper period, after A's transient); at the first read after a flip
      the reference P takes M's value, and ``H[k] += lr_h c_k (A[k] - P[k]) / dw_min`` with the same
      threshold, cap and buffer rule as TTv2. No reference array R is involved, so
      `reference_offset` has no effect (R is still drawn, from its own stream, so every other draw
      is the same). As in aihwkit, C is not written during the first `period` passes over the rows
      (H is still updated and reset); M and P start at A's initial state, its rest.

    The chopper removes the offset only under two conditions, with P = 1 / `chopper_p` reads of a
    row per chopper period, i.e. ``rows transfer_every / chopper_p`` samples:

    * the offset alone must not reach the pulse threshold of H within a period, ``lr_h offset P /
      dw_min`` below about 1: otherwise C is pulsed back and forth by it, a random walk of C (and
      on soft bounds a pull toward C's symmetry point);
    * the period must be long against A's relaxation time (after a flip A still holds the old sign's
      content, now read with the new sign).

    The cap matters where H crosses its threshold by more than one pulse at a time (a large
    ``lr_h``, a transfer every few samples): the pulses held back are the measure. The
    measured errors: docs/results/training.md (``python -m explorer.tools.tables chopped-5x5``).
    """

    VARIANTS = ("TTv1", "TTv2", "c-TTv2", "AGAD")

    def __init__(
        self,
        rows: int,
        cols: int,
        *,
        variant: Literal["TTv1", "TTv2", "c-TTv2", "AGAD"] = "TTv2",
        lr_h: float = 0.1,
        transfer_every: int = 1,
        reference_offset: float = 0.0,
        chopper_p: float = 0.1,
        max_steps: int = 1,
        forget_buffer: bool = True,
        momentum: float = 0.0,
        tail_weightening: float = 5.0,
        seed: int = 0,
        **device: Any,
    ) -> None:
        if variant not in self.VARIANTS:
            raise ValueError(f"variant must be one of {list(self.VARIANTS)}, got {variant!r}")
        self.variant = variant
        self.A = SoftBoundsTile(rows, cols, seed=rng.derive_seed(seed, "training", 10), **device)
        self.C = SoftBoundsTile(rows, cols, seed=rng.derive_seed(seed, "training", 11), **device)
        self.lr_h = scalar_in_range(lr_h, 0.0, 1e3, "lr_h")
        if self.lr_h <= 0.0:
            raise ValueError(f"lr_h must be > 0, got {self.lr_h:g}")
        self.transfer_every = positive_int(transfer_every, "transfer_every", 1, 10**6)
        offset = scalar_in_range(reference_offset, 0.0, 1.0, "reference_offset")
        self.chopper_p = scalar_in_range(chopper_p, 0.0, 1.0, "chopper_p")
        self.max_steps = None if max_steps is None else positive_int(max_steps, "max_steps", 1, 10**6)
        if not isinstance(forget_buffer, (bool, np.bool_)):
            raise ValueError(f"forget_buffer must be True or False, got {forget_buffer!r}")
        self.forget_buffer = bool(forget_buffer)
        self.momentum = scalar_in_range(momentum, 0.0, 1.0, "momentum")
        self.tail_weightening = scalar_in_range(tail_weightening, 0.0, 1e6, "tail_weightening")
        if self.tail_weightening <= 0.0:
            raise ValueError(f"tail_weightening must be > 0, got {self.tail_weightening:g}")
        z = rng.numpy_normal(rng.derive_seed(seed, "training", 12), rng.STREAM_DEVICE, rows * cols).reshape(rows, cols)
        self.A.set_weights(np.full((rows, cols), self.A.symmetry_point))  # A starts at rest
        self.R = self.A.symmetry_point + offset * z
        self.H = np.zeros((rows, cols))
        self.P = np.full((rows, cols), self.A.symmetry_point)  # AGAD's references
        self.M = np.full((rows, cols), self.A.symmetry_point)  # AGAD's running means of the reads
        self.chopper = np.ones(rows)
        self._flips = np.random.default_rng(rng.derive_seed(seed, "training", 13))
        self.samples = 0
        self.transfers = 0
        self.capped = 0
        """Pulses the transfers held back because of `max_steps` (module docstring)."""
        self._row = 0
        self._passes = 0

    @property
    def weights(self) -> np.ndarray:
        return self.C.weights

    @property
    def pulses(self) -> int:
        return self.A.pulses + self.C.pulses

    @property
    def period(self) -> int:
        """Reads of a row per AGAD chopper period: ``max(ceil(1 / chopper_p), 2)`` (2 at 0)."""
        return 2 if self.chopper_p <= 0.0 else max(int(np.ceil(1.0 / self.chopper_p)), 2)

    def update(self, x: np.ndarray, d: np.ndarray, lr: float) -> None:
        """One sample's gradient `x`, `d` into A (learning rate `lr`), then a transfer when due."""
        self.A.update(self.chopper * x, d, lr)
        self.samples += 1
        if self.samples % self.transfer_every:
            return
        self.transfers += 1
        k = self._row
        self._row = (k + 1) % self.A.rows
        passes = self._passes  # completed passes over the rows before this read
        if k == self.A.rows - 1:
            self._passes += 1
        if self.variant == "TTv1":
            onehot = np.zeros(self.A.rows)
            onehot[k] = 1.0
            self.C.update(onehot, -self.A.weights[k], self.lr_h)  # C[k] += lr_h A[k]
            return
        read = self.A.weights[k]
        agad = self.variant == "AGAD"
        period = self.period
        if agad and passes > 0 and passes % period == 0:  # the first read after a flip
            self.P[k] = self.M[k]
        ref = self.P[k] if agad else self.R[k]
        h = self.H[k] + self.lr_h * self.chopper[k] * (read - ref) / self.C.dw_min
        over = np.abs(h) >= 1.0
        whole = np.where(over, np.trunc(h), 0.0)
        n = whole if self.max_steps is None else np.clip(whole, -self.max_steps, self.max_steps)
        held = int(np.sum(np.abs(whole) - np.abs(n)))
        kept = h * self.momentum if self.forget_buffer else h - (1.0 - self.momentum) * n
        self.H[k] = np.where(over, kept, h)
        if agad:
            m = min(self.tail_weightening / period, 1.0)
            self.M[k] = self.M[k] * (1.0 - m) + read * m
            if passes <= period:  # aihwkit writes C only after the first period
                n, held = np.zeros_like(n), 0
        self.capped += held
        n = n.astype(np.int64)
        if np.any(n):
            up, down = np.zeros(self.C.g.shape, dtype=np.int64), np.zeros(self.C.g.shape, dtype=np.int64)
            up[k], down[k] = np.maximum(n, 0), np.maximum(-n, 0)
            self.C.pulse(up, down)
        if self.variant == "c-TTv2":
            flip = self._flips.random() < self.chopper_p
        else:
            flip = agad and passes % period + 1 == period
        if flip:
            self.chopper[k] = -self.chopper[k]


def train_correlation(
    algorithm: Literal["float SGD", "analog SGD", "TTv1", "TTv2", "c-TTv2", "AGAD"] = "analog SGD",
    *,
    steps: int = 2000,
    lr: float = 0.05,
    size: int = 5,
    target_range: float = 0.5,
    label_noise: float = 0.0,
    seed: int = 0,
    n_states: int = 1200,
    asymmetry: float = 0.0,
    d2d: float = 0.3,
    c2c: float = 0.3,
    bl: int = 31,
    record_every: int = 50,
    lr_h: float = 0.1,
    transfer_every: int = 1,
    reference_offset: float = 0.0,
    chopper_p: float = 0.1,
    max_steps: int = 1,
    forget_buffer: bool = True,
    momentum: float = 0.0,
) -> dict[str, Any]:
    """Train the correlation task (`CorrelationTask`) for `steps` samples with `algorithm` ("float SGD";
    "analog SGD": the update applied to a `SoftBoundsTile` by pulse trains; "TTv1", "TTv2", "c-TTv2", "AGAD":
    `TikiTaka` with `lr_h`, `transfer_every`, `reference_offset`, `chopper_p` and aihwkit's transfer rules
    `max_steps`, `forget_buffer`, `momentum`, defaults as `explorer.models.training.on_chip.OnChipTraining`'s),
    starting from W = 0.

    Returns a dict: ``target`` (W*), ``weights`` (final W), ``steps`` and ``error`` (the recorded
    steps and ``||W - W*|| / ||W*||`` at each), ``pulses`` (analog only, else 0), ``capped_pulses``
    (the pulses Tiki-Taka's transfers held back because of `max_steps`, else 0)."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {list(ALGORITHMS)}, got {algorithm!r}")
    steps = positive_int(steps, "steps", 1, 10**7)
    record_every = positive_int(record_every, "record_every", 1, 10**7)
    lr = scalar_in_range(lr, 0.0, 1e3, "lr")
    if lr <= 0.0:
        raise ValueError(f"lr must be > 0, got {lr:g}")
    task = CorrelationTask(size=size, target_range=target_range, label_noise=label_noise, seed=seed)
    w_star, X, noise = task.target(), task.inputs(steps), task.output_noise(steps)
    tile = None
    device = dict(n_states=n_states, asymmetry=asymmetry, d2d=d2d, c2c=c2c, bl=bl)
    if algorithm == "analog SGD":
        tile = SoftBoundsTile(size, size, seed=seed, **device)
    elif algorithm in TikiTaka.VARIANTS:
        tile = TikiTaka(
            size,
            size,
            variant=algorithm,
            lr_h=lr_h,
            transfer_every=transfer_every,
            reference_offset=reference_offset,
            chopper_p=chopper_p,
            max_steps=max_steps,
            forget_buffer=forget_buffer,
            momentum=momentum,
            seed=seed,
            **device,
        )
    W = np.zeros((size, size))
    norm = np.linalg.norm(w_star)
    rec_steps, rec_err = [], []
    for k, x in enumerate(X):
        W = tile.weights if tile is not None else W
        d = x @ W - (x @ w_star + noise[k])  # output error of the sample (MSE gradient wrt y)
        if tile is not None:
            tile.update(x, d, lr)
        else:
            W = W - lr * np.outer(x, d)
        if (k + 1) % record_every == 0 or k + 1 == steps:
            W_now = tile.weights if tile is not None else W
            rec_steps.append(k + 1)
            rec_err.append(float(np.linalg.norm(W_now - w_star) / norm))
    final = tile.weights if tile is not None else W
    return {
        "target": w_star,
        "weights": final,
        "steps": np.array(rec_steps),
        "error": np.array(rec_err),
        "pulses": tile.pulses if tile is not None else 0,
        "capped_pulses": getattr(tile, "capped", 0),
        "symmetry_point": asymmetry if tile is not None else None,
    }
