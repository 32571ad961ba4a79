"""Deep and large graphs: no recursion limits, and compile time linear in graph size."""

import sys
import time

import numpy as np

import symgrad as sg


def _chain(n):
    x = sg.var("x", shape=(2,))
    y = x
    for _ in range(n):
        y = sg.sin(y) + 0.5
    return x, y


def test_chain_of_50000_ops_builds_compiles_and_runs():
    assert sys.getrecursionlimit() < 50_000  # the walk must not depend on raising it
    x, y = _chain(50_000)
    f = sg.compile(y)
    # 100,000 ops, one statement each: sin = np.sin(add), add = sin + 0.5
    assert f.stats.statements == 100_000
    expected = np.array([0.1, -0.2])
    for _ in range(50_000):
        expected = np.sin(expected) + 0.5
    np.testing.assert_allclose(f(np.array([0.1, -0.2])), expected, rtol=1e-12)
    assert repr(y) == "<Expr add (2,) float64>"


def _compile_seconds(n):
    _, y = _chain(n)
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        sg.compile(y)
        best = min(best, time.perf_counter() - start)
    return best


def test_compile_time_grows_linearly():
    small, large = _compile_seconds(1_000), _compile_seconds(10_000)
    # Linear growth gives a ratio near 10; a pass that re-walks the graph per node gives ~100.
    assert large / small < 25, (small, large)
