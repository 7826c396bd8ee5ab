"""DiffAugment (Zhao et al. 2020): differentiable augmentations of every image the discriminator
sees, real and fake, in both updates, so that it cannot memorise a small training set.

A wrapper around any registered discriminator, built through ``ganzoo.build_component``:

    discriminator:
      name: diffaugment
      params:
        policy: [translation, cutout, color]
        discriminator: {name: dcgan, params: {base_channels: 32}}
"""

from dataclasses import dataclass, field
from typing import List

import torch
import torch.nn.functional as F
from torch import nn

from ganzoo import ComponentSpec, build_component, component_field

POLICIES = ("translation", "cutout", "color")


@dataclass
class DiffAugmentParams:
    discriminator: ComponentSpec = component_field("discriminator", default="dcgan")  # the one it wraps
    policy: List[str] = field(default_factory=lambda: list(POLICIES))  # applied in this order
    probability: float = 1.0  # share of images each augmentation is applied to (ADA-style control)
    translation: float = 0.125  # largest shift, as a share of the image size
    cutout: float = 0.5  # side of the square cut out, as a share of the image size

    def __post_init__(self):
        unknown = [name for name in self.policy if name not in POLICIES]
        if unknown:
            raise ValueError(f"policy has '{unknown[0]}'; augmentations are {', '.join(POLICIES)}")
        for name in ("probability", "translation", "cutout"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")


class DiffAugment(nn.Module):
    """``inner`` judging augmented images while training; in eval mode it sees them as they are."""

    def __init__(self, inner: nn.Module, params: DiffAugmentParams):
        super().__init__()
        self.inner = inner
        self.conditional = bool(getattr(inner, "conditional", False))
        self.policy = list(params.policy)
        self.probability = params.probability  # a callback may adapt it; saved with the callback's state
        self.shift, self.cut = params.translation, params.cutout

    def forward(self, x, labels=None):
        if self.training:
            x = self.augment(x)
        return self.inner(x, labels) if self.conditional else self.inner(x)

    def augment(self, x: torch.Tensor) -> torch.Tensor:
        for name in self.policy:
            changed = getattr(self, name)(x)
            if self.probability < 1.0:
                chosen = torch.rand(x.shape[0], 1, 1, 1, device=x.device) < self.probability
                changed = torch.where(chosen, changed, x)
            x = changed
        return x

    def color(self, x: torch.Tensor) -> torch.Tensor:
        """Brightness, saturation and contrast, each by a random amount per image."""
        n = x.shape[0]
        x = x + (torch.rand(n, 1, 1, 1, device=x.device, dtype=x.dtype) - 0.5)
        mean = x.mean(dim=1, keepdim=True)
        x = (x - mean) * (torch.rand(n, 1, 1, 1, device=x.device, dtype=x.dtype) * 2) + mean
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        return (x - mean) * (torch.rand(n, 1, 1, 1, device=x.device, dtype=x.dtype) + 0.5) + mean

    def translation(self, x: torch.Tensor) -> torch.Tensor:
        """Each image shifted by up to ``shift`` of its size, the uncovered border zero."""
        n, _, h, w = x.shape
        sh, sw = int(h * self.shift + 0.5), int(w * self.shift + 0.5)
        dy = torch.randint(-sh, sh + 1, (n, 1, 1), device=x.device)
        dx = torch.randint(-sw, sw + 1, (n, 1, 1), device=x.device)
        batch, rows, cols = _grid(n, h, w, x.device)
        rows = (rows + dy + 1).clamp(0, h + 1)  # index into the image padded by one zero pixel
        cols = (cols + dx + 1).clamp(0, w + 1)
        padded = F.pad(x, [1, 1, 1, 1]).permute(0, 2, 3, 1)
        return padded[batch, rows, cols].permute(0, 3, 1, 2).contiguous()

    def cutout(self, x: torch.Tensor) -> torch.Tensor:
        """A square of side ``cut`` of the image size set to zero, at a random place per image."""
        n, _, h, w = x.shape
        ch, cw = int(h * self.cut + 0.5), int(w * self.cut + 0.5)
        cy = torch.randint(0, h + (1 - ch % 2), (n, 1, 1), device=x.device)
        cx = torch.randint(0, w + (1 - cw % 2), (n, 1, 1), device=x.device)
        batch, rows, cols = _grid(n, ch, cw, x.device)
        rows = (rows + cy - ch // 2).clamp(0, h - 1)
        cols = (cols + cx - cw // 2).clamp(0, w - 1)
        mask = torch.ones(n, h, w, device=x.device, dtype=x.dtype)
        mask[batch, rows, cols] = 0
        return x * mask.unsqueeze(1)


def _grid(n: int, h: int, w: int, device) -> tuple:
    return torch.meshgrid(torch.arange(n, device=device), torch.arange(h, device=device),
                          torch.arange(w, device=device), indexing="ij")


def make_diffaugment(params: DiffAugmentParams, data) -> DiffAugment:
    return DiffAugment(build_component(params.discriminator, data), params)
