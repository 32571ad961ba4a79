"""The package's layers: what importing symgrad costs, and which way imports point."""

from __future__ import annotations

import subprocess
import sys


def test_import_does_not_load_sympy_or_networkx() -> None:
    # SymPy and networkx take most of a second to import; only checking and drawing need them.
    script = "import sys, symgrad; print(sorted({'sympy', 'networkx'} & set(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_sympy_is_loaded_when_used() -> None:
    import symgrad as sg

    x = sg.var("x")
    assert str(sg.to_sympy(sg.sin(x) * 2)) == "2*sin(x)"
    assert str(sg.to_sympy(sg.round(x))) == "round(x)"
    back = sg.from_sympy(sg.to_sympy(sg.sinc(x) + sg.round(x)), {"x": x})
    assert float(back.eval({x: 0.5})) == float(sg.sinc(x).eval({x: 0.5}) + round(0.5))
