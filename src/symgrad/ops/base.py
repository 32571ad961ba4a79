"""The op interface: everything the compiler passes know about an operation.

Each op is a frozen dataclass (its fields are its parameters, so ops compare and hash by
value) that holds in one place:

* ``infer``: the shape and dtype rule, run once when a node is built;
* ``emit``: the NumPy expression that computes it, one statement in the generated code;
* ``vjp``: the reverse-mode rule (cotangent of the output -> cotangent of each input);
* ``jvp``: the forward-mode rule (tangents of the inputs -> tangent of the output);
* ``to_sympy``: the translation to SymPy, on object arrays of SymPy expressions.

Passes look ops up only through this interface and the registry ``Op.registry``.

Optional hints let the emitter do better; each has a default that is always correct:
``float_form``/``emit_float`` (the op on Python floats), ``emit_into`` (write into a dead
input's buffer), ``emit_total`` (a whole-array reduction folded block by block),
``emit_placement`` (a scatter whose input is computed in place), ``helpers`` (functions the
emitted module defines), and the flags ``elementwise``, ``fresh``, ``accepts_weak_scalars``
and ``differentiable``. An op with several results is a ``MultiOutput`` (``subgraph.py``).
Parameters are checked against their real types when an op is built. See
docs/adding-an-op.md.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Protocol

import numpy as np

from ..core.expr import Expr, apply
from ..core.shapes import MAX_BYTES, NUMPY_MAX_NDIM, Dim, Shape


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
    #: Functions the emitted code needs besides numpy: {function name: its source, or a
    #: :class:`Helper` naming the modules the source imports}.
    helpers: ClassVar[dict[str, str | Helper]] = {}
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
    #: True where each output element depends only on the inputs' elements at the same
    #: (broadcast) index, so the emitter may compute the op a block of rows at a time.
    elementwise: ClassVar[bool] = False
    #: True where the order of the inputs does not matter (``a + b == b + a``): pictures
    #: label the operands of every other op with their positions, and the emitter may
    #: compute ``a + b`` into ``b``'s buffer as ``b += a``.
    commutative: ClassVar[bool] = False
    #: True where the VJP gives every input exactly 0 where the cotangent is 0, whatever the
    #: inputs' values, inf and nan included: it adds, negates or selects the cotangent, or
    #: scales it by 0 or 1 (``add``, ``where``, ``maximum``, ``relu``). A masked cotangent
    #: (``symgrad.differentiate.masks``) passes such ops without needing a ``where``.
    keeps_zero_cotangents: ClassVar[bool] = False
    #: True for the op that reads one result of a multi-output node (``Item``); no other op
    #: takes such a node as an input.
    reads_results: ClassVar[bool] = False
    #: True where, as for elementwise ops, each output element is computed from input
    #: elements of its own position (``diag_embed`` and ``add_diagonal`` put a vector on a
    #: diagonal): what a selection discards may pass through such an op quietly, as
    #: through an elementwise one (see ``symgrad.emit.quiet``).
    keeps_positions: ClassVar[bool] = False
    #: The op on Python floats: an expression of the ``math`` module and builtins with
    #: ``{0}``, ``{1}``... for the operands (names, so they may appear more than once), or
    #: ``None``. Data, not code, so that every backend can reuse it.
    float_form: ClassVar[str | None] = None
    #: Whether the op computes on Dask arrays (``backend="dask"``) without gathering a whole
    #: array onto one machine. ``None``, the default, means: if it is ``elementwise`` (NumPy's
    #: ufuncs and ``np.where`` compute Dask arrays chunk by chunk). The emission on Dask is
    #: ``emit_dask`` where that gives one, else ``emit`` read with dask.array's function of
    #: each name NumPy's has (``np.einsum`` -> ``da.einsum``); ``dask_unsupported`` refines the
    #: declaration for ops that run on some nodes only.
    dask: ClassVar[bool | None] = None
    #: For an op that does not run on Dask: the nearest alternative, named in the error.
    dask_alternative: ClassVar[str] = ""
    #: True where the op's Dask code computes values while the graph is built (a branch's
    #: predicate, a loop's test at every step): everything else only builds the graph.
    dask_computes: ClassVar[bool] = False
    #: Functions ``emit_dask``'s expressions call, as ``helpers`` for ``emit``.
    dask_helpers: ClassVar[Mapping[str, str | Helper]] = {}
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
        for name, check, expected in parameter_checks(type(self)):
            value = getattr(self, name)
            if not check(value):
                raise TypeError(f"{self.name}: parameter {name}={value!r:.60} is not {expected}")

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """The names of the op's parameters, in order."""
        return tuple(name for name, _, _ in parameter_checks(cls))

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
        emitted code then reruns the NumPy version, so results never differ in kind. By
        default ``float_form`` filled with ``args``."""
        return None if self.float_form is None else self.float_form.format(*args)

    def vjp(self, node: Expr, cotangent: Any) -> Sequence[Expr | None]:
        """Cotangents of the inputs; ``None`` where an input gets no gradient.

        ``cotangent`` is an ``Expr`` with the node's shape, possibly after leading batch axes
        (Jacobians pass many cotangents at once); each input's cotangent keeps the same batch
        axes. A multi-output op (``MultiOutput``) receives a sequence instead, one cotangent
        per output (``None`` for an output that gets none). Each op's ``vjp`` declares the
        form it takes (``Expr`` or ``Sequence[Expr | None]``), so the type here is open.
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

    # --- selection ----------------------------------------------------------------------------
    def selection(self, node: Expr) -> Sequence[Expr | None] | None:
        """For ops that pass each output element on from one input (``where``, ``clip``,
        ``maximum``, ``max`` over axes, a ``cond`` branch): per input, a bool expression
        true where that input's cotangent may be nonzero (``None``: anywhere). Elementwise
        ops give masks broadcastable to the output's shape, other ops to the input's.

        Reverse mode keeps these masks on the cotangents flowing into the selected inputs,
        so that the elementwise ops behind them give exactly 0 elsewhere instead of
        ``0 * inf = nan`` (see ``symgrad.differentiate.masks``). ``None``: selects nothing."""
        return None

    def discards(self, node: Expr) -> Sequence[int]:
        """Positions of the inputs whose values reach the output only where selected, so
        that nan or inf elsewhere is dropped (``where``'s branches; a ``cond`` operand that
        one branch alone reads). The emitter computes what only such inputs read with
        floating-point warnings off: those positions are out of the branch's domain."""
        return ()

    # --- description --------------------------------------------------------------------------
    def params(self) -> dict[str, Any]:
        """The op's parameters by name (what makes two ops of one kind differ)."""
        # The fields from the cached checks: ``dataclasses.fields`` is slow, and this runs
        # for every node saved or drawn.
        return {name: getattr(self, name) for name, _, _ in parameter_checks(type(self))}

    def label(self) -> str:
        """Short text naming the op and its parameters, for pictures and messages."""
        shown = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{self.name}({shown})" if shown else self.name


@dataclasses.dataclass(frozen=True)
class Helper:
    r"""A function (or class) the emitted module defines, and the modules its source imports
    besides numpy (``("math",)``); the emitter writes those imports.

    >>> Helper("def _erf(x):\n    return np.vectorize(math.erf)(x)\n", ("math",)).imports
    ('math',)
    """

    source: str
    imports: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for module in self.imports:
            if not module.isidentifier():
                raise ValueError(f"helper import {module!r} is not a module name")


def as_helper(helper: str | Helper) -> Helper:
    """``helper`` as a :class:`Helper` (plain source text imports nothing but numpy)."""
    return helper if isinstance(helper, Helper) else Helper(helper)


# --- parameter checks -----------------------------------------------------------------------
# Built once per op class from its fields' real types (``typing.get_type_hints``), so they
# work whether or not the module defining the op postpones its annotations.

_CHECKS: dict[type, tuple[tuple[str, Callable[[Any], bool], str], ...]] = {}


def parameter_checks(cls: type) -> tuple[tuple[str, Callable[[Any], bool], str], ...]:
    """``(field name, check, what it expects)`` for each parameter of the op class ``cls``.

    Raises TypeError if a parameter's type is one no check exists for.
    """
    checks = _CHECKS.get(cls)
    if checks is None:
        hints = typing.get_type_hints(cls, include_extras=True)
        checks = tuple(
            (
                f.name,
                type_check(hints[f.name], f"{cls.__name__}.{f.name}"),
                _describe(hints[f.name]),
            )
            for f in dataclasses.fields(cls)
        )
        _CHECKS[cls] = checks
    return checks


def type_check(hint: Any, where: str = "a parameter") -> Callable[[Any], bool]:
    """A predicate accepting exactly the values of type ``hint``.

    Exact types for ``int``, ``bool`` and ``str`` (a bool is no int, a str subclass no str),
    finite floats for ``float`` (their ``repr`` is a literal), ``tuple[X, ...]`` and fixed
    tuples, unions, ``Literal`` and ``Annotated[T, predicate, ...]``; dtypes and symgrad's
    own classes (``Body``) by ``isinstance``. Anything else (``Any``, ``object``, lists,
    dicts, other classes) has no check: TypeError.
    """
    for alias, check, _ in _ALIAS_CHECKS:
        if hint == alias:
            return check
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Annotated:
        base = type_check(args[0], where)
        predicates = args[1:]
        return lambda v: base(v) and all(p(v) for p in predicates)
    if origin is typing.Union or origin is types.UnionType:
        options = [type_check(a, where) for a in args]
        return lambda v: any(check(v) for check in options)
    if origin is typing.Literal:
        allowed = [(type(a), a) for a in args]
        return lambda v: any(type(v) is t and v == a for t, a in allowed)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item = type_check(args[0], where)
            return lambda v: type(v) is tuple and all(item(x) for x in v)
        items = [type_check(a, where) for a in args]
        return lambda v: (
            type(v) is tuple and len(v) == len(items) and all(c(x) for c, x in zip(items, v))
        )
    if hint is float:
        return lambda v: type(v) is float and math.isfinite(v)
    if hint in (int, bool, str):
        return lambda v: type(v) is hint
    if hint is type(None):
        return lambda v: v is None
    if hint is np.dtype or (isinstance(hint, type) and hint.__module__.startswith("symgrad.")):
        return lambda v: isinstance(v, hint)  # the library's own types check their values
    raise TypeError(f"{where}: parameter type {hint!r} has no check")


def _is_dim(v: Any) -> bool:
    """A size (0 to the largest NumPy can hold) or a symbolic dimension's name."""
    return (type(v) is int and 0 <= v <= MAX_BYTES) or (type(v) is str and v != "")


# The shape aliases hold more than their types say: sizes NumPy can hold, names that are not
# empty, no more dimensions than NumPy allows.
_ALIAS_CHECKS: tuple[tuple[Any, Callable[[Any], bool], str], ...] = (
    (Dim, _is_dim, "a Dim (a size >= 0 or a dimension's name)"),
    (
        Shape,
        lambda v: type(v) is tuple and len(v) <= NUMPY_MAX_NDIM and all(map(_is_dim, v)),
        f"a Shape (at most {NUMPY_MAX_NDIM} sizes >= 0 or dimension names)",
    ),
)


def _describe(hint: Any) -> str:
    """Words for what a parameter of type ``hint`` must be."""
    for alias, _, words in _ALIAS_CHECKS:
        if hint == alias:
            return words
    if typing.get_origin(hint) is typing.Annotated:
        return _describe(typing.get_args(hint)[0])
    if hint is float:
        return "a finite float"
    if hint is int:
        return "an int"
    if isinstance(hint, type) and typing.get_origin(hint) is None:
        return f"a {hint.__name__}"
    return "of type " + str(hint).replace("typing.", "")
