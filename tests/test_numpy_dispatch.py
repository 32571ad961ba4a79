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


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("lengths", [(5, 3), (2, 4), (4, 4), (1, 3)])
def test_convolve_and_correlate_match_numpy(mode, lengths):
    n, m = lengths
    rng = np.random.default_rng(n * 10 + m)
    a_value = rng.normal(size=n) + 1j * rng.normal(size=n)
    v_value = rng.normal(size=m) - 1j * rng.normal(size=m)
    a = sg.var("a", shape=(n,), dtype="complex128")
    v = sg.var("v", shape=(m,), dtype="complex128")
    for function in (np.convolve, np.correlate, snp.convolve, snp.correlate):
        reference = getattr(np, function.__name__)(a_value, v_value, mode)
        got = function(a, v, mode).eval({a: a_value, v: v_value})
        np.testing.assert_allclose(got, reference, rtol=1e-13, err_msg=function.__name__)


def test_convolve_gradient_is_a_correlation():
    a, v = sg.var("a", shape=(4,)), sg.var("v", shape=(2,))
    values = {a: np.array([1.0, 2.0, 3.0, 4.0]), v: np.array([0.5, -1.0])}
    weights = np.array([1.0, 0.0, 2.0, 0.0, 1.0])
    ga, gv = sg.grad(np.sum(np.convolve(a, v) * weights), [a, v])
    # d/da[i] = sum_k w[k] v[k - i]; d/dv[j] = sum_k w[k] a[k - j]
    np.testing.assert_allclose(ga.eval(values), np.correlate(weights, [0.5, -1.0]))
    np.testing.assert_allclose(gv.eval(values), np.correlate(weights, [1.0, 2.0, 3.0, 4.0]))


def test_convolve_arguments_are_checked(x):
    with pytest.raises(sg.ShapeError, match="a must be one-dimensional"):
        np.convolve(x, np.ones(2))
    with pytest.raises(ValueError, match="mode must be one of"):
        np.correlate(x[0], np.ones(2), "middle")


def test_interp_matches_numpy_and_differentiates_every_argument():
    x = sg.var("x", shape=(4,))
    xp, fp = sg.var("xp", shape=(3,)), sg.var("fp", shape=(3,))
    at = {
        x: np.array([-1.0, 0.5, 1.5, 3.0]),
        xp: np.array([0.0, 1.0, 2.0]),
        fp: np.array([1.0, 3.0, 2.0]),
    }
    y = np.interp(x, xp, fp, left=-5.0)
    np.testing.assert_allclose(y.eval(at), np.interp(at[x], at[xp], at[fp], left=-5.0))
    gx, gxp, gfp = sg.grad(np.sum(y), [x, xp, fp])
    np.testing.assert_allclose(gx.eval(at), [0.0, 2.0, -1.0, 0.0])  # the slopes, 0 outside
    # y = fp[j] + (x - xp[j]) (fp[j+1] - fp[j]) / (xp[j+1] - xp[j]) at x = 0.5 and 1.5
    np.testing.assert_allclose(gfp.eval(at), [0.5, 0.5 + 0.5, 0.5 + 1.0])
    # dy/dxp[j] = s (u - 1), dy/dxp[j+1] = -s u, slope s, u = (x - xp[j]) / (xp[j+1] - xp[j])
    np.testing.assert_allclose(gxp.eval(at), [2.0 * -0.5, -0.5 * 2.0 + -1.0 * -0.5, 0.5])


def test_interp_arguments_are_checked():
    x = sg.var("x", shape=(3,))
    with pytest.raises(sg.ShapeError, match="same length"):
        np.interp(x, [0.0, 1.0], [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="period must be a nonzero"):
        np.interp(x, [0.0, 1.0], [0.0, 1.0], period=0.0)
    with pytest.raises(TypeError, match="x and xp must be real"):
        np.interp(x * 1j, [0.0, 1.0], [0.0, 1.0])


@pytest.mark.parametrize("norm", [None, "backward", "ortho", "forward"])
def test_fft_norms_match_numpy(norm):
    x = sg.var("x", shape=(2, 6))
    value = np.random.default_rng(4).normal(size=(2, 6))
    for name in ("fft", "ifft", "rfft", "fft2", "ifftn", "rfftn", "rfft2"):
        got = getattr(np.fft, name)(x, norm=norm).eval({x: value})
        np.testing.assert_allclose(got, getattr(np.fft, name)(value, norm=norm), rtol=1e-13)
    spectrum = np.fft.rfft(value)
    z = sg.var("z", shape=spectrum.shape, dtype="complex128")
    for name in ("irfft", "irfft2", "irfftn"):
        got = getattr(snp.fft, name)(z, norm=norm).eval({z: spectrum})
        np.testing.assert_allclose(got, getattr(np.fft, name)(spectrum, norm=norm), rtol=1e-13)


def test_fft_ortho_is_unitary_in_its_gradient():
    x = sg.var("x", shape=(8,))
    value = np.random.default_rng(5).normal(size=8)
    g = sg.grad(np.sum(np.abs(np.fft.fft(x, norm="ortho")) ** 2), x)  # |Fx|^2 = |x|^2
    np.testing.assert_allclose(g.eval({x: value}), 2.0 * value, rtol=1e-12)
    with pytest.raises(ValueError, match='norm must be "backward", "ortho" or "forward"'):
        np.fft.fft(x, norm="unitary")


def test_nanvar_without_degrees_of_freedom_is_nan_as_in_numpy(x):
    with np.errstate(all="ignore"):
        values = WITH_NAN.copy()
        values[1, 1:] = np.nan  # rows with 4, 1 and 0 elements that are not nan
        got = np.nanvar(x, axis=1, ddof=2).eval({x: values})
        expected = np.nanvar(values, axis=1, ddof=2)
    np.testing.assert_allclose(got, expected, rtol=1e-14)
    assert np.isnan(got).tolist() == [False, True, True]


def test_nanstd_over_one_element_left_has_derivative_zero():
    """As std over one element: the spread is 0 whatever that element, so its derivative is
    0, not the nan that sqrt's infinite slope at 0 would give."""
    v = sg.var("v", shape=(3, 2))
    values = np.array([[1.0, 2.0], [np.nan, 5.0], [np.nan, 7.0]])  # column 0: one element
    with np.errstate(divide="ignore"):  # sqrt's slope at 0 (0.5 / 0) is computed on the way
        g = sg.grad(np.nanstd(v, axis=0).sum(), v).eval({v: values})
    assert g[:, 0].tolist() == [0.0, 0.0, 0.0]
    column = values[:, 1]  # d std / d x_i = (x_i - mean) / (n std)
    expected = (column - column.mean()) / (column.size * column.std())
    np.testing.assert_allclose(g[:, 1], expected, rtol=1e-12)


def test_interp_at_the_last_knot_is_fp_last_as_in_numpy():
    y = sg.var("y", shape=(1,))
    for xp, fp, at in (
        ([0.0, 1.0, 1.0], [0.0, 1.0, 2.0], 1.0),  # a last interval of zero width
        ([0.0, np.inf], [0.0, 1.0], np.inf),  # an infinite last knot
        ([0.0, 0.1, 0.3], [0.0, 0.7, 0.9], 0.3),  # exact, not up to rounding
    ):
        got = sg.interp(y, xp, fp).eval({y: [at]})
        assert got.tolist() == np.interp([at], xp, fp).tolist(), (xp, fp, at)


def test_nanmedian_of_a_slice_of_nan_alone_gives_no_derivative():
    v = sg.var("v", shape=(2, 3))
    values = np.array([[np.nan] * 3, [1.0, 5.0, np.nan]])
    y = np.nanmedian(v, axis=1)
    assert np.isnan(y.eval({v: values})[0])
    g = sg.grad(y.sum(), v).eval({v: values})
    assert g.tolist() == [[0.0, 0.0, 0.0], [0.5, 0.5, 0.0]]
