"""Nested outputs (lists, tuples, dicts of expressions) flattened to a list and back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .core.expr import Expr

Leaf = Any


def flatten(tree: Any, is_leaf: Callable[[Any], bool] = lambda x: isinstance(x, Expr)
            ) -> tuple[list[Leaf], Callable[[list[str]], str]]:
    """The leaves of ``tree`` in order, and a function writing source that rebuilds the tree
    from the leaves' source text (``[a, (b, c)]``)."""
    leaves: list[Leaf] = []

    def walk(node: Any) -> Callable[[list[str]], str]:
        if isinstance(node, (list, tuple)) and not is_leaf(node):
            parts = [walk(child) for child in node]
            if isinstance(node, list):
                return lambda names: "[" + ", ".join(p(names) for p in parts) + "]"
            return lambda names: "(" + "".join(p(names) + ", " for p in parts).rstrip(" ") + ")"
        if isinstance(node, dict):
            keys = list(node)
            for k in keys:
                if not isinstance(k, str):
                    raise TypeError(f"output dict keys must be strings, got {k!r}")
            parts = [walk(node[k]) for k in keys]
            return lambda names: "{" + ", ".join(
                f"{ascii(k)}: {p(names)}" for k, p in zip(keys, parts)) + "}"
        index = len(leaves)
        leaves.append(node)
        return lambda names: names[index]

    return leaves, walk(tree)
