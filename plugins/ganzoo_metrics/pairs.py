"""Metrics of translated pictures against their right answers (``compute_pairs``), and of the classes
read from them against the classes they should show (``compute`` with ``Features.labels``).

Pictures come in [0, 1], rounded to the 256 levels a saved picture has.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

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
    """Mean SSIM (Gaussian window 11, sigma 1.5) as torchmetrics computes it; none for pictures under 11 pixels
    a side (:func:`structural_similarity`)."""

    better = {"ssim": "higher"}

    def __init__(self, params: NoParams):
        pass

    def compute_pairs(self, outputs: torch.Tensor, targets: torch.Tensor) -> dict[str, float]:
        if min(outputs.shape[2:]) < SSIM_MIN_SIDE:
            return {}
        return {"ssim": structural_similarity(outputs, targets, data_range=1.0)}


def structural_similarity(x: torch.Tensor, y: torch.Tensor, data_range: float = 1.0, sigma: float = 1.5,
                          k1: float = 0.01, k2: float = 0.03, chunk: int = 1000) -> float:
    """The mean over images of each image's mean SSIM map (Wang et al. 2004), computed as torchmetrics'
    ``structural_similarity_index_measure`` (1.x) computes it: both pictures padded by reflection, the local
    means, variances and covariance under a Gaussian window of ``int(3.5 sigma + 0.5) * 2 + 1`` pixels, the map
    averaged over every pixel. Written out (tests compare the two): importing torchmetrics' image metrics took
    1.5-2 s of every translation evaluation, and its 2-D convolution 2 s for 10,000 MNIST pairs, where each 1-D
    Gaussian pass here is one matrix product with a banded matrix (0.25 s)."""
    size = int(3.5 * sigma + 0.5) * 2 + 1
    pad = (size - 1) // 2
    height, width = x.shape[-2:]
    dist = torch.arange(start=(1 - size) / 2, end=(1 + size) / 2, step=1, dtype=x.dtype, device=x.device)
    gauss = torch.exp(-torch.pow(dist / sigma, 2) / 2)
    gauss = gauss / gauss.sum()
    across, down = _band(gauss, width + 2 * pad, width), _band(gauss, height + 2 * pad, height)
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    per_image = []
    for start in range(0, x.shape[0], chunk):
        p = F.pad(x[start:start + chunk], (pad, pad, pad, pad), mode="reflect")
        t = F.pad(y[start:start + chunk].to(x.dtype), (pad, pad, pad, pad), mode="reflect")
        n = p.shape[0]
        maps = torch.cat((p, t, p * p, t * t, p * t)) @ across  # rows blurred: (5n, C, H + 2 pad, W)
        local = (maps.transpose(-1, -2) @ down).transpose(-1, -2).reshape(5, n, *x.shape[1:-2], height, width)
        mu_p_sq, mu_t_sq, mu_pt = local[0].pow(2), local[1].pow(2), local[0] * local[1]
        var_p = torch.clamp(local[2] - mu_p_sq, min=0.0)
        var_t = torch.clamp(local[3] - mu_t_sq, min=0.0)
        upper = 2 * (local[4] - mu_pt) + c2
        lower = (var_p + var_t) + c2
        full = ((2 * mu_pt + c1) * upper) / ((mu_p_sq + mu_t_sq + c1) * lower)
        per_image.append(full.reshape(n, -1).mean(-1))
    return torch.cat(per_image).mean().item()


def _band(kernel: torch.Tensor, n_in: int, n_out: int) -> torch.Tensor:
    """(n_in, n_out): a valid 1-D correlation with ``kernel`` as a matrix product (column j holds the kernel
    from row j)."""
    band = torch.zeros(n_in, n_out, dtype=kernel.dtype, device=kernel.device)
    for j in range(n_out):
        band[j:j + kernel.shape[0], j] = kernel
    return band


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
