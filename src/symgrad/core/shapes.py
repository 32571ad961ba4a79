"""Shapes with concrete (int) and symbolic (str) dimensions, and the rules ops share.

A symbolic dimension such as ``"n"`` is bound when a compiled function is called; two
dimensions with the same name are the same size. Rules here are strict where a symbolic
size could make a shape ambiguous: they raise rather than guess.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TypeGuard

from ..errors import ShapeError

Dim = int | str
Shape = tuple[Dim, ...]

#: The most dimensions a declared shape (a variable's, a reshape or broadcast target) may
#: have: a Jacobian or Hessian puts two such shapes side by side, and NumPy arrays have at
#: most 64 dimensions.
MAX_NDIM = 32
#: NumPy's own limit, for every array the graph computes.
NUMPY_MAX_NDIM = 64
#: The largest array NumPy can hold, in bytes (and so the largest size of one dimension).
MAX_BYTES = sys.maxsize


def format_shape(shape: Shape) -> str:
    """``(3,)``-style text for a shape, symbolic dims unquoted: ``(n, 3)``."""
    inner = ", ".join(str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def normalize_shape(
    shape: object, op: str = "var", itemsize: int = 8, max_ndim: int = MAX_NDIM
) -> Shape:
    """Check a user-given shape and return it as a tuple of ints and strings.

    At most ``max_ndim`` dimensions, sizes >= 0, and no more elements (of ``itemsize``
    bytes) than NumPy can hold."""
    if isinstance(shape, (int, str)) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        # Any iterable will do; tuple() itself rejects the rest, with the message below.
        dims: tuple[object, ...] = tuple(shape)  # type: ignore[arg-type]
    except TypeError:
        raise ShapeError(
            op, f"a shape must be a tuple of ints and strings, got {shape!r:.80}"
        ) from None
    if len(dims) > max_ndim:
        why = f" (so that its derivatives fit in NumPy's {NUMPY_MAX_NDIM})"
        why *= max_ndim < NUMPY_MAX_NDIM
        raise ShapeError(op, f"a shape has at most {max_ndim} dimensions{why}, got {len(dims)}")
    out: list[Dim] = []
    for d in dims:
        if isinstance(d, str):
            if not d:
                raise ShapeError(op, "a symbolic dimension needs a non-empty name")
            out.append(d)
        elif hasattr(d, "__index__") and not isinstance(d, bool):
            size = int(d.__index__())
            if size < 0:
                raise ShapeError(op, f"dimension sizes must be >= 0, got {size} in {shape!r}")
            out.append(size)
        else:
            raise ShapeError(
                op, f"dimension {d!r:.40} in {shape!r:.80} is neither an int nor a name"
            )
    result = tuple(out)
    check_extent(op, result, itemsize)
    return result


def check_extent(op: str, shape: Shape, itemsize: int) -> None:
    """Raise ShapeError if NumPy cannot hold an array of ``shape`` (its known sizes) with
    elements of ``itemsize`` bytes, or it has more dimensions than NumPy allows."""
    if len(shape) > NUMPY_MAX_NDIM:
        raise ShapeError(
            op, f"the result would have {len(shape)} dimensions; NumPy allows {NUMPY_MAX_NDIM}"
        )
    total = itemsize
    for d in shape:
        if type(d) is int:
            total *= d
    if total > MAX_BYTES:
        raise ShapeError(
            op,
            f"an array of shape {format_shape(shape)} would need {total} bytes; NumPy arrays "
            "hold at most 2**63 - 1",
        )


def check_canonical_axes(op: str, axes: tuple[int, ...], ndim: int) -> None:
    """Raise ShapeError unless ``axes`` are sorted, distinct axes of an ``ndim``-d array, as
    the functions that build ops make them (for ops built directly, e.g. from a file)."""
    if not all(0 <= a < ndim for a in axes) or any(a >= b for a, b in zip(axes, axes[1:])):
        raise ShapeError(
            op,
            f"axes {axes} must be distinct, sorted axes of the {ndim}-d input (0 to {ndim - 1})",
        )


def check_axis(op: str, axis: int, ndim: int) -> None:
    """Raise ShapeError unless ``axis`` is one of the axes ``0 .. ndim - 1``."""
    if not 0 <= axis < ndim:
        raise ShapeError(op, f"axis {axis} is out of range for a {ndim}-d input (0 to {ndim - 1})")


def is_concrete(shape: Shape) -> TypeGuard[tuple[int, ...]]:
    """Whether every dimension of ``shape`` is a known size (no symbolic names)."""
    return all(isinstance(d, int) for d in shape)


def concrete(op: str, shape: Shape) -> tuple[int, ...]:
    """``shape``, where the op needs every dimension to be a known size (to build an array
    of that shape): ShapeError naming the op otherwise."""
    if not is_concrete(shape):
        raise ShapeError(op, f"needs known sizes, not the symbolic shape {format_shape(shape)}")
    return shape


def broadcast_shapes(op: str, *shapes: Shape) -> Shape:
    """NumPy broadcasting; a symbolic dim broadcasts only with 1 or with itself."""
    if len(shapes) == 2 and shapes[0] == shapes[1]:  # the common case, on every binary op
        return shapes[0]
    ndim = max((len(s) for s in shapes), default=0)
    out: list[Dim] = []
    for axis in range(-ndim, 0):
        dim: Dim = 1
        for s in shapes:
            if len(s) < -axis:
                continue
            d = s[axis]
            if d == 1 or d == dim:
                continue
            if dim == 1:
                dim = d
            else:
                listing = " and ".join(format_shape(s) for s in shapes)
                raise ShapeError(
                    op, f"shapes {listing} cannot be broadcast together (dimension {dim} vs {d})"
                )
        out.append(dim)
    return tuple(out)


def normalize_axes(op: str, axis: int | Sequence[int] | None, ndim: int) -> tuple[int, ...]:
    """Axes as sorted non-negative ints; ``None`` means every axis."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not isinstance(a, int) or isinstance(a, bool):
            raise ShapeError(op, f"axis must be an int or a tuple of ints, got {axis!r}")
        if not -ndim <= a < ndim:
            raise ShapeError(op, f"axis {a} is out of bounds for an array of {ndim} dimensions")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ShapeError(op, f"repeated axis in {axis!r}")
    return tuple(sorted(out))


def normalize_axis(op: str, axis: int, ndim: int) -> int:
    """One axis as a non-negative int."""
    return normalize_axes(op, axis, ndim)[0]


def size_of(shape: Iterable[Dim]) -> tuple[int, Counter[str]]:
    """The number of elements as a monomial: (integer factor, symbolic factors)."""
    factor, names = 1, Counter[str]()
    for d in shape:
        if isinstance(d, int):
            factor *= d
        else:
            names[d] += 1
    return factor, names


def same_size(a: Shape, b: Shape) -> bool:
    fa, na = size_of(a)
    fb, nb = size_of(b)
    return fa == fb and (fa == 0 or na == nb)


def reshape_target(op: str, source: Shape, target: Shape) -> Shape:
    """Resolve a reshape target (ints, names and at most one -1) against ``source``."""
    unknown = [i for i, d in enumerate(target) if d == -1]
    if len(unknown) > 1:
        raise ShapeError(op, f"can only specify one unknown dimension (-1), got {target!r}")
    for d in target:
        if isinstance(d, int) and d < -1:
            raise ShapeError(op, f"invalid dimension {d} in {target!r}")
    if unknown:
        known = [d for d in target if d != -1]
        fs, ns = size_of(source)
        fk, nk = size_of(known)
        rest = ns - nk
        if nk - ns or fk == 0 or fs % fk:
            raise ShapeError(op, f"cannot reshape {format_shape(source)} into {target!r}")
        quotient = fs // fk
        if not rest:
            inferred: Dim = quotient
        elif quotient == 1 and sum(rest.values()) == 1:
            inferred = next(iter(rest))
        else:
            raise ShapeError(
                op,
                f"cannot infer -1 in {target!r} from {format_shape(source)} "
                "as a single dimension; give the sizes explicitly",
            )
        target = target[: unknown[0]] + (inferred,) + target[unknown[0] + 1 :]
    if not same_size(source, target):
        raise ShapeError(
            op,
            f"cannot reshape an array of shape {format_shape(source)} "
            f"into shape {format_shape(target)}",
        )
    return target
