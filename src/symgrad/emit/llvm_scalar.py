"""placeholder"""

from .numpy_writer import write  # noqa: F401
