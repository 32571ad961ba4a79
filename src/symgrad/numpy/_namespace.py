"""The contents of ``symgrad.numpy`` and ``symgrad.numpy.linalg``, derived, never listed.

A NumPy name gets a symgrad function, in this order of precedence:

1. the NumPy-only definitions of ``_extras.py`` (``var`` is the variance there);
2. for a ufunc, the elementwise op whose row names that ufunc (``np.absolute`` is
   ``np.abs``, so both get the ``abs`` row);
3. symgrad's public function of the same name (``sg.sum`` for ``np.sum``), where its
   parameters read as NumPy's (``sg.var(name, shape)`` does not read as ``np.var(a, axis)``).

Each is wrapped to take NumPy's arguments (``_adapters.py``). NumPy's classes (dtypes such as
``float32``), float constants (``pi``, ``inf``) and ``newaxis`` are NumPy's own.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from ..ops import catalog
from ..ops.elementwise.table import Elementwise
from . import _extras as extras
from ._adapters import NumpyFunction, UfuncFunction, compatible


def _wrap(function: Callable[..., Any], numpy_object: Any) -> Any:
    if isinstance(numpy_object, np.ufunc):
        return UfuncFunction(function, numpy_object)
    if callable(function) and callable(numpy_object) and not isinstance(numpy_object, type):
        return NumpyFunction(function, numpy_object)
    return function  # r_, c_: objects, not functions


def _row_functions() -> dict[np.ufunc, Callable[..., Any]]:
    """Each ufunc an elementwise op's row computes, with the op's public function."""
    table: dict[np.ufunc, Callable[..., Any]] = {}
    for cls in catalog.ops().values():
        numpy = getattr(cls, "numpy", None)
        if (
            issubclass(cls, Elementwise)
            and "function" in cls.__dict__
            and isinstance(numpy, np.ufunc)
        ):
            table.setdefault(numpy, cls.function)
    return table


def _public(numpy_module: ModuleType) -> dict[str, Any]:
    """NumPy's public names in ``numpy_module`` with their objects (names NumPy lists but
    has removed, or warns about when read, are left out)."""
    out: dict[str, Any] = {}
    loaded = vars(numpy_module)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in dir(numpy_module):
            # Names NumPy only resolves when read (ma, f2py, char...) are submodules it
            # imports then, at a cost, or removed names: none is a function we provide.
            if name.startswith("_") or name not in loaded:
                continue
            try:
                out[name] = getattr(numpy_module, name)
            except (AttributeError, Warning):
                continue
    return out


def _functions(numpy_module: ModuleType, ours: ModuleType, own: dict[str, Any]) -> dict[str, Any]:
    """NumPy's names in ``numpy_module`` with the symgrad functions that compute them."""
    rows = _row_functions() if numpy_module is np else {}
    out: dict[str, Any] = {}
    for name, target in _public(numpy_module).items():
        if name in own:
            out[name] = _wrap(own[name], target)
        elif isinstance(target, np.ufunc) and target in rows:
            out[name] = _wrap(rows[target], target)
        elif name in getattr(ours, "__all__", ()):
            candidate = getattr(ours, name)
            if isinstance(candidate, (ModuleType, type)):
                continue
            if not callable(candidate) or not callable(target) or compatible(candidate, target):
                out[name] = _wrap(candidate, target)
    return out


def _numpy_values(numpy_module: ModuleType) -> dict[str, Any]:
    """NumPy's classes, float constants and ``newaxis``: the same objects in our namespace."""
    return {
        name: value
        for name, value in _public(numpy_module).items()
        if isinstance(value, (type, float)) or (value is None and name == "newaxis")
    }


@functools.cache
def top_level() -> dict[str, Any]:
    """The names of ``symgrad.numpy``."""
    import symgrad

    return {**_numpy_values(np), **_functions(np, symgrad, extras.FUNCTIONS)}


@functools.cache
def linalg() -> dict[str, Any]:
    """The names of ``symgrad.numpy.linalg``."""
    import symgrad

    return {**_numpy_values(np.linalg), **_functions(np.linalg, symgrad.linalg, {})}


@functools.cache
def fft() -> dict[str, Any]:
    """The names of ``symgrad.numpy.fft``."""
    import symgrad

    return {**_numpy_values(np.fft), **_functions(np.fft, symgrad.fft, {})}


@functools.cache
def by_numpy_object() -> dict[int, Any]:
    """Our function for each NumPy function or ufunc, by the NumPy object's id (NumPy's
    functions live as long as NumPy: their ids are stable)."""
    table: dict[int, Any] = {}
    for numpy_module, names in ((np, top_level()), (np.linalg, linalg()), (np.fft, fft())):
        public = _public(numpy_module)
        for name, ours in names.items():
            target = public[name]
            if callable(target) and not isinstance(target, type):
                table.setdefault(id(target), ours)
    return table


def ufunc_function(ufunc: np.ufunc) -> Callable[..., Any] | None:
    """symgrad's function for ``ufunc``, unwrapped (``None`` if there is none)."""
    wrapped = by_numpy_object().get(id(ufunc))
    return None if wrapped is None else wrapped.function


def nearest(name: str, names: Any) -> str:
    """`` (nearest: mean)``-style hint for a name that is missing, or ``""``."""
    import difflib

    close = difflib.get_close_matches(name, sorted(names), n=2, cutoff=0.7)
    return f" (nearest: {', '.join(close)})" if close else ""
