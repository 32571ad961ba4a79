"""Elementwise ops: unary functions, arithmetic, comparisons, ``where`` and ``clip``.

Each unary op states its derivative ``dy/dx`` in terms of its input ``x`` and output ``y``;
the reverse rule multiplies the cotangent by it and the forward rule the tangent. Binary ops
broadcast like NumPy, so their reverse rules sum cotangents back to each input's shape.
"""

from __future__ import annotations

import builtins
import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np
import sympy

from ..core.dtypes import ufunc_result
from ..core.expr import Expr
from ..core.shapes import Shape, broadcast_shapes
from . import reductions, shape_ops
from .base import EmitContext, Op
from .leaves import as_expr, as_exprs, constant_value


def _sympy_map(fn: Callable[..., Any], *arrays: np.ndarray) -> np.ndarray:
    return np.vectorize(fn, otypes=[object])(*arrays)


def fit(tangent: Expr, node: Expr, batch: int = 0) -> Expr:
    """``tangent`` cast to ``node``'s dtype and broadcast to its shape, after ``batch``
    leading batch axes (a no-op when it fits already)."""
    if tangent.dtype != node.dtype and node.dtype.kind == "f":
        tangent = shape_ops.astype(tangent, node.dtype)
    target = tangent.shape[:batch] + node.shape
    if tangent.shape != target:
        tangent = shape_ops.broadcast_to(lift(tangent, tangent.ndim - batch, node.ndim), target)
    return tangent


def lift(t: Expr, ndim: int, out_ndim: int) -> Expr:
    """A batched tangent ``t`` of an ``ndim``-d input, with size-1 axes inserted after its
    batch axes so that it broadcasts against an ``out_ndim``-d output like the input did."""
    if ndim >= out_ndim:
        return t
    batch = t.ndim - ndim
    return shape_ops.reshape(t, t.shape[:batch] + (1,) * (out_ndim - ndim) + t.shape[batch:])


def batch_of(derivative: Expr, x: Expr) -> int:
    """How many leading batch axes a cotangent or tangent of ``x`` carries."""
    return derivative.ndim - x.ndim


def lift_tangents(node: Expr, tangents: Sequence[Expr | None]) -> tuple[int, list[Expr | None]]:
    """The batch size of the tangents and each lifted to broadcast against ``node``."""
    batch = next((batch_of(t, x) for t, x in zip(tangents, node.inputs) if t is not None), 0)
    return batch, [
        None if t is None else lift(t, x.ndim, node.ndim) for t, x in zip(tangents, node.inputs)
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


# --- unary ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Unary(Op):
    """An elementwise function of one array."""

    elementwise = True

    #: The NumPy ufunc whose dtype rule (and name, unless ``template`` is set) the op uses.
    ufunc: ClassVar[np.ufunc]
    #: Emission with ``{0}`` for the operand; defaults to ``np.<ufunc>({0})``.
    template: ClassVar[str] = ""
    sympy_fn: ClassVar[Callable[[Any], Any]]

    def derivative(self, x: Expr, y: Expr) -> Expr | None:
        """dy/dx elementwise, or ``None`` where it is zero everywhere."""
        raise NotImplementedError

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        (x,) = inputs
        return x.shape, ufunc_result(self.ufunc, x.dtype)

    #: False where ``template`` is more than the ufunc (no single ``out=`` to write into).
    is_ufunc_call: ClassVar[bool] = True
    #: The same function on a Python float, with the ``math`` module ("" if none).
    math_template: ClassVar[str] = ""

    def emit_float(self, node: Expr, args: Sequence[str]) -> str | None:
        return self.math_template.format(*args) if self.math_template else None

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        if self.template:
            return self.template.format(*args)
        return f"np.{self.ufunc.__name__}({args[0]})"

    def emit_into(self, node: Expr, args: Sequence[str], out: str) -> str | None:
        if not self.is_ufunc_call:
            return None
        return f"np.{self.ufunc.__name__}({args[0]}, out={out})"

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        d = self.derivative(node.inputs[0], node)
        return (None if d is None else multiply(cotangent, d),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        (t,) = tangents
        d = self.derivative(node.inputs[0], node)
        return None if t is None or d is None else multiply(t, d)

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        return _sympy_map(type(self).sympy_fn, *args)


class Negative(Unary):
    """``-x``."""

    math_template = "-{0}"

    name = "negative"
    ufunc = np.negative
    template = "-{0}"
    sympy_fn = staticmethod(lambda x: -x)

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        return (negative(cotangent),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        (t,) = tangents
        return None if t is None else negative(t)


class Sin(Unary):
    """Elementwise sine."""

    math_template = "math.sin({0})"

    name = "sin"
    ufunc = np.sin
    sympy_fn = sympy.sin

    def derivative(self, x: Expr, y: Expr) -> Expr:
        return cos(x)


class Cos(Unary):
    """Elementwise cosine."""

    math_template = "math.cos({0})"

    name = "cos"
    ufunc = np.cos
    sympy_fn = sympy.cos

    def derivative(self, x: Expr, y: Expr) -> Expr:
        return negative(sin(x))


class Tan(Unary):
    """Elementwise tangent."""

    math_template = "math.tan({0})"

    name = "tan"
    ufunc = np.tan
    sympy_fn = sympy.tan

    def derivative(self, x: Expr, y: Expr) -> Expr:
        return 1 + y * y


class Arcsin(Unary):
    """Elementwise inverse sine."""

    math_template = "math.asin({0})"

    name = "arcsin"
    ufunc = np.arcsin
    sympy_fn = sympy.asin

    def derivative(self, x: Expr, y: Expr) -> Expr:
        return 1 / sqrt(1 - x * x)


class Arccos(Unary):
    """Elementwise inverse cosine."""

    math_template = "math.acos({0})"

    name = "arccos"
    ufunc = np.arccos
    sympy_fn = sympy.acos

    def derivative(self, x: Expr, y: Expr) -> Expr:
        return -1 / sqrt(1 - x * x)


class Arctan(Unary):
    """Elementwise inverse tangent."""

    math_template = "math.atan({0})"

    name = "arctan"
    ufunc = np.arctan
    sympy_fn = sympy.atan

    def derivative(self, x: Expr, y: Expr) -> Expr:
        return 1 / (1 + x * x)


class Sinh(Unary):
    """Elementwise hyperbolic sine."""

    math_template = "math.sinh({0})"

    name = "sinh"
    ufunc = np.sinh
    sympy_fn = sympy.sinh

    def derivative(self, x: Expr, y: Expr) -> Expr:
        return cosh(x)


class Cosh(Unary):
    """Elementwise hyperbolic cosine."""

    math_template = "math.cosh({0})"

    name = "cosh"
    ufunc = np.cosh
    sympy_fn = sympy.cosh

    def derivative(self, x: Expr, y: Expr) -> Expr:
        return sinh(x)


class Tanh(Unary):
    """Elementwise hyperbolic tangent."""

    math_template = "math.tanh({0})"

    name = "tanh"
    ufunc = np.tanh
    sympy_fn = sympy.tanh

    def derivative(self, x: Expr, y: Expr) -> Expr:
        return 1 - y * y


class Exp(Unary):
    """Elementwise exponential."""

    math_template = "math.exp({0})"

    name = "exp"
    ufunc = np.exp
    sympy_fn = sympy.exp

    def derivative(self, x: Expr, y: Expr) -> Expr:
        return y


class Log(Unary):
    """Elementwise natural logarithm."""

    math_template = "math.log({0})"

    name = "log"
    ufunc = np.log
    sympy_fn = sympy.log

    def derivative(self, x: Expr, y: Expr) -> Expr:
        return 1 / x

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        return (divide(cotangent, node.inputs[0]),)


class Log1p(Unary):
    """``log(1 + x)``, accurate for small ``x``."""

    math_template = "math.log1p({0})"

    name = "log1p"
    ufunc = np.log1p
    sympy_fn = staticmethod(lambda x: sympy.log(1 + x))

    def derivative(self, x: Expr, y: Expr) -> Expr:
        return 1 / (1 + x)


class Expm1(Unary):
    """``exp(x) - 1``, accurate for small ``x``."""

    math_template = "math.expm1({0})"

    name = "expm1"
    ufunc = np.expm1
    sympy_fn = staticmethod(lambda x: sympy.exp(x) - 1)

    def derivative(self, x: Expr, y: Expr) -> Expr:
        return y + 1


class Sqrt(Unary):
    """Elementwise square root."""

    math_template = "math.sqrt({0})"

    name = "sqrt"
    ufunc = np.sqrt
    sympy_fn = sympy.sqrt

    def derivative(self, x: Expr, y: Expr) -> Expr:
        return 0.5 / y


class Square(Unary):
    """``x * x``."""

    math_template = "{0} * {0}"

    name = "square"
    ufunc = np.square
    sympy_fn = staticmethod(lambda x: x**2)

    def derivative(self, x: Expr, y: Expr) -> Expr:
        return 2 * x


class Abs(Unary):
    """Elementwise absolute value; its derivative at 0 is 0."""

    math_template = "abs({0})"

    name = "abs"
    ufunc = np.absolute
    template = "np.abs({0})"
    sympy_fn = sympy.Abs

    def derivative(self, x: Expr, y: Expr) -> Expr:
        return sign(x)


class Sign(Unary):
    """-1, 0 or 1 by the sign of ``x``; its derivative is 0."""

    name = "sign"
    ufunc = np.sign
    differentiable = False
    sympy_fn = sympy.sign

    def derivative(self, x: Expr, y: Expr) -> None:
        return None


class Sigmoid(Unary):
    """The logistic function ``1 / (1 + exp(-x))``, computed without overflow."""

    math_template = (
        "(1.0 / (1.0 + math.exp(-{0})) if {0} >= 0 else math.exp({0}) / (1.0 + math.exp({0})))"
    )

    name = "sigmoid"
    ufunc = np.exp
    template = "np.exp(-np.logaddexp(0, -{0}))"
    is_ufunc_call = False
    sympy_fn = staticmethod(lambda x: 1 / (1 + sympy.exp(-x)))

    def derivative(self, x: Expr, y: Expr) -> Expr:
        return y * (1 - y)


class Relu(Unary):
    """``max(x, 0)``; its derivative at 0 is 0."""

    math_template = "({0} if {0} > 0 or {0} != {0} else 0.0)"

    name = "relu"
    ufunc = np.positive
    template = "np.maximum({0}, 0)"
    is_ufunc_call = False
    sympy_fn = staticmethod(lambda x: sympy.Max(x, 0))

    def derivative(self, x: Expr, y: Expr) -> Expr:
        return shape_ops.astype(greater(x, 0), y.dtype)


class Softplus(Unary):
    """``log(1 + exp(x))``, computed without overflow."""

    math_template = "(math.log1p(math.exp(-abs({0}))) + ({0} if {0} > 0 else 0.0))"

    name = "softplus"
    ufunc = np.exp
    template = "np.logaddexp(0, {0})"
    is_ufunc_call = False
    sympy_fn = staticmethod(lambda x: sympy.log(1 + sympy.exp(x)))

    def derivative(self, x: Expr, y: Expr) -> Expr:
        return sigmoid(x)


class StopGradient(Unary):
    """The value of ``x``; its derivative is zero and nothing behind it is differentiated."""

    math_template = "{0}"

    name = "stop_gradient"
    ufunc = np.positive
    differentiable = False
    fresh = False  # emitted as an alias of its input
    is_ufunc_call = False
    template = "{0}"
    sympy_fn = staticmethod(lambda x: x)

    def derivative(self, x: Expr, y: Expr) -> None:
        return None


class Log2(Unary):
    """Base-2 logarithm."""

    name = "log2"
    ufunc = np.log2
    sympy_fn = staticmethod(lambda x: sympy.log(x, 2))
    math_template = "math.log2({0})"

    def derivative(self, x: Expr, y: Expr) -> Expr:
        return 1 / (x * float(np.log(2.0)))


class Log10(Unary):
    """Base-10 logarithm."""

    name = "log10"
    ufunc = np.log10
    sympy_fn = staticmethod(lambda x: sympy.log(x, 10))
    math_template = "math.log10({0})"

    def derivative(self, x: Expr, y: Expr) -> Expr:
        return 1 / (x * float(np.log(10.0)))


class Exp2(Unary):
    """``2 ** x``."""

    name = "exp2"
    ufunc = np.exp2
    sympy_fn = staticmethod(lambda x: 2**x)

    def derivative(self, x: Expr, y: Expr) -> Expr:
        return y * float(np.log(2.0))


class Arcsinh(Unary):
    """Inverse hyperbolic sine."""

    name = "arcsinh"
    ufunc = np.arcsinh
    sympy_fn = sympy.asinh
    math_template = "math.asinh({0})"

    def derivative(self, x: Expr, y: Expr) -> Expr:
        return 1 / sqrt(x * x + 1)


class Arccosh(Unary):
    """Inverse hyperbolic cosine (``x >= 1``)."""

    name = "arccosh"
    ufunc = np.arccosh
    sympy_fn = sympy.acosh
    math_template = "math.acosh({0})"

    def derivative(self, x: Expr, y: Expr) -> Expr:
        return 1 / sqrt(x * x - 1)


class Arctanh(Unary):
    """Inverse hyperbolic tangent (``|x| < 1``)."""

    name = "arctanh"
    ufunc = np.arctanh
    sympy_fn = sympy.atanh
    math_template = "math.atanh({0})"

    def derivative(self, x: Expr, y: Expr) -> Expr:
        return 1 / (1 - x * x)


class Deg2rad(Unary):
    """Degrees to radians."""

    name = "deg2rad"
    ufunc = np.deg2rad
    sympy_fn = staticmethod(lambda x: x * sympy.pi / 180)

    def derivative(self, x: Expr, y: Expr) -> Expr:
        return as_expr(float(np.pi / 180), like=y)


class Rad2deg(Unary):
    """Radians to degrees."""

    name = "rad2deg"
    ufunc = np.rad2deg
    sympy_fn = staticmethod(lambda x: x * 180 / sympy.pi)

    def derivative(self, x: Expr, y: Expr) -> Expr:
        return as_expr(float(180 / np.pi), like=y)


class Floor(Unary):
    """Round down; its derivative is 0."""

    name = "floor"
    ufunc = np.floor
    sympy_fn = sympy.floor
    differentiable = False

    def derivative(self, x: Expr, y: Expr) -> None:
        return None


class Ceil(Unary):
    """Round up; its derivative is 0."""

    name = "ceil"
    ufunc = np.ceil
    sympy_fn = sympy.ceiling
    differentiable = False

    def derivative(self, x: Expr, y: Expr) -> None:
        return None


class Round(Unary):
    """Round to the nearest integer, halves to even (``np.round``); its derivative is 0."""

    name = "round"
    ufunc = np.rint
    template = "np.round({0})"
    is_ufunc_call = False
    sympy_fn = staticmethod(lambda x: sympy.Function("round")(x))
    differentiable = False

    def derivative(self, x: Expr, y: Expr) -> None:
        return None


def _unary_function(op: Unary) -> Callable[[Any], Expr]:
    def function(x: Any) -> Expr:
        return op(as_expr(x))

    function.__name__ = function.__qualname__ = op.name
    function.__doc__ = type(op).__doc__
    return function


negative = _unary_function(Negative())
sin = _unary_function(Sin())
cos = _unary_function(Cos())
tan = _unary_function(Tan())
arcsin = _unary_function(Arcsin())
arccos = _unary_function(Arccos())
arctan = _unary_function(Arctan())
sinh = _unary_function(Sinh())
cosh = _unary_function(Cosh())
tanh = _unary_function(Tanh())
exp = _unary_function(Exp())
log = _unary_function(Log())
log1p = _unary_function(Log1p())
expm1 = _unary_function(Expm1())
sqrt = _unary_function(Sqrt())
square = _unary_function(Square())
abs = _unary_function(Abs())
sign = _unary_function(Sign())
sigmoid = _unary_function(Sigmoid())
relu = _unary_function(Relu())
softplus = _unary_function(Softplus())
stop_gradient = _unary_function(StopGradient())
detach = stop_gradient
log2 = _unary_function(Log2())
log10 = _unary_function(Log10())
exp2 = _unary_function(Exp2())
arcsinh = _unary_function(Arcsinh())
arccosh = _unary_function(Arccosh())
arctanh = _unary_function(Arctanh())
deg2rad = _unary_function(Deg2rad())
rad2deg = _unary_function(Rad2deg())
floor = _unary_function(Floor())
ceil = _unary_function(Ceil())
round = _unary_function(Round())


# --- binary ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Binary(Op):
    """An elementwise function of two arrays, broadcast like NumPy."""

    accepts_weak_scalars = True
    elementwise = True

    ufunc: ClassVar[np.ufunc]
    template: ClassVar[str]
    sympy_fn: ClassVar[Callable[[Any, Any], Any]]

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        a, b = inputs
        shape = broadcast_shapes(self.name, a.shape, b.shape)
        return shape, ufunc_result(self.ufunc, a.dtype, b.dtype)

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return self.template.format(*args)

    def emit_into(self, node: Expr, args: Sequence[str], out: str) -> str | None:
        return f"np.{self.ufunc.__name__}({args[0]}, {args[1]}, out={out})"

    #: The same operation on Python floats ("" if none).
    float_template: ClassVar[str] = ""

    def emit_float(self, node: Expr, args: Sequence[str]) -> str | None:
        return self.float_template.format(*args) if self.float_template else None

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        return _sympy_map(type(self).sympy_fn, *args)

    def partials(self, node: Expr) -> tuple[Expr | None, Expr | None]:
        """(dz/da, dz/db) elementwise; ``None`` where zero."""
        raise NotImplementedError

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        a, b = node.inputs
        da, db = self.partials(node)
        batch = batch_of(cotangent, node)
        return (
            None if da is None else reductions.sum_to(multiply(cotangent, da), a.shape, batch),
            None if db is None else reductions.sum_to(multiply(cotangent, db), b.shape, batch),
        )

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        batch, (ta, tb) = lift_tangents(node, tangents)
        da, db = self.partials(node) if ta is not None or tb is not None else (None, None)
        terms = (
            None if ta is None or da is None else multiply(ta, da),
            None if tb is None or db is None else multiply(tb, db),
        )
        total = add_tangents(*terms)
        return None if total is None else fit(total, node, batch)


class Add(Binary):
    """``a + b``."""

    float_template = "{0} + {1}"

    name = "add"
    augmented = "+"
    commutative = True
    ufunc = np.add
    template = "{0} + {1}"
    sympy_fn = staticmethod(lambda a, b: a + b)

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

    float_template = "{0} - {1}"

    name = "subtract"
    augmented = "-"
    ufunc = np.subtract
    template = "{0} - {1}"
    sympy_fn = staticmethod(lambda a, b: a - b)

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

    float_template = "{0} * {1}"

    name = "multiply"
    augmented = "*"
    commutative = True
    ufunc = np.multiply
    template = "{0} * {1}"
    sympy_fn = staticmethod(lambda a, b: a * b)

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

    float_template = "{0} / {1}"

    name = "divide"
    augmented = "/"
    ufunc = np.true_divide
    template = "{0} / {1}"
    sympy_fn = staticmethod(lambda a, b: a / b)

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
    """``a ** b``. The derivative in ``b`` is taken as 0 where ``a`` is 0."""

    name = "power"
    ufunc = np.power
    template = "{0} ** {1}"
    sympy_fn = staticmethod(lambda a, b: a**b)

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        # Small integer powers as products: np.power is a slow pow() call per element.
        e = _small_exponent(node)
        if e is not None and node.inputs[0].ndim > 0:
            return _POWER_AS_PRODUCT[e].format(args[0])
        return self.template.format(*args)

    def emit_float(self, node: Expr, args: Sequence[str]) -> str | None:
        e = _small_exponent(node)
        if e == 2:
            return f"{args[0]} * {args[0]}"
        if e == 3:
            return f"{args[0]} * {args[0]} * {args[0]}"
        return f"math.pow({args[0]}, {args[1]})"  # raises (not complex) for (-8) ** 0.5

    def emit_into(self, node: Expr, args: Sequence[str], out: str) -> str | None:
        e = _small_exponent(node)
        if e == 2:
            return f"np.square({args[0]}, out={out})"
        if e is not None:
            return None  # x * x * x and friends: expressions of their own
        return f"np.power({args[0]}, {args[1]}, out={out})"

    def partials(self, node: Expr) -> tuple[Expr | None, Expr | None]:
        a, b = node.inputs
        exponent = constant_value(b)
        if exponent is not None and exponent.ndim == 0:
            e = exponent.item()
            da = (
                e * a
                if e == 2
                else (as_expr(1, like=node) if e == 1 else e * power(a, as_expr(e - 1, like=b)))
            )
        else:
            da = b * power(a, b - 1)
        # log(a) * a**b, with a = 0 replaced by 1 so that 0**b contributes 0, not nan.
        safe_a = where(equal(a, 0), as_expr(1, like=a), a)
        db = multiply(log(safe_a), node)
        return da, db


class Hypot(Binary):
    """``sqrt(a**2 + b**2)`` without overflow."""

    name = "hypot"
    ufunc = np.hypot
    template = "np.hypot({0}, {1})"
    sympy_fn = staticmethod(lambda a, b: sympy.sqrt(a**2 + b**2))

    def partials(self, node: Expr) -> tuple[Expr | None, Expr | None]:
        a, b = node.inputs
        return divide(a, node), divide(b, node)


class Arctan2(Binary):
    """The angle of the point ``(b, a)``: ``arctan(a / b)`` in the right quadrant."""

    name = "arctan2"
    ufunc = np.arctan2
    template = "np.arctan2({0}, {1})"
    sympy_fn = sympy.atan2

    def partials(self, node: Expr) -> tuple[Expr | None, Expr | None]:
        a, b = node.inputs
        r2 = add(multiply(a, a), multiply(b, b))
        return divide(b, r2), negative(divide(a, r2))


class Logaddexp(Binary):
    """``log(exp(a) + exp(b))`` without overflow."""

    name = "logaddexp"
    ufunc = np.logaddexp
    template = "np.logaddexp({0}, {1})"
    sympy_fn = staticmethod(lambda a, b: sympy.log(sympy.exp(a) + sympy.exp(b)))

    def partials(self, node: Expr) -> tuple[Expr | None, Expr | None]:
        a, b = node.inputs
        return exp(subtract(a, node)), exp(subtract(b, node))


class Mod(Binary):
    """Remainder with the sign of the divisor (``np.mod``); d/da is 1, d/db is -floor(a/b)."""

    name = "mod"
    ufunc = np.remainder
    template = "np.mod({0}, {1})"
    sympy_fn = staticmethod(lambda a, b: sympy.Mod(a, b))

    def partials(self, node: Expr) -> tuple[Expr | None, Expr | None]:
        a, b = node.inputs
        return as_expr(1.0, like=node), negative(floor(divide(a, b)))


class Fmod(Binary):
    """Remainder with the sign of the dividend (``np.fmod``); d/da is 1, d/db is
    -trunc(a/b)."""

    name = "fmod"
    ufunc = np.fmod
    template = "np.fmod({0}, {1})"
    sympy_fn = staticmethod(lambda a, b: a - b * sympy.Function("trunc")(a / b))

    def partials(self, node: Expr) -> tuple[Expr | None, Expr | None]:
        a, b = node.inputs
        q = divide(a, b)
        trunc = where(less(q, 0.0), ceil(q), floor(q))
        return as_expr(1.0, like=node), negative(trunc)


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


class Maximum(Binary):
    """Elementwise maximum; where ``a == b`` each gets half the gradient."""

    float_template = "({0} if {0} >= {1} or {0} != {0} else {1})"

    name = "maximum"
    ufunc = np.maximum
    template = "np.maximum({0}, {1})"
    sympy_fn = sympy.Max

    def partials(self, node: Expr) -> tuple[Expr | None, Expr | None]:
        a, b = node.inputs
        return _tie_split(greater(a, b), equal(a, b), node), _tie_split(
            greater(b, a), equal(a, b), node
        )


class Minimum(Binary):
    """Elementwise minimum; where ``a == b`` each gets half the gradient."""

    float_template = "({0} if {0} <= {1} or {0} != {0} else {1})"

    name = "minimum"
    ufunc = np.minimum
    template = "np.minimum({0}, {1})"
    sympy_fn = sympy.Min

    def partials(self, node: Expr) -> tuple[Expr | None, Expr | None]:
        a, b = node.inputs
        return _tie_split(less(a, b), equal(a, b), node), _tie_split(less(b, a), equal(a, b), node)


def _tie_split(wins: Expr, ties: Expr, node: Expr) -> Expr:
    """1 where ``wins``, 0.5 where ``ties``, else 0, in ``node``'s dtype."""
    one, half, zero = (as_expr(v, like=node) for v in (1.0, 0.5, 0.0))
    return where(wins, one, where(ties, half, zero))


@dataclasses.dataclass(frozen=True)
class Comparison(Binary):
    """An elementwise comparison, giving a bool array; it has no derivative."""

    differentiable = False

    def partials(self, node: Expr) -> tuple[None, None]:
        return None, None

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        return None, None

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> None:
        return None


class Less(Comparison):
    """``a < b``."""

    float_template = "{0} < {1}"

    name = "less"
    ufunc = np.less
    template = "{0} < {1}"
    sympy_fn = sympy.Lt


class LessEqual(Comparison):
    """``a <= b``."""

    float_template = "{0} <= {1}"

    name = "less_equal"
    ufunc = np.less_equal
    template = "{0} <= {1}"
    sympy_fn = sympy.Le


class Greater(Comparison):
    """``a > b``."""

    float_template = "{0} > {1}"

    name = "greater"
    ufunc = np.greater
    template = "{0} > {1}"
    sympy_fn = sympy.Gt


class GreaterEqual(Comparison):
    """``a >= b``."""

    float_template = "{0} >= {1}"

    name = "greater_equal"
    ufunc = np.greater_equal
    template = "{0} >= {1}"
    sympy_fn = sympy.Ge


class Equal(Comparison):
    """Elementwise ``a == b`` (``==`` on expressions is identity; use ``sg.eq``)."""

    float_template = "{0} == {1}"

    name = "equal"
    ufunc = np.equal
    template = "np.equal({0}, {1})"
    sympy_fn = sympy.Eq


class NotEqual(Comparison):
    """Elementwise ``a != b``."""

    float_template = "{0} != {1}"

    name = "not_equal"
    ufunc = np.not_equal
    template = "np.not_equal({0}, {1})"
    sympy_fn = sympy.Ne


def _binary_function(op: Binary) -> Callable[[Any, Any], Expr]:
    def function(a: Any, b: Any) -> Expr:
        return op(*as_exprs(a, b))

    function.__name__ = function.__qualname__ = op.name
    function.__doc__ = type(op).__doc__
    return function


add = _binary_function(Add())
subtract = _binary_function(Subtract())
multiply = _binary_function(Multiply())
divide = _binary_function(Divide())
power = _binary_function(Power())
maximum = _binary_function(Maximum())
minimum = _binary_function(Minimum())
less = _binary_function(Less())
less_equal = _binary_function(LessEqual())
greater = _binary_function(Greater())
greater_equal = _binary_function(GreaterEqual())
equal = _binary_function(Equal())
not_equal = _binary_function(NotEqual())
eq = equal
hypot = _binary_function(Hypot())
arctan2 = _binary_function(Arctan2())
logaddexp = _binary_function(Logaddexp())
mod = _binary_function(Mod())
fmod = _binary_function(Fmod())
ne = not_equal


# --- where and clip -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Where(Op):
    """``a`` where ``condition`` holds, else ``b`` (``np.where``)."""

    name = "where"
    accepts_weak_scalars = True
    elementwise = True

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        c, a, b = inputs
        shape = broadcast_shapes(self.name, c.shape, a.shape, b.shape)
        return shape, np.result_type(a.dtype, b.dtype)

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return "np.where({}, {}, {})".format(*args)

    def emit_float(self, node: Expr, args: Sequence[str]) -> str | None:
        return "({1} if {0} else {2})".format(*args)

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        c, a, b = node.inputs
        batch = batch_of(cotangent, node)
        zero = as_expr(0, like=cotangent)
        return (
            None,
            reductions.sum_to(where(c, cotangent, zero), a.shape, batch),
            reductions.sum_to(where(c, zero, cotangent), b.shape, batch),
        )

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        batch, (_, ta, tb) = lift_tangents(node, tangents)
        if ta is None and tb is None:
            return None
        zero = as_expr(0, like=node)
        return fit(
            where(node.inputs[0], zero if ta is None else ta, zero if tb is None else tb),
            node,
            batch,
        )

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        return _sympy_map(lambda c, a, b: sympy.Piecewise((a, c), (b, True)), *args)


@dataclasses.dataclass(frozen=True)
class Clip(Op):
    """``x`` limited to ``[lo, hi]`` (``np.clip``); ``x`` gets the gradient where
    ``lo <= x <= hi``, the bounds where they are active."""

    name = "clip"
    accepts_weak_scalars = True
    elementwise = True

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        x, lo, hi = inputs
        shape = broadcast_shapes(self.name, x.shape, lo.shape, hi.shape)
        return shape, np.result_type(x.dtype, lo.dtype, hi.dtype)

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return "np.clip({}, {}, {})".format(*args)

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        x, lo, hi = node.inputs
        batch = batch_of(cotangent, node)
        zero = as_expr(0, like=cotangent)
        below, above = less(x, lo), greater(x, hi)
        return (
            reductions.sum_to(where(below, zero, where(above, zero, cotangent)), x.shape, batch),
            reductions.sum_to(where(below, cotangent, zero), lo.shape, batch),
            reductions.sum_to(where(below, zero, where(above, cotangent, zero)), hi.shape, batch),
        )

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        if builtins.all(t is None for t in tangents):
            return None
        batch, lifted = lift_tangents(node, tangents)
        x, lo, hi = node.inputs
        tx, tlo, thi = (as_expr(0, like=node) if t is None else t for t in lifted)
        return fit(where(less(x, lo), tlo, where(greater(x, hi), thi, tx)), node, batch)

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        return _sympy_map(lambda x, lo, hi: sympy.Min(sympy.Max(x, lo), hi), *args)


def where(condition: Any, a: Any, b: Any) -> Expr:
    """``a`` where ``condition`` is true, else ``b``, broadcast together (``np.where``).

    >>> import symgrad as sg
    >>> x = sg.var("x", shape=(3,))
    >>> sg.where(x > 0, x, 0.0).shape
    (3,)
    """
    c = as_expr(condition)
    a, b = as_exprs(a, b)
    return Where()(c, a, b)


def clip(x: Any, a_min: Any, a_max: Any) -> Expr:
    """``x`` limited to the interval ``[a_min, a_max]`` (``np.clip``)."""
    return Clip()(*as_exprs(x, a_min, a_max))


# --- sinc -----------------------------------------------------------------------------------

# sinc'(x) = pi * sum_{n>=1} (-1)^n 2n u^(2n-1) / (2n+1)!, u = pi x: the series' coefficients
# of u, u^3, ... Seven terms give double precision for |u| < 1/2, where the closed form
# (cos(u) - sinc(x)) / x loses digits to cancellation.
_SINC_SERIES = tuple(
    (-1) ** n * 2 * n / float(np.prod(np.arange(1, 2 * n + 2, dtype=np.float64)))
    for n in range(1, 8)
)


class Sinc(Unary):
    """The normalized sinc function ``sin(pi x) / (pi x)``, 1 at 0 (``np.sinc``).

    >>> import symgrad as sg
    >>> float(sg.sinc(0.0).eval()), float(sg.sinc(0.5).eval()) == 2 / 3.141592653589793
    (1.0, True)
    """

    name = "sinc"
    ufunc = np.sin
    template = "np.sinc({0})"
    is_ufunc_call = False
    sympy_fn = staticmethod(lambda x: sympy.sinc(sympy.pi * x))

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        (x,) = inputs
        # np.sinc multiplies by pi first: integers and bools become float64.
        return x.shape, x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)

    def derivative(self, x: Expr, y: Expr) -> Expr:
        u = multiply(x, as_expr(float(np.pi), like=y))
        small = less(abs(u), as_expr(0.5, like=y))
        u2 = multiply(u, u)
        series = as_expr(_SINC_SERIES[-1], like=y)
        for c in reversed(_SINC_SERIES[:-1]):
            series = add(multiply(series, u2), as_expr(c, like=y))
        series = multiply(series, multiply(u, as_expr(float(np.pi), like=y)))
        safe_x = where(small, as_expr(1, like=y), x)
        closed = divide(subtract(cos(u), y), safe_x)
        return where(small, series, closed)


sinc = _unary_function(Sinc())
