"""The ``symgrad`` command: ``symgrad demo`` and ``symgrad grad EXPR``."""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Sequence
from typing import IO

import numpy as np

from . import demo


class UsageError(ValueError):
    """A command-line argument is malformed; the message says which and how."""


def _parse_assignment(text: str, option: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise UsageError(f"{option} expects NAME=VALUE, got {text!r}")
    return name.strip(), value.strip()


def _parse_shape(text: str, name: str) -> tuple[int | str, ...]:
    text = text.strip().strip("()[]")
    if not text:
        return ()
    dims: list[int | str] = []
    for piece in text.split(","):
        piece = piece.strip()
        if piece.isdigit():
            dims.append(int(piece))
        elif piece.isidentifier():
            dims.append(piece)
        elif piece:
            raise UsageError(f"--var {name}: {piece!r} is not a size or a dimension name")
    return tuple(dims)


def _parse_value(text: str, name: str) -> np.ndarray:
    try:
        value = ast.literal_eval(text)  # literals only: numbers and nested lists
    except (ValueError, SyntaxError, RecursionError, MemoryError):
        raise UsageError(
            f"--at {name}: {text[:40]!r} is not a number or a list of numbers"
        ) from None
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise UsageError(
            f"--at {name}: {text[:40]!r} is not a number or a list of numbers"
        ) from None
    return array


def _show(array: object, precision: int) -> str:
    """An array on one line."""
    return np.array2string(
        np.asarray(array), precision=precision, separator=", ", max_line_width=10**6
    )


def grad_command(args: argparse.Namespace, out: IO[str]) -> int:
    import sympy

    import symgrad as sg

    from .check.sympy_bridge import real_symbols, variable_symbols
    from .parse import parse, variable_names

    shapes = dict(_parse_assignment(v, "--var") for v in args.var)
    values = {
        n: _parse_value(v, n) for n, v in map(lambda t: _parse_assignment(t, "--at"), args.at)
    }
    names = variable_names(args.expression)
    for extra in set(shapes) | set(values):
        if extra not in names:
            raise UsageError(f"{extra!r} does not appear in the expression")
    variables = {}
    for name in names:
        if name not in values:
            raise UsageError(f"no value for {name!r}: pass --at {name}=VALUE")
        shape = _parse_shape(shapes[name], name) if name in shapes else values[name].shape
        variables[name] = sg.var(name, shape=shape)
    y = parse(args.expression, variables)
    if not isinstance(y, sg.Expr):
        y = sg.const(y)
    if y.ndim != 0:
        raise UsageError(
            f"the expression has shape {y.shape}; differentiate a scalar, e.g. "
            f"sum({args.expression})"
        )
    wrt_names = args.wrt or names
    for name in wrt_names:
        if name not in variables:
            raise UsageError(f"--wrt {name}: not a variable of the expression")
    wrt = [variables[n] for n in wrt_names]
    inputs = list(variables.values())
    arrays = [values[n] for n in variables]
    gradients = sg.grad(y, wrt)
    f = sg.compile([y, gradients], inputs=inputs)
    value, results = f(*arrays)

    expression = sg.to_sympy(y, real=True)  # real symbols: readable derivatives of abs...
    out.write(f"y = {sympy.sstr(expression)}\n")
    for name, a in zip(variables, arrays):
        out.write(f"  at {name} = {_show(a, 6)}\n")
    out.write(f"value: {_show(value, 8)}\n")
    for x, g in zip(wrt, results):
        out.write(f"\ndy/d{x.name} (symgrad): {_show(g, 8)}\n")
        symbols = variable_symbols(x)
        formula = [sympy.sstr(sympy.diff(expression, real_symbols(s))) for s in symbols.ravel()]
        shown = formula[0] if x.ndim == 0 else "[" + ", ".join(formula) + "]"
        out.write(f"dy/d{x.name} (SymPy):   {shown[:2000]}\n")
    report = sg.check_grad(y, wrt, dict(zip(variables.values(), arrays)))
    out.write(f"\ncheck against SymPy and finite differences:\n{report}\n")
    if args.emit:
        out.write(f"\n# generated NumPy source\n{f.source}")
    if args.draw:
        out.write(f"\nwrote {sg.draw(gradients, args.draw, show_pruned=True)}\n")
    return 0 if report.ok or not args.check else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="symgrad", description="A define-then-run autodiff compiler that emits NumPy code."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="run the classic examples and check each")
    g = commands.add_parser(
        "grad",
        help="differentiate an expression and check the result",
        description='e.g. symgrad grad "2*dot(x, x)" --var x=4 --at "x=[0,1,2,3]"',
    )
    g.add_argument("expression", help="the expression, in NumPy-like syntax")
    g.add_argument(
        "--wrt",
        action="append",
        default=[],
        metavar="NAME",
        help="differentiate with respect to NAME (default: every variable)",
    )
    g.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=SHAPE",
        help="declare a variable's shape, e.g. x=4 or A=3,3 (default: its value's)",
    )
    g.add_argument(
        "--at",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="the point, e.g. x=[0,1,2,3] or t=0.5",
    )
    g.add_argument("--emit", action="store_true", help="print the generated NumPy source")
    g.add_argument(
        "--draw",
        metavar="FILE",
        help="write the gradient graph, with the pruned forward nodes, as .svg, .png or .dot",
    )
    g.add_argument(
        "--check",
        action="store_true",
        help="exit with status 1 if the gradient disagrees with SymPy or finite differences",
    )
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo.run(sys.stdout)
    try:
        with np.errstate(all="ignore"):  # inf and nan are shown in the results instead
            return grad_command(args, sys.stdout)
    except (
        ValueError,
        TypeError,
        ArithmeticError,
        RecursionError,
        MemoryError,
        OSError,
        RuntimeError,
    ) as error:
        message = " ".join(str(error).split()) or type(error).__name__
        print(f"symgrad: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
