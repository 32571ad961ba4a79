"""Graph nodes: immutable, hash-consed expressions.

Every ``Expr`` is made by :func:`apply`, which returns the existing node when the same op has
already been applied to the same inputs. Identical subexpressions are therefore one object,
so identity (``is``, ``hash``) is comparison by value. ``==`` and ``!=`` build elementwise
comparisons, as in NumPy: code that handles nodes compares them with ``is`` only (never
``==``, ``in``, ``.index`` or ``.count`` on sequences of nodes; see :func:`same_nodes`). The
table is weak: a node lives only as long as someone refers to it.
"""

from __future__ import annotations

import numbers
import operator
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import conveniences
from .shapes import Shape, check_extent, format_shape

if TYPE_CHECKING:
    from ..ops.array_methods import ArrayMethods as _ArrayMethods
    from ..ops.base import Op
else:
    _ArrayMethods = object  # the operators and ndarray's methods, attached by symgrad.ops


class _Table(dict[Any, "_NodeRef"]):
    """The nodes of one op: inputs -> a weak reference to the node."""

    __slots__ = ("op",)
    op: Op


class _Inputs(tuple["Expr", ...]):
    """A node's inputs, which are also its key in its op's table: equal to a sequence holding
    the same nodes in the same order. The table compares keys whose hashes collide with
    ``==``, which on a plain tuple would call ``Expr.__eq__`` (an elementwise comparison)."""

    __slots__ = ()

    def __eq__(self, other: Any) -> bool:  # (the table compares keys: sequences of nodes)
        return len(self) == len(other) and all(map(operator.is_, self, other))

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = tuple.__hash__


class _NodeRef(weakref.ref["Expr"]):
    """A weak reference to a node that knows its entry in the tables (a C-level
    constructor, unlike ``weakref.KeyedRef``: building nodes is the hot path of every
    pass)."""

    __slots__ = ("table", "key")
    table: _Table
    key: Any


# The hash-consing tables. Nodes of an op with inputs are found by op, then by the inputs
# tuple (the node's own, so no key is stored per node); leaves by their op. An entry goes
# when its node does, and an op's table when it is empty.
_NODES: dict[Op, _Table] = {}
_LEAVES = _Table()  # keyed by op; has no op of its own


def _forget(ref: _NodeRef) -> None:
    """Weak-reference callback: drop the entry of a node that died (unless the key has been
    taken by a newer node since)."""
    table = ref.table
    if table.get(ref.key) is ref:
        del table[ref.key]
        if not table and table is not _LEAVES and _NODES is not None:  # None at exit
            nodes = _NODES
            if nodes.get(table.op) is table:
                del nodes[table.op]


#: The dtype of a multi-output node (see ``ops/subgraph.py``), which only items read.
TUPLE = np.dtype(object)

# Called with each new node while source lines are recorded (see ``core/origins.py``).
on_new_node: Callable[[Expr], None] | None = None


def apply(op: Op, inputs: tuple[Expr, ...]) -> Expr:
    """The node for ``op(*inputs)``: shape and dtype inferred once, when it is first built."""
    if inputs:
        table = _NODES.get(op)
        if table is None:
            table = _NODES[op] = _Table()
            table.op = op
        key: Any = inputs
    else:
        table, key = _LEAVES, op
    ref = table.get(key)
    if ref is not None:
        node = ref()
        if node is not None:
            return node
    if inputs:
        if not op.reads_results:
            for x in inputs:
                if x.dtype is TUPLE:
                    raise TypeError(
                        f"{op.name}: the {x.op.name} node holds several results; an item "
                        "node reads one of them"
                    )
        key = _Inputs(inputs)  # the node's own inputs, compared by identity in the table
    shape, dtype = op.infer(inputs)
    if shape:  # a 0-d array always fits
        check_extent(op.name, shape, dtype.itemsize)
    node = _new(Expr)
    _set_op(node, op)
    _set_inputs(node, key if inputs else inputs)
    _set_shape(node, shape)
    _set_dtype(node, dtype)
    ref = _NodeRef(node, _forget)
    ref.table = table
    ref.key = key
    table[key] = ref
    if on_new_node is not None:
        on_new_node(node)
    return node


def live_nodes() -> int:
    """How many nodes exist (the size of the hash-consing tables)."""
    return len(_LEAVES) + sum(len(t) for t in _NODES.values())


class Expr(_ArrayMethods):
    """A symbolic array: the output of an op applied to other expressions.

    Build expressions from :func:`symgrad.var` and :func:`symgrad.const` with Python operators
    and the functions in ``symgrad``; compile them with :func:`symgrad.compile`.

    >>> import symgrad as sg
    >>> x = sg.var("x", shape=(3,))
    >>> y = (2 * x * x).sum()
    >>> y.shape, str(y.dtype)
    ((), 'float64')
    """

    __slots__ = ("op", "inputs", "shape", "dtype", "__weakref__")
    op: Op
    inputs: tuple[Expr, ...]
    shape: Shape
    dtype: np.dtype

    # --- NumPy's protocols (symgrad/numpy/_dispatch.py) -----------------------------------
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """``np.sin(x)``, ``array + x``, ``np.add.reduce(x)``: NumPy's ufuncs build graphs."""
        return conveniences.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        """``np.sum(x)``, ``np.concatenate([x, y])``: NumPy's functions build graphs."""
        return conveniences.array_function(func, types, args, kwargs)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise TypeError(
            "a symbolic expression has no values to put into a NumPy array until it is "
            "compiled and run: call sg.compile(...) or expr.eval(...) for values, or build an "
            "expression from expressions with symgrad.numpy.array([...]) or sg.stack"
        )

    def __init__(self) -> None:
        raise TypeError("Expr objects are made by sg.var, sg.const and operations on them")

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Expr is immutable")

    def __reduce__(self) -> Any:
        raise TypeError("Expr cannot be pickled; use sg.save_graph for a safe file format")

    def _sympy_(self) -> Any:
        # SymPy asks this before any other conversion (older SymPy versions would otherwise
        # parse ``str(expr)`` as code).
        raise TypeError("a symbolic expression is not a SymPy object; use sg.to_sympy(expr)")

    # --- attributes -------------------------------------------------------------------------
    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def name(self) -> str | None:
        """The variable's name for inputs, ``None`` for computed expressions."""
        return getattr(self.op, "var_name", None)

    @property
    def size(self) -> int | str:
        """The number of elements (an int; for symbolic shapes, a product like ``"n*3"``)."""
        factor, names = 1, []
        for d in self.shape:
            if isinstance(d, int):
                factor *= d
            else:
                names.append(d)
        if not names:
            return factor
        return "*".join(names + ([str(factor)] if factor != 1 else []))

    def __repr__(self) -> str:
        if self.name is not None:
            return f"var({self.name!r}, shape={self.shape!r}, dtype={self.dtype.name!r})"
        return f"<Expr {self.op.label()} {format_shape(self.shape)} {self.dtype.name}>"

    def _repr_svg_(self) -> str:
        """The graph behind this expression, for Jupyter (drawn by ``symgrad.draw``)."""
        return conveniences.picture(self)

    def __bool__(self) -> bool:
        raise TypeError(
            "the truth value of a symbolic expression is not known while the graph is built, "
            "so a Python `if` or `while` cannot test it. Decide inside the graph instead: "
            "sg.where(condition, a, b) picks values elementwise, sg.cond(pred, true_fn, "
            "false_fn, *operands) runs one branch, sg.while_loop(cond_fn, body_fn, init) loops"
        )

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d expression")
        if not isinstance(self.shape[0], int):
            raise TypeError(f"len() of an expression whose first dimension is {self.shape[0]!r}")
        return self.shape[0]

    def __iter__(self) -> Any:
        return (self[i] for i in range(len(self)))

    def __index__(self) -> int:
        raise TypeError("a symbolic expression cannot be used as a Python integer")

    def __float__(self) -> float:
        raise TypeError("a symbolic expression has no value until it is compiled and called")

    __int__ = __float__

    # Nodes are hashed by identity (hash-consing makes equal nodes one object); ``==`` builds
    # an elementwise comparison (symgrad.ops.array_methods).
    __hash__ = object.__hash__

    def eval(self, bindings: Mapping[Any, Any] | None = None) -> Any:
        """Compile this expression and evaluate it (with ``symgrad.compile``).

        ``bindings`` maps variables (or their names) to values.

        >>> import symgrad as sg
        >>> x = sg.var("x")
        >>> float((x * x + 1).eval({x: 3.0}))
        10.0
        """
        return conveniences.evaluate(self, bindings or {})


def _is_operand(value: Any) -> bool:
    """True for what ``==`` compares elementwise: expressions, numbers and array data."""
    return isinstance(value, (Expr, numbers.Number, np.generic, np.ndarray, list, tuple))


def same_nodes(a: Sequence[Expr], b: Sequence[Expr]) -> bool:
    """True if ``a`` and ``b`` hold the same nodes in the same order (by identity: ``==`` on
    nodes builds a comparison)."""
    return len(a) == len(b) and all(map(operator.is_, a, b))


# Nodes are made only by ``apply``, which sets the slots through their descriptors (Expr's
# own ``__setattr__`` refuses, to keep nodes immutable).
_new = Expr.__new__
_SLOTS = vars(Expr)
_set_op = _SLOTS["op"].__set__
_set_inputs = _SLOTS["inputs"].__set__
_set_shape = _SLOTS["shape"].__set__
_set_dtype = _SLOTS["dtype"].__set__
