"""The built-in commands of ``ganzoo``, one module each, and the built-in plugin ``commands`` that
registers them through the ``register_commands`` hook, the way a third party adds a command
(its entry point is in pyproject.toml, beside the other built-in plugins).

Each module holds a command's ``HELP`` (its line in ``ganzoo --help``), ``DESCRIPTION`` (when it
has one), ``add_arguments(parser)`` and ``cmd_*(args)``. The modules import only what parsing needs;
a command imports torch and the rest when it runs, so ``ganzoo run --help`` starts quickly.
"""

from ganzoo.commands import (compare, eval as evaluate, export, list as listing, new_plugin, pack, params, plugins,
                             run, sample, train_classifier, translate)
from ganzoo.hookspecs import hookimpl

#: command name -> (module, function), in the order `ganzoo --help` lists them
BUILTIN_COMMANDS = {"run": (run, run.cmd_run), "list": (listing, listing.cmd_list),
                    "params": (params, params.cmd_params), "sample": (sample, sample.cmd_sample),
                    "translate": (translate, translate.cmd_translate), "export": (export, export.cmd_export),
                    "compare": (compare, compare.cmd_compare), "plugins": (plugins, plugins.cmd_plugins),
                    "new-plugin": (new_plugin, new_plugin.cmd_new_plugin), "eval": (evaluate, evaluate.cmd_eval),
                    "pack": (pack, pack.cmd_pack), "train-classifier": (train_classifier,
                                                                       train_classifier.cmd_train_classifier)}


@hookimpl
def register_commands(register):
    for name, (module, function) in BUILTIN_COMMANDS.items():
        register(name, function, module.add_arguments, help=module.HELP, description=getattr(module, "DESCRIPTION", None))
