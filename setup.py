"""The package list, which pyproject.toml cannot express alone: ``ganzoo`` and its subpackages,
the built-in plugin packages under ``plugins/``, and the top-level ``recipes/`` folder installed as
``ganzoo.recipes`` (the founding layout keeps the recipes at the top level; the wheel ships them)."""

from setuptools import find_packages, setup

core = find_packages(where=".", include=["ganzoo", "ganzoo.*"])
builtin_plugins = find_packages(where="plugins", include=["ganzoo_*"])
setup(packages=[*core, *builtin_plugins, "ganzoo.recipes"],
      package_dir={"ganzoo.recipes": "recipes", **{name: f"plugins/{name.replace('.', '/')}" for name in builtin_plugins}})
