"""NumPy's functions on expressions (``__array_ufunc__``, ``__array_function__``) and the
``symgrad.numpy`` namespace: what builds graphs, and the errors for what does not."""

import numpy as np
import pytest

import symgrad as sg
import symgrad.numpy as snp


@pytest.fixture
def x():
    return sg.var("x", shape=(3, 4))


VALUE = np.arange(12.0).reshape(3, 4) / 7.0


def test_ufuncs_and_functions_build_graphs(x):
    y = np.sin(x) + np.sum(x, axis=0) * np.where(x > 0.5, x, 0.0)
    assert isinstance(y, sg.Expr)
    expected = np.sin(VALUE) + np.sum(VALUE, axis=0) * np.where(VALUE > 0.5, VALUE, 0.0)
    np.testing.assert_allclose(y.eval({x: VALUE}), expected, rtol=1e-14)


def test_an_array_on_the_left_builds_a_graph(x):
    y = np.ones((3, 4)) * x - np.arange(4.0)
    assert isinstance(y, sg.Expr)
    np.testing.assert_allclose(y.eval({x: VALUE}), VALUE - np.arange(4.0))


def test_concatenate_mixes_expressions_and_arrays(x):
    y = np.concatenate([x, np.zeros((1, 4)), x[:1]])
    assert y.shape == (5, 4)
    np.testing.assert_allclose(
        y.eval({x: VALUE}), np.concatenate([VALUE, np.zeros((1, 4)), VALUE[:1]])
    )


def test_snp_var_is_the_variance_and_sg_var_a_declaration(x):
    assert float(snp.var(x).eval({x: VALUE})) == pytest.approx(np.var(VALUE))
    assert float(np.var(x, ddof=1).eval({x: VALUE})) == pytest.approx(np.var(VALUE, ddof=1))
    assert sg.var("v").name == "v"


@pytest.mark.parametrize("method", ["sum", "prod", "mean"])
def test_reduction_methods_take_dtype_and_out_none(method):
    x = sg.var("x", shape=(2, 3), dtype="float32")
    value = np.linspace(0.5, 1.5, 6, dtype=np.float32).reshape(2, 3)
    y = getattr(x, method)(axis=1, dtype=np.float64, out=None)
    assert y.dtype == np.float64
    expected = getattr(value, method)(axis=1, dtype=np.float64)
    np.testing.assert_allclose(y.eval({x: value}), expected, rtol=1e-12)


@pytest.mark.parametrize("method", ["max", "min"])
def test_max_min_methods_take_out_none(x, method):
    y = getattr(x, method)(axis=0, out=None, keepdims=True)
    np.testing.assert_array_equal(y.eval({x: VALUE}), getattr(VALUE, method)(axis=0, keepdims=True))


def test_out_with_an_array_is_refused_naming_the_function(x):
    with pytest.raises(TypeError, match=r"numpy\.sin: out= must be None"):
        np.sin(x, out=np.zeros((3, 4)))
    with pytest.raises(TypeError, match="sum: out= must be None"):
        x.sum(out=np.zeros(()))


def test_a_function_without_a_rule_names_itself(x):
    with pytest.raises(TypeError, match=r"numpy\.median is not supported.*nearest: mean"):
        np.median(x)
    with pytest.raises(TypeError, match=r"numpy\.fft\.fftshift is not supported"):
        np.fft.fftshift(x)
    with pytest.raises(AttributeError, match="symgrad.numpy has no 'median'"):
        snp.median  # noqa: B018


def test_an_unsupported_argument_names_itself(x):
    with pytest.raises(TypeError, match=r"numpy\.sum: the argument where=.* is not supported"):
        np.sum(x, where=x > 0)


def test_an_expression_refuses_to_become_an_array(x):
    with pytest.raises(TypeError, match="no values to put into a NumPy array"):
        np.asarray(x)


def test_nested_lists_of_expressions_are_arrays():
    a, b = sg.var("a"), sg.var("b")
    np.testing.assert_array_equal(sg.append([a, b], 1.0).eval({a: 2.0, b: 3.0}), [2.0, 3.0, 1.0])
    m = snp.array([[a, 1.0], [2.0, b]])
    assert m.shape == (2, 2)
    np.testing.assert_array_equal(m.eval({a: 5.0, b: 7.0}), [[5.0, 1.0], [2.0, 7.0]])
    (ga,) = sg.grad(np.sum(m @ m), [a])
    # d/da sum(m @ m) with m = [[a, 1], [2, b]]: 2a + 1 + 2
    assert float(ga.eval({a: 5.0, b: 7.0})) == pytest.approx(2 * 5.0 + 3.0)


def test_integer_beside_an_integer_array_follows_numpy():
    x = sg.var("x", shape=(5, 4, 6))
    value = np.arange(120.0).reshape(5, 4, 6)
    y = x[3, 2:, [1, 3]]
    assert y.shape == value[3, 2:, [1, 3]].shape
    np.testing.assert_array_equal(y.eval({x: value}), value[3, 2:, [1, 3]])


def test_any_all_have_no_derivative(x):
    flag = np.any(x > 0.5, axis=1)
    assert flag.dtype == np.bool_
    np.testing.assert_array_equal(flag.eval({x: VALUE}), np.any(VALUE > 0.5, axis=1))
    assert bool(np.all(x >= 0).eval({x: VALUE}))


def test_namespace_names_come_from_numpy_and_the_registry():
    assert snp.sum is not np.sum and snp.pi == np.pi and snp.float32 is np.float32
    assert {"sum", "sin", "var", "sort", "linspace", "linalg"} <= set(snp.__all__)
    assert {"solve", "qr", "lstsq"} <= set(snp.linalg.__all__)
    assert all(hasattr(np, name) for name in snp.__all__)


def test_one_argument_where_is_refused_as_nonzero(x):
    with pytest.raises(TypeError, match="numpy.where with only a condition is numpy.nonzero"):
        np.where(x > 0)
    with pytest.raises(TypeError, match="both or neither"):
        np.where(x > 0, x)
