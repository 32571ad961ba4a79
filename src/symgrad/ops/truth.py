"""``any`` and ``all``: whether some or every element along axes is true (nonzero). Bool
results, with no derivative."""

from __future__ import annotations

import typing
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..core.expr import Expr
from ..core.lazy import lazy_module
from .arguments import no_out
from .reductions import Reduction, _reduce, _sympy_reduce

if TYPE_CHECKING:
    import sympy
else:
    sympy = lazy_module("sympy")


def _condition(value: typing.Any) -> typing.Any:
    """A SymPy element as a condition: true where it is true (nonzero)."""
    if isinstance(value, (bool, sympy.logic.boolalg.Boolean)):
        return value
    return sympy.Ne(value, 0)


def _some(*values: typing.Any) -> typing.Any:
    """Whether any element is true: ``Or`` of the conditions (a Max of indicators would
    make SymPy distribute piecewise conditions, exponentially in the number of elements)."""
    return sympy.Or(*map(_condition, values))


def _every(*values: typing.Any) -> typing.Any:
    """Whether every element is true: ``And`` of the conditions."""
    return sympy.And(*map(_condition, values))


class _Truth(Reduction):
    differentiable = False

    def result_dtype(self, dtype: np.dtype) -> np.dtype:
        return np.dtype(np.bool_)

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        return (None,)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        return None


class SomeTrue(_Truth):
    """Whether any element along the axes is true (nonzero); no derivative."""

    name = "any"
    numpy_name = "any"
    reduces = np.logical_or

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        return _sympy_reduce(_some, args[0], self.axes, self.keepdims)


class AllTrue(_Truth):
    """Whether every element along the axes is true (nonzero); no derivative."""

    name = "all"
    numpy_name = "all"
    reduces = np.logical_and

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        return _sympy_reduce(_every, args[0], self.axes, self.keepdims)


def any(a: typing.Any, axis: typing.Any = None, out: None = None, keepdims: bool = False) -> Expr:  # noqa: A001
    """Whether any element of ``a`` along ``axis`` (all axes by default) is true, like
    ``np.any``. A bool result: it has no derivative.

    >>> import symgrad as sg
    >>> sg.any(sg.const([[0.0, 1.0], [0.0, 0.0]]), axis=1).eval().tolist()
    [True, False]
    """
    no_out("any", out)
    return _reduce(SomeTrue, a, axis, keepdims)


def all(a: typing.Any, axis: typing.Any = None, out: None = None, keepdims: bool = False) -> Expr:  # noqa: A001
    """Whether every element of ``a`` along ``axis`` (all axes by default) is true, like
    ``np.all``. A bool result: it has no derivative.

    >>> import symgrad as sg
    >>> bool(sg.all(sg.const([1.0, 2.0])).eval())
    True
    """
    no_out("all", out)
    return _reduce(AllTrue, a, axis, keepdims)
