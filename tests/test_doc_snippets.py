"""Every snippet of README.md and docs/*.md marked runnable runs, so that none goes stale.

A fenced block whose info string ends in ``run`` is runnable (docs/doc-snippets.md):

- ```` ```sh run ````: one ``ganzoo`` command a line (``VAR=value`` prefixes and ``# comments`` allowed),
  each of which must exit 0;
- ```` ```console run ````: a transcript: ``$ ganzoo ...`` lines, each followed by the lines it
  must print (``...`` stands for any text), whatever its exit code;
- ```` ```python run ````: Python, run with the file's other Python snippets in one namespace.

The snippets of one file run in order, in one fresh folder (``recipes/`` and ``examples/`` of the
clone linked into it), with small settings: the 512-image MNIST of the tests in ``GANZOO_DATA``
(``/path/to/folder-holding-MNIST/raw`` is replaced by it) and every recipe loaded with ``TINY``
put before its overrides (the snippet's own win). ``RUN_DIR`` stands for the newest run folder the
file's snippets made. The ``ganzoo`` commands run in this process (``ganzoo.cli.main``): no
interpreter start-up per line.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import textwrap
from pathlib import Path

import pytest

import ganzoo.recipe.build
from conftest import ROOT
from ganzoo.cli import main

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w+) run\s*$")
DATA_PLACEHOLDER = "/path/to/folder-holding-MNIST/raw"
TINY = ["train.epochs=1", "train.batch_size=64", "train.log_every=4", "output.grid_size=16", "train.threads=1",
        "eval.every=0"]


def runnable_snippets(path: Path) -> list[tuple[int, str, str]]:
    """(line number, language, code) of each runnable block of a markdown file, in order."""
    lines, found, start = path.read_text(encoding="utf-8").splitlines(), [], None
    for number, line in enumerate(lines, start=1):
        if start is None:
            match = FENCE.match(line.strip())
            if match:
                start, language, body = number, match.group(1), []
        elif line.strip().startswith("```"):
            found.append((start, language, textwrap.dedent("\n".join(body))))
            start = None
        else:
            body.append(line)
    return found


def files_with_snippets() -> list[Path]:
    return [path for path in DOCS if runnable_snippets(path)]


def test_the_docs_mark_their_runnable_snippets():
    """The files the issue named have snippets under test; a marker typo would silently test nothing."""
    marked = {path.name for path in files_with_snippets()}
    assert {"README.md", "api.md", "ecosystem.md", "recipes.md", "translation.md"} <= marked


@pytest.mark.parametrize("path", files_with_snippets(), ids=lambda path: path.name)
def test_runnable_snippets_run(path, mnist_root, tmp_path, monkeypatch):
    for name in ("recipes", "examples"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GANZOO_DATA", str(mnist_root))
    parse_overrides = ganzoo.recipe.build.parse_overrides
    monkeypatch.setattr(ganzoo.recipe.build, "parse_overrides", lambda overrides: parse_overrides([*TINY, *overrides]))
    namespace: dict = {"__name__": "__snippet__"}
    for line, language, code in runnable_snippets(path):
        where = f"{path.relative_to(ROOT)}:{line}"
        code = code.replace(DATA_PLACEHOLDER, str(mnist_root))
        if language == "python":
            try:
                exec(compile(_with_run_dir(code, tmp_path, where), where, "exec"), namespace)
            except Exception as error:
                pytest.fail(f"{where}: the Python snippet raised {type(error).__name__}: {error}")
        elif language == "sh":
            for text in code.splitlines():
                command = shlex.split(_with_run_dir(text, tmp_path, where), comments=True)
                if command:
                    status, output = _ganzoo(command, where, monkeypatch)
                    assert status == 0, f"{where}: `{shlex.join(command)}` exited {status}:\n{output}"
        elif language == "console":
            _check_transcript(code, where, monkeypatch, tmp_path)
        else:
            pytest.fail(f"{where}: a runnable snippet must be sh, console or python, not {language}")


def _with_run_dir(code: str, folder: Path, where: str) -> str:
    """``RUN_DIR`` replaced by the newest run folder the snippets made so far."""
    if "RUN_DIR" not in code:
        return code
    runs = [run for run in (folder / "runs").glob("*") if (run / "recipe.yaml").is_file()]
    assert runs, f"{where}: RUN_DIR before any snippet of the file made a run (ganzoo run or ganzoo.train)"
    return code.replace("RUN_DIR", str(max(runs, key=lambda run: run.stat().st_mtime_ns)))


def _ganzoo(command: list[str], where: str, monkeypatch) -> tuple[int, str]:
    """Run one ``[VAR=value ...] ganzoo ARGS`` line in this process: (exit code, what it printed)."""
    while command and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", command[0]):
        name, _, value = command.pop(0).partition("=")
        monkeypatch.setenv(name, value)
    if not command or command[0] != "ganzoo":
        pytest.fail(f"{where}: a runnable sh snippet holds ganzoo commands only, not `{shlex.join(command)}`")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        code = main(command[1:])
    return code, printed.getvalue()


def _check_transcript(code: str, where: str, monkeypatch, folder: Path) -> None:
    steps: list[tuple[str, list[str]]] = []
    for line in code.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif steps:
            steps[-1][1].append(line)
    for command, expected in steps:
        _, output = _ganzoo(shlex.split(_with_run_dir(command, folder, where), comments=True), where, monkeypatch)
        printed = output.splitlines()
        for want in expected:
            pattern = ".*".join(map(re.escape, want.split("...")))
            assert any(re.fullmatch(pattern, got) for got in printed), (
                f"{where}: `{command}` did not print\n  {want}\nbut:\n{output}")
