"""The checkpoints duty: a checkpoint at the end of each epoch.

What a checkpoint holds, writing it (rotation: ``output.keep_checkpoints``) and resuming from it are the
trainer's (``run.save_checkpoint()``); this duty says when. Last at ``end_epoch``: the epoch's other
work is done. A stop requested during training is saved by the trainer whether or not this duty runs.
"""

from __future__ import annotations

from ganzoo.algorithm import PRIORITIES, Callback


class Checkpoints(Callback):
    priority = PRIORITIES["very_low"]

    def __init__(self, params=None):
        pass

    def end_epoch(self, run, epoch: int) -> None:
        run.save_checkpoint()
