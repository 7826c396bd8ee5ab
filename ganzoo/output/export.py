"""``ganzoo export``: a trained generator as a TorchScript or ONNX file, or its weights as safetensors.

The exported TorchScript and ONNX modules map a latent batch ``z`` (N, latent_dim), and the
labels (N,) int64 of a conditional generator, to images (N, C, H, W) in [-1, 1], as the
generator's ``forward`` does; the batch size is free. safetensors holds the generator's
weights, with the run's recipe in its metadata so ``load_safetensors`` can build the registered
generator again. onnx and safetensors are optional extras (``pip install 'ganzoo[export]'``).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Union

import torch

from ganzoo.errors import GanzooError
from ganzoo.output.files import write_atomic
from ganzoo.models import is_conditional

FORMATS = {"torchscript": ".pt", "onnx": ".onnx", "safetensors": ".safetensors"}
EXAMPLE_BATCH = 2  # the batch traced; the exported modules take any


class LatentToImages(torch.nn.Module):
    """The generator with the CLI's calling convention fixed: ``forward(z)`` or ``forward(z, labels)``."""

    def __init__(self, generator: torch.nn.Module):
        super().__init__()
        self.generator = generator

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.generator(z, labels) if labels is not None else self.generator(z)


def format_of(fmt: str | None, out: Union[str, Path]) -> str:
    """The export format: ``fmt``, else the one ``out``'s suffix names."""
    if fmt is None:
        by_suffix = {suffix: name for name, suffix in FORMATS.items()}
        fmt = by_suffix.get(Path(out).suffix)
        if fmt is None:
            raise GanzooError(f"give --format {'|'.join(FORMATS)} (or an --out ending in "
                              f"{', '.join(FORMATS.values())})")
    if fmt not in FORMATS:
        raise GanzooError(f"--format must be one of {', '.join(FORMATS)}, got '{fmt}'")
    return fmt


def example_inputs(run) -> tuple:
    z = torch.randn(EXAMPLE_BATCH, run.latent_dim, generator=torch.Generator().manual_seed(0))
    if not is_conditional(run.generator):
        return (z,)
    return z, torch.arange(EXAMPLE_BATCH, dtype=torch.long) % max(run.spec.num_classes or 1, 1)


def export(run, fmt: str, out: Union[str, Path]) -> Path:
    """Write ``run``'s generator (a ``ganzoo.TrainedRun``, on the CPU) to ``out`` as ``fmt``."""
    out = Path(out)
    module = LatentToImages(run.generator).eval()
    writer = {"torchscript": _torchscript, "onnx": _onnx, "safetensors": _safetensors}[fmt]
    try:
        with tempfile.TemporaryDirectory(dir=out.parent if out.parent.exists() else None) as folder:
            staged = Path(folder) / f"generator{out.suffix or FORMATS[fmt]}"
            writer(module, run, staged)
            data = staged.read_bytes()
    except GanzooError:
        raise
    except Exception as error:  # noqa: BLE001 - the exporter's own failure: one line naming the generator
        text = " ".join(str(error).split())[:300]
        raise GanzooError(f"cannot export the generator '{run.recipe.config[run.sample_role].name}' to {fmt}: "
                          f"{type(error).__name__}: {text}") from error
    write_atomic(out, lambda handle: handle.write(data))
    return out


def _torchscript(module: torch.nn.Module, run, path: Path) -> None:
    with torch.no_grad(), _quiet_exporter():  # torch.jit.trace warns it is deprecated; it still works
        traced = torch.jit.trace(module, example_inputs(run), check_trace=False)
    traced.save(str(path))


def _onnx(module: torch.nn.Module, run, path: Path) -> None:
    try:
        import onnx  # noqa: F401 - torch's exporter writes through it
    except ImportError as error:
        raise GanzooError("--format onnx needs the onnx package, which is not installed: "
                          "pip install 'ganzoo[export]'") from error
    inputs = example_inputs(run)
    names = ["z", "labels"][:len(inputs)]
    with torch.no_grad(), _quiet_exporter():
        torch.onnx.export(module, inputs, str(path), input_names=names, output_names=["images"],
                          dynamic_axes={name: {0: "batch"} for name in [*names, "images"]},
                          opset_version=17, dynamo=False)


def _safetensors(module: torch.nn.Module, run, path: Path) -> None:
    try:
        from safetensors.torch import save_model
    except ImportError as error:
        raise GanzooError("--format safetensors needs the safetensors package, which is not installed: "
                          "pip install 'ganzoo[export]'") from error
    metadata = {"format": "ganzoo-generator", "recipe": run.recipe.to_yaml(), "role": run.sample_role,
                "data_spec": json.dumps(run.spec.to_dict()), "step": str(run.step)}
    save_model(run.generator, str(path), metadata=metadata)


def load_safetensors(path: Union[str, Path], registry=None, device: str = "cpu") -> torch.nn.Module:
    """The registered generator an exported safetensors file was written from, with its weights, in eval mode."""
    from omegaconf import OmegaConf
    from safetensors import safe_open
    from safetensors.torch import load_model

    from ganzoo.components import build_models, resolve_device
    from ganzoo.data import DataSpec
    from ganzoo.recipe import build_recipe
    from ganzoo.plugins.registry import load_registry

    registry = registry or load_registry()
    with safe_open(str(path), framework="pt") as handle:
        metadata = handle.metadata() or {}
    if metadata.get("format") != "ganzoo-generator":
        raise GanzooError(f"'{path}' was not written by `ganzoo export --format safetensors` (no ganzoo metadata)")
    recipe = build_recipe(OmegaConf.create(metadata["recipe"]), (), registry, source=str(path))
    spec = DataSpec.from_dict(json.loads(metadata["data_spec"]))
    (generator,) = build_models(registry, recipe, spec, resolve_device(device), roles=[metadata["role"]]).values()
    load_model(generator, str(path), device=str(device))
    return generator.eval()


class _quiet_exporter:
    """torch's ONNX exporter warns about tracing internals; the user sees the file or one error."""

    def __enter__(self):
        import warnings

        self._catch = warnings.catch_warnings()
        self._catch.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(self, *exc):
        return self._catch.__exit__(*exc)
