"""Elementwise comparisons: bool arrays, with no derivative (nothing behind a comparison is
differentiated). One table row each."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ...core.lazy import lazy_module
from .table import binary

if TYPE_CHECKING:
    import sympy
else:
    sympy = lazy_module("sympy")

# The public functions (symgrad exports them as sg.<name>).
__all__ = ["less", "less_equal", "greater", "greater_equal", "equal", "not_equal", "eq", "ne"]

less = binary(
    "less",
    "``a < b``.",
    numpy=np.less,
    written="{0} < {1}",
    float_form="{0} < {1}",
    sympy="Lt",
    partials=None,
)
less_equal = binary(
    "less_equal",
    "``a <= b``.",
    numpy=np.less_equal,
    written="{0} <= {1}",
    float_form="{0} <= {1}",
    sympy="Le",
    partials=None,
)
greater = binary(
    "greater",
    "``a > b``.",
    numpy=np.greater,
    written="{0} > {1}",
    float_form="{0} > {1}",
    sympy="Gt",
    partials=None,
)
greater_equal = binary(
    "greater_equal",
    "``a >= b``.",
    numpy=np.greater_equal,
    written="{0} >= {1}",
    float_form="{0} >= {1}",
    sympy="Ge",
    partials=None,
)
equal = binary(
    "equal",
    "Elementwise ``a == b`` (also the ``==`` operator on expressions).",
    numpy=np.equal,
    float_form="{0} == {1}",
    sympy="Eq",
    partials=None,
    commutative=True,
)
not_equal = binary(
    "not_equal",
    "Elementwise ``a != b``.",
    numpy=np.not_equal,
    float_form="{0} != {1}",
    sympy="Ne",
    partials=None,
    commutative=True,
)
eq = equal
ne = not_equal
