"""NumPy's reductions that skip nan (``nansum``, ``nanmean``, ``nanmax``, ``nancumsum``...).

Each is the plain reduction of the input with its nan elements replaced by the value that
changes nothing (0 for sums, 1 for products, -inf for a maximum), as NumPy computes them,
so the derivative comes from ``where`` and the plain reduction: 0 at the nan elements. The
means and variances divide by the number of elements that are not nan. Slices of nan alone
give what NumPy gives: 0 for ``nansum``, 1 for ``nanprod``, nan for the means, variances
and extrema (NumPy warns there), and an error when the compiled function runs for
``nanargmax`` and ``nanargmin`` (NumPy's own call raises it). Inputs of integers hold no
nan: their reductions are the plain ones.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.expr import Expr
from ..core.shapes import normalize_axes, normalize_axis
from . import elementwise as ew
from . import reductions, shape_ops
from .arguments import computed_in, no_out
from .base import EmitContext
from .leaves import as_expr
from .truth import all as all_of

__all__ = [
    "nanargmax",
    "nanargmin",
    "nancumprod",
    "nancumsum",
    "nanmax",
    "nanmean",
    "nanmin",
    "nanprod",
    "nanstd",
    "nansum",
    "nanvar",
]


def _prepared(name: str, a: Any, dtype: Any = None) -> Expr:
    return computed_in(as_expr(a), dtype, name)


def _has_nan(x: Expr) -> bool:
    """Whether ``x``'s dtype can hold nan."""
    return x.dtype.kind in "fc"


def _filled(x: Expr, value: float) -> Expr:
    """``x`` with its nan elements replaced by ``value`` (0 derivative there)."""
    if not _has_nan(x):
        return x
    return ew.where(ew.isnan(x), as_expr(value, like=x), x)


def _kept(x: Expr, axes: tuple[int, ...], keepdims: bool, dtype: np.dtype) -> Expr:
    """The number of elements along ``axes`` that are not nan, in ``dtype``."""
    missing = reductions.sum(shape_ops.astype(ew.isnan(x), dtype), axis=axes, keepdims=keepdims)
    return ew.subtract(reductions.count(x, axes, dtype), missing)


def nansum(
    a: Any, axis: Any = None, dtype: Any = None, out: None = None, keepdims: bool = False
) -> Expr:
    """Sum over ``axis`` counting nan as 0, like ``np.nansum``; the derivative is 0 at nan.

    >>> import numpy as np, symgrad as sg
    >>> float(sg.nansum(sg.const([1.0, np.nan, 2.0])).eval())
    3.0
    """
    no_out("nansum", out)
    x = _prepared("nansum", a, dtype)
    return reductions.sum(_filled(x, 0.0), axis=axis, keepdims=keepdims)


def nanprod(
    a: Any, axis: Any = None, dtype: Any = None, out: None = None, keepdims: bool = False
) -> Expr:
    """Product over ``axis`` counting nan as 1, like ``np.nanprod``; derivative 0 at nan."""
    no_out("nanprod", out)
    x = _prepared("nanprod", a, dtype)
    return reductions.prod(_filled(x, 1.0), axis=axis, keepdims=keepdims)


def nanmean(
    a: Any, axis: Any = None, dtype: Any = None, out: None = None, keepdims: bool = False
) -> Expr:
    """Mean of the elements that are not nan over ``axis``, like ``np.nanmean`` (nan where
    all are nan); the derivative is 0 at nan.

    >>> import numpy as np, symgrad as sg
    >>> float(sg.nanmean(sg.const([1.0, np.nan, 2.0])).eval())
    1.5
    """
    no_out("nanmean", out)
    x = _prepared("nanmean", a, dtype)
    if not _has_nan(x):
        return reductions.mean(x, axis=axis, keepdims=keepdims)
    axes = normalize_axes("nanmean", axis, x.ndim)
    total = reductions.sum(_filled(x, 0.0), axis=axes, keepdims=keepdims)
    return ew.divide(total, _kept(x, axes, keepdims, total.dtype))


def nanvar(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: None = None,
    ddof: int = 0,
    keepdims: bool = False,
) -> Expr:
    """Variance of the elements that are not nan over ``axis`` with ``ddof`` delta degrees
    of freedom, like ``np.nanvar``; the derivative is 0 at nan.

    >>> import numpy as np, symgrad as sg
    >>> float(sg.nanvar(sg.const([1.0, np.nan, 3.0])).eval())
    1.0
    """
    no_out("nanvar", out)
    x = _prepared("nanvar", a, dtype)
    if not _has_nan(x):
        return reductions.var(x, axis=axis, ddof=ddof, keepdims=keepdims)
    axes = normalize_axes("nanvar", axis, x.ndim)
    centre = nanmean(x, axis=axes, keepdims=True)
    centred = ew.where(ew.isnan(x), as_expr(0.0, like=x), ew.subtract(x, centre))
    # Over one element left, as ``var`` over one element: constant (derivative 0).
    single = ew.equal(_kept(x, axes, True, np.dtype(np.float64)), 1.0)
    total = reductions.sum_of_squares(reductions.constant_where(single, centred), axes, keepdims)
    n = _kept(x, axes, keepdims, total.dtype)
    if not ddof:
        return ew.divide(total, n)
    # As NumPy: nan where no degree of freedom is left (``ddof`` or more elements missing).
    freedom = ew.subtract(n, float(ddof))
    spread = ew.divide(total, freedom)
    return ew.where(ew.less_equal(freedom, 0.0), as_expr(np.nan, like=spread), spread)


def nanstd(
    a: Any,
    axis: Any = None,
    dtype: Any = None,
    out: None = None,
    ddof: int = 0,
    keepdims: bool = False,
) -> Expr:
    """Standard deviation of the elements that are not nan, like ``np.nanstd``."""
    no_out("nanstd", out)
    return ew.sqrt(nanvar(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims))


def _nan_extremum(name: str, a: Any, axis: Any, keepdims: bool, largest: bool) -> Expr:
    x = as_expr(a)
    reduce = reductions.max if largest else reductions.min
    if not _has_nan(x):
        return reduce(x, axis=axis, keepdims=keepdims)
    axes = normalize_axes(name, axis, x.ndim)
    missing = ew.isnan(x)
    extreme = reduce(_filled(x, -np.inf if largest else np.inf), axis=axes, keepdims=keepdims)
    only_nan = all_of(missing, axis=axes, keepdims=keepdims)
    return ew.where(only_nan, as_expr(np.nan, like=extreme), extreme)


def nanmax(a: Any, axis: Any = None, out: None = None, keepdims: bool = False) -> Expr:
    """Maximum over ``axis`` ignoring nan, like ``np.nanmax`` (nan where all are nan); ties
    share the derivative as in ``max``, nan elements get 0.

    >>> import numpy as np, symgrad as sg
    >>> float(sg.nanmax(sg.const([1.0, np.nan, 2.0])).eval())
    2.0
    """
    no_out("nanmax", out)
    return _nan_extremum("nanmax", a, axis, keepdims, largest=True)


def nanmin(a: Any, axis: Any = None, out: None = None, keepdims: bool = False) -> Expr:
    """Minimum over ``axis`` ignoring nan, like ``np.nanmin`` (nan where all are nan)."""
    no_out("nanmin", out)
    return _nan_extremum("nanmin", a, axis, keepdims, largest=False)


@dataclasses.dataclass(frozen=True)
class NanArgExtreme(reductions.ArgExtreme):
    """The index of the largest (``nanargmax``) or smallest (``nanargmin``) element along
    ``axis`` that is not nan: an integer, with no derivative. A slice of nan alone raises
    NumPy's ValueError when the compiled function runs."""

    name = "nan_arg_extreme"

    def label(self) -> str:
        return "nanargmax" if self.largest else "nanargmin"

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        keep = ", keepdims=True" if self.keepdims else ""
        return f"np.{self.label()}({args[0]}, axis={self.axis}{keep})"


def _nan_arg_extreme(a: Any, axis: int | None, keepdims: bool, largest: bool) -> Expr:
    x = as_expr(a)
    if not _has_nan(x):
        find = reductions.argmax if largest else reductions.argmin
        return find(x, axis=axis, keepdims=keepdims)
    name = "nanargmax" if largest else "nanargmin"
    if axis is None:
        flat = NanArgExtreme(largest, 0, False)(shape_ops.reshape(x, (-1,)))
        return shape_ops.reshape(flat, (1,) * x.ndim) if keepdims else flat
    return NanArgExtreme(largest, normalize_axis(name, axis, x.ndim), keepdims)(x)


def nanargmax(a: Any, axis: int | None = None, out: None = None, *, keepdims: bool = False) -> Expr:
    """Index of the largest element that is not nan along ``axis``, like ``np.nanargmax``.
    An integer result: it has no derivative.

    >>> import numpy as np, symgrad as sg
    >>> int(sg.nanargmax(sg.const([1.0, np.nan, 2.0])).eval())
    2
    """
    no_out("nanargmax", out)
    return _nan_arg_extreme(a, axis, keepdims, largest=True)


def nanargmin(a: Any, axis: int | None = None, out: None = None, *, keepdims: bool = False) -> Expr:
    """Index of the smallest element that is not nan along ``axis`` (``np.nanargmin``)."""
    no_out("nanargmin", out)
    return _nan_arg_extreme(a, axis, keepdims, largest=False)


def nancumsum(a: Any, axis: int | None = None, dtype: Any = None, out: None = None) -> Expr:
    """Cumulative sum along ``axis`` counting nan as 0, like ``np.nancumsum``.

    >>> import numpy as np, symgrad as sg
    >>> sg.nancumsum(sg.const([1.0, np.nan, 2.0])).eval().tolist()
    [1.0, 1.0, 3.0]
    """
    no_out("nancumsum", out)
    return reductions.cumsum(_filled(_prepared("nancumsum", a, dtype), 0.0), axis=axis)


def nancumprod(a: Any, axis: int | None = None, dtype: Any = None, out: None = None) -> Expr:
    """Cumulative product along ``axis`` counting nan as 1, like ``np.nancumprod``."""
    no_out("nancumprod", out)
    return reductions.cumprod(_filled(_prepared("nancumprod", a, dtype), 1.0), axis=axis)
