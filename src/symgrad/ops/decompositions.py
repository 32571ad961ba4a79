"""Matrix decompositions and inverses, as in ``np.linalg``: solve, inv, det, slogdet,
cholesky and eigh (svd and pinv are in ``svd.py``, qr, lstsq and eig in modules of their
own; the helpers they share in ``matrices.py`` and ``matrix_ops.py``).

Every op works on the last two axes and batches over the leading ones, like NumPy, and emits
the NumPy call itself, so values are NumPy's. Functions with several results (slogdet, eigh)
are multi-output ops: one node, read by an item per result, so a graph using several
results of one decomposition (as a value and its derivative do) makes the call once. A
graph using only the eigenvalues calls ``eigvalsh``.

Derivatives hold where the function is smooth:

* ``inv``, ``solve``, ``det``, ``slogdet``: where the matrix is invertible;
* ``cholesky`` and ``eigh`` read only one triangle of their input. Their derivatives are
  those of the function of the symmetric part ``(A + A^T) / 2``: cotangents come back
  symmetric and tangents are symmetrized first (the convention of JAX and PyTensor), which is
  what a symmetric input built as ``X @ X.T`` or ``X + X.T`` needs;
* ``eigh``: where the eigenvalues are distinct.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from ..core.expr import Expr
from ..core.lazy import lazy_module
from ..core.shapes import Shape, broadcast_shapes, concrete, format_shape
from ..errors import ShapeError
from . import elementwise as ew
from . import reductions, shape_ops
from .base import EmitContext, Op
from .leaves import as_expr, as_exprs
from .linalg import matmul
from .matrices import (
    adjoint,
    as_matrices,
    as_matrix_scale,
    as_row,
    check_matrices,
    diagonal_of,
    hermitian_part,
    linalg_dtype,
    lower_half,
    matrix_transpose,
    reciprocal_gaps,
    sum_present,
    trace_of_product,
)
from .matrix_ops import Factorization, MatrixFunction
from .subgraph import items

if TYPE_CHECKING:
    import sympy
else:
    sympy = lazy_module("sympy")

#: Largest matrix (rows or columns) that ``to_sympy`` translates: symbolic inverses and
#: determinants grow factorially with the size.
SYMPY_MAX_SIZE = 4


# --- SymPy ----------------------------------------------------------------------------------


def _sympy_matrices(name: str, x: np.ndarray) -> Iterator[tuple[tuple[int, ...], Any]]:
    """Each matrix of the object array ``x`` with its batch index, as a ``sympy.Matrix``."""
    if max(x.shape[-2:]) > SYMPY_MAX_SIZE:
        raise NotImplementedError(
            f"{name}: SymPy translation covers matrices up to {SYMPY_MAX_SIZE}x"
            f"{SYMPY_MAX_SIZE}, got {x.shape[-2]}x{x.shape[-1]} (the expressions grow too fast)"
        )
    for index in np.ndindex(*x.shape[:-2]):
        yield index, sympy.Matrix(x[index].tolist())


def _per_matrix(name: str, x: np.ndarray, fn: Callable[[Any], Any], core: Shape) -> np.ndarray:
    """``fn`` applied to each matrix of ``x``; each result has shape ``core``."""
    out = np.empty(x.shape[:-2] + core, dtype=object)
    for index, m in _sympy_matrices(name, x):
        result = fn(m)
        if isinstance(result, sympy.MatrixBase):
            out[index] = np.array(result.tolist(), dtype=object).reshape(concrete(name, core))
        else:
            out[index] = result
    return out


def _sympy_det(m: Any) -> Any:
    return m.det(method="berkowitz")  # division-free


def _sympy_inv(m: Any) -> Any:
    return m.adjugate(method="berkowitz") / _sympy_det(m)


def _sympy_cholesky(m: Any) -> Any:
    """The lower Cholesky factor, reading the lower triangle of ``m`` as LAPACK does."""
    n = m.rows
    low = sympy.zeros(n, n)
    for i in range(n):
        for j in range(i + 1):
            rest = m[i, j] - sum((low[i, k] * low[j, k] for k in range(j)), sympy.S.Zero)
            low[i, j] = sympy.sqrt(rest) if i == j else rest / low[j, j]
    return low


# --- on Dask --------------------------------------------------------------------------------

#: Dask's LU and Cholesky factorizations need a matrix in equal square blocks.
_DASK_SQUARE_BLOCKS_HELPER = '''\
def _square_blocks(a):
    """`a` (n x n) in equal square blocks, as Dask's LU and Cholesky need: of the largest
    size that divides n and is no larger than its blocks now."""
    a = da.asarray(a)
    if len(set(a.chunks[0] + a.chunks[1])) == 1:
        return a
    n = a.shape[0]
    size = max(d for d in range(1, min(max(a.chunksize), n) + 1) if n % d == 0)
    return a.rechunk((size, size))
'''

_DASK_MATRIX_HELPERS = {"_square_blocks": _DASK_SQUARE_BLOCKS_HELPER}


def _dask_one_matrix(node: Expr) -> str | None:
    """Dask's linear algebra takes one matrix at a time: why a stack of them is refused."""
    if all(x.ndim <= 2 for x in node.inputs):
        return None
    return (
        f"dask.array.linalg's {node.op.name} takes one 2-d matrix, not a stack of them; "
        "compute one matrix per step of an sg.scan over the stack"
    )


# --- ops ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Inv(MatrixFunction):
    """Inverse of square matrices (``np.linalg.inv``)."""

    name = "inv"
    template = "np.linalg.inv({0})"
    dask = True
    dask_helpers = _DASK_MATRIX_HELPERS

    def emit_dask(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return f"da.linalg.inv(_square_blocks({args[0]}))"

    def dask_unsupported(self, node: Expr) -> str | None:
        return _dask_one_matrix(node)

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        inv_t = matrix_transpose(node)
        return (ew.negative(matmul(matmul(inv_t, cotangent), inv_t)),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        (t,) = tangents
        return None if t is None else ew.negative(matmul(matmul(node, t), node))

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        return _per_matrix(self.name, args[0], _sympy_inv, node.shape[-2:])


@dataclasses.dataclass(frozen=True)
class Det(MatrixFunction):
    """Determinant of square matrices (``np.linalg.det``)."""

    name = "det"
    dask_alternative = (
        "for a symmetric positive definite matrix, the log of the determinant is "
        "2 * sum(log(diagonal(cholesky(a)))), which Dask computes"
    )
    template = "np.linalg.det({0})"

    def result_shape(self, shape: Shape) -> Shape:
        return shape[:-2]

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        inv_t = matrix_transpose(inv(node.inputs[0]))
        return (ew.multiply(as_matrix_scale(ew.multiply(cotangent, node)), inv_t),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        (t,) = tangents
        if t is None:
            return None
        inv_t = matrix_transpose(inv(node.inputs[0]))
        return ew.multiply(node, trace_of_product(inv_t, t))

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        return _per_matrix(self.name, args[0], _sympy_det, ())


@dataclasses.dataclass(frozen=True)
class Solve(Op):
    """Solution ``X`` of ``A X = B`` for square ``A`` and a stack of matrices ``B``
    (``np.linalg.solve``; vector right-hand sides are reshaped around it)."""

    name = "solve"
    dask = True
    dask_helpers = _DASK_MATRIX_HELPERS

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        a, b = inputs
        check_matrices(self.name, a)
        if b.ndim < 2 or b.shape[-2] != a.shape[-1]:
            raise ShapeError(
                self.name,
                f"b of shape {format_shape(b.shape)} does not fit a of shape "
                f"{format_shape(a.shape)}: b must be a vector of {a.shape[-1]} or a stack of "
                f"matrices with {a.shape[-1]} rows",
            )
        batch = broadcast_shapes(self.name, a.shape[:-2], b.shape[:-2])
        return batch + b.shape[-2:], linalg_dtype(self.name, a.dtype, b.dtype)

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return f"np.linalg.solve({args[0]}, {args[1]})"

    def emit_dask(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return f"da.linalg.solve(_square_blocks({args[0]}), {args[1]})"

    def dask_unsupported(self, node: Expr) -> str | None:
        return _dask_one_matrix(node)

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        a, b = node.inputs
        nb = ew.batch_of(cotangent, node)
        gb = Solve()(matrix_transpose(a), cotangent)
        ga = ew.negative(matmul(gb, matrix_transpose(node)))
        return reductions.sum_to(ga, a.shape, nb), reductions.sum_to(gb, b.shape, nb)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        nb, (ta, tb) = ew.lift_tangents(node, tangents)
        a_term = None if ta is None else ew.negative(matmul(ta, node))
        rhs = ew.add_tangents(tb, a_term)
        return None if rhs is None else ew.fit(Solve()(node.inputs[0], rhs), node, nb)

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        a, b = args
        batch = node.shape[:-2]
        batch = concrete(self.name, node.shape)[:-2]
        a = np.broadcast_to(a, batch + a.shape[-2:])
        b = np.broadcast_to(b, batch + b.shape[-2:])
        out = np.empty(concrete(self.name, node.shape), dtype=object)
        for index, m in _sympy_matrices(self.name, a):
            x = _sympy_inv(m) * sympy.Matrix(b[index].tolist())
            out[index] = np.array(x.tolist(), dtype=object)
        return out


@dataclasses.dataclass(frozen=True)
class Cholesky(MatrixFunction):
    """Cholesky factor of symmetric (Hermitian) positive-definite matrices
    (``np.linalg.cholesky``): lower ``L`` with ``A = L L^H``, or upper ``U = L^H`` if
    ``upper``. For complex ``A`` the rules conjugate where the convention of docs/numpy.md
    says: ``A_bar = herm(L^-T Phi(L^T L_bar) conj(L^-1))``."""

    name = "cholesky"
    dask = True
    dask_helpers = _DASK_MATRIX_HELPERS
    upper: bool = False

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return f"np.linalg.cholesky({args[0]}{', upper=True' if self.upper else ''})"

    def emit_dask(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        lower = "False" if self.upper else "True"  # (Dask's default is the upper factor)
        return f"da.linalg.cholesky(_square_blocks({args[0]}), lower={lower})"

    def dask_unsupported(self, node: Expr) -> str | None:
        return _dask_one_matrix(node)

    def lower(self, node: Expr) -> Expr:
        return adjoint(node) if self.upper else node

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        # A_bar = sym(L^-T Phi(L^T L_bar) L^-1) (Murray 2016, symmetrized); for complex A,
        # herm(L^-T Phi(L^T L_bar) conj(L^-1)), and U = L^H passes conj(U_bar)^T to L.
        low = self.lower(node)
        low_bar = adjoint(cotangent) if self.upper else cotangent
        low_inv = inv(low)
        right = ew.conj(low_inv) if low.dtype.kind == "c" else low_inv
        inner = lower_half(matmul(matrix_transpose(low), low_bar))
        return (hermitian_part(matmul(matmul(matrix_transpose(low_inv), inner), right)),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        # dL = L Phi(L^-1 herm(dA) L^-H)
        (t,) = tangents
        if t is None:
            return None
        low = self.lower(node)
        low_inv = inv(low)
        inner = matmul(matmul(low_inv, hermitian_part(t)), adjoint(low_inv))
        d_low = matmul(low, lower_half(inner))
        return adjoint(d_low) if self.upper else d_low

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        if self.upper:
            return _per_matrix(
                self.name, args[0], lambda m: _sympy_cholesky(m.T).T, node.shape[-2:]
            )
        return _per_matrix(self.name, args[0], _sympy_cholesky, node.shape[-2:])


_UPLO = ("L", "U")


@dataclasses.dataclass(frozen=True)
class Slogdet(Factorization):
    """Sign and log of the absolute determinant (``np.linalg.slogdet``). For real matrices
    the sign is +-1 and its derivative zero; for complex ones it is ``det / |det|``
    (complex) and ``logabsdet`` real, as NumPy gives them.

    With ``tau = tr(A^-1 dA)`` (the tangent of the holomorphic ``log det``):
    ``d logabsdet = Re(tau)`` and ``d sign = i sign Im(tau)``; the reverse rule is
    ``A_bar = (logabsdet_bar + i Im(sign_bar sign)) A^-T`` in the convention of
    docs/numpy.md."""

    name = "slogdet"
    dask_alternative = Det.dask_alternative
    results = ("sign", "logabsdet")
    real_results = ("logabsdet",)
    former_ops = ("slogdet_sign", "slogdet_logabsdet")

    def result_shapes(self, shape: Shape) -> tuple[Shape, ...]:
        return shape[:-2], shape[:-2]

    def numpy_call(self, arg: str, wanted: Sequence[int]) -> tuple[str, int | None]:
        return f"np.linalg.slogdet({arg})", None

    def vjp(self, node: Expr, cotangent: Sequence[Expr | None]) -> Sequence[Expr | None]:
        g_sign, g_log = cotangent
        sign = items(node)[0]
        if sign.dtype.kind != "c":
            g_sign = None  # a real sign is piecewise constant
        scale = None
        if g_sign is not None:
            turned = ew.multiply(g_sign, sign)
            scale = ew.multiply(ew.subtract(turned, ew.conj(turned)), as_expr(0.5, like=turned))
        scale = sum_present([g_log, scale])
        if scale is None:
            return (None,)
        inv_t = matrix_transpose(inv(node.inputs[0]))
        return (ew.multiply(as_matrix_scale(scale), inv_t),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Any:
        (t,) = tangents
        if t is None:
            return None
        tau = trace_of_product(matrix_transpose(inv(node.inputs[0])), t)
        if tau.dtype.kind != "c":
            return [None, tau]
        sign = items(node)[0]
        turn = ew.multiply(ew.subtract(tau, ew.conj(tau)), as_expr(0.5, like=tau))
        return [ew.multiply(sign, turn), ew.real(tau)]

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> Any:
        (a,) = args

        def sign(m: Any) -> Any:  # det / |det| for complex matrices, as NumPy's sign
            det = _sympy_det(m)
            return det / sympy.Abs(det) if node.inputs[0].dtype.kind == "c" else sympy.sign(det)

        return [
            _per_matrix(self.name, a, sign, ()),
            _per_matrix(self.name, a, lambda m: sympy.log(sympy.Abs(_sympy_det(m))), ()),
        ]


@dataclasses.dataclass(frozen=True)
class Eigh(Factorization):
    """Eigenvalues (ascending) and eigenvectors (columns, normalized) of symmetric matrices
    (``np.linalg.eigh``), reading the triangle ``uplo`` names."""

    name = "eigh"
    dask_alternative = (
        "compute it with the numpy backend on the (small) matrix, and pass the result in"
    )
    results = ("eigenvalues", "eigenvectors")
    real_results = ("eigenvalues",)  # a Hermitian matrix's eigenvalues are real
    former_ops = ("eigh_values", "eigh_vectors")
    uplo: str = "L"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.uplo not in _UPLO:
            raise ValueError(f"{self.name}: UPLO argument must be 'L' or 'U', got {self.uplo!r}")

    def result_shapes(self, shape: Shape) -> tuple[Shape, ...]:
        return shape[:-1], shape

    def numpy_call(self, arg: str, wanted: Sequence[int]) -> tuple[str, int | None]:
        uplo = ", UPLO='U'" if self.uplo == "U" else ""
        if list(wanted) == [0]:
            return f"np.linalg.eigvalsh({arg}{uplo})", 0
        return f"np.linalg.eigh({arg}{uplo})", None

    def vjp(self, node: Expr, cotangent: Sequence[Expr | None]) -> Sequence[Expr | None]:
        # For complex (Hermitian) A, with cotangents dL/dx - i dL/dy (docs/numpy.md):
        # A_bar = herm(conj(V) (diag(w_bar) + F * (V^T V_bar)) V^T); for real A, conj(V) = V.
        g_values, g_vectors = cotangent
        values, vectors = items(node)
        left = ew.conj(vectors) if vectors.dtype.kind == "c" else vectors
        terms: list[Expr | None] = [None, None]
        if g_values is not None:
            # A_bar = V diag(w_bar) V^T, symmetric (Hermitian) already.
            scaled = ew.multiply(left, as_row(g_values))
            terms[0] = matmul(scaled, matrix_transpose(vectors))
        if g_vectors is not None:
            # A_bar = sym(V (F * (V^T V_bar)) V^T), F[i, j] = 1 / (w[j] - w[i]).
            inner = ew.multiply(
                reciprocal_gaps(values), matmul(matrix_transpose(vectors), g_vectors)
            )
            terms[1] = hermitian_part(matmul(matmul(left, inner), matrix_transpose(vectors)))
        return (sum_present(terms),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Any:
        (t,) = tangents
        if t is None:
            return None
        values, vectors = items(node)
        # The tangent in the eigenbasis, V^H herm(dA) V: its diagonal (real) moves the
        # eigenvalues, and dV = V (F * (V^H herm(dA) V)).
        adjoint = matrix_transpose(vectors)
        if vectors.dtype.kind == "c":
            adjoint = ew.conj(adjoint)
        projected = matmul(matmul(adjoint, hermitian_part(t)), vectors)
        moved_values = diagonal_of(projected)
        if moved_values.dtype.kind == "c":
            moved_values = ew.real(moved_values)
        return [
            moved_values,
            matmul(vectors, ew.multiply(reciprocal_gaps(values), projected)),
        ]


# --- functions ------------------------------------------------------------------------------


class SlogdetResult(NamedTuple):
    """``slogdet``'s results, named as NumPy names them."""

    sign: Expr
    logabsdet: Expr


class EighResult(NamedTuple):
    """``eigh``'s results, named as NumPy names them."""

    eigenvalues: Expr
    eigenvectors: Expr


def solve(a: Any, b: Any) -> Expr:
    """The solution ``x`` of ``a @ x = b`` (``np.linalg.solve``, NumPy 2 rules): ``b`` is a
    vector if it is 1-d, else a stack of matrices; leading axes broadcast.

    >>> import symgrad as sg
    >>> a = sg.const([[2.0, 0.0], [0.0, 4.0]])
    >>> sg.linalg.solve(a, sg.const([2.0, 2.0])).eval().tolist()
    [1.0, 0.5]
    """
    a, b = as_exprs(a, b, op="solve")
    a = as_matrices("solve", a)
    linalg_dtype("solve", b.dtype)
    if b.ndim == 1:
        if b.shape[0] != a.shape[-1]:
            raise ShapeError(
                "solve",
                f"b of shape {format_shape(b.shape)} does not fit a of shape "
                f"{format_shape(a.shape)}: a vector b needs {a.shape[-1]} elements",
            )
        x = Solve()(a, shape_ops.reshape(b, b.shape + (1,)))
        return shape_ops.reshape(x, x.shape[:-1])
    return Solve()(a, b)


def inv(a: Any) -> Expr:
    """The inverse of each square matrix (``np.linalg.inv``).

    >>> import symgrad as sg
    >>> sg.linalg.inv(sg.const([[2.0, 0.0], [0.0, 4.0]])).eval().tolist()
    [[0.5, 0.0], [0.0, 0.25]]
    """
    return Inv()(as_matrices("inv", a))


def det(a: Any) -> Expr:
    """The determinant of each square matrix (``np.linalg.det``).

    >>> import symgrad as sg
    >>> float(sg.linalg.det(sg.const([[2.0, 1.0], [1.0, 3.0]])).eval())
    5.000000000000001
    """
    return Det()(as_matrices("det", a))


def slogdet(a: Any) -> SlogdetResult:
    """Sign and log of the absolute value of the determinant (``np.linalg.slogdet``), without
    the overflow of ``det``. For a complex matrix the sign is ``det / |det|`` (complex) and
    ``logabsdet`` real, as NumPy gives them; the sign of a real matrix has derivative zero.
    Both results come from one call.

    >>> import symgrad as sg
    >>> sign, logabsdet = sg.linalg.slogdet(sg.const([[-2.0, 0.0], [0.0, 3.0]]))
    >>> float(sign.eval()), round(float(logabsdet.eval()), 6)
    (-1.0, 1.791759)
    """
    return SlogdetResult(*items(Slogdet()(as_matrices("slogdet", a))))


def cholesky(a: Any, /, *, upper: bool = False) -> Expr:
    """The Cholesky factor of each symmetric positive-definite matrix
    (``np.linalg.cholesky``): lower ``L`` with ``a = L @ L.T``, or ``L.T`` if ``upper``.

    Only one triangle of ``a`` is read; derivatives treat ``a`` as symmetric (they are those
    of the function of ``(a + a.T) / 2``), so the gradient is a symmetric matrix.

    >>> import symgrad as sg
    >>> sg.linalg.cholesky(sg.const([[4.0, 2.0], [2.0, 5.0]])).eval().tolist()
    [[2.0, 0.0], [1.0, 2.0]]
    """
    return Cholesky(bool(upper))(as_matrices("cholesky", a))


def _uplo(name: str, UPLO: Any) -> str:  # noqa: N803 (NumPy's argument name)
    if UPLO not in _UPLO:
        raise ValueError(f"{name}: UPLO argument must be 'L' or 'U', got {UPLO!r}")
    return str(UPLO)


def eigh(a: Any, UPLO: str = "L") -> EighResult:  # noqa: N803 (NumPy's argument name)
    """Eigenvalues (ascending) and eigenvectors (columns) of symmetric matrices
    (``np.linalg.eigh``), reading the lower (``UPLO='L'``) or upper triangle.

    Derivatives hold where the eigenvalues are distinct and treat ``a`` as symmetric (they
    are those of the function of ``(a + a.T) / 2``). Both results come from one call.

    >>> import symgrad as sg
    >>> w, v = sg.linalg.eigh(sg.const([[2.0, 1.0], [1.0, 2.0]]))
    >>> w.eval().round(6).tolist()
    [1.0, 3.0]
    """
    a = as_matrices("eigh", a)
    return EighResult(*items(Eigh(_uplo("eigh", UPLO))(a)))


def eigvalsh(a: Any, UPLO: str = "L") -> Expr:  # noqa: N803 (NumPy's argument name)
    """Eigenvalues (ascending) of symmetric matrices (``np.linalg.eigvalsh``).

    >>> import symgrad as sg
    >>> sg.linalg.eigvalsh(sg.const([[2.0, 1.0], [1.0, 2.0]])).eval().round(6).tolist()
    [1.0, 3.0]
    """
    return items(Eigh(_uplo("eigvalsh", UPLO))(as_matrices("eigvalsh", a)))[0]
