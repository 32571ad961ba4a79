"""The ``cond`` op: one of two branch bodies runs (``if``/``else`` in the emitted code).

Its derivatives are a ``cond`` again, of the branches' derivatives on the same predicate,
so the branch not taken never runs, for the value or for any derivative.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ...core.expr import Expr
from ...core.lazy import lazy_module
from ...core.shapes import Shape
from ..leaves import parameter
from ..subgraph import Body, MultiOutput, items, sympy_values
from .common import assign, batch_of, expect, floats, jvp_body, or_zeros, types, vjp_body

if TYPE_CHECKING:
    import sympy
else:
    sympy = lazy_module("sympy")


@dataclasses.dataclass(frozen=True)
class Cond(MultiOutput):
    """``then_body`` if the first input is true, else ``else_body``; only one runs. Both
    bodies take the remaining inputs."""

    name = "cond"
    then_body: Body
    else_body: Body
    dask = True  # the predicate is computed where the cond runs; one branch is built
    dask_computes = True

    @property
    def output_types(self) -> tuple[tuple[Shape, np.dtype], ...]:
        return tuple((r.shape, r.dtype) for r in self.then_body.results)

    def check(self, inputs: tuple[Expr, ...]) -> None:
        expect(inputs and inputs[0].ndim == 0, "cond: the predicate must be a scalar")
        for body in (self.then_body, self.else_body):
            expect(
                types(body.params) == types(inputs[1:]),
                "cond: the body's parameters do not match the op's inputs",
            )
        expect(
            types(self.then_body.results) == types(self.else_body.results),
            "cond: the branches' outputs differ",
        )

    def output_hint(self, index: int) -> str:
        return "branch"

    def emit_block(
        self, node: Expr, args: Sequence[str], outs: Sequence[str | None], ctx: Any
    ) -> list[str]:
        return self._branches([f"{ctx.indent}if {args[0]}:"], args, outs, ctx)

    def emit_block_dask(
        self, node: Expr, args: Sequence[str], outs: Sequence[str | None], ctx: Any
    ) -> list[str]:
        lines = [f"{ctx.indent}if {args[0]}:  # computes the predicate"]
        return self._branches(lines, args, outs, ctx)

    def _branches(
        self, lines: list[str], args: Sequence[str], outs: Sequence[str | None], ctx: Any
    ) -> list[str]:
        inner = ctx.indent + "    "
        for keyword, body in (("", self.then_body), ("else:", self.else_body)):
            if keyword:
                lines.append(f"{ctx.indent}{keyword}")
            statements, results = ctx.body(body, args[1:], inner)
            chosen = [(o, r) for o, r in zip(outs, results) if o is not None]
            statements += assign(inner, [o for o, _ in chosen], [r for _, r in chosen])
            lines += statements or [f"{inner}pass"]
        return lines

    def _one_branch(self) -> tuple[set[int], set[int]]:
        """Positions of the operands only the then branch reads, and only the else branch."""
        then_uses, else_uses = self.then_body.uses(), self.else_body.uses()
        return then_uses - else_uses, else_uses - then_uses

    def selection(self, node: Expr) -> Sequence[Expr | None]:
        from .. import elementwise as ew

        pred = node.inputs[0]
        taken = pred if pred.dtype == np.bool_ else ew.not_equal(pred, 0)
        then_only, else_only = self._one_branch()
        masks: list[Expr | None] = [None]
        for i in range(len(node.inputs) - 1):
            if i in then_only:
                masks.append(taken)
            elif i in else_only:
                masks.append(ew.where(taken, False, True))
            else:
                masks.append(None)
        return masks

    def discards(self, node: Expr) -> Sequence[int]:
        then_only, else_only = self._one_branch()
        return tuple(1 + i for i in sorted(then_only | else_only))

    def vjp(self, node: Expr, cotangent: Sequence[Expr | None]) -> Sequence[Expr | None]:
        cots = list(cotangent)
        pred, *args = node.inputs
        outs = floats(self.then_body.results)
        wrt = floats(args)
        batch = batch_of(cots, self.output_types)
        seeds = [or_zeros(cots[i], self.output_types[i], batch) for i in outs]
        then_vjp = vjp_body(self.then_body, outs, wrt, batch)
        else_vjp = vjp_body(self.else_body, outs, wrt, batch)
        grads = items(Cond(then_vjp, else_vjp)(pred, *args, *seeds))
        result: list[Expr | None] = [None] * len(node.inputs)
        for k, i in enumerate(wrt):
            result[1 + i] = grads[k]
        return result

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Any:
        pred, *args = node.inputs
        moving = [i for i, t in enumerate(tangents[1:]) if t is not None]
        given = [t for t in tangents[1:] if t is not None]
        if not moving:
            return None
        batch = batch_of(given, types([args[i] for i in moving]))
        outs = floats(self.then_body.results)
        tparams = [parameter(t.shape, t.dtype, "t") for t in given]
        bodies = []
        for body in (self.then_body, self.else_body):
            pushed = jvp_body(body, moving, tparams, outs, batch)
            bodies.append(Body(body.params + tuple(tparams), tuple(pushed)))
        tangent_items = items(Cond(*bodies)(pred, *args, *given))
        result: list[Expr | None] = [None] * len(self.output_types)
        for k, i in enumerate(outs):
            result[i] = tangent_items[k]
        return result

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> Any:
        pred, *operands = args
        chosen = []
        for body in (self.then_body, self.else_body):
            bound = {id(p): a for p, a in zip(body.params, operands)}
            chosen.append(sympy_values(body.results, bound))
        condition = sympy.sympify(pred[()], strict=True)  # strict: never parses text
        if not isinstance(condition, sympy.logic.boolalg.Boolean):
            condition = sympy.Ne(condition, 0)  # a number as the predicate: true if nonzero
        piecewise = np.vectorize(
            lambda t, f: sympy.Piecewise((t, condition), (f, True)), otypes=[object]
        )
        return [piecewise(t, f) for t, f in zip(*chosen)]
