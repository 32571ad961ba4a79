"""Emission time against graph size: the plan, the writer and Python's ``compile()``.

    python benchmarks/emit_scaling.py                 # depths 1,000 to 150,000
    python benchmarks/emit_scaling.py 1000 10000      # chosen depths

For the scalar chain ``y = sin(y) * 0.999 + 0.01 * y`` of the given depth and its gradient
(the float path), and for the same chain on arrays of shape (2,) (the array path), prints
the nodes after optimization, the CPU seconds of each emission stage (planning, writing the
source, the builtin ``compile()`` of it, part by part as ``Executable`` does), the peak
memory of those stages per node, and per stage the ratio to the depth 10x smaller.
Building, differentiating and optimizing are not timed here.
"""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc

import symgrad as sg
from symgrad.core.walk import topological_order
from symgrad.emit import numpy_writer
from symgrad.emit.plan import make_plan
from symgrad.executable import _compiled
from symgrad.optimize import optimize
from symgrad.structure import flatten


def chain(depth: int, shape: tuple[int, ...]) -> tuple[sg.Expr, list[sg.Expr]]:
    x = sg.var("x", shape=shape)
    y = x
    for _ in range(depth):
        y = sg.sin(y) * 0.999 + 0.01 * y
    if shape:
        y = y.sum()
    return x, [y, sg.grad(y, x)]


def measure(depth: int, shape: tuple[int, ...]) -> tuple[int, list[float], float]:
    """Nodes, CPU seconds of planning, writing and compiling, and peak bytes per node of
    those stages together (measured in a second run: tracemalloc slows everything)."""
    x, outputs = chain(depth, shape)
    leaves, render = flatten(outputs)
    leaves = optimize(leaves)
    order = topological_order(leaves)
    seconds: list[float] = []
    gc.collect()
    gc.disable()  # as in sg.compile
    try:
        start = time.process_time()
        plan = make_plan([x], leaves, order)
        seconds.append(time.process_time() - start)
        start = time.process_time()
        emitted = numpy_writer.write(plan, render)
        seconds.append(time.process_time() - start)
        del plan
        start = time.process_time()
        _compiled(emitted, "<emitted>")  # as the executable compiles it: part by part
        seconds.append(time.process_time() - start)
        del emitted
        tracemalloc.start()
        _compiled(numpy_writer.write(make_plan([x], leaves, order), render), "<emitted>")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    finally:
        gc.enable()
    return len(order), seconds, peak / len(order)


def main() -> None:
    depths = [int(a) for a in sys.argv[1:]] or [1_000, 10_000, 100_000, 150_000]
    for shape, path in (((), "float path"), ((2,), "array path")):
        print(f"{path}: depth, nodes, CPU s of plan, write, compile(); peak B/node; x per 10x")
        rows: dict[int, list[float]] = {}
        for depth in depths:
            nodes, seconds, peak = measure(depth, shape)
            rows[depth] = seconds
            line = f"{depth:>8} {nodes:>9} " + " ".join(f"{s:7.2f}" for s in seconds)
            line += f" {peak:7.0f}"
            smaller = rows.get(depth // 10)
            if smaller is not None:
                ratios = [a / max(b, 1e-9) for a, b in zip(seconds, smaller)]
                line += "   x" + " x".join(f"{r:.1f}" for r in ratios)
            print(line, flush=True)


if __name__ == "__main__":
    main()
