"""A small MLP for the digits (64-32-10, ReLU, digital biases), trained with NumPy.

`train_mlp` trains it by mini-batch Adam on softmax cross-entropy (Kingma and Ba, ICLR 2015), He
initialisation, a fixed seed (``derive_seed(seed, "training")``), optionally hardware-aware (an
`HWAConfig`: noise, clipping and quantization of the weights, physics reference section 11).
`MLPTraining` is the same training one epoch at a time (for a background trainer:
`explorer.models.training.mlp_background`). `MLP` holds the layers' weights ``W`` (n_in x n_out, as the
crossbar's ``X @ W``) and biases; `load_mlp` reads the shipped network from
`assets/mlp_digits.npz` (``python assets/make_mlp.py`` regenerates it).
"""

from __future__ import annotations

import dataclasses
import os
import types
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from kernels.rng import derive_seed
from kernels.validate import check_seed, positive_int, scalar_in_range

from ..digits import MLP_FILE, _load

MLP_COMMAND = "python assets/make_mlp.py"
MLP_VARIANTS = ("plain", "hwa")
"""Networks shipped in `assets/mlp_digits.npz`: "plain" is trained in floating point, "hwa"
hardware-aware (`train_mlp` with ``weight_noise=0.05``)."""

PCM_G_MAX = 25.0
"""Conductance (uS) of a PCM device at the largest weight of a layer, for ``pcm_noise``."""
PCM_PROG_COEFFS = (0.26348, 1.9650, -1.1731)
"""Programming-noise polynomial of PCM, ``sigma(g) = max(c0 + c1 r + c2 r^2, 0)`` uS with
``r = g / 25 uS`` (physics reference section 1: Nandakumar et al., ICECS 2019; Joshi et al., Nat.
Commun. 11, 2473, 2020; aihwkit's `PCMLikeNoiseModel`)."""


@dataclass(frozen=True)
class HWAConfig:
    """Hardware-aware training settings of `train_mlp` (all off by default; physics reference section 11).

    Every mini-batch's forward and backward pass use noisy weights made from the clean ones (fresh
    draws each mini-batch); the gradient so computed updates the clean weights (straight through the
    noise and the quantization). Per layer, with ``a = max|W|`` of the clean weights and the target
    ``w_t`` = the clean weight, or its quantized value if `quantize_levels` is set:

    - `weight_noise`: additive Gaussian, ``+ weight_noise * a * xi`` (Joshi et al., Nat. Commun. 11,
      2473, 2020).
    - `multiplicative_noise`: relative to each weight, ``+ multiplicative_noise * w_t * xi``
      (``w_t (1 + m xi)``).
    - `pcm_noise`: PCM programming noise. ``|w_t|`` is mapped to one device's conductance
      ``g = |w_t| / a * 25 uS`` (a differential pair, the unused device at 0), programmed as
      ``max(g + pcm_noise * sigma(g) xi, 0)`` with ``sigma(g) = max(0.26348 + 1.9650 r - 1.1731 r^2, 0)``
      uS, ``r = g / 25 uS`` (physics reference section 1, `PCM_PROG_COEFFS`), and mapped back
      (``* a / 25``, sign of ``w_t``): 1.0 is the hardware's noise; a weight cannot change sign
      (and one at exactly 0, e.g. a quantization level, stays 0).
    - `noise_scale`: multiplies the three amplitudes above (0 switches all noise off).
    - `clip`: after every update the clean weights of a layer are clipped to ``± clip * std(W)`` of
      that layer (as aihwkit's ``WeightClipType.LAYER_GAUSSIAN``); 0 = off. Biases are not clipped.
    - `quantize_levels`: the forward weights are first rounded to this many uniform levels over
      ``[-a, a]`` (ends included; an odd number includes 0), the noises added on top; 0 = off.

    The noises are drawn per layer in the order additive, multiplicative, PCM (each only when on),
    so that a config with only `weight_noise` draws exactly what `train_mlp` always drew.
    """

    weight_noise: float = 0.0
    multiplicative_noise: float = 0.0
    pcm_noise: float = 0.0
    clip: float = 0.0
    quantize_levels: int = 0
    noise_scale: float = 1.0

    def __post_init__(self):
        checked = {
            "weight_noise": scalar_in_range(self.weight_noise, 0.0, 1.0, "weight_noise"),
            "multiplicative_noise": scalar_in_range(self.multiplicative_noise, 0.0, 1.0, "multiplicative_noise"),
            "pcm_noise": scalar_in_range(self.pcm_noise, 0.0, 10.0, "pcm_noise"),
            "clip": scalar_in_range(self.clip, 0.0, 100.0, "clip"),
            "quantize_levels": positive_int(self.quantize_levels, "quantize_levels", 0, 65536),
            "noise_scale": scalar_in_range(self.noise_scale, 0.0, 10.0, "noise_scale"),
        }
        if checked["quantize_levels"] == 1:
            raise ValueError("quantize_levels must be 0 (off) or an integer in [2, 65536], got 1")
        for name, value in checked.items():
            object.__setattr__(self, name, value)

    def key(self) -> tuple[float, float, float, float, int, float]:
        """The fields as a hashable tuple (in field order)."""
        return tuple(getattr(self, f.name) for f in dataclasses.fields(self))

    def kwargs(self) -> dict[str, float]:
        """The fields as a dict, for ``train_mlp(X, y, **config.kwargs())``."""
        return dataclasses.asdict(self)

    def effective(self) -> tuple[float, float, float, float, int]:
        """What the training computes with: ``(weight_noise, multiplicative_noise, pcm_noise)``, each
        times `noise_scale`, then `clip` and `quantize_levels`. Equal tuples train bit for bit alike."""
        s = self.noise_scale
        return (
            self.weight_noise * s,
            self.multiplicative_noise * s,
            self.pcm_noise * s,
            self.clip,
            self.quantize_levels,
        )


HWA_FIELDS = tuple(f.name for f in dataclasses.fields(HWAConfig))
MLP_VARIANT_CONFIGS = types.MappingProxyType({"plain": HWAConfig(), "hwa": HWAConfig(weight_noise=0.05)})
"""The shipped `MLP_VARIANTS` as the `HWAConfig` they were trained with (seed 0, 60 epochs)."""
SHIPPED_SEED, SHIPPED_EPOCHS = 0, 60

HWA_NOISES = types.MappingProxyType(
    {
        "additive": HWAConfig(weight_noise=0.05),
        "multiplicative": HWAConfig(multiplicative_noise=0.1),
        "PCM-like": HWAConfig(pcm_noise=1.0),
    }
)
"""The hardware-aware training noises at scale 1 that the Reliability dashboard offers."""
HWA_SCALE_STEP, HWA_SCALE_MAX = 0.25, 3.0
"""The dashboard's training-noise scales: 0 to `HWA_SCALE_MAX` in steps of `HWA_SCALE_STEP`."""


def _scaled_networks():
    """Every noise of `HWA_NOISES` at every scale of the dashboard's slider but those that train
    a shipped variant's network (scale 0 is "plain", additive x1 is "hwa"), by name."""
    variants = {config.effective() for config in MLP_VARIANT_CONFIGS.values()}
    scaled = {}
    for kind, config in HWA_NOISES.items():
        for step in range(1, round(HWA_SCALE_MAX / HWA_SCALE_STEP) + 1):
            scale = step * HWA_SCALE_STEP
            at = dataclasses.replace(config, noise_scale=scale)
            if at.effective() not in variants:
                scaled[f"{kind} x{scale:g}"] = at
    return scaled


SHIPPED_NETWORKS = types.MappingProxyType({**MLP_VARIANT_CONFIGS, **_scaled_networks()})
"""Every network in `assets/mlp_digits.npz`, by name, as the `HWAConfig` it was trained with (seed
0, 60 epochs): the `MLP_VARIANTS` and each hardware-aware noise at every position of the
Reliability dashboard's training-noise slider (named like ``"PCM-like x1.25"``), so that moving
that slider loads a network instead of training one."""


@dataclass(frozen=True)
class MLP:
    """Layer weights ``W[k]`` (n_in x n_out) and biases ``b[k]``; ReLU between layers, none after the last."""

    W: tuple
    b: tuple

    def forward(self, X: ArrayLike) -> np.ndarray:
        """Logits ``(n, 10)`` of inputs ``(n, 64)`` in floating point."""
        h = np.asarray(X, dtype=np.float64)
        for k, (W, b) in enumerate(zip(self.W, self.b)):
            h = h @ W + b
            if k < len(self.W) - 1:
                h = np.maximum(h, 0.0)
        return h

    def accuracy(self, X: ArrayLike, y: ArrayLike) -> float:
        """Share of inputs whose largest logit is their label."""
        return float(np.mean(np.argmax(self.forward(X), axis=1) == y))


def _init(sizes, rand):
    W = [rand.normal(0.0, np.sqrt(2.0 / n_in), (n_in, n_out)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    b = [np.zeros(n_out) for n_out in sizes[1:]]
    return W, b


def hwa_config(config: HWAConfig | None = None, **fields: Any) -> HWAConfig:
    """An `HWAConfig` from `config` (an `HWAConfig` or None) with `fields` replaced; an unknown field
    raises TypeError, a bad value ValueError naming it."""
    unknown = sorted(set(fields) - set(HWA_FIELDS))
    if unknown:
        raise TypeError(f"unexpected keyword argument(s) {unknown}; the hardware-aware settings are {list(HWA_FIELDS)}")
    if config is None:
        return HWAConfig(**fields)
    if not isinstance(config, HWAConfig):
        raise ValueError(f"config must be an HWAConfig, got {type(config).__name__}")
    return dataclasses.replace(config, **fields)


def _pcm_sigma(r):
    c0, c1, c2 = PCM_PROG_COEFFS
    return np.maximum(c0 + c1 * r + c2 * r * r, 0.0)


class MLPTraining:
    """`train_mlp`'s training, one epoch per `run_epoch()` call; `mlp()` is the network so far.

    ``MLPTraining(X, y, ...)`` takes `train_mlp`'s arguments; after `epochs` calls of `run_epoch`,
    `mlp()` equals ``train_mlp(X, y, ...)`` bit for bit. Not thread-safe by itself."""

    def __init__(
        self,
        X: ArrayLike,
        y: ArrayLike,
        hidden: int = 32,
        epochs: int = 60,
        learning_rate: float = 0.01,
        batch_size: int = 32,
        seed: int = 0,
        **config: Any,
    ) -> None:
        self.hidden = positive_int(hidden, "hidden", 1, 4096)
        self.epochs = positive_int(epochs, "epochs", 1, 10000)
        self.learning_rate = scalar_in_range(learning_rate, 1e-8, 10.0, "learning_rate")
        self.batch_size = positive_int(batch_size, "batch_size", 1, 100000)
        self.seed = check_seed(seed)
        self.config = hwa_config(**config)
        self.X = np.asarray(X, dtype=np.float64)
        self.y = np.asarray(y, dtype=np.int64)
        n_classes = int(self.y.max()) + 1
        self._rand = np.random.default_rng(derive_seed(self.seed, "training"))
        self.W, self.b = _init([self.X.shape[1], self.hidden, n_classes], self._rand)
        self._params = self.W + self.b
        self._m = [np.zeros_like(p) for p in self._params]
        self._v = [np.zeros_like(p) for p in self._params]
        self._step = 0
        self._onehot = np.eye(n_classes)[self.y]
        self.epoch = 0

    @property
    def done(self) -> bool:
        return self.epoch >= self.epochs

    def _noisy(self, w):
        """The forward weights of one layer for one mini-batch (`HWAConfig`'s order of draws)."""
        additive, multiplicative, pcm, _, levels = self.config.effective()
        rand = self._rand
        if not (additive > 0.0 or multiplicative > 0.0 or pcm > 0.0 or levels):
            return w
        a = np.abs(w).max()
        target = w
        if levels:
            delta = 2.0 * a / (levels - 1)
            if delta > 0.0:
                target = np.clip(-a + np.round((w + a) / delta) * delta, -a, a)
        wn = target
        if additive > 0.0:
            wn = wn + additive * a * rand.standard_normal(w.shape)
        if multiplicative > 0.0:
            wn = wn + multiplicative * target * rand.standard_normal(w.shape)
        if pcm > 0.0:
            g = np.abs(target) / a * PCM_G_MAX if a > 0.0 else np.zeros_like(target)
            sigma = _pcm_sigma(g / PCM_G_MAX)  # uS, the fit's g_max = 25 uS is PCM_G_MAX
            g_prog = np.maximum(g + pcm * sigma * rand.standard_normal(w.shape), 0.0)
            wn = wn + (np.sign(target) * g_prog * (a / PCM_G_MAX) - target)
        return wn

    def run_epoch(self) -> int:
        """Train one more epoch (a no-op once `done`); returns the epoch count."""
        if self.done:
            return self.epoch
        X, W, b, rand = self.X, self.W, self.b, self._rand
        clip = self.config.clip
        beta1, beta2, eps = 0.9, 0.999, 1e-8
        order = rand.permutation(len(X))
        for start in range(0, len(X), self.batch_size):
            idx = order[start : start + self.batch_size]
            x, t = X[idx], self._onehot[idx]
            Wn = [self._noisy(w) for w in W]
            z1 = x @ Wn[0] + b[0]
            h = np.maximum(z1, 0.0)
            z2 = h @ Wn[1] + b[1]
            p = np.exp(z2 - z2.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            g2 = (p - t) / len(idx)
            g1 = (g2 @ Wn[1].T) * (z1 > 0)
            grads = [x.T @ g1, h.T @ g2, g1.sum(axis=0), g2.sum(axis=0)]
            self._step += 1
            step = self._step
            m, v = self._m, self._v
            for k, (param_, g) in enumerate(zip(self._params, grads)):
                m[k] = beta1 * m[k] + (1 - beta1) * g
                v[k] = beta2 * v[k] + (1 - beta2) * g * g
                mh = m[k] / (1 - beta1**step)
                vh = v[k] / (1 - beta2**step)
                param_ -= self.learning_rate * mh / (np.sqrt(vh) + eps)
            if clip > 0.0:
                for w in W:
                    bound = clip * w.std()
                    np.clip(w, -bound, bound, out=w)
        self.epoch += 1
        return self.epoch

    def mlp(self) -> MLP:
        """The network as trained so far (copies of the weights)."""
        return MLP(tuple(w.copy() for w in self.W), tuple(b.copy() for b in self.b))


def train_mlp(
    X: ArrayLike,
    y: ArrayLike,
    hidden: int = 32,
    epochs: int = 60,
    learning_rate: float = 0.01,
    batch_size: int = 32,
    seed: int = 0,
    **config: Any,
) -> MLP:
    """An `MLP` (64-hidden-10) trained on `X` ``(n, 64)`` in [0, 1] and labels `y` by Adam.

    `config` are `HWAConfig`'s fields (``weight_noise``, ``multiplicative_noise``, ``pcm_noise``,
    ``clip``, ``quantize_levels``, ``noise_scale``; all off by default), or ``config=cfg`` an
    `HWAConfig`: hardware-aware training, see `HWAConfig`. E.g. ``weight_noise=0.05`` (noise
    injection, Joshi et al., Nat. Commun. 11, 2473, 2020): every mini-batch's forward and backward
    pass use weights with additive Gaussian noise of standard deviation ``weight_noise * max|W|``
    per layer, drawn afresh; the update goes to the clean weights. A bad value raises ValueError
    naming the argument, an unknown name TypeError."""
    training = MLPTraining(X, y, hidden, epochs, learning_rate, batch_size, seed, **config)
    while not training.done:
        training.run_epoch()
    return MLP(tuple(training.W), tuple(training.b))


def load_mlp(variant: str = "plain", path: str | os.PathLike[str] = MLP_FILE) -> MLP:
    """The shipped MLP `variant` from `assets/mlp_digits.npz`: one of `MLP_VARIANTS` ("plain",
    "hwa") or a hardware-aware network of `SHIPPED_NETWORKS` (e.g. ``"PCM-like x1.25"``)."""
    if variant not in SHIPPED_NETWORKS:
        raise ValueError(
            f"variant must be one of {list(MLP_VARIANTS)} or a name of SHIPPED_NETWORKS "
            f"(e.g. {list(SHIPPED_NETWORKS)[-1]!r}), got {variant!r}"
        )
    names = [f"{variant}_{kind}{k}" for kind in ("W", "b") for k in (0, 1)]
    arrays = _load(path, names, MLP_COMMAND)
    return MLP((arrays[names[0]], arrays[names[1]]), (arrays[names[2]], arrays[names[3]]))
