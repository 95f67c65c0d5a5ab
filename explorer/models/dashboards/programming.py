"""Model behind the Programming dashboard: one programming run, stepped and watched as it goes.

Plain Param, no Panel; a notebook drives it as the dashboard does:

    ex = ProgrammingExplorer(technology="RRAM", size=64, ir_drop=True)
    ex.programming.method = "gdp"
    ex.step(50)                       # 50 more iterations of the current run
    ex.convergence()["mvm_error"]     # one entry per iteration (entry 0: before the first)
    ex.comparison()                   # every method to its end on the same matrix and seed

The run is state: it belongs to the settings it was started with, and any change of a setting
(technology, size, method, a knob, a read-out control) starts a new one at iteration 0. The
matrix is a section-12 protocol matrix from the weights stream of `seed`; the run draws its
pulses, inputs and reads from the programming, inputs and read streams of `seed` (one stream per
purpose, `kernels.rng.derive_seed`), so the same settings and seed give the same curves however
the run is stepped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import param

from kernels.rng import derive_seed

from .._internal.locks import lock_of, serialized
from ..crossbar.protocol_data import protocol_weights
from ..devices import TECHNOLOGIES
from ..programming import HISTORY_KEYS, ProgrammingMethod
from .base import KeyFigure
from .drives_crossbar import DrivesCrossbar

if TYPE_CHECKING:
    from ..programming import ProgrammingRun

RUN_METHODS = ("one-shot", "verify", "gdp")
"""The methods that program pulse by pulse (the statistical default has no run to watch)."""


class ProgrammingExplorer(DrivesCrossbar):
    """A protocol matrix programmed by one method, iteration by iteration, on a crossbar."""

    technology = param.Selector(
        default="RRAM",
        objects=list(TECHNOLOGIES),
        doc=(
            "Memory technology (RRAM here). Re-declared rather than assigned: a plain class attribute "
            "would shadow the inherited parameter, and the Technology control would change nothing."
        ),
    )
    size = param.Integer(64, bounds=(16, 256), step=16, doc="Rows and columns of the weight matrix.")
    log10_wire_resistance = param.Number(
        np.log10(0.35),
        bounds=(-2.0, 1.0),
        step=0.05,
        label="Wire resistance",
        doc="Wire resistance per cell segment, log10 of ohm (IR drop on).",
    )
    programming = param.ClassSelector(
        class_=ProgrammingMethod,
        precedence=-1,
        doc=(
            "The programming method and its knobs: those named in METHOD_CONTROLS are the dashboard's "
            "controls, used as they are."
        ),
    )
    iteration = param.Integer(
        0,
        bounds=(0, None),
        precedence=-1,
        constant=False,
        doc=("Iterations the current run has made (state, not a setting: the plots follow it)."),
    )

    READ_CONTROLS = ("ir_drop", "adc_bits", "adc_offset_lsb")
    XB_DEFAULTS = {"n_slices": 1, "weight_bits": 8}
    METHOD_CONTROLS = (
        "method",
        "tolerance",
        "max_iterations",
        "gain",
        "parallel_verify",
        "learning_rate",
        "batch_size",
    )
    """The programming method's knobs shown as controls (one place to add one)."""
    METHOD_DEFAULTS = {"method": "verify", "max_iterations": 100}
    """Where this dashboard starts from other defaults than `ProgrammingMethod`'s: a method with
    a run, and iterations enough for GDP."""

    def __init__(self, **params: Any) -> None:
        programming = params.pop("programming", None)
        knobs = {k: params.pop(k) for k in list(params) if k in ProgrammingMethod.param and k != "name"}
        super().__init__(**params)
        self.programming = (
            programming if programming is not None else ProgrammingMethod(**{**self.METHOD_DEFAULTS, **knobs})
        )
        if programming is not None and knobs:
            self.programming.param.update(**knobs)
        if self.programming.method not in RUN_METHODS:
            raise ValueError(f"method must be one of {list(RUN_METHODS)} here, got {self.programming.method!r}")
        self._run = None
        self._run_key = None
        self._apply()
        self.xb.param.watch(self._settings_changed, list(self.xb.param))
        self.programming.param.watch(self._settings_changed, list(ProgrammingMethod.param))

    snapshot_key = None
    """A run is state: its results are not shared with other sessions."""

    @classmethod
    def _own_names(cls):
        return [n for n in super()._own_names() if n not in ("programming", "iteration")]

    @classmethod
    def scenario_settings(cls) -> tuple[str, ...]:
        """Own settings, the read-out controls (``xb.<name>``) and the method's knobs
        (``programming.<knob>``)."""
        return super().scenario_settings() + tuple(f"programming.{n}" for n in cls.METHOD_CONTROLS)

    def settings(self) -> dict[str, Any]:
        """Every setting (own, read-out controls, method knobs) as keyword arguments that rebuild
        the explorer: ``ProgrammingExplorer(**ex.settings())``."""
        return {**super().settings(), **{n: getattr(self.programming, n) for n in self.METHOD_CONTROLS}}

    @property
    def wire_resistance_ohm(self) -> float:
        return float(10.0**self.log10_wire_resistance)

    @param.depends("technology", "log10_wire_resistance", watch=True)
    def _apply(self):
        self.xb.param.update(technology=self.technology, wire_resistance_ohm=self.wire_resistance_ohm)

    @param.depends("size", "seed", watch=True)
    def _own_changed(self):
        """Technology and wire resistance reach the run through the crossbar model (`_apply`),
        whose every change restarts it; size and seed are the explorer's own."""
        self._settings_changed()

    def _settings_changed(self, *events):
        """A setting moved: the current run is for the old settings, so it ends (a new one starts
        at iteration 0 on the next step or plot)."""
        with lock_of(self):
            self._run = None
        if self.iteration == 0:
            self.param.trigger("iteration")
        else:
            self.iteration = 0

    # ------------------------------------------------------------------ the run

    @serialized
    def weights(self) -> np.ndarray:
        """The protocol matrix ``(size, size)`` from the weights stream of `seed`."""
        return self.remember(
            "problem",
            (self.size, self.seed),
            lambda: protocol_weights(self.size, self.size, derive_seed(self.seed, "weights")),
        )

    @serialized
    def run(self) -> ProgrammingRun:
        """The current `ProgrammingRun` (a new one if a setting changed since the last)."""
        if self._run is None:
            if self.programming.method not in RUN_METHODS:
                raise ValueError(f"method must be one of {list(RUN_METHODS)} here, got {self.programming.method!r}")
            self._run = self.programming.run(self.xb, self.weights(), derive_seed(self.seed, "programming"))
        return self._run

    @property
    def done(self) -> bool:
        """Whether the current run has finished (converged, stopped, or out of iterations)."""
        return self.run().done

    def step(self, n_iterations: int = 1, notify: bool = True) -> dict[str, np.ndarray]:
        """`n_iterations` more iterations of the current run (fewer if it finishes); the plots
        follow through `iteration` (set now, or by `notify()` later when `notify` is False: a
        dashboard steps in a thread and tells its page on the page's own thread). Returns the
        run's new history rows."""
        with lock_of(self):
            rows = self.run().step(n_iterations)
        if notify:
            self.notify()
        return rows

    def notify(self) -> None:
        """Set `iteration` to the current run's (the plots that follow it are redrawn)."""
        with lock_of(self):
            iteration = self.run().iteration
        if iteration != self.iteration:
            self.iteration = iteration

    def reset(self) -> None:
        """Start the run again from iteration 0 (same settings, same seed: the same curve)."""
        self._settings_changed()

    # ------------------------------------------------------------------ plot data

    @serialized
    def convergence(self) -> dict[str, Any]:
        """The run's history so far: a dict of arrays, one entry per iteration (`HISTORY_KEYS`:
        MVM and weight error, cumulative pulses, single-device reads, MVMs, chip time in s (with
        verify's devices at once and one at a time) and energy in J, converged), with the run's
        method, whether it is done and how many devices verify pulses and reads at once."""
        run = self.run()
        return {
            **run.history,
            "method": run.kind,
            "done": run.done,
            "max_iterations": run.method.max_iterations,
            "devices_at_once": run.devices_at_once,
        }

    @serialized
    def devices(self, bins: int = 80) -> dict[str, Any]:
        """The programmed devices now: histogram of each device's error (uS, mean conductance minus
        target, t = 0) with the tolerance band, and histogram of the conductances (uS)."""
        run = self.run()
        prog = run.crossbar
        g = prog.state.mean(0.0, run.settings).ravel()
        error = g - prog.targets.ravel()
        span = prog.encoding.g_hi - prog.encoding.g_lo
        wide = max(float(np.max(np.abs(error))), 2.0 * run.tolerance_uS, 1e-3 * span)
        err_edges = np.linspace(-wide, wide, bins + 1)
        g_edges = np.linspace(prog.encoding.g_lo, prog.encoding.g_hi + 1e-9, bins + 1)
        return {
            "error_edges": err_edges,
            "error_counts": np.histogram(np.clip(error, -wide, wide), err_edges)[0],
            "g_edges": g_edges,
            "g_counts": np.histogram(np.clip(g, g_edges[0], g_edges[-1]), g_edges)[0],
            "target_counts": np.histogram(prog.targets.ravel(), g_edges)[0],
            "tolerance_uS": run.tolerance_uS,
            "within": float(np.mean(np.abs(error) <= run.tolerance_uS)),
            "iteration": run.iteration,
        }

    FIGURES = (
        ("MVM error", "mvm_error", 100.0, "%"),
        ("Weight error", "weight_error", 100.0, "%"),
        ("Pulses", "pulses", 1.0, "pulses"),
        ("Device reads", "reads", 1.0, "reads"),
        ("Chip time", "chip_time_s", 1e6, "µs"),
        ("Energy", "energy_J", 1e9, "nJ"),
        ("Iterations", "iteration", 1.0, ""),
    )
    """Key figures from the run's history: (name, `HISTORY_KEYS` column, factor to the unit, unit)."""

    def key_figures(self) -> tuple[KeyFigure, ...]:
        """The run so far (the convergence plots' titles): its last MVM and weight error, cumulative
        pulses, device reads, chip time and energy, iterations, and the share of devices within the
        tolerance (the device plot's title). All nan before the run starts (no run, or iteration 0):
        the figures are the run's, and a run starts with Start (`step`); no run is made here."""
        with lock_of(self):
            run = self._run
            started = run is not None and (run.iteration > 0 or run.done)
            h = self.convergence() if started else None
            within = 100 * self.devices()["within"] if started else np.nan
            method = self.programming.method
        at = f"{method} on a {self.size} x {self.size} protocol matrix of {self.technology}"
        where = f"after iteration {int(h['iteration'][-1])}" if started else "nan before Start"
        figures = [
            KeyFigure(name, factor * h[column][-1] if started else np.nan, unit, f"{at}, {where} (convergence())")
            for name, column, factor, unit in self.FIGURES
        ]
        figures.append(
            KeyFigure(
                "Within tolerance",
                within,
                "%",
                f"devices whose mean conductance is within the tolerance of its target, {at}, {where} (devices())",
            )
        )
        return tuple(figures)

    def comparison(self) -> list[dict[str, Any]]:
        """Every method run to its end on the same matrix, crossbar and seed with the current
        knobs: one row per method with its final MVM and weight error, pulses, single-device
        reads, MVMs, chip time (s) with verify's `parallel_verify` devices at once and one at a
        time, energy (J), iterations, whether it converged, and the devices verified at once."""
        with lock_of(self):
            method = self.programming
            W, seed = self.weights(), derive_seed(self.seed, "programming")
            knobs = {k: getattr(method, k) for k in ProgrammingMethod.KNOBS}
        rows = []
        for name in RUN_METHODS:
            run = ProgrammingMethod(**{**knobs, "method": name}).run(self.xb, W, seed)
            run.run()
            last = {k: v[-1] for k, v in run.history.items()}
            rows.append(
                {
                    "method": name,
                    **{k: last[k] for k in HISTORY_KEYS if k != "iteration"},
                    "iterations": int(last["iteration"]),
                    "devices_at_once": run.devices_at_once,
                }
            )
        return rows
