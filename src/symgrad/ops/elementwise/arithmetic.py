"""Binary arithmetic: ``+ - * /`` and ``**`` (classes, for their cheaper derivative rules
and powers written as products), and the binary functions that are table rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ...core.expr import Expr
from ...core.lazy import lazy_module
from .. import reductions
from ..base import EmitContext
from ..leaves import as_expr, constant_value
from .broadcasting import batch_of, fit, lift_tangents
from .comparisons import equal, less
from .selection import where
from .table import Binary, binary, function_of
from .unary_functions import ceil, exp, exp2, floor, log, negative

if TYPE_CHECKING:
    import sympy
else:
    sympy = lazy_module("sympy")

# The public functions (symgrad exports them as sg.<name>).
__all__ = [
    "add",
    "subtract",
    "multiply",
    "divide",
    "power",
    "hypot",
    "arctan2",
    "logaddexp",
    "logaddexp2",
    "mod",
    "remainder",
    "fmod",
]


def add_tangents(*terms: Expr | None) -> Expr | None:
    """Sum the non-zero terms; ``None`` (zero) if there are none."""
    present = [t for t in terms if t is not None]
    if not present:
        return None
    total = present[0]
    for t in present[1:]:
        total = add(total, t)
    return total


# --- the operators --------------------------------------------------------------------------


class Add(Binary):
    """``a + b``."""

    keeps_zero_cotangents = True
    commutative = True
    name = "add"
    augmented = "+"
    numpy = np.add
    written = "{0} + {1}"
    float_form = "{0} + {1}"
    sympy_function = staticmethod(lambda a, b: a + b)

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        a, b = node.inputs
        batch = batch_of(cotangent, node)
        return (
            reductions.sum_to(cotangent, a.shape, batch),
            reductions.sum_to(cotangent, b.shape, batch),
        )

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        batch, lifted = lift_tangents(node, tangents)
        total = add_tangents(*lifted)
        return None if total is None else fit(total, node, batch)


class Subtract(Binary):
    """``a - b``."""

    keeps_zero_cotangents = True
    name = "subtract"
    augmented = "-"
    numpy = np.subtract
    written = "{0} - {1}"
    float_form = "{0} - {1}"
    sympy_function = staticmethod(lambda a, b: a - b)

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        a, b = node.inputs
        batch = batch_of(cotangent, node)
        return (
            reductions.sum_to(cotangent, a.shape, batch),
            reductions.sum_to(negative(cotangent), b.shape, batch),
        )

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        batch, (ta, tb) = lift_tangents(node, tangents)
        if tb is None:
            return None if ta is None else fit(ta, node, batch)
        return fit(negative(tb) if ta is None else subtract(ta, tb), node, batch)


class Multiply(Binary):
    """``a * b``."""

    commutative = True
    name = "multiply"
    augmented = "*"
    numpy = np.multiply
    written = "{0} * {1}"
    float_form = "{0} * {1}"
    sympy_function = staticmethod(lambda a, b: a * b)

    def partials(self, node: Expr) -> tuple[Expr | None, Expr | None]:
        a, b = node.inputs
        return b, a

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        a, b = node.inputs
        if a is b:  # x * x: one contribution 2 g x, bitwise equal to g x + g x
            return reductions.sum_to(
                multiply(cotangent, multiply(2.0, a)), a.shape, batch_of(cotangent, node)
            ), None
        return super().vjp(node, cotangent)


class Divide(Binary):
    """``a / b`` (true division)."""

    name = "divide"
    augmented = "/"
    numpy = np.divide
    written = "{0} / {1}"
    float_form = "{0} / {1}"
    sympy_function = staticmethod(lambda a, b: a / b)

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        a, b = node.inputs
        batch = batch_of(cotangent, node)
        ga = divide(cotangent, b)
        return (
            reductions.sum_to(ga, a.shape, batch),
            reductions.sum_to(negative(multiply(ga, node)), b.shape, batch),
        )

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        batch, (ta, tb) = lift_tangents(node, tangents)
        if ta is None and tb is None:
            return None
        b = node.inputs[1]
        if tb is None:
            return fit(divide(ta, b), node, batch)
        numerator = negative(multiply(node, tb)) if ta is None else subtract(ta, node * tb)
        return fit(divide(numerator, b), node, batch)


class Power(Binary):
    """``a ** b``. Where ``b`` is 0 the derivative in ``a`` is 0 (``a ** 0`` is 1 for every
    ``a``, 0 included); where ``a`` is 0 the derivative in ``b`` is taken as 0."""

    name = "power"
    numpy = np.power
    written = "{0} ** {1}"
    float_form = "math.pow({0}, {1})"  # raises (not complex) for (-8) ** 0.5
    sympy_function = staticmethod(lambda a, b: a**b)

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        # Small integer powers as products: np.power is a slow pow() call per element.
        e = _small_exponent(node)
        if e is not None and node.inputs[0].ndim > 0:
            return _POWER_AS_PRODUCT[e].format(args[0])
        if node.inputs[0].dtype.kind == "b":  # bools ** 2 would be np.square's int8
            return f"np.power({args[0]}, {args[1]})"
        return super().emit(node, args, ctx)

    def emit_float(self, node: Expr, args: Sequence[str]) -> str | None:
        e = _small_exponent(node)
        if e == 2:
            return f"{args[0]} * {args[0]}"
        if e == 3:
            return f"{args[0]} * {args[0]} * {args[0]}"
        return super().emit_float(node, args)

    def emit_into(self, node: Expr, args: Sequence[str], out: str) -> str | None:
        e = _small_exponent(node)
        if e == 2:
            return f"np.square({args[0]}, out={out})"
        if e is not None:
            return None  # x * x * x and friends: expressions of their own
        return super().emit_into(node, args, out)

    def partials(self, node: Expr) -> tuple[Expr | None, Expr | None]:
        a, b = node.inputs
        exponent = constant_value(b)
        if exponent is not None and exponent.ndim == 0:
            e = exponent.item()
            if e == 0:
                da = None
            elif e == 1:
                da = as_expr(1, like=node)
            else:
                da = e * a if e == 2 else e * power(a, as_expr(e - 1, like=b))
        else:
            # b * a ** (b - 1) is 0 * inf = nan at a = 0, b = 0: select 0 there instead (so
            # that the second derivative sees the selection too).
            da = b * power(a, b - 1)
            if exponent is None or not exponent.all():
                da = where(equal(b, 0), as_expr(0, like=da), da)
        # log(a) * a**b, with a = 0 replaced by 1 so that 0**b contributes 0, not nan.
        safe_a = where(equal(a, 0), as_expr(1, like=a), a)
        db = multiply(log(safe_a), node)
        return da, db


_POWER_AS_PRODUCT = {
    2: "np.square({0})",
    3: "{0} * {0} * {0}",
    -1: "1.0 / {0}",
    0.5: "np.sqrt({0})",
}


def _small_exponent(node: Expr) -> float | None:
    """The exponent of ``x ** e`` if it is one written as a product (in x's own float dtype)."""
    exponent = constant_value(node.inputs[1])
    if exponent is None or exponent.ndim != 0 or node.dtype != node.inputs[0].dtype:
        return None
    e = exponent.item()
    return e if node.dtype.kind == "f" and e in _POWER_AS_PRODUCT else None


add = function_of(Add)
subtract = function_of(Subtract)
multiply = function_of(Multiply)
divide = function_of(Divide)
power = function_of(Power)

# --- binary functions -----------------------------------------------------------------------

hypot = binary(
    "hypot",
    "``sqrt(a**2 + b**2)`` without overflow.",
    numpy=np.hypot,
    sympy=lambda a, b: sympy.sqrt(a**2 + b**2),
    partials=lambda a, b, z: (divide(a, z), divide(b, z)),
    commutative=True,
)


def _arctan2_partials(a: Expr, b: Expr, z: Expr) -> tuple[Expr, Expr]:
    r2 = add(multiply(a, a), multiply(b, b))
    return divide(b, r2), negative(divide(a, r2))


arctan2 = binary(
    "arctan2",
    "The angle of the point ``(b, a)``: ``arctan(a / b)`` in the right quadrant.",
    numpy=np.arctan2,
    sympy="atan2",
    partials=_arctan2_partials,
)
logaddexp = binary(
    "logaddexp",
    "``log(exp(a) + exp(b))`` without overflow.",
    numpy=np.logaddexp,
    sympy=lambda a, b: sympy.log(sympy.exp(a) + sympy.exp(b)),
    partials=lambda a, b, z: (exp(subtract(a, z)), exp(subtract(b, z))),
    commutative=True,
)
logaddexp2 = binary(
    "logaddexp2",
    "``log2(2**a + 2**b)`` without overflow.",
    numpy=np.logaddexp2,
    sympy=lambda a, b: sympy.log(2**a + 2**b, 2),
    partials=lambda a, b, z: (exp2(subtract(a, z)), exp2(subtract(b, z))),
    commutative=True,
)
mod = binary(
    "mod",
    "Remainder with the sign of the divisor (``np.mod``); d/da is 1, d/db is -floor(a/b).",
    numpy=np.mod,
    sympy="Mod",
    partials=lambda a, b, z: (as_expr(1.0, like=z), negative(floor(divide(a, b)))),
)

remainder = mod  # np.remainder is np.mod


def _fmod_partials(a: Expr, b: Expr, z: Expr) -> tuple[Expr, Expr]:
    q = divide(a, b)
    trunc = where(less(q, 0.0), ceil(q), floor(q))
    return as_expr(1.0, like=z), negative(trunc)


fmod = binary(
    "fmod",
    "Remainder with the sign of the dividend (``np.fmod``); d/da is 1, d/db is -trunc(a/b).",
    numpy=np.fmod,
    sympy=lambda a, b: a - b * sympy.Function("trunc")(a / b),
    partials=_fmod_partials,
)
