"""Graphs of 0-d float64 values as Python ``float`` arithmetic with the ``math`` module.

A NumPy call on a 0-d value costs about a microsecond; the same operation on a Python float
costs tens of nanoseconds. Where every node of a graph is a 0-d float64 (or bool) value and
every op has a float form, the module computes with floats. Where ``math`` raises (log of 0,
exp overflow, division by zero) NumPy returns inf or nan with a warning instead, so
``evaluate`` then reruns the same code with NumPy behind ``math`` and ``float``: the results
never differ in kind, and the source holds the computation once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..core.expr import Expr
from ..ops import catalog
from ..ops.leaves import Constant, Variable
from . import literals, quiet
from .names import Namer

_FALLBACK_TEMPLATE = '''\
class _numpy_math:
    """The math functions the float code calls, as NumPy computes them: inf and nan
    instead of errors."""

{functions}


def _with_numpy(function):
    """`function` with its math and float() done by NumPy."""
    scope = dict(function.__globals__, math=_numpy_math, float=np.float64)
    return type(function)(function.__code__, scope)
'''


def numpy_fallback() -> str:
    """Source of ``_with_numpy``, which reruns the float code with NumPy behind ``math``:
    one NumPy function for every math function an op's float form may call."""
    pairs = catalog.math_fallbacks()
    return _FALLBACK_TEMPLATE.format(
        functions="\n".join(f"    {name} = {numpy}" for name, numpy in pairs.items())
    )


_FLOAT_DTYPES = (np.dtype(np.float64), np.dtype(np.bool_))


def eligible(inputs: Sequence[Expr], order: Sequence[Expr]) -> bool:
    """True if every value is 0-d float64 or bool, and every op has a float form."""
    for node in order:
        if node.ndim != 0 or node.dtype not in _FLOAT_DTYPES:
            return False
        if isinstance(node.op, Variable):
            if node.dtype != np.float64:
                return False
        elif (
            not isinstance(node.op, Constant)
            and node.op.emit_float(node, ["a"] * len(node.inputs)) is None
        ):
            return False
    return all(x.ndim == 0 and x.dtype == np.float64 for x in inputs)


def float_function(
    name: str,
    inputs: Sequence[Expr],
    outputs: Sequence[Expr],
    order: Sequence[Expr],
    render_result: Callable[[list[str]], str],
    checks: Callable[[dict[int, str], Namer], list[str]],
    given: list[tuple[int, str]] | None = None,
) -> list[str]:
    """Lines of ``def name(...)``: the graph computed with Python floats. ``given`` collects
    (node id, name) in the order of the statements."""
    namer = Namer()
    names: dict[int, str] = {}
    params = []
    given = [] if given is None else given
    for x in inputs:
        names[id(x)] = namer.fresh(x.op.var_name)
        params.append(names[id(x)])
        given.append((id(x), names[id(x)]))
    body = checks(names, namer)
    body += [f"    {p} = float({p})" for p in params]
    # Registers r0, r1... are reused once their value is dead, so few floats are alive at
    # a time (Python then recycles them) and the frame stays small.
    last_use = {id(x): i for i, node in enumerate(order) for x in node.inputs}
    keep = {id(x) for x in outputs} | {id(x) for x in inputs}
    free: list[str] = []
    count = 0
    silent, blocks = quiet.quiet_nodes(order, keep), quiet.QuietBlocks()
    for i, node in enumerate(order):
        op = node.op
        if isinstance(op, Variable):
            continue
        if isinstance(op, Constant):
            names[id(node)] = literals.scalar(op.value[()])
            continue
        text = op.emit_float(node, [names[id(x)] for x in node.inputs])
        for x in node.inputs:
            if (
                last_use.get(id(x)) == i
                and id(x) not in keep
                and x.op.fresh
                and not isinstance(x.op, Constant)
                and names[id(x)] not in free
            ):
                free.append(names[id(x)])
        if free:
            names[id(node)] = free.pop()
        else:
            names[id(node)] = namer.fresh(f"r{count}")
            count += 1
        body.append(f"    {names[id(node)]} = {text}")
        given.append((id(node), names[id(node)]))
        if id(node) in silent:
            blocks.wrap(body, len(body) - 1, "    ")
    results = [f"np.{node.dtype.name}({names[id(node)]})" for node in outputs]
    body.append(f"    return {render_result(results)}")
    return [
        f"def {name}({', '.join(params)}):",
        '    """The outputs computed with Python floats and the math module."""',
        *body,
    ]
