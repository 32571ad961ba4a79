"""A graph as text, one line per node (like PyTensor's ``debugprint`` or a JAX jaxpr).

Every node gets a readable name the first time it is listed; later uses refer to it by that
name, so a subexpression used many times is printed once. Scalar constants are written in
place. Each line says what part of the graph the node belongs to: ``in`` (a variable),
``const``, ``fwd`` (the graph that was built), ``grad`` (nodes only the derivative graph
has), ``param`` (a body's parameter) or ``pruned`` (built, but not needed by the outputs).
The bodies of branches and loops are listed, indented, under the op that runs them.

Walks are iterative and linear in the number of nodes; past ``limit`` lines nothing more is
formatted, only counted.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeGuard

import numpy as np

from ..core.expr import Expr
from ..core.gc_pause import paused_gc
from ..core.shapes import format_shape
from ..core.walk import topological_order
from ..differentiate import provenance
from ..emit.names import Namer, hint
from ..executable import Executable
from ..ops.base import Op
from ..ops.leaves import Constant, Parameter, Variable, as_expr
from ..ops.subgraph import Item, MultiOutput
from ..structure import flatten

#: The default number of lines :func:`show` prints.
DEFAULT_LIMIT = 200
_LABEL_WIDTH = 60


class Listing:
    """The text of a graph, one line per node. ``print`` it, or read ``.lines``.

    Its ``repr`` is the text itself, so ``sg.show(y)`` at a prompt prints the listing.
    """

    def __init__(self, lines: Sequence[str]):
        self.lines = list(lines)

    def __str__(self) -> str:
        return "\n".join(self.lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        import html

        return f'<pre style="font-family:monospace">{html.escape(str(self))}</pre>'


def role_of(node: Expr, gradient: set[int], needed: set[int] | None = None) -> str:
    """The part of the graph ``node`` belongs to (see the module's docstring)."""
    if isinstance(node.op, Variable):
        return "in"
    if isinstance(node.op, Parameter):
        return "param"
    if not node.inputs and not isinstance(node.op, Variable):
        return "const"
    if needed is not None and id(node) not in needed:
        return "pruned"
    return "grad" if id(node) in gradient else "fwd"


def _is_inline(op: Op) -> TypeGuard[Constant]:
    """Scalar constants are written where they are used."""
    return isinstance(op, Constant) and op.value.ndim == 0


def _literal(constant: Constant) -> str:
    value = constant.value[()]
    if constant.value.dtype.kind == "b":
        return str(bool(value))
    return repr(value.item())


def _type(node: Expr) -> str:
    if isinstance(node.op, MultiOutput):
        count = node.op.n_outputs
        return f"{count} result{'s' if count != 1 else ''}"
    return f"{format_shape(node.shape)} {node.dtype.name}"


def _short(text: str, width: int = _LABEL_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


class _Names:
    """Readable, distinct names for nodes, in the style of the emitted code."""

    def __init__(self) -> None:
        self._namer = Namer(frozenset())
        self._names: dict[int, str] = {}

    def __call__(self, node: Expr) -> str:
        name = self._names.get(id(node))
        if name is None:
            if _is_inline(node.op):
                return _literal(node.op)
            if isinstance(node.op, Parameter):
                base = node.op.hint
            elif isinstance(node.op, Constant):
                base = "const"
            else:
                base = hint(node)
            name = self._names[id(node)] = self._namer.fresh(base)
        return name


def _right_side(node: Expr, names: _Names) -> str:
    """``op(args, params)`` for one node."""
    args = [names(x) for x in node.inputs]
    if isinstance(node.op, Item):
        return f"{args[0]}[{node.op.index}]"
    if isinstance(node.op, Variable):
        return f"var {node.op.var_name!r}"
    if isinstance(node.op, Constant):
        return f"const {_short(np.array2string(node.op.value, separator=', ', threshold=6))}"
    label = _short(node.op.label())
    if label.startswith("["):  # indexing: x[1:]
        return f"{args[0] if args else ''}{label}"
    if isinstance(node.op, MultiOutput):
        return f"{node.op.name}({', '.join(args)})"
    name, paren, params = label.partition("(")
    inside = ", ".join(args + ([params[:-1]] if paren and params[:-1] else []))
    return f"{name}({inside})"


class _Entry:
    """One line to print: a node (with its role), or a body's header or results."""

    __slots__ = ("depth", "node", "role", "text")

    def __init__(self, depth: int, node: Expr | None = None, role: str = "", text: str = ""):
        self.depth, self.node, self.role, self.text = depth, node, role, text


def _entries(nodes: Sequence[Expr], role: Callable[[Expr], str], names: _Names) -> Iterator[_Entry]:
    """The lines of the graph ``nodes`` (in topological order), bodies nested under their
    ops, without recursion: a stack of the bodies being listed."""
    stack: list[Iterator[_Entry]] = [(_Entry(0, n, role(n)) for n in nodes)]
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            continue
        node = entry.node
        if node is not None and _is_inline(node.op):
            continue
        yield entry
        if node is not None and isinstance(node.op, MultiOutput):
            stack.append(_body_entries(node.op, entry.role, entry.depth + 1, names))


def _body_entries(owner: MultiOutput, role: str, depth: int, names: _Names) -> Iterator[_Entry]:
    for field, body in owner.bodies().items():
        params = ", ".join(f"{names(p)}: {_type(p)}" for p in body.params)
        yield _Entry(depth, text=f"{field.replace('_', ' ')} ({params}):")
        for n in body.nodes():
            if not isinstance(n.op, Parameter):
                yield _Entry(depth + 1, n, "const" if not n.inputs else role)
        yield _Entry(depth + 1, text=f"-> {', '.join(names(r) for r in body.results)}")


def _left(entry: _Entry, names: _Names) -> str:
    indent = "    " * entry.depth
    if entry.node is None:
        return f"{indent}{entry.text}"
    node = entry.node
    if isinstance(node.op, Variable):
        return f"{indent}{names(node)}"
    return f"{indent}{names(node)} = {_right_side(node, names)}"


@paused_gc()
def listing(
    outputs: Sequence[Expr],
    role: Callable[[Expr], str],
    nodes: Sequence[Expr] | None = None,
    limit: int | None = DEFAULT_LIMIT,
    header: Sequence[str] = (),
) -> Listing:
    """The listing of ``nodes`` (default: what ``outputs`` need), then the outputs' names.

    ``role`` gives each node's marker; past ``limit`` lines the rest is only counted.
    """
    order = topological_order(outputs) if nodes is None else list(nodes)
    roles = {id(n): role(n) for n in order}
    names = _Names()
    counts = collections.Counter(roles.values())
    summary = ", ".join(f"{counts[r]} {r}" for r in _ROLES if counts[r])
    lines = [*header, f"{len(order)} nodes: {summary}" if summary else "no nodes"]
    rows: list[tuple[str, str, str]] = []
    hidden = 0
    for entry in _entries(order, lambda n: roles[id(n)], names):
        if limit is not None and len(rows) >= limit:
            hidden += 1
            continue
        kind = "" if entry.node is None else _type(entry.node)
        rows.append((entry.role, _left(entry, names), kind))
    width = min(max((len(left) for _, left, kind in rows if kind), default=0), _LABEL_WIDTH)
    for marker, left, kind in rows:
        lines.append(f"{marker:<6} {left:<{width}}  {kind}".rstrip())
    if hidden:
        lines.append(
            f"... {hidden} more lines not shown (limit={limit}; pass limit=None to see all)"
        )
    lines.append(f"outputs: {', '.join(names(o) for o in outputs)}")
    return Listing(lines)


_ROLES = ("in", "const", "fwd", "grad", "pruned", "new")


def show(outputs: Any, limit: int | None = DEFAULT_LIMIT, show_pruned: bool = False) -> Listing:
    """The graph behind ``outputs`` as text, one line per node.

    ``outputs`` is an expression, a (nested) list, tuple or dict of them, or a compiled
    :class:`~symgrad.Executable` (then the optimized graph it runs is listed, with what
    pruning and optimization removed). Each line shows the node's name, its op applied to
    its inputs' names, its shape and dtype, and its part of the graph: ``in``, ``const``,
    ``fwd`` (forward), ``grad`` (only in the derivative), ``pruned`` (with
    ``show_pruned=True``: built but not needed), ``new`` (made by the optimizer). At most
    ``limit`` lines are printed (``None``: all).

    >>> import symgrad as sg
    >>> x = sg.var("x", shape=(3,))
    >>> y = (sg.sin(x) * x).sum()
    >>> sg.show(y)
    4 nodes: 1 in, 3 fwd
    in     x                               (3,) float64
    fwd    sin_x = sin(x)                  (3,) float64
    fwd    multiply = multiply(sin_x, x)   (3,) float64
    fwd    sum = sum(multiply, axes=(0,))  () float64
    outputs: sum
    """
    if isinstance(outputs, Executable):
        from .compiled import compiled_listing

        return compiled_listing(outputs, limit)
    leaves, _ = flatten(outputs)
    roots = [as_expr(x) for x in leaves]
    with paused_gc():
        order = topological_order(roots)
        needed = {id(n) for n in order}
        forward, derived = provenance.forward_roots(roots)
        gradient = provenance.gradient_nodes(roots) if derived else set()
        if show_pruned and derived:
            order = topological_order(forward + derived + roots)
    return listing(roots, lambda n: role_of(n, gradient, needed), order, limit)
