"""The start of every emitted function: each input converted and checked, and symbolic
dimensions bound to the sizes of the inputs' axes. Shared by the writers of all backends."""

from __future__ import annotations

from collections.abc import Sequence

from ..core.expr import Expr
from ..core.shapes import format_shape
from ..ops.leaves import Variable
from .names import Namer

#: Helpers the checks call, written at the end of the module.
PRELUDE = '''\
class BindError(TypeError, ValueError):
    """An input is missing, or has the wrong shape or dtype."""


def _input(value, name, dtype):
    """`value` as an array of `dtype`; only conversions that lose nothing are made."""
    if type(value) is np.ndarray and value.dtype == dtype:
        return value
    if isinstance(value, (np.ndarray, np.generic)):
        if not np.can_cast(value.dtype, dtype, "safe"):
            raise BindError(
                f"input {name!r} expects {dtype}; got {value.dtype}, which does not convert "
                f"to {dtype} without loss (convert it with .astype)")
        return np.asarray(value, dtype=dtype)
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise BindError(f"input {name!r} expects {dtype} numbers; got {error}") from None
    kind = array.dtype.kind
    if kind not in "biufc" or (kind == "f" and dtype.kind not in "fc") or (
            kind == "c" and dtype.kind != "c") or (dtype.kind == "b" and kind != "b"):
        raise BindError(f"input {name!r} expects {dtype}; got {type(value).__name__} "
                        f"of {array.dtype}")
    return array.astype(dtype)


def _shape_error(name, expected, given, bound):
    dims = "".join(f", {k} = {v}" for k, v in bound.items())
    return BindError(f"input {name!r} expects shape {expected}{dims}; got {given}")
'''


class InputChecks:
    """Lines converting and checking each input; ``dims`` maps each symbolic dimension to
    the variable holding its size. A size bound but never read is left out
    (``without_unused``)."""

    def __init__(
        self,
        inputs: Sequence[Expr],
        names: dict[int, str],
        namer: Namer,
        convert: str = "_input",
    ):
        self.convert = convert  # the helper converting each input (its name)
        self.dims: dict[str, str] = {}
        self.used: set[str] = set()  # dims read, by their variables' names
        self._binding: dict[int, str] = {}  # line index -> the dim variable it binds
        self.lines: list[str] = []
        for x in inputs:
            self._check(x, names[id(x)], namer)

    def _check(self, x: Expr, p: str, namer: Namer) -> None:
        lines, dims = self.lines, self.dims
        op = x.op
        assert isinstance(op, Variable)  # (the compiler takes variables only as inputs)
        label = ascii(op.var_name)
        lines.append(f"    {p} = {self.convert}({p}, {label}, np.dtype({x.dtype.name!r}))")
        expected = ascii(format_shape(x.shape))
        if all(isinstance(d, int) for d in x.shape):
            lines.append(f"    if {p}.shape != {tuple(x.shape)!r}:")
            lines.append(f"        raise _shape_error({label}, {expected}, {p}.shape, {{}})")
            return
        tests = [f"{p}.ndim != {x.ndim}"]
        new: dict[str, int] = {}
        for i, d in enumerate(x.shape):
            if isinstance(d, int):
                tests.append(f"{p}.shape[{i}] != {d}")
            elif d in dims:
                tests.append(f"{p}.shape[{i}] != {dims[d]}")
                self.used.add(dims[d])
            elif d in new:
                tests.append(f"{p}.shape[{i}] != {p}.shape[{new[d]}]")
            else:
                new[d] = i
        known = dict.fromkeys(d for d in x.shape if isinstance(d, str) and d in dims)
        bound = ", ".join(f"{ascii(d)}: {dims[d]}" for d in known)
        lines.append(f"    if {' or '.join(tests)}:")
        lines.append(f"        raise _shape_error({label}, {expected}, {p}.shape, {{{bound}}})")
        for d, i in new.items():
            dims[d] = namer.fresh(d)
            self._binding[len(lines)] = dims[d]
            lines.append(f"    {dims[d]} = {p}.shape[{i}]")

    def without_unused(self) -> list[str]:
        """The lines, less the bindings of sizes that nothing reads."""
        return [
            line
            for i, line in enumerate(self.lines)
            if i not in self._binding or self._binding[i] in self.used
        ]
