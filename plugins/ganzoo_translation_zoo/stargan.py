"""StarGAN (Choi, Choi, Kim, Ha, Kim and Choo, CVPR 2018): one generator translates a picture
into any of several domains, chosen by a label.

- ``mnist-domains`` (task): MNIST digits drawn in one of several domains, each a morphological
  or geometric transform of the digit: ``plain``, ``thin`` (eroded), ``thick`` (dilated),
  ``inverted``, ``rotated`` (a quarter turn anticlockwise), ``outlined`` (dilated minus eroded).
  Each digit's domain is drawn from ``seed``; ``labels`` are the domains (the ``domains`` list's
  indices), not the digits. The pictures are made when the data are loaded: no files beyond
  MNIST's. The other side, ``targets``, is each digit drawn in ``target_domain`` (paired): the
  translation ``ganzoo eval``, ``translate`` and the grids show when no domain is asked.
- ``domains-folder`` (task): users' pictures, one named subfolder per domain (``FOLDER/NAME/``),
  or ``FOLDER/train/NAME/`` and ``FOLDER/test/NAME/``; the ``domains`` list names them, in order.
  Its other side is the ``target_domain`` pictures (unpaired), repeated to the number of all
  the pictures, as an epoch lasts as long as the shorter side.
- ``stargan`` (generator): down-sampling convolutions, residual blocks and up-sampling ones on
  the picture with its target domain stacked on its channels as one-hot planes.
  ``forward(x)`` translates into ``default_domain``; ``forward(x, domains)`` into each row's
  domain (indices into ``domains``). ``domains`` holds the names: ``ganzoo translate --domain``.
- ``stargan-critic`` (discriminator): a PatchGAN-like body with two heads, the source (real or
  fake, one logit per patch: ``forward``) and the domain classifier (``classify``).
- ``stargan`` (algorithm), as PyTorch-GAN's port by default: each step the critic learns the
  recipe's ``loss`` (the paper's WGAN-GP) plus ``domain_weight`` x the cross-entropy of the real
  pictures' domains; every ``d_steps``-th step (n_critic, 5) the generator learns to fool it, to be
  read as the asked domain (``domain_weight``) and to come back to the picture when translated into
  its own domain again (L1 x ``reconstruction_weight``). ``identity_weight`` (0: off, as in the
  paper) adds L1 x that weight between the picture and its translation into its own domain: it
  teaches the generator to carry the picture through early (``stargan_mnist`` sets 10, with LSGAN
  and ``d_steps`` 1, to learn on a CPU budget; without it the generator lost the digits there). On
  a generator step the critic's fakes are that step's translations (one forward pass for both
  updates). The asked domains are drawn from ``step.latent``: the
  trainer's seeded noise stream, kept in checkpoints, so a resumed run (or one under ``--nproc``)
  asks what one uninterrupted process would; the algorithm keeps no state of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

import torch
import torch.nn.functional as F
from torch import nn

import ganzoo
from ganzoo import DataSource, GanzooError, ImageData, TwoSided, default_data_root
from ganzoo_translation.cyclegan_folders import read_domain
from ganzoo_translation.folders import images_in
from ganzoo_translation.mnist_tasks import FILES, MNISTTaskParams, read_split
from ganzoo_translation_zoo.common import patch_context

MNIST_DOMAINS = ("plain", "thin", "thick", "inverted", "rotated", "outlined")


# ------------------------------------------------------------------ the tasks
def eroded(x: torch.Tensor) -> torch.Tensor:
    """The minimum over each pixel's plus-shaped neighbourhood (pictures in [-1, 1], background -1)."""
    padded = F.pad(x, (1, 1, 1, 1), value=-1.0)
    h, w = x.shape[-2:]
    shifts = [padded[..., 1 + dy:1 + dy + h, 1 + dx:1 + dx + w]
              for dy, dx in ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1))]
    return torch.stack(shifts).amin(0)


def dilated(x: torch.Tensor) -> torch.Tensor:
    """The maximum over each pixel's 3x3 neighbourhood."""
    return F.max_pool2d(x, 3, 1, 1)


def in_domain(digits: torch.Tensor, domain: str) -> torch.Tensor:
    """MNIST ``digits`` (N, 1, 28, 28) in [-1, 1] drawn in ``domain`` (one of ``MNIST_DOMAINS``)."""
    if domain == "plain":
        return digits.clone()
    if domain == "thin":
        return eroded(digits)
    if domain == "thick":
        return dilated(digits)
    if domain == "inverted":
        return -digits
    if domain == "rotated":
        return torch.rot90(digits, 1, dims=(-2, -1)).contiguous()
    if domain == "outlined":
        return (dilated(digits) - eroded(digits) - 1).clamp(-1, 1)
    raise ValueError(f"unknown domain {domain!r}; the MNIST domains are {', '.join(MNIST_DOMAINS)}")


def check_domains(domains, target_domain: str, known=None) -> None:
    if len(domains) < 2 or len(set(domains)) != len(domains):
        raise ValueError(f"domains must name at least two different domains, got {list(domains)}")
    unknown = [d for d in domains if known is not None and d not in known]
    if unknown:
        raise ValueError(f"unknown domain(s) {', '.join(unknown)}; the MNIST domains are {', '.join(known)}")
    if target_domain not in domains:
        raise ValueError(f"target_domain {target_domain!r} is not one of the domains ({', '.join(domains)})")


@dataclass
class MNISTDomainsParams(MNISTTaskParams):
    domains: List[str] = field(default_factory=lambda: list(MNIST_DOMAINS))  # labels are indices into it
    target_domain: str = "thick"  # the other side (targets): what eval, translate and the grids show by default
    seed: int = 0  # draws each digit's domain

    def __post_init__(self):
        super().__post_init__()
        check_domains(list(self.domains), self.target_domain, MNIST_DOMAINS)


def drawn_in_domains(digits: torch.Tensor, domains, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Each digit in a domain drawn from ``generator``: (pictures, domain indices)."""
    chosen = torch.randint(len(domains), (len(digits),), generator=generator)
    pictures = digits.clone()
    for index, name in enumerate(domains):
        rows = chosen == index
        pictures[rows] = in_domain(digits[rows], name)
    return pictures, chosen


def load_mnist_domains(params: MNISTDomainsParams) -> ImageData:
    root = Path(params.root or default_data_root())
    domains = list(params.domains)
    draws = torch.Generator().manual_seed(params.seed)
    sides = {}
    for split, limit in (("train", params.limit), ("test", params.test_limit)):
        digits, _ = read_split(root, split, limit)
        pictures, chosen = drawn_in_domains(digits, domains, draws)
        sides[split] = dict(images=pictures, labels=chosen, num_classes=len(domains),
                            two_sided=TwoSided(targets=in_domain(digits, params.target_domain), paired=True))
    source = DataSource(root=root, files=tuple(f"MNIST/raw/{name}" for split in FILES.values() for name in split))
    return ImageData(**sides["train"], held_out=ImageData(**sides["test"]), source=source)


@dataclass
class DomainsFolderParams:
    path: Optional[str] = None  # required: FOLDER/NAME/ per domain, or FOLDER/train/NAME/ and FOLDER/test/NAME/
    domains: List[str] = field(default_factory=list)  # required: the subfolders' names, in label order
    target_domain: Optional[str] = None  # the other side (targets); default: the first domain
    channels: int = 3  # 3 (RGB) or 1 (grey)
    size: int = 64  # every picture is resized to size x size
    test_fraction: float = 0.1  # of each domain held out, the last by name, when there is no test/ folder
    limit: Optional[int] = None  # train on the first N pictures of each domain only

    def __post_init__(self):
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {self.channels}")
        if not 0 < self.test_fraction < 1:
            raise ValueError(f"test_fraction must be between 0 and 1, got {self.test_fraction}")


def load_domains_folder(params: DomainsFolderParams) -> ImageData:
    if not params.path:
        raise GanzooError("domains-folder needs a folder with one subfolder of pictures per domain: add "
                          "dataset.params.path=FOLDER and dataset.params.domains=[NAME,NAME,...]")
    root = Path(params.path).expanduser()
    if not root.is_dir():
        raise GanzooError(f"domains folder '{root}' not found; set dataset.params.path to a folder holding one "
                          "subfolder of pictures per domain")
    subfolders = sorted(p.name for p in root.iterdir() if p.is_dir() and p.name not in ("train", "test"))
    if len(params.domains) < 2:
        raise GanzooError(f"name the domains, at least two of '{root}''s subfolders, in label order: "
                          f"dataset.params.domains=[{','.join(subfolders) or 'NAME,NAME'}]")
    domains = list(params.domains)
    target = params.target_domain or domains[0]
    try:
        check_domains(domains, target)
    except ValueError as error:
        raise GanzooError(f"domains-folder: {error}") from error
    split = (root / "train").is_dir()
    bases = (root / "train", root / "test") if split else (root,)
    for base in bases:
        for name in domains:
            if not (base / name).is_dir() or not images_in(base / name):
                raise GanzooError(f"'{base / name}' holds no .png or .jpg pictures; each domain named in "
                                  f"dataset.params.domains needs a subfolder of pictures in '{base}'")
    train, test = [], []
    for name in domains:
        if split:
            train.append(read_domain(root / "train" / name, params, params.limit))
            test.append(read_domain(root / "test" / name, params, None))
        else:
            every = read_domain(root / name, params, None)
            keep = len(every) - max(1, round(len(every) * params.test_fraction))
            if keep < 1:
                raise GanzooError(f"'{root / name}' holds {len(every)} picture(s): too few to hold some out and "
                                  "train on the rest; add pictures or train/ and test/ folders")
            train.append(every[:keep][:params.limit])
            test.append(every[keep:])

    def side(pictures) -> ImageData:
        labels = torch.cat([torch.full((len(p),), i, dtype=torch.long) for i, p in enumerate(pictures)])
        targets = pictures[domains.index(target)]  # repeated to the pictures' number: an epoch reads them all
        return ImageData(images=torch.cat(pictures), labels=labels, num_classes=len(domains),
                         two_sided=TwoSided(targets=targets[torch.arange(len(labels)) % len(targets)], paired=False))

    data = side(train)
    data.held_out = side(test)
    return data


# ------------------------------------------------------------------ the networks
@dataclass
class StarGANGeneratorParams:
    domains: List[str] = field(default_factory=list)  # required: the dataset's (${dataset.params.domains})
    default_domain: Optional[str] = None  # forward(x) translates into it; default: the first domain
    base_channels: int = 16  # (paper: 64)
    residual_blocks: int = 2  # (paper: 6)

    def __post_init__(self):
        if self.base_channels < 1 or self.residual_blocks < 0:
            raise ValueError("base_channels must be at least 1 and residual_blocks at least 0")


class Residual(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, 1, 1, bias=False), nn.InstanceNorm2d(channels, affine=True),
            nn.ReLU(True), nn.Conv2d(channels, channels, 3, 1, 1, bias=False), nn.InstanceNorm2d(channels, affine=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class StarGANGenerator(nn.Module):
    """``G(x, domains)``: ``x`` with one-hot planes of its target domain, down twice, residual blocks, up twice."""

    def __init__(self, params: StarGANGeneratorParams, spec: ganzoo.DataSpec):
        super().__init__()
        if spec.target_shape is None:
            raise ValueError("the stargan generator translates pictures and needs two-sided data (e.g. mnist-domains)")
        if len(params.domains) < 2:
            raise ValueError("the stargan generator needs the domains' names: domains: ${dataset.params.domains}")
        default = params.default_domain or params.domains[0]
        if default not in params.domains:
            raise ValueError(f"default_domain {default!r} is not one of the domains ({', '.join(params.domains)})")
        channels, height, width = spec.image_shape
        if height % 4 or width % 4:
            raise ValueError(f"the stargan generator halves the pictures twice; {height}x{width} is not a multiple "
                             "of 4")
        self.domains = tuple(params.domains)
        self.default_domain = self.domains.index(default)
        c = params.base_channels

        def norm_relu(n):
            return [nn.InstanceNorm2d(n, affine=True), nn.ReLU(True)]

        self.body = nn.Sequential(
            nn.Conv2d(channels + len(self.domains), c, 7, 1, 3, bias=False), *norm_relu(c),
            nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False), *norm_relu(2 * c),
            nn.Conv2d(2 * c, 4 * c, 4, 2, 1, bias=False), *norm_relu(4 * c),
            *(Residual(4 * c) for _ in range(params.residual_blocks)),
            nn.ConvTranspose2d(4 * c, 2 * c, 4, 2, 1, bias=False), *norm_relu(2 * c),
            nn.ConvTranspose2d(2 * c, c, 4, 2, 1, bias=False), *norm_relu(c),
            nn.Conv2d(c, spec.target_shape[0], 7, 1, 3), nn.Tanh())

    def sample_latent(self, n: int, rng: torch.Generator) -> torch.Tensor:
        """``n`` target domains drawn uniformly (what the algorithm asks for), as indices."""
        return torch.randint(len(self.domains), (n,), generator=rng, device=rng.device)

    def forward(self, x: torch.Tensor, domains: Optional[torch.Tensor] = None) -> torch.Tensor:
        if domains is None:
            domains = torch.full((x.shape[0],), self.default_domain, dtype=torch.long, device=x.device)
        planes = F.one_hot(domains.long(), len(self.domains)).to(x.dtype)[:, :, None, None]
        return self.body(torch.cat([x, planes.expand(-1, -1, *x.shape[2:])], dim=1))


def make_stargan_generator(params: StarGANGeneratorParams, spec: ganzoo.DataSpec) -> StarGANGenerator:
    return StarGANGenerator(params, spec)


@dataclass
class StarGANCriticParams:
    base_channels: int = 16  # (paper: 64)
    layers: int = 2  # stride-2 convolutions (paper: 6, on 128x128)

    def __post_init__(self):
        if self.base_channels < 1 or self.layers < 1:
            raise ValueError("base_channels and layers must be at least 1")


class StarGANCritic(nn.Module):
    """Strided convolutions, then two heads: real/fake per patch (``forward``) and the domain (``classify``)."""

    def __init__(self, params: StarGANCriticParams, spec: ganzoo.DataSpec):
        super().__init__()
        if not spec.num_classes or spec.num_classes < 2:
            raise ValueError("the stargan-critic classifies domains and needs data labelled with them "
                             "(e.g. mnist-domains)")
        channels, height, width = spec.target_shape or spec.image_shape
        layers, c, n = [], channels, params.base_channels
        for _ in range(params.layers):
            layers += [nn.Conv2d(c, n, 4, 2, 1), nn.LeakyReLU(0.01, True)]
            c, n = n, 2 * n
            height, width = height // 2, width // 2
        if min(height, width) < 1:
            raise ValueError(f"the stargan-critic's {params.layers} layers halve the pictures below one pixel")
        self.num_domains = spec.num_classes
        self.body = nn.Sequential(*layers)
        self.source = nn.Conv2d(c, 1, 3, 1, 1, bias=False)
        self.domain = nn.Conv2d(c, spec.num_classes, (height, width), bias=False)

    def judge(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(one real/fake logit per patch, (N, 1, h, w); the domains' logits, (N, num_domains))."""
        h = self.body(x)
        return self.source(h), self.domain(h).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.source(self.body(x))

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        return self.domain(self.body(x)).flatten(1)


def make_stargan_critic(params: StarGANCriticParams, spec: ganzoo.DataSpec) -> StarGANCritic:
    return StarGANCritic(params, spec)


# ------------------------------------------------------------------ the algorithm
@dataclass
class StarGANParams:
    # PyTorch-GAN's port: lambda_cls 1, lambda_rec 10, n_critic 5 (and WGAN-GP's lambda_gp 10: the loss's)
    domain_weight: float = 1.0  # the domain classification terms, of the critic (real) and of the generator (fake)
    reconstruction_weight: float = 10.0  # L1 of G(G(x, asked), own) - x
    d_steps: int = 5  # critic steps per generator step
    identity_weight: float = 0.0  # L1 of G(x, own) - x (not in the paper: 0 turns it off)

    def __post_init__(self):
        if self.domain_weight < 0 or self.reconstruction_weight < 0 or self.identity_weight < 0:
            raise ValueError("domain_weight, reconstruction_weight and identity_weight must be at least 0")
        if self.d_steps < 1:
            raise ValueError(f"d_steps must be at least 1, got {self.d_steps}")


class StarGAN(ganzoo.Algorithm):
    roles = {"generator": "generator", "discriminator": "discriminator", "loss": "loss"}
    scalars = ("d_loss", "g_loss", "d_domain", "g_domain", "reconstruction", "identity")
    directions = {"a2b": "generator"}

    def __init__(self, params: Optional[StarGANParams] = None):
        super().__init__(params if params is not None else StarGANParams())

    def setup(self, models, losses, data) -> None:
        G, D = models["generator"], models["discriminator"]
        if not isinstance(G, StarGANGenerator) or not isinstance(D, StarGANCritic):
            raise GanzooError("stargan's generator must be 'stargan' (it takes a domain) and its discriminator "
                              "'stargan-critic' (it also classifies domains); set generator.name=stargan and "
                              "discriminator.name=stargan-critic")
        if data.num_classes != len(G.domains):
            raise GanzooError(f"stargan's generator knows {len(G.domains)} domains but the data are labelled with "
                              f"{data.num_classes}; set generator.params.domains: ${{dataset.params.domains}}")
        if tuple(data.image_shape) != tuple(data.target_shape):
            raise GanzooError("stargan translates among domains of one picture size; this dataset's two sides "
                              f"differ ({tuple(data.image_shape)} and {tuple(data.target_shape)})")

    def train_step(self, batch, step) -> None:
        G, D = step.models["generator"], step.models["discriminator"]
        loss, p = step.losses["loss"], self.params
        x, own = batch.images, batch.labels
        if own is None:
            raise GanzooError("stargan learns from pictures labelled with their domains; this dataset has no labels")
        asked = step.latent("generator").to(own.device)
        generator_step = (step.index + 1) % p.d_steps == 0

        with torch.set_grad_enabled(generator_step):  # the generator's update below reuses this forward pass
            fake = G(x, asked)
        judged = fake.detach()
        real_source, real_domain = D.judge(x)
        fake_source = D(judged)
        d_adv = loss.discriminator_loss(real_source.reshape(-1).float(), fake_source.reshape(-1).float(),
                                        patch_context(D, x, judged, step))
        d_domain = F.cross_entropy(real_domain.float(), own)
        if step.update("discriminator", d_adv + p.domain_weight * d_domain):
            step.log(d_loss=d_adv, d_domain=d_domain)

        if not generator_step:
            return
        with step.frozen("discriminator"):
            fake_source, fake_domain = D.judge(fake)
            g_adv = loss.generator_loss(fake_source.reshape(-1).float(), patch_context(D, x, fake, step))
            g_domain = F.cross_entropy(fake_domain.float(), asked)
            reconstruction = (G(fake, own) - x).abs().mean()
            total = g_adv + p.domain_weight * g_domain + p.reconstruction_weight * reconstruction
            identity = None
            if p.identity_weight > 0:
                identity = (G(x, own) - x).abs().mean()
                total = total + p.identity_weight * identity
        if step.update("generator", total):
            step.log(g_loss=g_adv, g_domain=g_domain, reconstruction=reconstruction,
                     **({"identity": identity} if identity is not None else {}))

