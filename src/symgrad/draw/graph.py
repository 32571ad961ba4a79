"""A compiled-or-not graph as a ``networkx.MultiDiGraph``, with each node's role.

Roles: ``input`` (the user's variables), ``parameter`` (the formal parameters of branch and
loop bodies), ``constant``, ``forward`` (the graph the user built) and ``gradient`` (nodes
only the derivative graphs have). With ``show_pruned`` the nodes of the forward and
derivative graphs that the outputs do not need are included, marked ``pruned=True``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core.expr import Expr
from ..core.gc_pause import paused_gc
from ..core.lazy import lazy_module
from ..core.shapes import format_shape
from ..core.walk import topological_order
from ..differentiate import provenance
from ..ops.leaves import Constant, Parameter, Variable, as_expr
from ..ops.subgraph import MultiOutput
from ..structure import flatten

if TYPE_CHECKING:
    import networkx as nx
else:
    nx = lazy_module("networkx")

ROLES = ("input", "parameter", "constant", "forward", "gradient")


def output_nodes(outputs: Any) -> list[Expr]:
    leaves, _ = flatten(outputs)
    return [as_expr(x) for x in leaves]


def role_of(node: Expr, computed_role: str) -> str:
    """The role of ``node``: its kind for leaves, else ``computed_role``."""
    op = node.op
    if isinstance(op, Variable):
        return "input"
    if isinstance(op, Parameter):
        return "parameter"
    if isinstance(op, Constant):
        return "constant"
    return computed_role


@paused_gc()
def to_networkx(outputs: Any, show_pruned: bool = False) -> nx.MultiDiGraph:
    """The graph behind ``outputs`` as a ``networkx.MultiDiGraph``.

    Nodes are numbered in topological order; attributes: ``op``, ``label``, ``shape``,
    ``dtype``, ``name`` (variables and body parameters), ``role`` (input, parameter,
    constant, forward, gradient), ``pruned``, ``output`` (the positions among the outputs, or
    ``()``), ``cluster`` and ``expr`` (the node itself). There is one edge per operand, from
    the operand to its user, with ``index`` its argument position: ``dot(x, x)`` has two
    edges from ``x``.

    The bodies of branches and loops are included as clusters: their nodes carry the
    ``cluster`` id (``None`` outside), ``graph.graph["clusters"]`` maps each id to its label,
    enclosing cluster and owner node, and each body result has an edge (``index`` -1,
    ``result`` its position) to the op that runs the body. An operand edge's key is its
    position. Linear in the size of the graph.

    >>> import symgrad as sg
    >>> x = sg.var("x", shape=(3,))
    >>> g = sg.to_networkx(sg.dot(x, x))
    >>> [g.nodes[n]["op"] for n in g.nodes], sorted(g.edges(data="index"))
    (['var', 'matmul'], [(0, 1, 0), (0, 1, 1)])
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
    graph = nx.MultiDiGraph()
    graph.graph["clusters"] = {}
    names = _Names()
    graph.add_nodes_from(
        (
            i,
            names.attributes(
                node,
                role_of(node, "gradient" if id(node) in gradient else "forward"),
                pruned=id(node) not in needed_ids,
                output=tuple(out_positions.get(id(node), ())),
                cluster=None,
            ),
        )
        for i, node in enumerate(nodes)
    )
    graph.add_edges_from(  # keyed by operand position: no key search per edge
        (position[id(x)], i, k, {"index": k})
        for i, node in enumerate(nodes)
        for k, x in enumerate(node.inputs)
    )
    for i, node in enumerate(nodes):
        if isinstance(node.op, MultiOutput):
            _add_bodies(graph, i, node.op, graph.nodes[i]["role"], None, names)
    return graph


class _Names:
    """Node attributes; labels and dtype names made once per distinct op and dtype (a
    graph of 10^5 nodes has a few dozen)."""

    def __init__(self) -> None:
        self.labels: dict[Any, str] = {}
        self.dtypes: dict[Any, str] = {}

    def attributes(
        self, node: Expr, role: str, pruned: bool, output: tuple[int, ...], cluster: str | None
    ) -> dict[str, Any]:
        op = node.op
        label = self.labels.get(op)
        if label is None:
            label = self.labels[op] = op.label()
        dtype = self.dtypes.get(node.dtype)
        if dtype is None:
            dtype = self.dtypes[node.dtype] = node.dtype.name
        return {
            "op": op.name,
            "label": label,
            "shape": node.shape,
            "dtype": dtype,
            "name": op.hint if isinstance(op, Parameter) else node.name,
            "role": role,
            "pruned": pruned,
            "output": output,
            "expr": node,
            "cluster": cluster,
        }


def _add_bodies(
    graph: nx.MultiDiGraph,
    owner: int,
    op: MultiOutput,
    role: str,
    parent: str | None,
    names: _Names,
) -> None:
    """The bodies of the control-flow op of graph node ``owner`` as clusters, nested
    bodies included. Iterative over the nesting, so deep nests are fine."""
    pending = [(owner, op, role, parent)]
    clusters = graph.graph["clusters"]
    while pending:
        owner, op, role, parent = pending.pop()
        pruned = graph.nodes[owner]["pruned"]  # the body of a pruned op is pruned too
        for field, body in op.bodies().items():
            cluster = f"c{len(clusters)}"
            clusters[cluster] = {
                "label": f"{op.name} {field.replace('_', ' ')}",
                "parent": parent,
                "owner": owner,
            }
            local: dict[int, int] = {}
            for inner in body.nodes():
                n = local[id(inner)] = graph.number_of_nodes()
                graph.add_node(
                    n, **names.attributes(inner, role_of(inner, role), pruned, (), cluster)
                )
                for k, x in enumerate(inner.inputs):
                    graph.add_edge(local[id(x)], n, key=k, index=k)
                if isinstance(inner.op, MultiOutput):
                    pending.append((n, inner.op, role, cluster))
            for j, r in enumerate(body.results):
                # Negative keys stay clear of the owner's operand positions.
                graph.add_edge(local[id(r)], owner, key=-1 - j, index=-1, result=j)


def describe(data: dict[str, Any]) -> tuple[str, str]:
    """(title, detail) text for a node: its op (or variable name) and its shape and dtype."""
    if data["role"] == "elided":
        return data["label"], "not drawn"
    if data["role"] == "input":
        title = f"{data['name']}"
    elif data["role"] == "parameter":
        title = f"param {data['name']}"
    else:
        title = data["label"]
    detail = f"{format_shape(data['shape'])} {data['dtype']}"
    return title, detail
