"""The ``ganzoo`` command line. Heavy modules (torch, plugins) load only when a command needs them."""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import Optional, Sequence

from ganzoo import __version__
from ganzoo.errors import GanzooError
from ganzoo.commands import (compare, eval as evaluate, export, list as listing, new_plugin, pack, params, plugins,
                             run, sample, train_classifier, translate)
from ganzoo.commands.common import EXIT_INTERRUPTED, EXIT_USAGE

#: name -> module, in the order `ganzoo --help` lists them
BUILTIN_COMMANDS = {"run": run, "list": listing, "params": params, "sample": sample, "translate": translate,
                    "export": export, "compare": compare, "plugins": plugins, "new-plugin": new_plugin,
                    "eval": evaluate, "pack": pack, "train-classifier": train_classifier}


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
    for name, module in BUILTIN_COMMANDS.items():
        module.add_arguments(commands.add_parser(name, parents=[common], help=module.HELP,
                                                 description=getattr(module, "DESCRIPTION", None)))
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


COMMANDS = {"run": run.cmd_run, "list": listing.cmd_list, "params": params.cmd_params, "sample": sample.cmd_sample,
            "eval": evaluate.cmd_eval, "train-classifier": train_classifier.cmd_train_classifier,
            "plugins": plugins.cmd_plugins, "export": export.cmd_export, "compare": compare.cmd_compare,
            "translate": translate.cmd_translate, "new-plugin": new_plugin.cmd_new_plugin, "pack": pack.cmd_pack}
