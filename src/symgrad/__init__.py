"""symgrad: a define-then-run automatic-differentiation compiler that emits NumPy code.

>>> import numpy as np, symgrad as sg
>>> x = sg.var("x", shape=(4,))
>>> y = 2 * sg.dot(x, x)
>>> f = sg.compile(y)
>>> float(f(np.arange(4.0)))
28.0
"""

from .check.from_sympy import from_sympy
from .check.gradcheck import GradCheckReport, check_grad
from .check.sympy_bridge import to_sympy
from .compiler import compile
from .core.expr import Expr
from .differentiate.derived import hessian, hvp, jacobian
from .differentiate.forward import jvp
from .differentiate.reverse import grad, vjp
from .draw.dot import to_dot
from .draw.graph import to_networkx
from .draw.render import draw
from .errors import (
    BindError,
    DisconnectedError,
    GraphFileError,
    NonScalarError,
    ShapeError,
)
from .executable import Executable, Stats
from .ops.elementwise import (
    abs,
    add,
    arccos,
    arcsin,
    arctan,
    clip,
    cos,
    cosh,
    detach,
    divide,
    eq,
    equal,
    exp,
    expm1,
    greater,
    greater_equal,
    less,
    less_equal,
    log,
    log1p,
    maximum,
    minimum,
    multiply,
    ne,
    negative,
    not_equal,
    power,
    relu,
    sigmoid,
    sign,
    sin,
    sinh,
    softplus,
    sqrt,
    square,
    stop_gradient,
    subtract,
    tan,
    tanh,
    where,
)
from .ops.leaves import const, var
from .ops.linalg import dot, matmul, outer
from .ops.reductions import logsumexp, max, mean, min, norm, prod, softmax, sum
from .ops.shape_ops import (
    astype,
    broadcast_to,
    concatenate,
    expand_dims,
    reshape,
    squeeze,
    stack,
    swapaxes,
    transpose,
)
from .serialize import load_graph, save_graph

__version__ = "0.1.0"

__all__ = [
    "GraphFileError",
    "load_graph",
    "save_graph",
    "draw",
    "to_dot",
    "to_networkx",
    "BindError",
    "DisconnectedError",
    "Executable",
    "Expr",
    "GradCheckReport",
    "NonScalarError",
    "ShapeError",
    "Stats",
    "abs",
    "add",
    "arccos",
    "arcsin",
    "arctan",
    "astype",
    "broadcast_to",
    "check_grad",
    "clip",
    "compile",
    "concatenate",
    "const",
    "cos",
    "cosh",
    "detach",
    "divide",
    "dot",
    "eq",
    "equal",
    "exp",
    "expand_dims",
    "expm1",
    "from_sympy",
    "grad",
    "greater",
    "greater_equal",
    "hessian",
    "hvp",
    "jacobian",
    "jvp",
    "less",
    "less_equal",
    "log",
    "log1p",
    "logsumexp",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "multiply",
    "ne",
    "negative",
    "norm",
    "not_equal",
    "outer",
    "power",
    "prod",
    "relu",
    "reshape",
    "sigmoid",
    "sign",
    "sin",
    "sinh",
    "softmax",
    "softplus",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "stop_gradient",
    "subtract",
    "sum",
    "swapaxes",
    "tan",
    "tanh",
    "to_sympy",
    "transpose",
    "var",
    "vjp",
    "where",
]
