"""The ``ganzoo`` command line. Heavy modules (torch, plugins) load only when a command needs them."""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import Optional, Sequence

from ganzoo import __version__
from ganzoo.errors import GanzooError

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
DEVICE_HELP = "auto (default: CUDA when present, as in training), cpu or cuda"


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the full traceback of an error")
    common.add_argument("--strict", action="store_true", default=argparse.SUPPRESS,
                        help="fail when any plugin fails to load (same as GANZOO_STRICT_PLUGINS=1)")

    parser = argparse.ArgumentParser(prog="ganzoo", parents=[common],
                                     description="A plugin-based GAN zoo for PyTorch.")
    parser.add_argument("--version", action="version", version=f"ganzoo {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser("run", parents=[common], help="train a GAN from a YAML recipe",
                              description="Train a GAN from a YAML recipe. KEY=VALUE overrides are merged last, "
                                          "e.g. train.epochs=1 generator.params.hidden=[256,256].")
    run.add_argument("recipe", nargs="?", help="a built-in recipe's name (e.g. vanilla_mnist; see `ganzoo list "
                                               "--kind recipe`) or a recipe file")
    run.add_argument("overrides", nargs="*", metavar="KEY=VALUE", help="recipe overrides")
    run.add_argument("--out", metavar="DIR", help="run directory (default: runs/<recipe name>-<timestamp>); with -m, "
                                                "the sweep folder (default: runs/<recipe name>-sweep-<timestamp>)")
    run.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR from its newest checkpoint")
    run.add_argument("--quiet", action="store_true", help="plain log lines instead of a live progress bar")
    run.add_argument("--nproc", type=int, metavar="N",
                     help="train data-parallel in N processes on this machine")
    run.add_argument("-m", "--multirun", action="store_true",
                     help="a sweep: comma-separated override values (seed=0,1,2) expand into a grid, each run in "
                          "its own folder under --out")
    run.add_argument("--jobs", type=int, metavar="N", help="with -m: N runs at a time (default 1), the CPU cores "
                                                           "shared among them as train.threads")

    listing = commands.add_parser("list", parents=[common], help="show the registered components and built-in recipes")
    listing.add_argument("--kind", help="only this kind: generator, discriminator, loss, dataset, metric or recipe")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")

    params = commands.add_parser("params", parents=[common], help="show a component's params: types, defaults, comments",
                                 description="The params a recipe can give a component (KIND.params), each with its "
                                             "type, its default and the comment beside it in the plugin's code. "
                                             "Without NAME, every component of KIND.")
    params.add_argument("kind", metavar="KIND", help="algorithm, generator, discriminator, loss, dataset, metric, "
                                                     "optimizer, schedule or callback")
    params.add_argument("name", nargs="?", metavar="NAME", help="the component's name, as `ganzoo list` shows it")
    params.add_argument("--json", action="store_true", help="print JSON instead of tables")

    sample = commands.add_parser("sample", parents=[common], help="draw images from a trained run")
    sample.add_argument("source", metavar="RUN_DIR_OR_CHECKPOINT")
    sample.add_argument("-n", type=int, default=64, help="number of images (default 64)")
    sample.add_argument("--out", required=True, metavar="FILE", help=".npz (uint8 array 'images') or .png (a grid)")
    sample.add_argument("--seed", type=int, default=0, help="noise seed (default 0)")
    sample.add_argument("--label", type=int, help="class to sample, for conditional generators")
    sample.add_argument("--code", type=int, help="categorical latent code to fix, for generators that have one "
                                                 "(InfoGAN)")
    sample.add_argument("--device", default="auto", help=DEVICE_HELP)

    translate = commands.add_parser("translate", parents=[common], help="translate pictures with a trained "
                                    "translation run (pix2pix, srgan...)")
    translate.add_argument("run_dir", metavar="RUN_DIR_OR_CHECKPOINT")
    translate.add_argument("input", metavar="INPUT", help="a picture (.png, .jpg), a folder of pictures, or an .npz "
                           "whose uint8 'images' array is N x H x W or N x H x W x 3")
    translate.add_argument("--out", required=True, metavar="OUTPUT", help="the same kind as INPUT: a picture, a new "
                           "folder (same file names, PNG) or an .npz")
    translate.add_argument("--direction", choices=("a2b", "b2a"), help="a2b (default) or b2a, for two-way models")
    translate.add_argument("--no-ema", action="store_true", help="the trained weights, not their moving average")
    translate.add_argument("--device", default="auto", help=DEVICE_HELP)

    export = commands.add_parser("export", parents=[common], help="write a trained generator as TorchScript, ONNX or safetensors",
                                 description="Write a run's generator (its EMA weights when kept): a TorchScript or "
                                             "ONNX module mapping latents z (N, latent_dim), and labels (N,) for a "
                                             "conditional generator, to images (N, C, H, W) in [-1, 1] (a translation "
                                             "run's: input images (N, C, H, W) in [-1, 1] to its outputs); or its "
                                             "weights as safetensors, with the recipe in the metadata.")
    export.add_argument("source", metavar="RUN_DIR_OR_CHECKPOINT")
    export.add_argument("--format", choices=("torchscript", "onnx", "safetensors"),
                        help="default: from --out's suffix (.pt, .onnx, .safetensors)")
    export.add_argument("--out", required=True, metavar="FILE", help="file to write")
    export.add_argument("--no-ema", action="store_true", help="the trained weights, not their moving average")
    export.add_argument("--direction", choices=("a2b", "b2a"), help="a translation run's direction: a2b (default) "
                        "or b2a, for two-way models")

    compare = commands.add_parser("compare", parents=[common], help="one table and one picture of several runs",
                                  description="A table of the runs (what differs in their recipes, final losses, "
                                              "eval scores, wall time), printed and written as compare.csv, and "
                                              "compare.png: their last sample grids side by side and their loss "
                                              "curves overlaid. A sweep folder (ganzoo run -m) stands for its runs.")
    compare.add_argument("folders", nargs="+", metavar="RUN_OR_SWEEP_DIR")
    compare.add_argument("--out", metavar="DIR", help="where compare.png and compare.csv go (default: the sweep "
                                                      "folder when one sweep is given, else the current folder)")

    plugins = commands.add_parser("plugins", parents=[common], help="show the installed plugins and what each registered",
                                  description="Each plugin (entry point of the 'ganzoo' group): distribution, version, "
                                              "status (loaded, failed with its error, or disabled by GANZOO_PLUGINS) "
                                              "and the components it registered.")
    plugins.add_argument("--json", action="store_true", help="print JSON instead of a table")

    new_plugin = commands.add_parser("new-plugin", parents=[common], help="write a new plugin package to start from",
                                     description="Write a plugin package: pyproject.toml with the entry point, one "
                                                 "example component per kind, a README and tests that pass once it is "
                                                 "installed with `pip install -e DIR`.")
    new_plugin.add_argument("name", help="plugin name, e.g. lsgan (distribution ganzoo-lsgan, module ganzoo_lsgan)")
    new_plugin.add_argument("--dir", metavar="DIR", help="folder to write (default: ./ganzoo-NAME); must not exist or be empty")
    new_plugin.add_argument("--kind", action="append", metavar="KIND",
                            help="a kind to include an example of: generator, discriminator, loss or dataset; "
                                 "repeat or comma-separate (default: all four)")

    evaluate = commands.add_parser("eval", parents=[common], help="score a run with the offline MNIST metrics",
                                   description="Score a run's newest checkpoint with the metrics in the feature space "
                                               "of ganzoo's MNIST classifier, beside the same metrics real-vs-real "
                                               "(an MNIST train sample of the same size against the test set). "
                                               "Writes RUN_DIR/eval.json.")
    evaluate.add_argument("run_dir", metavar="RUN_DIR")
    evaluate.add_argument("-n", type=int, help="generated images (default: the recipe's eval.n, 10000)")
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON instead of a table")
    evaluate.add_argument("--seed", type=int, default=0, help="noise and sample seed (default 0)")
    evaluate.add_argument("--data", metavar="ROOT", help="folder holding MNIST/raw/ (default: the run's dataset "
                                                         "root, else $GANZOO_DATA, else ./data)")
    evaluate.add_argument("--classifier", metavar="FILE", help="weights from `ganzoo train-classifier` "
                                                               "(default: the ones shipped with ganzoo)")
    evaluate.add_argument("--device", default="auto", help=DEVICE_HELP)
    evaluate.add_argument("--features", choices=("classifier", "inception"), default="classifier",
                          help="the images' features: ganzoo's MNIST classifier (default), or Inception-v3 for FID, "
                               "KID and Inception Score comparable with papers (its weights must be on disk; writes "
                               "eval-inception.json; see docs/ecosystem.md)")

    pack = commands.add_parser("pack", parents=[common], help="pack a folder of images into shards to train from",
                               description="Decode a folder of PNG/JPEG images (subfolders: classes, as the "
                                           "image-folder dataset reads them) once, into uint8 .npy shards and a "
                                           "manifest; train from them with dataset.name=packed "
                                           "dataset.params.path=OUT.")
    pack.add_argument("folder", help="the folder of images")
    pack.add_argument("--out", required=True, metavar="DIR", help="the packed dataset's folder (new, or empty)")
    pack.add_argument("--size", type=int, default=64, help="side of the square images (default 64)")
    pack.add_argument("--channels", type=int, default=3, help="3 (RGB, default) or 1 (grey)")
    pack.add_argument("--no-crop", dest="crop", action="store_false",
                      help="stretch each image to a square instead of centre-cropping it")
    pack.add_argument("--shard-images", type=int, default=10000, help="images per shard (default 10000)")
    pack.add_argument("--bad-images", default="stop", choices=("stop", "skip"),
                      help="an image that cannot be decoded: stop naming it (default), or skip it and count it")
    pack.add_argument("--workers", type=int, default=None, help="decoding threads (default: up to 4)")
    pack.add_argument("--quiet", action="store_true", help="no progress bar")

    retrain = commands.add_parser("train-classifier", parents=[common],
                                  help="train the MNIST classifier the metrics use, again",
                                  description="Train ganzoo's MNIST classifier on the MNIST train set, report its "
                                              "test accuracy and write its float16 weights and SHA-256.")
    retrain.add_argument("--data", metavar="ROOT", help="folder holding MNIST/raw/ (default $GANZOO_DATA or ./data)")
    retrain.add_argument("--epochs", type=int, default=5, help="epochs (default 5)")
    retrain.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    retrain.add_argument("--device", default="auto", help="auto (default), cpu or cuda")
    retrain.add_argument("--out", default="mnist_classifier.pt", metavar="FILE",
                         help="weights file to write (default mnist_classifier.pt)")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    # KEY=VALUE overrides may come after options (`run R --out D a.b=1`).
    if args.command == "run" and all(not item.startswith("-") for item in extra):
        args.overrides += extra
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    debug = getattr(args, "debug", False)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    if not debug:
        warnings.showwarning = _one_line_warning
    try:
        return COMMANDS[args.command](args)
    except GanzooError as error:
        if debug:
            raise
        print(f"ganzoo: error: {_rank_prefix()}{error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        if debug:
            raise
        print("ganzoo: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `ganzoo list --json | head`: the reader left; not an error of ours
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    print(f"ganzoo: warning: {_rank_prefix()}{message}", file=sys.stderr)


def _rank_prefix() -> str:
    import os

    return f"[rank {os.environ['RANK']}] " if int(os.environ.get("WORLD_SIZE", "1")) > 1 else ""


def cmd_run(args) -> int:
    import signal

    from ganzoo.training import distributed, runlock
    from ganzoo.training.progress import PlainProgress, make_progress
    from ganzoo.recipe import load_recipe
    from ganzoo.training.trainer import TrainingInterrupted, resume_run, start_run

    _check_run_arguments(args)

    registry = _registry(args)
    if args.multirun:
        return _sweep(args, registry)
    world = distributed.world_from_env()
    if args.nproc is not None and not world.distributed:
        return _launch(args, registry)
    distributed.stop_with_the_torchrun_agent()  # a worker whose agent is killed stops, as on SIGTERM
    progress = make_progress(quiet=args.quiet) if world.is_main else PlainProgress()
    if args.resume:
        trainer = resume_run(args.resume, registry, progress, args.overrides)
    else:
        recipe = load_recipe(args.recipe, args.overrides, registry)
        trainer = start_run(recipe, registry, args.out, progress)

    def request_stop(signum, frame):
        if trainer.stop_requested:  # a second Ctrl-C stops at once
            raise KeyboardInterrupt
        trainer.stop_requested = True

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        run_dir = trainer.fit()
    except TrainingInterrupted as stop:
        distributed.shutdown()
        if world.is_main:
            print(f"ganzoo: stopped at step {stop.step}; a checkpoint is saved. Resume with:\n"
                  f"  ganzoo run --resume {stop.run_dir}", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        runlock.release(trainer.run_dir)
    # Only after success: a rank that failed leaves without waiting for the others (torchrun stops them).
    distributed.shutdown()
    if world.is_main:
        print(run_dir)
    return 0


def _check_run_arguments(args) -> None:
    """What `ganzoo run` was given makes sense together; a mistake is one line."""
    from pathlib import Path

    from ganzoo.training.run_folder import RECIPE_FILE

    if args.resume:
        if args.out:
            raise GanzooError(f"--out does not go with --resume: a resumed run stays in its folder ({args.resume})")
        # `run --resume DIR a.b=1`: the first override lands in the recipe slot
        args.overrides = ([args.recipe] if args.recipe else []) + args.overrides
        args.recipe = None
        if any("=" not in item for item in args.overrides):
            raise GanzooError("--resume takes the run directory alone (plus KEY=VALUE overrides), not a recipe file")
    elif not args.recipe:
        raise GanzooError("give a recipe (e.g. ganzoo run vanilla_mnist, or a .yaml file) or --resume RUN_DIR")
    elif Path(args.recipe).is_dir():
        if (Path(args.recipe) / RECIPE_FILE).is_file():
            raise GanzooError(f"'{args.recipe}' is a run folder; resume it with: ganzoo run --resume {args.recipe}")
        raise GanzooError(f"'{args.recipe}' is a folder, not a recipe file; give a .yaml recipe or a built-in recipe's name (ganzoo list --kind recipe)")
    if args.multirun and (args.resume or args.nproc is not None):
        raise GanzooError(f"-m (a sweep) does not go with {'--resume' if args.resume else '--nproc'}; "
                          "resume a sweep's run alone with ganzoo run --resume SWEEP_DIR/run-NNN")
    if args.jobs is not None and not args.multirun:
        raise GanzooError("--jobs runs a sweep's runs in parallel: add -m (e.g. ganzoo run RECIPE -m seed=0,1 --jobs 2)")
    if args.nproc is not None and not 1 <= args.nproc <= _max_processes():
        raise GanzooError(f"--nproc must be between 1 and {_max_processes()} on this machine, got {args.nproc}")


def _max_processes() -> int:
    """At most four training processes per CPU core, or one per GPU where there are more GPUs."""
    import os

    import torch

    return max(4 * (os.cpu_count() or 1), torch.cuda.device_count())


def _launch(args, registry) -> int:
    """``ganzoo run --nproc N``: check the recipe here, then start N processes that share one run directory."""
    from pathlib import Path

    from ganzoo.training import distributed
    from ganzoo.recipe import load_recipe
    from ganzoo.training.run_folder import RECIPE_FILE
    from ganzoo.training.trainer import new_run_dir

    forwarded = list(args.overrides)
    if args.resume:
        recipe_path = Path(args.resume) / RECIPE_FILE
        if not recipe_path.is_file():
            raise GanzooError(f"{args.resume} is not a ganzoo run directory (no {RECIPE_FILE}); "
                              "give the folder `ganzoo run` printed")
        recipe = load_recipe(recipe_path, args.overrides, registry)
        run_dir = args.resume
        forwarded += ["--resume", args.resume]
    else:
        recipe = load_recipe(args.recipe, args.overrides, registry)
        run_dir = args.out or str(new_run_dir(recipe))
        forwarded = [args.recipe, *forwarded, "--out", run_dir]
    if recipe.config.train.batch_size % args.nproc:
        raise GanzooError(f"train.batch_size={recipe.config.train.batch_size} is the global batch: it must "
                          f"divide evenly among --nproc {args.nproc} processes")
    forwarded += ["--quiet"] * args.quiet + ["--debug"] * bool(getattr(args, "debug", False))
    forwarded += ["--strict"] * bool(getattr(args, "strict", False))
    return distributed.launch(args.nproc, forwarded, run_dir)


def _sweep(args, registry) -> int:
    """``ganzoo run RECIPE -m KEY=A,B ...``: every combination, each a `ganzoo run` of its own."""
    from pathlib import Path

    from ganzoo.recipe import load_recipe
    from ganzoo.sweep.runner import default_sweep_dir, plan_sweep, prepare_folder, run_sweep

    sweep = plan_sweep(args.recipe, args.overrides, args.jobs,
                       check=lambda overrides: load_recipe(args.recipe, overrides, registry))
    folder = Path(args.out) if args.out else default_sweep_dir(load_recipe(args.recipe, (), registry).name)
    prepare_folder(folder)
    flags = ["--debug"] * bool(getattr(args, "debug", False)) + ["--strict"] * bool(getattr(args, "strict", False))
    return run_sweep(sweep, folder, flags)


def cmd_list(args) -> int:
    import json

    from ganzoo.plugins.listing import RECIPE, listing, print_listing
    from ganzoo.plugins.registry import KINDS

    if args.kind is not None and args.kind not in (*KINDS, RECIPE):
        raise GanzooError(f"unknown kind '{args.kind}'; kinds are: {', '.join((*KINDS, RECIPE))}")
    data = listing(_registry(args), args.kind)
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print_listing(data)
    return 0


def cmd_params(args) -> int:
    import json

    from ganzoo.plugins.params_doc import as_json, check_kind, find_component, print_params

    check_kind(args.kind)
    registry = _registry(args)
    if args.name is None:
        components = registry.of_kind(args.kind)
    else:
        components = [find_component(registry, args.kind, args.name)]
    if args.json:
        found = [as_json(component) for component in components]
        print(json.dumps(found[0] if args.name is not None else found, indent=2))
    else:
        print_params(components)
    return 0


def cmd_sample(args) -> int:
    from ganzoo.output.sampling import (FORMATS, check_code, check_label, check_memory, dataset_plot, is_image, load_generator,
                                        sample_images, sample_raw, write_points, write_samples)

    if args.n < 1:
        raise GanzooError(f"-n must be at least 1, got {args.n}")
    if not args.out.endswith(FORMATS):
        raise GanzooError(f"--out must end in {' or '.join(FORMATS)}, got '{args.out}'")
    _check_options(args, "--device", "--seed")
    registry = _registry(args)
    generator, spec = load_generator(args.source, registry, args.device)
    check_memory(args.n, spec, args.out)
    check_label(generator, spec, args.label)
    check_code(generator, args.code)
    chosen = dict(seed=args.seed, label=args.label, code=args.code)
    if is_image(spec):
        write_samples(sample_images(generator, spec, args.n, **chosen), args.out)
    else:  # e.g. 2-D points: raw floats, or the dataset's own plot
        plot = dataset_plot(args.source, registry) if args.out.endswith(".png") else None
        write_points(sample_raw(generator, spec, args.n, **chosen), args.out, plot)
    print(args.out)
    return 0


def cmd_translate(args) -> int:
    from ganzoo.output.translate_files import translate_files

    _check_options(args, "--device")
    out = translate_files(args.run_dir, args.input, args.out, _registry(args), args.direction, args.device,
                          ema=not args.no_ema)
    print(out)
    return 0


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


def cmd_compare(args) -> int:
    from pathlib import Path

    from ganzoo.compare.output import write_comparison
    from ganzoo.compare.runs import collect_runs
    from ganzoo.compare.table import build_table, print_table
    from ganzoo.sweep.manifest import is_sweep

    runs = collect_runs(args.folders)
    if args.out:
        out = Path(args.out)
    else:
        out = Path(args.folders[0]) if len(args.folders) == 1 and is_sweep(Path(args.folders[0])) else Path(".")
    table = build_table(runs)
    print_table(table, title=f"{len(runs)} runs")
    print(write_comparison(runs, table, out))
    return 0


def cmd_plugins(args) -> int:
    from ganzoo.plugins.report import plugin_report, print_plugin_report

    report = plugin_report(_registry(args))
    if args.json:
        import json

        print(json.dumps(report, indent=2))
    else:
        print_plugin_report(report)
    return 0


def cmd_new_plugin(args) -> int:
    from ganzoo.plugins.scaffold import write_plugin

    kinds = [kind.strip() for item in (args.kind or []) for kind in item.split(",") if kind.strip()]
    folder = write_plugin(args.name, args.dir, kinds or None)
    print(folder)
    return 0


def _registry(args):
    """The plugin registry, strict when --strict was given (else as GANZOO_STRICT_PLUGINS says)."""
    from ganzoo.plugins.registry import load_registry

    return load_registry(strict=True if getattr(args, "strict", False) else None)


def _check_options(args, *options: str) -> None:
    from ganzoo.recipe import check_option

    for option in options:
        check_option(option, getattr(args, option.lstrip("-")))


def cmd_eval(args) -> int:
    from ganzoo.eval.evaluation import evaluate_run, print_report

    _check_options(args, "--device", "--seed")
    report = evaluate_run(args.run_dir, n=args.n, seed=args.seed, data_root=args.data,
                          classifier=args.classifier, device=args.device, features=args.features)
    print_report(report, as_json=args.json)
    return 0


def cmd_pack(args) -> int:
    from ganzoo.storage.packing import pack_with_progress

    pack_with_progress(args.folder, args.out, quiet=args.quiet, size=args.size, channels=args.channels,
                       crop=args.crop, shard_images=args.shard_images, bad_images=args.bad_images,
                       workers=args.workers)
    print(args.out)
    return 0


def cmd_train_classifier(args) -> int:
    from ganzoo.eval.classifier import retrain

    if args.epochs < 1:
        raise GanzooError(f"--epochs must be at least 1, got {args.epochs}")
    _check_options(args, "--device", "--seed")
    retrain(args.data, args.out, epochs=args.epochs, seed=args.seed, device=args.device)
    return 0


COMMANDS = {"run": cmd_run, "list": cmd_list, "params": cmd_params, "sample": cmd_sample, "eval": cmd_eval,
            "train-classifier": cmd_train_classifier, "plugins": cmd_plugins, "export": cmd_export, "compare": cmd_compare,
            "translate": cmd_translate, "new-plugin": cmd_new_plugin, "pack": cmd_pack}
