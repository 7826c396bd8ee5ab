"""A metric plugin: how far the generated images' mean feature lies from the reference set's.

It reads only ``Features.features``, the space of whichever feature extractor scores the run
(ganzoo's MNIST classifier for MNIST, the coordinates for 2-D points, Inception with
``--features inception``), so it scores every dataset ganzoo can, with no code for any of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ganzoo import Features, Metric


@dataclass
class MeanGapParams:
    relative: bool = False  # divide by the reference features' mean norm (a unitless gap)


class MeanGap(Metric):
    better = {"mean_gap": "lower"}

    def __init__(self, params: MeanGapParams):
        self.relative = params.relative

    def compute(self, generated: Features, real: Features) -> dict[str, float]:
        real_mean = real.features.double().mean(0)
        gap = (generated.features.double().mean(0) - real_mean).norm().item()
        if self.relative:
            gap /= max(real.features.double().norm(dim=1).mean().item(), 1e-12)
        return {"mean_gap": gap}
