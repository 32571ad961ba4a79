"""Derivatives at special points where they exist: powers with exponent 0, standard
deviations of one element, products with zeros, pseudo-inverses of rank-deficient matrices.

References: hand-derived values (limits, as autograd and JAX give them), products computed
by explicit loops, and central finite differences away from kinks."""

import itertools
import warnings

import numpy as np
import pytest

import symgrad as sg
from symgrad.differentiate.derived import jacobian_forward, jacobian_reverse

from .gradcheck import numeric_jacobian


@pytest.fixture(autouse=True)
def _no_nan_warnings():
    with warnings.catch_warnings():
        warnings.filterwarnings("error", "invalid value", RuntimeWarning)
        yield


# --- powers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("point", [0.0, 2.0, -3.0])
def test_x_to_the_zero_has_derivatives_zero_everywhere(point):
    x = sg.var("x")
    y = x**0
    d1 = sg.grad(y, x)
    d2 = sg.grad(d1, x)
    assert sg.compile((y, d1, d2, sg.jvp(y, x, 1.0)))(point) == (1.0, 0.0, 0.0, 0.0)


def test_array_exponents_holding_zero():
    v = sg.var("v", shape=(3,))
    y = sg.power(v, np.array([0.0, 1.0, 2.0]))
    (jr,), (jf,) = jacobian_reverse(y, [v]), jacobian_forward(y, [v])
    hessian = sg.hessian(y.sum(), v)
    got_r, got_f, got_h = sg.compile([jr, jf, hessian])(np.zeros(3))
    # d/dx x^e at 0: 0 for e = 0 (x^0 = 1), 1 for e = 1, 0 for e = 2; second: 0, 0, 2
    np.testing.assert_array_equal(got_r, np.diag([0.0, 1.0, 0.0]))
    np.testing.assert_array_equal(got_f, np.diag([0.0, 1.0, 0.0]))
    np.testing.assert_array_equal(got_h, np.diag([0.0, 0.0, 2.0]))


def test_a_variable_exponent_holding_zero():
    v, e = sg.var("v", shape=(3,)), sg.var("e", shape=(3,))
    y = sg.power(v, e).sum()
    gv, ge = sg.compile(sg.grad(y, [v, e]))(np.zeros(3), np.array([0.0, 1.0, 2.0]))
    np.testing.assert_array_equal(gv, [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(ge, [0.0, 0.0, 0.0])  # 0 ** e: derivative in e taken as 0
    h = sg.compile(sg.hessian(y, v))(np.zeros(3), np.array([0.0, 1.0, 2.0]))
    np.testing.assert_array_equal(h, np.diag([0.0, 0.0, 2.0]))


def test_x_to_the_y_at_the_origin():
    x, y = sg.var("x"), sg.var("y")
    f = x**y
    (dx, dy) = sg.grad(f, [x, y])
    dxx = sg.grad(dx, x)
    dyy = sg.grad(dy, y)
    tangent = sg.jvp(f, [x, y], [1.0, 0.0])
    # along x, x^0 = 1 is constant: 0; d/dy at x = 0 is 0 by convention (0^y is 0 for y > 0)
    assert sg.compile((dx, dy, dxx, dyy, tangent))(0.0, 0.0) == (0.0, 0.0, 0.0, 0.0, 0.0)


def test_powers_away_from_zero_keep_their_derivatives():
    x, y = sg.var("x"), sg.var("y")
    dx, dy = sg.grad(x**y, [x, y])
    got = sg.compile((dx, dy))(1.5, 0.0)
    assert got[0] == 0.0 and got[1] == pytest.approx(np.log(1.5), rel=1e-15)
    got = sg.compile((dx, dy))(2.0, 3.0)
    assert got == (pytest.approx(12.0, rel=1e-15), pytest.approx(8 * np.log(2.0), rel=1e-15))


# --- standard deviation and variance of one element -----------------------------------------


@pytest.mark.parametrize(
    "build, shape",
    [
        (lambda v: v.std(), (1,)),
        (lambda v: v.std(ddof=1), (1, 1)),
        (lambda v: v.var(ddof=1), (1,)),
        (lambda v: sg.sqrt(v.var()), (1,)),
        (lambda v: v.std(axis=1).sum(), (3, 1)),
        (lambda v: v.var(axis=(0, 2), ddof=1).sum(), (1, 2, 1)),
    ],
    ids=["std", "std ddof=1", "var ddof=1", "sqrt(var)", "std rows", "var groups ddof=1"],
)
def test_one_element_statistics_are_constant(build, shape):
    x = sg.var("x", shape=shape)
    y = build(x)
    a = np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the value of var(ddof=1) of one element is 0 / 0
        gradient, hessian, tangent = sg.compile(
            (sg.grad(y, x), sg.hessian(y, x), sg.jvp(y, x, np.ones(shape)))
        )(a)
    np.testing.assert_array_equal(gradient, np.zeros(shape))
    np.testing.assert_array_equal(hessian, np.zeros(shape + shape))
    assert tangent == 0.0


def test_one_element_std_of_symbolic_size_is_decided_when_run():
    x = sg.var("x", shape=("n",))
    f = sg.compile([x.std(), sg.grad(x.std(), x)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 0.5 / std(x) = inf before the selection drops it
        value, gradient = f(np.array([3.0]))
    assert value == 0.0 and gradient.tolist() == [0.0]
    value, gradient = f(np.array([1.0, 4.0]))
    assert value == 1.5
    np.testing.assert_allclose(gradient, [-0.5, 0.5], rtol=1e-15)


def test_std_of_several_elements_is_unchanged():
    x = sg.var("x", shape=(4,))
    a = np.array([1.0, -2.0, 0.5, 3.0])
    g = sg.compile(sg.grad(x.std(ddof=1), x))(a)
    np.testing.assert_allclose(g, numeric_jacobian(lambda v: np.std(v, ddof=1), [a], 0), 1e-8)


# --- products with zeros: second derivatives ------------------------------------------------


def _prod_hessian(a):
    """d^2 prod(a) / da_k da_l: the product of the elements other than k and l (0 on the
    diagonal), by explicit loops."""
    n = a.size
    h = np.zeros((n, n))
    for k, m in itertools.permutations(range(n), 2):
        h[k, m] = np.prod([a[i] for i in range(n) if i not in (k, m)])
    return h


def _cumprod_hessian(a, w):
    """d^2 sum(w * cumprod(a)) / da_k da_l, by explicit loops."""
    n = a.size
    h = np.zeros((n, n))
    for k, m in itertools.permutations(range(n), 2):
        for i in range(max(k, m), n):
            h[k, m] += w[i] * np.prod([a[j] for j in range(i + 1) if j not in (k, m)])
    return h


ZEROS = {
    "one zero": [2.0, 0.0, 3.0, -1.5],
    "zero first": [0.0, 2.0, 3.0, -1.5],
    "zero last": [2.0, 3.0, -1.5, 0.0],
    "two zeros": [2.0, 0.0, 3.0, 0.0, 1.5],
    "two leading zeros": [0.0, 0.0, 1.0, 2.5],
    "three zeros": [0.0, 1.5, 0.0, 0.0],
    "no zero": [1.5, -0.5, 2.0, 0.75],
}


@pytest.mark.parametrize("values", list(ZEROS.values()), ids=list(ZEROS))
def test_prod_second_derivatives_at_zeros(values):
    a = np.array(values)
    x = sg.var("x", shape=a.shape)
    y = sg.prod(x)
    gradient = sg.grad(y, x)
    got = sg.compile([sg.hessian(y, x), sg.jacobian(gradient, x), sg.hvp(y, x, np.ones(a.size))])
    forward_over_reverse, reverse_over_reverse, hvp = got(a)
    want = _prod_hessian(a)
    np.testing.assert_allclose(forward_over_reverse, want, rtol=1e-14, atol=0)
    np.testing.assert_allclose(reverse_over_reverse, want, rtol=1e-14, atol=0)
    np.testing.assert_allclose(hvp, want.sum(axis=1), rtol=1e-14, atol=0)


@pytest.mark.parametrize("values", list(ZEROS.values()), ids=list(ZEROS))
def test_cumprod_second_derivatives_at_zeros(values):
    a = np.array(values)
    w = np.random.default_rng(3).normal(size=a.shape)
    x = sg.var("x", shape=a.shape)
    y = (sg.cumprod(x) * w).sum()
    got = sg.compile([sg.hessian(y, x), sg.jacobian(sg.grad(y, x), x)])
    forward_over_reverse, reverse_over_reverse = got(a)
    want = _cumprod_hessian(a, w)
    np.testing.assert_allclose(forward_over_reverse, want, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(reverse_over_reverse, want, rtol=1e-13, atol=1e-15)


def test_prod_over_several_axes_and_batched_second_derivatives():
    a = np.array([[1.0, 0.0, 2.0], [3.0, 0.5, 0.0]])
    x = sg.var("x", shape=a.shape)
    for y, flat in [(x.prod(), a.ravel()), (x.T.prod(axis=(0, 1)), a.ravel())]:
        h = sg.compile(sg.hessian(y, x))(a).reshape(6, 6)
        np.testing.assert_allclose(h, _prod_hessian(flat), rtol=1e-14, atol=0)
    rows = sg.compile(sg.hessian(x.prod(axis=1).sum(), x))(a).reshape(6, 6)
    want = np.zeros((6, 6))
    want[:3, :3], want[3:, 3:] = _prod_hessian(a[0]), _prod_hessian(a[1])
    np.testing.assert_allclose(rows, want, rtol=1e-14, atol=0)


def test_cumprod_third_derivative_at_zeros_too():
    a = np.array([0.0, 2.0, 0.0, 1.5])
    x = sg.var("x", shape=a.shape)
    y = sg.cumprod(x)[-1]  # the total product: d^3 / dx0 dx1 dx2 is the product of the rest
    third = sg.grad(sg.grad(sg.grad(y, x)[0], x)[1], x)
    np.testing.assert_array_equal(sg.compile(third)(a), [0.0, 0.0, 1.5, 0.0])


# --- pseudo-inverse at constant, deficient rank ---------------------------------------------


@pytest.mark.parametrize("shape", [(5, 6), (3, 6), (6, 4)])
def test_pinv_of_a_gram_matrix_matches_finite_differences(shape):
    rng = np.random.default_rng(sum(shape))
    a = rng.normal(size=shape)
    weights = rng.normal(size=(shape[1], shape[1]))
    x = sg.var("x", shape=shape)
    y = (sg.linalg.pinv(x.T @ x) * weights).sum()
    f = sg.compile(y)
    gradient = sg.compile(sg.grad(y, x))(a)
    np.testing.assert_allclose(gradient, numeric_jacobian(f, [a], 0), rtol=2e-5, atol=1e-7)
    direction = rng.normal(size=shape)
    tangent = float(sg.compile(sg.jvp(y, x, direction))(a))
    step = 1e-6
    central = (float(f(a + step * direction)) - float(f(a - step * direction))) / (2 * step)
    assert tangent == pytest.approx(central, rel=1e-6)


def test_pinv_of_a_low_rank_product_in_both_factors():
    rng = np.random.default_rng(1)
    b, c = rng.normal(size=(4, 2)), rng.normal(size=(2, 5))
    p, q = sg.var("p", shape=(4, 2)), sg.var("q", shape=(2, 5))
    weights = rng.normal(size=(5, 4))
    y = (sg.linalg.pinv(p @ q) * weights).sum()
    f = sg.compile(y)
    gp, gq = sg.compile(sg.grad(y, [p, q]))(b, c)
    np.testing.assert_allclose(gp, numeric_jacobian(f, [b, c], 0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(gq, numeric_jacobian(f, [b, c], 1), rtol=1e-5, atol=1e-7)
