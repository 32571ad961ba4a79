"""The op interface: everything the compiler passes know about an operation.

Each op is a frozen dataclass (its fields are its parameters, so ops compare and hash by
value) that holds in one place:

* ``infer``: the shape and dtype rule, run once when a node is built;
* ``emit``: the NumPy expression that computes it, one statement in the generated code;
* ``vjp``: the reverse-mode rule (cotangent of the output -> cotangent of each input);
* ``jvp``: the forward-mode rule (tangents of the inputs -> tangent of the output);
* ``to_sympy``: the translation to SymPy, on object arrays of SymPy expressions.

Passes look ops up only through this interface and the registry ``Op.registry``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, ClassVar, Protocol

import numpy as np

from ..core.expr import Expr, apply
from ..core.shapes import Shape


class EmitContext(Protocol):
    """What an op may ask of the code emitter."""

    def shape(self, shape: Shape) -> str:
        """Source text of a shape tuple, symbolic dims as the run-time sizes' names."""

    def dim(self, dim: int | str) -> str:
        """Source text of one dimension."""


class DaskEmitContext(EmitContext, Protocol):
    """What an op may also ask of the Dask writer."""

    def chunks(self, shape: Shape) -> str:
        """Source text of chunks for a new Dask array of ``shape``: along a dim that is the
        size of an input's axis, that axis's chunks; elsewhere Dask's default size."""


@dataclasses.dataclass(frozen=True)
class Op:
    """Base class of all operations. Subclasses set ``name`` and implement the rules."""

    name: ClassVar[str] = ""
    #: Functions the emitted code needs besides numpy: {function name: source}.
    helpers: ClassVar[dict[str, str]] = {}
    #: False where the output carries no derivative at all (comparisons, stop_gradient):
    #: differentiation does not look behind such nodes.
    differentiable: ClassVar[bool] = True
    #: True where the emission is NumPy arithmetic that types Python number literals after
    #: the array operands (NEP 50), so scalar constants may be written bare (``x * 2.0``).
    accepts_weak_scalars: ClassVar[bool] = False
    #: True where the result is a new array (not a view or alias of an input), so the
    #: emitter may later let another op write into it once it is dead.
    fresh: ClassVar[bool] = True
    #: For ops written ``a <op> b``: the operator whose augmented assignment (``a += b``)
    #: computes the op into ``a``'s buffer, as ``emit_into`` does.
    augmented: ClassVar[str] = ""
    #: True where the operands may be swapped (``b += a`` computes ``a + b`` into ``b``).
    commutative: ClassVar[bool] = False
    #: True where each output element depends only on the inputs' elements at the same
    #: (broadcast) index, so the emitter may compute the op a block of rows at a time.
    elementwise: ClassVar[bool] = False
    #: Whether the op computes on Dask arrays (``backend="dask"``) without gathering a whole
    #: array onto one machine. ``None``, the default, means: if it is ``elementwise`` (NumPy's
    #: ufuncs and ``np.where`` compute Dask arrays chunk by chunk). The emission on Dask is
    #: ``emit_dask`` where that gives one, else ``emit`` read with dask.array's function of
    #: each name NumPy's has (``np.einsum`` -> ``da.einsum``); ``dask_unsupported`` refines the
    #: declaration for ops that run on some nodes only.
    dask: ClassVar[bool | None] = None
    #: For an op that does not run on Dask: the nearest alternative, named in the error.
    dask_alternative: ClassVar[str] = ""
    #: Functions ``emit_dask``'s expressions call, as ``helpers`` for ``emit``.
    dask_helpers: ClassVar[dict[str, str]] = {}
    #: Every concrete op by name (for loading saved graphs and listing what is supported).
    registry: ClassVar[dict[str, type[Op]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("name")
        if name:
            if name in Op.registry:
                raise RuntimeError(f"two ops are named {name!r}")
            Op.registry[name] = cls

    def __post_init__(self) -> None:
        # Parameters reach the emitted source; check each against its declared type, so an
        # op built from a hostile file cannot carry text where a number belongs.
        for field in dataclasses.fields(self):
            check = _PARAMETER_CHECKS.get(str(field.type))
            if check is None:
                raise TypeError(
                    f"{type(self).__name__}.{field.name}: parameter type {field.type} has no check"
                )
            value = getattr(self, field.name)
            if not check(value):
                raise TypeError(
                    f"{self.name}: parameter {field.name}={value!r:.60} is not a {field.type}"
                )

    def __call__(self, *inputs: Expr) -> Expr:
        return apply(self, inputs)

    # --- the rules ----------------------------------------------------------------------------
    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        raise NotImplementedError(f"{type(self).__name__}.infer")

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        """A NumPy expression computing ``node`` from its inputs' source text ``args``."""
        raise NotImplementedError(f"{type(self).__name__}.emit")

    def emit_into(self, node: Expr, args: Sequence[str], out: str) -> str | None:
        """The emission writing the result into the existing array ``out`` (same shape and
        dtype, and dead after this statement), or ``None`` if the op cannot. The expression
        has the value ``out``, and may stand alone as a statement."""
        return None

    def emit_shared(self, node: Expr, args: Sequence[str]) -> tuple[str, str] | None:
        """For one of several results of one NumPy call (slogdet's sign and log, eigh's
        values and vectors, svd's factors): that call, and the attribute of its result this
        node is. The emitter makes the call once for all the nodes on the same inputs that
        name the same call; a node alone is emitted by ``emit``. ``None`` for other ops."""
        return None

    def emit_total(self, node: Expr, block: str, total: str) -> tuple[str, str] | None:
        """For an op reducing a whole array to one number, when the emitter computes its
        input a block at a time: the initial value of the running ``total``, and the
        statement folding the reduction of ``block`` into it. ``None`` if the op cannot."""
        return None

    def emit_placement(self, node: Expr, ctx: EmitContext) -> tuple[str, str] | None:
        """For an op whose result is zeros except for a copy of its one input (a scatter):
        the expression allocating those zeros, and the index (``[1:]``) where the input
        goes. The emitter can then compute the input straight into that part of the result
        instead of copying it there. ``None`` for other ops."""
        return None

    def emit_dask(self, node: Expr, args: Sequence[str], ctx: DaskEmitContext) -> str | None:
        """For the ``"dask"`` backend: an expression computing ``node`` on Dask arrays where
        ``emit``'s would not (a NumPy function Dask lacks, or has with other arguments), or
        ``None`` to use ``emit``'s."""
        return None

    def dask_unsupported(self, node: Expr) -> str | None:
        """Why the ``"dask"`` backend cannot compute ``node`` (with the nearest alternative),
        or ``None`` if it can (see ``dask``)."""
        runs = self.elementwise if self.dask is None else self.dask
        if runs:
            return None
        alternative = f"; {self.dask_alternative}" if self.dask_alternative else ""
        return f"Dask has no equivalent of {self.name}{alternative}"

    def emit_float(self, node: Expr, args: Sequence[str]) -> str | None:
        """For graphs of 0-d float64 values: a Python ``float`` (``math`` module) expression,
        or ``None`` if the op has none. ``math`` raises where NumPy returns inf or nan; the
        emitted code then reruns the NumPy version, so results never differ in kind."""
        return None

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        """Cotangents of the inputs; ``None`` where an input gets no gradient.

        ``cotangent`` has the node's shape, possibly after leading batch axes (Jacobians
        pass many cotangents at once); each input's cotangent keeps the same batch axes.
        """
        raise NotImplementedError(f"the op {self.name!r} has no reverse-mode rule")

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        """Tangent of the output; ``tangents`` has ``None`` for inputs with a zero tangent.

        Tangents have their input's shape after the same leading batch axes (if any); the
        result has the output's shape after those axes.
        """
        raise NotImplementedError(f"the op {self.name!r} has no forward-mode rule")

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        """The output as an object array of SymPy expressions, given the inputs as such."""
        raise NotImplementedError(f"the op {self.name!r} has no SymPy translation")

    # --- description --------------------------------------------------------------------------
    def params(self) -> dict[str, Any]:
        """The op's parameters by name (what makes two ops of one kind differ)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def label(self) -> str:
        """Short text naming the op and its parameters, for pictures and messages."""
        shown = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{self.name}({shown})" if shown else self.name


def _is_int(v: Any) -> bool:
    return type(v) is int


def _is_dim(v: Any) -> bool:
    return type(v) is int or type(v) is str


def _is_index_item(v: Any) -> bool:
    if not isinstance(v, tuple) or not v:
        return False
    if v[0] == "int":
        return len(v) == 2 and _is_int(v[1])
    if v[0] == "new":
        return len(v) == 1
    return v[0] == "slice" and len(v) == 4 and all(p is None or _is_int(p) for p in v[1:])


_PARAMETER_CHECKS: dict[str, Any] = {
    "int": _is_int,
    "bool": lambda v: type(v) is bool,
    "str": lambda v: type(v) is str,
    "np.dtype": lambda v: isinstance(v, np.dtype),
    "Shape": lambda v: type(v) is tuple and all(_is_dim(d) for d in v),
    "tuple[int, ...]": lambda v: type(v) is tuple and all(_is_int(a) for a in v),
    "tuple[IndexItem, ...]": lambda v: type(v) is tuple and all(_is_index_item(i) for i in v),
    "Dim": _is_dim,
}
