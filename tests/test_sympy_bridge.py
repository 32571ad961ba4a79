"""Translating graphs to SymPy and back, and check_grad's three-way comparison."""

import numpy as np
import pytest
import sympy
from sympy.core.function import AppliedUndef

import symgrad as sg
from symgrad.check.sympy_bridge import symbol_names, variable_symbols
from symgrad.ops import elementwise as ew

from .op_table import CASES


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_to_sympy_then_from_sympy_gives_the_same_values(case):
    arrays = case.arrays()
    xs = [sg.var(f"x{i}", shape=a.shape) for i, a in enumerate(arrays)]
    y = case.build(*xs)
    if not case.has_sympy:
        with pytest.raises(NotImplementedError, match="SymPy"):
            sg.to_sympy(y)
        return
    if case.nan_inside:
        pytest.skip("nan reaches the values; SymPy's symbols are never nan")
    translated = sg.to_sympy(y)
    back = sg.from_sympy(translated, {x.name: x for x in xs})
    assert back.shape == y.shape
    original, rebuilt = sg.compile([y, back], inputs=xs)(*arrays)
    np.testing.assert_allclose(rebuilt, original, rtol=1e-12, atol=1e-12, err_msg=case.name)


def _evaluated_by_sympy(y, xs, arrays):
    """The value of ``y`` at ``arrays``, computed by SymPy from its translation to 20 digits:
    a reference independent of the NumPy code symgrad emits."""
    translated = sg.to_sympy(y)
    point = {}
    for x, a in zip(xs, arrays):
        symbols = variable_symbols(x)
        for index in np.ndindex(*a.shape):
            point[symbols[index]] = sympy.Float(float(a[index]), 30)
    # Functions SymPy has no class for, as to_sympy writes them.
    numeric = {"round": lambda v: sympy.Integer(round(v)), "trunc": lambda v: sympy.Integer(v)}
    elements = (
        sympy.flatten(translated) if isinstance(translated, sympy.NDimArray) else [translated]
    )
    values = []
    for element in elements:
        value = element.xreplace(point).replace(
            lambda n: isinstance(n, AppliedUndef) and n.func.__name__ in numeric,
            lambda n: numeric[n.func.__name__](float(n.args[0])),
        )
        values.append(float(sympy.N(value, 20)))
    return np.array(values).reshape(y.shape)


SYMPY_CASES = [c for c in CASES if c.has_sympy and not c.nan_inside]


@pytest.mark.parametrize("case", SYMPY_CASES, ids=[c.name for c in SYMPY_CASES])
def test_values_match_sympys_evaluation(case):
    arrays = case.arrays()
    xs = [sg.var(f"x{i}", shape=a.shape) for i, a in enumerate(arrays)]
    y = case.build(*xs)
    got = sg.compile(y, inputs=xs)(*arrays)
    np.testing.assert_allclose(
        got, _evaluated_by_sympy(y, xs, arrays), rtol=1e-12, atol=1e-12, err_msg=case.name
    )


def test_scalar_graphs_become_expressions_in_named_symbols():
    x, y = sg.var("x"), sg.var("y")
    e = sg.to_sympy(sg.sin(x) * y + sg.exp(x))
    sx, sy = sympy.symbols("x y")
    assert sympy.simplify(e - (sympy.sin(sx) * sy + sympy.exp(sx))) == 0


def test_arrays_become_sympy_arrays_with_element_symbols():
    x = sg.var("x", shape=(2, 2))
    a = sg.to_sympy(x.T * 2)
    assert isinstance(a, sympy.Array) and a.shape == (2, 2)
    assert str(a[0, 1]) == "2*x[1, 0]"


def test_symbolic_shapes_are_refused():
    with pytest.raises(sg.ShapeError, match="concrete"):
        sg.to_sympy(sg.var("x", shape=("n",)).sum())


def test_symbols_are_made_only_for_variables():
    x = sg.var("x")
    for make in (lambda: symbol_names([x, sg.sin(x)]), lambda: variable_symbols(sg.sin(x))):
        with pytest.raises(TypeError, match="expected a variable, got a sin node"):
            make()


def test_large_graphs_translate_without_recursion_errors():
    x = sg.var("x")
    y = x
    for _ in range(3000):
        y = sg.sin(y) + x
    e = sg.to_sympy(y)
    assert e.has(sympy.Symbol("x"))


def test_deep_sympy_expressions_convert_back():
    t = sympy.Symbol("t")
    e = t
    for _ in range(3000):
        e = sympy.sin(e) + t
    f = sg.from_sympy(e)
    value = 0.3
    for _ in range(3000):
        value = np.sin(value) + 0.3
    assert float(f.eval({"t": 0.3})) == pytest.approx(value, rel=1e-12)


def test_from_sympy_elementary_functions():
    t, u = sympy.symbols("t u")
    e = (
        sympy.log(t, 2)
        + sympy.sqrt(t) / u
        + sympy.atan(u)
        + sympy.Abs(u - 3)
        + sympy.pi
        + sympy.Max(t, u, 1)
        + sympy.Piecewise((t, u > 0), (-t, True))
        + sympy.E**u
    )
    f = sg.from_sympy(e)
    expected = float(e.subs({t: 1.7, u: 0.4}))
    assert float(f.eval({"t": 1.7, "u": 0.4})) == pytest.approx(expected, rel=1e-14)


def test_from_sympy_maps_given_variables():
    x = sg.var("x", shape=(3,))
    s = sympy.Symbol("x[1]")
    f = sg.from_sympy(s * 2, {"x": x})
    assert float(f.eval({x: [1.0, 5.0, 7.0]})) == 10.0


@pytest.mark.parametrize(
    "unsupported",
    [
        sympy.gamma(sympy.Symbol("t")),
        sympy.Integral(sympy.Symbol("t"), sympy.Symbol("t")),
        sympy.zeta(sympy.Symbol("t")),
    ],
)
def test_unsupported_sympy_objects_are_named(unsupported):
    with pytest.raises(ValueError, match="from_sympy: .* has no symgrad counterpart"):
        sg.from_sympy(unsupported)


def test_the_imaginary_unit_becomes_a_complex_constant():
    t = sympy.Symbol("t")
    f = sg.from_sympy(sympy.I * t + sympy.re(t * (1 + sympy.I)))
    assert complex(sg.compile(f)(2.0)) == 2.0 + 2.0j  # 2i + re(2 + 2i)


# --- check_grad -----------------------------------------------------------------------------


def test_check_grad_agrees_on_a_correct_gradient():
    x, w = sg.var("x", shape=(3,)), sg.var("w")
    report = sg.check_grad(
        (sg.tanh(x) * w).sum() + sg.logsumexp(x), [x, w], {x: [0.1, -0.4, 0.9], "w": 1.5}
    )
    assert report.ok
    assert [v.name for v in report.variables] == ["x", "w"]
    for v in report.variables:
        assert v.sympy is not None and v.sympy.max_abs < 1e-14
        assert v.finite_differences.max_abs < 1e-8
    text = str(report)
    assert "vs SymPy" in text and "finite diff" in text and "OK" in text


_wrong_cube = ew.unary(
    "wrong_cube_for_tests",
    "x**3 with a deliberately wrong derivative (2x^2 instead of 3x^2): test-only.",
    numpy="{0} ** 3",
    dtype=lambda dtype: dtype,
    sympy=lambda x: x**3,
    derivative=lambda g, x, y: g * (2 * x * x),
)


def test_check_grad_catches_a_wrong_derivative():
    x = sg.var("x", shape=(2,))
    y = _wrong_cube(x).sum()
    report = sg.check_grad(y, x, {x: [1.0, 2.0]})
    assert not report.ok
    (v,) = report.variables
    np.testing.assert_allclose(v.gradient, [2.0, 8.0])
    np.testing.assert_allclose(v.sympy.reference, [3.0, 12.0])
    np.testing.assert_allclose(v.finite_differences.reference, [3.0, 12.0], rtol=1e-8)
    assert "MISMATCH" in str(report)


def test_check_grad_skips_sympy_for_large_inputs():
    x = sg.var("x", shape=(500,))
    report = sg.check_grad((sg.sin(x) ** 2).sum(), x, {x: np.linspace(0, 1, 500)})
    assert report.ok
    assert report.variables[0].sympy is None
    assert "SymPy skipped" in str(report)


def test_check_grad_float32_uses_a_float32_step():
    x = sg.var("x", shape=(3,), dtype="float32")
    report = sg.check_grad((sg.exp(x) * x).sum(), x, {x: [0.1, 0.5, -1.0]})
    assert report.ok, str(report)


def test_check_grad_needs_every_value():
    x, y = sg.var("x"), sg.var("y")
    with pytest.raises(ValueError, match="'y'"):
        sg.check_grad(x * y, x, {x: 1.0})


@pytest.mark.parametrize(
    "build",
    [
        lambda a, b: sg.where(a < b, a, b),
        lambda a, b: sg.where(a <= b, a, b),
        lambda a, b: sg.where(a > b, a, b),
        lambda a, b: sg.where(a >= b, a, b),
        lambda a, b: sg.where(sg.eq(a, b), 1.0, 2.0),
        lambda a, b: sg.where(sg.ne(a, b), a, 0.0),
        lambda a, b: sg.sign(a) * b,
        lambda a, b: sg.stop_gradient(a) + b,
    ],
    ids=["less", "less_equal", "greater", "greater_equal", "eq", "ne", "sign", "stop_gradient"],
)
def test_round_trip_of_non_differentiable_ops(build):
    a, b = sg.var("a", shape=(4,)), sg.var("b", shape=(4,))
    y = build(a, b)
    back = sg.from_sympy(sg.to_sympy(y), {"a": a, "b": b})
    values = (np.array([1.0, -2.0, 3.0, 0.0]), np.array([1.0, 2.0, -3.0, 5.0]))
    original, rebuilt = sg.compile([y, back], inputs=[a, b])(*values)
    np.testing.assert_array_equal(rebuilt, original)


# --- linear algebra (sg.linalg) ---


def test_a_condition_cast_to_a_number_becomes_one_or_zero():
    x = sg.var("x", shape=(3,))
    counted = sg.astype(sg.ne(x, 0.0), "float64").sum()  # as norm(x, ord=0) counts
    translated = sg.to_sympy(counted)
    point = {sympy.Symbol(f"x[{i}]"): v for i, v in enumerate([0, 2, -1])}
    assert translated.subs(point) == 2
    back = sg.from_sympy(translated, {"x": x})
    assert float(back.eval({x: [0.0, 2.0, -1.0]})) == 2.0
