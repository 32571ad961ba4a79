"""Safe, readable identifiers for the emitted code.

Any string is a legal symgrad variable name; only ``[A-Za-z0-9_]`` survives into the source,
so no name can inject code. Leading underscores are dropped, which keeps user names apart
from the module's helpers (``_input``, ``_softmax``...). Names that clash with keywords,
the modules the code imports, the names the module defines (``evaluate``, the library's
errors, ops' helpers), the builtins its statements call (``float`` and ``range`` in the
emitter's own code, those ops' forms call, from the op registry) or each other get a suffix.
Other builtins may be shadowed inside ``evaluate``: nothing there calls them (helpers are
module-level functions, which see the builtins whatever ``evaluate`` names its locals).
"""

from __future__ import annotations

import keyword
import re

from .. import errors
from ..core.expr import Expr
from ..ops import catalog
from ..ops.leaves import Constant, Variable

_NOT_IDENTIFIER = re.compile(r"[^A-Za-z0-9_]+")
_MAX_LENGTH = 32
# Names a local variable must not take: it would shadow what the emitted code calls.
RESERVED = (
    frozenset(keyword.kwlist)
    | frozenset(keyword.softkwlist)
    | {"np", "da", "dask", "math", "base64", "evaluate", "float", "range"}
    | {name for name, value in vars(errors).items() if isinstance(value, type)}
    | catalog.helper_names()
    | catalog.builtins_called()
)


def identifier(hint: str) -> str:
    """``hint`` reduced to an ASCII identifier (not yet checked for clashes)."""
    base = _NOT_IDENTIFIER.sub("_", hint).strip("_")[:_MAX_LENGTH].rstrip("_")
    if not base:
        return "v"
    if base[0].isdigit():
        base = "v" + base
    return base


class Namer:
    """Hands out distinct identifiers: ``x``, then ``x_1``, ``x_2``..."""

    def __init__(self, taken: set[str] | frozenset[str] = RESERVED):
        self._taken = set(taken)
        self._next: dict[str, int] = {}

    def reserve(self, name: str) -> None:
        self._taken.add(name)

    def fresh(self, hint: str) -> str:
        base = identifier(hint)
        if base not in self._taken:
            self._taken.add(base)
            return base
        n = self._next.get(base, 1)
        while f"{base}_{n}" in self._taken:
            n += 1
        self._next[base] = n + 1
        name = f"{base}_{n}"
        self._taken.add(name)
        return name


def hint(node: Expr) -> str:
    """A readable base name: the op, and the variable it is applied to if there is one."""
    if isinstance(node.op, Variable):
        return node.op.var_name
    args = [x for x in node.inputs if not isinstance(x.op, Constant)]
    if len(args) == 1 and isinstance(args[0].op, Variable):
        return f"{node.op.name}_{args[0].op.var_name}"
    return node.op.name
