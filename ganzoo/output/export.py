"""``ganzoo export``: a trained generator as a TorchScript or ONNX file, or its weights as safetensors.

The exported TorchScript and ONNX modules map a latent batch ``z`` (N, latent_dim), and the
labels (N,) int64 of a conditional generator, to images (N, C, H, W) in [-1, 1], as the
generator's ``forward`` does; the batch size is free. A translation run's (pix2pix, CycleGAN,
SRGAN) map an input image batch ``images`` (N, C, H, W) in [-1, 1] to the ``outputs`` batch of
one direction (``a2b`` by default, ``b2a`` for two-way models), as ``ganzoo translate`` does.
safetensors holds the generator's weights, with the run's recipe in its metadata so
``load_safetensors`` can build the registered generator again. onnx and safetensors are
optional extras (``pip install 'ganzoo[export]'``).
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

import torch

from ganzoo.errors import GanzooError, first_line
from ganzoo.output.files import atomic_path, write_atomic
from ganzoo.model_calls import is_conditional

FORMATS = {"torchscript": ".pt", "onnx": ".onnx", "safetensors": ".safetensors"}
EXAMPLE_BATCH = 2  # the batch traced; the exported modules take any


class LatentToImages(torch.nn.Module):
    """The generator with the CLI's calling convention fixed: ``forward(z)`` or ``forward(z, labels)``."""

    def __init__(self, generator: torch.nn.Module):
        super().__init__()
        self.generator = generator

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        return self.generator(z, labels) if labels is not None else self.generator(z)


@dataclass
class Exported:
    """What one export writes: ``module`` (TorchScript, ONNX) traced on ``inputs`` named ``input_names``,
    its output named ``output_name``; ``generator``'s weights and ``metadata`` (safetensors)."""

    module: torch.nn.Module
    inputs: tuple
    input_names: list
    output_name: str
    generator: torch.nn.Module
    metadata: dict
    name: str  # the generator's registered name, for errors


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


def _metadata(recipe, role: str, spec, step: int) -> dict:
    return {"format": "ganzoo-generator", "recipe": recipe.to_yaml(), "role": role,
            "data_spec": json.dumps(spec.to_dict()), "step": str(step)}


def export(run, fmt: str, out: Union[str, Path]) -> Path:
    """Write ``run``'s generator (a ``ganzoo.TrainedRun``, on the CPU) to ``out`` as ``fmt``."""
    inputs = example_inputs(run)
    exported = Exported(LatentToImages(run.generator).eval(), inputs, ["z", "labels"][:len(inputs)], "images",
                        run.generator, _metadata(run.recipe, run.sample_role, run.spec, run.step),
                        run.recipe.config[run.sample_role].name)
    return write(exported, fmt, out)


def export_translation(state: dict, fmt: str, out: Union[str, Path], registry, direction: Optional[str] = None,
                       ema: bool = True) -> Path:
    """Write the generator of ``direction`` (default: the run's first, a2b) of a translation run's
    checkpoint ``state`` to ``out`` as ``fmt``: a module from input images to outputs, both in [-1, 1]."""
    from ganzoo import translation
    from ganzoo.eval.translation_eval import load_translators, run_directions
    from ganzoo.training import checkpoint

    directions = run_directions(state)
    chosen = translation.choose(directions, direction)
    generators, spec = load_translators(state, registry, torch.device("cpu"), ema)
    recipe, role = checkpoint.recipe_of(state, registry), directions[chosen]
    in_shape, _ = translation.shapes(spec, chosen)
    example = torch.rand(EXAMPLE_BATCH, *in_shape, generator=torch.Generator().manual_seed(0)) * 2 - 1
    metadata = {**_metadata(recipe, role, spec, int(state.get("step", 0))), "direction": chosen}
    exported = Exported(generators[chosen], (example,), ["images"], "outputs", generators[chosen], metadata,
                        recipe.config[role].name)
    return write(exported, fmt, out)


def write(exported: Exported, fmt: str, out: Union[str, Path]) -> Path:
    """Write ``exported`` to ``out`` as ``fmt``, atomically: a failure leaves nothing behind.

    TorchScript and ONNX are written to memory first: torch's own file writer aborts the whole
    process (from C++) when the disk fills; ``write_atomic`` puts the bytes in place instead.
    """
    out = Path(out)
    if out.is_dir():
        raise GanzooError(f"--out {out} is a folder; give a file name, e.g. {out / ('generator' + FORMATS[fmt])}")
    try:
        if fmt == "safetensors":
            _safetensors(exported, out)
            return out
        buffer = io.BytesIO()
        {"torchscript": _torchscript, "onnx": _onnx}[fmt](exported, buffer)
    except GanzooError:
        raise
    except Exception as error:  # noqa: BLE001 - the exporter's own failure: one line naming the generator
        text = " ".join(str(error).split())[:300]
        raise GanzooError(f"cannot export the generator '{exported.name}' to {fmt}: "
                          f"{type(error).__name__}: {text}") from error
    write_atomic(out, lambda handle: handle.write(buffer.getvalue()))
    return out


def _torchscript(exported: Exported, buffer: io.BytesIO) -> None:
    with torch.no_grad(), _quiet_exporter():  # torch.jit.trace and save warn they are deprecated; they still work
        traced = torch.jit.trace(exported.module, exported.inputs, check_trace=False)
        torch.jit.save(traced, buffer)


def _onnx(exported: Exported, buffer: io.BytesIO) -> None:
    try:
        import onnx  # noqa: F401 - torch's exporter writes through it
    except ImportError as error:
        raise GanzooError("--format onnx needs the onnx package, which is not installed: "
                          "pip install 'ganzoo[export]'") from error
    names, output = exported.input_names, exported.output_name
    with torch.no_grad(), _quiet_exporter():
        torch.onnx.export(exported.module, exported.inputs, buffer, input_names=names, output_names=[output],
                          dynamic_axes={name: {0: "batch"} for name in [*names, output]},
                          opset_version=17, dynamo=False)


def _safetensors(exported: Exported, out: Path) -> None:
    """safetensors writes a file by name (from Rust): a temporary one beside ``out``, after checking
    that the weights fit on the disk, renamed into place, removed on any failure."""
    try:
        from safetensors.torch import save_model
    except ImportError as error:
        raise GanzooError("--format safetensors needs the safetensors package, which is not installed: "
                          "pip install 'ganzoo[export]'") from error
    need = sum(t.numel() * t.element_size() for t in exported.generator.state_dict().values())
    need += len(json.dumps(exported.metadata)) + 2**16
    folder = next((p for p in (out.parent, *out.parent.parents) if p.exists()), Path("."))
    with contextlib.suppress(OSError):
        free = shutil.disk_usage(folder).free
        if free < need:
            raise GanzooError(f"cannot write {out}: it needs about {need / 2**20:.3g} MiB and {folder} has "
                              f"{free / 2**20:.3g} MiB free; free some disk space or choose another folder")
    with atomic_path(out) as staged:
        save_model(exported.generator, str(staged), metadata=exported.metadata)


def load_safetensors(path: Union[str, Path], registry=None, device: str = "cpu") -> torch.nn.Module:
    """The registered generator an exported safetensors file was written from, with its weights, in eval mode."""
    from safetensors import safe_open
    from safetensors.torch import load_model

    from ganzoo.assembly import build_models, describe, resolve_device
    from ganzoo.data import DataSpec
    from ganzoo.output.sampling import DAMAGED
    from ganzoo.pluginhost.registry import load_registry
    from ganzoo.recipe import recipe_from_text
    from ganzoo.training import checkpoint

    registry = registry or load_registry()
    if not Path(path).is_file():
        raise GanzooError(f"'{path}' not found; give a file that `ganzoo export --format safetensors` wrote")
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
    except Exception as error:  # noqa: BLE001 - safetensors' SafetensorError, or the OS's
        raise GanzooError(f"cannot read '{path}' as safetensors: {first_line(error, 200)} (corrupt, "
                          "truncated, or another kind of file)") from error
    if metadata.get("format") != "ganzoo-generator":
        raise GanzooError(f"'{path}' was not written by `ganzoo export --format safetensors` (no ganzoo metadata)")
    recipe = recipe_from_text(metadata.get("recipe"), (), registry, source=str(path))
    try:
        spec = DataSpec.from_dict(json.loads(metadata.get("data_spec", "")))
    except ValueError as error:  # json's JSONDecodeError is one
        raise GanzooError(f"'{path}' is damaged: its data spec is not one ganzoo writes ({error})") from error
    role = metadata.get("role")
    if role not in recipe.roles:
        raise GanzooError(f"'{path}' is damaged: its role {role!r} is none of its recipe's ({', '.join(recipe.roles)})")
    (generator,) = build_models(recipe, spec, resolve_device(device), roles=[role]).values()
    checkpoint.load_weights(generator, {}, path, describe(recipe, role), DAMAGED,
                            load=lambda: load_model(generator, str(path), device=str(device)))
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
