"""``sg.draw``: write a graph picture as .svg, .png or .dot.

Pictures are laid out by symgrad itself (:mod:`.layout`) and written as SVG; PNG is that
SVG rasterized by resvg (``pip install 'symgrad[viz]'``), so both show the same. When
Graphviz's ``dot`` is on the PATH it lays the picture out instead, unless the environment
variable ``SYMGRAD_GRAPHVIZ`` is ``0``. If Graphviz fails or takes longer than
:data:`GRAPHVIZ_TIMEOUT` seconds, the picture is drawn by symgrad with a warning.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import warnings
from typing import Any

from .dot import to_dot
from .summary import MAX_NODES
from .svg import to_svg
from .text import FONT_FAMILY

FORMATS = (".svg", ".png", ".dot")
GRAPHVIZ_TIMEOUT = 60.0  # seconds
PNG_SCALE = 2.0  # pixels per SVG unit: sharp on high-density screens and in documents


def graphviz() -> str | None:
    """The path of Graphviz's ``dot``, or None if it is missing or switched off
    (``SYMGRAD_GRAPHVIZ=0``)."""
    if os.environ.get("SYMGRAD_GRAPHVIZ", "").strip().lower() in ("0", "no", "off", "false"):
        return None
    return shutil.which("dot")


def draw(
    outputs: Any,
    path: str | os.PathLike[str],
    show_pruned: bool = False,
    highlight: Any = None,
    max_nodes: int | None = MAX_NODES,
) -> str:
    """Write a picture of the graph behind ``outputs`` to ``path`` (.svg, .png or .dot).

    Inputs, body parameters, constants, forward and gradient nodes are drawn in distinct
    colours with a legend; every operand is its own edge, numbered where the order matters
    (``a - b``); ``show_pruned`` adds the nodes the outputs do not need (greyed, dashed);
    ``highlight`` (a variable) marks in red the nodes and edges that carry its derivative.
    Graphs of more than ``max_nodes`` nodes show the part nearest the outputs and say so;
    ``max_nodes=None`` draws every node. Returns the path.

    >>> import symgrad as sg, tempfile, os
    >>> x = sg.var("x", shape=(3,))
    >>> out = sg.draw(sg.grad(sg.sin(x).sum(), x), os.path.join(tempfile.mkdtemp(), "g.svg"))
    >>> out.endswith("g.svg")
    True
    """
    target = os.fspath(path)
    suffix = check_target(target)
    if suffix == ".dot":
        _write(target, to_dot(outputs, show_pruned, highlight, max_nodes=max_nodes))
        return target
    dot = graphviz()
    if dot is None and suffix == ".png":
        check_png_support()
    if dot is not None:
        source = to_dot(outputs, show_pruned, highlight, max_nodes=max_nodes)
        problem = _run_graphviz(dot, source, suffix, target)
        if problem is None:
            return target
        warnings.warn(
            f"draw: Graphviz {problem}; the picture is drawn by symgrad's own layout instead",
            RuntimeWarning,
            stacklevel=2,
        )
        if suffix == ".png":
            check_png_support()
    svg = to_svg(outputs, show_pruned, highlight, max_nodes=max_nodes)
    if suffix == ".svg":
        _write(target, svg)
    else:
        with open(target, "wb") as file:
            file.write(svg_to_png(svg))
    return target


def _run_graphviz(dot: str, source: str, suffix: str, target: str) -> str | None:
    """Run Graphviz; None if it wrote ``target``, else what went wrong."""
    try:
        done = subprocess.run(
            [dot, f"-T{suffix[1:]}", "-o", target],
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=GRAPHVIZ_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return f"took longer than {GRAPHVIZ_TIMEOUT:g} s"
    except OSError as error:
        return f"could not be run ({error})"
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return f"failed ({message[-1] if message else f'exit status {done.returncode}'})"
    return None


def check_png_support() -> None:
    """Raise a clear error, before any work, if PNG pictures cannot be made here."""
    try:
        import resvg_py  # noqa: F401
    except ImportError:
        raise RuntimeError(
            "draw: PNG needs resvg (pip install 'symgrad[viz]') or Graphviz's dot on the "
            "PATH; .svg and .dot need neither"
        ) from None


def svg_to_png(svg: str) -> bytes:
    """The PNG rendering of an SVG picture, with the fonts matplotlib ships when it is
    installed (so text renders even on a machine without system fonts)."""
    check_png_support()
    import resvg_py

    options: dict[str, Any] = {"zoom": PNG_SCALE, "background": "white"}
    fonts = _bundled_fonts()
    if fonts is not None:
        options["font_dirs"] = [fonts]
        options["sans_serif_family"] = FONT_FAMILY.split(",")[0]
    return bytes(resvg_py.svg_to_bytes(svg_string=svg, **options))


def _bundled_fonts() -> str | None:
    spec = importlib.util.find_spec("matplotlib")  # found without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = os.path.join(spec.submodule_search_locations[0], "mpl-data", "fonts", "ttf")
    return folder if os.path.isdir(folder) else None


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
