"""Recipes in older layouts, read in today's: recipes written before algorithms and optimisers were plugins
keep working, and a run's recipe.yaml is written in today's layout."""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any

from omegaconf import DictConfig, ListConfig, OmegaConf, open_dict
from omegaconf.errors import OmegaConfBaseException

from ganzoo.errors import GanzooError, first_line

if TYPE_CHECKING:
    from ganzoo.recipe.build import ComponentLookup


#: the optimiser settings of recipes written before optimisers were plugins, with their defaults
_FLAT_OPTIMIZER_DEFAULTS = {"lr": 2e-4, "betas": [0.9, 0.999], "weight_decay": 0.0, "momentum": 0.0,
                            "implementation": "auto"}


def upgrade_layout(tree: Any, lookup: ComponentLookup) -> Any:
    """A recipe (or overrides) in an older layout, in today's; recipes written before algorithms
    and optimisers were plugins keep working, and a run's recipe.yaml is written in today's layout:

    - ``train.d_steps`` is the gan algorithm's ``algorithm.params.d_steps``;
    - ``optimizers.<role>.lr`` (and the other settings beside ``name``) are the optimiser's
      ``optimizers.<role>.params.lr``: the short form stays a shorthand. A setting the named
      optimiser does not take is dropped where it holds the old schema's default (SGD's
      momentum of 0 written into every resolved Adam recipe), else refused as any unknown key.
    - a name in ``loggers`` (``loggers: [tensorboard]``, the override ``loggers=[tensorboard,mlflow]``)
      is short for ``{name: NAME}``.
    """
    if not isinstance(tree, DictConfig):
        return tree
    tree = tree.copy()
    train = tree.get("train") if "train" in tree else None
    if isinstance(train, DictConfig) and "d_steps" in train:
        _move_d_steps(tree, train)
    optimizers = tree.get("optimizers") if "optimizers" in tree else None
    if isinstance(optimizers, DictConfig):
        with open_dict(tree):
            for config in optimizers.values():
                if isinstance(config, DictConfig):
                    _upgrade_optimizer(config, lookup)
    loggers = tree.get("loggers") if "loggers" in tree else None
    if isinstance(loggers, ListConfig):
        tree.loggers = [{"name": entry} if isinstance(entry, str) else entry for entry in loggers]
    return tree


def _move_d_steps(tree: DictConfig, train: DictConfig) -> None:
    """``train.d_steps`` to ``algorithm.params.d_steps``; a one-line error where both are given (which
    would win is not clear) or where the algorithm section cannot hold it."""
    try:
        params = OmegaConf.select(tree, "algorithm.params", default=None, throw_on_resolution_failure=False)
        if isinstance(params, DictConfig) and "d_steps" in params:
            raise GanzooError("d_steps is given twice: as algorithm.params.d_steps and as train.d_steps (its old "
                              "place); keep algorithm.params.d_steps alone")
        with open_dict(tree):
            value = OmegaConf.to_container(train, resolve=False)["d_steps"]  # an interpolation moves as written
            OmegaConf.update(tree, "algorithm.params.d_steps", value, force_add=True)
            del train["d_steps"]
    except (OmegaConfBaseException, ValueError) as error:  # an algorithm section that holds no mapping
        raise GanzooError(f"train.d_steps (the old place of algorithm.params.d_steps) cannot go into this recipe's "
                          f"algorithm section, which holds no mapping of params ({first_line(error)}); write "
                          "algorithm: {name: gan, params: {d_steps: N}}") from None


def _upgrade_optimizer(config: DictConfig, lookup: ComponentLookup) -> None:
    flat = [key for key in config if key not in ("name", "params", "schedule")]
    if not flat:
        return
    name = config.get("name", "adam")
    optimizer = lookup.find("optimizer", name) if isinstance(name, str) else None
    known = None if optimizer is None else {f.name for f in fields(optimizer.params)}
    if "params" not in config or not isinstance(config.params, DictConfig):
        config.params = {}
    written = OmegaConf.to_container(config, resolve=False)  # an interpolation moves as written, unresolved
    for key in flat:
        value = written[key]
        del config[key]
        if known is not None and key not in known and _FLAT_OPTIMIZER_DEFAULTS.get(key) == value:
            continue
        config.params[key] = value
