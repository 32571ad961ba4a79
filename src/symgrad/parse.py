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

MAX_LENGTH = 10_000

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
    except (RecursionError, MemoryError, ValueError):
        raise ParseError("the expression is nested too deeply") from None


def parse(text: str, variables: Mapping[str, Any]) -> Any:
    """Interpret ``text`` with ``variables`` (name -> expression) and symgrad's functions."""
    tree = _parse(text)
    try:
        return _Interpreter(variables).visit(tree.body)
    except RecursionError:
        raise ParseError("the expression is nested too deeply") from None


class _Interpreter(ast.NodeVisitor):
    def __init__(self, variables: Mapping[str, Any]):
        self.variables = variables

    def generic_visit(self, node: ast.AST) -> Any:
        raise ParseError(
            f"{type(node).__name__} is not allowed in an expression "
            f"(at column {getattr(node, 'col_offset', 0) + 1})"
        )

    def visit_Constant(self, node: ast.Constant) -> Any:
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ParseError(f"only numbers are allowed as constants, got {node.value!r:.40}")
        return float(node.value)  # ints too: no unbounded integer arithmetic

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
        return self._combine(op, self.visit(node.left), self.visit(node.right))

    @staticmethod
    def _combine(op: Callable[[Any, Any], Any], a: Any, b: Any) -> Any:
        if not isinstance(a, sg.Expr) and not isinstance(b, sg.Expr):
            a = sg.const(a)  # numbers alone are computed in the graph too, never in Python
        return op(a, b)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Any:
        value = self.visit(node.operand)
        if isinstance(node.op, ast.USub):
            return -value
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
