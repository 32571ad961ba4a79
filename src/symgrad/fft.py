"""``sg.fft``: NumPy's ``np.fft`` transforms on expressions, with the same names and
signatures (``norm=`` ``"backward"``, ``"ortho"`` or ``"forward"``).

>>> import symgrad as sg
>>> x = sg.var("x", shape=(8,))
>>> sg.fft.rfft(x).shape, sg.fft.rfft(x).dtype
((5,), dtype('complex128'))

The op and its derivative rules are in ``ops/fourier.py``.
"""

from .ops.fourier import (
    fft,
    fft2,
    fftn,
    ifft,
    ifft2,
    ifftn,
    irfft,
    irfft2,
    irfftn,
    rfft,
    rfft2,
    rfftn,
)

__all__ = [
    "fft",
    "fft2",
    "fftn",
    "ifft",
    "ifft2",
    "ifftn",
    "irfft",
    "irfft2",
    "irfftn",
    "rfft",
    "rfft2",
    "rfftn",
]
