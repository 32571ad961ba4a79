"""``symgrad demo``: the classic examples, each built, compiled, run and checked."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

import numpy as np

import symgrad as sg

Example = Callable[[], tuple[str, object, object]]


def _two_x_dot_x() -> tuple[str, object, object]:
    x = sg.var("x", shape=(4,))
    y = 2 * sg.dot(x, x)
    f = sg.compile(y)
    a = np.array([0.0, 1.0, 2.0, 3.0])
    return "y = 2 x.x at x = [0, 1, 2, 3]", f(a), 2 * a @ a


def _cubic() -> tuple[str, object, object]:
    x = sg.var("x", shape=("n",))
    y = 4 * x**3 + x**2 + 3
    a = np.linspace(-2.0, 2.0, 5)
    return "y = 4x^3 + x^2 + 3 on 5 points", sg.compile(y)(a), 4 * a**3 + a**2 + 3


def _mean_of_square() -> tuple[str, object, object]:
    x = sg.var("x", shape=(2, 2))
    o = sg.mean(3 * (x + 2) ** 2)
    a = np.ones((2, 2))
    return "o = mean(3 (x + 2)^2) on ones(2, 2)", o.eval({x: a}), np.mean(3 * (a + 2) ** 2)


EXAMPLES: list[Example] = [_two_x_dot_x, _cubic, _mean_of_square]


def run(out: IO[str]) -> int:
    """Run every example, print PASS or FAIL for each; return the exit status."""
    failures = 0
    for example in EXAMPLES:
        title, got, expected = example()
        ok = np.allclose(got, expected, rtol=1e-12, atol=0)  # type: ignore[arg-type]
        failures += not ok
        out.write(f"{'PASS' if ok else 'FAIL'}  {title}\n      symgrad: {got}\n"
                  f"      numpy:   {expected}\n")
    out.write(f"\n{len(EXAMPLES) - failures} of {len(EXAMPLES)} examples passed\n")
    return 1 if failures else 0
