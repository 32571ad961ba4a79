"""A compiled-or-not graph as a ``networkx.DiGraph``, with each node's role.

Roles: ``input`` (variables), ``constant``, ``forward`` (the graph the user built) and
``gradient`` (nodes only the derivative graphs have). With ``show_pruned`` the nodes of the
forward and derivative graphs that the outputs do not need are included, marked
``pruned=True``.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from ..core.expr import Expr
from ..core.shapes import format_shape
from ..core.walk import topological_order
from ..differentiate import provenance
from ..ops.leaves import Constant, Parameter, Variable, as_expr
from ..ops.subgraph import MultiOutput
from ..structure import flatten


def output_nodes(outputs: Any) -> list[Expr]:
    leaves, _ = flatten(outputs)
    return [as_expr(x) for x in leaves]


def role_of(node: Expr, gradient: set[int]) -> str:
    if isinstance(node.op, (Variable, Parameter)):
        return "input"
    if isinstance(node.op, Constant):
        return "constant"
    return "gradient" if id(node) in gradient else "forward"


def to_networkx(outputs: Any, show_pruned: bool = False) -> nx.DiGraph:
    """The graph behind ``outputs`` as a ``networkx.DiGraph``.

    Nodes are numbered in topological order; attributes: ``op``, ``label``, ``shape``,
    ``dtype``, ``name`` (variables), ``role`` (input, constant, forward, gradient),
    ``pruned``, ``output`` (the positions among the outputs, or ``()``) and ``cluster``.
    Edges go from an input to its user, with ``index`` the argument position.

    The bodies of branches and loops are included as clusters: their nodes carry the
    ``cluster`` id (``None`` outside), ``graph.graph["clusters"]`` maps each id to its label
    and enclosing cluster, and each body result has an edge (``index`` -1) to the op that
    runs the body.

    >>> import symgrad as sg
    >>> x = sg.var("x", shape=(3,))
    >>> g = sg.to_networkx(sg.sin(x).sum())
    >>> [g.nodes[n]["op"] for n in g.nodes]
    ['var', 'sin', 'sum']
    """
    roots = output_nodes(outputs)
    needed = topological_order(roots)
    nodes = needed
    if show_pruned:
        forward, derived = provenance.forward_roots(roots)
        nodes = topological_order(roots + forward + derived)
    needed_ids = {id(n) for n in needed}
    gradient = provenance.gradient_nodes(roots)
    position = {id(n): i for i, n in enumerate(nodes)}
    out_positions: dict[int, list[int]] = {}
    for k, r in enumerate(roots):
        out_positions.setdefault(id(r), []).append(k)
    graph = nx.DiGraph()
    for i, node in enumerate(nodes):
        graph.add_node(
            i,
            op=node.op.name,
            label=node.op.label(),
            shape=node.shape,
            dtype=node.dtype.name,
            name=node.name,
            role=role_of(node, gradient),
            pruned=id(node) not in needed_ids,
            output=tuple(out_positions.get(id(node), ())),
            expr=node,
            cluster=None,
        )
    for node in nodes:
        for k, x in enumerate(node.inputs):
            graph.add_edge(position[id(x)], position[id(node)], index=k)
    graph.graph["clusters"] = {}
    for node in nodes:
        if isinstance(node.op, MultiOutput):
            role = graph.nodes[position[id(node)]]["role"]
            _add_bodies(graph, position[id(node)], node, role, None)
    return graph


def _add_bodies(graph: nx.DiGraph, owner: int, node: Expr, role: str, parent: str | None) -> None:
    """The bodies of the control-flow ``node`` (graph node ``owner``) as clusters, nested
    bodies included. Iterative over the nesting, so deep nests are fine."""
    pending = [(owner, node, role, parent)]
    while pending:
        owner, node, role, parent = pending.pop()
        for field, body in node.op.bodies().items():
            cluster = f"c{len(graph.graph['clusters'])}"
            graph.graph["clusters"][cluster] = {
                "label": f"{node.op.name} {field.replace('_', ' ')}",
                "parent": parent,
            }
            local: dict[int, int] = {}
            for inner in body.nodes():
                n = local[id(inner)] = graph.number_of_nodes()
                inner_role = (
                    "input"
                    if isinstance(inner.op, Parameter)
                    else ("constant" if isinstance(inner.op, Constant) else role)
                )
                graph.add_node(
                    n,
                    op=inner.op.name,
                    label=inner.op.label(),
                    shape=inner.shape,
                    dtype=inner.dtype.name,
                    name=inner.op.hint if isinstance(inner.op, Parameter) else inner.name,
                    role=inner_role,
                    pruned=False,
                    output=(),
                    expr=inner,
                    cluster=cluster,
                )
                for k, x in enumerate(inner.inputs):
                    graph.add_edge(local[id(x)], n, index=k)
                if isinstance(inner.op, MultiOutput):
                    pending.append((n, inner, role, cluster))
            for r in body.results:
                graph.add_edge(local[id(r)], owner, index=-1)


def describe(data: dict[str, Any]) -> tuple[str, str]:
    """(title, detail) text for a node: its op (or variable name) and its shape and dtype."""
    title = f"{data['name']}" if data["role"] == "input" else data["label"]
    detail = f"{format_shape(data['shape'])} {data['dtype']}"
    return title, detail
