"""Cache blocking: large elementwise chains run a block of rows at a time, with the same
results as the plain emission and far less memory."""

import contextlib
import tracemalloc
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symgrad as sg
from symgrad.emit import blocking
from tests.source import evaluate_body

from .test_random_graphs import build, trees

NO_BLOCKING = ["stabilize", "simplify", "fold_constants"]


@contextlib.contextmanager
def small_blocks(block=8, minimum=16):
    """Blocks of a few elements, so that small test arrays take the blocked path."""
    with (
        mock.patch.object(blocking, "BLOCK_ELEMENTS", block),
        mock.patch.object(blocking, "MIN_ELEMENTS", minimum),
    ):
        yield


def _both(outputs, inputs, arrays):
    """Results with blocking and without, and the blocked function's body."""
    blocked = sg.compile(outputs, inputs=inputs)
    plain = sg.compile(outputs, inputs=inputs, optimize=NO_BLOCKING)
    assert "for start" not in evaluate_body(plain)
    return blocked(*arrays), plain(*arrays), evaluate_body(blocked)


def _peak(fn, *args):
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn(*args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_polynomial_value_and_gradient_by_blocks():
    n = 300_000
    x = sg.var("x", shape=(n,))
    y = sg.sum(4.0 * x**3 + x**2 + 3.0)
    a = np.random.default_rng(0).normal(size=n)
    (value, grad), (plain_value, plain_grad), body = _both([y, sg.grad(y, x)], [x], [a])
    assert "for start in range(0, 300000, 65536):" in body
    assert "x_block = x[start:start + 65536]" in body
    assert "sum += np.sum(" in body
    # The gradient is computed elementwise exactly as before; the sum only regroups terms.
    np.testing.assert_array_equal(grad, plain_grad)
    np.testing.assert_allclose(grad, 12 * a**2 + 2 * a, rtol=1e-14)
    assert value == pytest.approx(float(np.sum(4 * a**3 + a**2 + 3)), rel=1e-12)
    assert type(value) is type(plain_value) and value.dtype == np.float64


def test_blocks_keep_peak_memory_near_the_inputs_and_results():
    n = 400_000
    x = sg.var("x", shape=(n,))
    y = sg.sum(sg.exp(sg.sin(x) * 0.5) * sg.cos(x) + x * x)
    a = np.linspace(-3, 3, n)
    blocked = sg.compile([y, sg.grad(y, x)])
    plain = sg.compile([y, sg.grad(y, x)], optimize=NO_BLOCKING)
    result_bytes = a.nbytes  # the gradient
    blocked_peak, plain_peak = _peak(blocked, a), _peak(plain, a)
    # Blocked: the gradient plus a few blocks of 512 KiB; plain: several whole temporaries.
    assert blocked_peak < result_bytes + 6 * blocking.BLOCK_ELEMENTS * 8
    assert plain_peak > 2 * result_bytes
    np.testing.assert_allclose(blocked(a)[1], plain(a)[1], rtol=1e-15)


def test_total_read_by_a_later_elementwise_op_ends_the_block_loop():
    n = 300_000
    x = sg.var("x", shape=(n,))
    e = sg.exp(x - 1.0)
    softmax = e / sg.sum(e)  # the division needs the whole total: a second loop
    y = sg.sum(softmax * sg.sin(x))
    a = np.random.default_rng(1).normal(size=n)
    (value, grad), (plain_value, plain_grad), body = _both([y, sg.grad(y, x)], [x], [a])
    assert body.count("for start") >= 2
    ea = np.exp(a - 1.0)
    assert value == pytest.approx(float(np.sum(ea / ea.sum() * np.sin(a))), rel=1e-12)
    np.testing.assert_allclose(grad, plain_grad, rtol=1e-12, atol=1e-18)


def test_broadcast_operands_are_sliced_only_along_the_blocked_axis():
    n, m = 4000, 100
    X = sg.var("X", shape=(n, m))
    row, col, s = sg.var("row", shape=(m,)), sg.var("col", shape=(n, 1)), sg.var("s")
    y = sg.sum(sg.tanh(X * row + col) * s + X * X)
    rng = np.random.default_rng(2)
    arrays = [rng.normal(size=(n, m)), rng.normal(size=m), rng.normal(size=(n, 1)), 0.7]
    inputs = [X, row, col, s]
    got, want, body = _both([y, sg.grad(y, inputs)], inputs, arrays)
    assert "for start in range(0, 4000, 655):" in body
    assert "X_block = X[start:start + 655]" in body and "col_block" in body
    assert "row_block" not in body  # broadcast against every block: read whole
    assert got[0] == pytest.approx(float(want[0]), rel=1e-12)
    for g, w in zip(got[1], want[1]):
        np.testing.assert_allclose(g, w, rtol=1e-11, atol=1e-12)
    Xa, ra, ca, sa = arrays
    t = np.tanh(Xa * ra + ca)
    want_x = (1 - t * t) * ra * sa + 2 * Xa  # terms grouped differently: cancellation
    np.testing.assert_allclose(got[1][0], want_x, rtol=1e-12, atol=1e-15)


def test_outputs_views_and_aliases_are_kept_whole():
    n = 300_000
    x = sg.var("x", shape=(n,))
    s_ = sg.sin(x)
    frozen = sg.stop_gradient(s_ * 2.0)
    viewed = (s_ * 3.0).reshape((600, 500)).sum(axis=1)  # a view of a block member
    outputs = [s_, frozen + 1.0, viewed, sg.sum(frozen * frozen)]
    a = np.linspace(-2, 2, n)
    got, want, body = _both(outputs, [x], [a])
    assert "for start" in body
    np.testing.assert_array_equal(got[0], np.sin(a))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12)
    got_again = sg.compile(outputs)(a)  # a second call: nothing was overwritten in place
    np.testing.assert_array_equal(got_again[1], got[1])


@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_other_dtypes_block_elementwise_work_but_sum_whole_arrays(dtype):
    """float32 and integer sums are left to np.sum over the whole array: a running float32
    total loses accuracy, and a running integer total warns where np.sum wraps."""
    n = 300_000
    x = sg.var("x", shape=(n,), dtype=dtype)
    if dtype == np.int64:
        big = sg.const(np.int64(2**62))
        outputs = [sg.sum((x * 3 + 1) % 7 + big), (x * x) % 5]
        a = np.arange(n, dtype=dtype)
    else:
        outputs = [sg.sum(sg.exp(x * 0.001) + x), sg.sin(x) * x]
        a = np.linspace(-1, 1, n, dtype=dtype)
    got, want, body = _both(outputs, [x], [a])
    assert "for start" in body and "+= np.sum" not in body and " = np.sum(" in body
    assert got[0].dtype == want[0].dtype and got[1].dtype == want[1].dtype == dtype
    np.testing.assert_array_equal(got[0], want[0])  # bitwise: the same np.sum of the same array
    np.testing.assert_array_equal(got[1], want[1])
    if dtype == np.int64:  # wraps as NumPy does, without a warning
        assert got[0] == np.sum((a * 3 + 1) % 7 + np.int64(2**62))


def test_loop_bodies_are_blocked_too():
    n = 300_000
    x = sg.var("x", shape=(n,))
    y = sg.fori_loop(3, lambda i, v: sg.sin(v) * 0.5 + v * v * 0.1, x)
    total = sg.sum(y)
    a = np.linspace(-1, 1, n)
    (value, grad), (plain_value, plain_grad), body = _both([total, sg.grad(total, x)], [x], [a])
    assert "        for start" in body  # a block loop inside the fori loop
    ref = a.copy()
    for _ in range(3):
        ref = np.sin(ref) * 0.5 + ref * ref * 0.1
    assert value == pytest.approx(float(ref.sum()), rel=1e-12)
    np.testing.assert_allclose(grad, plain_grad, rtol=1e-13)


def test_small_arrays_and_symbolic_shapes_are_not_blocked():
    y = sg.var("y", shape=(1000,))
    assert "for start" not in evaluate_body(sg.compile(sg.sum(sg.sin(y) * y)))
    z = sg.var("z", shape=("n",))
    assert "for start" not in evaluate_body(sg.compile(sg.sum(sg.sin(z) * z)))
    w = sg.var("w", shape=(3, 200_000))  # rows longer than a block: nothing to gain
    assert "for start" not in evaluate_body(sg.compile(sg.sum(sg.sin(w) * w)))


def test_blocking_is_a_named_optimization():
    x = sg.var("x", shape=(300_000,))
    y = sg.sum(sg.sin(x) * x)
    assert "for start" in evaluate_body(sg.compile(y, optimize=["blocking"]))
    assert "for start" not in evaluate_body(sg.compile(y, optimize=False))
    assert "for start" not in evaluate_body(
        sg.compile(sg.sin(x))
    )  # one op: nothing to keep in cache


@settings(max_examples=60, deadline=None)
@given(trees, st.sampled_from([(37,), (9, 3)]), st.integers(0, 2**16))
def test_blocked_and_plain_agree_on_random_graphs(tree, shape, seed):
    rng = np.random.default_rng(seed)
    x, y = sg.var("x", shape=shape), sg.var("y", shape=shape)
    c = sg.const(rng.normal(size=shape[-1:]))  # broadcast along the blocked axis
    out = build(tree, {"x": x, "y": y, "c": c})
    value = sg.sum(out * out) + sg.sum(x * y)
    outputs = [value, out + 0.0 * x, sg.grad(value, [x, y])]
    arrays = [rng.normal(size=shape), rng.normal(size=shape)]
    with small_blocks():
        got, want, body = _both(outputs, [x, y], arrays)
    assert "for start" in body
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-13, atol=1e-14)
    for g, w in zip(got[2], want[2]):
        np.testing.assert_allclose(g, w, rtol=1e-11, atol=1e-12)


def test_a_whole_array_consumer_mid_chain_waits_instead_of_splitting_it():
    n = 300_001
    x = sg.var("x", shape=(n,))
    a, b = x[:-1], x[1:]
    y = sg.sum(100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2)  # Rosenbrock
    xa = np.random.default_rng(3).uniform(-2, 2, n)
    (value, (grad,)), (plain_value, (plain_grad,)), body = _both([y, sg.grad(y, [x])], [x], [xa])
    # The gradient scatters one array of the chain, then adds another: both wait for the
    # loop. The scattered array is computed straight into the zeros of the scatter.
    assert body.count("for start") == 1
    assert "_scatter(" not in body and body.index("np.zeros(") < body.index("for start")
    assert body.index("_scatter_add(") > body.index("for start")
    d = xa[1:] - xa[:-1] ** 2
    want = np.zeros(n)
    want[:-1] = -400.0 * d * xa[:-1] - 2.0 * (1.0 - xa[:-1])
    want[1:] += 200.0 * d
    np.testing.assert_allclose(grad, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(grad, plain_grad)
    assert value == pytest.approx(float(np.sum(100.0 * d * d + (1.0 - xa[:-1]) ** 2)), rel=1e-12)


def test_a_scattered_member_is_placed_only_when_the_scatter_is_its_one_reader_outside():
    n = 300_000
    x = sg.var("x", shape=(n,))
    xa = np.linspace(-1.0, 1.0, n)
    scattered = sg.grad(sg.sum(sg.cos(x[1:]) * 2.0), x)  # zeros, then -2 sin(x[1:]) at [1:]
    member = -2.0 * sg.sin(x[1:])  # the array the gradient scatters (-2.0: a weak scalar)
    want = np.concatenate([[0.0], -2.0 * np.sin(xa[1:])])
    viewed = member.reshape((-1, 1)) * sg.const(np.ones((1, 2)))
    cases = {
        "alone": ([scattered], True),
        "also an output": ([scattered, member], False),
        "also read whole": ([scattered, viewed], False),
        "also read by a matmul": ([scattered, member @ member], False),
    }
    for label, (outputs, placed) in cases.items():
        got, plain, body = _both(outputs, [x], [xa])
        assert "for start" in body, label
        assert ("_scatter(" not in body) == placed, label
        np.testing.assert_allclose(got[0], want, rtol=1e-14, atol=1e-15, err_msg=label)
        for g, p in zip(got, plain):
            np.testing.assert_array_equal(g, p, err_msg=label)
