"""Where in the user's code each node was built, recorded on request.

Finding the user's frame costs a walk up the stack (building becomes about a quarter
slower), so it is done only inside ``with sg.record_source_lines():``; otherwise building
pays one test per new node. :func:`symgrad.explore` shows the lines.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from types import CodeType, FrameType

from . import expr as _expr
from .expr import Expr
from .node_map import NodeMap

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Frames of these files are wrappers between the user and the package (decorators).
_WRAPPERS = {os.path.abspath(m.__file__) for m in (contextlib,) if m.__file__}

_ORIGINS: NodeMap[tuple[str, int]] = NodeMap()  # by identity: == on nodes compares values
_INSIDE: dict[CodeType, bool] = {}  # code object -> in the package (or a wrapper)?
_LOCK = threading.Lock()
_DEPTH = [0]  # nesting of record_source_lines blocks


def _inside(code: CodeType) -> bool:
    known = _INSIDE.get(code)
    if known is None:
        filename = os.path.abspath(code.co_filename)
        known = _INSIDE[code] = filename.startswith(_PACKAGE_DIR) or filename in _WRAPPERS
    return known


def _note(node: Expr) -> None:
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        if not _inside(frame.f_code):
            _ORIGINS[node] = (frame.f_code.co_filename, frame.f_lineno)
            return
        frame = frame.f_back


@contextlib.contextmanager
def record_source_lines() -> Iterator[None]:
    """Record, for every node built inside the block, the file and line of the user's code
    that built it (see :func:`origin_of`); :func:`symgrad.explore` shows them.

    >>> import symgrad as sg
    >>> with sg.record_source_lines():
    ...     x = sg.var("x")
    ...     y = sg.sin(x)
    >>> sg.origin_of(y)[1] > 0
    True
    """
    with _LOCK:
        _DEPTH[0] += 1
        _expr.on_new_node = _note
    try:
        yield
    finally:
        with _LOCK:
            _DEPTH[0] -= 1
            if _DEPTH[0] == 0:
                _expr.on_new_node = None


def origin_of(node: Expr) -> tuple[str, int] | None:
    """(file, line) of the user's code that built ``node``, if it was built while source
    lines were recorded."""
    return _ORIGINS.get(node)
