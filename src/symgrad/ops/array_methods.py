"""The operators and ndarray's methods of expressions: ``x + y``, ``x @ w``, ``x[1:]``,
``x.sum(axis=0)``, ``x.T``.

They build nodes with the ops' public functions, so they belong to the ops layer; the core's
:class:`~symgrad.core.expr.Expr` receives them from :func:`attach` when ``symgrad.ops`` is
imported (type checkers see them through ``Expr``'s base class).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core.expr import Expr, _is_operand
from . import arrangement as _arrangement
from . import contractions as _contractions
from . import elementwise as _ew
from . import linalg as _linalg
from . import reductions as _red
from . import shape_ops as _shape_ops
from . import sorting as _sorting
from . import truth as _truth
from .arguments import no_out as _no_out

if TYPE_CHECKING:
    from typing import Self  # Python 3.11; only Expr has these methods


class ArrayMethods:
    """Python's operators and NumPy's array methods on expressions."""

    __slots__ = ()

    @property
    def T(self) -> Expr:
        return _shape_ops.transpose(self)

    # --- arithmetic ---------------------------------------------------------------------------
    def __add__(self, other: Any) -> Expr:
        return _ew.add(self, other)

    def __radd__(self, other: Any) -> Expr:
        return _ew.add(other, self)

    def __sub__(self, other: Any) -> Expr:
        return _ew.subtract(self, other)

    def __rsub__(self, other: Any) -> Expr:
        return _ew.subtract(other, self)

    def __mul__(self, other: Any) -> Expr:
        return _ew.multiply(self, other)

    def __rmul__(self, other: Any) -> Expr:
        return _ew.multiply(other, self)

    def __truediv__(self, other: Any) -> Expr:
        return _ew.divide(self, other)

    def __rtruediv__(self, other: Any) -> Expr:
        return _ew.divide(other, self)

    def __mod__(self, other: Any) -> Expr:
        return _ew.mod(self, other)

    def __rmod__(self, other: Any) -> Expr:
        return _ew.mod(other, self)

    def __pow__(self, other: Any) -> Expr:
        return _ew.power(self, other)

    def __rpow__(self, other: Any) -> Expr:
        return _ew.power(other, self)

    def __matmul__(self, other: Any) -> Expr:
        return _linalg.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Expr:
        return _linalg.matmul(other, self)

    def __neg__(self) -> Expr:
        return _ew.negative(self)

    def __pos__(self) -> Self:
        return self

    def __abs__(self) -> Expr:
        return _ew.abs(self)

    def __lt__(self, other: Any) -> Expr:
        return _ew.less(self, other)

    def __le__(self, other: Any) -> Expr:
        return _ew.less_equal(self, other)

    def __gt__(self, other: Any) -> Expr:
        return _ew.greater(self, other)

    def __ge__(self, other: Any) -> Expr:
        return _ew.greater_equal(self, other)

    # Elementwise, as in NumPy (also ``sg.eq`` and ``sg.ne``). Operands that cannot be
    # array data (None, strings, other objects) compare as Python objects do: by identity.
    def __eq__(self, other: Any) -> Expr:  # type: ignore[override]
        if not _is_operand(other):
            return NotImplemented
        return _ew.equal(self, other)

    def __ne__(self, other: Any) -> Expr:  # type: ignore[override]
        if not _is_operand(other):
            return NotImplemented
        return _ew.not_equal(self, other)

    def __getitem__(self, index: Any) -> Expr:
        return _shape_ops.getitem(self, index)

    # --- methods mirroring ndarray --------------------------------------------------------------
    # NumPy's signatures: ``dtype`` converts before reducing, ``out`` must be None (NumPy's
    # own functions pass ``out=None`` on to these methods).
    def sum(
        self, axis: Any = None, dtype: Any = None, out: None = None, keepdims: bool = False
    ) -> Expr:
        return _red.sum(self, axis, dtype, out, keepdims)

    def mean(
        self, axis: Any = None, dtype: Any = None, out: None = None, keepdims: bool = False
    ) -> Expr:
        return _red.mean(self, axis, dtype, out, keepdims)

    def prod(
        self, axis: Any = None, dtype: Any = None, out: None = None, keepdims: bool = False
    ) -> Expr:
        return _red.prod(self, axis, dtype, out, keepdims)

    def max(self, axis: Any = None, out: None = None, keepdims: bool = False) -> Expr:
        return _red.max(self, axis, out, keepdims)

    def min(self, axis: Any = None, out: None = None, keepdims: bool = False) -> Expr:
        return _red.min(self, axis, out, keepdims)

    def var(
        self,
        axis: Any = None,
        dtype: Any = None,
        out: None = None,
        ddof: int = 0,
        keepdims: bool = False,
    ) -> Expr:
        return _red.var(self, axis, dtype, out, ddof, keepdims)

    def std(
        self,
        axis: Any = None,
        dtype: Any = None,
        out: None = None,
        ddof: int = 0,
        keepdims: bool = False,
    ) -> Expr:
        return _red.std(self, axis, dtype, out, ddof, keepdims)

    def cumsum(self, axis: int | None = None, dtype: Any = None, out: None = None) -> Expr:
        return _red.cumsum(self, axis, dtype, out)

    def any(self, axis: Any = None, out: None = None, keepdims: bool = False) -> Expr:
        return _truth.any(self, axis, out, keepdims)

    def all(self, axis: Any = None, out: None = None, keepdims: bool = False) -> Expr:
        return _truth.all(self, axis, out, keepdims)

    def reshape(self, *shape: Any) -> Expr:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _shape_ops.reshape(self, shape)

    def transpose(self, *axes: Any) -> Expr:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _shape_ops.transpose(self, axes or None)

    def squeeze(self, axis: Any = None) -> Expr:
        return _shape_ops.squeeze(self, axis)

    def ravel(self) -> Expr:
        return _shape_ops.reshape(self, (-1,))

    flatten = ravel

    def astype(self, dtype: Any) -> Expr:
        return _shape_ops.astype(self, dtype)

    def argmax(self, axis: int | None = None, out: None = None, *, keepdims: bool = False) -> Expr:
        return _red.argmax(self, axis, out, keepdims=keepdims)

    def argmin(self, axis: int | None = None, out: None = None, *, keepdims: bool = False) -> Expr:
        return _red.argmin(self, axis, out, keepdims=keepdims)

    def argsort(self, axis: int | None = -1, kind: Any = None, order: None = None) -> Expr:
        return _sorting.argsort(self, axis, kind, order)

    def swapaxes(self, axis1: int, axis2: int) -> Expr:
        return _shape_ops.swapaxes(self, axis1, axis2)

    def repeat(self, repeats: Any, axis: int | None = None) -> Expr:
        return _arrangement.repeat(self, repeats, axis)

    def take(self, indices: Any, axis: int | None = None) -> Expr:
        return _arrangement.take(self, indices, axis)

    def clip(self, min: Any = None, max: Any = None, out: None = None) -> Expr:
        return _ew.clip(self, min, max, out)

    def round(self, decimals: int = 0, out: None = None) -> Expr:
        _no_out("round", out)
        return _ew.rounded(self, decimals)

    def dot(self, b: Any, out: None = None) -> Expr:
        return _linalg.dot(self, b, out)

    # complex parts, as ndarray has them
    @property
    def real(self) -> Expr:
        return _ew.real(self)

    @property
    def imag(self) -> Expr:
        return _ew.imag(self)

    def conj(self) -> Expr:
        return _ew.conj(self)

    conjugate = conj

    def copy(self) -> Self:
        return self  # expressions are immutable: a copy is the same node

    # contractions, cumulative products and ranges
    def trace(
        self, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None, out: None = None
    ) -> Expr:
        return _contractions.trace(self, offset, axis1, axis2, dtype, out)

    def diagonal(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Expr:
        return _contractions.diagonal(self, offset, axis1, axis2)

    def cumprod(self, axis: int | None = None, dtype: Any = None, out: None = None) -> Expr:
        return _red.cumprod(self, axis, dtype, out)

    def ptp(self, axis: Any = None, out: None = None, keepdims: bool = False) -> Expr:
        return _red.ptp(self, axis, out, keepdims)


def attach(cls: type) -> None:
    """Give ``cls`` (``Expr``) the operators and methods of :class:`ArrayMethods`."""
    for name, value in vars(ArrayMethods).items():
        # (Defining __eq__ gave ArrayMethods __hash__ = None; Expr keeps its own hash.)
        if name not in ("__module__", "__qualname__", "__doc__", "__slots__", "__hash__"):
            setattr(cls, name, value)


attach(Expr)
