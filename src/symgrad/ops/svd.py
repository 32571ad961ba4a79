"""The singular value decomposition (``np.linalg.svd``, ``svdvals``) and the
pseudo-inverse (``np.linalg.pinv``), of real or complex matrices, batched over leading
axes; values are NumPy's own calls.

Derivatives hold where the singular values are distinct and nonzero, those of ``U`` and
``Vh`` for the thin factors (``full_matrices=False``, or a square matrix); ``pinv``'s where
the rank does not change. With ``A = U S V^H``, ``dP = U^H dA V`` and the squared gaps
``F_ij = 1 / (s_j^2 - s_i^2)`` (0 on the diagonal), the forward rules are
``dS = Re(diag(dP))``, ``dU = U (F * (dP S + S dP^H)) + (I - U U^H) dA V S^-1`` and
``dV = V (F * (S dP + dP^H S)) + (I - V V^H) dA^H U S^-1``; the reverse rules are their
transposes in the convention of docs/numpy.md.

A complex SVD is not unique: ``U D``, ``D^H V`` for any diagonal ``D`` of unit complex
numbers (a phase per pair of singular vectors) is another. NumPy gives the phases LAPACK
chooses; the derivative holds each right singular vector's phase still
(``Im(V^H dV)_ii = 0``) and gives ``dU`` the term ``U diag(i Im(dP_ii) / s_i)`` that keeps
``U S V^H`` right. So derivatives are those of NumPy's values for functions that do not
depend on the phases (the singular values and norms, ``U diag(f(s)) V^H``, ``U U^H``,
``V V^H``, ``abs(U)``, ``pinv``, ``lstsq``), and for real matrices (whose phases are signs);
a function of ``U`` or ``Vh`` that depends on the phase gets the derivative in that gauge.
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
    adjoint,
    as_column,
    as_matrices,
    as_row,
    conjugate,
    diagonal_of,
    imaginary_diagonal,
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
    real_results = ("S",)
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
        # Transpose of the JVP below, for the conjugated cotangents (Gamma = conj(X_bar),
        # the gradients of the inner product Re tr(X^H Y), in which the rules read as the real
        # ones with ^H for ^T), conjugated back at the end. With F the squared gaps:
        # A_bar = conj(U C V^H + (I - U U^H) Gamma_U S^-1 V^H + U S^-1 Gamma_V^H (I - V V^H))
        #         + singular_values_vjp(s_bar),
        # C = (J + J^H) S + S (K + K^H) + diag(i Im(M_ii) / s_i),
        # M = U^H Gamma_U, J = F * M, K = F * (V^H Gamma_V), Gamma_V = Vh_bar^T.
        g_u, g_s, g_vh = cotangent
        a = node.inputs[0]
        u, s, vh = thin_svd(a)
        gaps = _squared_gaps(s)
        core: list[Expr | None] = []
        away: list[Expr | None] = []
        if g_u is not None:
            self.check_thin(a)
            gamma = conjugate(g_u)
            m = matmul(adjoint(u), gamma)
            j = ew.multiply(gaps, m)
            core.append(ew.multiply(ew.add(j, adjoint(j)), as_row(s)))
            if m.dtype.kind == "c":  # the phase of U that V's held phase leaves
                core.append(ew.divide(imaginary_diagonal(m), as_row(s)))
            if may_be_taller(a):
                outside = ew.subtract(gamma, matmul(u, m))
                away.append(matmul(ew.divide(outside, as_row(s)), vh))
        if g_vh is not None:
            self.check_thin(a)
            gamma_h = conjugate(g_vh)  # Gamma_V^H
            k = ew.multiply(gaps, matmul(vh, matrix_transpose(g_vh)))
            core.append(ew.multiply(as_column(s), ew.add(k, adjoint(k))))
            if may_be_wider(a):
                outside = ew.subtract(gamma_h, matmul(matmul(gamma_h, adjoint(vh)), vh))
                away.append(matmul(u, ew.divide(outside, as_column(s))))
        inner = sum_present(core)
        terms = away
        if inner is not None:
            terms.append(matmul(matmul(u, inner), vh))
        total = sum_present(terms)
        if total is not None:
            total = conjugate(total)
        if g_s is not None:
            total = sum_present([total, singular_values_vjp(a, g_s)])
        return (total,)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Any:
        # With dP = U^H dA V (the tangent between the singular vectors) and F the squared
        # gaps: dS = Re(diag(dP)),
        # dU = U (F * (dP S + S dP^H) + diag(i Im(dP_ii) / s_i)) + (I - U U^H) dA V S^-1,
        # dV = V (F * (S dP + dP^H S)) + (I - V V^H) dA^H U S^-1, dVh = dV^H.
        # For complex A each pair of singular vectors has a free common phase: this holds
        # V's still (Im(V^H dV)_ii = 0) and turns U's by what U S V^H needs.
        (t,) = tangents
        if t is None:
            return None
        a = node.inputs[0]
        self.check_thin(a)
        u, s, vh = thin_svd(a)
        v = adjoint(vh)
        gaps = _squared_gaps(s)
        dp = matmul(matmul(adjoint(u), t), v)
        mixed = ew.add(ew.multiply(dp, as_row(s)), ew.multiply(as_column(s), adjoint(dp)))
        rotation = ew.multiply(gaps, mixed)
        if dp.dtype.kind == "c":
            rotation = ew.add(rotation, ew.divide(imaginary_diagonal(dp), as_row(s)))
        du = matmul(u, rotation)
        if may_be_taller(a):
            outside = ew.subtract(matmul(t, v), matmul(u, dp))
            du = ew.add(du, ew.divide(outside, as_row(s)))
        mixed = ew.add(ew.multiply(as_column(s), dp), ew.multiply(adjoint(dp), as_row(s)))
        dv = matmul(v, ew.multiply(gaps, mixed))
        if may_be_wider(a):
            outside = ew.subtract(matmul(adjoint(t), u), matmul(v, adjoint(dp)))
            dv = ew.add(dv, ew.divide(outside, as_row(s)))
        return [du, singular_values_jvp(a, t), adjoint(dv)]


def thin_svd(a: Expr) -> list[Expr]:
    """The thin ``U, S, Vh`` of ``a``: the nodes the rules are built from."""
    return items(Svd(False)(a))


def singular_values_vjp(a: Expr, g_s: Expr) -> Expr:
    """``A_bar = conj(U diag(s_bar) V^H)`` for a cotangent ``s_bar`` of ``a``'s singular
    values (the diagonal matrix is not built)."""
    u, _, vh = thin_svd(a)
    return conjugate(matmul(ew.multiply(u, as_row(g_s)), vh))


def singular_values_jvp(a: Expr, t: Expr) -> Expr:
    """``dS = Re(diag(U^H dA V))``, the tangent of ``a``'s singular values along ``t``."""
    u, _, vh = thin_svd(a)
    moved = diagonal_of(matmul(matmul(adjoint(u), t), adjoint(vh)))
    return ew.real(moved) if moved.dtype.kind == "c" else moved


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
        # Transpose of the JVP below (the first term is holomorphic in A, the others conjugate
        # dA, so their transposes are conjugated):
        # A_bar = -P^T G P^T + conj((I - A P) G^T P P^H + P^H P G^T (I - P A)).
        # Every term is needed unless A has full rank: a rank-deficient square matrix has
        # A P != I and P A != I.
        a, p, g = node.inputs[0], node, cotangent
        p_t, p_h, g_t = matrix_transpose(p), adjoint(p), matrix_transpose(g)
        x = matmul(g_t, matmul(p, p_h))
        y = matmul(matmul(p_h, p), g_t)
        rest = ew.add(
            ew.subtract(x, matmul(a, matmul(p, x))), ew.subtract(y, matmul(matmul(y, p), a))
        )
        return (ew.subtract(conjugate(rest), matmul(matmul(p_t, g), p_t)),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        # dP = -P dA P + P P^H dA^H (I - A P) + (I - P A) dA^H P^H P (Golub & Pereyra 1973),
        # the derivative along perturbations that keep the rank.
        (t,) = tangents
        if t is None:
            return None
        a, p = node.inputs[0], node
        p_h, t_h = adjoint(p), adjoint(t)
        total = ew.negative(matmul(matmul(p, t), p))
        total = ew.add(total, matmul(matmul(p, p_h), ew.subtract(t_h, matmul(matmul(t_h, a), p))))
        x = matmul(t_h, matmul(p_h, p))
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
    ``Vh`` need the thin factors (``full_matrices=False``, or a square matrix). For complex
    ``a``, ``S`` is real and each pair of singular vectors has a free phase: derivatives are
    those of NumPy's values for functions that do not depend on it (``S``, ``U * S @ Vh``,
    ``abs(U)``), as ``ops/svd.py`` explains. The results come from one call (the full ``U``
    and ``Vh`` of a non-square matrix from a second one).

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
            "with NumPy's default cutoff"
        )
    return Pinv()(as_matrices("pinv", a, square=False))
