"""Seeing graphs: networkx structure, DOT text, SVG without Graphviz, notebook reprs."""

import pathlib
import re
import shutil
import struct
import sys
import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import symgrad as sg
from symgrad.draw import render
from symgrad.draw.highlight import highlighted
from symgrad.draw.picture import prepare

from .picture_graphs import mlp, while_cond
from .png_pixels import rgb


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


def test_highlight_starts_at_the_partial_that_stands_for_the_unit_seed():
    """The gradient of 2 x.x starts from 2 = dy/d(x.x) (the product with the seed 1 is left
    out): the path 2 -> 2x -> 2x + 2x carries the derivative, not only the output."""
    x = sg.var("x", shape=(4,))
    g = sg.grad(2.0 * sg.dot(x, x), x)
    red = [line for line in sg.to_dot(g, highlight=x).splitlines() if "#d62728" in line]
    red_nodes = [line for line in red if "label=" in line]
    assert sorted(line.split('label="')[1].split("\\n")[0] for line in red_nodes) == [
        "2.",
        "add",
        "multiply",
    ]
    assert sum("->" in line for line in red) == 3  # 2 -> multiply, multiply -> add twice


def _hide_dot(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("SYMGRAD_GRAPHVIZ", "0")


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


def test_large_graphs_are_summarized_and_drawn_whole_on_request(tmp_path, monkeypatch):
    _hide_dot(monkeypatch, tmp_path)
    x = sg.var("x", shape=(4,))
    y = x
    for i in range(700):
        y = sg.tanh(y * (1.0 + i)) + sg.sin(y)
    g = sg.grad(y.sum(), x)
    total = sg.to_networkx(g, show_pruned=True).number_of_nodes()
    assert total > 3000
    path = sg.draw(g, tmp_path / "big.svg", show_pruned=True)
    root = ET.parse(path).getroot()
    nodes = root.findall(".//{http://www.w3.org/2000/svg}g[@class]")
    drawn = [n for n in nodes if n.get("class", "").startswith("node")]
    elided = [n for n in drawn if n.get("class") == "node elided"]
    assert len(drawn) - len(elided) <= 300 + 100  # kept nodes, constants drawn per use
    assert elided  # marks where the graph goes on
    text = pathlib.Path(path).read_text(encoding="utf-8")
    assert f"{total:,} nodes" in text and "max_nodes=None" in text
    assert len(text) < 1_000_000
    start = time.perf_counter()
    whole = sg.draw(g, tmp_path / "whole.svg", show_pruned=True, max_nodes=None)
    assert time.perf_counter() - start < 60
    root = ET.parse(whole).getroot()
    drawn = [
        n
        for n in root.iter("{http://www.w3.org/2000/svg}g")
        if n.get("class", "").startswith("node")
    ]
    assert len(drawn) >= total
    assert "max_nodes=None" not in pathlib.Path(whole).read_text(encoding="utf-8")


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


# --- one edge per operand, roles, order ----------------------------------------------------


def test_every_operand_is_its_own_edge():
    x = sg.var("x", shape=(3,))
    graph = sg.to_networkx(sg.dot(x, x))
    assert sorted(graph.edges(keys=True, data="index")) == [(0, 1, 0, 0), (0, 1, 1, 1)]
    dot = sg.to_dot(sg.dot(x, x))
    assert dot.count("n0 -> n1") == 2
    assert 'headlabel="0"' in dot and 'headlabel="1"' in dot


def test_body_parameters_have_their_own_role():
    a, c, g = while_cond()
    graph = sg.to_networkx(c)
    params = [d for _, d in graph.nodes(data=True) if d["op"] == "param"]
    assert params and all(d["role"] == "parameter" and d["cluster"] for d in params)
    inputs = [d["name"] for _, d in graph.nodes(data=True) if d["role"] == "input"]
    assert inputs == ["a"]
    assert {d["role"] for _, d in graph.nodes(data=True)} == {
        "input",
        "parameter",
        "constant",
        "forward",
    }


def test_a_minus_b_is_drawn_differently_from_b_minus_a():
    a, b = sg.var("a"), sg.var("b")
    for expr, first in ((a - b, "a"), (b - a, "b")):
        scene = prepare(expr)
        titles = {box.node: box.title for box in scene.boxes}
        labels = {titles[line.tail]: line.label for line in scene.lines}
        assert labels[first] == "0" and labels["b" if first == "a" else "a"] == "1"
        dot = sg.to_dot(expr)
        first_id = re.search(rf'(n\d+) \[label="{first}\\n', dot).group(1)
        assert any(
            line.strip().startswith(f"{first_id} -> n2") and 'headlabel="0"' in line
            for line in dot.splitlines()
        ), dot
    # Where the order does not matter, no numbers.
    assert all(line.label == "" for line in prepare(a + b).lines)


# --- highlight: the nodes and edges that carry the derivative --------------------------------


def test_highlight_on_the_mlp_gradient_follows_the_cotangent_to_dW1():
    (w1, b1, w2, b2), loss, grads = mlp()
    graph = sg.to_networkx(grads)
    nodes, edges = highlighted(graph, w1)
    data = graph.nodes
    outputs = {data[n]["output"][0]: n for n in graph.nodes if data[n]["output"]}
    # The result with respect to W1 is marked; those with respect to b1, W2, b2 are not.
    assert outputs[0] in nodes
    assert not {outputs[1], outputs[2], outputs[3]} & nodes
    # Only derivative nodes carry it: no forward value, no variable (W2.T, x.T, 1 - tanh^2
    # feed the path but do not carry the cotangent).
    assert all(data[n]["role"] in ("gradient", "constant") for n in nodes)
    (seed,) = [n for n in nodes if data[n]["role"] == "constant"]
    assert data[seed]["label"] == "1."
    one_minus = next(
        n
        for n in graph.nodes
        if data[n]["op"] == "subtract"
        and data[n]["role"] == "gradient"
        and data[n]["shape"] == (32, 8)
    )
    assert one_minus not in nodes and (seed, one_minus, 0) not in edges
    transposes = [n for n in graph.nodes if data[n]["op"] == "transpose"]
    assert transposes and not set(transposes) & nodes
    # A path: every marked node but the seed is fed by a marked edge, every marked node but
    # dW1 feeds one, and marked edges join marked nodes.
    assert all(a in nodes and b in nodes for a, b, _ in edges)
    for n in nodes - {seed}:
        assert any(b == n for _, b, _ in edges), data[n]["label"]
    for n in nodes - {outputs[0]}:
        assert any(a == n for a, _, _ in edges), data[n]["label"]
    # By hand: the cotangent of the loss through -mean, the sum over classes, the softmax
    # cross-entropy, W2, tanh and W1 (reverse order of the forward pass).
    ops = sorted(data[n]["op"] for n in nodes)
    assert ops == sorted(
        [
            "const",
            "negative",
            "reshape",
            "broadcast_to",
            "divide",
            "reshape",
            "broadcast_to",
            "multiply",
            "negative",
            "sum",
            "broadcast_to",
            "multiply",
            "add",
            "matmul",
            "multiply",
            "matmul",
        ]
    )


def test_highlight_through_a_loop_and_a_branch():
    a, c, g = while_cond()
    graph = sg.to_networkx(g)
    nodes, edges = highlighted(graph, a)
    ops = {graph.nodes[n]["op"] for n in nodes}
    assert {"cond", "scan", "item", "multiply"} <= ops
    assert all(graph.nodes[n]["role"] in ("gradient", "constant") for n in nodes)
    assert all(graph.nodes[n]["cluster"] is None for n in nodes)


def test_highlight_follows_masked_cotangents_through_selections():
    # Cotangents behind where and clip carry masks; the where that applies a mask where the
    # chain ends is on the path, the comparisons that make the masks are not.
    x, w = sg.var("x", shape=(3,)), sg.var("w", shape=(3,))
    y = sg.sum(sg.where(x > 0, sg.log(sg.sqrt(x)) * w, 0.0)) + sg.sum(sg.clip(x, -1.0, 1.0) * w)
    gx, gw = sg.grad(y, [x, w])
    graph = sg.to_networkx([gx, gw])
    nodes, edges = highlighted(graph, x)
    data = graph.nodes
    (result,) = [n for n in graph.nodes if data[n]["output"] == (0,)]
    (seed,) = [n for n in nodes if data[n]["role"] == "constant"]
    assert result in nodes and not any(data[n]["output"] == (1,) for n in nodes)
    assert all(data[n]["role"] in ("gradient", "constant") for n in nodes)
    assert not any(data[n]["op"] in ("greater", "less", "less_equal") for n in nodes)
    for n in nodes - {seed}:
        assert any(b == n for _, b, _ in edges), data[n]["label"]
    for n in nodes - {result}:
        assert any(a == n for a, _, _ in edges), data[n]["label"]
    # By hand: clip's rule selects with two wheres, where's rule with one; then the masked
    # chain through log (cotangent / sqrt(x)) and sqrt (times 0.5 / sqrt(x), a forward value
    # off the path), the where applying the mask where the chain ends, and the sum of both.
    ops = sorted(data[n]["op"] for n in nodes)
    assert ops == sorted(
        ["const", "reshape", "broadcast_to", "multiply", "where", "where"]  # clip
        + ["where", "multiply", "divide", "multiply", "where"]  # where, log, sqrt, mask
        + ["add"]
    ), ops


def test_highlight_reaches_a_cond_behind_a_masked_cotangent():
    # The cond's output gets a masked cotangent, made exact (a where) before the cond's rule
    # reads it: that where is a step of the path from the seed into the cond.
    x = sg.var("x", shape=(3,))
    c = sg.cond(sg.sum(x) > 0, sg.sqrt, sg.sin, x)
    g = sg.grad(sg.sum(sg.where(x > 0, sg.log(c), 0.0)), x)
    graph = sg.to_networkx(g)
    nodes, _ = highlighted(graph, x)
    ops = sorted(graph.nodes[n]["op"] for n in nodes)
    assert ops == sorted(
        ["const", "reshape", "broadcast_to", "where", "divide", "where", "cond", "item"]
    ), ops


def test_highlight_in_a_forward_graph_skips_comparisons_and_stop_gradient():
    x, w = sg.var("x"), sg.var("w")
    y = sg.where(x > 0, sg.sin(x), w) + sg.stop_gradient(x * x) * w
    graph = sg.to_networkx(y)
    nodes, edges = highlighted(graph, x)
    ops = {graph.nodes[n]["op"] for n in nodes}
    assert {"var", "sin", "where", "add"} <= ops
    assert not {"greater", "stop_gradient"} & ops
    assert not any(graph.nodes[a]["op"] == "greater" for a, _, _ in edges)


def test_highlight_of_a_variable_without_a_derivative_here():
    x, w = sg.var("x"), sg.var("w")
    g = sg.grad(sg.sin(x) * w, x)
    graph = sg.to_networkx(g)
    with pytest.raises(ValueError, match="carries a derivative with respect to"):
        highlighted(graph, _only_value(graph))


def _only_value(graph):
    """A variable the derivative graph reads only as a value."""
    return next(d["expr"] for _, d in graph.nodes(data=True) if d["name"] == "w")


# --- Graphviz: used when present, never fatal -------------------------------------------------


def _fake_dot(tmp_path, body):
    folder = tmp_path / "fakebin"
    folder.mkdir()
    script = folder / "dot"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(0o755)
    return folder


def test_graphviz_that_times_out_falls_back_with_a_warning(tmp_path, monkeypatch):
    folder = _fake_dot(tmp_path, "exec /bin/sleep 20")
    monkeypatch.setenv("PATH", str(folder))
    monkeypatch.delenv("SYMGRAD_GRAPHVIZ", raising=False)
    monkeypatch.setattr(render, "GRAPHVIZ_TIMEOUT", 0.3)
    x = sg.var("x")
    with pytest.warns(RuntimeWarning, match="took longer than 0.3 s"):
        path = sg.draw(sg.sin(x), tmp_path / "g.svg")
    assert 'class="graph"' in pathlib.Path(path).read_text(encoding="utf-8")


def test_graphviz_that_fails_falls_back_with_a_warning(tmp_path, monkeypatch):
    folder = _fake_dot(tmp_path, "echo 'Error: syntax error in line 3' >&2; exit 1")
    monkeypatch.setenv("PATH", str(folder))
    monkeypatch.delenv("SYMGRAD_GRAPHVIZ", raising=False)
    with pytest.warns(RuntimeWarning, match="syntax error in line 3"):
        path = sg.draw(sg.sin(sg.var("x")), tmp_path / "g.svg")
    ET.parse(path)


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_graphviz_is_used_when_present_unless_switched_off(tmp_path, monkeypatch):
    monkeypatch.delenv("SYMGRAD_GRAPHVIZ", raising=False)
    a, c, g = while_cond()
    text = pathlib.Path(sg.draw(g, tmp_path / "gv.svg")).read_text(encoding="utf-8")
    assert "Generated by graphviz" in text
    clusters = [t for t in re.findall(r"<title>(cluster_[^<]*)</title>", text)]
    assert len(clusters) == len(sg.to_networkx(g).graph["clusters"])
    monkeypatch.setenv("SYMGRAD_GRAPHVIZ", "0")
    text = pathlib.Path(sg.draw(g, tmp_path / "own.svg")).read_text(encoding="utf-8")
    assert "graphviz" not in text.lower() and 'class="graph"' in text


# --- hostile names ----------------------------------------------------------------------------


def test_a_lone_surrogate_in_a_name_is_drawn_escaped(tmp_path, monkeypatch):
    x = sg.var("a\udc80b", shape=(2,))
    y = (x * 2.0).sum()
    dot = sg.to_dot(y)
    assert "a\\\\udc80b" in dot
    dot.encode("utf-8")
    for name in ("g.svg", "g.dot"):
        text = pathlib.Path(sg.draw(y, tmp_path / name)).read_text(encoding="utf-8")
        assert "udc80" in text
    _hide_dot(monkeypatch, tmp_path)
    text = pathlib.Path(sg.draw(y, tmp_path / "own.svg")).read_text(encoding="utf-8")
    assert "a\\udc80b" in text
    pytest.importorskip("resvg_py")
    assert pathlib.Path(sg.draw(y, tmp_path / "g.png")).read_bytes()[:4] == b"\x89PNG"


# --- PNG: the SVG, rasterized ----------------------------------------------------------------


def _png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_png_without_graphviz_is_the_svg_rasterized(tmp_path, monkeypatch):
    pytest.importorskip("resvg_py")
    _hide_dot(monkeypatch, tmp_path)
    (w1, b1, w2, b2), loss, grads = mlp()
    png = pathlib.Path(sg.draw(grads, tmp_path / "g.png", highlight=w1)).read_bytes()
    svg = pathlib.Path(sg.draw(grads, tmp_path / "g.svg", highlight=w1)).read_text()
    width, height = (
        float(v) for v in re.search(r'width="([\d.]+)" height="([\d.]+)"', svg).groups()
    )
    assert _png_size(png) == (round(width * render.PNG_SCALE), round(height * render.PNG_SCALE))
    assert width * height > 300 * 600  # the whole picture, not a thumbnail
    assert png == render.svg_to_png(svg)
    image = rgb(png)
    for fill in ("#ffe0b8", "#cfe2ff", "#eeeeee", "#d62728"):  # gradient, input, constant, red
        colour = np.array([int(fill[i : i + 2], 16) for i in (1, 3, 5)])
        assert (np.abs(image - colour).sum(axis=2) <= 6).sum() > 200, fill
    dark = (image.sum(axis=2) < 200).sum()
    assert dark > 2000  # text and lines were drawn


def test_png_without_resvg_or_graphviz_says_what_to_install(tmp_path, monkeypatch):
    _hide_dot(monkeypatch, tmp_path)
    monkeypatch.setitem(sys.modules, "resvg_py", None)
    with pytest.raises(RuntimeError, match=r"symgrad\[viz\]"):
        sg.draw(sg.sin(sg.var("x")), tmp_path / "g.png")
    assert not (tmp_path / "g.png").exists()


# --- big and deep ----------------------------------------------------------------------------


def test_deep_graphs_convert_without_recursion():
    x = sg.var("x")
    y = x
    for _ in range(20_000):
        y = sg.sin(y)
    graph = sg.to_networkx(y)
    assert graph.number_of_nodes() == 20_001
    assert sg.to_dot(y, max_nodes=None).count(" -> ") == 20_000
    assert "caption" not in sg.to_dot(y) and "20,001 nodes" in sg.to_dot(y)


def test_notebook_repr_of_a_large_graph_is_a_summary():
    x = sg.var("x")
    y = x
    for _ in range(2000):
        y = sg.sin(y) * 2.0
    svg = y._repr_svg_()
    assert "4,002 nodes" in svg and "max_nodes=None" in svg
    assert len(svg) < 300_000
