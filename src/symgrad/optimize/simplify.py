"""Algebraic simplification: identities that hold for every value, inf, nan and the sign of
zero included (IEEE 754 arithmetic, as NumPy computes it).

So ``x * 0`` is *not* rewritten (inf * 0 is nan), ``x + 0.0`` is not either (-0.0 + 0.0 is
+0.0, and the sign of zero shows in ``1 / x`` and ``arctan2``), while ``x - 0.0`` and
``x + (-0.0)`` are (both give ``x`` for every ``x``); nor is anything that would change a
shape or a dtype.
"""

from __future__ import annotations

import fractions

import numpy as np

from ..core.expr import Expr
from ..core.shapes import broadcast_shapes, is_concrete, size_of
from ..errors import ShapeError
from ..ops import contractions, linalg, reductions, shape_ops
from ..ops import elementwise as ew
from ..ops.base import Op
from ..ops.leaves import Constant, Eye, as_expr, const
from .patterns import diagonal, fill_value, is_fill, same_type, zero_sign
from .rewrite import Pass


def _other_if(node: Expr, value: float, commutative: bool = True) -> Expr | None:
    """For ``a op b``: the other operand where one is the constant ``value`` (only ``b`` for
    a non-commutative op), if it can stand for the result."""
    a, b = node.inputs
    if is_fill(b, value) and same_type(a, node):
        return a
    if commutative and is_fill(a, value) and same_type(b, node):
        return b
    return None


def _identity_operand(node: Expr) -> Expr | None:
    """``x * 1``, ``1 * x``, ``x / 1`` and ``x ** 1``: ``x``, for every ``x``."""
    return _other_if(node, 1.0, commutative=isinstance(node.op, ew.Multiply))


def _plus_zero(node: Expr) -> Expr | None:
    """``x + (-0.0)`` is ``x`` for every ``x``; ``x + 0.0`` only where ``x`` cannot be -0.0
    (integers), since -0.0 + 0.0 is +0.0."""
    a, b = node.inputs
    for x, zero in ((a, b), (b, a)):
        sign = zero_sign(zero)
        if sign is not None and same_type(x, node) and (sign < 0 or x.dtype.kind in "biu"):
            return x
    return None


def _minus_zero(node: Expr) -> Expr | None:
    """``x - 0.0`` is ``x`` for every ``x`` (-0.0 - 0.0 is -0.0); ``x - (-0.0)`` is
    ``x + 0.0``, which is not."""
    a, b = node.inputs
    sign = zero_sign(b)
    if sign is not None and same_type(a, node) and (sign > 0 or a.dtype.kind in "biu"):
        return a
    return None


def _double_sum(node: Expr) -> Expr | None:
    """``x + x`` is exactly ``2 * x`` (floats; for integers both may overflow alike, but
    the rewrite gains nothing there)."""
    a, b = node.inputs
    if a is b and a.dtype.kind == "f":
        return ew.multiply(2.0, a)
    return None


def _added_negation(node: Expr) -> Expr | None:
    """``a + (-b)`` and ``(-b) + a`` are exactly ``a - b``."""
    a, b = node.inputs
    if isinstance(b.op, ew.Negative):
        return _if_same_type(ew.subtract(a, b.inputs[0]), node)
    if isinstance(a.op, ew.Negative):
        return _if_same_type(ew.subtract(b, a.inputs[0]), node)
    return None


def _subtracted_negation(node: Expr) -> Expr | None:
    """``a - (-b)`` is exactly ``a + b``."""
    a, b = node.inputs
    if isinstance(b.op, ew.Negative):
        return _if_same_type(ew.add(a, b.inputs[0]), node)
    return None


def _without_stop_gradient(node: Expr) -> Expr:
    """Derivatives are already built; at run time ``stop_gradient`` is the identity."""
    return node.inputs[0]


def _double_negation(node: Expr) -> Expr | None:
    inner = node.inputs[0]
    return inner.inputs[0] if isinstance(inner.op, ew.Negative) else None


def _transpose_of_transpose(node: Expr) -> Expr | None:
    inner = node.inputs[0]
    if not isinstance(node.op, shape_ops.Transpose) or not isinstance(
        inner.op, shape_ops.Transpose
    ):
        return None
    perm = tuple(inner.op.axes[a] for a in node.op.axes)
    return shape_ops.transpose(inner.inputs[0], perm)


def _reshape_of_reshape(node: Expr) -> Expr | None:
    """A reshape of a reshape is one reshape (and a broadcast of a broadcast one broadcast)."""
    op = node.op
    if type(node.inputs[0].op) is not type(op):
        return None
    source = node.inputs[0].inputs[0]
    return source if same_type(source, node) else op(source)


def _takes_weak_scalars(op_class: type[Op]) -> bool:
    """Elementwise arithmetic, which broadcasts its operands by itself."""
    return op_class.accepts_weak_scalars


def _elementwise(op_class: type[Op]) -> bool:
    """Ops computing each element from the operands' elements at its position."""
    return op_class.elementwise


def _sum_of_negation(node: Expr) -> Expr | None:
    """The sum of ``-x`` is exactly ``-sum(x)`` (one negation of the total, not of each
    element)."""
    (x,) = node.inputs
    return _if_same_type(ew.negative(node.op(x.inputs[0])), node)


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


def _diagonal_product(node: Expr) -> Expr | None:
    """A matrix product with a diagonal matrix made from the identity (a Jacobian's seeds,
    scaled) scales the rows or columns of the other side: ``n`` products per row instead of
    ``n^2``, and no nan from the zeros off the diagonal (see ``patterns.diagonal``)."""
    a, b = node.inputs
    d = diagonal(a)
    if d is not None and b.ndim >= 1:
        scale = d if b.ndim == 1 or d.ndim == 0 else shape_ops.reshape(d, (d.shape[0], 1))
        return _if_same_type(ew.multiply(scale, b), node)
    d = diagonal(b)
    if d is not None and a.ndim >= 1:
        return _if_same_type(ew.multiply(a, d), node)
    return None


def _diagonal_matrix(node: Expr) -> Expr | None:
    """A matrix made from the identity by elementwise scaling (``eye * v * w``, as the
    seeds of a Jacobian become through elementwise ops) is the diagonal matrix of the
    scaled diagonal: ``n`` multiplications per step instead of ``n^2``, and exact zeros off
    the diagonal (no 0 * inf there; see ``patterns.diagonal``)."""
    d = diagonal(node)
    if d is None:
        return None
    n = node.shape[0]
    values = shape_ops.broadcast_to(d, (n,)) if d.ndim == 0 else d
    if values.dtype != node.dtype:
        return None
    return contractions.DiagEmbed(0, 0, 1, node.shape)(values)


def _diagonal_einsum(node: Expr) -> Expr | None:
    """An einsum that is a matrix product with a diagonal matrix made from the identity:
    the same scaling of rows or columns as for ``matmul``."""
    product = contractions.as_matrix_product(node)
    if product is None or (diagonal(product[0]) is None and diagonal(product[1]) is None):
        return None
    return _diagonal_product(linalg.matmul(*product))


def _diagonal_sum(node: Expr) -> Expr | None:
    """``m + d`` with ``d`` a diagonal matrix made from the identity: ``m`` with the
    diagonal added, ``n`` additions instead of ``n^2`` (see ``patterns.diagonal``)."""
    for d_matrix, m in (node.inputs, node.inputs[::-1]):
        d = diagonal(d_matrix)
        if d is not None and same_type(m, node) and same_type(d_matrix, node):
            values = shape_ops.broadcast_to(d, node.shape[:1]) if d.ndim == 0 else d
            if values.dtype == node.dtype:
                return contractions.AddDiagonal()(m, values)
    return None


def _scale(node: Expr) -> tuple[float, Expr] | None:
    """(c, x) if ``node`` is ``c * x`` with ``c`` a 0-d constant."""
    if not isinstance(node.op, ew.Multiply):
        return None
    for c, x in (node.inputs, node.inputs[::-1]):
        if isinstance(c.op, Constant) and c.ndim == 0:
            return c.op.value.item(), x
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
    """``a * (b * x)`` to ``(a * b) * x`` where that is bitwise the same for every ``x``:
    ``a * b`` is finite and either ``b`` is a power of two and ``|a| >= 1`` (``b * x`` is
    exact, or overflows where ``(a * b) * x`` does too), or ``a`` is a power of two of at
    least 1 and ``b`` a whole number (``b * x`` then rounds at most once, in the normal
    range, where scaling by a power of two commutes with rounding; a fraction such as 1.5
    could round a subnormal product). Floats only: the constants are read as Python floats,
    which would turn an integer product into a float one."""
    if node.dtype.kind != "f":
        return None
    outer = _scale(node)
    inner = None if outer is None else _scale(outer[1])
    if outer is None or inner is None or not same_type(inner[1], node):
        return None
    a, b = outer[0], inner[0]
    with np.errstate(over="ignore"):
        merged = np.multiply(np.asarray(a, node.dtype), np.asarray(b, node.dtype))
    if not np.isfinite(merged):
        return None
    exact = (_is_power_of_two(b) and abs(a) >= 1) or (
        _is_power_of_two(a) and float(b).is_integer() and abs(b) >= 1
    )
    if not exact:
        return None
    return _if_same_type(ew.multiply(as_expr(float(merged), like=node), inner[1]), node)


def _sum_of_fill(node: Expr) -> Expr | None:
    """The sum of a constant fill (a broadcast constant, typically) is the constant times
    the number of elements summed, where that product is exact: then every partial sum is
    exact too, so NumPy's sum in any order gives the same bits. (A sum of zeros is +0.0,
    even of -0.0s.)"""
    x = node.inputs[0]
    if not isinstance(node.op, reductions.Sum) or isinstance(x.op, Constant):
        return None  # an array constant's sums are left to constant folding
    value = fill_value(x)
    if value is None or node.dtype.kind not in "fiu":
        return None
    reduced = tuple(x.shape[a] for a in node.op.axes)
    if value == 0:
        total: float | int = 0
    elif not is_concrete(reduced):
        return None
    else:
        count = int(np.prod(reduced, dtype=np.int64))
        exact = _exact_multiple(value, count, node.dtype)
        if exact is None:
            return None
        total = exact
    return shape_ops.broadcast_to(const(np.asarray(total, dtype=node.dtype)), node.shape)


def _exact_multiple(value: float | int, count: int, dtype: np.dtype) -> float | int | None:
    """``value * count`` if it and every smaller multiple of ``value`` are exact in
    ``dtype`` (so any order of additions gives it); ``None`` otherwise."""
    if dtype.kind in "iu":
        total = int(value) * count
        info = np.iinfo(dtype)
        return total if info.min <= total <= info.max and int(value) == value else None
    if not np.isfinite(value):
        return None
    mantissa = fractions.Fraction(value).numerator  # value = mantissa / 2**k
    if abs(mantissa) * count >= 2 ** (np.finfo(dtype).nmant + 1):
        return None
    product = fractions.Fraction(value) * count
    result = np.asarray(float(product), dtype=dtype)
    return (
        float(result)
        if np.isfinite(result) and fractions.Fraction(float(result)) == product
        else None
    )


#: Constants, as rules see them: possibly reshaped or broadcast.
_CONSTANT = (Constant, shape_ops.BroadcastTo, shape_ops.Reshape)
_NEGATION = (ew.Negative,)
#: What a diagonal matrix made from the identity is built of.
_DIAGONAL = (Eye, contractions.DiagEmbed, ew.Multiply, ew.Divide, ew.Negative)

simplify = Pass(
    "simplify",
    [
        # (the ops a rule rewrites, the rule, the ops one of the inputs must be)
        (_takes_weak_scalars, _unbroadcast_operand, (shape_ops.BroadcastTo,)),
        (_elementwise, _broadcast_outward, (shape_ops.BroadcastTo,)),
        (ew.StopGradient, _without_stop_gradient),
        (ew.Multiply, _identity_operand, _CONSTANT),
        (ew.Multiply, _merge_powers_of_two, (ew.Multiply,)),
        (ew.Multiply, _negation_outward, _NEGATION),
        (ew.Multiply, _diagonal_matrix, _DIAGONAL),
        (ew.Add, _double_sum),
        (ew.Add, _added_negation, _NEGATION),
        (ew.Add, _scatter_then_add, (shape_ops.Scatter,)),
        (ew.Add, _plus_zero, _CONSTANT),
        (ew.Add, _diagonal_sum, _DIAGONAL),
        (ew.Subtract, _subtracted_negation, _NEGATION),
        (ew.Subtract, _minus_zero, _CONSTANT),
        (ew.Divide, _identity_operand, _CONSTANT),
        (ew.Divide, _diagonal_matrix, _DIAGONAL),
        (ew.Power, _cube_as_square_times, (Constant,)),
        (ew.Power, _identity_operand, _CONSTANT),
        (ew.Negative, _double_negation, _NEGATION),
        (ew.Negative, _diagonal_matrix, _DIAGONAL),
        (ew.Negative, _negated_factor, (ew.Multiply,)),
        (shape_ops.Transpose, _transpose_of_transpose, (shape_ops.Transpose,)),
        (shape_ops.Reshape, _reshaped_fill, (shape_ops.BroadcastTo,)),
        (shape_ops.Reshape, _reshape_of_reshape, (shape_ops.Reshape,)),
        (shape_ops.BroadcastTo, _reshape_of_reshape, (shape_ops.BroadcastTo,)),
        (reductions.Sum, _sum_of_negation, _NEGATION),
        (reductions.Sum, _sum_of_fill, _CONSTANT),
        (linalg.Matmul, _outer_product),
        (linalg.Matmul, _diagonal_product, _DIAGONAL),
        (contractions.Einsum, _diagonal_einsum, _DIAGONAL),
    ],
)
