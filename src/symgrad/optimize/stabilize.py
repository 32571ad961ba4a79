"""Numerically stable forms of hand-written formulas.

log(1 + x) -> log1p(x); exp(x) - 1 -> expm1(x); log(1 + exp(x)) -> softplus(x);
log(sum(exp(x))) -> logsumexp(x); log(sigmoid(x)) -> -softplus(-x);
log(softmax(x)) -> x - logsumexp(x) (whose gradient needs no division by the softmax).
Each keeps the value
where the original is accurate and stays finite where the original overflows or rounds to 0.
"""

from __future__ import annotations

from ..core.expr import Expr
from ..ops import elementwise as ew
from ..ops import reductions
from .patterns import is_fill, same_type


def _plus_one(node: Expr) -> Expr | None:
    """``x`` if ``node`` is ``1 + x`` or ``x + 1`` with ``x`` of the node's shape and dtype."""
    if not isinstance(node.op, ew.Add):
        return None
    a, b = node.inputs
    if is_fill(a, 1.0) and same_type(b, node):
        return b
    if is_fill(b, 1.0) and same_type(a, node):
        return a
    return None


def stabilize(node: Expr) -> Expr | None:
    op = node.op
    if isinstance(op, ew.Log):
        inner = node.inputs[0]
        x = _plus_one(inner)
        if x is not None:
            return ew.log1p(x)
        if isinstance(inner.op, reductions.Sum) and isinstance(inner.inputs[0].op, ew.Exp):
            return reductions.LogSumExp(inner.op.axes, inner.op.keepdims)(inner.inputs[0].inputs[0])
        if isinstance(inner.op, ew.Sigmoid):
            return ew.negative(ew.softplus(ew.negative(inner.inputs[0])))
        if isinstance(inner.op, reductions.Softmax):
            x = inner.inputs[0]
            shifted = ew.subtract(x, reductions.LogSumExp((inner.op.axis,), True)(x))
            return shifted if same_type(shifted, node) else None
        return None
    if isinstance(op, ew.Log1p) and isinstance(node.inputs[0].op, ew.Exp):
        return ew.softplus(node.inputs[0].inputs[0])
    if isinstance(op, ew.Subtract):
        a, b = node.inputs
        if isinstance(a.op, ew.Exp) and is_fill(b, 1.0) and same_type(a, node):
            return ew.expm1(a.inputs[0])
    return None
