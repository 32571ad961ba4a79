"""Rearranging and gathering: NumPy's flip, roll, tile, repeat, stacks, splits, pads,
triangles, ``take``, ``take_along_axis`` and integer-array and mask indexing.

Most are compositions of slices, concatenations, reshapes, transposes and ``where`` (so their
derivatives, SymPy forms and saved files come for free). Two ops gather: :class:`Take`
(``np.take``) and :class:`TakeAlongAxis`; the derivative of a gather adds the cotangent back
at the gathered positions (``np.add.at``, so repeated indices sum).
"""

from __future__ import annotations

import builtins
import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.expr import Expr
from ..core.shapes import (
    Dim,
    Shape,
    broadcast_shapes,
    check_axis,
    concrete,
    format_shape,
    normalize_axis,
)
from ..errors import ShapeError
from . import elementwise as ew
from . import shape_ops
from .base import EmitContext, Op
from .leaves import as_expr, const, constant_value, holds_expr

# --- gathers --------------------------------------------------------------------------------

_ADD_AT_HELPER = '''\
def _add_at(g, index, axis, shape):
    """Zeros of `shape` with `g` added at `index` along `axis` (the reverse of np.take)."""
    out = np.zeros(shape, dtype=g.dtype)
    np.add.at(out, (slice(None),) * axis + (index,), g)
    return out
'''

_ALONG_HELPERS = '''\
def _take_along(x, index, axis):
    """np.take_along_axis, with `index` given leading axes to match `x` (batch axes)."""
    index = index.reshape((1,) * (x.ndim - index.ndim) + index.shape)
    return np.take_along_axis(x, index, axis=axis)


def _add_along(g, index, axis, shape):
    """Zeros of `shape` with `g` added where take_along_axis read (the reverse of it)."""
    index = index.reshape((1,) * (g.ndim - index.ndim) + index.shape)
    out = np.zeros(shape, dtype=g.dtype)
    grid = list(np.indices(g.shape, sparse=True))
    grid[axis] = np.broadcast_to(index, g.shape)
    np.add.at(out, tuple(grid), g)
    return out
'''


def _check_index(index: Expr, op: str, size: Dim | None = None) -> None:
    """Indices must be integers; constant ones must lie within an axis of ``size``."""
    if index.dtype.kind not in "iu":
        raise TypeError(f"{op}: indices must be integers, got {index.dtype}")
    value = constant_value(index)
    if (
        value is not None
        and value.size
        and isinstance(size, int)
        and (value.max() >= size or value.min() < -size)
    ):
        raise IndexError(f"{op}: index out of range for an axis of size {size}")


@dataclasses.dataclass(frozen=True)
class Take(Op):
    """``np.take(x, index, axis)``: the rows of ``x`` along ``axis`` that ``index`` lists."""

    name = "take"
    dask = True
    axis: int

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        x, index = inputs
        if not 0 <= self.axis < x.ndim:
            raise ShapeError(self.name, f"axis {self.axis} is out of range for {x.ndim}-d input")
        _check_index(index, self.name, x.shape[self.axis])
        return x.shape[: self.axis] + index.shape + x.shape[self.axis + 1 :], x.dtype

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return f"np.take({args[0]}, {args[1]}, axis={self.axis})"

    def dask_unsupported(self, node: Expr) -> str | None:
        if node.inputs[1].ndim <= 1:
            return None
        return (
            "Dask takes a 1-d list of indices only; take with the indices flattened, then "
            "reshape the result"
        )

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        x, index = node.inputs
        batch = cotangent.shape[: ew.batch_of(cotangent, node)]
        return AddAt(len(batch) + self.axis, batch + x.shape)(cotangent, index), None

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        t = tangents[0]
        if t is None:
            return None
        return Take(self.axis + ew.batch_of(t, node.inputs[0]))(t, node.inputs[1])

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        return np.take(args[0], _integers(args[1]), axis=self.axis)


@dataclasses.dataclass(frozen=True)
class AddAt(Op):
    """Zeros of ``target`` with the first input added at ``index`` along ``axis``: the
    reverse of :class:`Take` (repeated indices add up)."""

    name = "add_at"
    dask_alternative = (
        "the gradient of indexing with an integer array; index with slices (x[a:b]), or "
        "select with a matrix product by a one-hot matrix"
    )
    axis: int
    target: Shape
    helpers = {"_add_at": _ADD_AT_HELPER}

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        g, index = inputs
        check_axis(self.name, self.axis, len(self.target))
        _check_index(index, self.name, self.target[self.axis])
        expected = self.target[: self.axis] + index.shape + self.target[self.axis + 1 :]
        if g.shape != expected:
            raise ShapeError(
                self.name, f"value {format_shape(g.shape)} does not fit {format_shape(expected)}"
            )
        return self.target, g.dtype

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return f"_add_at({args[0]}, {args[1]}, {self.axis}, {ctx.shape(self.target)})"

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        return Take(self.axis + ew.batch_of(cotangent, node))(cotangent, node.inputs[1]), None

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        t = tangents[0]
        if t is None:
            return None
        batch = t.shape[: ew.batch_of(t, node.inputs[0])]
        return AddAt(self.axis + len(batch), batch + self.target)(t, node.inputs[1])

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        import sympy

        out = np.full(concrete(self.name, self.target), sympy.Integer(0), dtype=object)
        index = (slice(None),) * self.axis + (_integers(args[1]),)
        np.add.at(out, index, args[0])  # type: ignore[arg-type]  # (NumPy's stubs: no tuples)
        return out


def _along_shape(op: str, shape: Shape, index: Expr, axis: int) -> Shape:
    """The shape ``np.take_along_axis`` gives for an array of ``shape`` and ``index``."""
    if index.ndim > len(shape) or not 0 <= axis < len(shape):
        raise ShapeError(op, f"bad axis {axis} or index of {index.ndim} dims")
    _check_index(index, op, shape[axis])
    lead = len(shape) - index.ndim  # batch axes the index does not have
    out = list(shape[:lead])
    for d, (a, b) in enumerate(zip(shape[lead:], index.shape)):
        if d + lead == axis:
            out.append(b)
        elif a == b or b == 1:
            out.append(a)
        else:
            raise ShapeError(
                op,
                f"index of shape {format_shape(index.shape)} does not match "
                f"{format_shape(shape)} outside axis {axis}",
            )
    return tuple(out)


@dataclasses.dataclass(frozen=True)
class TakeAlongAxis(Op):
    """``np.take_along_axis(x, index, axis)``."""

    name = "take_along_axis"
    dask_alternative = "index with slices, or select with a product by a one-hot mask"
    axis: int
    helpers = {"_take_along": _ALONG_HELPERS}

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        x, index = inputs
        return _along_shape(self.name, x.shape, index, self.axis), x.dtype

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return f"_take_along({args[0]}, {args[1]}, {self.axis})"

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        x, index = node.inputs
        batch = cotangent.shape[: ew.batch_of(cotangent, node)]
        op = AddAlongAxis(len(batch) + self.axis, batch + x.shape)
        return op(cotangent, index), None

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        t = tangents[0]
        if t is None:
            return None
        return TakeAlongAxis(self.axis + ew.batch_of(t, node.inputs[0]))(t, node.inputs[1])

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        index = _integers(args[1])
        index = index.reshape((1,) * (args[0].ndim - index.ndim) + index.shape)
        return np.take_along_axis(args[0], index, axis=self.axis)


@dataclasses.dataclass(frozen=True)
class AddAlongAxis(Op):
    """The reverse of :class:`TakeAlongAxis`: zeros of ``target`` with the first input added
    where it read."""

    name = "add_along_axis"
    dask_alternative = "the gradient of take_along_axis; select with a one-hot mask instead"
    axis: int
    target: Shape
    helpers = {"_take_along": _ALONG_HELPERS}

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        g, index = inputs
        if g.shape != _along_shape(self.name, self.target, index, self.axis):
            raise ShapeError(self.name, f"value {format_shape(g.shape)} does not fit the target")
        return self.target, g.dtype

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return f"_add_along({args[0]}, {args[1]}, {self.axis}, {ctx.shape(self.target)})"

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        axis = self.axis + ew.batch_of(cotangent, node)
        return TakeAlongAxis(axis)(cotangent, node.inputs[1]), None

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        t = tangents[0]
        if t is None:
            return None
        batch = t.shape[: ew.batch_of(t, node.inputs[0])]
        return AddAlongAxis(self.axis + len(batch), batch + self.target)(t, node.inputs[1])

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        import sympy

        g, index = args[0], _integers(args[1])
        index = index.reshape((1,) * (g.ndim - index.ndim) + index.shape)
        out = np.full(concrete(self.name, self.target), sympy.Integer(0), dtype=object)
        grid: list[np.ndarray] = list(np.indices(g.shape, sparse=True))
        grid[self.axis] = np.broadcast_to(index, g.shape)
        np.add.at(out, tuple(grid), g)
        return out


def _integers(values: np.ndarray) -> np.ndarray:
    """SymPy integers (constant indices) back to a NumPy int array."""
    try:
        return np.vectorize(int, otypes=[np.int64])(values)
    except TypeError:
        raise NotImplementedError("gathers at symbolic indices have no SymPy form") from None


def _index_expr(indices: Any, x: Expr, axis: int | None, op: str) -> Expr:
    """``indices`` as an int expression; constant indices are checked against the axis."""
    if isinstance(indices, Expr):
        _check_index(indices, op)
        return indices
    array = np.asarray(indices)
    if array.dtype.kind == "b":
        raise TypeError(f"{op}: boolean indices; index with x[mask] instead")
    if array.dtype.kind not in "iu" and array.size:
        raise TypeError(f"{op}: indices must be integers, got {array.dtype}")
    array = array.astype(np.int64)
    size = x.size if axis is None else x.shape[axis]
    if isinstance(size, int) and array.size:
        if array.max() >= size or array.min() < -size:
            raise IndexError(f"{op}: index out of range for an axis of size {size}")
        array = np.where(array < 0, array + size, array)
    return const(array)


def take(x: Any, indices: Any, axis: int | None = None) -> Expr:
    """Elements of ``x`` at ``indices`` along ``axis`` (of the flattened ``x`` if ``None``),
    like ``np.take``. Differentiable in ``x``; repeated indices add up in the gradient.

    >>> import numpy as np, symgrad as sg
    >>> x = sg.var("x", shape=(4,))
    >>> sg.take(x, [3, 0, 3]).eval({x: np.arange(4.0)}).tolist()
    [3.0, 0.0, 3.0]
    """
    x = as_expr(x)
    if axis is None:
        x, axis = shape_ops.reshape(x, (-1,)), 0
    axis = normalize_axis("take", axis, x.ndim)
    return Take(axis)(x, _index_expr(indices, x, axis, "take"))


def take_along_axis(arr: Any, indices: Any, axis: int | None) -> Expr:
    """``np.take_along_axis``: pick along ``axis`` with an index array of the same ndim
    (sizes elsewhere equal, or 1 to broadcast).

    >>> import numpy as np, symgrad as sg
    >>> x = sg.var("x", shape=(2, 3))
    >>> y = sg.take_along_axis(x, np.array([[2], [0]]), axis=1)
    >>> y.eval({x: np.arange(6.0).reshape(2, 3)}).tolist()
    [[2.0], [3.0]]
    """
    arr = as_expr(arr)
    if axis is None:
        arr, axis = shape_ops.reshape(arr, (-1,)), 0
    axis = normalize_axis("take_along_axis", axis, arr.ndim)
    index = _index_expr(indices, arr, axis, "take_along_axis")
    if index.ndim != arr.ndim:
        raise ShapeError("take_along_axis", f"indices have {index.ndim} dims, the array {arr.ndim}")
    return TakeAlongAxis(axis)(arr, index)


def advanced_getitem(x: Expr, index: Any) -> Expr | None:
    """``x[index]`` for an index with integer arrays or boolean masks (NumPy's advanced
    indexing), or ``None`` if ``index`` is basic.

    NumPy's rules: a boolean mask stands for the integer arrays of its ``nonzero()``; when
    an index has an array, its integers are 0-d arrays too; the arrays broadcast together
    to one shape, which replaces the axes they index, in their place if they are next to
    each other and in front otherwise. Built from a basic index, one gather (``take``),
    reshapes and transposes, so derivatives come from theirs.
    """
    items = index if isinstance(index, tuple) else (index,)
    if not builtins.any(_is_array_index(item) for item in items):
        return None
    entries = _expand(x, items)
    # The basic part first: each advanced entry keeps its axis (or adds one, for x[True]).
    y = shape_ops.getitem(x, tuple(basic for basic, _ in entries))
    axes = [axis for axis, (_, array) in enumerate(entries) if array is not None]
    indices = [_index_expr(entries[axis][1], y, axis, "getitem") for axis in axes]
    if len(axes) == 1:
        return Take(axes[0])(y, indices[0])
    return _gather_many(y, axes, indices)


def _expand(x: Expr, items: tuple[Any, ...]) -> list[tuple[Any, Any]]:
    """The index as one entry per axis of the result of its basic part: the basic item
    (a slice, or ``None`` for a new axis) and the integer array (or int) then read along
    that axis, ``None`` for none. Masks become the integer arrays of their ``nonzero()``,
    ``...`` the slices it stands for."""
    if builtins.sum(1 for item in items if item is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    masks = [_constant_mask(item) for item in items]
    consumed = builtins.sum(
        (1 if mask is None else mask.ndim)
        for item, mask in zip(items, masks)
        if item is not None and item is not Ellipsis
    )
    if consumed > x.ndim:
        raise IndexError(
            f"too many indices for an array of shape {format_shape(x.shape)}: {consumed} given"
        )
    entries: list[tuple[Any, Any]] = []
    axis = 0
    for item, mask in zip(items, masks):
        if item is Ellipsis:
            entries.extend([(slice(None), None)] * (x.ndim - consumed))
            axis += x.ndim - consumed
        elif item is None or isinstance(item, slice):
            entries.append((item, None))
            axis += item is not None
        elif mask is None:
            if isinstance(item, Expr) and item.dtype.kind == "b":
                raise TypeError(
                    "a boolean mask that is an expression gives a shape known only at run "
                    "time; use sg.where(mask, x, 0) (or a NumPy array mask, known when the "
                    "graph is built)"
                )
            entries.append((slice(None), item))
            axis += 1
        elif mask.ndim == 0:  # x[True] adds an axis of 1 (x[False] one of 0), as in NumPy
            entries.append((None, np.zeros(int(mask), dtype=np.int64)))
        else:
            dims = tuple(x.shape[axis : axis + mask.ndim])
            if dims != mask.shape:
                raise IndexError(
                    f"boolean index of shape {mask.shape} does not match the shape "
                    f"{format_shape(dims)} of the axes it indexes in {format_shape(x.shape)}"
                )
            entries.extend((slice(None), where.astype(np.int64)) for where in mask.nonzero())
            axis += mask.ndim
    return entries


def _constant_mask(item: Any) -> np.ndarray | None:
    """``item`` as a boolean array if it is a constant mask, else ``None``."""
    if isinstance(item, (bool, np.bool_)):
        return np.asarray(item)
    if isinstance(item, np.ndarray) and item.dtype.kind == "b":
        return item
    if isinstance(item, list) and not holds_expr(item):
        array = np.asarray(item)
        return array if array.dtype.kind == "b" else None
    return None


def _gather_many(y: Expr, axes: list[int], indices: list[Expr]) -> Expr:
    """``y`` indexed by several integer arrays at ``axes``: those axes moved to the front
    and flattened into one, read at the arrays' flat positions, and the broadcast shape of
    the arrays put where NumPy puts it."""
    sizes = [_concrete(y.shape[a], "getitem") for a in axes]
    rest = [a for a in range(y.ndim) if a not in axes]
    front = shape_ops.transpose(y, tuple(axes) + tuple(rest))
    flat = shape_ops.reshape(front, (math.prod(sizes),) + front.shape[len(axes) :])
    positions = _flat_positions(indices, sizes)
    gathered = Take(0)(flat, positions)
    if axes != list(range(axes[0], axes[0] + len(axes))):
        return gathered  # arrays apart: their shape goes in front
    # arrays side by side: their shape goes where they were, after the axes before them
    b, at = positions.ndim, axes[0]
    order = [*range(b, b + at), *range(b), *range(b + at, gathered.ndim)]
    return shape_ops.transpose(gathered, tuple(order))


def _flat_positions(indices: list[Expr], sizes: list[int]) -> Expr:
    """The positions in the flattened axes that the (non-negative) index arrays read,
    broadcast together: ``i0 * (n1 * n2 ...) + i1 * (n2 ...) + ...``."""
    values = [constant_value(i) for i in indices]
    try:
        shape = broadcast_shapes("getitem", *(i.shape for i in indices))
    except ValueError:
        shapes = " ".join(format_shape(i.shape) for i in indices)
        raise IndexError(
            f"shape mismatch: indexing arrays could not be broadcast together with shapes {shapes}"
        ) from None
    known = [v for v in values if v is not None]
    if len(known) == len(values):  # constant indices, of known shapes
        arrays = tuple(np.broadcast_to(v, concrete("getitem", shape)) for v in known)
        return const(np.ravel_multi_index(arrays, tuple(sizes)).astype(np.int64))
    total: Expr | None = None
    stride = 1
    for index, size in zip(reversed(indices), reversed(sizes)):
        if constant_value(index) is None:  # negative positions count from the end
            index = ew.where(ew.less(index, 0), ew.add(index, size), index)
        term = index if stride == 1 else ew.multiply(index, stride)
        total = term if total is None else ew.add(total, term)
        stride *= size
    assert total is not None
    return shape_ops.broadcast_to(total, shape)


def _is_array_index(item: Any) -> bool:
    """True for the index items that make indexing advanced: integer arrays (also lists,
    and integer expressions, 0-d ones too) and boolean masks."""
    if isinstance(item, Expr):
        return item.ndim > 0 or item.dtype.kind in "biu"
    return isinstance(item, (list, np.ndarray, bool, np.bool_))


# --- reordering -----------------------------------------------------------------------------


def flip(x: Any, axis: Any = None) -> Expr:
    """``x`` reversed along ``axis`` (every axis if ``None``), like ``np.flip``."""
    x = as_expr(x)
    axes = range(x.ndim) if axis is None else _axes("flip", axis, x.ndim)
    index = [slice(None)] * x.ndim
    for a in axes:
        index[a] = slice(None, None, -1)
    return shape_ops.getitem(x, tuple(index))


def fliplr(x: Any) -> Expr:
    """``x`` reversed along axis 1 (``np.fliplr``)."""
    x = as_expr(x)
    if x.ndim < 2:
        raise ShapeError("fliplr", f"needs at least 2 dims, got {format_shape(x.shape)}")
    return flip(x, 1)


def flipud(x: Any) -> Expr:
    """``x`` reversed along axis 0 (``np.flipud``)."""
    x = as_expr(x)
    if x.ndim < 1:
        raise ShapeError("flipud", "needs at least 1 dim")
    return flip(x, 0)


def rot90(x: Any, k: int = 1, axes: tuple[int, int] = (0, 1)) -> Expr:
    """``x`` rotated by 90 degrees ``k`` times in the plane of ``axes`` (``np.rot90``)."""
    x = as_expr(x)
    a, b = _axes("rot90", axes, x.ndim)
    if a == b or len(axes) != 2:
        raise ValueError("rot90: axes must be two different axes")
    k %= 4
    if k == 0:
        return x
    if k == 2:
        return flip(flip(x, a), b)
    order = list(range(x.ndim))
    order[a], order[b] = order[b], order[a]
    if k == 1:
        return shape_ops.transpose(flip(x, b), tuple(order))
    return flip(shape_ops.transpose(x, tuple(order)), b)


def roll(x: Any, shift: Any, axis: Any = None) -> Expr:
    """``x`` shifted cyclically by ``shift`` along ``axis`` (flattened if ``None``)."""
    x = as_expr(x)
    if axis is None:
        return shape_ops.reshape(roll(shape_ops.reshape(x, (-1,)), shift, 0), x.shape)
    shifts = np.broadcast_to(np.asarray(shift), np.shape(axis)).ravel().tolist()
    for s, a in zip(shifts, _axes("roll", axis, x.ndim, unique=False)):
        n = _concrete(x.shape[a], "roll")
        s = int(s) % n if n else 0
        if s:
            head = [slice(None)] * x.ndim
            tail = [slice(None)] * x.ndim
            head[a], tail[a] = slice(n - s, None), slice(None, n - s)
            x = shape_ops.concatenate([x[tuple(head)], x[tuple(tail)]], axis=a)
    return x


def moveaxis(x: Any, source: Any, destination: Any) -> Expr:
    """``x`` with axes moved to new positions, the others in order (``np.moveaxis``)."""
    x = as_expr(x)
    src = _axes("moveaxis", source, x.ndim)
    dst = _axes("moveaxis", destination, x.ndim)
    if len(src) != len(dst):
        raise ValueError("moveaxis: source and destination need the same number of axes")
    order = [a for a in range(x.ndim) if a not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return shape_ops.transpose(x, tuple(order))


def rollaxis(a: Any, axis: int, start: int = 0) -> Expr:
    """``a`` with ``axis`` moved to just before position ``start`` (``np.rollaxis``; prefer
    ``moveaxis``)."""
    x = as_expr(a)
    n = x.ndim
    axis = normalize_axis("rollaxis", axis, n)
    start = start + n if start < 0 else start
    if not 0 <= start < n + 1:
        raise ShapeError("rollaxis", f"start must satisfy {-n} <= start < {n + 1}, got {start}")
    if axis < start:  # counted before the axis was taken out
        start -= 1
    order = [i for i in range(n) if i != axis]
    order.insert(start, axis)
    return shape_ops.transpose(x, tuple(order))


# --- repeating ------------------------------------------------------------------------------


def tile(x: Any, reps: Any) -> Expr:
    """``x`` repeated ``reps`` times along each axis (``np.tile``)."""
    x = as_expr(x)
    reps = tuple(int(r) for r in np.atleast_1d(reps))
    if builtins.any(r < 0 for r in reps):
        raise ValueError("tile: reps must be >= 0")
    ndim = max(len(reps), x.ndim)
    reps = (1,) * (ndim - len(reps)) + reps
    x = shape_ops.reshape(x, (1,) * (ndim - x.ndim) + x.shape)
    spread = shape_ops.reshape(x, tuple(d for n in x.shape for d in (1, n)))
    wide = shape_ops.broadcast_to(spread, tuple(d for r, n in zip(reps, x.shape) for d in (r, n)))
    return shape_ops.reshape(wide, tuple(r * _concrete(n, "tile") for r, n in zip(reps, x.shape)))


def repeat(x: Any, repeats: Any, axis: int | None = None) -> Expr:
    """Each element of ``x`` repeated ``repeats`` times along ``axis`` (``np.repeat``);
    ``repeats`` an int or one count per element."""
    x = as_expr(x)
    if axis is None:
        x, axis = shape_ops.reshape(x, (-1,)), 0
    axis = normalize_axis("repeat", axis, x.ndim)
    counts = np.asarray(repeats)
    if counts.dtype.kind not in "iu" or (counts < 0).any():
        raise ValueError("repeat: repeats must be integers >= 0")
    if counts.ndim == 0:
        n = _concrete(x.shape[axis], "repeat")
        r = int(counts)
        spread = shape_ops.expand_dims(x, axis + 1)
        target = x.shape[: axis + 1] + (r,) + x.shape[axis + 1 :]
        wide = shape_ops.broadcast_to(spread, target)
        return shape_ops.reshape(wide, x.shape[:axis] + (n * r,) + x.shape[axis + 1 :])
    n = _concrete(x.shape[axis], "repeat")
    if counts.shape != (n,):
        raise ShapeError("repeat", f"{counts.size} counts for an axis of size {n}")
    return take(x, np.repeat(np.arange(n), counts), axis=axis)


# --- triangles ------------------------------------------------------------------------------


def tril(x: Any, k: int = 0) -> Expr:
    """``x`` with the elements above the ``k``-th diagonal zeroed (``np.tril``)."""
    return _triangle(x, k, lower=True)


def triu(x: Any, k: int = 0) -> Expr:
    """``x`` with the elements below the ``k``-th diagonal zeroed (``np.triu``)."""
    return _triangle(x, k, lower=False)


def _triangle(x: Any, k: int, lower: bool) -> Expr:
    x = as_expr(x)
    name = "tril" if lower else "triu"
    if x.ndim < 1:
        raise ShapeError(name, "needs at least 1 dim")
    if x.ndim == 1:  # NumPy treats a vector as the rows of a square matrix
        x = shape_ops.broadcast_to(x, (x.shape[0], x.shape[0]))
    m, n = (_concrete(d, name) for d in x.shape[-2:])
    keep = np.tri(m, n, k, dtype=bool) if lower else ~np.tri(m, n, k - 1, dtype=bool)
    return ew.where(const(keep), x, ew.fit(as_expr(0, like=x), x))


# --- joining and splitting ------------------------------------------------------------------


def atleast_1d(*arrays: Any) -> Any:
    """Each input with at least 1 dim (``np.atleast_1d``); one result, or a list."""
    return _atleast(arrays, lambda s: s if s else (1,))


def atleast_2d(*arrays: Any) -> Any:
    """Each input with at least 2 dims: a vector becomes a row (``np.atleast_2d``)."""
    return _atleast(arrays, lambda s: s if len(s) >= 2 else ((1, 1) if not s else (1, *s)))


def atleast_3d(*arrays: Any) -> Any:
    """Each input with at least 3 dims, as ``np.atleast_3d`` places them."""

    def shape(s: Shape) -> Shape:
        if len(s) >= 3:
            return s
        return {0: (1, 1, 1), 1: (1, *s, 1), 2: (*s, 1)}[len(s)]

    return _atleast(arrays, shape)


def _atleast(arrays: Sequence[Any], shape: Any) -> Any:
    out = []
    for a in arrays:
        a = as_expr(a)
        target = shape(a.shape)
        out.append(a if target == a.shape else shape_ops.reshape(a, target))
    return out[0] if len(out) == 1 else out


def vstack(arrays: Sequence[Any]) -> Expr:
    """Stack arrays as rows (``np.vstack``)."""
    return shape_ops.concatenate([atleast_2d(a) for a in _sequence("vstack", arrays)], axis=0)


def hstack(arrays: Sequence[Any]) -> Expr:
    """Stack arrays as columns (``np.hstack``): along axis 0 for vectors, else axis 1."""
    parts = [atleast_1d(a) for a in _sequence("hstack", arrays)]
    return shape_ops.concatenate(parts, axis=0 if parts[0].ndim == 1 else 1)


def dstack(arrays: Sequence[Any]) -> Expr:
    """Stack arrays along a third axis (``np.dstack``)."""
    return shape_ops.concatenate([atleast_3d(a) for a in _sequence("dstack", arrays)], axis=2)


def column_stack(arrays: Sequence[Any]) -> Expr:
    """Vectors as columns of a matrix, matrices as they are (``np.column_stack``)."""
    parts = []
    for a in _sequence("column_stack", arrays):
        a = as_expr(a)
        parts.append(shape_ops.reshape(a, (a.shape[0], 1)) if a.ndim == 1 else atleast_2d(a))
    return shape_ops.concatenate(parts, axis=1)


row_stack = vstack  # NumPy's older name


def append(arr: Any, values: Any, axis: int | None = None) -> Expr:
    """``arr`` with ``values`` added at the end (flattened if ``axis`` is ``None``)."""
    arr, values = as_expr(arr), as_expr(values)
    if axis is None:
        return shape_ops.concatenate(
            [shape_ops.reshape(arr, (-1,)), shape_ops.reshape(values, (-1,))]
        )
    return shape_ops.concatenate([arr, values], axis=axis)


def split(x: Any, indices_or_sections: Any, axis: int = 0) -> list[Expr]:
    """``x`` cut into equal parts, or at the given indices, along ``axis`` (``np.split``)."""
    return _split(x, indices_or_sections, axis, equal=True)


def array_split(x: Any, indices_or_sections: Any, axis: int = 0) -> list[Expr]:
    """Like :func:`split`, but sections may differ in size by one (``np.array_split``)."""
    return _split(x, indices_or_sections, axis, equal=False)


def vsplit(x: Any, indices_or_sections: Any) -> list[Expr]:
    """:func:`split` along the first axis of an array of at least 2 dims (``np.vsplit``)."""
    return _split_at_least("vsplit", x, indices_or_sections, 2, 0)


def hsplit(x: Any, indices_or_sections: Any) -> list[Expr]:
    """:func:`split` along the second axis (the first, for 1-d arrays), like ``np.hsplit``."""
    axis = 1 if as_expr(x).ndim > 1 else 0
    return _split_at_least("hsplit", x, indices_or_sections, 1, axis)


def dsplit(x: Any, indices_or_sections: Any) -> list[Expr]:
    """:func:`split` along the third axis of an array of at least 3 dims (``np.dsplit``)."""
    return _split_at_least("dsplit", x, indices_or_sections, 3, 2)


def _split_at_least(op: str, x: Any, sections: Any, ndim: int, axis: int) -> list[Expr]:
    x = as_expr(x)
    if x.ndim < ndim:
        raise ShapeError(
            op, f"works only on arrays of {ndim} or more dimensions, got {format_shape(x.shape)}"
        )
    return _split(x, sections, axis, equal=True)


def _split(x: Any, sections: Any, axis: int, equal: bool) -> list[Expr]:
    x = as_expr(x)
    name = "split" if equal else "array_split"
    axis = normalize_axis(name, axis, x.ndim)
    n = _concrete(x.shape[axis], name)
    if isinstance(sections, (int, np.integer)):
        count = int(sections)
        if count <= 0:
            raise ValueError(f"{name}: the number of sections must be > 0")
        if equal and n % count:
            raise ValueError(f"{name}: an axis of {n} does not split into {count} equal parts")
        size, extra = divmod(n, count)
        bounds = [0]
        for i in range(count):
            bounds.append(bounds[-1] + size + (1 if i < extra else 0))
    else:
        bounds = [0, *[int(i) for i in sections], n]
    parts = []
    for start, stop in zip(bounds[:-1], bounds[1:]):
        index = [slice(None)] * x.ndim
        index[axis] = slice(start, stop)
        parts.append(shape_ops.getitem(x, tuple(index)))
    return parts


# --- padding --------------------------------------------------------------------------------


def pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = 0) -> Expr:
    """``x`` padded by ``pad_width`` ((before, after) per axis, or one pair or number for
    all) with ``mode`` "constant" (``constant_values``), "edge" or "reflect" (``np.pad``)."""
    x = as_expr(x)
    if mode not in ("constant", "edge", "reflect"):
        raise ValueError(f"pad: mode {mode!r} is not supported; use constant, edge or reflect")
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.ndim, 2))
    if (widths < 0).any():
        raise ValueError("pad: widths must be >= 0")
    for axis, (before, after) in enumerate(widths.tolist()):
        if not before and not after:
            continue
        n = _concrete(x.shape[axis], "pad")
        parts = [_pad_part(x, axis, before, n, mode, constant_values, "before"), x]
        parts.append(_pad_part(x, axis, after, n, mode, constant_values, "after"))
        x = shape_ops.concatenate([p for p in parts if p is not None], axis=axis)
    return x


def _pad_part(
    x: Expr, axis: int, width: int, n: int, mode: str, value: Any, side: str
) -> Expr | None:
    if not width:
        return None
    shape = x.shape[:axis] + (width,) + x.shape[axis + 1 :]
    index = [slice(None)] * x.ndim
    if mode == "constant":
        fill = np.asarray(value)
        if fill.ndim:
            fill = np.broadcast_to(fill, (x.ndim, 2))[axis, 0 if side == "before" else 1]
        return shape_ops.broadcast_to(shape_ops.astype(const(fill), x.dtype), shape)
    if mode == "edge":
        index[axis] = slice(0, 1) if side == "before" else slice(n - 1, n)
        return shape_ops.broadcast_to(x[tuple(index)], shape)
    if width >= n:
        raise ValueError(f"pad: reflect needs a width below the axis size {n}, got {width}")
    stop = n - 2 - width
    index[axis] = (
        slice(width, 0, -1) if side == "before" else slice(n - 2, None if stop < 0 else stop, -1)
    )
    return x[tuple(index)]


# --- helpers --------------------------------------------------------------------------------


def _axes(op: str, axis: Any, ndim: int, unique: bool = True) -> list[int]:
    axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
    out = [normalize_axis(op, int(a), ndim) for a in axes]
    if unique and len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis!r}")
    return out


def _concrete(dim: int | str, op: str) -> int:
    if not isinstance(dim, int):
        raise ShapeError(op, f"needs a known size, got the symbolic dimension {dim!r}")
    return dim


def _sequence(op: str, arrays: Any) -> list[Any]:
    """The arrays to join: a list or tuple of them, or one array, whose items along its
    first axis are the arrays (as NumPy iterates it)."""
    if isinstance(arrays, (Expr, np.ndarray)):
        x = as_expr(arrays)
        if x.ndim == 0:
            raise TypeError(f"{op} takes a sequence of arrays; got a 0-d array")
        return [shape_ops.getitem(x, i) for i in range(_concrete(x.shape[0], op))]
    if not isinstance(arrays, (list, tuple)) or not arrays:
        raise TypeError(f"{op} takes a non-empty list or tuple of arrays")
    return list(arrays)
