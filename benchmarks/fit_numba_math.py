"""Fit the polynomial coefficients used in symgrad/backends/numba_math.py.

    python benchmarks/fit_numba_math.py

Each polynomial interpolates its function at Chebyshev nodes, computed with mpmath at 60
digits (close to the minimax polynomial of the same degree), and is printed with its
coefficients rounded to float64, lowest degree first, and the largest relative error of the
rounded polynomial on a fine grid of its interval.
"""

from __future__ import annotations

import mpmath as mp

mp.mp.dps = 60


def fit(name: str, f, a, b, degree: int) -> list[float]:
    poly, _ = mp.chebyfit(f, [a, b], degree + 1, error=True)
    coefficients = [float(c) for c in reversed(poly)]
    worst = mp.mpf(0)
    for i in range(2001):
        t = a + (b - a) * mp.mpf(i) / 2000
        value = sum(mp.mpf(c) * t**k for k, c in enumerate(coefficients))
        worst = max(worst, abs(value - f(t)) / abs(f(t)))
    print(f"{name} (degree {degree}, relative error 2**{float(mp.log(worst, 2)):.1f}):")
    print("    " + ", ".join(repr(c) for c in coefficients))
    return coefficients


def sin_p(s):  # sin(r) = r + r*s*P(s), s = r*r
    if s == 0:
        return mp.mpf(-1) / 6
    r = mp.sqrt(s)
    return (mp.sin(r) - r) / r**3


def cos_q(s):  # cos(r) = 1 - s/2 + s*s*Q(s)
    if s == 0:
        return mp.mpf(1) / 24
    return (mp.cos(mp.sqrt(s)) - 1 + s / 2) / s**2


def exp_e(r):  # exp(r) = 1 + r + r*r*E(r)
    if r == 0:
        return mp.mpf(1) / 2
    return (mp.exp(r) - 1 - r) / r**2


def log_l(z):  # 2 atanh(s) = 2 s + s*z*L(z), z = s*s
    if z == 0:
        return mp.mpf(2) / 3
    s = mp.sqrt(z)
    return (2 * mp.atanh(s) - 2 * s) / (s * z)


def main() -> None:
    quarter_pi_squared = (mp.pi / 4) ** 2
    fit("sin P", sin_p, 0, quarter_pi_squared, 6)
    fit("cos Q", cos_q, 0, quarter_pi_squared, 5)
    fit("exp E", exp_e, -mp.log(2) / 2, mp.log(2) / 2, 10)
    fit("log L", log_l, 0, ((mp.sqrt(2) - 1) / (mp.sqrt(2) + 1)) ** 2, 7)
    pio2 = mp.pi / 2
    parts = [float(pio2)]
    parts.append(float(pio2 - parts[0]))
    parts.append(float(pio2 - parts[0] - mp.mpf(parts[1])))
    print("pi/2 in three parts:", ", ".join(repr(p) for p in parts))
    ln2 = mp.log(2)
    print("ln 2 in two parts:", repr(float(ln2)), repr(float(ln2 - float(ln2))))
    high = float(mp.floor(ln2 * 2**42) / 2**42)
    print("ln 2, 42-bit high part:", repr(high), repr(float(ln2 - high)))


if __name__ == "__main__":
    main()
