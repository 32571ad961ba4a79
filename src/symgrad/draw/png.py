"""PNG pictures with matplotlib, from the same layout as the SVG ones."""

from __future__ import annotations

from typing import Any

from .dot import highlighted_path
from .graph import to_networkx
from .layout import layered_layout
from .svg import COLOURS


def write_png(outputs: Any, path: str, show_pruned: bool = False, highlight: Any = None) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.patches import FancyBboxPatch
    except ImportError:
        raise RuntimeError(
            "draw: PNG needs Graphviz's dot on the PATH or matplotlib "
            "(pip install 'symgrad[viz]'); .svg and .dot need neither"
        ) from None
    graph = to_networkx(outputs, show_pruned)
    path_nodes = highlighted_path(graph, highlight)
    layout = layered_layout(graph)
    dpi = 100
    fig = plt.figure(figsize=(max(layout.width, 200) / dpi, max(layout.height, 100) / dpi), dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, max(layout.width, 200))
    ax.set_ylim(max(layout.height, 100), 0)
    ax.axis("off")
    for a, b in graph.edges:
        s, t = layout.boxes[a], layout.boxes[b]
        red = a in path_nodes and b in path_nodes
        pruned = graph.nodes[a]["pruned"] or graph.nodes[b]["pruned"]
        ax.annotate(
            "",
            xy=(t.x, t.y - t.height / 2),
            xytext=(s.x, s.y + s.height / 2),
            arrowprops={
                "arrowstyle": "->",
                "lw": 2 if red else 0.8,
                "color": "#d62728" if red else "#bbbbbb" if pruned else "#555555",
                "linestyle": "--" if pruned else "-",
            },
        )
    for n, data in graph.nodes(data=True):
        box = layout.boxes[n]
        fill, stroke = COLOURS[data["role"]]
        if data["pruned"]:
            fill, stroke = "#ffffff", "#aaaaaa"
        if n in path_nodes:
            stroke = "#d62728"
        ax.add_patch(
            FancyBboxPatch(
                (box.x - box.width / 2, box.y - box.height / 2),
                box.width,
                box.height,
                boxstyle="round,pad=0,rounding_size=6",
                facecolor=fill,
                edgecolor=stroke,
                linestyle="--" if data["pruned"] else "-",
            )
        )
        ax.text(box.x, box.y - 4, box.title, ha="center", va="center", fontsize=8)
        ax.text(
            box.x, box.y + 9, box.detail, ha="center", va="center", fontsize=6.5, color="#666666"
        )
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
