"""Hostile and odd input, one case each: text that SymPy would run, shapes NumPy cannot
hold, numbers that do not fit their dtype, and graph files that describe graphs no one could
build. Each is refused up front with an error that says what is wrong; nothing runs."""

import base64
import json
import re

import numpy as np
import pytest
import sympy

import symgrad as sg
from symgrad.core.walk import topological_order
from symgrad.ops.subgraph import MultiOutput

# --- from_sympy never hands text to sympify -------------------------------------------------

CANARY = "symgrad_hostile_canary"


def _payload(path):
    return f"__import__('pathlib').Path({str(path)!r}).write_text('ran') or x"


@pytest.mark.parametrize(
    "wrap",
    [lambda p: p, lambda p: [p], lambda p: [[p, "x"]], lambda p: (p,)],
    ids=["text", "list of text", "nested list", "tuple"],
)
def test_from_sympy_refuses_text_and_runs_nothing(tmp_path, wrap):
    canary = tmp_path / CANARY
    with pytest.raises(TypeError, match="SymPy|not text"):
        sg.from_sympy(wrap(_payload(canary)))
    assert not canary.exists(), "from_sympy ran the text as code"


def test_from_sympy_refuses_text_as_a_variable_value(tmp_path):
    canary = tmp_path / CANARY
    with pytest.raises(TypeError, match=r"variables\['x'\] must be an expression"):
        sg.from_sympy(sympy.Symbol("x"), {"x": _payload(canary)})
    assert not canary.exists()


def test_from_sympy_still_takes_sympy_objects():
    t = sympy.Symbol("t")
    y = sg.from_sympy(sympy.Matrix([[t, 2 * t]]))
    np.testing.assert_allclose(y.eval({"t": 1.5}), [[1.5, 3.0]])
    assert float(sg.from_sympy(sympy.Integer(3)).eval()) == 3.0


def test_sympy_functions_refuse_symgrad_expressions():
    # SymPy asks an unknown object for ``_sympy_`` (older versions then parse its str).
    x = sg.var("__import__('os').system('echo pwned')")
    with pytest.raises(TypeError, match="not a SymPy object; use sg.to_sympy"):
        sympy.sin(x)
    with pytest.raises(TypeError, match="not a SymPy object"):
        sympy.sympify(x)


# --- shapes NumPy cannot hold -----------------------------------------------------------------


@pytest.mark.parametrize(
    "shape, message",
    [
        ((1,) * 33, "at most 32 dimensions"),
        ((2**64,), "NumPy arrays hold at most 2\\*\\*63 - 1"),
        ((2**63,), "2\\*\\*63 - 1"),
        ((2**40, 2**40), "2\\*\\*63 - 1"),
        ((2**61, 4), "2\\*\\*63 - 1"),  # 2**63 elements of 8 bytes
        ((-1,), "must be >= 0"),
        ((True,), "neither an int nor a name"),
        ((2.0,), "neither an int nor a name"),
        (("",), "non-empty name"),
    ],
)
def test_var_refuses_shapes_numpy_cannot_hold(shape, message):
    with pytest.raises(sg.ShapeError, match=f"var 'x': .*{message}"):
        sg.var("x", shape=shape)


def test_a_32_d_variable_has_a_64_d_hessian():
    x = sg.var("x", shape=(1,) * 32)
    h = sg.hessian((x * x * x).sum(), x)
    assert h.ndim == 64
    value = np.full((1,) * 32, 2.0)
    assert h.eval({x: value}).reshape(()) == 12.0  # d2/dx2 x**3 = 6x


def test_derivatives_too_large_for_numpy_are_refused_when_built():
    x = sg.var("x", shape=(2**31,))
    with pytest.raises(sg.ShapeError, match="2\\*\\*63 - 1"):
        sg.jacobian(x * x, x)  # 2**62 elements of 8 bytes


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda x: sg.broadcast_to(x, (2**40, 2**40)), "2\\*\\*63 - 1"),
        (lambda x: sg.broadcast_to(x, (1,) * 65), "at most 64 dimensions"),
        (lambda x: sg.reshape(x, (1,) * 65 + (-1,)), "NumPy allows 64"),
        (lambda x: sg.broadcast_to(0.0, (2**62, 2)), "2\\*\\*63 - 1"),
        (lambda x: sg.broadcast_to(x, (-3,)), "must be >= 0"),
    ],
)
def test_targets_of_shape_ops_are_checked_like_declared_shapes(build, message):
    with pytest.raises(sg.ShapeError, match=message):
        build(sg.var("x"))


# --- numbers that do not fit the array's dtype (NEP 50) --------------------------------------


@pytest.mark.parametrize(
    "build, op, dtype",
    [
        (lambda x, u: x + 200, "add", "int8"),
        (lambda x, u: 200 * x, "multiply", "int8"),
        (lambda x, u: u - (-1), "subtract", "uint8"),
        (lambda x, u: x < 1000, "less", "int8"),
        (lambda x, u: sg.where(x > 0, x, 300), "where", "int8"),
        (lambda x, u: sg.clip(x, 0, 300), "clip", "int8"),
        (lambda x, u: sg.maximum(u, 2**70), "maximum", "uint8"),
    ],
)
def test_python_integers_that_do_not_fit_name_the_op_and_dtype(build, op, dtype):
    x, u = sg.var("x", dtype="int8"), sg.var("u", dtype="uint8")
    with pytest.raises(
        sg.ShapeError, match=f"^{op}: the Python integer .* out of bounds for {dtype}"
    ):
        build(x, u)


def test_a_constant_out_of_its_dtype_is_a_shape_error():
    with pytest.raises(sg.ShapeError, match="const: Python integer 300 out of bounds for int8"):
        sg.const(300, dtype="int8")


def test_numbers_that_fit_keep_the_array_dtype():
    x = sg.var("x", dtype="int8")
    y = x + 100
    assert y.dtype == np.int8
    assert y.eval({x: np.int8(20)}) == np.int8(120)


def test_fractions_and_sympy_numbers_are_python_numbers():
    from fractions import Fraction

    x = sg.var("x", dtype="float32")
    assert (x + Fraction(1, 2)).dtype == np.float32
    assert float((x + sympy.Rational(1, 4)).eval({x: np.float32(1)})) == 1.25


def _computed_dtypes_match(outputs, inputs, values, optimize=False):
    """Every node's run-time shape and dtype, against the ones it declared."""
    nodes = [n for n in topological_order(outputs) if not isinstance(n.op, MultiOutput)]
    results = sg.compile(nodes, inputs=inputs, optimize=optimize)(*values)
    wrong = [
        f"{n.op.label()}: declared {n.shape} {n.dtype}, computed "
        f"{np.shape(r)} {np.asarray(r).dtype}"
        for n, r in zip(nodes, results)
        if np.asarray(r).dtype != n.dtype or np.shape(r) != n.shape
    ]
    assert not wrong, wrong


def test_gradient_of_a_power_of_float32_stays_float32_unoptimized():
    # d/dx 2**x reads where(2 == 0, 1, 2): two Python numbers beside an array condition
    # were written as bare literals, which NumPy made float64.
    x = sg.var("x", shape=(3,), dtype="float32")
    g = sg.grad((2.0**x).sum(), x)
    assert g.dtype == np.float32
    assert sg.compile(g, optimize=False)(np.ones(3, np.float32)).dtype == np.float32
    _computed_dtypes_match([g], [x], [np.ones(3, np.float32)])


@pytest.mark.parametrize(
    "build, dtype",
    [
        (sg.round, "int64"),
        (sg.round, "uint8"),
        (lambda x: x**2, "bool"),
        (sg.sigmoid, "bool"),
        (sg.softplus, "bool"),
        (sg.sigmoid, "int8"),
    ],
    ids=["round int64", "round uint8", "bool squared", "sigmoid bool", "softplus bool", "int8"],
)
def test_integer_and_bool_inputs_compute_the_inferred_dtype(build, dtype):
    x = sg.var("x", shape=(3,), dtype=dtype)
    values = np.array([1, 0, 1]).astype(dtype)
    _computed_dtypes_match([build(x)], [x], [values])


# --- graph files ----------------------------------------------------------------------------


def _file(tmp_path, nodes, outputs=None):
    document = {
        "format": "symgrad-graph",
        "version": 1,
        "nodes": nodes,
        "outputs": outputs or {"node": len(nodes) - 1},
    }
    path = tmp_path / "g.json"
    path.write_text(json.dumps(document))
    return path


def _var(shape, dtype="float64", name="x"):
    return {"op": "var", "params": {"name": name, "shape": shape, "dtype": dtype}, "inputs": []}


def _const(value, weak=False):
    array = np.asarray(value)
    data = base64.b64encode(array.tobytes()).decode("ascii")
    spec = {"dtype": array.dtype.str, "shape": list(array.shape), "data": data}
    return {"op": "const", "params": {"value": {"array": spec}, "weak": weak}, "inputs": []}


def _node(op, params=None, inputs=(0,)):
    return {"op": op, "params": params or {}, "inputs": list(inputs)}


@pytest.mark.parametrize(
    "nodes, message",
    [
        # declared (3, 3), ran as (3,), then broadcast into wrong values
        ([_var([3, 3]), _node("sum", {"axes": [-1], "keepdims": False})], "axes \\(-1,\\)"),
        ([_var([3, 3]), _node("sum", {"axes": [2], "keepdims": False})], "axes \\(2,\\)"),
        ([_var([3, 3]), _node("sum", {"axes": [1, 1], "keepdims": False})], "distinct"),
        ([_var([3, 3]), _node("mean", {"axes": [1, 0], "keepdims": True})], "sorted"),
        ([_var([3]), _node("cumsum", {"axis": 1})], "axis 1 is out of range"),
        ([_var([3]), _node("softmax", {"axis": -1})], "axis -1 is out of range"),
        ([_var([2, 3]), _node("concatenate", {"axis": -1}, (0, 0))], "axis -1"),
        ([_var([3]), _node("concatenate", {"axis": 0}, ())], "at least one array"),
        # a float32 variable beside a weak float64 constant: declared float64, ran float32
        (
            [_var([3], "float32"), _const(2.0, weak=True), _node("multiply", {}, (0, 1))],
            "weak constant 2.0 of dtype float64 does not fit beside float32",
        ),
        ([_const([1.0, 2.0], weak=True)], "only 0-d constants"),
        ([_var([3]), _node("broadcast_to", {"target": [-1, 3]})], "is not a Shape"),
        ([_var([3]), _node("reshape", {"new_shape": [-1]})], "is not a Shape"),
        ([_node("eye", {"n": -2, "of_dtype": {"dtype": "float64"}}, ())], "size must be >= 0"),
        ([_var([]), _node("sin", {}, ()), _node("sin", {}, (0,))], "expected 1, got 0"),
        ([_var([]), _node("var", {"name": "y", "shape": [], "dtype": "float64"})], "no inputs"),
        (
            [_var([3]), _const(np.array([0, 5])), _node("take", {"axis": 0}, (0, 1))],
            "index out of range for an axis of size 3",
        ),
        ([_var([1] * 33)], "at most 32 dimensions"),
        ([_var([2**40, 2**40])], "2\\*\\*63 - 1"),
        ([_var([4], "int8"), _node("shift", {"axis": 0, "by": 1, "fill": 1000})], "fill 1000"),
        ([_var([4]), _node("shift", {"axis": 1, "by": 1, "fill": 0})], "axis 1 out of range"),
        (
            [_var([3]), _var([4]), _node("recurrence", {"axis": 0, "reverse": False}, (0, 1))],
            "coefficients \\(3,\\) and terms \\(4,\\) differ",
        ),
        # an op reading a multi-output node itself rather than one of its items
        (
            [_var([3, 3]), _node("eigh", {"uplo": "L"}), _node("add", {}, (0, 1))],
            "add: the eigh node holds several results",
        ),
    ],
    ids=[
        "negative axis",
        "axis out of range",
        "repeated axis",
        "unsorted axes",
        "cumsum axis",
        "softmax axis",
        "concatenate axis",
        "concatenate nothing",
        "weak float64 beside float32",
        "weak array",
        "negative broadcast size",
        "reshape -1 left in",
        "negative eye",
        "unary with no input",
        "variable with an input",
        "constant index out of range",
        "33 dimensions",
        "too many bytes",
        "shift fill out of its dtype",
        "shift axis",
        "recurrence shapes",
        "results read whole",
    ],
)
def test_files_describing_graphs_no_one_could_build_are_refused(tmp_path, nodes, message):
    with pytest.raises(sg.GraphFileError, match=message) as info:
        sg.load_graph(_file(tmp_path, nodes))
    assert re.match(r"node \d+", str(info.value)), f"the error does not name the node: {info.value}"


def test_a_5000_digit_integer_is_a_graph_file_error(tmp_path):
    path = tmp_path / "g.json"
    path.write_text(
        '{"format": "symgrad-graph", "version": 1, "nodes": [{"op": "var", "params": '
        '{"name": "x", "shape": [' + "9" * 5000 + '], "dtype": "float64"}, "inputs": []}], '
        '"outputs": {"node": 0}}'
    )
    with pytest.raises(sg.GraphFileError, match="5000 digits"):
        sg.load_graph(path)


def test_a_symbolic_size_from_a_file_never_reaches_eval(tmp_path):
    # Constant folding evaluates an op's emission; a name in place of a size must not get
    # there as source text, whatever the op.
    canary = tmp_path / CANARY
    code = f"__import__('pathlib').Path({str(canary)!r}).write_text('ran') or 2"
    size = {"dims": [code], "as_dtype": {"dtype": "float64"}}
    for nodes in (
        [_const(2.0), _node("size", size, (0,))],  # an input it does not take
        [_node("size", size, ())],
    ):
        try:
            sg.compile(sg.load_graph(_file(tmp_path, nodes)))
        except (sg.GraphFileError, sg.ShapeError) as error:
            assert "node 1" in str(error) or "not the size of any input" in str(error)
        assert not canary.exists(), "a size from a file was run as code"


def test_a_body_parameter_outside_its_body_is_refused(tmp_path):
    param = {"param_shape": [], "param_dtype": {"dtype": "float64"}, "hint": "p", "uid": 1}
    nodes = [_node("param", param, ()), _node("sin", {}, (0,))]
    with pytest.raises(sg.GraphFileError, match="node 0: a body parameter is used outside"):
        sg.load_graph(_file(tmp_path, nodes))


def _saved(tmp_path, outputs):
    path = tmp_path / "loop.json"
    sg.save_graph(outputs, path)
    return json.loads(path.read_text())


def test_loop_counts_out_of_range_are_refused(tmp_path):
    z = sg.var("z", shape=(3,))
    w = sg.while_loop(lambda b: sg.norm(b) < 100.0, lambda b: b * 2.0, z, max_iterations=50)
    document = _saved(tmp_path, [w, sg.grad(w.sum(), z)])
    loop = next(i for i, n in enumerate(document["nodes"]) if n["op"] == "while_loop")
    document["nodes"][loop]["params"]["n_state"] = 4
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    with pytest.raises(sg.GraphFileError, match=f"node {loop}.*n_state out of range"):
        sg.load_graph(path)


def test_a_scan_length_must_be_the_count_of_its_while_loop(tmp_path):
    z = sg.var("z", shape=(3,))
    w = sg.while_loop(lambda b: sg.norm(b) < 100.0, lambda b: b * 2.0, z, max_iterations=50)
    document = _saved(tmp_path, [w, sg.grad(w.sum(), z)])
    scan = next(i for i, n in enumerate(document["nodes"]) if n["op"] == "scan")
    assert document["nodes"][scan]["params"]["length"].startswith("trips#")
    for length in ("n", "trips#99"):
        document["nodes"][scan]["params"]["length"] = length
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(document))
        with pytest.raises(sg.GraphFileError, match=f"node {scan}.*step count of the while"):
            sg.load_graph(path)


def test_an_item_past_the_outputs_is_refused(tmp_path):
    z = sg.var("z", shape=(3,))
    w = sg.while_loop(lambda b: sg.norm(b) < 100.0, lambda b: b * 2.0, z, max_iterations=50)
    document = _saved(tmp_path, w)
    item = document["outputs"]["node"]
    document["nodes"][item]["params"]["index"] = -1
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    with pytest.raises(sg.GraphFileError, match=f"node {item}.*has no output -1"):
        sg.load_graph(path)
