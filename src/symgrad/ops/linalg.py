"""Matrix products: ``matmul`` is the op; ``dot`` and ``outer`` are built from it and from
reshapes, following NumPy's semantics exactly."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.dtypes import ufunc_result
from ..core.expr import Expr
from ..core.shapes import Shape, broadcast_shapes, format_shape, is_concrete
from ..errors import ShapeError
from . import elementwise as ew
from . import reductions, shape_ops
from .arguments import no_out
from .base import EmitContext, Op
from .leaves import as_exprs


@dataclasses.dataclass(frozen=True)
class Matmul(Op):
    """Matrix product with NumPy's ``@`` rules: 1-d operands are promoted to a row or column
    and the added axis removed afterwards; leading axes broadcast as a batch."""

    name = "matmul"
    dask = True

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        a, b = inputs
        if a.ndim == 0 or b.ndim == 0:
            raise ShapeError(
                self.name,
                "matmul needs operands of at least one dimension, got "
                f"{format_shape(a.shape)} and {format_shape(b.shape)}",
            )
        a2 = a.shape if a.ndim > 1 else (1,) + a.shape
        b2 = b.shape if b.ndim > 1 else b.shape + (1,)
        if a2[-1] != b2[-2]:
            raise ShapeError(
                self.name,
                f"shapes {format_shape(a.shape)} and "
                f"{format_shape(b.shape)} are not aligned: "
                f"{a2[-1]!r} (dim {a.ndim - 1}) != {b2[-2]!r} "
                f"(dim {max(b.ndim - 2, 0)})",
            )
        batch = broadcast_shapes(self.name, a2[:-2], b2[:-2])
        shape = batch + (a2[-2],) * (a.ndim > 1) + (b2[-1],) * (b.ndim > 1)
        return shape, ufunc_result(np.matmul, a.dtype, b.dtype)

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return f"{args[0]} @ {args[1]}"

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        a, b = node.inputs
        nb = ew.batch_of(cotangent, node)
        if a.ndim == 1 and b.ndim == 1 and nb == 0:
            return ew.multiply(cotangent, b), ew.multiply(cotangent, a)
        # Promote 1-d operands to matrices so one pair of formulas covers every case; batch
        # axes of the cotangent lead and broadcast through matmul.
        a2, b2, core = _promoted(a, b)
        batch = cotangent.shape[:nb]
        g2 = shape_ops.reshape(cotangent, batch + core)
        ga = reductions.sum_to(_product(g2, shape_ops.swapaxes(b2, -1, -2)), a2.shape, nb)
        gb = reductions.sum_to(_product(shape_ops.swapaxes(a2, -1, -2), g2), b2.shape, nb)
        return shape_ops.reshape(ga, batch + a.shape), shape_ops.reshape(gb, batch + b.shape)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        a, b = node.inputs
        ta, tb = tangents
        known = next(((t, x) for t, x in zip(tangents, node.inputs) if t is not None), None)
        if known is None:
            return None
        batch = known[0].shape[: ew.batch_of(*known)]
        a2, b2, core = _promoted(a, b)

        def lifted(t: Expr, x2: Expr) -> Expr:
            # Size-1 axes between the tangent's batch axes and x2's own, so that the
            # operands' batch axes line up as they did in the product itself.
            return shape_ops.reshape(t, batch + (1,) * (len(core) - x2.ndim) + x2.shape)

        terms = (
            None if ta is None else _product(lifted(ta, a2), b2),
            None if tb is None else _product(a2, lifted(tb, b2)),
        )
        total = ew.add_tangents(*terms)
        assert total is not None
        return ew.fit(shape_ops.reshape(total, batch + node.shape), node, len(batch))

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        return np.asarray(np.matmul(*args), dtype=object)


def _product(a: Expr, b: Expr) -> Expr:
    """``a @ b`` where one side may carry many leading (batch) axes and the other is one
    matrix, as one matrix product: NumPy would otherwise run one small product per batch
    entry (a matrix-vector product each, for the derivatives of a matrix times a vector).

    The batch axes are folded into the rows of the stacked side, when that side's matrices
    are rows anyway (``(..., m, n) @ (n, k)``: rows ``... * m``), or turned so that they are
    (``(m, n) @ (..., n, 1)``, the stacked side a column each: the transpose ``(..., 1, n)
    @ (n, m)``)."""
    if a.ndim > 2 and b.ndim == 2 and is_concrete(a.shape):
        rows = shape_ops.reshape(a, (-1, a.shape[-1]))
        return shape_ops.reshape(matmul(rows, b), a.shape[:-1] + b.shape[-1:])
    if a.ndim == 2 and b.ndim > 2 and b.shape[-1] == 1 and is_concrete(b.shape):
        rows = shape_ops.reshape(b, (-1, b.shape[-2]))  # (..., n, 1) as rows (... , n)
        product = matmul(rows, shape_ops.swapaxes(a, -1, -2))
        return shape_ops.reshape(product, b.shape[:-2] + (a.shape[-2], 1))
    return matmul(a, b)


def _promoted(a: Expr, b: Expr) -> tuple[Expr, Expr, tuple[Any, ...]]:
    """``a`` and ``b`` as matrices (1-d: a row, resp. a column) and their product's shape."""
    a2 = a if a.ndim > 1 else shape_ops.reshape(a, (1,) + a.shape)
    b2 = b if b.ndim > 1 else shape_ops.reshape(b, b.shape + (1,))
    batch = broadcast_shapes("matmul", a2.shape[:-2], b2.shape[:-2])
    return a2, b2, batch + (a2.shape[-2], b2.shape[-1])


def matmul(a: Any, b: Any) -> Expr:
    """Matrix product ``a @ b`` with NumPy's rules (``np.matmul``).

    >>> import symgrad as sg
    >>> (sg.var("A", shape=(2, 3)) @ sg.var("v", shape=(3,))).shape
    (2,)
    """
    return Matmul()(*as_exprs(a, b))


def dot(a: Any, b: Any, out: None = None) -> Expr:
    """``np.dot``: a product for 0-d operands, ``matmul`` for 1-d and 2-d ones, and for N-d
    ones a sum over the last axis of ``a`` and the second-to-last of ``b``.

    >>> import symgrad as sg
    >>> x = sg.var("x", shape=(4,))
    >>> sg.dot(x, x).shape
    ()
    """
    no_out("dot", out)
    a, b = as_exprs(a, b)
    if a.ndim == 0 or b.ndim == 0:
        return ew.multiply(a, b)
    if b.ndim == 1 or (a.ndim <= 2 and b.ndim <= 2):
        return matmul(a, b)
    # N-d dot: contract a's last axis with b's second-to-last, as one matrix product.
    k = a.shape[-1]
    if b.shape[-2] != k:
        raise ShapeError(
            "dot",
            f"shapes {format_shape(a.shape)} and {format_shape(b.shape)} "
            f"not aligned: {k!r} != {b.shape[-2]!r}",
        )
    b_moved = shape_ops.transpose(
        b, (b.ndim - 2,) + tuple(i for i in range(b.ndim) if i != b.ndim - 2)
    )
    flat = matmul(shape_ops.reshape(a, (-1, k)), shape_ops.reshape(b_moved, (k, -1)))
    return shape_ops.reshape(flat, a.shape[:-1] + b.shape[:-2] + b.shape[-1:])


def outer(a: Any, b: Any, out: None = None) -> Expr:
    """Outer product of two arrays, flattened first (``np.outer``)."""
    no_out("outer", out)
    a, b = as_exprs(a, b)
    return ew.multiply(shape_ops.reshape(a, (-1, 1)), shape_ops.reshape(b, (1, -1)))
