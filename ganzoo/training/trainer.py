"""The generic trainer.

It knows nothing of particular models, datasets or update rules: it builds what
the recipe names, with the components the recipe found in the registry (the algorithm, its models and losses by
role, the data), has its feed (ganzoo.training.feed) shuffle the data by index
each epoch and hand over each batch, from the training device or from packed
shards on disk, and calls the algorithm's ``train_step`` once per batch (or a
faster implementation of the same step, chosen once: ``ganzoo.fast``). It owns
the loop and what every algorithm shares: devices, data order, data-parallel
processes, precision, optimisers and their schedules, non-finite checks, logged
records, checkpoints' content and exact resume. Its side duties (the metrics
file, the progress line, EMA, sample grids, evaluation, the loss plot, when to
checkpoint) are callbacks it calls at events (ganzoo.training.duties,
ganzoo.training.events). The only host syncs are at logging steps.

Words: a *step* is one call of the step function on one batch, and ``steps_done`` counts them (shown as
``RunInfo.step`` and metrics.jsonl's ``step``; ``steps_saved``: the count the newest checkpoint holds).
The ``step_function`` is the algorithm's ``train_step`` or a fused implementation of it (``fused_step``,
picked for the reason ``step_choice`` says); the ``step_context`` (a ``StepContext``) is the
``ganzoo.TrainStep`` each call gets. An *update* is what ``StepContext.update`` does to the optimisers of
some roles; each optimiser's own ``step()`` runs through an ``OptimizerUpdate``.
"""

from __future__ import annotations

import contextlib
import math
import time
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any, Optional

import torch
from omegaconf import OmegaConf

from ganzoo import fast, translation
from ganzoo.algorithm import Batch, RunInfo, derived_seed
from ganzoo.assembly import (build_algorithm, build_callbacks, build_losses, build_models, build_optimizer,
                               build_schedule, callback_sections, describe, in_run_layout, resolve_device)
from ganzoo.data import ImageData
from ganzoo.blame import Components
from ganzoo.errors import ContractViolation, GanzooError
from ganzoo.fast.lazy_dynamo import defer_dynamo_import
from ganzoo.fast.optimizer_update import OptimizerUpdate, match_parameter_layouts
from ganzoo.model_calls import draw_latent
from ganzoo.output.files import write_text_atomic
from ganzoo.pluginhost.registry import Registry
from ganzoo.recipe import Recipe, load_recipe
from ganzoo.training import checkpoint, distributed, divergence, plugin_exits, precision, runlock
from ganzoo.training.data_record import load_recorded_data
from ganzoo.training.duties.evaluation import check_evaluation
from ganzoo.training.events import Events
from ganzoo.training.feed import Feed
from ganzoo.training.threads import choose_threads
from ganzoo.training.progress import PlainProgress
from ganzoo.training.run_folder import (LOSS_PLOT_FILE, METRICS_FILE, RECIPE_FILE,  # noqa: F401 (used by tests)
                                       check_layout, truncate_metrics)
from ganzoo.training.log_window import Window
from ganzoo.training.step_context import StepContext


def new_run_dir(recipe: Recipe) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path(recipe.config.output.root) / f"{recipe.name}-{stamp}"
    run_dir, suffix = base, 1
    while run_dir.exists():
        suffix += 1
        run_dir = base.with_name(f"{base.name}-{suffix}")
    return run_dir


class TrainingInterrupted(Exception):
    """Training stopped on request after a completed step; a checkpoint holds it."""

    def __init__(self, run_dir: Path, steps_done: int):
        super().__init__(f"interrupted at step {steps_done}")
        self.run_dir, self.steps_done = run_dir, steps_done


class Trainer:
    def __init__(self, recipe: Recipe, registry: Registry, run_dir: str | Path, progress=None):
        self.recipe, self.config, self.run_dir = recipe, recipe.config, Path(run_dir)
        self.progress = progress or PlainProgress()  # the display; the progress duty drives it
        train = self.config.train
        self._place(train)
        train.threads = choose_threads(train.threads)  # null: the free cores, recorded in recipe.yaml
        torch.set_num_threads(train.threads)
        check_evaluation(registry, recipe)
        torch.manual_seed(derived_seed(self.config.seed, "models"))  # model initialisation
        data = self._load_data(recipe)
        self._build_parts(recipe)
        self._build_callbacks(registry, recipe, data)
        with self._failures_named(lambda: "before training"):
            self.algorithm.setup(self.models, self.losses, self.spec)
        self._build_step_context()
        with self._failures_named(lambda: "before training"):
            self.events.emit("before_run", self.run_info)  # the duties build what they need: the EMA, grid noise...
        self.stop_requested = False  # set from a signal handler; honoured between steps
        self.doing: int | str = "before the first step"

    def _place(self, train) -> None:
        """The processes, the device, and this process's share of each batch."""
        self.world = distributed.world_from_env()
        self.device = distributed.device_for(self.world, resolve_device(train.device))
        distributed.init_process_group(self.world, self.device)
        self.batch_size, self.log_every = train.batch_size, train.log_every
        if self.batch_size % self.world.size:
            raise GanzooError(f"train.batch_size={self.batch_size} is the global batch: it must divide evenly "
                              f"among {self.world.size} processes")
        self.shard_size = self.batch_size // self.world.size  # this process's part of each batch
        self.skip_nonfinite = train.on_nonfinite == "skip"

    def _load_data(self, recipe: Recipe) -> ImageData:
        """The data, and the feed that hands each step its batch."""
        data: ImageData = load_recorded_data(recipe)
        # for checkpoints, naming the data it read (ganzoo.training.data_record); resolving it takes
        # ~20 ms, once is enough
        self.recipe_yaml = recipe.to_yaml()
        self.spec = data.spec
        self.steps_per_epoch = data.steps_length // self.batch_size
        if self.steps_per_epoch == 0:
            raise GanzooError(f"the dataset has {data.steps_length} images{' on its smaller side' if data.two_sided is not None else ''}"
                              f", fewer than train.batch_size={self.batch_size}; lower the batch size")
        # which rows each step reads, held on the device or streamed from a row source (ganzoo.training.feed)
        self.feed = Feed(data, self.batch_size, self.world, self.device, self.config.data.memory_budget_gb,
                         self.config.data.prefetch)
        self.images, self.labels, self.targets = self.feed.images, self.feed.labels, self.feed.targets
        _check_two_sided(recipe, self.spec)  # before models are built for data they cannot take
        return data

    def _build_parts(self, recipe: Recipe) -> None:
        """Models, precision, losses, the algorithm, optimisers and their schedules."""
        train = self.config.train
        self.models = in_run_layout(build_models(recipe, self.spec, self.device), recipe)
        name, self.precision_reason = precision.resolve(train.precision, self.device, self.models.values())
        self.precision = precision.Precision(name, self.device)  # read once: recipe lookups cost microseconds
        self.autocast = self.precision.autocast
        self.losses = build_losses(recipe)
        self.algorithm = build_algorithm(recipe)
        self.sample_role = self.algorithm.sample_role
        self.directions = _check_directions(self.algorithm, self.models, self.spec, recipe)
        defer_dynamo_import()  # torch's optimisers would import torch._dynamo (about 1 s) to mark methods
        self.optimizers = {role: build_optimizer(recipe, role, model.parameters())
                           for role, model in self.models.items()}
        # Schedules are stepped after every training step; the trainer's direct optimiser steps
        # (ganzoo.fast.optimizer_update) bypass Optimizer.step, which torch's schedulers watch for.
        warnings.filterwarnings("ignore", message=r"Detected call of `lr_scheduler\.step\(\)` before")
        self.total_steps = train.epochs * self.steps_per_epoch
        self.schedules = {role: build_schedule(recipe, role, optimizer, self.total_steps)
                          for role, optimizer in self.optimizers.items()}

    def _build_callbacks(self, registry: Registry, recipe: Recipe, data: ImageData) -> None:
        """The duties, callbacks and loggers (ganzoo.training.duties), what they see of the run, and how
        messages name every component."""
        sections = callback_sections(recipe)
        self.all_callbacks = build_callbacks(recipe)  # in the recipe's order; self.events runs them
        self.events = Events(self.all_callbacks)
        self.duties = [callback for section, callback in zip(sections, self.all_callbacks)
                       if section.startswith("duties.")]
        self.callbacks = [callback for section, callback in zip(sections, self.all_callbacks)
                          if not section.startswith("duties.")]  # the recipe's callbacks and loggers
        # how checkpoints key each one's state
        self.callback_keys = _callback_keys([OmegaConf.select(self.config, f"{section}.name") for section in sections])
        self.run_info = RunInfo(models=self.models, optimizers=self.optimizers, run_dir=self.run_dir, data=self.spec,
                                total_steps=self.total_steps, steps_per_epoch=self.steps_per_epoch,
                                is_main=self.world.is_main, recipe=recipe, registry=registry, dataset=data,
                                device=self.device, sample_role=self.sample_role, directions=self.directions,
                                _trainer=self)
        self.components = self._name_components(recipe)

    def _build_step_context(self) -> None:
        """What ``train_step`` gets (its ``StepContext``), the run's noise and shuffling streams, and the
        step function (the algorithm's ``train_step`` or a fused one), chosen once."""
        seed, train = self.config.seed, self.config.train
        self.noise_rng = torch.Generator(self.device).manual_seed(derived_seed(seed, "noise"))
        self.shuffle_rng = torch.Generator().manual_seed(derived_seed(seed, "shuffle"))
        self.epoch_shuffle_state = self.shuffle_rng.get_state()
        self.steps_done, self.steps_saved = 0, None
        self.window = Window(self.algorithm.scalars, self.device)
        self.step_context = StepContext(
            models=self.models, losses=self.losses, optimizers=self.optimizers,
            # each an optimiser's update, opt.step(), faster
            optimizer_updates={role: OptimizerUpdate(opt) for role, opt in self.optimizers.items()},
            latent=self.latent, window=lambda: self.window, world=self.world, device=self.device,
            skip_nonfinite=self.skip_nonfinite, autocast=self.autocast, scaler=self.precision.scaler,
            after_update=[lambda roles, cb=cb: cb.after_update(self.run_info, roles)
                          for cb in self.events.overriding("after_update")])
        self.after_step = self.events.overriding("after_step")
        self.fused_step, self.step_choice = fast.choose_step(train.step, self.algorithm, self.models,
                                                             self.spec.image_shape, self.device,
                                                             self.world.distributed, self.precision.name)
        self.step_function = (self.fused_step or self.algorithm).train_step  # the step, chosen once
        if self.fused_step is not None:  # it gathers real images straight into its buffers
            self.feed.gather = self.fused_step.gather

    def _name_components(self, recipe: Recipe) -> Components:
        """Each built component with the words that name it in messages."""
        named = Components()
        named.add(self.algorithm, describe(recipe, "algorithm"))
        for role, part in {**self.models, **self.losses}.items():
            named.add(part, describe(recipe, role))
        for role in self.optimizers:
            named.add(self.optimizers[role], describe(recipe, f"optimizers.{role}"))
            named.add(self.schedules[role], describe(recipe, f"optimizers.{role}.schedule"))
        for section, callback in zip(callback_sections(recipe), self.all_callbacks):
            named.add(callback, describe(recipe, section))
        return named

    @property
    def generator(self) -> torch.nn.Module:
        """The model samples come from (the algorithm's ``sample_role``)."""
        return self.models[self.sample_role]

    def sampler(self) -> torch.nn.Module:
        """The generator samples come from: its EMA when the EMA duty keeps one."""
        return self.run_info.sampler()

    # ---------------------------------------------------------------- steps
    def shard(self, batch: torch.Tensor) -> torch.Tensor:
        """This process's part of a global batch (all of it in a single process)."""
        if not self.world.distributed:
            return batch
        start = self.world.rank * self.shard_size
        return batch[start:start + self.shard_size]

    def latent(self, role: str = "generator") -> torch.Tensor:
        """This process's part of a fresh global batch of the role's latent: the same numbers in any world size."""
        return self.shard(draw_latent(self.models[role], self.batch_size, self.noise_rng))

    def mixed_precision(self):
        """The step's autocast (``train.precision`` bf16 or fp16); else nothing."""
        return self.precision.context()

    def take_step(self, batch: Batch) -> None:
        """One training step of the algorithm on ``batch``."""
        self.step_context.index = self.run_info.step = self.steps_done
        self.doing = self.steps_done + 1  # the step a failure happens in (1-based), for its message
        if self.autocast:
            with self.mixed_precision():
                self.step_function(batch, self.step_context)
        else:
            self.step_function(batch, self.step_context)
        for schedule in self.schedules.values():
            schedule.step()
        self.steps_done += 1
        self.window.images += self.batch_size
        if self.after_step:
            self.run_info.step = self.steps_done  # the steps done, this one included
            for callback in self.after_step:
                callback.after_step(self.run_info)

    # ---------------------------------------------------------------- loop
    def fit(self) -> Path:
        if self.world.is_main:
            self.progress.message(f"training on {self.device.type}: " + (
                self.step_choice if self.fused_step is not None else f"autograd steps ({self.step_choice})")
                + ("" if self.config.train.precision == "fp32" else f"; {self.precision_reason}"))
        signals = plugin_exits.SignalWatch()  # tells a real Ctrl-C from a plugin's KeyboardInterrupt
        try:
            with signals, self._failures_named(self._when, signals):
                self._train(self.total_steps)
                self.run_info.step = self.steps_done
                self.events.emit("end_run", self.run_info)
        finally:  # a plugin failing here is named too, never a bare traceback
            with self._failures_named(lambda: "while the run was closing"):
                self.events.emit("teardown", self.run_info)
        return self.run_dir

    @contextlib.contextmanager
    def _failures_named(self, when, signals: plugin_exits.SignalWatch | None = None):
        """Whatever a plugin raises becomes one line naming it (the traceback chained for --debug); while
        training (``signals`` given), a plugin's SystemExit or KeyboardInterrupt too, after a checkpoint."""
        try:
            yield
        except ContractViolation as error:
            raise self.components.explain(error, self.components.describe(self.algorithm), when()) from error
        except (GanzooError, TrainingInterrupted):
            raise
        except (SystemExit, KeyboardInterrupt) as error:  # a plugin's exit is its failure; Ctrl-C goes on up
            if signals is None or not plugin_exits.raised_by_a_plugin(error, signals):
                raise
            raise plugin_exits.plugin_exit(self, error) from error
        except Exception as error:
            raise self.components.explain(error, self.components.describe(self.algorithm), when()) from error

    def _when(self) -> str:
        return f"at step {self.doing}" if isinstance(self.doing, int) else self.doing

    def _train(self, total: int) -> None:
        self.run_info.step = self.steps_done
        self.events.emit("setup", self.run_info)
        while self.steps_done < total:
            epoch, first = divmod(self.steps_done, self.steps_per_epoch)
            self.shuffle_rng.set_state(self.epoch_shuffle_state)
            order, target_order = self.feed.orders(self.shuffle_rng)
            # closed on the way out, also when stopped or failing: a packed dataset's reader thread ends with it
            with contextlib.closing(self.feed.batches(order, target_order, first)) as batches:
                for batch, examples in enumerate(batches, start=first):
                    self.take_step(examples)  # its after_step event advances the progress display
                    logged = self.steps_done % self.log_every == 0
                    if logged:
                        self.log(epoch + 1)
                    if self.must_stop(logged) and batch + 1 < self.steps_per_epoch:
                        self.save_checkpoint()
                        raise TrainingInterrupted(self.run_dir, self.steps_done)
            self.epoch_shuffle_state = self.shuffle_rng.get_state()
            self.end_epoch(epoch + 1)  # the checkpoints duty writes the epoch's checkpoint
            if self.must_stop(True) and self.steps_done < total:
                if self.steps_saved != self.steps_done:  # no checkpoints duty: the stop is saved all the same
                    self.save_checkpoint()
                raise TrainingInterrupted(self.run_dir, self.steps_done)

    def must_stop(self, logged: bool) -> bool:
        if not self.world.distributed:
            return self.stop_requested
        # Processes agree to stop at logging steps only: no extra sync on other steps.
        return logged and distributed.any_rank(self.stop_requested, self.world, self.device)

    def log(self, epoch: int) -> Optional[dict[str, Any]]:
        window = self.window
        distributed.sum_over_ranks(window.sums, self.world)
        distributed.sum_over_ranks(window.counts, self.world)
        means = window.sums / window.counts.clamp(min=1)
        both = torch.cat([means, window.counts]).tolist()  # the host sync
        values, counts = both[:len(window.names)], both[len(window.names):]
        if not any(counts):
            if window.nonfinite_losses:  # every update since the last log was skipped, not all for fp16 overflow
                raise divergence.diverged("every loss", window.start_step, self.steps_done, self.run_dir)
            return None
        elapsed = time.perf_counter() - window.started
        record = {"step": self.steps_done, "epoch": epoch,
                  **{name: (value if count else None) for name, value, count in zip(window.names, values, counts)},
                  "images_per_sec": window.images / elapsed if elapsed > 0 else 0.0,
                  "lr": {role: optimizer.param_groups[0]["lr"] for role, optimizer in self.optimizers.items()}}
        if self.skip_nonfinite or self.precision.scaler is not None:  # fp16 skips updates that overflow
            record["skipped"] = window.skipped
        if not self.skip_nonfinite and window.nonfinite_losses:  # fp16 skipped them: the algorithm logged none
            raise divergence.diverged("the loss", window.start_step, self.steps_done, self.run_dir)
        bad = [name for name in window.names if record[name] is not None and not math.isfinite(record[name])]
        if bad:
            raise divergence.diverged(f"{bad[0]} ({record[bad[0]]})", window.start_step, self.steps_done, self.run_dir)
        self.check_weights()
        self.run_info.step = self.steps_done
        self.events.emit("on_log", self.run_info, record)  # the metrics file, the progress line, loggers...
        if self.world.is_main and window.skipped:
            self.progress.message(f"skipped {window.skipped} updates with non-finite losses or gradients "
                                  f"in steps {window.start_step + 1} to {self.steps_done}")
        self.window = Window(self.algorithm.scalars, self.device, self.steps_done)
        return record

    def check_weights(self) -> None:
        """Stop with the divergence error if a model's weights are no longer all finite."""
        broken = divergence.first_nonfinite_module(self.models)
        if broken:
            raise divergence.diverged(f"the {broken}'s weights", self.window.start_step, self.steps_done, self.run_dir)

    def end_epoch(self, epoch: int) -> None:
        """The epoch's last record, then its end_epoch event: by priority the progress summary, evaluation,
        the sample grid, the loss plot, other callbacks, and the checkpoint last (ganzoo.training.duties)."""
        self.doing = f"at the end of epoch {epoch}"
        self.log(epoch)
        work_started = time.perf_counter()
        self.run_info.step = self.steps_done
        self.events.emit("end_epoch", self.run_info, epoch)
        self.window.started += time.perf_counter() - work_started  # images/s counts training steps, not this work

    # ---------------------------------------------------------------- state
    def state(self) -> dict[str, Any]:
        """What a checkpoint holds: the training state, and what callbacks add before it is saved."""
        state = {
            "recipe": self.recipe_yaml,
            "data_spec": self.spec.to_dict(),
            "step": self.steps_done,
            "sample_role": self.sample_role,
            **({"directions": dict(self.directions)} if self.directions else {}),
            "models": {role: model.state_dict() for role, model in self.models.items()},
            "optimizers": {role: opt.state_dict() for role, opt in self.optimizers.items()},
            "schedules": {role: schedule.state_dict() for role, schedule in self.schedules.items()},
            "algorithm": self.algorithm.state_dict(),
            "callbacks": {key: _state_of(callback) for key, callback in zip(self.callback_keys, self.all_callbacks)},
            "rng": {
                "torch": torch.get_rng_state(),
                "cuda": torch.cuda.get_rng_state_all() if self.device.type == "cuda" else [],
                "noise": self.noise_rng.get_state().cpu(),
                "epoch_shuffle": self.epoch_shuffle_state,
            },
            "window": self.window.state(),
            "precision": self.precision.state_dict(),
        }
        self.run_info.step = self.steps_done
        self.events.emit("before_save_checkpoint", self.run_info, state)  # the EMA duty adds "ema"
        return state

    def save_checkpoint(self) -> Optional[Path]:
        """Write a checkpoint of the current state; a non-finite state is refused, keeping the last good one.

        Rank 0 writes it; the other processes wait until it is on disk.
        """
        if not self.skip_nonfinite and (self.window.nonfinite_losses or not divergence.all_finite([self.window.sums])):
            raise divergence.diverged("the loss", self.window.start_step, self.steps_done, self.run_dir)
        self.check_weights()
        path = None
        if self.world.is_main:
            path = checkpoint.save_checkpoint(self.run_dir, self.state(), self.config.output.keep_checkpoints)
        distributed.barrier(self.world)
        self.steps_saved = self.steps_done
        self.run_info.step = self.steps_done
        self.events.emit("after_save_checkpoint", self.run_info, path)
        return path

    def load_state(self, state: dict[str, Any]) -> None:
        try:
            for role, model in self.models.items():
                model.load_state_dict(state["models"][role])
            for role, optimizer in self.optimizers.items():
                optimizer.load_state_dict(state["optimizers"][role])
                match_parameter_layouts(optimizer)
            for role, schedule in self.schedules.items():
                if role in state.get("schedules", {}):  # version-1 checkpoints had none: constant
                    schedule.load_state_dict(state["schedules"][role])
            self.algorithm.load_state_dict(state.get("algorithm") or {})
            saved = state.get("callbacks") or {}
            for key, callback in zip(self.callback_keys, self.all_callbacks):  # one added on resume starts afresh
                if saved.get(key) and callable(getattr(callback, "load_state_dict", None)):
                    callback.load_state_dict(saved[key])
        except Exception as error:  # noqa: BLE001 - a plugin's load_state_dict may raise anything: named
            raise checkpoint.unfit(error, state.get("path"), self.components, "the models",
                                   "resume with the recipe it was written by") from error
        try:
            self.steps_done = int(state["step"])
            rng = state["rng"]
            torch.set_rng_state(rng["torch"])
            if rng["cuda"] and self.device.type == "cuda":
                torch.cuda.set_rng_state_all(rng["cuda"])
            self.noise_rng.set_state(rng["noise"])
            self.epoch_shuffle_state = rng["epoch_shuffle"]
            self.window.load(state["window"])
            self.precision.load_state_dict(state.get("precision") or {})
        except (RuntimeError, KeyError, ValueError, TypeError) as error:
            raise GanzooError(f"checkpoint '{state.get('path')}' lacks a usable training state "
                              f"({type(error).__name__}: {str(error).strip()[:100]}); it cannot be resumed, "
                              "but `ganzoo sample` can still use its generator") from error
        self.steps_saved = self.run_info.step = self.steps_done
        try:
            self.events.emit("after_load_checkpoint", self.run_info, state)  # the EMA duty takes its average
        except Exception as error:  # noqa: BLE001 - a callback's load may raise anything: named
            raise checkpoint.unfit(error, state.get("path"), self.components, "the models",
                                   "resume with the recipe it was written by") from error


def _check_two_sided(recipe: Recipe, spec) -> None:
    """A translation algorithm (one with directions) needs data with targets."""
    factory = recipe.components["algorithm"].factory
    if getattr(factory, "directions", None) and not spec.two_sided:
        raise GanzooError(f"algorithm '{recipe.config.algorithm.name}' translates images and needs two-sided data "
                          "(a dataset with targets: a paired or unpaired translation task); dataset "
                          f"'{recipe.config.dataset.name}' gives one side")


def _check_directions(algorithm, models, spec, recipe: Recipe) -> dict:
    """A translation algorithm's directions, checked against its models."""
    directions = dict(getattr(algorithm, "directions", {}) or {})
    name = recipe.config.algorithm.name
    for direction, role in directions.items():
        if direction not in translation.DIRECTIONS or role not in models:
            raise GanzooError(f"algorithm '{name}' maps direction {direction!r} to {role!r}; directions are "
                              f"{' and '.join(translation.DIRECTIONS)}, each a generator role it trains; fix the plugin")
    return directions


def _callback_keys(names: list[str]) -> list[str]:
    """How checkpoints key each callback's state: its name, with #2, #3... for later ones of the same
    name; a resume that adds, drops or reorders callbacks hands none another one's state."""
    seen: dict[str, int] = {}
    keys = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        keys.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return keys


def _state_of(callback) -> dict:
    return callback.state_dict() if callable(getattr(callback, "state_dict", None)) else {}


def start_run(recipe: Recipe, registry: Registry, out: str | Path | None = None, progress=None) -> Trainer:
    """Create the run directory, write the resolved recipe, and return a ready trainer.

    The run folder's lock (ganzoo.training.runlock) is held from here on; ``runlock.release`` lets go of it.
    """
    world = distributed.world_from_env()
    run_dir = Path(out) if out else new_run_dir(recipe)
    if world.is_main:
        _refuse_a_used_folder(run_dir)
    trainer = Trainer(recipe, registry, run_dir, progress)  # builds everything before touching the disk
    trainer.run_dir = run_dir = Path(distributed.broadcast_object(str(run_dir), world))  # one folder for all
    if world.is_main:
        with _released_on_error(run_dir):
            runlock.acquire(run_dir)
            _refuse_a_used_folder(run_dir)  # again, now that no other process can start a run here
            write_text_atomic(run_dir / RECIPE_FILE, trainer.recipe_yaml)
    return trainer


def _refuse_a_used_folder(run_dir: Path) -> None:
    check_layout(run_dir)
    if not (run_dir / RECIPE_FILE).exists():
        return
    if checkpoint.list_checkpoints(run_dir):
        raise GanzooError(f"{run_dir} already holds a run; resume it with --resume {run_dir} or choose another --out")
    raise GanzooError(f"{run_dir} holds a run that stopped before its first checkpoint; resume it with "
                      f"--resume {run_dir} (it starts again from step 0) or choose another --out")


@contextlib.contextmanager
def _released_on_error(run_dir: Path):
    """The run folder's lock is let go when setting up the run fails."""
    try:
        yield
    except BaseException:
        runlock.abandon(run_dir)
        raise


def resume_run(run_dir: str | Path, registry: Registry, progress=None, overrides=()) -> Trainer:
    """Rebuild a run from its directory and restore its newest loadable checkpoint.

    A run that stopped before its first checkpoint starts again from step 0. The run
    folder's lock is held from here on; ``runlock.release`` lets go of it.
    """
    run_dir = Path(run_dir)
    recipe_path = run_dir / RECIPE_FILE
    if not recipe_path.is_file():
        from ganzoo.sweep.runner import member_recipe  # a sweep's run that never started, or died before writing it

        recipe = member_recipe(run_dir, registry, overrides)
        if recipe is not None:
            return start_run(recipe, registry, run_dir, progress)
        raise GanzooError(f"{run_dir} is not a ganzoo run directory (no {RECIPE_FILE}); give the folder `ganzoo run` printed")
    world = distributed.world_from_env()
    if world.is_main:
        runlock.acquire(run_dir)
    with _released_on_error(run_dir):
        check_layout(run_dir)
        checkpoint.remove_partial_writes(run_dir)
        if not checkpoint.list_checkpoints(run_dir):
            return _restart_run(run_dir, registry, progress, overrides)
        return _continue_run(run_dir, registry, progress, overrides)


def _restart_run(run_dir: Path, registry: Registry, progress, overrides) -> Trainer:
    """A run killed (or failed) before its first checkpoint: train it again from step 0, from its recipe.yaml."""
    recipe = load_recipe(run_dir / RECIPE_FILE, overrides, registry)
    trainer = Trainer(recipe, registry, run_dir, progress)
    if trainer.world.is_main:
        warnings.warn(f"{run_dir} has no checkpoint yet (the run stopped before its first one); "
                      "it starts again from step 0")
        truncate_metrics(run_dir, 0)
        write_text_atomic(run_dir / RECIPE_FILE, trainer.recipe_yaml)
    return trainer


def _continue_run(run_dir: Path, registry: Registry, progress, overrides) -> Trainer:
    recipe_path = run_dir / RECIPE_FILE
    state = checkpoint.load_checkpoint(run_dir)
    recipe = checkpoint.recipe_of(state, registry, overrides)
    trainer = Trainer(recipe, registry, run_dir, progress)
    trainer.load_state(state)
    checkpoint.check_progress(state, trainer.steps_per_epoch, trainer.batch_size)
    _refuse_fewer_epochs(trainer, overrides)
    if trainer.world.is_main:
        checkpoint.set_aside(state["passed_over"])  # damaged: never loaded or rotated again
        edited = _edited_recipe(recipe_path, state["recipe"])
        if edited:
            warnings.warn(f"{recipe_path} was edited ({edited}); the run goes on with the recipe in its "
                          f"checkpoint{' and the overrides' if overrides else ''}, and {RECIPE_FILE} is written "
                          "back to match: give changes as KEY=VALUE overrides to --resume")
        truncate_metrics(run_dir, trainer.steps_done)
        # e.g. train.epochs=10 to train on: the run's recipe says so from now on; and a recipe written in an
        # older layout (before duties, say) is written in today's, as the checkpoints to come hold it
        if overrides or edited or trainer.recipe_yaml != state["recipe"]:
            write_text_atomic(recipe_path, trainer.recipe_yaml)
        if trainer.steps_done == trainer.config.train.epochs * trainer.steps_per_epoch:
            warnings.warn(f"{run_dir} has trained all its {trainer.config.train.epochs} epochs: nothing to train; "
                          f"give train.epochs=N (more than {trainer.config.train.epochs}) to train on")
    return trainer


def _refuse_fewer_epochs(trainer: Trainer, overrides) -> None:
    """Resuming with fewer epochs than the run has done would train nothing: say so, before writing anything."""
    epochs = trainer.config.train.epochs
    if trainer.steps_done <= epochs * trainer.steps_per_epoch:
        return
    done = trainer.steps_done / trainer.steps_per_epoch
    raise GanzooError(f"{trainer.run_dir} has trained {done:g} epochs (step {trainer.steps_done}), more than "
                      f"train.epochs={epochs}: nothing would be trained; give train.epochs={math.ceil(done) + 1} "
                      "or more to train on")


def _edited_recipe(recipe_path: Path, checkpoint_recipe: str) -> Optional[str]:
    """Where the run folder's recipe.yaml differs from the recipe its checkpoint was written with; None if nowhere."""
    from omegaconf import OmegaConf

    try:
        on_disk = OmegaConf.to_container(OmegaConf.load(recipe_path), resolve=False)
    except Exception as error:  # noqa: BLE001 - any unreadable file counts as edited
        return f"it no longer reads as a recipe: {type(error).__name__}"
    return _first_difference(on_disk, OmegaConf.to_container(OmegaConf.create(checkpoint_recipe), resolve=False))


def _first_difference(edited: Any, original: Any, prefix: str = "") -> Optional[str]:
    if isinstance(edited, dict) and isinstance(original, dict):
        for key in sorted(set(edited) | set(original), key=str):
            dotted = f"{prefix}.{key}" if prefix else str(key)
            found = _first_difference(edited.get(key), original.get(key), dotted)
            if found:
                return found
        return None
    if edited != original:
        return f"{prefix or 'the whole file'}: {edited!r} there, {original!r} in the checkpoint"
    return None
