"""The benchmark suite: symgrad against hand-written NumPy (and other libraries if present).

    python benchmarks/run.py            # all workloads
    python benchmarks/run.py --quick    # fewer repeats

For each workload it measures, in one run on this machine: compile time (differentiate +
optimize + emit), the median time per call of value + gradient over repeated runs, and peak
memory per call (tracemalloc, which sees NumPy's allocations), and prints them as ratios to
hand-written NumPy. Peers (autograd, PyTensor, JAX, PyTorch) are measured when installed
(pip install -e '.[bench]'), and so is symgrad's Numba backend (pip install -e '.[numba]'):
its compile time cold (an empty kernel cache: building the graph, emitting, compiling the
loops at the first call) and warm (the same in a second process, which loads the compiled
loops from the cache), both after Numba's own start-up (importing it and setting up its
compiler, paid once per process), which is reported apart.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from peers import PEERS  # noqa: E402
from workloads import WORKLOADS, Workload  # noqa: E402

import symgrad as sg  # noqa: E402


def per_call(fns: dict[str, Callable[[], Any]], seconds: float, repeats: int) -> dict[str, float]:
    """Median seconds per call of each function: ``repeats`` rounds, each timing a batch of
    calls (lasting about ``seconds``) of every function in turn, so that drift in the
    machine's load affects all of them alike. The order is shuffled from round to round and
    each batch starts with one untimed call: a library whose threads spin on after its
    calls (OpenMP, BLAS) would otherwise slow down whichever function always follows it."""
    numbers = {}
    for name, fn in fns.items():
        fn()
        start = time.perf_counter()
        fn()
        once = max(time.perf_counter() - start, 1e-7)
        numbers[name] = max(1, int(seconds / once))
    samples: dict[str, list[float]] = {name: [] for name in fns}
    names, shuffle = list(fns), random.Random(0).shuffle
    for _ in range(repeats):
        shuffle(names)
        for name in names:
            fn = fns[name]
            fn()
            start = time.perf_counter()
            for _ in range(numbers[name]):
                fn()
            samples[name].append((time.perf_counter() - start) / numbers[name])
    return {name: statistics.median(times) for name, times in samples.items()}


def peak_memory(fn: Callable[[], Any]) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def symgrad_compiled(
    w: Workload, data: list[np.ndarray], backend: str = "numpy"
) -> tuple[Callable[..., Any], float]:
    """The workload compiled, and the seconds it took (for Numba: with the first call, which
    compiles the loops or loads them from the cache)."""
    start = time.perf_counter()
    xs = [sg.var(f"x{i}", shape=a.shape) for i, a in enumerate(data)]
    y = w.build(*xs)
    wrt = [xs[i] for i in (w.wrt or range(len(xs)))]
    f = sg.compile([y, sg.grad(y, wrt)], inputs=xs, backend=backend)
    if backend != "numpy":
        f(*data)
    return f, time.perf_counter() - start


NUMBA = importlib.util.find_spec("numba") is not None


def numba_started() -> float:
    """Import Numba and set up its compiler (what the first kernel of a process waits for,
    once, whether it compiles or loads from the cache); the seconds it took."""
    start = time.perf_counter()
    from numba.core.registry import cpu_target

    cpu_target.typing_context.refresh()
    cpu_target.target_context.refresh()
    return time.perf_counter() - start


def check(name: str, got: Any, want: Any) -> None:
    value, grads = got
    np.testing.assert_allclose(
        np.asarray(value), np.asarray(want[0]), rtol=1e-9, err_msg=f"{name}: value"
    )
    for g, h in zip(grads, want[1]):
        np.testing.assert_allclose(
            np.asarray(g), np.asarray(h), rtol=1e-8, atol=1e-10, err_msg=f"{name}: gradient"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer and shorter repeats")
    parser.add_argument("--only", help="run workloads whose name contains this")
    parser.add_argument("--row", help=argparse.SUPPRESS)  # one workload, in this process
    parser.add_argument("--warm", help=argparse.SUPPRESS)  # Numba compile, cache filled
    args = parser.parse_args()
    seconds, repeats = (0.05, 5) if args.quick else (0.2, 15)
    if args.warm is not None:
        start = numba_started()
        (w,) = [w for w in WORKLOADS if w.name == args.warm]
        print(json.dumps([start, symgrad_compiled(w, w.data(), "numba")[1]]))
        return
    peers = {name: make for name, make in PEERS.items() if make is not None}
    if args.row is not None:
        (w,) = [w for w in WORKLOADS if w.name == args.row]
        print("| " + " | ".join(measure(w, peers, seconds, repeats)) + " |", flush=True)
        return
    print(
        f"# symgrad {sg.__version__}, NumPy {np.__version__}, Python "
        f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores"
    )
    print(
        "# ratios: time per call of value+gradient relative to hand-written NumPy "
        "(median of repeats, one run); lower is better"
    )
    numba = ["numba x", "start s", "cold s", "warm s", "numba mem x"] if NUMBA else []
    header = ["workload", "hand ms", "symgrad x", "compile s", "peak mem x", *numba, *peers]
    header.append("load")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for w in WORKLOADS:
        if args.only and args.only not in w.name:
            continue
        # A fresh process per workload: what one workload leaves in the memory allocator
        # (how much freed memory it keeps rather than returns to the system) would change
        # the page faults, and so the times, of the next.
        command = [sys.executable, __file__, "--row", w.name] + (["--quick"] if args.quick else [])
        subprocess.run(command, check=True)


def measure(w: Workload, peers: dict[str, Any], seconds: float, repeats: int) -> list[str]:
    """One table row: the workload timed by hand-written NumPy, symgrad and each peer."""
    data = w.data()
    reference = w.hand(*data)
    f, compile_s = symgrad_compiled(w, data)
    check(w.name, f(*data), reference)
    contenders: dict[str, Callable[[], Any]] = {
        "hand": lambda: w.hand(*data),
        "symgrad": lambda: f(*data),
    }
    failed: dict[str, str] = {}
    for name, make in peers.items():
        try:
            fn = make(w, data)
            fn(*data)
            contenders[name] = lambda fn=fn: fn(*data)
        except Exception as error:  # a peer that cannot run a workload is reported as such
            failed[name] = f"n/a ({type(error).__name__})"
    numba_cells: list[str] = []
    if NUMBA:
        numba_started()  # paid once per process, reported apart (start s)
        with tempfile.TemporaryDirectory() as cache:
            os.environ["SYMGRAD_CACHE_DIR"] = cache
            fused, cold_s = symgrad_compiled(w, data, "numba")
            check(w.name + " (numba)", fused(*data), reference)
            command = [sys.executable, __file__, "--warm", w.name]
            done = subprocess.run(command, check=True, capture_output=True, text=True)
            start_s, warm_s = json.loads(done.stdout.strip().splitlines()[-1])
        contenders["numba"] = lambda: fused(*data)
    times = per_call(contenders, seconds, repeats)
    hand_memory = max(peak_memory(lambda: w.hand(*data)), 1)
    memory = peak_memory(lambda: f(*data)) / hand_memory
    hand_t = times["hand"]
    row = [
        w.name,
        f"{hand_t * 1e3:.3f}",
        f"{times['symgrad'] / hand_t:.2f}",
        f"{compile_s:.2f}",
        f"{memory:.2f}",
    ]
    if NUMBA:
        numba_memory = peak_memory(lambda: fused(*data)) / hand_memory
        numba_cells = [
            f"{times['numba'] / hand_t:.3f}",
            f"{start_s:.2f}",
            f"{cold_s:.2f}",
            f"{warm_s:.2f}",
        ]
        row += [*numba_cells, f"{numba_memory:.2f}"]
    row += [failed.get(name) or f"{times[name] / hand_t:.2f}" for name in peers]
    row.append(f"{os.getloadavg()[0]:.1f}")
    return row


if __name__ == "__main__":
    main()
