"""A map keyed by node identity that forgets a node once the node is gone.

``weakref.WeakKeyDictionary`` would do, but it compares keys with ``==``, which on nodes
builds an elementwise comparison. :class:`NodeMap` keys by ``id`` instead, and a weak
reference to each node drops its entry when the node dies, before its id can be reused.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from .expr import Expr

V = TypeVar("V")


class NodeMap(Generic[V]):
    """A value per live node, looked up by identity.

    >>> import symgrad as sg
    >>> from symgrad.core.node_map import NodeMap
    >>> notes: NodeMap[str] = NodeMap()
    >>> x = sg.var("x")
    >>> notes[x] = "the input"
    >>> notes.get(x), notes.get(sg.var("x")), len(notes)
    ('the input', None, 1)
    >>> del x
    >>> len(notes)
    0
    """

    def __init__(self) -> None:
        self._values: dict[int, V] = {}
        self._watches: dict[int, weakref.ref[Expr]] = {}

    def __setitem__(self, node: Expr, value: V) -> None:
        key = id(node)
        if key not in self._watches:
            self._watches[key] = weakref.ref(node, lambda _ref: self._forget(key))
        self._values[key] = value

    def get(self, node: Expr, default: V | None = None) -> V | None:
        return self._values.get(id(node), default)

    def __contains__(self, node: Expr) -> bool:
        return id(node) in self._values

    def __len__(self) -> int:
        return len(self._values)

    def _forget(self, key: int) -> None:
        self._values.pop(key, None)
        self._watches.pop(key, None)
