"""Loading a checkpoint or a recipe never runs code from it."""

from __future__ import annotations

import os
import pickle
from importlib import metadata

import pytest
import torch
import yaml
from omegaconf import OmegaConf

from conftest import RECIPE
from ganzoo import GanzooError, cli
from ganzoo.training import checkpoint
from ganzoo.recipe import SAFE_RESOLVERS, load_recipe
from ganzoo.pluginhost.registry import ENTRY_POINT_GROUP
from runs import registry


class RunsCode:
    """Unpickling this calls os.system: what a malicious checkpoint would carry."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


@pytest.mark.parametrize("writer", ["torch.save", "plain pickle"])
def test_a_checkpoint_crafted_to_run_code_is_refused(tmp_path, capsys, writer):
    marker = tmp_path / "pwned"
    crafted = checkpoint.checkpoint_path(tmp_path / "run", 8)
    crafted.parent.mkdir(parents=True)
    payload = {"format": checkpoint.FORMAT, "version": 1, "step": 8, "generator": RunsCode(marker)}
    with open(crafted, "wb") as handle:
        torch.save(payload, handle) if writer == "torch.save" else pickle.dump(payload, handle, protocol=2)
    (tmp_path / "run" / "recipe.yaml").write_text(RECIPE.read_text())

    for argv in (["sample", tmp_path / "run", "--out", tmp_path / "s.png"], ["run", "--resume", tmp_path / "run"]):
        assert cli.main([str(a) for a in argv]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"ganzoo: error: refused to load checkpoint '{crafted}'") and "\n" not in err
        assert "system" in err  # names what it refused
    assert not marker.exists()


def test_yaml_tags_cannot_build_python_objects(tmp_path):
    marker = tmp_path / "pwned"
    recipe = tmp_path / "evil.yaml"
    recipe.write_text(f'seed: !!python/object/apply:os.system ["touch {marker}"]\n')
    with pytest.raises(GanzooError, match="not valid YAML"):
        load_recipe(recipe, registry=registry())
    assert not marker.exists()


def test_only_data_resolvers_are_registered():
    registry()  # plugins are loaded: none of them added a resolver
    from omegaconf.basecontainer import BaseContainer

    assert set(BaseContainer._resolvers) <= SAFE_RESOLVERS
    assert not {"eval", "python", "import", "exec"} & set(BaseContainer._resolvers)


def test_a_recipe_cannot_call_a_resolver_that_runs_code(tmp_path):
    calls = []
    OmegaConf.register_resolver("eval", lambda text: calls.append(text) or 1)  # e.g. from some other package
    recipe = tmp_path / "evil.yaml"
    recipe.write_text(RECIPE.read_text() + yaml.safe_dump({"name": "${eval:'__import__(\"os\").getcwd()'}"}))
    try:
        with pytest.raises(GanzooError, match="'name' uses the resolver 'eval', which recipes may not use"):
            load_recipe(recipe, [], registry())
        for override in ("seed=${eval:1}", "name=x${oc.decode:${eval:1}}",
                         "algorithm.name=${eval:1}"):  # read to find the algorithm, before the rest
            with pytest.raises(GanzooError, match="uses the resolver 'eval', which recipes may not use"):
                load_recipe(RECIPE, [override], registry())
        # names read early in the recipe file too: the algorithm's, and a component's renamed by an override
        for document, overrides in (({"algorithm": {"name": "${eval:1}"}}, []),
                                    ({"discriminator": {"name": "${eval:1}", "params": {}}}, ["discriminator.name=mlp"])):
            early = tmp_path / "early.yaml"
            early.write_text(yaml.safe_dump({**yaml.safe_load(RECIPE.read_text()), **document}))
            with pytest.raises(GanzooError, match="uses the resolver 'eval', which recipes may not use"):
                load_recipe(early, overrides, registry())
    finally:
        OmegaConf.clear_resolver("eval")
    assert calls == []


@pytest.mark.parametrize("override", ["generator.name=os.system", "generator.name=ganzoo_vanilla.mlp:MLPGenerator",
                                      "loss.params._target_=os.system"])
def test_components_come_only_from_registered_names(override):
    with pytest.raises(GanzooError, match="unknown (generator|key)"):
        load_recipe(RECIPE, [override], registry())


def test_plugins_come_only_from_installed_entry_points():
    installed = {ep.name for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}
    assert {c.plugin.name for c in registry().components.values()} <= installed


@pytest.fixture
def eval_resolver(tmp_path):
    """An `eval` resolver, as some installed package might register: it runs any Python expression."""
    OmegaConf.register_resolver("eval", eval)
    yield
    OmegaConf.clear_resolver("eval")


@pytest.mark.parametrize("document", [
    # oc.decode rebuilds ${eval:...} at resolve time from pieces that are not a resolver call
    {"output": {"root": "$"}, "name": '${oc.decode:"${output.root}{eval:\'__import__(\\"os\\").system(\\"touch MARK\\")\'}"}'},
    # a plain reference builds the same text; reading the value later would resolve it
    {"output": {"root": "$"}, "name": "${output.root}{eval:'__import__(\"os\").system(\"touch MARK\")'}"},
], ids=["oc.decode", "reference"])
def test_a_resolver_call_built_at_resolve_time_runs_nothing(tmp_path, eval_resolver, capsys, document):
    marker = tmp_path / "PWNED"
    merged = {**yaml.safe_load(RECIPE.read_text()), **document}
    recipe = tmp_path / "evil.yaml"
    recipe.write_text(yaml.safe_dump(merged).replace("MARK", str(marker)))
    assert cli.main(["run", str(recipe), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ganzoo: error: ") and "\n" not in err and "'name'" in err
    assert not marker.exists()
    assert not (tmp_path / "run").exists()


def test_a_recipe_file_named_like_an_interpolation_runs_nothing(tmp_path, eval_resolver, monkeypatch):
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "PWNED"
    recipe = tmp_path / "${eval:'__import__(\"os\").system(\"touch PWNED\")'}.yaml"
    recipe.write_text(RECIPE.read_text())
    with pytest.raises(GanzooError):
        load_recipe(recipe, [], registry())
    assert not marker.exists()
