"""Large graphs, summarized: the nodes nearest the outputs, and a mark where more begins.

A picture of 10^5 nodes is megabytes of SVG that no one can read. Past ``max_nodes``, a
picture keeps the ``max_nodes`` nodes nearest the outputs (breadth first, against the
edges) and, above each kept node whose inputs are left out, one small "not drawn" box per
missing operand edge. The caption says how many nodes there are and how to draw them all.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from ..core.lazy import lazy_module

if TYPE_CHECKING:
    import networkx as nx
else:
    nx = lazy_module("networkx")


MAX_NODES = 300


def summarize(graph: nx.MultiDiGraph, max_nodes: int | None) -> tuple[nx.MultiDiGraph, str]:
    """``graph`` itself if it has at most ``max_nodes`` nodes (or ``max_nodes`` is None),
    else its part nearest the outputs; and a caption saying what was left out."""
    total = graph.number_of_nodes()
    if max_nodes is None or total <= max_nodes:
        return graph, ""
    if max_nodes < 1:
        raise ValueError(f"max_nodes must be at least 1 or None, got {max_nodes}")
    clusters = graph.graph.get("clusters", {})
    body_nodes: dict[str, list[Any]] = {c: [] for c in clusters}
    for n, c in graph.nodes(data="cluster"):
        if c is not None:
            body_nodes[c].append(n)
    owned: dict[Any, list[str]] = {}
    nested: dict[str, list[str]] = {}
    for c, info in clusters.items():
        owned.setdefault(info["owner"], []).append(c)
        if info["parent"] is not None:
            nested.setdefault(info["parent"], []).append(c)

    top = [n for n, c in graph.nodes(data="cluster") if c is None]
    sinks = [n for n in top if graph.nodes[n]["output"]]
    sinks += [n for n in top if not graph.nodes[n]["output"] and graph.out_degree(n) == 0]
    keep: set[Any] = set()
    keep_clusters: list[str] = []
    queue = deque(sinks)
    seen = set(sinks)
    while queue and len(keep) < max_nodes:
        n = queue.popleft()
        keep.add(n)
        for c in _all_bodies(owned, nested, n):
            if len(keep) + len(body_nodes[c]) <= max_nodes:
                keep_clusters.append(c)
                keep.update(body_nodes[c])
        for m, _, data in graph.in_edges(n, data=True):
            if data["index"] >= 0 and m not in seen and graph.nodes[m]["cluster"] is None:
                seen.add(m)
                queue.append(m)

    small = nx.MultiDiGraph()
    small.graph["clusters"] = {c: clusters[c] for c in keep_clusters}
    small.add_nodes_from((n, graph.nodes[n]) for n in sorted(keep, key=_order))
    stub = 0
    for a, b, key, data in graph.edges(keys=True, data=True):
        if b not in keep:
            continue
        if a in keep:
            small.add_edge(a, b, key=key, **data)
        elif data["index"] >= 0:
            name = ("elided", stub)
            stub += 1
            small.add_node(name, **_elided(graph.nodes[b]["cluster"]))
            small.add_edge(name, b, key=0, **data)
    shown = small.number_of_nodes() - stub
    caption = (
        f"{total:,} nodes; showing the {shown:,} nearest the outputs "
        "(sg.draw(..., max_nodes=None) draws them all)"
    )
    return small, caption


def _all_bodies(owned: dict[Any, list[str]], nested: dict[str, list[str]], n: Any) -> list[str]:
    """The bodies owned by ``n`` and, nested, by the nodes inside them."""
    out, pending = [], list(owned.get(n, ()))
    while pending:
        c = pending.pop()
        out.append(c)
        pending.extend(nested.get(c, ()))
    return out


def _order(n: Any) -> tuple[int, Any]:
    return (0, n) if isinstance(n, int) else (1, str(n))


def _elided(cluster: str | None) -> dict[str, Any]:
    return {
        "op": "elided",
        "label": "…",
        "shape": (),
        "dtype": "not drawn",
        "name": None,
        "role": "elided",
        "pruned": False,
        "output": (),
        "expr": None,
        "cluster": cluster,
    }
