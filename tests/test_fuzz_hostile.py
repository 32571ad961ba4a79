"""Fuzzers for what users and files hand to symgrad: variable names, graph files and the
command line's expressions. Each runs a bounded number of examples from a fixed seed and
checks that nothing is executed (a canary file that any injection would create), that only
the documented errors come out, and that what runs has the shapes and dtypes the graph
declared."""

from __future__ import annotations

import base64
import copy
import importlib.util
import json
import random
from collections import Counter

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symgrad as sg
from symgrad.cli import main
from symgrad.core.walk import topological_order
from symgrad.ops.control import While
from symgrad.ops.subgraph import MultiOutput
from symgrad.parse import FUNCTIONS, ParseError, parse, variable_names
from symgrad.structure import flatten

from .op_table import CASES

CANARY = "symgrad_fuzz_canary"


def _injections(canary) -> list[str]:
    """Text that creates ``canary`` wherever it is run as Python code."""
    code = f"__import__('pathlib').Path({str(canary)!r}).write_text('ran')"
    return [
        code,
        f"x); {code}; (x",
        f"'); {code}; ('",
        f'"); {code}; ("',
        f"\n{code}\n",
        f"*/ {code} /*",
        f"#\n{code}",
        f"{{{code}}}",
        f"\\'); {code}; #",
    ]


# --- variable names ---------------------------------------------------------------------------

_names = st.one_of(
    st.text(max_size=24),  # any code points, lone surrogates included
    st.sampled_from(_injections("/nonexistent/never")),
    st.sampled_from(["", " ", "x", "x[0]", "np", "def", "__init__", "-->", "a\x00b", "\u2028"]),
)


@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=_names, injection=st.integers(0, len(_injections("")) - 1))
def test_any_name_compiles_runs_saves_and_draws_without_injection(tmp_path, name, injection):
    canary = tmp_path / CANARY
    names = [name, _injections(canary)[injection]]
    xs = [sg.var(n, shape=(2,)) for n in names]
    y = (sg.sin(xs[0]) * xs[1]).sum()
    values = [np.array([0.5, -1.0]), np.array([2.0, 3.0])]
    expected = float(np.sum(np.sin(values[0]) * values[1]))

    f = sg.compile([y, sg.grad(y, xs[0])], inputs=xs)
    value, gradient = f(*values)
    assert float(value) == pytest.approx(expected)
    np.testing.assert_allclose(gradient, np.cos(values[0]) * values[1])

    module = tmp_path / "saved.py"
    f.save(module)
    spec = importlib.util.spec_from_file_location("saved_fuzz", module)
    saved = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(saved)
    assert float(saved.evaluate(*values)[0]) == float(value)

    sg.save_graph(y, tmp_path / "g.json")
    loaded = sg.load_graph(tmp_path / "g.json")
    assert {v.name for v in sg.compile(loaded).inputs} == set(names)
    assert float(sg.compile(loaded, inputs=None)(*values)) == float(value)

    # Two different variables keep two different SymPy symbols and evaluate apart.
    symbolic = sg.to_sympy(y)
    assert isinstance(symbolic, sympy.Expr) and len(symbolic.free_symbols) == 4

    dot = sg.to_dot(y)
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    assert not canary.exists(), f"the name {name!r} was run as code"


# --- graph files ------------------------------------------------------------------------------

DTYPES = ["float32", "float64", "int8", "int64", "uint8", "bool", "float16"]


def _corpus() -> list[dict]:
    """Saved graphs of every other op in the table (with gradients), mixed dtypes and
    symbolic sizes, and each control-flow op."""
    graphs = []
    for case in CASES[::2]:
        xs = [sg.var(f"x{i}", shape=a.shape) for i, a in enumerate(case.arrays())]
        y = case.build(*xs)
        graphs.append([y, sg.grad((y * y).sum(), xs)])
    a, b, c = sg.var("a", (3,), "float32"), sg.var("b", (2, 3), "int8"), sg.var("c", ("n", 2))
    graphs.append([a * 2.0 + 1, b + 3, b > 0, sg.where(a > 0, a, 0.5), c.sum(axis=-1), c.T @ c])
    z = sg.var("z", (3,))
    branch = sg.cond(z.sum() > 0, lambda v: (v * v).sum(), lambda v: v.sum(), z)
    loop = sg.while_loop(lambda v: sg.norm(v) < 100.0, lambda v: v * 2.0, z, max_iterations=50)
    c0, rows = sg.var("c0", (2,)), sg.var("xs", (4, 2))
    carry, ys = sg.scan(lambda s, r: (s + r, s * r), c0, rows)
    graphs += [
        [branch, sg.grad(branch, z)],
        [loop, sg.grad(loop.sum(), z)],
        [carry, ys, sg.grad(carry.sum() + ys.sum(), [c0, rows])],
    ]
    documents = []
    for outputs in graphs:
        leaves, _ = flatten(outputs)
        documents.append(json.loads(_dumps(leaves)))
    return documents


def _dumps(outputs) -> str:
    import os
    import tempfile

    handle, path = tempfile.mkstemp(suffix=".json")
    os.close(handle)
    try:
        sg.save_graph(outputs, path)
        with open(path, encoding="utf-8") as file:
            return file.read()
    finally:
        os.unlink(path)


def _mutated_value(rng: random.Random, value, injections: list[str]):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return rng.choice([value + 1, value - 1, -value, -1, 0, value + 3, 40, -40, 2**40])
    if isinstance(value, str):
        if value in DTYPES:
            return rng.choice(DTYPES)
        return rng.choice([value + "x", "n", "", rng.choice(injections)])
    if isinstance(value, list):
        if not value:
            return [0]
        value = list(value)
        k = rng.randrange(len(value))
        value[k] = _mutated_value(rng, value[k], injections)
        if rng.random() < 0.2:
            value.reverse()
        return value
    if isinstance(value, dict) and set(value) == {"dtype"}:
        return {"dtype": rng.choice(DTYPES + [rng.choice(injections)])}
    if isinstance(value, dict) and set(value) == {"array"}:
        spec = value["array"]
        raw = base64.b64decode(spec["data"])
        array = np.frombuffer(raw, dtype=np.dtype(spec["dtype"])).reshape(spec["shape"])
        array = array.astype(rng.choice(DTYPES))
        data = base64.b64encode(array.tobytes()).decode("ascii")
        return {"array": {"dtype": array.dtype.str, "shape": list(array.shape), "data": data}}
    return value


def _mutated(rng: random.Random, document: dict, injections: list[str]) -> dict:
    document = copy.deepcopy(document)
    nodes = document["nodes"]
    for _ in range(rng.choice([1, 1, 2, 3])):
        i = rng.randrange(len(nodes))
        entry = nodes[i]
        fields = [
            k for k, v in entry["params"].items() if not (isinstance(v, dict) and "body" in v)
        ]
        if fields and rng.random() < 0.65:
            key = rng.choice(fields)
            entry["params"][key] = _mutated_value(rng, entry["params"][key], injections)
        elif entry["inputs"] and i:
            entry["inputs"][rng.randrange(len(entry["inputs"]))] = rng.randrange(i)
        elif rng.random() < 0.5:
            entry["op"] = rng.choice(["sum", "sin", "add", "reshape", "item", "param", "size"])
    return document


def _bounded(outputs) -> bool:
    """False if a while loop could run without a limit (a file may ask for that, as a
    user may: it is not an error, but it has no place in a fuzzer)."""
    for node in topological_order(outputs):
        op = node.op
        if isinstance(op, While) and not 0 < op.max_iterations <= 1000:
            return False
    return True


def _inputs_for(f, rng: np.random.Generator) -> list[np.ndarray]:
    values = []
    for v in f.inputs:
        shape = tuple(d if isinstance(d, int) else 2 for d in v.shape)
        values.append(rng.uniform(-2, 2, size=shape).astype(v.dtype))
    return values


def _declared_mismatches(outputs, rng) -> list[str]:
    """Run every node (not optimized) and the outputs (optimized); list the nodes whose
    run-time shape or dtype differs from what the graph declared."""
    nodes = [n for n in topological_order(outputs) if not isinstance(n.op, MultiOutput)]
    wrong = []
    for optimize, checked in ((False, nodes), (True, outputs)):
        f = sg.compile(checked, optimize=optimize)
        with np.errstate(all="ignore"):
            results = f(*_inputs_for(f, rng))
        for n, r in zip(checked, results):
            r = np.asarray(r)
            shape = n.shape if all(isinstance(d, int) for d in n.shape) else r.shape
            if r.dtype != n.dtype or r.shape != shape:
                wrong.append(
                    f"{n.op.label()}: declared {n.shape} {n.dtype}, ran {r.shape} {r.dtype}"
                )
    return wrong


FILE_MUTATIONS = 400


def test_mutated_graph_files_load_as_valid_graphs_or_not_at_all(tmp_path):
    canary = tmp_path / CANARY
    injections = _injections(canary)
    rng = random.Random(21)
    corpus = _corpus()
    counts: Counter[str] = Counter()
    wrong: list[str] = []
    path = tmp_path / "mutated.json"
    for k in range(FILE_MUTATIONS):
        path.write_text(json.dumps(_mutated(rng, rng.choice(corpus), injections)))
        try:
            loaded = sg.load_graph(path)
        except sg.GraphFileError:
            counts["refused"] += 1
            continue
        outputs, _ = flatten(loaded)
        if not _bounded(outputs):
            counts["unbounded loop, compiled only"] += 1
            sg.compile(outputs)
            continue
        try:
            wrong += _declared_mismatches(outputs, np.random.default_rng(k))
        except (np.linalg.LinAlgError, sg.IterationLimitError, MemoryError):
            # As NumPy would: a constructor's size (np.zeros((2**40, 2))) is a legal
            # parameter of a graph file, and NumPy refuses to allocate it.
            counts["refused at run time by the data"] += 1
            continue
        counts["loaded and ran"] += 1
    print(f"graph-file fuzzer: {FILE_MUTATIONS} mutations, {dict(counts)}")
    assert not wrong, wrong[:5]
    assert not canary.exists(), "a graph file ran code"
    assert counts["loaded and ran"] >= FILE_MUTATIONS // 5, counts  # the compile path is fuzzed


# --- command-line expressions -------------------------------------------------------------------

_NAMES_USED = ["x", "y"]


def _expression(rng: random.Random, depth: int = 0) -> str:
    """A random expression of the CLI's language: mostly well formed, with odd numbers,
    shapes and calls."""
    if depth > 3 or rng.random() < 0.3:
        return rng.choice(
            [*_NAMES_USED, "1", "2.5", "0", "1e300", "9**9", "pi", "x[0]", "x[1:]", "x.T"]
        )
    kind = rng.random()
    a, b = _expression(rng, depth + 1), _expression(rng, depth + 1)
    if kind < 0.4:
        return f"({a} {rng.choice(['+', '-', '*', '/', '**', '@', '<', '>='])} {b})"
    if kind < 0.8:
        name = rng.choice(sorted(FUNCTIONS))
        extra = rng.choice(
            ["", f", {b}", ", 0.5", ", axis=0", ", axis=-1", ", keepdims=True", ", (2, 2)"]
        )
        return f"{name}({a}{extra})"
    return rng.choice([f"-{a}", f"{a}.sum()", f"{a}.reshape(-1)", f"{a}[::-1]", f"({a})"])


def _hostile(rng: random.Random, canary) -> str:
    code = f"__import__('pathlib').Path({str(canary)!r}).write_text('ran')"
    return rng.choice(
        [
            code,
            f"x + {code}",
            f"sum(x, axis={code})",
            "x.__class__.__init__.__globals__",
            "[c for c in ().__class__.__base__.__subclasses__()]",
            f"(lambda: {code})()",
            f"x if {code} else x",
            f"{{'a': {code}}}",
            f"x[{code}]",
            f"x.reshape({code})",
            f"exec('{code}')",
            f"open({str(canary)!r}, 'w')",
            "sum(x * 9**9**9)",
            "sum(broadcast_to(x, (3000, 3000, 2)))",
            f"x * {'9' * 5000}",
            "(" * 300 + "x" + ")" * 300,
            f"x * 1e400 + {code}",
            "__import__",
            "x.__dict__",
            "_x + 1",
        ]
    )


def _garbled(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.randrange(1, 4)):
        op = rng.random()
        k = rng.randrange(len(chars) + 1)
        if op < 0.4:
            chars.insert(k, rng.choice("()[],.:+-*/@<>=_'\"\\ \n#;x0e9"))
        elif op < 0.8 and chars:
            del chars[min(k, len(chars) - 1)]
        else:
            chars[k:k] = list(rng.choice(["__", "lambda", "import", "**", "..."]))
    return "".join(chars)


PARSE_EXAMPLES = 600


def test_parsed_expressions_run_nothing_and_raise_only_value_errors(tmp_path):
    canary = tmp_path / CANARY
    rng = random.Random(7)
    variables = {"x": sg.var("x", shape=(3,)), "y": sg.var("y")}
    counts: Counter[str] = Counter()
    for _ in range(PARSE_EXAMPLES):
        roll = rng.random()
        if roll < 0.5:
            text = _expression(rng)
        elif roll < 0.75:
            text = _garbled(rng, _expression(rng))
        else:
            text = _hostile(rng, canary)
        try:
            result = parse(text, variables)
        except ParseError:
            counts["parse error"] += 1
            continue
        except sg.ShapeError:
            counts["shape error"] += 1
            continue
        assert isinstance(result, (sg.Expr, float, list, tuple)), (text, result)
        counts["built"] += 1
    print(f"expression fuzzer: {PARSE_EXAMPLES} texts, {dict(counts)}")
    assert not canary.exists(), "an expression ran code"
    assert counts["built"] >= PARSE_EXAMPLES // 5, counts


CLI_EXAMPLES = 40


def test_the_grad_command_runs_nothing_and_fails_in_one_line(tmp_path, capsys):
    canary = tmp_path / CANARY
    rng = random.Random(11)
    counts: Counter[int] = Counter()
    for k in range(CLI_EXAMPLES):
        text = _hostile(rng, canary) if k % 2 else f"sum({_expression(rng)})"
        values = {"x": "x=[0.5, 1.0, 2.0]", "y": "y=0.25"}
        try:
            used = [values[n] for n in variable_names(text) if n in values]
        except ParseError:
            used = list(values.values())
        try:
            code = main(["grad", text, *[a for v in used for a in ("--at", v)]])
        except SystemExit as stop:  # argparse's own errors
            code = stop.code
        err = capsys.readouterr().err
        assert code in (0, 1, 2), (text, code, err)
        if code == 2:
            assert err.count("\n") == 1 and "Traceback" not in err, (text, err)
        counts[code] += 1
    print(f"grad command fuzzer: {CLI_EXAMPLES} expressions, exit codes {dict(counts)}")
    assert not canary.exists(), "the grad command ran code"
