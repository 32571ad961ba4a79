"""The benchmark workloads: each as a symgrad graph and as hand-written NumPy.

Every workload computes a scalar value and its gradient. ``hand`` is what a careful person
writes with NumPy alone (or, for the scalar graph, with Python floats and ``math``): the
limit a NumPy backend can reach.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import symgrad as sg


@dataclass
class Workload:
    name: str
    data: Callable[[], list[np.ndarray]]
    build: Callable[..., Any]  # symbolic inputs -> scalar symgrad expression (or array fn)
    hand: Callable[..., tuple[Any, list[Any]]]  # arrays -> (value, [gradients])
    wrt: tuple[int, ...] | None = None  # which inputs to differentiate (default: all)


def _rng() -> np.random.Generator:
    return np.random.default_rng(0)


# 1. y = 2 x.x ---------------------------------------------------------------------------------
def _dot_hand(x):
    return 2.0 * (x @ x), [4.0 * x]


# 2. sum(sin(sin(...sin(x)))), 50 deep -------------------------------------------------------
def _sin_build(x):
    y = x
    for _ in range(50):
        y = sg.sin(y)
    return y.sum()


def _sin_hand(x):
    values = [x]
    for _ in range(50):
        values.append(np.sin(values[-1]))
    g = np.ones_like(x)
    for v in reversed(values[:-1]):
        g *= np.cos(v)
    return values[-1].sum(), [g]


# 3. two-layer tanh MLP with softmax cross-entropy -------------------------------------------
def _mlp_data():
    r = _rng()
    return [
        r.normal(size=(256, 784)),
        np.eye(10)[r.integers(0, 10, 256)],
        r.normal(size=(784, 512)) * 0.05,
        np.zeros(512),
        r.normal(size=(512, 10)) * 0.05,
        np.zeros(10),
    ]


def _mlp_build(x, t, w1, b1, w2, b2):
    h = sg.tanh(x @ w1 + b1)
    logits = h @ w2 + b2
    return -sg.mean(sg.sum(t * (logits - sg.logsumexp(logits, axis=1, keepdims=True)), axis=1))


def _mlp_hand(x, t, w1, b1, w2, b2):
    h = np.tanh(x @ w1 + b1)
    logits = h @ w2 + b2
    top = logits.max(axis=1, keepdims=True)
    shifted = logits - top
    lse = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -np.mean(np.sum(t * (shifted - lse), axis=1))
    n = x.shape[0]
    g_logits = (np.exp(shifted - lse) * t.sum(axis=1, keepdims=True) - t) / n
    g_w2 = h.T @ g_logits
    g_b2 = g_logits.sum(axis=0)
    g_h = g_logits @ w2.T
    g_z = g_h * (1 - h * h)
    return loss, [x.T @ g_z, g_z.sum(axis=0), g_w2, g_b2]


# 4. Rosenbrock in 10^6 dimensions -------------------------------------------------------------
def _rosen_build(x):
    a, b = x[:-1], x[1:]
    return sg.sum(100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2)


def _rosen_hand(x):
    a, b = x[:-1], x[1:]
    d = b - a * a
    value = np.sum(100.0 * d * d + (1.0 - a) ** 2)
    g = np.zeros_like(x)
    g[:-1] = -400.0 * d * a - 2.0 * (1.0 - a)
    g[1:] += 200.0 * d
    return value, [g]


# 5. log-sum-exp of A x ------------------------------------------------------------------------
def _lse_build(a, x):
    return sg.logsumexp(a @ x)


def _lse_hand(a, x):
    z = a @ x
    top = z.max()
    e = np.exp(z - top)
    s = e.sum()
    return np.log(s) + top, [np.outer(e / s, x), a.T @ (e / s)]


# 5b. the same, written the stable way by hand ------------------------------------------------
def _lse_shifted_build(a, x):
    z = a @ x
    top = z.max()
    return top + sg.log(sg.sum(sg.exp(z - top)))


# 6. a scalar graph of ~2,500 nodes --------------------------------------------------------------
def _scalar_build(x, y):
    for _ in range(500):
        x = sg.sin(x) * y + sg.cos(x * y)
    return x


def _scalar_hand(x0, y):
    x0, y = float(x0), float(y)
    xs = [x0]
    x = x0
    for _ in range(500):
        x = math.sin(x) * y + math.cos(x * y)
        xs.append(x)
    gx, gy = 1.0, 0.0
    for x in reversed(xs[:-1]):
        s = math.sin(x * y)
        gy += gx * (math.sin(x) - s * x)
        gx = gx * (math.cos(x) * y - s * y)
    return xs[-1], [gx, gy]


# 7. 4x^3 + x^2 + 3 -------------------------------------------------------------------------------
def _poly_build(x):
    return sg.sum(4.0 * x**3 + x**2 + 3.0)


def _poly_hand(x):
    x2 = x * x
    return np.sum(4.0 * x2 * x + x2 + 3.0), [12.0 * x2 + 2.0 * x]


WORKLOADS = [
    Workload(
        "1 2x.x (1e6)", lambda: [_rng().normal(size=10**6)], lambda x: 2 * sg.dot(x, x), _dot_hand
    ),
    Workload("2 sin^50 (1e5)", lambda: [_rng().normal(size=10**5)], _sin_build, _sin_hand),
    Workload("3 MLP 784-512-10", _mlp_data, _mlp_build, _mlp_hand, wrt=(2, 3, 4, 5)),
    Workload(
        "4 Rosenbrock (1e6)", lambda: [_rng().uniform(-2, 2, 10**6)], _rosen_build, _rosen_hand
    ),
    Workload(
        "5 logsumexp(Ax) 1000",
        lambda: [_rng().normal(size=(1000, 1000)) * 0.1, _rng().normal(size=1000)],
        _lse_build,
        _lse_hand,
    ),
    Workload(
        "5b logsumexp(Ax) by hand",
        lambda: [_rng().normal(size=(1000, 1000)) * 0.1, _rng().normal(size=1000)],
        _lse_shifted_build,
        _lse_hand,
    ),
    Workload(
        "6 scalar 2500 nodes", lambda: [np.array(0.3), np.array(0.7)], _scalar_build, _scalar_hand
    ),
    Workload("7 4x^3+x^2+3 (1e6)", lambda: [_rng().normal(size=10**6)], _poly_build, _poly_hand),
]
