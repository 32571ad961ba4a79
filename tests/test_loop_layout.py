"""The named parts of a loop: sizes, positions, and the layouts of the two loop ops."""

from __future__ import annotations

import numpy as np
import pytest

import symgrad as sg
from symgrad.ops.control import PARTS, Parts, Scan, Sizes, While


def test_sizes_cut_a_flat_sequence_into_parts_and_join_it_again():
    sizes = Sizes(index=1, carry=2, xs=1, consts=2)
    parts = sizes.split(tuple("icdxkl"))
    assert parts == Parts(index=("i",), carry=("c", "d"), xs=("x",), consts=("k", "l"))
    assert parts.flat() == tuple("icdxkl")
    assert [sizes.start(p) for p in PARTS] == [0, 1, 3, 3, 4, 6, 6]
    assert sizes.position("consts", 1) == 5 and sizes.locate(5) == ("consts", 1)
    assert [sizes.locate(k) for k in range(sizes.total)] == [
        ("index", 0),
        ("carry", 0),
        ("carry", 1),
        ("xs", 0),
        ("consts", 0),
        ("consts", 1),
    ]
    assert sizes.within("carry", [0, 2, 5, 1]) == [0, 1]


def test_sizes_refuse_what_does_not_fit():
    with pytest.raises(ValueError, match="-1 carry"):
        Sizes(carry=-1)
    with pytest.raises(ValueError, match="expected 2 entries"):
        Sizes(carry=2).split([1, 2, 3])
    with pytest.raises(IndexError, match="ys has 1 entries"):
        Sizes(ys=1).position("ys", 1)
    with pytest.raises(IndexError):
        Sizes(carry=1).locate(1)


def _loop_node(kind):
    x = sg.var("x", shape=(2,))
    k = sg.var("k")
    if kind == "while":
        y = sg.while_loop(lambda s: s[1] < 3, lambda s: (s[0] * k, s[1] + 1), (x, np.int64(0)))
    else:
        step = lambda c, r: ((c[0] * k + r, c[1] + 1.0), c[0].sum())  # noqa: E731
        y = sg.scan(step, (x, sg.const(0.0)), sg.var("xs", shape=(4, 2)))[0]
    return y[0].inputs[0]


@pytest.mark.parametrize("kind", ["while", "scan"])
def test_a_loop_layout_names_every_input_parameter_result_and_output(kind):
    node = _loop_node(kind)
    op = node.op
    layout = op.layout
    inputs = layout.inputs.split(node.inputs)
    params, results = op.parts()
    assert len(inputs.carry) == len(params.carry) == len(results.carry) == 2
    assert [x.name for x in inputs.consts] == ["k"]
    assert [(p.shape, p.dtype) for p in params.consts] == [((), np.float64)]
    recording = op.recording((0,))
    outputs = recording.layout.outputs
    assert len(recording.output_types) == outputs.total
    trace_type = recording.output_types[outputs.position("trace", 0)]
    assert trace_type == ((op.steps, 2), np.float64)
    if kind == "while":
        assert isinstance(op, While) and layout.outputs.trips == 1 and not params.index
        assert recording.output_types[outputs.position("trips", 0)] == ((), np.int64)
    else:
        assert isinstance(op, Scan) and params.index[0].dtype == np.int64
        assert [x.name for x in inputs.xs] == ["xs"] and len(results.ys) == 1
        assert op.output_types[layout.outputs.position("ys", 0)] == ((4,), np.float64)


def test_a_loop_whose_sizes_do_not_fit_its_body_is_a_shape_error():
    node = _loop_node("scan")
    op = node.op
    with pytest.raises(sg.ShapeError, match="parameters do not match"):
        Scan(op.body, op.n_carry + 5, op.n_xs, op.length, False, (), False)(*node.inputs)
    node = _loop_node("while")
    op = node.op
    with pytest.raises(sg.ShapeError, match="n_state out of range"):
        While(op.test, op.body, -1, (), 0, op.trips_dim)(*node.inputs)
