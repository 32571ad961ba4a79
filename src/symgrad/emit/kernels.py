"""The source of one fused loop (a region of ``symgrad.emit.fusion``) for Numba, and the
lines of ``evaluate`` that run it.

A region of shape ``(n0, n1, ...)`` becomes three functions:

* ``_block_<k>``: computes block ``b`` (rows ``b * rows`` to ``b * rows + rows - 1`` of axis
  0): nested loops over the indices, each operand from outside loaded once per element
  (``x0_i = x0[i]``, ``x3_i = x3[j]`` for a row broadcast), then one statement per member
  named as in the NumPy code, stores of the members needed afterwards, and the reductions
  folded into accumulators;
* ``_kernel_<k>``: runs ``_block_<k>`` over a range of blocks with the GIL released, so that
  ``_in_parallel`` (a thread pool) gives each core one range;
* ``_exact_<k>`` (only for loops calling ``vm.sin``, ``vm.cos`` or ``vm.tan``): the same
  block with ``math.sin``... for the rare block holding an argument beyond
  ``vm.TRIG_LIMIT``; Numba compiles it only if such a block occurs.

Reductions are kept per block and combined once the loop has run, so results do not
depend on the number of threads. A reduction over trailing axes (a row sum) accumulates in
a local variable and is stored once per row; one over all axes gives one partial per
block; any other (a column sum) accumulates into an array with one row per block.
float32 reductions accumulate in float64 and are rounded once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..core.dtypes import dtype_name
from ..core.expr import Expr
from ..core.shapes import is_concrete
from ..ops.elementwise import Binary
from ..ops.leaves import Constant
from ..ops.reductions import Reduction
from . import literals
from .fusion import fold
from .names import hint
from .numpy_writer import element
from .steps import Blocked

#: Elements per block (float64: 32 KiB, within the L1 cache of one core with its operands).
BLOCK_ELEMENTS = 4096
#: Work (elements times statements) below which a loop runs on the calling thread, about a
#: millisecond of work: handing a range of blocks to another thread costs tens of
#: microseconds on an idle machine, but milliseconds when the other cores are busy (other
#: processes, or OpenBLAS's threads spinning after a matrix product). Measured on the MLP
#: benchmark's loops (1.8e6 work) on a busy 2-core machine: 0.35-0.44 ms on one thread,
#: 2.8-6.0 ms (median) on two.
THREAD_WORK = 1 << 22
#: Functions of ``math`` that ``symgrad.backends.numba_math`` provides in vectorizable form.
VECTOR_MATH = ("sin", "cos", "tan", "exp", "expm1", "log", "log1p", "tanh")
#: Those whose fast form is valid only for arguments below ``vm.TRIG_LIMIT``.
TRIGONOMETRIC = ("sin", "cos", "tan")
#: Flags of the loops: ``reassoc`` lets LLVM vectorize sums, ``contract`` use fused
#: multiply-adds; ``error_model="numpy"`` makes division by zero give inf, as NumPy's does,
#: without a check on every division (which would stop vectorization).
FLAGS = 'fastmath={"reassoc", "contract"}, error_model="numpy"'
#: Estimated cost of a vectorized elementary function, in statements.
_FUNCTION_COST = 12

_MATH_CALL = re.compile(r"\bmath\.(" + "|".join(VECTOR_MATH) + r")\(")


class KernelWriter:
    """Writes the functions of one region into the writer's helpers and returns the lines
    of ``evaluate`` that allocate its results, run it and combine its reductions."""

    def __init__(self, writer: Any, step: Blocked, names: Mapping[int, str], indent: str):
        self.writer = writer
        self.step = step
        self.region = step.region
        self.names = names
        self.indent = indent
        self.namer = writer.plan.namer
        self.number = writer.kernels = writer.kernels + 1
        self.members = {id(m) for m in self.region.members}
        # Members keep their variables' names, except where the plan gives one variable
        # to several values (it may, for arrays): a name in a loop holds one value.
        self.local: dict[int, str] = {}
        taken: set[str] = set()
        for m in self.region.members:
            name = names[id(m)]
            if name in taken:
                name = self.namer.fresh(hint(m))
            taken.add(name)
            self.local[id(m)] = name

    # --- evaluate's side ------------------------------------------------------------------
    def lines(self) -> list[str]:
        writer, region, names, indent = self.writer, self.region, self.names, self.indent
        shape = region.shape
        d = len(shape)
        sizes = [writer.ctx.dim(s) for s in shape]
        self._operands()
        lines = [f"{indent}# one pass over {_shape_text(shape)}: {self._summary()}"]
        for m in region.members:
            if id(m) in region.whole:
                lines += writer.allocate_whole(self.step, m, names, indent)
        inner = " * ".join(sizes[1:]) if d > 1 else ""
        if is_concrete(shape):
            rows = max(1, BLOCK_ELEMENTS // max(int(np.prod(shape[1:], dtype=np.int64)), 1))
            blocks_text = str(-(-shape[0] // rows))
            rows_text = str(rows)
        else:
            rows_text = self.namer.fresh("rows")
            blocks_text = self.namer.fresh("blocks")
            # (max(1, B // max(inner, 1)) without calling max, which a local may shadow)
            per = f"{BLOCK_ELEMENTS} // ({inner} or 1) or 1" if d > 1 else str(BLOCK_ELEMENTS)
            lines.append(f"{indent}{rows_text} = {per}")
            lines.append(f"{indent}{blocks_text} = -(-{sizes[0]} // {rows_text})")
        self.blocks_text = blocks_text
        accumulators = self._accumulators(lines, sizes)
        outside = None
        if self.trig:
            outside = self.namer.fresh("outside")
            lines.append(f"{indent}{outside} = np.zeros({blocks_text}, np.int64)")
        args = [*sizes, rows_text, *self.arguments, *accumulators]
        if outside is not None:
            args.append(outside)
        elements = " * ".join(sizes)
        work = f"{elements} * {self.cost}"
        kernel = f"_kernel_{self.number}"
        lines.append(f"{indent}_in_parallel({kernel}, {blocks_text}, {work}, {', '.join(args)})")
        if outside is not None:
            b = self.namer.fresh("b")
            block_args = ", ".join([*sizes, rows_text, b, *self.arguments, *accumulators])
            lines.append(f"{indent}for {b} in np.flatnonzero({outside}):  # arguments beyond")
            lines.append(f"{indent}    _exact_{self.number}({block_args})  # vm.TRIG_LIMIT")
            lines.append(f"{indent}del {outside}")
        lines += self.finish
        writer.given += self.finished
        writer.helpers[kernel] = self._source(len(sizes))
        writer.statements += len(region.members)
        return lines

    def _summary(self) -> str:
        names, region = self.names, self.region
        kept = [names[id(m)] for m in region.members if id(m) in region.whole]
        reduced = [names[id(m)] for m in region.members if id(m) in region.totals]
        parts = [f"{len(region.members)} ops"]
        if kept:
            parts.append("stores " + ", ".join(kept))
        if reduced:
            parts.append("reduces to " + ", ".join(reduced))
        return "; ".join(parts)

    def _operands(self) -> None:
        """The region's operands from outside: arrays (read at an index), 0-d values
        (passed as numbers) and 0-d constants (written as literals)."""
        names, writer = self.names, self.writer
        self.element: dict[int, str] = {}  # operand -> its text inside the loop
        self.arrays: list[tuple[Expr, str, str]] = []  # (operand, parameter, element local)
        self.params: list[str] = []
        self.arguments: list[str] = []
        passed: dict[str, str] = {}  # variable passed -> its text inside the loop
        for m in self.region.members:
            for x in m.inputs:
                if id(x) in self.members or id(x) in self.element:
                    continue
                if isinstance(x.op, Constant) and x.ndim == 0:
                    self.element[id(x)] = _literal(element(x.op))
                    continue
                text = writer.value(x, names)
                # One variable for two nodes: a body's parameter and the value bound to it.
                if text in passed:
                    self.element[id(x)] = passed[text]
                    continue
                if x.ndim == 0:  # as a number of its dtype, whatever holds it
                    self.element[id(x)] = passed[text] = text
                    self.params.append(text)
                    self.arguments.append(f"np.{dtype_name(x.dtype)}({text})")
                    continue
                local = self.namer.fresh(f"{text}_i")
                self.element[id(x)] = passed[text] = local
                self.arrays.append((x, text, local))
                self.params.append(text)
                self.arguments.append(text)
        self.outputs: dict[int, str] = {}
        for m in self.region.members:
            if id(m) in self.region.whole:
                name = names[id(m)]
                self.outputs[id(m)] = self.namer.fresh(f"{name}_out")
                self.params.append(self.outputs[id(m)])
                self.arguments.append(name)
        # The statements, to know which use vectorized trigonometry.
        self.statements: dict[int, str] = {}
        self.trig_args: dict[int, list[str]] = {}  # member -> its trigonometric arguments
        self.cost = 0
        for m in self.region.members:
            if id(m) in self.region.totals:
                self.cost += 1
                continue
            args = [self.element.get(id(x)) or self.local[id(x)] for x in m.inputs]
            text = m.op.emit_float(m, args)
            if text is None:
                raise AssertionError(f"{m.op.name} has no float form")
            self.cost += 1 + _FUNCTION_COST * len(_MATH_CALL.findall(text))
            bounded = {args[i] for i, x in enumerate(m.inputs) if _bounded(x)}
            for match in _MATH_CALL.finditer(text):
                if match.group(1) in TRIGONOMETRIC:
                    argument = _call_argument(text, match.end())
                    if argument not in bounded:
                        self.trig_args.setdefault(id(m), []).append(argument)
            if _MATH_CALL.search(text):
                vm = self.writer.vector_math_name()
                text = _MATH_CALL.sub(rf"{vm}.\1(", text)
            self.statements[id(m)] = _cast(text, m)
        self.trig = bool(self.trig_args)

    def _accumulators(self, lines: list[str], sizes: list[str]) -> list[str]:
        """Allocate what the reductions accumulate into (before the loop) and write what
        combines them (``self.finish``, after it). Returns the kernel's arguments."""
        region, names, indent = self.region, self.names, self.indent
        d = len(region.shape)
        self.reductions: dict[int, tuple[str, str, int]] = {}  # id -> (kind, parameter, k)
        arguments: list[str] = []
        self.finish: list[str] = []
        self.finished: list[tuple[int, str]] = []  # (node, name) the finish assigns
        for m in region.members:
            if id(m) not in region.totals:
                continue
            name = names[id(m)]
            reduction, combine, _, mean = _total_fold(m)
            axes = reduction.axes
            reduces = combine.numpy
            assert isinstance(reduces, np.ufunc)  # (the ops folding a reduction are ufuncs)
            ufunc = f"np.{reduces.__name__}"
            count = " * ".join(sizes[a] for a in axes) if mean else ""
            dtype = f"np.{dtype_name(m.dtype)}"
            k = min(axes)
            suffix = tuple(axes) == tuple(range(k, d))
            if suffix and k == 0:  # one partial per block
                parts = self.namer.fresh(f"{name}_parts")
                lines.append(f"{indent}{parts} = np.empty({self.blocks_text})")
                arguments.append(parts)
                total = f"{ufunc}.reduce({parts})"
                if mean:
                    total = f"{total} / ({count})"
                if reduction.keepdims:
                    total = f"np.full({self._shape(m)}, {total}, {dtype})"
                elif m.dtype != np.float64:
                    total = f"{dtype}({total})"
                self.finish.append(f"{indent}{name} = {total}  # {_describe(m)}")
                self.finish.append(f"{indent}del {parts}")
                self.finished.append((id(m), name))
                self.reductions[id(m)] = ("block", parts, 0)
            elif suffix:  # stored once per row
                lines.append(f"{indent}{name} = np.empty({self._shape(m)}, {dtype})")
                self.writer.given.append((id(m), name))
                arguments.append(name)
                self.reductions[id(m)] = ("row", self.namer.fresh(f"{name}_out"), k)
            else:  # an array of accumulators, one row per block if axis 0 is reduced
                acc = self.namer.fresh(f"{name}_acc")
                first = self.blocks_text if 0 in axes else sizes[0]
                dims = [first] + ["1" if a in axes else sizes[a] for a in range(1, d)]
                shape = f"({dims[0]},)" if d == 1 else f"({', '.join(dims)})"
                lines.append(f"{indent}{acc} = np.empty({shape})")
                arguments.append(acc)
                total = f"{ufunc}.reduce({acc}, axis=0, keepdims=True)" if 0 in axes else acc
                if mean:
                    total = f"{total} / ({count})"
                total = f"np.reshape({total}, {self._shape(m)})"
                if m.dtype != np.float64:
                    total = f"{total}.astype({dtype})"
                self.finish.append(f"{indent}{name} = {total}  # {_describe(m)}")
                self.finish.append(f"{indent}del {acc}")
                self.finished.append((id(m), name))
                self.reductions[id(m)] = ("array", acc, 0)
        return arguments

    def _shape(self, node: Expr) -> str:
        return self.writer.ctx.shape(node.shape)

    # --- the kernel's source ----------------------------------------------------------------
    def _source(self, d: int) -> str:
        """The block function, the kernel running it over a range of blocks, and for loops
        using vectorized trigonometry the exact block function."""
        k = self.number
        namer = self.namer
        size_names = [namer.fresh("n")] if d == 1 else [namer.fresh(f"n{a}") for a in range(d)]
        self.size_params = size_names
        loops = _loop_names(d, namer)
        rows, b, lo, hi = (namer.fresh(n) for n in ("rows", "b", "lo", "hi"))
        accumulators = [param for _, param, _ in self.reductions.values()]
        params = [*size_names, rows, b, *self.params, *accumulators]
        outside = namer.fresh("outside") if self.trig else None
        body = self._body(size_names, loops, lo, hi, b, exact=False)
        docs = f'    """Block {b} of the fused loop {k}: rows {lo} to {hi} - 1 of axis 0."""'
        # (No builtin called: loop locals take the names of the graph's nodes, ``min``...)
        head = [
            f"    {lo} = np.uint64({b}) * np.uint64({rows})",
            f"    {hi} = {lo} + np.uint64({rows})",
            f"    if {hi} > np.uint64({size_names[0]}):",
            f"        {hi} = np.uint64({size_names[0]})",
        ]
        block = [
            f"@njit(cache=True, {FLAGS})",
            f"def _block_{k}({', '.join(params)}):",
            docs,
            *head,
            *body,
        ]
        first, last = namer.fresh("first"), namer.fresh("last")
        kernel_params = [*size_names, rows, *self.params, *accumulators]
        if outside is not None:
            kernel_params.append(outside)
        call = f"_block_{k}({', '.join([*size_names, rows, b, *self.params, *accumulators])})"
        kernel = [
            f"@njit(nogil=True, cache=True, {FLAGS})",
            f"def _kernel_{k}({', '.join([*kernel_params, first, last])}):",
            f'    """Blocks {first} to {last} - 1 of the fused loop {k} (the GIL released)."""',
            f"    for {b} in range({first}, {last}):",
            f"        {outside}[{b}] = {call}" if outside is not None else f"        {call}",
        ]
        parts = ["\n".join(block), "\n".join(kernel)]
        if self.trig:
            exact = self._body(size_names, loops, lo, hi, b, exact=True)
            parts.append(
                "\n".join(
                    [
                        f"@njit(cache=True, {FLAGS})",
                        f"def _exact_{k}({', '.join(params)}):",
                        f'    """Block {b} of the fused loop {k} with math.sin, math.cos, '
                        'math.tan."""',
                        *head,
                        *exact,
                    ]
                )
            )
        return "\n\n\n".join(parts) + "\n"

    def _body(
        self, sizes: list[str], loops: list[str], lo: str, hi: str, b: str, exact: bool
    ) -> list[str]:
        region, names = self.region, self.names
        d = len(region.shape)
        reductions = self.reductions
        out: list[str] = []
        outside = "outside_count"
        if self.trig and not exact:
            outside = self.namer.fresh("count")
            out.append(f"    {outside} = 0")
        # Accumulators in arrays start at the fold's initial value for this block's rows.
        for m in region.members:
            kind = reductions.get(id(m))
            if kind is None:
                continue
            reduction, _, initial, _ = _total_fold(m)
            start = _literal(np.float64(initial))
            if kind[0] == "array":
                row = b if 0 in reduction.axes else f"{lo}:{hi}"
                out.append(f"    {kind[1]}[{row}] = {start}")
        depth_of = {id(m): kind[2] for m in region.members if (kind := reductions.get(id(m)))}
        locals_: dict[int, str] = {}
        for m in region.members:
            kind = reductions.get(id(m))
            if kind is not None and kind[0] != "array":
                locals_[id(m)] = names[id(m)]
        indent = "    "
        closing: list[list[str]] = []
        for level in range(d):
            for m in region.members:
                if id(m) in locals_ and depth_of[id(m)] == level:
                    start = _literal(np.float64(_total_fold(m)[2]))
                    out.append(f"{indent}{locals_[id(m)]} = {start}")
            bounds = f"{lo}, {hi}" if level == 0 else sizes[level]
            out.append(f"{indent}for {loops[level]} in range({bounds}):")
            closing.append(self._stores(level, loops, b, indent, locals_, depth_of))
            indent += "    "
        for x, _, local in self.arrays:
            out.append(f"{indent}{local} = {self._index(x, loops)}")
        for m in region.members:
            name = self.local[id(m)]
            if id(m) in region.totals:
                out.append(f"{indent}{self._fold(m, loops, b, locals_)}")
                continue
            text = self.statements[id(m)]
            if exact:
                for function in TRIGONOMETRIC:
                    text = text.replace(f"{self.writer.vm}.{function}(", f"math.{function}(")
            elif id(m) in self.trig_args:  # (before the statement, which may reuse a name)
                checks = " + ".join(
                    f"{self.writer.vm}.trig_outside({a})" for a in self.trig_args[id(m)]
                )
                out.append(f"{indent}{outside} += {checks}")
            out.append(f"{indent}{name} = {text}")
            if id(m) in self.outputs:
                index = ", ".join(loops)
                out.append(f"{indent}{self.outputs[id(m)]}[{index}] = {name}")
        for level in reversed(range(d)):
            out += closing[level]
        if self.trig and not exact:
            out.append(f"    return {outside}")
        return out

    def _stores(
        self,
        level: int,
        loops: list[str],
        b: str,
        indent: str,
        locals_: dict[int, str],
        depth_of: dict[int, int],
    ) -> list[str]:
        """What follows the loop at ``level``: the stores of the reductions over the axes
        from ``level`` on."""
        lines = []
        for m in self.region.members:
            if id(m) not in locals_ or depth_of[id(m)] != level:
                continue
            kind, param, _ = self.reductions[id(m)]
            value = locals_[id(m)]
            reduction, _, _, mean = _total_fold(m)
            if kind == "block":
                lines.append(f"{indent}{param}[{b}] = {value}")
                continue
            if mean:
                count = " * ".join(self.size_params[a] for a in reduction.axes)
                value = f"{value} / ({count})"
            if m.dtype != np.float64:
                value = f"{_scalar_type(m.dtype)}({value})"
            index = list(loops[:level]) + (
                ["0"] * (len(loops) - level) if reduction.keepdims else []
            )
            lines.append(f"{indent}{param}[{', '.join(index)}] = {value}")
        return lines

    def _fold(self, m: Expr, loops: list[str], b: str, locals_: dict[int, str]) -> str:
        reduction, combine, _, _ = _total_fold(m)
        value = self.local[id(m.inputs[0])]
        if id(m) in locals_:
            target = locals_[id(m)]
        else:
            _, acc, _ = self.reductions[id(m)]
            axes = reduction.axes
            index = [b if 0 in axes else loops[0]]
            index += ["0" if a in axes else loops[a] for a in range(1, len(loops))]
            target = f"{acc}[{', '.join(index)}]"
        if combine.augmented:
            return f"{target} {combine.augmented}= {value}"
        return f"{target} = {combine.emit_float(m, [target, value])}"

    def _index(self, x: Expr, loops: list[str]) -> str:
        """``x`` at the loop's index, broadcast as NumPy broadcasts it against the region."""
        shape = self.region.shape
        offset = len(shape) - x.ndim
        index = [
            "0" if x.shape[t] == 1 and shape[t + offset] != 1 else loops[t + offset]
            for t in range(x.ndim)
        ]
        return f"{self.element_array(x)}[{', '.join(index)}]"

    def element_array(self, x: Expr) -> str:
        return next(param for y, param, _ in self.arrays if y is x)


def _bounded(x: Expr) -> bool:
    """Whether ``x`` is sin, cos or tanh of something (within [-1, 1], so always within the
    fast range of the trigonometric functions)."""
    if not x.inputs or x.dtype.kind != "f":
        return False
    return x.op.emit_float(x, ["_"] * len(x.inputs)) in _BOUNDED


_BOUNDED = frozenset(f"math.{name}(_)" for name in ("sin", "cos", "tanh"))


def _loop_names(d: int, namer: Any) -> list[str]:
    hints = ["i", "j", "k", "l"] if d <= 4 else [f"i{a}" for a in range(d)]
    return [namer.fresh(h) for h in hints[:d]]


def _total_fold(m: Expr) -> tuple[Reduction, Binary, float, bool]:
    """A region total: its reduction, and that reduction's fold (``Reduction.fold``: the op
    folding an element into the running result, its starting value, whether it is a mean).
    Regions total only reductions with a fold (``fusion.fold``)."""
    reduction, found = m.op, fold(m)
    assert isinstance(reduction, Reduction) and found is not None
    combine, initial, mean = found
    assert isinstance(combine, Binary)
    return reduction, combine, initial, mean


def _literal(value: np.generic) -> str:
    """A scalar constant as a literal of its own dtype inside a compiled loop."""
    if value.dtype in (np.float64, np.bool_, np.int64):
        return literals.scalar(value)
    return literals.typed_scalar(value)


def _cast(text: str, node: Expr) -> str:
    """A statement's expression in the node's dtype (compiled code computes float32 and
    bool arithmetic in wider types). ``float()`` of the float form is NumPy's float64,
    which also converts bools (Numba's ``float`` does not)."""
    text = _FLOAT_CALL.sub("np.float64(", text)
    if node.dtype == np.float64:
        return text
    return f"{_scalar_type(node.dtype)}({text})"


_FLOAT_CALL = re.compile(r"(?<![\w.])float\(")


def _scalar_type(dtype: np.dtype) -> str:
    return "np.bool_" if dtype.kind == "b" else f"np.{dtype_name(dtype)}"


def _call_argument(text: str, start: int) -> str:
    """The argument of the call whose opening bracket ends at ``start``."""
    depth = 1
    for i in range(start, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return text[start:i]
    raise AssertionError(f"unbalanced call in {text!r}")


def _shape_text(shape: tuple) -> str:
    dims = [str(s) if isinstance(s, int) else ascii(s)[1:-1] for s in shape]
    return f"({dims[0]},)" if len(dims) == 1 else f"({', '.join(dims)})"


def _describe(node: Expr) -> str:
    from .numpy_writer import describe

    return describe(node)
