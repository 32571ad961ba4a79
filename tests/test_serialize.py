"""Saving and loading graphs: round trips for every op, and hostile files."""

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symgrad as sg
from symgrad.structure import flatten

from .op_table import CASES


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_round_trip_of_every_op_and_its_gradient(case, tmp_path):
    arrays = case.arrays()
    xs = [sg.var(f"x{i}", shape=a.shape) for i, a in enumerate(arrays)]
    y = case.build(*xs)
    g = sg.grad((y * y).sum(), xs)
    path = tmp_path / "graph.json"
    sg.save_graph({"y": y, "g": g}, path)
    loaded = sg.load_graph(path)
    assert isinstance(loaded["g"], list) and len(loaded["g"]) == len(xs)
    before = sg.compile([y, g], inputs=xs)(*arrays)
    names = [v.name for v in sg.compile([loaded["y"], loaded["g"]]).inputs]
    after = sg.compile([loaded["y"], loaded["g"]])(**dict(zip([x.name for x in xs], arrays)))
    assert set(names) <= {x.name for x in xs}
    np.testing.assert_array_equal(after[0], before[0])
    for a, b in zip(after[1], before[1]):
        np.testing.assert_array_equal(a, b)


def test_round_trip_keeps_dtypes_constants_and_symbolic_dims(tmp_path):
    x = sg.var("x", shape=("n", 2), dtype="float32")
    c = sg.const(np.array([[np.inf, -0.0]], dtype=np.float32))
    y = sg.where(x > 0, x * 2.0, c)
    sg.save_graph(y, tmp_path / "g.json")
    z = sg.load_graph(tmp_path / "g.json")
    assert z.shape == ("n", 2) and z.dtype == np.float32
    a = np.array([[1.0, -1.0], [-2.0, 3.0]], np.float32)
    np.testing.assert_array_equal(z.eval({"x": a}), y.eval({x: a}))


def _saved(tmp_path):
    x = sg.var("x", shape=(3,))
    y = (sg.sin(x) * 2.0).sum()
    path = tmp_path / "g.json"
    sg.save_graph(y, path)
    return path, json.loads(path.read_text())


def _load(tmp_path, document):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    return sg.load_graph(path)


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.update(version=99), "unsupported version 99"),
        (lambda d: d.update(format="pickle"), "not a symgrad-graph file"),
        (lambda d: d["nodes"][1].update(op="os.system"), "unknown op 'os.system'"),
        (lambda d: d["nodes"][1].update(inputs=[0, 0]), "node 1"),
        (lambda d: d["nodes"][1].update(inputs=[5]), "inputs must be indices of earlier nodes"),
        (lambda d: d["nodes"][1].update(inputs=[1]), "inputs must be indices of earlier nodes"),
        (lambda d: d["nodes"][0]["params"].update(shape=[-3]), "node 0"),
        (lambda d: d["nodes"][0]["params"].update(shape=[10**30]), "out of range"),
        (lambda d: d["nodes"][0]["params"].update(dtype="object"), "node 0"),
        (lambda d: d["nodes"][0]["params"].update(name=["x"]), "variable name must be a string"),
        (lambda d: d["nodes"][2]["params"]["value"]["array"].update(shape=[10**6]), "bytes"),
        (
            lambda d: d["nodes"][2]["params"]["value"]["array"].update(shape=[10**7, 10**7]),
            "too large",
        ),
        (lambda d: d["nodes"][2]["params"]["value"]["array"].update(data="!!"), "base64"),
        (lambda d: d["nodes"][4]["params"].update(axes="all"), "node 4"),
        (lambda d: d["nodes"][4]["params"].update(extra=1), "takes parameters"),
        (lambda d: d.update(outputs={"node": 99}), "does not exist"),
        (lambda d: d.update(outputs={"eval": "1"}), "unknown output kind"),
        (lambda d: d.update(nodes={"a": 1}), "'nodes' must be a list"),
    ],
    ids=[
        "version",
        "format",
        "unknown op",
        "arity",
        "dangling",
        "cycle",
        "negative dim",
        "absurd dim",
        "dtype",
        "name type",
        "data size",
        "absurd size",
        "base64",
        "axes type",
        "extra param",
        "missing output",
        "output kind",
        "nodes type",
    ],
)
def test_malformed_files_raise_clear_errors(tmp_path, mutate, message):
    _, document = _saved(tmp_path)
    mutate(document)
    with pytest.raises(sg.GraphFileError, match=message):
        _load(tmp_path, document)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not json",
        "[1, 2",
        '{"a": NaN}',
        "null",
        "[]",
        '{"format": "symgrad-graph", "version": 1}',
    ],
)
def test_non_graph_files(tmp_path, text):
    with pytest.raises(sg.GraphFileError):
        _load(tmp_path, text)


def test_loading_never_unpickles_or_executes(tmp_path):
    import pickle

    path = tmp_path / "evil.json"
    path.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(sg.GraphFileError):
        sg.load_graph(path)


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 10)
    | st.floats(allow_nan=False)
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_fuzzed_files_only_raise_graph_file_errors(tmp_path, data):
    _, document = _saved(tmp_path)
    for _ in range(data.draw(st.integers(1, 4))):
        node = data.draw(st.integers(0, len(document["nodes"]) - 1))
        where = data.draw(st.sampled_from(["op", "params", "inputs", "param", "root", "drop"]))
        entry = document["nodes"][node]
        value = data.draw(_json)
        if where == "param" and isinstance(entry.get("params"), dict) and entry["params"]:
            key = data.draw(st.sampled_from(sorted(entry["params"])))
            entry["params"][key] = value
        elif where == "root":
            document[data.draw(st.sampled_from(["format", "version", "outputs", "nodes"]))] = value
            break
        elif where == "drop":
            del document["nodes"][node]
            break
        elif where in entry:
            entry[where] = value
    try:
        loaded = _load(tmp_path, document)
    except sg.GraphFileError:
        return  # the only error a malformed file may give
    # A file that loads is a valid graph: every output is an expression that compiles.
    outputs, _ = flatten(loaded)
    assert all(isinstance(o, sg.Expr) for o in outputs)
    sg.compile(outputs)


_INJECTION = "0); __import__('os').system('echo pwned'); (0"


@pytest.mark.parametrize(
    "node",
    [
        {"op": "softmax", "params": {"axis": _INJECTION}, "inputs": [0]},
        {"op": "eye", "params": {"n": _INJECTION, "of_dtype": {"dtype": "float64"}}, "inputs": []},
        {"op": "getitem", "params": {"items": [["int", _INJECTION]]}, "inputs": [0]},
        {"op": "getitem", "params": {"items": [["slice", _INJECTION, None, None]]}, "inputs": [0]},
        {"op": "concatenate", "params": {"axis": _INJECTION}, "inputs": [0, 0]},
        {"op": "sum", "params": {"axes": [_INJECTION], "keepdims": False}, "inputs": [0]},
        {"op": "transpose", "params": {"axes": [True]}, "inputs": [0]},
        {"op": "astype", "params": {"to": "float64"}, "inputs": [0]},
        {"op": "reshape", "params": {"new_shape": [1.5]}, "inputs": [0]},
    ],
    ids=[
        "softmax axis",
        "eye n",
        "index",
        "slice",
        "concatenate axis",
        "sum axes",
        "bool axis",
        "dtype as text",
        "float size",
    ],
)
def test_parameters_of_the_wrong_type_are_refused(tmp_path, node, capfd):
    document = {
        "format": "symgrad-graph",
        "version": 1,
        "nodes": [
            {
                "op": "var",
                "params": {"name": "x", "shape": ["n"], "dtype": "float64"},
                "inputs": [],
            },
            node,
        ],
        "outputs": {"node": 1},
    }
    with pytest.raises(sg.GraphFileError, match="node 1"):
        _load(tmp_path, document)
    assert "pwned" not in capfd.readouterr().out
