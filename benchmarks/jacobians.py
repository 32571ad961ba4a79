"""Jacobians and Hessians through matrix products, against hand-written NumPy.

    python benchmarks/jacobians.py          # n = 2000
    python benchmarks/jacobians.py --n 500

For ``y = tanh(B x) * x`` with the product written four ways (``B @ x``, ``sg.dot``,
``sg.einsum("ij,j->i")``, ``sg.tensordot``): the time per call of the compiled
``sg.jacobian(y, x)`` and ``sg.hessian(sum(y), x)``, as a ratio to what a careful person
writes with NumPy for the same matrix. Each result is checked against that reference first;
the timing is the one of ``run.py`` (interleaved rounds, median).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from run import per_call  # noqa: E402

import symgrad as sg  # noqa: E402

PRODUCTS: dict[str, Callable[[sg.Expr, sg.Expr], sg.Expr]] = {
    "B @ x": lambda b, x: b @ x,
    "dot": sg.dot,
    "einsum": lambda b, x: sg.einsum("ij,j->i", b, x),
    "tensordot": lambda b, x: sg.tensordot(b, x, 1),
}


def jacobian_hand(b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """d/dx [tanh(Bx) * x]: diag(x (1 - t^2)) B + diag(t), without forming the diagonals."""
    t = np.tanh(b @ x)
    j = ((1 - t * t) * x)[:, None] * b
    j[np.diag_indices_from(j)] += t
    return j


def hessian_hand(b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """d^2/dx^2 sum(tanh(Bx) * x): D B + (D B)^T + B^T diag(w) B, D = diag(1 - t^2),
    w = -2 t (1 - t^2) x."""
    t = np.tanh(b @ x)
    d = 1 - t * t
    db = d[:, None] * b
    return db + db.T + b.T @ ((-2 * t * d * x)[:, None] * b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--quick", action="store_true", help="fewer and shorter repeats")
    args = parser.parse_args()
    seconds, repeats = (0.05, 5) if args.quick else (0.2, 15)
    rng = np.random.default_rng(0)
    b0 = rng.normal(size=(args.n, args.n)) / np.sqrt(args.n)
    x0 = rng.normal(size=args.n)
    print(f"# n = {args.n}; time per call, ratio to hand-written NumPy (median of rounds)")
    print("| product | jacobian hand ms | jacobian x | hessian hand ms | hessian x |")
    print("|---|---|---|---|---|")
    for name, product in PRODUCTS.items():
        b, x = sg.var("B", shape=b0.shape), sg.var("x", shape=x0.shape)
        y = sg.tanh(product(b, x)) * x
        jac = sg.compile(sg.jacobian(y, x), inputs=[b, x])
        hess = sg.compile(sg.hessian(y.sum(), x), inputs=[b, x])
        np.testing.assert_allclose(jac(b0, x0), jacobian_hand(b0, x0), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(hess(b0, x0), hessian_hand(b0, x0), rtol=1e-9, atol=1e-10)
        times = per_call(
            {
                "jacobian hand": lambda: jacobian_hand(b0, x0),
                "jacobian": lambda jac=jac: jac(b0, x0),
                "hessian hand": lambda: hessian_hand(b0, x0),
                "hessian": lambda hess=hess: hess(b0, x0),
            },
            seconds,
            repeats,
        )
        print(
            f"| {name} | {times['jacobian hand'] * 1e3:.2f} | "
            f"{times['jacobian'] / times['jacobian hand']:.2f} | "
            f"{times['hessian hand'] * 1e3:.1f} | {times['hessian'] / times['hessian hand']:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
