"""Matrix decompositions and inverses, as in ``np.linalg``: solve, inv, det, slogdet,
cholesky, eigh, svd and pinv.

Every op works on the last two axes and batches over the leading ones, like NumPy, and emits
the NumPy call itself, so values are NumPy's. Functions with several results (slogdet, eigh,
svd) are multi-output ops: one node, read by an item per result, so a graph using several
results of one decomposition (as a value and its derivative do) makes the call once. A
graph using only the eigenvalues or only the singular values calls ``eigvalsh`` or
``svd(..., compute_uv=False)``.

Derivatives hold where the function is smooth:

* ``inv``, ``solve``, ``det``, ``slogdet``: where the matrix is invertible;
* ``cholesky`` and ``eigh`` read only one triangle of their input. Their derivatives are
  those of the function of the symmetric part ``(A + A^T) / 2``: cotangents come back
  symmetric and tangents are symmetrized first (the convention of JAX and PyTensor), which is
  what a symmetric input built as ``X @ X.T`` or ``X + X.T`` needs;
* ``eigh``: where the eigenvalues are distinct; ``svd``: where the singular values are
  distinct and nonzero, for thin factors (``full_matrices=False``, or a square matrix);
* ``pinv``: where the rank does not change (full rank, or a deficient rank that small
  perturbations keep, as for ``X.T @ X`` with more columns than rows in ``X``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

import numpy as np

from ..core.dtypes import real_of
from ..core.expr import Expr
from ..core.lazy import lazy_module
from ..core.shapes import Dim, Shape, broadcast_shapes, concrete, format_shape
from ..errors import ShapeError
from . import elementwise as ew
from . import reductions, shape_ops
from .base import EmitContext, Op
from .leaves import Eye, as_expr, as_exprs, const
from .linalg import matmul
from .subgraph import TUPLE, MultiOutput, items

if TYPE_CHECKING:
    import sympy
else:
    sympy = lazy_module("sympy")

#: Largest matrix (rows or columns) that ``to_sympy`` translates: symbolic inverses and
#: determinants grow factorially with the size.
SYMPY_MAX_SIZE = 4


# --- shapes and dtypes ----------------------------------------------------------------------


#: The functions whose derivative rules hold for complex matrices: holomorphic ones, whose
#: rules use transposes and no conjugates in the convention of docs/numpy.md, and eigh
#: (Hermitian matrices, whose rules conjugate where the convention says).
COMPLEX_READY = frozenset({"inv", "det", "solve", "eigvals", "eig", "eigh", "eigvalsh", "cholesky"})


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


def _trace_of_product(a_transposed: Expr, t: Expr) -> Expr:
    """``trace(A @ t)`` given ``A^T``: the sum of the elementwise product."""
    return reductions.sum(ew.multiply(a_transposed, t), axis=(-2, -1))


def _as_matrix_scale(g: Expr) -> Expr:
    """``g[..., None, None]``: one factor per matrix."""
    return shape_ops.reshape(g, g.shape + (1, 1))


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
class _MatrixFunction(Op):
    """A function of one stack of matrices, emitted as one NumPy call."""

    square: ClassVar[bool] = True
    #: The emission, with ``{0}`` for the operand.
    template: ClassVar[str] = ""

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        (a,) = inputs
        check_matrices(self.name, a, self.square)
        return self.result_shape(a.shape), linalg_dtype(self.name, a.dtype)

    def result_shape(self, shape: Shape) -> Shape:
        return shape

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return self.template.format(*args)


@dataclasses.dataclass(frozen=True)
class Inv(_MatrixFunction):
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
class Det(_MatrixFunction):
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
        return (ew.multiply(_as_matrix_scale(ew.multiply(cotangent, node)), inv_t),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        (t,) = tangents
        if t is None:
            return None
        inv_t = matrix_transpose(inv(node.inputs[0]))
        return ew.multiply(node, _trace_of_product(inv_t, t))

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
class Cholesky(_MatrixFunction):
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


def _singular_count(name: str, shape: Shape) -> Dim:
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


def _may_be_taller(a: Expr) -> bool:
    """False where ``a``'s matrices are known to have no more rows than columns."""
    m, n = a.shape[-2:]
    if m == n:
        return False
    return not (isinstance(m, int) and isinstance(n, int)) or m > n


def _may_be_wider(a: Expr) -> bool:
    """False where ``a``'s matrices are known to have no more columns than rows."""
    m, n = a.shape[-2:]
    if m == n:
        return False
    return not (isinstance(m, int) and isinstance(n, int)) or n > m


@dataclasses.dataclass(frozen=True)
class _Factorization(MultiOutput):
    """An ``np.linalg`` function with several results (slogdet, eigh, svd): one node whose
    items are the results, so that a graph using several of them (a value and its
    derivative do) makes the NumPy call once. Its reverse rule takes one cotangent per
    result (``None`` for those without), its forward rule gives one tangent per result."""

    fresh = True  # the results are new arrays
    square: ClassVar[bool] = True
    #: The results, named as NumPy's result tuple names them (also their emitted names).
    results: ClassVar[tuple[str, ...]]
    #: The names under which each result was once saved as an op of its own (loading
    #: graph files saved by earlier versions reads them as items of this op).
    former_ops: ClassVar[tuple[str, ...]] = ()

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        (a,) = inputs
        check_matrices(self.name, a, self.square)
        linalg_dtype(self.name, a.dtype)
        return (), TUPLE

    @property
    def n_outputs(self) -> int:
        return len(self.results)

    def output_types_for(self, inputs: Sequence[Expr]) -> tuple[tuple[Shape, np.dtype], ...]:
        (a,) = inputs
        dtype = linalg_dtype(self.name, a.dtype)
        return tuple((shape, dtype) for shape in self.result_shapes(a.shape))

    def result_shapes(self, shape: Shape) -> tuple[Shape, ...]:
        raise NotImplementedError

    def output_hint(self, index: int) -> str:
        return self.results[index]

    def label(self) -> str:
        return Op.label(self)

    def numpy_call(self, arg: str, wanted: Sequence[int]) -> tuple[str, int | None]:
        """The NumPy call computing the results at positions ``wanted``, and the one result
        it gives if it gives only that one (``eigvalsh``), else ``None`` (all, as a tuple)."""
        raise NotImplementedError

    def emit_block(
        self, node: Expr, args: Sequence[str], outs: Sequence[str | None], ctx: Any
    ) -> list[str]:
        wanted = [i for i, out in enumerate(outs) if out is not None]
        call, single = self.numpy_call(args[0], wanted)
        if single is not None:
            return [f"{ctx.indent}{outs[single]} = {call}"]
        if len(wanted) == 1:
            (i,) = wanted
            return [f"{ctx.indent}{outs[i]} = {call}.{self.results[i]}"]
        names = [out or ctx.fresh(self.results[i]) for i, out in enumerate(outs)]
        lines = [f"{ctx.indent}{', '.join(names)} = {call}"]
        unused = [name for name, out in zip(names, outs) if out is None]
        if unused:
            lines.append(f"{ctx.indent}del {', '.join(unused)}")
        return lines


def _sum_present(terms: Sequence[Expr | None]) -> Expr | None:
    """The sum of the terms that are not ``None`` (``None`` if none is)."""
    present = [t for t in terms if t is not None]
    if not present:
        return None
    total = present[0]
    for t in present[1:]:
        total = ew.add(total, t)
    return total


@dataclasses.dataclass(frozen=True)
class Slogdet(_Factorization):
    """Sign and log of the absolute determinant (``np.linalg.slogdet``); the sign's
    derivative is zero."""

    name = "slogdet"
    dask_alternative = Det.dask_alternative
    results = ("sign", "logabsdet")
    former_ops = ("slogdet_sign", "slogdet_logabsdet")

    def result_shapes(self, shape: Shape) -> tuple[Shape, ...]:
        return shape[:-2], shape[:-2]

    def numpy_call(self, arg: str, wanted: Sequence[int]) -> tuple[str, int | None]:
        return f"np.linalg.slogdet({arg})", None

    def vjp(self, node: Expr, cotangent: Sequence[Expr | None]) -> Sequence[Expr | None]:
        _, g = cotangent
        if g is None:
            return (None,)
        inv_t = matrix_transpose(inv(node.inputs[0]))
        return (ew.multiply(_as_matrix_scale(g), inv_t),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Any:
        (t,) = tangents
        if t is None:
            return None
        return [None, _trace_of_product(matrix_transpose(inv(node.inputs[0])), t)]

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> Any:
        (a,) = args
        return [
            _per_matrix(self.name, a, lambda m: sympy.sign(_sympy_det(m)), ()),
            _per_matrix(self.name, a, lambda m: sympy.log(sympy.Abs(_sympy_det(m))), ()),
        ]


@dataclasses.dataclass(frozen=True)
class Eigh(_Factorization):
    """Eigenvalues (ascending) and eigenvectors (columns, normalized) of symmetric matrices
    (``np.linalg.eigh``), reading the triangle ``uplo`` names."""

    name = "eigh"
    dask_alternative = (
        "compute it with the numpy backend on the (small) matrix, and pass the result in"
    )
    results = ("eigenvalues", "eigenvectors")
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

    def output_types_for(self, inputs: Sequence[Expr]) -> tuple[tuple[Shape, np.dtype], ...]:
        # A Hermitian matrix's eigenvalues are real: float for complex input.
        (a,) = inputs
        dtype = linalg_dtype(self.name, a.dtype)
        values, vectors = self.result_shapes(a.shape)
        return (values, real_of(dtype)), (vectors, dtype)

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
        return (_sum_present(terms),)

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


@dataclasses.dataclass(frozen=True)
class Svd(_Factorization):
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
        _singular_count(self.name, inputs[0].shape)
        return result

    def result_shapes(self, shape: Shape) -> tuple[Shape, ...]:
        m, n = shape[-2:]
        k = _singular_count(self.name, shape)
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
        u, s, vh = _thin_svd(a)
        terms: list[Expr | None] = [None, None, None]
        if g_u is not None:
            # A_bar = U ((J + J^T) S) V^T + (I - U U^T) U_bar S^-1 V^T, J = F * (U^T U_bar)
            self.check_thin(a)
            j = ew.multiply(_squared_gaps(s), matmul(matrix_transpose(u), g_u))
            core = ew.multiply(ew.add(j, matrix_transpose(j)), as_row(s))
            total = matmul(matmul(u, core), vh)
            if _may_be_taller(a):
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
            if _may_be_wider(a):
                away = ew.subtract(g_vh, matmul(matmul(g_vh, matrix_transpose(vh)), vh))
                total = ew.add(total, matmul(u, ew.divide(away, as_column(s))))
            terms[2] = total
        return (_sum_present(terms),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Any:
        (t,) = tangents
        if t is None:
            return None
        a = node.inputs[0]
        self.check_thin(a)
        u, s, vh = _thin_svd(a)
        v = matrix_transpose(vh)
        dp = matmul(matmul(matrix_transpose(u), t), v)  # the tangent between the vectors
        # dU = U (F * (dP S + S dP^T)) + (I - U U^T) dA V S^-1
        mixed = ew.add(ew.multiply(dp, as_row(s)), ew.multiply(as_column(s), matrix_transpose(dp)))
        du = matmul(u, ew.multiply(_squared_gaps(s), mixed))
        if _may_be_taller(a):
            away = ew.subtract(matmul(t, v), matmul(u, dp))
            du = ew.add(du, ew.divide(away, as_row(s)))
        # dV = V (F * (S dP + dP^T S)) + (I - V V^T) dA^T U S^-1; dVh = dV^T
        mixed = ew.add(ew.multiply(as_column(s), dp), ew.multiply(matrix_transpose(dp), as_row(s)))
        dv = matmul(v, ew.multiply(_squared_gaps(s), mixed))
        if _may_be_wider(a):
            away = ew.subtract(matmul(matrix_transpose(t), u), matmul(v, matrix_transpose(dp)))
            dv = ew.add(dv, ew.divide(away, as_row(s)))
        return [du, diagonal_of(dp), matrix_transpose(dv)]


def _thin_svd(a: Expr) -> list[Expr]:
    """The thin ``U, S, Vh`` of ``a``: the nodes the rules are built from."""
    return items(Svd(False)(a))


def _squared_gaps(s: Expr) -> Expr:
    """``F[..., i, j] = 1 / (s[j]^2 - s[i]^2)`` off the diagonal, 0 on it."""
    return reciprocal_gaps(ew.multiply(s, s))


@dataclasses.dataclass(frozen=True)
class Pinv(_MatrixFunction):
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


# --- functions ------------------------------------------------------------------------------


class SlogdetResult(NamedTuple):
    """``slogdet``'s results, named as NumPy names them."""

    sign: Expr
    logabsdet: Expr


class EighResult(NamedTuple):
    """``eigh``'s results, named as NumPy names them."""

    eigenvalues: Expr
    eigenvectors: Expr


class SVDResult(NamedTuple):
    """``svd``'s results, named as NumPy names them."""

    U: Expr
    S: Expr
    Vh: Expr


def _matrices(name: str, a: Any, square: bool = True) -> Expr:
    """``a`` as an expression, checked to be a stack of (square) matrices of a linalg dtype."""
    a = as_expr(a)
    check_matrices(name, a, square)
    linalg_dtype(name, a.dtype)
    return a


def solve(a: Any, b: Any) -> Expr:
    """The solution ``x`` of ``a @ x = b`` (``np.linalg.solve``, NumPy 2 rules): ``b`` is a
    vector if it is 1-d, else a stack of matrices; leading axes broadcast.

    >>> import symgrad as sg
    >>> a = sg.const([[2.0, 0.0], [0.0, 4.0]])
    >>> sg.linalg.solve(a, sg.const([2.0, 2.0])).eval().tolist()
    [1.0, 0.5]
    """
    a, b = as_exprs(a, b, op="solve")
    a = _matrices("solve", a)
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
    return Inv()(_matrices("inv", a))


def det(a: Any) -> Expr:
    """The determinant of each square matrix (``np.linalg.det``).

    >>> import symgrad as sg
    >>> float(sg.linalg.det(sg.const([[2.0, 1.0], [1.0, 3.0]])).eval())
    5.000000000000001
    """
    return Det()(_matrices("det", a))


def slogdet(a: Any) -> SlogdetResult:
    """Sign and log of the absolute value of the determinant (``np.linalg.slogdet``), without
    the overflow of ``det``. The sign's derivative is zero. Both results come from one call.

    >>> import symgrad as sg
    >>> sign, logabsdet = sg.linalg.slogdet(sg.const([[-2.0, 0.0], [0.0, 3.0]]))
    >>> float(sign.eval()), round(float(logabsdet.eval()), 6)
    (-1.0, 1.791759)
    """
    return SlogdetResult(*items(Slogdet()(_matrices("slogdet", a))))


def cholesky(a: Any, /, *, upper: bool = False) -> Expr:
    """The Cholesky factor of each symmetric positive-definite matrix
    (``np.linalg.cholesky``): lower ``L`` with ``a = L @ L.T``, or ``L.T`` if ``upper``.

    Only one triangle of ``a`` is read; derivatives treat ``a`` as symmetric (they are those
    of the function of ``(a + a.T) / 2``), so the gradient is a symmetric matrix.

    >>> import symgrad as sg
    >>> sg.linalg.cholesky(sg.const([[4.0, 2.0], [2.0, 5.0]])).eval().tolist()
    [[2.0, 0.0], [1.0, 2.0]]
    """
    return Cholesky(bool(upper))(_matrices("cholesky", a))


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
    a = _matrices("eigh", a)
    return EighResult(*items(Eigh(_uplo("eigh", UPLO))(a)))


def eigvalsh(a: Any, UPLO: str = "L") -> Expr:  # noqa: N803 (NumPy's argument name)
    """Eigenvalues (ascending) of symmetric matrices (``np.linalg.eigvalsh``).

    >>> import symgrad as sg
    >>> sg.linalg.eigvalsh(sg.const([[2.0, 1.0], [1.0, 2.0]])).eval().round(6).tolist()
    [1.0, 3.0]
    """
    return items(Eigh(_uplo("eigvalsh", UPLO))(_matrices("eigvalsh", a)))[0]


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
    a = _matrices("svd", a, square=False)
    if hermitian:
        raise ValueError("svd: hermitian=True is not supported; use eigh for symmetric input")
    _singular_count("svd", a.shape)
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
    return Pinv()(_matrices("pinv", a, square=False))
