"""The exceptions symgrad raises, and where in the user's code a mistake was made."""

from __future__ import annotations

import os
import sys
from types import FrameType

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def user_location() -> str:
    """Return ``"file.py:12"`` for the innermost caller outside the symgrad package.

    Walks frames iteratively and only when an error is raised, so building graphs pays nothing.
    """
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_PACKAGE_DIR):
            return f"{filename}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown>"


class ShapeError(ValueError):
    """An expression was built with shapes or dtypes that do not fit its op.

    The message names the op, the shapes involved and the user's source line.
    """

    def __init__(self, op: str, message: str):
        self.op = op
        self.location = user_location()
        super().__init__(f"{op}: {message} (at {self.location})")


class BindError(TypeError, ValueError):
    """A compiled function was called with a missing, extra, wrong-shape or wrong-dtype input."""


class NonScalarError(ValueError):
    """A gradient was asked of a non-scalar output without a cotangent."""


class DisconnectedError(ValueError):
    """A gradient was asked with respect to a variable the output does not depend on."""


class GraphFileError(ValueError):
    """A saved graph file is malformed, hostile or from an unknown version."""


class IterationLimitError(RuntimeError):
    """A ``while_loop`` was still running after its ``max_iterations`` steps."""
