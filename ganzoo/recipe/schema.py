"""The recipe's schema: the typed skeleton every recipe has, one section per role of its algorithm, and
``Recipe``, what building one gives (its config, each component's typed params and registered component).

The skeleton (seed, algorithm, dataset, optimisers, train, output, eval) is typed by the dataclasses below,
plus one section per role of the recipe's algorithm (``generator``, ``discriminator`` and ``loss`` for the
default ``gan``; other algorithms' roles may be encoders and networks too); each component's ``params`` is
typed by the params dataclass its plugin registered.
"""

from __future__ import annotations

from dataclasses import dataclass, field, make_dataclass
from typing import Any, Dict, List, Optional

from omegaconf import MISSING, DictConfig, OmegaConf

from ganzoo.nested_components import plain
from ganzoo.pluginhost.registry import MODEL_KINDS


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
    memory_format: str = "contiguous"  # contiguous | channels_last: the layout of the models' 4-d weights, and so of their activations


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
    """A validated recipe: the skeleton config, and for each component section (``component_sections``) its
    typed params and the registered component that builds it, looked up once when the recipe was built."""

    config: DictConfig
    params: Dict[str, Any]  # component section (e.g. generator, optimizers.generator.schedule) -> params instance
    roles: Dict[str, str] = field(default_factory=dict)  # role -> kind, from the algorithm
    components: Dict[str, Any] = field(default_factory=dict)  # component section -> its registry Component

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


def model_roles(roles: Dict[str, str]) -> list[str]:
    """Of ``roles`` (role -> kind), the roles that are trained models, of any model kind (generator,
    discriminator, encoder, network): each has an optimiser and a place in checkpoints."""
    return [role for role, kind in roles.items() if kind in MODEL_KINDS]


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
