"""``np.linalg``'s names on symbolic expressions: the functions of ``symgrad.linalg``
that NumPy's linear algebra has, taking NumPy's arguments.

>>> import symgrad as sg, symgrad.numpy as snp
>>> a = sg.var("a", shape=(3, 3))
>>> snp.linalg.inv(a).shape
(3, 3)
"""

from __future__ import annotations

from typing import Any

from . import _namespace

globals().update(_namespace.linalg())

__all__ = sorted(_namespace.linalg())


def __getattr__(name: str) -> Any:
    import numpy

    if name.startswith("_") or not hasattr(numpy.linalg, name):
        raise AttributeError(f"module 'symgrad.numpy.linalg' has no attribute {name!r}")
    hint = _namespace.nearest(name, [n for n, v in _namespace.linalg().items() if callable(v)])
    raise AttributeError(
        f"symgrad.numpy.linalg has no {name!r}: numpy.linalg.{name} has no symgrad rule "
        f"yet{hint}. See docs/numpy.md for what symgrad.numpy covers."
    )
