"""``super-resolution``: paired super-resolution of any registered labelled image dataset.

The recipe names the source dataset as it would name it on its own, and this one builds it
through the registry (``ganzoo.component_field``), so it reads no files itself:

    dataset:
      name: super-resolution
      params:
        factor: 4                            # 28 -> 7
        source: {name: fashion-mnist, params: {limit: 12000}}

Each of the source's pictures is the target; the input is the picture area-averaged down by
``factor`` (as ``mnist-sr`` makes its 7x7 digits). The source's held-out split (Fashion-MNIST's
10,000 test pictures) is held out alike, labelled, and the data say whose pictures they are
(``ImageData.pictures_of``: the source's name), so ``ganzoo eval`` reads the outputs with the
feature extractor made for the source (the Fashion-MNIST classifier for ``fashion-mnist``)
beside bicubic upsampling of the inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

import torch

from ganzoo import ComponentSpec, GanzooError, ImageData, TwoSided, build_component, component_field, unit_range
from ganzoo_translation.mnist_tasks import downsample


@dataclass
class SuperResolutionParams:
    source: ComponentSpec = component_field("dataset")  # the dataset whose pictures are the targets (required)
    factor: int = 4  # the input is 1/factor of the picture's height and width; it must divide both
    test_limit: Optional[int] = None  # hold out the first N of the source's held-out pictures only (default: all)

    def __post_init__(self):
        if self.factor < 2:
            raise ValueError(f"factor must be at least 2, got {self.factor}")
        if self.test_limit is not None and self.test_limit < 1:
            raise ValueError(f"test_limit must be at least 1, got {self.test_limit}")


def load_super_resolution(params: SuperResolutionParams) -> ImageData:
    name = params.source.name
    try:
        source = build_component(params.source)
    except GanzooError as error:  # the source's own one line, its keys where this recipe has them
        raise GanzooError(str(error).replace("dataset.params.", "dataset.params.source.params.")) from error
    if not isinstance(source, ImageData):
        raise GanzooError(f"super-resolution: dataset '{name}' gave a {type(source).__name__}, not ganzoo.ImageData")
    train = _pairs(source, name, params.factor, None)
    held_out = _pairs(source.held_out, name, params.factor, params.test_limit) if source.held_out is not None \
        else None
    return replace(train, held_out=held_out, source=source.source, pictures_of=source.pictures_of or name)


def _pairs(data: ImageData, name: str, factor: int, limit: Optional[int]) -> ImageData:
    """``data``'s pictures as targets in [-1, 1], each beside itself area-averaged down by ``factor``."""
    if data.two_sided is not None:
        raise GanzooError(f"super-resolution: dataset '{name}' is already two-sided; name a dataset of pictures "
                          "as dataset.params.source")
    if not isinstance(data.images, torch.Tensor) or data.images.dim() != 4:
        raise GanzooError(f"super-resolution: dataset '{name}' gives no (N, C, H, W) tensor of pictures (rows read "
                          "from disk are not supported); name a dataset it can hold in memory")
    height, width = data.images.shape[2:]
    if height % factor or width % factor:
        raise GanzooError(f"super-resolution: dataset.params.factor={factor} does not divide the {height}x{width} "
                          f"pictures of '{name}'; pick a factor that divides both")
    pictures = data.images[:limit]
    targets = unit_range(pictures).float()
    labels = data.labels[:limit] if data.labels is not None else None
    return ImageData(images=downsample(targets, factor), labels=labels, num_classes=data.num_classes,
                     two_sided=TwoSided(targets=targets, paired=True))
