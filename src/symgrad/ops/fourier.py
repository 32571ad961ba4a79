"""Discrete Fourier transforms (``np.fft``): ``fft``, ``ifft``, ``rfft``, ``irfft`` along one
axis, and ``fft2``, ``ifft2``, ``fftn``, ``ifftn``, ``rfft2``, ``irfft2``, ``rfftn``,
``irfftn`` as transforms along one axis after another (as NumPy computes them).

Each transform is linear. With the complex convention of docs/numpy.md (a cotangent holds
``dL/dx - i dL/dy``), the reverse rule of a map ``y = A x`` linear over the complex numbers
is ``A^T`` applied to the cotangent; the DFT matrix is symmetric, so ``fft``'s reverse rule
is ``fft`` and ``ifft``'s is ``ifft``. ``rfft`` keeps the first ``n // 2 + 1`` rows of
``fft`` of a real input: its cotangent is padded with zeros to ``n`` and transformed (the real
part reaches the real input). ``irfft`` reads only the real parts of the first and (for even
``n``) the middle coefficient and counts the others twice: its cotangent is ``ifft`` of the
output's, cut to the coefficients, doubled where they count twice.

``norm=`` scales as NumPy does: ``"backward"`` (the default) divides the inverse transforms
by ``n``, ``"ortho"`` both ways by ``sqrt(n)``, ``"forward"`` the forward transforms by
``n``. The op computes the default; another ``norm`` multiplies its result by the constant
ratio, so the derivatives are the default's, scaled.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.expr import Expr
from ..core.lazy import lazy_module
from ..core.shapes import Shape, normalize_axis
from ..errors import ShapeError
from . import shape_ops
from .base import EmitContext, Op
from .leaves import as_expr, const

if TYPE_CHECKING:
    import sympy
else:
    sympy = lazy_module("sympy")

_KINDS = ("fft", "ifft", "rfft", "irfft")


def _complex_of(dtype: np.dtype) -> np.dtype:
    """The complex dtype NumPy's FFT gives: complex64 for float32 and complex64 (NumPy 2),
    complex128 otherwise."""
    return (
        np.dtype(np.complex64) if dtype in (np.float32, np.complex64) else np.dtype(np.complex128)
    )


def _real_of(dtype: np.dtype) -> np.dtype:
    return np.dtype(np.float32) if dtype in (np.float32, np.complex64) else np.dtype(np.float64)


@dataclasses.dataclass(frozen=True)
class Fourier(Op):
    """A one-dimensional discrete Fourier transform along ``axis`` (negative: counted from
    the end, so the rules apply unchanged to inputs with leading batch axes): ``kind`` is
    ``fft``, ``ifft``, ``rfft`` or ``irfft``, ``n`` the transform length (the input is cut
    or padded with zeros to it; for ``irfft``, the output length)."""

    dask_alternative = (
        "dask.array.fft, with the transformed axis in one chunk, outside the compiled "
        "function, or the NumPy backend"
    )

    name = "fourier"
    kind: str
    n: int
    axis: int

    def infer(self, inputs: tuple[Expr, ...]) -> tuple[Shape, np.dtype]:
        (x,) = inputs
        if self.kind not in _KINDS:
            raise ShapeError(self.name, f"unknown transform {self.kind!r}")
        if not -x.ndim <= self.axis < 0:
            raise ShapeError(self.kind, f"axis {self.axis} is out of range for {x.ndim}-d input")
        if self.n < 1:
            raise ShapeError(self.kind, f"invalid number of data points ({self.n})")
        if x.dtype.kind not in "biufc":
            raise TypeError(f"{self.kind} of {x.dtype} values")
        if self.kind == "rfft" and x.dtype.kind == "c":
            raise TypeError("rfft takes real input; use fft for complex values")
        length = self.n // 2 + 1 if self.kind == "rfft" else self.n
        shape = list(x.shape)
        shape[self.axis] = length
        dtype = _real_of(x.dtype) if self.kind == "irfft" else _complex_of(x.dtype)
        return tuple(shape), dtype

    def label(self) -> str:
        return f"{self.kind}(n={self.n}, axis={self.axis})"

    def emit(self, node: Expr, args: Sequence[str], ctx: EmitContext) -> str:
        return f"np.fft.{self.kind}({args[0]}, n={self.n}, axis={self.axis})"

    def vjp(self, node: Expr, cotangent: Expr) -> Sequence[Expr | None]:
        x = node.inputs[0]
        g = cotangent
        length = x.shape[self.axis]
        if not isinstance(length, int):
            raise ShapeError(self.kind, "the transformed axis needs a concrete size")
        if self.kind in ("fft", "ifft"):
            back = Fourier(self.kind, self.n, self.axis)(g)
        elif self.kind == "rfft":
            back = Fourier("fft", self.n, self.axis)(_resized(g, self.n, self.axis))
        else:  # irfft
            coefficients = Fourier("ifft", self.n, self.axis)(g)
            back = coefficients * _irfft_weights(self.n, self.axis, node.ndim)
        back = _resized(back, length, self.axis)  # the input's length: cut or zero-padded
        # A real input gets the real part (differentiate/masks.py).
        return (back if back.dtype == x.dtype or x.dtype.kind != "c" else back.astype(x.dtype),)

    def jvp(self, node: Expr, tangents: Sequence[Expr | None]) -> Expr | None:
        (t,) = tangents
        return None if t is None else Fourier(self.kind, self.n, self.axis)(t)

    def to_sympy(self, node: Expr, args: Sequence[np.ndarray]) -> np.ndarray:
        (x,) = args
        moved = np.moveaxis(x, self.axis, -1)
        out = np.empty(moved.shape[:-1] + (node.shape[self.axis],), dtype=object)
        for index in np.ndindex(moved.shape[:-1]):
            out[index] = _sympy_transform(self.kind, self.n, list(moved[index]))
        return np.moveaxis(out, -1, self.axis)


def _resized(x: Expr, n: int, axis: int) -> Expr:
    """``x`` cut or padded with zeros to length ``n`` along ``axis``."""
    size = x.shape[axis]
    if not isinstance(size, int):
        raise ShapeError("fft", "the transformed axis needs a concrete size")
    if size == n:
        return x
    if size > n:
        index = (Ellipsis, slice(0, n)) + (slice(None),) * (-axis - 1)
        return shape_ops.getitem(x, index)
    pad = list(x.shape)
    pad[axis] = n - size
    zeros = shape_ops.zeros(tuple(pad), x.dtype)
    return shape_ops.concatenate([x, zeros], axis=axis)


def _irfft_weights(n: int, axis: int, ndim: int) -> Expr:
    """1 for the coefficients ``irfft`` reads once (the first, and the middle one of an even
    ``n``), 2 for those standing for a conjugate pair, 0 beyond what it reads."""
    used = n // 2 + 1
    weights = np.zeros(n)
    weights[:used] = 2.0
    weights[0] = 1.0
    if n % 2 == 0:
        weights[n // 2] = 1.0
    shape = [1] * max(ndim, -axis)
    shape[axis] = n
    return const(weights.reshape(shape))


def _sympy_transform(kind: str, n: int, values: list[Any]) -> list[Any]:
    """The transform of one line of SymPy values, from its definition."""
    values = (values + [sympy.Integer(0)] * n)[:n] if kind != "irfft" else values
    if kind == "irfft":
        m = n // 2 + 1
        c = (values + [sympy.Integer(0)] * m)[:m]
        full = [c[k] if k < m else sympy.conjugate(c[n - k]) for k in range(n)]
        full[0] = sympy.re(c[0])
        if n % 2 == 0:
            full[n // 2] = sympy.re(c[n // 2])
        return [
            sympy.re(sum(full[k] * sympy.exp(2 * sympy.pi * sympy.I * k * t / n) for k in range(n)))
            / n
            for t in range(n)
        ]
    sign = 1 if kind == "ifft" else -1
    scale = sympy.Rational(1, n) if kind == "ifft" else 1
    length = n // 2 + 1 if kind == "rfft" else n
    return [
        scale
        * sum(
            v * sympy.exp(sign * 2 * sympy.pi * sympy.I * k * t / n) for t, v in enumerate(values)
        )
        for k in range(length)
    ]


# --- public functions -----------------------------------------------------------------------


_NORMS = (None, "backward", "ortho", "forward")


def _scale(kind: str, n: int, norm: Any) -> float:
    """What ``norm`` multiplies the default (``"backward"``) transform of length ``n`` by."""
    if norm not in _NORMS:
        raise ValueError(
            f'{kind}: norm must be "backward", "ortho" or "forward" (or None), got {norm!r}'
        )
    inverse = kind in ("ifft", "irfft")
    if norm == "ortho":
        return float(np.sqrt(n)) if inverse else 1.0 / float(np.sqrt(n))
    if norm == "forward":
        return float(n) if inverse else 1.0 / n
    return 1.0


def _one(kind: str, a: Any, n: int | None, axis: int, norm: Any) -> Expr:
    _scale(kind, 1, norm)  # the argument checked before anything is built
    x = as_expr(a)
    if kind == "irfft" and x.dtype.kind != "c":
        x = shape_ops.astype(x, _complex_of(x.dtype))
    axis = normalize_axis(kind, axis, x.ndim) - x.ndim
    size = x.shape[axis]
    if n is None:
        if not isinstance(size, int):
            raise ShapeError(kind, f"axis {axis} has symbolic size {size!r}: pass n=")
        n = 2 * (size - 1) if kind == "irfft" else size
    y = Fourier(kind, int(n), axis)(x)
    scale = _scale(kind, int(n), norm)
    return y if scale == 1.0 else y * scale


def fft(a: Any, n: int | None = None, axis: int = -1, norm: Any = None) -> Expr:
    """The discrete Fourier transform along ``axis`` (``np.fft.fft``).

    >>> import numpy as np, symgrad as sg
    >>> sg.fft.fft(sg.const([1.0, 0.0, 0.0, 0.0])).eval().tolist()
    [(1+0j), (1+0j), (1+0j), (1+0j)]
    """
    return _one("fft", a, n, axis, norm)


def ifft(a: Any, n: int | None = None, axis: int = -1, norm: Any = None) -> Expr:
    """The inverse discrete Fourier transform along ``axis`` (``np.fft.ifft``)."""
    return _one("ifft", a, n, axis, norm)


def rfft(a: Any, n: int | None = None, axis: int = -1, norm: Any = None) -> Expr:
    """The transform of real input, its ``n // 2 + 1`` non-negative frequencies
    (``np.fft.rfft``)."""
    return _one("rfft", a, n, axis, norm)


def irfft(a: Any, n: int | None = None, axis: int = -1, norm: Any = None) -> Expr:
    """The inverse of ``rfft``: ``n`` real values (by default ``2 (m - 1)`` for ``m``
    coefficients) from the non-negative frequencies (``np.fft.irfft``)."""
    return _one("irfft", a, n, axis, norm)


def _axes_of(x: Expr, s: Any, axes: Any, name: str) -> tuple[list[int | None], list[int]]:
    if axes is None:
        axes = list(range(-len(s), 0)) if s is not None else list(range(x.ndim))
    axes = [normalize_axis(name, a, x.ndim) for a in axes]
    sizes = [None] * len(axes) if s is None else list(s)
    if len(sizes) != len(axes):
        raise ValueError(f"{name}: s and axes must have the same length")
    return sizes, axes


def fftn(a: Any, s: Any = None, axes: Any = None, norm: Any = None) -> Expr:
    """The transform along several axes (all by default), one after another
    (``np.fft.fftn``)."""
    x = as_expr(a)
    sizes, axes = _axes_of(x, s, axes, "fftn")
    for n, axis in zip(sizes, axes):
        x = fft(x, n, axis, norm)
    return x


def ifftn(a: Any, s: Any = None, axes: Any = None, norm: Any = None) -> Expr:
    """The inverse transform along several axes (``np.fft.ifftn``)."""
    x = as_expr(a)
    sizes, axes = _axes_of(x, s, axes, "ifftn")
    for n, axis in zip(sizes, axes):
        x = ifft(x, n, axis, norm)
    return x


def rfftn(a: Any, s: Any = None, axes: Any = None, norm: Any = None) -> Expr:
    """``rfft`` along the last of ``axes``, then ``fft`` along the others
    (``np.fft.rfftn``)."""
    x = as_expr(a)
    sizes, axes = _axes_of(x, s, axes, "rfftn")
    x = rfft(x, sizes[-1], axes[-1], norm)
    for n, axis in zip(sizes[:-1], axes[:-1]):
        x = fft(x, n, axis, norm)
    return x


def irfftn(a: Any, s: Any = None, axes: Any = None, norm: Any = None) -> Expr:
    """``ifft`` along all but the last of ``axes``, then ``irfft`` along the last
    (``np.fft.irfftn``)."""
    x = as_expr(a)
    sizes, axes = _axes_of(x, s, axes, "irfftn")
    for n, axis in zip(sizes[:-1], axes[:-1]):
        x = ifft(x, n, axis, norm)
    return irfft(x, sizes[-1], axes[-1], norm)


def fft2(a: Any, s: Any = None, axes: Any = (-2, -1), norm: Any = None) -> Expr:
    """The transform along two axes (``np.fft.fft2``)."""
    return fftn(a, s, axes, norm)


def ifft2(a: Any, s: Any = None, axes: Any = (-2, -1), norm: Any = None) -> Expr:
    """The inverse transform along two axes (``np.fft.ifft2``)."""
    return ifftn(a, s, axes, norm)


def rfft2(a: Any, s: Any = None, axes: Any = (-2, -1), norm: Any = None) -> Expr:
    """``rfftn`` along two axes (``np.fft.rfft2``)."""
    return rfftn(a, s, axes, norm)


def irfft2(a: Any, s: Any = None, axes: Any = (-2, -1), norm: Any = None) -> Expr:
    """``irfftn`` along two axes (``np.fft.irfft2``)."""
    return irfftn(a, s, axes, norm)
