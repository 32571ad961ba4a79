"""The ``symgrad`` command."""

import io
import subprocess
import sys

import pytest

from symgrad import demo
from symgrad.cli import main


def test_demo_passes_every_example():
    out = io.StringIO()
    assert demo.run(out) == 0
    text = out.getvalue()
    assert "FAIL" not in text
    assert text.count("PASS") == len(demo.EXAMPLES)


def test_demo_reports_a_failing_example(monkeypatch):
    broken = demo.Outcome("broken", ["wrong"], ok=False)
    monkeypatch.setattr(demo, "EXAMPLES", [lambda: broken])
    out = io.StringIO()
    assert demo.run(out) == 1
    assert "FAIL  broken" in out.getvalue()


def test_python_dash_m_runs_the_demo():
    done = subprocess.run(
        [sys.executable, "-m", "symgrad", "demo"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "examples passed" in done.stdout


def test_unknown_command_exits_non_zero(capsys):
    try:
        main(["frobnicate"])
    except SystemExit as stop:
        assert stop.code != 0
    else:  # pragma: no cover
        raise AssertionError("argparse accepted an unknown command")


# --- symgrad grad ---------------------------------------------------------------------------


def _grad(capsys, *argv):
    code = main(["grad", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_grad_prints_value_gradient_sympy_and_check(capsys):
    code, out, err = _grad(capsys, "2*dot(x, x)", "--var", "x=4", "--at", "x=[0,1,2,3]")
    assert code == 0, err
    assert "value: 28." in out
    assert "dy/dx (symgrad): [ 0.,  4.,  8., 12.]" in out
    assert "dy/dx (SymPy):   [4*x[0], 4*x[1], 4*x[2], 4*x[3]]" in out
    assert "OK (rtol" in out


def test_grad_with_wrt_emit_and_check(capsys):
    code, out, _ = _grad(
        capsys,
        "sin(x) * y + sum(A @ v)",
        "--at",
        "x=0.5",
        "--at",
        "y=2",
        "--at",
        "A=[[1, 2], [3, 4]]",
        "--at",
        "v=[1, -1]",
        "--wrt",
        "x",
        "--wrt",
        "A",
        "--emit",
        "--check",
    )
    assert code == 0
    assert "dy/dx (SymPy):   y*cos(x)" in out
    assert "dy/dA (symgrad)" in out and "dy/dy" not in out
    assert "def evaluate(" in out and "import numpy as np" in out


def test_grad_shape_declared_and_checked(capsys):
    code, _, err = _grad(capsys, "sum(x)", "--var", "x=3", "--at", "x=[1, 2]")
    assert code == 2
    assert err.startswith("symgrad: error:") and "'x'" in err and err[-1] == "\n"


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('echo pwned')",
        "x.__class__.__bases__",
        "open('/etc/passwd')",
        "exec('print(1)')",
        "[c for c in ().__class__.__base__.__subclasses__()]",
        "lambda: 1",
        "x if x else x",
        "x; import os",
        "eval('1')",
        "globals()",
        "sin.__globals__",
        "(x := 3)",
        "f'{x}'",
        "_secret + x",
    ],
)
def test_hostile_expressions_are_refused_without_traceback(capsys, expression):
    code, out, err = _grad(capsys, expression, "--at", "x=1")
    assert code == 2
    assert err.startswith("symgrad: error:") and err.count("\n") == 1, err
    assert "Traceback" not in err and "pwned" not in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["", "--at", "x=1"], "empty"),
        (["x +", "--at", "x=1"], "not a valid expression"),
        (["foo(x)", "--at", "x=1"], "unknown function 'foo'"),
        (["y + 1", "--at", "x=1"], "'x' does not appear"),
        (["x + 1"], "no value for 'x'"),
        (["x + 1", "--at", "x=[1, 'a']"], "not a number"),
        (["x + 1", "--at", "x=__import__('os')"], "not a number"),
        (["x + 1", "--at", "x"], "NAME=VALUE"),
        (["x * 2", "--at", "x=[1, 2]"], "differentiate a scalar"),
        (["sum(x)", "--at", "x=[1, 2]", "--wrt", "z"], "--wrt z"),
        (["(" * 500 + "x" + ")" * 500, "--at", "x=1"], "nested"),
        (["x + 1", "--at", "x=" + "[" * 500 + "1" + "]" * 500], "not a number"),
    ],
)
def test_bad_input_gives_one_line_errors(capsys, argv, message):
    code, _, err = _grad(capsys, *argv)
    assert code == 2
    assert err.count("\n") == 1 and message in err, err


def test_huge_numbers_give_inf_not_a_crash(capsys):
    code, out, err = _grad(capsys, "x ** 99999999999999999999999 + 1e300", "--at", "x=2")
    assert code == 0, err
    assert "value: inf" in out
    assert "Warning" not in err


@pytest.mark.parametrize(
    "text, message",
    [
        ("x + 1e400", "is out of range"),
        ("sum(x * 9**9**9)", "the constant 9 ** 9 ** 9 is about 10**369693100"),
        ("sum(broadcast_to(x, (3000, 3000, 2)))", "at most 100000 elements"),
    ],
)
def test_huge_numbers_and_shapes_are_refused_up_front(capsys, text, message):
    # SymPy would compute 9**9**9 exactly, and 18 million elements one by one.
    code, out, err = _grad(capsys, text, "--at", "x=2")
    assert code == 2, out
    assert err.count("\n") == 1 and message in err, err


def test_check_flag_fails_on_a_mismatch(capsys):
    # At relu's kink symgrad follows the convention relu'(0) = 0, while central differences
    # see (h - 0) / 2h = 0.5: the check reports it, and --check turns it into exit status 1.
    code, out, _ = _grad(capsys, "relu(x)", "--at", "x=0", "--check")
    assert "MISMATCH" in out
    assert code == 1
    code, out, _ = _grad(capsys, "relu(x)", "--at", "x=0")
    assert code == 0


def test_grad_draws_the_gradient_graph(capsys, tmp_path):
    target = tmp_path / "g.svg"
    code, out, _ = _grad(capsys, "sum(sin(x) * x)", "--at", "x=[1, 2]", "--draw", str(target))
    assert code == 0 and f"wrote {target}" in out
    assert "<svg" in target.read_text()
    code, _, err = _grad(capsys, "sum(x)", "--at", "x=[1]", "--draw", str(tmp_path / "g.gif"))
    assert code == 2 and ".svg, .png, .dot" in err


def test_the_supported_ops_list_is_up_to_date():
    import pathlib

    from symgrad import coverage

    documented = pathlib.Path(__file__).parent.parent / "docs" / "ops.md"
    assert documented.read_text() == coverage.markdown(), (
        "docs/ops.md is stale: run python -m symgrad.coverage > docs/ops.md"
    )
