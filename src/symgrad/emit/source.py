"""Write a graph as a standalone Python module that calls only numpy.

The module has one public function, ``evaluate``, with one parameter per input. Its body
checks and converts the inputs, binds symbolic dimensions, then computes one statement per
op, named after the op and the user's variables, and ``del``-s each intermediate right after
its last use so memory is released as early as in hand-written code.
"""

from __future__ import annotations

import dataclasses
from collections import ChainMap
from collections.abc import Callable, Sequence

from ..core.dtypes import dtype_name
from ..core.expr import Expr
from ..core.shapes import Shape, format_shape, size_of
from ..core.walk import topological_order
from ..errors import ShapeError
from ..ops.base import Helper, as_helper
from ..ops.leaves import Constant, Parameter, Variable
from ..ops.subgraph import Body, Item, MultiOutput
from . import blocking, literals, quiet, scalar
from .blocking import Region
from .names import Namer, hint

_PRELUDE = '''\
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


@dataclasses.dataclass(frozen=True)
class Emitted:
    """The source of a module, and what the executable needs to know about it.

    ``names`` lists (id of a node, the name it is given) in the order of the statements
    that assign them, so tools can find the statement computing each node."""

    source: str
    function: str
    statements: int
    names: tuple[tuple[int, str], ...] = ()


class _Names(ChainMap):  # type: ignore[type-arg]
    """The names of nodes in the emitted code, in nested scopes; every name given is also
    noted, in order, in ``given``."""

    def __init__(self, *maps: dict[int, str], given: list[tuple[int, str]] | None = None):
        super().__init__(*maps)
        self.given = [] if given is None else given

    def __setitem__(self, key: int, value: str) -> None:
        super().__setitem__(key, value)
        self.given.append((key, value))

    def new_child(self, m: dict[int, str] | None = None) -> _Names:  # type: ignore[override]
        return _Names({} if m is None else m, *self.maps, given=self.given)


class _Context:
    """What ops may ask while emitting (see ``symgrad.ops.base.EmitContext``)."""

    def __init__(self, dims: dict[str, str], op_name: Callable[[], str]):
        self._dims = dims
        self._op_name = op_name

    def dim(self, dim: int | str) -> str:
        if isinstance(dim, int):
            return str(dim)
        if dim not in self._dims:
            raise ShapeError(
                self._op_name(),
                f"the symbolic dimension {dim!r} is not the size "
                "of any input's axis, so it is unknown at run time",
            )
        return self._dims[dim]

    def shape(self, shape: Shape) -> str:
        dims = [self.dim(d) for d in shape]
        return f"({dims[0]},)" if len(dims) == 1 else f"({', '.join(dims)})"


def _describe(node: Expr) -> str:
    """Shape and dtype for a comment; symbolic dims escaped so they cannot end the comment."""
    shape = tuple(d if isinstance(d, int) else ascii(d)[1:-1] for d in node.shape)
    return f"{format_shape(shape)} {dtype_name(node.dtype)}"


class _Emitter:
    """Writes statements for graphs and, inside blocks (branches, loop bodies), subgraphs.

    One namer for the whole function: Python blocks share the function's scope, so every
    name is distinct. Each block sees the names of the enclosing ones (a ChainMap) and adds
    its own, so the two branches of a ``cond`` each compute what they need."""

    def __init__(self, namer: Namer, dims: dict[str, str], blocking: bool = True):
        self.namer = namer
        self.blocking = blocking
        self.dims = dims
        self.header: list[str] = []  # module-level constants
        self.helpers: dict[str, str | Helper] = {}
        self.uses_base64 = False
        self.statements = 0
        self.bare: dict[int, str] = {}  # weak scalar constants as plain literals
        self.current = ""
        self.ctx = _Context(dims, lambda: self.current)

    def nodes(
        self, order: Sequence[Expr], names: ChainMap[int, str], keep: set[int], indent: str
    ) -> list[str]:
        """Statements computing ``order`` (inputs before users) at ``indent``; intermediates
        not in ``keep`` are deleted after their last use."""
        segments = blocking.plan(order, keep) if self.blocking else list(order)
        life = _Lifetimes(
            [n for s in segments for n in (s.members if isinstance(s, Region) else (s,))]
        )
        silent, blocks = quiet.quiet_nodes(order, keep), quiet.QuietBlocks()
        body: list[str] = []
        for segment in segments:
            if isinstance(segment, Region):
                body += self._region(segment, names, keep, life, indent, silent, blocks)
                continue
            start = len(body)
            node = segment
            if isinstance(node.op, (Variable, Parameter)):
                if id(node) not in names:
                    raise AssertionError(f"{node.op.label()} is not bound")
                continue
            if isinstance(node.op, Item):
                continue  # named by the block that computes it
            if isinstance(node.op, Constant):
                self._constant(node, names, keep, body, indent)
                continue
            if id(node) not in names:  # else made early: a scatter a region filled in place
                self._statement(node, names, keep, life, indent, body)
            here = life.position[id(node)]
            dead = life.dying(node.inputs, here, here, keep, names)
            if dead:
                body.append(f"{indent}del {', '.join(dead)}")
            if id(node) in silent:
                blocks.wrap(body, start, indent)
        return body

    def _statement(
        self,
        node: Expr,
        names: ChainMap[int, str],
        keep: set[int],
        life: _Lifetimes,
        indent: str,
        body: list[str],
    ) -> None:
        op = node.op
        self.current = op.name
        self.helpers.update(op.helpers)
        args = self._args(node, names)
        if isinstance(op, MultiOutput):
            outs: list[str | None] = [None] * op.n_outputs
            for index, item in life.items_of.get(id(node), {}).items():
                outs[index] = names[id(item)] = self.namer.fresh(op.output_hint(index))
            body.append(f"{indent}# {op.name}")
            body.extend(op.emit_block(node, args, outs, _BlockContext(self, names, indent)))
        else:
            name = self.namer.fresh(hint(node))
            names[id(node)] = name
            text = _emit_reusing(node, args, life, keep, names)
            if text is None:
                text = op.emit(node, args, self.ctx)
            body.append(f"{indent}{name} = {text}  # {_describe(node)}")
        self.statements += 1

    def _args(self, node: Expr, names: ChainMap[int, str]) -> list[str]:
        args = [names[id(x)] for x in node.inputs]
        if node.op.accepts_weak_scalars and any(id(x) not in self.bare for x in node.inputs):
            # Bare literals take the dtype of the other operands, as the graph inferred
            # (the op's shape rule checks that they do; see check_weak_scalars).
            args = [self.bare.get(id(x), a) for x, a in zip(node.inputs, args)]
        return args

    def _region(
        self,
        region: Region,
        names: ChainMap[int, str],
        keep: set[int],
        life: _Lifetimes,
        indent: str,
        silent: set[int],
        blocks: quiet.QuietBlocks,
    ) -> list[str]:
        """A loop computing ``region`` a block of rows at a time: arrays needed whole are
        allocated first and filled block by block, totals accumulate, and every other
        member exists only one block at a time."""
        inner = indent + "    "
        unit = "elements" if len(region.shape) == 1 else "rows"
        lines = [f"{indent}# {region.rows} {unit} at a time, so the temporaries stay in cache"]
        members = {id(m) for m in region.members}
        for m in region.members:
            if id(m) in region.totals:
                name = names[id(m)] = self.namer.fresh(hint(m))
                init, _ = m.op.emit_total(m, "", name)
                lines.append(f"{indent}{name} = {init}  # {_describe(m)}")
            elif id(m) in region.whole:
                lines += self._whole(m, region, members, names, keep, life, indent)
        start = self.namer.fresh("start")
        rows = f"[{start}:{start} + {region.rows}]"
        lines.append(f"{indent}for {start} in range(0, {region.shape[0]}, {region.rows}):")
        # Inside the loop each member and each sliced operand names its current block.
        local = names.new_child()
        block_views: list[str] = []
        for m in region.members:
            for x in m.inputs:
                if id(x) in members or id(x) in local.maps[0] or not region.sliced(x):
                    continue
                view = self.namer.fresh(f"{names[id(x)]}_block")
                lines.append(f"{inner}{view} = {names[id(x)]}{rows}")
                local[id(x)] = view
                block_views.append(view)
        first = life.position[id(region.members[0])]
        last = life.position[id(region.members[-1])]
        temporaries = members - region.totals - region.whole
        for m in region.members:
            here = life.position[id(m)]
            start = len(lines)
            self.current = m.op.name
            self.helpers.update(m.op.helpers)
            if id(m) in region.totals:
                _, update = m.op.emit_total(m, local[id(m.inputs[0])], names[id(m)])
                lines.append(f"{inner}{update}")
            else:
                args = self._args(m, local)
                if id(m) in region.whole:
                    read_later = any(
                        life.position[id(r)] <= last for r in life.readers.get(id(m), ())
                    )
                    view = self._fill_block(m, args, names[id(m)] + rows, read_later, inner, lines)
                    if view is not None:
                        local[id(m)] = view
                        block_views.append(view)
                else:  # named in the loop only: nothing after it may read a block
                    text = _emit_reusing(m, args, life, keep, local, only=temporaries)
                    if text is None:
                        text = m.op.emit(m, args, self.ctx)
                    local[id(m)] = self.namer.fresh(hint(m))
                    lines.append(f"{inner}{local[id(m)]} = {text}")
            self.statements += 1
            dead = [
                local[id(x)]
                for x in dict.fromkeys(m.inputs)
                if id(x) in temporaries and life.last_use.get(id(x)) == here
            ]
            if dead:
                lines.append(f"{inner}del {', '.join(sorted(dead))}")
            if id(m) in silent:
                blocks.wrap(lines, start, inner)
        # Operands read last inside the loop, and the loop's views of them, die after it.
        outside = [x for m in region.members for x in m.inputs if id(x) not in members]
        dead = life.dying(outside, first, last, keep, names) + block_views
        if dead:
            lines.append(f"{indent}del {', '.join(sorted(dead))}")
        return lines

    def _whole(
        self,
        m: Expr,
        region: Region,
        members: set[int],
        names: ChainMap[int, str],
        keep: set[int],
        life: _Lifetimes,
        indent: str,
    ) -> list[str]:
        """Allocate the array of a region member needed whole. If its one reader only
        places it in zeros (a scatter, as gradients of slices are), allocate the reader's
        result and fill its slice instead: the reader then costs nothing."""
        outside = {id(r): r for r in life.readers.get(id(m), ()) if id(r) not in members}
        reader = next(iter(outside.values())) if len(outside) == 1 else None
        placement = (
            reader.op.emit_placement(reader, self.ctx)
            if reader is not None and id(m) not in keep and sum(x is m for x in reader.inputs) == 1
            else None
        )
        if placement is None:
            name = names[id(m)] = self.namer.fresh(hint(m))
            dtype = f"np.{dtype_name(m.dtype)}"
            return [f"{indent}{name} = np.empty({region.shape!r}, {dtype})  # {_describe(m)}"]
        zeros, index = placement
        result = names[id(reader)] = self.namer.fresh(hint(reader))
        name = names[id(m)] = self.namer.fresh(hint(m))
        return [
            f"{indent}{result} = {zeros}  # {_describe(reader)}",
            f"{indent}{name} = {result}{index}  # {_describe(m)}",
        ]

    def _fill_block(
        self, m: Expr, args: list[str], target: str, read_later: bool, indent: str, lines: list[str]
    ) -> str | None:
        """Write the current block of ``m`` into ``target`` (a slice of its whole array);
        if later members read it, return the name given to that block."""
        text = m.op.emit_into(m, args, target)
        if text is None:
            lines.append(f"{indent}{target} = {m.op.emit(m, args, self.ctx)}")
            text = target
        if not read_later:
            if text != target:
                lines.append(f"{indent}{text}")
            return None
        view = self.namer.fresh(f"{target.split('[')[0]}_block")
        lines.append(f"{indent}{view} = {text}")
        return view

    def _constant(
        self, node: Expr, names: ChainMap[int, str], keep: set[int], body: list[str], indent: str
    ) -> None:
        op = node.op
        value = op.value
        if value.ndim == 0 and op.weak:
            self.bare[id(node)] = literals.scalar(value[()])
        if value.ndim == 0 and id(node) not in keep:
            names[id(node)] = literals.typed_scalar(value[()])
            return
        if id(node) in names:
            return  # a module constant an enclosing block named
        name = self.namer.fresh("const")
        self.uses_base64 |= literals.needs_base64(value)
        self.header.append(f"{name} = {literals.array(value)}")
        if id(node) in keep:  # never hand out the module's own constant to be mutated
            out = self.namer.fresh("const")
            body.append(f"{indent}{out} = {name}.copy()")
            name = out
        names[id(node)] = name


class _BlockContext:
    """What a multi-output op may ask while it writes its block (see
    ``MultiOutput.emit_block``)."""

    def __init__(self, emitter: _Emitter, names: ChainMap[int, str], indent: str):
        self._emitter = emitter
        self._names = names
        self.indent = indent

    def fresh(self, hint: str) -> str:
        return self._emitter.namer.fresh(hint)

    def dim(self, dim: int | str) -> str:
        return self._emitter.ctx.dim(dim)

    def shape(self, shape: Shape) -> str:
        return self._emitter.ctx.shape(shape)

    def bind_dim(self, dim: str, name: str) -> None:
        """The run-time size ``dim`` is in the variable ``name`` from here on."""
        self._emitter.dims[dim] = name

    def body(self, body: Body, args: Sequence[str], indent: str) -> tuple[list[str], list[str]]:
        """Statements computing ``body`` with its parameters bound to the source names
        ``args`` (at ``indent``), and the source text of each result."""
        names = self._names.new_child({id(p): a for p, a in zip(body.params, args)})
        keep = {id(r) for r in body.results}
        order = [n for n in topological_order(body.results) if id(n) not in names]
        lines = self._emitter.nodes(order, names, keep, indent)
        return lines, [names[id(r)] for r in body.results]


def emit_module(
    inputs: Sequence[Expr],
    outputs: Sequence[Expr],
    order: Sequence[Expr],
    render_result: Callable[[list[str]], str],
    title: str = "",
    blocking: bool = True,
) -> Emitted:
    """Source of a module computing ``outputs`` from ``inputs``.

    ``order`` lists the nodes to compute, inputs before their users; ``render_result`` turns
    the outputs' names into the returned expression (which keeps the user's structure).
    ``blocking`` lets large elementwise chains run a block of rows at a time.
    """
    namer = Namer()
    names: ChainMap[int, str] = _Names()
    params = []
    for x in inputs:
        names[id(x)] = namer.fresh(x.op.var_name)
        params.append(names[id(x)])
    dims: dict[str, str] = {}
    body = _input_checks(inputs, names, dims, namer)
    emitter = _Emitter(namer, dims, blocking)

    with_floats = scalar.eligible(inputs, order)
    if not with_floats:
        keep = {id(x) for x in outputs} | {id(x) for x in inputs}
        body += emitter.nodes(order, names, keep, "    ")
        body.append(f"    return {render_result([names[id(x)] for x in outputs])}")
    statements = emitter.statements
    helpers = {name: as_helper(helper) for name, helper in emitter.helpers.items()}
    header = emitter.header
    imports = {"base64"} if emitter.uses_base64 else set()

    lines = ['"""' + (title or "Generated by symgrad.") + '"""', "", "import numpy as np"]
    if header:
        lines += [""] + header
    # User names go into comments only, ascii()-escaped: no name can end a comment or string.
    docs = [
        f"    # {names[id(x)]}: {_describe(x)}, variable {ascii(x.op.var_name)}" for x in inputs
    ]
    signature = ", ".join(params)
    given = names.given  # type: ignore[attr-defined]
    if with_floats:
        body = []  # the float function checks the inputs itself
        given = []
        float_lines = scalar.float_function(
            "_evaluate_floats",
            inputs,
            outputs,
            order,
            render_result,
            lambda float_names, float_namer: _input_checks(inputs, float_names, {}, float_namer),
            given,
        )
        statements = sum(
            1
            for line in float_lines
            if " = " in line and "_input(" not in line and "float(" not in line.split(" = ")[1][:6]
        )
        helpers["_with_numpy"] = as_helper(scalar.numpy_fallback())
        imports.add("math")
        lines += [
            "",
            "",
            f"def evaluate({signature}):",
            '    """Evaluate the compiled outputs from the inputs below, with Python floats (and',
            '    with NumPy where math raises, as for log(0) or an overflow)."""',
            *docs,
            "    try:",
            f"        return _evaluate_floats({signature})",
            "    except (ArithmeticError, ValueError):",
            f"        return _with_numpy(_evaluate_floats)({signature})",
            "",
            "",
            *float_lines,
        ]
    else:
        lines += [
            "",
            "",
            f"def evaluate({signature}):",
            '    """Evaluate the compiled outputs from the inputs below."""',
            *docs,
        ]
    lines += body
    imports.update(module for helper in helpers.values() for module in helper.imports)
    lines[2:2] = [f"import {module}" for module in sorted(imports)]
    # Helpers after the main function: a reader meets the computation first.
    for source in [_PRELUDE, *(helper.source for helper in helpers.values())]:
        lines += ["", "", source.rstrip("\n")]
    return Emitted("\n".join(lines) + "\n", "evaluate", statements, tuple(given))


class _Lifetimes:
    """Where each node is computed and read, in the order statements are emitted."""

    def __init__(self, flat: Sequence[Expr]):
        self.position = {id(node): i for i, node in enumerate(flat)}
        self.last_use: dict[int, int] = {}
        self.readers: dict[int, list[Expr]] = {}
        self.items_of: dict[int, dict[int, Expr]] = {}
        for node in flat:
            for x in node.inputs:
                self.last_use[id(x)] = self.position[id(node)]
                self.readers.setdefault(id(x), []).append(node)
            if isinstance(node.op, Item):
                self.items_of.setdefault(id(node.inputs[0]), {})[node.op.index] = node
        # Arrays another node views (reshape, transpose...) or aliases must never be overwritten.
        self.viewed = {id(x) for node in flat if not node.op.fresh for x in node.inputs}

    def dying(
        self,
        inputs: Sequence[Expr],
        first: int,
        last: int,
        keep: set[int],
        names: ChainMap[int, str],
    ) -> list[str]:
        """Names of the intermediates among ``inputs`` last read at positions first..last.
        Only names this block bound: a value an enclosing block computed (a constant
        subgraph a loop body shares with it) must outlive every run of the body."""
        local = names.maps[0]
        return sorted(
            {
                local[id(x)]
                for x in inputs
                if first <= self.last_use.get(id(x), -1) <= last
                and id(x) not in keep
                and not isinstance(x.op, (Variable, Constant, Parameter))
                and id(x) in local
            }
        )


REUSE_MIN_ELEMENTS = 8192


def _emit_reusing(
    node: Expr,
    args: list[str],
    life: _Lifetimes,
    keep: set[int],
    names: ChainMap[int, str],
    only: set[int] | None = None,
) -> str | None:
    """The statement writing ``node`` into the buffer of an input that dies here, if one
    fits: same shape and dtype, a new array of our own, viewed by nothing. This saves an
    allocation (and the page faults of a fresh large array) per elementwise op. Small
    arrays are left alone: there the saving is nil and ``x * y`` reads better."""
    factor, symbolic = size_of(node.shape)
    if node.ndim == 0 or (not symbolic and factor < REUSE_MIN_ELEMENTS):
        return None
    here = life.position[id(node)]
    for x in node.inputs:
        if (
            x.shape == node.shape
            and x.dtype == node.dtype
            and x.op.fresh
            and life.last_use.get(id(x)) == here
            and id(x) not in keep
            and id(x) not in life.viewed
            and (only is None or id(x) in only)
        ):
            return node.op.emit_into(node, args, names[id(x)])
    return None


def _input_checks(
    inputs: Sequence[Expr], names: dict[int, str], dims: dict[str, str], namer: Namer
) -> list[str]:
    """Convert each input and check its shape, binding symbolic dims on first sight."""
    lines: list[str] = []
    for x in inputs:
        p = names[id(x)]
        label = ascii(x.op.var_name)
        lines.append(f"    {p} = _input({p}, {label}, np.dtype({x.dtype.name!r}))")
        expected = ascii(format_shape(x.shape))
        if all(isinstance(d, int) for d in x.shape):
            lines.append(f"    if {p}.shape != {tuple(x.shape)!r}:")
            lines.append(f"        raise _shape_error({label}, {expected}, {p}.shape, {{}})")
            continue
        tests = [f"{p}.ndim != {x.ndim}"]
        new: dict[str, int] = {}
        for i, d in enumerate(x.shape):
            if isinstance(d, int):
                tests.append(f"{p}.shape[{i}] != {d}")
            elif d in dims:
                tests.append(f"{p}.shape[{i}] != {dims[d]}")
            elif d in new:
                tests.append(f"{p}.shape[{i}] != {p}.shape[{new[d]}]")
            else:
                new[d] = i
        bound = ", ".join(
            f"{ascii(d)}: {dims[d]}"
            for d in dict.fromkeys(d for d in x.shape if isinstance(d, str) and d in dims)
        )
        lines.append(f"    if {' or '.join(tests)}:")
        lines.append(f"        raise _shape_error({label}, {expected}, {p}.shape, {{{bound}}})")
        for d, i in new.items():
            dims[d] = namer.fresh(d)
            lines.append(f"    {dims[d]} = {p}.shape[{i}]")
    return lines
