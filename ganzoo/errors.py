"""The one exception type users see as a one-line message (exit code 2)."""


class GanzooError(Exception):
    """A problem the user can mend: bad recipe, missing data, unusable file.

    The CLI prints ``str(error)`` on one line and exits with code 2; ``--debug``
    shows the traceback instead. Plugins may raise it too, for the same effect.
    """
