"""The pictures a run and `ganzoo compare` draw: legends beside the curves, never over them."""

from PIL import Image, ImageDraw

from ganzoo.output.plots import COLOURS, PANEL_HEIGHT, WIDTH, draw_panel, legend_layout, SWATCH


def _text_grey(pixel) -> bool:
    r, g, b = pixel
    return r == g == b and r < 200  # black text, anti-aliased; gridlines are (230, 230, 230)


def test_the_legend_sits_above_the_plot_and_no_curve_crosses_its_labels():
    """Both curves end in the top right corner, where the legend used to be drawn over them."""
    steps = list(range(100))
    lines = [("D loss", steps, [1.5 - 0.01 * s for s in steps]), ("G loss", steps, [0.5 + 0.02 * s for s in steps])]
    image = Image.new("RGB", (WIDTH, PANEL_HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    x0, y0, x1, y1 = draw_panel(draw, (0, 0, WIDTH, PANEL_HEIGHT), "losses", lines)
    pixels = image.load()
    inside = [pixels[x, y] for x in range(x0 + 2, x1 - 1) for y in range(y0 + 2, y1 - 1)]
    assert not any(map(_text_grey, inside))  # no label drawn inside the plot
    for (x, y), (label, _, _) in zip(legend_layout(draw, "losses", [l[0] for l in lines], x0, x1, 6), lines):
        left, top, right, bottom = draw.textbbox((x + SWATCH + 5, y), label, anchor="lm")
        assert bottom < y0 and right <= x1
        label_pixels = [pixels[i, j] for i in range(int(left), int(right)) for j in range(int(top), int(bottom))]
        assert any(map(_text_grey, label_pixels)) and not any(p in COLOURS[:2] for p in label_pixels)


def test_a_long_legend_wraps_into_rows_and_pushes_the_plot_down():
    steps = [0, 1]
    names = [f"sweeps/learning-rate/run-{index:03d}" for index in range(12)]
    image = Image.new("RGB", (WIDTH, PANEL_HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    x0, y0, x1, y1 = draw_panel(draw, (0, 0, WIDTH, PANEL_HEIGHT), "d_loss", [(n, steps, [1, 2]) for n in names])
    places = legend_layout(draw, "d_loss", names, x0, x1, 6)
    assert len({y for _, y in places}) > 1 and y0 > max(y for _, y in places)
    assert all(x + SWATCH + 5 + draw.textlength(name) <= x1 for (x, _), name in zip(places, names))
