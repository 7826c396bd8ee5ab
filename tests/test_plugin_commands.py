"""Commands are plugins: a third-party package adds a `ganzoo` command through the register_commands
hook, as the built-in plugin `commands` adds run, list and the rest; its failures are one line naming
it and its plugin; a name a built-in command has is refused."""

import json
import subprocess
import sys
import textwrap

import pytest

from ganzoo import GanzooError
from ganzoo.cli import main
from ganzoo.pluginhost.registry import PluginInfo, load_registry
from plugin_dists import path_env, write_distribution

from conftest import ROOT, run_ganzoo

HELLO_PLUGIN = '''
from ganzoo import GanzooError, hookimpl

def add_arguments(parser):
    parser.add_argument("name", help="whom to greet")
    parser.add_argument("--shout", action="store_true")

def hello(args):
    if args.name == "nobody":
        raise GanzooError("give someone's name, not 'nobody'")
    if args.name == "crash":
        raise KeyError("greetings table")
    text = f"hello, {args.name}"
    print(text.upper() if args.shout else text)
    return 0 if args.name != "quietly" else 3

@hookimpl
def register_commands(register):
    register("hello", hello, add_arguments, help="greet someone", description="Greet someone by name.")
'''

CLASHING_PLUGIN = '''
from ganzoo import hookimpl

@hookimpl
def register_commands(register):
    register("greet", lambda args: 0, help="a fine command")
    register("run", lambda args: 0, help="takes a built-in command's name")
'''


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """A third-party distribution that adds the command `hello`, installed as pip would."""
    site = write_distribution(tmp_path / "site", "ganzoo-hello", {"hello": "ganzoo_hello"},
                              {"ganzoo_hello.py": HELLO_PLUGIN}, version="2.0.0")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delenv("GANZOO_PLUGINS", raising=False)
    monkeypatch.delenv("GANZOO_STRICT_PLUGINS", raising=False)
    return site


def test_a_third_party_package_adds_a_command(installed, capsys):
    assert main(["hello", "Ada", "--shout"]) == 0
    assert capsys.readouterr().out == "HELLO, ADA\n"
    assert main(["hello", "quietly"]) == 3  # the command's exit code is ganzoo's


def test_its_failure_is_one_line_naming_the_command_and_its_plugin(installed, capsys):
    assert main(["hello", "crash"]) == 2
    assert capsys.readouterr().err == (
        "ganzoo: error: command 'hello' of plugin 'hello' (ganzoo-hello 2.0.0) failed while running: "
        "KeyError: 'greetings table'; fix the plugin, or run with --debug for the traceback\n")
    assert main(["hello", "nobody"]) == 2  # a GanzooError is the plugin's own message, as from a built-in command
    assert capsys.readouterr().err == "ganzoo: error: give someone's name, not 'nobody'\n"
    with pytest.raises(GanzooError) as caught:
        main(["hello", "crash", "--debug"])
    assert isinstance(caught.value.__cause__, KeyError)  # --debug: the plugin's own traceback, chained


def test_help_lists_the_plugins_command_after_the_builtin_ones(installed, capsys):
    assert main([]) == 2
    out = capsys.readouterr().out
    commands = out[out.index("  COMMAND\n"):out.index("options:")]
    listed = [line.split()[0] for line in commands.splitlines()[1:] if line.startswith("    ") and line[4] != " "]
    assert listed[:3] == ["run", "list", "params"] and listed[-2:] == ["train-classifier", "hello"], listed
    assert "greet someone" in out
    with pytest.raises(SystemExit):
        main(["hello", "--help"])
    out = capsys.readouterr().out
    assert "Greet someone by name." in out and "--debug" in out and "--strict" in out


def test_plugins_lists_the_commands_each_plugin_registered(installed, capsys):
    assert main(["plugins", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)["plugins"]}
    assert rows["hello"]["registered"] == {"command": ["hello"]}
    assert rows["commands"]["builtin"] and rows["commands"]["registered"]["command"][:3] == ["run", "list", "params"]


def test_a_command_named_like_a_builtin_one_is_refused_in_one_line(tmp_path, monkeypatch, capsys):
    site = write_distribution(tmp_path / "site", "ganzoo-clash", {"clash": "ganzoo_clash"},
                              {"ganzoo_clash.py": CLASHING_PLUGIN})
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delenv("GANZOO_PLUGINS", raising=False)
    monkeypatch.delenv("GANZOO_STRICT_PLUGINS", raising=False)
    with pytest.warns(UserWarning) as caught:
        registry = load_registry()
    assert [str(w.message) for w in caught] == [
        "ganzoo plugin 'clash' (ganzoo-clash 0.1.0) was skipped: it registers command 'run', which plugin "
        "'commands' (ganzoo 0.1.0) registered first; rename one of them or uninstall one of the plugins"]
    assert registry.commands["run"].plugin.name == "commands" and "greet" not in registry.commands
    with pytest.raises(SystemExit):  # the plugin is skipped whole: its other command too
        main(["greet"])
    err = capsys.readouterr().err
    assert "ganzoo: warning: ganzoo plugin 'clash' (ganzoo-clash 0.1.0) was skipped" in err
    assert "invalid choice: 'greet'" in err
    assert main(["greet", "--strict"]) == 2
    assert capsys.readouterr().err.startswith("ganzoo: error: plugin 'clash' (ganzoo-clash 0.1.0) failed: "
                                              "it registers command 'run'")


def test_each_hook_is_checked_against_its_own_signature():
    class WrongArgument:
        @staticmethod
        def register_commands(cli):
            pass

    from ganzoo import hookimpl

    WrongArgument.register_commands = hookimpl(WrongArgument.register_commands)
    with pytest.warns(UserWarning):
        registry = load_registry(extra_plugins=[(PluginInfo("wrong", "ganzoo-wrong", "1.0"), WrongArgument)])
    [failure] = registry.failures
    assert failure.error == ("hook register_commands(cli) must take one argument, 'register': "
                             "def register_commands(register)")


def test_a_registered_command_is_checked():
    class BadCommand:
        @staticmethod
        def register_commands(register):
            register("hello", "not a function")

    from ganzoo import hookimpl

    BadCommand.register_commands = hookimpl(BadCommand.register_commands)
    with pytest.warns(UserWarning):
        registry = load_registry(extra_plugins=[(PluginInfo("bad", "ganzoo-bad", "1.0"), BadCommand)])
    assert registry.failures[0].error == "plugin 'bad' (ganzoo-bad 1.0): the run function of command 'hello' is not callable"


def test_the_installed_command_runs_from_the_console(installed):
    result = run_ganzoo("hello", "Grace", env=path_env(installed))
    assert (result.returncode, result.stdout, result.stderr) == (0, "hello, Grace\n", "")




def test_an_install_without_the_builtin_commands_says_to_reinstall(monkeypatch, capsys):
    monkeypatch.setattr("ganzoo.pluginhost.registry._entry_points", lambda: [])  # e.g. an editable install made before
    assert main(["list"]) == 2
    assert capsys.readouterr().err == (
        "ganzoo: error: ganzoo's built-in commands are not installed (no 'commands' entry point in the 'ganzoo' "
        "group): reinstall ganzoo (pip install -e . in its folder)\n")
