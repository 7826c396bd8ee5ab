"""Recipes: the schema, overrides, and one-line errors for every kind of mistake."""

import pytest
from omegaconf import OmegaConf

from ganzoo import GanzooError
from ganzoo.recipe import load_recipe
from ganzoo.pluginhost.registry import load_registry

from conftest import QUICK, RECIPE


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def load(registry, *overrides, path=RECIPE):
    return load_recipe(path, list(overrides), registry)


def test_the_reference_recipe_is_the_founding_documents_setup(registry):
    recipe = load(registry)
    assert recipe.name == "vanilla_mnist"
    assert recipe.params["generator"].hidden == [128, 64]
    assert recipe.params["discriminator"].hidden == [64, 128]
    assert recipe.config.loss.name == "bce"
    assert recipe.config.optimizers.generator.name == "adam"
    assert recipe.params["optimizers.generator"].lr == pytest.approx(2e-4)
    assert recipe.params["optimizers.discriminator"].lr == pytest.approx(2e-4)
    assert recipe.config.train.batch_size == 128
    assert recipe.config.train.epochs == 5
    # what the document leaves open, as benchmarks/vanilla_choices.py measured it (docs/results.md)
    assert recipe.params["generator"].activation == recipe.params["discriminator"].activation == "leaky_relu"
    assert recipe.params["discriminator"].dropout == 0.8 and recipe.params["generator"].dropout == 0.0
    assert list(recipe.params["optimizers.generator"].betas) == [0.5, 0.999]


def test_overrides_are_merged_last_and_typed(registry):
    recipe = load(registry, "train.epochs=1", "generator.params.hidden=[256,256]", "loss.params.non_saturating=false")
    assert recipe.config.train.epochs == 1
    assert recipe.params["generator"].hidden == [256, 256]
    assert recipe.params["loss"].non_saturating is False


def test_the_resolved_recipe_reloads_to_the_same_recipe(registry, tmp_path):
    recipe = load(registry, "train.epochs=3", "generator.params.dropout=0.25")
    saved = tmp_path / "recipe.yaml"
    saved.write_text(recipe.to_yaml())
    again = load_recipe(saved, [], registry)
    assert again.to_yaml() == recipe.to_yaml()
    assert again.name == "vanilla_mnist"  # not the file's stem "recipe"
    # every default is written out, so the file alone reproduces the run
    tree = OmegaConf.to_container(OmegaConf.load(saved))
    assert tree["generator"]["params"]["batch_norm"] is False
    assert tree["dataset"]["params"]["limit"] is None


@pytest.mark.parametrize("overrides, expected", [
    (["trian.epochs=1"], "unknown key 'trian'.*Did you mean: 'train'"),
    (["train.epochz=1"], "unknown key 'train.epochz'.*Did you mean: 'epochs'"),
    (["generator.params.hiden=[1]"], "unknown key 'generator.params.hiden'.*MLPGeneratorParams.*Did you mean: 'hidden'"),
    (["train.epochs=abc"], "bad value for 'train.epochs'.*'abc'"),
    (["generator.params.hidden=3"], "bad value for 'generator.params.hidden': expected a list"),
    (["generator.params.latent_dim=big"], "bad value for 'generator.params.latent_dim'"),
    (["loss.name=wgan"], "unknown loss 'wgan'; registered losses: bce"),
    (["train.batch_size=0"], "train.batch_size = 0 is out of range"),
    (["train.epochs=0"], "train.epochs = 0 is out of range"),
    (["optimizers.generator.lr=-1"], "optimizers.generator.params: lr must be greater than 0 \\(and finite\\), got -1.0"),
    (["optimizers.generator.name=lbfgs"], "unknown optimizer 'lbfgs'; registered optimizers: adam, adamw, rmsprop, sgd"),
    (["train.device=tpu"], "train.device = tpu is out of range"),
    (["generator.params.activation=gelu"], "generator.params: activation must be one of relu, leaky_relu"),
    (["epochs"], "override 'epochs' is not KEY=VALUE"),
])
def test_each_mistake_is_one_line_that_says_what_to_mend(registry, overrides, expected):
    with pytest.raises(GanzooError, match=expected) as error:
        load(registry, *overrides)
    assert "\n" not in str(error.value)


def test_malformed_yaml_names_the_line(registry, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("seed: 0\ngenerator: {name: mlp\n")
    with pytest.raises(GanzooError, match=r"bad.yaml' is not valid YAML at line \d+"):
        load(registry, path=bad)


def test_a_recipe_must_be_a_mapping(registry, tmp_path):
    bad = tmp_path / "list.yaml"
    bad.write_text("- 1\n- 2\n")
    with pytest.raises(GanzooError, match="must be a YAML mapping"):
        load(registry, path=bad)


def test_a_missing_recipe_file_is_named(registry, tmp_path):
    with pytest.raises(GanzooError, match="recipe '.*nope.yaml' is neither a file nor a built-in recipe"):
        load(registry, path=tmp_path / "nope.yaml")


def test_a_missing_value_is_named(registry, tmp_path):
    partial = tmp_path / "partial.yaml"
    partial.write_text("generator: {name: mlp}\ndiscriminator: {name: mlp}\nloss: {name: bce}\n")
    with pytest.raises(GanzooError, match="no value for 'dataset.name'; set it in the recipe or add dataset.name=VALUE"):
        load(registry, path=partial)
    assert load(registry, "dataset.name=mnist", path=partial).config.dataset.name == "mnist"


def test_a_run_is_built_with_each_component_looked_up_once(data_env, tmp_path):
    """From the recipe file to a trainer ready to train, the registry is asked for each component once
    (layout upgrades, a renaming override, typing, building and naming the parts share that answer)."""
    from collections import Counter

    from ganzoo.training import runlock
    from ganzoo.training.trainer import start_run

    asked = Counter()

    class Counting(dict):
        def __getitem__(self, key):
            asked[key] += 1
            return super().__getitem__(key)

        def get(self, key, default=None):
            asked[key] += 1
            return super().get(key, default)

        def __contains__(self, key):
            asked[key] += 1
            return super().__contains__(key)

    registry = load_registry()
    registry.components = Counting(registry.components)
    recipe = load_recipe(RECIPE, [*QUICK, "optimizers.generator.lr=0.001", "loss.name=hinge"], registry)
    trainer = start_run(recipe, registry, tmp_path / "run")
    runlock.release(trainer.run_dir)
    assert {("algorithm", "gan"), ("optimizer", "adam"), ("loss", "hinge"), ("callback", "ema")} <= set(asked)
    assert {key: count for key, count in asked.items() if count > 1} == {}
