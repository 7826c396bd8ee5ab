"""The exception types users see as a one-line message (exit code 2): ``GanzooError``, and
``ContractViolation`` for a component that broke its contract; and the one way to quote an exception in
such a message (``first_line``). Which component failed is named by ``ganzoo.blame``."""

from typing import Any, Optional


class GanzooError(Exception):
    """A problem the user can mend: bad recipe, missing data, unusable file.

    The CLI prints ``str(error)`` on one line and exits with code 2; ``--debug``
    shows the traceback instead. Plugins may raise it too, for the same effect.
    Line breaks and other control characters (which may come from user input the
    message quotes) are escaped, so the message stays one line.
    """

    def __init__(self, message: object = "", *args: object):
        super().__init__(_one_line(str(message)), *args)


class ContractViolation(GanzooError):
    """A component returned something the contract does not allow (a tuple for a tensor, logits of
    the wrong shape...). ``component`` is the object that did, so the message can name it;
    ``remedy`` is what the user should do, when that is not to fix the plugin (a recipe setting)."""

    def __init__(self, message: str, component: Any = None, remedy: Optional[str] = None):
        super().__init__(message)
        self.component = component
        self.remedy = remedy


def first_line(error: object, limit: "int | None" = None) -> str:
    """The first line of ``error``'s message (or of any text) that is not blank, stripped, cut to ``limit``
    characters: what a one-line message quotes of an exception (or of a docstring). "" when it has none."""
    for line in str(error).splitlines():
        if line.strip():
            return line.strip()[:limit]
    return ""


def _one_line(text: str) -> str:
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text.strip())
