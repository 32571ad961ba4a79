"""Safe parsing of expressions typed by users (the ``symgrad`` command).

The text is parsed by Python's ``ast`` and then *interpreted* node by node against a
whitelist: numbers, strings, variable names, the operators ``+ - * / ** @ %``, comparisons,
indexing with constant slices, and calls to symgrad's own public functions and ``Expr``
methods. Nothing is passed to ``eval``, ``exec`` or ``sympify``; any other syntax is refused
with a message that says what is wrong and, for a near miss, what was probably meant.

The function table is derived from the public API (``symgrad.__all__``, ``symgrad.linalg``
and the methods of ``Expr``), so a new function is parseable as soon as it is public. Public
callables that make no sense inside an expression are listed in :data:`EXCLUDED`, each with
the reason; a test checks that every public callable is in exactly one of the two.
"""

from __future__ import annotations

import ast
import difflib
import inspect
import math
import operator
from collections.abc import Callable, Mapping
from typing import Any

import symgrad as sg

from .errors import ShapeError

#: Numbers, written or computed from written ones, have magnitudes within 10**±MAX_EXPONENT
#: (or are 0): SymPy computes with exact integers, and 9**9**9 would take it hours.
MAX_EXPONENT = 300
#: Every array of known size the expression builds has at most this many elements, so a
#: typo cannot ask for gigabytes. (SymPy, which works element by element, gets far smaller
#: graphs only: see ``symgrad.commands.derivatives``.)
MAX_ELEMENTS = 10_000_000

MAX_LENGTH = 10_000
MAX_STRING = 200

#: Public callables of ``symgrad`` (and ``symgrad.linalg``, as ``linalg.NAME``) that an
#: expression cannot call, with the reason a user is told.
EXCLUDED: dict[str, str] = {
    "compile": "the commands compile the expression for you",
    "grad": "derivatives are what the commands compute: symgrad grad, hessian, jacobian",
    "vjp": "derivatives are what the commands compute: symgrad grad, hessian, jacobian",
    "jvp": "derivatives are what the commands compute: symgrad grad, hessian, jacobian",
    "jacobian": "use the command: symgrad jacobian",
    "hessian": "use the command: symgrad hessian",
    "hvp": "derivatives are what the commands compute: symgrad grad, hessian, jacobian",
    "cond": "it takes Python functions, which an expression cannot define; use where(c, a, b)",
    "while_loop": "it takes Python functions, which an expression cannot define",
    "fori_loop": "it takes Python functions, which an expression cannot define",
    "scan": "it takes Python functions, which an expression cannot define",
    "var": "variables are declared with --var NAME=SHAPE and --at NAME=VALUE",
    "const": "write numbers as literals",
    "check_grad": "use the command: symgrad check",
    "draw": "use the command: symgrad draw",
    "to_dot": "use the command: symgrad draw with a .dot file",
    "to_networkx": "it returns a networkx graph, not an expression",
    "to_sympy": "symgrad grad prints the SymPy form",
    "from_sympy": "it reads SymPy objects, not text",
    "show": "use the command: symgrad show",
    "explore": "use the command: symgrad explore",
    "origin_of": "it returns a file and a line, not an expression",
    "record_source_lines": "it is a with-block for Python code",
    "load_graph": "it reads files",
    "save_graph": "it writes files",
}

#: Public ``Expr`` methods an expression cannot call, with the reason.
EXCLUDED_METHODS: dict[str, str] = {
    "eval": "the commands evaluate the expression at --at for you",
}

#: Prefixes people write from habit; the message says to drop them.
MODULE_PREFIXES = ("np", "numpy", "jnp", "jax", "torch", "math", "sg", "symgrad", "tf")

CONSTANTS = {"pi": math.pi, "e": math.e, "inf": math.inf}

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.MatMult: operator.matmul,
    ast.Mod: operator.mod,
}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,  # elementwise on expressions, as in NumPy
    ast.NotEq: operator.ne,
}


class ParseError(ValueError):
    """The expression text is not one symgrad accepts; the message says why."""


def _is_function(obj: Any) -> bool:
    return callable(obj) and not isinstance(obj, type)


def _build_functions() -> dict[str, Callable[..., Any]]:
    table = {
        name: getattr(sg, name)
        for name in sg.__all__
        if _is_function(getattr(sg, name)) and name not in EXCLUDED
    }
    for name in sg.linalg.__all__:
        function = getattr(sg.linalg, name)
        if _is_function(function) and f"linalg.{name}" not in EXCLUDED:
            table[f"linalg.{name}"] = function
            table.setdefault(name, function)  # det(A) as well as linalg.det(A)
    return table


def _build_methods() -> dict[str, Any]:
    return {
        name: member
        for name, member in vars(sg.Expr).items()
        if not name.startswith("_") and inspect.isfunction(member) and name not in EXCLUDED_METHODS
    }


#: Every function an expression may call, by the name it is written with.
FUNCTIONS: dict[str, Callable[..., Any]] = _build_functions()
#: Every ``Expr`` method an expression may call (``x.sum(axis=0)``).
METHODS: dict[str, Any] = _build_methods()
#: Attributes that are not calls.
ATTRIBUTES = {"T"}


def _keywords(function: Any) -> frozenset[str]:
    """The keyword arguments ``function`` takes (from its signature)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return frozenset()
    return frozenset(
        p.name
        for p in parameters
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and not p.name.startswith("_")
    )


def _suggest(name: str, candidates: Any) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6)
    return f"; did you mean {' or '.join(close)}?" if close else ""


def _dotted(node: ast.AST) -> str | None:
    """``np.linalg.det`` for a chain of attribute accesses on a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _prefix_hint(dotted: str) -> str | None:
    """For ``np.sin``: the message telling to write ``sin``."""
    root, _, rest = dotted.partition(".")
    if root not in MODULE_PREFIXES or not rest:
        return None
    if rest.startswith("numpy."):  # jax.numpy.sin
        rest = rest[len("numpy.") :]
    if rest in FUNCTIONS:
        return f"{dotted} is written {rest} here: drop the '{root}.' prefix"
    return f"unknown function {dotted!r}: drop the '{root}.' prefix{_suggest(rest, FUNCTIONS)}"


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


def _called_names(tree: ast.AST) -> set[int]:
    """Ids of the Name and Attribute nodes that are the function of a call."""
    called: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            called.add(id(node.func))
            owner = node.func.value if isinstance(node.func, ast.Attribute) else None
            if isinstance(owner, ast.Name) and owner.id in ("linalg", *MODULE_PREFIXES):
                called.add(id(owner))  # linalg in linalg.det(...): a module, not a variable
    return called


def variable_names(text: str) -> list[str]:
    """The variables in ``text`` in the order they first appear, after checking that it uses
    only allowed syntax (so a hostile text is refused before anything is built)."""
    tree = _parse(text)
    called = _called_names(tree)
    found: dict[str, tuple[int, int]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise ParseError(f"{_describe_syntax(node)} is not allowed in an expression")
        if isinstance(node, ast.Call):
            _check_callee(node)
        elif isinstance(node, ast.Attribute) and id(node) not in called:
            dotted = _dotted(node)
            hint = dotted and _prefix_hint(dotted)
            if hint:
                raise ParseError(hint)
            if node.attr not in ATTRIBUTES:
                raise ParseError(
                    f"attribute .{node.attr} is not allowed{_suggest(node.attr, ATTRIBUTES)}"
                )
        elif isinstance(node, ast.Name) and id(node) not in called:
            if node.id in CONSTANTS or node.id in MODULE_PREFIXES:
                continue
            if node.id.startswith("_"):
                raise ParseError(f"names may not start with an underscore: {node.id!r}")
            position = (node.lineno, node.col_offset)
            found[node.id] = min(found.get(node.id, position), position)
    return sorted(found, key=found.__getitem__)


def _describe_syntax(node: ast.AST) -> str:
    kinds = {
        ast.Lambda: "a lambda",
        ast.IfExp: "an if-expression (use where(cond, a, b))",
        ast.BoolOp: "'and'/'or' (use comparisons and where)",
        ast.ListComp: "a comprehension",
        ast.GeneratorExp: "a comprehension",
        ast.NamedExpr: "':='",
        ast.JoinedStr: "an f-string",
        ast.Starred: "'*' unpacking",
        ast.Dict: "a dict",
        ast.Set: "a set",
    }
    return kinds.get(type(node), type(node).__name__)


def _check_callee(node: ast.Call) -> None:
    func = node.func
    if isinstance(func, ast.Name):
        if func.id in FUNCTIONS:
            return
        if func.id in EXCLUDED:
            raise ParseError(f"{func.id}() cannot be used in an expression: {EXCLUDED[func.id]}")
        raise ParseError(f"unknown function {func.id[:40]!r}{_suggest(func.id, FUNCTIONS)}")
    if isinstance(func, ast.Attribute):
        dotted = _dotted(func)
        if dotted is not None and dotted in FUNCTIONS:
            return  # linalg.det
        if dotted is not None:
            hint = _prefix_hint(dotted)
            if hint:
                raise ParseError(hint)
            if dotted.startswith("linalg."):
                name = dotted[len("linalg.") :]
                linalg = [n for n in FUNCTIONS if n.startswith("linalg.")]
                raise ParseError(
                    f"unknown function {dotted[:40]!r}{_suggest('linalg.' + name, linalg)}"
                )
        if func.attr in METHODS:
            return
        if func.attr in EXCLUDED_METHODS:
            raise ParseError(
                f".{func.attr}() cannot be used in an expression: {EXCLUDED_METHODS[func.attr]}"
            )
        raise ParseError(f"unknown method .{func.attr[:40]}(){_suggest(func.attr, METHODS)}")
    raise ParseError(f"cannot call {ast.unparse(func)[:40]!r}")


def _parse(text: str) -> ast.Expression:
    if not text.strip():
        raise ParseError("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise ParseError(f"the expression is longer than {MAX_LENGTH} characters")
    try:
        return ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        where = f" at column {error.offset}" if error.offset else ""
        raise ParseError(f"not a valid expression: {error.msg}{where}") from None
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
    >>> from symgrad.parse import parse
    >>> x = sg.var("x", shape=(3,))
    >>> parse("sum(sin(x) * 2)", {"x": x}).shape
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


def shape_message(error: ShapeError) -> str:
    """The message of ``error`` without its source location (which, for parsed text, is
    inside the parser rather than anywhere the user wrote)."""
    text = str(error)
    suffix = f" (at {error.location})"
    return text[: -len(suffix)] if text.endswith(suffix) else text


class _Interpreter(ast.NodeVisitor):
    def __init__(self, variables: Mapping[str, Any]):
        self.variables = variables
        # The values of the numbers written and of the constants computed from them alone
        # (by id of the expression), to refuse magnitudes beyond MAX_EXPONENT up front.
        self.magnitudes: dict[int, float] = {}

    def visit(self, node: ast.AST) -> Any:
        try:
            value = super().visit(node)
        except ShapeError as error:
            raise ParseError(
                f"{shape_message(error)}, in {ast.unparse(node)[:60]!r} "
                f"(column {getattr(node, 'col_offset', 0) + 1})"
            ) from None
        if isinstance(value, sg.Expr):
            size = value.size
            if isinstance(size, int) and size > MAX_ELEMENTS:
                raise ParseError(
                    f"{ast.unparse(node)[:60]!r} has shape {value.shape}: at most "
                    f"{MAX_ELEMENTS} elements are supported"
                )
        return value

    def generic_visit(self, node: ast.AST) -> Any:
        raise ParseError(
            f"{_describe_syntax(node)} is not allowed in an expression "
            f"(at column {getattr(node, 'col_offset', 0) + 1})"
        )

    def visit_Constant(self, node: ast.Constant) -> Any:
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float, complex)):
            raise ParseError(f"only numbers are allowed here, got {node.value!r:.40}")
        value = node.value
        if not (value == 0 or 10.0**-MAX_EXPONENT <= abs(value) <= 10.0**MAX_EXPONENT):
            raise ParseError(
                f"the number {ast.unparse(node)[:40]} is out of range: magnitudes from "
                f"1e-{MAX_EXPONENT} to 1e{MAX_EXPONENT} (or 0) are supported"
            )
        if isinstance(value, complex):  # an imaginary literal, 2j
            return value
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
            raise ParseError("only single comparisons with < <= > >= == != are allowed")
        return self._combine(
            _COMPARE[type(node.ops[0])], self.visit(node.left), self.visit(node.comparators[0])
        )

    def visit_List(self, node: ast.List) -> Any:
        return [self.visit(e) for e in node.elts]

    def visit_Tuple(self, node: ast.Tuple) -> Any:
        return tuple(self.visit(e) for e in node.elts)

    def visit_Call(self, node: ast.Call) -> Any:
        _check_callee(node)
        dotted = _dotted(node.func)
        if dotted is not None and dotted in FUNCTIONS:
            function = FUNCTIONS[dotted]
            kwargs = self._kwargs(node, function, dotted)
            return function(*[self._argument(a) for a in node.args], **kwargs)
        assert isinstance(node.func, ast.Attribute)
        target = self.visit(node.func.value)
        if not isinstance(target, sg.Expr):
            raise ParseError(f".{node.func.attr}() needs an expression before the dot")
        method = METHODS[node.func.attr]
        kwargs = self._kwargs(node, method, f".{node.func.attr}")
        return getattr(target, node.func.attr)(*[self._argument(a) for a in node.args], **kwargs)

    def _kwargs(self, node: ast.Call, function: Any, name: str) -> dict[str, Any]:
        allowed = _keywords(function)
        kwargs = {}
        for keyword in node.keywords:
            if keyword.arg is None:
                raise ParseError("'**' unpacking is not allowed")
            if keyword.arg not in allowed:
                raise ParseError(
                    f"{name}() takes no keyword {keyword.arg!r}{_suggest(keyword.arg, allowed)}"
                )
            kwargs[keyword.arg] = self._argument(keyword.value)
        return kwargs

    def visit_Attribute(self, node: ast.Attribute) -> Any:
        value = self.visit(node.value)
        if node.attr == "T" and isinstance(value, sg.Expr):
            return value.T
        fields = getattr(type(value), "_fields", ())
        if node.attr in fields:  # a named part: eigh(A).eigenvalues
            return getattr(value, node.attr)
        raise ParseError(f"attribute .{node.attr} is not allowed")

    def visit_Subscript(self, node: ast.Subscript) -> Any:
        target = self.visit(node.value)
        if isinstance(target, (list, tuple)):  # parts of split(...), slogdet(...)
            index = self._static(node.slice)
            if not isinstance(index, int) or not -len(target) <= index < len(target):
                raise ParseError(f"index {index!r} is out of range for {len(target)} results")
            return target[index]
        if not isinstance(target, sg.Expr):
            raise ParseError("only expressions can be indexed")
        return target[self._index(node.slice)]

    def _argument(self, node: ast.AST) -> Any:
        """An argument: an expression, a number, a string, None/True/False, or a list."""
        if isinstance(node, (ast.List, ast.Tuple)):
            return [self._argument(e) for e in node.elts]
        if isinstance(node, ast.Constant):
            value = node.value
            if value is None or isinstance(value, bool):
                return value
            if isinstance(value, str):
                if len(value) > MAX_STRING:
                    raise ParseError(f"a string argument is longer than {MAX_STRING} characters")
                return value
            if type(value) is int and abs(value) < 2**31:
                return value  # an axis or a size, or a number NumPy types weakly
        if (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant)
            and type(node.operand.value) is int
            and abs(node.operand.value) < 2**31
        ):
            return -node.operand.value  # axis=-1
        return self.visit(node)

    def _static(self, node: ast.AST) -> Any:
        """A literal (an index or a slice bound): ints, None, or tuples of them."""
        if isinstance(node, ast.Constant) and (node.value is None or type(node.value) is int):
            return node.value
        if (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant)
            and type(node.operand.value) is int
        ):
            return -node.operand.value
        if isinstance(node, (ast.Tuple, ast.List)):
            return tuple(self._static(e) for e in node.elts)
        raise ParseError(
            f"indices must be integer literals or slices, got {ast.unparse(node)[:40]!r}"
        )

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
        if isinstance(node, ast.List):
            return list(self._static(node))  # x[[2, 0, 2]]
        value = self._static(node)
        if value is not None and not isinstance(value, int):
            raise ParseError("indices must be integers or slices")
        return value
