"""Graphs to SymPy expressions, through each op's ``to_sympy`` rule.

Values are carried as NumPy object arrays of SymPy expressions, so shape ops translate with
NumPy's own indexing and broadcasting. A scalar variable ``x`` becomes the symbol ``x``; an
array variable becomes one symbol per element, named ``x[0, 1]``. Symbols are plain SymPy
symbols, the ones ``sympy.Symbol("x")`` makes, so expressions work with symbols users write.
Distinct variables get distinct symbols: one that shares another's name (or whose name is
one of another's element names) gets a suffix, ``x_2``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.expr import Expr
from ..core.lazy import lazy_module
from ..core.shapes import is_concrete
from ..core.walk import topological_order
from ..errors import ShapeError
from ..ops.leaves import Variable
from ..ops.subgraph import sympy_values

if TYPE_CHECKING:
    import sympy
else:
    sympy = lazy_module("sympy")


def _element_names(name: str, shape: tuple[int, ...]) -> list[str]:
    if not shape:
        return [name]
    return [f"{name}[{', '.join(str(i) for i in index)}]" for index in np.ndindex(*shape)]


def _variable(x: Expr, where: str) -> Variable:
    """The op of variable ``x``; a clear error if ``x`` is some other node."""
    if not isinstance(x.op, Variable):
        raise TypeError(f"{where}: expected a variable, got a {x.op.label()} node")
    return x.op


def symbol_names(variables: Sequence[Expr]) -> dict[int, str]:
    """A name for each variable (by id) such that no two variables share a symbol: its own
    name, or, where an earlier variable (by declaration) took it or one of its element
    names, the name with the first free suffix ``_2``, ``_3``..."""
    taken: set[str] = set()
    names: dict[int, str] = {}
    distinct = {id(v): (v, _variable(v, "symbol_names")) for v in variables}
    for x, op in sorted(distinct.values(), key=lambda pair: pair[1].uid):
        shape = tuple(d if isinstance(d, int) else 0 for d in x.shape)
        base, k = op.var_name, 1
        name = base
        while any(n in taken for n in _element_names(name, shape)) or name in taken:
            k += 1
            name = f"{base}_{k}"
        taken.update(_element_names(name, shape))
        taken.add(name)
        names[id(x)] = name
    return names


def variable_symbols(x: Expr, name: str | None = None) -> np.ndarray:
    """The SymPy symbols standing for the elements of variable ``x`` (an object array):
    plain symbols named after the variable (or ``name``, as ``symbol_names`` gives it)."""
    op = _variable(x, "variable_symbols")
    name = op.var_name if name is None else name
    if not is_concrete(x.shape):
        raise ShapeError(
            "to_sympy",
            f"variable {op.var_name!r} has symbolic shape {x.shape}; SymPy needs concrete shapes",
        )
    # Complex variables are complex symbols (``sympy.Symbol("z", complex=True)``), so that
    # ``re``, ``im`` and ``conjugate`` of them simplify.
    assumptions = {"complex": True} if x.dtype.kind == "c" else {}
    if x.ndim == 0:
        return np.array(sympy.Symbol(name, **assumptions), dtype=object)
    out = np.empty(x.shape, dtype=object)
    for index, label in zip(np.ndindex(*x.shape), _element_names(name, x.shape)):
        out[index] = sympy.Symbol(label, **assumptions)
    return out


def to_object_arrays(
    outputs: Sequence[Expr],
    bound: dict[int, Any] | None = None,
    names: Mapping[int, str] | None = None,
) -> list[np.ndarray]:
    """Each output as an object array of SymPy expressions; ``bound`` gives the values of
    some nodes by id (a body's parameters), ``names`` the symbol names of variables (by
    default ``symbol_names`` of the outputs' variables). Multi-output nodes have a list of
    arrays."""
    known: dict[int, Any] = dict(bound or {})
    leaves = [n for n in topological_order(outputs) if isinstance(n.op, Variable)]
    if names is None:
        names = symbol_names(leaves)
    for node in leaves:
        known.setdefault(id(node), variable_symbols(node, names.get(id(node))))
    return sympy_values(outputs, known)


def real_symbols(expression: Any) -> Any:
    """``expression`` with each of its symbols replaced by a real symbol of the same name:
    what simplification (``sqrt(x**2) = Abs(x)``) and derivatives of ``Abs`` or ``sign``
    need. Real symbols differ from the plain ones ``sympy.Symbol("x")`` makes."""
    return expression.xreplace(
        {
            s: sympy.Symbol(s.name, real=True)
            for s in expression.free_symbols
            if not (s.is_complex and s.is_real is None)  # complex variables stay complex
        }
    )


def to_sympy(expr: Expr, *, real: bool = False) -> Any:
    """A SymPy expression for a 0-d ``expr``, or a ``sympy.Array`` for an array.

    Variables become plain symbols, ``x`` or ``v[0]``, ``A[1, 2]`` for array elements: the
    same symbols ``sympy.Symbol("x")`` makes, so ``subs`` and ``diff`` with them work.
    Distinct variables that share a name get distinct symbols (``x`` and ``x_2``). With
    ``real=True`` the symbols are real (``sympy.Symbol("x", real=True)``), which simplifies
    further (see :func:`real_symbols`).

    >>> import sympy, symgrad as sg
    >>> x = sg.var("x")
    >>> e = sg.to_sympy(4 * x**3 + x**2 + 3)
    >>> e
    4*x**3 + x**2 + 3
    >>> e.diff(sympy.Symbol("x")), e.subs(sympy.Symbol("x"), 2)
    (12*x**2 + 2*x, 39)
    """
    (value,) = to_object_arrays([expr])
    result = value[()] if value.ndim == 0 else sympy.Array(value.tolist())
    return real_symbols(result) if real else result
