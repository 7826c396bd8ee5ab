"""What the built-in commands share: the plugin registry as the options ask for it, option checks, exit codes."""

from __future__ import annotations

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
DEVICE_HELP = "auto (default: CUDA when present, as in training), cpu or cuda"


def _registry(args):
    """The plugin registry, strict when --strict was given (else as GANZOO_STRICT_PLUGINS says)."""
    from ganzoo.pluginhost.registry import load_registry

    return load_registry(strict=True if getattr(args, "strict", False) else None)


def _check_options(args, *options: str) -> None:
    from ganzoo.recipe import check_option

    for option in options:
        check_option(option, getattr(args, option.lstrip("-")))
