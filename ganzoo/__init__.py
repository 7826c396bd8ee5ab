"""ganzoo: a plugin-based GAN zoo for PyTorch.

The public API that plugins import. ``import ganzoo`` stays light: the parts that
need torch are imported on first use.
"""

from ganzoo.data import DataSource, DataSpec, ImageData, Presentation, TwoSided, default_data_root, unit_range
from ganzoo.errors import ContractViolation, GanzooError, first_line
from ganzoo.hookspecs import hookimpl
from ganzoo.metrics import FeatureExtractor, Features, Metric
from ganzoo.rows import RowSource

__version__ = "0.1.0"

#: the public names that load on first use (they need torch), each with the module that holds it
#: ("module" or "module:attribute"); ``__all__`` and ``__getattr__`` both come from this one table
_LAZY = {
    "load": "ganzoo.api", "make_recipe": "ganzoo.api", "train": "ganzoo.api",  # the Python API (docs/api.md)
    "TrainedRun": "ganzoo.api",
    "Algorithm": "ganzoo.algorithm", "Batch": "ganzoo.algorithm", "Callback": "ganzoo.algorithm",
    "RunInfo": "ganzoo.algorithm", "TrainStep": "ganzoo.algorithm", "PRIORITIES": "ganzoo.algorithm",
    "ComponentSpec": "ganzoo.nested_components", "build_component": "ganzoo.nested_components",
    "component_field": "ganzoo.nested_components",
    "GAN": "ganzoo.gan", "GANParams": "ganzoo.gan",
    "AdversarialLoss": "ganzoo.losses", "LossContext": "ganzoo.losses", "gradient_penalty": "ganzoo.losses",
    "r1_penalty": "ganzoo.losses", "mean_gradient": "ganzoo.losses", "whole_batch": "ganzoo.batchwide",
    "mnist_classifier": "ganzoo.eval.classifier:shipped_classifier", "read_idx": "ganzoo.eval.mnist_data",
    "read_labelled_idx": "ganzoo.eval.mnist_data",
    "Tanh": "ganzoo.layers",
    "to_uint8": "ganzoo.output.images",
    "generate": "ganzoo.model_calls", "discriminate": "ganzoo.model_calls", "eval_mode": "ganzoo.model_calls",
    "KMeans": "ganzoo.clusters", "cached_tensors": "ganzoo.eval.feature_cache",
    "read_image_folder": "ganzoo.storage.folders", "read_packed": "ganzoo.storage.packed",
}

__all__ = sorted(["ContractViolation", "DataSource", "DataSpec", "FeatureExtractor", "Features", "GanzooError",
                  "ImageData", "Metric", "Presentation", "RowSource", "TwoSided", "default_data_root", "first_line",
                  "hookimpl", "unit_range", *_LAZY])


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'ganzoo' has no attribute {name!r}")
    import importlib

    module, _, attribute = _LAZY[name].partition(":")
    return getattr(importlib.import_module(module), attribute or name)
