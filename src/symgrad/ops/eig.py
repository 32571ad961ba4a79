"""Eigenvalues of general square matrices (``np.linalg.eigvals``, and the eigenvalues of
``np.linalg.eig``): complex, batched over leading axes.

With ``A = V diag(w) V^-1`` (distinct eigenvalues), ``dw = diag(V^-1 dA V)``: the forward
rule. It is linear over the complex numbers in ``dA``, so with the convention of
docs/numpy.md (no conjugates) its reverse rule is ``A_bar = V^-T diag(w_bar) V^T``; a real
``A`` gets the real part. Both values come from one ``np.linalg.eig`` call per op (the
eigenvalues' order is the one that call gives, the same for the values and for the
eigenvectors the rules use). Eigenvectors have no derivative rule here: differentiating
through them raises ``NotImplementedError``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from ..core.expr import Expr
from ..core.shapes import Shape
from . import elementwise as ew
from . import reductions, shape_ops
from .base import EmitContext, Op
from .decompositions import _matrices, check_matrices, inv, linalg_dtype, matrix_transpose
from .linalg import matmul


def _eig_dtype(a: Expr) -> np.dtype:
    """NumPy's eig gives complex results (real ones only when every eigenvalue happens to
    be real, which the graph cannot know): complex64 for float32 input, else complex128."""
    real = linalg_dtype("eig", a.dtype)
    return np.dtype(np.complex64 if real in (np.float32, np.complex64) else np.complex128)


@dataclasses.dataclass(frozen=True)
class Eigvals(Op):
    """The eigenvalues of each square matrix, from ``np.linalg.eig`` (complex)."""

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
    ``np.linalg.eig``; no derivative rules yet (differentiating through them raises
    ``NotImplementedError``)."""

    name = "eigvectors"

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        (a,) = inputs
        check_matrices(self.name, a)
        return a.shape, _eig_dtype(a)

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return f"np.linalg.eig({args[0]}).eigenvectors.astype(np.{node.dtype.name})"


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
    return Eigvals()(_matrices("eigvals", a))


def eig(a: Any) -> EigResult:
    """Eigenvalues and eigenvectors of each square matrix (``np.linalg.eig``), complex.
    The eigenvalues are differentiable (where distinct); the eigenvectors are not yet."""
    x = _matrices("eig", a)
    return EigResult(Eigvals()(x), Eigvectors()(x))
