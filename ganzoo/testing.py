"""The plugin contract kit: checks a plugin's tests call on each component it registers.

Every check builds the component the way a run does (params typed from a
recipe mapping, factory called with them), exercises it on small random
tensors, and raises ``ContractError`` (an ``AssertionError``, so pytest shows
it as a plain test failure) with a message that says what to fix::

    from ganzoo import testing

    def test_plugin_loads():
        testing.check_plugin_loads("my-plugin")

    def test_my_loss():
        testing.check_loss("my-loss", {"margin": 1.0})

    def test_one_training_step():
        testing.check_training_step(loss="my-loss")   # with the built-in mlp G/D

    def test_my_algorithm():
        testing.check_algorithm("my-algorithm", steps=2)   # its roles filled with mlp/bce

ganzoo's own built-in plugins are tested with these same functions.
"""

from __future__ import annotations

import copy
import functools
import io
import tempfile
from dataclasses import dataclass
from math import prod
from typing import Any, Mapping, Optional, Sequence

import torch
from torch import nn

from ganzoo.algorithm import Batch
from ganzoo.data import DataSpec, ImageData, unit_range
from ganzoo.rows import take, unlike_declared
from ganzoo.errors import GanzooError, first_line
from ganzoo.losses import LossContext
from ganzoo.model_calls import code_categories, discriminator_outputs, draw_latent, eval_mode, generate
from ganzoo.pluginhost.registry import KINDS, Component, PluginInfo, Registry, load_registry

__all__ = [
    "ContractError",
    "check_algorithm",
    "check_dataset",
    "check_discriminator",
    "check_encoder",
    "check_generator",
    "check_loss",
    "check_network",
    "check_plugin_loads",
    "check_training_step",
    "default_registry",
    "load_params",
]

#: the data shape the model checks use unless given another (small, with classes)
DEFAULT_SPEC = DataSpec(image_shape=(1, 16, 16), num_classes=10)
#: the dataset name check_training_step uses when it is given none
RANDOM_DATASET = "ganzoo-testing-random"


class ContractError(AssertionError):
    """A component does not honour ganzoo's plugin contract."""


@functools.lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The installed plugins, loaded once per process (not strict: failures are reported per check)."""
    return load_registry()


def _registry(registry: Optional[Registry]) -> Registry:
    return registry if registry is not None else default_registry()


def _component(kind: str, name: str, registry: Optional[Registry]) -> Component:
    registry = _registry(registry)
    try:
        return registry.get(kind, name)
    except GanzooError as error:
        failed = "".join(f"; plugin '{f.plugin.name}' ({f.plugin}) failed to load: {f.error}"
                         for f in registry.failures)
        raise ContractError(f"{error}{failed}. Is the plugin installed (pip install -e .)?") from error


def _devices(devices: Optional[Sequence[str]]) -> list[torch.device]:
    if devices is None:
        devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    return [torch.device(d) for d in devices]


def _fail(who: str, message: str) -> ContractError:
    return ContractError(f"{who}: {message}")


# ---------------------------------------------------------------- plugins and params
def check_plugin_loads(plugin: str, registry: Optional[Registry] = None) -> list[Component]:
    """The plugin with this entry-point (or distribution) name loads and registers something.

    Loads the installed plugins afresh unless ``registry`` is given; returns the
    plugin's components.
    """
    registry = registry if registry is not None else load_registry()
    wanted = plugin.replace("_", "-").lower()

    def same(info: PluginInfo) -> bool:
        return wanted in (info.name.replace("_", "-").lower(), info.distribution.replace("_", "-").lower())

    for failure in registry.failures:
        if same(failure.plugin):
            raise ContractError(f"plugin '{failure.plugin.name}' ({failure.plugin}) failed to load: {failure.error}")
    for info in registry.disabled:
        if same(info):
            raise ContractError(f"plugin '{info.name}' ({info}) is installed but left out by GANZOO_PLUGINS")
    for info in registry.plugins:
        if same(info):
            components = registry.of_plugin(info.name)
            if not components:
                raise ContractError(f"plugin '{info.name}' ({info}) loads but registers no component")
            return components
    installed = ", ".join(sorted(info.name for info in registry.plugins)) or "none"
    raise ContractError(f"no plugin named '{plugin}' is installed (installed: {installed}); install the package "
                        "(pip install -e .) and check its [project.entry-points.ganzoo] table")


def load_params(kind: str, name: str, params: Optional[Mapping[str, Any]] = None,
                registry: Optional[Registry] = None) -> Any:
    """Type ``params`` (a mapping, as under ``KIND.params`` in a recipe) with the component's
    params dataclass, exactly as a recipe does, and check the result survives the
    round trip through a run's saved ``recipe.yaml``. Returns the dataclass instance."""
    from ganzoo.nested_components import plain
    from ganzoo.recipe import type_params

    if kind not in KINDS:
        raise ContractError(f"unknown kind '{kind}'; kinds are: {', '.join(KINDS)}")
    component = _component(kind, name, registry)
    who = f"{kind} '{name}' ({component.plugin})"
    try:
        instance = type_params(component, dict(params or {}), f"{kind}.params", f"{kind} '{name}'",
                               _registry(registry))
    except GanzooError as error:
        raise _fail(who, str(error)) from error
    saved = plain(instance)  # what recipe.yaml holds
    again = plain(type_params(component, saved, f"{kind}.params", who, _registry(registry)))
    if again != saved:
        raise _fail(who, f"params do not survive a save and reload: {saved} became {again}")
    return instance


# ---------------------------------------------------------------- models
def check_generator(name: str, params: Optional[Mapping[str, Any]] = None, *, data: DataSpec = DEFAULT_SPEC,
                    batch_size: int = 4, devices: Optional[Sequence[str]] = None,
                    registry: Optional[Registry] = None) -> nn.Module:
    """Build the generator and check: an ``nn.Module`` with an integer ``latent_dim``; its latent
    (``sample_latent(n, rng)`` when it draws its own, else noise ``(N, latent_dim)``) gives finite
    float images ``(N, *data.image_shape)`` in [-1, 1] on each device it is moved to (cpu, and
    cuda when present); gradients reach its weights; eval mode works on a batch of one (sample
    grids). A generator that draws its own latent must draw ``(N, latent_dim)`` on the rng's
    device, the same for the same seed; one with ``code_categories`` must fix its code with
    ``sample_latent(n, rng, code=k)``. Returns the module (on cpu)."""
    generator, who = _built_module("generator", name, params, data, registry)
    latent = _latent_dim(who, generator, "")
    conditional = getattr(generator, "conditional", False)
    if conditional and not data.num_classes:
        raise _fail(who, "is conditional, so check it with a DataSpec that has num_classes")
    expected = (batch_size, *data.image_shape)
    for device in _devices(devices):
        generator.to(device).train()
        _check_on_device(who, generator, device)
        z = _check_latent(who, generator, batch_size, latent, device)
        labels = torch.randint(0, data.num_classes, (batch_size,), device=device) if data.num_classes else None
        images = generate(generator, z, labels)
        _check_tensor(who, "output", images, expected, device)
        if images.detach().abs().max().item() > 1.0 + 1e-5:
            raise _fail(who, "images must lie in [-1, 1] (end with tanh), like the data")
        generator.zero_grad(set_to_none=True)
        images.float().square().mean().backward()
        _check_gradients(who, generator)
        with eval_mode(generator), torch.no_grad():
            one = generate(generator, z[:1], labels[:1] if labels is not None else None)
        _check_tensor(who, "output in eval mode (batch of 1)", one, (1, *data.image_shape), device)
    return generator.cpu()


def check_discriminator(name: str, params: Optional[Mapping[str, Any]] = None, *, data: DataSpec = DEFAULT_SPEC,
                        batch_size: int = 4, devices: Optional[Sequence[str]] = None,
                        registry: Optional[Registry] = None) -> nn.Module:
    """Build the discriminator and check: an ``nn.Module`` that maps images
    ``(N, *data.image_shape)`` to one finite float logit each, shape ``(N,)`` or ``(N, 1)``
    (or a dict with them under ``"logits"`` beside extra outputs, each a finite float tensor
    with one row per image), on each device; gradients reach its weights and its input
    (gradient penalties need them). Returns the module (on cpu)."""
    discriminator, who = _built_module("discriminator", name, params, data, registry)
    conditional = getattr(discriminator, "conditional", False)
    if conditional and not data.num_classes:
        raise _fail(who, "is conditional, so check it with a DataSpec that has num_classes")
    for device in _devices(devices):
        discriminator.to(device).train()
        _check_on_device(who, discriminator, device)
        images = (torch.rand(batch_size, *data.image_shape, device=device) * 2 - 1).requires_grad_(True)
        labels = torch.randint(0, data.num_classes, (batch_size,), device=device) if data.num_classes else None
        out = discriminator(images, labels) if conditional else discriminator(images)
        logits, extras = (out.get("logits"), {k: v for k, v in out.items() if k != "logits"}) \
            if isinstance(out, dict) else (out, {})
        if not isinstance(logits, torch.Tensor) or tuple(logits.shape) not in ((batch_size,), (batch_size, 1)):
            shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
            raise _fail(who, f"must return one logit per image, shape ({batch_size},) or ({batch_size}, 1), or a "
                             f"dict with them under 'logits'; got {shape}")
        _check_tensor(who, "logits", logits, tuple(logits.shape), device)
        for key, value in extras.items():
            shape = tuple(value.shape) if isinstance(value, torch.Tensor) else ()
            _check_tensor(who, f"extra output '{key}'", value, (batch_size, *shape[1:]), device)
        discriminator.zero_grad(set_to_none=True)
        sum([logits.sum(), *(value.sum() for value in extras.values())]).backward()
        _check_gradients(who, discriminator)
        _check_input_gradient(who, "the input images (gradient penalties need it)", images)
    return discriminator.cpu()


def check_encoder(name: str, params: Optional[Mapping[str, Any]] = None, *, data: DataSpec = DEFAULT_SPEC,
                  batch_size: int = 4, devices: Optional[Sequence[str]] = None,
                  registry: Optional[Registry] = None) -> nn.Module:
    """Build the encoder and check: an ``nn.Module`` with an integer ``latent_dim`` (the width of its
    codes) that maps images ``(N, *data.image_shape)`` in [-1, 1] to finite float codes
    ``(N, latent_dim)`` on each device it is moved to (cpu, and cuda when present); gradients reach
    its weights and its input images (a joint critic's penalty, a generator trained through it);
    eval mode works on a batch of one. Returns the module (on cpu)."""
    encoder, who = _built_module("encoder", name, params, data, registry)
    latent = _latent_dim(who, encoder, " (the width of its codes)")
    for device in _devices(devices):
        encoder.to(device).train()
        _check_on_device(who, encoder, device)
        images = (torch.rand(batch_size, *data.image_shape, device=device) * 2 - 1).requires_grad_(True)
        codes = encoder(images)
        _check_tensor(who, "codes", codes, (batch_size, latent), device)
        encoder.zero_grad(set_to_none=True)
        codes.float().square().mean().backward()
        _check_gradients(who, encoder)
        _check_input_gradient(who, "the input images", images)
        encoder.eval()
        with torch.no_grad():
            one = encoder(images[:1].detach())
        _check_tensor(who, "codes in eval mode (batch of 1)", one, (1, latent), device)
        encoder.train()
    return encoder.cpu()


def check_network(name: str, params: Optional[Mapping[str, Any]] = None, *, inputs: Sequence[Any],
                  output_shape: Sequence[int], data: DataSpec = DEFAULT_SPEC, devices: Optional[Sequence[str]] = None,
                  registry: Optional[Registry] = None) -> nn.Module:
    """Build the auxiliary network (kind ``network``) and check it the way its algorithm calls it:
    ``module(*inputs)`` (``inputs``: example tensors on the CPU, moved to each device; ``None`` and
    other values are passed as they are) returns a finite float tensor of ``output_shape`` on each
    device; gradients reach its weights and every floating-point input (a gradient penalty on a joint
    critic D(x, z) needs both). E.g. a critic of pictures and codes::

        testing.check_network("joint-critic", {"latent_dim": 8},
                              inputs=(torch.rand(4, 1, 16, 16) * 2 - 1, torch.randn(4, 8)), output_shape=(4,))

    Returns the module (on cpu)."""
    network, who = _built_module("network", name, params, data, registry)
    expected = tuple(int(size) for size in output_shape)
    for device in _devices(devices):
        network.to(device).train()
        _check_on_device(who, network, device)
        given = [value.detach().to(device).requires_grad_(value.is_floating_point())
                 if isinstance(value, torch.Tensor) else value for value in inputs]
        out = network(*given)
        _check_tensor(who, "output", out, expected, device)
        network.zero_grad(set_to_none=True)
        out.float().sum().backward()
        _check_gradients(who, network)
        for index, value in enumerate(given):
            if isinstance(value, torch.Tensor) and value.is_floating_point():
                _check_input_gradient(who, f"input {index} {tuple(value.shape)}", value)
    return network.cpu()


# ---------------------------------------------------------------- losses and data
def check_loss(name: str, params: Optional[Mapping[str, Any]] = None, *, data: DataSpec = DEFAULT_SPEC,
               batch_size: int = 4, discriminator_extras: Optional[Mapping[str, int]] = None,
               registry: Optional[Registry] = None) -> Any:
    """Build the loss and check, with a small linear discriminator and the trainer's call
    pattern: ``discriminator_loss`` and ``generator_loss`` return finite float scalars whose
    gradients reach the discriminator's weights and the fake images respectively (the
    discriminator's weights are frozen during the generator's loss, as in training). A loss that gives its
    gradients by the logits in closed form (``discriminator_logit_gradients``, ``generator_logit_gradient``)
    has them compared with autograd's of its two losses.

    ``discriminator_extras`` (name -> width, e.g. ``{"class_logits": 10}``) gives the test
    discriminator extra linear heads, returned beside its logits, which the loss reads from
    ``ctx.real_extras`` and ``ctx.fake_extras`` as in training. Returns the loss object."""
    component = _component("loss", name, registry)
    who = f"loss '{name}' ({component.plugin})"
    loss = component.factory(load_params("loss", name, params, registry))
    for method in ("discriminator_loss", "generator_loss"):
        if not callable(getattr(loss, method, None)):
            raise _fail(who, f"the factory returned {type(loss).__name__}, which has no {method} method; "
                             "subclass ganzoo.AdversarialLoss")
    torch.manual_seed(0)
    discriminator = _LinearDiscriminator(prod(data.image_shape), dict(discriminator_extras or {}))
    real = torch.rand(batch_size, *data.image_shape) * 2 - 1
    labels = torch.randint(0, data.num_classes, (batch_size,)) if data.num_classes else None
    source = torch.randn(batch_size, *data.image_shape, requires_grad=True)  # stands in for G's weights

    fake = torch.tanh(source).detach()
    (real_logits, real_extras), (fake_logits, fake_extras) = (discriminator_outputs(discriminator, real, labels),
                                                              discriminator_outputs(discriminator, fake, labels))
    ctx = LossContext(discriminator, real, fake, labels, step=0, real_extras=real_extras, fake_extras=fake_extras)
    d_loss = loss.discriminator_loss(real_logits, fake_logits, ctx)
    _check_scalar(who, "discriminator_loss", d_loss)
    d_loss.backward()
    _check_gradients(who, discriminator)

    fake = torch.tanh(source)
    discriminator.requires_grad_(False)
    try:
        fake_logits, fake_extras = discriminator_outputs(discriminator, fake, labels)
        ctx = LossContext(discriminator, real, fake, labels, step=1, fake_extras=fake_extras)
        g_loss = loss.generator_loss(fake_logits, ctx)
        _check_scalar(who, "generator_loss", g_loss)
        g_loss.backward()
    finally:
        discriminator.requires_grad_(True)
    if source.grad is None or not torch.isfinite(source.grad).all() or not source.grad.abs().sum() > 0:
        raise _fail(who, "generator_loss gives the fake images no finite, non-zero gradient")
    _check_closed_forms(who, loss, discriminator, real, torch.tanh(source).detach(), labels)
    return loss


def _check_closed_forms(who: str, loss: Any, discriminator: nn.Module, real: torch.Tensor, fake: torch.Tensor,
                        labels: Optional[torch.Tensor]) -> None:
    """A loss's optional closed-form gradients by the logits (``AdversarialLoss.discriminator_logit_gradients``,
    ``generator_logit_gradient``), where the fused step would use them, against autograd's of its losses."""
    from ganzoo.errors import ContractViolation
    from ganzoo.fast.fused_gan import checked_closed_form, closed_form_method

    with torch.no_grad():
        real_logits, fake_logits = (discriminator_outputs(discriminator, images, labels)[0] for images in (real, fake))
    ctx = LossContext(discriminator, real, fake, labels, step=0)
    for closed, of, logits in (("discriminator_logit_gradients", "discriminator_loss", (real_logits, fake_logits)),
                               ("generator_logit_gradient", "generator_loss", (fake_logits,))):
        method = closed_form_method(loss, closed, of)
        found = method(*logits, ctx) if method is not None else None
        if found is None:
            continue
        try:  # the fused step's own check of what it returns
            found = checked_closed_form(found, len(logits) + 1, loss, closed, logits)
        except ContractViolation as error:
            raise _fail(who, str(error)) from None
        leaves = [x.clone().requires_grad_(True) for x in logits]
        with torch.enable_grad():
            value = getattr(loss, of)(*leaves, ctx)
            expected = [torch.zeros_like(leaf) if grad is None else grad
                        for leaf, grad in zip(leaves, torch.autograd.grad(value, leaves, allow_unused=True))]
        for name, got, want in zip(("the loss", *(f"its gradient by logits {i}" for i in range(len(logits)))),
                                   found, (value.detach(), *expected)):
            if not torch.allclose(got.detach().float(), want.float(), rtol=1e-5, atol=1e-7):
                raise _fail(who, f"{closed} gives {name} unlike autograd's of {of} (closed forms must equal "
                                 "autograd's to float rounding, or return None)")


def check_dataset(name: str, params: Optional[Mapping[str, Any]] = None, *,
                  registry: Optional[Registry] = None) -> ImageData:
    """Build the dataset and check: a ``ganzoo.ImageData`` of images ``(N, C, H, W)``, uint8 or
    finite floats in [-1, 1] (of a ``RowSource``: its first rows, as it declares them); labels, when
    given, are integers in ``[0, num_classes)`` with ``num_classes`` set. Returns the data."""
    component = _component("dataset", name, registry)
    who = f"dataset '{name}' ({component.plugin})"
    data = component.factory(load_params("dataset", name, params, registry))
    if not isinstance(data, ImageData):
        raise _fail(who, f"the factory returned {type(data).__name__}, not ganzoo.ImageData")
    if len(data) == 0:
        raise _fail(who, "holds no images")
    images = _checked_rows(data.images, who)
    if images.dtype != torch.uint8:
        if not images.is_floating_point():
            raise _fail(who, f"images must be uint8 (0 to 255) or a float tensor scaled to [-1, 1], got {images.dtype}")
        if not torch.isfinite(images).all() or images.min().item() < -1.0 - 1e-5 or images.max().item() > 1.0 + 1e-5:
            raise _fail(who, "float images must be finite and scaled to [-1, 1]")
    if data.labels is not None:
        if data.labels.dtype != torch.long:
            raise _fail(who, f"labels must be a torch.long tensor, got {data.labels.dtype}")
        if not data.num_classes:
            raise _fail(who, "has labels but no num_classes; set ImageData(num_classes=...)")
        if data.labels.min().item() < 0 or data.labels.max().item() >= data.num_classes:
            raise _fail(who, f"labels must lie in [0, {data.num_classes})")
    return data


def _checked_rows(images, who: str) -> torch.Tensor:
    """A tensor's rows, or the first rows of a ``RowSource``, after checking they are what it declares."""
    if isinstance(images, torch.Tensor):
        return images
    count = min(len(images), 64)
    rows = take(images, torch.arange(count))
    wrong = unlike_declared(images, rows, count)
    if wrong:
        raise _fail(who, f"its row source's rows(index) {wrong}")
    return rows


# ---------------------------------------------------------------- one real training step
@dataclass
class RandomDataParams:
    n: int = 32
    channels: int = 1
    size: int = 16
    num_classes: int = 10


def _random_data(params: RandomDataParams) -> ImageData:
    rng = torch.Generator().manual_seed(0)
    images = torch.rand(params.n, params.channels, params.size, params.size, generator=rng) * 2 - 1
    labels = torch.randint(0, params.num_classes, (params.n,), generator=rng)
    return ImageData(images=images, labels=labels, num_classes=params.num_classes)


def check_training_step(*, generator: str = "mlp", discriminator: str = "mlp", loss: str = "bce",
                        dataset: Optional[str] = None, params: Optional[Mapping[str, Mapping[str, Any]]] = None,
                        batch_size: int = 8, d_steps: int = 1, registry: Optional[Registry] = None):
    """Run ganzoo's trainer with the gan algorithm for one generator step (``d_steps``
    discriminator steps) on CPU with these components, by name, and check both networks'
    weights changed, the losses are finite, and the checkpoint state loads with
    ``torch.load(weights_only=True)``. (``check_algorithm`` does the same for any algorithm.)

    ``params`` maps a kind to its params mapping. With no ``dataset``, random images
    (``params['dataset']``: n, channels, size, num_classes) stand in for one. Returns the
    trainer, whose run folder was never written.
    """
    base = _registry(registry)
    params = {kind: dict(value) for kind, value in (params or {}).items()}
    if dataset is None:
        base = _with_random_data(base)
        dataset = RANDOM_DATASET
        params.setdefault("dataset", {}).setdefault("n", batch_size * d_steps)
    names = {"generator": generator, "discriminator": discriminator, "loss": loss, "dataset": dataset}
    for kind, name in names.items():
        _component(kind, name, base)
    document = {kind: {"name": name, "params": params.get(kind, {})} for kind, name in names.items()}
    document.update(algorithm={"name": "gan", "params": {"d_steps": d_steps}},
                    train={"device": "cpu", "batch_size": batch_size, "epochs": 1, "log_every": 1},
                    output={"grid_size": 4})
    who = f"training step with {', '.join(f'{k} {n!r}' for k, n in names.items())}"
    trainer = _trainer(document, base, who)
    if len(trainer.images) < batch_size * d_steps:
        raise _fail(who, f"the dataset has {len(trainer.images)} images; give it at least {batch_size * d_steps}")
    unchanged = _take_steps(trainer, d_steps, batch_size)
    window = trainer.window
    sums = dict(zip(window.names, window.sums.tolist()))
    g_updates = window.counts[window.names.index("g_loss")].item()
    if g_updates != 1 or not torch.isfinite(window.sums).all():
        raise _fail(who, f"the losses are not finite: d_loss sum {sums['d_loss']}, g_loss sum {sums['g_loss']}")
    if unchanged:
        raise _fail(who, f"the {unchanged[0]}'s weights did not change in one step")
    _reloaded(trainer.state(), who)
    return trainer


#: what check_algorithm fills a role with when it is given nothing for it, by the role's kind
DEFAULT_ROLE_COMPONENTS = {"generator": "mlp", "discriminator": "mlp", "loss": "bce"}


def check_algorithm(name: str, params: Optional[Mapping[str, Any]] = None, *,
                    components: Optional[Mapping[str, str]] = None,
                    component_params: Optional[Mapping[str, Mapping[str, Any]]] = None,
                    steps: int = 1, batch_size: int = 8, data: DataSpec = DEFAULT_SPEC,
                    registry: Optional[Registry] = None):
    """Build a run of the algorithm on random images, as ``ganzoo run`` would on CPU, take
    ``steps`` training steps with the trainer's ``TrainStep`` and check: every model role's
    weights changed; it logged something, only names among its ``scalars``, all finite; the
    checkpoint state (its ``state_dict`` included) loads with ``torch.load(weights_only=True)``
    and restores into a fresh run of the same recipe.

    ``components`` names the component of a role (default by kind: mlp, mlp, bce; roles of kind
    encoder or network must be named);
    ``component_params`` maps a role to its params. Returns the trainer, whose run folder was
    never written.
    """
    algorithm = _component("algorithm", name, registry)
    who = f"algorithm '{name}'"
    roles = dict(algorithm.factory.roles)
    components, role_params = dict(components or {}), dict(component_params or {})
    unknown = sorted(set(components) - set(roles)) + sorted(set(role_params) - set(roles))
    if unknown:
        raise _fail(who, f"has no role '{unknown[0]}'; its roles are {', '.join(roles)}")
    unfilled = [role for role, kind in roles.items() if role not in components and kind not in DEFAULT_ROLE_COMPONENTS]
    if unfilled:
        role = unfilled[0]
        raise _fail(who, f"its {roles[role]} role '{role}' has no default component; name one: "
                         f"components={{'{role}': NAME}} (see `ganzoo list --kind {roles[role]}`)")
    document = {role: {"name": components.get(role, DEFAULT_ROLE_COMPONENTS.get(kind)),
                       "params": role_params.get(role, {})} for role, kind in roles.items()}
    channels, size = data.image_shape[0], data.image_shape[-1]
    document.update(algorithm={"name": name, "params": dict(params or {})},
                    dataset={"name": RANDOM_DATASET, "params": {"n": batch_size * steps, "channels": channels,
                                                                "size": size, "num_classes": data.num_classes or 1}},
                    train={"device": "cpu", "batch_size": batch_size, "epochs": 1, "log_every": 1},
                    output={"grid_size": 4})
    base = _with_random_data(_registry(registry))
    trainer = _trainer(document, base, who)
    unchanged = _take_steps(trainer, steps, batch_size)
    window = trainer.window
    if window.counts.sum().item() == 0:
        raise _fail(who, f"logged nothing in {steps} step(s); call step.log(...) with its scalars")
    if not torch.isfinite(window.sums).all():
        raise _fail(who, "logged non-finite values: " + ", ".join(
            f"{k} {v}" for k, v in zip(window.names, window.sums.tolist())))
    if unchanged:
        raise _fail(who, f"the {unchanged[0]}'s weights did not change in {steps} step(s); does train_step call "
                         f"step.update('{unchanged[0]}', ...)?")
    state = _reloaded(trainer.state(), who)
    again = _trainer(document, base, who)
    try:
        again.load_state(state)
    except GanzooError as error:
        raise _fail(who, f"its checkpoint does not restore: {error}") from error
    return trainer


def _take_steps(trainer, steps: int, batch_size: int) -> list:
    """``steps`` training steps on the trainer's first images; the roles whose weights did not change."""
    before = {role: copy.deepcopy(module.state_dict()) for role, module in trainer.models.items()}
    for index in range(steps):
        batch = slice(index * batch_size, (index + 1) * batch_size)
        labels = trainer.labels[batch] if trainer.labels is not None else None
        trainer.take_step(Batch(unit_range(trainer.images[batch]), labels))
    return [role for role, module in trainer.models.items()
            if all(torch.equal(before[role][key], value) for key, value in module.state_dict().items())]


def _with_random_data(registry: Registry) -> Registry:
    """``registry`` plus the random-images dataset the checks train on."""
    base = Registry(components=dict(registry.components), plugins=list(registry.plugins),
                    failures=list(registry.failures), disabled=list(registry.disabled))
    base.add(Component("dataset", RANDOM_DATASET, _random_data, RandomDataParams, "Random images for checks.",
                       PluginInfo("ganzoo.testing", "ganzoo", "")))
    return base


def _trainer(document: Mapping[str, Any], registry: Registry, who: str):
    """A trainer for the recipe ``document`` (nothing written to disk), or a ContractError."""
    from omegaconf import OmegaConf

    from ganzoo.recipe import build_recipe
    from ganzoo.training.trainer import Trainer

    try:
        recipe = build_recipe(OmegaConf.create(dict(document)), registry=registry, source="contract recipe")
        with tempfile.TemporaryDirectory() as folder:  # the trainer writes nothing before fit()
            return Trainer(recipe, registry, folder)
    except GanzooError as error:
        raise ContractError(f"{who}: {error}") from error


def _reloaded(state: dict, who: str) -> dict:
    """``state`` through torch.save and torch.load(weights_only=True), as checkpoints go."""
    buffer = io.BytesIO()
    try:
        torch.save(state, buffer)
        buffer.seek(0)
        return torch.load(buffer, weights_only=True)
    except Exception as error:
        raise _fail(who, f"the checkpoint does not load with weights_only=True (the algorithm's and callbacks' "
                         f"state_dict must hold tensors and plain data): {first_line(error)}") from error


# ---------------------------------------------------------------- helpers
class _LinearDiscriminator(nn.Module):
    """check_loss's discriminator: one linear logit per image, and a linear head per extra output."""

    def __init__(self, features: int, extras: Mapping[str, int]):
        super().__init__()
        for key, width in extras.items():
            if key == "logits" or not isinstance(width, int) or isinstance(width, bool) or width < 1:
                raise ContractError(f"discriminator_extras maps names other than 'logits' to positive widths, "
                                    f"got {key!r}: {width!r}")
        self.logit = nn.Sequential(nn.Flatten(), nn.Linear(features, 1))
        self.heads = nn.ModuleDict({key: nn.Sequential(nn.Flatten(), nn.Linear(features, width))
                                    for key, width in extras.items()})

    def forward(self, x: torch.Tensor):
        logits = self.logit(x)
        if not self.heads:
            return logits
        return {"logits": logits, **{key: head(x) for key, head in self.heads.items()}}


def _check_latent(who: str, generator: nn.Module, n: int, latent: int, device: torch.device) -> torch.Tensor:
    """``n`` latents for the generator, drawn as a run draws them; its own ``sample_latent`` checked."""
    if getattr(generator, "sample_latent", None) is None:
        return torch.randn(n, latent, device=device)
    z = draw_latent(generator, n, torch.Generator(device).manual_seed(0))
    _check_tensor(who, "sample_latent(n, rng)", z, (n, latent), device)
    if not torch.equal(z, draw_latent(generator, n, torch.Generator(device).manual_seed(0))):
        raise _fail(who, "sample_latent(n, rng) draws other numbers from the same seed; draw every random number "
                         "from rng (torch.randn(..., generator=rng)), so runs reproduce and resume exactly")
    categories = code_categories(generator)
    if categories:
        _check_code(who, generator, n, latent, categories, device)
    return z


def _check_code(who: str, generator: nn.Module, n: int, latent: int, categories: int, device: torch.device) -> None:
    """``sample_latent(n, rng, code=k)`` puts the one-hot of k in every row, where the layout says:
    z = [noise, one_hot(code, code_categories), continuous_codes columns]."""
    continuous = getattr(generator, "continuous_codes", 0)
    start = latent - categories - continuous
    for code in range(categories):
        z = draw_latent(generator, n, torch.Generator(device).manual_seed(0), code)
        _check_tensor(who, f"sample_latent(n, rng, code={code})", z, (n, latent), device)
        want = torch.nn.functional.one_hot(torch.full((n,), code, device=device), categories).to(z.dtype)
        if start < 0 or not torch.equal(z[:, start:start + categories], want):
            raise _fail(who, f"sample_latent(n, rng, code={code}) must put the one-hot code in columns "
                             f"{max(start, 0)}..{start + categories - 1} of every row, followed by its {continuous} "
                             "continuous_codes: z = [noise, one-hot code, continuous codes]")


def _built_module(kind: str, name: str, params: Optional[Mapping[str, Any]], data: DataSpec,
                  registry: Optional[Registry]) -> tuple[nn.Module, str]:
    """The model ``kind`` ``name`` built as a run builds it, and how messages name it."""
    component = _component(kind, name, registry)
    who = f"{kind} '{name}' ({component.plugin})"
    module = component.factory(load_params(kind, name, params, registry), data)
    if not isinstance(module, nn.Module):
        raise _fail(who, f"the factory returned {type(module).__name__}, not a torch.nn.Module")
    return module, who


def _latent_dim(who: str, module: nn.Module, meaning: str) -> int:
    latent = getattr(module, "latent_dim", None)
    if not isinstance(latent, int) or isinstance(latent, bool) or latent < 1:
        raise _fail(who, f"needs a positive integer latent_dim attribute{meaning}, has {latent!r}")
    return latent


def _check_on_device(who: str, module: nn.Module, device: torch.device) -> None:
    for tensor in list(module.parameters()) + list(module.buffers()):
        if tensor.device.type != device.type:
            raise _fail(who, f"after .to({device}) a tensor is still on {tensor.device}; register it as a "
                             "parameter or buffer (register_buffer) so it moves with the module")


def _check_tensor(who: str, what: str, tensor: Any, shape: tuple, device: torch.device) -> None:
    if not isinstance(tensor, torch.Tensor):
        raise _fail(who, f"{what} is a {type(tensor).__name__}, not a tensor")
    if tuple(tensor.shape) != tuple(shape):
        raise _fail(who, f"{what} has shape {tuple(tensor.shape)}, expected {tuple(shape)}")
    if not tensor.is_floating_point():
        raise _fail(who, f"{what} has dtype {tensor.dtype}, expected a float dtype")
    if tensor.device.type != device.type:
        raise _fail(who, f"{what} is on {tensor.device}, expected {device}: create new tensors on the input's device")
    if not torch.isfinite(tensor).all():
        raise _fail(who, f"{what} is not finite (NaN or inf)")


def _check_scalar(who: str, what: str, value: Any) -> None:
    if not isinstance(value, torch.Tensor) or value.dim() != 0:
        shape = tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__
        raise _fail(who, f"{what} must return a scalar tensor (use .mean()), got {shape}")
    if not value.is_floating_point() or not torch.isfinite(value):
        raise _fail(who, f"{what} returned {value.item()}, not a finite float")
    if not value.requires_grad:
        raise _fail(who, f"{what} has no gradient: it must be computed from the logits, not detached")


def _check_input_gradient(who: str, what: str, tensor: torch.Tensor) -> None:
    if tensor.grad is None or not torch.isfinite(tensor.grad).all():
        raise _fail(who, f"no finite gradient reaches {what}; do not detach it inside forward")


def _check_gradients(who: str, module: nn.Module) -> None:
    grads = [p.grad for p in module.parameters() if p.requires_grad]
    if grads and all(g is None for g in grads):
        raise _fail(who, "no gradient reaches its weights")
    if any(g is not None and not torch.isfinite(g).all() for g in grads):
        raise _fail(who, "a gradient of its weights is not finite")
