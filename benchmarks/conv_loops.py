"""Hand-written training loops of the convolutional GANs that benchmarks/trainer_speed.py times ganzoo against.

The models are written here in plain torch.nn, the same layers as ganzoo's ``dcgan`` plugin builds
for the recipes' overrides in trainer_speed.py:

  dcgan  G: z (100) -> linear -> 128x7x7 -> 4x4 stride-2 transposed conv -> 64x14x14 -> 1x28x28, batch norm
         after the linear layer and the first convolution, ReLU, tanh; D: 1x28x28 -> 64x14x14 -> 128x7x7
         (batch norm) -> 1 logit, LeakyReLU 0.2; DCGAN's N(0, 0.02) initialisation
  cgan   the same with a label embedding (16) concatenated to z and a projection discriminator
         (logit += <embed(y), features>), as cgan_mnist.yaml

The loop is the one a user writes: D on real against detached fake (BCE on logits), then G with fresh
noise (non-saturating), Adam 2e-4 (0.5, 0.999), batch 64, torch's defaults. ``LEVERS`` switch on, one
at a time or together, what ganzoo's trainer could do to the same loop, so each lever's effect is
measured on its own.
"""

from __future__ import annotations

import contextlib

LATENT, EMBED, CLASSES = 100, 16, 10
LEVERS = ("channels_last", "bf16", "fused_adam", "compile")


def conv_models(torch, conditional: bool):
    from torch import nn

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(CLASSES, EMBED) if conditional else None
            self.project = nn.Sequential(nn.Linear(LATENT + (EMBED if conditional else 0), 128 * 7 * 7, bias=False),
                                         nn.Unflatten(1, (128, 7, 7)), nn.BatchNorm2d(128), nn.ReLU())
            self.blocks = nn.Sequential(nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                                        nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())

        def forward(self, z, labels=None):
            if self.embed is not None:
                z = torch.cat([z, self.embed(labels)], dim=1)
            return self.blocks(self.project(z))

    class Discriminator(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2),
                                          nn.Conv2d(64, 128, 4, 2, 1), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
                                          nn.Flatten())
            self.logit = nn.Linear(128 * 7 * 7, 1)
            self.project = nn.Embedding(CLASSES, 128 * 7 * 7) if conditional else None

        def forward(self, x, labels=None):
            h = self.features(x)
            out = self.logit(h).view(-1)
            if self.project is not None:
                out = out + (self.project(labels) * h).sum(dim=1)
            return out

    G, D = Generator(), Discriminator()
    for module in (G, D):
        for layer in module.modules():
            if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.Embedding)):
                nn.init.normal_(layer.weight, 0.0, 0.02)
                if getattr(layer, "bias", None) is not None:
                    nn.init.zeros_(layer.bias)
            elif isinstance(layer, nn.BatchNorm2d):
                nn.init.normal_(layer.weight, 1.0, 0.02)
                nn.init.zeros_(layer.bias)
    return G, D


def conv_epoch(torch, G, D, batches, conditional: bool, levers=()):
    """One epoch of the plain loop over ``batches`` of (images, labels); ``levers`` from LEVERS."""
    import torch.nn.functional as F

    if "channels_last" in levers:
        G, D = G.to(memory_format=torch.channels_last), D.to(memory_format=torch.channels_last)
    kwargs = {"fused": True} if "fused_adam" in levers else {}
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999), **kwargs)
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999), **kwargs)
    g, d = (torch.compile(G), torch.compile(D)) if "compile" in levers else (G, D)
    autocast = ((lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if "bf16" in levers
                else contextlib.nullcontext)
    for real, labels in batches:
        if "channels_last" in levers:
            real = real.contiguous(memory_format=torch.channels_last)
        n = real.shape[0]
        labels = labels if conditional else None
        ones, zeros = torch.ones(n), torch.zeros(n)
        with autocast():
            fake = g(torch.randn(n, LATENT), labels).detach()
            real_logits, fake_logits = d(real, labels).float(), d(fake, labels).float()
        d_loss = (F.binary_cross_entropy_with_logits(real_logits, ones)
                  + F.binary_cross_entropy_with_logits(fake_logits, zeros))
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        with autocast():
            fake_logits = d(g(torch.randn(n, LATENT), labels), labels).float()
        g_loss = F.binary_cross_entropy_with_logits(fake_logits, ones)
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
