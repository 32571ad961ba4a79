"""Which nodes and edges carry a variable's derivative, for ``highlight=``.

* In a graph the user built, the derivative with respect to ``x`` flows along every path
  from ``x`` to an output (each node on it has a nonzero derivative with respect to ``x``).
* In a derivative graph, it is carried by the cotangents (reverse mode) or tangents
  (forward mode) that end in the result with respect to ``x``: from the seed, through each
  rule that passes them on, to the result. Forward values the rules read (``W.T``,
  ``1 - tanh(h)**2``) do not carry it, even though they feed the same nodes.

The second is found by replaying the pass that made the result while it reports each rule
it applies: which cotangents went in, which came out. Between them, only the nodes on a path
from one to the other carry the derivative. Differentiation is deterministic and nodes are
shared, so the replay rebuilds the very same nodes, except where a rule traces a new body
(branches and loops get fresh parameters): from there on, each replayed node is matched to
the original node with the same kind of op on the same (matched) inputs. Linear in the size
of the derivative graph.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..core.expr import Expr
from ..core.lazy import lazy_module
from ..core.walk import topological_order
from ..differentiate import provenance
from ..differentiate.forward import push_forward
from ..differentiate.reverse import backpropagate, depends_on

if TYPE_CHECKING:
    import networkx as nx
else:
    nx = lazy_module("networkx")

Edges = set[tuple[Any, Any, int]]


def highlighted(graph: nx.MultiDiGraph, variable: Any) -> tuple[set[Any], Edges]:
    """(nodes, edges as (tail, head, key)) of ``graph`` that carry the derivative with
    respect to ``variable``; a ``ValueError`` if there are none."""
    if variable is None:
        return set(), set()
    node_of = {id(d["expr"]): n for n, d in graph.nodes(data=True) if d["cluster"] is None}
    if id(variable) not in node_of:
        raise ValueError(f"highlight: {variable!r} is not in the graph")
    roots = [d["expr"] for _, d in graph.nodes(data=True) if d["output"] and not d["pruned"]]
    carried: dict[int, set[tuple[int, int]]] = {}  # node id -> (operand id, position)
    forward_roots = []
    for root in dict.fromkeys(roots):
        how = provenance.derivation_of(root)
        if how is None:
            forward_roots.append(root)
        else:
            _merge(carried, _carriers(root, how, variable))
    if forward_roots:
        _merge(carried, _paths_from(variable, forward_roots))
    if not carried:
        raise ValueError(
            f"highlight: no node of the outputs carries a derivative with respect to "
            f"{variable!r}: they neither depend on it nor hold a derivative with respect to it"
        )
    nodes = {node_of[i] for i in carried if i in node_of}
    edges = set()
    for i, operands in carried.items():
        if i not in node_of:
            continue
        for j, k in operands:
            if j in node_of:
                b, a = node_of[i], node_of[j]
                edges.add((a, b, k))  # an operand edge's key is its position
    return nodes, edges


def _merge(into: dict[int, set[tuple[int, int]]], more: dict[int, set[tuple[int, int]]]) -> None:
    for i, operands in more.items():
        into.setdefault(i, set()).update(operands)


def _paths_from(source: Expr, roots: Sequence[Expr]) -> dict[int, set[tuple[int, int]]]:
    """Nodes on a path from ``source`` to a root through ops that pass derivatives on (not
    through a comparison or a ``stop_gradient``), with their operands on such a path."""
    order = topological_order(roots)
    depends = depends_on(order, [source])
    leads = {id(r) for r in roots if id(r) in depends}
    carried: dict[int, set[tuple[int, int]]] = {}
    for node in reversed(order):
        if id(node) not in leads:
            continue
        operands = {(id(x), k) for k, x in enumerate(node.inputs) if id(x) in depends}
        carried[id(node)] = operands
        leads.update(j for j, _ in operands)
    return carried


def _carriers(result: Expr, how: tuple[provenance.Derivation, int], variable: Expr) -> Any:
    derivation, position = how
    if derivation.mode == "reverse" and derivation.wrt[position] is not variable:
        return {}
    trace: list[tuple[Sequence[Expr | None], Expr]] = []
    outputs = list(derivation.outputs)
    if derivation.mode == "reverse":
        backpropagate(outputs, list(derivation.seeds), list(derivation.wrt), trace)
        starts = {id(s) for s in derivation.seeds}
    else:
        push_forward(outputs, list(derivation.wrt), list(derivation.seeds), trace)
        starts = {id(s) for s, w in zip(derivation.seeds, derivation.wrt) if w is variable}
        if not starts:
            return {}
    forward = {id(n) for n in topological_order(outputs)}
    original = _matcher(result, trace)
    # Each rule: the nodes between the cotangents it read and the one it made.
    step: dict[int, set[tuple[int, int]]] = {}
    for given, made in trace:
        target = original(made)
        if target is None:
            continue
        if any(g is not None and id(g) in starts for g in given) and not any(
            x is g for g in given for x in made.inputs
        ):
            # The product with a unit seed is left out (the partial itself stands for it):
            # the derivative starts at what the rule made.
            starts.add(id(target))
        sources = {id(original(g)) for g in given if g is not None and original(g) is not None}
        if sources:
            _merge(step, _on_paths(sources, [target], blocked=forward))
    # From the seeds (of ``variable``, in forward mode) to the result, along those steps.
    reach = set(starts)
    for node in topological_order([result]):  # inputs first
        i = id(node)
        if i in reach:
            continue
        if any(j in reach for j, _ in step.get(i, ())):
            reach.add(i)
    # The last steps (casts, reshapes) between the pass's cotangent and the result.
    tail = _on_paths(reach, [result], blocked=forward - reach)
    needed = {id(result)}
    carried: dict[int, set[tuple[int, int]]] = {}
    for node in reversed(topological_order([result])):  # users first
        i = id(node)
        if i not in needed:
            continue
        operands = {(j, k) for j, k in step.get(i, set()) | tail.get(i, set()) if j in reach}
        carried[i] = operands
        needed.update(j for j, _ in operands)
    return carried


def _matcher(
    result: Expr, trace: list[tuple[Sequence[Expr | None], Expr]]
) -> Callable[[Expr | None], Expr | None]:
    """Maps each node the replay made to the node of ``result``'s graph it stands for
    (``None`` if there is none)."""
    graph = topological_order([result])
    ids = {id(n) for n in graph}
    # The same op on the same inputs is the same node; failing that (an op holding a body
    # with fresh parameters), the same kind of op.
    by_op: dict[tuple[Any, tuple[int, ...]], Expr] = {}
    by_kind: dict[tuple[type, tuple[int, ...]], Expr] = {}
    for n in graph:
        inputs = tuple(id(x) for x in n.inputs)
        by_op.setdefault((n.op, inputs), n)
        by_kind.setdefault((type(n.op), inputs), n)
    replayed = [made for _, made in trace] + [
        g for given, _ in trace for g in given if g is not None
    ]
    match: dict[int, Expr | None] = {}
    for n in topological_order(replayed):
        if id(n) in ids:
            match[id(n)] = n
            continue
        matched = [match.get(id(x)) for x in n.inputs]
        if any(x is None for x in matched):
            match[id(n)] = None
            continue
        key = tuple(id(x) for x in matched)
        found = by_op.get((n.op, key))
        match[id(n)] = found if found is not None else by_kind.get((type(n.op), key))
    return lambda n: None if n is None else match.get(id(n))


def _on_paths(
    sources: set[int], targets: Iterable[Expr], blocked: set[int]
) -> dict[int, set[tuple[int, int]]]:
    """Every node on a path from a node in ``sources`` to a target (not passing through
    ``blocked`` nodes), with its operands on such a path (id, position). Visits only what
    lies behind the targets up to the sources or a blocked node; iterative."""
    reaches: dict[int, bool] = {}
    found: dict[int, set[tuple[int, int]]] = {}
    for target in targets:
        stack = [(target, False)]
        while stack:
            node, expanded = stack.pop()
            i = id(node)
            if i in reaches and not expanded:
                continue
            if i in sources:
                reaches[i] = True
                found.setdefault(i, set())
                continue
            if i in blocked:
                reaches[i] = False
                continue
            if not expanded:
                reaches[i] = False  # provisional: a DAG has no cycle to revisit it
                stack.append((node, True))
                stack.extend((x, False) for x in node.inputs if id(x) not in reaches)
                continue
            operands = {(id(x), k) for k, x in enumerate(node.inputs) if reaches.get(id(x))}
            if operands:
                reaches[i] = True
                found[i] = operands
    return found
