"""Small helpers for matching nodes in rewrite rules."""

from __future__ import annotations

import math

import numpy as np

from ..core.expr import Expr
from ..ops import elementwise as ew
from ..ops.base import Op
from ..ops.contractions import DiagEmbed
from ..ops.leaves import Constant, Eye
from ..ops.shape_ops import BroadcastTo, Reshape

_CONSTANT_LIKE = (Constant, BroadcastTo, Reshape)


def constant_behind(node: Expr) -> np.ndarray | None:
    """The value of the constant ``node`` is (possibly reshaped or broadcast), or ``None``."""
    while isinstance(node.op, (BroadcastTo, Reshape)):
        node = node.inputs[0]
    return node.op.value if isinstance(node.op, Constant) else None


def fill_value(node: Expr) -> float | int | bool | None:
    """The single value every element of ``node`` has, exactly (a Python number, +0.0 and
    -0.0 told apart), if it is a constant (possibly reshaped or broadcast); else ``None``."""
    op = node.op
    while isinstance(op, (BroadcastTo, Reshape)):
        node = node.inputs[0]
        op = node.op
    return op.fill if type(op) is Constant else None


def zero_sign(node: Expr) -> float | None:
    """+1.0 if every element of ``node`` is the constant +0.0 (or an integer 0), -1.0 if
    every one is -0.0; ``None`` otherwise."""
    value = fill_value(node)
    if value is None or value != 0:
        return None
    if isinstance(value, complex):  # both parts must be zeros of one sign
        signs = {math.copysign(1.0, value.real), math.copysign(1.0, value.imag)}
        return signs.pop() if len(signs) == 1 else None
    return math.copysign(1.0, value)


def is_fill(node: Expr, value: float) -> bool:
    found = fill_value(node)
    return found is not None and found == value


def same_type(a: Expr, b: Expr) -> bool:
    """True if ``a`` can stand for ``b``: same shape and dtype."""
    return a.shape == b.shape and a.dtype == b.dtype


def diagonal(node: Expr) -> Expr | None:
    """For a square matrix made from the identity (or a ``diag_embed``) by elementwise
    scaling (``eye * v``, ``-(eye * v) / w``..., as the seeds of a Jacobian become): its
    diagonal, as an expression of shape ``()`` or ``(n,)``; ``None`` for other nodes. Off
    the diagonal such a matrix is 0, or nan where a factor is inf or nan (0 * inf): the
    diagonal is what the derivative means there."""
    if node.ndim != 2 or node.shape[0] != node.shape[1] or node.dtype.kind != "f":
        return None
    n = node.shape[0]
    factors: list[tuple[type[Op], Expr]] = []  # (multiply or divide, by what)
    negated = False
    while True:  # a loop, not recursion: the chain may be long
        op = node.op
        if isinstance(op, Eye):
            start = Constant(np.asarray(1.0, node.dtype), weak=True)()
            break
        if isinstance(op, DiagEmbed) and (op.offset, op.axis1, op.axis2) == (0, 0, 1):
            start = node.inputs[0]
            break
        if isinstance(op, ew.Negative):
            negated = not negated
            node = node.inputs[0]
            continue
        if isinstance(op, ew.Multiply):
            a, b = node.inputs
            matrix, factor = (a, b) if a.shape == (n, n) else (b, a)
        elif isinstance(op, ew.Divide):  # the matrix divided (not dividing: 1 / 0 is inf)
            matrix, factor = node.inputs
        else:
            return None
        if matrix.shape != (n, n) or factor.shape not in ((), (n,), (1, n), (n, 1)):
            return None  # a full matrix factor scales off-diagonal entries too
        factors.append((type(op), factor if factor.ndim < 2 else factor.reshape((n,))))
        node = matrix
    # The diagonal's entries, computed as the matrix's were (negation commutes exactly).
    result = ew.negative(start) if negated else start
    for kind, factor in reversed(factors):
        result = ew.multiply(result, factor) if kind is ew.Multiply else ew.divide(result, factor)
    return result
