"""Recipe files: the built-in recipes, a recipe's file from its name or path, and its YAML read into a
document (size, encoding and syntax refused in one line) that ``ganzoo.recipe.build`` turns into a recipe."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any, Dict, Sequence

import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from ganzoo.errors import GanzooError, first_line
from ganzoo.pluginhost.registry import Registry
from ganzoo.recipe.build import build_recipe
from ganzoo.recipe.messages import error_line, full_key
from ganzoo.recipe.schema import Recipe

MAX_RECIPE_BYTES = 2**20  # recipe files are a few kilobytes
MAX_YAML_VALUES = 10000  # OmegaConf's default cap on a YAML document's nodes (aliases expanded)


def builtin_recipes() -> Dict[str, Path]:
    """The recipes that come with ganzoo, by name (the file's stem): the repository's top-level
    ``recipes/`` folder, installed as the package ``ganzoo.recipes`` (setup.py maps it)."""
    import ganzoo.recipes
    folder = Path(ganzoo.recipes.__file__).resolve().parent
    return {path.stem: path for path in sorted(folder.glob("*.yaml"))}


def recipe_description(path: Path) -> str:
    """A recipe's first sentence, from the comment lines that open it: what it trains."""
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#") or line[1:].startswith("   "):  # the comments' end, or a command
            break
        words.append(line[1:].strip())
    text = " ".join(word for word in words if word)
    return re.split(r"(?<=[.])\s+(?=[A-Z])", text, maxsplit=1)[0]


def recipe_path(name_or_path: str | Path) -> Path:
    """A recipe file: the path given when it is a file, else the built-in recipe of that name."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    builtin = builtin_recipes()
    name = path.name[:-len(".yaml")] if path.name.endswith(".yaml") else path.name
    if str(name_or_path) in (name, path.name) and name in builtin:
        return builtin[name]
    if name in builtin:  # a path that is not there, naming a built-in recipe's file
        raise GanzooError(f"recipe '{name_or_path}' is not a file here (working folder: {Path.cwd()}); "
                          f"'{name}' is a built-in recipe: `ganzoo run {name}` runs it from any folder")
    raise GanzooError(f"recipe '{name_or_path}' is neither a file nor a built-in recipe; "
                      f"built-in recipes: {', '.join(builtin) or 'none'} (`ganzoo list --kind recipe`)")


def load_recipe(path: str | Path, overrides: Sequence[str] = (), registry: Registry | None = None) -> Recipe:
    path = recipe_path(path)
    _check_size(path)
    try:
        document = OmegaConf.load(path)
    except yaml.YAMLError as error:
        raise _not_yaml(f"recipe '{path}'", error) from error
    except UnicodeDecodeError as error:
        raise GanzooError(f"recipe '{path}' is not UTF-8 text (byte 0x{error.object[error.start]:02x} at offset "
                          f"{error.start}); give a YAML recipe file") from error
    except OSError as error:
        raise GanzooError(f"cannot read recipe '{path}': {error.strerror or error}") from error
    except OmegaConfBaseException as error:  # e.g. a malformed ${...} interpolation
        raise GanzooError(f"recipe '{path}': bad value for '{full_key('', error)}': {error_line(error)}") from error
    if not isinstance(document, DictConfig):
        raise GanzooError(f"recipe '{path}' must be a YAML mapping (key: value), not a list or a scalar")
    return build_recipe(document, overrides, registry, default_name=path.stem, source=str(path))


def _check_size(path: Path) -> None:
    """A recipe is a few kilobytes of settings: a file far larger is refused before it is parsed."""
    with contextlib.suppress(OSError):
        size = path.stat().st_size
        if size > MAX_RECIPE_BYTES:
            raise GanzooError(f"recipe '{path}' is {size / 2**20:.1f} MiB; a recipe is a few kilobytes of settings "
                              f"(at most {MAX_RECIPE_BYTES // 2**20} MiB): keep data out of it, in files a "
                              "component reads")


def _not_yaml(what: str, error: yaml.YAMLError, mend: str = "") -> GanzooError:
    """The one-line error for text that is not a YAML document ganzoo reads; ``mend`` replaces the advice."""
    where = getattr(error, "problem_mark", None)
    at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
    problem = getattr(error, "problem", None) or first_line(error)
    if "node expansion exceeds" in problem:  # OmegaConf's cap on YAML values, aliases expanded
        return GanzooError(f"{what} holds more than {MAX_YAML_VALUES} values (lists and mappings counted item by "
                           "item, aliases expanded); a recipe is a few settings: keep long lists of data out of it, "
                           "in files a component reads")
    if "duplicate key" in problem:
        mend = mend or "each key may appear once in a mapping: remove or merge the repeated one"
    return GanzooError(f"{what} is not valid YAML{at}: {problem}{'; ' + mend if mend else ''}")


def recipe_from_text(text: Any, overrides: Sequence[str] = (), registry: Registry | None = None,
                     source: str = "recipe") -> Recipe:
    """The recipe a checkpoint or an exported file holds as YAML ``text``; ``source`` names that file in errors."""
    if not isinstance(text, str):
        raise GanzooError(f"'{source}' holds no recipe: it was not written by ganzoo, or is damaged")
    try:
        document = OmegaConf.create(text)
    except yaml.YAMLError as error:
        raise _not_yaml(f"the recipe in '{source}'", error, "the file is damaged or was not written by ganzoo") from error
    except OmegaConfBaseException as error:
        raise GanzooError(f"the recipe in '{source}': bad value for '{full_key('', error)}': "
                          f"{error_line(error)}") from error
    if not isinstance(document, DictConfig):
        raise GanzooError(f"the recipe in '{source}' is not a YAML mapping: the file is damaged")
    return build_recipe(document, overrides, registry, source=source)
