"""The registry: discovery through entry points, validation, provenance, duplicates."""

import json
import textwrap
from dataclasses import dataclass

import pytest

import ganzoo
from ganzoo.pluginhost.registry import NoParams, PluginInfo, load_registry

from conftest import run_ganzoo


@dataclass
class FakeParams:
    width: int = 3


class FakePlugin:
    @ganzoo.hookimpl
    def register_losses(register):
        register("fake-loss", lambda params: object(), FakeParams, "A fake loss.\nMore text.")

    @ganzoo.hookimpl
    def register_generators(register):
        register("fake-gen", lambda params, data: object())


FAKE = PluginInfo("fake", "ganzoo-fake", "9.9")


def test_builtin_components_come_from_the_entry_point_group():
    registry = load_registry()
    names = {(c.kind, c.name) for c in registry.of_kind()}
    assert {("generator", "mlp"), ("discriminator", "mlp"), ("loss", "bce"), ("dataset", "mnist")} <= names
    mlp = registry.get("generator", "mlp")
    assert (mlp.plugin.name, mlp.plugin.distribution) == ("vanilla", "ganzoo")
    assert mlp.plugin.version == ganzoo.__version__


def test_a_plugin_records_provenance_params_and_description():
    registry = load_registry(extra_plugins=[(FAKE, FakePlugin)])
    loss = registry.get("loss", "fake-loss")
    assert loss.plugin == FAKE
    assert loss.params is FakeParams
    assert loss.description == "A fake loss."
    assert registry.get("generator", "fake-gen").params is NoParams
    assert FAKE in registry.plugins


def test_two_plugins_registering_one_name_skip_the_second_naming_both():
    other = PluginInfo("other", "ganzoo-other", "1.0")
    plugins = [(FAKE, FakePlugin), (other, type("Other", (FakePlugin,), {}))]
    with pytest.warns(UserWarning, match="ganzoo-other 1.0.*fake-gen.*ganzoo-fake 9.9"):
        registry = load_registry(extra_plugins=plugins)
    assert registry.get("generator", "fake-gen").plugin == FAKE
    with pytest.raises(ganzoo.GanzooError) as error:  # strict mode: fatal
        load_registry(extra_plugins=plugins, strict=True)
    message = str(error.value)
    assert "fake-gen" in message and "ganzoo-fake 9.9" in message and "ganzoo-other 1.0" in message


def test_unknown_component_lists_the_registered_ones():
    with pytest.raises(ganzoo.GanzooError, match=r"unknown loss 'wgan'.*registered losses: bce"):
        load_registry().get("loss", "wgan")


@pytest.mark.parametrize("name, factory, params, problem", [
    ("Bad Name", lambda p: p, None, "names are lower-case"),
    ("ok", "not callable", None, "not callable"),
    ("ok", lambda p: p, dict, "must be a dataclass"),
])
def test_register_validates_what_a_plugin_hands_it(name, factory, params, problem):
    class Broken:
        @ganzoo.hookimpl
        def register_losses(register):
            register(name, factory, params)

    with pytest.warns(UserWarning, match=f"ganzoo-fake 9.9.*{problem}"):  # the plugin is skipped
        registry = load_registry(extra_plugins=[(FAKE, Broken)])
    assert [f.plugin for f in registry.failures] == [FAKE]
    with pytest.raises(ganzoo.GanzooError, match=problem):  # strict mode: fatal
        load_registry(extra_plugins=[(FAKE, Broken)], strict=True)


def test_a_plugin_that_raises_is_skipped_with_a_warning():
    class Crashing:
        @ganzoo.hookimpl
        def register_datasets(register):
            raise RuntimeError("boom")

    with pytest.warns(UserWarning, match="ganzoo-fake 9.9.*boom"):
        registry = load_registry(extra_plugins=[(FAKE, Crashing)])
    assert [f.plugin for f in registry.failures] == [FAKE]
    assert registry.get("dataset", "mnist")  # everything else still works


def test_an_installed_distribution_is_discovered_through_its_entry_point(tmp_path):
    """A third-party package, installed as pip would (dist-info + entry_points.txt), shows in `ganzoo list`."""
    (tmp_path / "ganzoo_thirdparty.py").write_text(textwrap.dedent('''
        from dataclasses import dataclass
        import ganzoo

        @dataclass
        class HingeParams:
            margin: float = 1.0

        @ganzoo.hookimpl
        def register_losses(register):
            register("hinge-demo", lambda params: None, HingeParams, "Hinge loss from a third party.")
    '''))
    info = tmp_path / "ganzoo_thirdparty-2.5.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: ganzoo-thirdparty\nVersion: 2.5.0\n")
    (info / "entry_points.txt").write_text("[ganzoo]\nthirdparty = ganzoo_thirdparty\n")
    result = run_ganzoo("list", "--json", env={"PYTHONPATH": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    rows = {(c["kind"], c["name"]): c for c in json.loads(result.stdout)["components"]}
    assert rows[("loss", "hinge-demo")]["plugin"] == {
        "name": "thirdparty", "distribution": "ganzoo-thirdparty", "version": "2.5.0"}
    assert ("generator", "mlp") in rows


def test_the_kinds_of_models_are_listed_and_documented_from_the_one_kind_list(capsys):
    """Encoders and auxiliary networks are kinds like the others: listed by `ganzoo list --kind`, their
    params shown by `ganzoo params`, named in plural from the registry's one list."""
    import json

    from ganzoo.cli import main
    from ganzoo.pluginhost.registry import HOOKS, KINDS, MODEL_KINDS, PLURALS, ROLE_KINDS

    assert set(MODEL_KINDS) <= set(ROLE_KINDS) <= set(KINDS) == set(PLURALS) == set(HOOKS)
    assert {"encoder", "network"} <= set(MODEL_KINDS) and PLURALS["network"] == "networks"
    for kind, name in (("encoder", "encoder"), ("network", "code-mlp")):
        assert main(["list", "--kind", kind, "--json"]) == 0
        listed = json.loads(capsys.readouterr().out)["components"]
        assert (kind, name) in {(c["kind"], c["name"]) for c in listed} and {c["kind"] for c in listed} == {kind}
        assert main(["params", kind, name]) == 0
        assert name in capsys.readouterr().out
    assert main(["list", "--kind", "encoder"]) == 0
    assert "encoders" in capsys.readouterr().out
