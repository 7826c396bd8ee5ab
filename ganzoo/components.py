"""Assembling a run's parts from a recipe: models, loss, data, optimisers, device."""

from __future__ import annotations

import re
from typing import Optional

import torch
from torch import nn

from ganzoo.data import DataSpec, ImageData
from ganzoo.errors import GanzooError
from ganzoo.losses import AdversarialLoss, discriminate, is_conditional  # noqa: F401 (re-exported)
from ganzoo.recipe import Recipe
from ganzoo.registry import Registry


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise GanzooError(f"train.device={name} but CUDA is not available here; use train.device=auto or cpu")
    if name == "mps" and not torch.backends.mps.is_available():
        raise GanzooError("train.device=mps but MPS is not available here; use train.device=auto or cpu")
    return torch.device(name)


def build(registry: Registry, recipe: Recipe, kind: str, *args):
    """Call the factory of the recipe's component of ``kind`` with its typed params."""
    component = registry.get(kind, recipe.config[kind].name)
    try:
        return component.factory(recipe.params[kind], *args)
    except GanzooError:
        raise
    except Exception as error:  # noqa: BLE001 - a plugin's factory may raise anything; the user sees one line
        raise GanzooError(f"{kind} '{component.name}' of plugin '{component.plugin.name}' ({component.plugin}) "
                          f"cannot be built: {_describe(error)}") from None


def _describe(error: Exception) -> str:
    """One line for an error a factory raised: its own message for the usual mistakes, else its type too;
    an allocation failure says what to lower."""
    text = " ".join(str(error).split())
    if isinstance(error, MemoryError) or "can't allocate memory" in text or "out of memory" in text.lower():
        found = re.search(r"allocate (\d+) bytes", text)
        size = f" ({int(found.group(1)) / 2**30:.3g} GiB asked for)" if found else ""
        return f"out of memory{size}; make the model smaller (e.g. its latent_dim or layer widths)"
    if isinstance(error, (ValueError, TypeError)) and text:
        return text[:300]
    return f"{type(error).__name__}: {text[:300]}" if text else type(error).__name__


def load_data(registry: Registry, recipe: Recipe) -> ImageData:
    data = build(registry, recipe, "dataset")
    if not isinstance(data, ImageData):
        name = recipe.config.dataset.name
        raise GanzooError(f"dataset '{name}' returned {type(data).__name__}, not ganzoo.ImageData; fix the plugin")
    return data


def build_models(registry: Registry, recipe: Recipe, spec: DataSpec, device: torch.device):
    generator = build(registry, recipe, "generator", spec)
    discriminator = build(registry, recipe, "discriminator", spec)
    for kind, module in (("generator", generator), ("discriminator", discriminator)):
        if not isinstance(module, nn.Module):
            raise GanzooError(f"{kind} '{recipe.config[kind].name}' returned {type(module).__name__}, not a torch.nn.Module")
    if not isinstance(getattr(generator, "latent_dim", None), int):
        raise GanzooError(f"generator '{recipe.config.generator.name}' has no integer latent_dim attribute; fix the plugin")
    return generator.to(device), discriminator.to(device)


def build_loss(registry: Registry, recipe: Recipe) -> AdversarialLoss:
    loss = build(registry, recipe, "loss")
    for method in ("discriminator_loss", "generator_loss"):
        if not callable(getattr(loss, method, None)):
            raise GanzooError(f"loss '{recipe.config.loss.name}' has no {method} method; fix the plugin")
    return loss


FUSED = ("adam", "adamw", "sgd")  # optimisers torch has single-kernel (fused) updates for


def build_optimizer(config, parameters, device: torch.device) -> torch.optim.Optimizer:
    """The recipe's optimiser. ``implementation: auto`` takes torch's fused update where it has
    one (one kernel for all of a model's tensors), else its foreach update."""
    implementation = config.implementation
    if implementation == "auto":
        implementation = "fused" if config.name in FUSED and device.type in ("cpu", "cuda") else "foreach"
    if implementation == "fused" and config.name not in FUSED:
        raise GanzooError(f"optimizer '{config.name}' has no fused implementation; use implementation: foreach")
    common = {"lr": config.lr, "weight_decay": config.weight_decay,
              **{"fused": {"fused": True}, "foreach": {"foreach": True}, "loop": {"foreach": False}}[implementation]}
    if config.name == "adam":
        return torch.optim.Adam(parameters, betas=tuple(config.betas), **common)
    if config.name == "adamw":
        return torch.optim.AdamW(parameters, betas=tuple(config.betas), **common)
    if config.name == "sgd":
        return torch.optim.SGD(parameters, momentum=config.momentum, **common)
    if config.name == "rmsprop":
        return torch.optim.RMSprop(parameters, momentum=config.momentum, **common)
    raise GanzooError(f"unknown optimizer '{config.name}'")


def set_requires_grad(params, flag: bool) -> None:
    """``module.requires_grad_(flag)`` on a list of the module's parameters, without walking its
    submodules: cheap enough for every training step."""
    for param in params:
        param.requires_grad_(flag)


def generate(generator: nn.Module, z: torch.Tensor, labels: Optional[torch.Tensor]) -> torch.Tensor:
    return generator(z, labels) if is_conditional(generator) else generator(z)

