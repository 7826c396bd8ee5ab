"""What a trained run's discriminator says at the end of training: the zoo's idea checks.

    python benchmarks/discriminator_check.py RUN_DIR [-n 2000]

Loads the newest checkpoint's generator (the trained weights, not an EMA) and discriminator, in
eval mode, and prints, on n fresh samples and n training images:

- ``d_fake``, ``d_real``: the mean D(G(z)) and D(x) (sigmoid of the logits): the boundary-seeking
  GAN's check is D(G(z)) near 0.5;
- ``aim_before``, ``aim_after`` (with ``--aim STEPS``): the mean D(G(z)) before and after STEPS more
  generator updates against the trained discriminator held fixed, with the run's own generator loss:
  where G aims. The non-saturating loss pushes D(G(z)) towards 1; the boundary-seeking one towards 0.5;
- ``grad_real``, ``grad_perturbed``, ``grad_between``: the mean norm of D's input gradient at the
  real images, at DRAGAN's points near them (x + 0.5 std(x) U[0, 1], interpolated), and at
  WGAN-GP's and WGAN-div's points between real and fake images.
"""

from __future__ import annotations

import argparse
import json
import sys

import torch

from ganzoo.assembly import build_losses, build_models, load_data, resolve_device
from ganzoo.data import DataSpec, unit_range
from ganzoo.losses import LossContext
from ganzoo.model_calls import discriminate, draw_latent, generate
from ganzoo.pluginhost.registry import load_registry
from ganzoo.training import checkpoint


def probe(run_dir: str, n: int = 2000, seed: int = 0, aim: int = 0) -> dict:
    registry = load_registry()
    state = checkpoint.load_checkpoint(run_dir)
    recipe = checkpoint.recipe_of(state, registry)
    spec = DataSpec.from_dict(state["data_spec"])
    models = build_models(recipe, spec, resolve_device("cpu"), roles=["generator", "discriminator"])
    for role, model in models.items():
        model.load_state_dict(state["models"][role])
        model.eval()
    G, D = models["generator"], models["discriminator"]
    rng = torch.Generator().manual_seed(seed)
    images = load_data(recipe).images
    images = images[torch.randperm(len(images), generator=rng)[:n]]
    real = unit_range(images) if images.dtype == torch.uint8 else images
    labels = torch.randint(spec.num_classes, (len(real),), generator=rng) if spec.num_classes else None
    with torch.no_grad():
        fake = generate(G, draw_latent(G, len(real), rng), labels)
        result = {"d_fake": torch.sigmoid(discriminate(D, fake, labels)).mean().item(),
                  "d_real": torch.sigmoid(discriminate(D, real, labels)).mean().item()}

    def gradient_norm(points):
        points = points.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(discriminate(D, points, labels).sum(), points)
        return grad.flatten(1).norm(dim=1).mean().item()

    def mix(a, b):
        weight = torch.rand((len(a),) + (1,) * (a.dim() - 1), generator=rng)
        return weight * a + (1 - weight) * b

    perturbed = real + 0.5 * real.std() * torch.rand(real.shape, generator=rng)
    result.update(grad_real=gradient_norm(real), grad_perturbed=gradient_norm(mix(real, perturbed)),
                  grad_between=gradient_norm(mix(real, fake)))
    if aim:
        result.update(aim_before=result["d_fake"], aim_after=aim_against_fixed_d(
            G, D, build_losses(recipe)["loss"], real, labels, aim, rng))
    return result


def aim_against_fixed_d(G, D, loss, real, labels, steps: int, rng, batch: int = 128) -> float:
    """Mean D(G(z)) on fresh samples after ``steps`` Adam updates of G (lr 1e-3) with ``loss``'s
    generator loss, D held fixed: the value G's loss drives D(G(z)) to, without D answering."""
    D.requires_grad_(False)
    optimizer = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))
    for _ in range(steps):
        z = draw_latent(G, batch, rng)
        fake = generate(G, z, labels[:batch] if labels is not None else None)
        ctx = LossContext(discriminator=D, real=real[:batch], fake=fake,
                          labels=labels[:batch] if labels is not None else None, latent=z)
        optimizer.zero_grad()
        loss.generator_loss(ctx.discriminate(fake), ctx).backward()
        optimizer.step()
    with torch.no_grad():
        return torch.sigmoid(discriminate(D, generate(G, draw_latent(G, len(real), rng), labels), labels)).mean().item()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir")
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--aim", type=int, default=0, metavar="STEPS",
                        help="also train G STEPS more updates against the fixed D, and say where D(G(z)) goes")
    args = parser.parse_args()
    print(json.dumps(probe(args.run_dir, args.n, aim=args.aim)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
