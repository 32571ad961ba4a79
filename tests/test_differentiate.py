"""The differentiation API: classic examples, conventions, errors, pruning, graph sizes."""

import numpy as np
import pytest
import sympy

import symgrad as sg

# --- classic examples -----------------------------------------------------------------------


def test_two_x_dot_x():
    x = sg.var("x", shape=(4,))
    g = sg.grad(2 * sg.dot(x, x), x)
    np.testing.assert_array_equal(g.eval({x: [0.0, 1.0, 2.0, 3.0]}), [0.0, 4.0, 8.0, 12.0])


def test_sum_gives_ones_and_square_with_cotangent_gives_2x():
    x = sg.var("x", shape=(3,))
    a = np.array([1.0, -2.0, 5.0])
    np.testing.assert_array_equal(sg.grad(x.sum(), x).eval({x: a}), np.ones(3))
    np.testing.assert_array_equal(sg.grad(x * x, x, cotangent=np.ones(3)).eval({x: a}), 2 * a)


def test_detach():
    x = sg.var("x", shape=(3,))
    u = sg.detach(x * x)
    z = (u * x).sum()
    a = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(sg.grad(z, x).eval({x: a}), a * a)  # dz/dx = u


def test_nothing_behind_stop_gradient_is_differentiated():
    x = sg.var("x", shape=(3,))
    hidden = sg.exp(sg.sin(x))
    y = (sg.stop_gradient(hidden) * x).sum()
    g = sg.grad(y, x)
    f = sg.compile(g)
    body = f.source.split("def evaluate")[1].split("\n\n\n")[0]
    assert "np.cos" not in body  # the derivative of sin was never built


def test_mean_of_square():
    x = sg.var("x", shape=(2, 2))
    o = sg.mean(3 * (x + 2) ** 2)
    np.testing.assert_allclose(sg.grad(o, x).eval({x: np.ones((2, 2))}), np.full((2, 2), 4.5))


def test_cubic_matches_sympy():
    x = sg.var("x")
    y = 4 * x**3 + x**2 + 3
    dy = sg.grad(y, x)
    s = sympy.Symbol("x")
    assert sympy.simplify(sg.to_sympy(dy) - sympy.diff(4 * s**3 + s**2 + 3, s)) == 0
    points = np.linspace(-3, 3, 7)
    f = sg.compile(dy)
    np.testing.assert_allclose([f(p) for p in points], 12 * points**2 + 2 * points)


def test_derivatives_of_sin_to_third_order():
    x = sg.var("x", shape=(50,))
    d1 = sg.grad(sg.sin(x).sum(), x)
    d2 = sg.grad(d1.sum(), x)
    d3 = sg.grad(d2.sum(), x)
    a = np.linspace(-5, 5, 50)
    one, two, three = sg.compile([d1, d2, d3])(a)
    np.testing.assert_allclose(one, np.cos(a), atol=1e-15)
    np.testing.assert_allclose(two, -np.sin(a), atol=1e-15)
    np.testing.assert_allclose(three, -np.cos(a), atol=1e-15)


def test_hessian_of_quadratic_form_is_a_plus_a_transpose():
    A = np.random.default_rng(0).normal(size=(4, 4))
    x = sg.var("x", shape=(4,))
    h = sg.hessian(x @ A @ x, x).eval({x: np.ones(4)})
    np.testing.assert_allclose(h, A + A.T, atol=1e-14)


def _rosenbrock(x, n):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(n - 1))


def test_rosenbrock_hessian_equals_sympys():
    n = 4
    x = sg.var("x", shape=(n,))
    h = sg.hessian(_rosenbrock(x, n), x)
    s = sympy.symbols(f"s0:{n}", real=True)
    reference = sympy.hessian(_rosenbrock(s, n), s)
    point = np.array([0.3, -1.2, 0.8, 2.0])
    expected = np.array(reference.subs(dict(zip(s, point))).tolist(), dtype=float)
    np.testing.assert_allclose(h.eval({x: point}), expected, rtol=1e-13)


def test_jacobian_equals_sympys():
    x = sg.var("x", shape=(3,))
    y = sg.stack([x[0] * x[1], sg.sin(x[2]) * x[0], sg.exp(x[1]) + x[2] ** 2, x.sum()])
    s = sympy.symbols("s0:3", real=True)
    ys = sympy.Matrix([s[0] * s[1], sympy.sin(s[2]) * s[0], sympy.exp(s[1]) + s[2] ** 2, sum(s)])
    point = np.array([0.5, -1.5, 2.0])
    expected = np.array(ys.jacobian(s).subs(dict(zip(s, point))).tolist(), dtype=float)
    np.testing.assert_allclose(sg.jacobian(y, x).eval({x: point}), expected, rtol=1e-14)


def test_same_gradient_called_twice():
    x = sg.var("x", shape=(3,))
    f = sg.compile(sg.grad((sg.sin(x) * x).sum(), x))
    a = np.array([0.1, 0.2, 0.3])
    np.testing.assert_array_equal(f(a), f(a))


def test_gradient_structure_follows_wrt():
    a, b, c = sg.var("a"), sg.var("b"), sg.var("c")
    y = a * b + c
    ga, (gb, gc) = sg.grad(y, [a, (b, c)])
    values = sg.compile([ga, gb, gc], inputs=[a, b, c])(2.0, 3.0, 4.0)
    assert [float(v) for v in values] == [3.0, 2.0, 1.0]


def test_gradient_with_respect_to_an_intermediate():
    x = sg.var("x")
    h = sg.sin(x)
    y = h * h + x
    gh, gx = sg.grad(y, [h, x])
    vh, vx = sg.compile([gh, gx])(0.7)
    assert float(vh) == pytest.approx(2 * np.sin(0.7))
    assert float(vx) == pytest.approx(2 * np.sin(0.7) * np.cos(0.7) + 1)


# --- conventions at non-differentiable points -----------------------------------------------


def test_kinks_follow_the_common_convention():
    x = sg.var("x", shape=(3,))
    a = np.array([0.0, -1.0, 2.0])
    np.testing.assert_array_equal(sg.grad(sg.abs(x).sum(), x).eval({x: a}), [0.0, -1.0, 1.0])
    np.testing.assert_array_equal(sg.grad(sg.relu(x).sum(), x).eval({x: a}), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(sg.grad(sg.sign(x).sum(), x).eval({x: a}), [0.0, 0.0, 0.0])


def test_ties_split_the_gradient_evenly():
    x = sg.var("x", shape=(4,))
    a = np.array([3.0, 1.0, 3.0, 3.0])
    np.testing.assert_allclose(sg.grad(x.max(), x).eval({x: a}), [1 / 3, 0, 1 / 3, 1 / 3])
    np.testing.assert_allclose(sg.grad(x.min(), x).eval({x: a}), [0, 1, 0, 0])
    y = sg.var("y", shape=(4,))
    gx, gy = sg.grad(sg.maximum(x, y).sum(), [x, y])
    b = np.array([3.0, 2.0, 0.0, 3.0])
    vx, vy = sg.compile([gx, gy])(a, b)
    np.testing.assert_array_equal(vx, [0.5, 0.0, 1.0, 0.5])
    np.testing.assert_array_equal(vy, [0.5, 1.0, 0.0, 0.5])


def test_product_gradient_with_zeros_has_no_division_by_zero():
    x = sg.var("x", shape=(4,))
    g = sg.compile(sg.grad(x.prod(), x))
    # One zero: only the zero element gets the product of the others.
    np.testing.assert_array_equal(g(np.array([2.0, 0.0, 3.0, 4.0])), [0.0, 24.0, 0.0, 0.0])
    # Two zeros: everything is zero.
    np.testing.assert_array_equal(g(np.array([2.0, 0.0, 0.0, 4.0])), [0.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(g(np.array([2.0, 1.0, 3.0, 4.0])), [12.0, 24.0, 8.0, 6.0])


def test_power_gradient_at_zero_base_is_finite():
    x, p = sg.var("x", shape=(2,)), sg.var("p", shape=(2,))
    gx, gp = sg.grad((x**p).sum(), [x, p])
    vx, vp = sg.compile([gx, gp])(np.array([0.0, 2.0]), np.array([2.0, 3.0]))
    np.testing.assert_array_equal(vx, [0.0, 12.0])
    np.testing.assert_allclose(vp, [0.0, 8 * np.log(2.0)])


def test_cast_passes_derivatives_between_floats():
    x = sg.var("x", shape=(3,))
    g = sg.grad(sg.astype(x, "float32").sum(), x)
    assert g.dtype == np.float64
    np.testing.assert_array_equal(g.eval({x: [1.0, 2.0, 3.0]}), np.ones(3))


@pytest.mark.parametrize(
    "fn, derivative",
    [
        (sg.sigmoid, lambda a: np.exp(-np.logaddexp(0, a) - np.logaddexp(0, -a))),
        (sg.softplus, lambda a: np.exp(-np.logaddexp(0, -a))),
        (lambda v: sg.logsumexp(v), None),
        (lambda v: sg.softmax(v)[0], None),
    ],
)
def test_stable_ops_have_finite_gradients_at_extremes(fn, derivative):
    x = sg.var("x", shape=(3,))
    a = np.array([-1000.0, 0.0, 1000.0])
    y = fn(x)
    g = sg.grad(y.sum(), x).eval({x: a})
    assert np.all(np.isfinite(g)), g
    if derivative is not None:
        np.testing.assert_allclose(g, derivative(a), atol=1e-300)
    else:
        assert np.all(g >= -1) and np.all(g <= 1)


def test_float32_gradients_stay_float32():
    x = sg.var("x", shape=(3,), dtype="float32")
    g = sg.grad((sg.tanh(x) * 2.0).sum(), x)
    assert g.dtype == np.float32
    out = sg.compile(g)(np.ones(3, np.float32))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, 2 * (1 - np.tanh(1.0) ** 2), rtol=1e-6)


# --- errors ---------------------------------------------------------------------------------


def test_non_scalar_output_needs_a_cotangent():
    x = sg.var("x", shape=(3,))
    with pytest.raises(sg.NonScalarError, match=r"cotangent=.*\.sum\(\)"):
        sg.grad(x * x, x)
    assert issubclass(sg.NonScalarError, ValueError)


def test_disconnected_gives_zeros_or_raises():
    x, z = sg.var("x", shape=(2,)), sg.var("z", shape=(3,))
    y = (x * x).sum()
    gz = sg.grad(y, z)
    np.testing.assert_array_equal(
        sg.compile(gz, inputs=[x, z])(np.ones(2), np.ones(3)), np.zeros(3)
    )
    with pytest.raises(sg.DisconnectedError, match="'z'"):
        sg.grad(y, [x, z], disconnected="raise")
    with pytest.raises(ValueError, match="disconnected"):
        sg.grad(y, x, disconnected="maybe")


def test_cannot_differentiate_integer_things():
    i = sg.var("i", shape=(2,), dtype="int64")
    x = sg.var("x", shape=(2,))
    with pytest.raises(TypeError, match="int64"):
        sg.grad((i * x).sum(), i)
    with pytest.raises(TypeError, match="int64"):
        sg.grad(i.sum(), x)


def test_cotangent_shape_is_checked():
    x = sg.var("x", shape=(3,))
    with pytest.raises(sg.ShapeError, match="cotangent"):
        sg.grad(x * 2.0, x, cotangent=np.ones(4))


# --- pruning and graph sizes ----------------------------------------------------------------


def test_adjoints_only_on_paths_from_wrt_to_y():
    x, w = sg.var("x", shape=(3,)), sg.var("w", shape=(3,))
    side = sg.exp(sg.cos(w))  # on no path from x
    y = (sg.sin(x) * side).sum()
    g = sg.grad(y, x)
    body = sg.compile(g).source.split("def evaluate")[1].split("\n\n\n")[0]
    assert "np.sin(" not in body  # the forward sin(x) is not needed by the gradient
    assert "np.cos(x)" in body
    assert "-np.sin(w)" not in body and "np.sin(w)" not in body  # no adjoint built for w


def test_stats_count_pruned_nodes():
    x = sg.var("x", shape=(3,))
    y = (sg.exp(x) + sg.sin(x)).sum()
    f = sg.compile(sg.grad(y, x))
    s = f.stats
    assert s.built == 5  # x, exp, sin, add, sum
    assert s.differentiated > s.built
    assert s.pruned >= 2  # the forward add and sum are not needed
    assert s.after_pruning == s.differentiated - s.pruned
    assert "np.sin(x)" not in f.source.split("def evaluate")[1].split("\n\n\n")[0]


def _count(outputs):
    from symgrad.core.walk import topological_order

    return len(topological_order(outputs if isinstance(outputs, list) else [outputs]))


def test_cheap_gradient_for_a_deep_composition():
    x = sg.var("x", shape=(3,))
    y = x
    for i in range(10_000):
        y = sg.sin(y) * 0.5 if i % 2 else sg.tanh(y) + 0.1
    loss = y.sum()
    g = sg.grad(loss, x)
    assert _count([loss, g]) < 6 * _count(loss)
    a = np.array([0.1, 0.2, 0.3])
    assert np.all(np.isfinite(sg.compile(g)(a)))


def test_jacobian_graph_size_does_not_grow_with_rows():
    sizes = []
    for n in (3, 30):
        x = sg.var("x", shape=(n,))
        y = sg.tanh(x) * sg.sin(x).sum() + x[::-1]
        sizes.append((_count(sg.jacobian(y, x)), _count(sg.hessian((y * y).sum(), x))))
    assert sizes[0] == sizes[1]


def test_jacobian_modes_agree_for_wide_and_tall_outputs():
    x = sg.var("x", shape=(2,))
    tall = sg.concatenate([sg.sin(x), x * x, sg.exp(x)])  # 6 outputs: forward mode
    wide = sg.sum(x * x, keepdims=True)  # 1 output: reverse mode
    a = np.array([0.4, -0.7])
    jt, jw = sg.compile([sg.jacobian(tall, x), sg.jacobian(wide, x)])(a)
    expected_tall = np.concatenate([np.diag(np.cos(a)), np.diag(2 * a), np.diag(np.exp(a))])
    np.testing.assert_allclose(jt, expected_tall)
    np.testing.assert_allclose(jw, [2 * a])


def test_hvp_equals_hessian_times_vector():
    x = sg.var("x", shape=(3,))
    y = (sg.sin(x) * x[::-1]).sum() + sg.logsumexp(x * x)
    v = np.array([1.0, -2.0, 0.5])
    a = np.array([0.3, 0.1, -0.4])
    h, hv = sg.compile([sg.hessian(y, x), sg.hvp(y, x, v)])(a)
    np.testing.assert_allclose(hv, h @ v, rtol=1e-12)


@pytest.mark.parametrize(
    "build, derivative",
    [
        (lambda v: sg.log(1.0 + sg.exp(v)), lambda a: np.exp(-np.logaddexp(0, -a))),
        (lambda v: sg.log(sg.sigmoid(v)), lambda a: np.exp(-np.logaddexp(0, a))),
        (lambda v: sg.log(1.0 + v * v), lambda a: 2 * a / (1 + a * a)),
    ],
    ids=["log(1+exp)", "log(sigmoid)", "log(1+x^2)"],
)
def test_hand_written_unstable_formulas_get_finite_gradients(build, derivative):
    x = sg.var("x", shape=(4,))
    a = np.array([-1000.0, -1.0, 0.5, 1000.0])
    g = sg.compile(sg.grad(build(x).sum(), x))(a)
    t = sg.compile(sg.jvp(build(x), x, np.ones(4)))(a)
    np.testing.assert_allclose(g, derivative(a), rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(t, derivative(a), rtol=1e-14, atol=1e-300)


def test_log_sum_exp_written_by_hand_has_a_finite_gradient():
    x = sg.var("x", shape=(3,))
    a = np.array([1000.0, 999.0, -1000.0])
    g = sg.compile(sg.grad(sg.log(sg.sum(sg.exp(x))), x))(a)
    expected = np.exp(a - a.max()) / np.exp(a - a.max()).sum()
    # The gradient exp(x - logsumexp(x)) is accurate to about |x| * eps = 2e-13 here.
    np.testing.assert_allclose(g, expected, rtol=1e-12)
