"""Finite-difference references for derivative tests (independent of symgrad's rules)."""

from __future__ import annotations

import numpy as np


def numeric_jacobian(f, arrays, index, eps=1e-6):
    """d f(*arrays) / d arrays[index] by central differences, shape out.shape + x.shape."""
    x = np.array(arrays[index], dtype=np.float64)
    base = np.asarray(f(*arrays), dtype=np.float64)
    jac = np.zeros(base.shape + x.shape)
    for i in np.ndindex(*x.shape):
        step = eps * max(1.0, abs(x[i]))
        hi, lo = x.copy(), x.copy()
        hi[i] += step
        lo[i] -= step
        args_hi = list(arrays)
        args_lo = list(arrays)
        args_hi[index], args_lo[index] = hi, lo
        diff = np.asarray(f(*args_hi), np.float64) - np.asarray(f(*args_lo), np.float64)
        jac[(...,) + i] = diff / (2 * step)
    return jac


def numeric_grad(f, arrays, index, eps=1e-6):
    """Gradient of a scalar function by central differences."""
    return numeric_jacobian(f, arrays, index, eps)
