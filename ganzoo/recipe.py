"""Recipes: YAML files, typed by a schema, with ``key=value`` overrides.

The skeleton (seed, components, optimisers, schedule, output) is typed by the
dataclasses below; each component's ``params`` is typed by the params dataclass
its plugin registered. Every mistake becomes a one-line ``GanzooError``.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import yaml
from omegaconf import MISSING, DictConfig, OmegaConf
from omegaconf.errors import ConfigKeyError, OmegaConfBaseException

from ganzoo.errors import GanzooError
from ganzoo.registry import RECIPE_KINDS, Registry

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
MIN_EVAL_IMAGES = 10


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
    """Written by ``ganzoo run``: the files the run trained on (see ganzoo.data_record)."""

    param: str = "root"  # the dataset param that names their folder
    files: Dict[str, FileRecord] = field(default_factory=dict)  # path relative to that folder -> size, SHA-256


@dataclass
class DatasetConfig(ComponentConfig):
    source: Optional[DataSourceRecord] = None  # null in a recipe; a run's recipe.yaml records its data here


@dataclass
class OptimizerConfig:
    name: str = "adam"
    lr: float = 2e-4
    betas: List[float] = field(default_factory=lambda: [0.9, 0.999])
    weight_decay: float = 0.0
    momentum: float = 0.0
    implementation: str = "auto"  # auto (fused where torch has it) | fused | foreach | loop

@dataclass
class OptimizersConfig:
    generator: OptimizerConfig = field(default_factory=OptimizerConfig)
    discriminator: OptimizerConfig = field(default_factory=OptimizerConfig)


@dataclass
class TrainConfig:
    epochs: int = 5
    batch_size: int = 128
    d_steps: int = 1  # discriminator steps per generator step
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    log_every: int = 50  # steps between logged metrics; the only host syncs
    on_nonfinite: str = "stop"  # stop | skip: what a non-finite loss or gradient does (see ganzoo.divergence)
    ema_decay: float = 0.0  # EMA of the generator's weights for samples and checkpoints; 0 = off, e.g. 0.999
    threads: Optional[int] = None  # CPU threads for torch's kernels; null: torch's default (one per core)
    precision: str = "fp32"  # fp32 | bf16: bfloat16 autocast for forward passes (faster for larger models)
    step: str = "auto"  # auto | fused | autograd: fused (hand-written) steps for MLPs on the CPU where they apply


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


@dataclass
class RecipeSchema:
    name: Optional[str] = None  # defaults to the recipe file's stem
    seed: int = 0
    dataset: DatasetConfig = field(default_factory=DatasetConfig)
    generator: ComponentConfig = field(default_factory=ComponentConfig)
    discriminator: ComponentConfig = field(default_factory=ComponentConfig)
    loss: ComponentConfig = field(default_factory=ComponentConfig)
    optimizers: OptimizersConfig = field(default_factory=OptimizersConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)


@dataclass
class Recipe:
    """A validated recipe: the skeleton config and each component's typed params."""

    config: DictConfig
    params: Dict[str, Any]  # kind -> params dataclass instance

    @property
    def name(self) -> str:
        return self.config.name

    def to_yaml(self) -> str:
        """The fully resolved recipe; ``ganzoo run`` of it reproduces the run."""
        tree = OmegaConf.to_container(self.config, resolve=True)
        for kind in RECIPE_KINDS:
            tree[kind]["params"] = OmegaConf.to_container(OmegaConf.structured(self.params[kind]))
        return OmegaConf.to_yaml(OmegaConf.create(tree))


BUILTIN_RECIPES = Path(__file__).resolve().parent / "recipes"  # shipped in the package


def builtin_recipes() -> Dict[str, Path]:
    """The recipes that come with ganzoo, by name (the file's stem)."""
    return {path.stem: path for path in sorted(BUILTIN_RECIPES.glob("*.yaml"))}


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
    raise GanzooError(f"recipe '{name_or_path}' is neither a file nor a built-in recipe; "
                      f"built-in recipes: {', '.join(builtin) or 'none'} (`ganzoo list --kind recipe`)")


def load_recipe(path: str | Path, overrides: Sequence[str] = (), registry: Registry | None = None) -> Recipe:
    path = recipe_path(path)
    try:
        document = OmegaConf.load(path)
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise GanzooError(f"recipe '{path}' is not valid YAML{at}: {problem}") from None
    except OSError as error:
        raise GanzooError(f"cannot read recipe '{path}': {error.strerror or error}") from None
    except OmegaConfBaseException as error:  # e.g. a malformed ${...} interpolation
        raise GanzooError(f"recipe '{path}': bad value for '{_full_key('', error)}': {_first_line(error)}") from None
    if not isinstance(document, DictConfig):
        raise GanzooError(f"recipe '{path}' must be a YAML mapping (key: value), not a list or a scalar")
    return build_recipe(document, overrides, registry, default_name=path.stem, source=str(path))


def build_recipe(document: Any, overrides: Sequence[str] = (), registry: Registry | None = None,
                 default_name: str = "recipe", source: str = "recipe") -> Recipe:
    if registry is None:
        from ganzoo.registry import load_registry

        registry = load_registry()
    config = OmegaConf.structured(RecipeSchema)
    config = _merge(config, document, source)
    config = _merge(config, parse_overrides(overrides), "overrides")
    _resolve(config, source)
    if config.name is None:
        config.name = default_name

    missing = sorted(OmegaConf.missing_keys(config))
    if missing:
        raise GanzooError(f"{source}: no value for '{missing[0]}'; set it in the recipe or add {missing[0]}=VALUE")

    params = {}
    for kind in RECIPE_KINDS:
        component = registry.get(kind, config[kind].name)
        typed = _merge(OmegaConf.structured(component.params), config[kind].params, source, f"{kind}.params")
        missing = sorted(OmegaConf.missing_keys(typed))
        if missing:
            key = f"{kind}.params.{missing[0]}"
            raise GanzooError(f"{source}: no value for '{key}'; set it in the recipe or add {key}=VALUE")
        try:
            params[kind] = OmegaConf.to_object(typed)
        except OmegaConfBaseException as error:
            raise GanzooError(f"{source}: {kind}.params: {_first_line(error)}") from None
        except (TypeError, ValueError) as error:  # raised by a params dataclass's __post_init__
            raise GanzooError(f"{source}: {kind}.params: {error}") from None
    _check_ranges(config)
    return Recipe(config=config, params=params)


def parse_overrides(overrides: Sequence[str]) -> DictConfig:
    for item in overrides:
        if "=" not in item or not re.match(r"^[A-Za-z_][\w.\-]*=", item):
            raise GanzooError(f"override '{item}' is not KEY=VALUE (e.g. train.epochs=1)")
    try:
        return OmegaConf.from_dotlist(list(overrides))
    except OmegaConfBaseException as error:
        raise GanzooError(f"cannot parse overrides: {_first_line(error)}") from None
    except yaml.YAMLError as error:
        raise GanzooError(f"cannot parse overrides: {str(error).splitlines()[0]}") from None


def _merge(base: DictConfig, update: Any, source: str, prefix: str = "") -> DictConfig:
    try:
        return OmegaConf.merge(base, update)
    except ConfigKeyError as error:
        key = _full_key(prefix, error)
        message = _first_line(error)
        if "Did you mean" not in message:
            message += _suggestion(error.key, getattr(error, "object_type", None))
        raise GanzooError(f"{source}: unknown key '{key}': {message}") from None
    except OmegaConfBaseException as error:
        key = _full_key(prefix, error)
        message = _first_line(error)
        if "is not a ListConfig" in message:
            message = "expected a list, e.g. [128, 64]"
        elif "is not a subclass of" in message or "is not a DictConfig" in message:
            message = "expected a mapping (key: value)"
        raise GanzooError(f"{source}: bad value for '{key}': {message}") from None
    except (TypeError, ValueError) as error:  # OmegaConf merging a list into a mapping or the other way round
        where = f" under '{prefix}'" if prefix else ""
        raise GanzooError(f"{source}: a value{where} has the wrong shape ({error}): "
                          "give a list where the recipe has a list and a mapping where it has a mapping") from None


#: OmegaConf's own resolvers: they read data (other keys, environment variables) and never run code.
SAFE_RESOLVERS = frozenset({"oc.coerce", "oc.create", "oc.decode", "oc.deprecated", "oc.dict.keys",
                            "oc.dict.values", "oc.env", "oc.select"})
_RESOLVER_CALL = re.compile(r"\$\{\s*([^\s${}:]+)\s*:")


def _resolve(config: DictConfig, source: str) -> None:
    """Resolve every ${...} interpolation now, so its mistakes are one-line errors at load time.

    Only OmegaConf's data resolvers may be used: a recipe never runs code, even when some
    installed package has registered a resolver that would (e.g. an expression evaluator).
    """
    for key, value in _string_leaves(OmegaConf.to_container(config, resolve=False)):
        for name in _RESOLVER_CALL.findall(value):
            if name not in SAFE_RESOLVERS:
                raise GanzooError(f"{source}: '{key}' uses the resolver '{name}', which recipes may not use; "
                                  f"recipes may use {', '.join(sorted(SAFE_RESOLVERS))} and plain ${{key}} references")
    try:
        OmegaConf.resolve(config)
    except OmegaConfBaseException as error:
        key = _full_key("", error)
        raise GanzooError(f"{source}: cannot resolve '{key}': {_first_line(error)}") from None


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
    text = getattr(error, "msg", None) or str(error)
    return str(text).strip().splitlines()[0]


def _suggestion(key: Any, object_type: Any) -> str:
    if not (isinstance(key, str) and is_dataclass(object_type)):
        return ""
    close = difflib.get_close_matches(key, [f.name for f in fields(object_type)], n=1)
    return f". Did you mean: '{close[0]}'?" if close else ""


def _check_ranges(config: DictConfig) -> None:
    checks = [
        ("train.epochs", config.train.epochs >= 1, "at least 1"),
        ("train.batch_size", config.train.batch_size >= 1, "at least 1"),
        ("train.d_steps", config.train.d_steps >= 1, "at least 1"),
        ("train.threads", config.train.threads is None or config.train.threads >= 1, "at least 1, or null"),
        ("train.precision", config.train.precision in ("fp32", "bf16"), "fp32 or bf16"),
        ("train.step", config.train.step in ("auto", "fused", "autograd"), "auto, fused or autograd"),
        ("train.log_every", config.train.log_every >= 1, "at least 1"),
        ("train.ema_decay", 0.0 <= config.train.ema_decay < 1.0, "in [0, 1): 0 turns the EMA off"),
        ("output.grid_size", config.output.grid_size >= 1, "at least 1"),
        ("output.keep_checkpoints", config.output.keep_checkpoints >= 1, "at least 1"),
        ("train.on_nonfinite", config.train.on_nonfinite in ("stop", "skip"), "stop or skip"),
        ("eval.every", config.eval.every >= 0, "at least 0 (0 turns evaluation off)"),
        ("eval.n", config.eval.n >= MIN_EVAL_IMAGES, f"at least {MIN_EVAL_IMAGES}"),
    ]
    for who in ("generator", "discriminator"):
        opt = config.optimizers[who]
        checks += [
            (f"optimizers.{who}.name", opt.name in OPTIMIZERS, f"one of {', '.join(OPTIMIZERS)}"),
            (f"optimizers.{who}.lr", opt.lr > 0, "greater than 0"),
            (f"optimizers.{who}.betas", len(opt.betas) == 2 and all(0 <= b < 1 for b in opt.betas),
             "two numbers in [0, 1), e.g. [0.5, 0.999]"),
            (f"optimizers.{who}.weight_decay", opt.weight_decay >= 0, "at least 0"),
            (f"optimizers.{who}.implementation", opt.implementation in ("auto", "fused", "foreach", "loop"),
             "auto, fused, foreach or loop"),
        ]
    device = config.train.device
    checks.append(("train.device", re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", device) is not None,
                   "auto, cpu, cuda or cuda:N"))
    name = config.name
    checks.append(("name", name not in ("", ".", "..") and not re.search(r"[/\\\x00]", name),
                   "a plain folder name, without / or \\"))
    for key, ok, expected in checks:
        if not ok:
            raise GanzooError(f"{key} = {OmegaConf.select(config, key)} is out of range; it must be {expected}")
