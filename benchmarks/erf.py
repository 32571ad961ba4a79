"""The NumPy erf symgrad emits, against np.vectorize(math.erf) and np.exp, in one run.

    python benchmarks/erf.py

Prints nanoseconds of CPU time per element (the process's own time, so that other load on
the machine counts less; best of 7 repeats) for a few array sizes, and the ratio of
np.vectorize(math.erf) to symgrad's erf.
"""

from __future__ import annotations

import math
import time
import timeit
from collections.abc import Callable

import numpy as np

import symgrad as sg


def per_element(f: Callable[[np.ndarray], object], a: np.ndarray) -> float:
    """Nanoseconds of CPU time per element of one call ``f(a)``, best of 7."""
    number = max(1, 200_000 // a.size)
    times = timeit.repeat(lambda: f(a), number=number, repeat=7, timer=time.process_time)
    return min(times) / number / a.size * 1e9


def main() -> None:
    x = sg.var("x", shape=("n",))
    compiled = sg.compile(sg.erf(x))
    vectorized = np.vectorize(math.erf, otypes=[np.float64])
    rng = np.random.default_rng(0)
    header = ("elements", "symgrad", "vectorize", "np.exp", "ratio")
    print("{:>10} {:>9} {:>10} {:>8} {:>6}  (ns/element)".format(*header))
    for n in (1_000, 100_000, 1_000_000):
        a = rng.normal(scale=2.0, size=n)
        ours, theirs = per_element(compiled, a), per_element(vectorized, a)
        exp = per_element(np.exp, a)
        print(f"{n:>10} {ours:>9.1f} {theirs:>10.1f} {exp:>8.2f} {theirs / ours:>6.1f}")


if __name__ == "__main__":
    main()
