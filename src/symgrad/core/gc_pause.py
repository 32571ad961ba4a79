"""Pausing Python's cyclic garbage collector during graph passes.

Passes allocate many small objects that never form cycles (nodes refer only to their
inputs). The collector's full collections walk every live object, so leaving it on makes a
pass over a large graph superlinear; pausing it keeps compile time proportional to size.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic collector for the block (or, as ``@paused_gc()``, the decorated
    function); restore its previous state after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
