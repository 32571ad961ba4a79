"""``Executable``: a compiled graph, callable like a function, with its source at hand."""

from __future__ import annotations

import dataclasses
import html
import itertools
import linecache
import os
import types
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from .core import conveniences
from .core.expr import Expr
from .core.shapes import format_shape
from .emit import Emitted
from .errors import BindError, IterationLimitError

_counter = itertools.count()


@dataclasses.dataclass(frozen=True)
class Stats:
    """Node counts at each stage of compilation.

    ``built``: nodes of the forward graph(s) the outputs come from; ``differentiated``: with
    the derivative graphs added; ``after_pruning``: the nodes the outputs actually need;
    ``after_optimization``: what is left after the optimizer; ``statements``: statements
    computing values (a statement may hold a few ops; input checks and ``del`` not counted).
    """

    built: int
    differentiated: int
    after_pruning: int
    after_optimization: int
    statements: int

    @property
    def pruned(self) -> int:
        """Nodes of the forward and derivative graphs that the outputs do not need."""
        return self.differentiated - self.after_pruning


class Executable:
    """A compiled function. Call it with arrays by position or by variable name.

    Attributes: ``source`` (the emitted Python), ``stats``, ``inputs`` (the variables, in
    parameter order), ``outputs`` (as given to :func:`symgrad.compile`), ``graph`` (the
    optimized output nodes the source computes; ``sg.show(f)`` lists them), ``function``
    (the generated function itself, called with the inputs by position) and ``filename``
    (the name tracebacks give the generated code).
    """

    def __init__(
        self,
        emitted: Emitted,
        inputs: Sequence[Expr],
        outputs: Any,
        stats: Stats | Callable[[], Stats],
        graph: Sequence[Expr] = (),
    ):
        self.source = emitted.source
        self.graph = tuple(graph)
        self.inputs = tuple(inputs)
        self.outputs = outputs
        self._stats = stats  # or the function counting them, called when first asked for
        self._standalone = emitted.standalone
        namespace: dict[str, Any]
        if emitted.load is not None:  # a module in a file of its own: tracebacks read it
            namespace = vars(emitted.load(emitted.source))
            filename = namespace["__file__"]
        else:
            filename = f"<symgrad-{next(_counter)}>"
            namespace = {"__name__": "symgrad_generated"}
            for code in _compiled(emitted, filename):
                exec(code, namespace)  # our own emitted source
        namespace["BindError"] = BindError  # helpers raise the library's error in-process
        if "IterationLimitError" in namespace:
            namespace["IterationLimitError"] = IterationLimitError
        self.function = namespace[emitted.function]
        if emitted.load is None:
            # Registered so tracebacks into the generated code show its lines, for as long
            # as the code lives (the function, kept by this executable or Expr.eval's cache).
            lines = self.source.splitlines(True)
            _release_dead_sources()
            linecache.cache[filename] = (len(self.source), None, lines, filename)
            weakref.finalize(self.function, _dead_sources.append, filename)
        self.filename = filename
        names = [x.name for x in self.inputs]
        self._position = {n: i for i, n in enumerate(names) if names.count(n) == 1}
        self._ambiguous = {n for n in names if names.count(n) > 1}

    @property
    def stats(self) -> Stats:
        """Node counts at each stage of compilation (:class:`Stats`)."""
        if not isinstance(self._stats, Stats):
            self._stats = self._stats()
        return self._stats

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs:
            args = self._bind_by_name(args, kwargs)
        elif len(args) != len(self.inputs):
            self._wrong_count(args)
        return self.function(*args)

    def _bind_by_name(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
        slots: list[Any] = list(args) + [_MISSING] * (len(self.inputs) - len(args))
        if len(args) > len(self.inputs):
            self._wrong_count(args)
        for name, value in kwargs.items():
            if name in self._ambiguous:
                raise BindError(f"several inputs are named {name!r}; pass them by position")
            if name not in self._position:
                raise BindError(
                    f"unexpected input {name!r}; the inputs are "
                    f"{', '.join(repr(x.name) for x in self.inputs)}"
                )
            i = self._position[name]
            if slots[i] is not _MISSING:
                raise BindError(f"input {name!r} is given twice")
            slots[i] = value
        for i, value in enumerate(slots):
            if value is _MISSING:
                raise BindError(f"missing input {self._describe(self.inputs[i])}")
        return tuple(slots)

    def _wrong_count(self, args: tuple[Any, ...]) -> None:
        expected = ", ".join(self._describe(x) for x in self.inputs) or "none"
        if len(args) < len(self.inputs):
            missing = ", ".join(self._describe(x) for x in self.inputs[len(args) :])
            raise BindError(f"missing input(s) {missing}; expected {expected}")
        raise BindError(f"got {len(args)} inputs, expected {len(self.inputs)}: {expected}")

    @staticmethod
    def _describe(x: Expr) -> str:
        return f"{x.name!r} ({format_shape(x.shape)} {x.dtype.name})"

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write a standalone module whose ``evaluate(*inputs)`` is this function. It needs
        numpy only (and numba, for ``backend="numba"``)."""
        with open(path, "w", encoding="utf-8") as file:
            file.write(self._standalone or self.source)

    def _repr_html_(self) -> str:
        """For Jupyter: the stages of compilation, the optimized graph it runs, a picture
        of the graph as built (what pruning removed is dashed) and the source."""
        return conveniences.executable_html(self)

    def __repr__(self) -> str:
        ins = ", ".join(self._describe(x) for x in self.inputs)
        return f"<Executable ({ins}) -> {self.stats.statements} statements>"


def _compiled(emitted: Emitted, filename: str) -> list[types.CodeType]:
    """The module's code: compiled whole, or part by part (each part's lines numbered as in
    the whole source), so that compiling needs the memory of the largest part only."""
    if not emitted.parts:
        return [compile(emitted.source, filename, "exec")]
    return [_moved(compile(text, filename, "exec"), line - 1) for line, text in emitted.parts]


def _moved(code: types.CodeType, lines: int) -> types.CodeType:
    """``code`` (and the code nested in it) ``lines`` lines further down its file."""
    consts = tuple(_moved(c, lines) if isinstance(c, types.CodeType) else c for c in code.co_consts)
    return code.replace(co_firstlineno=code.co_firstlineno + lines, co_consts=consts)


def highlight_python(source: str) -> str:
    """``source`` as highlighted HTML (with Pygments if installed, else a plain block)."""
    try:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import PythonLexer
    except ImportError:
        return f"<pre>{html.escape(source)}</pre>"
    return highlight(source, PythonLexer(), HtmlFormatter(noclasses=True))


# Names of generated sources whose code was collected. They leave linecache at the next
# compile, not in the finalizer: a finalizer runs at any allocation, also while
# linecache.checkcache walks the cache, which then fails on a vanished key.
_dead_sources: list[str] = []


def _release_dead_sources() -> None:
    while _dead_sources:
        linecache.cache.pop(_dead_sources.pop(), None)


class _Missing:
    pass


_MISSING = _Missing()
