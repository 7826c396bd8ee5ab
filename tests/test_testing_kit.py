"""The contract kit fails, with a message that says what to fix, on components that break the contract."""

import types
from dataclasses import dataclass
from typing import Tuple

import pytest
import torch
from torch import nn

from ganzoo import ImageData, hookimpl, testing
from ganzoo.pluginhost.registry import PluginInfo, load_registry


@dataclass
class NoParams:
    pass


@dataclass
class TupleParams:
    sizes: Tuple[int, int] = (1, 2)
    extra: object = None


class WrongShapeGenerator(nn.Module):
    latent_dim = 4

    def __init__(self, params, data):
        super().__init__()
        self.linear = nn.Linear(4, 10)

    def forward(self, z):
        return torch.tanh(self.linear(z))  # (N, 10), not an image


class UnboundedGenerator(WrongShapeGenerator):
    def __init__(self, params, data):
        super().__init__(params, data)
        self.shape = tuple(data.image_shape)
        self.linear = nn.Linear(4, int(torch.tensor(self.shape).prod()))

    def forward(self, z):
        return 10 * self.linear(z).view(z.shape[0], *self.shape)  # no tanh


class DetachingDiscriminator(nn.Module):
    def __init__(self, params, data):
        super().__init__()
        self.linear = nn.LazyLinear(1)

    def forward(self, x):
        return self.linear(x.detach().flatten(1))


class VectorLoss:
    def discriminator_loss(self, real_logits, fake_logits, ctx):
        return real_logits - fake_logits  # not a scalar

    def generator_loss(self, fake_logits, ctx):
        return -fake_logits.mean()


class DetachedLoss(VectorLoss):
    def discriminator_loss(self, real_logits, fake_logits, ctx):
        return (real_logits - fake_logits).mean()

    def generator_loss(self, fake_logits, ctx):
        return fake_logits.detach().mean()


class UnseededCodeGenerator(nn.Module):
    """Draws its own latent with torch's global generator instead of the rng it is given."""
    latent_dim = 6
    code_categories = 3
    continuous_codes = 0

    def __init__(self, params, data):
        super().__init__()
        self.shape = tuple(data.image_shape)
        self.linear = nn.Linear(6, int(torch.tensor(self.shape).prod()))

    def forward(self, z):
        return torch.tanh(self.linear(z)).view(z.shape[0], *self.shape)

    def sample_latent(self, n, rng, code=None):
        codes = torch.full((n,), code) if code is not None else torch.randint(3, (n,), generator=rng)
        return torch.cat([torch.randn(n, 3), nn.functional.one_hot(codes, 3).float()], 1)


class MisplacedCodeGenerator(UnseededCodeGenerator):
    """Puts its code first in z, where the layout says last."""

    def sample_latent(self, n, rng, code=None):
        codes = torch.full((n,), code) if code is not None else torch.randint(3, (n,), generator=rng)
        return torch.cat([nn.functional.one_hot(codes, 3).float(), torch.randn(n, 3, generator=rng)], 1)


class RaggedExtrasDiscriminator(nn.Module):
    def __init__(self, params, data):
        super().__init__()
        self.linear = nn.LazyLinear(1)

    def forward(self, x):
        logits = self.linear(x.flatten(1))
        return {"logits": logits, "class_logits": logits[:1].expand(1, 10)}  # one row, not one per image


class ClassLoss(VectorLoss):
    """An ACGAN-style loss: BCE plus the cross-entropy of D's class logits."""

    def discriminator_loss(self, real_logits, fake_logits, ctx):
        adversarial = nn.functional.softplus(-real_logits).mean() + nn.functional.softplus(fake_logits).mean()
        return adversarial + nn.functional.cross_entropy(ctx.real_extras["class_logits"], ctx.labels)

    def generator_loss(self, fake_logits, ctx):
        classes = nn.functional.cross_entropy(ctx.fake_extras["class_logits"], ctx.labels)
        return nn.functional.softplus(-fake_logits).mean() + classes


class FlatEncoder(nn.Module):
    """An encoder that forgets the batch: one code for the whole batch."""
    latent_dim = 3

    def __init__(self, params, data):
        super().__init__()
        self.linear = nn.LazyLinear(3)

    def forward(self, x):
        return self.linear(x.flatten(1)).mean(0, keepdim=True)


class GoodEncoder(FlatEncoder):
    def forward(self, x):
        return self.linear(x.flatten(1))


class CodeBlindCritic(nn.Module):
    """A joint critic D(x, z) that detaches its code input: a penalty on z would see no gradient."""

    def __init__(self, params, data):
        super().__init__()
        self.images, self.codes = nn.LazyLinear(1), nn.LazyLinear(1)

    def forward(self, x, z):
        return (self.images(x.flatten(1)) + self.codes(z.detach())).reshape(-1)


class JointCritic(CodeBlindCritic):
    def forward(self, x, z):
        return (self.images(x.flatten(1)) + self.codes(z)).reshape(-1)


def int_images(params):
    return ImageData(images=torch.zeros(4, 1, 8, 8, dtype=torch.int64))


def labels_without_classes(params):
    return ImageData(images=torch.zeros(4, 1, 8, 8), labels=torch.zeros(4, dtype=torch.long))


@hookimpl
def register_generators(register):
    register("wrong-shape", WrongShapeGenerator, NoParams)
    register("unbounded", UnboundedGenerator, NoParams)
    register("tuple-params", WrongShapeGenerator, TupleParams)
    register("unseeded-code", UnseededCodeGenerator, NoParams)
    register("misplaced-code", MisplacedCodeGenerator, NoParams)


@hookimpl
def register_discriminators(register):
    register("detaching", DetachingDiscriminator, NoParams)
    register("ragged-extras", RaggedExtrasDiscriminator, NoParams)


@hookimpl
def register_encoders(register):
    register("flat", FlatEncoder, NoParams)
    register("good", GoodEncoder, NoParams)


@hookimpl
def register_networks(register):
    register("code-blind", CodeBlindCritic, NoParams)
    register("joint", JointCritic, NoParams)


@hookimpl
def register_losses(register):
    register("vector", lambda params: VectorLoss(), NoParams)
    register("detached", lambda params: DetachedLoss(), NoParams)
    register("no-methods", lambda params: object(), NoParams)
    register("class-loss", lambda params: ClassLoss(), NoParams)


@hookimpl
def register_datasets(register):
    register("ints", int_images, NoParams)
    register("unclassed", labels_without_classes, NoParams)


@pytest.fixture(scope="module")
def registry():
    plugin = types.SimpleNamespace(**{name: globals()[name] for name in
                                      ("register_generators", "register_discriminators", "register_encoders",
                                       "register_networks", "register_losses", "register_datasets")})
    return load_registry(extra_plugins=[(PluginInfo("bad", "ganzoo-bad", "0.0.1"), plugin)], strict=True)


@pytest.mark.parametrize("check, name, message", [
    (testing.check_generator, "wrong-shape", "output has shape (4, 10), expected (4, 1, 16, 16)"),
    (testing.check_generator, "unbounded", "images must lie in [-1, 1]"),
    (testing.check_generator, "tuple-params", "cannot type a recipe"),
    (testing.check_generator, "unseeded-code", "sample_latent(n, rng) draws other numbers from the same seed"),
    (testing.check_generator, "misplaced-code", "sample_latent(n, rng, code=0) must put the one-hot code in "
                                                "columns 3..5 of every row"),
    (testing.check_discriminator, "detaching", "no finite gradient reaches the input images"),
    (testing.check_discriminator, "ragged-extras", "extra output 'class_logits' has shape (1, 10), expected (4, 10)"),
    (testing.check_encoder, "flat", "codes has shape (1, 3), expected (4, 3)"),
    (testing.check_loss, "vector", "discriminator_loss must return a scalar tensor"),
    (testing.check_loss, "detached", "generator_loss has no gradient"),
    (testing.check_loss, "no-methods", "has no discriminator_loss method"),
    (testing.check_dataset, "ints", "images must be uint8 (0 to 255) or a float tensor"),
    (testing.check_dataset, "unclassed", "has labels but no num_classes"),
    (testing.check_loss, "missing", "unknown loss 'missing'"),
])
def test_a_broken_component_fails_its_check_with_a_clear_message(registry, check, name, message):
    with pytest.raises(testing.ContractError) as caught:
        check(name, registry=registry)
    assert message in str(caught.value)
    assert isinstance(caught.value, AssertionError)


def test_check_encoder_passes_an_encoder_and_check_network_a_two_input_critic(registry):
    assert testing.check_encoder("good", registry=registry).latent_dim == 3
    images, codes = torch.rand(4, 1, 16, 16) * 2 - 1, torch.randn(4, 3)
    critic = testing.check_network("joint", inputs=(images, codes), output_shape=(4,), registry=registry)
    assert critic(images, codes).shape == (4,)


def test_check_network_checks_the_shape_and_that_gradients_reach_every_input(registry):
    images, codes = torch.rand(4, 1, 16, 16) * 2 - 1, torch.randn(4, 3)
    with pytest.raises(testing.ContractError, match=r"network 'code-blind' .*no finite gradient reaches input 1 \(4, 3\)"):
        testing.check_network("code-blind", inputs=(images, codes), output_shape=(4,), registry=registry)
    with pytest.raises(testing.ContractError, match=r"output has shape \(4,\), expected \(4, 1\)"):
        testing.check_network("joint", inputs=(images, codes), output_shape=(4, 1), registry=registry)


def test_check_loss_gives_a_loss_the_discriminator_extras_it_reads(registry):
    with pytest.raises(KeyError, match="class_logits"):  # its test discriminator returns logits alone
        testing.check_loss("class-loss", registry=registry)
    assert isinstance(testing.check_loss("class-loss", discriminator_extras={"class_logits": 10}, registry=registry),
                      ClassLoss)
    with pytest.raises(testing.ContractError, match="discriminator_extras maps names other than 'logits'"):
        testing.check_loss("class-loss", discriminator_extras={"class_logits": 0}, registry=registry)


def test_params_are_typed_as_in_a_recipe(registry):
    with pytest.raises(testing.ContractError, match="unknown key 'generator.params.hiden'.*Did you mean: 'hidden'"):
        testing.load_params("generator", "mlp", {"hiden": [8]})
    params = testing.load_params("generator", "mlp", {"hidden": [8, 4]})
    assert params.hidden == [8, 4]


def test_a_missing_plugin_is_reported_with_what_is_installed():
    with pytest.raises(testing.ContractError, match=r"no plugin named 'nosuch' is installed \(installed: .*vanilla"):
        testing.check_plugin_loads("nosuch")
