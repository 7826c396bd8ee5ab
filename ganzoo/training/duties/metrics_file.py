"""The metrics-file duty: every logged record as a line of RUN_DIR/metrics.jsonl."""

from __future__ import annotations

from ganzoo.algorithm import PRIORITIES, Callback
from ganzoo.training.run_folder import append_metrics


class MetricsFile(Callback):
    """First at ``on_log``: a record is on disk before other callbacks see it. Main process only.
    (A resumed run's file is cut back to its checkpoint by the trainer, which owns resuming.)"""

    priority = PRIORITIES["very_high"]

    def __init__(self, params=None):
        pass

    def on_log(self, run, record) -> None:
        if run.is_main:
            append_metrics(run.run_dir, record)
