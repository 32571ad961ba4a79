"""Randomly generated expression graphs: gradients against finite differences and SymPy, and
the dtype and shape every node infers against what NumPy computes."""

import numpy as np
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symgrad as sg
from symgrad.core.walk import extended_order, topological_order
from symgrad.ops.subgraph import MultiOutput

from .gradcheck import numeric_jacobian
from .op_table import CASES

UNARY = {
    "sin": sg.sin,
    "cos": sg.cos,
    "tanh": sg.tanh,
    "arctan": sg.arctan,
    "sigmoid": sg.sigmoid,
    "softplus": sg.softplus,
    "square": sg.square,
    "log1p_sq": lambda a: sg.log1p(a * a),
    "sqrt1p": lambda a: sg.sqrt(1.0 + a * a),
    "neg": lambda a: -a,
    "exp_tanh": lambda a: sg.exp(sg.tanh(a)),
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (1.5 + sg.sin(b)),
    "pow": lambda a, b: (1.0 + a * a) ** sg.cos(b),
    "rev": lambda a, b: a * b[::-1],
}

leaves = st.sampled_from(["x", "y", "c"])
trees = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(sorted(UNARY)), inner),
        st.tuples(st.sampled_from(sorted(BINARY)), inner, inner),
    ),
    max_leaves=8,
)


def build(tree, env):
    if isinstance(tree, str):
        return env[tree]
    if len(tree) == 2:
        return UNARY[tree[0]](build(tree[1], env))
    return BINARY[tree[0]](build(tree[1], env), build(tree[2], env))


def _graph(tree):
    x, y = sg.var("x", shape=(3,)), sg.var("y", shape=(3,))
    env = {"x": x, "y": y, "c": sg.const(np.array([0.5, -1.0, 2.0]))}
    out = (build(tree, env) * np.array([1.0, 2.0, -1.0])).sum() + 0.0 * (x + y).sum()
    return x, y, out


@settings(max_examples=40, deadline=None)
@given(trees, trees)
def test_an_order_continued_is_the_order_of_all_the_outputs(first, second):
    """``sg.compile`` walks a derivative's forward graph, then continues that order for the
    other outputs: the same list as one walk of all of them (and the order it continued is
    left as it was)."""
    x, y, a = _graph(first)
    b = sg.grad(_graph(second)[2] + a * a, [x, y])
    prefix = topological_order([a])
    kept = list(prefix)
    continued = extended_order(prefix, b)
    whole = topological_order([a, *b])
    assert len(continued) == len(whole)
    assert all(p is q for p, q in zip(continued, whole))
    assert len(prefix) == len(kept) and all(p is q for p, q in zip(prefix, kept))


@settings(max_examples=40, deadline=None)
@given(trees, st.integers(0, 2**16))
def test_random_gradient_matches_finite_differences(tree, seed):
    x, y, out = _graph(tree)
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(-1.5, 1.5, 3), rng.uniform(-1.5, 1.5, 3)]
    f = sg.compile(out, inputs=[x, y])
    gx, gy = sg.compile(sg.grad(out, [x, y]), inputs=[x, y])(*arrays)
    np.testing.assert_allclose(gx, numeric_jacobian(f, arrays, 0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gy, numeric_jacobian(f, arrays, 1), rtol=1e-5, atol=1e-6)


@settings(max_examples=25, deadline=None)
@given(trees)
def test_random_gradient_matches_sympy(tree):
    x, y, out = _graph(tree)
    expression = sg.to_sympy(out)
    symbols = sorted(expression.free_symbols, key=lambda s: s.name)
    point = {
        s: 0.1 * (i + 1) * (-1) ** i
        for i, s in enumerate(sympy.symbols("x[0] x[1] x[2] y[0] y[1] y[2]"))
    }
    gx, gy = sg.compile(sg.grad(out, [x, y]), inputs=[x, y])(
        np.array([point[s] for s in list(point)[:3]]), np.array([point[s] for s in list(point)[3:]])
    )
    got = dict(zip(list(point), np.concatenate([gx, gy])))
    assert set(symbols) <= set(point)
    for s in point:  # all six: where the tree does not use a symbol, both derivatives are 0
        reference = float(sympy.diff(expression, s).evalf(subs=point))
        assert abs(got[s] - reference) <= 1e-9 * max(1.0, abs(reference)), (tree, s)


def _assert_inferred_matches_runtime(outputs, inputs, arrays):
    # Every value but the tuple nodes of multi-output ops (their items are the values).
    nodes = [
        n
        for n in topological_order(outputs)
        if n.name is None and not isinstance(n.op, MultiOutput)
    ]
    values = sg.compile(nodes, inputs=inputs)(*arrays)
    for node, value in zip(nodes, values):
        value = np.asarray(value)
        assert value.dtype == node.dtype, (node, value.dtype)
        assert value.shape == node.shape, (node, value.shape)


def test_every_node_has_the_dtype_and_shape_it_inferred():
    for dtype in ("float64", "float32"):
        for case in CASES:
            arrays = [a.astype(dtype) for a in case.arrays()]
            xs = [sg.var(f"x{i}", shape=a.shape, dtype=dtype) for i, a in enumerate(arrays)]
            y = case.build(*xs)
            loss = y.sum() if y.ndim else y
            g = sg.grad(loss, xs)
            t = sg.jvp(y, xs, [np.ones(a.shape, dtype) for a in arrays])
            _assert_inferred_matches_runtime([y, *g, t], xs, arrays)
