"""What user code means: ``==`` and ``!=`` are elementwise, and a derivative compiles with the
variables of the function it was taken from."""

import os
import sys
import sysconfig
import weakref

import numpy as np
import pytest

import symgrad as sg
from symgrad.core.expr import Expr

A = np.array([0.0, 2.0, 0.0, -1.5])


def test_eq_and_ne_build_elementwise_comparisons_like_numpy():
    x = sg.var("x", shape=(4,))
    y = sg.var("y", shape=(4,))
    b = np.array([0.0, 2.0, 1.0, -1.5])
    # NumPy's results on the right, written as NumPy code: operand order matters.
    cases = {
        "x == 0": (x == 0, A == 0),
        "x != 0": (x != 0, A != 0),
        "0 == x": (0 == x, 0 == A),  # noqa: SIM300
        "x == array": (x == b, A == b),  # noqa: SIM300
        "array == x": (b == x, b == A),
        "np.float64 != x": (np.float64(2.0) != x, np.float64(2.0) != A),
        "x == y": (x == y, A == b),  # noqa: SIM300
        "x != y": (x != y, A != b),  # noqa: SIM300
        "x == [list]": (x == [0.0, 2.0, 1.0, -1.5], A == b),  # noqa: SIM300
    }
    for label, (expr, want) in cases.items():
        assert isinstance(expr, Expr), label
        assert expr.dtype == np.bool_ and expr.shape == (4,), label
        got = sg.compile(expr, inputs=[x, y])(A, b)
        np.testing.assert_array_equal(got, want, err_msg=label)


def test_where_on_an_equality_computes_what_numpy_computes():
    x = sg.var("x", shape=(4,))
    got = sg.where(x == 0, 1.0, x).eval({x: A})
    np.testing.assert_array_equal(got, np.where(A == 0, 1.0, A))
    # its derivative: 0 where x == 0 picked the constant, 1 elsewhere
    g = sg.grad(sg.where(x == 0, 1.0, x).sum(), x).eval({x: A})
    np.testing.assert_array_equal(g, [0.0, 1.0, 0.0, 1.0])


def test_eq_with_objects_that_are_not_array_data_is_python_identity():
    x = sg.var("x")
    assert (x == None) is False  # noqa: E711
    assert (x != "x") is True
    assert isinstance(x == x, Expr)  # an expression, never a bool
    with pytest.raises(TypeError, match="truth value"):
        bool(x == x)
    with pytest.raises(TypeError, match="truth value"):
        x in [sg.var("y")]  # noqa: B015 - elementwise ==, as with NumPy arrays


def test_nodes_stay_hash_consed_and_usable_as_keys():
    x = sg.var("x", shape=(3,))
    a, b = sg.sin(x) + 1.0, sg.sin(x) + 1.0
    assert a is b
    table = {a: "a", x: "x"}
    assert table[b] == "a" and table[x] == "x"
    assert len({a, b, x}) == 2


def test_hash_consing_keys_compare_inputs_by_identity_even_when_hashes_collide():
    from symgrad.core import expr

    x, y = sg.var("x", shape=(2,)), sg.var("y", shape=(2,))
    node = x * y
    assert node.inputs == (x, y) and node.inputs != (y, x)  # no elementwise == on the way
    table = expr._NODES[node.op]

    class Colliding(tuple):  # another key with the stored key's hash
        def __hash__(self):
            return hash(node.inputs)

    assert table.get(Colliding((y, x))) is None
    assert table.get(Colliding((x, y)))() is node


def _random_graph(rng: np.random.Generator, n: int) -> tuple[list[Expr], list[Expr]]:
    """A random graph of about ``n`` nodes over two variables, with shared subexpressions,
    selections, reductions, control flow and comparisons built with ``==``."""
    x, y = sg.var("x", shape=(3,)), sg.var("y", shape=(3,))
    pool: list[Expr] = [x, y, sg.sin(x), sg.cos(y)]
    unary = [sg.sin, sg.tanh, sg.sigmoid, lambda a: a * a, lambda a: sg.sqrt(1.0 + a * a)]
    binary = [
        lambda a, b: a + b,
        lambda a, b: a * b,
        lambda a, b: a - 0.5 * b,
        lambda a, b: sg.where(a == b, a, b * 2.0),
        lambda a, b: sg.where(a != 0.0, sg.maximum(a, b), sg.minimum(a, b)),
        lambda a, b: a / (2.0 + sg.cos(b)),
        lambda a, b: sg.clip(a, -1.0, b * b + 1.0),
        lambda a, b: a * sg.max(b) + sg.sum(a * b),
    ]
    for k in range(n):
        if k % 97 == 96:
            a = pool[rng.integers(len(pool))]
            pool.append(sg.cond(sg.sum(a) == 0.0, lambda v: v * 2.0, sg.sin, a))
        elif rng.random() < 0.4:
            pool.append(unary[rng.integers(len(unary))](pool[rng.integers(len(pool))]))
        else:
            a, b = (pool[i] for i in rng.integers(len(pool), size=2))
            pool.append(binary[rng.integers(len(binary))](a, b))
    outputs = [sg.sum(p) for p in pool[-5:]]
    return [x, y], outputs


_STDLIB = os.path.realpath(sysconfig.get_paths()["stdlib"])


def _guard_eq(monkeypatch) -> None:
    """Make ``==`` and ``!=`` on nodes fail the test when the package calls them: directly,
    or through the standard library on its behalf (``in``, ``.index`` and tuple comparison
    call them from C; a ``WeakKeyDictionary`` or a dataclass's ``__eq__`` from Python)."""
    elementwise_eq, elementwise_ne = Expr.__eq__, Expr.__ne__

    def guard(method):
        def compare(self, other):
            frame = sys._getframe(1)
            while frame is not None and os.path.realpath(frame.f_code.co_filename).startswith(
                _STDLIB
            ):
                frame = frame.f_back
            caller = "" if frame is None else frame.f_globals.get("__name__", "")
            if caller.startswith("symgrad"):
                where = f"{frame.f_code.co_filename}:{frame.f_lineno}"
                raise AssertionError(f"{caller} compares expressions with == or != ({where})")
            return method(self, other)

        return compare

    monkeypatch.setattr(Expr, "__eq__", guard(elementwise_eq))
    monkeypatch.setattr(Expr, "__ne__", guard(elementwise_ne))


def test_the_guard_catches_identity_comparisons_made_for_the_package(monkeypatch):
    x, y = sg.var("x"), sg.var("y")
    _guard_eq(monkeypatch)
    with pytest.raises(AssertionError, match="compares expressions"):
        exec("[x, y].index(y)", {"__name__": "symgrad.fake", "x": x, "y": y})
    with pytest.raises(AssertionError, match="compares expressions"):
        table = weakref.WeakKeyDictionary({x: 1})
        exec("table.get(x)", {"__name__": "symgrad.fake", "table": table, "x": x})
    assert isinstance(x == y, Expr)  # the user's == is elementwise, guarded or not


def test_no_code_path_compares_nodes_with_eq(monkeypatch):
    """The whole pipeline on a random graph of a few thousand nodes, with ``==`` and ``!=``
    on nodes failing the test when the package itself calls them (as ``in``, ``.index``,
    tuple or list comparison and ``==`` do): nodes are compared by identity only."""
    rng = np.random.default_rng(7)
    (x, y), outputs = _random_graph(rng, 1500)
    _guard_eq(monkeypatch)
    total = sum(outputs[1:], outputs[0])
    gradients = sg.grad(total, [x, y])
    hvp = sg.hvp(outputs[0], x, np.ones(3))
    tangent = sg.jvp(total, y, np.ones(3))
    f = sg.compile([total, *gradients, hvp, tangent])
    plain = sg.compile([total, *gradients, hvp, tangent], optimize=False)
    a, b = rng.uniform(-1, 1, 3), rng.uniform(-1, 1, 3)
    for got, want in zip(f(a, b), plain(a, b)):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    sg.to_dot(gradients[0])
    assert len(f.source) > 1000


def test_no_tool_compares_nodes_with_eq(monkeypatch, tmp_path, capsys):
    """Listings, pictures (highlight replays differentiation), the explorer, source lines,
    saved graphs, check_grad, SymPy and the command line, on a small graph with selections
    and loops, under the same guard."""
    from symgrad.cli import main
    from symgrad.draw.svg import to_svg

    rng = np.random.default_rng(3)
    with sg.record_source_lines():
        (x, y), outputs = _random_graph(rng, 40)
        state = sg.while_loop(lambda s: sg.sum(s * s) < 50.0, lambda s: 1.5 * s + y, x)
        carry, rows = sg.scan(lambda c, r: (c * r + sg.sin(c), c), sg.sum(x), y)
        total = sum(outputs[1:], outputs[0]) + sg.sum(state) + carry + sg.sum(rows)
    _guard_eq(monkeypatch)
    gradients = sg.grad(total, [x, y])
    jac = sg.jacobian(sg.where(x > 0, sg.sqrt(x), 0.0) * y, [x, y])
    f = sg.compile([total, *gradients, *jac])
    assert sg.origin_of(total) is not None
    assert len(str(sg.show(f))) > 0 and len(str(sg.show([total, *gradients], limit=None))) > 0
    assert f._repr_html_().startswith("<div>")
    graph = sg.to_networkx([total, *gradients])
    assert graph.number_of_nodes() > 40
    assert "<svg" in to_svg(gradients, highlight=x, show_pruned=True)
    sg.to_dot(jac, highlight=y)
    sg.draw(gradients[1], tmp_path / "g.svg", highlight=y)
    sg.explore([total, *gradients], tmp_path / "page.html")
    sg.save_graph({"total": total, "dx": gradients[0]}, tmp_path / "g.json")
    loaded = sg.load_graph(tmp_path / "g.json")
    point = {x: [0.3, -0.2, 0.4], y: [0.1, 0.5, -0.3]}
    by_name = {v.name: value for v, value in point.items()}  # the file has its own variables
    np.testing.assert_allclose(loaded["dx"].eval(by_name), gradients[0].eval(point), rtol=1e-12)
    report = sg.check_grad(total, [x, y], point, timeout=None)
    assert report.ok, report
    small = sg.sum(sg.where(x > 0, sg.sqrt(x), 0.0) * x) + sg.sum(sg.maximum(x, y) ** 2)
    report = sg.check_grad(small, [x, y], {x: [0.5, 4.0, -1.0], y: [1.0, 2.0, 3.0]})
    assert report.ok and report.variables[0].sympy is not None, report
    assert report._repr_html_().startswith("<div>")
    sg.to_sympy(small)
    texts = ["sum(where(x > 0, sqrt(x), 0) * w)", "sum(maximum(x, w) ** 2)"]
    for command in ("grad", "hessian", "check", "emit", "show"):
        for text in texts:
            assert main([command, text, "--at", "x=[-1.0, 4.0]", "--at", "w=[1.0, 2.0]"]) == 0
    assert main(["jacobian", "sqrt(x) * w", "--at", "x=[1.0, 4.0]", "--at", "w=2.0"]) == 0
    picture = str(tmp_path / "cli.svg")
    assert main(["draw", texts[0], picture, "--at", "x=[-1.0, 4.0]", "--highlight", "x"]) == 0
    page = str(tmp_path / "cli.html")
    assert main(["explore", texts[1], "-o", page, "--at", "x=[-1.0, 4.0]", "--at", "w=1"]) == 0
    capsys.readouterr()


def test_a_derivative_takes_the_variables_of_its_function():
    x = sg.var("x", shape=(3,))
    w = sg.var("w")
    np.testing.assert_array_equal(sg.compile(sg.grad(x.sum(), x))(np.zeros(3)), np.ones(3))
    # d/dw sum(x * w) = sum(x) does not use w; the call still takes (x, w) in their order
    f = sg.compile(sg.grad((x * w).sum(), w))
    assert float(f(np.array([1.0, 2.0, 3.0]), 5.0)) == 6.0
    assert float(f(x=np.array([1.0, 2.0, 3.0]), w=5.0)) == 6.0
    # the forward graph's variables come first if the derivative is compiled with it
    y = (sg.sin(x) * w).sum()
    value, dw = sg.compile([y, sg.grad(y, w)])(np.array([0.5, 1.0, 2.0]), 2.0)
    assert float(dw) == pytest.approx(float(np.sin([0.5, 1.0, 2.0]).sum()), rel=1e-15)
    assert float(value) == pytest.approx(2 * float(np.sin([0.5, 1.0, 2.0]).sum()), rel=1e-15)
    with pytest.raises(sg.BindError):
        sg.compile(sg.grad(x.sum(), x))()  # x is expected, even though unused
