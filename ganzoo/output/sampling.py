"""Drawing images from a trained generator: ``ganzoo sample``."""

from __future__ import annotations

import io
import math
import os
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from ganzoo.training import checkpoint
from ganzoo.assembly import build_models, describe, in_run_layout, resolve_device
from ganzoo.model_calls import draw_latent, generate
from ganzoo.data import DataSpec, unit_range
from ganzoo.errors import GanzooError
from ganzoo.output.files import write_atomic
from ganzoo.output.images import save_grid, to_uint8
from ganzoo.pluginhost.registry import Registry

FORMATS = (".npz", ".png")
#: what to do about a checkpoint whose weights do not fit the models its own recipe builds
DAMAGED = "the checkpoint is damaged or was edited: use another checkpoint of the run"


def load_generator(source: str | Path, registry: Registry, device: str = "cpu", ema: bool = True, state=None):
    """The generator of a run directory's newest checkpoint (or of a checkpoint file, or of the
    checkpoint ``state`` already loaded), in eval mode; the algorithm's ``sample_role``.

    When the run kept an EMA of the generator's weights (``train.ema_decay``), those
    weights are loaded, unless ``ema`` is false.
    """
    state = state if state is not None else checkpoint.load_checkpoint(source)
    recipe = checkpoint.recipe_of(state, registry)
    if state.get("directions"):
        raise GanzooError(f"'{source}' is a translation model (algorithm '{recipe.config.algorithm.name}'): it "
                          "translates pictures instead of drawing them from noise; use `ganzoo translate "
                          f"{source} INPUT --out OUTPUT`")
    spec = DataSpec.from_dict(state["data_spec"])
    role = state.get("sample_role", "generator")
    (generator,) = saved_models(state, recipe, spec, [role], resolve_device(device), ema).values()
    return generator, spec


def saved_models(state: dict, recipe, spec: DataSpec, roles, device: torch.device,
                 ema: bool = True) -> dict[str, torch.nn.Module]:
    """The models of ``roles`` (role -> model) built from the recipe of the checkpoint ``state``, with its
    weights, in eval mode: the sample role's EMA weights when the run kept them, unless ``ema`` is false; in the
    memory layout the run trained them in."""
    models = in_run_layout(build_models(recipe, spec, device, roles=roles), recipe)
    sample_role = state.get("sample_role", "generator")
    for role, model in models.items():
        averaged = state.get("ema", {}).get(role) if role == sample_role else None
        checkpoint.load_weights(model, averaged["model"] if ema and averaged else state["models"].get(role),
                                state["path"], describe(recipe, role), DAMAGED)
        model.eval()
    return models


def check_label(generator, spec: DataSpec, label: Optional[int], option: str = "--label") -> None:
    """A label to sample is given only to a conditional generator, and names one of its classes."""
    if label is None:
        return
    if not getattr(generator, "conditional", False):
        raise GanzooError(f"{option} needs a conditional generator; this run's generator is unconditional")
    if not 0 <= label < (spec.num_classes or 0):
        raise GanzooError(f"{option} must be in 0..{(spec.num_classes or 1) - 1}, got {label}")


def check_code(generator, code: Optional[int], option: str = "--code") -> None:
    """A code to sample is given only to a generator with a categorical latent code, and names one of its values."""
    from ganzoo.model_calls import code_categories

    if code is None:
        return
    categories = code_categories(generator)
    if not categories:
        raise GanzooError(f"{option} needs a generator with a categorical latent code (InfoGAN's, e.g. "
                          "generator.params.code_categories: 10); this run's generator has none")
    if not 0 <= code < categories:
        raise GanzooError(f"{option} must be in 0..{categories - 1}, got {code}")


#: the least threshold of the truncation trick: at 0.01, 0.8% of the draws fall inside
MIN_TRUNCATION = 0.01


def check_truncation(generator, truncation: Optional[float], option: str = "--truncation") -> None:
    """The truncation trick needs a positive threshold and a generator whose latent is the standard
    normal noise ganzoo draws (one without its own ``sample_latent``)."""
    if truncation is None:
        return
    if not truncation >= MIN_TRUNCATION:
        raise GanzooError(f"{option} must be at least {MIN_TRUNCATION} (below, nearly every value would be drawn "
                          f"hundreds of times), got {truncation}")
    if getattr(generator, "sample_latent", None) is not None:
        raise GanzooError(f"{option} needs a generator whose latent is standard normal noise; this run's generator "
                          "draws its own latent (sample_latent: codes or another distribution)")


def truncated_latent(generator, n: int, rng: torch.Generator, threshold: float) -> torch.Tensor:
    """The truncation trick (Brock et al. 2019): standard normal noise in which every value whose
    magnitude exceeds ``threshold`` is drawn again, until none does."""
    z = torch.randn(n, generator.latent_dim, device=rng.device, generator=rng)
    outside = z.abs() > threshold
    while outside.any():  # each round draws only as many values as are still outside
        z[outside] = torch.randn(int(outside.sum()), device=rng.device, generator=rng)
        outside = z.abs() > threshold
    return z


def is_image(spec: DataSpec) -> bool:
    return len(spec.image_shape) == 3


@torch.no_grad()
def sample_images(generator, spec: DataSpec, n: int, seed: int = 0, label: Optional[int] = None,
                  batch_size: int = 1000, code: Optional[int] = None,
                  truncation: Optional[float] = None) -> torch.Tensor:
    """``n`` images as uint8, (N, C, H, W), drawn with a seeded noise generator (one float batch at a time);
    ``label`` fixes the class of a conditional generator, ``code`` the categorical code of one that has it,
    ``truncation`` the threshold of the truncation trick (``truncated_latent``)."""
    return torch.cat([to_uint8(batch)
                      for batch, _ in _batches(generator, spec, n, seed, label, batch_size, code, truncation)])


@torch.no_grad()
def sample_labelled(generator, spec: DataSpec, n: int, seed: int = 0, raw: bool = False,
                    batch_size: int = 1000) -> tuple[torch.Tensor, Optional[torch.Tensor]]:
    """``sample_images``'s images (``sample_raw``'s samples when ``raw``), the same ones, and the label each was
    drawn with, (N,) long on the CPU (``None`` when the data have no classes): what per-class scores group by."""
    samples, labels = [], []
    for batch, drawn in _batches(generator, spec, n, seed, None, batch_size):
        samples.append(batch if raw else to_uint8(batch))
        labels.append(drawn)
    return torch.cat(samples), (None if labels[0] is None else torch.cat(labels).cpu())


@torch.no_grad()
def sample_raw(generator, spec: DataSpec, n: int, seed: int = 0, label: Optional[int] = None,
               batch_size: int = 1000, code: Optional[int] = None, truncation: Optional[float] = None) -> torch.Tensor:
    """``n`` samples as the generator gives them (float, on the CPU), with a seeded noise generator."""
    return torch.cat([batch for batch, _ in _batches(generator, spec, n, seed, label, batch_size, code, truncation)])


def _batches(generator, spec: DataSpec, n: int, seed: int, label: Optional[int], batch_size: int,
             code: Optional[int] = None, truncation: Optional[float] = None):
    check_truncation(generator, truncation)
    device = next(generator.parameters()).device
    rng = torch.Generator(device).manual_seed(seed)
    for start in range(0, n, batch_size):
        count = min(batch_size, n - start)
        z = (draw_latent(generator, count, rng, code) if truncation is None
             else truncated_latent(generator, count, rng, truncation))
        labels = None
        if spec.num_classes:
            labels = (torch.full((count,), label, device=device) if label is not None
                      else torch.randint(spec.num_classes, (count,), generator=rng, device=device))
        yield generate(generator, z, labels).float().cpu(), labels


#: bytes held per sample value at the peak of writing: .npz images keep uint8 values and their
#: compressed copy; samples that are not images keep float32; a .png grid makes float copies
BYTES_PER_VALUE = {("image", ".npz"): 2, ("image", ".png"): 16, ("points", ".npz"): 8, ("points", ".png"): 16}


def check_memory(n: int, spec: DataSpec, out: str | Path) -> None:
    """Refuse a sample that would not fit in memory, before drawing any of it."""
    available = available_memory()
    if available is None:
        return
    values = n * math.prod(spec.image_shape)
    need = values * BYTES_PER_VALUE[("image" if is_image(spec) else "points", Path(out).suffix)]
    if need > 0.8 * available:
        raise GanzooError(f"-n {n} needs about {need / 2**30:.3g} GiB of memory, more than the "
                          f"{available / 2**30:.3g} GiB available; draw fewer, e.g. several files with "
                          "different --seed")


def available_memory() -> Optional[int]:
    """Bytes of memory available to this process now (Linux: MemAvailable), or None when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def dataset_plot(source: str | Path, registry: Registry):
    """The plot function of the dataset a run trained on (for data that are not images), or None."""
    from ganzoo.assembly import load_data

    recipe = checkpoint.recipe_of(checkpoint.load_checkpoint(source), registry)
    presentation = load_data(recipe).presentation
    return presentation.plot if presentation is not None else None


def write_points(samples: torch.Tensor, out: str | Path, plot=None) -> None:
    """Samples that are not images: ``.npz`` holds them as float32 ``samples``; ``.png`` is the dataset's plot."""
    out = Path(out)
    if out.suffix == ".npz":
        buffer = io.BytesIO()
        np.savez_compressed(buffer, samples=samples.numpy().astype(np.float32))
        write_atomic(out, lambda handle: handle.write(buffer.getvalue()))
    elif out.suffix == ".png":
        if plot is None:
            raise GanzooError(f"cannot draw '{out}': this run's samples are not images and its dataset has no plot; "
                              "write .npz instead")
        png = plot(samples)
        write_atomic(out, lambda handle: handle.write(png))
    else:
        raise GanzooError(f"cannot write '{out}': the output must end in .npz or .png")


def write_samples(images: torch.Tensor, out: str | Path) -> None:
    out = Path(out)
    if out.suffix == ".npz":
        array = images.numpy()
        if array.shape[1] == 1:
            array = array[:, 0]  # N x H x W for one channel
        buffer = io.BytesIO()
        np.savez_compressed(buffer, images=array)
        write_atomic(out, lambda handle: handle.write(buffer.getvalue()))
    elif out.suffix == ".png":
        save_grid(unit_range(images), out)
    else:
        raise GanzooError(f"cannot write '{out}': the output must end in .npz or .png")
