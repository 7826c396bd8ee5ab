"""CC-GAN, the context-conditional GAN (Denton, Gross and Fergus, 2016, "Semi-Supervised Learning
with Context-Conditional Generative Adversarial Networks"): inpainting as the generator's task, a
semi-supervised classifier as the discriminator.

The generator is the Context Encoder's (``context-encoder``): it paints the masked centre of
``mnist-inpaint``'s pictures and keeps the rest. The discriminator is the semi-supervised GAN's
K+1-class ``classifier`` (the classics plugin's: class logits, the fake class's logit at 0): it
tells whole real digits from inpainted ones and classifies the few labelled real digits. Its
class head is the point: trained on ``labelled`` labels and every unlabelled picture, it is a
digit classifier, which benchmarks/translation_results.py scores beside the same CNN trained on
the same labels alone.

The step is SGAN's (the classics plugin's ``sgan``) with the masked pictures as the generator's
input and the whole digits as the real ones: the discriminator learns the cross-entropy of the
labelled digits plus ``unsupervised_weight`` x the recipe's loss (whole digits against inpainted
ones); the generator learns to fool it (``generator_objective``: ``adversarial``, the paper's;
``feature_matching``, SGAN's default). The labelled digits (the first ``labelled / K`` of each
class the run reads) are the algorithm's state, kept in every checkpoint, so a resumed run trains
on the same ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ganzoo import GanzooError
from ganzoo_classics.sgan import SGAN, SGANParams
from ganzoo_translation_zoo.inpainting import ContextEncoder


@dataclass
class CCGANParams(SGANParams):
    generator_objective: str = "adversarial"  # the paper's; feature_matching: SGAN's


class CCGAN(SGAN):
    directions = {"a2b": "generator"}

    def __init__(self, params: Optional[CCGANParams] = None):
        super().__init__(params if params is not None else CCGANParams())

    def setup(self, models, losses, data) -> None:
        if not isinstance(models["generator"], ContextEncoder):
            raise GanzooError("ccgan's generator must be the context-encoder (it fills the masked square and keeps "
                              "the rest); set generator.name=context-encoder")
        if not data.paired or tuple(data.image_shape) != tuple(data.target_shape):
            raise GanzooError("ccgan learns from masked pictures paired with the whole ones (e.g. mnist-inpaint)")
        super().setup(models, losses, data)

    def real(self, batch):
        return batch.targets  # the whole digits

    def generator_input(self, batch, step):
        return batch.images  # the masked digits
