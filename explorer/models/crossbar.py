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

import hashlib

import numpy as np
import param

from kernels import crossbar, encoding, rng
from kernels.validate import check_seed, check_time, finite_array

from .devices import TECHNOLOGIES, Device
from .memo import Memo, Settings

ADC_RANGES = ("calibrated", "full-scale")
CACHE_BYTES = 48 * 2**20
CACHE_ENTRIES = 128
"""Read-time results kept per programmed crossbar (device moments, read matrices, IR losses, ADC
ranges, calibration references): at most CACHE_ENTRIES and CACHE_BYTES, least recently used
dropped first, the newest of each kind always kept. The dashboards' common-mode and wire sweeps
read 10 to 21 settings in turn; arrays up to 256 x 256 (the dashboards' defaults) hold a few MB,
so the byte bound only acts on large arrays: a 512 x 512 array of two slices needs 17 MB of
moments and 8 MB of matrices per read time, and 48 MB keeps two read times (toggling back is
free)."""
N_CALIBRATION = 64
ANALOG_MEMO_BYTES = 2 * 2**20
ANALOG_ENTRIES = 24
"""Analog reads kept per array: an ADC sweep reuses one analog read for its 11 points and one
calibration read for their 11 references; more would crowd out the matrices they come from."""
"""Input batches up to this size (after the DAC) keep their analog read in the memo (the
dashboards' batches are at most 0.5 MB; larger batches are read afresh without hashing them)."""


def protocol_inputs(n, rows, seed, x_max=1.0):
    """Inputs of the MVM protocol of section 12: uniform in [-x_max, x_max] with 50 % zeros.

    Drawn from a stream of their own (`rng.STREAM_INPUTS`): independent of the weights, of the
    programming and of the calibration inputs, even under the same seed."""
    return _sparse_uniform(n, rows, seed, rng.STREAM_INPUTS, 0.5) * x_max


def calibration_inputs(n, rows, seed, x_max=1.0):
    """Calibration inputs (physics reference section 8): distributed as `protocol_inputs` but from
    their own stream (`rng.STREAM_CALIBRATION`), so they are never the evaluation inputs."""
    return _sparse_uniform(n, rows, seed, rng.STREAM_CALIBRATION, 0.5) * x_max


def protocol_weights(rows, cols, seed):
    """Weights of the MVM protocol of section 12: uniform in [-1, 1] with 30 % zeros, ``(rows, cols)``;
    from their own stream (`rng.STREAM_WEIGHTS`), independent of the programming noise."""
    return _sparse_uniform(rows, cols, seed, rng.STREAM_WEIGHTS, 0.3)


def _sparse_uniform(n, m, seed, stream, zeros):
    """``(n, m)`` uniform in [-1, 1] with a share `zeros` of exact zeros, from one stream of `seed`."""
    seed = check_seed(seed)
    u = rng.numpy_uniform(rng.numpy_stream_key(seed, stream), np.arange(2 * n * m))
    x = 2.0 * u[: n * m] - 1.0
    x[u[n * m:] < zeros] = 0.0
    return x.reshape(n, m)


class CrossbarModel(param.Parameterized):
    """How a weight matrix is encoded on devices and read out (physics reference sections 9 and 10)."""

    technology = param.Selector(default="PCM", objects=list(TECHNOLOGIES), doc="Memory technology.")
    device = param.ClassSelector(class_=Device, doc="The device model (its knobs are read-time parameters).")

    mapping = param.Selector(default="differential", objects=list(encoding.MAPPINGS), doc=(
        "Signed-weight mapping: differential (one-sided pair), two-sided pair, set-only pair, "
        "offset with a reference column, offset subtracted digitally."))
    n_slices = param.Integer(2, bounds=(1, 8), doc="Number of slices (device pairs) per weight.")
    weight_bits = param.Integer(8, bounds=(1, 32), doc="Bits of weight magnitude over all slices.")
    allocation = param.Selector(default="balanced", objects=["balanced", "unbalanced"],
                                doc="Bits per slice: even split, or fewer for the more significant slices.")
    base = param.Number(16.0, bounds=(1.0, 65536.0), softbounds=(1.0, 32.0), doc=(
        "Significance base F: W = sum F^(n-1-i) (G+_i - G-_i). 1 is equal significance "
        "(averaging), 2^bits of the slice below is digital slicing."))
    quantize_weights = param.Boolean(True, doc="Round slice targets to the slice's levels.")

    dac_bits = param.Integer(8, bounds=(1, 16), allow_None=True, label="DAC bits", doc="DAC bits (None: ideal input).")
    x_max = param.Number(1.0, bounds=(1e-6, None), doc="Input range of the DAC: inputs clip at +-x_max.")
    input_slice_bits = param.Integer(None, bounds=(1, 16), allow_None=True, label="Input slice bits",
                                     doc="Feed the input in chunks of this many bits (None: all at once).")
    adc_bits = param.Integer(8, bounds=(1, 16), allow_None=True, label="ADC bits", doc="ADC bits per column and slice (None: ideal).")
    adc_range = param.Selector(default="calibrated", objects=list(ADC_RANGES), label="ADC range", doc=(
        "ADC range: 'calibrated' from a calibration batch (largest noise-free output of each "
        "slice), 'full-scale' the largest output the array could produce."))
    ir_drop = param.Boolean(False, label="IR drop", doc="First-order IR drop on word and bit lines.")
    wire_resistance_ohm = param.Number(0.35, bounds=(0.0, 1e6), inclusive_bounds=(False, True),
                                       softbounds=(0.01, 10.0),
                                       doc="Wire resistance between neighbouring cells (ohm).")
    stuck_on_fraction = param.Number(0.0, bounds=(0.0, 0.5), doc="Devices stuck at g_max (programming time).")
    stuck_off_fraction = param.Number(0.0, bounds=(0.0, 0.5), doc="Devices stuck at g_min (programming time).")
    common_mode_gain = param.Number(1.0, bounds=(0.1, 10.0), softbounds=(0.8, 1.2), step=0.005,
                                    label="Multiplicative common mode",
                                    doc="Scales every conductance at read (e.g. 1.05: +5 % from temperature).")
    common_mode_offset_uS = param.Number(0.0, bounds=(-1e3, 1e3), softbounds=(-2.0, 2.0), step=0.05,
                                         label="Additive common mode (µS)",
                                         doc="Adds to every conductance at read (leakage, offset), uS.")
    calibrate_gain = param.Boolean(False, label="Gain calibration", doc=(
        "Global gain calibration (physics reference section 8): scale outputs by "
        "ref / mean|y_cal(t)|, ref read right after programming."))

    def __init__(self, **params):
        device = params.pop("device", None)
        technology = params.get("technology", "PCM")
        if technology not in TECHNOLOGIES:
            raise ValueError(f"technology must be one of {sorted(TECHNOLOGIES)}, got {technology!r}")
        unknown = sorted(set(params) - set(self.param))
        if unknown:
            raise ValueError(f"unknown parameter(s) {unknown}; allowed: "
                             f"{sorted(p for p in self.param if p != 'name')}")
        super().__init__(**params)
        self.device = device if device is not None else TECHNOLOGIES[self.technology]()
        self.slice_bits  # validates the slicing

    READ_TIME = ("dac_bits", "x_max", "input_slice_bits", "adc_bits", "adc_range", "ir_drop",
                 "wire_resistance_ohm", "common_mode_gain", "common_mode_offset_uS", "calibrate_gain")
    """The read-time parameters: `ProgrammedCrossbar.mvm` reads with their current values (and the
    device's `Device.READ_TIME` knobs). Every other parameter is programming-time, frozen by
    `program`."""

    def read_settings(self):
        """A `Settings` snapshot of every read-time value: this model's and its device's knobs."""
        values = {name: getattr(self, name) for name in self.READ_TIME}
        return Settings(values, **self.device.read_settings())

    def programming_settings(self):
        """A `Settings` snapshot of every programming-time value: this model's (with the slicing it
        implies) and its device's (prefixed ``device.``). Two arrays programmed with equal
        snapshots, the same weights and the same seed are identical."""
        values = {name: value for name, value in self.param.values().items()
                  if name not in ("name", "device") and name not in self.READ_TIME}
        values["slice_bits"] = self.slice_bits
        for name, value in self.device.programming_settings().items():
            values[f"device.{name}"] = value
        return Settings(values)

    @param.depends("technology", watch=True)
    def _new_device(self):
        if self.device is None or self.device.technology != self.technology:
            self.device = TECHNOLOGIES[self.technology]()

    @property
    def slice_bits(self):
        """Bits per slice, most significant first."""
        return encoding.slice_allocation(self.weight_bits, self.n_slices, self.allocation)

    @property
    def devices_per_weight(self):
        pairs = 1 if self.mapping.startswith("offset") else 2
        return pairs * self.n_slices

    def program(self, W, seed, w_max=None):
        """Encode `W` (rows = inputs, columns = outputs) and program every device; a `ProgrammedCrossbar`.

        Weights are normalized by `w_max` (default ``max|W|``); entries beyond it clip.
        """
        seed = check_seed(seed)
        W = finite_array(W, "W")
        if W.ndim != 2 or min(W.shape) < 1:
            raise ValueError(f"W must be a 2-D array (inputs, outputs) with at least one entry, got shape {W.shape}")
        if w_max is None:
            w_max = float(np.max(np.abs(W))) or 1.0
        elif not (np.isfinite(w_max) and w_max > 0):
            raise ValueError(f"w_max must be a positive finite number, got {w_max!r}")
        return ProgrammedCrossbar(self, W, float(w_max), seed)


class ProgrammedCrossbar:
    """A weight matrix as programmed on a crossbar; `mvm` reads it with fresh noise each time.

    Physical layout: column ``(j, slice, polarity)`` holds output j's device of
    that slice and sign, pairs side by side; an offset-reference array ends with
    one reference column per slice.

    State and settings apart: the programming-time configuration is the snapshot `config` taken
    by `CrossbarModel.program` and the devices are read through the frozen copy of the device
    they were programmed with (``array.programmed_with``). Read-time settings are a `Settings`
    snapshot: `settings=` of each read, by default the model's current ones. Results derived
    from the state (device moments, read matrices, ADC ranges, calibration references) are kept
    in one `Memo`, keyed by the state `version` and by the values of exactly the settings each
    one read; every change of the state bumps `version`.
    """

    def __init__(self, model, W, w_max, seed, previous=None, config=None, device=None):
        self.model = model
        self.config = config = model.programming_settings() if config is None else config
        device = model.device if device is None else device
        self.W = W
        self.w_max = w_max
        self.seed = seed
        self.mapping = config.peek("mapping")
        self.slice_bits = config.peek("slice_bits")
        self.base = float(config.peek("base"))
        self.rows, self.cols = W.shape
        self.n_slices = len(self.slice_bits)
        self.n_pol = 1 if self.mapping.startswith("offset") else 2
        self.g_lo, self.g_hi = float(device.g_min), float(device.g_max)
        span = self.g_hi - self.g_lo
        self.span = span / 2.0 if self.n_pol == 1 else span
        w = np.clip(W / w_max, -1.0, 1.0)
        self.levels = encoding.slice_levels(w, self.slice_bits, self.base, quantize=config.peek("quantize_weights"))
        top = (2.0 ** np.array(self.slice_bits) - 1.0)
        v = self.levels / top[:, None, None]                      # (ns, rows, cols) in [-1, 1]
        v = np.moveaxis(v, 0, -1)                                 # (rows, cols, ns)
        self.saturated = np.zeros(v.shape, dtype=bool)
        self.g_mid = 0.5 * (self.g_lo + self.g_hi)
        if self.mapping in ("differential", "two-sided"):
            gp, gm = encoding.differential_targets(v, self.g_lo, self.g_hi, two_sided=self.mapping == "two-sided")
            targets = np.stack([gp, gm], axis=-1)
        elif self.mapping == "set-only":
            if previous is None:
                prev_p = prev_m = np.full(v.shape, self.g_lo)
            else:
                prev_p, prev_m = previous
            gp, gm, self.saturated = encoding.set_only_targets(v, prev_p, prev_m, self.g_lo, self.g_hi)
            targets = np.stack([gp, gm], axis=-1)
        else:
            g, _ = encoding.offset_targets(v, self.g_lo, self.g_hi)
            targets = g[..., None]
        targets = targets.reshape(self.rows, -1)
        if self.mapping == "offset-reference":
            targets = np.concatenate([targets, np.full((self.rows, self.n_slices), self.g_mid)], axis=1)
        self.targets = targets
        self.array = device.program(targets, seed=seed)
        self.device = self.array.programmed_with
        u = rng.numpy_uniform(rng.numpy_stream_key(seed, rng.STREAM_FAULT), np.arange(targets.size))
        u = u.reshape(targets.shape)
        on, off = config.peek("stuck_on_fraction"), config.peek("stuck_off_fraction")
        self.stuck = np.zeros(targets.shape, dtype=np.int8)
        self.stuck[u < on] = 1
        self.stuck[(u >= on) & (u < on + off)] = -1
        self.n_stuck = int(np.count_nonzero(self.stuck))
        self.significance, self.full_scale = encoding.significances(self.slice_bits, self.base)
        self.memo = Memo(max_bytes=CACHE_BYTES, max_entries=CACHE_ENTRIES, limits={"analog": ANALOG_ENTRIES})
        self.last_stats = {}

    @property
    def version(self):
        """Version of the programmed state (the device array's): every change of it bumps it."""
        return self.array.version

    def apply_reads(self, n_reads, *, polarity="unipolar", v_read=0.2):
        """Read disturb of `n_reads` more reads of every device (RRAM; see `DeviceArray.apply_reads`)."""
        self.array.apply_reads(n_reads, polarity=polarity, v_read=v_read)

    def read_settings(self, settings=None):
        """`settings`, or the model's current read-time settings."""
        return self.model.read_settings() if settings is None else settings

    # ------------------------------------------------------------------ conductances

    def _moments(self, t, s):
        """Mean and read-noise sigma (uS) of every physical device at `t`, stuck-at faults applied."""
        def compute(s):
            mean, sigma = self.array.read_moments(t, knobs=s)
            if self.n_stuck:
                mean = np.where(self.stuck == 1, self.g_hi, np.where(self.stuck == -1, self.g_lo, mean))
            return mean, sigma
        return self.memo.get("moments", (self.version, t), s, compute)

    def device_moments(self, t, settings=None):
        """Mean and read-noise sigma (uS) of every physical device at `t`, stuck-at faults applied."""
        return self._moments(check_time(t), self.read_settings(settings))

    def conductances(self, t=0.0, *, common_mode=True, settings=None):
        """Mean conductances (uS) at `t` as ``(rows, cols, n_slices, n_pol)``, common mode applied."""
        s = self.read_settings(settings)
        mean, _ = self._moments(check_time(t), s)
        if common_mode:
            mean = s.common_mode_gain * mean + s.common_mode_offset_uS
        n = self.cols * self.n_slices * self.n_pol
        return mean[:, :n].reshape(self.rows, self.cols, self.n_slices, self.n_pol)

    def _level_units(self):
        """Conductance difference (uS) of one level of each slice."""
        return self.span / (2.0 ** np.array(self.slice_bits) - 1.0)

    def weights(self, t=0.0, settings=None):
        """The weights the array holds at `t` (noise-free mean conductances, common mode applied), units of W."""
        s = self.read_settings(settings)
        mean = s.common_mode_gain * self._moments(check_time(t), s)[0] + s.common_mode_offset_uS
        n = self.cols * self.n_slices * self.n_pol
        g = mean[:, :n].reshape(self.rows, self.cols, self.n_slices, self.n_pol)
        if self.n_pol == 2:
            diff = g[..., 0] - g[..., 1]
        elif self.mapping == "offset-reference":
            diff = g[..., 0] - mean[:, None, n:]
        else:
            diff = g[..., 0] - self.g_mid
        levels = diff / self._level_units()
        return (levels @ self.significance) / self.full_scale * self.w_max

    def slice_conductances(self, t=0.0, settings=None):
        """Per-slice mean conductances (uS): ``{"plus": (n_slices, rows, cols), "minus": ... or None}``."""
        g = np.moveaxis(self.conductances(t, settings=settings), 2, 0)
        return {"plus": g[..., 0], "minus": g[..., 1] if self.n_pol == 2 else None}

    # ------------------------------------------------------------------ read-out

    def _full_scale_range(self, chunk_max):
        return np.full(self.n_slices, self.rows * chunk_max * self.span)

    def _inputs(self, X, s):
        """DAC: the analog input chunks ``(n_chunks, B, rows)`` and each chunk's digital weight."""
        if s.dac_bits is None:
            return X[None], np.ones(1), 0
        if s.input_slice_bits is None:
            volts, clipped = crossbar.dac_volts(X, bits=s.dac_bits, x_max=s.x_max)
            return volts[None], np.ones(1), clipped
        codes, step, clipped = crossbar.dac(X, bits=s.dac_bits, x_max=s.x_max)
        chunks, b = encoding.input_chunks(codes, s.dac_bits, s.input_slice_bits)
        volt = s.x_max / (2.0 ** b - 1.0)
        weights = np.array([2.0 ** (k * b) * step / volt for k in range(len(chunks))])
        return chunks * volt, weights, clipped

    def _calibration_inputs(self, s):
        """The calibration batch: `N_CALIBRATION` inputs from the calibration stream of the
        programming seed (never the evaluation inputs)."""
        return self.memo.get("calibration inputs", (), s,
                             lambda s: calibration_inputs(N_CALIBRATION, self.rows, self.seed, s.x_max))

    def _adc_ranges(self, n_chunks, s):
        """ADC range per (chunk, slice): full scale, or the largest noise-free output of the
        calibration batch read right after programming (common mode off)."""
        if s.adc_range == "full-scale":
            return np.tile(self._full_scale_range(s.x_max), (n_chunks, 1))

        def compute(s):
            volts, _, _ = self._inputs(self._calibration_inputs(s), s)
            d, _, ref, _ = self._matrices(0.0, s, common_mode=False)
            ranges = np.empty((len(volts), self.n_slices))
            for k, v in enumerate(volts):
                y = v @ d
                if ref is not None:
                    y = y - np.repeat(v @ ref[0], self.cols, axis=1)
                y = np.abs(y).reshape(len(v), self.n_slices, self.cols)
                ranges[k] = np.maximum(y.max(axis=(0, 2)), 1e-12)
            return ranges
        return self.memo.get("ADC ranges", (self.version,), s, compute)

    def _unit_loss(self, t, s, gain, offset):
        """IR loss per ohm (`crossbar.ir_unit_loss`) of the array read at `t` with this common mode."""
        return self.memo.get("IR loss", (self.version, t, gain, offset), s,
                             lambda s: crossbar.ir_unit_loss(gain * self._moments(t, s)[0] + offset))

    def _matrices(self, t, s, common_mode):
        """Per-output difference and variance matrices ``(D, V)`` in float32 for BLAS, the reference
        columns' moments (offset-reference) and the largest IR loss."""
        def compute(s):
            gain, offset = (s.common_mode_gain, s.common_mode_offset_uS) if common_mode else (1.0, 0.0)
            wire_r = s.wire_resistance_ohm if s.ir_drop else 0.0
            mean, sigma = self._moments(t, s)
            loss = self._unit_loss(t, s, gain, offset) if s.ir_drop else None
            n = self.cols * self.n_slices * self.n_pol
            subtract = self.g_mid if self.mapping == "offset-digital" else 0.0
            d, var = crossbar.pair_matrices(mean[:, :n], sigma[:, :n], cols=self.cols, n_slices=self.n_slices,
                                           n_pol=self.n_pol, gain=gain, offset=offset,
                                           loss=None if loss is None else loss[:, :n],
                                           wire_resistance_ohm=wire_r, subtract=subtract)
            ref = None
            if self.mapping == "offset-reference":
                f = 1.0 if loss is None else 1.0 / (1.0 + wire_r * loss[:, n:])
                ref = ((gain * mean[:, n:] + offset) * f, (gain * sigma[:, n:] * f) ** 2)
            ir_worst = float(wire_r * loss.max()) if loss is not None and loss.size else 0.0
            return d, var, ref, ir_worst
        return self.memo.get("matrices", (self.version, t, common_mode), s, compute)

    def _analog(self, volts, t, s, common_mode):
        """The analog part of a read, before noise and ADC: per input chunk, each column's output
        mean and variance (and the reference columns'), and the largest IR loss. Kept in the memo
        for batches up to ANALOG_MEMO_BYTES (keyed by a digest of the DAC's output), so a sweep of
        ADC settings, or a calibration read repeated at other ADC settings, reuses it."""
        def compute(s):
            d, var_matrix, ref, ir_worst = self._matrices(t, s, common_mode)
            chunks = []
            for v in volts:
                mean, var = crossbar.moments(v, d, var_matrix)
                ref_moments = crossbar.moments(v, ref[0], ref[1]) if ref is not None else None
                chunks.append((mean, var, ref_moments))
            return chunks, ir_worst
        if volts.nbytes > ANALOG_MEMO_BYTES:
            return compute(s)
        digest = hashlib.blake2b(np.ascontiguousarray(volts).view(np.uint8), digest_size=16).digest()
        return self.memo.get("analog", (self.version, t, common_mode, volts.shape, digest), s, compute)

    def _read(self, X, t, seed, s, common_mode=True):
        volts, chunk_weights, dac_clipped = self._inputs(X, s)
        chunks, ir_worst = self._analog(volts, t, s, common_mode)
        ranges = self._adc_ranges(len(volts), s)
        B = X.shape[0]
        C = chunks[0][0].shape[1]
        per_level = self.significance / self._level_units() / self.full_scale * self.w_max
        scale = np.repeat(per_level, self.cols)
        y = np.zeros((B, self.cols))
        adc_clipped = 0
        adc_bits = s.adc_bits
        for k, (mean, var, ref_moments) in enumerate(chunks):
            ref_out = None
            if ref_moments is not None:
                rm, rv = ref_moments
                ref_out, _ = crossbar.noise_adc(rm, rv, seed=seed, adc_bits=None, y_max=1.0,
                                                offset=(len(volts) + k) * B * C)
            _, clipped = crossbar.noise_adc(
                mean, var, seed=seed, adc_bits=adc_bits, y_max=np.repeat(ranges[k], self.cols),
                offset=k * B * C, ref=ref_out, scale=chunk_weights[k] * scale, n_out=self.cols, out=y)
            adc_clipped += clipped
        stats = {"dac_clipped": dac_clipped, "adc_clipped": adc_clipped,
                 "adc_conversions": B * C * len(volts), "ir_drop_max": ir_worst}
        return y, stats

    def _check_inputs(self, X):
        X = finite_array(X, "X")
        single = X.ndim == 1
        X2 = X[None] if single else X
        if X2.ndim != 2 or X2.shape[1] != self.rows:
            raise ValueError(f"X must have shape ({self.rows},) or (batch, {self.rows}) to match W's "
                             f"{self.rows} inputs, got {X.shape}")
        return X2, single

    def gain_factor(self, t, seed, settings=None):
        """Global calibration factor ``ref / mean|y_cal(t)|`` (physics reference section 8): the
        calibration batch read right after programming (the reference, common mode off) and at
        `t`, each with read noise from the calibration seeds derived from the programming seed
        and from the read seed `seed`."""
        s = self.read_settings(settings)
        t = check_time(t)

        def reference(s):
            y0, _ = self._read(self._calibration_inputs(s), 0.0, rng.derive_seed(self.seed, "calibration"), s,
                               common_mode=False)
            return float(np.mean(np.abs(y0)))
        ref = self.memo.get("gain reference", (self.version,), s, reference)
        yt, _ = self._read(self._calibration_inputs(s), t, rng.derive_seed(check_seed(seed), "calibration"), s)
        return ref / max(float(np.mean(np.abs(yt))), 1e-300)

    def mvm(self, X, t=0.0, seed=0, return_stats=False, settings=None):
        """Outputs ``X @ W`` as the analog array computes them, read `t` seconds after programming.

        `X` is ``(rows,)`` or ``(batch, rows)``; `seed` draws the read noise (use a
        new seed for each read). `settings`: the read-time settings (default: the model's
        current `read_settings()`). With `return_stats`, also a dict of DAC and ADC
        clipping counts, the largest IR-drop loss and the calibration factor.
        """
        t = check_time(t)
        seed = check_seed(seed)
        s = self.read_settings(settings)
        X2, single = self._check_inputs(X)
        y, stats = self._read(X2, t, seed, s)
        alpha = 1.0
        if s.calibrate_gain:
            alpha = self.gain_factor(t, seed, s)
            y = y * alpha
        stats["gain_factor"] = alpha
        self.last_stats = stats
        y = y[0] if single else y
        return (y, stats) if return_stats else y

    def ideal(self, X):
        """The exact product ``X @ W`` in float64."""
        X2, single = self._check_inputs(X)
        y = X2 @ self.W
        return y[0] if single else y

    def error(self, X, t=0.0, seed=0, settings=None):
        """MVM error (section 12) of `mvm` against the exact product on the inputs `X`."""
        X2, _ = self._check_inputs(X)
        return crossbar.mvm_error(self.mvm(X2, t, seed, settings=settings), X2 @ self.W)

    def weight_error(self, t=0.0, calibrated=False, settings=None):
        """Relative Frobenius error ``||W(t) - W|| / ||W||`` of the held weights.

        With `calibrated`, ``W(t)`` is first scaled by the one factor that fits
        it best to ``W`` (least squares): what a global gain calibration can at
        best recover, so what remains is spread rather than gain.
        """
        norm = np.linalg.norm(self.W)
        if norm == 0:
            return 0.0
        held = self.weights(t, settings=settings)
        if calibrated:
            held = held * (np.sum(held * self.W) / max(np.sum(held * held), 1e-300))
        return float(np.linalg.norm(held - self.W) / norm)

    def update_set_only(self, W_new, seed):
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
        g = np.clip(g, self.g_lo, self.g_hi).reshape(self.rows, self.cols, self.n_slices, 2)
        return ProgrammedCrossbar(self.model, W_new, self.w_max, check_seed(seed), previous=(g[..., 0], g[..., 1]),
                                  config=self.config, device=self.device)

    def __repr__(self):
        return (f"ProgrammedCrossbar({self.device.technology}, {self.mapping}, slices={self.slice_bits}, "
                f"F={self.base:g}, shape={self.W.shape}, seed={self.seed})")
