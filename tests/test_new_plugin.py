"""`ganzoo new-plugin` writes a package that pip installs, ganzoo finds, and whose tests pass as generated."""

import json
import os
import subprocess
import sys

import pytest

from ganzoo.cli import main
from conftest import run_ganzoo
from plugin_dists import path_env


def test_the_generated_package_installs_registers_and_passes_its_tests(tmp_path):
    package = tmp_path / "ganzoo-stripes"
    assert main(["new-plugin", "stripes", "--dir", str(package)]) == 0
    assert (package / "pyproject.toml").is_file() and (package / "README.md").is_file()

    # A real pip install (build from the generated pyproject.toml), into a folder rather than the test venv.
    site = tmp_path / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                              "--no-build-isolation", "--target", str(site), str(package)],
                             capture_output=True, text=True, timeout=120)
    assert install.returncode == 0, install.stderr

    env = {**path_env(site), "GANZOO_STRICT_PLUGINS": "1"}
    listing = run_ganzoo("list", "--json", env=env)
    assert listing.returncode == 0, listing.stderr
    found = {(c["kind"], c["name"]): c["plugin"] for c in json.loads(listing.stdout)["components"]}
    assert all(found[(kind, "stripes")] == {"name": "stripes", "distribution": "ganzoo-stripes", "version": "0.1.0"}
               for kind in ("generator", "discriminator", "loss", "dataset"))

    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(package)],
                           capture_output=True, text=True, cwd=package, env={**os.environ, **env},
                           timeout=300)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "6 passed" in tests.stdout


def test_only_the_kinds_asked_for_are_written(tmp_path, capsys):
    assert main(["new-plugin", "ganzoo-my-loss", "--kind", "loss", "--dir", str(tmp_path / "p")]) == 0
    source = tmp_path / "p" / "src" / "ganzoo_my_loss"
    assert sorted(p.name for p in source.iterdir()) == ["__init__.py", "losses.py"]
    assert 'my-loss = "ganzoo_my_loss"' in (tmp_path / "p" / "pyproject.toml").read_text()
    assert "name: my-loss" in (tmp_path / "p" / "recipes" / "my-loss.yaml").read_text()
    compile((source / "__init__.py").read_text(), "__init__.py", "exec")


def test_an_encoder_is_written_on_request_and_passes_the_contract_kit(tmp_path, capsys, monkeypatch):
    from ganzoo import testing
    from plugin_dists import write_distribution

    package = tmp_path / "ganzoo-codes"
    assert main(["new-plugin", "codes", "--kind", "encoder", "--dir", str(package)]) == 0
    site = write_distribution(tmp_path / "site", "ganzoo-codes", {"codes": "ganzoo_codes"})
    for folder in (site, package / "src", package / "tests"):
        monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("GANZOO_PLUGINS", "codes")
    testing.default_registry.cache_clear()
    try:
        import test_ganzoo_codes as generated

        generated.test_plugin_loads()
        generated.test_encoder()
        assert not hasattr(generated, "test_one_training_step")  # the gan step has no encoder role
    finally:
        testing.default_registry.cache_clear()
        for name in [name for name in sys.modules if name in ("ganzoo_codes", "test_ganzoo_codes")
                     or name.startswith("ganzoo_codes.")]:
            del sys.modules[name]


@pytest.mark.parametrize("args, message", [
    (["Bad Name"], "plugin name 'Bad Name' must be lower-case"),
    (["ok", "--kind", "sampler"], "unknown kind 'sampler'"),
    (["ok", "--kind", "network"], "new-plugin writes no example of a network (register one by hand"),
    (["vanilla"], "the plugin name 'vanilla' is taken by the installed distribution ganzoo"),
])
def test_mistakes_are_one_line_errors(tmp_path, capsys, args, message):
    assert main(["new-plugin", *args, "--dir", str(tmp_path / "p")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "p").exists()


def test_an_existing_folder_is_never_overwritten(tmp_path, capsys):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "mine.txt").write_text("keep")
    assert main(["new-plugin", "ok", "--dir", str(tmp_path / "p")]) == 2
    assert "already exists" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "p").iterdir()] == ["mine.txt"]
