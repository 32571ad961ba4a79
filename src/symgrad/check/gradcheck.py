"""``check_grad``: one gradient computed three ways, and a report of how far they agree.

symgrad's compiled gradient (automatic differentiation) is compared with SymPy's ``diff`` of
the expression (symbolic differentiation) and with central finite differences (numerical
differentiation). SymPy is skipped, with a note, where it would take too long.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..compiler import compile as compile_
from ..core.expr import Expr
from ..core.walk import topological_order
from ..differentiate.reverse import grad
from ..structure import flatten
from . import finite_differences
from .sympy_bridge import to_object_arrays, variable_symbols

#: Past these sizes SymPy's expansion and ``diff`` get slow; the check uses finite
#: differences only and says so.
SYMPY_MAX_NODES = 400
SYMPY_MAX_ELEMENTS = 64


@dataclasses.dataclass(frozen=True)
class Comparison:
    """How far one reference is from symgrad's gradient: max absolute and relative error."""

    reference: np.ndarray
    max_abs: float
    max_rel: float
    ok: bool


@dataclasses.dataclass(frozen=True)
class VariableCheck:
    name: str
    gradient: np.ndarray
    sympy: Comparison | None
    finite_differences: Comparison

    @property
    def ok(self) -> bool:
        return self.finite_differences.ok and (self.sympy is None or self.sympy.ok)


@dataclasses.dataclass(frozen=True)
class GradCheckReport:
    """The outcome of :func:`check_grad`; ``print`` it for a table."""

    variables: list[VariableCheck]
    rtol: float
    atol: float
    note: str = ""

    @property
    def ok(self) -> bool:
        return all(v.ok for v in self.variables)

    def __str__(self) -> str:
        header = (
            "variable",
            "vs SymPy: max abs",
            "max rel",
            "vs finite diff: max abs",
            "max rel",
            "ok",
        )
        rows = [header]
        for v in self.variables:
            s = v.sympy
            rows.append(
                (
                    v.name,
                    "skipped" if s is None else f"{s.max_abs:.2e}",
                    "" if s is None else f"{s.max_rel:.2e}",
                    f"{v.finite_differences.max_abs:.2e}",
                    f"{v.finite_differences.max_rel:.2e}",
                    "yes" if v.ok else "NO",
                )
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        lines.append(f"{'OK' if self.ok else 'MISMATCH'} (rtol={self.rtol:g}, atol={self.atol:g})")
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)


def _compare(gradient: np.ndarray, reference: np.ndarray, rtol: float, atol: float) -> Comparison:
    diff = np.abs(np.asarray(gradient, np.float64) - reference)
    scale = np.abs(reference)
    rel = diff / np.where(scale > 0, scale, 1.0)
    ok = bool(np.all(diff <= atol + rtol * scale))
    return Comparison(reference, float(diff.max(initial=0.0)), float(rel.max(initial=0.0)), ok)


def _default_tolerances(dtype: np.dtype) -> tuple[float, float]:
    return (1e-2, 1e-3) if dtype == np.float32 else (1e-5, 1e-8)


def check_grad(
    y: Expr, wrt: Any, at: Mapping[Any, Any], rtol: float | None = None, atol: float | None = None
) -> GradCheckReport:
    """Check the gradient of scalar ``y`` with respect to ``wrt`` at the point ``at``.

    ``at`` maps every variable of ``y`` (or its name) to a value. Each comparison passes
    where ``|ad - reference| <= atol + rtol * |reference|``; the defaults suit float64
    (rtol 1e-5, atol 1e-8) and are looser for float32.

    >>> import numpy as np, symgrad as sg
    >>> x = sg.var("x", shape=(3,))
    >>> sg.check_grad((sg.sin(x) * x).sum(), x, {x: [0.1, 0.2, 0.3]}).ok
    True
    """
    variables, _ = flatten(wrt)
    free = [n for n in topological_order([y]) if n.name is not None]
    by_name = {n.name: n for n in free}
    values: dict[int, np.ndarray] = {}
    for key, value in at.items():
        node = by_name.get(key) if isinstance(key, str) else key
        if node is None:
            raise ValueError(f"check_grad: {key!r} is not a variable of the expression")
        values[id(node)] = np.asarray(value, dtype=node.dtype)
    inputs = list({id(n): n for n in free + [v for v in variables if v.name is not None]}.values())
    position = {id(n): i for i, n in enumerate(inputs)}
    missing = [n.name for n in inputs if id(n) not in values]
    if missing:
        raise ValueError(f"check_grad: no value in `at` for {missing}")
    arrays = [values[id(n)] for n in inputs]
    default_rtol, default_atol = _default_tolerances(y.dtype)
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol

    gradients = compile_(grad(y, list(variables)), inputs=inputs)(*arrays)
    forward = compile_(y, inputs=inputs)
    symbolic, note = _sympy_gradients(y, variables, inputs, arrays)
    checks = []
    for i, (v, g) in enumerate(zip(variables, gradients)):
        numeric = finite_differences.gradient(forward, arrays, position[id(v)])
        checks.append(
            VariableCheck(
                name=v.name or repr(v),
                gradient=np.asarray(g),
                sympy=None if symbolic is None else _compare(g, symbolic[i], rtol, atol),
                finite_differences=_compare(g, numeric, rtol, atol),
            )
        )
    return GradCheckReport(checks, rtol, atol, note)


def _sympy_gradients(
    y: Expr, variables: Sequence[Expr], inputs: Sequence[Expr], arrays: Sequence[np.ndarray]
) -> tuple[list[np.ndarray] | None, str]:
    nodes = len(topological_order([y]))
    elements = sum(int(np.size(a)) for a in arrays)
    if nodes > SYMPY_MAX_NODES or elements > SYMPY_MAX_ELEMENTS:
        return None, (
            f"SymPy skipped: the graph has {nodes} nodes and {elements} input "
            f"elements (limits {SYMPY_MAX_NODES} and {SYMPY_MAX_ELEMENTS}); compared "
            "with finite differences only"
        )
    import sympy

    try:
        (value,) = to_object_arrays([y])
    except NotImplementedError as error:
        return None, f"SymPy skipped: {error}; compared with finite differences only"
    expression = value[()]
    point = {}
    for x, a in zip(inputs, arrays):
        symbols = variable_symbols(x)
        for index in np.ndindex(*symbols.shape):
            point[symbols[index]] = sympy.Float(float(np.asarray(a)[index]), 30)
    results = []
    for v in variables:
        symbols = variable_symbols(v)
        out = np.zeros(v.shape)
        for index in np.ndindex(*v.shape):
            out[index] = float(sympy.diff(expression, symbols[index]).evalf(30, subs=point))
        results.append(out)
    return results, ""
