"""The dtypes symgrad supports and how results are typed (NumPy 2 promotion, NEP 50)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

# bool, signed and unsigned ints, floats and complex numbers: what NumPy's ufuncs and the
# derivative rules cover.
SUPPORTED_KINDS = "biufc"
#: The kinds derivatives flow through (see docs/numpy.md for the complex convention).
INEXACT_KINDS = "fc"


def as_dtype(dtype: object, what: str = "dtype") -> np.dtype:
    """Return ``dtype`` as an ``np.dtype``; raise TypeError for anything non-numeric."""
    try:
        dt = np.dtype(dtype)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(f"{what} {dtype!r} is not a NumPy dtype") from None
    if dt.kind not in SUPPORTED_KINDS:
        raise TypeError(
            f"{what} {dt} is not supported; use a bool, integer, float or complex dtype"
        )
    return dt


@lru_cache(maxsize=4096)
def ufunc_result(ufunc: np.ufunc, *dtypes: np.dtype) -> np.dtype:
    """The dtype ``ufunc`` gives for inputs of these dtypes (cached: it sits on the build path)."""
    return ufunc.resolve_dtypes((*dtypes, None))[-1]


def is_float(dtype: np.dtype) -> bool:
    return dtype.kind == "f"


def is_inexact(dtype: np.dtype) -> bool:
    """Float or complex: the dtypes derivatives flow through."""
    return dtype.kind in INEXACT_KINDS


def real_of(dtype: np.dtype) -> np.dtype:
    """The dtype of the real and imaginary parts of ``dtype`` (``float32`` for
    ``complex64``); other dtypes are their own."""
    return np.dtype(f"f{dtype.itemsize // 2}") if dtype.kind == "c" else dtype


def float_result(dtype: np.dtype) -> np.dtype:
    """The dtype of a float-valued reduction (mean, norm, logsumexp) of ``dtype``: floats keep
    theirs, bools and integers give float64, as ``np.mean`` and ``np.linalg.norm`` do."""
    return dtype if dtype.kind in INEXACT_KINDS else np.dtype(np.float64)


def float_of(dtype: np.dtype) -> np.dtype:
    """The float dtype NumPy computes in for ``dtype`` (ints and bools become float64)."""
    return ufunc_result(np.sin, dtype)


@lru_cache(maxsize=256)
def dtype_name(dtype: np.dtype) -> str:
    """``dtype.name``, cached: NumPy computes it in Python each time."""
    return dtype.name
