"""`ganzoo export`: a run's generator as TorchScript, ONNX or safetensors."""

from __future__ import annotations

from ganzoo.commands.common import _registry
from ganzoo.errors import GanzooError

HELP = "write a trained generator as TorchScript, ONNX or safetensors"
DESCRIPTION = ("Write a run's generator (its EMA weights when kept): a TorchScript or "
               "ONNX module mapping latents z (N, latent_dim), and labels (N,) for a "
               "conditional generator, to images (N, C, H, W) in [-1, 1] (a translation "
               "run's: input images (N, C, H, W) in [-1, 1] to its outputs); or its "
               "weights as safetensors, with the recipe in the metadata.")


def add_arguments(export) -> None:
    export.add_argument("source", metavar="RUN_DIR_OR_CHECKPOINT")
    export.add_argument("--format", choices=("torchscript", "onnx", "safetensors"),
                        help="default: from --out's suffix (.pt, .onnx, .safetensors)")
    export.add_argument("--out", required=True, metavar="FILE", help="file to write")
    export.add_argument("--no-ema", action="store_true", help="the trained weights, not their moving average")
    export.add_argument("--direction", choices=("a2b", "b2a"), help="a translation run's direction: a2b (default) "
                        "or b2a, for two-way models")


def cmd_export(args) -> int:
    from ganzoo.api import run_from_state
    from ganzoo.output.export import export_translation, format_of
    from ganzoo.training import checkpoint

    fmt = format_of(args.format, args.out)  # a bad --out fails before loading anything
    registry = _registry(args)
    state = checkpoint.load_checkpoint(args.source)
    if state.get("directions"):
        print(export_translation(state, fmt, args.out, registry, args.direction, ema=not args.no_ema))
        return 0
    if args.direction:
        raise GanzooError(f"--direction is for translation runs; '{args.source}' generates from noise: leave it out")
    run = run_from_state(state, args.source, ema=not args.no_ema, registry=registry)
    print(run.export(args.out, fmt))
    return 0
