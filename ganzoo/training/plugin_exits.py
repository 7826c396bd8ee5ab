"""A plugin that exits (``SystemExit``, any code, 0 included) or raises ``KeyboardInterrupt`` while a run
trains has failed, like a plugin that raises anything else: one line naming the component and its
plugin, exit code 2 (never the plugin's own code: a sweep must not record the run as finished), and a
checkpoint of the last completed step, so the run resumes once the plugin is mended.

A real Ctrl-C (or SIGTERM) still stops the run as before: ``SignalWatch`` notes every SIGINT/SIGTERM that
reaches the process while it trains, and a ``KeyboardInterrupt`` after one is the user's, not a plugin's.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from pathlib import Path

from ganzoo.errors import GanzooError
from ganzoo.training import checkpoint
from ganzoo.training.run_folder import METRICS_FILE, logged_step

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class SignalWatch:
    """While entered (in the main thread), each SIGINT/SIGTERM is noted in ``seen``, then handled by the
    handler that was there before (a handler that is not a Python function is left alone: SIG_DFL ends
    the process at once, SIG_IGN drops the signal; neither raises ``KeyboardInterrupt``)."""

    def __init__(self):
        self.seen: list[int] = []
        self._previous: dict[int, object] = {}

    def __enter__(self) -> "SignalWatch":
        if threading.current_thread() is threading.main_thread():
            for sig in SIGNALS:
                previous = signal.getsignal(sig)
                if callable(previous):
                    self._previous[sig] = previous
                    signal.signal(sig, self._note)
        return self

    def _note(self, signum, frame) -> None:
        self.seen.append(signum)
        self._previous[signum](signum, frame)

    def __exit__(self, *exc) -> None:
        for sig, previous in self._previous.items():
            if signal.getsignal(sig) == self._note:  # unless someone replaced it meanwhile
                signal.signal(sig, previous)
        self._previous.clear()


def raised_by_a_plugin(error: BaseException, watch: SignalWatch) -> bool:
    """Whether ``error`` (a SystemExit or KeyboardInterrupt out of training) is a plugin's doing."""
    return isinstance(error, SystemExit) or not watch.seen


def plugin_exit(trainer, error: BaseException) -> GanzooError:
    """The one-line failure of a plugin's exit, after saving a checkpoint of the last completed step."""
    if isinstance(error, SystemExit):
        words = f"exit code {error.code!r}, raised inside the plugin"
    else:
        words = "raised inside the plugin, not by Ctrl-C"
    stand_in = type(type(error).__name__, (Exception,), {})(words).with_traceback(error.__traceback__)
    explained = str(trainer.components.explain(stand_in, trainer.components.describe(trainer.algorithm),
                                               trainer._when()))
    explained = explained.removesuffix("; fix the plugin, or run with --debug for the traceback")
    saved, resume = _saved(trainer)
    return GanzooError(f"{explained} (a plugin must not end the run); {saved}; fix the plugin, then resume with: "
                       f"{resume} (--debug shows the traceback)")


def _saved(trainer) -> tuple[str, str]:
    """Save the run at its last completed step when it is at one; say where the user can resume from."""
    run_dir = Path(trainer.run_dir)
    resume = f"ganzoo run --resume {run_dir}"
    mid_step = isinstance(trainer.doing, int) and trainer.doing == trainer.steps_done + 1  # the models half updated
    if not mid_step and not trainer.world.distributed and trainer.world.is_main:
        _close_a_logged_window(trainer)
        try:
            trainer.save_checkpoint()
            return f"a checkpoint of step {trainer.steps_done} is saved", resume
        except GanzooError:
            pass
    kept = checkpoint.list_checkpoints(run_dir)
    if not kept:
        return "it stopped before its first checkpoint (a resume starts again from step 0)", resume
    return f"the last checkpoint, {kept[-1].name}, is intact", resume


def _close_a_logged_window(trainer) -> None:
    """A plugin that exits while the step's metrics line is being logged leaves the window of that line open:
    close it as the log would have, so the resumed run does not count those steps twice."""
    from ganzoo.training.log_window import Window

    window = trainer.window
    if window.start_step == trainer.steps_done:
        return
    with contextlib.suppress(OSError):
        lines = (Path(trainer.run_dir) / METRICS_FILE).read_text(encoding="utf-8").splitlines()
        if lines and logged_step(lines[-1]) == trainer.steps_done:
            trainer.window = Window(trainer.algorithm.scalars, trainer.device, trainer.steps_done)
