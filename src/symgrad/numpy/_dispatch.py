"""NumPy's dispatch protocols for expressions: ``np.sin(x)``, ``np.sum(x, axis=0)`` and
``array + x`` build graphs.

``Expr.__array_ufunc__`` and ``Expr.__array_function__`` land here. A ufunc call, or a
NumPy function, is computed by the ``symgrad.numpy`` function for it (``_namespace.py``
derives them); the ufunc methods ``reduce``, ``accumulate`` and ``outer`` by the reduction
or cumulative op that names the ufunc (``Sum.reduces = np.add``) and by broadcasting. Anything
else raises a TypeError naming the NumPy function. Operands symgrad does not know (another
library's arrays) make it answer ``NotImplemented``, so that library may handle the call.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core import conveniences
from ..core.expr import Expr
from ..core.shapes import normalize_axis
from ..ops import catalog, shape_ops
from ..ops.arguments import computed_in
from ..ops.leaves import as_expr
from ..ops.reductions import _reduce
from . import _namespace
from ._adapters import call_ufunc, check_out, numpy_name

_NO_VALUE = np._NoValue


def _known(value: Any) -> bool:
    """Operands symgrad computes with: expressions, NumPy data, numbers, lists of them."""
    return value is None or isinstance(
        value, (Expr, np.ndarray, np.generic, numbers.Number, list, tuple)
    )


def _unsupported(function: Any, what: str = "") -> TypeError:
    name = numpy_name(function) + what
    short = getattr(function, "__name__", "")
    names = (
        _namespace.linalg()
        if ".linalg." in name
        else _namespace.fft()
        if ".fft." in name
        else _namespace.top_level()
    )
    callables = [n for n, v in names.items() if callable(v) and not isinstance(v, type)]
    hint = "" if what else _namespace.nearest(short, callables)
    return TypeError(
        f"{name} is not supported on symbolic expressions: symgrad has no rule for it{hint}. "
        "See docs/numpy.md for what symgrad.numpy covers."
    )


def array_ufunc(ufunc: np.ufunc, method: str, inputs: Sequence[Any], kwargs: dict[str, Any]) -> Any:
    """``ufunc(*inputs, **kwargs)`` (or ``ufunc.method(...)``) with an expression among the
    operands."""
    out = kwargs.get("out")
    outs = list(out) if isinstance(out, tuple) else [out]
    if not all(_known(x) for x in [*inputs, *outs]):
        return NotImplemented
    if method == "__call__":
        function = _namespace.ufunc_function(ufunc)
        if function is None:
            raise _unsupported(ufunc)
        return call_ufunc(function, ufunc, inputs, kwargs)
    if method == "reduce":
        return _ufunc_reduce(ufunc, *inputs, **kwargs)
    if method == "accumulate":
        return _ufunc_accumulate(ufunc, *inputs, **kwargs)
    if method == "outer":
        return _ufunc_outer(ufunc, inputs, kwargs)
    if method == "at":
        raise TypeError(
            f"{numpy_name(ufunc)}.at writes into an array in place; expressions are immutable "
            "(build the result instead, e.g. with sg.where or a scatter by indexing)"
        )
    raise _unsupported(ufunc, f".{method}")


def _op_for(ufunc: np.ufunc, field: str) -> Any:
    """The op class that is ``ufunc.reduce`` (``field="reduces"``) or ``ufunc.accumulate``."""
    for cls in catalog.ops().values():
        if cls.__dict__.get(field) is ufunc:
            return cls
    return None


def _ufunc_reduce(
    ufunc: np.ufunc,
    array: Any,
    axis: Any = 0,
    dtype: Any = None,
    out: Any = None,
    keepdims: bool = False,
    initial: Any = _NO_VALUE,
    where: Any = True,
) -> Expr:
    name = f"{numpy_name(ufunc)}.reduce"
    cls = _op_for(ufunc, "reduces")
    if cls is None:
        raise _unsupported(ufunc, ".reduce")
    check_out(name, out)
    if initial is not _NO_VALUE or where is not True:
        raise TypeError(f"{name}: initial= and where= are not supported on symbolic expressions")
    x = computed_in(as_expr(array), dtype, name)
    return _reduce(cls, x, axis, keepdims)


def _ufunc_accumulate(
    ufunc: np.ufunc, array: Any, axis: int = 0, dtype: Any = None, out: Any = None
) -> Expr:
    name = f"{numpy_name(ufunc)}.accumulate"
    cls = _op_for(ufunc, "accumulates")
    if cls is None:
        raise _unsupported(ufunc, ".accumulate")
    check_out(name, out)
    x = computed_in(as_expr(array), dtype, name)
    return cls(normalize_axis(name, axis, x.ndim))(x)


def _ufunc_outer(ufunc: np.ufunc, inputs: Sequence[Any], kwargs: dict[str, Any]) -> Expr:
    function = _namespace.ufunc_function(ufunc)
    if function is None or ufunc.nin != 2 or len(inputs) != 2:
        raise _unsupported(ufunc, ".outer")
    a, b = (as_expr(x) for x in inputs)
    spread = shape_ops.reshape(a, a.shape + (1,) * b.ndim)
    return call_ufunc(function, ufunc, (spread, b), kwargs)


def array_function(
    func: Any, types: Sequence[type], args: Sequence[Any], kwargs: dict[str, Any]
) -> Any:
    """The NumPy function ``func`` called with an expression among its array arguments."""
    if not all(issubclass(t, (Expr, np.ndarray)) for t in types):
        return NotImplemented
    ours = _namespace.by_numpy_object().get(id(func))
    if ours is None:
        raise _unsupported(func)
    return ours(*args, **kwargs)


conveniences.array_ufunc = array_ufunc
conveniences.array_function = array_function
