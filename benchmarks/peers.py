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

    forward = _forward_numpy(w, anp)
    wrt = list(w.wrt or range(len(data)))
    vg = value_and_grad(lambda *ws: forward(*_merge(data, wrt, ws)), argnum=list(range(len(wrt))))
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


def _pytensor(w: Workload, data: list[Any]) -> Callable[..., Any]:
    import pytensor
    import pytensor.tensor as pt

    inputs = [pt.tensor(f"x{i}", shape=a.shape, dtype="float64") for i, a in enumerate(data)]
    value = _forward_numpy(w, _PytensorNumpy(pt))(*inputs)
    wrt = [inputs[i] for i in (w.wrt or range(len(data)))]
    return pytensor.function(inputs, [value, *pytensor.grad(value, wrt)])


class _PytensorNumpy:
    """The few NumPy names the forward formulas use, mapped to pytensor.tensor."""

    def __init__(self, pt: Any):
        self.pt = pt

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pt, name)


def _jax(w: Workload, data: list[Any]) -> Callable[..., Any]:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    forward = _forward_numpy(w, jnp)
    wrt = list(w.wrt or range(len(data)))
    vg = jax.jit(jax.value_and_grad(lambda *a: forward(*a), argnums=wrt))

    def run(*arrays: Any) -> Any:
        value, grads = vg(*arrays)
        return jax.block_until_ready((value, grads))

    return run


def _torch(w: Workload, data: list[Any]) -> Callable[..., Any]:
    import torch

    forward = _forward_numpy(w, _TorchNumpy(torch))
    wrt = list(w.wrt or range(len(data)))

    def run(*arrays: Any) -> Any:
        tensors = [torch.from_numpy(a).requires_grad_(i in wrt) for i, a in enumerate(arrays)]
        value = forward(*tensors)
        grads = torch.autograd.grad(value, [tensors[i] for i in wrt])
        return value.item(), [g.numpy() for g in grads]

    return run


class _TorchNumpy:
    """NumPy names the forward formulas use, in PyTorch."""

    def __init__(self, torch: Any):
        self.torch = torch

    def dot(self, a: Any, b: Any) -> Any:
        return a @ b

    def max(self, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        return x.max() if axis is None else x.amax(dim=axis, keepdim=keepdims)

    def sum(self, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        return x.sum() if axis is None else x.sum(dim=axis, keepdim=keepdims)

    def mean(self, x: Any) -> Any:
        return x.mean()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.torch, name)


def _installed(module: str, maker: Maker) -> Maker | None:
    return maker if importlib.util.find_spec(module) else None


PEERS: dict[str, Maker | None] = {
    "autograd x": _installed("autograd", _autograd),
    "PyTensor x": _installed("pytensor", _pytensor),
    "JAX x": _installed("jax", _jax),
    "PyTorch x": _installed("torch", _torch),
}
