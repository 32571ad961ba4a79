"""Ops that move data without arithmetic: reshape, transpose, broadcast, join, index, cast.

``expand_dims``, ``squeeze``, ``ravel`` and friends are reshapes; ``stack`` and
``concatenate`` are their own ops so the emitted code reads as the user wrote it.
"""

from __future__ import annotations

import builtins
import dataclasses
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from ..core.dtypes import as_dtype, dtype_name
from ..core.expr import Expr
from ..core.shapes import (
    NUMPY_MAX_NDIM,
    Dim,
    Shape,
    broadcast_shapes,
    check_axis,
    concrete,
    format_shape,
    normalize_axes,
    normalize_axis,
    normalize_shape,
    reshape_target,
)
from ..errors import ShapeError
from . import elementwise as ew
from . import reductions
from .base import DaskEmitContext, EmitContext, Op
from .leaves import as_expr, as_exprs


@dataclasses.dataclass(frozen=True)
class Reshape(Op):
    """The same elements in a new shape (``np.reshape``, C order)."""

    name = "reshape"
    dask = True
    fresh = False  # a view
    new_shape: Shape

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        (x,) = inputs
        return reshape_target(self.name, x.shape, self.new_shape), x.dtype

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return f"np.reshape({args[0]}, {ctx.shape(self.new_shape)})"

    def emit_dask(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str | None:
        """Dask reshapes by merging axes into one or splitting one into several; another
        reshape (``(2, 3)`` to ``(3, 2)``) goes through one axis."""
        old = [d for d in node.inputs[0].shape if d != 1]
        new = [d for d in self.new_shape if d != 1]
        if old == new or len(old) <= 1 or len(new) <= 1:
            return None
        return f"da.reshape(da.reshape({args[0]}, (-1,)), {ctx.shape(self.new_shape)})"

    def label(self) -> str:
        return self.name  # the new shape is the node's shape, shown beside the label

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        batch = cotangent.shape[: ew.batch_of(cotangent, node)]
        return (reshape(cotangent, batch + node.inputs[0].shape),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        (t,) = tangents
        if t is None:
            return None
        return reshape(t, t.shape[: ew.batch_of(t, node.inputs[0])] + node.shape)

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        return args[0].reshape(concrete(self.name, self.new_shape))


@dataclasses.dataclass(frozen=True)
class Transpose(Op):
    """Permute axes (``np.transpose``)."""

    name = "transpose"
    dask = True
    fresh = False  # a view
    axes: tuple[int, ...]

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        (x,) = inputs
        if sorted(self.axes) != list(range(x.ndim)):
            raise ShapeError(
                self.name,
                f"axes {self.axes} are not a permutation of the "
                f"{x.ndim} axes of {format_shape(x.shape)}",
            )
        return tuple(x.shape[a] for a in self.axes), x.dtype

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        if self.axes == (1, 0):
            return f"{args[0]}.T"
        return f"np.transpose({args[0]}, {self.axes})"

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        inverse = tuple(np.argsort(self.axes).tolist())
        return (_batched_transpose(cotangent, inverse, ew.batch_of(cotangent, node)),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        (t,) = tangents
        if t is None:
            return None
        return _batched_transpose(t, self.axes, ew.batch_of(t, node.inputs[0]))

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        return np.transpose(args[0], self.axes)


_DASK_BROADCAST_HELPER = '''\
def _broadcast_to(x, shape, chunks):
    """`x` broadcast to `shape` as a Dask array: along the axes it has, in its own chunks;
    along those it is repeated on, in `chunks` (not in one chunk of the whole)."""
    x = da.asarray(x)
    lead = len(shape) - x.ndim
    own = [None] * lead + [c if n > 1 else None for c, n in zip(x.chunks, x.shape)]
    chunks = tuple(c if o is None else o for c, o in zip(chunks, own))
    chunks = da.core.normalize_chunks(chunks, shape, dtype=x.dtype)
    return da.broadcast_to(x, shape, chunks=chunks)
'''


@dataclasses.dataclass(frozen=True)
class BroadcastTo(Op):
    """Repeat along new or size-1 axes to reach a shape (``np.broadcast_to``)."""

    name = "broadcast_to"
    dask = True
    dask_helpers = {"_broadcast_to": _DASK_BROADCAST_HELPER}
    fresh = False  # a read-only view
    target: Shape

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        (x,) = inputs
        if (
            len(self.target) < x.ndim
            or broadcast_shapes(self.name, x.shape, self.target) != self.target
        ):
            raise ShapeError(
                self.name,
                f"cannot broadcast {format_shape(x.shape)} to {format_shape(self.target)}",
            )
        return self.target, x.dtype

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return f"np.broadcast_to({args[0]}, {ctx.shape(self.target)})"

    def emit_dask(self, node: Expr, args: Sequence[str], ctx: DaskEmitContext) -> str:
        target = self.target
        return f"_broadcast_to({args[0]}, {ctx.shape(target)}, {ctx.chunks(target)})"

    def label(self) -> str:
        return self.name

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        batch = ew.batch_of(cotangent, node)
        return (reductions.sum_to(cotangent, node.inputs[0].shape, batch),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        (t,) = tangents
        return None if t is None else ew.fit(t, node, ew.batch_of(t, node.inputs[0]))

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        return np.broadcast_to(args[0], concrete(self.name, self.target))


@dataclasses.dataclass(frozen=True)
class Cast(Op):
    """Convert to another dtype (``x.astype(dtype)``); only float-to-float casts pass
    derivatives."""

    name = "astype"
    elementwise = True
    to: np.dtype

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        (x,) = inputs
        return x.shape, self.to

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return f"{args[0]}.astype(np.{self.to.name})"

    def label(self) -> str:
        return f"astype({self.to.name})"

    def emit_float(self, node: Expr, args: Sequence[str]) -> str | None:
        return f"float({args[0]})" if self.to == np.float64 else None

    def _passes_derivatives(self, x: Expr) -> bool:
        return x.dtype.kind in "fc" and self.to.kind in "fc"

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        x = node.inputs[0]
        if not self._passes_derivatives(x):
            return (None,)
        return (astype(_real_for(cotangent, x.dtype), x.dtype),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        (t,) = tangents
        if t is None or not self._passes_derivatives(node.inputs[0]):
            return None
        return astype(_real_for(t, self.to), self.to)

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        if self.to.kind == "b":
            return args[0]
        if node.inputs[0].dtype.kind == "b":  # a condition becomes the number 1 or 0
            return np.vectorize(_sympy_indicator, otypes=[object])(args[0])
        return np.vectorize(lambda v: v, otypes=[object])(args[0])


def _real_for(value: Expr, dtype: np.dtype) -> Expr:
    """The real part of a complex ``value`` bound for a real ``dtype`` (a real number moves
    only the real part), else ``value``: ``astype`` from complex to real would drop the
    imaginary part with a warning."""
    if value.dtype.kind == "c" and dtype.kind != "c":
        from .elementwise import real

        return real(value)
    return value


def _sympy_indicator(condition: Any) -> Any:
    import sympy

    if condition in (sympy.true, sympy.false, True, False):
        return sympy.Integer(1 if condition else 0)
    return sympy.Piecewise((sympy.Integer(1), condition), (sympy.Integer(0), True))


@dataclasses.dataclass(frozen=True)
class Concatenate(Op):
    """Join arrays along an existing axis (``np.concatenate``)."""

    name = "concatenate"
    dask = True
    axis: int

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        if not inputs:
            raise ShapeError(self.name, "need at least one array")
        first = inputs[0]
        check_axis(self.name, self.axis, first.ndim)
        total = 0
        for x in inputs:
            if x.ndim != first.ndim or builtins.any(
                a != b for i, (a, b) in enumerate(zip(x.shape, first.shape)) if i != self.axis
            ):
                shapes = ", ".join(format_shape(x.shape) for x in inputs)
                raise ShapeError(self.name, f"shapes {shapes} differ off axis {self.axis}")
            size = x.shape[self.axis]
            if not isinstance(size, int):
                raise ShapeError(self.name, f"cannot join along the symbolic dimension {size!r}")
            total += size
        shape = first.shape[: self.axis] + (total,) + first.shape[self.axis + 1 :]
        return shape, np.result_type(*(x.dtype for x in inputs))

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return f"np.concatenate([{', '.join(args)}], axis={self.axis})"

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        out, start = [], 0
        lead = (slice(None),) * (self.axis + ew.batch_of(cotangent, node))
        for x in node.inputs:
            size = x.shape[self.axis]
            assert isinstance(size, int)  # (infer refuses symbolic sizes along the axis)
            stop = start + size
            part = getitem(cotangent, lead + (slice(start, stop),))
            out.append(astype(_real_for(part, x.dtype), x.dtype) if x.dtype.kind in "fc" else None)
            start = stop
        return out

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        batch, parts = _joined_tangents(node, tangents)
        return None if parts is None else Concatenate(self.axis + len(batch))(*parts)

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        return np.concatenate(args, axis=self.axis)


@dataclasses.dataclass(frozen=True)
class Stack(Op):
    """Join arrays of one shape along a new axis (``np.stack``)."""

    name = "stack"
    dask = True
    axis: int

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        if not inputs:
            raise ShapeError(self.name, "need at least one array")
        first = inputs[0]
        for x in inputs:
            if x.shape != first.shape:
                shapes = ", ".join(format_shape(x.shape) for x in inputs)
                raise ShapeError(self.name, f"all inputs must have one shape, got {shapes}")
        if not 0 <= self.axis <= first.ndim:
            raise ShapeError(self.name, f"axis {self.axis} out of range")
        shape = first.shape[: self.axis] + (len(inputs),) + first.shape[self.axis :]
        return shape, np.result_type(*(x.dtype for x in inputs))

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return f"np.stack([{', '.join(args)}], axis={self.axis})"

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        lead = (slice(None),) * (self.axis + ew.batch_of(cotangent, node))
        return [
            astype(_real_for(getitem(cotangent, lead + (i,)), x.dtype), x.dtype)
            if x.dtype.kind in "fc"
            else None
            for i, x in enumerate(node.inputs)
        ]

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        batch, parts = _joined_tangents(node, tangents)
        return None if parts is None else Stack(self.axis + len(batch))(*parts)

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        return np.stack(args, axis=self.axis)


def _batched_transpose(x: Expr, axes: tuple[int, ...], batch: int) -> Expr:
    return transpose(x, tuple(range(batch)) + tuple(a + batch for a in axes))


def _joined_tangents(
    node: Expr, tangents: Sequence[Expr | None]
) -> tuple[Shape, list[Expr] | None]:
    """Tangents of the inputs of a join, zeros where absent, in the output's dtype."""
    first = next(((t, x) for t, x in zip(tangents, node.inputs) if t is not None), None)
    if first is None:
        return (), None
    batch = first[0].shape[: ew.batch_of(*first)]
    parts = [
        zeros(batch + x.shape, node.dtype) if t is None else astype(t, node.dtype)
        for x, t in zip(node.inputs, tangents)
    ]
    return batch, parts


# --- basic indexing -------------------------------------------------------------------------

# An index item: ("int", i) | ("slice", start, stop, step) | ("new",). Slices are stored as
# tuples because slice objects are not hashable before Python 3.12.
IndexItem = (
    tuple[Literal["int"], int]
    | tuple[Literal["slice"], int | None, int | None, int | None]
    | tuple[Literal["new"]]
)
_FULL: tuple[IndexItem, ...] = (("slice", None, None, None),)


def _index_text(items: tuple[IndexItem, ...]) -> str:
    parts = []
    for item in items:
        if item[0] == "int":
            parts.append(str(item[1]))
        elif item[0] == "new":
            parts.append("None")
        else:
            start, stop, step = (("" if v is None else str(v)) for v in item[1:])
            parts.append(f"{start}:{stop}" + (f":{step}" if step else ""))
    if not parts:
        return "()"
    return ", ".join(parts)


def _as_slice(item: IndexItem) -> Any:
    if item[0] == "int":
        return item[1]
    if item[0] == "new":
        return None
    return slice(*item[1:])


@dataclasses.dataclass(frozen=True)
class GetItem(Op):
    """Basic indexing: integers, slices and ``None`` (``x[1:, 0]``, ``x[..., None]``)."""

    name = "getitem"
    dask = True  # basic indexing: slices, ints, new axes
    fresh = False  # a view
    items: tuple[IndexItem, ...]

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        (x,) = inputs
        return indexed_shape(x.shape, self.items), x.dtype

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return f"{args[0]}[{_index_text(self.items)}]"

    def label(self) -> str:
        return f"[{_index_text(self.items)}]"

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        x = node.inputs[0]
        batch = cotangent.shape[: ew.batch_of(cotangent, node)]
        return (Scatter(_FULL * len(batch) + self.items, batch + x.shape)(cotangent),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        (t,) = tangents
        if t is None:
            return None
        return GetItem(_FULL * ew.batch_of(t, node.inputs[0]) + self.items)(t)

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        return np.asarray(args[0][tuple(_as_slice(i) for i in self.items)], dtype=object)


_SCATTER_HELPER = '''\
def _scatter(value, shape, index):
    """Zeros of `shape` with `value` written at `index` (the reverse of indexing)."""
    out = np.zeros(shape, dtype=value.dtype)
    out[index] = value
    return out
'''


def _dask_write(items: tuple[IndexItem, ...], value: str) -> tuple[str, str]:
    """Writing ``value`` at ``items`` on Dask, which writes at slices and integers only: a
    new axis of the index is instead an axis of length 1 taken out of the value."""
    if not any(item[0] == "new" for item in items):
        return value, _index_text(items)
    axes = [":" if item[0] == "slice" else "0" for item in items if item[0] != "int"]
    return f"{value}[{', '.join(axes)}]", _index_text(tuple(i for i in items if i[0] != "new"))


_DASK_SCATTER_HELPER = '''\
def _scatter(value, shape, index, chunks):
    """Dask zeros of `shape` (in `chunks`) with `value` written at `index` (the reverse of
    indexing)."""
    out = da.zeros(shape, dtype=value.dtype, chunks=chunks)
    out[index] = value
    return out
'''


@dataclasses.dataclass(frozen=True)
class Scatter(Op):
    """Zeros of ``shape`` with the input written at a basic index: the reverse of ``GetItem``."""

    name = "scatter"
    items: tuple[IndexItem, ...]
    target: Shape
    helpers = {"_scatter": _SCATTER_HELPER}
    dask = True
    dask_helpers = {"_scatter": _DASK_SCATTER_HELPER}

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        (g,) = inputs
        expected = indexed_shape(self.target, self.items)
        if g.shape != expected:
            raise ShapeError(
                self.name,
                f"value of shape {format_shape(g.shape)} does not fit "
                f"index [{_index_text(self.items)}] of "
                f"{format_shape(self.target)}",
            )
        return self.target, g.dtype

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return (
            f"_scatter(np.asarray({args[0]}), {ctx.shape(self.target)}, "
            f"np.s_[{_index_text(self.items)}])"
        )

    def emit_dask(self, node: Expr, args: Sequence[str], ctx: DaskEmitContext) -> str:
        value, index = _dask_write(self.items, f"da.asarray({args[0]})")
        target = self.target
        return f"_scatter({value}, {ctx.shape(target)}, np.s_[{index}], {ctx.chunks(target)})"

    def emit_placement(self, node: Expr, ctx: EmitContext) -> tuple[str, str] | None:
        zeros = f"np.zeros({ctx.shape(self.target)}, np.{dtype_name(node.dtype)})"
        return zeros, f"[{_index_text(self.items)}]"

    def label(self) -> str:
        return f"scatter[{_index_text(self.items)}]"

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        return (GetItem(_FULL * ew.batch_of(cotangent, node) + self.items)(cotangent),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        (t,) = tangents
        if t is None:
            return None
        batch = t.shape[: ew.batch_of(t, node.inputs[0])]
        return Scatter(_FULL * len(batch) + self.items, batch + self.target)(t)

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        import sympy

        out = np.full(concrete(self.name, self.target), sympy.Integer(0), dtype=object)
        out[tuple(_as_slice(i) for i in self.items)] = args[0]
        return out


_SCATTER_ADD_HELPER = '''\
def _scatter_add(out, index, value):
    """`out + scatter(value)`, in place: `value` added at `index`, and 0.0 elsewhere (which
    turns a -0.0 there into +0.0, as the sum does)."""
    out[index] += value
    if out.dtype.kind == "f":
        for part in _outside(out.shape, index):
            out[part] += 0.0
    return out


def _outside(shape, index):
    """Indices of the blocks of an array of `shape` that the basic `index` leaves out."""
    items = [i for i in (index if isinstance(index, tuple) else (index,)) if i is not None]
    parts, inside = [], ()
    for axis, item in enumerate(items):
        n = shape[axis]
        if isinstance(item, slice):
            start, stop, step = item.indices(n)
            if step != 1:
                outside = np.ones(shape, dtype=bool)
                outside[index] = False
                return [outside]
            stop = max(stop, start)
        else:
            start = item % n
            stop = start + 1
        if start > 0:
            parts.append(inside + (slice(0, start),))
        if stop < n:
            parts.append(inside + (slice(stop, n),))
        inside += (slice(start, stop),)
    return parts
'''


_DASK_SCATTER_ADD_HELPER = '''\
def _scatter_add(base, index, value):
    """A new Dask array: `base` with `value` added at `index`."""
    out = da.asarray(base).copy()
    out[index] = out[index] + value
    return out
'''


@dataclasses.dataclass(frozen=True)
class ScatterAdd(Op):
    """``base + scatter(value)``: ``base`` with ``value`` added at a basic index, without
    the array of zeros (adding 0.0 elsewhere only turns -0.0 into +0.0, and does so)."""

    name = "scatter_add"
    items: tuple[IndexItem, ...]
    helpers = {"_scatter_add": _SCATTER_ADD_HELPER}
    dask = True
    dask_helpers = {"_scatter_add": _DASK_SCATTER_ADD_HELPER}

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        base, value = inputs
        expected = indexed_shape(base.shape, self.items)
        if value.shape != expected or value.dtype != base.dtype:
            raise ShapeError(
                self.name,
                f"value {format_shape(value.shape)} {value.dtype} does "
                f"not fit index [{_index_text(self.items)}] of "
                f"{format_shape(base.shape)} {base.dtype}",
            )
        return base.shape, base.dtype

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return f"_scatter_add(np.array({args[0]}), np.s_[{_index_text(self.items)}], {args[1]})"

    def emit_dask(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        value, index = _dask_write(self.items, f"da.asarray({args[1]})")
        return f"_scatter_add({args[0]}, np.s_[{index}], {value})"

    def emit_into(self, node: Expr, args: Sequence[str], out: str) -> str | None:
        if out != args[0]:
            return None
        return f"_scatter_add({out}, np.s_[{_index_text(self.items)}], {args[1]})"

    def label(self) -> str:
        return f"scatter_add[{_index_text(self.items)}]"

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        batch = ew.batch_of(cotangent, node)
        return cotangent, GetItem(_FULL * batch + self.items)(cotangent)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        t_base, t_value = tangents
        if t_value is None:
            return t_base
        batch = t_value.shape[: ew.batch_of(t_value, node.inputs[1])]
        if t_base is None:
            return Scatter(_FULL * len(batch) + self.items, batch + node.shape)(t_value)
        return ScatterAdd(_FULL * len(batch) + self.items)(t_base, t_value)

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        out = np.array(args[0], dtype=object)
        out[tuple(_as_slice(i) for i in self.items)] += args[1]
        return out


def normalize_index(index: Any, shape: Shape) -> tuple[IndexItem, ...]:
    """Check a basic index against ``shape``; expand ``...``; return hashable items."""
    if not isinstance(index, tuple):
        index = (index,)
    used = builtins.sum(1 for i in index if i is not None and i is not Ellipsis)
    if builtins.sum(1 for i in index if i is Ellipsis) > 1:
        raise ShapeError("getitem", "an index can only have a single ellipsis ('...')")
    if used > len(shape):
        raise ShapeError(
            "getitem", f"too many indices ({used}) for an array of shape {format_shape(shape)}"
        )
    items: list[IndexItem] = []
    for i in index:
        if i is Ellipsis:
            items.extend([("slice", None, None, None)] * (len(shape) - used))
        elif i is None:
            items.append(("new",))
        elif isinstance(i, slice):
            parts = [i.start, i.stop, i.step]
            for p in parts:
                if p is not None and (not hasattr(p, "__index__") or isinstance(p, bool)):
                    raise TypeError(f"slice bounds must be ints or None, got {p!r}")
            start, stop, step = (None if p is None else int(p.__index__()) for p in parts)
            if step == 0:
                raise ShapeError("getitem", "slice step cannot be zero")
            items.append(("slice", start, stop, None if step == 1 else step))
        elif hasattr(i, "__index__") and not isinstance(i, (bool, Expr, np.ndarray)):
            items.append(("int", int(i.__index__())))
        else:
            raise TypeError(
                f"index {i!r:.40} of type {type(i).__name__} is not supported: use ints, "
                "slices, None and ... (integer-array and mask indexing are not supported yet)"
            )
    return tuple(items)


def indexed_shape(shape: Shape, items: tuple[IndexItem, ...]) -> Shape:
    out: list[Dim] = []
    axis = 0
    for item in items:
        if item[0] == "new":
            out.append(1)
            continue
        dim = shape[axis]
        if item[0] == "int":
            i = item[1]
            if isinstance(dim, int) and not -dim <= i < dim:
                raise ShapeError(
                    "getitem", f"index {i} is out of bounds for axis {axis} with size {dim}"
                )
        elif isinstance(dim, int):
            out.append(len(range(*slice(*item[1:]).indices(dim))))
        elif item[1:] in ((None, None, None), (None, None, -1)):  # all of it, or reversed
            out.append(dim)
        else:
            raise ShapeError(
                "getitem",
                f"cannot slice the symbolic dimension {dim!r} with "
                f"{slice(*item[1:])!r}; only ':' and '::-1' keep it",
            )
        axis += 1
    out.extend(shape[axis:])
    return tuple(out)


@dataclasses.dataclass(frozen=True)
class Size(Op):
    """The product of some dimensions as a 0-d value (for means over symbolic sizes)."""

    name = "size"
    dask = True
    differentiable = False
    dims: Shape
    as_dtype: np.dtype

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        if inputs:
            raise ShapeError(self.name, "takes no inputs")
        return (), self.as_dtype

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        product = " * ".join(ctx.dim(d) for d in self.dims) or "1"
        return f"np.{self.as_dtype.name}({product})"

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        return ()

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        return None

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        import sympy

        return np.asarray(
            sympy.Mul(*(sympy.Symbol(str(d)) if isinstance(d, str) else d for d in self.dims)),
            dtype=object,
        )


# --- functions ------------------------------------------------------------------------------


def reshape(x: Any, shape: Any) -> Expr:
    """``x`` with a new shape (one entry may be -1), like ``np.reshape``.

    >>> import symgrad as sg
    >>> sg.reshape(sg.var("x", shape=(2, 3)), (3, -1)).shape
    (3, 2)
    """
    x = as_expr(x)
    target = _reshape_arg(shape)
    resolved = reshape_target("reshape", x.shape, target)
    if resolved == x.shape:
        return x
    return Reshape(resolved)(x)


def _reshape_arg(shape: Any) -> Shape:
    if isinstance(shape, (int, str)):
        shape = (shape,)
    out: list[Dim] = []
    for d in shape:
        if isinstance(d, int) and d == -1:
            out.append(-1)
        else:
            out.extend(normalize_shape((d,), "reshape"))
    if len(out) > NUMPY_MAX_NDIM:
        raise ShapeError("reshape", f"{len(out)} dimensions; NumPy allows {NUMPY_MAX_NDIM}")
    return tuple(out)


def transpose(x: Any, axes: Any = None) -> Expr:
    """Permute the axes (reverse them by default), like ``np.transpose``."""
    x = as_expr(x)
    if axes is None:
        perm = tuple(reversed(range(x.ndim)))
    else:
        perm = tuple(normalize_axis("transpose", a, x.ndim) for a in axes)
    if perm == tuple(range(x.ndim)):
        return x
    return Transpose(perm)(x)


def swapaxes(x: Any, axis1: int, axis2: int) -> Expr:
    x = as_expr(x)
    perm = list(range(x.ndim))
    a, b = normalize_axis("swapaxes", axis1, x.ndim), normalize_axis("swapaxes", axis2, x.ndim)
    perm[a], perm[b] = perm[b], perm[a]
    return transpose(x, perm)


def broadcast_to(x: Any, shape: Any) -> Expr:
    """``x`` repeated to ``shape`` by NumPy's broadcasting rules (``np.broadcast_to``)."""
    x = as_expr(x)
    target = normalize_shape(shape, "broadcast_to", x.dtype.itemsize, NUMPY_MAX_NDIM)
    if target == x.shape:
        return x
    return BroadcastTo(target)(x)


def zeros(shape: Shape, dtype: Any = "float64") -> Expr:
    """An array of zeros (a broadcast 0, which costs no memory)."""
    return broadcast_to(as_expr(np.zeros((), as_dtype(dtype))), shape)


def astype(x: Any, dtype: Any) -> Expr:
    """``x`` converted to ``dtype``."""
    x = as_expr(x)
    to = as_dtype(dtype)
    return x if x.dtype == to else Cast(to)(x)


def expand_dims(x: Any, axis: Any) -> Expr:
    """Insert size-1 axes at ``axis`` (an int or tuple), like ``np.expand_dims``."""
    x = as_expr(x)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    axes = normalize_axes("expand_dims", axes, x.ndim + len(axes))
    dims = iter(x.shape)
    shape = tuple(1 if i in axes else next(dims) for i in range(x.ndim + len(axes)))
    return reshape(x, shape)


def squeeze(x: Any, axis: Any = None) -> Expr:
    """Remove size-1 axes (all of them, or those in ``axis``), like ``np.squeeze``."""
    x = as_expr(x)
    if axis is None:
        axes = tuple(i for i, d in enumerate(x.shape) if d == 1)
    else:
        axes = normalize_axes("squeeze", axis, x.ndim)
        for a in axes:
            if x.shape[a] != 1:
                raise ShapeError(
                    "squeeze",
                    f"cannot select an axis to squeeze out which has "
                    f"size {x.shape[a]!r} (axis {a} of "
                    f"{format_shape(x.shape)})",
                )
    return reshape(x, tuple(d for i, d in enumerate(x.shape) if i not in axes))


def concatenate(arrays: Sequence[Any], axis: int | None = 0) -> Expr:
    """Join arrays along an existing axis, like ``np.concatenate``."""
    xs = _join_inputs("concatenate", arrays)
    if axis is None:
        xs = tuple(reshape(x, (-1,)) for x in xs)
        axis = 0
    if xs[0].ndim == 0:
        raise ShapeError("concatenate", "zero-dimensional arrays cannot be concatenated")
    return Concatenate(normalize_axis("concatenate", axis, xs[0].ndim))(*xs)


def stack(arrays: Sequence[Any], axis: int = 0) -> Expr:
    """Join arrays of one shape along a new axis, like ``np.stack``."""
    xs = _join_inputs("stack", arrays)
    return Stack(normalize_axis("stack", axis, xs[0].ndim + 1))(*xs)


def _join_inputs(op: str, arrays: Sequence[Any]) -> tuple[Expr, ...]:
    if isinstance(arrays, Expr) or not isinstance(arrays, (list, tuple)):
        raise TypeError(f"{op} takes a list or tuple of arrays")
    if not arrays:
        raise ShapeError(op, "need at least one array")
    return as_exprs(*arrays, op=op)


def getitem(x: Any, index: Any) -> Expr:
    """Indexing: basic (``x[1:]``, ``x[0]``, ``x[:, 2]``, ``x[..., None]``), and with one
    integer array or boolean mask among slices (``x[[2, 0]]``, ``x[:, idx]``, ``x[mask]``)."""
    x = as_expr(x)
    from .arrangement import advanced_getitem

    gathered = advanced_getitem(x, index)
    if gathered is not None:
        return gathered
    items = normalize_index(index, x.shape)
    if builtins.all(i == ("slice", None, None, None) for i in items):
        return x
    return GetItem(items)(x)
