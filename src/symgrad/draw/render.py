"""``sg.draw``: write a graph picture as .svg, .png or .dot.

With Graphviz's ``dot`` on the PATH it lays out the picture (better with many crossings);
without it, SVG is drawn by symgrad's own layered layout, and PNG by matplotlib
(``pip install 'symgrad[viz]'``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

from .dot import to_dot
from .svg import to_svg

FORMATS = (".svg", ".png", ".dot")


def draw(
    outputs: Any, path: str | os.PathLike[str], show_pruned: bool = False, highlight: Any = None
) -> str:
    """Write a picture of the graph behind ``outputs`` to ``path`` (.svg, .png or .dot).

    Inputs, constants, forward and gradient nodes are drawn in distinct colours with a
    legend; ``show_pruned`` adds the nodes the outputs do not need (greyed, dashed);
    ``highlight`` (a variable) marks the path its derivative flows along. Returns the path.

    >>> import symgrad as sg, tempfile, os
    >>> x = sg.var("x", shape=(3,))
    >>> out = sg.draw(sg.grad(sg.sin(x).sum(), x), os.path.join(tempfile.mkdtemp(), "g.svg"))
    >>> out.endswith("g.svg")
    True
    """
    target = os.fspath(path)
    suffix = check_target(target)
    if suffix == ".dot":
        _write(target, to_dot(outputs, show_pruned, highlight))
        return target
    dot = shutil.which("dot")
    if dot is not None:
        source = to_dot(outputs, show_pruned, highlight)
        done = subprocess.run(
            [dot, f"-T{suffix[1:]}", "-o", target],
            input=source.encode(),
            capture_output=True,
            timeout=120,
        )
        if done.returncode == 0:
            return target
    if suffix == ".svg":
        _write(target, to_svg(outputs, show_pruned, highlight))
        return target
    from .png import write_png

    write_png(outputs, target, show_pruned, highlight)
    return target


def check_target(path: str | os.PathLike[str]) -> str:
    """The suffix of ``path``, after checking that this machine can write such a picture
    (so a command can refuse before doing the work). Raises ``ValueError`` for an unknown
    suffix and ``RuntimeError`` for a PNG with neither Graphviz nor matplotlib."""
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"draw: cannot write {suffix or 'a file without suffix'!r}; "
            f"use one of {', '.join(FORMATS)}"
        )
    if suffix == ".png" and shutil.which("dot") is None:
        import importlib.util

        if importlib.util.find_spec("matplotlib") is None:
            raise RuntimeError(
                "draw: PNG needs Graphviz's dot on the PATH or matplotlib "
                "(pip install 'symgrad[viz]'); .svg and .dot need neither"
            )
    return suffix


def _write(path: str, content: str) -> None:
    with open(path, "w", encoding="utf-8") as file:
        file.write(content)
