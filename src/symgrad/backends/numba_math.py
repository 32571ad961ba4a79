"""Elementary functions that Numba loops can vectorize.

Numba compiles ``math.sin`` and friends to calls into the C library, one element at a time:
a loop that calls them cannot use SIMD instructions. The functions here are written as
straight-line arithmetic (range reduction, a polynomial, selects for the special cases),
which LLVM inlines into the calling loop and vectorizes across loop iterations.

Use them inside ``numba.njit`` code; they also work from Python on scalars:

>>> from symgrad.backends import numba_math as vm
>>> round(float(vm.sin(0.5)), 12), round(float(vm.exp(1.0)), 12)
(0.479425538604, 2.718281828459)

Accuracy (measured by ``tests/test_numba_math.py`` against a 60-digit reference and NumPy):
float64 results are within 2 ulp of the exact value, float32 results within 1 ulp.
Special values follow NumPy: nan in gives nan, ``exp(-inf) == 0``, ``log(0) == -inf``,
``log(-1)`` is nan, signed zeros are kept, overflow gives inf, underflow gives
subnormals and then zero. No function raises.

One limit: ``sin``, ``cos`` and ``tan`` reduce their argument with a three-part pi/2,
which is exact for ``abs(x) < TRIG_LIMIT`` (2**40, about 1.1e12). Beyond it they return nan,
and ``trig_outside(x)`` is True. A loop that may see such arguments counts
``trig_outside`` over a block and, when the count is not zero, computes that block again
with ``math.sin``/``math.cos`` (correct for every argument, one element at a time). A
fallback to ``math.sin`` inside the function itself would be evaluated on every element,
because LLVM turns the branch into a select: that costs more than the fast path saves.

Compile flags: these functions are compiled without fast-math flags. Their range
reductions rely on exact rounding (``fma``, two-sum), which ``reassoc`` would let LLVM
simplify away. LLVM keeps flags per instruction, so a calling loop may use
``fastmath={"reassoc", "contract"}`` (needed to vectorize sums) without affecting them.
Do not inline them at the Numba level (``inline="always"``): that would apply the caller's
flags to their arithmetic. LLVM inlines them anyway.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic, overload

__all__ = [
    "TRIG_LIMIT",
    "cos",
    "exp",
    "expm1",
    "log",
    "log1p",
    "sigmoid",
    "sin",
    "tan",
    "tanh",
    "trig_outside",
]

# Set explicitly so that these functions never take a calling loop's flags (Numba passes
# ``fastmath`` on to the functions a function calls, unless they set their own).
_jit = njit(fastmath=False, error_model="numpy")

# --- LLVM operations Numba does not expose --------------------------------------------------


def _intrinsic(defn: Callable[..., object]) -> Callable[..., Any]:
    """``numba.extending.intrinsic``, typed as called from jitted code: without the typing
    context (Numba's stub types the call from Python, which always raises)."""
    return intrinsic(defn)


@_intrinsic
def _fma(typingctx, a, b, c):
    """a * b + c with one rounding (``llvm.fma``, an FMA instruction on x86-64)."""
    if not (isinstance(a, types.Float) and a == b == c):
        return None

    def codegen(context, builder, signature, args):
        return builder.fma(*args)

    return a(a, a, a), codegen


@_intrinsic
def _rint(typingctx, x):
    """x rounded to the nearest integer, ties to even (``llvm.rint``)."""
    if not isinstance(x, types.Float):
        return None

    def codegen(context, builder, signature, args):
        fnty = ir.FunctionType(args[0].type, [args[0].type])
        fn = builder.module.declare_intrinsic("llvm.rint", [args[0].type], fnty)
        return builder.call(fn, args)

    return x(x), codegen


@_intrinsic
def _bits(typingctx, x):
    """The IEEE bits of a float64 as an int64."""
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(x), codegen


@_intrinsic
def _from_bits(typingctx, i):
    """The float64 whose IEEE bits are the int64 ``i``."""
    if i != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(i), codegen


# --- constants --------------------------------------------------------------------------------
# Polynomial coefficients: near-minimax fits (Chebyshev interpolation at 60 digits, rounded
# to float64) made by benchmarks/fit_numba_math.py.

TRIG_LIMIT = 2.0**40
_TWO_OVER_PI = 0.6366197723675814
# pi/2 as an unevaluated sum of three doubles (about 160 bits).
_PIO2_1 = 1.5707963267948966
_PIO2_2 = 6.123233995736766e-17
_PIO2_3 = -1.4973849048591698e-33
# sin(r) = r + r*s*P(s), s = r*r, |r| <= pi/4
_S0, _S1, _S2, _S3 = (
    -0.16666666666666666,
    0.008333333333333331,
    -0.00019841269841265065,
    2.7557319219339167e-06,
)
_S4, _S5, _S6 = -2.5052106232447578e-08, 1.6058531618986147e-10, -7.586697117706918e-13
# cos(r) = 1 - s/2 + s*s*Q(s)
_C0, _C1, _C2 = 0.041666666666666664, -0.0013888888888887398, 2.480158729876569e-05
_C3, _C4, _C5 = -2.7557317271729793e-07, 2.08761462684032e-09, -1.1382632425521717e-11
# exp(r) = 1 + r + r*r*E(r), |r| <= ln(2)/2
_E0, _E1, _E2, _E3 = 0.5, 0.1666666666666667, 0.04166666666666667, 0.008333333333326141
_E4, _E5, _E6 = 0.0013888888888883752, 0.00019841269874800493, 2.4801587325533363e-05
_E7, _E8, _E9 = 2.7557255425746435e-06, 2.7557273661348637e-07, 2.510520637395701e-08
_E10 = 2.0914679376583935e-09
_LOG2E = 1.4426950408889634
# ln 2 as a sum: the high part in full (exact in an fma against integers up to 2**11)...
_LN2_HI = 0.6931471805599453
_LN2_LO = 2.3190468138462996e-17
# ...and with 11 trailing zero bits, so that e * _LN2_HI42 is exact for |e| < 2**11.
_LN2_HI42 = 0.6931471805598903
_LN2_LO42 = 5.497923018708371e-14
# log(1 + f) = 2 atanh(s) = 2 s + s*z*L(z), s = f / (2 + f), z = s*s
_L0, _L1, _L2, _L3 = (
    0.6666666666666666,
    0.4000000000000088,
    0.28571428570803614,
    0.22222222391713917,
)
_L4, _L5, _L6, _L7 = (
    0.18181795640132906,
    0.15386239702814658,
    0.13268773138656886,
    0.13086626147840102,
)
_SQRT2 = 1.4142135623730951
_TINY_NORMAL = 2.2250738585072014e-308
_MANTISSA = 0x000FFFFFFFFFFFFF
_ONE_BITS = 0x3FF0000000000000


# --- float64 kernels --------------------------------------------------------------------------


@_jit
def _pow2(n):
    """2.0**n for an int64 n in [-1022, 1023]."""
    return _from_bits((n + 1023) << 52)


@_jit
def _reduce_pio2(x):
    """x = n * pi/2 + (hi + lo), |hi + lo| <= pi/4 (slightly more), for |x| < TRIG_LIMIT.

    Returns (hi, lo, n mod 4). The first step is exact (x and n * _PIO2_1 share a grid of
    2**-53 and the difference is below 1); the second keeps its rounding error (two-sum and
    the fma product error) in ``lo``, so hi + lo is good to ~2**-110 absolute even when x
    is within 2**-60 of a multiple of pi/2.
    """
    n = _rint(x * _TWO_OVER_PI)
    t = _fma(-n, _PIO2_1, x)
    p = n * _PIO2_2
    p_err = _fma(n, _PIO2_2, -p)
    r = t - p
    back = r - t
    r_err = (t - (r - back)) - (p + back)
    lo = (r_err - p_err) - n * _PIO2_3
    hi = r + lo
    lo = lo - (hi - r)
    return hi, lo, np.int64(n) & 3


@_jit
def _sin_poly(hi, lo, s):
    """sin(hi + lo) for |hi| <= pi/4, s = hi*hi."""
    p = _fma(_fma(_fma(_fma(_fma(_fma(_S6, s, _S5), s, _S4), s, _S3), s, _S2), s, _S1), s, _S0)
    return hi + _fma(hi * s, p, lo - 0.5 * s * lo)


@_jit
def _cos_poly(hi, lo, s):
    """cos(hi + lo) for |hi| <= pi/4, s = hi*hi."""
    q = _fma(_fma(_fma(_fma(_fma(_C5, s, _C4), s, _C3), s, _C2), s, _C1), s, _C0)
    half = 0.5 * s
    w = 1.0 - half
    return w + (((1.0 - w) - half) + _fma(s * s, q, -hi * lo))


@_jit
def _trig_arg(x):
    """The argument actually reduced: x itself inside the fast range, 0 otherwise."""
    return x if abs(x) < TRIG_LIMIT else 0.0


@_jit
def _sin64(x):
    hi, lo, q = _reduce_pio2(_trig_arg(x))
    s = hi * hi
    sn = _sin_poly(hi, lo, s)
    cs = _cos_poly(hi, lo, s)
    v = sn if (q & 1) == 0 else cs
    v = -v if q >= 2 else v
    v = v if abs(x) < TRIG_LIMIT else math.nan
    return x if x == 0.0 else v  # keeps the sign of zero


@_jit
def _cos64(x):
    hi, lo, q = _reduce_pio2(_trig_arg(x))
    s = hi * hi
    sn = _sin_poly(hi, lo, s)
    cs = _cos_poly(hi, lo, s)
    v = cs if (q & 1) == 0 else sn
    v = -v if (q == 1 or q == 2) else v
    return v if abs(x) < TRIG_LIMIT else math.nan


@_jit
def _tan64(x):
    hi, lo, q = _reduce_pio2(_trig_arg(x))
    s = hi * hi
    sn = _sin_poly(hi, lo, s)
    cs = _cos_poly(hi, lo, s)
    v = sn / cs if (q & 1) == 0 else -cs / sn
    v = v if abs(x) < TRIG_LIMIT else math.nan
    return x if x == 0.0 else v


@_jit
def _trig_outside(x):
    a = abs(x)
    return a >= TRIG_LIMIT and a < math.inf


@_jit
def _expm1_reduced(x):
    """(r, tail, n) with expm1(x - n ln2) = r + tail, |r| <= ln2/2 (|x| < 2**10).

    ``tail`` (r*r*E(r)) is kept apart so that callers add it after scaling.
    """
    n = _rint(x * _LOG2E)
    r = _fma(-n, _LN2_HI, x)  # exact: see _reduce_pio2
    r = _fma(-n, _LN2_LO, r)
    e = _fma(_fma(_fma(_fma(_fma(_E10, r, _E9), r, _E8), r, _E7), r, _E6), r, _E5)
    e = _fma(_fma(_fma(_fma(_fma(e, r, _E4), r, _E3), r, _E2), r, _E1), r, _E0)
    return r, r * r * e, np.int64(n)


@_jit
def _exp64(x):
    xc = min(max(x, -746.0), 710.0)  # beyond these exp is 0 or inf; keeps n in range
    r, tail, n = _expm1_reduced(xc)
    half = n >> 1
    v = ((1.0 + (r + tail)) * _pow2(half)) * _pow2(n - half)  # two steps: subnormals round once
    return x if x != x else v


@_jit
def _expm1_64(x):
    xc = min(max(x, -60.0), 710.0)  # below -60 the result is -1.0
    r, tail, n = _expm1_reduced(xc)
    scale = _pow2(min(n, 60))
    near = _fma(scale, tail, _fma(scale, r, scale - 1.0))  # 2**n (1 + r + tail) - 1
    half = n >> 1
    far = ((1.0 + (r + tail)) * _pow2(half)) * _pow2(n - half)  # -1 is below half an ulp
    v = near if n <= 53 else far
    return x if (x == 0.0 or x != x) else v


@_jit
def _log64(x):
    small = x < _TINY_NORMAL
    xs = x * 18014398509481984.0 if small else x  # 2**54: subnormals become normal
    bits = _bits(xs)
    e = ((bits >> 52) & 0x7FF) - 1023 - (54 if small else 0)
    m = _from_bits((bits & _MANTISSA) | _ONE_BITS)  # in [1, 2)
    high = m > _SQRT2
    m = 0.5 * m if high else m  # in (sqrt(2)/2, sqrt(2)]
    ef = np.float64(e + 1 if high else e)
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    poly = _fma(
        _fma(_fma(_fma(_fma(_fma(_fma(_L7, z, _L6), z, _L5), z, _L4), z, _L3), z, _L2), z, _L1),
        z,
        _L0,
    )
    half_f2 = 0.5 * f * f
    v = ef * _LN2_HI42 + (f - (half_f2 - _fma(s, half_f2 + z * poly, ef * _LN2_LO42)))
    v = v if x < math.inf else x  # inf and nan
    v = -math.inf if x == 0.0 else v
    return math.nan if x < 0.0 else v


@_jit
def _log1p64(x):
    u = 1.0 + x
    # u rounds 1 + x; the rounding error, divided by u, corrects log(u) to log(1 + x).
    fix = (x - (u - 1.0)) / u if (u > 0.0 and u < math.inf) else 0.0
    v = _log64(u) + fix
    return x if x == 0.0 else v


@_jit
def _tanh64(x):
    a = abs(x)
    e = _expm1_64(2.0 * min(a, 20.0))  # tanh(20) rounds to 1
    # e / (e + 2) loses accuracy to e's error for large a, 1 - 2 / (e + 2) for small a.
    v = e / (e + 2.0) if a < 0.55 else 1.0 - 2.0 / (e + 2.0)
    return math.copysign(v, x)


@_jit
def _sigmoid64(x):
    e = _exp64(-abs(x))  # never overflows
    r = 1.0 / (1.0 + e)
    return r if x >= 0.0 else e * r


# --- the public, type-dispatching functions -------------------------------------------------


def _public(name: str, impl64, doc: str):
    """A function that Numba code calls on float64, float32 or integer scalars (integers as
    float64, like NumPy); float32 is computed in float64 and rounded, so it stays float32
    and is within 1 ulp."""

    impl32 = _jit(lambda x: np.float32(impl64(np.float64(x))))

    def function(x: float | np.floating) -> float | np.floating:
        if isinstance(x, np.float32):
            return np.float32(impl32(x))
        return impl64(float(x))

    @overload(function, jit_options={"fastmath": False, "error_model": "numpy"})
    def _typed(x):
        if x == types.float32:
            return lambda x: impl32(x)
        if isinstance(x, (types.Float, types.Integer)):
            return lambda x: impl64(np.float64(x))
        return None

    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    return function


sin = _public("sin", _sin64, "sin(x); nan for finite abs(x) >= TRIG_LIMIT (see module doc).")
cos = _public("cos", _cos64, "cos(x); nan for finite abs(x) >= TRIG_LIMIT (see module doc).")
tan = _public("tan", _tan64, "tan(x); nan for finite abs(x) >= TRIG_LIMIT (see module doc).")
exp = _public("exp", _exp64, "exp(x).")
expm1 = _public("expm1", _expm1_64, "exp(x) - 1, accurate for small x.")
log = _public("log", _log64, "Natural logarithm; nan below 0, -inf at 0.")
log1p = _public("log1p", _log1p64, "log(1 + x), accurate for small x.")
tanh = _public("tanh", _tanh64, "Hyperbolic tangent.")
sigmoid = _public("sigmoid", _sigmoid64, "1 / (1 + exp(-x)), without overflow for any x.")


def _trig_outside_any(x: float | np.floating) -> bool:
    return bool(_trig_outside(float(x)))


@overload(_trig_outside_any, jit_options={"fastmath": False, "error_model": "numpy"})
def _trig_outside_typed(x):
    if isinstance(x, (types.Float, types.Integer)):
        return lambda x: _trig_outside(np.float64(x))
    return None


trig_outside = _trig_outside_any
trig_outside.__name__ = trig_outside.__qualname__ = "trig_outside"
trig_outside.__doc__ = (
    "True where sin/cos/tan of x needs the exact path: x finite and abs(x) >= TRIG_LIMIT."
)
