"""The Weights & Biases logger, offline by default: RUN_DIR/wandb, uploaded later with ``wandb sync``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Optional

from ganzoo import Callback

from ganzoo_loggers.records import missing_extra, pixels_of, scalars_of


@dataclass
class WandbParams:
    project: str = "ganzoo"
    mode: str = "offline"  # offline (nothing leaves the machine; `wandb sync` uploads) | online | disabled
    entity: Optional[str] = None

    def __post_init__(self):
        if self.mode not in ("offline", "online", "disabled"):
            raise ValueError(f"mode must be offline, online or disabled, got '{self.mode}'")


class WandbLogger(Callback):
    """One W&B run per ganzoo run: the recipe as its config, every logged scalar at its step, each
    epoch's grid as the image ``samples``. A resumed run goes on in the same W&B run (its id is
    kept in the checkpoint)."""

    name = "wandb"

    def __init__(self, params: WandbParams):
        try:
            import wandb  # noqa: F401
        except ImportError as error:
            raise missing_extra("wandb", "wandb", "wandb") from error
        self.params = params
        self.run = None
        self.run_id: Optional[str] = None

    def setup(self, run) -> None:
        if not run.is_main:
            return
        import wandb
        import yaml

        run.path("wandb")  # wandb writes RUN_DIR/wandb: refused if that is a symlink out of the run folder
        recipe = run.recipe_file
        config = yaml.safe_load(recipe.read_text()) if recipe.is_file() else {}
        self.run_id = self.run_id or uuid.uuid4().hex[:8]
        self.run = wandb.init(project=self.params.project, entity=self.params.entity, mode=self.params.mode,
                              dir=str(run.run_dir), name=run.run_dir.name, id=self.run_id, resume="allow",
                              config=config, settings=wandb.Settings(silent=True, console="off"))

    def on_log(self, run, record) -> None:
        if self.run is not None:
            self.run.log(scalars_of(record), step=record["step"])

    def on_grid(self, run, epoch: int, picture) -> None:
        if self.run is not None:
            import wandb

            self.run.log({"samples": wandb.Image(pixels_of(picture), caption=f"epoch {epoch}")}, step=run.step)

    def end_run(self, run) -> None:
        if self.run is not None:
            self.run.finish()
            self.run = None

    def state_dict(self):
        return {"logger": self.name, "run_id": self.run_id}

    def load_state_dict(self, state) -> None:
        if state.get("logger") == self.name:
            self.run_id = state.get("run_id")
