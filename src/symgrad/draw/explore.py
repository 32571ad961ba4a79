"""``sg.explore``: one self-contained HTML page to explore a compiled function.

The page holds the picture of the graph (forward, gradient and pruned nodes, as
:func:`symgrad.draw` with ``show_pruned=True`` draws it), the emitted source, and for each
node its op, shape, dtype, where the user built it and the statement computing it. Its
script and style are inline and a Content-Security-Policy forbids every request, so it
works offline. Every text from the graph reaches the page escaped (the picture) or as JSON
set with ``textContent`` (the details).
"""

from __future__ import annotations

import html
import json
import linecache
import os
import re
import string
from collections.abc import Sequence
from importlib import resources
from typing import Any

from ..compiler import lower
from ..core.expr import Expr
from ..core.gc_pause import paused_gc
from ..core.origins import origin_of
from ..ops.leaves import Constant
from ..ops.subgraph import MultiOutput
from . import scene as scenes
from .graph import describe
from .picture import drawn_graph
from .summary import MAX_NODES
from .svg import scene_svg
from .text import visible

_ASSIGNMENT = re.compile(r"^\s*([A-Za-z_][A-Za-z_0-9]*)\s*(?:[-+*/@%]|//|\*\*)?=(?!=)")


@paused_gc()
def explore(
    outputs: Any,
    path: str | os.PathLike[str],
    inputs: Sequence[Expr] | None = None,
    optimize: bool | Sequence[str] = True,
    max_nodes: int | None = MAX_NODES,
    title: str = "symgrad explorer",
) -> str:
    """Write one self-contained HTML page exploring the compiled ``outputs`` to ``path``.

    The graph pans (drag) and zooms (scroll); its forward, gradient and pruned layers can be
    hidden; clicking a node shows its op, shape, dtype, the line of your code that built it
    (recorded inside ``with sg.record_source_lines():``) and highlights its statement in
    the emitted source shown beside it. ``inputs`` and ``optimize`` are as for
    :func:`symgrad.compile`; graphs of more than ``max_nodes`` nodes show the part nearest
    the outputs. Returns the path.

    >>> import symgrad as sg, tempfile, os
    >>> x = sg.var("x", shape=(3,))
    >>> page = sg.explore(sg.grad(sg.sin(x).sum(), x), os.path.join(tempfile.mkdtemp(), "p.html"))
    >>> open(page, encoding="utf-8").read().startswith("<!DOCTYPE html>")
    True
    """
    target = os.fspath(path)
    lowered = lower(outputs, inputs, optimize)
    drawn = drawn_graph(outputs, show_pruned=True, max_nodes=max_nodes)
    scene = scenes.build(drawn.graph, caption=drawn.caption)
    source = lowered.emitted.source.splitlines()
    statements = statement_lines(source, lowered.emitted.names)
    _add_block_lines(drawn.graph, statements, source)
    clusters = drawn.graph.graph.get("clusters", {})
    nodes = {}
    for n, data in drawn.graph.nodes(data=True):
        nodes[str(n)] = _details(data, statements, clusters)
    stats = lowered.stats
    summary = (
        f"built {stats.built}, with derivatives {stats.differentiated}, needed "
        f"{stats.after_pruning}, after optimizing {stats.after_optimization} nodes; "
        f"{stats.statements} statements"
    )
    page = string.Template(_asset("explore.html")).substitute(
        title=html.escape(visible(title)),
        style=_asset("explore.css"),
        script=_asset("explore.js"),
        svg=scene_svg(scene, node_ids=True),
        count=len(scene.boxes),
        stats=html.escape(summary),
        data=_script_json({"nodes": nodes, "source": source}),
    )
    with open(target, "w", encoding="utf-8") as file:
        file.write(page)
    return target


def statement_lines(source: list[str], names: Sequence[tuple[int, str]]) -> dict[int, int]:
    """Node id -> the (1-based) line of the statement computing it.

    ``names`` gives each node's name in the order the statements assign them (a name may be
    reused once its value is dead), so the k-th node named ``r0`` is computed by the k-th
    assignment to ``r0`` among those not yet matched."""
    expected: dict[str, list[int]] = {}
    for node, name in reversed(names):
        expected.setdefault(name, []).append(node)
    lines: dict[int, int] = {}
    for number, text in enumerate(source, start=1):
        match = _ASSIGNMENT.match(text)
        if match is None:
            continue
        waiting = expected.get(match.group(1))
        if waiting:
            node = waiting.pop()
            lines.setdefault(node, number)
    return lines


def _add_block_lines(graph: Any, statements: dict[int, int], source: list[str]) -> None:
    """For each control-flow node, the ``# op`` comment opening its block: the nearest one
    above the first statement naming one of its results."""
    for n, data in graph.nodes(data=True):
        expr = data["expr"]
        if expr is None or not isinstance(expr.op, MultiOutput) or id(expr) in statements:
            continue
        firsts = [
            statements[id(graph.nodes[m]["expr"])]
            for m in graph.successors(n)
            if graph.nodes[m]["expr"] is not None and id(graph.nodes[m]["expr"]) in statements
        ]
        marker = f"# {expr.op.name}"
        for k in range(min(firsts, default=0), 0, -1):
            if source[k - 1].strip() == marker:
                statements[id(expr)] = k
                break


def _details(
    data: dict[str, Any], statements: dict[int, int], clusters: dict[str, Any]
) -> dict[str, Any]:
    title, detail = describe(data)
    expr = data["expr"]
    info: dict[str, Any] = {
        "title": visible(title),
        "op": visible(data["label"]),
        "shape": detail.rsplit(" ", 1)[0] if data["role"] != "elided" else "",
        "dtype": data["dtype"],
        "role": data["role"],
        "pruned": bool(data["pruned"]),
        "output": list(data["output"]),
        "body": visible(clusters[data["cluster"]]["label"]) if data["cluster"] else "",
        "source": "",
        "source_text": "",
        "line": None,
        "note": "",
    }
    if expr is None:
        info["note"] = "not drawn: the graph is larger than the picture's limit"
        return info
    origin = origin_of(expr)
    if origin is not None:
        filename, number = origin
        info["source"] = visible(f"{_shorter(filename)}:{number}")
        info["source_text"] = visible(linecache.getline(filename, number).strip())
    line = statements.get(id(expr))
    if line is not None:
        info["line"] = line
    elif data["pruned"]:
        info["note"] = "none: pruned, the outputs do not need it"
    elif isinstance(expr.op, Constant):
        info["note"] = "none: written as a literal, or folded into what reads it"
    else:
        info["note"] = "none of its own: the optimizer rewrote it (folded, merged or fused)"
    return info


def _shorter(filename: str) -> str:
    """``filename`` relative to the current directory when it lies below it."""
    try:
        relative = os.path.relpath(filename)
    except ValueError:  # another drive
        return filename
    return filename if relative.startswith("..") else relative


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _script_json(value: Any) -> str:
    """JSON safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` at all."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
