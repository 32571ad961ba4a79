"""Rows building every op: how to build it and where its inputs may lie.

Shared by the derivative tests (finite differences, forward vs reverse, Jacobians, second
derivatives), the SymPy, save/load and inferred-dtype tests. Inputs are drawn away from
kinks and ties so finite differences are valid. Every registered op appears in some row's
graph (tests/test_op_coverage.py fails otherwise), so every op is tested by construction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import symgrad as sg
import symgrad.numpy as snp
from symgrad import linalg as la
from symgrad.ops import arrangement, contractions, shape_ops
from symgrad.ops.leaves import Eye
from symgrad.ops.recurrence import recurrence, shift


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable
    shapes: tuple
    low: float = -2.0
    high: float = 2.0
    smooth: bool = True  # has a second derivative at generic points
    has_sympy: bool = True  # every op has a SymPy translation
    numpy: Callable | None = None  # the same on NumPy arrays: values checked against it
    # nan reaches the graph's values (the nan-skipping reductions): SymPy's symbols are never
    # nan, so its form of the graph is not compared with the values
    nan_inside: bool = False

    def arrays(self, seed=0):
        rng = np.random.default_rng(seed)
        out = []
        for shape in self.shapes:
            a = rng.uniform(self.low, self.high, size=shape)
            out.append(a)
        return out


def _away_from_zero(x):
    return x


def numpy_style(name, build, shapes, *args, **kwargs):
    """A row written in NumPy (``np.sort(x)``, ``x[1, [0, 2]]``): on variables it builds a
    graph through NumPy's dispatch protocols, on arrays it computes the reference values."""
    return Case(name, build, shapes, *args, numpy=build, **kwargs)


# --- linear algebra: well-conditioned inputs built from uniform draws in [-1, 1] ---


def _eye_like(x, scale=1.0):
    return np.eye(x.shape[-1], dtype=x.dtype) * scale


def _invertible(a):
    """Diagonally dominant: diagonal entries of at least 3, the others in a row sum to at
    most 2 in absolute value."""
    return a + _eye_like(a, 4.0)


def _spd(x):
    """Symmetric positive definite, eigenvalues at least 3."""
    return x @ sg.swapaxes(x, -1, -2) + _eye_like(x, 3.0)


def _distinct_eigenvalues(x):
    """Symmetric with eigenvalues near 0, 8, 16: the perturbation has norm at most 3."""
    n = x.shape[-1]
    return (x + sg.swapaxes(x, -1, -2)) * 0.5 + np.diag(np.arange(n) * 8.0).astype(x.dtype)


def _separated(x):
    """Singular values near 4.5, 3, 1.5, ...: 0.2 * x moves them by at most 0.6."""
    m, n = x.shape[-2:]
    diagonal = np.eye(m, n) * (4.5 - 1.5 * np.arange(n))
    return x * 0.2 + diagonal.astype(x.dtype)


CASES = [
    Case("negative", lambda x: -x, ((3,),)),
    Case("sin", sg.sin, ((2, 3),)),
    Case("cos", sg.cos, ((3,),)),
    Case("tan", sg.tan, ((3,),), -1.0, 1.0),
    Case("arcsin", sg.arcsin, ((3,),), -0.8, 0.8),
    Case("arccos", sg.arccos, ((3,),), -0.8, 0.8),
    Case("arctan", sg.arctan, ((3,),)),
    Case("sinh", sg.sinh, ((3,),)),
    Case("cosh", sg.cosh, ((3,),)),
    Case("tanh", sg.tanh, ((3,),)),
    Case("exp", sg.exp, ((3,),)),
    Case("log", sg.log, ((3,),), 0.3, 3.0),
    Case("log1p", sg.log1p, ((3,),), -0.5, 2.0),
    Case("expm1", sg.expm1, ((3,),)),
    Case("sqrt", sg.sqrt, ((3,),), 0.3, 3.0),
    Case("square", sg.square, ((3,),)),
    Case("abs", sg.abs, ((3,),), 0.2, 2.0, smooth=False),
    Case("abs_negative", sg.abs, ((3,),), -2.0, -0.2, smooth=False),
    Case("sigmoid", sg.sigmoid, ((3,),), -4, 4),
    Case("relu", sg.relu, ((4,),), 0.1, 2.0, smooth=False),
    Case("softplus", sg.softplus, ((3,),), -4, 4),
    Case("add_broadcast", lambda a, b: a + b, ((3, 1), (4,))),
    Case("subtract_broadcast", lambda a, b: a - b, ((2, 1, 3), (4, 1))),
    Case("multiply_broadcast", lambda a, b: a * b, ((3, 4), (4,))),
    Case("multiply_scalar", lambda a, b: a * b, ((), (2, 3))),
    Case("divide", lambda a, b: a / b, ((3, 2), (2,)), 0.5, 2.0),
    Case("power", lambda a, b: a**b, ((3,), (3,)), 0.5, 2.0),
    Case("power_const", lambda a: a**3, ((3,),)),
    Case("power_base", lambda a: 2.0**a, ((3,),)),
    Case("maximum", lambda a, b: sg.maximum(a, b), ((3, 2), (2,)), smooth=False),
    Case("minimum", lambda a, b: sg.minimum(a, b), ((3,), (3,)), smooth=False),
    Case("where", lambda c, a, b: sg.where(c > 0, a * c, b), ((3, 1), (3, 2), (2,)), smooth=False),
    Case("clip", lambda x: sg.clip(x, -1.0, 1.0), ((5,),), smooth=False),
    Case("clip_bounds", lambda x, lo: sg.clip(x, lo, 1.5), ((4,), ()), smooth=False),
    Case("sum", lambda x: x.sum(), ((2, 3),)),
    Case("sum_axis", lambda x: x.sum(axis=0), ((2, 3),)),
    Case("sum_keepdims", lambda x: x.sum(axis=(0, 2), keepdims=True), ((2, 3, 2),)),
    Case("mean", lambda x: x.mean(axis=1), ((2, 3),)),
    Case("prod", lambda x: x.prod(axis=1), ((2, 3),), 0.5, 1.5),
    Case("prod_all", lambda x: x.prod(), ((4,),), -1.5, 1.5),
    Case("max", lambda x: x.max(axis=1), ((2, 3),), smooth=False),
    Case("min", lambda x: x.min(), ((2, 3),), smooth=False),
    Case("norm", lambda x: sg.norm(x), ((2, 3),)),
    Case("norm_axis", lambda x: sg.norm(x, axis=1, keepdims=True), ((2, 3),)),
    Case("logsumexp", lambda x: sg.logsumexp(x, axis=1), ((2, 3),)),
    Case("logsumexp_all", lambda x: sg.logsumexp(x), ((4,),)),
    Case("softmax", lambda x: sg.softmax(x), ((2, 3),)),
    Case("softmax_axis0", lambda x: sg.softmax(x, axis=0), ((2, 3),)),
    Case("dot_vv", lambda a, b: sg.dot(a, b), ((3,), (3,))),
    Case("matmul_mv", lambda a, b: a @ b, ((2, 3), (3,))),
    Case("matmul_vm", lambda a, b: a @ b, ((3,), (3, 2))),
    Case("matmul_mm", lambda a, b: a @ b, ((2, 3), (3, 2))),
    Case("matmul_batched", lambda a, b: a @ b, ((2, 2, 3), (3, 2))),
    Case("matmul_batch_broadcast", lambda a, b: a @ b, ((2, 1, 2, 3), (3, 3, 2))),
    Case("matmul_v_batched", lambda a, b: a @ b, ((3,), (2, 3, 2))),
    Case("dot_nd", lambda a, b: sg.dot(a, b), ((2, 3), (2, 3, 2))),
    Case("outer", lambda a, b: sg.outer(a, b), ((3,), (2,))),
    Case("transpose", lambda x: x.T * np.arange(6.0).reshape(3, 2), ((2, 3),)),
    Case("transpose_axes", lambda x: sg.transpose(x, (1, 2, 0)), ((2, 3, 2),)),
    Case("reshape", lambda x: x.reshape((3, -1)) * np.arange(6.0).reshape(3, 2), ((2, 3),)),
    Case(
        "broadcast_to",
        lambda x: sg.broadcast_to(x, (2, 3, 2)) * np.arange(12.0).reshape(2, 3, 2),
        ((3, 1),),
    ),
    Case("concatenate", lambda a, b: sg.concatenate([a, b * 2], axis=1), ((2, 1), (2, 3))),
    Case("stack", lambda a, b: sg.stack([a, b * 2], axis=1), ((2, 3), (2, 3))),
    Case("expand_squeeze", lambda x: sg.squeeze(sg.expand_dims(x, 0) * 2.0), ((3,),)),
    Case("getitem", lambda x: x[1:, ::-1] * 2.0, ((3, 4),)),
    Case("getitem_int", lambda x: x[:, 2] * x[0], ((3, 3),)),
    Case("getitem_newaxis", lambda x: x[..., None] * x[None, :], ((3,),)),
    Case("log2", sg.log2, ((3,),), 0.3, 3.0),
    Case("log10", sg.log10, ((3,),), 0.3, 3.0),
    Case("exp2", sg.exp2, ((3,),)),
    Case("arcsinh", sg.arcsinh, ((3,),)),
    Case("arccosh", sg.arccosh, ((3,),), 1.2, 3.0),
    Case("arctanh", sg.arctanh, ((3,),), -0.8, 0.8),
    Case("deg2rad", sg.deg2rad, ((3,),)),
    Case("rad2deg", sg.rad2deg, ((3,),)),
    Case(
        "floor_and_ceil",
        lambda x: x * sg.floor(x) + sg.ceil(x) * 2.0,
        ((4,),),
        0.1,
        0.9,
        smooth=False,
    ),
    Case("round", lambda x: x * sg.round(x), ((4,),), 0.1, 0.4, smooth=False),
    Case("hypot", sg.hypot, ((3, 1), (2,)), 0.5, 2.0),
    Case("arctan2", sg.arctan2, ((3,), (3,)), 0.5, 2.0),
    Case("logaddexp", sg.logaddexp, ((3,), (2, 3))),
    Case("logaddexp2", sg.logaddexp2, ((3,), (2, 3))),
    Case("erf", sg.erf, ((2, 3),), -3.0, 3.0),
    Case("erfc", sg.erfc, ((2, 3),), -3.0, 3.0),
    Case("mod", lambda a, b: sg.mod(a, b), ((4,), (4,)), 1.1, 1.9, smooth=False),
    Case("fmod", lambda a, b: sg.fmod(a, b) * a, ((4,), (4,)), 1.1, 1.9, smooth=False),
    Case("cumsum", lambda x: x.cumsum(axis=1) * np.arange(6.0).reshape(2, 3), ((2, 3),)),
    Case("cumsum_flat", lambda x: sg.cumsum(x) ** 2, ((2, 2),)),
    Case("var", lambda x: x.var(axis=0, ddof=1), ((3, 2),)),
    Case("std", lambda x: sg.std(x, keepdims=True), ((2, 3),)),
    Case(
        "scatter_add",
        lambda base, v: shape_ops.ScatterAdd(shape_ops.normalize_index(slice(1, None, 2), (5,)))(
            base, v * v
        ),
        ((5,), (2,)),
    ),
    Case(
        "add_diagonal",
        lambda m, v: contractions.AddDiagonal()(m * m, v * v),
        ((3, 3), (3,)),
    ),
    Case(
        "composite",
        lambda x, w: sg.tanh(x @ w).sum() + sg.logsumexp(x, axis=0).mean(),
        ((4, 3), (3, 2)),
    ),
    # --- contractions, cumulative products, ranges, sinc
    Case("einsum_matmul", lambda a, b: sg.einsum("ij,jk->ik", a, b), ((2, 3), (3, 2))),
    Case("einsum_batched", lambda a, b: sg.einsum("bij,bjk->bik", a, b), ((2, 2, 3), (2, 3, 2))),
    Case("einsum_diagonal", lambda x: sg.einsum("ii->i", x) ** 2, ((3, 3),)),
    Case("einsum_trace", lambda x: sg.einsum("ii", x) ** 2, ((3, 3),)),
    Case(
        "einsum_ellipsis_broadcast",
        lambda a, b: sg.einsum("...ij,...jk", a, b),
        ((2, 1, 2, 3), (3, 3, 2)),
    ),
    Case(
        "einsum_three_operands",
        lambda a, b, c: sg.einsum("ij,jk,k->i", a, b, c),
        ((2, 3), (3, 2), (2,)),
    ),
    Case("einsum_repeated_label", lambda a, b: sg.einsum("iij,j->i", a, b), ((3, 3, 2), (2,))),
    Case("einsum_outer_implicit", lambda a, b: sg.einsum("i,j", a, b), ((3,), (2,))),
    Case("einsum_size1_broadcast", lambda a, b: sg.einsum("ij,ij->j", a, b), ((2, 3), (1, 3))),
    Case("einsum_same_operand", lambda x: sg.einsum("ij,ij->i", x, x), ((2, 3),)),
    Case("tensordot", lambda a, b: sg.tensordot(a, b), ((2, 3, 2), (3, 2, 2))),
    Case(
        "tensordot_axes",
        lambda a, b: sg.tensordot(a, b, axes=([0, 2], [1, 0])),
        ((3, 2, 2), (2, 3)),
    ),
    Case("inner", sg.inner, ((2, 3), (2, 3))),
    Case("kron", sg.kron, ((2, 2), (3,))),
    Case("trace", lambda x: sg.trace(x, offset=1) ** 2, ((3, 4),)),
    Case("trace_batched", lambda x: x.trace(axis1=1, axis2=2) ** 2, ((2, 3, 3),)),
    Case("diagonal", lambda x: sg.diagonal(x, -1, 2, 0) ** 2, ((3, 2, 4),)),
    Case("diagonal_method", lambda x: x.diagonal() * x[0], ((3, 3),)),
    Case("diag_embed", lambda v: sg.diag(v * v, k=1), ((3,),)),
    Case("diag_extract", lambda x: sg.diag(x, k=-1) ** 2, ((3, 4),)),
    Case("cumprod", lambda x: x.cumprod(axis=1), ((2, 3),)),
    Case("cumprod_flat", lambda x: sg.cumprod(x), ((2, 2),)),
    Case("recurrence", lambda a, b: recurrence(a, b, 1), ((2, 4), (2, 4))),
    Case("recurrence_reverse", lambda a, b: recurrence(a, b, 0, reverse=True), ((3, 2), (3, 2))),
    Case("shift", lambda x: shift(x, 1, 1, fill=1) * x, ((2, 3),)),
    Case("shift_back", lambda x: shift(x, 0, -2) * x, ((3, 2),)),
    Case("average", lambda x: sg.average(x, axis=0), ((3, 2),)),
    Case(
        "average_weights", lambda x, w: sg.average(x, axis=1, weights=w), ((2, 3), (3,)), 0.5, 2.0
    ),
    Case("ptp", lambda x: sg.ptp(x, axis=0, keepdims=True), ((3, 2),), smooth=False),
    Case("ptp_method", lambda x: x.ptp(), ((2, 3),), smooth=False),
    Case("sinc", sg.sinc, ((5,),), -3.0, 3.0),
    Case("sinc_near_zero", sg.sinc, ((5,),), -0.15, 0.15),
    # --- linear algebra (sg.linalg) ---
    Case("linalg_solve_vector", lambda a, b: la.solve(_invertible(a), b), ((3, 3), (3,)), -1, 1),
    Case("linalg_solve_matrix", lambda a, b: la.solve(_invertible(a), b), ((3, 3), (3, 2)), -1, 1),
    Case(
        "linalg_solve_batched_a",
        lambda a, b: la.solve(_invertible(a), b),
        ((2, 3, 3), (3,)),
        -1,
        1,
    ),
    Case(
        "linalg_solve_broadcast",
        lambda a, b: la.solve(_invertible(a), b),
        ((2, 1, 3, 3), (3, 3, 2)),
        -1,
        1,
    ),
    Case("linalg_inv", lambda a: la.inv(_invertible(a)), ((3, 3),), -1, 1),
    Case("linalg_inv_batched", lambda a: la.inv(_invertible(a)), ((2, 3, 3),), -1, 1),
    Case("linalg_det", lambda a: la.det(a), ((3, 3),)),
    Case("linalg_det_batched", lambda a: la.det(_invertible(a)), ((2, 3, 3),), -1, 1),
    Case(
        "linalg_slogdet",
        lambda a: (lambda r: r.sign * r.logabsdet)(la.slogdet(-_invertible(a))),
        ((2, 3, 3),),
        -1,
        1,
    ),
    Case("linalg_cholesky", lambda x: la.cholesky(_spd(x)), ((3, 3),), -1, 1),
    Case(
        "linalg_cholesky_upper_batched",
        lambda x: la.cholesky(_spd(x), upper=True),
        ((2, 3, 3),),
        -1,
        1,
    ),
    Case(
        "linalg_eigh_values",
        lambda x: la.eigh(_distinct_eigenvalues(x)).eigenvalues,
        ((3, 3),),
        -1,
        1,
        has_sympy=False,
    ),
    Case(
        "linalg_eigh_vectors",
        lambda x: la.eigh(_distinct_eigenvalues(x)).eigenvectors,
        ((3, 3),),
        -1,
        1,
        has_sympy=False,
    ),
    Case(
        "linalg_eigh_upper_batched",
        lambda x: (lambda r: r.eigenvalues[..., None, :] * r.eigenvectors)(
            la.eigh(_distinct_eigenvalues(x), UPLO="U")
        ),
        ((2, 3, 3),),
        -1,
        1,
        has_sympy=False,
    ),
    Case(
        "linalg_svd_u_tall",
        lambda x: la.svd(_separated(x), full_matrices=False).U,
        ((3, 2),),
        -1,
        1,
        has_sympy=False,
    ),
    Case(
        "linalg_svd_vh_tall",
        lambda x: la.svd(_separated(x), full_matrices=False).Vh,
        ((3, 2),),
        -1,
        1,
        has_sympy=False,
    ),
    Case(
        "linalg_svd_u_wide",
        lambda x: la.svd(_separated(x), full_matrices=False).U,
        ((2, 3),),
        -1,
        1,
        has_sympy=False,
    ),
    Case(
        "linalg_svd_vh_wide",
        lambda x: la.svd(_separated(x), full_matrices=False).Vh,
        ((2, 3),),
        -1,
        1,
        has_sympy=False,
    ),
    Case(
        "linalg_svd_s",
        lambda x: la.svd(_separated(x), compute_uv=False),
        ((2, 3),),
        -1,
        1,
        has_sympy=False,
    ),
    Case(
        "linalg_svd_batched",
        lambda x: (lambda r: r.U * r.S[..., None, :] + r.Vh)(la.svd(_separated(x))),
        ((2, 3, 3),),
        -1,
        1,
        has_sympy=False,
    ),
    Case("linalg_pinv_tall", lambda x: la.pinv(_separated(x)), ((3, 2),), -1, 1, has_sympy=False),
    Case("linalg_pinv_wide", lambda x: la.pinv(_separated(x)), ((2, 3),), -1, 1, has_sympy=False),
    Case(
        "linalg_pinv_batched",
        lambda x: la.pinv(_separated(x)),
        ((2, 3, 3),),
        -1,
        1,
        has_sympy=False,
    ),
    Case("linalg_matrix_power_3", lambda a: la.matrix_power(a, 3), ((3, 3),), -1, 1),
    Case("linalg_matrix_power_5_batched", lambda a: la.matrix_power(a, 5), ((2, 2, 2),), -1, 1),
    Case(
        "linalg_matrix_power_negative",
        lambda a: la.matrix_power(_invertible(a), -2),
        ((3, 3),),
        -1,
        1,
    ),
    Case("linalg_norm_p3", lambda x: la.norm(x, 3), ((4,),), 0.3, 2.0),
    Case("linalg_norm_negative_p", lambda x: la.norm(x, -1.5, axis=1), ((2, 4),), 0.3, 2.0),
    Case("linalg_norm_1", lambda x: la.norm(x, 1, axis=0, keepdims=True), ((3, 2),), smooth=False),
    Case("linalg_norm_inf", lambda x: la.norm(x, np.inf), ((4,),), smooth=False),
    Case("linalg_norm_minus_inf", lambda x: la.norm(x, -np.inf, axis=-1), ((2, 3),), smooth=False),
    Case("linalg_norm_0", lambda x: x * la.norm(x, 0), ((3,),)),
    Case("linalg_norm_fro", lambda x: la.norm(x, "fro", axis=(2, 0), keepdims=True), ((2, 3, 2),)),
    Case(
        "linalg_norm_nuc",
        lambda x: la.norm(_separated(x), "nuc"),
        ((3, 2),),
        -1,
        1,
        has_sympy=False,
    ),
    Case("linalg_norm_2", lambda x: la.norm(_separated(x), 2), ((2, 3),), -1, 1, has_sympy=False),
    Case(
        "linalg_norm_minus_2_axes",
        lambda x: la.norm(sg.transpose(_separated(x), (1, 0, 2)), -2, axis=(0, 2), keepdims=True),
        ((2, 3, 2),),
        -1,
        1,
        has_sympy=False,
    ),
    Case("linalg_norm_matrix_1", lambda x: la.norm(x, 1), ((3, 3),), smooth=False),
    Case(
        "linalg_norm_matrix_minus_1", lambda x: la.norm(x, -1, axis=(1, 0)), ((3, 3),), smooth=False
    ),
    Case(
        "linalg_norm_matrix_inf",
        lambda x: la.norm(x, np.inf, axis=(2, 1)),
        ((2, 3, 3),),
        smooth=False,
    ),
    Case("linalg_norm_matrix_minus_inf", lambda x: la.norm(x, -np.inf), ((3, 4),), smooth=False),
    # --- rearranging and gathering
    Case("flip", lambda x: sg.flip(x, 1) * x, ((2, 3),)),
    Case("fliplr_flipud", lambda x: sg.fliplr(x) * sg.flipud(x), ((3, 3),)),
    Case("rot90", lambda x: sg.rot90(x) ** 2, ((2, 3),)),
    Case("rot90_k3_axes", lambda x: sg.rot90(x, 3, axes=(1, 2)) * 2.0, ((2, 3, 4),)),
    Case("roll", lambda x: sg.roll(x, 2) * x, ((2, 3),)),
    Case("roll_axes", lambda x: sg.roll(x, (1, -1), axis=(0, 1)) * x, ((3, 4),)),
    Case("tile", lambda x: sg.tile(x, (2, 1, 3)) ** 2, ((2, 3),)),
    Case("repeat", lambda x: sg.repeat(x, 2, axis=1) ** 2, ((2, 3),)),
    Case("repeat_counts", lambda x: x.repeat([2, 0, 1], axis=0) ** 2, ((3, 2),)),
    Case("tril", lambda x: sg.tril(x, 1) ** 2, ((2, 3, 3),)),
    Case("triu_vector", lambda x: sg.triu(x) ** 2, ((3,),)),
    Case("split", lambda x: sg.split(x, 2, axis=1)[1] * sg.split(x, 2, axis=1)[0], ((2, 4),)),
    Case("array_split", lambda x: sg.array_split(x, 3)[0] ** 2, ((5,),)),
    Case("vstack", lambda x, y: sg.vstack([x, y]) ** 2, ((2, 3), (3,))),
    Case("hstack", lambda x, y: sg.hstack([x, y]) ** 2, ((2, 3), (2, 1))),
    Case("dstack", lambda x, y: sg.dstack([x, y]) ** 2, ((2, 3), (2, 3))),
    Case("column_stack", lambda x, y: sg.column_stack([x, y]) ** 2, ((3,), (3, 2))),
    Case("append", lambda x, y: sg.append(x, y) ** 2, ((2, 2), (3,))),
    Case(
        "pad_constant", lambda x: sg.pad(x, ((1, 0), (2, 1)), constant_values=1.5) ** 2, ((2, 3),)
    ),
    Case("pad_edge", lambda x: sg.pad(x, 2, mode="edge") ** 2, ((2, 3),)),
    Case("pad_reflect", lambda x: sg.pad(x, ((1, 1), (2, 2)), mode="reflect") ** 2, ((3, 4),)),
    Case("moveaxis", lambda x: sg.moveaxis(x, 0, -1) * 3.0, ((2, 3, 4),)),
    Case("atleast_3d", lambda x: sg.atleast_3d(x) ** 2, ((3,),)),
    Case("take", lambda x: sg.take(x, [2, 0, 2, 2], axis=1) ** 2, ((2, 3),)),
    Case("take_flat", lambda x: sg.take(x, [[5, -1], [0, 0]]) ** 2, ((2, 3),)),
    Case(
        "take_along_axis",
        lambda x: sg.take_along_axis(x, np.array([[2, 2], [0, 1]]), axis=1) ** 2,
        ((2, 3),),
    ),
    Case("index_array", lambda x: x[[2, 0, 2]] ** 2, ((3, 2),)),
    Case("index_array_columns", lambda x: x[:, np.array([[1, 1], [0, 2]])] ** 2, ((2, 3),)),
    Case("index_mask", lambda x: x[np.array([[True, False], [True, True]])] ** 2, ((2, 2),)),
    # --- the reverses of gathers, as gradients build them
    Case(
        "scatter",
        lambda x: shape_ops.Scatter(shape_ops.normalize_index(slice(1, None), (4,)), (4,))(x * x),
        ((3,),),
    ),
    Case(
        "add_at",
        lambda g: arrangement.AddAt(1, (2, 3))(g * g, sg.const(np.array([2, 0, 2, 1]))),
        ((2, 4),),
    ),
    Case(
        "add_along_axis",
        lambda g: arrangement.AddAlongAxis(1, (2, 3))(g * g, sg.const(np.array([[2, 2], [0, 1]]))),
        ((2, 2),),
    ),
    # --- comparisons, signs and values without derivatives
    Case(
        "comparisons",
        lambda a, b: (
            sg.where(a < b, a * b, 1.0)
            + sg.where(a <= b, b, -a)
            + sg.where(a >= b, a, 2.0 * b)
            + sg.where(a > b, 1.0, a)
            + sg.where(sg.equal(a, b), a, b * b)
            + sg.where(sg.not_equal(a, b), b, a)
        ),
        ((4,), (4,)),
    ),
    Case("sign", lambda x: x * sg.sign(x), ((4,),)),
    # stop_gradient of a locally constant value: its zero derivative is then also the
    # finite-difference one (its effect on a varying value is pinned in test_differentiate)
    Case("stop_gradient", lambda x: x * sg.stop_gradient(sg.floor(3.0 * x) + 0.5), ((3,),)),
    Case(
        "argmax",
        lambda x: x * sg.astype(sg.argmax(x, axis=1, keepdims=True), "float64"),
        ((2, 3),),
        has_sympy=False,
    ),
    Case("eye", lambda x: x @ (Eye(3, np.dtype("float64"))() * 2.0 + x), ((3, 3),)),
    Case("size", lambda x: x * shape_ops.Size((2, 3), np.dtype("float64"))(), ((2, 3),)),
    # --- control flow
    Case(
        "cond",
        lambda x: sg.cond(x.sum() > 0.0, lambda v: sg.sin(v) * 2.0, lambda v: v * v, x),
        ((3,),),
    ),
    Case(
        "cond_false",
        lambda x: sg.cond(x.sum() > 10.0, lambda v: sg.sin(v) * 2.0, lambda v: v * v * x, x),
        ((3,),),
    ),
    Case(
        "while_loop",
        lambda x: sg.while_loop(lambda s: sg.sum(s * s) < 50.0, lambda s: s * 1.5 + 0.1, x),
        ((3,),),
        0.5,
        1.5,
        has_sympy=False,
    ),
    Case(
        "scan",
        lambda c, xs: sg.scan(lambda carry, row: (sg.tanh(carry * row), carry * 2.0), c, xs)[1],
        ((2,), (3, 2)),
    ),
]

# --- NumPy's names: written as NumPy code, compared with NumPy on arrays ---
_COORDINATES = np.array([0.0, 0.5, 1.5, 3.0, 3.25])

CASES += [
    numpy_style("fabs", lambda x: np.fabs(x), ((3,),), 0.2, 2.0, smooth=False),
    numpy_style("fabs_negative", lambda x: np.fabs(x), ((3,),), -2.0, -0.2, smooth=False),
    numpy_style("reciprocal", lambda x: np.reciprocal(x), ((2, 3),), 0.5, 2.0),
    numpy_style("nan_to_num", lambda x: np.nan_to_num(x) * x, ((4,),)),
    numpy_style(
        "isnan_isinf_isfinite",
        lambda x: (
            np.where(np.isnan(x), 0.0, x)
            + np.where(np.isinf(x), 1.0, x) * np.where(np.isfinite(x), x, 2.0)
        ),
        ((4,),),
    ),
    numpy_style("fmax", lambda a, b: np.fmax(a, b), ((3, 2), (2,)), smooth=False),
    numpy_style("fmin", lambda a, b: np.fmin(a, b), ((3,), (3,)), smooth=False),
    numpy_style("radians", lambda x: np.radians(x), ((3,),)),
    numpy_style("degrees", lambda x: np.degrees(x), ((3,),)),
    numpy_style("remainder", lambda a, b: np.remainder(a, b), ((4,), (4,)), 1.1, 1.9, smooth=False),
    numpy_style("rollaxis", lambda x: np.rollaxis(x, 2, 1) * 2.0, ((2, 3, 4),)),
    numpy_style("vsplit", lambda x: np.vsplit(x, 2)[1] * np.vsplit(x, 2)[0], ((4, 3),)),
    numpy_style("hsplit", lambda x: np.hsplit(x, [1])[1] ** 2, ((2, 3),)),
    numpy_style("dsplit", lambda x: np.dsplit(x, 2)[0] * 3.0, ((2, 2, 4),)),
    Case(
        "row_stack",
        lambda x, y: sg.row_stack([x, y]) ** 2,
        ((2, 3), (3,)),
        numpy=lambda x, y: np.vstack([x, y]) ** 2,
    ),
    numpy_style("vstack_one_array", lambda x: np.vstack(x) ** 2, ((3, 2),)),
    numpy_style("hstack_one_array", lambda x: np.hstack(x) ** 2, ((3, 2),)),
    numpy_style("dstack_one_array", lambda x: np.dstack(x) * 2.0, ((2, 3),)),
    numpy_style("column_stack_one_array", lambda x: np.column_stack(x) ** 2, ((2, 3),)),
    Case(
        "r_",
        lambda x, y: sg.r_[x, 0.5, y[0], 1:3] ** 2,
        ((3,), (2,)),
        numpy=lambda x, y: np.r_[x, 0.5, y[0], 1:3] ** 2,
    ),
    Case(
        "c_",
        lambda x, y: sg.c_[x, y, x] * 2.0,
        ((3,), (3, 2)),
        numpy=lambda x, y: np.c_[x, y, x] * 2.0,
    ),
    numpy_style("diff", lambda x: np.diff(x, n=2, axis=0) ** 2, ((5, 3),)),
    numpy_style(
        "diff_prepend_append", lambda x: np.diff(x, prepend=0.5, append=x[:, :1]), ((2, 4),)
    ),
    numpy_style("gradient", lambda x: np.gradient(x, 0.5, axis=1) ** 2, ((4, 5),)),
    numpy_style("gradient_every_axis", lambda x: np.gradient(x)[0] * np.gradient(x)[1], ((3, 4),)),
    numpy_style(
        "gradient_coordinates_edge_order_2",
        lambda x: np.gradient(x, _COORDINATES, edge_order=2) ** 2,
        ((5,),),
    ),
    numpy_style(
        "sort",
        lambda x: np.sort(x, axis=0) * np.arange(1.0, 7.0).reshape(3, 2),
        ((3, 2),),
        has_sympy=False,
    ),
    numpy_style("sort_flat", lambda x: np.sort(x, axis=None) ** 2, ((2, 3),), has_sympy=False),
    numpy_style(
        "argsort",
        lambda x: np.take_along_axis(x, np.argsort(x, axis=1), axis=1) * x,
        ((2, 4),),
        has_sympy=False,
    ),
    numpy_style(
        "partition", lambda x: np.partition(x, 2) * np.arange(5.0), ((5,),), has_sympy=False
    ),
    numpy_style(
        "argpartition",
        lambda x: x[np.argpartition(x, (1, 3))] * np.arange(5.0),
        ((5,),),
        has_sympy=False,
    ),
    numpy_style("cross", lambda a, b: np.cross(a, b), ((4, 3), (3,))),
    numpy_style(
        "cross_axes", lambda a, b: np.cross(a, b, axisa=0, axisb=0, axisc=0), ((3, 2), (3, 2))
    ),
    numpy_style(
        "select",
        lambda x, y: np.select([x > 0.5, y < 0.0], [x * y, y], default=0.25),
        ((3, 2), (2,)),
        smooth=False,
    ),
    numpy_style("linspace", lambda a, b: np.linspace(a, b, 5), ((), ())),
    numpy_style("linspace_arrays_axis", lambda a, b: np.linspace(a, b, 4, axis=1), ((3,), (3,))),
    numpy_style(
        "linspace_no_endpoint_step",
        lambda a, b: (lambda r: r[0] * r[1])(np.linspace(a, b, 3, endpoint=False, retstep=True)),
        ((2,), ()),
    ),
    numpy_style(
        "any_all",
        lambda x: (
            np.where(np.any(x > 1.0, axis=1, keepdims=True), x, -x)
            + np.where(np.all(x > -1.5), x * x, 0.0)
            + np.where((x > 0.0).any(axis=0), x, 1.0)
        ),
        ((3, 4),),
        smooth=False,
    ),
    numpy_style(
        "like_constructors",
        lambda x: x * np.ones_like(x) + np.zeros_like(x) + np.full_like(x, 0.5) * x,
        ((2, 3),),
    ),
    Case(
        "full",
        lambda c, x: sg.full((2, 3), c) * x,
        ((), (2, 3)),
        numpy=lambda c, x: np.full((2, 3), c) * x,
    ),
    Case(
        "constructors",
        lambda x: (
            x @ (sg.eye(3, k=1) + sg.identity(3)) * sg.arange(3.0)
            + sg.zeros((3,)) * x
            + sg.ones((3, 3), dtype=x.dtype) * sg.empty_like(x)
            + sg.empty((3,))
        ),
        ((3, 3),),
        numpy=lambda x: (
            x @ (np.eye(3, k=1) + np.identity(3)) * np.arange(3.0)
            + np.zeros((3,)) * x
            + np.ones((3, 3), dtype=x.dtype) * np.zeros_like(x)
            + np.zeros((3,))
        ),
    ),
    numpy_style(
        "linalg_qr_tall", lambda x: np.linalg.qr(_separated(x)).Q, ((4, 3),), -1, 1, has_sympy=False
    ),
    numpy_style(
        "linalg_qr_r_tall",
        lambda x: np.linalg.qr(_separated(x)).R,
        ((4, 3),),
        -1,
        1,
        has_sympy=False,
    ),
    numpy_style(
        "linalg_qr_wide",
        lambda x: (lambda r: r.Q @ r.R[:, 1:] + r.R.sum())(np.linalg.qr(_separated(x))),
        ((2, 4),),
        -1,
        1,
        has_sympy=False,
    ),
    numpy_style(
        "linalg_qr_batched",
        lambda x: (lambda r: r.Q * r.R)(np.linalg.qr(_invertible(x))),
        ((2, 3, 3),),
        -1,
        1,
        has_sympy=False,
    ),
    numpy_style(
        "linalg_qr_mode_r",
        lambda x: np.linalg.qr(_separated(x), mode="r") ** 2,
        ((3, 2),),
        -1,
        1,
        has_sympy=False,
    ),
    numpy_style(
        "linalg_lstsq_tall",
        lambda a, b: np.linalg.lstsq(_separated(a), b)[0],
        ((4, 3), (4,)),
        -1,
        1,
        has_sympy=False,
    ),
    numpy_style(
        "linalg_lstsq_residuals_s",
        lambda a, b: (lambda r: r[1].sum() * r[3])(np.linalg.lstsq(_separated(a), b)),
        ((4, 2), (4, 3)),
        -1,
        1,
        has_sympy=False,
    ),
    numpy_style(
        "linalg_lstsq_wide",
        lambda a, b: np.linalg.lstsq(_separated(a), b)[0],
        ((2, 3), (2, 2)),
        -1,
        1,
        has_sympy=False,
    ),
    numpy_style("index_int_beside_array", lambda x: x[1, 1:, [2, 0]] ** 2, ((3, 4, 3),)),
    numpy_style("index_arrays_apart", lambda x: x[[0, 2], :, [1, 1]] * 2.0, ((3, 2, 4),)),
    numpy_style("index_arrays_adjacent", lambda x: x[:, [0, 1, 1], [2, 0, 1]] ** 2, ((2, 3, 4),)),
    numpy_style("index_arrays_broadcast", lambda x: x[[[0], [2]], [1, 0, 1]] ** 2, ((3, 2),)),
    # lists are array-likes (NumPy's own functions see only the list, not the expressions in it)
    Case(
        "append_list_of_scalars",
        lambda a, b: sg.append([a, b], 1.0) ** 2,
        ((), ()),
        numpy=lambda a, b: np.append([a, b], 1.0) ** 2,
    ),
    Case(
        "stack_nested_lists",
        lambda a, b: snp.stack([[a, b], [b, a]]) * a,
        ((2,), (2,)),
        numpy=lambda a, b: np.stack([[a, b], [b, a]]) * a,
    ),
    Case(
        "array_of_expressions",
        lambda a, b: snp.array([[a, 2.0 * b], [b, a]]) ** 2,
        ((), ()),
        numpy=lambda a, b: np.array([[a, 2.0 * b], [b, a]]) ** 2,
    ),
    numpy_style(
        "reductions_dtype_out",
        lambda x: np.sum(x, axis=0, dtype=np.float64, out=None) * x.mean(1, None, None, True),
        ((2, 3),),
    ),
    numpy_style(
        "clip_one_sided",
        lambda x: np.clip(x, None, 1.0) + np.clip(x, min=-1.0),
        ((5,),),
        smooth=False,
    ),
    numpy_style("round_decimals", lambda x: x * np.round(x, 1), ((4,),), smooth=False),
    numpy_style(
        "ufunc_reduce",
        lambda x: (
            np.add.reduce(x, axis=1)
            + np.maximum.reduce(x, axis=1) * np.logaddexp.reduce(x, axis=1)
            + np.multiply.reduce(x, axis=1)
        ),
        ((2, 3),),
        smooth=False,
    ),
    numpy_style(
        "ufunc_accumulate_outer",
        lambda x: np.multiply.accumulate(x, axis=0) + np.subtract.outer(x[0], x[1]),
        ((3, 3),),
    ),
    numpy_style("array_beside_expression", lambda x: np.arange(3.0) - x * np.float64(2.0), ((3,),)),
]

# --- complex values inside real functions: the parts, conjugates, moduli and arguments ---
CASES += [
    numpy_style(
        "complex_parts",
        lambda x: (
            np.real(x * (1.0 + 2.0j))
            + np.imag(np.exp(1j * x)) * np.abs(x * (0.5 - 1.0j))
            + np.angle(x * (1.0 + 1.0j) + 3.0j)
            + np.real(np.conj(x * (2.0 - 1.0j)) * (x + 1j))
        ),
        ((4,),),
    ),
]

# --- Fourier transforms (np.fft), real functions of them ---
CASES += [
    numpy_style(
        "fft_ifft",
        lambda x: np.real(np.fft.fft(x) * (1.0 + 2.0j)) + np.imag(np.fft.ifft(x)),
        ((2, 5),),
    ),
    numpy_style("fft_n_axis", lambda x: np.real(np.fft.fft(x, n=3, axis=0) * 1j), ((4, 2),)),
    numpy_style("rfft_irfft", lambda x: np.fft.irfft(np.fft.rfft(x) * (0.5 - 1.0j)), ((2, 6),)),
    numpy_style("irfft_odd_n", lambda x: np.fft.irfft(x * (1.0 + 1.0j), n=5), ((3,),)),
    numpy_style(
        "fft2_ifft2", lambda x: np.real(np.fft.fft2(x)) + np.imag(np.fft.ifft2(x)), ((3, 4),)
    ),
    numpy_style("rfftn_irfftn", lambda x: np.fft.irfftn(np.fft.rfftn(x) * 1j, s=(2, 4)), ((2, 4),)),
]

# --- eigenvalues of general matrices (complex), real functions of them ---
CASES += [
    Case(
        "linalg_eigvals",
        lambda x: np.real(la.eigvals(x + np.diag([0.0, 3.0, 6.0])) * (1.0 + 1.0j)),
        ((3, 3),),
        has_sympy=False,
        numpy=lambda x: np.real(np.linalg.eigvals(x + np.diag([0.0, 3.0, 6.0])) * (1.0 + 1.0j)),
    ),
    numpy_style(
        "linalg_eig_values",
        lambda x: np.imag(np.linalg.eig(x + np.diag([0.0, 3.0, 6.0])).eigenvalues * 1j),
        ((2, 3, 3),),
        has_sympy=False,
    ),
    numpy_style(  # real eigenvectors of a real matrix: their phase is a sign, held still
        "linalg_eig_vectors",
        lambda x: np.real(np.linalg.eig(x + np.diag([0.0, 3.0, 6.0])).eigenvectors) ** 2,
        ((3, 3),),
        -0.5,
        0.5,
        has_sympy=False,
    ),
]

# --- reductions that skip nan: nan put in where x > 1.2 (the derivative is 0 there) ---


def _with_nan(x):
    return np.where(x > 1.2, np.nan, x)


CASES += [
    numpy_style(
        "nansum_nanprod",
        lambda x: np.nansum(_with_nan(x), axis=1) * np.nanprod(_with_nan(x), axis=0).sum(),
        ((3, 4),),
        nan_inside=True,
    ),
    numpy_style(
        "nanmean_nanvar_nanstd",
        lambda x: (
            np.nanmean(_with_nan(x), axis=0, keepdims=True)
            + np.nanvar(_with_nan(x), axis=0, ddof=1)
            + np.nanstd(_with_nan(x))
        ),
        ((5, 3),),
        nan_inside=True,
    ),
    numpy_style(
        "nanmax_nanmin",
        lambda x: np.nanmax(_with_nan(x), axis=1) - np.nanmin(_with_nan(x)),
        ((3, 4),),
        smooth=False,
        nan_inside=True,
    ),
    numpy_style(
        "nanargmax_nanargmin",
        lambda x: (
            x[0, np.nanargmax(_with_nan(x), axis=1)] * np.ravel(x)[np.nanargmin(_with_nan(x))]
        ),
        ((3, 3),),
        has_sympy=False,
    ),
    numpy_style(
        "nancumsum_nancumprod",
        lambda x: np.nancumsum(_with_nan(x), axis=0) + np.nancumprod(_with_nan(x))[1::3],
        ((3, 2),),
        nan_inside=True,
    ),
    # without nan, the SymPy forms: the plain reductions
    numpy_style(
        "nan_reductions_without_nan",
        lambda x: np.nansum(x, axis=0) * np.nanmean(x) + np.nanvar(x, axis=0) + np.nanmax(x),
        ((2, 3),),
        smooth=False,
    ),
]

# --- order statistics: sorted, then interpolated (NumPy's default, linear) ---
CASES += [
    numpy_style("median_odd", lambda x: np.median(x, axis=0) ** 2, ((5, 2),), has_sympy=False),
    numpy_style(
        "median_even_keepdims",
        lambda x: np.median(x, axis=(0, 2), keepdims=True) * x,
        ((2, 3, 2),),
        has_sympy=False,
    ),
    numpy_style(
        "quantile_array_q",
        lambda x: np.quantile(x, [0.1, 0.5, 0.75, 1.0], axis=1) ** 2,
        ((3, 5),),
        has_sympy=False,
    ),
    numpy_style(
        "percentile_scalar_q",
        lambda x: np.percentile(x, 30.0) * np.percentile(x, [[80.0], [5.0]], axis=0),
        ((6, 2),),
        has_sympy=False,
    ),
    numpy_style(
        "nanquantile_nanpercentile",
        lambda x: (
            np.nanquantile(_with_nan(x), [0.25, 0.6], axis=1, keepdims=True)
            + np.nanpercentile(_with_nan(x), 90.0)
        ),
        ((4, 5),),
        has_sympy=False,
    ),
    numpy_style(
        "nanmedian", lambda x: np.nanmedian(_with_nan(x), axis=0) ** 2, ((5, 3),), has_sympy=False
    ),
]

# --- convolution and correlation (bilinear), interpolation, Fourier transforms' norm= ---


def _increasing(w):
    """Strictly increasing knots from any values (steps of at least 0.3)."""
    return np.cumsum(np.abs(w) + 0.3) - 2.0


CASES += [
    numpy_style("convolve_full", lambda a, v: np.convolve(a, v), ((5,), (3,))),
    numpy_style(
        "convolve_same_valid",
        lambda a, v: np.convolve(a, v, "same") * np.convolve(v, a, mode="valid").sum(),
        ((3,), (5,)),
    ),
    numpy_style(
        "correlate_modes",
        lambda a, v: (
            np.correlate(a, v) * np.correlate(v, a, "same")[1] + np.correlate(a, v, "full")[1:4]
        ),
        ((4,), (2,)),
    ),
    numpy_style(
        "correlate_complex",
        lambda a, v: np.real(np.correlate(a * (1.0 + 0.5j), v * (0.5 - 2.0j), "same")),
        ((2,), (4,)),
    ),
    numpy_style(
        "interp_all_arguments",
        lambda x, w, f: np.interp(x, _increasing(w), f),
        ((6,), (4,), (4,)),
        has_sympy=False,
    ),
    numpy_style(
        "interp_left_right_period",
        lambda x, f: (
            np.interp(x, _COORDINATES, f, left=-1.0, right=2.0) ** 2
            + np.interp(x, [0.0, 0.5, 1.0], f[:3], period=1.7)
        ),
        ((2, 3), (5,)),
        -3.0,
        3.0,
        has_sympy=False,
    ),
    numpy_style(
        "searchsorted",
        lambda x: x * np.searchsorted(np.array([-1.0, 0.0, 0.5]), x, side="right"),
        ((5,),),
        has_sympy=False,
    ),
    numpy_style(
        "fft_norms",
        lambda x: (
            np.real(np.fft.fft(x, norm="ortho") * (1.0 - 1.0j))
            + np.imag(np.fft.ifft(x, norm="forward"))
            + np.fft.irfft(np.fft.rfft(x, norm="forward"), n=4, norm="ortho")
        ),
        ((2, 4),),
    ),
    numpy_style(
        "fftn_norm_ortho",
        lambda x: np.real(np.fft.ifftn(np.fft.rfftn(x, norm="ortho"), norm="ortho")),
        ((3, 4),),
    ),
]
