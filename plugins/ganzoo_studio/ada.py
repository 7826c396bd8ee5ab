"""Adaptive discriminator augmentation (ADA, Karras et al. 2020): the augmentation probability p
of a ``diffaugment`` discriminator, driven by how sure D is of the real images.

ADA's overfitting heuristic is r_t = E[sign(D(x))] on real training images: near 0 while D
generalises, near 1 once it has memorised them. Whenever r_t is above ``target`` (0.6), p rises;
below, it falls, by (steps since the last adjustment) / ``speed_steps``, clamped to [0, 1].

ganzoo's logs hold D's outputs on reals as d_real, the mean of sigmoid(D(x)) over the log window,
so the callback reads r_t = 2 d_real - 1 = E[tanh(D(x) / 2)], the sign softened, and adjusts p
at each log (train.log_every). The augmentations are DiffAugment's differentiable ones
(translation, cutout, colour), applied each with probability p; ADA's 18 transforms are not.

    discriminator: {name: diffaugment, params: {probability: 0.0, discriminator: {name: dcgan}}}
    callbacks: [{name: ada, params: {target: 0.6}}]

p and its history (step, p, r_t at each adjustment) are the callback's state, in checkpoints.
"""

from dataclasses import dataclass

from ganzoo import Callback, GanzooError


@dataclass
class ADAParams:
    target: float = 0.6  # the r_t ADA holds D at
    speed_steps: int = 1000  # training steps for p to go from 0 to 1 while r_t stays above target
    initial: float = 0.0  # p before the first adjustment
    role: str = "discriminator"  # the model whose diffaugment wrapper it drives

    def __post_init__(self):
        for name in ("target", "initial"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if self.speed_steps < 1:
            raise ValueError(f"speed_steps must be at least 1, got {self.speed_steps}")


def adjusted(p: float, r_t: float, target: float, steps: int, speed_steps: int) -> float:
    """ADA's update: p moved by sign(r_t - target) * steps / speed_steps, kept in [0, 1]."""
    sign = (r_t > target) - (r_t < target)
    return min(1.0, max(0.0, p + sign * steps / speed_steps))


class ADA(Callback):
    def __init__(self, params: ADAParams):
        self.params = params
        self.p, self.last_step, self.history = params.initial, 0, []
        self.augmenter = None

    def setup(self, run) -> None:
        model = run.models.get(self.params.role)
        if model is None:
            raise GanzooError(f"ada: role '{self.params.role}' is not a model of this run ({', '.join(run.models)}); "
                              "set its role param")
        found = [m for m in model.modules() if hasattr(m, "probability") and callable(getattr(m, "augment", None))]
        if not found:
            raise GanzooError(f"ada: the {self.params.role} has no augmentation to drive; wrap it in diffaugment "
                              f"({self.params.role}: {{name: diffaugment, params: {{{self.params.role}: ...}}}})")
        self.augmenter = found[0]
        self.augmenter.probability = self.p

    def on_log(self, run, record) -> None:
        if record.get("d_real") is None:  # evaluation records, or a window without D steps
            return
        r_t = 2.0 * record["d_real"] - 1.0
        self.p = adjusted(self.p, r_t, self.params.target, record["step"] - self.last_step, self.params.speed_steps)
        self.last_step = record["step"]
        self.history.append([record["step"], self.p, r_t])
        self.augmenter.probability = self.p

    def state_dict(self) -> dict:
        return {"p": self.p, "last_step": self.last_step, "history": [list(row) for row in self.history]}

    def load_state_dict(self, state: dict) -> None:
        self.p, self.last_step = float(state["p"]), int(state["last_step"])
        self.history = [list(row) for row in state.get("history", [])]
        if self.augmenter is not None:
            self.augmenter.probability = self.p
