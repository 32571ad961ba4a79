"""Emit stage: an optimized graph becomes a plan (``plan``), and a backend's writer turns the
plan into the source of a module (``backends``; the NumPy writer is ``numpy_writer``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from types import ModuleType


@dataclasses.dataclass(frozen=True)
class Emitted:
    """The source of a module, and what the executable needs to know about it: the name of
    the function to call, how many statements compute the outputs, and, for a long module,
    its top-level parts with the line each starts on, to be compiled one by one (Python's
    ``compile()`` holds several KB per statement while it works).

    ``names`` lists (id of a node, the name it is given) in the order of the statements
    that assign them, so tools can find the statement computing each node (``sg.explore``).
    """

    source: str
    function: str
    statements: int
    parts: tuple[tuple[int, str], ...] = ()
    names: tuple[tuple[int, str], ...] = ()
    #: For a module that must live in a file (Numba keeps compiled code beside the file):
    #: the function loading ``source`` as a module. ``None``: executed in memory.
    load: Callable[[str], ModuleType] | None = None
    #: The module ``Executable.save`` writes, where it differs from ``source`` (``""``: the
    #: same): it may depend only on numpy and the backend's own packages.
    standalone: str = ""
