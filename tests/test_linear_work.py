"""Every stage does work linear in the size of the graph, counted rather than timed.

A stopwatch on a shared machine cannot tell 10x from 13x; counting can. Each stage runs on
a chain of depth n and of depth 10n, and what it executes is counted: lines of Python
(every loop iteration and every call counts), and for the optimizer its own counts of
node visits and rules tried. Linear work grows 10x; a stage that walked the graph once per
node would grow 100x.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import symgrad as sg
from symgrad.check import finite_differences
from symgrad.core.walk import topological_order
from symgrad.optimize import rewriter

SMALL, LARGE = 40, 400  # chain depths; about 9 nodes per step with the gradient
# Allowed growth for 10x the depth. Linear work grows about 10x (9.7x to 11.2x here, as
# fixed costs and the mix of nodes the rules rewrite shift with the size); a walk of the
# graph per node would grow about 100x.
LIMIT = 12.5


def lines_run(fn: Callable[[], Any]) -> tuple[int, Any]:
    """(lines of Python executed by ``fn()``, its result)."""
    count = 0

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        nonlocal count
        count += 1
        return tracer

    sys.settrace(tracer)
    try:
        result = fn()
    finally:
        sys.settrace(None)
    return count, result


def _chain(depth: int) -> tuple[sg.Expr, sg.Expr]:
    x = sg.var("x")
    y = x
    for _ in range(depth):
        y = sg.sin(y) * 0.999 + 0.01 * y
    return x, y


class Stages:
    """Each stage of one chain, counted."""

    def __init__(self, depth: int):
        self.depth = depth
        self.counts: dict[str, int] = {}
        (self.x, self.y) = self.count("build", lambda: _chain(depth))
        self.g = self.count("grad", lambda: sg.grad(self.y, self.x))
        self.count("jvp", lambda: sg.jvp(self.y, self.x, 1.0))
        self.count("hessian", lambda: sg.hessian(self.y, self.x))
        self.rewrite = rewriter(True)
        self.count("optimize", lambda: self.rewrite.run([self.y, self.g]))
        self.nodes = len(topological_order([self.y, self.g]))
        # The whole of compile: optimize, then the emission plan and the NumPy writer.
        f = self.count("compile", lambda: sg.compile([self.y, self.g], [self.x]))
        with tempfile.TemporaryDirectory() as tmp:
            self.count("save", lambda: f.save(os.path.join(tmp, "f.py")))
            path = os.path.join(tmp, "g.json")
            self.count("save_graph", lambda: sg.save_graph([self.y, self.g], path))
            self.count("load_graph", lambda: sg.load_graph(path))
        self.count(
            "finite differences",
            lambda: finite_differences.gradient(lambda a: f(a)[0], [np.array(0.3)], 0),
        )

    def count(self, stage: str, fn: Callable[[], Any]) -> Any:
        self.counts[stage], result = lines_run(fn)
        return result


@pytest.fixture(scope="module")
def stages() -> tuple[Stages, Stages]:
    return Stages(SMALL), Stages(LARGE)


STAGES = [
    "build",
    "grad",
    "jvp",
    "hessian",
    "optimize",
    "compile",
    "save",
    "save_graph",
    "load_graph",
    "finite differences",
]


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_executes_linear_work(stages, stage):
    small, large = stages
    growth = large.counts[stage] / small.counts[stage]
    assert growth <= LIMIT, (
        f"{stage}: {small.counts[stage]} lines for depth {small.depth}, "
        f"{large.counts[stage]} for depth {large.depth} ({growth:.1f}x for 10x the depth)"
    )


def test_the_optimizer_visits_each_node_once_and_tries_few_rules(stages):
    small, large = stages
    for s in (small, large):
        # One visit per node (the rewriter also visits the nodes its rules build).
        assert s.rewrite.visits <= 1.5 * s.nodes, (s.rewrite.visits, s.nodes)
        assert s.rewrite.attempts <= 2 * s.nodes, (s.rewrite.attempts, s.nodes)
    assert large.rewrite.visits / small.rewrite.visits <= LIMIT
    assert large.rewrite.attempts / small.rewrite.attempts <= LIMIT


def test_a_walk_per_node_would_be_caught():
    """The counter sees the difference this test exists for: a pass that walks the graph
    once per node grows with the square of the depth."""

    def quadratic(y: sg.Expr) -> int:  # a walk from every tenth node
        order = topological_order([y])
        return sum(len(topological_order([n])) for n in order[::10])

    small, large = _chain(SMALL)[1], _chain(LARGE)[1]
    assert lines_run(lambda: quadratic(large))[0] > 50 * lines_run(lambda: quadratic(small))[0]


def test_optimizing_a_chains_gradient_rebuilds_nothing():
    """The gradient starts from the partials, not from a product with the unit seed that
    the optimizer would fold: a fold at the root of the gradient rebuilds every node above
    it (the whole gradient of a chain)."""
    from symgrad.core import expr as core_expr

    x, y = _chain(SMALL)
    g = sg.grad(y, x)
    built: list[sg.Expr] = []
    core_expr.on_new_node = built.append
    try:
        sg.optimize.optimize([y, g])
    finally:
        core_expr.on_new_node = None
    assert built == []
