"""SymPy's derivative of a graph, evaluated at a point."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..core.expr import Expr
from ..core.lazy import lazy_module
from ..core.walk import topological_order
from ..ops.leaves import Variable
from .sympy_bridge import real_symbols, symbol_names, to_object_arrays, variable_symbols

if TYPE_CHECKING:
    import sympy
else:
    sympy = lazy_module("sympy")


def sympy_gradient(y: Expr, x: Expr, at: dict[Expr, np.ndarray]) -> tuple[object, np.ndarray]:
    """(SymPy's expression of ``y``, its derivative in each element of ``x`` at ``at``).

    The derivative is taken in real symbols (as for ``Abs`` and ``sign`` it must be)."""
    variables = [n for n in topological_order([y]) if isinstance(n.op, Variable)]
    names = symbol_names([*variables, x, *at])
    (value,) = to_object_arrays([y], names=names)
    expression = value[()]
    real = real_symbols(expression)
    point = {}
    for variable, array in at.items():
        symbols = variable_symbols(variable, names[id(variable)])
        for index in np.ndindex(*symbols.shape):
            point[real_symbols(symbols[index])] = float(np.asarray(array)[index])
    symbols = variable_symbols(x, names[id(x)])  # its shape is x's, and concrete
    out = np.zeros(symbols.shape)
    for index in np.ndindex(*symbols.shape):
        out[index] = float(sympy.diff(real, real_symbols(symbols[index])).evalf(subs=point))
    return expression, out
