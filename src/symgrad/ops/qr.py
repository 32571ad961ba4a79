"""The QR decomposition ``A = Q R`` (``np.linalg.qr``): ``Q`` with orthonormal columns,
``R`` upper triangular; batched over leading axes, values NumPy's (LAPACK's Householder
QR, whose ``R`` may have negative diagonal entries, real ones for complex ``A``).

Derivatives hold where ``A``'s first ``min(m, n)`` columns are independent (``R``'s
leading block invertible), for the reduced factors (``mode='reduced'``, or any mode for a
matrix with no more rows than columns). For ``m >= n`` (Walter and Lehmann 2018; Seeger et
al. 2017):

* forward: with ``C = dA R^-1`` and ``B = Q^H C``, the anti-Hermitian ``W = L - L^H`` of
  ``B``'s strictly lower triangle ``L``, plus ``i Im(diag(B))`` for complex ``A``, gives
  ``dR = (B - W) R`` and ``dQ = C - Q (B - W)``;
* reverse: with ``G = R_bar R^T - Q^T Q_bar`` and ``H`` the Hermitian matrix with ``G``'s
  strict upper triangle and the real part of its diagonal,
  ``A_bar = (Q_bar + conj(Q) H) R^-T`` (the transpose of the forward rule in the
  convention of docs/numpy.md).

For complex ``A`` the diagonal of ``R`` is real, which fixes ``Q`` and ``R`` up to signs:
unlike the SVD's, these are the derivatives of NumPy's values themselves.

A wide matrix ``[X | Y]`` (``m < n``) is ``Q [U | V]`` with ``X = Q U`` square and
``V = Q^H Y`` (Liao et al. 2019): its rules are those of ``X``'s QR with ``V``'s added.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, NamedTuple

from ..core.expr import Expr
from ..core.shapes import Shape
from . import elementwise as ew
from . import shape_ops
from .decompositions import Solve as _Solve
from .leaves import as_expr
from .linalg import matmul
from .matrices import (
    adjoint,
    as_matrices,
    conjugate,
    imaginary_diagonal,
    matrix_transpose,
    positions,
    singular_count,
    sum_present,
)
from .matrix_ops import Factorization
from .subgraph import items


def _strictly_lower(x: Expr) -> Expr:
    """The strictly lower triangle of the last two axes (zeros elsewhere)."""
    n = x.shape[-1]
    i = positions(n)
    mask = ew.greater(shape_ops.reshape(i, (n, 1)), i)
    return ew.where(mask, x, as_expr(0, like=x))


def _upper_mirrored(g: Expr) -> Expr:
    """The Hermitian matrix whose strict upper triangle is ``g``'s and whose diagonal is the
    real part of ``g``'s (for real ``g``: the symmetric matrix with ``g``'s upper triangle)."""
    mirrored = ew.add(ew.subtract(g, _strictly_lower(g)), _strictly_lower(adjoint(g)))
    return ew.subtract(mirrored, imaginary_diagonal(g)) if g.dtype.kind == "c" else mirrored


def _times_inverse(x: Expr, r: Expr) -> Expr:
    """``x R^-1`` for invertible square ``R``: the transpose of ``R^-T x^T``."""
    return matrix_transpose(_Solve()(matrix_transpose(r), matrix_transpose(x)))


def _times_inverse_transpose(x: Expr, r: Expr) -> Expr:
    """``x R^-T``: the transpose of ``R^-1 x^T``."""
    return matrix_transpose(_Solve()(r, matrix_transpose(x)))


def _square_jvp(q: Expr, r: Expr, t: Expr) -> tuple[Expr, Expr]:
    """Tangents of ``Q`` and ``R`` for ``A = Q R`` with ``m >= n``, given ``dA``."""
    c = _times_inverse(t, r)
    b = matmul(adjoint(q), c)
    lower = _strictly_lower(b)
    s = ew.add(ew.subtract(b, lower), adjoint(lower))  # B - W, upper triangular
    if s.dtype.kind == "c":  # R's diagonal stays real: W takes B's imaginary diagonal
        s = ew.subtract(s, imaginary_diagonal(b))
    return ew.subtract(c, matmul(q, s)), matmul(s, r)


def _square_vjp(q: Expr, r: Expr, g_q: Expr | None, g_r: Expr | None) -> Expr:
    """``A_bar`` for ``A = Q R`` with ``m >= n``, given ``Q_bar`` and ``R_bar`` (``None``:
    zero)."""
    terms = [
        None if g_r is None else matmul(g_r, matrix_transpose(r)),
        None if g_q is None else ew.negative(matmul(matrix_transpose(q), g_q)),
    ]
    g = sum_present(terms)
    assert g is not None
    total = matmul(conjugate(q), _upper_mirrored(g))
    if g_q is not None:
        total = ew.add(g_q, total)
    return _times_inverse_transpose(total, r)


@dataclasses.dataclass(frozen=True)
class QR(Factorization):
    """QR decomposition (``np.linalg.qr``): ``Q`` with orthonormal columns and upper
    triangular ``R``; ``complete`` gives the square ``Q`` of a tall matrix."""

    dask_alternative = (
        "dask.array.linalg.qr (tall-and-skinny QR) outside the compiled function, or the "
        "NumPy backend"
    )

    name = "qr"
    square = False
    results = ("Q", "R")
    complete: bool = False

    def result_shapes(self, shape: Shape) -> tuple[Shape, ...]:
        m, n = shape[-2:]
        k = m if self.complete else singular_count(self.name, shape)
        return shape[:-1] + (k,), shape[:-2] + (k, n)

    def numpy_call(self, arg: str, wanted: Sequence[int]) -> tuple[str, int | None]:
        if list(wanted) == [1]:
            return f"np.linalg.qr({arg}, mode='r')", 1
        mode = ", mode='complete'" if self.complete else ""
        return f"np.linalg.qr({arg}{mode})", None

    def _check_reduced(self, a: Expr) -> None:
        if self.complete:  # only ever set for matrices that may be tall
            raise ValueError(
                "qr: derivatives of the complete Q of a tall matrix are not unique; use "
                "mode='reduced'"
            )

    def _split(self, x: Expr, m: Any) -> tuple[Expr, Expr]:
        """The first ``m`` columns of ``x`` and the rest."""
        return x[..., :m], x[..., m:]

    def vjp(self, node: Expr, cotangent: Sequence[Expr | None]) -> Sequence[Expr | None]:
        g_q, g_r = cotangent
        a = node.inputs[0]
        self._check_reduced(a)
        q, r = items(node)
        m, n = a.shape[-2:]
        if not _is_wide(a):
            return (_square_vjp(q, r, g_q, g_r),)
        assert isinstance(m, int) and isinstance(n, int)  # (_is_wide checked)
        # [X | Y] = Q [U | V]: V = Q^H Y adds conj(Y V_bar^T) to Q_bar and gives
        # Y_bar = conj(Q) V_bar (Q and Y real: Y V_bar^T and Q V_bar).
        x_part, y_part = self._split(a, m)
        u = self._split(r, m)[0]
        g_u, g_v = (None, None) if g_r is None else self._split(g_r, m)
        g_q_total = g_q
        g_y = None
        if g_v is not None:
            g_q_total = sum_present([g_q, conjugate(matmul(y_part, matrix_transpose(g_v)))])
            g_y = matmul(conjugate(q), g_v)
        g_x = _square_vjp(q, u, g_q_total, g_u)
        if g_y is None:
            g_y = shape_ops.zeros(g_x.shape[:-1] + (n - m,), g_x.dtype)
        return (shape_ops.concatenate([g_x, g_y], axis=-1),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Any:
        (t,) = tangents
        if t is None:
            return None
        a = node.inputs[0]
        self._check_reduced(a)
        q, r = items(node)
        if not _is_wide(a):
            return list(_square_jvp(q, r, t))
        m = a.shape[-2]
        y_part = self._split(a, m)[1]
        u = self._split(r, m)[0]
        t_x, t_y = self._split(t, m)
        d_q, d_u = _square_jvp(q, u, t_x)
        d_v = ew.add(matmul(adjoint(d_q), y_part), matmul(adjoint(q), t_y))
        return [d_q, shape_ops.concatenate([d_u, d_v], axis=-1)]


def _is_wide(a: Expr) -> bool:
    m, n = a.shape[-2:]
    if m == n:
        return False
    if not (isinstance(m, int) and isinstance(n, int)):
        raise ValueError(
            "qr: derivatives need to know whether the matrix is wide; give it concrete sizes"
        )
    return m < n


class QRResult(NamedTuple):
    """``qr``'s results, named as NumPy names them."""

    Q: Expr
    R: Expr


def qr(a: Any, mode: str = "reduced") -> QRResult | Expr:
    """The QR decomposition ``a = Q @ R`` of each matrix (``np.linalg.qr``): ``(Q, R)`` for
    ``mode='reduced'`` (``Q`` with ``min(m, n)`` orthonormal columns) or ``'complete'``
    (square ``Q``), only ``R`` for ``mode='r'``. Derivatives hold for the reduced factors
    where the first ``min(m, n)`` columns of ``a`` are independent.

    >>> import numpy as np, symgrad as sg
    >>> q, r = sg.linalg.qr(sg.const([[3.0, 1.0], [4.0, 2.0]]))
    >>> np.round((q @ r).eval(), 12).tolist()
    [[3.0, 1.0], [4.0, 2.0]]
    """
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"qr: mode {mode!r} is not supported; use 'reduced', 'complete' or 'r'")
    x = as_matrices("qr", a, square=False)
    singular_count("qr", x.shape)
    if mode == "r":
        return items(QR(False)(x))[1]
    m, n = x.shape[-2:]
    known_wide = isinstance(m, int) and isinstance(n, int) and m <= n
    complete = mode == "complete" and m != n and not known_wide  # else reduced is complete
    return QRResult(*items(QR(complete)(x)))
