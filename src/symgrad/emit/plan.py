"""The emission plan: every decision about the code of a graph, made once, before any text.

From the optimized graph, the plan works out

* the order of the statements: the forward computation first, then the derivatives;
* which large elementwise chains run a block of rows at a time (``blocking``);
* whether every value is a 0-d float, so the code can use Python floats (``scalar``);
* which single-use values are written inside the expression that reads them
  (``np.tanh(x @ W1)``) instead of as statements of their own, if a backend asks for more
  than one op per statement (``Options.ops_per_statement``; by default each op is one
  statement);
* lifetimes: the last statement reading each value, after which it is freed;
* variables: a value whose input dies where it is computed takes that input's variable, and
  for large arrays its buffer (``h += b1``); a name for every variable.

Writers (one per backend, ``symgrad.emit.backends``) turn a plan into source without making
any of these decisions again. Branch and loop bodies get plans of their own (``Plan.body``).
Each scope's planner lays out its steps (``layout``) then allocates its variables
(``allocation``); the parts of a plan are in ``steps``. Every stage is a pass over the nodes
or a walk back over them: planning is linear.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from ..core.expr import Expr
from ..ops.leaves import Variable
from ..ops.subgraph import Body
from . import scalar
from .allocation import Allocation, CodeVariable
from .expressions import Form
from .layout import Layout
from .names import Namer
from .shared import State
from .steps import (
    OPS_PER_STATEMENT,
    PIECE_STEPS,
    REUSE_MIN_ELEMENTS,
    Block,
    Blocked,
    Options,
    Piece,
    Scope,
    Statement,
    Step,
)

__all__ = [
    "OPS_PER_STATEMENT",
    "PIECE_STEPS",
    "REUSE_MIN_ELEMENTS",
    "Block",
    "Blocked",
    "Options",
    "Piece",
    "Plan",
    "Scope",
    "Statement",
    "Step",
    "make_plan",
]


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
    options: Options | None = None,
    output_names: Sequence[str | None] = (),
    forward: set[int] | None = None,
) -> Plan:
    """The plan of a function computing ``outputs`` from ``inputs``.

    ``order`` lists the nodes to compute, inputs before their users. ``output_names``
    names outputs (``d_x`` for a gradient; ``None``: named after the op). ``forward``, if
    given, holds the ids of the nodes of the forward graph: statements computing anything
    else (the derivatives) come after all of those, and the writer marks where they start.
    """
    options = options or Options()
    forms: dict[int, Form] = {}
    floats = options.floats and scalar.eligible(inputs, order, forms)
    namer = Namer()
    names: dict[int, str] = {}
    for x in inputs:
        op = x.op
        assert isinstance(op, Variable)  # (the compiler takes variables only as inputs)
        names[id(x)] = namer.fresh(op.var_name)
    state = State(options, floats, names, namer)
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


class _ScopePlanner(Layout, Allocation):
    """Plans one scope: ``lay_out`` builds its steps, ``allocate`` its variables."""

    def __init__(
        self,
        state: State,
        order: Sequence[Expr],
        keep: set[int],
        results: tuple[Expr, ...],
        parent: _ScopePlanner | None,
        at: int,
        first_derivative: int | None = None,
    ):
        super().__init__(state, order, keep, results, parent, at)
        self.derivative_ids = (
            {id(n) for n in order[first_derivative:]} if first_derivative is not None else set()
        )
        self.captured: dict[int, Expr] = {}  # values read from enclosing scopes
        self.variable: dict[int, CodeVariable] = {}
        self.variables: list[CodeVariable] = []
        self.free_registers: list[CodeVariable] = []
        self.registers = 0


def _forward_first(
    order: Sequence[Expr], outputs: Sequence[Expr], forward: set[int]
) -> tuple[list[Expr], int | None]:
    """``order`` with the forward computation first (the forward graph's nodes, and what
    outputs computed from them need), then the derivatives; and where those start."""
    ahead: set[int] = set()
    needed = {id(o) for o in outputs if id(o) in forward}
    need = needed.add
    for node in reversed(order):
        key = id(node)
        if key in needed or key in forward:
            ahead.add(key)
            for x in node.inputs:
                need(id(x))
    first = [n for n in order if id(n) in ahead]
    if len(first) == len(order):
        return list(order), None
    return first + [n for n in order if id(n) not in ahead], len(first)
