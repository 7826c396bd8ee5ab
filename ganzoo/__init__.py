"""ganzoo: a plugin-based GAN zoo for PyTorch.

The public API that plugins import. ``import ganzoo`` stays light: the parts that
need torch are imported on first use.
"""

from ganzoo.data import DataSource, DataSpec, ImageData, default_data_root
from ganzoo.errors import GanzooError
from ganzoo.hookspecs import hookimpl
from ganzoo.metrics import Features, Metric

__version__ = "0.1.0"

__all__ = [
    "AdversarialLoss",
    "Algorithm",
    "Batch",
    "Callback",
    "ComponentSpec",
    "ContractViolation",
    "DataSource",
    "DataSpec",
    "Features",
    "GAN",
    "GANParams",
    "GanzooError",
    "ImageData",
    "LossContext",
    "Metric",
    "PRIORITIES",
    "RunInfo",
    "Tanh",
    "TrainStep",
    "TrainedRun",
    "build_component",
    "component_field",
    "default_data_root",
    "gradient_penalty",
    "hookimpl",
    "load",
    "make_recipe",
    "mnist_classifier",
    "r1_penalty",
    "train",
]


def __getattr__(name):
    if name in ("load", "make_recipe", "train", "TrainedRun"):  # the Python API (docs/api.md)
        from ganzoo import api

        return getattr(api, name)
    if name in ("Algorithm", "Batch", "Callback", "PRIORITIES", "RunInfo", "TrainStep"):
        from ganzoo import algorithm

        return getattr(algorithm, name)
    if name in ("ComponentSpec", "build_component", "component_field"):
        from ganzoo import composition

        return getattr(composition, name)
    if name == "ContractViolation":
        from ganzoo.failures import ContractViolation

        return ContractViolation
    if name in ("GAN", "GANParams"):
        from ganzoo import gan

        return getattr(gan, name)
    if name in ("AdversarialLoss", "LossContext", "gradient_penalty", "r1_penalty"):
        from ganzoo import losses

        return getattr(losses, name)
    if name == "mnist_classifier":
        from ganzoo.eval.classifier import shipped_classifier

        return shipped_classifier
    if name == "Tanh":
        from ganzoo.fast.tanh import Tanh

        return Tanh
    raise AttributeError(f"module 'ganzoo' has no attribute {name!r}")
