"""Users type-check their own code against symgrad: the package ships its types, and the
public functions (the elementwise table rows among them) are visible to mypy through
``import symgrad as sg``."""

import importlib.resources

import pytest

import symgrad as sg

USER_SCRIPT = """\
import numpy as np
import symgrad as sg

x = sg.var("x", shape=(3,))
w = sg.var("w", shape=(3, 3))
y = sg.sin(x) * 2 + x.sum()
z: sg.Expr = sg.where(x > 0, sg.exp(y), sg.maximum(x, 0.0)).mean()
loss = (w @ x).T.sum() + sg.logaddexp(z, 1.0) + +x[0] + x.copy().sum()
g = sg.grad(loss, x)
f = sg.compile([loss, g])
print(f(np.ones(3), np.eye(3)), sg.sin.op_class.name, sg.add.op_class.name)
reveal_type(sg.sin(x))
reveal_type(sg.add(x, 1))
wrong: int = sg.cos(x)
"""


def test_every_public_name_is_defined():
    """``sg.__all__`` (which takes the elementwise functions from each table module) names
    only attributes the package has."""
    missing = [name for name in sg.__all__ if not hasattr(sg, name)]
    assert missing == []
    assert {"sin", "add", "where", "real", "erf", "less"} <= set(sg.__all__)


def test_package_ships_its_types():
    assert importlib.resources.files("symgrad").joinpath("py.typed").is_file()


@pytest.mark.slow
def test_mypy_accepts_a_user_script(tmp_path):
    """mypy, run on a user's script, sees the elementwise functions, the operators and the
    array methods with their types: the script checks without errors but for the line that
    assigns an expression to an ``int``, which shows the types are not ``Any``."""
    api = pytest.importorskip("mypy.api")
    script = tmp_path / "user.py"
    script.write_text(USER_SCRIPT)
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\nstrict = True\n")  # the user's settings, not the project's
    stdout, stderr, status = api.run(
        [
            str(script),
            "--config-file",
            str(config),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--no-error-summary",
            "--hide-error-context",
        ]
    )
    lines = [line.removeprefix(str(script)) for line in stdout.splitlines()]
    expected = [
        ':12: note: Revealed type is "symgrad.core.expr.Expr"',
        ':13: note: Revealed type is "symgrad.core.expr.Expr"',
        ":14: error: Incompatible types in assignment "
        '(expression has type "Expr", variable has type "int")  [assignment]',
    ]
    assert lines == expected, stdout + stderr
    assert status == 1
