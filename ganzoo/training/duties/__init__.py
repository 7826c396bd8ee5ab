"""The trainer's side duties, each a built-in callback (``ganzoo.Callback``) with its priority.

A recipe's ``duties`` section names them by slot; every recipe has the default set below, so a recipe
written before duties were callbacks runs them all. ``duties: {loss_plot: null}`` (or the override
``duties.loss_plot=null``) drops one; ``duties: {sample_grids: {name: my-grids}}`` replaces one with any
registered callback. A run's recipe.yaml records the duties that ran. They are registered through
``register_callbacks``, as any callback plugin's are (``ganzoo list --kind callback``), and their
settings stay where recipes have always had them (``train.ema_decay``, ``output.grid_size``,
``eval.every``, ``output.keep_checkpoints``).

This module stays light (recipes read ``DEFAULT_DUTIES``); each duty's module is imported when
registered.
"""

from __future__ import annotations

from dataclasses import dataclass

from ganzoo.hookspecs import hookimpl

#: slot -> the callback that does the duty by default, in the order they run when priorities tie
DEFAULT_DUTIES = {
    "metrics_file": "metrics-file",
    "progress": "progress",
    "ema": "ema",
    "evaluation": "evaluation",
    "sample_grids": "sample-grids",
    "loss_plot": "loss-plot",
    "checkpoints": "checkpoints",
}


@dataclass
class NoParams:
    """The duties take their settings from the recipe's train, output and eval sections."""


@hookimpl
def register_callbacks(register):
    from ganzoo.training.duties.checkpoints import Checkpoints
    from ganzoo.training.duties.ema import EMA
    from ganzoo.training.duties.evaluation import Evaluation
    from ganzoo.training.duties.loss_plot import LossPlot
    from ganzoo.training.duties.metrics_file import MetricsFile
    from ganzoo.training.duties.progress_line import ProgressLine
    from ganzoo.training.duties.sample_grids import SampleGrids

    register("metrics-file", MetricsFile, NoParams,
             "Duty: each logged record (and each evaluation) as a line of RUN_DIR/metrics.jsonl.")
    register("progress", ProgressLine, NoParams,
             "Duty: the progress bar or lines, a line per logged step and a summary per epoch.")
    register("ema", EMA, NoParams,
             "Duty: an EMA of the sample generator's weights when train.ema_decay > 0; grids, evaluation "
             "and `ganzoo sample` use it.")
    register("evaluation", Evaluation, NoParams,
             "Duty: scores the generator every eval.every epochs and after the last, into metrics.jsonl.")
    register("sample-grids", SampleGrids, NoParams,
             "Duty: each epoch's fixed-noise grid (or the data's plot) in RUN_DIR/samples, handed to on_grid.")
    register("loss-plot", LossPlot, NoParams, "Duty: RUN_DIR/losses.png, redrawn after each epoch.")
    register("checkpoints", Checkpoints, NoParams,
             "Duty: a checkpoint after each epoch (output.keep_checkpoints of them are kept).")
