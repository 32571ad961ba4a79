"""Gradient tests written the way NumPy-layer autodiff libraries test themselves: a small
function in plain NumPy (``np.sum``, ``np.linalg.solve``...), called once on arrays for the
reference values and once on symbolic variables (through NumPy's dispatch protocols), its
gradient compared with central finite differences.

Each row is one function. Rows that need what symgrad does not yet do (see docs/numpy.md,
"Not supported") are marked ``xfail(strict=True)``: they must fail, so a row that starts
to pass is noticed and unmarked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

import symgrad as sg
import symgrad.numpy as snp

from .gradcheck import numeric_jacobian


@dataclass(frozen=True)
class Row:
    name: str
    function: Callable
    shapes: tuple
    low: float = -1.0
    high: float = 1.0
    missing: str = ""  # why symgrad cannot compute it yet (the row must fail)

    def arrays(self):
        rng = np.random.default_rng(7)
        return [rng.uniform(self.low, self.high, size=s) for s in self.shapes]


def _spd(a):
    return a @ a.T + 3.0 * np.eye(a.shape[0])


def _dominant(a):
    return a + 4.0 * np.eye(a.shape[-1])


def _rows():
    r = Row
    return [
        # --- elementwise ----------------------------------------------------------------
        r("sin_cos", lambda x: np.sin(x) * np.cos(x), ((4,),)),
        r("tan", lambda x: np.tan(x), ((3, 2),)),
        r("exp_log", lambda x: np.log(np.exp(x) + 1.0), ((5,),)),
        r("log2_log10", lambda x: np.log2(x) + np.log10(x), ((4,),), 0.5, 2.0),
        r("log1p_expm1", lambda x: np.log1p(x) * np.expm1(x), ((4,),), 0.0, 1.0),
        r("sqrt_square", lambda x: np.sqrt(x) + np.square(x), ((4,),), 0.5, 2.0),
        r("cbrt", lambda x: np.cbrt(x), ((4,),), 0.5, 2.0),
        r(
            "arcsin_arccos_arctan",
            lambda x: np.arcsin(x) + np.arccos(x) * np.arctan(x),
            ((4,),),
            -0.9,
            0.9,
        ),
        r("sinh_cosh_tanh", lambda x: np.sinh(x) + np.cosh(x) * np.tanh(x), ((3,),)),
        r("arcsinh_arctanh", lambda x: np.arcsinh(x) + np.arctanh(x), ((3,),), -0.9, 0.9),
        r("arccosh", lambda x: np.arccosh(x), ((3,),), 1.5, 3.0),
        r("abs_fabs", lambda x: np.abs(x) + np.fabs(x) * np.absolute(x), ((4,),), 0.2, 1.0),
        r("negative_positive", lambda x: np.negative(x) * np.positive(x), ((3,),)),
        r("reciprocal", lambda x: np.reciprocal(x), ((3,),), 0.5, 2.0),
        r("power_scalar", lambda x: np.power(x, 3.0) + x**2.5, ((4,),), 0.5, 2.0),
        r("power_both", lambda a, b: np.power(a, b), ((3,), (3,)), 0.5, 2.0),
        r("float_power", lambda a, b: np.float_power(a, b), ((3,), (3,)), 0.5, 2.0),
        r("add_subtract", lambda a, b: np.add(a, b) * np.subtract(a, b), ((2, 3), (3,))),
        r(
            "multiply_divide",
            lambda a, b: np.multiply(a, b) + np.divide(a, b),
            ((3,), (3,)),
            0.5,
            2.0,
        ),
        r("true_divide", lambda a, b: np.true_divide(a, b), ((3,), (3,)), 0.5, 2.0),
        r("maximum_minimum", lambda a, b: np.maximum(a, b) + 2.0 * np.minimum(a, b), ((5,), (5,))),
        r("fmax_fmin", lambda a, b: np.fmax(a, b) - np.fmin(a, b), ((5,), (5,))),
        r("hypot", lambda a, b: np.hypot(a, b), ((3,), (3,)), 0.5, 2.0),
        r("arctan2", lambda a, b: np.arctan2(a, b), ((3,), (3,)), 0.5, 2.0),
        r("logaddexp", lambda a, b: np.logaddexp(a, b) + np.logaddexp2(a, b), ((4,), (4,))),
        r("radians_degrees", lambda x: np.radians(x) + np.deg2rad(x) * np.degrees(x), ((3,),)),
        r(
            "remainder_mod",
            lambda a: np.remainder(a, 0.7) + np.mod(a, 0.3) * a,
            ((4,),),
            0.05,
            0.25,
        ),
        r("sign_times", lambda x: np.sign(x) * x**2, ((4,),), 0.2, 1.0),
        r("where", lambda x: np.where(x > 0, x**2, -x), ((6,),)),
        r("clip", lambda x: np.clip(x, -0.5, 0.5) * x, ((6,),)),
        r("nan_to_num", lambda x: np.nan_to_num(np.log(x)), ((4,),), 0.5, 2.0),
        r("sinc", lambda x: np.sinc(x), ((4,),), 0.2, 0.8),
        # --- reductions -----------------------------------------------------------------
        r("sum_axis", lambda x: np.sum(x, axis=0) ** 2, ((3, 4),)),
        r("sum_keepdims", lambda x: x / np.sum(x, axis=1, keepdims=True), ((3, 4),), 0.5, 1.0),
        r("mean", lambda x: np.mean(x, axis=(0, 2)), ((2, 3, 4),)),
        r("prod", lambda x: np.prod(x, axis=1), ((3, 4),), 0.5, 1.5),
        r("var", lambda x: np.var(x, axis=1), ((3, 4),)),
        r("std_ddof", lambda x: np.std(x, axis=0, ddof=1), ((4, 3),)),
        r("snp_var", lambda x: snp.var(x) if isinstance(x, sg.Expr) else np.var(x), ((5,),)),
        r("max_min", lambda x: np.max(x, axis=1) - np.min(x, axis=0).sum(), ((3, 4),)),
        r("amax_amin", lambda x: np.amax(x) * np.amin(x), ((3, 4),)),
        r("ptp", lambda x: np.ptp(x, axis=0), ((4, 3),)),
        r("cumsum", lambda x: np.cumsum(x, axis=1), ((2, 4),)),
        r("cumprod", lambda x: np.cumprod(x), ((5,),), 0.5, 1.5),
        r(
            "average_weights",
            lambda x: np.average(x, axis=0, weights=np.arange(1.0, 4.0)),
            ((3, 2),),
        ),
        r(
            "nan_reductions",
            lambda x: (
                np.nansum(np.where(x > 0.6, np.nan, x), axis=0)
                * np.nanmean(np.where(x < -0.6, np.nan, x))
                + np.nanstd(np.where(x > 0.6, np.nan, x), axis=0)
                + np.nanmax(np.where(x > 0.6, np.nan, x), axis=0)
            ),
            ((4, 3),),
        ),
        r("nancumsum", lambda x: np.nancumsum(np.where(x > 0.5, np.nan, x)) ** 2, ((5,),)),
        r("median", lambda x: np.median(x, axis=1) * np.median(x), ((3, 4),)),
        r(
            "quantile_percentile",
            lambda x: np.quantile(x, [0.2, 0.7]) + np.percentile(x, 35),
            ((6,),),
        ),
        r("nanmedian", lambda x: np.nanmedian(np.where(x > 0.6, np.nan, x), axis=0), ((5, 2),)),
        r("method_sum_dtype", lambda x: x.sum(axis=0, dtype=np.float64, out=None), ((3, 2),)),
        r("method_mean_max", lambda x: x.mean(axis=1) * x.max(axis=1) + x.min(), ((3, 2),)),
        r("add_reduce", lambda x: np.add.reduce(x, axis=1), ((3, 2),)),
        r("multiply_accumulate", lambda x: np.multiply.accumulate(x), ((4,),), 0.5, 1.5),
        r("multiply_outer", lambda a, b: np.multiply.outer(a, b), ((3,), (2,))),
        # --- contractions ---------------------------------------------------------------
        r("dot_vectors", lambda a, b: np.dot(a, b), ((4,), (4,))),
        r("dot_matrices", lambda a, b: np.dot(a, b), ((3, 4), (4, 2))),
        r("matmul_batched", lambda a, b: np.matmul(a, b), ((2, 3, 4), (4, 2))),
        r("matmul_operator", lambda a, b: a @ b, ((3, 4), (4,))),
        r("inner_outer", lambda a, b: np.inner(a, b) * np.outer(a, b), ((3,), (3,))),
        r(
            "tensordot",
            lambda a, b: np.tensordot(a, b, axes=([1, 2], [0, 1])),
            ((2, 3, 4), (3, 4, 2)),
        ),
        r("einsum", lambda a, b: np.einsum("ij,jk->ik", a, b), ((2, 3), (3, 4))),
        r("einsum_trace", lambda a: np.einsum("ii->", a), ((3, 3),)),
        r("kron", lambda a, b: np.kron(a, b), ((2, 2), (2, 3))),
        r("trace", lambda a: np.trace(a), ((3, 3),)),
        r("diag_diagonal", lambda a: np.diag(np.diagonal(a)) * 2.0, ((3, 3),)),
        r("cross", lambda a, b: np.cross(a, b), ((4, 3), (4, 3))),
        r("vdot", lambda a, b: np.vdot(a, b), ((2, 3), (2, 3))),
        # --- arrangement ----------------------------------------------------------------
        r(
            "transpose",
            lambda x: np.transpose(x, (2, 0, 1)) * np.arange(24.0).reshape(4, 2, 3),
            ((2, 3, 4),),
        ),
        r("swapaxes_moveaxis", lambda x: np.swapaxes(x, 0, 1) + np.moveaxis(x, 1, 0), ((2, 2, 3),)),
        r("reshape_ravel", lambda x: np.reshape(x, (3, 4)) @ np.ravel(x)[:4], ((2, 6),)),
        r("squeeze_expand_dims", lambda x: np.expand_dims(np.squeeze(x), 0) ** 2, ((1, 3, 1),)),
        r("concatenate", lambda a, b: np.concatenate([a, b, a], axis=0) ** 2, ((2, 3), (1, 3))),
        r("concatenate_flat", lambda a, b: np.concatenate([a, b], axis=None) ** 2, ((2, 2), (3,))),
        r("stack", lambda a, b: np.stack([a, b], axis=1) ** 2, ((3,), (3,))),
        r(
            "vstack_hstack",
            lambda a, b: np.vstack([a, b]).ravel() * np.hstack([b, a]),
            ((3,), (3,)),
        ),
        r(
            "dstack_column_stack",
            lambda a: np.dstack([a, a]).sum(2) @ np.column_stack([a, a]),
            ((2, 2),),
        ),
        r("split", lambda x: np.split(x, 2)[0] * np.split(x, 2)[1], ((4, 2),)),
        r("array_split", lambda x: np.array_split(x, 3)[2] * 2.0, ((5,),)),
        r("hsplit_vsplit", lambda x: np.hsplit(x, 2)[0] * np.vsplit(x, 2)[1], ((2, 2),)),
        r("flip_roll", lambda x: np.flip(x, 0) * np.roll(x, 1, axis=1), ((3, 4),)),
        r("fliplr_flipud_rot90", lambda x: np.fliplr(x) + np.flipud(x) * np.rot90(x), ((3, 3),)),
        r("tile_repeat", lambda x: np.tile(x, 2) * np.repeat(x, 2), ((3,),)),
        r("pad", lambda x: np.pad(x, ((1, 0), (0, 2))) ** 2, ((2, 2),)),
        r("tril_triu", lambda x: np.tril(x) * np.triu(x, 1).T, ((3, 3),)),
        r(
            "broadcast_to",
            lambda x: np.broadcast_to(x, (3, 4)) * np.arange(12.0).reshape(3, 4),
            ((4,),),
        ),
        r("atleast_2d", lambda x: np.atleast_2d(x) @ np.atleast_2d(x).T, ((3,),)),
        r("take_take_along_axis", lambda x: np.take(x, [2, 0], axis=1) * 2.0, ((2, 3),)),
        r("append", lambda x: np.append(x, [1.0, 2.0]) ** 2, ((3,),)),
        r("sort", lambda x: np.sort(x) * np.arange(5.0), ((5,),)),
        r("partition", lambda x: np.partition(x, 2)[2] * x[0], ((5,),)),
        r("diff", lambda x: np.diff(x, n=2) ** 2, ((6,),)),
        r("gradient", lambda x: np.gradient(x) ** 2, ((6,),)),
        r("select", lambda x: np.select([x < -0.3, x > 0.3], [x**2, x**3], default=x), ((6,),)),
        r("convolve", lambda a, v: np.convolve(a, v, mode="same"), ((5,), (3,))),
        r("correlate", lambda a, v: np.correlate(a, v) ** 2, ((6,), (3,))),
        r("interp", lambda x, f: np.interp(x, [-1.0, 0.0, 0.5, 1.0], f), ((5,), (4,))),
        r("linspace_ends", lambda a: np.linspace(a[0], a[1], 5) ** 2, ((2,),)),
        r("full_like_ones_like", lambda x: x * np.ones_like(x) + np.full_like(x, 2.0) * x, ((3,),)),
        r("zeros_eye", lambda x: x @ (np.eye(3) + np.zeros((3, 3))), ((2, 3),)),
        r("indexing", lambda x: x[1, 1:, [0, 2]] * x[0, :2, 1], ((2, 3, 3),)),
        r(
            "boolean_where_index",
            lambda x: np.where(x > 0.0)[0].size * x,
            ((4,),),
            0.1,
            1.0,
            "a data-dependent shape",
        ),
        # --- linear algebra -------------------------------------------------------------
        r("inv", lambda a: np.linalg.inv(_dominant(a)), ((3, 3),)),
        r("det", lambda a: np.linalg.det(_dominant(a)), ((3, 3),)),
        r("slogdet", lambda a: np.linalg.slogdet(_dominant(a))[1], ((3, 3),)),
        r("solve", lambda a, b: np.linalg.solve(_dominant(a), b), ((3, 3), (3,))),
        r("cholesky", lambda a: np.linalg.cholesky(_spd(a)), ((3, 3),)),
        r("eigh", lambda a: np.linalg.eigh(_spd(a) + np.diag([0.0, 5.0, 10.0]))[0], ((3, 3),)),
        r(
            "svd_values",
            lambda a: np.linalg.svd(a + np.diag([0.0, 3.0, 6.0]), compute_uv=False),
            ((3, 3),),
        ),
        r("norm_fro", lambda a: np.linalg.norm(a), ((3, 3),)),
        r("norm_vector_axis", lambda a: np.linalg.norm(a, axis=1), ((3, 2),)),
        r("pinv", lambda a: np.linalg.pinv(a + np.diag([3.0, 4.0, 5.0])[:, :2]), ((3, 2),)),
        r("matrix_power", lambda a: np.linalg.matrix_power(a, 3), ((2, 2),)),
        r("qr", lambda a: np.linalg.qr(a + np.eye(4, 3) * 3.0).R, ((4, 3),)),
        r(
            "lstsq",
            lambda a, b: np.linalg.lstsq(a + np.eye(4, 2) * 3.0, b, rcond=None)[0],
            ((4, 2), (4,)),
        ),
        r(
            "eig",
            lambda a: np.real(np.linalg.eigvals(_spd(a) + np.diag([0.0, 5.0, 10.0]))),
            ((3, 3),),
        ),
        r(
            "eig_vectors_abs",
            lambda a: np.abs(np.linalg.eig(a + np.diag([0.0, 4.0, 8.0])).eigenvectors),
            ((3, 3),),
        ),
        r(
            "eig_complex_pair",
            lambda a: np.abs(np.linalg.eigvals(a + np.array([[0.0, 3.0], [-3.0, 0.0]]))),
            ((2, 2),),
        ),
        # --- complex and FFT ------------------------------------------------------------
        r("complex_abs", lambda x: np.abs(x * (1.0 + 2.0j)), ((3,),)),
        r("complex_real_imag", lambda x: np.real(np.exp(1j * x)) + np.imag(x * 1j), ((3,),)),
        r("fft", lambda x: np.abs(np.fft.fft(x)), ((4,),), 0.5, 1.0),
        r("rfft_irfft", lambda x: np.fft.irfft(np.fft.rfft(x) * 2.0), ((4,),)),
        r("fft_ortho", lambda x: np.abs(np.fft.fft(x, norm="ortho")), ((4,),), 0.5, 1.0),
        r(
            "rfft_forward",
            lambda x: np.fft.irfft(np.fft.rfft(x, norm="forward") ** 2, norm="forward"),
            ((6,),),
        ),
    ]


ROWS = _rows()


def _row_param(row):
    marks = [pytest.mark.xfail(strict=True, reason=row.missing)] if row.missing else []
    return pytest.param(row, id=row.name, marks=marks)


@pytest.mark.parametrize("row", [_row_param(r) for r in ROWS])
def test_gradient_of_numpy_code(row):
    arrays = row.arrays()
    xs = [sg.var(f"x{i}", shape=a.shape) for i, a in enumerate(arrays)]
    y = row.function(*xs)
    assert isinstance(y, sg.Expr), f"{row.name}: NumPy returned {type(y).__name__}"
    expected = np.asarray(row.function(*arrays))
    got = np.asarray(sg.compile(y, inputs=xs)(*arrays))
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12, err_msg=row.name)

    weights = np.random.default_rng(3).normal(size=np.shape(expected))
    loss = np.sum(y * weights)
    grads = sg.compile(sg.grad(loss, xs), inputs=xs)(*arrays)

    def reference(*values):
        return np.sum(np.asarray(row.function(*values)) * weights)

    for i, g in enumerate(grads):
        fd = numeric_jacobian(reference, arrays, i)
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-7, err_msg=f"{row.name}: d/dx{i}")


def test_the_corpus_covers_most_of_numpy_code():
    """The share of rows symgrad computes; the rest are listed in docs/numpy.md."""
    supported = sum(not r.missing for r in ROWS)
    assert len(ROWS) >= 100
    assert supported / len(ROWS) > 0.9
