"""The backends ``symgrad.compile`` can write code for, by name.

A backend is a writer that turns an emission plan (``symgrad.emit.plan``) into a module's
source, and the plan options it wants: the NumPy writer reuses dead buffers and computes
large elementwise chains by blocks; a writer for a lazy array library would turn both off.
Writers register themselves with :func:`register`; the plan is the same for all of them.

``"numba"`` fuses elementwise work into loops compiled by Numba (``numba_writer``); without
Numba installed, asking for it raises ``ImportError`` naming the extra to install. ``"dask"``
is reserved for a writer that is not part of symgrad yet: asking for it raises
``NotImplementedError`` naming the extra it will need.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from . import Emitted, fusion, numba_writer, numpy_writer
from .plan import Options, Plan

Writer = Callable[[Plan, Callable[[list[str]], str]], Emitted]


@dataclasses.dataclass(frozen=True)
class Backend:
    """A writer and the plan options it needs. ``write`` is ``None`` for a backend that is
    reserved but not available; ``extra`` names the optional dependencies it needs."""

    name: str
    write: Writer | None
    options: Options = Options()
    extra: str = ""
    #: Why the backend cannot be used here (a missing dependency), or ``None``.
    unavailable: Callable[[], str | None] = lambda: None


_BACKENDS: dict[str, Backend] = {}


def register(backend: Backend) -> None:
    """Make ``backend`` available to ``symgrad.compile(..., backend=backend.name)``."""
    _BACKENDS[backend.name] = backend


def backend(name: str) -> Backend:
    """The backend called ``name``, or a clear error."""
    if not isinstance(name, str):
        raise TypeError(f"backend must be a string, got {type(name).__name__}")
    found = _BACKENDS.get(name)
    if found is None:
        raise ValueError(f"unknown backend {name!r}; known backends: {', '.join(_BACKENDS)}")
    if found.write is None:
        raise NotImplementedError(
            f"the {name!r} backend is not available yet in this version of symgrad "
            f"(it will need the [{found.extra}] extra: pip install 'symgrad[{found.extra}]'); "
            f"available: {', '.join(names(available=True))}"
        )
    why = found.unavailable()
    if why is not None:
        raise ImportError(why)
    return found


def names(available: bool = False) -> list[str]:
    """The registered backends' names (only those that can be used, if ``available``)."""
    return [
        n
        for n, b in _BACKENDS.items()
        if not available or (b.write is not None and b.unavailable() is None)
    ]


register(Backend("numpy", numpy_writer.write))
register(
    Backend(
        "numba",
        numba_writer.write,
        # Regions of any size, each op its own statement (one loop statement per op).
        Options(ops_per_statement=1, regions=fusion.plan),
        extra="numba",
        unavailable=numba_writer.available,
    )
)
register(Backend("dask", None, Options(blocking=False, reuse_buffers=False), extra="dask"))
