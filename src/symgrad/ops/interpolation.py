"""Piecewise-linear interpolation (``np.interp``) and the positions it looks up
(``np.searchsorted``).

:class:`SearchSorted` gives integers (no derivative). ``interp`` is built from it: the
interval ``j`` holding each ``x``, then ``fp[j] + (x - xp[j]) * slope`` with the slope of
that interval, as NumPy computes it, and ``left``/``right`` outside ``xp``. So it is
differentiable in ``x`` (the slope; 0 outside ``xp``), in ``fp`` and in ``xp`` (the
derivative of the formula of the interval holding ``x``); at the points of ``xp``
themselves, where the slope jumps, the derivative is the one of the interval to the right;
at the last point the value is ``fp[-1]`` itself, as in NumPy (derivative 0 in ``x``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from ..core.expr import Expr
from ..core.shapes import Shape, format_shape
from ..errors import ShapeError
from . import elementwise as ew
from . import shape_ops
from .arrangement import take
from .base import EmitContext, Op
from .leaves import as_expr
from .sorting import argsort

__all__ = ["interp", "searchsorted"]


@dataclasses.dataclass(frozen=True)
class SearchSorted(Op):
    """Where each element of ``v`` would go into the sorted one-dimensional ``a`` to keep it
    sorted (``np.searchsorted``): before equal elements (``side='left'``) or after them
    (``'right'``). Integers: no derivative."""

    dask_alternative = "compute the positions on the NumPy backend"

    name = "searchsorted"
    differentiable = False
    side: Literal["left", "right"] = "left"

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        a, v = inputs
        if a.ndim != 1:
            raise ShapeError(self.name, f"a must be one-dimensional, got {format_shape(a.shape)}")
        for x in (a, v):
            if x.dtype.kind not in "biuf":
                raise TypeError(f"{self.name}: {x.dtype} values have no order to search in")
        return v.shape, np.dtype(np.intp)

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        side = ", side='right'" if self.side == "right" else ""
        return f"np.searchsorted({args[0]}, {args[1]}{side})"

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        return (None, None)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        return None


def searchsorted(a: Any, v: Any, side: str = "left", sorter: Any = None) -> Expr:
    """Positions in the sorted one-dimensional ``a`` where the elements of ``v`` would be
    inserted to keep it sorted, like ``np.searchsorted`` (``sorter``: the positions that
    sort ``a``, if it is not sorted). An integer result: it has no derivative.

    >>> import symgrad as sg
    >>> sg.searchsorted(sg.const([1.0, 2.0, 3.0]), [2.0, 0.5], side="right").eval().tolist()
    [2, 0]
    """
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    x = as_expr(a)
    if sorter is not None:
        x = take(x, sorter)
    return SearchSorted(side)(x, as_expr(v))  # type: ignore[arg-type]


def _wrapped(x: Expr, xp: Expr, fp: Expr, period: Any) -> tuple[Expr, Expr, Expr]:
    """``x`` and ``xp`` taken modulo ``period``, ``xp`` sorted (and ``fp`` with it), and one
    point added at each end from the other end, as NumPy's ``interp`` does for a period."""
    if isinstance(period, Expr):
        raise TypeError("interp: period must be a number, not an expression")
    step = float(period)
    if step == 0.0 or not np.isfinite(step):
        raise ValueError(f"interp: period must be a nonzero finite number, got {period!r}")
    step = abs(step)
    x = ew.remainder(x, as_expr(step, like=x))
    xp = ew.remainder(xp, as_expr(step, like=xp))
    order = argsort(xp)
    xp, fp = take(xp, order), take(fp, order)
    shift = as_expr(step, like=xp)
    xp = shape_ops.concatenate([ew.subtract(xp[-1:], shift), xp, ew.add(xp[:1], shift)])
    fp = shape_ops.concatenate([fp[-1:], fp, fp[:1]])
    return x, xp, fp


def interp(
    x: Any, xp: Any, fp: Any, left: Any = None, right: Any = None, period: Any = None
) -> Expr:
    """The piecewise-linear interpolant through the points ``(xp, fp)`` at ``x``, like
    ``np.interp`` (``xp`` increasing; ``left`` and ``right``, by default ``fp[0]`` and
    ``fp[-1]``, outside it; ``period`` for periodic ``xp``). In float64, or complex128 for
    complex ``fp``, as NumPy. Differentiable in ``x``, ``xp`` and ``fp``.

    >>> import symgrad as sg
    >>> x = sg.var("x", shape=(2,))
    >>> y = sg.interp(x, [0.0, 1.0, 2.0], [0.0, 10.0, 0.0])
    >>> y.eval({x: [0.25, 1.5]}).tolist()
    [2.5, 5.0]
    >>> sg.grad(y.sum(), x).eval({x: [0.25, 1.5]}).tolist()
    [10.0, -10.0]
    """
    values, knots, heights = as_expr(x), as_expr(xp), as_expr(fp)
    for what, e in (("xp", knots), ("fp", heights)):
        if e.ndim != 1:
            raise ShapeError(
                "interp", f"{what} must be one-dimensional, got {format_shape(e.shape)}"
            )
    if knots.shape != heights.shape:
        raise ShapeError(
            "interp",
            f"xp and fp must have the same length, got {format_shape(knots.shape)} and "
            f"{format_shape(heights.shape)}",
        )
    if values.dtype.kind == "c" or knots.dtype.kind == "c":
        raise TypeError("interp: x and xp must be real (fp may be complex)")
    n = knots.shape[0]
    if not isinstance(n, int):
        raise ShapeError("interp", f"xp needs a known length, got {n!r}")
    if n == 0:
        raise ValueError("interp: xp and fp must not be empty")
    real = np.dtype(np.float64)
    values, knots = shape_ops.astype(values, real), shape_ops.astype(knots, real)
    heights = shape_ops.astype(heights, np.complex128 if heights.dtype.kind == "c" else real)
    if period is not None:
        values, knots, heights = _wrapped(values, knots, heights, period)
        left = right = None
        n += 2
    first, last = heights[0], heights[n - 1]
    if n == 1:
        inside = shape_ops.broadcast_to(first, values.shape)
    else:
        found = SearchSorted("right")(knots, values)
        j = ew.clip(ew.subtract(found, 1), 0, n - 2)
        x0, x1 = take(knots, j), take(knots, ew.add(j, 1))
        f0, f1 = take(heights, j), take(heights, ew.add(j, 1))
        slope = ew.divide(ew.subtract(f1, f0), ew.subtract(x1, x0))
        inside = ew.add(ew.multiply(slope, ew.subtract(values, x0)), f0)
        # At the last point NumPy gives fp[-1] itself: exact, and no nan from a last
        # interval of zero width or an infinite last knot.
        at_last = ew.equal(values, knots[n - 1])
        inside = ew.where(at_last, shape_ops.broadcast_to(last, inside.shape), inside)
    below = first if left is None else as_expr(left, like=inside)
    above = last if right is None else as_expr(right, like=inside)
    outside_above = ew.where(ew.greater(values, knots[n - 1]), above, inside)
    return ew.where(ew.less(values, knots[0]), below, outside_above)
