"""The code blocks of README.md and docs/*.md, run and compared with what they show.

Every fenced block says what it is in its info string: a language, then flags.

``python``
    Run, in order, in one namespace per page (in a scratch directory, so files the page
    writes go there). A statement followed by ``# -> TEXT`` shows a value: ``repr`` of the
    value must match ``TEXT`` (``...`` stands for any characters).
``pycon``
    A session: each ``>>>`` line (with its ``...`` continuations) runs, and the lines up to
    the next prompt are what it prints; an exception shows as ``Traceback (most recent call
    last):``, ``...`` and its last line.
``console``
    ``$ symgrad ...`` commands, each followed by what it prints.
``json``
    A saved graph: it must load with ``sg.load_graph``.
``LANG output``
    What the nearest code block above it printed (any language: ``python output`` for
    emitted source reads better highlighted). A line ``...`` stands for any lines. With
    ``output excerpt`` the block is a part of what was printed, not the whole.
``sh ci``
    Shell commands for a fresh machine (the README's first lines): not run here, but every
    command in them must be in ``.ci/run``, which CI runs.
``LANG illustrative``
    Not run: a signature, a layout. Any block with another language (``text``) must say
    ``illustrative`` or ``output``.

Indented code blocks are refused: they cannot say what they are.

When the emitted code or a message changes, regenerate what the pages show with::

    python -m tests.doc_blocks --update            # every page, and docs/tutorial.ipynb
    python -m tests.doc_blocks --update docs/building.md

and read the diff: it should change only what the code now prints.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import difflib
import io
import os
import re
import shlex
import sys
import tempfile
import tokenize
import traceback
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NOTEBOOK = ROOT / "docs" / "tutorial.ipynb"
UPDATE_COMMAND = "python -m tests.doc_blocks --update"
RUNNABLE = {"python", "pycon", "console", "json"}


@dataclasses.dataclass
class Block:
    """A fenced block: where it is, its language and flags, and its text."""

    page: Path
    start: int  # 0-based line of the opening fence
    end: int  # 0-based line after the closing fence
    language: str
    flags: set[str]
    text: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.start + 1}"

    @property
    def body_start(self) -> int:
        """0-based line of the block's first line of text."""
        return self.start + 1


@dataclasses.dataclass
class Mismatch:
    block: Block
    message: str
    #: The block's text as the code now prints it (None when it cannot be regenerated).
    replacement: str | None = None


class DocError(Exception):
    """A block could not run; the message says where and why."""


def blocks(page: Path) -> list[Block]:
    """The code blocks of a Markdown page, in order; indented code blocks raise DocError."""
    from markdown_it import MarkdownIt

    text = page.read_text(encoding="utf-8")
    found = []
    for token in MarkdownIt().parse(text):
        if token.type == "code_block":
            raise DocError(
                f"{page.relative_to(ROOT)}:{token.map[0] + 1}: an indented code block; use a "
                "fenced one whose info string says what it is (see tests/doc_blocks.py)"
            )
        if token.type == "fence":
            words = token.info.split()
            language = words[0] if words else ""
            found.append(
                Block(page, token.map[0], token.map[1], language, set(words[1:]), token.content)
            )
    return found


# --- comparing --------------------------------------------------------------------------------


def _line_matches(expected: str, actual: str) -> bool:
    """``...`` in ``expected`` stands for any characters."""
    if "..." not in expected:
        return expected == actual
    pattern = ".*".join(re.escape(part) for part in expected.split("..."))
    return re.fullmatch(pattern, actual, re.S) is not None


def _segments(expected: list[str]) -> list[list[str]]:
    out: list[list[str]] = [[]]
    for line in expected:
        if line.strip() == "...":
            out.append([])
        else:
            out[-1].append(line)
    return out


def lines_match(expected: list[str], actual: list[str], excerpt: bool) -> bool:
    """Does ``actual`` read as ``expected``? A line ``...`` in ``expected`` stands for any
    number of lines; with ``excerpt`` the expected lines may start and end anywhere."""
    expected = [e.rstrip() for e in expected]
    actual = [a.rstrip() for a in actual]
    segments = _segments(expected)
    anchored_start = not excerpt and (not expected or expected[0].strip() != "...")
    anchored_end = not excerpt and (not expected or expected[-1].strip() != "...")
    position = 0
    for k, segment in enumerate(segments):
        if not segment:
            continue
        first = position
        last = position if anchored_start and k == 0 else len(actual) - len(segment)
        for at in range(first, last + 1):
            if actual[at : at + len(segment)] == segment:
                position = at + len(segment)
                break
        else:
            return False
    return not anchored_end or position == len(actual) or not segments[-1]


def regenerate(expected: list[str], actual: list[str], excerpt: bool) -> list[str] | None:
    """``expected`` rewritten from ``actual``, keeping its ``...`` gaps where they were: each
    segment between gaps is replaced by the part of ``actual`` that best matches it.
    None where a segment matches nothing (it must then be edited by hand)."""
    segments = _segments([e.rstrip() for e in expected])
    actual = [a.rstrip() for a in actual]
    if len(segments) == 1 and not excerpt:
        return actual
    out: list[str] = []
    position = 0
    for k, segment in enumerate(segments):
        if k:
            out.append(_gap(expected))
        if not segment:
            continue
        rest = actual[position:]
        matcher = difflib.SequenceMatcher(None, segment, rest, autojunk=False)
        matched = [m for m in matcher.get_matching_blocks() if m.size]
        if matched:
            start = max(0, matched[0].b - matched[0].a)
            tail = len(segment) - matched[-1].a - matched[-1].size
            stop = min(len(rest), matched[-1].b + matched[-1].size + tail)
        else:  # no line is the same: anchor the segment at the line most like its first
            scores = [difflib.SequenceMatcher(None, segment[0], line).ratio() for line in rest]
            if not scores or max(scores) < 0.6:
                return None
            start = scores.index(max(scores))
            stop = min(len(rest), start + len(segment))
        if k == 0 and not excerpt:
            start = 0
        if k == len(segments) - 1 and not excerpt:
            stop = len(rest)
        out.extend(rest[start:stop])
        position += stop
    return out


def _gap(expected: list[str]) -> str:
    return next((e.rstrip() for e in expected if e.strip() == "..."), "...")


# --- running ----------------------------------------------------------------------------------


class Page:
    """Runs the blocks of one page in order and collects the mismatches."""

    def __init__(self, page: Path):
        self.page = page
        self.namespace: dict[str, object] = {"__name__": "__doc_page__"}
        self.printed: str | None = None  # what the last runnable block printed
        self.mismatches: list[Mismatch] = []

    def run(self) -> list[Mismatch]:
        with tempfile.TemporaryDirectory() as scratch, _inside(scratch):
            for block in blocks(self.page):
                self._run_block(block)
        return self.mismatches

    def _run_block(self, block: Block) -> None:
        if "illustrative" in block.flags:
            return
        if "output" in block.flags:
            self._compare_output(block)
            return
        if "ci" in block.flags:
            self._check_ci(block)
            return
        if block.language not in RUNNABLE:
            raise DocError(
                f"{block.where}: a {block.language or 'plain'!r} block must say `output` or "
                "`illustrative` in its info string (see tests/doc_blocks.py)"
            )
        runner = getattr(self, f"_run_{block.language}")
        self.problems: list[str] = []
        self.printed, replacement = runner(block)
        if self.problems:
            message = "\n".join(self.problems)
            self.mismatches.append(Mismatch(block, f"{block.where}: {message}", replacement))

    def _compare_output(self, block: Block) -> None:
        if self.printed is None:
            raise DocError(f"{block.where}: an output block with no code block above it")
        expected = block.text.splitlines()
        actual = self.printed.splitlines()
        excerpt = "excerpt" in block.flags
        if not lines_match(expected, actual, excerpt):
            new = regenerate(expected, actual, excerpt)
            self._mismatch(
                block,
                "the output shown differs from what the code prints:\n" + _diff(expected, actual),
                None if new is None else "\n".join(new) + "\n",
            )

    def _check_ci(self, block: Block) -> None:
        script = (ROOT / ".ci" / "run").read_text(encoding="utf-8").replace("--quiet ", "")
        for line in block.text.splitlines():
            for command in (c.strip() for c in line.split("&&")):
                if command.startswith(("python3 -m venv", ". .venv/bin/activate")):
                    continue  # .ci/run makes its own fresh environment
                if command not in script:
                    self._mismatch(
                        block, f"`{command}` is not in .ci/run, so CI does not check it", None
                    )

    def _mismatch(self, block: Block, message: str, replacement: str | None) -> None:
        self.mismatches.append(Mismatch(block, f"{block.where}: {message}", replacement))

    def _problem(self, message: str) -> None:
        self.problems.append(message)

    # python blocks ----------------------------------------------------------------------

    def _run_python(self, block: Block) -> tuple[str, str | None]:
        source = block.text
        expectations = _arrow_comments(source)
        tree = _parse(source, block)
        out = io.StringIO()
        new_lines = source.splitlines()
        changed = False
        for statement in tree.body:
            last = statement.end_lineno or statement.lineno
            expected = expectations.get(last)
            code = ast.Module(body=[statement], type_ignores=[])
            ast.increment_lineno(code, block.body_start)
            filename = str(block.page)
            try:
                with contextlib.redirect_stdout(out):
                    if expected is not None and isinstance(statement, ast.Expr):
                        expression = ast.Expression(body=statement.value)
                        ast.increment_lineno(expression, block.body_start)
                        value = eval(compile(expression, filename, "eval"), self.namespace)
                    else:
                        exec(compile(code, filename, "exec"), self.namespace)
                        continue
            except Exception:
                raise DocError(
                    f"{block.where}: the block raised\n{traceback.format_exc(limit=-3)}"
                ) from None
            shown = repr(value)
            if not _line_matches(expected, " ".join(shown.split())):
                self._problem(
                    f"line {block.body_start + last}: shows `# -> {expected}` but the value is "
                    f"{shown}"
                )
                index = last - 1
                head = new_lines[index][: new_lines[index].rindex("# -> ") + 5]
                new_lines[index] = head + _one_line(shown)
                changed = True
        return out.getvalue(), "\n".join(new_lines) + "\n" if changed else None

    # pycon blocks ------------------------------------------------------------------------

    def _run_pycon(self, block: Block) -> tuple[str, str | None]:
        out_all = io.StringIO()
        rebuilt: list[str] = []
        changed = False
        for source, expected, prompt_lines in _examples(block.text):
            out = io.StringIO()
            try:
                with contextlib.redirect_stdout(out):
                    code = compile(source, "<stdin>", "single")
                    exec(code, self.namespace)
                actual = out.getvalue().splitlines()
            except Exception as error:
                actual = ["Traceback (most recent call last):", "  ...", _exception_line(error)]
            out_all.write(out.getvalue())
            rebuilt += prompt_lines
            if _session_matches(expected, actual):
                rebuilt += expected
            else:
                self._problem(
                    f"`{source.strip()[:60]}` prints something else:\n" + _diff(expected, actual)
                )
                rebuilt += actual
                changed = True
        return out_all.getvalue(), "\n".join(rebuilt) + "\n" if changed else None

    # console blocks ----------------------------------------------------------------------

    def _run_console(self, block: Block) -> tuple[str, str | None]:
        from symgrad.cli import main

        rebuilt: list[str] = []
        changed = False
        printed = ""
        for command, expected in _commands(block.text):
            words = shlex.split(command)
            if not words or words[0] != "symgrad":
                raise DocError(
                    f"{block.where}: only symgrad commands run here; mark the block "
                    f"`console illustrative` to show `{command}`"
                )
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stderr(err):
                main(words[1:], out=out)
            printed = out.getvalue() + err.getvalue()
            actual = printed.splitlines()
            rebuilt.append(f"$ {command}")
            if lines_match(expected, actual, excerpt=False):
                rebuilt += expected
            else:
                self._problem(f"`$ {command}` prints something else:\n" + _diff(expected, actual))
                rebuilt += regenerate(expected, actual, excerpt=False) or actual
                changed = True
        return printed, "\n".join(rebuilt) + "\n" if changed else None

    # json blocks -------------------------------------------------------------------------

    def _run_json(self, block: Block) -> tuple[str, str | None]:
        import symgrad as sg

        path = Path("doc-block.json")
        path.write_text(block.text, encoding="utf-8")
        try:
            sg.load_graph(path)
        except Exception as error:
            raise DocError(f"{block.where}: the graph file does not load: {error}") from None
        finally:
            path.unlink()
        return "", None


@contextlib.contextmanager
def _inside(directory: str) -> Iterator[None]:
    previous = os.getcwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(previous)


def _parse(source: str, block: Block) -> ast.Module:
    try:
        return ast.parse(source)
    except SyntaxError as error:
        raise DocError(f"{block.where}: not valid Python: {error}") from None


def _arrow_comments(source: str) -> dict[int, str]:
    """``{line: TEXT}`` for each ``# -> TEXT`` comment (1-based lines of the block)."""
    found = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT and token.string.startswith("# -> "):
            found[token.start[0]] = token.string[len("# -> ") :].strip()
    return found


def _one_line(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _examples(text: str) -> Iterator[tuple[str, list[str], list[str]]]:
    """(source, expected output lines, the prompt lines) of each ``>>>`` example."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].startswith(">>> "):
            i += 1
            continue
        prompt = [lines[i]]
        source = [lines[i][4:]]
        i += 1
        while i < len(lines) and lines[i].startswith("... "):
            prompt.append(lines[i])
            source.append(lines[i][4:])
            i += 1
        expected = []
        while i < len(lines) and not lines[i].startswith(">>> ") and lines[i].strip():
            expected.append(lines[i])
            i += 1
        yield "\n".join(source) + "\n", expected, prompt


def _exception_line(error: BaseException) -> str:
    kind = type(error)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    return f"{name}: {error}"


def _session_matches(expected: list[str], actual: list[str]) -> bool:
    if expected[:1] == ["Traceback (most recent call last):"] and actual[:1] == expected[:1]:
        return _line_matches(" ".join(expected[-1:]), actual[-1])
    if len(expected) != len(actual):
        return False
    return all(_line_matches(e.rstrip(), a.rstrip()) for e, a in zip(expected, actual))


def _commands(text: str) -> Iterator[tuple[str, list[str]]]:
    command = None
    expected: list[str] = []
    for line in text.splitlines():
        if line.startswith("$ "):
            if command is not None:
                yield command, expected
            command, expected = line[2:], []
        elif command is not None:
            expected.append(line)
    if command is not None:
        yield command, expected


def _diff(expected: list[str], actual: list[str]) -> str:
    lines = difflib.unified_diff(expected, actual, "shown", "printed", lineterm="", n=1)
    return "\n".join(list(lines)[:60])


# --- updating ---------------------------------------------------------------------------------


def update_page(page: Path) -> int:
    """Rewrite the blocks of ``page`` that differ from what the code prints; return how
    many changed. Blocks that cannot be regenerated are reported on stderr."""
    mismatches = Page(page).run()
    lines = page.read_text(encoding="utf-8").splitlines(keepends=True)
    changed = 0
    for m in sorted(mismatches, key=lambda m: -m.block.start):
        if m.replacement is None:
            print(f"edit by hand: {m.message}", file=sys.stderr)
            continue
        fence_open, fence_close = lines[m.block.start], lines[m.block.end - 1]
        lines[m.block.start : m.block.end] = [fence_open, m.replacement, fence_close]
        changed += 1
    if changed:
        page.write_text("".join(lines), encoding="utf-8")
    return changed


def execute_notebook(path: Path, timeout: int = 600) -> object:
    """``path`` executed from its first cell, in a fresh kernel, in its own directory."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    return notebook


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "--update":
        print(__doc__)
        return 2
    chosen = [Path(a).resolve() for a in argv[1:]] or [*PAGES, NOTEBOOK]
    for page in chosen:
        if page.suffix == ".ipynb":
            import nbformat

            nbformat.write(execute_notebook(page), page)
            print(f"{page.relative_to(ROOT)}: executed, outputs saved")
            continue
        changed = update_page(page)
        print(f"{page.relative_to(ROOT)}: {changed} block(s) rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
