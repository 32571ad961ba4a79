"""HTML for Jupyter: a gradient check as a table, a compiled function as its stages, its
optimized graph and its source."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..core import conveniences
from ..draw.svg import to_svg
from ..executable import Executable, highlight_python
from .compiled import Stages, compiled_listing, summary_lines

if TYPE_CHECKING:
    from ..check.gradcheck import GradCheckReport

#: Graphs with more nodes are not drawn inline (the picture would be unreadable and huge).
PICTURE_LIMIT = 300

_CELL = 'style="text-align:left; padding:2px 10px; font-family:monospace"'
_PRE = 'style="font-family:monospace; white-space:pre; text-align:left"'
_GOOD = "color:#1a7f37; font-weight:bold"
_BAD = "color:#cf222e; font-weight:bold"


def _table(
    rows: Sequence[tuple[str, ...]], styles: dict[tuple[int, int], str] | None = None
) -> str:
    styles = styles or {}
    head = "".join(f"<th {_CELL}>{html.escape(c)}</th>" for c in rows[0])
    body = []
    for i, row in enumerate(rows[1:], start=1):
        cells = "".join(
            f'<td {_CELL[:-1]}; {styles.get((i, j), "")}">{html.escape(c)}</td>'
            for j, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def report_table(report: GradCheckReport) -> str:
    """A ``check_grad`` report: one row per variable, the verdict, and the notes."""
    rows = report.rows()
    last = len(rows[0]) - 1
    styles = {(i, last): _GOOD if v.ok else _BAD for i, v in enumerate(report.variables, 1)}
    verdict = f'<p style="{_GOOD if report.ok else _BAD}">{html.escape(report.verdict())}</p>'
    note = "".join(f"<p>{html.escape(line)}</p>" for line in report.notes())
    return f"<div>{_table(rows, styles)}{verdict}{note}</div>"


def executable_html(f: Executable) -> str:
    """A compiled function: its stages, what pruning and optimization removed, the graph it
    runs (as text), a picture of the graph as built with the pruned nodes, and its source."""
    stages = Stages(f)
    s = f.stats
    counts = [
        ("stage", "nodes"),
        ("built (forward)", str(s.built)),
        ("with derivatives", str(s.differentiated)),
        ("after pruning", str(s.after_pruning)),
        ("after optimization", str(s.after_optimization)),
        ("statements emitted", str(s.statements)),
    ]
    removed = summary_lines(f, stages)[1:]  # the first is in the table
    text = str(compiled_listing(f, summary=False))  # the summary is in the table above
    pieces = [
        f"<div><b>{html.escape(repr(f))}</b></div>",
        _table(counts),
        "<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in removed) + "</ul>",
        f"<details open><summary>the graph it runs</summary><pre {_PRE}>{html.escape(text)}"
        "</pre></details>",
    ]
    size = s.differentiated
    if size <= PICTURE_LIMIT:
        pieces.append(
            "<details><summary>picture of the graph as built (pruned nodes dashed)</summary>"
            f"{to_svg(f.outputs, show_pruned=True)}</details>"
        )
    else:
        pieces.append(f"<p>({size} nodes: too many to draw here; use sg.draw)</p>")
    pieces.append(f"<details><summary>source</summary>{highlight_python(f.source)}</details>")
    return "".join(pieces)


conveniences.executable_html = executable_html
conveniences.report_html = report_table
