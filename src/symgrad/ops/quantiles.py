"""Order statistics: ``median``, ``quantile`` and ``percentile``, and their nan-skipping
versions, with NumPy's default ``method='linear'``.

Each sorts the values along the reduced axes (moved to the end and merged into one) and
interpolates between the two sorted values around the virtual index ``q * (n - 1)``, as
NumPy does; so the derivative goes back through the sort's permutation to the elements
picked, weighted by the interpolation. ``q`` is data (numbers or an array), not an
expression: the positions it picks are fixed when the graph is built. The plain functions
give nan for slices holding nan (NumPy's sort puts nan last, and NumPy checks the last);
the nan-skipping ones count the elements that are not nan when the code runs, and pick
their positions then.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.expr import Expr
from ..core.shapes import normalize_axes
from . import elementwise as ew
from . import reductions, shape_ops
from .arguments import no_out
from .arrangement import moveaxis, take_along_axis
from .leaves import as_expr, const
from .sorting import sort

__all__ = ["median", "nanmedian", "nanpercentile", "nanquantile", "percentile", "quantile"]


def _last_axis(name: str, a: Any, axis: Any) -> tuple[Expr, tuple[int, ...]]:
    """``a`` (as floats) with the axes of ``axis`` moved to the end and merged into one,
    and those axes (normalized)."""
    x = as_expr(a)
    if x.dtype.kind == "c":
        raise TypeError(f"{name}: complex values have no order; take the statistic of a real part")
    if x.dtype.kind != "f":
        x = shape_ops.astype(x, np.float64)  # as NumPy: the statistics of integers are floats
    axes = normalize_axes(name, axis, x.ndim)
    if not axes:
        raise ValueError(f"{name}: needs at least one axis to reduce")
    sizes = [x.shape[i] for i in axes]
    if not all(isinstance(s, int) for s in sizes):
        raise ValueError(f"{name}: the reduced axes need known sizes, got {tuple(sizes)}")
    if 0 in sizes:
        raise ValueError(f"{name}: cannot take the statistic of an empty axis")
    others = [i for i in range(x.ndim) if i not in axes]
    if others + list(axes) != list(range(x.ndim)):
        x = shape_ops.transpose(x, tuple(others + list(axes)))
    if len(axes) != 1:
        x = shape_ops.reshape(x, tuple(x.shape[: len(others)]) + (-1,))
    return x, axes


def _kept(y: Expr, shape: tuple[Any, ...], axes: tuple[int, ...], lead: int) -> Expr:
    """A result with ``lead`` leading axes of ``q``, reshaped to keep ``axes`` as size 1."""
    kept = tuple(1 if i in axes else d for i, d in enumerate(shape))
    return shape_ops.reshape(y, y.shape[:lead] + kept)


def _fractions(name: str, q: Any, scale: float) -> np.ndarray:
    """``q`` as an array of fractions in [0, 1] (``scale``: 100 for percentiles)."""
    if isinstance(q, Expr):
        raise TypeError(
            f"{name}: q must be numbers or an array, not an expression: the positions it "
            "picks are fixed when the graph is built"
        )
    values = np.asarray(q, dtype=np.float64) / scale
    if not np.all((values >= 0) & (values <= 1)):
        bound = "[0, 100]" if scale == 100 else "[0, 1]"
        raise ValueError(f"{name}: q must be in the range {bound}, got {q!r:.60}")
    return values


def _result_dtype(dtype: np.dtype, q: Any) -> np.dtype:
    """NumPy's dtype of the quantiles: a Python number ``q`` keeps ``dtype`` (NEP 50), an
    array or a NumPy scalar is promoted with it."""
    if isinstance(q, (int, float)) and not isinstance(q, np.generic):
        return dtype
    return np.result_type(dtype, np.asarray(q).dtype)


def _check_method(name: str, method: Any, weights: Any) -> None:
    if method != "linear":
        raise ValueError(
            f"{name}: only method='linear' (NumPy's default) is supported, got {method!r}"
        )
    if weights is not None:
        raise TypeError(f"{name}: weights= is not supported on symbolic expressions")


def _lerp(below: Expr, above: Expr, t: Expr | np.ndarray) -> Expr:
    """``below + (above - below) * t`` as NumPy's quantile computes it: from ``above``
    where ``t >= 0.5`` (so that ``t = 1`` gives ``above`` exactly). ``t`` known when the
    graph is built (an array) picks the form there."""
    step = ew.subtract(above, below)
    weight = t if isinstance(t, Expr) else const(t.astype(below.dtype))
    low = ew.add(below, ew.multiply(step, weight))
    high = ew.subtract(above, ew.multiply(step, ew.subtract(as_expr(1, like=weight), weight)))
    if not isinstance(t, Expr) and np.all(t >= 0.5):
        return high
    if not isinstance(t, Expr) and np.all(t < 0.5):
        return low
    upper = ew.greater_equal(weight, as_expr(0.5, like=weight))
    return ew.where(upper, high, low)


def _with_nan_of(result: Expr, ordered: Expr, lead: int) -> Expr:
    """``result`` with nan where the sorted slice ends in nan (it holds some nan)."""
    last = shape_ops.getitem(ordered, (Ellipsis, -1))
    last = shape_ops.reshape(last, (1,) * lead + last.shape)
    return ew.where(ew.isnan(last), as_expr(np.nan, like=result), result)


def _front(y: Expr, k: int) -> Expr:
    """``y`` with its last ``k`` axes (those of ``q``) moved to the front."""
    if k == 0:
        return y
    return moveaxis(y, list(range(-k, 0)), list(range(k)))


def _at_fractions(x: Expr, fractions: np.ndarray) -> Expr:
    """The linear quantiles ``fractions`` of ``x`` along its last axis; the axes of
    ``fractions`` first, as NumPy's ``quantile`` gives them."""
    ordered = sort(x, axis=-1)
    n = x.shape[-1]
    assert isinstance(n, int)
    virtual = fractions * (n - 1)
    below = np.clip(np.floor(virtual), 0, n - 1).astype(np.int64)
    above = np.minimum(below + 1, n - 1)
    k = fractions.ndim
    a = _front(shape_ops.getitem(ordered, (Ellipsis, below if k else int(below))), k)
    b = _front(shape_ops.getitem(ordered, (Ellipsis, above if k else int(above))), k)
    t = (virtual - below).reshape(fractions.shape + (1,) * (a.ndim - k))
    return _with_nan_of(_lerp(a, b, t), ordered, k)


def _nan_at_fractions(x: Expr, fractions: np.ndarray) -> Expr:
    """As ``_at_fractions``, among the elements that are not nan (positions picked when the
    code runs: nan sorts last, so they are the first ``count`` sorted elements)."""
    ordered = sort(x, axis=-1)
    n = x.shape[-1]
    assert isinstance(n, int)
    missing = reductions.sum(shape_ops.astype(ew.isnan(x), x.dtype), axis=-1, keepdims=True)
    last = ew.subtract(as_expr(float(n - 1), like=missing), missing)  # (..., 1): count - 1
    virtual = ew.multiply(const(fractions.reshape(-1).astype(x.dtype)), last)  # (..., m)
    below = ew.clip(ew.floor(virtual), 0.0, float(n - 1))
    top = ew.maximum(last, as_expr(0.0, like=last))
    above = ew.minimum(ew.add(below, as_expr(1.0, like=below)), top)
    a = take_along_axis(ordered, shape_ops.astype(below, np.int64), -1)
    b = take_along_axis(ordered, shape_ops.astype(above, np.int64), -1)
    result = _lerp(a, b, ew.subtract(virtual, below))  # (..., m)
    # An all-nan slice has no element left: nan, with no derivative to any (nan) element.
    nothing = ew.less(last, as_expr(0.0, like=last))
    result = ew.where(nothing, as_expr(np.nan, like=result), result)
    return _front(shape_ops.reshape(result, result.shape[:-1] + fractions.shape), fractions.ndim)


def _quantile(
    name: str, a: Any, q: Any, axis: Any, keepdims: bool, scale: float, skip_nan: bool
) -> Expr:
    fractions = _fractions(name, q, scale)
    x, axes = _last_axis(name, a, axis)
    x = shape_ops.astype(x, _result_dtype(x.dtype, q))
    shape = as_expr(a).shape
    pick = _nan_at_fractions if skip_nan else _at_fractions
    result = pick(x, fractions)
    return _kept(result, shape, axes, fractions.ndim) if keepdims else result


def quantile(
    a: Any,
    q: Any,
    axis: Any = None,
    out: None = None,
    overwrite_input: bool = False,
    method: str = "linear",
    keepdims: bool = False,
    *,
    weights: Any = None,
) -> Expr:
    """The ``q``-th quantiles (``q`` in [0, 1], numbers) along ``axis``, like
    ``np.quantile`` with its default linear interpolation; the axes of ``q`` come first.
    The derivative goes to the two sorted elements around each quantile
    (``overwrite_input`` is accepted and changes nothing).

    >>> import symgrad as sg
    >>> x = sg.var("x", shape=(4,))
    >>> float(sg.quantile(x, 0.5).eval({x: [4.0, 1.0, 3.0, 2.0]}))
    2.5
    >>> sg.grad(sg.quantile(x, 0.5), x).eval({x: [4.0, 1.0, 3.0, 2.0]}).tolist()
    [0.0, 0.0, 0.5, 0.5]
    """
    no_out("quantile", out)
    _check_method("quantile", method, weights)
    return _quantile("quantile", a, q, axis, keepdims, 1.0, skip_nan=False)


def percentile(
    a: Any,
    q: Any,
    axis: Any = None,
    out: None = None,
    overwrite_input: bool = False,
    method: str = "linear",
    keepdims: bool = False,
    *,
    weights: Any = None,
) -> Expr:
    """The ``q``-th percentiles (``q`` in [0, 100]) along ``axis``, like ``np.percentile``
    (``quantile`` of ``q / 100``)."""
    no_out("percentile", out)
    _check_method("percentile", method, weights)
    return _quantile("percentile", a, q, axis, keepdims, 100.0, skip_nan=False)


def median(
    a: Any,
    axis: Any = None,
    out: None = None,
    overwrite_input: bool = False,
    keepdims: bool = False,
) -> Expr:
    """The median along ``axis``, like ``np.median``: the middle sorted element, or the mean
    of the two middle ones; nan where a slice holds nan. The derivative goes to them.

    >>> import symgrad as sg
    >>> float(sg.median(sg.const([3.0, 1.0, 2.0, 10.0])).eval())
    2.5
    """
    no_out("median", out)
    x, axes = _last_axis("median", a, axis)
    ordered = sort(x, axis=-1)
    n = x.shape[-1]
    assert isinstance(n, int)
    middle = slice((n - 1) // 2, n // 2 + 1)
    result = reductions.mean(shape_ops.getitem(ordered, (Ellipsis, middle)), axis=-1)
    result = _with_nan_of(result, ordered, 0)
    return _kept(result, as_expr(a).shape, axes, 0) if keepdims else result


def nanquantile(
    a: Any,
    q: Any,
    axis: Any = None,
    out: None = None,
    overwrite_input: bool = False,
    method: str = "linear",
    keepdims: bool = False,
    *,
    weights: Any = None,
) -> Expr:
    """``quantile`` of the elements that are not nan (``np.nanquantile``); nan where all
    are nan, derivative 0 at nan."""
    no_out("nanquantile", out)
    _check_method("nanquantile", method, weights)
    return _quantile("nanquantile", a, q, axis, keepdims, 1.0, skip_nan=True)


def nanpercentile(
    a: Any,
    q: Any,
    axis: Any = None,
    out: None = None,
    overwrite_input: bool = False,
    method: str = "linear",
    keepdims: bool = False,
    *,
    weights: Any = None,
) -> Expr:
    """``percentile`` of the elements that are not nan (``np.nanpercentile``)."""
    no_out("nanpercentile", out)
    _check_method("nanpercentile", method, weights)
    return _quantile("nanpercentile", a, q, axis, keepdims, 100.0, skip_nan=True)


def nanmedian(
    a: Any,
    axis: Any = None,
    out: None = None,
    overwrite_input: bool = False,
    keepdims: bool = False,
) -> Expr:
    """The median of the elements that are not nan (``np.nanmedian``); nan where all are
    nan, derivative 0 at nan."""
    no_out("nanmedian", out)
    return _quantile("nanmedian", a, 0.5, axis, keepdims, 1.0, skip_nan=True)
