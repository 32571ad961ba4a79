"""Cache blocking: which chains of elementwise ops the emitter runs a block of rows at a time.

A chain such as ``4 * x**3 + x**2 + 3`` on a million elements, written as one NumPy call per
op, streams every intermediate through main memory (and, for fresh arrays, through page
faults). Run over blocks of rows that fit in the L2 cache, the same calls touch main memory
only for the chain's inputs and for the results needed afterwards, as a fused loop would.

``plan`` groups the scheduled nodes into regions: elementwise ops of one static shape large
enough to gain (``MIN_ELEMENTS``), plus reductions of a whole array to one number (sums),
which become running totals. Nodes that read nothing in an open region may run before it,
so independent work does not split a region. Each region depends only on what precedes it
in the plan, so emitting the plan in order is valid. A region is kept only if some member
never has to exist whole.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

from ..core.expr import Expr
from ..core.shapes import Shape, is_concrete
from ..ops.subgraph import MultiOutput

#: Elements per block: 512 KiB of float64, so a chain's temporaries stay in the L2 cache.
BLOCK_ELEMENTS = 1 << 16
#: Smaller arrays fit in the cache whole; a loop over blocks would only add overhead.
MIN_ELEMENTS = 1 << 18


@dataclasses.dataclass(eq=False)  # one region is equal only to itself
class Region:
    """Nodes computed together, a block of ``rows`` rows (axis 0 of ``shape``) at a time."""

    shape: Shape  # symbolic sizes only in a compiled loop's region (see fusion.py)
    rows: int
    members: list[Expr]
    #: Members reducing a whole member array to one number: running totals.
    totals: set[int] = dataclasses.field(default_factory=set)
    #: Members needed whole after the loop (read outside the region, or kept).
    whole: set[int] = dataclasses.field(default_factory=set)
    #: The other members: they exist one block at a time, inside the loop only.
    temporaries: set[int] = dataclasses.field(default_factory=set)

    def sliced(self, x: Expr) -> bool:
        """Whether the operand ``x`` (from outside) is read a block of rows at a time, rather
        than whole (a size-1 or missing leading axis broadcasts against every block)."""
        return x.ndim == len(self.shape) and x.shape[0] == self.shape[0]


def plan(
    order: Sequence[Expr], keep: set[int], min_elements: int | None = None
) -> list[Expr | Region]:
    """``order`` regrouped: single nodes, and regions whose members run block by block.
    Regions are of at least ``min_elements`` elements (``MIN_ELEMENTS`` by default; a
    backend fusing regions into compiled loops gains at any size)."""
    least = MIN_ELEMENTS if min_elements is None else min_elements
    shapes = [_block_shape(node, least) for node in order]
    if not any(shapes):
        return list(order)
    planner = RegionPlanner(order, keep)
    for node, shape in zip(order, shapes):
        planner.place(node, shape)
    for region in list(planner.open.values()):
        planner.close(region)
    return planner.segments


class RegionPlanner:
    """Places nodes one by one (in a valid order) into segments and open regions.

    A plain node that reads one open region waits until that region closes (it is deferred),
    so that a whole-array consumer in the middle of a chain, such as a scatter of one of its
    arrays, does not cut the chain in two. A region closes when a node needs it complete:
    a node joining another region, reading two regions, or reading what waits on it."""

    def __init__(self, order: Sequence[Expr], keep: set[int]):
        self.keep = keep
        self.readers: dict[int, list[Expr]] = {}
        for node in order:
            for x in node.inputs:
                self.readers.setdefault(id(x), []).append(node)
        self.segments: list[Expr | Region] = []
        self.open: dict[Shape, Region] = {}
        self.member_of: dict[int, Region] = {}
        self.waiting_on: dict[int, Region] = {}
        self.deferred: dict[int, list[Expr]] = {}  # by id of the open region

    def place(self, node: Expr, shape: Shape | None) -> None:
        """Put ``node`` somewhere; ``shape`` is its shape if it is blockable by itself."""
        target, total = self._region_for(node, shape)
        members_read = self._read(node, self.member_of)
        waits_read = self._read(node, self.waiting_on)
        if target is not None and target in waits_read:
            target = None  # it reads a node waiting on its region, which must close first
        if target is not None:
            shape = target.shape
        read = list({id(r): r for r in members_read + waits_read}.values())
        if shape is None and len(read) == 1:
            self.deferred[id(read[0])].append(node)
            self.waiting_on[id(node)] = read[0]
            return
        for region in read:
            if region is not target:
                self.close(region)
        if target is None:
            if shape is None:
                self.segments.append(node)
                return
            if shape in self.open:
                self.close(self.open[shape])
            target = self.open[shape] = self.new_region(shape)
            self.deferred[id(target)] = []
        target.members.append(node)
        self.member_of[id(node)] = target
        if total:
            target.totals.add(id(node))

    def close(self, region: Region) -> None:
        del self.open[region.shape]
        self.segments.extend(self.finish(region))
        self.segments.extend(self.deferred.pop(id(region)))

    def new_region(self, shape: Shape) -> Region:
        """An empty region of arrays of ``shape`` (known sizes: see ``_block_shape``)."""
        assert is_concrete(shape)
        return Region(shape, _rows(shape), [])

    def finish(self, region: Region) -> list[Expr | Region]:
        """The closed ``region`` as segments (itself, or its members if it gains nothing)."""
        return _finish(region, self.readers, self.keep)

    def _read(self, node: Expr, where: dict[int, Region]) -> list[Region]:
        """The open regions ``node`` reads through ``where`` (members, or waiting nodes)."""
        found: dict[int, Region] = {}
        for x in node.inputs:
            region = where.get(id(x))
            if region is not None and self.open.get(region.shape) is region:
                found[id(region)] = region
        return list(found.values())

    def _region_for(self, node: Expr, shape: Shape | None) -> tuple[Region | None, bool]:
        """The open region ``node`` may join, if any, and whether as a running total."""
        if len(node.inputs) == 1 and node.op.emit_total(node, "block", "total") is not None:
            (x,) = node.inputs
            region = self.member_of.get(id(x))
            if (
                region is not None
                and self.open.get(region.shape) is region
                and id(x) not in region.totals
            ):
                return region, True
        region = self.open.get(shape) if shape is not None else None
        # A total is complete only after the loop: a node reading one cannot be in it.
        if region is None or any(id(x) in region.totals for x in node.inputs):
            return None, False
        return region, False


def _block_shape(node: Expr, least: int) -> tuple[int, ...] | None:
    """The node's shape if it is an elementwise op large enough to compute by blocks."""
    op = node.op
    if not op.elementwise or isinstance(op, MultiOutput) or node.ndim == 0:
        return None
    if not all(isinstance(d, int) for d in node.shape):
        return None
    shape = tuple(int(d) for d in node.shape)
    inner = math.prod(shape[1:])
    if math.prod(shape) < least or inner > BLOCK_ELEMENTS // 2:
        return None
    return shape


def _rows(shape: tuple[int, ...]) -> int:
    return max(1, BLOCK_ELEMENTS // math.prod(shape[1:]))


def _finish(region: Region, readers: dict[int, list[Expr]], keep: set[int]) -> list[Expr | Region]:
    members = {id(m) for m in region.members}
    for m in region.members:
        if id(m) in region.totals:
            continue
        if id(m) in keep or any(id(r) not in members for r in readers.get(id(m), ())):
            region.whole.add(id(m))
    region.temporaries = members - region.totals - region.whole
    if not region.temporaries:  # every array exists whole anyway: blocks would gain nothing
        return list(region.members)
    return [region]
