"""Layout of a graph with nested clusters (branch and loop bodies), without Graphviz.

A body is closed: its only edges to the outside run from its results to the op that runs
it. So each cluster is laid out on its own (innermost first, see :mod:`.sugiyama`), with an
exit at its bottom edge for each result, and then stands in the enclosing layout as one
box the size of its picture. Clusters therefore never overlap each other or a node, and
the edge from a result leaves its cluster through the bottom, right above the op.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Sequence

from . import sugiyama
from .sugiyama import Point

CLUSTER_PAD = 10.0
CLUSTER_LABEL = 16.0  # height of a cluster's title strip


@dataclasses.dataclass
class Cluster:
    parent: str | None
    label_width: float


@dataclasses.dataclass
class LayoutEdge:
    tail: Hashable
    head: Hashable
    order: float  # operand position at the head (body results after the operands)
    body_result: bool = False


@dataclasses.dataclass
class Geometry:
    """Node centres and sizes, cluster rectangles (x0, y0, x1, y1), and for each edge its
    route of points from the tail's bottom to the head's top."""

    boxes: dict[Hashable, tuple[float, float, float, float]]
    clusters: dict[str, tuple[float, float, float, float]]
    routes: list[list[Point]]
    width: float
    height: float


def lay_out(
    sizes: dict[Hashable, tuple[float, float]],
    cluster_of: dict[Hashable, str | None],
    clusters: dict[str, Cluster],
    edges: Sequence[LayoutEdge],
) -> Geometry:
    """Positions for ``sizes``' nodes (keys in a stable order) with origin (0, 0)."""
    depth = {}
    for c in clusters:  # depth by walking up: nesting is shallow, parents are known
        d, up = 0, clusters[c].parent
        while up is not None:
            d, up = d + 1, clusters[up].parent
        depth[c] = d
    members: dict[str | None, list[Hashable]] = {None: []}
    for c in clusters:
        members[c] = []
    for n in sizes:
        members[cluster_of[n]].append(n)
    children: dict[str | None, list[str]] = {c: [] for c in members}
    for c in clusters:
        children[clusters[c].parent].append(c)
    # Edges by the level they are laid out in; a body result's edge in two halves.
    level_edges: dict[str | None, list[tuple[int, int]]] = {c: [] for c in members}
    for i, e in enumerate(edges):
        inner = cluster_of[e.tail]
        if e.body_result:
            if inner is None:
                raise ValueError(f"edge {i} is a body result but its tail is in no cluster")
            level_edges[inner].append((i, 0))  # result -> exit
            level_edges[clusters[inner].parent].append((i, 1))  # cluster -> owner
        else:
            level_edges[inner].append((i, 0))

    placed: dict[str | None, _Placed] = {}
    for level in sorted(members, key=lambda c: -1 if c is None else depth[c], reverse=True):
        placed[level] = _lay_out_level(
            level,
            members[level],
            children[level],
            level_edges[level],
            edges,
            sizes,
            cluster_of,
            clusters,
            placed,
        )

    # Absolute positions, outermost level first.
    boxes: dict[Hashable, tuple[float, float, float, float]] = {}
    rects: dict[str, tuple[float, float, float, float]] = {}
    origin: dict[str | None, tuple[float, float]] = {None: (0.0, 0.0)}
    halves: dict[tuple[int, int], list[Point]] = {}
    for level in sorted(members, key=lambda c: -1 if c is None else depth[c]):
        ox, oy = origin[level]
        p = placed[level]
        for n, (x, y) in p.centres.items():
            w, h = sizes[n]
            boxes[n] = (x + ox, y + oy, w, h)
        for c, (x, y) in p.cluster_centres.items():
            w, h = placed[c].width, placed[c].height
            x0, y0 = x + ox - w / 2, y + oy - h / 2
            rects[c] = (x0, y0, x0 + w, y0 + h)
            origin[c] = (x0 + CLUSTER_PAD, y0 + CLUSTER_LABEL + CLUSTER_PAD)
        for key, route in p.routes.items():
            halves[key] = route if level is None else [(x + ox, y + oy) for x, y in route]
    routes = []
    for i, e in enumerate(edges):
        route = halves[(i, 0)]
        if e.body_result:
            route = route + halves[(i, 1)][1:]
        routes.append(route)
    top = placed[None]
    return Geometry(boxes, rects, routes, top.width, top.height)


def _child_holding(level: str | None, cluster: str | None, clusters: dict[str, Cluster]) -> str:
    """The cluster directly inside ``level`` that is ``cluster`` or holds it."""
    while cluster is not None:
        parent = clusters[cluster].parent
        if parent == level:
            return cluster
        cluster = parent
    raise ValueError(f"a body result's edge leaves no cluster inside {level!r}")


@dataclasses.dataclass
class _Placed:
    centres: dict[Hashable, Point]
    cluster_centres: dict[str, Point]
    routes: dict[tuple[int, int], list[Point]]
    width: float  # for a cluster: its whole rectangle
    height: float
    exits: dict[int, float]  # for a cluster: edge index -> x of its exit, from the left


def _lay_out_level(
    level: str | None,
    nodes: list[Hashable],
    subclusters: list[str],
    halves: list[tuple[int, int]],
    edges: Sequence[LayoutEdge],
    sizes: dict[Hashable, tuple[float, float]],
    cluster_of: dict[Hashable, str | None],
    clusters: dict[str, Cluster],
    placed: dict[str | None, _Placed],
) -> _Placed:
    index: dict[Hashable, int] = {}
    level_sizes: list[tuple[float, float]] = []
    for n in nodes:
        index[n] = len(level_sizes)
        level_sizes.append(sizes[n])
    cluster_index: dict[str, int] = {}
    for c in subclusters:
        cluster_index[c] = len(level_sizes)
        level_sizes.append((placed[c].width, placed[c].height))
    layout_edges: list[sugiyama.Edge] = []
    last: set[int] = set()
    for i, half in halves:
        e = edges[i]
        if half == 0 and e.body_result:  # the result to an exit of this cluster
            exit_node = len(level_sizes)
            level_sizes.append((0.0, 0.0))
            last.add(exit_node)
            layout_edges.append(sugiyama.Edge(index[e.tail], exit_node))
        elif half == 1:  # from the cluster's exit to the owner
            c = _child_holding(level, cluster_of[e.tail], clusters)
            box = placed[c]
            layout_edges.append(
                sugiyama.Edge(
                    cluster_index[c], index[e.head], box.exits[i] - box.width / 2, e.order
                )
            )
        else:
            layout_edges.append(sugiyama.Edge(index[e.tail], index[e.head], 0.0, e.order))
    result = sugiyama.lay_out(sugiyama.Level(level_sizes, layout_edges, last))
    centres = {n: (result.x[index[n]], result.y[index[n]]) for n in nodes}
    cluster_centres = {
        c: (result.x[cluster_index[c]], result.y[cluster_index[c]]) for c in subclusters
    }
    routes = {half: route for half, route in zip(halves, result.routes)}
    if level is None:
        return _Placed(centres, cluster_centres, routes, result.width, result.height, {})
    width = max(result.width, clusters[level].label_width) + 2 * CLUSTER_PAD
    shift = (width - 2 * CLUSTER_PAD - result.width) / 2  # centre narrow contents
    if shift:
        centres = {n: (x + shift, y) for n, (x, y) in centres.items()}
        cluster_centres = {c: (x + shift, y) for c, (x, y) in cluster_centres.items()}
        routes = {k: [(x + shift, y) for x, y in r] for k, r in routes.items()}
    exits = {
        i: routes[(i, 0)][-1][0] + CLUSTER_PAD
        for i, half in halves
        if half == 0 and edges[i].body_result
    }
    height = CLUSTER_LABEL + CLUSTER_PAD + result.height
    return _Placed(centres, cluster_centres, routes, width, height, exits)
