"""`ganzoo run`: train from a recipe, resume a run, a sweep (-m) or N processes (--nproc)."""

from __future__ import annotations

import sys

from ganzoo.commands.common import EXIT_INTERRUPTED, _registry
from ganzoo.errors import GanzooError

HELP = "train a GAN from a YAML recipe"
DESCRIPTION = ("Train a GAN from a YAML recipe. KEY=VALUE overrides are merged last, "
               "e.g. train.epochs=1 generator.params.hidden=[256,256].")


def add_arguments(run) -> None:
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


def cmd_run(args) -> int:
    import signal
    from pathlib import Path

    from ganzoo.sweep.manifest import is_sweep
    from ganzoo.training import distributed, runlock
    from ganzoo.training.progress import PlainProgress, make_progress
    from ganzoo.recipe import load_recipe
    from ganzoo.training.trainer import TrainingInterrupted, resume_run, start_run

    _check_run_arguments(args)

    registry = _registry(args)
    if args.multirun or (args.resume and is_sweep(Path(args.resume))):  # --resume SWEEP_DIR: finish it
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
            print(f"ganzoo: stopped at step {stop.steps_done}; a checkpoint is saved. Resume with:\n"
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
    from ganzoo.sweep.runner import default_sweep_dir, plan_sweep, prepare_folder, resume_sweep, run_sweep

    flags = ["--debug"] * bool(getattr(args, "debug", False)) + ["--strict"] * bool(getattr(args, "strict", False))
    if args.resume:  # `ganzoo run --resume SWEEP_DIR`: the runs that did not finish
        if args.overrides:
            raise GanzooError(f"a sweep goes on with its own overrides: give none, or resume one of its runs alone "
                              f"with ganzoo run --resume {Path(args.resume) / 'run-NNN'} KEY=VALUE")
        return resume_sweep(Path(args.resume), flags)
    sweep = plan_sweep(args.recipe, args.overrides, args.jobs,
                       check=lambda overrides: load_recipe(args.recipe, overrides, registry))
    folder = Path(args.out) if args.out else default_sweep_dir(load_recipe(args.recipe, (), registry).name)
    sweep = prepare_folder(folder, sweep)  # the same sweep there already: it goes on
    return run_sweep(sweep, folder, flags)
