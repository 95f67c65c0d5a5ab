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

from collections import OrderedDict

import numpy as np
import param

from kernels import crossbar, encoding, rng
from kernels.validate import check_seed, check_time, finite_array

from .devices import TECHNOLOGIES, Device

ADC_RANGES = ("calibrated", "full-scale")
CACHE_BYTES = 16 * 2**20
MOMENT_ENTRIES = 2
MATRIX_ENTRIES = 32
"""Read-time arrays kept per programmed crossbar: device moments for at most MOMENT_ENTRIES read
times (the current and the previous one, so that toggling back is free) and read matrices for at
most MATRIX_ENTRIES read settings (the dashboards' common-mode and wire sweeps read 10 to 21
settings in turn), each cache within CACHE_BYTES; least recently used dropped first. An explorer
holds dozens of programmed arrays and a lab server dozens of sessions: 64 MB per cache and no
entry limit had one Encoding session at 138 MB."""
N_CALIBRATION = 64


def _nbytes(value):
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, (tuple, list)):
        return sum(_nbytes(v) for v in value)
    return 0


def _trim(cache, entries):
    """Drop the least recently used entries of `cache` (an OrderedDict) above `entries` or
    CACHE_BYTES; keep one."""
    while len(cache) > 1 and (len(cache) > entries or sum(_nbytes(v) for v in cache.values()) > CACHE_BYTES):
        cache.popitem(last=False)


def protocol_inputs(n, rows, seed, x_max=1.0):
    """Inputs of the MVM protocol of section 12: uniform in [-x_max, x_max] with 50 % zeros."""
    u = rng.numpy_uniform(rng.numpy_stream_key(seed, rng.STREAM_CROSSBAR), np.arange(2 * n * rows))
    x = (2.0 * u[: n * rows] - 1.0) * x_max
    x[u[n * rows:] < 0.5] = 0.0
    return x.reshape(n, rows)


def protocol_weights(rows, cols, seed):
    """Weights of the MVM protocol of section 12: uniform in [-1, 1] with 30 % zeros, ``(rows, cols)``."""
    u = rng.numpy_uniform(rng.numpy_stream_key(seed, rng.STREAM_PROGRAM), np.arange(2 * rows * cols))
    w = 2.0 * u[: rows * cols] - 1.0
    w[u[rows * cols:] < 0.3] = 0.0
    return w.reshape(rows, cols)


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

    dac_bits = param.Integer(8, bounds=(1, 16), allow_None=True, doc="DAC bits (None: ideal input).")
    x_max = param.Number(1.0, bounds=(1e-6, None), doc="Input range of the DAC: inputs clip at +-x_max.")
    input_slice_bits = param.Integer(None, bounds=(1, 16), allow_None=True,
                                     doc="Feed the input in chunks of this many bits (None: all at once).")
    adc_bits = param.Integer(8, bounds=(1, 16), allow_None=True, doc="ADC bits per column and slice (None: ideal).")
    adc_range = param.Selector(default="calibrated", objects=list(ADC_RANGES), doc=(
        "ADC range: 'calibrated' from a calibration batch (largest noise-free output of each "
        "slice), 'full-scale' the largest output the array could produce."))
    ir_drop = param.Boolean(False, doc="First-order IR drop on word and bit lines.")
    wire_resistance_ohm = param.Number(0.35, bounds=(0.0, 1e6), inclusive_bounds=(False, True),
                                       softbounds=(0.01, 10.0),
                                       doc="Wire resistance between neighbouring cells (ohm).")
    stuck_on_fraction = param.Number(0.0, bounds=(0.0, 0.5), doc="Devices stuck at g_max (programming time).")
    stuck_off_fraction = param.Number(0.0, bounds=(0.0, 0.5), doc="Devices stuck at g_min (programming time).")
    common_mode_gain = param.Number(1.0, bounds=(0.1, 10.0), softbounds=(0.8, 1.2),
                                    doc="Scales every conductance at read (e.g. 1.05: +5 % from temperature).")
    common_mode_offset_uS = param.Number(0.0, bounds=(-1e3, 1e3), softbounds=(-2.0, 2.0),
                                         doc="Adds to every conductance at read (leakage, offset), uS.")
    calibrate_gain = param.Boolean(False, doc=(
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
    """

    def __init__(self, model, W, w_max, seed, previous=None):
        self.model = model
        self.device = model.device
        self.W = W
        self.w_max = w_max
        self.seed = seed
        self.mapping = model.mapping
        self.slice_bits = model.slice_bits
        self.base = float(model.base)
        self.rows, self.cols = W.shape
        self.n_slices = len(self.slice_bits)
        self.n_pol = 1 if self.mapping.startswith("offset") else 2
        dev = self.device
        self.g_lo, self.g_hi = float(dev.g_min), float(dev.g_max)
        span = self.g_hi - self.g_lo
        self.span = span / 2.0 if self.n_pol == 1 else span
        w = np.clip(W / w_max, -1.0, 1.0)
        self.levels = encoding.slice_levels(w, self.slice_bits, self.base, quantize=model.quantize_weights)
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
        self.array = dev.program(targets, seed=seed)
        u = rng.numpy_uniform(rng.numpy_stream_key(seed, rng.STREAM_FAULT), np.arange(targets.size))
        u = u.reshape(targets.shape)
        self.stuck = np.zeros(targets.shape, dtype=np.int8)
        self.stuck[u < model.stuck_on_fraction] = 1
        off = (u >= model.stuck_on_fraction) & (u < model.stuck_on_fraction + model.stuck_off_fraction)
        self.stuck[off] = -1
        self.n_stuck = int(np.count_nonzero(self.stuck))
        self.significance, self.full_scale = encoding.significances(self.slice_bits, self.base)
        self._moments_cache = OrderedDict()
        self._calibration_cache = {}
        self._matrices_cache = OrderedDict()
        self.last_stats = {}

    # ------------------------------------------------------------------ conductances

    def _read_key(self, t):
        dev = self.device
        return (t,) + tuple(getattr(dev, k) for k in ("drift_scale", "read_noise_scale", "temperature_K"))

    def device_moments(self, t):
        """Mean and read-noise sigma (uS) of every physical device at `t`, stuck-at faults applied."""
        key = self._read_key(t)
        if key not in self._moments_cache:
            mean, sigma = self.array.read_moments(t)
            if self.n_stuck:
                mean = np.where(self.stuck == 1, self.g_hi, np.where(self.stuck == -1, self.g_lo, mean))
            self._moments_cache[key] = (mean, sigma)
            _trim(self._moments_cache, MOMENT_ENTRIES)
        self._moments_cache.move_to_end(key)
        return self._moments_cache[key]

    def conductances(self, t=0.0, *, common_mode=True):
        """Mean conductances (uS) at `t` as ``(rows, cols, n_slices, n_pol)``, common mode applied."""
        t = check_time(t)
        mean, _ = self.device_moments(t)
        if common_mode:
            mean = self.model.common_mode_gain * mean + self.model.common_mode_offset_uS
        n = self.cols * self.n_slices * self.n_pol
        return mean[:, :n].reshape(self.rows, self.cols, self.n_slices, self.n_pol)

    def _level_units(self):
        """Conductance difference (uS) of one level of each slice."""
        return self.span / (2.0 ** np.array(self.slice_bits) - 1.0)

    def weights(self, t=0.0):
        """The weights the array holds at `t` (noise-free mean conductances, common mode applied), units of W."""
        t = check_time(t)
        mean = self.model.common_mode_gain * self.device_moments(t)[0] + self.model.common_mode_offset_uS
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

    def slice_conductances(self, t=0.0):
        """Per-slice mean conductances (uS): ``{"plus": (n_slices, rows, cols), "minus": ... or None}``."""
        g = np.moveaxis(self.conductances(t), 2, 0)
        return {"plus": g[..., 0], "minus": g[..., 1] if self.n_pol == 2 else None}

    # ------------------------------------------------------------------ read-out

    def _full_scale_range(self, chunk_max):
        return np.full(self.n_slices, self.rows * chunk_max * self.span)

    def _inputs(self, X):
        """DAC: the analog input chunks ``(n_chunks, B, rows)`` and each chunk's digital weight."""
        model = self.model
        if model.dac_bits is None:
            return X[None], np.ones(1), 0
        if model.input_slice_bits is None:
            volts, clipped = crossbar.dac_volts(X, bits=model.dac_bits, x_max=model.x_max)
            return volts[None], np.ones(1), clipped
        codes, step, clipped = crossbar.dac(X, bits=model.dac_bits, x_max=model.x_max)
        chunks, b = encoding.input_chunks(codes, model.dac_bits, model.input_slice_bits)
        volt = model.x_max / (2.0 ** b - 1.0)
        weights = np.array([2.0 ** (k * b) * step / volt for k in range(len(chunks))])
        return chunks * volt, weights, clipped

    def _adc_ranges(self, n_chunks):
        """ADC range per (chunk, slice): full scale, or the largest noise-free output of a calibration batch."""
        model = self.model
        if model.adc_range == "full-scale":
            return np.tile(self._full_scale_range(model.x_max), (n_chunks, 1))
        key = (model.dac_bits, model.x_max, model.input_slice_bits)
        if key not in self._calibration_cache:
            xcal = protocol_inputs(N_CALIBRATION, self.rows, self.seed, model.x_max)
            volts, _, _ = self._inputs(xcal)
            d, _, ref, _ = self._matrices32(0.0, common_mode=False)
            ranges = np.empty((len(volts), self.n_slices))
            for k, v in enumerate(volts):
                y = v @ d
                if ref is not None:
                    y = y - np.repeat(v @ ref[0], self.cols, axis=1)
                y = np.abs(y).reshape(len(v), self.n_slices, self.cols)
                ranges[k] = np.maximum(y.max(axis=(0, 2)), 1e-12)
            self._calibration_cache[key] = ranges
        return self._calibration_cache[key]

    def _unit_loss(self, t, gain, offset):
        """IR loss per ohm (`crossbar.ir_unit_loss`) of the array read at `t` with this common mode."""
        key = ("loss",) + self._read_key(t) + (gain, offset)
        cache = self._matrices_cache
        if key not in cache:
            mean, _ = self.device_moments(t)
            cache[key] = crossbar.ir_unit_loss(gain * mean + offset)
            _trim(cache, MATRIX_ENTRIES)
        cache.move_to_end(key)
        return cache[key]

    def _matrices32(self, t, common_mode):
        """Per-output difference and variance matrices ``(D, V)`` in float32 for BLAS, the reference
        columns' moments (offset-reference) and the largest IR loss; cached per read settings."""
        m = self.model
        gain, offset = (m.common_mode_gain, m.common_mode_offset_uS) if common_mode else (1.0, 0.0)
        wire_r = m.wire_resistance_ohm if m.ir_drop else 0.0
        key = self._read_key(t) + (gain, offset, wire_r)
        cache = self._matrices_cache
        if key not in cache:
            mean, sigma = self.device_moments(t)
            loss = self._unit_loss(t, gain, offset) if m.ir_drop else None
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
            cache[key] = (d, var, ref, ir_worst)
            _trim(cache, MATRIX_ENTRIES)
        cache.move_to_end(key)
        return cache[key]

    def _read(self, X, t, seed, common_mode=True):
        model = self.model
        volts, chunk_weights, dac_clipped = self._inputs(X)
        d, var_matrix, ref, ir_worst = self._matrices32(t, common_mode)
        ranges = self._adc_ranges(len(volts))
        B = X.shape[0]
        C = d.shape[1]
        per_level = self.significance / self._level_units() / self.full_scale * self.w_max
        scale = np.repeat(per_level, self.cols)
        y = np.zeros((B, self.cols))
        adc_clipped = 0
        for k, v in enumerate(volts):
            mean, var = crossbar.moments(v, d, var_matrix)
            ref_out = None
            if ref is not None:
                rm, rv = crossbar.moments(v, ref[0], ref[1])
                ref_out, _ = crossbar.noise_adc(rm, rv, seed=seed, adc_bits=None, y_max=1.0,
                                                offset=(len(volts) + k) * B * C)
            _, clipped = crossbar.noise_adc(
                mean, var, seed=seed, adc_bits=model.adc_bits, y_max=np.repeat(ranges[k], self.cols),
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

    def gain_factor(self, t, seed):
        """Global calibration factor ``ref / mean|y_cal(t)|`` (physics reference section 8)."""
        key = ("xcal", self.model.x_max)
        if key not in self._calibration_cache:
            self._calibration_cache[key] = protocol_inputs(N_CALIBRATION, self.rows, self.seed + 1,
                                                           self.model.x_max)
        xcal = self._calibration_cache[key]
        key = ("ref",) + self._read_key(0.0)
        if key not in self._calibration_cache:
            y0, _ = self._read(xcal, 0.0, self.seed, common_mode=False)
            self._calibration_cache[key] = float(np.mean(np.abs(y0)))
        yt, _ = self._read(xcal, t, seed ^ 0x5F3759DF)
        return self._calibration_cache[key] / max(float(np.mean(np.abs(yt))), 1e-300)

    def mvm(self, X, t=0.0, seed=0, return_stats=False):
        """Outputs ``X @ W`` as the analog array computes them, read `t` seconds after programming.

        `X` is ``(rows,)`` or ``(batch, rows)``; `seed` draws the read noise (use a
        new seed for each read). With `return_stats`, also a dict of DAC and ADC
        clipping counts, the largest IR-drop loss and the calibration factor.
        """
        t = check_time(t)
        seed = check_seed(seed)
        X2, single = self._check_inputs(X)
        y, stats = self._read(X2, t, seed)
        alpha = 1.0
        if self.model.calibrate_gain:
            alpha = self.gain_factor(t, seed)
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

    def error(self, X, t=0.0, seed=0):
        """MVM error (section 12) of `mvm` against the exact product on the inputs `X`."""
        X2, _ = self._check_inputs(X)
        return crossbar.mvm_error(self.mvm(X2, t, seed), X2 @ self.W)

    def weight_error(self, t=0.0, calibrated=False):
        """Relative Frobenius error ``||W(t) - W|| / ||W||`` of the held weights.

        With `calibrated`, ``W(t)`` is first scaled by the one factor that fits
        it best to ``W`` (least squares): what a global gain calibration can at
        best recover, so what remains is spread rather than gain.
        """
        norm = np.linalg.norm(self.W)
        if norm == 0:
            return 0.0
        held = self.weights(t)
        if calibrated:
            held = held * (np.sum(held * self.W) / max(np.sum(held * held), 1e-300))
        return float(np.linalg.norm(held - self.W) / norm)

    def update_set_only(self, W_new, seed):
        """Reprogram toward `W_new` by raising conductances only (set-only mapping); a new `ProgrammedCrossbar`."""
        if self.mapping != "set-only":
            raise ValueError(f"update_set_only needs mapping='set-only', this array uses {self.mapping!r}")
        W_new = finite_array(W_new, "W_new")
        if W_new.shape != self.W.shape:
            raise ValueError(f"W_new must have the shape of W {self.W.shape}, got {W_new.shape}")
        g = self.array.state.get("g_prog")
        if g is None:
            g = self.targets
        g = np.clip(g, self.g_lo, self.g_hi).reshape(self.rows, self.cols, self.n_slices, 2)
        return ProgrammedCrossbar(self.model, W_new, self.w_max, check_seed(seed),
                                  previous=(g[..., 0], g[..., 1]))

    def __repr__(self):
        return (f"ProgrammedCrossbar({self.device.technology}, {self.mapping}, slices={self.slice_bits}, "
                f"F={self.base:g}, shape={self.W.shape}, seed={self.seed})")
