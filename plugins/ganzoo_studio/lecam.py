"""LeCam regularisation (Tseng et al. 2021): around any adversarial loss, the discriminator's
outputs are pulled towards running means of its outputs on the other side,

    R_LC = E_x[relu(D(x) - a_F)^2] + E_z[relu(a_R - D(G(z)))^2],

where a_R and a_F are exponential moving averages (decay 0.99) of the mean of D's outputs on real
and on fake batches, updated with each discriminator step before R_LC is computed. Before training
step ``start_step`` the means follow the latest batch (decay 0) and R_LC is not added, as in the
authors' code and StudioGAN (whose CIFAR-10 setting starts at step 1000): the first outputs of an
untrained D are far apart, and pulling them together then throws training off (a BigGAN on MNIST
rated its fakes above the reals within 100 steps). D's loss gains ``weight * R_LC``; G's loss is
the wrapped one's. It keeps D from
drifting far on a small training set (the paper's limited-data setting).

    loss:
      name: lecam
      params: {weight: 0.3, loss: {name: hinge}}

The running means are the loss's state: with the ``gan`` algorithm (and its subclasses) they are
saved in checkpoints and restored on resume.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ganzoo import AdversarialLoss, ComponentSpec, build_component, component_field, whole_batch


@dataclass
class LeCamParams:
    loss: ComponentSpec = component_field("loss", default="hinge")  # the loss it regularises
    weight: float = 0.3  # lambda: R_LC's weight in D's loss
    decay: float = 0.99  # of the running means of D's outputs
    start_step: int = 1000  # the training step from which R_LC is added and the means decay

    def __post_init__(self):
        if self.weight < 0:
            raise ValueError(f"weight must be at least 0, got {self.weight}")
        if not 0.0 <= self.decay < 1.0:
            raise ValueError(f"decay must be in [0, 1), got {self.decay}")
        if self.start_step < 0:
            raise ValueError(f"start_step must be at least 0, got {self.start_step}")


def lecam_penalty(real_logits: torch.Tensor, fake_logits: torch.Tensor, real_mean: torch.Tensor,
                  fake_mean: torch.Tensor) -> torch.Tensor:
    """R_LC: real outputs above the fake outputs' running mean, and fake outputs below the real
    outputs' running mean, squared and averaged."""
    return F.relu(real_logits - fake_mean).pow(2).mean() + F.relu(real_mean - fake_logits).pow(2).mean()


class LeCam(AdversarialLoss):
    def __init__(self, inner: AdversarialLoss, params: LeCamParams):
        self.inner, self.weight, self.decay, self.start_step = inner, params.weight, params.decay, params.start_step
        self.real_mean = self.fake_mean = None  # 0-d tensors once the first D step has run

    def discriminator_loss(self, real_logits, fake_logits, ctx):
        loss = self.inner.discriminator_loss(real_logits, fake_logits, ctx)
        started = ctx.step >= self.start_step
        decay = self.decay if started else 0.0
        self.real_mean = self._moved(self.real_mean, real_logits, decay)
        self.fake_mean = self._moved(self.fake_mean, fake_logits, decay)
        if not started:
            return loss
        return loss + self.weight * lecam_penalty(real_logits, fake_logits, self.real_mean, self.fake_mean)

    def generator_loss(self, fake_logits, ctx):
        return self.inner.generator_loss(fake_logits, ctx)

    @staticmethod
    def _moved(mean, logits, decay: float):
        batch = whole_batch(logits.detach().float()).mean()  # every process's (--nproc), so all keep the same means
        return batch if mean is None else mean.to(batch.device) * decay + batch * (1.0 - decay)

    def state_dict(self) -> dict:
        inner = self.inner.state_dict() if callable(getattr(self.inner, "state_dict", None)) else {}
        means = {} if self.real_mean is None else {"real_mean": self.real_mean.cpu(), "fake_mean": self.fake_mean.cpu()}
        return {**means, **({"inner": inner} if inner else {})}

    def load_state_dict(self, state: dict) -> None:
        self.real_mean, self.fake_mean = state.get("real_mean"), state.get("fake_mean")
        if state.get("inner"):
            self.inner.load_state_dict(state["inner"])


def make_lecam(params: LeCamParams) -> LeCam:
    return LeCam(build_component(params.loss), params)
