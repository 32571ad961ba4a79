"""``sg.linalg``: NumPy's ``np.linalg`` on expressions, with the same names, signatures and
batching over leading axes.

>>> import symgrad as sg
>>> a = sg.var("a", shape=(3, 3))
>>> sg.linalg.det(a).shape, sg.linalg.inv(a).shape
((), (3, 3))

The ops are in ``ops/decompositions.py``, ``ops/svd.py``, ``ops/qr.py``, ``ops/lstsq.py``
and ``ops/eig.py``; ``norm`` and ``matrix_power`` are built from them in
``ops/matrix_functions.py``.
"""

from .ops.decompositions import (
    EighResult,
    SlogdetResult,
    cholesky,
    det,
    eigh,
    eigvalsh,
    inv,
    slogdet,
    solve,
)
from .ops.eig import EigResult, eig, eigvals
from .ops.lstsq import LstsqResult, lstsq
from .ops.matrix_functions import matrix_power, norm
from .ops.qr import QRResult, qr
from .ops.svd import SVDResult, pinv, svd, svdvals

__all__ = [
    "EigResult",
    "EighResult",
    "LstsqResult",
    "QRResult",
    "SVDResult",
    "SlogdetResult",
    "cholesky",
    "det",
    "eig",
    "eigh",
    "eigvals",
    "eigvalsh",
    "inv",
    "lstsq",
    "matrix_power",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
]
