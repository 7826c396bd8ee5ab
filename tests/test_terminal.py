"""What a user sees in an 80-column terminal: the live progress line, the epoch summaries, `ganzoo list`."""

import io
import re

import pytest
from rich.console import Console

from ganzoo.training.progress import RichProgress
from runs import STEPS_PER_EPOCH, StopAt, start

CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def terminal(width: int = 80) -> tuple[Console, io.StringIO]:
    screen = io.StringIO()
    return Console(file=screen, width=width, force_terminal=True, color_system=None), screen


def shown_lines(output: str) -> list[str]:
    """The lines left on screen: each line's last redraw, without control codes."""
    return [CONTROL.sub("", line.split("\r")[-1]).rstrip() for line in output.split("\n")]


RECORD = {"epoch": 3, "step": 12345, "d_loss": 0.6323, "g_loss": 2.2774, "d_real": 0.789, "d_fake": 0.223,
          "images_per_sec": 36155.0}


@pytest.mark.parametrize("epochs, total", [(5, 2340), (30, 14040), (300, 140400)])
def test_the_live_line_keeps_bar_steps_and_time_left_beside_the_losses_in_80_columns(epochs, total):
    console, screen = terminal(80)
    progress = RichProgress(console)
    progress.start(epochs, total, 0)
    progress.advance(total // 2)
    progress.log({**RECORD, "step": total // 2})
    progress.close()
    last = shown_lines(screen.getvalue())[-2]  # the final frame, before the closing newline
    assert len(last) <= 80
    assert f"{total // 2}/{total}" in last and "━" in last and re.search(r"[\d-]:[\d-]{2}:[\d-]{2}", last)
    assert "d 0.632" in last and "g 2.277" in last


def test_a_wider_terminal_shows_every_value():
    console, screen = terminal(120)
    progress = RichProgress(console)
    progress.start(5, 2340, 0)
    progress.log(RECORD)
    progress.close()
    assert "D(G(z)) 0.22" in shown_lines(screen.getvalue())[-2]


def test_training_leaves_one_summary_line_per_epoch_within_80_columns(data_env, tmp_path):
    console, screen = terminal(80)
    trainer = start(tmp_path / "run", ["train.epochs=3"], None)
    trainer.progress = RichProgress(console)
    trainer.fit()
    lines = [line for line in shown_lines(screen.getvalue()) if line]
    assert all(len(line) <= 80 for line in lines), lines
    summaries = [line for line in lines if re.match(r"epoch \d/3  d_loss [\d.]+  g_loss", line)]
    assert [s.split()[1] for s in summaries] == ["1/3", "2/3", "3/3"]
    assert all("img/s" in s and "D(G(z))" in s for s in summaries)


def test_the_loss_curves_are_drawn_after_every_epoch(data_env, tmp_path):
    seen = []

    class Watch(StopAt):
        def advance(self, steps=1):
            if self.trainer.steps_done == STEPS_PER_EPOCH + 1:  # the first step of epoch 2
                seen.append((self.trainer.run_dir / "losses.png").read_bytes()[:8])

    start(tmp_path / "run", ["train.epochs=2"], Watch()).fit()
    assert seen == [b"\x89PNG\r\n\x1a\n"]


def test_ganzoo_list_fits_80_columns_and_shows_the_recipes():
    from ganzoo.pluginhost.listing import listing, print_listing
    from ganzoo.pluginhost.registry import load_registry

    console, screen = terminal(80)
    print_listing(listing(load_registry(), None), console)
    lines = screen.getvalue().splitlines()
    assert max(map(len, lines)) <= 80
    text = screen.getvalue()
    assert "mlp" in text and "vanilla_mnist" in text and "recipes" in text
    # descriptions wrap over at most three lines: no row stands taller than that
    assert "The vanilla GAN of ganzoo's founding document" in text
    rows = [line for line in lines if line[:1].strip()]  # a row's first line starts at the left edge
    assert len(lines) < 3 * len(rows)
