"""Single-precision logarithm and exponential written out so that LLVM can vectorize loops over them.

Numba compiles ``np.log`` and ``np.exp`` to calls into the C library; without Intel's SVML
(not available with PyPI's llvmlite) LLVM cannot turn such a call into packed instructions, and
a loop that calls one runs one element at a time. `log32` and `exp32` are the single-precision
Cephes routines (S. L. Moshier, Cephes Math Library, ``logf.c`` and ``expf.c``): a few
multiplications and additions, the exponent handled by reinterpreting the float's bits, and no
branch, so LLVM vectorizes a loop over them. Relative error below 2e-7 for `log32` and 5e-7 for
`exp32` (a few float32 roundings; the kernels' fastmath flags let LLVM merge Cody and Waite's
two-part ln 2); tests/test_fmath.py checks both against NumPy's float64 functions.

`log32` needs a positive, finite, normal argument (its callers clamp first); `exp32` clamps its
argument to [-87, 88] (results from 1.6e-38 to 1.7e38, no infinity).
"""

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from ._jit import INLINE_JIT

F32 = np.float32


@intrinsic
def float32_bits(typingctx, x):
    """The bits of float32 `x` as an int32 (a reinterpretation, no conversion)."""
    if not isinstance(x, types.Float) or x.bitwidth != 32:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(32))

    return types.int32(types.float32), codegen


@intrinsic
def bits_float32(typingctx, n):
    """The float32 whose bits are the low 32 bits of integer `n` (a reinterpretation, no conversion)."""
    if not isinstance(n, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        low = args[0] if n.bitwidth == 32 else builder.trunc(args[0], ir.IntType(32))
        return builder.bitcast(low, ir.FloatType())

    return types.float32(n), codegen


@intrinsic
def sqrt32(typingctx, x):
    """Square root of float32 `x` as LLVM's ``llvm.sqrt.f32`` (one packed instruction in a
    vectorized loop; Numba's ``np.sqrt`` calls the C library's ``sqrtf``, which a loop
    vectorizer may keep as one call per element)."""
    if not isinstance(x, types.Float) or x.bitwidth != 32:
        return None

    def codegen(context, builder, signature, args):
        fn = builder.module.declare_intrinsic("llvm.sqrt", [ir.FloatType()])
        return builder.call(fn, [args[0]])

    return types.float32(types.float32), codegen


_SQRT_HALF = F32(0.70710677)
_LN2_HI = F32(0.693359375)  # ln 2 split in two (Cody and Waite): exact high part ...
_LN2_LO = F32(-2.12194440e-4)  # ... and the rest
_LOG2E = F32(1.44269504088896341)
_LOGF = tuple(
    F32(c)
    for c in (
        3.3333331174e-1,
        -2.4999993993e-1,
        2.0000714765e-1,
        -1.6668057665e-1,
        1.4249322787e-1,
        -1.2420140846e-1,
        1.1676998740e-1,
        -1.1514610310e-1,
        7.0376836292e-2,
    )
)
_EXPF = tuple(
    F32(c)
    for c in (5.0000001201e-1, 1.6666665459e-1, 4.1665795894e-2, 8.3334519073e-3, 1.3981999507e-3, 1.9875691500e-4)
)
_MANT_MASK = np.int32(0x007FFFFF)
_HALF_BITS = np.int32(0x3F000000)  # exponent field of 0.5
_ONE = F32(1.0)
_HALF = F32(0.5)
_EXP_LO = F32(-87.0)
_EXP_HI = F32(88.0)


@njit(**INLINE_JIT)
def log32(x):
    """Natural logarithm of float32 `x` > 0 (normal numbers), as float32 (Cephes ``logf``)."""
    bits = float32_bits(x)
    e = (bits >> np.int32(23)) - np.int32(126)  # x = m 2^e with m in [0.5, 1)
    m = bits_float32((bits & _MANT_MASK) | _HALF_BITS)
    low = m < _SQRT_HALF  # fold m into [sqrt(1/2), sqrt(2)): m -> 2m, e -> e - 1
    fe = F32(e) - (_ONE if low else F32(0.0))
    f = (m + m if low else m) - _ONE
    z = f * f
    c = _LOGF
    y = (
        ((((((((c[8] * f + c[7]) * f + c[6]) * f + c[5]) * f + c[4]) * f + c[3]) * f + c[2]) * f + c[1]) * f + c[0])
        * f
        * z
    )
    y = y + _LN2_LO * fe - _HALF * z
    return f + y + _LN2_HI * fe


@njit(**INLINE_JIT)
def exp32(x):
    """Exponential of float32 `x`, clamped to [-87, 88], as float32 (Cephes ``expf``)."""
    x = min(max(x, _EXP_LO), _EXP_HI)
    n = np.floor(x * _LOG2E + _HALF)
    r = x - n * _LN2_HI - n * _LN2_LO
    c = _EXPF
    y = (((((c[5] * r + c[4]) * r + c[3]) * r + c[2]) * r + c[1]) * r + c[0]) * r * r + r + _ONE
    return y * bits_float32((np.int32(n) + np.int32(127)) << np.int32(23))
