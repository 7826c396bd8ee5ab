"""The one exception type users see as a one-line message (exit code 2)."""


class GanzooError(Exception):
    """A problem the user can mend: bad recipe, missing data, unusable file.

    The CLI prints ``str(error)`` on one line and exits with code 2; ``--debug``
    shows the traceback instead. Plugins may raise it too, for the same effect.
    Line breaks and other control characters (which may come from user input the
    message quotes) are escaped, so the message stays one line.
    """

    def __init__(self, message: object = "", *args: object):
        super().__init__(_one_line(str(message)), *args)


def _one_line(text: str) -> str:
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text.strip())
