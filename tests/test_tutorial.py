"""docs/tutorial.ipynb runs from a fresh kernel, and the outputs committed with it are the
ones it prints now (cells tagged "varies", timings and memory, excepted)."""

import nbformat
import pytest

from tests import doc_blocks


def _text(cell) -> str:
    """What a code cell printed and returned, as text (pictures and HTML left out). Joined,
    since a kernel may split one printed text into several stream outputs."""
    shown = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            shown.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            if "image/png" not in output.data:
                shown.append(output.data.get("text/plain", ""))
        elif output.output_type == "error":
            shown.append(f"{output.ename}: {output.evalue}")
    return "".join(shown)


def test_the_committed_notebook_has_its_outputs():
    notebook = nbformat.read(doc_blocks.NOTEBOOK, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert len(code) > 20
    for cell in code:
        assert cell.execution_count is not None, f"not executed: {cell.source[:60]!r}"
        assert not any(o.output_type == "error" for o in cell.outputs), cell.source[:60]
    pictures = [o for c in code for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(pictures) == 1  # the plot of sin(x) and its derivative


@pytest.mark.slow
def test_the_notebook_runs_and_prints_what_is_committed():
    committed = nbformat.read(doc_blocks.NOTEBOOK, as_version=4)
    fresh = doc_blocks.execute_notebook(doc_blocks.NOTEBOOK, timeout=300)
    stale = []
    for old, new in zip(committed.cells, fresh.cells):
        if old.cell_type != "code" or "varies" in old.metadata.get("tags", []):
            continue
        if _text(old) != _text(new):
            stale.append(
                f"{old.source[:60]!r}:\n  committed {_text(old)!r:.300}\n  now {_text(new)!r:.300}"
            )
    assert not stale, (
        "docs/tutorial.ipynb shows outputs the code no longer prints:\n"
        + "\n".join(stale)
        + f"\nRe-execute and save it: {doc_blocks.UPDATE_COMMAND} docs/tutorial.ipynb"
    )
