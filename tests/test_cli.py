"""The command line end to end, in fresh processes, as a user runs it."""

import json

import numpy as np
from PIL import Image

from conftest import QUICK, RECIPE, run_ganzoo


def test_run_then_sample_npz_and_png(mnist_root, tmp_path):
    env = {"GANZOO_DATA": str(mnist_root)}
    run_dir = tmp_path / "run"
    result = run_ganzoo("run", RECIPE, *QUICK, "--out", run_dir, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(run_dir)  # the run directory, printed at the end
    assert "epoch 2/2" in result.stderr  # plain progress lines when not on a terminal

    npz = tmp_path / "samples.npz"
    result = run_ganzoo("sample", run_dir, "-n", 300, "--out", npz, "--seed", 3)
    assert result.returncode == 0, result.stderr
    images = np.load(npz)["images"]
    assert images.shape == (300, 28, 28) and images.dtype == np.uint8
    again = tmp_path / "again.npz"
    run_ganzoo("sample", run_dir, "-n", 300, "--out", again, "--seed", 3)
    assert np.array_equal(np.load(again)["images"], images)  # seeded

    png = tmp_path / "grid.png"
    assert run_ganzoo("sample", run_dir, "-n", 9, "--out", png).returncode == 0
    assert Image.open(png).size == (3 * 30 + 2, 3 * 30 + 2)


def test_the_saved_recipe_reruns_the_run(mnist_root, tmp_path):
    env = {"GANZOO_DATA": str(mnist_root)}
    first, second = tmp_path / "first", tmp_path / "second"
    assert run_ganzoo("run", RECIPE, *QUICK, "train.epochs=1", "--out", first, env=env).returncode == 0
    result = run_ganzoo("run", first / "recipe.yaml", "--out", second, env=env)
    assert result.returncode == 0, result.stderr
    losses = lambda d: [(r["d_loss"], r["g_loss"]) for r in map(json.loads, (d / "metrics.jsonl").read_text().splitlines())]
    assert losses(first) == losses(second)


def test_list_shows_the_reference_components_and_their_plugin():
    result = run_ganzoo("list")
    assert result.returncode == 0, result.stderr
    for word in ("generator", "discriminator", "loss", "dataset", "mlp", "bce", "mnist", "vanilla", "ganzoo 0.1.0"):
        assert word in result.stdout
    rows = json.loads(run_ganzoo("list", "--kind", "loss", "--json").stdout)["components"]
    assert {r["kind"] for r in rows} == {"loss"}
    assert [r["plugin"]["name"] for r in rows if r["name"] == "bce"] == ["vanilla"]


def test_user_errors_are_one_line_exit_2_and_debug_shows_the_traceback(tmp_path):
    result = run_ganzoo("run", RECIPE, "train.epohcs=1")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "ganzoo: error: overrides: unknown key 'train.epohcs': Key 'epohcs' not in 'TrainConfig'. "
        "Did you mean: 'epochs'?"]
    debug = run_ganzoo("run", RECIPE, "train.epohcs=1", "--debug")
    assert debug.returncode != 0 and "Traceback" in debug.stderr
    # the real cause, chained: OmegaConf's own error comes first, then ganzoo's line
    assert "ConfigKeyError" in debug.stderr and "The above exception was the direct cause" in debug.stderr


def test_the_executable_exits_with_the_command_s_code_and_leaves_its_files_whole(mnist_root, tmp_path):
    # ganzoo.cli.console skips the interpreter's last garbage collection (gc.freeze): the run's files
    # are written and closed before it, whatever code the command returns
    result = run_ganzoo("run", tmp_path / "missing.yaml")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    run_dir = tmp_path / "run"
    result = run_ganzoo("run", RECIPE, *QUICK, "--out", run_dir, env={"GANZOO_DATA": str(mnist_root)})
    assert result.returncode == 0, result.stderr
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    assert lines and all(json.loads(line) for line in lines)


def test_missing_data_offline_is_one_line(tmp_path):
    result = run_ganzoo("run", RECIPE, "dataset.params.download=false", "--out", tmp_path / "run",
                        env={"GANZOO_DATA": str(tmp_path / "empty")})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "MNIST not found" in lines[0] and "train-images-idx3-ubyte" in lines[0]
    assert not (tmp_path / "run").exists()


def test_sample_errors_are_one_line(tmp_path):
    result = run_ganzoo("sample", tmp_path, "-n", 5, "--out", tmp_path / "x.npz")
    assert result.returncode == 2 and "holds no checkpoint" in result.stderr
    result = run_ganzoo("sample", tmp_path, "-n", 5, "--out", tmp_path / "x.jpg")
    assert result.returncode == 2 and "must end in .npz or .png" in result.stderr


def test_sample_writes_points_for_a_gaussian_mixture_run(tmp_path):
    run_dir = tmp_path / "ring"
    result = run_ganzoo("run", "gaussians_ring", "train.epochs=1", "dataset.params.samples=512",
                        "train.batch_size=64", "--out", run_dir)
    assert result.returncode == 0, result.stderr
    npz = tmp_path / "points.npz"
    assert run_ganzoo("sample", run_dir, "-n", 200, "--out", npz).returncode == 0
    points = np.load(npz)["samples"]
    assert points.shape == (200, 2) and points.dtype == np.float32
    png = tmp_path / "points.png"
    result = run_ganzoo("sample", run_dir, "-n", 200, "--out", png)
    assert result.returncode == 0, result.stderr
    assert Image.open(png).size[0] > 100  # the dataset's scatter plot


def test_sample_and_eval_default_to_the_same_device_as_training():
    from ganzoo.cli import _parser
    from ganzoo.recipe import TrainConfig

    parser = _parser()
    sample = parser.parse_args(["sample", "RUN", "--out", "grid.png"])
    evaluate = parser.parse_args(["eval", "RUN"])
    assert sample.device == evaluate.device == TrainConfig().device == "auto"
