"""Recipes ship with the package: `ganzoo run NAME` finds a built-in one, a path still works."""

import json
import re

import pytest

from conftest import QUICK, RECIPE, ROOT, run_ganzoo
from ganzoo import GanzooError
from ganzoo.cli import main
from ganzoo.recipe import builtin_recipes, load_recipe, recipe_description, recipe_path


def test_a_name_finds_the_built_in_recipe_and_a_path_still_works(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not a checkout: nothing to find but the package's recipes
    assert recipe_path("vanilla_mnist") == RECIPE
    assert recipe_path("vanilla_mnist.yaml") == RECIPE
    copy = tmp_path / "mine.yaml"
    copy.write_text(RECIPE.read_text())
    assert load_recipe("mine.yaml").name == "mine"
    assert load_recipe("vanilla_mnist").name == "vanilla_mnist"


def test_a_file_in_the_working_folder_wins_over_a_built_in_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "vanilla_mnist.yaml").write_text(RECIPE.read_text().replace("seed: 0", "seed: 7"))
    assert load_recipe("vanilla_mnist.yaml").config.seed == 7
    assert load_recipe("vanilla_mnist").config.seed == 0


@pytest.mark.parametrize("given", ["nope", "other/nope.yaml"])
def test_an_unknown_recipe_is_one_line_listing_the_built_in_ones(given, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(GanzooError, match=f"recipe '{given}' is neither a file nor a built-in recipe; "
                                          "built-in recipes: (.*, )?acgan_mnist, .*cgan_mnist, .*vanilla_mnist"):
        recipe_path(given)


@pytest.mark.parametrize("given", ["recipes/vanilla_mnist.yaml", "other/vanilla_mnist"])
def test_a_missing_path_to_a_built_in_recipe_says_how_to_run_it_by_name(given, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(GanzooError, match=f"recipe '{given}' is not a file here .*'vanilla_mnist' is a built-in "
                                          "recipe: `ganzoo run vanilla_mnist` runs it from any folder"):
        recipe_path(given)


def test_the_founding_command_works_from_the_repository_root(data_env, tmp_path):
    """`ganzoo run recipes/vanilla_mnist.yaml`, word for word, from the root of the checkout (in CI a
    fresh clone): the top-level recipes/ folder is the founding layout's."""
    assert (ROOT / "recipes" / "vanilla_mnist.yaml").is_file()
    done = run_ganzoo("run", "recipes/vanilla_mnist.yaml", *QUICK, "train.epochs=1", "--out", tmp_path / "r",
                      "--quiet", cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "r" / "checkpoints").is_dir()
    assert (tmp_path / "r" / "recipe.yaml").read_text().startswith("name: vanilla_mnist")


def test_ganzoo_run_takes_a_recipe_by_name(data_env, tmp_path):
    assert main(["run", "vanilla_mnist", *QUICK, "train.epochs=1", "--out", str(tmp_path / "r"), "--quiet"]) == 0
    assert (tmp_path / "r" / "checkpoints").is_dir()


def test_every_built_in_recipe_says_what_it_trains_and_ganzoo_list_shows_it(capsys):
    assert all(recipe_description(path) for path in builtin_recipes().values())
    assert main(["list", "--kind", "recipe", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["components"] == []
    assert {r["name"] for r in listed["recipes"]} == set(builtin_recipes())
    vanilla = next(r for r in listed["recipes"] if r["name"] == "vanilla_mnist")
    assert vanilla["description"].startswith("The vanilla GAN of ganzoo's founding document")


def test_every_built_in_recipe_description_is_one_whole_sentence():
    """`ganzoo list` shows a recipe's first sentence: one cut at a colon or comma reads as broken."""
    for name, path in builtin_recipes().items():
        description = recipe_description(path)
        assert description.endswith(".") and not re.search(r"\.\s+[A-Za-z]", description), (name, description)
