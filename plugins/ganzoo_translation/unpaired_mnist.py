"""An unpaired translation task made offline from MNIST, with a hidden transform as its right answer.

``mnist-unpaired``: domain A is MNIST's digits as they are (thin light strokes on black); domain
B is *other* digits (the second half of each split, so no picture of A has its partner in B),
thickened and inverted: thick dark strokes on white. The hidden transform is ``a2b(x) = -dilate(x)``
(a 3x3 grey dilation, then inversion); its inverse is the same formula, ``b2a(y) = -dilate(y)``
(inverting a dark-on-white digit and eroding it: a 3x3 closing of the original, which the
classifier reads as well as the original).

The data carry both as ``known_transform``, and ``classifier_view`` reads B's pictures after
``b2a``, so ``ganzoo eval`` scores a translator by the shipped MNIST classifier's accuracy on its
outputs against the inputs' labels, beside the identity and the known transform. The train
split's halves are trained on; the test split's are held out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional

import torch
import torch.nn.functional as F

from ganzoo import DataSource, ImageData, TwoSided, default_data_root
from ganzoo_translation.mnist_tasks import FILES, read_split


@dataclass
class MNISTUnpairedParams:
    root: Optional[str] = None  # folder holding MNIST/raw/; default $GANZOO_DATA or ./data
    limit: Optional[int] = None  # use the first N training digits only, N/2 per domain (default: all 60,000)
    test_limit: Optional[int] = None  # hold out the first N test digits only, N/2 per domain (default: 10,000)

    def __post_init__(self):
        for name in ("limit", "test_limit"):
            if getattr(self, name) is not None and getattr(self, name) < 2:
                raise ValueError(f"{name} must be at least 2 (half a domain each), got {getattr(self, name)}")


def to_b(digits: torch.Tensor) -> torch.Tensor:
    """MNIST digits in [-1, 1] -> domain B: strokes thickened by a 3x3 dilation, then inverted."""
    return -F.max_pool2d(digits, 3, stride=1, padding=1)


def to_a(pictures: torch.Tensor) -> torch.Tensor:
    """Domain B -> domain A: inverted back, strokes thinned by a 3x3 erosion (the same formula)."""
    return -F.max_pool2d(pictures, 3, stride=1, padding=1)


def hidden_transform(pictures: torch.Tensor, direction: str) -> torch.Tensor:
    """The right translation of ``pictures`` in ``direction`` (``a2b`` or ``b2a``)."""
    return to_b(pictures) if direction == "a2b" else to_a(pictures)


def halves(digits: torch.Tensor, labels: torch.Tensor) -> ImageData:
    """The first half of ``digits`` as domain A, the second half as domain B (transformed), unpaired."""
    half = len(digits) // 2
    return ImageData(images=digits[:half], labels=labels[:half], num_classes=10,
                     two_sided=TwoSided(targets=to_b(digits[half:2 * half]), target_labels=labels[half:2 * half],
                                        paired=False))


def load_mnist_unpaired(params: MNISTUnpairedParams) -> ImageData:
    root = Path(params.root or default_data_root())
    train = halves(*read_split(root, "train", params.limit))
    test = halves(*read_split(root, "test", params.test_limit))
    source = DataSource(root=root, files=tuple(f"MNIST/raw/{name}" for split in FILES.values() for name in split))
    two_sided = replace(train.two_sided, known_transform=hidden_transform, classifier_view={"b": to_a})
    return replace(train, two_sided=two_sided, held_out=test, source=source, pictures_of="mnist")
