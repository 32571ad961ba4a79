"""``cross``: the cross product of 3-vectors (and of 2-vectors, as NumPy extends it), made
of indexing, products and a stack, with NumPy's order of operations."""

from __future__ import annotations

from typing import Any

from ..core.expr import Expr
from ..core.shapes import format_shape, normalize_axis
from ..errors import ShapeError
from . import elementwise as ew
from . import shape_ops
from .arrangement import moveaxis
from .leaves import as_exprs


def _vectors(name: str, x: Expr, axis: int) -> Expr:
    """``x`` with its vector axis last, checked to hold 2- or 3-vectors."""
    if x.ndim == 0:
        raise ShapeError("cross", f"{name} is 0-d; it needs an axis of 2 or 3 components")
    x = moveaxis(x, normalize_axis("cross", axis, x.ndim), -1)
    if x.shape[-1] not in (2, 3):
        raise ShapeError(
            "cross",
            f"incompatible dimensions for cross product (dimension must be 2 or 3): "
            f"{name} has shape {format_shape(x.shape)} with the vectors last",
        )
    return x


def cross(
    a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: int | None = None
) -> Expr:
    """The cross product of the vectors along ``axisa`` of ``a`` and ``axisb`` of ``b``
    (``axis`` sets all three), the result's vectors along ``axisc``, like ``np.cross``.
    Two 2-vectors give the z component only; a 2-vector beside a 3-vector has z = 0.

    >>> import symgrad as sg
    >>> sg.cross(sg.const([1.0, 0.0, 0.0]), sg.const([0.0, 1.0, 0.0])).eval().tolist()
    [0.0, 0.0, 1.0]
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    x, y = as_exprs(a, b)
    x, y = _vectors("a", x, axisa), _vectors("b", y, axisb)
    a0, a1, b0, b1 = x[..., 0], x[..., 1], y[..., 0], y[..., 1]
    z = ew.subtract(ew.multiply(a0, b1), ew.multiply(a1, b0))
    if x.shape[-1] == 2 and y.shape[-1] == 2:
        return z
    if x.shape[-1] == 3 and y.shape[-1] == 3:
        a2, b2 = x[..., 2], y[..., 2]
        parts = [
            ew.subtract(ew.multiply(a1, b2), ew.multiply(a2, b1)),
            ew.subtract(ew.multiply(a2, b0), ew.multiply(a0, b2)),
        ]
    elif x.shape[-1] == 2:  # a2 = 0
        b2 = y[..., 2]
        parts = [ew.multiply(a1, b2), ew.negative(ew.multiply(a0, b2))]
    else:  # b2 = 0
        a2 = x[..., 2]
        parts = [ew.negative(ew.multiply(a2, b1)), ew.multiply(a2, b0)]
    shape = z.shape
    parts = [shape_ops.broadcast_to(p, shape) for p in [*parts, z]]
    c = shape_ops.stack(parts, axis=-1)
    return moveaxis(c, -1, normalize_axis("cross", axisc, c.ndim))
