"""Discrete linear convolution and correlation of one-dimensional arrays (``np.convolve``,
``np.correlate``, modes ``'full'``, ``'same'`` and ``'valid'``).

One op, :class:`Convolve`, computes the full convolution along the last axis (leading
axes broadcast, for the batched cotangents and tangents of Jacobians); the modes are
slices of it, and ``correlate(a, v)`` is the convolution of ``a`` with ``v`` reversed and
conjugated, which NumPy's results are, offsets included. The convolution is bilinear, so
its derivatives are convolutions again: for ``y = a * v`` (length ``n + m - 1``), the
cotangent of ``a`` is the cotangent of ``y`` convolved with ``v`` reversed, cut to the
``n`` positions ``a`` reaches (``m - 1`` on), and likewise for ``v``. With the complex
convention of docs/numpy.md these take no conjugate.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.expr import Expr
from ..core.shapes import Shape, broadcast_shapes, format_shape
from ..errors import ShapeError
from . import elementwise as ew
from . import shape_ops
from .base import EmitContext, Op
from .leaves import as_expr
from .reductions import sum_to

__all__ = ["convolve", "correlate"]

_CONVOLVE_HELPER = '''\
def _convolve(a, v):
    """The full convolution of a and v along their last axes (the other axes broadcast)."""
    m = v.shape[-1]
    padded = np.pad(a, [(0, 0)] * (a.ndim - 1) + [(m - 1, m - 1)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, m, axis=-1)
    return np.einsum("...km,...m->...k", windows, v[..., ::-1])
'''

_MODES = ("full", "same", "valid")


def _length(op: str, x: Expr, what: str) -> int:
    if x.ndim == 0:
        raise ShapeError(op, f"{what} must have at least one axis, got a 0-d array")
    n = x.shape[-1]
    if not isinstance(n, int):
        raise ShapeError(op, f"{what} needs a known length, got {n!r}")
    if n == 0:
        raise ShapeError(op, f"{what} cannot be empty")
    return n


@dataclasses.dataclass(frozen=True)
class Convolve(Op):
    """The full discrete convolution of ``a`` and ``v`` along their last axes, length
    ``n + m - 1`` (``np.convolve(a, v)``); the other axes broadcast."""

    dask_alternative = "compute the convolution on the NumPy backend"

    name = "convolve"
    helpers = {"_convolve": _CONVOLVE_HELPER}
    commutative = True

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        a, v = inputs
        n, m = _length(self.name, a, "a"), _length(self.name, v, "v")
        for x in (a, v):
            if x.dtype.kind not in "iufc":
                raise TypeError(f"{self.name}: {x.dtype} values; convolve numbers")
        lead = broadcast_shapes(self.name, a.shape[:-1], v.shape[:-1])
        return lead + (n + m - 1,), np.result_type(a.dtype, v.dtype)

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        a, v = node.inputs
        if a.ndim == 1 and v.ndim == 1:
            return f"np.convolve({args[0]}, {args[1]})"
        return f"_convolve({args[0]}, {args[1]})"

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        a, v = node.inputs
        batch = ew.batch_of(cotangent, node)
        return (_back(cotangent, v, a, batch), _back(cotangent, a, v, batch))

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        a, v = node.inputs
        ta, tv = tangents
        parts = []
        if ta is not None:
            parts.append(Convolve()(ew.lift(ta, a.ndim, node.ndim), v))
        if tv is not None:
            parts.append(Convolve()(a, ew.lift(tv, v.ndim, node.ndim)))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else ew.add(parts[0], parts[1])

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        a, v = args
        lead = np.broadcast_shapes(a.shape[:-1], v.shape[:-1])
        a = np.broadcast_to(a, lead + a.shape[-1:])
        v = np.broadcast_to(v, lead + v.shape[-1:])
        n, m = a.shape[-1], v.shape[-1]
        out = np.empty(lead + (n + m - 1,), dtype=np.object_)
        for index in np.ndindex(*lead):
            for k in range(n + m - 1):
                terms = [a[index + (i,)] * v[index + (k - i,)] for i in range(n) if 0 <= k - i < m]
                out[index + (k,)] = sum(terms[1:], terms[0])
        return out


def _reversed(x: Expr) -> Expr:
    return shape_ops.getitem(x, (Ellipsis, slice(None, None, -1)))


def _window(x: Expr, start: int, length: int) -> Expr:
    """``x[..., start : start + length]``, or ``x`` where that is all of it."""
    if start == 0 and x.shape[-1] == length:
        return x
    return shape_ops.getitem(x, (Ellipsis, slice(start, start + length)))


def _back(g: Expr, other: Expr, x: Expr, batch: int) -> Expr:
    """The cotangent of the operand ``x`` of ``convolve(x, other)`` (either order)."""
    m = other.shape[-1]
    assert isinstance(m, int)
    n = x.shape[-1]
    assert isinstance(n, int)
    back = _window(Convolve()(g, _reversed(other)), m - 1, n)
    return sum_to(back, x.shape, batch)


def _mode(name: str, mode: Any) -> str:
    if mode not in _MODES:
        raise ValueError(f"{name}: mode must be one of {_MODES}, got {mode!r}")
    return str(mode)


def _one_dimensional(name: str, a: Any, v: Any) -> tuple[Expr, Expr]:
    x, y = as_expr(a), as_expr(v)
    for what, e in (("a", x), ("v", y)):
        if e.ndim != 1:
            raise ShapeError(
                name, f"{what} must be one-dimensional, got shape {format_shape(e.shape)}"
            )
    return x, y


def convolve(a: Any, v: Any, mode: str = "full") -> Expr:
    """The discrete linear convolution of the one-dimensional ``a`` and ``v``, like
    ``np.convolve``: ``'full'`` (length ``n + m - 1``), ``'same'`` (``max(n, m)``, centred)
    or ``'valid'`` (where they overlap completely, ``max(n, m) - min(n, m) + 1``).
    Differentiable in both.

    >>> import symgrad as sg
    >>> a = sg.var("a", shape=(3,))
    >>> sg.convolve(a, [1.0, -1.0]).eval({a: [1.0, 2.0, 4.0]}).tolist()
    [1.0, 1.0, 2.0, -4.0]
    >>> sg.grad(sg.convolve(a, [1.0, -1.0], "valid").sum(), a).eval({a: [1.0, 2.0, 4.0]}).tolist()
    [-1.0, 0.0, 1.0]
    """
    mode = _mode("convolve", mode)
    x, y = _one_dimensional("convolve", a, v)
    return _cut(Convolve()(x, y), x.shape[0], y.shape[0], mode, swapped_same=False)


def correlate(a: Any, v: Any, mode: str = "valid") -> Expr:
    """The cross-correlation of the one-dimensional ``a`` and ``v``, like ``np.correlate``:
    ``c[k] = sum_n a[n + k] * conj(v[n])``, modes as for ``convolve`` (``'valid'`` by
    default, as NumPy). Differentiable in both.

    >>> import symgrad as sg
    >>> sg.correlate(sg.const([1.0, 2.0, 3.0]), [0.0, 1.0]).eval().tolist()
    [2.0, 3.0]
    """
    mode = _mode("correlate", mode)
    x, y = _one_dimensional("correlate", a, v)
    if y.dtype.kind == "c":
        y = ew.conj(y)
    full = Convolve()(x, _reversed(y))
    return _cut(full, x.shape[0], y.shape[0], mode, swapped_same=True)


def _cut(full: Expr, n: Any, m: Any, mode: str, swapped_same: bool) -> Expr:
    """The part of a full convolution that ``mode`` keeps, at NumPy's offsets (its
    correlation centres ``'same'`` one place later when ``v`` is the longer)."""
    assert isinstance(n, int) and isinstance(m, int)
    short, long = min(n, m), max(n, m)
    if mode == "full":
        return full
    if mode == "valid":
        return _window(full, short - 1, long - short + 1)
    start = short // 2 if swapped_same and n < m else (short - 1) // 2
    return _window(full, start, long)
