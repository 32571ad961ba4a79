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
    with pytest.raises(TypeError, match=r"numpy\.ediff1d is not supported.*nearest: diff"):
        np.ediff1d(x)
    with pytest.raises(TypeError, match=r"numpy\.fft\.fftshift is not supported"):
        np.fft.fftshift(x)
    with pytest.raises(AttributeError, match="symgrad.numpy has no 'ediff1d'"):
        snp.ediff1d  # noqa: B018


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


WITH_NAN = np.where(VALUE > 1.0, np.nan, VALUE)
WITH_NAN[2] = np.nan  # a row of nan alone


@pytest.mark.parametrize(
    "name", ["nansum", "nanprod", "nanmean", "nanvar", "nanstd", "nanmax", "nanmin"]
)
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_nan_reductions_through_numpy_and_snp(x, name, axis):
    expected = getattr(np, name)(WITH_NAN, axis=axis, keepdims=True)
    for y in (getattr(np, name)(x, axis=axis, keepdims=True), getattr(snp, name)(x, axis, None)):
        assert isinstance(y, sg.Expr)
        with np.errstate(all="ignore"):
            got = y.eval({x: WITH_NAN})
        np.testing.assert_allclose(got.reshape(expected.shape), expected, rtol=1e-14, err_msg=name)


def test_nan_reductions_give_nan_entries_no_derivative(x):
    loss = np.nansum(x**2) + np.nanmean(x, axis=1).sum() + np.nanmax(x)
    g = sg.grad(loss, x).eval({x: WITH_NAN})
    assert np.all(g[np.isnan(WITH_NAN)] == 0.0)
    assert np.all(np.isfinite(g))


def test_nan_cumulative_reductions(x):
    for name in ("nancumsum", "nancumprod"):
        got = getattr(np, name)(x, axis=1).eval({x: WITH_NAN})
        np.testing.assert_allclose(got, getattr(np, name)(WITH_NAN, axis=1), rtol=1e-14)


def test_nanargmax_and_nanargmin_skip_nan_and_refuse_a_slice_of_nan_alone(x):
    values = WITH_NAN[:2]
    y = sg.var("y", shape=(2, 4))
    np.testing.assert_array_equal(np.nanargmax(y, axis=1).eval({y: values}), [3, 3])
    assert int(np.nanargmin(y).eval({y: values})) == np.nanargmin(values)
    with pytest.raises(ValueError, match="All-NaN slice"):
        np.nanargmax(x, axis=1).eval({x: WITH_NAN})


def test_nan_reductions_of_integers_are_the_plain_ones():
    n = sg.var("n", shape=(3,), dtype="int64")
    assert np.nansum(n).eval({n: np.array([1, 2, 3])}) == 6
    assert np.nanmax(n).eval({n: np.array([1, 5, 3])}) == 5


def test_order_statistics_through_numpy_and_snp(x):
    np.testing.assert_allclose(np.median(x, axis=0).eval({x: VALUE}), np.median(VALUE, axis=0))
    np.testing.assert_allclose(
        snp.percentile(x, [10.0, 90.0], axis=1).eval({x: VALUE}),
        np.percentile(VALUE, [10.0, 90.0], axis=1),
        rtol=1e-14,
    )
    with np.errstate(all="ignore"):
        got = np.nanquantile(x, 0.4, axis=1).eval({x: WITH_NAN})
    expected = np.nanquantile(WITH_NAN[:2], 0.4, axis=1)
    np.testing.assert_allclose(got, [*expected, np.nan], rtol=1e-14)
    assert np.isnan(np.median(x).eval({x: WITH_NAN}))  # nan in the slice: nan, as NumPy


def test_quantile_derivative_interpolates_between_neighbours():
    v = sg.var("v", shape=(5,))
    values = np.array([3.0, 0.0, 4.0, 1.0, 2.0])
    g = sg.grad(np.quantile(v, 0.3), v).eval({v: values})  # virtual index 1.2: 1 and 2
    np.testing.assert_allclose(g, [0.0, 0.0, 0.0, 0.8, 0.2], rtol=1e-12)


def test_quantile_arguments_are_checked(x):
    with pytest.raises(ValueError, match=r"q must be in the range \[0, 1\]"):
        np.quantile(x, 1.5)
    with pytest.raises(ValueError, match=r"range \[0, 100\]"):
        np.percentile(x, -1.0)
    with pytest.raises(TypeError, match="q must be numbers or an array, not an expression"):
        np.quantile(x, x[0, 0])
    with pytest.raises(ValueError, match="only method='linear'"):
        np.quantile(x, 0.5, method="nearest")
    with pytest.raises(TypeError, match="complex values have no order"):
        np.median(x * 1j)
