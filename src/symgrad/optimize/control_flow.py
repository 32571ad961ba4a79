"""Control-flow passes: optimize inside bodies, share loops, drop what no one reads.

* Every rewrite pass also runs inside branch and loop bodies (the rewrite driver sees to
  that).
* A loop and its recording twin (made by reverse mode, which needs the states) differ only in
  what they record; both become the one loop recording the union, so it runs once.
* A while loop extended by forward mode (the same states, test and body, plus tangents
  carried along) computes everything the original does: the original's outputs are read
  from the extended loop, so value and derivative run one loop.
* Outputs no one reads are not computed: a branch drops them, a loop drops the state it
  carries only for them (and the outer values only they read). A loop state the body
  leaves unchanged is read from the loop's input instead.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Sequence

from ..core.expr import Expr
from ..core.gc_pause import paused_gc
from ..core.walk import topological_order
from ..ops.control import Cond, Scan, While
from ..ops.subgraph import Body, Item, MultiOutput, items, substitute


@paused_gc()
def prune(outputs: Sequence[Expr]) -> list[Expr]:
    """``outputs`` with loops shared and unread control-flow outputs removed, also inside
    bodies."""
    order = topological_order(outputs)
    if not any(isinstance(n.op, MultiOutput) for n in order):
        return list(outputs)
    shared = _read_from_extensions(order)
    if shared:
        outputs = substitute(outputs, shared)
        order = topological_order(outputs)
    used: dict[int, set[int]] = {}
    records: dict[object, set[int]] = {}
    for node in order:
        if isinstance(node.op, Item):
            used.setdefault(id(node.inputs[0]), set()).add(node.op.index)
        elif isinstance(node.op, (While, Scan)):
            records.setdefault(_loop_key(node), set()).update(node.op.record)
    # A loop and its recording twins are computed as one: the same record and the same
    # wanted outputs, so they prune to the same node.
    plans: dict[int, tuple[MultiOutput, list[int], object]] = {}
    wanted: dict[object, set[int]] = {}
    for node in order:
        if not isinstance(node.op, MultiOutput):
            continue
        op, key = node.op, id(node)
        index_of = list(range(op.n_outputs))
        if isinstance(op, (While, Scan)):
            key = _loop_key(node)
            union = tuple(sorted(records[key]))
            if union != op.record:
                first = len(op.output_types) - len(op.record)
                index_of[first:] = [first + union.index(j) for j in op.record]
                op = dataclasses.replace(op, record=union)
        plans[id(node)] = (op, index_of, key)
        wanted.setdefault(key, set()).update(index_of[i] for i in used.get(id(node), ()))
    done: dict[int, Expr] = {}
    remap: dict[int, list[Expr]] = {}  # multi node -> its outputs after pruning
    for node in order:
        inputs = tuple(done[id(x)] for x in node.inputs)
        if isinstance(node.op, Item):
            done[id(node)] = remap[id(node.inputs[0])][node.op.index]
        elif isinstance(node.op, MultiOutput):
            op, index_of, key = plans[id(node)]
            outs = _prune_node(op, inputs, wanted[key])
            remap[id(node)] = [outs[i] for i in index_of]
            done[id(node)] = node  # never read: its items were remapped
        else:
            same = all(map(operator.is_, inputs, node.inputs))
            done[id(node)] = node if same else node.op(*inputs)
    return [done[id(o)] for o in outputs]


def _read_from_extensions(order: list[Expr]) -> dict[int, Expr]:
    """For each while loop that another loop extends (see :func:`_extends`): its items, by
    id, mapped to the extension's items holding the same values."""
    by_trips: dict[str, list[Expr]] = {}
    for node in order:
        if isinstance(node.op, While):
            by_trips.setdefault(node.op.trips_dim, []).append(node)
    position = {id(n): i for i, n in enumerate(order)}
    replace: dict[int, int] = {}  # loop -> the largest loop that extends it
    for loops in by_trips.values():
        for a in loops:
            extensions = [
                b
                for b in loops
                if _extends(b, a)
                and (position[id(b)] < position[id(a)] or not _depends_on(b, a, position))
            ]
            if extensions:
                replace[id(a)] = id(max(extensions, key=lambda b: b.op.n_state))
    if not replace:
        return {}
    nodes = {id(n): n for n in order}
    mapping: dict[int, Expr] = {}
    for node in order:
        if isinstance(node.op, Item) and id(node.inputs[0]) in replace:
            a, b = node.inputs[0], nodes[replace[id(node.inputs[0])]]
            index = _extended_index(a.op, b.op, node.op.index)
            if index is not None:
                mapping[id(node)] = Item(index)(b)
    return mapping


def _extends(b: Expr, a: Expr) -> bool:
    """Whether while loop ``b`` carries ``a``'s states through ``a``'s own test and body, with
    more states after them and more outer values after ``a``'s (what forward mode builds)."""
    A, B = a.op, b.op
    n, m = A.n_state, B.n_state
    caps = len(a.inputs) - n
    if m <= n or B.max_iterations != A.max_iterations or len(b.inputs) < m + caps:
        return False
    pa, pb = A.body.params, B.body.params
    return (
        _same(pb[:n], pa[:n])
        and _same(pb[m : m + caps], pa[n:])
        and _same(b.inputs[:n], a.inputs[:n])
        and _same(b.inputs[m : m + caps], a.inputs[n:])
        and _same(B.test.results, A.test.results)
        and _same(B.body.results[:n], A.body.results)
    )


def _same(xs: Sequence[Expr], ys: Sequence[Expr]) -> bool:
    return len(xs) == len(ys) and all(x is y for x, y in zip(xs, ys))


def _extended_index(a: While, b: While, index: int) -> int | None:
    """The output of ``b`` equal to output ``index`` of ``a`` (final states, then the step
    count, then the recorded states), or ``None`` if ``b`` does not record that state."""
    if index <= a.n_state:
        return index if index < a.n_state else b.n_state
    state = a.record[index - a.n_state - 1]
    if state not in b.record:
        return None
    return b.n_state + 1 + b.record.index(state)


def _depends_on(b: Expr, a: Expr, position: dict[int, int]) -> bool:
    """Whether ``b`` reads ``a`` (through any path); nodes placed before ``a`` in the order
    cannot, so the walk stops there."""
    floor = position[id(a)]
    stack, seen = [b], {id(b)}
    while stack:
        node = stack.pop()
        for x in node.inputs:
            if x is a:
                return True
            if id(x) not in seen and position[id(x)] > floor:
                seen.add(id(x))
                stack.append(x)
    return False


def _loop_key(node: Expr) -> tuple[object, ...]:
    return (dataclasses.replace(node.op, record=()), node.inputs)


def _prune_node(op: MultiOutput, inputs: tuple[Expr, ...], wanted: set[int]) -> list[Expr]:
    """The outputs of ``op(*inputs)`` (by original position) computing only ``wanted``
    (others may be anything)."""
    if isinstance(op, Cond):
        return _prune_cond(op, inputs, wanted)
    if isinstance(op, While):
        return _prune_while(op, inputs, wanted)
    if isinstance(op, Scan):
        return _prune_scan(op, inputs, wanted)
    return items(op(*inputs))


def _reads(body: Body, results: Sequence[int]) -> set[int]:
    """Positions of the parameters the given results read."""
    return body.select(range(len(body.params)), results).uses()


def _inner(body: Body) -> Body:
    """``body`` with its own bodies pruned for its results."""
    return Body(body.params, tuple(prune(body.results)))


def _prune_cond(op: Cond, inputs: tuple[Expr, ...], wanted: set[int]) -> list[Expr]:
    keep = sorted(wanted)
    if not keep:
        return [inputs[0]] * len(op.output_types)  # unread: any placeholder
    then_body = _inner(op.then_body.select(range(len(op.then_body.params)), keep))
    else_body = _inner(op.else_body.select(range(len(op.else_body.params)), keep))
    params = sorted(_reads(then_body, range(len(keep))) | _reads(else_body, range(len(keep))))
    new = Cond(
        then_body.select(params, range(len(keep))), else_body.select(params, range(len(keep)))
    )
    outs = items(new(inputs[0], *[inputs[1 + p] for p in params]))
    result = [inputs[0]] * len(op.output_types)
    for k, i in enumerate(keep):
        result[i] = outs[k]
    return result


def _needed_state(body: Body, n: int, start: set[int], extra_reads: set[int]) -> list[int]:
    """The state positions (< n) that ``start`` and ``extra_reads`` need, closed under what
    the body computes them from."""
    need = set(start) | {p for p in extra_reads if p < n}
    frontier = list(need)
    while frontier:
        for p in _reads(body, [frontier.pop()]):
            if p < n and p not in need:
                need.add(p)
                frontier.append(p)
    return sorted(need)


def _prune_while(op: While, inputs: tuple[Expr, ...], wanted: set[int]) -> list[Expr]:
    n = op.n_state
    record = [j for k, j in enumerate(op.record) if n + 1 + k in wanted]
    test, body = _inner(op.test), _inner(op.body)
    # A state the body never changes is read from the loop's input, not carried for it.
    states = {i for i in wanted if i < n and body.results[i] is not body.params[i]}
    states |= set(record)
    state = _needed_state(body, n, states, test.uses())
    reads = test.uses() | _reads(body, state)
    outer = sorted(p for p in reads if p >= n)
    params = state + outer
    new = While(
        test.select(params, [0]),
        body.select(params, state),
        len(state),
        tuple(state.index(j) for j in record),
        op.max_iterations,
        op.trips_dim,
    )
    outs = items(new(*[inputs[p] for p in params]))
    result = [inputs[0]] * len(op.output_types)  # placeholders for what no one reads
    for i in range(n):
        if body.results[i] is body.params[i]:
            result[i] = inputs[i]  # a state the body never changes is its initial value
        elif i in state:
            result[i] = outs[state.index(i)]
    result[n] = outs[len(state)]
    for k, j in enumerate(op.record):
        if j in record:
            result[n + 1 + k] = outs[len(state) + 1 + record.index(j)]
    return result


def _prune_scan(op: Scan, inputs: tuple[Expr, ...], wanted: set[int]) -> list[Expr]:
    nc, nx = op.n_carry, op.n_xs
    n_ys = len(op.body.results) - nc
    first = 1 if op.counted else 0
    body = _inner(op.body)
    ys = [k for k in range(n_ys) if nc + k in wanted]
    record = [j for k, j in enumerate(op.record) if nc + n_ys + k in wanted]
    # Body parameters are (step, carry, rows, outer); carry c is parameter 1 + c.
    start = {i for i in wanted if i < nc and body.results[i] is not body.params[1 + i]}
    start |= set(record)
    y_reads = {p - 1 for p in _reads(body, [nc + k for k in ys]) if 1 <= p <= nc}
    carry = _needed_state(_shifted_carry(body, nc), nc, start, y_reads)
    reads = _reads(body, carry + [nc + k for k in ys])
    rows = sorted(p - 1 - nc for p in reads if 1 + nc <= p < 1 + nc + nx)
    if not rows and nx and not op.counted:
        rows = [0]  # the loop's length comes from its first stacked input
    outer = sorted(p - 1 - nc - nx for p in reads if p >= 1 + nc + nx)
    params = [
        0,
        *[1 + c for c in carry],
        *[1 + nc + r for r in rows],
        *[1 + nc + nx + o for o in outer],
    ]
    new = Scan(
        body.select(params, carry + [nc + k for k in ys]),
        len(carry),
        len(rows),
        op.length,
        op.reverse,
        tuple(carry.index(j) for j in record),
        op.counted,
    )
    new_inputs = [
        *inputs[:first],
        *[inputs[first + c] for c in carry],
        *[inputs[first + nc + r] for r in rows],
        *[inputs[first + nc + nx + o] for o in outer],
    ]
    outs = items(new(*new_inputs))
    result = [inputs[0]] * len(op.output_types)  # placeholders for what no one reads
    for c in range(nc):
        if body.results[c] is body.params[1 + c]:
            result[c] = inputs[first + c]
        elif c in carry:
            result[c] = outs[carry.index(c)]
    for k, y in enumerate(ys):
        result[nc + y] = outs[len(carry) + k]
    for k, j in enumerate(op.record):
        if j in record:
            result[nc + n_ys + k] = outs[len(carry) + len(ys) + record.index(j)]
    return result


def _shifted_carry(body: Body, nc: int) -> Body:
    """A view of a scan body whose first ``nc`` parameters are the carry (the step index
    moved last), so carry positions and result positions coincide."""
    params = (*body.params[1 : 1 + nc], *body.params[1 + nc :], body.params[0])
    return Body(params, body.results)
