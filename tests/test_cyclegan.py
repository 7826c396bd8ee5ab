"""CycleGAN: the image pool of past fakes, training and exact resume on a tiny unpaired MNIST task
(the pools and their random draws in the checkpoint), the unpaired task's hidden transform, and
users' folders in CycleGAN's layout, with one line for a folder in another layout."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import SHARED_DATA, needs_real_mnist
from ganzoo import GanzooError, cli
from ganzoo.recipe import builtin_recipes, load_recipe
from ganzoo.training import checkpoint
from ganzoo.training.trainer import TrainingInterrupted, resume_run, start_run
from ganzoo_translation.cyclegan import pooled
from ganzoo_translation.image_pool import ImagePool
from runs import assert_same_run, fit, registry, single_thread  # noqa: F401 (autouse fixture)

# 512 training digits cut to 64 (32 a domain), 32 held out: 4 steps an epoch at batch 8, tiny models
TINY = ["train.epochs=2", "train.batch_size=8", "train.device=cpu", "train.log_every=2", "output.grid_size=4",
        "dataset.params.limit=64", "dataset.params.test_limit=32", "algorithm.params.pool_size=10",
        "algorithm.params.identity_weight=0.5",
        *(f"{role}.params.base_channels=4" for role in ("generator", "generator_b2a", "discriminator",
                                                          "discriminator_a")),
        "generator.params.residual_blocks=1", "generator_b2a.params.residual_blocks=1"]



def start(run_dir, recipe="cyclegan_mnist", overrides=TINY):
    return start_run(load_recipe(builtin_recipes()[recipe], list(overrides), registry()), registry(), run_dir)


def batch(values, channels=1, size=2):
    return torch.tensor(values, dtype=torch.float32).view(-1, 1, 1, 1).expand(-1, channels, size, size).contiguous()


def test_the_pool_passes_its_first_pictures_then_swaps_half_for_stored_ones():
    pool = ImagePool(4, seed=0)
    first = batch([1, 2, 3])
    assert torch.equal(pool.query(first), first)  # filling: each new picture is stored and shown
    new = list(range(10, 30))
    shown = pool.query(batch(new))[:, 0, 0, 0].long().tolist()
    assert shown[0] == 10  # the fourth slot was still free
    swapped = [i for i in range(1, 20) if shown[i] != new[i]]
    assert 4 <= len(swapped) <= 15  # about half of them: a stored picture in place of the new one
    for i in swapped:  # only a picture stored before comes back
        assert shown[i] in [1, 2, 3, 10, *(new[j] for j in swapped if j < i)]
    off = ImagePool(0, seed=0)
    assert torch.equal(off.query(first), first) and off.state_dict()["images"] is None


def _one_at_a_time(pool_images, count, size, coins, slots, images):
    """The paper's pool, picture by picture: what ImagePool.query must give, collisions included."""
    shown = images.clone()
    for i in range(len(images)):
        if count < size:
            pool_images[count] = shown[i]
            count += 1
        elif coins[i] < 0.5:
            old = pool_images[slots[i]].clone()
            pool_images[slots[i]] = shown[i]
            shown[i] = old
    return shown, pool_images, count


@pytest.mark.parametrize("size", [1, 3, 50])
def test_the_pool_answers_as_if_it_took_one_picture_at_a_time(size):
    pool, data = ImagePool(size, seed=4), torch.Generator().manual_seed(size)
    expected, count = torch.zeros(size, 1, 2, 2), 0
    for _ in range(10):
        images = torch.randn(6, 1, 2, 2, generator=data)
        draws = torch.Generator()
        draws.set_state(pool.rng.get_state())
        coins = torch.rand(6, generator=draws).tolist()
        slots = torch.randint(size, (6,), generator=draws).tolist()
        want, expected, count = _one_at_a_time(expected, count, size, coins, slots, images)
        assert torch.equal(pool.query(images), want)
        assert pool.count == count and torch.equal(pool.images[:count], expected[:count])


def test_a_reloaded_pool_draws_what_the_original_would():
    pool = ImagePool(5, seed=3)
    for start_value in (0, 10, 20):
        pool.query(batch(range(start_value, start_value + 8)))
    copy = ImagePool(5, seed=99)
    copy.load_state_dict(pool.state_dict())
    for start_value in (30, 40):
        new = batch(range(start_value, start_value + 8))
        assert torch.equal(copy.query(new), pool.query(new))
    with pytest.raises(ValueError, match="pool holds 5 pictures, this run's 6"):
        ImagePool(6, seed=0).load_state_dict(pool.state_dict())


def _pool_worker(rank, port, out):
    """One of two gloo processes: queries its pool with its half of each batch, as cyclegan does."""
    import os

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    torch.distributed.init_process_group("gloo", rank=rank, world_size=2)
    try:
        pool = ImagePool(6, seed=5)
        shown = [pooled(pool, batch(range(start + 4 * rank, start + 4 * rank + 4))) for start in range(0, 40, 8)]
        torch.save({"shown": torch.cat(shown), "pool": pool.state_dict()["images"]}, f"{out}/rank{rank}.pt")
    finally:
        torch.distributed.destroy_process_group()


def test_under_nproc_2_each_pool_sees_the_whole_batch_and_matches_one_process(tmp_path):
    import socket

    import torch.multiprocessing as mp

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mp.start_processes(_pool_worker, args=(port, str(tmp_path)), nprocs=2, start_method="fork")  # no re-import
    one = ImagePool(6, seed=5)
    whole = torch.cat([one.query(batch(range(start, start + 8))) for start in range(0, 40, 8)])
    ranks = [torch.load(tmp_path / f"rank{rank}.pt", weights_only=True) for rank in (0, 1)]
    for rank, got in enumerate(ranks):
        assert torch.equal(got["pool"], one.state_dict()["images"])  # the same pool in every process
        mine = torch.cat([whole[start + 4 * rank:start + 4 * rank + 4] for start in range(0, 40, 8)])
        assert torch.equal(got["shown"], mine)  # each process's share of what one process shows


@pytest.fixture(scope="module")
def cyclegan_run(tmp_path_factory, mnist_root):
    import os

    os.environ["GANZOO_DATA"] = str(mnist_root)
    torch.set_num_threads(1)
    run = tmp_path_factory.mktemp("cyclegan") / "run"
    fit(start(run))
    return run


def test_cyclegan_trains_both_ways_and_resumes_exactly_with_its_pools(cyclegan_run, data_env, tmp_path):
    state = checkpoint.load_checkpoint(cyclegan_run)
    assert state["step"] == 8
    assert state["directions"] == {"a2b": "generator", "b2a": "generator_b2a"}
    for pool in ("pool_a", "pool_b"):  # full after 8 steps of 8: the pictures and the random stream are saved
        assert state["algorithm"][pool]["images"].shape == (10, 1, 28, 28)
        assert state["algorithm"][pool]["rng"].dtype == torch.uint8
    with pytest.raises(TrainingInterrupted):
        fit(start(tmp_path / "run"), stop_at=5)  # mid-epoch 2, the pools full
    fit(resume_run(tmp_path / "run", registry()))
    assert_same_run(tmp_path / "run", cyclegan_run)
    # a | G(a) | a2b(a) | b | F(b) | b2a(b): the known right answers beside the outputs, 4 examples
    with Image.open(cyclegan_run / "samples" / "epoch-002.png") as picture:
        assert picture.width == 2 + 6 * (28 + 2)


def test_translate_goes_either_way(cyclegan_run, tmp_path, capsys):
    from ganzoo.eval.translation_eval import load_translators

    pictures = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    np.savez(tmp_path / "in.npz", images=pictures)
    generators, _ = load_translators(checkpoint.load_checkpoint(cyclegan_run), registry(), "cpu")
    for direction in ("a2b", "b2a"):
        out = tmp_path / f"{direction}.npz"
        assert cli.main(["translate", str(cyclegan_run), str(tmp_path / "in.npz"), "--out", str(out),
                         "--direction", direction, "--device", "cpu"]) == 0
        got = np.load(out)["images"]
        with torch.no_grad():
            want = generators[direction](torch.from_numpy(pictures).float().div(127.5).sub(1).unsqueeze(1))
        assert got.shape == (3, 28, 28)
        assert np.abs(got.astype(int) - want.add(1).mul(127.5).round().squeeze(1).numpy()).max() <= 1
    assert not np.array_equal(np.load(tmp_path / "a2b.npz")["images"], np.load(tmp_path / "b2a.npz")["images"])


class Known(torch.nn.Module):
    """A translator that applies a fixed function (with one parameter, for the device lookup)."""

    def __init__(self, function):
        super().__init__()
        self.function, self.unused = function, torch.nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return self.function(x)


@needs_real_mnist
def test_eval_reads_both_directions_through_the_known_transform():
    from ganzoo_metrics.pairs import PSNR_CAP
    from ganzoo_translation.unpaired_mnist import MNISTUnpairedParams, load_mnist_unpaired, to_a, to_b
    from runs import score_translators

    data = load_mnist_unpaired(MNISTUnpairedParams(root=str(SHARED_DATA), limit=100, test_limit=200))
    right = score_translators(data, {"a2b": Known(to_b), "b2a": Known(to_a)}, 100, "cyclegan_mnist")
    same = score_translators(data, {"a2b": Known(lambda x: x), "b2a": Known(lambda x: x)}, 100, "cyclegan_mnist")
    for direction in ("a2b", "b2a"):
        rows = right[direction]
        assert rows["l1"]["value"] == 0 and rows["psnr"]["value"] == PSNR_CAP  # the known answer scores perfect
        assert rows["accuracy"]["value"] == rows["accuracy"]["real_vs_real"] >= 0.97  # read after undoing the transform
        assert same[direction]["accuracy"]["value"] == rows["accuracy"]["baseline"] < 0.5  # the identity fails


def test_the_unpaired_task_hides_a_transform_that_its_inverse_undoes(data_env):
    from ganzoo_translation.unpaired_mnist import MNISTUnpairedParams, load_mnist_unpaired

    data = load_mnist_unpaired(MNISTUnpairedParams(limit=64, test_limit=32))
    assert (len(data.images), len(data.two_sided.targets), len(data.held_out.images),
            len(data.held_out.two_sided.targets)) == (32, 32, 16, 16)
    assert not data.two_sided.paired and data.two_sided.target_labels is not None
    def a(pictures):
        return data.two_sided.known_transform(pictures, "a2b")

    def b(pictures):
        return data.two_sided.known_transform(pictures, "b2a")

    assert data.images.mean() < -0.5 < 0.5 < data.two_sided.targets.mean()  # A: light strokes on black; B: dark on white
    stroke = torch.full((1, 1, 28, 28), -1.0)
    stroke[..., 10:12, 4:24] = 1.0  # a 2-pixel light bar on black
    thick = a(stroke)
    assert (thick[..., 9:13, 3:25] == -1).all() and (thick[..., :9, :] == 1).all()  # 4 pixels, dark on white
    assert torch.equal(b(thick), stroke)  # B -> A undoes it
    assert torch.equal(data.two_sided.classifier_view["b"](data.two_sided.targets), b(data.two_sided.targets))


def test_cyclegan_refuses_paired_data_and_a_discriminator_that_wants_the_input(data_env, tmp_path):
    with pytest.raises(GanzooError, match="cyclegan learns from unpaired data"):
        start(tmp_path / "a", overrides=[*TINY, "dataset.name=mnist-edges", "dataset.params={limit: 64, test_limit: 8}"])
    with pytest.raises(GanzooError, match="set discriminator_a.params.conditional_on_input=false"):
        start(tmp_path / "b", overrides=[*TINY, "discriminator_a.params.conditional_on_input=true"])


def write_layout(root, folders=("trainA", "trainB", "testA", "testB"), size=(12, 12)):
    for index, name in enumerate(folders):
        (root / name).mkdir(parents=True)
        for i in range(8 if name.startswith("train") else 2):
            Image.new("RGB", size, (i * 30, 40 * index, 200)).save(root / name / f"{i}.png")
    return root


def test_the_folder_recipe_trains_on_cyclegans_layout(tmp_path, capsys):
    from ganzoo_translation.cyclegan_folders import UnpairedFolderParams, load_unpaired_folder

    root = write_layout(tmp_path / "horse2zebra")
    data = load_unpaired_folder(UnpairedFolderParams(path=str(root)))
    assert data.images.shape == data.two_sided.targets.shape == (8, 3, 12, 12) and data.held_out.images.shape[0] == 2
    trainer = start(tmp_path / "run", "cyclegan_folder",
                    [f"dataset.params.path={root}", "train.epochs=1", "train.batch_size=4", "train.device=cpu",
                     "output.grid_size=2"])
    fit(trainer)
    assert trainer.steps_done == 2 and (tmp_path / "run" / "samples" / "epoch-001.png").is_file()
    capsys.readouterr()
    assert cli.main(["eval", str(tmp_path / "run")]) == 2  # no right answer, no labels: said, not empty tables
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "ganzoo eval has nothing to score" in err[0]


@pytest.mark.parametrize("make, message", [
    (lambda root: write_layout(root, ("trainA", "trainB", "testA")),
     "is not in CycleGAN's layout: expected trainA/, trainB/, testA/, testB/ folders of pictures; missing testB/"),
    (lambda root: write_layout(root / "x", ("A", "B")).parent / "x",
     "is not in CycleGAN's layout: expected trainA/, trainB/, testA/, testB/ folders of pictures; missing trainA/, "
     "trainB/, testA/, testB/"),
    (lambda root: root / "nowhere", "unpaired folder '.*nowhere' not found"),
    (lambda root: write_layout(root, size=(12, 12)) if not (root / "trainA").exists() else root, None),
])
def test_a_folder_not_in_cyclegans_layout_gets_one_line_and_exit_2(tmp_path, capsys, make, message):
    root = make(tmp_path)
    if message is None:  # one picture of another size in a domain
        Image.new("RGB", (10, 12)).save(root / "trainB" / "odd.png")
        message = "odd.png' is 10x12 but .*0.png' is 12x12; a domain's pictures must have one size"
    code = cli.main(["run", "cyclegan_folder", f"dataset.params.path={root}", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    import re
    assert re.search(message, err[0]), err[0]
    assert not (tmp_path / "run").exists()


def test_the_pools_are_seeded_from_the_runs_seed_not_from_torchs_global_state(data_env, tmp_path):
    trainer = start(tmp_path / "run", overrides=TINY + ["seed=11"])
    algorithm = trainer.algorithm
    assert algorithm.seed == 11 and trainer.run_info.seed == 11
    torch.manual_seed(999)  # whatever else reseeded torch meanwhile does not move the pools' draws
    algorithm.setup(trainer.models, trainer.losses, trainer.spec)
    for pool, offset in ((algorithm.pool_b, 7), (algorithm.pool_a, 8)):  # the numbers runs always drew
        assert torch.equal(pool.rng.get_state(), torch.Generator().manual_seed(11 + offset).get_state())
