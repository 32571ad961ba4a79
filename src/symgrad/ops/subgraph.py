"""Subgraphs (branch and loop bodies) and ops with several outputs.

A :class:`Body` is a closed graph: its leaves are its own :class:`Parameter` nodes and
constants. Python functions become bodies by :func:`trace`, which calls them on fresh
parameters and *closure-converts* the result: every outer value the function used (a variable,
or anything computed outside) becomes an extra parameter, and the op that runs the body takes
that value as an input. So differentiation, pruning and emission see everything a body reads
as ordinary graph edges, and the outer values are computed once, outside the loop.

Control-flow ops return several values; their node is a *tuple node* (``dtype`` object, shape
``()``) read by :class:`Item` nodes, one per output.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..core.expr import Expr, apply
from ..core.shapes import Shape
from ..core.walk import topological_order
from .base import _PARAMETER_CHECKS, EmitContext, Op
from .leaves import Parameter, as_expr, is_leaf_constant, parameter

TUPLE = np.dtype(object)


@dataclasses.dataclass(frozen=True)
class Body:
    """A closed subgraph: ``results`` computed from ``params`` (and constants only)."""

    params: tuple[Expr, ...]
    results: tuple[Expr, ...]

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


_PARAMETER_CHECKS["Body"] = lambda v: type(v) is Body


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
            done[id(node)] = node if inputs == node.inputs else node.op(*inputs)
    return [done[id(o)] for o in outputs]


class Captures:
    """Outer values used by bodies, each with the parameter that stands for it inside."""

    def __init__(self) -> None:
        self.values: list[Expr] = []
        self.params: list[Expr] = []
        self._index: dict[int, int] = {}

    def param_for(self, node: Expr) -> Expr:
        i = self._index.get(id(node))
        if i is None:
            i = self._index[id(node)] = len(self.values)
            self.values.append(node)
            self.params.append(parameter(node.shape, node.dtype, _hint(node)))
        return self.params[i]


def _hint(node: Expr) -> str:
    return node.name if node.name is not None else node.op.name


def close(params: Sequence[Expr], results: Sequence[Expr], captures: Captures) -> list[Expr]:
    """``results`` rewritten so they read only ``params``, constants and capture parameters.

    A node is inside the body if it depends on a parameter; the outer nodes inside ones read
    (and outer results) are captured. Constants stay inside, where they are free."""
    inside = {id(p) for p in params}
    done: dict[int, Expr] = {id(p): p for p in params}

    def mapped(x: Expr) -> Expr:
        if id(x) in done:
            return done[id(x)]
        return x if is_leaf_constant(x) else captures.param_for(x)

    for node in topological_order(results):
        if id(node) in done or not any(id(x) in inside for x in node.inputs):
            continue
        inside.add(id(node))
        inputs = tuple(mapped(x) for x in node.inputs)
        done[id(node)] = node if inputs == node.inputs else node.op(*inputs)
    return [mapped(r) for r in results]


def make_params(like: Sequence[Expr], hints: Sequence[str] | None = None) -> list[Expr]:
    """Fresh parameters with the shapes and dtypes of ``like``."""
    return [
        parameter(x.shape, x.dtype, hints[i] if hints else _hint(x)) for i, x in enumerate(like)
    ]


def call_traced(fn: Callable[..., Any], args: Sequence[Any], what: str) -> Any:
    """``fn(*args)``, with a clear error if it does not return expressions."""
    if not callable(fn):
        raise TypeError(f"{what} must be a function, got {type(fn).__name__}")
    return fn(*args)


def results_like(values: Sequence[Any], like: Sequence[Expr], what: str) -> list[Expr]:
    """``values`` as expressions; Python numbers take the dtype of the matching ``like``."""
    return [as_expr(v, like=x) for v, x in zip(values, like)]


# --- ops with several outputs ---------------------------------------------------------------


class MultiOutput(Op):
    """An op computing several values at once (control flow). Its node is a tuple node;
    :class:`Item` nodes read the outputs. It is emitted as a block of statements by
    ``emit_block`` instead of one expression, and its VJP and JVP take and give one entry
    per output."""

    fresh = False  # outputs may alias inputs (a loop that runs zero times)

    @property
    def output_types(self) -> tuple[tuple[Shape, np.dtype], ...]:
        raise NotImplementedError

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
    dask = True  # (named by the block computing it, on Dask as on NumPy)
    index: int

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        (source,) = inputs
        if not isinstance(source.op, MultiOutput):
            raise TypeError("item reads the outputs of a multi-output op")
        return source.op.output_types[self.index]

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
    return [apply(Item(i), (node,)) for i in range(len(node.op.output_types))]


def is_multi(node: Expr) -> bool:
    return isinstance(node.op, MultiOutput)
