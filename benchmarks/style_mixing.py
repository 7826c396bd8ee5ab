"""StyleGAN2's style-mixing grid (Karras et al. 2019, figure 3): a picture of a trained run whose
generator has a mapping network and a synthesis network (the studio's stylegan2, e.g.
recipes/stylegan2_mnist.yaml).

    python benchmarks/style_mixing.py RUN_DIR [--out mixing.png] [--rows 4] [--columns 6] [--coarse 3] [--seed 0]

The top row holds the images of ``columns`` latents, the left column those of ``rows`` others; the
image in row i, column j takes its coarse styles (the copies of w read by the first ``coarse``
layers: 3 are the 4x4 and 8x8 convolutions of a 32x32 generator) from row i's latent and its fine
styles (every later layer, toRGB included) from column j's. A coarse-style change moves the digit's
identity and shape; a fine-style one its stroke. The latents are drawn with ``--seed``; the
generator is the run's EMA when it kept one, in eval mode (fixed noise).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

import ganzoo

sys.path.insert(0, str(Path(__file__).resolve().parent))
from attention_maps import save_png  # noqa: E402

SCALE = 4  # pixels per image pixel in the picture


@torch.no_grad()
def mixed_images(generator, row_z: torch.Tensor, column_z: torch.Tensor, coarse: int) -> torch.Tensor:
    """(rows, columns, C, H, W) images in [-1, 1]: coarse styles (the first ``coarse`` copies of w)
    from each row's latent, the others from each column's."""
    if not all(callable(getattr(generator, name, None)) for name in ("mapping", "synthesis")):
        raise ganzoo.GanzooError("the run's generator has no mapping and synthesis networks to mix styles of "
                                 "(use generator.name=stylegan2)")
    with ganzoo.eval_mode(generator):
        row_ws, column_ws = generator.mapping(row_z), generator.mapping(column_z)
        if not 0 <= coarse <= row_ws.shape[1]:
            raise ganzoo.GanzooError(f"--coarse must be in 0..{row_ws.shape[1]} (the generator's copies of w), "
                                     f"got {coarse}")
        rows, columns = len(row_z), len(column_z)
        ws = column_ws[None].repeat(rows, 1, 1, 1)  # (rows, columns, copies, dim)
        ws[:, :, :coarse] = row_ws[:, None, :coarse]
        images = generator.synthesis(ws.flatten(0, 1))
    return images.view(rows, columns, *images.shape[1:])


@torch.no_grad()
def mixing_grid(generator, rows: int, columns: int, coarse: int, seed: int) -> torch.Tensor:
    """The picture, uint8 (C, H', W'): a blank corner, the column sources across the top, the row
    sources down the left, the mixes inside."""
    device = next(generator.parameters()).device
    z = torch.randn(rows + columns, generator.latent_dim, generator=torch.Generator().manual_seed(seed)).to(device)
    row_z, column_z = z[:rows], z[rows:]
    with ganzoo.eval_mode(generator):
        row_images, column_images = generator(row_z), generator(column_z)
    mixes = mixed_images(generator, row_z, column_z, coarse)
    blank = torch.full_like(row_images[0], -1.0)
    top = torch.cat([blank, *column_images], dim=2)
    lines = [top] + [torch.cat([row_images[i], *mixes[i]], dim=2) for i in range(rows)]
    picture = ganzoo.to_uint8(torch.cat(lines, dim=1).cpu())
    return picture.repeat_interleave(SCALE, 1).repeat_interleave(SCALE, 2)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", help="a run folder (or checkpoint) of a stylegan2 generator")
    parser.add_argument("--out", default="style_mixing.png")
    parser.add_argument("--rows", type=int, default=4)
    parser.add_argument("--columns", type=int, default=6)
    parser.add_argument("--coarse", type=int, default=3, help="layers whose styles come from the row (default 3)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        picture = mixing_grid(ganzoo.load(args.run).generator, args.rows, args.columns, args.coarse, args.seed)
        if picture.shape[0] == 1:
            picture = picture.expand(3, -1, -1)
        save_png(picture.contiguous(), Path(args.out))
    except ganzoo.GanzooError as error:
        print(f"style_mixing: {error}", file=sys.stderr)
        return 2
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
