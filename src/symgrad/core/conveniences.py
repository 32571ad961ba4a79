"""Conveniences that layers above provide to the objects of layers below.

``Expr.eval`` compiles, ``Expr._repr_svg_`` draws and ``np.sin(expr)`` dispatches to
``symgrad.numpy``, yet these sit above the core; the Jupyter pages of compiled functions
and of gradient checks are written by ``symgrad.listing``, above both. Each layer
registers its function here when it is imported (``import symgrad`` imports them all), so
imports point one way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .expr import Expr


def _missing(layer: str) -> Callable[..., Any]:
    def missing(*args: Any) -> Any:
        raise RuntimeError(f"this needs symgrad.{layer}: import symgrad first")

    return missing


#: Compile ``expr`` and run it on ``bindings`` (set by ``symgrad.compiler``).
evaluate: Callable[[Expr, Mapping[Any, Any]], Any] = _missing("compiler")
#: The SVG picture of ``expr``'s graph (set by ``symgrad.draw``).
picture: Callable[[Expr], str] = _missing("draw")
#: NumPy's ufunc protocol on expressions (set by ``symgrad.numpy``).
array_ufunc: Callable[[Any, str, Any, dict[str, Any]], Any] = _missing("numpy")
#: NumPy's function protocol on expressions (set by ``symgrad.numpy``).
array_function: Callable[[Any, Any, Any, Any], Any] = _missing("numpy")
#: The Jupyter page of an ``Executable`` (set by ``symgrad.listing``).
executable_html: Callable[[Any], str] = _missing("listing")
#: The Jupyter table of a ``check_grad`` report (set by ``symgrad.listing``).
report_html: Callable[[Any], str] = _missing("listing")
