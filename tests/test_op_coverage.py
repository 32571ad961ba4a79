"""Every registered op has a row in the op table (tests/op_table.py), so the value,
gradient, forward-vs-reverse, SymPy and save/load tests cover each op by construction."""

import symgrad as sg
from symgrad.core.walk import topological_order
from symgrad.ops import catalog
from symgrad.ops.subgraph import MultiOutput

from .op_table import CASES

#: Ops that cannot have a row of their own, and why. (Leaves and structural ops appear in
#: the rows' graphs anyway: variables and constants everywhere, body parameters and items
#: in the control-flow and decomposition rows.)
EXEMPT: dict[str, str] = {}


def _ops_in(outputs):
    """Names of the ops in the graph of ``outputs``, the bodies of control flow included
    (walked with an explicit stack, bodies inside bodies too)."""
    names = set()
    pending = [list(outputs)]
    while pending:
        for node in topological_order(pending.pop()):
            names.add(node.op.name)
            if isinstance(node.op, MultiOutput):
                for body in node.op.bodies().values():
                    pending.append([*body.params, *body.results])
    return names


def _covered():
    names = set()
    for case in CASES:
        xs = [sg.var(f"x{i}", shape=a.shape) for i, a in enumerate(case.arrays())]
        names |= _ops_in([case.build(*xs)])
    return names


def test_every_registered_op_has_a_row_in_the_op_table():
    own = {n for n, cls in catalog.ops().items() if cls.__module__.startswith("symgrad.")}
    missing = own - _covered() - set(EXEMPT)
    assert not missing, f"ops without a row in tests/op_table.py: {sorted(missing)}"


def test_exemptions_are_needed_and_explained():
    covered = _covered()
    for name, why in EXEMPT.items():
        assert name in catalog.ops(), f"{name}: exempt but not an op"
        assert name not in covered, f"{name}: exempt but has a row; drop the exemption"
        assert why.strip(), f"{name}: an exemption says why"
