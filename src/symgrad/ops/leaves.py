"""Leaves of the graph: variables (inputs bound at call time) and constants."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import math
import numbers
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..core.dtypes import as_dtype
from ..core.expr import Expr, apply
from ..core.shapes import Shape, normalize_shape
from ..errors import ShapeError
from .base import EmitContext, Op

_serial = itertools.count()
_INLINE_BYTES = 16
_FLOAT64 = np.dtype(np.float64)  # constants this small are compared by their bytes, not by a digest


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
        if weak and value.ndim:
            raise ValueError("only 0-d constants (Python numbers) are weak")
        value.flags.writeable = False
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "weak", weak)
        data = value.tobytes()
        # Small values (most constants are scalars) are keyed by their bytes: no hashing,
        # and equal keys mean equal values. Larger ones by a digest, checked on a match.
        exact = len(data) <= _INLINE_BYTES
        key = (
            value.dtype.str,
            value.shape,
            weak,
            data if exact else hashlib.blake2b(data, digest_size=8).digest(),
        )
        object.__setattr__(self, "_key", key)
        object.__setattr__(self, "_exact", exact)
        object.__setattr__(self, "_hash", hash(key))

    value: np.ndarray
    weak: bool

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is Constant
            and self._key == other._key  # type: ignore[attr-defined]
            and (self._exact or self.value.tobytes() == other.value.tobytes())  # type: ignore[attr-defined]
        )

    def __hash__(self) -> int:
        return self._hash  # type: ignore[attr-defined]

    @functools.cached_property
    def fill(self) -> float | int | bool | None:
        """The one value every element has, exactly (a Python number; +0.0 and -0.0 told
        apart), or ``None`` if the elements differ or there are none."""
        value = self.value
        if value.size == 0:
            return None
        first = value.flat[0]
        parts = (value.real, value.imag) if value.dtype.kind == "c" else (value,)
        if value.size > 1 and not all(
            np.all(p == p.flat[0]) and np.all(np.signbit(p) == np.signbit(p.flat[0])) for p in parts
        ):
            return None
        return first.item()

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


def hint_of(param: Expr) -> str:
    """The name hint of a subgraph's parameter node."""
    op = param.op
    if not isinstance(op, Parameter):
        raise TypeError(f"a {op.name} node is not a subgraph parameter")
    return op.hint


@dataclasses.dataclass(frozen=True)
class Eye(Leaf):
    """The ``n`` x ``n`` identity matrix (seeds for Jacobians, without an n^2 constant)."""

    name = "eye"
    n: int
    of_dtype: np.dtype

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        if self.n < 0:
            raise ShapeError(self.name, f"the size must be >= 0, got {self.n}")
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
    if isinstance(v, (complex, np.complexfloating)):
        return _sympy_number(v.real) + sympy.I * _sympy_number(v.imag)
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
    dt = as_dtype(dtype, f"dtype of variable {name!r:.60}")
    dims = normalize_shape(shape, f"var {name!r:.60}", dt.itemsize)
    return apply(Variable(name, dims, dt, next(_serial)), ())


def _check_numeric(array: np.ndarray, value: Any) -> None:
    if array.dtype.kind not in "biufc":
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
    if isinstance(value, (list, tuple)) and holds_expr(value):
        stacked = stack_nested(value)
        return stacked if dtype is None else stacked.astype(as_dtype(dtype))
    try:
        array = np.asarray(value, dtype=None if dtype is None else as_dtype(dtype))
    except OverflowError as error:
        raise ShapeError("const", f"{error} (NumPy would refuse this value too)") from None
    except (ValueError, TypeError) as error:
        raise TypeError(f"cannot put {type(value).__name__} into a graph: {error}") from None
    _check_numeric(array, value)
    return apply(Constant(array), ())


def as_expr(value: Any, like: Expr | None = None, op: str = "") -> Expr:
    """Turn an operand (of the op named ``op``) into an expression.

    Python numbers are *weak* (NEP 50): next to ``like`` they take a dtype of its kind, so
    ``x32 * 2.0`` stays float32. NumPy arrays and scalars keep their own dtype.
    """
    if isinstance(value, Expr):
        return value
    if type(value) is float and value == value and (like is None or like.dtype.kind == "f"):
        # The common case, short: a Python float next to floats takes their dtype (NEP 50).
        return _weak_float(value, _FLOAT64 if like is None else like.dtype)
    if isinstance(value, np.generic):  # np.float64 subclasses float, but is not weak
        return const(value)
    if isinstance(value, numbers.Complex):
        if not isinstance(value, (bool, int, float, complex)):  # Fraction, SymPy numbers
            value = (
                int(value)
                if isinstance(value, numbers.Integral)
                else float(value)
                if isinstance(value, numbers.Real)
                else complex(value)
            )
        return apply(Constant(_weak_scalar(value, like, op), weak=True), ())
    if isinstance(value, (np.ndarray, list, tuple)):
        return const(value)
    raise TypeError(
        f"cannot put a {type(value).__name__} ({value!r:.40}) into a graph: "
        "expected numbers, NumPy arrays or expressions"
    )


def _weak_scalar(value: bool | int | float | complex, like: Expr | None, op: str) -> np.ndarray:
    """``value`` in the dtype NumPy 2 gives a Python number next to ``like`` (NEP 50): the
    array's own dtype where it is of the same kind or wider, which the number must fit."""
    try:
        if like is None:
            return np.asarray(value)
        return np.asarray(value, dtype=np.result_type(like.dtype, value))
    except OverflowError:
        dtype = np.dtype(np.int64) if like is None else np.result_type(like.dtype, 0)
        raise ShapeError(
            op or "constant",
            f"the Python integer {value} is out of bounds for {dtype}"
            + (", the dtype of the other operand" if like is not None else "")
            + ": NumPy 2 computes a Python number in the array's dtype (NEP 50). Cast the "
            "array to a wider dtype (.astype), or pass the number as a NumPy scalar of one",
        ) from None


#: Python floats already in the graph, by (dtype, value, sign of zero): their nodes, held
#: weakly. The node is the one the hash-consing table holds; this only skips building an
#: array and an op for each ``x * 0.5``.
_WEAK_FLOATS: dict[tuple[np.dtype, float, float], weakref.ref[Expr]] = {}


def _weak_float(value: float, dtype: np.dtype) -> Expr:
    key = (dtype, value, math.copysign(1.0, value))
    ref = _WEAK_FLOATS.get(key)
    node = None if ref is None else ref()
    if node is None:
        node = apply(Constant(np.asarray(value, dtype), weak=True), ())
        _WEAK_FLOATS[key] = weakref.ref(node, functools.partial(_forget_float, key))
    return node


def _forget_float(key: tuple[np.dtype, float, float], ref: weakref.ref[Expr]) -> None:
    if _WEAK_FLOATS is not None and _WEAK_FLOATS.get(key) is ref:  # None at interpreter exit
        del _WEAK_FLOATS[key]


def holds_expr(value: list[Any] | tuple[Any, ...]) -> bool:
    """True if the nested lists and tuples ``value`` hold an expression somewhere."""
    pending: list[Any] = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, Expr):
            return True
        if isinstance(item, (list, tuple)):
            pending.extend(item)
    return False


def stack_nested(value: list[Any] | tuple[Any, ...]) -> Expr:
    """Nested lists of expressions, arrays and numbers as one expression, the way
    ``np.array`` reads nested lists: each level stacks its items, which must have one shape.
    Python numbers take the dtype of the expressions beside them (NEP 50)."""
    from .shape_ops import stack

    if not value:
        raise ValueError("an empty list beside expressions has no shape to stack with")
    items = [
        stack_nested(v) if isinstance(v, (list, tuple)) and holds_expr(v) else v for v in value
    ]
    return stack(items)


def as_exprs(*values: Any, op: str = "") -> tuple[Expr, ...]:
    """Operands of the op named ``op``: Python numbers take their dtype from the first
    expression."""
    if len(values) == 2:  # binary operators, the common case: no generators
        a, b = values
        if isinstance(a, Expr):
            return (a, b) if isinstance(b, Expr) else (a, as_expr(b, a, op))
        if isinstance(b, Expr):
            return as_expr(a, b, op), b
    like = next((v for v in values if isinstance(v, Expr)), None)
    return tuple(as_expr(v, like, op) for v in values)


def is_weak_scalar(node: Expr) -> bool:
    """True for a Python number in the graph, which the emitted code may write as a bare
    literal whose dtype NumPy takes from the other operands."""
    op = node.op
    return isinstance(op, Constant) and op.weak and node.ndim == 0


def weak_scalar_value(node: Expr) -> np.ndarray | None:
    """The value of a weak scalar (see :func:`is_weak_scalar`), ``None`` for other nodes."""
    op = node.op
    return op.value if isinstance(op, Constant) and op.weak and node.ndim == 0 else None


def typed(node: Expr) -> Expr:
    """``node``, a weak scalar turned into a constant that keeps its dtype."""
    value = weak_scalar_value(node)
    return node if value is None else apply(Constant(value), ())


def check_weak_scalars(
    op: str, inputs: tuple[Expr, ...], result: np.dtype, rule: Callable[..., np.dtype]
) -> None:
    """For ops that take Python numbers (``accepts_weak_scalars``): raise ShapeError unless
    the emitted code, which writes weak scalar constants as bare literals, computes
    ``result``. ``rule`` gives the result dtype for operands given as dtypes, or as Python
    number types (``float``) for the weak ones; it is called once per combination. Ops built
    by symgrad's functions always pass (``as_expr`` types each number so); this guards ops
    built directly, e.g. from a file."""
    for x in inputs:
        if x.dtype != result:
            break
    else:
        return  # one dtype throughout: a literal of its kind computes it too (NEP 50)
    values = [weak_scalar_value(x) for x in inputs]
    weak = [v is not None for v in values]
    if not any(weak) or all(weak):  # no literal, or all of them typed (see the emitter)
        return
    # A bare True or False computes as a bool array does (NumPy's dtype rules take no
    # Python bool type).
    operands = tuple(
        type(v.item()) if v is not None and x.dtype.kind != "b" else x.dtype
        for x, v in zip(inputs, values)
    )
    actual = _result_of(rule, operands)
    if actual != result:
        number, value = next((x, v) for x, v in zip(inputs, values) if v is not None)
        raise ShapeError(
            op,
            f"the weak constant {value.item()!r:.40} of dtype {number.dtype} does "
            f"not fit beside {', '.join(str(x.dtype) for x, w in zip(inputs, weak) if not w)}"
            f": it would compute {actual}, not {result}",
        )


@functools.lru_cache(maxsize=4096)
def _result_of(rule: Callable[..., np.dtype], operands: tuple[Any, ...]) -> np.dtype:
    return rule(*operands)


def weak_value(operand: Any) -> Any:
    """A dtype as it is, a Python number type as a number of it (which NumPy's
    ``result_type`` takes as weak)."""
    return operand(0) if isinstance(operand, type) else operand


def constant_value(node: Expr) -> np.ndarray | None:
    """The value of a constant node, or ``None`` if ``node`` is computed."""
    op = node.op
    return op.value if isinstance(op, Constant) else None


def is_variable(node: Expr) -> bool:
    return isinstance(node.op, Variable)


def is_leaf_constant(node: Expr) -> bool:
    """True for leaves whose value is fixed when the graph is built (constants, eye)."""
    return not node.inputs and not isinstance(node.op, (Variable, Parameter))
