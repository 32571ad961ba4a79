"""Calling symgrad's functions the way NumPy's are called.

:class:`NumpyFunction` takes the arguments of a NumPy function by NumPy's own signature
and passes on those symgrad's function has; an argument symgrad has no parameter for is
accepted at NumPy's default value and refused with a message otherwise. :func:`call_ufunc`
does the same for ufunc calls: ``out=None``, ``where=True`` and the other defaults pass,
``dtype=`` sets the dtype computed in, anything else is refused.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..core.dtypes import as_dtype
from ..core.expr import Expr
from ..ops import shape_ops

_NO_VALUE = np._NoValue  # NumPy's marker for an argument not given


def numpy_name(function: Any) -> str:
    """``numpy.sum``, ``numpy.linalg.norm``: how messages name a NumPy function."""
    module = getattr(function, "__module__", None) or "numpy"
    if isinstance(function, np.ufunc) or module.startswith("numpy._") or module == "builtins":
        module = "numpy"
    return f"{module}.{function.__name__}"


def _is_default(value: Any, default: Any) -> bool:
    if value is default:
        return True
    if isinstance(value, (np.ndarray, Expr)) or isinstance(default, (np.ndarray, Expr)):
        return False
    try:
        return type(value) is type(default) and bool(value == default)
    except (TypeError, ValueError):
        return False


def compatible(function: Callable[..., Any], numpy_function: Any) -> bool:
    """True if symgrad's ``function`` reads as ``numpy_function``: after the first, each of
    its parameters is one of NumPy's by name, or stands where NumPy takes a positional-only
    argument, or NumPy takes arbitrary keywords. (``sg.var(name, shape, dtype)`` is not
    ``np.var(a, axis, ...)``.)"""
    try:
        ours = list(inspect.signature(function).parameters.values())
        theirs = list(inspect.signature(numpy_function).parameters.values())
    except (TypeError, ValueError):
        return False
    names = {p.name for p in theirs}
    takes_keywords = any(p.kind is p.VAR_KEYWORD for p in theirs)
    for i, p in enumerate(ours[1:], start=1):
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name in names or takes_keywords:
            continue
        if i < len(theirs) and theirs[i].kind is theirs[i].POSITIONAL_ONLY:
            continue
        return False
    return True


class NumpyFunction:
    """symgrad's ``function`` called with the arguments of ``numpy_function``.

    >>> import numpy as np, symgrad as sg
    >>> total = NumpyFunction(sg.sum, np.sum)
    >>> total(sg.var("x", shape=(2, 3)), axis=0, out=None).shape
    (3,)
    """

    def __init__(self, function: Callable[..., Any], numpy_function: Any):
        self.function = function
        self.numpy_function = numpy_function
        self.name = numpy_name(numpy_function)
        self._numpy_signature = inspect.signature(numpy_function)
        self._ours = inspect.signature(function)
        self.__name__ = self.__qualname__ = numpy_function.__name__
        self.__doc__ = function.__doc__
        self.__wrapped__ = function
        self.__signature__ = self._numpy_signature

    def __repr__(self) -> str:
        return f"<symgrad.numpy function {self.__name__}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            bound = self._numpy_signature.bind(*args, **kwargs)
        except TypeError as error:
            raise TypeError(f"{self.name}: {error}") from None
        ours = self._ours.parameters
        call_args: list[Any] = []
        call_kwargs: dict[str, Any] = {}
        for i, p in enumerate(self._numpy_signature.parameters.values()):
            if p.name not in bound.arguments:
                continue
            value = bound.arguments[p.name]
            if p.kind is p.VAR_POSITIONAL:
                call_args.extend(value)
            elif p.kind is p.VAR_KEYWORD:
                call_kwargs.update(value)
            elif value is _NO_VALUE:
                continue
            elif i == 0 or p.kind is p.POSITIONAL_ONLY:
                call_args.append(value)
            elif p.name in ours:
                call_kwargs[p.name] = value
            elif not _is_default(value, p.default):
                allowed = "left out" if p.default is _NO_VALUE else f"its default, {p.default!r}"
                raise TypeError(
                    f"{self.name}: the argument {p.name}={value!r:.60} is not supported on "
                    f"symbolic expressions (only {allowed})"
                )
        try:
            self._ours.bind(*call_args, **call_kwargs)
        except TypeError as error:
            raise TypeError(f"{self.name}: {error} (as symgrad supports it)") from None
        return self.function(*call_args, **call_kwargs)


# --- ufuncs -----------------------------------------------------------------------------------

#: Keywords of a ufunc call accepted at these values only.
_UFUNC_DEFAULTS = {
    "where": True,
    "casting": "same_kind",
    "order": "K",
    "subok": True,
    "signature": None,
    "axes": _NO_VALUE,
    "axis": _NO_VALUE,
    "keepdims": False,
}


def check_out(name: str, out: Any) -> None:
    """Refuse an array to write a symbolic result into (``x += expr`` on an array too)."""
    if out is None or (isinstance(out, tuple) and all(o is None for o in out)):
        return
    raise TypeError(
        f"{name}: out= must be None: a symbolic expression has no value to write into an "
        "array until the compiled function runs (for an in-place operator such as "
        "`array += expr`, write `array = array + expr`)"
    )


def call_ufunc(
    function: Callable[..., Any], ufunc: np.ufunc, inputs: Sequence[Any], kwargs: dict[str, Any]
) -> Any:
    """``ufunc(*inputs, **kwargs)`` computed by symgrad's ``function``."""
    name = numpy_name(ufunc)
    if len(inputs) != ufunc.nin:
        raise TypeError(f"{name} takes {ufunc.nin} arrays, got {len(inputs)}")
    kwargs = dict(kwargs)
    check_out(name, kwargs.pop("out", None))
    dtype = kwargs.pop("dtype", None)
    for key, value in kwargs.items():
        if key not in _UFUNC_DEFAULTS:
            raise TypeError(f"{name}: unexpected keyword argument {key!r}")
        if not _is_default(value, _UFUNC_DEFAULTS[key]):
            raise TypeError(
                f"{name}: {key}={value!r:.60} is not supported on symbolic expressions "
                "(only its default)"
            )
    if dtype is None:
        return function(*inputs)
    to = as_dtype(dtype, f"{name}: dtype")
    cast = [
        shape_ops.astype(x, to)
        if isinstance(x, Expr)
        else (np.asarray(x, dtype=to) if isinstance(x, (np.ndarray, np.generic, list)) else x)
        for x in inputs
    ]
    result = function(*cast)
    if result.dtype != to and result.dtype.kind != "b":
        result = shape_ops.astype(result, to)
    return result


class UfuncFunction:
    """symgrad's ``function`` called as the ufunc ``ufunc`` is: ``snp.sin(x, out=None)``."""

    def __init__(self, function: Callable[..., Any], ufunc: np.ufunc):
        self.function = function
        self.ufunc = ufunc
        self.__name__ = self.__qualname__ = ufunc.__name__
        self.__doc__ = function.__doc__
        self.__wrapped__ = function

    @property
    def nin(self) -> int:
        return self.ufunc.nin

    def __repr__(self) -> str:
        return f"<symgrad.numpy ufunc {self.__name__}>"

    def __call__(self, *inputs: Any, **kwargs: Any) -> Any:
        return call_ufunc(self.function, self.ufunc, inputs, kwargs)
