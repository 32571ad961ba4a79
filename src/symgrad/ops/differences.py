"""Finite differences: ``diff`` and ``gradient``, as NumPy computes them, made of slices,
arithmetic and joins (so their derivatives, SymPy forms and saved files come for free)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.expr import Expr
from ..core.shapes import normalize_axes, normalize_axis
from ..errors import ShapeError
from . import elementwise as ew
from . import shape_ops
from .leaves import as_expr

_NO_VALUE = np._NoValue  # NumPy's marker for an argument not given


def _along(x: Expr, axis: int, part: Any) -> Expr:
    """``x[..., part, ...]`` with ``part`` (a slice or an int) at ``axis``."""
    index = [slice(None)] * x.ndim
    index[axis] = part
    return shape_ops.getitem(x, tuple(index))


def _edge(x: Expr, axis: int, at: int) -> Expr:
    """Element ``at`` along ``axis``, keeping the axis (size 1)."""
    return _along(x, axis, slice(at, at + 1) if at != -1 else slice(-1, None))


def _padding(value: Any, x: Expr, axis: int, name: str) -> Expr:
    """``prepend``/``append`` of ``diff``: a scalar is broadcast to one slice along the axis."""
    v = value if isinstance(value, Expr) else as_expr(np.asarray(value))  # NumPy's dtype
    if v.ndim == 0:
        shape = x.shape[:axis] + (1,) + x.shape[axis + 1 :]
        return shape_ops.broadcast_to(v, shape)
    if v.ndim != x.ndim:
        raise ShapeError("diff", f"{name} must have {x.ndim} dimensions or none")
    return v


def diff(
    a: Any, n: int = 1, axis: int = -1, prepend: Any = _NO_VALUE, append: Any = _NO_VALUE
) -> Expr:
    """The ``n``-th difference along ``axis``, ``x[1:] - x[:-1]`` repeated ``n`` times, like
    ``np.diff`` (``prepend`` and ``append`` are joined to ``a`` first; bool arrays give
    ``x[1:] != x[:-1]``).

    >>> import symgrad as sg
    >>> sg.diff(sg.const([1.0, 4.0, 9.0, 16.0])).eval().tolist()
    [3.0, 5.0, 7.0]
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
        raise ValueError(f"diff: order must be a non-negative int, got n={n!r}")
    x = as_expr(a)
    if n == 0:
        return x
    if x.ndim == 0:
        raise ShapeError("diff", "requires an input of at least one dimension")
    axis = normalize_axis("diff", axis, x.ndim)
    parts = []
    if prepend is not _NO_VALUE:
        parts.append(_padding(prepend, x, axis, "prepend"))
    parts.append(x)
    if append is not _NO_VALUE:
        parts.append(_padding(append, x, axis, "append"))
    if len(parts) > 1:
        x = shape_ops.concatenate(parts, axis=axis)
    step = ew.not_equal if x.dtype.kind == "b" else ew.subtract
    for _ in range(int(n)):
        x = step(_along(x, axis, slice(1, None)), _along(x, axis, slice(None, -1)))
    return x


def _spacings(varargs: tuple[Any, ...], f: Expr, axes: tuple[int, ...]) -> list[Any]:
    """One spacing per axis: a number or 0-d expression (uniform), or the differences of
    the coordinates given (an array, or a number where they are evenly spaced), as NumPy
    reads ``*varargs``."""
    if not varargs:
        return [1.0] * len(axes)
    if len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        return [varargs[0]] * len(axes)
    if len(varargs) != len(axes):
        raise TypeError(
            f"gradient: {len(varargs)} spacings for {len(axes)} axes: give one, or one per axis"
        )
    out: list[Any] = []
    for spacing, axis in zip(varargs, axes):
        if isinstance(spacing, Expr):
            if spacing.ndim:
                raise TypeError(
                    "gradient: coordinates along an axis must be constants (a 0-d expression "
                    "may be a spacing)"
                )
            out.append(spacing)
            continue
        coordinates = np.asarray(spacing)
        if coordinates.ndim == 0:
            out.append(spacing)
            continue
        if coordinates.ndim != 1:
            raise ValueError("gradient: distances must be either scalars or 1d")
        if len(coordinates) != f.shape[axis]:
            raise ValueError(
                "gradient: when 1d, distances must match the length of the corresponding dimension"
            )
        if coordinates.dtype.kind in "iu":
            coordinates = coordinates.astype(np.float64)
        steps = np.diff(coordinates)
        out.append(steps[0] if (steps == steps[0]).all() else steps)  # as NumPy does
    return out


def _along_axis(values: np.ndarray, ndim: int, axis: int) -> np.ndarray:
    """Coefficients, one per position along ``axis``, shaped to broadcast against an array."""
    shape = [1] * ndim
    shape[axis] = -1
    return values.reshape(shape)


def _weighted(terms: list[tuple[Any, Expr]]) -> Expr:
    """``a * f0 + b * f1 + c * f2`` in NumPy's order of operations."""
    total = None
    for coefficient, values in terms:
        term = ew.multiply(coefficient, values)
        total = term if total is None else ew.add(total, term)
    assert total is not None
    return total


def _one_axis(f: Expr, axis: int, dx: Any, edge_order: int) -> Expr:
    """``np.gradient`` of ``f`` along one axis with spacing ``dx``."""
    n = f.shape[axis]
    if not isinstance(n, int):
        raise ShapeError("gradient", f"needs a known size along axis {axis}, got {n!r}")
    if n < edge_order + 1:
        raise ValueError(
            "gradient: shape of array too small to calculate a numerical gradient, at least "
            "(edge_order + 1) elements are required"
        )
    uniform = np.ndim(dx) == 0
    if not uniform:
        dx = np.asarray(dx)
    inner = [_along(f, axis, slice(lo, hi)) for lo, hi in ((None, -2), (1, -1), (2, None))]
    if uniform:
        interior = ew.divide(ew.subtract(inner[2], inner[0]), 2.0 * dx)
    else:
        dx1, dx2 = dx[:-1], dx[1:]
        a = -dx2 / (dx1 * (dx1 + dx2))
        b = (dx2 - dx1) / (dx1 * dx2)
        c = dx1 / (dx2 * (dx1 + dx2))
        coefficients = (_along_axis(v, f.ndim, axis) for v in (a, b, c))
        interior = _weighted(list(zip(coefficients, inner)))
    if edge_order == 1:
        first = ew.divide(
            ew.subtract(_edge(f, axis, 1), _edge(f, axis, 0)), dx if uniform else dx[0]
        )
        last = ew.divide(
            ew.subtract(_edge(f, axis, -1), _edge(f, axis, n - 2)), dx if uniform else dx[-1]
        )
    else:
        if uniform:
            a, b, c = -1.5 / dx, 2.0 / dx, -0.5 / dx
        else:
            d1, d2 = dx[0], dx[1]
            a, b, c = (
                -(2.0 * d1 + d2) / (d1 * (d1 + d2)),
                (d1 + d2) / (d1 * d2),
                -d1 / (d2 * (d1 + d2)),
            )
        first = _weighted([(a, _edge(f, axis, 0)), (b, _edge(f, axis, 1)), (c, _edge(f, axis, 2))])
        if uniform:
            a, b, c = 0.5 / dx, -2.0 / dx, 1.5 / dx
        else:
            d1, d2 = dx[-2], dx[-1]
            a, b, c = (
                d2 / (d1 * (d1 + d2)),
                -(d2 + d1) / (d1 * d2),
                (2.0 * d2 + d1) / (d2 * (d1 + d2)),
            )
        ends = (_edge(f, axis, n - 3), _edge(f, axis, n - 2), _edge(f, axis, -1))
        last = _weighted(list(zip((a, b, c), ends)))
    parts = [first, interior, last] if n > 2 else [first, last]
    return shape_ops.concatenate([shape_ops.astype(p, f.dtype) for p in parts], axis=axis)


def gradient(f: Any, *varargs: Any, axis: Any = None, edge_order: int = 1) -> Any:
    """The gradient of the samples ``f`` (``np.gradient``): central differences inside,
    one-sided ones of order ``edge_order`` (1 or 2) at the ends, along each axis in ``axis``
    (every axis by default). ``varargs`` gives the spacing: one number for every axis, or
    per axis a number (or 0-d expression) or the coordinates. One array for one axis, else
    a tuple, one per axis. Differentiable in ``f`` and in spacings that are expressions.

    >>> import symgrad as sg
    >>> sg.gradient(sg.const([1.0, 2.0, 4.0, 7.0])).eval().tolist()
    [1.0, 1.5, 2.5, 3.0]
    """
    x = as_expr(f)
    if edge_order not in (1, 2):
        raise ValueError(f"gradient: edge_order must be 1 or 2, got {edge_order!r}")
    if x.dtype.kind in "biu":
        x = shape_ops.astype(x, np.float64)
    axes = (
        tuple(range(x.ndim))
        if axis is None
        else tuple(normalize_axis("gradient", a, x.ndim) for a in np.atleast_1d(axis).tolist())
    )
    normalize_axes("gradient", axes, x.ndim)  # refuses repeated axes
    spacings = _spacings(varargs, x, axes)
    # Uniform spacings stay Python numbers where given so (NumPy's arithmetic on them is
    # Python's, and keeps float32 samples float32); expressions build graphs.
    outs = [_one_axis(x, a, dx, edge_order) for a, dx in zip(axes, spacings)]
    return outs[0] if len(outs) == 1 else tuple(outs)
