"""erf and erfc: NumPy has no erf, so symgrad emits its own; it must match math.erf."""

import math

import numpy as np
import pytest

import symgrad as sg

SMALLEST_NORMAL = 2.2250738585072014e-308


def _points(seed=0):
    """Wide, and dense where the approximation changes pieces (0.75, every 0.25 up to 2,
    1 / (k / 16) beyond) and where erfc approaches underflow."""
    rng = np.random.default_rng(seed)
    edges = [0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 16 / 7, 16 / 5, 4.0, 16 / 3, 8.0, 16.0]
    return np.concatenate(
        [
            rng.uniform(-30.0, 30.0, 40_000),
            rng.uniform(-3.0, 3.0, 40_000),
            np.exp(rng.uniform(-745.0, 3.4, 20_000)) * rng.choice([-1.0, 1.0], 20_000),
            rng.uniform(20.0, 27.3, 10_000),
            *[rng.uniform(e * (1 - 1e-3), e * (1 + 1e-3), 1_000) for e in edges],
            np.array(edges),
            np.nextafter(np.array(edges), 0.0),
        ]
    )


def _ulps(got, want):
    return np.abs(got - want) / np.array([math.ulp(w) for w in want.tolist()])


@pytest.fixture(scope="module")
def compiled():
    x = sg.var("x", shape=("n",))
    return sg.compile([sg.erf(x), sg.erfc(x)])


def test_erf_is_within_2_ulp_and_erfc_within_5_ulp_of_math(compiled):
    x = _points()
    erf, erfc = compiled(x)
    want_erf = np.array([math.erf(v) for v in x.tolist()])
    want_erfc = np.array([math.erfc(v) for v in x.tolist()])
    assert _ulps(erf, want_erf).max() <= 2, x[_ulps(erf, want_erf).argmax()]
    normal = want_erfc >= SMALLEST_NORMAL
    errors = _ulps(erfc, want_erfc)
    assert errors[normal].max() <= 5, x[normal][errors[normal].argmax()]
    # Subnormal results have few bits: within two of the smallest subnormal.
    assert np.abs(erfc - want_erfc)[~normal].max() <= 2 * 5e-324


@pytest.mark.parametrize("x", [0.0, -0.0, 5e-324, -5e-324, 1e308, -1e308, math.inf, -math.inf])
def test_erf_and_erfc_at_the_edges_are_maths(compiled, x):
    erf, erfc = compiled(np.array([x]))
    assert erf[0] == math.erf(x) and math.copysign(1, erf[0]) == math.copysign(1, math.erf(x))
    assert erfc[0] == math.erfc(x)


def test_nan_gives_nan(compiled):
    erf, erfc = compiled(np.array([math.nan, 1.0]))
    assert np.isnan(erf[0]) and np.isnan(erfc[0]) and not np.isnan(erf[1])


def test_float32_erf_is_rounded_from_double_precision():
    x = sg.var("x", shape=(1000,), dtype="float32")
    a = np.linspace(-4, 4, 1000, dtype=np.float32)
    got = sg.compile(sg.erf(x))(a)
    assert got.dtype == np.float32
    want = np.array([math.erf(v) for v in a.tolist()], dtype=np.float32)
    np.testing.assert_array_max_ulp(got, want, maxulp=1)


def test_erf_derivative_is_the_gaussian():
    x = sg.var("x", shape=(5,))
    a = np.array([-2.0, -0.3, 0.0, 0.9, 4.0])
    de, dc = sg.compile([sg.grad(sg.erf(x).sum(), x), sg.grad(sg.erfc(x).sum(), x)])(a)
    gaussian = 2 / math.sqrt(math.pi) * np.exp(-a * a)
    np.testing.assert_allclose(de, gaussian, rtol=1e-15)
    np.testing.assert_allclose(dc, -gaussian, rtol=1e-15)


def test_scalar_graphs_use_math_erf():
    x = sg.var("x")
    f = sg.compile(sg.erf(x) + sg.erfc(x))
    assert "math.erf(" in f.source and "math.erfc(" in f.source
    assert float(f(0.3)) == math.erf(0.3) + math.erfc(0.3)
