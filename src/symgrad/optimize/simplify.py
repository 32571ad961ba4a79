"""Algebraic simplification: identities that hold for every value, inf and nan included.

``x * 0`` is *not* rewritten (inf * 0 is nan), nor anything that would change a shape or a
dtype; ``x + 0`` may turn a -0.0 into itself instead of +0.0, which compares equal.
"""

from __future__ import annotations

import numpy as np

from ..core.expr import Expr
from ..core.shapes import broadcast_shapes, size_of
from ..errors import ShapeError
from ..ops import elementwise as ew
from ..ops import linalg, reductions, shape_ops
from ..ops.leaves import Constant, as_expr, const
from .patterns import fill_value, is_fill, same_type


def _other_if(node: Expr, value: float, commutative: bool = True) -> Expr | None:
    """For ``a op b``: the other operand where one is the constant ``value`` (only ``b`` for
    a non-commutative op), if it can stand for the result."""
    a, b = node.inputs
    if is_fill(b, value) and same_type(a, node):
        return a
    if commutative and is_fill(a, value) and same_type(b, node):
        return b
    return None


def simplify(node: Expr) -> Expr | None:
    op = node.op
    if op.accepts_weak_scalars:
        found = _unbroadcast_operand(node)
        if found is not None:
            return found
    if op.elementwise:
        found = _broadcast_outward(node)
        if found is not None:
            return found
    if isinstance(op, ew.StopGradient):
        return node.inputs[0]  # derivatives are already built; at run time it is the identity
    if isinstance(op, ew.Multiply):
        found = _other_if(node, 1.0)
        if found is None:
            found = _merge_powers_of_two(node)
        return found if found is not None else _negation_outward(node)
    if isinstance(op, ew.Add):
        a, b = node.inputs
        if a is b and a.dtype.kind == "f":  # x + x is exactly 2 * x
            return ew.multiply(2.0, a)
        if isinstance(b.op, ew.Negative):  # a + (-b) is exactly a - b
            return _if_same_type(ew.subtract(a, b.inputs[0]), node)
        if isinstance(a.op, ew.Negative):
            return _if_same_type(ew.subtract(b, a.inputs[0]), node)
        found = _scatter_then_add(node)
        return found if found is not None else _other_if(node, 0.0)
    if isinstance(op, ew.Subtract):
        a, b = node.inputs
        if isinstance(b.op, ew.Negative):  # a - (-b) is exactly a + b
            return _if_same_type(ew.add(a, b.inputs[0]), node)
        return _other_if(node, 0.0, commutative=False)
    if isinstance(op, ew.Divide):
        return _other_if(node, 1.0, commutative=False)
    if isinstance(op, ew.Power):
        found = _cube_as_square_times(node)
        return found if found is not None else _other_if(node, 1.0, commutative=False)
    if isinstance(op, ew.Negative):
        if isinstance(node.inputs[0].op, ew.Negative):
            return node.inputs[0].inputs[0]
        return _negated_factor(node)
    if isinstance(op, shape_ops.Transpose) and isinstance(node.inputs[0].op, shape_ops.Transpose):
        inner = node.inputs[0]
        perm = tuple(inner.op.axes[a] for a in op.axes)
        return shape_ops.transpose(inner.inputs[0], perm)
    if isinstance(op, shape_ops.Reshape) and isinstance(node.inputs[0].op, shape_ops.BroadcastTo):
        found = _reshaped_fill(node)
        if found is not None:
            return found
    if isinstance(op, (shape_ops.Reshape, shape_ops.BroadcastTo)) and type(
        node.inputs[0].op
    ) is type(op):
        source = node.inputs[0].inputs[0]  # reshape of a reshape: one reshape (same for
        return source if same_type(source, node) else op(source)  # broadcasts)
    if isinstance(op, reductions.Sum):
        if isinstance(node.inputs[0].op, ew.Negative):  # the sum of -x is exactly -sum(x)
            return _if_same_type(ew.negative(op(node.inputs[0].inputs[0])), node)
        return _sum_of_fill(node)
    if isinstance(op, linalg.Matmul):
        return _outer_product(node)
    return None


def _scatter_then_add(node: Expr) -> Expr | None:
    """``scatter(v, index) + y`` to ``y`` with ``v`` added at ``index``: no array of zeros,
    no full-size addition."""
    for s_, y in (node.inputs, node.inputs[::-1]):
        if isinstance(s_.op, shape_ops.Scatter) and same_type(y, node) and same_type(s_, node):
            return shape_ops.ScatterAdd(s_.op.items)(y, s_.inputs[0])
    return None


def _if_same_type(candidate: Expr, node: Expr) -> Expr | None:
    return candidate if same_type(candidate, node) else None


def _negation_outward(node: Expr) -> Expr | None:
    """``(-a) * b`` to ``-(a * b)`` (exactly equal), so that a following ``+`` can absorb
    the negation as a ``-``; ``(-a) * (-b)`` to ``a * b``."""
    a, b = node.inputs
    negated_a, negated_b = isinstance(a.op, ew.Negative), isinstance(b.op, ew.Negative)
    if negated_a and negated_b:
        return _if_same_type(ew.multiply(a.inputs[0], b.inputs[0]), node)
    if negated_a or negated_b:
        inner = ew.multiply(a.inputs[0], b) if negated_a else ew.multiply(a, b.inputs[0])
        return _if_same_type(ew.negative(inner), node)
    return None


def _negated_factor(node: Expr) -> Expr | None:
    """``-(c * t)`` to ``(-c) * t`` for a float constant ``c``: exactly equal, and one pass
    over the array fewer (gradients are full of such negated products)."""
    inner = node.inputs[0]
    if not isinstance(inner.op, ew.Multiply) or node.dtype.kind != "f":
        return None
    for i, c in enumerate(inner.inputs):
        if isinstance(c.op, Constant) and c.ndim == 0 and c.dtype.kind == "f":
            negated = Constant(-c.op.value, weak=c.op.weak)()
            factors = (negated, inner.inputs[1]) if i == 0 else (inner.inputs[0], negated)
            return _if_same_type(ew.multiply(*factors), node)
    return None


def _unbroadcast_operand(node: Expr) -> Expr | None:
    """An elementwise op broadcasts by itself: an operand ``broadcast_to(s, shape)`` can be
    ``s`` when the other operands still give the result its shape."""
    for i, x in enumerate(node.inputs):
        if isinstance(x.op, shape_ops.BroadcastTo):
            source = x.inputs[0]
            others = [y.shape for j, y in enumerate(node.inputs) if j != i]
            try:
                shape = broadcast_shapes(node.op.name, source.shape, *others)
            except ShapeError:
                continue
            if shape == node.shape:
                inputs = node.inputs[:i] + (source,) + node.inputs[i + 1 :]
                return node.op(*inputs)
    return None


def _broadcast_outward(node: Expr) -> Expr | None:
    """An elementwise op whose array operands are all broadcasts, the others 0-d, computed
    on the broadcasts' sources and broadcast after: the same values, computed once per
    source element (the gradient of a mean is such a broadcast, divided by a count)."""
    inputs = node.inputs
    if not any(isinstance(x.op, shape_ops.BroadcastTo) for x in inputs) or not all(
        x.ndim == 0 or isinstance(x.op, shape_ops.BroadcastTo) for x in inputs
    ):
        return None
    sources = tuple(_single_as_scalar(x.inputs[0]) if x.ndim else x for x in inputs)
    try:
        inner = node.op(*sources)
    except ShapeError:
        return None
    if inner.dtype != node.dtype:
        return None
    return shape_ops.broadcast_to(inner, node.shape)


def _single_as_scalar(x: Expr) -> Expr:
    """``x`` as a 0-d value if it holds a single element (a constant of shape (1,) folds)."""
    factor, symbolic = size_of(x.shape)
    return shape_ops.reshape(x, ()) if factor == 1 and not symbolic else x


def _reshaped_fill(node: Expr) -> Expr | None:
    """A reshape of a broadcast single value: that value broadcast to the new shape."""
    source = _single_as_scalar(node.inputs[0].inputs[0])
    if source.ndim:
        return None
    return shape_ops.broadcast_to(source, node.shape)


def _outer_product(node: Expr) -> Expr | None:
    """A matrix product over an axis of size 1 is an elementwise product (the same single
    multiplication per element), without a BLAS call."""
    a, b = node.inputs
    if a.ndim >= 2 and b.ndim >= 2 and a.shape[-1] == 1:
        product = ew.multiply(a, b)
        if same_type(product, node):
            return product
    return None


def _scale(node: Expr) -> tuple[float, Expr] | None:
    """(c, x) if ``node`` is ``c * x`` with ``c`` a 0-d constant."""
    if not isinstance(node.op, ew.Multiply):
        return None
    for c, x in (node.inputs, node.inputs[::-1]):
        value = fill_value(c)
        if c.ndim == 0 and value is not None and isinstance(c.op, Constant):
            return value, x
    return None


def _cube_as_square_times(node: Expr) -> Expr | None:
    """``x ** 3`` to ``x ** 2 * x``: the product ``x * x * x`` it is emitted as anyway, with
    the square shared with any ``x ** 2`` (a polynomial and its derivative have both)."""
    x, exponent = node.inputs
    if not (isinstance(exponent.op, Constant) and exponent.ndim == 0):
        return None
    if exponent.op.value.item() != 3 or node.dtype != x.dtype or node.dtype.kind != "f":
        return None
    return ew.multiply(ew.power(x, as_expr(2, like=exponent)), x)


def _is_power_of_two(value: float) -> bool:
    return abs(value) >= 1 and np.frexp(value)[0] in (0.5, -0.5)


def _merge_powers_of_two(node: Expr) -> Expr | None:
    """``c1 * (c2 * x)`` to ``(c1 * c2) * x`` where one of them is a power of two of at
    least 1: scaling by it is exact and commutes with rounding, so the merged product is
    bitwise the same (``c1 * c2`` itself is then exact too). Floats only: the constants
    are read as Python floats, which would turn an integer product into a float one."""
    if node.dtype.kind != "f":
        return None
    outer = _scale(node)
    inner = None if outer is None else _scale(outer[1])
    if outer is None or inner is None or not same_type(inner[1], node):
        return None
    if not (_is_power_of_two(outer[0]) or _is_power_of_two(inner[0])):
        return None
    return _if_same_type(ew.multiply(as_expr(outer[0] * inner[0], like=node), inner[1]), node)


def _sum_of_fill(node: Expr) -> Expr | None:
    """The sum of a broadcast scalar (or of a constant fill) is that scalar times the number
    of elements summed."""
    x = node.inputs[0]
    if isinstance(x.op, shape_ops.BroadcastTo) and x.inputs[0].ndim == 0:
        scalar = x.inputs[0]
    else:
        value = fill_value(x)
        if value is None or x.ndim == 0 or isinstance(x.op, Constant):
            return None
        scalar = const(np.asarray(value, dtype=node.dtype))
    if scalar.dtype != node.dtype:
        return None
    total = ew.multiply(scalar, reductions.count(x, node.op.axes, node.dtype))
    return shape_ops.broadcast_to(total, node.shape) if node.shape else total
