"""The Reliability dashboard's model: accuracy of the digits MLP against time on simulated chips.

Settings: the technology and its device knobs (`Explorer`, `DeviceKnobs`), drift compensation,
chips, slices, ADC and programming method. The chips are programmed once per programming-time
snapshot (kept in the explorer's memo) and re-read when a read-time knob moves, so dragging the
drift or read-noise scale costs reads only. `curve()` is the plot's data; `reads_curves()` and
`reads_histogram()` (RRAM read disturb), `flash_reads()` (Flash read disturb against the cells per
bit line), `wear()` (Flash program/erase cycles) and `comparison()` (every technology preset) are
the second study's. The network is shipped, or trained with the
chosen hardware-aware noise (`pending_training`, `adopt`: a dashboard trains it in the background).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import param

from kernels import flash
from kernels.rng import derive_seed

from ...admission import Cost
from ..crossbar.model import CrossbarModel
from ..deployment import (
    COMPENSATIONS,
    POLARITIES,
    READ_DISTURB_TIME_S,
    deploy,
    evaluate,
    evaluate_reads,
    input_scales,
    reads_before_loss,
    summary,
)
from ..devices import SECONDS_PER_YEAR, TECHNOLOGIES, DeviceKnobs
from ..digits import load_digits
from ..programming import METHODS
from ..training.mlp import HWA_NOISES, HWA_SCALE_MAX, HWA_SCALE_STEP, MLP_VARIANTS, HWAConfig, load_mlp
from ..training.mlp_background import NetworkTraining, shipped_variant_for
from .base import Explorer, KeyFigure
from .devices import format_duration

if TYPE_CHECKING:
    from ..deployment import DeployedMLP
    from ..training.mlp import MLP

TIMES_S = np.logspace(0.0, np.log10(10 * SECONDS_PER_YEAR), 20)
"""The curve's times: 20 from 1 s to 10 years, log-spaced."""
ADC_CHOICES = ("ideal", 8, 6, 5, 4)
READS = np.array([0, 10**3, 10**4, 3 * 10**4, 10**5, 3 * 10**5, 10**6, 3 * 10**6, 10**7, 10**8, 10**10])
"""The read-disturb curve's read counts: 0, then 1e3 to 1e10 (half decades from 1e4 to 1e7, where
reads above the 0.3 V threshold start to cost accuracy: the higher the voltage, the sooner)."""
READ_LOSS = 0.02
"""The accuracy loss (2 points) at which the read-disturb plot counts the reads a scheme survives."""
CYCLES = np.array([10, 100, 1000, 3000, 10**4, 3 * 10**4, 10**5])
"""Program/erase cycles of the Flash-wear plot (endurance 1e4 to 1e5, physics reference section 4);
10 cycles is as good as fresh (its wear terms are 3 % of those at 1e4)."""
WEAR_TIMES_S = np.array([3600.0, SECONDS_PER_YEAR, 10 * SECONDS_PER_YEAR])
"""Retention times of the Flash-wear plot: 1 hour, 1 year, 10 years."""
FLASH_READS = np.array([0, 10**4, 10**5, 10**6, 3 * 10**6, 10**7, 3 * 10**7, 10**8, 3 * 10**8, 10**9])
"""The Flash read-disturb curve's inference-read counts: 0, then 1e4 to 1e9 (half decades where 16
to 256 cells per bit line start to cost accuracy)."""
CELLS_PER_BITLINE = (8, 16, 32, 64, 128, 256, 512, 1024)
"""The choices of the Flash read-disturb study's bit-line length (cells sharing a bit line)."""
STUDIES = ("read disturb", "Flash read disturb", "Flash wear", "technologies")


COST_BYTES_PER_CHIP_SLICE = 6 * 2**20
"""Peak bytes per chip and slice (chips x slices programmed copies of the network) of building the
Reliability dashboard. Fitted to `python -m explorer.tools.costs --tab rel` (docs/results/admission.md:
45 MB at 10 chips, 156 MB at 30, 1.06 GB at 50 chips of 4 slices), rounded up."""
COST_SECONDS_BASE = 4.6
COST_SECONDS_PER_CHIP_SLICE = 0.15
"""Seconds of one core of that build, a fixed part and a part per chip and slice, from the same
measurements (6.1 s at 10 chip-slices, 34 s at 200; noisy, the machine was shared)."""


class ReliabilityExplorer(Explorer, DeviceKnobs):
    """Accuracy versus time of the shipped digits MLP on `chips` chips of one technology.

    One-sided differential pairs, ideal DAC; the ADC's range is set at programming (`adc_bits`
    "ideal": no ADC). `log10_time` marks one time on the curve.
    """

    compensation = param.Selector(
        default="none",
        objects=list(COMPENSATIONS),
        label="Drift compensation",
        doc=("none; global: one factor ref / mean|y(t)| per layer; per-column: one per output (section 8)."),
    )
    chips = param.Integer(
        10,
        bounds=(2, 50),
        softbounds=(2, 30),
        label="Chips (Monte Carlo)",
        doc="Simulated chips: each programs the network with its own seed.",
    )
    n_slices = param.Integer(1, bounds=(1, 4), label="Slices", doc="Device pairs per weight (significance encoding).")
    adc_bits = param.Selector(
        default="ideal",
        objects=list(ADC_CHOICES),
        label="ADC bits",
        doc="ADC per column, its range set at programming (ideal: none).",
    )
    programming_method = param.Selector(
        default="statistical",
        objects=list(METHODS),
        label="Programming method",
        doc="How each layer is written (Programming tab).",
    )
    training = param.Selector(
        default="plain",
        objects=list(MLP_VARIANTS),
        label="Network training",
        doc=(
            "plain: trained in floating point; hwa: hardware-aware, noise injected in every mini-batch's "
            "forward pass (section 11)."
        ),
    )
    hwa_noise = param.Selector(
        default="additive",
        objects=list(HWA_NOISES),
        label="Training noise",
        doc=(
            "The hardware-aware network's noise: additive Gaussian (5 % of the layer's largest weight), "
            "multiplicative (10 % of each weight) or PCM-like programming noise (section 1's sigma(g))."
        ),
    )
    hwa_noise_scale = param.Number(
        1.0,
        bounds=(0.0, HWA_SCALE_MAX),
        step=HWA_SCALE_STEP,
        label="Training-noise scale",
        doc=(
            "Multiplies the training noise. The network of every position of the slider is shipped "
            "(additive at 1 is the hwa network); a value between them trains in the background (about "
            "a second) and is kept."
        ),
    )

    study = param.Selector(
        default="read disturb",
        objects=list(STUDIES),
        label="Second study",
        doc=(
            "The plots under the accuracy curve: RRAM read disturb, Flash read disturb, Flash wear, or every "
            "technology compared."
        ),
    )
    read_voltage = param.Number(
        0.4,
        bounds=(0.1, 0.6),
        step=0.05,
        label="Read voltage (V)",
        doc=(
            "RRAM read voltage of the read-disturb study: at or below 0.3 V the reads leave the states where "
            "they are; above it the saturated shift grows with the voltage and the rate e-fold every 50 mV."
        ),
    )
    log10_reads = param.Number(
        6.0,
        bounds=(0.0, 10.0),
        step=0.25,
        label="Marked reads",
        doc=("Reads since programming shown in the conductance histogram (log10 of the count)."),
    )
    cells_per_bitline = param.Selector(
        default=flash.CELLS_PER_BITLINE,
        objects=list(CELLS_PER_BITLINE),
        label="Cells per bit line (Flash)",
        doc=(
            "Flash read disturb: cells sharing a bit line. Each inference read stresses every cell once per "
            "other row with the pass voltage, so shorter bit lines (a partitioned array) disturb less."
        ),
    )

    MEMO_LIMITS = {
        "network": 8,
        "problem": 2,
        "programmed": 3,
        "curve": 16,
        "reads": 8,
        "histogram": 8,
        "wear": 4,
        "comparison": 4,
        "flash_reads": 8,
    }

    def __init__(self, shared: Any = None, **params: Any) -> None:
        super().__init__(**params)
        self._chips_lock = threading.RLock()  # the read-disturb study sets and resets the chips' reads
        self.shared = shared
        """Results shared with other explorers (a server's sessions): an object with
        ``get(key, compute)`` such as the views' `SharedResults`, or None (a notebook)."""

    def cost(self) -> Cost:
        """Estimated peak memory and work of the dashboard's charts: they grow with the chips and
        slices programmed (`COST_BYTES_PER_CHIP_SLICE`, `COST_SECONDS_PER_CHIP_SLICE`, measured)."""
        units = self.chips * self.n_slices
        return Cost(
            int(COST_BYTES_PER_CHIP_SLICE * units),
            COST_SECONDS_BASE + COST_SECONDS_PER_CHIP_SLICE * units,
            f"{self.chips} Reliability chips of {self.n_slices} slice(s)",
        )

    def result(self, name: str, key: Hashable, compute: Callable[[], Any]) -> Any:
        """`compute()` for a plot's data, kept under `name` and `key` (every input of the result: the
        keys below are pure functions of settings, seed and network), in `shared` when there is one,
        so a class at the same settings computes each curve once."""
        if self.shared is None:
            return self.remember(name, key, compute)
        return self.shared.get((type(self).__name__, name, key), lambda: self.remember(name, key, compute))

    def crossbar(self) -> CrossbarModel:
        """The crossbar model of the current settings, its device's knobs set."""
        xb = self.encoding_crossbar(self.technology)
        xb.device.param.update(**{k: getattr(self, k) for k in DeviceKnobs.KNOBS})
        return xb

    def active_knobs(self) -> set[str]:
        """Names of the read-time knobs the current technology responds to."""
        return set(self.crossbar().device.read_knobs)

    def network_config(self) -> HWAConfig:
        """The `HWAConfig` the network of the current settings is trained with."""
        if self.training == "plain":
            return HWAConfig()
        return dataclasses.replace(HWA_NOISES[self.hwa_noise], noise_scale=self.hwa_noise_scale)

    def network_key(self) -> str | tuple[str, tuple[float, float, float, float, int]]:
        """The shipped variant's name, or ``("trained", config key)`` for a network trained here."""
        config = self.network_config()
        return shipped_variant_for(config) or ("trained", config.effective())

    def pending_training(self) -> NetworkTraining | None:
        """A `NetworkTraining` (not started) of the current settings' network if neither shipped
        nor trained yet, else None: a dashboard runs it in the background and `adopt`s it."""
        key = self.network_key()
        if isinstance(key, str) or self.memo.peek("network", key) is not None:
            return None
        return NetworkTraining(self.network_config())

    def adopt(self, training: NetworkTraining) -> None:
        """Keep the network of `training` (a done `NetworkTraining`) for its settings."""
        config = training.config
        self.remember("network", ("trained", config.effective()), training.result)

    def network(self) -> MLP:
        """The MLP of the current settings: shipped (`training.mlp.SHIPPED_NETWORKS`), adopted, or
        trained now (about a second)."""
        key = self.network_key()
        if isinstance(key, str):
            return load_mlp(key)
        return self.remember("network", key, lambda: NetworkTraining(self.network_config()).run_to_end())

    def _task(self):
        def load():
            net, data = self.network(), load_digits()
            return net, data, input_scales(net, data.X_train)

        return self.remember("problem", (self.network_key(),), load)

    def encoding_crossbar(
        self,
        technology: Literal["PCM", "PCM-HERMES", "RRAM", "Flash", "ECRAM", "Soft-bounds"],
    ) -> CrossbarModel:
        """A crossbar of the `technology` preset (default knobs) with this explorer's encoding and ADC."""
        return CrossbarModel(
            technology=technology,
            mapping="differential",
            n_slices=self.n_slices,
            dac_bits=None,
            adc_bits=None if self.adc_bits == "ideal" else int(self.adc_bits),
        )

    def deployed(self, xb: CrossbarModel | None = None) -> list[DeployedMLP]:
        """The programmed chips, kept per programming-time snapshot, chips, seed and method (a
        pulse-level method reads while it programs: its chips also depend on the read settings)."""
        xb = xb or self.crossbar()
        net, _, scales = self._task()
        reads = xb.read_settings().key() if self.programming_method != "statistical" else ()
        key = (
            xb.programming_settings().key(),
            self.chips,
            self.seed,
            self.programming_method,
            reads,
            self.network_key(),
        )
        return self.remember(
            "programmed",
            key,
            lambda: deploy(net, xb, derive_seed(self.seed, "programming"), self.chips, self.programming_method, scales),
        )

    def curve_key(self, xb: CrossbarModel | None = None) -> tuple:
        """Every input of the accuracy-versus-time curve (`curve`), hashable."""
        xb = xb or self.crossbar()
        return (
            xb.programming_settings().key(),
            xb.read_settings().key(),
            self.chips,
            self.seed,
            self.programming_method,
            self.compensation,
            self.network_key(),
        )

    def kept(self, name: str, key: Hashable) -> bool:
        """Whether the result `name` for `key` is kept (by `result`): no computation needed."""
        if self.shared is not None and self.shared.holds((type(self).__name__, name, key)):
            return True
        return self.memo.peek(name, key) is not None

    def with_chips(self, chips: int) -> ReliabilityExplorer:
        """An explorer at these settings on the first `chips` of the chips (chip c is programmed
        from the seed and c alone, so they are the same chips), sharing this one's results store
        and trained network."""
        settings = {n: getattr(self, n) for n in self.scenario_settings()}
        other = type(self)(shared=self.shared, **{**settings, "chips": chips})
        key = self.network_key()
        net = None if isinstance(key, str) else self.memo.peek("network", key)
        if net is not None:
            other.remember("network", key, lambda: net)
        return other

    def curve(self) -> dict[str, Any]:
        """The accuracy-versus-time curve (`deployment.summary`) of the current settings."""
        xb = self.crossbar()
        settings = xb.read_settings()
        key = self.curve_key(xb)

        def compute():
            net, data, _ = self._task()
            with self._chips_lock:
                acc = evaluate(self.deployed(xb), data.X_test, data.y_test, TIMES_S, self.compensation, settings)
            return summary(TIMES_S, acc, net.accuracy(data.X_test, data.y_test))

        return self.result("curve", key, compute)

    def key_figures(self) -> tuple[KeyFigure, ...]:
        """From the kept accuracy-versus-time curve (`curve`): the mean accuracy over the chips at
        the curve's point nearest 1 year (the plot's title) with its 95 % half-width, at the marked
        time (linear in log time between the curve's points, as the plot draws it), and the
        network's floating-point accuracy. The second study's numbers are not among them: each
        study computes only when shown."""
        c = self.curve()
        t = c["times_s"]
        year = int(np.argmin(np.abs(np.log(t / SECONDS_PER_YEAR))))
        marked = float(np.interp(np.log10(self.t), np.log10(t), c["mean"]))
        comp = "no" if self.compensation == "none" else self.compensation
        at = f"mean over {self.chips} chips of {self.technology}, {comp} drift compensation, digits test set"
        return (
            KeyFigure(
                "Accuracy at the marked time",
                100 * marked,
                "%",
                f"{at}, at t = {format_duration(self.t)} (curve(), interpolated in log time)",
            ),
            KeyFigure(
                "Accuracy at 1 y",
                100 * c["mean"][year],
                "%",
                f"{at}, at the curve's point t = {format_duration(t[year])} (curve())",
            ),
            KeyFigure(
                "95 % half-width at 1 y",
                100 * c["ci95"][year],
                "%",
                f"1.96 x standard deviation over the chips / sqrt({self.chips}), at t = {format_duration(t[year])}",
            ),
            KeyFigure("Float accuracy", 100 * c["float_accuracy"], "%", "the network in floating point, digits test"),
        )

    def _encoding_key(self):
        return (self.n_slices, self.adc_bits, self.chips, self.seed, self.programming_method, self.network_key())

    # The name and key under which each study's results are kept (`result`), and `study_kept`.

    def _reads_result(self):
        return "reads", (self._encoding_key(), self.read_voltage, self.compensation)

    def _histogram_result(self):
        return "histogram", (self._encoding_key(), self.read_voltage, self.log10_reads)

    def _bitline_lengths(self):
        return tuple(dict.fromkeys((int(self.cells_per_bitline), flash.CELLS_PER_BITLINE)))

    def _flash_reads_result(self, n):
        return "flash_reads", (self._encoding_key(), self.compensation, n)

    def _wear_result(self):
        return "wear", (self._encoding_key(), self.compensation)

    def _comparison_result(self):
        return "comparison", (self._encoding_key(), self.compensation)

    def study_kept(self) -> bool:
        """Whether every result of the chosen second study (`study`) at these settings is kept: shown
        without computing (a dashboard shows a provisional first result on fewer chips otherwise)."""
        results = {
            "read disturb": lambda: [self._reads_result(), self._histogram_result()],
            "Flash read disturb": lambda: [self._flash_reads_result(n) for n in self._bitline_lengths()],
            "Flash wear": lambda: [self._wear_result()],
            "technologies": lambda: [self._comparison_result()],
        }[self.study]()
        return all(self.kept(name, key) for name, key in results)

    def reads_curves(self) -> dict[str, dict[str, Any]]:
        """RRAM read disturb at `read_voltage`: per polarity ("unipolar", "bipolar") the `summary` of
        the accuracy after each count of `READS` (key ``reads``), and ``survives``: the reads before a
        `READ_LOSS` drop (None: not within the counts)."""

        def compute():
            net, data, _ = self._task()
            xb = self.encoding_crossbar("RRAM")
            out = {}
            with self._chips_lock:
                chips = self.deployed(xb)
                for polarity in POLARITIES:
                    acc = evaluate_reads(
                        chips,
                        data.X_test,
                        data.y_test,
                        READS,
                        polarity,
                        self.read_voltage,
                        self.compensation,
                        xb.read_settings(),
                    )
                    s = summary(READS, acc, net.accuracy(data.X_test, data.y_test), x_name="reads")
                    s["survives"] = reads_before_loss(READS, s["mean"], READ_LOSS)
                    out[polarity] = s
            return out

        return self.result(*self._reads_result(), compute)

    def reads_histogram(self) -> dict[str, Any]:
        """Mean conductances (uS) of chip 0's first-layer RRAM devices one hour after programming:
        as programmed (``fresh``) and after ``10**log10_reads`` unipolar and bipolar reads."""

        def compute():
            xb = self.encoding_crossbar("RRAM")
            n = int(round(10.0**self.log10_reads))
            out = {"reads": n}
            with self._chips_lock:
                layer = self.deployed(xb)[0].layers[0]
                for name, polarity, count in (("fresh", "unipolar", 0), *((p, p, n) for p in POLARITIES)):
                    layer.set_reads(count, polarity=polarity, v_read=self.read_voltage)
                    out[name] = layer.device_moments(READ_DISTURB_TIME_S)[0].ravel().copy()
                layer.set_reads(0)
            out["g_range"] = (xb.device.g_min, xb.device.g_max)
            return out

        return self.result(*self._histogram_result(), compute)

    def flash_reads(self) -> dict[int, dict[str, Any]]:
        """Flash read disturb: per bit-line length (the chosen `cells_per_bitline` and the default
        `kernels.flash.CELLS_PER_BITLINE`) the `summary` of the accuracy after each count of
        `FLASH_READS` inference reads (key ``reads``, read 1 h after programming) and ``survives``:
        the reads before a `READ_LOSS` drop (None: not within the counts). Each length's curve is
        a result of its own, so the default's is computed once while the chosen length moves."""

        def curve(n):
            def compute():
                net, data, scales = self._task()
                xb = self.encoding_crossbar("Flash")  # programmed here and dropped, as for the wear study
                xb.device.cells_per_bitline = n
                chips = deploy(
                    net, xb, derive_seed(self.seed, "programming"), self.chips, self.programming_method, scales
                )
                acc = evaluate_reads(
                    chips,
                    data.X_test,
                    data.y_test,
                    FLASH_READS,
                    "unipolar",
                    None,
                    self.compensation,
                    xb.read_settings(),
                )
                s = summary(FLASH_READS, acc, net.accuracy(data.X_test, data.y_test), x_name="reads")
                s["survives"] = reads_before_loss(FLASH_READS, s["mean"], READ_LOSS)
                return s

            return self.result(*self._flash_reads_result(n), compute)

        return {n: curve(n) for n in self._bitline_lengths()}

    def wear(self) -> dict[str, Any]:
        """Flash wear: mean accuracy and its 95 % half-width ``(len(CYCLES), len(WEAR_TIMES_S))``
        after each count of program/erase cycles (`CYCLES`) at each retention time (`WEAR_TIMES_S`)."""

        def compute():
            net, data, scales = self._task()
            mean, ci = np.empty((CYCLES.size, WEAR_TIMES_S.size)), np.empty((CYCLES.size, WEAR_TIMES_S.size))
            for i, n in enumerate(CYCLES):
                xb = self.encoding_crossbar("Flash")
                xb.device.pe_cycles = int(n)
                chips = deploy(
                    net, xb, derive_seed(self.seed, "programming"), self.chips, self.programming_method, scales
                )
                s = summary(
                    WEAR_TIMES_S,
                    evaluate(chips, data.X_test, data.y_test, WEAR_TIMES_S, self.compensation, xb.read_settings()),
                    0.0,
                )
                mean[i], ci[i] = s["mean"], s["ci95"]
            return {
                "cycles": CYCLES,
                "times_s": WEAR_TIMES_S,
                "mean": mean,
                "ci95": ci,
                "float_accuracy": net.accuracy(data.X_test, data.y_test),
            }

        return self.result(*self._wear_result(), compute)

    def comparison(self) -> dict[str, dict[str, Any]]:
        """Accuracy versus time (`TIMES_S`) of every technology preset (default knobs) with this
        explorer's encoding, ADC, compensation, network and chips: technology -> `summary`."""

        def compute():
            net, data, scales = self._task()
            out = {}
            for name in TECHNOLOGIES:  # programmed here and dropped: the session keeps its own chips
                xb = self.encoding_crossbar(name)
                chips = deploy(
                    net, xb, derive_seed(self.seed, "programming"), self.chips, self.programming_method, scales
                )
                acc = evaluate(chips, data.X_test, data.y_test, TIMES_S, self.compensation, xb.read_settings())
                out[name] = summary(TIMES_S, acc, net.accuracy(data.X_test, data.y_test))
            return out

        return self.result(*self._comparison_result(), compute)
