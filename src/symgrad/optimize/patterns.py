"""Small helpers for matching nodes in rewrite rules."""

from __future__ import annotations

import numpy as np

from ..core.expr import Expr
from ..ops.leaves import Constant
from ..ops.shape_ops import BroadcastTo, Reshape


def fill_value(node: Expr) -> float | None:
    """The single value every element of ``node`` has, if it is a constant (possibly
    reshaped or broadcast); ``None`` otherwise."""
    while isinstance(node.op, (BroadcastTo, Reshape)):
        node = node.inputs[0]
    if not isinstance(node.op, Constant):
        return None
    value = node.op.value
    if value.size == 0:
        return None
    first = value.flat[0]
    if value.size > 1 and not np.all(value == first):
        return None
    return float(first)


def is_fill(node: Expr, value: float) -> bool:
    found = fill_value(node)
    return found is not None and found == value


def same_type(a: Expr, b: Expr) -> bool:
    """True if ``a`` can stand for ``b``: same shape and dtype."""
    return a.shape == b.shape and a.dtype == b.dtype
