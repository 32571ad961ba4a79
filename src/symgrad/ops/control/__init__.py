"""Control flow in the graph: ``cond``, ``while_loop``, ``fori_loop`` and ``scan``.

Three ops carry it, each running closed subgraphs (:class:`~symgrad.ops.subgraph.Body`):

* :class:`Cond` (``cond_op``) runs one of two branches;
* :class:`While` (``while_op``) repeats a body while a test holds and counts its steps;
* :class:`Scan` (``scan_op``) runs a body a known number of times over the rows of stacked
  inputs (``fori_loop`` and ``scan``, and the reverse pass of both loops).

The two loops share :class:`Loop` (``loop``): their outputs and both derivative rules,
written over the named parts of their inputs, parameters, results and outputs (``layout``:
carry, sequences, constants, trace...). ``tracing`` turns the user's Python functions into
bodies; ``common`` holds what the rules of all three ops share.
"""

from .cond_op import Cond
from .layout import PARTS, LoopLayout, Parts, Sizes
from .loop import Loop
from .scan_op import Scan
from .tracing import cond, fori_loop, scan, while_loop
from .while_op import While, fresh_trips_dim, trips_renamer

__all__ = [
    "PARTS",
    "Cond",
    "Loop",
    "LoopLayout",
    "Parts",
    "Scan",
    "Sizes",
    "While",
    "cond",
    "fori_loop",
    "fresh_trips_dim",
    "scan",
    "trips_renamer",
    "while_loop",
]
