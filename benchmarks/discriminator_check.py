"""What a trained run's discriminator says of its generator's samples, at the end of training.

    python benchmarks/discriminator_check.py RUN_DIR [-n 10000]

Loads the newest checkpoint's generator (the trained weights, not an EMA) and discriminator,
in eval mode, and prints the mean D(G(z)) (the sigmoid of D's logits) on n fresh samples and
the mean D(x) on n training images: boundary-seeking GAN's check (D(G(z)) near 0.5).
"""

from __future__ import annotations

import argparse
import json
import sys

import torch

from ganzoo.components import build_models, load_data, resolve_device
from ganzoo.data import DataSpec, unit_range
from ganzoo.models import discriminate, draw_latent, generate
from ganzoo.plugins.registry import load_registry
from ganzoo.training import checkpoint


@torch.no_grad()
def discriminator_means(run_dir: str, n: int = 10000, seed: int = 0) -> dict:
    registry = load_registry()
    state = checkpoint.load_checkpoint(run_dir)
    recipe = checkpoint.recipe_of(state, registry)
    spec = DataSpec.from_dict(state["data_spec"])
    models = build_models(registry, recipe, spec, resolve_device("cpu"), roles=["generator", "discriminator"])
    for role, model in models.items():
        model.load_state_dict(state["models"][role])
        model.eval()
    G, D = models["generator"], models["discriminator"]
    rng = torch.Generator().manual_seed(seed)
    labels = torch.randint(spec.num_classes, (n,), generator=rng) if spec.num_classes else None
    fake = generate(G, draw_latent(G, n, rng), labels)
    data = load_data(registry, recipe)
    images = data.images[torch.randperm(len(data.images), generator=rng)[:n]]
    real = unit_range(images) if images.dtype == torch.uint8 else images
    real_labels = None if labels is None else labels[: real.shape[0]]
    return {"d_fake": torch.sigmoid(discriminate(D, fake, labels)).mean().item(),
            "d_real": torch.sigmoid(discriminate(D, real, real_labels)).mean().item()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir")
    parser.add_argument("-n", type=int, default=10000)
    args = parser.parse_args()
    print(json.dumps(discriminator_means(args.run_dir, args.n)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
