"""The loss-curve picture of a run (losses.png), drawn with PIL: no plotting library needed."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Optional, Sequence

from ganzoo.output.files import write_atomic

WIDTH, PANEL_HEIGHT = 900, 300
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 70, 20, 30, 40
LEGEND_ROW, LEGEND_GAP, SWATCH = 16, 24, 25  # legend rows above the plot: height, space between entries, line
COLOURS = ((31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189), (255, 127, 14), (140, 86, 75),
           (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207))  # matplotlib's tab10, blue and red first
Series = tuple[str, list[float], list[float]]  # label, xs, ys


def read_loss_records(metrics_path: str | Path) -> list[dict]:
    """The training-loss lines of metrics.jsonl (evaluation lines left out).

    Lines that are not JSON objects with a numeric step are skipped, and so is any value that is
    not a number: a damaged or hand-edited line never stops the plot (nor the run that draws it).
    """
    path = Path(metrics_path)
    if not path.is_file():
        return []
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    records = [record for record in map(_parse, lines) if record is not None]
    return [r for r in records if "d_loss" in r]


def _parse(line: str) -> dict | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or not _is_number(record.get("step")):
        return None
    return {key: value if _is_number(value) else None for key, value in record.items()}


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def write_loss_plot(metrics_path: str | Path, out: str | Path) -> bool:
    """Draw the losses and D's outputs against the step; False (nothing written) when there is nothing logged."""
    records = read_loss_records(metrics_path)
    if not records:
        return False

    def series(key: str, label: str) -> Series:
        kept = [r for r in records if r.get(key) is not None]
        return label, [r["step"] for r in kept], [float(r[key]) for r in kept]

    panels = [
        ("losses", [series("d_loss", "D loss"), series("g_loss", "G loss")]),
        ("discriminator outputs", [series("d_real", "D(x)"), series("d_fake", "D(G(z))")]),
    ]
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH, PANEL_HEIGHT * len(panels)), "white")
    for index, (title, lines) in enumerate(panels):
        draw_panel(ImageDraw.Draw(image), (0, index * PANEL_HEIGHT, WIDTH, (index + 1) * PANEL_HEIGHT), title, lines)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)  # fast: a few ms instead of ~10
    write_atomic(out, lambda handle: handle.write(buffer.getvalue()))
    return True


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]."""
    if high <= low:
        high = low + 1.0
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) / step + 1e-9) + 1)]


def legend_layout(draw, title: str, labels: Sequence[str], left: int, right: int, top: int) -> list[tuple[float, float]]:
    """Where each legend entry starts (its swatch's left end, its row's middle): in rows above the plot,
    the first beside the title, so that no entry covers a curve and no curve covers an entry."""
    places, x, y = [], left + draw.textlength(title) + LEGEND_GAP, top + LEGEND_ROW / 2
    for label in labels:
        width = SWATCH + 5 + draw.textlength(label)
        if x + width > right and x > left:
            x, y = left, y + LEGEND_ROW
        places.append((x, y))
        x += width + LEGEND_GAP
    return places


def draw_panel(draw, box: tuple[int, int, int, int], title: str, lines: Sequence[Series]) -> Optional[tuple]:
    """One panel of curves with its title, axes and legend; returns the plot's frame (x0, y0, x1, y1),
    None when there is nothing to draw."""
    x0, y0, x1, y1 = box[0] + MARGIN_LEFT, box[1] + MARGIN_TOP, box[2] - MARGIN_RIGHT, box[3] - MARGIN_BOTTOM
    # each line keeps its colour by position, so that an empty one does not shift the others' colours
    coloured = [(COLOURS[number % len(COLOURS)], line) for number, line in enumerate(lines) if line[1]]
    xs = [x for _, (_, line_xs, _) in coloured for x in line_xs]
    ys = [y for _, (_, _, line_ys) in coloured for y in line_ys if math.isfinite(y)]
    if not xs or not ys:
        return None
    legend = legend_layout(draw, title, [label for _, (label, _, _) in coloured], x0, x1, box[1] + 6)
    y0 = max(y0, int(legend[-1][1] + LEGEND_ROW))  # more rows of legend push the plot down
    x_low, x_high = min(xs), max(max(xs), min(xs) + 1)
    y_low, y_high = min(ys), max(ys)
    pad = (y_high - y_low) * 0.05 or 0.5
    y_low, y_high = y_low - pad, y_high + pad

    def at(x: float, y: float) -> tuple[float, float]:
        return (x0 + (x - x_low) / (x_high - x_low) * (x1 - x0), y1 - (y - y_low) / (y_high - y_low) * (y1 - y0))

    draw.text((x0, box[1] + 8), title, fill="black")
    for tick in nice_ticks(y_low, y_high):
        _, y = at(x_low, tick)
        draw.line([(x0, y), (x1, y)], fill=(230, 230, 230))
        draw.text((x0 - 8, y), f"{tick:g}", fill="black", anchor="rm")
    for tick in nice_ticks(x_low, x_high):
        x, _ = at(tick, y_low)
        draw.line([(x, y1), (x, y1 + 4)], fill="black")
        draw.text((x, y1 + 6), f"{tick:g}", fill="black", anchor="mt")
    draw.text(((x0 + x1) / 2, box[3] - 14), "step", fill="black", anchor="mt")
    draw.rectangle([x0, y0, x1, y1], outline="black")
    for (colour, (label, line_xs, line_ys)), (legend_x, legend_y) in zip(coloured, legend):
        points = [at(x, y) for x, y in zip(line_xs, line_ys) if math.isfinite(y)]
        if len(points) > 1:
            draw.line(points, fill=colour, width=2)
        elif points:
            draw.ellipse([points[0][0] - 2, points[0][1] - 2, points[0][0] + 2, points[0][1] + 2], fill=colour)
        draw.line([(legend_x, legend_y), (legend_x + SWATCH, legend_y)], fill=colour, width=3)
        draw.text((legend_x + SWATCH + 5, legend_y), label, fill="black", anchor="lm")
    return x0, y0, x1, y1
