"""Values, dtypes and shapes of every public op, checked against NumPy.

Each table row names an op, builds it with symgrad from variables, and gives the NumPy
reference computed from the same arrays. The compiled result must have NumPy's dtype
(NumPy 2 promotion: a float32 variable times the Python float 2.0 stays float32) and shape,
and match NumPy's values to within a few ulps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

import symgrad as sg

F16, F32, F64 = np.dtype("float16"), np.dtype("float32"), np.dtype("float64")
FLOATS = [F32, F64]
TOLERANCE = {
    F16: dict(rtol=2e-3, atol=1e-3),
    F32: dict(rtol=1e-5, atol=1e-6),
    F64: dict(rtol=1e-12, atol=1e-13),
}
INTS = "ints"  # a domain: small integers stored in the float dtype (so that ties occur)


# --- helpers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One op applied to variables of ``shapes``.

    ``domains`` has one ``(low, high)`` per input (or one for all, or ``INTS``); ``dtypes``
    has one entry per input, ``None`` meaning the float dtype the test is run with.
    """

    name: str
    fn: Callable  # symgrad: variables -> Expr
    ref: Callable  # numpy: arrays -> array
    shapes: tuple = ((5,),)
    domains: tuple = ((-2.0, 2.0),)
    dtypes: tuple = (None,)


def sample(rng, shape, dtype, domain):
    """Random data of ``dtype`` inside ``domain``."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return np.asarray(rng.random(shape) < 0.5)
    if domain == INTS or dtype.kind in "iu":
        lo, hi = (-3, 4) if domain == INTS else domain
        return np.asarray(rng.integers(int(lo), int(hi), size=shape)).astype(dtype)
    lo, hi = domain
    return np.asarray(rng.uniform(lo, hi, size=shape)).astype(dtype)


def per_input(values, n):
    values = tuple(values)
    return values * n if len(values) == 1 else values


def inputs_for(case, dtype, seed=0):
    """The case's variables and random arrays for them."""
    rng = np.random.default_rng(seed)
    n = len(case.shapes)
    variables, arrays = [], []
    names = "xyzwuv"
    for i, (shape, domain, dt) in enumerate(
        zip(case.shapes, per_input(case.domains, n), per_input(case.dtypes, n))
    ):
        dt = np.dtype(dtype if dt is None else dt)
        variables.append(sg.var(names[i], shape=shape, dtype=dt))
        arrays.append(sample(rng, shape, dt, domain))
    return variables, arrays


def run(expr, variables, arrays, how="positional"):
    """Evaluate ``expr`` with the variables bound to the arrays: by position, by keyword,
    or with ``Expr.eval`` keyed by the variables or by their names."""
    if how == "positional":
        return sg.compile(expr)(*arrays)
    if how == "keyword":
        return sg.compile(expr)(**{v.name: a for v, a in zip(variables, arrays)})
    if how == "eval":
        return expr.eval(dict(zip(variables, arrays)))
    if how == "eval_by_name":
        return expr.eval({v.name: a for v, a in zip(variables, arrays)})
    raise ValueError(how)


def check(what, got, want):
    """``got`` has NumPy's dtype and shape, and its values to within a few ulps."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype}, NumPy gives {want.dtype}"
    assert got.shape == want.shape, f"{what}: shape {got.shape}, NumPy gives {want.shape}"
    message = f"{what}: values differ from NumPy"
    if want.dtype.kind == "f":
        np.testing.assert_allclose(got, want, err_msg=message, **TOLERANCE[want.dtype])
    else:
        np.testing.assert_array_equal(got, want, err_msg=message)


def check_case(case, dtype, how="positional", seed=0):
    variables, arrays = inputs_for(case, dtype, seed)
    expr = case.fn(*variables)
    got = run(expr, variables, arrays, how)
    want = case.ref(*(a.copy() for a in arrays))
    shown = ", ".join(f"{v.name}: {a.dtype.name}{a.shape}" for v, a in zip(variables, arrays))
    what = f"{case.name} [{shown}; via {how}]"
    assert expr.dtype == np.asarray(want).dtype, (
        f"{what}: Expr.dtype {expr.dtype}, NumPy gives {np.asarray(want).dtype}"
    )
    assert expr.shape == np.shape(want), (
        f"{what}: Expr.shape {expr.shape}, NumPy gives {np.shape(want)}"
    )
    check(what, got, want)


def params(cases, dtypes=FLOATS):
    """pytest params for every (case, dtype)."""
    return [
        pytest.param(case, dtype, id=f"{case.name}-{np.dtype(dtype).name}")
        for case in cases
        for dtype in dtypes
    ]


# --- references NumPy does not have under that name -----------------------------------------


def sigmoid_ref(a):
    return 1 / (1 + np.exp(-a))


def logsumexp_ref(a, axis=None, keepdims=False):
    top = np.max(a, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(a - top), axis=axis, keepdims=True)) + top
    return out if keepdims else np.squeeze(out, axis=axis)


def softmax_ref(a, axis=-1):
    e = np.exp(a - np.max(a, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


# --- unary functions ------------------------------------------------------------------------

UNARY = [
    # name, symgrad function, numpy reference, domain
    ("sin", sg.sin, np.sin, (-3, 3)),
    ("cos", sg.cos, np.cos, (-3, 3)),
    ("tan", sg.tan, np.tan, (-1.2, 1.2)),
    ("arcsin", sg.arcsin, np.arcsin, (-0.9, 0.9)),
    ("arccos", sg.arccos, np.arccos, (-0.9, 0.9)),
    ("arctan", sg.arctan, np.arctan, (-5, 5)),
    ("sinh", sg.sinh, np.sinh, (-3, 3)),
    ("cosh", sg.cosh, np.cosh, (-3, 3)),
    ("tanh", sg.tanh, np.tanh, (-3, 3)),
    ("exp", sg.exp, np.exp, (-3, 3)),
    ("log", sg.log, np.log, (0.1, 5)),
    ("log1p", sg.log1p, np.log1p, (-0.9, 3)),
    ("expm1", sg.expm1, np.expm1, (-3, 3)),
    ("sqrt", sg.sqrt, np.sqrt, (0.0, 5)),
    ("square", sg.square, np.square, (-3, 3)),
    ("abs", sg.abs, np.abs, (-3, 3)),
    ("abs (builtin)", abs, np.abs, (-3, 3)),
    ("sign", sg.sign, np.sign, INTS),
    ("sigmoid", sg.sigmoid, sigmoid_ref, (-6, 6)),
    ("relu", sg.relu, lambda a: np.maximum(a, 0), INTS),
    ("softplus", sg.softplus, lambda a: np.logaddexp(0, a), (-6, 6)),
    ("negative", sg.negative, np.negative, (-3, 3)),
    ("-x", lambda x: -x, np.negative, (-3, 3)),
    ("+x", lambda x: +x, np.positive, (-3, 3)),
    ("stop_gradient", sg.stop_gradient, lambda a: a, (-3, 3)),
    ("detach", sg.detach, lambda a: a, (-3, 3)),
]
UNARY_SHAPES = [(), (5,), (2, 3)]
UNARY_CASES = [
    Case(f"{name}{shape}", fn, ref, (shape,), (domain,))
    for name, fn, ref, domain in UNARY
    for shape in UNARY_SHAPES
]


@pytest.mark.parametrize("case, dtype", params(UNARY_CASES))
def test_unary(case, dtype):
    check_case(case, dtype)


def test_unary_at_special_points():
    """Zeros and signs exactly: sign(0) = 0, relu(0) = 0, abs(-0.0), sqrt(0)."""
    x = sg.var("x", shape=(5,))
    a = np.array([-2.0, -0.0, 0.0, 0.5, 3.0])
    f = sg.compile([sg.sign(x), sg.relu(x), sg.abs(x), sg.sqrt(sg.abs(x)), sg.sigmoid(x)])
    for got, want, name in zip(
        f(a),
        [np.sign(a), np.maximum(a, 0), np.abs(a), np.sqrt(np.abs(a)), sigmoid_ref(a)],
        ["sign", "relu", "abs", "sqrt", "sigmoid"],
    ):
        check(f"{name} at special points", got, want)


def test_sigmoid_and_softplus_do_not_overflow():
    x = sg.var("x", shape=(4,))
    a = np.array([-800.0, -30.0, 30.0, 800.0])
    with np.errstate(over="raise"):
        sig, sp = sg.compile([sg.sigmoid(x), sg.softplus(x)])(a)
    check("sigmoid at large |x|", sig, [0.0, sigmoid_ref(-30.0), sigmoid_ref(30.0), 1.0])
    check("softplus at large |x|", sp, np.logaddexp(0, a))


# --- binary functions and operators ---------------------------------------------------------

BINARY = [
    # name, symgrad function, numpy reference, domain of a, domain of b
    ("add", sg.add, np.add, (-3, 3), (-3, 3)),
    ("+", lambda a, b: a + b, np.add, (-3, 3), (-3, 3)),
    ("subtract", sg.subtract, np.subtract, (-3, 3), (-3, 3)),
    ("-", lambda a, b: a - b, np.subtract, (-3, 3), (-3, 3)),
    ("multiply", sg.multiply, np.multiply, (-3, 3), (-3, 3)),
    ("*", lambda a, b: a * b, np.multiply, (-3, 3), (-3, 3)),
    ("divide", sg.divide, np.divide, (-3, 3), (0.5, 3)),
    ("/", lambda a, b: a / b, np.divide, (-3, 3), (-3, -0.5)),
    ("power", sg.power, np.power, (0.2, 3), (-2, 2)),
    ("**", lambda a, b: a**b, np.power, (0.2, 3), (-2, 2)),
    ("maximum", sg.maximum, np.maximum, INTS, INTS),
    ("minimum", sg.minimum, np.minimum, INTS, INTS),
    ("<", lambda a, b: a < b, np.less, INTS, INTS),
    ("<=", lambda a, b: a <= b, np.less_equal, INTS, INTS),
    (">", lambda a, b: a > b, np.greater, INTS, INTS),
    (">=", lambda a, b: a >= b, np.greater_equal, INTS, INTS),
    ("less", sg.less, np.less, INTS, INTS),
    ("less_equal", sg.less_equal, np.less_equal, INTS, INTS),
    ("greater", sg.greater, np.greater, INTS, INTS),
    ("greater_equal", sg.greater_equal, np.greater_equal, INTS, INTS),
    ("eq", sg.eq, np.equal, INTS, INTS),
    ("ne", sg.ne, np.not_equal, INTS, INTS),
    ("equal", sg.equal, np.equal, INTS, INTS),
    ("not_equal", sg.not_equal, np.not_equal, INTS, INTS),
]
BINARY_SHAPES = [((4,), (4,)), ((3, 1), (4,)), ((), (3,)), ((2, 3), ()), ((2, 1, 3), (4, 1))]
# dtypes of (a, b); the test's own dtype parameter is then unused
DTYPE_PAIRS = [(F32, F32), (F64, F64), (F32, F64)]
BINARY_CASES = [
    Case(f"{name}{sa}{sb}", fn, ref, (sa, sb), (da, db), pair)
    for name, fn, ref, da, db in BINARY
    for sa, sb in BINARY_SHAPES
    for pair in DTYPE_PAIRS
]


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, id=f"{c.name}-{c.dtypes[0].name}-{c.dtypes[1].name}") for c in BINARY_CASES],
)
def test_binary(case):
    check_case(case, F64)


SCALAR = [
    # an op between a variable and a Python or NumPy scalar or a NumPy array
    ("x * 2.0", lambda x: x * 2.0, lambda a: a * 2.0, (-3, 3)),
    ("2.0 * x", lambda x: 2.0 * x, lambda a: 2.0 * a, (-3, 3)),
    ("x + 1", lambda x: x + 1, lambda a: a + 1, (-3, 3)),
    ("1 - x", lambda x: 1 - x, lambda a: 1 - a, (-3, 3)),
    ("x - 0.25", lambda x: x - 0.25, lambda a: a - 0.25, (-3, 3)),
    ("x / 4.0", lambda x: x / 4.0, lambda a: a / 4.0, (-3, 3)),
    ("3 / x", lambda x: 3 / x, lambda a: 3 / a, (0.5, 3)),
    ("x ** 2", lambda x: x**2, lambda a: a**2, (-3, 3)),
    ("x ** 3", lambda x: x**3, lambda a: a**3, (-3, 3)),
    ("x ** 0.5", lambda x: x**0.5, lambda a: a**0.5, (0.1, 3)),
    ("x ** -1", lambda x: x**-1, lambda a: a**-1.0, (0.5, 3)),
    ("2.0 ** x", lambda x: 2.0**x, lambda a: 2.0**a, (-3, 3)),
    ("power(x, 2)", lambda x: sg.power(x, 2), lambda a: np.power(a, 2), (-3, 3)),
    ("maximum(x, 0.5)", lambda x: sg.maximum(x, 0.5), lambda a: np.maximum(a, 0.5), (-3, 3)),
    ("minimum(0, x)", lambda x: sg.minimum(0, x), lambda a: np.minimum(0, a), (-3, 3)),
    ("x > 0.0", lambda x: x > 0.0, lambda a: a > 0.0, INTS),
    ("x <= 1", lambda x: x <= 1, lambda a: a <= 1, INTS),
    ("eq(x, 1.0)", lambda x: sg.eq(x, 1.0), lambda a: np.equal(a, 1.0), INTS),
    ("ne(2, x)", lambda x: sg.ne(2, x), lambda a: np.not_equal(2, a), INTS),
    ("np.float32(2) * x", lambda x: np.float32(2) * x, lambda a: np.float32(2) * a, (-3, 3)),
    ("x * np.int64(2)", lambda x: x * np.int64(2), lambda a: a * np.int64(2), (-3, 3)),
    ("x * True", lambda x: x * True, lambda a: a * True, (-3, 3)),
    ("x + np.arange(4.0)", lambda x: x + np.arange(4.0), lambda a: a + np.arange(4.0), (-3, 3)),
    ("np.arange(4.0) - x", lambda x: np.arange(4.0) - x, lambda a: np.arange(4.0) - a, (-3, 3)),
    (
        "x * f32 array",
        lambda x: x * np.full(4, 0.5, np.float32),
        lambda a: a * np.full(4, 0.5, np.float32),
        (-3, 3),
    ),
    ("sg.const(2.0) * x", lambda x: sg.const(2.0) * x, lambda a: np.array(2.0) * a, (-3, 3)),
    ("sg.const(2) + x", lambda x: sg.const(2) + x, lambda a: np.array(2) + a, (-3, 3)),
    ("np.arange(4.0) < x", lambda x: np.arange(4.0) < x, lambda a: np.arange(4.0) < a, INTS),
]
# np.float64 is a subclass of Python's float, but NumPy 2 treats it as a strong float64:
# a float32 array times np.float64(2) is float64.
# NumPy scalars are strong (NEP 50): a float32 array with np.float64(2) gives float64.
STRONG_F64 = [
    ("x * np.float64(2)", lambda x: x * np.float64(2), lambda a: a * np.float64(2), (-3, 3)),
    ("np.float64(2) * x", lambda x: np.float64(2) * x, lambda a: np.float64(2) * a, (-3, 3)),
    ("x ** np.float64(2)", lambda x: x ** np.float64(2), lambda a: a ** np.float64(2), (-3, 3)),
    (
        "maximum(x, np.float64(0.5))",
        lambda x: sg.maximum(x, np.float64(0.5)),
        lambda a: np.maximum(a, np.float64(0.5)),
        (-3, 3),
    ),
    (
        "where(x > 0, x, np.float64(0))",
        lambda x: sg.where(x > 0, x, np.float64(0)),
        lambda a: np.where(a > 0, a, np.float64(0)),
        (-3, 3),
    ),
]
SCALAR_CASES = [
    Case(f"{name} on {shape}", fn, ref, (shape,), (domain,))
    for name, fn, ref, domain in SCALAR
    for shape in [(), (4,)]
]
SCALAR_CASES += [
    Case(f"{name} on {shape}", fn, ref, (shape,), (domain,))
    for name, fn, ref, domain in STRONG_F64
    for shape in [(), (4,)]
]


@pytest.mark.parametrize("case, dtype", params(SCALAR_CASES))
def test_with_scalars_and_arrays(case, dtype):
    check_case(case, dtype)


# --- where and clip -------------------------------------------------------------------------

B = np.dtype(bool)
SELECT_CASES = [
    Case("where(c, x, y)", sg.where, np.where, ((4,), (4,), (4,)), dtypes=(B, None, None)),
    Case(
        "where(c, x, y) broadcast",
        sg.where,
        np.where,
        ((2, 1, 3), (4, 1), ()),
        dtypes=(B, None, None),
    ),
    Case(
        "where(c, x, y) broadcast 2",
        sg.where,
        np.where,
        ((3, 1), (4,), (3, 4)),
        dtypes=(B, None, None),
    ),
    Case("where(c, x, y) f32/f64", sg.where, np.where, ((3,), (3,), (3,)), dtypes=(B, F32, F64)),
    Case(
        "where(x > 0, x, 0.0)",
        lambda x: sg.where(x > 0, x, 0.0),
        lambda a: np.where(a > 0, a, 0.0),
        ((2, 3),),
    ),
    Case(
        "where(x > y, x, y)",
        lambda x, y: sg.where(x > y, x, y),
        lambda a, b: np.where(a > b, a, b),
        ((3, 1), (4,)),
    ),
    Case(
        "where(x < 0, -1, 2)",
        lambda x: sg.where(x < 0, -1.0, 2.0),
        lambda a: np.where(a < 0, -1.0, 2.0),
        ((4,),),
    ),
    Case(
        "clip(x, -0.5, 0.5)",
        lambda x: sg.clip(x, -0.5, 0.5),
        lambda a: np.clip(a, -0.5, 0.5),
        ((2, 3),),
    ),
    Case(
        "clip(x, lo, hi) arrays",
        sg.clip,
        np.clip,
        ((2, 1, 3), (4, 1), ()),
        ((-2, 2), (-1.5, -0.5), (0.5, 1.5)),
    ),
    Case(
        "clip(x, 0, hi)",
        lambda x, y: sg.clip(x, 0, y),
        lambda a, b: np.clip(a, 0, b),
        ((3, 4), (4,)),
        ((-2, 2), (0.5, 1.5)),
    ),
]


@pytest.mark.parametrize("case, dtype", params(SELECT_CASES))
def test_where_and_clip(case, dtype):
    check_case(case, dtype)


# --- reductions -----------------------------------------------------------------------------

AXES = [None, 0, -1, 1, (0, 2), (2, 0), (-1, -2), (0, 1, 2)]
KEEP = [False, True]


def reduction_cases():
    cases = []
    for name, ref, domain in [
        ("sum", np.sum, (-2, 2)),
        ("mean", np.mean, (-2, 2)),
        ("prod", np.prod, (0.5, 1.5)),
        ("max", np.max, INTS),
        ("min", np.min, INTS),
    ]:
        fn = getattr(sg, name)
        for axis in AXES:
            for keep in KEEP:
                cases.append(
                    Case(
                        f"{name}(axis={axis}, keepdims={keep})",
                        lambda x, fn=fn, axis=axis, keep=keep: fn(x, axis=axis, keepdims=keep),
                        lambda a, ref=ref, axis=axis, keep=keep: ref(a, axis=axis, keepdims=keep),
                        ((2, 3, 4),),
                        (domain,),
                    )
                )
        cases.append(
            Case(
                f"x.{name}(axis=1)",
                lambda x, name=name: getattr(x, name)(axis=1),
                lambda a, name=name: getattr(a, name)(axis=1),
                ((2, 3),),
                (domain,),
            )
        )
        cases.append(
            Case(
                f"x.{name}()",
                lambda x, name=name: getattr(x, name)(),
                lambda a, name=name: getattr(a, name)(),
                ((2, 3),),
                (domain,),
            )
        )
        cases.append(Case(f"{name} of 0-d", fn, ref, ((),), (domain,)))
        cases.append(
            Case(
                f"{name}(axis=0) of 1-d",
                lambda x, fn=fn: fn(x, axis=0),
                lambda a, ref=ref: ref(a, axis=0),
                ((5,),),
                (domain,),
            )
        )
    for axis in [None, 0, -1, (0, 1), (1, 2), (2, 0)]:
        for keep in KEEP:
            cases.append(
                Case(
                    f"norm(axis={axis}, keepdims={keep})",
                    lambda x, axis=axis, keep=keep: sg.norm(x, axis=axis, keepdims=keep),
                    lambda a, axis=axis, keep=keep: np.linalg.norm(a, axis=axis, keepdims=keep),
                    ((2, 3, 4),),
                )
            )
    cases += [
        Case("norm of 1-d", sg.norm, np.linalg.norm, ((5,),)),
        Case("norm of 2-d (Frobenius)", sg.norm, np.linalg.norm, ((3, 4),)),
        Case(
            "norm(ord='fro')",
            lambda x: sg.norm(x, ord="fro"),
            lambda a: np.linalg.norm(a, ord="fro"),
            ((3, 4),),
        ),
        Case(
            "norm(ord=2, axis=1)",
            lambda x: sg.norm(x, ord=2, axis=1),
            lambda a: np.linalg.norm(a, ord=2, axis=1),
            ((3, 4),),
        ),
    ]
    for axis in [None, 0, -1, (0, 2), (1, 2)]:
        for keep in KEEP:
            cases.append(
                Case(
                    f"logsumexp(axis={axis}, keepdims={keep})",
                    lambda x, axis=axis, keep=keep: sg.logsumexp(x, axis=axis, keepdims=keep),
                    lambda a, axis=axis, keep=keep: logsumexp_ref(a, axis=axis, keepdims=keep),
                    ((2, 3, 4),),
                )
            )
    cases += [
        Case("logsumexp of 1-d", sg.logsumexp, logsumexp_ref, ((5,),)),
        Case("logsumexp of 0-d", sg.logsumexp, logsumexp_ref, ((),)),
        Case(
            "logsumexp of large values",
            lambda x: sg.logsumexp(x, axis=1),
            lambda a: logsumexp_ref(a, axis=1),
            ((3, 4),),
            ((100, 200),),
        ),
        Case(
            "logsumexp of very negative values",
            lambda x: sg.logsumexp(x, axis=0),
            lambda a: logsumexp_ref(a, axis=0),
            ((3, 4),),
            ((-200, -100),),
        ),
    ]
    for axis in [-1, 0, 1, 2, -2]:
        cases.append(
            Case(
                f"softmax(axis={axis})",
                lambda x, axis=axis: sg.softmax(x, axis=axis),
                lambda a, axis=axis: softmax_ref(a, axis=axis),
                ((2, 3, 4),),
            )
        )
    cases += [
        Case("softmax (default axis)", sg.softmax, softmax_ref, ((2, 3, 4),)),
        Case("softmax of 1-d", sg.softmax, softmax_ref, ((5,),)),
        Case("softmax of large values", sg.softmax, softmax_ref, ((3, 4),), ((100, 200),)),
    ]
    return cases


REDUCTION_CASES = reduction_cases()


@pytest.mark.parametrize("case, dtype", params(REDUCTION_CASES))
def test_reduction(case, dtype):
    check_case(case, dtype)


# --- products -------------------------------------------------------------------------------

DOT_SHAPES = [
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3, 4)),
    ((2, 2, 3), (3, 4)),
    ((2, 3), (4, 3, 5)),
    ((2, 2, 3), (4, 3, 5)),
    ((3,), (2, 3, 4)),
    ((5, 2, 3), (3,)),
    ((), (3,)),
    ((3,), ()),
    ((), ()),
    ((2, 3), ()),
]
MATMUL_SHAPES = [
    ((3,), (3,)),
    ((2, 3), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3, 4)),
    ((5, 2, 3), (3, 4)),
    ((5, 2, 3), (5, 3, 4)),
    ((2, 1, 2, 3), (4, 3, 2)),
    ((3,), (5, 3, 4)),
    ((5, 2, 3), (3,)),
    ((1, 2, 3), (3, 3, 4)),
]
OUTER_SHAPES = [((3,), (4,)), ((2, 3), (2,)), ((), (3,)), ((2, 2), (3, 1))]


def product_cases():
    cases = []
    for sa, sb in DOT_SHAPES:
        cases.append(Case(f"dot{sa}{sb}", sg.dot, np.dot, (sa, sb)))
    cases.append(Case("x.dot(y)", lambda x, y: x.dot(y), lambda a, b: a.dot(b), ((2, 3), (3, 4))))
    for sa, sb in MATMUL_SHAPES:
        cases.append(Case(f"matmul{sa}{sb}", sg.matmul, np.matmul, (sa, sb)))
        cases.append(Case(f"x @ y {sa}{sb}", lambda x, y: x @ y, lambda a, b: a @ b, (sa, sb)))
    for sa, sb in OUTER_SHAPES:
        cases.append(Case(f"outer{sa}{sb}", sg.outer, np.outer, (sa, sb)))
    m = np.arange(12.0).reshape(3, 4) / 7
    cases += [
        Case("x @ ndarray", lambda x: x @ m, lambda a: a @ m, ((2, 3),)),
        Case("ndarray @ x", lambda x: m.T @ x, lambda a: m.T @ a, ((3, 2),)),
        Case("dot(ndarray, x)", lambda x: sg.dot(m, x), lambda a: np.dot(m, a), ((4,),)),
        Case("matmul f32 @ f64", sg.matmul, np.matmul, ((2, 3), (3, 4)), dtypes=(F32, F64)),
        Case("dot f64 . f32", sg.dot, np.dot, ((2, 2, 3), (3, 4)), dtypes=(F64, F32)),
    ]
    return cases


@pytest.mark.parametrize("case, dtype", params(product_cases()))
def test_product(case, dtype):
    check_case(case, dtype)


# --- shape ops ------------------------------------------------------------------------------

SHAPE_CASES = [
    Case("transpose", sg.transpose, np.transpose, ((2, 3, 4),)),
    Case(
        "transpose(axes=(1, 0, 2))",
        lambda x: sg.transpose(x, (1, 0, 2)),
        lambda a: np.transpose(a, (1, 0, 2)),
        ((2, 3, 4),),
    ),
    Case(
        "transpose(axes=(2, 0, 1))",
        lambda x: sg.transpose(x, (2, 0, 1)),
        lambda a: np.transpose(a, (2, 0, 1)),
        ((2, 3, 4),),
    ),
    Case(
        "transpose(axes=(-1, 0, 1))",
        lambda x: sg.transpose(x, (-1, 0, 1)),
        lambda a: np.transpose(a, (-1, 0, 1)),
        ((2, 3, 4),),
    ),
    Case(
        "x.transpose(1, 0, 2)",
        lambda x: x.transpose(1, 0, 2),
        lambda a: a.transpose(1, 0, 2),
        ((2, 3, 4),),
    ),
    Case("x.T of 2-d", lambda x: x.T, lambda a: a.T, ((2, 3),)),
    Case("x.T of 3-d", lambda x: x.T, lambda a: a.T, ((2, 3, 4),)),
    Case("x.T of 1-d", lambda x: x.T, lambda a: a.T, ((3,),)),
    Case("x.T of 0-d", lambda x: x.T, lambda a: a.T, ((),)),
    Case(
        "swapaxes(x, 0, 2)",
        lambda x: sg.swapaxes(x, 0, 2),
        lambda a: np.swapaxes(a, 0, 2),
        ((2, 3, 4),),
    ),
    Case(
        "reshape(4, -1)",
        lambda x: sg.reshape(x, (4, -1)),
        lambda a: np.reshape(a, (4, -1)),
        ((2, 3, 4),),
    ),
    Case("reshape(-1)", lambda x: sg.reshape(x, -1), lambda a: np.reshape(a, -1), ((2, 3, 4),)),
    Case(
        "reshape(-1, 2, 3)",
        lambda x: sg.reshape(x, (-1, 2, 3)),
        lambda a: np.reshape(a, (-1, 2, 3)),
        ((3, 4),),
    ),
    Case("x.reshape(3, 8)", lambda x: x.reshape(3, 8), lambda a: a.reshape(3, 8), ((2, 3, 4),)),
    Case(
        "x.reshape((6, -1))",
        lambda x: x.reshape((6, -1)),
        lambda a: a.reshape((6, -1)),
        ((2, 3, 4),),
    ),
    Case(
        "reshape 0-d to (1, 1)",
        lambda x: sg.reshape(x, (1, 1)),
        lambda a: np.reshape(a, (1, 1)),
        ((),),
    ),
    Case("reshape (1,) to ()", lambda x: sg.reshape(x, ()), lambda a: np.reshape(a, ()), ((1,),)),
    Case("x.ravel()", lambda x: x.ravel(), lambda a: a.ravel(), ((2, 3),)),
    Case("x.flatten()", lambda x: x.flatten(), lambda a: a.flatten(), ((2, 3),)),
    Case(
        "broadcast_to (3,) -> (2, 3)",
        lambda x: sg.broadcast_to(x, (2, 3)),
        lambda a: np.broadcast_to(a, (2, 3)),
        ((3,),),
    ),
    Case(
        "broadcast_to (3, 1) -> (2, 3, 4)",
        lambda x: sg.broadcast_to(x, (2, 3, 4)),
        lambda a: np.broadcast_to(a, (2, 3, 4)),
        ((3, 1),),
    ),
    Case(
        "broadcast_to () -> (2, 2)",
        lambda x: sg.broadcast_to(x, (2, 2)),
        lambda a: np.broadcast_to(a, (2, 2)),
        ((),),
    ),
    Case(
        "broadcast_to (1, 3) -> (3, 3)",
        lambda x: sg.broadcast_to(x, (3, 3)),
        lambda a: np.broadcast_to(a, (3, 3)),
        ((1, 3),),
    ),
    Case(
        "concatenate axis 0",
        lambda x, y: sg.concatenate([x, y]),
        lambda a, b: np.concatenate([a, b]),
        ((2, 3), (4, 3)),
    ),
    Case(
        "concatenate axis 1",
        lambda x, y: sg.concatenate([x, y], axis=1),
        lambda a, b: np.concatenate([a, b], axis=1),
        ((2, 3), (2, 1)),
    ),
    Case(
        "concatenate axis -1, three inputs",
        lambda x, y, z: sg.concatenate((x, y, z), -1),
        lambda a, b, c: np.concatenate((a, b, c), -1),
        ((2, 2, 3), (2, 2, 1), (2, 2, 2)),
    ),
    Case(
        "concatenate axis None",
        lambda x, y: sg.concatenate([x, y], axis=None),
        lambda a, b: np.concatenate([a, b], axis=None),
        ((2, 3), (4,)),
    ),
    Case(
        "concatenate f32 with f64",
        lambda x, y: sg.concatenate([x, y]),
        lambda a, b: np.concatenate([a, b]),
        ((2,), (3,)),
        dtypes=(F32, F64),
    ),
    Case(
        "concatenate with ndarray",
        lambda x: sg.concatenate([x, np.ones(2)]),
        lambda a: np.concatenate([a, np.ones(2)]),
        ((3,),),
    ),
    Case(
        "stack axis 0",
        lambda x, y: sg.stack([x, y]),
        lambda a, b: np.stack([a, b]),
        ((2, 3), (2, 3)),
    ),
    Case(
        "stack axis 1",
        lambda x, y: sg.stack([x, y], axis=1),
        lambda a, b: np.stack([a, b], axis=1),
        ((2, 3), (2, 3)),
    ),
    Case(
        "stack axis -1, three inputs",
        lambda x, y, z: sg.stack((x, y, z), axis=-1),
        lambda a, b, c: np.stack((a, b, c), axis=-1),
        ((2, 3),) * 3,
    ),
    Case("stack of 0-d", lambda x, y: sg.stack([x, y]), lambda a, b: np.stack([a, b]), ((), ())),
    Case(
        "stack f64 with f32",
        lambda x, y: sg.stack([x, y]),
        lambda a, b: np.stack([a, b]),
        ((3,), (3,)),
        dtypes=(F64, F32),
    ),
    Case(
        "expand_dims 0", lambda x: sg.expand_dims(x, 0), lambda a: np.expand_dims(a, 0), ((2, 3),)
    ),
    Case(
        "expand_dims 1", lambda x: sg.expand_dims(x, 1), lambda a: np.expand_dims(a, 1), ((2, 3),)
    ),
    Case(
        "expand_dims -1",
        lambda x: sg.expand_dims(x, -1),
        lambda a: np.expand_dims(a, -1),
        ((2, 3),),
    ),
    Case(
        "expand_dims (0, 2)",
        lambda x: sg.expand_dims(x, (0, 2)),
        lambda a: np.expand_dims(a, (0, 2)),
        ((2, 3),),
    ),
    Case(
        "expand_dims (0, -1)",
        lambda x: sg.expand_dims(x, (0, -1)),
        lambda a: np.expand_dims(a, (0, -1)),
        ((2, 3),),
    ),
    Case("squeeze", sg.squeeze, np.squeeze, ((1, 3, 1),)),
    Case("squeeze axis 0", lambda x: sg.squeeze(x, 0), lambda a: np.squeeze(a, 0), ((1, 3, 1),)),
    Case(
        "squeeze axis (0, 2)",
        lambda x: sg.squeeze(x, (0, 2)),
        lambda a: np.squeeze(a, (0, 2)),
        ((1, 3, 1),),
    ),
    Case("squeeze axis -1", lambda x: sg.squeeze(x, -1), lambda a: np.squeeze(a, -1), ((1, 3, 1),)),
    Case("x.squeeze()", lambda x: x.squeeze(), lambda a: a.squeeze(), ((1, 1),)),
    Case(
        "astype float32",
        lambda x: sg.astype(x, "float32"),
        lambda a: a.astype(np.float32),
        ((2, 3),),
    ),
    Case(
        "astype float64",
        lambda x: sg.astype(x, np.float64),
        lambda a: a.astype(np.float64),
        ((2, 3),),
    ),
    Case(
        "astype int32",
        lambda x: sg.astype(x, "int32"),
        lambda a: a.astype(np.int32),
        ((2, 3),),
        ((-5, 5),),
    ),
    Case("astype bool", lambda x: sg.astype(x, bool), lambda a: a.astype(bool), ((2, 3),), (INTS,)),
    Case(
        "x.astype(float32)", lambda x: x.astype(np.float32), lambda a: a.astype(np.float32), ((3,),)
    ),
]


@pytest.mark.parametrize("case, dtype", params(SHAPE_CASES))
def test_shape_op(case, dtype):
    check_case(case, dtype)


# --- indexing -------------------------------------------------------------------------------


class _Index:
    """``IX[1:, 0]`` is the index ``(slice(1, None), 0)``."""

    def __getitem__(self, index):
        return index


IX = _Index()
INDICES_3D = [
    IX[1:],
    IX[0],
    IX[:, 2],
    IX[..., None],
    IX[::-2],
    IX[-1],
    IX[:, -2:],
    IX[-3:-1],
    IX[None, 1, ::2],
    IX[..., 0],
    IX[1, ..., 2],
    IX[0, 0, 0],
    IX[1:3, None, -1],
    IX[:, 1:-1:2],
    IX[:, :, ::-1],
    IX[2:2],
    IX[-1, -1],
    IX[None],
    IX[..., ::-3, :],
    IX[:],
    IX[...],
    IX[5:1:-1, 3, None],
]
INDICES_1D = [IX[1:], IX[::-2], IX[-2], IX[5:1:-2], IX[:-1], IX[None, :], IX[-6]]


def _show(index):
    parts = index if isinstance(index, tuple) else (index,)
    text = []
    for p in parts:
        if isinstance(p, slice):
            text.append(
                ":".join("" if v is None else str(v) for v in (p.start, p.stop, p.step)).rstrip(":")
                or ":"
            )
        else:
            text.append("..." if p is Ellipsis else str(p))
    return f"x[{', '.join(text)}]"


INDEX_CASES = [
    Case(f"{_show(i)} of {shape}", lambda x, i=i: x[i], lambda a, i=i: a[i], (shape,))
    for shape, indices in [((3, 4, 5), INDICES_3D), ((6,), INDICES_1D)]
    for i in indices
]
INDEX_CASES += [
    Case("x[1:][0]", lambda x: x[1:][0], lambda a: a[1:][0], ((3, 4),)),
    Case("x[np.int64(1)]", lambda x: x[np.int64(1)], lambda a: a[1], ((3, 4),)),
    Case("x[10:-10:-1]", lambda x: x[10:-10:-1], lambda a: a[10:-10:-1], ((3, 4),)),
    Case("x[0] of 1-d", lambda x: x[0], lambda a: a[0], ((3,),)),
    Case("x[...] of 0-d", lambda x: x[...], lambda a: a[...], ((),)),
    Case("x[None] of 0-d", lambda x: x[None], lambda a: a[None], ((),)),
    Case(
        "x[:, 2] * x[1:, 0]",
        lambda x: x[:2, 2] * x[1:, 0],
        lambda a: a[:2, 2] * a[1:, 0],
        ((3, 4),),
    ),
]


@pytest.mark.parametrize("case, dtype", params(INDEX_CASES))
def test_indexing(case, dtype):
    check_case(case, dtype)


# --- integer and bool inputs: NumPy's dtype rules -------------------------------------------

I32, I64, U8, I8 = (np.dtype(t) for t in ("int32", "int64", "uint8", "int8"))
INT_DOMAIN = (-5, 6)
DTYPE_CASES = [
    Case("sum of int32", sg.sum, np.sum, ((2, 3),), (INT_DOMAIN,), (I32,)),
    Case("sum of bool", sg.sum, np.sum, ((2, 3),), (INT_DOMAIN,), (B,)),
    Case(
        "sum(axis=0) of uint8",
        lambda x: sg.sum(x, axis=0),
        lambda a: np.sum(a, axis=0),
        ((2, 3),),
        ((0, 200),),
        (U8,),
    ),
    Case("mean of int32", sg.mean, np.mean, ((2, 3),), (INT_DOMAIN,), (I32,)),
    Case("prod of int32", sg.prod, np.prod, ((2, 3),), (INT_DOMAIN,), (I32,)),
    Case(
        "max(axis=1) of int32",
        lambda x: sg.max(x, axis=1),
        lambda a: np.max(a, axis=1),
        ((2, 3),),
        (INT_DOMAIN,),
        (I32,),
    ),
    Case("min of int8", sg.min, np.min, ((4,),), (INT_DOMAIN,), (I8,)),
    Case("norm of int32", sg.norm, np.linalg.norm, ((4,),), (INT_DOMAIN,), (I32,)),
    Case("logsumexp of int32", sg.logsumexp, logsumexp_ref, ((4,),), (INT_DOMAIN,), (I32,)),
    Case("softmax of int32", sg.softmax, softmax_ref, ((4,),), (INT_DOMAIN,), (I32,)),
    Case("sin of int32", sg.sin, np.sin, ((4,),), (INT_DOMAIN,), (I32,)),
    Case("sin of int8", sg.sin, np.sin, ((4,),), (INT_DOMAIN,), (I8,)),
    Case("sqrt of int64", sg.sqrt, np.sqrt, ((4,),), ((0, 9),), (I64,)),
    Case("exp of bool", sg.exp, np.exp, ((4,),), (INT_DOMAIN,), (B,)),
    Case("sigmoid of int32", sg.sigmoid, sigmoid_ref, ((4,),), (INT_DOMAIN,), (I32,)),
    Case(
        "softplus of int32",
        sg.softplus,
        lambda a: np.logaddexp(0, a),
        ((4,),),
        (INT_DOMAIN,),
        (I32,),
    ),
    Case("abs of int32", sg.abs, np.abs, ((4,),), (INT_DOMAIN,), (I32,)),
    Case("negative of int32", sg.negative, np.negative, ((4,),), (INT_DOMAIN,), (I32,)),
    Case("square of int32", sg.square, np.square, ((4,),), (INT_DOMAIN,), (I32,)),
    Case("sign of int32", sg.sign, np.sign, ((4,),), (INT_DOMAIN,), (I32,)),
    Case("relu of int32", sg.relu, lambda a: np.maximum(a, 0), ((4,),), (INT_DOMAIN,), (I32,)),
    Case("stop_gradient of int32", sg.stop_gradient, lambda a: a, ((4,),), (INT_DOMAIN,), (I32,)),
    Case("int32 + int32", sg.add, np.add, ((4,), (4,)), (INT_DOMAIN,), (I32, I32)),
    Case("int32 + 1", lambda x: x + 1, lambda a: a + 1, ((4,),), (INT_DOMAIN,), (I32,)),
    Case("int32 * 2.5", lambda x: x * 2.5, lambda a: a * 2.5, ((4,),), (INT_DOMAIN,), (I32,)),
    Case("int32 / int32", sg.divide, np.divide, ((4,), (4,)), (INT_DOMAIN, (1, 5)), (I32, I32)),
    Case("int32 ** 2", lambda x: x**2, lambda a: a**2, ((4,),), (INT_DOMAIN,), (I32,)),
    Case(
        "int32 * float32", sg.multiply, np.multiply, ((4,), (4,)), (INT_DOMAIN, (-2, 2)), (I32, F32)
    ),
    Case("uint8 + int8", sg.add, np.add, ((4,), (4,)), ((0, 100), INT_DOMAIN), (U8, I8)),
    Case("float32 ** int32", sg.power, np.power, ((4,), (4,)), ((0.5, 2), (0, 4)), (F32, I32)),
    Case("int32 < float64", lambda x, y: x < y, np.less, ((4,), (4,)), (INT_DOMAIN,), (I32, F64)),
    Case("maximum(int32, int64)", sg.maximum, np.maximum, ((4,), (4,)), (INT_DOMAIN,), (I32, I64)),
    Case("bool + bool", sg.add, np.add, ((4,), (4,)), (INT_DOMAIN,), (B, B)),
    Case(
        "where(bool, int32, float32)",
        sg.where,
        np.where,
        ((4,), (4,), (4,)),
        (INT_DOMAIN,),
        (B, I32, F32),
    ),
    Case(
        "where(bool, int32, 0)",
        lambda c, x: sg.where(c, x, 0),
        lambda c, a: np.where(c, a, 0),
        ((4,), (4,)),
        (INT_DOMAIN,),
        (B, I32),
    ),
    Case(
        "clip(int32, 0, 3)",
        lambda x: sg.clip(x, 0, 3),
        lambda a: np.clip(a, 0, 3),
        ((4,),),
        (INT_DOMAIN,),
        (I32,),
    ),
    Case("int32 @ int32", sg.matmul, np.matmul, ((2, 3), (3,)), (INT_DOMAIN,), (I32, I32)),
    Case("dot(int32, float32)", sg.dot, np.dot, ((2, 3), (3, 2)), (INT_DOMAIN,), (I32, F32)),
    Case(
        "concatenate int32 with float32",
        lambda x, y: sg.concatenate([x, y]),
        lambda a, b: np.concatenate([a, b]),
        ((2,), (3,)),
        (INT_DOMAIN,),
        (I32, F32),
    ),
    Case(
        "astype int32 -> float32",
        lambda x: sg.astype(x, F32),
        lambda a: a.astype(F32),
        ((4,),),
        (INT_DOMAIN,),
        (I32,),
    ),
    Case(
        "astype bool -> float64",
        lambda x: sg.astype(x, F64),
        lambda a: a.astype(F64),
        ((4,),),
        (INT_DOMAIN,),
        (B,),
    ),
    Case("x[1:] of int32", lambda x: x[1:], lambda a: a[1:], ((4,),), (INT_DOMAIN,), (I32,)),
    Case("eq(int32, int32)", sg.eq, np.equal, ((4,), (4,)), ((0, 3),), (I32, I32)),
    Case("mean of float16", sg.mean, np.mean, ((2, 3),), ((-2, 2),), (F16,)),
    Case("norm of float16", sg.norm, np.linalg.norm, ((2, 3),), ((-2, 2),), (F16,)),
    # Float-valued reductions of bools and integers are float64, as np.mean,
    # np.linalg.norm and scipy.special.logsumexp/softmax give (not NumPy's np.exp rule).
    Case(
        "softmax of int8",
        sg.softmax,
        lambda a: softmax_ref(a.astype(F64)),
        ((4,),),
        ((-3, 4),),
        (I8,),
    ),
    Case("mean of int8", sg.mean, np.mean, ((2, 3),), (INT_DOMAIN,), (I8,)),
    Case("mean of uint8", sg.mean, np.mean, ((2, 3),), ((0, 200),), (U8,)),
    Case("mean of int16", sg.mean, np.mean, ((2, 3),), (INT_DOMAIN,), (np.dtype("int16"),)),
    Case("mean of bool", sg.mean, np.mean, ((2, 3),), (INT_DOMAIN,), (B,)),
    Case("norm of int8", sg.norm, np.linalg.norm, ((4,),), ((-100, 100),), (I8,)),
    Case(
        "norm of int32 with large values",
        sg.norm,
        np.linalg.norm,
        ((4,),),
        ((40000, 50000),),
        (I32,),
    ),
    Case("norm of bool", sg.norm, np.linalg.norm, ((4,),), (INT_DOMAIN,), (B,)),
    Case(
        "logsumexp of uint8",
        sg.logsumexp,
        lambda a: np.log(np.sum(np.exp(a.astype(F64)))),
        ((4,),),
        ((0, 5),),
        (U8,),
    ),
    Case(
        "softmax of uint8",
        sg.softmax,
        lambda a: softmax_ref(a.astype(F64)),
        ((4,),),
        ((0, 5),),
        (U8,),
    ),
    Case(
        "softmax of bool",
        sg.softmax,
        lambda a: softmax_ref(a.astype(F64)),
        ((4,),),
        (INT_DOMAIN,),
        (B,),
    ),
    Case(
        "logsumexp of bool",
        sg.logsumexp,
        lambda a: np.log(np.sum(np.exp(a.astype(F64)))),
        ((4,),),
        (INT_DOMAIN,),
        (B,),
    ),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in DTYPE_CASES])
def test_integer_and_bool_dtypes(case):
    check_case(case, F64)


# --- constants and zero-size arrays ---------------------------------------------------------


def test_constant_expressions():
    """Expressions without variables compile to functions of no arguments."""
    cases = [
        ("sin(0.5)", sg.sin(0.5), np.sin(0.5)),
        ("exp(const f32)", sg.exp(sg.const(np.float32(1.0))), np.exp(np.float32(1.0))),
        ("sum(arange)", sg.sum(np.arange(4.0)), np.sum(np.arange(4.0))),
        ("dot(list, list)", sg.dot([1.0, 2.0], [3.0, 4.0]), np.dot([1.0, 2.0], [3.0, 4.0])),
        ("const(3) + 0.5", sg.const(3) + 0.5, np.array(3) + 0.5),
        (
            "int32 const * 2",
            sg.const(np.arange(3, dtype=np.int32)) * 2,
            np.arange(3, dtype=np.int32) * 2,
        ),
        ("const(2.0)", sg.const(2.0), np.array(2.0)),
    ]
    for name, expr, want in cases:
        check(f"{name} compiled", sg.compile(expr)(), want)
        check(f"{name} eval", expr.eval(), want)


ZERO_SIZE_CASES = [
    Case(
        "sum(axis=0) of (0, 3)", lambda x: sg.sum(x, axis=0), lambda a: np.sum(a, axis=0), ((0, 3),)
    ),
    Case("prod of (0, 3)", sg.prod, np.prod, ((0, 3),)),
    Case(
        "mean(axis=1) of (0, 3)",
        lambda x: sg.mean(x, axis=1),
        lambda a: np.mean(a, axis=1),
        ((0, 3),),
    ),
    Case("norm of (0, 3)", sg.norm, np.linalg.norm, ((0, 3),)),
    Case("(2, 0) @ (0, 3)", lambda x, y: x @ y, lambda a, b: a @ b, ((2, 0), (0, 3))),
    Case("x[2:2] + 1", lambda x: x[2:2] + 1.0, lambda a: a[2:2] + 1.0, ((4,),)),
    Case(
        "logsumexp(axis=0) of (0, 3)",
        lambda x: sg.logsumexp(x, axis=0),
        lambda a: np.full(3, -np.inf, a.dtype),
        ((0, 3),),
    ),
]


@pytest.mark.parametrize("case, dtype", params(ZERO_SIZE_CASES))
def test_zero_size(case, dtype):
    check_case(case, dtype)


# --- calling styles -------------------------------------------------------------------------

STYLE_CASES = [c for c in UNARY_CASES if c.shapes == ((2, 3),)] + [
    c for c in BINARY_CASES if c.shapes == ((3, 1), (4,)) and c.dtypes == (F32, F64)
]


@pytest.mark.parametrize("how", ["keyword", "eval", "eval_by_name"])
@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in STYLE_CASES])
def test_call_styles(case, how):
    """Keyword arguments and ``Expr.eval`` give what positional calls give."""
    check_case(case, F32, how=how, seed=1)


def test_inputs_follow_declaration_order():
    """Positional inputs are the variables in declaration order, not order of use."""
    x = sg.var("x", shape=(3,))
    y = sg.var("y", shape=(3,))
    a, b = np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.25, 4.0])
    check("y / x positional", sg.compile(y / x)(a, b), b / a)
    check("y / x keyword", sg.compile(y / x)(y=b, x=a), b / a)
    check("y / x eval", (y / x).eval({y: b, x: a}), b / a)


# --- symbolic dimensions --------------------------------------------------------------------


def _symbolic_cases():
    return [
        # name, build(x, y, w), reference(a, b, m); x and y are ("n", 3), w is (3, 2)
        ("sin(x) + 1.0", lambda x, y, w: sg.sin(x) + 1.0, lambda a, b, m: np.sin(a) + 1.0),
        ("x * y", lambda x, y, w: x * y, lambda a, b, m: a * b),
        ("x - y[:, :1]", lambda x, y, w: x - y[:, :1], lambda a, b, m: a - b[:, :1]),
        ("x.sum(axis=0)", lambda x, y, w: x.sum(axis=0), lambda a, b, m: a.sum(axis=0)),
        ("x.sum()", lambda x, y, w: x.sum(), lambda a, b, m: a.sum()),
        ("x.mean()", lambda x, y, w: x.mean(), lambda a, b, m: a.mean()),
        ("x.mean(axis=0)", lambda x, y, w: x.mean(axis=0), lambda a, b, m: a.mean(axis=0)),
        (
            "x.mean(axis=0, keepdims)",
            lambda x, y, w: x.mean(axis=0, keepdims=True),
            lambda a, b, m: a.mean(axis=0, keepdims=True),
        ),
        ("x.mean(axis=1)", lambda x, y, w: x.mean(axis=1), lambda a, b, m: a.mean(axis=1)),
        ("x.max(axis=0)", lambda x, y, w: x.max(axis=0), lambda a, b, m: a.max(axis=0)),
        ("x.min(axis=1)", lambda x, y, w: x.min(axis=1), lambda a, b, m: a.min(axis=1)),
        ("x.prod(axis=0)", lambda x, y, w: x.prod(axis=0), lambda a, b, m: a.prod(axis=0)),
        (
            "norm(x, axis=0)",
            lambda x, y, w: sg.norm(x, axis=0),
            lambda a, b, m: np.linalg.norm(a, axis=0),
        ),
        (
            "logsumexp(x, axis=0)",
            lambda x, y, w: sg.logsumexp(x, axis=0),
            lambda a, b, m: logsumexp_ref(a, axis=0),
        ),
        ("softmax(x)", lambda x, y, w: sg.softmax(x), lambda a, b, m: softmax_ref(a)),
        (
            "softmax(x, axis=0)",
            lambda x, y, w: sg.softmax(x, axis=0),
            lambda a, b, m: softmax_ref(a, axis=0),
        ),
        ("x @ w", lambda x, y, w: x @ w, lambda a, b, m: a @ m),
        ("dot(x, w)", lambda x, y, w: sg.dot(x, w), lambda a, b, m: np.dot(a, m)),
        ("x.T @ y", lambda x, y, w: x.T @ y, lambda a, b, m: a.T @ b),
        ("x @ y.T", lambda x, y, w: x @ y.T, lambda a, b, m: a @ b.T),
        ("x[:, 1]", lambda x, y, w: x[:, 1], lambda a, b, m: a[:, 1]),
        ("x[..., None]", lambda x, y, w: x[..., None], lambda a, b, m: a[..., None]),
        ("x[:, ::-1]", lambda x, y, w: x[:, ::-1], lambda a, b, m: a[:, ::-1]),
        (
            "concatenate([x, y], axis=1)",
            lambda x, y, w: sg.concatenate([x, y], axis=1),
            lambda a, b, m: np.concatenate([a, b], axis=1),
        ),
        ("stack([x, y])", lambda x, y, w: sg.stack([x, y]), lambda a, b, m: np.stack([a, b])),
        (
            "expand_dims(x, 0)",
            lambda x, y, w: sg.expand_dims(x, 0),
            lambda a, b, m: np.expand_dims(a, 0),
        ),
        (
            "x.reshape(('n', 3, 1))",
            lambda x, y, w: x.reshape(("n", 3, 1)),
            lambda a, b, m: a.reshape(-1, 3, 1),
        ),
        (
            "broadcast_to(x[:, :1], ('n', 3))",
            lambda x, y, w: sg.broadcast_to(x[:, :1], ("n", 3)),
            lambda a, b, m: np.broadcast_to(a[:, :1], a.shape),
        ),
        (
            "where(x > y, x, 0.0)",
            lambda x, y, w: sg.where(x > y, x, 0.0),
            lambda a, b, m: np.where(a > b, a, 0.0),
        ),
        (
            "sum(x * y, axis=1)",
            lambda x, y, w: sg.sum(x * y, axis=1),
            lambda a, b, m: np.sum(a * b, axis=1),
        ),
    ]


@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: d.name)
@pytest.mark.parametrize("name, build, ref", [pytest.param(*c, id=c[0]) for c in _symbolic_cases()])
def test_symbolic_dims(name, build, ref, dtype):
    """One compiled function serves every n; each call's results match NumPy."""
    x = sg.var("x", shape=("n", 3), dtype=dtype)
    y = sg.var("y", shape=("n", 3), dtype=dtype)
    w = sg.var("w", shape=(3, 2), dtype=dtype)
    f = sg.compile(build(x, y, w), inputs=[x, y, w])
    rng = np.random.default_rng(2)
    m = sample(rng, (3, 2), dtype, (-2, 2))
    for n in (1, 2, 5):
        a, b = (sample(rng, (n, 3), dtype, (-2, 2)) for _ in range(2))
        what = f"{name} with n={n} [{dtype.name}]"
        check(what, f(a, b, m), ref(a, b, m))
        check(what + " by keyword", f(w=m, y=b, x=a), ref(a, b, m))
