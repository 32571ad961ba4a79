"""SymPy expressions to graphs.

The walk is iterative (post-order with an explicit stack), so deep expressions convert
without recursion errors. Each SymPy function maps to the elementwise op that translates to
it (found through the op registry), a few have special builders, and the structural classes
(sums, products, powers, piecewise...) are handled below; anything else is refused with an
error that names it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..core.expr import Expr
from ..core.lazy import lazy_module
from ..ops import catalog, shape_ops
from ..ops import elementwise as ew
from ..ops.leaves import as_expr, var

if TYPE_CHECKING:
    import sympy
else:
    sympy = lazy_module("sympy")

_ELEMENT = re.compile(r"^(.*)\[(\d+(?:, \d+)*)\]$")


@functools.cache
def _functions() -> dict[Any, Callable[..., Any]]:
    """SymPy functions (classes, or names of undefined functions) to graph builders: every
    elementwise op that translates to one SymPy function (from the op registry), and the
    SymPy functions with no op of their own, as to_sympy writes them."""
    special: dict[Any, Callable[..., Any]] = {
        # np.sinc is normalized: to_sympy writes sinc(pi*x)
        sympy.sinc: lambda u: ew.sinc(ew.divide(u, float(sympy.pi))),
        "trunc": lambda x: ew.where(ew.less(x, 0.0), ew.ceil(x), ew.floor(x)),  # undefined
    }
    return {**catalog.sympy_functions(), **special}


def _chain(fn: Callable[[Any, Any], Expr], args: list[Any]) -> Any:
    return functools.reduce(fn, args)


def _power(base: Any, exponent: Any) -> Any:
    if not isinstance(exponent, Expr):
        if exponent == 0.5:
            return ew.sqrt(base)
        if exponent == -1:
            return ew.divide(1.0, base)
    return ew.power(base, exponent)


def _log(x: Any, base: Any = None) -> Any:
    return ew.log(x) if base is None else ew.divide(ew.log(x), ew.log(base))


def _piecewise(*pairs: tuple[Any, Any]) -> Any:
    *rest, (last_value, last_condition) = pairs
    if last_condition is not True and last_condition is not sympy.true:
        raise ValueError("from_sympy: a Piecewise needs a final (value, True) branch")
    out = last_value
    for value, condition in reversed(rest):
        out = ew.where(condition, value, out)
    return out


def from_sympy(expr: Any, variables: Mapping[Any, Expr] | None = None) -> Expr:
    """A graph computing the SymPy expression ``expr``.

    ``variables`` maps SymPy symbols (or their names) to expressions; other symbols become
    scalar variables of the same name. A symbol named like ``x[1, 2]`` (as ``to_sympy``
    names array elements) becomes ``x[1, 2]`` when ``x`` is in ``variables``. A SymPy
    ``Array`` or ``Matrix`` becomes an array of the same shape.

    >>> import sympy, symgrad as sg
    >>> t = sympy.Symbol("t")
    >>> f = sg.from_sympy(sympy.sin(t) ** 2 + sympy.cos(t) ** 2)
    >>> round(float(f.eval({"t": 0.3})), 12)
    1.0
    """
    given = dict(variables or {})
    by_name: dict[str, Expr] = {}
    for key, value in given.items():
        if not isinstance(value, Expr):
            raise TypeError(f"from_sympy: variables[{key!r:.60}] must be an expression")
        if isinstance(key, sympy.Symbol):
            key = key.name
        elif not isinstance(key, str):
            raise TypeError(
                f"from_sympy: the keys of variables are SymPy symbols or their names, "
                f"got a {type(key).__name__}"
            )
        by_name[key] = value

    def symbol(s: sympy.Symbol) -> Expr:
        if s.name in by_name:
            return by_name[s.name]
        match = _ELEMENT.match(s.name)
        if match and match.group(1) in by_name:
            index = tuple(int(i) for i in match.group(2).split(", "))
            return shape_ops.getitem(by_name[match.group(1)], index)
        by_name[s.name] = var(s.name)
        return by_name[s.name]

    return _build(expr, symbol)


def _build(expr: Any, symbol: Callable[[sympy.Symbol], Expr]) -> Expr:
    """``expr``, an array of them elementwise (all elements sharing one variable per symbol)."""
    if isinstance(expr, (sympy.MatrixBase, sympy.NDimArray)):
        array = sympy.Array(expr)
        elements = [_build(e, symbol) for e in array]
        stacked = shape_ops.stack(elements)
        return shape_ops.reshape(stacked, array.shape)
    return _convert(_sympy_object(expr), symbol)


def _sympy_object(expr: Any) -> sympy.Basic:
    """``expr`` itself if it is a SymPy object. Nothing else is converted: ``sympify`` would
    evaluate a string (or an object's ``str``) as Python code."""
    if isinstance(expr, sympy.Basic):
        return expr
    if isinstance(expr, bool):
        return sympy.true if expr else sympy.false
    if isinstance(expr, (int, float)):
        return sympy.Integer(expr) if isinstance(expr, int) else sympy.Float(expr)
    if isinstance(expr, str):
        raise TypeError(
            "from_sympy takes SymPy objects, not text: SymPy would run the text as Python "
            "code. Build the expression with sympy.Symbol and SymPy's functions, or parse "
            "text with symgrad.parse.parse"
        )
    raise TypeError(
        f"from_sympy takes a SymPy expression, Matrix or Array, got a {type(expr).__name__}"
    )


def _convert(root: sympy.Basic, symbol: Callable[[sympy.Symbol], Expr]) -> Any:
    done: dict[sympy.Basic, Any] = {}
    stack: list[tuple[sympy.Basic, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if node in done:
            continue
        if not expanded and node.args and not isinstance(node, sympy.Symbol):
            stack.append((node, True))
            stack.extend((a, False) for a in node.args if a not in done)
            continue
        done[node] = _one(node, [done[a] for a in node.args] if expanded else [], symbol)
    result = done[root]
    return as_expr(result)


def _one(node: sympy.Basic, args: list[Any], symbol: Callable[[sympy.Symbol], Expr]) -> Any:
    if isinstance(node, sympy.Symbol):
        return symbol(node)
    if node is sympy.true or node is sympy.false:
        return bool(node)
    if node is sympy.I:
        return 1j
    if isinstance(node, (sympy.Number, sympy.NumberSymbol)):
        value = float(node)
        return int(value) if value.is_integer() and isinstance(node, sympy.Integer) else value
    if isinstance(node, sympy.Add):
        return _chain(ew.add, args)
    if isinstance(node, sympy.Mul):
        return _chain(ew.multiply, args)
    if isinstance(node, sympy.Pow):
        return _power(*args)
    if isinstance(node, sympy.log):
        return _log(*args)
    if isinstance(node, (sympy.Max, sympy.Min)):
        fn = ew.maximum if isinstance(node, sympy.Max) else ew.minimum
        return _chain(fn, args)
    if isinstance(node, sympy.Piecewise):
        return _piecewise(*[tuple(pair) for pair in args])
    if isinstance(node, sympy.logic.boolalg.BooleanTrue):
        return True
    if isinstance(node, sympy.functions.elementary.piecewise.ExprCondPair):
        return tuple(args)
    if isinstance(node, sympy.And):  # conditions, as any/all and where write them
        return _chain(lambda a, b: ew.where(a, b, False), args)
    if isinstance(node, sympy.Or):
        return _chain(lambda a, b: ew.where(a, True, b), args)
    if isinstance(node, sympy.Not):
        return ew.equal(args[0], False)
    if isinstance(node, sympy.Heaviside):
        x = args[0]
        return ew.where(ew.greater(x, 0), 1.0, ew.where(ew.equal(x, 0), 0.5, 0.0))
    functions = _functions()
    if isinstance(node, sympy.core.function.AppliedUndef) and node.func.__name__ in functions:
        # Functions SymPy has no class for, as to_sympy writes them: round(x), trunc(x).
        return functions[node.func.__name__](*args)
    for cls in type(node).__mro__:
        if cls in functions:
            return functions[cls](*args)
    known = sorted(getattr(f, "__name__", str(f)) for f in functions)
    raise ValueError(
        f"from_sympy: {type(node).__name__} ({sympy.sstr(node)[:60]}) has no symgrad "
        "counterpart; supported: numbers, symbols, + * **, Piecewise, "
        f"Heaviside and {', '.join(known)}"
    )
