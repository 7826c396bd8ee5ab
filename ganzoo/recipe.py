"""Recipes: YAML files, typed by a schema, with ``key=value`` overrides.

The skeleton (seed, algorithm, dataset, optimisers, train, output, eval) is typed
by the dataclasses below, plus one section per role of the recipe's algorithm
(``generator``, ``discriminator`` and ``loss`` for the default ``gan``; other algorithms' roles
may be encoders and networks too); each component's ``params`` is typed by the params
dataclass its plugin registered.
Every mistake becomes a one-line ``GanzooError``.
"""

from __future__ import annotations

import contextlib
import difflib
import re
from dataclasses import dataclass, field, fields, is_dataclass, make_dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import yaml
from omegaconf import MISSING, DictConfig, ListConfig, OmegaConf, open_dict
from omegaconf.basecontainer import BaseContainer
from omegaconf.errors import ConfigKeyError, OmegaConfBaseException, UnsupportedInterpolationType

from ganzoo.composition import plain, type_inner
from ganzoo.errors import GanzooError, first_line
from ganzoo.plugins.registry import MODEL_KINDS, Registry

MIN_EVAL_IMAGES = 10
MAX_SEED = 2**62  # torch takes 64-bit seeds; runs derive seeds a little above it too (ganzoo.algorithm.derived_seed)
MAX_THREADS = 1024  # far more kill libgomp (100000 segfaults)
MAX_GRID = 10000  # samples in the per-epoch grid (2-D point plots use thousands)
MAX_RECIPE_BYTES = 2**20  # recipe files are a few kilobytes
MAX_YAML_VALUES = 10000  # OmegaConf's default cap on a YAML document's nodes (aliases expanded)


@dataclass
class ComponentConfig:
    name: str = MISSING
    params: Dict[str, Any] = field(default_factory=dict)


@dataclass
class FileRecord:
    bytes: int = MISSING
    sha256: str = MISSING


@dataclass
class DataSourceRecord:
    """Written by ``ganzoo run``: the files the run trained on (see ganzoo.training.data_record)."""

    param: str = "root"  # the dataset param that names their folder
    files: Dict[str, FileRecord] = field(default_factory=dict)  # path relative to that folder -> size, SHA-256


@dataclass
class DatasetConfig(ComponentConfig):
    source: Optional[DataSourceRecord] = None  # null in a recipe; a run's recipe.yaml records its data here


@dataclass
class ScheduleConfig:
    name: str = "constant"
    params: Dict[str, Any] = field(default_factory=dict)


@dataclass
class OptimizerConfig:
    name: str = "adam"
    params: Dict[str, Any] = field(default_factory=dict)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)

@dataclass
class TrainConfig:
    epochs: int = 5
    batch_size: int = 128
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    log_every: int = 50  # steps between logged metrics; the only host syncs
    on_nonfinite: str = "stop"  # stop | skip: what a non-finite loss or gradient does (see ganzoo.training.divergence)
    ema_decay: float = 0.0  # EMA of the generator's weights for samples and checkpoints; 0 = off, e.g. 0.999
    threads: Optional[int] = None  # CPU threads for torch's kernels; null: the cores other jobs leave free, chosen at start and recorded in recipe.yaml (ganzoo.training.threads)
    precision: str = "fp32"  # fp32 | bf16 | fp16 (with a gradient scaler) | auto: bf16 for convolutions on CPUs that have it
    step: str = "auto"  # auto | fused | autograd: fused (hand-written) steps for MLPs on the CPU where they apply


@dataclass
class DataConfig:
    # per process: data that fit are held in memory (uint8); a packed dataset that does not is read from
    # disk as training goes; other data that do not are refused (pack them with `ganzoo pack`)
    memory_budget_gb: float = 8.0
    prefetch: int = 4  # batches of packed data read ahead by a background thread


@dataclass
class OutputConfig:
    root: str = "runs"  # run directories go to ROOT/<name>-<timestamp> unless --out
    grid_size: int = 64  # images in the per-epoch sample grid
    keep_checkpoints: int = 2


@dataclass
class EvalConfig:
    every: int = 0  # score the generator every K epochs (and after the last) into metrics.jsonl; 0: never
    n: int = 10000  # generated images per evaluation (also `ganzoo eval`'s default -n)
    seed: int = 0  # noise seed of the evaluated images
    metrics: Dict[str, Any] = field(default_factory=dict)  # metric name -> params; empty: every registered metric


DEFAULT_ALGORITHM = "gan"


@dataclass
class AlgorithmConfig:
    name: str = DEFAULT_ALGORITHM
    params: Dict[str, Any] = field(default_factory=dict)


def _default_duties() -> Dict[str, ComponentConfig]:
    from ganzoo.training.duties import DEFAULT_DUTIES

    return {slot: ComponentConfig(name=name) for slot, name in DEFAULT_DUTIES.items()}


@dataclass
class RecipeBase:
    """The sections every recipe has; ``schema_for`` adds one per role of its algorithm."""

    name: Optional[str] = None  # defaults to the recipe file's stem
    seed: int = 0
    algorithm: AlgorithmConfig = field(default_factory=AlgorithmConfig)
    dataset: DatasetConfig = field(default_factory=DatasetConfig)
    optimizers: Dict[str, OptimizerConfig] = field(default_factory=dict)  # model role -> optimiser
    callbacks: List[ComponentConfig] = field(default_factory=list)  # step callbacks, run in this order
    # callbacks that log (tensorboard, mlflow, wandb), run after ``callbacks``; a name is short for {name: NAME}
    loggers: List[ComponentConfig] = field(default_factory=list)
    # the trainer's side duties (ganzoo.training.duties), callbacks by slot: null drops one, another name replaces it
    duties: Dict[str, Optional[ComponentConfig]] = field(default_factory=_default_duties)
    train: TrainConfig = field(default_factory=TrainConfig)
    data: DataConfig = field(default_factory=DataConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)


def schema_for(roles: Dict[str, str]) -> type:
    """The recipe schema of an algorithm with these roles: ``RecipeBase`` plus a section per role."""
    return make_dataclass("RecipeSchema", [(role, ComponentConfig, field(default_factory=ComponentConfig))
                                           for role in roles], bases=(RecipeBase,))


@dataclass
class Recipe:
    """A validated recipe: the skeleton config and each component's typed params."""

    config: DictConfig
    params: Dict[str, Any]  # component section (e.g. generator, optimizers.generator.schedule) -> params instance
    roles: Dict[str, str] = field(default_factory=dict)  # role -> kind, from the algorithm

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def model_roles(self) -> list[str]:
        """The roles that are trained models (each has an optimiser), in the algorithm's order."""
        return model_roles(self.roles)

    def to_yaml(self) -> str:
        """The fully resolved recipe; ``ganzoo run`` of it reproduces the run."""
        tree = OmegaConf.create(OmegaConf.to_container(self.config, resolve=True))
        for section, params in self.params.items():
            OmegaConf.update(tree, f"{section}.params", plain(params), merge=False)
        return OmegaConf.to_yaml(tree)


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
        raise GanzooError(f"recipe '{path}': bad value for '{_full_key('', error)}': {_first_line(error)}") from error
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
        raise GanzooError(f"the recipe in '{source}': bad value for '{_full_key('', error)}': "
                          f"{_first_line(error)}") from error
    if not isinstance(document, DictConfig):
        raise GanzooError(f"the recipe in '{source}' is not a YAML mapping: the file is damaged")
    return build_recipe(document, overrides, registry, source=source)


def build_recipe(document: Any, overrides: Sequence[str] = (), registry: Registry | None = None,
                 default_name: str = "recipe", source: str = "recipe") -> Recipe:
    if registry is None:
        from ganzoo.plugins.registry import load_registry

        registry = load_registry()
    document = upgrade_layout(document.copy() if isinstance(document, DictConfig) else document, registry)
    changes = upgrade_layout(parse_overrides(overrides), registry)
    algorithm = registry.get("algorithm", _algorithm_name(document, changes, source))
    roles = dict(algorithm.factory.roles)
    _drop_params_of_renamed(document, changes, registry, roles, source)
    config = OmegaConf.structured(schema_for(roles))
    sections = (f"; the algorithm '{algorithm.name}' takes the sections {', '.join(roles)} "
                f"(see `ganzoo list --kind algorithm`)")
    config = _merge(config, document, source, hint=sections)
    config = _merge(config, changes, "overrides", hint=sections)
    _resolve(config, source)
    if config.name is None:
        config.name = default_name
        _refuse_interpolations(config, source)  # a recipe file named '${...}.yaml'

    missing = sorted(OmegaConf.missing_keys(config))
    if missing:
        raise GanzooError(f"{source}: no value for '{missing[0]}'; set it in the recipe or add {missing[0]}=VALUE")
    _fill_optimizers(config, roles, source)
    _check_duty_slots(config)

    params = {section: type_params(registry.get(kind, OmegaConf.select(config, f"{section}.name")),
                                   OmegaConf.select(config, f"{section}.params"), f"{section}.params", source,
                                   registry)
              for section, kind in component_sections(config, roles).items()}
    _check_ranges(config)
    return Recipe(config=config, params=params, roles=roles)


def type_params(component, values: Any, key: str, source: str = "recipe", registry: Registry | None = None) -> Any:
    """``values`` (a mapping, as under ``KEY`` in a recipe) typed by the component's params
    dataclass: the dataclass instance, or a one-line ``GanzooError`` naming ``key``. Components
    named inside it (``ganzoo.component_field``) are typed too, through ``registry``."""
    try:
        schema = OmegaConf.structured(component.params)
    except OmegaConfBaseException as error:
        raise GanzooError(f"{component.kind} '{component.name}' ({component.plugin}): its params dataclass "
                          f"{component.params.__name__} cannot type a recipe: {_first_line(error)}; use int, float, "
                          "bool, str, Optional, List or Dict fields") from error
    typed = _merge(schema, values if values is not None else {}, source, key)
    missing = sorted(OmegaConf.missing_keys(typed))
    if missing:
        raise GanzooError(f"{source}: no value for '{key}.{missing[0]}'; set it in the recipe or add "
                          f"{key}.{missing[0]}=VALUE")
    try:
        instance = OmegaConf.to_object(typed)
    except OmegaConfBaseException as error:
        raise GanzooError(f"{source}: {key}: {_first_line(error)}") from error
    except (TypeError, ValueError) as error:  # raised by a params dataclass's __post_init__
        raise GanzooError(f"{source}: {key}: {error}") from error
    return type_inner(instance, key, registry, source)


def component_sections(config: DictConfig, roles: Dict[str, str]) -> Dict[str, str]:
    """Each place in a recipe that names a component (``{name, params}``), by dotted key, with its kind."""
    sections = {"algorithm": "algorithm", "dataset": "dataset", **roles}
    for role in config.optimizers:
        sections[f"optimizers.{role}"] = "optimizer"
        sections[f"optimizers.{role}.schedule"] = "schedule"
    for index in range(len(config.callbacks)):
        sections[f"callbacks.{index}"] = "callback"
    for index in range(len(config.loggers)):
        sections[f"loggers.{index}"] = "callback"
    for slot, duty in config.duties.items():
        if duty is not None:
            sections[f"duties.{slot}"] = "callback"
    return sections


#: the optimiser settings of recipes written before optimisers were plugins, with their defaults
_FLAT_OPTIMIZER_DEFAULTS = {"lr": 2e-4, "betas": [0.9, 0.999], "weight_decay": 0.0, "momentum": 0.0,
                            "implementation": "auto"}


def upgrade_layout(tree: Any, registry: Registry) -> Any:
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
        with open_dict(tree):
            OmegaConf.update(tree, "algorithm.params.d_steps", train.pop("d_steps"), force_add=True)
    optimizers = tree.get("optimizers") if "optimizers" in tree else None
    if isinstance(optimizers, DictConfig):
        with open_dict(tree):
            for config in optimizers.values():
                if isinstance(config, DictConfig):
                    _upgrade_optimizer(config, registry)
    loggers = tree.get("loggers") if "loggers" in tree else None
    if isinstance(loggers, ListConfig):
        tree.loggers = [{"name": entry} if isinstance(entry, str) else entry for entry in loggers]
    return tree


def _upgrade_optimizer(config: DictConfig, registry: Registry) -> None:
    flat = [key for key in config if key not in ("name", "params", "schedule")]
    if not flat:
        return
    name = config.get("name", "adam")
    known = None
    if isinstance(name, str) and ("optimizer", name) in registry.components:
        known = {f.name for f in fields(registry.get("optimizer", name).params)}
    if "params" not in config or not isinstance(config.params, DictConfig):
        config.params = {}
    for key in flat:
        value = config.pop(key)
        if known is not None and key not in known and _FLAT_OPTIMIZER_DEFAULTS.get(key) == value:
            continue
        config.params[key] = value


def _select_early(tree: DictConfig, key: str, source: str) -> Any:
    """``key`` in a recipe or overrides read before ``_resolve`` has checked them: resolved with
    the allow-listed resolvers only, its mistakes one line, as ``_resolve`` would say them."""
    try:
        with _only_safe_resolvers():
            return OmegaConf.select(tree, key, default=None, throw_on_missing=False)
    except UnsupportedInterpolationType as error:
        raise _forbidden_resolver(source, key, _resolver_named(error)) from error
    except OmegaConfBaseException as error:
        raise GanzooError(f"{source}: cannot resolve '{key}': {_first_line(error)}") from error


def _algorithm_name(document: Any, changes: DictConfig, source: str = "recipe") -> str:
    for tree, where in ((changes, "overrides"), (document, source)):
        if isinstance(tree, DictConfig):
            name = _select_early(tree, "algorithm.name", where)
            if name is not None:
                if not isinstance(name, str):
                    raise GanzooError(f"algorithm.name must be a name, e.g. gan, got {name!r}")
                return name
    return DEFAULT_ALGORITHM


def _drop_params_of_renamed(document: Any, changes: DictConfig, registry: Registry, roles: Dict[str, str],
                            source: str = "recipe") -> None:
    """An override of a component's name (``discriminator.name=dcgan``) keeps only the recipe's
    params that the new component has: the old component's params would not type."""
    if not isinstance(document, DictConfig):
        return
    for key, new in _names_set(changes):
        old = _select_early(document, f"{key}.name", source)
        params = _select_early(document, f"{key}.params", source)
        kind = _kind_at(key, roles)
        if new == old or not isinstance(params, DictConfig) or kind is None or (kind, new) not in registry.components:
            continue
        keep = {f.name for f in fields(registry.get(kind, new).params)}
        with open_dict(document):
            for name in [name for name in params if name not in keep]:
                params.pop(name)


def _names_set(changes: DictConfig, prefix: str = ""):
    """(dotted key of a component, new name) for every ``KEY.name=NAME`` among the overrides."""
    for key, value in changes.items_ex(resolve=False) if isinstance(changes, DictConfig) else ():
        path = f"{prefix}{key}"
        if key == "name" and isinstance(value, str) and prefix:
            yield path[:-len(".name")], value
        elif isinstance(value, DictConfig):
            yield from _names_set(value, f"{path}.")


def _kind_at(key: str, roles: Dict[str, str]) -> Optional[str]:
    """The component kind a dotted recipe key holds (None where it holds none)."""
    parts = key.split(".")
    if parts[0] == "optimizers":
        return {2: "optimizer", 3: "schedule"}.get(len(parts))
    if parts[0] in ("callbacks", "loggers", "duties"):
        return "callback" if len(parts) == 2 else None
    if len(parts) == 1:
        return {"algorithm": "algorithm", "dataset": "dataset", **roles}.get(key)
    return None


def model_roles(roles: Dict[str, str]) -> list[str]:
    """Of ``roles`` (role -> kind), the roles that are trained models, of any model kind (generator,
    discriminator, encoder, network): each has an optimiser and a place in checkpoints."""
    return [role for role, kind in roles.items() if kind in MODEL_KINDS]


def _fill_optimizers(config: DictConfig, roles: Dict[str, str], source: str) -> None:
    """Every model role gets an optimiser (adam with its defaults unless the recipe says otherwise);
    an optimiser for a role the algorithm does not have is a mistake."""
    trained = model_roles(roles)
    for role in list(config.optimizers):
        if role not in trained:
            close = difflib.get_close_matches(str(role), trained, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise GanzooError(f"{source}: unknown key 'optimizers.{role}': {hint}the algorithm "
                              f"'{config.algorithm.name}' trains {', '.join(trained)}")
    for role in trained:
        if role not in config.optimizers:
            config.optimizers[role] = OmegaConf.structured(OptimizerConfig)


def parse_overrides(overrides: Sequence[str]) -> DictConfig:
    for item in overrides:
        if "=" not in item or not re.match(r"^[A-Za-z_][\w.\-]*=", item):
            raise GanzooError(f"override '{item}' is not KEY=VALUE (e.g. train.epochs=1)")
    try:
        return OmegaConf.from_dotlist(list(overrides))
    except OmegaConfBaseException as error:
        raise GanzooError(f"cannot parse overrides: {_first_line(error)}") from error
    except yaml.YAMLError as error:
        raise GanzooError(f"cannot parse overrides: {first_line(error)}") from error


def _merge(base: DictConfig, update: Any, source: str, prefix: str = "", hint: str = "") -> DictConfig:
    """``update`` merged into ``base``; ``hint`` is added to the message for an unknown top-level key."""
    try:
        return OmegaConf.merge(base, update)
    except ConfigKeyError as error:
        key = _full_key(prefix, error)
        message = _first_line(error)
        if "Did you mean" not in message:
            message += _suggestion(error.key, getattr(error, "object_type", None))
        top = "." not in key
        raise GanzooError(f"{source}: unknown key '{key}': {message}{hint if top else ''}") from error
    except OmegaConfBaseException as error:
        key = _full_key(prefix, error) or _key_of_wrong_shape(base, update, prefix)
        message = _first_line(error)
        if "is not a ListConfig" in message:
            message = "expected a list, e.g. [128, 64]"
        elif "is not a subclass of" in message or "is not a DictConfig" in message:
            message = "expected a mapping (key: value)"
        elif "is not Optional" in message:
            message = _null_refused(base, key)
        raise GanzooError(f"{source}: bad value for '{key}': {message}") from error
    except (TypeError, ValueError) as error:  # OmegaConf merging a list into a mapping or the other way round
        where = f" under '{prefix}'" if prefix else ""
        raise GanzooError(f"{source}: a value{where} has the wrong shape ({error}): "
                          "give a list where the recipe has a list and a mapping where it has a mapping") from error


def _null_refused(base: DictConfig, key: str) -> str:
    """Why ``KEY: null`` is refused, and what to give instead."""
    node = OmegaConf.select(base, key, throw_on_missing=False) if key else None
    if isinstance(node, DictConfig) and "name" in list(node.keys()):  # `in` is false while name is ???
        return (f"it cannot be null: a component section names its component, e.g. {key}: {{name: NAME}} "
                "(`ganzoo list` shows the names)")
    return "it cannot be null: give a value, or leave the key out for its default"


def _key_of_wrong_shape(base: Any, update: Any, prefix: str = "") -> str:
    """The first key where ``update`` gives a scalar for a mapping or list of ``base``, or the other way round
    (OmegaConf names no key when that happens at the top level, e.g. the override ``train=5``)."""
    if not (isinstance(base, DictConfig) and isinstance(update, (DictConfig, dict))):
        return prefix
    for key in update:
        if key not in base:
            continue
        dotted = f"{prefix}.{key}" if prefix else str(key)
        mine, theirs = base._get_node(key), update[key] if isinstance(update, dict) else update._get_node(key)
        if isinstance(mine, (DictConfig, ListConfig)) != isinstance(theirs, (DictConfig, ListConfig, dict, list)):
            return dotted
        if isinstance(mine, DictConfig):
            found = _key_of_wrong_shape(mine, theirs, dotted)
            if found != dotted:
                return found
    return prefix


#: OmegaConf's own resolvers: they read data (other keys, environment variables) and never run code.
SAFE_RESOLVERS = frozenset({"oc.coerce", "oc.create", "oc.decode", "oc.deprecated", "oc.dict.keys",
                            "oc.dict.values", "oc.env", "oc.select"})
_RESOLVER_CALL = re.compile(r"\$\{\s*([^\s${}:]+)\s*:")


def _resolve(config: DictConfig, source: str) -> None:
    """Resolve every ${...} interpolation now, so its mistakes are one-line errors at load time.

    Only OmegaConf's data resolvers may be used: a recipe never runs code, even when some
    installed package has registered a resolver that would (e.g. an expression evaluator).
    The literal text is checked for a clear message; resolving itself sees only the safe
    resolvers, so an interpolation that ``oc.decode`` builds at resolve time cannot reach
    another one; and a value that resolves to a new ``${...}`` is refused, since reading it
    later would resolve it with every registered resolver.
    """
    for key, value in _string_leaves(OmegaConf.to_container(config, resolve=False)):
        for name in _RESOLVER_CALL.findall(value):
            if name not in SAFE_RESOLVERS:
                raise _forbidden_resolver(source, key, name)
    try:
        with _only_safe_resolvers():
            OmegaConf.resolve(config)
    except UnsupportedInterpolationType as error:
        raise _forbidden_resolver(source, _full_key("", error), _resolver_named(error)) from error
    except OmegaConfBaseException as error:
        key = _full_key("", error)
        raise GanzooError(f"{source}: cannot resolve '{key}': {_first_line(error)}") from error
    _refuse_interpolations(config, source)


def _forbidden_resolver(source: str, key: str, name: str) -> GanzooError:
    return GanzooError(f"{source}: '{key}' uses the resolver '{name}', which recipes may not use; "
                       f"recipes may use {', '.join(sorted(SAFE_RESOLVERS))} and plain ${{key}} references")


def _resolver_named(error: UnsupportedInterpolationType) -> str:
    found = re.search(r"Unsupported interpolation type (\S+)", str(error))
    return found.group(1) if found else "?"


@contextlib.contextmanager
def _only_safe_resolvers():
    """While resolving a recipe, OmegaConf sees only the allow-listed resolvers.

    OmegaConf keeps its resolvers in one class-level table; it is swapped for the allow-listed
    part and put back. Recipes are loaded in the main thread, before training starts.
    """
    everything = BaseContainer._resolvers
    BaseContainer._resolvers = {name: resolver for name, resolver in everything.items() if name in SAFE_RESOLVERS}
    try:
        yield
    finally:
        BaseContainer._resolvers = everything


def _refuse_interpolations(config: Any, source: str, prefix: str = "") -> None:
    """No value may still be an interpolation once the recipe is resolved (e.g. one that
    oc.decode or an escaped \\${...} produced): it would be resolved later, outside the allow-list."""
    keys = config.keys() if isinstance(config, DictConfig) else range(len(config))
    for key in keys:
        dotted = f"{prefix}.{key}" if prefix else str(key)
        if OmegaConf.is_interpolation(config, key):
            raise GanzooError(f"{source}: '{dotted}' resolves to another ${{...}} interpolation, which recipes may "
                              "not build; write the value itself")
        child = config._get_node(key)
        if isinstance(child, (DictConfig, ListConfig)) and not child._is_none() and not child._is_missing():
            _refuse_interpolations(child, source, dotted)


def _string_leaves(tree: Any, prefix: str = ""):
    """(dotted key, value) of every string in a nested dict/list tree."""
    items = tree.items() if isinstance(tree, dict) else enumerate(tree) if isinstance(tree, list) else ()
    for key, value in items:
        dotted = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, str):
            yield dotted, value
        else:
            yield from _string_leaves(value, dotted)


def _full_key(prefix: str, error: OmegaConfBaseException) -> str:
    key = str(getattr(error, "full_key", "") or getattr(error, "key", "") or "")
    return ".".join(part for part in (prefix, key) if part)


def _first_line(error: BaseException) -> str:
    return first_line(getattr(error, "msg", None) or error)


def _suggestion(key: Any, object_type: Any) -> str:
    if not (isinstance(key, str) and is_dataclass(object_type)):
        return ""
    close = difflib.get_close_matches(key, [f.name for f in fields(object_type)], n=1)
    return f". Did you mean: '{close[0]}'?" if close else ""


def is_device_name(name: str) -> bool:
    """Whether ``name`` names a device ganzoo can train or sample on: auto, cpu, mps, cuda, cuda:N."""
    return re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", name) is not None


def check_option(option: str, value: Any) -> None:
    """A --device or --seed option of the CLI is in range, or a one-line error."""
    if option == "--device" and not (isinstance(value, str) and is_device_name(value)):
        raise GanzooError(f"--device must be auto, cpu, cuda or cuda:N, got '{value}'")
    if option == "--seed" and not 0 <= value <= MAX_SEED:
        raise GanzooError(f"--seed must be between 0 and {MAX_SEED} (2**62), got {value}")


def _check_duty_slots(config: DictConfig) -> None:
    """The duties section names the trainer's duties only: a misspelt slot would otherwise drop nothing
    (``duties.loss_plt=null``) or run a callback twice."""
    from ganzoo.training.duties import DEFAULT_DUTIES

    for slot in config.duties:
        if slot not in DEFAULT_DUTIES:
            close = difflib.get_close_matches(str(slot), list(DEFAULT_DUTIES), n=1)
            raise GanzooError(f"unknown duty 'duties.{slot}'{f' (did you mean {close[0]!r}?)' if close else ''}; "
                              f"the duties are {', '.join(DEFAULT_DUTIES)}: set one to null to drop it or to "
                              "{name: CALLBACK} to replace it, and list other callbacks under callbacks")


def _check_ranges(config: DictConfig) -> None:
    checks = [
        ("seed", 0 <= config.seed <= MAX_SEED, f"between 0 and {MAX_SEED} (2**62)"),
        ("eval.seed", 0 <= config.eval.seed <= MAX_SEED, f"between 0 and {MAX_SEED} (2**62)"),
        ("train.epochs", config.train.epochs >= 1, "at least 1"),
        ("train.batch_size", config.train.batch_size >= 1, "at least 1"),
        ("train.threads", config.train.threads is None or 1 <= config.train.threads <= MAX_THREADS,
         f"between 1 and {MAX_THREADS}, or null for the free cores"),
        ("train.precision", config.train.precision in ("fp32", "bf16", "fp16", "auto"), "fp32, bf16, fp16 or auto"),
        ("train.step", config.train.step in ("auto", "fused", "autograd"), "auto, fused or autograd"),
        ("train.log_every", config.train.log_every >= 1, "at least 1"),
        ("train.ema_decay", 0.0 <= config.train.ema_decay < 1.0, "in [0, 1): 0 turns the EMA off"),
        ("output.grid_size", 1 <= config.output.grid_size <= MAX_GRID, f"between 1 and {MAX_GRID}"),
        ("output.keep_checkpoints", config.output.keep_checkpoints >= 1, "at least 1"),
        ("train.on_nonfinite", config.train.on_nonfinite in ("stop", "skip"), "stop or skip"),
        ("data.memory_budget_gb", config.data.memory_budget_gb >= 0, "at least 0 (0 reads packed data from disk)"),
        ("data.prefetch", config.data.prefetch >= 1, "at least 1"),
        ("eval.every", config.eval.every >= 0, "at least 0 (0 turns evaluation off)"),
        ("eval.n", config.eval.n >= MIN_EVAL_IMAGES, f"at least {MIN_EVAL_IMAGES}"),
    ]
    checks.append(("train.device", is_device_name(config.train.device), "auto, cpu, cuda or cuda:N"))
    name = config.name
    checks.append(("name", name not in ("", ".", "..") and not re.search(r"[/\\\x00]", name),
                   "a plain folder name, without / or \\"))
    for key, ok, expected in checks:
        if not ok:
            raise GanzooError(f"{key} = {OmegaConf.select(config, key)} is out of range; it must be {expected}")
