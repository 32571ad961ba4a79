"""The ``symgrad`` command: its subcommands, their shared layout, and one-line errors."""

import ast
import io
import os
import re
import subprocess
import sys
import time

import numpy as np
import pytest

import symgrad as sg
from symgrad import demo
from symgrad.cli import COMMANDS, main


def _run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _one_line_error(code, err):
    assert code == 2, err
    assert err.startswith("symgrad: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and "internal error" not in err, err


# --- demo, version, ops ----------------------------------------------------------------------


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


def test_demo_while_and_cond_says_what_it_computes():
    outcome = demo._while_and_cond()
    assert outcome.ok
    assert "df/da = f(a)/a" in outcome.title
    for line in outcome.lines:  # each line shows df/da next to f(a)/a, and they are equal
        numbers = dict(re.findall(r"(df/da|f\(a\)/a) = +(-?[\d.e+]+)", line))
        assert float(numbers["df/da"]) == float(numbers["f(a)/a"]), line


def test_python_dash_m_runs_the_demo():
    done = subprocess.run(
        [sys.executable, "-m", "symgrad", "demo"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "examples passed" in done.stdout


def test_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"symgrad {sg.__version__}"


def test_unknown_command_is_a_one_line_error(capsys):
    code, _, err = _run(capsys, "frobnicate")
    _one_line_error(code, err)
    assert "'frobnicate'" in err and "grad" in err


def test_ops_lists_every_parseable_function(capsys):
    from symgrad.parse import EXCLUDED, FUNCTIONS, METHODS

    code, out, _ = _run(capsys, "ops")
    assert code == 0
    for name in ("det", "einsum", "cumsum", "log2", "trace", "sin", "softmax"):
        assert re.search(rf"^  {name}\(", out, re.M), name
    for name in FUNCTIONS:
        if not name.startswith("linalg."):
            assert re.search(rf"^  {re.escape(name)}\(", out, re.M), name
    for name in METHODS:
        assert f"x.{name}(" in out, name
    for name, reason in EXCLUDED.items():
        assert f"  {name}: {reason}" in out


# --- grad: the layout, and what was fixed ------------------------------------------------------


def test_grad_prints_value_gradient_sympy_and_check(capsys):
    code, out, err = _run(capsys, "grad", "2*dot(x, x)", "--var", "x=4", "--at", "x=[0,1,2,3]")
    assert code == 0, err
    assert "expression  f = 2*dot(x, x)" in out
    assert "SymPy       f = 2*x[0]**2 + 2*x[1]**2 + 2*x[2]**2 + 2*x[3]**2" in out
    assert "at          x = [0., 1., 2., 3.]" in out
    assert "value       f     = 28." in out
    assert "symgrad     df/dx = [ 0.,  4.,  8., 12.]" in out
    assert "SymPy       df/dx = [4*x[0], 4*x[1], 4*x[2], 4*x[3]]" in out
    assert "OK (rtol" in out


def test_a_variable_named_like_the_output_renames_the_output(capsys):
    code, out, _ = _run(capsys, "grad", "x * y", "--at", "x=2", "--at", "y=3")
    assert code == 0
    assert "df/dy = 2." in out and "dy/dy" not in out
    code, out, _ = _run(capsys, "grad", "f * x", "--at", "f=2", "--at", "x=3")
    assert code == 0
    assert "expression  g = f * x" in out
    assert "dg/df = 3." in out and "dg/dx = 2." in out


def test_variables_are_listed_in_the_order_they_appear(capsys):
    code, out, _ = _run(
        capsys,
        "grad",
        "sin(x) * y + sum(A @ v)",
        "--at",
        "v=[1, -1]",
        "--at",
        "A=[[1, 2], [3, 4]]",
        "--at",
        "y=2",
        "--at",
        "x=0.5",
    )
    assert code == 0
    at_rows = re.findall(r"^at +(\w+) =", out, re.M)
    assert at_rows == ["x", "y", "A", "v"]
    derivative_rows = re.findall(r"^symgrad +df/d(\w+) ", out, re.M)
    assert derivative_rows == ["x", "y", "A", "v"]
    assert re.findall(r"^(\w+) +\S+ +\S+ +\S+ +\S+ +yes$", out, re.M) == ["x", "y", "A", "v"]


def test_multi_row_arrays_keep_their_rows_and_indentation(capsys):
    code, out, _ = _run(
        capsys, "grad", "sum(x*y)", "--at", "x=[[1,0],[0,1]]", "--at", "y=[[1,2],[3,4]]"
    )
    assert code == 0
    assert (
        "symgrad     df/dx = [[1., 2.],\n"
        "                     [3., 4.]]\n"
        "SymPy       df/dx = [[y[0, 0], y[0, 1]],\n"
        "                     [y[1, 0], y[1, 1]]]\n"
    ) in out
    assert "at          y = [[1., 2.],\n                 [3., 4.]]" in out


def test_huge_formulas_are_summarized_unless_full(capsys):
    argv = ["grad", "prod(sin(x) + cos(x)**2)", "--at", "x=" + str([0.1 * i for i in range(12)])]
    code, out, _ = _run(capsys, *argv)
    assert code == 0
    assert "characters)" in out and "--full shows everything" in out
    assert max(len(line) for line in out.splitlines()) < 400
    code, full, _ = _run(capsys, *argv, "--full")
    assert code == 0
    assert "characters)" not in full and "--full" not in full
    assert len(full) > 2 * len(out)


def test_large_arrays_are_summarized_unless_full(capsys):
    code, out, _ = _run(
        capsys, "grad", "sum(x**2)", "--var", "x=100", "--at", f"x={[1.0] * 100}", "--no-sympy"
    )
    assert code == 0
    assert "2., 2., 2., ..., 2., 2., 2." in out
    code, out, _ = _run(
        capsys, "grad", "sum(x**2)", "--at", f"x={[1.0] * 100}", "--no-sympy", "--full"
    )
    assert "..." not in out.split("check against")[0]


def test_a_repeated_at_is_refused(capsys):
    code, _, err = _run(capsys, "grad", "x * 2", "--at", "x=1", "--at", "x=2")
    _one_line_error(code, err)
    assert "--at x is given twice" in err


def test_a_kink_is_named_as_such(capsys):
    # At relu's kink symgrad follows the convention relu'(0) = 0, while central differences
    # see (h - 0) / 2h = 0.5: the check reports the mismatch, says the point is a kink, and
    # --check turns it into exit status 1.
    code, out, _ = _run(capsys, "grad", "relu(x)", "--at", "x=0", "--check")
    assert code == 1
    assert "MISMATCH" in out
    assert "not differentiable at x = 0 (slope 0 from the left, 1 from the right)" in out
    code, out, _ = _run(capsys, "grad", "relu(x)", "--at", "x=0")
    assert code == 0
    code, out, _ = _run(capsys, "grad", "sum(abs(x - 1))", "--at", "x=[1, 2]", "--check")
    assert code == 0, out  # central differences see 0 at abs's kink: no mismatch, no note
    assert "not differentiable" not in out


def test_a_real_mismatch_is_not_called_a_kink(monkeypatch, capsys):
    from symgrad.check import gradcheck

    real = gradcheck.grad
    monkeypatch.setattr(gradcheck, "grad", lambda y, wrt: [2 * g for g in real(y, wrt)])
    code, out, _ = _run(capsys, "check", "sum(x**3)", "--at", "x=[1, 2]")
    assert code == 1 and "MISMATCH" in out
    assert "not differentiable" not in out


def test_shape_errors_name_the_expression_not_an_internal_file(capsys):
    code, _, err = _run(
        capsys, "grad", "sum(A @ v)", "--at", "A=[[1,2],[3,4]]", "--at", "v=[1,2,3]"
    )
    _one_line_error(code, err)
    assert "matmul: shapes (2, 2) and (3,) are not aligned" in err
    assert "in 'A @ v' (column 5)" in err
    assert ".py" not in err and "(at " not in err


def test_draw_to_png_without_a_route_fails_before_the_report(monkeypatch, capsys, tmp_path):
    import importlib.util
    import shutil

    monkeypatch.setattr(shutil, "which", lambda name: None)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "matplotlib" else real_find_spec(name, *a),
    )
    code, out, err = _run(
        capsys, "grad", "sum(x)", "--at", "x=[1]", "--draw", str(tmp_path / "g.png")
    )
    _one_line_error(code, err)
    assert "PNG needs" in err
    assert out == ""  # refused before anything was computed or printed


def test_grad_draws_the_gradient_graph(capsys, tmp_path):
    target = tmp_path / "g.svg"
    code, out, _ = _run(
        capsys, "grad", "sum(sin(x) * x)", "--at", "x=[1, 2]", "--draw", str(target)
    )
    assert code == 0 and f"wrote {target}" in out
    assert "<svg" in target.read_text()
    code, out, err = _run(
        capsys, "grad", "sum(x)", "--at", "x=[1]", "--draw", str(tmp_path / "g.gif")
    )
    _one_line_error(code, err)
    assert ".svg, .png, .dot" in err and out == ""


def test_grad_with_wrt_emit_and_check(capsys):
    code, out, _ = _run(
        capsys, "grad", "sin(x) * y + sum(A @ v)",
        "--at", "x=0.5", "--at", "y=2", "--at", "A=[[1, 2], [3, 4]]", "--at", "v=[1, -1]",
        "--wrt", "x", "--wrt", "A", "--emit", "--check",
    )  # fmt: skip
    assert code == 0
    assert "SymPy       df/dx = y*cos(x)" in out
    assert "df/dA" in out and "df/dy" not in out and "df/dv" not in out
    assert "def evaluate(" in out and "import numpy as np" in out


def test_expressions_starting_with_a_minus_are_not_options(capsys):
    code, out, err = _run(capsys, "grad", "-x**2", "--at", "x=3")
    assert code == 0, err
    assert "value       f     = -9." in out and "symgrad     df/dx = -6." in out
    code, out, err = _run(capsys, "grad", "--at", "x=[1, 2]", "-sum(x**2)", "--no-sympy")
    assert code == 0, err
    assert "df/dx = [-2., -4.]" in out
    code, out, err = _run(capsys, "emit", "-x", "--order", "0", "--var", "x=3")
    assert code == 0 and "def evaluate(x):" in out and "-x" in out


def test_a_comparison_used_as_a_number_is_checked_without_sympy(capsys):
    code, out, err = _run(capsys, "grad", "sum(x) + sin(x[0] > 0)", "--at", "x=[1, 2]")
    assert code == 0, err
    assert "Traceback" not in err and err == ""
    assert "SymPy       skipped: SymPy failed on this expression" in out
    assert "symgrad     df/dx = [1., 1.]" in out and "OK (rtol" in out


def test_no_sympy_skips_sympy(monkeypatch, capsys):
    from symgrad.check import sympy_bridge

    def refuse(*args, **kwargs):
        raise AssertionError("SymPy was asked")

    monkeypatch.setattr(sympy_bridge, "to_object_arrays", refuse)
    monkeypatch.setattr("symgrad.commands.derivatives.to_object_arrays", refuse)
    monkeypatch.setattr("symgrad.check.gradcheck.to_object_arrays", refuse)
    code, out, err = _run(capsys, "grad", "sum(x**2)", "--at", "x=[1, 2]", "--no-sympy")
    assert code == 0, err
    assert "SymPy       not asked (--no-sympy)" in out
    assert "skipped" in out and "OK (rtol" in out


def _slow(*args, **kwargs):
    end = time.monotonic() + 30
    while time.monotonic() < end:  # Python bytecode: the timer signal can stop it
        time.sleep(0.001)
    raise AssertionError("the time budget did not stop SymPy")


def test_timeout_bounds_the_sympy_step(monkeypatch, capsys):
    monkeypatch.setattr("symgrad.commands.derivatives.to_object_arrays", _slow)
    monkeypatch.setattr("symgrad.check.gradcheck.to_object_arrays", _slow)
    start = time.monotonic()
    code, out, err = _run(capsys, "grad", "sum(x**2)", "--at", "x=[1, 2]", "--timeout", "0.2")
    assert time.monotonic() - start < 5
    assert code == 0, err
    assert "SymPy       skipped: it took longer than 0.2 s" in out
    assert "symgrad     df/dx = [2., 4.]" in out and "OK (rtol" in out


def test_huge_graphs_are_not_given_to_sympy(capsys):
    start = time.monotonic()
    code, out, err = _run(
        capsys, "grad", "sum(broadcast_to(x, (1000, 1000, 2)))", "--at", "x=[1, 2]"
    )
    assert time.monotonic() - start < 30
    assert code == 0, err
    assert "SymPy       skipped: the graph's arrays hold 2,000,003 elements" in out
    assert "symgrad     df/dx = [1000000., 1000000.]" in out and "OK (rtol" in out


def test_singular_points_are_reported_not_a_crash(capsys):
    # d/dx sqrt(x) = 1 / (2 sqrt(x)) does not exist at 0: that element is named, the others
    # are compared, and the whole report comes out.
    code, out, err = _run(capsys, "grad", "sum(sqrt(x))", "--at", "x=[0, 4]")
    assert code == 0, err
    assert "symgrad     df/dx = [ inf, 0.25]" in out
    assert re.search(r"^x +singular +\S+ +\S+ +NO$", out, re.M), out
    assert "singular point at x[0]" in out and "MISMATCH" in out
    code, out, err = _run(capsys, "hessian", "sqrt(x)*y", "--at", "x=0", "--at", "y=2")
    assert code == 0, err
    assert re.search(r"^d\^2f/dx\^2 +singular", out, re.M), out
    assert re.search(r"^d\^2f/dy\^2 +0\.00e\+00 .* yes$", out, re.M), out
    assert "singular point at d^2f/dx dy" in out
    code, out, err = _run(capsys, "check", "sum(sqrt(x))", "--at", "x=[0, 4]")
    assert code == 1, err


def test_check_grad_time_budget_and_sympy_switch(monkeypatch):
    x = sg.var("x", shape=(2,))
    y = (x**2).sum()
    report = sg.check_grad(y, x, {x: [1.0, 2.0]}, sympy=False)
    assert report.ok and report.variables[0].sympy is None
    assert "SymPy skipped: sympy=False" in report.note
    monkeypatch.setattr("symgrad.check.gradcheck.to_object_arrays", _slow)
    start = time.monotonic()
    report = sg.check_grad(y, x, {x: [1.0, 2.0]}, timeout=0.2)
    assert time.monotonic() - start < 5
    assert report.ok and report.variables[0].sympy is None
    assert "took longer than its time budget, timeout=0.2 s" in report.note


# --- hessian, jacobian, --order, check -------------------------------------------------------


def test_hessian_blocks_against_hand_derived_formulas(capsys):
    code, out, err = _run(capsys, "hessian", "x**3*y + sin(x*y)", "--at", "x=1", "--at", "y=2")
    assert code == 0, err
    x, y = 1.0, 2.0
    expected = {
        "d^2f/dx^2": 6 * x * y - y**2 * np.sin(x * y),
        "d^2f/dx dy": 3 * x**2 + np.cos(x * y) - x * y * np.sin(x * y),
        "d^2f/dy^2": -(x**2) * np.sin(x * y),
    }
    for label, value in expected.items():
        shown = re.search(rf"^symgrad +{re.escape(label)} += (\S+)$", out, re.M)
        assert shown and float(shown.group(1)) == pytest.approx(value, rel=1e-7), label
    assert "SymPy       d^2f/dx dy = 3*x**2 - x*y*sin(x*y) + cos(x*y)" in out
    assert re.search(r"^derivative +vs SymPy", out, re.M) and "OK (rtol" in out


def test_hessian_of_a_quadratic_form(capsys):
    code, out, _ = _run(capsys, "hessian", "x @ A @ x", "--at", "x=[1, 2]",
                        "--at", "A=[[2, 1], [-1, 3]]", "--wrt", "x")  # fmt: skip
    assert code == 0
    assert "symgrad     d^2f/dx^2 = [[4., 0.],\n                         [0., 6.]]" in out


def test_order_three(capsys):
    code, out, _ = _run(capsys, "grad", "x**4", "--at", "x=2", "--order", "3")
    assert code == 0
    assert "symgrad     d^3f/dx^3 = 48." in out and "SymPy       d^3f/dx^3 = 24*x" in out


def test_jacobian_of_a_vector_expression(capsys):
    code, out, _ = _run(capsys, "jacobian", "sin(x)*2", "--at", "x=[1, 2]")
    assert code == 0
    c1, c2 = 2 * np.cos(1.0), 2 * np.cos(2.0)
    shown = out.split("symgrad     df/dx = ")[1].split("\nSymPy")[0]
    values = np.array(ast.literal_eval(shown.replace("\n", "")))
    np.testing.assert_allclose(values, [[c1, 0.0], [0.0, c2]], rtol=1e-7)
    assert "[[2*cos(x[0]), 0],\n" in out
    assert "entry [i..., j...] of df/dx is the derivative of f[i...]" in out


def test_order_zero_prints_the_value_alone(capsys):
    code, out, _ = _run(capsys, "grad", "x * 2", "--at", "x=1.5", "--order", "0")
    assert code == 0
    assert "value       f = 3." in out and "symgrad" not in out and "check" not in out


def test_check_command_exit_status(capsys):
    code, out, _ = _run(
        capsys, "check", "sum(tanh(x) * w)", "--at", "x=[0.1, -0.4]", "--at", "w=1.5"
    )
    assert code == 0
    assert re.findall(r"^(\w+) .* yes$", out, re.M) == ["x", "w"]
    code, out, _ = _run(capsys, "check", "relu(x)", "--at", "x=0")
    assert code == 1 and "MISMATCH" in out


# --- complex values ----------------------------------------------------------------------------


def test_grad_of_a_real_function_of_a_complex_variable(capsys):
    code, out, err = _run(capsys, "grad", "abs(z)**2", "--at", "z=1+2j")
    assert code == 0, err
    assert "at          z = 1.+2.j" in out
    assert "value       f     = 5." in out
    # d/dx - i d/dy of x^2 + y^2: 2x - 2iy, twice conj(z) (JAX's and autograd's convention)
    assert "symgrad     df/dz = 2.-4.j" in out
    assert re.search(r"^z +\S+ +\S+ +\S+ +\S+ +yes$", out, re.M), out
    assert "OK (rtol" in out


def test_complex_arrays_mixed_with_real_variables(capsys):
    code, out, err = _run(
        capsys, "grad", "sum(real(z * z) * x) + real(imag(z[1]) * 2j * 1j)", "--at", "z=[1j, 2-1j]",
        "--at", "x=[0.5, -1]",
    )  # fmt: skip
    assert code == 0, err
    # real(z^2) x: d/dz = 2 z x, d/dx = real(z^2); -2 imag(z[1]): d/dz[1] = 0 - i (-2)
    assert "symgrad     df/dz = [ 0.+1.j, -4.+4.j]" in out
    assert "symgrad     df/dx = [-1.,  3.]" in out
    assert re.findall(r"^(\w+) .* yes$", out, re.M) == ["z", "x"]


def test_complex_values_with_a_declared_dtype_and_the_check_command(capsys):
    code, out, err = _run(
        capsys, "check", "sum(abs(z - 1j) ** 2)", "--var", "z=2:complex64", "--at", "z=[1, 1j]"
    )
    assert code == 0, err
    assert "at          z = [1.+0.j, 0.+1.j]" in out and "OK (rtol" in out
    code, out, err = _run(capsys, "grad", "z * z", "--at", "z=1+1j", "--order", "0")
    assert code == 0, err
    assert "value       f = 0.+2.j" in out
    code, out, err = _run(capsys, "emit", "abs(z)", "--var", "z=3:complex128")
    assert code == 0 and "complex128" in out, err


# --- emit, show, draw ------------------------------------------------------------------------


def test_emit_prints_only_the_source(monkeypatch, capsys):
    monkeypatch.setattr("symgrad.commands.derivatives.to_object_arrays", _slow)
    code, out, _ = _run(capsys, "emit", "sum(sin(x) * w)", "--var", "x=n", "--var", "w=n")
    assert code == 0
    assert out.startswith("# evaluate returns [f, df/dx, df/dw] for f = sum(sin(x) * w)\n")
    namespace = {}
    exec(compile(out, "<emitted>", "exec"), namespace)  # the source runs as it is
    x, w = np.array([0.1, 0.2]), np.array([3.0, 4.0])
    value, dx, dw = namespace["evaluate"](x, w)
    assert value == pytest.approx(np.sum(np.sin(x) * w))
    np.testing.assert_allclose(dx, w * np.cos(x))
    np.testing.assert_allclose(dw, np.sin(x))


def test_show_lists_forward_and_gradient_nodes(capsys):
    code, out, _ = _run(capsys, "show", "sum(sin(x) * x)", "--var", "x=3")
    assert code == 0
    assert out.startswith("# f, df/dx, for f = sum(sin(x) * x)\n")
    assert re.search(r"^fwd +sin_x = sin\(x\) +\(3,\) float64$", out, re.M)
    assert re.search(r"^grad +cos_x = cos\(x\)", out, re.M)
    code, out, _ = _run(capsys, "show", "sum(sin(x) * x)", "--var", "x=3", "--compiled")
    assert code == 0 and "pruning removed" in out and "optimization removed" in out
    code, out, _ = _run(capsys, "show", "sum(sin(x) * x)", "--limit", "2")
    assert "more lines not shown" in out


def test_draw_writes_the_picture_only(capsys, tmp_path):
    target = tmp_path / "g.svg"
    code, out, _ = _run(capsys, "draw", "sum(sin(x) * w)", str(target), "--var", "x=3",
                        "--var", "w=3", "--highlight", "x")  # fmt: skip
    assert code == 0
    assert out == f"wrote {target}: the graph of df/dx, df/dw\n"
    assert "<svg" in target.read_text()
    code, _, err = _run(capsys, "draw", "x", str(target), "--highlight", "z")
    _one_line_error(code, err)


# --- every error is one line -----------------------------------------------------------------

BAD_INPUTS = [
    (["grad", "", "--at", "x=1"], "empty"),
    (["grad", "x +", "--at", "x=1"], "not a valid expression"),
    (["grad", "foo(x)", "--at", "x=1"], "unknown function 'foo'"),
    (["grad", "sinn(x)", "--at", "x=1"], "did you mean sin"),
    (["grad", "x.summ()", "--at", "x=[1, 2]"], "did you mean sum"),
    (["grad", "np.sin(x)", "--at", "x=1"], "drop the 'np.' prefix"),
    (["grad", "numpy.linalg.det(A)", "--at", "A=[[1]]"], "written linalg.det"),
    (["grad", "cond(x, x, x)", "--at", "x=1"], "takes Python functions"),
    (["grad", "y + 1", "--at", "x=1"], "--at x: not a variable of the expression"),
    (["grad", "x + 1"], "no value for 'x'"),
    (["grad", "x + 1", "--at", "x=[1, 'a']"], "not a number"),
    (["grad", "x + 1", "--at", "x=__import__('os')"], "not a number"),
    (["grad", "x + 1", "--at", "x"], "NAME=VALUE"),
    (["grad", "x * 2", "--at", "x=[1, 2]"], "differentiate a scalar"),
    (["grad", "sum(x)", "--at", "x=[1, 2]", "--wrt", "z"], "--wrt z"),
    (["grad", "sum(x)", "--at", "x=[1, 2]", "--var", "x=3"], "declares (3,)"),
    (["grad", "z * z", "--at", "z=1+2j"], "the expression is complex"),
    (["grad", "abs(x)", "--at", "x=1j", "--var", "x=:float64"], "the value is complex"),
    (["hessian", "abs(z)**2", "--at", "z=1j"], "--wrt z: with respect to a complex variable"),
    (["jacobian", "abs(z)", "--at", "z=[1j, 2]"], "--wrt z: with respect to a complex"),
    (["grad", "(" * 500 + "x" + ")" * 500, "--at", "x=1"], "nested"),
    (["grad", "x + 1", "--at", "x=" + "[" * 500 + "1" + "]" * 500], "not a number"),
    (["grad", "sum(x) + sin(x[5])", "--at", "x=[1, 2]"], "out of bounds"),
    (["grad", "reshape(x, (5,))", "--at", "x=[1, 2]"], "cannot reshape"),
    (["grad", "sum(x, axs=0)", "--at", "x=[1, 2]"], "did you mean axis"),
    (["grad", "split(x, 2)", "--at", "x=[1, 2]"], "gives 2 results"),
    (["grad", "x", "--at", "x=1", "--timeout", "0"], "positive number of seconds"),
    (["grad", "x", "--at", "x=1", "--order", "7"], "--order 7"),
    (["grad", "x", "--at", "x=1", "--frob"], "unrecognized arguments"),
    (["grad", "x", "--at", "n=1", "--var", "n=:int64"], "--var n: not a variable"),
    (["grad", "e * x", "--at", "e=2", "--at", "x=1"], "e is the constant 2.71828"),
    (["grad", "n * 2", "--at", "n=1", "--var", "n=:int64"], "no float variable"),
    (["hessian", "x * 2", "--at", "x=[1, 2]"], "differentiate a scalar"),
    (["emit", "x +"], "not a valid expression"),
    (["show", "lambda: 1"], "a lambda is not allowed"),
    (["draw", "x", "out.gif"], "cannot write '.gif'"),
    (["check", "x", "--at", "x=1", "--at", "x=1"], "given twice"),
    (["grad"], "required: expression"),
    ([], "required: COMMAND"),
]


@pytest.mark.parametrize("argv, message", BAD_INPUTS, ids=[" ".join(a)[:40] for a, _ in BAD_INPUTS])
def test_bad_input_gives_one_line_errors(capsys, argv, message):
    code, out, err = _run(capsys, *argv)
    _one_line_error(code, err)
    assert message in err, err


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
        "einsum('ii; import os', x)",
        "astype(x, 'object')",
        "pad(x, 1, mode='__import__')",
    ],
)
def test_hostile_expressions_are_refused_without_traceback(capsys, expression):
    code, out, err = _run(capsys, "grad", expression, "--at", "x=1")
    _one_line_error(code, err)
    assert "pwned" not in out


def test_huge_numbers_give_inf_not_a_crash(capsys):
    code, out, err = _run(capsys, "grad", "x ** 99999999999999999999999 + 1e300", "--at", "x=2")
    assert code == 0, err
    assert "value       f     = inf" in out
    assert "Warning" not in err


def test_an_unexpected_fault_is_still_one_line(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr("symgrad.commands.derivatives.evaluate", broken)
    code, _, err = _run(capsys, "grad", "x", "--at", "x=1")
    assert code == 3
    assert err.startswith("symgrad: internal error (KeyError):") and err.count("\n") == 1


@pytest.mark.parametrize(
    "text, message",
    [
        ("x + 1e400", "is out of range"),
        ("sum(x * 9**9**9)", "the constant 9 ** 9 ** 9 is about 10**369693100"),
        ("sum(broadcast_to(x, (3000, 3000, 2)))", "at most 10000000 elements"),
    ],
)
def test_huge_numbers_and_shapes_are_refused_up_front(capsys, text, message):
    # SymPy would compute 9**9**9 exactly, and 18 million elements one by one.
    code, out, err = _run(capsys, "grad", text, "--at", "x=2")
    assert code == 2, out
    assert err.count("\n") == 1 and message in err, err


def test_every_command_is_reachable_and_documented(capsys):
    for c in COMMANDS:
        with pytest.raises(SystemExit) as stop:
            main([c.name, "--help"])
        assert stop.value.code == 0
        assert c.help in " ".join(capsys.readouterr().out.split())


def test_the_supported_ops_list_is_up_to_date():
    import pathlib

    from symgrad import coverage

    documented = pathlib.Path(__file__).parent.parent / "docs" / "ops.md"
    assert documented.read_text() == coverage.markdown(), (
        "docs/ops.md is stale: run python -m symgrad.coverage > docs/ops.md"
    )


def test_no_command_leaves_files_behind(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for argv in (["grad", "sum(x)", "--at", "x=[1]"], ["show", "x"], ["emit", "x"], ["ops"]):
        assert main(argv) == 0
    capsys.readouterr()
    assert os.listdir(tmp_path) == []
