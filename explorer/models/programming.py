"""Programming methods: how a crossbar's devices get to their targets, pulse by pulse.

    xb = CrossbarModel(technology="RRAM", n_slices=1)
    prog = xb.program(W, seed=0, method="verify", tolerance=0.02, max_iterations=20)
    prog.history["weight_error"], prog.history["chip_time_s"]       # per iteration
    run = xb.programming_run(W, seed=0, method="gdp", learning_rate=1.0, batch_size=64)
    rows = run.step(5)          # the new history rows; run.done, run.crossbar, run.history

Methods (physics reference section 7; `METHODS`):

* ``"statistical"``: the post-verify statistics of the cited papers (`Device.program`, the
  default of `CrossbarModel.program`): no pulses, no history.
* ``"one-shot"``: open loop, one pulse train per device computed from its target and the
  nominal pulse response, no read.
* ``"verify"``: program-and-verify. Iteration 1 applies the one-shot train and reads; each later
  iteration pulses the devices whose last verify read was more than ``tolerance`` (a share of
  the device range) from their target, with a correction of ``gain`` times the read error, and
  reads them again (own read noise; PCM reads overestimate by the short-term relaxation unless
  ``verify_delay_s`` waits it out), until every device is within tolerance or
  ``max_iterations``. Chip time counts ``parallel_verify`` devices of one row pulsed and read
  together (default 0: the whole row, as arrays verify up to 512 weights at once row by row,
  Narayanan et al., IEEE TED 2021); the history also keeps the chip time one device at a time
  (``chip_time_serial_s``). The simulation itself is vectorized across devices either way.
* ``"gdp"``: gradient-descent programming (Buchel et al., IEEE JETCAS 2023, arXiv 2305.16647):
  after the one-shot train (``init``), each iteration feeds ``batch_size`` random inputs through
  the array's own read-out (DAC, read noise, IR drop, common mode, ADC and its offset: the
  `ProgrammedCrossbar`'s `mvm`), compares with the exact product and pulses every device blind
  and in parallel by ``-learning_rate`` times the gradient of the squared MVM error, never
  reading a single device; it stops when ``mean|error| / max|target|`` of a batch falls below
  ``stop_threshold`` (aihwkit's rule, 0.01) or after ``max_iterations``. The update is
  ``dW = -learning_rate X^T (y_array - X W) / batch_size``, so its expected size is
  ``learning_rate E[x^2]`` times the weight error, where aihwkit's ``program_weights`` (unit-vector
  inputs, the batch's outer products summed, not averaged) steps ``learning_rate`` times it: the
  same number is a step ``E[x^2]`` as large here, 1/3 for uniform inputs in [-1, 1] (x_max 1),
  1/6 for the protocol's, about 0.23 for the clipped normal ones (`ProgrammingMethod.learning_rate`).

Every run keeps a history per iteration (row 0: the start): MVM error (section 12, on a fixed
evaluation batch read with fresh noise; the simulator's measurement, no chip cost) and weight
error (`ProgrammedCrossbar.weight_error`), and cumulative pulses, single-device reads, MVMs,
chip time and energy, whether it has converged, the devices still outside tolerance (verify) and
the batch error (GDP). Chip time is kept both ways: ``chip_time_s`` with verify's
``parallel_verify`` devices of a row at once, ``chip_time_serial_s`` with verify pulsing and
reading one device at a time (one-shot and GDP, which read no single device, pulse every device
of a row at once in both). Costs per pulse, read and MVM are parameters with the defaults of
`PULSE_COSTS` (physics reference section 7b; each says where it comes from or that it is
illustrative). Random draws: pulse noise of iteration k from ``derive_seed(seed, "programming",
k)`` (k = 0: the devices' own step spreads; index 1 is the one-shot train, so one-shot, the first
verify iteration and GDP's start are the same devices; GDP's update k uses index k + 1), verify reads and
GDP's MVMs of iteration k from
``derive_seed(seed, "read", k)``, GDP's input batch k from ``derive_seed(seed, "inputs", k)``
(k = 0: the evaluation batch), the evaluation reads from ``derive_seed(seed, "read", 2**31 + k)``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import param
from numpy.typing import ArrayLike

from kernels import crossbar as xbk
from kernels import flash, pcm, programming, pulsed, rng
from kernels.validate import check_seed, positive_int, scalar_in_range

if TYPE_CHECKING:
    from .devices import Device, DeviceArray

METHODS = ("statistical", "one-shot", "verify", "gdp")
INPUT_DISTRIBUTIONS = ("uniform", "protocol", "normal", "non-negative")
MAX_PULSES = 10000
"""Most pulses one device gets in one iteration (a train past it is cut)."""
EVAL_READ_INDEX = 2**31
"""Offset of the evaluation reads' index in the "read" purpose (verify and GDP reads use k)."""

PULSE_COSTS = {
    # Per technology: pulse widths (s) and energies (J) up (SET / potentiate) and down (RESET /
    # depress; Flash: the program pulse that raises V_th), single-device read time and energy.
    "PCM": dict(
        up_time_s=150e-9,
        down_time_s=40e-9,
        up_energy_J=22.5e-12,
        down_energy_J=12e-12,
        read_time_s=250e-9,
        read_energy_J=2e-12,
        source=(
            "SET 150 ns and RESET 40 ns, read energy 2 pJ: NVSim's PCRAM cell (Lee et al., ISCA 2009; a "
            "simulator default); read 250 ns: aihwkit PCMLikeNoiseModel t_read. Pulse energies are "
            "NVSim's currents (150 and 300 uA) times the widths at an illustrative 1 V."
        ),
    ),
    "RRAM": dict(
        up_time_s=100e-9,
        down_time_s=100e-9,
        up_energy_J=6e-12,
        down_energy_J=6e-12,
        read_time_s=1e-6,
        read_energy_J=0.1e-12,
        source=(
            "Pulse width 100 ns: NeuRRAM write-verify (Wan et al., Nature 608, 504, 2022); pulse energy "
            "NVSim's 0.6 pJ per 10 ns pulse scaled to 100 ns (derived, illustrative); read energy 0.1 pJ: "
            "NVSim (a simulator default); read 1 us: t_r of the CMO read-noise fit (section 3)."
        ),
    ),
    "Flash": dict(
        up_time_s=1e-6,
        down_time_s=1e-6,
        up_energy_J=10e-12,
        down_energy_J=10e-12,
        read_time_s=1e-6,
        read_energy_J=1e-12,
        source=(
            "Illustrative: no program pulse width or energy was found (physics reference 7b: "
            "microseconds per ISPP step is the usual order)."
        ),
    ),
    "ECRAM": dict(
        up_time_s=5e-9,
        down_time_s=5e-9,
        up_energy_J=1e-15,
        down_energy_J=1e-15,
        read_time_s=1e-6,
        read_energy_J=0.1e-12,
        source=(
            "Pulses 5 ns and 1 fJ: Tang et al., IEDM 2018 (projected for 100 x 100 nm2 devices); read "
            "1 us: Fuller et al., Science 2019 (over 1 MHz write-read rate); read energy illustrative."
        ),
    ),
    "Soft-bounds": dict(
        up_time_s=5e-9,
        down_time_s=5e-9,
        up_energy_J=1e-15,
        down_energy_J=1e-15,
        read_time_s=1e-6,
        read_energy_J=0.1e-12,
        source=("An abstract device (aihwkit SoftBoundsDevice): ECRAM's figures, illustrative."),
    ),
}
PULSE_COSTS["PCM-HERMES"] = dict(
    PULSE_COSTS["PCM"],
    read_time_s=512e-9,
    source=(
        "As PCM (NVSim's PCRAM cell, energies at an illustrative 1 V); read 512 ns: aihwkit HermesNoiseModel t_read."
    ),
)
MAC_ENERGY_J = 0.5e-12
"""Energy per multiply-accumulate of an MVM (Mythic, about 0.5 pJ per MAC; physics reference
section 4), used for every technology."""
MVM_TIME_S = 1e-6
"""Duration of one MVM with its DAC and ADC conversions (illustrative; not in the physics reference)."""

HISTORY_KEYS = (
    "iteration",
    "mvm_error",
    "weight_error",
    "pulses",
    "reads",
    "mvms",
    "chip_time_s",
    "chip_time_serial_s",
    "energy_J",
    "converged",
    "devices_left",
    "batch_error",
)
"""Columns of a run's history: per-iteration errors and the cumulative costs (pulses, reads, MVMs,
chip time in s with verify's `parallel_verify` devices at once and with verify one device at a
time, energy in J), whether the run has converged, devices still outside tolerance (verify; NaN
otherwise) and GDP's batch error ``mean|error| / max|target|`` (NaN otherwise)."""


class ProgrammingMethod(param.Parameterized):
    """How a weight matrix is programmed: the method and its knobs (settings only; a run holds the
    state). `run(xb, W, seed)` starts a `ProgrammingRun`."""

    method = param.Selector(
        default="statistical",
        objects=list(METHODS),
        label="Programming method",
        doc=(
            "statistical: post-verify statistics of the cited papers; one-shot: open-loop pulse train; "
            "verify: program-and-verify, each device read and corrected; gdp: gradient-descent programming."
        ),
    )
    tolerance = param.Number(
        0.02,
        bounds=(1e-4, 1.0),
        softbounds=(0.002, 0.1),
        step=0.002,
        label="Tolerance ε",
        doc="Verify: acceptance band, a share of the device range.",
    )
    max_iterations = param.Integer(
        20,
        bounds=(1, 100000),
        softbounds=(1, 1000),
        label="Maximum iterations",
        doc="Verify: pulse-and-read rounds; GDP: update iterations.",
    )
    gain = param.Number(
        1.0,
        bounds=(0.01, 2.0),
        softbounds=(0.1, 1.5),
        step=0.05,
        label="Correction gain",
        doc="Verify: the correction pulse asks for gain x the read error.",
    )
    verify_delay_s = param.Number(
        0.0,
        bounds=(0.0, 1.0),
        softbounds=(0.0, 1e-4),
        label="Verify delay (s)",
        doc="Verify: wait between the last pulse and the verify read (PCM relaxation).",
    )
    parallel_verify = param.Integer(
        0,
        bounds=(0, 2**20),
        softbounds=(0, 512),
        label="Devices verified at once (0: a row)",
        doc=(
            "Verify: devices of one row (word line) pulsed and read together in the chip-time count; 0 "
            "(default): every device of the row, as arrays verify up to 512 weights at once, row by row "
            "(Narayanan et al., IEEE TED 2021; physics reference 7b); 1: one device at a time. A count "
            "above a row's devices is a row. Only chip time depends on it; the serial figure is kept "
            "beside it (history chip_time_serial_s)."
        ),
    )
    learning_rate = param.Number(
        0.1,
        bounds=(1e-6, 100.0),
        softbounds=(0.01, 2.0),
        step=0.01,
        label="Learning rate",
        doc=(
            "GDP: weight change per unit gradient of the batch's mean squared MVM "
            "error (half of it), dW = -lr X^T (y - XW) / B. Not aihwkit's scale: its "
            "program_weights (lr 0.1, physics reference section 7) sums the outer "
            "products of unit-vector inputs, a step of lr times the weight error; "
            "here the expected step is lr E[x^2] times it, 1/3 as large for uniform "
            "inputs in [-1, 1] (1/6 protocol, about 0.23 normal), so aihwkit's 0.1 "
            "is about 0.3 here. Default 0.1 kept (the figures measured with it); "
            "1.0 diverged here on 4-bit RRAM and PCM arrays within 20 iterations."
        ),
    )
    max_update_pulses = param.Integer(
        31,
        bounds=(1, MAX_PULSES),
        softbounds=(1, 100),
        label="Pulses per update",
        doc=(
            "GDP: most pulses one device gets in one update (aihwkit's pulse-train length, 31); a "
            "larger step of the gradient is cut there, and a row's update lasts its longest train."
        ),
    )
    batch_size = param.Integer(
        64, bounds=(1, 4096), softbounds=(4, 512), label="Batch size", doc="GDP: random inputs per iteration."
    )
    input_distribution = param.Selector(
        default="uniform",
        objects=list(INPUT_DISTRIBUTIONS),
        doc=(
            "GDP inputs: uniform in [-1, 1]; protocol (section 12: uniform, 50 % zeros); normal (sd 1/2, "
            "clipped to [-1, 1]); non-negative (uniform in [0, 1], like ReLU activations); times x_max."
        ),
    )
    stop_threshold = param.Number(
        0.01,
        bounds=(0.0, 1.0),
        label="Stop at batch error",
        doc=("GDP: stop when mean|error| / max|target| of a batch falls below this (aihwkit: 0.01; 0 never)."),
    )
    init = param.Selector(
        default="one-shot",
        objects=["one-shot", "reset"],
        doc="GDP: start from the one-shot train, or from the reset (erased) devices.",
    )
    eval_batch = param.Integer(
        64,
        bounds=(1, 4096),
        doc=("Inputs of the evaluation batch of the MVM error (drawn from `input_distribution`, index 0)."),
    )
    relax_amplitude = param.Number(
        0.03,
        bounds=(0.0, 1.0),
        doc=(
            "PCM: share by which a read right after a pulse overestimates the conductance (short-term "
            "relaxation, Boybat et al. NVMTS 2018). Illustrative: no magnitude was found (7b)."
        ),
    )
    relax_time_s = param.Number(
        1e-5,
        bounds=(1e-12, 1e3),
        doc=("PCM: time constant of the short-term relaxation's decay, exp(-delay / time). Illustrative."),
    )
    mvm_time_s = param.Number(MVM_TIME_S, bounds=(0.0, 1.0), doc="Duration of one MVM (s); illustrative.")
    mac_energy_J = param.Number(MAC_ENERGY_J, bounds=(0.0, 1e-6), doc="Energy per MAC of an MVM (J).")
    cost_scale = param.Dict(
        default={}, doc=("Overrides of the technology's `PULSE_COSTS` entries, e.g. {'read_time_s': 1e-7}.")
    )

    KNOBS = (
        "tolerance",
        "max_iterations",
        "gain",
        "verify_delay_s",
        "parallel_verify",
        "learning_rate",
        "batch_size",
        "max_update_pulses",
        "input_distribution",
        "stop_threshold",
        "init",
        "eval_batch",
        "relax_amplitude",
        "relax_time_s",
        "mvm_time_s",
        "mac_energy_J",
        "cost_scale",
    )

    @classmethod
    def checked(
        cls, method: Literal["statistical", "one-shot", "verify", "gdp"] = "statistical", **knobs: Any
    ) -> ProgrammingMethod:
        """A `ProgrammingMethod` from keyword arguments, each checked: `ValueError` naming the argument
        and its allowed range (an unknown method or knob, a non-positive tolerance, learning rate or
        batch size, zero iterations, ...)."""
        if method not in METHODS:
            raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
        unknown = sorted(set(knobs) - set(cls.KNOBS))
        if unknown:
            raise ValueError(f"unknown programming knob(s) {unknown}; allowed: {list(cls.KNOBS)}")
        values = {}
        for name, value in knobs.items():
            p = cls.param[name]
            if isinstance(p, param.Integer):
                low, high = p.bounds
                values[name] = positive_int(value, name, low, high)
            elif isinstance(p, param.Number):
                low, high = p.bounds
                values[name] = scalar_in_range(value, low, high, name)
            elif isinstance(p, param.Selector):
                if value not in p.objects:
                    raise ValueError(f"{name} must be one of {list(p.objects)}, got {value!r}")
                values[name] = value
            else:
                if not isinstance(value, dict) or not set(value) <= set(PULSE_COSTS["PCM"]) - {"source"}:
                    raise ValueError(
                        f"{name} must be a dict with keys among "
                        f"{sorted(set(PULSE_COSTS['PCM']) - {'source'})}, got {value!r}"
                    )
                values[name] = {k: scalar_in_range(v, 0.0, 1.0, f"{name}[{k!r}]") for k, v in value.items()}
        return cls(method=method, **values)

    def costs(self, technology: str) -> dict[str, float | str]:
        """Pulse and read costs of `technology` (`PULSE_COSTS`, with `cost_scale` overrides)."""
        return {**PULSE_COSTS[technology], **self.cost_scale}

    def run(self, xb: param.Parameterized, W: ArrayLike, seed: int, w_max: float | None = None) -> ProgrammingRun:
        """A `ProgrammingRun` of `W` on crossbar model `xb` with `seed` (not yet stepped)."""
        if self.method == "statistical":
            raise ValueError("method 'statistical' has no run: use CrossbarModel.program(W, seed)")
        return ProgrammingRun(xb, W, seed, self, w_max=w_max)


class PulsePhysics:
    """The pulse response of a frozen device for pulse programming, per technology (uS).

    * PCM (and PCM-HERMES): gradual SET, soft-bounds increments of ``span / set_states`` with
      cycle-to-cycle (`c2c`) and device-to-device (`d2d`) spread, amplitude-modulated by the
      programming circuit; abrupt partial RESET removing `reset_fraction` of the conductance per
      pulse (Nandakumar et al., J. Appl. Phys. 124, 152135, 2018; the devices' `_pulse_config`).
      Devices start RESET (g_min). A verify read a delay ``d`` after the last pulse sees
      ``g (1 + relax_amplitude exp(-d / relax_time_s))``; the state's conductance is the one the
      statistical model calls programmed (its drift clock starts at each device's last pulse; the
      seconds a run takes are neglected against t0), its drift exponent follows the level,
      ``nu = |mu(g) + sd(g) xi|`` with one kept deviate per device.
    * RRAM: identical soft-bounds pulses, ``2 span / n_states`` at the bounds, SET/RESET
      asymmetry, c2c and d2d (aihwkit's convention, the device's pulse response); start at g_min
      (the high-resistance state). Relaxation deviates and traps as drawn at programming.
    * Flash: ISPP program pulses only lower the conductance (raise V_th; raising it needs a
      block erase): ``g -> g exp(-kappa dV / U_T)`` per pulse with the injection noise of
      `kernels.flash` (``dV`` the medium ISPP step for the train, the fine step for corrections;
      modelled as soft bounds toward g_min, exact for g_min = 0). Cells start erased at g_max.
    * ECRAM, Soft-bounds: the devices' pulse response (linear or soft-bounds identical steps,
      asymmetry, c2c, d2d); start at g_min.
    """

    def __init__(self, device: Device, n_devices: int, seed: int) -> None:
        self.device = device
        self.technology = device.technology
        self.g_min, self.g_max = float(device.g_min), float(device.g_max)
        span = self.g_max - self.g_min
        tech = self.technology
        self.modulated_up = self.modulated_down = False
        self.gradual_up = self.gradual_down = True
        if tech == "Flash":
            span = self.g_max  # the exponential decays toward 0 uS
            u_t = flash.thermal_voltage(300.0)
            slope = device.kappa / u_t
            medium = device.ispp_medium_step or flash.MEDIUM_STEP
            train = span * -np.expm1(-slope * medium)
            fine = span * -np.expm1(-slope * flash.FINE_STEP)
            self.gamma_up = self.gamma_down = 1.0
            self.c2c = (
                device.prog_noise_scale
                * flash.INJECTION_NOISE
                * (1.0 + np.sqrt(device.pe_cycles / flash.ENDURANCE_SCALE))
            )
            cfg_d2d = device._pulse_config()["d2d"]
            _, factor = pulsed.device_steps(n_devices, dg_min=1.0, d2d=cfg_d2d, seed=seed)
            self.train = (np.zeros(n_devices), np.minimum(train * factor, span), 0.0, train)
            self.fine = (np.zeros(n_devices), np.minimum(fine * factor, span), 0.0, fine)
            self.gradual_up = False
            self.start = self.g_max
            self.g_min = 0.0  # the exponential decays toward 0 uS; the device's g_min is its lowest level
            return
        cfg = device._pulse_config()
        dg = cfg["dg"]
        up, down = pulsed.device_steps(
            n_devices, dg_min=dg, asymmetry=cfg["asymmetry"], d2d=cfg["d2d"], seed=seed, g_span=span
        )
        plan_up, plan_down = dg * (1.0 + cfg["asymmetry"]), dg * (1.0 - cfg["asymmetry"])
        if "dg_down" in cfg:  # PCM: the abrupt partial RESET
            down = np.minimum(cfg["dg_down"] * down / dg, span)
            plan_down = cfg["dg_down"]
            self.modulated_up = True
            self.gradual_down = False
        self.gamma_up, self.gamma_down = cfg["gamma_up"], cfg["gamma_down"]
        self.c2c = cfg["c2c"] * device.prog_noise_scale
        self.train = self.fine = (up, down, min(plan_up, span), min(plan_down, span))
        self.start = self.g_min

    def response(self) -> programming.Response:
        """This technology's pulse response as the kernels' `kernels.programming.Response` record."""
        return programming.Response(self.g_min, self.g_max, self.gamma_up, self.gamma_down, self.c2c)

    def pulsing(self, at_least_one: bool, max_pulses: int) -> programming.Pulsing:
        """How the circuit pulses this technology, as a `kernels.programming.Pulsing` record."""
        return programming.Pulsing(self.modulated_up, self.modulated_down, at_least_one, max_pulses)

    def pulse(
        self,
        g: np.ndarray,
        request: np.ndarray,
        seed: int,
        fine: bool,
        at_least_one: bool,
        plan_g: np.ndarray | None = None,
        max_pulses: int = MAX_PULSES,
    ) -> tuple[np.ndarray, np.ndarray]:
        """`kernels.programming.apply_pulses` with this technology's response: ``(g_new, pulses)``;
        the circuit plans from `plan_g` (default: the devices' own conductances)."""
        up, down, plan_up, plan_down = self.fine if fine else self.train
        return programming.apply_pulses(
            g,
            request,
            self.response(),
            dg_up=up,
            dg_down=down,
            plan_up=plan_up,
            plan_down=plan_down,
            pulsing=self.pulsing(at_least_one, max_pulses),
            seed=seed,
            plan_g=plan_g,
        )

    def expected(
        self, belief: np.ndarray, request: np.ndarray, seed: int, fine: bool, max_pulses: int = MAX_PULSES
    ) -> np.ndarray:
        """Where the programming circuit believes the devices end up (uS): the pulses `pulse` plans
        from `belief` with the same `seed` (same counts), applied to the nominal response (nominal
        steps, no device-to-device or cycle-to-cycle spread)."""
        _, _, plan_up, plan_down = self.fine if fine else self.train
        g, _ = programming.apply_pulses(
            belief,
            request,
            self.response()._replace(c2c=0.0),
            dg_up=plan_up,
            dg_down=plan_down,
            plan_up=plan_up,
            plan_down=plan_down,
            pulsing=self.pulsing(False, max_pulses),
            seed=seed,
        )
        return g

    def state(
        self, old: dict[str, np.ndarray], g: np.ndarray, pulses: np.ndarray, drift_deviate: int
    ) -> dict[str, np.ndarray]:
        """The device-array state holding conductances `g` (uS, the shape of the array)."""
        dev = self.device
        if self.technology.startswith("PCM"):
            _, nu = pcm.program(g, g_max=dev.g_max, seed=drift_deviate, prog_noise_scale=0.0, variant=dev._variant)
            return {**old, "g_prog": g, "nu": nu}
        if self.technology == "Flash":
            vth = flash.vth_for_conductance(np.maximum(g, 1e-9), cell=dev.cell())
            return {**old, "vth": vth, "pulses": pulses}
        if self.technology == "RRAM":
            return {**old, "g_prog": g}
        return {**old, "g_prog": g, "pulses": pulses}


def _inputs(distribution, n, rows, seed, x_max):
    """A batch ``(n, rows)`` of GDP inputs from `seed` (see `ProgrammingMethod.input_distribution`)."""
    key = rng.numpy_stream_key(seed, rng.STREAM_INPUTS)
    u = rng.numpy_uniform(key, np.arange(2 * n * rows, dtype=np.uint64))
    if distribution == "uniform":
        x = 2.0 * u[: n * rows] - 1.0
    elif distribution == "non-negative":
        x = u[: n * rows]
    elif distribution == "normal":
        x = np.clip(0.5 * rng.numpy_normal_quantile(u[: n * rows]), -1.0, 1.0)
    else:
        x = 2.0 * u[: n * rows] - 1.0
        x[u[n * rows :] < 0.5] = 0.0
    return x.reshape(n, rows) * x_max


class ProgrammingRun:
    """One programming run of `W` on a crossbar model `xb`: steppable, with its history.

    ``step(n)`` runs up to `n` more iterations and returns their history rows (a dict of arrays);
    ``done`` says whether the run has finished (converged, stopped or out of iterations);
    ``history`` is every row so far (dict of arrays, `HISTORY_KEYS`); ``crossbar`` is the
    `ProgrammedCrossbar` being programmed: every step replaces its devices' state and bumps its
    version, so reads never see a stale result. Read-time settings are the model's when the run
    starts (``settings``), programming-time ones are frozen in the crossbar as for `program`.

    The crossbar is made by the model's own ``xb.program(W, seed, w_max=w_max)`` (the statistical
    programming, whose device state the run's start replaces), so this module never imports the
    crossbar's: `CrossbarModel` imports `ProgrammingMethod`, and the dependency goes one way.
    """

    def __init__(
        self, xb: param.Parameterized, W: ArrayLike, seed: int, method: ProgrammingMethod, w_max: float | None = None
    ) -> None:
        self.seed = seed = check_seed(seed)
        self.method = method
        self.kind = method.method
        self.settings = xb.read_settings()
        prog = xb.program(W, rng.derive_seed(seed, "programming", 0), w_max=w_max)  # checks W, w_max
        W = prog.W
        self.crossbar = prog
        self.array, self.rows = prog.array, prog.rows
        self.W = W
        self._setup(prog.device, prog.targets)
        s = self.settings
        self.X_eval = _inputs(
            method.input_distribution, method.eval_batch, prog.rows, rng.derive_seed(seed, "inputs", 0), s.x_max
        )
        self.Y_eval = self.X_eval @ W
        pair = prog.encoding
        c = pair.per_level()  # weight (units of W) per uS, per slice
        self._slice_share = c / np.sum(c * c)
        if self.kind == "gdp" and method.init == "one-shot":
            self._one_shot()
        self._record(devices_left=np.nan, batch_error=np.nan)
        self.result = prog
        prog.programming = self
        prog.history = self.history

    def _setup(self, device, targets):
        """The run's state: pulse physics of `device`, costs, targets (uS), start conductances."""
        seed, method = self.seed, self.method
        self.physics = phys = PulsePhysics(device, targets.size, rng.derive_seed(seed, "programming", 0))
        self.costs = method.costs(device.technology)
        self.targets = targets.ravel().copy()
        self.tolerance_uS = method.tolerance * (phys.g_max - phys.g_min)
        self.g = np.full(self.targets.size, phys.start)
        self.pulse_count = np.zeros(self.targets.size, dtype=np.int64)
        self._drift_seed = rng.derive_seed(seed, "programming", 2**31)
        self._pushed = None  # (version, conductances, pulses) of the last push (`_push`)
        self._push()
        self.iteration = 0
        self.done = False
        self.converged = False
        self.totals = dict(pulses=0, reads=0, mvms=0, chip_time_s=0.0, chip_time_serial_s=0.0, energy_J=0.0)
        self.verified = np.zeros(self.targets.size, dtype=bool)
        self.last_read = np.full(self.targets.size, phys.start)
        self.belief = self.g.copy()  # GDP: what the blind circuit believes each device holds (uS)
        self.last_update = None  # GDP: the weight change (units of W) its last iteration asked for
        self._rows = []
        self._history, self._history_rows = None, -1
        self.wall_s = 0.0

    # ------------------------------------------------------------------ state and costs

    def _push(self):
        """Write the run's conductances into the crossbar's devices (bumps the state version),
        saying which devices changed since the last push (a new conductance or new pulses, which
        the state's other per-device entries follow), so that reads update only those
        (`CrossbarState.moments`)."""
        arr = self.array
        g = self.g.reshape(arr.shape)
        pulses = self.pulse_count.reshape(arr.shape)
        pushed, changed = self._pushed, None
        if pushed is not None and pushed[0] == arr.version:
            changed = (g != pushed[1]) | (pulses != pushed[2])
        arr.replace_state(self.physics.state(arr.state, g, pulses, self._drift_seed), changed)
        self._pushed = (arr.version, g.copy(), pulses.copy())

    def _pay_pulses(self, n, request, grouped, index=None):
        """Count the pulses `n` (per device) of requests `request` and their energy; returns each
        device's pulse time (s). With `grouped` ``"rows"`` the chip time (both ways) counts the
        array's rows in turn, every device of a row at once; with None no time is counted (verify
        counts its own, `_pay_verify_time`). `index`: the only devices requested (flat indices;
        the others had no request, so no pulse): counted over those, and the times returned are
        theirs, in that order."""
        c = self.costs
        if index is not None:
            n, request = n[index], request[index]
        up = request > 0
        n_up = int(n[up].sum())
        n_down = int(n[~up].sum())
        if index is None:
            self.pulse_count += n
        else:
            self.pulse_count[index] += n
        self.totals["pulses"] += n_up + n_down
        self.totals["energy_J"] += n_up * c["up_energy_J"] + n_down * c["down_energy_J"]
        width = np.where(up, c["up_time_s"], c["down_time_s"]) * n
        if grouped == "rows":
            rows_time = float(width.reshape(self.rows, -1).max(axis=1).sum())
            self.totals["chip_time_s"] += rows_time
            self.totals["chip_time_serial_s"] += rows_time
        return width

    @property
    def devices_at_once(self) -> int:
        """Devices verified together in the chip-time count: `parallel_verify`, 0 or more than a row
        meaning the row's devices (a bare array of devices is one row)."""
        row = self.g.size // self.rows
        p = self.method.parallel_verify
        return row if p == 0 else min(p, row)

    def _pay_verify_time(self, w, index):
        """Chip time (s) of one verify round, both ways. `index` holds the devices pulsed and read
        this round (flat indices, ascending: row by row), `w` their pulse times. Parallel: in
        each row, the active devices in groups of `devices_at_once` (in column order), each group its
        longest pulse train, then one read (after the verify delay). Serial: every active device's
        train and read in turn."""
        per_read = self.costs["read_time_s"] + self.method.verify_delay_s
        row = index // (self.g.size // self.rows)
        # Each one's place among its row's active ones (after the first rounds few are active:
        # computed over those only).
        rank = np.arange(index.size) - np.searchsorted(row, row, side="left")
        starts = np.flatnonzero(rank % self.devices_at_once == 0)
        parallel = float(np.maximum.reduceat(w, starts).sum()) if w.size else 0.0
        self.totals["chip_time_s"] += parallel + starts.size * per_read
        self.totals["chip_time_serial_s"] += float(w.sum()) + w.size * per_read

    def _pay_reads(self, count):
        self.totals["reads"] += int(count)
        self.totals["energy_J"] += count * self.costs["read_energy_J"]

    def _pay_mvms(self, count):
        self.totals["mvms"] += int(count)
        self.totals["chip_time_s"] += count * self.method.mvm_time_s
        self.totals["chip_time_serial_s"] += count * self.method.mvm_time_s
        self.totals["energy_J"] += count * self.method.mac_energy_J * self.W.size

    def _verify_moments(self):
        """Mean and read-noise sigma (uS) a verify read right after the pulses sees."""
        return self.crossbar.state.moments(0.0, self.settings)

    def _record(self, devices_left, batch_error):
        prog, s = self.crossbar, self.settings
        y = prog.mvm(self.X_eval, 0.0, rng.derive_seed(self.seed, "read", EVAL_READ_INDEX + self.iteration), settings=s)
        row = dict(
            iteration=self.iteration,
            mvm_error=xbk.mvm_error(y, self.Y_eval),
            weight_error=prog.weight_error(0.0, settings=s),
            **self.totals,
            converged=self.converged,
            devices_left=devices_left,
            batch_error=batch_error,
        )
        self._rows.append(row)
        return row

    @property
    def history(self) -> dict[str, np.ndarray]:
        """Every history row so far as a dict of arrays (`HISTORY_KEYS`); built once per new row
        (a dashboard asks for it several times per step)."""
        if self._history_rows != len(self._rows):
            self._history = {k: np.array([r[k] for r in self._rows]) for k in HISTORY_KEYS}
            self._history_rows = len(self._rows)
        return self._history

    # ------------------------------------------------------------------ methods

    def _one_shot(self):
        """The open-loop train from the start state to every target (rows pulsed in turn)."""
        request = self.targets - self.g
        seed = rng.derive_seed(self.seed, "programming", 1)
        self.g, n = self.physics.pulse(self.g, request, seed, fine=False, at_least_one=False)
        if self.kind == "gdp":  # only GDP plans from a belief; verify reads, one-shot stops
            self.belief = self.physics.expected(self.belief, request, seed, fine=False)
        self._pay_pulses(n, request, "rows")
        self._push()

    def _step_one_shot(self):
        self._one_shot()
        self.done = True
        return self._record(devices_left=np.nan, batch_error=np.nan)

    def _step_verify(self):
        k, m, phys = self.iteration, self.method, self.physics
        active = ~self.verified
        index = np.flatnonzero(active)  # after the first rounds a few of the devices: indexed by these
        if k == 1:
            request = np.where(active, self.targets - self.g, 0.0)
        else:
            request = np.where(active, m.gain * (self.targets - self.last_read), 0.0)
        self.g, n = phys.pulse(
            self.g, request, rng.derive_seed(self.seed, "programming", k), fine=k > 1, at_least_one=k > 1
        )
        width = self._pay_pulses(n, request, None, index)
        self._push()
        # Verify reads of the active devices, what a read right after (or `verify_delay_s` after) sees.
        mean, sigma = self._verify_moments()
        mean, sigma = mean.ravel()[index], sigma.ravel()[index]
        if phys.technology.startswith("PCM"):
            mean = mean * (1.0 + m.relax_amplitude * np.exp(-m.verify_delay_s / m.relax_time_s))
        read, ok = programming.verify_read(
            mean, sigma, self.targets[index], tolerance=self.tolerance_uS, seed=rng.derive_seed(self.seed, "read", k)
        )
        self.last_read[index] = read
        self.verified[index] = ok
        self._pay_reads(index.size)
        self._pay_verify_time(width, index)
        left = self.verified.size - int(np.count_nonzero(self.verified))
        self.converged = left == 0
        self.done = self.converged or k >= m.max_iterations
        return self._record(devices_left=left, batch_error=np.nan)

    def _gdp_requests(self, dw):
        """Conductance requests (uS, per physical device) for a weight change `dw` (units of W, rows x
        cols): each slice's share along the gradient (``dG_s = dw c_s / sum c^2``, c_s the slice's
        weight per uS), routed within each pair to a device that can move that way gradually (for
        pairs of bidirectional devices: the one GDP believes larger)."""
        prog, phys = self.crossbar, self.physics
        enc = prog.encoding
        dg = dw[:, :, None] * self._slice_share[None, None, :]  # (rows, cols, n_slices)
        g = enc.pairs(self.belief.reshape(prog.rows, -1))  # (rows, cols, ns, n_pol)
        req = np.zeros(g.shape)
        if enc.n_pol == 1:
            ok = np.where(dg > 0, phys.gradual_up, phys.gradual_down)
            req[..., 0] = np.where(ok, dg, 0.0)
        elif phys.gradual_up and phys.gradual_down:
            plus = g[..., 0] >= g[..., 1]
            req[..., 0] = np.where(plus, dg, 0.0)
            req[..., 1] = np.where(plus, 0.0, -dg)
        elif phys.gradual_up:  # SET only (PCM): raise G+ for a larger weight, G- for a smaller one
            req[..., 0] = np.maximum(dg, 0.0)
            req[..., 1] = np.maximum(-dg, 0.0)
        else:  # program only lowers (Flash): lower G- for a larger weight, G+ for a smaller
            req[..., 0] = np.minimum(dg, 0.0)
            req[..., 1] = np.minimum(-dg, 0.0)
        out = np.zeros((prog.rows, self.g.size // prog.rows))
        out[:, : enc.n_pair_columns] = req.reshape(prog.rows, -1)
        return out.ravel()

    def _step_gdp(self):
        k, m, prog, s = self.iteration, self.method, self.crossbar, self.settings
        X = _inputs(m.input_distribution, m.batch_size, prog.rows, rng.derive_seed(self.seed, "inputs", k), s.x_max)
        Y = prog.mvm(X, 0.0, rng.derive_seed(self.seed, "read", k), settings=s)
        self._pay_mvms(m.batch_size)
        target = X @ self.W
        err = Y - target
        batch_error = float(np.mean(np.abs(err)) / max(np.max(np.abs(target)), 1e-300))
        if batch_error < m.stop_threshold:
            self.converged = self.done = True
            return self._record(devices_left=np.nan, batch_error=batch_error)
        dw = -m.learning_rate * (X.T @ err) / m.batch_size
        self.last_update = dw
        request = self._gdp_requests(dw)
        seed = rng.derive_seed(self.seed, "programming", k + 1)
        cap = m.max_update_pulses
        self.g, n = self.physics.pulse(
            self.g, request, seed, fine=True, at_least_one=False, plan_g=self.belief, max_pulses=cap
        )
        self.belief = self.physics.expected(self.belief, request, seed, fine=True, max_pulses=cap)
        self._pay_pulses(n, request, "rows")
        self._push()
        self.done = k >= m.max_iterations
        return self._record(devices_left=np.nan, batch_error=batch_error)

    def step(self, n_iterations: int = 1) -> dict[str, np.ndarray]:
        """Run up to `n_iterations` more iterations (fewer if the run finishes); returns the new
        history rows as a dict of arrays (empty arrays once the run is done)."""
        n_iterations = positive_int(n_iterations, "n_iterations", 1, 10**7)
        start = len(self._rows)
        t0 = time.perf_counter()
        for _ in range(n_iterations):
            if self.done:
                break
            self.iteration += 1
            if self.kind == "one-shot":
                self._step_one_shot()
            elif self.kind == "verify":
                self._step_verify()
            else:
                self._step_gdp()
        self.wall_s += time.perf_counter() - t0
        self.result.history = self.history
        rows = self._rows[start:]
        return {k: np.array([r[k] for r in rows]) for k in HISTORY_KEYS}

    def run(self) -> Any:
        """Step until done; returns the `ProgrammedCrossbar` (or, for `DeviceProgrammingRun`, the
        `DeviceArray`), its ``history`` set."""
        while not self.done:
            self.step(100)
        return self.result

    def __repr__(self):
        return (
            f"ProgrammingRun({self.kind}, {self.crossbar.device.technology}, shape={self.W.shape}, "
            f"iteration={self.iteration}, done={self.done}, converged={self.converged})"
        )


DEVICE_METHODS = ("statistical", "one-shot", "verify")
"""Methods that program single devices (`program_devices`); GDP needs a crossbar's MVM."""


class DeviceProgrammingRun(ProgrammingRun):
    """A one-shot or program-and-verify run on a bare array of devices (no crossbar): one device
    per entry of `targets_uS`, as the Devices tab programs its levels. The same pulse physics,
    verify reads (the device's read-time knobs, read at t = 0), costs and history as
    `ProgrammingRun`; the MVM error is NaN and the weight error is the conductances' relative
    error ``||mean(g) - target|| / ||target||``. The devices are one row: one-shot pulses every
    device at once, and verify's default `parallel_verify` (a row) reads them all at once."""

    def __init__(self, device: Device, targets_uS: ArrayLike, seed: int, method: ProgrammingMethod) -> None:
        self.seed = check_seed(seed)
        self.method = method
        self.kind = method.method
        if self.kind not in DEVICE_METHODS[1:]:
            raise ValueError(
                f"method must be one of {list(DEVICE_METHODS)} for single devices, got {self.kind!r} "
                "(gradient-descent programming needs a crossbar: CrossbarModel.program)"
            )
        self.settings = None
        self.crossbar = None
        self.array = device.program(targets_uS, rng.derive_seed(self.seed, "programming", 0))
        self.rows = 1
        self._setup(self.array.programmed_with, self.array.targets)
        self._record(devices_left=np.nan, batch_error=np.nan)
        self.result = self.array
        self.array.history = self.history

    def _verify_moments(self):
        return self.array.read_moments(0.0)

    def _record(self, devices_left, batch_error):
        mean, _ = self.array.read_moments(0.0)
        err = float(np.linalg.norm(mean.ravel() - self.targets) / max(np.linalg.norm(self.targets), 1e-300))
        row = dict(
            iteration=self.iteration,
            mvm_error=np.nan,
            weight_error=err,
            **self.totals,
            converged=self.converged,
            devices_left=devices_left,
            batch_error=batch_error,
        )
        self._rows.append(row)
        return row


def program_devices(
    device: Device,
    targets_uS: ArrayLike,
    seed: int,
    method: Literal["statistical", "one-shot", "verify"] = "statistical",
    **knobs: Any,
) -> DeviceArray:
    """Program one `device` per entry of `targets_uS` (uS) with `method` ("statistical": the
    device's post-verify statistics, `Device.program`; "one-shot" or "verify": pulse by pulse with
    `ProgrammingMethod` `knobs`, run to the end). Returns the `DeviceArray`; a pulse-level one
    carries ``history`` (`HISTORY_KEYS`)."""
    if method not in DEVICE_METHODS:
        raise ValueError(f"method must be one of {list(DEVICE_METHODS)} for single devices, got {method!r}")
    if method == "statistical":
        if knobs:
            raise ValueError(f"method 'statistical' takes no knobs, got {sorted(knobs)}")
        return device.program(targets_uS, seed)
    return DeviceProgrammingRun(device, targets_uS, seed, ProgrammingMethod.checked(method, **knobs)).run()
