"""The scalar path matches NumPy: every op with a float form, at the edges of its domain.

Graphs of 0-d float64 values run as Python floats with ``math`` and rerun with NumPy where
``math`` raises. Each op that has a float form is compiled on scalars and compared, point by
point, with the same op compiled on one-element arrays (its NumPy emission): the same
value, and the same inf, nan and sign of zero. The ops come from the op registry, so a new
float form is tested without a line here.
"""

import itertools
import math
import warnings

import numpy as np
import pytest

import symgrad as sg
from symgrad.ops import catalog
from symgrad.ops.elementwise.table import Unary

EDGES = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -2.5,
    3.0,
    1e308,
    -1e308,
    5e-324,  # the smallest subnormal
    -5e-324,
    2.2250738585072014e-308,  # the smallest normal
    math.inf,
    -math.inf,
    math.nan,
]
# libm and NumPy's own loops may round the last bit of transcendental functions differently
ULPS = 2

# Ops with a float form that are not a plain function of one or two float operands.
BUILDERS = {
    "where": (lambda c, a, b: sg.where(c > 0, a, b), 3),
    "power_square": (lambda a: a**2, 1),
    "power_cube": (lambda a: a**3, 1),
}


def _builders():
    table = dict(BUILDERS)
    functions = catalog.elementwise_functions()
    for name in catalog.float_forms():
        if name in table or not catalog.ops()[name].__module__.startswith("symgrad."):
            continue
        function = functions[name]
        table[name] = (function, 1 if issubclass(function.op_class, Unary) else 2)
    return sorted(table.items())


def _same(got, want):
    """Equal values (to a few ulps), and the same nan, inf and sign of zero."""
    got, want = float(got), float(want)
    if math.isnan(want) or math.isnan(got):
        return math.isnan(want) and math.isnan(got)
    if math.isinf(want) or math.isinf(got) or want == 0 or got == 0:
        return got == want and math.copysign(1, got) == math.copysign(1, want)
    return abs(got - want) <= ULPS * math.ulp(want)


def test_every_float_form_is_tested():
    names = {name for name, _ in _builders()}
    assert set(catalog.float_forms()) <= names | {
        n for n, c in catalog.ops().items() if not c.__module__.startswith("symgrad.")
    }
    assert {"log2", "log10", "arccosh", "arctanh", "sigmoid", "maximum", "power"} <= names


@pytest.mark.parametrize("name, builder", _builders(), ids=[n for n, _ in _builders()])
def test_the_float_path_matches_numpy_at_the_domain_edges(name, builder):
    build, arity = builder
    scalars = [sg.var(f"x{i}") for i in range(arity)]
    arrays = [sg.var(f"x{i}", shape=(1,)) for i in range(arity)]
    on_floats = sg.compile(build(*scalars))
    on_arrays = sg.compile(build(*arrays))
    assert "def _evaluate_floats" in on_floats.source, f"{name}: not on the float path"
    mismatches = []
    for point in itertools.product(EDGES, repeat=arity):
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            got = on_floats(*point)
            want = on_arrays(*(np.array([v]) for v in point))[0]
        assert isinstance(got, np.generic) and got.dtype == want.dtype, (name, point)
        if not _same(got, want):
            mismatches.append(f"{name}{point}: floats give {got!r}, NumPy {want!r}")
    assert not mismatches, "\n".join(mismatches[:20])
