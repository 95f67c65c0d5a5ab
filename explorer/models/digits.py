"""The 8 x 8 handwritten digits and the MLP trained on them (the network of the deployment and
on-chip training studies), from `assets/`.

`load_digits()` reads `assets/digits.npz` (made by ``python assets/make_digits.py`` from the data
file scikit-learn ships; 1,797 images, a fixed stratified split of 1,438 training and 359 test
images) and checks its arrays against `DIGITS_SHA256`; `load_mlp()` reads `assets/mlp_digits.npz`
(made by ``python assets/make_mlp.py``). A missing or corrupted file raises `AssetError` naming
the file and the command that regenerates it. Pixels are scaled to [0, 1] (counts / 16).
"""

from __future__ import annotations

import hashlib
import pathlib
from dataclasses import dataclass

import numpy as np

ASSETS = pathlib.Path(__file__).resolve().parents[2] / "assets"
DIGITS_FILE = ASSETS / "digits.npz"
MLP_FILE = ASSETS / "mlp_digits.npz"
DIGITS_SHA256 = "793451d8c258e996a18cd163e651ca731826b1de922e5f57e3e1404ffc401e10"
"""SHA-256 of the arrays of `assets/digits.npz` (names, dtypes, shapes and bytes, in `DIGITS_NAMES` order)."""
PIXEL_MAX = 16.0
"""Largest pixel value of the 8 x 8 digits (counts of set bits in a 4 x 4 block)."""


class AssetError(RuntimeError):
    """A shipped data file is missing or corrupted; the message names the file and its command."""


def _digest(arrays, names):
    h = hashlib.sha256()
    for name in names:
        a = np.ascontiguousarray(arrays[name])
        h.update(name.encode() + str(a.dtype).encode() + str(a.shape).encode() + a.tobytes())
    return h.hexdigest()


def _load(path, names, command):
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {n: f[n] for n in names}
    except FileNotFoundError:
        raise AssetError(f"{path} is missing; regenerate it with: {command}") from None
    except Exception as exc:  # a truncated or overwritten file
        raise AssetError(
            f"{path} cannot be read ({exc.__class__.__name__}: {exc}); regenerate it with: {command}"
        ) from None
    return arrays


@dataclass(frozen=True)
class Digits:
    """The digits split: inputs in [0, 1] ``(n, 64)`` and labels ``(n,)``."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


DIGITS_NAMES = ("images", "labels", "train_index", "test_index")
DIGITS_COMMAND = "pip install scikit-learn && python assets/make_digits.py"


def load_digits(path: str | pathlib.Path = DIGITS_FILE) -> Digits:
    """The digits set with its fixed split, checked against `DIGITS_SHA256`."""
    arrays = _load(path, DIGITS_NAMES, DIGITS_COMMAND)
    digest = _digest(arrays, DIGITS_NAMES)
    if digest != DIGITS_SHA256:
        raise AssetError(
            f"{path} does not hold the expected digits (SHA-256 {digest[:12]}..., expected "
            f"{DIGITS_SHA256[:12]}...); regenerate it with: {DIGITS_COMMAND}"
        )
    X = arrays["images"].astype(np.float64) / PIXEL_MAX
    y = arrays["labels"].astype(np.int64)
    tr, te = arrays["train_index"].astype(np.int64), arrays["test_index"].astype(np.int64)
    return Digits(X[tr], y[tr], X[te], y[te])
