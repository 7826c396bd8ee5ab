"""InfoGAN (Chen et al. 2016): a GAN whose generator learns codes that mean something.

The generator draws its own latent (``sample_latent``): noise, a categorical code
c (one-hot, K values) and optionally continuous codes, last in z. The
discriminator shares its body with InfoGAN's Q network, a head that predicts the
codes from an image (``code_logits``, (N, K); ``code_values``, (N, C)). Both
updates add the mutual-information term, lambda times the negative
log-likelihood of the codes the fakes were drawn with under Q's prediction:
cross-entropy for the categorical code, a unit-variance Gaussian's (half the
squared error) for continuous ones. In the discriminator's update it trains the
Q head (and the shared body); in the generator's, with the discriminator frozen,
it pushes the generator to make its codes recoverable from its images. Labels
are not used: the code is found unsupervised (on MNIST, mostly the digit).
"""

from dataclasses import dataclass
from typing import Optional, Tuple

import torch
from torch.nn import functional as F

from ganzoo import GAN, ContractViolation, GANParams

CODE_LOGITS, CODE_VALUES = "code_logits", "code_values"


@dataclass
class InfoGANParams(GANParams):
    info_weight: float = 1.0  # lambda of the categorical code's term (the paper's 1)
    continuous_weight: float = 0.1  # lambda of the continuous codes' term (smaller, as in the paper)

    def __post_init__(self):
        super().__post_init__()
        for name in ("info_weight", "continuous_weight"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be at least 0, got {getattr(self, name)}")


class InfoGAN(GAN):
    # info: the mutual-information term added to both losses (weighted); code_acc: how often Q
    # recovers the categorical code of the generator's fakes
    scalars = GAN.scalars + ("info", "code_acc")

    def __init__(self, params: InfoGANParams = None):
        super().__init__(params if params is not None else InfoGANParams())
        self.categories, self.continuous = 0, 0

    def setup(self, models, losses, data) -> None:
        G = models["generator"]
        self.categories, self.continuous = latent_codes(G)
        if not self.categories + self.continuous:
            raise ContractViolation("draws no latent codes for infogan to learn (code_categories and continuous_codes "
                                    "are 0)", G, remedy="give it codes (the zoo's dcgan: "
                                                        "generator.params.code_categories=10)")
        super().setup(models, losses, data)
        check_code_layout(G, self.categories, self.continuous)

    def check_extras(self, extras, models, data) -> None:
        for key, width in ((CODE_LOGITS, self.categories), (CODE_VALUES, self.continuous)):
            if width:
                check_head(extras, key, width, models["discriminator"])

    def discriminator_terms(self, ctx, step):
        return self.info(ctx)[0]

    def generator_terms(self, ctx, step):
        info, code_acc = self.info(ctx)
        step.log(info=info, **({"code_acc": code_acc} if code_acc is not None else {}))
        return info

    def info(self, ctx) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """The weighted negative log-likelihood of the fakes' codes under Q, and Q's accuracy on the
        categorical code (None without one)."""
        K, C = self.categories, self.continuous
        codes = ctx.latent[:, ctx.latent.shape[1] - K - C:]
        total, code_acc = 0.0, None
        if K:
            logits, target = ctx.fake_extras[CODE_LOGITS].float(), codes[:, :K].argmax(dim=1)
            total = total + self.params.info_weight * F.cross_entropy(logits, target)
            code_acc = (logits.detach().argmax(dim=1) == target).float().mean()
        if C:
            predicted = ctx.fake_extras[CODE_VALUES].float()
            total = total + self.params.continuous_weight * 0.5 * (predicted - codes[:, K:]).pow(2).sum(dim=1).mean()
        return total, code_acc


def latent_codes(generator) -> Tuple[int, int]:
    """(categories, continuous codes) the generator declares; 0 for what it does not."""
    return tuple(_count(generator, name) for name in ("code_categories", "continuous_codes"))


def _count(generator, name: str) -> int:
    value = getattr(generator, name, 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ContractViolation(f"has {name} = {value!r}; it must be a non-negative integer", generator)
    return value


def check_code_layout(generator, categories: int, continuous: int) -> None:
    """The generator's latent ends in its codes: a one-hot categorical code, then the continuous ones."""
    if not callable(getattr(generator, "sample_latent", None)):
        raise ContractViolation("declares latent codes but has no sample_latent(n, rng, code=None) to draw them",
                                generator)
    device = next(generator.parameters()).device
    z = generator.sample_latent(4, torch.Generator(device).manual_seed(0))
    if not isinstance(z, torch.Tensor) or z.dim() != 2 or z.shape[1] < categories + continuous:
        shape = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
        raise ContractViolation(f"sample_latent returned {shape}; infogan needs (N, latent_dim) ending in its "
                                f"{categories + continuous} code columns", generator)
    one_hot = z[:, z.shape[1] - categories - continuous:][:, :categories]
    if categories and not (torch.isin(one_hot, one_hot.new_tensor([0.0, 1.0])).all() and (one_hot.sum(1) == 1).all()):
        raise ContractViolation(f"sample_latent's categorical code is not one-hot in the {categories} columns "
                                f"before the last {continuous}; put z = [noise, one-hot code, continuous codes]",
                                generator)


def check_head(extras, key: str, width: int, discriminator) -> None:
    """The discriminator returns ``key``, (2, width), on two images."""
    value = extras.get(key)
    if value is None:
        raise ContractViolation(f"returns no '{key}', which infogan reads the generator's codes from", discriminator,
                                remedy="give it InfoGAN's Q head (the zoo's dcgan: discriminator.params."
                                       "code_categories and continuous_codes as the generator's)")
    if not isinstance(value, torch.Tensor) or tuple(value.shape) != (2, width):
        shape = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
        raise ContractViolation(f"returns '{key}' of shape {shape} for 2 images; the generator's codes need "
                                f"(2, {width})", discriminator,
                                remedy="give it as many codes as the generator (the zoo's dcgan: discriminator."
                                       "params.code_categories and continuous_codes)")
