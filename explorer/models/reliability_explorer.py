"""The Reliability dashboard's model: accuracy of the digits MLP against time on simulated chips.

Settings: the technology and its device knobs (`Explorer`, `DeviceKnobs`), drift compensation,
chips, slices, ADC and programming method. The chips are programmed once per programming-time
snapshot (kept in the explorer's memo) and re-read when a read-time knob moves, so dragging the
drift or read-noise scale costs reads only. `curve()` is the plot's data.
"""

import numpy as np
import param

from kernels.rng import derive_seed

from .crossbar import CrossbarModel
from .deployment import COMPENSATIONS, deploy, evaluate, input_scales, summary
from .devices import SECONDS_PER_YEAR, DeviceKnobs
from .digits import load_digits
from .explorer_base import Explorer
from .network import MLP_VARIANTS, load_mlp
from .programming import METHODS

TIMES_S = np.logspace(0.0, np.log10(10 * SECONDS_PER_YEAR), 20)
"""The curve's times: 20 from 1 s to 10 years, log-spaced."""
ADC_CHOICES = ("ideal", 8, 6, 5, 4)


class ReliabilityExplorer(Explorer, DeviceKnobs):
    """Accuracy versus time of the shipped digits MLP on `chips` chips of one technology.

    One-sided differential pairs, ideal DAC; the ADC's range is set at programming (`adc_bits`
    "ideal": no ADC). `log10_time` marks one time on the curve.
    """

    compensation = param.Selector(default="none", objects=list(COMPENSATIONS), label="Drift compensation", doc=(
        "none; global: one factor ref / mean|y(t)| per layer; per-column: one per output (section 8)."))
    chips = param.Integer(10, bounds=(2, 50), softbounds=(2, 30), label="Chips (Monte Carlo)",
                          doc="Simulated chips: each programs the network with its own seed.")
    n_slices = param.Integer(1, bounds=(1, 4), label="Slices", doc="Device pairs per weight (significance encoding).")
    adc_bits = param.Selector(default="ideal", objects=list(ADC_CHOICES), label="ADC bits",
                              doc="ADC per column, its range set at programming (ideal: none).")
    programming_method = param.Selector(default="statistical", objects=list(METHODS), label="Programming method",
                                        doc="How each layer is written (Programming tab).")
    training = param.Selector(default="plain", objects=list(MLP_VARIANTS), label="Network training", doc=(
        "plain: trained in floating point; hwa: hardware-aware, 5 % weight noise injected while training."))

    MEMO_LIMITS = {"problem": 2, "programmed": 2, "curve": 16}

    def crossbar(self):
        """The crossbar model of the current settings, its device's knobs set."""
        xb = CrossbarModel(technology=self.technology, mapping="differential", n_slices=self.n_slices,
                           dac_bits=None, adc_bits=None if self.adc_bits == "ideal" else int(self.adc_bits))
        xb.device.param.update(**{k: getattr(self, k) for k in DeviceKnobs.KNOBS})
        return xb

    def active_knobs(self):
        """Names of the read-time knobs the current technology responds to."""
        return set(self.crossbar().device.read_knobs)

    def _task(self):
        def load():
            net, data = load_mlp(self.training), load_digits()
            return net, data, input_scales(net, data.X_train)
        return self.remember("problem", (self.training,), load)

    def deployed(self, xb=None):
        """The programmed chips, kept per programming-time snapshot, chips, seed and method (a
        pulse-level method reads while it programs: its chips also depend on the read settings)."""
        xb = xb or self.crossbar()
        net, _, scales = self._task()
        reads = xb.read_settings().key() if self.programming_method != "statistical" else ()
        key = (xb.programming_settings().key(), self.chips, self.seed, self.programming_method, reads, self.training)
        return self.remember("programmed", key, lambda: deploy(net, xb, derive_seed(self.seed, "programming"),
                                                               self.chips, self.programming_method, scales))

    def curve(self):
        """The accuracy-versus-time curve (`deployment.summary`) of the current settings."""
        xb = self.crossbar()
        settings = xb.read_settings()
        key = (xb.programming_settings().key(), settings.key(), self.chips, self.seed, self.programming_method,
               self.compensation, self.training)

        def compute():
            net, data, _ = self._task()
            acc = evaluate(self.deployed(xb), data.X_test, data.y_test, TIMES_S, self.compensation, settings)
            return summary(TIMES_S, acc, net.accuracy(data.X_test, data.y_test))
        return self.remember("curve", key, compute)
