"""Central finite differences: the numeric reference for derivatives."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def step_for(dtype: np.dtype) -> float:
    """The step that balances truncation and rounding error for central differences:
    about the cube root of the machine epsilon (6e-6 for float64, 5e-3 for float32)."""
    return float(np.finfo(dtype).eps ** (1 / 3))


def gradient(f: Callable[..., Any], arrays: Sequence[np.ndarray], index: int) -> np.ndarray:
    """d f(*arrays) / d arrays[index] for a scalar ``f``, by central differences. For a
    complex input ``z = x + iy``: ``df/dx - i df/dy`` (docs/numpy.md), each part by central
    differences of its own."""
    z = np.asarray(arrays[index])
    if z.dtype.kind == "c":
        parts = z.real.copy(), z.imag.copy()

        def of_real(x: np.ndarray) -> Any:
            return f(*_with(arrays, index, (x + 1j * parts[1]).astype(z.dtype)))

        def of_imag(y: np.ndarray) -> Any:
            return f(*_with(arrays, index, (parts[0] + 1j * y).astype(z.dtype)))

        by_x = gradient(of_real, [parts[0]], 0)
        by_y = gradient(of_imag, [parts[1]], 0)
        return by_x - 1j * by_y
    return jacobian(f, arrays, index).reshape(z.shape)  # f's shape is ()


def _with(arrays: Sequence[np.ndarray], index: int, value: np.ndarray) -> list[np.ndarray]:
    out = list(arrays)
    out[index] = value
    return out


def jacobian(f: Callable[..., Any], arrays: Sequence[np.ndarray], index: int) -> np.ndarray:
    """d f(*arrays) / d arrays[index] for an array-valued ``f``, by central differences:
    shape ``f``'s shape followed by the input's."""
    dtype = np.asarray(arrays[index]).dtype
    x = np.array(arrays[index], dtype=np.float64)
    h = step_for(dtype)
    args = list(arrays)
    columns = []
    for i in np.ndindex(*x.shape):
        step = h * max(1.0, abs(float(x[i])))
        hi, lo = x.copy(), x.copy()
        hi[i] += step
        lo[i] -= step
        hi, lo = hi.astype(dtype), lo.astype(dtype)
        args[index] = hi
        upper = np.asarray(f(*args), dtype=np.float64)
        args[index] = lo
        lower = np.asarray(f(*args), dtype=np.float64)
        columns.append((upper - lower) / (float(hi[i]) - float(lo[i])))
    if not columns:  # an empty input: nothing to differentiate by
        out_shape = np.shape(f(*arrays))
        return np.zeros(out_shape + x.shape)
    stacked = np.stack(columns, axis=-1)
    return stacked.reshape(stacked.shape[:-1] + x.shape)
