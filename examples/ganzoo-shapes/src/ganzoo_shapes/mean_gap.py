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
    scale: float = 1.0


class MeanGap(Metric):
    better = {"mean_gap": "lower"}

    def __init__(self, params: MeanGapParams):
        self.scale = params.scale

    def compute(self, generated: Features, real: Features) -> dict[str, float]:
        gap = (generated.features.mean(0) - real.features.mean(0)).norm()
        return {"mean_gap": self.scale * float(gap)}
