"""What a recipe or a plugin param names for output stays inside the run folder: ``RunInfo.path`` refuses
an absolute path, ``..`` or a symlink out of the folder, and the built-in loggers write through it, so a
recipe's ``loggers=[{name: tensorboard, params: {folder: ../../x}}]`` stops before the first step with
one line naming the logger, and nothing is written outside."""

from __future__ import annotations

import pytest

from conftest import RECIPE
from ganzoo import RunInfo, cli
from ganzoo.errors import ContractViolation
from runs import single_thread  # noqa: F401 (autouse fixture)
from runs import TINY


def _info(run_dir):
    return RunInfo(models={}, optimizers={}, run_dir=run_dir, data=None, total_steps=1, steps_per_epoch=1)


def test_run_path_gives_a_path_inside_the_run_folder(tmp_path):
    assert _info(tmp_path).path("tensorboard") == tmp_path / "tensorboard"
    assert _info(tmp_path).path("logs", "mine") == tmp_path / "logs" / "mine"


@pytest.mark.parametrize("name", ["../x", "a/../../x", "/abs/path", "", "."])
def test_run_path_refuses_a_path_out_of_the_run_folder(tmp_path, name):
    with pytest.raises(ContractViolation, match=f"the output path '{name}' is not inside the run folder"):
        _info(tmp_path / "run").path(name)


def test_run_path_refuses_a_symlink_out_of_the_run_folder(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "tb").symlink_to(tmp_path)
    with pytest.raises(ContractViolation, match="the output path 'tb' is not inside"):
        _info(tmp_path / "run").path("tb")


def _tree(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize("folder", ["../../escaped", "ABSOLUTE", "link"])
def test_a_loggers_folder_out_of_the_run_folder_stops_the_run_in_one_line(data_env, tmp_path, capsys, folder):
    work = tmp_path / "work"
    run_dir = work / "runs" / "run"
    run_dir.mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    if folder == "ABSOLUTE":
        folder = str(outside / "tb")
    if folder == "link":
        (run_dir / "link").symlink_to(outside)
    before = _tree(tmp_path)
    code = cli.main([str(a) for a in ("run", RECIPE, *TINY, "train.epochs=1",
                                      f"loggers=[{{name: tensorboard, params: {{folder: '{folder}'}}}}]",
                                      "--out", run_dir, "--quiet")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    line = err[-1]
    assert line.startswith("ganzoo: error: ") and "callback 'tensorboard' (ganzoo " in line, line
    assert f"the output path '{folder}' is not inside the run folder {run_dir}" in line
    assert "(before the first step); give a path relative to the run folder, without '..'" in line
    assert not (tmp_path / "escaped").exists() and list(outside.iterdir()) == []
    assert [p for p in _tree(tmp_path) if p not in before and not p.startswith("work/runs/run")] == []
