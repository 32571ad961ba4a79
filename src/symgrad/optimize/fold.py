"""Constant folding: an op whose inputs are all constants becomes a constant.

Only small results are folded (a broadcast of a scalar to a million elements stays a
broadcast, which costs no memory); the value is computed by the op's own NumPy emission, so
folding gives exactly what the emitted code would.
"""

from __future__ import annotations

import importlib

import numpy as np

from ..core.expr import Expr, apply
from ..core.shapes import is_concrete
from ..ops import shape_ops
from ..ops.base import Op, as_helper
from ..ops.leaves import Constant
from ..ops.subgraph import Item, MultiOutput
from .patterns import fill_value
from .rewrite import Pass

FOLD_LIMIT = 256  # elements; larger results stay computed at run time
_CONSTANT_LIKE = (Constant, shape_ops.BroadcastTo, shape_ops.Reshape)


class _ConcreteShapes:
    def dim(self, dim: int | str) -> str:
        if type(dim) is not int:  # a symbolic size is unknown here (and never source text)
            raise ValueError(f"the symbolic dimension {dim!r} has no value yet")
        return str(dim)

    def shape(self, shape: tuple[int | str, ...]) -> str:
        return f"({', '.join(map(self.dim, shape))}{',' if len(shape) == 1 else ''})"


class _BlockOnConstants(_ConcreteShapes):
    """What a multi-output op's ``emit_block`` may ask, for folding its results."""

    indent = ""

    def __init__(self) -> None:
        self._count = 0

    def fresh(self, hint: str) -> str:
        self._count += 1
        return f"_unused{self._count}"


def _constant_values(nodes: tuple[Expr, ...]) -> list[np.ndarray] | None:
    """The values of ``nodes`` if every one is a constant, else ``None``."""
    values = []
    for x in nodes:
        if not isinstance(x.op, Constant):
            return None
        values.append(x.op.value)
    return values


def _fold(node: Expr) -> Expr | None:
    inputs = node.inputs
    if not inputs:
        return None
    values = _constant_values(inputs)
    if values is None:
        return _fold_fills(node) if node.op.accepts_weak_scalars else None
    if not is_concrete(node.shape) or int(np.prod(node.shape, dtype=np.int64)) > FOLD_LIMIT:
        return None
    names = [f"_{i}" for i in range(len(node.inputs))]
    namespace: dict[str, object] = {"np": np}
    for helper in node.op.helpers.values():
        helper = as_helper(helper)
        namespace.update({m: importlib.import_module(m) for m in helper.imports})
        exec(helper.source, namespace)  # the op's own helper functions, from its definition
    namespace.update(zip(names, values))
    try:
        with np.errstate(all="ignore"):
            value = eval(node.op.emit(node, names, _ConcreteShapes()), namespace)
    except (ArithmeticError, ValueError, TypeError, IndexError):
        return None  # left to fail, or warn, at run time as written
    value = np.asarray(value)
    if value.dtype != node.dtype or value.shape != node.shape:
        return None
    # Never weak: the node it replaces was a NumPy value to its consumers (the emitter writes
    # operands that are all Python numbers as typed scalars), which a bare literal is not.
    return apply(Constant(value), ())


def _fold_item(node: Expr) -> Expr | None:
    """A result of a multi-output op without bodies (a decomposition) on constants, computed
    by the op's own block of statements."""
    item, source = node.op, node.inputs[0]
    op = source.op
    if not isinstance(item, Item) or not isinstance(op, MultiOutput) or op.bodies():
        return None
    values = _constant_values(source.inputs)
    if (
        values is None
        or not is_concrete(node.shape)
        or int(np.prod(node.shape, dtype=np.int64)) > FOLD_LIMIT
    ):
        return None
    names = [f"_{i}" for i in range(len(source.inputs))]
    outs = [f"_out{i}" for i in range(op.n_outputs)]
    namespace: dict[str, object] = {"np": np}
    namespace.update(zip(names, values))
    try:
        with np.errstate(all="ignore"):
            exec("\n".join(op.emit_block(source, names, outs, _BlockOnConstants())), namespace)
    except (ArithmeticError, ValueError, TypeError, IndexError, np.linalg.LinAlgError):
        return None  # left to fail at run time as written
    value = np.asarray(namespace[outs[item.index]])
    if value.dtype != node.dtype or value.shape != node.shape:
        return None
    return apply(Constant(value), ())


def _fold_fills(node: Expr) -> Expr | None:
    """An elementwise op on broadcast constants is a broadcast of the op on the scalars."""
    for x in node.inputs:
        if not isinstance(x.op, _CONSTANT_LIKE):
            return None
    values = [fill_value(x) for x in node.inputs]
    if any(v is None for v in values):
        return None
    scalars = tuple(
        apply(Constant(np.asarray(v, x.dtype)), ()) for v, x in zip(values, node.inputs)
    )
    folded = _fold(node.op(*scalars))
    if folded is None:
        return None
    return shape_ops.broadcast_to(folded, node.shape)


fold_constants = Pass(
    "fold_constants",
    [
        # (the ops a rule rewrites, the rule, the ops one of the inputs must be)
        (Item, _fold_item, (MultiOutput,)),
        (Op, _fold, _CONSTANT_LIKE),
    ],
)
