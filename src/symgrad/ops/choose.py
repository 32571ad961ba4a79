"""``select``: per element, the first of several choices whose condition holds (nested
``where``, so derivatives flow to the choice taken)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.expr import Expr
from ..core.shapes import broadcast_shapes
from . import elementwise as ew
from . import shape_ops
from .leaves import as_expr, as_exprs


def select(condlist: Sequence[Any], choicelist: Sequence[Any], default: Any = 0) -> Expr:
    """Per element, the entry of the first choice whose condition is true, ``default``
    where none is (``np.select``); everything broadcasts together.

    >>> import symgrad as sg
    >>> x = sg.const([-2.0, 0.5, 3.0])
    >>> sg.select([x < 0, x > 1], [-x, 10 * x], default=x).eval().tolist()
    [2.0, 0.5, 30.0]
    """
    if isinstance(condlist, Expr) or isinstance(choicelist, Expr):
        raise TypeError("select: condlist and choicelist are lists of arrays")
    if len(condlist) != len(choicelist):
        raise ValueError("select: list of cases must be same length as list of conditions")
    if not condlist:
        raise ValueError("select with an empty condition list is not possible")
    conditions = [as_expr(c) for c in condlist]
    for i, c in enumerate(conditions):
        if c.dtype.kind != "b":
            raise TypeError(f"select: invalid entry {i} in condlist: should be boolean ndarray")
    *choices, fallback = as_exprs(*choicelist, default)
    dtype = np.result_type(*(c.dtype for c in choices), fallback.dtype)
    result = shape_ops.astype(fallback, dtype)
    for condition, choice in zip(reversed(conditions), reversed(choices)):
        result = ew.where(condition, shape_ops.astype(choice, dtype), result)
    shape = broadcast_shapes("select", *(x.shape for x in (*conditions, *choices, fallback)))
    return shape_ops.broadcast_to(result, shape)
