"""The generic adversarial trainer.

It knows nothing of particular models or datasets: it builds what the recipe
names through the registry, holds the whole dataset on the training device,
shuffles it by index each epoch, and alternates discriminator and generator
steps. The only host syncs are at logging steps.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Optional

import torch

from ganzoo import checkpoint, distributed, divergence, fused_step
from ganzoo.components import (build_loss, build_models, build_optimizer, discriminate, generate,
                               is_conditional, resolve_device,
                               set_requires_grad)
from ganzoo.data import ImageData
from ganzoo.data_record import load_recorded_data
from ganzoo.ema import GeneratorEMA
from ganzoo.errors import GanzooError
from ganzoo.files import write_atomic, write_text_atomic
from ganzoo.images import save_grid
from ganzoo.losses import LossContext
from ganzoo.optimizer_step import OptimizerStep
from ganzoo.plots import write_loss_plot
from ganzoo.progress import PlainProgress
from ganzoo.recipe import Recipe, build_recipe
from ganzoo.registry import Registry

RECIPE_FILE = "recipe.yaml"
METRICS_FILE = "metrics.jsonl"
SAMPLES_FOLDER = "samples"
LOSS_PLOT_FILE = "losses.png"


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

    def __init__(self, run_dir: Path, step: int):
        super().__init__(f"interrupted at step {step}")
        self.run_dir, self.step = run_dir, step


class _Window:
    """Sums of the logged quantities since the last log, kept on the device (no sync)."""

    def __init__(self, device: torch.device, start_step: int = 0):
        self.d = torch.zeros(3, device=device)  # d_loss, D(x), D(G(z))
        self.g = torch.zeros(1, device=device)
        self.d_count = 0
        self.g_count = 0
        self.skipped = 0  # updates left out for non-finite values (train.on_nonfinite=skip)
        self.start_step = start_step  # the step the window opened after
        self.images = 0
        self.started = time.perf_counter()

    def state(self) -> dict:
        return {"d": self.d.cpu(), "g": self.g.cpu(), "d_count": self.d_count, "g_count": self.g_count,
                "skipped": self.skipped, "start_step": self.start_step}

    def load(self, state: dict) -> None:
        self.d.copy_(state["d"])
        self.g.copy_(state["g"])
        self.d_count, self.g_count = int(state["d_count"]), int(state["g_count"])
        self.skipped = int(state.get("skipped", 0))
        self.start_step = int(state.get("start_step", self.start_step))


class Trainer:
    def __init__(self, recipe: Recipe, registry: Registry, run_dir: str | Path, progress=None):
        self.recipe = recipe
        self.recipe_yaml = recipe.to_yaml()  # for checkpoints: resolving it takes ~20 ms, once is enough
        self.config = recipe.config
        self.run_dir = Path(run_dir)
        self.progress = progress or PlainProgress()
        train = self.config.train
        self.world = distributed.world_from_env()
        self.device = distributed.device_for(self.world, resolve_device(train.device))
        distributed.init_process_group(self.world, self.device)
        self.batch_size, self.d_steps, self.log_every = train.batch_size, train.d_steps, train.log_every
        if self.batch_size % self.world.size:
            raise GanzooError(f"train.batch_size={self.batch_size} is the global batch: it must divide evenly "
                              f"among {self.world.size} processes")
        self.shard_size = self.batch_size // self.world.size  # this process's part of each batch
        self.skip_nonfinite = train.on_nonfinite == "skip"
        self.bf16 = train.precision == "bf16"  # read once: recipe lookups cost microseconds per step

        if train.threads is not None:
            torch.set_num_threads(train.threads)
        _check_evaluation(registry, recipe)
        torch.manual_seed(self.config.seed)  # model initialisation
        data: ImageData = load_recorded_data(registry, recipe)
        self.recipe_yaml = recipe.to_yaml()  # now naming the data it read (ganzoo.data_record)
        self.spec = data.spec
        self.steps_per_epoch = len(data) // self.batch_size
        if self.steps_per_epoch == 0:
            raise GanzooError(f"the dataset has {len(data)} images, fewer than train.batch_size={self.batch_size}; "
                              "lower the batch size")
        self.images = data.images.to(self.device)
        self.labels = data.labels.to(self.device) if data.labels is not None else None
        self.plot, self.figures = data.plot, data.figures  # for data that are not images
        self.generator, self.discriminator = build_models(registry, recipe, self.spec, self.device)
        self.ema = GeneratorEMA(self.generator, train.ema_decay) if train.ema_decay > 0 else None
        self.loss = build_loss(registry, recipe)
        self.opt_g = build_optimizer(self.config.optimizers.generator, self.generator.parameters(), self.device)
        self.opt_d = build_optimizer(self.config.optimizers.discriminator, self.discriminator.parameters(), self.device)
        self.d_params = list(self.discriminator.parameters())
        self.step_g, self.step_d = OptimizerStep(self.opt_g), OptimizerStep(self.opt_d)  # opt.step(), faster
        # The modules that take training steps: DDP wrappers that average gradients across
        # processes, or the models themselves in a single process.
        self.g_train, self.d_train = self.generator, self.discriminator
        if self.world.distributed:
            from torch.nn.parallel import DistributedDataParallel as DDP

            self.g_train, self.d_train = DDP(self.generator), DDP(self.discriminator)

        self.fused, self.fused_reason = self._plan_fused_step(train.step)

        seed = self.config.seed
        self.noise_rng = torch.Generator(self.device).manual_seed(seed + 1)
        self.shuffle_rng = torch.Generator().manual_seed(seed + 2)
        self.epoch_shuffle_state = self.shuffle_rng.get_state()
        grid_rng = torch.Generator().manual_seed(seed + 3)
        grid = self.config.output.grid_size
        self.grid_noise = torch.randn(grid, self.generator.latent_dim, generator=grid_rng).to(self.device)
        self.grid_labels = (torch.arange(grid, device=self.device) % self.spec.num_classes
                            if self.spec.num_classes else None)
        self.step = 0
        self.window = _Window(self.device)
        self.evaluator = _make_evaluator(registry, recipe, self.spec, self.device)  # None unless eval.every > 0
        self.stop_requested = False  # set from a signal handler; honoured between steps

    def _plan_fused_step(self, setting: str):
        """ganzoo.fused_step's hand-written steps where they apply, else None and why not.
        ``train.step: fused`` makes a run that cannot have them fail instead."""
        if setting == "autograd":
            return None, "train.step is autograd"
        found, reason = self._fused_steps()
        if found is None and setting == "fused":
            raise GanzooError(f"train.step=fused, but {reason}; use train.step=auto or autograd")
        return found, reason

    def _fused_steps(self):
        if self.device.type != "cpu":
            return None, f"fused steps run on the CPU only, not on {self.device.type}"
        if self.world.distributed:
            return None, "fused steps do not run under --nproc"
        if self.bf16:
            return None, "fused steps compute in float32, not under train.precision=bf16"
        if is_conditional(self.generator) or is_conditional(self.discriminator):
            return None, "the models take labels, which fused steps do not"
        found = fused_step.plan(self.generator, self.discriminator, self.generator.latent_dim,
                                self.spec.image_shape, self.device)
        return (None, found) if isinstance(found, str) else (found, None)

    # ---------------------------------------------------------------- steps
    def shard(self, batch: torch.Tensor) -> torch.Tensor:
        """This process's part of a global batch (all of it in a single process)."""
        if not self.world.distributed:
            return batch
        start = self.world.rank * self.shard_size
        return batch[start:start + self.shard_size]

    def gather(self, index: torch.Tensor) -> torch.Tensor:
        """The images at ``index``: a copy of whole rows (several times faster than images[index]),
        made where the fused step reads them when it runs."""
        if self.fused is not None:
            return self.fused.gather_real(self.images, index)
        return self.images.index_select(0, index)

    def noise(self) -> torch.Tensor:
        """This process's part of a fresh global batch of noise: the same numbers in any world size."""
        z = torch.randn(self.batch_size, self.generator.latent_dim, device=self.device, generator=self.noise_rng)
        return self.shard(z)

    def mixed_precision(self):
        """bfloat16 autocast for the forward passes when ``train.precision: bf16``; else nothing."""
        if self.bf16:
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def update_is_finite(self, loss: torch.Tensor, model: torch.nn.Module) -> bool:
        """Whether to apply this update (train.on_nonfinite=skip). Each process sees its own loss,
        so all of them agree to skip when any would: otherwise their weights would part ways."""
        finite = divergence.update_is_finite(loss, model)
        return not distributed.any_rank(not finite, self.world, self.device)

    def train_step(self, real: torch.Tensor, labels: Optional[torch.Tensor]) -> None:
        # Discriminator step: real batch against a fresh fake batch.
        d_loss, real_logits, fake_logits = self.discriminator_gradients(real, labels)
        if self.apply_update(self.step_d, self.discriminator, d_loss):
            self.window.d += torch.stack([d_loss, torch.sigmoid(real_logits).mean(), torch.sigmoid(fake_logits).mean()])
            self.window.d_count += 1

        # Generator step, once every d_steps discriminator steps.
        if (self.step + 1) % self.d_steps == 0:
            g_loss = self.generator_gradients(real, labels)
            if self.apply_update(self.step_g, self.generator, g_loss):
                if self.ema is not None:
                    self.ema.update(self.generator)
                self.window.g += g_loss
                self.window.g_count += 1
        self.step += 1
        self.window.images += self.batch_size

    def discriminator_gradients(self, real, labels):
        """D's loss, with its gradients left on D's parameters; returns (d_loss, real_logits, fake_logits)."""
        G, D, loss = self.generator, self.discriminator, self.loss
        context = lambda real, fake: LossContext(D, real, fake, labels, self.step)  # noqa: E731
        if self.fused is not None:
            # The G step's noise too, when one follows: drawn now, it is the same numbers, as nothing
            # else draws from noise_rng in between.
            z = self.noise()
            z_next = self.noise() if (self.step + 1) % self.d_steps == 0 else None
            with torch.no_grad():
                return self.fused.discriminator_step(real, z, loss, context, z_next)
        with torch.no_grad(), self.mixed_precision():
            fake = generate(G, self.noise(), labels)
        with self.mixed_precision():
            real_logits, fake_logits = discriminate(self.d_train, real, labels), discriminate(self.d_train, fake, labels)
        real_logits, fake_logits = real_logits.float(), fake_logits.float()  # losses are taken in float32
        d_loss = loss.discriminator_loss(real_logits, fake_logits, context(real, fake))
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        return d_loss.detach(), real_logits.detach(), fake_logits.detach()

    def generator_gradients(self, real, labels):
        """G's loss, with its gradients left on G's parameters (none on D's)."""
        D, loss = self.discriminator, self.loss
        context = lambda fake: LossContext(D, real, fake, labels, self.step)  # noqa: E731
        if self.fused is not None:  # differentiates by the logits and images only: no gradients for D's weights
            with torch.no_grad():
                return self.fused.generator_step(loss, context, self.noise)
        set_requires_grad(self.d_params, False)  # G's step needs no gradients for D's weights
        try:
            with self.mixed_precision():
                fake = generate(self.g_train, self.noise(), labels)
                fake_logits = discriminate(D, fake, labels).float()
            g_loss = loss.generator_loss(fake_logits, context(fake))
        finally:
            set_requires_grad(self.d_params, True)
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        return g_loss.detach()

    def apply_update(self, optimizer_step: OptimizerStep, model, loss) -> bool:
        """Step the optimiser on the gradients the model holds, unless train.on_nonfinite=skip refuses them."""
        if self.skip_nonfinite and not self.update_is_finite(loss, model):
            self.window.skipped += 1
            return False
        optimizer_step()
        return True

    # ---------------------------------------------------------------- loop
    def fit(self) -> Path:
        epochs = self.config.train.epochs
        total = epochs * self.steps_per_epoch
        if self.world.is_main:
            self.progress.message(f"training on {self.device.type}: " + (
                "fused steps (train.step in docs/recipes.md)" if self.fused is not None
                else f"autograd steps ({self.fused_reason})"))
        self.progress.start(epochs, total, self.step)
        try:
            while self.step < total:
                epoch, first = divmod(self.step, self.steps_per_epoch)
                self.shuffle_rng.set_state(self.epoch_shuffle_state)
                order = torch.randperm(len(self.images), generator=self.shuffle_rng).to(self.device)
                for batch in range(first, self.steps_per_epoch):
                    index = self.shard(order[batch * self.batch_size:(batch + 1) * self.batch_size])
                    self.train_step(self.gather(index),
                                    self.labels.index_select(0, index) if self.labels is not None else None)
                    self.progress.advance()
                    logged = self.step % self.log_every == 0
                    if logged:
                        self.log(epoch + 1)
                    if self.must_stop(logged) and batch + 1 < self.steps_per_epoch:
                        self.save_checkpoint()
                        raise TrainingInterrupted(self.run_dir, self.step)
                self.epoch_shuffle_state = self.shuffle_rng.get_state()
                self.end_epoch(epoch + 1)  # writes the checkpoint a stop at the epoch's last step needs
                if self.must_stop(True) and self.step < total:
                    raise TrainingInterrupted(self.run_dir, self.step)
        finally:
            self.progress.close()
        if self.world.is_main:
            write_loss_plot(self.run_dir / METRICS_FILE, self.run_dir / LOSS_PLOT_FILE)
        return self.run_dir

    def must_stop(self, logged: bool) -> bool:
        if not self.world.distributed:
            return self.stop_requested
        # Processes agree to stop at logging steps only: no extra sync on other steps.
        return logged and distributed.any_rank(self.stop_requested, self.world, self.device)

    def log(self, epoch: int) -> Optional[dict[str, Any]]:
        window = self.window
        if window.d_count == 0:
            if window.skipped:  # on_nonfinite=skip, and every update since the last log was skipped
                raise divergence.diverged("every loss", window.start_step, self.step, self.run_dir)
            return None
        distributed.mean_over_ranks(window.d, self.world)
        distributed.mean_over_ranks(window.g, self.world)
        d_loss, d_real, d_fake = (window.d / window.d_count).tolist()  # the host sync
        g_loss = (window.g / window.g_count).item() if window.g_count else None
        elapsed = time.perf_counter() - window.started
        record = {"step": self.step, "epoch": epoch, "d_loss": d_loss, "g_loss": g_loss,
                  "d_real": d_real, "d_fake": d_fake,
                  "images_per_sec": window.images / elapsed if elapsed > 0 else 0.0}
        if self.skip_nonfinite:
            record["skipped"] = window.skipped
        bad = [k for k in ("d_loss", "g_loss") if record[k] is not None and not math.isfinite(record[k])]
        if bad:
            raise divergence.diverged(f"{bad[0]} ({record[bad[0]]})", window.start_step, self.step, self.run_dir)
        self.check_weights()
        if self.world.is_main:
            try:
                with open(self.run_dir / METRICS_FILE, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps(record) + "\n")
            except OSError as error:
                raise GanzooError(f"cannot write {self.run_dir / METRICS_FILE}: {error.strerror or error}; "
                                  "free disk space or fix the folder's permissions, then resume the run") from None
            self.progress.log(record)
            if window.skipped:
                self.progress.message(f"skipped {window.skipped} updates with non-finite losses or gradients "
                                      f"in steps {window.start_step + 1} to {self.step}")
        self.window = _Window(self.device, self.step)
        return record

    def check_weights(self) -> None:
        """Stop with the divergence error if a model's weights are no longer all finite."""
        broken = divergence.first_nonfinite_module({"generator": self.generator, "discriminator": self.discriminator})
        if broken:
            raise divergence.diverged(f"the {broken}'s weights", self.window.start_step, self.step, self.run_dir)

    def end_epoch(self, epoch: int) -> None:
        self.log(epoch)
        if self.world.is_main:
            self.progress.end_epoch(epoch)  # a summary line that stays on the terminal
            self.evaluate(epoch)
            self.save_grid(self.run_dir / SAMPLES_FOLDER / f"epoch-{epoch:03d}.png")
            write_loss_plot(self.run_dir / METRICS_FILE, self.run_dir / LOSS_PLOT_FILE)  # to watch as it trains
        self.save_checkpoint()

    def evaluate(self, epoch: int) -> None:
        """Every ``eval.every`` epochs and after the last, log the generator's metrics into metrics.jsonl."""
        every, last = self.config.eval.every, self.config.train.epochs
        if self.evaluator is None or (epoch % every and epoch != last):
            return
        generator = self.ema.model if self.ema is not None else self.generator  # what samples come from
        scores = self.evaluator.score_generator(generator, self.spec, self.config.eval.n, self.config.eval.seed)
        record = {"step": self.step, "epoch": epoch, "eval": {key: entry["value"] for key, entry in scores.items()}}
        with open(self.run_dir / METRICS_FILE, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
        self.progress.message(f"epoch {epoch} eval ({self.config.eval.n} images): "
                              + "  ".join(f"{key} {value:.4g}" for key, value in record["eval"].items()))

    def save_grid(self, path: Path) -> None:
        """The fixed-noise samples, from the EMA generator when on: an image grid, or the data's plot."""
        G = self.ema.model if self.ema is not None else self.generator
        was_training = G.training
        G.eval()
        with torch.no_grad():
            images = generate(G, self.grid_noise, self.grid_labels)
        G.train(was_training)
        if self.plot is not None:
            png = self.plot(images.cpu())
            write_atomic(path, lambda handle: handle.write(png))
        else:
            save_grid(images, path)
        if self.figures is not None:
            figures = self.figures(images.cpu())
            self.progress.message(f"{path.stem} samples: " + "  ".join(f"{k} {v:.4g}" for k, v in figures.items()))

    # ---------------------------------------------------------------- state
    def state(self) -> dict[str, Any]:
        return {
            "recipe": self.recipe_yaml,
            "data_spec": self.spec.to_dict(),
            "step": self.step,
            "generator": self.generator.state_dict(),
            "discriminator": self.discriminator.state_dict(),
            "optimizers": {"generator": self.opt_g.state_dict(), "discriminator": self.opt_d.state_dict()},
            "rng": {
                "torch": torch.get_rng_state(),
                "cuda": torch.cuda.get_rng_state_all() if self.device.type == "cuda" else [],
                "noise": self.noise_rng.get_state().cpu(),
                "epoch_shuffle": self.epoch_shuffle_state,
            },
            "window": self.window.state(),
            **({"generator_ema": self.ema.state_dict()} if self.ema is not None else {}),
        }

    def save_checkpoint(self) -> Optional[Path]:
        """Write a checkpoint of the current state; a non-finite state is refused, keeping the last good one.

        Rank 0 writes it; the other processes wait until it is on disk.
        """
        if not self.skip_nonfinite and not divergence.all_finite([self.window.d, self.window.g]):
            raise divergence.diverged("the loss", self.window.start_step, self.step, self.run_dir)
        self.check_weights()
        path = None
        if self.world.is_main:
            path = checkpoint.save_checkpoint(self.run_dir, self.state(), self.config.output.keep_checkpoints)
        distributed.barrier(self.world)
        return path

    def load_state(self, state: dict[str, Any]) -> None:
        try:
            self.generator.load_state_dict(state["generator"])
            self.discriminator.load_state_dict(state["discriminator"])
            self.opt_g.load_state_dict(state["optimizers"]["generator"])
            self.opt_d.load_state_dict(state["optimizers"]["discriminator"])
            if self.ema is not None:
                # a run that turns the EMA on when resumed starts it from the current weights
                self.ema.load_state_dict(state.get("generator_ema") or
                                         {"model": self.generator.state_dict(), "updates": 0})
        except (RuntimeError, KeyError, ValueError, TypeError) as error:
            raise GanzooError(f"checkpoint '{state.get('path')}' does not fit this recipe's models "
                              f"({str(error).strip().splitlines()[0][:200]}); resume with the recipe it was written by") from None
        try:
            self.step = int(state["step"])
            rng = state["rng"]
            torch.set_rng_state(rng["torch"])
            if rng["cuda"] and self.device.type == "cuda":
                torch.cuda.set_rng_state_all(rng["cuda"])
            self.noise_rng.set_state(rng["noise"])
            self.epoch_shuffle_state = rng["epoch_shuffle"]
            self.window.load(state["window"])
        except (RuntimeError, KeyError, ValueError, TypeError) as error:
            raise GanzooError(f"checkpoint '{state.get('path')}' lacks a usable training state "
                              f"({type(error).__name__}: {str(error).strip()[:100]}); it cannot be resumed, "
                              "but `ganzoo sample` can still use its generator") from None


def _check_evaluation(registry: Registry, recipe: Recipe) -> None:
    """A bad eval.metrics, or evaluation of data the metrics cannot score, fails before any work."""
    from ganzoo.evaluation import build_metrics, check_dataset

    build_metrics(registry, recipe)
    if recipe.config.eval.every > 0:
        check_dataset(recipe, "set eval.every=0 to train without evaluation")


def _make_evaluator(registry: Registry, recipe: Recipe, spec, device: torch.device):
    from ganzoo.evaluation import Evaluator, check_image_shape

    if recipe.config.eval.every == 0:
        return None
    check_image_shape(spec)
    return Evaluator(registry, recipe, device=device)


def start_run(recipe: Recipe, registry: Registry, out: str | Path | None = None, progress=None) -> Trainer:
    """Create the run directory, write the resolved recipe, and return a ready trainer."""
    world = distributed.world_from_env()
    run_dir = Path(out) if out else new_run_dir(recipe)
    if world.is_main and (run_dir / RECIPE_FILE).exists():
        raise GanzooError(f"{run_dir} already holds a run; resume it with --resume {run_dir} or choose another --out")
    trainer = Trainer(recipe, registry, run_dir, progress)  # builds everything before touching the disk
    trainer.run_dir = run_dir = Path(distributed.broadcast_object(str(run_dir), world))  # one folder for all
    if world.is_main:
        write_text_atomic(run_dir / RECIPE_FILE, trainer.recipe_yaml)
    return trainer


def resume_run(run_dir: str | Path, registry: Registry, progress=None, overrides=()) -> Trainer:
    """Rebuild a run from its directory and restore its newest checkpoint."""
    run_dir = Path(run_dir)
    recipe_path = run_dir / RECIPE_FILE
    if not recipe_path.is_file():
        raise GanzooError(f"{run_dir} is not a ganzoo run directory (no {RECIPE_FILE}); give the folder `ganzoo run` printed")
    checkpoint.remove_partial_writes(run_dir)
    state = checkpoint.load_checkpoint(run_dir)
    from omegaconf import OmegaConf

    recipe = build_recipe(OmegaConf.create(state["recipe"]), overrides, registry, source=str(recipe_path))
    trainer = Trainer(recipe, registry, run_dir, progress)
    trainer.load_state(state)
    if trainer.world.is_main:
        _truncate_metrics(run_dir / METRICS_FILE, trainer.step)
        if overrides:  # e.g. train.epochs=10 to train on: the run's recipe says so from now on
            write_text_atomic(recipe_path, trainer.recipe_yaml)
    return trainer


def _truncate_metrics(path: Path, step: int) -> None:
    """Drop metric lines logged after ``step``: the resumed run logs them again."""
    if not path.exists():
        return
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    keep = [line for line in lines if (logged := _logged_step(line)) is not None and logged <= step]
    write_text_atomic(path, "".join(line + "\n" for line in keep))


def _logged_step(line: str) -> Optional[int]:
    """The step of a metrics line; None for a line a killed process left half-written."""
    try:
        return int(json.loads(line)["step"])
    except (ValueError, KeyError, TypeError):
        return None
