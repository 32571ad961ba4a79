"""Small helpers for matching nodes in rewrite rules."""

from __future__ import annotations

import math

import numpy as np

from ..core.expr import Expr
from ..ops.leaves import Constant
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
    return math.copysign(1.0, value)


def is_fill(node: Expr, value: float) -> bool:
    found = fill_value(node)
    return found is not None and found == value


def same_type(a: Expr, b: Expr) -> bool:
    """True if ``a`` can stand for ``b``: same shape and dtype."""
    return a.shape == b.shape and a.dtype == b.dtype
