"""Model behind the Training dashboard: several on-chip trainings (the digits MLP, or the 5 x 5
correlation task: `task`) side by side, on the same devices and seed, stepped and watched as they
go (no Panel here).

    ex = TrainingExplorer(device="asymmetric soft bounds, 300 states", epochs=10)
    ex.step(500)                    # 500 more samples of every compared algorithm
    ex.curves()["TTv2"]["test_accuracy"]
    ex.weight_histograms()          # A, H and C of the focused algorithm (`algorithm`)
    ex.update_curve()               # the device's mean response to up then down pulses
    ex.task = "5 x 5 correlation"   # the tile learning y = x W*: curves()[...]["weight_error"]
    ex.weights_against_target()     # the focused algorithm's W against W*

The runs are state (`explorer.models.training.on_chip.OnChipRun`): any change of a setting ends them, and
new ones start at sample 0 on the next step or plot. The same settings and seed give the same
curves however the runs are stepped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import param

from kernels import rng
from kernels import tile_training as tk

from .._internal.locks import lock_of, serialized
from ..digits import load_digits
from ..training.on_chip import ALGORITHMS, DEVICE_PRESETS, OnChipTraining, device_bounds, device_steps
from .base import KeyFigure

if TYPE_CHECKING:
    from ..training.on_chip import OnChipRun


class TrainingExplorer(OnChipTraining):
    """On-chip trainings of the `task` by the `compared` algorithms; `algorithm` is the one whose
    tiles the histograms show."""

    compared = param.ListSelector(
        default=["float SGD", "analog SGD", "TTv2", "c-TTv2", "AGAD"],
        objects=list(ALGORITHMS),
        label="Algorithms",
        doc=("The algorithms trained side by side on the same devices and seed."),
    )
    progress = param.Integer(
        0,
        bounds=(0, None),
        precedence=-1,
        doc=("Samples each run has trained (state, not a setting: the plots follow it)."),
    )

    SETTING_GROUPS = {
        "Task": ("task", "label_noise"),
        "Device": (
            "device",
            "n_states",
            "asymmetry",
            "slope",
            "d2d",
            "up_down_d2d",
            "w_max_d2d",
            "w_min_d2d",
            "c2c",
            "write_noise",
        ),
        "Algorithm": (
            "compared",
            "algorithm",
            "lr",
            "lr_h",
            "transfer_every",
            "reference_offset",
            "chopper_p",
            "bl",
            "max_steps",
            "forget_buffer",
            "momentum",
        ),
        "Read-out": ("read_noise", "dac_bits", "adc_bits", "out_bound"),
        "Length and seed": ("epochs", "seed"),
    }
    """The settings the dashboard shows as controls, by concern and in its order (one place to add
    one): what the page's URL and a scenario file keep. `hidden` is not among them: the tab has no
    control for it."""

    SCENARIO_SETTINGS = tuple(name for names in SETTING_GROUPS.values() for name in names)
    """`SETTING_GROUPS` in one tuple."""

    @classmethod
    def scenario_settings(cls) -> tuple[str, ...]:
        """The settings the page's URL and a scenario file keep (`SCENARIO_SETTINGS`)."""
        return cls.SCENARIO_SETTINGS

    SETTINGS_WATCHED = tuple(n for n in OnChipTraining.param if n not in ("name", "device"))

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._runs = None
        self._digits = None
        self.param.watch(self._settings_changed, [*self.SETTINGS_WATCHED, "compared"])

    # ------------------------------------------------------------------ runs

    def _settings_changed(self, *events):
        """A setting moved: the runs belong to the old settings and end."""
        if all(e.name == "algorithm" for e in events) and self._runs is not None and self.algorithm in self._runs:
            return  # only the histograms' focus moved
        self.reset()

    def figures(self, **options: Any) -> dict[str, Any]:
        """The dashboard's figures for the runs' current point as HoloViews objects, by chart
        heading, as `Explorer.figures` gives them (`explorer.figures`)."""
        from ...figures import figures

        return figures(self, **options)

    def shown_algorithms(self) -> list[str]:
        """The compared algorithms, and the focused one if it is not among them."""
        names = [a for a in ALGORITHMS if a in self.compared]
        return names if self.algorithm in names else names + [self.algorithm]

    @serialized
    def runs(self) -> dict[str, OnChipRun]:
        """algorithm -> its `OnChipRun` (new runs if a setting changed since the last call)."""
        if self._runs is None:
            self.check()
            base = self.snapshot()
            if self._digits is None and self.task == "digits MLP":
                self._digits = load_digits()
            self._runs = {
                a: OnChipTraining(**{**base, "algorithm": a}).run(self._digits) for a in self.shown_algorithms()
            }
        return self._runs

    @property
    def total_samples(self) -> int:
        """Samples of a whole run: `epochs` epochs (passes over the digits' training split, or
        `CORRELATION_EPOCH` samples of the 5 x 5 task)."""
        run = next(iter(self.runs().values()))
        return self.epochs * run.epoch_size

    @property
    def done(self) -> bool:
        """Whether the runs have trained every epoch (read from the runs: `progress` follows them
        only when the page is told, `notify`)."""
        with lock_of(self):
            return next(iter(self.runs().values())).samples >= self.total_samples

    def step(self, samples: int, notify: bool = True) -> None:
        """`samples` more samples of every run (fewer at the end); the plots follow `progress`
        (set now, or by `notify()` later: a dashboard steps in a thread)."""
        with lock_of(self):
            runs = self.runs()
            left = self.total_samples - next(iter(runs.values())).samples
            n = min(int(samples), left)
            if n > 0:
                for run in runs.values():
                    run.step(n)
        if notify:
            self.notify()

    def notify(self) -> None:
        """Set `progress` to the runs' sample count (the plots that follow it are redrawn)."""
        with lock_of(self):
            samples = next(iter(self.runs().values())).samples
        if samples != self.progress:
            self.progress = samples

    def reset(self) -> None:
        """Start the runs again at sample 0 (same settings and seed: the same curves)."""
        with lock_of(self):
            self._runs = None
        if self.progress == 0:
            self.param.trigger("progress")
        else:
            self.progress = 0

    # ------------------------------------------------------------------ plot data

    @serialized
    def curves(self) -> dict[str, dict[str, np.ndarray]]:
        """algorithm -> dict of arrays over the points so far: epoch, test_accuracy (through the
        read-out; NaN on the 5 x 5 task), weight_error (5 x 5 task; NaN on the digits), test_loss,
        train_loss (mean over the samples since the previous point; NaN at 0), pulses, chip_time_s,
        capped_pulses (pulses the transfers held back because of `max_steps`)."""
        out = {}
        for name, run in self.runs().items():
            pts = run.points
            out[name] = {
                k: np.array([getattr(p, k) for p in pts], dtype=float)
                for k in (
                    "epoch",
                    "test_accuracy",
                    "weight_error",
                    "test_loss",
                    "train_loss",
                    "pulses",
                    "chip_time_s",
                    "capped_pulses",
                )
            }
        return out

    def key_figures(self) -> tuple[KeyFigure, ...]:
        """The runs so far (the learning curves' titles): each shown algorithm's last test accuracy
        (digits) or weight error (5 x 5 task), the focused algorithm's pulses and chip time, and
        the epochs trained. All nan before the runs start (no sample trained yet): the figures are
        the runs', and runs start with Start (`step`); no run is made here."""
        measure, label = (
            ("test_accuracy", "Test accuracy") if self.task == "digits MLP" else ("weight_error", "Weight error")
        )
        with lock_of(self):
            runs = self._runs
            started = runs is not None and next(iter(runs.values())).samples > 0
            curves = self.curves() if started else {}
        names = list(curves) if started else self.shown_algorithms()
        where = f"at epoch {next(iter(curves.values()))['epoch'][-1]:.2f}" if started else "nan before Start"
        task = f"{self.task}, {self.device}, seed {self.seed}"

        def last(name, key, factor=1.0):
            return factor * float(curves[name][key][-1]) if started else np.nan

        figures = [
            KeyFigure(f"{label}, {name}", last(name, measure, 100.0), "%", f"{name} on the {task}, {where} (curves())")
            for name in names
        ]
        focus = self.algorithm
        figures += [
            KeyFigure(
                f"Pulses, {focus}", last(focus, "pulses"), "pulses", f"cumulative update pulses, {where} (curves())"
            ),
            KeyFigure(
                f"Chip time, {focus}",
                last(focus, "chip_time_s", 1e3),
                "ms",
                f"80 ns per read, 1 ns per pulse slot (assumptions), {where} (curves())",
            ),
            KeyFigure(
                "Epochs trained", last(focus, "epoch"), "", f"epochs of the runs so far, of {self.epochs} (curves())"
            ),
        ]
        return tuple(figures)

    @serialized
    def weights_against_target(self) -> dict[str, Any] | None:
        """The 5 x 5 task's learned weights W of the focused algorithm against the target W*
        (flattened), with the mean shift of W - W* toward the symmetry point w* (each weight's
        difference signed toward w*) and its t statistic over the 25 weights: in-memory SGD on an
        asymmetric device settles with a shift toward w* (Gokmen and Haensch 2020), Tiki-Taka
        does not. None on the digits task."""
        if self.task != "5 x 5 correlation":
            return None
        run = self.runs()[self.algorithm]
        target, w = run.target.ravel(), run.weights.ravel().copy()
        sp = self.symmetry_point()
        toward = (w - target) * np.sign(sp - target)
        spread = toward.std(ddof=1) / np.sqrt(toward.size)
        return {
            "target": target,
            "weights": w,
            "symmetry_point": sp,
            "algorithm": self.algorithm,
            "epoch": run.epoch,
            "shift": float(toward.mean()),
            "t": float(toward.mean() / spread) if spread > 0 else 0.0,
        }

    @serialized
    def weight_histograms(self, bins: int = 60) -> dict[str, Any]:
        """Histograms over every layer of the focused algorithm's tiles: C (the weights), A (the
        fast tile, Tiki-Taka only), R (the reference, TTv2 and c-TTv2, at each device's own symmetry
        point plus the offset error: AGAD has none) and H (the digital buffer in pulses, TTv2 variants
        only); each a dict with edges, counts, and the nominal device's symmetry point."""
        run = self.runs()[self.algorithm]
        st = run.state
        edges = np.linspace(-1.0, 1.0, bins + 1)
        out = {"symmetry_point": self.symmetry_point(), "algorithm": self.algorithm, "epoch": run.epoch}

        def hist(arrays, e):
            v = np.concatenate([a.ravel() for a in arrays])
            return np.histogram(np.clip(v, e[0], e[-1]), e)[0]

        out["C"] = {"edges": edges, "counts": hist(st.C, edges)}
        if self.algorithm in ("TTv1", "TTv2", "c-TTv2", "AGAD"):
            out["A"] = {"edges": edges, "counts": hist(st.A, edges)}
        if self.algorithm in ("TTv2", "c-TTv2"):
            out["R"] = {"edges": edges, "counts": hist(st.R, edges)}
        if self.algorithm in ("TTv2", "c-TTv2", "AGAD"):
            out["H"] = {"edges": edges, "counts": hist(st.H, edges)}
        return out

    SAMPLE_DEVICES = 4
    """Devices of the first layer's C tile shown beside the mean update curve."""
    CURVE_POINTS = 600
    """Most points per update curve sent to the page (every k-th pulse beyond that)."""

    def update_curve(self, pulses: int | None = None) -> dict[str, Any]:
        """The device's update curve: the weight after k up pulses from -1, then k down pulses.
        ``w`` is the mean response (no spread, no noise); ``devices`` (`SAMPLE_DEVICES` rows) the
        weights a read sees on the first devices of the first layer's C tile, with their own steps
        (device-to-device spread), cycle-to-cycle spread and write noise, as training pulses them
        (`kernels.tile_training.device_response`; each with its own up/down bias, `up_down_d2d`, and
        its own bounds, `w_max_d2d` and `w_min_d2d`, starting from its lower bound).
        Points every `stride` pulses; the symmetry point (the nominal device's) is None if the
        device has none inside the range."""
        n = int(pulses or min(3 * self.n_states, 30000))
        dev = self.kernel_records()[0]
        dw_min = dev.dw_min
        ideal = dev._replace(c2c=0.0, write_noise=0.0)  # no cycle-to-cycle spread, no write noise
        mean = tk.device_response([dw_min * (1.0 + self.asymmetry), dw_min * (1.0 - self.asymmetry)], ideal, n)[0]
        keys = tk.make_keys(rng.derive_seed(self.seed, "training", 3))
        steps = np.vstack(
            [
                device_steps(
                    self.seed, self.n_states, self.d2d, 0, self.SAMPLE_DEVICES, self.asymmetry, self.up_down_d2d
                ),
                device_bounds(self.seed, 0, self.SAMPLE_DEVICES, self.w_max_d2d, self.w_min_d2d),
            ]
        )
        devices = tk.device_response(steps, dev, n, keys[tk.K_PULSE], keys[tk.K_WRITE])
        stride = max(1, -(-(2 * n + 1) // self.CURVE_POINTS))
        sp = self.symmetry_point()
        return {
            "pulse": np.arange(0, 2 * n + 1, stride, dtype=float),
            "w": mean[::stride],
            "devices": devices[:, ::stride],
            "up_pulses": n,
            "stride": stride,
            "symmetry_point": sp if -1.0 < sp < 1.0 else None,
        }


__all__ = ["DEVICE_PRESETS", "TrainingExplorer"]
