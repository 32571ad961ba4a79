"""Graphviz DOT text for a graph. Every label is escaped: no name can break the syntax."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core.lazy import lazy_module
from .graph import describe
from .picture import drawn_graph
from .scene import LEGEND_TEXT, PRUNED, RED, STYLES, order_matters
from .summary import MAX_NODES
from .text import visible

if TYPE_CHECKING:
    import networkx as nx
else:
    nx = lazy_module("networkx")

SHAPES = {
    "input": "shape=ellipse, style=filled",
    "parameter": "shape=ellipse, style=filled",
    "constant": 'shape=box, style="filled"',
    "forward": 'shape=box, style="rounded,filled"',
    "gradient": 'shape=box, style="rounded,filled"',
    "elided": 'shape=box, style="rounded,dashed,filled"',
}
PRUNED_STYLE = (
    f'shape=box, style="dashed,rounded,filled", color="{PRUNED[1]}", fontcolor="#999999", '
    f'fillcolor="{PRUNED[0]}"'
)


def _style(role: str) -> str:
    fill, stroke, _ = STYLES[role]
    return f'{SHAPES[role]}, fillcolor="{fill}", color="{stroke}"'


def quote(text: str) -> str:
    """A DOT quoted string holding ``text`` (control characters and lone surrogates shown
    as escapes, so the text always encodes)."""
    escaped = visible(text).replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\r", "\\r").replace("\n", "\\n")
    return f'"{escaped}"'


def to_dot(
    outputs: Any,
    show_pruned: bool = False,
    highlight: Any = None,
    title: str = "",
    max_nodes: int | None = MAX_NODES,
) -> str:
    """The graph as Graphviz DOT text: top to bottom, op and shape on each node, inputs,
    body parameters, constants, forward and gradient nodes in distinct colours and shapes,
    one edge per operand (labelled with its position where the order matters), and a
    legend.

    ``show_pruned`` adds, greyed and dashed, the nodes the outputs do not need; ``highlight``
    (a variable) marks in red the nodes and edges that carry its derivative. Graphs of more
    than ``max_nodes`` nodes show the part nearest the outputs (``None``: all).

    >>> import symgrad as sg
    >>> x = sg.var("x")
    >>> print(sg.to_dot(sg.sin(x)).splitlines()[0])
    digraph symgrad {
    """
    drawn = drawn_graph(outputs, show_pruned, highlight, max_nodes)
    graph, caption = drawn.graph, drawn.caption
    marked_nodes, marked_edges = drawn.marked_nodes, drawn.marked_edges
    lines = [
        "digraph symgrad {",
        "  rankdir=TB;",
        '  node [fontname="Helvetica", fontsize=11];',
        '  edge [color="#555555", arrowsize=0.7, fontname="Helvetica", fontsize=9];',
    ]
    label = "\n".join(t for t in (title, caption) if t)
    if label:
        lines.append(f"  label={quote(label)}; labelloc=t;")
    ids = {n: f"n{i}" for i, n in enumerate(graph.nodes)}
    members: dict[str | None, list[str]] = {}
    for n, data in graph.nodes(data=True):
        name, detail = describe(data)
        style = PRUNED_STYLE if data["pruned"] else _style(data["role"])
        extra = f', penwidth=2.5, color="{RED}"' if n in marked_nodes else ""
        if data["output"]:
            extra += ", peripheries=2"
        members.setdefault(data["cluster"], []).append(
            f"{ids[n]} [label={quote(name + chr(10) + detail)}, {style}{extra}];"
        )
    lines += _clusters(graph.graph.get("clusters", {}), members)
    for a, b, key, index in graph.edges(keys=True, data="index"):
        attrs = ['style=dashed, color="#7b3fa0"'] if index < 0 else []
        if (
            graph.nodes[a]["pruned"]
            or graph.nodes[b]["pruned"]
            or graph.nodes[a]["role"] == "elided"
        ):
            attrs.append('style=dashed, color="#bbbbbb"')
        if (a, b, key) in marked_edges:
            attrs.append(f'color="{RED}", penwidth=2')
        if index >= 0 and order_matters(graph, b):
            attrs.append(f'headlabel="{index}", labeldistance=1.4')
        lines.append(f"  {ids[a]} -> {ids[b]}" + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
    lines += _legend(graph)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _clusters(clusters: dict[str, Any], members: dict[str | None, list[str]]) -> list[str]:
    """Node statements, those of branch and loop bodies inside nested ``cluster`` subgraphs."""
    children: dict[str | None, list[str]] = {}
    for name, info in clusters.items():
        children.setdefault(info["parent"], []).append(name)
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
            assert cluster is not None  # opened are only children, never the top level
            label = quote(clusters[cluster]["label"])
            lines.append(f"{pad}subgraph cluster_{cluster} {{")
            lines.append(
                f'{pad}  label={label}; style="rounded,dashed,filled"; color="#7b3fa0"; '
                'fillcolor="#faf6fc"; fontname="Helvetica"; fontsize=10; fontcolor="#7b3fa0";'
            )
            stack.append(("close", cluster, depth))
            stack.append(("contents", cluster, depth + 1))
            continue
        lines += [pad + statement for statement in members.get(cluster, [])]
        for child in reversed(children.get(cluster, [])):
            stack.append(("open", child, depth))
    return lines


def _legend(graph: nx.MultiDiGraph) -> list[str]:
    """One node holding a table of the roles drawn (a node, not a cluster: the clusters
    of a picture are its branch and loop bodies)."""
    roles = {r for _, r in graph.nodes(data="role")}
    cells = []
    for role, (fill, stroke, _) in STYLES.items():
        if role in roles:
            cells.append(
                f'<TD BGCOLOR="{fill}" COLOR="{stroke}" BORDER="1">{LEGEND_TEXT[role]}</TD>'
            )
    if any(p for _, p in graph.nodes(data="pruned")):
        cells.append(f'<TD BGCOLOR="{PRUNED[0]}" COLOR="{PRUNED[1]}" BORDER="1">pruned</TD>')
    table = f'<<TABLE BORDER="0" CELLSPACING="4"><TR>{"".join(cells)}</TR></TABLE>>'
    return [f"  legend [shape=plaintext, fontsize=10, label={table}];"]
