"""einsum, tensordot, inner, kron, trace, diagonal, diag, cumprod, average, ptp and sinc:
values, dtypes and shapes against NumPy, derivatives where the generic table cannot reach
(zeros in cumprod, sinc at 0), errors, and the subscripts that reach the emitted code."""

from __future__ import annotations

import json

import mpmath
import numpy as np
import pytest

import symgrad as sg
from symgrad.differentiate.derived import jacobian_forward, jacobian_reverse
from symgrad.ops.contractions import DiagEmbed, Diagonal, Einsum

from .gradcheck import numeric_jacobian
from .test_op_values import F32, F64, INTS, TOLERANCE, Case, check_case, params

I8, I32 = np.dtype("int8"), np.dtype("int32")
B = np.dtype("bool")
INT_DOMAIN = (-5, 6)


def _einsum_case(subscripts, *shapes, dtypes=(None,), domains=((-2.0, 2.0),)):
    # NumPy's unoptimized einsum refuses '...' axes missing from an explicit output, which
    # its optimized path (and symgrad) sums; the reference takes the optimized path there.
    head, arrow, output = subscripts.partition("->")
    optimize = "..." in head and bool(arrow) and "..." not in output
    return Case(
        f"einsum({subscripts!r}) {shapes}",
        lambda *xs: sg.einsum(subscripts, *xs),
        lambda *a: np.einsum(subscripts, *a, optimize=optimize),
        shapes,
        domains,
        dtypes,
    )


EINSUM_CASES = [
    _einsum_case("ij,jk->ik", (2, 3), (3, 4)),
    _einsum_case("ij,jk", (2, 3), (3, 4)),
    _einsum_case("bij,bjk->bik", (5, 2, 3), (5, 3, 4)),
    _einsum_case("...ij,...jk", (2, 1, 2, 3), (5, 3, 4)),
    _einsum_case("...ij,...jk->...ik", (3, 2, 3), (3, 4)),
    _einsum_case("i...,i...->...", (3, 2), (3, 1)),
    _einsum_case("...ii->...i", (2, 3, 3)),
    _einsum_case("i...->i", (3, 2, 2)),
    _einsum_case("ii->i", (3, 3)),
    _einsum_case("ii", (3, 3)),
    _einsum_case("ii->", (3, 3)),
    _einsum_case("iji->j", (3, 2, 3)),
    _einsum_case("iij,jk->ik", (3, 3, 2), (2, 4)),
    _einsum_case("ij->ji", (2, 3)),
    _einsum_case("ij->", (2, 3)),
    _einsum_case("ij->j", (2, 3)),
    _einsum_case("ij", (2, 3)),
    _einsum_case("i,i", (4,), (4,)),
    _einsum_case("i,j", (3,), (4,)),
    _einsum_case("i,i->i", (4,), (4,)),
    _einsum_case("ij,ij->", (2, 3), (1, 3)),
    _einsum_case("ij,jk,kl->il", (2, 3), (3, 4), (4, 2)),
    _einsum_case("i,ij,j->", (3,), (3, 4), (4,)),
    _einsum_case("a,b,c->abc", (2,), (3,), (2,)),
    _einsum_case("ab,bc,cd,de->ae", (2, 3), (3, 2), (2, 4), (4, 3)),
    _einsum_case("Ba,aC", (2, 3), (3, 4)),
    _einsum_case("bA", (2, 3)),
    _einsum_case(",i->i", (), (3,)),
    _einsum_case("...,...", (3,), (2, 1)),
    _einsum_case("", ()),
    _einsum_case(" ij , jk -> ik ", (2, 3), (3, 4)),
]
EINSUM_CASES += [
    Case(
        "einsum sublists, explicit output",
        lambda x, y: sg.einsum(x, [0, 1], y, [1, 2], [2, 0]),
        lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [2, 0]),
        ((2, 3), (3, 4)),
    ),
    Case(
        "einsum sublists with Ellipsis, implicit output",
        lambda x, y: sg.einsum(x, [Ellipsis, 1], y, [1, 30]),
        lambda a, b: np.einsum(a, [Ellipsis, 1], b, [1, 30]),
        ((2, 3), (3, 4)),
    ),
    Case(
        "einsum with an ndarray and a Python number",
        lambda x: sg.einsum("ij,j,->i", x, np.arange(3.0), 2.0),
        lambda a: np.einsum("ij,j,->i", a, np.arange(3.0), 2.0),
        ((2, 3),),
    ),
    _einsum_case("ij,jk->ik", (2, 3), (3, 4), dtypes=(I32, I32), domains=(INT_DOMAIN,)),
    _einsum_case("ij,jk->ik", (2, 3), (3, 4), dtypes=(I8, np.dtype("uint8")), domains=((0, 5),)),
    _einsum_case("i,i", (4,), (4,), dtypes=(I32, F32), domains=(INT_DOMAIN,)),
    _einsum_case("ii", (3, 3), dtypes=(I8,), domains=(INT_DOMAIN,)),
    _einsum_case("ij->i", (3, 2), dtypes=(B,), domains=(INT_DOMAIN,)),
    _einsum_case("i,i", (4,), (4,), dtypes=(B, B), domains=(INT_DOMAIN,)),
    _einsum_case("ij,jk->ik", (2, 3), (3, 4), dtypes=(F32, F64)),
]


@pytest.mark.parametrize("case, dtype", params(EINSUM_CASES))
def test_einsum(case, dtype):
    check_case(case, dtype)


def _tensordot(axes):
    return lambda x, y: sg.tensordot(x, y, axes), lambda a, b: np.tensordot(a, b, axes)


CONTRACTION_CASES = [
    Case("tensordot default", sg.tensordot, np.tensordot, ((2, 3, 4), (3, 4, 5))),
    Case("tensordot axes=0", *_tensordot(0), ((2, 3), (4,))),
    Case("tensordot axes=1", *_tensordot(1), ((2, 3), (3, 4))),
    Case("tensordot axes=([0, 2], [1, 0])", *_tensordot(([0, 2], [1, 0])), ((3, 2, 4), (4, 3))),
    Case("tensordot axes=(1, 0)", *_tensordot((1, 0)), ((2, 3), (3, 4))),
    Case("tensordot axes=([-1], [-2])", *_tensordot(([-1], [-2])), ((2, 3), (4, 3, 2))),
    Case("tensordot axes=([], [])", *_tensordot(([], [])), ((2,), (3,))),
    Case("tensordot of a 0-d", *_tensordot(0), ((), (3,))),
    Case("inner 1-d", sg.inner, np.inner, ((4,), (4,))),
    Case("inner 2-d, 1-d", sg.inner, np.inner, ((2, 4), (4,))),
    Case("inner 3-d, 2-d", sg.inner, np.inner, ((2, 3, 4), (5, 4))),
    Case("inner with a 0-d", sg.inner, np.inner, ((), (2, 3))),
    Case("kron 2-d, 2-d", sg.kron, np.kron, ((2, 2), (3, 3))),
    Case("kron 1-d, 2-d", sg.kron, np.kron, ((3,), (2, 2))),
    Case("kron 3-d, 1-d", sg.kron, np.kron, ((2, 1, 2), (3,))),
    Case("kron 2-d, 0-d", sg.kron, np.kron, ((2, 3), ())),
    Case("kron 1-d, 1-d", sg.kron, np.kron, ((2,), (3,))),
    Case("kron f32 with f64", sg.kron, np.kron, ((2,), (3,)), dtypes=(F32, F64)),
    Case("trace", sg.trace, np.trace, ((3, 3),)),
    Case("trace of (3, 4)", sg.trace, np.trace, ((3, 4),)),
    Case(
        "trace(offset=1)",
        lambda x: sg.trace(x, offset=1),
        lambda a: np.trace(a, offset=1),
        ((3, 4),),
    ),
    Case(
        "trace(offset=-2)",
        lambda x: sg.trace(x, -2),
        lambda a: np.trace(a, -2),
        ((4, 3),),
    ),
    Case(
        "trace(axis1=1, axis2=2)",
        lambda x: sg.trace(x, axis1=1, axis2=2),
        lambda a: np.trace(a, axis1=1, axis2=2),
        ((2, 3, 3),),
    ),
    Case(
        "trace(axis1=-1, axis2=0)",
        lambda x: sg.trace(x, axis1=-1, axis2=0),
        lambda a: np.trace(a, axis1=-1, axis2=0),
        ((3, 2, 4),),
    ),
    Case("x.trace()", lambda x: x.trace(), lambda a: a.trace(), ((3, 3),)),
    Case(
        "x.trace(1, 0, 2)",
        lambda x: x.trace(1, 0, 2),
        lambda a: a.trace(1, 0, 2),
        ((3, 2, 4),),
    ),
    Case("trace of int8", sg.trace, np.trace, ((3, 3),), (INT_DOMAIN,), (I8,)),
    Case(
        "trace(dtype=float32) of int32",
        lambda x: sg.trace(x, dtype=np.float32),
        lambda a: np.trace(a, dtype=np.float32),
        ((3, 3),),
        (INT_DOMAIN,),
        (I32,),
    ),
    Case("diagonal", sg.diagonal, np.diagonal, ((3, 4),)),
    Case(
        "diagonal(offset=1)",
        lambda x: sg.diagonal(x, 1),
        lambda a: np.diagonal(a, 1),
        ((3, 4),),
    ),
    Case(
        "diagonal(offset=-2)",
        lambda x: sg.diagonal(x, -2),
        lambda a: np.diagonal(a, -2),
        ((3, 4),),
    ),
    Case(
        "diagonal(offset=5) is empty",
        lambda x: sg.diagonal(x, 5),
        lambda a: np.diagonal(a, 5),
        ((3, 4),),
    ),
    Case(
        "diagonal(0, 2, 0)",
        lambda x: sg.diagonal(x, 0, 2, 0),
        lambda a: np.diagonal(a, 0, 2, 0),
        ((3, 2, 4),),
    ),
    Case(
        "diagonal(1, -1, 1)",
        lambda x: sg.diagonal(x, 1, -1, 1),
        lambda a: np.diagonal(a, 1, -1, 1),
        ((2, 3, 4, 3),),
    ),
    Case(
        "x.diagonal(-1)",
        lambda x: x.diagonal(-1),
        lambda a: a.diagonal(-1),
        ((3, 3),),
    ),
    Case("diag of 1-d", sg.diag, np.diag, ((3,),)),
    Case("diag(k=2) of 1-d", lambda x: sg.diag(x, 2), lambda a: np.diag(a, 2), ((3,),)),
    Case("diag(k=-1) of 1-d", lambda x: sg.diag(x, k=-1), lambda a: np.diag(a, k=-1), ((3,),)),
    Case("diag of 2-d", sg.diag, np.diag, ((3, 4),)),
    Case("diag(k=1) of 2-d", lambda x: sg.diag(x, 1), lambda a: np.diag(a, 1), ((3, 4),)),
    Case("diag(k=-2) of 2-d", lambda x: sg.diag(x, -2), lambda a: np.diag(a, -2), ((4, 3),)),
    Case("diag of int32 1-d", sg.diag, np.diag, ((3,),), (INT_DOMAIN,), (I32,)),
]


@pytest.mark.parametrize("case, dtype", params(CONTRACTION_CASES))
def test_contraction(case, dtype):
    check_case(case, dtype)


def _average(**kwargs):
    return (
        lambda x: sg.average(x, **kwargs),
        lambda a: np.average(a, **kwargs),
    )


def _weighted(**kwargs):
    return (
        lambda x, w: sg.average(x, weights=w, **kwargs),
        lambda a, w: np.average(a, weights=w, **kwargs),
    )


REDUCTION_CASES = [
    Case("cumprod", sg.cumprod, np.cumprod, ((2, 3, 2),)),
    Case("cumprod axis=0", lambda x: sg.cumprod(x, 0), lambda a: np.cumprod(a, 0), ((2, 3, 2),)),
    Case(
        "cumprod axis=1",
        lambda x: sg.cumprod(x, axis=1),
        lambda a: np.cumprod(a, axis=1),
        ((2, 3, 2),),
    ),
    Case(
        "cumprod axis=-1",
        lambda x: sg.cumprod(x, axis=-1),
        lambda a: np.cumprod(a, axis=-1),
        ((2, 3, 2),),
    ),
    Case("x.cumprod()", lambda x: x.cumprod(), lambda a: a.cumprod(), ((2, 3),)),
    Case("cumprod with zeros", sg.cumprod, np.cumprod, ((8,),), (INTS,)),
    Case("cumprod of int32", sg.cumprod, np.cumprod, ((4,),), (INT_DOMAIN,), (I32,)),
    Case("cumprod of bool", sg.cumprod, np.cumprod, ((4,),), (INT_DOMAIN,), (B,)),
    Case("average", sg.average, np.average, ((2, 3),)),
    Case("average axis=0", *_average(axis=0), ((2, 3, 2),)),
    Case("average axis=(0, 2)", *_average(axis=(0, 2)), ((2, 3, 2),)),
    Case("average keepdims", *_average(axis=1, keepdims=True), ((2, 3, 2),)),
    Case("average of int32", sg.average, np.average, ((2, 3),), (INT_DOMAIN,), (I32,)),
    Case("average weights", *_weighted(), ((2, 3), (2, 3)), ((-2, 2), (0.5, 2))),
    Case("average weights axis=1", *_weighted(axis=1), ((2, 3), (3,)), ((-2, 2), (0.5, 2))),
    Case(
        "average weights axis=(2, 0)",
        *_weighted(axis=(2, 0)),
        ((2, 3, 4), (4, 2)),
        ((-2, 2), (0.5, 2)),
    ),
    Case(
        "average weights keepdims",
        *_weighted(axis=0, keepdims=True),
        ((2, 3), (2,)),
        ((-2, 2), (0.5, 2)),
    ),
    Case(
        "average int32 with float32 weights",
        *_weighted(axis=0),
        ((3, 2), (3,)),
        (INT_DOMAIN, (0.5, 2)),
        (I32, F32),
    ),
    Case("ptp", sg.ptp, np.ptp, ((2, 3),)),
    Case("ptp axis=0", lambda x: sg.ptp(x, 0), lambda a: np.ptp(a, 0), ((2, 3),)),
    Case(
        "ptp axis=(0, 2), keepdims",
        lambda x: sg.ptp(x, axis=(0, 2), keepdims=True),
        lambda a: np.ptp(a, axis=(0, 2), keepdims=True),
        ((2, 3, 2),),
    ),
    Case("x.ptp(axis=1)", lambda x: x.ptp(axis=1), lambda a: np.ptp(a, axis=1), ((2, 3),)),
    Case("ptp of int8", sg.ptp, np.ptp, ((5,),), (INT_DOMAIN,), (I8,)),
    Case("sinc", sg.sinc, np.sinc, ((2, 5),), ((-4, 4),)),
    Case("sinc of integers (0 included)", sg.sinc, np.sinc, ((7,),), (INTS,)),
    Case("sinc of int32", sg.sinc, np.sinc, ((7,),), (INT_DOMAIN,), (I32,)),
    Case("sinc of 0-d", sg.sinc, np.sinc, ((),)),
]


@pytest.mark.parametrize("case, dtype", params(REDUCTION_CASES))
def test_cumprod_average_ptp_sinc(case, dtype):
    check_case(case, dtype)


def test_average_returned_gives_the_sum_of_weights():
    x, w = sg.var("x", shape=(2, 3)), sg.var("w", shape=(3,))
    a, b = np.arange(6.0).reshape(2, 3), np.array([1.0, 2.0, 4.0])
    avg, total = sg.compile(sg.average(x, axis=1, weights=w, returned=True))(a, b)
    want_avg, want_total = np.average(a, axis=1, weights=b, returned=True)
    np.testing.assert_allclose(avg, want_avg, rtol=1e-14)
    np.testing.assert_array_equal(total, want_total)
    avg, count = sg.compile(sg.average(x, axis=0, returned=True))(a)
    np.testing.assert_array_equal(count, np.average(a, axis=0, returned=True)[1])


# --- symbolic dimensions --------------------------------------------------------------------


@pytest.mark.parametrize(
    "build, ref",
    [
        (lambda x, m: sg.einsum("ni,ij->nj", x, m), lambda a, m: np.einsum("ni,ij->nj", a, m)),
        (lambda x, m: sg.einsum("...i,...i", x, x), lambda a, m: np.einsum("...i,...i", a, a)),
        (lambda x, m: sg.tensordot(x, m, 1), lambda a, m: np.tensordot(a, m, 1)),
        (lambda x, m: sg.trace(x.T @ x), lambda a, m: np.trace(a.T @ a)),
        (lambda x, m: sg.diagonal(x @ x.T), lambda a, m: np.diagonal(a @ a.T)),
        (lambda x, m: sg.diag(x[:, 0]), lambda a, m: np.diag(a[:, 0])),
        (lambda x, m: sg.cumprod(x, axis=1), lambda a, m: np.cumprod(a, axis=1)),
        (lambda x, m: sg.average(x, axis=0), lambda a, m: np.average(a, axis=0)),
        (lambda x, m: sg.kron(x, np.ones((1, 2))), lambda a, m: np.kron(a, np.ones((1, 2)))),
    ],
    ids=[
        "einsum",
        "einsum ...",
        "tensordot",
        "trace",
        "diagonal",
        "diag",
        "cumprod",
        "average",
        "kron",
    ],
)
def test_symbolic_dims(build, ref):
    x, m = sg.var("x", shape=("n", 3)), sg.var("m", shape=(3, 2))
    f = sg.compile(build(x, m), inputs=[x, m])
    g = sg.compile(sg.grad((build(x, m) ** 2).sum(), x), inputs=[x, m])
    rng = np.random.default_rng(0)
    mat = rng.normal(size=(3, 2))
    for n in (1, 4):
        a = rng.normal(size=(n, 3))
        np.testing.assert_allclose(f(a, mat), ref(a, mat), rtol=1e-12, atol=1e-12)
        loss = sg.compile((build(x, m) ** 2).sum(), inputs=[x, m])
        np.testing.assert_allclose(
            g(a, mat), numeric_jacobian(loss, [a, mat], 0), rtol=1e-6, atol=1e-7
        )


# --- derivatives the generic table does not reach -------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        [2.0, 0.0, 3.0, -1.5],
        [0.0, 2.0, 3.0, -1.5],
        [2.0, 3.0, -1.5, 0.0],
        [2.0, 0.0, 3.0, 0.0, 1.5],
        [0.0, 0.0, 1.0],
    ],
    ids=["one zero", "zero first", "zero last", "two zeros", "two leading zeros"],
)
def test_cumprod_derivatives_are_exact_at_zeros(values):
    """First derivatives, reverse and forward. cumprod is a polynomial, so central
    differences are exact at zeros too. (Second derivatives: tests/test_special_points.py.)"""
    a = np.array(values)
    x = sg.var("x", shape=a.shape)
    w = np.random.default_rng(0).normal(size=a.shape)
    loss = (sg.cumprod(x) * w).sum()
    f = sg.compile(loss)
    expected = numeric_jacobian(f, [a], 0)
    grad = sg.compile(sg.grad(loss, x))(a)
    assert np.all(np.isfinite(grad))
    np.testing.assert_allclose(grad, expected, rtol=1e-8, atol=1e-9)
    u = np.random.default_rng(1).normal(size=a.shape)
    jv = sg.compile(sg.jvp(sg.cumprod(x), x, u))(a)
    jacobian = numeric_jacobian(sg.compile(sg.cumprod(x)), [a], 0)
    np.testing.assert_allclose(jv, jacobian @ u, rtol=1e-8, atol=1e-9)


def test_cumprod_gradient_at_zeros_along_an_axis_with_batch():
    a = np.array([[1.5, 0.0, 2.0], [0.0, -1.0, 0.0]])
    x = sg.var("x", shape=a.shape)
    y = sg.cumprod(x, axis=1)
    f = sg.compile(y)
    for build in (jacobian_forward, jacobian_reverse):
        (block,) = sg.compile(build(y, [x]))(a)
        np.testing.assert_allclose(block, numeric_jacobian(f, [a], 0), rtol=1e-8, atol=1e-9)


def _sinc_derivatives(x, order):
    """d^order/dx^order of sin(pi x)/(pi x), in 50-digit arithmetic."""
    with mpmath.workdps(50):
        f = lambda t: mpmath.sinc(mpmath.pi * t)  # noqa: E731
        return float(mpmath.diff(f, mpmath.mpf(x), order))


def test_sinc_is_one_with_zero_slope_at_zero():
    x = sg.var("x")
    assert float(sg.sinc(x).eval({x: 0.0})) == 1.0
    assert float(sg.grad(sg.sinc(x), x).eval({x: 0.0})) == 0.0
    second = float(sg.grad(sg.grad(sg.sinc(x), x), x).eval({x: 0.0}))
    assert second == pytest.approx(-(np.pi**2) / 3, rel=1e-14)


@pytest.mark.parametrize("dtype", [F32, F64], ids=lambda d: d.name)
def test_sinc_derivative_is_accurate_near_zero_and_beyond(dtype):
    """The series below |pi x| = 1/2 and the closed form above both keep full precision."""
    points = np.array([1e-9, -1e-6, 1e-3, 0.05, -0.159, 0.16, 0.3, -1.7, 2.5, 10.25])
    x = sg.var("x", shape=points.shape, dtype=dtype)
    first = sg.grad(sg.sinc(x).sum(), x)
    got1, got2 = sg.compile([first, sg.grad(first.sum(), x)])(points.astype(dtype))
    want1 = np.array([_sinc_derivatives(float(dtype.type(p)), 1) for p in points])
    want2 = np.array([_sinc_derivatives(float(dtype.type(p)), 2) for p in points])
    assert got1.dtype == dtype
    np.testing.assert_allclose(got1, want1, **TOLERANCE[dtype], err_msg="first derivative")
    rtol = TOLERANCE[dtype]["rtol"] * 100  # the second derivative of the closed form cancels
    np.testing.assert_allclose(got2, want2, rtol=rtol, atol=1e-6, err_msg="second derivative")


def test_einsum_gradient_of_a_trace_is_the_identity():
    x = sg.var("x", shape=(3, 3))
    g = sg.compile(sg.grad(sg.einsum("ii", x), x), inputs=[x])(np.zeros((3, 3)))
    np.testing.assert_array_equal(g, np.eye(3))


def test_diag_gradient_reads_the_diagonal_back():
    v = sg.var("v", shape=(3,))
    w = np.arange(16.0).reshape(4, 4)
    g = sg.compile(sg.grad((sg.diag(v, k=-1) * w).sum(), v), inputs=[v])(np.ones(3))
    np.testing.assert_array_equal(g, np.diagonal(w, -1))


# --- emitted code ---------------------------------------------------------------------------


def test_einsum_emits_numpy_einsum_optimized_where_it_contracts():
    a, b, c = (sg.var(n, shape=(3, 3)) for n in "abc")
    source = sg.compile(sg.einsum("ij,jk,kl->il", a, b, c)).source
    assert "np.einsum('ij,jk,kl->il', a, b, c, optimize=True)" in source
    source = sg.compile(sg.einsum("bij,bjk->bik", a[None], b[None])).source
    assert "np.einsum('bij,bjk->bik'" in source and "optimize=True" in source
    source = sg.compile(sg.einsum("i,i->i", a[0], b[0])).source
    assert "np.einsum('i,i->i'" in source and "optimize" not in source


def test_einsum_of_one_operand_is_a_sum_or_transpose():
    x = sg.var("x", shape=(3, 3))
    assert "np.einsum" not in sg.compile(sg.einsum("ii", x)).source
    assert "np.diagonal" in sg.compile(sg.einsum("ii->i", x)).source
    assert sg.einsum("ij->ji", x).op.name == "transpose"
    assert sg.einsum("ij", x) is x


def test_ellipsis_axes_get_spare_letters():
    a, b = sg.var("a", shape=(2, 1, 2, 3)), sg.var("b", shape=(5, 3, 4))
    assert sg.einsum("...ij,...jk", a, b).op.subscripts == "YZij,Zjk->YZik"


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "subscripts, shapes, error, match",
    [
        ("ij;jk", ((2, 2), (2, 2)), ValueError, "invalid character ';'"),
        ("ij,jk->ik'", ((2, 2), (2, 2)), ValueError, "invalid character"),
        ("ij,jk->i\nk", ((2, 2), (2, 2)), ValueError, "invalid character"),
        ("ij,jk->ik->i", ((2, 2), (2, 2)), ValueError, "at most one '->'"),
        ("ij-jk", ((2, 2),), ValueError, "lone"),
        ("i>j", ((2, 2),), ValueError, "lone"),
        ("ij,jk", ((2, 2),), ValueError, "describe 2 operands, but 1"),
        ("ij", ((2, 2), (2, 2)), ValueError, "describe 1 operands, but 2"),
        ("i.j", ((2, 2),), ValueError, "not part of an ellipsis"),
        ("....i", ((2, 2),), ValueError, "not part of an ellipsis"),
        ("...i...", ((2, 2),), ValueError, "more than one"),
        ("ijk", ((2, 2),), ValueError, "has 2 dimensions but its subscripts 'ijk' name 3"),
        ("i", ((2, 2),), ValueError, "no '...'"),
        ("i->ii", ((2,),), ValueError, "appears more than once"),
        ("i->j", ((2,),), ValueError, "appears in no operand"),
        ("i->i.", ((2,),), ValueError, "stray"),
        ("ij,jk->ik", ((2, 3), (4, 5)), sg.ShapeError, "label 'j' labels axes of sizes 3 and 4"),
        ("i,i", ((2,), (3,)), sg.ShapeError, "sizes 2 and 3"),
        ("ii", ((2, 3),), sg.ShapeError, "repeats label 'i' on axes of sizes 2 and 3"),
        ("...i,...i", ((2, 3), (4, 3)), sg.ShapeError, r"'\.\.\.' axes .* \(2,\), \(4,\)"),
    ],
)
def test_einsum_errors(subscripts, shapes, error, match):
    xs = [sg.var(f"x{i}", shape=s) for i, s in enumerate(shapes)]
    with pytest.raises(error, match=match):
        sg.einsum(subscripts, *xs)


def test_einsum_argument_errors():
    x = sg.var("x", shape=(2,))
    with pytest.raises(TypeError, match="at least one operand"):
        sg.einsum("i")
    with pytest.raises(TypeError, match="at least one operand"):
        sg.einsum()
    with pytest.raises(ValueError, match="sublist"):
        sg.einsum(x, [0.5])
    with pytest.raises(ValueError, match="sublist"):
        sg.einsum(x, [52])
    with pytest.raises(ValueError, match="52 letters"):
        letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY"
        # variables have at most 32 dimensions; a reshape makes the 53-d operand
        sg.einsum(letters + "...->", sg.reshape(sg.var("y", shape=(1,)), (1,) * 53))


@pytest.mark.parametrize(
    "subscripts",
    [
        "ij,jk->ik'); import os; ('",
        "ij,jk",
        "i i->i",
        "ii->i",
        "i->ii",
        "i->j",
        "...i->i",
        "i->...i",
        "i.->i",
        "i->i->i",
        "",
    ],
)
def test_the_einsum_op_accepts_only_canonical_subscripts(subscripts):
    with pytest.raises(ValueError, match="einsum"):
        Einsum(subscripts)


def test_the_einsum_op_refuses_non_string_subscripts():
    with pytest.raises(TypeError, match="subscripts"):
        Einsum(("ij->ji",))  # type: ignore[arg-type]


def test_a_graph_file_with_hostile_subscripts_loads_nothing(tmp_path, capfd):
    document = {
        "format": "symgrad-graph",
        "version": 1,
        "nodes": [
            {
                "op": "var",
                "params": {"name": "x", "shape": [2, 2], "dtype": "float64"},
                "inputs": [],
            },
            {
                "op": "einsum",
                "params": {"subscripts": "ij->ji', x); print('pwned'); ('"},
                "inputs": [0],
            },
        ],
        "outputs": {"node": 1},
    }
    path = tmp_path / "g.json"
    path.write_text(json.dumps(document))
    with pytest.raises(sg.GraphFileError, match="node 1"):
        sg.load_graph(path)
    assert "pwned" not in capfd.readouterr().out


def test_the_einsum_op_checks_operands_against_its_subscripts():
    x = sg.var("x", shape=(2, 3))
    with pytest.raises(sg.ShapeError, match="2 operand subscripts for 1 operands"):
        Einsum("ij,jk->ik")(x)
    with pytest.raises(sg.ShapeError, match="does not fit the subscripts 'i'"):
        Einsum("i->i")(x)


@pytest.mark.parametrize(
    "build, error, match",
    [
        (lambda a, b: sg.tensordot(a, b, 3), sg.ShapeError, "axes=3"),
        (lambda a, b: sg.tensordot(a, b, -1), sg.ShapeError, "axes=-1"),
        (lambda a, b: sg.tensordot(a, b, ([0], [0, 1])), sg.ShapeError, "paired"),
        (lambda a, b: sg.tensordot(a, b, ([0, 0], [0, 1])), sg.ShapeError, "repeated"),
        (lambda a, b: sg.tensordot(a, b, ([0], [3])), sg.ShapeError, "out of bounds"),
        (lambda a, b: sg.tensordot(a, b, 1), sg.ShapeError, "shape-mismatch"),
        (lambda a, b: sg.tensordot(a, b, "x"), TypeError, "axes must be"),
        (lambda a, b: sg.inner(a, b), sg.ShapeError, "not aligned"),
        (lambda a, b: sg.trace(b[0, 0]), sg.ShapeError, "at least 2 dimensions"),
        (lambda a, b: sg.trace(a, axis1=1, axis2=-1), sg.ShapeError, "cannot be the same"),
        (lambda a, b: sg.diagonal(a, axis1=0, axis2=2), sg.ShapeError, "out of bounds"),
        (lambda a, b: sg.diagonal(a, 0.5), TypeError, "offset must be an int"),
        (lambda a, b: sg.diag(b), sg.ShapeError, "1- or 2-d"),
        (lambda a, b: sg.diag(a[0, 0]), sg.ShapeError, "1- or 2-d"),
        (lambda a, b: sg.average(a, weights=np.ones(3)), TypeError, "axis must be given"),
        (lambda a, b: sg.average(a, axis=0, weights=np.ones(3)), sg.ShapeError, "weights"),
        (lambda a, b: sg.cumprod(a[0, 0], axis=0), sg.ShapeError, "at least one axis"),
    ],
)
def test_errors(build, error, match):
    a, b = sg.var("a", shape=(2, 3)), sg.var("b", shape=(4, 3, 2))
    with pytest.raises(error, match=match):
        build(a, b)


def test_symbolic_sizes_that_cannot_be_known_are_refused():
    x = sg.var("x", shape=("n", "m"))
    with pytest.raises(sg.ShapeError, match="no known length"):
        sg.diagonal(x)
    with pytest.raises(sg.ShapeError, match="no known size"):
        sg.diag(sg.var("v", shape=("n",)), k=1)
    with pytest.raises(sg.ShapeError, match="not a known size"):
        sg.kron(x, np.ones((2, 2)))


def test_diag_ops_check_their_shapes():
    x = sg.var("x", shape=(3,))
    with pytest.raises(sg.ShapeError, match="does not fit"):
        DiagEmbed(0, 0, 1, (4, 4))(x)
    with pytest.raises(sg.ShapeError, match="not two axes"):
        Diagonal(0, 0, 0)(sg.var("y", shape=(3, 3)))
