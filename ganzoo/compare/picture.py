"""The comparison picture: each run's last sample grid side by side, labelled, and below them
each loss overlaid across the runs (one colour per run). Drawn with PIL, as losses.png is."""

from __future__ import annotations

import io
from pathlib import Path
from typing import List

from ganzoo.compare.runs import RunSummary
from ganzoo.output.files import write_atomic
from ganzoo.output.plots import COLOURS, PANEL_HEIGHT, WIDTH, draw_panel

CELL = 180  # each grid is scaled to fit a CELL x CELL square
GAP, LINE = 10, 13  # between grids; the height of a caption line
PER_ROW = 6
BREAKS = "-_/ ."  # a caption line too long for its grid breaks after the last of these, if any
PREFERRED = ("d_loss", "g_loss")  # the curves drawn when a run logs them; else its first two scalars


def curve_keys(runs: List[RunSummary]) -> List[str]:
    logged = list(dict.fromkeys(key for run in runs for key in run.curves))
    preferred = [key for key in PREFERRED if key in logged]
    return preferred or logged[:2]


def write_picture(runs: List[RunSummary], path: Path, notes: List[str]) -> None:
    """``notes``: what sets each run apart, shown under its grid one choice a line (its status instead
    when it did not finish)."""
    from PIL import Image, ImageDraw

    columns = min(len(runs), PER_ROW)
    grid_rows = -(-len(runs) // PER_ROW)
    width = max(WIDTH, GAP + columns * (CELL + GAP))
    keys = curve_keys(runs)
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    captions = [caption_lines(measure, run, note) for run, note in zip(runs, notes)]
    label = 6 + LINE * max(len(names) + len(choices) for names, choices in captions)
    top = grid_rows * (CELL + label + GAP) + GAP
    image = Image.new("RGB", (width, top + PANEL_HEIGHT * len(keys)), "white")
    draw = ImageDraw.Draw(image)
    for index, (run, (names, choices)) in enumerate(zip(runs, captions)):
        row, column = divmod(index, PER_ROW)
        x, y = GAP + column * (CELL + GAP), GAP + row * (CELL + label + GAP)
        _paste_grid(image, draw, run, x, y)
        colour = COLOURS[index % len(COLOURS)]
        draw.rectangle([x, y + CELL + 4, x + 10, y + CELL + 14], fill=colour)
        for number, (text, shade) in enumerate([(name, "black") for name in names]
                                               + [(choice, (90, 90, 90)) for choice in choices]):
            draw.text((x + 14, y + CELL + 3 + LINE * number), text, fill=shade)
    for number, key in enumerate(keys):
        lines = [(run.name, *run.curves.get(key, ([], []))) for run in runs]
        box = (0, top + number * PANEL_HEIGHT, width, top + (number + 1) * PANEL_HEIGHT)
        draw_panel(draw, box, key, lines)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    write_atomic(path, lambda handle: handle.write(buffer.getvalue()))


def _paste_grid(image, draw, run: RunSummary, x: int, y: int) -> None:
    from PIL import Image

    if run.grid is None:
        draw.rectangle([x, y, x + CELL, y + CELL], outline=(180, 180, 180))
        draw.text((x + CELL / 2, y + CELL / 2), "no samples", fill=(120, 120, 120), anchor="mm")
        return
    with Image.open(run.grid) as grid:
        grid = grid.convert("RGB")
        grid.thumbnail((CELL, CELL))
        image.paste(grid, (x + (CELL - grid.width) // 2, y + (CELL - grid.height) // 2))


def caption_lines(draw, run: RunSummary, note: str) -> tuple[List[str], List[str]]:
    """The lines under a run's grid: its whole name (wrapped), then what sets it apart, one choice a
    line ('optimizers.generator.lr=1e-4 seed=1' -> 'lr=1e-4', 'seed=1': the table has the full keys),
    or its status when it did not finish."""
    choices = [_last_key(item) for item in note.split()] if run.status == "finished" else [run.status]
    return _wrap(draw, run.name), [line for choice in choices for line in _wrap(draw, choice)]


def _last_key(item: str) -> str:
    key, equals, value = item.partition("=")
    return key.rsplit(".", 1)[-1] + equals + value


def _wrap(draw, text: str, width: int = CELL - 14) -> List[str]:
    """``text`` in lines that fit ``width`` pixels, broken where they must be: nothing is cut off."""
    lines = [""]
    for char in text:
        if lines[-1] and draw.textlength(lines[-1] + char) > width:
            head, mark, tail = max((lines[-1].rpartition(mark) for mark in BREAKS), key=lambda parts: len(parts[0]))
            lines[-1:] = [head + mark, tail] if head else [lines[-1], ""]
        lines[-1] += char
    return lines
