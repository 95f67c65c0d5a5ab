"""On-chip training, first part (issue 11): a soft-bounds tile updated by stochastic pulse trains,
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

import numpy as np
import param

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

    def __init__(self, rows, cols, *, n_states=1200, asymmetry=0.0, d2d=0.3, c2c=0.3, bl=31, seed=0):
        self.rows = positive_int(rows, "rows", 1, 4096)
        self.cols = positive_int(cols, "cols", 1, 4096)
        self.n_states = positive_int(n_states, "n_states", 2, 10**6)
        a = scalar_in_range(asymmetry, -1.0, 1.0, "asymmetry")
        if abs(a) >= 1.0:
            raise ValueError(f"asymmetry must lie strictly inside (-1, 1): it is the symmetry point, which must "
                             f"lie inside the weight range [-1, 1]; got {a:g}")
        self.asymmetry = a
        self.d2d = scalar_in_range(d2d, 0.0, 5.0, "d2d")
        self.c2c = scalar_in_range(c2c, 0.0, 5.0, "c2c")
        self.bl = positive_int(bl, "bl", 1, outer_update.MAX_SLOTS)
        self.seed = check_seed(seed)
        self.dw_min = 2.0 / self.n_states
        z = rng.numpy_normal(rng.derive_seed(self.seed, "training", 1), rng.STREAM_DEVICE, self.rows * self.cols)
        self.device_dw = self.dw_min * np.maximum(1.0 + self.d2d * z, 0.05).reshape(self.rows, self.cols)
        """Each device's dw_min (weight units): the nominal one spread by `d2d` (kept above 5 % of it)."""
        self.g = np.ones((self.rows, self.cols))   # w = 0
        self.updates = 0
        self.pulses = 0

    @property
    def symmetry_point(self):
        """The weight at which up and down steps are equal: ``a`` (module docstring)."""
        return self.asymmetry

    @property
    def weights(self):
        """The weights ``(rows, cols)`` in [-1, 1]."""
        return self.g - 1.0

    def set_weights(self, w):
        """Set the weights (clipped to [-1, 1]), as a perfect programming would."""
        w = np.asarray(w, dtype=np.float64)
        if w.shape != (self.rows, self.cols):
            raise ValueError(f"w must have shape {(self.rows, self.cols)}, got {w.shape}")
        self.g = np.clip(w, -1.0, 1.0) + 1.0

    def pulse(self, n_up, n_down):
        """Send each device its `n_up` up pulses, then its `n_down` down pulses (int arrays of the
        tile's shape; the soft-bounds response with its spreads)."""
        seed = rng.derive_seed(self.seed, "training", (2 + self.updates) % 2**32)
        self.g = outer_update.apply_counts(self.g, np.asarray(n_up, dtype=np.int64), np.asarray(n_down, dtype=np.int64),
                                           g_min=0.0, g_max=2.0,
                                           dg_up=2.0 * self.device_dw * (1.0 + self.asymmetry),
                                           dg_down=2.0 * self.device_dw * (1.0 - self.asymmetry),
                                           c2c=self.c2c, seed=seed)
        self.updates += 1
        n = int(np.sum(n_up) + np.sum(n_down))
        self.pulses += n
        return n

    def update(self, x, d, lr):
        """Apply ``W -= lr x d^T`` for one sample (`x` ``(rows,)``, `d` ``(cols,)``) by stochastic pulse
        trains; returns the number of pulses applied."""
        lr = scalar_in_range(lr, 0.0, 1e3, "lr")
        if lr <= 0.0:
            raise ValueError(f"lr must be > 0, got {lr:g}")
        x = np.asarray(x, dtype=np.float64).ravel()
        d = np.asarray(d, dtype=np.float64).ravel()
        if x.size != self.rows or d.size != self.cols or not (np.all(np.isfinite(x)) and np.all(np.isfinite(d))):
            raise ValueError(f"x must hold {self.rows} and d {self.cols} finite values (the tile's rows and "
                             f"columns), got {x.size} and {d.size}")
        x_max, d_max = float(np.abs(x).max(initial=0.0)), float(np.abs(d).max(initial=0.0))
        if x_max == 0.0 or d_max == 0.0:
            return 0
        scale = lr / (self.bl * self.dw_min)
        c_x = np.sqrt(scale * d_max / x_max)
        c_d = np.sqrt(scale * x_max / d_max)
        p = np.minimum(np.abs(x) * c_x, 1.0)[None]
        q = np.minimum(np.abs(d) * c_d, 1.0)[None]
        seed = rng.derive_seed(self.seed, "training", (2 + self.updates) % 2**32)  # `pulse` draws this one too
        n_up, n_down = outer_update.coincidences(p, np.sign(x)[None].astype(np.int8), q, q,
                                                 (-np.sign(d))[None].astype(np.int8),
                                                 np.array([self.bl]), seed=seed)
        return self.pulse(n_up, n_down)


class CorrelationTask(param.Parameterized):
    """The small correlation task of physics reference section 6: learn ``y = x W*`` for a ``size x
    size`` target `W*` (uniform in ``[-target_range, target_range]``) from inputs uniform in [-1, 1]
    (weights stream of `seed`; inputs from the inputs stream)."""

    size = param.Integer(5, bounds=(1, 64), doc="Inputs and outputs of the tile.")
    target_range = param.Number(0.5, bounds=(0.0, 1.0), doc="Largest |W*|.")
    label_noise = param.Number(0.0, bounds=(0.0, 10.0), doc=(
        "Standard deviation of Gaussian noise added to each target output: the gradient stays noisy at the "
        "optimum, as with real data."))
    seed = param.Integer(0, bounds=(0, 2**31 - 1), doc="Seed of the target, the inputs and the tile.")

    def target(self):
        r = np.random.default_rng(rng.derive_seed(self.seed, "weights"))
        return r.uniform(-self.target_range, self.target_range, (self.size, self.size))

    def inputs(self, n):
        r = np.random.default_rng(rng.derive_seed(self.seed, "inputs"))
        return r.uniform(-1.0, 1.0, (n, self.size))

    def output_noise(self, n):
        """The noise of each sample's target outputs ``(n, size)`` (zero without `label_noise`)."""
        r = np.random.default_rng(rng.derive_seed(self.seed, "inputs", 1))
        return self.label_noise * r.standard_normal((n, self.size))


class TikiTaka:
    """Tiki-Taka on two soft-bounds tiles of the same devices (physics reference section 6): gradient
    pulses go to the fast tile A; after every `transfer_every` samples one row k of A is read with a
    one-hot input (k cycling) and moved toward the slow tile C, which holds the weights.

    * ``"TTv1"`` (Gokmen and Haensch, Front. Neurosci. 14, 103, 2020): ``C[k] += lr_h A[k]`` by a
      pulse-train update of C. A is never reset: it rests at its symmetry point, so TTv1 needs that
      point at 0; elsewhere C drifts by ``lr_h a`` per transfer.
    * ``"TTv2"`` (Gokmen, Front. Artif. Intell. 4, 699148, 2021): a digital buffer
      ``H[k] += lr_h (A[k] - R[k]) / dw_min`` against a reference R at the symmetry point (plus
      `reference_offset` times a standard normal per device: its calibration error); where
      ``|H| >= 1``, C gets ``trunc(H)`` pulses and H keeps the rest.
    * ``"c-TTv2"`` (chopped, Rasch et al., Nat. Commun. 15, 2024, arXiv 2303.04721): as TTv2, with a
      chopper ``c_k = +-1`` per row that multiplies the row's gradient pulses into A and its read of
      A; after each read of row k, ``c_k`` flips with probability `chopper_p`, so a reference offset
      enters H with alternating sign and averages out.
    * ``"AGAD"`` (same paper): chopped as c-TTv2, but ``H[k] += lr_h c_k (A[k] - p_k) / dw_min`` with
      the reference ``p_k`` computed on the fly from A itself: no reference array R is involved, so
      `reference_offset` has no effect at all (R is still drawn, from its own stream, so every other
      draw is the same). As we read the paper and its implementation in aihwkit
      (``DynamicTransferCompound``: "the mean of the reads during the last chopper period is
      compared with the current (switched) chopper period"), ``p_k`` is an average of row k's
      recent reads, taken over as the reference when its chopper changes sign: A then still sits
      where the previous sign drove it, so ``c_k (A - p_k)`` holds the signal of both periods. Here
      ``p_k`` is the plain mean of the reads of row k over its previous chopper period (A's initial
      state, its rest, before the first flip), as `kernels.tile_training` does for the digits task,
      so that the two implementations agree. aihwkit's code instead keeps an exponential mean with
      weight ``tail_weightening * chopper_p`` per read (``tail_weightening`` 5 in its AGAD presets),
      which weighs the end of the period, after A's transient, more: on the 5 x 5 task of
      `train_correlation` (label noise 0.1, asymmetry 0.5, 200 states, 4000 steps, seeds 0 to 2) it
      measured 7.5 % against the plain mean's 10.2 % at lr 0.2, lr_h 0.02, chopper_p 0.1, and
      7.5 % against 7.4 % at lr 1, lr_h 0.025, transfer_every 5, chopper_p 0.25.

    The chopper removes the offset only under two conditions, with P = 1 / `chopper_p` reads of a
    row per chopper period, i.e. ``rows transfer_every / chopper_p`` samples:

    * the offset alone must not reach the pulse threshold of H within a period, ``lr_h offset P /
      dw_min`` below about 1: otherwise C is pulsed back and forth by it, a random walk of C (and
      on soft bounds a pull toward C's symmetry point);
    * the period must be long against A's relaxation time (after a flip A still holds the old sign's
      content, now read with the new sign), about 140 samples at lr 0.2 and 50 at lr 1 on 200 states
      with asymmetry 0.5 (measured: the e-folding of a 0.2 displacement of A under gradients of pure
      label noise 0.1).

    On the task above, mean final error of seeds 0 to 2 at reference offsets 0 / 0.1 / 0.2 / 0.3: at
    lr 0.2, lr_h 0.02 the two conditions exclude each other (the first needs chopper_p above 0.4,
    periods of 12 samples; at chopper_p 0.02, periods of 250 samples, there are about 20 threshold
    crossings per period at offset 0.2) and c-TTv2, 14.4 / 17.3 /
    25.5 / 41.6 %, degrades as much as TTv2 up to 0.2 (10.0 / 11.5 / 19.0 / 57.8 %); at lr 1 (a
    faster A), lr_h 0.025, transfer_every 5, chopper_p 0.25 (2 crossings per period at offset 0.2,
    periods of 100 samples, 2 relaxation times) c-TTv2 gives 6.6 / 7.9 / 9.9 / 13.4 % against TTv2's
    4.7 / 8.1 / 16.3 / 43.2 % with the same parameters, and AGAD 7.4 % at every offset.
    """

    VARIANTS = ("TTv1", "TTv2", "c-TTv2", "AGAD")

    def __init__(self, rows, cols, *, variant="TTv2", lr_h=0.1, transfer_every=1, reference_offset=0.0,
                 chopper_p=0.1, seed=0, **device):
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
        z = rng.numpy_normal(rng.derive_seed(seed, "training", 12), rng.STREAM_DEVICE, rows * cols).reshape(rows, cols)
        self.A.set_weights(np.full((rows, cols), self.A.symmetry_point))  # A starts at rest
        self.R = self.A.symmetry_point + offset * z
        self.H = np.zeros((rows, cols))
        self.P = np.full((rows, cols), self.A.symmetry_point)   # AGAD's references
        self._sums = np.zeros((rows, cols))
        self._reads = np.zeros(rows)
        self.chopper = np.ones(rows)
        self._flips = np.random.default_rng(rng.derive_seed(seed, "training", 13))
        self.samples = 0
        self._row = 0

    @property
    def weights(self):
        return self.C.weights

    @property
    def pulses(self):
        return self.A.pulses + self.C.pulses

    def update(self, x, d, lr):
        """One sample's gradient `x`, `d` into A (learning rate `lr`), then a transfer when due."""
        self.A.update(self.chopper * x, d, lr)
        self.samples += 1
        if self.samples % self.transfer_every:
            return
        k = self._row
        self._row = (k + 1) % self.A.rows
        if self.variant == "TTv1":
            onehot = np.zeros(self.A.rows)
            onehot[k] = 1.0
            self.C.update(onehot, -self.A.weights[k], self.lr_h)   # C[k] += lr_h A[k]
            return
        read = self.A.weights[k]
        ref = self.P[k] if self.variant == "AGAD" else self.R[k]
        self.H[k] += self.lr_h * self.chopper[k] * (read - ref) / self.C.dw_min
        self._sums[k] += read
        self._reads[k] += 1
        n = np.trunc(self.H[k]).astype(np.int64)
        if np.any(n):
            up, down = np.zeros(self.C.g.shape, dtype=np.int64), np.zeros(self.C.g.shape, dtype=np.int64)
            up[k], down[k] = np.maximum(n, 0), np.maximum(-n, 0)
            self.C.pulse(up, down)
            self.H[k] -= n
        if self.variant in ("c-TTv2", "AGAD") and self._flips.random() < self.chopper_p:
            self.chopper[k] = -self.chopper[k]
            if self.variant == "AGAD":
                self.P[k] = self._sums[k] / self._reads[k]
            self._sums[k], self._reads[k] = 0.0, 0


def train_correlation(algorithm="analog SGD", *, steps=2000, lr=0.05, size=5, target_range=0.5, label_noise=0.0, seed=0,
                      n_states=1200, asymmetry=0.0, d2d=0.3, c2c=0.3, bl=31, record_every=50, lr_h=0.1,
                      transfer_every=1, reference_offset=0.0, chopper_p=0.1):
    """Train the correlation task (`CorrelationTask`) for `steps` samples with `algorithm` ("float SGD";
    "analog SGD": the update applied to a `SoftBoundsTile` by pulse trains; "TTv1", "TTv2", "c-TTv2", "AGAD":
    `TikiTaka` with `lr_h`, `transfer_every`, `reference_offset`, `chopper_p`), starting from W = 0.

    Returns a dict: ``target`` (W*), ``weights`` (final W), ``steps`` and ``error`` (the recorded
    steps and ``||W - W*|| / ||W*||`` at each), ``pulses`` (analog only, else 0)."""
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
        tile = TikiTaka(size, size, variant=algorithm, lr_h=lr_h, transfer_every=transfer_every,
                        reference_offset=reference_offset, chopper_p=chopper_p, seed=seed, **device)
    W = np.zeros((size, size))
    norm = np.linalg.norm(w_star)
    rec_steps, rec_err = [], []
    for k, x in enumerate(X):
        W = tile.weights if tile is not None else W
        d = x @ W - (x @ w_star + noise[k])        # output error of the sample (MSE gradient wrt y)
        if tile is not None:
            tile.update(x, d, lr)
        else:
            W = W - lr * np.outer(x, d)
        if (k + 1) % record_every == 0 or k + 1 == steps:
            W_now = tile.weights if tile is not None else W
            rec_steps.append(k + 1)
            rec_err.append(float(np.linalg.norm(W_now - w_star) / norm))
    final = tile.weights if tile is not None else W
    return {"target": w_star, "weights": final, "steps": np.array(rec_steps), "error": np.array(rec_err),
            "pulses": tile.pulses if tile is not None else 0,
            "symmetry_point": asymmetry if tile is not None else None}
