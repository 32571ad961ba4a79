"""Optimize stage: small rewrite passes, applied in the order of ``PIPELINE``.

All chosen passes run in one walk of the graph (``rewrite.Rewriter``): each node is
rewritten by the rules of every pass, in pipeline order, until none applies. Dead-code
elimination and common-subexpression elimination need no pass of their own: the compiler
only walks what the outputs need, and hash-consed nodes make identical subexpressions one
node, also after every rewrite. Every pass also runs inside branch and loop bodies;
``prune`` (run where there is control flow) then drops the control-flow outputs no one
reads and runs a loop and its recording twin (from reverse mode) once.

``stabilize`` also takes derivatives again of the functions it stabilizes
(``derivatives.StableDerivatives``).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..core.expr import Expr
from .control_flow import prune
from .derivatives import StableDerivatives
from .fold import fold_constants
from .rewrite import Pass, Rewriter, rewrite
from .simplify import simplify
from .stabilize import stabilize

#: Every pass by name, in the order the pipeline runs them.
PASSES: dict[str, Pass] = {
    "stabilize": stabilize,
    "simplify": simplify,
    "fold_constants": fold_constants,
}
PIPELINE: tuple[str, ...] = ("stabilize", "simplify", "fold_constants")
#: Choices the emitter makes, named like passes: "blocking" runs large elementwise chains a
#: block of rows at a time (``symgrad.emit.blocking``).
EMITTER_PASSES: tuple[str, ...] = ("blocking",)

__all__ = [
    "EMITTER_PASSES",
    "PASSES",
    "PIPELINE",
    "Pass",
    "Rewriter",
    "chosen_passes",
    "fold_constants",
    "optimize",
    "rewrite",
    "simplify",
    "stabilize",
]


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


def rewriter(passes: bool | Sequence[str] = True) -> Rewriter:
    """The rewriter running the chosen passes in pipeline order (with derivatives taken
    again of stabilized functions when ``stabilize`` is chosen)."""
    chosen = chosen_passes(passes)
    rules = [PASSES[name] for name in PIPELINE if name in chosen]
    if "stabilize" not in chosen:
        return Rewriter(rules)
    return Rewriter(rules, StableDerivatives(), tracked=stabilize)


def optimize(outputs: Sequence[Expr], passes: bool | Sequence[str] = True) -> list[Expr]:
    """``outputs`` rewritten by the chosen passes (all with ``True``, none with ``False``, or
    those named, in pipeline order)."""
    if passes is False:
        return list(outputs)
    run = rewriter(passes)
    result = run.run(outputs)
    if run.saw_control_flow:
        pruned = prune(result)
        if any(a is not b for a, b in zip(pruned, result)):
            # Loops shared, states found constant: rewrite what reads them.
            pruned = rewriter(passes).run(pruned)
            pruned = prune(pruned)
        result = pruned
    return result
