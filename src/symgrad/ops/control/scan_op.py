"""The ``scan`` op: a body run a known number of times (a ``for`` statement), forwards or
backwards, over the rows of stacked sequences, stacking what it gives every step.

``fori_loop`` and ``scan`` build it, and so does the reverse pass of both loop ops.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ...core.dtypes import dtype_name
from ...core.expr import Expr
from ...core.lazy import lazy_module
from ...core.shapes import Dim, Shape, concrete
from ..leaves import hint_of
from ..subgraph import Body, Item, sympy_values
from .common import INT, STACK_ROWS_HELPER, assign, expect, row_types, types
from .layout import LoopLayout, Parts, Sizes
from .loop import Loop

if TYPE_CHECKING:
    import sympy
else:
    sympy = lazy_module("sympy")


@dataclasses.dataclass(frozen=True)
class Scan(Loop):
    """A loop of ``length`` steps (backwards if ``reverse``). The body takes the step index,
    the carried values and row ``t`` of each stacked input (and the outer values it reads);
    it gives the new carried values and the rows of the stacked outputs. Inputs: the step
    count if ``counted``, the initial carry, the stacked inputs, the outer values. Outputs:
    the final carry, the stacked outputs, and the carried values listed in ``record`` at the
    start of every step, stacked."""

    name = "scan"
    body: Body
    n_carry: int
    n_xs: int
    length: Dim
    reverse: bool
    record: tuple[int, ...]
    counted: bool
    # On Dask the loop builds the graph of every step; nothing is computed.
    dask = True
    dask_helpers = {"_stack_rows": STACK_ROWS_HELPER}

    @classmethod
    def of(
        cls,
        params: Parts[Expr],
        results: Parts[Expr],
        length: Dim,
        reverse: bool,
        counted: bool,
        record: Sequence[int] = (),
    ) -> Scan:
        """The scan running the body ``params -> results`` (parameters: the step, carry, xs
        rows and consts; results: the carry and ys rows)."""
        body = Body(params.flat(), results.flat())
        return cls(body, len(params.carry), len(params.xs), length, reverse, tuple(record), counted)

    @functools.cached_property
    def layout(self) -> LoopLayout:
        nc, nx = self.n_carry, self.n_xs
        consts = len(self.body.params) - 1 - nc - nx
        n_ys = len(self.body.results) - nc
        return LoopLayout(
            inputs=Sizes(index=int(self.counted), carry=nc, xs=nx, consts=consts),
            params=Sizes(index=1, carry=nc, xs=nx, consts=consts),
            results=Sizes(carry=nc, ys=n_ys),
            outputs=Sizes(carry=nc, ys=n_ys, trace=len(self.record)),
        )

    @property
    def steps(self) -> Dim:
        return self.length

    @property
    def stepping(self) -> tuple[object, ...]:
        return (self.length, self.reverse, self.counted)

    def rebuilt(self, params: Parts[Expr], results: Parts[Expr], record: Sequence[int]) -> Loop:
        return Scan.of(params, results, self.length, self.reverse, self.counted, record)

    def reverse_pass(
        self, params: Parts[Expr], results: Parts[Expr], inputs: Parts[Expr], forward: Parts[Expr]
    ) -> Parts[Expr]:
        return Scan.of(params, results, self.length, not self.reverse, self.counted).run(inputs)

    def renamed_steps(self, rename: Callable[[Dim], Dim]) -> Scan:
        return dataclasses.replace(self, length=rename(self.length))

    def check(self, inputs: tuple[Expr, ...]) -> None:
        params, nc, nx = self.body.params, self.n_carry, self.n_xs
        expect(
            nc >= 0 and nx >= 0 and 1 + nc + nx <= len(params),
            "scan: the body's parameters do not match the op's inputs",
        )
        expect(
            params[0].shape == () and params[0].dtype == INT,
            "scan: the body's first parameter must be the int64 step",
        )
        expect(len(self.body.results) >= nc, "scan: the body must give the carry")
        layout = self.layout
        expect(
            len(inputs) == layout.inputs.total,
            "scan: the body's parameters do not match the op's inputs",
        )
        given, (p, r) = layout.inputs.split(inputs), self.parts()
        if self.counted:
            (count,) = given.index
            expect(count.ndim == 0 and count.dtype.kind in "iu", "scan: bad count")
            expect(
                isinstance(self.length, int) or _trips_of(count) == self.length,
                "scan: a symbolic length must be the step count of the while loop whose "
                "count is the scan's first input",
            )
        else:
            expect(nx > 0, "scan: without stacked inputs the step count must be an input")
        expect(
            all(x.ndim >= 1 and x.shape[0] == self.length for x in given.xs),
            "scan: the stacked inputs must have length rows",
        )
        expect(
            types(p.carry) == types(given.carry)
            and types(p.xs) == row_types(given.xs)
            and types(p.consts) == types(given.consts),
            "scan: the body's parameters do not match the op's inputs",
        )
        expect(
            types(r.carry) == types(p.carry),
            "scan: the body must give the carry's shapes and dtypes",
        )
        expect(all(0 <= j < nc for j in self.record), "scan: record out of range")

    def _loop(
        self, args: Sequence[str], outs: Sequence[str | None], ctx: Any, dask: bool
    ) -> list[str]:
        layout = self.layout
        inputs, out, params = self._loop_parts(args, outs)
        indent = ctx.indent
        inner = indent + "    "
        carry = [name or ctx.fresh(hint_of(p)) for name, p in zip(out.carry, params.carry)]
        stacked = [name or ctx.fresh("ys") for name in out.ys]
        lines = assign(indent, carry, inputs.carry)
        stacked_types = layout.outputs.split(self.output_types)
        for name, (shape, dtype) in zip(
            (*stacked, *out.trace), (*stacked_types.ys, *stacked_types.trace)
        ):
            if name is not None:
                empty = (
                    "[]" if dask else f"np.empty({ctx.shape(shape)}, dtype=np.{dtype_name(dtype)})"
                )
                lines.append(f"{indent}{name} = {empty}")
        step = ctx.fresh("t")
        # A counted scan runs as many steps as its count input says (for the reverse of a
        # while loop, the loop's trip count): read it, so it is never a dead variable.
        counted = inputs.index[0] if self.counted and not isinstance(self.length, int) else None
        length = counted or ctx.dim(self.length)
        steps = f"range({length} - 1, -1, -1)" if self.reverse else f"range({length})"
        lines.append(f"{indent}for {step} in {steps}:")
        index = ctx.fresh("i") if 0 in self.body.uses() else step
        if index != step:
            lines.append(f"{inner}{index} = np.int64({step})")
        rows = []
        for x, p in zip(inputs.xs, params.xs):
            rows.append(ctx.fresh(hint_of(p)))
            lines.append(f"{inner}{rows[-1]} = {x}[{step}]")
        row = "{}.append({})" if dask else "{}[" + step + "] = {}"
        for name, j in zip(out.trace, self.record):
            if name is not None:
                lines.append(inner + row.format(name, carry[j]))
        bound = Parts(index=[index], carry=carry, xs=rows, consts=inputs.consts)
        body_lines, results = ctx.body(self.body, bound.flat(), inner)
        given = layout.results.split(results)
        lines += body_lines
        lines += [inner + row.format(name, r) for name, r in zip(stacked, given.ys)]
        lines += assign(inner, carry, given.carry)
        if dask:  # the collected rows, stacked (in index order: reversed if the loop was)
            order = "[::-1]" if self.reverse else ""
            for name, (shape, dtype) in zip(
                (*stacked, *out.trace), (*stacked_types.ys, *stacked_types.trace)
            ):
                if name is not None:
                    lines.append(
                        f"{indent}{name} = _stack_rows({name}{order}, {ctx.shape(shape)}, "
                        f"np.{dtype_name(dtype)})"
                    )
        return lines

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> Any:
        """The loop unrolled (its length is known once shapes are concrete)."""
        if not isinstance(self.length, int):
            raise NotImplementedError(f"scan of symbolic length {self.length!r}")
        layout = self.layout
        inputs = layout.inputs.split(list(args))
        carry = list(inputs.carry)
        steps = range(self.length - 1, -1, -1) if self.reverse else range(self.length)
        rows: list[Sequence[np.ndarray]] = []
        history: list[list[np.ndarray]] = []
        for t in steps:
            history.append([carry[j] for j in self.record])
            bound = Parts(
                index=[np.array(sympy.Integer(t), dtype=object)],
                carry=carry,
                xs=[x[t] for x in inputs.xs],
                consts=inputs.consts,
            )
            values = {id(p): v for p, v in zip(self.body.params, bound.flat())}
            results = layout.results.split(sympy_values(self.body.results, values))
            carry = list(results.carry)
            rows.append(results.ys)
        if self.reverse:
            rows.reverse()
            history.reverse()
        out_types = layout.outputs.split(self.output_types)
        return list(
            Parts(
                carry=carry,
                ys=[
                    _stack([r[k] for r in rows], shape) for k, (shape, _) in enumerate(out_types.ys)
                ],
                trace=[
                    _stack([h[k] for h in history], shape)
                    for k, (shape, _) in enumerate(out_types.trace)
                ],
            ).flat()
        )


def _stack(rows: list[np.ndarray], shape: Shape) -> np.ndarray:
    """Object arrays stacked along a new first axis (``shape`` when there are none)."""
    return np.stack(rows) if rows else np.empty(concrete("scan", shape), dtype=object)


def _trips_of(count: Expr) -> Dim | None:
    """The symbolic step count of the while loop whose count output ``count`` is, if any."""
    from .while_op import While  # the while op builds scans: import it only when checking

    item = count.op
    if not isinstance(item, Item):
        return None
    source = count.inputs[0]
    if not isinstance(source.op, While):
        return None
    part, _ = source.op.layout.outputs.locate(item.index)
    return source.op.trips_dim if part == "trips" else None
