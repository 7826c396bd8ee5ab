"""The fused (hand-written) training steps train exactly as autograd does, and are used only where they apply."""

import json

import pytest
import torch
import torch.nn.functional as F
import yaml
from torch import nn

import ganzoo
from ganzoo import GanzooError
from ganzoo.algorithm import Batch
from ganzoo.data import unit_range
from ganzoo.fast.fused_gan import MLPChain, read_chain
from ganzoo.training.progress import PlainProgress
from ganzoo.recipe import load_recipe
from ganzoo.pluginhost.registry import load_registry
from ganzoo.training.trainer import start_run

from conftest import QUICK, RECIPE, run_ganzoo


def recipe_file(tmp_path, loss=None):
    """The vanilla recipe without D's dropout (cases add it back), with another loss section when given."""
    document = yaml.safe_load(RECIPE.read_text())
    document["discriminator"]["params"]["dropout"] = 0.0
    if loss is not None:
        document["loss"] = loss
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def new_trainer(tmp_path, name, *overrides, loss=None):
    """A started (not yet trained) run of the vanilla recipe, or of it with another loss."""
    registry = load_registry()
    recipe = load_recipe(recipe_file(tmp_path, loss), QUICK + ["train.device=cpu", *overrides], registry)
    return start_run(recipe, registry, tmp_path / name, PlainProgress())


def trained(tmp_path, name, *overrides, loss=None):
    trainer = new_trainer(tmp_path, name, *overrides, loss=loss)
    trainer.fit()
    return trainer


def metrics(trainer):
    lines = (trainer.run_dir / "metrics.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


CASES = {
    "vanilla": ([], None),
    "other activations": (["generator.params.activation=leaky_relu", "discriminator.params.activation=relu",
                           "generator.params.hidden=[32,16,48]"], None),
    "minimax, smoothed labels": (["loss.params.non_saturating=false", "loss.params.real_label=0.9"], None),
    "R1 penalty (autograd for the loss)": (["loss.params.r1_gamma=1.0"], None),
    "lsgan": ([], {"name": "lsgan", "params": {}}),
    "D's dropout (the vanilla recipe's)": (["discriminator.params.dropout=0.8"], None),
    "dropout in G and D, R1 penalty": (["generator.params.dropout=0.3", "discriminator.params.dropout=0.5",
                                        "loss.params.r1_gamma=1.0"], None),
    "reused fakes, dropout in G and D": (["algorithm.params.reuse_fakes=true", "generator.params.dropout=0.3",
                                         "discriminator.params.dropout=0.5"], None),
    "hinge": ([], {"name": "hinge", "params": {}}),
    "wgan-gp (penalty through autograd)": (["algorithm.params.d_steps=2"], {"name": "wgan-gp", "params": {"drift": 0.001}}),
    "dragan (penalty around the real images)": ([], {"name": "dragan", "params": {}}),
    "softmax-gan (G's loss reads D on the real batch)": ([], {"name": "softmax-gan", "params": {}}),
    "top-k of rsgan (k = 32 of 64 at the G step)": (["algorithm.params.d_steps=2", "algorithm.params.top_k=true",
                                                    "algorithm.params.top_k_decay=0.5", "algorithm.params.top_k_every=1"],
                                                   {"name": "relativistic", "params": {"variant": "rsgan"}}),
}


def gradients(trainer, real, fused: bool):
    """The gradients of one D step and one G step from the trainer's current state, by the fused
    step or by the gan algorithm's own (autograd), with the same noise (and the same random
    numbers for penalties): caught where the optimisers would step, which they do not."""
    step, caught = trainer.step_context, []
    optimizer_updates = dict(step.optimizer_updates)
    for role, model in trainer.models.items():
        step.optimizer_updates[role] = lambda model=model: caught.extend(p.grad.clone() for p in model.parameters())
    noise = trainer.noise_rng.get_state()
    torch.manual_seed(5)
    try:
        step.index = trainer.algorithm.params.d_steps - 1  # a step with a G update
        (trainer.fused_step if fused else trainer.algorithm).train_step(Batch(real.clone()), step)
    finally:
        step.optimizer_updates.update(optimizer_updates)
        trainer.noise_rng.set_state(noise)
    assert len(caught) == sum(len(list(m.parameters())) for m in trainer.models.values())
    return caught


@pytest.mark.parametrize("case", CASES)
def test_fused_gradients_are_autograds(data_env, tmp_path, case):
    overrides, loss = CASES[case]
    trainer = new_trainer(tmp_path, "run", "train.step=fused", *overrides, loss=loss)
    assert trainer.fused_step is not None
    for step in range(3):  # at the start, and after some training
        index = torch.randperm(len(trainer.images))[:trainer.batch_size]
        real = unit_range(trainer.images.index_select(0, index))
        for mine, autograds in zip(gradients(trainer, real, fused=True), gradients(trainer, real, fused=False)):
            torch.testing.assert_close(mine, autograds, rtol=1e-4, atol=1e-7)
        for _ in range(3):
            trainer.take_step(Batch(trainer.feed.gather(trainer.images, index)))


def test_a_loss_of_a_plugin_trains_alike_on_fused_and_autograd_steps(data_env, tmp_path):
    from ganzoo_vanilla.bce import BCELoss

    class Penalised(BCELoss):  # a new D loss: the fused step differentiates it by its logits with autograd
        def discriminator_loss(self, real_logits, fake_logits, ctx):
            return super().discriminator_loss(real_logits, fake_logits, ctx) + real_logits.pow(2).mean()

    trainer = new_trainer(tmp_path, "run", "train.step=fused")
    trainer.losses["loss"] = Penalised(trainer.recipe.params["loss"])
    real = unit_range(trainer.images[:trainer.batch_size])
    for mine, autograds in zip(gradients(trainer, real, fused=True), gradients(trainer, real, fused=False)):
        torch.testing.assert_close(mine, autograds, rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize("overrides", [[], ["generator.params.activation=leaky_relu", "discriminator.params.activation=relu",
                                            "train.ema_decay=0.9", "train.on_nonfinite=skip"],
                                       ["discriminator.params.dropout=0.8"],
                                       ["algorithm.params.reuse_fakes=true", "discriminator.params.dropout=0.8"]])
def test_fused_steps_train_as_autograd_does(data_env, tmp_path, overrides):
    fused = trained(tmp_path, "fused", "train.step=fused", *overrides)
    plain = trained(tmp_path, "autograd", "train.step=autograd", *overrides)
    assert fused.fused_step is not None and plain.fused_step is None
    for model in ("generator", "discriminator"):
        for a, b in zip(plain.models[model].parameters(), fused.models[model].parameters()):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    for a, b in zip(metrics(plain), metrics(fused)):
        for key in ("d_loss", "g_loss", "d_real", "d_fake"):
            assert a[key] == pytest.approx(b[key], rel=1e-4, abs=1e-5), key
    if plain.sampler() is not plain.generator:  # the EMA duty keeps an average
        for a, b in zip(plain.sampler().parameters(), fused.sampler().parameters()):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_auto_takes_the_fused_steps_for_the_vanilla_mlps(data_env, tmp_path):
    trainer = trained(tmp_path, "auto")
    assert trainer.fused_step is not None and trainer.step_choice.startswith("fused steps")


def test_the_vanilla_recipe_as_written_takes_fused_steps_with_ds_dropout(data_env, tmp_path):
    result = run_ganzoo("run", "vanilla_mnist", *QUICK, "train.epochs=1", "train.device=cpu", "--quiet",
                        "--out", tmp_path / "run", env={"GANZOO_DATA": str(data_env)})
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[0] == "training on cpu: fused steps (train.step in docs/recipes.md)"


@pytest.mark.parametrize("overrides, reason", [
    (["generator.params.batch_norm=true"], "the generator cannot be fused: it has a BatchNorm1d layer"),
    (["discriminator.params.dropout=0.3", "discriminator.params.batch_norm=true"],
     "the discriminator cannot be fused: it has a BatchNorm1d layer"),
    (["train.precision=bf16"], "fused steps compute in float32"),
])
def test_auto_falls_back_to_autograd_and_says_why(data_env, tmp_path, overrides, reason):
    trainer = trained(tmp_path, "auto", *overrides)
    assert trainer.fused_step is None
    assert reason in trainer.step_choice


def test_step_fused_fails_in_one_line_where_it_cannot_run(data_env, tmp_path):
    result = run_ganzoo("run", RECIPE, *QUICK, "train.step=fused", "generator.params.batch_norm=true",
                        "--out", tmp_path / "run", env={"GANZOO_DATA": str(data_env)})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "ganzoo: error: train.step=fused, but the generator cannot be fused: it has a BatchNorm1d layer; "
        "use train.step=auto or autograd")


@pytest.mark.parametrize("dropout", [0.0, 0.8])
def test_resume_of_a_fused_run_continues_as_if_never_stopped(data_env, tmp_path, dropout):
    from ganzoo.training.trainer import resume_run

    whole = trained(tmp_path, "whole", "train.epochs=2", f"discriminator.params.dropout={dropout}")
    trained(tmp_path, "half", "train.epochs=1", f"discriminator.params.dropout={dropout}")
    resumed = resume_run(tmp_path / "half", load_registry(), PlainProgress(), ["train.epochs=2"])
    assert resumed.fused_step is not None and resumed.fused_step.D.drops() == (dropout > 0)  # masks from the saved RNG
    assert resumed.fused_step is not None
    resumed.fit()
    for a, b in zip(whole.generator.parameters(), resumed.generator.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


# ------------------------------------------------------------------ reading models
class Functional(nn.Module):
    """An MLP written with functional calls and methods instead of activation modules."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = nn.Linear(6, 5), nn.Linear(5, 4, bias=False), nn.Linear(4, 3)
        self.out = ganzoo.Tanh()

    def forward(self, x):
        h = F.leaky_relu(self.a(x.flatten(1)), 0.1)
        h = torch.sigmoid(self.b(h)).tanh()
        return self.out(self.c(h)).view(x.shape[0], 3)


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(6, 6)

    def forward(self, x):
        return x + self.a(x)


class RawWeight(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(3, 6))

    def forward(self, x):
        return F.linear(x, self.w)


def test_a_functional_mlp_is_read_and_its_backward_is_autograds():
    torch.manual_seed(0)
    model = Functional()
    x = torch.randn(8, 2, 3)
    chain = read_chain(model, x[:4])
    assert isinstance(chain, MLPChain), chain
    assert [layer.kind for layer in chain.layers] == ["linear", "leaky_relu", "linear", "sigmoid", "tanh",
                                                      "linear", "fast_tanh"]
    out_grad = torch.randn(8, 3)
    inputs = x.clone().requires_grad_(True)
    (model(inputs) * out_grad).sum().backward()
    with torch.no_grad():
        outputs = chain.forward(x)
        torch.testing.assert_close(chain.output(outputs), model(x))
        grads, input_grad = chain.backward(outputs, out_grad, input_grad=True)
    for param, grad in zip(model.parameters(), grads):
        torch.testing.assert_close(grad, param.grad)
    torch.testing.assert_close(input_grad.view_as(x), inputs.grad)


@pytest.mark.parametrize("make, reason", [
    (Residual, "is not one step of a single chain of layers"),
    (RawWeight, "its forward reads 'w' directly"),
    (lambda: nn.Sequential(nn.Linear(6, 4), nn.BatchNorm1d(4)), "it has a BatchNorm1d layer"),
    (lambda: nn.utils.parametrizations.spectral_norm(nn.Linear(6, 3)), "parametrised"),
    (lambda: nn.Sequential(nn.Linear(6, 3)).requires_grad_(False), "frozen"),
])
def test_models_that_are_not_plain_mlps_are_left_to_autograd(make, reason):
    found = read_chain(make(), torch.randn(4, 6))
    assert isinstance(found, str) and reason in found


def test_a_model_with_a_hook_is_left_to_autograd():
    model = nn.Sequential(nn.Linear(6, 3))
    model[0].register_forward_hook(lambda module, args, out: out * 2)
    assert "hooks" in read_chain(model, torch.randn(4, 6))


def test_the_fused_step_takes_a_duck_typed_loss(data_env, tmp_path):
    class Minimal:  # no AdversarialLoss base
        def discriminator_loss(self, real_logits, fake_logits, ctx):
            return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()

        def generator_loss(self, fake_logits, ctx):
            return F.softplus(-fake_logits).mean()

    trainer = new_trainer(tmp_path, "run", "train.step=fused")
    trainer.losses["loss"] = Minimal()
    trainer.fit()
    assert all(torch.isfinite(p).all() for p in trainer.generator.parameters())


def test_a_run_says_which_steps_it_takes_and_why(data_env, tmp_path):
    result = run_ganzoo("run", RECIPE, *QUICK, "train.epochs=1", "generator.params.batch_norm=true", "--quiet",
                        "--out", tmp_path / "run", env={"GANZOO_DATA": str(data_env)})
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[0] == (
        "training on cpu: autograd steps (the generator cannot be fused: it has a BatchNorm1d layer)")


def test_dropout_is_read_and_its_masks_are_those_of_separate_calls():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 5), nn.LeakyReLU(0.2), nn.Dropout(0.5), nn.Linear(5, 1))
    chain = read_chain(model, torch.randn(4, 6))
    assert [layer.kind for layer in chain.layers] == ["linear", "leaky_relu", "dropout", "linear"]
    a, b = torch.randn(7, 6), torch.randn(7, 6)
    with torch.no_grad():
        torch.manual_seed(3)
        expected = torch.cat([model(a), model(b)])  # two calls, as autograd's step makes them
        torch.manual_seed(3)
        got = chain.output(chain.forward(torch.cat([a, b]), masks=chain.dropout_masks([7, 7], a)))
    torch.testing.assert_close(got, expected)  # the same masks (a different mask would differ by far more)
    model.eval()  # an evaluating dropout layer drops nothing and draws nothing
    state = torch.get_rng_state()
    assert not chain.drops() and torch.equal(chain.output(chain.forward(a)), model(a))
    assert torch.equal(torch.get_rng_state(), state)


def test_dropouts_other_than_nn_dropout_are_left_to_autograd():
    found = read_chain(nn.Sequential(nn.Linear(6, 4), nn.AlphaDropout(0.5), nn.Linear(4, 1)), torch.randn(4, 6))
    assert found == "it has a AlphaDropout layer"


@pytest.mark.parametrize("reuse, latents, passes", [(False, 2, 2), (True, 1, 1)])
def test_reused_fakes_take_one_latent_and_one_generator_pass_a_step(data_env, tmp_path, reuse, latents, passes):
    trainer = new_trainer(tmp_path, "run", "train.step=autograd", f"algorithm.params.reuse_fakes={str(reuse).lower()}")
    G, step = trainer.models["generator"], trainer.step_context
    drawn, inputs = [], []
    draw = step._latent
    step._latent = lambda role: drawn.append(draw(role)) or drawn[-1]
    G.register_forward_hook(lambda module, args, out: inputs.append(args[0]))
    before = [p.detach().clone() for p in G.parameters()]
    index = torch.arange(trainer.batch_size)
    trainer.take_step(Batch(trainer.feed.gather(trainer.images, index)))
    assert (len(drawn), len(inputs)) == (latents, passes)
    assert all(z is x for z, x in zip(drawn, inputs))  # G's step judged the D step's own fakes
    assert any(not torch.equal(a, b) for a, b in zip(before, G.parameters()))  # and G learned from them


def test_a_subclass_with_the_older_step_signatures_still_trains(data_env, tmp_path):
    """discriminator_step(batch, step) and generator_step(batch, step), as subclasses wrote them before
    reuse_fakes: called as before while the option is off."""
    trainer = new_trainer(tmp_path, "run", "train.step=autograd")
    algorithm, calls = trainer.algorithm, []
    d_step, g_step = algorithm.discriminator_step, algorithm.generator_step
    algorithm.discriminator_step = lambda batch, step: calls.append("D") or d_step(batch, step)
    algorithm.generator_step = lambda batch, step: calls.append("G") or g_step(batch, step)
    trainer.take_step(Batch(trainer.feed.gather(trainer.images, torch.arange(trainer.batch_size))))
    assert calls == ["D", "G"]


# ---- closed-form gradients of the loss by the logits (AdversarialLoss.discriminator_logit_gradients, ...)

BCE_SETTINGS = [{}, {"real_label": 0.9}, {"non_saturating": False}, {"non_saturating": False, "real_label": 0.8}]


@pytest.mark.parametrize("settings", BCE_SETTINGS)
def test_bce_closed_forms_are_autograds_to_the_bit(settings):
    from ganzoo_vanilla.bce import BCELoss, BCEParams

    loss = BCELoss(BCEParams(**settings))
    torch.manual_seed(0)
    for n in (1, 3, 128):
        for scale in (1.0, 10.0, 40.0):  # softplus's backward switches to the identity past 20
            real, fake = torch.randn(n) * scale, torch.randn(n) * scale
            r, f = real.clone().requires_grad_(True), fake.clone().requires_grad_(True)
            d_loss = loss.discriminator_loss(r, f, None)
            got = loss.discriminator_logit_gradients(real, fake, None)
            for mine, autograds in zip(got, (d_loss, *torch.autograd.grad(d_loss, [r, f]))):
                assert torch.equal(mine, autograds.detach()), (n, scale)
            g_loss = loss.generator_loss(f, None)
            got = loss.generator_logit_gradient(fake, None)
            for mine, autograds in zip(got, (g_loss, *torch.autograd.grad(g_loss, [f]))):
                assert torch.equal(mine, autograds.detach()), (n, scale)


def test_bce_leaves_its_r1_penalty_to_autograd():
    from ganzoo_vanilla.bce import BCELoss, BCEParams

    assert BCELoss(BCEParams(r1_gamma=1.0)).discriminator_logit_gradients(torch.zeros(2), torch.zeros(2), None) is None


@pytest.mark.parametrize("overrides", [[], ["discriminator.params.dropout=0.8", "algorithm.params.reuse_fakes=true",
                                            "loss.params.non_saturating=false"]])
def test_closed_forms_train_to_the_bit_as_autograd_on_the_logits_does(data_env, tmp_path, overrides):
    """The fused step with bce's closed forms against the same step differentiating the loss with autograd:
    every weight and logged number equal."""
    from ganzoo import AdversarialLoss
    from ganzoo_vanilla.bce import BCELoss

    class WithoutClosedForms(BCELoss):
        discriminator_logit_gradients = AdversarialLoss.discriminator_logit_gradients
        generator_logit_gradient = AdversarialLoss.generator_logit_gradient

    runs = []
    for name, kind in (("closed", None), ("autograd", WithoutClosedForms)):
        trainer = new_trainer(tmp_path, name, "train.step=fused", *overrides)
        if kind is not None:
            trainer.losses["loss"] = kind(trainer.recipe.params["loss"])
        trainer.fit()
        runs.append(trainer)
    closed, plain = runs
    for model in ("generator", "discriminator"):
        for a, b in zip(plain.models[model].parameters(), closed.models[model].parameters()):
            assert torch.equal(a, b)
    strip = [{k: v for k, v in record.items() if k != "images_per_sec"} for record in metrics(closed)]
    assert strip == [{k: v for k, v in record.items() if k != "images_per_sec"} for record in metrics(plain)]


def test_a_subclass_that_changes_the_loss_is_not_given_its_base_s_closed_form():
    from ganzoo.fast.fused_gan import closed_form_method
    from ganzoo_vanilla.bce import BCELoss, BCEParams

    class Penalised(BCELoss):
        def discriminator_loss(self, real_logits, fake_logits, ctx):
            return super().discriminator_loss(real_logits, fake_logits, ctx) + real_logits.pow(2).mean()

    assert closed_form_method(Penalised(BCEParams()), "discriminator_logit_gradients", "discriminator_loss") is None
    assert closed_form_method(Penalised(BCEParams()), "generator_logit_gradient", "generator_loss") is not None
    assert closed_form_method(BCELoss(BCEParams()), "discriminator_logit_gradients", "discriminator_loss") is not None


def test_a_malformed_closed_form_fails_the_run_in_one_line(data_env, tmp_path):
    from ganzoo_vanilla.bce import BCELoss

    class Wrong(BCELoss):
        def discriminator_logit_gradients(self, real_logits, fake_logits, ctx):
            loss, real_grad, fake_grad = super().discriminator_logit_gradients(real_logits, fake_logits, ctx)
            return loss, real_grad[:1], fake_grad

    trainer = new_trainer(tmp_path, "run", "train.step=fused")
    trainer.losses["loss"] = Wrong(trainer.recipe.params["loss"])
    with pytest.raises(GanzooError, match="discriminator_logit_gradients returned a gradient of shape"):
        trainer.fit()


def test_check_loss_compares_a_closed_form_with_autograd(monkeypatch):
    from ganzoo import testing
    from ganzoo_vanilla.bce import BCELoss

    testing.check_loss("bce")  # bce's own closed forms hold
    original = BCELoss.generator_logit_gradient

    def off_by_a_little(self, fake_logits, ctx):
        loss, grad = original(self, fake_logits, ctx)
        return loss, grad * 1.01

    monkeypatch.setattr(BCELoss, "generator_logit_gradient", off_by_a_little)
    with pytest.raises(testing.ContractError, match="generator_logit_gradient gives its gradient by logits 0 unlike"):
        testing.check_loss("bce")
