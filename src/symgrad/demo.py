"""``symgrad demo``: the classic examples, each differentiated and checked three ways."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

import numpy as np
import sympy

import symgrad as sg

from .check import finite_differences
from .check.sympy_gradient import sympy_gradient


@dataclass
class Outcome:
    title: str
    lines: list[str]
    ok: bool


def _close(a: object, b: object, rtol: float = 1e-7, atol: float = 1e-9) -> bool:
    return bool(np.allclose(np.asarray(a, float), np.asarray(b, float), rtol=rtol, atol=atol))


def _gradient_example(
    title: str,
    build: Callable[[sg.Expr], sg.Expr],
    x: sg.Expr,
    at: np.ndarray,
    expected: np.ndarray | None = None,
) -> Outcome:
    """Differentiate ``build(x)`` and compare symgrad, SymPy, finite differences (and the
    hand-derived ``expected``)."""
    y = build(x)
    g = sg.grad(y, x)
    value, gradient = sg.compile([y, g])(at)
    expression, symbolic = sympy_gradient(y, x, {x: at})
    numeric = finite_differences.gradient(sg.compile(y), [at], 0)
    checks = [
        ("SymPy", _close(gradient, symbolic, 1e-12, 1e-12)),
        ("finite differences", _close(gradient, numeric, 1e-6, 1e-8)),
    ]
    if expected is not None:
        checks.append(("by hand", _close(gradient, expected, 1e-12, 1e-12)))
    lines = [
        f"y = {sympy.sstr(expression)[:100]}",
        f"value {np.round(value, 6)}",
        f"gradient {np.round(gradient, 6)}",
        f"SymPy    {np.round(symbolic, 6)}",
        "checks: " + ", ".join(f"{name} {'ok' if ok else 'MISMATCH'}" for name, ok in checks),
    ]
    return Outcome(title, lines, all(ok for _, ok in checks))


def _two_x_dot_x() -> Outcome:
    return _gradient_example(
        "y = 2 x.x at x = [0, 1, 2, 3]; dy/dx = 4x",
        lambda x: 2 * sg.dot(x, x),
        sg.var("x", shape=(4,)),
        np.array([0.0, 1.0, 2.0, 3.0]),
        np.array([0.0, 4.0, 8.0, 12.0]),
    )


def _sum_and_square() -> Outcome:
    x = sg.var("x", shape=(3,))
    a = np.array([1.0, -2.0, 0.5])
    ones, twice = sg.compile([sg.grad(x.sum(), x), sg.vjp(x * x, x, np.ones(3))], inputs=[x])(a)
    ok = _close(ones, np.ones(3), 0, 0) and _close(twice, 2 * a, 0, 0)
    return Outcome(
        "d sum(x)/dx = ones; x*x with cotangent ones gives 2x",
        [f"x = {a}", f"grad sum(x) = {ones}", f"vjp(x*x, ones) = {twice}"],
        ok,
    )


def _detach() -> Outcome:
    x = sg.var("x", shape=(3,))
    u = sg.stop_gradient(x * x)
    z = (u * x).sum()
    a = np.array([1.0, 2.0, 3.0])
    g = sg.grad(z, x).eval({x: a})
    return Outcome(
        "u = stop_gradient(x*x); z = u*x; dz/dx = u",
        [f"x = {a}", f"dz/dx = {g}", f"u = {a * a}"],
        _close(g, a * a, 0, 0),
    )


def _mean_square() -> Outcome:
    return _gradient_example(
        "o = mean(3 (x + 2)^2) on ones(2, 2); do/dx = 4.5",
        lambda x: sg.mean(3 * (x + 2) ** 2),
        sg.var("x", shape=(2, 2)),
        np.ones((2, 2)),
        np.full((2, 2), 4.5),
    )


def _cubic() -> Outcome:
    a = np.array(1.5)
    return _gradient_example(
        "d/dx (4x^3 + x^2 + 3) = 12x^2 + 2x at x = 1.5",
        lambda x: 4 * x**3 + x**2 + 3,
        sg.var("x"),
        a,
        12 * a**2 + 2 * a,
    )


def _sin_derivatives() -> Outcome:
    x = sg.var("x", shape=(101,))
    d1 = sg.grad(sg.sin(x).sum(), x)
    d2 = sg.grad(d1.sum(), x)
    a = np.linspace(-5, 5, 101)
    one, two = sg.compile([d1, d2])(a)
    ok = _close(one, np.cos(a), 0, 1e-15) and _close(two, -np.sin(a), 0, 1e-15)
    return Outcome(
        "d/dx sin(x) = cos(x) on [-5, 5] without writing cos; d2/dx2 = -sin(x)",
        [
            f"max |d/dx sin - cos| = {np.max(np.abs(one - np.cos(a))):.1e}",
            f"max |d2/dx2 sin + sin| = {np.max(np.abs(two + np.sin(a))):.1e}",
        ],
        ok,
    )


def _hessian_quadratic() -> Outcome:
    A = np.array([[2.0, 1.0, 0.0], [-1.0, 3.0, 4.0], [0.5, 0.0, 1.0]])
    x = sg.var("x", shape=(3,))
    h = sg.hessian(x @ A @ x, x).eval({x: np.ones(3)})
    return Outcome("Hessian of x^T A x is A + A^T", [f"H =\n{h}"], _close(h, A + A.T, 0, 1e-15))


def _called_twice() -> Outcome:
    x = sg.var("x", shape=(3,))
    f = sg.compile(sg.grad((sg.sin(x) * x).sum(), x))
    a = np.array([0.1, 0.2, 0.3])
    first, second = f(a), f(a)
    return Outcome(
        "the same compiled gradient called twice gives the same answer",
        [f"{first}", f"{second}"],
        bool(np.array_equal(first, second)),
    )


def _while_and_cond() -> Outcome:
    # The chapter's f(a), with a scalar a: f is 2**k * a (times 100 when a < 0) for a step
    # count k that depends on a, so on each piece f is linear in a and df/da = f(a) / a.
    a = sg.var("a")
    b = sg.while_loop(lambda b: sg.norm(b) < 1000, lambda b: 2 * b, 2 * a)
    c = sg.cond(b.sum() > 0, lambda b: b, lambda b: 100 * b, b)
    f = sg.compile([c, sg.grad(c, a)])
    value_only = sg.compile(c)
    lines, ok = [], True
    for at in (0.5, -1.5, 3.0):
        value, gradient = f(np.array(at))
        numeric = finite_differences.gradient(value_only, [np.array(at)], 0)
        good = _close(gradient, value / at, 1e-12, 0) and _close(gradient, numeric, 1e-6, 1e-8)
        ok &= good
        lines.append(
            f"a = {at:4}: f(a) = {float(value):8g}, df/da = {float(gradient):8g}, "
            f"f(a)/a = {float(value) / at:8g}  (equal, and finite differences agree: "
            f"{'yes' if good else 'NO'})"
        )
    return Outcome(
        "f(a): b = 2a; while |b| < 1000: b = 2b; f = b if sum(b) > 0 else 100b; df/da = f(a)/a",
        lines,
        ok,
    )


EXAMPLES: list[Callable[[], Outcome]] = [
    _two_x_dot_x,
    _sum_and_square,
    _detach,
    _mean_square,
    _cubic,
    _sin_derivatives,
    _hessian_quadratic,
    _called_twice,
    _while_and_cond,
]


def pictures_possible() -> None:
    """Raise RuntimeError, saying what to install, if the pictures cannot be drawn."""
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        raise RuntimeError(
            "the pictures need matplotlib: pip install -e '.[viz]' (or 'symgrad[viz]')"
        )


def pictures(directory: str) -> list[tuple[str, str]]:
    """Write the demo's pictures into ``directory``: the plot of sin(x) and its derivative
    (computed without writing cos; needs matplotlib, ``pip install -e '.[viz]'``) and the
    graphs of two classic gradients. Returns (path, what it shows) for each."""
    pictures_possible()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    os.makedirs(directory, exist_ok=True)
    written = []

    x = sg.var("x", shape=("n",))
    y = sg.sin(x)
    points = np.linspace(-5, 5, 201)
    values, derivative = sg.compile([y, sg.grad(y.sum(), x)])(points)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(points, values, label="sin(x)")
    ax.plot(points, derivative, label="symgrad: d/dx sin(x)")
    ax.plot(points[::10], np.cos(points[::10]), "o", ms=4, label="cos(x), for reference")
    ax.set_xlabel("x")
    ax.set_ylim(-1.55, 1.3)  # room for the legend below the curves
    ax.legend(loc="lower center", ncol=3, frameon=False)
    fig.tight_layout()
    path = os.path.join(directory, "sin_derivative.png")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    written.append((path, "sin(x) and its derivative, computed without writing cos"))

    v = sg.var("x", shape=(4,))
    path = sg.draw(
        sg.grad(2 * sg.dot(v, v), v), os.path.join(directory, "gradient.svg"), show_pruned=True
    )
    written.append((path, "the gradient graph of 2 x.x, with the forward nodes it pruned"))

    a = sg.var("a")
    b = sg.while_loop(lambda b: sg.norm(b) < 1000, lambda b: 2 * b, 2 * a)
    c = sg.cond(b.sum() > 0, lambda b: b, lambda b: 100 * b, b)
    path = sg.draw(sg.grad(c, a), os.path.join(directory, "while_cond.svg"), show_pruned=True)
    written.append((path, "df/da through the while loop and the cond, bodies as clusters"))
    return written


def run(out: IO[str], picture_directory: str | None = None) -> int:
    """Run every example, print each with PASS or FAIL (and write the pictures into
    ``picture_directory`` if given); return the exit status."""
    failures = 0
    for example in EXAMPLES:
        outcome = example()
        failures += not outcome.ok
        out.write(f"{'PASS' if outcome.ok else 'FAIL'}  {outcome.title}\n")
        for line in outcome.lines:
            out.write("".join(f"      {part}\n" for part in line.splitlines()))
        out.write("\n")
    out.write(f"{len(EXAMPLES) - failures} of {len(EXAMPLES)} examples passed\n")
    if picture_directory is not None:
        out.write("\n")
        for path, what in pictures(picture_directory):
            out.write(f"wrote {path}: {what}\n")
    return 1 if failures else 0
