"""Optimize stage: small rewrite passes, run in the order of ``PIPELINE``.

Dead-code elimination and common-subexpression elimination need no pass of their own: the
compiler only walks what the outputs need, and hash-consed nodes make identical
subexpressions one node, also after every rewrite. Every pass also runs inside branch and
loop bodies; ``prune`` (always run) then drops the control-flow outputs no one reads and
runs a loop and its recording twin (from reverse mode) once.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..core.expr import Expr, same_nodes
from .control_flow import into_bodies, prune
from .fold import fold_constants
from .rewrite import Rule, rewrite
from .simplify import simplify
from .stabilize import stabilize

#: Every pass by name, in the order the pipeline runs them.
PASSES: dict[str, Rule] = {
    "stabilize": stabilize,
    "simplify": simplify,
    "fold_constants": fold_constants,
}
PIPELINE: tuple[str, ...] = ("stabilize", "simplify", "fold_constants", "simplify")
#: Choices the emitter makes, named like passes: "blocking" runs large elementwise chains a
#: block of rows at a time (``symgrad.emit.blocking``).
EMITTER_PASSES: tuple[str, ...] = ("blocking",)


def chosen_passes(passes: bool | Sequence[str]) -> set[str]:
    """The names ``optimize=passes`` selects (all with ``True``, none with ``False``)."""
    if passes is True:
        return set(PASSES) | set(EMITTER_PASSES)
    if passes is False:
        return set()
    if isinstance(passes, str):
        passes = [passes]
    unknown = [p for p in passes if p not in PASSES and p not in EMITTER_PASSES]
    if unknown:
        known = [*PASSES, *EMITTER_PASSES]
        raise ValueError(f"unknown optimization pass(es) {unknown}; known: {known}")
    return set(passes)


def optimize(outputs: Sequence[Expr], passes: bool | Sequence[str] = True) -> list[Expr]:
    """``outputs`` rewritten by the chosen passes (all with ``True``, none with ``False``, or
    those named, in pipeline order)."""
    if passes is False:
        return list(outputs)
    chosen = chosen_passes(passes)
    result = prune(outputs)
    for name in PIPELINE:
        if name in chosen:
            result = rewrite(result, into_bodies(PASSES[name]))
    pruned = prune(result)
    # States found constant inside loops: simplify what reads them.
    if not same_nodes(pruned, result):
        for name in ("fold_constants", "simplify"):
            if name in chosen:
                pruned = rewrite(pruned, into_bodies(PASSES[name]))
    return pruned
