"""Training algorithms are plugins: a third party writes one against the public API, the recipe
types its roles, the trainer runs it, and the contract kit tests it."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import torch

import ganzoo
from conftest import RECIPE
from ganzoo import GanzooError, hookimpl, testing
from ganzoo.recipe import load_recipe
from ganzoo.pluginhost.registry import PluginInfo, load_registry
from runs import single_thread  # noqa: F401 (autouse fixture)
from runs import TINY, train

PLUGIN = PluginInfo("hinge-algo", "ganzoo-hinge-algo", "1.0.0")


@dataclass
class TwoCriticParams:
    generator_weight: float = 1.0


class TwoCritics(ganzoo.Algorithm):
    """A complete algorithm from scratch: one generator against two critics, the second critic
    judging images shrunk by half; G fools both."""

    roles = {"generator": "generator", "critic": "discriminator", "small_critic": "discriminator", "loss": "loss"}
    scalars = ("critic_loss", "small_loss", "g_loss")

    def __init__(self, params):
        super().__init__(params)
        self.steps_seen = 0

    def train_step(self, batch, step):
        G, loss = step.models["generator"], step.losses["loss"]
        critics = {"critic": step.models["critic"], "small_critic": step.models["small_critic"]}
        with torch.no_grad():
            fake = G(step.latent())
        for role, critic in critics.items():
            seen_real, seen_fake = self.view(role, batch.images), self.view(role, fake)
            ctx = ganzoo.LossContext(critic, seen_real, seen_fake)
            d_loss = loss.discriminator_loss(critic(seen_real).view(-1), critic(seen_fake).view(-1), ctx)
            step.update(role, d_loss)
            step.log(**{"critic_loss" if role == "critic" else "small_loss": d_loss})
        with step.frozen("critic", "small_critic"):
            fake = G(step.latent())
            g_loss = sum(loss.generator_loss(critic(self.view(role, fake)).view(-1),
                                             ganzoo.LossContext(critic, batch.images, fake))
                         for role, critic in critics.items()) * self.params.generator_weight
        step.update("generator", g_loss)
        step.log(g_loss=g_loss)
        self.steps_seen += 1

    @staticmethod
    def view(role, images):
        if role == "small_critic":  # blur away the detail: downsample and back
            return torch.nn.functional.interpolate(torch.nn.functional.avg_pool2d(images, 2), scale_factor=2)
        return images

    def state_dict(self):
        return {"steps_seen": self.steps_seen}

    def load_state_dict(self, state):
        self.steps_seen = int(state["steps_seen"])


def registry_with(name, factory, params=None):
    """The installed plugins and a test plugin registering one algorithm."""
    class Plugin:
        @staticmethod
        @hookimpl
        def register_algorithms(register):
            register(name, factory, params)

    return load_registry(extra_plugins=[(PLUGIN, Plugin)])


def registry():
    return registry_with("two-critics", TwoCritics, TwoCriticParams)


ROLES = {"generator": "mlp", "critic": "mlp", "small_critic": "mlp", "loss": "hinge"}


def test_the_contract_kit_checks_a_third_party_algorithm():
    trainer = testing.check_algorithm("two-critics", components=ROLES, registry=registry())
    assert set(trainer.models) == {"generator", "critic", "small_critic"}
    assert trainer.algorithm.steps_seen == 1


def test_the_kit_fails_an_algorithm_whose_state_is_not_plain_data():
    class Pickled(TwoCritics):
        def state_dict(self):
            return {"me": self}

    with pytest.raises(testing.ContractError, match="does not load with weights_only=True"):
        testing.check_algorithm("pickled", components=ROLES, registry=registry_with("pickled", Pickled, TwoCriticParams))


RECIPE_TEXT = """
algorithm: {name: two-critics, params: {generator_weight: 0.5}}
dataset: {name: mnist, params: {download: false}}
generator: {name: mlp, params: {latent_dim: 16, hidden: [32]}}
critic: {name: mlp, params: {hidden: [32]}}
small_critic: {name: mlp}
loss: {name: hinge}
optimizers:
  small_critic: {name: adam, lr: 1.0e-4}
train: {epochs: 2, batch_size: 64, device: cpu, log_every: 3}
output: {grid_size: 16}
"""


def test_a_recipe_names_the_algorithm_and_gets_one_section_per_role(data_env, tmp_path):
    path = tmp_path / "two.yaml"
    path.write_text(RECIPE_TEXT)
    recipe = load_recipe(path, [], registry())
    assert recipe.roles == TwoCritics.roles
    assert recipe.params["small_critic"].hidden == [64, 128]  # the mlp discriminator's defaults, typed
    assert recipe.params["optimizers.small_critic"].lr == 1e-4
    assert recipe.params["algorithm"].generator_weight == 0.5
    with pytest.raises(GanzooError) as caught:  # the vanilla recipe's sections do not fit this algorithm
        load_recipe(RECIPE, ["algorithm.name=two-critics"], registry())
    assert ("unknown key 'discriminator': Key 'discriminator' not in 'RecipeSchema'; the algorithm 'two-critics' "
            "takes the sections generator, critic, small_critic, loss") in str(caught.value)


def test_a_third_party_algorithm_trains_and_resumes_exactly(data_env, tmp_path):
    from ganzoo.training.trainer import TrainingInterrupted, resume_run, start_run
    from runs import StopAt, assert_same_run

    path = tmp_path / "two.yaml"
    path.write_text(RECIPE_TEXT)
    recipe = load_recipe(path, [], registry())

    def fit(trainer, stop_at=None):
        trainer.progress = progress = StopAt(stop_at)
        progress.trainer = trainer
        return trainer.fit()

    fit(start_run(recipe, registry(), tmp_path / "whole"))
    with pytest.raises(TrainingInterrupted):
        fit(start_run(recipe, registry(), tmp_path / "run"), stop_at=11)
    resumed = resume_run(tmp_path / "run", registry())
    assert resumed.algorithm.steps_seen == 11  # its own state came back
    fit(resumed)
    assert_same_run(tmp_path / "run", tmp_path / "whole")


def test_a_subclass_of_gan_trains_through_autograd_and_says_why(data_env, tmp_path):
    class Louder(ganzoo.GAN):
        pass

    from ganzoo.training.trainer import start_run

    reg = registry_with("louder", Louder, ganzoo.GANParams)
    trainer = start_run(load_recipe(RECIPE, [*TINY, "algorithm.name=louder"], reg), reg, tmp_path / "run")
    assert trainer.fused_step is None and "fused steps serve the gan algorithm alone, not Louder" in trainer.step_choice


@pytest.mark.parametrize("body, message", [
    ("step.log(nonsense=1.0)", "the algorithm logged 'nonsense', which is not among the scalars it declares"),
    ("step.update('critic', torch.ones(()))", "the algorithm updated 'critic', which is not one of its trained roles"),
    ("step.update('generator', step.models['generator'](step.latent()))", "was given a loss of shape"),
])
def test_an_algorithm_misusing_the_step_gets_one_line(data_env, tmp_path, body, message):
    class Broken(ganzoo.GAN):
        def train_step(self, batch, step):
            exec(body, {"torch": torch}, {"step": step})

    from ganzoo.training.trainer import start_run

    reg = registry_with("broken", Broken, ganzoo.GANParams)
    trainer = start_run(load_recipe(RECIPE, [*TINY, "algorithm.name=broken"], reg), reg, tmp_path / "run")
    with pytest.raises(GanzooError, match=message):
        trainer.fit()


@pytest.mark.parametrize("factory, problem", [
    ("lambda params: None", "must be a subclass of ganzoo.Algorithm"),
    ("type('NoRoles', (ganzoo.Algorithm,), {})", "declares no roles"),
    ("type('Bad', (ganzoo.Algorithm,), {'roles': {'train': 'generator'}})", "has a role named 'train'"),
    ("type('Bad', (ganzoo.Algorithm,), {'roles': {'data': 'generator'}})", "has a role named 'data'"),
    ("type('Bad', (ganzoo.Algorithm,), {'roles': {'duties': 'network'}})", "has a role named 'duties'"),
    ("type('Bad', (ganzoo.Algorithm,), {'roles': {'q': 'head'}})",
     "gives role 'q' the kind 'head'; roles are of kind generator, discriminator, encoder, network or loss"),
])
def test_a_malformed_algorithm_fails_its_plugin_in_one_line(factory, problem):
    made = eval(factory, {"ganzoo": ganzoo})

    with pytest.warns(UserWarning) as caught:
        reg = registry_with("bad", made)
    assert problem in reg.failures[0].error and any(problem in str(w.message) for w in caught)


def test_the_gan_algorithm_runs_several_d_steps_per_g_step(data_env, tmp_path):
    trainer = train(tmp_path / "run", ["algorithm.params.d_steps=4", "train.epochs=1"])
    d_updates = trainer.optimizers["discriminator"].state_dict()["state"][0]["step"]
    g_updates = trainer.optimizers["generator"].state_dict()["state"][0]["step"]
    assert (int(d_updates), int(g_updates)) == (trainer.steps_done, trainer.steps_done // 4)
