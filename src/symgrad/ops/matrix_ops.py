"""The two kinds of ``np.linalg`` op: a function of one stack of matrices with one result
(``MatrixFunction``: inv, det, cholesky, pinv) or with several (``Factorization``:
slogdet, eigh, svd, qr), emitted as one NumPy call."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from ..core.dtypes import real_of
from ..core.expr import Expr
from ..core.shapes import Shape
from .base import EmitContext, Op
from .matrices import check_matrices, linalg_dtype
from .subgraph import TUPLE, MultiOutput


@dataclasses.dataclass(frozen=True)
class MatrixFunction(Op):
    """A function of one stack of matrices, emitted as one NumPy call."""

    square: ClassVar[bool] = True
    #: The emission, with ``{0}`` for the operand.
    template: ClassVar[str] = ""

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        (a,) = inputs
        check_matrices(self.name, a, self.square)
        return self.result_shape(a.shape), linalg_dtype(self.name, a.dtype)

    def result_shape(self, shape: Shape) -> Shape:
        return shape

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return self.template.format(*args)


@dataclasses.dataclass(frozen=True)
class Factorization(MultiOutput):
    """An ``np.linalg`` function with several results (slogdet, eigh, svd): one node whose
    items are the results, so that a graph using several of them (a value and its
    derivative do) makes the NumPy call once. Its reverse rule takes one cotangent per
    result (``None`` for those without), its forward rule gives one tangent per result."""

    fresh = True  # the results are new arrays
    square: ClassVar[bool] = True
    #: The results, named as NumPy's result tuple names them (also their emitted names).
    results: ClassVar[tuple[str, ...]]
    #: The names under which each result was once saved as an op of its own (loading
    #: graph files saved by earlier versions reads them as items of this op).
    former_ops: ClassVar[tuple[str, ...]] = ()
    #: The results that are real for complex matrices too (singular values, the eigenvalues
    #: of Hermitian matrices, the log of the absolute determinant), as NumPy gives them.
    real_results: ClassVar[tuple[str, ...]] = ()

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        (a,) = inputs
        check_matrices(self.name, a, self.square)
        linalg_dtype(self.name, a.dtype)
        return (), TUPLE

    @property
    def n_outputs(self) -> int:
        return len(self.results)

    def output_types_for(self, inputs: Sequence[Expr]) -> tuple[tuple[Shape, np.dtype], ...]:
        (a,) = inputs
        dtype = linalg_dtype(self.name, a.dtype)
        return tuple(
            (shape, real_of(dtype) if name in self.real_results else dtype)
            for name, shape in zip(self.results, self.result_shapes(a.shape))
        )

    def result_shapes(self, shape: Shape) -> tuple[Shape, ...]:
        raise NotImplementedError

    def output_hint(self, index: int) -> str:
        return self.results[index]

    def label(self) -> str:
        return Op.label(self)

    def numpy_call(self, arg: str, wanted: Sequence[int]) -> tuple[str, int | None]:
        """The NumPy call computing the results at positions ``wanted``, and the one result
        it gives if it gives only that one (``eigvalsh``), else ``None`` (all, as a tuple)."""
        raise NotImplementedError

    def emit_block(
        self, node: Expr, args: Sequence[str], outs: Sequence[str | None], ctx: Any
    ) -> list[str]:
        wanted = [i for i, out in enumerate(outs) if out is not None]
        call, single = self.numpy_call(args[0], wanted)
        if single is not None:
            return [f"{ctx.indent}{outs[single]} = {call}"]
        if len(wanted) == 1:
            (i,) = wanted
            return [f"{ctx.indent}{outs[i]} = {call}.{self.results[i]}"]
        names = [out or ctx.fresh(self.results[i]) for i, out in enumerate(outs)]
        lines = [f"{ctx.indent}{', '.join(names)} = {call}"]
        unused = [name for name, out in zip(names, outs) if out is None]
        if unused:
            lines.append(f"{ctx.indent}del {', '.join(unused)}")
        return lines
