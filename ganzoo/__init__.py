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
    "DataSource",
    "DataSpec",
    "Features",
    "GanzooError",
    "ImageData",
    "LossContext",
    "Metric",
    "Tanh",
    "closed_form_covers",
    "default_data_root",
    "gradient_penalty",
    "hookimpl",
    "r1_penalty",
]


def __getattr__(name):
    if name in ("AdversarialLoss", "LossContext", "closed_form_covers", "gradient_penalty", "r1_penalty"):
        from ganzoo import losses

        return getattr(losses, name)
    if name == "Tanh":
        from ganzoo.layers import Tanh

        return Tanh
    raise AttributeError(f"module 'ganzoo' has no attribute {name!r}")
