"""What a command is asked: the expression, its variables (``--var``), the point (``--at``)
and the variables to differentiate with respect to (``--wrt``), checked and built."""

from __future__ import annotations

import ast
import dataclasses
import difflib
from collections.abc import Sequence

import numpy as np

import symgrad as sg

from ..core.dtypes import as_dtype
from ..core.shapes import format_shape
from ..parse import CONSTANTS, FUNCTIONS, parse, variable_names

#: Names the output is given, the first that is not a variable of the expression.
OUTPUT_NAMES = ("f", "g", "h", "F", "G", "H", "out")


class UsageError(ValueError):
    """A command-line argument is malformed; the message says which and how."""


@dataclasses.dataclass(eq=False)  # holds nodes, which == compares elementwise
class Problem:
    """An expression with its variables, in the order they appear in the text."""

    text: str
    name: str  # what the output is called in the report: f, or g if a variable is f
    variables: dict[str, sg.Expr]
    values: dict[str, np.ndarray]  # empty when no point was given
    output: sg.Expr
    wrt: list[sg.Expr]

    @property
    def inputs(self) -> list[sg.Expr]:
        return list(self.variables.values())

    @property
    def arrays(self) -> list[np.ndarray]:
        return [self.values[n] for n in self.variables]


def _assignments(texts: Sequence[str], option: str) -> dict[str, str]:
    """``NAME=VALUE`` arguments by name; a name given twice is an error."""
    found: dict[str, str] = {}
    for text in texts:
        name, sep, value = text.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UsageError(f"{option} expects NAME=VALUE, got {text[:40]!r}")
        if name in found:
            raise UsageError(
                f"{option} {name} is given twice ({found[name][:20]!r} and {value.strip()[:20]!r})"
            )
        found[name] = value.strip()
    return found


def parse_declaration(text: str, name: str) -> tuple[tuple[int | str, ...], np.dtype | None]:
    """``3,3`` or ``n,3:float32`` or ``:int64``: a shape and, after a colon, a dtype."""
    shape_text, _, dtype_text = text.partition(":")
    dtype = None
    if dtype_text.strip():
        try:
            dtype = as_dtype(dtype_text.strip(), f"--var {name}")
        except TypeError as error:
            raise UsageError(str(error)) from None
    shape_text = shape_text.strip().strip("()[]")
    dims: list[int | str] = []
    for piece in shape_text.split(",") if shape_text else []:
        piece = piece.strip()
        if piece.isdigit():
            dims.append(int(piece))
        elif piece.isidentifier():
            dims.append(piece)
        elif piece:
            raise UsageError(f"--var {name}: {piece!r} is not a size or a dimension name")
    return tuple(dims), dtype


def parse_value(text: str, name: str, dtype: np.dtype | None) -> np.ndarray:
    """A number or a nested list of numbers, read as a literal (never evaluated): real
    (``1.5``) or complex (``1+2j``, ``[1j, 2]``). Without a declared ``dtype``, float64, or
    complex128 where a number is complex."""
    wrong = f"--at {name}: {text[:40]!r} is not a number or a list of numbers"
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
        raise UsageError(wrong) from None
    try:
        array = np.asarray(value, dtype=np.float64)
    except TypeError:  # complex numbers (or worse)
        try:
            array = np.asarray(value, dtype=np.complex128)
        except (TypeError, ValueError, OverflowError):
            raise UsageError(wrong) from None
    except (ValueError, OverflowError):
        raise UsageError(wrong) from None
    if dtype is None:
        return array
    if array.dtype.kind == "c" and dtype.kind != "c":
        raise UsageError(
            f"--at {name}: the value is complex but --var declares {dtype} "
            f"(declare it complex: --var {name}=:complex128)"
        )
    try:
        return array.astype(dtype, casting="same_kind" if dtype.kind in "fc" else "unsafe")
    except (TypeError, ValueError):
        raise UsageError(f"--at {name}: cannot be converted to {dtype}") from None


def _output_name(names: Sequence[str]) -> str:
    for candidate in OUTPUT_NAMES:
        if candidate not in names:
            return candidate
    n = 1
    while f"out{n}" in names:
        n += 1
    return f"out{n}"


def _unknown(name: str, option: str, names: Sequence[str]) -> UsageError:
    close = difflib.get_close_matches(name, list(names), n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    if name in CONSTANTS:
        hint = f"; {name} is the constant {CONSTANTS[name]:g} in expressions: rename the variable"
    listed = ", ".join(names) or "none"
    return UsageError(
        f"{option} {name}: not a variable of the expression (its variables: {listed}){hint}"
    )


def _concrete_shape(
    declared: tuple[int | str, ...], value: np.ndarray, name: str, bound: dict[str, int]
) -> tuple[int, ...]:
    """The value's shape, after checking it against a declared (maybe symbolic) shape."""
    if len(declared) != value.ndim or any(
        isinstance(d, int) and d != s for d, s in zip(declared, value.shape)
    ):
        raise UsageError(
            f"--at {name}: the value has shape {value.shape}, but --var declares "
            f"{format_shape(declared)}"
        )
    for d, s in zip(declared, value.shape):
        if isinstance(d, str) and bound.setdefault(d, s) != s:
            raise UsageError(
                f"--at {name}: dimension {d!r} is {s} here but {bound[d]} in another variable"
            )
    return tuple(value.shape)


def build(
    text: str,
    declarations: Sequence[str] = (),
    points: Sequence[str] = (),
    wrt: Sequence[str] = (),
    need_values: bool = True,
) -> Problem:
    """Parse the arguments and build the expression.

    With ``need_values`` every variable needs ``--at``; otherwise a variable's shape comes
    from ``--var``, else from its ``--at`` value, else it is a scalar.
    """
    names = variable_names(text)
    shapes = _assignments(declarations, "--var")
    given = _assignments(points, "--at")
    for option, table in (("--var", shapes), ("--at", given)):
        for name in table:
            if name not in names:
                raise _unknown(name, option, names)
    variables: dict[str, sg.Expr] = {}
    values: dict[str, np.ndarray] = {}
    bound: dict[str, int] = {}
    for name in names:
        declared, dtype = parse_declaration(shapes[name], name) if name in shapes else ((), None)
        if name in given:
            values[name] = parse_value(given[name], name, dtype)
            dtype = values[name].dtype
            shape = (
                _concrete_shape(declared, values[name], name, bound)
                if name in shapes and shapes[name].partition(":")[0].strip()
                else values[name].shape
            )
        elif need_values:
            also = (
                f" ({name} is also a function: call it, {name}(...))" if name in FUNCTIONS else ""
            )
            raise UsageError(f"no value for {name!r}: pass --at {name}=VALUE{also}")
        else:
            shape = declared
        variables[name] = sg.var(name, shape=shape, dtype=dtype or np.dtype(np.float64))
    output = parse(text, variables)
    if isinstance(output, (list, tuple)):
        raise UsageError(
            f"the expression gives {len(output)} results; pick one, e.g. ({text.strip()})[0]"
        )
    if not isinstance(output, sg.Expr):
        output = sg.const(output)
    chosen = (
        list(dict.fromkeys(wrt)) if wrt else [n for n in names if variables[n].dtype.kind in "fc"]
    )
    for name in chosen:
        if name not in variables:
            raise _unknown(name, "--wrt", names)
        if variables[name].dtype.kind not in "fc":
            raise UsageError(
                f"--wrt {name}: {name} is {variables[name].dtype}; derivatives "
                "are taken with respect to float or complex variables"
            )
    return Problem(
        text=text.strip(),
        name=_output_name(names),
        variables=variables,
        values=values,
        output=output,
        wrt=[variables[n] for n in chosen],
    )
