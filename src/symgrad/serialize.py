"""Graphs saved as versioned JSON and loaded back with validation (no pickle, no code).

The file holds the nodes in topological order, each as its op's registry name, its
parameters (JSON values; tuples as lists; dtypes and arrays as tagged objects) and the
indices of its inputs, which must come earlier in the list. Loading rebuilds each node
through the op's own constructor and shape rule, so a file can only describe graphs that
could have been built by hand. See docs/graph-format.md.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from .core.dtypes import as_dtype
from .core.expr import Expr, apply
from .core.gc_pause import paused_gc
from .core.shapes import Dim
from .core.walk import topological_order
from .errors import GraphFileError
from .ops.base import Op
from .ops.control import Loop, trips_renamer
from .ops.leaves import Constant, Leaf, Parameter, Variable, parameter, var
from .ops.subgraph import Body, Item, MultiOutput, check_closed
from .structure import Tree, flatten

FORMAT = "symgrad-graph"
VERSION = 1
MAX_NODES = 10_000_000
MAX_ELEMENTS = 100_000_000  # per constant
MAX_DIM = 2**40


@paused_gc()
def save_graph(outputs: Any, path: str | os.PathLike[str]) -> None:
    """Save the graph behind ``outputs`` (an expression or a nested list/tuple/dict of
    them) as JSON.

    >>> import symgrad as sg, tempfile, os
    >>> x = sg.var("x", shape=(2,))
    >>> path = os.path.join(tempfile.mkdtemp(), "g.json")
    >>> sg.save_graph(sg.sin(x).sum(), path)
    >>> y = sg.load_graph(path)
    >>> round(float(y.eval({"x": [0.0, 1.0]})), 6)
    0.841471
    """
    leaves, structure = flatten(outputs)
    for leaf in leaves:
        if not isinstance(leaf, Expr):
            raise TypeError(f"cannot save an output of type {type(leaf).__name__}")
    order = _order_with_bodies(leaves)
    index = {id(n): i for i, n in enumerate(order)}
    params: dict[int, dict[str, Any]] = {}  # by op: most nodes share theirs (sin, add...)
    nodes: list[dict[str, Any]] = []  # JSON objects
    for n in order:
        encoded = params.get(id(n.op))
        if encoded is None:
            encoded = params[id(n.op)] = _encode_params(n.op)
        nodes.append(
            {"op": n.op.name, "params": encoded, "inputs": [index[id(x)] for x in n.inputs]}
        )
    for entry, n in zip(nodes, order):
        for field, body in _bodies(n).items():
            entry["params"][field] = {
                "body": {
                    "params": [index[id(p)] for p in body.params],
                    "results": [index[id(r)] for r in body.results],
                }
            }
    document = {
        "format": FORMAT,
        "version": VERSION,
        "nodes": nodes,
        "outputs": structure.fold(lambda i: {"node": index[id(leaves[i])]}, _encode_container),
    }
    text = json.dumps(document, separators=(",", ":"))  # one C call; json.dump is pure Python
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)


@paused_gc()
def load_graph(path: str | os.PathLike[str]) -> Any:
    """Load a graph saved by :func:`save_graph`: the outputs, in their saved structure.

    Variables come back as new variables with the saved names, shapes and dtypes. Anything
    malformed raises :class:`symgrad.GraphFileError` naming the problem and the node.
    """
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
        # Integers are checked one by one only in a file that has a run of digits longer
        # than any valid integer: a hook on every integer would cost a Python call each.
        parse_int = _parse_int if _LONG_DIGITS.search(text) else None
        document = json.loads(text, parse_constant=_refuse_constant, parse_int=parse_int)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise GraphFileError(f"{os.fspath(path)!r} is not a JSON graph file: {error}") from None
    return _decode_document(document)


def _refuse_constant(name: str) -> Any:
    raise GraphFileError(f"the number {name} is not valid JSON")


_LONG_DIGITS = re.compile(f"[0-9]{{{len(str(MAX_DIM)) + 1}}}")


def _parse_int(text: str) -> int:
    # Python refuses to convert integers of thousands of digits (and is slow on long ones).
    if len(text.lstrip("-")) > len(str(MAX_DIM)):
        raise GraphFileError(f"the integer {text[:20]}... ({len(text)} digits) is out of range")
    return int(text)


# --- encoding -------------------------------------------------------------------------------


def _bodies(node: Expr) -> dict[str, Body]:
    return node.op.bodies() if isinstance(node.op, MultiOutput) else {}


def _order_with_bodies(outputs: list[Expr]) -> list[Expr]:
    """Every node, each after its inputs and after the nodes of the bodies it runs."""
    order: list[Expr] = []
    seen: set[int] = set()

    def children(node: Expr) -> tuple[Expr, ...]:
        inner = [n for body in _bodies(node).values() for n in (*body.params, *body.results)]
        return (*node.inputs, *inner)

    for root in outputs:
        if id(root) in seen:
            continue
        seen.add(id(root))
        stack = [(root, iter(children(root)))]
        while stack:
            node, pending = stack[-1]
            for child in pending:
                if id(child) not in seen:
                    seen.add(id(child))
                    more = child.inputs
                    if isinstance(child.op, MultiOutput):
                        more = children(child)
                    stack.append((child, iter(more)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


def _encode_params(op: Op) -> dict[str, Any]:
    if isinstance(op, Variable):
        return {"name": op.var_name, "shape": list(op.var_shape), "dtype": op.var_dtype.name}
    return {k: None if isinstance(v, Body) else _encode_value(v) for k, v in op.params().items()}


def _encode_value(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        data = base64.b64encode(np.ascontiguousarray(value).tobytes()).decode("ascii")
        return {"array": {"dtype": value.dtype.str, "shape": list(value.shape), "data": data}}
    if isinstance(value, np.dtype):
        return {"dtype": value.name}
    if isinstance(value, (tuple, list)):
        return [_encode_value(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot save a parameter of type {type(value).__name__}")


def _encode_container(tree: Tree, parts: list[Any]) -> dict[str, Any]:
    if tree.kind == "dict":
        return {"dict": dict(zip(tree.keys, parts))}
    return {tree.kind: parts}  # "list" or "tuple"


# --- decoding -------------------------------------------------------------------------------


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise GraphFileError(message)


def _decode_document(document: Any) -> Any:
    _expect(isinstance(document, dict), "the file must hold a JSON object")
    _expect(document.get("format") == FORMAT, f"not a {FORMAT} file (format field)")
    version = document.get("version")
    _expect(
        version == VERSION, f"unsupported version {version!r}; this symgrad reads version {VERSION}"
    )
    raw = document.get("nodes")
    _expect(isinstance(raw, list), "'nodes' must be a list")
    _expect(len(raw) <= MAX_NODES, f"too many nodes ({len(raw)} > {MAX_NODES})")
    nodes: list[Expr] = []
    # Loop sizes get fresh names, so a loaded loop never shares one with a live loop.
    rename = trips_renamer()
    for i, entry in enumerate(raw):
        try:
            nodes.append(_decode_node(entry, nodes, rename))
        except GraphFileError as error:
            raise GraphFileError(f"node {i}: {error}") from None
        except (
            TypeError,
            ValueError,
            KeyError,
            IndexError,
            ArithmeticError,
            AttributeError,
            RecursionError,
            MemoryError,
        ) as error:
            op = entry.get("op") if isinstance(entry, dict) else None
            raise GraphFileError(f"node {i} ({op!r}): {type(error).__name__}: {error}") from None
    outputs = _decode_structure(document.get("outputs"), nodes, depth=0)
    if any(isinstance(n.op, Parameter) for n in nodes):  # files with bodies: is one leaked?
        leaves, _ = flatten(outputs)
        for node in topological_order(leaves):  # the outer graph: bodies are not entered
            if isinstance(node.op, Parameter):
                first = next(i for i, n in enumerate(nodes) if n is node)
                raise GraphFileError(f"node {first}: a body parameter is used outside the bodies")
    return outputs


def _decode_node(entry: Any, nodes: list[Expr], rename: Callable[[Dim], Dim]) -> Expr:
    # (Messages are formatted only on failure: this runs once per node of large files.)
    _expect(isinstance(entry, dict), "must be an object")
    if set(entry) != {"op", "params", "inputs"}:
        raise GraphFileError(
            f"must have exactly the fields op, params, inputs; got {sorted(map(str, entry))}"
        )
    name, params, inputs = entry["op"], entry["params"], entry["inputs"]
    if isinstance(name, str) and name in Op.registry:
        cls, item = Op.registry[name], None
    else:  # rare: a name from an earlier version, or no op at all
        former = _former_ops()
        if not (isinstance(name, str) and name in former):
            raise GraphFileError(f"unknown op {name!r}")
        cls, item = former[name]
    _expect(isinstance(params, dict), "params must be an object")
    if not (
        isinstance(inputs, list) and all(type(k) is int and 0 <= k < len(nodes) for k in inputs)
    ):
        raise GraphFileError(
            f"inputs must be indices of earlier nodes (0 to {len(nodes) - 1}), got {inputs!r:.80}"
        )
    args = tuple(nodes[k] for k in inputs)
    if args and issubclass(cls, Leaf):
        raise GraphFileError(f"a {name} node has no inputs")
    if cls is Variable:
        _expect(not args, "a variable has no inputs")
        _expect(set(params) == {"name", "shape", "dtype"}, "variable params: name, shape, dtype")
        _expect(isinstance(params["name"], str), "variable name must be a string")
        shape = _decode_value(params["shape"])
        _expect(isinstance(shape, tuple), "variable shape must be a list")
        return var(params["name"], shape=shape, dtype=_decode_dtype(params["dtype"]))
    if cls is Constant:
        _expect(not args and set(params) == {"value", "weak"}, "constant params: value, weak")
        value = _decode_value(params["value"])
        _expect(isinstance(value, np.ndarray), "constant value must be an array")
        _expect(isinstance(params["weak"], bool), "constant weak must be true or false")
        return apply(Constant(value, params["weak"]), ())
    fields = set(cls.field_names())
    if not (set(params) == fields or (item is not None and set(params) <= fields)):
        raise GraphFileError(
            f"op {name!r} takes parameters {sorted(fields)}, got {sorted(map(str, params))}"
        )
    # The op's fields: bodies, and values of the types the fields have.
    values: dict[str, Any] = {
        k: _decode_body(v["body"], nodes)
        if isinstance(v, dict) and set(v) == {"body"}
        else _decode_value(v)
        for k, v in params.items()
    }
    if cls is Parameter:
        _expect(not args, "a parameter has no inputs")
        shape = tuple(rename(d) for d in values["param_shape"])
        return parameter(shape, values["param_dtype"], values["hint"])
    op = cls(**values)
    if isinstance(op, Loop):
        op = op.renamed_steps(rename)
    node = apply(op, args)
    return node if item is None else apply(Item(item), (node,))


def _former_ops() -> dict[str, tuple[type[Op], int]]:
    """Names under which earlier versions saved one result of what is now a multi-output op
    (``svd_u``: the ``U`` of ``svd``), as the ops declare them (``former_ops``): each with
    the op and the result's position."""
    return {
        former: (cls, index)
        for cls in Op.registry.values()
        for index, former in enumerate(getattr(cls, "former_ops", ()))
    }


def _decode_body(spec: Any, nodes: list[Expr]) -> Body:
    _expect(
        isinstance(spec, dict) and set(spec) == {"params", "results"},
        "a body needs params and results",
    )
    refs = (
        [*spec["params"], *spec["results"]]
        if all(isinstance(spec[k], list) for k in ("params", "results"))
        else None
    )
    _expect(
        refs is not None and all(type(k) is int and 0 <= k < len(nodes) for k in refs),
        "a body's params and results must be indices of earlier nodes",
    )
    params = tuple(nodes[k] for k in spec["params"])
    _expect(all(isinstance(p.op, Parameter) for p in params), "body params must be param nodes")
    results = tuple(nodes[k] for k in spec["results"])
    return check_closed(Body(params, results))


def _decode_dtype(value: Any) -> np.dtype:
    _expect(isinstance(value, str), "a dtype must be a string")
    try:
        return as_dtype(value)
    except TypeError as error:
        raise GraphFileError(str(error)) from None


def _decode_value(value: Any, depth: int = 0) -> Any:
    _expect(depth < 16, "parameters nested too deeply")
    if isinstance(value, list):
        return tuple(_decode_value(v, depth + 1) for v in value)
    if isinstance(value, dict):
        if set(value) == {"dtype"}:
            return _decode_dtype(value["dtype"])
        if set(value) == {"array"}:
            return _decode_array(value["array"])
        raise GraphFileError(f"unknown parameter object with keys {sorted(map(str, value))}")
    if isinstance(value, int) and not isinstance(value, bool):
        _expect(abs(value) <= MAX_DIM, f"integer {value} is out of range")
    _expect(
        value is None or isinstance(value, (bool, int, float, str)),
        f"unexpected parameter {value!r:.40}",
    )
    return value


def _decode_array(spec: Any) -> np.ndarray:
    _expect(
        isinstance(spec, dict) and set(spec) == {"dtype", "shape", "data"},
        "an array needs dtype, shape and data",
    )
    _expect(isinstance(spec["dtype"], str), "an array dtype must be a string")
    try:
        dtype = as_dtype(np.dtype(spec["dtype"]))  # keeps the byte order the data was saved in
    except TypeError as error:
        raise GraphFileError(f"array dtype: {error}") from None
    shape = spec["shape"]
    _expect(
        isinstance(shape, list)
        and all(type(d) is int and 0 <= d <= MAX_DIM for d in shape)
        and len(shape) <= 32,
        "an array shape must be a short list of sizes",
    )
    size = int(np.prod(shape, dtype=np.float64)) if shape else 1
    _expect(size <= MAX_ELEMENTS, f"an array of {size} elements is too large")
    _expect(isinstance(spec["data"], str), "array data must be a base64 string")
    try:
        raw = base64.b64decode(spec["data"], validate=True)
    except ValueError:
        raise GraphFileError("array data is not valid base64") from None
    _expect(
        len(raw) == size * dtype.itemsize,
        f"array data has {len(raw)} bytes; shape {shape} of {dtype} needs {size * dtype.itemsize}",
    )
    return np.frombuffer(raw, dtype=dtype).reshape(shape)


def _decode_structure(tree: Any, nodes: list[Expr], depth: int) -> Any:
    _expect(depth < 64, "outputs nested too deeply")
    _expect(
        isinstance(tree, dict) and len(tree) == 1,
        "each output must be an object with one key: node, list, tuple or dict",
    )
    ((kind, value),) = tree.items()
    if kind == "node":
        _expect(
            type(value) is int and 0 <= value < len(nodes), f"output node {value!r} does not exist"
        )
        return nodes[value]
    if kind in ("list", "tuple"):
        _expect(isinstance(value, list), f"a {kind} output must hold a list")
        items = [_decode_structure(v, nodes, depth + 1) for v in value]
        return items if kind == "list" else tuple(items)
    if kind == "dict":
        _expect(isinstance(value, dict), "a dict output must hold an object")
        return {k: _decode_structure(v, nodes, depth + 1) for k, v in value.items()}
    raise GraphFileError(f"unknown output kind {kind!r}")
