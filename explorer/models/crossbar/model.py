"""Crossbar model: a signed weight matrix encoded on devices, read out by DAC, array and ADC.

    xb = CrossbarModel(technology="PCM", mapping="differential", n_slices=2, adc_bits=8)
    prog = xb.program(W, seed=0)              # encode, program every device once
    Y = prog.mvm(X, t=3600.0, seed=1)         # fresh read noise at each call
    prog.weights(t=3600.0)                    # the weights the array holds at time t
    prog.error(X, t=3600.0, seed=1)           # MVM error, physics reference section 12

Programming-time parameters (technology, mapping, slicing, weight bits, stuck-at
fractions) are frozen in the `ProgrammedCrossbar`. Read-time parameters (DAC,
ADC, IR drop, common-mode gain and offset, gain calibration, and the device's
read knobs) are taken from the model at each `mvm`, so a slider on them does not
reprogram the array.

Units: conductances in uS, inputs in units of `x_max` volts-equivalent, outputs
in the units of ``W @ x`` (the read-out is rescaled digitally).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import numpy as np
import param
from numpy.typing import ArrayLike

from kernels import crossbar, encoding
from kernels.validate import check_seed, check_time, counts_of, finite_array

from .._internal.memo import Memo, Settings
from ..devices import TECHNOLOGIES, Device
from ..programming import ProgrammingMethod
from .calibration import Calibration
from .protocol_data import protocol_inputs, protocol_weights  # noqa: F401  (the protocol's data, re-exported)
from .readout import ReadOut
from .state import CrossbarState
from .weight_encoding import WeightEncoding, check_weights

if TYPE_CHECKING:
    from ..programming import ProgrammingRun

ADC_RANGES = ("calibrated", "full-scale")
CACHE_BYTES = 64 * 2**20
CACHE_ENTRIES = 128
"""Read-time results kept per programmed crossbar (device means and moments, the difference matrix, the
read matrices (difference and variance together), IR losses, ADC ranges, calibration references,
analog reads): at most CACHE_ENTRIES and CACHE_BYTES, least recently used dropped first, the newest
of each kind always kept. The dashboards' common-mode and wire sweeps read 10 to 21 settings in
turn; arrays up to 256 x 256 (the dashboards' defaults) hold a few MB, so the byte bound only acts
on large arrays: a 512 x 512 array of two slices needs 8 MB of means, 16 MB of moments and 4 MB of
matrices per read time (`nbytes` of each result), and a calibrated read needs them at t = 0 and at
t: 64 MB keeps both."""
ANALOG_ENTRIES = 24
"""Analog reads kept per array: an ADC sweep reuses one analog read for its 11 points and one
calibration read for their 11 references; more would crowd out the matrices they come from."""


class CrossbarModel(param.Parameterized):
    """How a weight matrix is encoded on devices and read out (physics reference sections 9 and 10)."""

    technology = param.Selector(default="PCM", objects=list(TECHNOLOGIES), doc="Memory technology.")
    device = param.ClassSelector(class_=Device, doc="The device model (its knobs are read-time parameters).")

    mapping = param.Selector(
        default="differential",
        objects=list(encoding.MAPPINGS),
        doc=(
            "Signed-weight mapping: differential (one-sided pair), two-sided pair, set-only pair, "
            "offset with a reference column, offset subtracted digitally."
        ),
    )
    n_slices = param.Integer(2, bounds=(1, 8), doc="Number of slices (device pairs) per weight.")
    weight_bits = param.Integer(8, bounds=(1, 32), doc="Bits of weight magnitude over all slices.")
    allocation = param.Selector(
        default="balanced",
        objects=["balanced", "unbalanced"],
        doc="Bits per slice: even split, or fewer for the more significant slices.",
    )
    base = param.Number(
        16.0,
        bounds=(1.0, 65536.0),
        softbounds=(1.0, 32.0),
        doc=(
            "Significance base F: W = sum F^(n-1-i) (G+_i - G-_i). 1 is equal significance "
            "(averaging), 2^bits of the slice below is digital slicing."
        ),
    )
    quantize_weights = param.Boolean(True, doc="Round slice targets to the slice's levels.")

    dac_bits = param.Integer(8, bounds=(1, 16), allow_None=True, label="DAC bits", doc="DAC bits (None: ideal input).")
    x_max = param.Number(1.0, bounds=(1e-6, None), doc="Input range of the DAC: inputs clip at +-x_max.")
    input_slice_bits = param.Integer(
        None,
        bounds=(1, 16),
        allow_None=True,
        label="Input slice bits",
        doc="Feed the input in chunks of this many bits (None: all at once).",
    )
    adc_bits = param.Integer(
        8, bounds=(1, 16), allow_None=True, label="ADC bits", doc="ADC bits per column and slice (None: ideal)."
    )
    adc_range = param.Selector(
        default="calibrated",
        objects=list(ADC_RANGES),
        label="ADC range",
        doc=(
            "ADC range: 'calibrated' from a calibration batch (largest noise-free output of each "
            "slice), 'full-scale' the largest output the array could produce."
        ),
    )
    ir_drop = param.Boolean(False, label="IR drop", doc="First-order IR drop on word and bit lines.")
    wire_resistance_ohm = param.Number(
        0.35,
        bounds=(0.0, 1e6),
        inclusive_bounds=(False, True),
        softbounds=(0.01, 10.0),
        doc="Wire resistance between neighbouring cells (ohm).",
    )
    stuck_on_fraction = param.Number(0.0, bounds=(0.0, 0.5), doc="Devices stuck at g_max (programming time).")
    stuck_off_fraction = param.Number(0.0, bounds=(0.0, 0.5), doc="Devices stuck at g_min (programming time).")
    common_mode_gain = param.Number(
        1.0,
        bounds=(0.1, 10.0),
        softbounds=(0.8, 1.2),
        step=0.005,
        label="Multiplicative common mode",
        doc="Scales every conductance at read (e.g. 1.05: +5 % from temperature).",
    )
    common_mode_offset_uS = param.Number(
        0.0,
        bounds=(-1e3, 1e3),
        softbounds=(-2.0, 2.0),
        step=0.05,
        label="Additive common mode (µS)",
        doc="Adds to every conductance at read (leakage, offset), uS.",
    )
    adc_offset_lsb = param.Number(
        0.0,
        bounds=(-1e3, 1e3),
        softbounds=(-4.0, 4.0),
        step=0.1,
        label="ADC offset (LSB)",
        doc=(
            "Static offset of every ADC, in its least significant bits (added to the analog output "
            "before conversion; illustrative: a systematic error program-and-verify cannot see and "
            "gradient-descent programming can learn around when the inputs have a non-zero mean)."
        ),
    )
    calibrate_gain = param.Boolean(
        False,
        label="Gain calibration",
        doc=(
            "Global gain calibration (physics reference section 8): scale outputs by "
            "ref / mean|y_cal(t)|, ref read right after programming."
        ),
    )

    def __init__(self, **params: Any) -> None:
        device = params.pop("device", None)
        technology = params.get("technology", "PCM")
        if technology not in TECHNOLOGIES:
            raise ValueError(f"technology must be one of {sorted(TECHNOLOGIES)}, got {technology!r}")
        unknown = sorted(set(params) - set(self.param))
        if unknown:
            raise ValueError(f"unknown parameter(s) {unknown}; allowed: {sorted(p for p in self.param if p != 'name')}")
        super().__init__(**params)
        self._programming_kept = None  # (changes counted when taken, snapshot): `programming_settings`
        self._programming_changes = 0
        self._programming_asked = False
        self._watched_device = None
        self.device = device if device is not None else TECHNOLOGIES[self.technology]()
        _ = self.slice_bits  # the property validates the slicing

    READ_TIME = (
        "dac_bits",
        "x_max",
        "input_slice_bits",
        "adc_bits",
        "adc_range",
        "ir_drop",
        "wire_resistance_ohm",
        "common_mode_gain",
        "common_mode_offset_uS",
        "calibrate_gain",
        "adc_offset_lsb",
    )
    """The read-time parameters: `ProgrammedCrossbar.mvm` reads with their current values (and the
    device's `Device.READ_TIME` knobs). Every other parameter is programming-time, frozen by
    `program`."""

    def read_settings(self) -> Settings:
        """A `Settings` snapshot of every read-time value: this model's and its device's knobs."""
        values = {name: getattr(self, name) for name in self.READ_TIME}
        return Settings(values, **self.device.read_settings())

    def programming_settings(self) -> Settings:
        """A `Settings` snapshot of every programming-time value: this model's (with the slicing it
        implies) and its device's (prefixed ``device.``). Two arrays programmed with equal
        snapshots, the same weights and the same seed are identical.

        Kept until a programming-time parameter of the model or its device is set: a dashboard
        keys its results by it many times per update, and reading every parameter each time was
        a visible share of an update. A change while it is taken (another thread) is counted,
        and a snapshot taken meanwhile is not kept."""
        kept, changes = self._programming_kept, self._programming_changes
        if kept is not None and kept[0] == changes:
            return kept[1]
        if self._watched_device is None:
            # Watched from the second call on: a model made for one programming (a sweep's point)
            # pays for no watchers.
            if not self._programming_asked:
                self._programming_asked = True
                return self._take_programming_settings()
            self.param.watch(self._programming_changed, [n for n in self.param if n not in ("name", *self.READ_TIME)])
            self._watch_device()
            changes = self._programming_changes
        snapshot = self._take_programming_settings()
        if self._programming_changes == changes:
            self._programming_kept = (changes, snapshot)
        return snapshot

    def _programming_changed(self, *events):
        self._programming_changes += 1
        if any(e.name == "device" for e in events):
            self._watch_device()

    def _watch_device(self):
        """Count the changes of the device's programming-time parameters too (its own device only)."""
        old, self._watched_device = self._watched_device, self.device
        if old is not None and old is not self.device:
            old.param.unwatch(self._device_watcher)
        if self.device is not None and old is not self.device:
            names = [n for n in self.device.param if n not in ("name", *self.device.READ_TIME)]
            self._device_watcher = self.device.param.watch(self._programming_changed, names)

    def _take_programming_settings(self) -> Settings:
        values = {
            name: value
            for name, value in self.param.values().items()
            if name not in ("name", "device") and name not in self.READ_TIME
        }
        values["slice_bits"] = self.slice_bits
        for name, value in self.device.programming_settings().items():
            values[f"device.{name}"] = value
        return Settings(values)

    @param.depends("technology", watch=True)
    def _new_device(self):
        if self.device is None or self.device.technology != self.technology:
            self.device = TECHNOLOGIES[self.technology]()

    @property
    def slice_bits(self) -> tuple[int, ...]:
        """Bits per slice, most significant first."""
        return encoding.slice_allocation(self.weight_bits, self.n_slices, self.allocation)

    @property
    def devices_per_weight(self) -> int:
        pairs = 1 if self.mapping.startswith("offset") else 2
        return pairs * self.n_slices

    def program(
        self,
        W: ArrayLike,
        seed: int,
        w_max: float | None = None,
        method: Literal["statistical", "one-shot", "verify", "gdp"] = "statistical",
        **knobs: Any,
    ) -> ProgrammedCrossbar:
        """Encode `W` (rows = inputs, columns = outputs) and program every device; a `ProgrammedCrossbar`.

        Weights are normalized by `w_max` (default ``max|W|``); entries beyond it clip. `method`:
        "statistical" (the post-verify statistics of the cited papers, no history), "one-shot",
        "verify" or "gdp" with their `knobs` (`explorer.models.programming`): the run goes to its
        end and the crossbar's ``history`` holds its per-iteration errors and costs.
        """
        if method != "statistical" or knobs:
            return self.programming_run(W, seed, method=method, w_max=w_max, **knobs).run()
        seed = check_seed(seed)
        W, w_max = check_weights(W, w_max)
        return ProgrammedCrossbar(self, W, w_max, seed)

    def programming_run(
        self,
        W: ArrayLike,
        seed: int,
        method: Literal["one-shot", "verify", "gdp"] = "verify",
        w_max: float | None = None,
        **knobs: Any,
    ) -> ProgrammingRun:
        """A steppable `ProgrammingRun` of `W` by `method` ("one-shot", "verify", "gdp") with its knobs
        (`explorer.models.programming.ProgrammingMethod`); `run.step(n)` advances it."""
        return ProgrammingMethod.checked(method, **knobs).run(self, W, seed, w_max=w_max)


class ReadSnapshot(NamedTuple):
    """The devices' part of one read (`ProgrammedCrossbar.snapshot`): its time `t` (s), read-noise
    `seed` and read `settings`, the read `matrices` (`ReadOut.matrices`) and the gain-calibration
    factor `gain` (1 without `calibrate_gain`), as the devices were when it was taken."""

    t: float
    seed: int
    settings: Settings
    matrices: tuple
    gain: float


class ProgrammedCrossbar:
    """A weight matrix as programmed on a crossbar; `mvm` reads it with fresh noise each time.

    Four jobs, four parts, one `Memo`:

    * `encoding` (`WeightEncoding`): weights to conductance targets and back, fixed by the
      programming-time configuration `config` (the snapshot taken by `CrossbarModel.program`);
    * `state` (`CrossbarState`): the programmed devices, read through the frozen copy of the
      device they were programmed with, their stuck-at faults and the state `version`;
    * `readout` (`ReadOut`): DAC, analog product with IR drop and common mode, noise, ADC;
    * `calibration` (`Calibration`): the calibrated ADC ranges and the global gain factor.

    Read-time settings are a `Settings` snapshot: `settings=` of each read, by default the
    model's current ones. Results derived from the state (device moments, read matrices, ADC
    ranges, calibration references, analog reads) are kept in `memo`, keyed by the state
    `version` and by the values of exactly the settings each one read; every change of the
    state bumps `version`.
    """

    history = None
    """Per-iteration errors and costs of the programming run that programmed it (None: statistical)."""
    programming = None
    """The `ProgrammingRun` that programmed it (None: statistical)."""

    def __init__(
        self,
        model: CrossbarModel,
        W: np.ndarray,
        w_max: float,
        seed: int,
        previous: tuple[np.ndarray, np.ndarray] | None = None,
        config: Settings | None = None,
        device: Device | None = None,
    ) -> None:
        self.model = model
        self.config = config = model.programming_settings() if config is None else config
        device = model.device if device is None else device
        self.W = W
        self.seed = seed
        self.rows, self.cols = W.shape
        self.memo = Memo(max_bytes=CACHE_BYTES, max_entries=CACHE_ENTRIES, limits={"analog": ANALOG_ENTRIES})
        self.encoding = enc = WeightEncoding(config, device.g_min, device.g_max, self.rows, self.cols, w_max)
        self.levels, self.targets, self.saturated = enc.encode(W, previous)
        self.state = CrossbarState(
            device.program(self.targets, seed=seed),
            seed,
            config.peek("stuck_on_fraction"),
            config.peek("stuck_off_fraction"),
            enc.g_lo,
            enc.g_hi,
            self.memo,
        )
        self.readout = ReadOut(enc, self.state, self.memo)
        self.calibration = Calibration(self.readout, seed, self.memo)
        self.last_stats = {}

    # The encoding's and the state's attributes, as the scripting API has always named them.
    w_max = property(lambda self: self.encoding.w_max)
    mapping = property(lambda self: self.encoding.mapping)
    slice_bits = property(lambda self: self.encoding.slice_bits)
    base = property(lambda self: self.encoding.base)
    n_slices = property(lambda self: self.encoding.n_slices)
    n_pol = property(lambda self: self.encoding.n_pol)
    significance = property(lambda self: self.encoding.significance)
    full_scale = property(lambda self: self.encoding.full_scale)
    g_lo = property(lambda self: self.encoding.g_lo, doc="Lowest device conductance (uS).")
    g_hi = property(lambda self: self.encoding.g_hi, doc="Highest device conductance (uS).")
    array = property(lambda self: self.state.array, doc="The programmed `DeviceArray`.")
    device = property(lambda self: self.state.device, doc="The frozen device the array was programmed with.")
    stuck = property(lambda self: self.state.stuck, doc="Stuck-at faults: +1 at g_max, -1 at g_min, 0 none.")
    n_stuck = property(lambda self: self.state.n_stuck)

    @property
    def version(self) -> int:
        """Version of the programmed state (the device array's): every change of it bumps it."""
        return self.state.version

    def apply_reads(
        self, n_reads: int, *, polarity: Literal["unipolar", "bipolar", "negative"] = "unipolar", v_read: float = 0.2
    ) -> None:
        """Read disturb of `n_reads` more reads of every device (RRAM; see `DeviceArray.apply_reads`)."""
        self.state.apply_reads(n_reads, polarity=polarity, v_read=v_read)

    def set_reads(
        self, n_reads: int, *, polarity: Literal["unipolar", "bipolar", "negative"] = "unipolar", v_read: float = 0.2
    ) -> None:
        """The devices as after exactly `n_reads` reads since programming (RRAM; see `DeviceArray.set_reads`)."""
        self.state.set_reads(n_reads, polarity=polarity, v_read=v_read)

    def read_settings(self, settings: Settings | None = None) -> Settings:
        """`settings`, or the model's current read-time settings."""
        return self.model.read_settings() if settings is None else settings

    # ------------------------------------------------------------------ conductances

    def device_moments(self, t: float, settings: Settings | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Mean and read-noise sigma (uS) of every physical device at `t`, stuck-at faults applied."""
        return self.state.moments(check_time(t), self.read_settings(settings))

    def _mean(self, t, s, common_mode):
        mean, _ = self.state.moments(check_time(t), s)
        return s.common_mode_gain * mean + s.common_mode_offset_uS if common_mode else mean

    def conductances(self, t: float = 0.0, *, common_mode: bool = True, settings: Settings | None = None) -> np.ndarray:
        """Mean conductances (uS) at `t` as ``(rows, cols, n_slices, n_pol)``, common mode applied."""
        return self.encoding.pairs(self._mean(t, self.read_settings(settings), common_mode))

    def weights(self, t: float = 0.0, settings: Settings | None = None) -> np.ndarray:
        """The weights the array holds at `t` (noise-free mean conductances, common mode applied), units of W."""
        return self.encoding.decode(self._mean(t, self.read_settings(settings), True))

    def slice_conductances(self, t: float = 0.0, settings: Settings | None = None) -> dict[str, np.ndarray | None]:
        """Per-slice mean conductances (uS): ``{"plus": (n_slices, rows, cols), "minus": ... or None}``."""
        g = np.moveaxis(self.conductances(t, settings=settings), 2, 0)
        return {"plus": g[..., 0], "minus": g[..., 1] if self.n_pol == 2 else None}

    # ------------------------------------------------------------------ read-out

    def _check_inputs(self, X):
        X = finite_array(X, "X")
        single = X.ndim == 1
        X2 = X[None] if single else X
        if X2.ndim != 2 or X2.shape[1] != self.rows:
            raise ValueError(
                f"X must have shape ({self.rows},) or (batch, {self.rows}) to match W's "
                f"{self.rows} inputs, got {X.shape}"
            )
        return X2, single

    def calibration_inputs(self, settings: Settings | None = None) -> np.ndarray:
        """The calibration batch (`N_CALIBRATION` inputs from the calibration stream of the
        programming seed; never the evaluation inputs)."""
        return self.calibration.inputs(self.read_settings(settings))

    def gain_factor(self, t: float, seed: int, settings: Settings | None = None) -> float:
        """Global calibration factor ``ref / mean|y_cal(t)|`` (physics reference section 8; see
        `Calibration.gain_factor`)."""
        return self.calibration.gain_factor(check_time(t), seed, self.read_settings(settings))

    def mvm(
        self, X: ArrayLike, t: float, seed: int, return_stats: bool = False, settings: Settings | None = None
    ) -> np.ndarray | tuple[np.ndarray, dict[str, float]]:
        """Outputs ``X @ W`` as the analog array computes them, read `t` seconds after programming.

        `X` is ``(rows,)`` or ``(batch, rows)``; `t` in seconds; `seed` draws the read noise
        (required, as in every stochastic call: use a new seed for each read, e.g.
        ``derive_seed(user_seed, "read", k)``). `settings`: the read-time settings (default: the model's
        current `read_settings()`). With `return_stats`, also a dict of DAC and ADC
        clipping counts, the largest IR-drop loss and the calibration factor.
        """
        t = check_time(t)
        seed = check_seed(seed)
        s = self.read_settings(settings)
        X2, single = self._check_inputs(X)
        y, stats, alphas = self._read_times(X2[None], (t,), (seed,), s)
        stats["gain_factor"] = alphas[0]
        self.last_stats = stats
        y = y[0][0] if single else y[0]
        return (y, stats) if return_stats else y

    def mvm_times(
        self, X: ArrayLike, times: Sequence[float], seeds: Sequence[int], settings: Settings | None = None
    ) -> np.ndarray:
        """Outputs ``(reads, batch, cols)`` of several reads at once: read ``k`` of inputs ``X[k]``
        (`X` ``(reads, batch, rows)``) at ``times[k]`` seconds with read-noise seed ``seeds[k]``.
        Each read's outputs equal `mvm`'s for the same inputs, time and seed; one call serves all
        the times of an accuracy-versus-time curve (`deployment.DeployedMLP.logits_times`)."""
        times = [check_time(t, "times") for t in times]
        seeds = [check_seed(seed, "seeds") for seed in seeds]
        if not times:
            raise ValueError("times must hold at least one time")
        if len(seeds) != len(times):
            raise ValueError(f"seeds must hold one seed per time ({len(times)}), got {len(seeds)}")
        s = self.read_settings(settings)
        y, _, _ = self._read_times(self._check_reads(X, len(times)), times, seeds, s)
        return y

    def calibrate(self, settings: Settings | None = None) -> None:
        """Read now, unless kept, the calibrations a read takes from right after programming (the
        calibrated ADC ranges; with `calibrate_gain`, the gain reference): `set_reads` with reads
        may not re-take them (`ValueError`), so a read-disturb evaluation that takes `snapshot`s of
        disturbed devices before reading any calls this first."""
        self.calibration.take(self.read_settings(settings))

    def snapshot(self, t: float, seed: int, settings: Settings | None = None) -> ReadSnapshot:
        """What a read at `t` seconds with read-noise seed `seed` takes from the devices as they
        are now: the read matrices and, with `calibrate_gain`, the gain factor (its calibration
        batch read now). `mvm_snapshots` reads several such states at once after the devices
        changed in between (the read counts of a read-disturb curve)."""
        t, seed, s = check_time(t), check_seed(seed), self.read_settings(settings)
        gain = self.calibration.gain_factor(t, seed, s) if s.calibrate_gain else 1.0
        return ReadSnapshot(t, seed, s, self.readout.matrices(t, s, True), gain)

    def snapshots_after_reads(
        self,
        counts: Sequence[int],
        t: float,
        seeds: Sequence[int],
        *,
        polarity: Literal["unipolar", "bipolar", "negative"] = "unipolar",
        v_read: float = 0.2,
        settings: Settings | None = None,
    ) -> list[ReadSnapshot]:
        """`snapshot` at `t` with read-noise seed ``seeds[k]`` of the devices as after exactly
        ``counts[k]`` reads since programming (`set_reads`), for every count (a count may come
        twice, with two seeds: computed once): the same snapshots
        as `set_reads` then `snapshot` count by count, the devices left as programmed. The
        moments of all the counts come from one call (`CrossbarState.moments_after_reads`) and
        the devices are not changed; with `calibrate_gain` each count's gain factor needs a
        calibration read of its devices, so the counts are set in turn (and reset to none after,
        which bumps `version`). Calibrations a read takes from right after programming are taken
        first (`calibrate`)."""
        t, s = check_time(t), self.read_settings(settings)
        counts, _ = counts_of(list(counts), "counts", 10**15)
        seeds = [check_seed(seed, "seeds") for seed in seeds]
        if len(seeds) != len(counts):
            raise ValueError(f"seeds must hold one seed per count ({len(counts)}), got {len(seeds)}")
        if self.state.array.reads:
            raise ValueError(f"the devices must be as programmed (no reads), they have had {self.state.array.reads}")
        if any(counts):
            self.calibrate(s)
        if s.calibrate_gain:
            try:
                out = []
                for n, seed in zip(counts, seeds):
                    self.set_reads(n, polarity=polarity, v_read=v_read)
                    out.append(self.snapshot(t, seed, settings=s))
                return out
            finally:
                self.set_reads(0, polarity=polarity, v_read=v_read)
        distinct = sorted(set(counts))  # a count asked for twice (with two seeds) is computed once
        mean, sigma = self.state.moments_after_reads(distinct, t, s, polarity=polarity, v_read=v_read)
        matrices = {n: self.readout.matrices_of((mean[i], sigma[i]), t, s, True) for i, n in enumerate(distinct)}
        return [ReadSnapshot(t, seed, s, matrices[n], 1.0) for n, seed in zip(counts, seeds)]

    def mvm_snapshots(self, X: ArrayLike, snapshots: Sequence[ReadSnapshot]) -> np.ndarray:
        """Outputs ``(reads, batch, cols)`` of read ``k`` of inputs ``X[k]`` of the devices as
        ``snapshots[k]`` found them (`snapshot`), at its time, seed and settings: each equals the
        `mvm` that would have been made when the snapshot was taken."""
        if not snapshots or not all(isinstance(one, ReadSnapshot) for one in snapshots):
            raise ValueError("snapshots must hold at least one ReadSnapshot (from snapshot())")
        s = snapshots[0].settings
        if any(one.settings is not s and one.settings != s for one in snapshots):
            raise ValueError("snapshots must all be taken with the same read settings")
        times, seeds = [one.t for one in snapshots], [one.seed for one in snapshots]
        y, _, _ = self._read_times(self._check_reads(X, len(snapshots)), times, seeds, s, snapshots)
        return y

    def _check_reads(self, X, n_reads):
        """`X` as a finite float array ``(n_reads, batch, rows)``; `ValueError` naming it otherwise."""
        X3 = finite_array(X, "X")
        if X3.ndim != 3 or X3.shape[0] != n_reads or X3.shape[2] != self.rows:
            raise ValueError(
                f"X must have shape (reads, batch, {self.rows}) with one read per time ({n_reads}) "
                f"to match W's {self.rows} inputs, got {X3.shape}"
            )
        return X3

    def _read_times(self, X3, times, seeds, s, snapshots=None):
        """The outputs of the reads (`ReadOut.read_times` with the calibration's ADC ranges), each
        times its global calibration factor when `calibrate_gain` (1 otherwise), their statistics
        and the factors. With `snapshots`, the read matrices and factors are theirs (the devices
        as they were); without, the present devices'."""
        matrices = None if snapshots is None else [one.matrices for one in snapshots]
        y, stats = self.readout.read_times(X3, times, seeds, s, self.calibration.adc_ranges, matrices=matrices)
        alphas = [1.0] * len(times)
        if s.calibrate_gain:
            if snapshots is None:
                alphas = self.calibration.gain_factors(times, seeds, s)
            else:
                alphas = [one.gain for one in snapshots]
            y = y * np.array(alphas)[:, None, None]
        return y, stats, alphas

    def ideal(self, X: ArrayLike) -> np.ndarray:
        """The exact product ``X @ W`` in float64."""
        X2, single = self._check_inputs(X)
        y = X2 @ self.W
        return y[0] if single else y

    def error(self, X: ArrayLike, t: float, seed: int, settings: Settings | None = None) -> float:
        """MVM error (section 12) of `mvm` against the exact product on the inputs `X`."""
        X2, _ = self._check_inputs(X)
        return crossbar.mvm_error(self.mvm(X2, t, seed, settings=settings), X2 @ self.W)

    def weight_error(self, t: float = 0.0, calibrated: bool = False, settings: Settings | None = None) -> float:
        """Relative Frobenius error ``||W(t) - W|| / ||W||`` of the held weights.

        With `calibrated`, ``W(t)`` is first scaled by the one factor that fits
        it best to ``W`` (least squares): what a global gain calibration can at
        best recover, so what remains is spread rather than gain.
        """
        norm = np.linalg.norm(self.W)
        if norm == 0:  # a relative error of an all-zero W is undefined (as in `crossbar.mvm_error`)
            return float("nan")
        held = self.weights(t, settings=settings)
        if calibrated:
            held = held * (np.sum(held * self.W) / max(np.sum(held * held), 1e-300))
        return float(np.linalg.norm(held - self.W) / norm)

    def update_set_only(self, W_new: ArrayLike, seed: int) -> ProgrammedCrossbar:
        """Reprogram toward `W_new` by raising conductances only (set-only mapping); a new
        `ProgrammedCrossbar` with this one's configuration and device."""
        if self.mapping != "set-only":
            raise ValueError(f"update_set_only needs mapping='set-only', this array uses {self.mapping!r}")
        W_new = finite_array(W_new, "W_new")
        if W_new.shape != self.W.shape:
            raise ValueError(f"W_new must have the shape of W {self.W.shape}, got {W_new.shape}")
        g = self.array.state.get("g_prog")
        if g is None:
            g = self.targets
        enc = self.encoding
        g = np.clip(g, enc.g_lo, enc.g_hi).reshape(self.rows, self.cols, self.n_slices, 2)
        return ProgrammedCrossbar(
            self.model,
            W_new,
            self.w_max,
            check_seed(seed),
            previous=(g[..., 0], g[..., 1]),
            config=self.config,
            device=self.device,
        )

    def __repr__(self):
        return (
            f"ProgrammedCrossbar({self.device.technology}, {self.mapping}, slices={self.slice_bits}, "
            f"F={self.base:g}, shape={self.W.shape}, seed={self.seed})"
        )
