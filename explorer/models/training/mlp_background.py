"""Training the digits MLP hardware-aware in the background, a few epochs at a time (no Panel here).

`NetworkTraining(config, seed, epochs)` trains exactly as ``mlp.train_mlp(X_train, y_train,
seed=seed, epochs=epochs, config=config)`` on the digits' training split (the final network is
equal bit for bit), but one `step` at a time, so that a server thread can train while another
thread shows `progress`. `shipped_variant_for` says when no training is needed: the config, seed and
epochs of a network shipped in `assets/mlp_digits.npz` (`mlp.SHIPPED_NETWORKS`).
"""

from __future__ import annotations

import threading
import time
import types
from typing import TYPE_CHECKING

from kernels.validate import scalar_in_range

from ..digits import load_digits
from .mlp import SHIPPED_EPOCHS, SHIPPED_NETWORKS, SHIPPED_SEED, HWAConfig, MLPTraining, hwa_config

if TYPE_CHECKING:
    from ..digits import Digits
    from .mlp import MLP


def shipped_variant_for(config: HWAConfig, seed: int = SHIPPED_SEED, epochs: int = SHIPPED_EPOCHS) -> str | None:
    """The name in `mlp.SHIPPED_NETWORKS` ("plain", "hwa", or a scaled hardware-aware network such
    as ``"PCM-like x1.25"``) of the shipped network that training with `config` (an `HWAConfig`),
    `seed` and `epochs` gives (compared by `HWAConfig.effective`, what the training computes with),
    else None."""
    config = hwa_config(config)
    if seed != SHIPPED_SEED or epochs != SHIPPED_EPOCHS:
        return None
    return _SHIPPED_BY_EFFECTIVE.get(config.effective())


_SHIPPED_BY_EFFECTIVE = types.MappingProxyType(
    {config.effective(): name for name, config in reversed(SHIPPED_NETWORKS.items())}
)
"""`SHIPPED_NETWORKS`' names by what their training computes with (read only); where two train
alike, the first name ("plain" before a scaled one)."""


class NetworkTraining:
    """A steppable training of the digits MLP with an `HWAConfig`.

    `step(max_seconds)` trains whole epochs until the time budget is used (at least one while not
    `done`); `run_to_end()` trains the rest. `progress` (epochs done / epochs, in [0, 1]), `epoch`,
    `done` and `seconds` (training time so far) can be read from any thread while one thread steps;
    calls of `step` from two threads run one after the other. When done, `result()` is the `MLP`
    (equal bit for bit to `train_mlp`'s) and `test_accuracy` its floating-point accuracy on the
    test split. `digits` defaults to `digits.load_digits()`."""

    def __init__(
        self, config: HWAConfig | None = None, seed: int = 0, epochs: int = 60, digits: Digits | None = None
    ) -> None:
        self.config = hwa_config(config if config is not None else HWAConfig())
        data = load_digits() if digits is None else digits
        self._training = MLPTraining(data.X_train, data.y_train, epochs=epochs, seed=seed, config=self.config)
        self.seed, self.epochs = self._training.seed, self._training.epochs
        self._X_test, self._y_test = data.X_test, data.y_test
        self._lock = threading.Lock()  # guards the published state below
        self._step_lock = threading.Lock()  # one stepping thread at a time
        self._epoch = 0
        self._seconds = 0.0
        self._result = None
        self._test_accuracy = None

    def key(self) -> tuple[tuple[float, float, float, float, int, float], int, int]:
        """``(config.key(), seed, epochs)``: equal keys train equal networks."""
        return (self.config.key(), self.seed, self.epochs)

    @property
    def epoch(self) -> int:
        with self._lock:
            return self._epoch

    @property
    def progress(self) -> float:
        with self._lock:
            return self._epoch / self.epochs

    @property
    def done(self) -> bool:
        with self._lock:
            return self._result is not None

    @property
    def seconds(self) -> float:
        """Time spent training so far (s)."""
        with self._lock:
            return self._seconds

    @property
    def test_accuracy(self) -> float | None:
        """Floating-point accuracy of the result on the test split; None until done."""
        with self._lock:
            return self._test_accuracy

    def step(self, max_seconds: float = 0.1) -> int:
        """Train whole epochs until `max_seconds` have passed (at least one epoch unless done).
        Returns the number of epochs trained by this call."""
        max_seconds = scalar_in_range(max_seconds, 0.0, 86400.0, "max_seconds", " s")
        with self._step_lock:
            start = time.perf_counter()
            ran = 0
            while not self._training.done:
                t0 = time.perf_counter()
                epoch = self._training.run_epoch()
                ran += 1
                now = time.perf_counter()
                result = accuracy = None
                if self._training.done:
                    result = self._training.mlp()
                    accuracy = result.accuracy(self._X_test, self._y_test)
                with self._lock:
                    self._epoch = epoch
                    self._seconds += now - t0
                    if result is not None:
                        self._result, self._test_accuracy = result, accuracy
                if now - start >= max_seconds:
                    break
            return ran

    def run_to_end(self) -> MLP:
        """Train all remaining epochs; returns `result()`."""
        while not self.done:
            self.step(max_seconds=3600.0)
        return self.result()

    def result(self) -> MLP:
        """The trained `MLP`; RuntimeError while training is not done."""
        with self._lock:
            if self._result is None:
                raise RuntimeError(f"training is not done: epoch {self._epoch} of {self.epochs}")
            return self._result
