"""A trained MLP deployed on simulated analog arrays, and its accuracy against time.

Each layer's weights are programmed on a crossbar (`CrossbarModel.program`: the chosen
technology, mapping, slicing, programming method and read-out); activations and biases stay
digital. A layer's inputs are scaled into the DAC range by a fixed factor set at deployment (the
largest input the floating-point network sees on the training split), its outputs scaled back.

Drift compensation (physics reference section 8, aihwkit's convention; `crossbar.calibration.drift_factor`):
right after programming, before any read disturb, each layer is read with one-hot inputs
(``eye(n_in)``) and the reference kept (`DeployedMLP.calibrate`); ``"global"`` scales the outputs
at time t by ``ref / mean|y(t)|``, ``"per-column"`` each output j by ``ref_j / mean_i |y_ij(t)|``,
every readout floored at 1e-4 (units of W) as aihwkit's compensations floor theirs. The
calibration reads draw their noise from the calibration stream, never from the evaluation reads.

Seeds (`kernels.rng.derive_seed`): chip c programs layer k with ``derive_seed(seed, "programming",
c * 16 + k)``. A read is keyed by what is read, not by its place in a request: layer k of chip c
read at time t after n reads since programming draws its noise from `read_seed` ``(seed, "read", c,
k, t, n)`` (the 64 bits of the float t and of n chained through `derive_seed`), its calibration read
from ``(seed, "calibration", c, k, t, n)`` and its reference from ``(seed, "calibration", c, k, 0, 0)``.
So the accuracy at one time, or after one read count, is the same whatever other times or counts
are asked for with it.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from kernels import flash, rng
from kernels.validate import check_seed, positive_int

from .crossbar.calibration import drift_factor
from .crossbar.model import CrossbarModel
from .digits import load_digits
from .training.mlp import load_mlp

if TYPE_CHECKING:
    from ._internal.memo import Settings
    from .training.mlp import MLP

COMPENSATIONS = ("none", "global", "per-column")
POLARITIES = ("unipolar", "bipolar")
MAX_LAYERS = 16
MAX_TIMES = 4096
MAX_READS = 10**12
READ_DISTURB_TIME_S = 3600.0
"""Read disturb is evaluated one hour after programming (relaxation at 1 h, then the reads' shift)."""
MAX_KEPT_SEEDS = 4096
"""Read seeds a deployed chip keeps (`DeployedMLP._seed`; a curve's times and read counts need a
few hundred); all are dropped when full, and computed again as asked for."""


def check_compensation(compensation: str) -> Literal["none", "global", "per-column"]:
    """`compensation` if it is one of `COMPENSATIONS`; `ValueError` naming it otherwise."""
    if compensation not in COMPENSATIONS:
        raise ValueError(f"compensation must be one of {list(COMPENSATIONS)}, got {compensation!r}")
    return compensation


def _real_array(values, name):
    """`values` as a flat float64 array if every entry is a real number (no strings, no booleans);
    `ValueError` naming `name` otherwise."""
    a = np.asarray(values)
    if a.dtype == object and all(
        isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)) for v in a.ravel()
    ):
        a = a.astype(np.float64)
    if a.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be real numbers, got {values!r}")
    return a.astype(np.float64).ravel()


def read_seed(
    seed: int, purpose: Literal["read", "calibration"], chip: int, layer: int, t_s: float, reads: int = 0
) -> int:
    """The seed of one read of one layer (`kernels.rng.derive_seed`, `purpose` "read" or
    "calibration"): layer `layer` of chip `chip`, read `t_s` seconds after programming after `reads`
    reads since programming. ``derive_seed(seed, purpose, chip * MAX_LAYERS + layer)`` is chained
    through the high and low 32 bits of the float64 `t_s` and of `reads`, so every distinct time or
    count has its own stream and a read's noise does not depend on which other reads were made."""
    s = rng.derive_seed(seed, purpose, chip * MAX_LAYERS + layer)
    bits = int(np.float64(t_s).view(np.uint64))
    for part in (bits >> 32, bits & 0xFFFFFFFF, int(reads) >> 32, int(reads) & 0xFFFFFFFF):
        s = rng.derive_seed(s, purpose, part)
    return s


def check_times(times_s: ArrayLike) -> np.ndarray:
    """Times (s) as a float array: positive, finite and increasing; `ValueError` naming `times_s` otherwise."""
    t = _real_array(times_s, "times_s")
    if t.size == 0 or t.size > MAX_TIMES:
        raise ValueError(f"times_s must hold 1 to {MAX_TIMES} times, got {t.size}")
    if not np.all(np.isfinite(t)) or np.any(t <= 0.0):
        raise ValueError("times_s must be positive and finite (seconds after programming)")
    if np.any(np.diff(t) <= 0.0):
        raise ValueError("times_s must be increasing")
    return t


class DeployedMLP:
    """`net` programmed on one chip: one `ProgrammedCrossbar` per layer from crossbar model `xb`."""

    def __init__(
        self,
        net: MLP,
        xb: CrossbarModel,
        seed: int,
        chip: int = 0,
        method: Literal["statistical", "one-shot", "verify", "gdp"] = "statistical",
        input_scales: Sequence[float] | None = None,
    ) -> None:
        self.net = net
        self.seed = check_seed(seed)
        self.chip = chip
        self.layers = [
            xb.program(W, seed=rng.derive_seed(seed, "programming", chip * MAX_LAYERS + k), method=method)
            for k, W in enumerate(net.W)
        ]
        for layer in self.layers:  # each batch is read once: no digest, no memo entry for its analog part
            layer.readout.analog_memo_bytes = 0
        self.x_max = xb.x_max
        self.settings = xb.read_settings()  # read once: the model does not change during an evaluation
        self.input_scales = input_scales if input_scales is not None else [1.0] * len(net.W)
        self._refs = {}
        self._seeds = {}  # (purpose, layer, time, reads) -> read seed (`_seed`)

    def _read(self, k, X, t, seed):
        """Layer k's outputs (units of W) for inputs `X` in units of the layer's input scale."""
        return self._read_times(k, np.asarray(X)[None], (t,), (seed,))[0]

    def _read_times(self, k, X, times, seeds, snapshots=None):
        """`_read` of several reads at once: read ``i`` of inputs ``X[i]`` at ``times[i]`` with
        ``seeds[i]`` (`ProgrammedCrossbar.mvm_times`), or of the devices as ``snapshots[i]`` found
        them (`ProgrammedCrossbar.mvm_snapshots`); a 2-D `X` is read at every time."""
        s = self.input_scales[k]
        x = np.clip(X / s, -1.0, 1.0) * self.x_max
        if x.ndim == 2:
            x = np.broadcast_to(x, (len(times), *x.shape))
        layer = self.layers[k]
        if snapshots is not None:
            return layer.mvm_snapshots(x, snapshots) * (s / self.x_max)
        return layer.mvm_times(x, times, seeds, settings=self.settings) * (s / self.x_max)

    def _seed(self, purpose, k, t, reads):
        """`read_seed` of this chip's layer k, kept: a curve asks for the same ones at every update."""
        key = (purpose, k, t, reads)
        seed = self._seeds.get(key)
        if seed is None:
            if len(self._seeds) >= MAX_KEPT_SEEDS:
                self._seeds.clear()
            seed = self._seeds[key] = read_seed(self.seed, purpose, self.chip, k, t, reads)
        return seed

    def _reads(self, k):
        """Reads applied to layer k's devices since programming (read disturb; 0 for most technologies)."""
        return int(getattr(self.layers[k].array, "reads", 0))

    def _calibration_times(self, k, times, reads, snapshots=None):
        """Per time, the mean |y_ij| over the one-hot inputs of each output j of layer k (of the
        devices as ``snapshots[i]`` found them, if given: `_read_times`)."""
        eye = np.eye(self.net.W[k].shape[0]) * self.input_scales[k]
        seeds = None if snapshots is not None else [self._seed("calibration", k, t, reads) for t in times]
        return np.abs(self._read_times(k, eye, times, seeds, snapshots)).mean(axis=1)

    def calibrate(self) -> None:
        """Read every layer's compensation reference with the current read settings (one-hot
        inputs at t = 0, which also sets a calibrated ADC's ranges), unless already read. It must
        be read before any reads disturb the devices (`evaluate_reads` calls it first);
        `ValueError` otherwise."""
        for k in range(len(self.layers)):
            key = (k, self.settings.key())
            if key in self._refs:
                continue
            if self._reads(k):
                raise ValueError(
                    "compensation: the calibration reference must be read right after programming, "
                    f"before any reads; layer {k} has had {self._reads(k)} reads (call calibrate() "
                    "before set_reads)"
                )
            self._refs[key] = self._calibration_times(k, (0.0,), 0)[0]

    def _factors(self, k, times, compensation, snapshots=None):
        """The drift-compensation factor of layer k at each time, shaped to multiply its
        ``(times, B, outputs)`` outputs (1 without compensation); with `snapshots`, of the
        devices as they found them (their calibration reads)."""
        if compensation == "none":
            return 1.0
        self.calibrate()
        ref = self._refs[(k, self.settings.key())]
        now = self._calibration_times(k, times, self._reads(k), snapshots)
        factors = [drift_factor(ref, now_t, compensation) for now_t in now]
        return np.array(factors).reshape(len(times), 1, -1)

    def logits(
        self, X: ArrayLike, t: float, compensation: Literal["none", "global", "per-column"] = "none"
    ) -> np.ndarray:
        """Logits of inputs `X` read at `t` seconds after programming (read noise from `read_seed`
        of this chip, layer, time and read count), digital biases and ReLU."""
        return self.logits_times(X, (t,), compensation)[0]

    def logits_reads(
        self,
        X: ArrayLike,
        reads: Sequence[int],
        polarity: Literal["unipolar", "bipolar"],
        v_read: float | None,
        t: float,
        compensation: Literal["none", "global", "per-column"] = "none",
    ) -> np.ndarray:
        """Logits ``(len(reads), B, classes)`` of inputs `X` read at `t` seconds after programming,
        after each count of `reads` reads of `polarity` at `v_read` volts since programming (read
        disturb): `logits` with every layer set to that count, in one read per layer for all the
        counts (each count's devices as a `ReadSnapshot`,
        `ProgrammedCrossbar.snapshots_after_reads`; with compensation, its calibration read of
        each count's devices likewise). The layers are left as programmed; `calibrate` must have
        been called first."""
        counts = [int(n) for n in reads]
        times = [t] * len(counts)
        h = np.asarray(X, dtype=np.float64)
        for k, layer in enumerate(self.layers):
            # The compensation's calibration read of each count's devices, as `_factors` reads
            # them, taken with the read's: same devices, the calibration's seed.
            purposes = ("read",) if compensation == "none" else ("read", "calibration")
            seeds = [self._seed(purpose, k, t, n) for purpose in purposes for n in counts]
            snapshots = layer.snapshots_after_reads(
                counts * len(purposes), t, seeds, polarity=polarity, v_read=v_read, settings=self.settings
            )
            y = self._read_times(k, h, times, None, snapshots[: len(counts)])
            y = y * self._factors(k, times, compensation, snapshots[len(counts) :]) + self.net.b[k]
            h = np.maximum(y, 0.0) if k < len(self.layers) - 1 else y
        return h

    def logits_times(
        self, X: ArrayLike, times_s: ArrayLike, compensation: Literal["none", "global", "per-column"] = "none"
    ) -> np.ndarray:
        """`logits` of inputs `X` at each of `times_s`, ``(times, B, classes)``: each layer is read at
        every time in one call (`ProgrammedCrossbar.mvm_times`), with the same numbers as one
        `logits` call per time."""
        times = [float(t) for t in np.atleast_1d(times_s)]
        h = np.asarray(X, dtype=np.float64)
        for k in range(len(self.layers)):
            reads = self._reads(k)
            seeds = [self._seed("read", k, t, reads) for t in times]
            y = self._read_times(k, h, times, seeds) * self._factors(k, times, compensation) + self.net.b[k]
            h = np.maximum(y, 0.0) if k < len(self.layers) - 1 else y
        return h


def input_scales(net: MLP, X: ArrayLike) -> list[float]:
    """Per layer, the largest input the floating-point network sees on `X` (the DAC's full scale)."""
    scales, h = [], np.asarray(X, dtype=np.float64)
    for k, (W, b) in enumerate(zip(net.W, net.b)):
        scales.append(float(max(np.abs(h).max(), 1e-12)))
        h = h @ W + b
        if k < len(net.W) - 1:
            h = np.maximum(h, 0.0)
    return scales


def deploy(
    net: MLP,
    xb: CrossbarModel,
    seed: int,
    chips: int,
    method: Literal["statistical", "one-shot", "verify", "gdp"] = "statistical",
    scales: Sequence[float] | None = None,
) -> list[DeployedMLP]:
    """`chips` copies of `net` programmed on crossbar model `xb` (one `DeployedMLP` per chip)."""
    return [DeployedMLP(net, xb, seed, chip=c, method=method, input_scales=scales) for c in range(chips)]


def evaluate(
    deployed: Sequence[DeployedMLP],
    X: ArrayLike,
    y: ArrayLike,
    times_s: ArrayLike,
    compensation: Literal["none", "global", "per-column"],
    settings: Settings,
) -> np.ndarray:
    """Accuracy ``(chips, times)`` of the deployed chips on inputs `X`, labels `y`, each read at
    each time with the read-time `settings` (a `CrossbarModel.read_settings()` snapshot)."""
    check_compensation(compensation)
    acc = np.empty((len(deployed), len(times_s)))
    for c, chip in enumerate(deployed):
        chip.settings = settings
        logits = chip.logits_times(X, times_s, compensation)
        acc[c] = np.mean(np.argmax(logits, axis=2) == y, axis=1)
    return acc


def _check_counts(values, name, what, largest, most):
    """Whole counts in [0, `largest`], increasing, 1 to `most` of them, as int64; `ValueError` naming `name`."""
    c = _real_array(values, name)
    if c.size == 0 or c.size > most:
        raise ValueError(f"{name} must hold 1 to {most} counts, got {c.size}")
    if not np.all(np.isfinite(c)) or np.any(c < 0) or np.any(c > largest) or np.any(c != np.round(c)):
        raise ValueError(f"{name} must be whole numbers of {what} in [0, {largest:.0e}]")
    if np.any(np.diff(c) <= 0):
        raise ValueError(f"{name} must be increasing")
    return c.astype(np.int64)


def check_reads(reads: ArrayLike) -> np.ndarray:
    """Read counts as an int64 array: whole numbers in [0, 1e12], increasing."""
    return _check_counts(reads, "reads", "reads", MAX_READS, MAX_TIMES)


def check_polarity(polarity: str) -> Literal["unipolar", "bipolar"]:
    if polarity not in POLARITIES:
        raise ValueError(f"polarity must be one of {list(POLARITIES)}, got {polarity!r}")
    return polarity


def evaluate_reads(
    deployed: Sequence[DeployedMLP],
    X: ArrayLike,
    y: ArrayLike,
    reads: ArrayLike,
    polarity: Literal["unipolar", "bipolar"],
    v_read: float | None,
    compensation: Literal["none", "global", "per-column"],
    settings: Settings,
    t_s: float = READ_DISTURB_TIME_S,
) -> np.ndarray:
    """Accuracy ``(chips, len(reads))`` of deployed RRAM chips after each number of reads of
    `polarity` at `v_read` volts (every device read that many times since programming, then read
    at `t_s`), or of Flash chips after that many inference reads ("unipolar"; `v_read` does not
    enter). The chips are left as programmed (no reads) afterwards."""
    check_compensation(compensation)
    acc = np.empty((len(deployed), len(reads)))
    for c, chip in enumerate(deployed):
        chip.settings = settings
        chip.calibrate()  # references and ADC ranges, before any read disturbs the devices
        logits = chip.logits_reads(X, reads, polarity, v_read, t_s, compensation)
        acc[c] = np.mean(np.argmax(logits, axis=2) == y, axis=1)
    return acc


def reads_before_loss(reads: ArrayLike, mean: ArrayLike, loss: float) -> float | None:
    """The number of reads at which the mean accuracy first falls `loss` below its value at the
    first count (log-linear interpolation between counts), or None if it never does."""
    reads, mean = np.asarray(reads, dtype=float), np.asarray(mean, dtype=float)
    limit = mean[0] - loss
    below = np.nonzero(mean <= limit)[0]
    if below.size == 0:
        return None
    i = int(below[0])
    if i == 0:
        return float(reads[0])
    lo, hi = max(reads[i - 1], 1.0), reads[i]
    f = (mean[i - 1] - limit) / (mean[i - 1] - mean[i])
    return float(np.exp(np.log(lo) + f * (np.log(hi) - np.log(lo))))


def summary(
    x: ArrayLike, acc: np.ndarray, float_accuracy: float, x_name: str = "times_s"
) -> dict[str, np.ndarray | float]:
    """The curve's arrays from the per-chip accuracies (see `accuracy_vs_time`), its points `x`
    under `x_name` (``"reads"`` for a read-disturb curve)."""
    chips = acc.shape[0]
    sd = acc.std(axis=0, ddof=1) if chips > 1 else np.full(acc.shape[1], np.nan)  # one chip: no spread known
    return {
        x_name: np.asarray(x),
        "per_chip": acc,
        "mean": acc.mean(axis=0),
        "sd": sd,
        "ci95": 1.96 * sd / np.sqrt(chips),
        "float_accuracy": float_accuracy,
    }


def accuracy_vs_time(
    times_s: ArrayLike,
    *,
    chips: int = 10,
    seed: int = 0,
    compensation: Literal["none", "global", "per-column"] = "none",
    variant: Literal["plain", "hwa"] = "plain",
    programming_method: Literal["statistical", "one-shot", "verify", "gdp"] = "statistical",
    technology: Literal["PCM", "PCM-HERMES", "RRAM", "Flash", "ECRAM", "Soft-bounds"] = "PCM",
    device: Mapping[str, Any] | None = None,
    **crossbar: Any,
) -> dict[str, np.ndarray | float]:
    """Test accuracy of the digits MLP on `chips` simulated chips at each time in `times_s` (s).

    `crossbar`: settings of the `CrossbarModel` (mapping, n_slices, dac_bits, adc_bits, ...);
    `device`: knobs of its device (drift_scale, read_noise_scale, ...). Returns a dict of arrays:
    ``times_s``, ``per_chip`` (chips x times), ``mean``, ``sd`` (chip to chip), ``ci95``
    (half-width of the 95 % interval of the mean, 1.96 sd / sqrt(chips): the band, which narrows as
    chips grow; NaN, like ``sd``, for a single chip) and ``float_accuracy`` (the floating-point
    network's). Each point's reads are keyed by its time (`read_seed`): the accuracy at a time
    does not depend on the other times asked for."""
    t = check_times(times_s)
    chips, seed, net, data, xb = _setup(chips, seed, compensation, variant, technology, device, crossbar)
    deployed = deploy(net, xb, seed, chips, programming_method, input_scales(net, data.X_train))
    acc = evaluate(deployed, data.X_test, data.y_test, t, compensation, xb.read_settings())
    return summary(t, acc, net.accuracy(data.X_test, data.y_test))


def _setup(chips, seed, compensation, variant, technology, device, crossbar):
    chips = positive_int(chips, "chips", 1, 1000)
    seed = check_seed(seed)
    check_compensation(compensation)
    net, data = load_mlp(variant), load_digits()
    xb = CrossbarModel(technology=technology, **crossbar)
    if device:
        xb.device.param.update(**device)
    return chips, seed, net, data, xb


def accuracy_vs_reads(
    reads: ArrayLike,
    *,
    polarity: Literal["unipolar", "bipolar"] = "unipolar",
    v_read: float = 0.3,
    chips: int = 10,
    seed: int = 0,
    compensation: Literal["none", "global", "per-column"] = "none",
    variant: Literal["plain", "hwa"] = "plain",
    programming_method: Literal["statistical", "one-shot", "verify", "gdp"] = "statistical",
    device: Mapping[str, Any] | None = None,
    **crossbar: Any,
) -> dict[str, np.ndarray | float]:
    """Test accuracy of the digits MLP on `chips` RRAM chips after each number of `reads` (every
    device read that often since programming, `polarity` "unipolar" or "bipolar" at `v_read` volts;
    `RRAMDevice.read_disturb`), read one hour after programming. `device`: RRAM knobs and
    read-disturb constants; `crossbar`: `CrossbarModel` settings. Returns the `summary` arrays
    with ``reads`` in place of ``times_s``."""
    r = check_reads(reads)
    check_polarity(polarity)
    chips, seed, net, data, xb = _setup(chips, seed, compensation, variant, "RRAM", device, crossbar)
    deployed = deploy(net, xb, seed, chips, programming_method, input_scales(net, data.X_train))
    acc = evaluate_reads(deployed, data.X_test, data.y_test, r, polarity, v_read, compensation, xb.read_settings())
    return summary(r, acc, net.accuracy(data.X_test, data.y_test), x_name="reads")


def accuracy_vs_flash_reads(
    reads: ArrayLike,
    *,
    cells_per_bitline: int = flash.CELLS_PER_BITLINE,
    chips: int = 10,
    seed: int = 0,
    compensation: Literal["none", "global", "per-column"] = "none",
    variant: Literal["plain", "hwa"] = "plain",
    programming_method: Literal["statistical", "one-shot", "verify", "gdp"] = "statistical",
    device: Mapping[str, Any] | None = None,
    **crossbar: Any,
) -> dict[str, np.ndarray | float]:
    """Test accuracy of the digits MLP on `chips` NOR-Flash chips after each number of inference
    `reads` of every array, read one hour after programming. Each inference read reads the
    `cells_per_bitline` rows of a bit line one at a time, so each cell sits unselected under the
    pass voltage ``cells_per_bitline - 1`` times per read and its V_th creeps up
    (`kernels.flash.read_disturb`, illustrative constants); fewer cells per bit line is the
    mitigation. `device`: other Flash knobs; `crossbar`: `CrossbarModel` settings. Seeds as
    `accuracy_vs_reads`. Returns the `summary` arrays with ``reads`` in place of ``times_s``."""
    r = check_reads(reads)
    cells_per_bitline = positive_int(cells_per_bitline, "cells_per_bitline", 1, flash.MAX_CELLS_PER_BITLINE)
    device = {**(device or {}), "cells_per_bitline": cells_per_bitline}
    chips, seed, net, data, xb = _setup(chips, seed, compensation, variant, "Flash", device, crossbar)
    deployed = deploy(net, xb, seed, chips, programming_method, input_scales(net, data.X_train))
    acc = evaluate_reads(deployed, data.X_test, data.y_test, r, "unipolar", None, compensation, xb.read_settings())
    return summary(r, acc, net.accuracy(data.X_test, data.y_test), x_name="reads")


def check_cycles(cycles: ArrayLike) -> np.ndarray:
    """P/E cycle counts as an int64 array: whole numbers in [0, 1e6], increasing."""
    return _check_counts(cycles, "cycles", "program/erase cycles", 10**6, 64)


def accuracy_vs_cycles(
    cycles: ArrayLike,
    times_s: ArrayLike,
    *,
    chips: int = 10,
    seed: int = 0,
    compensation: Literal["none", "global", "per-column"] = "none",
    variant: Literal["plain", "hwa"] = "plain",
    programming_method: Literal["statistical", "one-shot", "verify", "gdp"] = "statistical",
    device: Mapping[str, Any] | None = None,
    **crossbar: Any,
) -> dict[str, np.ndarray | float]:
    """Test accuracy of the digits MLP on `chips` NOR-Flash chips whose cells have been through
    each number of program/erase `cycles` before this programming (oxide wear widens the programmed
    V_th distribution, `kernels.flash.program`), read after each retention time in `times_s` (s;
    charge loss). Returns ``cycles``, ``times_s``, ``mean`` and ``ci95`` ``(cycles, times)`` and
    ``float_accuracy``."""
    c = check_cycles(cycles)
    t = check_times(times_s)
    chips, seed, net, data, _ = _setup(chips, seed, compensation, variant, "Flash", device, crossbar)
    mean, ci = np.empty((c.size, t.size)), np.empty((c.size, t.size))
    for i, n in enumerate(c):
        xb = CrossbarModel(technology="Flash", **crossbar)
        xb.device.param.update(**{**(device or {}), "pe_cycles": int(n)})
        deployed = deploy(net, xb, seed, chips, programming_method, input_scales(net, data.X_train))
        s = summary(t, evaluate(deployed, data.X_test, data.y_test, t, compensation, xb.read_settings()), 0.0)
        mean[i], ci[i] = s["mean"], s["ci95"]
    return {
        "cycles": c,
        "times_s": t,
        "mean": mean,
        "ci95": ci,
        "float_accuracy": net.accuracy(data.X_test, data.y_test),
    }


def technology_comparison(
    times_s: ArrayLike,
    *,
    technologies: Iterable[Literal["PCM", "PCM-HERMES", "RRAM", "Flash", "ECRAM", "Soft-bounds"]] | None = None,
    chips: int = 10,
    seed: int = 0,
    compensation: Literal["none", "global", "per-column"] = "none",
    variant: Literal["plain", "hwa"] = "plain",
    programming_method: Literal["statistical", "one-shot", "verify", "gdp"] = "statistical",
    **crossbar: Any,
) -> dict[str, dict[str, np.ndarray | float]]:
    """`accuracy_vs_time` for each technology preset (default: every one, `TECHNOLOGIES`) on the same
    network, encoding, compensation, chips and seed: a dict technology -> its `summary` arrays."""
    from .devices import TECHNOLOGIES

    names = list(TECHNOLOGIES) if technologies is None else list(technologies)
    unknown = sorted(set(names) - set(TECHNOLOGIES))
    if unknown or not names:
        raise ValueError(f"technologies must name presets among {list(TECHNOLOGIES)}, got {technologies!r}")
    return {
        name: accuracy_vs_time(
            times_s,
            chips=chips,
            seed=seed,
            compensation=compensation,
            variant=variant,
            programming_method=programming_method,
            technology=name,
            **crossbar,
        )
        for name in names
    }
