"""The ``symgrad`` command."""

import io
import subprocess
import sys

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
