"""Recipe validation: merging into the typed schema with one-line errors, each component's params typed
by its dataclass, every model role given an optimiser, the duty slots and the value ranges checked."""

from __future__ import annotations

import difflib
import re
from typing import Any, Dict

from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import ConfigKeyError, OmegaConfBaseException

from ganzoo.nested_components import type_inner
from ganzoo.errors import GanzooError
from ganzoo.pluginhost.registry import Registry
from ganzoo.recipe.messages import error_line, full_key, suggestion
from ganzoo.recipe.schema import OptimizerConfig, model_roles

MIN_EVAL_IMAGES = 10
MAX_SEED = 2**62  # torch takes 64-bit seeds; runs derive seeds a little above it too (ganzoo.algorithm.derived_seed)
MAX_THREADS = 1024  # far more kill libgomp (100000 segfaults)
MAX_GRID = 10000  # samples in the per-epoch grid (2-D point plots use thousands)


def merge(base: DictConfig, update: Any, source: str, prefix: str = "", hint: str = "") -> DictConfig:
    """``update`` merged into ``base``; ``hint`` is added to the message for an unknown top-level key."""
    try:
        return OmegaConf.merge(base, update)
    except ConfigKeyError as error:
        key = full_key(prefix, error)
        message = error_line(error)
        if "Did you mean" not in message:
            message += suggestion(error.key, getattr(error, "object_type", None))
        top = "." not in key
        raise GanzooError(f"{source}: unknown key '{key}': {message}{hint if top else ''}") from error
    except OmegaConfBaseException as error:
        key = full_key(prefix, error) or _key_of_wrong_shape(base, update, prefix)
        message = error_line(error)
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


def type_params(component, values: Any, key: str, source: str = "recipe", registry: Registry | None = None) -> Any:
    """``values`` (a mapping, as under ``KEY`` in a recipe) typed by the component's params
    dataclass: the dataclass instance, or a one-line ``GanzooError`` naming ``key``. Components
    named inside it (``ganzoo.component_field``) are typed too, through ``registry``."""
    try:
        schema = OmegaConf.structured(component.params)
    except OmegaConfBaseException as error:
        raise GanzooError(f"{component.kind} '{component.name}' ({component.plugin}): its params dataclass "
                          f"{component.params.__name__} cannot type a recipe: {error_line(error)}; use int, float, "
                          "bool, str, Optional, List or Dict fields") from error
    typed = merge(schema, values if values is not None else {}, source, key)
    missing = sorted(OmegaConf.missing_keys(typed))
    if missing:
        raise GanzooError(f"{source}: no value for '{key}.{missing[0]}'; set it in the recipe or add "
                          f"{key}.{missing[0]}=VALUE")
    try:
        instance = OmegaConf.to_object(typed)
    except OmegaConfBaseException as error:
        raise GanzooError(f"{source}: {key}: {error_line(error)}") from error
    except (TypeError, ValueError) as error:  # raised by a params dataclass's __post_init__
        raise GanzooError(f"{source}: {key}: {error}") from error
    return type_inner(instance, key, registry, source)


def fill_optimizers(config: DictConfig, roles: Dict[str, str], source: str) -> None:
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


def is_device_name(name: str) -> bool:
    """Whether ``name`` names a device ganzoo can train or sample on: auto, cpu, mps, cuda, cuda:N."""
    return re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", name) is not None


def check_option(option: str, value: Any) -> None:
    """A --device, --seed or --threads option of the CLI is in range, or a one-line error."""
    if option == "--device" and not (isinstance(value, str) and is_device_name(value)):
        raise GanzooError(f"--device must be auto, cpu, cuda or cuda:N, got '{value}'")
    if option == "--seed" and not 0 <= value <= MAX_SEED:
        raise GanzooError(f"--seed must be between 0 and {MAX_SEED} (2**62), got {value}")
    if option == "--threads" and value is not None and not 1 <= value <= MAX_THREADS:
        raise GanzooError(f"--threads must be between 1 and {MAX_THREADS}, got {value}; leave it out for the free cores")


def check_duty_slots(config: DictConfig) -> None:
    """The duties section names the trainer's duties only: a misspelt slot would otherwise drop nothing
    (``duties.loss_plt=null``) or run a callback twice."""
    from ganzoo.training.duties import DEFAULT_DUTIES

    for slot in config.duties:
        if slot not in DEFAULT_DUTIES:
            close = difflib.get_close_matches(str(slot), list(DEFAULT_DUTIES), n=1)
            raise GanzooError(f"unknown duty 'duties.{slot}'{f' (did you mean {close[0]!r}?)' if close else ''}; "
                              f"the duties are {', '.join(DEFAULT_DUTIES)}: set one to null to drop it or to "
                              "{name: CALLBACK} to replace it, and list other callbacks under callbacks")


def check_ranges(config: DictConfig) -> None:
    checks = [
        ("seed", 0 <= config.seed <= MAX_SEED, f"between 0 and {MAX_SEED} (2**62)"),
        ("eval.seed", 0 <= config.eval.seed <= MAX_SEED, f"between 0 and {MAX_SEED} (2**62)"),
        ("train.epochs", config.train.epochs >= 1, "at least 1"),
        ("train.batch_size", config.train.batch_size >= 1, "at least 1"),
        ("train.threads", config.train.threads is None or 1 <= config.train.threads <= MAX_THREADS,
         f"between 1 and {MAX_THREADS}, or null for the free cores"),
        ("train.precision", config.train.precision in ("fp32", "bf16", "fp16", "auto"), "fp32, bf16, fp16 or auto"),
        ("train.memory_format", config.train.memory_format in ("contiguous", "channels_last"),
         "contiguous or channels_last"),
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
