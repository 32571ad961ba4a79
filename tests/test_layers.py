"""The package's layers: what importing symgrad costs, and which way imports point."""

from __future__ import annotations

import subprocess
import sys


def test_import_does_not_load_sympy_or_networkx() -> None:
    # SymPy and networkx take most of a second to import; only checking and drawing need
    # them. NumPy's lazily loaded submodules (f2py, ma) and the optional backends neither.
    heavy = "{'sympy', 'networkx', 'numpy.f2py', 'numpy.ma', 'numba', 'dask'}"
    script = f"import sys, symgrad; print(sorted({heavy} & set(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_sympy_is_loaded_when_used() -> None:
    import symgrad as sg

    x = sg.var("x")
    assert str(sg.to_sympy(sg.sin(x) * 2)) == "2*sin(x)"
    assert str(sg.to_sympy(sg.round(x))) == "round(x)"
    back = sg.from_sympy(sg.to_sympy(sg.sinc(x) + sg.round(x)), {"x": x})
    assert float(back.eval({x: 0.5})) == float(sg.sinc(x).eval({x: 0.5}) + round(0.5))


def _package_graph() -> dict[str, set[str]]:
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "tools" / "import_layers.py"
    spec = importlib.util.spec_from_file_location("import_layers", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    edges, _ = module.imports()
    return edges


def test_the_core_imports_no_layer_above_it() -> None:
    assert _package_graph()["core"] <= {"errors"}


def test_packages_import_each_other_without_cycles() -> None:
    import networkx as nx

    edges = _package_graph()
    graph = nx.DiGraph([(a, b) for a, targets in edges.items() for b in targets])
    assert nx.is_directed_acyclic_graph(graph), nx.find_cycle(graph)
    # The pipeline's order: each stage imports only the stages before it.
    pipeline = ["core", "ops", "differentiate", "optimize", "emit", "compiler"]
    for i, stage in enumerate(pipeline):
        assert not edges.get(stage, set()) & set(pipeline[i + 1 :]), stage
