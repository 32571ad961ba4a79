"""Compile time against graph size: a chain of sin/add ops, and its gradient.

    python benchmarks/compile_scaling.py

Prints build, differentiate and compile times for chains of 2,500 to 50,000 ops and the
ratio to the smallest, which stays near the size ratio when every pass is linear.
"""

import time

import symgrad as sg


def measure(n: int) -> tuple[float, float, float, int]:
    start = time.perf_counter()
    x = sg.var("x", shape=(4,))
    y = x
    for _ in range(n):
        y = sg.sin(y) + 0.5
    loss = y.sum()
    built = time.perf_counter()
    g = sg.grad(loss, x)
    differentiated = time.perf_counter()
    f = sg.compile([loss, g])
    compiled = time.perf_counter()
    return built - start, differentiated - built, compiled - differentiated, f.stats.statements


def main() -> None:
    sizes = [2_500, 5_000, 25_000, 50_000]
    rows = [(n, *measure(n)) for n in sizes]
    base = rows[0]
    print(
        f"{'ops':>7} {'build s':>8} {'grad s':>8} {'compile s':>10} {'statements':>11} "
        f"{'size x':>7} {'grad+compile x':>15}"
    )
    for n, b, d, c, s in rows:
        ratio = (d + c) / (base[2] + base[3])
        print(f"{n:>7} {b:>8.2f} {d:>8.2f} {c:>10.2f} {s:>11} {n / base[0]:>7.0f} {ratio:>15.1f}")


if __name__ == "__main__":
    main()
