"""Graphs of 0-d float64 values as Python ``float`` arithmetic with the ``math`` module.

Which graphs qualify (``eligible``), and the helper that reruns the float code with NumPy.

A NumPy call on a 0-d value costs about a microsecond; the same operation on a Python float
costs tens of nanoseconds. Where every node of a graph is a 0-d float64 (or bool) value and
every op has a float form, the module computes with floats. Where ``math`` raises (log of 0,
exp overflow, division by zero) NumPy returns inf or nan with a warning instead, so
``evaluate`` then reruns the same code with NumPy behind ``math`` and ``float``: the results
never differ in kind, and the source holds the computation once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..core.expr import Expr
from ..ops import catalog
from ..ops.leaves import Constant, Variable
from .expressions import Form, analyse, placeholders

_FALLBACK_TEMPLATE = '''\
class _numpy_math:
    """The math functions the float code calls, as NumPy computes them: inf and nan
    instead of errors."""

{functions}


def _with_numpy(function):
    """`function` with its math and float() done by NumPy (and so the functions it calls)."""
    module = function.__globals__
    scope = dict(module, math=_numpy_math, float=np.float64)
    for name, value in module.items():
        if type(value) is type(function) and value.__globals__ is module:
            copy = type(function)(value.__code__, scope, name, value.__defaults__)
            copy.__kwdefaults__ = value.__kwdefaults__
            scope[name] = copy
    return scope[function.__name__]
'''


def numpy_fallback() -> str:
    """Source of ``_with_numpy``, which reruns the float code with NumPy behind ``math``:
    one NumPy function for every math function an op's float form may call."""
    pairs = catalog.math_fallbacks()
    return _FALLBACK_TEMPLATE.format(
        functions="\n".join(f"    {name} = {numpy}" for name, numpy in pairs.items())
    )


_FLOAT_DTYPES = (np.dtype(np.float64), np.dtype(np.bool_))


def eligible(
    inputs: Sequence[Expr], order: Sequence[Expr], forms: dict[int, Form] | None = None
) -> bool:
    """True if every value is 0-d float64 or bool, and every op has a float form. If it is,
    ``forms`` (if given) receives the form of each op's float template, by node id."""
    if not all(x.ndim == 0 and x.dtype == np.float64 for x in inputs):
        return False
    found: dict[int, Form] = {}
    float64, boolean = _FLOAT_DTYPES
    slots = [placeholders(arity) for arity in range(4)]
    # The form of each op's template, by its text: most nodes share a few templates.
    known: dict[tuple[str, int], Form] = {}
    for node in order:
        dtype = node.dtype
        if node.shape or (dtype != float64 and dtype != boolean):
            return False
        op = node.op
        if isinstance(op, Variable):
            if dtype != float64:
                return False
        elif not isinstance(op, Constant):
            arity = len(node.inputs)
            text = op.emit_float(node, slots[arity] if arity < 4 else placeholders(arity))
            if text is None:
                return False
            form = known.get((text, arity))
            if form is None:
                form = known[text, arity] = analyse(text, arity)
            found[id(node)] = form
    if forms is not None:
        forms.update(found)
    return True
