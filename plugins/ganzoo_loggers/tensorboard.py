"""The TensorBoard logger: every logged scalar and each epoch's sample grid, in RUN_DIR/tensorboard."""

from __future__ import annotations

from dataclasses import dataclass

from ganzoo import Callback

from ganzoo_loggers.records import pixels_of, scalars_of

FOLDER = "tensorboard"


@dataclass
class TensorBoardParams:
    folder: str = FOLDER  # event files go to RUN_DIR/<folder>, a folder inside the run folder


class TensorBoardLogger(Callback):
    """Writes each metrics record as scalars (``d_loss``, ``lr/generator``, ``eval/fid``...) at its
    step, and each epoch's grid as the image ``samples``. Works only at logging steps and epoch
    ends; the event file is flushed there, so TensorBoard shows the run live. A resumed run
    purges what the first attempt logged after its checkpoint."""

    def __init__(self, params: TensorBoardParams):
        try:
            from torch.utils.tensorboard import SummaryWriter  # noqa: F401
        except ImportError as error:
            from ganzoo import GanzooError

            raise GanzooError("the tensorboard logger needs the tensorboard package, which is not installed: "
                              "pip install tensorboard (a dependency of ganzoo: reinstall ganzoo)") from error
        self.folder = params.folder
        self.writer = None

    def setup(self, run) -> None:
        if not run.is_main:
            return
        from torch.utils.tensorboard import SummaryWriter

        # purge_step: events at or after the step a resumed run restarts from are dropped
        self.writer = SummaryWriter(str(run.path(self.folder)), purge_step=run.step or None)

    def on_log(self, run, record) -> None:
        if self.writer is None:
            return
        for name, value in scalars_of(record).items():
            self.writer.add_scalar(name, value, record["step"])
        self.writer.flush()

    def on_grid(self, run, epoch: int, picture) -> None:
        if self.writer is not None:
            self.writer.add_image("samples", pixels_of(picture), run.step, dataformats="HWC")

    def end_epoch(self, run, epoch: int) -> None:
        if self.writer is not None:
            self.writer.flush()

    def end_run(self, run) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
