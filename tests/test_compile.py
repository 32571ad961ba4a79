"""Compiling graphs: the emitted source, binding inputs, saving, and safety of names."""

import ast
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import symgrad as sg
from tests.source import evaluate_lines


def test_classic_value():
    x = sg.var("x", shape=(4,))
    f = sg.compile(2 * sg.dot(x, x))
    assert float(f(np.array([0.0, 1.0, 2.0, 3.0]))) == 28.0


def test_source_is_one_readable_statement_per_op():
    x = sg.var("x", shape=(3,))
    w = sg.var("w", shape=(3,))
    f = sg.compile(sg.sin(x) * w + 1.0)
    body = f.source.split("def evaluate(x, w):")[1].split("\n\n\n")[0]
    assert "sin_x = np.sin(x)  # (3,) float64" in body
    assert "multiply = sin_x * w  # (3,) float64" in body
    assert "add = multiply + 1.0  # (3,) float64" in body
    assert "return add" in body
    assert f.stats.statements == 3
    assert "import" not in body
    imports = [line for line in f.source.splitlines() if line.startswith(("import", "from"))]
    assert imports == ["import numpy as np"]


def test_intermediates_are_deleted_after_last_use():
    x = sg.var("x", shape=(30_000,))
    a = sg.exp(x)
    b = a * 2.0
    c = b + a  # last use of a; b's buffer takes c, then sin(c)
    lines = evaluate_lines(sg.compile(sg.sin(c)))
    assert lines[lines.index("del exp_x") - 1] == "multiply += exp_x"
    assert lines[-2:] == ["np.sin(multiply, out=multiply)", "return multiply"]
    x = sg.var("x", shape=("n",))
    y = sg.var("y", shape=("n",))
    d = sg.exp(x) * sg.cos(y) + sg.sin(x) / sg.exp(y)
    lines = evaluate_lines(sg.compile([d.sum(), sg.grad(d.sum(), [x, y])]))
    deleted = [
        (i, name)
        for i, line in enumerate(lines)
        if line.startswith("del ")
        for name in line[4:].split(", ")
    ]
    assert deleted
    for i, name in deleted:  # read on the line before, never after
        assert name in lines[i - 1], (name, lines[i - 1])
        assert not any(name in line.replace(f"{name}_", "") for line in lines[i + 1 :])


def test_only_needed_nodes_are_computed():
    x = sg.var("x", shape=(3,))
    unused = sg.exp(x) * 100.0
    used = sg.sin(x)
    assert unused is not None
    f = sg.compile(used)
    assert "exp" not in f.source.split("def evaluate")[1].split("\n\n\n")[0]
    assert f.stats.after_pruning == 2 and f.stats.statements == 1


def test_call_by_position_and_by_name():
    x = sg.var("x", shape=(2,))
    y = sg.var("y", shape=(2,))
    f = sg.compile(x - y)
    a, b = np.array([5.0, 7.0]), np.array([1.0, 2.0])
    np.testing.assert_array_equal(f(a, b), [4.0, 5.0])
    np.testing.assert_array_equal(f(y=b, x=a), [4.0, 5.0])
    np.testing.assert_array_equal(f(a, y=b), [4.0, 5.0])


def test_default_inputs_follow_declaration_order_and_unused_are_accepted():
    a = sg.var("a")
    b = sg.var("b")
    c = sg.var("c")
    f = sg.compile(c * a)
    assert [v.name for v in f.inputs] == ["a", "c"]
    g = sg.compile(c * a, inputs=[c, b, a])
    assert float(g(2.0, 100.0, 5.0)) == 10.0


def test_inputs_must_cover_the_outputs():
    a, b = sg.var("a"), sg.var("b")
    with pytest.raises(sg.BindError, match="'b'"):
        sg.compile(a + b, inputs=[a])
    with pytest.raises(TypeError, match="inputs\\[0\\]"):
        sg.compile(a, inputs=[a + 1])


def test_output_structure_is_kept():
    x = sg.var("x")
    f = sg.compile({"square": x * x, "pair": [x + 1, (x + 2, x + 3)]})
    out = f(1.0)
    assert set(out) == {"square", "pair"}
    assert isinstance(out["pair"], list) and isinstance(out["pair"][1], tuple)
    assert float(out["pair"][1][1]) == 4.0
    single = sg.compile((x,))(2.0)
    assert isinstance(single, tuple) and len(single) == 1


def test_outputs_may_be_inputs_or_constants():
    x = sg.var("x", shape=(2,))
    f = sg.compile([x, sg.const([1.0, 2.0]), 3.0])
    a = np.array([4.0, 5.0])
    got = f(a)
    np.testing.assert_array_equal(got[0], a)
    got[1][0] = 99.0  # the caller may write to what it gets back...
    np.testing.assert_array_equal(f(a)[1], [1.0, 2.0])  # ...without changing the function
    assert float(got[2]) == 3.0


def test_same_function_called_twice_gives_same_answer():
    x = sg.var("x", shape=(3,))
    f = sg.compile((x * x).sum())
    a = np.arange(3.0)
    assert f(a) == f(a) == 5.0


def test_eval_shortcut():
    x = sg.var("x", shape=(2,))
    y = sg.var("y")
    assert float((x * y).sum().eval({x: [1.0, 2.0], "y": 3.0})) == 9.0
    assert float(sg.const(2.0).eval()) == 2.0


# --- input checks ---------------------------------------------------------------------------


@pytest.fixture
def f():
    x = sg.var("x", shape=("n", 3))
    w = sg.var("w", shape=(3, "m"))
    b = sg.var("b", shape=("m",), dtype="float32")
    return sg.compile(x @ w + b)


def test_bind_ok_with_consistent_symbolic_dims(f):
    out = f(np.ones((5, 3)), np.ones((3, 2)), np.ones(2, np.float32))
    assert out.shape == (5, 2)


def test_missing_input(f):
    with pytest.raises(sg.BindError, match="missing input.*'b'"):
        f(np.ones((5, 3)), np.ones((3, 2)))
    with pytest.raises(sg.BindError, match="missing input 'w'"):
        f(x=np.ones((5, 3)), b=np.ones(2, np.float32))


def test_extra_input(f):
    with pytest.raises(sg.BindError, match="unexpected input 'z'"):
        f(x=np.ones((5, 3)), w=np.ones((3, 2)), b=np.ones(2, np.float32), z=1)
    with pytest.raises(sg.BindError, match="got 4 inputs, expected 3"):
        f(1, 2, 3, 4)


def test_wrong_shape(f):
    with pytest.raises(sg.BindError, match=r"'x' expects shape \(n, 3\); got \(5, 4\)"):
        f(np.ones((5, 4)), np.ones((3, 2)), np.ones(2, np.float32))
    with pytest.raises(sg.BindError, match=r"'x' expects shape \(n, 3\); got \(3,\)"):
        f(np.ones(3), np.ones((3, 2)), np.ones(2, np.float32))


def test_inconsistent_symbolic_dims(f):
    with pytest.raises(sg.BindError, match=r"'b' expects shape \(m,\), m = 2; got \(3,\)"):
        f(np.ones((5, 3)), np.ones((3, 2)), np.ones(3, np.float32))


def test_repeated_symbolic_dim_in_one_input():
    a = sg.var("a", shape=("n", "n"))
    f = sg.compile(a.T @ a)
    assert f(np.eye(2)).shape == (2, 2)
    with pytest.raises(sg.BindError, match=r"\(n, n\)"):
        f(np.ones((2, 3)))


def test_wrong_dtype(f):
    x, w = np.ones((5, 3)), np.ones((3, 2))
    with pytest.raises(sg.BindError, match="'b' expects float32; got float64"):
        f(x, w, np.ones(2))  # would lose precision
    with pytest.raises(sg.BindError, match="'x' expects float64"):
        f(np.ones((5, 3), dtype=complex), w, np.ones(2, np.float32))
    with pytest.raises(sg.BindError, match="'x'"):
        f("not numbers", w, np.ones(2, np.float32))
    with pytest.raises(sg.BindError, match="'x'"):
        f([[1, 2, 3], [4, 5]], w, np.ones(2, np.float32))


def test_lossless_conversions_are_made(f):
    x = np.ones((5, 3), dtype=np.int32)
    out = f(x.tolist(), np.ones((3, 2), np.float32), [1, 2])
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, np.full((5, 2), 3.0) + [1, 2])


def test_bind_error_is_type_and_value_error():
    assert issubclass(sg.BindError, TypeError) and issubclass(sg.BindError, ValueError)


# --- names cannot inject code -------------------------------------------------------------

HOSTILE_NAMES = [
    "class",
    "def",
    "None",
    "np",
    "evaluate",
    "_input",
    "1x",
    "",
    " ",
    "x y",
    "a-b",
    "x'); import os; os.system('echo pwned'); ('",
    'x"""\nimport os\n"""',
    "x\nimport os",
    "x\r\nos.system('echo pwned')",
    "\u2028__import__('os')",
    "\\",
    "ñame",
    "x" * 500,
    "__builtins__",
    "print",
]


def test_any_string_is_a_valid_name_and_cannot_inject(tmp_path):
    dims = sg.var("'); import os #", shape=("n'); import os #\nimport sys", 2))
    variables = [sg.var(name, shape=(2,)) for name in HOSTILE_NAMES]
    total = dims.sum(axis=0)
    for v in variables:
        total = total + sg.sin(v)
    f = sg.compile(total)
    _assert_no_code_but_numpy(f.source)
    args = [np.full(2, float(i)) for i in range(len(variables))]
    expected = np.ones(2) * 3 + sum(np.sin(a) for a in args)
    np.testing.assert_allclose(f(np.ones((3, 2)), *args), expected)
    assert f(
        **{"'); import os #": np.ones((3, 2))}, **{n: a for n, a in zip(HOSTILE_NAMES, args)}
    ).shape == (2,)


BUILTINS_IN_EMITTED_CODE = ["range", "float", "abs", "max", "min"]


def test_variables_named_after_builtins_do_not_shadow_them():
    """The emitted code calls these builtins in loops, scalar code and reductions."""
    big = [sg.var(name, shape=(300_000,)) for name in BUILTINS_IN_EMITTED_CODE]
    scalars = [sg.var(name) for name in BUILTINS_IN_EMITTED_CODE]
    blocked = sg.sum(sg.sin(big[0]) * big[1] + abs(big[2]) + sg.maximum(big[3], big[4]))
    looped = sg.fori_loop(3, lambda i, c: c * scalars[0] + scalars[1], scalars[2])
    scalar = sg.sin(scalars[3]) * abs(scalars[4]) + looped
    arrays = [np.linspace(-1.0, 1.0, 300_000) * k for k in range(1, 6)]
    numbers = [0.5, 2.0, -3.0, 0.25, -4.0]
    a, b, c, d, e = arrays
    expected = np.sum(np.sin(a) * b + np.abs(c) + np.maximum(d, e))
    assert "for start in range(" in sg.compile(blocked).source
    np.testing.assert_allclose(sg.compile(blocked)(*arrays), expected, rtol=1e-12)
    r, f, ab, mx, mn = numbers
    carry = ab
    for _ in range(3):
        carry = carry * r + f
    got = sg.compile(scalar)(*numbers)
    np.testing.assert_allclose(got, np.sin(mx) * abs(mn) + carry, rtol=1e-12)


def _assert_no_code_but_numpy(source):
    """Names from users may only appear inside string literals and comments."""
    tree = ast.parse(source)
    imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert [alias.name for n in imports for alias in n.names] == ["numpy"]
    identifiers = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    identifiers |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert not identifiers & {"os", "sys", "system", "__import__", "eval", "exec"}
    top = [type(n).__name__ for n in tree.body]
    assert set(top) <= {"Expr", "Import", "Assign", "FunctionDef", "ClassDef"}, top


def test_hostile_names_appear_in_errors_verbatim():
    name = "x\n'; drop"
    f = sg.compile(sg.var(name, shape=(2,)) * 2)
    with pytest.raises(sg.BindError) as info:
        f(np.ones(3))
    assert repr(name) in str(info.value)


# --- saving -------------------------------------------------------------------------------


def test_saved_module_runs_without_symgrad(tmp_path):
    x = sg.var("x", shape=("n",))
    big = sg.const(np.linspace(0.0, 1.0, 1000))
    y = sg.var("y", shape=(1000,), dtype="float32")
    f = sg.compile([(x * x).sum() + sg.logsumexp(x), y * big, sg.softmax(x)])
    path = tmp_path / "model.py"
    f.save(path)
    script = textwrap.dedent(f"""
        import sys
        sys.modules["symgrad"] = None  # make sure symgrad cannot be imported
        import numpy as np
        sys.path.insert(0, {str(tmp_path)!r})
        import model
        out = model.evaluate(np.array([1.0, 2.0, 3.0]), np.ones(1000, np.float32))
        np.save({str(tmp_path / "out0.npy")!r}, out[0])
        np.save({str(tmp_path / "out1.npy")!r}, out[1])
        np.save({str(tmp_path / "out2.npy")!r}, out[2])
        try:
            model.evaluate(np.array([1.0]), np.ones(3, np.float32))
        except (TypeError, ValueError) as error:
            print("error:", error)
    """)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "error: input 'y' expects shape (1000,); got (3,)" in done.stdout
    expected = f(np.array([1.0, 2.0, 3.0]), np.ones(1000, np.float32))
    for i in range(3):
        np.testing.assert_array_equal(np.load(tmp_path / f"out{i}.npy"), expected[i])
