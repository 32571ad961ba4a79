"""From outputs to a laid-out scene: the graph, what to mark, what to leave out."""

from __future__ import annotations

from typing import Any

from . import scene
from .graph import to_networkx
from .highlight import highlighted
from .summary import MAX_NODES, summarize


def prepare(
    outputs: Any,
    show_pruned: bool = False,
    highlight: Any = None,
    max_nodes: int | None = MAX_NODES,
) -> scene.Scene:
    """The scene for a picture of ``outputs`` (see :func:`symgrad.draw`)."""
    graph = to_networkx(outputs, show_pruned)
    marked_nodes, marked_edges = highlighted(graph, highlight)
    small, caption = summarize(graph, max_nodes)
    if small is not graph:
        marked_nodes = {n for n in marked_nodes if n in small}
        marked_edges = {e for e in marked_edges if e[0] in small and e[1] in small}
    return scene.build(small, (marked_nodes, marked_edges), caption)
