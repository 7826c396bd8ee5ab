"""The plugin's own tests, written with ganzoo's contract kit. Run them after `pip install -e .`."""

import contextlib

import pytest
import torch

from ganzoo import Batch, TrainStep, testing
from ganzoo_gman.gman import GMAN, GMANParams

SMALL_DCGAN = {"base_channels": 4, "norm": "layer"}


def test_plugin_loads_with_its_algorithm():
    components = testing.check_plugin_loads("gman")
    assert [(c.kind, c.name) for c in components] == [("algorithm", "gman")]


def test_params_are_typed_and_checked():
    assert testing.load_params("algorithm", "gman", {"combine": "mean"}) == GMANParams(combine="mean")
    with pytest.raises(testing.ContractError, match="combine must be one of mean, softmax"):
        testing.load_params("algorithm", "gman", {"combine": "max"})
    with pytest.raises(testing.ContractError, match="lam must be 0 or more"):
        testing.load_params("algorithm", "gman", {"lam": -1.0})


@pytest.mark.parametrize("params", [{"combine": "mean"}, {"combine": "softmax", "lam": 2.0}])
def test_trains_every_model_with_two_different_discriminators(params):
    trainer = testing.check_algorithm("gman", params, components={"discriminator_2": "dcgan"},
                                      component_params={"discriminator_2": SMALL_DCGAN}, steps=2)
    logged = dict(zip(trainer.window.names, trainer.window.counts.tolist()))
    assert logged == {"d_loss": 2, "d_loss_2": 2, "g_loss": 2, "weight_2": 2}


def test_softmax_weights_go_from_the_mean_to_the_harshest_discriminator():
    losses = torch.tensor([1.0, 3.0])
    assert GMAN(GMANParams("mean")).weights(losses).tolist() == [0.5, 0.5]
    assert GMAN(GMANParams("softmax", lam=0.0)).weights(losses).tolist() == [0.5, 0.5]
    assert GMAN(GMANParams("softmax", lam=50.0)).weights(losses)[1] > 0.999
    weights = GMAN(GMANParams("softmax", lam=1.0)).weights(losses)
    assert weights.sum().item() == pytest.approx(1.0) and weights[1] > weights[0]


class RecordingStep(TrainStep):
    """The TrainStep contract with plain SGD, recording which weights had gradients at each update."""

    def __init__(self, models, losses):
        self.models, self.losses, self.index = models, losses, 0
        self.optimizers = {role: torch.optim.SGD(m.parameters(), lr=0.1) for role, m in models.items()}
        self.updates, self.logged = [], {}
        self.rng = torch.Generator().manual_seed(0)

    def latent(self, role="generator"):
        return torch.randn(8, self.models[role].latent_dim, generator=self.rng)

    def update(self, roles, loss):
        roles = (roles,) if isinstance(roles, str) else tuple(roles)
        for optimizer in self.optimizers.values():
            optimizer.zero_grad(set_to_none=True)
        loss.backward()
        with_grads = {role for role, m in self.models.items() if any(p.grad is not None for p in m.parameters())}
        self.updates.append((roles, with_grads))
        for role in roles:
            self.optimizers[role].step()
        return True

    @contextlib.contextmanager
    def frozen(self, *roles):
        params = [p for role in roles for p in self.models[role].parameters()]
        for p in params:
            p.requires_grad_(False)
        try:
            yield
        finally:
            for p in params:
                p.requires_grad_(True)

    def log(self, **scalars):
        self.logged.update(scalars)


def test_each_discriminator_learns_alone_and_the_generator_against_both_frozen():
    from torch import nn

    class G(nn.Module):
        latent_dim = 4

        def __init__(self):
            super().__init__()
            self.net = nn.Linear(4, 16)

        def forward(self, z):
            return torch.tanh(self.net(z))

    models = {"generator": G(), "discriminator": nn.Linear(16, 1), "discriminator_2": nn.Linear(16, 1)}
    loss = testing.check_loss("bce")
    step = RecordingStep(models, {"loss": loss})
    GMAN(GMANParams("softmax")).train_step(Batch(torch.rand(8, 16) * 2 - 1), step)
    assert step.updates == [(("discriminator",), {"discriminator"}), (("discriminator_2",), {"discriminator_2"}),
                            (("generator",), {"generator"})]
    assert set(step.logged) == set(GMAN.scalars)
