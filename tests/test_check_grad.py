"""check_grad stays usable: symbols users can write, distinct symbols for distinct variables,
singular points reported, and a time budget that really stops SymPy."""

import contextlib
import math
import signal
import threading
import time
import warnings

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symgrad as sg
from symgrad.check import budget


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # 1/0 at singular points
        yield


# --- symbols --------------------------------------------------------------------------------


def test_to_sympy_symbols_are_the_ones_users_write():
    x, v = sg.var("x"), sg.var("v", shape=(2,))
    e = sg.to_sympy(x**2 + sg.sin(x) * v[1])
    sx, sv1 = sympy.Symbol("x"), sympy.Symbol("v[1]")
    assert e.subs({sx: 2, sv1: 3}) == 4 + 3 * sympy.sin(2)
    assert sympy.simplify(e.diff(sx) - (2 * sx + sympy.cos(sx) * sv1)) == 0
    assert e.diff(sv1) == sympy.sin(sx)
    array = sg.to_sympy(v * 2)
    assert array[0] == 2 * sympy.Symbol("v[0]")


def test_to_sympy_real_gives_real_symbols():
    x = sg.var("x")
    assert sg.to_sympy(sg.sqrt(x * x)) == sympy.sqrt(sympy.Symbol("x") ** 2)
    assert sg.to_sympy(sg.sqrt(x * x), real=True) == sympy.Abs(sympy.Symbol("x", real=True))


def test_distinct_variables_get_distinct_readable_symbols():
    a, b = sg.var("x"), sg.var("x")
    v, v0 = sg.var("v", shape=(2,)), sg.var("v[0]")
    e = sg.to_sympy(a * b * b + v.sum() * v0)
    names = sorted(s.name for s in e.free_symbols)
    assert names == ["v[0]", "v[0]_2", "v[1]", "x", "x_2"]
    # the first declared keeps its name; the values are those of the graph
    point = {"x": 2.0, "x_2": 3.0, "v[0]": 5.0, "v[1]": 7.0, "v[0]_2": 11.0}
    value = float(e.subs({sympy.Symbol(k): val for k, val in point.items()}))
    want = sg.compile(a * b * b + v.sum() * v0, inputs=[a, b, v, v0])(2.0, 3.0, [5.0, 7.0], 11.0)
    assert value == pytest.approx(float(want), rel=1e-15)


def test_check_grad_tells_apart_variables_that_share_a_name():
    a, b = sg.var("a"), sg.var("a")
    v, v0 = sg.var("v", shape=(2,)), sg.var("v[0]")
    y = a * b * b + v.sum() * v0 + v0
    report = sg.check_grad(y, [a, b, v, v0], {a: 2.0, b: 3.0, v: [5.0, 7.0], v0: 11.0})
    assert report.ok, str(report)
    references = [c.sympy.reference for c in report.variables]
    for got, want in zip(references, [9.0, 12.0, [11.0, 11.0], 13.0]):
        np.testing.assert_allclose(got, want, rtol=1e-15)
    assert [c.name for c in report.variables] == ["a", "a_2", "v", "v[0]_2"]


# --- singular points ------------------------------------------------------------------------


@pytest.mark.parametrize("build", [sg.sqrt, lambda x: 1 / x, sg.log], ids=["sqrt", "1/x", "log"])
def test_a_singular_point_is_reported_not_raised(build):
    x = sg.var("x")
    report = sg.check_grad(build(x), x, {x: 0.0})
    (check,) = report.variables
    assert check.singular == ("x",) and not report.ok
    text = str(report)
    assert "singular" in text and "MISMATCH" in text


def test_the_other_elements_of_a_variable_are_still_compared():
    v, w = sg.var("v", shape=(3,)), sg.var("w")
    report = sg.check_grad((sg.sqrt(v) * w).sum(), [v, w], {v: [0.0, 1.0, 4.0], w: 2.0})
    check_v, check_w = report.variables
    assert check_v.singular == ("v[0]",)
    np.testing.assert_allclose(check_v.sympy.reference[1:], [1.0, 0.5], rtol=1e-15)
    assert check_v.sympy.ok and check_v.finite_differences.ok
    assert check_w.ok and not check_w.singular  # d/dw = sum(sqrt(v)) = 3
    assert check_w.sympy.reference == pytest.approx(3.0, rel=1e-15)
    assert "singular point at v[0]" in str(report)
    assert "singular point at v[0]" in report._repr_html_()  # the notebook view says it too
    assert "not differentiable" not in report.note  # one note per point: singular, not a kink


# --- budgets --------------------------------------------------------------------------------


def _deep_tanh_network():
    w, h = sg.var("w", shape=(3, 3)), sg.var("h", shape=(3,))
    z = h
    for _ in range(4):
        z = sg.tanh(w @ z)
    at = {w: np.array([[0.3, -0.2, 0.1], [0.5, 0.4, -0.3], [-0.1, 0.2, 0.6]]), h: [0.1, 0.2, 0.3]}
    return z.sum(), [w, h], at


def _rnn():
    # Five steps: SymPy needs over 30 s (three steps, whose states nest only two tanh
    # deep, take it about 0.5 s: too close to the budget to test it).
    w, xs = sg.var("w", shape=(3, 3)), sg.var("xs", shape=(5, 3))
    _, hs = sg.scan(lambda h, x: (sg.tanh(w @ h + x), h), sg.const(np.zeros(3)), xs)
    at = {w: np.full((3, 3), 0.2), xs: np.arange(15.0).reshape(5, 3) / 10}
    return hs.sum(), [w, xs], at


@pytest.mark.parametrize("model", [_deep_tanh_network, _rnn], ids=["4 tanh layers", "rnn"])
def test_sympy_stops_at_its_time_budget_and_the_rest_comes_out(model):
    y, wrt, at = model()
    start = time.monotonic()
    report = sg.check_grad(y, wrt, at, timeout=0.5)
    took = time.monotonic() - start
    assert took < 5.0  # SymPy alone runs for minutes on these
    assert report.ok, str(report)
    assert all(c.sympy is None for c in report.variables)
    assert "SymPy skipped: it took longer than its time budget, timeout=0.5 s" in str(report)
    for c in report.variables:
        assert c.finite_differences.max_rel < 1e-6


def test_sympy_can_be_turned_off():
    x = sg.var("x", shape=(2,))
    report = sg.check_grad((x * x).sum(), x, {x: [1.0, 2.0]}, sympy=False)
    assert report.ok and report.variables[0].sympy is None
    assert "SymPy skipped: sympy=False" in str(report)


def test_a_derivative_sympy_cannot_take_is_not_a_singular_point():
    # SymPy leaves d/dx floor(x) unevaluated; floor is flat at 0.5 and 1.5, so the check
    # goes on with finite differences and passes.
    x = sg.var("x", shape=(2,))
    report = sg.check_grad(sg.sum(sg.floor(x) * x), x, {x: [0.5, 1.5]})
    assert report.ok and not report.variables[0].singular, str(report)
    assert report.variables[0].sympy is None
    assert "SymPy leaves the derivative of floor(x[0]) unevaluated" in report.note
    np.testing.assert_array_equal(report.variables[0].gradient, [0.0, 1.0])  # floor(x)


def test_sympys_recursion_limit_degrades_to_finite_differences():
    x = sg.var("x")
    y = x
    for _ in range(200):
        y = sg.sin(y)
    report = sg.check_grad(y, x, {x: 0.3}, timeout=None)
    assert report.ok and report.variables[0].sympy is None
    assert "nested too deeply for SymPy" in report.note


def test_timeout_must_be_positive_or_none():
    x = sg.var("x")
    for bad in (0, -1.0, math.nan, "5"):
        with pytest.raises(ValueError, match="timeout"):
            sg.check_grad(x * x, x, {x: 1.0}, timeout=bad)


def _spin(seconds):
    """Python code that runs for ``seconds`` and swallows every Exception on its way."""
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        with contextlib.suppress(Exception):
            n += 1
    return n


def test_the_budget_interrupts_python_code_and_restores_the_signal_handler():
    previous = signal.getsignal(signal.SIGALRM)
    start = time.monotonic()
    with pytest.raises(budget.OutOfTime):
        budget.run(lambda: _spin(30.0), 0.2)
    assert time.monotonic() - start < 2.0
    assert signal.getsignal(signal.SIGALRM) is previous
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert budget.run(lambda: 42, 0.2) == 42
    with pytest.raises(KeyError):
        budget.run(lambda: {}["missing"], 1.0)


def test_outside_the_main_thread_the_budget_runs_in_a_child_process():
    results = {}

    def work():
        results["value"] = budget.run(lambda: sum(range(1000)), 5.0)
        start = time.monotonic()
        try:
            budget.run(lambda: _spin(30.0), 0.3)
        except budget.OutOfTime:
            results["stopped after"] = time.monotonic() - start
        try:
            budget.run(lambda: 1 / 0, 5.0)
        except ZeroDivisionError:
            results["error"] = "ZeroDivisionError"
        x = sg.var("x", shape=(2,))
        results["report"] = sg.check_grad((sg.sin(x) * x).sum(), x, {x: [0.5, 1.0]})

    worker = threading.Thread(target=work)
    worker.start()
    worker.join(60)
    assert results["value"] == 499500
    assert results["stopped after"] < 3.0
    assert results["error"] == "ZeroDivisionError"
    report = results["report"]
    assert report.ok and report.variables[0].sympy is not None


# --- fuzzing the names ----------------------------------------------------------------------

_NAMES = st.sampled_from(["x", "x", "v", "v[0]", "v[1]", "v_2", "x_2", "A[0, 1]", "A"])
_SHAPES = st.sampled_from([(), (2,), (1, 2)])


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.lists(st.tuples(_NAMES, _SHAPES), min_size=1, max_size=5))
def test_any_names_give_one_symbol_per_element_and_a_right_check(declared):
    variables = [sg.var(name, shape=shape) for name, shape in declared]
    y = sum(((k + 1) * sg.sin(v) * v).sum() for k, v in enumerate(variables))
    expression = sg.to_sympy(y)
    sizes = [int(np.prod(shape)) for _, shape in declared]
    assert len(expression.free_symbols) == sum(sizes)
    for symbol in expression.free_symbols:  # readable: each is a declared name, or one with _k
        assert any(symbol.name.startswith(name) for name, _ in declared), symbol.name
    rng = np.random.default_rng(len(declared))
    at = {v: rng.uniform(-1, 1, size=v.shape) for v in variables}
    report = sg.check_grad(y, variables, at)
    assert report.ok, str(report)
    assert all(c.sympy is not None for c in report.variables)
    assert len({c.name for c in report.variables}) == len(variables)
