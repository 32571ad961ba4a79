"""Contractions: ``einsum`` and the functions NumPy defines like it (tensordot, inner, kron,
trace, diagonal, diag).

Three ops: ``Einsum`` (a sum of products of several arrays over labelled axes), ``Diagonal``
(``np.diagonal``, a view) and ``DiagEmbed`` (zeros with a diagonal written in: the reverse
of ``Diagonal``). The public ``einsum`` takes a diagonal for every label repeated within one
operand, gives ellipsis axes letters of their own, and writes single-operand sums and
transposes as ``sum`` and ``transpose``; so an ``Einsum`` op sees distinct labels in each
operand, and its reverse rule is one einsum per operand.
"""

from __future__ import annotations

import builtins
import dataclasses
import re
import string
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.expr import Expr
from ..core.lazy import lazy_module
from ..core.shapes import Dim, Shape, broadcast_shapes, concrete, format_shape, normalize_axis
from ..errors import ShapeError
from . import elementwise as ew
from . import reductions, shape_ops
from .arguments import no_out
from .base import EmitContext, Op
from .leaves import as_expr, const

if TYPE_CHECKING:
    import sympy
else:
    sympy = lazy_module("sympy")

# --- the einsum op --------------------------------------------------------------------------

# The op's subscripts: explicit output, each term an optional leading '...' and letters.
_TERM = r"(?:\.\.\.)?[A-Za-z]*"
_SUBSCRIPTS = re.compile(rf"{_TERM}(?:,{_TERM})*->{_TERM}")
# Letters in the order NumPy's sublist form numbers them (0 is 'A', 26 is 'a').
_LETTERS = string.ascii_uppercase + string.ascii_lowercase


@dataclasses.dataclass(frozen=True)
class _Term:
    """One operand's (or the output's) subscripts: a leading '...' or not, then letters."""

    ellipsis: bool
    letters: str

    @classmethod
    def parse(cls, text: str) -> _Term:
        return cls(text.startswith("..."), text.removeprefix("..."))

    def text(self, ellipsis: bool | None = None) -> str:
        """The term as written; ``ellipsis`` forces the leading '...' on or off."""
        return ("..." if (self.ellipsis if ellipsis is None else ellipsis) else "") + self.letters


def _split(subscripts: str) -> tuple[list[_Term], _Term]:
    inputs, output = subscripts.split("->")
    return [_Term.parse(t) for t in inputs.split(",")], _Term.parse(output)


def _check_subscripts(subscripts: str) -> None:
    """The op's subscripts must be canonical: they reach the emitted source."""
    if not _SUBSCRIPTS.fullmatch(subscripts):
        raise ValueError(
            f"einsum: subscripts {subscripts!r:.80} are not of the form 'ij,jk->ik' "
            "(letters, an optional leading '...' per term, an explicit '->')"
        )
    terms, out = _split(subscripts)
    for term in [*terms, out]:
        if len(set(term.letters)) != len(term.letters):
            raise ValueError(f"einsum: a letter repeats within the term {term.text()!r}")
    missing = set(out.letters) - {c for t in terms for c in t.letters}
    if missing:
        raise ValueError(f"einsum: output letters {sorted(missing)} appear in no operand")
    if out.ellipsis != builtins.any(t.ellipsis for t in terms):
        raise ValueError("einsum: the output must have '...' exactly when an operand has it")


def _joined_size(label: str, known: Dim | None, dim: Dim) -> Dim:
    """The size of ``label`` given a previous size and another axis it labels (1 broadcasts)."""
    if known is None or known == dim or dim == 1:
        return dim if known is None else known
    if known == 1:
        return dim
    raise ShapeError("einsum", f"label {label!r} labels axes of sizes {known} and {dim}")


@dataclasses.dataclass(frozen=True)
class Einsum(Op):
    """Sums of products over labelled axes (``np.einsum``), in canonical subscripts.

    The output is explicit, labels are distinct within each operand, and a leading '...'
    broadcasts like NumPy's."""

    name = "einsum"
    dask = True
    subscripts: str

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_subscripts(self.subscripts)

    def parsed(self) -> tuple[list[_Term], _Term]:
        return _split(self.subscripts)

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        terms, out = self.parsed()
        if len(terms) != len(inputs):
            raise ShapeError(
                self.name, f"{len(terms)} operand subscripts for {len(inputs)} operands"
            )
        sizes: dict[str, Dim] = {}
        ellipses = []
        for i, (term, x) in enumerate(zip(terms, inputs)):
            n = len(term.letters)
            if x.ndim < n or (not term.ellipsis and x.ndim != n):
                raise ShapeError(
                    self.name,
                    f"operand {i} of shape {format_shape(x.shape)} does not fit the "
                    f"subscripts {term.text()!r}",
                )
            ellipses.append(x.shape[: x.ndim - n])
            for label, dim in zip(term.letters, x.shape[x.ndim - n :]):
                sizes[label] = _joined_size(label, sizes.get(label), dim)
        ellipsis = broadcast_shapes(self.name, *ellipses) if out.ellipsis else ()
        shape = ellipsis + tuple(sizes[label] for label in out.letters)
        return shape, np.result_type(*(x.dtype for x in inputs))

    def contracts(self) -> bool:
        """Whether some label is summed across operands (where NumPy's optimized path,
        which picks an order and calls BLAS, pays for its planning)."""
        terms, out = self.parsed()
        if len(terms) > 2:
            return True
        if len(terms) < 2:
            return False
        return bool((set(terms[0].letters) & set(terms[1].letters)) - set(out.letters))

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        optimize = ", optimize=True" if self.contracts() else ""
        return f"np.einsum('{self.subscripts}', {', '.join(args)}{optimize})"

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        terms, out = self.parsed()
        nb = ew.batch_of(cotangent, node)
        # Batch axes lead the cotangent; a leading '...' (merged with the op's own, if any)
        # carries them through every einsum below.
        dots = nb > 0 or out.ellipsis
        grads: list[Expr | None] = []
        for k, x in enumerate(node.inputs):
            if x.dtype.kind != "f":
                grads.append(None)
                continue
            others = [i for i in range(len(terms)) if i != k]
            elsewhere = set(out.letters).union(*(terms[i].letters for i in others))
            kept = "".join(c for c in terms[k].letters if c in elsewhere)
            subscripts = (
                ",".join([out.text(dots)] + [terms[i].text() for i in others])
                + "->"
                + _Term(dots, kept).text()
            )
            g = Einsum(subscripts)(cotangent, *(node.inputs[i] for i in others))
            grads.append(_fit_cotangent(g, x, terms[k].letters, kept, nb))
        return grads

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        terms, out = self.parsed()
        given = [(k, t) for k, t in enumerate(tangents) if t is not None]
        if not given:
            return None
        nb = ew.batch_of(given[0][1], node.inputs[given[0][0]])
        dots = nb > 0 or out.ellipsis
        ellipsis_ndim = node.ndim - len(out.letters)
        pieces = []
        for k, t in given:
            x = node.inputs[k]
            own = x.ndim - len(terms[k].letters)
            if dots and own < ellipsis_ndim:
                # Size-1 axes between the batch axes and the operand's own, so that the
                # batch axes stay in front of the broadcast '...' axes.
                t = shape_ops.reshape(t, t.shape[:nb] + (1,) * (ellipsis_ndim - own) + x.shape)
            subscripts = (
                ",".join(
                    terms[i].text(dots) if i == k else terms[i].text() for i in range(len(terms))
                )
                + "->"
                + out.text(dots)
            )
            operands = [t if i == k else y for i, y in enumerate(node.inputs)]
            pieces.append(Einsum(subscripts)(*operands))
        total = ew.add_tangents(*pieces)
        assert total is not None
        return ew.fit(total, node, nb)

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        return np.asarray(np.einsum(self.subscripts, *args), dtype=object)


def as_matrix_product(node: Expr) -> tuple[Expr, Expr] | None:
    """``(a, b)`` with ``node == a @ b`` if ``node`` is an einsum of two operands that is
    a product with a matrix: one operand a matrix (letters ``pq`` or ``qp``), the other
    ``[...]p`` or ``[...]rp``, the output the latter's free axes then ``q`` (as derivatives
    of matrix products are). ``None`` for other nodes."""
    if not isinstance(node.op, Einsum) or len(node.inputs) != 2:
        return None
    terms, out = node.op.parsed()
    for m, v in ((1, 0), (0, 1)):
        matrix, other = terms[m], terms[v]
        if matrix.ellipsis or len(matrix.letters) != 2 or len(other.letters) not in (1, 2):
            continue
        p = other.letters[-1]
        if p not in matrix.letters or matrix.letters[0] == matrix.letters[1]:
            continue
        q = matrix.letters[1] if matrix.letters[0] == p else matrix.letters[0]
        if out.ellipsis != other.ellipsis or out.letters != other.letters[:-1] + q:
            continue
        a, b = node.inputs[v], node.inputs[m]
        if matrix.letters[0] != p:  # the matrix is (q, p): its transpose is (p, q)
            b = shape_ops.transpose(b)
        return a, b
    return None


def _fit_cotangent(g: Expr, x: Expr, letters: str, kept: str, nb: int) -> Expr:
    """The einsum ``g`` (batch and '...' axes, then the ``kept`` letters of ``x``) as the
    cotangent of ``x``: constant along the letters only ``x`` has, and along the axes ``x``
    had larger than the operands ``g`` was computed from; summed where ``x`` broadcast."""
    lead = g.shape[: g.ndim - len(kept)]
    sizes = dict(zip(kept, g.shape[len(lead) :]))
    own = dict(zip(letters, x.shape[x.ndim - len(letters) :]))
    if kept != letters:
        g = shape_ops.reshape(g, lead + tuple(sizes.get(c, 1) for c in letters))
    full = lead + tuple(sizes.get(c, 1) if own[c] == 1 else own[c] for c in letters)
    g = shape_ops.broadcast_to(g, full)
    return shape_ops.astype(reductions.sum_to(g, x.shape, nb), x.dtype)


# --- diagonals ------------------------------------------------------------------------------


def _diagonal_length(op: str, n1: Dim, n2: Dim, offset: int) -> Dim:
    if isinstance(n1, int) and isinstance(n2, int):
        rows, cols = n1 + builtins.min(offset, 0), n2 - builtins.max(offset, 0)
        return builtins.max(0, builtins.min(rows, cols))
    if offset == 0 and n1 == n2:
        return n1
    raise ShapeError(
        op, f"the diagonal (offset {offset}) of axes of sizes {n1} and {n2} has no known length"
    )


def _diagonal_shape(op: str, shape: Shape, offset: int, axis1: int, axis2: int) -> Shape:
    if len(shape) < 2:
        raise ShapeError(op, f"needs an array of at least 2 dimensions, got {format_shape(shape)}")
    if builtins.max(axis1, axis2) >= len(shape) or axis1 == axis2 or builtins.min(axis1, axis2) < 0:
        raise ShapeError(op, f"axes {axis1} and {axis2} are not two axes of a {len(shape)}-d array")
    rest = tuple(d for i, d in enumerate(shape) if i not in (axis1, axis2))
    return rest + (_diagonal_length(op, shape[axis1], shape[axis2], offset),)


@dataclasses.dataclass(frozen=True)
class Diagonal(Op):
    """A diagonal of the planes of two axes, as the last axis (``np.diagonal``, a view).

    The axes ``axis1`` and ``axis2`` are removed; ``offset`` > 0 is above the main diagonal."""

    name = "diagonal"
    dask = True
    fresh = False  # a view
    offset: int
    axis1: int
    axis2: int

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        (x,) = inputs
        return _diagonal_shape(self.name, x.shape, self.offset, self.axis1, self.axis2), x.dtype

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return f"np.diagonal({args[0]}, {self.offset}, {self.axis1}, {self.axis2})"

    def shifted(self, batch: int) -> Diagonal:
        return Diagonal(self.offset, self.axis1 + batch, self.axis2 + batch)

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        nb = ew.batch_of(cotangent, node)
        target = cotangent.shape[:nb] + node.inputs[0].shape
        return (DiagEmbed(self.offset, self.axis1 + nb, self.axis2 + nb, target)(cotangent),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        (t,) = tangents
        return None if t is None else self.shifted(ew.batch_of(t, node.inputs[0]))(t)

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        return np.array(np.diagonal(args[0], self.offset, self.axis1, self.axis2), dtype=object)


_DIAG_EMBED_HELPER = '''\
def _diag_embed(value, shape, offset, axis1, axis2):
    """Zeros of `shape` with `value` on the diagonal np.diagonal(out, offset, axis1, axis2)
    reads."""
    value = np.asarray(value)
    out = np.zeros(shape, dtype=value.dtype)
    rows = np.arange(value.shape[-1]) + max(-offset, 0)
    np.moveaxis(out, (axis1, axis2), (-2, -1))[..., rows, rows + offset] = value
    return out
'''


_DASK_DIAG_EMBED_HELPER = '''\
def _diag_embed(value, shape, offset, axis1, axis2):
    """Dask zeros of `shape` with `value` on the diagonal da.diagonal(out, offset, axis1,
    axis2) reads: the value, padded to the length of a column, where a mask of that
    diagonal is true."""
    value = da.asarray(value)
    rows, columns = shape[axis1], shape[axis2]
    first = max(-offset, 0)
    widths = [(0, 0)] * (value.ndim - 1) + [(first, rows - first - value.shape[-1])]
    column = da.pad(value, widths)[..., :, None]
    out = da.where(np.eye(rows, columns, offset, dtype=bool), column, 0)
    return da.moveaxis(out, (-2, -1), (axis1, axis2))
'''


@dataclasses.dataclass(frozen=True)
class DiagEmbed(Op):
    """Zeros of shape ``target`` with the input on a diagonal: the reverse of ``Diagonal``."""

    name = "diag_embed"
    helpers = {"_diag_embed": _DIAG_EMBED_HELPER}
    keeps_positions = True
    dask = True
    dask_helpers = {"_diag_embed": _DASK_DIAG_EMBED_HELPER}
    offset: int
    axis1: int
    axis2: int
    target: Shape

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        (v,) = inputs
        expected = _diagonal_shape(self.name, self.target, self.offset, self.axis1, self.axis2)
        if v.shape != expected:
            raise ShapeError(
                self.name,
                f"a diagonal of shape {format_shape(v.shape)} does not fit "
                f"{format_shape(self.target)} (offset {self.offset}, axes {self.axis1}, "
                f"{self.axis2}), whose diagonal has shape {format_shape(expected)}",
            )
        return self.target, v.dtype

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return (
            f"_diag_embed({args[0]}, {ctx.shape(self.target)}, {self.offset}, "
            f"{self.axis1}, {self.axis2})"
        )

    def emit_dask(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return self.emit(node, args, ctx)  # the same call, of the Dask helper

    def label(self) -> str:
        return f"diag_embed(offset={self.offset}, axes=({self.axis1}, {self.axis2}))"

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        nb = ew.batch_of(cotangent, node)
        return (Diagonal(self.offset, self.axis1 + nb, self.axis2 + nb)(cotangent),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        (t,) = tangents
        if t is None:
            return None
        nb = ew.batch_of(t, node.inputs[0])
        target = t.shape[:nb] + self.target
        return DiagEmbed(self.offset, self.axis1 + nb, self.axis2 + nb, target)(t)

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        (diagonal,) = args
        out = np.full(concrete(self.name, self.target), sympy.Integer(0), dtype=object)
        rows = np.arange(diagonal.shape[-1]) + builtins.max(-self.offset, 0)
        plane = np.moveaxis(out, (self.axis1, self.axis2), (-2, -1))
        plane[..., rows, rows + self.offset] = diagonal
        return out


_ADD_DIAGONAL_HELPER = '''\
def _add_diagonal(out, value):
    """`out` (square) with `value` added to its main diagonal, in place."""
    rows = np.arange(out.shape[-1])
    out[rows, rows] += value
    return out
'''


@dataclasses.dataclass(frozen=True)
class AddDiagonal(Op):
    """A square matrix with a vector added to its main diagonal: ``base + diag(value)``
    without the zeros off the diagonal (what a sum with a Jacobian's seeds becomes)."""

    name = "add_diagonal"
    helpers = {"_add_diagonal": _ADD_DIAGONAL_HELPER}
    keeps_positions = True
    # On Dask the diagonal is a lazy matrix added to the base (nothing is written in place).
    dask = True
    dask_helpers = {"_diag_embed": _DASK_DIAG_EMBED_HELPER}

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        base, value = inputs
        if base.ndim != 2 or base.shape[0] != base.shape[1] or value.shape != base.shape[:1]:
            raise ShapeError(
                self.name,
                f"needs a square matrix and its diagonal's shape, got "
                f"{format_shape(base.shape)} and {format_shape(value.shape)}",
            )
        if value.dtype != base.dtype:
            raise ShapeError(self.name, f"dtypes {base.dtype} and {value.dtype} differ")
        return base.shape, base.dtype

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return f"_add_diagonal(np.array({args[0]}), {args[1]})"

    def emit_into(self, node: Expr, args: Sequence[str], out: str) -> str | None:
        return f"_add_diagonal({out}, {args[1]})" if out == args[0] else None

    def emit_dask(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return f"{args[0]} + _diag_embed({args[1]}, {ctx.shape(node.shape)}, 0, 0, 1)"

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        nb = ew.batch_of(cotangent, node)
        return cotangent, Diagonal(0, nb, nb + 1)(cotangent)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        t_base, t_value = tangents
        if t_value is None:
            return t_base
        nb = ew.batch_of(t_value, node.inputs[1])
        target = t_value.shape[:nb] + node.shape
        embedded = DiagEmbed(0, nb, nb + 1, target)(t_value)
        return embedded if t_base is None else ew.add(t_base, embedded)

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        base, value = args
        out = np.array(base, dtype=object)
        for i in range(out.shape[0]):
            out[i, i] = out[i, i] + value[i]
        return out


# --- einsum: from NumPy's subscripts to the op ----------------------------------------------

Label = str | int  # a letter, or an ellipsis axis counted from the right (-1 is the last)


def _term_labels(term: str, ndim: int, i: int) -> list[Label]:
    """The labels of operand ``i``'s axes, ellipsis axes as negative ints."""
    if term.count("...") > 1:
        raise ValueError(f"einsum: operand {i}'s subscripts {term!r} have more than one '...'")
    if "." in term.replace("...", ""):
        raise ValueError(f"einsum: a '.' in {term!r} is not part of an ellipsis ('...')")
    head, dots, tail = term.partition("...")
    extra = ndim - len(head) - len(tail)
    if extra < 0 or (extra and not dots):
        raise ValueError(
            f"einsum: operand {i} has {ndim} dimensions but its subscripts {term!r} "
            f"name {len(head) + len(tail)}" + ("" if dots else " and have no '...'")
        )
    return [*head, *range(-extra, 0), *tail]


def _ellipsis_ndim(inputs: list[list[Label]]) -> int:
    """How many axes the operands' '...' broadcast to."""
    return builtins.max(builtins.sum(isinstance(c, int) for c in labels) for labels in inputs)


def _output_labels(term: str | None, inputs: list[list[Label]]) -> list[Label]:
    ellipsis = list(range(-_ellipsis_ndim(inputs), 0))
    letters = [c for labels in inputs for c in labels if isinstance(c, str)]
    if term is None:  # implicit: '...' axes, then the letters used once, in ASCII order
        return [*ellipsis, *sorted(c for c in set(letters) if letters.count(c) == 1)]
    if term.count("...") > 1 or "." in term.replace("...", ""):
        raise ValueError(f"einsum: the output subscripts {term!r} have a stray '.'")
    head, dots, tail = term.partition("...")
    for c in head + tail:
        if (head + tail).count(c) > 1:
            raise ValueError(f"einsum: output subscript {c!r} appears more than once")
        if c not in letters:
            raise ValueError(f"einsum: output subscript {c!r} appears in no operand")
    return [*head, *(ellipsis if dots else []), *tail]


def _parse(subscripts: str, ndims: Sequence[int]) -> tuple[list[list[str]], list[str], set[str]]:
    """NumPy's einsum subscripts as letters for each operand axis and output axis; ellipsis
    axes get letters of their own (right-aligned, so they broadcast as NumPy's do), which
    are returned too."""
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: subscripts must be a str, got {type(subscripts).__name__}")
    text = subscripts.replace(" ", "")
    bad = sorted(set(text) - set(_LETTERS + ".,->"))
    if bad:
        raise ValueError(
            f"einsum: invalid character {bad[0]!r} in subscripts {subscripts!r:.80}; "
            "use letters, ',', '...' and '->'"
        )
    parts = text.split("->")
    if len(parts) > 2 or builtins.any(c in p for p in parts for c in "->"):
        raise ValueError(
            f"einsum: subscripts {subscripts!r} need at most one '->' and no lone - or >"
        )
    terms = parts[0].split(",")
    if len(terms) != len(ndims):
        raise ValueError(
            f"einsum: subscripts {subscripts!r} describe {len(terms)} operands, "
            f"but {len(ndims)} were given"
        )
    inputs = [_term_labels(t, n, i) for i, (t, n) in enumerate(zip(terms, ndims))]
    output = _output_labels(parts[1] if len(parts) == 2 else None, inputs)
    # Letters for ellipsis axes: ones the subscripts do not use, from the end of the alphabet.
    used = {c for labels in inputs for c in labels if isinstance(c, str)}
    preferred = string.ascii_uppercase[::-1] + string.ascii_lowercase[::-1]
    spare = [c for c in preferred if c not in used]
    count = _ellipsis_ndim(inputs)
    if count > len(spare):
        raise ValueError("einsum: too many axes for the 52 letters einsum labels them with")
    fresh = dict(zip(range(-count, 0), sorted(spare[:count])))

    def letter(label: str | int) -> str:
        return label if isinstance(label, str) else fresh[label]

    return (
        [[letter(c) for c in labels] for labels in inputs],
        [letter(c) for c in output],
        set(fresh.values()),
    )


def _check_ellipsis_broadcast(xs: list[Expr], inputs: list[list[str]], ellipsis: set[str]) -> None:
    shapes = [
        tuple(d for c, d in zip(labels, x.shape) if c in ellipsis) for x, labels in zip(xs, inputs)
    ]
    try:
        broadcast_shapes("einsum", *shapes)
    except ShapeError:
        listing = ", ".join(format_shape(s) for s in shapes)
        raise ShapeError(
            "einsum", f"the '...' axes of the operands, {listing}, cannot be broadcast together"
        ) from None


def _distinct_labels(x: Expr, labels: list[str], i: int) -> tuple[Expr, list[str]]:
    """``x`` with a diagonal taken for each label it repeats (``'ii'``), and its labels."""
    while len(set(labels)) != len(labels):
        label = next(c for c in labels if labels.count(c) > 1)
        a1 = labels.index(label)
        a2 = labels.index(label, a1 + 1)
        if x.shape[a1] != x.shape[a2]:
            raise ShapeError(
                "einsum",
                f"operand {i} repeats label {label!r} on axes of sizes {x.shape[a1]} "
                f"and {x.shape[a2]}",
            )
        x = Diagonal(0, a1, a2)(x)
        labels = [c for j, c in enumerate(labels) if j not in (a1, a2)] + [label]
    return x, labels


def _one_operand(x: Expr, labels: list[str], output: list[str]) -> Expr:
    """A single-operand einsum: a sum over the dropped labels and a transpose."""
    summed = tuple(j for j, c in enumerate(labels) if c not in output)
    y = x
    if summed:
        # np.einsum keeps the operand's dtype (its integer sums wrap, bools become "any").
        y = shape_ops.astype(reductions.sum(x, axis=summed), x.dtype)
    kept = [c for c in labels if c in output]
    return shape_ops.transpose(y, [kept.index(c) for c in output])


def _sublist_subscripts(args: Sequence[Any]) -> tuple[str, list[Any]]:
    """NumPy's other form, ``einsum(a, [0, 1], b, [1, 2], [0, 2])``, as subscripts."""
    output = args[-1] if len(args) % 2 else None
    pairs = args[:-1] if len(args) % 2 else args
    operands, sublists = list(pairs[0::2]), list(pairs[1::2])

    def term(sublist: Any) -> str:
        text = []
        for s in sublist:
            if s is Ellipsis:
                text.append("...")
            elif isinstance(s, (int, np.integer)) and not isinstance(s, bool) and 0 <= s < 52:
                text.append(_LETTERS[int(s)])
            else:
                raise ValueError(f"einsum: subscript {s!r} in a sublist is not an int in [0, 52)")
        return "".join(text)

    subscripts = ",".join(term(s) for s in sublists)
    return subscripts + ("" if output is None else "->" + term(output)), operands


def _as_operand(value: Any) -> Expr:
    # NumPy turns Python numbers into float64/int64 arrays here (no weak scalars).
    return value if isinstance(value, Expr) else const(value)


def einsum(*operands: Any, optimize: Any = False) -> Expr:
    """Einstein summation, like ``np.einsum``: ``einsum("ij,jk->ik", a, b)`` is ``a @ b``.

    Takes every form NumPy does: implicit or explicit output (``->``), ``...`` for
    broadcast axes, repeated labels within one operand (``"ii->"`` is the trace, ``"ii->i"``
    the diagonal), any number of operands, and the sublist form ``einsum(a, [0, 1], b, [1,
    2])``. ``optimize`` is accepted for compatibility: the compiled code lets NumPy choose
    the contraction order wherever something is contracted.

    >>> import symgrad as sg
    >>> a, b = sg.var("a", shape=(5, 2, 3)), sg.var("b", shape=(5, 3, 4))
    >>> sg.einsum("bij,bjk->bik", a, b).shape
    (5, 2, 4)
    """
    if not operands:
        raise TypeError("einsum: needs subscripts and at least one operand")
    if isinstance(operands[0], str):
        subscripts, arrays = operands[0], list(operands[1:])
    else:
        subscripts, arrays = _sublist_subscripts(operands)
    if not arrays:
        raise TypeError("einsum: needs at least one operand")
    xs = [_as_operand(a) for a in arrays]
    inputs, output, ellipsis = _parse(subscripts, [x.ndim for x in xs])
    _check_ellipsis_broadcast(xs, inputs, ellipsis)
    pairs = [_distinct_labels(x, labels, i) for i, (x, labels) in enumerate(zip(xs, inputs))]
    if len(pairs) == 1:
        return _one_operand(*pairs[0], output)
    text = ",".join("".join(labels) for _, labels in pairs) + "->" + "".join(output)
    return Einsum(text)(*(x for x, _ in pairs))


# --- functions NumPy defines by contraction -------------------------------------------------


def _tensordot_axes(axes: Any, a: Expr, b: Expr) -> tuple[list[int], list[int]]:
    if isinstance(axes, (int, np.integer)) and not isinstance(axes, bool):
        n = int(axes)
        if n < 0 or n > builtins.min(a.ndim, b.ndim):
            raise ShapeError(
                "tensordot",
                f"axes={n} does not fit shapes {format_shape(a.shape)} and {format_shape(b.shape)}",
            )
        return list(range(a.ndim - n, a.ndim)), list(range(n))
    try:
        axes_a, axes_b = axes
    except (TypeError, ValueError):
        raise TypeError(
            f"tensordot: axes must be an int or a pair of sequences of axes, got {axes!r}"
        ) from None
    axes_a = [axes_a] if isinstance(axes_a, (int, np.integer)) else list(axes_a)
    axes_b = [axes_b] if isinstance(axes_b, (int, np.integer)) else list(axes_b)
    if len(axes_a) != len(axes_b):
        raise ShapeError("tensordot", f"{len(axes_a)} axes of a paired with {len(axes_b)} of b")
    out_a = [normalize_axis("tensordot", int(ax), a.ndim) for ax in axes_a]
    out_b = [normalize_axis("tensordot", int(ax), b.ndim) for ax in axes_b]
    if len(set(out_a)) != len(out_a) or len(set(out_b)) != len(out_b):
        raise ShapeError("tensordot", f"repeated axis in axes={axes!r}")
    return out_a, out_b


def tensordot(a: Any, b: Any, axes: Any = 2) -> Expr:
    """Sum of products over ``axes`` of ``a`` and ``b``, like ``np.tensordot``: an int ``n``
    pairs the last ``n`` axes of ``a`` with the first ``n`` of ``b``; a pair of sequences
    names the axes. The result has the other axes of ``a``, then those of ``b``.

    >>> import symgrad as sg
    >>> a, b = sg.var("a", shape=(3, 4, 5)), sg.var("b", shape=(4, 5, 2))
    >>> sg.tensordot(a, b).shape
    (3, 2)
    """
    a, b = _as_operand(a), _as_operand(b)
    axes_a, axes_b = _tensordot_axes(axes, a, b)
    for i, j in zip(axes_a, axes_b):
        if a.shape[i] != b.shape[j]:
            raise ShapeError(
                "tensordot",
                f"shape-mismatch for sum: axis {i} of {format_shape(a.shape)} has size "
                f"{a.shape[i]}, axis {j} of {format_shape(b.shape)} has size {b.shape[j]}",
            )
    if a.ndim + b.ndim - len(axes_a) > len(string.ascii_letters):
        raise ShapeError("tensordot", "too many axes for einsum's 52 letters")
    letters = iter(string.ascii_letters)
    labels_a = [next(letters) for _ in range(a.ndim)]
    labels_b = [next(letters) for _ in range(b.ndim)]
    for i, j in zip(axes_a, axes_b):
        labels_b[j] = labels_a[i]
    free = [c for i, c in enumerate(labels_a) if i not in axes_a] + [
        c for j, c in enumerate(labels_b) if j not in axes_b
    ]
    return Einsum(f"{''.join(labels_a)},{''.join(labels_b)}->{''.join(free)}")(a, b)


def inner(a: Any, b: Any) -> Expr:
    """Inner product over the last axes, like ``np.inner``: for vectors the dot product; the
    result has the other axes of ``a``, then those of ``b``.

    >>> import symgrad as sg
    >>> sg.inner(sg.var("a", shape=(2, 3)), sg.var("b", shape=(4, 3))).shape
    (2, 4)
    """
    a, b = _as_operand(a), _as_operand(b)
    if a.ndim == 0 or b.ndim == 0:
        return ew.multiply(a, b)
    if a.shape[-1] != b.shape[-1]:
        raise ShapeError(
            "inner",
            f"shapes {format_shape(a.shape)} and {format_shape(b.shape)} not aligned: "
            f"last dimensions {a.shape[-1]} and {b.shape[-1]} differ",
        )
    return tensordot(a, b, ([-1], [-1]))


def _product_dim(da: Dim, db: Dim) -> Dim:
    if isinstance(da, int) and isinstance(db, int):
        return da * db
    if da == 1 or db == 1:
        return db if da == 1 else da
    raise ShapeError("kron", f"the product of the dimensions {da} and {db} is not a known size")


def kron(a: Any, b: Any) -> Expr:
    """Kronecker product, like ``np.kron``: blocks of ``b`` scaled by the elements of ``a``
    (the shorter shape is padded with leading 1s).

    >>> import symgrad as sg
    >>> sg.kron(sg.var("a", shape=(2, 2)), sg.var("b", shape=(3, 4))).shape
    (6, 8)
    """
    a, b = _as_operand(a), _as_operand(b)
    if a.ndim == 0 or b.ndim == 0:
        return ew.multiply(a, b)
    nd = builtins.max(a.ndim, b.ndim)
    sa = (1,) * (nd - a.ndim) + a.shape
    sb = (1,) * (nd - b.ndim) + b.shape
    # Interleave the axes, a's before b's, so that the product's reshape lays out the blocks.
    wide_a = shape_ops.reshape(a, tuple(d for da in sa for d in (da, 1)))
    wide_b = shape_ops.reshape(b, tuple(d for db in sb for d in (1, db)))
    shape = tuple(_product_dim(da, db) for da, db in zip(sa, sb))
    return shape_ops.reshape(ew.multiply(wide_a, wide_b), shape)


def _two_axes(op: str, x: Expr, axis1: int, axis2: int) -> tuple[int, int]:
    if x.ndim < 2:
        raise ShapeError(
            op, f"needs an array of at least 2 dimensions, got {format_shape(x.shape)}"
        )
    a1, a2 = normalize_axis(op, axis1, x.ndim), normalize_axis(op, axis2, x.ndim)
    if a1 == a2:
        raise ShapeError(op, f"axis1 and axis2 cannot be the same (both are axis {a1})")
    return a1, a2


def _offset(op: str, offset: Any) -> int:
    if not isinstance(offset, (int, np.integer)) or isinstance(offset, bool):
        raise TypeError(f"{op}: offset must be an int, got {offset!r}")
    return int(offset)


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Expr:
    """The diagonal ``offset`` (above the main one if positive) of the planes of ``axis1``
    and ``axis2``, like ``np.diagonal``: those axes go and the diagonal is the last axis.

    >>> import symgrad as sg
    >>> sg.diagonal(sg.var("x", shape=(3, 4)), offset=1).shape
    (3,)
    """
    x = as_expr(a)
    a1, a2 = _two_axes("diagonal", x, axis1, axis2)
    return Diagonal(_offset("diagonal", offset), a1, a2)(x)


def trace(
    a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None, out: None = None
) -> Expr:
    """Sum along a diagonal, like ``np.trace`` (integers are summed in the platform integer).

    >>> import numpy as np, symgrad as sg
    >>> float(sg.trace(sg.const(np.eye(3))).eval())
    3.0
    """
    no_out("trace", out)
    d = diagonal(a, offset, axis1, axis2)
    if dtype is not None:
        d = shape_ops.astype(d, dtype)
    return reductions.sum(d, axis=-1)


def diag(v: Any, k: int = 0) -> Expr:
    """Like ``np.diag``: for a 1-d ``v``, the 2-d array with ``v`` on its diagonal ``k``;
    for a 2-d ``v``, its diagonal ``k``.

    >>> import symgrad as sg
    >>> sg.diag(sg.var("v", shape=(3,)), k=1).shape
    (4, 4)
    """
    x = as_expr(v)
    k = _offset("diag", k)
    if x.ndim == 2:
        return diagonal(x, k)
    if x.ndim != 1:
        raise ShapeError("diag", f"input must be 1- or 2-d, got shape {format_shape(x.shape)}")
    n = x.shape[0]
    if not isinstance(n, int) and k != 0:
        raise ShapeError(
            "diag", f"an off-diagonal (k={k}) of the symbolic size {n} has no known size"
        )
    side = n + builtins.abs(k) if isinstance(n, int) else n
    return DiagEmbed(k, 0, 1, (side, side))(x)
