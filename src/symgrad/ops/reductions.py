"""Reductions over axes (sum, mean, prod, max, min, norm, logsumexp) and softmax.

Reverse rules broadcast the cotangent back over the reduced axes (``expand``); ``sum_to`` is
the reverse of broadcasting and is what every broadcasting op's reverse rule ends with.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ..core.dtypes import dtype_name, float_of, float_result, ufunc_result
from ..core.expr import Expr
from ..core.lazy import lazy_module
from ..core.shapes import (
    Shape,
    check_axis,
    check_canonical_axes,
    format_shape,
    is_concrete,
    normalize_axes,
    normalize_axis,
)
from ..errors import ShapeError
from . import elementwise as ew
from . import recurrence as _rec
from . import shape_ops
from .arguments import computed_in, no_out
from .base import EmitContext, Op
from .leaves import as_expr, const

if TYPE_CHECKING:
    import sympy
else:
    sympy = lazy_module("sympy")


@dataclasses.dataclass(frozen=True)
class Reduction(Op):
    """A reduction over ``axes`` (sorted, non-negative), keeping them as size 1 if ``keepdims``."""

    axes: tuple[int, ...]
    keepdims: bool = False

    numpy_name: ClassVar[str]
    ufunc: ClassVar[np.ufunc | None] = None  # dtype rule; None keeps the input dtype
    dask = True  # Dask reduces each chunk, then combines the chunks' results in a tree
    #: The ufunc whose ``reduce`` this is (``np.add.reduce(x)`` is a sum), if any.
    reduces: ClassVar[np.ufunc | None] = None

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        (x,) = inputs
        check_canonical_axes(self.name, self.axes, x.ndim)
        shape = reduced_shape(x.shape, self.axes, self.keepdims)
        return shape, self.result_dtype(x.dtype)

    def result_dtype(self, dtype: np.dtype) -> np.dtype:
        if self.ufunc is None:
            return dtype
        return ufunc_result(self.ufunc, dtype, dtype)

    def axis_text(self, ndim: int) -> str:
        if len(self.axes) == ndim:
            return ""
        axis = self.axes[0] if len(self.axes) == 1 else self.axes
        return f", axis={axis}"

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        keep = ", keepdims=True" if self.keepdims else ""
        return f"np.{self.numpy_name}({args[0]}{self.axis_text(node.inputs[0].ndim)}{keep})"

    def label(self) -> str:
        keep = ", keepdims" if self.keepdims else ""
        return f"{self.name}(axes={self.axes}{keep})"

    def fold(self) -> tuple[Op, float, bool] | None:
        """How a loop computes the reduction one element at a time (the Numba backend's
        kernels): the elementwise op folding an element into the running result (its
        second operand), the running result's starting value, and whether the result is
        then divided by the count of elements (a mean). ``None`` if it is not such a fold."""
        return None

    def expand(self, g: Expr, x: Expr) -> Expr:
        """A (batched) cotangent of the output broadcast back to the shape of the input ``x``."""
        out_ndim = x.ndim if self.keepdims else x.ndim - len(self.axes)
        batch = g.shape[: g.ndim - out_ndim]
        if not self.keepdims:
            g = shape_ops.reshape(g, batch + reduced_shape(x.shape, self.axes, keepdims=True))
        return shape_ops.broadcast_to(g, batch + x.shape)

    def shifted(self, batch: int, cls: type[Reduction] | None = None) -> Reduction:
        """This reduction (or another kind over the same axes) for inputs with ``batch``
        leading batch axes."""
        return (cls or type(self))(tuple(a + batch for a in self.axes), self.keepdims)

    def reduce_like(self, t: Expr, x: Expr) -> Expr:
        """The same reduction applied to a (batched) tangent of the input ``x``."""
        return self.shifted(ew.batch_of(t, x))(t)

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        (x,) = args
        fn = getattr(np, self.numpy_name)
        return np.asarray(fn(x, axis=self.axes, keepdims=self.keepdims), dtype=object)


def reduced_shape(shape: Shape, axes: tuple[int, ...], keepdims: bool) -> Shape:
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


_RUNNING_TOTAL_DTYPES = (np.dtype(np.float64), np.dtype(np.complex128))


class Sum(Reduction):
    """Sum over axes."""

    name = "sum"
    numpy_name = "sum"
    ufunc = np.add
    reduces = np.add

    def fold(self) -> tuple[Op, float, bool] | None:
        return ew.Add(), 0.0, False

    def result_dtype(self, dtype: np.dtype) -> np.dtype:
        # NumPy sums bools and small ints in the platform integer.
        return np.sum(np.zeros(0, dtype)).dtype

    def emit_total(self, node: Expr, block: str, total: str) -> tuple[str, str] | None:
        # Only for float64 and complex128. NumPy's pairwise sum of a whole float32 (or
        # float16) array is more accurate than a running total of block sums in that dtype,
        # and a running integer total warns on overflow where np.sum wraps silently.
        if len(self.axes) != node.inputs[0].ndim or node.dtype not in _RUNNING_TOTAL_DTYPES:
            return None
        if self.keepdims:
            zeros = f"np.zeros({node.shape!r}, np.{node.dtype.name})"
            return zeros, f"{total} += np.sum({block}, keepdims=True)"
        return f"np.{node.dtype.name}(0)", f"{total} += np.sum({block})"

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        return (self.expand(cotangent, node.inputs[0]),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        (t,) = tangents
        return None if t is None else self.reduce_like(t, node.inputs[0])


class Mean(Reduction):
    """Mean over axes."""

    name = "mean"
    numpy_name = "mean"

    def fold(self) -> tuple[Op, float, bool] | None:
        return ew.Add(), 0.0, True

    def result_dtype(self, dtype: np.dtype) -> np.dtype:
        return float_result(dtype)

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        x = node.inputs[0]
        return (ew.divide(self.expand(cotangent, x), count(x, self.axes, node.dtype)),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        (t,) = tangents
        return None if t is None else self.reduce_like(t, node.inputs[0])

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        (x,) = args
        total = np.sum(x, axis=self.axes, keepdims=self.keepdims)
        n = int(np.prod([x.shape[a] for a in self.axes]))
        return np.asarray(total * sympy.Rational(1, n), dtype=object)


class Prod(Reduction):
    """Product over axes; derivatives of every order are exact where elements are zero.

    They are built from products only (``products_of_others``), never dividing by x."""

    name = "prod"
    numpy_name = "prod"
    reduces = np.multiply

    def fold(self) -> tuple[Op, float, bool] | None:
        return ew.Multiply(), 1.0, False

    def result_dtype(self, dtype: np.dtype) -> np.dtype:
        return np.prod(np.zeros(0, dtype)).dtype

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        x = node.inputs[0]
        return (ew.multiply(self.expand(cotangent, x), products_of_others(x, self.axes)),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        (t,) = tangents
        if t is None:
            return None
        x = node.inputs[0]
        return self.shifted(ew.batch_of(t, x), Sum)(
            ew.multiply(t, products_of_others(x, self.axes))
        )


def products_of_others(x: Expr, axes: tuple[int, ...]) -> Expr:
    """For each element, the product of the other elements along ``axes``.

    The product of those before it times the product of those after it, along the last
    axis, times the products of the other groups of the remaining axes: products only, no
    division, so exact where elements are zero, and so are its own derivatives.
    """
    if not axes:
        return shape_ops.broadcast_to(as_expr(1, like=x), x.shape)
    *rest, last = axes
    before = _rec.shift(cumprod(x, last), last, 1, fill=1)
    after = _flip(_rec.shift(cumprod(_flip(x, last), last), last, 1, fill=1), last)
    along = ew.multiply(before, after)
    if not rest:
        return along
    groups = Prod((last,), keepdims=True)(x)  # one product per group along the last axis
    others = shape_ops.broadcast_to(products_of_others(groups, tuple(rest)), x.shape)
    return ew.multiply(along, others)


def _flip(x: Expr, axis: int) -> Expr:
    return shape_ops.getitem(x, (slice(None),) * axis + (slice(None, None, -1),))


class _Extremum(Reduction):
    """Max or min; the gradient is split evenly between tied extreme elements."""

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        x = node.inputs[0]
        mask = self._mask(node)
        share = ew.divide(self.expand(cotangent, x), self._ties(mask, x))
        return (ew.where(mask, share, as_expr(0, like=share)),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        (t,) = tangents
        if t is None:
            return None
        x = node.inputs[0]
        mask = self._mask(node)
        picked = ew.where(mask, t, as_expr(0, like=node))
        total = self.shifted(ew.batch_of(t, x), Sum)(picked)
        return ew.divide(total, Sum(self.axes, self.keepdims)(shape_ops.astype(mask, node.dtype)))

    def _mask(self, node: Expr) -> Expr:
        x = node.inputs[0]
        return ew.equal(x, self.expand(node, x))

    def selection(self, node: Expr) -> Sequence[Expr | None]:
        return (self._mask(node),)

    def _ties(self, mask: Expr, x: Expr) -> Expr:
        ties = Sum(self.axes, keepdims=True)(shape_ops.astype(mask, float_of(x.dtype)))
        return shape_ops.broadcast_to(ties, x.shape)


class Max(_Extremum):
    """Maximum over axes."""

    name = "max"
    numpy_name = "max"
    reduces = np.maximum

    def fold(self) -> tuple[Op, float, bool] | None:
        return ew.maximum.op_class(), -np.inf, False

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        return _sympy_reduce(sympy.Max, args[0], self.axes, self.keepdims)


class Min(_Extremum):
    """Minimum over axes."""

    name = "min"
    numpy_name = "min"
    reduces = np.minimum

    def fold(self) -> tuple[Op, float, bool] | None:
        return ew.minimum.op_class(), np.inf, False

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        return _sympy_reduce(sympy.Min, args[0], self.axes, self.keepdims)


def _sympy_reduce(fn: Any, x: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    moved = np.moveaxis(x, axes, range(x.ndim - len(axes), x.ndim))
    flat = moved.reshape(moved.shape[: x.ndim - len(axes)] + (-1,))
    out = np.empty(flat.shape[:-1], dtype=object)
    for index in np.ndindex(out.shape):
        out[index] = fn(*flat[index])
    if keepdims:
        out = out.reshape(reduced_shape(x.shape, axes, keepdims=True))
    return out


class Norm(Reduction):
    """The 2-norm over axes (Frobenius for two axes, of all elements for ``axis=None``).
    Its gradient at the zero vector is taken as 0."""

    name = "norm"
    numpy_name = "linalg.norm"

    def result_dtype(self, dtype: np.dtype) -> np.dtype:
        return float_result(dtype)

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        keep = ", keepdims=True" if self.keepdims else ""
        # Squared in the result's float dtype: integers would overflow in their own.
        square = f"np.square({args[0]}, dtype=np.{dtype_name(node.dtype)})"
        return f"np.sqrt(np.sum({square}{self.axis_text(node.inputs[0].ndim)}{keep}))"

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        x = node.inputs[0]
        scale = self.expand(_safe_reciprocal(node), x)
        return (ew.multiply(ew.multiply(self.expand(cotangent, x), x), scale),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        (t,) = tangents
        if t is None:
            return None
        x = node.inputs[0]
        inner = self.shifted(ew.batch_of(t, x), Sum)(ew.multiply(x, t))
        return ew.multiply(inner, _safe_reciprocal(node))

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        (x,) = args
        total = np.sum(x * x, axis=self.axes, keepdims=self.keepdims)
        return _map(sympy.sqrt, np.asarray(total, dtype=object))


def _as_float(node: Expr, arg: str) -> str:
    """``arg`` cast to the node's float dtype where the input is bool or integer (so that
    ``x - max(x)`` cannot wrap around)."""
    if node.inputs[0].dtype == node.dtype:
        return arg
    return f"{arg}.astype(np.{dtype_name(node.dtype)})"


def _safe_reciprocal(x: Expr) -> Expr:
    """1/x, and 0 where x is 0."""
    zero = as_expr(0, like=x)
    is_zero = ew.equal(x, zero)
    return ew.where(is_zero, zero, ew.divide(as_expr(1, like=x), ew.where(is_zero, 1, x)))


def _map(fn: Any, x: np.ndarray) -> np.ndarray:
    return np.vectorize(fn, otypes=[object])(x)


_LOGSUMEXP_HELPER = '''\
def _logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) without overflow: the largest element is taken out first."""
    top = np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    top = np.where(np.isfinite(top), top, 0)
    out = np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True)) + top
    return out if keepdims else np.squeeze(out, axis=axis)
'''


_DASK_LOGSUMEXP_HELPER = '''\
def _logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) of a Dask array without overflow: the largest element is taken out
    first."""
    top = da.max(x, axis=axis, keepdims=True)
    top = da.where(da.isfinite(top), top, 0)
    out = da.log(da.sum(da.exp(x - top), axis=axis, keepdims=True)) + top
    return out if keepdims else da.squeeze(out, axis=axis)
'''


class LogSumExp(Reduction):
    """``log(sum(exp(x)))`` over axes, computed without overflow."""

    name = "logsumexp"
    numpy_name = "_logsumexp"
    reduces = np.logaddexp
    helpers = {"_logsumexp": _LOGSUMEXP_HELPER}
    dask_helpers = {"_logsumexp": _DASK_LOGSUMEXP_HELPER}

    def result_dtype(self, dtype: np.dtype) -> np.dtype:
        return float_result(dtype)

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        keep = ", keepdims=True" if self.keepdims else ""
        axis = self.axis_text(node.inputs[0].ndim) or ""
        return f"_logsumexp({_as_float(node, args[0])}{axis}{keep})"

    def emit_dask(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return self.emit(node, args, ctx)  # the same call, of the Dask helper

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        x = node.inputs[0]
        weights = ew.exp(ew.subtract(x, self.expand(node, x)))
        return (ew.multiply(self.expand(cotangent, x), weights),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        (t,) = tangents
        if t is None:
            return None
        x = node.inputs[0]
        weights = ew.exp(ew.subtract(x, self.expand(node, x)))
        return self.shifted(ew.batch_of(t, x), Sum)(ew.multiply(weights, t))

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        (x,) = args
        total = np.sum(_map(sympy.exp, x), axis=self.axes, keepdims=self.keepdims)
        return _map(sympy.log, np.asarray(total, dtype=object))


_SOFTMAX_HELPER = '''\
def _softmax(x, axis):
    """exp(x) / sum(exp(x)) along axis, shifted by the maximum so it never overflows."""
    top = np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    e = np.exp(x - np.where(np.isfinite(top), top, 0))
    return e / np.sum(e, axis=axis, keepdims=True)
'''


_DASK_SOFTMAX_HELPER = '''\
def _softmax(x, axis):
    """exp(x) / sum(exp(x)) of a Dask array along axis, shifted by the maximum so it never
    overflows."""
    top = da.max(x, axis=axis, keepdims=True)
    e = da.exp(x - da.where(da.isfinite(top), top, 0))
    return e / da.sum(e, axis=axis, keepdims=True)
'''


@dataclasses.dataclass(frozen=True)
class Softmax(Op):
    """``exp(x) / sum(exp(x))`` along one axis (the last by default), without overflow."""

    name = "softmax"
    helpers = {"_softmax": _SOFTMAX_HELPER}
    dask = True
    dask_helpers = {"_softmax": _DASK_SOFTMAX_HELPER}
    axis: int

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        (x,) = inputs
        check_axis(self.name, self.axis, x.ndim)
        return x.shape, float_result(x.dtype)

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return f"_softmax({_as_float(node, args[0])}, axis={self.axis})"

    def emit_dask(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return self.emit(node, args, ctx)  # the same call, of the Dask helper

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        gy = ew.multiply(cotangent, node)
        total = Sum((self.axis + ew.batch_of(cotangent, node),), keepdims=True)(gy)
        return (ew.subtract(gy, ew.multiply(node, total)),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        (t,) = tangents
        if t is None:
            return None
        ty = ew.multiply(t, node)
        total = Sum((self.axis + ew.batch_of(t, node),), keepdims=True)(ty)
        return ew.subtract(ty, ew.multiply(node, total))

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        e = _map(sympy.exp, args[0])
        return e / np.sum(e, axis=self.axis, keepdims=True)


@dataclasses.dataclass(frozen=True)
class Cumsum(Op):
    """Cumulative sum along one axis (``np.cumsum``)."""

    name = "cumsum"
    dask = True
    #: The ufunc whose ``accumulate`` this is.
    accumulates: ClassVar[np.ufunc] = np.add
    axis: int

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        (x,) = inputs
        check_axis(self.name, self.axis, x.ndim)
        return x.shape, Sum((), False).result_dtype(x.dtype)

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return f"np.cumsum({args[0]}, axis={self.axis})"

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        # Each input element feeds every later output: the reverse cumulative sum.
        axis = self.axis + ew.batch_of(cotangent, node)
        flip = (slice(None),) * axis + (slice(None, None, -1),)
        reverse = shape_ops.getitem(Cumsum(axis)(shape_ops.getitem(cotangent, flip)), flip)
        return (shape_ops.astype(reverse, node.inputs[0].dtype),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        (t,) = tangents
        return None if t is None else Cumsum(self.axis + ew.batch_of(t, node.inputs[0]))(t)

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        return np.cumsum(args[0], axis=self.axis)


# --- functions ------------------------------------------------------------------------------


def _reduce(cls: type[Reduction], x: Any, axis: Any, keepdims: bool) -> Expr:
    x = as_expr(x)
    return cls(normalize_axes(cls.name, axis, x.ndim), bool(keepdims))(x)


def sum(
    x: Any, axis: Any = None, dtype: Any = None, out: None = None, keepdims: bool = False
) -> Expr:
    """Sum of elements over ``axis`` (all by default), like ``np.sum``; ``dtype`` is the
    dtype to add in (the input is converted first), ``out`` must be ``None``.

    >>> import symgrad as sg
    >>> sg.sum(sg.var("x", shape=(2, 3)), axis=0).shape
    (3,)
    """
    no_out("sum", out)
    return _reduce(Sum, computed_in(as_expr(x), dtype, "sum"), axis, keepdims)


def mean(
    x: Any, axis: Any = None, dtype: Any = None, out: None = None, keepdims: bool = False
) -> Expr:
    """Arithmetic mean over ``axis``, like ``np.mean`` (``dtype``: the dtype to compute in)."""
    no_out("mean", out)
    return _reduce(Mean, computed_in(as_expr(x), dtype, "mean"), axis, keepdims)


def prod(
    x: Any, axis: Any = None, dtype: Any = None, out: None = None, keepdims: bool = False
) -> Expr:
    """Product of elements over ``axis``, like ``np.prod`` (``dtype``: the dtype to
    multiply in)."""
    no_out("prod", out)
    return _reduce(Prod, computed_in(as_expr(x), dtype, "prod"), axis, keepdims)


def max(x: Any, axis: Any = None, out: None = None, keepdims: bool = False) -> Expr:
    """Maximum over ``axis``, like ``np.max``; ties share the gradient evenly."""
    no_out("max", out)
    return _reduce(Max, x, axis, keepdims)


def min(x: Any, axis: Any = None, out: None = None, keepdims: bool = False) -> Expr:
    """Minimum over ``axis``, like ``np.min``; ties share the gradient evenly."""
    no_out("min", out)
    return _reduce(Min, x, axis, keepdims)


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Expr:
    """``log(sum(exp(x)))`` over ``axis`` without overflow (like ``scipy.special.logsumexp``)."""
    return _reduce(LogSumExp, x, axis, keepdims)


def softmax(x: Any, axis: int = -1) -> Expr:
    """``exp(x) / sum(exp(x), axis)`` along one axis, the last by default."""
    x = as_expr(x)
    if x.ndim == 0:
        raise ShapeError("softmax", "needs at least one axis; got a 0-d input")
    return Softmax(normalize_axis("softmax", axis, x.ndim))(x)


def count(x: Expr, axes: tuple[int, ...], dtype: np.dtype) -> Expr:
    """The number of elements along ``axes`` of ``x``, as a 0-d expression of ``dtype``."""
    dims = tuple(x.shape[a] for a in axes)
    if is_concrete(dims):
        return as_expr(float(np.prod(dims, dtype=np.int64)), like=as_expr(np.zeros((), dtype)))
    return shape_ops.Size(dims, dtype)()


def sum_to(g: Expr, shape: Shape, batch: int = 0) -> Expr:
    """Sum ``g`` down to ``shape`` after its ``batch`` leading axes: the reverse of
    broadcasting ``shape`` up to ``g.shape``."""
    target = g.shape[:batch] + shape
    if g.shape == target:
        return g
    lead = g.ndim - len(target)
    kept = tuple(
        batch + lead + i for i, d in enumerate(shape) if d == 1 and g.shape[batch + lead + i] != 1
    )
    axes = tuple(batch + i for i in range(lead)) + kept
    if axes:
        # Without axes of length 1 to keep, the sum drops the leading axes itself.
        g = Sum(axes, keepdims=bool(kept))(g)
    if g.shape != target:
        g = shape_ops.reshape(g, target)
    return g


def cumsum(x: Any, axis: int | None = None, dtype: Any = None, out: None = None) -> Expr:
    """Cumulative sum along ``axis`` (of the flattened array by default), like ``np.cumsum``."""
    no_out("cumsum", out)
    x = computed_in(as_expr(x), dtype, "cumsum")
    if axis is None:
        x, axis = shape_ops.reshape(x, (-1,)), 0
    if x.ndim == 0:
        raise ShapeError("cumsum", "needs at least one axis")
    return Cumsum(normalize_axis("cumsum", axis, x.ndim))(x)


def var(
    x: Any,
    axis: Any = None,
    dtype: Any = None,
    out: None = None,
    ddof: int = 0,
    keepdims: bool = False,
) -> Expr:
    """Variance over ``axis`` with ``ddof`` delta degrees of freedom, like ``np.var``
    (``sg.var`` declares a variable; this is ``symgrad.numpy.var`` and ``Expr.var``)."""
    no_out("var", out)
    x = computed_in(as_expr(x), dtype, "var")
    axes = normalize_axes("var", axis, x.ndim)
    centred = _constant_if_single(ew.subtract(x, mean(x, axis=axes, keepdims=True)), x, axes)
    total = sum_of_squares(centred, axes, keepdims)
    dtype = total.dtype if total.dtype.kind == "f" else np.dtype(np.float64)
    n = count(x, axes, dtype)
    return ew.divide(total, ew.subtract(n, float(ddof)) if ddof else n)


def _constant_if_single(centred: Expr, x: Expr, axes: tuple[int, ...]) -> Expr:
    """``x - mean(x)`` over groups of one element is 0 whatever ``x``: its derivative is 0,
    also where ``std`` (``sqrt``'s derivative at 0 is inf) or ``ddof=1`` (a division by
    0) would multiply it by inf. For symbolic sizes, decided when the code runs."""
    dims = tuple(x.shape[a] for a in axes)
    if is_concrete(dims):
        return ew.stop_gradient(centred) if int(np.prod(dims)) == 1 else centred
    return constant_where(ew.equal(count(x, axes, np.dtype(np.float64)), 1.0), centred)


def constant_where(single: Expr, centred: Expr) -> Expr:
    """``centred`` (values less their mean) with derivative 0 where ``single`` holds: a
    group of one element is 0 whatever it holds (see ``_constant_if_single``)."""
    return ew.where(single, ew.stop_gradient(centred), centred)


def sum_of_squares(centred: Expr, axes: tuple[int, ...], keepdims: bool) -> Expr:
    """The sum of ``|centred|**2`` over ``axes``: real, as NumPy's var of complex values."""
    if centred.dtype.kind == "c":
        centred = ew.abs(centred)
    return sum(ew.multiply(centred, centred), axis=axes, keepdims=keepdims)


def std(
    x: Any,
    axis: Any = None,
    dtype: Any = None,
    out: None = None,
    ddof: int = 0,
    keepdims: bool = False,
) -> Expr:
    """Standard deviation over ``axis``, like ``np.std``. Over one element it is constant
    (derivative 0); where two or more elements are all equal it has no derivative (like
    ``abs`` at 0, but in every direction at once) and its gradient is nan."""
    no_out("std", out)
    return ew.sqrt(var(x, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims))


# --- cumprod, ptp, average ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Cumprod(Op):
    """Cumulative product along one axis (``np.cumprod``).

    Its derivatives of every order are exact also where elements are zero: they are linear
    recurrences (``symgrad.ops.recurrence``), with no division by the elements."""

    name = "cumprod"
    dask = True
    accumulates: ClassVar[np.ufunc] = np.multiply
    axis: int

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        (x,) = inputs
        if not 0 <= self.axis < x.ndim:
            raise ShapeError(self.name, f"axis {self.axis} out of range for {x.ndim}-d input")
        return x.shape, Prod((), False).result_dtype(x.dtype)

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return f"np.cumprod({args[0]}, axis={self.axis})"

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        # d y[i] / d x[j] = prod(x[:j]) * prod(x[j + 1 : i + 1]) for j <= i, so the cotangent
        # of x[j] is prod(x[:j]) * r[j], with r[j] = g[j] + x[j + 1] * r[j + 1].
        x = node.inputs[0]
        axis = self.axis + ew.batch_of(cotangent, node)
        before = _rec.shift(node, self.axis, 1, fill=1)  # prod(x[:j])
        g = ew.multiply(before, _rec.recurrence(x, cotangent, axis, reverse=True))
        return (shape_ops.astype(g, x.dtype),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        # d y[i] = x[i] * d y[i - 1] + t[i] * prod(x[:i])
        (t,) = tangents
        if t is None:
            return None
        x = node.inputs[0]
        nb = ew.batch_of(t, x)
        before = _rec.shift(node, self.axis, 1, fill=1)
        terms = ew.fit(ew.multiply(t, before), node, nb)
        return _rec.recurrence(x, terms, self.axis + nb)

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        return np.cumprod(args[0], axis=self.axis)


def cumprod(x: Any, axis: int | None = None, dtype: Any = None, out: None = None) -> Expr:
    """Cumulative product along ``axis`` (of the flattened array by default), like
    ``np.cumprod``. Its derivatives of every order are exact also where elements are zero.

    >>> import symgrad as sg
    >>> sg.cumprod(sg.const([1.0, 2.0, 3.0])).eval().tolist()
    [1.0, 2.0, 6.0]
    """
    no_out("cumprod", out)
    x = computed_in(as_expr(x), dtype, "cumprod")
    if axis is None:
        x, axis = shape_ops.reshape(x, (-1,)), 0
    if x.ndim == 0:
        raise ShapeError("cumprod", "needs at least one axis")
    return Cumprod(normalize_axis("cumprod", axis, x.ndim))(x)


def ptp(x: Any, axis: Any = None, out: None = None, keepdims: bool = False) -> Expr:
    """Range of values (maximum minus minimum) over ``axis``, like ``np.ptp``; ties share
    the derivative as in ``max`` and ``min``.

    >>> import symgrad as sg
    >>> float(sg.ptp(sg.const([3.0, -1.0, 2.0])).eval())
    4.0
    """
    no_out("ptp", out)
    x = as_expr(x)
    return ew.subtract(max(x, axis=axis, keepdims=keepdims), min(x, axis=axis, keepdims=keepdims))


def _weights(w: Expr, x: Expr, axis: Any) -> Expr:
    """Weights broadcast against ``x`` as ``np.average`` does: the same shape, or the shape
    of ``x`` along ``axis`` (in the order given)."""
    if w.shape == x.shape:
        return w
    if axis is None:
        raise TypeError("average: axis must be given when the shapes of a and weights differ")
    given = (axis,) if isinstance(axis, int) else tuple(axis)
    axes = [normalize_axis("average", a, x.ndim) for a in given]
    if len(set(axes)) != len(axes):
        raise ShapeError("average", f"repeated axis in {axis!r}")
    if w.shape != tuple(x.shape[a] for a in axes):
        raise ShapeError(
            "average",
            f"weights of shape {format_shape(w.shape)} do not match the shape "
            f"{format_shape(x.shape)} of a along axis {axis!r}",
        )
    w = shape_ops.transpose(w, tuple(np.argsort(axes).tolist()))
    return shape_ops.reshape(w, tuple(d if i in axes else 1 for i, d in enumerate(x.shape)))


def average(
    a: Any, axis: Any = None, weights: Any = None, returned: bool = False, keepdims: bool = False
) -> Any:
    """Weighted average over ``axis``, like ``np.average``: ``sum(a * w) / sum(w)``, or the
    mean without ``weights``. With ``returned=True``, also the sum of the weights (broadcast
    to the result's shape). Weights summing to zero give inf or nan (NumPy raises).

    >>> import symgrad as sg
    >>> float(sg.average(sg.const([1.0, 3.0]), weights=[3.0, 1.0]).eval())
    1.5
    """
    x = as_expr(a)
    if weights is None:
        avg = mean(x, axis=axis, keepdims=keepdims)
        axes = normalize_axes("average", axis, x.ndim)
        scale = shape_ops.broadcast_to(count(x, axes, avg.dtype), avg.shape)
    else:
        w = _weights(weights if isinstance(weights, Expr) else const(weights), x, axis)
        dtype = np.result_type(x.dtype, w.dtype, *([np.float64] if x.dtype.kind in "biu" else []))
        x, w = shape_ops.astype(x, dtype), shape_ops.astype(w, dtype)
        scale = sum(w, axis=axis, keepdims=keepdims)
        avg = ew.divide(sum(ew.multiply(x, w), axis=axis, keepdims=keepdims), scale)
    return (avg, shape_ops.broadcast_to(scale, avg.shape)) if returned else avg


# --- positions of extremes --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ArgExtreme(Op):
    """The index of the largest (``argmax``) or smallest (``argmin``) element along
    ``axis``: an integer, with no derivative."""

    name = "arg_extreme"
    dask = True
    differentiable = False
    largest: bool
    axis: int
    keepdims: bool

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        (x,) = inputs
        if not 0 <= self.axis < x.ndim:
            raise ShapeError(self.label(), f"axis {self.axis} is out of range for {x.ndim} dims")
        if x.shape[self.axis] == 0:
            raise ShapeError(self.label(), "attempt to get the position in an empty axis")
        shape = list(x.shape)
        if self.keepdims:
            shape[self.axis] = 1
        else:
            del shape[self.axis]
        return tuple(shape), np.dtype(np.int64)

    def label(self) -> str:
        return "argmax" if self.largest else "argmin"

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        keep = ", keepdims=True" if self.keepdims else ""
        return f"np.{self.label()}({args[0]}, axis={self.axis}{keep})"

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        return (None,)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        return None


def argmax(x: Any, axis: int | None = None, out: None = None, *, keepdims: bool = False) -> Expr:
    """Index of the largest element along ``axis`` (of the flattened array by default), as
    ``np.argmax``. An integer result: it has no derivative."""
    no_out("argmax", out)
    return _arg_extreme(x, axis, keepdims, largest=True)


def argmin(x: Any, axis: int | None = None, out: None = None, *, keepdims: bool = False) -> Expr:
    """Index of the smallest element along ``axis`` (``np.argmin``); no derivative."""
    no_out("argmin", out)
    return _arg_extreme(x, axis, keepdims, largest=False)


def _arg_extreme(x: Any, axis: int | None, keepdims: bool, largest: bool) -> Expr:
    x = as_expr(x)
    name = "argmax" if largest else "argmin"
    if axis is None:
        flat = ArgExtreme(largest, 0, False)(shape_ops.reshape(x, (-1,)))
        return shape_ops.reshape(flat, (1,) * x.ndim) if keepdims else flat
    return ArgExtreme(largest, normalize_axis(name, axis, x.ndim), keepdims)(x)
