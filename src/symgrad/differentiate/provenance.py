"""Which nodes differentiation made, so compile statistics and pictures can tell the forward
graph from the derivative graph, and the emitted code can name gradients (``d_x``).

Weak maps from each derivative result to the outputs it was derived from, and to the
variable it is a derivative with respect to; entries vanish with the results.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence

from ..core.expr import Expr
from ..core.walk import topological_order

_DERIVED_FROM: weakref.WeakKeyDictionary[Expr, tuple[Expr, ...]] = weakref.WeakKeyDictionary()
#: Derivative result -> (the variable, the expression differentiated with respect to it).
_WITH_RESPECT_TO: weakref.WeakKeyDictionary[Expr, tuple[Expr, Expr]] = weakref.WeakKeyDictionary()
#: Derivatives of derivatives are followed back this far at most, to name them.
_MAX_ORDER = 8


def record(
    results: Sequence[Expr], sources: Iterable[Expr], wrt: Sequence[Expr] | None = None
) -> None:
    """Note that ``results`` are derivatives of the graph of ``sources``, each (if ``wrt``
    is given) with respect to the variable at the same position of ``wrt``."""
    sources = tuple(sources)
    for i, r in enumerate(results):
        _DERIVED_FROM[r] = tuple(dict.fromkeys(_DERIVED_FROM.get(r, ()) + sources))
        if wrt is not None and sources and r not in _WITH_RESPECT_TO:
            _WITH_RESPECT_TO[r] = (wrt[i], sources[0])


def is_derivative(node: Expr) -> bool:
    """Whether differentiation made ``node`` as a result."""
    return node in _DERIVED_FROM


def derivative_name(node: Expr) -> str | None:
    """A name for a derivative result: ``d_x`` for a derivative with respect to the
    variable ``x``, ``d2_x`` for a second derivative, ``d2_x_y`` for a mixed one (in the
    order of differentiation); ``None`` if it is not one with respect to named variables."""
    variables: list[str] = []
    found = _WITH_RESPECT_TO.get(node)
    while found is not None and len(variables) < _MAX_ORDER:
        variable, source = found
        if variable.name is None:
            return None
        variables.append(variable.name)
        found = _WITH_RESPECT_TO.get(source)
    if not variables:
        return None
    variables.reverse()
    if len(variables) == 1:
        return f"d_{variables[0]}"
    shown = variables if len(set(variables)) > 1 else variables[:1]
    return f"d{len(variables)}_" + "_".join(shown)


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
