"""What the ``np.linalg`` ops share: the dtypes and shapes they take, and the matrix
helpers their derivative rules are built from (transposes, diagonals, triangles, gaps
between eigenvalues or singular values), batched over leading axes like the ops."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..core.dtypes import real_of
from ..core.expr import Expr
from ..core.shapes import Dim, Shape, format_shape
from ..errors import ShapeError
from . import elementwise as ew
from . import reductions, shape_ops
from .leaves import Eye, as_expr, const

# --- shapes and dtypes ----------------------------------------------------------------------


#: The functions whose derivative rules hold for complex matrices, in the convention of
#: docs/numpy.md: holomorphic ones (inv, det, solve, eig) use transposes and no conjugates,
#: the others conjugate where the convention says. A function added to ``np.linalg``
#: refuses complex matrices until its rules are written for them and it is listed here.
COMPLEX_READY = frozenset(
    {
        "inv",
        "det",
        "solve",
        "slogdet",
        "eigvals",
        "eig",
        "eigh",
        "eigvalsh",
        "cholesky",
        "svd",
        "pinv",
        "qr",
        "lstsq",
    }
)


def linalg_dtype(name: str, *dtypes: np.dtype) -> np.dtype:
    """The result dtype of an ``np.linalg`` function: float32 if every input is float32,
    float64 otherwise (bools and integers are computed in float64); complex64 or complex128
    where an input is complex, for the functions of ``COMPLEX_READY`` (the others refuse
    complex matrices); float16 is refused, as NumPy's LAPACK routines refuse it."""
    for dtype in dtypes:
        if dtype == np.float16:
            raise TypeError(f"{name}: array type float16 is unsupported in linalg")
    if any(dtype.kind == "c" for dtype in dtypes):
        if name not in COMPLEX_READY:
            raise TypeError(
                f"{name}: complex matrices are not supported yet (only by "
                f"{', '.join(sorted(COMPLEX_READY))})"
            )
        single = all(dtype in (np.float32, np.complex64) for dtype in dtypes)
        return np.dtype(np.complex64 if single else np.complex128)
    if all(dtype == np.float32 for dtype in dtypes):
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def check_matrices(name: str, a: Expr, square: bool = True) -> None:
    """Raise a ShapeError unless ``a`` is a (stack of) matrices, square if asked."""
    if a.ndim < 2:
        raise ShapeError(
            name,
            f"{a.ndim}-dimensional array given; the array must be at least two-dimensional "
            f"(a matrix or a stack of them), got shape {format_shape(a.shape)}",
        )
    if square and a.shape[-1] != a.shape[-2]:
        raise ShapeError(
            name, f"the last two dimensions must be square, got shape {format_shape(a.shape)}"
        )


# --- matrix helpers used by the rules -------------------------------------------------------
# Diagonals and triangles are taken with masks built from existing ops (O(n^2), beside the
# O(n^3) decompositions), so that they work for symbolic sizes too.


def matrix_transpose(x: Expr) -> Expr:
    """Swap the last two axes."""
    return shape_ops.swapaxes(x, -1, -2)


def conjugate(x: Expr) -> Expr:
    """The complex conjugate of ``x``; ``x`` itself if it is real (no node)."""
    return ew.conj(x) if x.dtype.kind == "c" else x


def symmetric_part(x: Expr) -> Expr:
    """``(x + x^T) / 2`` over the last two axes."""
    return ew.multiply(ew.add(x, matrix_transpose(x)), as_expr(0.5, like=x))


def adjoint(x: Expr) -> Expr:
    """The conjugate transpose over the last two axes (the transpose for real ``x``)."""
    swapped = matrix_transpose(x)
    return ew.conj(swapped) if x.dtype.kind == "c" else swapped


def hermitian_part(x: Expr) -> Expr:
    """``(x + x^H) / 2`` over the last two axes (``symmetric_part`` for real ``x``)."""
    if x.dtype.kind != "c":
        return symmetric_part(x)
    return ew.multiply(ew.add(x, ew.conj(matrix_transpose(x))), as_expr(0.5, like=x))


def as_row(v: Expr) -> Expr:
    """``v[..., None, :]``: scales columns when multiplied with a matrix."""
    return shape_ops.expand_dims(v, -2)


def as_column(v: Expr) -> Expr:
    """``v[..., :, None]``: scales rows when multiplied with a matrix."""
    return shape_ops.expand_dims(v, -1)


def positions(n: Dim) -> Expr:
    """``0, 1, ..., n - 1`` as int64, for a concrete or a symbolic size ``n``."""
    if isinstance(n, int):
        return const(np.arange(n, dtype=np.int64))
    ones = shape_ops.broadcast_to(const(np.int64(1)), (n,))
    return ew.subtract(reductions.cumsum(ones), 1)


def _grid(n: Dim, compare: Callable[[Expr, Expr], Expr]) -> Expr:
    """The (n, n) bool matrix ``compare(row index, column index)``."""
    i = positions(n)
    return compare(shape_ops.reshape(i, (n, 1)), i)


def identity(n: Dim, dtype: np.dtype) -> Expr:
    """The n x n identity matrix."""
    if isinstance(n, int):
        return Eye(n, np.dtype(dtype))()
    return shape_ops.astype(_grid(n, ew.equal), dtype)


def diagonal_of(x: Expr) -> Expr:
    """The diagonals of the last two axes, shape (..., n)."""
    return reductions.sum(ew.multiply(x, identity(x.shape[-1], x.dtype)), axis=-1)


def imaginary_diagonal(x: Expr) -> Expr:
    """``diag(i Im(x_ii))`` of square matrices ``x``: the part of the diagonal that the rules
    of complex decompositions with a real diagonal (QR's ``R``) or a free phase (SVD's
    singular vectors) treat apart."""
    skew = ew.multiply(ew.subtract(x, adjoint(x)), as_expr(0.5, like=x))
    return ew.multiply(skew, identity(x.shape[-1], real_of(x.dtype)))


def lower_half(x: Expr) -> Expr:
    """The strictly lower triangle of ``x`` plus half its diagonal (Murray's ``Phi``, the
    map between a Cholesky factor's tangent and the input's)."""
    n = x.shape[-1]
    below = shape_ops.astype(_grid(n, ew.greater), x.dtype)
    half = ew.multiply(identity(n, x.dtype), as_expr(0.5, like=x))
    return ew.multiply(x, ew.add(below, half))


def reciprocal_gaps(values: Expr) -> Expr:
    """``F[..., i, j] = 1 / (values[j] - values[i])`` off the diagonal and 0 on it."""
    eye = identity(values.shape[-1], values.dtype)
    gaps = ew.subtract(as_row(values), as_column(values))
    return ew.subtract(ew.divide(as_expr(1, like=gaps), ew.add(gaps, eye)), eye)


def trace_of_product(a_transposed: Expr, t: Expr) -> Expr:
    """``trace(A @ t)`` given ``A^T``: the sum of the elementwise product."""
    return reductions.sum(ew.multiply(a_transposed, t), axis=(-2, -1))


def as_matrix_scale(g: Expr) -> Expr:
    """``g[..., None, None]``: one factor per matrix."""
    return shape_ops.reshape(g, g.shape + (1, 1))


def singular_count(name: str, shape: Shape) -> Dim:
    """``min(m, n)`` for matrices of ``shape``; unknown for unequal symbolic sizes."""
    m, n = shape[-2:]
    if m == n:
        return m
    if isinstance(m, int) and isinstance(n, int):
        return min(m, n)
    raise ShapeError(
        name,
        f"the number of singular values, min({m}, {n}), of a {format_shape(shape)} array is "
        "not known while building; use concrete sizes or a square matrix",
    )


def may_be_taller(a: Expr) -> bool:
    """False where ``a``'s matrices are known to have no more rows than columns."""
    m, n = a.shape[-2:]
    if m == n:
        return False
    return not (isinstance(m, int) and isinstance(n, int)) or m > n


def may_be_wider(a: Expr) -> bool:
    """False where ``a``'s matrices are known to have no more columns than rows."""
    m, n = a.shape[-2:]
    if m == n:
        return False
    return not (isinstance(m, int) and isinstance(n, int)) or n > m


def sum_present(terms: Sequence[Expr | None]) -> Expr | None:
    """The sum of the terms that are not ``None`` (``None`` if none is)."""
    return ew.add_tangents(*terms)


def as_matrices(name: str, a: Any, square: bool = True) -> Expr:
    """``a`` as an expression, checked to be a stack of (square) matrices of a linalg dtype."""
    a = as_expr(a)
    check_matrices(name, a, square)
    linalg_dtype(name, a.dtype)
    return a
