"""Which nodes differentiation made, so compile statistics and pictures can tell the forward
graph from the derivative graph.

A map from each derivative result to the outputs it was derived from; entries vanish with
the results.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable

from ..core.expr import Expr
from ..core.walk import topological_order

# Keyed by id, not by node: a WeakKeyDictionary compares keys with ``==``, which on nodes
# builds a comparison. Each entry has a weak reference whose callback drops it.
_DERIVED_FROM: dict[int, tuple[Expr, ...]] = {}
_WATCHES: dict[int, weakref.ref[Expr]] = {}


def _forget(key: int) -> None:
    _DERIVED_FROM.pop(key, None)
    _WATCHES.pop(key, None)


def record(results: Iterable[Expr], sources: Iterable[Expr]) -> None:
    """Note that ``results`` are derivatives of the graph of ``sources``.

    Nodes are hash-consed, so one node can be the derivative of several functions (zeros,
    say); the latest derivation is the one remembered. Variables are never recorded."""
    sources = tuple(sources)
    for r in results:
        if not r.inputs and r.name is not None:
            continue
        key = id(r)
        if key not in _WATCHES:
            _WATCHES[key] = weakref.ref(r, lambda _, key=key: _forget(key))
        _DERIVED_FROM[key] = sources


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
        sources = _DERIVED_FROM.get(id(node))
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
