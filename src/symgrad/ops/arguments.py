"""NumPy's keyword arguments that symgrad's functions accept for compatibility: ``out=``
(only ``None``: a symbolic result has no array to be written into) and ``dtype=`` (the
dtype a reduction computes in)."""

from __future__ import annotations

from typing import Any

from ..core.dtypes import as_dtype
from ..core.expr import Expr
from . import shape_ops


def no_out(name: str, out: Any) -> None:
    """Accept ``out=None`` (and NumPy's ``(None,)``); refuse an array to write into."""
    if out is None or (isinstance(out, tuple) and all(o is None for o in out)):
        return
    raise TypeError(
        f"{name}: out= must be None: a symbolic expression is computed when the compiled "
        "function runs, so there is no array to write it into yet (use the result instead)"
    )


def computed_in(x: Expr, dtype: Any, name: str) -> Expr:
    """``x`` in the dtype a reduction is asked to compute in (``dtype=``), or unchanged."""
    if dtype is None:
        return x
    return shape_ops.astype(x, as_dtype(dtype, f"{name}: dtype"))
