"""Graphs of 0-d floats for the Numba backend: one native function, from LLVM IR.

A scalar graph (every value a 0-d float64 or bool: ``symgrad.emit.scalar``) has no loop to
fuse: it is thousands of operations on single numbers. The NumPy backend computes them with
Python floats; compiled, they run several times faster. Numba's front end costs about 3 ms
per statement, too much for thousands of them, so this writer emits the graph as LLVM IR
(one instruction or libm call per op) and compiles it with llvmlite, Numba's own code
generator: a fraction of a second, and the object code is kept on disk beside the module.

The module shows the computation twice, from the same plan: ``_evaluate_floats``, the
readable Python statements of the NumPy backend's float path (one per op; not called), and
``_SCALAR_IR``, the instructions that run. ``evaluate`` checks its inputs and calls the
native function. Where Python's ``math`` would raise, the native function gives NumPy's inf
or nan (C's libm and IEEE arithmetic behave as NumPy does).

The IR comes from each op's float form (``Op.emit_float``, a Python expression), read with
``ast``: arithmetic, comparisons, conditional expressions, ``abs``, ``float`` and ``math``
functions, which are libm's functions of the same names. ``sin`` and ``cos`` of one value
are one call to ``sincos``. A graph whose float forms use anything else is written by the
NumPy writer instead, as are graphs long enough to be written in pieces.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import struct
from collections.abc import Callable, Mapping

import numpy as np

from ..core.expr import Expr
from ..ops.base import as_helper
from ..ops.leaves import Constant
from . import Emitted, numpy_writer
from .expressions import placeholders
from .numpy_writer import _assemble, _Writer
from .plan import Plan, Statement

#: Compiles the IR (object code kept in ``__pycache__`` beside the module) and wraps it.
RUNTIME = '''\
def _native(ir, name, inputs):
    """The function `name` of the LLVM IR `ir` compiled for this CPU, callable with `inputs`
    floats and an array of doubles for the results. The object code is kept in __pycache__
    beside this file, named by a hash of the IR and the CPU, and read from there next time."""
    import ctypes
    import hashlib

    import llvmlite
    import llvmlite.binding as llvm

    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    cpu, features = llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten()
    # No optimization passes (the graph is optimized already): fast instruction selection.
    machine = llvm.Target.from_default_triple().create_target_machine(
        cpu=cpu, features=features, opt=0)
    key = hashlib.sha256("\\0".join(
        [ir, machine.triple, cpu, features, llvmlite.__version__]).encode()).hexdigest()[:32]
    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "__pycache__")
    path = os.path.join(folder, f"{name}.{key}.o")
    try:
        with open(path, "rb") as file:
            code = file.read()
    except OSError:
        module = llvm.parse_assembly(ir)
        module.verify()
        code = machine.emit_object(module)
        try:  # written under another name, then renamed: readers never see half a file
            os.makedirs(folder, exist_ok=True)
            temporary = f"{path}.{os.getpid()}.tmp"
            with open(temporary, "wb") as file:
                file.write(code)
            os.replace(temporary, path)
        except OSError:
            pass  # a folder we cannot write to: compile again next time
    engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), machine)
    engine.add_object_file(llvm.ObjectFileRef.from_data(code))
    engine.finalize_object()
    double = ctypes.c_double
    prototype = ctypes.CFUNCTYPE(None, *[double] * inputs, ctypes.POINTER(double))
    function = prototype(engine.get_function_address(name))
    function.engine = engine  # the code lives as long as the function
    return function
'''

_IR_NAME = "evaluate_floats"


class Unsupported(Exception):
    """A float form the IR writer does not translate."""


def write(plan: Plan, render_result: Callable[[list[str]], str]) -> Emitted:
    """The module computing ``plan`` (a graph of 0-d floats) with one native function."""
    from .numba_writer import load

    if plan.pieces:
        return numpy_writer.write(plan, render_result)
    try:
        ir = _IRWriter(plan).module()
    except Unsupported:
        return numpy_writer.write(plan, render_result)
    writer = _ScalarWriter(plan)
    return writer.module_with(ir, render_result, load)


class _ScalarWriter(_Writer):
    def module_with(
        self, ir: str, render_result: Callable[[list[str]], str], load: Callable
    ) -> Emitted:
        plan = self.plan
        names, params, docs = self.start_module()
        signature = ", ".join(params)
        body = self.scope(plan.main, names, "    ")
        body.append(f"    return {render_result(self.results(names))}")
        checks = self.checks.without_unused()
        out = plan.namer.fresh("out")
        results = []
        for i, x in enumerate(plan.outputs):
            kind = "np.bool_" if x.dtype.kind == "b" else f"np.{x.dtype.name}"
            results.append(f"{kind}({out}[{i}])")
        helpers = [as_helper(helper) for helper in self.helpers.values()]
        modules = {"ctypes", "math", "os", "numpy as np"}
        modules |= {m for helper in helpers for m in helper.imports}
        header = numpy_writer.imports(['"""Generated by symgrad."""', ""], modules)
        main = [
            f"def evaluate({signature}):",
            '    """Evaluate the compiled outputs from the inputs below, with the native function',
            "    compiled from _SCALAR_IR (the statements of _evaluate_floats, in LLVM IR).",
            '    Where math would raise (log of 0, an overflow), it gives inf or nan, as NumPy."""',
            *docs,
            *checks,
            f"    {out} = (ctypes.c_double * {len(plan.outputs)})()",
            f"    _native_function({', '.join([*(f'float({p})' for p in params), out])})",
            f"    return {render_result(results)}",
        ]
        floats = [
            f"def _evaluate_floats({signature}):",
            '    """The computation with Python floats: what _SCALAR_IR computes, one statement',
            '    per op (not called: it documents the IR)."""',
            *[f"    {p} = float({p})" for p in params],
            *body,
        ]
        tail = [
            f"_SCALAR_IR = {_ir_literal(ir)}",
            "",
            "",
            *RUNTIME.rstrip("\n").split("\n"),
            "",
            "",
            f"_native_function = _native(_SCALAR_IR, {_IR_NAME!r}, {len(params)})",
        ]
        chunks = [header, main, floats]
        sources = [numpy_writer.PRELUDE, *(helper.source for helper in helpers)]
        chunks += [source.rstrip("\n").split("\n") for source in sources]
        chunks.append(tail)
        emitted = _assemble(chunks, self.statements, False, self.given)
        return dataclasses.replace(emitted, load=load)


def _ir_literal(ir: str) -> str:
    """The IR as a triple-quoted Python string (it holds no quotes or backslashes)."""
    if '"""' in ir or "\\" in ir:
        raise AssertionError("IR text that a triple-quoted string cannot hold")
    return '"""\\\n' + ir + '"""'


# --- the IR ------------------------------------------------------------------------------------

_COMPARE = {
    ast.Lt: "olt",
    ast.LtE: "ole",
    ast.Gt: "ogt",
    ast.GtE: "oge",
    ast.Eq: "oeq",
    ast.NotEq: "une",  # true where either is nan, as Python's != is
}
_ARITHMETIC = {ast.Add: "fadd", ast.Sub: "fsub", ast.Mult: "fmul", ast.Div: "fdiv"}
#: math functions of one float that libm has under the same name.
_LIBM_UNARY = frozenset(
    ("sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh")
    + ("atanh", "exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "fabs", "floor", "ceil")
)
_LIBM_BINARY = frozenset(("pow", "atan2", "hypot", "fmod", "copysign"))


class _Call:
    """A libm call, written once all are known (so that sin and cos of one value pair)."""

    __slots__ = ("target", "function", "args")

    def __init__(self, target: str, function: str, args: tuple[str, ...]):
        self.target = target
        self.function = function
        self.args = args


class _IRWriter:
    def __init__(self, plan: Plan):
        self.plan = plan
        self.lines: list[str | _Call] = []
        self.count = 0
        self.values: dict[int, tuple[str, str]] = {}  # node -> (SSA value, type)
        self.calls: dict[tuple[str, tuple[str, ...]], str] = {}
        self.declared: set[str] = set()

    def fresh(self) -> str:
        self.count += 1
        return f"%t{self.count}"

    def module(self) -> str:
        plan = self.plan
        params = []
        for i, x in enumerate(plan.inputs):
            self.values[id(x)] = (f"%in{i}", "double")
            params.append(f"double %in{i}")
        for step in plan.main.steps:
            if not isinstance(step, Statement) or step.inlined or step.placed:
                raise Unsupported("a step other than one op")
            node = step.node
            args = [self.operand(x) for x in node.inputs]
            text = node.op.emit_float(node, placeholders(len(node.inputs)))
            if text is None:
                raise Unsupported(node.op.name)
            env = dict(zip(placeholders(len(node.inputs)), args))
            value = self.expression(_parsed(text), env)
            boolean = node.dtype == np.bool_
            self.values[id(node)] = self.boolean(value) if boolean else self.double(value)
        stores = []
        for i, x in enumerate(plan.outputs):
            stored, _ = self.double(self.operand(x))
            pointer = self.fresh()
            stores.append(f"  {pointer} = getelementptr double, double* %out, i64 {i}")
            stores.append(f"  store double {stored}, double* {pointer}")
        body = self.calls_written()
        head = [
            *sorted(self.declared),
            "",
            f"define void @{_IR_NAME}({', '.join([*params, 'double* noalias nocapture %out'])}) {{",
            "entry:",
        ]
        if any("@sincos" in line for line in self.declared):
            head += ["  %sin = alloca double", "  %cos = alloca double"]
        return "\n".join([*head, *body, *stores, "  ret void", "}"]) + "\n"

    def operand(self, x: Expr) -> tuple[str, str]:
        found = self.values.get(id(x))
        if found is not None:
            return found
        if isinstance(x.op, Constant):
            value = x.op.value[()]
            if value.dtype == np.bool_:
                return ("true" if value else "false"), "i1"
            return _double(float(value)), "double"
        raise Unsupported(f"{x.op.name} has no value")

    # --- expressions ----------------------------------------------------------------------
    def expression(self, tree: ast.expr, env: Mapping[str, tuple[str, str]]) -> tuple[str, str]:
        if isinstance(tree, ast.Name):
            if tree.id not in env:
                raise Unsupported(tree.id)
            return env[tree.id]
        if isinstance(tree, ast.Constant):
            if isinstance(tree.value, bool):
                return ("true" if tree.value else "false"), "i1"
            if isinstance(tree.value, (int, float)):
                return _double(float(tree.value)), "double"
            raise Unsupported(repr(tree.value))
        if isinstance(tree, ast.Attribute):  # np.nan, np.inf
            np_name = isinstance(tree.value, ast.Name) and tree.value.id == "np"
            if np_name and tree.attr in ("nan", "inf", "pi", "e"):
                return _double(float(getattr(np, tree.attr))), "double"
            raise Unsupported(ast.unparse(tree))
        if isinstance(tree, ast.UnaryOp):
            value = self.expression(tree.operand, env)
            if isinstance(tree.op, ast.USub):
                return self.emit(f"fneg double {self.double(value)[0]}", "double")
            if isinstance(tree.op, ast.UAdd):
                return self.double(value)
            if isinstance(tree.op, ast.Not):
                return self.emit(f"xor i1 {self.boolean(value)[0]}, true", "i1")
            raise Unsupported(ast.unparse(tree))
        if isinstance(tree, ast.BinOp):
            a = self.double(self.expression(tree.left, env))[0]
            b = self.double(self.expression(tree.right, env))[0]
            instruction = _ARITHMETIC.get(type(tree.op))
            if instruction is not None:
                return self.emit(f"{instruction} double {a}, {b}", "double")
            if isinstance(tree.op, ast.Pow):
                return self.call("pow", (a, b))
            raise Unsupported(ast.unparse(tree))
        if isinstance(tree, ast.Compare):
            left = self.double(self.expression(tree.left, env))[0]
            result = None
            for op, right_tree in zip(tree.ops, tree.comparators):
                right = self.double(self.expression(right_tree, env))[0]
                predicate = _COMPARE.get(type(op))
                if predicate is None:
                    raise Unsupported(ast.unparse(tree))
                test = self.emit(f"fcmp {predicate} double {left}, {right}", "i1")[0]
                result = test if result is None else self.emit(f"and i1 {result}, {test}", "i1")[0]
                left = right
            assert result is not None  # (a comparison has at least one operator)
            return result, "i1"
        if isinstance(tree, ast.BoolOp):
            values = [self.expression(v, env) for v in tree.values]
            if any(t != "i1" for _, t in values):
                raise Unsupported("and/or of numbers")
            instruction = "and" if isinstance(tree.op, ast.And) else "or"
            result = values[0][0]
            for operand, _ in values[1:]:
                result = self.emit(f"{instruction} i1 {result}, {operand}", "i1")[0]
            return result, "i1"
        if isinstance(tree, ast.IfExp):
            test = self.boolean(self.expression(tree.test, env))[0]
            yes = self.expression(tree.body, env)
            no = self.expression(tree.orelse, env)
            if yes[1] != no[1]:
                yes, no = self.double(yes), self.double(no)
            return self.emit(f"select i1 {test}, {yes[1]} {yes[0]}, {yes[1]} {no[0]}", yes[1])
        if isinstance(tree, ast.Call) and not tree.keywords:
            args = [self.expression(a, env) for a in tree.args]
            function = tree.func
            if isinstance(function, ast.Name) and len(args) == 1:
                if function.id == "abs":
                    return self.call("fabs", (self.double(args[0])[0],))
                if function.id == "float":
                    return self.double(args[0])
            if (
                isinstance(function, ast.Attribute)
                and isinstance(function.value, ast.Name)
                and function.value.id == "math"
            ):
                name = function.attr
                doubles = tuple(self.double(a)[0] for a in args)
                if (len(args) == 1 and name in _LIBM_UNARY) or (
                    len(args) == 2 and name in _LIBM_BINARY
                ):
                    return self.call(name, doubles)
            raise Unsupported(ast.unparse(tree))
        raise Unsupported(ast.unparse(tree))

    def emit(self, instruction: str, kind: str) -> tuple[str, str]:
        target = self.fresh()
        self.lines.append(f"  {target} = {instruction}")
        return target, kind

    def double(self, value: tuple[str, str]) -> tuple[str, str]:
        if value[1] == "double":
            return value
        return self.emit(f"uitofp i1 {value[0]} to double", "double")

    def boolean(self, value: tuple[str, str]) -> tuple[str, str]:
        if value[1] == "i1":
            return value
        return self.emit(f"fcmp une double {value[0]}, {_double(0.0)}", "i1")

    def call(self, function: str, args: tuple[str, ...]) -> tuple[str, str]:
        key = (function, args)
        found = self.calls.get(key)
        if found is None:
            found = self.fresh()
            self.calls[key] = found
            self.lines.append(_Call(found, function, args))
        return found, "double"

    def calls_written(self) -> list[str]:
        """The instructions, each libm call declared, and sin and cos of one value as one
        ``sincos`` (at the first of the two)."""
        pair = {}
        for (function, args), target in self.calls.items():
            if function in ("sin", "cos"):
                other = self.calls.get(("cos" if function == "sin" else "sin", args))
                if other is not None:
                    pair[target] = other
        written: list[str] = []
        done: set[str] = set()
        for line in self.lines:
            if not isinstance(line, _Call):
                written.append(line)
                continue
            if line.target in done:
                continue
            if line.target in pair:
                other = pair[line.target]
                sin, cos = (line.target, other) if line.function == "sin" else (other, line.target)
                self.declared.add("declare void @sincos(double, double*, double*)")
                written.append(
                    f"  call void @sincos(double {line.args[0]}, double* %sin, double* %cos)"
                )
                written.append(f"  {sin} = load double, double* %sin")
                written.append(f"  {cos} = load double, double* %cos")
                done.update((sin, cos))
                continue
            name = _INTRINSICS.get(line.function, line.function)
            types = ", ".join("double" for _ in line.args)
            self.declared.add(f"declare double @{name}({types})")
            arguments = ", ".join(f"double {a}" for a in line.args)
            written.append(f"  {line.target} = call double @{name}({arguments})")
        return written


#: libm functions that LLVM knows as intrinsics (one instruction where the CPU has it).
_INTRINSICS = {"fabs": "llvm.fabs.f64", "sqrt": "llvm.sqrt.f64"}


@functools.lru_cache(maxsize=1024)
def _parsed(text: str) -> ast.expr:
    return ast.parse(text, mode="eval").body


def _double(value: float) -> str:
    """A double constant in LLVM's exact hexadecimal form."""
    return "0x" + struct.pack(">d", value).hex().upper()
