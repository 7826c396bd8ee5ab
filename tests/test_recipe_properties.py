"""Property-based: whatever overrides or recipe documents arrive, the loader returns a valid
recipe or raises the one-line GanzooError, and nothing else."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from omegaconf import OmegaConf

from conftest import RECIPE
from ganzoo import GanzooError
from ganzoo.recipe import Recipe, build_recipe, load_recipe
from runs import registry

SETTINGS = settings(max_examples=int(os.environ.get("GANZOO_HYPOTHESIS_EXAMPLES", "40")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
BASE = OmegaConf.load(RECIPE)

KEYS = ["seed", "name", "algorithm.name", "algorithm.params.d_steps", "train.d_steps", "train.epochs", "train.batch_size", "train.device", "train.log_every",
        "train.on_nonfinite", "output.root", "output.grid_size", "output.keep_checkpoints",
        "optimizers.generator.lr", "optimizers.generator.betas", "optimizers.discriminator.name",
        "generator.name", "generator.params.hidden", "generator.params.latent_dim", "generator.params.dropout",
        "discriminator.params.activation", "loss.params.real_label", "dataset.params.limit", "dataset.params.split",
        "train", "generator.params", "nonsense", "train.epochs.deeper"]
VALUES = st.one_of(
    st.sampled_from(["1", "0", "-1", "2e-4", "nan", "inf", "-inf", "null", "true", "[]", "[1,2]", "[0.5, 0.999]",
                     "{}", "{a: 1}", "???", "${train.epochs}", "${nope}", "${oc.env:HOME}", "${oc.decode:'[1]'}",
                     "${eval:1}", "${", "'", "\"", "relu", "mnist", "mlp", "cpu", "cuda:7", "skip", "a/b", ".."]),
    st.integers(-2**70, 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=20),
)
OVERRIDES = st.one_of(
    st.builds(lambda k, v: f"{k}={v}", st.sampled_from(KEYS), VALUES),
    st.text(max_size=40),
)


def loads_or_one_line_error(load) -> None:
    try:
        recipe = load()
    except GanzooError as error:
        assert str(error).strip() and "\n" not in str(error).strip(), repr(str(error))
        return
    assert isinstance(recipe, Recipe)
    yaml.safe_load(recipe.to_yaml())  # a loaded recipe can be written out and read back


@SETTINGS
@given(st.lists(OVERRIDES, max_size=4))
def test_random_overrides_load_or_raise_the_one_line_error(overrides):
    loads_or_one_line_error(lambda: build_recipe(BASE.copy(), overrides, registry(), source="recipe"))


# Recipe documents: the real recipe's keys with random values, plus random keys and shapes.
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40), st.floats(), st.text(max_size=12),
                   st.sampled_from(["mlp", "mnist", "bce", "adam", "cpu", "${seed}", "${oc.env:NOPE}", "???"]))
NAMES = st.one_of(st.sampled_from(["seed", "name", "train", "epochs", "batch_size", "lr", "betas", "params", "hidden",
                                   "generator", "discriminator", "loss", "dataset", "optimizers", "output"]),
                  st.text(max_size=8))
TREES = st.recursive(LEAVES, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                     st.dictionaries(NAMES, inner, max_size=4)), max_leaves=12)


def _mutations():
    base = OmegaConf.to_container(BASE)
    return st.lists(st.tuples(st.sampled_from(KEYS), TREES), max_size=3).map(lambda changes: _apply(base, changes))


def _apply(base, changes):
    import copy

    doc = copy.deepcopy(base)
    for dotted, value in changes:
        node, *path, last = [doc, *dotted.split(".")]
        for part in path:
            node = node.setdefault(part, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict):
            node[last] = value
    return doc


@SETTINGS
@given(st.one_of(_mutations(), TREES))
# found by this test: the old place of d_steps holding a mapping, the new one a list (a raw OmegaConf merge error)
@example(_apply(OmegaConf.to_container(BASE), [("train.d_steps", {"loss": 13}), ("algorithm.params.d_steps", [])]))
@example(_apply(OmegaConf.to_container(BASE), [("train.d_steps", 2), ("algorithm.params", [1])]))
# and (2026-12-08) an optimiser setting in the short form holding an interpolation that cannot resolve: moving it
# into params resolved it (a raw InterpolationResolutionError)
@example(_apply(OmegaConf.to_container(BASE), [("optimizers.generator.betas", "${oc.env:NOPE}")]))
def test_random_recipe_documents_load_or_raise_the_one_line_error(document):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "recipe.yaml"
        path.write_text(yaml.safe_dump(document))
        loads_or_one_line_error(lambda: load_recipe(path, (), registry()))


@SETTINGS
@given(st.text(max_size=200))
def test_random_recipe_text_loads_or_raises_the_one_line_error(text):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "recipe.yaml"
        path.write_text(RECIPE.read_text()[:200] + text, encoding="utf-8")
        loads_or_one_line_error(lambda: load_recipe(path, (), registry()))


class WouldTrain(Exception):
    """Raised in place of training: the overrides made a valid recipe."""


@SETTINGS
@given(st.lists(OVERRIDES.filter(lambda item: not item.startswith("-")), max_size=4))
def test_random_overrides_on_the_command_line_give_exit_2_and_one_line(overrides):
    import contextlib
    import io

    import ganzoo.training.trainer
    from ganzoo import cli

    def would_train(*args, **kwargs):
        raise WouldTrain

    stderr = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stderr(stderr):
        patch.setattr(ganzoo.training.trainer, "start_run", would_train)
        patch.setattr("ganzoo.commands.run._registry", lambda args: registry())
        try:
            code = cli.main(["run", str(RECIPE), *overrides, "--out", os.devnull + "/never"])
        except WouldTrain:
            return
    lines = stderr.getvalue().strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("ganzoo: error: "), (code, lines)


@SETTINGS
@given(st.binary(max_size=300))
def test_random_recipe_bytes_load_or_raise_the_one_line_error(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "recipe.yaml"
        path.write_bytes(data)
        loads_or_one_line_error(lambda: load_recipe(path, (), registry()))


def test_train_d_steps_moves_to_the_algorithm_and_both_at_once_is_one_line(tmp_path):
    old = _apply(OmegaConf.to_container(BASE), [("train.d_steps", 3)])
    old["algorithm"]["params"].pop("d_steps", None)
    (tmp_path / "old.yaml").write_text(yaml.safe_dump(old))
    assert load_recipe(tmp_path / "old.yaml", (), registry()).config.algorithm.params.d_steps == 3
    both = _apply(OmegaConf.to_container(BASE), [("train.d_steps", 3), ("algorithm.params.d_steps", 2)])
    (tmp_path / "both.yaml").write_text(yaml.safe_dump(both))
    with pytest.raises(GanzooError, match="d_steps is given twice"):
        load_recipe(tmp_path / "both.yaml", (), registry())
