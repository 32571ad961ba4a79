"""Which nodes differentiation made, and how, so compile statistics and pictures can tell
the forward graph from the derivative graph, pictures can replay a pass to see which nodes
carry a derivative, the optimizer can take a derivative again of a rewritten function, and
the emitted code can name gradients (``d_x``).

A map from each derivative result to the outputs it was derived from, to the pass that
made it (a :class:`Derivation`) and to the variable it is a derivative with respect to;
entries vanish with the results.
"""

from __future__ import annotations

import dataclasses
import functools
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence

from ..core.expr import Expr
from ..core.walk import topological_order


@dataclasses.dataclass(frozen=True, eq=False)  # holds nodes: one pass is equal only to itself
class Derivation:
    """One reverse or forward pass: ``outputs`` differentiated with ``seeds`` (their
    cotangents, in reverse mode; the tangents of ``wrt``, in forward mode).

    ``remake(new_outputs)`` computes the pass's results, in the same order, from other
    functions standing for the outputs (the same call with ``wrt``, cotangents and
    tangents kept): the optimizer differentiates a stabilized function with it."""

    mode: str  # "reverse" or "forward"
    outputs: tuple[Expr, ...]
    seeds: tuple[Expr, ...]
    wrt: tuple[Expr, ...]
    remake: Callable[[Sequence[Expr]], list[Expr]]


@dataclasses.dataclass(frozen=True, eq=False)
class _Entry:
    ref: weakref.ref[Expr]
    sources: tuple[Expr, ...]
    derivation: Derivation | None
    index: int  # of the result among the derivation's results
    #: (the variable, the expression differentiated with respect to it), to name it
    respect: tuple[Expr, Expr] | None


#: id(result) -> what it was derived from; an entry goes when its result does.
_ENTRIES: dict[int, _Entry] = {}
#: Derivatives of derivatives are followed back this far at most, to name them.
_MAX_ORDER = 8


def _forget(key: int, ref: weakref.ref[Expr]) -> None:
    entries = _ENTRIES
    if entries is not None and key in entries and entries[key].ref is ref:  # None at exit
        del entries[key]


def record(
    results: Iterable[Expr],
    sources: Iterable[Expr],
    derivation: Derivation | None = None,
    wrt: Sequence[Expr] | None = None,
) -> None:
    """Note that ``results`` are derivatives of the graph of ``sources``, made by
    ``derivation`` (the i-th result: with respect to ``wrt[i]`` in reverse mode, the
    tangent of ``outputs[i]`` in forward mode), each (if ``wrt`` is given) with respect to
    the variable at the same position of ``wrt``, which names it (``d_x``).

    Nodes are hash-consed, so one node can be the derivative of several functions (zeros,
    say); the latest record is the one remembered (one without ``derivation`` keeps the
    pass noted before, one without ``wrt`` the variable). Variables are never recorded."""
    sources = tuple(sources)
    for index, r in enumerate(results):
        if not r.inputs and r.name is not None:
            continue
        old = _ENTRIES.get(id(r))
        if old is not None and old.ref() is not r:
            old = None
        how, position = derivation, index
        if derivation is None and old is not None:
            how, position = old.derivation, old.index
        respect = (wrt[index], sources[0]) if wrt is not None and sources else None
        if old is not None and old.respect is not None:
            respect = old.respect  # the first variable noted names it
        ref = weakref.ref(r, functools.partial(_forget, id(r)))
        _ENTRIES[id(r)] = _Entry(ref, sources, how, position, respect)


def derived_ids() -> Mapping[int, object]:
    """The ids of the live derivative results (a live view, to test membership cheaply)."""
    return _ENTRIES


def derivation_of(node: Expr) -> tuple[Derivation, int] | None:
    """The pass that made ``node`` and its position among that pass's results, if known."""
    entry = _ENTRIES.get(id(node))
    if entry is None or entry.derivation is None or entry.ref() is not node:
        return None
    return entry.derivation, entry.index


def _sources_of(node: Expr) -> tuple[Expr, ...] | None:
    entry = _ENTRIES.get(id(node))
    if entry is None or entry.ref() is not node:
        return None
    return entry.sources


def is_derivative(node: Expr) -> bool:
    """Whether differentiation made ``node`` as a result."""
    return _sources_of(node) is not None


def derivative_name(node: Expr) -> str | None:
    """A name for a derivative result: ``d_x`` for a derivative with respect to the
    variable ``x``, ``d2_x`` for a second derivative, ``d2_x_y`` for a mixed one (in the
    order of differentiation); ``None`` if it is not one with respect to named variables."""
    variables: list[str] = []
    entry = _ENTRIES.get(id(node))
    found = entry.respect if entry is not None and entry.ref() is node else None
    while found is not None and len(variables) < _MAX_ORDER:
        variable, source = found
        if variable.name is None:
            return None
        variables.append(variable.name)
        entry = _ENTRIES.get(id(source))
        found = entry.respect if entry is not None and entry.ref() is source else None
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
        sources = _sources_of(node)
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
