"""From outputs to what a picture shows: the graph, what to mark, what to leave out.

Two changes make the drawn graph differ from :func:`symgrad.to_networkx`'s: large graphs
are summarized (:mod:`.summary`), and a scalar constant read by several nodes is drawn once
beside each of them. Nodes are shared by value, so a ``2.`` or ``1.`` in a model is one node
read all over the graph; drawn once, its edges would cross the whole picture and say
nothing.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from ..core.gc_pause import paused_gc
from ..core.lazy import lazy_module
from . import scene
from .graph import to_networkx
from .highlight import highlighted
from .summary import MAX_NODES, summarize

if TYPE_CHECKING:
    import networkx as nx
else:
    nx = lazy_module("networkx")


@dataclasses.dataclass
class Drawn:
    graph: nx.MultiDiGraph
    marked_nodes: set[Any]
    marked_edges: set[tuple[Any, Any, Any]]
    caption: str


@paused_gc()
def drawn_graph(
    outputs: Any,
    show_pruned: bool = False,
    highlight: Any = None,
    max_nodes: int | None = MAX_NODES,
) -> Drawn:
    """The graph a picture of ``outputs`` shows (see :func:`symgrad.draw`)."""
    graph = to_networkx(outputs, show_pruned)
    marked_nodes, marked_edges = highlighted(graph, highlight)
    small, caption = summarize(graph, max_nodes)
    if small is not graph:
        marked_nodes = {n for n in marked_nodes if n in small}
        marked_edges = {e for e in marked_edges if e[0] in small and e[1] in small}
    return _constants_per_use(Drawn(small, marked_nodes, marked_edges, caption))


@paused_gc()
def prepare(
    outputs: Any,
    show_pruned: bool = False,
    highlight: Any = None,
    max_nodes: int | None = MAX_NODES,
) -> scene.Scene:
    """The laid-out scene for a picture of ``outputs``."""
    drawn = drawn_graph(outputs, show_pruned, highlight, max_nodes)
    return scene.build(drawn.graph, (drawn.marked_nodes, drawn.marked_edges), drawn.caption)


def _constants_per_use(drawn: Drawn) -> Drawn:
    graph = drawn.graph
    shared = [
        n
        for n, data in graph.nodes(data=True)
        if data["role"] == "constant" and data["shape"] == () and graph.out_degree(n) > 1
    ]
    if not shared:
        return drawn
    out = graph  # made for this picture: changed in place
    for n in shared:
        data = graph.nodes[n]
        kept = False
        for _, b, key, edge in list(graph.out_edges(n, keys=True, data=True)):
            if edge["index"] < 0:  # a body's result stays inside the body
                kept = True
                continue
            out.remove_edge(n, b, key)
            copy = ("use", n, b, key)
            out.add_node(copy, **{**data, "cluster": graph.nodes[b]["cluster"]})
            out.add_edge(copy, b, key=key, **edge)
            if (n, b, key) in drawn.marked_edges:
                drawn.marked_nodes.add(copy)
                drawn.marked_edges.add((copy, b, key))
        if not kept:
            out.remove_node(n)
            drawn.marked_nodes.discard(n)
    return Drawn(out, drawn.marked_nodes, drawn.marked_edges, drawn.caption)
