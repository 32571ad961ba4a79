"""Nested structures (lists, tuples, dicts) of expressions, flattened to a list and back.

The public functions take and give such structures (``sg.grad(y, [a, (b, c)])``), loop
states and branch results are such structures, compiled functions return them and saved
graphs store them. :func:`flatten` splits one into its leaves and a :class:`Tree` that
describes the nesting; the tree builds the structure back (:meth:`Tree.unflatten`), writes
the source text that builds it (:meth:`Tree.source`), or anything else (:meth:`Tree.fold`).
Walks are iterative, so deep nests are fine.

>>> leaves, tree = flatten([1, (2, 3), {"a": 4}])
>>> leaves, str(tree)
([1, 2, 3, 4], "[*, (*, *), {'a': *}]")
>>> tree.unflatten(["w", "x", "y", "z"])
['w', ('x', 'y'), {'a': 'z'}]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

R = TypeVar("R")

LEAF = "*"


@dataclasses.dataclass(frozen=True)
class Tree:
    """The nesting of a structure without its leaves. Trees compare and hash by value, so
    two structures can be checked to have the same shape; ``str`` shows ``*`` per leaf."""

    kind: str  # LEAF, "list", "tuple" or "dict"
    children: tuple[Tree, ...] = ()
    keys: tuple[str, ...] = ()  # a dict's keys, in the order of its children

    def fold(self, leaf: Callable[[int], R], container: Callable[[Tree, list[R]], R]) -> R:
        """Build bottom-up: ``leaf(i)`` for the i-th leaf, ``container(tree, parts)`` for each
        list, tuple or dict, ``parts`` being what its children built."""
        built: list[R] = []
        count = 0
        stack: list[tuple[Tree, bool]] = [(self, False)]
        while stack:
            tree, children_done = stack.pop()
            if tree.kind == LEAF:
                built.append(leaf(count))
                count += 1
            elif not children_done:
                stack.append((tree, True))
                stack.extend((child, False) for child in reversed(tree.children))
            else:
                first = len(built) - len(tree.children)
                parts = built[first:]
                del built[first:]
                built.append(container(tree, parts))
        return built[0]

    @property
    def size(self) -> int:
        """The number of leaves."""
        return self.fold(lambda i: 1, lambda tree, parts: sum(parts))

    def unflatten(self, leaves: Sequence[Any]) -> Any:
        """The structure with ``leaves`` in place, in order."""
        if len(leaves) != self.size:
            raise ValueError(f"the structure {self} has {self.size} leaves, got {len(leaves)}")
        return self.fold(lambda i: leaves[i], _build)

    def source(self, names: Sequence[str]) -> str:
        """Python source building the structure from the leaves' source text ``names``."""
        return self.fold(lambda i: names[i], _write)

    def __str__(self) -> str:
        def write(tree: Tree, parts: list[str]) -> str:
            if tree.kind == "tuple" and len(parts) != 1:
                return "(" + ", ".join(parts) + ")"
            return _write(tree, parts, repr)

        return self.fold(lambda i: LEAF, write)


def _build(tree: Tree, parts: list[Any]) -> Any:
    if tree.kind == "dict":
        return dict(zip(tree.keys, parts))
    return parts if tree.kind == "list" else tuple(parts)


def _write(tree: Tree, parts: list[str], quote: Callable[[str], str] = ascii) -> str:
    if tree.kind == "dict":
        return "{" + ", ".join(f"{quote(k)}: {p}" for k, p in zip(tree.keys, parts)) + "}"
    if tree.kind == "list":
        return "[" + ", ".join(parts) + "]"
    return "(" + "".join(p + ", " for p in parts).rstrip(" ") + ")"  # (a,) for one


def flatten(value: Any) -> tuple[list[Any], Tree]:
    """The leaves of ``value`` in order (anything not a list, tuple or dict is a leaf) and
    its :class:`Tree`. Dict keys must be strings."""
    leaves: list[Any] = []
    built: list[Tree] = []
    stack: list[tuple[Any, bool]] = [(value, False)]
    while stack:
        node, children_done = stack.pop()
        if not isinstance(node, (list, tuple, dict)):
            leaves.append(node)
            built.append(_LEAF_TREE)
            continue
        children = list(node.values()) if isinstance(node, dict) else list(node)
        if not children_done:
            if isinstance(node, dict):
                for k in node:
                    if not isinstance(k, str):
                        raise TypeError(f"dict keys must be strings, got {k!r}")
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(children))
            continue
        first = len(built) - len(children)
        parts = tuple(built[first:])
        del built[first:]
        if isinstance(node, dict):
            built.append(Tree("dict", parts, tuple(node)))
        else:
            built.append(Tree("list" if isinstance(node, list) else "tuple", parts))
    return leaves, built[0]


_LEAF_TREE = Tree(LEAF)


def unflatten(like: Any, leaves: Sequence[Any]) -> Any:
    """A structure shaped like ``like`` with ``leaves`` in place of its leaves, in order."""
    return flatten(like)[1].unflatten(leaves)
