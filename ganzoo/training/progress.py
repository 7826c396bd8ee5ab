"""Training progress: a live rich bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
from typing import Any, Optional


#: what a record holds besides the algorithm's scalars
NOT_SCALARS = ("step", "epoch", "images_per_sec", "lr", "skipped", "eval")
#: how the gan algorithm's D outputs are shown
LABELS = {"d_real": "D(x)", "d_fake": "D(G(z))"}


def format_record(record: dict[str, Any]) -> str:
    """The algorithm's scalars of a logged record and the speed, on one line."""
    parts = [f"{LABELS.get(name, name)} {_number(value, name)}" for name, value in record.items()
             if name not in NOT_SCALARS]
    return "  ".join(parts + [f"{record['images_per_sec']:.0f} img/s"])


def _number(value: Any, name: str) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if name in LABELS else f"{value:.4f}"


def format_short(record: dict[str, Any]) -> str:
    """The losses and D's outputs in few columns, for the live line beside the bar."""
    g_loss = f"{record['g_loss']:.3f}" if record.get("g_loss") is not None else "-"
    return f"d {record['d_loss']:.3f} g {g_loss} D(x) {record['d_real']:.2f} D(G(z)) {record['d_fake']:.2f}"


def format_epoch_summary(epoch: int, epochs: int, record: dict[str, Any]) -> str:
    """The line an epoch leaves in the scrollback: within 80 columns for runs of up to 999 epochs."""
    g_loss = f"{record['g_loss']:.3f}" if record.get("g_loss") is not None else "-"
    return (f"epoch {epoch}/{epochs}  d_loss {record['d_loss']:.3f}  g_loss {g_loss}  D(x) {record['d_real']:.2f}  "
            f"D(G(z)) {record['d_fake']:.2f}  {record['images_per_sec']:.0f} img/s")


class PlainProgress:
    """One line per logged step; for logs, pipes and ``--quiet``."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.epochs = 0
        self.total_steps = 0

    def start(self, epochs: int, total_steps: int, done_steps: int) -> None:
        self.epochs, self.total_steps = epochs, total_steps

    def advance(self, steps: int = 1) -> None:
        pass

    def log(self, record: dict[str, Any]) -> None:
        line = f"epoch {record['epoch']}/{self.epochs}  step {record['step']}/{self.total_steps}  " + format_record(record)
        print(line, file=self.stream, flush=True)

    def end_epoch(self, epoch: int) -> None:
        pass  # every logged line is already in the stream

    def message(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def close(self) -> None:
        pass


class RichProgress:
    """A live line (epoch, bar, steps, time left, losses) that fits the terminal's width, and one
    summary line per finished epoch above it, left in the scrollback.

    The losses take the width the rest leaves and are cut short first, so the bar, the step
    count and the time left stay in view even at 80 columns.
    """

    def __init__(self, console=None):
        from rich.console import Console

        self.console = console or Console(stderr=True)
        self._progress = None
        self._task: Optional[int] = None
        self.epochs = 0
        self.last: Optional[dict[str, Any]] = None

    def start(self, epochs: int, total_steps: int, done_steps: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
        from rich.table import Column

        self.epochs = epochs
        self._progress = Progress(
            TextColumn("[bold]epoch {task.fields[epoch]}/" + str(epochs), table_column=Column(no_wrap=True)),
            BarColumn(bar_width=12),
            MofNCompleteColumn(table_column=Column(no_wrap=True)),
            TimeRemainingColumn(),
            TextColumn("{task.fields[stats]}", table_column=Column(no_wrap=True, overflow="ellipsis", ratio=1)),
            console=self.console,
            transient=False,
            expand=True,
        )
        self._progress.start()
        self._task = self._progress.add_task("train", total=total_steps, completed=done_steps,
                                             epoch=done_steps * epochs // max(total_steps, 1) + 1, stats="")

    def advance(self, steps: int = 1) -> None:
        self._progress.advance(self._task, steps)

    def log(self, record: dict[str, Any]) -> None:
        self.last = record
        self._progress.update(self._task, epoch=record["epoch"], stats=format_short(record))

    def end_epoch(self, epoch: int) -> None:
        if self.last is not None:
            self.console.print(format_epoch_summary(epoch, self.epochs, self.last), no_wrap=True,
                               overflow="ellipsis", highlight=False)
        if epoch < self.epochs:
            self._progress.update(self._task, epoch=epoch + 1)

    def message(self, text: str) -> None:
        self.console.print(text)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()


def make_progress(quiet: bool = False):
    from rich.console import Console

    console = Console(stderr=True)
    if quiet or not console.is_terminal:
        return PlainProgress()
    return RichProgress(console)
