"""`ganzoo new-plugin`: write a plugin package that installs, registers and passes its tests."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Iterable, Optional

from ganzoo.errors import GanzooError
from ganzoo.pluginhost import registry

#: the kinds a scaffold writes an example of when it is given none
DEFAULT_KINDS = ("generator", "discriminator", "loss", "dataset")

_PLUGIN_NAME = re.compile(r"^[a-z][a-z0-9]*([_-][a-z0-9]+)*$")


def plugin_names(name: str) -> tuple[str, str, str]:
    """(entry-point and component name, distribution, import package) for a plugin NAME."""
    name = name.strip()
    if name.startswith("ganzoo-") or name.startswith("ganzoo_"):
        name = name[len("ganzoo-"):]
    if not _PLUGIN_NAME.match(name):
        raise GanzooError(f"plugin name '{name}' must be lower-case letters and digits, optionally joined by "
                          "'-' or '_', starting with a letter (e.g. lsgan or my-gans)")
    return name, f"ganzoo-{name}", "ganzoo_" + name.replace("-", "_")


def write_plugin(name: str, folder: Optional[str] = None, kinds: Optional[Iterable[str]] = None) -> Path:
    """Write the package for plugin ``name`` into ``folder`` (default ./ganzoo-NAME); return the folder."""
    name, dist, package = plugin_names(name)
    kinds = list(dict.fromkeys(kinds or DEFAULT_KINDS))
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown:
        other = (f"unknown kind '{unknown[0]}'" if unknown[0] not in registry.KINDS else
                 f"new-plugin writes no example of a {unknown[0]} (register one by hand: docs/writing-plugins.md)")
        raise GanzooError(f"{other}; kinds it writes examples of: {', '.join(KINDS)}")
    _check_name_is_free(name, dist)
    root = Path(folder) if folder else Path(dist)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise GanzooError(f"{root} already exists and is not an empty folder; choose another --dir")
    files = render_plugin(name, kinds)
    # Write into a hidden sibling folder and rename it at the end: a crash leaves no half package.
    try:
        root.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{root.name}.", suffix=".tmp", dir=root.parent))
    except OSError as error:
        raise GanzooError(f"cannot write {root}: {error.strerror or error}; choose a writable --dir") from error
    try:
        for path, text in files.items():
            (staging / path).parent.mkdir(parents=True, exist_ok=True)
            (staging / path).write_text(text, encoding="utf-8")
        if root.exists():
            root.rmdir()
        os.replace(staging, root)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise GanzooError(f"cannot write {root}: {error.strerror or error}") from error
    return root


def _check_name_is_free(name: str, dist: str) -> None:
    from importlib import metadata

    for ep in metadata.entry_points(group="ganzoo"):
        owner = ep.dist.metadata["Name"] if ep.dist is not None else "?"
        if ep.name == name and owner != dist:
            raise GanzooError(f"the plugin name '{name}' is taken by the installed distribution {owner}; "
                              "choose another name")


def render_plugin(name: str, kinds: list[str]) -> dict[str, str]:
    """The package's files, path -> text, for plugin ``name`` with examples of ``kinds``."""
    name, dist, package = plugin_names(name)
    sources = {"generator": "models.py", "discriminator": "models.py", "encoder": "models.py", "loss": "losses.py",
               "dataset": "datasets.py"}
    files = {
        "pyproject.toml": PYPROJECT,
        "README.md": README,
        ".gitignore": GITIGNORE,
        f"src/{package}/__init__.py": _init_module(kinds),
        f"recipes/{name}.yaml": _recipe(kinds),
        f"tests/test_{package}.py": _tests(kinds),
    }
    for kind in kinds:
        path = f"src/{package}/{sources[kind]}"
        files[path] = files.get(path, MODULE_HEADERS[sources[kind]]) + TEMPLATES[kind]
    tokens = {"__NAME__": name, "__DIST__": dist, "__PACKAGE__": package,
              "__KINDS__": ", ".join(kinds)}
    return {path: _fill(text, tokens) for path, text in files.items()}


def _fill(text: str, tokens: dict[str, str]) -> str:
    for token, value in tokens.items():
        text = text.replace(token, value)
    return text


def _init_module(kinds: list[str]) -> str:
    imports = {
        "generator": "from __PACKAGE__.models import GeneratorParams, make_generator",
        "discriminator": "from __PACKAGE__.models import DiscriminatorParams, make_discriminator",
        "encoder": "from __PACKAGE__.models import EncoderParams, make_encoder",
        "loss": "from __PACKAGE__.losses import LeastSquaresParams, make_least_squares",
        "dataset": "from __PACKAGE__.datasets import StripesParams, load_stripes",
    }
    hooks = {
        "generator": ('register_generators', 'make_generator, GeneratorParams',
                      "Example generator from __DIST__: z -> hidden layer -> image, tanh output."),
        "discriminator": ('register_discriminators', 'make_discriminator, DiscriminatorParams',
                          "Example discriminator from __DIST__: image -> hidden layer -> one logit."),
        "encoder": ('register_encoders', 'make_encoder, EncoderParams',
                    "Example encoder from __DIST__: image -> hidden layer -> code (N, latent_dim)."),
        "loss": ('register_losses', 'make_least_squares, LeastSquaresParams',
                 "Least-squares GAN loss (Mao et al. 2017), targets a, b, c."),
        "dataset": ('register_datasets', 'load_stripes, StripesParams',
                    "Synthetic stripes, horizontal (label 0) or vertical (label 1); no download."),
    }
    lines = ['"""__DIST__: a ganzoo plugin.',
             "",
             "ganzoo finds it through the entry point in pyproject.toml",
             "([project.entry-points.ganzoo] __NAME__ = \"__PACKAGE__\") and calls the hooks below.",
             '"""',
             "",
             "from ganzoo import hookimpl",
             ""]
    lines += [imports[kind] for kind in kinds]
    for kind in kinds:
        hook, args, description = hooks[kind]
        lines += ["", "", "@hookimpl", f"def {hook}(register):",
                  f'    register("__NAME__", {args},', f'             "{description}")']
    return "\n".join(lines) + "\n"


def _recipe(kinds: list[str]) -> str:
    def pick(kind: str, fallback: str, params: str) -> str:
        if kind in kinds:
            return f"{kind}:\n  name: __NAME__      # from this plugin\n{params}"
        return f"{kind}:\n  name: {fallback}\n"

    return (
        "# A recipe that uses this plugin's components (and the built-in ones for the rest).\n"
        "#   ganzoo run recipes/__NAME__.yaml\n"
        "seed: 0\n\n"
        + pick("dataset", "mnist", "  params:\n    n: 512\n    size: 28\n") + "\n"
        + pick("generator", "mlp", "  params:\n    latent_dim: 32\n    hidden: 128\n") + "\n"
        + pick("discriminator", "mlp", "  params:\n    hidden: 128\n") + "\n"
        + pick("loss", "bce", "  params:\n    a: 0.0  # target for fake images in D's loss\n"
                              "    b: 1.0  # target for real images in D's loss\n"
                              "    c: 1.0  # the value G wants D to give its images\n") + "\n"
        "optimizers:\n  generator: {name: adam, lr: 2.0e-4, betas: [0.5, 0.999]}\n"
        "  discriminator: {name: adam, lr: 2.0e-4, betas: [0.5, 0.999]}\n\n"
        "train:\n  epochs: 2\n  batch_size: 64\n"
    )


def _tests(kinds: list[str]) -> str:
    lines = ['"""Contract tests: ganzoo.testing builds each component as a run does and checks it."""',
             "",
             "from ganzoo import testing",
             "",
             "",
             "def test_plugin_loads():",
             '    components = testing.check_plugin_loads("__NAME__")',
             f"    assert sorted(c.kind for c in components) == {sorted(kinds)!r}"]
    checks = {
        "generator": ["def test_generator():", '    testing.check_generator("__NAME__", {"latent_dim": 8})'],
        "discriminator": ["def test_discriminator():", '    testing.check_discriminator("__NAME__")'],
        "encoder": ["def test_encoder():", '    testing.check_encoder("__NAME__", {"latent_dim": 8})'],
        "loss": ["def test_loss():", '    testing.check_loss("__NAME__")',
                 '    testing.check_loss("__NAME__", {"a": -1.0, "b": 1.0, "c": 0.0})'],
        "dataset": ["def test_dataset():", '    data = testing.check_dataset("__NAME__", {"n": 20, "size": 12})',
                    "    assert tuple(data.images.shape) == (20, 1, 12, 12)"],
    }
    for kind in kinds:
        lines += ["", ""] + checks[kind]
    names = {kind: '"__NAME__"' for kind in kinds}
    step_args = [f"{kind}={names[kind]}" for kind in ("generator", "discriminator", "loss", "dataset") if kind in names]
    if not step_args:  # an encoder alone: the gan algorithm's step has no role for it
        return "\n".join(lines) + "\n"
    if "dataset" in kinds:
        step_args.append('params={"dataset": {"n": 16, "size": 16}}')
    lines += ["", "", "def test_one_training_step():",
              "    # Kinds this plugin lacks come from the built-in plugin (mlp, bce) or random data.",
              "    testing.check_training_step(", f"        {', '.join(step_args)},", "    )"]
    return "\n".join(lines) + "\n"


PYPROJECT = '''[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "__DIST__"
version = "0.1.0"
description = "A ganzoo plugin: __KINDS__."
readme = "README.md"
requires-python = ">=3.10"
dependencies = ["ganzoo"]

[project.optional-dependencies]
test = ["pytest>=8"]

# This table is what makes ganzoo find the plugin: group "ganzoo",
# entry-point name "__NAME__", value the module holding the @hookimpl functions.
[project.entry-points.ganzoo]
__NAME__ = "__PACKAGE__"

[tool.setuptools.packages.find]
where = ["src"]

[tool.pytest.ini_options]
testpaths = ["tests"]
'''

README = '''# __DIST__

A [ganzoo](https://pypi.org/project/ganzoo/) plugin. It registers, under the name
`__NAME__`: __KINDS__.

## Install and check

```
pip install -e .            # into the environment that has ganzoo
ganzoo plugins              # __NAME__ should be listed as loaded
ganzoo list                 # its components, next to the built-in ones
pip install pytest && pytest
```

## Use it

```
ganzoo run recipes/__NAME__.yaml
```

or name its components in any recipe (`loss: {name: __NAME__}` and so on).

## Develop

Each component is a factory plus a params dataclass, registered in
`src/__PACKAGE__/__init__.py`. The tests in `tests/` use `ganzoo.testing`, which
builds every component the way a run does and checks shapes, value ranges,
gradients, devices and one real training step. If `ganzoo list` warns that the
plugin was skipped, the warning names the error; `ganzoo --strict list` turns it
into a failure, for CI. See ganzoo's docs/writing-plugins.md.
'''

GITIGNORE = '''__pycache__/
*.egg-info/
build/
dist/
runs/
'''

MODULE_HEADERS = {
    "models.py": '''"""Example models. Replace the layers; keep the factory signatures and the contract:
a generator maps noise (N, latent_dim) to images (N, C, H, W) in [-1, 1]; a
discriminator maps images to one logit per image; an encoder maps images to codes
(N, latent_dim)."""

from dataclasses import dataclass
from math import prod

from torch import nn

from ganzoo import DataSpec, Tanh
''',
    "losses.py": '''"""Example loss. An AdversarialLoss gets the discriminator's logits on real and fake
images (and a ganzoo.LossContext with the discriminator and the batches)."""

from dataclasses import dataclass

from ganzoo import AdversarialLoss
''',
    "datasets.py": '''"""Example dataset. A dataset factory returns a ganzoo.ImageData: every image as one
float tensor (N, C, H, W) scaled to [-1, 1], with optional integer labels."""

from dataclasses import dataclass

import torch

from ganzoo import ImageData
''',
}

TEMPLATES = {
    "generator": '''

@dataclass
class GeneratorParams:
    """The generator's params: recipes set them under generator.params."""

    latent_dim: int = 64
    hidden: int = 256

    def __post_init__(self):
        if self.latent_dim < 1 or self.hidden < 1:
            raise ValueError("latent_dim and hidden must be at least 1")


class Generator(nn.Module):
    def __init__(self, params: GeneratorParams, data: DataSpec):
        super().__init__()
        self.latent_dim = params.latent_dim  # the trainer draws noise of this size
        self.image_shape = tuple(data.image_shape)
        self.net = nn.Sequential(
            nn.Linear(params.latent_dim, params.hidden),
            nn.ReLU(),
            nn.Linear(params.hidden, prod(self.image_shape)),
            Tanh(),  # images in [-1, 1], like the data (torch.nn.Tanh's values, faster on CPU)
        )

    def forward(self, z):
        return self.net(z).view(z.shape[0], *self.image_shape)


def make_generator(params: GeneratorParams, data: DataSpec) -> Generator:
    return Generator(params, data)
''',
    "discriminator": '''

@dataclass
class DiscriminatorParams:
    """The discriminator's params: recipes set them under discriminator.params."""

    hidden: int = 256
    negative_slope: float = 0.2

    def __post_init__(self):
        if self.hidden < 1:
            raise ValueError(f"hidden must be at least 1, got {self.hidden}")


class Discriminator(nn.Module):
    def __init__(self, params: DiscriminatorParams, data: DataSpec):
        super().__init__()
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(prod(data.image_shape), params.hidden),
            nn.LeakyReLU(params.negative_slope),
            nn.Linear(params.hidden, 1),
        )

    def forward(self, x):
        return self.net(x).view(-1)  # one logit per image


def make_discriminator(params: DiscriminatorParams, data: DataSpec) -> Discriminator:
    return Discriminator(params, data)
''',
    "encoder": '''

@dataclass
class EncoderParams:
    """The encoder's params: recipes set them under the section of the algorithm's encoder role."""

    latent_dim: int = 64
    hidden: int = 256

    def __post_init__(self):
        if self.latent_dim < 1 or self.hidden < 1:
            raise ValueError("latent_dim and hidden must be at least 1")


class Encoder(nn.Module):
    def __init__(self, params: EncoderParams, data: DataSpec):
        super().__init__()
        self.latent_dim = params.latent_dim  # the width of the codes it makes
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(prod(data.image_shape), params.hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(params.hidden, params.latent_dim),
        )

    def forward(self, x):
        return self.net(x)  # one code per image, (N, latent_dim)


def make_encoder(params: EncoderParams, data: DataSpec) -> Encoder:
    return Encoder(params, data)
''',
    "loss": '''

@dataclass
class LeastSquaresParams:
    """LSGAN targets: D pushes fake logits to a and real ones to b; G pushes fake ones to c."""

    a: float = 0.0
    b: float = 1.0
    c: float = 1.0


class LeastSquaresLoss(AdversarialLoss):
    def __init__(self, params: LeastSquaresParams):
        self.a, self.b, self.c = params.a, params.b, params.c

    def discriminator_loss(self, real_logits, fake_logits, ctx):
        return 0.5 * ((real_logits - self.b) ** 2).mean() + 0.5 * ((fake_logits - self.a) ** 2).mean()

    def generator_loss(self, fake_logits, ctx):
        return 0.5 * ((fake_logits - self.c) ** 2).mean()


def make_least_squares(params: LeastSquaresParams) -> LeastSquaresLoss:
    return LeastSquaresLoss(params)
''',
    "dataset": '''

@dataclass
class StripesParams:
    """Synthetic data, made on the fly: nothing to download."""

    n: int = 2048  # number of images
    size: int = 28  # images are 1 x size x size
    seed: int = 0

    def __post_init__(self):
        if self.n < 1 or self.size < 4:
            raise ValueError("n must be at least 1 and size at least 4")


def load_stripes(params: StripesParams) -> ImageData:
    rng = torch.Generator().manual_seed(params.seed)
    labels = torch.randint(0, 2, (params.n,), generator=rng)
    period = torch.randint(3, 7, (params.n, 1, 1), generator=rng).float()
    grid = torch.arange(params.size).float()
    rows, cols = grid.view(1, -1, 1), grid.view(1, 1, -1)
    along = torch.where(labels.view(-1, 1, 1) == 0, rows, cols)  # 0: horizontal stripes, 1: vertical
    images = torch.cos(2 * torch.pi * along / period).expand(params.n, params.size, params.size)
    return ImageData(images=images.unsqueeze(1).contiguous(), labels=labels, num_classes=2)
''',
}


#: the kinds a scaffold can write an example of, in the registry's order (a subset of its kinds)
KINDS = tuple(kind for kind in registry.KINDS if kind in TEMPLATES)
