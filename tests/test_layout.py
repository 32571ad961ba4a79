"""symgrad's own layout: no edge runs under a box, clusters never overlap, sizes linear."""

import random

import pytest

import symgrad as sg
from symgrad.draw import sugiyama
from symgrad.draw.picture import prepare

from .picture_graphs import mlp, small, while_cond


def _curve_points(points, steps=24):
    """Points along a route as the SVG draws it: vertical runs, and cubic curves leaving
    and arriving vertically between layers."""
    out = []
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        mid = (y0 + y1) / 2
        for i in range(1, steps):
            t = i / steps
            if abs(x1 - x0) < 0.05:
                out.append((x0, y0 + (y1 - y0) * t))
                continue
            u = 1 - t
            x = u**3 * x0 + 3 * u * u * t * x0 + 3 * u * t * t * x1 + t**3 * x1
            y = u**3 * y0 + 3 * u * u * t * mid + 3 * u * t * t * mid + t**3 * y1
            out.append((x, y))
    return out


def _inside(box, point, margin=0.5):
    x, y = point
    return (
        box.x - box.width / 2 + margin < x < box.x + box.width / 2 - margin
        and box.y - box.height / 2 + margin < y < box.y + box.height / 2 - margin
    )


def _check_scene(scene):
    boxes = {b.node: b for b in scene.boxes}
    for line in scene.lines:
        assert len(line.points) >= 2
        tail, head = boxes[line.tail], boxes[line.head]
        start, end = line.points[0], line.points[-1]
        # The edge leaves the bottom of its tail (or its cluster) and ends on its head's top.
        assert abs(end[1] - (head.y - head.height / 2)) < 0.01
        assert head.x - head.width / 2 <= end[0] <= head.x + head.width / 2
        assert start[1] >= tail.y + tail.height / 2 - 0.01
        for p in _curve_points(line.points):
            crossed = [b.title for b in scene.boxes if _inside(b, p)]
            assert not crossed, f"edge {tail.title} -> {head.title} crosses {crossed} at {p}"
    frames = {f.cluster: f for f in scene.frames}
    members = {}
    for b in scene.boxes:
        members[b.node] = b
    # Clusters: disjoint or nested, never partly overlapping; no outside node inside one.
    for a in scene.frames:
        for b in scene.frames:
            if a is b:
                continue
            overlap_x = min(a.x1, b.x1) - max(a.x0, b.x0)
            overlap_y = min(a.y1, b.y1) - max(a.y0, b.y0)
            if overlap_x > 0 and overlap_y > 0:
                a_in_b = a.x0 >= b.x0 and a.x1 <= b.x1 and a.y0 >= b.y0 and a.y1 <= b.y1
                b_in_a = b.x0 >= a.x0 and b.x1 <= a.x1 and b.y0 >= a.y0 and b.y1 <= a.y1
                assert a_in_b or b_in_a, f"clusters {a.label} and {b.label} overlap"
    return frames


@pytest.mark.parametrize("make", [small, mlp, while_cond])
@pytest.mark.parametrize("which", ["forward", "gradient"])
def test_no_edge_crosses_a_box_and_clusters_do_not_overlap(make, which):
    wrt, y, g = make()
    variable = wrt[0] if isinstance(wrt, tuple) else wrt
    out = y if which == "forward" else g
    scene = prepare(out, show_pruned=which == "gradient", highlight=variable)
    _check_scene(scene)


def test_body_nodes_sit_inside_their_cluster_and_others_outside():
    a, c, g = while_cond()
    scene = prepare(g, show_pruned=True)
    graph = sg.to_networkx(g, show_pruned=True)
    clusters = graph.graph["clusters"]
    frames = {f.cluster: f for f in scene.frames}
    assert set(frames) == set(clusters) and len(frames) == 7
    for box in scene.boxes:
        cluster = (
            graph.nodes[box.node[1]]["cluster"]
            if isinstance(box.node, tuple)
            else (graph.nodes[box.node]["cluster"])
        )
        inside = set()
        c = cluster
        while c is not None:
            inside.add(c)
            c = clusters[c]["parent"]
        for name, f in frames.items():
            within = f.x0 < box.x < f.x1 and f.y0 < box.y < f.y1
            assert within == (name in inside), (box.title, f.label)


def _random_dag(rng, n):
    edges = []
    for v in range(1, n):
        for _ in range(rng.randint(1, 3)):
            u = rng.randrange(max(0, v - rng.choice([2, 5, 30])), v)
            edges.append(sugiyama.Edge(u, v, 0.0, float(len(edges) % 3)))
    sizes = [(rng.uniform(30, 160), 34.0) for _ in range(n)]
    return sugiyama.Level(sizes, edges)


@pytest.mark.parametrize("seed", range(6))
def test_random_graphs_route_around_every_box(seed):
    rng = random.Random(seed)
    level = _random_dag(rng, rng.randint(5, 80))
    placed = sugiyama.lay_out(level)
    for e, route in zip(level.edges, placed.routes):
        for p in _curve_points(route):
            for v, (w, h) in enumerate(level.sizes):
                x, y = placed.x[v], placed.y[v]
                assert not (
                    x - w / 2 + 0.5 < p[0] < x + w / 2 - 0.5
                    and y - h / 2 + 0.5 < p[1] < y + h / 2 - 0.5
                ), f"edge {e.tail}->{e.head} crosses node {v}"
    # Boxes in one layer never overlap.
    by_y = {}
    for v, (w, _) in enumerate(level.sizes):
        by_y.setdefault(round(placed.y[v], 3), []).append(
            (placed.x[v] - w / 2, placed.x[v] + w / 2)
        )
    for spans in by_y.values():
        spans.sort()
        for (_, right), (left, _) in zip(spans, spans[1:]):
            assert left >= right - 1e-6


def _chain_level(n):
    """A chain whose every node is also read by a node far below: many long edges."""
    edges = [sugiyama.Edge(v - 1, v) for v in range(1, n)]
    edges += [sugiyama.Edge(v, n - 1 - v) for v in range(n // 2 - 1)]
    return sugiyama.Level([(60.0, 34.0)] * n, edges)


def test_dummy_nodes_stay_linear_in_the_graph():
    """Long edges of a gradient-like graph would need quadratically many dummies; past a
    linear budget the longest run in lanes instead."""
    counts = []
    for n in (2000, 20000):
        level = _chain_level(n)
        layer = sugiyama._layers(level)
        virtual = sugiyama._Virtual(level, layer)
        counts.append(len(virtual.layer))
        assert len(virtual.layer) <= n + len(level.edges) + sugiyama.DUMMY_BUDGET + n
        assert virtual.lane_edges  # the longest edges went to lanes
    assert counts[1] <= 11 * counts[0]


def test_operands_in_argument_order_when_free():
    a, b = sg.var("a"), sg.var("b")
    for expr, first in ((a - b, "a"), (b - a, "b")):
        scene = prepare(expr)
        boxes = {box.title: box for box in scene.boxes}
        assert boxes[first].x < boxes["b" if first == "a" else "a"].x
