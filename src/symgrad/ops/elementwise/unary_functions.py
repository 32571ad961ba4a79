"""The unary elementwise ops, one table row each (see ``table.py`` for the fields).

Each derivative is the chain rule ``g * dy/dx`` in terms of the incoming cotangent or
tangent ``g``, the input ``x`` and the output ``y``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ...core.expr import Expr
from ...core.lazy import lazy_module
from .. import shape_ops
from ..leaves import as_expr
from .table import SympyFunction, UnaryFunction, in_float, in_real_float, same, same_number, unary

if TYPE_CHECKING:
    import sympy
else:
    sympy = lazy_module("sympy")

# The public functions (symgrad exports them as sg.<name>).
__all__ = [
    "negative",
    "square",
    "sqrt",
    "abs",
    "sign",
    "exp",
    "exp2",
    "expm1",
    "log",
    "log2",
    "log10",
    "log1p",
    "sin",
    "cos",
    "tan",
    "arcsin",
    "arccos",
    "arctan",
    "sinh",
    "cosh",
    "tanh",
    "arcsinh",
    "arccosh",
    "arctanh",
    "deg2rad",
    "rad2deg",
    "radians",
    "degrees",
    "fabs",
    "reciprocal",
    "nan_to_num",
    "isnan",
    "isinf",
    "isfinite",
    "sigmoid",
    "relu",
    "softplus",
    "floor",
    "ceil",
    "round",
    "stop_gradient",
    "detach",
]

# --- arithmetic -----------------------------------------------------------------------------

negative = unary(
    "negative",
    "``-x``.",
    numpy=np.negative,
    written="-{0}",
    float_form="-{0}",
    sympy=lambda x: -x,
    derivative=lambda g, x, y: -g,
    keeps_zero_cotangents=True,
)
square = unary(
    "square",
    "``x * x``.",
    numpy=np.square,
    float_form="{0} * {0}",
    sympy=lambda x: x**2,
    derivative=lambda g, x, y: g * (2 * x),
)
sqrt = unary(
    "sqrt",
    "Elementwise square root.",
    numpy=np.sqrt,
    float_form="math.sqrt({0})",
    sympy="sqrt",
    derivative=lambda g, x, y: g * (0.5 / y),
)
abs = unary(
    "abs",
    "Elementwise absolute value; its derivative at 0 is 0.",
    numpy=np.abs,
    float_form="abs({0})",
    sympy="Abs",
    derivative=lambda g, x, y: _abs_tangent(g, x, y),
    reverse=lambda g, x, y: g * _conj_sign(x, y),
)


def _conj_sign(x: Expr, y: Expr) -> Expr:
    """``conj(z) / |z|`` (0 at 0), given ``y = |z|``: for reals the sign, for complex ``z``
    the cotangent ``dL/dx - i dL/dy`` of ``|z|`` (docs/numpy.md). Written as a quotient,
    not with ``sign``, whose derivative is taken as 0: for complex ``z`` it varies, and
    second derivatives need how."""
    if x.dtype.kind != "c":
        return sign(x)
    from .complex_parts import conj
    from .selection import where

    zero = y == 0
    return where(zero, 0, conj(x) / where(zero, 1, y))


def _abs_tangent(g: Expr, x: Expr, y: Expr) -> Expr:
    """d|z| = real(conj(z) dz) / |z|; ``g * sign(x)`` for reals."""
    if x.dtype.kind != "c":
        return g * sign(x)
    from .complex_parts import real

    return real(g * _conj_sign(x, y))


fabs = unary(
    "fabs",
    "Absolute value as a float (``np.fabs``: integers become floats); its derivative at 0 is 0.",
    numpy=np.fabs,
    float_form="math.fabs({0})",
    sympy=lambda x: sympy.Abs(x),
    derivative=lambda g, x, y: g * sign(x),
)
reciprocal = unary(
    "reciprocal",
    "``1 / x`` (``np.reciprocal``; integer division for integer arrays, as in NumPy).",
    numpy=np.reciprocal,
    float_form="1.0 / {0}",
    sympy=lambda x: 1 / x,
    derivative=lambda g, x, y: g * -(y * y),
)
sign: UnaryFunction = unary(
    "sign",
    "-1, 0 or 1 by the sign of ``x``; its derivative is 0.",
    numpy=np.sign,
    sympy="sign",
    derivative=None,
)

# --- exponentials and logarithms ------------------------------------------------------------

exp = unary(
    "exp",
    "Elementwise exponential.",
    numpy=np.exp,
    float_form="math.exp({0})",
    sympy="exp",
    derivative=lambda g, x, y: g * y,
)
exp2 = unary(
    "exp2",
    "``2 ** x``.",
    numpy=np.exp2,
    sympy=lambda x: 2**x,
    derivative=lambda g, x, y: g * (y * float(np.log(2.0))),
)
expm1 = unary(
    "expm1",
    "``exp(x) - 1``, accurate for small ``x``.",
    numpy=np.expm1,
    float_form="math.expm1({0})",
    sympy=lambda x: sympy.exp(x) - 1,
    derivative=lambda g, x, y: g * (y + 1),
)
log = unary(
    "log",
    "Elementwise natural logarithm.",
    numpy=np.log,
    float_form="math.log({0})",
    sympy="log",
    derivative=lambda g, x, y: g / x,
)
log2 = unary(
    "log2",
    "Base-2 logarithm.",
    numpy=np.log2,
    float_form="math.log2({0})",
    sympy=lambda x: sympy.log(x, 2),
    derivative=lambda g, x, y: g * (1 / (x * float(np.log(2.0)))),
)
log10 = unary(
    "log10",
    "Base-10 logarithm.",
    numpy=np.log10,
    float_form="math.log10({0})",
    sympy=lambda x: sympy.log(x, 10),
    derivative=lambda g, x, y: g * (1 / (x * float(np.log(10.0)))),
)
log1p = unary(
    "log1p",
    "``log(1 + x)``, accurate for small ``x``.",
    numpy=np.log1p,
    float_form="math.log1p({0})",
    sympy=lambda x: sympy.log(1 + x),
    derivative=lambda g, x, y: g * (1 / (1 + x)),
)

# --- trigonometric and hyperbolic -----------------------------------------------------------

sin = unary(
    "sin",
    "Elementwise sine.",
    numpy=np.sin,
    float_form="math.sin({0})",
    sympy="sin",
    derivative=lambda g, x, y: g * cos(x),
)
cos: UnaryFunction = unary(
    "cos",
    "Elementwise cosine.",
    numpy=np.cos,
    float_form="math.cos({0})",
    sympy="cos",
    derivative=lambda g, x, y: g * -sin(x),
)
tan = unary(
    "tan",
    "Elementwise tangent.",
    numpy=np.tan,
    float_form="math.tan({0})",
    sympy="tan",
    derivative=lambda g, x, y: g * (1 + y * y),
)
arcsin = unary(
    "arcsin",
    "Elementwise inverse sine.",
    numpy=np.arcsin,
    float_form="math.asin({0})",
    sympy="asin",
    derivative=lambda g, x, y: g * (1 / sqrt(1 - x * x)),
)
arccos = unary(
    "arccos",
    "Elementwise inverse cosine.",
    numpy=np.arccos,
    float_form="math.acos({0})",
    sympy="acos",
    derivative=lambda g, x, y: g * (-1 / sqrt(1 - x * x)),
)
arctan = unary(
    "arctan",
    "Elementwise inverse tangent.",
    numpy=np.arctan,
    float_form="math.atan({0})",
    sympy="atan",
    derivative=lambda g, x, y: g * (1 / (1 + x * x)),
)
sinh = unary(
    "sinh",
    "Elementwise hyperbolic sine.",
    numpy=np.sinh,
    float_form="math.sinh({0})",
    sympy="sinh",
    derivative=lambda g, x, y: g * cosh(x),
)
cosh: UnaryFunction = unary(
    "cosh",
    "Elementwise hyperbolic cosine.",
    numpy=np.cosh,
    float_form="math.cosh({0})",
    sympy="cosh",
    derivative=lambda g, x, y: g * sinh(x),
)
tanh = unary(
    "tanh",
    "Elementwise hyperbolic tangent.",
    numpy=np.tanh,
    float_form="math.tanh({0})",
    sympy="tanh",
    derivative=lambda g, x, y: g * (1 - y * y),
)
arcsinh = unary(
    "arcsinh",
    "Inverse hyperbolic sine.",
    numpy=np.arcsinh,
    float_form="math.asinh({0})",
    sympy="asinh",
    derivative=lambda g, x, y: g * (1 / sqrt(x * x + 1)),
)
arccosh = unary(
    "arccosh",
    "Inverse hyperbolic cosine (``x >= 1``).",
    numpy=np.arccosh,
    float_form="math.acosh({0})",
    sympy="acosh",
    derivative=lambda g, x, y: g * (1 / sqrt(x * x - 1)),
)
arctanh = unary(
    "arctanh",
    "Inverse hyperbolic tangent (``|x| < 1``).",
    numpy=np.arctanh,
    float_form="math.atanh({0})",
    sympy="atanh",
    derivative=lambda g, x, y: g * (1 / (1 - x * x)),
)
deg2rad = unary(
    "deg2rad",
    "Degrees to radians.",
    numpy=np.deg2rad,
    sympy=lambda x: x * sympy.pi / 180,
    derivative=lambda g, x, y: g * as_expr(float(np.pi / 180), like=y),
)
rad2deg = unary(
    "rad2deg",
    "Radians to degrees.",
    numpy=np.rad2deg,
    sympy=lambda x: x * 180 / sympy.pi,
    derivative=lambda g, x, y: g * as_expr(float(180 / np.pi), like=y),
)

radians = deg2rad  # np.radians: the same function as np.deg2rad
degrees = rad2deg  # np.degrees: the same function as np.rad2deg

# --- activations ----------------------------------------------------------------------------

sigmoid = unary(
    "sigmoid",
    "The logistic function ``1 / (1 + exp(-x))``, computed without overflow.",
    numpy="np.exp(-np.logaddexp(0, -{0}))",
    dtype=in_real_float,  # bools and integers computed in float (see Elementwise.emit)
    float_form=(
        "(1.0 / (1.0 + math.exp(-{0})) if {0} >= 0 else math.exp({0}) / (1.0 + math.exp({0})))"
    ),
    sympy=lambda x: 1 / (1 + sympy.exp(-x)),
    derivative=lambda g, x, y: g * (y * (1 - y)),
)
relu = unary(
    "relu",
    "``max(x, 0)``; its derivative at 0 is 0.",
    numpy="np.maximum({0}, 0)",
    dtype=same_number,
    float_form="({0} if {0} > 0 or {0} != {0} else 0.0)",
    sympy=lambda x: sympy.Max(x, 0),
    derivative=lambda g, x, y: g * shape_ops.astype(x > 0, y.dtype),
    selection=lambda x: x > 0,
    keeps_zero_cotangents=True,
)
softplus = unary(
    "softplus",
    "``log(1 + exp(x))``, computed without overflow.",
    numpy="np.logaddexp(0, {0})",
    dtype=in_real_float,  # bools and integers computed in float (see Elementwise.emit)
    float_form="(math.log1p(math.exp(-abs({0}))) + ({0} if {0} > 0 else 0.0))",
    sympy=lambda x: sympy.log(1 + sympy.exp(x)),
    derivative=lambda g, x, y: g * sigmoid(x),
)

# --- rounding -------------------------------------------------------------------------------


def _round_result(dtype: np.dtype) -> np.dtype:
    """``np.round`` keeps integer dtypes; floats keep theirs; bools become float16."""
    return dtype if dtype.kind in "iu" else in_float(dtype)


floor = unary(
    "floor",
    "Round down; its derivative is 0.",
    numpy=np.floor,
    sympy="floor",
    derivative=None,
)
ceil = unary(
    "ceil",
    "Round up; its derivative is 0.",
    numpy=np.ceil,
    sympy="ceiling",
    derivative=None,
)
round = unary(
    "round",
    "Round to the nearest integer, halves to even (``np.round``); its derivative is 0.",
    numpy="np.round({0})",
    dtype=_round_result,
    sympy=SympyFunction("round", undefined=True),
    derivative=None,
)


def rounded(x: Any, decimals: int = 0) -> Expr:
    """``x`` rounded to ``decimals`` decimal places (negative: to tens, hundreds...), halves
    to even, as ``np.round(x, decimals)`` computes it: scaled by ``10**decimals``, rounded,
    scaled back. Its derivative is 0.

    >>> import symgrad as sg
    >>> sg.ops.elementwise.rounded(sg.const([1.25, 13.0]), 1).eval().tolist()
    [1.2, 13.0]
    """
    if not isinstance(decimals, (int, np.integer)) or isinstance(decimals, bool):
        raise TypeError(f"round: decimals must be an int, got {decimals!r}")
    x = as_expr(x)
    if decimals == 0 or x.dtype.kind in "biu" and decimals > 0:
        return round(x)
    if decimals < 0:  # to tens, hundreds...: divided, as NumPy does; integers stay integers
        scale = 10.0 ** int(-decimals)
        result = round(x / scale) * scale
        return shape_ops.astype(result, x.dtype) if x.dtype.kind in "iu" else result
    scale = 10.0 ** int(decimals)
    return round(x * scale) / scale


# --- special values -------------------------------------------------------------------------

_FLOAT64_MAX = "1.7976931348623157e+308"


def _where_finite(x: Expr, g: Expr) -> Expr:
    """``g`` where ``x`` is finite, else 0."""
    from .selection import where  # selection's rows use this module's functions

    return where(isfinite(x), g, as_expr(0, like=g))


nan_to_num = unary(
    "nan_to_num",
    "``x`` with nan replaced by 0 and ±inf by the largest finite values (``np.nan_to_num`` "
    "with its defaults); the derivative is 1 where ``x`` is finite, else 0.",
    numpy="np.nan_to_num({0})",
    dtype=same,
    float_form=(
        f"(0.0 if {{0}} != {{0}} else ({_FLOAT64_MAX} if {{0}} == math.inf else "
        f"(-{_FLOAT64_MAX} if {{0}} == -math.inf else {{0}})))"
    ),
    sympy=lambda x: x,
    derivative=lambda g, x, y: _where_finite(x, g),
)
isnan = unary(
    "isnan",
    "Where ``x`` is nan (a bool array, no derivative).",
    numpy=np.isnan,
    float_form="{0} != {0}",
    sympy=lambda x: sympy.false,
    derivative=None,
)
isinf = unary(
    "isinf",
    "Where ``x`` is +inf or -inf (a bool array, no derivative).",
    numpy=np.isinf,
    float_form="abs({0}) == math.inf",
    sympy=lambda x: sympy.false,
    derivative=None,
)
isfinite = unary(
    "isfinite",
    "Where ``x`` is neither inf nor nan (a bool array, no derivative).",
    numpy=np.isfinite,
    float_form="{0} - {0} == 0.0",
    sympy=lambda x: sympy.true,
    derivative=None,
)

# --- no derivative --------------------------------------------------------------------------

stop_gradient = unary(
    "stop_gradient",
    "The value of ``x``; its derivative is zero and nothing behind it is differentiated.",
    numpy="{0}",
    dtype=same,
    float_form="{0}",
    sympy=lambda x: x,
    derivative=None,
    fresh=False,  # emitted as an alias of its input
)
detach = stop_gradient
