"""The expression parser of the command line: its function table is the public API, it
computes what NumPy computes, and hostile or random text only ever gives a clear error."""

import inspect
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symgrad as sg
from symgrad.cli import main
from symgrad.parse import (
    EXCLUDED,
    EXCLUDED_METHODS,
    FUNCTIONS,
    METHODS,
    ParseError,
    parse,
    variable_names,
)


def _public_callables():
    names = {
        n for n in sg.__all__ if callable(getattr(sg, n)) and not inspect.isclass(getattr(sg, n))
    }
    names |= {
        f"linalg.{n}"
        for n in sg.linalg.__all__
        if callable(getattr(sg.linalg, n)) and not inspect.isclass(getattr(sg.linalg, n))
    }
    return names


def test_every_public_function_is_parseable_or_excluded_with_a_reason():
    public = _public_callables()
    for name in sorted(public):
        parseable = name in FUNCTIONS
        excluded = name in EXCLUDED
        assert parseable != excluded, (
            f"sg.{name} must be either parseable or listed in parse.EXCLUDED with a reason"
        )
    for name, reason in EXCLUDED.items():
        assert name in public, f"parse.EXCLUDED lists {name!r}, which is not public"
        assert len(reason) > 10
    assert len(FUNCTIONS) > 120


def test_every_public_method_is_parseable_or_excluded_with_a_reason():
    public = {
        n for n, m in vars(sg.Expr).items() if not n.startswith("_") and inspect.isfunction(m)
    }
    assert public == set(METHODS) | set(EXCLUDED_METHODS)
    assert not set(METHODS) & set(EXCLUDED_METHODS)


def test_the_functions_the_old_table_missed():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 3))
    v = np.abs(rng.normal(size=4)) + 0.5
    A = sg.var("A", shape=(3, 3))
    x = sg.var("x", shape=(4,))
    cases = {
        "det(A)": np.linalg.det(a),
        "linalg.det(A)": np.linalg.det(a),
        "einsum('ij,jk->ik', A, A)": a @ a,
        "cumsum(x)": np.cumsum(v),
        "x.cumsum()": np.cumsum(v),
        "log2(x)": np.log2(v),
        "trace(A)": np.trace(a),
        "A.trace()": np.trace(a),
        "slogdet(A)[1]": np.linalg.slogdet(a)[1],
        "eigh(A @ A.T).eigenvalues": np.linalg.eigh(a @ a.T).eigenvalues,
        "norm(A, 'fro')": np.linalg.norm(a, "fro"),
        "pad(x, 1, mode='edge')": np.pad(v, 1, mode="edge"),
        "x[[0, 0, 3]]": v[[0, 0, 3]],
        "softmax(x, axis=-1)": np.exp(v) / np.exp(v).sum(),
        "x % 0.3": v % 0.3,
        "-x**2": -(v**2),
        "astype(x, 'float32')": v.astype(np.float32),
        "where(x == x[0], 1.0, x)": np.where(v == v[0], 1.0, v),
        "where(x != 0.3, x, 0.0)": np.where(v != 0.3, v, 0.0),
    }
    for text, expected in cases.items():
        expr = parse(text, {"A": A, "x": x})
        value = sg.compile(expr, inputs=[A, x])(a, v)
        np.testing.assert_allclose(value, expected, rtol=1e-6, err_msg=text)


def test_variables_are_in_order_of_appearance():
    assert variable_names("sin(x) * y + sum(A @ v) + x") == ["x", "y", "A", "v"]
    assert variable_names("linalg.det(A) + x.sum()") == ["A", "x"]
    assert variable_names("max + max(x)") == ["max", "x"]  # a variable may share a name


@pytest.mark.parametrize(
    "text, message",
    [
        ("sinn(x)", "did you mean sin"),
        ("x.summ()", "did you mean sum"),
        ("np.sin(x)", "np.sin is written sin here: drop the 'np.' prefix"),
        ("numpy.exp(x)", "drop the 'numpy.' prefix"),
        ("jnp.tanh(x)", "drop the 'jnp.' prefix"),
        ("torch.sigmoid(x)", "drop the 'torch.' prefix"),
        ("np.linalg.det(A)", "np.linalg.det is written linalg.det here"),
        ("linalg.dett(A)", "did you mean linalg.det"),
        ("np.frobnicate(x)", "unknown function 'np.frobnicate'"),
        ("np.pi * x", "drop the 'np.' prefix"),
        ("while_loop(x)", "takes Python functions"),
        ("x.eval()", "evaluate the expression at --at"),
        ("x if x > 0 else -x", "use where(cond, a, b)"),
        ("x and y", "'and'/'or'"),
        ("explore(x, 'page.html')", "use the command: symgrad explore"),  # writes no file
        ("origin_of(x)", "not an expression"),
    ],
)
def test_near_misses_get_a_hint(text, message):
    with pytest.raises(ParseError) as error:
        variable_names(text)
        parse(text, {n: sg.var(n) for n in variable_names(text)})
    assert message in str(error.value)


def test_keywords_come_from_the_signature():
    x = sg.var("x", shape=(2, 3))
    assert parse("sum(x, axis=0, keepdims=True)", {"x": x}).shape == (1, 3)
    with pytest.raises(ParseError, match="sum\\(\\) takes no keyword 'axs'; did you mean axis"):
        parse("sum(x, axs=0)", {"x": x})


# --- fuzzing the command line ----------------------------------------------------------------

_ATOMS = ["x", "y", "A", "1", "2.5", "0", "-1", "1e308", "pi", "'ii'", "None", "True", "()", "[]",
          "PAYLOAD"]  # fmt: skip
_FUNCTIONS = sorted(FUNCTIONS) + [
    "np.sin", "foo", "__import__", "open", "eval", "cond", "x.sum", "x.T", "A.trace", "x.eval",
]  # fmt: skip
_OPERATORS = [" + ", " - ", " * ", " / ", " ** ", " @ ", " % ", " < ", " >= "]
_SUFFIXES = ["[0]", "[1:]", "[::-1]", "[..., None]", "[[0, 0]]", ".T", ".sum()", ".sum(axis=0)"]
_JUNK = ["(", ")", "[", ".", ":", "-", " if ", " lambda ", "'", "\x00", "__class__", "=", ";"]

_expressions = st.recursive(
    st.sampled_from(_ATOMS),
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(_FUNCTIONS), st.lists(inner, min_size=1, max_size=3)).map(
            lambda t: f"{t[0]}({', '.join(t[1])})"
        ),
        st.tuples(inner, st.sampled_from(_OPERATORS), inner).map("".join),
        st.tuples(inner, st.sampled_from(_SUFFIXES)).map("".join),
        inner.map(lambda e: f"-{e}"),
        inner.map(lambda e: f"({e})"),
    ),
    max_leaves=10,
)


def _one_argument(function):
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return False
    required = [p for p in parameters if p.default is p.empty and p.kind != p.VAR_POSITIONAL]
    return len(required) == 1


# Mostly well-formed: unary functions of the variables, combined by operators.
_UNARY = sorted(n for n, f in FUNCTIONS.items() if _one_argument(f))
_typed = st.recursive(
    st.sampled_from(["x", "y", "A", "2.0", "x[0]", "A[1]", "x.sum()", "PAYLOAD"]),
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(_UNARY), inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, st.sampled_from(_OPERATORS), inner).map("".join),
        inner.map(lambda e: f"sum({e})"),
    ),
    max_leaves=8,
)
_texts = st.one_of(
    _typed,
    _expressions,
    st.tuples(_expressions, st.sampled_from(_JUNK), _expressions).map("".join),
    st.text(max_size=30),
)

_POINT = {"x": "x=[0.5, -1.5]", "y": "y=2", "A": "A=[[1, 2], [3, 4]]"}
_SHAPE = {"x": "x=2", "y": "y=", "A": "A=2,2"}


def _arguments(command, text):
    """The --at (or --var) arguments for the variables ``text`` uses."""
    try:
        names = variable_names(text)
    except ParseError:
        names = []
    option, table = ("--var", _SHAPE) if command == "show" else ("--at", _POINT)
    return [a for n in names if n in table for a in (option, table[n])]


@settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(expression=_texts, command=st.sampled_from(["grad", "jacobian", "check", "show"]))
def test_fuzzed_expressions_give_a_result_or_one_line_error(capsys, tmp_path, expression, command):
    canary = tmp_path / "canary"
    payload = expression.replace("PAYLOAD", f"__import__('os').system('touch {canary}')")
    argv = [command, payload, *_arguments(command, payload)]
    if command != "show":
        argv += ["--no-sympy"]
    code = main(argv)
    captured = capsys.readouterr()
    assert not os.path.exists(canary)
    assert code in (0, 1, 2), (argv, captured.err)
    if code == 2:
        assert captured.err.startswith("symgrad: error: "), (argv, captured.err)
        assert captured.err.count("\n") == 1, (argv, captured.err)
    else:
        assert captured.err == "", (argv, captured.err)
