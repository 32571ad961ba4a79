"""Derivatives of broadcasting ops: batch axes in front, size-1 axes inserted to line up.

Cotangents and tangents may carry leading batch axes (a Jacobian pushes many at once). Rules
of ops that broadcast their inputs use these helpers to line a derivative up with the
node it belongs to.
"""

from __future__ import annotations

from collections.abc import Sequence

from ...core.expr import Expr
from .. import shape_ops


def batch_of(derivative: Expr, x: Expr) -> int:
    """How many leading batch axes a cotangent or tangent of ``x`` carries."""
    return derivative.ndim - x.ndim


def lift(t: Expr, ndim: int, out_ndim: int) -> Expr:
    """A batched tangent ``t`` of an ``ndim``-d input, with size-1 axes inserted after its
    batch axes so that it broadcasts against an ``out_ndim``-d output like the input did."""
    if ndim >= out_ndim:
        return t
    batch = t.ndim - ndim
    return shape_ops.reshape(t, t.shape[:batch] + (1,) * (out_ndim - ndim) + t.shape[batch:])


def lift_tangents(node: Expr, tangents: Sequence[Expr | None]) -> tuple[int, list[Expr | None]]:
    """The batch size of the tangents and each lifted to broadcast against ``node``."""
    batch = next((batch_of(t, x) for t, x in zip(tangents, node.inputs) if t is not None), 0)
    return batch, [
        None if t is None else lift(t, x.ndim, node.ndim) for t, x in zip(tangents, node.inputs)
    ]


def fit(tangent: Expr, node: Expr, batch: int = 0) -> Expr:
    """``tangent`` cast to ``node``'s dtype and broadcast to its shape, after ``batch``
    leading batch axes (a no-op when it fits already)."""
    if tangent.dtype != node.dtype and node.dtype.kind in "fc":
        tangent = shape_ops.astype(tangent, node.dtype)
    target = tangent.shape[:batch] + node.shape
    if tangent.shape != target:
        tangent = shape_ops.broadcast_to(lift(tangent, tangent.ndim - batch, node.ndim), target)
    return tangent
