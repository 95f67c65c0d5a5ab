"""A small MLP for the digits (64-32-10, ReLU, digital biases), trained with NumPy.

`train_mlp` trains it by mini-batch Adam on softmax cross-entropy (Kingma and Ba, ICLR 2015), He
initialisation, a fixed seed (``derive_seed(seed, "training")``). `MLP` holds the layers' weights
``W`` (n_in x n_out, as the crossbar's ``X @ W``) and biases; `load_mlp` reads the shipped network
from `assets/mlp_digits.npz` (``python assets/make_mlp.py`` regenerates it).
"""

from dataclasses import dataclass

import numpy as np

from kernels.rng import derive_seed
from kernels.validate import check_seed, positive_int, scalar_in_range

from .digits import MLP_FILE, _load

MLP_COMMAND = "python assets/make_mlp.py"
MLP_VARIANTS = ("plain", "hwa")
"""Networks shipped in `assets/mlp_digits.npz`: "plain" is trained in floating point, "hwa"
hardware-aware (`train_mlp` with ``weight_noise=0.05``)."""


@dataclass(frozen=True)
class MLP:
    """Layer weights ``W[k]`` (n_in x n_out) and biases ``b[k]``; ReLU between layers, none after the last."""

    W: tuple
    b: tuple

    def forward(self, X):
        """Logits ``(n, 10)`` of inputs ``(n, 64)`` in floating point."""
        h = np.asarray(X, dtype=np.float64)
        for k, (W, b) in enumerate(zip(self.W, self.b)):
            h = h @ W + b
            if k < len(self.W) - 1:
                h = np.maximum(h, 0.0)
        return h

    def accuracy(self, X, y):
        """Share of inputs whose largest logit is their label."""
        return float(np.mean(np.argmax(self.forward(X), axis=1) == y))


def _init(sizes, rand):
    W = [rand.normal(0.0, np.sqrt(2.0 / n_in), (n_in, n_out)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    b = [np.zeros(n_out) for n_out in sizes[1:]]
    return W, b


def train_mlp(X, y, hidden=32, epochs=60, learning_rate=0.01, batch_size=32, seed=0, weight_noise=0.0):
    """An `MLP` (64-hidden-10) trained on `X` ``(n, 64)`` in [0, 1] and labels `y` by Adam.

    `weight_noise` > 0 trains hardware-aware (noise injection, Joshi et al., Nat. Commun. 11, 2473,
    2020): every mini-batch's forward and backward pass use weights with additive Gaussian noise of
    standard deviation ``weight_noise * max|W|`` per layer, drawn afresh; the update goes to the
    clean weights."""
    hidden = positive_int(hidden, "hidden", 1, 4096)
    epochs = positive_int(epochs, "epochs", 1, 10000)
    learning_rate = scalar_in_range(learning_rate, 1e-8, 10.0, "learning_rate")
    batch_size = positive_int(batch_size, "batch_size", 1, 100000)
    seed = check_seed(seed)
    weight_noise = scalar_in_range(weight_noise, 0.0, 1.0, "weight_noise")
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    n_classes = int(y.max()) + 1
    rand = np.random.default_rng(derive_seed(seed, "training"))
    W, b = _init([X.shape[1], hidden, n_classes], rand)
    params = W + b
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    beta1, beta2, eps, step = 0.9, 0.999, 1e-8, 0
    onehot = np.eye(n_classes)[y]
    for _ in range(epochs):
        order = rand.permutation(len(X))
        for start in range(0, len(X), batch_size):
            idx = order[start:start + batch_size]
            x, t = X[idx], onehot[idx]
            Wn = W
            if weight_noise > 0.0:
                Wn = [w + weight_noise * np.abs(w).max() * rand.standard_normal(w.shape) for w in W]
            z1 = x @ Wn[0] + b[0]
            h = np.maximum(z1, 0.0)
            z2 = h @ Wn[1] + b[1]
            p = np.exp(z2 - z2.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            g2 = (p - t) / len(idx)
            g1 = (g2 @ Wn[1].T) * (z1 > 0)
            grads = [x.T @ g1, h.T @ g2, g1.sum(axis=0), g2.sum(axis=0)]
            step += 1
            for k, (param_, g) in enumerate(zip(params, grads)):
                m[k] = beta1 * m[k] + (1 - beta1) * g
                v[k] = beta2 * v[k] + (1 - beta2) * g * g
                mh = m[k] / (1 - beta1 ** step)
                vh = v[k] / (1 - beta2 ** step)
                param_ -= learning_rate * mh / (np.sqrt(vh) + eps)
    return MLP(tuple(W), tuple(b))


def load_mlp(variant="plain", path=MLP_FILE):
    """The shipped MLP `variant` (`MLP_VARIANTS`) from `assets/mlp_digits.npz`."""
    if variant not in MLP_VARIANTS:
        raise ValueError(f"variant must be one of {list(MLP_VARIANTS)}, got {variant!r}")
    names = [f"{variant}_{kind}{k}" for kind in ("W", "b") for k in (0, 1)]
    arrays = _load(path, names, MLP_COMMAND)
    return MLP((arrays[names[0]], arrays[names[1]]), (arrays[names[2]], arrays[names[3]]))
