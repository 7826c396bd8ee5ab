"""The loss-plot duty: RUN_DIR/losses.png from metrics.jsonl, after each epoch and at the end of the run."""

from __future__ import annotations

from ganzoo.algorithm import PRIORITIES, Callback
from ganzoo.output.plots import write_loss_plot
from ganzoo.training.run_folder import LOSS_PLOT_FILE, METRICS_FILE


class LossPlot(Callback):
    priority = PRIORITIES["above_normal"] + 5  # after the epoch's evaluation and grid

    def __init__(self, params=None):
        pass

    def end_epoch(self, run, epoch: int) -> None:
        if run.is_main:
            write_loss_plot(run.run_dir / METRICS_FILE, run.run_dir / LOSS_PLOT_FILE)  # to watch as it trains

    def end_run(self, run) -> None:
        if run.is_main:
            write_loss_plot(run.run_dir / METRICS_FILE, run.run_dir / LOSS_PLOT_FILE)
