"""``r_`` and ``c_``: NumPy's index-style concatenation (``r_[x, 0.0, 1:4]``), for
expressions, arrays, numbers and slices (ranges, or ``start:stop:numj`` for ``linspace``).

A leading string sets the axis and more, as in NumPy: ``"axis"``, ``"axis,ndmin"`` or
``"axis,ndmin,trans1d"`` (where a short item's own axes go among the ``ndmin``). The matrix
directives ``"r"`` and ``"c"`` are not supported.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..core.expr import Expr
from . import shape_ops
from .leaves import as_expr, as_exprs


class Concatenator:
    """Concatenate what it is indexed with (``r_[...]``, ``c_[...]``) along ``axis``, each
    item given at least ``ndmin`` dims with its own axes placed by ``trans1d``."""

    def __init__(self, axis: int = 0, ndmin: int = 1, trans1d: int = -1, name: str = "r_"):
        self.axis, self.ndmin, self.trans1d, self.name = axis, ndmin, trans1d, name

    def __repr__(self) -> str:
        return f"symgrad.{self.name}"

    def __getitem__(self, key: Any) -> Expr:
        items = list(key) if isinstance(key, tuple) else [key]
        axis, ndmin, trans1d = self.axis, self.ndmin, self.trans1d
        if items and isinstance(items[0], str):
            axis, ndmin, trans1d = _directive(self.name, items.pop(0), ndmin, trans1d)
        if not items:
            raise ValueError(f"{self.name}: nothing to concatenate")
        parts: list[Any] = []
        scalars: list[int] = []
        for item in items:
            if isinstance(item, str):
                raise ValueError(f"{self.name}: a string is allowed only as the first item")
            if isinstance(item, slice):
                parts.append(_with_ndmin(as_expr(_range(self.name, item)), ndmin, trans1d))
            elif isinstance(item, numbers.Number) and not isinstance(item, Expr):
                scalars.append(len(parts))
                parts.append(item)
            else:
                parts.append(_with_ndmin(as_expr(item), ndmin, trans1d))
        # Numbers take the dtype of the arrays beside them (as NumPy's result_type of the
        # items, Python numbers weak).
        exprs = as_exprs(*parts)
        joined = [
            shape_ops.reshape(e, (1,) * max(ndmin, 1)) if i in scalars else e
            for i, e in enumerate(exprs)
        ]
        return shape_ops.concatenate(joined, axis=axis)


def _directive(name: str, text: str, ndmin: int, trans1d: int) -> tuple[int, int, int]:
    if text in ("r", "c"):
        raise ValueError(f"{name}: the matrix directives 'r' and 'c' are not supported")
    try:
        numbers_given = [int(part) for part in text.split(",")]
    except ValueError:
        raise ValueError(f"{name}: unknown directive {text!r}") from None
    if not 1 <= len(numbers_given) <= 3:
        raise ValueError(f"{name}: a directive is 'axis[,ndmin[,trans1d]]', got {text!r}")
    axis, *rest = numbers_given
    if rest:
        ndmin = rest[0]
    if len(rest) > 1:
        trans1d = rest[1]
    return axis, ndmin, trans1d


def _range(name: str, item: slice) -> np.ndarray:
    """A slice as NumPy's concatenators read it: ``arange``, or ``linspace`` for a complex
    step (its magnitude is the number of points)."""
    start = 0 if item.start is None else item.start
    step = 1 if item.step is None else item.step
    if any(isinstance(v, Expr) for v in (start, item.stop, step)):
        raise TypeError(f"{name}: slice bounds must be numbers (they fix the result's length)")
    if isinstance(step, (complex, np.complexfloating)):
        return np.linspace(start, item.stop, num=int(abs(complex(step))))
    return np.arange(start, item.stop, step)


def _with_ndmin(x: Expr, ndmin: int, trans1d: int) -> Expr:
    """``x`` with at least ``ndmin`` dims: size-1 axes in front, then its own axes moved to
    start at ``trans1d`` (``-1``: left last), as NumPy's concatenators place them."""
    if x.ndim >= ndmin:
        return x
    k2 = ndmin - x.ndim
    y = shape_ops.reshape(x, (1,) * k2 + x.shape)
    if trans1d == -1:
        return y
    k1 = trans1d + k2 + 1 if trans1d < 0 else trans1d
    axes = list(range(ndmin))
    return shape_ops.transpose(y, tuple(axes[:k1] + axes[k2:] + axes[k1:k2]))


r_ = Concatenator(0, 1, -1, "r_")
r_.__doc__ = """Concatenation along the first axis by indexing: ``sg.r_[x, 0.0, 1:4]`` (``np.r_``).

>>> import symgrad as sg
>>> sg.r_[sg.const([1.0, 2.0]), 0.0, 5:7].eval().tolist()
[1.0, 2.0, 0.0, 5.0, 6.0]
"""
c_ = Concatenator(-1, 2, 0, "c_")
c_.__doc__ = """Concatenation along the last axis, vectors as columns: ``sg.c_[x, y]`` (``np.c_``).

>>> import symgrad as sg
>>> sg.c_[sg.const([1.0, 2.0]), sg.const([3.0, 4.0])].eval().tolist()
[[1.0, 3.0], [2.0, 4.0]]
"""
