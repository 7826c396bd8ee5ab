"""Assembling a run's parts from a recipe: models, loss, data, optimisers, device."""

from __future__ import annotations

from typing import Dict, Optional, Sequence

import torch
from torch import nn

from ganzoo.data import DataSpec, ImageData
from ganzoo.errors import GanzooError
from ganzoo.algorithm import Algorithm
from ganzoo.losses import AdversarialLoss
from ganzoo.models import discriminate, generate, is_conditional, set_requires_grad  # noqa: F401 (re-exported)
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


def build(registry: Registry, recipe: Recipe, section: str, *args):
    """Call the factory of the recipe's component in ``section`` (dataset, algorithm or a role)
    with its typed params."""
    kind = recipe.roles.get(section, section)
    component = registry.get(kind, recipe.config[section].name)
    try:
        return component.factory(recipe.params[section], *args)
    except GanzooError:
        raise
    except (ValueError, TypeError) as error:
        raise GanzooError(f"{section} '{component.name}' ({component.plugin}) cannot be built: {error}") from None


def load_data(registry: Registry, recipe: Recipe) -> ImageData:
    data = build(registry, recipe, "dataset")
    if not isinstance(data, ImageData):
        name = recipe.config.dataset.name
        raise GanzooError(f"dataset '{name}' returned {type(data).__name__}, not ganzoo.ImageData; fix the plugin")
    return data


def build_algorithm(registry: Registry, recipe: Recipe) -> Algorithm:
    return build(registry, recipe, "algorithm")


def build_models(registry: Registry, recipe: Recipe, spec: DataSpec, device: torch.device,
                 roles: Optional[Sequence[str]] = None) -> Dict[str, nn.Module]:
    """The recipe's models by role (or only ``roles``), on ``device``."""
    models = {}
    for role in roles if roles is not None else recipe.model_roles:
        module = build(registry, recipe, role, spec)
        if not isinstance(module, nn.Module):
            raise GanzooError(f"{role} '{recipe.config[role].name}' returned {type(module).__name__}, "
                              "not a torch.nn.Module; fix the plugin")
        models[role] = module.to(device)
    return models


def build_losses(registry: Registry, recipe: Recipe) -> Dict[str, AdversarialLoss]:
    """The recipe's losses by role."""
    losses = {}
    for role, kind in recipe.roles.items():
        if kind != "loss":
            continue
        loss = build(registry, recipe, role)
        for method in ("discriminator_loss", "generator_loss"):
            if not callable(getattr(loss, method, None)):
                raise GanzooError(f"{role} '{recipe.config[role].name}' has no {method} method; fix the plugin")
        losses[role] = loss
    return losses


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
