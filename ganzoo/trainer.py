"""The generic adversarial trainer.

It knows nothing of particular models or datasets: it builds what the recipe
names through the registry, holds the whole dataset on the training device,
shuffles it by index each epoch, and alternates discriminator and generator
steps. The only host syncs are at logging steps.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Optional

import torch

from ganzoo import checkpoint
from ganzoo.components import (build_loss, build_models, build_optimizer, discriminate, generate,
                               load_data, resolve_device)
from ganzoo.data import ImageData
from ganzoo.errors import GanzooError
from ganzoo.files import write_text_atomic
from ganzoo.images import save_grid
from ganzoo.losses import LossContext
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

    def __init__(self, device: torch.device):
        self.d = torch.zeros(3, device=device)  # d_loss, D(x), D(G(z))
        self.g = torch.zeros(1, device=device)
        self.d_count = 0
        self.g_count = 0
        self.images = 0
        self.started = time.perf_counter()

    def state(self) -> dict:
        return {"d": self.d.cpu(), "g": self.g.cpu(), "d_count": self.d_count, "g_count": self.g_count}

    def load(self, state: dict) -> None:
        self.d.copy_(state["d"])
        self.g.copy_(state["g"])
        self.d_count, self.g_count = int(state["d_count"]), int(state["g_count"])


class Trainer:
    def __init__(self, recipe: Recipe, registry: Registry, run_dir: str | Path, progress=None):
        self.recipe = recipe
        self.config = recipe.config
        self.run_dir = Path(run_dir)
        self.progress = progress or PlainProgress()
        train = self.config.train
        self.device = resolve_device(train.device)
        self.batch_size, self.d_steps, self.log_every = train.batch_size, train.d_steps, train.log_every

        torch.manual_seed(self.config.seed)  # model initialisation
        data: ImageData = load_data(registry, recipe)
        self.spec = data.spec
        self.steps_per_epoch = len(data) // self.batch_size
        if self.steps_per_epoch == 0:
            raise GanzooError(f"the dataset has {len(data)} images, fewer than train.batch_size={self.batch_size}; "
                              "lower the batch size")
        self.images = data.images.to(self.device)
        self.labels = data.labels.to(self.device) if data.labels is not None else None
        self.generator, self.discriminator = build_models(registry, recipe, self.spec, self.device)
        self.loss = build_loss(registry, recipe)
        self.opt_g = build_optimizer(self.config.optimizers.generator, self.generator.parameters(), self.device)
        self.opt_d = build_optimizer(self.config.optimizers.discriminator, self.discriminator.parameters(), self.device)

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

    # ---------------------------------------------------------------- steps
    def noise(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.generator.latent_dim, device=self.device, generator=self.noise_rng)

    def train_step(self, real: torch.Tensor, labels: Optional[torch.Tensor]) -> None:
        G, D, loss = self.generator, self.discriminator, self.loss
        # Discriminator step: real batch against a fresh fake batch.
        with torch.no_grad():
            fake = generate(G, self.noise(real.shape[0]), labels)
        real_logits, fake_logits = discriminate(D, real, labels), discriminate(D, fake, labels)
        d_loss = loss.discriminator_loss(real_logits, fake_logits, LossContext(D, real, fake, labels, self.step))
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()
        self.window.d += torch.stack([d_loss.detach(), torch.sigmoid(real_logits.detach()).mean(),
                                      torch.sigmoid(fake_logits.detach()).mean()])
        self.window.d_count += 1

        # Generator step, once every d_steps discriminator steps.
        if (self.step + 1) % self.d_steps == 0:
            fake = generate(G, self.noise(real.shape[0]), labels)
            D.requires_grad_(False)  # G's step needs no gradients for D's weights
            fake_logits = discriminate(D, fake, labels)
            g_loss = loss.generator_loss(fake_logits, LossContext(D, real, fake, labels, self.step))
            D.requires_grad_(True)
            self.opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            self.opt_g.step()
            self.window.g += g_loss.detach()
            self.window.g_count += 1
        self.step += 1
        self.window.images += real.shape[0]

    # ---------------------------------------------------------------- loop
    def fit(self) -> Path:
        epochs = self.config.train.epochs
        total = epochs * self.steps_per_epoch
        self.progress.start(epochs, total, self.step)
        try:
            while self.step < total:
                epoch, first = divmod(self.step, self.steps_per_epoch)
                self.shuffle_rng.set_state(self.epoch_shuffle_state)
                order = torch.randperm(len(self.images), generator=self.shuffle_rng).to(self.device)
                for batch in range(first, self.steps_per_epoch):
                    index = order[batch * self.batch_size:(batch + 1) * self.batch_size]
                    self.train_step(self.images[index], self.labels[index] if self.labels is not None else None)
                    self.progress.advance()
                    if self.step % self.log_every == 0:
                        self.log(epoch + 1)
                    if self.stop_requested:
                        self.save_checkpoint()
                        raise TrainingInterrupted(self.run_dir, self.step)
                self.epoch_shuffle_state = self.shuffle_rng.get_state()
                self.end_epoch(epoch + 1)
        finally:
            self.progress.close()
        write_loss_plot(self.run_dir / METRICS_FILE, self.run_dir / LOSS_PLOT_FILE)
        return self.run_dir

    def log(self, epoch: int) -> Optional[dict[str, Any]]:
        window = self.window
        if window.d_count == 0:
            return None
        d_loss, d_real, d_fake = (window.d / window.d_count).tolist()  # the host sync
        g_loss = (window.g / window.g_count).item() if window.g_count else None
        elapsed = time.perf_counter() - window.started
        record = {"step": self.step, "epoch": epoch, "d_loss": d_loss, "g_loss": g_loss,
                  "d_real": d_real, "d_fake": d_fake,
                  "images_per_sec": window.images / elapsed if elapsed > 0 else 0.0}
        bad = [k for k in ("d_loss", "g_loss") if record[k] is not None and not _finite(record[k])]
        if bad:
            last = checkpoint.list_checkpoints(self.run_dir)
            kept = f"the last good checkpoint is {last[-1]}" if last else "no checkpoint was written"
            raise GanzooError(f"{bad[0]} became {record[bad[0]]} by step {self.step}: training diverged; {kept}. "
                              "Lower the learning rates or change the loss, then run again")
        with open(self.run_dir / METRICS_FILE, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
        self.progress.log(record)
        self.window = _Window(self.device)
        return record

    def end_epoch(self, epoch: int) -> None:
        self.log(epoch)
        self.evaluate(epoch)
        self.save_grid(self.run_dir / SAMPLES_FOLDER / f"epoch-{epoch:03d}.png")
        self.save_checkpoint()

    def evaluate(self, epoch: int) -> None:
        """Every ``eval.every`` epochs and after the last, log the generator's metrics into metrics.jsonl."""
        every, last = self.config.eval.every, self.config.train.epochs
        if self.evaluator is None or (epoch % every and epoch != last):
            return
        scores = self.evaluator.score_generator(self.generator, self.spec, self.config.eval.n, self.config.eval.seed)
        record = {"step": self.step, "epoch": epoch, "eval": {key: entry["value"] for key, entry in scores.items()}}
        with open(self.run_dir / METRICS_FILE, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
        self.progress.message(f"epoch {epoch} eval ({self.config.eval.n} images): "
                              + "  ".join(f"{key} {value:.4g}" for key, value in record["eval"].items()))

    def save_grid(self, path: Path) -> None:
        G = self.generator
        was_training = G.training
        G.eval()
        with torch.no_grad():
            images = generate(G, self.grid_noise, self.grid_labels)
        G.train(was_training)
        save_grid(images, path)

    # ---------------------------------------------------------------- state
    def state(self) -> dict[str, Any]:
        return {
            "recipe": self.recipe.to_yaml(),
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
        }

    def save_checkpoint(self) -> Path:
        return checkpoint.save_checkpoint(self.run_dir, self.state(), self.config.output.keep_checkpoints)

    def load_state(self, state: dict[str, Any]) -> None:
        try:
            self.generator.load_state_dict(state["generator"])
            self.discriminator.load_state_dict(state["discriminator"])
            self.opt_g.load_state_dict(state["optimizers"]["generator"])
            self.opt_d.load_state_dict(state["optimizers"]["discriminator"])
        except (RuntimeError, KeyError, ValueError) as error:
            raise GanzooError(f"checkpoint '{state.get('path')}' does not fit this recipe's models "
                              f"({str(error).strip().splitlines()[0][:200]}); resume with the recipe it was written by") from None
        self.step = int(state["step"])
        rng = state["rng"]
        torch.set_rng_state(rng["torch"])
        if rng["cuda"] and self.device.type == "cuda":
            torch.cuda.set_rng_state_all(rng["cuda"])
        self.noise_rng.set_state(rng["noise"])
        self.epoch_shuffle_state = rng["epoch_shuffle"]
        self.window.load(state["window"])


def _make_evaluator(registry: Registry, recipe: Recipe, spec, device: torch.device):
    from ganzoo.evaluation import Evaluator, build_metrics, check_image_shape

    build_metrics(registry, recipe)  # a bad eval.metrics fails now, not after training
    if recipe.config.eval.every == 0:
        return None
    check_image_shape(spec)
    return Evaluator(registry, recipe, device=device)


def _finite(value: float) -> bool:
    return value == value and value not in (float("inf"), float("-inf"))


def start_run(recipe: Recipe, registry: Registry, out: str | Path | None = None, progress=None) -> Trainer:
    """Create the run directory, write the resolved recipe, and return a ready trainer."""
    run_dir = Path(out) if out else new_run_dir(recipe)
    if (run_dir / RECIPE_FILE).exists():
        raise GanzooError(f"{run_dir} already holds a run; resume it with --resume {run_dir} or choose another --out")
    trainer = Trainer(recipe, registry, run_dir, progress)  # builds everything before touching the disk
    write_text_atomic(run_dir / RECIPE_FILE, recipe.to_yaml())
    return trainer


def resume_run(run_dir: str | Path, registry: Registry, progress=None, overrides=()) -> Trainer:
    """Rebuild a run from its directory and restore its newest checkpoint."""
    run_dir = Path(run_dir)
    recipe_path = run_dir / RECIPE_FILE
    if not recipe_path.is_file():
        raise GanzooError(f"{run_dir} is not a ganzoo run directory (no {RECIPE_FILE}); give the folder `ganzoo run` printed")
    state = checkpoint.load_checkpoint(run_dir)
    from omegaconf import OmegaConf

    recipe = build_recipe(OmegaConf.create(state["recipe"]), overrides, registry, source=str(recipe_path))
    trainer = Trainer(recipe, registry, run_dir, progress)
    trainer.load_state(state)
    _truncate_metrics(run_dir / METRICS_FILE, trainer.step)
    return trainer


def _truncate_metrics(path: Path, step: int) -> None:
    """Drop metric lines logged after ``step``: the resumed run logs them again."""
    if not path.exists():
        return
    keep = [line for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and json.loads(line)["step"] <= step]
    write_text_atomic(path, "".join(line + "\n" for line in keep))
