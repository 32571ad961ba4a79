"""``check_grad``: one gradient computed three ways, and a report of how far they agree.

symgrad's compiled gradient (automatic differentiation) is compared with SymPy's ``diff`` of
the expression (symbolic differentiation) and with central finite differences (numerical
differentiation). SymPy works under a time budget and is skipped, with a note, where it
would take too long, recurse too deeply, or is turned off; the other two always come out.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..compiler import compile as compile_
from ..core import conveniences
from ..core.expr import Expr
from ..core.walk import topological_order
from ..differentiate.reverse import grad
from ..structure import flatten
from . import budget, finite_differences, kinks
from .sympy_bridge import symbol_names, to_object_arrays, variable_symbols

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
    """The check of one variable. ``singular`` names the elements where SymPy's derivative
    is not a finite real number (the derivative does not exist there, as for ``sqrt`` or
    ``1/x`` at 0); they are left out of both comparisons, and the check is not ok."""

    name: str
    gradient: np.ndarray
    sympy: Comparison | None
    finite_differences: Comparison
    singular: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return (
            not self.singular
            and self.finite_differences.ok
            and (self.sympy is None or self.sympy.ok)
        )


@dataclasses.dataclass(frozen=True)
class GradCheckReport:
    """The outcome of :func:`check_grad`; ``print`` it for a table."""

    variables: list[VariableCheck]
    rtol: float
    atol: float
    note: str = ""
    #: What the rows are: variables, or derivatives (in ``symgrad hessian``).
    label: str = "variable"

    @property
    def ok(self) -> bool:
        return all(v.ok for v in self.variables)

    def rows(self) -> list[tuple[str, ...]]:
        """The table: a header, then one row per variable (what ``print`` shows)."""
        rows: list[tuple[str, ...]] = [
            (self.label, "vs SymPy: max abs", "max rel", "vs finite diff: max abs", "max rel", "ok")
        ]
        for v in self.variables:
            s, fd = v.sympy, v.finite_differences
            nothing_left = len(v.singular) == v.gradient.size  # every element singular
            rows.append(
                (
                    v.name,
                    "skipped" if s is None else "singular" if v.singular else f"{s.max_abs:.2e}",
                    "" if s is None or v.singular else f"{s.max_rel:.2e}",
                    "-" if nothing_left else f"{fd.max_abs:.2e}",
                    "-" if nothing_left else f"{fd.max_rel:.2e}",
                    "yes" if v.ok else "NO",
                )
            )
        return rows

    def verdict(self) -> str:
        return f"{'OK' if self.ok else 'MISMATCH'} (rtol={self.rtol:g}, atol={self.atol:g})"

    def notes(self) -> list[str]:
        """The lines under the verdict: singular points, then the note."""
        lines = []
        for v in self.variables:
            if v.singular:
                shown = ", ".join(v.singular[:6]) + (", ..." if len(v.singular) > 6 else "")
                nothing_left = len(v.singular) == v.gradient.size
                lines.append(
                    f"{v.name}: singular point at {shown}: SymPy's derivative is not a finite "
                    "real number there (no derivative exists)"
                    + ("" if nothing_left else "; the other elements are compared")
                )
        return lines + self.note.splitlines()

    def __str__(self) -> str:
        rows = self.rows()
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        lines.append(self.verdict())
        lines += self.notes()
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """For Jupyter: the table, with the verdict and the notes under it."""
        return conveniences.report_html(self)


def _compare(
    gradient: np.ndarray,
    reference: np.ndarray,
    rtol: float,
    atol: float,
    keep: np.ndarray | None = None,
) -> Comparison:
    """The comparison over the elements in ``keep`` (all if ``None``)."""
    # Complex gradients (docs/numpy.md) are compared by the modulus of the difference.
    kind = np.complex128 if np.iscomplexobj(gradient) or np.iscomplexobj(reference) else np.float64
    g = np.asarray(gradient, kind)
    ref = np.asarray(reference, kind)
    if keep is not None:
        g, ref = g[keep], ref[keep]
    with np.errstate(invalid="ignore"):  # inf - inf: nan, a disagreement
        diff = np.where(g == ref, 0.0, np.abs(g - ref))  # equal infinities agree
        scale = np.abs(ref)
        rel = diff / np.where(scale > 0, scale, 1.0)
    ok = bool(np.all(diff <= atol + rtol * scale))
    worst_abs, worst_rel = float(diff.max(initial=0.0)), float(rel.max(initial=0.0))
    return Comparison(np.asarray(reference), worst_abs, worst_rel, ok)


def _default_tolerances(dtype: np.dtype) -> tuple[float, float]:
    return (1e-2, 1e-3) if dtype == np.float32 else (1e-5, 1e-8)


def check_grad(
    y: Expr,
    wrt: Any,
    at: Mapping[Any, Any],
    rtol: float | None = None,
    atol: float | None = None,
    *,
    sympy: bool = True,
    timeout: float | None = 5.0,
) -> GradCheckReport:
    """Check the gradient of scalar ``y`` with respect to ``wrt`` at the point ``at``.

    ``at`` maps every variable of ``y`` (or its name) to a value. Each comparison passes
    where ``|ad - reference| <= atol + rtol * |reference|``; the defaults suit float64
    (rtol 1e-5, atol 1e-8) and are looser for float32.

    SymPy's derivative gets ``timeout`` seconds (``None``: no limit); past that, or with
    ``sympy=False``, or where SymPy recurses too deeply or fails, the report's note says why
    SymPy was skipped and compares with finite differences only. Where SymPy's derivative is
    infinite or undefined the report names the element as a singular point. Where the finite
    differences disagree at a non-differentiable point (a kink such as ``relu`` at 0), the
    note says so.

    >>> import numpy as np, symgrad as sg
    >>> x = sg.var("x", shape=(3,))
    >>> sg.check_grad((sg.sin(x) * x).sum(), x, {x: [0.1, 0.2, 0.3]}).ok
    True
    """
    if timeout is not None and not (isinstance(timeout, (int, float)) and timeout > 0):
        raise ValueError(
            f"check_grad: timeout must be a positive number of seconds or None, got {timeout!r}"
        )
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
    symbolic, note = _sympy_or_why_not(y, variables, inputs, arrays, sympy, timeout)
    names = symbol_names(inputs)  # distinct, also for variables that share a name
    checks = []
    notes = [note] if note else []
    for i, (v, g) in enumerate(zip(variables, gradients)):
        numeric = finite_differences.gradient(forward, arrays, position[id(v)])
        keep = np.ones(np.shape(g), dtype=bool)
        singular: tuple[str, ...] = ()
        sympy_comparison = None
        if symbolic is not None:
            reference = symbolic[i]
            keep = np.isfinite(reference)
            labels = variable_symbols(v, names.get(id(v)))
            singular = tuple(
                str(labels[index]) for index in np.ndindex(*keep.shape) if not keep[index]
            )
            sympy_comparison = _compare(g, reference, rtol, atol, keep)
        checks.append(
            VariableCheck(
                name=names.get(id(v), repr(v)),
                gradient=np.asarray(g),
                sympy=sympy_comparison,
                finite_differences=_compare(g, numeric, rtol, atol, keep),
                singular=singular,
            )
        )
        if not checks[-1].ok and v.dtype.kind != "c":  # kinks are looked for along real lines
            notes += _kink_note(checks[-1], forward, arrays, position[id(v)], rtol, atol)
    return GradCheckReport(checks, rtol, atol, "\n".join(notes))


def _kink_note(
    check: VariableCheck,
    forward: Any,
    arrays: list[np.ndarray],
    index: int,
    rtol: float,
    atol: float,
) -> list[str]:
    """A note if the elements where the check fails are points without a derivative."""
    references = [check.finite_differences] + ([check.sympy] if check.sympy else [])
    failing = np.zeros(np.shape(check.gradient), dtype=bool)
    for r in references:
        failing |= ~(np.abs(check.gradient - r.reference) <= atol + rtol * np.abs(r.reference))
    if check.sympy is not None:
        failing &= np.isfinite(check.sympy.reference)  # singular points have their own note
    elements = [tuple(int(i) for i in e) for e in np.argwhere(failing)]
    found = kinks.find_kinks(forward, arrays, index, elements)
    return [kinks.describe(check.name, found)] if found else []


def _sympy_or_why_not(
    y: Expr,
    variables: Sequence[Expr],
    inputs: Sequence[Expr],
    arrays: Sequence[np.ndarray],
    use_sympy: bool,
    timeout: float | None,
) -> tuple[list[np.ndarray] | None, str]:
    """SymPy's gradients (nan where not a finite real number), or ``None`` and the reason."""
    fallback = "; compared with finite differences only"
    if not use_sympy:
        return None, "SymPy skipped: sympy=False" + fallback
    nodes = len(topological_order([y]))
    elements = sum(int(np.size(a)) for a in arrays)
    if nodes > SYMPY_MAX_NODES or elements > SYMPY_MAX_ELEMENTS:
        return None, (
            f"SymPy skipped: the graph has {nodes} nodes and {elements} input "
            f"elements (limits {SYMPY_MAX_NODES} and {SYMPY_MAX_ELEMENTS})" + fallback
        )
    try:
        return budget.run(lambda: _sympy_gradients(y, variables, inputs, arrays), timeout), ""
    except budget.OutOfTime:
        return (
            None,
            f"SymPy skipped: it took longer than its time budget, timeout={timeout:g} s{fallback}",
        )
    except RecursionError:
        return None, "SymPy skipped: the expression is nested too deeply for SymPy" + fallback
    except NotImplementedError as error:
        return None, f"SymPy skipped: {error}" + fallback
    except (TypeError, ValueError, AttributeError) as error:
        # SymPy could not give an expression (a relational used as a number): no
        # reference, but no reason to stop.
        reason = " ".join(str(error).split())[:120] or type(error).__name__
        return None, f"SymPy skipped: it failed ({type(error).__name__}: {reason}){fallback}"


def _sympy_gradients(
    y: Expr, variables: Sequence[Expr], inputs: Sequence[Expr], arrays: Sequence[np.ndarray]
) -> list[np.ndarray]:
    import sympy

    names = symbol_names(inputs)
    (value,) = to_object_arrays([y], names=names)
    # Real symbols: derivatives of Abs, sign, Max... are then real functions. A complex
    # element z is x + i y with real symbols x and y (its derivative: d/dx - i d/dy).
    real: dict[Any, Any] = {}
    parts: dict[Any, tuple[Any, Any]] = {}
    point = {}
    for x, a in zip(inputs, arrays):
        symbols = variable_symbols(x, names[id(x)])
        for index in np.ndindex(*symbols.shape):
            s: Any = symbols[index]  # a SymPy symbol
            element = np.asarray(a)[index]
            if x.dtype.kind == "c":
                re, im = (sympy.Symbol(f"{s.name}.{p}", real=True) for p in ("real", "imag"))
                parts[s] = (re, im)
                real[s] = re + sympy.I * im
                point[re] = sympy.Float(float(element.real), 30)
                point[im] = sympy.Float(float(element.imag), 30)
            else:
                real[s] = sympy.Symbol(s.name, real=True)
                point[real[s]] = sympy.Float(float(element), 30)
    expression = sympy.sympify(value[()]).xreplace(real)
    results = []
    for v in variables:
        symbols = variable_symbols(v, names[id(v)])
        out = np.zeros(symbols.shape, np.complex128 if v.dtype.kind == "c" else np.float64)
        for index in np.ndindex(*symbols.shape):
            s = symbols[index]
            if s in parts:
                re, im = parts[s]
                derivatives = [sympy.diff(expression, re), sympy.diff(expression, im)]
            else:
                derivatives = [sympy.diff(expression, real[s])]
            for derivative in derivatives:
                for unknown in derivative.atoms(sympy.Derivative):
                    # Not a singular point: SymPy has no rule for it (floor, ceil...).
                    raise NotImplementedError(
                        f"SymPy leaves the derivative of {unknown.expr} unevaluated"
                    )
            numbers = [_real_number(d, point) for d in derivatives]
            out[index] = numbers[0] - 1j * numbers[1] if s in parts else numbers[0]
        results.append(out)
    return results


def _real_number(expression: Any, point: dict[Any, Any]) -> float:
    """``expression`` at ``point`` as a float; nan where it is not a finite real number
    (a division by zero, an infinity, a complex value)."""
    try:
        number = complex(expression.evalf(30, subs=point))
    except (ZeroDivisionError, TypeError, ValueError, OverflowError):
        return math.nan
    if not (math.isfinite(number.real) and math.isfinite(number.imag)):
        return math.nan
    if abs(number.imag) > 1e-25 * max(1.0, abs(number.real)):
        return math.nan
    return number.real
