"""Op parameters are checked by their real types, and helpers declare their imports.

This module deliberately does not postpone annotations (no ``from __future__ import
annotations``): op classes defined here have real types, not text, in ``__annotations__``.
"""

import dataclasses
import math

import numpy as np
import pytest

import symgrad as sg
from symgrad.ops import catalog
from symgrad.ops.base import Helper, Op, parameter_checks, type_check
from symgrad.ops.shape_ops import GetItem, IndexItem


@dataclasses.dataclass(frozen=True)
class _Scale(Op):
    """``x * factor`` with a float parameter (test-only)."""

    name = "scale_for_tests"
    elementwise = True
    factor: float

    def infer(self, inputs):
        (x,) = inputs
        return x.shape, x.dtype

    def emit(self, node, args, ctx):
        return f"{args[0]} * {self.factor!r}"


@dataclasses.dataclass(frozen=True)
class _Shift(Op):
    """``x + offset``, with its annotation given as text (as postponed annotations are)."""

    name = "shift_for_tests"
    offset: "float"  # noqa: UP037 (the text form is what this test is about)

    def infer(self, inputs):
        (x,) = inputs
        return x.shape, x.dtype

    def emit(self, node, args, ctx):
        return f"{args[0]} + {self.offset!r}"


def test_a_float_parameter_is_checked_and_reaches_the_code_as_a_literal():
    x = sg.var("x", shape=(2,))
    f = sg.compile(_Scale(2.5)(x))
    assert "x * 2.5" in f.source
    np.testing.assert_array_equal(f(np.array([1.0, -2.0])), [2.5, -5.0])
    assert float(_Shift(0.25)(sg.var("y")).eval({"y": 1.0})) == 1.25


@pytest.mark.parametrize(
    "value",
    ["2.5", "0); import os; (0", True, 2, np.float64(2.5), math.nan, math.inf, -math.inf, None],
    ids=["text", "injection", "bool", "int", "numpy float", "nan", "inf", "-inf", "None"],
)
@pytest.mark.parametrize("op", [_Scale, _Shift], ids=["real annotation", "text annotation"])
def test_a_float_parameter_refuses_anything_but_a_finite_float(op, value):
    field = dataclasses.fields(op)[0].name
    with pytest.raises(TypeError, match=f"parameter {field}=.* is not a finite float"):
        op(value)


def test_a_parameter_type_without_a_check_is_an_error_naming_the_field():
    @dataclasses.dataclass(frozen=True)
    class Unchecked(Op):
        name = "unchecked_for_tests"
        table: dict

    @dataclasses.dataclass(frozen=True)
    class Anything(Op):
        name = "anything_for_tests"
        value: object

    with pytest.raises(TypeError, match=r"Unchecked.table: parameter type .*dict.* has no check"):
        Unchecked({})
    with pytest.raises(TypeError, match="Anything.value: parameter type .* has no check"):
        Anything(1)


def test_every_registered_op_has_a_check_for_each_parameter():
    for name, cls in catalog.ops().items():
        if not cls.__module__.startswith("symgrad."):
            continue  # ops of tests, some made without a check on purpose
        for field, check, expected in parameter_checks(cls):
            assert callable(check) and expected, (name, field)


@pytest.mark.parametrize(
    "hint, good, bad",
    [
        (int, [0, -3], [True, 1.0, "1", None]),
        (bool, [True, False], [0, 1, "True"]),
        (str, ["L", ""], [b"L", 1, None]),
        (tuple[int, ...], [(), (1, 2)], [[1, 2], (1, "2"), (True,)]),
        (int | str, [3, "n"], [3.0, None, (3,)]),
        (tuple[int, str], [(1, "a")], [(1,), ("a", 1), (1, "a", 2)]),
    ],
)
def test_type_checks_accept_exactly_their_type(hint, good, bad):
    check = type_check(hint)
    assert all(check(v) for v in good)
    assert not any(check(v) for v in bad)


def test_index_items_are_checked_item_by_item():
    check = type_check(tuple[IndexItem, ...])
    assert check((("int", 1), ("slice", None, 3, -1), ("new",)))
    for bad in [
        (("int", "1"),),
        (("slice", 1.5, None, None),),
        (("slice", 1, 2),),
        (("new", 1),),
        (("eval", 1),),
        ("int",),
    ]:
        assert not check(bad), bad
        with pytest.raises(TypeError, match="getitem: parameter items"):
            GetItem(bad)


# --- helpers declare their imports ----------------------------------------------------------

_GAMMA_HELPER = Helper(
    '''\
def _gamma_for_tests(x):
    """math.gamma of each element."""
    return np.vectorize(math.gamma, otypes=[x.dtype])(x)
''',
    imports=("math",),
)


@dataclasses.dataclass(frozen=True)
class _Gamma(Op):
    """The gamma function through a helper that imports math (test-only)."""

    name = "gamma_for_tests"
    helpers = {"_gamma_for_tests": _GAMMA_HELPER}

    def infer(self, inputs):
        (x,) = inputs
        return x.shape, x.dtype

    def emit(self, node, args, ctx):
        return f"_gamma_for_tests({args[0]})"


def test_a_helper_gets_the_imports_it_declares():
    x = sg.var("x", shape=(3,))
    f = sg.compile(_Gamma()(x))
    assert "import math\nimport numpy as np" in f.source
    np.testing.assert_allclose(f(np.array([1.0, 4.0, 0.5])), [1.0, 6.0, math.sqrt(math.pi)])
    # A standalone module runs on its own imports.
    namespace = {}
    exec(compile(f.source, "<saved>", "exec"), namespace)
    np.testing.assert_allclose(namespace["evaluate"](np.array([5.0, 1.0, 2.0])), [24.0, 1.0, 1.0])


def test_constant_folding_runs_a_helper_with_its_imports():
    folded = sg.compile(_Gamma()(sg.const(np.array([3.0, 5.0]))))
    assert "_gamma_for_tests" not in folded.source  # computed while compiling
    np.testing.assert_array_equal(folded(), [2.0, 24.0])


@pytest.mark.parametrize("module", ["os; import sys", "", "math\nimport os", "a.b"])
def test_a_helper_import_must_be_a_plain_module_name(module):
    with pytest.raises(ValueError, match="is not a module name"):
        Helper("def _f(x):\n    return x\n", imports=(module,))
