"""``ganzoo pack``: an image folder packed once into uint8 shards (the format: ``ganzoo.storage.packed``).

Images are decoded by a few threads (PIL lets go of the GIL while decoding and resizing), written in
the folder's sorted order, shard by shard, into a temporary folder beside ``--out`` that is renamed
into place once the manifest is written: a pack that fails or is killed leaves no packed dataset.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional

import numpy as np

from ganzoo.storage import packed
from ganzoo.errors import GanzooError
from ganzoo.output.files import write_error
from ganzoo.storage.folders import BAD_IMAGES, UnreadableImage, classes_of, image_files, read_image, unreadable

WINDOW = 256  # images decoded at a time by the threads


@dataclass
class PackReport:
    out: Path
    images: int
    skipped: List[str]
    seconds: float

    @property
    def images_per_sec(self) -> float:
        return self.images / self.seconds if self.seconds > 0 else 0.0


def pack_folder(folder: str | Path, out: str | Path, size: int = 64, channels: int = 3, crop: bool = True,
                shard_images: int = 10000, bad_images: str = "stop", workers: Optional[int] = None,
                progress: Optional[Callable[[int], None]] = None) -> PackReport:
    """Pack the images under ``folder`` into ``out``; ``progress(n)`` is called as each ``n`` images are read."""
    folder, out = Path(folder).expanduser(), Path(out).expanduser()
    _check_options(size, channels, shard_images, bad_images, workers)
    check_out(out)
    files = image_files(folder)
    check_room(len(files), size, channels, shard_images, out)
    listing = packed.folder_listing(folder, files)
    started = time.perf_counter()
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        partial.mkdir(parents=True)
    except OSError as error:
        raise write_error(out, error) from error
    try:
        shards, kept, skipped = _write_shards(files, partial, size, channels, crop, shard_images, bad_images,
                                              workers or min(4, os.cpu_count() or 1), progress)
        if not kept:
            raise GanzooError(f"none of the {len(files)} images in '{folder}' can be decoded")
        classes, labels = classes_of(folder, kept)
        manifest = {"format": packed.FORMAT, "version": packed.VERSION, "count": len(kept),
                    "shape": [channels, size, size], "dtype": "uint8", "shards": shards,
                    "classes": classes, "labels": None, "crop": crop,
                    "skipped": [path.relative_to(folder).as_posix() for path in skipped],
                    "source": {"folder": str(folder.resolve()), "files": listing}}
        if labels is not None:
            np.save(partial / packed.LABELS, np.asarray(labels, dtype=np.int64))
            manifest["labels"] = {"file": packed.LABELS, "sha256": packed.sha256_of(partial / packed.LABELS)}
        (partial / packed.MANIFEST).write_text(json.dumps(manifest, separators=(",", ":")))
        if out.exists():
            out.rmdir()  # empty, checked above
        os.replace(partial, out)
    except BaseException as error:
        shutil.rmtree(partial, ignore_errors=True)
        if isinstance(error, OSError):  # a full disk: nothing of the pack is left
            raise write_error(out, error) from error
        raise
    return PackReport(out, len(kept), manifest["skipped"], time.perf_counter() - started)


def check_out(out: Path) -> None:
    """``--out`` must be a new or empty folder: a pack never overwrites one."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise GanzooError(f"--out {out} already exists and is not an empty folder; choose another, or delete it "
                          "to pack again")


def check_room(images: int, size: int, channels: int, shard_images: int, out: Path) -> None:
    """Refuse, before decoding anything, a pack whose shard buffer would not fit in memory or whose
    shards would not fit on the disk."""
    from ganzoo.output.sampling import available_memory

    image_bytes = channels * size * size
    shard = min(shard_images, images) * image_bytes
    memory = available_memory()
    if memory is not None and shard > memory // 2:
        raise GanzooError(f"--size {size} makes each image {_size(image_bytes)} and a shard of "
                          f"{min(shard_images, images)} of them {_size(shard)}, more than half the {_size(memory)} of "
                          "memory available; give a smaller --size (or fewer --shard-images)")
    folder = next((p for p in (out.parent, *out.parent.parents) if p.exists()), Path("."))
    with contextlib.suppress(OSError):
        free = shutil.disk_usage(folder).free
        if images * image_bytes > free:
            raise GanzooError(f"cannot write {out}: {images} images at --size {size} need "
                              f"{_size(images * image_bytes)} on disk, and "
                              f"{folder} has {_size(free)} free; free some disk space, choose another --out, or give "
                              "a smaller --size")


def _size(count: int) -> str:
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= scale:
            return f"{count / scale:.3g} {unit}"
    return f"{count} bytes"


def _check_options(size: int, channels: int, shard_images: int, bad_images: str, workers: Optional[int]) -> None:
    if size < 1:
        raise GanzooError(f"--size must be at least 1, got {size}")
    if channels not in (1, 3):
        raise GanzooError(f"--channels must be 1 or 3, got {channels}")
    if shard_images < 1:
        raise GanzooError(f"--shard-images must be at least 1, got {shard_images}")
    if bad_images not in BAD_IMAGES:
        raise GanzooError(f"--bad-images must be stop or skip, got '{bad_images}'")
    if workers is not None and workers < 1:
        raise GanzooError(f"--workers must be at least 1, got {workers}")


def _write_shards(files, partial: Path, size, channels, crop, shard_images, bad_images, workers, progress):
    """Decode ``files`` in order and write them in shards; (manifest entries, files kept, files skipped)."""
    shards, kept, skipped = [], [], []
    buffer = np.empty((min(shard_images, len(files)), channels, size, size), dtype=np.uint8)  # as check_room counts
    filled = 0

    def read(path):
        try:
            return read_image(path, size, channels, crop)
        except UnreadableImage as error:
            if bad_images == "stop":
                raise unreadable(error, "--bad-images") from error
            return None

    def flush():
        nonlocal filled
        path = partial / packed.shard_name(len(shards))
        np.save(path, buffer[:filled])
        shards.append({"file": path.name, "count": filled, "bytes": path.stat().st_size,
                       "sha256": packed.sha256_of(path)})
        filled = 0

    with ThreadPoolExecutor(workers) as pool:
        for start in range(0, len(files), WINDOW):
            window = files[start:start + WINDOW]
            for path, array in zip(window, pool.map(read, window)):
                if array is None:
                    skipped.append(path)
                    continue
                buffer[filled] = array.transpose(2, 0, 1)
                filled += 1
                kept.append(path)
                if filled == shard_images:
                    flush()
            if progress is not None:
                progress(len(window))
    if filled:
        flush()
    return shards, kept, skipped


def pack_with_progress(folder, out, quiet: bool = False, **options) -> PackReport:
    """``pack_folder`` with a progress bar (images/s, ETA) on a terminal; the summary line on stderr."""
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    check_out(Path(out).expanduser())
    total = len(image_files(Path(folder).expanduser()))
    console = Console(stderr=True)
    bar = Progress(TextColumn("packing"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[rate]}"),
                   TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                   console=console, disable=quiet or not console.is_terminal, transient=False)
    with bar:
        task = bar.add_task("pack", total=total, rate="")

        def advance(n: int) -> None:
            bar.advance(task, n)
            speed = bar.tasks[task].speed
            bar.update(task, rate=f"{speed:,.0f} img/s" if speed else "")

        report = pack_folder(folder, out, progress=advance, **options)
    skipped = f", {len(report.skipped)} that cannot be decoded skipped" if report.skipped else ""
    print(f"packed {report.images} images into {report.out} in {report.seconds:.1f} s "
          f"({report.images_per_sec:,.0f} images/s){skipped}", file=sys.stderr)
    return report
