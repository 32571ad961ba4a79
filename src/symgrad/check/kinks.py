"""Telling a wrong derivative from a point where there is none.

At a kink (``relu`` or ``abs`` at 0, a tie in ``maximum``) or a jump (``floor``, ``sign``) the
function has no derivative. symgrad then follows a convention (``relu'(0) = 0``), central
differences see the mean of the two one-sided slopes, and SymPy has its own choice
(``Heaviside(0) = 1/2``): they disagree, and none of them is wrong. One-sided differences
tell such a point apart from a real mistake: their slopes differ there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence

import numpy as np


@dataclasses.dataclass(frozen=True)
class Kink:
    """An element where the slope from the left differs from the slope from the right."""

    index: tuple[int, ...]
    value: float
    left: float
    right: float


def one_sided_slopes(
    f: Callable[..., object], arrays: Sequence[np.ndarray], index: int, element: tuple[int, ...]
) -> tuple[float, float]:
    """(slope from the left, slope from the right) of scalar ``f`` in one element of
    ``arrays[index]``, by forward and backward differences."""
    dtype = np.asarray(arrays[index]).dtype
    x = np.array(arrays[index], dtype=np.float64)
    h = float(np.sqrt(np.finfo(dtype).eps)) * max(1.0, abs(float(x[element])))
    args = list(arrays)
    middle = float(f(*args))  # type: ignore[arg-type]
    slopes = []
    for sign in (-1.0, 1.0):
        moved = x.copy()
        moved[element] += sign * h
        moved = moved.astype(dtype)
        args[index] = moved
        taken = float(moved[element]) - float(np.asarray(arrays[index])[element])
        slopes.append((float(f(*args)) - middle) / taken)  # type: ignore[arg-type]
    return slopes[0], slopes[1]


def find_kinks(
    f: Callable[..., object],
    arrays: Sequence[np.ndarray],
    index: int,
    elements: Iterable[tuple[int, ...]],
    limit: int = 16,
) -> list[Kink]:
    """The ``elements`` of ``arrays[index]`` (at most ``limit`` of them are tried) where
    scalar ``f`` has different one-sided slopes."""
    found = []
    with np.errstate(all="ignore"):
        for n, element in enumerate(elements):
            if n == limit:
                break
            left, right = one_sided_slopes(f, arrays, index, element)
            scale = max(1.0, abs(left), abs(right))
            if not np.isfinite(left) or not np.isfinite(right) or abs(left - right) > 1e-4 * scale:
                value = float(np.asarray(arrays[index])[element])
                found.append(Kink(element, value, left, right))
    return found


def describe(name: str, kinks: Sequence[Kink]) -> str:
    """One sentence about the non-differentiable points of variable ``name``."""
    shown = []
    for k in kinks[:3]:
        where = name if not k.index else f"{name}[{', '.join(map(str, k.index))}]"
        left, right = k.left + 0.0, k.right + 0.0  # no "-0"
        shown.append(
            f"{where} = {k.value:g} (slope {left:.4g} from the left, {right:.4g} from the right)"
        )
    more = f" and {len(kinks) - 3} more" if len(kinks) > 3 else ""
    return (
        f"not differentiable at {'; '.join(shown)}{more}: a kink or a jump, where the "
        "derivative does not exist. symgrad follows its convention (relu'(0) = abs'(0) = 0, "
        "ties share), central differences average the two slopes, and SymPy makes its own "
        "choice."
    )
