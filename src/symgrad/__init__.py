"""symgrad: a define-then-run automatic-differentiation compiler that emits NumPy code.

>>> import numpy as np, symgrad as sg
>>> x = sg.var("x", shape=(4,))
>>> y = 2 * sg.dot(x, x)
>>> f = sg.compile(y)
>>> float(f(np.arange(4.0)))
28.0
"""

from . import fft, linalg
from .check.from_sympy import from_sympy
from .check.gradcheck import GradCheckReport, check_grad
from .check.sympy_bridge import to_sympy
from .compiler import compile
from .core.expr import Expr
from .core.origins import origin_of, record_source_lines
from .differentiate.derived import hessian, hvp, jacobian
from .differentiate.forward import jvp
from .differentiate.reverse import grad, vjp
from .draw.dot import to_dot
from .draw.explore import explore
from .draw.graph import to_networkx
from .draw.render import draw
from .errors import (
    BindError,
    DisconnectedError,
    GraphFileError,
    IterationLimitError,
    NonScalarError,
    ShapeError,
)
from .executable import Executable, Stats
from .linalg import norm  # sg.norm is sg.linalg.norm
from .listing.graph import show
from .ops import array_methods as _array_methods  # noqa: F401  (x + y, x.sum(), x[1:])
from .ops import convolution as _convolution
from .ops import elementwise as _elementwise
from .ops import interpolation as _interpolation
from .ops import nan_reductions as _nan_reductions
from .ops import quantiles as _quantiles
from .ops.arrangement import (
    append,
    array_split,
    atleast_1d,
    atleast_2d,
    atleast_3d,
    column_stack,
    dsplit,
    dstack,
    flip,
    fliplr,
    flipud,
    hsplit,
    hstack,
    moveaxis,
    pad,
    repeat,
    roll,
    rollaxis,
    rot90,
    row_stack,
    split,
    take,
    take_along_axis,
    tile,
    tril,
    triu,
    vsplit,
    vstack,
)
from .ops.choose import select
from .ops.concatenators import c_, r_
from .ops.constructors import (
    arange,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    identity,
    linspace,
    ones,
    ones_like,
    zeros,
    zeros_like,
)
from .ops.contractions import diag, diagonal, einsum, inner, kron, tensordot, trace
from .ops.control import cond, fori_loop, scan, while_loop
from .ops.convolution import *  # convolve, correlate
from .ops.cross_product import cross
from .ops.differences import diff, gradient

# The elementwise functions (sg.sin, sg.add, sg.where...), as each table module lists them.
from .ops.elementwise.arithmetic import *
from .ops.elementwise.comparisons import *
from .ops.elementwise.complex_parts import *
from .ops.elementwise.selection import *
from .ops.elementwise.special import *
from .ops.elementwise.unary_functions import *
from .ops.interpolation import *  # interp, searchsorted
from .ops.leaves import const, var
from .ops.linalg import dot, matmul, outer
from .ops.nan_reductions import *  # nansum, nanmean... (the reductions that skip nan)
from .ops.quantiles import *  # median, quantile, percentile and their nan-skipping forms
from .ops.reductions import (
    argmax,
    argmin,
    average,
    cumprod,
    cumsum,
    logsumexp,
    max,
    mean,
    min,
    prod,
    ptp,
    softmax,
    std,
    sum,
)
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
from .ops.sorting import argpartition, argsort, partition, sort
from .ops.truth import all, any
from .serialize import load_graph, save_graph

__version__ = "0.1.0"

__all__ = [
    "BindError",
    "DisconnectedError",
    "Executable",
    "Expr",
    "GradCheckReport",
    "GraphFileError",
    "IterationLimitError",
    "NonScalarError",
    "ShapeError",
    "Stats",
    "all",
    "any",
    "append",
    "arange",
    "argmax",
    "argmin",
    "argpartition",
    "argsort",
    "array_split",
    "astype",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "average",
    "broadcast_to",
    "c_",
    "check_grad",
    "column_stack",
    "compile",
    "concatenate",
    "cond",
    "const",
    "cross",
    "cumprod",
    "cumsum",
    "diag",
    "diagonal",
    "diff",
    "dot",
    "draw",
    "dsplit",
    "dstack",
    "einsum",
    "empty",
    "empty_like",
    "expand_dims",
    "explore",
    "eye",
    "flip",
    "fliplr",
    "flipud",
    "fori_loop",
    "from_sympy",
    "full",
    "full_like",
    "grad",
    "gradient",
    "hessian",
    "hsplit",
    "hstack",
    "hvp",
    "identity",
    "inner",
    "jacobian",
    "jvp",
    "kron",
    "fft",
    "linalg",
    "linspace",
    "load_graph",
    "logsumexp",
    "matmul",
    "max",
    "mean",
    "min",
    "moveaxis",
    "norm",
    "origin_of",
    "ones",
    "ones_like",
    "outer",
    "pad",
    "partition",
    "prod",
    "ptp",
    "record_source_lines",
    "r_",
    "repeat",
    "reshape",
    "roll",
    "rollaxis",
    "rot90",
    "row_stack",
    "save_graph",
    "scan",
    "show",
    "select",
    "softmax",
    "sort",
    "split",
    "squeeze",
    "stack",
    "std",
    "sum",
    "swapaxes",
    "take",
    "take_along_axis",
    "tensordot",
    "tile",
    "to_dot",
    "to_networkx",
    "to_sympy",
    "trace",
    "transpose",
    "tril",
    "triu",
    "var",
    "vjp",
    "vsplit",
    "vstack",
    "while_loop",
    "zeros",
    "zeros_like",
]
__all__ += _elementwise.__all__
__all__ += _nan_reductions.__all__
__all__ += _quantiles.__all__
__all__ += _convolution.__all__
__all__ += _interpolation.__all__

# NumPy's functions on expressions build graphs (np.sin(x)); the namespace it reads must be
# complete, so this comes last.
from .numpy import _dispatch as _numpy_dispatch  # noqa: E402, F401
