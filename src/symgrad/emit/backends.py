"""The backends ``symgrad.compile`` can write code for, by name.

A backend is a writer that turns an emission plan (``symgrad.emit.plan``) into a module's
source, and the plan options it wants: the NumPy writer reuses dead buffers and computes
large elementwise chains by blocks; a writer for a lazy array library would turn both off.
Writers register themselves with :func:`register`; the plan is the same for all of them.

``"numba"`` fuses elementwise work into loops compiled by Numba (``numba_writer``). A
backend whose library is an optional extra (``"numba"``, ``"dask"``) names the module it
imports; without it, asking for the backend raises ``ImportError`` naming the extra to
install.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
from collections.abc import Callable

from . import Emitted, dask_writer, fusion, numba_writer, numpy_writer
from .plan import Options, Plan

Writer = Callable[[Plan, Callable[[list[str]], str]], Emitted]


@dataclasses.dataclass(frozen=True)
class Backend:
    """A writer and the plan options it needs. ``write`` is ``None`` for a backend that is
    reserved but not available; ``extra`` names the optional dependencies it needs, and
    ``requires`` the module they provide, imported when the backend is asked for."""

    name: str
    write: Writer | None
    options: Options = Options()
    extra: str = ""
    requires: str = ""


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
    if found.requires:
        try:
            importlib.import_module(found.requires)
        except ImportError as error:
            raise ImportError(
                f"backend={name!r} needs {found.requires}, which cannot be imported here "
                f"({error}); install the extra: pip install 'symgrad[{found.extra}]'"
            ) from None
    return found


def names(available: bool = False) -> list[str]:
    """The registered backends' names (only those that can be used here, if ``available``:
    written, and their optional library importable)."""
    return [n for n, b in _BACKENDS.items() if not available or _usable(b)]


def _usable(found: Backend) -> bool:
    if found.write is None:
        return False
    if not found.requires:
        return True
    try:
        importlib.import_module(found.requires)
    except ImportError:
        return False
    return True


register(Backend("numpy", numpy_writer.write))
register(
    Backend(
        "numba",
        numba_writer.write,
        # Regions of any size (each one loop), each op its own statement.
        Options(ops_per_statement=1, regions=fusion.plan),
        extra="numba",
        requires="numba",
    )
)
# Dask builds a lazy graph: no blocks of rows, no buffers to reuse, no Python floats; and
# one function, whose statements may read the chunks of any input (``DaskEmitContext``).
register(
    Backend(
        "dask",
        dask_writer.write,
        Options(blocking=False, reuse_buffers=False, floats=False, piece_steps=sys.maxsize),
        extra="dask",
        requires="dask.array",
    )
)
