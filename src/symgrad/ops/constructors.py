"""Arrays made from a shape: ``zeros``, ``ones``, ``full``, ``empty``, their ``*_like``
forms, ``arange``, ``eye``, ``identity`` and ``linspace``, with NumPy's signatures.

Fills are one value broadcast to the shape (no memory per element in the emitted code),
so shapes may be symbolic. ``full`` is differentiable in its fill value, ``linspace`` in its
endpoints; ``empty`` gives zeros (a graph has no uninitialized memory to hand out).
``order``, ``device`` and ``like`` are accepted with their defaults only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.dtypes import as_dtype
from ..core.expr import Expr
from ..core.shapes import normalize_shape
from . import elementwise as ew
from . import shape_ops
from .leaves import Eye, as_expr, as_exprs, const


def _defaults(name: str, order: Any = "C", device: Any = None, like: Any = None) -> None:
    if order not in ("C", "K", "A", None):
        raise ValueError(f"{name}: order={order!r} is not supported (arrays are C-ordered)")
    if device not in (None, "cpu"):
        raise ValueError(f"{name}: device={device!r} is not supported")
    if like is not None:
        raise TypeError(f"{name}: like= is not supported; the result is an expression already")


def _dtype(dtype: Any, default: Any) -> np.dtype:
    return as_dtype(default if dtype is None else dtype)


def full(
    shape: Any,
    fill_value: Any,
    dtype: Any = None,
    order: str = "C",
    *,
    device: Any = None,
    like: Any = None,
) -> Expr:
    """An array of ``shape`` filled with ``fill_value`` (``np.full``); an expression as the
    fill makes the result differentiable in it.

    >>> import symgrad as sg
    >>> c = sg.var("c")
    >>> sg.full((2, 3), c).shape
    (2, 3)
    """
    _defaults("full", order, device, like)
    value = as_expr(fill_value)
    if dtype is not None:
        value = shape_ops.astype(value, as_dtype(dtype))
    elif not isinstance(fill_value, Expr) and np.ndim(fill_value) == 0:
        value = const(np.asarray(fill_value))  # NumPy's dtype for a Python number
    return shape_ops.broadcast_to(value, normalize_shape(shape, "full"))


def zeros(
    shape: Any, dtype: Any = None, order: str = "C", *, device: Any = None, like: Any = None
) -> Expr:
    """Zeros of ``shape`` (``np.zeros``; float64 by default).

    >>> import symgrad as sg
    >>> sg.zeros((2, "n")).shape
    (2, 'n')
    """
    _defaults("zeros", order, device, like)
    return full(shape, np.zeros((), _dtype(dtype, np.float64)))


def ones(
    shape: Any, dtype: Any = None, order: str = "C", *, device: Any = None, like: Any = None
) -> Expr:
    """Ones of ``shape`` (``np.ones``; float64 by default)."""
    _defaults("ones", order, device, like)
    return full(shape, np.ones((), _dtype(dtype, np.float64)))


def empty(
    shape: Any, dtype: Any = None, order: str = "C", *, device: Any = None, like: Any = None
) -> Expr:
    """An array of ``shape`` (``np.empty``): zeros, as a graph has no uninitialized memory."""
    return zeros(shape, dtype, order, device=device, like=like)


def _like(
    name: str, a: Any, dtype: Any, order: Any, shape: Any, device: Any
) -> tuple[Any, np.dtype]:
    """The shape and dtype of the result of ``name(a, ...)``: ``a``'s unless given."""
    _defaults(name, "C" if order == "K" else order, device)
    x = a if isinstance(a, Expr) else np.asarray(a)
    return (x.shape if shape is None else shape), _dtype(dtype, x.dtype)


def full_like(
    a: Any,
    fill_value: Any,
    dtype: Any = None,
    order: str = "K",
    subok: bool = True,
    shape: Any = None,
    *,
    device: Any = None,
) -> Expr:
    """An array of ``a``'s shape and dtype filled with ``fill_value`` (``np.full_like``).
    Only ``a``'s shape and dtype are used: the result does not depend on its values."""
    shape, dtype = _like("full_like", a, dtype, order, shape, device)
    if isinstance(fill_value, Expr):
        value = shape_ops.astype(fill_value, dtype)
    else:
        value = const(np.asarray(fill_value, dtype=dtype))
    return shape_ops.broadcast_to(value, normalize_shape(shape, "full_like"))


def zeros_like(
    a: Any,
    dtype: Any = None,
    order: str = "K",
    subok: bool = True,
    shape: Any = None,
    *,
    device: Any = None,
) -> Expr:
    """Zeros of ``a``'s shape and dtype (``np.zeros_like``)."""
    return full_like(a, 0, dtype, order, subok, shape, device=device)


def ones_like(
    a: Any,
    dtype: Any = None,
    order: str = "K",
    subok: bool = True,
    shape: Any = None,
    *,
    device: Any = None,
) -> Expr:
    """Ones of ``a``'s shape and dtype (``np.ones_like``)."""
    return full_like(a, 1, dtype, order, subok, shape, device=device)


def empty_like(
    prototype: Any,
    /,
    dtype: Any = None,
    order: str = "K",
    subok: bool = True,
    shape: Any = None,
    *,
    device: Any = None,
) -> Expr:
    """An array of ``prototype``'s shape and dtype (``np.empty_like``): zeros."""
    return zeros_like(prototype, dtype, order, subok, shape, device=device)


def arange(
    start_or_stop: Any,
    /,
    stop: Any = None,
    step: Any = 1,
    *,
    dtype: Any = None,
    device: Any = None,
    like: Any = None,
) -> Expr:
    """Evenly spaced values in ``[start, stop)`` (``np.arange``). The bounds must be
    numbers: the length of the result is fixed when the graph is built.

    >>> import symgrad as sg
    >>> sg.arange(1, 7, 2).eval().tolist()
    [1, 3, 5]
    """
    _defaults("arange", "C", device, like)
    bounds = (start_or_stop, stop, step)
    if any(isinstance(b, Expr) for b in bounds):
        raise TypeError(
            "arange: the bounds must be numbers, not expressions: the length of the result "
            "would depend on values known only when the function runs (use linspace with "
            "a fixed num for differentiable endpoints)"
        )
    values = np.arange(start_or_stop, stop, step, dtype=None if dtype is None else as_dtype(dtype))
    return const(values)


def eye(
    N: int,  # noqa: N803 (NumPy's names)
    M: int | None = None,  # noqa: N803
    k: int = 0,
    dtype: Any = float,
    order: str = "C",
    *,
    device: Any = None,
    like: Any = None,
) -> Expr:
    """Ones on the diagonal ``k`` of an ``N`` x ``M`` matrix, zeros elsewhere (``np.eye``).

    >>> import symgrad as sg
    >>> sg.eye(2, k=1).eval().tolist()
    [[0.0, 1.0], [0.0, 0.0]]
    """
    _defaults("eye", order, device, like)
    dt = as_dtype(dtype)
    if (M is None or M == N) and k == 0 and isinstance(N, (int, np.integer)):
        return Eye(int(N), dt)()
    return const(np.eye(N, M, k, dtype=dt))


def identity(n: int, dtype: Any = None, *, like: Any = None) -> Expr:
    """The ``n`` x ``n`` identity matrix (``np.identity``)."""
    return eye(n, dtype=_dtype(dtype, np.float64), like=like)


def linspace(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    retstep: bool = False,
    dtype: Any = None,
    axis: int = 0,
    *,
    device: Any = None,
) -> Any:
    """``num`` evenly spaced values from ``start`` to ``stop`` (``np.linspace``, computed as
    NumPy computes them: ``i * step + start``, the last one ``stop`` itself), differentiable
    in ``start`` and ``stop``, which may be arrays (then the values run along ``axis``).

    >>> import symgrad as sg
    >>> a = sg.var("a")
    >>> sg.linspace(a, 1.0, 3).eval({a: 0.0}).tolist()
    [0.0, 0.5, 1.0]
    >>> sg.grad(sg.linspace(a, 1.0, 3).sum(), a).eval({a: 0.0}).item()
    1.5
    """
    _defaults("linspace", "C", device)
    if not isinstance(num, (int, np.integer)) or isinstance(num, bool) or num < 0:
        raise ValueError(f"linspace: num must be a non-negative int, got {num!r}")
    num = int(num)
    lo, hi = as_exprs(start, stop)
    if lo.dtype.kind != "f" or hi.dtype.kind != "f":
        lo, hi = (shape_ops.astype(v, np.result_type(v.dtype, np.float64)) for v in (lo, hi))
    delta = ew.subtract(hi, lo)
    div = num - 1 if endpoint else num
    steps = const(np.arange(num, dtype=delta.dtype).reshape((-1,) + (1,) * delta.ndim))
    step = ew.divide(delta, float(div)) if div > 0 else None
    y = ew.add(ew.multiply(steps, delta if step is None else step), lo)
    if endpoint and num > 1:
        last = shape_ops.reshape(shape_ops.broadcast_to(hi, y.shape[1:]), (1,) + y.shape[1:])
        y = shape_ops.concatenate([y[: num - 1], shape_ops.astype(last, y.dtype)], axis=0)
    if axis != 0:
        from .arrangement import moveaxis

        y = moveaxis(y, 0, axis)
    if dtype is not None:
        to = as_dtype(dtype)
        y = shape_ops.astype(ew.floor(y) if to.kind in "iu" else y, to)
    if retstep:
        return y, (as_expr(np.nan, like=delta) if step is None else step)
    return y
