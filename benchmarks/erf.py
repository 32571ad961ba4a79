"""The NumPy erf symgrad emits, against np.vectorize(math.erf) and np.exp, in one run.

    python benchmarks/erf.py

Prints nanoseconds per element (best of several repeats) for a few array sizes, and the
ratio of np.vectorize(math.erf) to symgrad's erf.
"""

from __future__ import annotations

import math
import timeit

import numpy as np

import symgrad as sg


def main() -> None:
    x = sg.var("x", shape=("n",))
    compiled = sg.compile(sg.erf(x))
    vectorized = np.vectorize(math.erf, otypes=[np.float64])
    rng = np.random.default_rng(0)
    print(
        f"{'elements':>10} {'symgrad':>9} {'vectorize':>10} {'np.exp':>8} {'ratio':>6}  (ns/element)"
    )
    for n in (1_000, 100_000, 1_000_000):
        a = rng.normal(scale=2.0, size=n)
        number = max(1, 200_000 // n)

        def per_element(f):
            return min(timeit.repeat(lambda: f(a), number=number, repeat=7)) / number / n * 1e9

        ours, theirs, exp = per_element(compiled), per_element(vectorized), per_element(np.exp)
        print(f"{n:>10} {ours:>9.1f} {theirs:>10.1f} {exp:>8.2f} {theirs / ours:>6.1f}")


if __name__ == "__main__":
    main()
