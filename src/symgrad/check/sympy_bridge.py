"""Graphs to SymPy expressions, through each op's ``to_sympy`` rule.

Values are carried as NumPy object arrays of SymPy expressions, so shape ops translate with
NumPy's own indexing and broadcasting. A scalar variable ``x`` becomes the symbol ``x``; an
array variable becomes one symbol per element, named ``x[0, 1]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy

from ..core.expr import Expr
from ..core.shapes import is_concrete
from ..core.walk import topological_order
from ..errors import ShapeError
from ..ops.leaves import Variable


def variable_symbols(x: Expr) -> np.ndarray:
    """The SymPy symbols standing for the elements of variable ``x`` (an object array)."""
    name = x.op.var_name
    if not is_concrete(x.shape):
        raise ShapeError(
            "to_sympy",
            f"variable {name!r} has symbolic shape {x.shape}; SymPy needs concrete shapes",
        )
    real = {"real": True}
    if x.ndim == 0:
        return np.array(sympy.Symbol(name, **real), dtype=object)
    out = np.empty(x.shape, dtype=object)
    for index in np.ndindex(*x.shape):
        label = ", ".join(str(i) for i in index)
        out[index] = sympy.Symbol(f"{name}[{label}]", **real)
    return out


def to_object_arrays(
    outputs: Sequence[Expr], bound: dict[int, Any] | None = None
) -> list[np.ndarray]:
    """Each output as an object array of SymPy expressions; ``bound`` gives the values of
    some nodes by id (a body's parameters). Multi-output nodes have a list of arrays."""
    values: dict[int, Any] = dict(bound or {})
    for node in topological_order(outputs):
        if id(node) in values:
            continue
        if isinstance(node.op, Variable):
            values[id(node)] = variable_symbols(node)
        else:
            args = [values[id(x)] for x in node.inputs]
            value = node.op.to_sympy(node, args)
            values[id(node)] = value if isinstance(value, list) else np.asarray(value, dtype=object)
    return [values[id(y)] for y in outputs]


def to_sympy(expr: Expr) -> Any:
    """A SymPy expression for a 0-d ``expr``, or a ``sympy.Array`` for an array.

    >>> import symgrad as sg
    >>> x = sg.var("x")
    >>> sg.to_sympy(4 * x**3 + x**2 + 3)
    4*x**3 + x**2 + 3
    """
    (value,) = to_object_arrays([expr])
    if value.ndim == 0:
        return value[()]
    return sympy.Array(value.tolist())
