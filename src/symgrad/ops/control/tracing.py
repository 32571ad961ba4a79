"""``cond``, ``while_loop``, ``fori_loop`` and ``scan``: Python functions traced into bodies.

Each function the user passes is called once, on fresh parameters, and the result is
*closure-converted*: every outer value it used (a variable, or anything computed outside)
becomes an extra parameter, and the op running the body takes that value as an input (its
``consts``). So differentiation, pruning and emission see everything a body reads as
ordinary graph edges, and outer values are computed once, outside the loop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ...core.expr import Expr, same_nodes
from ...core.shapes import format_shape
from ...core.walk import topological_order
from ...errors import ShapeError
from ...structure import Tree, flatten
from ..leaves import as_expr, const, is_leaf_constant, parameter
from ..subgraph import Body, items
from .common import INT
from .cond_op import Cond
from .layout import Parts
from .scan_op import Scan
from .while_op import While, fresh_trips_dim


def cond(
    pred: Any, true_fn: Callable[..., Any], false_fn: Callable[..., Any], *operands: Any
) -> Any:
    """``true_fn(*operands)`` if ``pred`` is true at run time, else ``false_fn(*operands)``.

    Both branches are built as subgraphs, but only the taken one runs, so the other may
    divide by zero or take the log of a negative number without harm, to the value or to
    its derivatives. The branches must return the same structure, shapes and dtypes.
    Derivatives flow through the taken branch.

    >>> import symgrad as sg
    >>> x = sg.var("x")
    >>> y = sg.cond(x > 0, sg.log, lambda v: v * v, x)
    >>> float(y.eval({x: -3.0})), float(sg.grad(y, x).eval({x: 2.0}))
    (9.0, 0.5)
    """
    pred = as_expr(pred)
    if pred.ndim != 0:
        raise ShapeError("cond", f"the predicate must be a scalar, got shape {pred.shape}")
    args = [as_expr(v) for v in operands]
    params = make_params(args)
    captures = Captures()
    true_leaves, structure = _returned(_call(true_fn, params, "true_fn"), "cond", "true_fn")
    false_leaves, other = _returned(_call(false_fn, params, "false_fn"), "cond", "false_fn")
    if other != structure:
        raise ShapeError("cond", f"true_fn returns {structure}, false_fn returns {other}")
    false_leaves = [
        as_expr(v, like=t) if not isinstance(v, Expr) else v
        for v, t in zip(false_leaves, true_leaves)
    ]
    true_leaves = [
        as_expr(v, like=f) if not isinstance(v, Expr) else v
        for v, f in zip(true_leaves, false_leaves)
    ]
    for k, (t, f) in enumerate(zip(true_leaves, false_leaves)):
        if t.shape != f.shape or t.dtype != f.dtype:
            raise ShapeError(
                "cond",
                f"output {k} of true_fn is {format_shape(t.shape)} {t.dtype}, of false_fn "
                f"{format_shape(f.shape)} {f.dtype}; the branches must agree (use .astype or "
                "sg.broadcast_to)",
            )
    true_closed = close(params, true_leaves, captures)
    false_closed = close(params, false_leaves, captures)
    all_params = tuple(params + captures.params)
    node = Cond(Body(all_params, tuple(true_closed)), Body(all_params, tuple(false_closed)))(
        pred, *args, *captures.values
    )
    return structure.unflatten(items(node))


def while_loop(
    cond_fn: Callable[[Any], Any],
    body_fn: Callable[[Any], Any],
    init: Any,
    max_iterations: int | None = None,
) -> Any:
    """Repeat ``state = body_fn(state)`` while ``cond_fn(state)`` is true, at run time.

    ``init`` is an expression or a tuple (or list) of them, and the state keeps its
    structure, shapes and dtypes. Reverse-mode derivatives work: the loop records the
    states its body's derivative reads, and the backward pass replays the body's derivative
    from the last step to the first. With ``max_iterations``, a loop still running after
    that many steps raises ``sg.IterationLimitError`` instead of hanging.

    >>> import symgrad as sg
    >>> a = sg.var("a")
    >>> b = sg.while_loop(lambda b: b < 100, lambda b: 2 * b, a)
    >>> float(b.eval({a: 3.0})), float(sg.grad(b, a).eval({a: 3.0}))
    (192.0, 64.0)
    """
    if max_iterations is not None and (type(max_iterations) is not int or max_iterations < 1):
        raise ValueError(f"max_iterations must be a positive int, got {max_iterations!r}")
    leaves, structure = _state(init, "while_loop")
    params = make_params(leaves, [x.name or "state" for x in leaves])
    state = structure.unflatten(params)
    test = as_expr(_call(cond_fn, [state], "cond_fn"))
    if test.ndim != 0:
        raise ShapeError("while_loop", f"cond_fn must return a scalar, got shape {test.shape}")
    new = _new_state(_call(body_fn, [state], "body_fn"), structure, params, "while_loop")
    captures = Captures()
    (test,) = close(params, [test], captures)
    new = close(params, new, captures)
    all_params = tuple(params + captures.params)
    op = While(
        Body(all_params, (test,)),
        Body(all_params, tuple(new)),
        len(params),
        (),
        max_iterations or 0,
        fresh_trips_dim(),
    )
    outs = op.run(Parts(carry=leaves, consts=captures.values))
    return structure.unflatten(outs.carry)


def fori_loop(n: Any, body_fn: Callable[[Expr, Any], Any], init: Any) -> Any:
    """``state = body_fn(i, state)`` for ``i`` in ``0 .. n-1``.

    With a Python int ``n`` this is a :func:`scan` of known length; with an integer
    expression it is a :func:`while_loop` on a counter. Either way it is differentiable.

    >>> import symgrad as sg
    >>> x = sg.var("x")
    >>> y = sg.fori_loop(4, lambda i, p: p * x, x)  # x**5
    >>> float(y.eval({x: 2.0})), float(sg.grad(y, x).eval({x: 2.0}))
    (32.0, 80.0)
    """
    if isinstance(n, (bool, np.bool_)):
        raise TypeError("fori_loop: n must be an int or an integer expression, got a bool")
    if isinstance(n, (int, np.integer)):
        if n < 0:
            raise ValueError(f"fori_loop: n must be >= 0, got {n}")
        carry, _ = _scan(lambda c, i: (body_fn(i, c), None), init, None, int(n), False, True)
        return carry
    n = as_expr(n)
    if n.ndim != 0 or n.dtype.kind not in "iu":
        raise ShapeError("fori_loop", f"n must be an integer scalar, got {n.dtype} {n.shape}")
    start = const(np.int64(0))
    _, result = while_loop(
        lambda s: s[0] < n, lambda s: (s[0] + 1, body_fn(s[0], s[1])), (start, init)
    )
    return result


def scan(
    fn: Callable[[Any, Any], Any],
    init: Any,
    xs: Any = None,
    length: int | None = None,
    reverse: bool = False,
) -> tuple[Any, Any]:
    """Loop over the leading axis of ``xs``: ``carry, y = fn(carry, x)`` for each row
    ``x``; returns the final carry and the ``y`` stacked (like ``jax.lax.scan``).

    ``xs`` is an expression, a tuple of them, or ``None`` with ``length`` given. ``fn`` may
    return ``None`` for ``y``. Differentiable in both modes, also in ``init`` and in outer
    values ``fn`` reads.

    >>> import numpy as np, symgrad as sg
    >>> x = sg.var("x", shape=(4,))
    >>> total, running = sg.scan(lambda c, v: (c + v, c + v), sg.const(0.0), x)
    >>> running.eval({x: np.arange(4.0)}).tolist()
    [0.0, 1.0, 3.0, 6.0]
    """
    return _scan(fn, init, xs, length, reverse, False)


def _scan(
    fn: Callable[[Any, Any], Any],
    init: Any,
    xs: Any,
    length: int | None,
    reverse: bool,
    index: bool,
) -> tuple[Any, Any]:
    """:func:`scan`; with ``index``, ``fn`` gets the step number in place of a row."""
    carry_leaves, carry_structure = _state(init, "scan")
    x_leaves, x_structure = ([], None) if xs is None else _state(xs, "scan")
    size = _length(x_leaves, length)
    step = parameter((), INT, "i")
    carry = make_params(carry_leaves, [x.name or "carry" for x in carry_leaves])
    rows = [parameter(x.shape[1:], x.dtype, x.name or "x") for x in x_leaves]
    x_in = step if index else (None if x_structure is None else x_structure.unflatten(rows))
    out = _call(fn, [carry_structure.unflatten(carry), x_in], "fn")
    if not isinstance(out, tuple) or len(out) != 2:
        raise TypeError("scan: fn must return a pair (carry, y)")
    new_carry = _new_state(out[0], carry_structure, carry, "scan")
    y_leaves, y_structure = ([], None) if out[1] is None else _returned(out[1], "scan", "fn")
    y_leaves = [as_expr(y) for y in y_leaves]
    captures = Captures()
    closed = close([step, *carry, *rows], [*new_carry, *y_leaves], captures)
    counted = not x_leaves
    op = Scan.of(
        Parts(index=[step], carry=carry, xs=rows, consts=captures.params),
        Parts(carry=closed[: len(carry)], ys=closed[len(carry) :]),
        size,
        reverse,
        counted,
    )
    count = [const(np.int64(size))] if counted else []
    outs = op.run(Parts(index=count, carry=carry_leaves, xs=x_leaves, consts=captures.values))
    final = carry_structure.unflatten(outs.carry)
    return final, None if y_structure is None else y_structure.unflatten(outs.ys)


def _length(xs: Sequence[Expr], length: int | None) -> int:
    """The number of steps of a scan over the rows of ``xs`` (or of ``length`` steps)."""
    for x in xs:
        if x.ndim == 0:
            raise ShapeError("scan", "xs must have a leading axis to loop over, got a scalar")
    if xs:
        size = xs[0].shape[0]
        for x in xs[1:]:
            if x.shape[0] != size:
                raise ShapeError("scan", f"xs differ in length: {size} and {x.shape[0]}")
        if length is not None and length != size:
            raise ShapeError("scan", f"length={length} but xs have {size} rows")
        return size  # type: ignore[return-value]
    if length is None:
        raise ValueError("scan: give xs or length")
    if type(length) is not int or length < 0:
        raise ValueError(f"scan: length must be an int >= 0, got {length!r}")
    return length


# --- calling the user's functions -----------------------------------------------------------


def _call(fn: Any, args: Sequence[Any], what: str) -> Any:
    if not callable(fn):
        raise TypeError(f"{what} must be a function, got {type(fn).__name__}")
    return fn(*args)


def _returned(value: Any, op: str, what: str) -> tuple[list[Any], Tree]:
    """Leaves and structure of what a function returned."""
    leaves, structure = flatten(value)
    if not leaves:
        raise TypeError(f"{op}: {what} returned nothing")
    return leaves, structure


def _state(value: Any, op: str) -> tuple[list[Expr], Tree]:
    leaves, structure = _returned(value, op, "init")
    return [as_expr(v) for v in leaves], structure


def _new_state(value: Any, structure: Tree, params: Sequence[Expr], op: str) -> list[Expr]:
    """The body's new state, checked against the state it was given."""
    leaves, got = _returned(value, op, "body_fn")
    if got != structure:
        raise TypeError(f"{op}: the body returns a state of structure {got}, not {structure}")
    out = []
    for k, (v, p) in enumerate(zip(leaves, params)):
        v = as_expr(v, like=p)
        if v.shape != p.shape or v.dtype != p.dtype:
            raise ShapeError(
                op,
                f"the body turns state {k} from {format_shape(p.shape)} {p.dtype} into "
                f"{format_shape(v.shape)} {v.dtype}; a loop state must keep its shape and "
                "dtype (use .astype or sg.broadcast_to)",
            )
        out.append(v)
    return out


# --- closure conversion ---------------------------------------------------------------------


class Captures:
    """Outer values used by bodies, each with the parameter that stands for it inside."""

    def __init__(self) -> None:
        self.values: list[Expr] = []
        self.params: list[Expr] = []
        self._index: dict[int, int] = {}

    def param_for(self, node: Expr) -> Expr:
        i = self._index.get(id(node))
        if i is None:
            i = self._index[id(node)] = len(self.values)
            self.values.append(node)
            self.params.append(parameter(node.shape, node.dtype, _hint(node)))
        return self.params[i]


def _hint(node: Expr) -> str:
    return node.name if node.name is not None else node.op.name


def close(params: Sequence[Expr], results: Sequence[Expr], captures: Captures) -> list[Expr]:
    """``results`` rewritten so they read only ``params``, constants and capture parameters.

    A node is inside the body if it depends on a parameter; the outer nodes inside ones read
    (and outer results) are captured. Constants stay inside, where they are free."""
    inside = {id(p) for p in params}
    done: dict[int, Expr] = {id(p): p for p in params}

    def mapped(x: Expr) -> Expr:
        if id(x) in done:
            return done[id(x)]
        return x if is_leaf_constant(x) else captures.param_for(x)

    for node in topological_order(results):
        if id(node) in done or not any(id(x) in inside for x in node.inputs):
            continue
        inside.add(id(node))
        inputs = tuple(mapped(x) for x in node.inputs)
        done[id(node)] = node if same_nodes(inputs, node.inputs) else node.op(*inputs)
    return [mapped(r) for r in results]


def make_params(like: Sequence[Expr], hints: Sequence[str] | None = None) -> list[Expr]:
    """Fresh parameters with the shapes and dtypes of ``like``."""
    return [
        parameter(x.shape, x.dtype, hints[i] if hints else _hint(x)) for i, x in enumerate(like)
    ]
