"""The progress duty: drives the run's progress display (a rich bar, or plain lines) from the events."""

from __future__ import annotations

from ganzoo.algorithm import PRIORITIES, Callback


class ProgressLine(Callback):
    """Starts the display, advances it each step, shows each logged record and each epoch's summary
    (main process), and closes it however training stops. Evaluation records are shown by the
    evaluation duty's message, not here."""

    priority = PRIORITIES["very_high"] + 10

    def __init__(self, params=None):
        pass

    def setup(self, run) -> None:
        run.progress.start(run.recipe.config.train.epochs, run.total_steps, run.step)

    def after_step(self, run) -> None:
        run.progress.advance()

    def on_log(self, run, record) -> None:
        if run.is_main and "eval" not in record:
            run.progress.log(record)

    def end_epoch(self, run, epoch: int) -> None:
        if run.is_main:
            run.progress.end_epoch(epoch)  # a summary line that stays on the terminal

    def teardown(self, run) -> None:
        run.progress.close()
