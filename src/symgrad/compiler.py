"""The pipeline: outputs -> graph -> (optimize) -> emission plan -> a backend's source ->
Executable."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from .core.expr import Expr
from .core.gc_pause import paused_gc
from .core.walk import topological_order
from .differentiate import provenance
from .emit import backends
from .emit.plan import make_plan
from .errors import BindError
from .executable import Executable, Stats
from .ops.leaves import Variable, as_expr
from .optimize import chosen_passes
from .optimize import optimize as optimize_graph
from .structure import flatten


@paused_gc()
def compile(
    outputs: Any,
    inputs: Sequence[Expr] | None = None,
    optimize: bool | Sequence[str] = True,
    backend: str = "numpy",
) -> Executable:
    """Compile expressions into a NumPy function.

    ``outputs`` is an expression or a (nested) list, tuple or dict of them; the function
    returns results in the same structure. ``inputs`` defaults to every variable the outputs
    use, in the order they were declared. Only the nodes the outputs need are computed.
    ``backend`` names the code to write: ``"numpy"`` (readable NumPy source), or
    ``"numba"`` (fused elementwise loops compiled by Numba; needs ``pip install
    'symgrad[numba]'``, else ``ImportError``); an unknown name is a ``ValueError`` listing
    the known ones.

    >>> import numpy as np, symgrad as sg
    >>> x = sg.var("x", shape=(3,))
    >>> f = sg.compile([x.sum(), 2 * x])
    >>> total, double = f(np.array([1.0, 2.0, 3.0]))
    >>> float(total), double.tolist()
    (6.0, [2.0, 4.0, 6.0])
    """
    writer = backends.backend(backend)
    leaves, render = flatten(outputs)
    given = [as_expr(x) for x in leaves]
    roots, derived = provenance.forward_roots(given)
    forward_order = topological_order(roots)
    # The inputs are the variables of the graph as built, even if optimizing drops one.
    given_order = topological_order(given)
    free = [n for n in given_order if isinstance(n.op, Variable)]
    input_list = _check_inputs(free, inputs)
    options = writer.options
    if "blocking" not in chosen_passes(optimize):
        options = dataclasses.replace(options, blocking=False)
    leaves = optimize_graph(given, optimize)
    order = topological_order(leaves)
    names, forward = _derivatives(given, leaves, forward_order) if derived else ([], None)
    plan = make_plan(input_list, leaves, order, options, names, forward)
    emitted = writer.write(plan, render)
    stats = Stats(
        built=len(forward_order),
        differentiated=len(topological_order(roots + derived + given)),
        after_pruning=len(given_order),
        after_optimization=len(order),
        statements=emitted.statements,
    )
    return Executable(emitted, input_list, outputs, stats)


def _derivatives(
    given: Sequence[Expr], leaves: Sequence[Expr], forward_order: Sequence[Expr]
) -> tuple[list[str | None], set[int]]:
    """Names for the outputs that are derivatives (``d_x``), and the ids of the forward
    computation: the forward graph's nodes and the (optimized) outputs that are not
    derivatives."""
    names = [provenance.derivative_name(g) if provenance.is_derivative(g) else None for g in given]
    forward = {id(n) for n in forward_order}
    forward.update(id(x) for x, g in zip(leaves, given) if not provenance.is_derivative(g))
    return names, forward


def _check_inputs(free: list[Expr], inputs: Sequence[Expr] | None) -> list[Expr]:
    if inputs is None:
        return sorted(free, key=lambda v: v.op.uid)
    if isinstance(inputs, Expr):
        inputs = [inputs]
    result = list(inputs)
    for i, x in enumerate(result):
        if not isinstance(x, Expr) or not isinstance(x.op, Variable):
            raise TypeError(f"inputs[{i}] must be a variable made by sg.var, got {x!r:.60}")
    if len({id(x) for x in result}) != len(result):
        raise ValueError("a variable is listed twice in inputs")
    given = {id(x) for x in result}
    missing = [x.op.var_name for x in free if id(x) not in given]
    if missing:
        raise BindError(f"the outputs depend on variable(s) {missing} that are not in inputs")
    return result
