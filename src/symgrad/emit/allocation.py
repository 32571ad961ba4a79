"""Allocating a scope's variables: lifetimes, what is freed where, which values continue
the variable (and the buffer) of an input that dies, registers on the float path, names,
and the pieces a long function is cut into."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..core.expr import Expr
from ..ops.leaves import Constant
from ..ops.subgraph import Item, MultiOutput
from .names import hint
from .shared import LEAVES, State, large
from .steps import Block, Blocked, Piece, Scope, Statement

if TYPE_CHECKING:
    from .layout import Unit
    from .plan import _ScopePlanner


class CodeVariable:
    """A variable of the emitted code, which holds one value after another."""

    __slots__ = ("hint", "name", "derivative", "wanted", "free")

    def __init__(self, hint: str, derivative: bool = False, wanted: bool = False):
        self.hint = hint
        self.name = ""
        #: Named as asked (an output's name, such as ``d_x``).
        self.wanted = wanted
        #: First holds a value of the derivative part (so it may be named for a gradient).
        self.derivative = derivative
        #: On the float path: a register no live value holds (in its scope's free list).
        self.free = False


class Allocation:
    """The second half of a scope's planner (``symgrad.emit.plan``): run once the bodies of
    its blocks are planned, since what a body reads from outside, its block reads."""

    # Set by the planner (``plan._ScopePlanner``).
    state: State
    keep: set[int]
    scope: Scope
    units: list[Unit]
    defined: dict[int, int]
    children: dict[int, list[_ScopePlanner]]
    captured: dict[int, Expr]
    derivative_ids: set[int]
    variable: dict[int, CodeVariable]
    variables: list[CodeVariable]
    items: dict[int, list[Expr]]
    free_registers: list[CodeVariable]
    registers: int

    def allocate(self) -> None:
        """Lifetimes, frees and variables of every unit (the bodies' are known by now)."""
        units = self.units
        defined = self.defined
        keep = self.keep
        for position, children in self.children.items():
            reads = units[position][2]
            for child in children:
                reads.extend(child.captured.values())
        floats = self.state.floats
        viewed: set[int] = set()  # values another value views or aliases
        if not floats:  # (only buffers are taken over: the float path has none)
            for step, node, _ in units:
                if not node.op.fresh:
                    viewed.update(id(x) for x in node.inputs)
                if type(step) is Statement and step.inlined:
                    viewed.update(id(x) for n in step.inlined if not n.op.fresh for x in n.inputs)
        # Walking back, a value's first read met is its last: it dies there (each value
        # once, in the order the unit reads it).
        dying_at: list[list[Expr]] = [[]] * len(units)
        read_later: set[int] = set()
        mark = read_later.add
        outside = False  # whether a value of an enclosing scope is read
        for position in range(len(units) - 1, -1, -1):
            dying = []
            for x in units[position][2]:
                key = id(x)
                if key not in read_later:
                    mark(key)
                    if key in defined:
                        if key not in keep:
                            dying.append(x)
                    elif type(x.op) not in LEAVES:
                        outside = True
            if dying:
                dying_at[position] = dying
        if outside:  # those values, in the order they are first read
            captured = self.captured
            for _, _, reads in units:
                for x in reads:
                    key = id(x)
                    if key not in defined and type(x.op) not in LEAVES:
                        captured[key] = x
        started: set[int] = set()
        for position, (step, node, _) in enumerate(units):
            dying = dying_at[position]
            if isinstance(step, Statement):
                if floats and not step.placed and not step.returned:
                    self._register(node, dying)  # (what _statement does on the float path)
                else:
                    self._statement(step, dying, viewed)
            elif isinstance(step, Block):
                step.free = tuple(dying)
                self._items(node)
            else:
                if id(step) not in started:
                    started.add(id(step))
                    self._region_variables(step)
                self._member(step, node, dying, viewed)
        self._derivatives_from()

    def _statement(self, step: Statement, dying: list[Expr], viewed: set[int]) -> None:
        node = step.node
        if step.placed:
            step.free = tuple(dying)
            return
        if step.returned:  # written after the body's statements: its operands stay
            return
        if self.state.floats:
            self._register(node, dying)
            return
        chosen = self._reusable(node, dying, viewed)
        if chosen is None:
            self._new_variable(node)
            step.free = tuple(dying)
            return
        x, into = chosen
        variable = self.variable[id(x)]
        self.variable[id(node)] = variable
        wanted = self.state.wanted.get(id(node))
        if wanted is not None:
            variable.hint, variable.wanted = wanted, True
        if into:
            step.into = x
        step.free = tuple(d for d in dying if d is not x)

    def _reusable(
        self, node: Expr, dying: list[Expr], viewed: set[int]
    ) -> tuple[Expr, bool] | None:
        """The dying input whose variable ``node`` continues, and whether it takes its
        buffer too: a large new array of ours that nothing views, of the result's shape and
        dtype. Without the buffer, only a variable named as ``node`` would be. An output
        named for itself (``d_x``) continues only the buffer of a variable of the
        derivative part, which then takes its name."""
        if isinstance(node.op, Constant):
            return None
        named = id(node) in self.state.wanted
        same = [
            x
            for x in dying
            if x.shape == node.shape
            and x.dtype == node.dtype
            and id(x) in self.variable
            and (not named or self.variable[id(x)].derivative)
        ]
        if not same:
            return None
        if self.state.options.reuse_buffers and large(node):
            for x in same:
                if (
                    x.op.fresh
                    and id(x) not in viewed
                    and any(i is x for i in node.inputs)
                    and _writes_into(node, x)
                ):
                    return x, True
        if named:
            return None
        # Without its buffer, a variable is continued only by a value of the same kind
        # (y = np.sin(y) + 0.5): a name never changes its meaning.
        kind = hint(node)
        return next(((x, False) for x in same if self.variable[id(x)].hint == kind), None)

    def _register(self, node: Expr, dying: list[Expr]) -> None:
        """On the float path variables are registers: a dead one is taken again."""
        free = self.free_registers
        variables = self.variable
        for x in dying:
            variable = variables.get(id(x))
            if variable is not None and not variable.free:
                free.append(variable)
                variable.free = True
        wanted = self.state.wanted.get(id(node)) if self.state.wanted else None
        if free and wanted is None:
            variable = free.pop()
            variable.free = False
        elif wanted is not None:
            variable = CodeVariable(wanted, wanted=True)
            self.variables.append(variable)
        else:
            variable = CodeVariable(f"r{self.registers}")
            self.registers += 1
            self.variables.append(variable)
        variables[id(node)] = variable

    def _new_variable(self, node: Expr) -> None:
        wanted = self.state.wanted.get(id(node))
        variable = CodeVariable(
            wanted or hint(node), id(node) in self.derivative_ids, wanted is not None
        )
        self.variables.append(variable)
        self.variable[id(node)] = variable

    def _items(self, node: Expr) -> None:
        """Variables for the outputs of a multi-output node that something reads."""
        op = node.op
        assert isinstance(op, MultiOutput)  # (only multi-output nodes have items)
        for item in self.items.get(id(node), ()):
            wanted = self.state.wanted.get(id(item))
            hint_ = wanted or op.output_hint(_index(item))
            variable = CodeVariable(hint_, id(item) in self.derivative_ids, wanted is not None)
            self.variables.append(variable)
            self.variable[id(item)] = variable

    def _region_variables(self, step: Blocked) -> None:
        """Variables of a region's totals and whole members, made before its loop (for a
        placed member, its reader's result first: the member is a view into it)."""
        region = step.region
        for m in region.members:
            if id(m) in region.totals or id(m) in region.whole:
                reader = step.placed.get(id(m))
                if reader is not None:
                    self._new_variable(reader)
                self._new_variable(m)

    def _member(self, step: Blocked, m: Expr, dying: list[Expr], viewed: set[int]) -> None:
        """A region member: operands from outside dying here are freed after the loop;
        temporaries (members existing one block at a time) die inside it."""
        region = step.region
        temporaries = region.temporaries
        inner = [x for x in dying if id(x) in temporaries]
        step.free += tuple(x for x in dying if id(x) not in temporaries)
        taken = None
        if id(m) in temporaries:
            chosen = self._reusable(m, inner, viewed) if inner else None
            if chosen is not None and chosen[1]:
                taken = chosen[0]
                step.into[id(m)] = taken
                self.variable[id(m)] = self.variable[id(taken)]
            else:
                self._new_variable(m)
        dead = tuple(x for x in inner if x is not taken)
        if dead:
            step.dead[id(m)] = dead

    def _derivatives_from(self) -> None:
        """Where the derivative part starts, if forward statements come before it."""
        derivative_ids = self.derivative_ids
        if not derivative_ids:
            return
        for i, step in enumerate(self.scope.steps):
            if isinstance(step, Blocked):
                starts = any(id(n) in derivative_ids for n in step.region.members)
            else:
                starts = id(step.node) in derivative_ids
            if starts:
                self.scope.derivatives_from = i if i > 0 else None
                return

    def pieces(self, inputs: Sequence[Expr], outputs: Sequence[Expr], size: int) -> list[Piece]:
        """The steps cut into pieces of ``size``, with the values crossing between them
        (the inputs count as computed before the first, the outputs as read after the
        last); none if the steps fit in one."""
        steps = self.scope.steps
        if len(steps) <= size:
            return []
        pieces = [Piece(a, min(a + size, len(steps))) for a in range(0, len(steps), size)]
        # The piece of each unit: a step is one unit, a region one per member.
        piece_of: list[int] = []
        for i, step in enumerate(steps):
            if type(step) is Blocked:
                piece_of += [i // size] * len(step.region.members)
            else:
                piece_of.append(i // size)
        units, defined = self.units, self.defined
        assert len(piece_of) == len(units)
        home: dict[int, int] = {id(x): -1 for x in inputs}  # value -> the piece computing it
        for value, position in defined.items():
            home[value] = piece_of[position]
        readers: dict[int, list[int]] = {}  # value -> the later pieces reading it
        crossing: dict[int, Expr] = {}
        for here, (_, _, reads) in zip(piece_of, units):
            for x in reads:
                h = home.get(id(x))
                if h is not None and h != here:
                    seen = readers.setdefault(id(x), [])
                    if not seen or seen[-1] != here:
                        seen.append(here)
                        crossing[id(x)] = x
        for x in outputs:
            h = home.get(id(x))
            if h is not None and h >= 0:
                readers.setdefault(id(x), []).append(len(pieces))
                crossing[id(x)] = x
        for key, x in crossing.items():
            h = home[key]
            if h >= 0:
                pieces[h].stores.append(x)
            read_in = readers[key]
            for i in read_in:
                if i < len(pieces):
                    pieces[i].loads.append((x, i == read_in[-1]))
        return pieces

    def name_variables(self, wanted: bool) -> None:
        """Name the variables asked to be named (``wanted``) or the others; once all are,
        record the names of the values and of the blocks' outputs."""
        namer = self.state.namer
        for variable in self.variables:
            if variable.wanted == wanted:
                variable.name = namer.fresh(variable.hint)
        if wanted:
            return
        names = self.scope.names
        for node_id, variable in self.variable.items():
            names[node_id] = variable.name
        for step in self.scope.steps:
            if isinstance(step, Block):
                op = step.node.op
                assert isinstance(op, MultiOutput)  # (blocks are the steps of multi-output ops)
                outs: list[str | None] = [None] * op.n_outputs
                items = self.items.get(id(step.node), ())
                for item in items:
                    outs[_index(item)] = names[id(item)]
                step.outs = tuple(outs)
                step.items = tuple(items)


def _writes_into(node: Expr, x: Expr) -> bool:
    """Whether ``node``'s op can write its result into the buffer of its input ``x``."""
    args = ["_a"] * len(node.inputs)
    args[next(i for i, y in enumerate(node.inputs) if y is x)] = "_out"
    return node.op.emit_into(node, args, "_out") is not None


def _index(item: Expr) -> int:
    """Which output of its multi-output node ``item`` is."""
    op = item.op
    assert isinstance(op, Item)
    return op.index
