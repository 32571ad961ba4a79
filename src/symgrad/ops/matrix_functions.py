"""``norm`` with every ``ord`` of ``np.linalg.norm``, and ``matrix_power``: built from
reductions, elementwise ops, matrix products and the decompositions, following NumPy's own
definitions step by step (so values and dtypes are NumPy's)."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ..core.expr import Expr
from ..core.shapes import normalize_axis
from . import elementwise as ew
from . import reductions, shape_ops
from .decompositions import inv
from .leaves import as_expr
from .linalg import matmul
from .matrices import check_matrices, identity
from .svd import svd

_FROBENIUS = ("fro", "f")


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Expr:
    """Vector or matrix norm (``np.linalg.norm``).

    ``axis`` an int takes vector norms along it; a pair of ints takes matrix norms over those
    two axes; ``None`` takes the vector norm of a 1-d ``x``, the matrix norm of a 2-d one,
    and, with ``ord=None``, the 2-norm of all elements whatever the dimension.

    Vector ``ord``: ``None`` or 2 (Euclidean), ``inf`` and ``-inf`` (largest and smallest
    absolute value), 0 (the number of nonzero elements), and any other number ``p``:
    ``sum(abs(x)**p)**(1/p)``. Matrix ``ord``: ``None`` or ``'fro'`` (Frobenius), ``'nuc'``
    (sum of singular values), 2 and -2 (largest and smallest singular value), 1 and -1
    (largest and smallest column sum of absolute values), ``inf`` and ``-inf`` (the same over
    rows). The 2-norm's gradient at the zero vector is taken as 0; the singular-value norms
    need distinct nonzero singular values for their derivatives.

    >>> import symgrad as sg
    >>> float(sg.linalg.norm(sg.const([3.0, -4.0]), ord=1).eval())
    7.0
    """
    x = as_expr(x)
    if x.dtype.kind == "c":
        x = _moduli(x, ord, axis)
    if axis is None:
        if (
            ord is None
            or (isinstance(ord, str) and ord in _FROBENIUS and x.ndim == 2)
            or (_is_number(ord) and ord == 2 and x.ndim == 1)
        ):
            return reductions.Norm(tuple(range(x.ndim)), bool(keepdims))(x)
        axis = tuple(range(x.ndim))
    elif isinstance(axis, tuple | list):
        axis = tuple(axis)
    else:
        try:
            axis = (operator.index(axis),)
        except TypeError:
            raise TypeError(
                f"norm: 'axis' must be None, an integer or a tuple of integers, got {axis!r}"
            ) from None
    if len(axis) == 1:
        return _vector_norm(x, ord, normalize_axis("norm", axis[0], x.ndim), bool(keepdims))
    if len(axis) == 2:
        return _matrix_norm(x, ord, axis, bool(keepdims))
    raise ValueError(
        f"norm: improper number of dimensions to norm: {len(axis)} axes of a {x.ndim}-d "
        "array (a vector norm takes one axis, a matrix norm two)"
    )


def _moduli(x: Expr, ord: Any, axis: Any) -> Expr:
    """What the norm of a complex ``x`` is taken of: ``x`` itself for the spectral matrix
    norms (``2``, ``-2``, ``'nuc'``: its singular values), else its moduli ``|x|``."""
    matrix = (axis is None and x.ndim == 2) or (isinstance(axis, tuple | list) and len(axis) == 2)
    if matrix and _is_spectral(ord):
        return x
    return ew.abs(x)


def _is_spectral(ord: Any) -> bool:
    """True for the matrix norms of singular values."""
    return (isinstance(ord, str) and ord == "nuc") or (_is_number(ord) and abs(ord) == 2)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def _as_float(x: Expr) -> Expr:
    """NumPy's norm works in float64 for bools and integers (complex ``x`` is kept)."""
    return x if x.dtype.kind in "fc" else shape_ops.astype(x, np.float64)


def _vector_norm(x: Expr, ord: Any, axis: int, keepdims: bool) -> Expr:
    if ord is None or (_is_number(ord) and ord == 2):
        return reductions.Norm((axis,), keepdims)(x)
    if not _is_number(ord):
        raise ValueError(f"norm: invalid norm order {ord!r} for vectors")
    x = _as_float(x)
    if ord == np.inf:
        return reductions.max(ew.abs(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return reductions.min(ew.abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        nonzero = shape_ops.astype(ew.not_equal(x, as_expr(0, like=x)), x.dtype)
        return reductions.sum(nonzero, axis=axis, keepdims=keepdims)
    if ord == 1:
        return reductions.sum(ew.abs(x), axis=axis, keepdims=keepdims)
    powered = ew.power(ew.abs(x), as_expr(float(ord), like=x))
    total = reductions.sum(powered, axis=axis, keepdims=keepdims)
    # A Python float, so that float32 stays float32 (NumPy takes 1/ord in the result's dtype).
    return ew.power(total, as_expr(1.0 / float(ord), like=total))


def _matrix_norm(x: Expr, ord: Any, axis: tuple[Any, ...], keepdims: bool) -> Expr:
    row, col = (normalize_axis("norm", a, x.ndim) for a in axis)
    if row == col:
        raise ValueError(f"norm: duplicate axes given: {axis!r}")
    if ord is None or (isinstance(ord, str) and ord in _FROBENIUS):
        return reductions.Norm(tuple(sorted((row, col))), keepdims)(x)
    x = _as_float(x)
    if isinstance(ord, str) and ord == "nuc":
        result = reductions.sum(_singular_values(x, row, col), axis=-1)
    elif not _is_number(ord):
        raise ValueError(f"norm: invalid norm order {ord!r} for matrices")
    elif ord in (2, -2):
        result = _singular_values(x, row, col)[..., 0 if ord == 2 else -1]
    elif ord in (1, -1, np.inf, -np.inf):
        # 1: the largest sum over rows (a column sum); inf: the largest sum over columns.
        summed, other = (row, col) if ord in (1, -1) else (col, row)
        sums = reductions.sum(ew.abs(x), axis=summed)
        pick = reductions.max if ord > 0 else reductions.min
        result = pick(sums, axis=other - (other > summed))
    else:
        raise ValueError(f"norm: invalid norm order {ord!r} for matrices")
    if keepdims:
        shape = tuple(1 if i in (row, col) else d for i, d in enumerate(x.shape))
        result = shape_ops.reshape(result, shape)
    return result


def _singular_values(x: Expr, row: int, col: int) -> Expr:
    """Singular values of the matrices over axes ``row`` and ``col``, batched over the rest."""
    rest = [i for i in range(x.ndim) if i not in (row, col)]
    return svd(shape_ops.transpose(x, rest + [row, col]), compute_uv=False)  # type: ignore[return-value]


def matrix_power(a: Any, n: Any) -> Expr:
    """``a`` multiplied by itself ``n`` times (``np.linalg.matrix_power``); ``n`` = 0 gives
    identity matrices and negative ``n`` powers of the inverse. Computed by repeated
    squaring, as NumPy does.

    >>> import symgrad as sg
    >>> sg.linalg.matrix_power(sg.const([[1.0, 1.0], [0.0, 1.0]]), 3).eval().tolist()
    [[1.0, 3.0], [0.0, 1.0]]
    """
    a = as_expr(a)
    check_matrices("matrix_power", a)
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"matrix_power: exponent must be an integer, got {n!r}") from None
    if n == 0:
        return shape_ops.broadcast_to(identity(a.shape[-1], a.dtype), a.shape)
    if n < 0:
        a, n = inv(a), -n
    if n == 1:
        return a
    if n == 2:
        return matmul(a, a)
    if n == 3:
        return matmul(matmul(a, a), a)
    # Binary decomposition of n, in NumPy's order of products (so rounding matches).
    square: Expr | None = None
    result: Expr | None = None
    while n > 0:
        square = a if square is None else matmul(square, square)
        n, bit = divmod(n, 2)
        if bit:
            result = square if result is None else matmul(result, square)
    assert result is not None
    return result
