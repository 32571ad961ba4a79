"""What an :class:`~symgrad.Executable` actually runs: its optimized graph as text, with
what pruning and optimization removed on the way from the graph that was built."""

from __future__ import annotations

import collections
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..core.expr import Expr
from ..core.gc_pause import paused_gc
from ..core.walk import topological_order
from ..differentiate import provenance
from ..ops.leaves import as_expr
from ..structure import flatten
from .graph import DEFAULT_LIMIT, Listing, listing, role_of

if TYPE_CHECKING:
    from ..executable import Executable


class Stages:
    """The nodes at each stage of one compilation, by identity."""

    @paused_gc()
    def __init__(self, f: Executable):
        leaves, _ = flatten(f.outputs)
        given = [as_expr(x) for x in leaves]
        roots, derived = provenance.forward_roots(given)
        everything = topological_order(roots + derived + given)
        needed = topological_order(given)
        self.compiled = topological_order(f.graph)
        needed_ids = {id(n) for n in needed}
        compiled_ids = {id(n) for n in self.compiled}
        #: Built (forward or derivative) but not needed by the outputs.
        self.pruned = [n for n in everything if id(n) not in needed_ids]
        #: Needed, but rewritten away by the optimizer.
        self.optimized_away = [n for n in needed if id(n) not in compiled_ids]
        #: Made by the optimizer.
        self.made = [n for n in self.compiled if id(n) not in needed_ids]
        self.forward = {id(n) for n in topological_order(roots)}
        self.gradient = provenance.gradient_nodes(given)

    def role(self, node: Expr) -> str:
        role = role_of(node, self.gradient)
        if role in ("fwd", "grad") and id(node) not in self.forward | self.gradient:
            return "new"
        return role


def op_counts(nodes: Iterable[Expr]) -> str:
    """``3 multiply, sin, sum``: the ops of ``nodes``, most frequent first."""
    counts = collections.Counter(n.op.name for n in nodes)
    return ", ".join(
        f"{c} {name}" if c > 1 else name
        for name, c in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    )


def summary_lines(f: Executable, stages: Stages) -> list[str]:
    s = f.stats
    lines = [
        f"compiled: {s.built} nodes built, {s.differentiated} with derivatives, "
        f"{s.after_pruning} after pruning, {s.after_optimization} after optimization, "
        f"{s.statements} statements",
        f"pruning removed {len(stages.pruned)}"
        + (f": {op_counts(stages.pruned)}" if stages.pruned else ""),
        f"optimization removed {len(stages.optimized_away)}"
        + (f": {op_counts(stages.optimized_away)}" if stages.optimized_away else "")
        + f"; made {len(stages.made)}"
        + (f": {op_counts(stages.made)}" if stages.made else ""),
    ]
    return lines


def compiled_listing(
    f: Executable, limit: int | None = DEFAULT_LIMIT, summary: bool = True
) -> Listing:
    """The optimized graph ``f`` runs, one line per node, after a summary of the stages."""
    stages = Stages(f)
    header = summary_lines(f, stages) if summary else []
    return listing(list(f.graph), stages.role, stages.compiled, limit, header=header)
