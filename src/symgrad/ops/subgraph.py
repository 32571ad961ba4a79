"""Subgraphs (branch and loop bodies) and ops with several outputs.

A :class:`Body` is a closed graph: its leaves are its own :class:`Parameter` nodes and
constants (``symgrad.ops.control.tracing`` makes bodies of Python functions). Whatever a
body reads from outside is an input of the op running it, so differentiation, pruning and
emission see it as an ordinary graph edge.

Control-flow ops return several values; their node is a *tuple node* (``dtype`` object, shape
``()``) read by :class:`Item` nodes, one per output.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.expr import TUPLE, Expr, apply, same_nodes
from ..core.shapes import Shape
from ..core.walk import topological_order
from ..errors import ShapeError
from .base import EmitContext, Op
from .leaves import Parameter, is_leaf_constant


@dataclasses.dataclass(frozen=True, eq=False)
class Body:
    """A closed subgraph: ``results`` computed from ``params`` (and constants only).

    Bodies are equal when they hold the same nodes (by identity, as nodes are hash-consed)."""

    params: tuple[Expr, ...]
    results: tuple[Expr, ...]

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is Body
            and same_nodes(self.params, other.params)
            and same_nodes(self.results, other.results)
        )

    def __hash__(self) -> int:
        return hash((tuple(map(id, self.params)), tuple(map(id, self.results))))

    def __repr__(self) -> str:
        return f"<Body {len(self.params)} params -> {len(self.results)} results>"

    def nodes(self) -> list[Expr]:
        """Every node of the body, inputs first (parameters the results ignore included)."""
        return topological_order([*self.params, *self.results])

    def uses(self) -> set[int]:
        """Positions of the parameters some result depends on."""
        used = {id(n) for n in topological_order(self.results) if isinstance(n.op, Parameter)}
        return {i for i, p in enumerate(self.params) if id(p) in used}

    def select(self, params: Sequence[int], results: Sequence[int]) -> Body:
        """The body keeping the parameters and results at the given positions."""
        return Body(tuple(self.params[i] for i in params), tuple(self.results[i] for i in results))

    def call(self, args: Sequence[Expr]) -> list[Expr]:
        """The results with ``args`` in place of the parameters (the body inlined)."""
        mapping = {id(p): a for p, a in zip(self.params, args)}
        return substitute(self.results, mapping)


def sympy_values(outputs: Sequence[Expr], known: dict[int, Any]) -> list[Any]:
    """Each of ``outputs`` as an object array of SymPy expressions (a list of them for a
    multi-output node), computed by each op's ``to_sympy`` from ``known``: the values of
    the graph's leaves by node id (a body's parameters; the symbols of variables)."""
    values = dict(known)
    for node in topological_order(outputs):
        if id(node) not in values:
            value = node.op.to_sympy(node, [values[id(x)] for x in node.inputs])
            values[id(node)] = value if isinstance(value, list) else np.asarray(value, dtype=object)
    return [values[id(y)] for y in outputs]


def check_closed(body: Body) -> Body:
    """``body``, after checking that its results read only its parameters and constants."""
    params = {id(p) for p in body.params}
    for node in topological_order(body.results):
        if not node.inputs and id(node) not in params and not is_leaf_constant(node):
            raise ValueError(f"a body reads {node.op.label()}, which is not its parameter")
    return body


def substitute(outputs: Sequence[Expr], mapping: dict[int, Expr]) -> list[Expr]:
    """``outputs`` rebuilt with the nodes in ``mapping`` (by id) replaced."""
    done = dict(mapping)
    for node in topological_order(outputs):
        if id(node) not in done:
            inputs = tuple(done[id(x)] for x in node.inputs)
            done[id(node)] = node if same_nodes(inputs, node.inputs) else node.op(*inputs)
    return [done[id(o)] for o in outputs]


# --- ops with several outputs ---------------------------------------------------------------


class MultiOutput(Op):
    """An op computing several values at once (control flow, decompositions with several
    results). Its node is a tuple node; :class:`Item` nodes read the outputs. It is emitted
    as a block of statements by ``emit_block`` instead of one expression, and its VJP and
    JVP take and give one entry per output."""

    fresh = False  # outputs may alias inputs (a loop that runs zero times)

    @property
    def output_types(self) -> tuple[tuple[Shape, np.dtype], ...]:
        """The shape and dtype of each output, where the op alone fixes them (control flow:
        its bodies do). Ops whose output types depend on the inputs' shapes override
        ``output_types_for`` and ``n_outputs`` instead."""
        raise NotImplementedError

    @property
    def n_outputs(self) -> int:
        return len(self.output_types)

    def output_types_for(self, inputs: Sequence[Expr]) -> tuple[tuple[Shape, np.dtype], ...]:
        """The shape and dtype of each output of the op applied to ``inputs``."""
        return self.output_types

    def output_hint(self, index: int) -> str:
        """A name for output ``index`` in the emitted code."""
        return "out"

    def vjp(self, node: Expr, cotangent: Sequence[Expr | None]) -> Sequence[Expr | None]:
        """Cotangents of the inputs from the outputs' cotangents, one per output (``None``:
        that output gets none)."""
        raise NotImplementedError(f"the op {self.name!r} has no reverse-mode rule")

    def bodies(self) -> dict[str, Body]:
        """The subgraphs, by field name."""
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if isinstance(getattr(self, f.name), Body)
        }

    def with_bodies(self, bodies: dict[str, Body]) -> MultiOutput:
        return dataclasses.replace(self, **bodies)

    def check(self, inputs: tuple[Expr, ...]) -> None:
        """Raise ShapeError unless the inputs fit the bodies (checked on every build, so
        also for graphs loaded from files)."""

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        self.check(inputs)
        for body in self.bodies().values():
            check_closed(body)
        return (), TUPLE

    def label(self) -> str:
        return self.name

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        raise TypeError(f"{self.name} is emitted as a block of statements")

    def emit_block(
        self, node: Expr, args: Sequence[str], outs: Sequence[str | None], ctx: Any
    ) -> list[str]:
        """Statements computing the outputs into the names ``outs`` (``None``: unused)."""
        raise NotImplementedError

    def emit_block_dask(
        self, node: Expr, args: Sequence[str], outs: Sequence[str | None], ctx: Any
    ) -> list[str] | None:
        """For the ``"dask"`` backend: the statements where ``emit_block``'s would not work
        on Dask arrays, or ``None`` to use ``emit_block``'s."""
        return None


@dataclasses.dataclass(frozen=True)
class Item(Op):
    """Output ``index`` of a multi-output op."""

    name = "item"
    fresh = False  # the array the multi-output op produced, which it may share
    reads_results = True
    dask = True  # (named by the block computing it, on Dask as on NumPy)
    index: int

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        (source,) = inputs
        if not isinstance(source.op, MultiOutput):
            raise TypeError("item reads the outputs of a multi-output op")
        types = source.op.output_types_for(source.inputs)
        if not 0 <= self.index < len(types):
            raise ShapeError(self.name, f"{source.op.name} has no output {self.index}")
        return types[self.index]

    def label(self) -> str:
        return f"[{self.index}]"

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        raise AssertionError("items are named by the block that computes them")

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        raise AssertionError("reverse mode collects item cotangents for their op")

    def to_sympy(self, node: Expr, args: Sequence[Any]) -> np.ndarray:
        return args[0][self.index]  # the op's outputs, a list

    def jvp(self, node: Expr, tangents: Sequence[Any]) -> Expr | None:
        (tangent,) = tangents  # the source's tangents, one per output
        return None if tangent is None else tangent[self.index]


def items(node: Expr) -> list[Expr]:
    """Every output of a multi-output node."""
    op = node.op
    if not isinstance(op, MultiOutput):
        raise TypeError(f"a {op.name} node has one output, not items")
    return [apply(Item(i), (node,)) for i in range(op.n_outputs)]


def is_multi(node: Expr) -> bool:
    return isinstance(node.op, MultiOutput)
