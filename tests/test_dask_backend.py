"""The Dask backend on one machine: every op of the op table against its declaration, one
graph for a value and its gradient, binding inputs, control flow, and the optional extra.

Dask runs with its synchronous scheduler here (the cluster tests are in
test_dask_cluster.py); a callback counts every computation Dask starts, so a test can tell
that building the graph computed nothing, and that nothing was gathered.
"""

import functools
import sys
import warnings

import dask
import dask.array as da
import numpy as np
import pytest
from dask.callbacks import Callback

import symgrad as sg
from symgrad.core.walk import topological_order
from symgrad.emit import dask_writer
from symgrad.ops.base import Op

from .op_table import CASES

#: The Dask backend's results against the NumPy backend's: Dask sums chunks in another order.
RTOL, ATOL = 1e-9, 1e-12


class Computations(Callback):
    """Counts the computations Dask starts (``compute``, ``persist``, ``bool()`` of an array)."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def _start(self, dsk):
        self.count += 1


@pytest.fixture(autouse=True)
def synchronous():
    with dask.config.set(scheduler="sync"):
        yield


def _row(case):
    arrays = case.arrays(0)
    xs = [sg.var(f"x{i}", shape=a.shape) for i, a in enumerate(arrays)]
    y = case.build(*xs)
    weights = np.random.default_rng(1).normal(size=y.shape)
    outputs = [y, *sg.grad((y * weights).sum(), xs)]
    return arrays, xs, outputs


def _run_lazily(f, arrays):
    """Call ``f`` on the arrays in chunks of 2 along every axis; the results, computed, and
    how many computations the call itself started (building a graph should start none)."""
    chunked = [da.from_array(a, chunks=2) for a in arrays]
    with Computations() as during, warnings.catch_warnings():
        warnings.simplefilter("error")  # Dask warns where it falls back to NumPy
        results = f(*chunked)
    assert all(isinstance(r, da.Array) for r in results), [type(r) for r in results]
    return dask.compute(*results), during.count


def _refused_ops(message):
    return [name for name, op in Op.registry.items() if f"; {name} of " in f"; {message}"]


@functools.cache
def _forced_outcome(name):
    """For the op table's row ``name``, compiled for Dask with refusals turned off: ``None``
    if nothing is refused, else (the refused ops, whether the code runs lazily with the
    NumPy backend's values)."""
    case = next(c for c in CASES if c.name == name)
    arrays, xs, outputs = _row(case)
    try:
        sg.compile(outputs, xs, backend="dask")
        return None
    except NotImplementedError as refusal:
        refused = _refused_ops(str(refusal))
    expected = sg.compile(outputs, xs)(*arrays)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dask_writer, "refuse_unsupported", lambda plan: None)
        try:
            forced = sg.compile(outputs, xs, backend="dask")
            with dask.config.set(scheduler="sync"):
                results, during = _run_lazily(forced, arrays)
        except Exception:
            return refused, False  # (fails: as declared)
    same = all(np.allclose(r, e, rtol=RTOL, atol=ATOL) for r, e in zip(results, expected))
    return refused, during == 0 and same


def _computing_ops(outputs):
    """The ops of the graph whose Dask code computes while it is built (``Op.dask_computes``)."""
    return {n.op.name for n in topological_order(outputs) if n.op.dask_computes}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_op_table_row_runs_on_dask_as_declared(case):
    """A row whose ops all declare Dask support gives the NumPy backend's values and
    gradients from chunked inputs, computing nothing while the graph is built (but the
    predicates and tests of control flow, ``Op.dask_computes``). A row with an op that
    declares none is refused at compile time, naming it, and the declaration is needed:
    written anyway, the code fails, gathers, or is wrong, for this row or for another row
    of the same op (svd's singular values are right on Dask, its U and Vh are not)."""
    arrays, xs, outputs = _row(case)
    expected = sg.compile(outputs, xs)(*arrays)
    try:
        f = sg.compile(outputs, xs, backend="dask")
    except NotImplementedError as refusal:
        message = str(refusal)
        refused = _refused_ops(message)
        assert refused, f"{case.name}: the refusal names no op: {message}"
        assert 'backend="dask"' in message
        _, runs = _forced_outcome(case.name)
        if not runs:
            return
        others = [
            c.name
            for c in CASES
            if c.name != case.name
            and (outcome := _forced_outcome(c.name)) is not None
            and set(outcome[0]) & set(refused)
            and not outcome[1]
        ]
        assert others, (
            f"{case.name}: refused ({', '.join(refused)}), but the code runs lazily on Dask "
            "with the right values, here and in every row of the op: declare its Dask support"
        )
        return
    results, during = _run_lazily(f, arrays)
    if not _computing_ops(outputs):
        assert during == 0, f"{case.name}: building the graph computed {during} times"
    for k, (r, e) in enumerate(zip(results, expected)):
        np.testing.assert_allclose(r, e, rtol=RTOL, atol=ATOL, err_msg=f"{case.name}: out {k}")


def test_every_op_the_backend_refuses_names_an_alternative():
    for name, op in Op.registry.items():
        if not op.__module__.startswith("symgrad."):
            continue  # ops the tests define
        runs = op.elementwise if op.dask is None else op.dask
        if not runs:
            assert op.dask_alternative, f"{name} is refused on Dask without an alternative"


def test_a_refusal_comes_at_compile_time_naming_the_op_and_the_alternative():
    a = sg.var("a", (3, 3))
    loss = sg.linalg.det(a @ a.T)
    with pytest.raises(NotImplementedError) as refusal:
        sg.compile(loss, [a], backend="dask")
    message = str(refusal.value)
    assert "det of (3, 3)" in message and "cholesky" in message
    # A derivative's op is named as such.
    x = sg.var("x", (4,))
    loss = (sg.take(x, [0, 0, 2]) ** 2).sum()
    with pytest.raises(NotImplementedError, match=r"add_at of .* in the derivative"):
        sg.compile([loss, sg.grad(loss, x)], [x], backend="dask")
    # The value alone is fine: Dask takes a 1-d list of indices.
    take = sg.compile(sg.take(x, [0, 0, 2]), [x], backend="dask")
    assert take(np.arange(4.0)).compute().tolist() == [0.0, 0.0, 2.0]


def test_code_calling_a_numpy_function_dask_lacks_is_refused_whatever_the_declaration():
    """A safety net under the declarations: the writer never leaves a call that Dask would
    answer by computing and gathering its arguments."""
    calls = dask_writer.DaskCalls(da)
    assert calls.rewrite("np.einsum('ij->i', x) * np.float64(n)", "op") == (
        "da.einsum('ij->i', x) * np.float64(n)"
    )
    refused = "op wrong declares .* calls np.trapezoid, which Dask does not"
    with pytest.raises(NotImplementedError, match=refused):
        calls.rewrite("np.trapezoid(x)", "wrong")


def test_batched_linear_algebra_is_refused_but_one_matrix_runs():
    a = sg.var("a", (2, 3, 3))
    with pytest.raises(NotImplementedError, match="one 2-d matrix, not a stack"):
        sg.compile(sg.linalg.inv(a), [a], backend="dask")
    m = sg.var("m", (6, 6))
    b = sg.var("b", (6,))
    x = sg.linalg.solve(m @ m.T + 6.0 * np.eye(6), b)
    f = sg.compile([x, sg.grad(x.sum(), m)], [m, b], backend="dask")
    rng = np.random.default_rng(0)
    mv, bv = rng.normal(size=(6, 6)), rng.normal(size=6)
    # Chunks that are not equal squares: Dask's LU needs them so, the code rechunks.
    got = dask.compute(*f(da.from_array(mv, chunks=(4, 6)), bv))
    expected = sg.compile([x, sg.grad(x.sum(), m)], [m, b])(mv, bv)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=RTOL, atol=ATOL)


def _data(n=1000, d=4, chunk=250, calls=None):
    """A Dask array whose every block is made by a function counting its calls."""

    def block(block_info=None):
        (start, stop), _ = block_info[None]["array-location"]
        if calls is not None:
            calls.append(start)
        return np.random.default_rng(start).normal(size=(stop - start, d))

    return da.map_blocks(block, chunks=((chunk,) * (n // chunk), (d,)), dtype=np.float64)


def test_value_and_gradient_are_one_graph_computing_each_chunk_once():
    X = sg.var("X", ("n", 4))
    w = sg.var("w", (4,))
    loss = sg.log1p(sg.exp(sg.tanh(X @ w))).mean()
    f = sg.compile([loss, sg.grad(loss, w)], [X, w], backend="dask")
    calls = []
    data = _data(calls=calls)
    wv = np.linspace(-1.0, 1.0, 4)
    value, grad = f(data, wv)
    # One tanh per chunk in the graph of both outputs: the gradient reads the value's.
    graph = {**value.__dask_graph__(), **grad.__dask_graph__()}
    tanh_tasks = [k for k in graph if dask.utils.key_split(k) == "tanh"]
    assert len(tanh_tasks) == 4
    computed = dask.compute(value, grad)
    assert sorted(calls) == [0, 250, 500, 750]  # each block made once, for both outputs
    expected = sg.compile([loss, sg.grad(loss, w)], [X, w])(data.compute(), wv)
    for c, e in zip(computed, expected):
        np.testing.assert_allclose(c, e, rtol=RTOL, atol=ATOL)
    calls.clear()
    value.compute(), grad.compute()  # separately: each output computes its own graph
    assert len(calls) == 8


def test_numpy_inputs_are_split_into_blocks_of_rows_by_dask_chunk_size():
    X = sg.var("X", ("n", 4))
    f = sg.compile(2.0 * X, [X], backend="dask")
    data = np.ones((1000, 4))
    with dask.config.set({"array.chunk-size": "8KiB"}):  # 256 rows of 4 float64
        result = f(data)
    assert result.chunks == ((256, 256, 256, 232), (4,))
    assert f(data).chunks == ((1000,), (4,))  # 128 MiB by default: one block
    # A Dask array keeps its own chunks.
    assert f(da.from_array(data, chunks=(100, 2))).chunks[1] == (2, 2)


@pytest.mark.parametrize("rows", ["n", 1000])
def test_arrays_the_code_makes_line_up_with_the_inputs_chunks(rows):
    """A broadcast (d(s * X)/dX is s everywhere) and the zeros a gradient of slices is
    written into are chunked like the input axis of their size, not in one chunk (which
    one worker would have to hold whole)."""
    X = sg.var("X", (rows, 4))
    s = sg.var("s")
    outputs = [sg.grad((X * s).sum(), X)]
    if rows == 1000:  # (symbolic dims cannot be sliced)
        outputs.append(sg.grad((X[1:] * X[:-1]).sum(), X))
    f = sg.compile(outputs, [X, s], backend="dask")
    assert "_broadcast_to(" in f.source and "X.chunks[0]" in f.source
    data = da.from_array(np.arange(4000.0).reshape(1000, 4), chunks=(250, 4))
    assert [r.chunks for r in f(data, 2.0)] == [data.chunks] * len(outputs)


def test_bind_errors_come_before_any_computation():
    X = sg.var("X", ("n", 3))
    y = sg.var("y", ("n",))
    f = sg.compile(((X.sum(axis=1) - y) ** 2).sum(), [X, y], backend="dask")
    X_data = da.ones((100, 3), chunks=(30, 3))
    with Computations() as during:
        with pytest.raises(sg.BindError, match=r"'y' expects shape \(n,\), n = 100; got \(99,\)"):
            f(X_data, da.ones(99, chunks=30))
        with pytest.raises(sg.BindError, match="expects float64; got complex128"):
            f(X_data.astype(np.complex128), da.ones(100, chunks=30))
        unknown = X_data[X_data[:, 0] > 0]  # rows selected by values: chunk sizes unknown
        with pytest.raises(sg.BindError, match=r"unknown size .*compute_chunk_sizes\(\)"):
            f(unknown, da.ones(100, chunks=30))
        with pytest.raises(sg.BindError, match="lazy Delayed"):
            f(dask.delayed(np.ones)((100, 3)), da.ones(100, chunks=30))
    assert during.count == 0
    # Integer data converts without loss, lazily; known chunk sizes make it right again.
    assert float(f(X_data.astype(np.int64), da.ones(100, chunks=30)).compute()) == 400.0
    known = unknown.compute_chunk_sizes()
    assert float(f(known, da.ones(100, chunks=30)).compute()) == 400.0


def test_emitted_source_reads_as_dask():
    X = sg.var("X", ("n", 3))
    w = sg.var("w", (3,))
    loss = sg.logsumexp(X @ w)
    f = sg.compile([loss, sg.grad(loss, w)], [X, w], backend="dask")
    body = f.source.split("def evaluate(X, w):")[1].split("\n\n\n")[0]
    assert "import dask.array as da" in f.source
    assert "logsumexp = _logsumexp(matmul)  # () float64" in body
    assert "d_w = " in body and "da.exp(" in body
    assert "np.asarray" not in body and "np.array(" not in body and "del " not in body
    assert "top = da.max(x, axis=axis, keepdims=True)" in f.source  # Dask's helper
    assert "initial=-np.inf" not in f.source  # (not NumPy's)


def test_saved_module_runs_with_numpy_and_dask(tmp_path):
    x = sg.var("x", ("n",))
    f = sg.compile([sg.sin(x).sum(), sg.grad(sg.sin(x).sum(), x)], [x], backend="dask")
    path = tmp_path / "compiled.py"
    f.save(path)
    namespace = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    value, grad = dask.compute(*namespace["evaluate"](da.linspace(0, 1, 10, chunks=3)))
    assert value == pytest.approx(np.sin(np.linspace(0, 1, 10)).sum(), rel=1e-12)
    np.testing.assert_allclose(grad, np.cos(np.linspace(0, 1, 10)), rtol=1e-12)


def _classic():
    """f(a): b = 2a; while norm(b) < 1000: b = 2b; c = b if sum(b) > 0 else 100b."""
    a = sg.var("a", ("n",))
    b = sg.while_loop(lambda b: sg.norm(b) < 1000, lambda b: 2 * b, 2 * a)
    c = sg.cond(b.sum() > 0, lambda b: b, lambda b: 100 * b, b)
    return a, [c, sg.grad(c.sum(), a)]


def test_cond_and_while_compute_their_predicates_when_called():
    a, outputs = _classic()
    f = sg.compile(outputs, [a], backend="dask")
    for values in ([1.0, 2.0, 3.0, 4.0], [-1.0, -2.0, 0.5, 0.25]):
        data = np.array(values)
        with Computations() as during:
            c, d_a = f(da.from_array(data, chunks=2))
        # The loop's test at every step and the state after it, and the cond's predicate.
        assert during.count > 0
        c, d_a = dask.compute(c, d_a)
        expected = sg.compile(outputs, [a])(data)
        np.testing.assert_allclose(c, expected[0], rtol=RTOL)
        np.testing.assert_allclose(d_a, c / data, rtol=RTOL)  # df/da = f(a)/a


def test_while_loop_persists_its_state_so_no_step_runs_twice():
    a = sg.var("a", ("n",))
    b = sg.while_loop(lambda b: b.sum() < 1000, lambda b: 2 * b, a)
    f = sg.compile(b, [a], backend="dask")
    assert "[a_1] = dask.persist(a_1)" in f.source
    calls = []

    def block(x):
        calls.append(1)
        return x

    data = da.ones(4, chunks=2).map_blocks(block, meta=np.array((), dtype=np.float64))
    result = f(data)  # 4 -> 8 -> ... -> 1024: 8 steps
    assert len(calls) == 2  # each chunk of the input made once, however many steps
    assert result.compute().tolist() == [256.0] * 4


def test_scan_builds_its_graph_without_computing():
    x = sg.var("x", ("n", 3))
    w = sg.var("w", (3, 3))
    final, ys = sg.scan(lambda h, row: (sg.tanh(h @ w + row), h.sum()), sg.const(np.zeros(3)), x)
    loss = final.sum() + ys.sum()
    outputs = [loss, sg.grad(loss, [w, x])]
    f = sg.compile(outputs, [x, w], backend="dask")
    rng = np.random.default_rng(0)
    xv, wv = rng.normal(size=(6, 3)), rng.normal(size=(3, 3)) * 0.5
    with Computations() as during:
        lazy = f(da.from_array(xv, chunks=(2, 3)), wv)
    assert during.count == 0
    got = dask.compute(lazy)[0]
    expected = sg.compile(outputs, [x, w])(xv, wv)
    np.testing.assert_allclose(got[0], expected[0], rtol=RTOL)
    for g, e in zip(got[1], expected[1]):
        np.testing.assert_allclose(g, e, rtol=RTOL, atol=ATOL)


def test_without_dask_the_backend_names_the_extra(monkeypatch):
    for name in [m for m in sys.modules if m == "dask" or m.startswith("dask.")]:
        monkeypatch.setitem(sys.modules, name, None)  # as if it were not installed
    x = sg.var("x", (3,))
    with pytest.raises(ImportError, match=r"pip install 'symgrad\[dask\]'"):
        sg.compile(x * 2.0, [x], backend="dask")
    assert sg.compile(x * 2.0, [x])(np.ones(3)).tolist() == [2.0] * 3  # NumPy still works


def test_variables_named_like_the_modules_do_not_hide_them():
    a, b = sg.var("da"), sg.var("dask", ("n",))
    f = sg.compile(sg.exp(a) * b, [a, b], backend="dask")
    assert "def evaluate(da_1, dask_1):" in f.source
    assert f(0.0, np.ones(3)).compute().tolist() == [1.0, 1.0, 1.0]


def test_a_jacobian_adds_its_diagonal_lazily_on_dask():
    """``add_diagonal`` (a Jacobian's identity seeds plus a matrix) writes in place with
    NumPy; on Dask it adds a lazy diagonal matrix, computing nothing while built."""
    x = sg.var("x", shape=(4,))
    jacobian = sg.jacobian(sg.sin(x) + x, x)
    f = sg.compile(jacobian, [x], backend="dask")
    assert "_diag_embed(" in f.source
    a = np.linspace(-1.0, 1.0, 4)
    (result,), during = _run_lazily(lambda v: [f(v)], [a])
    assert during == 0
    np.testing.assert_allclose(result, np.diag(np.cos(a) + 1.0), rtol=RTOL, atol=ATOL)
