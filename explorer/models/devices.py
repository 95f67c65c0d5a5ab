"""Memory-device models: one Param class per technology, and the programmed-array state.

    dev = DeviceModel(technology="PCM")          # a PCMDevice
    arr = dev.program(targets_uS, seed=0)        # programming noise, drift exponents, ...
    g = arr.read(t=3600.0, seed=1)               # drift and fresh read noise, in uS

Programming-time state (programmed conductances, per-device drift exponents,
trap parameters, thresholds) is frozen in the `DeviceArray`. Read-time knobs
(drift scale, read-noise scale, temperature) are taken from the device when
`read` is called, so a slider on them does not reprogram the array.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import param
from numpy.typing import ArrayLike

from kernels import flash, pcm, pulsed, rng, rram
from kernels.validate import check_seed, check_time, in_range, ordered_range, positive_int

from ._internal.memo import Settings

SECONDS_PER_YEAR = 365.25 * 24 * 3600.0


def _drift_scale_at(knobs: Any, t: float) -> float:
    """The drift-coefficient scale knob of `knobs` for a read at `t` (s), read from `knobs` only
    when it acts: for PCM (drift factor ``ln((t + t0)/t0)``) and Flash (charge loss
    ``log10(1 + t)``) drift is exactly zero at t = 0, so a read right after programming does not
    depend on the knob. Not reading it there keeps the results read at t = 0 (calibration
    references, calibrated ADC ranges) while the knob moves (`Memo` records the knobs a
    computation reads). Same numbers: the scale multiplies a zero."""
    return knobs.drift_scale if t > 0.0 else 1.0


class DeviceArray:
    """The state of programmed devices, as returned by `Device.program`.

    ``targets`` are the requested conductances (uS), ``state`` the per-device
    programming-time arrays (technology specific, same shape as ``targets``).
    ``programmed_with`` is a frozen copy of the device as it was at programming, through which
    the state is read: changing a programming-time parameter of the device afterwards (g_max, a
    fit set) does not re-interpret what was programmed. Read-time knobs (`Device.READ_TIME`)
    come from ``device`` at each read, or from the `knobs` passed to `read`.
    """

    def __init__(
        self,
        device: Device,
        targets: np.ndarray,
        state: dict[str, np.ndarray],
        seed: int,
        programmed_with: Device | None = None,
    ) -> None:
        self.device = device
        self.programmed_with = device.frozen() if programmed_with is None else programmed_with
        self.targets = targets
        self.state = state
        self.seed = seed
        self.version = 0
        """Bumped by every change of `state` (results derived from the state are keyed by it)."""
        self.reads = 0
        """Reads applied with `apply_reads` (read disturb)."""

    def apply_reads(
        self, n_reads: int, *, polarity: Literal["unipolar", "bipolar", "negative"] = "unipolar", v_read: float = 0.2
    ) -> None:
        """Count `n_reads` more reads of every device and apply their read disturb (RRAM: the
        filament grows toward a saturated shift, unipolar reads one way, bipolar reads
        alternating and mostly cancelling, `RRAMDevice.read_disturb`; Shim et al., IEEE TED 67(6),
        2020. Flash: pass-voltage stress raises V_th, `FlashDevice.read_disturb`, unipolar only).
        Later reads and moments see the shifted conductances; `version` is bumped.
        `polarity`: "unipolar", "bipolar" or "negative"; `v_read` in volts (RRAM)."""
        self._disturb(self._disturb_state(), n_reads, polarity, v_read)
        self.reads += int(n_reads)

    def set_reads(
        self, n_reads: int, *, polarity: Literal["unipolar", "bipolar", "negative"] = "unipolar", v_read: float = 0.2
    ) -> None:
        """The devices as after exactly `n_reads` reads since programming (the read disturb of
        `apply_reads` from an undisturbed start; earlier reads are forgotten); `version` is bumped."""
        self._disturb(np.zeros_like(self._disturb_state()), n_reads, polarity, v_read)
        self.reads = int(n_reads)

    def moments_after_reads(
        self,
        counts: list[int],
        t: float,
        knobs: Mapping[str, Any] | None = None,
        *,
        polarity: Literal["unipolar", "bipolar", "negative"] = "unipolar",
        v_read: float = 0.2,
    ) -> tuple[np.ndarray, np.ndarray]:
        """`read_moments` at `t` of the devices as after exactly each of `counts` reads since
        programming (`set_reads`), stacked ``(len(counts), *shape)``: one read-moments call for
        every count (the per-device state repeated along the first axis), the array left as it
        is (no `version` bump, no reads counted). The same numbers as `set_reads` then
        `read_moments` for each count in turn."""
        t = check_time(t)
        zeros = np.zeros_like(self._disturb_state())
        shifts = self.programmed_with.read_disturb(self.state, zeros, list(counts), polarity=polarity, v_read=v_read)

        stacked = self._per_device(lambda a: np.broadcast_to(a, (len(counts), *a.shape)))
        state = {**stacked, "disturb": shifts}
        return self.programmed_with._read_moments(state, t, self._knobs(knobs))

    def _disturb_state(self):
        if "disturb" not in self.state:
            raise ValueError(
                f"apply_reads needs a technology with a read-disturb model (RRAM, Flash), "
                f"this array is {self.programmed_with.technology!r}"
            )
        return self.state["disturb"]

    def _disturb(self, start, n_reads, polarity, v_read):
        self.state = {
            **self.state,
            "disturb": self.programmed_with.read_disturb(self.state, start, n_reads, polarity=polarity, v_read=v_read),
        }
        self.version += 1

    def replace_state(self, state: dict[str, np.ndarray], changed: np.ndarray | None = None) -> None:
        """Replace the programmed state by `state` (the same keys, arrays of the same shape; e.g. the
        devices after a round of programming pulses, `explorer.models.programming`) and bump
        `version`, so that no result derived from the old state is served again.

        `changed`, when the caller knows it: a boolean array of the array's shape, True for every
        device whose state may differ from the old one (`last_change`). A result computed device
        by device from the old state can then be brought up to date for those devices alone."""
        missing = sorted(set(self.state) - set(state))
        if missing:
            raise ValueError(f"state must keep every key of the programmed state; missing {missing}")
        if changed is not None:
            changed = np.asarray(changed)
            if changed.dtype != bool or changed.shape != self.shape:
                raise ValueError(
                    f"changed must be a boolean array of shape {self.shape}, got {changed.dtype} {changed.shape}"
                )
        self.state = state
        self.version += 1
        self.last_change = None if changed is None else (self.version - 1, self.version, changed)

    last_change = None
    """``(version before, version after, changed)`` of the last `replace_state` given `changed`
    (see there); it describes the current state only while ``version after`` is `version`."""

    @property
    def shape(self) -> tuple[int, ...]:
        return self.targets.shape

    def __len__(self):
        return len(self.targets)

    def subset(self, index: Any) -> DeviceArray:
        """A `DeviceArray` of the devices picked by `index` (any NumPy index), sharing no arrays."""

        return DeviceArray(
            self.device,
            np.array(self.targets[index]),
            self._per_device(lambda a: np.array(a[index])),
            self.seed,
            programmed_with=self.programmed_with,
        )

    def _per_device(self, change):
        """The state with `change` applied to every per-device array in it (those shaped as the
        targets, in nested dicts too); other entries as they are."""

        def walk(value):
            if isinstance(value, dict):
                return {k: walk(v) for k, v in value.items()}
            if isinstance(value, np.ndarray) and value.shape == self.targets.shape:
                return change(value)
            return value

        return walk(self.state)

    def _knobs(self, knobs):
        return self.device.read_settings() if knobs is None else knobs

    def read(self, t: float, seed: int, knobs: Mapping[str, Any] | None = None) -> np.ndarray:
        """Conductances (uS) read `t` seconds after programming, with fresh read noise from `seed`.

        `knobs`: the read-time knobs (`Device.READ_TIME`, a mapping with attribute access such
        as `Settings`); default: the device's current ones.
        """
        t = check_time(t)
        seed = check_seed(seed)
        return self.programmed_with._read(self.state, t, seed, self._knobs(knobs))

    def read_moments(self, t: float, knobs: Mapping[str, Any] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Mean conductance (uS) at `t` seconds and the standard deviation (uS) of one read's noise.

        What `read` would return on average and how much it scatters, without
        drawing the noise: the crossbar feeds these to the variance identity of
        physics reference section 10. `knobs` as for `read`.
        """
        return self.programmed_with._read_moments(self.state, check_time(t), self._knobs(knobs))

    def read_moments_times(
        self, times: Sequence[float], knobs: Mapping[str, Any] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """`read_moments` at each of `times` (s), stacked ``(len(times), *shape)``: the same
        numbers as one call per time, in one call where the technology has one (Flash), so an
        accuracy-versus-time curve checks its arguments and walks the devices once."""
        times = [check_time(t, "times") for t in times]
        if not times:
            raise ValueError("times must hold at least one time")
        return self.programmed_with._read_moments_times(self.state, times, self._knobs(knobs))

    @property
    def mean_needs_moments(self) -> bool:
        """Whether the mean needs the whole of `read_moments` (the technology does not override
        `Device._read_mean`), so a caller holding the moments should take the mean from them."""
        return type(self.programmed_with)._read_mean is Device._read_mean

    def read_mean(self, t: float, knobs: Mapping[str, Any] | None = None) -> np.ndarray:
        """Mean conductance (uS) at `t` seconds: the mean of `read_moments`, computed reading only
        the knobs the mean depends on (so results built on it, such as a calibrated ADC range, are
        not recomputed when, say, the read-noise scale moves). `knobs` as for `read`."""
        return self.programmed_with._read_mean(self.state, check_time(t), self._knobs(knobs))

    def __repr__(self):
        return f"DeviceArray({self.device.technology}, shape={self.shape}, seed={self.seed})"


class DeviceKnobs(param.Parameterized):
    """The knobs every device has, declared once: `Device` and the explorers that set a device's
    knobs from their own sliders inherit them (same bounds, steps and documentation everywhere)."""

    prog_noise_scale = param.Number(
        1.0,
        bounds=(0.0, 10.0),
        softbounds=(0.0, 3.0),
        step=0.05,
        label="Programming-noise scale",
        doc="Multiplies the programming-noise standard deviation.",
    )
    read_noise_scale = param.Number(
        1.0,
        bounds=(0.0, 10.0),
        softbounds=(0.0, 3.0),
        step=0.05,
        label="Read-noise scale",
        doc="Multiplies the read-noise standard deviation.",
    )
    drift_scale = param.Number(
        1.0,
        bounds=(0.0, 10.0),
        softbounds=(0.0, 3.0),
        step=0.05,
        label="Drift-coefficient scale",
        doc="Multiplies the drift coefficient (PCM drift exponent, RRAM relaxation, Flash charge loss).",
    )
    temperature_K = param.Number(
        300.0,
        bounds=(200.0, 420.0),
        softbounds=(250.0, 400.0),
        step=1.0,
        label="Temperature (K)",
        doc="Temperature at read (K); programming happens at 300 K. Only Flash has a model (U_T = kT/q).",
    )

    KNOBS = ("prog_noise_scale", "read_noise_scale", "drift_scale", "temperature_K")
    """The knobs' names."""


class Device(DeviceKnobs):
    """A memory technology: conductance range, noise scales and physics constants.

    Subclasses implement ``_program(targets, seed) -> state`` and
    ``_read(state, t, seed) -> conductances``. ``read_knobs`` names the
    read-time knobs the technology responds to; the dashboard disables the others.
    """

    technology = "device"
    READ_TIME = ("drift_scale", "read_noise_scale", "temperature_K")
    """The read-time parameters: a programmed array is read with their current values; every other
    parameter is programming-time (frozen in the `DeviceArray` at programming)."""
    read_knobs = ("drift_scale", "read_noise_scale")
    max_levels = 256
    source = ""

    g_min = param.Number(0.0, bounds=(0.0, None), doc="Lowest conductance the device can hold (uS).")
    g_max = param.Number(25.0, bounds=(1e-3, None), doc="Highest programmable conductance (uS).")

    def read_settings(self) -> Settings:
        """The read-time knobs' current values, as a `Settings` snapshot."""
        return Settings({name: getattr(self, name) for name in self.READ_TIME})

    def programming_settings(self) -> Settings:
        """The programming-time parameters' current values (technology included), as a `Settings`."""
        values = {
            name: value for name, value in self.param.values().items() if name != "name" and name not in self.READ_TIME
        }
        return Settings(values, technology=self.technology)

    def frozen(self) -> Device:
        """A copy of this device with the same parameter values (a programmed array reads its
        state through it, so later changes to this device do not reach it)."""
        values = {name: value for name, value in self.param.values().items() if name != "name"}
        return type(self)(**values)

    def program(self, targets_uS: ArrayLike, seed: int) -> DeviceArray:
        """Program one device per entry of `targets_uS` (uS); returns a `DeviceArray`."""
        seed = check_seed(seed)
        ordered_range(self.g_min, self.g_max, "g_min", "g_max", limit=1e9)  # name the range before the targets
        targets = in_range(targets_uS, self.g_min, self.g_max, "targets_uS", " uS")
        return DeviceArray(self, targets, self._program(targets, seed), seed)

    def level_targets(self, n_levels: int) -> np.ndarray:
        """`n_levels` target conductances (uS) evenly spaced over the device range."""
        n_levels = positive_int(n_levels, "n_levels", 2, self.max_levels)
        return np.linspace(self._lowest_level(), self.g_max, n_levels)

    def _lowest_level(self):
        # A level at exactly 0 uS sits on the clipping bound; start just above it.
        return max(self.g_min, 0.05 * self.g_max)

    def pulse_response(self, n_pulses: int | None = None, n_devices: int = 6, *, seed: int) -> dict[str, np.ndarray]:
        """Potentiation then depression by `n_pulses` identical pulses each.

        Returns ``{"pulse": (2 n_pulses + 1,), "g": (n_devices, 2 n_pulses + 1)}`` in uS.
        """
        n_pulses = self.default_pulses if n_pulses is None else n_pulses
        n_pulses = positive_int(n_pulses, "n_pulses", 1, 100000)
        n_devices = positive_int(n_devices, "n_devices", 1, 10000)
        seed = check_seed(seed)
        cfg = self._pulse_config()
        span = self.g_max - self.g_min
        dg_up, dg_down = pulsed.device_steps(
            n_devices, dg_min=cfg["dg"], asymmetry=cfg["asymmetry"], d2d=cfg["d2d"], seed=seed, g_span=span
        )
        if "dg_down" in cfg:
            dg_down = np.minimum(cfg["dg_down"] * dg_down / cfg["dg"], span)
        directions = np.r_[np.ones(n_pulses), -np.ones(n_pulses)]
        g = pulsed.pulse_train(
            np.full(n_devices, self.g_min),
            directions,
            g_min=self.g_min,
            g_max=self.g_max,
            dg_up=dg_up,
            dg_down=dg_down,
            gamma_up=cfg["gamma_up"],
            gamma_down=cfg["gamma_down"],
            c2c=cfg["c2c"],
            seed=seed,
        )
        return {"pulse": np.arange(2 * n_pulses + 1), "g": g}

    default_pulses = 100

    def _pulse_config(self):
        raise NotImplementedError

    def _program(self, targets, seed):
        raise NotImplementedError

    def _read(self, state, t, seed, knobs):
        raise NotImplementedError

    def _read_moments(self, state, t, knobs):
        raise NotImplementedError

    def _read_moments_times(self, state, times, knobs):
        """`_read_moments` at each of `times`, stacked; a technology with a read expression over
        all the times at once overrides this."""
        moments = [self._read_moments(state, t, knobs) for t in times]
        return np.stack([m[0] for m in moments]), np.stack([m[1] for m in moments])

    def _read_mean(self, state, t, knobs):
        """The mean of `_read_moments`; a technology whose mean does not depend on every knob
        overrides this to read only those it does depend on."""
        return self._read_moments(state, t, knobs)[0]


class PCMDevice(Device):
    """Phase-change memory, statistical model of Nandakumar et al. (ICECS 2019) and
    Joshi et al. (Nat. Commun. 11, 2473, 2020); physics reference section 1.

    Pulse response: gradual SET (crystallization, soft-bounds increments) and
    abrupt partial RESET (Nandakumar et al., J. Appl. Phys. 124, 152135, 2018).
    """

    technology = "PCM"
    source = "Joshi et al., Nat. Commun. 11, 2473 (2020); Nandakumar et al., ICECS 2019"
    _variant = pcm.VARIANT_JOSHI

    g_max = param.Number(25.0, bounds=(1e-3, None), doc="Highest programmable conductance (uS).")
    t0 = param.Number(20.0, bounds=(1e-6, None), doc="Time of the first read after programming (s).")
    t_read = param.Number(250e-9, bounds=(1e-12, None), doc="Read duration in the 1/f noise fit (s).")
    set_states = param.Integer(
        40, bounds=(2, 10000), doc="SET pulses to go from g_min to about 63 % of g_max (gradual crystallization)."
    )
    reset_fraction = param.Number(
        0.6, bounds=(0.0, 1.0), doc="Share of the conductance a partial-RESET pulse removes (abrupt amorphization)."
    )
    c2c = param.Number(0.4, bounds=(0.0, 5.0), doc="Cycle-to-cycle spread of each pulse's increment.")
    d2d = param.Number(0.2, bounds=(0.0, 5.0), doc="Device-to-device spread of the increments.")

    def _program(self, targets, seed):
        g_prog, nu = pcm.program(
            targets, g_max=self.g_max, seed=seed, prog_noise_scale=self.prog_noise_scale, variant=self._variant
        )
        return {"g_prog": g_prog, "nu": nu}

    def _read(self, state, t, seed, knobs):
        return pcm.read(
            state["g_prog"],
            state["nu"],
            t,
            g_max=self.g_max,
            t0=self.t0,
            t_read=self.t_read,
            seed=seed,
            drift_scale=_drift_scale_at(knobs, t),
            read_noise_scale=knobs.read_noise_scale,
            variant=self._variant,
        )

    def _read_moments(self, state, t, knobs):
        return pcm.read_moments(
            state["g_prog"],
            state["nu"],
            t,
            g_max=self.g_max,
            t0=self.t0,
            t_read=self.t_read,
            drift_scale=_drift_scale_at(knobs, t),
            read_noise_scale=knobs.read_noise_scale,
            variant=self._variant,
        )

    def _read_mean(self, state, t, knobs):
        # The drifted conductance: read noise does not move the mean (no clip in the moments).
        return pcm.read_mean(
            state["g_prog"],
            state["nu"],
            t,
            g_max=self.g_max,
            t0=self.t0,
            t_read=self.t_read,
            drift_scale=_drift_scale_at(knobs, t),
            variant=self._variant,
        )

    default_pulses = 60

    def _pulse_config(self):
        span = self.g_max - self.g_min
        return dict(
            dg=span / self.set_states,
            dg_down=self.reset_fraction * span,
            asymmetry=0.0,
            d2d=self.d2d,
            gamma_up=1.0,
            gamma_down=1.0,
            c2c=self.c2c,
        )


class HermesPCMDevice(PCMDevice):
    """PCM on IBM's 14 nm HERMES chip (Le Gallo et al., Nat. Electron. 6, 680, 2023);
    fits of physics reference section 2, two devices per weight by default."""

    technology = "PCM-HERMES"
    source = "Le Gallo et al., Nat. Electron. 6, 680 (2023), fits as in aihwkit's HermesNoiseModel"

    devices_per_weight = param.Selector(
        default=2, objects=[1, 2], doc="Fit set: two devices per weight (g_max 20.7 uS) or one (10.35 uS)."
    )
    g_max = param.Number(
        20.7,
        bounds=(1e-3, None),
        doc=(
            "Highest programmable conductance (uS). Away from the fit set's g_max the programming noise "
            "is scaled by g_max / the fit's g_max, as aihwkit's HermesNoiseModel does."
        ),
    )
    t0 = param.Number(300.0, bounds=(1e-6, None), doc="Time of the first read after programming (s).")
    t_read = param.Number(512e-9, bounds=(1e-12, None), doc="Read duration in the 1/f noise fit (s).")

    FIT_SETS = {2: dict(g_max=20.7, t0=300.0), 1: dict(g_max=10.35, t0=200.0)}
    """g_max (uS) and t0 (s) of each fit set (aihwkit's HermesNoiseModel, two or one device per weight)."""

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        # The fit set chosen at construction applies too (a watcher does not run on init); values
        # given explicitly win.
        fit = {k: v for k, v in self.FIT_SETS[self.devices_per_weight].items() if k not in params}
        if fit:
            self.param.update(**fit)

    @param.depends("devices_per_weight", watch=True)
    def _apply_fit_set(self):
        self.param.update(**self.FIT_SETS[self.devices_per_weight])

    @property
    def _variant(self):
        return pcm.VARIANT_HERMES_2 if self.devices_per_weight == 2 else pcm.VARIANT_HERMES_1


class RRAMDevice(Device):
    """Filamentary CMO/HfOx RRAM (IBM Zurich statistics, aihwkit's ReRamCMONoiseModel;
    physics reference section 3), with random telegraph noise (Ielmini, Nardi and
    Cagli, Appl. Phys. Lett. 96, 053503, 2010) and a read-disturb state (Shim et al.,
    IEEE TED 67(6), 2020). Pulse response: soft bounds with strong cycle-to-cycle noise.
    """

    technology = "RRAM"
    source = "IBM Zurich CMO/HfOx statistics (aihwkit ReRamCMONoiseModel); Ielmini et al., APL 96, 053503 (2010)"

    g_min = param.Number(9.0, bounds=(0.0, None), doc="Lowest conductance the device can hold (uS).")
    g_max = param.Number(88.2, bounds=(1e-3, None), doc="Highest programmable conductance (uS).")
    tolerance_percent = param.Selector(
        default=0.2, objects=[0.2, 2.0], doc="Program-and-verify acceptance range (% of target)."
    )
    rtn_amplitude = param.Number(
        0.02, bounds=(0.0, 0.5), doc="Relative RTN amplitude at g_ref; grows as 1/g at lower conductance."
    )
    rtn_in_reads = param.Boolean(
        False,
        doc=(
            "Add the telegraph noise to reads. Off by default: the CMO read-noise fit is the measured "
            "read-to-read fluctuation, telegraph noise included, so adding it would count it twice "
            "(at g = 30 uS and t = 1 h the fit's sigma is 0.19 uS, the default trap's alone 0.30 uS). "
            "On, it is zero-mean about the programmed conductance."
        ),
    )
    rtn_g_ref = param.Number(30.0, bounds=(1e-3, None), doc="Reference conductance of the RTN amplitude (uS).")
    rtn_tau = param.Number(1e-2, bounds=(1e-9, 1e6), doc="Median dwell time of the trap in each state (s).")
    n_states = param.Integer(
        400,
        bounds=(2, 100000),
        doc=(
            "Number of states of the pulse response: the step at mid-range is (g_max - g_min) / n_states "
            "(aihwkit's dw_min), twice that from a bound (soft bounds)."
        ),
    )
    c2c = param.Number(0.5, bounds=(0.0, 5.0), doc="Cycle-to-cycle spread of each pulse's increment.")
    d2d = param.Number(0.3, bounds=(0.0, 5.0), doc="Device-to-device spread of the increments.")
    asymmetry = param.Number(0.2, bounds=(-1.0, 1.0), doc="Up/down step asymmetry (+ favours SET).")

    disturb_shift_per_volt = param.Number(
        1.0,
        bounds=(0.0, 10.0),
        doc=(
            "Read disturb: saturated shift, as a share of the headroom toward g_max, per volt of read voltage "
            "above the threshold (field-driven: the stronger the field, the further the filament grows before "
            "it saturates; Shim et al., IRPS 2020). Illustrative: 1 per V saturates 0.4 V reads at 0.1 of the "
            "headroom; the high-resistance states, with the most headroom, move the most."
        ),
    )
    disturb_v_threshold = param.Number(
        0.3,
        bounds=(0.0, 2.0),
        doc=(
            "Read disturb: read voltage (V) at or below which the reads leave the states where they are. "
            "Placed at Shim et al.'s finding (IRPS 2020) that reads at or below about 0.3 V keep inference "
            "accuracy; consistent with Yao et al. (Nature 577, 641, 2020, Ext. Data Fig. 7: 1e6 reads at "
            "0.2 V leave 8-level cells stable). The exact zero below it is a simplification."
        ),
    )
    disturb_reads_to_saturate = param.Number(
        1e8,
        bounds=(1.0, 1e18),
        doc=(
            "Read disturb: reads at 0.2 V per unit of saturation (1/k); the rate grows e-fold every "
            "disturb_v_slope. Illustrative: 0.4 V reads (e^4 times faster) then close 1/e of the way to "
            "saturation every 1.8e6 reads."
        ),
    )
    disturb_v_slope = param.Number(
        0.05,
        bounds=(1e-3, 1.0),
        doc=("Read disturb: volts per e-fold of the disturb rate (field-accelerated ion hopping). Illustrative."),
    )
    disturb_spread = param.Number(
        0.5,
        bounds=(0.0, 3.0),
        doc=(
            "Read disturb: device-to-device spread (lognormal sigma, mean 1) of each device's susceptibility, "
            "which scales its rate and its saturated shift (the traces of Yao et al., Ext. Data Fig. 7, differ "
            "from cell to cell)."
        ),
    )
    disturb_negative_efficiency = param.Number(
        0.9,
        bounds=(0.0, 1.0),
        doc=(
            "Read disturb: a -V read moves the filament back this share as effectively as a +V read moves it "
            "forward. 1 cancels bipolar reading to first order; below 1 bipolar reading settles at about "
            "(1 - eta)/(1 + eta) of the unipolar shift. An assumption: no source measures it; 0.9 is illustrative."
        ),
    )

    read_knobs = ("drift_scale", "read_noise_scale")
    READ_TIME = Device.READ_TIME + ("rtn_in_reads",)

    def _program(self, targets, seed):
        g_prog, relax = rram.program(
            targets,
            seed=seed,
            g_min=self.g_min,
            g_max=self.g_max,
            tolerance_percent=self.tolerance_percent,
            prog_noise_scale=self.prog_noise_scale,
        )
        trap = rram.rtn_parameters(
            g_prog,
            seed=seed,
            amplitude_at_ref=self.rtn_amplitude,
            g_ref=self.rtn_g_ref,
            tau_capture=self.rtn_tau,
            tau_emission=self.rtn_tau,
        )
        z = rng.numpy_normal(seed, rng.STREAM_DISTURB, g_prog.size).reshape(g_prog.shape)
        sd = self.disturb_spread
        return {
            "g_prog": g_prog,
            "relax": relax,
            "rtn": trap,
            "disturb": np.zeros_like(g_prog),
            "susceptibility": np.exp(sd * z - 0.5 * sd * sd),
        }

    def read_disturb(
        self,
        state: dict[str, np.ndarray],
        start: np.ndarray,
        n_reads: int | list[int],
        *,
        polarity: Literal["unipolar", "bipolar", "negative"] = "unipolar",
        v_read: float = 0.2,
    ) -> np.ndarray:
        """Read-disturb shifts of the devices of `state` after `n_reads` reads from shifts `start`
        (`kernels.rram.read_disturb` with this device's constants and the devices' susceptibility;
        a list of counts gives the shifts after each, stacked along a first axis)."""
        return rram.read_disturb(
            start,
            n_reads,
            polarity=polarity,
            v_read=v_read,
            shift_per_volt=self.disturb_shift_per_volt,
            v_threshold=self.disturb_v_threshold,
            reads_to_saturate=self.disturb_reads_to_saturate,
            v_ref=0.2,
            v_slope=self.disturb_v_slope,
            negative_efficiency=self.disturb_negative_efficiency,
            susceptibility=state.get("susceptibility"),
        )

    def _read(self, state, t, seed, knobs):
        return rram.read(
            state["g_prog"],
            state["relax"],
            t,
            seed=seed,
            g_min=self.g_min,
            g_max=self.g_max,
            drift_scale=knobs.drift_scale,
            read_noise_scale=knobs.read_noise_scale,
            **self._rtn(state, knobs),
            disturb=state["disturb"],
        )

    def _read_moments(self, state, t, knobs):
        return rram.read_moments(
            state["g_prog"],
            state["relax"],
            t,
            g_min=self.g_min,
            g_max=self.g_max,
            drift_scale=knobs.drift_scale,
            read_noise_scale=knobs.read_noise_scale,
            **self._rtn(state, knobs),
            disturb=state["disturb"],
        )

    @staticmethod
    def _rtn(state, knobs):
        if not getattr(knobs, "rtn_in_reads", False):  # knobs of another technology's device: off
            return {}
        return {"rtn_amplitude": state["rtn"]["amplitude"], "rtn_occupancy": state["rtn"]["occupancy"]}

    def rtn_trace(self, array: DeviceArray, duration: float, n_steps: int = 2000, *, seed: int) -> np.ndarray:
        """Conductance of each device of `array` sampled `n_steps` times over `duration` seconds."""
        trap = array.state["rtn"]
        g = array.state["g_prog"]
        return rram.rtn_trace(
            g,
            trap["amplitude"],
            trap["tau_capture"],
            trap["tau_emission"],
            dt=duration / n_steps,
            n_steps=n_steps,
            seed=seed,
        )

    def _pulse_config(self):
        # Soft bounds in aihwkit's convention (see ECRAMDevice._pulse_config): amplitude 2 dw_min.
        return dict(
            dg=2.0 * (self.g_max - self.g_min) / self.n_states,
            asymmetry=self.asymmetry,
            d2d=self.d2d,
            gamma_up=1.0,
            gamma_down=1.0,
            c2c=self.c2c,
        )

    default_pulses = 300


class FlashDevice(Device):
    """NOR Flash cell in subthreshold, ``I = I0 exp(kappa (Vgs - Vth) / U_T)``, programmed
    by incremental-step pulses with verify, coarse, medium then fine (physics reference section 4; Mythic:
    256 levels per cell, endurance 1e4 to 1e5 cycles), to about 1 % with 1.7 % read noise (the
    tuning and vector-matrix precision of measured arrays, section 7b; `kernels.flash.FINE_STEP`,
    `READ_NOISE`). The weight is the read current, shown as conductance ``I / V_ds``. Reads
    disturb the unselected cells of a bit line (`read_disturb`, `cells_per_bitline`).
    """

    technology = "Flash"
    read_knobs = ("drift_scale", "read_noise_scale", "temperature_K")
    source = (
        "Subthreshold MOSFET law; Mythic M1076 (256 levels per cell); physics reference section 4; "
        "precision after Merrikh-Bayat et al. 2014 and Guo et al. 2016 (section 7b)"
    )

    g_min = param.Number(0.05, bounds=(0.0, None), doc="Lowest conductance the device can hold (uS).")
    g_max = param.Number(10.0, bounds=(1e-3, None), doc="Highest programmable conductance (uS).")
    kappa = param.Number(0.7, bounds=(0.3, 1.0), doc="Gate coupling factor of the subthreshold slope.")
    pe_cycles = param.Integer(
        0,
        bounds=(0, 10**6),
        doc=(
            "Program/erase cycles so far: oxide wear widens the programmed distributions and makes cycled "
            "cells lose charge faster, unevenly (`kernels.flash.wear_retention_rates`)."
        ),
    )
    ispp_medium_step = param.Number(
        flash.MEDIUM_STEP,
        bounds=(0.0, 0.0099),
        doc=(
            "Medium ISPP step (V) between the 50 mV coarse and 1.2 mV fine steps; 0 for the "
            "two-step scheme (about twice the pulses, same precision)."
        ),
    )
    cells_per_bitline = param.Integer(
        flash.CELLS_PER_BITLINE,
        bounds=(1, flash.MAX_CELLS_PER_BITLINE),
        doc=(
            "Cells sharing a bit line (rows of one column segment): each inference read stresses every cell "
            "with the pass voltage once per other row, so fewer cells per bit line mean less read disturb "
            "(`kernels.flash.read_disturb`; illustrative default)."
        ),
    )
    disturb_spread = param.Number(
        flash.DISTURB_SPREAD,
        bounds=(0.0, 3.0),
        doc=("Read disturb: cell-to-cell spread (lognormal sigma, mean 1) of each cell's disturb rate (illustrative)."),
    )

    def cell(self) -> flash.FlashCell:
        """This device's cell as the kernels' `kernels.flash.FlashCell` record."""
        return flash.FlashCell(kappa=self.kappa)

    def _flash_kw(self):
        return dict(cell=self.cell())

    @staticmethod
    def _wear(state):
        # Per-cell V_th shifts: faster charge loss of cycled cells, read disturb so far.
        out = {"cell_retention_mV_per_decade": state["wear_rate"]} if "wear_rate" in state else {}
        if "disturb" in state:
            out["disturb_vth"] = state["disturb"]
        return out

    def _program(self, targets, seed):
        out = flash.program(
            targets,
            seed=seed,
            g_min=self.g_min,
            g_max=self.g_max,
            prog_noise_scale=self.prog_noise_scale,
            pe_cycles=self.pe_cycles,
            ispp=flash.IsppSchedule(medium_step=self.ispp_medium_step),
            **self._flash_kw(),
        )
        z = rng.numpy_normal(seed, rng.STREAM_DISTURB, targets.size).reshape(targets.shape)
        sd = self.disturb_spread
        state = {
            "vth": out["vth"],
            "pulses": out["pulses"],
            "disturb": np.zeros(targets.shape),
            "susceptibility": np.exp(sd * z - 0.5 * sd * sd),
        }
        if self.pe_cycles > 0:  # cycled cells lose charge faster, unevenly (`flash.wear_retention_rates`)
            state["wear_rate"] = flash.wear_retention_rates(targets.shape, self.pe_cycles, seed=seed)
        return state

    def read_disturb(
        self,
        state: dict[str, np.ndarray],
        start: np.ndarray,
        n_reads: int | list[int],
        *,
        polarity: Literal["unipolar", "bipolar", "negative"] = "unipolar",
        v_read: float | None = None,
    ) -> np.ndarray:
        """V_th shifts (V) of the cells of `state` after `n_reads` inference reads from shifts `start`
        (a list of counts: after each, stacked along a first axis; `kernels.flash.read_disturb`:
        pass-voltage stress, `cells_per_bitline - 1` stress events per cell and read, each cell's
        susceptibility, ceiling `DISTURB_HEADROOM` above the g_max level's V_th). Pass-voltage
        stress has one sign: `polarity` must be "unipolar"; `v_read` (the RRAM read voltage of
        `DeviceArray.apply_reads`) does not enter."""
        if polarity != "unipolar":
            raise ValueError(
                f"polarity must be 'unipolar' for Flash (pass-voltage stress has one sign), got {polarity!r}"
            )
        ceiling = float(flash.vth_for_conductance(self.g_max, **self._flash_kw())) + flash.DISTURB_HEADROOM
        return flash.read_disturb(
            state["vth"],
            start,
            n_reads,
            cells_per_bitline=self.cells_per_bitline,
            ceiling_vth=ceiling,
            susceptibility=state.get("susceptibility"),
        )

    def _read(self, state, t, seed, knobs):
        return flash.read(
            state["vth"],
            t,
            seed=seed,
            temperature_K=knobs.temperature_K,
            read_noise_scale=knobs.read_noise_scale,
            drift_scale=_drift_scale_at(knobs, t),
            **self._flash_kw(),
            **self._wear(state),
        )

    def _read_moments(self, state, t, knobs):
        return flash.read_moments(
            state["vth"],
            t,
            temperature_K=knobs.temperature_K,
            read_noise_scale=knobs.read_noise_scale,
            drift_scale=_drift_scale_at(knobs, t),
            **self._flash_kw(),
            **self._wear(state),
        )

    def _read_moments_times(self, state, times, knobs):
        # The drift scale multiplies log10(1 + t), zero at t = 0 (`_drift_scale_at`): read at the latest time.
        return flash.read_moments_times(
            state["vth"],
            times,
            temperature_K=knobs.temperature_K,
            read_noise_scale=knobs.read_noise_scale,
            drift_scale=_drift_scale_at(knobs, max(times)),
            **self._flash_kw(),
            **self._wear(state),
        )

    def _read_mean(self, state, t, knobs):
        # Retention shift and U_T: the mean does not depend on the read noise.
        return flash.read_moments(
            state["vth"],
            t,
            temperature_K=knobs.temperature_K,
            read_noise_scale=0.0,
            drift_scale=_drift_scale_at(knobs, t),
            **self._flash_kw(),
            **self._wear(state),
        )[0]

    def iv_curves(self, vth: ArrayLike, v_gs: ArrayLike, temperature_K: float | None = None) -> np.ndarray:
        """Drain current (A) of cells with thresholds `vth` (V) at gate voltages `v_gs` (V),
        at `temperature_K` (default: the device's read temperature)."""
        temperature_K = self.temperature_K if temperature_K is None else temperature_K
        return flash.iv_curves(vth, v_gs, temperature_K=temperature_K, **self._flash_kw())

    def _pulse_config(self):
        # ISPP moves the threshold in near-equal steps: a near-linear, one-way (program) response.
        return dict(dg=(self.g_max - self.g_min) / 256, asymmetry=0.0, d2d=0.05, gamma_up=0.0, gamma_down=0.0, c2c=0.05)

    default_pulses = 300


class ECRAMDevice(Device):
    """ECRAM-like pulse-update device: near-linear, near-symmetric steps (physics
    reference section 5: ECRAM / Li-ion synaptic transistors). Programmed by
    closed-loop pulsing (the bulk of each approach fast-forwarded in one draw of its
    summed step noise, `kernels.pulsed.pulse_to_target`; same distributions of final
    conductance and pulse count, tested); no drift model."""

    technology = "ECRAM"
    read_knobs = ("read_noise_scale",)
    source = "Physics reference section 5 (ECRAM / Li-ion synaptic transistors); aihwkit device presets"

    g_min = param.Number(0.0, bounds=(0.0, None), doc="Lowest conductance (uS).")
    g_max = param.Number(10.0, bounds=(1e-3, None), doc="Highest conductance (uS).")
    n_states = param.Integer(
        1000,
        bounds=(2, 100000),
        doc=("Number of states: the step at the middle of the range is (g_max - g_min) / n_states (aihwkit's dw_min)."),
    )
    nonlinearity = param.Number(
        0.0,
        bounds=(0.0, 5.0),
        doc="Exponent of the step's dependence on the distance to the bound (0 linear, 1 soft bounds).",
    )
    asymmetry = param.Number(0.05, bounds=(-1.0, 1.0), doc="Up/down step asymmetry.")
    d2d = param.Number(0.1, bounds=(0.0, 5.0), doc="Device-to-device spread of the step size.")
    c2c = param.Number(0.05, bounds=(0.0, 5.0), doc="Cycle-to-cycle spread of each step.")
    read_noise = param.Number(0.005, bounds=(0.0, 1.0), doc="Read-noise standard deviation relative to g_max.")

    def _program(self, targets, seed):
        flat = targets.ravel()
        cfg = self._pulse_config()
        dg_up, dg_down = pulsed.device_steps(
            flat.size,
            dg_min=cfg["dg"],
            asymmetry=cfg["asymmetry"],
            d2d=cfg["d2d"],
            seed=seed,
            g_span=self.g_max - self.g_min,
        )
        g, n = pulsed.pulse_to_target(
            self.g_min,
            flat,
            g_min=self.g_min,
            g_max=self.g_max,
            dg_up=dg_up,
            dg_down=dg_down,
            gamma_up=cfg["gamma_up"],
            gamma_down=cfg["gamma_down"],
            c2c=cfg["c2c"] * self.prog_noise_scale,
            max_pulses=20 * self.n_states,
            seed=seed,
            fast_forward=True,
        )
        return {"g_prog": g.reshape(targets.shape), "pulses": n.reshape(targets.shape)}

    def _read(self, state, t, seed, knobs):
        g = state["g_prog"]
        z = rng.numpy_normal(seed, rng.STREAM_READ, g.size).reshape(g.shape)
        sigma = knobs.read_noise_scale * self.read_noise * self.g_max
        return np.clip(g + sigma * z, self.g_min, self.g_max)

    def _read_moments(self, state, t, knobs):
        g = state["g_prog"]
        return g.copy(), np.full_like(g, knobs.read_noise_scale * self.read_noise * self.g_max)

    def _read_mean(self, state, t, knobs):
        return state["g_prog"].copy()

    def _pulse_config(self):
        # aihwkit's convention: dw_min = span / n_states is the step at the middle of the range
        # (w = 0), so with soft bounds (dw = dw_min (1 - w/w_max) up, dw_min (1 - w/w_min) down)
        # the first step from a bound is 2 dw_min. The kernels scale steps by the distance to the
        # bound over the whole span, u^gamma with u in [0, 1], so the step amplitude is
        # dw_min 2^gamma (dw_min itself for a linear device).
        dw_min = (self.g_max - self.g_min) / self.n_states
        return dict(
            dg=dw_min * 2.0**self.nonlinearity,
            asymmetry=self.asymmetry,
            d2d=self.d2d,
            gamma_up=self.nonlinearity,
            gamma_down=self.nonlinearity,
            c2c=self.c2c,
        )

    @property
    def default_pulses(self) -> int:
        return min(self.n_states, 5000)


class SoftBoundsDevice(ECRAMDevice):
    """Soft-bounds pulse-update device, aihwkit's ``SoftBoundsDevice``: steps shrink
    linearly toward each bound, 30 % device-to-device and cycle-to-cycle spread
    (physics reference section 5)."""

    technology = "Soft-bounds"
    source = "Physics reference section 5; aihwkit SoftBoundsDevice"
    n_states = param.Integer(
        1200,
        bounds=(2, 100000),
        doc=(
            "Number of states: the step at the middle of the range is (g_max - g_min) / n_states "
            "(aihwkit's dw_min); twice that from a bound."
        ),
    )
    nonlinearity = param.Number(
        1.0, bounds=(0.0, 5.0), doc="Exponent of the step's dependence on the distance to the bound (1 soft bounds)."
    )
    asymmetry = param.Number(0.0, bounds=(-1.0, 1.0), doc="Up/down step asymmetry.")
    d2d = param.Number(0.3, bounds=(0.0, 5.0), doc="Device-to-device spread of the step size.")
    c2c = param.Number(0.3, bounds=(0.0, 5.0), doc="Cycle-to-cycle spread of each step.")


TECHNOLOGIES = {
    cls.technology: cls for cls in (PCMDevice, HermesPCMDevice, RRAMDevice, FlashDevice, ECRAMDevice, SoftBoundsDevice)
}


def DeviceModel(
    technology: Literal["PCM", "PCM-HERMES", "RRAM", "Flash", "ECRAM", "Soft-bounds"] = "PCM", **params: Any
) -> Device:
    """A device of `technology` ("PCM", "PCM-HERMES", "RRAM", "Flash", "ECRAM", "Soft-bounds").

    Keyword arguments set the technology's parameters, e.g.
    ``DeviceModel("RRAM", read_noise_scale=0.5)``.
    """
    if technology not in TECHNOLOGIES:
        raise ValueError(f"technology must be one of {sorted(TECHNOLOGIES)}, got {technology!r}")
    cls = TECHNOLOGIES[technology]
    unknown = sorted(set(params) - set(cls.param))
    if unknown:
        raise ValueError(
            f"unknown parameter(s) {unknown} for technology {technology!r}; "
            f"allowed: {sorted(p for p in cls.param if p != 'name')}"
        )
    return cls(**params)
