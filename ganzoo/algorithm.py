"""Training algorithms: the update rule of a GAN, as a plugin.

An algorithm names the components it needs by *role* (``roles``: role -> kind),
and writes one training step, ``train_step(batch, step)``, in plain PyTorch:
forward passes, losses, and ``step.update(role, loss)`` for each optimiser step.
Everything that is not the update rule stays with the trainer and applies to
every algorithm alike: devices, data order, data-parallel gradient averaging,
bf16 autocast, non-finite checks, optimisers and their schedules, checkpoints
and exact resume, logging, and callbacks at events: its own side duties (EMA,
sample grids, evaluation, the metrics file, progress, the loss plot, when to
checkpoint) are built-in callbacks too (``Callback`` below).

    class WGANClip(ganzoo.GAN): ...          # reuse the GAN step and change one thing

    class MyAlgorithm(ganzoo.Algorithm):
        roles = {"generator": "generator", "discriminator": "discriminator", "loss": "loss"}
        scalars = ("d_loss", "g_loss")

        def train_step(self, batch, step):
            G, D, loss = step.models["generator"], step.models["discriminator"], step.losses["loss"]
            ...
            step.update("discriminator", d_loss)
            step.log(d_loss=d_loss)

``ganzoo.GAN`` is the default algorithm (``algorithm: {name: gan}``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, ClassVar, Dict, Mapping, Optional, Sequence, Tuple, Union

if TYPE_CHECKING:
    import torch
    from torch import nn

#: the run's random streams, each seeded with the run's seed plus its offset (``derived_seed``): the
#: models' initialisation (the run's seed itself), the trainer's noise and data order, the sample grids'
#: noise. A plugin's own streams take offsets of 7 and up (CycleGAN's image pools: 7 and 8).
SEED_OFFSETS = {"models": 0, "noise": 1, "shuffle": 2, "grids": 3}


def derived_seed(seed: int, stream: Union[str, int]) -> int:
    """The seed of the run's random stream ``stream`` (a name in ``SEED_OFFSETS``, or a plugin's own
    offset, 7 and up) for a run seeded with ``seed``: the one place sub-seeds are derived."""
    if isinstance(stream, str):
        if stream not in SEED_OFFSETS:
            raise ValueError(f"no random stream {stream!r}; the run's streams are {', '.join(SEED_OFFSETS)}, "
                             "or give an offset of your own (7 and up)")
        return seed + SEED_OFFSETS[stream]
    return seed + stream


@dataclass
class Batch:
    """One step's share of the data on the training device: ``images`` (N, C, H, W) in [-1, 1]
    (or (N, D) for data that are not pictures) and ``labels`` (N,) long, or None.

    Two-sided data (``ImageData.two_sided``) add ``targets`` (N, C', H', W'): for paired data
    the right output of each image, row by row; for unpaired data a batch of domain B drawn
    in its own order (``labels`` then label the images, domain A)."""

    images: "torch.Tensor"
    labels: Optional["torch.Tensor"] = None
    targets: Optional["torch.Tensor"] = None

    def __len__(self) -> int:
        return self.images.shape[0]


class TrainStep:
    """What ``Algorithm.train_step`` gets from the trainer (the contract; the trainer implements it).

    - ``models``: role -> ``nn.Module`` (on the training device, in train mode): the modules the
      factories built, never wrapped in ``DistributedDataParallel``; under ``--nproc`` each process
      holds a whole copy and ``update`` averages gradients across processes after the backward pass;
    - ``losses``: role -> loss object;
    - ``index``: the number of training steps done before this one (0, 1, 2, ...);
    - ``latent(role="generator")``: a fresh latent batch for that generator, drawn from the run's
      seeded noise stream (the same numbers in any number of processes);
    - ``update(roles, loss)``: back-propagate ``loss`` and step the optimisers of ``roles``
      (a role or a list of roles); returns False when the update was refused (a non-finite loss or
      gradient under ``train.on_nonfinite: skip``);
    - ``frozen(*roles)``: a context in which those models' weights get no gradients;
    - ``log(name=value, ...)``: add scalars (0-d tensors or floats) to the running means the
      trainer logs; names must be in ``Algorithm.scalars``;
    - ``log_latest(name=value, ...)``: log scalars at their latest value, not as a mean over the
      log window (state that moves every step, like BEGAN's k_t); names in ``Algorithm.scalars``.
    """

    models: Mapping[str, "nn.Module"]
    losses: Mapping[str, Any]
    index: int

    def latent(self, role: str = "generator") -> "torch.Tensor":
        raise NotImplementedError

    def update(self, roles: Union[str, Sequence[str]], loss: "torch.Tensor") -> bool:
        raise NotImplementedError

    def frozen(self, *roles: str):
        raise NotImplementedError

    def log(self, **scalars: Any) -> None:
        raise NotImplementedError

    def log_latest(self, **scalars: Any) -> None:
        """Log ``scalars`` as their values at the log step; a step that does not tell values from
        means logs them with ``log``."""
        self.log(**scalars)


class Algorithm:
    """Base class of training algorithms. Subclasses set ``roles`` and ``scalars`` and implement
    ``train_step``; the factory registered with ``register_algorithms`` is the subclass itself,
    called with the params dataclass instance.

    ``roles``: role -> kind (generator, discriminator, encoder, network or loss; no loss role is
    needed). Each role is a section of the recipe (``generator: {name: mlp, params: {...}}``),
    typed by its component's params; each model role, of any model kind, gets an optimiser
    (``optimizers.<role>``) and is saved in checkpoints.

    ``scalars``: the names ``step.log`` may be given, in the order ``metrics.jsonl`` shows them.

    ``sample_role``: the generator whose samples the run's grids, ``ganzoo sample`` and
    ``ganzoo eval`` show.

    ``directions``: for translation algorithms (two-sided data), each direction they translate
    (``a2b``: images to targets; ``b2a``: back) and the generator role that does it; such a
    generator maps a batch of images to a batch of images, ``G(x)``, with no latent. Empty for
    algorithms that generate from noise. The run's grids, ``ganzoo eval`` and ``ganzoo translate``
    read it.
    """

    roles: ClassVar[Dict[str, str]] = {}
    scalars: ClassVar[Tuple[str, ...]] = ()
    sample_role: ClassVar[str] = "generator"
    directions: ClassVar[Dict[str, str]] = {}

    #: the run's seed (the recipe's ``seed``), set before ``setup``; seed the algorithm's own random
    #: streams with ``derived_seed``
    seed: int = 0

    def __init__(self, params: Any = None):
        self.params = params

    def derived_seed(self, offset: int) -> int:
        """The seed of a random stream of the algorithm's own: the run's seed plus ``offset`` (7 and up;
        0 to 3 are the trainer's streams, ``SEED_OFFSETS``), the same numbers in every run of that seed."""
        return derived_seed(self.seed, offset)

    def setup(self, models: Mapping[str, "nn.Module"], losses: Mapping[str, Any], data: Any) -> None:
        """Called once the models are built and on the device, before the first step; check what
        the algorithm needs of them here (raise ``ganzoo.GanzooError`` with one line) or build its
        own state (seeded with ``self.derived_seed``). ``data`` is the run's ``ganzoo.DataSpec``."""

    def train_step(self, batch: Batch, step: TrainStep) -> None:
        raise NotImplementedError

    def state_dict(self) -> Dict[str, Any]:
        """The algorithm's own state (tensors and plain data) for checkpoints; none by default."""
        return {}

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned."""


#: callback priorities (mmengine's scale): lower runs first at every event; equal ones run in recipe order
PRIORITIES = {"highest": 0, "very_high": 10, "high": 30, "above_normal": 40, "normal": 50,
              "below_normal": 60, "low": 70, "very_low": 90, "lowest": 100}


class Callback:
    """Base class of callbacks: code that runs at points of training without being part of the
    update rule (weight clipping, an adaptive augmentation probability, a tracker, and ganzoo's own
    duties: the metrics file, the progress line, the EMA, sample grids, evaluation, the loss plot and
    checkpoints). Override what you need; each method gets ``run``, a ``ganzoo.RunInfo`` (models and
    optimisers by role, the step, the run folder). A recipe lists callbacks: ``callbacks: [{name:
    clip-weights}]``. At each event they run by ``priority`` (lower first, ``PRIORITIES``), callbacks
    of equal priority in the recipe's order (``duties``, then ``callbacks``, then ``loggers``), in every
    process of a data-parallel run unless an event says otherwise.
    """

    #: when this callback runs at each event relative to the others: lower first (``PRIORITIES``)
    priority: ClassVar[int] = PRIORITIES["normal"]

    def before_run(self, run: "RunInfo") -> None:
        """Once, when the run is built: before its folder is written and before a checkpoint is
        restored. Build what you need and fail early here (raise ``ganzoo.GanzooError``)."""

    def setup(self, run: "RunInfo") -> None:
        """Once, when training starts (after the models and optimisers are built, and restored on resume)."""

    def after_update(self, run: "RunInfo", roles: Tuple[str, ...]) -> None:
        """After each optimiser step of ``roles`` (``step.update``), inside the training step."""

    def after_step(self, run: "RunInfo") -> None:
        """After each training step."""

    def on_log(self, run: "RunInfo", record: Dict[str, Any]) -> None:
        """After each logged record (a line of metrics.jsonl: step, epoch, the scalars, images_per_sec,
        lr per role). Evaluation records (step, epoch, ``eval``: metric -> value) come too, in the
        main process only, where evaluation runs."""

    def on_grid(self, run: "RunInfo", epoch: int, picture: "torch.Tensor") -> None:
        """When an epoch's sample grid is drawn, in the main process: ``picture`` is the picture
        itself, a uint8 RGB tensor (3, H, W) on the CPU: the pixels of its PNG."""

    def end_epoch(self, run: "RunInfo", epoch: int) -> None:
        """After each epoch (by priority: the progress line, evaluation, the sample grid and the loss plot
        come first; the checkpoint of the epoch last)."""

    def before_save_checkpoint(self, run: "RunInfo", state: Dict[str, Any]) -> None:
        """Before a checkpoint is written, in the process that writes it: add to ``state`` (a dict of
        tensors and plain data) what you keep there besides ``state_dict``."""

    def after_save_checkpoint(self, run: "RunInfo", path: Any) -> None:
        """After a checkpoint is on disk; ``path`` is its file in the main process, None in the others."""

    def after_load_checkpoint(self, run: "RunInfo", state: Dict[str, Any]) -> None:
        """When a run resumes, after the models, optimisers and algorithm took their state from the
        checkpoint ``state`` (what ``before_save_checkpoint`` added is in it)."""

    def end_run(self, run: "RunInfo") -> None:
        """Once, after the last epoch of a run that trained to its end (not when stopped or failing)."""

    def teardown(self, run: "RunInfo") -> None:
        """Once, when training stops, however it stops (finished, interrupted or failing)."""

    def state_dict(self) -> Dict[str, Any]:
        """The callback's own state (tensors and plain data), saved in checkpoints."""
        return {}

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned, on resume."""


@dataclass
class RunInfo:
    """What callbacks see of a run."""

    models: Mapping[str, "nn.Module"]
    optimizers: Mapping[str, Any]
    run_dir: Any  # pathlib.Path
    data: Any  # ganzoo.DataSpec
    total_steps: int
    steps_per_epoch: int
    step: int = 0  # training steps done
    is_main: bool = True  # the process that writes files (rank 0)
    recipe: Any = None  # the run's validated recipe (``recipe.config``: its settings, as recipe.yaml shows them)
    registry: Any = None  # the plugin registry the run was built from
    dataset: Any = None  # the run's ``ganzoo.ImageData`` (its presentation, two sides, held-out examples)
    device: Any = None  # the training device (torch.device)
    sample_role: str = "generator"  # the generator samples come from (``Algorithm.sample_role``)
    directions: Mapping[str, str] = field(default_factory=dict)  # ``Algorithm.directions``
    #: role -> the model samples of that role are drawn from: the trained one, or its EMA when that duty runs
    samplers: Dict[str, Any] = field(default_factory=dict)
    _trainer: Any = field(default=None, repr=False)  # carries out log, show_grid, save_checkpoint and message

    @property
    def epoch(self) -> int:
        """The epoch the next step belongs to (1-based)."""
        return self.step // self.steps_per_epoch + 1

    def path(self, *parts: str) -> Path:
        """Where a callback writes ``parts`` (e.g. ``run.path("tensorboard")``): inside the run folder, always.

        A name a recipe or a param gives that leads out of the folder (an absolute path, ``..``, a symlink
        out) is refused: the run stops before the first step with one line naming the callback."""
        from ganzoo.failures import ContractViolation
        from ganzoo.storage.paths import inside

        named = bool(parts) and all(isinstance(part, (str, PurePath)) for part in parts)
        path = inside(Path(self.run_dir), Path(*parts)) if named else None
        if path is None:
            shown = "/".join(str(part) for part in parts)
            raise ContractViolation(f"the output path {shown!r} is not inside the run folder {self.run_dir} (no "
                                    "'..', no absolute paths, no symlinks out)",
                                    remedy="give a path relative to the run folder, without '..' (a name such as 'logs')")
        return path

    @property
    def seed(self) -> int:
        """The run's seed (the recipe's ``seed``)."""
        return self.recipe.config.seed if self.recipe is not None else 0

    def derived_seed(self, stream: Union[str, int]) -> int:
        """The seed of the run's random stream ``stream``: a name in ``SEED_OFFSETS`` (``"grids"``: the
        sample grids' noise) or a callback's own offset (7 and up)."""
        return derived_seed(self.seed, stream)

    @property
    def recipe_file(self):
        """The run's fully resolved recipe, ``RUN_DIR/recipe.yaml`` (a ``pathlib.Path``)."""
        from ganzoo.training.run_folder import RECIPE_FILE

        return Path(self.run_dir) / RECIPE_FILE

    @property
    def progress(self) -> Any:
        """The run's progress display (a bar on a terminal, lines otherwise)."""
        return self._trainer.progress

    def sampler(self, role: Optional[str] = None) -> "nn.Module":
        """The model samples of ``role`` (default: ``sample_role``) come from: its EMA when kept."""
        role = role or self.sample_role
        return self.samplers.get(role) or self.models[role]

    def log(self, record: Dict[str, Any]) -> None:
        """Add a record to the run's metrics: every callback's ``on_log`` gets it (the metrics-file duty
        writes it into metrics.jsonl)."""
        self._trainer.events.emit("on_log", self, record)

    def show_grid(self, epoch: int, picture: "torch.Tensor") -> None:
        """Hand an epoch's sample grid (uint8, (C, H, W)) to every callback's ``on_grid``."""
        self._trainer.events.emit("on_grid", self, epoch, picture)

    def save_checkpoint(self) -> Any:
        """Write a checkpoint of the run as it stands (all processes call it; the main one writes).
        Returns its path in the main process."""
        return self._trainer.save_checkpoint()

    def message(self, text: str) -> None:
        """A line for the user, above the progress bar."""
        self._trainer.progress.message(text)
