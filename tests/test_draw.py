"""Seeing graphs: networkx structure, DOT text, SVG without Graphviz, notebook reprs."""

import pathlib
import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import symgrad as sg


@pytest.fixture
def gradient_graph():
    x = sg.var("x", shape=(3,))
    w = sg.var("w", shape=(3,))
    y = (sg.sin(x) * sg.exp(sg.cos(w))).sum()
    return x, w, y, sg.grad(y, x)


def test_networkx_structure_and_roles(gradient_graph):
    x, w, y, g = gradient_graph
    graph = sg.to_networkx(y)
    ops = [graph.nodes[n]["op"] for n in graph.nodes]
    assert sorted(ops) == sorted(["var", "var", "sin", "cos", "exp", "multiply", "sum"])
    assert {graph.nodes[n]["role"] for n in graph.nodes} == {"input", "forward"}
    names = {graph.nodes[n]["name"] for n in graph.nodes if graph.nodes[n]["role"] == "input"}
    assert names == {"x", "w"}
    total = next(n for n in graph.nodes if graph.nodes[n]["op"] == "sum")
    assert graph.nodes[total]["shape"] == () and graph.nodes[total]["dtype"] == "float64"
    assert graph.nodes[total]["output"] == (0,)
    (multiply,) = graph.predecessors(total)
    assert graph.nodes[multiply]["op"] == "multiply"
    assert graph.number_of_edges() == 6


def test_gradient_nodes_and_pruned_nodes(gradient_graph):
    x, w, y, g = gradient_graph
    graph = sg.to_networkx(g, show_pruned=True)
    roles = {
        graph.nodes[n]["op"]: graph.nodes[n]["role"]
        for n in graph.nodes
        if not graph.nodes[n]["pruned"]
    }
    pruned = sorted(graph.nodes[n]["op"] for n in graph.nodes if graph.nodes[n]["pruned"])
    assert pruned == ["multiply", "sin", "sum"]
    assert roles["exp"] == "forward" and roles["broadcast_to"] == "gradient"
    assert sg.to_networkx(g).number_of_nodes() == graph.number_of_nodes() - 3


def test_dot_text_for_a_known_graph():
    x = sg.var("x")
    dot = sg.to_dot(sg.sin(x) * 2.0)
    lines = dot.splitlines()
    assert lines[0] == "digraph symgrad {" and lines[-1] == "}"
    assert 'n0 [label="x\\n() float64", shape=ellipse' in dot
    assert 'n1 [label="sin\\n() float64", shape=box, style="rounded,filled"' in dot
    assert "n0 -> n1;" in dot and "n1 -> n3;" in dot and "n2 -> n3;" in dot
    assert "peripheries=2" in next(line for line in lines if line.startswith("  n3 "))
    assert "legend [shape=plaintext" in dot and "cluster" not in dot


def test_dot_escapes_hostile_names():
    x = sg.var('a"; } digraph evil { "\\', shape=(2,))
    dot = sg.to_dot(x * 2.0)
    assert 'label="a\\"; } digraph evil { \\"\\\\\\n(2,) float64"' in dot
    assert sum(line.lstrip().startswith("digraph") for line in dot.splitlines()) == 1
    # Outside quoted strings, the hostile name leaves no trace.
    import re

    unquoted = re.sub(r'"(?:[^"\\]|\\.)*"', '""', dot)
    assert "evil" not in unquoted


def test_highlight_marks_the_derivative_path(gradient_graph):
    x, w, y, g = gradient_graph
    dot = sg.to_dot(y, highlight=x)
    red = [line for line in dot.splitlines() if "#d62728" in line]
    assert any('label="x' in line for line in red)
    assert not any('label="w' in line or 'label="cos' in line for line in red)
    with pytest.raises(ValueError, match="not in the graph"):
        sg.to_dot(y, highlight=sg.var("z"))


def _hide_dot(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))


def test_svg_without_system_graphviz(gradient_graph, tmp_path, monkeypatch):
    x, w, y, g = gradient_graph
    _hide_dot(monkeypatch, tmp_path)
    path = sg.draw(g, tmp_path / "g.svg", show_pruned=True, highlight=x)
    text = pathlib.Path(path).read_text(encoding="utf-8")
    root = ET.fromstring(text)
    assert root.tag.endswith("svg")
    labels = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert {"cos", "exp", "broadcast_to", "x", "w", "sin", "gradient", "pruned"} <= labels
    assert 'stroke-dasharray="4 3"' in text  # the pruned nodes
    assert "#ffe0b8" in text  # gradient nodes' colour


def test_svg_escapes_names(tmp_path, monkeypatch):
    _hide_dot(monkeypatch, tmp_path)
    x = sg.var("<script>alert(1)</script>\x01", shape=(2,))
    path = sg.draw(x * 2.0, tmp_path / "g.svg")
    text = pathlib.Path(path).read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;" in text
    ET.fromstring(text)


def test_dot_file_and_unknown_suffix(tmp_path):
    x = sg.var("x")
    path = sg.draw(sg.sin(x), tmp_path / "g.dot")
    assert pathlib.Path(path).read_text().startswith("digraph symgrad {")
    with pytest.raises(ValueError, match=r"\.svg, \.png, \.dot"):
        sg.draw(sg.sin(x), tmp_path / "g.pdf")


def test_png_without_system_graphviz(gradient_graph, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    _hide_dot(monkeypatch, tmp_path)
    path = sg.draw(gradient_graph[3], tmp_path / "g.png", show_pruned=True)
    assert pathlib.Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_thousands_of_nodes_render_in_seconds(tmp_path, monkeypatch):
    _hide_dot(monkeypatch, tmp_path)
    x = sg.var("x", shape=(4,))
    y = x
    for i in range(700):
        y = sg.tanh(y * (1.0 + i)) + sg.sin(y)
    g = sg.grad(y.sum(), x)
    start = time.perf_counter()
    path = sg.draw(g, tmp_path / "big.svg", show_pruned=True)
    assert time.perf_counter() - start < 10
    assert sg.to_networkx(g, show_pruned=True).number_of_nodes() > 3000
    ET.parse(path)


def test_notebook_reprs():
    x = sg.var("x", shape=(2,))
    y = sg.sin(x).sum()
    svg = y._repr_svg_()
    assert svg.startswith("<svg") and ">sin<" in svg
    f = sg.compile(sg.grad(y, x))
    page = f._repr_html_()
    assert "<svg" in page and "np" in page and "evaluate" in page
    assert "cos" in page


def test_drawn_graph_still_compiles(gradient_graph, tmp_path):
    x, w, y, g = gradient_graph
    sg.draw(g, tmp_path / "g.dot")
    np.testing.assert_allclose(sg.compile(g)(np.zeros(3), np.zeros(3)), np.full(3, np.e))
