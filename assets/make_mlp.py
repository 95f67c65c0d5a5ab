"""Regenerate `assets/mlp_digits.npz`: the digits MLP (64-32-10, ReLU) trained in floating point.

    python assets/make_mlp.py

Training: `explorer.models.network.train_mlp` (Adam, learning rate 0.01, batch 32, 60 epochs,
seed 0) on the training split of `assets/digits.npz`. Arrays ``plain_W0``, ``plain_W1``,
``plain_b0``, ``plain_b1`` and ``plain_test_accuracy``.
"""

import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from explorer.models.digits import MLP_FILE, load_digits  # noqa: E402
from explorer.models.network import train_mlp  # noqa: E402

SEED = 0


def main():
    d = load_digits()
    net = train_mlp(d.X_train, d.y_train, seed=SEED)
    acc = net.accuracy(d.X_test, d.y_test)
    np.savez_compressed(MLP_FILE, plain_W0=net.W[0], plain_W1=net.W[1], plain_b0=net.b[0], plain_b1=net.b[1],
                        plain_test_accuracy=acc)
    print(f"wrote {MLP_FILE}: plain MLP, test accuracy {acc:.4f} ({len(d.y_test)} images)")


if __name__ == "__main__":
    main()
