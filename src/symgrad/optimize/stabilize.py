"""Numerically stable forms of hand-written formulas.

log(1 + x) -> log1p(x); exp(x) - 1 -> expm1(x); log(1 + exp(x)) -> softplus(x);
log(sum(exp(x))) -> logsumexp(x); log(sigmoid(x)) -> -softplus(-x);
log(softmax(x)) -> x - logsumexp(x) (whose gradient needs no division by the softmax).
Each keeps the value where the original is accurate and stays finite where the original
overflows or rounds to 0.

Formulas that are stable already are left as written, or become exactly one op:
``log(sum(exp(z - max(z))))`` stays (nothing overflows), ``max(z) + log(sum(exp(z -
max(z))))`` becomes one ``logsumexp(z)`` (whose derivative is the softmax, without the
derivative of the max), and ``log1p(exp(u))`` stays where ``u <= 0`` (``-abs(v)``,
``z - max(z)``, ``minimum(v, 0)``).

Derivatives are taken of the stable form: ``symgrad.optimize`` rebuilds each derivative
from its stabilized function (see ``symgrad.optimize.derivatives``).
"""

from __future__ import annotations

from ..core.expr import Expr
from ..ops import elementwise as ew
from ..ops import reductions, shape_ops
from .patterns import constant_behind, is_fill, same_type
from .rewrite import Pass


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


def _strip(node: Expr) -> Expr:
    """``node`` without the reshapes, broadcasts and stop_gradients around it."""
    while isinstance(node.op, (shape_ops.Reshape, shape_ops.BroadcastTo, ew.StopGradient)):
        node = node.inputs[0]
    return node


def _max_of(node: Expr) -> Expr | None:
    """``z`` if ``node`` is ``max(z)`` over some axes (reshaped, broadcast or behind a
    stop_gradient)."""
    node = _strip(node)
    return node.inputs[0] if isinstance(node.op, reductions.Max) else None


def _shifted_by_max(u: Expr, axes: tuple[int, ...] | None = None) -> Expr | None:
    """``z`` if ``u`` is ``z - max(z)`` (the max over ``axes``, if given): no element of
    ``u`` is positive, so ``exp(u)`` cannot overflow."""
    if not isinstance(u.op, ew.Subtract):
        return None
    z, m = u.inputs
    top = _strip(m)
    if not isinstance(top.op, reductions.Max) or top.inputs[0] is not z:
        return None
    if axes is not None and top.op.axes != axes:
        return None
    return z


def _nonpositive(u: Expr) -> bool:
    """Whether ``u`` is plainly never positive: ``-abs(v)``, ``z - max(z)`` or
    ``minimum(v, c)`` with a constant ``c <= 0``."""
    op = u.op
    if isinstance(op, ew.Negative):
        return isinstance(u.inputs[0].op, ew.Abs)
    if isinstance(op, ew.Minimum):
        for c in u.inputs:
            value = constant_behind(c)
            if value is not None and value.size and bool((value <= 0).all()):
                return True
        return False
    return _shifted_by_max(u) is not None


def _stable_log(node: Expr) -> Expr | None:
    inner = node.inputs[0]
    x = _plus_one(inner)
    if x is not None:
        return ew.log1p(x)
    if isinstance(inner.op, reductions.Sum) and isinstance(inner.inputs[0].op, ew.Exp):
        u = inner.inputs[0].inputs[0]
        if _shifted_by_max(u, inner.op.axes) is not None:
            return None  # stable as written: exp of a max-shifted argument cannot overflow
        return reductions.LogSumExp(inner.op.axes, inner.op.keepdims)(u)
    if isinstance(inner.op, ew.Sigmoid):
        return ew.negative(ew.softplus(ew.negative(inner.inputs[0])))
    return None


def _log_softmax(node: Expr) -> Expr | None:
    """``log(softmax(x))`` to ``x - logsumexp(x)``: no log of an underflowed 0, and a
    gradient without a division by the softmax."""
    inner = node.inputs[0]
    if not isinstance(inner.op, reductions.Softmax):
        return None
    x = inner.inputs[0]
    shifted = ew.subtract(x, reductions.LogSumExp((inner.op.axis,), True)(x))
    return shifted if same_type(shifted, node) else None


def _stable_log1p(node: Expr) -> Expr | None:
    inner = node.inputs[0]
    if isinstance(inner.op, ew.Exp) and not _nonpositive(inner.inputs[0]):
        return ew.softplus(inner.inputs[0])
    return None


def _stable_expm1(node: Expr) -> Expr | None:
    a, b = node.inputs
    if isinstance(a.op, ew.Exp) and is_fill(b, 1.0) and same_type(a, node):
        return ew.expm1(a.inputs[0])
    return None


def _one_logsumexp(node: Expr) -> Expr | None:
    """``max(z) + log(sum(exp(z - max(z))))``, the hand-written stable logsumexp, to one
    ``logsumexp(z)``: the same value, without a second max, and a derivative without the
    max's (which cancels)."""
    for m, log in (node.inputs, node.inputs[::-1]):
        if not isinstance(log.op, ew.Log):
            continue
        total = log.inputs[0]
        if not isinstance(total.op, reductions.Sum) or not isinstance(total.inputs[0].op, ew.Exp):
            continue
        z = _shifted_by_max(total.inputs[0].inputs[0], total.op.axes)
        top = _strip(m)
        if (
            z is None
            or _max_of(m) is not z
            or not isinstance(top.op, reductions.Max)
            or top.op.axes != total.op.axes
        ):
            continue
        candidate = reductions.LogSumExp(total.op.axes, total.op.keepdims)(z)
        if same_type(candidate, node):
            return candidate
    return None


stabilize = Pass(
    "stabilize",
    [
        # (the ops a rule rewrites, the rule, the ops one of the inputs must be)
        (ew.Log, _stable_log, (ew.Add, reductions.Sum, ew.Sigmoid)),
        (ew.Log, _log_softmax, (reductions.Softmax,)),
        (ew.Log1p, _stable_log1p, (ew.Exp,)),
        (ew.Subtract, _stable_expm1, (ew.Exp,)),
        (ew.Add, _one_logsumexp, (ew.Log,)),
    ],
)
