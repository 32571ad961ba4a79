"""``sg.show``: graphs as text; what an Executable compiled; the notebook views."""

import re

import numpy as np
import pytest

import symgrad as sg
from symgrad.listing.compiled import Stages


def _rows(listing):
    """(marker, name, right-hand side, type) of each node line."""
    rows = []
    for line in listing.lines:
        m = re.match(r"^(in|const|fwd|grad|pruned|new|param) +(\S+)(?: = (.*?))? {2,}(\S.*)$", line)
        if m:
            rows.append(m.groups())
    return rows


def test_one_line_per_node_with_roles_shapes_and_dtypes():
    x = sg.var("x", shape=(3,))
    y = (sg.sin(x) * x).sum()
    listing = sg.show([y, sg.grad(y, x)])
    rows = _rows(listing)
    assert rows[0] == ("in", "x", None, "(3,) float64")
    assert ("fwd", "sin_x", "sin(x)", "(3,) float64") in rows
    assert ("fwd", "sum", "sum(multiply, axes=(0,))", "() float64") in rows
    grad_ops = [r[2] for r in rows if r[0] == "grad"]
    assert "cos(x)" in grad_ops
    assert listing.lines[0] == f"{len(sg.to_networkx([y, sg.grad(y, x)]))} nodes: " + (
        "1 in, 1 const, 3 fwd, 7 grad"
    )
    assert listing.lines[-1] == "outputs: sum, add"
    assert repr(listing) == str(listing)  # at a prompt, the text itself


def test_shared_subexpressions_are_printed_once_and_referenced():
    x = sg.var("x", shape=(2,))
    s = sg.sin(x)
    y = s * s + s
    rows = _rows(sg.show(y))
    assert [r for r in rows if r[2] == "sin(x)"] == [("fwd", "sin_x", "sin(x)", "(2,) float64")]
    assert ("fwd", "multiply", "multiply(sin_x, sin_x)", "(2,) float64") in rows
    assert ("fwd", "add", "add(multiply, sin_x)", "(2,) float64") in rows


def test_scalar_constants_are_written_in_place_and_arrays_get_a_line():
    x = sg.var("x", shape=(2,))
    rows = _rows(sg.show(2.5 * x + np.array([1.0, 2.0])))
    assert ("fwd", "multiply_x", "multiply(2.5, x)", "(2,) float64") in rows
    assert ("const", "const", "const [1., 2.]", "(2,) float64") in rows


def test_pruned_nodes_are_marked():
    x = sg.var("x", shape=(3,))
    y = (sg.sin(x) * x).sum()
    g = sg.grad(y, x)
    markers = {r[1]: r[0] for r in _rows(sg.show(g, show_pruned=True))}
    assert markers["sin_x"] == "fwd"  # the gradient uses sin(x)
    assert markers["sum"] == "pruned" and markers["multiply"] == "pruned"
    assert "pruned" not in str(sg.show(g))


def test_control_flow_bodies_are_nested_under_their_op():
    a = sg.var("a", shape=(3,))
    b = sg.while_loop(lambda b: sg.norm(b) < 1000, lambda b: 2 * b, 2 * a)
    c = sg.cond(b.sum() > 0, lambda b: b, lambda b: 100 * b, b)
    text = str(sg.show([c, sg.grad(c.sum(), a)]))
    loop = text.index("while_loop = while_loop(multiply_a)")
    test = text.index("test (state: (3,) float64):", loop)
    body = text.index("body (state: (3,) float64):", test)
    assert re.search(r"^fwd {12}multiply = multiply\(2\.0, state\)", text[body:], re.M)
    assert re.search(r"^grad +scan = scan\(", text, re.M)  # the loop's derivative


@pytest.mark.slow
def test_large_graphs_are_cut_at_the_limit_and_listed_linearly(monkeypatch):
    from symgrad.listing import graph as listing_graph

    x = sg.var("x")
    y = x
    for _ in range(100_000):
        y = sg.sin(y)
    written = []  # the lines formatted (counted, not timed: a stopwatch here is noise)
    left = listing_graph._left
    monkeypatch.setattr(listing_graph, "_left", lambda *a: written.append(1) or left(*a))
    short = sg.show(y, limit=50)
    assert len(short.lines) == 53
    assert short.lines[0] == "100001 nodes: 1 in, 100000 fwd"
    assert (
        short.lines[-2] == "... 99951 more lines not shown (limit=50; pass limit=None to see all)"
    )
    assert len(written) == 50  # lines past the limit are only counted
    full = sg.show(y, limit=None)  # no recursion, whatever the depth
    assert len(full.lines) == 100_003
    assert full.lines[-1] == "outputs: sin_99998"  # sin_x, sin, sin_1, ...
    assert len(written) == 50 + 100_001


def test_an_executable_shows_the_graph_it_runs_and_what_was_removed():
    x = sg.var("x", shape=(3,))
    w = sg.var("w", shape=(3,))
    y = (sg.sin(x) * sg.exp(sg.cos(w))).sum()
    f = sg.compile(sg.grad(y, x))
    stages = Stages(f)
    assert len(stages.pruned) == f.stats.pruned == 3
    assert sorted(n.op.name for n in stages.pruned) == ["multiply", "sin", "sum"]
    assert len(stages.compiled) == f.stats.after_optimization
    assert len(stages.optimized_away) - len(stages.made) == (
        f.stats.after_pruning - f.stats.after_optimization
    )
    text = str(sg.show(f))
    assert text.startswith(
        "compiled: 7 nodes built, 13 with derivatives, 10 after pruning, "
        "6 after optimization, 4 statements\npruning removed 3: multiply, sin, sum\n"
    )
    rows = _rows(sg.show(f))
    assert {r[2] for r in rows if r[0] == "fwd"} == {"cos(w)", "exp(cos_w)"}
    assert ("grad", "cos_x", "cos(x)", "(3,) float64") in rows
    assert [r[2] for r in rows if r[0] == "new"] == ["multiply(exp, cos_x)"]
    # the listed graph is what runs: evaluating it gives the compiled function's result
    a, b = np.array([0.1, 0.2, 0.3]), np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(f(a, b), np.exp(np.cos(b)) * np.cos(a))
    assert f.graph[0].op.name == "multiply"


def test_executable_html_has_stages_graph_and_source():
    x = sg.var("x", shape=(3,))
    y = (sg.sin(x) * x).sum()
    f = sg.compile([y, sg.grad(y, x)])
    page = f._repr_html_()
    for text in ("after pruning", "after optimization", "statements emitted", "the graph it runs"):
        assert text in page
    assert "sin_x = sin(x)" in page and "<svg" in page and "def" in page
    big = sg.var("v")
    z = big
    for _ in range(400):
        z = sg.sin(z)
    assert "<svg" not in sg.compile(z)._repr_html_()  # too large to draw inline


def test_check_grad_report_is_a_table_in_notebooks():
    x = sg.var("x", shape=(2,))
    w = sg.var("w")
    report = sg.check_grad((sg.tanh(x) * w).sum(), [x, w], {x: [0.1, -0.4], "w": 1.5})
    page = report._repr_html_()
    assert page.count("<tr>") == 3  # header and two variables
    assert ">x</td>" in page and ">w</td>" in page and "OK (rtol=1e-05" in page
    bad = sg.check_grad(sg.relu(x).sum(), x, {x: [0.0, 1.0]})
    page = bad._repr_html_()
    assert "MISMATCH" in page and "NO</td>" in page and "not differentiable at x[0] = 0" in page
