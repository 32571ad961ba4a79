"""The one rewrite driver every pass uses.

A pass is a *rule*: a function from a node (whose inputs are already rewritten) to a
replacement, or ``None`` to keep it. The driver walks the graph once in topological order,
rebuilds each node on its rewritten inputs, and applies the rule until it has nothing more
to say. A replacement must have the node's shape and dtype, or it is refused: rewrites can
only change how a value is computed, never what it is.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence

from ..core.expr import Expr
from ..core.gc_pause import paused_gc
from ..core.walk import topological_order

Rule = Callable[[Expr], "Expr | None"]
MAX_STEPS = 8  # rules applied to one node, at most (each step makes it simpler)


@paused_gc()
def rewrite(outputs: Sequence[Expr], rule: Rule) -> list[Expr]:
    """``outputs`` with ``rule`` applied to every node they depend on."""
    done: dict[int, Expr] = {}
    for node in topological_order(outputs):
        inputs = tuple(done[id(x)] for x in node.inputs)
        # by identity (``==`` on nodes builds a comparison); inlined: this loop is hot
        current = node if all(map(operator.is_, inputs, node.inputs)) else node.op(*inputs)
        for _ in range(MAX_STEPS):
            replacement = rule(current)
            if replacement is None or replacement is current:
                break
            if replacement.shape != current.shape or replacement.dtype != current.dtype:
                raise AssertionError(
                    f"rewrite {rule.__name__} changed {current!r} into {replacement!r}"
                )
            current = replacement
        done[id(node)] = current
    return [done[id(o)] for o in outputs]
