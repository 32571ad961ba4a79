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
from ..core.shapes import Shape
from ..ops.reductions import Reduction
from ..ops.subgraph import MultiOutput
from .blocking import Region, RegionPlanner
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


class _Planner(RegionPlanner):
    """The blocking pass's planner (see ``blocking.RegionPlanner``), with reductions joining
    the region of their input and regions of any size: one compiled loop per region.
    A region closes also when a node reads one of its reductions."""

    def new_region(self, shape: Shape) -> Region:
        return Region(shape, 0, [])

    def finish(self, region: Region) -> list[Expr | Region]:
        return _finish(region, self.readers, self.keep)

    def _region_for(self, node: Expr, shape: Shape | None) -> tuple[Region | None, bool]:
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
    if len(region.members) < 2 and not _broadcasts(region.members[0]):
        return list(region.members)
    return [region]


def _broadcasts(node: Expr) -> bool:
    """Whether ``node`` broadcasts an array operand (an outer product, a bias added to every
    row): NumPy's loops for that run two to three times slower than for operands of one
    shape, and a compiled loop, which reads the broadcast operand once per row, is faster
    still. Measured here with a fresh 1000 x 1000 result: ``(n, 1) * (1, m)`` 0.71 ms in
    NumPy, 0.12 ms compiled; ``A + row`` 0.47 ms and ``A * column`` 0.53 ms, against
    0.22 ms for ``A * 2``."""
    return any(x.ndim and x.shape != node.shape for x in node.inputs)
