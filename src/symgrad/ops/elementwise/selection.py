"""Ops that pick one of their inputs per element: ``where`` and ``clip`` (classes: three
inputs), ``maximum`` and ``minimum`` (table rows)."""

from __future__ import annotations

import builtins
import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ...core.expr import Expr
from ...core.lazy import lazy_module
from ...core.shapes import Shape, broadcast_shapes
from .. import reductions
from ..base import EmitContext, Op
from ..leaves import as_expr, as_exprs, check_weak_scalars, is_weak_scalar, typed, weak_value
from .broadcasting import batch_of, fit, lift_tangents
from .comparisons import equal, greater, greater_equal, less, less_equal, not_equal
from .table import binary, sympy_map

if TYPE_CHECKING:
    import sympy
else:
    sympy = lazy_module("sympy")

# The public functions (symgrad exports them as sg.<name>).
__all__ = ["where", "clip", "maximum", "minimum", "fmax", "fmin"]


@dataclasses.dataclass(frozen=True)
class Where(Op):
    """``a`` where ``condition`` holds, else ``b`` (``np.where``)."""

    keeps_zero_cotangents = True
    name = "where"
    accepts_weak_scalars = True
    elementwise = True
    float_form = "({1} if {0} else {2})"

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        c, a, b = inputs
        shape = broadcast_shapes(self.name, c.shape, a.shape, b.shape)
        dtype = np.result_type(a.dtype, b.dtype)
        check_weak_scalars(self.name, inputs, dtype, _where_rule)
        return shape, dtype

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return "np.where({}, {}, {})".format(*args)

    def selection(self, node: Expr) -> Sequence[Expr | None]:
        c = node.inputs[0]
        return None, c, where(c, False, True)

    def discards(self, node: Expr) -> Sequence[int]:
        return (1, 2)

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
        return sympy_map(lambda c, a, b: sympy.Piecewise((a, c), (b, True)), *args)


@dataclasses.dataclass(frozen=True)
class Clip(Op):
    """``x`` limited to ``[lo, hi]`` (``np.clip``); ``x`` gets the gradient where
    ``lo <= x <= hi``, the bounds where they are active."""

    keeps_zero_cotangents = True
    name = "clip"
    accepts_weak_scalars = True
    elementwise = True

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        x, lo, hi = inputs
        shape = broadcast_shapes(self.name, x.shape, lo.shape, hi.shape)
        dtype = np.result_type(x.dtype, lo.dtype, hi.dtype)
        check_weak_scalars(self.name, inputs, dtype, _clip_rule)
        return shape, dtype

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return "np.clip({}, {}, {})".format(*args)

    def selection(self, node: Expr) -> Sequence[Expr | None]:
        x, lo, hi = node.inputs
        below, above = less(x, lo), greater(x, hi)
        return where(below, False, where(above, False, True)), below, where(below, False, above)

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
        return sympy_map(lambda x, lo, hi: sympy.Min(sympy.Max(x, lo), hi), *args)


def _where_rule(condition: Any, a: Any, b: Any) -> np.dtype:
    return np.result_type(weak_value(a), weak_value(b))


def _clip_rule(*operands: Any) -> np.dtype:
    return np.result_type(*map(weak_value, operands))


def where(condition: Any, a: Any, b: Any) -> Expr:
    """``a`` where ``condition`` is true, else ``b``, broadcast together (``np.where``).

    >>> import symgrad as sg
    >>> x = sg.var("x", shape=(3,))
    >>> sg.where(x > 0, x, 0.0).shape
    (3,)
    """
    c = as_expr(condition, op="where")
    a, b = as_exprs(a, b, op="where")
    if is_weak_scalar(a) and is_weak_scalar(b) and not is_weak_scalar(c):
        # Beside an array condition, two bare literals would both be typed as Python
        # numbers (float64, int64): keep the dtypes the graph gave them.
        a, b = typed(a), typed(b)
    return Where()(c, a, b)


def clip(
    x: Any,
    a_min: Any = None,
    a_max: Any = None,
    out: None = None,
    *,
    min: Any = None,  # noqa: A002 (NumPy's names)
    max: Any = None,  # noqa: A002
) -> Expr:
    """``x`` limited to the interval ``[a_min, a_max]`` (``np.clip``; NumPy 2's ``min=`` and
    ``max=`` are the same bounds). A bound that is ``None`` does not limit.

    >>> import symgrad as sg
    >>> sg.clip(sg.const([-2.0, 0.5, 3.0]), None, 1.0).eval().tolist()
    [-2.0, 0.5, 1.0]
    """
    from ..arguments import no_out

    no_out("clip", out)
    lo = _one_bound("a_min", a_min, "min", min)
    hi = _one_bound("a_max", a_max, "max", max)
    x = as_expr(x)
    if lo is None and hi is None:
        return x
    x, lo, hi = as_exprs(
        x,
        _unbounded(x, -1) if lo is None else lo,
        _unbounded(x, 1) if hi is None else hi,
        op="clip",
    )
    return Clip()(x, lo, hi)


def _one_bound(name: str, value: Any, keyword: str, keyword_value: Any) -> Any:
    if value is not None and keyword_value is not None:
        raise TypeError(f"clip: pass {name} or {keyword}=, not both")
    return keyword_value if value is None else value


def _unbounded(x: Expr, side: int) -> Expr:
    """The bound that never limits ``x``: ±inf for floats, the integer dtype's extreme."""
    if x.dtype.kind in "iu":
        info = np.iinfo(x.dtype)
        return as_expr(np.asarray(info.max if side > 0 else info.min, x.dtype))
    if x.dtype.kind == "b":
        return as_expr(np.asarray(side > 0))
    return as_expr(np.asarray(side * np.inf, x.dtype))


def _tie_split(wins: Expr, ties: Expr, node: Expr) -> Expr:
    """1 where ``wins``, 0.5 where ``ties``, else 0, in ``node``'s dtype."""
    one, half, zero = (as_expr(v, like=node) for v in (1.0, 0.5, 0.0))
    return where(wins, one, where(ties, half, zero))


maximum = binary(
    "maximum",
    "Elementwise maximum; where ``a == b`` each gets half the gradient.",
    numpy=np.maximum,
    float_form="({0} if {0} > {1} or {0} != {0} else {1})",  # ties give b, as in NumPy
    sympy="Max",
    partials=lambda a, b, z: (
        _tie_split(greater(a, b), equal(a, b), z),
        _tie_split(greater(b, a), equal(a, b), z),
    ),
    selection=lambda a, b: (greater_equal(a, b), greater_equal(b, a)),
    keeps_zero_cotangents=True,
    commutative=True,
)
minimum = binary(
    "minimum",
    "Elementwise minimum; where ``a == b`` each gets half the gradient.",
    numpy=np.minimum,
    float_form="({0} if {0} < {1} or {0} != {0} else {1})",  # ties give b, as in NumPy
    sympy="Min",
    partials=lambda a, b, z: (
        _tie_split(less(a, b), equal(a, b), z),
        _tie_split(less(b, a), equal(a, b), z),
    ),
    selection=lambda a, b: (less_equal(a, b), less_equal(b, a)),
    keeps_zero_cotangents=True,
    commutative=True,
)


def _or_nan(wins: Expr, other: Expr) -> Expr:
    """True where ``wins`` or where ``other`` is nan (``fmax`` and ``fmin`` skip nan)."""
    return where(not_equal(other, other), as_expr(True), wins)


fmax = binary(
    "fmax",
    "Elementwise maximum ignoring nan (``np.fmax``); where ``a == b`` each gets half the "
    "gradient, and where one is nan the other gets all of it.",
    numpy=np.fmax,
    float_form="({0} if {0} >= {1} or {1} != {1} else {1})",  # ties give a, as in NumPy
    sympy=lambda a, b: sympy.Max(a, b),
    partials=lambda a, b, z: (
        _tie_split(_or_nan(greater(a, b), b), equal(a, b), z),
        _tie_split(_or_nan(greater(b, a), a), equal(a, b), z),
    ),
)
fmin = binary(
    "fmin",
    "Elementwise minimum ignoring nan (``np.fmin``); where ``a == b`` each gets half the "
    "gradient, and where one is nan the other gets all of it.",
    numpy=np.fmin,
    float_form="({0} if {0} <= {1} or {1} != {1} else {1})",  # ties give a, as in NumPy
    sympy=lambda a, b: sympy.Min(a, b),
    partials=lambda a, b, z: (
        _tie_split(_or_nan(less(a, b), b), equal(a, b), z),
        _tie_split(_or_nan(less(b, a), a), equal(a, b), z),
    ),
)
