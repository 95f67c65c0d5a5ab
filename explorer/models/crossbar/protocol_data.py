"""The matrix-vector-product protocol's data (physics reference section 12): weights, evaluation
inputs and calibration inputs, each from its own random stream of one seed (`kernels.rng`), so
that no draw of one purpose correlates with another's under the same user seed."""

from __future__ import annotations

import numpy as np

from kernels import rng
from kernels.validate import check_seed


def protocol_inputs(n: int, rows: int, seed: int, x_max: float = 1.0) -> np.ndarray:
    """Inputs of the MVM protocol of section 12: uniform in [-x_max, x_max] with 50 % zeros.

    Drawn from a stream of their own (`rng.STREAM_INPUTS`): independent of the weights, of the
    programming and of the calibration inputs, even under the same seed."""
    return _sparse_uniform(n, rows, seed, rng.STREAM_INPUTS, 0.5) * x_max


def calibration_inputs(n: int, rows: int, seed: int, x_max: float = 1.0) -> np.ndarray:
    """Calibration inputs (physics reference section 8): distributed as `protocol_inputs` but from
    their own stream (`rng.STREAM_CALIBRATION`), so they are never the evaluation inputs."""
    return _sparse_uniform(n, rows, seed, rng.STREAM_CALIBRATION, 0.5) * x_max


def protocol_weights(rows: int, cols: int, seed: int) -> np.ndarray:
    """Weights of the MVM protocol of section 12: uniform in [-1, 1] with 30 % zeros, ``(rows, cols)``;
    from their own stream (`rng.STREAM_WEIGHTS`), independent of the programming noise."""
    return _sparse_uniform(rows, cols, seed, rng.STREAM_WEIGHTS, 0.3)


def _sparse_uniform(n, m, seed, stream, zeros):
    """``(n, m)`` uniform in [-1, 1] with a share `zeros` of exact zeros, from one stream of `seed`."""
    seed = check_seed(seed)
    u = rng.numpy_uniform(rng.numpy_stream_key(seed, stream), np.arange(2 * n * m))
    x = 2.0 * u[: n * m] - 1.0
    x[u[n * m :] < zeros] = 0.0
    return x.reshape(n, m)
