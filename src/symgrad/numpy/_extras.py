"""NumPy names whose symgrad spelling differs, or that only NumPy-style code needs.

``symgrad.numpy`` takes most of its functions from symgrad's own (``sg.sum`` is
``np.sum``); these are the NumPy functions symgrad spells otherwise (``var`` is a variable
declaration in ``symgrad``, the variance here) or does not need (``array``, ``shape``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.expr import Expr
from ..ops import elementwise as ew
from ..ops import linalg, reductions, shape_ops
from ..ops.arguments import no_out
from ..ops.leaves import as_expr
from ..ops.reductions import var as variance

#: The variance (``np.var``): ``sg.var`` declares a variable.
var = variance


def where(condition: Any, x: Any = None, y: Any = None) -> Expr:
    """``x`` where ``condition`` is true, else ``y`` (``np.where``). The one-argument form
    (``np.nonzero``) is refused: its shape depends on the values."""
    if x is None and y is None:
        raise TypeError(
            "numpy.where with only a condition is numpy.nonzero, whose result's shape "
            "depends on the values: not supported on symbolic expressions (pass both x and "
            "y: np.where(condition, x, y))"
        )
    if x is None or y is None:
        raise TypeError("numpy.where: either both or neither of x and y should be given")
    return ew.where(condition, x, y)


def amax(a: Any, axis: Any = None, out: None = None, keepdims: bool = False) -> Expr:
    """The largest element along ``axis`` (``np.amax``, NumPy's other name for ``max``)."""
    return reductions.max(a, axis, out, keepdims)


def amin(a: Any, axis: Any = None, out: None = None, keepdims: bool = False) -> Expr:
    """The smallest element along ``axis`` (``np.amin``, NumPy's other name for ``min``)."""
    return reductions.min(a, axis, out, keepdims)


def ravel(a: Any, order: str = "C") -> Expr:
    """``a`` flattened to one axis in row-major order (``np.ravel``)."""
    if order not in ("C", "K", "A"):
        raise TypeError(f"ravel: order={order!r} is not supported (only row-major, 'C')")
    return as_expr(a).ravel()


def positive(x: Any) -> Expr:
    """``+x`` (``np.positive``): the same expression."""
    return as_expr(x)


def cbrt(x: Any) -> Expr:
    """The real cube root (``np.cbrt``): ``sign(x) * |x| ** (1/3)``; its derivative at 0 is
    infinite, like the function's slope."""
    x = as_expr(x)
    return ew.multiply(ew.sign(x), ew.power(ew.abs(x), as_expr(1.0 / 3.0, like=x)))


def float_power(x1: Any, x2: Any) -> Expr:
    """``x1 ** x2`` computed in float64 (``np.float_power``)."""
    a, b = (shape_ops.astype(as_expr(v), np.float64) for v in (x1, x2))
    return ew.power(a, b)


def vdot(a: Any, b: Any) -> Expr:
    """The dot product of ``a`` (conjugated, if complex) and ``b`` flattened (``np.vdot``)."""
    return linalg.dot(ew.conj(as_expr(a)).ravel(), as_expr(b).ravel())


def round(a: Any, decimals: int = 0, out: None = None) -> Expr:  # noqa: A001 (NumPy's name)
    """``a`` rounded to ``decimals`` places, halves to even (``np.round``); derivative 0."""
    no_out("round", out)
    return ew.rounded(a, decimals)


def nan_to_num(
    x: Any, copy: bool = True, nan: float = 0.0, posinf: Any = None, neginf: Any = None
) -> Expr:
    """``x`` with nan replaced by ``nan``, +inf by ``posinf`` and -inf by ``neginf``
    (by default 0 and the largest finite values), like ``np.nan_to_num``. The derivative is
    1 where ``x`` is finite, else 0."""
    x = as_expr(x)
    y = ew.nan_to_num(x)
    if x.dtype.kind != "f":
        return y
    if nan != 0.0:
        y = ew.where(ew.isnan(x), as_expr(nan, like=y), y)
    if posinf is not None:
        y = ew.where(ew.equal(x, np.inf), as_expr(posinf, like=y), y)
    if neginf is not None:
        y = ew.where(ew.equal(x, -np.inf), as_expr(neginf, like=y), y)
    return y


def array(
    object: Any,  # noqa: A002 (NumPy's name)
    dtype: Any = None,
    *,
    copy: Any = True,
    order: Any = "K",
    subok: bool = False,
    ndmin: int = 0,
    ndmax: int = 0,
    like: Any = None,
) -> Expr:
    """An expression from an expression, an array, a number or nested lists of them
    (``np.array``; lists of expressions are stacked, as NumPy stacks lists of arrays).

    >>> import symgrad as sg, symgrad.numpy as snp
    >>> x = sg.var("x")
    >>> snp.array([[x, 1.0], [2.0, x]]).shape
    (2, 2)
    """
    x = as_expr(object)
    if dtype is not None:
        x = shape_ops.astype(x, dtype)
    if ndmin > x.ndim:
        x = shape_ops.reshape(x, (1,) * (ndmin - x.ndim) + x.shape)
    return x


def asarray(
    a: Any,
    dtype: Any = None,
    order: Any = None,
    *,
    device: Any = None,
    copy: Any = None,
    like: Any = None,
) -> Expr:
    """``a`` as an expression (``np.asarray``): expressions as they are, arrays, numbers and
    nested lists of them as constants or stacks."""
    return array(a, dtype)


def copy(a: Any, order: str = "K", subok: bool = False) -> Expr:
    """``a`` (``np.copy``): expressions are immutable, so a copy is the same expression."""
    return as_expr(a)


def shape(a: Any) -> tuple[Any, ...]:
    """The shape of ``a`` (``np.shape``); symbolic dimensions are their names."""
    return a.shape if isinstance(a, Expr) else np.shape(a)


def ndim(a: Any) -> int:
    """The number of dimensions of ``a`` (``np.ndim``)."""
    return a.ndim if isinstance(a, Expr) else np.ndim(a)


def size(a: Any, axis: int | None = None) -> Any:
    """The number of elements of ``a`` (along ``axis``), like ``np.size``."""
    if not isinstance(a, Expr):
        return np.size(a, axis)
    return a.size if axis is None else a.shape[axis]


#: The NumPy functions defined here, by name.
FUNCTIONS = {
    f.__name__: f
    for f in (
        var,
        where,
        amax,
        amin,
        ravel,
        positive,
        cbrt,
        float_power,
        vdot,
        round,
        nan_to_num,
        array,
        asarray,
        copy,
        shape,
        ndim,
        size,
    )
}
