"""The emitted code of a few representative functions, compared with ``snapshots/emitted.txt``.

The emitted source is a user-facing artefact: any change to it shows up here, to be looked
at. After a deliberate change, rewrite the file and review the diff:

    SYMGRAD_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_snapshots.py
    git diff tests/snapshots/emitted.txt
"""

import os
import re
from pathlib import Path

import numpy as np
import pytest

import symgrad as sg

SNAPSHOTS = Path(__file__).parent / "snapshots" / "emitted.txt"
UPDATE = os.environ.get("SYMGRAD_UPDATE_SNAPSHOTS") == "1"


def mlp():
    """Two-layer tanh MLP with softmax cross-entropy: value and gradient."""
    x = sg.var("x", shape=("n", 784))
    t = sg.var("t", shape=("n", 10))
    w1, b1 = sg.var("W1", shape=(784, 512)), sg.var("b1", shape=(512,))
    w2, b2 = sg.var("W2", shape=(512, 10)), sg.var("b2", shape=(10,))
    h = sg.tanh(x @ w1 + b1)
    logits = h @ w2 + b2
    loss = -sg.mean(sg.sum(t * (logits - sg.logsumexp(logits, axis=1, keepdims=True)), axis=1))
    return sg.compile([loss, sg.grad(loss, [w1, b1, w2, b2])], [x, t, w1, b1, w2, b2])


def while_loop():
    """The classic: b = 2a; while norm(b) < 1000: b = 2b; c = b if sum(b) > 0 else 100b."""
    a = sg.var("a", shape=(3,))
    b = sg.while_loop(lambda b: sg.norm(b) < 1000, lambda b: 2 * b, 2 * a)
    c = sg.cond(b.sum() > 0, lambda b: b, lambda b: 100 * b, b)
    y = c.sum()
    return sg.compile([y, sg.grad(y, a)], [a])


def scalar_chain():
    """y = sin(y) * 0.999 + 0.01 * y, three times, and dy/dx: Python floats."""
    x = sg.var("x")
    y = x
    for _ in range(3):
        y = sg.sin(y) * 0.999 + 0.01 * y
    return sg.compile([y, sg.grad(y, x)], [x])


def hessian():
    """Hessians of a function of two scalars and of a function of a vector."""
    x, y = sg.var("x"), sg.var("y")
    z = sg.sin(x) * y**2 + sg.exp(x * y)
    v = sg.var("v", shape=(3,))
    w = sg.sum(sg.sin(v) ** 2)
    return sg.compile([sg.hessian(z, [x, y]), sg.hessian(w, v)], [x, y, v])


FUNCTIONS = [mlp, while_loop, scalar_chain, hessian]


def _code(f) -> str:
    """The generated functions, without the helpers every module ends with."""
    return f.source.split("\n\n\nclass BindError")[0].rstrip() + "\n"


def _stored() -> dict[str, str]:
    if not SNAPSHOTS.exists():
        return {}
    parts = re.split(r"^=== (\w+) ===\n", SNAPSHOTS.read_text(encoding="utf-8"), flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def test_snapshots_cover_every_function():
    if UPDATE:
        text = "".join(f"=== {fn.__name__} ===\n{_code(fn())}" for fn in FUNCTIONS)
        SNAPSHOTS.parent.mkdir(exist_ok=True)
        SNAPSHOTS.write_text(text, encoding="utf-8")
    assert sorted(_stored()) == sorted(fn.__name__ for fn in FUNCTIONS)


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda fn: fn.__name__)
def test_emitted_code_matches_its_snapshot(fn):
    stored = _stored().get(fn.__name__)
    assert stored is not None, f"no snapshot of {fn.__name__}; see this module's docstring"
    assert _code(fn()) == stored, (
        f"the emitted code of {fn.__name__} changed; if deliberately, update the snapshot "
        "(SYMGRAD_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_snapshots.py)"
    )


def test_snapshot_functions_compute_the_right_values():
    """The code in the snapshots is checked against hand-written NumPy too."""
    rng = np.random.default_rng(0)
    # the MLP, against its gradient written by hand
    n = 7
    x, t = rng.normal(size=(n, 784)), np.eye(10)[rng.integers(0, 10, n)]
    w1, b1 = rng.normal(size=(784, 512)) * 0.05, rng.normal(size=512)
    w2, b2 = rng.normal(size=(512, 10)) * 0.05, rng.normal(size=10)
    loss, grads = mlp()(x, t, w1, b1, w2, b2)
    h = np.tanh(x @ w1 + b1)
    z = h @ w2 + b2
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    assert loss == pytest.approx(-np.mean(np.sum(t * log_p, axis=1)), rel=1e-13)
    d_z = (np.exp(log_p) - t) / n
    d_h = d_z @ w2.T * (1 - h * h)
    for got, want in zip(grads, [x.T @ d_h, d_h.sum(0), h.T @ d_z, d_z.sum(0)]):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)
    # the while loop: f(a) = K * sum(a) for the K the loop and the branch reach
    a = np.array([0.5, 1.0, -0.25])
    value, grad = while_loop()(a)
    b = 2 * a
    while np.linalg.norm(b) < 1000:
        b = 2 * b
    c = b if b.sum() > 0 else 100 * b
    assert value == pytest.approx(c.sum())
    np.testing.assert_allclose(grad, np.full(3, c.sum() / a.sum()))
    # the scalar chain, by hand
    v, ys = 0.3, [0.3]
    for _ in range(3):
        ys.append(np.sin(ys[-1]) * 0.999 + 0.01 * ys[-1])
    d = 1.0
    for y in ys[:-1]:
        d *= np.cos(y) * 0.999 + 0.01
    got = scalar_chain()(v)
    assert got[0] == pytest.approx(ys[-1], rel=1e-15) and got[1] == pytest.approx(d, rel=1e-14)
    # the Hessians, by hand
    x, y, vec = 0.7, -1.3, rng.normal(size=3)
    (h2, hv) = hessian()(x, y, vec)
    e = np.exp(x * y)
    want = [
        [-np.sin(x) * y**2 + y * y * e, 2 * y * np.cos(x) + e + x * y * e],
        [2 * y * np.cos(x) + e + x * y * e, 2 * np.sin(x) + x * x * e],
    ]
    np.testing.assert_allclose(np.array(h2, dtype=float), want, rtol=1e-13)
    np.testing.assert_allclose(hv, np.diag(2 * np.cos(2 * vec)), rtol=1e-13, atol=1e-15)
