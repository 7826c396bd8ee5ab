"""The evaluation duty: every ``eval.every`` epochs and after the last, the generator's scores in metrics.jsonl.

Scores the EMA generator when it is kept (``run.sampler()``); translation runs are scored on their own
held-out data, by direction (``a2b_psnr``...). Both through ``ganzoo eval``'s scoring path (its
``Evaluator``: the same metric plugins and feature extractors). The record (step, epoch, ``eval``: metric -> value) goes through ``run.log``,
so the metrics file and every callback's ``on_log`` get it, in the main process.
"""

from __future__ import annotations

import torch

from ganzoo.algorithm import PRIORITIES, Callback


class Evaluation(Callback):
    priority = PRIORITIES["high"] + 5  # after the progress line's epoch summary, before the grid

    def __init__(self, params=None):
        self.evaluator = None

    def before_run(self, run) -> None:
        if run.recipe.config.eval.every == 0:
            return
        with torch.random.fork_rng(devices=[]):  # building the classifier draws weights: not from the run's stream
            self.evaluator = make_evaluator(run)

    def end_epoch(self, run, epoch: int) -> None:
        settings = run.recipe.config.eval
        if not run.is_main or self.evaluator is None or (epoch % settings.every and
                                                         epoch != run.recipe.config.train.epochs):
            return
        if run.directions:  # translation: the held-out pairs, by direction
            scored = self.evaluator.score_translators({direction: run.sampler(role)
                                                       for direction, role in run.directions.items()}, settings.n)
        else:
            scored = self.evaluator.score_generator(run.sampler(), run.data, settings.n, settings.seed)
        scores = {key: entry["value"] for key, entry in scored.items()}
        run.log({"step": run.step, "epoch": epoch, "eval": scores})
        run.message(f"epoch {epoch} eval ({settings.n} images): "
                    + "  ".join(f"{key} {value:.4g}" for key, value in scores.items()))


def check_evaluation(registry, recipe) -> None:
    """A bad eval.metrics, or evaluation of data the metrics cannot score, fails before any work."""
    from ganzoo.eval.evaluation import TRAINING_FIX, build_metrics, check_scorable

    build_metrics(registry, recipe)
    translates = getattr(registry.get("algorithm", recipe.config.algorithm.name).factory, "directions", None)
    if recipe.config.eval.every > 0 and not translates:  # translation runs are scored on their own held-out data
        check_scorable(registry, recipe, TRAINING_FIX)


def make_evaluator(run):
    from ganzoo.eval.evaluation import Evaluator

    return Evaluator(run.registry, run.recipe, run.dataset, device=run.device, directions=run.directions)
