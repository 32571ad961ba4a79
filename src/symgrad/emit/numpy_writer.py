"""The NumPy writer: a plan as a standalone Python module that calls only numpy.

The module's one public function, ``evaluate``, has one parameter per input. Its body checks
and converts the inputs, binds symbolic dimensions, then computes the plan's statements in
order, deleting each large intermediate after its last use. Where the plan computes a value
into a dead input's buffer the statement says so in place (``h += b1``,
``np.tanh(h, out=h)``). Graphs of 0-d floats are computed with Python floats (see
``symgrad.emit.scalar``).
"""

from __future__ import annotations

import re
from collections import ChainMap
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import cast

import numpy as np

from ..core.dtypes import dtype_name
from ..core.expr import Expr
from ..core.shapes import Shape, format_shape
from ..errors import ShapeError
from ..ops.base import Helper, as_helper
from ..ops.leaves import Constant, Variable
from ..ops.subgraph import Body, MultiOutput
from . import Emitted, literals, quiet, scalar
from .expressions import COMPARISON
from .inputs import PRELUDE, InputChecks
from .plan import Block, Blocked, Plan, Scope, Statement

#: The comment opening the derivative part of a function.
DERIVATIVES = "# derivatives"


def write(plan: Plan, render_result: Callable[[list[str]], str]) -> Emitted:
    """The module computing ``plan``; ``render_result`` turns the outputs' source texts into
    the returned expression (which keeps the user's structure)."""
    return _Writer(plan).module(render_result)


def _assemble(
    chunks: list[list[str]],
    statements: int,
    separately: bool,
    names: Sequence[tuple[int, str]] = (),
) -> Emitted:
    """The module from its top-level chunks, two blank lines apart; with the chunks
    themselves (and the line each starts on) if they are to be compiled one by one."""
    texts = ["\n".join(chunk) + "\n" for chunk in chunks]
    source = "\n\n".join(texts)
    parts: list[tuple[int, str]] = []
    if separately:
        line = 1
        for text in texts:
            parts.append((line, text))
            line += text.count("\n") + 2
    return Emitted(source, "evaluate", statements, tuple(parts), tuple(names))


def imports(header: list[str], modules: set[str]) -> list[str]:
    """``header`` (a docstring and a blank line) with ``import`` lines for ``modules``, in
    alphabetical order."""
    return header + [f"import {module}" for module in sorted(modules)]


def assigns(text: str, name: str) -> bool:
    """Whether the statement ``text`` assigns ``name`` (``name = ...``, ``name += ...``)."""
    return re.match(rf"{re.escape(name)} (?:[-+*/@%]|//|\*\*)?= ", text) is not None


def describe(node: Expr) -> str:
    """Shape and dtype for a comment; symbolic dims escaped so they cannot end the comment."""
    shape = tuple(d if isinstance(d, int) else ascii(d)[1:-1] for d in node.shape)
    return f"{format_shape(shape)} {dtype_name(node.dtype)}"


class _Context:
    """What ops may ask while their statements are written (``symgrad.ops.base.EmitContext``)."""

    def __init__(self, checks: InputChecks, pieces: int):
        self.dims = checks.dims
        self.used = checks.used
        self.op_name = ""
        # Where the function is written in pieces: the piece being written, the dim
        # variables each piece reads, and the piece binding each (-1: the input checks).
        self.piece = 0
        self.uses: list[set[str]] = [set() for _ in range(pieces)]
        self.home: dict[str, int] = {}

    def dim(self, dim: int | str) -> str:
        if isinstance(dim, int):
            return str(dim)
        name = self.dims.get(dim)
        if name is None:
            raise ShapeError(
                self.op_name,
                f"the symbolic dimension {dim!r} is not the size "
                "of any input's axis, so it is unknown at run time",
            )
        self.used.add(name)
        if self.uses:
            self.uses[self.piece].add(name)
        return name

    def shape(self, shape: Shape) -> str:
        dims = [self.dim(d) for d in shape]
        return f"({dims[0]},)" if len(dims) == 1 else f"({', '.join(dims)})"


class _Writer:
    #: The helper the input checks call to convert each input.
    convert = "_input"

    def __init__(self, plan: Plan):
        self.plan = plan
        self.floats = plan.floats
        self.checks = InputChecks(plan.inputs, plan.names, plan.namer, self.convert)
        self.ctx = _Context(self.checks, len(plan.pieces))
        self.helpers: dict[str, str | Helper] = {}
        self.statements = 0
        #: (node id, name) of each statement assigning a node's variable, in order.
        self.given: list[tuple[int, str]] = []
        self.literals: dict[int, str] = {}  # 0-d constants: their literal text
        self.bare: dict[int, str | None] = {}  # weak 0-d constants: the bare literal
        self.module_names: dict[int, str] = {}  # constants: their names in the module
        self.returned: dict[int, str] = {}  # body results written as expressions

    # --- the module -----------------------------------------------------------------------
    def start_module(self) -> tuple[dict[int, str], list[str], list[str]]:
        """The names of the main scope, the function's parameters, and the comment lines
        describing them; the inputs and constants are recorded as given."""
        plan = self.plan
        names = {**plan.names, **plan.main.names}
        params = [plan.names[id(x)] for x in plan.inputs]
        # User names go into comments only, ascii()-escaped: no name can end a comment.
        docs = []
        for x in plan.inputs:
            op = x.op
            assert isinstance(op, Variable)  # (a function's inputs are variables)
            docs.append(f"    # {plan.names[id(x)]}: {describe(x)}, variable {ascii(op.var_name)}")
        self.given += [(id(x), plan.names[id(x)]) for x in plan.inputs]
        self.given += [(id(node), name) for node, name in plan.constants]
        return names, params, docs

    def module(self, render_result: Callable[[list[str]], str]) -> Emitted:
        plan = self.plan
        names, params, docs = self.start_module()
        signature = ", ".join(params)
        if plan.pieces:
            body, parts = self.pieces(names, render_result)
        else:
            body, parts = self.scope(plan.main, names, "    "), []
            body.append(f"    return {render_result(self.results(names))}")
        checks = self.checks.without_unused()
        if self.floats:
            self.helpers["_with_numpy"] = scalar.numpy_fallback()
        helpers = [as_helper(helper) for helper in self.helpers.values()]
        modules = {"numpy as np"} | {m for helper in helpers for m in helper.imports}
        if self.floats:
            modules.add("math")
        if any(literals.needs_base64(_constant(node).value) for node, _ in plan.constants):
            modules.add("base64")
        more = self.imports(modules)
        header = imports(['"""Generated by symgrad."""', ""], modules) + more
        if plan.constants:
            header.append("")
            header += [
                f"{name} = {literals.array(_constant(node).value)}" for node, name in plan.constants
            ]
        chunks = [header]
        if self.floats:
            chunks.append(
                [
                    f"def evaluate({signature}):",
                    '    """Evaluate the compiled outputs from the inputs below, with Python '
                    "floats (and",
                    '    with NumPy where math raises, as for log(0) or an overflow)."""',
                    *docs,
                    "    try:",
                    f"        return _evaluate_floats({signature})",
                    "    except (ArithmeticError, ValueError):",
                    f"        return _with_numpy(_evaluate_floats)({signature})",
                ]
            )
            chunks.append(
                [
                    f"def _evaluate_floats({signature}):",
                    '    """The outputs computed with Python floats and the math module."""',
                    *checks,
                    *[f"    {p} = float({p})" for p in params],
                    *body,
                ]
            )
        else:
            chunks.append(
                [
                    f"def evaluate({signature}):",
                    '    """Evaluate the compiled outputs from the inputs below."""',
                    *docs,
                    *checks,
                    *body,
                ]
            )
        chunks += parts
        # Helpers after the main function: a reader meets the computation first.
        sources = [PRELUDE, *(helper.source for helper in helpers)]
        chunks += [source.rstrip("\n").split("\n") for source in sources]
        return _assemble(chunks, self.statements, bool(parts), self.given)

    def results(self, names: Mapping[int, str]) -> list[str]:
        results = [self.value(x, names) for x in self.plan.outputs]
        if self.floats:
            results = [f"np.{x.dtype.name}({r})" for x, r in zip(self.plan.outputs, results)]
        return results

    def pieces(
        self, names: dict[int, str], render_result: Callable[[list[str]], str]
    ) -> tuple[list[str], list[list[str]]]:
        """The body as calls of one function per piece of the plan, and those functions.
        Values crossing between pieces go through a dict; so do sizes of symbolic dims."""
        plan, ctx = self.plan, self.ctx
        store = plan.namer.fresh("values")
        part_names = [plan.namer.fresh(f"_part_{k + 1}") for k in range(len(plan.pieces))]
        bodies = []
        given, self.given = self.given, []
        for k, piece in enumerate(plan.pieces):
            ctx.piece = k
            # A value a piece loads is assigned again there (taken from the dict).
            given += [(id(x), names[id(x)]) for x, _ in piece.loads]
            bodies.append(self.scope(plan.main, names, "    ", piece.start, piece.stop))
            given += self.given
            self.given = []
        self.given = given
        first = {name: k for k, used in enumerate(ctx.uses) for name in used}
        parts = []
        for k, (piece, part, lines) in enumerate(zip(plan.pieces, part_names, bodies)):
            head = [
                f"    {name} = {store}.pop({name!r})" if last else f"    {name} = {store}[{name!r}]"
                for name, last in [(names[id(x)], last) for x, last in piece.loads]
            ]
            # Sizes bound in another piece: taken where used, put where bound.
            head += [
                f"    {name} = {store}[{name!r}]"
                for name in sorted(ctx.uses[k])
                if ctx.home.get(name, -1) != k
            ]
            tail = [f"    {store}[{names[id(x)]!r}] = {names[id(x)]}" for x in piece.stores]
            tail += [
                f"    {store}[{name!r}] = {name}"
                for name, home in ctx.home.items()
                if home == k and any(name in used for used in ctx.uses[k + 1 :])
            ]
            parts.append([f"def {part}({store}):", *head, *lines, *tail])
        loaded = {id(x) for piece in plan.pieces for x, _ in piece.loads}
        entries = [f"{names[id(x)]!r}: {names[id(x)]}" for x in plan.inputs if id(x) in loaded]
        entries += [f"{name!r}: {name}" for name in first if ctx.home.get(name, -1) == -1]
        body = [f"    {store} = {{{', '.join(entries)}}}"]
        body += [f"    {part}({store})" for part in part_names]
        outputs = {id(x) for x in plan.outputs}
        results = {
            id(x): f"{store}[{names[id(x)]!r}]"
            for piece in plan.pieces
            for x in piece.stores
            if id(x) in outputs
        }
        body.append(f"    return {render_result(self.results({**names, **results}))}")
        return body, parts

    # --- values ---------------------------------------------------------------------------
    def value(self, x: Expr, names: Mapping[int, str]) -> str:
        """The source text of a value: its variable, or a literal for a 0-d constant."""
        name = names.get(id(x))
        if name is not None:
            return name
        if isinstance(x.op, Constant):
            text = self.literals.get(id(x))
            if text is None:
                value = element(x.op)
                text = literals.scalar(value) if self.floats else literals.typed_scalar(value)
                self.literals[id(x)] = text
            return text
        raise AssertionError(f"{x.op.label()} has no variable")

    def _bare(self, x: Expr) -> str | None:
        """A weak 0-d constant as a plain literal (it takes the dtype of the other
        operands)."""
        if id(x) not in self.bare:
            op = x.op
            text = None
            if isinstance(op, Constant) and op.weak and x.ndim == 0:
                text = literals.scalar(element(op))
            self.bare[id(x)] = text
        return self.bare[id(x)]

    def args(
        self, node: Expr, names: Mapping[int, str], inline: dict[int, tuple[str, int]]
    ) -> list[str]:
        """The source text of each operand of ``node``: a variable, a literal, or the
        expression written inside (bracketed where the template needs it)."""
        args = []
        for i, x in enumerate(node.inputs):
            name = names.get(id(x))
            if name is None:
                found = inline.get(id(x))
                if found is not None:
                    name = self.plan.forms[id(node)].wrap(i, *found)
                else:
                    name = self.value(x, names)
            args.append(name)
        # Bare literals take the dtype of the other operands, as the graph inferred (the
        # op's shape rule checks that they do; see check_weak_scalars): only where some
        # operand is not a weak 0-d constant itself.
        if not self.floats and node.op.accepts_weak_scalars:
            bare = [self._bare(x) for x in node.inputs]
            if any(b is None for b in bare):
                args = [a if b is None else b for a, b in zip(args, bare)]
        return args

    def expression(self, node: Expr, args: Sequence[str]) -> str:
        op = node.op
        self.ctx.op_name = op.name
        if op.helpers:
            self.helpers.update(op.helpers)
        if self.floats:
            text = op.emit_float(node, args)
            if text is None:
                raise AssertionError(f"{op.name} has no float form")
            return text
        return op.emit(node, args, self.ctx)

    # --- steps ----------------------------------------------------------------------------
    def scope(
        self,
        scope: Scope,
        names: Mapping[int, str],
        indent: str,
        start: int = 0,
        stop: int | None = None,
    ) -> list[str]:
        """The statements of ``scope`` (of its steps ``start:stop``) at ``indent``."""
        lines: list[str] = []
        silent, blocks = scope.quiet, quiet.QuietBlocks()
        for i, step in enumerate(scope.steps[start:stop], start):
            if i == scope.derivatives_from:
                lines.append(f"{indent}{DERIVATIVES}")
            first = len(lines)
            if isinstance(step, Statement):
                self.statement(step, names, indent, lines)
                # What a selection discards is computed with warnings off (symgrad.emit.quiet)
                hushed = bool(silent) and len(lines) > first and id(step.node) in silent
                if step.free:
                    self.free(step.free, names, indent, lines)
                if hushed:
                    blocks.wrap(lines, first, indent)
                continue
            if isinstance(step, Block):
                self.block(step, names, indent, lines)
            else:
                lines += self.region(step, names, indent, silent)
            self.free(step.free, names, indent, lines)
        return lines

    def imports(self, modules: set[str]) -> list[str]:
        """What a backend's writer imports besides ``modules`` (the modules the helpers
        import, to which it may add): lines after the ``import`` lines."""
        return []

    def region(
        self, step: Blocked, names: Mapping[int, str], indent: str, silent: set[int]
    ) -> list[str]:
        """The lines computing a region (here: a loop over blocks of rows); the members in
        ``silent`` are computed with warnings off (``Scope.quiet``)."""
        return _RegionWriter(self, step, names, indent, silent).lines()

    def statement(
        self, step: Statement, names: Mapping[int, str], indent: str, lines: list[str]
    ) -> None:
        node = step.node
        if step.placed:
            return  # computed by the region that filled it
        target = names.get(id(node), "")
        if isinstance(node.op, Constant):
            if not self.module_names:
                self.module_names.update((id(n), m) for n, m in self.plan.constants)
            lines.append(f"{indent}{target} = {self.module_names[id(node)]}.copy()")
            self.given.append((id(node), target))
            return
        self.statements += 1
        if self.floats and not step.inlined and not step.returned:
            self.float_statement(node, target, names, indent, lines)
            return
        inline: dict[int, tuple[str, int]] = {}
        forms = self.plan.forms
        for n in step.inlined:
            text = self.expression(n, self.args(n, names, inline))
            inline[id(n)] = (text, forms[id(n)].precedence)
        args = self.args(node, names, inline)
        if step.returned:  # (bracketed unless it binds at least as a comparison does)
            text = self.expression(node, args)
            low = self.plan.forms[id(node)].precedence < COMPARISON
            self.returned[id(node)] = f"({text})" if low else text
            return
        if step.into is not None:
            text = self.in_place(node, args, step.into, names)
            lines.append(f"{indent}{text}")
            if assigns(text, target):  # (not a call writing with out=)
                self.given.append((id(node), target))
            return
        text = self.expression(node, args)
        if self.floats or any(names.get(id(x)) == target for x in node.inputs):
            lines.append(f"{indent}{target} = {text}")
        else:  # a new variable: say what it holds
            lines.append(f"{indent}{target} = {text}  # {describe(node)}")
        self.given.append((id(node), target))

    def float_statement(
        self, node: Expr, target: str, names: Mapping[int, str], indent: str, lines: list[str]
    ) -> None:
        """A statement of one op on the float path (most statements of a long scalar
        graph): what ``statement`` does for it, without what floats never have."""
        op = node.op
        self.ctx.op_name = op.name
        if op.helpers:
            self.helpers.update(op.helpers)
        literals = self.literals  # (the constants' literals, once each is written)
        args = [
            names.get(id(x)) or literals.get(id(x)) or self.value(x, names) for x in node.inputs
        ]
        text = op.emit_float(node, args)
        if text is None:
            raise AssertionError(f"{op.name} has no float form")
        lines.append(f"{indent}{target} = {text}")
        self.given.append((id(node), target))

    def in_place(self, node: Expr, args: list[str], into: Expr, names: Mapping[int, str]) -> str:
        """The statement computing ``node`` into the buffer of its input ``into``."""
        op = node.op
        out = names[id(into)]
        i = next(k for k, x in enumerate(node.inputs) if x is into)
        self.ctx.op_name = op.name
        if op.helpers:
            self.helpers.update(op.helpers)
        if op.augmented and len(args) == 2 and (i == 0 or op.commutative):
            return f"{out} {op.augmented}= {args[1 - i]}"
        text = op.emit_into(node, args, out)
        if text is None:
            raise AssertionError(f"{op.name} cannot write into {out}")
        return text

    def block(self, step: Block, names: Mapping[int, str], indent: str, lines: list[str]) -> None:
        node = step.node
        op = node.op
        self.ctx.op_name = op.name
        if op.helpers:
            self.helpers.update(op.helpers)
        args = [self.value(x, names) for x in node.inputs]
        self.given_items(step, names)
        lines.append(f"{indent}# {op.name}")
        assert isinstance(op, MultiOutput)  # (blocks are the steps of multi-output ops)
        lines += op.emit_block(node, args, step.outs, _BlockContext(self, node, names, indent))
        self.statements += 1

    def given_items(self, step: Block, names: Mapping[int, str]) -> None:
        """Note the names of a block's outputs (assigned first in the block's code)."""
        self.given += [(id(item), names[id(item)]) for item in step.items]

    def free(
        self, values: Sequence[Expr], names: Mapping[int, str], indent: str, lines: list[str]
    ) -> None:
        """``del`` the variables of dead arrays (0-d values are left to be rebound)."""
        if self.floats or not values:
            return
        dead = sorted({names[id(x)] for x in values if x.ndim > 0})
        if dead:
            lines.append(f"{indent}del {', '.join(dead)}")


class _BlockContext:
    """What a multi-output op may ask while it writes its block (``MultiOutput.emit_block``)."""

    def __init__(self, writer: _Writer, node: Expr, names: Mapping[int, str], indent: str):
        self._writer = writer
        self._node = node
        self._names = names
        self.indent = indent

    def fresh(self, hint: str) -> str:
        return self._writer.plan.namer.fresh(hint)

    def dim(self, dim: int | str) -> str:
        return self._writer.ctx.dim(dim)

    def shape(self, shape: Shape) -> str:
        return self._writer.ctx.shape(shape)

    def bind_dim(self, dim: str, name: str) -> None:
        """The run-time size ``dim`` is in the variable ``name`` from here on."""
        ctx = self._writer.ctx
        ctx.dims[dim] = name
        ctx.home[name] = ctx.piece

    def body(self, body: Body, args: Sequence[str], indent: str) -> tuple[list[str], list[str]]:
        """Statements computing ``body`` with its parameters bound to the source texts
        ``args`` (at ``indent``), and the source text of each result."""
        writer = self._writer
        scope = writer.plan.body(self._node, body)
        params = {id(p): a for p, a in zip(body.params, args)}
        # (ChainMap's stub wants every map mutable; only the first is ever written.)
        names = ChainMap(scope.names, params, cast(MutableMapping[int, str], self._names))
        lines = writer.scope(scope, names, indent)
        returned = writer.returned
        texts = []
        for r in body.results:
            text = returned.pop(id(r), None)
            texts.append(text or writer.value(r, names))
        return lines, texts


class _RegionWriter:
    """A loop computing a region a block of rows at a time: arrays needed whole are
    allocated first and filled block by block, totals accumulate, and every other member
    exists only one block at a time."""

    def __init__(
        self,
        writer: _Writer,
        step: Blocked,
        names: Mapping[int, str],
        indent: str,
        silent: set[int],
    ):
        self.writer = writer
        self.step = step
        self.names = names
        self.indent = indent
        self.silent = silent  # members computed with warnings off (Scope.quiet)

    def lines(self) -> list[str]:
        writer, step, names, indent = self.writer, self.step, self.names, self.indent
        region = step.region
        inner = indent + "    "
        unit = "elements" if len(region.shape) == 1 else "rows"
        lines = [f"{indent}# {region.rows} {unit} at a time, so the temporaries stay in cache"]
        members = {id(m) for m in region.members}
        given = writer.given
        for m in region.members:
            if id(m) in region.totals:
                init, _ = _total(m, "", names[id(m)])
                lines.append(f"{indent}{names[id(m)]} = {init}  # {describe(m)}")
                given.append((id(m), names[id(m)]))
            elif id(m) in region.whole:
                lines += self._whole(m)
        namer = writer.plan.namer
        start = namer.fresh("start")
        rows = f"[{start}:{start} + {region.rows}]"
        lines.append(f"{indent}for {start} in range(0, {region.shape[0]}, {region.rows}):")
        # Inside the loop each member and each sliced operand names its current block.
        # (ChainMap's stub wants every map mutable; only the first is ever written.)
        local: ChainMap[int, str] = ChainMap({}, cast(MutableMapping[int, str], names))
        views: list[str] = []
        for m in region.members:
            for x in m.inputs:
                if id(x) in members or id(x) in local.maps[0] or not region.sliced(x):
                    continue
                view = namer.fresh(f"{writer.value(x, names)}_block")
                lines.append(f"{inner}{view} = {names[id(x)]}{rows}")
                local[id(x)] = view
                views.append(view)
        blocks = quiet.QuietBlocks()
        for m in region.members:
            writer.statements += 1
            first = len(lines)
            if id(m) in region.totals:
                _, update = _total(m, local[id(m.inputs[0])], names[id(m)])
                lines.append(f"{inner}{update}")
                if assigns(update, names[id(m)]):  # (assigned again: noted again)
                    given.append((id(m), names[id(m)]))
            elif id(m) in region.whole:
                filled = self._fill(m, writer.args(m, local, {}), names[id(m)] + rows, lines)
                if filled is not None:
                    local[id(m)] = filled
                    views.append(filled)
            elif id(m) in step.into:
                text = writer.in_place(m, writer.args(m, local, {}), step.into[id(m)], local)
                lines.append(f"{inner}{text}")
                if assigns(text, names[id(m)]):
                    given.append((id(m), names[id(m)]))
            else:
                text = writer.expression(m, writer.args(m, local, {}))
                lines.append(f"{inner}{names[id(m)]} = {text}")
                given.append((id(m), names[id(m)]))
            dead = step.dead.get(id(m))
            if dead:
                lines.append(f"{inner}del {', '.join(sorted(local[id(x)] for x in dead))}")
            if id(m) in self.silent:
                blocks.wrap(lines, first, inner)
        # The loop's views die with it; operands read last inside the loop are freed after.
        if views:
            lines.append(f"{indent}del {', '.join(sorted(views))}")
        return lines

    def _whole(self, m: Expr) -> list[str]:
        """Allocate a member needed whole; if it is placed in its reader's zeros, allocate
        those and name the member's part of them."""
        names, indent = self.names, self.indent
        reader = self.step.placed.get(id(m))
        if reader is None:
            shape = self.step.region.shape
            dtype = f"np.{dtype_name(m.dtype)}"
            self.writer.given.append((id(m), names[id(m)]))
            return [f"{indent}{names[id(m)]} = np.empty({shape!r}, {dtype})  # {describe(m)}"]
        placement = reader.op.emit_placement(reader, self.writer.ctx)
        if placement is None:
            raise AssertionError(f"{reader.op.name} has no placement")
        zeros, index = placement
        result = names[id(reader)]
        self.writer.given += [(id(reader), result), (id(m), names[id(m)])]
        return [
            f"{indent}{result} = {zeros}  # {describe(reader)}",
            f"{indent}{names[id(m)]} = {result}{index}  # {describe(m)}",
        ]

    def _fill(self, m: Expr, args: list[str], target: str, lines: list[str]) -> str | None:
        """Write the current block of ``m`` into ``target`` (a slice of its whole array);
        if later members read it, return the name given to that block."""
        writer = self.writer
        inner = self.indent + "    "
        text = m.op.emit_into(m, args, target)
        if text is None:
            lines.append(f"{inner}{target} = {writer.expression(m, args)}")
            text = target
        else:
            writer.ctx.op_name = m.op.name
            if m.op.helpers:
                writer.helpers.update(m.op.helpers)
        if id(m) not in self.step.read_inside:
            if text != target:
                lines.append(f"{inner}{text}")
            return None
        view = writer.plan.namer.fresh(f"{target.split('[')[0]}_block")
        lines.append(f"{inner}{view} = {text}")
        return view


def element(constant: Constant) -> np.generic:
    """The value of a 0-d constant, as a NumPy scalar."""
    value = constant.value[()]
    assert isinstance(value, np.generic)  # (NumPy's stubs type ``[()]`` as an array)
    return value


def _constant(node: Expr) -> Constant:
    """The op of a constant the module holds (``Plan.constants``)."""
    op = node.op
    assert isinstance(op, Constant)
    return op


def _total(m: Expr, block: str, total: str) -> tuple[str, str]:
    """A region total's running total (``Op.emit_total``: blocking makes totals only of
    reductions that have one)."""
    found = m.op.emit_total(m, block, total)
    if found is None:
        raise AssertionError(f"{m.op.name} has no running total")
    return found
