"""Print the dependency graph between symgrad's packages (module-level imports) and the
imports made inside functions: ``python tools/import_layers.py``."""

from __future__ import annotations

import ast
import collections
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent / "src"


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] != "__init__") else "symgrad"


def imports() -> tuple[dict[str, set[str]], list[tuple[str, str]]]:
    """Edges between packages from module-level imports, and (module, target) pairs of
    imports inside functions (type-checking imports are left out)."""
    edges: dict[str, set[str]] = collections.defaultdict(set)
    inner: list[tuple[str, str]] = []
    for path in sorted((ROOT / "symgrad").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        package_parts = list(parts[:-1])
        tree = ast.parse(path.read_text())
        top_level = set(map(id, tree.body))
        checking = {
            id(n)
            for stmt in tree.body
            if isinstance(stmt, ast.If) and "TYPE_CHECKING" in ast.unparse(stmt.test)
            for n in ast.walk(stmt)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or not node.level or id(node) in checking:
                continue
            base = package_parts[: len(package_parts) - node.level + 1]
            # "from .. import errors" imports the module symgrad.errors
            named = node.module or node.names[0].name
            target = ".".join([*base, named])
            if id(node) in top_level:
                source, dest = _package(module), _package(target)
                if source != dest:
                    edges[source].add(dest)
            else:
                inner.append((module, target))
    return edges, inner


def main() -> int:
    edges, inner = imports()
    for package in sorted(edges):
        print(f"{package} -> {', '.join(sorted(edges[package]))}")
    print(f"imports inside functions: {len(inner)}")
    for module, target in inner:
        print(f"  {module} -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
