"""Eigenvalues and eigenvectors of general square matrices (``np.linalg.eigvals``,
``np.linalg.eig``): complex, batched over leading axes.

With ``A = V diag(w) V^-1`` (distinct eigenvalues), ``dw = diag(V^-1 dA V)``: the forward
rule. It is linear over the complex numbers in ``dA``, so with the convention of
docs/numpy.md (no conjugates) its reverse rule is ``A_bar = V^-T diag(w_bar) V^T``; a real
``A`` gets the real part. Both values come from one ``np.linalg.eig`` call per op (the
eigenvalues' order is the one that call gives, the same for the values and for the
eigenvectors the rules use).

Eigenvectors are fixed only up to a complex factor each. NumPy makes each column of unit
norm (with a phase LAPACK chooses); the rules keep the norm and take the phase to be
constant (``Re`` and ``Im`` of ``v^H dv`` are 0), as JAX does. With ``F_ij = 1/(w_j - w_i)``
off the diagonal and 0 on it: ``dV = V (F o (V^-1 dA V)) - V diag(Re(diag(V^H dV0)))``
(``dV0`` the first term), and its transpose ``A_bar = V^-T (F o Q) V^T`` with
``Q = V^T (C - conj(V) diag(Re(diag(V^T C))))`` for the cotangent ``C``. Functions that do
not depend on each eigenvector's phase (``abs(v)``, ``v v^H``), and real eigenvectors of
real matrices (whose phase is a sign), get the derivative of NumPy's values.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from ..core.expr import Expr
from ..core.shapes import Shape, concrete
from . import elementwise as ew
from . import reductions, shape_ops
from .base import EmitContext, Op
from .decompositions import inv
from .leaves import const
from .linalg import matmul
from .matrices import as_matrices, check_matrices, linalg_dtype, matrix_transpose


def _eig_dtype(a: Expr) -> np.dtype:
    """NumPy's eig gives complex results (real ones only when every eigenvalue happens to
    be real, which the graph cannot know): complex64 for float32 input, else complex128."""
    real = linalg_dtype("eig", a.dtype)
    return np.dtype(np.complex64 if real in (np.float32, np.complex64) else np.complex128)


@dataclasses.dataclass(frozen=True)
class Eigvals(Op):
    """The eigenvalues of each square matrix, from ``np.linalg.eig`` (complex)."""

    dask_alternative = (
        "Dask has no eigendecomposition of general matrices: compute it on the NumPy backend "
        "(a matrix small enough to decompose fits in memory)"
    )

    name = "eigvals"

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        (a,) = inputs
        check_matrices(self.name, a)
        return a.shape[:-1], _eig_dtype(a)

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return f"np.linalg.eig({args[0]}).eigenvalues.astype(np.{node.dtype.name})"

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        vectors_t = matrix_transpose(Eigvectors()(node.inputs[0]))
        scaled = ew.multiply(shape_ops.expand_dims(cotangent, -1), vectors_t)
        return (matmul(inv(vectors_t), scaled),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        (t,) = tangents
        if t is None:
            return None
        vectors = Eigvectors()(node.inputs[0])
        rotated = matmul(inv(vectors), t)  # (V^-1 dA)_ik, times V_ki, summed over k
        return reductions.sum(ew.multiply(rotated, matrix_transpose(vectors)), axis=-1)


@dataclasses.dataclass(frozen=True)
class Eigvectors(Op):
    """The (unit-norm) eigenvectors of each square matrix, as columns, from
    ``np.linalg.eig``; derivatives for distinct eigenvalues, in the gauge that keeps each
    column's norm and phase (``Re`` and ``Im`` of ``v^H dv`` are 0)."""

    dask_alternative = Eigvals.dask_alternative

    name = "eigvectors"

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        (a,) = inputs
        check_matrices(self.name, a)
        return a.shape, _eig_dtype(a)

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return f"np.linalg.eig({args[0]}).eigenvectors.astype(np.{node.dtype.name})"

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        (t,) = tangents
        if t is None:
            return None
        vectors = node
        rotated = _gaps(Eigvals()(node.inputs[0])) * matmul(matmul(inv(vectors), t), vectors)
        moved = matmul(vectors, rotated)
        # Keep each column's norm: take out the real part of v^H dv along v.
        along = ew.real(reductions.sum(ew.multiply(ew.conj(vectors), moved), axis=-2))
        return ew.subtract(moved, ew.multiply(vectors, shape_ops.expand_dims(along, -2)))

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        # The transpose of the forward rule (over the real numbers, with cotangents
        # dL/dx - i dL/dy): A_bar = V^-T (F o Q) V^T, with
        # Q = V^T (C - conj(V) diag(Re(diag(V^T C)))).
        vectors = node
        vectors_t = matrix_transpose(vectors)
        kept = ew.real(reductions.sum(ew.multiply(vectors, cotangent), axis=-2))
        centred = ew.subtract(
            cotangent, ew.multiply(ew.conj(vectors), shape_ops.expand_dims(kept, -2))
        )
        inner = _gaps(Eigvals()(node.inputs[0])) * matmul(vectors_t, centred)
        return (matmul(matmul(inv(vectors_t), inner), vectors_t),)


def _gaps(eigenvalues: Expr) -> Expr:
    """``F``: ``1 / (w_j - w_i)`` off the diagonal, 0 on it."""
    (n,) = concrete("eig", eigenvalues.shape[-1:])
    diagonal = const(np.eye(n, dtype=bool))
    gaps = ew.subtract(
        shape_ops.expand_dims(eigenvalues, -2), shape_ops.expand_dims(eigenvalues, -1)
    )
    one, zero = (const(np.asarray(v, eigenvalues.dtype)) for v in (1.0, 0.0))
    return ew.where(diagonal, zero, ew.divide(one, ew.where(diagonal, one, gaps)))


class EigResult(NamedTuple):
    eigenvalues: Expr
    eigenvectors: Expr


def eigvals(a: Any) -> Expr:
    """The eigenvalues of each square matrix (``np.linalg.eigvals``), complex; derivatives
    hold where they are distinct.

    >>> import numpy as np, symgrad as sg
    >>> sg.linalg.eigvals(sg.const([[0.0, -1.0], [1.0, 0.0]])).eval().tolist()
    [1j, -1j]
    """
    return Eigvals()(as_matrices("eigvals", a))


def eig(a: Any) -> EigResult:
    """Eigenvalues and eigenvectors of each square matrix (``np.linalg.eig``), complex,
    differentiable where the eigenvalues are distinct (for the eigenvectors, in the gauge
    the module docstring describes)."""
    x = as_matrices("eig", a)
    return EigResult(Eigvals()(x), Eigvectors()(x))
