"""The Numba backend: fused loops and native scalar functions, checked against the NumPy
backend (the reference for results and errors) and against hand-written formulas."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import symgrad as sg
from symgrad.differentiate.derived import jacobian_reverse

from .op_table import CASES

numba = pytest.importorskip("numba")

#: Agreement with the NumPy backend. The loops may contract a*b+c into one fused
#: multiply-add, reorder a sum (vectorized, per block) and use their own elementary
#: functions (numba_math, within 2.5 ulp): differences of a few ulps, amplified by
#: cancellation in some gradients.
RTOL, ATOL = 1e-9, 1e-12
#: float32 results are rounded from float64 once per op, as NumPy's float32 ops are, but
#: sums accumulate in float64 (NumPy's pairwise float32 sum is less exact).
RTOL32 = 2e-6


@pytest.fixture(scope="module", autouse=True)
def kernel_cache(tmp_path_factory):
    """One kernel cache for the tests of this module (a compile seen twice loads it)."""
    folder = tmp_path_factory.mktemp("numba-cache")
    old = os.environ.get("SYMGRAD_CACHE_DIR")
    os.environ["SYMGRAD_CACHE_DIR"] = str(folder)
    yield folder
    if old is None:
        del os.environ["SYMGRAD_CACHE_DIR"]
    else:
        os.environ["SYMGRAD_CACHE_DIR"] = old


def both(outputs, inputs=None):
    return (
        sg.compile(outputs, inputs, backend="numpy"),
        sg.compile(outputs, inputs, backend="numba"),
    )


def assert_same(got, want, rtol=RTOL, atol=ATOL, what=""):
    if isinstance(want, (list, tuple)):
        assert isinstance(got, type(want)) and len(got) == len(want), what
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same(g, w, rtol, atol, f"{what}[{i}]")
        return
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype}, NumPy backend {want.dtype}"
    assert got.shape == want.shape, f"{what}: shape {got.shape}, NumPy backend {want.shape}"
    if want.dtype.kind == "b":
        np.testing.assert_array_equal(got, want, err_msg=what)
    else:
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=what)


def kernels(f) -> int:
    return f.source.count("\ndef _kernel_")


# --- the op table under both backends -------------------------------------------------------


def _row(case):
    """One compile per row: the value, the gradient of a weighted sum, and a forward- and a
    reverse-mode product (the same number two ways)."""
    arrays = case.arrays(0)
    xs = [sg.var(f"x{i}", shape=a.shape) for i, a in enumerate(arrays)]
    y = case.build(*xs)
    rng = np.random.default_rng(2)
    weights = rng.normal(size=y.shape)
    loss = (y * weights).sum()
    tangents = [rng.normal(size=a.shape) for a in arrays]
    outputs = [y, sg.grad(loss, xs), sg.jvp(y, xs, tangents), sg.vjp(y, xs, weights)]
    numpy_f, numba_f = both(outputs, xs)
    want, got = numpy_f(*arrays), numba_f(*arrays)
    assert_same(got, want, what=case.name)
    value, gradient, jv, vjs = got
    left = float(np.sum(weights * jv))
    right = float(sum(np.sum(v * t) for v, t in zip(vjs, tangents)))
    assert left == pytest.approx(right, rel=1e-10, abs=1e-12), f"{case.name}: jvp vs vjp"
    return numba_f


#: A few rows in the default run (each fuses a loop); all of them in the slow sweep.
QUICK = ["sin", "divide", "softplus", "where", "norm_axis", "max", "softmax", "composite"]


@pytest.mark.parametrize("case", [c for c in CASES if c.name in QUICK], ids=QUICK)
def test_op_rows_agree_with_the_numpy_backend(case):
    assert kernels(_row(case)) >= 1, f"{case.name}: nothing was fused"


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_op_row_agrees_with_the_numpy_backend(case):
    """Values, gradients, and forward against reverse mode, for every row of the op table."""
    _row(case)


@pytest.mark.slow
@pytest.mark.parametrize("case", [c for c in CASES if len(c.shapes) == 1][::4])
def test_batched_jacobians_agree_with_the_numpy_backend(case):
    arrays = case.arrays(1)
    xs = [sg.var(f"x{i}", shape=a.shape) for i, a in enumerate(arrays)]
    numpy_f, numba_f = both(jacobian_reverse(case.build(*xs), xs), xs)
    assert_same(numba_f(*arrays), numpy_f(*arrays), what=case.name)


# --- what is fused, and how ------------------------------------------------------------------


def test_an_elementwise_chain_and_its_sum_are_one_loop():
    x = sg.var("x", shape=(10_000,))
    y = sg.sum(4.0 * x**3 + x**2 + 3.0)
    f = sg.compile([y, sg.grad(y, x)], backend="numba")
    assert kernels(f) == 1
    a = np.linspace(-2.0, 2.0, 10_000)
    value, gradient = f(a)
    assert value == pytest.approx(np.sum(4 * a**3 + a**2 + 3), rel=1e-12)
    np.testing.assert_allclose(gradient, 12 * a**2 + 2 * a, rtol=1e-13, atol=1e-13)
    # one statement per op, named as in the NumPy code; the result stored once per element
    assert "power_x = x_i * x_i" in f.source and "d_x = multiply_x + multiply_2" in f.source
    assert "d_x_out[i] = d_x" in f.source


def test_broadcasts_and_reductions_over_any_axes_run_in_one_loop():
    x = sg.var("x", shape=(37, 5))
    row = sg.var("row", shape=(5,))
    column = sg.var("column", shape=(37, 1))
    z = sg.tanh(x * row + column) * 2.0
    outputs = [
        z.sum(axis=0),
        z.sum(axis=1),
        z.mean(axis=1, keepdims=True),
        z.max(axis=0, keepdims=True),
        z.min(),
        sg.sum(z),
        (z * z).prod(axis=1),
    ]
    numpy_f, numba_f = both(outputs, [x, row, column])
    assert kernels(numba_f) == 1
    rng = np.random.default_rng(0)
    args = rng.normal(size=(37, 5)), rng.normal(size=5), rng.normal(size=(37, 1))
    assert_same(numba_f(*args), numpy_f(*args))
    a, r, c = args
    h = np.tanh(a * r + c) * 2.0
    np.testing.assert_allclose(numba_f(*args)[0], h.sum(axis=0), rtol=1e-13)


def test_sums_do_not_depend_on_the_number_of_threads(monkeypatch):
    x = sg.var("x", shape=(1_000_000,))  # work enough for three threads
    f = sg.compile(sg.sum(sg.sin(x) * x), backend="numba")
    a = np.random.default_rng(1).normal(size=1_000_000)
    namespace = f.function.__globals__
    kernel, ranges = namespace["_kernel_1"], []
    monkeypatch.setitem(
        namespace, "_kernel_1", lambda *args: ranges.append(args[-2:]) or kernel(*args)
    )
    results = []
    for cores in (1, 2, 3):
        monkeypatch.setitem(namespace, "_CORES", cores)
        ranges.clear()
        results.append(f(a))
        assert len(ranges) == cores, f"{cores} cores: ranges {ranges}"
    assert results[0] == results[1] == results[2]
    assert results[0] == pytest.approx(np.sum(np.sin(a) * a), rel=1e-12)


def test_a_single_broadcasting_op_is_a_loop_and_other_single_ops_stay_numpy_calls():
    """NumPy's loops over a broadcast operand are several times slower than a compiled
    loop (an outer product, a bias added to every row); a lone op on operands of one shape
    gains nothing from a loop of its own."""
    u, v = sg.var("u", shape=(300, 1)), sg.var("v", shape=(1, 200))
    numpy_f, numba_f = both(u * v)
    assert kernels(numba_f) == 1
    a, b = np.random.default_rng(5).normal(size=(300, 1)), np.linspace(-1, 1, 200)[None]
    np.testing.assert_array_equal(numba_f(a, b), numpy_f(a, b))
    x = sg.var("x", shape=(300, 200))
    assert kernels(sg.compile(2.0 * x, backend="numba")) == 0


def test_matrix_products_stay_numpy_calls_between_loops():
    x = sg.var("x", shape=(6, 4))
    w = sg.var("w", shape=(4, 3))
    b = sg.var("b", shape=(3,))
    loss = sg.sum(sg.tanh(x @ w + b) ** 2)
    numpy_f, numba_f = both([loss, sg.grad(loss, [w, b])], [x, w, b])
    assert " @ " in numba_f.source and kernels(numba_f) >= 1
    rng = np.random.default_rng(3)
    args = rng.normal(size=(6, 4)), rng.normal(size=(4, 3)), rng.normal(size=3)
    assert_same(numba_f(*args), numpy_f(*args))


def test_symbolic_dimensions_are_sizes_at_run_time():
    x = sg.var("x", shape=("n", 3))
    b = sg.var("b", shape=(3,))
    y = sg.exp(x - b).sum(axis=1)
    numpy_f, numba_f = both([y, sg.grad(y.sum(), [x, b])], [x, b])
    for n in (0, 1, 7, 5000):
        a = np.random.default_rng(n).normal(size=(n, 3))
        assert_same(numba_f(a, np.ones(3)), numpy_f(a, np.ones(3)), what=f"n = {n}")


def test_control_flow_bodies_get_fused_loops():
    a = sg.var("a", shape=(50,))

    def body(i, state):
        return sg.sin(state) * 0.5 + state * state * 0.25

    y = sg.fori_loop(3, body, a)
    c = sg.cond(sg.sum(y) > 0, lambda v: sg.exp(v) * 2.0 + 1.0, lambda v: -v * v + 1.0, y)
    loss = sg.sum(c)
    numpy_f, numba_f = both([loss, sg.grad(loss, a)], [a])
    assert kernels(numba_f) >= 2
    for sign in (1.0, -1.0):
        x = sign * np.linspace(0.1, 1.0, 50)
        assert_same(numba_f(x), numpy_f(x), what=f"sign {sign}")


def _in_loop_kernels(f) -> int:
    """Fused loops run from inside a loop or branch of ``evaluate`` (indented deeper than
    its top level)."""
    body = f.source[f.source.index("def evaluate") : f.source.index("\nclass BindError")]
    return sum(1 for line in body.splitlines() if line.startswith(" " * 8 + "_in_parallel("))


def _central_differences(fn, a, h=1e-6):
    """The gradient of the scalar ``fn`` at ``a`` by central differences."""
    g = np.empty_like(a)
    for k in range(a.size):
        step = np.zeros_like(a)
        step.flat[k] = h
        g.flat[k] = (fn(a + step) - fn(a - step)) / (2 * h)
    return g


def test_while_loop_and_scan_bodies_are_fused_loops():
    c0 = sg.var("c0", shape=(12,))
    xs = sg.var("xs", shape=(4, 12))

    def step(c, x):
        return c * 0.9 + sg.tanh(x) * c, sg.exp(-c * x)

    carry, ys = sg.scan(step, c0, xs)
    grown = sg.while_loop(lambda s: sg.sum(s * s) < 50.0, lambda s: s * 1.5 + sg.sin(s), carry)
    loss = sg.sum(grown * grown) + sg.sum(ys)
    numpy_f, numba_f = both([loss, sg.grad(loss, [c0, xs])], [c0, xs])
    # the scan's and the while loop's bodies, and both replayed for the gradient
    assert _in_loop_kernels(numba_f) >= 4
    rng = np.random.default_rng(4)
    a, b = rng.uniform(0.2, 0.6, 12), rng.normal(size=(4, 12))
    assert_same(numba_f(a, b), numpy_f(a, b))
    value, (d_c0, d_xs) = numba_f(a, b)
    # (a change of the while loop's trip count within a step would show as a jump)
    want = _central_differences(lambda v: float(numba_f(v, b)[0]), a)
    np.testing.assert_allclose(d_c0, want, rtol=1e-5, atol=1e-6)
    want = _central_differences(lambda v: float(numba_f(a, v)[0]), b)
    np.testing.assert_allclose(d_xs, want, rtol=1e-5, atol=1e-6)


def test_loops_over_0d_values_run_as_numpy_statements():
    """A body of 0-d values has no loop to fuse: it stays NumPy statements, with the
    NumPy backend's results."""
    x, y = sg.var("x"), sg.var("y")
    z = sg.fori_loop(5, lambda i, s: sg.sin(s) * y + s, x)
    numpy_f, numba_f = both([z, sg.grad(z, [x, y])], [x, y])
    assert kernels(numba_f) == 0 and "_SCALAR_IR" not in numba_f.source
    assert "np.sin(" in numba_f.source
    assert_same(numba_f(0.3, 0.7), numpy_f(0.3, 0.7), rtol=0, atol=0)


# --- results as NumPy gives them ---------------------------------------------------------------


def test_float32_stays_float32():
    x = sg.var("x", shape=(1000,), dtype="float32")
    y = sg.sum(sg.tanh(x) * np.float32(3.0) + sg.exp(-x * x))
    numpy_f, numba_f = both([y, sg.grad(y, x)], [x])
    a = np.linspace(-3, 3, 1000, dtype=np.float32)
    value, gradient = numba_f(a)
    assert value.dtype == np.float32 and gradient.dtype == np.float32
    assert_same(numba_f(a), numpy_f(a), rtol=RTOL32, atol=1e-6)


def test_float32_reductions_loops_and_0d_graphs_stay_float32():
    x = sg.var("x", shape=(64, 9), dtype="float32")
    row = sg.var("row", shape=(9,), dtype="float32")
    z = sg.exp(x * row) - x
    looped = sg.fori_loop(2, lambda i, s: s * np.float32(0.5) + sg.tanh(s), z)
    outputs = [z.sum(axis=0), z.mean(axis=1, keepdims=True), z.max(axis=1), looped]
    outputs.append(sg.grad(sg.sum(looped) + sg.sum(z), [x, row]))
    numpy_f, numba_f = both(outputs, [x, row])
    assert kernels(numba_f) >= 2
    rng = np.random.default_rng(5)
    args = rng.normal(size=(64, 9)).astype(np.float32), rng.normal(size=9).astype(np.float32)
    got = numba_f(*args)
    for value in [*got[:4], *got[4]]:
        assert value.dtype == np.float32
    assert_same(got, numpy_f(*args), rtol=RTOL32, atol=1e-5)
    s = sg.var("s", dtype="float32")
    w = sg.exp(s) * np.float32(2.0) + sg.sin(s)
    numpy_f, numba_f = both([w, sg.grad(w, s)], [s])
    got = numba_f(np.float32(0.5))
    assert all(np.asarray(v).dtype == np.float32 for v in got)
    assert_same(got, numpy_f(np.float32(0.5)), rtol=0, atol=0)
    assert got[1] == pytest.approx(2 * np.exp(0.5) + np.cos(0.5), rel=1e-6)


def test_nan_and_inf_where_numpy_gives_them_and_no_exception():
    x = sg.var("x", shape=(6,))
    outputs = [sg.log(x) * 2.0, 1.0 / x + 1.0, sg.sqrt(x) - 1.0, sg.exp(x * 1000.0) * 0.5]
    numpy_f, numba_f = both(outputs, [x])
    a = np.array([0.0, -1.0, 1.0, np.inf, -np.inf, np.nan])
    with np.errstate(all="ignore"):
        want = numpy_f(a)
    got = numba_f(a)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def test_integer_and_bool_inputs_and_bool_results():
    i = sg.var("i", shape=(8,), dtype="int32")
    m = sg.var("m", shape=(8,), dtype="bool")
    x = sg.var("x", shape=(8,))
    outputs = [sg.sin(i) * x + 1.0, sg.where(m, x * 2.0, x - 1.0), sg.eq(x > 0.5, m), x * i < 2]
    numpy_f, numba_f = both(outputs, [i, m, x])
    args = np.arange(8, dtype=np.int32), np.arange(8) % 3 == 0, np.linspace(0, 1, 8)
    assert_same(numba_f(*args), numpy_f(*args))


def test_trigonometric_arguments_beyond_the_fast_range_are_exact():
    x = sg.var("x", shape=(9000,))
    y = sg.sin(x) * sg.cos(x * 3.0)
    f = sg.compile(y, backend="numba")
    assert "_exact_1" in f.source
    a = np.linspace(-5, 5, 9000)
    a[4100] = 1e13  # in the second block of 4096
    a[5000] = -3.5e20
    np.testing.assert_allclose(f(a), np.sin(a) * np.cos(a * 3.0), rtol=1e-13, atol=1e-15)


def test_bad_input_gets_the_numpy_backends_bind_error():
    x = sg.var("x", shape=("n", 3))
    b = sg.var("b", shape=("n",))
    y = sg.sum(sg.sin(x) * x, axis=1) + b
    numpy_f, numba_f = both(y, [x, b])
    cases = [
        (np.ones((4, 2)), np.ones(4)),  # wrong shape
        (np.ones((4, 3)), np.ones(5)),  # inconsistent n
        (np.ones((4, 3), dtype=complex), np.ones(4)),  # wrong dtype
    ]
    ran = []
    namespace = numba_f.function.__globals__
    run = namespace["_in_parallel"]
    namespace["_in_parallel"] = lambda *args: ran.append(args[0]) or run(*args)
    try:
        for args in cases:
            with pytest.raises(sg.BindError) as expected:
                numpy_f(*args)
            with pytest.raises(sg.BindError) as got:
                numba_f(*args)
            assert str(got.value) == str(expected.value)
        assert ran == []  # rejected before any loop ran
        numba_f(np.ones((4, 3)), np.ones(4))
        assert len(ran) == 1
    finally:
        namespace["_in_parallel"] = run


def test_without_numba_the_backend_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)  # as if it were not installed
    x = sg.var("x", shape=(3,))
    with pytest.raises(ImportError, match=r"pip install 'symgrad\[numba\]'"):
        sg.compile(x * 2.0, backend="numba")
    assert "numba" not in sg.emit.backends.names(available=True)


# --- scalar graphs -------------------------------------------------------------------------------


def test_a_scalar_graph_is_one_native_function():
    x, y = sg.var("x"), sg.var("y")
    z = x
    for _ in range(20):
        z = sg.sin(z) * y + sg.cos(z * y)
    numpy_f, numba_f = both([z, sg.grad(z, [x, y])], [x, y])
    assert "_SCALAR_IR" in numba_f.source and "@sincos" in numba_f.source
    assert "def _kernel_" not in numba_f.source
    for args in [(0.3, 0.7), (-1.5, 2.0)]:
        assert_same(numba_f(*args), numpy_f(*args), rtol=1e-12)


def test_the_scalar_ir_computes_what_the_python_statements_say():
    x, y = sg.var("x"), sg.var("y")
    z = sg.log(x) * sg.sigmoid(y) + sg.relu(x - y) / (y + 1.0) + sg.maximum(x, y) ** 1.5
    f = sg.compile([z, sg.grad(z, [x, y])], backend="numba")
    documented = f.function.__globals__["_evaluate_floats"]
    for args in [(0.5, 0.25), (2.0, 3.0), (0.0, 1.0), (-1.0, -1.0)]:
        with np.errstate(all="ignore"):
            want = sg.compile([z, sg.grad(z, [x, y])])(*args)
        got = f(*args)
        assert_same(got, want, rtol=1e-13, what=str(args))
        if args[0] > 0:  # where math raises, the statements are the NumPy backend's
            assert_same(got, documented(*args), rtol=1e-13)


# --- files: the cache and saved modules ----------------------------------------------------------

_PROGRAM = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import symgrad as sg
    x = sg.var("x", shape=(5000,))
    y = sg.sum(sg.sin(x) * x + 1.0)
    f = sg.compile([y, sg.grad(y, x)], backend="numba")
    value, gradient = f(np.linspace(0, 1, 5000))
    kernel = f.function.__globals__["_kernel_1"]
    print(json.dumps({"value": float(value), "hits": len(kernel.stats.cache_hits),
                      "misses": len(kernel.stats.cache_misses)}))
    """
)


def test_a_second_process_loads_the_compiled_loops(tmp_path):
    env = {**os.environ, "SYMGRAD_CACHE_DIR": str(tmp_path)}
    runs = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", _PROGRAM], env=env, capture_output=True, text=True, check=True
        )
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    assert runs[0]["misses"] == 1 and runs[0]["hits"] == 0
    assert runs[1]["hits"] == 1 and runs[1]["misses"] == 0
    assert runs[0]["value"] == runs[1]["value"]
    assert any(tmp_path.glob("__pycache__/*.nbi"))


@pytest.mark.parametrize("scalar", [False, True], ids=["loops", "scalar"])
def test_a_saved_module_needs_only_numpy_and_numba(tmp_path, scalar):
    if scalar:
        x = sg.var("x")
        y = sg.sin(x) * sg.exp(x)
        arg = "0.5"
    else:
        x = sg.var("x", shape=(100,))
        y = sg.sum(sg.sin(x) * sg.exp(x))
        arg = "np.linspace(0, 1, 100)"
    f = sg.compile([y, sg.grad(y, x)], backend="numba")
    path = tmp_path / "saved.py"
    f.save(path)
    program = textwrap.dedent(
        f"""
        import sys
        sys.modules["symgrad"] = None  # importing symgrad now fails
        import numpy as np
        sys.path.insert(0, {str(tmp_path)!r})
        import saved
        value, gradient = saved.evaluate({arg})
        print(repr(float(value)), repr(np.asarray(gradient).tolist()))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    )
    value, gradient = (eval(part) for part in done.stdout.strip().split(" ", 1))
    want_value, want_gradient = f(eval(arg))
    assert value == float(want_value)
    np.testing.assert_array_equal(gradient, want_gradient)


# --- masked branches, complex numbers, statement names ---------------------------------------


def test_masked_branches_in_a_loop_warn_nothing_and_keep_numpys_values():
    """What a ``where`` discards is computed in the loop (out of its domain there) without
    a warning; the positions it keeps are NumPy's, the ones it drops exactly its zeros."""
    x = sg.var("x", shape=(1000,))
    y = sg.where(x > 0.0, sg.log(x) * sg.sqrt(x) + 1.0 / x, 0.0)
    outputs = [y, sg.grad(sg.sum(y), x)]
    numpy_f, numba_f = both(outputs, [x])
    assert kernels(numba_f) >= 1
    a = np.linspace(-2.0, 2.0, 1000)
    a[500] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning fails the test
        want = numpy_f(a)
        got = numba_f(a)
    dropped = a <= 0.0
    for g, w in zip(got, want):
        assert np.all(np.isfinite(g))
        np.testing.assert_array_equal(g[dropped], w[dropped])
        np.testing.assert_array_equal(g[dropped], 0.0)
        np.testing.assert_allclose(g[~dropped], w[~dropped], rtol=RTOL, atol=ATOL)


def test_complex_values_are_numpy_calls_between_loops():
    """Complex elementwise ops are not fused (a loop statement is on real numbers): they
    run as the NumPy backend's statements, and the real parts around them still fuse."""
    z = sg.var("z", shape=(500,), dtype="complex128")
    x = sg.var("x", shape=(500,))
    w = sg.exp(z * 1j) * z + x
    loss = sg.sum(sg.abs(w) * sg.sin(x) * sg.cos(x) + x * x)
    outputs = [loss, w, sg.grad(loss, [z, x])]
    numpy_f, numba_f = both(outputs, [z, x])
    rng = np.random.default_rng(3)
    zs = rng.normal(size=500) + 1j * rng.normal(size=500)
    xs = rng.normal(size=500)
    got, want = numba_f(zs, xs), numpy_f(zs, xs)
    assert got[1].dtype == np.complex128 and got[2][0].dtype == np.complex128
    assert_same(got, want)
    assert kernels(numba_f) >= 1
    assert "np.exp(" in numba_f.source  # the complex exp stays a NumPy call


def test_statement_names_find_the_lines_of_loops_and_stores():
    """``Emitted.names`` lists what each statement of ``evaluate`` assigns, the arrays a
    loop stores and the reductions it gives included, so the explorer finds their lines."""
    from symgrad.compiler import lower
    from symgrad.draw.explore import statement_lines

    x = sg.var("x", shape=(200, 3))
    b = sg.var("b", shape=(3,))
    h = sg.tanh(x * 2.0 + b)
    loss = sg.sum(h * h) + sg.sum(sg.mean(h, axis=1))
    outputs = [loss, sg.grad(loss, [x, b])]
    emitted = lower(outputs, [x, b], backend="numba").emitted
    source = emitted.source.splitlines()
    lines = statement_lines(source, emitted.names)
    evaluate = source.index("def evaluate(x, b):")
    end = next(i for i in range(evaluate + 1, len(source)) if source[i].startswith("def "))
    assigned = {name for _, name in emitted.names}
    assert "_in_parallel(_kernel_1," in emitted.source
    for line in lines.values():  # in evaluate (or a module-level constant), not a loop
        inside = evaluate < line <= end
        assert inside or not source[line - 1].startswith(" "), source[line - 1][:80]
    for _, name in emitted.names:
        assert any(s.strip().startswith(f"{name} = ") for s in source[: end + 1]), name
    # Every array assigned in evaluate is listed (the loop's stores and reductions too).
    for text in source[evaluate:end]:
        target = text.strip().split(" = ")[0]
        if " = " in text and target.isidentifier() and not text.strip().startswith("#"):
            assert target in assigned or target.endswith(("_parts", "_acc")), text
