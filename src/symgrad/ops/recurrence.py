"""Linear recurrences and shifts along an axis: what the derivatives of cumulative and total
products are made of.

``recurrence(a, b, axis)`` is ``r`` with ``r[i] = b[i] + a[i] * r[i - 1]`` (``r[-1] = 0``);
with ``reverse=True`` it is ``r[i] = b[i] + a[i + 1] * r[i + 1]`` (``r[n] = 0``). Both are
linear in ``b``, each the transpose of the other for the same ``a``. ``shift(x, axis, by,
fill)`` moves ``x`` by ``by`` places along ``axis`` and fills the vacated places.

The derivatives of both are again recurrences, shifts, products and sums: no division, so
whatever is differentiated through them (``cumprod``, ``prod``) has exact derivatives of
every order where elements are zero.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.expr import Expr
from ..core.shapes import Shape, format_shape
from ..errors import ShapeError
from . import elementwise as ew
from . import reductions, shape_ops
from .base import EmitContext, Op
from .leaves import as_expr

_SHIFT_HELPER = '''\
def _shift(x, axis, by, fill):
    """`x` moved `by` places along `axis`, the places left empty holding `fill`."""
    out = np.full_like(x, fill)
    n = x.shape[axis]
    k = min(abs(by), n)
    source, target = [slice(None)] * x.ndim, [slice(None)] * x.ndim
    if by >= 0:
        target[axis], source[axis] = slice(k, None), slice(None, n - k)
    else:
        target[axis], source[axis] = slice(None, n - k), slice(k, None)
    out[tuple(target)] = x[tuple(source)]
    return out
'''

_RECURRENCE_HELPER = '''\
def _recurrence(a, b, axis, reverse):
    """r[i] = b[i] + a[i] * r[i - 1] along `axis` (reverse: r[i] = b[i] + a[i + 1] * r[i + 1]),
    in log2(n) vectorized steps, each combining every element with the one `step` back."""
    a, r = np.moveaxis(a, axis, 0), np.moveaxis(b, axis, 0)
    if reverse:  # the forward recurrence of the reversed arrays, coefficients one place on
        a, r = np.roll(a[::-1], 1, axis=0), r[::-1]
    dtype = np.result_type(a, r)
    r, c = r.astype(dtype, copy=True), a.astype(dtype, copy=True)
    c[:1] = 0  # nothing before the first element
    step = 1
    while step < len(r):
        r[step:] += c[step:] * r[:-step]
        c[step:] *= c[:-step]
        step *= 2
    return np.moveaxis(r[::-1] if reverse else r, 0, axis)
'''


def _fits(value: int, dtype: np.dtype) -> bool:
    """True if the integer ``value`` is a value of ``dtype``."""
    if dtype.kind == "b":
        return value in (0, 1)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return int(info.min) <= value <= int(info.max)
    return abs(value) <= float(np.finfo(dtype).max)


def _check_axis(name: str, axis: int, ndim: int) -> None:
    if not 0 <= axis < ndim:
        raise ShapeError(name, f"axis {axis} out of range for a {ndim}-d input")


@dataclasses.dataclass(frozen=True)
class Shift(Op):
    """``x`` moved ``by`` places along ``axis``, the places left empty holding ``fill``.

    ``out[i] = x[i - by]`` where that index exists."""

    name = "shift"
    helpers = {"_shift": _SHIFT_HELPER}
    dask = True  # np.full_like and slice assignment are lazy on Dask arrays
    axis: int
    by: int
    fill: int

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        (x,) = inputs
        _check_axis(self.name, self.axis, x.ndim)
        if not _fits(self.fill, x.dtype):  # the emitted np.full_like would fail
            raise ShapeError(self.name, f"the fill {self.fill} does not fit {x.dtype}")
        return x.shape, x.dtype

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return f"_shift({args[0]}, {self.axis}, {self.by}, {self.fill})"

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        batch = ew.batch_of(cotangent, node)
        return (Shift(self.axis + batch, -self.by, 0)(cotangent),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        (t,) = tangents
        if t is None:
            return None
        return Shift(self.axis + ew.batch_of(t, node.inputs[0]), self.by, 0)(t)

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        import sympy

        (x,) = args
        moved = np.moveaxis(np.asarray(x, dtype=object), self.axis, 0)
        out = np.full(moved.shape, sympy.Integer(self.fill), dtype=object)
        n, k = len(moved), min(abs(self.by), len(moved))
        if self.by >= 0:
            out[k:] = moved[: n - k]
        else:
            out[: n - k] = moved[k:]
        return np.moveaxis(out, 0, self.axis)


def shift(x: Expr, axis: int, by: int, fill: int = 0) -> Expr:
    """``x`` moved ``by`` places along ``axis``, the empty places holding ``fill``."""
    return Shift(axis, by, fill)(x)


@dataclasses.dataclass(frozen=True)
class Recurrence(Op):
    """The linear recurrence ``r[i] = b[i] + a[i] * r[i - 1]`` along ``axis``.

    With ``reverse``: ``r[i] = b[i] + a[i + 1] * r[i + 1]``, the transpose for the same ``a``."""

    name = "recurrence"
    dask_alternative = (
        "its steps update arrays in place; for positive values, exp(cumsum(log(x))) is a "
        "cumulative product whose derivatives run on Dask"
    )
    helpers = {"_recurrence": _RECURRENCE_HELPER}
    axis: int
    reverse: bool

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        a, b = inputs
        if a.shape != b.shape:
            raise ShapeError(
                self.name,
                f"coefficients {format_shape(a.shape)} and terms {format_shape(b.shape)} differ",
            )
        _check_axis(self.name, self.axis, b.ndim)
        return b.shape, np.result_type(a.dtype, b.dtype)

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return f"_recurrence({args[0]}, {args[1]}, {self.axis}, {self.reverse})"

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        # r = L b with L = (I - M)^-1; M holds a[i] at (i, i - 1) (or, reversed, a[i + 1] at
        # (i, i + 1)). The cotangent of b is L^T g, the other recurrence; that of a is the
        # cotangent of b times the neighbour of r each a[i] multiplies.
        a, _ = node.inputs
        batch = ew.batch_of(cotangent, node)
        axis = self.axis + batch
        lam = recurrence(a, cotangent, axis, not self.reverse)
        if self.reverse:
            d_a = ew.multiply(shift(lam, axis, 1), node)
        else:
            d_a = ew.multiply(lam, shift(node, self.axis, 1))
        return reductions.sum_to(d_a, a.shape, batch), lam

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        a, b = node.inputs
        t_a, t_b = tangents
        if t_a is not None:
            batch = ew.batch_of(t_a, a)
        elif t_b is not None:
            batch = ew.batch_of(t_b, b)
        else:
            return None
        axis = self.axis + batch
        terms = []
        if t_b is not None:
            terms.append(t_b)
        if t_a is not None:  # d r = L (d b + d M r)
            if self.reverse:
                terms.append(shift(ew.multiply(t_a, node), axis, -1))
            else:
                terms.append(ew.multiply(t_a, shift(node, self.axis, 1)))
        total = ew.add_tangents(*terms)
        assert total is not None  # (a term for each tangent given)
        total = ew.fit(total, node, batch)
        return recurrence(a, total, axis, self.reverse)

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        a, b = (np.moveaxis(np.asarray(v, dtype=object), self.axis, 0) for v in args)
        out = np.array(b, dtype=object)
        n = len(out)
        steps = range(n - 2, -1, -1) if self.reverse else range(1, n)
        for i in steps:
            out[i] = out[i] + (a[i + 1] * out[i + 1] if self.reverse else a[i] * out[i - 1])
        return np.moveaxis(out, 0, self.axis)


def recurrence(a: Any, b: Expr, axis: int, reverse: bool = False) -> Expr:
    """``r[i] = b[i] + a[i] * r[i - 1]`` along ``axis`` (``reverse``:
    ``r[i] = b[i] + a[i + 1] * r[i + 1]``); ``a`` is broadcast to ``b``'s shape."""
    a = as_expr(a, like=b)
    if a.shape != b.shape:
        a = shape_ops.broadcast_to(a, b.shape)
    return Recurrence(axis, reverse)(a, b)
