"""Packed datasets: images as uint8 ``.npy`` shards on disk, described by a JSON manifest.

``ganzoo pack FOLDER --out DIR`` writes ``DIR/images-00000.npy`` ... (uint8 (n, C, H, W), numpy's own
format, so any tool reads them and they memory-map), ``DIR/labels.npy`` when the folder has classes,
and ``DIR/manifest.json`` last: the shape, each shard's image count, size and SHA-256, the classes,
and the source folder's file list with sizes and modification times (to tell when the folder changed
since packing). A folder without a manifest is not a packed dataset, so a crashed pack leaves nothing
that could be trained from.

``PackedImages`` reads the rows of a packed dataset by index without holding it in memory: each row is
read from its shard with ``os.preadv`` straight into the batch's buffer (the page cache holds what the
OS keeps; no mapping makes the rows count towards the process's resident memory), or loads it whole
when it fits in memory.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ganzoo.errors import GanzooError
from ganzoo.storage.paths import inside

MANIFEST = "manifest.json"
FORMAT = "ganzoo-packed"
VERSION = 1
LABELS = "labels.npy"
CHUNK = 1 << 20


def shard_name(index: int) -> str:
    return f"images-{index:05d}.npy"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def folder_listing(folder: Path, files: Sequence[Path]) -> Dict[str, Dict[str, int]]:
    """Each file's size and modification time (ns), by its path relative to ``folder``."""
    listing = {}
    for path in files:
        stat = path.stat()
        listing[path.relative_to(folder).as_posix()] = {"bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    return listing


def read_manifest(folder: Path) -> dict:
    """The manifest of the packed dataset in ``folder``, or a one-line error."""
    path = folder / MANIFEST
    if not folder.is_dir():
        raise GanzooError(f"packed dataset '{folder}' not found; pack a folder of images into it with "
                          f"`ganzoo pack FOLDER --out {folder}`")
    if not path.is_file():
        raise GanzooError(f"'{folder}' is not a packed dataset (no {MANIFEST}; a pack that did not finish writes "
                          f"none); pack it again with `ganzoo pack FOLDER --out {folder}`")
    if inside(folder, MANIFEST) is None:
        raise GanzooError(f"{path} is a symlink out of {folder}: a packed dataset reads only its own files; "
                          f"pack the folder again")
    try:
        manifest = json.loads(path.read_text())
        if manifest.get("format") != FORMAT:
            raise ValueError(f"format is {manifest.get('format')!r}, not {FORMAT!r}")
        if manifest.get("version") != VERSION:
            raise ValueError(f"version {manifest.get('version')}; this ganzoo reads version {VERSION}")
        manifest["shape"], manifest["shards"]  # noqa: B018 - present
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise GanzooError(f"{path} is not a ganzoo manifest ({error}); pack the folder again") from error
    return manifest


def member_path(folder: Path, name: object, what: str) -> Path:
    """The file ``name`` (a manifest entry) inside the packed dataset ``folder``: refused in one line, before
    anything is opened, when it leads out of the folder (the error says nothing of what lies outside)."""
    path = inside(folder, name)
    if path is None:
        raise GanzooError(f"{Path(folder) / MANIFEST} names {what} {name!r}, which is not a file inside {folder} "
                          "(a packed dataset reads only its own files: no '..', no absolute paths, no symlinks out); "
                          "pack the folder again")
    return path


def check_source_unchanged(manifest: dict, folder: Path, files: Sequence[Path], packed: Path) -> None:
    """The image folder must hold the files it held when packed, with the same sizes and modification times."""
    now = folder_listing(folder, files)
    then = manifest.get("source", {}).get("files", {})
    again = f"pack it again with `ganzoo pack {folder} --out {packed}`"
    for name in sorted(set(now) | set(then)):
        if name not in then:
            raise GanzooError(f"'{folder}' changed since it was packed into {packed}: {name} is new; {again}")
        if name not in now:
            raise GanzooError(f"'{folder}' changed since it was packed into {packed}: {name} is gone; {again}")
        if now[name] != then[name]:
            raise GanzooError(f"'{folder}' changed since it was packed into {packed}: {name} was modified "
                              f"({now[name]['bytes']} bytes now, {then[name]['bytes']} then); {again}")


@dataclass(frozen=True)
class _Shard:
    path: Path
    start: int  # index of its first row in the dataset
    count: int
    offset: int  # where its rows start in the file (after the .npy header)


class PackedImages:
    """The images of a packed dataset, read by row from their shards: uint8 (N, C, H, W), a ``ganzoo.RowSource``.

    ``rows(index)`` reads rows into a tensor (every row in order: ``load()``); ``take(index)`` reads
    them into a numpy array; ``load()`` reads them all into one tensor, a shard at a time;
    ``subset(rows)`` is some of the rows, still read from the shards (a held-out split, say).
    """

    def __init__(self, folder: Path, manifest: dict, verify: bool = True):
        import torch

        self.folder = Path(folder)
        self.shape = torch.Size([int(manifest["count"]), *(int(s) for s in manifest["shape"])])
        self.dtype = torch.uint8
        self.row_bytes = int(np.prod(self.shape[1:]))
        self.shards: List[_Shard] = []
        start = 0
        for entry in manifest["shards"]:
            path = member_path(self.folder, entry.get("file") if isinstance(entry, dict) else None, "shard")
            offset = _check_shard(path, entry, tuple(self.shape[1:]), verify)
            self.shards.append(_Shard(path, start, int(entry["count"]), offset))
            start += int(entry["count"])
        if start != self.shape[0]:
            raise GanzooError(f"{self.folder / MANIFEST} counts {self.shape[0]} images but its shards hold {start}; "
                              "pack the folder again")
        self.ends = np.array([shard.start + shard.count for shard in self.shards], dtype=np.int64)
        self._files: Dict[int, int] = {}  # shard -> open descriptor, opened on first read (per process)
        self.selected: Optional[np.ndarray] = None  # a subset's rows of the whole packed dataset; None: all of them

    def subset(self, rows) -> "PackedImages":
        """The images at ``rows`` (ints in [0, N), in that order), read from the same shards."""
        import copy

        import torch

        picked = copy.copy(self)
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        picked.selected = rows if self.selected is None else self.selected[rows]
        picked.shape = torch.Size([len(rows), *self.shape[1:]])
        picked._files = {}
        return picked

    def __len__(self) -> int:
        return self.shape[0]

    def rows(self, index):
        """The rows at ``index`` (a 1-D int64 tensor) as a uint8 tensor, in ``index``'s order."""
        import torch

        from ganzoo.rows import every_row

        if every_row(index, len(self)):
            return self.load()
        return torch.from_numpy(self.take(index.cpu().numpy()))

    def take(self, index: np.ndarray, out: Optional[np.ndarray] = None) -> np.ndarray:
        """The rows at ``index`` (ints in [0, N)) as uint8 (len(index), C, H, W), in ``index``'s order."""
        index = np.asarray(index, dtype=np.int64)
        if index.size and (index.min() < 0 or index.max() >= len(self)):
            raise IndexError(f"row index out of range for {len(self)} packed images")
        if self.selected is not None:
            index = self.selected[index]
        if out is None:
            out = np.empty((index.size, *self.shape[1:]), dtype=np.uint8)
        rows = out.reshape(index.size, self.row_bytes)
        which = np.searchsorted(self.ends, index, side="right")
        for position, (row, shard_index) in enumerate(zip(index.tolist(), which.tolist())):
            shard = self.shards[shard_index]
            offset = shard.offset + (row - shard.start) * self.row_bytes
            if os.preadv(self._descriptor(shard_index), [rows[position]], offset) != self.row_bytes:
                raise GanzooError(f"{shard.path} ended early (it is shorter than its manifest says); "
                                  "pack the folder again")
        return out

    def load(self):
        """All images in one uint8 tensor (N, C, H, W)."""
        import torch

        if self.selected is not None:
            return torch.from_numpy(self.take(np.arange(len(self))))
        whole = torch.empty(self.shape, dtype=torch.uint8)
        rows = whole.numpy().reshape(len(self), self.row_bytes)
        for shard in self.shards:
            with open(shard.path, "rb") as handle:
                handle.seek(shard.offset)
                view = memoryview(rows[shard.start:shard.start + shard.count]).cast("B")
                if handle.readinto(view) != shard.count * self.row_bytes:
                    raise GanzooError(f"{shard.path} ended early (it is shorter than its manifest says); "
                                      "pack the folder again")
        return whole

    def _descriptor(self, shard_index: int) -> int:
        descriptor = self._files.get(shard_index)
        if descriptor is None:
            descriptor = self._files[shard_index] = os.open(self.shards[shard_index].path, os.O_RDONLY)
        return descriptor

    def close(self) -> None:
        for descriptor in self._files.values():
            os.close(descriptor)
        self._files.clear()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def __getstate__(self):  # a copy (another process, a deep copy) opens its own files
        state = dict(self.__dict__)
        state["_files"] = {}
        return state


def _check_shard(path: Path, entry: dict, row_shape: Tuple[int, ...], verify: bool) -> int:
    """A shard's data offset, after checking it is there, whole, of the right shape (and SHA-256 when ``verify``)."""
    again = "pack the folder again"
    if not path.is_file():
        raise GanzooError(f"shard {path} of the packed dataset is missing; put it back or {again}")
    size = path.stat().st_size
    if size != int(entry["bytes"]):
        kind = "truncated" if size < int(entry["bytes"]) else "longer than packed"
        raise GanzooError(f"shard {path} is {kind}: {size} bytes, the manifest says {entry['bytes']}; {again}")
    try:
        with open(path, "rb") as handle:
            version = np.lib.format.read_magic(handle)
            read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                           else np.lib.format.read_array_header_2_0)
            shape, fortran, dtype = read_header(handle)
            offset = handle.tell()
    except ValueError as error:
        raise GanzooError(f"shard {path} is not a .npy file ({error}); {again}") from error
    if shape != (int(entry["count"]), *row_shape) or fortran or dtype != np.uint8:
        raise GanzooError(f"shard {path} holds {dtype} {shape}, not uint8 {(int(entry['count']), *row_shape)} as its "
                          f"manifest says; {again}")
    if verify and sha256_of(path) != entry["sha256"]:
        raise GanzooError(f"shard {path} differs from the one packed (its SHA-256 does not match the manifest); "
                          f"{again}, or give dataset.params.verify=false to skip this check")
    return offset


def read_packed(path, folder=None, verify: bool = True, held_out: int = 0, held_out_seed: int = 0) -> "ImageData":
    """A packed dataset (``ganzoo pack FOLDER --out PATH``) as ``ganzoo.ImageData`` whose images are a
    ``PackedImages`` (read from the shards as training goes, or held whole when they fit in memory),
    labelled when the folder had classes. ``folder``: the image folder it was packed from, which must
    not have changed since; ``verify``: check each shard's SHA-256 against the manifest first;
    ``held_out`` N > 0: N images drawn with ``held_out_seed`` are its ``held_out`` reference set (what
    ``ganzoo eval`` scores against), never trained on. The ``packed`` dataset is this function."""
    from ganzoo.data import DataSource, ImageData
    from ganzoo.storage.folders import held_out_split, image_files

    path = Path(path).expanduser()
    manifest = read_manifest(path)
    if folder is not None:
        folder = Path(folder).expanduser()
        check_source_unchanged(manifest, folder, image_files(folder), path)
    images = PackedImages(path, manifest, verify=verify)
    labels, files = None, [MANIFEST]
    if manifest.get("labels"):
        labels, files = _labels(path, manifest, len(images), verify), [MANIFEST, LABELS]
    classes = manifest.get("classes")
    data = ImageData(images=images, labels=labels, num_classes=len(classes) if labels is not None else None,
                     source=DataSource(root=path, files=tuple(files), param="path"))
    return held_out_split(data, held_out, held_out_seed)


def _labels(path: Path, manifest: dict, count: int, verify: bool):
    import torch

    file = member_path(path, manifest["labels"].get("file"), "labels")
    if not file.is_file():
        raise GanzooError(f"{file} of the packed dataset is missing; put it back or pack the folder again")
    if verify and sha256_of(file) != manifest["labels"]["sha256"]:
        raise GanzooError(f"{file} differs from the one packed (its SHA-256 does not match the manifest); "
                          "pack the folder again")
    try:
        labels = np.load(file)
    except (ValueError, OSError) as error:
        raise GanzooError(f"cannot read {file} ({error}); pack the folder again") from error
    if labels.shape != (count,):
        raise GanzooError(f"{file} holds {labels.shape[0] if labels.ndim else 0} labels for {count} images; "
                          "pack the folder again")
    return torch.from_numpy(labels.astype(np.int64))
