"""Graphviz DOT text for a graph. Every label is escaped: no name can break the syntax."""

from __future__ import annotations

from typing import Any

import networkx as nx

from .graph import describe, to_networkx

STYLE = {
    "input": 'shape=ellipse, style=filled, fillcolor="#cfe2ff", color="#1f4e9a"',
    "constant": 'shape=box, style="filled", fillcolor="#eeeeee", color="#888888"',
    "forward": 'shape=box, style="rounded,filled", fillcolor="#ffffff", color="#333333"',
    "gradient": 'shape=box, style="rounded,filled", fillcolor="#ffe0b8", color="#c25e00"',
}
PRUNED = 'style="dashed,rounded", color="#aaaaaa", fontcolor="#999999", fillcolor="#ffffff"'
HIGHLIGHT = 'penwidth=3, color="#d62728"'


def quote(text: str) -> str:
    """A DOT quoted string holding ``text`` verbatim."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\r", "\\r").replace("\n", "\\n")
    return f'"{escaped}"'


def highlighted_path(graph: nx.DiGraph, highlight: Any) -> set[int]:
    """Nodes on a path from the variable ``highlight`` to an output: where its derivative
    flows."""
    if highlight is None:
        return set()
    sources = [n for n, d in graph.nodes(data=True) if d["expr"] is highlight]
    if not sources:
        raise ValueError(f"highlight: {highlight!r} is not in the graph")
    outputs = [n for n, d in graph.nodes(data=True) if d["output"]]
    reach = nx.descendants(graph, sources[0]) | {sources[0]}
    back = set().union(*(nx.ancestors(graph, o) | {o} for o in outputs)) if outputs else set()
    return reach & back


def to_dot(outputs: Any, show_pruned: bool = False, highlight: Any = None, title: str = "") -> str:
    """The graph as Graphviz DOT text: top to bottom, op and shape on each node, inputs,
    constants, forward and gradient nodes in distinct colours and shapes, with a legend.

    ``show_pruned`` adds, greyed and dashed, the nodes the outputs do not need; ``highlight``
    (a variable) marks in red the path along which its derivative flows.

    >>> import symgrad as sg
    >>> x = sg.var("x")
    >>> print(sg.to_dot(sg.sin(x)).splitlines()[0])
    digraph symgrad {
    """
    graph = to_networkx(outputs, show_pruned)
    path = highlighted_path(graph, highlight)
    lines = [
        "digraph symgrad {",
        "  rankdir=TB;",
        '  node [fontname="Helvetica", fontsize=11];',
        '  edge [color="#555555", arrowsize=0.7];',
    ]
    if title:
        lines.append(f"  label={quote(title)}; labelloc=t;")
    members: dict[str | None, list[str]] = {}
    for n, data in graph.nodes(data=True):
        name, detail = describe(data)
        style = PRUNED if data["pruned"] else STYLE[data["role"]]
        extra = f", {HIGHLIGHT}" if n in path else ""
        if data["output"]:
            extra += ", peripheries=2"
        members.setdefault(data["cluster"], []).append(
            f"n{n} [label={quote(name + chr(10) + detail)}, {style}{extra}];"
        )
    lines += _clusters(graph.graph.get("clusters", {}), members)
    for a, b, index in graph.edges(data="index"):
        attrs = ['style=dashed, color="#7b3fa0"'] if index == -1 else []
        if a in path and b in path:
            attrs.append('color="#d62728", penwidth=2')
        if graph.nodes[a]["pruned"] or graph.nodes[b]["pruned"]:
            attrs.append('style=dashed, color="#bbbbbb"')
        lines.append(f"  n{a} -> n{b}" + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
    lines += _legend(show_pruned)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _clusters(clusters: dict[str, Any], members: dict[str | None, list[str]]) -> list[str]:
    """Node statements, those of branch and loop bodies inside nested ``cluster`` subgraphs."""
    children: dict[str | None, list[str]] = {}
    for cluster, info in clusters.items():
        children.setdefault(info["parent"], []).append(cluster)
    lines: list[str] = []
    # Iterative depth-first walk: ("open", cluster, depth) then its contents, then "close".
    stack: list[tuple[str, str | None, int]] = [("contents", None, 1)]
    while stack:
        kind, cluster, depth = stack.pop()
        pad = "  " * depth
        if kind == "close":
            lines.append(pad + "}")
            continue
        if kind == "open":
            label = quote(clusters[cluster]["label"])
            lines.append(f"{pad}subgraph cluster_{cluster} {{")
            lines.append(f'{pad}  label={label}; style="rounded,dashed"; color="#7b3fa0";')
            stack.append(("close", cluster, depth))
            stack.append(("contents", cluster, depth + 1))
            continue
        lines += [pad + statement for statement in members.get(cluster, [])]
        for child in reversed(children.get(cluster, [])):
            stack.append(("open", child, depth))
    return lines


def _legend(show_pruned: bool) -> list[str]:
    entries = [
        ("input", "input"),
        ("constant", "constant"),
        ("forward", "forward"),
        ("gradient", "gradient"),
    ]
    lines = ["  subgraph cluster_legend {", '    label="legend"; fontsize=10; color="#cccccc";']
    for i, (role, text) in enumerate(entries):
        lines.append(f"    legend{i} [label={quote(text)}, {STYLE[role]}];")
    if show_pruned:
        lines.append(f'    legend_pruned [label="pruned", shape=box, {PRUNED}];')
    lines.append("  }")
    return lines
