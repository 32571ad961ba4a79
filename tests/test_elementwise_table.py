"""Elementwise ops as table rows: what a row gives, and what the machinery makes of it."""

import warnings

import numpy as np
import pytest

import symgrad as sg
from symgrad.ops import catalog
from symgrad.ops import elementwise as ew
from symgrad.ops.elementwise.table import Unary

DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "float16", "float32", "float64"]


def _own_rows():
    return {
        name: function
        for name, function in catalog.elementwise_functions().items()
        if function.__module__.startswith("symgrad.")
    }


def _sample(dtype):
    values = np.array([0, 1, 2, 3]) if dtype != "bool" else np.array([True, False, True, True])
    return values.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(_own_rows()))
def test_the_dtype_rule_gives_what_the_code_computes(name, dtype):
    """Built on any dtype, an op either refuses it (a TypeError naming the op) or infers
    exactly the dtype its emitted code returns."""
    function = _own_rows()[name]
    arity = 1 if issubclass(function.op_class, Unary) else 2
    xs = [sg.var(f"x{i}", shape=(4,), dtype=dtype) for i in range(arity)]
    try:
        y = function(*xs)
    except TypeError as error:
        assert name in str(error), error
        return
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        value = sg.compile(y)(*[_sample(dtype) for _ in xs])
    assert value.dtype == y.dtype, f"{name} of {dtype}: inferred {y.dtype}, computed {value.dtype}"


def test_round_keeps_integer_dtypes_like_numpy():
    x = sg.var("x", shape=(3,), dtype="int16")
    assert sg.round(x).dtype == np.int16
    np.testing.assert_array_equal(
        sg.compile(sg.round(x))(np.array([1, -2, 3], np.int16)), [1, -2, 3]
    )


def test_relu_of_bools_is_refused_with_the_op_named():
    with pytest.raises(TypeError, match="relu of bool: is not defined for bool"):
        sg.relu(sg.var("b", dtype="bool"))


def test_selection_rows_declare_masks_and_pick_tangents():
    x, y = sg.var("x", shape=(3,)), sg.var("y", shape=(3,))
    m, r = sg.maximum(x, y), sg.relu(x)
    assert m.op.keeps_zero_cotangents and m.op.commutative and r.op.keeps_zero_cotangents
    assert not sg.sin(x).op.keeps_zero_cotangents and not sg.sin(x).op.commutative
    assert sg.sin(x).op.selection(sg.sin(x)) is None
    (relu_mask,) = r.op.selection(r)
    a_mask, b_mask = m.op.selection(m)
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 5.0, -1.0])
    masks = sg.compile([relu_mask, a_mask, b_mask], inputs=[x, y])(a - 2.0, b)
    np.testing.assert_array_equal(masks[0], [False, False, True])
    np.testing.assert_array_equal(masks[1], a - 2.0 >= b)
    np.testing.assert_array_equal(masks[2], b >= a - 2.0)
    # the forward rule picks each tangent: inf where the other side is chosen stays out
    tangent = m.op.jvp(m, [sg.const(np.array([1.0, np.inf, 2.0])), sg.const(np.ones(3))])
    np.testing.assert_array_equal(sg.compile(tangent, inputs=[x, y])(a, b), [1.0, 1.0, 2.0])
    np.testing.assert_array_equal(sg.compile(tangent, inputs=[x, y])(b, a), [1.0, np.inf, 1.0])


def test_a_row_makes_a_registered_class_and_a_documented_function():
    cls = sg.log1p.op_class
    assert cls.__name__ == "Log1p" and cls.name == "log1p"
    assert cls.__module__ == "symgrad.ops.elementwise.unary_functions"
    assert sg.ops.base.Op.registry["log1p"] is cls
    assert sg.log1p.__name__ == "log1p" and sg.log1p.__doc__ == cls.__doc__
    assert isinstance(sg.log1p(sg.var("x")).op, cls)
    assert ew.StopGradient is sg.stop_gradient.op_class and not ew.StopGradient.differentiable
    assert ew.less.op_class.differentiable is False


def test_a_ufunc_row_writes_into_an_existing_array_and_a_template_row_does_not():
    x = sg.var("x", shape=(3,))
    exp, softplus = ew.exp(x), ew.softplus(x)
    assert exp.op.emit_into(exp, ["x"], "buffer") == "np.exp(x, out=buffer)"
    assert softplus.op.emit_into(softplus, ["x"], "buffer") is None
    absolute = ew.abs(x)
    assert absolute.op.emit(absolute, ["x"], None) == "np.abs(x)"  # NumPy's short alias


def test_a_template_row_without_a_dtype_rule_is_refused():
    with pytest.raises(TypeError, match="cube_without_dtype_for_tests: .* needs a dtype"):
        ew.unary(
            "cube_without_dtype_for_tests",
            "x ** 3",
            numpy="{0} ** 3",
            sympy=lambda x: x**3,
            derivative=lambda g, x, y: g * (3 * x * x),
        )


def test_a_new_row_is_differentiated_emitted_and_translated_from_its_data_alone():
    cube = ew.unary(
        "cube_for_tests",
        "``x ** 3``.",
        numpy="{0} * {0} * {0}",
        dtype=lambda dtype: dtype,
        float_form="{0} * {0} * {0}",
        sympy=lambda x: x**3,
        derivative=lambda g, x, y: g * (3.0 * x * x),
    )
    x = sg.var("x", shape=(3,))
    a = np.array([1.0, -2.0, 0.5])
    value, gradient = sg.compile([cube(x), sg.grad(cube(x).sum(), x)])(a)
    np.testing.assert_array_equal(value, a**3)
    np.testing.assert_array_equal(gradient, 3 * a * a)
    s = sg.var("s")
    assert float(sg.jvp(cube(s), s, 1.0).eval({s: 2.0})) == 12.0
    assert sg.to_sympy(cube(s)).equals(sg.to_sympy(s) ** 3)
    scalar = sg.compile(cube(s))
    assert "s * s * s" in scalar.source and float(scalar(2.0)) == 8.0
