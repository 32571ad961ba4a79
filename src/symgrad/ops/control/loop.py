"""What ``while_loop`` and ``scan`` have in common, and their derivative rules, written once
for both over the named parts of :mod:`.layout`.

* **Reverse mode** runs the body's VJP as a scan over the steps the loop took, last to first.
  It carries the cotangents of the carry and sums those of the outer values; it reads the
  carried values the VJP needs from the trace of the forward run (the loop, recording
  them), and gives the cotangents of the sequences as its per-step outputs.
* **Forward mode** extends the loop: tangents are carried beside the carry, read beside the
  sequences and outer values, and given beside the per-step outputs. The extended loop
  computes everything the original does, so the optimizer reads both from it (one loop).

Both are loops again, so derivatives of any order work, and none is unrolled.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ...core.expr import Expr
from ...core.shapes import Dim, Shape
from .. import elementwise as ew
from ..leaves import hint_of, parameter
from ..subgraph import Body, MultiOutput, items
from .common import (
    INT,
    batch_of,
    floats,
    jvp_body,
    like,
    or_zeros,
    steps_after_batch,
    steps_first,
    types,
    vjp_body,
)
from .layout import LoopLayout, Parts


class Loop(MultiOutput):
    """A body run step after step on a carry. Subclasses are frozen dataclasses with the
    fields ``body`` and ``record`` (the carried values to trace) and say how the steps are
    decided."""

    body: Body
    record: tuple[int, ...]

    # --- what each loop says --------------------------------------------------------------

    @property
    def layout(self) -> LoopLayout:
        raise NotImplementedError

    @property
    def steps(self) -> Dim:
        """The number of steps, the length of every stacked output."""
        raise NotImplementedError

    @property
    def stepping(self) -> tuple[object, ...]:
        """What decides the steps besides the carry and the bodies: loops of one kind with
        equal stepping, the same carry and the same bodies take the same steps."""
        raise NotImplementedError

    def rebuilt(self, params: Parts[Expr], results: Parts[Expr], record: Sequence[int]) -> Loop:
        """The same kind of loop, stepping the same way, with another body."""
        raise NotImplementedError

    def reverse_pass(
        self, params: Parts[Expr], results: Parts[Expr], inputs: Parts[Expr], forward: Parts[Expr]
    ) -> Parts[Expr]:
        """The outputs of a scan of the body ``params -> results`` over the steps this loop
        took, last to first, on ``inputs`` (``forward``: this loop's outputs)."""
        raise NotImplementedError

    def renamed_steps(self, rename: Callable[[Dim], Dim]) -> Loop:
        """The same loop with ``rename`` applied to the name of its number of steps (a
        loaded graph gives its while loops' step counts fresh names)."""
        raise NotImplementedError

    def reads_each_step(self) -> set[int]:
        """Positions of the body parameters read besides the body (a while loop's test)."""
        return set()

    # --- shared -----------------------------------------------------------------------------

    def parts(self) -> tuple[Parts[Expr], Parts[Expr]]:
        """The body's parameters and results, by part."""
        return self._parts

    @functools.cached_property
    def _parts(self) -> tuple[Parts[Expr], Parts[Expr]]:
        layout = self.layout
        return layout.params.split(self.body.params), layout.results.split(self.body.results)

    def recording(self, record: Sequence[int]) -> Loop:
        """The same loop, tracing the carried values ``record``."""
        return dataclasses.replace(self, record=tuple(record))  # type: ignore[call-arg]

    def run(self, inputs: Parts[Expr]) -> Parts[Expr]:
        """The outputs of this loop run on ``inputs``, by part."""
        return self.layout.outputs.split(items(self(*inputs.flat())))

    @functools.cached_property  # read by every item of the loop's node
    def output_types(self) -> tuple[tuple[Shape, np.dtype], ...]:
        params, results = self.parts()

        def stacked(x: Expr) -> tuple[Shape, np.dtype]:
            return (self.steps, *x.shape), x.dtype

        return Parts(
            carry=types(params.carry),
            trips=[((), INT)] * self.layout.outputs.trips,
            ys=[stacked(y) for y in results.ys],
            trace=[stacked(params.carry[j]) for j in self.record],
        ).flat()

    def output_hint(self, index: int) -> str:
        part, k = self.layout.outputs.locate(index)
        params, _ = self.parts()
        if part == "carry":
            return hint_of(params.carry[k])
        if part == "trace":
            return hint_of(params.carry[self.record[k]]) + "_history"
        return part  # "trips", "ys"

    def emit_block(
        self, node: Expr, args: Sequence[str], outs: Sequence[str | None], ctx: Any
    ) -> list[str]:
        return self._loop(args, outs, ctx, dask=False)

    def emit_block_dask(
        self, node: Expr, args: Sequence[str], outs: Sequence[str | None], ctx: Any
    ) -> list[str]:
        """The same loop on Dask arrays (a scan collects its rows in lists and stacks them
        after the loop: writing them into a Dask array one by one would copy it each step)."""
        return self._loop(args, outs, ctx, dask=True)

    def _loop(
        self, args: Sequence[str], outs: Sequence[str | None], ctx: Any, dask: bool
    ) -> list[str]:
        """The loop's statements (``args``: its inputs' names, ``outs``: its outputs')."""
        raise NotImplementedError

    def _loop_parts(
        self, args: Sequence[str], outs: Sequence[str | None]
    ) -> tuple[Parts[str], Parts[str | None], Parts[Expr]]:
        """The names of the inputs and outputs by part, and the body's parameters."""
        layout = self.layout
        params, _ = self.parts()
        return layout.inputs.split(args), layout.outputs.split(outs), params

    def vjp(self, node: Expr, cotangent: Sequence[Expr | None]) -> Sequence[Expr | None]:
        layout = self.layout
        params, results = self.parts()
        inputs = layout.inputs.split(node.inputs)
        cots = layout.outputs.split(list(cotangent))
        batch = batch_of(cotangent, self.output_types)
        nb = len(batch)
        fc, fx, fk = floats(params.carry), floats(params.xs), floats(params.consts)
        fy = floats(results.ys)
        step_vjp = vjp_body(
            self.body,
            layout.results.positions("carry", fc) + layout.results.positions("ys", fy),
            layout.params.positions("carry", fc)
            + layout.params.positions("xs", fx)
            + layout.params.positions("consts", fk),
            batch,
        )
        # The forward run traces the carried values the VJP reads (and what it traced).
        needed = layout.params.within("carry", step_vjp.uses())
        record = sorted({*self.record, *needed})
        forward = self.recording(record).run(inputs)
        trace = dict(zip(record, forward.trace))
        trace_cots = {j: c for j, c in zip(self.record, cots.trace) if c is not None and j in fc}
        y_cots = {k: steps_first(c, nb) for k in fy if (c := cots.ys[k]) is not None}

        back_params, back_results = _backward_step(
            self, step_vjp, needed, y_cots, list(trace_cots), batch
        )
        backward = self.reverse_pass(
            back_params,
            back_results,
            Parts(
                index=inputs.index,
                carry=(
                    *[or_zeros(cots.carry[i], params.carry[i], batch) for i in fc],
                    *[or_zeros(None, params.consts[k], batch) for k in fk],
                ),
                xs=(
                    *[trace[j] for j in needed],
                    *inputs.xs,
                    *y_cots.values(),
                    *[steps_first(c, nb) for c in trace_cots.values()],
                ),
                consts=inputs.consts,
            ),
            forward,
        )
        result: list[Expr | None] = [None] * len(node.inputs)
        for k, i in enumerate(fc):
            result[layout.inputs.position("carry", i)] = backward.carry[k]
        for k, i in enumerate(fk):
            result[layout.inputs.position("consts", i)] = backward.carry[len(fc) + k]
        for k, x in enumerate(fx):
            result[layout.inputs.position("xs", x)] = steps_after_batch(backward.ys[k], nb)
        return result

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Any:
        if all(t is None for t in tangents):
            return None
        layout = self.layout
        params, results = self.parts()
        inputs = layout.inputs.split(node.inputs)
        given = layout.inputs.split(tangents)
        batch = batch_of(tangents, types(node.inputs))
        nb = len(batch)
        fc, fy = floats(params.carry), floats(results.ys)
        mx = [k for k, t in enumerate(given.xs) if t is not None]
        mk = [k for k, t in enumerate(given.consts) if t is not None]
        d_carry = [like(params.carry[i], batch, "d_") for i in fc]
        d_xs = [like(params.xs[k], batch, "d_") for k in mx]
        d_consts = [like(params.consts[k], batch, "d_") for k in mk]
        pushed = jvp_body(
            self.body,
            layout.params.positions("carry", fc)
            + layout.params.positions("xs", mx)
            + layout.params.positions("consts", mk),
            d_carry + d_xs + d_consts,
            layout.results.positions("carry", fc) + layout.results.positions("ys", fy),
            batch,
        )
        nc, ny, nr = len(params.carry), len(results.ys), len(self.record)
        traced_floats = [j for j in self.record if j in fc]
        extended = self.rebuilt(
            params.replace(
                carry=(*params.carry, *d_carry),
                xs=(*params.xs, *d_xs),
                consts=(*params.consts, *d_consts),
            ),
            results.replace(
                carry=(*results.carry, *pushed[: len(fc)]), ys=(*results.ys, *pushed[len(fc) :])
            ),
            (*self.record, *[nc + fc.index(j) for j in traced_floats]),
        )
        outs = extended.run(
            inputs.replace(
                carry=(
                    *inputs.carry,
                    *[or_zeros(given.carry[i], params.carry[i], batch) for i in fc],
                ),
                xs=(*inputs.xs, *[steps_first(t, nb) for t in given.xs if t is not None]),
                consts=(*inputs.consts, *[t for t in given.consts if t is not None]),
            )
        )
        carry: list[Expr | None] = [None] * nc
        for k, i in enumerate(fc):
            carry[i] = outs.carry[nc + k]
        ys: list[Expr | None] = [None] * ny
        for k, y in enumerate(fy):
            ys[y] = steps_after_batch(outs.ys[ny + k], nb)
        trace: list[Expr | None] = [None] * nr
        for k, j in enumerate(self.record):
            if j in fc:
                trace[k] = steps_after_batch(outs.trace[nr + traced_floats.index(j)], nb)
        trips: list[Expr | None] = [None] * layout.outputs.trips
        by_part: Parts[Expr | None] = Parts(carry=carry, trips=trips, ys=ys, trace=trace)
        return list(by_part.flat())


def _backward_step(
    loop: Loop,
    step_vjp: Body,
    traced: Sequence[int],
    y_cots: dict[int, Expr],
    trace_cots: Sequence[int],
    batch: Shape,
) -> tuple[Parts[Expr], Parts[Expr]]:
    """One step of the reverse pass of ``loop``, as a scan body: the VJP of the loop's body
    (``step_vjp``) at the carried values ``traced`` (the rest are not read), carrying the
    cotangents of the carry and summing those of the outer values, taking as rows the
    cotangents ``y_cots`` (by ys position, steps first) and those of the traced carried
    values ``trace_cots``, and giving the cotangents of the rows of the sequences."""
    params, results = loop.parts()
    fc, fx, fk = floats(params.carry), floats(params.xs), floats(params.consts)
    step = parameter((), INT, "step")
    d_carry = [like(params.carry[i], batch, "d_") for i in fc]
    d_consts = [like(params.consts[k], batch, "d_") for k in fk]
    traced_rows = [like(params.carry[j]) for j in traced]
    rows = [like(x) for x in params.xs]
    consts = [like(k) for k in params.consts]
    y_rows = {k: parameter(c.shape[1:], c.dtype, "d_ys") for k, c in y_cots.items()}
    trace_rows = {j: like(params.carry[j], batch, "d_", "_history") for j in trace_cots}
    carry = list(params.carry)  # carried values the VJP does not read stay as they are
    for j, p in zip(traced, traced_rows):
        carry[j] = p
    y_seeds = [or_zeros(y_rows.get(k), results.ys[k], batch) for k in floats(results.ys)]
    args = Parts(index=(step,) * len(params.index), carry=carry, xs=rows, consts=consts)
    grads = step_vjp.call([*args.flat(), *d_carry, *y_seeds])
    n_c, n_x = len(fc), len(fx)
    new_d_carry = [
        ew.add(g, trace_rows[j]) if j in trace_rows else g for g, j in zip(grads[:n_c], fc)
    ]
    new_d_consts = [ew.add(a, g) for a, g in zip(d_consts, grads[n_c + n_x :])]
    return (
        Parts(
            index=(step,),
            carry=(*d_carry, *d_consts),
            xs=(*traced_rows, *rows, *y_rows.values(), *trace_rows.values()),
            consts=consts,
        ),
        Parts(carry=(*new_d_carry, *new_d_consts), ys=grads[n_c : n_c + n_x]),
    )
