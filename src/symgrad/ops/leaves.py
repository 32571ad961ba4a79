"""Leaves of the graph: variables (inputs bound at call time) and constants."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.dtypes import as_dtype
from ..core.expr import Expr, apply
from ..core.shapes import Shape, normalize_shape
from .base import EmitContext, Op

_serial = itertools.count()


class Leaf(Op):
    """An op with no inputs: nothing to differentiate through."""

    dask = True  # inputs are bound, constants and eyes small or made lazily by Dask

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        return ()

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        return None


@dataclasses.dataclass(frozen=True)
class Variable(Leaf):
    """A named input. Each ``sg.var`` call makes a distinct variable (``uid`` tells them apart)."""

    name = "var"
    fresh = False  # the caller's array: never written to
    var_name: str
    var_shape: Shape
    var_dtype: np.dtype
    uid: int

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        return self.var_shape, self.var_dtype

    def label(self) -> str:
        return f"var {self.var_name!r}"


class Constant(Leaf):
    """A fixed array. ``weak`` marks Python scalars, whose dtype follows the other operand
    (NumPy 2's rule), so the emitted code may write them as plain literals."""

    name = "const"
    fresh = False  # the module's array: never written to

    def __init__(self, value: np.ndarray, weak: bool = False):
        value = np.array(value, copy=True)
        value.flags.writeable = False
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "weak", weak)
        digest = hashlib.blake2b(value.tobytes(), digest_size=8).digest()
        object.__setattr__(self, "_key", (value.dtype.str, value.shape, weak, digest))

    value: np.ndarray
    weak: bool

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is Constant
            and self._key == other._key  # type: ignore[attr-defined]
            and self.value.tobytes() == other.value.tobytes()  # type: ignore[attr-defined]
        )

    def __hash__(self) -> int:
        return hash(self._key)  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return f"Constant({self.value!r})"

    def params(self) -> dict[str, Any]:
        return {"value": self.value, "weak": self.weak}

    def label(self) -> str:
        if self.value.size <= 4:
            return np.array2string(self.value, separator=", ")
        return f"const {self.value.dtype}{self.value.shape}"

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        return tuple(int(d) for d in self.value.shape), self.value.dtype

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        raise AssertionError("constants are written by the emitter as literals")

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        return np.vectorize(_sympy_number, otypes=[object])(self.value)


@dataclasses.dataclass(frozen=True)
class Parameter(Leaf):
    """A formal parameter of a subgraph (a branch or loop body), bound by the op that runs
    it. ``hint`` names it in the emitted code."""

    name = "param"
    fresh = False  # bound to another node's array: never written to
    param_shape: Shape
    param_dtype: np.dtype
    hint: str
    uid: int

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        return self.param_shape, self.param_dtype

    def label(self) -> str:
        return f"param {self.hint!r}"


def parameter(shape: Shape, dtype: np.dtype, hint: str = "p") -> Expr:
    """A new formal parameter of a subgraph."""
    return apply(Parameter(tuple(shape), np.dtype(dtype), hint, next(_serial)), ())


@dataclasses.dataclass(frozen=True)
class Eye(Leaf):
    """The ``n`` x ``n`` identity matrix (seeds for Jacobians, without an n^2 constant)."""

    name = "eye"
    n: int
    of_dtype: np.dtype

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        return (self.n, self.n), self.of_dtype

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return f"np.eye({self.n}, dtype=np.{self.of_dtype.name})"

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        import sympy

        return np.array(sympy.eye(self.n).tolist(), dtype=object)


def _sympy_number(v: Any) -> Any:
    """Whole numbers as SymPy integers (``x**3``, not ``x**3.0``); others as floats."""
    import sympy

    if isinstance(v, (bool, np.bool_)):
        return sympy.true if v else sympy.false
    if float(v).is_integer():
        return sympy.Integer(int(v))
    return sympy.Float(float(v))


def var(name: str, shape: Any = (), dtype: Any = "float64") -> Expr:
    """Declare an input variable.

    ``shape`` entries are ints or names of symbolic dimensions, bound when the compiled
    function is called (the same name must mean the same size across inputs). Any string is
    a valid name.

    >>> import symgrad as sg
    >>> x = sg.var("x", shape=("n", 3))
    >>> x.shape
    ('n', 3)
    """
    if not isinstance(name, str):
        raise TypeError(f"a variable name must be a str, got {type(name).__name__}")
    op = Variable(
        name, normalize_shape(shape), as_dtype(dtype, f"dtype of variable {name!r}"), next(_serial)
    )
    return apply(op, ())


def _check_numeric(array: np.ndarray, value: Any) -> None:
    if array.dtype.kind not in "biuf":
        shown = type(value).__name__
        raise TypeError(
            f"cannot put a {shown} into a graph ({array.dtype} data): "
            "expected numbers, NumPy arrays or expressions"
        )


def const(value: Any, dtype: Any = None) -> Expr:
    """A constant array in the graph.

    >>> import symgrad as sg
    >>> sg.const([1.0, 2.0]).shape
    (2,)
    """
    if isinstance(value, Expr):
        return value
    try:
        array = np.asarray(value, dtype=None if dtype is None else as_dtype(dtype))
    except (ValueError, TypeError) as error:
        raise TypeError(f"cannot put {type(value).__name__} into a graph: {error}") from None
    _check_numeric(array, value)
    return apply(Constant(array), ())


def as_expr(value: Any, like: Expr | None = None) -> Expr:
    """Turn an operand into an expression.

    Python numbers are *weak* (NEP 50): next to ``like`` they take a dtype of its kind, so
    ``x32 * 2.0`` stays float32. NumPy arrays and scalars keep their own dtype.
    """
    if isinstance(value, Expr):
        return value
    if isinstance(value, np.generic):  # np.float64 subclasses float, but is not weak
        return const(value)
    if isinstance(value, (bool, int, float)) or (
        isinstance(value, numbers.Real) and not isinstance(value, np.generic)
    ):
        try:
            dtype = np.asarray(value).dtype if like is None else np.result_type(like.dtype, value)
            array = np.asarray(value, dtype=dtype)
        except OverflowError:
            raise TypeError(
                f"{value!r} does not fit in {like.dtype if like else 'int64'}"
            ) from None
        return apply(Constant(array, weak=True), ())
    if isinstance(value, (np.ndarray, np.generic, list, tuple)):
        return const(value)
    raise TypeError(
        f"cannot put a {type(value).__name__} ({value!r:.40}) into a graph: "
        "expected numbers, NumPy arrays or expressions"
    )


def as_exprs(*values: Any) -> tuple[Expr, ...]:
    """Operands of one op: Python numbers take their dtype from the first expression."""
    like = next((v for v in values if isinstance(v, Expr)), None)
    return tuple(as_expr(v, like) for v in values)


def constant_value(node: Expr) -> np.ndarray | None:
    """The value of a constant node, or ``None`` if ``node`` is computed."""
    op = node.op
    return op.value if isinstance(op, Constant) else None


def is_variable(node: Expr) -> bool:
    return isinstance(node.op, Variable)


def is_leaf_constant(node: Expr) -> bool:
    """True for leaves whose value is fixed when the graph is built (constants, eye)."""
    return not node.inputs and not isinstance(node.op, (Variable, Parameter))
