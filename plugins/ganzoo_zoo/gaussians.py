"""A 2-D mixture of Gaussians: the classic mode-collapse benchmark (Metz et al. 2017).

Two layouts: a ring of 8 modes (radius 2, std 0.02) and a 5x5 grid of 25 modes
(at -4, -2, 0, 2, 4; std 0.05). The points are scaled into [-1, 1], the
outermost centres to 0.8 (the ring by 1/2.5, the grid by 1/5), to match a tanh
output. The data are points, shape
(N, 2), labelled with their mode; the per-epoch picture is a scatter plot, and
the figures are the ones of Srivastava et al. 2017 (VEEGAN) and Lin et al. 2018
(PacGAN):

- ``high_quality``: the share of samples within 3 standard deviations of a mode;
- ``modes``: modes holding at least 20% of the high-quality samples they would
  hold if the samples spread evenly over all modes (20 of 2,500 for 25 modes).
"""

import io
import math
from dataclasses import dataclass
from functools import partial
from typing import Dict, Optional

import torch

from ganzoo import ImageData, Presentation

LAYOUTS = {"ring": 0.02, "grid": 0.05}  # layout -> default std
OUTERMOST = 0.8  # where the outermost centres lie after scaling
COVERED_SHARE = 0.2


@dataclass
class GaussianMixtureParams:
    layout: str = "ring"  # ring | grid
    modes: Optional[int] = None  # ring: any number (default 8); grid: a square number (default 25)
    std: Optional[float] = None  # per-mode standard deviation before scaling; default 0.02 ring, 0.05 grid
    samples: int = 100_000  # points drawn once, with the seed below
    seed: int = 0
    reference_samples: int = 10_000  # fresh points that `ganzoo eval` scores against, drawn after the training ones

    def __post_init__(self):
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout must be ring or grid, got '{self.layout}'")
        if self.modes is not None:
            if self.modes < 2:
                raise ValueError(f"modes must be at least 2, got {self.modes}")
            if self.layout == "grid" and math.isqrt(self.modes) ** 2 != self.modes:
                raise ValueError(f"a grid needs a square number of modes (e.g. 25), got {self.modes}")
        if self.std is not None and self.std <= 0:
            raise ValueError(f"std must be greater than 0, got {self.std}")
        if self.samples < 1:
            raise ValueError(f"samples must be at least 1, got {self.samples}")
        if self.reference_samples < 2:
            raise ValueError(f"reference_samples must be at least 2, got {self.reference_samples}")


def mode_centers(params: GaussianMixtureParams) -> torch.Tensor:
    """The modes' centres, (K, 2), before scaling."""
    if params.layout == "ring":
        count = params.modes or 8
        angles = torch.arange(count, dtype=torch.float64) * (2 * math.pi / count)
        return 2.0 * torch.stack([angles.cos(), angles.sin()], dim=1)
    side = math.isqrt(params.modes or 25)
    ticks = torch.linspace(-(side - 1), side - 1, side, dtype=torch.float64)  # spacing 2
    return torch.cartesian_prod(ticks, ticks)


def mixture_figures(samples: torch.Tensor, centers: torch.Tensor, std: float) -> Dict[str, float]:
    """``modes`` covered, of ``modes_total``, and the ``high_quality`` share of (N, 2) samples."""
    points = samples.detach().reshape(samples.shape[0], -1).double().cpu()
    distance, nearest = torch.cdist(points, centers.double()).min(dim=1)
    good = distance <= 3.0 * std
    per_mode = torch.bincount(nearest[good], minlength=centers.shape[0])
    needed = COVERED_SHARE * points.shape[0] / centers.shape[0]
    return {"modes": int((per_mode >= needed).sum()), "modes_total": int(centers.shape[0]),
            "high_quality": float(good.double().mean()) if points.shape[0] else 0.0}


def scatter_png(samples: torch.Tensor, centers: torch.Tensor, std: float, size: int = 480) -> bytes:
    """A scatter plot of (N, 2) samples in [-1, 1] over the modes' 3-std circles, with the figures."""
    from PIL import Image, ImageDraw

    figures = mixture_figures(samples, centers, std)
    picture = Image.new("RGB", (size, size + 24), "white")
    draw = ImageDraw.Draw(picture)

    def pixel(x: float, y: float) -> tuple[float, float]:
        return (x + 1.0) * 0.5 * (size - 1), 24 + (1.0 - y) * 0.5 * (size - 1)

    draw.rectangle([0, 24, size - 1, size + 23], outline=(200, 200, 200))
    for x, y in samples.detach().reshape(samples.shape[0], -1).double().cpu().tolist():
        if -1.0 <= x <= 1.0 and -1.0 <= y <= 1.0:
            px, py = pixel(x, y)
            draw.ellipse([px - 1.5, py - 1.5, px + 1.5, py + 1.5], fill=(30, 80, 200))
    radius = max(3.0, 3.0 * std * 0.5 * size)
    for cx, cy in centers.tolist():
        px, py = pixel(cx, cy)
        draw.ellipse([px - radius, py - radius, px + radius, py + radius], outline=(230, 120, 40), width=2)
    draw.text((6, 6), f"modes {figures['modes']}/{figures['modes_total']}   "
                      f"high quality {100 * figures['high_quality']:.1f}%   n={samples.shape[0]}", fill="black")
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def load_gaussian_mixture(params: GaussianMixtureParams) -> ImageData:
    std = params.std if params.std is not None else LAYOUTS[params.layout]
    centers = mode_centers(params)
    scale = float(centers.abs().max()) / OUTERMOST
    rng = torch.Generator().manual_seed(params.seed)
    labels = torch.randint(centers.shape[0], (params.samples,), generator=rng)
    points = centers[labels] + std * torch.randn(params.samples, 2, generator=rng, dtype=torch.float64)
    # The reference set of `ganzoo eval`: fresh samples from the true mixture, drawn after the training points
    # from the same stream (so those stay what they were), never trained on.
    fresh = torch.randint(centers.shape[0], (params.reference_samples,), generator=rng)
    reference = centers[fresh] + std * torch.randn(params.reference_samples, 2, generator=rng, dtype=torch.float64)
    scaled_centers, scaled_std = centers / scale, std / scale
    plot = partial(scatter_png, centers=scaled_centers, std=scaled_std)
    return ImageData(
        images=(points / scale).float(),
        labels=labels,
        num_classes=int(centers.shape[0]),
        presentation=Presentation(plot=plot, figures=partial(mixture_figures, centers=scaled_centers, std=scaled_std)),
        held_out=ImageData(images=(reference / scale).float(), labels=fresh, num_classes=int(centers.shape[0]),
                           presentation=Presentation(plot=plot)),
    )
