"""The ``symgrad`` command.

Each subcommand is one entry of :data:`COMMANDS`: a name, a one-line help, a function adding
its arguments and a function running it. Every error is one line on stderr,
``symgrad: error: ...``, with exit status 2 (bad input) or 3 (a fault in symgrad itself);
a failed check exits with 1.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable, Sequence
from typing import IO, NoReturn

import numpy as np

import symgrad as sg

from . import demo
from .check.gradcheck import GradCheckReport
from .commands import derivatives, ops_list
from .commands.layout import Report
from .commands.problem import Problem, UsageError, build
from .errors import ShapeError
from .parse import shape_message

__all__ = ["COMMANDS", "UsageError", "main"]

EXAMPLE = 'symgrad grad "2*dot(x, x)" --at "x=[0,1,2,3]"'


class _Parser(argparse.ArgumentParser):
    """argparse, but a mistake raises (and becomes one line) instead of printing usage."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)")


# --- arguments shared by the expression commands -------------------------------------------


def _expression_arguments(p: argparse.ArgumentParser, values: bool = True) -> None:
    p.add_argument(
        "expression", help="the expression, in NumPy-like syntax (symgrad ops lists the functions)"
    )
    p.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=SHAPE",
        help="a variable's shape (and dtype), e.g. x=4, A=3,3 or x=n,3:float32 "
        "(default: the shape of its --at value, or a scalar)",
    )
    p.add_argument(
        "--at",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="the point"
        + (" (every variable needs one)" if values else "")
        + ", e.g. x=[0,1,2,3], t=0.5 or z=1+2j (complex)",
    )
    p.add_argument(
        "--wrt",
        action="append",
        default=[],
        metavar="NAME",
        help="differentiate with respect to NAME (default: every float variable)",
    )


def _order_argument(p: argparse.ArgumentParser, default: int) -> None:
    p.add_argument(
        "--order",
        type=int,
        default=default,
        metavar="N",
        help=f"the order of the derivatives (default {default}; 0: the expression alone)",
    )


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r}: give a positive number of seconds")
    return value


def _checking_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-sympy", action="store_true", help="do not ask SymPy")
    p.add_argument(
        "--timeout",
        type=_seconds,
        default=5.0,
        metavar="SECONDS",
        help="the time SymPy is given (default 5); past it, SymPy is skipped",
    )
    p.add_argument("--rtol", type=float, default=None, help="relative tolerance of the check")
    p.add_argument("--atol", type=float, default=None, help="absolute tolerance of the check")


def _report_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--full", action="store_true", help="print long formulas and arrays whole")
    p.add_argument("--emit", action="store_true", help="also print the generated NumPy source")
    p.add_argument(
        "--draw",
        metavar="FILE",
        help="also write the derivative graph, with the pruned forward nodes, as .svg/.png/.dot",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="exit with status 1 if a derivative disagrees with SymPy or finite differences",
    )


def _wrapped(text: str, width: int = 100) -> str:
    """Long lines (the notes under a check table) wrapped to ``width`` columns."""
    import textwrap

    return "\n".join(
        textwrap.fill(line, width) if len(line) > width else line for line in text.splitlines()
    )


def _problem(args: argparse.Namespace, need_values: bool = True) -> Problem:
    return build(args.expression, args.var, args.at, args.wrt, need_values=need_values)


def _check_order(order: int) -> None:
    if not 0 <= order <= 4:
        raise UsageError(f"--order {order}: choose 0 to 4")


def _header(report: Report, problem: Problem, formula: np.ndarray | None, note: str) -> None:
    report.row("expression", problem.name, problem.text)
    if formula is not None:
        report.formula("SymPy", problem.name, formula)
    elif note:
        report.line(f"{'SymPy':<11} {note}")
    for name in problem.variables:
        if name in problem.values:
            report.array("at", name, problem.values[name])


# --- grad, hessian, jacobian -----------------------------------------------------------------


def _derivative_report(args: argparse.Namespace, out: IO[str], order: int, scalar: bool) -> int:
    _check_order(order)
    if args.draw:
        from .draw.render import check_target

        check_target(args.draw)  # before any work: a PNG this machine cannot write
    problem = _problem(args)
    y = problem.output
    if scalar and y.ndim != 0:
        raise UsageError(
            f"the expression has shape {y.shape}; differentiate a scalar, e.g. "
            f"sum({problem.text}), or use symgrad jacobian"
        )
    if order > 0 and not problem.wrt:
        raise UsageError("there is no float variable to differentiate with respect to")
    if order > 0:
        _complex_limits(problem, order, scalar)
    found = derivatives.blocks(problem, order)
    value = derivatives.evaluate(problem, found)
    forms = derivatives.SympyForms(None, "not asked (--no-sympy)")
    if not args.no_sympy:
        forms = _sympy_forms(problem, found, args.timeout)
    formula, note = forms.formula, forms.note

    report = Report(full=args.full)
    _header(report, problem, formula, note)
    report.section()
    report.array("value", problem.name, value)
    multi_line = any(b.value is not None and b.value.ndim >= 2 for b in found)
    for b in found:
        if multi_line:
            report.section()
        report.array("symgrad", b.label, b.value)
        if b.formula is not None:
            report.formula("SymPy", b.label, b.formula)
    if order == 1 and y.ndim > 0 and found:
        v = found[0].wrt[0].name
        report.line(
            f"(entry [i..., j...] of d{problem.name}/d{v} is the derivative of "
            f"{problem.name}[i...] with respect to {v}[j...])"
        )

    checked = None if order == 0 else _check(args, problem, found, forms)
    if checked is not None:
        report.section()
        report.line("check against SymPy and finite differences:")
        report.line(_wrapped(str(checked)))
    out.write(report.render())
    if args.emit:
        out.write(f"\n# generated NumPy source\n{_compile(problem, found).source}")
    if args.draw:
        shown = [b.expr for b in found] or problem.output
        out.write(f"\nwrote {sg.draw(shown, args.draw, show_pruned=True)}\n")
    return 1 if args.check and checked is not None and not checked.ok else 0


def _complex_limits(problem: Problem, order: int, scalar: bool) -> None:
    """Derivatives with complex numbers in them, as ``sg.grad`` takes them (docs/numpy.md):
    of real expressions only, and with respect to complex variables, first-order gradients
    of real scalars only."""
    y = problem.output
    if y.dtype.kind == "c":
        raise UsageError(
            f"the expression is complex ({y.dtype}): derivatives are taken of real values; "
            f"differentiate a real function of it, e.g. abs({problem.text})**2 or "
            f"real({problem.text})"
        )
    complex_wrt = [v.name for v in problem.wrt if v.dtype.kind == "c"]
    if complex_wrt and (order > 1 or not scalar):
        raise UsageError(
            f"--wrt {complex_wrt[0]}: with respect to a complex variable the command line "
            "takes gradients of real scalar expressions (grad and check, order 1); use the "
            "Python API (sg.jacobian, sg.hessian) for the others, or --wrt a real variable"
        )


def _sympy_forms(
    problem: Problem, found: Sequence[derivatives.Block], timeout: float | None
) -> derivatives.SympyForms:
    """SymPy's forms of the output and the derivatives; with complex variables none (their
    elements are not real symbols), and the check compares with SymPy's derivatives."""
    if any(v.dtype.kind == "c" for v in problem.inputs):
        return derivatives.SympyForms(
            None, "not shown for complex variables (the check below asks SymPy for d/dx - i d/dy)"
        )
    return derivatives.sympy_forms(problem, found, timeout)


def _check(
    args: argparse.Namespace,
    problem: Problem,
    found: Sequence[derivatives.Block],
    forms: derivatives.SympyForms,
) -> GradCheckReport:
    """The check table: ``sg.check_grad`` for a gradient, else each derivative against
    SymPy's value and central differences of the derivative one order lower."""
    if len(found[0].wrt) == 1 and problem.output.ndim == 0:
        return sg.check_grad(
            problem.output,
            problem.wrt,
            dict(zip(problem.inputs, problem.arrays)),
            rtol=args.rtol,
            atol=args.atol,
            sympy=not args.no_sympy and not forms.hopeless,
            timeout=args.timeout,
        )
    return derivatives.check(problem, found, args.rtol, args.atol)


def _compile(
    problem: Problem, found: Sequence[derivatives.Block], optimize: bool = True
) -> sg.Executable:
    return sg.compile(
        [problem.output, *[b.expr for b in found]], inputs=problem.inputs, optimize=optimize
    )


def _grad_arguments(p: argparse.ArgumentParser) -> None:
    _expression_arguments(p)
    _order_argument(p, 1)
    _checking_arguments(p)
    _report_arguments(p)


def _hessian_arguments(p: argparse.ArgumentParser) -> None:
    _expression_arguments(p)
    _checking_arguments(p)
    _report_arguments(p)


def run_grad(args: argparse.Namespace, out: IO[str]) -> int:
    return _derivative_report(args, out, args.order, scalar=True)


def run_hessian(args: argparse.Namespace, out: IO[str]) -> int:
    return _derivative_report(args, out, 2, scalar=True)


def run_jacobian(args: argparse.Namespace, out: IO[str]) -> int:
    return _derivative_report(args, out, args.order, scalar=False)


# --- check, emit, show, draw -----------------------------------------------------------------


def _check_arguments(p: argparse.ArgumentParser) -> None:
    _expression_arguments(p)
    _checking_arguments(p)


def run_check(args: argparse.Namespace, out: IO[str]) -> int:
    problem = _problem(args)
    if not problem.wrt:
        raise UsageError("there is no float variable to differentiate with respect to")
    _complex_limits(problem, 1, scalar=problem.output.ndim == 0)
    found = derivatives.blocks(problem, 1)
    value = derivatives.evaluate(problem, found)
    forms = derivatives.SympyForms(None, "not asked (--no-sympy)")
    if not args.no_sympy and problem.output.ndim > 0:  # check_grad asks SymPy for gradients
        forms = _sympy_forms(problem, found, args.timeout)
    checked = _check(args, problem, found, forms)
    report = Report()
    _header(report, problem, None, "")
    report.section()
    report.array("value", problem.name, value)
    report.section()
    report.line("check against SymPy and finite differences:")
    report.line(_wrapped(str(checked)))
    out.write(report.render())
    return 0 if checked.ok else 1


def _emit_arguments(p: argparse.ArgumentParser) -> None:
    _expression_arguments(p, values=False)
    _order_argument(p, 1)
    p.add_argument("--no-optimize", action="store_true", help="emit the graph as built")


def run_emit(args: argparse.Namespace, out: IO[str]) -> int:
    _check_order(args.order)
    problem = _problem(args, need_values=False)
    found = derivatives.blocks(problem, args.order)
    names = ", ".join([problem.name, *[b.label for b in found]])
    out.write(f"# evaluate returns [{names}] for {problem.name} = {problem.text}\n")
    out.write(_compile(problem, found, optimize=not args.no_optimize).source)
    return 0


def _show_arguments(p: argparse.ArgumentParser) -> None:
    _expression_arguments(p, values=False)
    _order_argument(p, 1)
    p.add_argument(
        "--compiled",
        action="store_true",
        help="list the optimized graph the compiled function runs, and what was removed",
    )
    p.add_argument(
        "--pruned", action="store_true", help="also list built nodes the outputs do not need"
    )
    p.add_argument(
        "--limit", type=int, default=200, metavar="N", help="print at most N lines (0: all)"
    )


def run_show(args: argparse.Namespace, out: IO[str]) -> int:
    _check_order(args.order)
    problem = _problem(args, need_values=False)
    found = derivatives.blocks(problem, args.order)
    outputs = [problem.output, *[b.expr for b in found]]
    limit = args.limit or None
    if args.compiled:
        listing = sg.show(sg.compile(outputs, inputs=problem.inputs), limit=limit)
    else:
        listing = sg.show(outputs, limit=limit, show_pruned=args.pruned)
    names = ", ".join([problem.name, *[b.label for b in found]])
    out.write(f"# {names}, for {problem.name} = {problem.text}\n{listing}\n")
    return 0


def _draw_arguments(p: argparse.ArgumentParser) -> None:
    _expression_arguments(p, values=False)
    p.add_argument("file", help="the picture to write: .svg, .png or .dot")
    _order_argument(p, 1)
    p.add_argument(
        "--highlight",
        metavar="NAME",
        help="mark the path along which the derivative with respect to NAME flows",
    )


def run_draw(args: argparse.Namespace, out: IO[str]) -> int:
    from .draw.render import check_target

    _check_order(args.order)
    check_target(args.file)
    problem = _problem(args, need_values=False)
    found = derivatives.blocks(problem, args.order)
    highlight = None
    if args.highlight is not None:
        if args.highlight not in problem.variables:
            raise UsageError(f"--highlight {args.highlight}: not a variable of the expression")
        highlight = problem.variables[args.highlight]
    shown = [b.expr for b in found] or problem.output
    written = sg.draw(shown, args.file, show_pruned=bool(found), highlight=highlight)
    what = ", ".join(b.label for b in found) or problem.name
    out.write(f"wrote {written}: the graph of {what}\n")
    return 0


def _explore_arguments(p: argparse.ArgumentParser) -> None:
    _expression_arguments(p, values=False)
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the .html file")
    _order_argument(p, 1)


def run_explore(args: argparse.Namespace, out: IO[str]) -> int:
    _check_order(args.order)
    problem = _problem(args, need_values=False)
    found = derivatives.blocks(problem, args.order)
    outputs = [problem.output, *(b.expr for b in found)]
    written = sg.explore(outputs, args.output, title=problem.text)
    what = ", ".join([problem.name, *(b.label for b in found)])
    out.write(f"wrote {written}: a page to explore {what}\n")
    return 0


def _no_arguments(p: argparse.ArgumentParser) -> None:
    pass


def run_ops(args: argparse.Namespace, out: IO[str]) -> int:
    out.write(ops_list.text())
    return 0


def _demo_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--pictures",
        metavar="DIR",
        help="also write the demo's pictures (a plot and two graphs) into DIR; the plot "
        "needs matplotlib: pip install -e '.[viz]'",
    )


def run_demo(args: argparse.Namespace, out: IO[str]) -> int:
    if args.pictures is not None:
        demo.pictures_possible()  # before the examples: say now if matplotlib is missing
    return demo.run(out, args.pictures)


@dataclasses.dataclass(frozen=True)
class Command:
    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, IO[str]], int]
    #: False for commands whose errors are reported by the command itself (the demo).
    expression: bool = True


COMMANDS: list[Command] = [
    Command("demo", "run the classic examples and check each", _demo_arguments, run_demo, False),
    Command("ops", "list every function an expression may use", _no_arguments, run_ops, False),
    Command(
        "grad",
        "differentiate an expression; print the value, the gradient, SymPy's and a check",
        _grad_arguments,
        run_grad,
    ),
    Command(
        "hessian",
        "second derivatives of a scalar expression, with SymPy's and a check",
        _hessian_arguments,
        run_hessian,
    ),
    Command(
        "jacobian",
        "the Jacobian of an expression of any shape, with SymPy's and a check",
        _grad_arguments,
        run_jacobian,
    ),
    Command(
        "check",
        "compare the gradient with SymPy and finite differences (exit status 1 if they differ)",
        _check_arguments,
        run_check,
    ),
    Command("emit", "print the generated NumPy source only", _emit_arguments, run_emit),
    Command("show", "print the graph as text, one line per node", _show_arguments, run_show),
    Command("draw", "write a picture of the graph (.svg, .png, .dot)", _draw_arguments, run_draw),
    Command(
        "explore",
        "write one offline HTML page to explore the graph, its derivative and the code",
        _explore_arguments,
        run_explore,
    ),
]


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(
        prog="symgrad",
        description="A define-then-run autodiff compiler that emits NumPy code. "
        f"Example: {EXAMPLE}",
    )
    parser.add_argument("--version", action="version", version=f"symgrad {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for c in COMMANDS:
        sub = commands.add_parser(c.name, help=c.help, description=c.help)
        c.arguments(sub)
    return parser


def _expression_first(argv: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """``argv`` with an expression that starts with ``-`` (``"-x**2"``) moved behind ``--``,
    so it is not taken for an option."""
    if len(argv) < 2 or "--" in argv:
        return argv
    sub = _subparser(parser, argv[0])
    if sub is None:
        return argv
    options = sub._option_string_actions  # every option string of the command
    kept, expression = [argv[0]], []
    takes_value = False
    for token in argv[1:]:
        if takes_value:
            kept.append(token)
            takes_value = False
        elif token.startswith("-") and token.split("=", 1)[0] not in options and token != "-":
            expression.append(token)
        else:
            kept.append(token)
            action = options.get(token)
            takes_value = action is not None and action.nargs != 0
    return kept + (["--", *expression] if expression else [])


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices.get(name)
    return None


def _one_line(error: BaseException) -> str:
    text = shape_message(error) if isinstance(error, ShapeError) else str(error)
    return " ".join(text.split()) or type(error).__name__


#: Errors that mean the input was wrong (exit status 2). Anything else is a fault in symgrad.
USER_ERRORS = (
    ValueError,
    TypeError,
    ArithmeticError,
    RecursionError,
    MemoryError,
    OSError,
    RuntimeError,
    TimeoutError,
)


def main(argv: Sequence[str] | None = None, out: IO[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    out = sys.stdout if out is None else out
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(_expression_first(argv, parser))
        command = next(c for c in COMMANDS if c.name == args.command)
        with np.errstate(all="ignore"):  # inf and nan are shown in the results instead
            return command.run(args, out)
    except KeyboardInterrupt:
        print("symgrad: interrupted", file=sys.stderr)
        return 130
    except USER_ERRORS as error:
        print(f"symgrad: error: {_one_line(error)}", file=sys.stderr)
        return 2
    except Exception as error:  # a bug: still one line, and says so
        print(
            f"symgrad: internal error ({type(error).__name__}): {_one_line(error)}; "
            "please report it",
            file=sys.stderr,
        )
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
