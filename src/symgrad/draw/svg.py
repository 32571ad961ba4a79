"""SVG pictures drawn by symgrad itself (no Graphviz needed)."""

from __future__ import annotations

import html
import re
from typing import Any

from .dot import highlighted_path
from .graph import to_networkx
from .layout import Layout, layered_layout

COLOURS = {  # fill, stroke
    "input": ("#cfe2ff", "#1f4e9a"),
    "constant": ("#eeeeee", "#888888"),
    "forward": ("#ffffff", "#333333"),
    "gradient": ("#ffe0b8", "#c25e00"),
}
LEGEND_HEIGHT = 34.0
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text(value: str) -> str:
    """``value`` safe inside SVG text: XML-escaped, control characters shown as \\xNN."""
    visible = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    return html.escape(visible, quote=True)


def to_svg(outputs: Any, show_pruned: bool = False, highlight: Any = None) -> str:
    """An SVG picture of the graph, laid out top to bottom, with a legend."""
    graph = to_networkx(outputs, show_pruned)
    path = highlighted_path(graph, highlight)
    layout = layered_layout(graph, top=LEGEND_HEIGHT)
    width = max(layout.width, 460.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" '
        f'height="{layout.height:.0f}" viewBox="0 0 {width:.0f} {layout.height:.0f}" '
        'font-family="Helvetica, Arial, sans-serif" font-size="11">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#555555"/></marker></defs>',
        f'<rect width="{width:.0f}" height="{layout.height:.0f}" fill="white"/>',
    ]
    parts += _legend(show_pruned)
    parts += _clusters(graph, layout)
    parts += _edges(graph, layout, path)
    parts += _nodes(graph, layout, path)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _edges(graph: Any, layout: Layout, path: set[int]) -> list[str]:
    out = []
    for a, b in graph.edges:
        s, t = layout.boxes[a], layout.boxes[b]
        x1, y1, x2, y2 = s.x, s.y + s.height / 2, t.x, t.y - t.height / 2
        mid = (y1 + y2) / 2
        colour, width, dash = "#555555", 1.0, ""
        if a in path and b in path:
            colour, width = "#d62728", 2.5
        if graph.nodes[a]["pruned"] or graph.nodes[b]["pruned"]:
            colour, dash = "#bbbbbb", ' stroke-dasharray="4 3"'
        out.append(
            f'<path d="M {x1:.1f} {y1:.1f} C {x1:.1f} {mid:.1f} {x2:.1f} {mid:.1f} '
            f'{x2:.1f} {y2:.1f}" fill="none" stroke="{colour}" stroke-width="{width}"'
            f'{dash} marker-end="url(#arrow)"/>'
        )
    return out


def _clusters(graph: Any, layout: Layout) -> list[str]:
    """A dashed frame around the nodes of each branch or loop body (nested bodies inside)."""
    clusters = graph.graph.get("clusters", {})
    bounds: dict[str, list[float]] = {}
    for n, cluster in graph.nodes(data="cluster"):
        box = layout.boxes[n]
        while cluster is not None:  # a node lies in its cluster and every enclosing one
            b = bounds.setdefault(
                cluster, [float("inf"), float("inf"), -float("inf"), -float("inf")]
            )
            b[0] = min(b[0], box.x - box.width / 2)
            b[1] = min(b[1], box.y - box.height / 2)
            b[2] = max(b[2], box.x + box.width / 2)
            b[3] = max(b[3], box.y + box.height / 2)
            cluster = clusters[cluster]["parent"]
    out = []
    for cluster, (x0, y0, x1, y1) in bounds.items():
        depth, parent = 0, clusters[cluster]["parent"]
        while parent is not None:
            depth, parent = depth + 1, clusters[parent]["parent"]
        pad = 12.0 - 3 * min(depth, 3)
        out.append(
            f'<g class="cluster"><rect x="{x0 - pad:.1f}" y="{y0 - pad - 10:.1f}" '
            f'width="{x1 - x0 + 2 * pad:.1f}" height="{y1 - y0 + 2 * pad + 10:.1f}" rx="8" '
            'fill="none" stroke="#7b3fa0" stroke-dasharray="5 3"/>'
            f'<text x="{x0 - pad + 4:.1f}" y="{y0 - pad:.1f}" fill="#7b3fa0" font-size="9">'
            f"{text(clusters[cluster]['label'])}</text></g>"
        )
    return out


def _nodes(graph: Any, layout: Layout, path: set[int]) -> list[str]:
    out = []
    for n, data in graph.nodes(data=True):
        box = layout.boxes[n]
        fill, stroke = COLOURS[data["role"]]
        width, dash, ink = 1.2, "", "#111111"
        if data["pruned"]:
            fill, stroke, dash, ink = "#ffffff", "#aaaaaa", ' stroke-dasharray="4 3"', "#999999"
        if n in path:
            stroke, width = "#d62728", 2.5
        if data["output"]:
            width += 1.3
        x, y = box.x - box.width / 2, box.y - box.height / 2
        rx = box.height / 2 if data["role"] == "input" else (2 if data["role"] == "constant" else 7)
        tooltip = text(
            f"{data['label']} {box.detail} ({data['role']}{', pruned' if data['pruned'] else ''})"
        )
        out.append(
            f'<g class="node {data["role"]}"><title>{tooltip}</title>'
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{box.width:.1f}" '
            f'height="{box.height:.1f}" rx="{rx}" fill="{fill}" stroke="{stroke}" '
            f'stroke-width="{width}"{dash}/>'
            f'<text x="{box.x:.1f}" y="{box.y - 3:.1f}" text-anchor="middle" '
            f'fill="{ink}">{text(box.title)}</text>'
            f'<text x="{box.x:.1f}" y="{box.y + 10:.1f}" text-anchor="middle" '
            f'fill="#666666" font-size="9">{text(box.detail)}</text></g>'
        )
    return out


def _legend(show_pruned: bool) -> list[str]:
    out, x = [], 10.0
    entries = [*COLOURS, "pruned"] if show_pruned else list(COLOURS)
    for role in entries:
        fill, stroke = COLOURS.get(role, ("#ffffff", "#aaaaaa"))
        dash = ' stroke-dasharray="4 3"' if role == "pruned" else ""
        out.append(
            f'<rect x="{x}" y="8" width="78" height="18" rx="4" fill="{fill}" '
            f'stroke="{stroke}"{dash}/><text x="{x + 39}" y="21" text-anchor="middle" '
            f'font-size="10">{role}</text>'
        )
        x += 86
    return out
