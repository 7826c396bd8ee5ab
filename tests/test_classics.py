"""The classics plugin's algorithms: BEGAN's k_t (logged at its value, in checkpoints, the same
after kill -9 and resume, the same in 2 processes as in 1), EBGAN's pulling-away term, the
adversarial autoencoder's checks of its three models, SGAN's labelled pictures (the same number of
each class, kept in checkpoints), CoGAN's shared layers and ClusterGAN's encoder; the terms across
the batch (SGAN's feature matching, EBGAN's pulling-away term) the whole batch's in 2 processes as
in 1; and, for every algorithm, that each of its updates reaches the models it steps and no other."""

from __future__ import annotations

import json
from functools import partial

import pytest
import torch

from conftest import QUICK, ROOT, run_ganzoo
from ganzoo import cli
from ganzoo.training import checkpoint
from ganzoo.training.log_window import Window
from ganzoo.training.trainer import TrainingInterrupted
from ganzoo_classics.ebgan import pulling_away
from ganzoo_classics.sgan import feature_matching
from runs import single_thread  # noqa: F401 (autouse fixture)
from runs import assert_same_run, logged, train
from two_processes import averaged, one_and_two_processes

RECIPES = {name: ROOT / "recipes" / f"{name}_mnist.yaml" for name in ("began", "ebgan", "aae", "sgan")}
# 128 images / 32 = 4 steps an epoch, 2 epochs; logs every 3 steps so windows span epoch ends
BASE = [*QUICK, "train.batch_size=32", "dataset.params.limit=128", "train.device=cpu", "train.log_every=3",
        "output.grid_size=4"]
TINY = {
    # k moves fast from 0.5, so a k lost or restored wrong shows in the weights and the log
    "began": [*BASE, "algorithm.params.k_initial=0.5", "algorithm.params.lambda_k=0.05",
              "generator.params.latent_dim=8", "generator.params.base_channels=4",
              "discriminator.params.base_channels=4", "discriminator.params.code_dim=4"],
    "aae": [*BASE, "generator.params.latent_dim=2", "generator.params.base_channels=4",
            "encoder.params.base_channels=4", "encoder.params.hidden=8", "discriminator.params.hidden=[8]"],
    "sgan": [*BASE, "algorithm.params.labelled=20", "generator.params.latent_dim=8",
             "generator.params.base_channels=4", "discriminator.params.channels=[4,4,4]"],
}
STEPS = 8


def run(name, run_dir, overrides=(), **kwargs):
    return train(run_dir, overrides, recipe=RECIPES[name], base=TINY[name], **kwargs)


# ---------------------------------------------------------------- BEGAN
def test_the_log_window_reports_a_latest_value_as_it_stands():
    window = Window(("loss", "k"), torch.device("cpu"))
    for loss, k in ((1.0, 0.1), (3.0, 0.2), (5.0, 0.3)):
        window.add({"loss": torch.tensor(loss)}, finite_only=False)
        window.put({"k": torch.tensor(k)}, finite_only=False)
    means = window.sums / window.counts
    assert means.tolist() == pytest.approx([3.0, 0.3])  # the loss averaged, k as it is now
    window.put({"k": torch.tensor(float("inf"))}, finite_only=True)  # train.on_nonfinite=skip: left out
    assert window.counts.tolist() == [3.0, 0.0]


@pytest.fixture(scope="module")
def began_reference(mnist_root, tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GANZOO_DATA", str(mnist_root))
        run_dir = tmp_path_factory.mktemp("began") / "run"
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            assert run("began", run_dir).steps_done == STEPS
        finally:
            torch.set_num_threads(threads)
    return run_dir


def test_began_logs_k_at_its_value_and_keeps_it_in_checkpoints(began_reference):
    records = {record["step"]: record for record in logged(began_reference)}
    k = checkpoint.load_checkpoint(began_reference)["algorithm"]["k"]
    assert records[STEPS]["k"] == pytest.approx(k.item(), abs=1e-7)  # the logged k is the k of that step
    ks = [records[step]["k"] for step in sorted(records)]
    assert len(set(ks)) == len(ks) and ks[0] != 0.5  # it moved every logged step
    assert all(record["convergence"] > 0 for record in records.values())


def test_began_after_kill_9_resumes_with_its_k_to_the_uninterrupted_run(data_env, began_reference, tmp_path):
    """What kill -9 leaves: the checkpoint of the last epoch end, and metrics logged after it."""
    run_dir = tmp_path / "run"
    stopped = run("began", run_dir, stop_at=6)  # mid-epoch 2, after the log at step 6
    assert isinstance(stopped, TrainingInterrupted)
    checkpoint.checkpoint_path(run_dir, 6).unlink()  # as if killed before it: step 4's is the newest
    assert '"step": 6' in (run_dir / "metrics.jsonl").read_text()
    assert checkpoint.load_checkpoint(run_dir)["algorithm"]["k"].item() not in (0.0, 0.5)
    assert run("began", run_dir, resume=True).steps_done == STEPS
    assert_same_run(run_dir, began_reference)


def test_began_in_two_processes_matches_one(data_env, began_reference, tmp_path):
    parallel = tmp_path / "parallel"
    result = run_ganzoo("run", RECIPES["began"], *TINY["began"], "--nproc", 2, "--out", parallel, "--quiet")
    assert result.returncode == 0, result.stderr
    got, want = logged(parallel), logged(began_reference)
    assert [r["step"] for r in got] == [r["step"] for r in want]
    for a, b in zip(got, want):
        for key in ("d_loss", "g_loss", "d_real", "d_fake", "k", "convergence"):
            assert a[key] == pytest.approx(b[key], abs=1e-4), (a["step"], key)


# ---------------------------------------------------------------- EBGAN
def test_the_pulling_away_term_is_0_for_orthogonal_codes_and_1_for_one_direction():
    assert pulling_away(torch.eye(4)).item() == pytest.approx(0.0)
    assert pulling_away(torch.ones(5, 3) * torch.arange(1.0, 6.0)[:, None]).item() == pytest.approx(1.0)
    codes = torch.randn(6, 3)
    unit = torch.nn.functional.normalize(codes, dim=1)
    pairs = [(unit[i] @ unit[j]) ** 2 for i in range(6) for j in range(6) if i != j]
    assert pulling_away(codes).item() == pytest.approx(torch.stack(pairs).mean().item(), rel=1e-5)


def test_ebgan_needs_an_energy_from_its_discriminator(data_env, tmp_path, capsys):
    capsys.readouterr()
    code = cli.main(["run", str(RECIPES["ebgan"]), *BASE, "discriminator.name=dcgan", "--out", str(tmp_path / "r"),
                     "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "discriminator 'dcgan'" in err and "returns no 'energy'" in err and "discriminator.name=autoencoder" in err


# ---------------------------------------------------------------- AAE
def test_aae_trains_encoder_decoder_and_code_discriminator(data_env, tmp_path):
    trainer = run("aae", tmp_path / "run", ["train.epochs=1"])
    assert set(trainer.models) == {"generator", "encoder", "discriminator"}
    records = logged(tmp_path / "run")
    assert all(record["recon"] > 0 and record["g_loss"] is not None for record in records)
    recipe = (tmp_path / "run" / "recipe.yaml").read_text()  # the sizes follow the decoder's latent_dim
    assert "encoder:\n  name: encoder\n  params:\n    latent_dim: 2" in recipe and "code_dim: 2" in recipe


def test_aae_names_a_code_size_that_does_not_fit(data_env, tmp_path, capsys):
    capsys.readouterr()
    code = cli.main(["run", str(RECIPES["aae"]), *TINY["aae"], "encoder.params.latent_dim=3",
                     "--out", str(tmp_path / "r"), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "encoder 'encoder'" in err and "makes codes of shape (2, 3)" in err and "(2, 2)" in err


# ---------------------------------------------------------------- SGAN
def test_sgan_keeps_as_many_labelled_pictures_of_each_class_and_resumes_exactly(data_env, tmp_path):
    reference = tmp_path / "reference"
    run("sgan", reference)
    state = checkpoint.load_checkpoint(reference)["algorithm"]
    assert state["images"].shape == (20, 1, 28, 28)
    assert torch.bincount(state["labels"], minlength=10).tolist() == [2] * 10
    run_dir = tmp_path / "run"
    assert isinstance(run("sgan", run_dir, stop_at=5), TrainingInterrupted)
    assert run("sgan", run_dir, resume=True).steps_done == STEPS
    assert_same_run(run_dir, reference)
    assert torch.equal(checkpoint.load_checkpoint(run_dir)["algorithm"]["images"], state["images"])
    assert all(record["class_acc"] is not None for record in logged(run_dir))


def test_sgan_refuses_labels_that_do_not_divide_among_the_classes(data_env, tmp_path, capsys):
    capsys.readouterr()
    code = cli.main(["run", str(RECIPES["sgan"]), *TINY["sgan"], "algorithm.params.labelled=25",
                     "--out", str(tmp_path / "r"), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "labelled=25 does not divide among 10 classes" in err


def value_and_gradient(term, *inputs):
    """``term(*inputs)`` and its gradient with respect to the last input (the others are constants)."""
    *constants, varied = inputs
    varied = varied.clone().requires_grad_(True)
    value = term(*constants, varied)
    value.backward()
    return value.detach(), (varied.grad,)


SPREAD = torch.arange(24.0).view(8, 3).pow(1.5).remainder(7) - 3  # 8 rows whose halves differ


@pytest.mark.parametrize("term, inputs", [(feature_matching, (SPREAD, SPREAD.flip(0).roll(1, 1))),
                                          (pulling_away, (SPREAD,))], ids=["sgan-feature-matching", "ebgan-pull-away"])
def test_terms_across_the_batch_are_the_whole_batchs_in_two_processes(term, inputs, tmp_path):
    """SGAN's feature matching (the distance between the real and fake batches' mean features) and EBGAN's
    pulling-away term (over pairs of the batch's codes) under --nproc 2 are one process's: each process's
    term is the whole batch's, and the gradients (averaged by the trainer) are one process's."""
    (value, gradient), ranks = one_and_two_processes(partial(value_and_gradient, term), inputs, tmp_path)
    assert value > 0 and all(torch.allclose(rank_value, value, atol=1e-6) for rank_value, _ in ranks)
    assert torch.allclose(averaged([rank_gradient for _, rank_gradient in ranks])[0], gradient[0], atol=1e-6)


# ---------------------------------------------------------------- CoGAN
def test_cogans_pairs_share_their_layers_between_the_domains():
    from ganzoo import DataSpec
    from ganzoo_classics.cogan import (CoupledDiscriminator, CoupledDiscriminatorParams, CoupledGenerator,
                                       CoupledGeneratorParams)

    spec = DataSpec((1, 28, 28), target_shape=(1, 28, 28))
    G, D = CoupledGenerator(CoupledGeneratorParams(8, 4), spec), CoupledDiscriminator(CoupledDiscriminatorParams(4), spec)
    z = torch.randn(3, 8)
    a, b = G.pair(z)
    assert torch.equal(a, G(z)) and a.shape == b.shape == (3, 1, 28, 28)  # forward(z) is domain A
    D(b, domain="b").sum().backward()  # a loss on domain B alone
    assert all(p.grad is not None for p in G.shared.parameters())  # B's loss trains the shared layers
    assert all(p.grad is None for p in G.heads[0].parameters())  # and not A's own head
    assert all(p.grad is None for p in D.domains[0].parameters()) and all(
        p.grad is not None for p in D.shared.parameters())


def test_cogan_trains_on_two_unpaired_domains_and_refuses_one(data_env, tmp_path, capsys):
    tiny = ["train.epochs=1", "train.batch_size=16", "dataset.params.limit=64", "dataset.params.test_limit=16",
            "train.device=cpu", "train.log_every=1", "output.grid_size=4", "generator.params.base_channels=4",
            "discriminator.params.base_channels=4", "generator.params.latent_dim=8"]
    cogan = ROOT / "recipes" / "cogan_mnist.yaml"
    trainer = train(tmp_path / "run", [], recipe=cogan, base=tiny)
    assert trainer.steps_done == 2
    assert all(record["d_a"] > 0 and record["g_b"] > 0 for record in logged(tmp_path / "run"))
    capsys.readouterr()
    code = cli.main(["run", str(cogan), *tiny[:2], "dataset.name=mnist", "dataset.params={limit: 64}",
                     "--out", str(tmp_path / "one"), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "two" in err, err


# ---------------------------------------------------------------- ClusterGAN
CLUSTER_TINY = [*BASE, "train.epochs=1", "generator.params.noise_dim=4", "generator.params.base_channels=4",
                "encoder.params.latent_dim=14", "encoder.params.base_channels=4", "encoder.params.hidden=8",
                "discriminator.params.base_channels=4"]


def test_cluster_gan_trains_its_encoder_with_the_generator_and_samples_one_cluster(data_env, tmp_path):
    from runs import start

    trainer = start(tmp_path / "run", [], recipe=ROOT / "recipes" / "cluster_gan_mnist.yaml", base=CLUSTER_TINY)
    before = {key: value.clone() for key, value in trainer.models["encoder"].state_dict().items()}
    trainer.fit()
    after = trainer.models["encoder"].state_dict()
    assert any(not torch.equal(before[key], after[key]) for key in before)
    assert all(record["zc_loss"] > 0 and 0 <= record["cluster_acc"] <= 1 for record in logged(tmp_path / "run"))
    out = tmp_path / "three.npz"
    assert cli.main(["sample", str(tmp_path / "run"), "-n", "4", "--code", "3", "--out", str(out)]) == 0


def test_the_encoder_reads_pictures_moved_restroked_dimmed_and_turned_while_training_and_as_they_are_in_eval():
    from ganzoo import DataSpec
    from ganzoo_classics.codes import Encoder, EncoderParams

    torch.manual_seed(0)
    encoder = Encoder(EncoderParams(latent_dim=3, base_channels=2, hidden=4, batch_norm=False, shift=2),
                      DataSpec(image_shape=(1, 8, 8)))
    seen = []
    encoder.net.register_forward_pre_hook(lambda module, args: seen.append(args[0].detach().clone()))
    dot = -torch.ones(64, 1, 8, 8)
    dot[:, :, 4, 4] = 1.0  # one bright pixel on a dark background, the same in every picture
    encoder(dot)
    places = {tuple((picture[0] == 1).nonzero()[0].tolist()) for picture in seen[0]}
    assert all(picture.eq(1).sum() == 1 and picture.eq(-1).sum() == 63 for picture in seen[0])  # moved, not smeared
    assert {row for row, _ in places} == {2, 3, 4, 5, 6} and {col for _, col in places} == {2, 3, 4, 5, 6}
    encoder.eval()
    assert torch.equal(encoder(dot), encoder(dot)) and torch.equal(seen[-1], dot)
    encoder = Encoder(EncoderParams(latent_dim=3, base_channels=2, hidden=4, strokes=True, dim=0.5),
                      DataSpec(image_shape=(1, 8, 8)))
    encoder.net.register_forward_pre_hook(lambda module, args: seen.append(args[0].detach().clone()))
    encoder(dot)
    bright = seen[-1].gt(-1).sum(dim=(1, 2, 3))  # the dot thickened to 3x3, thinned away, or kept
    assert set(bright.tolist()) == {9, 0, 1}
    lit = seen[-1].amax(dim=(1, 2, 3))[bright > 0]  # dimmed: between 1 - 0.5 and 1 of the dot's height above -1
    assert lit.min() >= 0 and lit.max() <= 1 and lit.unique().numel() > 1
    bar = -torch.ones(64, 1, 8, 8)
    bar[:, :, 1:7, 3:5] = 1.0  # an upright bar, 2 pixels wide
    encoder = Encoder(EncoderParams(latent_dim=3, base_channels=2, hidden=4, rotate=40, scale=0.2),
                      DataSpec(image_shape=(1, 8, 8)))
    encoder.net.register_forward_pre_hook(lambda module, args: seen.append(args[0].detach().clone()))
    encoder(bar)
    lit = seen[-1].gt(0)  # turned (slanted: lit in more columns) and resized (more or fewer pixels lit), each its own
    widths = lit.any(dim=2).sum(dim=(1, 2))
    assert widths.min() == 2 and widths.max() >= 4 and lit.sum(dim=(1, 2, 3)).unique().numel() > 3
    encoder.eval()
    assert torch.equal(encoder(bar), encoder(bar)) and torch.equal(seen[-1], bar)
    with pytest.raises(ValueError, match="shift must be at least 0"):
        EncoderParams(shift=-1)
    with pytest.raises(ValueError, match=r"rotate must be in \[0, 90\]"):
        EncoderParams(rotate=-5)
    with pytest.raises(ValueError, match=r"scale must be in \[0, 1\)"):
        EncoderParams(scale=1)
    with pytest.raises(ValueError, match=r"dim must be in \[0, 1\)"):
        EncoderParams(dim=1)


def test_cluster_gan_names_an_encoder_of_the_wrong_size(data_env, tmp_path, capsys):
    capsys.readouterr()
    code = cli.main(["run", str(ROOT / "recipes" / "cluster_gan_mnist.yaml"), *CLUSTER_TINY,
                     "encoder.params.latent_dim=12", "--out", str(tmp_path / "r"), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "encoder 'encoder'" in err and "makes codes of shape (2, 12)" in err and "(2, 14)" in err


def test_the_classics_plugin_registers_its_components_and_recipes():
    from ganzoo.pluginhost.registry import load_registry
    from ganzoo.recipe import builtin_recipes

    registry = load_registry()
    classics = {(c.kind, c.name) for c in registry.of_kind() if c.plugin.name == "classics"}
    assert classics == {("algorithm", name) for name in ("began", "ebgan", "aae", "sgan", "cogan", "cluster_gan")} | {
        ("discriminator", "autoencoder"), ("discriminator", "classifier"), ("network", "code-mlp"),
        ("discriminator", "coupled"), ("encoder", "encoder"), ("generator", "coupled"), ("generator", "cluster"),
        ("generator", "upsampling")}
    assert {"began_mnist", "ebgan_mnist", "aae_mnist", "sgan_mnist", "cogan_mnist",
            "cluster_gan_mnist"} <= set(builtin_recipes())


# ---------------------------------------------------------------- which update trains what
class RecordingStep:
    """Stands in for the trainer's TrainStep: records which models each update's loss reaches."""

    def __init__(self, models, losses=None):
        self.models, self.losses, self.index = models, losses or {}, 0
        self.updates, self.logged = [], {}

    def latent(self, role="generator"):
        model = self.models[role]
        return model.sample_latent(4, torch.Generator().manual_seed(0)) if hasattr(model, "sample_latent") \
            else torch.randn(4, model.latent_dim)

    def update(self, roles, loss):
        roles = (roles,) if isinstance(roles, str) else tuple(roles)
        reached = set()
        for role, model in self.models.items():
            params = [p for p in model.parameters() if p.requires_grad]
            grads = torch.autograd.grad(loss, params, retain_graph=True, allow_unused=True) if params else []
            if any(g is not None and g.abs().sum() > 0 for g in grads):
                reached.add(role)
        self.updates.append((set(roles), reached))
        return True

    def frozen(self, *roles):
        import contextlib

        @contextlib.contextmanager
        def frozen():
            params = [p for role in roles for p in self.models[role].parameters()]
            for p in params:
                p.requires_grad_(False)
            try:
                yield
            finally:
                for p in params:
                    p.requires_grad_(True)
        return frozen()

    def log(self, **scalars):
        self.logged.update(scalars)

    log_latest = log


def _built(recipe, overrides):
    from ganzoo.assembly import build_models, build_losses
    from ganzoo.data import DataSpec
    from runs import registry
    from ganzoo.recipe import load_recipe

    loaded = load_recipe(ROOT / "recipes" / recipe, list(overrides), registry())
    spec = DataSpec((1, 28, 28), num_classes=10, target_shape=(1, 28, 28) if "cogan" in recipe else None)
    algorithm = registry().get("algorithm", loaded.config.algorithm.name).factory(loaded.params["algorithm"])
    models = build_models(loaded, spec, torch.device("cpu"))
    losses = build_losses(loaded)
    algorithm.setup(models, losses, spec)
    return algorithm, RecordingStep(models, losses), spec


def _batch(spec, n=4):
    from ganzoo import Batch

    torch.manual_seed(0)
    images = torch.rand(n, *spec.image_shape) * 2 - 1
    return Batch(images, torch.arange(n) % 10, torch.rand(n, *spec.target_shape) * 2 - 1 if spec.target_shape else None)


@pytest.mark.parametrize("recipe, overrides, expected", [
    ("began_mnist.yaml", TINY["began"][len(BASE):], [("discriminator",), ("generator",)]),
    ("ebgan_mnist.yaml", ["discriminator.params.base_channels=4", "generator.params.base_channels=4"],
     [("discriminator",), ("generator",)]),
    ("aae_mnist.yaml", TINY["aae"][len(BASE):], [("encoder", "generator"), ("discriminator",), ("encoder",)]),
    ("sgan_mnist.yaml", TINY["sgan"][len(BASE) + 1:], [("discriminator",), ("generator",)]),
    ("cogan_mnist.yaml", ["generator.params.base_channels=4", "discriminator.params.base_channels=4"],
     [("discriminator",), ("generator",)]),
    ("cluster_gan_mnist.yaml", CLUSTER_TINY[len(BASE) + 1:], [("discriminator",), ("generator", "encoder")]),
], ids=lambda value: value.split("_mnist")[0] if isinstance(value, str) else None)
def test_each_update_reaches_only_the_models_it_steps(recipe, overrides, expected):
    algorithm, step, spec = _built(recipe, overrides)
    algorithm.train_step(_batch(spec), step)
    assert [roles for roles, _ in step.updates] == [set(roles) for roles in expected]
    for roles, reached in step.updates:
        assert reached == roles, f"the update of {sorted(roles)} reached {sorted(reached)}"


def test_cluster_gan_weighs_the_mean_squared_error_of_the_noise_as_the_paper_does():
    from ganzoo.losses import LossContext

    unjittered = ["encoder.params.shift=0", "encoder.params.strokes=false", "encoder.params.dim=0",  # E reads alike
                  "encoder.params.rotate=0", "encoder.params.scale=0"]
    algorithm, step, spec = _built("cluster_gan_mnist.yaml", [*CLUSTER_TINY[len(BASE) + 1:], *unjittered])
    G, E = step.models["generator"], step.models["encoder"]
    latent = G.sample_latent(4, torch.Generator().manual_seed(0))
    fake = G(latent)
    extra = algorithm.generator_terms(LossContext(step.models["discriminator"], fake, fake, None, 0, latent), step)
    codes, n = E(fake), G.noise_dim
    # beta_n weighs the squared error averaged over z_n's numbers (the authors' code), not summed over them
    expected_zn = (codes[:, :n] - latent[:, :n]).pow(2).mean()
    assert step.logged["zn_loss"].item() == pytest.approx(expected_zn.item(), rel=1e-5)
    expected = algorithm.params.noise_weight * expected_zn + algorithm.params.cluster_weight * \
        torch.nn.functional.cross_entropy(codes[:, n:], latent[:, n:].argmax(1))
    assert extra.item() == pytest.approx(expected.item(), rel=1e-5)


def test_began_moves_k_by_the_balance_of_the_energies_one_discriminator_measured():
    """k_t's step compares L(x) and L(G(z)) of the same D_t (the paper's simultaneous update), not
    L_G, which the discriminator measures after its own step."""
    algorithm, step, spec = _built("began_mnist.yaml", TINY["began"][len(BASE):])
    k = algorithm.k.item()
    algorithm.train_step(_batch(spec), step)
    p, logged = algorithm.params, step.logged
    gap = p.gamma * logged["d_real"].item() - logged["d_fake"].item()
    assert logged["d_fake"].item() != pytest.approx(logged["g_loss"].item(), abs=1e-6)
    expected = min(max(k + p.lambda_k * gap, 0.0), 1.0)
    assert algorithm.k.item() == pytest.approx(expected, abs=1e-6) and logged["k"].item() == algorithm.k.item()
    assert logged["convergence"].item() == pytest.approx(logged["d_real"].item() + abs(gap), abs=1e-6)
