"""Safe parsing of expressions typed by users (the ``symgrad grad`` command).

The text is parsed by Python's ``ast`` and then *interpreted* node by node against a
whitelist: numbers, variable names, the operators ``+ - * / ** @``, comparisons, indexing
with constant slices, and calls to symgrad's own functions by their spec names. Nothing is
passed to ``eval``, ``exec`` or ``sympify``; any other syntax is refused with a message.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from typing import Any

import symgrad as sg

from .errors import ShapeError

MAX_LENGTH = 10_000
#: Numbers, written or computed from written ones, have magnitudes within 10**±MAX_EXPONENT
#: (or are 0): SymPy computes with exact integers, and 9**9**9 would take it hours.
MAX_EXPONENT = 300
#: Every array the expression builds has at most this many elements: SymPy checks the
#: derivative element by element.
MAX_ELEMENTS = 100_000

FUNCTIONS: dict[str, Callable[..., Any]] = {
    name: getattr(sg, name)
    for name in (
        "sin",
        "cos",
        "tan",
        "arcsin",
        "arccos",
        "arctan",
        "sinh",
        "cosh",
        "tanh",
        "exp",
        "log",
        "log1p",
        "expm1",
        "sqrt",
        "square",
        "abs",
        "sign",
        "sigmoid",
        "relu",
        "softplus",
        "maximum",
        "minimum",
        "where",
        "clip",
        "power",
        "sum",
        "mean",
        "prod",
        "max",
        "min",
        "norm",
        "logsumexp",
        "softmax",
        "dot",
        "matmul",
        "transpose",
        "outer",
        "reshape",
        "broadcast_to",
        "concatenate",
        "stack",
        "expand_dims",
        "squeeze",
        "eq",
        "ne",
        "stop_gradient",
        "detach",
    )
}
METHODS = {"sum", "mean", "max", "min", "prod", "reshape", "transpose", "squeeze", "ravel"}
CONSTANTS = {"pi": math.pi, "e": math.e}
KEYWORDS = {"axis", "keepdims", "ord"}

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.MatMult: operator.matmul,
}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


class ParseError(ValueError):
    """The expression text is not one symgrad accepts; the message says why."""


_ALLOWED = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.Call,
    ast.Name,
    ast.Constant,
    ast.List,
    ast.Tuple,
    ast.Subscript,
    ast.Slice,
    ast.Attribute,
    ast.keyword,
    ast.Load,
    ast.operator,
    ast.unaryop,
    ast.cmpop,
)


def variable_names(text: str) -> list[str]:
    """The variables in ``text`` in order of appearance, after checking that it uses only
    allowed syntax (so a hostile text is refused before anything is built)."""
    tree = _parse(text)
    names: dict[str, None] = {}
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise ParseError(f"{type(node).__name__} is not allowed in an expression")
        if isinstance(node, ast.Attribute) and node.attr != "T" and node.attr not in METHODS:
            raise ParseError(f"attribute .{node.attr} is not allowed")
        if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Name)
            and node.func.id in FUNCTIONS
            or isinstance(node.func, ast.Attribute)
            and node.func.attr in METHODS
        ):
            raise ParseError(f"unknown function {ast.unparse(node.func)[:40]!r}")
        if isinstance(node, ast.Name) and node.id not in FUNCTIONS and node.id not in CONSTANTS:
            if node.id.startswith("_"):
                raise ParseError(f"names may not start with an underscore: {node.id!r}")
            names[node.id] = None
    return list(names)


def _parse(text: str) -> ast.Expression:
    if not text.strip():
        raise ParseError("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise ParseError(f"the expression is longer than {MAX_LENGTH} characters")
    try:
        return ast.parse(text, mode="eval")
    except SyntaxError as error:
        raise ParseError(f"not a valid expression: {error.msg}") from None
    except ValueError as error:  # integers of thousands of digits
        raise ParseError(f"not a valid expression: {error}") from None
    except (RecursionError, MemoryError):
        raise ParseError("the expression is nested too deeply") from None


def parse(text: str, variables: Mapping[str, Any]) -> Any:
    """Interpret ``text`` with ``variables`` (name -> expression) and symgrad's functions.

    Raises :class:`ParseError` for text it does not accept (and for calls with the wrong
    arguments), :class:`symgrad.ShapeError` for shapes or dtypes that do not fit; both are
    ``ValueError``. Nothing in the text is run as code.

    >>> import symgrad as sg
    >>> x = sg.var("x", shape=(3,))
    >>> parse("2 * dot(x, x)", {"x": x}).shape
    ()
    """
    tree = _parse(text)
    try:
        return _Interpreter(variables).visit(tree.body)
    except RecursionError:
        raise ParseError("the expression is nested too deeply") from None
    except (ParseError, ShapeError):
        raise
    except (TypeError, ValueError, IndexError, ArithmeticError) as error:
        raise ParseError(str(error)) from None


class _Interpreter(ast.NodeVisitor):
    def __init__(self, variables: Mapping[str, Any]):
        self.variables = variables
        # The values of the numbers written and of the constants computed from them alone
        # (by id of the expression), to refuse magnitudes beyond MAX_EXPONENT up front.
        self.magnitudes: dict[int, float] = {}

    def visit(self, node: ast.AST) -> Any:
        value = super().visit(node)
        if isinstance(value, sg.Expr):
            size = value.size
            if not isinstance(size, int) or size > MAX_ELEMENTS:
                raise ParseError(
                    f"{ast.unparse(node)[:60]!r} has shape {value.shape}: at most "
                    f"{MAX_ELEMENTS} elements (and concrete sizes) are supported"
                )
        return value

    def generic_visit(self, node: ast.AST) -> Any:
        raise ParseError(
            f"{type(node).__name__} is not allowed in an expression "
            f"(at column {getattr(node, 'col_offset', 0) + 1})"
        )

    def visit_Constant(self, node: ast.Constant) -> Any:
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ParseError(f"only numbers are allowed as constants, got {node.value!r:.40}")
        value = node.value
        if not (value == 0 or 10.0**-MAX_EXPONENT <= abs(value) <= 10.0**MAX_EXPONENT):
            raise ParseError(
                f"the number {ast.unparse(node)[:40]} is out of range: magnitudes from "
                f"1e-{MAX_EXPONENT} to 1e{MAX_EXPONENT} (or 0) are supported"
            )
        return float(value)  # ints too: no unbounded integer arithmetic

    def visit_Name(self, node: ast.Name) -> Any:
        if node.id in self.variables:
            return self.variables[node.id]
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        if node.id in FUNCTIONS:
            raise ParseError(f"{node.id} is a function; call it, e.g. {node.id}(x)")
        raise ParseError(f"unknown name {node.id!r}")

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        op = _BINARY.get(type(node.op))
        if op is None:
            raise ParseError(f"the operator {type(node.op).__name__} is not allowed")
        left, right = self.visit(node.left), self.visit(node.right)
        magnitude = self._magnitude(node, left, right)
        result = self._combine(op, left, right)
        if magnitude is not None:
            self.magnitudes[id(result)] = magnitude
        return result

    def _known(self, value: Any) -> float | None:
        if isinstance(value, float):
            return value
        return self.magnitudes.get(id(value)) if isinstance(value, sg.Expr) else None

    def _magnitude(self, node: ast.BinOp, left: Any, right: Any) -> float | None:
        """The value of a constant subexpression (computed with floats, in logarithms for
        powers), or ``None`` if it reads a variable; ParseError if it is out of range."""
        a, b = self._known(left), self._known(right)
        if a is None or b is None:
            return None
        try:
            if isinstance(node.op, ast.Pow):
                exponent = 0.0 if a == 0 or b == 0 else b * math.log10(abs(a))
                value = 0.0 if abs(exponent) > MAX_EXPONENT else abs(a) ** b
            else:
                value = _BINARY[type(node.op)](a, b)
                exponent = math.log10(abs(value)) if value else 0.0
        except (ArithmeticError, ValueError, TypeError):
            return None  # 1/0 and the like: NumPy's inf or nan, SymPy's zoo
        if not math.isfinite(exponent):
            return None
        if abs(exponent) > MAX_EXPONENT:
            raise ParseError(
                f"the constant {ast.unparse(node)[:60]} is about 10**{exponent:.0f}: "
                f"magnitudes from 1e-{MAX_EXPONENT} to 1e{MAX_EXPONENT} (or 0) are supported"
            )
        return float(value)

    @staticmethod
    def _combine(op: Callable[[Any, Any], Any], a: Any, b: Any) -> Any:
        if not isinstance(a, sg.Expr) and not isinstance(b, sg.Expr):
            a = sg.const(a)  # numbers alone are computed in the graph too, never in Python
        return op(a, b)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Any:
        value = self.visit(node.operand)
        if isinstance(node.op, ast.USub):
            known, result = self._known(value), -value
            if known is not None:
                self.magnitudes[id(result)] = -known
            return result
        if isinstance(node.op, ast.UAdd):
            return value
        raise ParseError(f"the operator {type(node.op).__name__} is not allowed")

    def visit_Compare(self, node: ast.Compare) -> Any:
        if len(node.ops) != 1 or type(node.ops[0]) not in _COMPARE:
            raise ParseError("only single comparisons with < <= > >= are allowed")
        return self._combine(
            _COMPARE[type(node.ops[0])], self.visit(node.left), self.visit(node.comparators[0])
        )

    def visit_List(self, node: ast.List) -> Any:
        return [self.visit(e) for e in node.elts]

    def visit_Tuple(self, node: ast.Tuple) -> Any:
        return tuple(self.visit(e) for e in node.elts)

    def visit_Call(self, node: ast.Call) -> Any:
        kwargs = {}
        for keyword in node.keywords:
            if keyword.arg not in KEYWORDS:
                raise ParseError(f"keyword {keyword.arg!r} is not allowed")
            kwargs[keyword.arg] = self._static(keyword.value)
        if isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS:
            args = [self._argument(a) for a in node.args]
            return FUNCTIONS[node.func.id](*args, **kwargs)
        if isinstance(node.func, ast.Attribute) and node.func.attr in METHODS:
            target = self.visit(node.func.value)
            if not isinstance(target, sg.Expr):
                raise ParseError(f".{node.func.attr}() needs an expression")
            args = [self._static(a) for a in node.args]
            return getattr(target, node.func.attr)(*args, **kwargs)
        raise ParseError(f"unknown function {ast.unparse(node.func)[:40]!r}")

    def visit_Attribute(self, node: ast.Attribute) -> Any:
        if node.attr == "T":
            return self.visit(node.value).T
        raise ParseError(f"attribute .{node.attr} is not allowed")

    def visit_Subscript(self, node: ast.Subscript) -> Any:
        target = self.visit(node.value)
        if not isinstance(target, sg.Expr):
            raise ParseError("only expressions can be indexed")
        return target[self._index(node.slice)]

    def _argument(self, node: ast.AST) -> Any:
        if isinstance(node, (ast.List, ast.Tuple)):
            return [self._argument(e) for e in node.elts]
        if isinstance(node, ast.Constant) and type(node.value) is int and abs(node.value) < 2**31:
            return node.value  # an axis or a size, or a number NumPy types weakly
        return self.visit(node)

    def _static(self, node: ast.AST) -> Any:
        """A literal argument (axis, shape): ints, tuples of ints, None or True/False."""
        if isinstance(node, ast.Constant) and (
            node.value is None or isinstance(node.value, (bool, int, str))
        ):
            return node.value
        if (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant)
            and isinstance(node.operand.value, int)
        ):
            return -node.operand.value
        if isinstance(node, (ast.Tuple, ast.List)):
            return tuple(self._static(e) for e in node.elts)
        raise ParseError("this argument must be a literal int, tuple of ints, True or False")

    def _index(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Tuple):
            return tuple(self._index(e) for e in node.elts)
        if isinstance(node, ast.Slice):
            parts = [
                None if p is None else self._static(p) for p in (node.lower, node.upper, node.step)
            ]
            return slice(*parts)
        if isinstance(node, ast.Constant) and node.value is Ellipsis:
            return Ellipsis
        value = self._static(node)
        if value is not None and not isinstance(value, int):
            raise ParseError("indices must be integers or slices")
        return value
