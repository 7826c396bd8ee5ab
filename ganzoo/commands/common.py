"""What the built-in commands share: the plugin registry as the options ask for it, option checks, exit codes."""

from __future__ import annotations

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
DEVICE_HELP = "auto (default: CUDA when present, as in training), cpu or cuda"
THREADS_HELP = ("CPU threads for torch's kernels (default: the cores other jobs leave free, as train.threads: null "
                "does; torch's own default of every core thrashes when another job holds one)")


def _registry(args):
    """The plugin registry, strict when --strict was given (else as GANZOO_STRICT_PLUGINS says)."""
    from ganzoo.pluginhost.registry import load_registry

    return load_registry(strict=True if getattr(args, "strict", False) else None)


def _check_options(args, *options: str) -> None:
    from ganzoo.recipe import check_option

    for option in options:
        check_option(option, getattr(args, option.lstrip("-")))


def _use_threads(args) -> int:
    """Checks --threads and sets torch's CPU threads to it, or to the free cores when it was left out (as a
    run's ``train.threads: null`` does); returns the number."""
    import torch

    from ganzoo.recipe import check_option
    from ganzoo.training.threads import choose_threads

    requested = getattr(args, "threads", None)
    check_option("--threads", requested)
    threads = choose_threads(requested)
    torch.set_num_threads(threads)
    return threads
