"""The pipeline: outputs -> graph -> (optimize) -> emission plan -> a backend's source ->
Executable."""

from __future__ import annotations

import dataclasses
import functools
import operator
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .core import conveniences
from .core.expr import Expr
from .core.gc_pause import paused_gc
from .core.walk import extended_order, topological_order
from .differentiate import provenance
from .emit import Emitted, backends
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
    use, in the order they were declared; for a derivative, every variable of the function
    it was taken from too (``sg.grad(x.sum(), x)`` takes ``x``, which it does not need).
    Only the nodes the outputs need are computed.
    ``backend`` names the code to write: ``"numpy"`` (readable NumPy source), ``"numba"``
    (fused elementwise loops compiled by Numba), or ``"dask"`` (the same statements on Dask
    arrays, for data larger than memory); see docs/backends.md. An unknown name is a
    ``ValueError`` listing the known ones; a backend whose optional library is missing, an
    ``ImportError`` naming the extra to install.

    >>> import numpy as np, symgrad as sg
    >>> x = sg.var("x", shape=(3,))
    >>> f = sg.compile([x.sum(), 2 * x])
    >>> total, double = f(np.array([1.0, 2.0, 3.0]))
    >>> float(total), double.tolist()
    (6.0, [2.0, 4.0, 6.0])
    """
    lowered = lower(outputs, inputs, optimize, backend)
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
    outputs: Any,
    inputs: Sequence[Expr] | None = None,
    optimize: bool | Sequence[str] = True,
    backend: str = "numpy",
) -> Lowered:
    """The steps of :func:`compile` short of making the function (the explorer page shows
    them)."""
    writer = backends.backend(backend)
    leaves, structure = flatten(outputs)
    given = [as_expr(x) for x in leaves]
    roots, derived = provenance.forward_roots(given)
    # The forward graph of a derivative: its variables are inputs too, and its statements
    # come first in the code. The inputs are the variables of the graph as built, even if
    # optimizing drops one.
    if derived and len(roots) <= len(given) and all(map(operator.is_, roots, given)):
        # The forward outputs come first (``[y, sg.grad(y, x)]``): the walk of all the
        # outputs goes on from theirs.
        forward_order = topological_order(roots)
        given_order = extended_order(forward_order, given[len(roots) :])
    else:
        given_order = topological_order(given)
        forward_order = topological_order(roots) if derived else given_order
    free = [(n, n.op) for n in given_order if isinstance(n.op, Variable)]  # (node, its op)
    built = len(forward_order)
    if inputs is None and derived:
        # A derivative takes the variables of the function it came from, used or not.
        more = [(n, n.op) for n in forward_order if isinstance(n.op, Variable)]
        free = list({id(n): (n, op) for n, op in free + more}.values())
        del more
    input_list = _check_inputs(free, inputs)
    options = writer.options
    if "blocking" not in chosen_passes(optimize):
        options = dataclasses.replace(options, blocking=False)
    leaves = optimize_graph(given, optimize)
    order = topological_order(leaves)
    names, forward = _derivatives(given, leaves, forward_order) if derived else ([], None)
    after_pruning, after_optimization = len(given_order), len(order)
    del given_order, forward_order
    plan = make_plan(input_list, leaves, order, options, names, forward)
    del order
    assert writer.write is not None  # (backends.backend refuses a backend without one)
    emitted = writer.write(plan, structure.source)
    del plan

    def count() -> Stats:  # counted when asked for: more walks of the whole graph
        return Stats(
            built=built,
            differentiated=len(topological_order(roots + derived + given)),
            after_pruning=after_pruning,
            after_optimization=after_optimization,
            statements=emitted.statements,
        )

    return Lowered(input_list, leaves, emitted, count)


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
    ``Expr.eval`` does. The function is compiled once per expression, while it lives."""
    compiled = _EVALUATE.get(id(expr))
    if compiled is None or compiled[0]() is not expr:
        free = [n for n in topological_order([expr]) if n.name is not None]
        function = compile(expr, inputs=free).function
        forget = functools.partial(_forget_evaluate, id(expr))
        compiled = _EVALUATE[id(expr)] = (weakref.ref(expr, forget), free, function)
    _, free, function = compiled
    by_name = {n.name: n for n in free}
    values: dict[int, Any] = {}
    for key, value in bindings.items():
        node = by_name.get(key) if isinstance(key, str) else key
        if node is not None:  # bindings of variables the expression does not use: ignored
            values[id(node)] = value
    missing = [n.name for n in free if id(n) not in values]
    if missing:
        raise BindError(f"eval: no value given for variable(s) {missing}")
    return function(*[values[id(n)] for n in free])


#: ``Expr.eval``'s compiled functions, by id of the expression: (a weak reference to it,
#: the variables in parameter order, the function). Keyed by id, not by the expression:
#: ``==`` on expressions builds a comparison. An entry goes with its expression.
_EVALUATE: dict[int, tuple[weakref.ref[Expr], list[Expr], Any]] = {}


def _forget_evaluate(key: int, ref: weakref.ref[Expr]) -> None:
    """Weak-reference callback: drop the function of an expression that died."""
    cache = _EVALUATE
    if cache is not None and key in cache and cache[key][0] is ref:  # None at exit
        del cache[key]


conveniences.evaluate = evaluate
