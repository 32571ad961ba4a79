"""Optimize stage: small rewrite passes, run in the order of ``PIPELINE``.

Dead-code elimination and common-subexpression elimination need no pass of their own: the
compiler only walks what the outputs need, and hash-consed nodes make identical
subexpressions one node, also after every rewrite.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..core.expr import Expr
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


def optimize(outputs: Sequence[Expr], passes: bool | Sequence[str] = True) -> list[Expr]:
    """``outputs`` rewritten by the chosen passes (all with ``True``, none with ``False``, or
    those named, in pipeline order)."""
    if passes is False:
        return list(outputs)
    if passes is True:
        chosen = set(PASSES)
    else:
        if isinstance(passes, str):
            passes = [passes]
        unknown = [p for p in passes if p not in PASSES]
        if unknown:
            raise ValueError(f"unknown optimization pass(es) {unknown}; known: {list(PASSES)}")
        chosen = set(passes)
    result = list(outputs)
    for name in PIPELINE:
        if name in chosen:
            result = rewrite(result, PASSES[name])
    return result
