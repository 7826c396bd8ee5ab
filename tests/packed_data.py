"""Small generated image folders and packed datasets for the tests of ``ganzoo pack`` and streaming."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from conftest import RECIPE  # noqa: F401 (the tests train vanilla_mnist's recipe with TRAIN)

SIZE = 8  # packed images are 3 x 8 x 8
# vanilla's MLPs, tiny and without dropout (so any number of processes gives the same numbers);
# 64 images / 16 = 4 steps an epoch
TRAIN = ["dataset.name=packed", "train.batch_size=16", "train.log_every=3", "train.device=cpu",
         "output.grid_size=4", "generator.params.latent_dim=8", "generator.params.hidden=[16]",
         "discriminator.params.hidden=[16]", "discriminator.params.dropout=0.0"]
STREAMED = ["data.memory_budget_gb=0", "data.prefetch=2"]  # read from the shards as training goes


def write_folder(folder: Path, per_class: int = 32, classes=("cats", "dogs"), size: int = 12) -> Path:
    """``per_class`` random RGB images (PNG) in a subfolder per class."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for name in classes:
        (folder / name).mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            pixels = rng.integers(0, 256, (size, size + 2, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / name / f"{index:03d}.png")
    return folder


def pack(folder: Path, out: Path, *options: str) -> int:
    from ganzoo import cli

    return cli.main(["pack", str(folder), "--out", str(out), "--size", str(SIZE), "--quiet", *options])
