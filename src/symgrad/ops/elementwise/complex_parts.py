"""The parts of complex numbers: ``real``, ``imag``, ``conj`` (``conjugate``) and ``angle``.

None of them is holomorphic, so each row has a forward rule (``derivative``, on a tangent
``dz``) and a reverse rule (``reverse``, on a cotangent): with the convention of
docs/numpy.md, the cotangent of ``z = x + iy`` holds ``dL/dx - i dL/dy``, which for
``L = real(z)`` is 1, for ``L = imag(z)`` is ``-i``, and for ``conj`` is the conjugate of
the cotangent of the result. On real arrays they are what NumPy makes of them: ``real`` and
``conj`` the array itself, ``imag`` zeros, ``angle`` 0 or pi (derivative 0).
"""

from __future__ import annotations

import numpy as np

from ...core.dtypes import float_of, real_of
from ...core.expr import Expr
from .. import shape_ops
from ..leaves import const
from .arithmetic import divide, multiply
from .table import UnaryFunction, unary

# The public functions (symgrad exports them as sg.<name>).
__all__ = ["real", "imag", "conj", "conjugate", "angle"]


def _is_complex(x: Expr) -> bool:
    return x.dtype.kind == "c"


def _times_minus_i(g: Expr, like: Expr) -> Expr:
    """``-i g``, in ``like``'s complex dtype."""
    return multiply(shape_ops.astype(g, like.dtype), const(np.asarray(-1j, like.dtype)))


def _part_dtype(dtype: np.dtype) -> np.dtype:
    """``np.real`` and ``np.imag`` give the parts' float dtype; other dtypes stay."""
    return real_of(dtype)


def _angle_dtype(dtype: np.dtype) -> np.dtype:
    """``np.angle`` is a float: of a complex's parts, or NumPy's float for the real dtype."""
    return real_of(dtype) if dtype.kind == "c" else float_of(dtype)


real: UnaryFunction = unary(
    "real",
    """The real part of each element (``np.real``); real arrays are their own real part.

    >>> import numpy as np, symgrad as sg
    >>> sg.real(sg.const(np.array([1 + 2j, -3j]))).eval().tolist()
    [1.0, -0.0]
    """,
    numpy="np.real({0})",
    dtype=_part_dtype,
    sympy="re",
    derivative=lambda g, x, y: real(g) if _is_complex(g) else g,
    reverse=lambda g, x, y: shape_ops.astype(g, x.dtype),
)
imag: UnaryFunction = unary(
    "imag",
    """The imaginary part of each element (``np.imag``); 0 for real arrays.

    >>> import numpy as np, symgrad as sg
    >>> sg.imag(sg.const(np.array([1 + 2j, -3j]))).eval().tolist()
    [2.0, -3.0]
    """,
    numpy="np.imag({0})",
    dtype=_part_dtype,
    sympy="im",
    derivative=lambda g, x, y: imag(g) if _is_complex(x) else None,
    reverse=lambda g, x, y: _times_minus_i(g, x) if _is_complex(x) else None,
)
conj: UnaryFunction = unary(
    "conj",
    """The complex conjugate of each element (``np.conj``, ``np.conjugate``); real arrays
    are their own conjugate.

    >>> import numpy as np, symgrad as sg
    >>> sg.conj(sg.const(np.array([1 + 2j]))).eval().tolist()
    [(1-2j)]
    """,
    numpy=np.conjugate,
    sympy="conjugate",
    derivative=lambda g, x, y: conj(g) if _is_complex(g) else g,
)
conjugate = conj


def _angle_tangent(g: Expr, x: Expr, y: Expr) -> Expr | None:
    """d angle(z) = imag(dz / z)."""
    return imag(divide(g, x)) if _is_complex(x) else None


def _angle_cotangent(g: Expr, x: Expr, y: Expr) -> Expr | None:
    """The cotangent of ``z``: ``-i g / z`` (``dL/dx - i dL/dy`` of ``atan2(y, x)``)."""
    return divide(_times_minus_i(g, x), x) if _is_complex(x) else None


angle = unary(
    "angle",
    """The argument of each element in radians, in ``(-pi, pi]`` (``np.angle``); 0 or pi for
    real arrays, with derivative 0 there. Not differentiable at 0.

    >>> import numpy as np, symgrad as sg
    >>> float(sg.angle(sg.const(np.array(1j))).eval()) == np.pi / 2
    True
    """,
    numpy="np.angle({0})",
    dtype=_angle_dtype,
    sympy="arg",
    derivative=_angle_tangent,
    reverse=_angle_cotangent,
)
