"""The EMA duty: an exponential moving average of the sample generator's weights (ganzoo.training.ema).

On when ``train.ema_decay > 0``. Grids, evaluation and ``ganzoo sample`` draw from it (``run.sampler()``);
checkpoints keep it under ``ema`` (role -> its state), where ``ganzoo sample`` looks for it.
"""

from __future__ import annotations

from ganzoo.algorithm import PRIORITIES, Callback
from ganzoo.training.ema import GeneratorEMA


class EMA(Callback):
    # before other callbacks at after_update (they see the average updated), and set up before the
    # duties that sample from it
    priority = PRIORITIES["high"]

    def __init__(self, params=None):
        self.average = None
        self.role = self.generator = None

    def before_run(self, run) -> None:
        decay = run.recipe.config.train.ema_decay
        if decay > 0 and run.sample_role in run.models:
            self.role, self.generator = run.sample_role, run.models[run.sample_role]
            self.average = GeneratorEMA(self.generator, decay)
            run.samplers[self.role] = self.average.model

    def after_update(self, run, roles) -> None:
        if self.average is not None and self.role in roles:
            self.average.update(self.generator)

    def before_save_checkpoint(self, run, state) -> None:
        if self.average is not None:
            state["ema"] = {self.role: self.average.state_dict()}

    def after_load_checkpoint(self, run, state) -> None:
        if self.average is not None:
            # a run that turns the EMA on when resumed starts it from the current weights
            self.average.load_state_dict((state.get("ema") or {}).get(self.role) or
                                         {"model": self.generator.state_dict(), "updates": 0})
