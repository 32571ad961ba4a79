"""A layered (Sugiyama-style) layout of one directed acyclic graph, top to bottom.

1. Layers: each node one below its lowest input, then nodes with more uses than inputs
   moved down next to their first user (constants sit just above what reads them).
2. Long edges get a dummy node in every layer they pass, so they are laid out like nodes
   and never run under a box. If the dummies would exceed a budget linear in the graph
   (a few gradient graphs have quadratically many), the longest edges instead run in
   lanes right of the picture.
3. Order within layers: barycentre sweeps down and up, each edge pulled towards its
   operand position at the user, keeping the order with the fewest crossings, then
   adjacent swaps on small graphs.
4. Coordinates: each layer in turn placed as close as possible to its neighbours (a
   weighted isotonic regression under minimum gaps, solved exactly by pool-adjacent-
   violators), dummies weighted so long edges run straight.

Every step is linear in the number of nodes, edges and dummies, but for sorting.
Edges are routed as vertical runs inside layers (through their own slot) and curves in
the gaps between layers, where there are no boxes: no edge crosses a node.
"""

from __future__ import annotations

import bisect
import dataclasses
import heapq
from typing import Literal

Point = tuple[float, float]

NODE_GAP = 16.0  # between boxes in a layer
DUMMY_GAP = 7.0  # between an edge and its neighbours
DUMMY_WIDTH = 2.0
LAYER_GAP = 30.0  # between layers, grown for steep edges
LANE_GAP = 8.0
PORT_SPACING = 16.0
SWEEPS = 8
PLACEMENT_SWEEPS = 8
LARGE = 20000  # vertices (with dummies) from which fewer sweeps are made
TRANSPOSE_LIMIT = 1500  # vertices up to which adjacent swaps are tried
DUMMY_BUDGET = 5000  # dummies allowed besides one per node and edge


@dataclasses.dataclass
class Edge:
    tail: int
    head: int
    tail_dx: float = 0.0  # the tail port's offset from the tail's centre
    order: float = 0.0  # the edge's place among its head's inputs (operand position)


@dataclasses.dataclass
class Level:
    """A graph to lay out: node sizes (width, height), edges, and the nodes that must sit
    in a last layer of their own (a body's exits)."""

    sizes: list[tuple[float, float]]
    edges: list[Edge]
    last: set[int] = dataclasses.field(default_factory=set)


@dataclasses.dataclass
class Placed:
    """Centres of the nodes, the picture's size, and each edge's route (from the tail's
    bottom to the head's top)."""

    x: list[float]
    y: list[float]
    width: float
    height: float
    routes: list[list[Point]]


def lay_out(level: Level) -> Placed:
    n = len(level.sizes)
    if n == 0:
        return Placed([], [], 0.0, 0.0, [[] for _ in level.edges])
    layer = _layers(level)
    graph = _Virtual(level, layer)
    graph.order()
    graph.place()
    return graph.routed()


def _layers(level: Level) -> list[int]:
    n = len(level.sizes)
    ins: list[list[int]] = [[] for _ in range(n)]
    outs: list[list[int]] = [[] for _ in range(n)]
    for e in level.edges:
        outs[e.tail].append(e.head)
        ins[e.head].append(e.tail)
    pending = [len(i) for i in ins]
    order = [v for v in range(n) if pending[v] == 0]
    for v in order:  # grows while iterating: Kahn's algorithm
        for w in outs[v]:
            pending[w] -= 1
            if pending[w] == 0:
                order.append(w)
    if len(order) != n:
        raise ValueError("layout: the graph has a cycle")
    layer = [0] * n
    for v in order:
        for w in outs[v]:
            if layer[w] <= layer[v]:
                layer[w] = layer[v] + 1
    # Down next to the first user: shortens every out-edge and lengthens the in-edges, so
    # only where there are at least as many of the first.
    for v in reversed(order):
        if outs[v] and v not in level.last and len(outs[v]) >= len(ins[v]):
            lowest = min(layer[w] for w in outs[v]) - 1
            if lowest > layer[v]:
                layer[v] = lowest
    if level.last:
        bottom = max(layer) + 1
        for v in level.last:
            layer[v] = bottom
    return layer


class _Virtual:
    """The graph with dummies: vertices 0..n-1 are the nodes, the rest dummies; ``links``
    join vertices of adjacent layers."""

    def __init__(self, level: Level, layer: list[int]):
        n = len(level.sizes)
        self.level = level
        self.width = [w for w, _ in level.sizes]
        self.height = [h for _, h in level.sizes]
        self.layer = list(layer)
        self.dummy = [False] * n
        depth = max(layer) + 1
        spans = [layer[e.head] - layer[e.tail] for e in level.edges]
        self.lane_edges = _lane_edges(spans, n + len(spans) + DUMMY_BUDGET)
        # link: (upper vertex, lower vertex, tail dx, head order, edge index)
        self.up: list[list[int]] = [[] for _ in range(n)]  # link ids, by lower vertex
        self.down: list[list[int]] = [[] for _ in range(n)]  # link ids, by upper vertex
        self.links: list[tuple[int, int, float, float, int]] = []
        self.chains: list[list[int]] = []
        for i, e in enumerate(level.edges):
            if i in self.lane_edges:
                self.chains.append([e.tail, e.head])
                continue
            chain = [e.tail]
            for k in range(layer[e.tail] + 1, layer[e.head]):
                chain.append(self._new_dummy(k))
            chain.append(e.head)
            self.chains.append(chain)
            for j in range(len(chain) - 1):
                dx = e.tail_dx if j == 0 else 0.0
                order = e.order if j == len(chain) - 2 else 0.0
                self._link(chain[j], chain[j + 1], dx, order, i)
        self.layers: list[list[int]] = [[] for _ in range(depth)]
        for v in range(len(self.layer)):
            self.layers[self.layer[v]].append(v)
        self.pos = [0] * len(self.layer)
        self.x = [0.0] * len(self.layer)

    def _new_dummy(self, layer: int) -> int:
        self.width.append(DUMMY_WIDTH)
        self.height.append(0.0)
        self.layer.append(layer)
        self.dummy.append(True)
        self.up.append([])
        self.down.append([])
        return len(self.layer) - 1

    def _link(self, a: int, b: int, dx: float, order: float, edge: int) -> None:
        self.links.append((a, b, dx, order, edge))
        self.down[a].append(len(self.links) - 1)
        self.up[b].append(len(self.links) - 1)

    # --- ordering -------------------------------------------------------------------------
    def order(self) -> None:
        self._renumber()
        # A first order from the layers above, then sweeps keeping the best order found.
        for k in range(1, len(self.layers)):
            self._sort_layer(k, downward=True)
        if len(self.layer) > LARGE:  # a picture no one reads whole: one sweep is enough
            return
        best = self._crossings()
        saved = [list(layer) for layer in self.layers]
        for sweep in range(SWEEPS):
            if best == 0:
                break
            downward = sweep % 2 == 1
            sequence = (
                range(1, len(self.layers)) if downward else range(len(self.layers) - 2, -1, -1)
            )
            for k in sequence:
                self._sort_layer(k, downward)
            count = self._crossings()
            if count < best:
                best, saved = count, [list(layer) for layer in self.layers]
        self.layers = saved
        self._renumber()
        if len(self.layer) <= TRANSPOSE_LIMIT and best > 0:
            self._transpose()

    def _renumber(self) -> None:
        for layer in self.layers:
            for i, v in enumerate(layer):
                self.pos[v] = i

    def _sort_layer(self, k: int, downward: bool) -> None:
        key = {}
        for v in self.layers[k]:
            total, count = 0.0, 0
            if downward:
                for link in self.up[v]:
                    total += self.pos[self.links[link][0]]
                    count += 1
            else:
                for link in self.down[v]:
                    _, b, _, order, _ = self.links[link]
                    # Operands in argument order: a - b keeps a on the left.
                    total += self.pos[b] + 0.01 * order
                    count += 1
            key[v] = total / count if count else float(self.pos[v])
        self.layers[k].sort(key=key.__getitem__)
        for i, v in enumerate(self.layers[k]):
            self.pos[v] = i

    def _crossings(self) -> int:
        total = 0
        for layer in self.layers[:-1]:
            pairs = sorted(
                (self.pos[v], self.pos[self.links[link][1]]) for v in layer for link in self.down[v]
            )
            total += _inversions([b for _, b in pairs])
        return total

    def _transpose(self) -> None:
        """Swap neighbours in a layer while that removes crossings (small graphs)."""
        improved, rounds = True, 0
        while improved and rounds < 6:
            improved, rounds = False, rounds + 1
            for layer in self.layers:
                for i in range(len(layer) - 1):
                    v, w = layer[i], layer[i + 1]
                    if self._pair_crossings(w, v) < self._pair_crossings(v, w):
                        layer[i], layer[i + 1] = w, v
                        self.pos[v], self.pos[w] = i + 1, i
                        improved = True

    def _pair_crossings(self, left: int, right: int) -> int:
        """Crossings between the edges of ``left`` and ``right`` when ``left`` is left."""
        count = 0
        for side in (self.up, self.down):
            end: Literal[0, 1] = 0 if side is self.up else 1  # the link's tail or head
            a = [self.pos[self.links[link][end]] for link in side[left]]
            b = [self.pos[self.links[link][end]] for link in side[right]]
            b.sort()
            for p in a:
                count += bisect.bisect_left(b, p)
        return count

    # --- coordinates ----------------------------------------------------------------------
    def place(self) -> None:
        widest = 0.0
        for layer in self.layers:
            x = 0.0
            for i, v in enumerate(layer):
                if i:
                    x += self._separation(layer[i - 1], v)
                self.x[v] = x
            widest = max(widest, x)
        if len(self.layer) > LARGE:  # each layer centred: straight enough, and fast
            for layer in self.layers:
                shift = (widest - self.x[layer[-1]]) / 2 if layer else 0.0
                for v in layer:
                    self.x[v] += shift
        sweeps = PLACEMENT_SWEEPS if len(self.layer) <= LARGE else 0
        for sweep in range(sweeps):
            downward = sweep % 2 == 0
            sequence = (
                range(1, len(self.layers)) if downward else range(len(self.layers) - 2, -1, -1)
            )
            for k in sequence:
                self._place_layer(self.layers[k], downward)
        left = min(self.x[v] - self.width[v] / 2 for v in range(len(self.x)))
        for v in range(len(self.x)):
            self.x[v] -= left

    def _separation(self, a: int, b: int) -> float:
        gap = DUMMY_GAP if self.dummy[a] or self.dummy[b] else NODE_GAP
        return (self.width[a] + self.width[b]) / 2 + gap

    def _place_layer(self, layer: list[int], downward: bool) -> None:
        targets, weights = [], []
        for v in layer:
            total, count = 0.0, 0
            if downward:
                for link in self.up[v]:
                    a, _, dx, _, _ = self.links[link]
                    total += self.x[a] + dx
                    count += 1
            else:
                for link in self.down[v]:
                    _, b, dx, _, _ = self.links[link]
                    total += self.x[b] - dx
                    count += 1
            if count:
                targets.append(total / count)
                weights.append((8.0 if self.dummy[v] else 1.0) * count)
            else:
                targets.append(self.x[v])
                weights.append(0.05)
        offsets = [0.0]
        for i in range(1, len(layer)):
            offsets.append(offsets[-1] + self._separation(layer[i - 1], layer[i]))
        fitted = _isotonic([t - o for t, o in zip(targets, offsets)], weights)
        for v, y, o in zip(layer, fitted, offsets):
            self.x[v] = y + o

    # --- routes ---------------------------------------------------------------------------
    def routed(self) -> Placed:
        band_height = [max((self.height[v] for v in layer), default=0.0) for layer in self.layers]
        gaps = self._gaps()
        top, y = [], 0.0
        for k, h in enumerate(band_height):
            top.append(y)
            y += h + (gaps[k] if k < len(gaps) else 0.0)
        height = y
        n = len(self.level.sizes)
        ys = [top[self.layer[v]] + band_height[self.layer[v]] / 2 for v in range(n)]
        right = max(self.x[v] + self.width[v] / 2 for v in range(len(self.x)))
        lanes = _lanes(
            [
                (i, self.layer[self.level.edges[i].tail], self.layer[self.level.edges[i].head])
                for i in sorted(self.lane_edges)
            ]
        )
        ports = self._head_ports(lanes, right)
        routes: list[list[Point]] = []
        for i, e in enumerate(self.level.edges):
            tail_layer = self.layer[e.tail]
            start = self.x[e.tail] + e.tail_dx
            points = [(start, ys[e.tail] + self.height[e.tail] / 2)]
            points.append((start, top[tail_layer] + band_height[tail_layer]))
            if i in lanes:
                lane_x = right + LANE_GAP * (lanes[i] + 1)
                points.append((lane_x, top[tail_layer + 1]))
                head_above = self.layer[e.head] - 1
                points.append((lane_x, top[head_above] + band_height[head_above]))
            else:
                for d in self.chains[i][1:-1]:
                    k = self.layer[d]
                    points.append((self.x[d], top[k]))
                    points.append((self.x[d], top[k] + band_height[k]))
            px = ports[i]
            head_layer = self.layer[e.head]
            points.append((px, top[head_layer]))
            points.append((px, ys[e.head] - self.height[e.head] / 2))
            routes.append(_without_repeats(points))
        width = right + (LANE_GAP * (max(lanes.values()) + 2) if lanes else 0.0)
        return Placed(self.x[:n], ys, width, height, routes)

    def _gaps(self) -> list[float]:
        """The gap below each layer: taller where edges cross it steeply."""
        steepest = [0.0] * len(self.layers)
        for a, b, dx, _, _ in self.links:
            k = self.layer[a]
            steepest[k] = max(steepest[k], abs(self.x[b] - self.x[a] - dx))
        return [LAYER_GAP + min(40.0, 0.12 * s) for s in steepest[:-1]]

    def _head_ports(self, lanes: dict[int, int], right: float) -> dict[int, float]:
        """Where each edge enters its head: spread over the top, in the order the edges
        arrive from the left, so they do not cross at the box."""
        arriving: dict[int, list[tuple[float, float, int]]] = {}
        for i, e in enumerate(self.level.edges):
            if i in lanes:
                source = right + LANE_GAP * (lanes[i] + 1)
            else:
                source = self.x[self.chains[i][-2]]
                if len(self.chains[i]) == 2:
                    source += e.tail_dx
            arriving.setdefault(e.head, []).append((source, e.order, i))
        ports: dict[int, float] = {}
        for head, edges in arriving.items():
            edges.sort()
            k = len(edges)
            spacing = min(PORT_SPACING, max(self.width[head] - 12.0, 0.0) / max(k - 1, 1))
            for j, (_, _, i) in enumerate(edges):
                ports[i] = self.x[head] + (j - (k - 1) / 2) * spacing
        return ports


def _lane_edges(spans: list[int], budget: int) -> set[int]:
    """The longest edges, as many as needed to keep the dummies within ``budget``."""
    total = sum(max(s - 1, 0) for s in spans)
    chosen: set[int] = set()
    if total <= budget:
        return chosen
    for i in sorted(range(len(spans)), key=spans.__getitem__, reverse=True):
        if total <= budget or spans[i] <= 1:
            break
        chosen.add(i)
        total -= spans[i] - 1
    return chosen


def _lanes(edges: list[tuple[int, int, int]]) -> dict[int, int]:
    """A lane for each (edge, tail layer, head layer), edges that overlap in layers never
    sharing one: greedy interval colouring."""
    free: list[int] = []
    busy: list[tuple[int, int]] = []  # (last layer used, lane)
    lane_of: dict[int, int] = {}
    count = 0
    for i, a, b in sorted(edges, key=lambda t: t[1]):
        while busy and busy[0][0] < a:
            heapq.heappush(free, heapq.heappop(busy)[1])
        lane = heapq.heappop(free) if free else count
        count = max(count, lane + 1)
        lane_of[i] = lane
        heapq.heappush(busy, (b, lane))
    return lane_of


def _isotonic(targets: list[float], weights: list[float]) -> list[float]:
    """The non-decreasing sequence closest to ``targets`` in weighted least squares."""
    blocks: list[list[float]] = []  # [weighted sum, weight, count]
    for t, w in zip(targets, weights):
        blocks.append([t * w, w, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]:
            s, w2, c = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += w2
            blocks[-1][2] += c
    out: list[float] = []
    for s, w, c in blocks:
        out.extend([s / w] * int(c))
    return out


def _inversions(values: list[int]) -> int:
    """Pairs out of order (crossings between two layers), by merge sort."""
    count = 0
    width = 1
    items = list(values)
    n = len(items)
    while width < n:
        merged: list[int] = []
        for lo in range(0, n, 2 * width):
            left, right = items[lo : lo + width], items[lo + width : lo + 2 * width]
            i = j = 0
            while i < len(left) and j < len(right):
                if right[j] < left[i]:
                    merged.append(right[j])
                    count += len(left) - i
                    j += 1
                else:
                    merged.append(left[i])
                    i += 1
            merged.extend(left[i:])
            merged.extend(right[j:])
        items = merged
        width *= 2
    return count


def _without_repeats(points: list[Point]) -> list[Point]:
    out = [points[0]]
    for p in points[1:]:
        if abs(p[0] - out[-1][0]) > 1e-9 or abs(p[1] - out[-1][1]) > 1e-9:
            out.append(p)
    return out
