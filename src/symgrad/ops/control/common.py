"""What the rules of the control-flow ops share: checks, emission of assignments, and the
derivatives of bodies.

Derivatives may carry leading *batch* axes (a Jacobian pushes many seeds at once): a
cotangent or tangent of a value of shape ``s`` has shape ``batch + s``. Stacked values
(steps first) then have their derivatives as ``batch + (steps,) + s``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ...core.expr import Expr
from ...core.shapes import Shape
from ...errors import ShapeError
from .. import elementwise as ew
from .. import shape_ops
from ..leaves import hint_of, parameter
from ..subgraph import Body

INT = np.dtype(np.int64)

Type = tuple[Shape, np.dtype]


# --- checks ---------------------------------------------------------------------------------


def expect(condition: Any, message: str) -> None:
    """Raise a ShapeError with ``message`` ("op: what is wrong") unless ``condition``."""
    if not condition:
        op, _, what = message.partition(": ")
        raise ShapeError(op, what)


def types(nodes: Sequence[Expr]) -> list[Type]:
    return [(x.shape, x.dtype) for x in nodes]


def row_types(stacked: Sequence[Expr]) -> list[Type]:
    """Shape and dtype of one row of each stacked value."""
    return [(x.shape[1:], x.dtype) for x in stacked]


def is_float(x: Expr) -> bool:
    """Float or complex: a value with derivatives."""
    return x.dtype.kind in "fc"


def floats(nodes: Sequence[Expr]) -> list[int]:
    """Positions of the float values (the ones with derivatives)."""
    return [i for i, x in enumerate(nodes) if is_float(x)]


# --- emission -------------------------------------------------------------------------------

#: Stacks the rows a loop collected, on Dask (the ``"dask"`` backend).
STACK_ROWS_HELPER = '''\
def _stack_rows(rows, shape, dtype):
    """The rows a loop collected, stacked into one Dask array of `shape` (also if none)."""
    return da.stack(rows) if rows else da.empty(shape, dtype=dtype)
'''


def assign(indent: str, targets: Sequence[str], values: Sequence[str]) -> list[str]:
    """``a, b = x, y`` (one parallel assignment, so a swap of states is right)."""
    pairs = [(t, v) for t, v in zip(targets, values) if t != v]
    if not pairs:
        return []
    left = ", ".join(t for t, _ in pairs)
    right = ", ".join(v for _, v in pairs)
    return [f"{indent}{left} = {right}"]


# --- derivatives ----------------------------------------------------------------------------


def batch_of(derivatives: Sequence[Expr | None], like: Sequence[Type]) -> Shape:
    """The leading batch axes the given cotangents or tangents carry."""
    for d, (shape, _) in zip(derivatives, like):
        if d is not None:
            return d.shape[: d.ndim - len(shape)]
    return ()


def or_zeros(d: Expr | None, like: Expr | Type, batch: Shape) -> Expr:
    """The derivative ``d`` of a value like ``like`` (or of that shape and dtype), zeros if
    there is none."""
    shape, dtype = like if isinstance(like, tuple) else (like.shape, like.dtype)
    if d is None:
        return shape_ops.zeros(batch + shape, dtype)
    return shape_ops.astype(d, dtype)


def steps_first(x: Expr, batch: int) -> Expr:
    """A stacked (batch..., steps, ...) derivative with its step axis moved to the front."""
    if batch == 0:
        return x
    return shape_ops.transpose(x, (batch, *range(batch), *range(batch + 1, x.ndim)))


def steps_after_batch(x: Expr, batch: int) -> Expr:
    """The inverse of :func:`steps_first`."""
    if batch == 0:
        return x
    return shape_ops.transpose(x, (*range(1, batch + 1), 0, *range(batch + 1, x.ndim)))


def like(p: Expr, batch: Shape = (), prefix: str = "", suffix: str = "") -> Expr:
    """A fresh parameter for a value like the parameter ``p`` (or its derivative, with batch
    axes), named after it."""
    return parameter(batch + p.shape, p.dtype, prefix + hint_of(p) + suffix)


# A body's derivative is built by the differentiation passes, a layer above the ops, which
# register them here when ``symgrad.differentiate`` is imported (ops never import it; only
# those passes call the rules below).
_passes: dict[str, Callable[..., Any]] = {}


def register_passes(
    backpropagate: Callable[..., list[Expr | None]],
    finish: Callable[..., list[Expr]],
    push_forward: Callable[..., list[Expr | None]],
) -> None:
    """Give the control-flow ops the reverse and forward passes for their bodies."""
    _passes.update(backpropagate=backpropagate, finish=finish, push_forward=push_forward)


def vjp_body(body: Body, results: Sequence[int], wrt: Sequence[int], batch: Shape) -> Body:
    """The reverse-mode derivative of ``body``: a body taking its parameters and one
    cotangent per result in ``results``, giving the cotangents of the parameters in ``wrt``
    (zeros where disconnected)."""
    backpropagate, finish = _passes["backpropagate"], _passes["finish"]
    ys = [body.results[i] for i in results]
    cots = [parameter(batch + y.shape, y.dtype, "d_" + _hint(body, i)) for i, y in zip(results, ys)]
    params = [body.params[i] for i in wrt]
    grads = finish(params, backpropagate(ys, cots, params), "zero", batch)
    return Body(body.params + tuple(cots), tuple(grads))


def jvp_body(
    body: Body,
    wrt: Sequence[int],
    tangent_params: Sequence[Expr],
    results: Sequence[int],
    batch: Shape,
) -> list[Expr]:
    """Tangents of ``body.results[results]`` when the parameters ``wrt`` move along
    ``tangent_params`` (zeros where a result does not move)."""
    ys = [body.results[i] for i in results]
    pushed = _passes["push_forward"](ys, [body.params[i] for i in wrt], list(tangent_params))
    return [
        or_zeros(None, y, batch) if t is None else ew.fit(t, y, len(batch))
        for y, t in zip(ys, pushed)
    ]


def _hint(body: Body, result: int) -> str:
    params = body.params
    return hint_of(params[result]) if result < len(params) else "out"
