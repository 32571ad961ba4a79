"""The derivatives a command reports, each computed three ways: by symgrad, by SymPy
(formula and value, within a time budget) and by finite differences."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence

import numpy as np

import symgrad as sg

from ..check import budget, finite_differences
from ..check.gradcheck import (
    GradCheckReport,
    VariableCheck,
    _compare,
    _default_tolerances,
    _real_number,
)
from ..check.sympy_bridge import symbol_names, to_object_arrays, variable_symbols
from ..core.walk import topological_order
from .problem import Problem

#: SymPy is not asked for derivative arrays with more elements than this.
SYMPY_MAX_ELEMENTS = 4096
#: Nor for graphs whose arrays hold more elements in all (one SymPy object each).
SYMPY_MAX_GRAPH_ELEMENTS = 100_000


@dataclasses.dataclass(eq=False)  # holds nodes, which == compares elementwise
class Block:
    """One derivative: of the output with respect to ``wrt`` (in order), e.g. d^2f/dx dy."""

    label: str
    wrt: tuple[sg.Expr, ...]
    expr: sg.Expr
    value: np.ndarray | None = None
    formula: np.ndarray | None = None  # SymPy expressions, an object array
    sympy_value: np.ndarray | None = None


def label(name: str, wrt: Sequence[str]) -> str:
    """``df/dx``, ``d^2f/dx^2``, ``d^2f/dx dy``, ``d^3f/dx^2 dy``."""
    order = len(wrt)
    groups = [(v, len(list(run))) for v, run in itertools.groupby(wrt)]
    below = " ".join(f"d{v}" + (f"^{k}" if k > 1 else "") for v, k in groups)
    return f"d{name}/{below}" if order == 1 else f"d^{order}{name}/{below}"


def blocks(problem: Problem, order: int) -> list[Block]:
    """The derivatives of order ``order``: one per multiset of ``wrt`` variables (mixed
    partial derivatives are listed once, as they do not depend on the order of taking)."""
    if order == 0:
        return []
    made: dict[tuple[int, ...], sg.Expr] = {(): problem.output}
    result = []
    for combo in itertools.combinations_with_replacement(problem.wrt, order):
        for k in range(1, order + 1):
            key = tuple(id(v) for v in combo[:k])
            if key not in made:
                outer, v = made[key[:-1]], combo[k - 1]
                made[key] = sg.grad(outer, v) if outer.ndim == 0 else sg.jacobian(outer, v)
        expr = made[tuple(id(v) for v in combo)]
        names = [v.name or "?" for v in combo]
        result.append(Block(label(problem.name, names), combo, expr))
    return result


def evaluate(problem: Problem, found: Sequence[Block]) -> np.ndarray:
    """Compile the output and the derivatives once, run them at the point; return the
    output's value and fill in each block's value."""
    f = sg.compile([problem.output, *[b.expr for b in found]], inputs=problem.inputs)
    value, *derivatives = f(*problem.arrays)
    for b, d in zip(found, derivatives):
        b.value = np.asarray(d)
    return np.asarray(value)


@dataclasses.dataclass
class SympyForms:
    """SymPy's form of the output, or why there is none."""

    formula: np.ndarray | None
    note: str = ""
    #: SymPy was not given the graph (too large) or did not finish (too slow): asking it
    #: again, in the check, would not do better.
    hopeless: bool = False


def sympy_forms(
    problem: Problem, found: Sequence[Block], timeout: float | None, with_values: bool = True
) -> SympyForms:
    """SymPy's form of the output, and each block's formula (and, at the point, value).

    SymPy runs within ``timeout`` seconds, in real symbols (so that derivatives of ``abs``
    and ``sign`` come out as real functions); a derivative with more than
    ``SYMPY_MAX_ELEMENTS`` elements is left out.
    """
    elements = _graph_elements(problem.output)
    if elements > SYMPY_MAX_GRAPH_ELEMENTS:
        return SympyForms(
            None,
            f"skipped: the graph's arrays hold {elements:,} elements, one SymPy expression "
            f"each (the limit is {SYMPY_MAX_GRAPH_ELEMENTS:,})",
            hopeless=True,
        )
    try:
        # The blocks are filled in here, not by the work itself: that may run in a child
        # process (see ``check.budget``).
        function, formulas, values = budget.run(
            lambda: _sympy_forms(problem, found, with_values), timeout
        )
    except budget.OutOfTime:
        return SympyForms(
            None,
            f"skipped: it took longer than {timeout:g} s (--timeout SECONDS allows more, "
            "--no-sympy skips it)",
            hopeless=True,
        )
    except NotImplementedError as error:
        return SympyForms(None, f"skipped: {error}")
    except (TypeError, ValueError, AttributeError, RecursionError) as error:
        message = " ".join(str(error).split())[:100]
        return SympyForms(
            None, f"skipped: SymPy failed on this expression ({type(error).__name__}: {message})"
        )
    for b, formula, value in zip(found, formulas, values):
        b.formula, b.sympy_value = formula, value
    return SympyForms(function)


def _graph_elements(output: sg.Expr) -> int:
    """The number of array elements in the graph of ``output`` (symbolic dims: none)."""
    total = 0
    for node in topological_order([output]):
        size = node.size
        total += size if isinstance(size, int) else 0
    return total


def _sympy_forms(
    problem: Problem, found: Sequence[Block], with_values: bool
) -> tuple[np.ndarray, list[np.ndarray | None], list[np.ndarray | None]]:
    """(SymPy's form of the output, each block's formula, each block's value)."""
    import sympy

    names = symbol_names(problem.inputs)
    symbols: dict[int, np.ndarray] = {}
    real: dict[object, object] = {}
    for v in problem.inputs:
        plain = variable_symbols(v, names[id(v)])
        symbols[id(v)] = np.empty(plain.shape, dtype=object)
        for index, s in np.ndenumerate(plain):
            real[s] = symbols[id(v)][index] = sympy.Symbol(s.name, real=True)
    (function,) = to_object_arrays([problem.output], names=names)
    function = _replaced(function, real)
    made: dict[tuple[int, ...], np.ndarray] = {(): function}
    point: dict[object, object] = {}
    if with_values and problem.values:
        for v, a in zip(problem.inputs, problem.arrays):
            for index in np.ndindex(*symbols[id(v)].shape):
                point[symbols[id(v)][index]] = sympy.Float(float(a[index]), 30)
    formulas: list[np.ndarray | None] = []
    values: list[np.ndarray | None] = []
    for b in found:
        key: tuple[int, ...] = ()
        for v in b.wrt:
            outer = made[key]
            key = (*key, id(v))
            if key in made:
                continue
            syms = symbols[id(v)]
            if outer.size * syms.size > SYMPY_MAX_ELEMENTS:
                made[key] = None  # type: ignore[assignment]
                break
            out = np.empty(outer.shape + syms.shape, dtype=object)
            for i in np.ndindex(*outer.shape):
                for j in np.ndindex(*syms.shape):
                    out[i + j] = sympy.diff(outer[i], syms[j])
            made[key] = out
        formulas.append(made.get(key))
        values.append(_numbers(formulas[-1], point) if formulas[-1] is not None and point else None)
    return function, formulas, values


def _replaced(array: np.ndarray, symbols: dict[object, object]) -> np.ndarray:
    """``array`` (SymPy expressions) with ``symbols`` replaced."""
    import sympy

    out = np.empty(array.shape, dtype=object)
    for index in np.ndindex(*array.shape):
        e = array[index]
        out[index] = e.xreplace(symbols) if isinstance(e, sympy.Basic) else e
    return out


def _numbers(formula: np.ndarray, point: dict[object, object]) -> np.ndarray | None:
    """The formula's value at the point (30 digits), nan where it is not a finite real
    number (a singular point); None if SymPy left a derivative unevaluated (of floor, say)."""
    import sympy

    out = np.zeros(formula.shape)
    for index in np.ndindex(*formula.shape):
        element = formula[index]
        if isinstance(element, sympy.Basic) and element.has(sympy.Derivative):
            return None
        out[index] = _real_number(sympy.sympify(element, strict=True), point)
    return out


def check(
    problem: Problem,
    found: Sequence[Block],
    rtol: float | None = None,
    atol: float | None = None,
) -> GradCheckReport:
    """Compare each block with SymPy's value (where there is one) and with central
    differences of the derivative one order lower."""
    default_rtol, default_atol = _default_tolerances(problem.output.dtype)
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    lower: dict[tuple[int, ...], sg.Executable] = {}
    rows = []
    for b in found:
        key = tuple(id(v) for v in b.wrt[:-1])
        if key not in lower:  # the derivative one order lower, differenced numerically
            lower[key] = sg.compile(_rebuild(problem, b.wrt[:-1]), inputs=problem.inputs)
        index = next(i for i, v in enumerate(problem.inputs) if v is b.wrt[-1])
        with np.errstate(all="ignore"):
            numeric = finite_differences.jacobian(lower[key], problem.arrays, index)
        value = np.asarray(b.value, dtype=np.float64)
        keep = np.ones(value.shape, dtype=bool)
        singular: tuple[str, ...] = ()
        sympy_comparison = None
        if b.sympy_value is not None:
            keep = np.isfinite(b.sympy_value)  # SymPy's value is nan at singular points
            singular = tuple(
                b.label + (f"[{', '.join(map(str, i))}]" if i else "")
                for i in np.ndindex(*keep.shape)
                if not keep[i]
            )
            sympy_comparison = _compare(value, b.sympy_value, rtol, atol, keep)
        rows.append(
            VariableCheck(
                name=b.label,
                gradient=value,
                sympy=sympy_comparison,
                finite_differences=_compare(value, numeric, rtol, atol, keep),
                singular=singular,
            )
        )
    return GradCheckReport(rows, rtol, atol, label="derivative")


def _rebuild(problem: Problem, wrt: Sequence[sg.Expr]) -> sg.Expr:
    expr = problem.output
    for v in wrt:
        expr = sg.grad(expr, v) if expr.ndim == 0 else sg.jacobian(expr, v)
    return expr
