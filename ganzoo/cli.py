"""The ``ganzoo`` command line: the commands come from plugins (the built-in ones from the built-in
plugin ``commands``, ``ganzoo/commands/``), each with a subparser of its own. Heavy modules (torch,
the other plugins) load only when a command needs them."""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import Optional, Sequence

from ganzoo import __version__
from ganzoo.commands.common import EXIT_INTERRUPTED, EXIT_USAGE
from ganzoo.errors import GanzooError


def _parser(commands=None) -> argparse.ArgumentParser:
    """The parser of ``ganzoo``, one subparser per command (default: the built-in ones)."""
    from ganzoo.pluginhost.registry import builtin_commands

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the full traceback of an error")
    common.add_argument("--strict", action="store_true", default=argparse.SUPPRESS,
                        help="fail when any plugin fails to load (same as GANZOO_STRICT_PLUGINS=1)")

    parser = argparse.ArgumentParser(prog="ganzoo", parents=[common],
                                     description="A plugin-based GAN zoo for PyTorch.")
    parser.add_argument("--version", action="version", version=f"ganzoo {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in (builtin_commands() if commands is None else commands).values():
        subparser = subparsers.add_parser(command.name, parents=[common], help=command.help,
                                          description=command.description)
        if command.add_arguments is not None:
            command.add_arguments(subparser)
    return parser


def _commands(argv: Sequence[str]):
    """The commands to parse ``argv`` with: the built-in ones when it names one (or asks only for the
    version); else every plugin's, which means loading them all (`ganzoo --help`, a plugin's command)."""
    from ganzoo.pluginhost.registry import builtin_commands, load_registry

    builtin = builtin_commands()
    word = next((item for item in argv if not item.startswith("-")), None)
    if word in builtin or (word is None and "--version" in argv):
        return builtin
    return load_registry(strict=True if "--strict" in argv else None).commands


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    if not debug:
        warnings.showwarning = _one_line_warning
    try:
        commands = _commands(argv)
        parser = _parser(commands)
        args, extra = parser.parse_known_args(argv)
        # KEY=VALUE overrides may come after options (`run R --out D a.b=1`).
        if args.command == "run" and all(not item.startswith("-") for item in extra):
            args.overrides += extra
        elif extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        if args.command is None:
            parser.print_help()
            return EXIT_USAGE
        return _run(commands[args.command], args)
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


def console() -> None:
    """The ``ganzoo`` executable: ``main`` on ``sys.argv``, then exit without the interpreter's last
    garbage collection over every object torch created (~0.5 s after importing it, on every command).
    ``gc.freeze`` leaves those objects out of it; they are freed all the same when the process ends,
    and atexit handlers (loggers' flushes, ``weakref.finalize``) still run first. Before the command, the
    cores other jobs keep busy are watched from this moment (``ganzoo.training.threads``: the thread choice
    reads the whole start-up), glibc's malloc is told to reuse the large buffers torch frees instead of
    mapping fresh pages for each (``ganzoo.fast.memory``), and the cycle collector passes over the objects
    importing torch creates less often (``ganzoo.fast.collector``). ``main`` itself, which Python code and
    the tests call, does none of this."""
    import gc

    from ganzoo.fast.collector import collect_less_often
    from ganzoo.fast.memory import reuse_freed_memory
    from ganzoo.training.threads import watch_from_now

    watch_from_now()
    reuse_freed_memory()
    collect_less_often()
    code = main()
    gc.freeze()
    sys.exit(code)


def _run(command, args) -> int:
    """Run a command; whatever a plugin's command raises besides a GanzooError is one line naming it."""
    if command.plugin.builtin:
        return command.run(args)
    try:
        code = command.run(args)
    except (GanzooError, KeyboardInterrupt, BrokenPipeError):
        raise
    except Exception as error:
        from ganzoo.blame import Components

        who = f"command '{command.name}' of plugin '{command.plugin.name}' ({command.plugin})"
        raise Components().explain(error, who, "while running") from error
    return 0 if code is None else code


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    print(f"ganzoo: warning: {_rank_prefix()}{message}", file=sys.stderr)


def _rank_prefix() -> str:
    import os

    return f"[rank {os.environ['RANK']}] " if int(os.environ.get("WORLD_SIZE", "1")) > 1 else ""
