"""The hook reference stays true to the hook specs; `import ganzoo` and `--help` stay light."""

import subprocess
import sys
from pathlib import Path

from ganzoo import hookdocs, hookspecs
from ganzoo.registry import HOOKS

ROOT = Path(__file__).resolve().parents[1]


def test_every_hook_is_documented_and_docs_hooks_md_is_up_to_date():
    names = [name for name, _, _ in hookdocs.hook_specs()]
    assert sorted(names) == sorted(HOOKS.values())  # every spec is loaded by the registry and vice versa
    assert hookdocs.main(["--check", str(ROOT / "docs" / "hooks.md")]) == 0, \
        "docs/hooks.md is stale: run python -m ganzoo.hookdocs docs/hooks.md"


def test_the_tutorial_covers_every_hook_and_every_kit_check():
    from ganzoo import testing

    tutorial = (ROOT / "docs" / "writing-plugins.md").read_text(encoding="utf-8")
    for name in HOOKS.values():
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


def test_import_ganzoo_and_help_do_not_import_torch_or_plugins():
    code = ("import sys, contextlib, io\n"
            "import ganzoo\n"
            "from ganzoo.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    for argv in (['--help'], ['plugins', '--help'], ['new-plugin', '--help']):\n"
            "        try:\n"
            "            main(argv)\n"
            "        except SystemExit:\n"
            "            pass\n"
            "heavy = ('torch', 'torchvision', 'numpy', 'omegaconf', 'rich', 'ganzoo_vanilla', 'ganzoo.registry')\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m in heavy))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_tutorials_generator_with_codes_honours_the_contract():
    import re
    import types

    from ganzoo import testing
    from ganzoo.registry import PluginInfo, load_registry

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
