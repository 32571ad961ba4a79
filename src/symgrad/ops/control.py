"""Control flow in the graph: ``cond``, ``while_loop``, ``fori_loop`` and ``scan``.

Three ops carry it, each running closed subgraphs (:class:`~symgrad.ops.subgraph.Body`):

* :class:`Cond` runs one of two branches (``if``/``else`` in the emitted code);
* :class:`While` repeats a body while a test holds; it counts its steps and, when asked
  (``record``), stacks the states some steps start from: what reverse mode needs;
* :class:`Scan` runs a body a known number of times, forwards or backwards, over the rows
  of stacked inputs, stacking per-step outputs (``fori_loop`` and ``scan``, and the reverse
  pass of both loops).

Derivatives are built once per body, never unrolled: the VJP of a ``While`` is a backward
``Scan`` over the recorded states, whose body is the VJP of the loop body; the VJP of a
``Scan`` is a ``Scan`` running the other way. Forward mode carries tangents alongside the
state. All of these are the same ops again, so derivatives of any order work.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..core.dtypes import dtype_name
from ..core.expr import Expr
from ..core.shapes import Dim, Shape, format_shape
from ..errors import ShapeError
from . import shape_ops
from .leaves import as_expr, const, parameter
from .subgraph import Body, Captures, MultiOutput, close, items, make_params

_INT = np.dtype(np.int64)
_trip_dims = itertools.count()


def fresh_trips_dim() -> str:
    """A new name for the run-time number of steps of a while loop."""
    return f"trips#{next(_trip_dims)}"


# --- helpers shared by the rules ------------------------------------------------------------


def _batch(derivatives: Sequence[Expr | None], like: Sequence[tuple[Shape, np.dtype]]) -> Shape:
    """The leading batch axes the given cotangents or tangents carry."""
    for d, (shape, _) in zip(derivatives, like):
        if d is not None:
            return d.shape[: d.ndim - len(shape)]
    return ()


def _or_zeros(d: Expr | None, shape: Shape, dtype: np.dtype, batch: Shape) -> Expr:
    if d is None:
        return shape_ops.zeros(batch + shape, dtype)
    return shape_ops.astype(d, dtype)


def _is_float(x: Expr | tuple[Shape, np.dtype]) -> bool:
    dtype = x[1] if isinstance(x, tuple) else x.dtype
    return dtype.kind == "f"


def _time_first(x: Expr, batch: int) -> Expr:
    """A stacked (batch..., T, ...) derivative with its step axis moved to the front."""
    if batch == 0:
        return x
    axes = (batch, *range(batch), *range(batch + 1, x.ndim))
    return shape_ops.transpose(x, axes)


def _time_after_batch(x: Expr, batch: int) -> Expr:
    """The inverse of :func:`_time_first`."""
    if batch == 0:
        return x
    axes = (*range(1, batch + 1), 0, *range(batch + 1, x.ndim))
    return shape_ops.transpose(x, axes)


def _vjp_body(
    body: Body, results: Sequence[int], wrt: Sequence[int], batch: Shape
) -> tuple[Body, list[Expr]]:
    """The reverse-mode derivative of ``body``: a body taking its parameters and one
    cotangent per result in ``results``, giving the cotangents of the parameters in ``wrt``
    (zeros where disconnected). Returns it with the cotangent parameters."""
    from ..differentiate.reverse import backpropagate, finish

    ys = [body.results[i] for i in results]
    cots = [parameter(batch + y.shape, y.dtype, "d_" + _hint(body, i)) for i, y in zip(results, ys)]
    params = [body.params[i] for i in wrt]
    grads = finish(params, backpropagate(ys, cots, params), "zero", batch)
    return Body(body.params + tuple(cots), tuple(grads)), cots


def _jvp_body(
    body: Body,
    wrt: Sequence[int],
    tangent_params: Sequence[Expr],
    results: Sequence[int],
    batch: Shape,
) -> list[Expr]:
    """Tangents of ``body.results[results]`` when the parameters ``wrt`` move along
    ``tangent_params`` (zeros where a result does not move)."""
    from ..differentiate.forward import push_forward
    from . import elementwise as ew

    ys = [body.results[i] for i in results]
    pushed = push_forward(ys, [body.params[i] for i in wrt], list(tangent_params))
    batch_n = len(batch)
    return [
        _or_zeros(None, y.shape, y.dtype, batch) if t is None else ew.fit(t, y, batch_n)
        for y, t in zip(ys, pushed)
    ]


def _hint(body: Body, result: int) -> str:
    params = body.params
    return params[result].op.hint if result < len(params) else "out"


def _assign(indent: str, targets: Sequence[str], values: Sequence[str]) -> list[str]:
    """``a, b = x, y`` (one parallel assignment, so a swap of states is right)."""
    pairs = [(t, v) for t, v in zip(targets, values) if t != v]
    if not pairs:
        return []
    left = ", ".join(t for t, _ in pairs)
    right = ", ".join(v for _, v in pairs)
    return [f"{indent}{left} = {right}"]


#: Stacks the rows a loop collected, on Dask (the ``"dask"`` backend).
_STACK_ROWS_HELPER = '''\
def _stack_rows(rows, shape, dtype):
    """The rows a loop collected, stacked into one Dask array of `shape` (also if none)."""
    return da.stack(rows) if rows else da.empty(shape, dtype=dtype)
'''


def _expect(condition: Any, message: str) -> None:
    if not condition:
        raise ShapeError(message.split(":")[0], message.split(": ", 1)[1])


def _types(nodes: Sequence[Expr]) -> list[tuple[Shape, np.dtype]]:
    return [(x.shape, x.dtype) for x in nodes]


def _check_params(body: Body, inputs: Sequence[Expr], op: str) -> None:
    """The inputs a body is run on must match its parameters."""
    _expect(
        _types(body.params) == _types(inputs),
        f"{op}: the body's parameters do not match the op's inputs",
    )


class _Row:
    """Shape and dtype of one row of a stacked input."""

    def __init__(self, x: Expr):
        self.shape, self.dtype = x.shape[1:], x.dtype


def _rows_of(xs: Sequence[Expr]) -> list[Any]:
    return [_Row(x) for x in xs]


# --- cond -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Cond(MultiOutput):
    """``then_body`` if the first input is true, else ``else_body``; only one runs. Both
    bodies take the remaining inputs."""

    name = "cond"
    then_body: Body
    else_body: Body
    dask = True  # the predicate is computed where the cond runs; one branch is built

    @property
    def output_types(self) -> tuple[tuple[Shape, np.dtype], ...]:
        return tuple((r.shape, r.dtype) for r in self.then_body.results)

    def check(self, inputs: tuple[Expr, ...]) -> None:
        _expect(inputs and inputs[0].ndim == 0, "cond: the predicate must be a scalar")
        for body in (self.then_body, self.else_body):
            _check_params(body, inputs[1:], "cond")
        _expect(
            _types(self.then_body.results) == _types(self.else_body.results),
            "cond: the branches' outputs differ",
        )

    def output_hint(self, index: int) -> str:
        return "branch"

    def emit_block(
        self, node: Expr, args: Sequence[str], outs: Sequence[str | None], ctx: Any
    ) -> list[str]:
        lines = [f"{ctx.indent}if {args[0]}:"]
        return self._branches(lines, args, outs, ctx)

    def emit_block_dask(
        self, node: Expr, args: Sequence[str], outs: Sequence[str | None], ctx: Any
    ) -> list[str]:
        lines = [f"{ctx.indent}if {args[0]}:  # computes the predicate"]
        return self._branches(lines, args, outs, ctx)

    def _branches(
        self, lines: list[str], args: Sequence[str], outs: Sequence[str | None], ctx: Any
    ) -> list[str]:
        inner = ctx.indent + "    "
        for keyword, body in (("", self.then_body), ("else:", self.else_body)):
            if keyword:
                lines.append(f"{ctx.indent}{keyword}")
            statements, results = ctx.body(body, args[1:], inner)
            chosen = [(o, r) for o, r in zip(outs, results) if o is not None]
            statements += _assign(inner, [o for o, _ in chosen], [r for _, r in chosen])
            lines += statements or [f"{inner}pass"]
        return lines

    def vjp(self, node: Expr, cotangent: Any) -> Sequence[Expr | None]:
        cots = list(cotangent)
        pred, *args = node.inputs
        outs = [i for i, t in enumerate(self.output_types) if _is_float(t)]
        wrt = [i for i, a in enumerate(args) if _is_float(a)]
        batch = _batch(cots, self.output_types)
        seeds = [_or_zeros(cots[i], *self.output_types[i], batch) for i in outs]
        then_vjp, _ = _vjp_body(self.then_body, outs, wrt, batch)
        else_vjp, _ = _vjp_body(self.else_body, outs, wrt, batch)
        grads = items(Cond(then_vjp, else_vjp)(pred, *args, *seeds))
        result: list[Expr | None] = [None] * len(node.inputs)
        for k, i in enumerate(wrt):
            result[1 + i] = grads[k]
        return result

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Any:
        pred, *args = node.inputs
        moving = [i for i, t in enumerate(tangents[1:]) if t is not None]
        if not moving:
            return None
        given = [tangents[1 + i] for i in moving]
        batch = _batch(given, [(args[i].shape, args[i].dtype) for i in moving])
        outs = [i for i, t in enumerate(self.output_types) if _is_float(t)]
        tparams = [parameter(t.shape, t.dtype, "t") for t in given]
        bodies = []
        for body in (self.then_body, self.else_body):
            pushed = _jvp_body(body, moving, tparams, outs, batch)
            bodies.append(Body(body.params + tuple(tparams), tuple(pushed)))
        tangent_items = items(Cond(*bodies)(pred, *args, *given))
        result: list[Expr | None] = [None] * len(self.output_types)
        for k, i in enumerate(outs):
            result[i] = tangent_items[k]
        return result

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> Any:
        import sympy

        from ..check.sympy_bridge import to_object_arrays

        pred, *operands = args
        chosen = []
        for body in (self.then_body, self.else_body):
            bound = {id(p): a for p, a in zip(body.params, operands)}
            chosen.append(to_object_arrays(body.results, bound))
        condition = sympy.sympify(pred[()])
        if not isinstance(condition, sympy.logic.boolalg.Boolean):
            condition = sympy.Ne(condition, 0)  # a number as the predicate: true if nonzero
        piecewise = np.vectorize(
            lambda t, f: sympy.Piecewise((t, condition), (f, True)), otypes=[object]
        )
        return [piecewise(t, f) for t, f in zip(*chosen)]


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
    >>> y = sg.cond(x > 0, sg.log, lambda v: 0 * v, x)
    >>> float(y.eval({x: -1.0})), float(sg.grad(y, x).eval({x: 2.0}))
    (0.0, 0.5)
    """
    pred = as_expr(pred)
    if pred.ndim != 0:
        raise ShapeError("cond", f"the predicate must be a scalar, got shape {pred.shape}")
    args = [as_expr(v) for v in operands]
    params = make_params(args)
    captures = Captures()
    branches = []
    structure = None
    for which, fn in (("true_fn", true_fn), ("false_fn", false_fn)):
        out = _call(fn, params, which)
        leaves, shape = _flatten_out(out, "cond", which)
        if structure is not None and shape != structure:
            raise ShapeError("cond", f"true_fn returns {structure}, false_fn returns {shape}")
        structure = shape
        branches.append(leaves)
    true_leaves, false_leaves = branches
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
    return _unflatten_out(structure, items(node))


# --- while ----------------------------------------------------------------------------------

_LIMIT_ERROR = '''\
class IterationLimitError(RuntimeError):
    """A while loop was still running after its max_iterations steps."""
'''


@dataclasses.dataclass(frozen=True)
class While(MultiOutput):
    """Repeat ``body`` while ``test`` holds. Inputs: the initial state (``n_state`` values)
    and the values the bodies read from outside. Outputs: the final state, the number of
    steps, and the state values listed in ``record`` at the start of every step, stacked."""

    name = "while_loop"
    test: Body
    body: Body
    n_state: int
    record: tuple[int, ...]
    max_iterations: int  # 0: no limit
    trips_dim: str  # the symbolic size of the stacked records
    # On Dask the test is computed before every step, and the state persisted after it
    # (kept computed, on the cluster's workers if there is one): no step is computed twice.
    dask = True

    @property  # type: ignore[override]
    def helpers(self) -> dict[str, str]:
        if not self.max_iterations:
            return {}
        return {"IterationLimitError": _LIMIT_ERROR}

    @property  # type: ignore[override]
    def dask_helpers(self) -> dict[str, str]:
        return {**self.helpers, "_stack_rows": _STACK_ROWS_HELPER} if self.record else self.helpers

    def check(self, inputs: tuple[Expr, ...]) -> None:
        n = self.n_state
        _check_params(self.test, inputs, "while_loop")
        _check_params(self.body, inputs, "while_loop")
        _expect(self.test.params == self.body.params, "while_loop: test and body params differ")
        _expect(
            len(self.test.results) == 1 and self.test.results[0].ndim == 0,
            "while_loop: the test must give one scalar",
        )
        _expect(
            _types(self.body.results) == _types(self.body.params[:n]),
            "while_loop: the body must give the state's shapes and dtypes",
        )
        _expect(all(0 <= j < n for j in self.record), "while_loop: record out of range")
        _expect(self.max_iterations >= 0, "while_loop: max_iterations must be >= 0")

    @property
    def output_types(self) -> tuple[tuple[Shape, np.dtype], ...]:
        state = [(p.shape, p.dtype) for p in self.body.params[: self.n_state]]
        stacked = [
            ((self.trips_dim, *self.body.params[j].shape), self.body.params[j].dtype)
            for j in self.record
        ]
        return (*state, ((), _INT), *stacked)

    def output_hint(self, index: int) -> str:
        if index < self.n_state:
            return self.body.params[index].op.hint
        if index == self.n_state:
            return "trips"
        return "history_" + self.body.params[self.record[index - self.n_state - 1]].op.hint

    def emit_block(
        self, node: Expr, args: Sequence[str], outs: Sequence[str | None], ctx: Any
    ) -> list[str]:
        return self._loop(args, outs, ctx, dask=False)

    def emit_block_dask(
        self, node: Expr, args: Sequence[str], outs: Sequence[str | None], ctx: Any
    ) -> list[str]:
        return self._loop(args, outs, ctx, dask=True)

    def _loop(
        self, args: Sequence[str], outs: Sequence[str | None], ctx: Any, dask: bool
    ) -> list[str]:
        n, indent = self.n_state, ctx.indent
        inner = indent + "    "
        state = [outs[i] or ctx.fresh(self.output_hint(i)) for i in range(n)]
        steps = ctx.fresh("steps")
        ctx.bind_dim(self.trips_dim, steps)
        history = {j: ctx.fresh(f"{self.body.params[j].op.hint}_history") for j in self.record}
        lines = _assign(indent, state, args[:n])
        if dask:
            lines.append(f"{indent}[{', '.join(state)}] = dask.persist({', '.join(state)})")
        lines.append(f"{indent}{steps} = 0")
        lines += [f"{indent}{h} = []" for h in history.values()]
        bound = state + list(args[n:])
        test_lines, (test,) = ctx.body(self.test, bound, inner)
        single = _single_expression(test_lines, test)
        if single is not None:
            lines.append(f"{indent}while {single}:")
        else:
            lines += [
                f"{indent}while True:",
                *test_lines,
                f"{inner}if not {test}:",
                f"{inner}    break",
            ]
        if self.max_iterations:
            lines += [
                f"{inner}if {steps} == {self.max_iterations}:",
                f"{inner}    raise IterationLimitError("
                f"'while_loop: still running after max_iterations={self.max_iterations} steps')",
            ]
        lines += [f"{inner}{history[j]}.append({state[j]})" for j in self.record]
        body_lines, results = ctx.body(self.body, bound, inner)
        lines += body_lines + _assign(inner, state, results)
        if dask:
            lines.append(f"{inner}[{', '.join(state)}] = dask.persist({', '.join(state)})")
        lines.append(f"{inner}{steps} += 1")
        if outs[n] is not None:
            lines.append(f"{indent}{outs[n]} = np.int64({steps})")
        for k, j in enumerate(self.record):
            out = outs[n + 1 + k]
            if out is not None:
                shape = ctx.shape((self.trips_dim, *self.body.params[j].shape))
                dtype = dtype_name(self.body.params[j].dtype)
                if dask:
                    stacked = f"_stack_rows({history[j]}, {shape}, np.{dtype})"
                else:
                    stacked = f"np.array({history[j]}, dtype=np.{dtype}).reshape({shape})"
                lines.append(f"{indent}{out} = {stacked}")
        if history:
            lines.append(f"{indent}del {', '.join(history.values())}")
        return lines

    def vjp(self, node: Expr, cotangent: Any) -> Sequence[Expr | None]:
        cots = list(cotangent)
        n = self.n_state
        types = self.output_types
        floats = [i for i in range(n) if _is_float(types[i])]
        caps = node.inputs[n:]
        float_caps = [n + j for j, c in enumerate(caps) if _is_float(c)]
        batch = _batch(cots, types)
        step_vjp, _ = _vjp_body(self.body, floats, floats + float_caps, batch)
        needed = sorted(i for i in step_vjp.uses() if i < n)
        record = tuple(sorted(set(self.record) | set(needed)))
        forward = items(dataclasses.replace(self, record=record)(*node.inputs))
        history = {j: forward[n + 1 + k] for k, j in enumerate(record)}
        history_cots = {
            j: cots[n + 1 + k] for k, j in enumerate(self.record) if cots[n + 1 + k] is not None
        }
        seeds = [_or_zeros(cots[i], *types[i], batch) for i in floats]
        cap_zeros = [
            shape_ops.zeros(batch + node.inputs[j].shape, node.inputs[j].dtype) for j in float_caps
        ]
        xs = [history[j] for j in needed] + [
            _time_first(history_cots[j], len(batch)) for j in history_cots
        ]
        reverse = _reverse_scan(
            step_vjp,
            n_state_params=n,
            floats=floats,
            float_caps=float_caps,
            needed=needed,
            cotangent_of_history=list(history_cots),
            batch=batch,
            params=self.body.params,
            trips=forward[n],
            length=self.trips_dim,
            seeds=seeds,
            cap_zeros=cap_zeros,
            xs=xs,
            consts=list(caps),
        )
        result: list[Expr | None] = [None] * len(node.inputs)
        for k, i in enumerate(floats):
            result[i] = reverse[k]
        for k, j in enumerate(float_caps):
            result[j] = reverse[len(floats) + k]
        return result

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Any:
        n = self.n_state
        if all(t is None for t in tangents):
            return None
        types = self.output_types
        floats = [i for i in range(n) if _is_float(types[i])]
        caps = node.inputs[n:]
        moving_caps = [j for j, t in enumerate(tangents[n:]) if t is not None]
        batch = _batch(list(tangents), [(x.shape, x.dtype) for x in node.inputs])
        params = self.body.params
        dstate = [
            parameter(batch + params[i].shape, params[i].dtype, "d_" + params[i].op.hint)
            for i in floats
        ]
        dcaps = [
            parameter(batch + caps[j].shape, caps[j].dtype, "d_" + params[n + j].op.hint)
            for j in moving_caps
        ]
        wrt = floats + [n + j for j in moving_caps]
        pushed = _jvp_body(self.body, wrt, dstate + dcaps, floats, batch)
        new_params = (*params[:n], *dstate, *params[n:], *dcaps)
        tangent_record = [n + k for k, i in enumerate(floats) if i in self.record]
        loop = While(
            Body(new_params, self.test.results),
            Body(new_params, (*self.body.results, *pushed)),
            n + len(floats),
            tuple(self.record) + tuple(tangent_record),
            self.max_iterations,
            self.trips_dim,
        )
        init_t = [_or_zeros(tangents[i], *types[i], batch) for i in floats]
        outs = items(
            loop(*node.inputs[:n], *init_t, *caps, *[tangents[n + j] for j in moving_caps])
        )
        m = n + len(floats)
        result: list[Expr | None] = [None] * len(types)
        for k, i in enumerate(floats):
            result[i] = outs[n + k]
        for k, j in enumerate(self.record):
            if j in floats:
                result[n + 1 + k] = outs[
                    m + 1 + len(self.record) + tangent_record.index(n + floats.index(j))
                ]
        return result


def _single_expression(lines: list[str], name: str) -> str | None:
    """The expression of a block that is one statement ``name = expression`` (or none,
    ``name`` being the expression), if it is."""
    if not lines:
        return name
    if len(lines) != 1:
        return None
    target, _, rest = lines[0].strip().partition(" = ")
    if target != name:
        return None
    return rest.rsplit("  # ", 1)[0]


def _reverse_scan(
    step_vjp: Body,
    *,
    n_state_params: int,
    floats: list[int],
    float_caps: list[int],
    needed: list[int],
    cotangent_of_history: list[int],
    batch: Shape,
    params: tuple[Expr, ...],
    trips: Expr,
    length: int | str,
    seeds: list[Expr],
    cap_zeros: list[Expr],
    xs: list[Expr],
    consts: list[Expr],
) -> list[Expr]:
    """The backward pass of a while loop: a Scan from the last step to the first, carrying
    the cotangent of the state and the cotangents of the outer values summed over steps."""
    n = n_state_params
    t = parameter((), _INT, "step")
    g = [parameter(s.shape, s.dtype, "d_" + params[i].op.hint) for s, i in zip(seeds, floats)]
    gc = [
        parameter(z.shape, z.dtype, "d_" + params[j].op.hint) for z, j in zip(cap_zeros, float_caps)
    ]
    x_state = [parameter(params[j].shape, params[j].dtype, params[j].op.hint) for j in needed]
    x_cot = [
        parameter(x.shape[1:], x.dtype, "d_" + params[j].op.hint + "_history")
        for x, j in zip(xs[len(needed) :], cotangent_of_history)
    ]
    k_params = [parameter(c.shape, c.dtype, params[n + j].op.hint) for j, c in enumerate(consts)]
    mapping = list(params)  # state parameters the derivative does not read stay as they are
    for j, p in zip(needed, x_state):
        mapping[j] = p
    mapping[n:] = k_params
    outs = step_vjp.call([*mapping, *g])
    new_g = list(outs[: len(floats)])
    for j, p in zip(cotangent_of_history, x_cot):
        k = floats.index(j)
        new_g[k] = new_g[k] + p
    from . import elementwise as ew

    new_gc = [ew.add(a, b) for a, b in zip(gc, outs[len(floats) :])]
    body = Body((t, *g, *gc, *x_state, *x_cot, *k_params), (*new_g, *new_gc))
    scan_op = Scan(body, len(g) + len(gc), len(xs), length, True, (), True)
    result = items(scan_op(trips, *seeds, *cap_zeros, *xs, *consts))
    return result[: len(g) + len(gc)]


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
    leaves, structure = _flatten_state(init, "while_loop")
    params = make_params(leaves, [x.name or "state" for x in leaves])
    state = _unflatten_out(structure, params)
    test = as_expr(_call(cond_fn, [state], "cond_fn"))
    if test.ndim != 0:
        raise ShapeError("while_loop", f"cond_fn must return a scalar, got shape {test.shape}")
    new = _state_results(_call(body_fn, [state], "body_fn"), structure, params, "while_loop")
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
    return _unflatten_out(structure, items(op(*leaves, *captures.values))[: len(params)])


# --- scan -----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Scan(MultiOutput):
    """A loop of ``length`` steps (backwards if ``reverse``). The body takes the step index,
    the carried values and row ``t`` of each stacked input (and the outer values it reads);
    it gives the new carried values and the rows of the stacked outputs. Inputs: the step
    count if ``counted``, the initial carry, the stacked inputs, the outer values. Outputs:
    the final carry, the stacked outputs, and the carried values listed in ``record`` at the
    start of every step, stacked."""

    name = "scan"
    body: Body
    n_carry: int
    n_xs: int
    length: Dim
    reverse: bool
    record: tuple[int, ...]
    counted: bool
    # On Dask the loop builds the graph of every step; nothing is computed.
    dask = True
    dask_helpers = {"_stack_rows": _STACK_ROWS_HELPER}

    def check(self, inputs: tuple[Expr, ...]) -> None:
        nc, nx = self.n_carry, self.n_xs
        params = self.body.params
        _expect(
            bool(params) and params[0].shape == () and params[0].dtype == _INT,
            "scan: the body's first parameter must be the int64 step",
        )
        first = 1 if self.counted else 0
        if self.counted:
            _expect(inputs[0].ndim == 0 and inputs[0].dtype.kind in "iu", "scan: bad count")
        rows = inputs[first + nc : first + nc + nx]
        _expect(
            all(x.ndim >= 1 and x.shape[0] == self.length for x in rows),
            "scan: the stacked inputs must have length rows",
        )
        expected = [*inputs[first : first + nc]]
        _check_params(
            Body(params[1:], ()), (*expected, *_rows_of(rows), *inputs[first + nc + nx :]), "scan"
        )
        _expect(len(self.body.results) >= nc, "scan: the body must give the carry")
        _expect(
            _types(self.body.results[:nc]) == _types(params[1 : 1 + nc]),
            "scan: the body must give the carry's shapes and dtypes",
        )
        _expect(all(0 <= j < nc for j in self.record), "scan: record out of range")

    @property
    def output_types(self) -> tuple[tuple[Shape, np.dtype], ...]:
        carry = self.body.params[1 : 1 + self.n_carry]
        ys = self.body.results[self.n_carry :]
        return (
            *[(p.shape, p.dtype) for p in carry],
            *[((self.length, *y.shape), y.dtype) for y in ys],
            *[((self.length, *carry[j].shape), carry[j].dtype) for j in self.record],
        )

    def output_hint(self, index: int) -> str:
        carry = self.body.params[1 : 1 + self.n_carry]
        n_ys = len(self.body.results) - self.n_carry
        if index < self.n_carry:
            return carry[index].op.hint
        if index < self.n_carry + n_ys:
            return "ys"
        return carry[self.record[index - self.n_carry - n_ys]].op.hint + "_history"

    def emit_block(
        self, node: Expr, args: Sequence[str], outs: Sequence[str | None], ctx: Any
    ) -> list[str]:
        return self._loop(args, outs, ctx, dask=False)

    def emit_block_dask(
        self, node: Expr, args: Sequence[str], outs: Sequence[str | None], ctx: Any
    ) -> list[str]:
        """Rows are collected in lists and stacked after the loop (writing them into a
        Dask array one by one would copy it at every step)."""
        return self._loop(args, outs, ctx, dask=True)

    def _loop(
        self, args: Sequence[str], outs: Sequence[str | None], ctx: Any, dask: bool
    ) -> list[str]:
        indent = ctx.indent
        inner = indent + "    "
        nc, nx = self.n_carry, self.n_xs
        args_all = args
        if self.counted:
            args = args[1:]
        carry = [outs[i] or ctx.fresh(self.output_hint(i)) for i in range(nc)]
        xs, outer = args[nc : nc + nx], args[nc + nx :]
        n_ys = len(self.body.results) - nc
        stacked = [outs[nc + k] or ctx.fresh("ys") for k in range(n_ys)]
        history = [outs[nc + n_ys + k] for k in range(len(self.record))]
        lines = _assign(indent, carry, args[:nc])
        for name, (shape, dtype) in zip(stacked + history, self.output_types[nc:]):
            if name is not None:
                empty = (
                    "[]" if dask else f"np.empty({ctx.shape(shape)}, dtype=np.{dtype_name(dtype)})"
                )
                lines.append(f"{indent}{name} = {empty}")
        step = ctx.fresh("t")
        # A counted scan runs as many steps as its count input says (for the reverse of a
        # while loop, the loop's trip count): read it, so it is never a dead variable.
        length = args_all[0] if self.counted and not isinstance(self.length, int) else None
        length = length or ctx.dim(self.length)
        steps = f"range({length} - 1, -1, -1)" if self.reverse else f"range({length})"
        lines.append(f"{indent}for {step} in {steps}:")
        index = ctx.fresh("i") if 0 in self.body.uses() else step
        if index != step:
            lines.append(f"{inner}{index} = np.int64({step})")
        rows = []
        for k, x in enumerate(xs):
            row = ctx.fresh(self.body.params[1 + nc + k].op.hint)
            rows.append(row)
            lines.append(f"{inner}{row} = {x}[{step}]")
        row = "{}.append({})" if dask else "{}[" + step + "] = {}"
        for name, j in zip(history, self.record):
            if name is not None:
                lines.append(inner + row.format(name, carry[j]))
        body_lines, results = ctx.body(self.body, [index, *carry, *rows, *outer], inner)
        lines += body_lines
        lines += [inner + row.format(name, r) for name, r in zip(stacked, results[nc:])]
        lines += _assign(inner, carry, results[:nc])
        if dask:  # the collected rows, stacked (in index order: reversed if the loop was)
            order = "[::-1]" if self.reverse else ""
            for name, (shape, dtype) in zip(stacked + history, self.output_types[nc:]):
                if name is not None:
                    lines.append(
                        f"{indent}{name} = _stack_rows({name}{order}, {ctx.shape(shape)}, "
                        f"np.{dtype_name(dtype)})"
                    )
        return lines

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> Any:
        """The loop unrolled (its length is known once shapes are concrete)."""
        import sympy

        from ..check.sympy_bridge import to_object_arrays

        if not isinstance(self.length, int):
            raise NotImplementedError(f"scan of symbolic length {self.length!r}")
        nc, nx = self.n_carry, self.n_xs
        if self.counted:
            args = args[1:]
        carry, xs, outer = list(args[:nc]), args[nc : nc + nx], list(args[nc + nx :])
        steps = range(self.length - 1, -1, -1) if self.reverse else range(self.length)
        rows: list[list[np.ndarray]] = []
        history: list[list[np.ndarray]] = []
        for t in steps:
            history.append([carry[j] for j in self.record])
            values = [np.array(sympy.Integer(t), dtype=object), *carry, *[x[t] for x in xs], *outer]
            results = to_object_arrays(
                self.body.results, {id(p): v for p, v in zip(self.body.params, values)}
            )
            carry, ys = results[:nc], results[nc:]
            rows.append(ys)
        if self.reverse:
            rows.reverse()
            history.reverse()
        n_ys = len(self.body.results) - nc
        types = self.output_types[nc:]
        stacked = [_stack([r[k] for r in rows], types[k][0]) for k in range(n_ys)]
        records = [
            _stack([h[k] for h in history], types[n_ys + k][0]) for k in range(len(self.record))
        ]
        return [*carry, *stacked, *records]

    def vjp(self, node: Expr, cotangent: Any) -> Sequence[Expr | None]:
        cots = list(cotangent)
        nc, nx = self.n_carry, self.n_xs
        types = self.output_types
        n_ys = len(self.body.results) - nc
        first = 1 if self.counted else 0
        xs = node.inputs[first + nc : first + nc + nx]
        consts = node.inputs[first + nc + nx :]
        params = self.body.params  # (t, carry, x rows, consts)
        float_c = [i for i in range(nc) if _is_float(types[i])]
        float_y = [k for k in range(n_ys) if _is_float(types[nc + k])]
        float_x = [k for k in range(nx) if _is_float(xs[k])]
        float_k = [k for k in range(len(consts)) if _is_float(consts[k])]
        batch = _batch(cots, types)
        nb = len(batch)
        step_vjp, _ = _vjp_body(
            self.body,
            float_c + [nc + k for k in float_y],
            [1 + i for i in float_c]
            + [1 + nc + k for k in float_x]
            + [1 + nc + nx + k for k in float_k],
            batch,
        )
        needed = sorted(i - 1 for i in step_vjp.uses() if 1 <= i <= nc)
        record = tuple(sorted(set(self.record) | set(needed)))
        forward = items(dataclasses.replace(self, record=record)(*node.inputs))
        history = {j: forward[nc + n_ys + k] for k, j in enumerate(record)}
        history_cots = {
            j: cots[nc + n_ys + k]
            for k, j in enumerate(self.record)
            if cots[nc + n_ys + k] is not None
        }
        seeds = [_or_zeros(cots[i], *types[i], batch) for i in float_c]
        const_zeros = [shape_ops.zeros(batch + consts[k].shape, consts[k].dtype) for k in float_k]
        y_cots = [
            _time_first(cots[nc + k], nb) if cots[nc + k] is not None else None for k in float_y
        ]

        t = parameter((), _INT, "step")
        g = [
            parameter(s.shape, s.dtype, "d_" + params[1 + i].op.hint)
            for s, i in zip(seeds, float_c)
        ]
        gk = [
            parameter(z.shape, z.dtype, "d_" + params[1 + nc + nx + k].op.hint)
            for z, k in zip(const_zeros, float_k)
        ]
        rec_rows = [
            parameter(params[1 + j].shape, params[1 + j].dtype, params[1 + j].op.hint)
            for j in needed
        ]
        x_rows = [
            parameter(
                params[1 + nc + k].shape, params[1 + nc + k].dtype, params[1 + nc + k].op.hint
            )
            for k in range(nx)
        ]
        y_rows = [parameter(c.shape[1:], c.dtype, "d_ys") for c in y_cots if c is not None]
        h_rows = [
            parameter(
                batch + params[1 + j].shape,
                params[1 + j].dtype,
                "d_" + params[1 + j].op.hint + "_history",
            )
            for j in history_cots
        ]
        k_params = [
            parameter(c.shape, c.dtype, params[1 + nc + nx + k].op.hint)
            for k, c in enumerate(consts)
        ]
        mapping = list(params)
        mapping[0] = t
        for j, p in zip(needed, rec_rows):
            mapping[1 + j] = p
        mapping[1 + nc : 1 + nc + nx] = x_rows
        mapping[1 + nc + nx :] = k_params
        y_iter = iter(y_rows)
        y_seeds = [
            next(y_iter)
            if c is not None
            else shape_ops.zeros(batch + types[nc + k][0][1:], types[nc + k][1])
            for k, c in zip(float_y, y_cots)
        ]
        outs = step_vjp.call([*mapping, *g, *y_seeds])
        from . import elementwise as ew

        new_g = list(outs[: len(float_c)])
        for j, p in zip(history_cots, h_rows):
            k = float_c.index(j)
            new_g[k] = ew.add(new_g[k], p)
        x_grads = outs[len(float_c) : len(float_c) + len(float_x)]
        new_gk = [ew.add(a, b) for a, b in zip(gk, outs[len(float_c) + len(float_x) :])]
        body = Body(
            (t, *g, *gk, *rec_rows, *x_rows, *y_rows, *h_rows, *k_params),
            (*new_g, *new_gk, *x_grads),
        )
        stacked_xs = (
            [history[j] for j in needed]
            + list(xs)
            + [c for c in y_cots if c is not None]
            + [_time_first(history_cots[j], nb) for j in history_cots]
        )
        count = [node.inputs[0]] if self.counted else []
        back = Scan(
            body, len(g) + len(gk), len(stacked_xs), self.length, not self.reverse, (), self.counted
        )
        res = items(back(*count, *seeds, *const_zeros, *stacked_xs, *consts))
        result: list[Expr | None] = [None] * len(node.inputs)
        for k, i in enumerate(float_c):
            result[first + i] = res[k]
        for k, c in enumerate(float_k):
            result[first + nc + nx + c] = res[len(g) + k]
        for k, x in enumerate(float_x):
            result[first + nc + x] = _time_after_batch(res[len(g) + len(gk) + k], nb)
        return result

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Any:
        if all(t is None for t in tangents):
            return None
        nc, nx = self.n_carry, self.n_xs
        types = self.output_types
        n_ys = len(self.body.results) - nc
        first = 1 if self.counted else 0
        inputs = node.inputs
        params = self.body.params
        batch = _batch(list(tangents), [(x.shape, x.dtype) for x in inputs])
        nb = len(batch)
        float_c = [i for i in range(nc) if _is_float(types[i])]
        moving_x = [k for k in range(nx) if tangents[first + nc + k] is not None]
        moving_k = [
            k
            for k in range(len(inputs) - first - nc - nx)
            if tangents[first + nc + nx + k] is not None
        ]
        dc = [
            parameter(
                batch + params[1 + i].shape, params[1 + i].dtype, "d_" + params[1 + i].op.hint
            )
            for i in float_c
        ]
        dx = [
            parameter(
                batch + params[1 + nc + k].shape,
                params[1 + nc + k].dtype,
                "d_" + params[1 + nc + k].op.hint,
            )
            for k in moving_x
        ]
        dk = [
            parameter(
                batch + params[1 + nc + nx + k].shape,
                params[1 + nc + nx + k].dtype,
                "d_" + params[1 + nc + nx + k].op.hint,
            )
            for k in moving_k
        ]
        float_y = [k for k in range(n_ys) if _is_float(types[nc + k])]
        pushed = _jvp_body(
            self.body,
            [1 + i for i in float_c]
            + [1 + nc + k for k in moving_x]
            + [1 + nc + nx + k for k in moving_k],
            dc + dx + dk,
            float_c + [nc + k for k in float_y],
            batch,
        )
        new_params = (
            params[0],
            *params[1 : 1 + nc],
            *dc,
            *params[1 + nc : 1 + nc + nx],
            *dx,
            *params[1 + nc + nx :],
            *dk,
        )
        n_dc = len(dc)
        results = (*self.body.results[:nc], *pushed[:n_dc], *self.body.results[nc:], *pushed[n_dc:])
        tangent_record = [nc + float_c.index(j) for j in self.record if j in float_c]
        loop = Scan(
            Body(new_params, results),
            nc + n_dc,
            nx + len(dx),
            self.length,
            self.reverse,
            tuple(self.record) + tuple(tangent_record),
            self.counted,
        )
        init_t = [_or_zeros(tangents[first + i], *types[i], batch) for i in float_c]
        x_t = [_time_first(tangents[first + nc + k], nb) for k in moving_x]
        k_t = [tangents[first + nc + nx + k] for k in moving_k]
        count = list(inputs[:first])
        outs = items(
            loop(
                *count,
                *inputs[first : first + nc],
                *init_t,
                *inputs[first + nc : first + nc + nx],
                *x_t,
                *inputs[first + nc + nx :],
                *k_t,
            )
        )
        m = nc + n_dc  # carries of the new loop
        result: list[Expr | None] = [None] * len(types)
        for k, i in enumerate(float_c):
            result[i] = outs[nc + k]
        for k, y in enumerate(float_y):
            result[nc + y] = _time_after_batch(outs[m + n_ys + k], nb)
        n_rec = len(self.record)
        for k, j in enumerate(self.record):
            if j in float_c:
                pos = tangent_record.index(nc + float_c.index(j))
                result[nc + n_ys + k] = _time_after_batch(
                    outs[m + n_ys + len(float_y) + n_rec + pos], nb
                )
        return result


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
        carry, _ = scan(lambda c, i: (body_fn(i, c), None), init, length=int(n), _index=True)
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
    _index: bool = False,
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
    carry_leaves, carry_structure = _flatten_state(init, "scan")
    x_leaves, x_structure = ([], None) if xs is None else _flatten_state(xs, "scan")
    for x in x_leaves:
        if x.ndim == 0:
            raise ShapeError("scan", "xs must have a leading axis to loop over, got a scalar")
    if x_leaves:
        size = x_leaves[0].shape[0]
        for x in x_leaves[1:]:
            if x.shape[0] != size:
                raise ShapeError("scan", f"xs differ in length: {size} and {x.shape[0]}")
        if length is not None and length != size:
            raise ShapeError("scan", f"length={length} but xs have {size} rows")
    elif length is None:
        raise ValueError("scan: give xs or length")
    else:
        if type(length) is not int or length < 0:
            raise ValueError(f"scan: length must be an int >= 0, got {length!r}")
        size = length
    t = parameter((), _INT, "i")
    carry = make_params(carry_leaves, [x.name or "carry" for x in carry_leaves])
    rows = [parameter(x.shape[1:], x.dtype, _row_hint(x)) for x in x_leaves]
    carry_in = _unflatten_out(carry_structure, carry)
    x_in = t if _index else (None if x_structure is None else _unflatten_out(x_structure, rows))
    out = _call(fn, [carry_in, x_in], "fn")
    if not isinstance(out, tuple) or len(out) != 2:
        raise TypeError("scan: fn must return a pair (carry, y)")
    new_carry = _state_results(out[0], carry_structure, carry, "scan")
    y_leaves, y_structure = ([], None) if out[1] is None else _flatten_out(out[1], "scan", "fn")
    y_leaves = [as_expr(y) for y in y_leaves]
    captures = Captures()
    closed = close([t, *carry, *rows], [*new_carry, *y_leaves], captures)
    body = Body((t, *carry, *rows, *captures.params), tuple(closed))
    counted = not x_leaves
    op = Scan(body, len(carry), len(rows), size, reverse, (), counted)
    count = [const(np.int64(size))] if counted else []
    outs = items(op(*count, *carry_leaves, *x_leaves, *captures.values))
    final = _unflatten_out(carry_structure, outs[: len(carry)])
    ys = None if y_structure is None else _unflatten_out(y_structure, outs[len(carry) :])
    return final, ys


def _stack(rows: list[np.ndarray], shape: Shape) -> np.ndarray:
    """Object arrays stacked along a new first axis (``shape`` when there are none)."""
    return np.stack(rows) if rows else np.empty(shape, dtype=object)


def _row_hint(x: Expr) -> str:
    return x.name if x.name is not None else "x"


# --- structures -----------------------------------------------------------------------------


def _call(fn: Any, args: Sequence[Any], what: str) -> Any:
    if not callable(fn):
        raise TypeError(f"{what} must be a function, got {type(fn).__name__}")
    return fn(*args)


def _flatten_out(value: Any, op: str, what: str) -> tuple[list[Any], Any]:
    """Leaves and structure (a hashable description) of what a function returned."""
    from ..structure import flatten

    leaves, _ = flatten(value)
    if not leaves:
        raise TypeError(f"{op}: {what} returned nothing")
    return leaves, _structure(value)


def _structure(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_structure(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple((k, _structure(v)) for k, v in value.items()))
    return "*"


def _unflatten_out(structure: Any, leaves: Sequence[Expr]) -> Any:
    it = iter(leaves)

    def build(s: Any) -> Any:
        if s == "*":
            return next(it)
        kind, parts = s
        if kind == "dict":
            return {k: build(v) for k, v in parts}
        built = [build(p) for p in parts]
        return built if kind == "list" else tuple(built)

    return build(structure)


def _flatten_state(value: Any, op: str) -> tuple[list[Expr], Any]:
    leaves, structure = _flatten_out(value, op, "init")
    return [as_expr(v) for v in leaves], structure


def _state_results(value: Any, structure: Any, params: Sequence[Expr], op: str) -> list[Expr]:
    """The body's new state, checked against the state it was given."""
    leaves, got = _flatten_out(value, op, "body_fn")
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
