"""Elementwise ops: unary functions, arithmetic, comparisons, ``where``, ``clip``, maximum and
minimum.

Most are rows of a table (``table.py`` explains the fields): the row's data gives the
shape and dtype rule, the NumPy and Python-float emissions, both derivative rules and the
SymPy translation. Classes remain only where an op needs code of its own: the arithmetic
operators (cheaper derivative rules, powers written as products) and the three-input
``where`` and ``clip``.

The modules, by concept:

* ``table``: the row machinery and the dtype rules;
* ``unary``: the unary functions; ``special``: those needing more than a row (``sinc``,
  ``erf``, ``erfc``);
* ``arithmetic``: ``+ - * / **`` and the other binary functions;
* ``comparisons``: ``< <= > >= == !=``; ``selection``: ``where``, ``clip``, ``maximum``,
  ``minimum``;
* ``broadcasting``: batch axes and broadcasting of derivatives, shared by the rules.
"""

from __future__ import annotations

from .arithmetic import (
    Add,
    Divide,
    Multiply,
    Power,
    Subtract,
    add,
    add_tangents,
    arctan2,
    divide,
    fmod,
    hypot,
    logaddexp,
    logaddexp2,
    mod,
    multiply,
    power,
    subtract,
)
from .broadcasting import batch_of, fit, lift, lift_tangents
from .comparisons import (
    eq,
    equal,
    greater,
    greater_equal,
    less,
    less_equal,
    ne,
    not_equal,
)
from .selection import Clip, Where, clip, maximum, minimum, where
from .special import erf, erfc, sinc
from .table import Binary, Elementwise, Unary, binary, function_of, unary
from .unary import (
    abs,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctanh,
    ceil,
    cos,
    cosh,
    deg2rad,
    detach,
    exp,
    exp2,
    expm1,
    floor,
    log,
    log1p,
    log2,
    log10,
    negative,
    rad2deg,
    relu,
    round,
    sigmoid,
    sign,
    sin,
    sinh,
    softplus,
    sqrt,
    square,
    stop_gradient,
    tan,
    tanh,
)

# The classes of rows that rewrite passes match nodes against.
Negative = negative.op_class
Exp = exp.op_class
Log = log.op_class
Log1p = log1p.op_class
Sigmoid = sigmoid.op_class
StopGradient = stop_gradient.op_class
