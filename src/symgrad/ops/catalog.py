"""Lists of ops, derived from the op registry (``Op.registry``) so that none is kept by hand.

Modules that need to know every op of some kind ask here: the scalar emitter (the NumPy
versions of the ``math`` functions float forms call), ``from_sympy`` (the SymPy functions
ops translate to), the namer (the names emitted helpers define) and the command line (the
functions a user may call).

>>> from symgrad.ops import catalog
>>> catalog.elementwise_functions()["sin"].__name__
'sin'
>>> catalog.math_fallbacks()["log2"]
'np.log2'
"""

from __future__ import annotations

import ast
import builtins
import functools
import importlib
import pkgutil
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core.lazy import lazy_module
from . import elementwise
from .base import Op, as_helper
from .elementwise.table import Elementwise, SympyFunction, numpy_name

if TYPE_CHECKING:
    import sympy
else:
    sympy = lazy_module("sympy")

_MATH_CALL = re.compile(r"\bmath\.([A-Za-z_][A-Za-z0-9_]*)\(")


@functools.cache
def _import_op_modules() -> None:
    package = elementwise.__name__.rsplit(".", 1)[0]
    for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
        importlib.import_module(f"{package}.{module.name}")


def ops() -> dict[str, type[Op]]:
    """Every registered op by name, after importing every op module of the package."""
    _import_op_modules()
    return dict(Op.registry)


def elementwise_functions() -> dict[str, Callable[..., Any]]:
    """The public function of every elementwise op, by the op's name (``"sin"``: ``sg.sin``).

    These take arrays, numbers or expressions; unary ones one argument, binary ones two.
    """
    return {
        name: cls.function
        for name, cls in sorted(ops().items())
        if issubclass(cls, Elementwise) and "function" in cls.__dict__
    }


def float_forms() -> dict[str, str]:
    """The float form of every op that has one, by op name."""
    return {name: cls.float_form for name, cls in sorted(ops().items()) if cls.float_form}


def math_fallbacks() -> dict[str, str]:
    """Each ``math`` function some float form calls, with the NumPy expression that computes
    it giving inf and nan where ``math`` raises.

    A function is paired with the ufunc of the op whose float form is just that call
    (``math.log2({0})`` with ``np.log2``); a function no op pairs is its own fallback, which
    is right only for functions that never raise (a test holds every such one to that).
    """
    _import_op_modules()
    return dict(_math_fallbacks(len(Op.registry)))


@functools.lru_cache(maxsize=4)
def _math_fallbacks(registered: int) -> tuple[tuple[str, str], ...]:
    """``math_fallbacks`` for the registry holding ``registered`` ops (ops are only ever
    added, so the count tells whether the answer can change)."""
    used: set[str] = set()
    paired: dict[str, str] = {}
    for name, cls in ops().items():
        form = cls.float_form
        if not form:
            continue
        called = _MATH_CALL.findall(form)
        used.update(called)
        numpy = getattr(cls, "numpy", None)
        if (
            len(called) == 1
            and isinstance(numpy, np.ufunc)
            and re.fullmatch(rf"math\.{called[0]}\(\{{0\}}(, \{{1\}})?\)", form)
        ):
            paired[called[0]] = f"np.{numpy_name(name, numpy)}"
    return tuple((f, paired.get(f, f"math.{f}")) for f in sorted(used))


def sympy_functions() -> dict[Any, Callable[..., Any]]:
    """SymPy function classes (``sympy.sin``, ``sympy.StrictLessThan``...) with the public
    function of the elementwise op that translates to exactly that function, for reading
    SymPy expressions back. Undefined functions (``round``) are keyed by their name."""
    table: dict[Any, Callable[..., Any]] = {}
    for cls in ops().values():
        if not issubclass(cls, Elementwise) or "function" not in cls.__dict__:
            continue
        target = cls.sympy_function
        if isinstance(target, SympyFunction):
            target = target.resolve()
        if isinstance(target, sympy.core.function.UndefinedFunction):
            table[target.__name__] = cls.function
        elif isinstance(target, type) and issubclass(target, sympy.Basic):
            table[target] = cls.function
    return table


def builtins_called() -> set[str]:
    """The builtins ops' emission forms call (``abs`` in the float form ``abs({0})``): the
    float forms, and the NumPy templates and written forms of elementwise ops."""
    names: set[str] = set()
    for cls in ops().values():
        for form in (cls.float_form, getattr(cls, "written", None), getattr(cls, "numpy", None)):
            if isinstance(form, str):
                filled = form.format(*(f"_{i}" for i in range(3)))
                tree = ast.parse(filled, mode="eval")
                names.update(n.id for n in ast.walk(tree) if isinstance(n, ast.Name))
    return names & set(dir(builtins))


def helper_names() -> set[str]:
    """The names emitted modules may define for ops' helpers (``_softmax``...), and the
    modules those helpers import: emitted code must not use them for anything else.
    Helpers an op declares per instance (a property) are not listed."""
    names: set[str] = set()
    for cls in ops().values():
        helpers = cls.__dict__.get("helpers")
        if isinstance(helpers, dict):
            for name, helper in helpers.items():
                names.add(name)
                names.update(as_helper(helper).imports)
    return names
