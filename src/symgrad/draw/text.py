"""Text in pictures: how wide it is drawn, and how to write any string safely.

Widths are DejaVu Sans advance widths (the font pictures name first, and the one matplotlib
ships, so a PNG renders the same everywhere). Characters outside printable ASCII count as
one em, which is never narrower than they are drawn.
"""

from __future__ import annotations

import functools
import html
import re

FONT_FAMILY = "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif"

# Advance widths of the characters 32..126, in thousandths of an em.
_ASCII_WIDTHS = (
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337,
    636, 636, 636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531,
    1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787,
    603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500,
    500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612,
    635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838,
)  # fmt: skip

# Characters that would break a picture's file or hide text: C0 controls (but tab and
# newlines, which labels escape themselves), DEL, C1 controls and lone surrogates, which
# cannot be encoded as UTF-8 at all.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def visible(value: str) -> str:
    """``value`` with every control character and lone surrogate written as an escape
    (``\\x01``, ``\\udc80``), so it is printable and encodes as UTF-8."""
    return _INVISIBLE.sub(lambda m: ascii(m.group())[1:-1], value)


def xml(value: str) -> str:
    """``value`` safe as XML text or attribute: :func:`visible`, then escaped."""
    return html.escape(visible(value), quote=True)


def width(value: str, size: float) -> float:
    """The drawn width of ``value`` at font size ``size`` (pixels)."""
    return _em_width(value) * size / 1000.0


@functools.lru_cache(maxsize=4096)  # labels repeat: "multiply", "(3,) float64"
def _em_width(value: str) -> int:
    total = 0
    for ch in value:
        code = ord(ch) - 32
        total += _ASCII_WIDTHS[code] if 0 <= code < len(_ASCII_WIDTHS) else 1000
    return total
