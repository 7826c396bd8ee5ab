"""Naming the component behind a failure: whatever a plugin raises, the user reads one line
that says which component (and which plugin) failed, and ``--debug`` shows the traceback.
(The exception types themselves, ``GanzooError`` and ``ContractViolation``, are in ``ganzoo.errors``.)
"""

from __future__ import annotations

import traceback
from typing import Any, Dict, Iterable, Optional, Tuple

from ganzoo.errors import ContractViolation, GanzooError, first_line


class Components:
    """The run's components by object identity, with the words that name each one."""

    def __init__(self) -> None:
        self._named: Dict[int, Tuple[Any, str]] = {}

    def add(self, obj: Any, description: str) -> None:
        self._named[id(obj)] = (obj, description)  # holds obj: its id stays unique
        if hasattr(obj, "modules") and callable(obj.modules):  # the submodules of a model are that model
            for module in obj.modules():
                self._named.setdefault(id(module), (module, description))

    def describe(self, obj: Any) -> Optional[str]:
        found = self._named.get(id(obj))
        return found[1] if found is not None else None

    def explain(self, error: BaseException, fallback: str, when: str) -> GanzooError:
        """One line for ``error``: the component it came from (the innermost frame that runs a
        method of one, else ``fallback``), what it raised, and ``when``."""
        if isinstance(error, ContractViolation):  # its component, else the innermost one it came from
            who = (self.describe(error.component) if error.component is not None else None) or next(
                (name for name in map(self.describe, _selves(error)) if name), fallback)
            return GanzooError(f"{who}: {error} ({when}); {error.remedy or 'fix the plugin'}")
        who = self.culprit(error, fallback)
        text = first_line(error, 300)
        raised = f"{type(error).__name__}: {text}" if text else type(error).__name__
        return GanzooError(f"{who} failed {when}: {raised}; fix the plugin, or run with --debug for the traceback")


    def culprit(self, error: BaseException, fallback: str) -> str:
        """The component whose method raised ``error`` (the innermost frame that runs one), else ``fallback``."""
        return next((name for name in map(self.describe, _selves(error)) if name), fallback)


def raised_by_host(error: BaseException) -> bool:
    """Whether ``error`` was raised in torch's or ganzoo's own code, not in a plugin's."""
    frames = [frame for frame, _ in traceback.walk_tb(error.__traceback__)]
    module = str(frames[-1].f_globals.get("__name__", "")) if frames else ""
    return module.split(".")[0] in ("torch", "ganzoo", "safetensors")


def _selves(error: BaseException) -> Iterable[Any]:
    """``self`` of each frame of the error's traceback, innermost first."""
    frames = [frame for frame, _ in traceback.walk_tb(error.__traceback__)]
    for frame in reversed(frames):
        if "self" in frame.f_locals:
            yield frame.f_locals["self"]
