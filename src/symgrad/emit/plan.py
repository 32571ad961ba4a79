"""The emission plan: every decision about the code of a graph, made once, before any text.

From the optimized graph, the plan works out

* the order of the statements: the forward computation first, then the derivatives;
* which large elementwise chains run a block of rows at a time (``blocking``);
* whether every value is a 0-d float, so the code can use Python floats (``scalar``);
* which single-use values are written inside the expression that reads them
  (``np.tanh(x @ W1)``) instead of as statements of their own;
* lifetimes: the last statement reading each value, after which it is freed;
* variables: a value whose input dies where it is computed takes that input's variable, and
  for large arrays its buffer (``h += b1``); a name for every variable.

Writers (one per backend, ``symgrad.emit.backends``) turn a plan into source without making
any of these decisions again. Branch and loop bodies get plans of their own (``Plan.body``).
Every step is a pass over the nodes or a walk back over them: planning is linear.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from ..core.expr import Expr
from ..core.shapes import size_of
from ..core.walk import topological_order
from ..ops.base import Op
from ..ops.leaves import Constant, Parameter, Variable
from ..ops.subgraph import Body, Item, MultiOutput
from . import blocking, scalar
from .blocking import Region
from .expressions import Form, form_of
from .names import Namer, hint

#: Arrays at least this large (or of symbolic size) are computed into dead buffers where they
#: can: that saves an allocation and the page faults of a fresh array. Below it there is
#: nothing to save, and ``y = x * 2.0`` reads better than writing into a buffer.
REUSE_MIN_ELEMENTS = 8192
#: Operations one statement may hold (the statement's own and those written inside it).
MAX_OPS_PER_STATEMENT = 4
#: Steps of the function's body per piece, when the body is longer (see ``Piece``).
PIECE_STEPS = 10_000


@dataclasses.dataclass(frozen=True)
class Options:
    """What a backend lets the plan do."""

    #: Group chains of elementwise ops with the sums that consume them into regions (run by
    #: the NumPy writer a block of rows at a time; a unit for a fused loop). Regions are of
    #: at least ``region_elements`` elements (``None``: ``blocking.MIN_ELEMENTS``).
    blocking: bool = True
    region_elements: int | None = None
    #: Write results into the buffers of dead inputs (NumPy's ``out=``, ``+=``).
    reuse_buffers: bool = True
    #: Compute graphs of 0-d float64 values with Python floats.
    floats: bool = True
    #: Most operations per statement (1: one statement per op).
    ops_per_statement: int = MAX_OPS_PER_STATEMENT
    #: Most steps of the function's body in one function (see ``Piece``).
    piece_steps: int = PIECE_STEPS


@dataclasses.dataclass(eq=False, slots=True)
class Statement:
    """``node`` computed by one statement. The nodes in ``inlined`` (single-use values,
    inputs before their readers) are written inside its expression."""

    node: Expr
    inlined: tuple[Expr, ...] = ()
    #: An input whose last use this is, whose buffer receives the result (``h += b1``); the
    #: result then has that input's variable.
    into: Expr | None = None
    #: Values last read here (whose variables the writer may delete), the result's excepted.
    free: tuple[Expr, ...] = ()
    #: Computed already, into the zeros a blocked region allocated for it (``placed``).
    placed: bool = False
    #: A result of a body, written where the body's results are used (``state = 2.0 *
    #: state``) rather than assigned to a variable of its own.
    returned: bool = False


@dataclasses.dataclass(eq=False, slots=True)
class Block:
    """A multi-output node (control flow), written by its op's ``emit_block``. ``outs``
    names the outputs something reads (``None`` for the others)."""

    node: Expr
    outs: tuple[str | None, ...]
    free: tuple[Expr, ...] = ()


@dataclasses.dataclass(eq=False, slots=True)
class Blocked:
    """A region computed a block of rows at a time (see ``symgrad.emit.blocking``)."""

    region: Region
    #: Members needed whole whose one reader places them in zeros (a scatter): the reader's
    #: zeros are allocated first, and the member computed straight into its slice.
    placed: dict[int, Expr] = dataclasses.field(default_factory=dict)
    #: Temporary members computed into the block of a temporary that dies there.
    into: dict[int, Expr] = dataclasses.field(default_factory=dict)
    #: Members needed whole that later members read (their block needs a name).
    read_inside: set[int] = dataclasses.field(default_factory=set)
    #: Temporaries last read by each member.
    dead: dict[int, tuple[Expr, ...]] = dataclasses.field(default_factory=dict)
    #: Operands from outside the region last read inside it.
    free: tuple[Expr, ...] = ()


Step = Statement | Block | Blocked


@dataclasses.dataclass(eq=False, slots=True)
class Piece:
    """Steps ``start:stop`` of the function's body, written as a function of their own.

    While it works, Python's ``compile()`` holds about 5 KB per statement; compiled piece by
    piece, a function of a million statements needs the memory of one piece. Values that a
    later piece reads go through a dict: ``stores`` are put in it at the end of the piece,
    ``loads`` taken at its start (``True``: for the last time, so it is removed)."""

    start: int
    stop: int
    loads: list[tuple[Expr, bool]] = dataclasses.field(default_factory=list)
    stores: list[Expr] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(eq=False)
class Scope:
    """The steps of one function body, branch or loop body, in order."""

    steps: list[Step]
    results: tuple[Expr, ...]
    #: The variables of the values this scope computes, by node id (a scope also reads
    #: those of the scopes around it).
    names: dict[int, str] = dataclasses.field(default_factory=dict)
    #: Index of the first step of the derivative part (``None`` if it has none, or nothing
    #: comes before it).
    derivatives_from: int | None = None


@dataclasses.dataclass(eq=False)
class Plan:
    """Everything a writer needs to write the code of a graph."""

    inputs: tuple[Expr, ...]
    outputs: tuple[Expr, ...]
    #: The names of the inputs and of the module's constants, by node id.
    names: dict[int, str]
    #: Constants that live in the module (arrays, and scalars returned as outputs), with
    #: their names there.
    constants: list[tuple[Expr, str]]
    main: Scope
    #: Plans of branch and loop bodies, by (id of the multi-output node, id of the body).
    bodies: dict[tuple[int, int], Scope]
    #: Every value is a 0-d float64 (or bool): the code may use Python floats.
    floats: bool
    #: Forms of the templates of the nodes written inline and of their readers.
    forms: dict[int, Form]
    #: Names handed out so far; writers name what they add (loop counters...) with it.
    namer: Namer
    #: The main scope's steps in pieces, if it is too long for one function (else empty).
    pieces: list[Piece] = dataclasses.field(default_factory=list)

    def body(self, node: Expr, body: Body) -> Scope:
        return self.bodies[id(node), id(body)]


def make_plan(
    inputs: Sequence[Expr],
    outputs: Sequence[Expr],
    order: Sequence[Expr],
    options: Options = Options(),
    output_names: Sequence[str | None] = (),
    forward: set[int] | None = None,
) -> Plan:
    """The plan of a function computing ``outputs`` from ``inputs``.

    ``order`` lists the nodes to compute, inputs before their users. ``output_names``
    names outputs (``d_x`` for a gradient; ``None``: named after the op). ``forward``, if
    given, holds the ids of the nodes of the forward graph: statements computing anything
    else (the derivatives) come after all of those, and the writer marks where they start.
    """
    forms: dict[int, Form] = {}
    floats = options.floats and scalar.eligible(inputs, order, forms)
    namer = Namer()
    names: dict[int, str] = {}
    for x in inputs:
        names[id(x)] = namer.fresh(x.op.var_name)
    state = _State(options, floats, names, namer)
    state.forms = forms
    for output, name in zip(outputs, output_names):
        if name is not None and id(output) not in state.wanted:
            state.wanted[id(output)] = name
    first_derivative = None
    if forward is not None:
        order, first_derivative = _forward_first(order, outputs, forward)
    keep = {id(x) for x in outputs} | {id(x) for x in inputs}
    main = _ScopePlanner(state, order, keep, tuple(outputs), None, -1, first_derivative)
    # A derivative that the forward computation has anyway keeps its forward name.
    state.wanted = {k: v for k, v in state.wanted.items() if k in main.derivative_ids}
    planners = [main]
    for planner in planners:  # top down: a body once its enclosing scope is laid out
        planners.extend(planner.lay_out())
    for planner in reversed(planners):  # bottom up: what a body reads, its block reads
        planner.allocate()
    for wanted in (True, False):  # the names asked for first, so they are given as asked
        for planner in planners:
            planner.name_variables(wanted)
    bodies = {key: p.scope for p in planners[1:] for key in p.keys}
    return Plan(
        tuple(inputs),
        tuple(outputs),
        names,
        state.constants,
        main.scope,
        bodies,
        floats,
        state.forms,
        namer,
        main.pieces(inputs, outputs, options.piece_steps),
    )


class _State:
    """What the planners of all scopes share."""

    def __init__(self, options: Options, floats: bool, names: dict[int, str], namer: Namer):
        self.options = options
        self.floats = floats
        self.names = names
        self.namer = namer
        self.constants: list[tuple[Expr, str]] = []
        self.forms: dict[int, Form] = {}
        self.wanted: dict[int, str] = {}  # names asked for outputs
        self._kinds: dict[type, int] = {}

    def kind(self, node: Expr) -> int:
        """What ``node`` is to the plan: ``PLAIN``, ``BOUND`` (a variable, parameter or
        item: named by what binds it), ``CONSTANT``, ``MULTI`` or ``SHARED`` (one result of
        a call shared with siblings, ``Op.emit_shared``)."""
        kind = self._kinds.get(type(node.op))
        if kind is None:
            op = node.op
            if isinstance(op, (Variable, Parameter, Item)):
                kind = BOUND
            elif isinstance(op, Constant):
                kind = CONSTANT
            elif isinstance(op, MultiOutput):
                kind = MULTI
            elif getattr(type(op), "emit_shared", None) is not getattr(Op, "emit_shared", None):
                kind = SHARED
            else:
                kind = PLAIN
            self._kinds[type(op)] = kind
        if kind == SHARED and not _shares_call(node):
            return PLAIN
        return kind

    def form(self, node: Expr) -> Form | None:
        """The form of ``node``'s template (its float form on the float path)."""
        found = self.forms.get(id(node))
        if found is None and not self.floats:  # (float forms are all known: scalar.eligible)
            op = node.op
            found = form_of(lambda args: op.emit(node, args, ANY_DIMS), len(node.inputs))
            if found is not None:
                self.forms[id(node)] = found
        return found


#: Kinds of node (``_State.kind``).
PLAIN, BOUND, CONSTANT, MULTI, SHARED = range(5)


class _AnyDims:
    """An emit context for reading the form of a template: any dim as a placeholder."""

    def dim(self, dim: int | str) -> str:
        return str(dim) if isinstance(dim, int) else "_sgdim_"

    def shape(self, shape: Sequence[int | str]) -> str:
        dims = [self.dim(d) for d in shape]
        return f"({dims[0]},)" if len(dims) == 1 else f"({', '.join(dims)})"


ANY_DIMS = _AnyDims()


class _Variable:
    """A variable of the emitted code, which holds one value after another."""

    __slots__ = ("hint", "name", "derivative", "wanted")

    def __init__(self, hint: str, derivative: bool = False, wanted: bool = False):
        self.hint = hint
        self.name = ""
        #: Named as asked (an output's name, such as ``d_x``).
        self.wanted = wanted
        #: First holds a value of the derivative part (so it may be named for a gradient).
        self.derivative = derivative


class _Tree:
    """A statement being grouped, and the nodes written inside it (last first)."""

    __slots__ = ("statement", "inlined", "size", "shared")

    def __init__(self, statement: Statement, shared: bool):
        self.statement = statement
        self.inlined: list[Expr] = []
        self.size = 1
        self.shared = shared  # its call is shared with siblings: nothing goes inside


Unit = tuple[Step, Expr, list[Expr]]  # (step, the node it computes, the values it reads)


class _ScopePlanner:
    """Plans one scope: ``lay_out`` builds its steps, ``allocate`` its variables."""

    def __init__(
        self,
        state: _State,
        order: Sequence[Expr],
        keep: set[int],
        results: tuple[Expr, ...],
        parent: _ScopePlanner | None,
        at: int,
        first_derivative: int | None = None,
    ):
        self.state = state
        self.order = order
        self.keep = keep
        self.parent = parent
        self.at = at  # position of the block running this scope, in the parent
        self.derivative_ids = (
            {id(n) for n in order[first_derivative:]} if first_derivative is not None else set()
        )
        self.scope = Scope([], results)
        self.keys: list[tuple[int, int]] = []  # (multi node, body) this scope plans
        self.units: list[Unit] = []
        self.defined: dict[int, int] = {}  # value -> position of the unit giving it a variable
        self.children: dict[int, list[_ScopePlanner]] = {}  # by position of their block
        self.captured: dict[int, Expr] = {}  # values read from enclosing scopes
        self.variable: dict[int, _Variable] = {}
        self.variables: list[_Variable] = []
        self.items: dict[int, list[Expr]] = {}
        self.free_registers: list[_Variable] = []
        self.free_ids: set[int] = set()
        self.registers = 0
        self.returned: set[int] = set()

    # --- laying out the steps ---------------------------------------------------------------
    def lay_out(self) -> list[_ScopePlanner]:
        """Build the steps; return planners for the bodies of this scope's blocks."""
        state = self.state
        if self.parent is not None:
            self._returned()
        segments: list[Expr | Region] = (
            blocking.plan(self.order, self.keep, state.options.region_elements)
            if state.options.blocking and not state.floats
            else list(self.order)
        )
        self.scope.steps = self._group(segments, self._readers(segments))
        self._units(self.scope.steps)
        children: list[_ScopePlanner] = []
        for position, (step, node, _) in enumerate(self.units):
            if isinstance(step, Block):
                for body in node.op.bodies().values():
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
            if type(segment) is Region:
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
        limit = state.options.ops_per_statement
        steps: list[Step] = []
        regions: list[Blocked] = []
        trees: list[_Tree] = []
        owner: dict[int, _Tree] = {}  # node -> the statement it is written in
        open_: _Tree | None = None  # the statement absorbing the values just before it
        for segment in reversed(segments):
            if type(segment) is Region:
                blocked = Blocked(segment)
                regions.append(blocked)
                steps.append(blocked)
                open_ = None
                continue
            node = segment
            kind = kind_of(node)
            if kind == BOUND:
                continue
            if kind == CONSTANT:
                if floats:
                    continue  # always a literal
                if id(node) in self.keep:  # returned: a copy, which the caller may change
                    self._constant(node)
                    steps.append(Statement(node))
                    open_ = None
                elif node.op.value.ndim != 0:
                    self._constant(node)
                continue
            if kind == MULTI:
                steps.append(Block(node, ()))
                open_ = None
                continue
            read_by = reader.get(id(node)) if kind == PLAIN else None
            if read_by is not None:
                tree = owner.get(id(read_by))
                if (
                    tree is not None
                    and tree.size < limit
                    and (tree is open_ or _movable(node))
                    and (read_by is not tree.statement.node or not tree.shared)
                    and self._inlinable(node, read_by)
                ):
                    tree.inlined.append(node)
                    tree.size += 1
                    owner[id(node)] = tree
                    continue
            statement = Statement(node, returned=id(node) in self.returned)
            steps.append(statement)
            open_ = owner[id(node)] = _Tree(statement, kind == SHARED)
            trees.append(open_)
        for tree in trees:
            if tree.inlined:
                tree.statement.inlined = tuple(reversed(tree.inlined))
        steps.reverse()
        if regions:
            self._regions(regions, steps)
        return steps

    def _inlinable(self, node: Expr, reader: Expr) -> bool:
        """Whether ``node`` may be written inside the expression of ``reader``, its one
        reader: not an output, not a large array (computed into a buffer where it can be),
        and each template able to hold the other."""
        state = self.state
        if id(node) in self.keep or (not state.floats and node.op.fresh and _large(node)):
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
                if r.inputs.count(m) == 1 and r.op.emit_placement(r, ANY_DIMS) is not None:
                    blocked.placed[id(m)] = r
                    placed[id(r)] = blocked, id(m)
        if placed:
            for step in steps:
                if isinstance(step, Statement) and id(step.node) in placed:
                    if step.inlined:  # (it computes more than the placement: not placed)
                        blocked, m = placed[id(step.node)]
                        del blocked.placed[m]
                    else:
                        step.placed = True

    def _units(self, steps: list[Step]) -> None:
        """The steps as units of one position each (a region: one per member), with the
        values each unit reads from outside itself."""
        units = self.units
        defined = self.defined
        for step in steps:
            kind = type(step)
            if kind is Statement:
                node = step.node
                if step.inlined:  # (a value read twice is listed twice)
                    inside = {id(n) for n in step.inlined}
                    reads: Sequence[Expr] = [
                        x for n in (*step.inlined, node) for x in n.inputs if id(x) not in inside
                    ]
                else:
                    reads = node.inputs
                if not step.placed:
                    defined[id(node)] = len(units)
                units.append((step, node, reads))
            elif kind is Block:
                defined[id(step.node)] = len(units)
                units.append((step, step.node, list(step.node.inputs)))
            else:
                for m in step.region.members:
                    defined[id(m)] = len(units)
                    units.append((step, m, m.inputs))
                for r in step.placed.values():
                    defined[id(r)] = len(units) - 1
        for node in self.order:  # items: named where their block runs
            if type(node.op) is Item:
                defined[id(node)] = defined[id(node.inputs[0])]
                self.items.setdefault(id(node.inputs[0]), []).append(node)

    def _child(self, node: Expr, body: Body, position: int) -> _ScopePlanner:
        """The planner of ``body``, run by the block at ``position``. What an enclosing
        scope holds in a variable by then (a value computed from constants only) is read
        from there, not computed again on every run."""
        order = [
            n
            for n in topological_order(body.results)
            if isinstance(n.op, (Parameter, Constant)) or not self._available(n, position)
        ]
        keep = {id(r) for r in body.results}
        child = _ScopePlanner(self.state, order, keep, body.results, self, position)
        child.keys.append((id(node), id(body)))
        return child

    def _available(self, node: Expr, position: int) -> bool:
        """Whether an enclosing scope holds ``node`` in a variable before ``position``."""
        scope: _ScopePlanner | None = self
        while scope is not None:
            at = scope.defined.get(id(node))
            if at is not None and at < position:
                return True
            position = scope.at
            scope = scope.parent
        return False

    # --- variables ------------------------------------------------------------------------
    def allocate(self) -> None:
        """Lifetimes, frees and variables of every unit (the bodies' are known by now)."""
        units = self.units
        defined = self.defined
        keep = self.keep
        for position, children in self.children.items():
            reads = units[position][2]
            for child in children:
                reads.extend(child.captured.values())  # type: ignore[attr-defined]
        last_use: dict[int, int] = {}
        viewed: set[int] = set()  # values another value views or aliases
        for position, (step, node, reads) in enumerate(units):
            for x in reads:
                last_use[id(x)] = position
                if id(x) not in defined and type(x.op) not in _LEAVES:
                    self.captured[id(x)] = x
            if not node.op.fresh:
                viewed.update(id(x) for x in node.inputs)
            if type(step) is Statement and step.inlined:
                viewed.update(id(x) for n in step.inlined if not n.op.fresh for x in n.inputs)
        started: set[int] = set()
        for position, (step, node, reads) in enumerate(units):
            dying = [
                x
                for x in (dict.fromkeys(reads) if len(reads) > 1 else reads)
                if last_use[id(x)] == position and id(x) in defined and id(x) not in keep
            ]
            kind = type(step)
            if kind is Statement:
                self._statement(step, dying, viewed)
            elif kind is Block:
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
        # (a shared call names its results where the first is computed: no variable of
        # another value can be taken over there)
        chosen = None if self.state.kind(node) == SHARED else self._reusable(node, dying, viewed)
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
        if self.state.options.reuse_buffers and _large(node):
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
        for x in dying:
            variable = self.variable.get(id(x))
            if variable is not None and id(variable) not in self.free_ids:
                free.append(variable)
                self.free_ids.add(id(variable))
        wanted = self.state.wanted.get(id(node))
        if free and wanted is None:
            variable = free.pop()
            self.free_ids.discard(id(variable))
        elif wanted is not None:
            variable = _Variable(wanted, wanted=True)
            self.variables.append(variable)
        else:
            variable = _Variable(f"r{self.registers}")
            self.registers += 1
            self.variables.append(variable)
        self.variable[id(node)] = variable

    def _new_variable(self, node: Expr) -> None:
        wanted = self.state.wanted.get(id(node))
        variable = _Variable(
            wanted or hint(node), id(node) in self.derivative_ids, wanted is not None
        )
        self.variables.append(variable)
        self.variable[id(node)] = variable

    def _items(self, node: Expr) -> None:
        """Variables for the outputs of a multi-output node that something reads."""
        for item in self.items.get(id(node), ()):
            wanted = self.state.wanted.get(id(item))
            hint_ = wanted or node.op.output_hint(item.op.index)
            variable = _Variable(hint_, id(item) in self.derivative_ids, wanted is not None)
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
        if not self.derivative_ids:
            return
        for i, step in enumerate(self.scope.steps):
            nodes = step.region.members if isinstance(step, Blocked) else (step.node,)
            if any(id(n) in self.derivative_ids for n in nodes):
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
        piece_of = {id(step): i for i, p in enumerate(pieces) for step in steps[p.start : p.stop]}
        units, defined = self.units, self.defined
        home: dict[int, int] = {id(x): -1 for x in inputs}  # value -> the piece computing it
        for value, position in defined.items():
            home[value] = piece_of[id(units[position][0])]
        readers: dict[int, list[int]] = {}  # value -> the later pieces reading it
        crossing: dict[int, Expr] = {}
        for step, _, reads in units:
            here = piece_of[id(step)]
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
                outs: list[str | None] = [None] * len(step.node.op.output_types)
                for item in self.items.get(id(step.node), ()):
                    outs[item.op.index] = names[id(item)]
                step.outs = tuple(outs)


#: Ops of values no scope computes: they are bound (inputs, parameters) or literals.
_LEAVES = frozenset({Variable, Constant, Parameter})


def _is_leaf(x: Expr) -> bool:
    return type(x.op) in _LEAVES


def _movable(node: Expr) -> bool:
    """Whether computing ``node`` later holds nothing alive for longer: a view of another
    value, or a value computed from inputs and constants only."""
    return not node.op.fresh or all(_is_leaf(x) or not x.inputs for x in node.inputs)


def _large(node: Expr) -> bool:
    if node.ndim == 0:
        return False
    factor, symbolic = size_of(node.shape)
    return bool(symbolic) or factor >= REUSE_MIN_ELEMENTS


def _shares_call(node: Expr) -> bool:
    return node.op.emit_shared(node, ["_a"] * len(node.inputs)) is not None


def _writes_into(node: Expr, x: Expr) -> bool:
    """Whether ``node``'s op can write its result into the buffer of its input ``x``."""
    args = ["_a"] * len(node.inputs)
    args[node.inputs.index(x)] = "_out"
    return node.op.emit_into(node, args, "_out") is not None


def _forward_first(
    order: Sequence[Expr], outputs: Sequence[Expr], forward: set[int]
) -> tuple[list[Expr], int | None]:
    """``order`` with the forward computation first (the forward graph's nodes, and what
    outputs computed from them need), then the derivatives; and where those start."""
    ahead: set[int] = set()
    needed = {id(o) for o in outputs if id(o) in forward}
    for node in reversed(order):
        if id(node) in needed or id(node) in forward:
            ahead.add(id(node))
            needed.update(id(x) for x in node.inputs)
    first = [n for n in order if id(n) in ahead]
    if len(first) == len(order):
        return list(order), None
    return first + [n for n in order if id(n) not in ahead], len(first)
