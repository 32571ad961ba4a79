"""Forward mode: tangents flow from the variables to the outputs.

One pass in topological order over the nodes that depend on a ``wrt`` node, calling each
op's JVP rule; it is its own pass, not reverse mode transposed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..core.expr import Expr
from ..core.gc_pause import paused_gc
from ..core.walk import topological_order
from ..ops import elementwise as ew
from ..ops import shape_ops
from ..structure import flatten, unflatten
from . import provenance
from .reverse import check_output, check_wrt, depends_on, seed


@paused_gc()
def push_forward(
    ys: Sequence[Expr],
    wrt: Sequence[Expr],
    tangents: Sequence[Expr],
    trace: list[tuple[Sequence[Expr | None], Expr]] | None = None,
) -> list[Expr | None]:
    """Tangents of ``ys`` (``None`` where zero) given ``tangents`` of ``wrt``, which may share
    leading batch axes: the chain rule as the ops' rules state it (see ``backpropagate``).
    ``trace`` (pictures use it) collects (tangents in, tangent out) for every rule applied."""
    order = topological_order(ys)
    depends = depends_on(order, wrt)
    tangent: dict[int, Expr] = {id(w): t for w, t in zip(wrt, tangents)}
    for node in order:
        if id(node) in tangent or id(node) not in depends:
            continue
        given = [tangent.get(id(x)) for x in node.inputs]
        result = node.op.jvp(node, given)
        if result is not None:
            tangent[id(node)] = result
            if trace is not None:
                trace.append((given, result))
    return [tangent.get(id(y)) for y in ys]


def jvp(y: Any, wrt: Any, tangents: Any) -> Any:
    """Jacobian-vector product by forward accumulation: the tangent of ``y`` when each of
    ``wrt`` moves along its tangent. ``tangents`` mirrors ``wrt`` (expressions or arrays);
    the result mirrors ``y``.

    >>> import numpy as np, symgrad as sg
    >>> x = sg.var("x", shape=(2,))
    >>> sg.jvp(sg.sin(x), x, np.ones(2)).eval({x: [0.0, np.pi]}).tolist()
    [1.0, -1.0]
    """
    ys, _ = flatten(y)
    ys = [check_output(v) for v in ys]
    leaves, _ = flatten(wrt)
    variables = check_wrt(leaves)
    given, _ = flatten(tangents)
    if len(variables) == 1 and len(given) != 1:
        given = [tangents]
    if len(given) != len(variables):
        raise ValueError(f"jvp: {len(variables)} variables but {len(given)} tangents")
    seeds = [seed(w, t, "jvp", "tangent") for w, t in zip(variables, given)]

    def pushed(sources: Sequence[Expr]) -> list[Expr]:
        tangents_out = push_forward(sources, variables, seeds)
        return [
            shape_ops.zeros(v.shape, v.dtype) if t is None else ew.fit(t, v)
            for v, t in zip(sources, tangents_out)
        ]

    results = pushed(ys)
    provenance.record(
        results,
        ys,
        provenance.Derivation("forward", tuple(ys), tuple(seeds), tuple(variables), pushed),
    )
    return unflatten(y, results)
