"""Every pixel mode a PNG/JPEG (or a file Pillow reads whatever its name) can hold becomes 8-bit by
its own value range: 16-bit greyscale is scaled, not clipped to white; transparency is composited onto
black; CMYK goes through RGB; a mode whose range is unknown is refused in one line. The image-folder
dataset and `ganzoo pack` read images through the same function."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from ganzoo import cli
from ganzoo.storage.folders import UnreadableImage, read_image

SIXTEEN = np.linspace(153, 65518, 64).reshape(8, 8).astype(np.uint16)  # the 16-bit range
EXPECTED = np.rint(SIXTEEN * (255 / 65535)).astype(np.uint8)


def _read(path, channels=1):
    return read_image(path, 8, channels)[..., 0] if channels == 1 else read_image(path, 8, channels)


def test_a_16_bit_greyscale_png_is_scaled_not_clipped(tmp_path):
    Image.fromarray(SIXTEEN).save(tmp_path / "g.png")
    assert Image.open(tmp_path / "g.png").mode.startswith("I;16")
    pixels = _read(tmp_path / "g.png")
    assert np.array_equal(pixels, EXPECTED)
    assert (pixels == 255).mean() < 0.05  # was 99.7 % white


def test_a_16_bit_greyscale_png_read_as_rgb_gives_equal_channels(tmp_path):
    Image.fromarray(SIXTEEN).save(tmp_path / "g.png")
    pixels = _read(tmp_path / "g.png", channels=3)
    assert all(np.array_equal(pixels[..., c], EXPECTED) for c in range(3))


def test_a_32_bit_integer_image_holding_16_bit_values_is_scaled(tmp_path):
    Image.fromarray(SIXTEEN.astype(np.int32)).save(tmp_path / "g.tif")
    assert Image.open(tmp_path / "g.tif").mode == "I"
    assert np.array_equal(_read(tmp_path / "g.tif"), EXPECTED)


def test_a_32_bit_integer_image_beyond_16_bits_is_refused(tmp_path):
    Image.fromarray((SIXTEEN.astype(np.int32) * 100)).save(tmp_path / "g.tif")
    with pytest.raises(UnreadableImage, match=r"32-bit integer image \(PIL mode I\) with values from 15300 to "
                                              r"6551800, outside 16 bits"):
        _read(tmp_path / "g.tif")


def test_a_floating_point_image_is_refused(tmp_path):
    Image.fromarray(SIXTEEN.astype(np.float32)).save(tmp_path / "f.png", format="TIFF")  # a .png in name only
    with pytest.raises(UnreadableImage, match="floating-point image .PIL mode F. has no known value range"):
        _read(tmp_path / "f.png")


def test_a_palette_image_with_a_transparent_colour_is_composited_onto_black(tmp_path):
    image = Image.new("P", (8, 8), 1)
    image.putpalette([0, 0, 0, 255, 255, 255, 255, 0, 0] + [0] * 759)
    image.paste(2, (0, 0, 4, 8))  # the left half red, marked transparent
    image.save(tmp_path / "p.png", transparency=2)
    pixels = _read(tmp_path / "p.png", channels=3)
    assert (pixels[:, :4] == 0).all() and (pixels[:, 4:] == 255).all()


@pytest.mark.parametrize("mode, colour", [("LA", (200, 0)), ("RGBA", (200, 100, 50, 0))])
def test_a_fully_transparent_image_is_black(tmp_path, mode, colour):
    Image.new(mode, (8, 8), colour).save(tmp_path / "t.png")
    assert (_read(tmp_path / "t.png", channels=3) == 0).all()


def test_half_transparent_grey_with_alpha_is_blended_onto_black(tmp_path):
    Image.new("LA", (8, 8), (200, 128)).save(tmp_path / "la.png")
    assert abs(int(_read(tmp_path / "la.png")[0, 0]) - round(200 * 128 / 255)) <= 1


def test_an_opaque_rgba_image_keeps_its_colours(tmp_path):
    Image.new("RGBA", (8, 8), (200, 100, 50, 255)).save(tmp_path / "o.png")
    assert _read(tmp_path / "o.png", channels=3)[0, 0].tolist() == [200, 100, 50]


def test_a_grey_level_marked_transparent_is_black(tmp_path):
    Image.new("L", (8, 8), 7).save(tmp_path / "l.png", transparency=7)
    assert (_read(tmp_path / "l.png") == 0).all()


def test_a_cmyk_jpeg_goes_through_rgb(tmp_path):
    Image.new("CMYK", (8, 8), (0, 255, 255, 0)).save(tmp_path / "c.jpg", quality=100)
    red = _read(tmp_path / "c.jpg", channels=3)[4, 4].tolist()
    assert red[0] > 240 and red[1] < 15 and red[2] < 15
    assert abs(int(_read(tmp_path / "c.jpg")[4, 4]) - 76) <= 3  # red's luma


def test_pack_of_16_bit_pngs_keeps_their_values(tmp_path, capsys):
    folder = tmp_path / "images"
    folder.mkdir()
    for index in range(4):
        Image.fromarray(SIXTEEN).save(folder / f"{index}.png")
    assert cli.main(["pack", str(folder), "--out", str(tmp_path / "packed"), "--size", "8", "--channels", "1",
                     "--quiet"]) == 0, capsys.readouterr().err
    manifest = json.loads((tmp_path / "packed" / "manifest.json").read_text())
    images = np.load(tmp_path / "packed" / manifest["shards"][0]["file"])
    assert np.array_equal(images[0, 0], EXPECTED)


def test_pack_refuses_a_float_image_in_one_line_naming_it(tmp_path, capsys):
    folder = tmp_path / "images"
    folder.mkdir()
    Image.fromarray(SIXTEEN.astype(np.float32)).save(folder / "f.png", format="TIFF")
    assert cli.main(["pack", str(folder), "--out", str(tmp_path / "packed"), "--size", "8", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and f"cannot read image '{folder / 'f.png'}': a 32-bit floating-point image" in err
    assert "--bad-images=skip" in err
