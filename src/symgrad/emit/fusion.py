"""Fusion: which elementwise ops, and the reductions that consume them, become one loop.

The Numba backend (``symgrad.emit.numba_writer``) computes each region found here in one
compiled loop over the region's shape: every member is one statement on one element, the
operands from outside are read with index arithmetic (so a row of biases broadcasts over a
matrix without being copied), members needed afterwards are stored, and reductions of
members (``Reduction.fold``) accumulate as the loop runs. Nothing else is stored.

``plan`` has the signature of ``blocking.plan`` (``Options.regions``): the emission plan
lays the regions out as it does blocked regions, and gives their members variables and
lifetimes the same way. A region's ``totals`` are its reductions (over any axes): nothing in
the region may read them, since they are complete only once the loop has run.

Which nodes qualify is derived from the ops: an elementwise op with a float form
(``Op.emit_float``: the same computation on one number), of a float or bool result, on
operands of the dtypes a compiled loop handles as NumPy does; a reduction with a fold.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..core.expr import Expr
from ..ops.reductions import Reduction
from ..ops.subgraph import MultiOutput
from .blocking import Region
from .expressions import placeholders

#: dtypes of results a loop statement computes exactly as NumPy does (float16 has no
#: arithmetic of its own in compiled code; integer results wrap and raise differently).
RESULT_DTYPES = frozenset(np.dtype(t) for t in ("float64", "float32", "bool"))
#: dtypes of the operands such a statement reads.
OPERAND_DTYPES = RESULT_DTYPES | frozenset(
    np.dtype(t) for t in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
)


def elementwise(node: Expr) -> bool:
    """Whether ``node`` can be one statement of a fused loop."""
    op = node.op
    if not op.elementwise or isinstance(op, MultiOutput) or node.ndim == 0:
        return False
    if node.dtype not in RESULT_DTYPES or any(x.dtype not in OPERAND_DTYPES for x in node.inputs):
        return False
    return op.emit_float(node, placeholders(len(node.inputs))) is not None


def fold(node: Expr) -> tuple[object, float, bool] | None:
    """The fold of a reduction a loop can accumulate (see ``Reduction.fold``), or ``None``.

    Floats only (integer sums wrap where NumPy's do not); a fold without an identity
    (max, min) only over axes of known, non-zero size, since NumPy raises on an empty one.
    """
    op = node.op
    if not isinstance(op, Reduction) or node.dtype.kind != "f":
        return None
    found = op.fold()
    if found is None or node.inputs[0].dtype.kind != "f":
        return None
    combine = found[0]
    if combine.numpy.identity is None:  # type: ignore[attr-defined]
        shape = node.inputs[0].shape
        if not all(isinstance(d, int) and d > 0 for d in (shape[a] for a in op.axes)):
            return None
    return found


def plan(
    order: Sequence[Expr], keep: set[int], min_elements: int | None = None
) -> list[Expr | Region]:
    """``order`` regrouped into single nodes and regions (see the module docstring).
    ``min_elements`` is ignored: a compiled loop gains at any size."""
    planner = _Planner(order, keep)
    for node in order:
        planner.place(node, node.shape if elementwise(node) else None)
    for region in list(planner.open.values()):
        planner.close(region)
    return planner.segments


class _Planner:
    """Places nodes one by one (in a valid order) into segments and open regions, one open
    region per shape.

    A node that cannot join a region but reads one open region waits until that region
    closes (it is deferred), so that work between two parts of a chain, such as a matrix
    product of one of its arrays, does not cut the chain in two. A region closes when a
    node needs it complete: a node joining another region, reading two regions, reading
    what waits on it, or reading one of its reductions."""

    def __init__(self, order: Sequence[Expr], keep: set[int]):
        self.keep = keep
        self.readers: dict[int, list[Expr]] = {}
        for node in order:
            for x in node.inputs:
                self.readers.setdefault(id(x), []).append(node)
        self.segments: list[Expr | Region] = []
        self.open: dict[tuple, Region] = {}
        self.member_of: dict[int, Region] = {}
        self.waiting_on: dict[int, Region] = {}
        self.deferred: dict[int, list[Expr]] = {}  # by id of the open region

    def place(self, node: Expr, shape: tuple | None) -> None:
        target, total = self._region_for(node, shape)
        members_read = self._read(node, self.member_of)
        waits_read = self._read(node, self.waiting_on)
        if target is not None and target in waits_read:
            target = None  # it reads a node waiting on its region, which must close first
        if target is not None:
            shape = target.shape
        read = list({id(r): r for r in members_read + waits_read}.values())
        if shape is None and not total and len(read) == 1:
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
            target = self.open[shape] = Region(shape, 0, [])
            self.deferred[id(target)] = []
        target.members.append(node)
        self.member_of[id(node)] = target
        if total:
            target.totals.add(id(node))

    def close(self, region: Region) -> None:
        del self.open[region.shape]
        self.segments.extend(_finish(region, self.readers, self.keep))
        self.segments.extend(self.deferred.pop(id(region)))

    def _read(self, node: Expr, where: dict[int, Region]) -> list[Region]:
        """The open regions ``node`` reads through ``where`` (members, or waiting nodes)."""
        found: dict[int, Region] = {}
        for x in node.inputs:
            region = where.get(id(x))
            if region is not None and self.open.get(region.shape) is region:
                found[id(region)] = region
        return list(found.values())

    def _region_for(self, node: Expr, shape: tuple | None) -> tuple[Region | None, bool]:
        """The open region ``node`` may join, if any, and whether as a reduction."""
        if fold(node) is not None:
            (x,) = node.inputs
            region = self.member_of.get(id(x))
            if (
                region is not None
                and self.open.get(region.shape) is region
                and id(x) not in region.totals
            ):
                return region, True
            return None, False
        region = self.open.get(shape) if shape is not None else None
        # A reduction is complete only after the loop: a node reading one cannot be in it.
        if region is None or any(id(x) in region.totals for x in node.inputs):
            return None, False
        return region, False


def _finish(region: Region, readers: dict[int, list[Expr]], keep: set[int]) -> list[Expr | Region]:
    """The region, with its members needed whole (read outside it, or results) and its
    temporaries; or its members as single nodes if it fuses nothing."""
    members = {id(m) for m in region.members}
    for m in region.members:
        if id(m) in region.totals:
            continue
        if id(m) in keep or any(id(r) not in members for r in readers.get(id(m), ())):
            region.whole.add(id(m))
    region.temporaries = members - region.totals - region.whole
    if len(region.members) < 2:
        return list(region.members)
    return [region]
