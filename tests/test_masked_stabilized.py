"""Selections and stabilization together: the optimizer's ``stabilize`` pass takes the
derivative of a stabilized function again, through the same masked reverse mode, and
differentiation itself stays independent of the optimizer."""

import ast
import warnings
from pathlib import Path

import numpy as np
import pytest

import symgrad as sg
import symgrad.differentiate

POINTS = np.array([-1000.0, -1.0, 0.0, 1.0, 30.0, 1000.0])


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


CASES = {
    # f(x) for x > 0, else 0; its derivative and second derivative for x > 0 (by hand)
    "log1p(exp(x))": (
        lambda x: sg.log1p(sg.exp(x)),
        _sigmoid,
        lambda x: _sigmoid(x) * (1 - _sigmoid(x)),
    ),
    "log(1 + exp(x))": (
        lambda x: sg.log(1.0 + sg.exp(x)),
        _sigmoid,
        lambda x: _sigmoid(x) * (1 - _sigmoid(x)),
    ),
    "log(1 + exp(sqrt(x)))": (
        lambda x: sg.log(1.0 + sg.exp(sg.sqrt(x))),
        lambda x: _sigmoid(np.sqrt(x)) / (2 * np.sqrt(x)),
        lambda x: (
            _sigmoid(np.sqrt(x)) * (1 - _sigmoid(np.sqrt(x))) / (4 * x)
            - _sigmoid(np.sqrt(x)) / (4 * x**1.5)
        ),
    ),
}


def _expected(derivative):
    out = np.zeros_like(POINTS)
    taken = POINTS > 0
    out[taken] = derivative(POINTS[taken])
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_masked_unstable_formulas_get_finite_exact_derivatives_with_stabilize_on(name):
    fn, d1, d2 = CASES[name]
    x = sg.var("x", shape=POINTS.shape)
    y = sg.where(x > 0, fn(x), 0.0)
    outputs = [
        sg.grad(y.sum(), x),
        sg.jvp(y.sum(), x, np.ones(POINTS.shape)),
        sg.jacobian(y, x),
        sg.hessian(y.sum(), x),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # what the where drops is computed quietly
        gradient, tangent, jacobian, hessian = sg.compile(outputs)(POINTS)
    want1, want2 = _expected(d1), _expected(d2)
    np.testing.assert_allclose(gradient, want1, rtol=1e-12, atol=0)
    np.testing.assert_allclose(tangent, want1.sum(), rtol=1e-12)
    np.testing.assert_allclose(jacobian, np.diag(want1), rtol=1e-12, atol=0)
    np.testing.assert_allclose(hessian, np.diag(want2), rtol=1e-9, atol=1e-300)


def test_without_stabilize_the_masked_positions_are_still_exactly_zero():
    x = sg.var("x", shape=POINTS.shape)
    y = sg.where(x > 0, sg.log(1.0 + sg.exp(x)), 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # exp(1000) overflows, as written
        gradient = sg.compile(sg.grad(y.sum(), x), optimize=["simplify"])(POINTS)
    np.testing.assert_array_equal(gradient[POINTS <= 0], 0.0)
    np.testing.assert_allclose(gradient[3:5], _sigmoid(POINTS[3:5]), rtol=1e-12)


def test_differentiation_does_not_import_the_optimizer():
    package = Path(symgrad.differentiate.__file__).parent
    for path in sorted(package.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                target = "." * node.level + (node.module or "")
                names = [a.name for a in node.names]
                assert "optimize" not in target.split("."), f"{path.name} imports {target}"
                assert not (node.level == 2 and "optimize" in names), path.name
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith("symgrad.optimize"), path.name
