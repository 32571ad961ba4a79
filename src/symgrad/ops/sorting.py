"""Sorting: ``sort`` and ``partition``, differentiable through the permutation they apply.

Two ops compute positions: :class:`Argsort` (``np.argsort``) and :class:`Argpartition`
(``np.argpartition``). Integers, with no derivative. ``sort`` and ``partition`` gather the
input at those positions (``take_along_axis``), so their derivative moves each element's
cotangent back to where the element came from; at ties, where the permutation is not
unique, the derivative follows the one NumPy picked.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.expr import Expr
from ..core.shapes import Shape, format_shape, normalize_axis
from ..errors import ShapeError
from . import shape_ops
from .arrangement import take_along_axis
from .base import EmitContext, Op
from .leaves import as_expr

_STABLE_KINDS = ("stable", "mergesort")
_KINDS = (None, "quicksort", "heapsort", *_STABLE_KINDS)


def _check_axis(name: str, x: Expr, axis: int) -> None:
    if not 0 <= axis < x.ndim:
        raise ShapeError(name, f"axis {axis} is out of range for {format_shape(x.shape)}")


@dataclasses.dataclass(frozen=True)
class Argsort(Op):
    """The positions that sort ``x`` along ``axis`` (``np.argsort``); ``stable`` keeps
    equal elements in their order. Integers: no derivative."""

    dask_alternative = (
        "Dask has no sort; topk/argtopk (dask.array) give the k largest values and their "
        "positions, or compute the sort on the NumPy backend"
    )

    name = "argsort"
    differentiable = False
    axis: int
    stable: bool = False

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        (x,) = inputs
        _check_axis(self.name, x, self.axis)
        return x.shape, np.dtype(np.intp)

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        kind = ", kind='stable'" if self.stable else ""
        return f"np.argsort({args[0]}, axis={self.axis}{kind})"

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        return (None,)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        return None


@dataclasses.dataclass(frozen=True)
class Argpartition(Op):
    """Positions that put each ``kth`` element of ``x`` along ``axis`` where it would be
    sorted, smaller ones before it and larger ones after (``np.argpartition``). Integers:
    no derivative."""

    dask_alternative = Argsort.dask_alternative

    name = "argpartition"
    differentiable = False
    kth: tuple[int, ...]
    axis: int

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        (x,) = inputs
        _check_axis(self.name, x, self.axis)
        n = x.shape[self.axis]
        if not isinstance(n, int):
            raise ShapeError(self.name, f"needs a known size along axis {self.axis}, got {n!r}")
        for k in self.kth:
            if not 0 <= k < n:
                raise ShapeError(self.name, f"kth {k} is out of bounds for an axis of size {n}")
        return x.shape, np.dtype(np.intp)

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        kth = self.kth[0] if len(self.kth) == 1 else list(self.kth)
        return f"np.argpartition({args[0]}, {kth}, axis={self.axis})"

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        return (None,)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        return None


# --- functions ------------------------------------------------------------------------------


def _along(name: str, a: Any, axis: int | None) -> tuple[Expr, int]:
    """``a`` as an expression (flattened if ``axis`` is None) and the axis, normalized."""
    x = as_expr(a)
    if axis is None:
        x, axis = shape_ops.reshape(x, (-1,)), 0
    if x.ndim == 0:
        raise ShapeError(name, "cannot sort a 0-d array; give it an axis first")
    return x, normalize_axis(name, axis, x.ndim)


def _stable(name: str, kind: Any, order: Any, stable: Any) -> bool:
    if order is not None:
        raise TypeError(f"{name}: order= sorts structured arrays, which symgrad does not have")
    if kind not in _KINDS:
        raise ValueError(f"{name}: kind must be one of {_KINDS[1:]}, got {kind!r}")
    return bool(stable) or kind in _STABLE_KINDS


def argsort(
    a: Any, axis: int | None = -1, kind: Any = None, order: Any = None, *, stable: Any = None
) -> Expr:
    """The positions that sort ``a`` along ``axis`` (flattened if ``None``), like
    ``np.argsort``. An integer result: it has no derivative.

    >>> import symgrad as sg
    >>> sg.argsort(sg.const([3.0, 1.0, 2.0])).eval().tolist()
    [1, 2, 0]
    """
    x, axis = _along("argsort", a, axis)
    return Argsort(axis, _stable("argsort", kind, order, stable))(x)


def sort(
    a: Any, axis: int | None = -1, kind: Any = None, order: Any = None, *, stable: Any = None
) -> Expr:
    """``a`` sorted along ``axis`` (flattened if ``None``), like ``np.sort``. The derivative
    goes through the permutation: each element's cotangent comes back to where it was.

    >>> import symgrad as sg
    >>> x = sg.var("x", shape=(3,))
    >>> sg.sort(x).eval({x: [3.0, 1.0, 2.0]}).tolist()
    [1.0, 2.0, 3.0]
    >>> sg.grad(sg.sort(x)[0], x).eval({x: [3.0, 1.0, 2.0]}).tolist()
    [0.0, 1.0, 0.0]
    """
    x, axis = _along("sort", a, axis)
    return take_along_axis(x, Argsort(axis, _stable("sort", kind, order, stable))(x), axis)


def _kth(name: str, kth: Any, x: Expr, axis: int) -> tuple[int, ...]:
    n = x.shape[axis]
    if not isinstance(n, int):
        raise ShapeError(name, f"needs a known size along axis {axis}, got {n!r}")
    values = np.atleast_1d(np.asarray(kth))
    if values.dtype.kind not in "iu" or values.ndim != 1:
        raise TypeError(f"{name}: kth must be an int or a sequence of ints, got {kth!r}")
    out = []
    for k in values.tolist():
        if not -n <= k < n:
            raise ValueError(f"{name}: kth(={k}) out of bounds ({n})")
        out.append(k % n)
    return tuple(sorted(set(out)))


def _check_partition_kind(name: str, kind: Any, order: Any) -> None:
    if order is not None:
        raise TypeError(f"{name}: order= sorts structured arrays, which symgrad does not have")
    if kind != "introselect":
        raise ValueError(f"{name}: kind must be 'introselect', got {kind!r}")


def argpartition(
    a: Any, kth: Any, axis: int | None = -1, kind: str = "introselect", order: Any = None
) -> Expr:
    """Positions that partition ``a`` around its ``kth`` smallest element(s) along ``axis``,
    like ``np.argpartition``. An integer result: it has no derivative."""
    _check_partition_kind("argpartition", kind, order)
    x, axis = _along("argpartition", a, axis)
    return Argpartition(_kth("argpartition", kth, x, axis), axis)(x)


def partition(
    a: Any, kth: Any, axis: int | None = -1, kind: str = "introselect", order: Any = None
) -> Expr:
    """``a`` rearranged along ``axis`` so that each ``kth`` element is where it would be
    sorted, smaller ones before it and larger ones after, like ``np.partition`` (the order
    within the parts is NumPy's). The derivative goes through the permutation.

    >>> import symgrad as sg
    >>> float(sg.partition(sg.const([3.0, 1.0, 2.0, 0.5]), 1)[1].eval())
    1.0
    """
    _check_partition_kind("partition", kind, order)
    x, axis = _along("partition", a, axis)
    positions = Argpartition(_kth("partition", kth, x, axis), axis)(x)
    return take_along_axis(x, positions, axis)
