"""Compile time and memory against graph size, stage by stage.

    python benchmarks/compile_scaling.py                     # depths 1,000 to 100,000
    python benchmarks/compile_scaling.py --depths 1000 10000 100000 150000
    python benchmarks/compile_scaling.py --skip emit compile # the graph stages alone
    git archive <commit> src | tar -x -C /tmp/before          # an earlier version...
    python benchmarks/compile_scaling.py --against /tmp/before/src   # ...measured alongside

The graph is a scalar chain ``y = sin(y) * 0.999 + 0.01 * y`` of the given depth, compiled
with its gradient, ``sg.compile([y, sg.grad(y, x)], [x])`` (about 9 nodes per step). Each
depth runs in a fresh process. Stages:

- build: the chain; grad: ``sg.grad``;
- inside ``sg.compile``: optimize, emit (the emission plan, then the NumPy writer's source
  text; its memory is the larger of the two), builtin (CPython's ``compile()`` and ``exec``
  of that source), other (the rest: walks for inputs and statistics);
- save: ``f.save``; save_graph and load_graph: the JSON graph format;
- fd: the finite-difference half of ``check_grad`` (two calls of the compiled function).

For each stage: seconds of CPU time of this process (``time.process_time``, which other
processes on a shared machine disturb less than wall time) and the peak memory the stage
added, in bytes per node of the differentiated graph (from the peak resident size, reset
before each stage through ``/proc/self/clear_refs``; ``--tracemalloc`` counts Python
allocations instead). Then the ratio of each stage's time between successive depths: 10x
the depth should take about 10x the time. ``--against`` runs every depth a second time
with another version of symgrad (a source directory put first on the path), alternating
with this one, and prints its table and the time of each stage in both.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import symgrad as sg
import symgrad.compiler
from symgrad.check import finite_differences
from symgrad.core.walk import topological_order
from symgrad.emit import backends

STAGES = (
    "build",
    "grad",
    "optimize",
    "emit",
    "builtin",
    "other",
    "save",
    "save_graph",
    "load_graph",
    "fd",
)
#: What runs inside ``sg.compile``, timed by wrapping these names of ``symgrad.compiler``
#: (and the NumPy backend's writer, the second half of "emit").
INSIDE_COMPILE = {"optimize": "optimize_graph", "emit": "make_plan", "builtin": "Executable"}


class Meter:
    """Time and peak memory of the stages of one run."""

    def __init__(self, use_tracemalloc: bool):
        self.use_tracemalloc = use_tracemalloc
        self.seconds: dict[str, float] = {}
        self.peak: dict[str, int] = {}

    def _start(self) -> int:
        if self.use_tracemalloc:
            tracemalloc.reset_peak()
            return tracemalloc.get_traced_memory()[0]
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets the peak resident size (VmHWM) to the current size
        return _status("VmRSS")

    def _current(self) -> int:
        if self.use_tracemalloc:
            return tracemalloc.get_traced_memory()[0]
        return _status("VmRSS")

    def _peak(self) -> int:
        if self.use_tracemalloc:
            return tracemalloc.get_traced_memory()[1]
        return _status("VmHWM")

    def measure(self, stage: str, fn: Callable[..., Any], *args: Any) -> Any:
        base = self._start()
        start = time.process_time()
        result = fn(*args)
        self.seconds[stage] = self.seconds.get(stage, 0.0) + time.process_time() - start
        peak = self._peak()
        self.peak[stage] = max(self.peak.get(stage, 0), peak - base)
        self.highest = max(getattr(self, "highest", 0), peak)
        return result

    def timed(self, stage: str, fn: Callable[..., Any], *args: Any) -> Any:
        """Time only (around stages measured inside, whose memory resets would mix)."""
        start = time.process_time()
        result = fn(*args)
        self.seconds[stage] = self.seconds.get(stage, 0.0) + time.process_time() - start
        return result

    def wrapped(self, stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        return lambda *args, **kwargs: self.measure(stage, lambda: fn(*args, **kwargs))


def _status(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def chain(depth: int) -> tuple[sg.Expr, sg.Expr]:
    x = sg.var("x")
    y = x
    for _ in range(depth):
        y = sg.sin(y) * 0.999 + 0.01 * y
    return x, y


def run(depth: int, skip: set[str], use_tracemalloc: bool) -> dict[str, Any]:
    """One depth, in this process: every stage's seconds and peak bytes."""
    if use_tracemalloc:
        tracemalloc.start()
    meter = Meter(use_tracemalloc)
    before = meter._start()
    x, y = meter.measure("build", chain, depth)
    graph_bytes = meter._current() - before
    g = meter.measure("grad", sg.grad, y, x)
    nodes = len(topological_order([y, g]))
    built = len(topological_order([y]))
    result: dict[str, Any] = {"depth": depth, "nodes": nodes, "built": built}
    result["graph_bytes"] = graph_bytes
    if not {"emit", "builtin"} & skip:
        originals = {name: getattr(symgrad.compiler, attr) for name, attr in INSIDE_COMPILE.items()}
        for name, attr in INSIDE_COMPILE.items():
            setattr(symgrad.compiler, attr, meter.wrapped(name, originals[name]))
        numpy = backends.backend("numpy")
        backends.register(dataclasses.replace(numpy, write=meter.wrapped("emit", numpy.write)))
        try:
            f = meter.timed("compile", sg.compile, [y, g], [x])
        finally:
            for name, attr in INSIDE_COMPILE.items():
                setattr(symgrad.compiler, attr, originals[name])
            backends.register(numpy)
        # The peak so far: the graph, its gradient and everything compiling it held.
        result["compile_highest"] = meter.highest - before
        meter.seconds["other"] = meter.seconds.pop("compile") - sum(
            meter.seconds[n] for n in INSIDE_COMPILE
        )
        value, slope = f(0.3)
        result["value"] = [float(value), float(slope)]
        with tempfile.TemporaryDirectory() as tmp:
            if "save" not in skip:
                meter.measure("save", f.save, os.path.join(tmp, "f.py"))
            if "fd" not in skip:
                meter.measure(
                    "fd",
                    finite_differences.gradient,
                    lambda a: f(a)[0],
                    [np.array(0.3)],
                    0,
                )
    elif "optimize" not in skip:
        meter.measure("optimize", symgrad.optimize.optimize, [y, g])
    if not {"save_graph", "load_graph"} <= skip:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "g.json")
            meter.measure("save_graph", sg.save_graph, [y, g], path)
            if "load_graph" not in skip:
                meter.measure("load_graph", sg.load_graph, path)
    result["seconds"] = meter.seconds
    result["peak"] = meter.peak
    result["highest"] = meter.highest - before
    return result


def table(rows: list[dict[str, Any]]) -> str:
    stages = [s for s in STAGES if any(s in r["seconds"] for r in rows)]
    head = ["depth", "nodes", *[f"{s} s" for s in stages], "total s"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [f"{r['depth']:,}", f"{r['nodes']:,}"]
        cells += [f"{r['seconds'][s]:.2f}" if s in r["seconds"] else "" for s in stages]
        cells.append(f"{sum(r['seconds'].values()):.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Bytes per node of the built graph (the chain, before differentiation):", ""]
    lines += [", ".join(f"{r['depth']:,}: {r['graph_bytes'] / r['built']:.0f}" for r in rows)]
    lines += [
        "",
        "Peak memory added by each stage, and the whole run's and up to the compiled function"
        " (building, differentiating and compiling), bytes per node:",
        "",
    ]
    measured = [s for s in stages if any(s in r["peak"] for r in rows)]
    head = ["depth", *measured, "whole run", "up to compiled", "MB up to compiled"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [f"{r['depth']:,}"]
        cells += [f"{r['peak'][s] / r['nodes']:.0f}" if s in r["peak"] else "" for s in measured]
        cells.append(f"{r['highest'] / r['nodes']:.0f}")
        compiled = r.get("compile_highest")
        cells.append("" if compiled is None else f"{compiled / r['nodes']:.0f}")
        cells.append("" if compiled is None else f"{compiled / 2**20:,.0f}")
        lines.append("| " + " | ".join(cells) + " |")
    if len(rows) > 1:
        lines += ["", "Time ratio between successive depths (depth ratio first):", ""]
        head = ["depths", "x depth", *stages, "total"]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for a, b in zip(rows, rows[1:]):
            cells = [f"{a['depth']:,} -> {b['depth']:,}", f"{b['depth'] / a['depth']:.1f}"]
            for s in stages:
                if s in a["seconds"] and s in b["seconds"] and a["seconds"][s] > 0:
                    cells.append(f"{b['seconds'][s] / a['seconds'][s]:.1f}")
                else:
                    cells.append("")
            cells.append(f"{sum(b['seconds'].values()) / sum(a['seconds'].values()):.1f}")
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depths", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--skip", nargs="*", default=[], choices=STAGES, help="stages to skip")
    parser.add_argument("--tracemalloc", action="store_true", help="count Python allocations")
    parser.add_argument("--against", help="a source directory of another version to compare")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # one depth, as JSON
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(run(args.one, set(args.skip), args.tracemalloc)))
        return
    rows, before = [], []
    for depth in args.depths:
        # A fresh process per depth: memory measurements start from the same state.
        rows.append(_one(depth, args))
        if args.against:
            before.append(_one(depth, args, args.against))
        print(f"depth {depth:,}: done", file=sys.stderr, flush=True)
    print(table(rows))
    if args.against:
        print(f"\n### Against {args.against}\n")
        print(table(before))
        print("\nSeconds of each stage, against -> now:\n")
        print(comparison(before, rows))


def _one(depth: int, args: argparse.Namespace, source: str | None = None) -> dict[str, Any]:
    """One depth in a fresh process, with symgrad from ``source`` if given."""
    command = [sys.executable, __file__, "--one", str(depth), "--skip", *args.skip]
    if args.tracemalloc:
        command.append("--tracemalloc")
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, env.get("PYTHONPATH")]))
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.splitlines()[-1])


def comparison(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> str:
    """Each stage's seconds in both runs of each depth, and the whole run's peak memory."""
    stages = [s for s in STAGES if any(s in r["seconds"] for r in after + before)]
    head = ["depth", *stages, "total", "peak MB"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for b, a in zip(before, after):
        cells = [f"{a['depth']:,}"]
        for s in stages:
            x, y = b["seconds"].get(s), a["seconds"].get(s)
            cells.append("" if x is None or y is None else f"{x:.2f} -> {y:.2f}")
        total = sum(b["seconds"].values()), sum(a["seconds"].values())
        cells.append(f"{total[0]:.2f} -> {total[1]:.2f}")
        cells.append(f"{b['highest'] / 2**20:,.0f} -> {a['highest'] / 2**20:,.0f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
