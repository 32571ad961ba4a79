"""``np.fft``'s names on symbolic expressions: the transforms of ``symgrad.fft``, taking
NumPy's arguments.

>>> import symgrad as sg, symgrad.numpy as snp
>>> x = sg.var("x", shape=(4, 6))
>>> snp.fft.rfft2(x).shape
(4, 4)
"""

from __future__ import annotations

from typing import Any

from . import _namespace

globals().update(_namespace.fft())

__all__ = sorted(_namespace.fft())


def __getattr__(name: str) -> Any:
    import numpy

    if name.startswith("_") or not hasattr(numpy.fft, name):
        raise AttributeError(f"module 'symgrad.numpy.fft' has no attribute {name!r}")
    hint = _namespace.nearest(name, [n for n, v in _namespace.fft().items() if callable(v)])
    raise AttributeError(
        f"symgrad.numpy.fft has no {name!r}: numpy.fft.{name} has no symgrad rule "
        f"yet{hint}. See docs/numpy.md for what symgrad.numpy covers."
    )
