"""SymPy's derivative of a graph, evaluated at a point."""

from __future__ import annotations

import numpy as np
import sympy

from ..core.expr import Expr
from .sympy_bridge import to_object_arrays, variable_symbols


def sympy_gradient(y: Expr, x: Expr, at: dict[Expr, np.ndarray]) -> tuple[object, np.ndarray]:
    """(SymPy's expression of ``y``, its derivative in each element of ``x`` at ``at``)."""
    (value,) = to_object_arrays([y])
    expression = value[()]
    point = {}
    for variable, array in at.items():
        symbols = variable_symbols(variable)
        for index in np.ndindex(*symbols.shape):
            point[symbols[index]] = float(np.asarray(array)[index])
    symbols = variable_symbols(x)
    out = np.zeros(x.shape)
    for index in np.ndindex(*x.shape):
        out[index] = float(sympy.diff(expression, symbols[index]).evalf(subs=point))
    return expression, out
