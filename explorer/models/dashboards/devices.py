"""Model behind the Devices dashboard: the sliders' parameters and the data of every plot.

Plain Param, no Panel: a notebook drives it exactly like the dashboard does,

    ex = DevicesExplorer(technology="RRAM", read_noise_scale=0.5)
    ex.histogram()["counts"]

Programming is redone only when a programming-time parameter changes
(technology, programming-noise scale, number of levels, number of devices,
seed); read-time sliders (time, drift, read noise, temperature) re-read the
programmed array, which is what makes them instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import param

from kernels import flash
from kernels.rng import derive_seed

from ..devices import SECONDS_PER_YEAR, TECHNOLOGIES, DeviceKnobs, FlashDevice, RRAMDevice
from ..programming import DEVICE_METHODS, program_devices
from .base import MAX_LOG_TIME, Explorer, KeyFigure

if TYPE_CHECKING:
    from ..devices import Device, DeviceArray

KNOBS = DeviceKnobs.KNOBS
"""Sliders that set the same-named parameter of the device."""


def format_duration(seconds: float) -> str:
    """Human-readable duration: '1 s', '3.6 min', '1 h', '30 d', '10 y'."""
    for unit, size in (("y", SECONDS_PER_YEAR), ("d", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.3g} s"


class DevicesExplorer(Explorer, DeviceKnobs):
    """Programmed multi-level states of one technology and how they evolve.

    Technology, time and seed come from `Explorer`; the noise, drift and temperature knobs from
    `DeviceKnobs` (declared once, shared with `Device`), set on the current technology's device.
    """

    n_levels = param.Integer(8, bounds=(2, 256), doc="Number of programmed conductance levels.")
    n_devices = param.Integer(8192, bounds=(256, 65536), doc="Devices programmed in total, shared among the levels.")

    programming_method = param.Selector(
        default="statistical",
        objects=list(DEVICE_METHODS),
        label="Programming method",
        doc=(
            "How the levels are programmed: the post-verify statistics of the cited "
            "papers, one open-loop pulse train, or program-and-verify pulse by pulse "
            "(default knobs: 2 % tolerance, 20 rounds; the Programming tab has them all)."
        ),
    )

    devices = param.Dict(default={}, precedence=-1, doc="One device per technology, kept across switches.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.devices = {name: cls() for name, cls in TECHNOLOGIES.items()}
        self._apply_knobs()

    # --- state -----------------------------------------------------------
    @param.depends("technology", *KNOBS, watch=True)
    def _apply_knobs(self):
        """Copy the knob sliders onto the current technology's device."""
        self.device.param.update(**{k: getattr(self, k) for k in KNOBS})

    @property
    def device(self) -> Device:
        """The current technology's device, with the sliders' knobs applied."""
        return self.devices[self.technology]

    @property
    def levels(self) -> np.ndarray:
        return self.device.level_targets(self.n_levels)

    def programmed(self) -> DeviceArray:
        """The programmed array (levels repeated), reprogrammed only when needed: kept per
        programming-time snapshot of the device (every parameter that decides the programmed
        state), number of levels and devices, seed and programming method; program-and-verify
        reads while it programs, so its array also depends on the read-time knobs."""
        dev = self.device
        per_level = max(self.n_devices // self.n_levels, 1)
        method = self.programming_method
        reads = dev.read_settings().key() if method == "verify" else ()
        return self.remember(
            "programmed",
            (dev.programming_settings().key(), self.n_levels, self.n_devices, self.seed, method, reads),
            lambda: program_devices(
                dev, np.repeat(self.levels, per_level), derive_seed(self.seed, "programming"), method
            ),
        )

    def active_knobs(self) -> set[str]:
        """Names of the read-time sliders the current technology responds to."""
        return set(self.device.read_knobs)

    # --- plot data -------------------------------------------------------
    def histogram(self, bins: int = 240) -> dict[str, Any]:
        """Histogram of the read conductances at time t, in total and per level.

        Returns edges (uS), counts (total), per_level (n_levels x bins, or None
        above 16 levels), targets and the level error rate: the share of devices
        whose read conductance is nearer another level's target. Kept (`remember`) per
        programmed array, read-time knobs, time and bins: the plot and `key_figures` read one result.
        """
        dev = self.device
        key = (
            self.technology,
            dev.programming_settings().key(),
            dev.read_settings().key(),
            self.n_levels,
            self.n_devices,
            self.seed,
            self.programming_method,
            self.log10_time,
            bins,
        )
        return self.remember("histogram", key, lambda: self._histogram(bins))

    def key_figures(self) -> tuple[KeyFigure, ...]:
        """The level read-back error (the histogram's title) and the mean relative change of the
        levels' read conductance from their targets, both at the chosen time, from `histogram`."""
        h = self.histogram()
        at = f"{self.n_devices} devices, {self.n_levels} levels of {self.technology}"
        at += f" read at t = {format_duration(h['t'])}"
        shift = h["mean_ratio"][np.isfinite(h["mean_ratio"])]
        return (
            KeyFigure(
                "Level read-back error",
                100 * h["level_error_rate"],
                "%",
                f"share of {at} nearer another level's target than their own (histogram())",
            ),
            KeyFigure(
                "Mean conductance change",
                100 * float(np.mean(shift - 1.0)) if shift.size else np.nan,
                "%",
                f"mean over the levels of (mean read conductance / target - 1), {at} (histogram())",
            ),
        )

    def _histogram(self, bins):
        arr = self.programmed()
        g = arr.read(self.t, seed=self.read_seed)
        dev = self.device
        lo = min(dev.g_min, float(g.min()))
        hi = max(dev.g_max, float(g.max()))
        edges = np.linspace(lo, hi + 1e-9 * (hi - lo + 1.0), bins + 1)
        counts, _ = np.histogram(g, edges)
        targets = self.levels
        by_level = g.reshape(self.n_levels, -1)  # programmed as np.repeat(levels, per_level)
        per_level = None
        if self.n_levels <= 16:
            per_level = np.stack([np.histogram(row, edges)[0] for row in by_level])
        mids = 0.5 * (targets[1:] + targets[:-1])
        nearest = np.searchsorted(mids, by_level)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean_ratio = np.where(targets > 0, by_level.mean(axis=1) / targets, np.nan)
        return {
            "edges": edges,
            "counts": counts,
            "per_level": per_level,
            "targets": targets,
            "level_error_rate": float(np.mean(nearest != np.arange(self.n_levels)[:, None])),
            "t": self.t,
            "mean_ratio": mean_ratio,
        }

    def drift_trajectories(
        self, n_times: int = 48, levels_shown: int = 6, devices_per_level: int = 4
    ) -> dict[str, Any]:
        """Conductance of a few devices of a few levels read at log-spaced times (1 s to 10 y)."""
        arr = self.programmed()
        per_level = len(arr) // self.n_levels
        shown = np.unique(np.linspace(0, self.n_levels - 1, min(levels_shown, self.n_levels)).astype(int))
        index = (shown[:, None] * per_level + np.arange(min(devices_per_level, per_level))[None, :]).ravel()
        sub = arr.subset(index)
        times = np.logspace(0.0, MAX_LOG_TIME, n_times)
        g = np.stack([sub.read(t, seed=derive_seed(self.seed, "read", 1 + k)) for k, t in enumerate(times)], axis=1)
        return {
            "times": times,
            "g": g,
            "level": np.repeat(shown, len(index) // len(shown)),
            "targets": self.levels[shown],
            "t": self.t,
        }

    def pulse_response(self) -> dict[str, np.ndarray]:
        """Potentiation then depression of a few devices (pulse index, conductance in uS)."""
        return self.device.pulse_response(n_devices=6, seed=derive_seed(self.seed, "programming"))

    def rtn_trace(self, n_steps: int = 2000) -> dict[str, np.ndarray] | None:
        """RRAM random telegraph noise of three devices (low, middle, high conductance).

        Returns time (s) and the relative deviation from the programmed conductance,
        or None for other technologies.
        """
        dev = self.device
        if not isinstance(dev, RRAMDevice):
            return None
        targets = np.array(
            [dev.g_min + 0.05 * (dev.g_max - dev.g_min), 0.5 * (dev.g_min + dev.g_max), dev.g_max * 0.95]
        )
        arr = dev.program(targets, seed=derive_seed(self.seed, "programming"))
        duration = 20.0 * dev.rtn_tau
        trace = dev.rtn_trace(arr, duration, n_steps=n_steps, seed=derive_seed(self.seed, "read"))
        g0 = arr.state["g_prog"][:, None]
        return {
            "time": np.arange(n_steps) * duration / n_steps,
            "relative": trace / g0 - 1.0,
            "g_prog": arr.state["g_prog"],
        }

    def flash_iv(self, n_curves: int = 6, n_points: int = 121) -> dict[str, np.ndarray] | None:
        """Flash I-V curves (gate sweep) of cells at a few levels, at the read temperature and at 300 K."""
        dev = self.device
        if not isinstance(dev, FlashDevice):
            return None
        arr = self.programmed()
        per_level = len(arr) // self.n_levels
        shown = np.unique(np.linspace(0, self.n_levels - 1, min(n_curves, self.n_levels)).astype(int))
        vth = arr.state["vth"][shown * per_level]
        # Sweep the gate up to the read voltage: the exponential law holds below threshold only.
        v_gate = flash.V_READ_GATE
        v_gs = np.linspace(v_gate - 0.5, v_gate, n_points)
        return {
            "v_gs": v_gs,
            "current": dev.iv_curves(vth, v_gs),
            "vth": vth,
            "current_300K": dev.iv_curves(vth, v_gs, temperature_K=300.0),
            "targets": self.levels[shown],
        }
