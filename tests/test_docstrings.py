"""Every example in a docstring of the package runs and prints what it shows."""

import doctest
import importlib
from pathlib import Path

import pytest

import symgrad

_PACKAGE = Path(symgrad.__file__).parent
# Every module, found by file (the ops package has no __init__.py, so walking packages misses it).
MODULES = sorted(
    f"symgrad.{'.'.join(path.relative_to(_PACKAGE).with_suffix('').parts)}"
    for path in _PACKAGE.rglob("*.py")
    if path.name not in ("__init__.py", "__main__.py")
) + ["symgrad"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) in {name} failed (see above)"
