"""The hook reference stays true to the hook specs; `import ganzoo` and `--help` stay light."""

import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from ganzoo import hookspecs

from ganzoo.pluginhost import hookdocs
from ganzoo.pluginhost.registry import COMMANDS_HOOK, HOOKS
from plugin_dists import write_distribution

ROOT = Path(__file__).resolve().parents[1]


def test_every_hook_is_documented_and_docs_hooks_md_is_up_to_date():
    names = [name for name, _, _ in hookdocs.hook_specs()]
    assert sorted(names) == sorted([*HOOKS.values(), COMMANDS_HOOK])  # every spec is loaded by the registry and vice versa
    assert hookdocs.main(["--check", str(ROOT / "docs" / "hooks.md")]) == 0, \
        "docs/hooks.md is stale: run python -m ganzoo.pluginhost.hookdocs docs/hooks.md"


def test_the_tutorial_covers_every_hook_and_every_kit_check():
    from ganzoo import testing

    tutorial = (ROOT / "docs" / "writing-plugins.md").read_text(encoding="utf-8")
    for name in [*HOOKS.values(), COMMANDS_HOOK]:
        assert f"{name}(register)" in tutorial, f"docs/writing-plugins.md does not show {name}"
    for name in testing.__all__:
        if name.startswith("check_"):
            assert f"testing.{name}(" in tutorial, f"docs/writing-plugins.md does not show testing.{name}"


def test_an_undocumented_hook_fails_the_reference(monkeypatch):
    @hookspecs.hookspec
    def register_samplers(register):
        pass

    monkeypatch.setattr(hookspecs, "register_samplers", register_samplers, raising=False)
    try:
        hookdocs.hook_specs()
    except ValueError as error:
        assert "register_samplers has no docstring" in str(error)
    else:
        raise AssertionError("an undocumented hook passed")


def test_import_ganzoo_and_a_commands_help_do_not_import_torch_or_plugins():
    """A built-in command's parser comes from the light built-in plugin `commands` alone (`ganzoo --help`,
    which lists every plugin's commands, imports the plugins)."""
    code = ("import sys, contextlib, io\n"
            "import ganzoo\n"
            "from ganzoo.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    for argv in (['--version'], ['plugins', '--help'], ['new-plugin', '--help'], ['run', '--help']):\n"
            "        try:\n"
            "            main(argv)\n"
            "        except SystemExit:\n"
            "            pass\n"
            "heavy = ('torch', 'torchvision', 'numpy', 'omegaconf', 'rich', 'ganzoo_vanilla', 'ganzoo_zoo')\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in heavy))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# ---------------------------------------------------------------- every example runs as written
TUTORIAL = ROOT / "docs" / "writing-plugins.md"
FRAGMENT = "<!-- fragment -->"  # before a block that is a fragment by design: not run
FILE = re.compile(r"<!-- file: (\S+) -->")  # before a block that shows a file of the repository: kept equal to it


def python_blocks(text: str):
    """(line number, code, the comment line before it) of every ```python block."""
    lines = text.splitlines(keepends=True)
    index = 0
    while index < len(lines):
        if lines[index].strip() == "```python":
            start, body = index + 1, []
            index += 1
            while lines[index].strip() != "```":
                body.append(lines[index])
                index += 1
            before = next((line.strip() for line in reversed(lines[:start - 1]) if line.strip()), "")
            yield start, "".join(body), before
        index += 1


def test_shown_files_are_the_files():
    shown = [(FILE.fullmatch(before).group(1), code) for _, code, before in python_blocks(TUTORIAL.read_text())
             if FILE.fullmatch(before)]
    assert [path for path, _ in shown] == ["examples/ganzoo-gman/src/ganzoo_gman/__init__.py",
                                           "examples/ganzoo-gman/src/ganzoo_gman/gman.py"]
    for path, code in shown:
        assert code == (ROOT / path).read_text(), f"docs/writing-plugins.md shows an old {path}; paste it again"


@pytest.fixture
def tutorial_plugins(tmp_path, monkeypatch):
    """What the tutorial's examples import: the package `ganzoo new-plugin mygan` writes (chapter 1) and
    ganzoo-gman (chapter 10), installed as entry points."""
    from ganzoo import testing
    from ganzoo.pluginhost.scaffold import write_plugin

    mygan = write_plugin("mygan", str(tmp_path / "ganzoo-mygan"), None)
    site = tmp_path / "site"
    write_distribution(site, "ganzoo-mygan", {"mygan": "ganzoo_mygan"})
    write_distribution(site, "ganzoo-gman", {"gman": "ganzoo_gman"})
    for folder in (site, Path(mygan) / "src", ROOT / "examples" / "ganzoo-gman" / "src"):
        monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("GANZOO_PLUGINS", "mygan,gman")
    testing.default_registry.cache_clear()
    yield
    testing.default_registry.cache_clear()
    for name in [name for name in sys.modules if name.split(".")[0] in ("ganzoo_mygan", "ganzoo_gman")]:
        del sys.modules[name]


def test_every_python_example_in_the_tutorial_runs_as_written(tutorial_plugins):
    """Each block runs in a fresh namespace; the test functions it defines are called, with the
    installed plugins and the block's own hooks registered."""
    blocks = [(line, code) for line, code, before in python_blocks(TUTORIAL.read_text()) if before != FRAGMENT]
    assert len(blocks) >= 12
    for line, code in blocks:
        namespace = {"__name__": f"writing_plugins_md_line_{line}"}
        try:
            exec(compile(code, f"docs/writing-plugins.md:{line}", "exec"), namespace)
            _run_tests_of(namespace)
        except Exception as error:
            raise AssertionError(f"the example at docs/writing-plugins.md:{line} fails: "
                                 f"{type(error).__name__}: {error}") from error


def _run_tests_of(namespace: dict) -> None:
    from ganzoo import testing
    from ganzoo.pluginhost.registry import PluginInfo, load_registry

    tests = [function for name, function in namespace.items() if name.startswith("test_") and callable(function)]
    if not tests:
        return
    hooks = {name: value for name, value in namespace.items() if name in HOOKS.values()}
    extra = [(PluginInfo("docs-example", "docs-example", "0"), types.SimpleNamespace(**hooks))] if hooks else []
    registry = load_registry(extra_plugins=extra, strict=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(testing, "default_registry", lambda: registry)
        for test in tests:
            test()


def test_the_tutorials_generator_with_codes_honours_the_contract():
    import re
    import types

    from ganzoo import testing
    from ganzoo.pluginhost.registry import PluginInfo, load_registry

    tutorial = (ROOT / "docs" / "writing-plugins.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", tutorial, flags=re.S)
    namespace = {}
    for marker in ("class Generator(nn.Module)", "class CodeGenerator"):  # the second builds on the first
        exec(next(block for block in blocks if marker in block), namespace)

    def register_generators(register):
        register("tutorial-codes", namespace["CodeGenerator"], namespace["GeneratorParams"])

    register_generators = hookspecs.hookimpl(register_generators)
    plugin = types.SimpleNamespace(register_generators=register_generators)
    registry = load_registry(extra_plugins=[(PluginInfo("tutorial", "tutorial", "0"), plugin)], strict=True)
    generator = testing.check_generator("tutorial-codes", registry=registry)  # with code=0..9 where the layout says
    assert generator.latent_dim == 64 + 10 + 2
