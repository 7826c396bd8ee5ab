"""The built-in vanilla plugin, checked with the same contract kit plugin authors use."""

from ganzoo import DataSpec, testing


def test_vanilla_plugin_loads_and_registers_its_five_components():
    components = testing.check_plugin_loads("vanilla")
    assert {(c.kind, c.name) for c in components} == {
        ("algorithm", "gan"), ("generator", "mlp"), ("discriminator", "mlp"), ("loss", "bce"), ("dataset", "mnist")}


def test_mlp_generator_honours_the_contract():
    generator = testing.check_generator("mlp", {"latent_dim": 8, "hidden": [16], "batch_norm": True,
                                                "batch_norm_first": True})
    assert generator.latent_dim == 8
    testing.check_generator("mlp", data=DataSpec((3, 8, 8)))


def test_mlp_discriminator_honours_the_contract():
    testing.check_discriminator("mlp", {"hidden": [16, 8], "activation": "leaky_relu", "dropout": 0.1})


def test_bce_loss_honours_the_contract_in_both_forms():
    testing.check_loss("bce")
    testing.check_loss("bce", {"non_saturating": False, "real_label": 0.9})


def test_mnist_dataset_honours_the_contract(mnist_root):
    data = testing.check_dataset("mnist", {"root": str(mnist_root), "download": False, "limit": 64})
    assert tuple(data.images.shape) == (64, 1, 28, 28) and data.num_classes == 10


def test_one_training_step_with_the_vanilla_components(mnist_root):
    trainer = testing.check_training_step(
        dataset="mnist", params={"dataset": {"root": str(mnist_root), "download": False, "limit": 32},
                                 "generator": {"hidden": [16]}, "discriminator": {"hidden": [16]}},
        batch_size=16, d_steps=2)
    assert trainer.steps_done == 2
    testing.check_training_step(params={"generator": {"hidden": [16]}, "discriminator": {"hidden": [16]}})
