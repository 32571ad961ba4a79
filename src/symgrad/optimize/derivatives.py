"""Derivatives of stable forms: the second half of the ``stabilize`` pass.

Differentiation applies the chain rule to the formula as written, so the gradient of
``log(1 + exp(x))`` is ``exp(x) / (1 + exp(x))``, nan at x = 1000. When ``stabilize``
rewrites a function a derivative was taken of (``log(1 + exp(x))`` to ``softplus(x)``),
the derivative is taken again, by the same call (``grad``, ``jvp``, ``jacobian``...), of
the stable form: ``sigmoid(x)``, finite everywhere. The function is taken as the whole
optimizer rewrote it (simplifying can reveal a formula to stabilize). Derivatives of
derivatives are followed back to the first function.
"""

from __future__ import annotations

import operator

from ..core.expr import Expr
from ..differentiate import provenance
from .rewrite import Rewriter, Substitution


class StableDerivatives(Substitution):
    """Replaces derivative results by the derivatives of their rewritten functions, where
    ``stabilize`` changed something in them (for a rewriter that tracks ``stabilize``)."""

    def __init__(self) -> None:
        self.ids = provenance.derived_ids()
        self._remade: dict[int, tuple[provenance.Derivation, list[Expr] | None]] = {}

    def replacement(self, node: Expr, rewriter: Rewriter) -> Expr | None:
        found = provenance.derivation_of(node)
        if found is None:
            return None
        derivation, index = found
        entry = self._remade.get(id(derivation))
        if entry is None:
            # In progress: a result met again inside its own sources (hash-consing can make
            # a derivative, a zero say, the very node of the function it came from) stays.
            self._remade[id(derivation)] = (derivation, None)
            sources = derivation.outputs
            rewritten = rewriter.run(sources)
            stabilized = not all(map(operator.is_, rewritten, sources)) and any(
                rewriter.changed_by_tracked(s) for s in rewritten
            )
            entry = (derivation, derivation.remake(rewritten) if stabilized else None)
            self._remade[id(derivation)] = entry  # keeps the derivation (so its id) alive
        results = entry[1]
        return None if results is None else results[index]
