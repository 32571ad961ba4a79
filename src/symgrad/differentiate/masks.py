"""Masked cotangents: derivatives through a selection are exactly 0 where it did not select.

``where(x > 0, sqrt(x), 0)`` at ``x = 0`` takes the constant branch, so its derivative is 0.
The chain rule applied op by op gives nan instead: the cotangent of ``sqrt(x)`` is 0 there,
and sqrt's rule multiplies it by ``1 / (2 sqrt(0)) = inf``.

Reverse mode therefore carries, with the cotangent of an input a selection op (``where``,
``clip``, ``maximum``, ``max``, ``cond``...; see ``Op.selection``) passes on, the mask of the
positions where that cotangent may be nonzero. Through elementwise ops the cotangent keeps
its mask (the masks of nested selections are combined) and may hold anything, nan included,
outside it. Where it leaves the elementwise ops, reaches a variable, or is added to a
cotangent without a mask, it is made exact once: ``where(mask, cotangent, 0)``.

Ops that turn a zero cotangent into zeros whatever their inputs (``Op.keeps_zero_cotangents``:
``add``, ``relu``, ``where``...) keep an exact cotangent exact, so a ReLU network's gradient
gets no ``where`` at all. Graphs without selections are differentiated as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import overload

from ..core.expr import Expr
from ..core.shapes import Shape
from ..ops import elementwise as ew
from ..ops import reductions, shape_ops
from ..ops.leaves import as_expr


class Masked:
    """A cotangent that is right where ``mask`` holds (a bool expression broadcastable to
    the node's shape) and may be anything, nan included, elsewhere, unless ``exact``: then
    it is 0 there already. The mask may be given as a function making it, called only if
    it is needed (an exact cotangent that reaches a variable never needs it)."""

    __slots__ = ("value", "exact", "_mask")

    def __init__(self, value: Expr, mask: Expr | Callable[[], Expr], exact: bool = False):
        self.value, self.exact, self._mask = value, exact, mask

    @property
    def mask(self) -> Expr:
        if not isinstance(self._mask, Expr):
            self._mask = self._mask()
        return self._mask


Adjoint = Expr | Masked


def exact(adjoint: Adjoint) -> Expr:
    """The cotangent itself: 0 outside the mask."""
    if isinstance(adjoint, Masked) and not adjoint.exact:
        return ew.where(adjoint.mask, adjoint.value, as_expr(0, like=adjoint.value))
    return adjoint.value if isinstance(adjoint, Masked) else adjoint


def value(adjoint: Adjoint) -> Expr:
    """The expression an adjoint holds (without its mask: anything outside it)."""
    return adjoint.value if isinstance(adjoint, Masked) else adjoint


def add(a: Adjoint, b: Adjoint) -> Adjoint:
    """The sum of two contributions to one cotangent."""
    if type(a) is not Masked and type(b) is not Masked:
        return ew.add(a, b)  # no selection on either: the common case
    if isinstance(a, Masked) and isinstance(b, Masked):
        if a._mask is b._mask:
            return Masked(ew.add(a.value, b.value), a.mask, a.exact and b.exact)
        return Masked(ew.add(exact(a), exact(b)), _either(a.mask, b.mask), exact=True)
    return ew.add(exact(a), exact(b))


def pull_back(node: Expr, cotangent: Adjoint | list[Expr | None]) -> Sequence[Adjoint | None]:
    """The contributions of ``node``'s cotangent to its inputs' cotangents (its op's VJP),
    masked where the op selects or where the cotangent was masked already."""
    op = node.op
    selection = op.selection(node)
    incoming: Expr | None = None  # the mask the cotangent brings along
    if isinstance(cotangent, Masked):
        if op.elementwise and not (cotangent.exact and op.keeps_zero_cotangents):
            return _through_elementwise(node, cotangent, selection)
        if op.elementwise:
            incoming = cotangent.mask
        cotangent = exact(cotangent)
    contributions = op.vjp(node, cotangent)
    if node.dtype.kind == "c":
        contributions = _real_parts_for_real_inputs(node, contributions)
    if selection is None and incoming is None:
        return contributions
    # The op's VJP gives 0 where its mask is false (``Op.selection``), and keeps the zeros of
    # an exact cotangent: its contributions are exact.
    masks = selection or [None] * len(node.inputs)
    return [
        None if c is None else _selected(node, x, c, _both(incoming, m))
        for x, c, m in zip(node.inputs, contributions, masks)
    ]


def _real_parts_for_real_inputs(
    node: Expr, contributions: Sequence[Expr | None]
) -> Sequence[Expr | None]:
    """A real input of a complex result gets the real part of its contribution: for
    z = x + iy the cotangent holds dL/dx - i dL/dy, and a real input moves only x."""
    return [
        ew.real(c) if c is not None and c.dtype.kind == "c" and x.dtype.kind != "c" else c
        for x, c in zip(node.inputs, contributions)
    ]


def _selected(node: Expr, x: Expr, contribution: Expr, mask: Expr | None) -> Adjoint:
    if mask is None:
        return contribution
    if node.op.elementwise and x.shape != node.shape:  # the mask is over the output's shape
        full = mask
        return Masked(contribution, lambda: _any_to(full, node.shape, x.shape), exact=True)
    return Masked(contribution, mask, exact=True)


def _through_elementwise(
    node: Expr, cotangent: Masked, selection: Sequence[Expr | None] | None
) -> list[Adjoint | None]:
    """Contributions of a masked cotangent through an elementwise op. Inputs of the node's
    shape keep the mask. A broadcast input sums the cotangent over the broadcast axes, so
    the garbage outside the mask is cleared first: the rule runs on the inputs broadcast to
    the node's shape (same values), whose contributions are not yet summed."""
    inputs = node.inputs
    full = node
    if any(x.shape != node.shape for x in inputs):
        full = node.op(
            *[x if x.shape == node.shape else shape_ops.broadcast_to(x, node.shape) for x in inputs]
        )
    batch = cotangent.value.ndim - node.ndim
    contributions = node.op.vjp(full, cotangent.value)
    if node.dtype.kind == "c":
        contributions = _real_parts_for_real_inputs(node, contributions)
    out: list[Adjoint | None] = []
    for i, (x, c) in enumerate(zip(inputs, contributions)):
        if c is None:
            out.append(None)
            continue
        mask = _both(cotangent.mask, None if selection is None else selection[i])
        if x.shape == node.shape:
            out.append(Masked(c, mask))
            continue
        cleared = ew.where(mask, c, as_expr(0, like=c))
        summed = reductions.sum_to(cleared, x.shape, batch)
        out.append(Masked(summed, _any_to(mask, node.shape, x.shape), exact=True))
    return out


@overload
def _both(a: Expr, b: Expr | None) -> Expr: ...
@overload
def _both(a: Expr | None, b: Expr | None) -> Expr | None: ...
def _both(a: Expr | None, b: Expr | None) -> Expr | None:
    if a is None or b is None or a is b:
        return b if a is None else a
    return ew.where(a, b, False)


def _either(a: Expr, b: Expr) -> Expr:
    return ew.where(a, True, b)


def _any_to(mask: Expr, shape: Shape, target: Shape) -> Expr:
    """``mask`` (broadcast to ``shape``) reduced to ``target``, which broadcasts to
    ``shape``: true where any of the positions broadcast from it is."""
    if mask.shape != shape:
        mask = shape_ops.broadcast_to(mask, shape)
    lead = len(shape) - len(target)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, d in enumerate(target) if d == 1 and shape[lead + i] != 1
    )
    if axes:
        mask = reductions.max(mask, axis=axes, keepdims=True)
    return mask if mask.shape == target else shape_ops.reshape(mask, target)
