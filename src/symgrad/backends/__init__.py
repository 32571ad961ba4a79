"""Support for backends other than NumPy.

Each module here is imported only by the backend that needs it: importing symgrad never
imports an optional dependency such as Numba.
"""
