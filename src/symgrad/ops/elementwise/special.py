"""Special functions: ``sinc``. Table rows whose derivative needs a few lines of its own."""

from __future__ import annotations

import numpy as np
import sympy

from ...core.expr import Expr
from ..leaves import as_expr
from .arithmetic import add, divide, multiply, subtract
from .comparisons import less
from .selection import where
from .table import unary
from .unary import abs, cos

# --- sinc -----------------------------------------------------------------------------------

# sinc'(x) = pi * sum_{n>=1} (-1)^n 2n u^(2n-1) / (2n+1)!, u = pi x: the series' coefficients
# of u, u^3, ... Seven terms give double precision for |u| < 1/2, where the closed form
# (cos(u) - sinc(x)) / x loses digits to cancellation.
_SINC_SERIES = tuple(
    (-1) ** n * 2 * n / float(np.prod(np.arange(1, 2 * n + 2, dtype=np.float64)))
    for n in range(1, 8)
)


def _sinc_slope(x: Expr, y: Expr) -> Expr:
    """d sinc(x) / dx, from the series near 0 and the closed form elsewhere."""
    u = multiply(x, as_expr(float(np.pi), like=y))
    small = less(abs(u), as_expr(0.5, like=y))
    u2 = multiply(u, u)
    series = as_expr(_SINC_SERIES[-1], like=y)
    for c in reversed(_SINC_SERIES[:-1]):
        series = add(multiply(series, u2), as_expr(c, like=y))
    series = multiply(series, multiply(u, as_expr(float(np.pi), like=y)))
    safe_x = where(small, as_expr(1, like=y), x)
    closed = divide(subtract(cos(u), y), safe_x)
    return where(small, series, closed)


def _sinc_result(dtype: np.dtype) -> np.dtype:
    """np.sinc multiplies by pi first: integers and bools become float64."""
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


sinc = unary(
    "sinc",
    """The normalized sinc function ``sin(pi x) / (pi x)``, 1 at 0 (``np.sinc``).

    >>> import symgrad as sg
    >>> float(sg.sinc(0.0).eval()), float(sg.sinc(0.5).eval()) == 2 / 3.141592653589793
    (1.0, True)
    """,
    numpy="np.sinc({0})",
    dtype=_sinc_result,
    sympy=lambda x: sympy.sinc(sympy.pi * x),
    derivative=lambda g, x, y: g * _sinc_slope(x, y),
)
