"""Other autodiff libraries on the same workloads, each only if it is installed."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

from workloads import Workload

Maker = Callable[[Workload, list[Any]], Callable[..., Any]]


def _autograd(w: Workload, data: list[Any]) -> Callable[..., Any]:
    import autograd.numpy as anp
    from autograd import value_and_grad

    import symgrad as sg

    # Run the same formula through autograd's tracer by translating the graph's ops lazily:
    # symgrad graphs cannot be traced, so each workload's hand-written forward is reused.
    forward = _forward_numpy(w, anp)
    wrt = list(w.wrt or range(len(data)))
    vg = value_and_grad(lambda *ws: forward(*_merge(data, wrt, ws)), argnum=list(range(len(wrt))))
    del sg
    return lambda *arrays: vg(*[arrays[i] for i in wrt])


def _merge(data: list[Any], wrt: list[int], values: tuple[Any, ...]) -> list[Any]:
    out = list(data)
    for i, v in zip(wrt, values):
        out[i] = v
    return out


def _forward_numpy(w: Workload, np_module: Any) -> Callable[..., Any]:
    """The workload's forward computation written against a NumPy-like module."""
    name = w.name.split()[0]
    np_ = np_module

    def dot(x):
        return 2.0 * np_.dot(x, x)

    def sin50(x):
        for _ in range(50):
            x = np_.sin(x)
        return np_.sum(x)

    def mlp(x, t, w1, b1, w2, b2):
        h = np_.tanh(np_.dot(x, w1) + b1)
        logits = np_.dot(h, w2) + b2
        top = np_.max(logits, axis=1, keepdims=True)
        lse = np_.log(np_.sum(np_.exp(logits - top), axis=1, keepdims=True)) + top
        return -np_.mean(np_.sum(t * (logits - lse), axis=1))

    def rosen(x):
        a, b = x[:-1], x[1:]
        return np_.sum(100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2)

    def lse(a, x):
        z = np_.dot(a, x)
        top = np_.max(z)
        return np_.log(np_.sum(np_.exp(z - top))) + top

    def scalar(x, y):
        for _ in range(500):
            x = np_.sin(x) * y + np_.cos(x * y)
        return x

    def poly(x):
        return np_.sum(4.0 * x**3 + x**2 + 3.0)

    return {"1": dot, "2": sin50, "3": mlp, "4": rosen, "5": lse, "6": scalar, "7": poly}[name]


PEERS: dict[str, Maker | None] = {
    "autograd x": _autograd if importlib.util.find_spec("autograd") else None,
}
