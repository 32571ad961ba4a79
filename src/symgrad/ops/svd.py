"""The singular value decomposition (``np.linalg.svd``, ``svdvals``) and the
pseudo-inverse (``np.linalg.pinv``), of real or complex matrices.

"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from ..core.expr import Expr
from ..core.shapes import Shape
from . import elementwise as ew
from .linalg import matmul
from .matrices import (
    as_column,
    as_matrices,
    as_row,
    diagonal_of,
    matrix_transpose,
    may_be_taller,
    may_be_wider,
    reciprocal_gaps,
    singular_count,
    sum_present,
)
from .matrix_ops import Factorization, MatrixFunction
from .subgraph import items


@dataclasses.dataclass(frozen=True)
class Svd(Factorization):
    """Singular value decomposition (``np.linalg.svd``): ``U``, the singular values ``S``
    (descending) and ``Vh``; thin factors unless ``full_matrices`` (set only for
    non-square matrices, whose full factors differ from the thin ones)."""

    name = "svd"
    dask_alternative = (
        "dask.array.linalg.svd takes tall-and-skinny matrices only, with other signs than "
        "NumPy's; compute it with the numpy backend on the (small) matrix, or use "
        "cholesky or solve"
    )
    square = False
    results = ("U", "S", "Vh")
    former_ops = ("svd_u", "svd_s", "svd_vh")
    full_matrices: bool = False

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        result = super().infer(inputs)
        singular_count(self.name, inputs[0].shape)
        return result

    def result_shapes(self, shape: Shape) -> tuple[Shape, ...]:
        m, n = shape[-2:]
        k = singular_count(self.name, shape)
        u = shape[:-1] + ((m,) if self.full_matrices else (k,))
        vh = shape[:-2] + ((n,) if self.full_matrices else (k,)) + (n,)
        return u, shape[:-2] + (k,), vh

    def numpy_call(self, arg: str, wanted: Sequence[int]) -> tuple[str, int | None]:
        if list(wanted) == [1]:
            return f"np.linalg.svd({arg}, compute_uv=False)", 1
        return f"np.linalg.svd({arg}{'' if self.full_matrices else ', full_matrices=False'})", None

    def check_thin(self, a: Expr) -> None:
        m, n = a.shape[-2:]
        if self.full_matrices and m != n:
            raise ValueError(
                f"{self.name}: derivatives of the full U and Vh of a non-square matrix are not "
                "unique; use svd(a, full_matrices=False)"
            )

    def vjp(self, node: Expr, cotangent: Sequence[Expr | None]) -> Sequence[Expr | None]:
        g_u, g_s, g_vh = cotangent
        a = node.inputs[0]
        u, s, vh = thin_svd(a)
        terms: list[Expr | None] = [None, None, None]
        if g_u is not None:
            # A_bar = U ((J + J^T) S) V^T + (I - U U^T) U_bar S^-1 V^T, J = F * (U^T U_bar)
            self.check_thin(a)
            j = ew.multiply(_squared_gaps(s), matmul(matrix_transpose(u), g_u))
            core = ew.multiply(ew.add(j, matrix_transpose(j)), as_row(s))
            total = matmul(matmul(u, core), vh)
            if may_be_taller(a):
                away = ew.subtract(g_u, matmul(u, matmul(matrix_transpose(u), g_u)))
                total = ew.add(total, matmul(ew.divide(away, as_row(s)), vh))
            terms[0] = total
        if g_s is not None:
            # A_bar = U diag(s_bar) V^T
            terms[1] = matmul(ew.multiply(u, as_row(g_s)), vh)
        if g_vh is not None:
            # With V_bar = Vh_bar^T and K = F * (V^T V_bar):
            # A_bar = U (S (K + K^T)) V^T + U S^-1 V_bar^T (I - V V^T)
            self.check_thin(a)
            k = ew.multiply(_squared_gaps(s), matmul(vh, matrix_transpose(g_vh)))
            core = ew.multiply(as_column(s), ew.add(k, matrix_transpose(k)))
            total = matmul(matmul(u, core), vh)
            if may_be_wider(a):
                away = ew.subtract(g_vh, matmul(matmul(g_vh, matrix_transpose(vh)), vh))
                total = ew.add(total, matmul(u, ew.divide(away, as_column(s))))
            terms[2] = total
        return (sum_present(terms),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Any:
        (t,) = tangents
        if t is None:
            return None
        a = node.inputs[0]
        self.check_thin(a)
        u, s, vh = thin_svd(a)
        v = matrix_transpose(vh)
        dp = matmul(matmul(matrix_transpose(u), t), v)  # the tangent between the vectors
        # dU = U (F * (dP S + S dP^T)) + (I - U U^T) dA V S^-1
        mixed = ew.add(ew.multiply(dp, as_row(s)), ew.multiply(as_column(s), matrix_transpose(dp)))
        du = matmul(u, ew.multiply(_squared_gaps(s), mixed))
        if may_be_taller(a):
            away = ew.subtract(matmul(t, v), matmul(u, dp))
            du = ew.add(du, ew.divide(away, as_row(s)))
        # dV = V (F * (S dP + dP^T S)) + (I - V V^T) dA^T U S^-1; dVh = dV^T
        mixed = ew.add(ew.multiply(as_column(s), dp), ew.multiply(matrix_transpose(dp), as_row(s)))
        dv = matmul(v, ew.multiply(_squared_gaps(s), mixed))
        if may_be_wider(a):
            away = ew.subtract(matmul(matrix_transpose(t), u), matmul(v, matrix_transpose(dp)))
            dv = ew.add(dv, ew.divide(away, as_row(s)))
        return [du, diagonal_of(dp), matrix_transpose(dv)]


def thin_svd(a: Expr) -> list[Expr]:
    """The thin ``U, S, Vh`` of ``a``: the nodes the rules are built from."""
    return items(Svd(False)(a))


def _squared_gaps(s: Expr) -> Expr:
    """``F[..., i, j] = 1 / (s[j]^2 - s[i]^2)`` off the diagonal, 0 on it."""
    return reciprocal_gaps(ew.multiply(s, s))


@dataclasses.dataclass(frozen=True)
class Pinv(MatrixFunction):
    """Moore-Penrose pseudo-inverse (``np.linalg.pinv``); derivatives where the rank is
    constant, rank-deficient matrices included.

    Where the rank changes under a perturbation the pseudo-inverse jumps and has no
    derivative; the derivative given is then that of the constant-rank formula (exact
    along the perturbations that keep the rank)."""

    name = "pinv"
    dask_alternative = "solve the normal equations: solve(a.T @ a, a.T) for a of full column rank"
    template = "np.linalg.pinv({0})"
    square = False

    def result_shape(self, shape: Shape) -> Shape:
        return shape[:-2] + (shape[-1], shape[-2])

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        # Transpose of the JVP below:
        # A_bar = -P^T G P^T + (I - A P) G^T P P^T + P^T P G^T (I - P A).
        # Every term is needed unless A has full rank: a rank-deficient square matrix has
        # A P != I and P A != I.
        a, p, g = node.inputs[0], node, cotangent
        p_t, g_t = matrix_transpose(p), matrix_transpose(g)
        total = ew.negative(matmul(matmul(p_t, g), p_t))
        x = matmul(g_t, matmul(p, p_t))
        total = ew.add(total, ew.subtract(x, matmul(a, matmul(p, x))))
        y = matmul(matmul(p_t, p), g_t)
        total = ew.add(total, ew.subtract(y, matmul(matmul(y, p), a)))
        return (total,)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        # dP = -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P (Golub & Pereyra 1973),
        # the derivative along perturbations that keep the rank.
        (t,) = tangents
        if t is None:
            return None
        a, p = node.inputs[0], node
        p_t, t_t = matrix_transpose(p), matrix_transpose(t)
        total = ew.negative(matmul(matmul(p, t), p))
        total = ew.add(total, matmul(matmul(p, p_t), ew.subtract(t_t, matmul(matmul(t_t, a), p))))
        x = matmul(t_t, matmul(p_t, p))
        return ew.add(total, ew.subtract(x, matmul(p, matmul(a, x))))


class SVDResult(NamedTuple):
    """``svd``'s results, named as NumPy names them."""

    U: Expr
    S: Expr
    Vh: Expr


def svd(
    a: Any, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False
) -> SVDResult | Expr:
    """Singular value decomposition ``a = U @ (S[..., None] * Vh)`` (``np.linalg.svd``):
    ``(U, S, Vh)``, or only ``S`` (descending) if ``compute_uv`` is false.

    Derivatives hold where the singular values are distinct and nonzero; those of ``U`` and
    ``Vh`` need the thin factors (``full_matrices=False``, or a square matrix). The results
    come from one call (the full ``U`` and ``Vh`` of a non-square matrix from a second one).

    >>> import symgrad as sg
    >>> sg.linalg.svd(sg.const([[3.0, 0.0], [0.0, -4.0]]), compute_uv=False).eval().tolist()
    [4.0, 3.0]
    """
    a = as_matrices("svd", a, square=False)
    if hermitian:
        raise ValueError("svd: hermitian=True is not supported; use eigh for symmetric input")
    singular_count("svd", a.shape)
    thin = items(Svd(False)(a))
    if not compute_uv:
        return thin[1]
    # Square matrices have one SVD, full or thin. Otherwise the full factors are another
    # call; the singular values are the thin call's, so derivatives share that call.
    if not full_matrices or a.shape[-1] == a.shape[-2]:
        return SVDResult(*thin)
    u, _, vh = items(Svd(True)(a))
    return SVDResult(u, thin[1], vh)


def svdvals(x: Any, /) -> Expr:
    """Singular values, descending (``np.linalg.svdvals``)."""
    return svd(x, compute_uv=False)  # type: ignore[return-value]


def pinv(a: Any, rcond: Any = None, hermitian: bool = False, *, rtol: Any = None) -> Expr:
    """Moore-Penrose pseudo-inverse (``np.linalg.pinv`` with its default cutoff).

    Derivatives hold where the rank does not change: at matrices of full rank, and at
    rank-deficient ones along perturbations that keep the rank (``pinv(X.T @ X)`` in ``X``).
    Where the rank changes the pseudo-inverse jumps; the derivative given is the
    constant-rank one. The cutoffs ``rcond`` and ``rtol`` are not supported.

    >>> import symgrad as sg
    >>> sg.linalg.pinv(sg.const([[1.0], [1.0]])).eval().round(12).tolist()
    [[0.5, 0.5]]
    """
    if rcond is not None or rtol is not None or hermitian:
        raise ValueError(
            "pinv: rcond, rtol and hermitian are not supported; the pseudo-inverse is taken "
            "with NumPy's default cutoff, for matrices of full rank"
        )
    return Pinv()(as_matrices("pinv", a, square=False))
