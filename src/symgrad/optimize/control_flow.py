"""Control-flow passes: optimize inside bodies, share loops, drop what no one reads.

* Every rewrite pass also runs inside branch and loop bodies (the rewrite driver sees to
  that).
* A loop and its recording twin (made by reverse mode, which needs the states) differ only in
  what they record; both become the one loop recording the union, so it runs once.
* A loop extended by forward mode (the same carry, sequences, outer values and bodies, plus
  tangents carried along) computes everything the original does: the original's outputs
  are read from the extended loop, so value and derivative run one loop.
* Outputs no one reads are not computed: a branch drops them, a loop drops the state it
  carries only for them (and the outer values only they read). A loop state the body
  leaves unchanged is read from the loop's input instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..core.expr import Expr, same_nodes
from ..core.gc_pause import paused_gc
from ..core.walk import topological_order
from ..ops.control import PARTS, Cond, Loop, Parts
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
        elif isinstance(node.op, Loop):
            records.setdefault(_loop_key(node), set()).update(node.op.record)
    # A loop and its recording twins are computed as one: the same record and the same
    # wanted outputs, so they prune to the same node.
    plans: dict[int, tuple[MultiOutput, list[int], object]] = {}
    wanted: dict[object, set[int]] = {}
    for node in order:
        if not isinstance(node.op, MultiOutput):
            continue
        op: MultiOutput = node.op
        key: object = id(node)
        index_of = list(range(op.n_outputs))
        if isinstance(op, Loop):
            key = _loop_key(node)
            union = tuple(sorted(records[key]))
            if union != op.record:
                first = op.layout.outputs.start("trace")
                index_of[first:] = [first + union.index(j) for j in op.record]
                op = op.recording(union)
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
            done[id(node)] = node if same_nodes(inputs, node.inputs) else node.op(*inputs)
    return [done[id(o)] for o in outputs]


def _read_from_extensions(order: list[Expr]) -> dict[int, Expr]:
    """For each loop that another loop extends (see :func:`_extends`): its items, by id,
    mapped to the extension's items holding the same values."""
    by_steps: dict[tuple[object, ...], list[Expr]] = {}
    for node in order:
        if isinstance(node.op, Loop):
            by_steps.setdefault((type(node.op), *node.op.stepping), []).append(node)
    position = {id(n): i for i, n in enumerate(order)}
    replace: dict[int, int] = {}  # loop -> the largest loop that extends it
    for loops in by_steps.values():
        for a in loops:
            extensions = [
                b
                for b in loops
                if _extends(b, a)
                and (position[id(b)] < position[id(a)] or not _depends_on(b, a, position))
            ]
            if extensions:
                replace[id(a)] = id(max(extensions, key=lambda b: len(_loop(b).body.params)))
    if not replace:
        return {}
    nodes = {id(n): n for n in order}
    mapping: dict[int, Expr] = {}
    for node in order:
        if isinstance(node.op, Item) and id(node.inputs[0]) in replace:
            a, b = node.inputs[0], nodes[replace[id(node.inputs[0])]]
            index = _extended_index(_loop(a), _loop(b), node.op.index)
            if index is not None:
                mapping[id(node)] = Item(index)(b)
    return mapping


def _extends(b: Expr, a: Expr) -> bool:
    """Whether loop ``b`` is loop ``a`` with more: each part of ``b``'s parameters, inputs
    and results starts with ``a``'s, its other bodies (a while loop's test) give the same,
    and it steps the same way (what forward mode builds)."""
    A, B = _loop(a), _loop(b)
    if len(B.body.params) <= len(A.body.params):
        return False
    la, lb = A.layout, B.layout
    pairs = [
        (la.params.split(A.body.params), lb.params.split(B.body.params)),
        (la.inputs.split(a.inputs), lb.inputs.split(b.inputs)),
        (la.results.split(A.body.results), lb.results.split(B.body.results)),
    ]
    others = [name for name in A.bodies() if name != "body"]
    return all(
        _same(getattr(pb, part)[: len(getattr(pa, part))], getattr(pa, part))
        for pa, pb in pairs
        for part in PARTS
    ) and all(_same(B.bodies()[name].results, A.bodies()[name].results) for name in others)


def _loop(node: Expr) -> Loop:
    assert isinstance(node.op, Loop)
    return node.op


def _same(xs: Sequence[Expr], ys: Sequence[Expr]) -> bool:
    return len(xs) == len(ys) and all(x is y for x, y in zip(xs, ys))


def _extended_index(a: Loop, b: Loop, index: int) -> int | None:
    """The output of ``b`` equal to output ``index`` of ``a``, or ``None`` if ``b`` does not
    trace that carried value."""
    part, k = a.layout.outputs.locate(index)
    if part == "trace":
        if a.record[k] not in b.record:
            return None
        k = b.record.index(a.record[k])
    return b.layout.outputs.position(part, k)


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
    return (_loop(node).recording(()), node.inputs)


def _prune_node(op: MultiOutput, inputs: tuple[Expr, ...], wanted: set[int]) -> list[Expr]:
    """The outputs of ``op(*inputs)`` (by original position) computing only ``wanted``
    (others may be anything)."""
    if isinstance(op, Cond):
        return _prune_cond(op, inputs, wanted)
    if isinstance(op, Loop):
        return _prune_loop(op, inputs, wanted)
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


def _prune_loop(op: Loop, inputs: tuple[Expr, ...], wanted: set[int]) -> list[Expr]:
    op = op.with_bodies({name: _inner(body) for name, body in op.bodies().items()})  # type: ignore[assignment]
    layout = op.layout
    params, results = op.parts()
    given = layout.inputs.split(inputs)
    ys = layout.outputs.within("ys", wanted)
    record = [op.record[k] for k in layout.outputs.within("trace", wanted)]
    # A carried value the body never changes is read from the loop's input, not carried.
    changed = [r is not p for r, p in zip(results.carry, params.carry)]
    start = {i for i in layout.outputs.within("carry", wanted) if changed[i]} | set(record)
    y_results = layout.results.positions("ys", ys)
    each_step = op.reads_each_step()
    start |= set(layout.params.within("carry", _reads(op.body, y_results) | each_step))
    carry = _needed_carry(op, start)
    reads = _reads(op.body, layout.results.positions("carry", carry) + y_results) | each_step
    xs = layout.params.within("xs", reads)
    if not xs and params.xs and not given.index:
        xs = [0]  # the loop's length comes from its first stacked input
    consts = layout.params.within("consts", reads)
    new = op.rebuilt(
        Parts(
            index=params.index,
            carry=[params.carry[i] for i in carry],
            xs=[params.xs[k] for k in xs],
            consts=[params.consts[k] for k in consts],
        ),
        Parts(carry=[results.carry[i] for i in carry], ys=[results.ys[k] for k in ys]),
        [carry.index(j) for j in record],
    )
    outs = new.run(
        Parts(
            index=given.index,
            carry=[given.carry[i] for i in carry],
            xs=[given.xs[k] for k in xs],
            consts=[given.consts[k] for k in consts],
        )
    )
    result = [inputs[0]] * len(op.output_types)  # placeholders for what no one reads
    for i, changes in enumerate(changed):
        at = layout.outputs.position("carry", i)
        if not changes:
            result[at] = given.carry[i]  # a carried value the body never changes
        elif i in carry:
            result[at] = outs.carry[carry.index(i)]
    for k, trips in enumerate(outs.trips):
        result[layout.outputs.position("trips", k)] = trips
    for k, y in enumerate(ys):
        result[layout.outputs.position("ys", y)] = outs.ys[k]
    for k, j in enumerate(op.record):
        if j in record:
            result[layout.outputs.position("trace", k)] = outs.trace[record.index(j)]
    return result


def _needed_carry(op: Loop, start: set[int]) -> list[int]:
    """The carried values ``start`` needs: closed under what the body computes them from."""
    layout = op.layout
    need = set(start)
    frontier = list(need)
    while frontier:
        result = layout.results.position("carry", frontier.pop())
        for i in layout.params.within("carry", _reads(op.body, [result])):
            if i not in need:
                need.add(i)
                frontier.append(i)
    return sorted(need)
