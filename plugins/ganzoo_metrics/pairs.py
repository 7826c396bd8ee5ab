"""Metrics of translated pictures against their right answers (``compute_pairs``), and of the classes
read from them against the classes they should show (``compute`` with ``Features.labels``).

Pictures come in [0, 1], rounded to the 256 levels a saved picture has.
"""

from __future__ import annotations

import math

import torch

from ganzoo import Features, Metric

from ganzoo_metrics.metrics import NoParams

PSNR_CAP = 100.0  # dB: identical pictures score this instead of infinity (kept finite for JSON)
SSIM_MIN_SIDE = 11  # SSIM's Gaussian window; smaller pictures get no SSIM


class L1(Metric):
    """Mean absolute pixel error."""

    better = {"l1": "lower"}

    def __init__(self, params: NoParams):
        pass

    def compute_pairs(self, outputs: torch.Tensor, targets: torch.Tensor) -> dict[str, float]:
        return {"l1": (outputs - targets).abs().mean().item()}


class PSNR(Metric):
    """Peak signal-to-noise ratio over the whole set (torchmetrics' default reduction, without importing it:
    10 log10(1 / MSE)), capped at ``PSNR_CAP``."""

    better = {"psnr": "higher"}

    def __init__(self, params: NoParams):
        pass

    def compute_pairs(self, outputs: torch.Tensor, targets: torch.Tensor) -> dict[str, float]:
        mse = (outputs.double() - targets.double()).pow(2).mean().item()
        return {"psnr": PSNR_CAP if mse == 0 else min(PSNR_CAP, 10 * math.log10(1.0 / mse))}


class SSIM(Metric):
    """Mean SSIM (Gaussian window 11, sigma 1.5), by torchmetrics; none for pictures under 11 pixels a side."""

    better = {"ssim": "higher"}

    def __init__(self, params: NoParams):
        pass

    def compute_pairs(self, outputs: torch.Tensor, targets: torch.Tensor) -> dict[str, float]:
        if min(outputs.shape[2:]) < SSIM_MIN_SIDE:
            return {}
        from torchmetrics.functional.image import structural_similarity_index_measure

        return {"ssim": structural_similarity_index_measure(outputs, targets, data_range=1.0).item()}


class Accuracy(Metric):
    """The share of images the extractor's classifier reads as the class they should show (a translated
    digit as its input's digit); none where the images carry no labels or the extractor has no classes."""

    better = {"accuracy": "higher"}

    def __init__(self, params: NoParams):
        pass

    def compute(self, generated: Features, real: Features) -> dict[str, float]:
        if generated.labels is None or generated.probs is None:
            return {}
        return {"accuracy": (generated.probs.argmax(1) == generated.labels).float().mean().item()}
