"""What a picture shows, laid out: boxes, clusters, edges with their styles, a legend.

Built from the graph of :mod:`.graph` and the layout of :mod:`.layout`; written out by
:mod:`.svg` (and so as PNG) and used by the explorer page. Knows no file format.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from ..core.lazy import lazy_module
from .graph import describe
from .layout import CLUSTER_LABEL, Cluster, LayoutEdge, lay_out
from .sugiyama import Point
from .text import width

if TYPE_CHECKING:
    import networkx as nx
else:
    nx = lazy_module("networkx")

TITLE_SIZE = 11.0
DETAIL_SIZE = 9.0
NODE_HEIGHT = 34.0
MARGIN = 16.0
LEGEND_HEIGHT = 30.0
CAPTION_HEIGHT = 18.0

STYLES = {  # fill, stroke, corner radius (None: half the height, an oval)
    "input": ("#cfe2ff", "#1f4e9a", None),
    "parameter": ("#efe2f7", "#7b3fa0", None),
    "constant": ("#eeeeee", "#888888", 2.0),
    "forward": ("#ffffff", "#333333", 7.0),
    "gradient": ("#ffe0b8", "#c25e00", 7.0),
    "elided": ("#ffffff", "#999999", 7.0),
}
LEGEND_TEXT = {
    "input": "input",
    "parameter": "body parameter",
    "constant": "constant",
    "forward": "forward",
    "gradient": "gradient",
    "elided": "not drawn",
}
PRUNED = ("#ffffff", "#aaaaaa")
RED = "#d62728"
EDGE = "#555555"
BODY_EDGE = "#7b3fa0"
PRUNED_EDGE = "#bbbbbb"


@dataclasses.dataclass
class Box:
    node: Hashable
    x: float  # centre
    y: float
    width: float
    height: float
    title: str
    detail: str
    role: str
    fill: str
    stroke: str
    radius: float
    stroke_width: float
    dashed: bool
    ink: str
    output: bool
    tooltip: str
    pruned: bool


@dataclasses.dataclass
class Line:
    tail: Hashable
    head: Hashable
    key: int
    points: list[Point]
    colour: str
    width: float
    dashed: bool
    label: str  # the operand position where order matters, else ""


@dataclasses.dataclass
class Frame:
    cluster: str
    x0: float
    y0: float
    x1: float
    y1: float
    label: str
    owner: Hashable  # the node that runs the body
    pruned: bool


@dataclasses.dataclass
class Scene:
    width: float
    height: float
    offset: tuple[float, float]  # where the layout's origin is in the picture
    boxes: list[Box]
    lines: list[Line]
    frames: list[Frame]
    legend: list[tuple[str, str, str, float | None, bool]]  # text, fill, stroke, radius, dashed
    caption: str
    legend_notes: list[str]


def build(
    graph: nx.MultiDiGraph,
    highlight: tuple[set[Any], set[Any]] = (set(), set()),
    caption: str = "",
) -> Scene:
    """Lay ``graph`` out and style every part; ``highlight`` is (nodes, edges) to mark."""
    marked_nodes, marked_edges = highlight
    sizes: dict[Hashable, tuple[float, float]] = {}
    texts: dict[Hashable, tuple[str, str]] = {}
    for n, data in graph.nodes(data=True):
        title, detail = describe(data)
        texts[n] = (title, detail)
        w = max(width(title, TITLE_SIZE), width(detail, DETAIL_SIZE)) + 20.0
        sizes[n] = (max(w, 40.0), NODE_HEIGHT)
    clusters_info = graph.graph.get("clusters", {})
    clusters = {
        c: Cluster(info["parent"], width(info["label"], DETAIL_SIZE) + 8.0)
        for c, info in clusters_info.items()
    }
    edges = list(graph.edges(keys=True, data=True))
    layout_edges = [
        LayoutEdge(
            a,
            b,
            1000.0 + d.get("result", 0) if d["index"] < 0 else float(d["index"]),
            d["index"] < 0,
        )
        for a, b, _, d in edges
    ]
    cluster_of = dict(graph.nodes(data="cluster"))
    geometry = lay_out(sizes, cluster_of, clusters, layout_edges)

    top = MARGIN + LEGEND_HEIGHT + (CAPTION_HEIGHT if caption else 0.0)
    boxes = []
    for n, data in graph.nodes(data=True):
        x, y, w, h = geometry.boxes[n]
        title, detail = texts[n]
        fill, stroke, radius = STYLES[data["role"]]
        stroke_width, dashed, ink = 1.2, data["role"] == "elided", "#111111"
        if data["pruned"]:
            fill, stroke = PRUNED
            dashed, ink = True, "#999999"
        if n in marked_nodes:
            stroke, stroke_width = RED, 2.5
        tooltip = f"{data['label']} {detail} ({data['role']}{', pruned' if data['pruned'] else ''})"
        boxes.append(
            Box(
                n,
                x,
                y,
                w,
                h,
                title,
                detail,
                data["role"],
                fill,
                stroke,
                h / 2 if radius is None else radius,
                stroke_width,
                dashed,
                ink,
                bool(data["output"]),
                tooltip,
                data["pruned"],
            )
        )
    lines = []
    for (a, b, key, d), route in zip(edges, geometry.routes):
        colour, line_width, dashed = EDGE, 1.1, False
        if d["index"] < 0:
            colour, dashed = BODY_EDGE, True
        if (
            graph.nodes[a]["pruned"]
            or graph.nodes[b]["pruned"]
            or graph.nodes[a]["role"] == "elided"
        ):
            colour, dashed = PRUNED_EDGE, True
        if (a, b, key) in marked_edges:
            colour, line_width = RED, 2.2
        label = ""
        if d["index"] >= 0 and order_matters(graph, b):
            label = str(d["index"])
        lines.append(Line(a, b, key, route, colour, line_width, dashed, label))
    frames = [
        Frame(
            c,
            x0,
            y0,
            x1,
            y1,
            clusters_info[c]["label"],
            clusters_info[c]["owner"],
            graph.nodes[clusters_info[c]["owner"]]["pruned"],
        )
        for c, (x0, y0, x1, y1) in geometry.clusters.items()
    ]
    roles = {data["role"] for _, data in graph.nodes(data=True)}
    legend = [
        (LEGEND_TEXT[r], STYLES[r][0], STYLES[r][1], STYLES[r][2], r == "elided")
        for r in STYLES
        if r in roles
    ]
    if any(data["pruned"] for _, data in graph.nodes(data=True)):
        legend.append(("pruned", PRUNED[0], PRUNED[1], 7.0, True))
    notes = []
    if any(line.label for line in lines):
        notes.append("0, 1, …: operand position")
    if marked_nodes:
        notes.append("red: carries the derivative")
    legend_width = _legend_width(legend, notes)
    width_ = max(
        geometry.width + 2 * MARGIN, legend_width + 2 * MARGIN, width(caption, 10) + 2 * MARGIN
    )
    height = top + geometry.height + MARGIN
    return Scene(width_, height, (MARGIN, top), boxes, lines, frames, legend, caption, notes)


def order_matters(graph: nx.MultiDiGraph, node: Hashable) -> bool:
    expr = graph.nodes[node].get("expr")
    if expr is None or getattr(expr.op, "commutative", False):
        return False
    return sum(1 for _, _, i in graph.in_edges(node, data="index") if i >= 0) > 1


LEGEND_ITEM_GAP = 8.0


def legend_items(scene: Scene) -> list[tuple[float, float, str, str, str, float | None, bool]]:
    """Each legend swatch as (x, width, text, fill, stroke, radius, dashed)."""
    out, x = [], MARGIN
    for text, fill, stroke, radius, dashed in scene.legend:
        w = width(text, 10) + 16.0
        out.append((x, w, text, fill, stroke, radius, dashed))
        x += w + LEGEND_ITEM_GAP
    return out


def _legend_width(legend: list[Any], notes: list[str]) -> float:
    total = sum(width(t[0], 10) + 16.0 + LEGEND_ITEM_GAP for t in legend)
    return total + sum(width(n, 9.5) + 14.0 for n in notes)


__all__ = ["Box", "Frame", "Line", "Scene", "build", "legend_items", "CLUSTER_LABEL"]
