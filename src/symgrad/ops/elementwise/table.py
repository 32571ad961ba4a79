"""Elementwise ops as rows of a table.

An elementwise op is mostly data: its name and docstring, how NumPy computes it, how Python
floats compute it, its derivative, its SymPy function and its dtype rule. :func:`unary` and
:func:`binary` turn such a row into a registered op class and the public function that
builds it; the shape rule, the emission, both derivative rules and the SymPy translation
follow from the row. An op that needs more than a row can give is a subclass of
:class:`Unary` or :class:`Binary` that sets the same fields and overrides what it must.

A row's fields:

``numpy``
    A NumPy ufunc (emitted as ``np.<name>(x)``, written into an existing array with
    ``out=``, and typed by the ufunc's own dtype rule), or a template such as
    ``"np.logaddexp(0, {0})"`` with ``{0}``, ``{1}`` for the operands.
``float_form``
    The same function on Python floats, with the ``math`` module and builtins (see
    ``Op.float_form``), or ``None``.
``derivative`` (unary)
    The chain rule ``g * dy/dx`` as a function of ``g`` (a cotangent or a tangent: for one
    input they are multiplied alike), the input ``x`` and the output ``y``; ``None`` where
    the derivative is zero everywhere (then nothing behind the op is differentiated).
``partials`` (binary)
    ``(dz/da, dz/db)`` as a function of ``a``, ``b`` and the output ``z``, ``None`` for a
    zero partial; or ``None`` where the op has no derivative at all (comparisons).
``reverse`` (unary, optional)
    The reverse rule, where it is not ``derivative`` (which is then the forward rule only):
    for complex inputs of functions that are not holomorphic (``abs``, ``real``, ``conj``),
    whose cotangent is ``dL/dx - i dL/dy`` (see docs/numpy.md) and is not a tangent
    multiplied by a complex number.
``sympy``
    The SymPy function, by its name in the ``sympy`` module (``"sin"``: a SymPy class, which
    also lets ``from_sympy`` translate it back) or as a :class:`SympyFunction`, or a
    function building the SymPy expression. Names keep SymPy unimported until it is used.
``dtype``
    The result dtype from the operands' dtypes; by default the ufunc's rule. A binary op's
    rule is also given Python number types (``float``) for operands written as bare
    literals, to check that the emitted code computes the dtype the graph says (NEP 50).

Optional fields, for what derivatives at special points need:

``selection``
    For ops that pass an operand on where it is chosen (``relu``, ``maximum``): a function
    of the operands giving, per operand, the bool mask where the op passes it on, its
    partial 1 there (at ties, where both masks hold, each gets half) and 0 elsewhere. Reverse
    mode keeps these masks on the cotangents (``Op.selection``), and the forward rule picks
    the tangents rather than multiplying them by 0 (a tangent may be inf or nan where its
    operand is not chosen).
``keeps_zero_cotangents``
    True where the derivative rule turns a zero cotangent into exact zeros whatever the
    operands hold, inf and nan included (``-g``, a selection): see
    ``Op.keeps_zero_cotangents``.
``commutative`` (binary)
    True where ``f(a, b) == f(b, a)``; pictures then do not number the operands.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar, cast, overload

import numpy as np

from ...core.dtypes import float_of, ufunc_result
from ...core.expr import Expr
from ...core.lazy import lazy_module
from ...core.shapes import Shape, broadcast_shapes
from .. import reductions
from ..base import EmitContext, Helper, Op
from ..leaves import Constant, as_expr, as_exprs, check_weak_scalars
from .broadcasting import batch_of, fit, lift_tangents

if TYPE_CHECKING:
    import sympy
else:
    sympy = lazy_module("sympy")

DtypeRule = Callable[..., np.dtype]
UnaryDerivative = Callable[[Expr, Expr, Expr], Expr | None]
BinaryPartials = Callable[[Expr, Expr, Expr], tuple[Expr | None, Expr | None]]
UnarySelection = Callable[[Expr], Expr]
BinarySelection = Callable[[Expr, Expr], tuple[Expr, Expr]]


# --- dtype rules ----------------------------------------------------------------------------


def ufunc_rule(ufunc: np.ufunc) -> DtypeRule:
    """The dtype rule of a NumPy ufunc."""

    def rule(*dtypes: np.dtype) -> np.dtype:
        return ufunc_result(ufunc, *dtypes)

    return rule


def in_float(dtype: np.dtype) -> np.dtype:
    """Computed in floating point, as NumPy's ``exp`` and ``sin`` are: floats keep their
    dtype, bools and integers get the smallest float that holds them."""
    return float_of(dtype)


def in_real_float(dtype: np.dtype) -> np.dtype:
    """``in_float`` for functions of real numbers only (``erf``, ``sigmoid``), whose NumPy
    forms refuse complex values or would drop their imaginary parts."""
    if dtype.kind == "c":
        raise TypeError("is defined for real numbers only, not for complex values")
    return float_of(dtype)


def same_number(dtype: np.dtype) -> np.dtype:
    """The operand's dtype, for numbers; bools are refused (NumPy's arithmetic on them gives
    an integer or fails)."""
    if dtype.kind == "b":
        raise TypeError("is not defined for bool arrays; convert with astype first")
    return dtype


def same(dtype: np.dtype) -> np.dtype:
    """The operand's dtype, whatever it is."""
    return dtype


# --- the op classes -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SympyFunction:
    """A SymPy function named in a table row and looked up on first use: the attribute
    ``name`` of the ``sympy`` module, or with ``undefined=True`` SymPy's undefined function
    of that name (``round``, which SymPy does not define)."""

    name: str
    undefined: bool = False

    def resolve(self) -> Any:
        """The SymPy function itself."""
        return sympy.Function(self.name) if self.undefined else getattr(sympy, self.name)

    def __call__(self, *args: Any) -> Any:
        return self.resolve()(*args)


def sympy_map(fn: Callable[..., Any], *arrays: np.ndarray) -> np.ndarray:
    """``fn`` applied elementwise to object arrays of SymPy expressions."""
    return np.vectorize(fn, otypes=[object])(*arrays)


def numpy_name(name: str, ufunc: np.ufunc) -> str:
    """How the emitted code names ``ufunc``: as the op if NumPy has that alias (``np.abs``
    rather than ``np.absolute``), else by the ufunc's own name."""
    return name if getattr(np, name, None) is ufunc else ufunc.__name__


@dataclasses.dataclass(frozen=True)
class Elementwise(Op):
    """An op computing each output element from the inputs' elements at the same (broadcast)
    index, described by the fields of a table row (see the module docstring)."""

    elementwise = True

    numpy: ClassVar[np.ufunc | str]
    #: How the emission writes a ufunc when not as its call (``"{0} + {1}"``).
    written: ClassVar[str | None] = None
    sympy_function: ClassVar[Callable[..., Any]]  # a SympyFunction or a builder
    #: Defaults to the rule of ``numpy`` when that is a ufunc.
    dtype_rule: ClassVar[DtypeRule]
    #: The public function building the op (set by :func:`function_of`).
    function: ClassVar[Callable[..., Expr]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "helpers" in cls.__dict__ and "dask_helpers" not in cls.__dict__:
            cls.dask_helpers = cls.helpers  # (called chunk by chunk on Dask: emit_dask)
        numpy = cls.__dict__.get("numpy")
        if "dtype_rule" not in cls.__dict__ and isinstance(numpy, np.ufunc):
            cls.dtype_rule = staticmethod(ufunc_rule(numpy))
        if cls.__dict__.get("name") and not hasattr(cls, "dtype_rule"):
            raise TypeError(f"{cls.name}: an op whose NumPy form is a template needs a dtype")

    def result_dtype(self, *dtypes: np.dtype) -> np.dtype:
        try:
            return type(self).dtype_rule(*dtypes)
        except TypeError as error:
            shown = ", ".join(d.name for d in dtypes)
            raise TypeError(f"{self.name} of {shown}: {error}") from None

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        if self.written is not None:
            return self.written.format(*args)
        if isinstance(self.numpy, str):
            if node.dtype.kind == "f":
                # A formula of several NumPy calls on integers or bools would type each
                # step its own way: compute it in the float dtype the op gives.
                dtype = f"np.{node.dtype.name}"
                args = [
                    f"{a}.astype({dtype})" if x.dtype.kind in "biu" else a
                    for a, x in zip(args, node.inputs)
                ]
            return self.numpy.format(*args)
        return f"np.{numpy_name(self.name, self.numpy)}({', '.join(args)})"

    def emit_dask(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str | None:
        """A NumPy form that calls the module's helpers (which take NumPy arrays, and would
        gather a Dask array into one) runs on each chunk: ``da.map_blocks``."""
        if not self.helpers:
            return None
        params = [f"_{i}" for i in range(len(args))]
        chunk = self.emit(node, params, ctx)
        return (
            f"da.map_blocks(lambda {', '.join(params)}: {chunk}, {', '.join(args)}, "
            f"dtype=np.{node.dtype.name})"
        )

    def emit_into(self, node: Expr, args: Sequence[str], out: str) -> str | None:
        if isinstance(self.numpy, str):
            return None  # a formula, not one ufunc call: nothing to pass out= to
        return f"np.{numpy_name(self.name, self.numpy)}({', '.join(args)}, out={out})"

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        return sympy_map(type(self).sympy_function, *args)


@dataclasses.dataclass(frozen=True)
class Unary(Elementwise):
    """An elementwise function of one array."""

    derivative: ClassVar[UnaryDerivative | None] = None
    reverse: ClassVar[UnaryDerivative | None] = None
    selects: ClassVar[UnarySelection | None] = None

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        (x,) = inputs
        return x.shape, self.result_dtype(x.dtype)

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        rule = type(self).reverse or type(self).derivative
        return (None if rule is None else rule(cotangent, node.inputs[0], node),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        (t,) = tangents
        if t is None:
            return None
        picks = type(self).selects
        if picks is not None:  # selected, not multiplied by 0: t may be inf where not chosen
            from .selection import where

            return where(picks(node.inputs[0]), t, as_expr(0, like=t))
        rule = type(self).derivative
        return None if rule is None else rule(t, node.inputs[0], node)

    def selection(self, node: Expr) -> Sequence[Expr | None] | None:
        picks = type(self).selects
        return None if picks is None else (picks(node.inputs[0]),)


@dataclasses.dataclass(frozen=True)
class Binary(Elementwise):
    """An elementwise function of two arrays, broadcast like NumPy. Its reverse rule sums
    each input's cotangent back to that input's shape."""

    accepts_weak_scalars = True
    partials_rule: ClassVar[BinaryPartials | None] = None
    selects: ClassVar[BinarySelection | None] = None

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        a, b = inputs
        shape = broadcast_shapes(self.name, a.shape, b.shape)
        dtype = self.result_dtype(a.dtype, b.dtype)
        if a.dtype != dtype or b.dtype != dtype:  # else a literal computes dtype too
            check_weak_scalars(self.name, inputs, dtype, type(self).dtype_rule)
        return shape, dtype

    def selection(self, node: Expr) -> Sequence[Expr | None] | None:
        picks = type(self).selects
        return None if picks is None else picks(*node.inputs)

    def partials(self, node: Expr) -> tuple[Expr | None, Expr | None]:
        """(dz/da, dz/db) elementwise; ``None`` where zero."""
        rule = type(self).partials_rule
        if rule is None:
            if self.differentiable:
                raise NotImplementedError(f"the op {self.name!r} has no partial derivatives")
            return None, None
        a, b = node.inputs
        return rule(a, b, node)

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        a, b = node.inputs
        da, db = self.partials(node)
        batch = batch_of(cotangent, node)
        return (
            None if da is None else reductions.sum_to(chained(cotangent, da), a.shape, batch),
            None if db is None else reductions.sum_to(chained(cotangent, db), b.shape, batch),
        )

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        batch, (ta, tb) = lift_tangents(node, tangents)
        picks = type(self).selects
        if picks is not None and (ta is not None or tb is not None):
            return fit(_picked(node, ta, tb, *picks(*node.inputs)), node, batch)
        da, db = self.partials(node) if ta is not None or tb is not None else (None, None)
        terms = [
            chained(ta, da) if ta is not None and da is not None else None,
            chained(tb, db) if tb is not None and db is not None else None,
        ]
        present = [t for t in terms if t is not None]
        if not present:
            return None
        total = present[0] if len(present) == 1 else present[0] + present[1]
        return fit(total, node, batch)


def chained(g: Expr, partial: Expr) -> Expr:
    """The chain rule's product ``g * partial`` of a cotangent (or tangent) and a partial
    derivative; ``partial`` itself when ``g`` is a unit seed, a constant 1 that changes
    neither its shape nor its dtype. The gradient of a scalar then starts from the partials,
    not from products with 1 that the optimizer would fold, rebuilding every node of the
    gradient above them (all of it, for a long chain)."""
    op = g.op
    if (
        type(op) is Constant
        and op.fill == 1
        and g.dtype == partial.dtype
        and (g.ndim == 0 or g.shape == partial.shape)
    ):
        return partial
    return g * partial


def _picked(node: Expr, ta: Expr | None, tb: Expr | None, a_in: Expr, b_in: Expr) -> Expr:
    """The tangent of the operand the op passes on (the mean of both where both masks hold,
    or neither: ties and nan), by selection: the other tangent may be inf or nan, which a
    product with 0 would pass on."""
    from .selection import where

    zero = as_expr(0, like=node)
    ta, tb = zero if ta is None else ta, zero if tb is None else tb
    tie = (ta + tb) * as_expr(0.5, like=node)
    return where(a_in, where(b_in, tie, ta), where(b_in, tb, tie))


# --- rows -----------------------------------------------------------------------------------

RowBase = TypeVar("RowBase", bound=Elementwise)


class UnaryFunction(Protocol):
    """The public function of a unary row (``sg.sin``), which knows its op's class."""

    op_class: type[Unary]

    def __call__(self, x: Any) -> Expr: ...


class BinaryFunction(Protocol):
    """The public function of a binary row (``sg.add``), which knows its op's class."""

    op_class: type[Binary]

    def __call__(self, a: Any, b: Any) -> Expr: ...


def unary(
    name: str,
    doc: str,
    *,
    numpy: np.ufunc | str,
    sympy: str | Callable[[Any], Any],
    derivative: UnaryDerivative | None,
    reverse: UnaryDerivative | None = None,
    float_form: str | None = None,
    dtype: DtypeRule | None = None,
    written: str | None = None,
    fresh: bool = True,
    helpers: dict[str, str | Helper] | None = None,
    selection: UnarySelection | None = None,
    keeps_zero_cotangents: bool = False,
) -> UnaryFunction:
    """Register the unary op of one table row; return its public function, whose
    ``op_class`` is the op's class. ``fresh=False`` for an op emitted as an alias of its
    input; ``helpers`` for functions a NumPy template calls (see ``Op.helpers``)."""
    cls = _row_class(
        Unary,
        name,
        doc,
        numpy,
        sympy,
        float_form,
        dtype,
        derivative=_static(derivative),
        reverse=_static(reverse),
        differentiable=derivative is not None,
        written=written,
        fresh=fresh,
        helpers=helpers or {},
        selects=_static(selection),
        keeps_zero_cotangents=keeps_zero_cotangents,
    )
    return function_of(cls)


def binary(
    name: str,
    doc: str,
    *,
    numpy: np.ufunc | str,
    sympy: str | Callable[[Any, Any], Any],
    partials: BinaryPartials | None,
    float_form: str | None = None,
    dtype: DtypeRule | None = None,
    written: str | None = None,
    helpers: dict[str, str | Helper] | None = None,
    selection: BinarySelection | None = None,
    keeps_zero_cotangents: bool = False,
    commutative: bool = False,
) -> BinaryFunction:
    """Register the binary op of one table row; return its public function, whose
    ``op_class`` is the op's class."""
    cls = _row_class(
        Binary,
        name,
        doc,
        numpy,
        sympy,
        float_form,
        dtype,
        partials_rule=_static(partials),
        differentiable=partials is not None,
        written=written,
        helpers=helpers or {},
        selects=_static(selection),
        keeps_zero_cotangents=keeps_zero_cotangents,
        commutative=commutative,
    )
    return function_of(cls)


@overload
def function_of(cls: type[Unary]) -> UnaryFunction: ...
@overload
def function_of(cls: type[Binary]) -> BinaryFunction: ...
def function_of(cls: type[Elementwise]) -> Any:
    """The public function building the op of class ``cls`` from arrays, numbers or
    expressions, named and documented as the op; its ``op_class`` is ``cls``."""
    op = cls()
    if issubclass(cls, Unary):

        def function(x: Any) -> Expr:
            return op(as_expr(x))

    else:

        def function(a: Any, b: Any) -> Expr:  # type: ignore[misc]
            return op(*as_exprs(a, b, op=cls.name))

    function.__name__ = function.__qualname__ = cls.name
    function.__module__ = cls.__module__
    function.__doc__ = cls.__doc__
    function.op_class = cls  # type: ignore[attr-defined]
    cls.function = staticmethod(function)
    return function


def _static(fn: Callable[..., Any] | None) -> Any:
    return None if fn is None else staticmethod(fn)


def _row_class(
    base: type[RowBase],
    name: str,
    doc: str,
    numpy: np.ufunc | str,
    sympy: str | Callable[..., Any],
    float_form: str | None,
    dtype: DtypeRule | None,
    **fields: Any,
) -> type[RowBase]:
    # The module of the table the row is in (two frames up: the row, then unary/binary).
    module = sys._getframe(2).f_globals["__name__"]
    class_name = "".join(part.capitalize() for part in name.split("_"))
    namespace = {
        "__doc__": doc,
        "__module__": module,
        "__qualname__": class_name,
        "name": name,
        "numpy": numpy,
        "sympy_function": _static(SympyFunction(sympy) if isinstance(sympy, str) else sympy),
        "float_form": float_form,
        **({} if dtype is None else {"dtype_rule": staticmethod(dtype)}),
        **fields,
    }
    return cast("type[RowBase]", type(class_name, (base,), namespace))  # a subclass of base
