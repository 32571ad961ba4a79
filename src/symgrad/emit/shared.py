"""What the planners of every scope share: the options, the kind of each node, the forms of
the ops' templates, the names asked for outputs; and questions about single nodes."""

from __future__ import annotations

from collections.abc import Sequence

from ..core.expr import Expr
from ..core.shapes import size_of
from ..ops.leaves import Constant, Parameter, Variable
from ..ops.subgraph import Item, MultiOutput
from .expressions import Form, form_of
from .names import Namer
from .steps import REUSE_MIN_ELEMENTS, Options


class State:
    """What the planners of all scopes share."""

    def __init__(self, options: Options, floats: bool, names: dict[int, str], namer: Namer):
        self.options = options
        self.floats = floats
        self.names = names
        self.namer = namer
        self.constants: list[tuple[Expr, str]] = []
        self.forms: dict[int, Form] = {}
        self.wanted: dict[int, str] = {}  # names asked for outputs
        self.kinds: dict[type, int] = {}  # op class -> kind (what ``kind`` says)

    def kind(self, node: Expr) -> int:
        """What ``node`` is to the plan: ``PLAIN``, ``BOUND`` (a variable, parameter or
        item: named by what binds it), ``CONSTANT`` or ``MULTI`` (an op with several
        results, written as a block)."""
        kind = self.kinds.get(type(node.op))
        if kind is None:
            op = node.op
            if isinstance(op, (Variable, Parameter, Item)):
                kind = BOUND
            elif isinstance(op, Constant):
                kind = CONSTANT
            elif isinstance(op, MultiOutput):
                kind = MULTI
            else:
                kind = PLAIN
            self.kinds[type(op)] = kind
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


#: Kinds of node (``State.kind``).
PLAIN, BOUND, CONSTANT, MULTI = range(4)


class _AnyDims:
    """An emit context for reading the form of a template: any dim as a placeholder."""

    def dim(self, dim: int | str) -> str:
        return str(dim) if isinstance(dim, int) else "_sgdim_"

    def shape(self, shape: Sequence[int | str]) -> str:
        dims = [self.dim(d) for d in shape]
        return f"({dims[0]},)" if len(dims) == 1 else f"({', '.join(dims)})"


ANY_DIMS = _AnyDims()


#: Ops of values no scope computes: they are bound (inputs, parameters) or literals.
LEAVES = frozenset({Variable, Constant, Parameter})


def is_leaf(x: Expr) -> bool:
    return type(x.op) in LEAVES


def large(node: Expr) -> bool:
    if node.ndim == 0:
        return False
    factor, symbolic = size_of(node.shape)
    return bool(symbolic) or factor >= REUSE_MIN_ELEMENTS
