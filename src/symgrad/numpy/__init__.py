"""NumPy's names on symbolic expressions, like ``autograd.numpy`` and ``jax.numpy``.

``import symgrad.numpy as snp`` and write NumPy code: ``snp.sum(x, axis=0)``,
``snp.var(x)`` (the variance: ``sg.var`` declares a variable), ``snp.linalg.solve(a, b)``.
Every function here is one of symgrad's, taking NumPy's arguments; the names are derived
from NumPy's and from symgrad's op registry and public functions (see ``_namespace.py``),
so a name NumPy has and symgrad cannot compute is missing, and asking for it says so.
NumPy's own functions called on expressions (``np.sum(x)``) land on the same functions.

>>> import symgrad as sg, symgrad.numpy as snp
>>> x = sg.var("x", shape=(3,))
>>> y = snp.sum(snp.sin(x) ** 2)
>>> float(y.eval({x: [0.0, 0.0, 0.0]}))
0.0
"""

from __future__ import annotations

from typing import Any

from . import _namespace

globals().update(_namespace.top_level())

from . import fft as fft  # noqa: E402
from . import linalg as linalg  # noqa: E402  (after the names above: NumPy's linalg is not one)

__all__ = sorted([*_namespace.top_level(), "fft", "linalg"])


def __getattr__(name: str) -> Any:
    import numpy

    if name.startswith("_") or not hasattr(numpy, name):
        raise AttributeError(f"module 'symgrad.numpy' has no attribute {name!r}")
    names = _namespace.top_level()
    hint = _namespace.nearest(name, [n for n, v in names.items() if callable(v)])
    raise AttributeError(
        f"symgrad.numpy has no {name!r}: numpy.{name} has no symgrad rule yet{hint}. "
        "See docs/numpy.md for what symgrad.numpy covers."
    )
