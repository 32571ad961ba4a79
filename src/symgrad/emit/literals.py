"""Constants as Python source that recreates them exactly."""

from __future__ import annotations

import base64

import numpy as np

# Arrays up to this many elements are written out; larger ones are embedded as base64 bytes.
INLINE_LIMIT = 256


def scalar(value: np.generic) -> str:
    """A plain Python literal for a NumPy scalar (a weak scalar in NumPy 2's promotion)."""
    if value.dtype.kind == "b":
        return "True" if value else "False"
    if value.dtype.kind in "iu":
        text = str(int(value))
    elif value.dtype.kind == "c":  # exact parts, also nan and inf ones
        return f"complex({scalar(value.real)}, {scalar(value.imag)})"
    elif np.isnan(value):
        return "np.nan"
    elif isinstance(value, np.floating) and np.isinf(value):
        return "np.inf" if value > 0 else "(-np.inf)"
    else:
        text = str(value)  # NumPy prints the shortest text that reads back as the same value
        if "." not in text and "e" not in text and "n" not in text:
            text += ".0"
    return f"({text})" if text.startswith("-") else text


def typed_scalar(value: np.generic) -> str:
    """A scalar that keeps its dtype: ``np.float32(0.1)``."""
    text = scalar(value)
    if text.startswith("(") and text.endswith(")"):  # no need for brackets in a call
        text = text[1:-1]
    return f"np.{value.dtype.name}({text})"


def array(value: np.ndarray) -> str:
    """An expression rebuilding ``value`` with its dtype and shape."""
    dtype = f"np.{value.dtype.name}"
    if value.size == 0:
        return f"np.zeros({value.shape!r}, dtype={dtype})"
    if value.size <= INLINE_LIMIT:
        return f"np.array({_nested(value)}, dtype={dtype})"
    data = base64.b64encode(np.ascontiguousarray(value).tobytes()).decode("ascii")
    return (
        f"np.frombuffer(base64.b64decode({data!r}), dtype={value.dtype.str!r})"
        f".reshape({value.shape!r})"
    )


def needs_base64(value: np.ndarray) -> bool:
    return value.ndim > 0 and value.size > INLINE_LIMIT


def _nested(value: np.ndarray) -> str:
    if value.ndim == 0:
        return scalar(value[()])  # type: ignore[arg-type]  # (NumPy's stubs: 0-d [()] is a scalar)
    return "[" + ", ".join(_nested(v) for v in value) + "]"
