"""Values a selection discards are computed with floating-point warnings off.

In ``where(x >= 0, sqrt(x), 0)`` NumPy computes ``sqrt(x)`` everywhere and warns about the
negative ``x``, although ``where`` drops exactly those positions. The same holds for the
derivative code of a selected branch (``0.5 / sqrt(x)`` at ``x = 0``). A node whose value
is read only through elementwise ops (or ops that keep positions as they do,
``Op.keeps_positions``: a Jacobian's diagonal) into inputs a selection discards
(``Op.discards``) is therefore computed inside ``with np.errstate(all="ignore"):``; its
result is unchanged.
Nodes read anywhere else keep NumPy's warnings.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..core.expr import Expr
from ..ops.base import Op

WITH = 'with np.errstate(all="ignore"):  # what a where drops may be out of the domain'


def quiet_nodes(order: Sequence[Expr], keep: set[int]) -> set[int]:
    """Ids of the nodes in ``order`` (inputs before users) whose values reach only inputs
    that a selection discards, directly or through other such elementwise nodes (or nodes
    that keep positions). The nodes in ``keep`` (results) are never quiet."""
    if all(t.discards is Op.discards for t in {type(node.op) for node in order}):
        return set()  # no selection discards anything: the common case, one cheap pass
    readers: dict[int, list[tuple[Expr, int]]] = {}
    for node in order:
        for i, x in enumerate(node.inputs):
            readers.setdefault(id(x), []).append((node, i))
    discarded: dict[int, set[int]] = {}
    quiet: set[int] = set()
    for node in reversed(order):
        uses = readers.get(id(node))
        op = node.op
        passes_on = op.elementwise or op.keeps_positions
        if not uses or id(node) in keep or not passes_on or not node.inputs:
            continue
        for reader, _ in uses:
            if id(reader) not in discarded:
                discarded[id(reader)] = set(reader.op.discards(reader))
        if all(id(r) in quiet or i in discarded[id(r)] for r, i in uses):
            quiet.add(id(node))
    return quiet


class QuietBlocks:
    """Puts the statements of quiet nodes under ``np.errstate``, consecutive ones in one
    ``with`` block."""

    def __init__(self) -> None:
        self._open: tuple[int, int, str] | None = None  # (list, end of its block, indent)

    def wrap(self, lines: list[str], start: int, indent: str) -> None:
        """Indent ``lines[start:]`` (the statements of one quiet node, at ``indent``) into a
        ``with`` block, continuing the block that ends right before them if there is one."""
        block = ["    " + line for line in lines[start:]]
        if self._open != (id(lines), start, indent):
            block.insert(0, indent + WITH)
        lines[start:] = block
        self._open = (id(lines), len(lines), indent)
