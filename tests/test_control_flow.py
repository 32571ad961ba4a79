"""Control flow: cond, while_loop, fori_loop and scan, their values and their derivatives.

Derivatives are checked against central differences of the compiled function itself, or
against hand-derived formulas."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symgrad as sg
from symgrad.core.walk import topological_order
from symgrad.differentiate.derived import jacobian_forward, jacobian_reverse

from .gradcheck import numeric_grad, numeric_jacobian


def seed_example(a):
    """The spec's example: b = 2a; while |b| < 1000: b = 2b; c = b if sum(b) > 0 else 100b."""
    b = sg.while_loop(lambda b: sg.norm(b) < 1000, lambda b: 2 * b, 2 * a)
    return sg.cond(b.sum() > 0, lambda b: b, lambda b: 100 * b, b)


@pytest.mark.parametrize(
    "value",
    [
        [0.5, -1.0, 2.0],
        [-0.5, -1.0, -2.0],
        [3.0, 1e-3, -2.0],
        [1e-8, 2e-8, -1e-8],
        [-1e-6, 0.0, 5e-7],
        [300.0, 200.0, 0.1],
        [2000.0, 1.0, 1.0],  # the loop runs zero times
    ],
)
def test_seed_example_derivative_is_c_over_a(value):
    a = sg.var("a", shape=(3,))
    c = seed_example(a)
    weights = np.array([1.0, -2.0, 3.0])
    y = (c * weights).sum()
    f = sg.compile([c, sg.grad(y, a), sg.jacobian(c, a)])
    av = np.array(value)
    cv, g, jac = f(av)
    scale = cv[np.nonzero(av)[0][0]] / av[np.nonzero(av)[0][0]]  # c = k * a, k a power of 2
    np.testing.assert_allclose(cv, scale * av)
    np.testing.assert_allclose(g, scale * weights)
    np.testing.assert_allclose(jac, scale * np.eye(3))
    # Finite differences agree, with steps small enough not to change the trip count.
    fc = sg.compile(c)
    fd = np.zeros(3)
    for i in range(3):
        step = np.zeros(3)
        step[i] = 1e-7 * (abs(av[i]) or 1e-12)
        fd[i] = ((fc(av + step) - fc(av - step)) @ weights) / (2 * step[i])
    np.testing.assert_allclose(g, fd, rtol=1e-6)


def test_seed_example_scalar_many_values():
    a = sg.var("a")
    c = seed_example(a)
    f = sg.compile([c, sg.grad(c, a)])
    for value in [1.0, -1.0, 3.7, -250.0, 1e-12, -1e-300, 999.0, 1e4]:
        cv, g = f(value)
        assert np.isclose(g, cv / value, rtol=1e-12), value


def test_newton_sqrt_derivative_approaches_one_over_two_sqrt():
    c = sg.var("c")
    x = sg.while_loop(
        lambda x: sg.abs(x * x - c) > 1e-14 * c, lambda x: 0.5 * (x + c / x), c, max_iterations=200
    )
    f = sg.compile([x, sg.grad(x, c)])
    for value in [0.01, 0.5, 2.0, 9.0, 1e6]:
        root, slope = f(value)
        assert np.isclose(root, np.sqrt(value), rtol=1e-13)
        assert np.isclose(slope, 1 / (2 * np.sqrt(value)), rtol=1e-9)
        fd = numeric_grad(lambda v: sg.compile(x)(v), [np.array(value)], 0)
        assert np.isclose(slope, fd, rtol=1e-6)


def test_x_to_the_fifth_by_fori_loop():
    x = sg.var("x")
    y = sg.fori_loop(4, lambda i, p: p * x, x)
    dy = sg.grad(y, x)
    f = sg.compile([y, dy, sg.grad(dy, x)])
    for v in [-1.5, 0.3, 2.0]:
        value, first, second = f(v)
        assert np.isclose(value, v**5)
        assert np.isclose(first, 5 * v**4)
        assert np.isclose(second, 20 * v**3)


def test_fori_loop_uses_the_index():
    x = sg.var("x")
    y = sg.fori_loop(5, lambda i, s: s + i * x, sg.const(0.0))  # (0+1+2+3+4) x
    f = sg.compile([y, sg.grad(y, x)])
    assert np.allclose(f(2.0), [20.0, 10.0])


def test_fori_loop_with_a_run_time_count():
    x = sg.var("x")
    n = sg.var("n", dtype="int64")
    y = sg.fori_loop(n, lambda i, p: p * x, sg.const(1.0))
    f = sg.compile([y, sg.grad(y, x)], inputs=[x, n])
    assert np.allclose(f(1.5, 3), [1.5**3, 3 * 1.5**2])
    assert np.allclose(f(1.5, 0), [1.0, 0.0])


@pytest.mark.parametrize("loop", ["fori", "while", "scan"])
def test_second_derivative_of_sin_sin_sin_as_a_loop(loop):
    x = sg.var("x")
    if loop == "fori":
        y = sg.fori_loop(3, lambda i, v: sg.sin(v), x)
    elif loop == "while":
        counter = sg.const(np.int64(0))
        y, _ = sg.while_loop(lambda s: s[1] < 3, lambda s: (sg.sin(s[0]), s[1] + 1), (x, counter))
    else:
        y, _ = sg.scan(lambda v, _: (sg.sin(v), None), x, length=3)
    d2 = sg.grad(sg.grad(y, x), x)
    f = sg.compile([y, d2])
    first = sg.compile(sg.grad(y, x))
    for v in [-2.0, 0.1, 0.7, 1.9]:
        value, second = f(v)
        assert np.isclose(value, np.sin(np.sin(np.sin(v))))
        # Hand-derived: f = s(s(s(x))); f'' from the chain rule.
        s1, s2 = np.sin(v), np.sin(np.sin(v))
        c1, c2, c3 = np.cos(v), np.cos(s1), np.cos(s2)
        d1 = c3 * c2 * c1
        expected = -np.sin(s2) * (c2 * c1) ** 2 + c3 * (-np.sin(s1) * c1**2) + c3 * c2 * (-s1)
        assert np.isclose(second, expected, rtol=1e-10)
        assert np.isclose(first(v), d1)
        fd = numeric_grad(lambda u: first(u), [np.array(v)], 0)
        assert np.isclose(second, fd, rtol=1e-6)


def test_forward_over_reverse_through_a_while_loop():
    x = sg.var("x", shape=(2,))
    y, _ = sg.while_loop(
        lambda s: s[1] < 4, lambda s: (sg.sin(s[0]) * 1.5, s[1] + 1), (x, sg.const(np.int64(0)))
    )
    loss = (y * y).sum()
    h = sg.hessian(loss, x)
    g = sg.compile(sg.grad(loss, x))
    xv = np.array([0.4, -1.1])
    expected = numeric_jacobian(g, [xv], 0)
    np.testing.assert_allclose(sg.compile(h)(xv), expected, rtol=1e-6, atol=1e-8)


def test_lazy_cond_never_runs_the_untaken_branch():
    x = sg.var("x")
    y = sg.cond(x > 0, lambda v: sg.log(v) * 2.0, lambda v: v * v, x)
    f = sg.compile([y, sg.grad(y, x), sg.jvp(y, x, 1.0)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # log of a negative number would warn
        assert np.allclose(f(-3.0), [9.0, -6.0, -6.0])
        assert np.allclose(f(2.0), [2 * np.log(2.0), 1.0, 1.0])


def test_cond_with_several_operands_and_outputs():
    x = sg.var("x", shape=(3,))
    w = sg.var("w")
    p, q = sg.cond(
        w > 0,
        lambda a, b: (a * b, (a * a).sum()),
        lambda a, b: (a - b, a.sum() * b),
        x,
        w,
    )
    loss = (p * p).sum() + q
    f = sg.compile(loss)
    g = sg.compile(sg.grad(loss, [x, w]))
    xv = np.array([0.5, -1.0, 2.0])
    for wv in [0.7, -0.4]:
        gx, gw = g(xv, wv)
        np.testing.assert_allclose(gx, numeric_grad(lambda v, wv=wv: f(v, wv), [xv], 0), rtol=1e-6)
        assert np.isclose(gw, numeric_grad(lambda v: f(xv, v), [np.array(wv)], 0), rtol=1e-6)


def test_cond_branches_read_outer_values():
    x = sg.var("x")
    k = sg.var("k")
    y = sg.cond(x > 1, lambda: k * x, lambda: k + x)
    gx, gk = sg.compile(sg.grad(y, [x, k]))(2.0, 3.0)
    assert (gx, gk) == (3.0, 2.0)
    gx, gk = sg.compile(sg.grad(y, [x, k]))(0.5, 3.0)
    assert (gx, gk) == (1.0, 1.0)


def test_scan_values_and_gradients():
    xs = sg.var("xs", shape=(5, 2))
    h0 = sg.var("h0", shape=(2,))
    w = sg.var("w", shape=(2, 2))

    def step(h, x):
        h = sg.tanh(w @ h + x)
        return h, h.sum()

    h, ys = sg.scan(step, h0, xs)
    loss = (h * h).sum() + (ys * ys).sum()
    f = sg.compile(loss)
    grads = sg.compile(sg.grad(loss, [xs, h0, w]))
    rng = np.random.default_rng(0)
    args = [rng.normal(size=(5, 2)), rng.normal(size=2), rng.normal(size=(2, 2)) * 0.5]
    for index, got in enumerate(grads(*args)):
        np.testing.assert_allclose(got, numeric_grad(f, args, index), rtol=1e-6, atol=1e-9)
    # The same recurrence written out by hand.
    hv, expect_ys = args[1], []
    for row in args[0]:
        hv = np.tanh(args[2] @ hv + row)
        expect_ys.append(hv.sum())
    hn, ysn = sg.compile([h, ys])(*args)
    np.testing.assert_allclose(hn, hv)
    np.testing.assert_allclose(ysn, expect_ys)


def test_reverse_scan_and_forward_mode():
    xs = sg.var("xs", shape=(4,))
    total, partial = sg.scan(lambda c, x: (c * 0.5 + x, c), sg.const(0.0), xs, reverse=True)
    f = sg.compile([total, partial])
    xv = np.array([1.0, 2.0, 3.0, 4.0])
    t, p = f(xv)
    c, expect = 0.0, np.zeros(4)
    for i in [3, 2, 1, 0]:
        expect[i] = c
        c = c * 0.5 + xv[i]
    assert np.isclose(t, c)
    np.testing.assert_allclose(p, expect)
    u = np.array([0.3, -1.0, 2.0, 0.5])
    forward = sg.compile(sg.jvp(partial, xs, u))(xv)
    np.testing.assert_allclose(forward, numeric_jacobian(lambda v: f(v)[1], [xv], 0) @ u)


def test_jacobian_through_loops_in_both_modes():
    x = sg.var("x", shape=(3,))
    y = sg.fori_loop(3, lambda i, v: sg.sin(v) * x, x)
    fx = sg.compile(y)
    xv = np.array([0.3, -0.8, 1.2])
    expected = numeric_jacobian(fx, [xv], 0)
    for build in [jacobian_reverse, jacobian_forward]:
        (block,) = build(y, [x])
        got = sg.compile(block)(xv)
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9)


def test_nested_control_flow():
    x = sg.var("x")

    def outer(s):
        inner = sg.while_loop(lambda v: v < 10.0, lambda v: v * 1.5 + s, s + 1.0)
        return sg.cond(inner > 12.0, lambda: inner * 0.5, lambda: inner * 0.25)

    y = sg.fori_loop(2, lambda i, s: outer(s) + x, x)
    f = sg.compile(y)
    g = sg.compile(sg.grad(y, x))
    for v in [0.2, 1.3, 3.0]:
        assert np.isclose(g(v), numeric_grad(f, [np.array(v)], 0), rtol=1e-6)


def test_max_iterations_raises_instead_of_hanging():
    x = sg.var("x")
    y = sg.while_loop(lambda v: v > 0, lambda v: v + 1.0, x, max_iterations=50)
    f = sg.compile(y)
    assert f(-3.0) == -3.0
    with pytest.raises(sg.IterationLimitError, match="max_iterations=50"):
        f(1.0)


def test_float32_state_stays_float32():
    x = sg.var("x", shape=(2,), dtype="float32")
    y = sg.fori_loop(3, lambda i, v: v * 2.0 + 1.0, x)
    assert y.dtype == np.float32
    out, g = sg.compile([y, sg.grad(y.sum(), x)])(np.ones(2, np.float32))
    assert out.dtype == np.float32 and g.dtype == np.float32
    np.testing.assert_allclose(out, [15.0, 15.0])
    np.testing.assert_allclose(g, [8.0, 8.0])


def test_derivative_graph_does_not_grow_with_the_trip_count():
    x = sg.var("x")
    sizes = []
    for n in [3, 300]:
        y = sg.fori_loop(n, lambda i, v: sg.sin(v) + x, x)
        f = sg.compile([y, sg.grad(sg.grad(y, x), x)])
        sizes.append(f.stats.statements)
        assert f.source.count("\n") < 200
    assert sizes[0] == sizes[1]


def test_emitted_code_uses_real_if_and_while():
    a = sg.var("a", shape=(3,))
    c = seed_example(a)
    source = sg.compile([c, sg.grad(c.sum(), a)]).source
    assert "\n    while " in source and "\n    if " in source and "\n    for " in source
    # The value and the gradient share one forward loop.
    assert source.count("\n    while ") == 1


def test_unread_loop_state_is_not_computed():
    x = sg.var("x")
    y, z = sg.while_loop(lambda s: s[0] < 100.0, lambda s: (s[0] * 2.0, sg.exp(s[1])), (x, x))
    source = sg.compile(y).source
    assert "np.exp" not in source
    assert np.isclose(sg.compile(y)(3.0), 192.0)


def test_optimizer_runs_inside_bodies():
    x = sg.var("x")
    y = sg.fori_loop(3, lambda i, v: (v * 1.0 - 0.0) * x, x)
    source = sg.compile(y).source
    assert "* 1.0" not in source and "- 0.0" not in source
    assert "* 1.0" in sg.compile(y, optimize=False).source


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda x: sg.cond(x.sum() > 0, lambda v: v, lambda v: v.sum(), x), "must agree"),
        (lambda x: sg.cond(x, lambda v: v, lambda v: v, x), "must be a scalar"),
        (lambda x: sg.while_loop(lambda v: v.sum() < 1, lambda v: v.sum(), x), "keep its shape"),
        (lambda x: sg.while_loop(lambda v: v < 1, lambda v: v, x), "must return a scalar"),
        (lambda x: sg.scan(lambda c, r: (c, r), x[0], x[0]), "leading axis"),
    ],
)
def test_clear_errors(build, message):
    x = sg.var("x", shape=(3,))
    with pytest.raises(sg.ShapeError, match=message):
        build(x)


def test_dtype_mismatch_names_the_fix():
    x = sg.var("x", dtype="float32")
    with pytest.raises(sg.ShapeError, match="astype"):
        sg.while_loop(lambda v: v < 1, lambda v: v * np.float64(2.0), x)
    with pytest.raises(TypeError, match="must be a function"):
        sg.while_loop(lambda v: v < 1, "not a function", x)
    with pytest.raises(ValueError, match="max_iterations"):
        sg.while_loop(lambda v: v < 1, lambda v: v, x, max_iterations=0)


def test_sympy_translates_cond_and_unrolls_scan():
    import sympy

    x = sg.var("x")
    y = sg.cond(x > 0, lambda v: sg.log(v), lambda v: v * v, x)
    expr = sg.to_sympy(y)
    assert isinstance(expr, sympy.Piecewise)
    s = sympy.Symbol("x")
    assert sympy.simplify(expr.subs(s, 2) - sympy.log(2)) == 0
    z = sg.fori_loop(4, lambda i, p: p * x, x)
    assert sympy.expand(sg.to_sympy(z) - s**5) == 0
    report = sg.check_grad(y, [x], {x: np.array(1.5)})
    assert report.ok and report.variables[0].sympy is not None


def test_check_grad_without_sympy_for_while_loops():
    x = sg.var("x")
    y = sg.while_loop(lambda v: v < 10.0, lambda v: v * 1.5, x)
    report = sg.check_grad(y, [x], {x: np.array(2.0)})
    assert report.ok
    assert report.variables[0].sympy is None and "while_loop" in report.note


def test_save_and_load_control_flow(tmp_path):
    a = sg.var("a", shape=(3,))
    c = seed_example(a)
    x = sg.var("x")
    y = sg.fori_loop(3, lambda i, v: sg.sin(v) * x, x)
    outputs = {"c": c, "g": sg.grad((c * c).sum(), a), "d2": sg.grad(sg.grad(y, x), x)}
    path = tmp_path / "g.json"
    sg.save_graph(outputs, path)
    loaded = sg.load_graph(path)
    av = np.array([0.5, -1.0, 2.0])
    for key in ["c", "g"]:
        np.testing.assert_array_equal(sg.compile(loaded[key])(av), sg.compile(outputs[key])(av))
    assert sg.compile(loaded["d2"])(0.3) == sg.compile(outputs["d2"])(0.3)


def test_a_file_whose_body_reads_an_outside_node_is_refused(tmp_path):
    import json

    x = sg.var("x")
    y = sg.while_loop(lambda v: v < 10.0, lambda v: v * 1.5, x)
    path = tmp_path / "g.json"
    sg.save_graph(y, path)
    document = json.loads(path.read_text())
    nodes = document["nodes"]
    var_index = next(i for i, n in enumerate(nodes) if n["op"] == "var")
    loop = next(n for n in nodes if n["op"] == "while_loop")
    loop["params"]["body"]["body"]["results"] = [var_index]  # a body result outside the body
    path.write_text(json.dumps(document))
    with pytest.raises(sg.GraphFileError):
        sg.load_graph(path)


def test_drawing_shows_bodies_as_nested_clusters(tmp_path):
    x = sg.var("x")
    y = sg.fori_loop(2, lambda i, s: sg.cond(s > 0, lambda v: v * x, lambda v: -v, s), x)
    g = sg.grad(y, x)
    graph = sg.to_networkx(g)
    clusters = graph.graph["clusters"]
    labels = sorted(c["label"] for c in clusters.values())
    assert any(label.startswith("scan") for label in labels)
    assert any(label.startswith("cond") for label in labels)
    nested = [c for c in clusters.values() if c["parent"] is not None]
    assert nested and all(clusters[c["parent"]]["label"].startswith("scan") for c in nested)
    dot = sg.to_dot(g)
    assert dot.count("subgraph cluster_c") == len(clusters)
    sg.draw(g, tmp_path / "g.svg")
    svg = (tmp_path / "g.svg").read_text()
    # Each body is one labelled box (Graphviz, when installed, also boxes its legend).
    for label in set(labels):
        assert svg.count(f">{label}</text>") == labels.count(label)


def test_jvp_and_vjp_agree_through_cond_and_while():
    x = sg.var("x", shape=(2,))
    y = sg.cond(x.sum() > 0, lambda v: sg.sin(v) * v, lambda v: sg.exp(v), x)
    z = sg.while_loop(lambda s: s.sum() < 5.0, lambda s: s * 1.3 + 0.1, y * y + 1.0)
    u = np.array([0.7, -0.2])
    w = np.array([1.5, 0.5])
    for xv in [np.array([0.4, 0.3]), np.array([-0.4, -0.3])]:
        forward = sg.compile(sg.jvp(z, x, u))(xv)
        backward = sg.compile(sg.vjp(z, x, w))(xv)
        assert np.isclose(forward @ w, backward @ u)
        fd = numeric_jacobian(sg.compile(z), [xv], 0)
        np.testing.assert_allclose(forward, fd @ u, rtol=1e-6)


# --- loops against their unrolled graphs ----------------------------------------------------

STEPS = {
    "sin": lambda v, w: sg.sin(v) * w,
    "tanh": lambda v, w: sg.tanh(v + w),
    "mix": lambda v, w: v * 0.5 + sg.cos(w * v),
    "softplus": lambda v, w: sg.softplus(v) - w * 0.3,
}


@settings(max_examples=25, deadline=None)
@given(
    names=st.lists(st.sampled_from(sorted(STEPS)), min_size=1, max_size=3),
    n=st.integers(0, 4),
    kind=st.sampled_from(["fori", "while", "scan"]),
    seed=st.integers(0, 1000),
)
def test_loops_match_their_unrolled_graphs(names, n, kind, seed):
    """A loop and the same steps written out compute the same value, gradient and
    second derivative: the unrolled graph uses only the ordinary ops' rules."""
    x = sg.var("x", shape=(2,))
    w = sg.var("w", shape=(2,))

    def step(v):
        for name in names:
            v = STEPS[name](v, w)
        return v

    unrolled = x
    for _ in range(n):
        unrolled = step(unrolled)
    if kind == "fori":
        looped = sg.fori_loop(n, lambda i, v: step(v), x)
    elif kind == "while":
        start = sg.const(np.int64(0))
        looped, _ = sg.while_loop(lambda s: s[1] < n, lambda s: (step(s[0]), s[1] + 1), (x, start))
    else:
        looped, _ = sg.scan(lambda v, _: (step(v), None), x, length=n)
    outputs = []
    for y in (looped, unrolled):
        loss = (y * y).sum()
        gx, gw = sg.grad(loss, [x, w])
        outputs.append([y, gx, gw, sg.grad(gx.sum(), w)])
    rng = np.random.default_rng(seed)
    args = rng.uniform(-1.5, 1.5, size=(2, 2))
    got = sg.compile(outputs[0], inputs=[x, w])(*args)
    expected = sg.compile(outputs[1], inputs=[x, w])(*args)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 1000), threshold=st.floats(-1.0, 1.0))
def test_cond_matches_where_when_both_branches_are_finite(seed, threshold):
    x = sg.var("x", shape=(3,))
    pred = x.sum() > threshold
    y = sg.cond(pred, lambda v: sg.sin(v) * v, lambda v: sg.exp(v) - v, x)
    z = sg.where(pred, sg.sin(x) * x, sg.exp(x) - x)
    v = np.random.default_rng(seed).normal(size=3)
    got = sg.compile([y, sg.grad((y * y).sum(), x), sg.jvp(y, x, np.ones(3))])(v)
    expected = sg.compile([z, sg.grad((z * z).sum(), x), sg.jvp(z, x, np.ones(3))])(v)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_value_and_forward_derivative_run_one_while_loop():
    x = sg.var("x")
    c = sg.var("c")

    def newton(v):
        return 0.5 * (v + c / v)

    y = sg.while_loop(lambda v: abs(v * v - c) > 1e-12 * c, newton, x)
    outputs = [y, sg.jvp(y, c, 1.0), sg.hessian(y, c)]
    f = sg.compile(outputs, inputs=[x, c])
    # Unoptimized, a body shares a constant node with the code around it (the VJP builds
    # it in both): the body must not delete it after its first step.
    plain = sg.compile(outputs, inputs=[x, c], optimize=False)
    assert plain.source.count("while ") > f.source.count("while ") >= 1
    assert "while " in f.source.split("def evaluate")[1].split("\n\n\n")[0]
    for c0 in [2.0, 9.0, 0.25]:
        value, slope, curvature = f(1.0, c0)
        assert value == pytest.approx(np.sqrt(c0), rel=1e-12)
        assert slope == pytest.approx(0.5 / np.sqrt(c0), rel=1e-9)
        assert curvature == pytest.approx(-0.25 * c0**-1.5, rel=1e-6)
        for got, want in zip(f(1.0, c0), plain(1.0, c0)):
            assert got == pytest.approx(float(want), rel=1e-12)
    # value + first derivative: exactly one loop
    one = sg.compile([y, sg.jvp(y, c, 1.0)], inputs=[x, c])
    assert one.source.count("while ") == 1


def test_a_loop_whose_extension_reads_its_result_is_not_merged():
    x = sg.var("x")
    y = sg.while_loop(lambda v: v < 10.0, lambda v: v * 1.5 + 0.25, x)
    t = sg.jvp(y, x, y)  # the tangent's start is y itself: the JVP loop runs after y's
    f = sg.compile([y, t])
    value, tangent = f(1.0)
    ref, steps = 1.0, 0
    while ref < 10.0:
        ref, steps = ref * 1.5 + 0.25, steps + 1
    assert value == pytest.approx(ref, rel=1e-15)
    assert tangent == pytest.approx(ref * 1.5**steps, rel=1e-14)


def test_value_and_forward_derivative_run_one_scan_loop():
    xs = sg.var("xs", shape=(5, 2))
    w = sg.var("w", shape=(2, 2))

    def step(h, x):
        h = sg.tanh(w @ h + x)
        return h, h.sum()

    h, ys = sg.scan(step, sg.const(np.zeros(2)), xs)
    direction = np.array([[0.3, -1.0], [0.5, 2.0]])
    f = sg.compile([h, ys, sg.jvp([h, ys], w, direction)])
    assert f.source.count("\n    for ") == 1  # the value is read from the extended loop
    two = sg.compile([h, ys, sg.jvp([h, ys], w, direction)], optimize=False)
    assert two.source.count("\n    for ") == 2
    rng = np.random.default_rng(1)
    args = [rng.normal(size=(5, 2)), rng.normal(size=(2, 2)) * 0.5]
    hv, ysv, (dh, dys) = f(*args)
    expect_h, expect_ys = sg.compile([h, ys])(*args)
    np.testing.assert_allclose(hv, expect_h, rtol=1e-15)
    np.testing.assert_allclose(ysv, expect_ys, rtol=1e-15)
    value = sg.compile(ys)
    fd = numeric_jacobian(value, args, 1).reshape(5, 4) @ direction.ravel()
    np.testing.assert_allclose(dys, fd, rtol=1e-6, atol=1e-9)
    fd_h = numeric_jacobian(sg.compile(h), args, 1).reshape(2, 4) @ direction.ravel()
    np.testing.assert_allclose(dh, fd_h, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("loop", ["while", "scan"])
def test_forward_over_reverse_with_batched_tangents_through_loops(loop):
    """A Jacobian of a gradient by forward mode pushes a batch of tangents through the
    reverse pass, and so through the states the forward loop traced for it."""
    x = sg.var("x", shape=(2,))
    counter = sg.const(np.int64(0))
    if loop == "while":
        y, _ = sg.while_loop(
            lambda s: s[1] < 4, lambda s: (sg.sin(s[0]) * 1.5, s[1] + 1), (x, counter)
        )
    else:
        y, _ = sg.scan(lambda v, _: (sg.sin(v) * 1.5, None), x, length=4)
    g = sg.grad((y * y).sum(), x)
    (h,) = jacobian_forward(g, [x])
    xv = np.array([0.4, -1.1])
    expected = numeric_jacobian(sg.compile(g), [xv], 0)
    np.testing.assert_allclose(sg.compile(h)(xv), expected, rtol=1e-6, atol=1e-8)
    # The same through reverse-over-reverse.
    (h_reverse,) = jacobian_reverse(g, [x])
    np.testing.assert_allclose(sg.compile(h_reverse)(xv), expected, rtol=1e-6, atol=1e-8)


def test_a_graph_saved_before_the_loop_layout_loads(tmp_path):
    """tests/data/loops_version1.json was saved by the version-1 writer that predates the
    loop layout; it holds the seed example, a scan and their gradients."""
    import pathlib

    path = pathlib.Path(__file__).parent / "data" / "loops_version1.json"
    loaded = sg.load_graph(path)
    av = np.array([0.5, -1.0, 2.0])
    c, dc = sg.compile([loaded["c"], loaded["dc"]])(av)
    scale = 2.0**9  # |2a| = 4.58, doubled 8 times to pass 1000: c = b = 2**9 a
    np.testing.assert_allclose(c, scale * av)
    np.testing.assert_allclose(dc, np.full(3, scale))
    xv, wv = np.array([1.0, -2.0, 0.5, 3.0]), 0.7
    running, (d_xs, d_w) = sg.compile([loaded["running"], loaded["d_running"]])(xv, wv)
    # By hand: s_t = w s_{t-1} + x_t from s = 0; d(sum s)/dx_k = sum_{t>=k} w^(t-k).
    s, ds_dw, expect, expect_dw = 0.0, 0.0, [], 0.0
    for x_t in xv:
        s, ds_dw = wv * s + x_t, s + wv * ds_dw
        expect.append(s)
        expect_dw += ds_dw
    np.testing.assert_allclose(running, expect)
    np.testing.assert_allclose(d_xs, [sum(wv**j for j in range(4 - k)) for k in range(4)])
    np.testing.assert_allclose(d_w, expect_dw)
    # Loaded twice and compiled with a live loop: every while loop keeps its own step count.
    again = sg.load_graph(path)
    a = sg.var("a", shape=(3,))
    live = seed_example(a)
    outputs = [loaded["dc"], again["dc"], sg.grad(live.sum(), a)]
    nodes = [topological_order([out]) for out in outputs]
    inputs = [next(n for n in order if n.op.name == "var") for order in nodes]
    for got in sg.compile(outputs, inputs=inputs)(av, av, av):
        np.testing.assert_allclose(got, np.full(3, scale))
    dims = {n.op.trips_dim for order in nodes for n in order if n.op.name == "while_loop"}
    assert len(dims) == 3


def test_a_constant_a_branch_reads_and_the_function_returns_is_copied_before_the_branch():
    x = sg.var("x", shape=(3,))
    two = sg.const(np.array([2.0, 2.0, 2.0]))
    y = sg.cond(x.sum() > 0.0, lambda v: sg.sin(v) * two, lambda v: v * v, x)
    f = sg.compile([y, two], optimize=False)
    value, copy = f(np.ones(3))
    np.testing.assert_allclose(value, 2.0 * np.sin(np.ones(3)))
    np.testing.assert_array_equal(copy, [2.0, 2.0, 2.0])
