"""The pipeline: outputs -> graph -> (optimize) -> emitted NumPy source -> Executable."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .core import conveniences
from .core.expr import Expr
from .core.gc_pause import paused_gc
from .core.walk import topological_order
from .differentiate import provenance
from .emit.source import Emitted, emit_module
from .errors import BindError
from .executable import Executable, Stats
from .ops.leaves import Variable, as_expr
from .optimize import chosen_passes
from .optimize import optimize as optimize_graph
from .structure import flatten


@paused_gc()
def compile(
    outputs: Any, inputs: Sequence[Expr] | None = None, optimize: bool | Sequence[str] = True
) -> Executable:
    """Compile expressions into a NumPy function.

    ``outputs`` is an expression or a (nested) list, tuple or dict of them; the function
    returns results in the same structure. ``inputs`` defaults to every variable the outputs
    use, in the order they were declared; for a derivative, every variable of the function
    it was taken from too (``sg.grad(x.sum(), x)`` takes ``x``, which it does not need).
    Only the nodes the outputs need are computed.

    >>> import numpy as np, symgrad as sg
    >>> x = sg.var("x", shape=(3,))
    >>> f = sg.compile([x.sum(), 2 * x])
    >>> total, double = f(np.array([1.0, 2.0, 3.0]))
    >>> float(total), double.tolist()
    (6.0, [2.0, 4.0, 6.0])
    """
    lowered = lower(outputs, inputs, optimize)
    return Executable(
        lowered.emitted, lowered.inputs, outputs, lowered.count, graph=lowered.optimized
    )


@dataclasses.dataclass(eq=False)  # holds nodes, which == compares elementwise
class Lowered:
    """A graph compiled to source: the inputs, the optimized output nodes (in the structure
    of ``outputs``, flattened) and their emitted module."""

    inputs: list[Expr]
    optimized: list[Expr]
    emitted: Emitted
    count: Callable[[], Stats]  # the node counts, walked only when asked for

    @property
    def stats(self) -> Stats:
        """Node counts at each stage of compilation (:class:`Stats`)."""
        return self.count()


def lower(
    outputs: Any, inputs: Sequence[Expr] | None = None, optimize: bool | Sequence[str] = True
) -> Lowered:
    """The steps of :func:`compile` short of making the function (the explorer page shows
    them)."""
    leaves, structure = flatten(outputs)
    given = [as_expr(x) for x in leaves]
    roots, derived = provenance.forward_roots(given)
    # The inputs are the variables of the graph as built, even if optimizing drops one.
    given_order = topological_order(given)
    free = [(n, n.op) for n in given_order if isinstance(n.op, Variable)]  # (node, its op)
    built = None  # the forward graph's size, if it is walked here
    if inputs is None and derived:
        # A derivative takes the variables of the function it came from, used or not.
        forward_order = topological_order(roots)
        built = len(forward_order)
        more = [(n, n.op) for n in forward_order if isinstance(n.op, Variable)]
        free = list({id(n): (n, op) for n, op in free + more}.values())
        del forward_order, more
    input_list = _check_inputs(free, inputs)
    blocking = "blocking" in chosen_passes(optimize)
    leaves = optimize_graph(given, optimize)
    order = topological_order(leaves)
    emitted = emit_module(input_list, leaves, order, structure.source, blocking=blocking)
    after_pruning, after_optimization = len(given_order), len(order)
    del given_order, order

    def count() -> Stats:  # counted when asked for: more walks of the whole graph
        return Stats(
            built=len(topological_order(roots)) if built is None else built,
            differentiated=len(topological_order(roots + derived + given)),
            after_pruning=after_pruning,
            after_optimization=after_optimization,
            statements=emitted.statements,
        )

    return Lowered(input_list, leaves, emitted, count)


def _check_inputs(free: list[tuple[Expr, Variable]], inputs: Sequence[Expr] | None) -> list[Expr]:
    if inputs is None:
        return [n for n, _ in sorted(free, key=lambda pair: pair[1].uid)]
    if isinstance(inputs, Expr):
        inputs = [inputs]
    result = list(inputs)
    for i, x in enumerate(result):
        if not isinstance(x, Expr) or not isinstance(x.op, Variable):
            raise TypeError(f"inputs[{i}] must be a variable made by sg.var, got {x!r:.60}")
    if len({id(x) for x in result}) != len(result):
        raise ValueError("a variable is listed twice in inputs")
    given = {id(x) for x in result}
    missing = [op.var_name for x, op in free if id(x) not in given]
    if missing:
        raise BindError(f"the outputs depend on variable(s) {missing} that are not in inputs")
    return result


def evaluate(expr: Expr, bindings: Mapping[Any, Any]) -> Any:
    """``expr`` compiled and run with the values in ``bindings`` (by variable or name): what
    ``Expr.eval`` does."""
    free = [n for n in topological_order([expr]) if n.name is not None]
    by_name = {n.name: n for n in free}
    values: dict[int, Any] = {}
    for key, value in bindings.items():
        node = by_name.get(key) if isinstance(key, str) else key
        if node is not None:  # bindings of variables the expression does not use: ignored
            values[id(node)] = value
    missing = [n.name for n in free if id(n) not in values]
    if missing:
        raise BindError(f"eval: no value given for variable(s) {missing}")
    return compile(expr, inputs=free)(*[values[id(n)] for n in free])


conveniences.evaluate = evaluate
