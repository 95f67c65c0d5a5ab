"""Counter-based random numbers: the same seed gives the same numbers in any thread.

Each draw is a pure function of ``(seed, stream, index)``: a SplitMix64 hash
(Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
OOPSLA 2014) turns the triple into 64 random bits, and
the inverse normal distribution function turns one uniform into a
standard normal: `normal` with AS241 on 53 bits (float64, about 1e-16), `normal_f32`
with a branch-free float32 polynomial on 32 bits (within 2.5e-6, for loops that LLVM
vectorizes: the PCM kernels), `fast_normal` by table on 24 bits (the crossbar). Because
nothing is carried from one draw to the next, a parallel loop gives exactly the numbers
of a serial one, and two browser sessions never share a generator state. `numpy_normal`
is the same computation in plain NumPy, used by the tests as the reference
(`numpy_normal_f32` the exact quantile of `normal_f32`'s uniforms).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._jit import INLINE_JIT, JIT
from .fmath import log32, sqrt32

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53

MAX_SEED = 2**63 - 1

# Streams: one per kind of draw, so that e.g. programming noise and drift
# exponents of the same device are independent.
STREAM_PROGRAM = 1
STREAM_DRIFT = 2
STREAM_READ = 3
STREAM_RELAX = 4
STREAM_RTN = 5
STREAM_PULSE = 6
STREAM_DEVICE = 7
STREAM_DISTURB = 8
STREAM_FAULT = 9
STREAM_CROSSBAR = 10
STREAM_PULSE_SKIP = 11
STREAM_WEIGHTS = 12
STREAM_INPUTS = 13
STREAM_CALIBRATION = 14
STREAM_PULSE_ROW = 15  # row trains of a stochastic outer-product update (kernels.outer_update)
STREAM_PULSE_COL = 16  # its column trains

PURPOSES = {
    # What a user seed is split into (`derive_seed`): one independent seed per purpose.
    "weights": 1,  # the weight matrix of a protocol or a task
    "inputs": 2,  # evaluation inputs
    "programming": 3,  # programming noise, drift exponents, traps, stuck devices
    "read": 4,  # read noise of read number `index`
    "calibration": 5,  # calibration inputs and calibration reads (never evaluation inputs)
    "training": 6,  # on-chip training: sample order, stochastic pulses
}


@njit(**INLINE_JIT)
def _mix(z):
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(**INLINE_JIT)
def stream_key(seed, stream):
    """Key of one stream of a seed (uint64)."""
    return _mix(_mix(np.uint64(seed) + _GOLDEN) + np.uint64(stream) * _GOLDEN)


@njit(**INLINE_JIT)
def uniform(key, index):
    """Uniform draw in the open interval (0, 1) for counter `index`."""
    bits = _mix(key + np.uint64(index) * _GOLDEN)
    return (np.float64(bits >> _S11) + 0.5) * _INV53


# Wichura's AS241 (PPND16), Appl. Statist. 37, 477 (1988): the normal quantile
# to about 1e-16 relative accuracy. One uniform per normal draw and, for 85 % of
# the draws, only a rational function: several times cheaper than Box-Muller.
_A = (
    3.3871328727963666080e0,
    1.3314166789178437745e2,
    1.9715909503065514427e3,
    1.3731693765509461125e4,
    4.5921953931549871457e4,
    6.7265770927008700853e4,
    3.3430575583588128105e4,
    2.5090809287301226727e3,
)
_B = (
    1.0,
    4.2313330701600911252e1,
    6.8718700749205790830e2,
    5.3941960214247511077e3,
    2.1213794301586595867e4,
    3.9307895800092710610e4,
    2.8729085735721942674e4,
    5.2264952788528545610e3,
)
_C = (
    1.42343711074968357734e0,
    4.63033784615654529590e0,
    5.76949722146069140550e0,
    3.64784832476320460504e0,
    1.27045825245236838258e0,
    2.41780725177450611770e-1,
    2.27238449892691845833e-2,
    7.74545014278341407640e-4,
)
_D = (
    1.0,
    2.05319162663775882187e0,
    1.67638483018380384940e0,
    6.89767334985100004550e-1,
    1.48103976427480074590e-1,
    1.51986665636164571966e-2,
    5.47593808499534494600e-4,
    1.05075007164441684324e-9,
)
_E = (
    6.65790464350110377720e0,
    5.46378491116411436990e0,
    1.78482653991729133580e0,
    2.96560571828504891230e-1,
    2.65321895265761230930e-2,
    1.24266094738807843860e-3,
    2.71155556874348757815e-5,
    2.01033439929228813265e-7,
)
_F = (
    1.0,
    5.99832206555887937690e-1,
    1.36929880922735805310e-1,
    1.48753612908506148525e-2,
    7.86869131145613259100e-4,
    1.84631831751005468180e-5,
    1.42151175831644588870e-7,
    2.04426310338993978564e-15,
)


@njit(**INLINE_JIT)
def _poly8(c, x):
    return ((((((c[7] * x + c[6]) * x + c[5]) * x + c[4]) * x + c[3]) * x + c[2]) * x + c[1]) * x + c[0]


@njit(**INLINE_JIT)
def normal_quantile(p):
    """Standard normal quantile of p in (0, 1) (AS241)."""
    q = p - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        return q * _poly8(_A, r) / _poly8(_B, r)
    r = p if q < 0.0 else 1.0 - p
    r = np.sqrt(-np.log(r))
    if r <= 5.0:
        r -= 1.6
        z = _poly8(_C, r) / _poly8(_D, r)
    else:
        r -= 5.0
        z = _poly8(_E, r) / _poly8(_F, r)
    return -z if q < 0.0 else z


@njit(**INLINE_JIT)
def normal(key, index):
    """Standard normal draw for counter `index` (inverse transform of one uniform)."""
    return normal_quantile(uniform(key, index))


def _numpy_mix(z):
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def numpy_stream_key(seed: int, stream: int) -> np.uint64:
    """NumPy twin of `stream_key`."""
    with np.errstate(over="ignore"):
        first = _numpy_mix(np.array([seed], dtype=np.uint64) + _GOLDEN)
        return _numpy_mix(first + np.uint64(stream) * _GOLDEN)[0]


@njit(**JIT)
def _digest(words, tail):
    # Four lanes, each word folded in by a bijective mix, so that the lanes' chains run side by side.
    h0 = _mix(np.uint64(words.size) + _GOLDEN)
    h1, h2, h3 = _mix(h0 + _GOLDEN), _mix(h0 + _M1), _mix(h0 + _M2)
    n4 = words.size // 4 * 4
    for i in range(0, n4, 4):
        h0 = _mix(h0 ^ words[i])
        h1 = _mix(h1 ^ words[i + 1])
        h2 = _mix(h2 ^ words[i + 2])
        h3 = _mix(h3 ^ words[i + 3])
    for i in range(n4, words.size):
        h0 = _mix(h0 ^ words[i])
    h0 = _mix(h0 ^ tail)
    return _mix(h0 ^ _mix(h1 ^ _mix(h2 ^ _mix(h3)))), _mix(h3 ^ _mix(h2 ^ _mix(h1 ^ _mix(h0 + _GOLDEN))))


def digest(a: np.ndarray) -> bytes:
    """A 16-byte digest of the bytes of array `a` (C order; its shape and dtype are not included):
    SplitMix64's finalizer folded over the 64-bit words in four lanes, then the lanes combined
    twice. Not cryptographic: it keys results by their input (the crossbar's analog reads),
    where inputs are not chosen to collide, and a cryptographic hash of a large batch cost a
    noticeable share of the read (docs/results/benchmarks.md, "Server and kernel settings")."""
    if not isinstance(a, np.ndarray):
        raise ValueError(f"a must be a NumPy array, got {type(a).__name__}")
    raw = np.ascontiguousarray(a).reshape(-1).view(np.uint8)
    n = raw.size // 8 * 8
    tail = int.from_bytes(raw[n:].tobytes() + b"\x01", "little")  # the 1 marks where the tail ends
    lo, hi = _digest(raw[:n].view(np.uint64), np.uint64(tail))
    return int(lo).to_bytes(8, "little") + int(hi).to_bytes(8, "little")


def derive_seed(seed: int, purpose: str, index: int = 0) -> int:
    """The seed of one purpose's random stream, derived from a user seed: the one function that
    splits a seed into independent seeds (weights, inputs, programming, each read, calibration,
    training; `PURPOSES`).

    A SplitMix64 hash of ``(seed, purpose, index)`` folded to 63 bits, so the seeds of two
    purposes (or two reads) share no draws, and the same user seed gives the same seeds in
    every session and notebook. `index` numbers repeated uses of one purpose (read k); a key wider
    than 32 bits is chained through several calls, each result the next call's seed
    (`explorer.models.deployment.read_seed` keys a read by the 64 bits of its time).
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be an integer in [0, {MAX_SEED}], got {seed!r}")
    if purpose not in PURPOSES:
        raise ValueError(f"purpose must be one of {sorted(PURPOSES)}, got {purpose!r}")
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < 2**32:
        raise ValueError(f"index must be an integer in [0, 2**32), got {index!r}")
    golden = int(_GOLDEN)
    key = _int_mix((_int_mix((int(seed) + golden) & _MASK64) + (1000 + PURPOSES[purpose]) * golden) & _MASK64)
    return _int_mix((key + int(index) * golden) & _MASK64) >> 1


_MASK64 = 2**64 - 1


def _int_mix(z):
    """`_mix` on a Python int (the same SplitMix64 finalizer, 64-bit wrap-around)."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def numpy_uniform(key: np.uint64, index: np.ndarray) -> np.ndarray:
    """NumPy twin of `uniform` for an array of counters."""
    index = np.asarray(index, dtype=np.uint64)
    with np.errstate(over="ignore"):
        bits = _numpy_mix(np.uint64(key) + index * _GOLDEN)
    return ((bits >> _S11).astype(np.float64) + 0.5) * _INV53


def numpy_normal_quantile(p: np.ndarray) -> np.ndarray:
    """NumPy twin of `normal_quantile`."""
    p = np.asarray(p, dtype=np.float64)
    q = p - 0.5
    out = np.empty_like(p)
    central = np.abs(q) <= 0.425
    r = 0.180625 - q[central] ** 2
    out[central] = q[central] * np.polyval(_A[::-1], r) / np.polyval(_B[::-1], r)
    tail = ~central
    r = np.where(q[tail] < 0.0, p[tail], 1.0 - p[tail])
    r = np.sqrt(-np.log(r))
    z = np.where(
        r <= 5.0,
        np.polyval(_C[::-1], r - 1.6) / np.polyval(_D[::-1], r - 1.6),
        np.polyval(_E[::-1], r - 5.0) / np.polyval(_F[::-1], r - 5.0),
    )
    out[tail] = np.where(q[tail] < 0.0, -z, z)
    return out


def numpy_normal(seed: int, stream: int, n: int) -> np.ndarray:
    """NumPy twin of `normal` for counters 0..n-1 of one stream."""
    key = numpy_stream_key(seed, stream)
    return numpy_normal_quantile(numpy_uniform(key, np.arange(n, dtype=np.uint64)))


# A fast normal for the crossbar's one draw per output and read: the AS241
# quantile tabulated at 2^14 + 1 points and interpolated linearly on 24-bit
# uniforms; the 16 cells at each end (|z| > 2.9, 0.2 % of draws) use AS241
# itself. Largest error about 1.3e-4 sigma near |z| = 2.9 and below 1e-5 sigma for
# |z| < 2.5; a table lookup instead of a rational function or logarithm makes
# it about five times cheaper than `normal`.
_TABLE_BITS = 14
_FRAC_BITS = 24 - _TABLE_BITS
_TABLE_N = 1 << _TABLE_BITS
_QUANTILE_TABLE = np.empty(_TABLE_N + 1)
_QUANTILE_TABLE[1:-1] = numpy_normal_quantile(np.arange(1, _TABLE_N) / _TABLE_N)
_QUANTILE_TABLE[0] = _QUANTILE_TABLE[-1] = 0.0  # never used: the end cells are exact
_EXACT_CELLS = 16
_S40 = np.uint64(40)
_FRAC_MASK = np.uint64((1 << _FRAC_BITS) - 1)
_INV_FRAC = 1.0 / (1 << _FRAC_BITS)
_INV24 = 1.0 / (1 << 24)


@njit(**INLINE_JIT)
def fast_normal_from_bits(u):
    """Standard normal from a 24-bit integer `u` (uniform on [0, 2^24)), by table (see above)."""
    cell = np.int64(u >> np.uint64(_FRAC_BITS))
    if cell < _EXACT_CELLS or cell >= _TABLE_N - _EXACT_CELLS:
        return normal_quantile((np.float64(u) + 0.5) * _INV24)
    frac = (np.float64(u & _FRAC_MASK) + 0.5) * _INV_FRAC
    lo = _QUANTILE_TABLE[cell]
    return lo + frac * (_QUANTILE_TABLE[cell + 1] - lo)


@njit(**INLINE_JIT)
def fast_normal(key, index):
    """Standard normal draw for counter `index` (tabulated quantile of a 24-bit uniform)."""
    return fast_normal_from_bits(_mix(key + np.uint64(index) * _GOLDEN) >> _S40)


def numpy_fast_normal(key: np.uint64, index: np.ndarray) -> np.ndarray:
    """NumPy twin of `fast_normal` for an array of counters."""
    index = np.asarray(index, dtype=np.uint64)
    with np.errstate(over="ignore"):
        u = _numpy_mix(np.uint64(key) + index * _GOLDEN) >> _S40
    cell = (u >> np.uint64(_FRAC_BITS)).astype(np.int64)
    frac = ((u & _FRAC_MASK).astype(np.float64) + 0.5) * _INV_FRAC
    inner = np.clip(cell, _EXACT_CELLS, _TABLE_N - _EXACT_CELLS - 1)
    lo = _QUANTILE_TABLE[inner]
    z = lo + frac * (_QUANTILE_TABLE[inner + 1] - lo)
    ends = (cell < _EXACT_CELLS) | (cell >= _TABLE_N - _EXACT_CELLS)
    z[ends] = numpy_normal_quantile((u[ends].astype(np.float64) + 0.5) * _INV24)
    return z


# A float32 normal for loops that LLVM vectorizes (the device kernels): no table, no branch and no
# call into the C library, so eight draws go through each AVX2 instruction. The inverse normal
# distribution function of a 32-bit uniform ``U = (b + 0.5) 2^-32`` (b the top 32 bits of the hash)
# is ``Q(U) = sqrt(2) erfinv(x)`` with ``x = 2U - 1``, written with ``w = -ln(1 - x^2)`` as
# ``sqrt(2) x P(w)``: M. Giles, "Approximating the erfinv function", GPU Computing Gems Jade
# Edition (2011), single-precision version: P is a polynomial in ``w - 2.5`` for w < 5
# (|z| < 2.9, 99.6 % of draws) and in ``sqrt(w) - 3`` beyond. Both are evaluated and one is
# selected. The tail polynomial here is refitted (weighted least squares against AS241) to
# cover the whole range of the 32-bit uniforms, w up to 22 (|z| up to 6.2; Giles fitted
# single-precision x, |z| < 5.5). ``1 - x^2`` is formed as ``2p (1 + |x|)`` from the smaller
# tail probability p = min(U, 1 - U), both computed from the integer, so the tails keep their
# relative precision. Largest error against AS241 about 2e-6 at |z| = 6 (relative about 3e-7).
_ERFINV_CENTRAL = tuple(
    np.float32(c)
    for c in (
        1.50140941,
        0.246640727,
        -0.00417768164,
        -0.00125372503,
        0.00021858087,
        -4.39150654e-06,
        -3.5233877e-06,
        3.43273939e-07,
        2.81022636e-08,
    )
)
_ERFINV_TAIL = tuple(
    np.float32(c)
    for c in (
        2.832977358552428,
        1.0016817508981524,
        0.009427056530778228,
        -0.0077127860413157764,
        0.005813640951834448,
        -0.003407980146958905,
        0.001148638317066318,
        -0.00012806950850061116,
        -1.4588193389240038e-05,
    )
)
_S32 = np.uint64(32)
_TOP_BIT = np.uint64(1 << 31)
_LOW31 = np.uint64((1 << 31) - 1)
_F32_HALF = np.float32(0.5)
_F32_ONE = np.float32(1.0)
_F32_W_SPLIT = np.float32(5.0)
_F32_W_MID = np.float32(2.5)
_F32_THREE = np.float32(3.0)
_F32_SQRT2 = np.float32(np.sqrt(2.0))
_F32_INV32 = np.float32(2.0**-32)
_F32_INV31 = np.float32(2.0**-31)


@njit(**INLINE_JIT)
def _poly9_f32(c, x):
    return (((((((c[8] * x + c[7]) * x + c[6]) * x + c[5]) * x + c[4]) * x + c[3]) * x + c[2]) * x + c[1]) * x + c[0]


@njit(**INLINE_JIT)
def normal_f32_from_bits(bits):
    """Standard normal (float32) from the top 32 bits of uint64 `bits`: the quantile of
    ``U = (bits >> 32 + 0.5) 2^-32`` (see above)."""
    top = bits >> _S32
    upper = top >= _TOP_BIT
    low = top & _LOW31
    h = (low ^ _LOW31) if upper else low  # p = (h + 0.5) 2^-32 = min(U, 1 - U)
    p = (np.float32(np.int32(h)) + _F32_HALF) * _F32_INV32
    x = (np.float32(np.int32(_LOW31 - h)) + _F32_HALF) * _F32_INV31  # |2U - 1| = 1 - 2p, from the integer
    w = -log32((p + p) * (_F32_ONE + x))
    central = _poly9_f32(_ERFINV_CENTRAL, w - _F32_W_MID)
    tail = _poly9_f32(_ERFINV_TAIL, sqrt32(w) - _F32_THREE)
    z = _F32_SQRT2 * x * (central if w < _F32_W_SPLIT else tail)
    return z if upper else -z


@njit(**INLINE_JIT)
def normal_f32(key, index):
    """Standard normal draw (float32) for counter `index`; branch-free, for vectorized loops."""
    return normal_f32_from_bits(_mix(key + np.uint64(index) * _GOLDEN))


def numpy_normal_f32_uniform(key: np.uint64, index: np.ndarray) -> np.ndarray:
    """The 32-bit uniforms ``U`` behind `normal_f32` for an array of counters (float64)."""
    index = np.asarray(index, dtype=np.uint64)
    with np.errstate(over="ignore"):
        bits = _numpy_mix(np.uint64(key) + index * _GOLDEN)
    return ((bits >> _S32).astype(np.float64) + 0.5) * 2.0**-32


def numpy_normal_f32(seed: int, stream: int, n: int) -> np.ndarray:
    """Reference for `normal_f32` at counters 0..n-1 of one stream: the exact (AS241, float64)
    quantiles of the same uniforms, which `normal_f32` matches to about 2e-6."""
    key = numpy_stream_key(seed, stream)
    return numpy_normal_quantile(numpy_normal_f32_uniform(key, np.arange(n, dtype=np.uint64)))
