"""Where SAGAN's self-attention looks: a picture of the attention maps of a few samples of a
trained run whose generator has a self-attention block (the zoo's dcgan with ``attention: 14``,
e.g. recipes/sagan_mnist.yaml).

    python benchmarks/attention_maps.py RUN_DIR [--out attention.png] [-n 4] [--seed 0]

One row per sample: the sample, then for three query positions (the green dot) the block's
attention over every position of its feature map, upsampled to the image and shown in red over the
sample: red where that position draws more than the uniform share 1/S^2 of its features from,
full red at 5 times it (a block that still attends uniformly, as at initialisation, shows none). The samples are those of
``ganzoo sample RUN_DIR -n N --seed S``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import torch
import torch.nn.functional as F

import ganzoo

SCALE = 4  # pixels per image pixel in the picture
UNIFORM_TIMES = 5.0  # an attention weight this many times the uniform one shows full red
QUERIES = ((0.3, 0.5), (0.5, 0.5), (0.7, 0.5))  # (row, column) as shares of the feature map's side


def attention_rows(run: "ganzoo.TrainedRun", n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(samples (N, C, H, W) uint8, the first attention block's maps (N, S*S, S*S)) for ``n`` samples."""
    blocks = [m for m in run.generator.modules() if hasattr(m, "keep_map") and callable(getattr(m, "attention_map", None))]
    if not blocks:
        raise ganzoo.GanzooError(f"the generator of {run.run_dir} has no self-attention block (the zoo's dcgan: "
                                 "generator.params.attention=14)")
    blocks[0].keep_map = True
    samples = run.sample(n, seed)
    return samples, blocks[0].last_map[-n:].cpu()


def picture(samples: torch.Tensor, maps: torch.Tensor) -> torch.Tensor:
    """(3, rows * H', cols * W') uint8: each sample, then its attention for each query over it."""
    n, _, h, w = samples.shape
    side = int(round(maps.shape[-1] ** 0.5))
    grey = samples.float().mean(1, keepdim=True) / 255.0  # (N, 1, H, W)
    rows = []
    for i in range(n):
        tiles = [grey[i].expand(3, h, w)]
        for qy, qx in QUERIES:
            y, x = int(qy * side), int(qx * side)
            # weight over the uniform 1 / S^2: dark at or below it, full red at UNIFORM_TIMES times it
            heat = ((maps[i, y * side + x] * side * side - 1) / (UNIFORM_TIMES - 1)).clamp(0, 1).view(1, 1, side, side)
            heat = F.interpolate(heat, size=(h, w), mode="bilinear", align_corners=False)[0]
            tile = torch.cat([torch.maximum(grey[i] * 0.5, heat), grey[i] * 0.5, grey[i] * 0.5])
            py, px = int((y + 0.5) * h / side), int((x + 0.5) * w / side)
            tile[:, max(py - 1, 0):py + 1, max(px - 1, 0):px + 1] = torch.tensor([0.0, 1.0, 0.0]).view(3, 1, 1)
            tiles.append(tile)
        rows.append(torch.cat(tiles, dim=2))
    image = torch.cat(rows, dim=1)
    image = F.interpolate(image[None], scale_factor=SCALE, mode="nearest")[0]
    return (image.clamp(0, 1) * 255).round().to(torch.uint8)


def save_png(image: torch.Tensor, out: Path) -> None:
    from PIL import Image

    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=out.parent, suffix=".png")
    os.close(handle)
    try:
        Image.fromarray(image.permute(1, 2, 0).numpy()).save(temp)
        os.replace(temp, out)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir")
    parser.add_argument("--out", default="attention.png")
    parser.add_argument("-n", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        samples, maps = attention_rows(ganzoo.load(args.run_dir), args.n, args.seed)
        save_png(picture(samples, maps), Path(args.out))
    except ganzoo.GanzooError as error:
        print(f"attention_maps: error: {error}", file=sys.stderr)
        return 2
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
