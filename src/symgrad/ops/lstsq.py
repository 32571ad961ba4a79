"""Least squares (``np.linalg.lstsq``): the ``x`` minimizing ``|b - a x|`` (of least norm
if several do), the rank of ``a`` and its singular values, from one NumPy call.

Derivatives hold where ``a`` has full rank, real or complex. With ``P = pinv(a)`` and the
residual ``r = b - a x``, differentiating ``x = P b`` with the derivative of the
pseudo-inverse (Golub and Pereyra 1973) gives

    dx = -P da x + P P^H da^H r + (I - P a) da^H P^H x + P db

(the second term vanishes for a wide ``a``, whose ``r`` is 0; the third for a tall one,
whose ``P a = I``), and its transpose in the convention of docs/numpy.md (the terms in
``da^H`` transpose to conjugated ones)

    a_bar = -P^T x_bar x^T + conj(r x_bar^T P P^H + P^H x x_bar^T (I - P a)),
    b_bar = P^T x_bar.

The singular values' derivatives are those of ``svd``. The sums of squared residuals are
computed from ``x`` (``sum(|r|**2, axis=0)``, for a tall ``a``), so they are
differentiable and their shape is known when the graph is built; NumPy returns an empty
array instead where ``a`` turns out rank-deficient.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from ..core.dtypes import real_of
from ..core.expr import Expr
from ..core.shapes import Shape, format_shape
from ..errors import ShapeError
from . import elementwise as ew
from . import reductions, shape_ops
from .leaves import as_exprs, const
from .linalg import matmul
from .matrices import (
    adjoint,
    as_matrices,
    conjugate,
    linalg_dtype,
    matrix_transpose,
    may_be_taller,
    may_be_wider,
    sum_present,
)
from .subgraph import TUPLE, MultiOutput, items
from .svd import Pinv, singular_values_jvp, singular_values_vjp


@dataclasses.dataclass(frozen=True)
class Lstsq(MultiOutput):
    """Least-squares solution of ``a x = b`` for a matrix ``a`` and a matrix ``b``
    (``np.linalg.lstsq``): ``x``, the rank of ``a`` and its singular values. ``rcond``:
    NumPy's cutoff for small singular values (``None``: its default)."""

    dask_alternative = (
        "solve(A.T @ A, A.T @ b) for a tall matrix of full column rank (runs on Dask), or "
        "dask.array.linalg.lstsq outside the compiled function"
    )

    name = "lstsq"
    fresh = True  # new arrays
    results = ("x", "rank", "s")
    rcond: float | None = None

    @property
    def n_outputs(self) -> int:
        return len(self.results)

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        a, b = inputs
        if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[0]:
            raise ShapeError(
                self.name,
                f"a of shape {format_shape(a.shape)} and b of shape {format_shape(b.shape)} do "
                "not fit: a must be a matrix and b have as many rows",
            )
        linalg_dtype(self.name, a.dtype, b.dtype)
        return (), TUPLE

    def output_types_for(self, inputs: Sequence[Expr]) -> tuple[tuple[Shape, np.dtype], ...]:
        a, b = inputs
        m, n = a.shape
        k = min(m, n) if isinstance(m, int) and isinstance(n, int) else (m if m == n else None)
        if k is None:
            raise ShapeError(self.name, "needs concrete sizes for a non-square matrix")
        dtype = linalg_dtype(self.name, a.dtype, b.dtype)
        return (((n, b.shape[1]), dtype), ((), np.dtype(np.int32)), ((k,), real_of(dtype)))

    def output_hint(self, index: int) -> str:
        return ("x", "rank", "s")[index]

    def label(self) -> str:
        return "lstsq" if self.rcond is None else f"lstsq(rcond={self.rcond!r})"

    def emit_block(
        self, node: Expr, args: Sequence[str], outs: Sequence[str | None], ctx: Any
    ) -> list[str]:
        names = [out or ctx.fresh(self.results[i]) for i, out in enumerate(outs)]
        residuals = ctx.fresh("residuals")
        rcond = "" if self.rcond is None else f", rcond={self.rcond!r}"
        lines = [
            f"{ctx.indent}{names[0]}, {residuals}, {names[1]}, {names[2]} = "
            f"np.linalg.lstsq({args[0]}, {args[1]}{rcond})"
        ]
        unused = [residuals] + [name for name, out in zip(names, outs) if out is None]
        lines.append(f"{ctx.indent}del {', '.join(unused)}")
        return lines

    def vjp(self, node: Expr, cotangent: Sequence[Expr | None]) -> Sequence[Expr | None]:
        g_x, _, g_s = cotangent
        a, b = node.inputs
        x = items(node)[0]
        terms_a: list[Expr | None] = []
        g_b = None
        if g_x is not None:
            p = Pinv()(a)
            p_h = adjoint(p)
            g_b = matmul(matrix_transpose(p), g_x)
            terms_a.append(ew.negative(matmul(g_b, matrix_transpose(x))))
            conjugated: list[Expr | None] = []  # the terms in da^H
            if may_be_taller(a):  # else the residual is 0
                r = ew.subtract(b, matmul(a, x))
                conjugated.append(matmul(matmul(r, matrix_transpose(g_x)), matmul(p, p_h)))
            if may_be_wider(a):  # else P a = I
                inner = matmul(matmul(p_h, x), matrix_transpose(g_x))
                conjugated.append(ew.subtract(inner, matmul(matmul(inner, p), a)))
            rest = sum_present(conjugated)
            terms_a.append(None if rest is None else conjugate(rest))
        if g_s is not None:
            terms_a.append(singular_values_vjp(a, g_s))
        return sum_present(terms_a), g_b

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Any:
        t_a, t_b = tangents
        if t_a is None and t_b is None:
            return None
        a, b = node.inputs
        x = items(node)[0]
        p = Pinv()(a)
        terms: list[Expr | None] = [None if t_b is None else matmul(p, t_b)]
        d_s = None
        if t_a is not None:
            p_h, t_a_h = adjoint(p), adjoint(t_a)
            terms.append(ew.negative(matmul(p, matmul(t_a, x))))
            if may_be_taller(a):
                r = ew.subtract(b, matmul(a, x))
                terms.append(matmul(matmul(p, p_h), matmul(t_a_h, r)))
            if may_be_wider(a):
                y = matmul(t_a_h, matmul(p_h, x))
                terms.append(ew.subtract(y, matmul(p, matmul(a, y))))
            d_s = singular_values_jvp(a, t_a)
        return [sum_present(terms), None, d_s]


class LstsqResult(NamedTuple):
    """``lstsq``'s results, in NumPy's order."""

    x: Expr
    residuals: Expr
    rank: Expr
    s: Expr


def lstsq(a: Any, b: Any, rcond: Any = None) -> LstsqResult:
    """The least-squares solution of ``a @ x = b`` (``np.linalg.lstsq``): ``(x, residuals,
    rank, s)``. ``b`` is a vector or a matrix of right-hand sides. Derivatives of ``x``,
    ``residuals`` and ``s`` hold where ``a`` has full rank; ``residuals`` (the sums of
    squared residuals, for a tall ``a``, else empty) are computed from ``x``.

    >>> import symgrad as sg
    >>> a = sg.const([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
    >>> x, residuals, rank, s = sg.linalg.lstsq(a, sg.const([1.0, 2.0, 2.0]))
    >>> x.eval().round(6).tolist(), residuals.eval().round(6).tolist(), int(rank.eval())
    ([1.166667, 0.5], [0.166667], 2)
    """
    a, b = as_exprs(a, b)
    a = as_matrices("lstsq", a, square=False)
    if b.ndim not in (1, 2):
        raise ShapeError("lstsq", f"b must be a vector or a matrix, got {format_shape(b.shape)}")
    if rcond is not None:
        rcond = float(rcond)
        if not np.isfinite(rcond):
            raise ValueError(f"lstsq: rcond must be a finite number, got {rcond!r}")
    matrix = b if b.ndim == 2 else shape_ops.reshape(b, b.shape + (1,))
    x, rank, s = items(Lstsq(rcond)(a, matrix))
    m, n = a.shape
    if isinstance(m, int) and isinstance(n, int) and m > n:
        r = ew.subtract(matrix, matmul(a, x))
        squares = ew.real(ew.multiply(r, ew.conj(r))) if r.dtype.kind == "c" else ew.square(r)
        residuals = reductions.sum(squares, axis=0)
    else:  # no residual for a wide (or square) matrix: NumPy's empty array
        residuals = const(np.zeros((0,), dtype=real_of(x.dtype)))
    if b.ndim == 1:
        x = shape_ops.reshape(x, x.shape[:-1])
    return LstsqResult(x, residuals, rank, s)
