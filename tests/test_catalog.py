"""Lists of ops derived from the op registry: they cover every op, so none can drift."""

import math

import numpy as np
import pytest
import sympy

import symgrad as sg
from symgrad.check.from_sympy import from_sympy
from symgrad.emit import scalar
from symgrad.emit.names import RESERVED
from symgrad.ops import catalog
from symgrad.ops.base import Op
from symgrad.ops.elementwise.table import Elementwise

EDGES = [0.0, -0.0, 1.0, -1.0, -2.5, 1e308, -1e308, 5e-324, math.inf, -math.inf, math.nan]


def _own(cls):
    return cls.__module__.startswith("symgrad.")


def test_catalog_sees_every_op_module():
    names = catalog.ops()
    for expected in ("sin", "add", "where", "sum", "matmul", "cond", "inv", "einsum"):
        assert expected in names
    assert names == Op.registry


def test_every_elementwise_op_has_its_public_function():
    functions = catalog.elementwise_functions()
    own = {n for n, c in catalog.ops().items() if issubclass(c, Elementwise) and _own(c)}
    assert own <= set(functions)
    for name in own:
        assert functions[name].op_class.name == name
        assert getattr(sg, name) is functions[name], f"sg.{name} is not the op's function"


def test_the_scalar_fallback_has_a_numpy_function_for_every_math_call():
    fallbacks = catalog.math_fallbacks()
    for name, form in catalog.float_forms().items():
        for called in catalog._MATH_CALL.findall(form):
            assert called in fallbacks, f"{name}: math.{called} has no fallback"
    for pair in [("log2", "np.log2"), ("log10", "np.log10"), ("acosh", "np.arccosh")]:
        assert pair in fallbacks.items()
    assert "atanh = np.arctanh" in scalar.numpy_fallback()


def test_math_functions_kept_as_their_own_fallback_never_raise():
    kept = [f for f, numpy in catalog.math_fallbacks().items() if numpy == f"math.{f}"]
    for f in kept:
        for x in EDGES:
            getattr(math, f)(x)  # must not raise: nothing would catch it in the fallback


@pytest.mark.parametrize(
    "build, at, expected",
    [
        (sg.log2, 0.0, -np.inf),
        (sg.log10, 0.0, -np.inf),
        (sg.arccosh, 0.5, np.nan),
        (sg.arctanh, 1.0, np.inf),
        (sg.arctanh, -1.0, -np.inf),
        (sg.arcsinh, np.inf, np.inf),
    ],
    ids=["log2(0)", "log10(0)", "arccosh(0.5)", "arctanh(1)", "arctanh(-1)", "arcsinh(inf)"],
)
def test_scalar_graphs_fall_back_to_numpy_for_every_math_function(build, at, expected):
    x = sg.var("x")
    f = sg.compile(build(x))
    assert "_evaluate_floats" in f.source
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(f(at), expected)


def test_every_sympy_function_of_an_op_translates_back_to_that_op():
    table = catalog.sympy_functions()
    ops = [c for c in catalog.ops().values() if issubclass(c, Elementwise) and _own(c)]
    translated = [c for c in ops if c.function in table.values()]
    assert {"sin", "arctanh", "less_equal", "mod", "round", "floor"} <= {c.name for c in translated}
    for cls in translated:
        arity = 1 if issubclass(cls, sg.ops.elementwise.Unary) else 2
        xs = [sg.var(f"x{i}") for i in range(arity)]
        y = cls.function(*xs)
        back = from_sympy(sg.to_sympy(y), {x.name: x for x in xs})
        assert type(back.op) is cls, f"{cls.name}: came back as {back.op.name}"


def test_from_sympy_still_refuses_functions_no_op_computes():
    with pytest.raises(ValueError, match="gamma"):
        from_sympy(sympy.gamma(sympy.Symbol("t")))


def test_names_helpers_and_errors_define_are_reserved():
    for name in ("IterationLimitError", "BindError", "_softmax", "evaluate", "np", "range"):
        assert name in RESERVED
    own_helpers = {
        name
        for cls in catalog.ops().values()
        if _own(cls) and isinstance(cls.__dict__.get("helpers"), dict)
        for name in cls.helpers
    }
    assert own_helpers and own_helpers <= RESERVED  # (tests register ops of their own)
    assert "abs" in catalog.builtins_called() and "abs" in RESERVED  # abs({0}): a float form


def test_variables_named_like_helpers_and_errors_keep_the_code_working():
    stop = sg.var("IterationLimitError")
    x = sg.var("input")
    y = sg.while_loop(lambda s: s < stop, lambda s: s * 2.0, x, max_iterations=10)
    f = sg.compile(y)
    assert "IterationLimitError = " not in f.source.split("def evaluate")[1].split("\n\n\n")[0]
    assert float(f(100.0, 3.0)) == 192.0
    with pytest.raises(sg.IterationLimitError):
        f(1e9, 3.0)
