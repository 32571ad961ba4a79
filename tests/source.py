"""Reading emitted source in tests."""

from __future__ import annotations

import symgrad as sg


def evaluate_body(f: sg.Executable) -> str:
    """The text of the emitted ``evaluate`` function (from its signature to the blank lines
    that end it), without the helpers that follow it in the module."""
    return f.source.split("def evaluate")[1].split("\n\n\n")[0]


def evaluate_lines(f: sg.Executable) -> list[str]:
    """The stripped lines of :func:`evaluate_body`."""
    return [line.strip() for line in evaluate_body(f).splitlines()]
