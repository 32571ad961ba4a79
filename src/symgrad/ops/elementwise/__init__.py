"""Elementwise ops: unary functions, arithmetic, comparisons, ``where``, ``clip``, maximum and
minimum.

Most are rows of a table (``table.py`` explains the fields): the row's data gives the
shape and dtype rule, the NumPy and Python-float emissions, both derivative rules and the
SymPy translation. Classes remain only where an op needs code of its own: the arithmetic
operators (cheaper derivative rules, powers written as products) and the three-input
``where`` and ``clip``.

The modules, by concept:

* ``table``: the row machinery and the dtype rules;
* ``unary_functions``: the unary functions; ``special``: those needing more than a row (``sinc``,
  ``erf``, ``erfc``);
* ``arithmetic``: ``+ - * / **`` and the other binary functions;
* ``comparisons``: ``< <= > >= == !=``; ``selection``: ``where``, ``clip``, ``maximum``,
  ``minimum``;
* ``broadcasting``: batch axes and broadcasting of derivatives, shared by the rules.
"""

from __future__ import annotations

from . import arithmetic, comparisons, complex_parts, selection, special, unary_functions
from .arithmetic import *
from .arithmetic import Add, Divide, Multiply, Power, Subtract, add_tangents
from .broadcasting import batch_of, fit, lift, lift_tangents
from .comparisons import *
from .complex_parts import *
from .selection import *
from .selection import Clip, Where, minimum
from .special import *
from .table import Binary, Elementwise, Unary, binary, function_of, unary
from .unary_functions import *
from .unary_functions import abs, exp, log, log1p, negative, rounded, sigmoid, stop_gradient

# The classes of rows that rewrite passes match nodes against.
Negative = negative.op_class
Exp = exp.op_class
Log = log.op_class
Log1p = log1p.op_class
Sigmoid = sigmoid.op_class
StopGradient = stop_gradient.op_class
Abs = abs.op_class
Minimum = minimum.op_class

# The public functions: each table module lists its own, so a new row is exported by
# naming it there.
__all__: list[str] = []
__all__ += unary_functions.__all__
__all__ += special.__all__
__all__ += arithmetic.__all__
__all__ += comparisons.__all__
__all__ += complex_parts.__all__
__all__ += selection.__all__
