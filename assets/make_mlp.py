"""Regenerate `assets/mlp_digits.npz`: the digits MLP (64-32-10, ReLU), trained in floating point
("plain") and hardware-aware ("hwa": Gaussian weight noise of 5 % of each layer's largest weight
injected in every mini-batch).

    python assets/make_mlp.py

Training: `explorer.models.training.mlp.train_mlp` (Adam, learning rate 0.01, batch 32, 60 epochs,
seed 0) on the training split of `assets/digits.npz`. Arrays ``<variant>_W0``, ``<variant>_W1``,
``<variant>_b0``, ``<variant>_b1`` and ``<variant>_test_accuracy``.
"""

import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from explorer.models.digits import MLP_FILE, load_digits  # noqa: E402
from explorer.models.training.mlp import MLP_VARIANT_CONFIGS, SHIPPED_EPOCHS, SHIPPED_SEED, train_mlp  # noqa: E402


def main():
    d = load_digits()
    arrays = {}
    for variant, config in MLP_VARIANT_CONFIGS.items():
        net = train_mlp(d.X_train, d.y_train, seed=SHIPPED_SEED, epochs=SHIPPED_EPOCHS, config=config)
        acc = net.accuracy(d.X_test, d.y_test)
        arrays.update(
            {
                f"{variant}_W0": net.W[0],
                f"{variant}_W1": net.W[1],
                f"{variant}_b0": net.b[0],
                f"{variant}_b1": net.b[1],
                f"{variant}_test_accuracy": acc,
            }
        )
        print(f"{variant} MLP ({config}): test accuracy {acc:.4f} ({len(d.y_test)} images)")
    np.savez_compressed(MLP_FILE, **arrays)
    print(f"wrote {MLP_FILE}")


if __name__ == "__main__":
    main()
