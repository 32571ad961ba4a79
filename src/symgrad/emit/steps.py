"""What an emission plan is made of: the steps of a scope (statements, control-flow blocks,
blocked regions), the pieces a long function is cut into, and the options a backend sets.
The planners (``symgrad.emit.plan``) make them; the writers read them."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from ..core.expr import Expr
from .blocking import Region

#: Arrays at least this large (or of symbolic size) are computed into dead buffers where they
#: can: that saves an allocation and the page faults of a fresh array. Below it there is
#: nothing to save, and ``y = x * 2.0`` reads better than writing into a buffer.
REUSE_MIN_ELEMENTS = 8192
#: Operations one statement holds by default (the statement's own and those written inside
#: it): one readable statement per op, as the emitted code promises its readers.
OPS_PER_STATEMENT = 1
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
    #: The function grouping a scope's nodes into regions, called as ``blocking.plan`` is
    #: (``None``: ``blocking.plan``); a backend writing fused loops brings its own.
    regions: Callable[[Sequence[Expr], set[int], int | None], list[Expr | Region]] | None = None
    #: Write results into the buffers of dead inputs (NumPy's ``out=``, ``+=``).
    reuse_buffers: bool = True
    #: Compute graphs of 0-d float64 values with Python floats.
    floats: bool = True
    #: Most operations per statement (1: one statement per op; more writes single-use
    #: values inside the expressions reading them, ``np.tanh(x @ W1)``).
    ops_per_statement: int = OPS_PER_STATEMENT
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
    #: The items reading the outputs that are named.
    items: tuple[Expr, ...] = ()


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
    #: Ids of the values computed with floating-point warnings off: what they compute a
    #: selection discards where it would warn (see ``symgrad.emit.quiet``).
    quiet: set[int] = dataclasses.field(default_factory=set)
