"""Modules imported on first use.

SymPy and networkx take most of a second to import, and most programs never need them
(they translate to SymPy or draw). Modules that use them at run time name them through
:func:`lazy_module`, so ``import symgrad`` stays fast; type checkers see the real module.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """A stand-in for the module ``name`` that imports it on the first attribute access."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        module: ModuleType = importlib.import_module(self._name)
        return getattr(module, attribute)

    def __repr__(self) -> str:
        return f"<module {self._name!r}, imported on first use>"


def lazy_module(name: str) -> Any:
    """The module ``name``, imported when an attribute of it is first read.

    >>> sympy = lazy_module("sympy")
    >>> sympy.Integer(2) + 1
    3
    """
    return LazyModule(name)
