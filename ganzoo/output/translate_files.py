"""``ganzoo translate``: run a trained translation model over an image, a folder or an .npz.

The output is the same kind as the input: a picture for a picture, a folder of PNGs (same names)
for a folder, an .npz whose ``images`` array is uint8 N x H x W (grey) or N x H x W x 3 for an
.npz (N x 3 x H x W, as ``ganzoo sample`` writes colour, is read too and written back alike).
Nothing is left half-written: files are written atomically, a folder is filled beside its final
name and renamed.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from pathlib import Path
from typing import List, Optional, Tuple

import numpy as np
import torch

from ganzoo.data import unit_range
from ganzoo.errors import GanzooError, first_line
from ganzoo.output.files import write_atomic, write_error
from ganzoo.output.images import to_uint8

PICTURES = (".png", ".jpg", ".jpeg")
KINDS = "a picture (.png, .jpg), a folder of pictures or an .npz with a uint8 'images' array"


def describe_shape(shape) -> str:
    channels, height, width = shape
    return f"{'grey' if channels == 1 else f'{channels}-channel'} {height}x{width}"


def read_picture(path: Path) -> np.ndarray:
    """uint8 H x W x C (C 1 for grey, 3 for colour; alpha and palettes made RGB)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image = image.convert("L" if image.mode in ("L", "I", "I;16", "1") else "RGB")
            array = np.array(image, dtype=np.uint8)  # a writable copy, as torch.from_numpy wants
    except (OSError, UnidentifiedImageError) as error:
        raise GanzooError(f"cannot read picture '{path}': {first_line(error)}") from error
    return array[:, :, None] if array.ndim == 2 else array


def read_input(source: Path) -> Tuple[torch.Tensor, str, dict]:
    """(uint8 N x C x H x W, kind, what writing the output back needs) of an input."""
    if source.is_dir():
        files = sorted(p for p in source.iterdir() if p.is_file() and p.suffix.lower() in PICTURES)
        if not files:
            raise GanzooError(f"folder '{source}' holds no .png or .jpg pictures to translate")
        arrays = [read_picture(p) for p in files]
        for array, path in zip(arrays, files):
            if array.shape != arrays[0].shape:
                raise GanzooError(f"'{path}' is {array.shape[1]}x{array.shape[0]} with {array.shape[2]} channel(s), "
                                  f"but '{files[0]}' is {arrays[0].shape[1]}x{arrays[0].shape[0]} with "
                                  f"{arrays[0].shape[2]}; a folder is translated as one batch of one size")
        batch = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2)
        return batch.contiguous(), "folder", {"names": [p.stem + ".png" for p in files]}
    if not source.is_file():
        raise GanzooError(f"input '{source}' not found; give {KINDS}")
    if source.suffix.lower() == ".npz":
        return read_npz(source)
    if source.suffix.lower() in PICTURES:
        return torch.from_numpy(read_picture(source)).permute(2, 0, 1)[None].contiguous(), "picture", {}
    raise GanzooError(f"input '{source}' is not {KINDS}")


def read_npz(source: Path) -> Tuple[torch.Tensor, str, dict]:
    try:
        with np.load(source, allow_pickle=False) as archive:
            if "images" not in archive.files:
                raise GanzooError(f"'{source}' has no 'images' array (it has {', '.join(archive.files) or 'none'}); "
                                  "give an .npz as `ganzoo sample` writes")
            array = archive["images"]
    except (OSError, ValueError) as error:
        raise GanzooError(f"cannot read '{source}': {first_line(error)}") from error
    if array.ndim and len(array) == 0:
        raise GanzooError(f"'{source}' holds no images (its 'images' array is {array.shape}); give an .npz with at "
                          "least one")
    if array.dtype != np.uint8:
        raise GanzooError(f"'{source}' holds {array.dtype} images; they must be uint8 (0-255), N x H x W or "
                          "N x H x W x 3")
    if array.ndim == 3:
        return torch.from_numpy(array.copy())[:, None], "npz", {"layout": "grey"}
    if array.ndim == 4 and array.shape[-1] in (1, 3):
        return torch.from_numpy(array.copy()).permute(0, 3, 1, 2).contiguous(), "npz", {"layout": "last"}
    if array.ndim == 4 and array.shape[1] in (1, 3):
        return torch.from_numpy(array.copy()), "npz", {"layout": "first"}
    raise GanzooError(f"'{source}' holds images of shape {array.shape}; expected uint8 N x H x W (grey) or "
                      "N x H x W x 3")


def check_output(out: Path, kind: str) -> None:
    if kind == "folder":
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise GanzooError(f"--out '{out}' exists and is not an empty folder; a folder's translations go to a "
                              "new folder")
    elif kind == "npz" and out.suffix.lower() != ".npz":
        raise GanzooError(f"the input is an .npz, so --out must end in .npz, got '{out}'")
    elif kind == "picture" and out.suffix.lower() not in PICTURES:
        raise GanzooError(f"the input is a picture, so --out must end in .png or .jpg, got '{out}'")


def fit_channels(images: torch.Tensor, shape) -> torch.Tensor:
    """Grey pictures for a model of colour pictures, repeated into its 3 channels (as any picture tool
    makes grey RGB: a grey digit for PixelDA, whose source is MNIST's digits as 3 channels); else as they are."""
    if images.shape[1] == 1 and shape[0] == 3 and tuple(images.shape[2:]) == tuple(shape[1:]):
        return images.expand(-1, 3, -1, -1).contiguous()
    return images


def check_fits(images: torch.Tensor, shape, source: Path, direction: str) -> None:
    got = tuple(images.shape[1:])
    if got != tuple(shape):
        raise GanzooError(f"'{source}' is {describe_shape(got)}; this model's {direction} translates "
                          f"{describe_shape(shape)} pictures")


def picture_bytes(array: np.ndarray, suffix: str) -> bytes:
    from PIL import Image

    picture = Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array)
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG" if suffix in (".jpg", ".jpeg") else "PNG")
    return buffer.getvalue()


def write_output(outputs: torch.Tensor, out: Path, kind: str, info: dict) -> None:
    """uint8 N x C x H x W outputs, written as the input was."""
    arrays = outputs.permute(0, 2, 3, 1).numpy()  # N x H x W x C
    if kind == "picture":
        data = picture_bytes(arrays[0], out.suffix.lower())
        write_atomic(out, lambda handle: handle.write(data))
    elif kind == "npz":
        layout = info["layout"]
        array = arrays[..., 0] if arrays.shape[3] == 1 and layout == "grey" else (
            arrays if layout == "last" else outputs.numpy())
        buffer = io.BytesIO()
        np.savez_compressed(buffer, images=array)
        write_atomic(out, lambda handle: handle.write(buffer.getvalue()))
    else:
        write_folder(arrays, out, info["names"])


def write_folder(arrays: np.ndarray, out: Path, names: List[str]) -> None:
    """The pictures, written into a hidden folder beside ``out`` renamed to ``out`` once all are there:
    a failure (a full disk) leaves no folder and no picture."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    except OSError as error:
        raise write_error(out, error) from error
    try:
        for array, name in zip(arrays, names):
            (staging / name).write_bytes(picture_bytes(array, ".png"))
        if out.exists():
            out.rmdir()  # empty, checked before
        os.replace(staging, out)
    except BaseException as error:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(error, OSError):
            raise write_error(out, error) from error
        raise


def read_reference(path: Path, spec, direction: str) -> torch.Tensor:
    """``--reference``: one picture of the output domain, (1, C, H, W) in [-1, 1]."""
    from ganzoo import translation

    if not path.is_file() or path.suffix.lower() not in PICTURES:
        raise GanzooError(f"--reference '{path}' is not a picture; give one .png or .jpg of the output domain")
    wanted = translation.shapes(spec, direction)[1]
    picture = fit_channels(torch.from_numpy(read_picture(path)).permute(2, 0, 1)[None].contiguous(), wanted)
    if tuple(picture.shape[1:]) != tuple(wanted):
        raise GanzooError(f"--reference '{path}' is {describe_shape(tuple(picture.shape[1:]))}; this model's "
                          f"{direction} outputs are {describe_shape(wanted)}: give a picture of the output domain")
    from ganzoo.data import unit_range

    return unit_range(picture)


def translate_files(run_dir: str | Path, source: str | Path, out: str | Path, registry,
                    direction: Optional[str] = None, device: str = "auto", ema: bool = True,
                    batch_size: int = 500, domain: Optional[str] = None,
                    reference: Optional[str | Path] = None) -> Path:
    """``ganzoo translate RUN_DIR INPUT --out OUTPUT``: returns the output's path."""
    from ganzoo import translation
    from ganzoo.assembly import resolve_device
    from ganzoo.eval.translation_eval import load_translators, run_directions
    from ganzoo.training import checkpoint

    state = checkpoint.load_checkpoint(run_dir)
    directions = run_directions(state)
    if not directions:
        algorithm = checkpoint.recipe_of(state, registry).config.algorithm.name
        raise GanzooError(f"'{run_dir}' is not a translation model: its algorithm '{algorithm}' generates from "
                          "noise; use `ganzoo sample` to draw from it")
    chosen = translation.choose(directions, direction)
    source, out = Path(source), Path(out)
    images, kind, info = read_input(source)
    check_output(out, kind)
    generators, spec = load_translators(state, registry, resolve_device(device), ema)
    if domain is not None:  # --domain, --reference: the chosen generator fixed to a domain, a style
        generators[chosen] = translation.into_domain(generators[chosen], domain)
    if reference is not None:
        generators[chosen] = translation.in_style_of(generators[chosen], read_reference(Path(reference), spec, chosen))
    in_shape, _ = translation.shapes(spec, chosen)
    images = fit_channels(images, in_shape)
    check_fits(images, in_shape, source, chosen)
    outputs = translation.translate(generators[chosen], unit_range(images), batch_size)
    write_output(to_uint8(outputs), out, kind, info)
    return out
