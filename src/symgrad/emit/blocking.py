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
from ..ops.subgraph import MultiOutput

#: Elements per block: 512 KiB of float64, so a chain's temporaries stay in the L2 cache.
BLOCK_ELEMENTS = 1 << 16
#: Smaller arrays fit in the cache whole; a loop over blocks would only add overhead.
MIN_ELEMENTS = 1 << 18


@dataclasses.dataclass
class Region:
    """Nodes computed together, a block of ``rows`` rows (axis 0 of ``shape``) at a time."""

    shape: tuple[int, ...]
    rows: int
    members: list[Expr]
    #: Members reducing a whole member array to one number: running totals.
    totals: set[int] = dataclasses.field(default_factory=set)
    #: Members needed whole after the loop (read outside the region, or kept).
    whole: set[int] = dataclasses.field(default_factory=set)

    def sliced(self, x: Expr) -> bool:
        """Whether the operand ``x`` (from outside) is read a block of rows at a time, rather
        than whole (a size-1 or missing leading axis broadcasts against every block)."""
        return x.ndim == len(self.shape) and x.shape[0] == self.shape[0]


def plan(order: Sequence[Expr], keep: set[int]) -> list[Expr | Region]:
    """``order`` regrouped: single nodes, and regions whose members run block by block."""
    readers: dict[int, list[Expr]] = {}
    for node in order:
        for x in node.inputs:
            readers.setdefault(id(x), []).append(node)
    segments: list[Expr | Region] = []
    open_regions: dict[tuple[int, ...], Region] = {}
    member_of: dict[int, Region] = {}

    def close(region: Region) -> None:
        del open_regions[region.shape]
        segments.extend(_finish(region, readers, keep))

    for node in order:
        target, total = _region_for(node, open_regions, member_of)
        # Regions this node reads from must be complete before it runs.
        for x in node.inputs:
            source = member_of.get(id(x))
            if (
                source is not None
                and source is not target
                and open_regions.get(source.shape) is source
            ):
                close(source)
        if target is None:
            shape = _block_shape(node)
            if shape is None:
                segments.append(node)
                continue
            target = open_regions[shape] = Region(shape, _rows(shape), [])
        target.members.append(node)
        member_of[id(node)] = target
        if total:
            target.totals.add(id(node))
    for region in list(open_regions.values()):
        close(region)
    return segments


def _region_for(
    node: Expr, open_regions: dict[tuple[int, ...], Region], member_of: dict[int, Region]
) -> tuple[Region | None, bool]:
    """The open region ``node`` may join, if any, and whether it joins as a running total."""
    if len(node.inputs) == 1 and node.op.emit_total(node, "block", "total") is not None:
        region = member_of.get(id(node.inputs[0]))
        if (
            region is not None
            and open_regions.get(region.shape) is region
            and id(node.inputs[0]) not in region.totals
        ):
            return region, True
    shape = _block_shape(node)
    region = open_regions.get(shape) if shape is not None else None
    # A total is complete only after the loop: a node reading one cannot be in it.
    if region is None or any(id(x) in region.totals for x in node.inputs):
        return None, False
    return region, False


def _block_shape(node: Expr) -> tuple[int, ...] | None:
    """The node's shape if it is an elementwise op large enough to compute by blocks."""
    op = node.op
    if not op.elementwise or isinstance(op, MultiOutput) or node.ndim == 0:
        return None
    if not all(isinstance(d, int) for d in node.shape):
        return None
    shape = tuple(int(d) for d in node.shape)
    inner = math.prod(shape[1:])
    if math.prod(shape) < MIN_ELEMENTS or inner > BLOCK_ELEMENTS // 2:
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
    temporaries = len(region.members) - len(region.totals) - len(region.whole)
    if temporaries == 0:  # every array exists whole anyway: blocks would gain nothing
        return list(region.members)
    return [region]
