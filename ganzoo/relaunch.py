"""The command line that starts ganzoo again in a child process (`--nproc` ranks, sweep runs).

``python -m ganzoo`` puts the working folder first on the child's ``sys.path``, so a folder named
``ganzoo/`` there (a clone, seen from the folder that holds it) would be imported in place of the
installed ganzoo, as a namespace package with nothing in it. The child runs ganzoo's ``__main__``
as ``-m`` would, without the working folder on its path.
"""

from __future__ import annotations

import sys

BOOTSTRAP = (
    "import runpy, sys\n"
    "if sys.path and sys.path[0] == '':  # the working folder, which -c puts first\n"
    "    del sys.path[0]\n"
    "runpy.run_module('ganzoo', run_name='__main__', alter_sys=True)\n"
)


def ganzoo_command(*args: str) -> list[str]:
    """``ganzoo ARGS`` in this Python, immune to a ``ganzoo/`` folder in the working folder."""
    return [sys.executable, "-c", BOOTSTRAP, *args]
