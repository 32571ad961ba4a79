"""The emitter: backends, expressions written inside others, variables and buffers reused,
functions written in pieces, tracebacks into the generated code, and linear cost."""

import contextlib
import dataclasses
import gc
import linecache
import sys
import traceback
import weakref
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings

import symgrad as sg
from symgrad import compiler as compiler_module
from symgrad.core.walk import topological_order
from symgrad.emit import backends, numpy_writer
from symgrad.emit.expressions import analyse
from symgrad.emit.plan import Options, make_plan
from symgrad.optimize import optimize
from tests.source import evaluate_body

from .test_random_graphs import _graph, trees


@contextlib.contextmanager
def numpy_options(**changes):
    """The NumPy backend with some plan options changed."""
    numpy = backends.backend("numpy")
    changed = dataclasses.replace(numpy, options=dataclasses.replace(numpy.options, **changes))
    with mock.patch.dict(backends._BACKENDS, {"numpy": changed}):
        yield


# --- backends ---------------------------------------------------------------------------


def test_numpy_is_the_default_backend_and_unknown_ones_are_named():
    x = sg.var("x", shape=(2,))
    f = sg.compile(x * 2.0, backend="numpy")
    np.testing.assert_array_equal(f(np.array([1.0, 2.0])), [2.0, 4.0])
    with pytest.raises(ValueError, match=r"unknown backend 'jax'; known backends: numpy"):
        sg.compile(x * 2.0, backend="jax")
    with pytest.raises(TypeError, match="backend must be a string"):
        sg.compile(x * 2.0, backend=None)


def test_reserved_backends_say_they_are_not_available_yet(monkeypatch):
    # Every backend symgrad registers has a writer now; a reserved one (no writer yet)
    # names the extra it will need.
    monkeypatch.setitem(backends._BACKENDS, "later", backends.Backend("later", None, extra="x"))
    x = sg.var("x", shape=(2,))
    with pytest.raises(NotImplementedError, match=r"'later' backend is not available yet"):
        sg.compile(x * 2.0, backend="later")
    with pytest.raises(NotImplementedError, match=r"symgrad\[x\]"):
        sg.compile(x * 2.0, backend="later")
    assert "later" not in backends.names(available=True)


def test_a_backend_may_ask_for_regions_of_any_size():
    x = sg.var("x", shape=(40,))
    y = sg.sum(sg.sin(x) * x + 1.0)
    assert "for start in range(" not in sg.compile(y).source
    with numpy_options(region_elements=16):
        f = sg.compile(y)
    assert "for start in range(0, 40, 65536):" in f.source
    a = np.linspace(-1, 1, 40)
    assert f(a) == pytest.approx(np.sum(np.sin(a) * a + 1.0), rel=1e-14)


def test_backends_are_registered_by_name():
    assert backends.names() == ["numpy", "numba", "dask"]
    assert backends.names(available=True) == ["numpy", "numba", "dask"]
    dask = backends._BACKENDS["dask"]
    assert not dask.options.blocking and not dask.options.reuse_buffers


# --- expressions inside expressions ---------------------------------------------------------

INNER = ["a + b", "a - b", "a * b", "a / b", "a ** b", "-a", "a if a > b else b", "f(a)", "a[0]"]
OUTER = [
    "_sg0_ - _sg1_",
    "_sg0_ / _sg1_",
    "_sg0_ ** _sg1_",
    "_sg1_ ** _sg0_",
    "-_sg0_",
    "_sg0_ * _sg1_ + 1.0",
    "f(_sg0_, _sg1_)",
    "_sg0_ < _sg1_",
    "(_sg0_ if _sg0_ > 0 else _sg1_)",
    "_sg0_[0] + _sg1_",
]


@pytest.mark.parametrize("outer", OUTER)
def test_written_inside_an_expression_a_value_keeps_its_meaning(outer):
    """Brackets go exactly where Python needs them: every inner expression, in every slot,
    evaluates to what the bracketed text does."""
    form = analyse(outer, 2)
    scope = {"a": np.array([2.5]), "b": np.array([-0.75]), "c": np.array([1.75])}
    scope["f"] = lambda a, *rest: a * 3.0 - sum(rest)
    for inner in INNER:
        precedence = analyse(inner.replace("a", "_sg0_").replace("b", "_sg1_"), 2).precedence
        for slot in (0, 1):
            if form.uses(slot) != 1:
                continue
            other = "_sg1_" if slot == 0 else "_sg0_"
            text = outer.replace(f"_sg{slot}_", form.wrap(slot, inner, precedence))
            bracketed = outer.replace(f"_sg{slot}_", f"({inner})")
            text, bracketed = (t.replace(other, "c") for t in (text, bracketed))
            got, want = _outcome(text, scope), _outcome(bracketed, scope)
            np.testing.assert_array_equal(got, want, err_msg=f"{text} vs {bracketed}")


def _outcome(text, scope):
    """The value of one of our own test expressions, or the kind of error it raises."""
    try:
        with np.errstate(all="ignore"):
            return eval(text, scope)
    except (TypeError, IndexError) as error:
        return type(error).__name__


def test_expressions_are_bracketed_only_where_needed():
    sub = analyse("_sg0_ - _sg1_", 2)
    assert sub.wrap(0, "a - b", 10) == "a - b"  # (a - b) - c
    assert sub.wrap(1, "a - b", 10) == "(a - b)"  # a - (b - c)
    assert sub.wrap(1, "a * b", 11) == "a * b"
    assert analyse("-_sg0_", 1).wrap(0, "a ** 2", 14) == "a ** 2"
    assert analyse("_sg0_ ** 2", 1).wrap(0, "-a", 12) == "(-a)"
    assert analyse("_sg0_.T", 1).wrap(0, "a + b", 10) == "(a + b)"
    assert analyse("np.sum(_sg0_, axis=1)", 1).wrap(0, "a + b", 10) == "a + b"
    assert analyse("_sg0_ * _sg0_", 1).uses(0) == 2  # never written inside twice


@settings(max_examples=30, deadline=None)
@given(trees)
def test_statements_of_several_ops_and_pieces_compute_what_one_op_each_does(tree):
    x, y, out = _graph(tree)
    g = sg.grad(out, [x, y])
    a = (np.array([0.3, -1.2, 0.7]), np.array([1.1, 0.2, -0.4]))
    apart = sg.compile([out, g], inputs=[x, y])  # one statement per op, the default
    with numpy_options(ops_per_statement=4):
        together = sg.compile([out, g], inputs=[x, y])
    with numpy_options(piece_steps=2):
        pieces = sg.compile([out, g], inputs=[x, y])
    assert apart.stats.statements >= together.stats.statements
    want = apart(*a)
    for got in (together(*a), pieces(*a)):
        assert got[0] == want[0]
        for p, q in zip(got[1], want[1]):
            np.testing.assert_array_equal(p, q)


def test_a_value_read_twice_by_one_op_is_computed_once():
    x = sg.var("x", shape=(3,))
    body = evaluate_body(sg.compile(sg.sin(x) * sg.sin(x) + 1.0))
    assert body.count("np.sin(") == 1


# --- variables and buffers ------------------------------------------------------------------


def test_large_buffers_are_updated_in_place_with_operators():
    x = sg.var("x", shape=("n", 8))
    w = sg.var("w", shape=(8, 4))
    b = sg.var("b", shape=(4,))
    h = sg.tanh(x @ w + b) * 2.0
    body = evaluate_body(sg.compile(h))
    assert "matmul = x @ w  # (n, 4) float64" in body
    assert "matmul += b\n" in body
    assert "np.tanh(matmul, out=matmul)" in body
    assert "matmul *= 2.0" in body
    assert "del " not in body  # one buffer throughout
    a = np.random.default_rng(0).normal(size=(5, 8))
    wv, bv = np.ones((8, 4)), np.arange(4.0)
    np.testing.assert_allclose(sg.compile(h)(a, wv, bv), np.tanh(a @ wv + bv) * 2.0)


def test_arrays_a_view_reads_are_never_written_into():
    x = sg.var("x", shape=(200, 200))
    a = sg.sin(x)
    body = evaluate_body(sg.compile(a + a.T))  # a.T is written inside the statement reading it
    assert "sin_x = np.sin(x)" in body and "sin_x +=" not in body and "out=sin_x" not in body
    v = np.random.default_rng(0).normal(size=(200, 200))
    np.testing.assert_array_equal(sg.compile(a + a.T)(v), np.sin(v) + np.sin(v).T)


def test_gradients_are_named_after_their_variables_after_a_comment():
    x = sg.var("x", shape=(3,))
    w = sg.var("weight", shape=(3,))
    y = sg.sum(sg.sin(x) * w * w)
    body = evaluate_body(sg.compile([y, sg.grad(y, [x, w]), sg.hessian(sg.sum(x**3), x)]))
    lines = [line.strip() for line in body.splitlines()]
    start = lines.index("# derivatives")
    assert all(not line.startswith("d_") for line in lines[:start])
    for name in ("d_x = ", "d_weight = ", "d2_x = "):
        assert any(line.startswith(name) for line in lines[start:]), name
    assert "return [sum, [d_x, d_weight], d2_x]" in body


def test_no_statement_is_dead():
    x = sg.var("x", shape=("n",))  # n is checked, never needed after
    assert "n = " not in evaluate_body(sg.compile(sg.sin(x)))
    y = sg.var("y", shape=("n",))
    assert "n = x.shape[0]" in evaluate_body(sg.compile(sg.sin(x) + y))  # y's shape is checked
    a = sg.var("a", shape=(3,))
    z = sg.while_loop(lambda b: sg.sum(b) < 100.0, lambda b: 2.0 * b, a).sum()
    body = evaluate_body(sg.compile(sg.grad(z, a)))
    for line in body.splitlines():
        name = line.strip().split(" = ")[0]
        top_level = line.startswith("    ") and not line.startswith("     ")
        if top_level and " = " in line and name.isidentifier():
            rest = body.split(line, 1)[1]
            assert name in rest, f"{name} is assigned and never read"


# --- pieces ---------------------------------------------------------------------------------


def _chain(depth):
    x = sg.var("x")
    y = x
    for _ in range(depth):
        y = sg.sin(y) * 0.999 + 0.01 * y
    return x, [y, sg.grad(y, x)]


def test_long_float_functions_are_written_in_pieces():
    x, outputs = _chain(60)
    whole = sg.compile(outputs, [x])
    with numpy_options(piece_steps=7):
        pieces = sg.compile(outputs, [x])
    assert "def part_" not in whole.source and pieces.source.count("def part_") > 10
    for v in (0.3, -2.0):
        assert pieces(v) == whole(v)
    with np.errstate(invalid="ignore"):  # inf: math raises, NumPy's nan is the answer
        assert all(np.isnan(v) for v in pieces(np.inf)) and all(np.isnan(whole(np.inf)))


def test_long_array_functions_with_control_flow_and_blocks_are_written_in_pieces():
    n = sg.var("v", shape=("n",))
    a = sg.var("a", shape=(3,))
    s = sg.while_loop(lambda b: sg.sum(b * b) < 50.0, lambda b: 1.5 * b + 0.1, a)
    big = sg.var("big", shape=(40,))
    chain = big
    for _ in range(12):
        chain = sg.sin(chain) * 0.5 + chain
    y = sg.sum(s) * sg.sum(sg.exp(n) * n) + sg.sum(chain * chain)
    outputs = [y, sg.grad(y, [n, a, big])]
    inputs = [n, a, big]
    args = [np.linspace(-1, 1, 5), np.array([0.5, 0.25, 1.0]), np.linspace(0, 2, 40)]
    with (
        mock.patch("symgrad.emit.blocking.BLOCK_ELEMENTS", 8),
        mock.patch("symgrad.emit.blocking.MIN_ELEMENTS", 16),
    ):
        whole = sg.compile(outputs, inputs)
        with numpy_options(piece_steps=3):
            pieces = sg.compile(outputs, inputs)
    assert "def part_" not in whole.source and pieces.source.count("def part_") > 3
    assert "for start in range(" in pieces.source and "while " in pieces.source
    got, want = pieces(*args), whole(*args)
    assert got[0] == want[0]
    for p, q in zip(got[1], want[1]):
        np.testing.assert_array_equal(p, q)


# --- tracebacks -----------------------------------------------------------------------------


def _failing_line(f, *args):
    with np.errstate(divide="raise"), pytest.raises(FloatingPointError) as info:
        f(*args)
    frames = [fr for fr in traceback.extract_tb(info.tb) if fr.filename == f.filename]
    assert frames, "the traceback goes through the generated code"
    return frames[-1].line


def test_tracebacks_show_the_generated_line_until_the_code_is_collected():
    x = sg.var("x", shape=(2,))
    f = sg.compile(sg.log(x) * 2.0 + 1.0)
    assert "np.log(x)" in _failing_line(f, np.zeros(2))
    filename = f.filename
    assert filename in linecache.cache
    del f
    gc.collect()
    sg.compile(x * 3.0)  # collected sources leave the cache at the next compile
    assert filename not in linecache.cache


def test_collecting_code_while_linecache_checks_its_cache_is_safe():
    # A finalizer may run inside linecache.checkcache (any allocation can collect): the
    # cache must not lose a key while checkcache walks it.
    x = sg.var("x", shape=(2,))
    for _ in range(50):
        f = sg.compile(sg.sin(x) + 1.0)
        cycle: list[object] = [f]
        cycle.append(cycle)  # only the cycle collector frees it, at an allocation
        del f, cycle
        linecache.checkcache()


def test_tracebacks_show_the_right_line_in_a_later_piece():
    x = sg.var("x", shape=(2,))
    y = x
    for _ in range(20):
        y = sg.cos(y) + 1.0
    with numpy_options(piece_steps=2):
        f = sg.compile(sg.log(y * 0.0))  # log of 0 in the last piece
    assert f.source.count("def part_") > 5
    line = _failing_line(f, np.zeros(2))
    assert "np.log(" in line and line in f.source.split("def part_")[-1]


# --- Expr.eval ------------------------------------------------------------------------------


def test_eval_compiles_once_per_expression_while_it_lives():
    x = sg.var("x", shape=(2,))
    y = sg.sin(x) * 3.0
    with mock.patch("symgrad.compiler.compile", wraps=sg.compile) as compiled:
        first = y.eval({x: [0.5, 1.0]})
        second = y.eval({"x": [0.0, 1.0]})
    assert compiled.call_count == 1
    del compiled  # (it holds its calls' arguments)
    np.testing.assert_allclose(first, np.sin([0.5, 1.0]) * 3.0)
    np.testing.assert_allclose(second, np.sin([0.0, 1.0]) * 3.0)
    alive = weakref.ref(y)
    before = len(compiler_module._EVALUATE)
    del y
    gc.collect()
    assert alive() is None and len(compiler_module._EVALUATE) == before - 1


# --- linear cost ----------------------------------------------------------------------------


def _calls_per_node(depth, shape):
    x = sg.var("x", shape=shape)
    y = x
    for _ in range(depth):
        y = sg.sin(y) * 0.999 + 0.01 * y
    outputs = optimize([y, sg.grad(y.sum(), x)])
    order = topological_order(outputs)
    calls = 0

    def count(frame, event, arg):
        nonlocal calls
        if event == "call":
            calls += 1

    sys.setprofile(count)
    try:
        numpy_writer.write(make_plan([x], outputs, order, Options(piece_steps=40)), str)
    finally:
        sys.setprofile(None)
    return calls / len(order)


@pytest.mark.parametrize("shape", [(), (2,)], ids=["floats", "arrays"])
def test_emission_makes_the_same_calls_per_node_at_any_size(shape):
    """Python function calls per node, planning and writing: equal for 300 and 1,200
    deep chains (a pass repeated per node, or per piece over the whole graph, would not)."""
    small, large = _calls_per_node(300, shape), _calls_per_node(1_200, shape)
    assert large == pytest.approx(small, rel=0.02), (small, large)
