"""Sweeps (`ganzoo run RECIPE -m KEY=A,B ...`): comma lists expand into a grid (lists stay whole),
each run in its own folder under the sweep folder with a manifest; --jobs runs them in parallel
with the cores shared out; a failed run is reported and the others finish; Ctrl-C stops cleanly.
And `ganzoo compare` on the sweep and on run folders: the table and the picture."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from conftest import ROOT, run_ganzoo
from ganzoo import GanzooError, cli
from ganzoo.compare.picture import CELL, caption_lines
from ganzoo.compare.runs import RunSummary, collect_runs
from ganzoo.sweep.grid import expand_grid, split_choices
from ganzoo.sweep.runner import available_cores

# the Gaussian mixture needs no data files; 512 points are 2 steps of 256
TINY_RING = ["train.epochs=1", "output.grid_size=64"]


def test_commas_split_values_but_not_lists_or_quoted_text():
    assert split_choices("1e-4,2e-4") == ["1e-4", "2e-4"]
    assert split_choices("[256,256]") == ["[256,256]"]
    assert split_choices("[64],[128,128]") == ["[64]", "[128,128]"]
    assert split_choices("{a: 1, b: 2},{a: 3}") == ["{a: 1, b: 2}", "{a: 3}"]
    assert split_choices("'a,b',c") == ["'a,b'", "c"]


def test_the_grid_is_the_cartesian_product_last_key_fastest():
    grid = expand_grid(["optimizers.generator.lr=1e-4,2e-4", "seed=0,1,2", "generator.params.hidden=[8,8]"])
    assert len(grid) == 6
    assert grid[0] == ["optimizers.generator.lr=1e-4", "seed=0", "generator.params.hidden=[8,8]"]
    assert grid[1][:2] == ["optimizers.generator.lr=1e-4", "seed=1"]
    assert grid[5][:2] == ["optimizers.generator.lr=2e-4", "seed=2"]


@pytest.mark.parametrize("overrides, message", [
    (["seed=0,,1"], "empty choice"), (["seed=0,0"], "repeats a value"), (["seed=0,1", "seed=2"], "sets seed twice")])
def test_a_malformed_grid_is_one_line(overrides, message):
    with pytest.raises(GanzooError, match=message):
        expand_grid(overrides)


def test_sweep_options_are_checked_before_anything_runs(tmp_path, capsys):
    assert cli.main(["run", "gaussians_ring", "--jobs", "2", "seed=0,1"]) == 2
    assert "add -m" in capsys.readouterr().err
    # every member's recipe is checked first: a bad value in the grid names its run, and nothing is written
    out = tmp_path / "sweep"
    assert cli.main(["run", "gaussians_ring", "-m", "train.epochs=1,0", "--out", str(out)]) == 2
    assert "sweep run run-001 (train.epochs=0)" in capsys.readouterr().err
    assert not out.exists()


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """Two runs at a time; the one with fewer points than a batch fails."""
    out = tmp_path_factory.mktemp("sweep") / "ring-sweep"
    result = run_ganzoo("run", "gaussians_ring", "-m", *TINY_RING, "dataset.params.samples=512,100",
                        "--jobs", "2", "--out", out)
    return out, result


def test_a_sweep_runs_every_member_in_its_own_folder_and_reports_the_failed_one(sweep):
    out, result = sweep
    assert result.returncode == 1, result.stderr
    manifest = json.loads((out / "sweep.json").read_text())
    runs = {run["name"]: run for run in manifest["runs"]}
    assert [run["status"] for run in runs.values()] == ["finished", "failed"]
    assert runs["run-001"]["overrides"][-1] == "dataset.params.samples=100"
    assert "fewer than train.batch_size" in runs["run-001"]["error"]
    assert "run-001 failed" in result.stdout and "fewer than train.batch_size" in result.stdout
    assert list((out / "run-000" / "checkpoints").glob("step-*.pt"))  # a real run: resumable, sampled
    assert (out / "run-000" / "samples" / "epoch-001.png").is_file()
    recipe = (out / "run-000" / "recipe.yaml").read_text()
    assert "samples: 512" in recipe
    assert f"threads: {max(1, available_cores() // 2)}" in recipe  # two at a time: half the cores each


def test_compare_on_a_sweep_writes_the_table_and_the_picture_into_it(sweep, capsys):
    out, _ = sweep
    assert cli.main(["compare", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "dataset.params.samples=512" in printed and "failed" in printed
    header, *rows = (out / "compare.csv").read_text().splitlines()
    assert header.split(",")[:4] == ["run", "status", "differs in", "step"] and "d_loss" in header
    assert rows[0].startswith("run-000,finished,dataset.params.samples=512,2,")
    assert rows[1].startswith("run-001,failed,dataset.params.samples=100,-,")
    picture = Image.open(out / "compare.png")
    assert picture.width >= 900 and picture.height > 600  # grids above two loss panels


def test_compare_of_run_folders_shows_what_differs_and_their_eval_scores(sweep, tmp_path, capsys):
    out, _ = sweep
    other = tmp_path / "other-run"  # the same run with another learning rate recorded, and `ganzoo eval` scores
    shutil.copytree(out / "run-000", other)
    recipe = other / "recipe.yaml"
    recipe.write_text(recipe.read_text().replace("lr: 0.0005", "lr: 0.0002", 1))
    (other / "eval.json").write_text(json.dumps({"metrics": {"fid": {"generated": 12.5}}}))
    assert cli.main(["compare", str(out / "run-000"), str(other), "--out", str(tmp_path)]) == 0
    header, first, second = (tmp_path / "compare.csv").read_text().splitlines()
    assert header.endswith(",fid,wall s")
    assert first.startswith("run-000,finished,optimizers.generator.params.lr=0.0005,") and first.split(",")[-2] == "-"
    assert second.startswith("other-run,finished,optimizers.generator.params.lr=0.0002,") and second.split(",")[-2] == "12.5"
    assert (tmp_path / "compare.png").is_file()


def test_compare_turns_a_table_too_wide_for_one_row_per_run(sweep, tmp_path, capsys):
    """A translation run's two directions give some thirty scores: one row per run squeezed every column to
    an ellipsis. Then each run is a column and each value a row, every name and number whole."""
    out, _ = sweep
    other = shutil.copytree(out / "run-000", tmp_path / "translated")
    scores = {f"{direction}_{metric}": {"generated": 0.125 + i}
              for i, (direction, metric) in enumerate((d, m) for d in ("a2b", "b2a") for m in
                                                     ("accuracy", "density", "coverage", "fid", "kid", "l1",
                                                      "mnist_score", "modes", "mode_kl", "precision", "recall",
                                                      "psnr", "ssim"))}
    (other / "eval.json").write_text(json.dumps({"metrics": scores}))
    assert cli.main(["compare", str(out / "run-000"), str(other), "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "…" not in printed and max(map(len, printed.splitlines())) <= 200
    lines = {line.split("│")[1].strip(): line for line in printed.splitlines() if line.startswith("│")}
    assert set(scores) <= set(lines) and "25.12" in lines["b2a_ssim"]  # a row per score, its value whole
    assert "translated" in printed.splitlines()[2]  # the runs head the columns
    assert (tmp_path / "compare.csv").read_text().splitlines()[0].endswith(",b2a_ssim,wall s")  # the CSV: a row a run
    # a narrow table keeps one row per run
    assert cli.main(["compare", str(out), "--out", str(tmp_path)]) == 0
    assert "run-001" in [line.split("│")[1].strip() for line in capsys.readouterr().out.splitlines()
                         if line.startswith("│")]


def test_compare_says_whether_a_run_folder_given_alone_finished(sweep, tmp_path):
    """Not 'run': finished once its last epoch's grid is written, else unfinished (stopped or crashed)."""
    out, _ = sweep
    stopped = shutil.copytree(out / "run-000", tmp_path / "stopped")
    (stopped / "samples" / "epoch-001.png").unlink()
    runs = collect_runs([str(out / "run-000"), str(stopped)])
    assert [run.status for run in runs] == ["finished", "unfinished"]


def test_compare_captions_keep_whole_names_and_one_choice_a_line():
    """Values ran together ('lr=1e-4seed=0') and long names were cut: a caption wraps, it cuts nothing."""
    draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    name = "vanilla_mnist-20261206-163559-with-a-long-suffix"
    run = RunSummary(name=name, folder=Path(name), status="finished")
    names, choices = caption_lines(draw, run, "optimizers.generator.lr=1e-4 seed=0")
    assert "".join(names) == name and len(names) > 1
    assert all(draw.textlength(line) <= CELL - 14 for line in names)
    assert choices == ["lr=1e-4", "seed=0"]
    assert caption_lines(draw, RunSummary(name="r", folder=Path("r"), status="failed"), "seed=0")[1] == ["failed"]


def test_compare_refuses_a_folder_that_is_not_a_run(tmp_path, capsys):
    assert cli.main(["compare", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "neither a run folder" in err and len(err.strip().splitlines()) == 1


def test_ctrl_c_stops_the_run_in_progress_resumably_and_starts_no_more(tmp_path):
    out = tmp_path / "sweep"
    sweep = subprocess.Popen([sys.executable, "-m", "ganzoo", "run", "gaussians_ring", "-m", "train.epochs=2000",
                              "train.log_every=1", "dataset.params.samples=512", "seed=0,1", "--out", str(out)],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    metrics = out / "run-000" / "metrics.jsonl"
    deadline = time.monotonic() + 60
    while not (metrics.is_file() and metrics.stat().st_size) and time.monotonic() < deadline:
        time.sleep(0.1)
    sweep.send_signal(signal.SIGINT)
    output, _ = sweep.communicate(timeout=60)
    assert sweep.returncode == 130, output
    runs = json.loads((out / "sweep.json").read_text())["runs"]
    assert [run["status"] for run in runs] == ["interrupted", "pending"]
    assert f"ganzoo run --resume {out / 'run-000'}" in output
    assert list((out / "run-000" / "checkpoints").glob("step-*.pt"))
    assert not (out / "run-001").exists()


SMALL_RING = [*TINY_RING, "dataset.params.samples=512"]


def _stopped_sweep(out: Path) -> None:
    """A sweep of three seeds as Ctrl-C with --jobs 2 leaves it: run-000 finished, run-001 killed before it
    wrote its recipe.yaml (its folder holds only its log), run-002 never started."""
    from ganzoo.sweep.manifest import Member, Sweep

    grid = [*SMALL_RING, "seed=0,1,2"]
    members = [Member(name=f"run-{index:03d}", overrides=[*SMALL_RING, f"seed={index}"]) for index in range(3)]
    members[0].status, members[0].exit_code = "finished", 0
    members[1].status, members[1].exit_code = "interrupted", 130
    (out / "run-000").mkdir(parents=True)
    (out / "run-000" / "marker").write_text("finished before")
    (out / "run-001").mkdir()
    (out / "run-001" / "sweep.log").write_text("")
    Sweep(recipe="gaussians_ring", grid=grid, jobs=2, members=members).write(out)


def _statuses(out: Path) -> list:
    return [run["status"] for run in json.loads((out / "sweep.json").read_text())["runs"]]


def test_a_runs_own_resume_works_even_before_it_wrote_its_recipe(tmp_path, capsys):
    out = tmp_path / "sweep"
    _stopped_sweep(out)
    for member in ("run-001", "run-002"):  # killed before its recipe.yaml; never started (no folder)
        assert cli.main(["run", "--resume", str(out / member), "--quiet"]) == 0, capsys.readouterr().err
        assert list((out / member / "checkpoints").glob("step-*.pt"))
        assert f"seed: {member[-1]}" in (out / member / "recipe.yaml").read_text()


def test_resume_of_a_stopped_sweep_finishes_exactly_the_runs_that_did_not_finish(tmp_path, capsys):
    out = tmp_path / "sweep"
    _stopped_sweep(out)
    assert cli.main(["run", "--resume", str(out)]) == 0, capsys.readouterr()
    assert "1 finished before; 2 to finish" in capsys.readouterr().out
    assert _statuses(out) == ["finished"] * 3
    assert sorted(p.name for p in (out / "run-000").iterdir()) == ["marker"]  # not run again
    for member in ("run-001", "run-002"):
        assert list((out / member / "checkpoints").glob("step-*.pt"))
        assert f"seed: {member[-1]}" in (out / member / "recipe.yaml").read_text()


def test_the_same_sweep_command_again_goes_on_and_another_is_refused(tmp_path):
    from ganzoo.sweep.runner import plan_sweep, prepare_folder

    out = tmp_path / "sweep"
    _stopped_sweep(out)
    again = prepare_folder(out, plan_sweep("gaussians_ring", [*SMALL_RING, "seed=0,1,2"], 1, check=lambda o: None))
    assert [member.status for member in again.members] == ["finished", "interrupted", "pending"]  # what it holds
    assert again.jobs == 1  # as asked this time
    with pytest.raises(GanzooError) as refused:
        prepare_folder(out, plan_sweep("gaussians_ring", [*SMALL_RING, "seed=3,4"], 1, check=lambda o: None))
    assert str(refused.value) == (f"{out} already holds another sweep (sweep.json: gaussians_ring -m "
                                  f"{' '.join(SMALL_RING)} seed=0,1,2); finish it with ganzoo run --resume {out}, "
                                  "or choose another --out")
