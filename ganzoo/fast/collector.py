"""Python's cycle collector run less often during a command's start-up: fewer passes over the objects
that importing torch and the plugins creates.

Python collects reference cycles after every 700 net new container objects (generation 0), every
10th such pass also the objects that survived one (generation 1), and every 10th of those every
object (generation 2, when enough new ones survived). A command's start-up creates some 200,000
long-lived objects (torch's modules, functions and operator tables) and frees almost none of them,
so the collector walks the growing heap over and over and finds nothing: 441, 40 and 3 passes of
the three generations, 0.22 s before the founding recipe's first step. Training itself allocates
and frees in balance and hardly triggers it.

``collect_less_often`` raises the first two thresholds (a young pass every 10,000 net new objects, a
middle one every 50 young ones): 33 young passes and no others over the same run, 0.05 s. Cycles
are still collected, later; memory held by cyclic garbage waits at most for the next pass. The
``ganzoo`` executable sets it for its own process (``ganzoo.cli.console``); Python code that imports
ganzoo keeps the thresholds it has. Thresholds other than Python's defaults (a user's own
``gc.set_threshold`` in ``sitecustomize``, say) are left alone, and so is a disabled collector.
"""

from __future__ import annotations

import gc

#: young passes every YOUNG net new container objects, a middle pass every MIDDLE young ones
YOUNG, MIDDLE = 10_000, 50
#: Python's own thresholds up to 3.12; a Python whose defaults differ (its collector changed since)
#: keeps them
PYTHON_DEFAULTS = {(700, 10, 10)}


def collect_less_often() -> bool:
    """Raise the cycle collector's thresholds (see the module's doc); whether it did: not when the
    collector is off or its thresholds are not the defaults this module knows (someone chose them, or
    this Python's collector works otherwise)."""
    thresholds = gc.get_threshold()
    if not gc.isenabled() or thresholds not in PYTHON_DEFAULTS:
        return False
    gc.set_threshold(YOUNG, MIDDLE, thresholds[2])
    return True
