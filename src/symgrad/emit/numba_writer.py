"""The Numba writer: a plan as a Python module in which fused loops are compiled by Numba.

The module reads like the NumPy writer's (``symgrad.emit.numpy_writer``): the same input
checks, the same statements for what is not elementwise (matrix products, gathers, linear
algebra, control flow), the same names. Each region of elementwise ops with the reductions
that consume it (``symgrad.emit.fusion``) becomes one loop compiled by Numba
(``symgrad.emit.kernels``): ``evaluate`` allocates the region's results, runs the loop over
blocks of rows on every core (``_in_parallel``) and combines the partial reductions.

A graph of 0-d floats becomes one function in LLVM IR (``symgrad.emit.llvm_scalar``).

The module imports ``symgrad.backends.numba_math`` (vectorizable sin, exp...); the copy
``Executable.save`` writes holds that module's source instead, so it needs only numpy and
numba. Modules are loaded from files (``symgrad.backends.numba_cache``) so that Numba keeps
their compiled loops on disk.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType

from ..core.dtypes import dtype_name
from ..core.expr import Expr
from . import Emitted, llvm_scalar
from .kernels import THREAD_WORK, KernelWriter
from .numpy_writer import _Writer, describe
from .plan import Blocked, Plan

#: Runs a kernel over its blocks, one contiguous range of blocks per core.
RUNTIME = f'''\
_POOL = []
# The cores this process may run on (read once: os.cpu_count() reads a file, ~6 us a call).
_CORES = (
    len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
)


def _in_parallel(kernel, blocks, work, *args):
    """kernel(*args, first, last) over blocks 0 to blocks - 1: one contiguous range of blocks
    per core (kernels release the GIL), the calling thread taking the last. Small loops run
    on the calling thread alone: handing work to another costs tens of microseconds."""
    threads = min(_CORES, blocks, 1 + work // {THREAD_WORK})
    if threads < 2:
        kernel(*args, 0, blocks)
        return
    if not _POOL:
        _POOL.append(ThreadPoolExecutor(_CORES - 1))
    ranges = [(blocks * t // threads, blocks * (t + 1) // threads) for t in range(threads)]
    jobs = [_POOL[0].submit(kernel, *args, first, last) for first, last in ranges[:-1]]
    kernel(*args, *ranges[-1])
    for job in jobs:
        job.result()
'''

#: The import the in-process module uses, and what the saved module has in its place.
VECTOR_MATH_IMPORT = "from symgrad.backends import numba_math as {name}"
VECTOR_MATH_EMBEDDED = '''\
def _load_vector_math():
    """Vectorizable sin, cos, exp... for the loops above (symgrad.backends.numba_math)."""
    import sys
    import types

    name = "_symgrad_numba_math_" + str(abs(hash(_VECTOR_MATH_SOURCE)))
    if name not in sys.modules:
        module = types.ModuleType(name)
        sys.modules[name] = module
        exec(compile(_VECTOR_MATH_SOURCE, name, "exec"), module.__dict__)
    return sys.modules[name]


{name} = _load_vector_math()'''


def write(plan: Plan, render_result: Callable[[list[str]], str]) -> Emitted:
    """The module computing ``plan`` with fused loops (see the module docstring)."""
    if plan.floats:
        return llvm_scalar.write(plan, render_result)
    writer = _NumbaWriter(plan)
    emitted = writer.module(render_result)
    standalone = "" if writer.vm is None else _standalone(emitted.source, writer.vm)
    return dataclasses.replace(emitted, load=load, standalone=standalone)


def load(source: str) -> ModuleType:
    """``source`` as a module in the kernel cache (so that Numba keeps its compiled loops)."""
    from ..backends.numba_cache import load_source

    return load_source(source)


class _NumbaWriter(_Writer):
    def __init__(self, plan: Plan):
        super().__init__(plan)
        self.kernels = 0
        self.vm: str | None = None

    def vector_math_name(self) -> str:
        """The name the module gives ``numba_math`` (``vm`` unless that name is taken)."""
        if self.vm is None:
            self.vm = self.plan.namer.fresh("vm")
        return self.vm

    def imports(self, modules: set[str]) -> list[str]:
        if not self.kernels:
            return []
        modules.update(("math", "os"))
        lines = ["from concurrent.futures import ThreadPoolExecutor", "", "from numba import njit"]
        if self.vm is not None:
            lines.append(VECTOR_MATH_IMPORT.format(name=self.vm))
        return lines

    def module(self, render_result: Callable[[list[str]], str]) -> Emitted:
        # The kernels are known once the body is written; the runtime goes after them.
        emitted = super().module(render_result)
        if not self.kernels:
            return emitted
        source = emitted.source.rstrip("\n") + "\n\n\n" + RUNTIME
        return dataclasses.replace(emitted, source=source)

    def region(
        self, step: Blocked, names: Mapping[int, str], indent: str, silent: set[int]
    ) -> list[str]:
        # Compiled loops set no floating-point warnings: nothing to silence in them.
        return KernelWriter(self, step, names, indent).lines()

    def allocate_whole(
        self, step: Blocked, m: Expr, names: Mapping[int, str], indent: str
    ) -> list[str]:
        """Allocate a member needed whole; if it is placed in its reader's zeros (a
        scatter), allocate those and name the member's part of them."""
        reader = step.placed.get(id(m))
        if reader is None:
            shape = self.ctx.shape(m.shape)
            dtype = f"np.{dtype_name(m.dtype)}"
            self.given.append((id(m), names[id(m)]))
            return [f"{indent}{names[id(m)]} = np.empty({shape}, {dtype})  # {describe(m)}"]
        placement = reader.op.emit_placement(reader, self.ctx)
        if placement is None:
            raise AssertionError(f"{reader.op.name} has no placement")
        zeros, index = placement
        result = names[id(reader)]
        self.given += [(id(reader), result), (id(m), names[id(m)])]
        return [
            f"{indent}{result} = {zeros}  # {describe(reader)}",
            f"{indent}{names[id(m)]} = {result}{index}  # {describe(m)}",
        ]


def _standalone(source: str, name: str) -> str:
    """``source`` with ``numba_math`` written into it instead of imported."""
    from ..backends import numba_math

    text = Path(numba_math.__file__).read_text(encoding="utf-8")
    line = VECTOR_MATH_IMPORT.format(name=name)
    embedded = f"_VECTOR_MATH_SOURCE = {text!r}\n\n\n" + VECTOR_MATH_EMBEDDED.format(name=name)
    head, found, tail = source.partition(line + "\n")
    if not found:
        raise AssertionError("the module does not import numba_math")
    return head + tail.rstrip("\n") + "\n\n\n" + embedded + "\n"
