"""Reverse mode: cotangents flow from the outputs back to the variables.

The pass prunes first: a node gets an adjoint only if it lies on a path from one of the
``wrt`` nodes to an output through ops that carry derivatives (so nothing behind a
``stop_gradient``, a comparison or an integer value is differentiated). It then visits the
graph once in reverse topological order, calling each op's VJP rule and summing the
contributions of every consumer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..core.expr import Expr
from ..core.gc_pause import paused_gc
from ..core.walk import topological_order
from ..errors import DisconnectedError, NonScalarError, ShapeError
from ..ops import elementwise as ew
from ..ops import shape_ops
from ..ops.leaves import as_expr
from ..ops.subgraph import Item, MultiOutput
from ..structure import flatten, unflatten
from . import masks, provenance


def depends_on(order: Sequence[Expr], wrt: Sequence[Expr]) -> set[int]:
    """Ids of nodes in ``order`` whose value depends differentiably on a ``wrt`` node."""
    depends: set[int] = {id(w) for w in wrt}
    for node in order:
        inputs = node.inputs
        if not inputs or node.dtype.kind not in "fcO" or not node.op.differentiable:
            continue  # O: the outputs of control flow, read by items
        for x in inputs:
            if id(x) in depends:
                depends.add(id(node))
                break
    return depends


@paused_gc()
def backpropagate(
    ys: Sequence[Expr],
    cotangents: Sequence[Expr],
    wrt: Sequence[Expr],
    trace: list[tuple[Sequence[Expr | None], Expr]] | None = None,
) -> list[Expr | None]:
    """Adjoints of ``wrt`` (``None`` where disconnected) for outputs ``ys`` seeded with
    ``cotangents``, which may share leading batch axes.

    This is the chain rule exactly as the ops' rules state it. Hand-written formulas such
    as ``log(1 + exp(x))`` are differentiated as written; the optimizer's ``stabilize``
    pass takes the derivative again of their stable form (``softplus(x)``), so that
    compiled gradients stay finite where the naive one overflows. ``trace`` (pictures use
    it) collects (cotangents in, cotangent out) for every rule applied and every sum made."""
    order = topological_order(ys)
    depends = depends_on(order, wrt)
    # Cotangents through selections carry their masks (see ``masks``).
    adjoint: dict[int, masks.Adjoint] = {}
    # A node's adjoint is complete once the walk reaches it, and is then dropped (except
    # those of ``wrt``, the result): memory holds only the adjoints still accumulating.
    keep = {id(w) for w in wrt}
    add, value = masks.add, masks.value

    def accumulate(node: Expr, contribution: masks.Adjoint) -> None:
        previous = adjoint.get(id(node))
        adjoint[id(node)] = contribution if previous is None else add(previous, contribution)
        if trace is not None and previous is not None:
            trace.append(((value(previous), value(contribution)), value(adjoint[id(node)])))

    def exact(a: masks.Adjoint) -> Expr:
        """The cotangent ``a`` holds, 0 outside its mask (a step of the trace if that takes
        a ``where``)."""
        made = masks.exact(a)
        if trace is not None and made is not value(a):
            trace.append(([value(a)], made))
        return made

    for y, cotangent in zip(ys, cotangents):
        if id(y) in depends:
            accumulate(y, cotangent)
    # Cotangents of multi-output nodes: one entry per output, collected from their items.
    outputs_adjoint: dict[int, dict[int, Expr]] = {}
    for node in reversed(order):
        op = node.op
        # Every contribution to the node's adjoint is in: take it.
        take: Callable[[int, None], masks.Adjoint | None]
        take = adjoint.get if id(node) in keep else adjoint.pop
        # The node's cotangent; for a multi-output node, one per output.
        g: masks.Adjoint | list[Expr | None] | None
        if isinstance(op, Item):
            a = take(id(node), None)
            if a is not None:
                c = exact(a)
                parts = outputs_adjoint.setdefault(id(node.inputs[0]), {})
                index = op.index
                parts[index] = c if index not in parts else ew.add(parts[index], c)
            continue
        if isinstance(op, MultiOutput):
            collected = outputs_adjoint.pop(id(node), None)
            g = None if collected is None else [collected.get(i) for i in range(op.n_outputs)]
        else:
            g = take(id(node), None)
        if g is None:
            continue
        inputs = node.inputs
        needed = [id(x) in depends for x in inputs]
        if not any(needed):
            continue
        for x, contribution, need in zip(inputs, masks.pull_back(node, g), needed):
            if need and contribution is not None:
                if trace is not None:
                    trace.append((g if isinstance(g, list) else [value(g)], value(contribution)))
                if id(x) in adjoint:
                    accumulate(x, contribution)
                else:  # the first contribution (inlined: this loop is hot)
                    adjoint[id(x)] = contribution
    return [None if id(w) not in adjoint else exact(adjoint[id(w)]) for w in wrt]


def check_wrt(wrt: Sequence[Any], what: str = "wrt") -> list[Expr]:
    for i, w in enumerate(wrt):
        if not isinstance(w, Expr):
            raise TypeError(f"{what}[{i}] must be an expression, got {type(w).__name__}")
        if w.dtype.kind not in "fc":
            raise TypeError(
                f"cannot differentiate with respect to {w!r}: its dtype is "
                f"{w.dtype}, not a float or complex dtype"
            )
    return list(wrt)


def check_output(y: Any) -> Expr:
    if not isinstance(y, Expr):
        raise TypeError(f"can only differentiate expressions, got {type(y).__name__}")
    if y.dtype.kind not in "fc":
        raise TypeError(
            f"cannot differentiate {y!r}: its dtype is {y.dtype}, not a float or complex dtype"
        )
    return y


def seed(node: Expr, value: Any, op: str = "grad", what: str = "cotangent") -> Expr:
    """``value`` as a cotangent (or tangent) of ``node``: broadcast to its shape and cast to
    its dtype, or a ShapeError naming ``op`` if it does not fit."""
    g = as_expr(value, like=node)
    if g.shape != node.shape:
        try:
            g = shape_ops.broadcast_to(g, node.shape)
        except ShapeError:
            raise ShapeError(
                op, f"{what} of shape {g.shape} does not match the shape {node.shape} of {node!r}"
            ) from None
    return shape_ops.astype(g, node.dtype)


def finish(
    wrt: Sequence[Expr],
    adjoints: Sequence[Expr | None],
    disconnected: str,
    batch: tuple[int, ...] = (),
) -> list[Expr]:
    """Replace missing adjoints by zeros, or raise; cast each to its variable's dtype."""
    out = []
    for w, a in zip(wrt, adjoints):
        if a is None:
            if disconnected == "raise":
                raise DisconnectedError(
                    f"the output does not depend on {_describe(w)}; pass "
                    "disconnected='zero' to get zeros"
                )
            a = shape_ops.zeros(batch + w.shape, w.dtype)
        out.append(shape_ops.astype(a, w.dtype))
    return out


def _describe(w: Expr) -> str:
    return f"variable {w.name!r}" if w.name is not None else repr(w)


def _check_disconnected(disconnected: str) -> None:
    if disconnected not in ("zero", "raise"):
        raise ValueError(f"disconnected must be 'zero' or 'raise', got {disconnected!r}")


def grad(y: Expr, wrt: Any, cotangent: Any = None, disconnected: str = "zero") -> Any:
    """The gradient of ``y`` with respect to ``wrt``, as expressions (reverse mode).

    ``wrt`` is an expression or a (nested) list/tuple of them; the result has the same
    structure, each gradient the shape of its variable. ``y`` must be a scalar unless a
    ``cotangent`` of its shape is given (then this is a vector-Jacobian product). A variable
    ``y`` does not depend on gets zeros, or ``DisconnectedError`` with
    ``disconnected="raise"``.

    >>> import numpy as np, symgrad as sg
    >>> x = sg.var("x", shape=(4,))
    >>> g = sg.grad(2 * sg.dot(x, x), x)
    >>> g.eval({x: np.arange(4.0)}).tolist()
    [0.0, 4.0, 8.0, 12.0]
    """
    _check_disconnected(disconnected)
    y = check_output(y)
    if cotangent is None:
        if y.dtype.kind == "c":
            raise TypeError(
                f"grad needs a real-valued output, but y is {y.dtype}: differentiate a real "
                "loss of it (np.real(y), np.abs(y) ** 2), or pass cotangent= (with "
                "cotangent=1, a holomorphic y gives its complex derivative dy/dz)"
            )
        if y.ndim != 0:
            raise NonScalarError(
                f"grad needs a scalar output, but y has shape {y.shape}: pass cotangent= "
                "(an array of y's shape, for a vector-Jacobian product) or reduce y first, "
                "e.g. with y.sum()"
            )
        cotangent = 1.0
    leaves, _ = flatten(wrt)
    variables = check_wrt(leaves)
    seeds = [seed(y, cotangent)]

    def gradients(sources: Sequence[Expr]) -> list[Expr]:
        (f,) = sources
        adjoints = backpropagate([f], seeds if f is y else [seed(f, cotangent)], variables)
        return finish(variables, adjoints, disconnected)

    results = gradients([y])
    provenance.record(
        results,
        [y],
        provenance.Derivation("reverse", (y,), tuple(seeds), tuple(variables), gradients),
        wrt=variables,
    )
    return unflatten(wrt, results)


def vjp(y: Any, wrt: Any, cotangent: Any, disconnected: str = "zero") -> Any:
    """Vector-Jacobian product: ``cotangent`` (mirroring ``y``, which may be a list of
    outputs) pulled back to each of ``wrt``. Cotangents may be expressions or arrays.

    >>> import numpy as np, symgrad as sg
    >>> x = sg.var("x", shape=(3,))
    >>> sg.vjp(x * x, x, np.ones(3)).eval({x: [1.0, 2.0, 3.0]}).tolist()
    [2.0, 4.0, 6.0]
    """
    _check_disconnected(disconnected)
    ys, _ = flatten(y)
    ys = [check_output(v) for v in ys]
    cotangents, _ = (
        flatten(cotangent)
        if not isinstance(cotangent, Expr) or len(ys) != 1
        else ([cotangent], None)
    )
    if len(ys) == 1 and len(cotangents) != 1:
        cotangents = [cotangent]
    if len(cotangents) != len(ys):
        raise ValueError(f"vjp: {len(ys)} outputs but {len(cotangents)} cotangents")
    leaves, _ = flatten(wrt)
    variables = check_wrt(leaves)
    seeds = [seed(v, c) for v, c in zip(ys, cotangents)]

    def pulled_back(sources: Sequence[Expr]) -> list[Expr]:
        given = [seed(v, c) for v, c in zip(sources, cotangents)]
        return finish(variables, backpropagate(sources, given, variables), disconnected)

    results = finish(variables, backpropagate(ys, seeds, variables), disconnected)
    provenance.record(
        results,
        ys,
        provenance.Derivation("reverse", tuple(ys), tuple(seeds), tuple(variables), pulled_back),
        wrt=variables,
    )
    return unflatten(wrt, results)
