"""Recipes: YAML files, typed by a schema, with ``key=value`` overrides. Every mistake becomes a one-line
``GanzooError``. Each module has one job:

- ``schema``: the typed skeleton, one section per role of the algorithm, and ``Recipe``;
- ``loading``: recipe files (built-in ones by name) read into a document;
- ``overrides``: ``KEY=VALUE`` overrides; ``upgrades``: older layouts read in today's;
- ``safety``: interpolations resolved with OmegaConf's data resolvers alone;
- ``validation``: merging with one-line errors, params typed by their dataclasses, ranges checked;
- ``build``: the steps above in order, each component looked up in the registry once.

The names below are the ones the rest of ganzoo (and its tests) import from ``ganzoo.recipe``.
"""

from ganzoo.recipe.build import ComponentLookup, build_recipe
from ganzoo.recipe.loading import builtin_recipes, load_recipe, recipe_description, recipe_from_text, recipe_path
from ganzoo.recipe.overrides import parse_overrides
from ganzoo.recipe.safety import SAFE_RESOLVERS
from ganzoo.recipe.schema import (DEFAULT_ALGORITHM, AlgorithmConfig, ComponentConfig, DataConfig, DatasetConfig,
                                  DataSourceRecord, EvalConfig, FileRecord, OptimizerConfig, OutputConfig, Recipe,
                                  RecipeBase, ScheduleConfig, TrainConfig, component_sections, model_roles,
                                  schema_for)
from ganzoo.recipe.upgrades import upgrade_layout
from ganzoo.recipe.validation import (MAX_GRID, MAX_SEED, MAX_THREADS, MIN_EVAL_IMAGES, check_option,
                                      is_device_name, type_params)

__all__ = ["AlgorithmConfig", "ComponentConfig", "ComponentLookup", "DEFAULT_ALGORITHM", "DataConfig",
           "DataSourceRecord", "DatasetConfig", "EvalConfig", "FileRecord", "MAX_GRID", "MAX_SEED", "MAX_THREADS",
           "MIN_EVAL_IMAGES", "OptimizerConfig", "OutputConfig", "Recipe", "RecipeBase", "SAFE_RESOLVERS",
           "ScheduleConfig", "TrainConfig", "build_recipe", "builtin_recipes", "check_option", "component_sections",
           "is_device_name", "load_recipe", "model_roles", "parse_overrides", "recipe_description",
           "recipe_from_text", "recipe_path", "schema_for", "type_params", "upgrade_layout"]
