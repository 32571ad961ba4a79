"""Which nodes differentiation made, so compile statistics and pictures can tell the forward
graph from the derivative graph.

A map from each derivative result to the outputs it was derived from, and to how it was
derived (so a picture can replay the pass and see which nodes carry the derivative);
entries vanish with the results.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from ..core.expr import Expr
from ..core.node_map import NodeMap
from ..core.walk import topological_order

# result -> the outputs it is a derivative of
_DERIVED_FROM: NodeMap[tuple[Expr, ...]] = NodeMap()


@dataclasses.dataclass(frozen=True, eq=False)  # holds nodes: one pass is equal only to itself
class Derivation:
    """One reverse or forward pass: ``outputs`` differentiated with ``seeds`` (their
    cotangents, in reverse mode; the tangents of ``wrt``, in forward mode)."""

    mode: str  # "reverse" or "forward"
    outputs: tuple[Expr, ...]
    seeds: tuple[Expr, ...]
    wrt: tuple[Expr, ...]


# result -> (its pass, its position among the pass's results)
_HOW: NodeMap[tuple[Derivation, int]] = NodeMap()


def record(
    results: Iterable[Expr], sources: Iterable[Expr], derivation: Derivation | None = None
) -> None:
    """Note that ``results`` are derivatives of the graph of ``sources``, made by
    ``derivation`` (the i-th result: with respect to ``wrt[i]`` in reverse mode, the
    tangent of ``outputs[i]`` in forward mode).

    Nodes are hash-consed, so one node can be the derivative of several functions (zeros,
    say); the latest derivation is the one remembered (a record without ``derivation``
    keeps the pass noted before). Variables are never recorded."""
    sources = tuple(sources)
    for i, r in enumerate(results):
        if not r.inputs and r.name is not None:
            continue
        _DERIVED_FROM[r] = sources
        if derivation is not None:
            _HOW[r] = (derivation, i)


def derivation_of(result: Expr) -> tuple[Derivation, int] | None:
    """The pass that made ``result`` and its position among that pass's results."""
    return _HOW.get(result)


def forward_roots(outputs: Iterable[Expr]) -> tuple[list[Expr], list[Expr]]:
    """(the forward outputs behind ``outputs``, the derivative results among them and their
    sources), following derivatives of derivatives back to the original graph."""
    roots: dict[int, Expr] = {}
    derived: dict[int, Expr] = {}
    pending = list(outputs)
    while pending:
        node = pending.pop()
        if id(node) in roots or id(node) in derived:
            continue
        sources = _DERIVED_FROM.get(node)
        if sources is None:
            roots[id(node)] = node
        else:
            derived[id(node)] = node
            pending.extend(sources)
    return list(roots.values()), list(derived.values())


def gradient_nodes(outputs: Iterable[Expr]) -> set[int]:
    """Ids of the nodes that only the derivative graph has (not the forward graph)."""
    roots, derived = forward_roots(outputs)
    forward = {id(n) for n in topological_order(roots)}
    return {id(n) for n in topological_order(derived)} - forward
