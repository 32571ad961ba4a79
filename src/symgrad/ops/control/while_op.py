"""The ``while_loop`` op: a body repeated while a test holds (a ``while`` statement).

It counts its steps: the count is an output, and its symbolic name (``trips_dim``) is the
length of what the loop traces, so the reverse pass, a scan, runs exactly that many steps.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ...core.dtypes import dtype_name
from ...core.expr import Expr, same_nodes
from ...core.shapes import Dim
from ..base import Helper
from ..leaves import hint_of
from ..subgraph import Body
from .common import STACK_ROWS_HELPER, assign, expect, types
from .layout import LoopLayout, Parts, Sizes
from .loop import Loop
from .scan_op import Scan

_TRIPS = "trips#"
_trip_dims = itertools.count()


def fresh_trips_dim() -> str:
    """A new name for the run-time number of steps of a while loop."""
    return f"{_TRIPS}{next(_trip_dims)}"


def trips_renamer() -> Callable[[Dim], Dim]:
    """A function giving each while loop's step count a fresh name, the same one for every
    use of a name, and leaving other dimensions as they are (a loaded graph's loops must
    not share a name with the live graph's)."""
    renamed: dict[str, str] = {}

    def rename(dim: Dim) -> Dim:
        if isinstance(dim, str) and dim.startswith(_TRIPS):
            return renamed.setdefault(dim, fresh_trips_dim())
        return dim

    return rename


_LIMIT_ERROR = '''\
class IterationLimitError(RuntimeError):
    """A while loop was still running after its max_iterations steps."""
'''


@dataclasses.dataclass(frozen=True)
class While(Loop):
    """Repeat ``body`` while ``test`` holds. Inputs: the initial state (``n_state`` values)
    and the values the bodies read from outside. Outputs: the final state, the number of
    steps, and the state values listed in ``record`` at the start of every step, stacked."""

    name = "while_loop"
    test: Body
    body: Body
    n_state: int
    record: tuple[int, ...]
    max_iterations: int  # 0: no limit
    trips_dim: str  # the symbolic size of the stacked records
    # On Dask the test is computed before every step, and the state persisted after it
    # (kept computed, on the cluster's workers if there is one): no step is computed twice.
    dask = True
    dask_computes = True

    @property
    def helpers(self) -> dict[str, str | Helper]:  # type: ignore[override]
        if not self.max_iterations:
            return {}
        return {"IterationLimitError": _LIMIT_ERROR}

    @property
    def dask_helpers(self) -> Mapping[str, str | Helper]:  # type: ignore[override]
        return {**self.helpers, "_stack_rows": STACK_ROWS_HELPER} if self.record else self.helpers

    @functools.cached_property
    def layout(self) -> LoopLayout:
        sides = Sizes(carry=self.n_state, consts=len(self.body.params) - self.n_state)
        return LoopLayout(
            inputs=sides,
            params=sides,
            results=Sizes(carry=self.n_state),
            outputs=Sizes(carry=self.n_state, trips=1, trace=len(self.record)),
        )

    @property
    def steps(self) -> Dim:
        return self.trips_dim

    @property
    def stepping(self) -> tuple[object, ...]:
        return (self.trips_dim, self.max_iterations)

    def rebuilt(self, params: Parts[Expr], results: Parts[Expr], record: Sequence[int]) -> Loop:
        flat = params.flat()
        return While(
            Body(flat, self.test.results),
            Body(flat, results.flat()),
            len(params.carry),
            tuple(record),
            self.max_iterations,
            self.trips_dim,
        )

    def reverse_pass(
        self, params: Parts[Expr], results: Parts[Expr], inputs: Parts[Expr], forward: Parts[Expr]
    ) -> Parts[Expr]:
        scan = Scan.of(params, results, self.trips_dim, reverse=True, counted=True)
        return scan.run(inputs.replace(index=forward.trips))

    def reads_each_step(self) -> set[int]:
        return self.test.uses()

    def renamed_steps(self, rename: Callable[[Dim], Dim]) -> While:
        return dataclasses.replace(self, trips_dim=str(rename(self.trips_dim)))

    def check(self, inputs: tuple[Expr, ...]) -> None:
        params = self.body.params
        expect(0 <= self.n_state <= len(params), "while_loop: n_state out of range")
        for body in (self.test, self.body):
            expect(
                types(body.params) == types(inputs),
                "while_loop: the body's parameters do not match the op's inputs",
            )
        expect(same_nodes(self.test.params, params), "while_loop: test and body params differ")
        expect(
            len(self.test.results) == 1 and self.test.results[0].ndim == 0,
            "while_loop: the test must give one scalar",
        )
        expect(
            types(self.body.results) == types(params[: self.n_state]),
            "while_loop: the body must give the state's shapes and dtypes",
        )
        expect(all(0 <= j < self.n_state for j in self.record), "while_loop: record out of range")
        expect(self.max_iterations >= 0, "while_loop: max_iterations must be >= 0")

    def _loop(
        self, args: Sequence[str], outs: Sequence[str | None], ctx: Any, dask: bool
    ) -> list[str]:
        inputs, out, params = self._loop_parts(args, outs)
        indent = ctx.indent
        inner = indent + "    "
        state = [name or ctx.fresh(hint_of(p)) for name, p in zip(out.carry, params.carry)]
        steps = ctx.fresh("steps")
        ctx.bind_dim(self.trips_dim, steps)
        history = {j: ctx.fresh(f"{hint_of(params.carry[j])}_list") for j in self.record}
        lines = assign(indent, state, inputs.carry)
        persist = f"[{', '.join(state)}] = dask.persist({', '.join(state)})"
        if dask:
            lines.append(f"{indent}{persist}")
        lines.append(f"{indent}{steps} = 0")
        lines += [f"{indent}{h} = []" for h in history.values()]
        bound = [*state, *inputs.consts]
        test_lines, (test,) = ctx.body(self.test, bound, inner)
        single = _single_expression(test_lines, test)
        if single is not None:
            lines.append(f"{indent}while {single}:")
        else:
            lines += [
                f"{indent}while True:",
                *test_lines,
                f"{inner}if not {test}:",
                f"{inner}    break",
            ]
        if self.max_iterations:
            lines += [
                f"{inner}if {steps} == {self.max_iterations}:",
                f"{inner}    raise IterationLimitError("
                f"'while_loop: still running after max_iterations={self.max_iterations} steps')",
            ]
        lines += [f"{inner}{history[j]}.append({state[j]})" for j in self.record]
        body_lines, results = ctx.body(self.body, bound, inner)
        lines += body_lines + assign(inner, state, results)
        if dask:
            lines.append(f"{inner}{persist}")
        lines.append(f"{inner}{steps} += 1")
        (trips,) = out.trips
        if trips is not None:
            lines.append(f"{indent}{trips} = np.int64({steps})")
        for name, j in zip(out.trace, self.record):
            if name is not None:
                p = params.carry[j]
                shape = ctx.shape((self.trips_dim, *p.shape))
                dtype = f"np.{dtype_name(p.dtype)}"
                if dask:
                    stacked = f"_stack_rows({history[j]}, {shape}, {dtype})"
                else:
                    stacked = f"np.array({history[j]}, dtype={dtype}).reshape({shape})"
                lines.append(f"{indent}{name} = {stacked}")
        if history:
            lines.append(f"{indent}del {', '.join(history.values())}")
        return lines


def _single_expression(lines: list[str], name: str) -> str | None:
    """The expression of a block that is one statement ``name = expression`` (or none,
    ``name`` being the expression), if it is."""
    if not lines:
        return name
    if len(lines) != 1:
        return None
    target, _, rest = lines[0].strip().partition(" = ")
    if target != name:
        return None
    return rest.rsplit("  # ", 1)[0]
