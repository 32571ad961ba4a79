"""Nested structures (lists, tuples, dicts) of expressions, flattened to a list and back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .core.expr import Expr


def _is_leaf(x: Any) -> bool:
    return not isinstance(x, (list, tuple, dict))


def flatten(tree: Any) -> tuple[list[Any], Callable[[list[str]], str]]:
    """The leaves of ``tree`` in order, and a function writing source that rebuilds the tree
    from the leaves' source text (``[a, (b, c)]``)."""
    leaves: list[Any] = []
    return leaves, _flatten(tree, leaves)


# Module-level recursion over the (user-written, shallow) nesting: a nested function that
# calls itself is a reference cycle, which would keep the leaves (whole graphs) alive until
# the cyclic collector runs.
def _flatten(node: Any, leaves: list[Any]) -> Callable[[list[str]], str]:
    if isinstance(node, (list, tuple)):
        parts = [_flatten(child, leaves) for child in node]
        if isinstance(node, list):
            return lambda names: "[" + ", ".join(p(names) for p in parts) + "]"
        return lambda names: "(" + "".join(p(names) + ", " for p in parts).rstrip(" ") + ")"
    if isinstance(node, dict):
        keys = list(node)
        for k in keys:
            if not isinstance(k, str):
                raise TypeError(f"output dict keys must be strings, got {k!r}")
        parts = [_flatten(node[k], leaves) for k in keys]
        return lambda names: (
            "{" + ", ".join(f"{ascii(k)}: {p(names)}" for k, p in zip(keys, parts)) + "}"
        )
    index = len(leaves)
    leaves.append(node)
    return lambda names: names[index]


def unflatten(tree: Any, leaves: list[Any]) -> Any:
    """``tree`` with its leaves replaced, in order, by ``leaves``."""
    return _unflatten(tree, iter(leaves))


def _unflatten(node: Any, values: Any) -> Any:
    if isinstance(node, (list, tuple)):
        return type(node)(_unflatten(child, values) for child in node)
    if isinstance(node, dict):
        return {k: _unflatten(v, values) for k, v in node.items()}
    return next(values)


def is_single(tree: Any) -> bool:
    """True for a bare expression (not a list, tuple or dict)."""
    return isinstance(tree, Expr) or _is_leaf(tree)
