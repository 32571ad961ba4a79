"""Jacobians, Hessians and Hessian-vector products.

A Jacobian is built from one *batched* reverse or forward pass: the seeds are the rows of an
identity matrix stacked along a leading batch axis, so the graph does not grow with the
number of rows. Reverse mode is used when the output has fewer elements than the inputs,
forward mode otherwise; a Hessian is therefore forward-over-reverse.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..core.expr import Expr
from ..core.shapes import is_concrete
from ..errors import ShapeError
from ..ops import shape_ops
from ..ops.leaves import Eye
from ..structure import flatten, unflatten
from . import provenance
from .forward import jvp, push_forward
from .reverse import backpropagate, check_output, check_wrt, finish, grad, seed


def _size(x: Expr, what: str) -> int:
    if not is_concrete(x.shape):
        raise ShapeError(what, f"needs concrete shapes, but {x!r} has shape {x.shape}")
    n = 1
    for d in x.shape:
        n *= int(d)
    return n


def _identity_seeds(x: Expr, what: str) -> Expr:
    """Rows of the identity, shaped (n,) + x.shape: every unit direction of x at once."""
    n = _size(x, what)
    return shape_ops.reshape(Eye(n, x.dtype)(), (n,) + x.shape)


def jacobian_reverse(y: Expr, xs: list[Expr]) -> list[Expr]:
    """Jacobian blocks from one reverse pass whose cotangents are all rows of the identity
    (for an output of one element, one unbatched pass: no axis of length 1 to carry)."""
    m = _size(y, "jacobian")
    if m == 1:  # one unbatched pass: no axis of length 1 to carry
        seeds = (seed(y, 1.0),)
        blocks = finish(xs, backpropagate([y], seeds, xs), "zero")
    else:
        seeds = (_identity_seeds(y, "jacobian"),)
        blocks = finish(xs, backpropagate([y], seeds, xs), "zero", batch=(m,))
    blocks = [shape_ops.reshape(b, y.shape + x.shape) for b, x in zip(blocks, xs)]
    provenance.record(
        blocks,
        [y],
        provenance.Derivation(
            "reverse", (y,), seeds, tuple(xs), lambda sources: jacobian_reverse(sources[0], xs)
        ),
    )
    return blocks


def jacobian_forward(y: Expr, xs: list[Expr]) -> list[Expr]:
    """Jacobian blocks from one forward pass per variable, its tangents all unit vectors."""
    blocks = []
    for x in xs:
        if _size(x, "jacobian") == 1:  # one unbatched pass: no axis of length 1 to carry
            seeds = (seed(x, 1.0),)
            (column,) = push_forward([y], [x], seeds)
            if column is None:
                blocks.append(shape_ops.zeros(y.shape + x.shape, y.dtype))
                continue
            blocks.append(shape_ops.reshape(column, y.shape + x.shape))
            provenance.record(
                blocks[-1:],
                [y],
                provenance.Derivation("forward", (y,), seeds, (x,), _forward_block(x)),
            )
            continue
        seeds = (_identity_seeds(x, "jacobian"),)
        (columns,) = push_forward([y], [x], seeds)
        if columns is None:
            blocks.append(shape_ops.zeros(y.shape + x.shape, y.dtype))
            continue
        # columns: (nx,) + y.shape  ->  y.shape + x.shape
        moved = shape_ops.transpose(columns, tuple(range(1, y.ndim + 1)) + (0,))
        blocks.append(shape_ops.reshape(moved, y.shape + x.shape))
        provenance.record(
            blocks[-1:],
            [y],
            provenance.Derivation("forward", (y,), seeds, (x,), _forward_block(x)),
        )
    return blocks


def _forward_block(x: Expr) -> Callable[[Sequence[Expr]], list[Expr]]:
    """Remakes the Jacobian block of ``x`` from another function (see ``Derivation``)."""
    return lambda sources: jacobian_forward(sources[0], [x])


def _jacobian_one(y: Expr, xs: list[Expr]) -> list[Expr]:
    m = _size(y, "jacobian")
    n = sum(_size(x, "jacobian") for x in xs)
    return jacobian_reverse(y, xs) if m <= n else jacobian_forward(y, xs)


def jacobian(y: Expr, x: Any) -> Any:
    """The Jacobian of ``y`` with respect to ``x``, of shape ``y.shape + x.shape``.

    ``x`` may be a list or tuple of variables (one block each). Built with one batched pass,
    reverse or forward mode, whichever has fewer seeds.

    >>> import numpy as np, symgrad as sg
    >>> x = sg.var("x", shape=(2,))
    >>> sg.jacobian(x * x, x).eval({x: [1.0, 3.0]}).tolist()
    [[2.0, 0.0], [0.0, 6.0]]
    """
    y = check_output(y)
    leaves, _ = flatten(x)
    xs = check_wrt(leaves, "x")
    blocks = _jacobian_one(y, xs)
    provenance.record(blocks, [y], wrt=xs)  # each block keeps the pass that made it
    return unflatten(x, blocks)


def hessian(y: Expr, x: Any) -> Any:
    """The Hessian of a scalar ``y``: the Jacobian of its gradient (forward over reverse).

    For a list of variables the result is a nested list of blocks ``H[i][j]``.

    >>> import numpy as np, symgrad as sg
    >>> x = sg.var("x", shape=(2,))
    >>> A = np.array([[1.0, 2.0], [0.0, 3.0]])
    >>> sg.hessian(x @ A @ x, x).eval({x: [0.5, -1.0]}).tolist()
    [[2.0, 2.0], [2.0, 6.0]]
    """
    y = check_output(y)
    if y.ndim != 0:
        raise ShapeError("hessian", f"needs a scalar output, got shape {y.shape}")
    leaves, _ = flatten(x)
    xs = check_wrt(leaves, "x")
    gradients = grad(y, xs)
    if isinstance(x, Expr):
        return jacobian(gradients[0], x)
    rows = [jacobian(g, list(xs)) for g in gradients]
    provenance.record([b for row in rows for b in row], [y])
    return rows


def hvp(y: Expr, x: Any, v: Any) -> Any:
    """Hessian-vector product ``H v`` without forming ``H``: the forward derivative of the
    gradient along ``v`` (``v`` mirrors ``x``).

    >>> import numpy as np, symgrad as sg
    >>> x = sg.var("x", shape=(2,))
    >>> sg.hvp((x ** 3).sum(), x, np.array([1.0, 1.0])).eval({x: [1.0, 2.0]}).tolist()
    [6.0, 12.0]
    """
    gradients = grad(y, x)
    result = jvp(gradients, x, v)
    return result
