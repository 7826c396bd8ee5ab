"""Assembling a run's parts from a recipe: models, loss, data, optimisers, device."""

from __future__ import annotations

import re
from typing import Dict, Optional, Sequence

import torch
from torch import nn

from ganzoo.data import DataSpec, ImageData
from ganzoo.errors import GanzooError
from ganzoo.algorithm import Algorithm
from ganzoo.losses import AdversarialLoss
from ganzoo.recipe import Recipe


def resolve_device(name: "str | torch.device") -> torch.device:
    """The device a setting names (``auto``: CUDA when there is one, else the CPU), checked to be here;
    a ``torch.device`` as it is."""
    if isinstance(name, torch.device):
        return name
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise GanzooError(f"train.device={name} but CUDA is not available here; use train.device=auto or cpu")
    if name == "mps" and not torch.backends.mps.is_available():
        raise GanzooError("train.device=mps but MPS is not available here; use train.device=auto or cpu")
    return torch.device(name)


def build(recipe: Recipe, section: str, *args):
    """Call the factory of the recipe's component at ``section`` (a dotted key: dataset, algorithm,
    a role, optimizers.<role>...) with its typed params; the recipe holds the component, found in the
    registry once, when the recipe was built."""
    try:
        return recipe.components[section].factory(recipe.params[section], *args)
    except GanzooError:
        raise
    except Exception as error:  # noqa: BLE001 - a plugin's factory may raise anything; the user sees one line
        raise GanzooError(f"{describe(recipe, section)} cannot be built: {_describe(error)}") from error


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
    return f"{type(error).__name__}: {text[:300]}; fix the plugin, or run with --debug for the traceback" if text \
        else type(error).__name__


def load_data(recipe: Recipe) -> ImageData:
    data = build(recipe, "dataset")
    if not isinstance(data, ImageData):
        name = recipe.config.dataset.name
        raise GanzooError(f"dataset '{name}' returned {type(data).__name__}, not ganzoo.ImageData; fix the plugin")
    _check_contents(data, lambda: describe(recipe, "dataset"))
    return data


def _check_contents(data: ImageData, who) -> None:
    """A dataset that gives nothing to train on, or numbers that are not finite, says so: otherwise the
    first is blamed on the batch size and the second on the learning rates."""
    targets = data.two_sided.targets if data.two_sided is not None else None
    for side, values in (("images", data.images), ("targets", targets)):
        if values is None:
            continue
        if len(values) == 0:
            raise GanzooError(f"{who()} gave no {side} to train on: check dataset.params (the folder it reads, "
                              "its limit...) and that the data are there")
        if isinstance(values, torch.Tensor) and values.is_floating_point():
            finite = torch.isfinite(values.reshape(len(values), -1)).all(dim=1)
            if not bool(finite.all()):
                bad = (~finite).nonzero()[:, 0]
                raise GanzooError(f"{who()} gave {len(bad)} {side} holding NaN or infinite values (the first: "
                                  f"number {int(bad[0])}); the data are broken, not the training: fix or remove "
                                  "them")


def build_algorithm(recipe: Recipe) -> Algorithm:
    """The recipe's algorithm, told the run's seed (``Algorithm.seed``)."""
    algorithm = build(recipe, "algorithm")
    algorithm.seed = recipe.config.seed
    return algorithm


def build_models(recipe: Recipe, spec: DataSpec, device: torch.device,
                 roles: Optional[Sequence[str]] = None) -> Dict[str, nn.Module]:
    """The recipe's models by role (or only ``roles``), on ``device``."""
    models = {}
    for role in roles if roles is not None else recipe.model_roles:
        module = build(recipe, role, spec)
        if not isinstance(module, nn.Module):
            raise GanzooError(f"{role} '{recipe.config[role].name}' returned {type(module).__name__}, "
                              "not a torch.nn.Module; fix the plugin")
        models[role] = module.to(device)
    return models


def in_run_layout(models: Dict[str, nn.Module], recipe: Recipe) -> Dict[str, nn.Module]:
    """``models`` in the memory layout the recipe trains them in (``train.memory_format``): channels-last 4-d
    weights, so that convolutions read and write channels-last activations, in training and in what scores or
    samples the run afterwards alike (the SR record's 10,000 translations took 2.6 s so, 4.4 s in NCHW)."""
    if recipe.config.train.memory_format == "channels_last":
        for model in models.values():
            model.to(memory_format=torch.channels_last)
    return models


def build_losses(recipe: Recipe) -> Dict[str, AdversarialLoss]:
    """The recipe's losses by role."""
    losses = {}
    for role, kind in recipe.roles.items():
        if kind != "loss":
            continue
        loss = build(recipe, role)
        for method in ("discriminator_loss", "generator_loss"):
            if not callable(getattr(loss, method, None)):
                raise GanzooError(f"{role} '{recipe.config[role].name}' has no {method} method; fix the plugin")
        losses[role] = loss
    return losses


def callback_sections(recipe: Recipe) -> list[str]:
    """Where the recipe names its callbacks, in the order they run when priorities tie: ``duties`` (the
    ones not dropped), then ``callbacks``, then ``loggers``."""
    return ([f"duties.{slot}" for slot, duty in recipe.config.duties.items() if duty is not None]
            + [f"callbacks.{index}" for index in range(len(recipe.config.callbacks))]
            + [f"loggers.{index}" for index in range(len(recipe.config.loggers))])


def build_callbacks(recipe: Recipe) -> list:
    """The recipe's duties, step callbacks and loggers (all callbacks), in the order of ``callback_sections``."""
    return [build(recipe, section) for section in callback_sections(recipe)]


def describe(recipe: Recipe, section: str) -> str:
    """How messages name the component at ``section``: ``discriminator 'dcgan' (ganzoo 0.1.0)``."""
    component = recipe.components[section]
    where = section if section in recipe.roles or section in ("algorithm", "dataset") else component.kind
    return f"{where} '{component.name}' ({component.plugin})"


def build_optimizer(recipe: Recipe, role: str, parameters) -> torch.optim.Optimizer:
    """The optimiser of a model role, from the recipe's ``optimizers.<role>``."""
    optimizer = build(recipe, f"optimizers.{role}", list(parameters))
    if not isinstance(optimizer, torch.optim.Optimizer):
        name = recipe.config.optimizers[role].name
        raise GanzooError(f"optimizer '{name}' returned {type(optimizer).__name__}, not a torch.optim.Optimizer; "
                          "fix the plugin")
    return optimizer


def build_schedule(recipe: Recipe, role: str, optimizer, total_steps: int):
    """The learning-rate schedule of a model role's optimiser (``optimizers.<role>.schedule``)."""
    schedule = build(recipe, f"optimizers.{role}.schedule", optimizer, total_steps)
    for method in ("step", "state_dict", "load_state_dict"):
        if not callable(getattr(schedule, method, None)):
            name = recipe.config.optimizers[role].schedule.name
            raise GanzooError(f"schedule '{name}' returned {type(schedule).__name__}, which has no {method} method; "
                              "return a torch.optim.lr_scheduler scheduler")
    return schedule
