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
GAP, LABEL = 10, 34
PER_ROW = 6
PREFERRED = ("d_loss", "g_loss")  # the curves drawn when a run logs them; else its first two scalars


def curve_keys(runs: List[RunSummary]) -> List[str]:
    logged = list(dict.fromkeys(key for run in runs for key in run.curves))
    preferred = [key for key in PREFERRED if key in logged]
    return preferred or logged[:2]


def write_picture(runs: List[RunSummary], path: Path, notes: List[str]) -> None:
    """``notes``: what sets each run apart, shown under its grid (its status instead when it did not finish)."""
    from PIL import Image, ImageDraw

    columns = min(len(runs), PER_ROW)
    grid_rows = -(-len(runs) // PER_ROW)
    width = max(WIDTH, GAP + columns * (CELL + GAP))
    keys = curve_keys(runs)
    top = grid_rows * (CELL + LABEL + GAP) + GAP
    image = Image.new("RGB", (width, top + PANEL_HEIGHT * len(keys)), "white")
    draw = ImageDraw.Draw(image)
    for index, run in enumerate(runs):
        row, column = divmod(index, PER_ROW)
        x, y = GAP + column * (CELL + GAP), GAP + row * (CELL + LABEL + GAP)
        _paste_grid(image, draw, run, x, y)
        colour = COLOURS[index % len(COLOURS)]
        draw.rectangle([x, y + CELL + 4, x + 10, y + CELL + 14], fill=colour)
        draw.text((x + 14, y + CELL + 3), _short(run.name, 26), fill="black")
        note = _last_keys(notes[index]) if run.status in ("finished", "run") else run.status
        draw.text((x + 14, y + CELL + 17), _short(note, 26), fill=(90, 90, 90))
    for number, key in enumerate(keys):
        lines = [(_short(run.name, 16), *run.curves.get(key, ([], []))) for run in runs]
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


def _last_keys(choices: str) -> str:
    """'optimizers.generator.lr=1e-4 seed=1' -> 'lr=1e-4 seed=1': the table has the full keys."""
    return " ".join(item.split("=", 1)[0].rsplit(".", 1)[-1] + "=" + item.split("=", 1)[1] if "=" in item else item
                    for item in choices.split(" "))


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else "…" + text[-(limit - 1):]
