"""``symgrad ops``: every function and method an expression may use, from the parser's
table (itself derived from the public API), grouped by kind, with its signature."""

from __future__ import annotations

import inspect
from typing import Any

from ..coverage import first_sentence
from ..parse import CONSTANTS, EXCLUDED, FUNCTIONS, METHODS

#: Headings for the modules functions are defined in (others use the module's name).
KINDS = {
    "elementwise": "elementwise",
    "reductions": "reductions and cumulative ops",
    "shape_ops": "shapes",
    "arrangement": "rearranging, stacking, gathering",
    "contractions": "contractions and diagonals",
    "linalg": "products",
    "decompositions": "linear algebra (also as linalg.NAME)",
    "matrix_functions": "linear algebra (also as linalg.NAME)",
    "svd": "linear algebra (also as linalg.NAME)",
}


def _plain(obj: Any) -> str:
    """The first sentence of the docstring, without Markdown backticks (for a terminal)."""
    return first_sentence(obj).replace("`", "")


def _signature(name: str, obj: Any, method: bool = False) -> str:
    try:
        parameters = list(inspect.signature(obj).parameters.values())
    except (TypeError, ValueError):
        return f"{name}(...)"
    shown = []
    for p in parameters[1:] if method else parameters:
        if p.name.startswith("_"):
            continue
        if p.kind is p.VAR_POSITIONAL:
            shown.append(f"*{p.name}")
        elif p.default is p.empty:
            shown.append(p.name)
        else:
            shown.append(f"{p.name}={p.default!r}")
    return f"{name}({', '.join(shown)})"


def text() -> str:
    """The listing ``symgrad ops`` prints."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for name, function in sorted(FUNCTIONS.items()):
        if name.startswith("linalg."):
            continue  # listed under their short name, in the linear algebra group
        module = function.__module__.rsplit(".", 1)[-1]
        kind = KINDS.get(module, module)
        groups.setdefault(kind, []).append((_signature(name, function), _plain(function)))
    methods = [
        (_signature(f"x.{name}", member, method=True), _plain(member))
        for name, member in sorted(METHODS.items())
    ]
    groups["methods of expressions"] = methods + [("x.T", "The transpose.")]
    count = len([n for n in FUNCTIONS if not n.startswith("linalg.")])
    lines = [
        f"{count} functions and {len(methods) + 1} methods, by kind; operators + - * / ** @ % "
        "and comparisons < <= > >= == != work too.",
        f"Constants: {', '.join(CONSTANTS)}.",
    ]
    width = 30  # longer signatures get a line of their own
    for kind, entries in groups.items():
        lines += ["", f"{kind}:"]
        for sig, doc in entries:
            if len(sig) > width:
                lines += [f"  {sig}", f"  {'':<{width}}  {doc}".rstrip()]
            else:
                lines.append(f"  {sig:<{width}}  {doc}".rstrip())
    lines += ["", "not in expressions (the reason):"]
    lines += [f"  {name}: {why}" for name, why in sorted(EXCLUDED.items())]
    return "\n".join(lines) + "\n"
