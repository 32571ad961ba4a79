"""The report layout every command shares.

A report is a list of sections separated by blank lines. Each row of a section says where
its value comes from (``expression``, ``SymPy``, ``at``, ``value``, ``symgrad``...), then
``name = value``; within a section the ``=`` signs line up, and the rows of a multi-row
array are indented under its first bracket::

    expression  f = sum(x * y)
    at          x = [[1., 0.],
                     [0., 1.]]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np

#: Arrays with more elements are summarized (first and last few) unless --full.
SUMMARY_THRESHOLD = 64
#: Formulas longer than this are cut unless --full (per element of an array of formulas).
FORMULA_WIDTH = 300
ELEMENT_WIDTH = 60
#: Arrays wrap at this width (the continuation lines are indented under the value).
LINE_WIDTH = 88
_TAG_WIDTH = 11


class Report:
    """Rows and free lines, printed in sections."""

    def __init__(self, full: bool = False):
        self.full = full
        self.sections: list[list[tuple[str, str, list[str]] | str]] = [[]]
        self.shortened = False

    def section(self) -> None:
        if self.sections[-1]:
            self.sections.append([])

    def row(self, tag: str, name: str, value: Sequence[str] | str) -> None:
        lines = value.splitlines() if isinstance(value, str) else list(value)
        self.sections[-1].append((tag, name, lines or [""]))

    def line(self, text: str) -> None:
        self.sections[-1].append(text)

    def array(self, tag: str, name: str, value: object) -> None:
        self.row(tag, name, self.array_text(value))

    def formula(self, tag: str, name: str, value: np.ndarray) -> None:
        self.row(tag, name, self.formula_text(value))

    def array_text(self, value: object) -> str:
        threshold = sys.maxsize if self.full else SUMMARY_THRESHOLD
        value = np.asarray(value)
        if value.dtype.kind in "fc":
            value = value + 0.0  # -0.0 (a product with a zero) is shown as 0.
        if value.size > threshold:
            self.shortened = True
        return np.array2string(
            value,
            separator=", ",
            max_line_width=LINE_WIDTH,
            threshold=threshold,
            edgeitems=3,
            precision=8,
        )

    def formula_text(self, value: np.ndarray) -> str:
        """SymPy expressions (an object array), as nested lists; long formulas are cut,
        and large arrays summarized, unless ``full``."""
        value = np.asarray(value, dtype=object)
        width = FORMULA_WIDTH if value.ndim == 0 else ELEMENT_WIDTH

        def show(element: object) -> str:
            import sympy

            text = sympy.sstr(element)
            if not self.full and len(text) > width:
                self.shortened = True
                return f"{text[: width - 20]}... ({len(text):,} characters)"
            return text

        if value.ndim == 0:
            return show(value[()])
        threshold = sys.maxsize if self.full else SUMMARY_THRESHOLD
        if value.size > threshold:
            self.shortened = True
        return np.array2string(
            value,
            separator=", ",
            formatter={"all": show},
            max_line_width=LINE_WIDTH,
            threshold=threshold,
            edgeitems=3,
        )

    def render(self) -> str:
        out: list[str] = []
        for section in self.sections:
            if not section:
                continue
            if out:
                out.append("")
            names = [len(r[1]) for r in section if not isinstance(r, str)]
            width = max(names, default=0)
            for item in section:
                if isinstance(item, str):
                    out.append(item)
                    continue
                tag, name, lines = item
                lead = f"{tag:<{_TAG_WIDTH}} {name:<{width}} = "
                out.append((lead + lines[0]).rstrip())
                out.extend((" " * len(lead) + more).rstrip() for more in lines[1:])
        if self.shortened:
            out.append("(long formulas and large arrays are shortened; --full shows everything)")
        return "\n".join(out) + "\n"
