"""SVG pictures drawn by symgrad itself (no Graphviz needed); PNG pictures rasterize them."""

from __future__ import annotations

from typing import Any

from ..core import conveniences
from ..core.gc_pause import paused_gc
from . import scene as scenes
from .scene import Scene
from .sugiyama import Point
from .summary import MAX_NODES
from .text import FONT_FAMILY, xml
from .text import width as text_width

ARROW = 7.0  # arrowhead length in pixels, the same for thin and thick edges


def to_svg(
    outputs: Any,
    show_pruned: bool = False,
    highlight: Any = None,
    max_nodes: int | None = MAX_NODES,
) -> str:
    """An SVG picture of the graph drawn by symgrad's own layout (see :func:`symgrad.draw`).

    Graphs of more than ``max_nodes`` nodes show the nodes nearest the outputs and say how
    many are left out; ``max_nodes=None`` draws them all.
    """
    from .picture import prepare

    return scene_svg(prepare(outputs, show_pruned, highlight, max_nodes))


@paused_gc()
def scene_svg(scene: Scene, node_ids: bool = False) -> str:
    """The SVG text of a laid-out scene. ``node_ids`` adds ``data-node`` attributes (for
    the explorer page)."""
    w, h = f"{scene.width:.0f}", f"{scene.height:.0f}"
    colours = sorted({line.colour for line in scene.lines})
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" font-family="{FONT_FAMILY}" font-size="11">',
        "<defs>" + "".join(_marker(c) for c in colours) + "</defs>",
        f'<rect width="{w}" height="{h}" fill="white"/>',
    ]
    parts += _legend(scene)
    dx, dy = scene.offset
    parts.append(f'<g class="graph" transform="translate({dx:.1f} {dy:.1f})">')
    parts += _frames(scene, node_ids)
    parts += _lines(scene, node_ids)
    parts += _boxes(scene, node_ids)
    parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _marker(colour: str) -> str:
    return (
        f'<marker id="arrow{colour[1:]}" viewBox="0 0 10 10" refX="10" refY="5" '
        f'markerUnits="userSpaceOnUse" markerWidth="{ARROW}" markerHeight="{ARROW}" '
        f'orient="auto"><path d="M 0 0 L 10 5 L 0 10 z" fill="{colour}"/></marker>'
    )


def path_data(points: list[Point]) -> str:
    """Vertical runs as lines, moves between layers as curves leaving and arriving
    vertically (they stay inside the gap between the layers)."""
    (x, y), rest = points[0], points[1:]
    out = [f"M {x:.1f} {y:.1f}"]
    for nx_, ny in rest:
        if abs(nx_ - x) < 0.05:
            out.append(f"L {nx_:.1f} {ny:.1f}")
        else:
            mid = (y + ny) / 2
            out.append(f"C {x:.1f} {mid:.1f} {nx_:.1f} {mid:.1f} {nx_:.1f} {ny:.1f}")
        x, y = nx_, ny
    return " ".join(out)


def _lines(scene: Scene, node_ids: bool) -> list[str]:
    out = []
    # Plain edges first, marked ones on top.
    for line in sorted(scene.lines, key=lambda line: line.width):
        if len(line.points) < 2:
            continue
        dash = ' stroke-dasharray="5 3"' if line.dashed else ""
        ids = (
            f' data-tail="{xml(str(line.tail))}" data-head="{xml(str(line.head))}"'
            if node_ids
            else ""
        )
        label = ""
        if line.label:
            label = _label(line)
        out.append(
            f'<g class="edge"{ids}><path d="{path_data(line.points)}" fill="none" '
            f'stroke="{line.colour}" stroke-width="{line.width}"{dash} '
            f'marker-end="url(#arrow{line.colour[1:]})"/>{label}</g>'
        )
    return out


def _label(line: scenes.Line) -> str:
    """The operand position, beside the arrowhead, on the side the edge comes from."""
    x, y = line.points[-1]
    before = next((p for p in reversed(line.points[:-1]) if abs(p[1] - y) > 1.0), (x, y))
    left = before[0] < x - 0.5
    anchor = "end" if left else "start"
    lx = x - 3 if left else x + 3
    return (
        f'<text x="{lx:.1f}" y="{y - 5:.1f}" text-anchor="{anchor}" font-size="9" '
        f'fill="{line.colour}" stroke="white" stroke-width="3" paint-order="stroke">'
        f"{xml(line.label)}</text>"
    )


def _frames(scene: Scene, node_ids: bool) -> list[str]:
    """A dashed frame around each branch or loop body, its name in the top strip (grey for
    the body of a pruned op)."""
    out = []
    for f in scene.frames:
        fill, stroke = ("#fbfbfb", "#bbbbbb") if f.pruned else ("#faf6fc", "#7b3fa0")
        ids = f' data-owner="{xml(str(f.owner))}"' if node_ids else ""
        out.append(
            f'<g class="cluster{" pruned" if f.pruned else ""}"{ids}><rect x="{f.x0:.1f}" '
            f'y="{f.y0:.1f}" width="{f.x1 - f.x0:.1f}" height="{f.y1 - f.y0:.1f}" rx="8" '
            f'fill="{fill}" stroke="{stroke}" stroke-dasharray="5 3"/>'
            f'<text x="{f.x0 + 8:.1f}" y="{f.y0 + 12:.1f}" fill="{stroke}" font-size="9">'
            f"{xml(f.label)}</text></g>"
        )
    return out


def _boxes(scene: Scene, node_ids: bool) -> list[str]:
    out = []
    for b in scene.boxes:
        x, y = b.x - b.width / 2, b.y - b.height / 2
        dash = ' stroke-dasharray="4 3"' if b.dashed else ""
        ids = f' data-node="{xml(str(b.node))}"' if node_ids else ""
        double = ""
        if b.output:  # outputs get a second border, as Graphviz's peripheries=2
            double = (
                f'<rect x="{x - 3:.1f}" y="{y - 3:.1f}" width="{b.width + 6:.1f}" '
                f'height="{b.height + 6:.1f}" rx="{b.radius + 3:.1f}" fill="none" '
                f'stroke="{b.stroke}" stroke-width="1.2"{dash}/>'
            )
        out.append(
            f'<g class="node {b.role}{" pruned" if b.pruned else ""}"{ids}>'
            f"<title>{xml(b.tooltip)}</title>{double}"
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{b.width:.1f}" height="{b.height:.1f}" '
            f'rx="{b.radius:.1f}" fill="{b.fill}" stroke="{b.stroke}" '
            f'stroke-width="{b.stroke_width}"{dash}/>'
            f'<text x="{b.x:.1f}" y="{b.y - 2:.1f}" text-anchor="middle" fill="{b.ink}">'
            f"{xml(b.title)}</text>"
            f'<text x="{b.x:.1f}" y="{b.y + 11:.1f}" text-anchor="middle" fill="#666666" '
            f'font-size="9">{xml(b.detail)}</text></g>'
        )
    return out


def _legend(scene: Scene) -> list[str]:
    out = ['<g class="legend">']
    items = scenes.legend_items(scene)
    y = scenes.MARGIN
    for x, w, text, fill, stroke, radius, dashed in items:
        dash = ' stroke-dasharray="4 3"' if dashed else ""
        rx = 9.0 if radius is None else radius
        out.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="18" rx="{rx}" '
            f'fill="{fill}" stroke="{stroke}"{dash}/><text x="{x + w / 2:.1f}" y="{y + 13:.1f}" '
            f'text-anchor="middle" font-size="10">{xml(text)}</text>'
        )
    x = items[-1][0] + items[-1][1] + 14.0 if items else scenes.MARGIN
    for note in scene.legend_notes:
        out.append(
            f'<text x="{x:.1f}" y="{y + 13:.1f}" font-size="9.5" fill="#555555">{xml(note)}</text>'
        )
        x += text_width(note, 9.5) + 14.0
    if scene.caption:
        out.append(
            f'<text x="{scenes.MARGIN:.1f}" y="{y + scenes.LEGEND_HEIGHT + 10:.1f}" '
            f'font-size="10" fill="#444444">{xml(scene.caption)}</text>'
        )
    out.append("</g>")
    return out


conveniences.picture = to_svg  # Expr._repr_svg_ (Jupyter) draws with this
