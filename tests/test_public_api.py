"""One public API: ``ganzoo.__all__``. docs/writing-plugins.md lists exactly those names, and the built-in
plugins (plugins/) and the examples (examples/) import nothing else of ganzoo, as a third party must not."""

import ast
import re
from pathlib import Path

import ganzoo

ROOT = Path(__file__).resolve().parents[1]
#: besides ``import ganzoo`` and the names of ``ganzoo.__all__``: the kit plugin tests use
ALSO_PUBLIC = {"testing"}
MARKER = "<!-- public API:"


def private_uses(path: Path, root: Path = ROOT) -> list[str]:
    """Each place ``path`` reaches into ganzoo beyond its public API, as ``file:line: what``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names if alias.name.split(".")[0] == "ganzoo"]
            found += [(node, f"import {name}") for name in names
                      if name != "ganzoo" and name.split(".", 1)[1] not in ALSO_PUBLIC]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module.split(".")[0] == "ganzoo":
            if node.module == "ganzoo":
                found += [(node, f"from ganzoo import {alias.name}") for alias in node.names
                          if alias.name not in ganzoo.__all__ and alias.name not in ALSO_PUBLIC]
            elif node.module.split(".", 1)[1].split(".")[0] not in ALSO_PUBLIC:
                found.append((node, f"from {node.module} import ..."))
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "ganzoo":
            if node.attr not in ganzoo.__all__ and node.attr not in ALSO_PUBLIC and not node.attr.startswith("__"):
                found.append((node, f"ganzoo.{node.attr}"))
    return [f"{path.relative_to(root)}:{node.lineno}: {what}" for node, what in found]


def sources() -> list[Path]:
    return sorted(path for folder in ("plugins", "examples") for path in (ROOT / folder).rglob("*.py"))


def test_plugins_and_examples_import_only_the_public_api():
    assert len(sources()) > 40
    found = [use for path in sources() for use in private_uses(path)]
    assert not found, "private ganzoo modules used (export what is needed in ganzoo/__init__.py):\n" + "\n".join(found)


def test_the_import_check_catches_each_way_of_reaching_in(tmp_path):
    (tmp_path / "sneaky.py").write_text(
        "import ganzoo\nimport ganzoo.training.run_folder\nfrom ganzoo import translation, DataSpec\n"
        "from ganzoo.storage.packed import read_manifest\nfrom ganzoo.testing import check_loss\n"
        "x = ganzoo.recipe.load_recipe\ny = ganzoo.GAN\n")
    found = [use.split(": ", 1)[1] for use in private_uses(tmp_path / "sneaky.py", root=tmp_path)]
    assert found == ["import ganzoo.training.run_folder", "from ganzoo import translation",
                     "from ganzoo.storage.packed import ...", "ganzoo.recipe"]


def test_the_tutorial_lists_exactly_the_public_names():
    text = (ROOT / "docs" / "writing-plugins.md").read_text(encoding="utf-8")
    table = text[text.index(MARKER):].split("\n\n", 1)[0]
    rows = [line for line in table.splitlines()[3:] if line.startswith("|")]
    listed = [name for row in rows for name in re.findall(r"`([^`]+)`", row.split("|")[1])]
    assert sorted(listed) == sorted(ganzoo.__all__), "docs/writing-plugins.md's table and ganzoo.__all__ differ"


def test_every_public_name_loads_and_import_ganzoo_stays_light():
    import subprocess
    import sys

    code = "import sys, ganzoo; print(sorted(m for m in sys.modules if m.split('.')[0] == 'torch')[:1])"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout == "[]\n"
    for name in ganzoo.__all__:
        assert getattr(ganzoo, name) is not None
    assert ganzoo.read_packed.__module__ == "ganzoo.storage.packed"  # the lazy table's "module:attribute" resolved
    assert ganzoo.mnist_classifier.__name__ == "shipped_classifier"


def test_first_line_quotes_an_exception_in_a_one_line_message():
    assert ganzoo.first_line(ValueError("\n  bad shape (3, 4)  \n  at layer 2")) == "bad shape (3, 4)"
    assert ganzoo.first_line(OSError()) == "" and ganzoo.first_line(ValueError("x" * 50), 10) == "x" * 10
