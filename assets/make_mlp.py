"""Regenerate `assets/mlp_digits.npz`: the digits MLP (64-32-10, ReLU), trained in floating point
("plain"), hardware-aware ("hwa": Gaussian weight noise of 5 % of each layer's largest weight
injected in every mini-batch), and hardware-aware with each noise of the Reliability dashboard at
every position of its training-noise slider (``"PCM-like x1.25"``: `SHIPPED_NETWORKS`), so that
the slider loads a network instead of training one.

    python assets/make_mlp.py

Training: `explorer.models.training.mlp.train_mlp` (Adam, learning rate 0.01, batch 32, 60 epochs,
seed 0) on the training split of `assets/digits.npz`. Arrays ``<name>_W0``, ``<name>_W1``,
``<name>_b0``, ``<name>_b1`` and ``<name>_test_accuracy`` for every name of `SHIPPED_NETWORKS`.
"""

import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from explorer.models.digits import MLP_FILE, load_digits  # noqa: E402
from explorer.models.training.mlp import SHIPPED_EPOCHS, SHIPPED_NETWORKS, SHIPPED_SEED, train_mlp  # noqa: E402


def main():
    d = load_digits()
    arrays = {}
    for name, config in SHIPPED_NETWORKS.items():
        net = train_mlp(d.X_train, d.y_train, seed=SHIPPED_SEED, epochs=SHIPPED_EPOCHS, config=config)
        acc = net.accuracy(d.X_test, d.y_test)
        arrays.update(
            {
                f"{name}_W0": net.W[0],
                f"{name}_W1": net.W[1],
                f"{name}_b0": net.b[0],
                f"{name}_b1": net.b[1],
                f"{name}_test_accuracy": acc,
            }
        )
        print(f"{name} MLP ({config}): test accuracy {acc:.4f} ({len(d.y_test)} images)")
    np.savez_compressed(MLP_FILE, **arrays)
    print(f"wrote {MLP_FILE}")


if __name__ == "__main__":
    main()
