"""A broken plugin is reported and skipped (or fatal in strict mode); an allowlist limits what loads."""

import json
import textwrap
import types

import pytest

from ganzoo import GanzooError
from ganzoo.cli import main
from ganzoo.pluginhost.registry import PluginInfo, load_registry
from plugin_dists import BROKEN_IMPORT_PLUGIN, GOOD_PLUGIN, write_distribution

BROKEN = PluginInfo("broken", "ganzoo-broken", "1.2.3")


def plugin(source: str) -> types.ModuleType:
    module = types.ModuleType("plugin_under_test")
    exec(textwrap.dedent(source), module.__dict__)
    return module


def load_with(source: str, **kwargs):
    with pytest.warns(UserWarning) as caught:
        registry = load_registry(extra_plugins=[(BROKEN, plugin(source))], **kwargs)
    return registry, [str(w.message) for w in caught]


def assert_skipped(registry, messages, *fragments):
    [failure] = registry.failures
    assert failure.plugin == BROKEN
    for fragment in fragments:
        assert fragment in failure.error
    assert BROKEN not in registry.plugins and not registry.of_plugin("broken")
    assert any("ganzoo-broken 1.2.3" in m and "skipped" in m for m in messages)
    assert registry.get("loss", "bce").plugin.name == "vanilla"  # every other component keeps working


def test_misnamed_hook_is_reported_with_a_suggestion():
    registry, messages = load_with('''
        from ganzoo import hookimpl
        @hookimpl
        def register_generator(register):
            register("typo", lambda params, data: None)
    ''')
    assert_skipped(registry, messages, "'register_generator' is not a ganzoo hook", "register_generators")


def test_hook_with_the_wrong_signature_is_reported():
    registry, messages = load_with('''
        from ganzoo import hookimpl
        @hookimpl
        def register_losses(reg):
            reg("x", lambda params: None)
    ''')
    assert_skipped(registry, messages, "register_losses(reg)", "must take one argument, 'register'")


def test_hook_without_the_marker_is_reported():
    registry, messages = load_with('''
        def register_datasets(register):
            register("forgotten", lambda params: None)
    ''')
    assert_skipped(registry, messages, "register_datasets() is not marked", "@ganzoo.hookimpl")


def test_a_plugin_that_fails_half_way_leaves_nothing_behind():
    registry, messages = load_with('''
        from ganzoo import hookimpl
        @hookimpl
        def register_losses(register):
            register("half", lambda params: None)
        @hookimpl
        def register_datasets(register):
            raise RuntimeError("dataset server unreachable")
    ''')
    assert_skipped(registry, messages, "RuntimeError: dataset server unreachable")
    assert ("loss", "half") not in registry.components


def test_bad_registrations_and_clashes_skip_only_that_plugin():
    registry, messages = load_with('''
        from ganzoo import hookimpl
        @hookimpl
        def register_losses(register):
            register("Bad Name", lambda params: None)
    ''')
    assert_skipped(registry, messages, "named 'Bad Name'")
    registry, messages = load_with('''
        from ganzoo import hookimpl
        @hookimpl
        def register_losses(register):
            register("bce", lambda params: None)
    ''')
    assert_skipped(registry, messages, "loss 'bce'", "plugin 'vanilla' (ganzoo")


def test_strict_mode_makes_a_failure_fatal(monkeypatch):
    source = "from ganzoo import hookimpl\n@hookimpl\ndef register_loss(register):\n    pass\n"
    with pytest.raises(GanzooError, match=r"plugin 'broken' \(ganzoo-broken 1.2.3\) failed: .*register_losses"):
        load_registry(extra_plugins=[(BROKEN, plugin(source))], strict=True)
    monkeypatch.setenv("GANZOO_STRICT_PLUGINS", "1")
    with pytest.raises(GanzooError, match="strict mode"):
        load_registry(extra_plugins=[(BROKEN, plugin(source))])


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """Two installed third-party plugins, one good and one that fails to import."""
    site = tmp_path / "site"
    write_distribution(site, "ganzoo-goodplug", {"goodplug": "ganzoo_goodplug"},
                       {"ganzoo_goodplug.py": GOOD_PLUGIN}, version="2.0.0")
    write_distribution(site, "ganzoo-brokenplug", {"brokenplug": "ganzoo_brokenplug"},
                       {"ganzoo_brokenplug.py": BROKEN_IMPORT_PLUGIN})
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delenv("GANZOO_PLUGINS", raising=False)
    monkeypatch.delenv("GANZOO_STRICT_PLUGINS", raising=False)
    return site


def plugins_json(capsys, *args) -> dict:
    capsys.readouterr()
    assert main(["plugins", "--json", *args]) == 0
    return {row["name"]: row for row in json.loads(capsys.readouterr().out)["plugins"]}


def test_list_and_plugins_show_an_installed_broken_plugin_as_failed(installed, capsys):
    assert main(["list"]) == 0
    out, err = capsys.readouterr()
    assert "good-loss" in out and "mlp" in out
    assert "failed plugin 'brokenplug' (ganzoo-brokenplug 0.1.0)" in out and "ganzoo_missing_dependency" in out
    assert err == ("ganzoo: warning: ganzoo plugin 'brokenplug' (ganzoo-brokenplug 0.1.0) was skipped: "
                   "ModuleNotFoundError: No module named 'ganzoo_missing_dependency'\n")

    rows = plugins_json(capsys)
    assert rows["vanilla"]["builtin"] and rows["vanilla"]["status"] == "loaded"
    assert rows["vanilla"]["registered"] == {"algorithm": ["gan"], "generator": ["mlp"], "discriminator": ["mlp"],
                                             "loss": ["bce"], "dataset": ["mnist"]}
    assert rows["goodplug"] == {"name": "goodplug", "distribution": "ganzoo-goodplug", "version": "2.0.0",
                                "builtin": False, "status": "loaded", "error": None,
                                "registered": {"loss": ["good-loss"]}}
    assert rows["brokenplug"]["status"] == "failed"
    assert "No module named 'ganzoo_missing_dependency'" in rows["brokenplug"]["error"]


def test_strict_flag_turns_the_failure_into_an_error(installed, capsys):
    assert main(["list", "--strict"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ganzoo: error: plugin 'brokenplug' (ganzoo-brokenplug 0.1.0) failed")
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("allow", ["goodplug", "ganzoo-goodplug", "Ganzoo_GoodPlug, "])
def test_allowlist_loads_only_the_named_third_party_plugins(installed, capsys, monkeypatch, allow):
    monkeypatch.setenv("GANZOO_PLUGINS", allow)
    rows = plugins_json(capsys)  # no warning: the broken plugin is never imported
    assert [rows[n]["status"] for n in ("vanilla", "goodplug", "brokenplug")] == ["loaded", "loaded", "disabled"]


@pytest.mark.parametrize("allow", ["", "builtin"])
def test_allowlist_can_load_the_builtin_plugins_alone(installed, capsys, monkeypatch, allow):
    monkeypatch.setenv("GANZOO_PLUGINS", allow)
    rows = plugins_json(capsys)
    assert [rows[n]["status"] for n in ("vanilla", "goodplug", "brokenplug")] == ["loaded", "disabled", "disabled"]


def test_allowlist_warns_about_a_name_that_is_not_installed(installed, monkeypatch):
    monkeypatch.setenv("GANZOO_PLUGINS", "goodplug,nosuchplugin")
    with pytest.warns(UserWarning, match="GANZOO_PLUGINS names 'nosuchplugin'"):
        registry = load_registry()
    assert registry.get("loss", "good-loss").plugin.version == "2.0.0"
