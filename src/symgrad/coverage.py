"""The list of supported ops, generated from the op registry (docs/ops.md).

    python -m symgrad.coverage > docs/ops.md

A test checks that docs/ops.md matches, so the list never goes stale.
"""

from __future__ import annotations

import inspect
import re
import sys
from typing import Any

import symgrad as sg

from .ops.base import Op

#: NumPy functions people differentiate that symgrad does not cover yet.
NOT_YET = (
    "linalg.matrix_rank cond; pad modes other than "
    "constant, edge and reflect; indexing with a boolean mask that is an expression, and other "
    "results whose shape depends on the data (nonzero, unique: use where); histogram, "
    "polyfit, digitize; quantile methods other than 'linear' ([numpy.md](numpy.md) has the "
    "full list)"
)


def first_sentence(obj: Any) -> str:
    """The first sentence of ``obj``'s docstring, on one line, without reStructuredText
    markup (a sentence ends at a period followed by a space or the end of the paragraph)."""
    paragraph = " ".join((inspect.getdoc(obj) or "").split("\n\n")[0].split())
    paragraph = re.sub(r":\w+:`~?([^`]*)`", r"\1", paragraph).replace("``", "`")
    match = re.match(r"(.+?[.!?])(\s|$)", paragraph)
    return (match.group(1) if match else paragraph).strip()


def _overrides(cls: type[Op], method: str) -> bool:
    return getattr(cls, method) is not getattr(Op, method)


def _on_dask(cls: type[Op]) -> str:
    """``yes``, ``no``, or ``some`` (for ops whose support depends on the node)."""
    if not (cls.elementwise if cls.dask is None else cls.dask):
        return "no"
    return "some" if _overrides(cls, "dask_unsupported") else "yes"


def _public_functions(module: Any) -> list[str]:
    return [
        n
        for n in sorted(module.__all__)
        if callable(getattr(module, n)) and not isinstance(getattr(module, n), type)
    ]


def markdown() -> str:
    rows = []
    for name, cls in sorted(Op.registry.items()):
        if cls.__module__.startswith("symgrad.") is False:
            continue  # ops defined outside the package (tests) are not listed
        rules = _overrides(cls, "vjp") and _overrides(cls, "jvp")
        reverse = "zero" if not cls.differentiable else "yes" if rules else "no"
        rows.append(
            f"| `{name}` | {cls.__module__.removeprefix('symgrad.ops.')} | {reverse} | "
            f"{'yes' if _overrides(cls, 'to_sympy') else 'no'} | {_on_dask(cls)} | "
            f"{first_sentence(cls).replace('|', chr(92) + '|')} |"
        )
    functions = ", ".join(f"`{n}`" for n in _public_functions(sg))
    linalg_functions = ", ".join(f"`linalg.{n}`" for n in _public_functions(sg.linalg))
    fft_functions = ", ".join(f"`fft.{n}`" for n in _public_functions(sg.fft))
    return "\n".join(
        [
            "# Supported operations",
            "",
            "Generated from the op registry by `python -m symgrad.coverage`; a test keeps it in",
            "step with the code.",
            "",
            f'{len(rows)} ops. Derivatives are "yes" where the op has reverse- and forward-mode',
            'rules, "zero" where its derivative is zero by convention (comparisons, rounding,',
            '`stop_gradient`), "no" where differentiating through it raises an error. Dask says',
            'whether the op runs on Dask arrays (`backend="dask"`, docs/backends.md): "some" where',
            "it depends on the arguments (linear algebra on one matrix, not a stack; `take` with a",
            "list of indices).",
            "",
            "| op | module | derivatives | SymPy | Dask | what it is |",
            "| --- | --- | --- | --- | --- | --- |",
            *rows,
            "",
            "## Public functions",
            "",
            functions,
            "",
            f"In `sg.linalg`: {linalg_functions}.",
            "",
            f"In `sg.fft`: {fft_functions}.",
            "",
            "NumPy's own functions on expressions, and `symgrad.numpy`: [numpy.md](numpy.md).",
            "",
            "## Not supported yet",
            "",
            NOT_YET + ".",
            "",
        ]
    )


if __name__ == "__main__":
    sys.stdout.write(markdown())
