"""Laying out a scope's steps: regions, statements (with the single-use values written
inside them), control-flow blocks, and the bodies those blocks run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..core.expr import Expr
from ..core.walk import topological_order
from ..ops.leaves import Constant, Parameter
from ..ops.subgraph import Body, Item, MultiOutput
from . import blocking, quiet
from .blocking import Region
from .shared import ANY_DIMS, BOUND, CONSTANT, MULTI, PLAIN, State, is_leaf, large
from .steps import Block, Blocked, Scope, Statement, Step

if TYPE_CHECKING:
    from typing import Self  # Python 3.11

Unit = tuple[Step, Expr, list[Expr]]  # (step, the node it computes, the values it reads)


class _Tree:
    """A statement being grouped, and the nodes written inside it (last first)."""

    __slots__ = ("statement", "inlined", "size")

    def __init__(self, statement: Statement):
        self.statement = statement
        self.inlined: list[Expr] = []
        self.size = 1


class Layout:
    """The first half of a scope's planner (``symgrad.emit.plan``): its steps, and the
    planners of the bodies its blocks run."""

    def __init__(
        self,
        state: State,
        order: Sequence[Expr],
        keep: set[int],
        results: tuple[Expr, ...],
        parent: Self | None,
        at: int,
    ):
        self.state = state
        self.order = order
        self.keep = keep
        self.parent = parent
        self.at = at  # position of the block running this scope, in the parent
        self.scope = Scope([], results)
        self.keys: list[tuple[int, int]] = []  # (multi node, body) this scope plans
        self.units: list[Unit] = []
        self.defined: dict[int, int] = {}  # value -> position of the unit giving it a variable
        self.children: dict[int, list[Self]] = {}  # by position of their block
        self.items: dict[int, list[Expr]] = {}
        self.returned: set[int] = set()

    def lay_out(self) -> list[Self]:
        """Build the steps; return planners for the bodies of this scope's blocks."""
        state = self.state
        if self.parent is not None:
            self._returned()
        self.scope.quiet = quiet.quiet_nodes(self.order, self.keep)
        regions = state.options.regions or blocking.plan
        segments: list[Expr | Region] = (
            regions(self.order, self.keep, state.options.region_elements)
            if state.options.blocking and not state.floats
            else list(self.order)
        )
        # With one op per statement nothing is written inside another: no readers needed.
        inlining = state.options.ops_per_statement > 1
        self.scope.steps = self._group(segments, self._readers(segments) if inlining else {})
        self._units(self.scope.steps)
        children: list[Self] = []
        for position, (step, node, _) in enumerate(self.units):
            if isinstance(step, Block):
                op = node.op
                assert isinstance(op, MultiOutput)  # (what a block computes)
                for body in op.bodies().values():
                    child = self._child(node, body, position)
                    self.children.setdefault(position, []).append(child)
                    children.append(child)
        return children

    def _returned(self) -> None:
        """A body's results that nothing in it reads, each result once, are computed last
        and written as expressions where the results are used."""
        results = self.scope.results
        read = {id(x) for n in self.order for x in n.inputs}
        counts: dict[int, int] = {}
        for r in results:
            counts[id(r)] = counts.get(id(r), 0) + 1
        returned = {
            id(r): r
            for r in results
            if counts[id(r)] == 1
            and id(r) not in read
            and self.state.kind(r) == PLAIN
            and self.state.form(r) is not None
        }
        if returned:
            self.returned = set(returned)
            self.order = [n for n in self.order if id(n) not in returned] + list(returned.values())

    def _readers(self, segments: list[Expr | Region]) -> dict[int, Expr | None]:
        """For each value read in this scope: its one reader if it has one and reads it
        once, else ``None`` (results count as read)."""
        reader: dict[int, Expr | None] = dict.fromkeys(self.keep)
        for segment in segments:
            if isinstance(segment, Region):
                for node in segment.members:
                    for x in node.inputs:
                        key = id(x)
                        reader[key] = None if key in reader else node
            elif type(segment.op) is not Item:  # (an item is its block's output, no read)
                for x in segment.inputs:
                    key = id(x)
                    reader[key] = None if key in reader else segment
        return reader

    def _group(self, segments: list[Expr | Region], reader: dict[int, Expr | None]) -> list[Step]:
        """The steps, found walking back from the last. A single-use value is written
        inside the expression of the statement reading it if it is computed just before
        that statement, or if computing it later holds nothing alive for longer (a view, or
        a value of inputs and constants only)."""
        state = self.state
        floats = state.floats
        kind_of = state.kind
        kinds = state.kinds  # (kind_of's table, read here first: once per node)
        limit = state.options.ops_per_statement
        steps: list[Step] = []
        # Copies of returned constants come first: a body run earlier may read the constant
        # by the copy's name (the body's constant is the same node).
        copies: list[Step] = []
        regions: list[Blocked] = []
        trees: list[_Tree] = []
        owner: dict[int, _Tree] = {}  # node -> the statement it is written in
        open_: _Tree | None = None  # the statement absorbing the values just before it
        inlining = limit > 1  # (a statement holds one op: nothing is written inside it)
        returned = self.returned
        keep = self.keep
        for segment in reversed(segments):
            if isinstance(segment, Region):
                blocked = Blocked(segment)
                regions.append(blocked)
                steps.append(blocked)
                open_ = None
                continue
            node = segment
            kind = kinds.get(type(node.op))
            if kind is None:
                kind = kind_of(node)
            if kind == BOUND:
                continue
            if kind == CONSTANT:
                if floats:
                    continue  # always a literal
                if id(node) in keep:  # returned: a copy, which the caller may change
                    self._constant(node)
                    copies.append(Statement(node))
                else:
                    op = node.op
                    assert isinstance(op, Constant)  # (what CONSTANT means)
                    if op.value.ndim != 0:
                        self._constant(node)
                continue
            if kind == MULTI:
                steps.append(Block(node, ()))
                open_ = None
                continue
            if not inlining:
                steps.append(Statement(node, returned=bool(returned) and id(node) in returned))
                continue
            read_by = reader.get(id(node)) if kind == PLAIN else None
            if read_by is not None:
                tree = owner.get(id(read_by))
                if (
                    tree is not None
                    and tree.size < limit
                    and (tree is open_ or _movable(node))
                    and self._inlinable(node, read_by)
                ):
                    tree.inlined.append(node)
                    tree.size += 1
                    owner[id(node)] = tree
                    continue
            statement = Statement(node, returned=id(node) in self.returned)
            steps.append(statement)
            open_ = owner[id(node)] = _Tree(statement)
            trees.append(open_)
        for tree in trees:
            if tree.inlined:
                tree.statement.inlined = tuple(reversed(tree.inlined))
        steps.reverse()
        steps[:0] = reversed(copies)
        if regions:
            self._regions(regions, steps)
        return steps

    def _inlinable(self, node: Expr, reader: Expr) -> bool:
        """Whether ``node`` may be written inside the expression of ``reader``, its one
        reader: not an output, not a large array (computed into a buffer where it can be),
        computed with warnings off as its reader is or is not (``Scope.quiet``), and each
        template able to hold the other."""
        state = self.state
        if id(node) in self.keep or (not state.floats and node.op.fresh and large(node)):
            return False
        silent = self.scope.quiet
        if silent and (id(node) in silent) != (id(reader) in silent):
            return False
        outer = state.form(reader)
        if outer is None or state.form(node) is None:
            return False
        return outer.single or all(
            outer.uses(i) == 1 for i, x in enumerate(reader.inputs) if x is node
        )

    def _constant(self, node: Expr) -> None:
        names = self.state.names
        if id(node) not in names:
            names[id(node)] = self.state.namer.fresh("const")
            self.state.constants.append((node, names[id(node)]))

    def _regions(self, regions: list[Blocked], steps: list[Step]) -> None:
        """For each region: the members needed whole that later members read, and those
        placed straight into the zeros of their one reader (a scatter)."""
        whole = {i for blocked in regions for i in blocked.region.whole}
        readers: dict[int, list[Expr]] = {}
        for node in self.order:
            for x in node.inputs:
                if id(x) in whole:
                    readers.setdefault(id(x), []).append(node)
        placed: dict[int, tuple[Blocked, int]] = {}  # reader -> its region, its member
        for blocked in regions:
            region = blocked.region
            members = {id(m) for m in region.members}
            for m in region.members:
                if id(m) not in region.whole:
                    continue
                read_by = {id(r): r for r in readers.get(id(m), ())}
                if any(i in members for i in read_by):
                    blocked.read_inside.add(id(m))
                outside = [r for i, r in read_by.items() if i not in members]
                if len(outside) != 1 or id(m) in self.keep:
                    continue
                (r,) = outside
                if (
                    sum(x is m for x in r.inputs) == 1
                    and r.op.emit_placement(r, ANY_DIMS) is not None
                ):
                    blocked.placed[id(m)] = r
                    placed[id(r)] = blocked, id(m)
        if placed:
            for step in steps:
                if isinstance(step, Statement) and id(step.node) in placed:
                    if step.inlined:  # (it computes more than the placement: not placed)
                        blocked, member = placed[id(step.node)]
                        del blocked.placed[member]
                    else:
                        step.placed = True

    def _units(self, steps: list[Step]) -> None:
        """The steps as units of one position each (a region: one per member), with the
        values each unit reads from outside itself."""
        units = self.units
        defined = self.defined
        for step in steps:
            if isinstance(step, Statement):
                node = step.node
                if step.inlined:  # (a value read twice is listed twice)
                    inside = {id(n) for n in step.inlined}
                    reads = [
                        x for n in (*step.inlined, node) for x in n.inputs if id(x) not in inside
                    ]
                else:
                    reads = list(node.inputs)
                if not step.placed:
                    defined[id(node)] = len(units)
                units.append((step, node, reads))
            elif isinstance(step, Block):
                defined[id(step.node)] = len(units)
                units.append((step, step.node, list(step.node.inputs)))
            else:
                for m in step.region.members:
                    defined[id(m)] = len(units)
                    units.append((step, m, list(m.inputs)))
                for r in step.placed.values():
                    defined[id(r)] = len(units) - 1
        for node in self.order:  # items: named where their block runs
            if type(node.op) is Item:
                defined[id(node)] = defined[id(node.inputs[0])]
                self.items.setdefault(id(node.inputs[0]), []).append(node)

    def _child(self, node: Expr, body: Body, position: int) -> Self:
        """The planner of ``body``, run by the block at ``position``. What an enclosing
        scope holds in a variable by then (a value computed from constants only) is read
        from there, not computed again on every run."""
        order = [
            n
            for n in topological_order(body.results)
            if isinstance(n.op, (Parameter, Constant)) or not self._available(n, position)
        ]
        keep = {id(r) for r in body.results}
        child = type(self)(self.state, order, keep, body.results, self, position)
        child.keys.append((id(node), id(body)))
        return child

    def _available(self, node: Expr, position: int) -> bool:
        """Whether an enclosing scope holds ``node`` in a variable before ``position``."""
        scope: Layout | None = self
        while scope is not None:
            at = scope.defined.get(id(node))
            if at is not None and at < position:
                return True
            position = scope.at
            scope = scope.parent
        return False


def _movable(node: Expr) -> bool:
    """Whether computing ``node`` later holds nothing alive for longer: a view of another
    value, or a value computed from inputs and constants only."""
    return not node.op.fresh or all(is_leaf(x) or not x.inputs for x in node.inputs)
