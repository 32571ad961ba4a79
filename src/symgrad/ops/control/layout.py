"""The named parts of a loop: where each sits in the flat tuples an op node has.

A loop op keeps everything flat: its node's inputs, its body's parameters and results, its
outputs. Each of these is a run of *parts*, always in this order, each part present only
where it applies:

=======  ==============================================  =====================
part     holds                                           in
=======  ==============================================  =====================
index    ``scan``: the step count (input, if counted),   inputs, parameters
         the step number (the body's first parameter)
carry    the state carried from step to step             all four
trips    ``while_loop``: the number of steps taken       outputs
xs       ``scan``: stacked sequences, one row per step   inputs, parameters
consts   outer values the bodies read                    inputs, parameters
ys       ``scan``: values the body gives every step      results, outputs
trace    the carried values listed in the op's           outputs
         ``record``, at the start of every step
=======  ==============================================  =====================

Stacked values (``xs``, and ``ys`` and ``trace`` among the outputs) have the steps on their
first axis; as body parameters and results they are one row.

:class:`Sizes` tells how many entries each part has; it cuts a flat sequence into
:class:`Parts` and says where a part's entries sit. ``Parts.flat()`` joins them again.

>>> sizes = Sizes(carry=2, consts=1)
>>> sizes.split(("a", "b", "k")).carry
('a', 'b')
>>> sizes.position("consts", 0), sizes.locate(1)
(2, ('carry', 1))
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")

PARTS = ("index", "carry", "trips", "xs", "consts", "ys", "trace")


@dataclasses.dataclass(frozen=True)
class Parts(Generic[T]):
    """A loop's inputs, body parameters, body results or outputs, by part."""

    index: Sequence[T] = ()
    carry: Sequence[T] = ()
    trips: Sequence[T] = ()
    xs: Sequence[T] = ()
    consts: Sequence[T] = ()
    ys: Sequence[T] = ()
    trace: Sequence[T] = ()

    def flat(self) -> tuple[T, ...]:
        """The parts joined, in order."""
        return (
            *self.index,
            *self.carry,
            *self.trips,
            *self.xs,
            *self.consts,
            *self.ys,
            *self.trace,
        )

    def replace(self, **parts: Sequence[T]) -> Parts[T]:
        return dataclasses.replace(self, **parts)


@dataclasses.dataclass(frozen=True)
class Sizes:
    """How many entries each part of a flat sequence has."""

    index: int = 0
    carry: int = 0
    trips: int = 0
    xs: int = 0
    consts: int = 0
    ys: int = 0
    trace: int = 0
    _starts: tuple[int, ...] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        sizes = (self.index, self.carry, self.trips, self.xs, self.consts, self.ys, self.trace)
        starts, at = [], 0
        for part, size in zip(PARTS, sizes):
            if size < 0:
                raise ValueError(f"a loop cannot have {size} {part} entries")
            starts.append(at)
            at += size
        object.__setattr__(self, "_starts", (*starts, at))  # each part's start, then the end

    @property
    def total(self) -> int:
        return self._starts[-1]

    def start(self, part: str) -> int:
        """The position of the part's first entry."""
        return self._starts[PARTS.index(part)]

    def position(self, part: str, k: int) -> int:
        """The position of entry ``k`` of ``part``."""
        if not 0 <= k < getattr(self, part):
            raise IndexError(f"{part} has {getattr(self, part)} entries, not {k + 1}")
        return self.start(part) + k

    def positions(self, part: str, ks: Iterable[int]) -> list[int]:
        return [self.position(part, k) for k in ks]

    def locate(self, position: int) -> tuple[str, int]:
        """The part, and the entry within it, at ``position``."""
        for part in PARTS:
            if position < getattr(self, part):
                return part, position
            position -= getattr(self, part)
        raise IndexError(f"position beyond the {self.total} entries")

    def within(self, part: str, positions: Iterable[int]) -> list[int]:
        """Of the given positions, those in ``part``, as sorted entries of the part."""
        first, size = self.start(part), getattr(self, part)
        return sorted(p - first for p in positions if first <= p < first + size)

    def split(self, flat: Sequence[T]) -> Parts[T]:
        """``flat`` cut into its parts."""
        if len(flat) != self.total:
            raise ValueError(f"expected {self.total} entries ({self}), got {len(flat)}")
        s = self._starts
        return Parts(*[flat[s[i] : s[i + 1]] for i in range(len(PARTS))])


@dataclasses.dataclass(frozen=True)
class LoopLayout:
    """The sizes of the parts of a loop's inputs, body parameters, body results and
    outputs."""

    inputs: Sizes
    params: Sizes
    results: Sizes
    outputs: Sizes
